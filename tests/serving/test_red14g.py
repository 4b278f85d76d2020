"""The breaks red team #14g found (/work/wt/red14g-report.md, breaks 1-5): KServe's agent port in spellings argparse's
``type=int`` reads, component flags argparse resolves by prefix (``allow_abbrev``) or refuses, credentials in error
lines, ``MLSERVER_HOST``, and a cut inside a surrogate pair. Each test failed on 049b7c9 (main before the fix)."""

from __future__ import annotations

import argparse
from typing import Any

import pytest
from serving_support import model, plan

from components.credentials import PLAIN_TEXT
from components.errors import SHOW_WIDTH, TRUNCATED, SpecError, show
from components.serving import server_args
from components.serving.kcomponents import ExplainerSpec, TransformerSpec
from components.serving.spec import ModelSpec
from support import plan_config

T: dict[str, Any] = {"container": {"image": "ghcr.io/acme/t:1.0", "port": {"number": 8080}}}
E: dict[str, Any] = {"container": {"image": "ghcr.io/acme/e:1.0", "port": {"number": 8080}}}
CUSTOM: dict[str, Any] = {
    "container": {"image": "ghcr.io/acme/srv:1.0", "port": {"number": 8085}},
    "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
    "publicStorage": True,
    "access": {"allowAnonymous": True},
}
AGENT = (
    "a kserve model server would listen on it (kserve model_server.py {flag}), and in this pod KServe's agent "
    "(batcher, logger) serves on 9081; give another port"
)
SECRET = "s3cr3tv4lue"


def _refused(spec: dict[str, Any]) -> str:
    with pytest.raises(SpecError) as e:
        ModelSpec.model_validate(spec)
    return str(e.value)


def _transformer_refused(spec: dict[str, Any]) -> str:
    with pytest.raises(SpecError) as e:
        TransformerSpec.model_validate(spec)
    return str(e.value)


# ------------------------------------------------------------------------------------------------ 1: agent port


AGENT_SPELLINGS = ["+9081", "9_081", " 9081", "09081", "\u0669\u0660\u0668\u0661", "9081 "]
"""What argparse's ``type=int`` (Python's ``int()``) reads as 9081 (red14g argp.py on kserve v0.20.0's parser)."""


@pytest.mark.parametrize("text", AGENT_SPELLINGS)
def test_a_port_is_read_as_argparse_type_int_reads_it(text: str) -> None:
    # kserve v0.20.0 python/kserve/kserve/model_server.py:52-63: --http_port / --grpc_port type=int
    assert server_args.argparse_int(text) == int(text) == 9081


@pytest.mark.parametrize("text", ["9081x", "0x2379", "9 081", "9__081", "", "9081.0"])
def test_what_int_refuses_is_no_port(text: str) -> None:
    with pytest.raises(ValueError):
        int(text)
    assert server_args.argparse_int(text) is None


@pytest.mark.parametrize("value", ["+9081", "9_081", " 9081", "\u0669\u0660\u0668\u0661"])
@pytest.mark.parametrize("flag", ["--grpc_port", "--http_port"])
def test_a_custom_server_on_the_agent_port_in_any_int_spelling_is_refused(flag: str, value: str) -> None:
    # runR R2-n-cust-plus, runS S-cu-http-'+9081' / S-cu-http-'9_081', runPy PY-cu-grpc-plus: plan 0 on main
    arg = f"{flag}={value}"
    spec = {**CUSTOM, "args": [arg], "logger": {"mode": "all"}}
    assert _refused(spec) == f"ModelSpec.args.0: {show(arg)} is not allowed; " + AGENT.format(flag=flag)
    del spec["logger"]
    assert ModelSpec.model_validate(spec).args == [arg]  # no agent in the pod


def test_a_transformer_or_collocated_grpc_port_on_the_agent_port_in_any_int_spelling_is_refused() -> None:
    # runR R2-n-tr-plus / R2-n-tr-underscore (a transformer with its own logger), runS S-col-grpc-plus
    for value in ("+9081", "9_081"):
        got = _transformer_refused({**T, "args": [f"--grpc_port={value}"], "logger": {"mode": "all"}})
        assert got == f"TransformerSpec.args.0: --grpc_port={value} is not allowed; " + AGENT.format(flag="--grpc_port")
    collocated = {"collocated": True, **T, "args": ["--predictor_host=localhost:8085", "--grpc_port=+9081"]}
    assert _refused({**CUSTOM, "transformer": collocated, "logger": {"mode": "all"}}) == (
        "ModelSpec.transformer.args.1: --grpc_port=+9081 is not allowed; " + AGENT.format(flag="--grpc_port")
    )
    # another port in those spellings stays the user's
    TransformerSpec.model_validate({**T, "args": ["--grpc_port=+9000"], "logger": {"mode": "all"}})


# ------------------------------------------------------------------------------------------------ 2: argparse


def _kserve_parser() -> argparse.ArgumentParser:
    """A parser with kserve v0.20.0 model_server.py's option strings and actions (:48-207: every option ``store``
    with one argument but ``--enable_predictor_health_check`` ``store_true``), wrapped as the servers wrap it
    (``ArgumentParser(parents=[kserve.model_server.parser])``, sklearnserver/__main__.py:24). Types are left as text
    (no ``type=int``): these tests are about which option an argument names."""
    parent = argparse.ArgumentParser(add_help=False)
    for option, takes in server_args.KSERVE_OPTIONS.items():
        if option in ("-h", "--help"):
            continue
        if takes:
            parent.add_argument(option, default="model" if option == "--model_name" else None)
        else:
            parent.add_argument(option, action="store_true")
    return argparse.ArgumentParser(parents=[parent], exit_on_error=False)


ARGV = [
    ["--http_port=9000", "--http_p=8080"],
    ["--http_port", "9000", "--http", "8080"],
    ["--http_port=9000", "--ht=8080"],
    ["--model_name=p", "--model_n=other"],
    ["--model_name", "p", "--model", "other"],
    ["--model_n=other", "--model_name", "p"],
    ["--http_port"],
    ["--model_name", "--http_port=1"],
    ["--model_name", "-x"],
    ["--model_name", "-5"],
    ["--grpc", "9000"],
    ["--h=1"],
    ["--pred=x"],
    ["--enable_p=1"],
    ["--http-port=9000"],
    ["--http_port", "1", "--", "--http_port", "2"],
    ["--predictor_h", "x", "--predictor_host=y"],
]


@pytest.mark.parametrize("argv", ARGV, ids=[" ".join(a) for a in ARGV])
def test_parse_options_reads_a_command_line_as_argparse_does(argv: list[str]) -> None:
    """The model (server_args.parse_options) against Python's own argparse, on the red team's argv lists: the same
    refusals, the same last value of each option."""
    try:
        got = _kserve_parser().parse_known_args(argv)[0]
    except (argparse.ArgumentError, SystemExit):
        assert server_args.option_problem(argv) is not None
        return
    assert server_args.option_problem(argv) is None
    for option in ("--http_port", "--model_name", "--predictor_host"):
        hit = server_args.last_value(argv, option)
        want = getattr(got, option[2:])
        assert (hit[1] if hit else "model" if option == "--model_name" else None) == want


@pytest.mark.parametrize(
    "args",
    [
        ["--http_port=9000", "--http_p=8080"],  # runR R3a-n-abbr-last
        ["--http_port", "9000", "--http", "8080"],  # R3a-n-abbr-last2
        ["--http_port=9000", "--ht=8080"],  # runS S-tr-http-ht
    ],
)
def test_a_transformer_http_port_abbreviated_after_the_whole_flag_is_the_port(args: list[str]) -> None:
    # argparse reads --http_p as --http_port and keeps the last; KServe appends no --http_port (IncludesArg
    # matches the first), so the transformer serves on 8080, not the rendered containerPort 9000
    box = {**T["container"], "port": {"number": 9000}}
    assert _transformer_refused({"container": box, "args": args}) == (
        "TransformerSpec.container.port.number: 9000 is not allowed; give 8080, the port the transformer serves on "
        "(--http_port=8080 in args); or pass --http_port=<port> in args"
    )
    assert TransformerSpec.model_validate({**T, "args": args}).container.port.number == 8080
    # alone, the abbreviation is followed by KServe's own --http_port 8080 (transformer_custom.go:105-109), which wins
    assert TransformerSpec.model_validate({**T, "args": ["--http_p=9000"]}).args == ["--http_p=9000"]


def test_a_transformer_http_port_abbreviated_onto_the_agent_port_is_refused() -> None:
    # runS S-tr-http-abbr-agent
    got = _transformer_refused({**T, "args": ["--http_port=8080", "--http_p=9081"], "logger": {"mode": "all"}})
    assert got == (
        "TransformerSpec.args.1: --http_p=9081 is not allowed; KServe's agent (batcher, logger) serves on 9081; give "
        "another port"
    )


@pytest.mark.parametrize(
    ("key", "args", "at"),
    [
        ("transformer", ["--model_name=iris", "--model_n=other"], 1),  # runS S-tr-mn-abbr-last
        ("transformer", ["--model_name", "iris", "--model", "other"], 2),  # S-tr-mn-abbr-last-space
        ("explainer", ["--model_name=iris", "--model_na=other"], 1),  # S-ex-mn-abbr-last
    ],
)
def test_a_component_model_name_abbreviated_after_the_whole_flag_is_refused(key: str, args: list[str], at: int) -> None:
    part = T if key == "transformer" else E
    with pytest.raises(SpecError) as e:
        plan(model(**{key: {**part, "args": args}}), name="iris")
    assert str(e.value) == (
        f"{key}.args.{at}: {args[at]} is not allowed; the {key} calls the predictor by its --model_name (argparse "
        "keeps the last one, an abbreviation too), and kserve-sklearnserver serves the model as iris (KServe passes "
        "--model_name iris when no arg starts with --model_name); give --model_name=iris or remove it"
    )


def test_a_component_model_name_the_server_ends_up_with_is_accepted() -> None:
    # --model_n=other alone: KServe appends --model_name iris after it, which wins (red14g: not a break)
    plan(model(transformer={**T, "args": ["--model_n=other"]}), name="iris")
    # the last one argparse reads is the served name
    plan(model(transformer={**T, "args": ["--model_name=other", "--model_name=iris"]}), name="iris")


@pytest.mark.parametrize(
    ("args", "at", "why"),
    [
        (
            ["--http_port"],  # runN N-tr-http-trailing
            0,
            "--http_port needs a value, and argparse exits without one (expected one argument); give "
            "--http_port=<value>",
        ),
        (
            ["--model_name", "--http_port=8080"],
            0,
            "--model_name needs a value, and argparse exits without one (expected one argument); give "
            "--model_name=<value>",
        ),
        (
            ["--grpc=9000"],
            0,
            "argparse reads it as an abbreviation of --grpc_port, --grpc_max_send_message_length, "
            "--grpc_max_receive_message_length (allow_abbrev), which is ambiguous, and the server exits (kserve "
            "model_server.py parser); give the whole option",
        ),
        (
            ["--workers=two"],  # runS S-sk-workers-bad's value on a component (type=int)
            0,
            "--workers takes a whole number, and argparse exits on another value (type=int: invalid int value); give "
            "--workers=<number>",
        ),
        (
            ["--http_port=8080", "--h=9000"],
            1,
            "argparse reads it as an abbreviation of --http_port, --help (allow_abbrev), which is ambiguous, and the "
            "server exits (kserve model_server.py parser); give the whole option",
        ),
    ],
)
def test_component_args_argparse_exits_on_are_refused(args: list[str], at: int, why: str) -> None:
    assert _transformer_refused({**T, "args": args}) == f"TransformerSpec.args.{at}: {args[at]} is not allowed; {why}"
    with pytest.raises(SpecError) as e:
        ExplainerSpec.model_validate({**E, "args": args})
    assert str(e.value) == f"ExplainerSpec.args.{at}: {args[at]} is not allowed; {why}"


def test_the_stack_file_refuses_a_trailing_http_port() -> None:
    # runN N-tr-http-trailing through the stack file
    with pytest.raises(SpecError) as e:
        plan_config(_config(model(transformer={**T, "args": ["--http_port"]})))
    assert str(e.value).startswith("stacks/Pulumi.test.yaml: mlplatform:models.iris.transformer.args.0: --http_port ")


# ------------------------------------------------------------------------------------------------ 3: credentials


def _config(spec: dict[str, Any]) -> dict[str, Any]:
    return {"cloud": "existing", "platform": {"domain": "models.example.com"}, "models": {"iris": spec}}


def _stack_line(spec: dict[str, Any]) -> str:
    with pytest.raises(SpecError) as e:
        plan_config(_config(spec))
    return str(e.value)


CREDENTIAL_SPECS: dict[str, tuple[dict[str, Any], str]] = {
    # 3a: a number, a boolean or a list under a credential name
    "ME2-pw-int": (model(env={"DB_PASSWORD": 73914025611}), "73914025611"),
    "ME2-hf-int": ({**CUSTOM, "env": {"HF_TOKEN": 73914025611}}, "73914025611"),
    "ME2-secret-float": (model(env={"CLIENT_SECRET": 7391402.5611}), "7391402.5611"),
    "ME2-tr-token-int": (model(transformer={**T, "env": {"API_TOKEN": 73914025611}}), "73914025611"),
    "ME2-ex-pw-list": (model(explainer={**E, "env": {"PASSWORD": [SECRET]}}), SECRET),
    "ME-env-token-map": (model(env={"MY_TOKEN": {"a": SECRET}}), SECRET),
    # 3b: a secret pasted where a secretEnv reference belongs
    "ME2-secretenv-bad": (model(secretEnv={"DB_PASSWORD": SECRET}), SECRET),
    "secretenv-plain-name": (model(secretEnv={"DB": SECRET}), SECRET),
    # 3c: env in list and string form
    "ME2-token-listform": (model(env=[{"name": "MY_TOKEN", "value": SECRET}]), SECRET),
    "ME2-token-whole": (model(env=f"MY_TOKEN={SECRET}"), SECRET),
    # 3d: names outside the refused ones
    "ME-env-openai_key-int": (model(env={"OPENAI_KEY": 73914025611}), "73914025611"),
    "ME-env-auth-list": (model(env={"AUTH": [SECRET]}), SECRET),
    "env-pass-bool-list": (model(env={"db_pass": [True, SECRET]}), SECRET),
    # 3e: args with a NUL, a credential named by the flag
    "ME2-cu-arg-nul": ({**CUSTOM, "args": [f"--password={SECRET}\0"]}, SECRET),
    "ME2-tr-arg-nul": (model(transformer={**T, "args": [f"--api_key={SECRET}\0"]}), SECRET),
    "arg-nul-two-tokens": ({**CUSTOM, "args": ["--token", f"{SECRET}\0"]}, SECRET),
    "tr-arg-nul-two-tokens": (model(transformer={**T, "args": ["--x", "1", "--password", f"{SECRET}\0"]}), SECRET),
    # 3f: user information without a scheme, a credential in a query
    "ME-schemerel-userinfo": (model(storageUri="//u:hunter2@minio/bucket/m"), "hunter2"),
    "ME3-image-userinfo": (
        {**CUSTOM, "container": {**CUSTOM["container"], "image": "u:hunter2@ghcr.io/a/s:1"}},
        "hunter2",
    ),
    "ME3-image-token": (
        {**CUSTOM, "container": {**CUSTOM["container"], "image": f"https://ghcr.io/a/s:1?token={SECRET}"}},
        SECRET,
    ),
    "ME3-probe-path-token2": (
        {**CUSTOM, "container": {**CUSTOM["container"], "readinessProbe": {"path": f"h?token={SECRET}"}}},
        SECRET,
    ),
}


@pytest.mark.parametrize("case", list(CREDENTIAL_SPECS))
def test_no_part_of_a_credential_reaches_the_error_line(case: str) -> None:
    spec, secret = CREDENTIAL_SPECS[case]
    line = _stack_line(spec)
    assert line.startswith("stacks/Pulumi.test.yaml: mlplatform:models.iris.")
    assert secret not in line and "hunter" not in line and "s3cr3t" not in line and "7391402" not in line


def test_the_python_api_masks_by_key_path_too() -> None:
    # runPy PY-env-pw-int, PY-secretenv-plain
    assert SECRET not in _refused(model(secretEnv={"DB_PASSWORD": SECRET}))
    assert "73914025611" not in _refused(model(env={"DB_PASSWORD": 73914025611}))
    assert str(SpecError("env.OPENAI_KEY", 73914025611, "give a string")) == (
        f"env.OPENAI_KEY: {PLAIN_TEXT} is not allowed; give a string"
    )


@pytest.mark.parametrize(
    "text",
    [
        f"//u:{SECRET}@minio/bucket/m",
        f"u:{SECRET}@ghcr.io/a/s:1",
        f"https://h/x?token={SECRET}",
        f"https://h/x?access_token={SECRET}",
        f"https://h/x?a=1&sig={SECRET}",
        f"https://h/x?signature={SECRET}",
        f"https://b.s3.amazonaws.com/m?X-Amz-Signature={SECRET}",
        f"https://b.s3.amazonaws.com/m?X-Amz-Credential={SECRET}",
        f"https://storage.googleapis.com/b/m?X-Goog-Signature={SECRET}",
        f"https://storage.googleapis.com/b/m?X-Goog-Credential={SECRET}",
        f"https://h/cb?code={SECRET}&client_secret=x",
        f"https://h/x?client_secret={SECRET}",
        f"https://h/x?password={SECRET}",
        f"https://h/x?key={SECRET}",
        f"h?token={SECRET}",
        f"/x#access_token={SECRET}",
        f"Authorization: Bearer {SECRET}",
        f"x-header: Basic {SECRET}",
        f"MY_TOKEN={SECRET}",
        f"--password={SECRET}",
        f"--token {SECRET}",
        f"https://{SECRET}@github.com/a/b",
    ],
)
def test_show_masks_credential_text_in_any_field(text: str) -> None:
    assert SECRET not in show(text)
    assert SECRET not in show([text])
    assert SECRET not in show({"x": text})


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        (["--token", SECRET], SECRET),
        (["--password", SECRET, "--x", "1"], SECRET),
        ({"AUTH": [SECRET]}, SECRET),
        ({"OPENAI_KEY": 73914025611}, "73914025611"),
        ({"clientSecret": True}, "true"),
        ({"secretEnv": {"DB": SECRET}}, SECRET),
        ([{"name": "MY_TOKEN", "value": SECRET}], SECRET),
    ],
)
def test_show_masks_values_by_their_name(value: Any, secret: str) -> None:
    assert secret not in show(value)
    assert PLAIN_TEXT in show(value)


@pytest.mark.parametrize(
    "text",
    [
        "ghcr.io/acme/server:1.2",
        "ghcr.io/acme/server:1.2@sha256:" + "a" * 64,
        "server:1.2@sha256:" + "a" * 64,
        "/healthz",
        "/mnt/models/iris",
        "s3://bucket/models/iris",
        "https://h/x?versionId=3",
        "8080",
        "--http_port=8080",
        "--model_name=iris",
    ],
)
def test_ordinary_values_still_show(text: str) -> None:
    assert show(text) == text
    assert show({"MODEL_DIR": text}) in (f"{{MODEL_DIR: {text}}}", f'{{MODEL_DIR: "{text}"}}')
    assert show([text]) in (f"[{text}]", f'["{text}"]')


def test_ordinary_values_still_show_in_error_lines() -> None:
    line = _stack_line({**CUSTOM, "container": {**CUSTOM["container"], "image": "ghcr.io/acme/Server:1"}})
    assert ".container.image: ghcr.io/acme/Server:1 is not allowed" in line
    line = _stack_line(model(env={"MODEL_DIR": 8080}))
    assert ".env.MODEL_DIR: 8080 is not allowed" in line
    line = _stack_line({**CUSTOM, "container": {**CUSTOM["container"], "readinessProbe": {"path": "healthz"}}})
    assert ".readinessProbe.path: healthz is not allowed" in line


# ------------------------------------------------------------------------------------------------ 4: MLSERVER_HOST


@pytest.mark.parametrize("name", ["MLSERVER_HOST", "mlserver_host"])
def test_mlserver_host_is_refused(name: str) -> None:
    # SeldonIO/MLServer 1.7.1 mlserver/settings.py:211 host "0.0.0.0", the one address of the REST, gRPC and metrics
    # servers (rest/server.py:85, grpc/server.py:84, metrics/server.py:62); runRaw RAW-ml-host
    spec = model(runtime="kserve-mlserver", protocol="v2", env={name: "127.0.0.1"})
    assert _refused(spec).startswith(f"ModelSpec.env: {name} is not allowed; it would move where MLServer listens")


# ------------------------------------------------------------------------------------------------ 5: surrogate pairs


@pytest.mark.parametrize("value", [["\U0001f600" * 300], {"k": "\U0001f600" * 300}, ["a" + "\U0001f600" * 300]])
def test_a_cut_never_splits_a_surrogate_pair(value: Any) -> None:
    # runM: show(['\U0001F600'*300]) ended "...\ud83d... (truncated)", a lone high surrogate
    shown = show(value)
    assert shown.endswith(TRUNCATED)
    body = shown[: -len(TRUNCATED)]
    assert len(body) <= SHOW_WIDTH
    assert not body.endswith("\\ud83d")
    assert body.count("\\ud83d") == body.count("\\ude00")


@pytest.mark.parametrize("kind", ["env", "secretEnv"])
def test_the_openai_route_prefix_is_refused(kind: str) -> None:
    """rev14h defect 5: KSERVE_OPENAI_ROUTE_PREFIX moves a KServe Python server's OpenAI routes (kserve v0.20.0
    protocol/rest/openai/endpoints.py:40), and the AuthorizationPolicy allows /openai/... only: with "" every OpenAI
    call (/v1/chat/completions) was denied 403, and the plan passed."""
    value: Any = {"secret": "s", "key": "k"} if kind == "secretEnv" else ""
    spec = model(
        format="huggingface",
        storageUri="hf://Qwen/Qwen2.5-0.5B-Instruct",
        **{kind: {"KSERVE_OPENAI_ROUTE_PREFIX": value}},
    )
    shown = "{secret: s, key: k}" if kind == "secretEnv" else '""'  # the value (red14j break 12: main the name)
    assert _refused(spec) == (
        f"ModelSpec.{kind}.KSERVE_OPENAI_ROUTE_PREFIX: {shown} is not allowed; it would move "
        "kserve-huggingfaceserver's OpenAI routes off /openai (kserve v0.20.0 protocol/rest/openai/endpoints.py "
        "OPENAI_ROUTE_PREFIX), the paths the model's AuthorizationPolicy allows, so every OpenAI call would be "
        "denied; remove it"
    )


def test_the_openai_route_prefix_at_kserves_default_is_kept() -> None:
    """rev14i N2: ``/openai`` is KServe's own default (endpoints.py:40): the routes stay where the AuthorizationPolicy
    allows them, so a manifest that spells it out is not refused; any other value still is."""
    spec = model(
        format="huggingface",
        storageUri="hf://Qwen/Qwen2.5-0.5B-Instruct",
        env={"KSERVE_OPENAI_ROUTE_PREFIX": "/openai"},
    )
    assert ModelSpec.model_validate(spec).env == {"KSERVE_OPENAI_ROUTE_PREFIX": "/openai"}
    moved = model(
        format="huggingface", storageUri="hf://Qwen/Qwen2.5-0.5B-Instruct", env={"KSERVE_OPENAI_ROUTE_PREFIX": "/oai"}
    )
    assert "KSERVE_OPENAI_ROUTE_PREFIX: /oai is not allowed" in _refused(moved)
