"""The stack-file and Python API breaks red team #14f found (/work/wt/red14f-report.md, breaks 1-6): args and env that
move or replace a KServe runtime's server, KServe's agent port reached through a flag, a transformer's ``--http_port``
given twice and a component's ``--model_name``, component timeouts above max-revision-timeout, a collocated model
server's probes in Knative mode, and tolerationSeconds Pulumi cannot carry."""

from __future__ import annotations

from typing import Any

import pytest
from serving_support import ISVC, JWT, model, plan

from components.errors import SpecError
from components.serving.kcomponents import ExplainerSpec, TransformerSpec
from components.serving.spec import ModelSpec, platform_problems

T: dict[str, Any] = {"container": {"image": "ghcr.io/acme/t:1.0", "port": {"number": 8080}}}
E: dict[str, Any] = {"container": {"image": "ghcr.io/acme/e:1.0", "port": {"number": 8080}}}
CUSTOM: dict[str, Any] = {
    "container": {"image": "ghcr.io/acme/srv:1.0", "port": {"number": 8085}},
    "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
    "publicStorage": True,
    "access": {"allowAnonymous": True},
}
LLM_CPU = model(format="huggingface", storageUri="hf://distilbert/distilbert-base-uncased", access={"jwt": JWT})


def _refused(spec: dict[str, Any]) -> str:
    with pytest.raises(SpecError) as e:
        ModelSpec.model_validate(spec)
    return str(e.value)


# ------------------------------------------------------------------------------------------------ 1: runtime servers

MLSERVER_ARGS = (
    "kserve-mlserver's image (seldonio/mlserver:1.7.1) starts MLServer from its CMD and has no ENTRYPOINT, so args "
    "would replace that whole command line (Kubernetes runs args without a command as the image's entrypoint); "
    "remove args, and give MLServer settings as MLSERVER_* env"
)


@pytest.mark.parametrize(
    "spec",
    [
        model(runtime="kserve-mlserver", args=["--debug"]),  # runY Y-ml-args
        model(protocol="v2", args=["--debug"]),  # Y-ml-args-auto: v2 sklearn auto-selects kserve-mlserver
        model(format="xgboost", runtime="kserve-mlserver", args=["mlserver", "start", "/mnt/models"]),
    ],
    ids=["named", "auto-selected", "a-whole-command"],
)
def test_args_on_kserve_mlserver_are_refused(spec: dict[str, Any]) -> None:
    # SeldonIO/MLServer tag 1.7.1 Dockerfile:133-135: CMD only, no ENTRYPOINT; the ClusterServingRuntime has no
    # command or args (upstream/reference/kserve-v0.20.0-clusterservingruntimes.yaml), so the args became the command
    assert _refused(spec) == f"ModelSpec.args.0: {spec['args'][0]} is not allowed; {MLSERVER_ARGS}"


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("env", "MLSERVER_HTTP_PORT"),
        ("env", "MLSERVER_GRPC_PORT"),
        ("env", "MLSERVER_METRICS_PORT"),
        ("env", "mlserver_http_port"),  # pydantic-settings reads environment names case-insensitively by default
        ("secretEnv", "MLSERVER_HTTP_PORT"),
    ],
)
def test_env_that_moves_an_mlserver_port_is_refused(kind: str, name: str) -> None:
    value: object = "9000" if kind == "env" else {"secret": "s", "key": "k"}
    spec = model(runtime="kserve-mlserver", protocol="v2", **{kind: {name: value}})
    assert _refused(spec) == (
        f"ModelSpec.{kind}: {name} is not allowed; it would move where MLServer listens (mlserver/settings.py 1.7.1 "
        "host, http_port, grpc_port, metrics_port, read from MLSERVER_* case-insensitively), and KServe's runtime has "
        "it listen on 0.0.0.0 with MLSERVER_HTTP_PORT=8080 and MLSERVER_GRPC_PORT=9000, where mlplatform routes; "
        "remove it"
    )


def test_mlserver_settings_that_move_nothing_and_other_runtimes_args_stay_accepted() -> None:
    spec = ModelSpec.model_validate(model(runtime="kserve-mlserver", protocol="v2", env={"MLSERVER_DEBUG": "true"}))
    assert spec.env == {"MLSERVER_DEBUG": "true"}
    # the kserve Python servers append the model's args to their own (SERVER_FLAGS), so an arg is no command there
    assert ModelSpec.model_validate(model(args=["--workers=2"])).args == ["--workers=2"]
    # the same env on a runtime that is not MLServer is nobody's setting
    assert ModelSpec.model_validate(model(env={"MLSERVER_HTTP_PORT": "9000"})).env == {"MLSERVER_HTTP_PORT": "9000"}


GRPC_PORT_WHY = (
    "it would move {rt}'s gRPC server (kserve model_server.py --grpc_port, default 8081), which mlplatform routes "
    "to for grpc-v2 and which must stay off KServe's agent port 9081; remove it"
)


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["--grpc_port=9000"], "--grpc_port=9000"),  # Y-sk-grpc_port
        (["--grpc_port", "9000"], "--grpc_port"),  # Y-sk-grpc_port-space
        (["--grpc-port=9000"], "--grpc-port=9000"),  # the dashed spelling (vLLM's FlexibleArgumentParser reads it)
        (["--grpc_p=9000"], "--grpc_p=9000"),  # an argparse abbreviation
    ],
)
def test_a_grpc_port_flag_on_a_kserve_python_server_is_refused(args: list[str], shown: str) -> None:
    # kserve v0.20.0 python/kserve/kserve/model_server.py:58-62 --grpc_port, read by every <name>server through
    # parents=[kserve.model_server.parser]; the render names 8081 as h2c (runtimes.V2_GRPC_PORTS)
    spec = model(runtime="kserve-sklearnserver", protocol="grpc-v2", args=args)
    assert _refused(spec) == f"ModelSpec.args.0: {shown} is not allowed; " + GRPC_PORT_WHY.format(
        rt="kserve-sklearnserver"
    )


def test_disabling_grpc_is_refused_only_where_the_model_is_served_over_grpc() -> None:
    spec = model(runtime="kserve-sklearnserver", protocol="grpc-v2", args=["--enable_grpc=false"])
    assert _refused(spec) == (
        "ModelSpec.args.0: --enable_grpc=false is not allowed; the model is served over grpc-v2, on "
        "kserve-sklearnserver's gRPC server (kserve model_server.py --enable_grpc); remove it"
    )
    # over v1 REST the gRPC server serves nothing mlplatform routes to
    assert ModelSpec.model_validate(model(args=["--enable_grpc=false"])).args == ["--enable_grpc=false"]


@pytest.mark.parametrize(
    ("args", "shown"), [(["--http_port=9000"], "--http_port=9000"), (["--http_port", "9000"], "--http_port")]
)
def test_an_http_port_flag_on_the_hugging_face_server_is_refused(args: list[str], shown: str) -> None:
    # runY Y-hf-http_port(-cpu): the HF runtime sets only --model_name, so SERVER_FLAGS did not list --http_port;
    # huggingfaceserver __main__.py:76-78 parents=[kserve.model_server.parser], model_server.py:222 args.http_port
    assert _refused({**LLM_CPU, "args": args}) == (
        f"ModelSpec.args.0: {shown} is not allowed; it would move kserve-huggingfaceserver's HTTP server off 8080 "
        "(kserve model_server.py --http_port), the port KServe's Service and Knative route to; remove it"
    )


def test_a_grpc_v2_sklearn_model_renders_the_port_the_refused_flags_would_move() -> None:
    # what the refusals protect: Knative routes to the one declared port, h2c 8081
    planned = plan(model(runtime="kserve-sklearnserver", protocol="grpc-v2"))
    predictor = planned.result.one(ISVC).plain_inputs()["spec"]["predictor"]["model"]
    assert predictor["ports"] == [{"name": "h2c", "containerPort": 8081, "protocol": "TCP"}]


# ------------------------------------------------------------------------------------------------ 2: the agent port

AGENT = (
    "a kserve model server would listen on it (kserve model_server.py {flag}), and in this pod KServe's agent "
    "(batcher, logger) serves on 9081; give another port"
)


@pytest.mark.parametrize(
    "extra",
    [{"logger": {"mode": "all"}}, {"batcher": {"maxBatchSize": 4}}],
    ids=["logger", "batcher"],
)
def test_a_kserve_runtime_grpc_port_on_the_agent_port_is_refused(extra: dict[str, Any]) -> None:
    # runY Y-xgb-grpc-logger / Y-sk-grpc-batcher: spec.py compared container.port.number only
    spec = model(format="xgboost", args=["--grpc_port=9081"], **extra)
    assert _refused(spec) == "ModelSpec.args.0: --grpc_port=9081 is not allowed; " + GRPC_PORT_WHY.format(
        rt="kserve-xgbserver"
    )


@pytest.mark.parametrize("args", [["--grpc_port=9081"], ["--grpc_port", "9081"], ["--http_port=9081"]])
def test_a_custom_server_flag_on_the_agent_port_is_refused_with_an_agent_only(args: list[str]) -> None:
    spec = {**CUSTOM, "args": args, "logger": {"mode": "all"}}
    flag = args[0].split("=", 1)[0]
    assert _refused(spec) == f"ModelSpec.args.0: {args[0]} is not allowed; " + AGENT.format(flag=flag)
    del spec["logger"]  # no agent in the pod
    assert ModelSpec.model_validate(spec).args == args


def test_a_collocated_transformer_flag_on_the_agent_port_is_refused() -> None:
    transformer = {
        "collocated": True,
        **T,
        "args": ["--predictor_host=localhost:8085", "--grpc_port=9081"],
    }
    spec = {**CUSTOM, "transformer": transformer, "batcher": {"maxBatchSize": 4}}
    assert _refused(spec) == "ModelSpec.transformer.args.1: --grpc_port=9081 is not allowed; " + AGENT.format(
        flag="--grpc_port"
    )


def test_a_logging_components_grpc_port_on_the_agent_port_is_refused() -> None:
    # runX R7n5: a transformer with its own logger and [--http_port=8080, --grpc_port=9081]
    with pytest.raises(SpecError) as e:
        TransformerSpec.model_validate(
            {**T, "args": ["--http_port=8080", "--grpc_port=9081"], "logger": {"mode": "all"}}
        )
    assert str(e.value) == "TransformerSpec.args.1: --grpc_port=9081 is not allowed; " + AGENT.format(
        flag="--grpc_port"
    )
    with pytest.raises(SpecError) as e:
        ExplainerSpec.model_validate({**E, "args": ["--grpc_port=9081"], "logger": {"mode": "all"}})
    assert str(e.value) == "ExplainerSpec.args.0: --grpc_port=9081 is not allowed; " + AGENT.format(flag="--grpc_port")
    # KServe appends --http_port 8080 to an explainer's args whatever they say (explainer_custom.go:86)
    ExplainerSpec.model_validate({**E, "args": ["--http_port=9081"], "logger": {"mode": "all"}})
    TransformerSpec.model_validate({**T, "args": ["--grpc_port=9081"]})  # no logger: no agent


# ------------------------------------------------------------------------------------------------ 3: component args


def test_a_transformer_http_port_given_twice_is_read_as_the_server_reads_it() -> None:
    # argparse keeps the last value; mlplatform read the first (kcomponents.py _http_port_arg)
    for args in (["--http_port=8080", "--http_port=9000"], ["--http_port", "8080", "--http_port", "9000"]):
        with pytest.raises(SpecError) as e:
            TransformerSpec.model_validate({**T, "args": args})
        assert str(e.value) == (
            "TransformerSpec.container.port.number: 8080 is not allowed; give 9000, the port the transformer serves "
            "on (--http_port=9000 in args); or pass --http_port=<port> in args"
        )
        box = {**T["container"], "port": {"number": 9000}}
        assert TransformerSpec.model_validate({"container": box, "args": args}).container.port.number == 9000
    with pytest.raises(SpecError) as e:  # argparse converts every occurrence: a bad first one fails the server
        TransformerSpec.model_validate({**T, "args": ["--http_port=x", "--http_port=8080"]})
    assert str(e.value) == (
        "TransformerSpec.args.0: --http_port=x is not allowed; --http_port takes a whole number, and argparse exits "
        "on another value (type=int: invalid int value); give --http_port=<number>"
    )


@pytest.mark.parametrize(
    ("key", "args"),
    [
        ("transformer", ["--model_name=other"]),  # runY Y-tr-model_name
        ("transformer", ["--model_name", "other"]),
        ("explainer", ["--model_name=other"]),  # Y-ex-model_name
    ],
)
def test_a_component_model_name_the_runtime_does_not_serve_is_refused(key: str, args: list[str]) -> None:
    # KServe passes --model_name <isvc> only when the args have none (transformer_custom.go:93-97,
    # explainer_custom.go:74-78, IncludesArg), and the component calls the predictor by its own name
    # (python/kserve/kserve/model.py _http_predict), while kserve-sklearnserver serves it as {{.Name}}
    part = T if key == "transformer" else E
    with pytest.raises(SpecError) as e:
        plan(model(**{key: {**part, "args": args}}), name="iris")
    assert str(e.value) == (
        f"{key}.args.0: {args[0]} is not allowed; the {key} calls the predictor by its --model_name (argparse keeps "
        "the last one, an abbreviation too), and kserve-sklearnserver serves the model as iris (KServe passes "
        "--model_name iris when no arg starts with --model_name); give --model_name=iris or remove it"
    )


def test_a_component_model_name_that_is_the_served_name_or_a_custom_servers_is_accepted() -> None:
    planned = plan(model(transformer={**T, "args": ["--model_name=iris"]}), name="iris")
    assert planned.result.one(ISVC).plain_inputs()["spec"]["transformer"]["containers"][0]["args"] == [
        "--model_name=iris"
    ]
    # a custom predictor, or torchserve, serves names of its own (KServe's transformer doc: --model_name mnist)
    plan(
        {
            **CUSTOM,
            "container": {**CUSTOM["container"], "port": {"number": 8080}},
            "transformer": {**T, "args": ["--model_name", "mnist"]},
        }
    )
    plan(model(format="pytorch", transformer={**T, "args": ["--model_name", "mnist"]}))


# ------------------------------------------------------------------------------------------------ 4: timeouts


@pytest.mark.parametrize("cls", [TransformerSpec, ExplainerSpec])
def test_a_component_timeout_is_bounded_like_the_models(cls: type[TransformerSpec] | type[ExplainerSpec]) -> None:
    # KServe sets the component's Knative timeoutSeconds from it (ksvc_reconciler.go:209), and Knative refuses one
    # above max-revision-timeout-seconds (revision_validation.go validateTimeoutSeconds); it was le=3600
    part = T if cls is TransformerSpec else E
    for timeout in (1801, 3600):
        with pytest.raises(SpecError) as e:
            cls.model_validate({**part, "timeout": timeout})
        assert str(e.value) == (
            f"{cls.__name__}.timeout: {timeout} is not allowed; give at most 1800 (the platform's max-revision-timeout)"
        )
    assert cls.model_validate({**part, "timeout": 1800}).timeout == 1800


# ------------------------------------------------------------------------------------------------ 5: collocated probes


@pytest.mark.parametrize("probe", ["readinessProbe", "livenessProbe"])
def test_a_collocated_model_servers_probe_is_refused_in_knative_mode(probe: str) -> None:
    # knative-v1.21.3 k8s_validation.go:537-547 validateSidecarContainer with multi-container-probing off
    spec = ModelSpec.model_validate(
        {
            **CUSTOM,
            "container": {**CUSTOM["container"], probe: {"path": "/h"}},
            "transformer": {**T, "collocated": True, "args": ["--predictor_host=localhost:8085"]},
        }
    )
    problem = platform_problems(spec, "Knative")[0]
    assert problem == (
        f"container.{probe}",
        getattr(spec.container, "readiness_probe" if probe == "readinessProbe" else "liveness_probe"),
        "beside a collocated transformer the model server's container has no port, so Knative runs it as a sidecar "
        f"and refuses its {probe} (k8s_validation.go validateSidecarContainer, multi-container-probing off); remove "
        "it (the transformer's probes and Knative's on its port stay)",
    )
    # Standard mode: a Deployment, whose containers all keep their probes
    assert not [p for p in platform_problems(spec, "Standard") if p[0].startswith("container.")]
    # not collocated: the model server keeps its port and is Knative's serving container
    alone = ModelSpec.model_validate({**CUSTOM, "container": {**CUSTOM["container"], probe: {"path": "/h"}}})
    assert platform_problems(alone, "Knative") == []


def test_the_collocated_render_drops_the_port_that_makes_the_model_server_a_sidecar() -> None:
    planned = plan({**CUSTOM, "transformer": {**T, "collocated": True, "args": ["--predictor_host=localhost:8085"]}})
    server, side = planned.result.one(ISVC).plain_inputs()["spec"]["predictor"]["containers"]
    assert "ports" not in server and [p["containerPort"] for p in side["ports"]] == [8080]


# ------------------------------------------------------------------------------------------------ 6: tolerationSeconds


def test_toleration_seconds_beyond_a_double_are_refused() -> None:
    toleration = {"key": "a", "operator": "Exists", "effect": "NoExecute"}
    for seconds in (2**53 + 1, 2**63 - 1):
        spec = model(tolerations=[{**toleration, "tolerationSeconds": seconds}])
        assert _refused(spec) == (
            f"ModelSpec.tolerations.0.tolerationSeconds: {seconds} is not allowed; give at most 9007199254740992 "
            "(2^53): Pulumi carries numbers as doubles, which change a larger whole number"
        )
    spec = ModelSpec.model_validate(model(tolerations=[{**toleration, "tolerationSeconds": 2**53}]))
    assert spec.tolerations is not None and spec.tolerations[0].toleration_seconds == 2**53
