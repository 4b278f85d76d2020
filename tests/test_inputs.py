"""Every input handled (issue #13) beyond the corpus: the command line's own mistakes, the top-level guard, the Python
API's one-line errors, YAML read the way the Pulumi CLI reads it, and rules whose inputs do not fit a stack file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from components.clusters import shares_one_gpu_per_request
from components.clusters.spec import covers_world
from components.credentials import looks_like_credential, redact_uri
from components.errors import SpecError
from components.plan import cli
from components.plan.cli import EXIT_INTERNAL, EXIT_INVALID, main
from components.plan.project import load_project, parse_stack_text, read_stack_file
from components.platform.settings import PlatformSettings, acme_dns01_fields, acme_dns01_providers
from components.serving.spec import ModelSpec
from components.spec import SpecInvalid
from infra.config import MAX_ARG_STRLEN, load, reserved_namespaces
from support import ROOT, flat_config, plan_config, upstream_dir

FILE = "stacks/Pulumi.t.yaml"
ANON = {"mode": "public", "allowAnonymous": True}
REACH = {"publicCidrs": ["203.0.113.0/24"], "deployFrom": ["203.0.113.0/24"]}
AWS = {"cloud": "aws", "region": "us-east-1", "tags": {"owner": "ml"}, "cluster": {"apiAccess": REACH}}
IRIS = {"format": "sklearn", "storageUri": "s3://models-bucket/iris", "access": ANON}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose program is this repository's infra/, with the local stack as ``ok``."""
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text(
        f"name: mlplatform\nruntime: python\nmain: {ROOT / 'infra'}/\nstackConfigDir: stacks\n"
    )
    shutil.copy(ROOT / "stacks" / "Pulumi.local.yaml", tmp_path / "stacks" / "Pulumi.ok.yaml")
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["plan", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err or code == EXIT_INTERNAL
    return code, err


# ------------------------------------------------------------------------------------------------ command line


def test_json_into_a_folder(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "--project", str(project), "--stack", "ok", "--json", str(project))
    assert (code, err) == (EXIT_INVALID, f"--json: {project}: is a folder; give a file path such as plan.json\n")


def test_json_on_a_full_disk(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "--project", str(project), "--stack", "ok", "--no-tree", "--json", "/dev/full")
    assert (code, err) == (EXIT_INVALID, "--json: /dev/full: cannot be written: No space left on device\n")


def test_json_where_no_folder_can_be_made(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "--project", str(project), "--stack", "ok", "--no-tree", "--json", "/proc/nope/p.json")
    assert (code, err) == (EXIT_INVALID, "--json: /proc/nope/p.json: cannot be written: No such file or directory\n")


def test_manifests_into_a_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = project / "notes.txt"  # Pulumi.yaml is refused as an input of the project before its shape is checked
    target.write_text("mine\n")
    code, err = run(capsys, "--project", str(project), "--stack", "ok", "--manifests", str(target))
    assert (code, err) == (
        EXIT_INVALID,
        f"--manifests: {target}: is a file; give a folder (it is created when missing)\n",
    )


def test_empty_stack_name_is_refused_not_every_stack(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "--project", str(project), "--stack", "")
    assert (code, err) == (EXIT_INVALID, '--stack: "" is not a stack name; stacks here: ok\n')


def test_all_with_no_stacks_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "stacks" / "Pulumi.ok.yaml").unlink()
    code, err = run(capsys, "--project", str(project), "--all")
    assert code == EXIT_INVALID
    assert err == (
        f"--all: {project.resolve() / 'stacks'}: has no stack files (Pulumi.<stack>.yaml); create one, or give "
        "--project with the project folder\n"
    )


def test_a_main_that_does_not_exist(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "Pulumi.yaml").write_text("name: mlplatform\nruntime: python\nmain: nowhere/\nstackConfigDir: stacks\n")
    code, err = run(capsys, "--project", str(project), "--all")
    assert code == EXIT_INVALID
    assert (
        err
        == f"{project / 'Pulumi.yaml'}: main: nowhere/ does not exist; give the folder or file of the Pulumi program\n"
    )


def test_a_bug_is_reported_as_one_not_as_bad_input(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(cli, "plan_stack", broken)
    code = main(["plan", "--project", str(project), "--stack", "ok"])
    _, err = capsys.readouterr()
    assert code == EXIT_INTERNAL
    assert "Traceback" in err
    assert err.splitlines()[-1] == (
        "mlplatform: internal error (a bug in mlplatform, not in your input): KeyError: 'boom'"
    )


# ------------------------------------------------------------------------------------------------ Python API


def test_python_api_errors_read_like_the_stack_ones() -> None:
    from components.clusters.spec import ClusterSpec

    with pytest.raises(SpecError) as info:
        ClusterSpec(name="NOT A NAME!!", kubernetes_version="banana")
    assert isinstance(info.value, SpecInvalid) and isinstance(info.value, ValueError)
    assert str(info.value) == (
        "ClusterSpec.name: NOT A NAME!! is not allowed; give 1-40 lowercase letters, digits and '-', starting with a "
        "letter (GKE's rule, on every cloud) (+1 more)"
    )


@pytest.mark.parametrize(
    ("build", "line"),
    [
        (
            lambda: __import__("components.serving.spec", fromlist=["ModelSpec"]).ModelSpec(
                **{**IRIS, "resources": {"gpus": True, "accelerator": "nvidia-l4"}}
            ),
            "ModelSpec.resources.gpus: true is not allowed; give an integer",
        ),
        (
            lambda: __import__("components.platform.settings", fromlist=["PlatformSettings"]).PlatformSettings(
                domain="models.example.com\n"
            ),
            'PlatformSettings.domain: "models.example.com\\n" is not allowed; give a DNS domain such as '
            "models.example.com (lowercase)",
        ),
        (
            lambda: __import__("components.clusters.spec", fromlist=["ClusterSpec"]).ClusterSpec(zones="3"),
            'ClusterSpec.zones: "3" is not allowed; give an integer',
        ),
        (
            lambda: __import__("components.clusters.spec", fromlist=["GpuPoolSpec"]).GpuPoolSpec.model_validate(
                {"accelerator": "nvidia-l4", "maxNodes": 8.5}
            ),
            "GpuPoolSpec.maxNodes: 8.5 is not allowed; give a whole number",
        ),
    ],
)
def test_python_api_is_strict_and_one_line(build: Any, line: str) -> None:
    with pytest.raises(SpecError) as info:
        build()
    assert str(info.value) == line


# ------------------------------------------------------------------------------------------------ YAML, as Pulumi


def test_a_quoted_date_stays_the_text_written() -> None:
    # a plain one is refused (test_a_plain_date_is_refused_as_the_cli_passes_it_on_as_rfc3339_text): go-yaml v3, the
    # CLI's reader, makes it a timestamp; main kept the plain text, as go-yaml v2 did
    doc = parse_stack_text(
        b"config:\n  mlplatform:tags:\n    expires: '2026-12-31'\n    at: \"2026-12-31T10:00:00Z\"\n", "f"
    )
    assert doc["config"]["mlplatform:tags"] == {"expires": "2026-12-31", "at": "2026-12-31T10:00:00Z"}


def test_merge_keys_merge_and_own_keys_win() -> None:
    text = (
        b"config:\n  mlplatform:models:\n    a: &m {format: sklearn, namespace: ns-a}\n"
        b"    b:\n      <<: *m\n      namespace: ns-b\n"
    )
    models = parse_stack_text(text, "f")["config"]["mlplatform:models"]
    assert models["b"] == {"format": "sklearn", "namespace": "ns-b"}


def test_keys_are_the_text_written_where_the_cli_keeps_it() -> None:
    # red14h break 3: the Pulumi CLI reads a stack file with go-yaml v3.0.1 (pulumi/pulumi
    # sdk/go/common/encoding/marshal.go) and turns each map key into text with fmt.Sprintf("%v")
    # (sdk/go/common/resource/config/value.go interfaceMapToStringMap): y, N, yes, on stay text (go-yaml v3 resolve.go
    # has only the true/false forms as booleans), and so do true, false and 10, whose %v is the text written
    doc = parse_stack_text(b"config:\n  x: {y: a, N: b, yes: c, on: d, true: e, 10: f, '1.30': g}\n", "f")
    assert doc["config"]["x"] == {"y": "a", "N": "b", "yes": "c", "on": "d", "true": "e", "10": "f", "1.30": "g"}


@pytest.mark.parametrize(
    ("key", "what"),
    [
        ("1.30", "the number 1.3"),  # kept as "1.30" on main: the CLI names it 1.3
        ("010", "the number 8"),
        ("0x10", "the number 16"),
        ("1e3", "the number 1000"),
        ("~", "null"),
        ("True", "the boolean true"),
        (".inf", "the number +Inf"),
        ("2001-12-14", "a timestamp"),
    ],
)
def test_a_key_the_cli_reads_as_other_text_is_refused(key: str, what: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_stack_text(f"config:\n  mlplatform:models:\n    {key}: {{format: sklearn}}\n".encode(), "f")
    shown = f'"{key}"' if "." in key else key  # a key path quotes a key with a dot (components.errors.show_key)
    assert str(info.value) == (
        f"f: mlplatform:models.{shown}: {key} is not allowed; the Pulumi CLI reads this key as {what}, not the text "
        f'written (go-yaml v3): quote it, "{key}"'
    )


def test_a_merge_key_after_the_maps_own_keys_leaves_them_winning() -> None:
    # red14h break 2 (/tmp/red14h/m1.yaml) assumed go-yaml v2; the CLI reads with go-yaml v3.0.1, whose decode.go
    # ``mapping`` sets the map's own keys first and applies ``<<`` after them, ``merge`` skipping every key the map
    # has (``mergedFields``): the own keys win wherever ``<<`` is written, as here
    text = b"a: &base {s: {lo: 1, hi: 2}, f: x}\nb: {s: {lo: 1, hi: 8}, <<: *base}\n"
    assert parse_stack_text(text, "f")["b"] == {"s": {"lo": 1, "hi": 8}, "f": "x"}


def test_a_merged_key_is_not_a_duplicate_but_a_repeated_own_key_is() -> None:
    with pytest.raises(SpecError) as info:
        parse_stack_text(b"a: &m {k: 1}\nb:\n  <<: *m\n  k: 2\n  k: 3\n", "f")
    assert str(info.value) == "f: line 5: YAML syntax error: k is given twice"


def test_a_stack_with_merge_keys_plans(project: Path) -> None:
    (project / "stacks" / "Pulumi.ok.yaml").write_text(
        "config:\n  mlplatform:cloud: existing\n  mlplatform:tags: {owner: ml}\n  mlplatform:models:\n"
        "    iris: &base\n      format: sklearn\n      storageUri: pvc://models/iris\n"
        "      access: {mode: public, allowAnonymous: true}\n"
        "    iris2:\n      <<: *base\n      storageUri: pvc://models/iris2\n"
    )
    cfg = read_stack_file(load_project(project), "ok")
    loaded = load(cfg.config, frozenset(cfg.secret_keys), FILE)
    assert loaded.config.models["iris2"].storage_uri == "pvc://models/iris2"
    assert loaded.config.models["iris2"].format == "sklearn"


# ------------------------------------------------------------------------------------------------ rules


def test_other_providers_namespaces_are_left_alone() -> None:
    raw = {
        **flat_config(AWS),
        "aws:region": "us-east-1",
        "aws:profile": "ml",
        "kubernetes:context": "kind",
        "pulumi:tags": '{"a": "b"}',
        "gcp:project": "x",
        "azure-native:location": "westeurope",
        "mlflow:x": "1",
    }
    assert load(raw, frozenset(), FILE).config.region == "us-east-1"


def test_azure_location_spelling_is_normalised() -> None:
    raw = {**flat_config({**AWS, "cloud": "azure", "region": "eastus"}), "azure-native:location": "East US"}
    assert load(raw, frozenset(), FILE).config.region == "eastus"


def test_a_huge_env_value_is_refused() -> None:
    big = "x" * MAX_ARG_STRLEN
    with pytest.raises(SpecError) as info:
        load(flat_config({**AWS, "models": {"iris": {**IRIS, "env": {"BIG": big}}}}), frozenset(), FILE)
    assert str(info.value) == (
        f"{FILE}: mlplatform:models.iris.env.BIG: ({MAX_ARG_STRLEN} bytes) is not allowed; give at most "
        f"{MAX_ARG_STRLEN - 5} bytes (Linux)"
    )


def test_a_secret_token_key_still_works() -> None:
    model = {**IRIS, "format": "huggingface", "storageUri": "hf://org/model", "modelSizeGb": 2.5}
    model["llm"] = {"huggingfaceTokenKey": "hfToken"}
    raw = {**flat_config({**AWS, "models": {"llm": model}}), "mlplatform:hfToken": "hf_secret"}
    loaded = load(raw, frozenset({"mlplatform:hfToken"}), FILE)
    assert loaded.secrets == {"hfToken": "hf_secret"}


def test_reserved_namespaces_cover_every_namespace_the_platform_declares() -> None:
    """Every Namespace the program declares that no model asked for is one a model may not take."""
    for stack in ("local", "aws-dev"):
        path = ROOT / "stacks" / f"Pulumi.{stack}.yaml"
        if not path.exists():
            continue
        cfg = read_stack_file(load_project(ROOT), stack)
        from components.plan.engine import run_program

        result = run_program(ROOT, stack, cfg.config, cfg.secret_keys, main=load_project(ROOT).main)
        models = json.loads(cfg.config.get("mlplatform:models", "{}"))
        model_ns = {m.get("namespace", "models") for m in models.values()}
        declared = {
            r.plain_inputs()["metadata"]["name"] for r in result.resources if r.type == "kubernetes:core/v1:Namespace"
        }
        assert declared - model_ns <= reserved_namespaces(), stack


def test_time_slicing_rule_matches_the_clusters() -> None:
    from components.clusters import aks, eks

    assert shares_one_gpu_per_request("aws", "time-slicing") is eks.NEEDS_DEVICE_PLUGIN
    assert shares_one_gpu_per_request("azure", "time-slicing") is aks.NEEDS_DEVICE_PLUGIN
    # MPS too: k8s-device-plugin v0.20.0 api/config/v1/config.go sets failRequestsGreaterThanOne for MPS by default
    assert shares_one_gpu_per_request("aws", "mps") is eks.NEEDS_DEVICE_PLUGIN
    assert not shares_one_gpu_per_request("aws", "mig")
    # fixshare A: GKE's own device plugin refuses more than one shared GPU too
    # (GoogleCloudPlatform/container-engine-accelerators@992db81 pkg/gpu/nvidia/gpusharing/gpusharing.go
    # ValidateRequest: time-sharing always, MPS on multi-GPU nodes; on a one-GPU MPS node it would grant shares of
    # one GPU)
    assert shares_one_gpu_per_request("gcp", "time-slicing")
    assert shares_one_gpu_per_request("gcp", "mps")
    assert not shares_one_gpu_per_request("gcp", "mig")


def test_cluster_errors_carry_the_stack_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """A check a cluster makes itself (here forced) reaches the user with the stack file and namespace in front."""
    from components.clusters import existing

    def refuse(self: Any, *_: Any, **__: Any) -> None:
        raise SpecError("cluster.existing.context", "nope", "give a context of the kubeconfig")

    monkeypatch.setattr(existing.ExistingCluster, "__init__", refuse)
    with pytest.raises(SpecError) as info:
        plan_config({"cloud": "existing", "tags": {"owner": "ml"}}, stack="t")
    assert str(info.value) == (
        "stacks/Pulumi.t.yaml: mlplatform:cluster.existing.context: nope is not allowed; give a context of the "
        "kubeconfig"
    )


def test_rendered_objects_are_unique_when_names_overlap() -> None:
    """Models named like each other's children (``a`` and ``a-sa``, ``a-jwt`` ...) still render distinct objects:
    within a namespace every kind has one role, so (apiVersion/kind, namespace, name) never repeats."""
    jwt = {"mode": "public", "jwt": {"issuer": "https://i.example.com", "jwksUri": "https://i.example.com/k"}}
    base = {"format": "sklearn", "storageUri": "pvc://models/m", "access": jwt, "scaling": {"minReplicas": 2}}
    names = ["a", "a-sa", "a-jwt", "a-authz", "a-pdb", "a-metrics", "a-alerts", "a-isvc"]
    result = plan_config({"cloud": "existing", "tags": {"owner": "ml"}, "models": {n: base for n in names}})
    seen: dict[tuple[str, str, str], str] = {}
    for reg in result.resources:
        if not reg.type.startswith("kubernetes:") or "helm" in reg.type:
            continue
        inputs = reg.plain_inputs()
        meta = inputs.get("metadata") or {}
        kind = f"{inputs.get('apiVersion', '')}/{inputs.get('kind', reg.type)}"
        key = (kind, str(meta.get("namespace")), str(meta.get("name")))
        assert key not in seen, f"{key} rendered by {seen[key]} and {reg.name}"
        seen[key] = reg.name
    assert sum(1 for k in seen if k[0].endswith("InferenceService")) == len(names)


# ---------------------------------------------------------------------------------------- red team (#13, round 2)


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["bogus", "x"], "mlplatform: argument command: invalid choice: 'bogus'"),
        (["plan", "--bogus"], "mlplatform: unrecognized arguments: --bogus; see mlplatform --help"),
        (["plan", "--stack", "a", "--stack", "b"], "mlplatform plan: --stack given twice (a, b); give it once"),
    ],
)
def test_argparse_errors_are_one_line_exit_2(argv: list[str], line: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == EXIT_INVALID
    assert err.count("\n") == 1 and err.startswith(line), err
    assert "usage:" not in out + err


@pytest.mark.parametrize(
    ("build", "line"),
    [
        (
            lambda: ModelSpec(storage_uri="hf://a/b", format="huggingface", namespace="kube-system", access=ANON),
            "ModelSpec.namespace: kube-system is not allowed; a platform or Kubernetes system namespace",
        ),
        (
            lambda: ModelSpec(storage_uri="hf://a/b", format="huggingface", namespace="kube-flannel", access=ANON),
            "ModelSpec.namespace: kube-flannel is not allowed; a platform or Kubernetes system namespace",
        ),
        (
            lambda: ModelSpec(storage_uri="hf://a/b", format="huggingface", resources={"memory": "0"}, access=ANON),
            "ModelSpec.resources.memory: 0 is not allowed; give a quantity above zero",
        ),
        (
            lambda: (
                ModelSpec(storage_uri="hf://a/b", format="huggingface", env={"GH": "x " * 3}, access=ANON)
                and ModelSpec(storage_uri="hf://a/b", format="huggingface", env={"X": " hf_" + "a" * 30}, access=ANON)
            ),
            "ModelSpec.env.X: [plain text] is not allowed; a credential in env",
        ),
        (
            lambda: ModelSpec(storage_uri="s3://AKIA:pw@bucket/x", format="sklearn", access=ANON),
            "ModelSpec.storageUri: s3://[plain text]@bucket/x is not allowed; credentials in the URI",
        ),
        (
            lambda: (
                PlatformSettings(
                    tls={"issuer": "acme", "acme_email": "a@b.io", "acme_dns01": {"webhook": {"config": [{"k": 1}]}}}
                )
                and PlatformSettings(
                    tls={"issuer": "acme", "acme_email": "a@b.io", "acme_dns01": {"cloudflare": {"apiToken": 12345}}}
                )
            ),
            "PlatformSettings.tls.acmeDns01.cloudflare.apiToken: [plain text] is not allowed; a credential here",
        ),
    ],
)
def test_model_and_platform_rules_run_in_the_specs(build: Any, line: str) -> None:
    """The rules config.py used to run alone now run in the specs: a Python caller gets the stack file's line."""
    with pytest.raises(SpecInvalid) as info:
        build()
    assert str(info.value).startswith(line), str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "value",
    [
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789",
        "glpat-abcdefghij0123456789",
        "AIzaSyA1234567890abcdefghijklmnopqrstuv",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_part",
        "Bearer abcdef0123456789",
        "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=bXlrZXk=;EndpointSuffix=core.windows.net",
        "postgres://admin:hunter2@db.internal:5432/feast",
        "  hf_abcdefghijklmnopqrstuvwxyz  ",
        "--token=ghp_abcdefghijklmnopqrstuvwxyz",
    ],
)
def test_credential_shapes_are_recognised(value: str) -> None:
    assert looks_like_credential(value)


@pytest.mark.parametrize(
    "value",
    [
        "https://huggingface.co/Qwen/Qwen2.5",  # a URL without user:password
        "postgres://db.internal:5432/feast",
        "bearer-token-path",  # a word, not an Authorization value
        "eyJ-not-a-jwt",
        "info",
        "sk-short",
        "--max-model-len=4096",
        "AccountKeyName",  # no '='
        "my_hf_home",
    ],
)
def test_ordinary_values_are_not_credentials(value: str) -> None:
    assert not looks_like_credential(value)


def test_redaction_keeps_what_is_not_a_credential() -> None:
    assert redact_uri("s3://AKIA:pw@bucket/x?versionId=3") == "s3://[plain text]@bucket/x?versionId=3"
    assert (
        redact_uri("https://a.blob.core.windows.net/c/x?sv=1&sig=abc")
        == "https://a.blob.core.windows.net/c/x?[plain text]"
    )
    assert redact_uri("gs://bucket/x") == "gs://bucket/x"


def test_acme_providers_are_the_cert_manager_crds() -> None:
    """The DNS-01 providers (the non-cloud ones and the registered clouds' ``Cloud.dns01_solver``) are the dns01
    solver's object fields in cert-manager v1.21.1's ClusterIssuer schema."""
    schema = json.loads((upstream_dir() / "crd-schemas/cert-manager.io/clusterissuer_v1.json").read_text())
    solver = schema["properties"]["spec"]["properties"]["acme"]["properties"]["solvers"]["items"]["properties"]
    fields = solver["dns01"]["properties"]
    assert set(acme_dns01_providers()) == {k for k, v in fields.items() if v.get("type") == "object"}
    assert set(acme_dns01_fields()) == set(fields)


@pytest.mark.parametrize(
    ("cidrs", "world"),
    [(["0.0.0.0/1", "128.0.0.0/1"], "0.0.0.0/0"), (["::/1", "8000::/1"], "::/0"), (["203.0.113.0/24"], None)],
)
def test_cidr_sets_that_cover_the_world(cidrs: list[str], world: str | None) -> None:
    assert covers_world(cidrs) == world


def test_only_true_and_false_are_booleans() -> None:
    """go-yaml v3.0.1, the Pulumi CLI's reader since v3.50.0 (pulumi/pulumi sdk/go/common/encoding/marshal.go),
    resolves only the true/false spellings as booleans (resolve.go resolveMapList): y, N, yes, on stay text, which main
    read as booleans (go-yaml v2's table). (A BOM past the start is refused: tests/plan/test_stack_contract_r14j.py.)"""
    doc = parse_stack_text(b"a: y\nb: N\nc: yes\nd: 'y'\ne: 1\nf: on\ng: True\nh: FALSE\n", FILE)
    assert doc == {"a": "y", "b": "N", "c": "yes", "d": "y", "e": 1, "f": "on", "g": True, "h": False}


def test_a_plain_date_is_refused_as_the_cli_passes_it_on_as_rfc3339_text() -> None:
    # go-yaml v3.0.1 decode.go scalar: a timestamp decoded into any is a time.Time (v2 kept the text), which the CLI
    # writes as 2001-12-14T00:00:00Z; main kept "2001-12-14"
    with pytest.raises(SpecError) as info:
        parse_stack_text(b"config:\n  mlplatform:models:\n    m:\n      env: {SINCE: 2001-12-14}\n", "f")
    assert str(info.value) == (
        "f: mlplatform:models.m.env.SINCE: 2001-12-14 is not allowed; the Pulumi CLI reads it as a timestamp and "
        "passes it on as RFC 3339 text (2001-12-14 as 2001-12-14T00:00:00Z), not the text written (go-yaml v3): quote "
        'it, "2001-12-14"'
    )
    assert parse_stack_text(b"config:\n  x: '2001-12-14'\n", "f") == {"config": {"x": "2001-12-14"}}
