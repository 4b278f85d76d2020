"""resource-types-known is an exact allow-list (red team red17c T1-T3, issues #17 and #15).

Each case is a shipped stack's real saved plan (``mlplatform plan --all --json``) edited the way the red team did: a
resource weakened, then retyped (type and URN, in ``resources`` and ``judgedResources``) to a type no rule reads, or
a node-creating object added. ``mlplatform check PLAN --strict --no-overrides`` must exit 1 with the failures named.
On main a82f802 every case exited 0.

The control keeps the allow-list from going stale: every shipped and cover stack (tests/urns.py ``targets``) is
planned, every type it renders must be known, and every known type must be rendered somewhere or say why it is
known; each registered cloud's known types must be classes of its installed SDK, read from the
``_utilities.register(resource_modules=...)`` JSON that each Pulumi Python SDK's ``__init__.py`` passes (pulumi_aws
7.51.1, pulumi_eks 4.4.0, pulumi_awsx 3.11.0, pulumi_gcp 10.2.0, pulumi_azure_native 3.29.0: ``"classes":
{"aws:kms/key:Key": "Key", ...}``).
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from test_policy_fail_closed import CLUSTER_RULES, Stack, _add, _saved

from components.plan.cli import EXIT_POLICY
from support import check_cli, target_plans

GPU_RULES = {"gpu-pool-taint-label", "gpu-budget"}


def _stack(name: str) -> tuple[dict[str, Any], Stack]:
    doc = json.loads(_saved(False))
    return doc, copy.deepcopy(next(s for s in doc["stacks"] if s["stack"] == name))


def _both(stack: Stack, name: str, old: str) -> list[dict[str, Any]]:
    """The resource ``name`` of type ``old`` as the plan records it and as the rules judge it."""
    found = [r for key in ("resources", "judgedResources") for r in stack.get(key) or [] if r["name"] == name]
    found = [r for r in found if r["type"] == old]
    assert len(found) == 2, f"{stack['stack']} has no {old} {name} in both lists: the plan's shape moved"
    return found


def _retype(stack: Stack, name: str, old: str, new: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Change resource ``name``'s inputs, then retype it: type, URN, and every reference to the URN."""
    records = _both(stack, name, old)
    urn = records[0]["urn"]
    new_urn = urn.replace(f"${old}::", f"${new}::").replace(f"::{old}::", f"::{new}::")
    assert new_urn != urn
    for r in records:
        change(r["inputs"])
        r["type"], r["urn"] = new, new_urn
    for key in ("resources", "judgedResources"):
        for r in stack.get(key) or []:
            for ref in ("parent", "provider"):
                if r.get(ref) == urn:
                    r[ref] = new_urn
            r["dependsOn"] = [new_urn if d == urn else d for d in r.get("dependsOn") or []]


def _check(tmp: Path, doc: dict[str, Any], stack: Stack) -> tuple[int, dict[str, list[str]]]:
    """``mlplatform check --strict --no-overrides`` over the plan holding ``stack``: its exit code and, per failing
    mandatory rule, its messages as the command reached them (policy.check ``check`` then ``strict``,
    tests/support.py ``check_cli``)."""
    from policy.check import strict

    path = tmp / "plan.json"
    path.write_text(json.dumps({**doc, "stacks": [stack]}))
    code, (entries,) = check_cli([str(path), "--strict", "--no-overrides"])
    failed: dict[str, list[str]] = {}
    for e in strict(entries):
        if e["enforcement"] == "mandatory" and not e["passed"]:
            failed.setdefault(e["policy"], []).append(e["message"])
    return code, failed


def _known_fails(failed: dict[str, list[str]], type_: str) -> None:
    assert any(m.startswith(type_) or f" {type_} " in m for m in failed.get("resource-types-known", [])), failed


# ------------------------------------------------------------------------------------------------ T1: Kubernetes

KARPENTER = "kubernetes:karpenter.sh/v1:NodePool"
RELEASE = "kubernetes:helm.sh/v3:Release"


def _pool_unbounded(inputs: dict[str, Any]) -> None:
    spec = inputs["spec"]
    spec["template"]["spec"].pop("taints")
    spec["limits"] = {"nodes": 100000, "nvidia.com/gpu": 100000}
    spec["disruption"] = {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "0s"}


@pytest.mark.parametrize(
    "new",
    [
        "kubernetes:karpenter.sh/v1beta1:NodePool",
        "kubernetes:karpenter.sh/v2:NodePool",
        "kubernetes:karpenter.sh/v1alpha5:Provisioner",
        "kubernetes:karpenter.sh/v1:Nodepool",
    ],
)
def test_t1_karpenter_pool_at_another_version_fails_as_a_pool(tmp_path: Path, new: str) -> None:
    """aws-dev's GPU NodePool untainted, unbounded, consolidating, retyped: Karpenter's group is a node-creating
    controller's, so besides resource-types-known both GPU rules fail it (overriding the first lets nothing in)."""
    doc, stack = _stack("aws-dev")
    _retype(stack, "mlplatform-nodepool-l4", KARPENTER, new, _pool_unbounded)
    code, failed = _check(tmp_path, doc, stack)
    assert code == EXIT_POLICY
    _known_fails(failed, new)
    assert failed.keys() >= GPU_RULES, failed


@pytest.mark.parametrize("new", ["kubernetes:helm.sh/v3:Chart", "kubernetes:helm.sh/v2:Release"])
def test_t1_helm_release_at_another_version_or_kind_fails(tmp_path: Path, new: str) -> None:
    """istiod's Release without its pinned version, retyped: helm.sh is read only as v3 Release and v4 Chart."""
    doc, stack = _stack("aws-dev")
    _retype(stack, "mlplatform-istiod", RELEASE, new, lambda inputs: inputs.pop("version", None))
    code, failed = _check(tmp_path, doc, stack)
    assert code == EXIT_POLICY
    assert failed.keys() == {"resource-types-known"}, failed
    (message,) = failed["resource-types-known"]
    assert message.startswith(f"{new}: the pack reads API group helm.sh only as helm.sh/v3:Release, helm.sh/v4:Chart")


_CNRM_POOL = {
    "apiVersion": "container.cnrm.cloud.google.com/v1beta1",
    "kind": "ContainerNodePool",
    "metadata": {"name": "gpu-a100", "namespace": "default"},
    "spec": {
        "clusterRef": {"name": "mlp-gcp-prod"},
        "autoscaling": {"minNodeCount": 0, "maxNodeCount": 1000},
        "nodeConfig": {"machineType": "a2-highgpu-8g", "guestAccelerator": [{"type": "nvidia-tesla-a100", "count": 8}]},
    },
}
_ACK_GROUP = {
    "apiVersion": "eks.services.k8s.aws/v1alpha1",
    "kind": "Nodegroup",
    "metadata": {"name": "gpu"},
    "spec": {"clusterName": "mlp-aws-dev", "instanceTypes": ["p4d.24xlarge"], "scalingConfig": {"maxSize": 1000}},
}
_XP_GROUP = {
    "apiVersion": "eks.aws.upbound.io/v1beta1",
    "kind": "NodeGroup",
    "metadata": {"name": "gpu"},
    "spec": {"forProvider": {"instanceTypes": ["p4d.24xlarge"], "scalingConfig": [{"maxSize": 1000, "minSize": 0}]}},
}


def _karpenter_v1beta1(stack: Stack) -> dict[str, Any]:
    pool = next(r for r in stack["resources"] if r["type"] == KARPENTER and r["name"] == "mlplatform-nodepool-l4")
    inputs = copy.deepcopy(pool["inputs"])
    _pool_unbounded(inputs)
    inputs["apiVersion"] = "karpenter.sh/v1beta1"
    inputs["metadata"]["name"] = "gpu-extra"
    return inputs


@pytest.mark.parametrize(
    ("stack_name", "type_", "inputs", "kind"),
    [
        ("gcp-prod", "kubernetes:container.cnrm.cloud.google.com/v1beta1:ContainerNodePool", _CNRM_POOL, "pool"),
        ("gcp-prod", "kubernetes:container.cnrm.cloud.google.com/v1beta1:ContainerCluster", {}, "cluster"),
        ("aws-dev", "kubernetes:eks.services.k8s.aws/v1alpha1:Nodegroup", _ACK_GROUP, "pool"),
        ("aws-dev", "kubernetes:eks.aws.upbound.io/v1beta1:NodeGroup", _XP_GROUP, "pool"),
        ("aws-dev", "kubernetes:eks.aws.upbound.io/v1beta1:Cluster", {}, "cluster"),
        ("aws-dev", "kubernetes:karpenter.sh/v1beta1:NodePool", None, "pool"),
    ],
    ids=[
        "cnrm-pool",
        "cnrm-cluster",
        "ack-nodegroup",
        "crossplane-nodegroup",
        "crossplane-cluster",
        "karpenter-v1beta1",
    ],
)
def test_t1_node_creating_controllers_fail_as_clusters_and_pools(
    tmp_path: Path, stack_name: str, type_: str, inputs: dict[str, Any] | None, kind: str
) -> None:
    """An added object of a node-creating controller fails resource-types-known and, as a pool, both GPU rules; as a
    cluster, every cluster rule too (policy/rules/percloud.py NODE_CONTROLLERS)."""
    doc, stack = _stack(stack_name)
    _add(stack, type_, "extra", copy.deepcopy(inputs) if inputs is not None else _karpenter_v1beta1(stack))
    stack["judgedResources"].append(copy.deepcopy(stack["resources"][-1]))
    code, failed = _check(tmp_path, doc, stack)
    assert code == EXIT_POLICY
    _known_fails(failed, type_)
    assert failed.keys() >= GPU_RULES, failed
    if kind == "cluster":
        assert failed.keys() >= set(CLUSTER_RULES), failed


# ------------------------------------------------------------------------------------------------ T2: cloud types

KMS = "aws:kms/key:Key"


@pytest.mark.parametrize(
    ("stack_name", "name", "old", "new", "change"),
    [
        ("aws-dev", "mlplatform-secrets-key", KMS, "aws:kms/key:KeyV2", "rotation"),
        ("aws-dev", "mlplatform-secrets-key", KMS, "aws:kms/replicaKey:ReplicaKey", "rotation"),
        ("aws-dev", "mlplatform-secrets-key", KMS, "aws:kms/externalKey:ExternalKey", "rotation"),
        ("aws-dev", "mlplatform-node-role", "aws:iam/role:Role", "aws:iam/roleV2:RoleV2", "tags"),
        ("azure-staging", "mlplatform-secrets-key", "azure-native:keyvault:Key", "azure-native:keyvault:KeyV2", "tags"),
    ],
)
def test_t2_a_registered_clouds_type_the_pack_does_not_know_fails(
    tmp_path: Path, stack_name: str, name: str, old: str, new: str, change: str
) -> None:
    """A KMS key without rotation or a role or key without tags, retyped to a class its SDK lacks (``KeyV2``) or one
    the rules do not read (``ReplicaKey``): resource-types-known fails it, naming the type and the way out."""
    doc, stack = _stack(stack_name)

    def weaken(inputs: dict[str, Any]) -> None:
        if change == "rotation":
            inputs["enableKeyRotation"] = False
        else:
            inputs.pop("tags", None)

    _retype(stack, name, old, new, weaken)
    code, failed = _check(tmp_path, doc, stack)
    assert code == EXIT_POLICY
    cloud = "azure" if new.startswith("azure") else "aws"
    assert failed == {
        "resource-types-known": [
            f"{new} is not a type of cloud {cloud} the pack knows (known in policy.clouds.{cloud}), so no rule reads "
            "it: override resource-types-known with a reason, or teach the pack the type (docs/extending.md)"
        ]
    }


# ------------------------------------------------------------------------------------------------ T3: other packages

EKS = "aws:eks/cluster:Cluster"
LOOKS_LIKE_CLUSTER = (
    "mlplatform:index:Cluster",
    "random:index:RandomCluster",
    "tls:index:Cluster",
    "std:index:Cluster",
    "pulumi:pulumi:Cluster",
    "kubernetes:eks.amazonaws.com/v1:Cluster",
)


@pytest.mark.parametrize("new", [*LOOKS_LIKE_CLUSTER, "pulumi-python:dynamic:Resource", "command:local:Command"])
def test_t3_a_cluster_retyped_out_of_its_cloud_fails(tmp_path: Path, new: str) -> None:
    """aws-dev's EKS cluster opened to the world, retyped into a non-cloud package: resource-types-known fails it;
    a class that looks like a cluster (or an object of EKS Auto Mode's group) fails every cluster rule as well."""
    doc, stack = _stack("aws-dev")
    _retype(
        stack,
        "mlplatform-eks-eksCluster",
        EKS,
        new,
        lambda inputs: inputs["vpcConfig"].update(publicAccessCidrs=["0.0.0.0/0"]),
    )
    code, failed = _check(tmp_path, doc, stack)
    assert code == EXIT_POLICY
    _known_fails(failed, new)
    if new in LOOKS_LIKE_CLUSTER:
        assert failed.keys() >= set(CLUSTER_RULES), failed


GKE_POOL = "gcp:container/nodePool:NodePool"


@pytest.mark.parametrize("new", ["mlplatform:index:NodePool", "pulumi-python:dynamic:Resource"])
def test_t3_gpu_pools_retyped_out_of_their_cloud_fail(tmp_path: Path, new: str) -> None:
    """gcp-prod's GPU pools untainted and unbounded, retyped: resource-types-known fails each."""
    doc, stack = _stack("gcp-prod")
    names = [r["name"] for r in stack["resources"] if r["type"] == GKE_POOL and "gpu" in r["name"]]
    assert names

    def weaken(inputs: dict[str, Any]) -> None:
        inputs.get("nodeConfig", {}).pop("taints", None)
        inputs.setdefault("autoscaling", {})["maxNodeCount"] = 100000

    for name in names:
        _retype(stack, name, GKE_POOL, new, weaken)
    code, failed = _check(tmp_path, doc, stack)
    assert code == EXIT_POLICY
    assert len([m for m in failed["resource-types-known"] if m.startswith(new)]) == len(names), failed
    if new == "mlplatform:index:NodePool":
        assert failed.keys() >= GPU_RULES, failed


# ------------------------------------------------------------------------------------------------ the allow-list


@cache
def _rendered() -> dict[str, set[str]]:
    """Every type each shipped and cover stack and example renders (tests/urns.py ``targets``), plain and with
    placeholders where the plan takes them: type -> the stacks rendering it."""
    found: dict[str, set[str]] = {}
    for t, result in target_plans():
        for r in result.resources:
            found.setdefault(r.type, set()).add(str(t.stack))
    for placeholders in (False, True):
        for s in json.loads(_saved(placeholders))["stacks"]:
            for r in s["resources"]:
                found.setdefault(r["type"], set()).add(s["stack"])
    return found


def test_every_rendered_type_is_known_and_every_known_type_rendered_or_justified() -> None:
    from policy.rules import percloud

    known = percloud.known_types()
    rendered = _rendered()
    assert sorted(set(rendered) - known.keys()) == [], "rendered types the pack does not know"
    stale = sorted(t for t, why in known.items() if t not in rendered and not why)
    assert stale == [], "known types no stack renders and nothing justifies: render them or say why they are known"
    needless = sorted(
        t for t, why in known.items() if t in rendered and why and not why.startswith(("rendered", "listed in"))
    )
    assert needless == [], "justified types a stack renders after all: mark them RENDERED"


def _constructed() -> dict[str, set[str]]:
    """Every resource type the platform's code can make, whatever the stack: each call in components/ and infra/ of a
    class with a ``pulumi_type`` (the SDKs' resource classes), and each child a remote component makes as
    components/plan models it (``Child("<type>", ...)``): type -> the modules."""
    import pkgutil

    import components
    import infra

    found: dict[str, set[str]] = {}
    for pkg in (components, infra):
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if info.name == "infra.__main__":
                continue  # runs the program on import
            module = importlib.import_module(info.name)
            assert module.__file__ is not None
            for node in ast.walk(ast.parse(Path(module.__file__).read_text())):
                if not isinstance(node, ast.Call):
                    continue
                chain: list[str] = []
                func: ast.expr = node.func
                while isinstance(func, ast.Attribute):
                    chain.insert(0, func.attr)
                    func = func.value
                if not isinstance(func, ast.Name):
                    continue
                if func.id == "Child" and node.args and isinstance(node.args[0], ast.Constant):
                    found.setdefault(str(node.args[0].value), set()).add(info.name)
                    continue
                obj: Any = vars(module).get(func.id)
                for attr in chain:
                    obj = getattr(obj, attr, None)
                type_ = getattr(obj, "pulumi_type", None) if isinstance(obj, type) else None
                if isinstance(type_, str):
                    found.setdefault(type_, set()).add(info.name)
    return found


def test_every_type_the_code_can_make_is_known() -> None:
    """Beyond what the shipped and cover stacks render (request logs on Azure, pulumi-eks's default security group):
    a resource class the code constructs under any setting is one the pack knows."""
    from policy.rules import percloud

    constructed = _constructed()
    assert {"azure-native:storage:StorageAccount", "aws:kms/key:Key", "kubernetes:core/v1:ConfigMap"} <= set(
        constructed
    )
    assert sorted(set(constructed) - percloud.known_types().keys()) == []


def test_component_types_are_derived_from_the_component_classes() -> None:
    from components import clouds
    from policy.rules import percloud

    # each registered cloud's cluster class (its entry's `cluster`, "module:Class"), so adding a cloud edits no test
    cluster_classes = {c.cluster.rsplit(":", 1)[1] for c in clouds.all_clouds()}
    assert cluster_classes >= {"EksCluster", "ExistingCluster"}
    assert percloud.component_types() == {
        f"mlplatform:index:{c}"
        for c in (*cluster_classes, "Platform", "ModelService", "ModelNamespace", "Pipeline", "ModelRuntime")
    }


@cache
def _sdk_types(module: str) -> frozenset[str]:
    """The resource classes an installed Pulumi Python SDK registers: the ``classes`` of each entry of the JSON its
    ``__init__.py`` passes to ``_utilities.register(resource_modules=...)``."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, module
    tree = ast.parse(Path(spec.origin).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "register":
            for kw in node.keywords:
                if kw.arg == "resource_modules" and isinstance(kw.value, ast.Constant):
                    return frozenset(t for entry in json.loads(kw.value.value) for t in entry["classes"])
    raise AssertionError(f"{module}/__init__.py registers no resource modules")


def test_each_clouds_known_types_are_classes_of_its_sdk() -> None:
    """A registered cloud's known type (``CloudPolicy.known``, its cluster and pool types) is a class its installed
    SDK registers, unless its entry says why not (a component inside the provider, Karpenter's CRDs)."""
    from components import clouds
    from policy.rules import percloud

    for cloud in clouds.all_clouds():
        if not cloud.policy or not cloud.tag_packages:
            continue
        sdk = frozenset().union(*(_sdk_types(m) for m in cloud.tag_packages.values()))
        policy = percloud._load(cloud.policy)
        listed = {**dict.fromkeys((*cloud.cluster_types, *cloud.pool_types), ""), **policy.known}
        missing = sorted(
            t for t, why in listed.items() if t.split(":", 1)[0] in cloud.tag_packages and t not in sdk and not why
        )
        assert missing == [], f"{cloud.name}: known types its SDK does not register"
        assert "aws:kms/key:KeyV2" not in sdk and "aws:kms/replicaKey:ReplicaKey" in _sdk_types("pulumi_aws")
        justified = [t for t, why in listed.items() if t.split(":", 1)[0] in cloud.tag_packages and t not in sdk]
        assert all(listed[t] for t in justified), justified
