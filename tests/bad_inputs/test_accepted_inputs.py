"""Hostile-looking inputs a platform engineer would expect to be ACCEPTED (and kept as written), next to the corpus
of refused ones: refusing them would be the validators' taste, not a rule of Kubernetes, Linux or the clouds.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.plan.project import parse_stack_text
from components.serving._monitoring import prometheus_rules
from components.serving._runtime import env, runtime_args
from components.serving.spec import ModelSpec
from infra.config import MAX_BUDGET, load
from support import flat_config

IRIS: dict[str, Any] = {
    "format": "sklearn",
    "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
    "publicStorage": True,
    "access": {"mode": "public", "allowAnonymous": True},
}


def model(**extra: Any) -> ModelSpec:
    return ModelSpec.model_validate({**IRIS, **extra})


def test_env_names_differing_only_in_case_are_two_variables() -> None:
    """Linux and Kubernetes env names are case-sensitive (apimachinery envVarNameFmt has no case rule): FOO and foo
    are two variables, both rendered."""
    spec = model(env={"FOO": "a", "foo": "b"})
    assert env(spec, None) == [{"name": "FOO", "value": "a"}, {"name": "foo", "value": "b"}]


def test_newlines_in_env_values_and_args_are_kept() -> None:
    """A value or argument may hold a newline (a PEM block, a multi-line prompt): execve passes it as written."""
    spec = model(env={"CA": "line one\nline two"}, args=["--workers=2\n"])
    assert env(spec, None) == [{"name": "CA", "value": "line one\nline two"}]
    assert runtime_args(spec) == ["--workers=2\n"]


def test_args_that_do_not_touch_runtime_flags_pass() -> None:
    """Flags the runtime does not set, and values that merely contain a runtime flag's name, are the user's."""
    spec = model(args=["--workers=2", "--extra=--model_name", "positional"])
    assert runtime_args(spec) == ["--workers=2", "--extra=--model_name", "positional"]


def test_a_tiny_error_rate_objective_alerts_on_any_5xx() -> None:
    """errorRatePercent: 1e-12 means "alert on any 5xx"; PromQL reads the exponent form as a float literal."""
    rules = prometheus_rules("iris", model(slo={"errorRatePercent": 1e-12}), "dev")
    assert rules is not None
    assert rules["groups"][0]["rules"][0]["expr"].endswith(" > 1e-12")


def test_exponent_floats_are_numbers_as_for_the_pulumi_cli() -> None:
    """go-yaml v2 (the Pulumi CLI's reader) reads 1e-12 and 1e3 as floats; 1e400 (out of range) stays text; Go's JSON
    hands a whole float below 1e21 to the program without a fraction, so 1e3 arrives as 1000."""
    doc = parse_stack_text(b"config:\n  a: 1e-12\n  b: 1e3\n  c: 1e400\n  d: '1e3'\n  e: 1.5\n", "stacks/x.yaml")
    assert doc["config"] == {"a": 1e-12, "b": 1000, "c": "1e400", "d": "1e3", "e": 1.5}
    assert isinstance(doc["config"]["b"], int)


@pytest.mark.parametrize("cpu", ["1e3", "1E3", "1.", ".5", "+2"])
def test_every_kubernetes_quantity_form_is_a_quantity(cpu: str) -> None:
    """An existing cluster's nodes are not known, so any well-formed quantity above zero is accepted there."""
    assert model(resources={"cpu": cpu}).resources.cpu == cpu


def stack(**extra: Any) -> dict[str, Any]:
    return {"cloud": "existing", "tags": {"owner": "ml-team"}, "models": {"iris": IRIS}, **extra}


@pytest.mark.parametrize("budget", ["19.99", "0.01", str(MAX_BUDGET), "5000"])
def test_budgets_to_the_cent_up_to_the_largest_exact_amount_pass(budget: str) -> None:
    cfg = load(flat_config(stack(budget=budget)), set(), "stacks/Pulumi.t.yaml").config
    assert cfg.budget == float(budget)


def test_shared_address_space_is_a_private_vpc_range() -> None:
    """100.64.0.0/10 (RFC 6598) is accepted like RFC 1918 space for the cluster's own network."""
    from components.clusters.spec import AwsSpec

    assert AwsSpec.model_validate({"vpcCidr": "100.64.0.0/16"}).vpc_cidr == "100.64.0.0/16"


def test_an_upper_case_gcp_tag_key_becomes_the_lowercase_label_required_tags_expects() -> None:
    """GCP label keys are lowercase (cloud.google.com/resource-manager/docs/labels-overview#requirements): the stack's
    ``Owner`` becomes the label ``owner`` (components.clusters.gke.gcp_labels), and policy.requiredTags is matched the
    same way (policy.clouds.gcp.label_key, the GCP policy module's), so the normalised stack satisfies
    ``requiredTags: [Owner]`` and ``[owner]``."""
    from components.clusters.gke import gcp_labels
    from policy.clouds.gcp import label_key as gcp_key

    labels = gcp_labels({"Owner": "ML-Team", "environment": "prod"})
    assert labels == {"owner": "ml-team", "environment": "prod"}
    assert {gcp_key("Owner"), gcp_key("owner")} <= set(labels)


def test_a_whole_float_reaches_the_program_as_the_pulumi_cli_hands_it_over() -> None:
    """go-yaml reads ``maxGpus: 8.0`` as float64 8 and the Pulumi CLI hands config to the program as Go's
    encoding/json writes it (pulumi/pulumi sdk/go/common/resource/config/plaintext.go ``marshalText``), which is
    ``8``: the program cannot tell 8.0 from 8 under ``pulumi up``, so the offline plan, which must refuse exactly what
    ``pulumi up`` refuses, accepts it too. Negative zero is written ``-0``, the same number as 0."""
    from components.plan.project import _cli_string

    assert _cli_string({"maxGpus": 8.0, "ratio": 0.5, "big": 1e21}) == '{"maxGpus": 8, "ratio": 0.5, "big": 1e+21}'
    assert _cli_string(-0.0) == "-0"
    cfg = load(
        {**flat_config(stack()), "mlplatform:policy": _cli_string({"maxGpus": 8.0})}, set(), "stacks/Pulumi.t.yaml"
    ).config
    assert cfg.policy.max_gpus == 8


def test_vllm_options_that_touch_nothing_mlplatform_sets_pass() -> None:
    """``-O3`` is vLLM's --optimization-level (vllm 0.24.0 utils/argparse_utils.py) and ``-q`` its --quantization:
    neither is one of the GPU-count options (components.serving.runtimes.VLLM_GPU_FLAGS), so both stay the user's."""
    from components.serving.spec import model_problems

    llm = {
        "format": "huggingface",
        "storageUri": "hf://org/model",
        "resources": {"gpus": 2, "cpu": "4", "memory": "16Gi", "accelerator": "nvidia-l4"},
        "access": {"mode": "public", "allowAnonymous": True},
    }
    spec = ModelSpec.model_validate({**llm, "args": ["-O3", "-q", "awq"]})
    assert not [p for p in model_problems(spec) if p[0].startswith("args")]


def test_every_alias_names_a_flag_its_runtime_sets() -> None:
    from components.serving import runtimes

    for runtime, aliases in runtimes.FLAG_ALIASES.items():
        assert set(aliases) <= set(runtimes.SERVER_FLAGS[runtime]), runtime


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1:30", "1:30"),  # resolve.go: no base 60 ("purposefully unsupported"); YAML 1.1 reads 90
        ("-1:30", "-1:30"),
        ("190:20:30.15", "190:20:30.15"),
        ("0o3", 3),  # strconv.ParseInt base 0: the 0o prefix (Go 1.13+)
        ("0O17", 15),
        ("0b11", 3),
        ("-0b11", -3),
        ("0x_1F", 31),  # the _ removed first
        ("010", 8),  # a leading 0 is octal for ParseInt base 0
        ("08", 8),  # not octal: ParseInt and ParseUint fail, yamlStyleFloat matches: the float 8, handed over as 8
        ("1_000", 1000),
        ("+3", 3),
        ("-0", 0),
        ("9223372036854775807", 2**63 - 1),
        ("18446744073709551615", 2**64 - 1),  # past int64: ParseUint
        # past uint64: the float 2^64, which Go's JSON writes whole with its shortest digits (go-yaml v3.0.1 round
        # trip, red14m's yc rt: {"a":18446744073709552000}; 2**64 exactly until red14m's _go_json finding)
        ("18446744073709551616", 18446744073709552000),
        ("1.5e3", 1500),  # yamlStyleFloat needs no sign in the exponent (YAML 1.1 does)
        ("1.", 1),
        ("-.5", -0.5),
        (".5", 0.5),
        (".5_0", ".5_0"),  # '.' first: ParseFloat as written, which takes no _
        ("1e400", "1e400"),
        ("0x", "0x"),
        ("0o", "0o"),
        ("12abc", "12abc"),
        ("1.2.3", "1.2.3"),
        ("\uff13", "\uff13"),  # a full-width digit is no digit to Go
    ],
)
def test_numbers_are_read_as_go_yaml_v2_reads_them(text: str, value: object) -> None:
    """go-yaml v2.4.0 resolve.go (hints 'D' and 'S'): the ``_`` removed, then strconv.ParseInt(plain, 0, 64), then
    ParseUint(plain, 0, 64), then ParseFloat when yamlStyleFloat matches; else the text (the Pulumi CLI's reader)."""
    doc = parse_stack_text(f"config:\n  a: {text}\n".encode(), "stacks/x.yaml")
    got = doc["config"]["a"]
    assert got == value and type(got) is type(value)


# ------------------------------------------------------------------------------------------------ issue #14


def test_a_plain_https_model_url_is_accepted() -> None:
    """KServe's storage initializer downloads any ``https?://(.+)/(.+)`` URI (python/storage/kserve_storage/
    kserve_storage.py ``_URI_RE``, v0.20.0): a model file on a web server needs no cloud identity. (Refused before
    issue #14 as storage-https-generic.)"""
    spec = model(storageUri="https://huggingface.co/models/iris.joblib", publicStorage=False)
    assert spec.identity_storage_uri is None


def test_private_s3_on_an_existing_cluster_with_a_storage_secret_plans() -> None:
    """An existing cluster has no cloud identity; a Secret with the credentials (MinIO, R2, a private bucket) reads
    the model through the ServiceAccount (KServe pkg/credentials/service_account_credentials.go)."""
    cfg = {
        "cloud": "existing",
        "environment": "dev",
        "tags": {"owner": "ml"},
        "models": {"iris": {**IRIS, "storageUri": "s3://private-models/iris", "publicStorage": False,
                            "storageSecret": "minio-creds"}},
    }  # fmt: skip
    loaded = load(flat_config(cfg), set(), "stacks/Pulumi.t.yaml").config
    assert loaded.models["iris"].identity_storage_uri is None


def test_a_custom_container_without_storage_is_a_model() -> None:
    """A server with its model baked into the image needs no storage URI (KServe's custom predictor)."""
    spec = ModelSpec.model_validate({"container": {"image": "ghcr.io/acme/server:1.2"}, "access": IRIS["access"]})
    assert spec.storage_uri is None and spec.effective_protocol == "v1"


def test_pod_labels_and_annotations_of_the_user_pass() -> None:
    """Keys outside the platform's prefixes are the user's (a team label, a cost-centre annotation)."""
    spec = model(labels={"team": "fraud", "example.com/tier": ""}, annotations={"example.com/owner": "fraud team"})
    assert spec.labels == {"team": "fraud", "example.com/tier": ""}
