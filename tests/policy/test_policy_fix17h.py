"""issue #17, fix17h: the last known policy gaps.

- Karpenter counts a NodePool's usage from its initialized nodes' ``status.capacity`` (kubernetes-sigs/karpenter
  v1.14.1 pkg/controllers/state/statenode.go ``Capacity()``, state/cluster.go ``updateNodePoolResources``,
  provisioning/scheduling/scheduler.go ``updateRemainingResources`` and ``filterByRemainingResources``), and a node
  whose GPUs the NVIDIA device plugin time-slices or shares by MPS advertises GPUs x replicas of ``nvidia.com/gpu``
  (NVIDIA/k8s-device-plugin v0.20.0 README.md "With CUDA Time-Slicing", "With CUDA MPS"): a shared pool's GPU limit
  must count the shares (``karpenter-gpu-limit-covers-nodes``), and ``gpu-budget`` counts its GPUs as the limit over
  the shares.
- rev17i i25: a 2-GPU model on a stack whose pools of its accelerator all share GPUs gets the node affinity
  ``mlplatform.io/pool NotIn [every shared pool]`` and no pool can run it; ``node-selectors-match-pools`` now judges
  each InferenceService component and workload pod template as kube-scheduler places it: its nodeSelector, its
  required node affinity (kubernetes/apimachinery v0.34.10 pkg/labels/selector.go ``Requirement.Matches``;
  kubernetes/component-helpers v0.34.10 scheduling/corev1/nodeaffinity/nodeaffinity.go), the pool's taints and the
  GPUs one node grants (one share per container where they are shared: GoogleCloudPlatform/
  container-engine-accelerators@992db81 pkg/gpu/nvidia/gpusharing/gpusharing.go ``ValidateRequest``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from policy.rules import Resource, run_rules
from policy.rules.gpu import gpu_pools, pool_gpus
from support import cover_plan, mutated_resources, rules_named, rules_plan

NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool"
GPU_LIMIT = "karpenter-gpu-limit-covers-nodes"
CONFIG_LABEL = "nvidia.com/device-plugin.config"


def _failures(
    stack: str, rule: str, pick: Callable[[Resource], bool], change: Callable[[dict[str, Any]], None]
) -> list[str]:
    resources, settings = rules_plan(stack)
    mutated = mutated_resources(resources, pick, change, exactly=1)
    return [e["message"] for e in run_rules(mutated, settings, rules=rules_named(rule)) if not e["passed"]]


def _pool(r: Resource) -> bool:
    return r.type == NODEPOOL


def _shared(instance_type: str, config: str | None, nodes: Any, gpus: Any) -> Callable[[dict[str, Any]], None]:
    def change(p: dict[str, Any]) -> None:
        template = p["spec"]["template"]
        for r in template["spec"]["requirements"]:
            if r["key"] == "node.kubernetes.io/instance-type":
                r["values"] = [instance_type]
        if config is not None:
            template["metadata"]["labels"][CONFIG_LABEL] = config
        p["spec"]["limits"] = {"nodes": nodes, "nvidia.com/gpu": gpus}

    return change


@pytest.mark.parametrize(
    ("instance_type", "config", "nodes", "gpus", "line"),
    [
        ("g6.xlarge", "time-slicing-2", 4, 8, None),  # four nodes of one L4 shared two ways advertise 8
        ("g6.xlarge", "time-slicing-2", 4, 9, None),
        # the limit counting GPUs only: Karpenter stops at two nodes (each advertises 2)
        ("g6.xlarge", "time-slicing-2", 4, 4, "limits nvidia.com/gpu to 4, under limits.nodes 4 x 1 GPUs of "
         "g6.xlarge x 2 shares each (device-plugin config) (8): Karpenter stops launching at 2 node(s); set limits "
         "nvidia.com/gpu to 8"),
        ("g6.xlarge", "time-slicing-2", 4, 7, "limits nvidia.com/gpu to 7, under limits.nodes 4 x 1 GPUs of "
         "g6.xlarge x 2 shares each (device-plugin config) (8): Karpenter stops launching at 3 node(s); set limits "
         "nvidia.com/gpu to 8"),
        ("g6.12xlarge", "mps-3", 2, 24, None),
        ("g6.12xlarge", "mps-3", 2, 8, "limits nvidia.com/gpu to 8, under limits.nodes 2 x 4 GPUs of g6.12xlarge x 3 "
         "shares each (device-plugin config) (24): Karpenter stops launching at 0 node(s); set limits nvidia.com/gpu "
         "to 24"),
        ("g6.12xlarge", "mps-1", 2, 8, None),  # one replica: not shared
        ("g6.12xlarge", "other", 2, 8, None),  # a config that names no sharing
    ],
)  # fmt: skip
def test_a_shared_pool_limit_counts_the_shares(
    instance_type: str, config: str, nodes: int, gpus: int, line: str | None
) -> None:
    failed = _failures("aws-dev", GPU_LIMIT, _pool, _shared(instance_type, config, nodes, gpus))
    assert failed == ([] if line is None else [f"GPU NodePool gpu-l4 {line}"])


@pytest.mark.parametrize(("config", "gpus", "counted"), [(None, 4, 4), ("time-slicing-2", 8, 4), ("mps-4", 8, 2)])
def test_gpu_budget_counts_gpus_not_shares(config: str | None, gpus: int, counted: int) -> None:
    """``gpu-budget`` reads a NodePool's GPU limit as the GPUs it may start; on a shared pool the limit counts
    shares."""
    resources, _ = rules_plan("aws-dev")
    (pool,) = [r for r in mutated_resources(resources, _pool, _shared("g6.xlarge", config, 4, gpus)) if _pool(r)]
    (read,) = gpu_pools(pool)
    assert pool_gpus(read) == counted


# ------------------------------------------------------------------------------------------- rev17i i25

SELECTORS = "node-selectors-match-pools"
SHARED = "multi-gpu-avoids-shared-pools"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
GKE_POOL = "gcp:container/nodePool:NodePool"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
QWEN = "qwen-chat-isvc spec.predictor"
"""gcp-prod's qwen-chat predictor (nodeSelector mlplatform.io/accelerator=nvidia-l4; pools: system, l4 one L4 a node
time-shared by 2, a100 one A100 a node)."""


def _judged(
    resources: Any, settings: Any, changes: list[tuple[Callable[[Resource], bool], Callable[[dict[str, Any]], None]]]
) -> dict[str, list[str]]:
    for pick, change in changes:
        resources = mutated_resources(resources, pick, change, exactly=1)
    out: dict[str, list[str]] = {SELECTORS: [], SHARED: []}
    for e in run_rules(list(resources), settings, rules=rules_named(SELECTORS, SHARED)):
        if not e["passed"]:
            out[e["policy"]].append(e["message"])
    return out


def _qwen(r: Resource) -> bool:
    return r.type == ISVC and r.k8s_name == "qwen-chat"


def _gke_pool(name: str) -> Callable[[Resource], bool]:
    return lambda r: r.type == GKE_POOL and r.name == name


def _predictor(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        predictor = props["spec"]["predictor"]
        for key, value in fields.items():
            if value is None:
                predictor.pop(key, None)
            else:
                predictor[key] = value

    return change


def _required(*terms: dict[str, Any]) -> dict[str, Any]:
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}}


def _expr(key: str, op: str, *values: str) -> dict[str, Any]:
    out: dict[str, Any] = {"key": key, "operator": op}
    if values:
        out["values"] = list(values)
    return out


def _gpus(n: str) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        res = props["spec"]["predictor"]["model"]["resources"]
        res["limits"]["nvidia.com/gpu"] = res["requests"]["nvidia.com/gpu"] = n

    return change


def _accelerators(count: int) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        props["nodeConfig"]["guestAccelerators"][0]["count"] = count

    return change


def _selector_failures(changes: list[tuple[Callable[[Resource], bool], Callable[[dict[str, Any]], None]]]) -> list[str]:
    resources, settings = rules_plan("gcp-prod")
    return _judged(resources, settings, changes)[SELECTORS]


AFFINITY_LINE = (
    QWEN + ".affinity: its required node affinity ({shown}) admits none of the node pools its nodeSelector "
    "(mlplatform.io/accelerator=nvidia-l4) meets (mlplatform-gpu-l4): its pods stay Pending"
)
POOL = "mlplatform.io/pool"


def test_gcp_prod_as_planned_passes() -> None:
    assert _selector_failures([]) == []


@pytest.mark.parametrize(
    ("terms", "shown"),
    [
        ([{"matchExpressions": [_expr(POOL, "In", "l4")]}], None),  # the one pool admits
        ([{"matchExpressions": [_expr(POOL, "NotIn", "a100")]}], None),
        ([{"matchExpressions": [_expr(POOL, "Exists")]}], None),
        ([{"matchExpressions": [_expr("example.com/absent", "DoesNotExist")]}], None),
        ([{"matchExpressions": [_expr(POOL, "NotIn", "l4")]}, {"matchExpressions": [_expr(POOL, "In", "l4")]}], None),
        ([{"matchFields": [_expr("metadata.name", "In", "node-1")]}], None),  # node names are not read
        ([{"matchExpressions": [_expr("kubernetes.io/arch", "In", "amd64")]}], None),  # g2 machines: amd64
        ([{"matchExpressions": [_expr("topology.kubernetes.io/zone", "In", "us-central1-a")]}], None),  # per node
        # rev17i i25: NotIn excludes the last pool the nodeSelector meets
        ([{"matchExpressions": [_expr(POOL, "NotIn", "l4")]}], "mlplatform.io/pool NotIn [l4]"),
        ([{"matchExpressions": [_expr(POOL, "In", "a100")]}], "mlplatform.io/pool In [a100]"),
        ([{"matchExpressions": [_expr(POOL, "DoesNotExist")]}], "mlplatform.io/pool DoesNotExist"),
        ([{"matchExpressions": [_expr("example.com/absent", "Exists")]}], "example.com/absent Exists"),
        ([{"matchExpressions": [_expr(POOL, "Gt", "1")]}], "mlplatform.io/pool Gt [1]"),  # "l4" is no integer
        ([{"matchExpressions": [_expr(POOL, "Equals", "l4")]}], "mlplatform.io/pool Equals [l4]"),  # not an operator
        ([{"matchExpressions": [_expr("kubernetes.io/arch", "In", "arm64")]}], "kubernetes.io/arch In [arm64]"),
        ([{}], "an empty term"),  # "nil or empty term selects no objects"
        ([], "no term"),
        (
            [{"matchExpressions": [_expr(POOL, "In", "l4"), _expr(POOL, "NotIn", "l4")]}],
            "mlplatform.io/pool In [l4] and mlplatform.io/pool NotIn [l4]",
        ),
    ],
)
def test_the_required_node_affinity_must_admit_a_pool_the_selector_meets(
    terms: list[dict[str, Any]], shown: str | None
) -> None:
    failed = _selector_failures([(_qwen, _predictor(affinity=_required(*terms)))])
    assert failed == ([] if shown is None else [AFFINITY_LINE.format(shown=shown)])


def test_a_pod_without_the_gpu_toleration_fits_no_pool() -> None:
    """The one pool the nodeSelector and affinity admit taints nvidia.com/gpu=present:NoSchedule."""
    assert _selector_failures([(_qwen, _predictor(tolerations=None))]) == [
        QWEN + ".nodeSelector (mlplatform.io/accelerator=nvidia-l4) is met only by node pools whose taints its pods do "
        "not tolerate (mlplatform-gpu-l4: nvidia.com/gpu=present:NoSchedule): its pods stay Pending"
    ]
    # another key's toleration does not help (rev17i r02)
    other = [{"key": "kubernetes.azure.com/scalesetpriority", "operator": "Exists", "effect": "NoSchedule"}]
    assert len(_selector_failures([(_qwen, _predictor(tolerations=other))])) == 1


SHARED_L4 = "mlplatform-gpu-l4: {n} a node, 2 pods share each GPU, one share per container"


@pytest.mark.parametrize(
    ("gpus", "count", "line"),
    [
        ("1", 1, None),
        ("2", 1, "asks 2 nvidia.com/gpu a pod (2 in one container), more than any node pool it may land on grants it "
                  "(" + SHARED_L4.format(n=2) + ")"),
        # two L4s a node, time-shared: the node advertises 4, and the plugin still grants one share a container
        ("2", 2, "asks 2 nvidia.com/gpu a pod (2 in one container), more than any node pool it may land on grants it "
                  "(" + SHARED_L4.format(n=4) + ")"),
    ],
)  # fmt: skip
def test_a_shared_pool_grants_one_share_per_container(gpus: str, count: int, line: str | None) -> None:
    failed = _selector_failures([(_qwen, _gpus(gpus)), (_gke_pool("mlplatform-gpu-l4"), _accelerators(count))])
    assert failed == (
        []
        if line is None
        else [
            f"{QWEN} {line}: its pods stay Pending, or fail at admission (UnexpectedAdmissionError) where a shared "
            "GPU's device plugin refuses more than one share"
        ]
    )


@pytest.mark.parametrize(("gpus", "count", "ok"), [("1", 1, True), ("2", 2, True), ("2", 1, False), ("3", 2, False)])
def test_a_whole_pool_grants_its_gpus(gpus: str, count: int, ok: bool) -> None:
    """qwen-chat moved to the unshared a100 pool: a pod asking more GPUs than a node has is never placed."""
    a100 = {"mlplatform.io/accelerator": "nvidia-a100-40gb"}
    failed = _selector_failures(
        [
            (_qwen, _gpus(gpus)),
            (_qwen, _predictor(nodeSelector=a100)),
            (_gke_pool("mlplatform-gpu-a100"), _accelerators(count)),
        ]
    )
    assert failed == ([] if ok else [
        f"{QWEN} asks {gpus} nvidia.com/gpu a pod ({gpus} in one container), more than any node pool it may land on "
        f"grants it (mlplatform-gpu-a100: {count} a node): its pods stay Pending, or fail at admission "
        "(UnexpectedAdmissionError) where a shared GPU's device plugin refuses more than one share"
    ])  # fmt: skip


def test_i25_every_pool_shared_the_affinity_leaves_no_pool() -> None:
    """rev17i i25 on gcp-prod as the slipped program renders it: the l4 pool (the only nvidia-l4 pool) at two GPUs a
    node, time-shared, and qwen-chat asking two GPUs with the affinity that keeps it off every shared pool. The
    shared-pool rule passes (the affinity excludes them); no pool can run the pod."""
    resources, settings = rules_plan("gcp-prod")
    affinity = _required({"matchExpressions": [_expr(POOL, "NotIn", "l4")]})
    judged = _judged(
        resources,
        settings,
        [
            (_gke_pool("mlplatform-gpu-l4"), _accelerators(2)),
            (_qwen, _gpus("2")),
            (_qwen, _predictor(affinity=affinity)),
        ],
    )
    assert judged == {SHARED: [], SELECTORS: [AFFINITY_LINE.format(shown="mlplatform.io/pool NotIn [l4]")]}
    # without the affinity the shared-pool rule and this one both refuse it
    judged = _judged(resources, settings, [(_gke_pool("mlplatform-gpu-l4"), _accelerators(2)), (_qwen, _gpus("2"))])
    assert len(judged[SHARED]) == 1 and len(judged[SELECTORS]) == 1


def _placeholder(gpus: str) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        res = props["spec"]["template"]["spec"]["containers"][0]["resources"]
        res["limits"]["nvidia.com/gpu"] = res["requests"]["nvidia.com/gpu"] = gpus

    return change


@pytest.mark.parametrize(("gpus", "ok"), [("1", True), ("7", True), ("8", False)])
def test_a_warm_placeholder_asks_no_more_than_its_pool_grants(gpus: str, ok: bool) -> None:
    """cover-gcp-standard's a100 pool: one A100 a node in MIG 1g.5gb, seven MIG devices a node."""
    resources, settings = cover_plan("cover-gcp-standard")
    warm = mutated_resources(
        resources, lambda r: r.type == DEPLOYMENT and r.name == "mlplatform-warm-a100", _placeholder(gpus), exactly=1
    )
    failed = [e["message"] for e in run_rules(warm, settings, rules=rules_named(SELECTORS)) if not e["passed"]]
    assert failed == ([] if ok else [
        "mlplatform-warm-a100 spec.template.spec asks 8 nvidia.com/gpu a pod (8 in one container), more than any "
        "node pool it may land on grants it (mlplatform-gpu-a100: 7 a node): its pods stay Pending, or fail at "
        "admission (UnexpectedAdmissionError) where a shared GPU's device plugin refuses more than one share"
    ])  # fmt: skip
