"""``gpu-pool-disk-fits`` (policy/rules/disk.py, issue #17 P2): the second line behind the plan-time disk check.

The rule keeps its own figures and computation; it must not call components/coldstart.py, so a slip there cannot
blind both. Each boundary below is judged on a shipped or cover stack's planned objects, moved to the boundary, and
each expected figure is derived here by hand from the sources the rule cites:

- the kubelet runs image GC past 85 % of the disk (kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1,
  ``imageGCHighThresholdPercent`` "Default: 85"); a disk of N GiB holds N x 2^30 / 10^9 x 0.85 GB below it;
- image sizes (GB): tritonserver 15.5, huggingfaceserver 12, torchserve-kfs 8.4; an image of unknown size 15.5;
  models: the ``mlplatform.io/model-size-gb`` annotation (qwen-chat 3.1) else by format (triton 0.1, onnx 0.44);
- one node holds the pods its GPU requests admit (GPUs x time-slicing clients, or x ``7 // g`` MIG partitions of a
  ``<g>g`` profile), each image once and every pod's download.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest

from policy.rules import Resource, disk, run_rules
from support import ROOT, cover_plan, mutated_resources, rules_named, rules_plan

RULE = "gpu-pool-disk-fits"
GKE_POOL = "gcp:container/nodePool:NodePool"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
HF_GPU = "kserve/huggingfaceserver:v0.20.0-gpu"
TORCHSERVE_GPU = "pytorch/torchserve-kfs:0.9.0-gpu"


def _failures(resources: Any, settings: Any) -> list[str]:
    return [
        e["message"]
        for e in run_rules(list(resources), settings, rules=rules_named(RULE))
        if e["policy"] == RULE and not e["passed"]
    ]


def _need(message: str) -> float:
    """The GB a failure says one node must hold."""
    return float(message.split("must hold ", 1)[1].split(" GB", 1)[0])


def _gke_pool(name: str) -> Any:
    def pick(r: Resource) -> bool:
        labels = (r.props.get("nodeConfig") or {}).get("labels") or {} if isinstance(r.props, dict) else {}
        return r.type == GKE_POOL and labels.get("mlplatform.io/pool") == name

    return pick


def _isvc(name: str) -> Any:
    return lambda r: r.type == ISVC and r.k8s_name == name


def _gke_disk(gib: int) -> Any:
    def change(props: dict[str, Any]) -> None:
        props["nodeConfig"]["diskSizeGb"] = gib

    return change


def _size(gb: str) -> Any:
    def change(props: dict[str, Any]) -> None:
        props["metadata"].setdefault("annotations", {})["mlplatform.io/model-size-gb"] = gb

    return change


def _on_a100(props: dict[str, Any]) -> None:
    props["spec"]["predictor"]["nodeSelector"]["mlplatform.io/accelerator"] = "nvidia-a100-40gb"


# ------------------------------------------------------------------------------------------ independence of the check


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.update([node.module, *(f"{node.module}.{a.name}" for a in node.names)])
    return names


def test_the_rule_imports_nothing_of_the_plan_time_check() -> None:
    """disk.py and the clouds' readers import no part of components/coldstart.py; from components/ the rule takes
    only the machine catalog (GPUs per machine) and KServe's runtime selection model."""
    files = [ROOT / "policy/rules/disk.py", *(ROOT / f"policy/clouds/{c}.py" for c in ("aws", "gcp", "azure"))]
    for path in files:
        assert not {n for n in _imports(path) if "coldstart" in n}, path
    own = {n for n in _imports(ROOT / "policy/rules/disk.py") if n.startswith("components")}
    assert own == {"components", "components.catalog", "components.serving", "components.serving.runtimes"}


def test_the_rule_judges_with_the_plan_time_check_broken(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every function of components/coldstart.py raising, the rule still finds the same need on a planned stack."""
    from components import coldstart

    resources, settings = rules_plan("gcp-prod")
    small = mutated_resources(resources, _gke_pool("l4"), _gke_disk(20), exactly=1)
    before = [f.message for f in disk._check(small, settings.facts)]

    def broken(*_: Any, **__: Any) -> Any:
        raise AssertionError("the rule called components/coldstart.py")

    for name, value in vars(coldstart).items():
        if callable(value) and getattr(value, "__module__", "") == coldstart.__name__:
            monkeypatch.setattr(coldstart, name, broken)
    assert [f.message for f in disk._check(small, settings.facts)] == before and len(before) == 1
    assert "must hold 30.7 GB" in before[0]


# ------------------------------------------------------------------------------------------------ the threshold


def _aws_volume(gib: int) -> Any:
    def change(props: dict[str, Any]) -> None:
        props["spec"]["blockDeviceMappings"][0]["ebs"]["volumeSize"] = f"{gib}Gi"

    return change


def _aks_disk(gib: int) -> Any:
    def change(props: dict[str, Any]) -> None:
        props["osDiskSizeGB"] = gib

    return change


def _with_warm(resources: Any) -> list[Resource]:
    """aws-dev's plan with the warm-capacity placeholders cover-aws-node-groups renders for its pool l4 (the same
    pool name): they pre-pull onnx-server (a stack runtime, 15.5 GB) and torchserve-kfs's -gpu image (8.4 GB)."""
    cover, _ = cover_plan("cover-aws-node-groups")
    warm = [
        r
        for r in cover
        if r.type == "kubernetes:apps/v1:Deployment"
        and "mlplatform.io/warm-capacity-pool" in ((r.get("spec.template.metadata") or {}).get("labels") or {})
    ]
    assert warm, "cover-aws-node-groups renders no placeholder: the plan's shape moved"
    return [*resources, *warm]


# (stack, the pool's object, its disk at GiB, need in GB, the smallest disk that holds it)
# gcp-prod a100 with qwen-chat moved there at 36 GB: huggingfaceserver 12 + 36 download = 48 GB; 53 GiB x 1.073741824
#   x 0.85 = 48.37 GB >= 48, 52 GiB = 47.46 GB < 48.
# aws-dev l4 (g6.xlarge, one L4) with the warm placeholders: pre-pulled 15.5 + 8.4, resnet50's torchserve image the
#   same 8.4 (once) + its 0.1 GB download = 24 GB; 27 GiB = 24.64 GB, 26 GiB = 23.73 GB.
# azure-staging t4 (one T4): bert-onnx on tritonserver 15.5 + 0.44 GB download = 15.94 GB; 18 GiB = 16.43 GB,
#   17 GiB = 15.52 GB.
BOUNDARIES = {
    "gke": ("gcp-prod", 48.0, 53),
    "eks-warm": ("aws-dev", 24.0, 27),
    "aks": ("azure-staging", 15.94, 18),
}


def _at(where: str, gib: int) -> tuple[list[Resource], Any]:
    stack = BOUNDARIES[where][0]
    resources, settings = rules_plan(stack)
    if where == "gke":
        moved = mutated_resources(resources, _isvc("qwen-chat"), _on_a100, exactly=1)
        moved = mutated_resources(moved, _isvc("qwen-chat"), _size("36"), exactly=1)
        return mutated_resources(moved, _gke_pool("a100"), _gke_disk(gib), exactly=1), settings
    if where == "eks-warm":
        nodeclass = lambda r: r.type == "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"  # noqa: E731
        return mutated_resources(_with_warm(resources), nodeclass, _aws_volume(gib), exactly=1), settings
    pool = lambda r: r.type == "azure-native:containerservice:AgentPool"  # noqa: E731
    return mutated_resources(resources, pool, _aks_disk(gib), exactly=1), settings


@pytest.mark.parametrize("where", sorted(BOUNDARIES))
def test_a_pool_at_the_threshold_passes_and_one_gib_less_fails(where: str) -> None:
    _, need, least = BOUNDARIES[where]
    assert _failures(*_at(where, least)) == []
    failed = _failures(*_at(where, least - 1))
    assert len(failed) == 1 and _need(failed[0]) == need, failed
    limit = math.floor((least - 1) * 2**30 / 1e9 * 0.85 * 100) / 100  # rounded down as the plan-time check prints it
    assert f"{limit:g} GB of {least - 1} GiB; give diskSizeGib >= {least}," in failed[0]
    assert least == math.ceil(need / 0.85 / (2**30 / 1e9))


# ------------------------------------------------------------------------------------------- what one node holds


def _gke_sharing(clients: int | None) -> Any:
    def change(props: dict[str, Any]) -> None:
        accel = props["nodeConfig"]["guestAccelerators"][0]
        if clients is None:
            accel.pop("gpuSharingConfig", None)
        else:
            accel["gpuSharingConfig"]["maxSharedClientsPerGpu"] = clients

    return change


@pytest.mark.parametrize(
    ("clients", "need"),
    [
        (None, 15.6),  # one pod a node: the larger, resnet-triton: tritonserver 15.5 + 0.1
        (2, 30.7),  # gcp-prod as shipped: both models, 15.5 + 12 + 0.1 + 3.1
        (3, 33.8),  # both + a second qwen-chat (the larger download): + 3.1
        (4, 36.9),  # both + two more qwen-chat replicas: + 6.2
    ],
)
def test_time_slicing_admits_that_many_pods_a_node(clients: int | None, need: float) -> None:
    """gcp-prod's l4 pool (one L4 a node) at 10 GiB, so the rule always fails and names its need."""
    resources, settings = rules_plan("gcp-prod")
    moved = mutated_resources(resources, _gke_pool("l4"), _gke_disk(10), exactly=1)
    moved = mutated_resources(moved, _gke_pool("l4"), _gke_sharing(clients), exactly=1)
    failed = _failures(moved, settings)
    assert len(failed) == 1 and _need(failed[0]) == need, failed


@pytest.mark.parametrize(
    ("profile", "need"),
    [
        ("1g.5gb", 33.7),  # 7 // 1 = 7 pods of qwen-chat: 12 + 7 x 3.1
        ("3g.20gb", 18.2),  # 7 // 3 = 2: 12 + 2 x 3.1
        ("7g.40gb", 15.1),  # 7 // 7 = 1: 12 + 3.1
    ],
)
def test_mig_partitions_admit_seven_slices_over_g_pods(profile: str, need: float) -> None:
    """gcp-prod's a100 pool (one A100 a node) partitioned, at 10 GiB, with qwen-chat moved onto it."""
    resources, settings = rules_plan("gcp-prod")
    moved = mutated_resources(resources, _isvc("qwen-chat"), _on_a100, exactly=1)
    moved = mutated_resources(moved, _gke_pool("a100"), _gke_disk(10), exactly=1)

    def partition(props: dict[str, Any]) -> None:
        props["nodeConfig"]["guestAccelerators"][0]["gpuPartitionSize"] = profile

    failed = _failures(mutated_resources(moved, _gke_pool("a100"), partition, exactly=1), settings)
    assert len(failed) == 1 and _need(failed[0]) == need, failed


def test_an_image_two_models_share_is_counted_once() -> None:
    """cover-gcp-standard's a100 pool (MIG 1g.5gb: 7 pods a node) holds chat and chat-kv (both huggingfaceserver,
    0.98 GB downloads) and bert (tritonserver, 0.44): 12 + 15.5 once each, 0.98 + 0.98 + 0.44 for the three pods and
    4 more chat replicas, 4 x 0.98 = 33.82 GB (the huggingfaceserver image twice would be 45.82); chat-kv adds
    nothing chat does not, so the message names bert + chat with five chat pods."""
    resources, settings = cover_plan("cover-gcp-standard")
    failed = _failures(mutated_resources(resources, _gke_pool("a100"), _gke_disk(10), exactly=1), settings)
    assert len(failed) == 1 and _need(failed[0]) == 33.82, failed
    assert "models bert + chat: 2 image(s) + 6.32 GB of downloads" in failed[0]  # chat-kv's footprint is chat's


# ------------------------------------------------------------------------------------------------ caches


def _caches(settings: Any, caches: Any) -> Any:
    return dataclasses.replace(settings, facts=dataclasses.replace(settings.facts, image_caches=caches))


def _secondary_boot_disk(props: dict[str, Any]) -> None:
    props["nodeConfig"]["secondaryBootDisks"] = [
        {"diskImage": "projects/p/global/images/c", "mode": "CONTAINER_IMAGE_CACHE"}
    ]


@pytest.mark.parametrize(
    ("boot_disk_cache", "caches", "need"),
    [
        (True, (("nvidia-l4", (HF_GPU,)),), 18.7),  # the huggingfaceserver image is on the cache disk: 30.7 - 12
        (True, None, 30.7),  # the list not known: every image on the boot disk
        (False, (("nvidia-l4", (HF_GPU,)),), 30.7),  # listed but no cache disk rendered: pulled onto the boot disk
        (True, (("nvidia-l4", (HF_GPU,)), ("nvidia-l4", ())), 30.7),  # another l4 pool lists none: not on every one
    ],
)
def test_a_gke_secondary_boot_disk_holds_the_listed_images_off_the_boot_disk(
    boot_disk_cache: bool, caches: Any, need: float
) -> None:
    """gcp-prod's l4 pool (2 pods a node: 30.7 GB) at 10 GiB with GKE's CONTAINER_IMAGE_CACHE secondary boot disk
    ("the secondary boot disk's size is determined by the disk image's size", cloud.google.com/kubernetes-engine/
    docs/how-to/data-container-image-preloading) and the stack's list (settings.imageCaches)."""
    resources, settings = rules_plan("gcp-prod")
    moved = mutated_resources(resources, _gke_pool("l4"), _gke_disk(10), exactly=1)
    if boot_disk_cache:
        moved = mutated_resources(moved, _gke_pool("l4"), _secondary_boot_disk, exactly=1)
    failed = _failures(moved, _caches(settings, caches))
    assert len(failed) == 1 and _need(failed[0]) == need, failed


@pytest.mark.parametrize(
    ("caches", "need"),
    [
        ((("nvidia-l4", ("ghcr.io/acme/tools:1.0",)),), 24.0),  # an image of unknown size 15.5 + 8.4 + 0.1
        ((("nvidia-l4", (TORCHSERVE_GPU,)),), 8.5),  # the pod's own image, once
        (None, 8.5),  # not known: nothing of the list counted (a lower bound)
    ],
)
def test_an_eks_cache_on_the_data_volume_is_counted_on_the_disk(caches: Any, need: float) -> None:
    """aws-dev's l4 pool at 5 GiB: its EBS-snapshot cache is the node's data volume, the disk the rule judges."""
    resources, settings = rules_plan("aws-dev")
    nodeclass = lambda r: r.type == "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"  # noqa: E731
    failed = _failures(mutated_resources(resources, nodeclass, _aws_volume(5), exactly=1), _caches(settings, caches))
    assert len(failed) == 1 and _need(failed[0]) == need, failed


def test_warm_pre_pulls_are_counted_with_the_pods_images_once() -> None:
    """aws-dev's l4 with cover-aws-node-groups' placeholders at 5 GiB: 15.5 + 8.4 + 0.1 = 24 GB; without them 8.5."""
    resources, settings = rules_plan("aws-dev")
    nodeclass = lambda r: r.type == "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"  # noqa: E731
    warm = _failures(mutated_resources(_with_warm(resources), nodeclass, _aws_volume(5), exactly=1), settings)
    cold = _failures(mutated_resources(resources, nodeclass, _aws_volume(5), exactly=1), settings)
    assert [_need(m) for m in warm + cold] == [24.0, 8.5], warm + cold


# ------------------------------------------------------------------------------------------------ the rule's figures


def test_the_rules_figures_match_the_plan_time_checks_data() -> None:
    """Both lines restate the same sources; a deliberate change to components/coldstart.yaml updates the rule too."""
    from components import coldstart

    d = copy.deepcopy(coldstart.load())
    assert d["nodeDisk"]["imageGcHighPercent"] == disk.GC_HIGH_PERCENT
    images = {k: (str(v["image"]), float(v["gb"])) for k, v in d["images"].items() if k != "default"}
    assert images == dict(disk.RUNTIME_IMAGES)
    assert float(d["images"]["default"]["gb"]) == disk.UNKNOWN_IMAGE_GB
    assert {k: float(v["gb"]) for k, v in d["modelSize"].items()} == dict(disk.MODEL_GB)
