"""The cloud registry (components/clouds.py): the only place besides each cloud's own modules that names the clouds,
and enough, with a cluster module and catalog data, for a fourth cloud: the stack config, the catalog lookups, the
cluster factory and the policy pack's cluster rules take it from the registry alone (issue #15, "Design")."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import catalog, clouds
from components.clusters import create_cluster, shares_one_gpu_per_request
from components.clusters.spec import ClusterSpec, tags_problem
from components.errors import SpecError
from infra.config import load
from policy.rules import Resource, StackSettings, run_rules
from policy.rules.base import Facts

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("components", "infra", "policy")
ALLOWED = {
    "components/storage.py": "'azure' is the scheme id of Azure Blob URLs (StorageLocation.scheme, in messages)",
    "components/plan/fakes.py": "'aws' is the AWS partition name of placeholder ARNs (botocore endpoints.json)",
}
"""The files outside the registry and the clouds' own modules that still write a cloud's name, and why (at most 2)."""


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            out.add(id(node.value))
    return out


def naming_files() -> dict[str, list[str]]:
    """Python files under components/, infra/ and policy/, outside the registry and the clouds' own modules, with
    the lines where a string (not a docstring) is a cloud's name or lists two clouds' names."""
    names = set(clouds.names())
    words = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names))) + r")\b")
    own = {"components/clouds.py"} | {m.replace(".", "/") + ".py" for c in clouds.all_clouds() for m in c.modules}
    found: dict[str, list[str]] = {}
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in own:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docs = _docstrings(tree)
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in docs:
                    continue
                if node.value in names or len(set(words.findall(node.value))) >= 2:
                    found.setdefault(rel, []).append(f"{node.lineno}: {node.value[:60]!r}")
    return {rel: sorted(lines) for rel, lines in found.items()}


def test_at_most_two_files_outside_the_registry_name_a_cloud() -> None:
    found = naming_files()
    assert len(ALLOWED) <= 2
    assert set(found) <= set(ALLOWED), {k: v for k, v in found.items() if k not in ALLOWED}


def test_the_count_sees_a_cloud_name_written_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The counter is not blind: a hand-written cloud list in a new file is found."""
    (tmp_path / "components").mkdir()
    (tmp_path / "components" / "x.py").write_text(
        '"""Doc naming aws."""\nCLOUDS = ("aws", "gcp")\nWHY = "on aws or azure"\n'
    )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert naming_files() == {"components/x.py": ["2: 'aws'", "2: 'gcp'", "3: 'on aws or azure'"]}


def test_registry_facts_agree_with_the_cloud_modules() -> None:
    """What the registry says of a cloud and what its module does are the same facts (spot checks of the ones a
    stack check reads without building the cluster)."""
    from components.clusters import aks, eks, existing, gke

    assert clouds.get("aws").device_plugin_shares is eks.NEEDS_DEVICE_PLUGIN
    assert clouds.get("azure").device_plugin_shares is aks.NEEDS_DEVICE_PLUGIN
    assert not clouds.get("gcp").device_plugin_shares  # GKE shares GPUs itself (gke.SHARING_STRATEGY)
    assert set(gke.SHARING_STRATEGY) < set(clouds.get("gcp").sharing)
    classes = {c.name: c.cluster for c in clouds.all_clouds()}
    assert classes == {
        "aws": f"{eks.__name__}:{eks.EksCluster.__name__}",
        "gcp": f"{gke.__name__}:{gke.GkeCluster.__name__}",
        "azure": f"{aks.__name__}:{aks.AksCluster.__name__}",
        "existing": f"{existing.__name__}:{existing.ExistingCluster.__name__}",
    }
    for c in clouds.all_clouds():
        assert c.spec_field in ClusterSpec.model_fields, c.name


# ------------------------------------------------------------------------------------------------ a fourth cloud

CALLS: list[tuple[str, Any]] = []
"""What the fake cloud's module was asked (precheck, constructor)."""


class AcmeCluster:
    """The fake cloud's cluster implementation: records what ``create_cluster`` gives it."""

    def __init__(self, name: str, args: Any, opts: Any = None) -> None:
        CALLS.append(("cluster", (name, args.region, args.cluster_name, dict(args.tags))))


def precheck(region: str, spec: ClusterSpec, pools: Mapping[str, Any], storage_uris: Mapping[str, str]) -> None:
    """The fake cloud's own pre-registration check: at most 1 node per pool (so the test can see it run)."""
    CALLS.append(("precheck", (region, sorted(pools))))
    for name, pool in pools.items():
        if pool.max_nodes > 1:
            raise SpecError(f"cluster.gpuPools.{name}.maxNodes", pool.max_nodes, "acme pools take at most 1 node")


def provider_config_problem(raw: Mapping[str, Any], spec: ClusterSpec) -> str | None:
    """The fake cloud's provider settings check."""
    return "acme:token: a value is not allowed; remove it" if "acme:token" in raw else None


CLUSTER_TYPE = "acme:k8s/cluster:Cluster"
ACME = clouds.Cloud(
    name="acme",
    title="Acme",
    cluster=f"{__name__}:AcmeCluster",
    modules=(),
    spec_field="acme",  # no settings block: ClusterSpec has no such field, so the cloud takes no own settings
    tag_rule=clouds.TagRule(32, 64, 10, "fake tag rule of tests/test_clouds.py", key_forbidden=":"),
    region_pattern=re.compile(r"\Aacme-[a-z]+-[0-9]\Z", re.ASCII),
    region_example="acme-east-1",
    price_region="acme-east-1",
    provider_region_key="acme:region",
    sharing=("none", "time-slicing"),
    device_plugin_shares=True,
    cluster_tag="mlplatform.io/cluster",
    cluster_types=(CLUSTER_TYPE,),
    max_public_cidrs=2,
)


def _acme_catalog() -> catalog.Catalog:
    """catalog.yaml plus the fake cloud's machines, prices and regions."""
    data = yaml.safe_load(catalog.DATA_FILE.read_text(encoding="utf-8"))
    data["sources"]["acme-list"] = {"date": "2026-08-01", "citation": "fake price list of tests/test_clouds.py"}
    data["spec_sources"]["acme"] = "fake machine shapes of tests/test_clouds.py"
    data["machines"].append(
        {"cloud": "acme", "accelerator": "nvidia-l4", "gpus": 1, "type": "acme.l4", "vcpus": 8, "memory_gib": 32,
         "price": {"usd": 1.25, "source": "acme-list"}}
    )  # fmt: skip
    data["system_machines"]["acme"] = {
        "type": "acme.std4", "vcpus": 4, "memory_gib": 16, "price": {"usd": 0.2, "source": "acme-list"}
    }  # fmt: skip
    data["control_planes"]["acme"] = {"standard": {"name": "Acme control plane", "usd": 0.1, "source": "acme-list"}}
    data["load_balancers"]["acme"] = {"name": "Acme LB", "usd": 0.02, "source": "acme-list"}
    data["availability"]["acme"] = {
        "source": "acme-list",
        "types": {"acme.l4": ["acme-east-1"], "acme.std4": ["acme-east-1", "acme-west-1"]},
    }
    return catalog.parse(data)


@pytest.fixture
def acme() -> Iterator[clouds.Cloud]:
    """The fake cloud registered, with its catalog data installed, for one test."""
    CALLS.clear()
    old = None
    try:
        with clouds.registered(ACME):
            old = catalog.install(_acme_catalog())
            yield ACME
    finally:
        if old is not None:
            catalog.install(old)


REACH = {"publicCidrs": ["203.0.113.0/24"], "deployFrom": ["203.0.113.0/24"]}
FILE = "stacks/Pulumi.acme.yaml"


def _raw(cfg: dict[str, Any], **more: str) -> dict[str, str]:
    out = {f"mlplatform:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in cfg.items()}
    return {**out, **more}


def _stack(**cluster: Any) -> dict[str, Any]:
    pools = {"l4": {"accelerator": "nvidia-l4", "maxNodes": 1}}
    return {"cloud": "acme", "region": "acme-east-1", "cluster": {"apiAccess": REACH, "gpuPools": pools, **cluster}}


def test_unregistered_cloud_is_refused() -> None:
    with pytest.raises(SpecError) as e:
        load(_raw(_stack()), frozenset(), FILE)
    assert str(e.value) == f"{FILE}: mlplatform:cloud: acme is not allowed; give one of aws, gcp, azure, existing"


def test_fourth_cloud_config(acme: clouds.Cloud) -> None:
    """The stack config reads the new cloud's region shape, tag rule, catalog, sharing, provider settings and
    own checks from the registry and its module."""
    cfg = load(_raw(_stack()), frozenset(), FILE).config
    assert (cfg.cloud, cfg.region) == ("acme", "acme-east-1")
    assert ("precheck", ("acme-east-1", ["l4"])) in CALLS

    def refused(cfg: dict[str, Any], **more: str) -> str:
        with pytest.raises(SpecError) as e:
            load(_raw(cfg, **more), frozenset(), FILE)
        return str(e.value)

    assert (
        refused({"cloud": "acme"})
        == f"{FILE}: mlplatform:region: null is not allowed; give the acme region, e.g. acme-east-1"
    )
    assert refused({**_stack(), "region": "us-east-1"}).startswith(
        f"{FILE}: mlplatform:region: us-east-1 is not allowed; not a region name on acme (like acme-east-1)"
    )
    assert refused({**_stack(), "tags": {"a:b": "x"}}) == (
        f"{FILE}: mlplatform:tags: a:b is not allowed; acme tag names may not contain : (fake tag rule of "
        "tests/test_clouds.py)"
    )
    many = {"publicCidrs": ["203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24"], "deployFrom": ["203.0.113.0/24"]}
    assert "give at most 2 on acme" in refused(_stack(apiAccess=many))
    assert "mlplatform:cluster.gpuPools.l4.accelerator: nvidia-t4 is not allowed" in refused(
        _stack(gpuPools={"l4": {"accelerator": "nvidia-t4", "maxNodes": 1}})
    )
    assert refused(
        _stack(gpuPools={"l4": {"accelerator": "nvidia-l4", "maxNodes": 1, "sharing": {"strategy": "mps"}}})
    ) == (
        f"{FILE}: mlplatform:cluster.gpuPools.l4.sharing.strategy: mps is not allowed; acme does not offer mps; give "
        "one of none, time-slicing"
    )
    assert refused(_stack(gpuPools={"l4": {"accelerator": "nvidia-l4", "maxNodes": 3}})) == (
        f"{FILE}: mlplatform:cluster.gpuPools.l4.maxNodes: 3 is not allowed; acme pools take at most 1 node"
    )
    assert refused(_stack(aws={"gpuProvisioner": "karpenter"})) == (
        f"{FILE}: mlplatform:cluster.aws: ... is not allowed; settings for aws do not apply to cloud acme"
    )
    assert refused(_stack(), **{"acme:region": "acme-west-1"}).startswith(
        f"{FILE}: acme:region: acme-west-1 is not allowed; give acme-east-1 (mlplatform:region)"
    )
    assert refused(_stack(), **{"acme:token": "t"}) == f"{FILE}: acme:token: a value is not allowed; remove it"
    assert tags_problem("acme", {f"k{i}": "v" for i in range(10)}) == (
        "tags",
        "10 tags",
        "give at most 9 on acme (fake tag rule of tests/test_clouds.py)",
    )
    assert shares_one_gpu_per_request("acme", "time-slicing")


def test_fourth_cloud_catalog(acme: clouds.Cloud) -> None:
    """Catalog lookups of the new cloud: its machines, regions, reference price region and refusals."""
    assert "acme" in catalog._clouds()
    machine = catalog.machine_for("acme", "nvidia-l4", 1, "acme-east-1")
    assert (machine.instance_type, machine.price.usd_per_hour, machine.price.region) == ("acme.l4", 1.25, "acme-east-1")
    assert catalog.regions("acme") == ("acme-east-1", "acme-west-1")
    assert catalog.offered("acme", "acme-east-1") == {"nvidia-l4": (1,)}
    with pytest.raises(catalog.CatalogError, match=r"acme-west-1"):
        catalog.machine_for("acme", "nvidia-l4", 1, "acme-west-1")
    assert catalog.system_machine("acme").instance_type == "acme.std4"


def test_fourth_cloud_cluster_factory(acme: clouds.Cloud) -> None:
    """create_cluster builds the class the registry names, with the managed-cluster arguments."""
    spec = ClusterSpec.model_validate({"apiAccess": REACH})
    create_cluster(
        "mlp", cloud="acme", region="acme-east-1", spec=spec, environment="dev", tags={"o": "t"}, cluster_name="c"
    )
    assert CALLS == [("cluster", ("mlp", "acme-east-1", "c", {"o": "t"}))]


CLUSTER_RULES = ("api-endpoint-restricted", "secrets-encryption", "audit-logs", "workload-identity")


def _findings(resources: list[Resource], environment: str = "dev") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for entry in run_rules(resources, StackSettings(facts=Facts(environment=environment))):
        if not entry["passed"]:
            out.setdefault(entry["policy"], []).append(entry["message"])
    return out


def test_policy_cluster_rules_fail_closed_on_a_registered_cluster_they_cannot_read(acme: clouds.Cloud) -> None:
    """A cluster of a registered cloud that policy/rules/cluster.py has no branch for fails each cluster rule (and
    is protected on prod), instead of passing unchecked."""
    urn = f"urn:pulumi:acme::mlplatform::{CLUSTER_TYPE}::c"
    cluster = Resource(type=CLUSTER_TYPE, name="c", urn=urn, props={})
    found = _findings([cluster], "prod")
    for rule in CLUSTER_RULES:
        assert found.get(rule) == [
            f"cluster type {CLUSTER_TYPE} (cloud acme) has no check in policy/rules/cluster.py: add its branch before "
            "deploying it"
        ], rule
    assert any("can be destroyed by accident" in m for m in found["prod-protect-stateful"])


def test_policy_cluster_rules_never_see_an_unregistered_type() -> None:
    """Without the registry entry the same resource is no cluster to the rules: the registry is what makes the
    rules look (the reason every cloud must be registered)."""
    urn = f"urn:pulumi:acme::mlplatform::{CLUSTER_TYPE}::c"
    found = _findings([Resource(type=CLUSTER_TYPE, name="c", urn=urn, props={})], "prod")
    assert not set(found) & {*CLUSTER_RULES, "prod-protect-stateful"}


def test_gpu_rules_fail_closed_on_a_cluster_whose_pools_they_cannot_read(acme: clouds.Cloud) -> None:
    """A registered cloud's cluster (here with a pool of 1000 untainted, unlabelled GPU nodes the rules cannot read)
    fails both GPU rules instead of passing as a cluster with no GPU pools (review of #15, finding 1)."""
    urn = f"urn:pulumi:acme::mlplatform::{CLUSTER_TYPE}::c"
    pool = Resource(type="acme:k8s/nodePool:NodePool", name="p", urn=f"{urn}-pool", props={"maxNodes": 1000})
    found = _findings([Resource(type=CLUSTER_TYPE, name="c", urn=urn, props={}), pool], "prod")
    why = (
        f"the GPU rules cannot read the node pools of a {CLUSTER_TYPE} (policy/rules/gpu.py reads "
        "eks:index:Cluster, aws:eks/cluster:Cluster, gcp:container/cluster:Cluster, "
        "azure-native:containerservice:ManagedCluster): teach gpu_pools this cloud's pool types before its GPU pools "
        "can pass"
    )
    assert found["gpu-pool-taint-label"] == [why]
    assert found["gpu-budget"] == [why]


def test_required_tags_fail_closed_when_a_clouds_sdk_cannot_be_read() -> None:
    """A registered cloud whose SDK is not importable: required-tags cannot tell whether its resources take tags, and
    says so instead of passing them as untaggable (review of #15, finding 1)."""
    sdk = dataclasses.replace(ACME, tag_packages={"acme": "acme_sdk_that_is_not_installed"})
    with clouds.registered(sdk):
        urn = "urn:pulumi:acme::mlplatform::acme:storage/bucket:Bucket::b"
        found = _findings([Resource(type="acme:storage/bucket:Bucket", name="b", urn=urn, props={})], "prod")
    assert found["required-tags"] == [
        "cannot tell whether acme:storage/bucket:Bucket takes tags: its class is not importable from "
        "acme_sdk_that_is_not_installed here (install the SDK in the policy pack's venv)"
    ]


def test_webhook_reachability_fails_closed_on_a_registered_cluster_without_a_model(acme: clouds.Cloud) -> None:
    """The webhook-reachability check has a model per cloud; a registered cloud without one is a problem, not a
    pass (review of #15, finding 1)."""
    from components.clusters.reachability import Rendered, webhook_problems

    assert webhook_problems([Rendered(CLUSTER_TYPE, "c", {})]) == [
        f"c: no model of how a {CLUSTER_TYPE} control plane reaches webhooks on its nodes "
        "(components/clusters/reachability.py): add one for this cloud"
    ]
    assert webhook_problems([Rendered("kubernetes:core/v1:Namespace", "n", {})]) == []
