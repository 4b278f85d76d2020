"""Stack config: exact one-line errors for bad input, and round trips for good input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components import catalog, clouds, storage
from components.errors import SpecError
from infra.config import StackConfig, load

FILE = "stacks/Pulumi.t.yaml"
CLOUDS = clouds.names()
"""The registered clouds, as the messages list them (a fourth cloud's entry extends them)."""
POOL = {"accelerator": "nvidia-l4", "maxNodes": 2}
AWS = {"cloud": "aws", "region": "us-east-1"}
REACH = {"publicCidrs": ["203.0.113.0/24"], "deployFrom": ["203.0.113.0/24"]}
"""Where the deploy machine reaches the API from: every valid managed-cloud stack says it (docs/deploying.md)."""
ANON = {"mode": "public", "allowAnonymous": True}
IRIS = {"format": "sklearn", "storageUri": "s3://models-bucket/iris", "access": ANON}


def raw(cfg: dict[str, Any]) -> dict[str, str]:
    """As the Pulumi CLI passes config: namespace-qualified, objects as JSON text."""
    return {f"mlplatform:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in cfg.items()}


def error(cfg: dict[str, Any], secret_keys: frozenset[str] = frozenset()) -> str:
    with pytest.raises(SpecError) as e:
        load(raw(cfg), secret_keys, FILE)
    return str(e.value)


CASES: list[tuple[str, dict[str, Any], str]] = [
    (
        "empty",
        {},
        f"{FILE}: an empty configuration is not allowed; give at least mlplatform:cloud "
        f"({', '.join(CLOUDS[:-1])} or {CLOUDS[-1]})",
    ),
    (
        "bad cloud",
        {"cloud": "oci"},
        f"{FILE}: mlplatform:cloud: oci is not allowed; give one of {', '.join(CLOUDS)}",
    ),
    (
        "region missing",
        {"cloud": "aws"},
        f"{FILE}: mlplatform:region: null is not allowed; give the aws region, e.g. us-east-1",
    ),
    (
        "typo top level",
        {**AWS, "regoin": "x"},
        f"{FILE}: mlplatform:regoin: unknown key; did you mean region? accepted keys: cloud, environment, region, "
        "cluster, platform, models, pipelines, runtimes, tags, budget, policy",
    ),
    (
        "typo nested",
        {**AWS, "cluster": {"gpuPool": {}}},
        f"{FILE}: mlplatform:cluster.gpuPool: unknown key; did you mean gpuPools? accepted keys: name, "
        "kubernetesVersion, zones, apiAccess, systemPool, gpuPools, keyGeneration, deletionProtection, existing, aws, "
        "gcp, azure, versions",
    ),
    (
        "maxNodes negative",
        {**AWS, "cluster": {"gpuPools": {"l4": {"accelerator": "nvidia-l4", "maxNodes": -1}}}},
        f"{FILE}: mlplatform:cluster.gpuPools.l4.maxNodes: -1 is not allowed; give an integer >= minNodes (0)",
    ),
    (
        "maxNodes below min",
        {**AWS, "cluster": {"gpuPools": {"l4": {**POOL, "minNodes": 3}}}},
        f"{FILE}: mlplatform:cluster.gpuPools.l4.maxNodes: 2 is not allowed; give an integer >= minNodes (3)",
    ),
    (
        "maxNodes wrong type",
        {**AWS, "cluster": {"gpuPools": {"l4": {**POOL, "maxNodes": "many"}}}},
        f"{FILE}: mlplatform:cluster.gpuPools.l4.maxNodes: many is not allowed; give an integer",
    ),
    (
        "unknown accelerator",
        {**AWS, "cluster": {"gpuPools": {"x": {**POOL, "accelerator": "nvidia-b200"}}}},
        f"{FILE}: mlplatform:cluster.gpuPools.x.accelerator: nvidia-b200 is not allowed; give one of "
        + ", ".join(catalog.ACCELERATORS),
    ),
    (
        "accelerator not on cloud",
        {"cloud": "azure", "region": "eastus", "cluster": {"gpuPools": {"x": {**POOL, "accelerator": "nvidia-l40s"}}}},
        f"{FILE}: mlplatform:cluster.gpuPools.x.accelerator: nvidia-l40s is not allowed; nvidia-l40s is not offered "
        "on azure; azure offers nvidia-t4, nvidia-a100-40gb, nvidia-a100-80gb, nvidia-h100-80gb, nvidia-h200",
    ),
    (
        "too many GPUs per node",
        {**AWS, "cluster": {"gpuPools": {"l4": {**POOL, "gpusPerNode": 3}}}},
        f"{FILE}: mlplatform:cluster.gpuPools.l4.gpusPerNode: 3 is not allowed; no aws machine has 3 x nvidia-l4; "
        "give gpusPerNode one of 1, 4, 8 (offered in us-east-1)",
    ),
    (
        "pool name",
        {**AWS, "cluster": {"gpuPools": {"L4-pool": POOL}}},
        f"{FILE}: mlplatform:cluster.gpuPools: {{L4-pool: {{accelerator: nvidia-l4, maxNodes: 2}}}} is not allowed; "
        "pool name 'L4-pool': give 1-12 lowercase letters "
        "and digits, starting with a letter (AKS's rule for node pools, applied on every cloud)",
    ),
    (
        "world CIDR without opt-in",
        {**AWS, "cluster": {"apiAccess": {"publicCidrs": ["0.0.0.0/0"]}}},
        f"{FILE}: mlplatform:cluster.apiAccess.publicCidrs: 0.0.0.0/0 is not allowed; opening the API to the world "
        "needs allowWorld: true; give your office/VPN CIDRs",
    ),
    (
        "bad CIDR",
        {**AWS, "cluster": {"apiAccess": {"publicCidrs": ["10.0.0.300/24"]}}},
        f"{FILE}: mlplatform:cluster.apiAccess.publicCidrs: [10.0.0.300/24] is not allowed; '10.0.0.300/24' is "
        "not a CIDR; give CIDRs such as 203.0.113.0/24",
    ),
    (
        "unquoted kubernetes version",
        {**AWS, "cluster": {"kubernetesVersion": 1.3}},
        f'{FILE}: mlplatform:cluster.kubernetesVersion: 1.3 is not allowed; quote it: give a string such as "1.34" '
        "(YAML reads 1.30 as 1.3)",
    ),
    (
        "gcp without project",
        {"cloud": "gcp", "region": "us-central1"},
        f"{FILE}: mlplatform:cluster.gcp.project: null is not allowed; give the Google Cloud project id",
    ),
    (
        "other cloud's settings",
        {**AWS, "cluster": {"gcp": {"project": "my-project"}}},
        f"{FILE}: mlplatform:cluster.gcp: "
        + '{"project": "my-project"} is not allowed; settings for gcp do not apply to cloud aws',
    ),
    (
        "storage scheme",
        {**AWS, "models": {"m": {**IRIS, "storageUri": "ftp://host/model"}}},
        f"{FILE}: mlplatform:models.m.storageUri: ftp://host/model is not allowed; give a URI starting with "
        + ", ".join(storage.schemes()),  # the registry's forms, then the generic ones (adding a cloud edits no test)
    ),
    (
        "bucket on another cloud",
        {**AWS, "models": {"m": {**IRIS, "storageUri": "gs://models-bucket/iris"}}},
        f"{FILE}: mlplatform:models.m.storageUri: gs://models-bucket/iris is not allowed; gs:// storage is on gcp but "
        "this stack's cluster is on aws; use aws storage, set publicStorage: true for a public bucket, or give "
        "storageSecret",
    ),
    (
        "scale to zero in Standard mode",
        {**AWS, "platform": {"deploymentMode": "Standard"}, "models": {"m": {**IRIS, "scaling": {"minReplicas": 0}}}},
        f"{FILE}: mlplatform:models.m.scaling.minReplicas: 0 is not allowed; scale to zero needs "
        "platform.deploymentMode: Knative; give >= 1",
    ),
    (
        "accelerator no pool has",
        {
            **AWS,
            "cluster": {"gpuPools": {"l4": POOL}},
            "models": {"m": {**IRIS, "resources": {"gpus": 1, "accelerator": "nvidia-a10g"}}},
        },
        f"{FILE}: mlplatform:models.m.resources.accelerator: nvidia-a10g is not allowed; no GPU pool offers it; "
        "pools: l4 (nvidia-l4)",
    ),
    (
        "more GPUs than a node has",
        {
            **AWS,
            "cluster": {"gpuPools": {"l4": POOL}},
            "models": {"m": {**IRIS, "resources": {"gpus": 2, "accelerator": "nvidia-l4"}}},
        },
        f"{FILE}: mlplatform:models.m.resources.gpus: 2 is not allowed; give at most 1 (GPUs per node of the "
        "nvidia-l4 pools)",
    ),
    (
        "model name not DNS",
        {**AWS, "models": {"Iris_Model": IRIS}},
        f"{FILE}: mlplatform:models.Iris_Model: Iris_Model is not allowed; give a DNS-1035 label: lowercase letters, "
        "digits and '-', starting with a letter and ending with a letter or digit (KServe's InferenceService name "
        "rule)",
    ),
    (
        "public model without auth",
        {**AWS, "models": {"m": {**IRIS, "access": {"mode": "public"}}}},
        f"{FILE}: mlplatform:models.m.access.jwt: null is not allowed; a public model needs jwt (issuer, jwksUri) "
        "or, explicitly, allowAnonymous: true",
    ),
    (
        "secret in plain text",
        {
            **AWS,
            "cluster": {"apiAccess": REACH},
            "models": {
                "llm": {
                    **IRIS,
                    "format": "huggingface",
                    "storageUri": "hf://org/model",
                    "modelSizeGb": 2.5,
                    "llm": {"huggingfaceTokenKey": "hfToken"},
                }
            },
            "hfToken": "hf_plaintext",
        },
        f"{FILE}: mlplatform:hfToken: a plain-text value is not allowed for a secret; set it with: "
        "pulumi config set --secret hfToken <value>",
    ),
]


@pytest.mark.parametrize(("name", "cfg", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_config_gives_one_exact_line(name: str, cfg: dict[str, Any], expected: str) -> None:
    message = error(cfg)
    assert message == expected
    assert "\n" not in message


def test_more_problems_are_counted_on_the_same_line() -> None:
    message = error({**AWS, "environment": "qa", "budget": -5})
    assert message.startswith(f"{FILE}: mlplatform:environment: qa is not allowed; give one of dev, staging, prod")
    assert message.endswith("(+1 more)")


def test_secret_given_as_secret_is_accepted_and_kept_apart() -> None:
    cfg = {
        **AWS,
        "cluster": {"apiAccess": REACH},
        "models": {
            "llm": {
                **IRIS,
                "format": "huggingface",
                "storageUri": "hf://org/model",
                "modelSizeGb": 2.5,
                "llm": {"huggingfaceTokenKey": "hfToken"},
            }
        },
        "hfToken": "hf_real",
    }
    loaded = load(raw(cfg), frozenset({"mlplatform:hfToken"}), FILE)
    assert loaded.secrets == {"hfToken": "hf_real"}
    assert "hf_real" not in loaded.config.model_dump_json()


def test_defaults_of_a_minimal_stack() -> None:
    cfg = load(raw({"cloud": "existing"}), frozenset(), FILE).config
    assert cfg.environment == "dev"
    assert cfg.cluster.kubernetes_version == "1.34"
    assert cfg.platform.deployment_mode == "Knative"
    assert cfg.platform.domain == "example.com"
    assert cfg.models == {}


def test_strings_from_the_cli_are_read_as_numbers_and_booleans() -> None:
    """The CLI hands nested values as JSON but top-level scalars as strings."""
    cfg = load(
        {
            "mlplatform:cloud": "aws",
            "mlplatform:region": "us-east-1",
            "mlplatform:budget": "1500",
            "mlplatform:cluster": json.dumps({"apiAccess": REACH}),
        },
        frozenset(),
        FILE,
    ).config
    assert cfg.budget == 1500.0


pools = st.dictionaries(
    st.from_regex(r"[a-z][a-z0-9]{0,11}", fullmatch=True),
    st.fixed_dictionaries(
        {
            "accelerator": st.sampled_from(["nvidia-l4", "nvidia-a10g", "nvidia-t4"]),
            "gpusPerNode": st.sampled_from([1, 4, 8]),
            "minNodes": st.integers(0, 3),
            "maxNodes": st.integers(3, 50),
            "spot": st.booleans(),
        }
    ),
    max_size=4,
)


@settings(max_examples=60, deadline=None)
@given(pools=pools, env=st.sampled_from(["dev", "staging", "prod"]))
def test_valid_configs_round_trip(pools: dict[str, Any], env: str) -> None:
    """Whatever validates, dumped by alias and validated again, gives the same config."""
    cluster = {"gpuPools": pools, "apiAccess": REACH, "aws": {"gpuProvisioner": "node-groups"}}  # Karpenter: minNodes 0
    cfg = load(raw({**AWS, "environment": env, "cluster": cluster}), frozenset(), FILE).config
    again = StackConfig.model_validate(json.loads(cfg.model_dump_json(by_alias=True)))
    assert again == cfg
    assert set(again.cluster.gpu_pools) == set(pools)
