"""rev14h defect 7: a model whose ``scaling.maxReplicas`` x ``resources.gpus`` is more than the GPU pools offering its
accelerator can hold planned silently; the replicas beyond the pools' limit (Karpenter's NodePool ``limits``, the
node group's maximum) stay Pending while the autoscaler counts them. The plan now warns (``pulumi.log.warn``: the
plan's "warning:" lines and its JSON ``warnings``), without refusing: several models may share a pool."""

from __future__ import annotations

from dataclasses import replace

from serving_support import L4X4_POOL, model, plan

from components.serving.model_service import gpu_capacity_warning
from components.serving.spec import ModelSpec

GPU = {"cpu": "8", "memory": "32Gi", "gpus": 1, "accelerator": "nvidia-l4"}


def _warnings(max_replicas: int, gpus: int = 1, **pools: object) -> list[str]:
    resources = {**GPU, "gpus": gpus}
    p = plan(model(format="pytorch", resources=resources, scaling={"maxReplicas": max_replicas}), pools=pools)
    return [w for w in p.result.warnings if "maxReplicas" in w]


def test_more_replicas_than_the_pool_holds_is_a_plan_warning() -> None:
    # l4x4: 2 nodes x 4 GPUs = 8 GPUs
    assert _warnings(9, l4x4=L4X4_POOL) == [
        "model models/iris: scaling.maxReplicas 9 is more than the nvidia-l4 pools can hold at resources.gpus 1 per "
        "replica (l4x4: 2 nodes x 4 replicas (4 GPUs each) = 8); replicas beyond 8 would stay Pending. Raise the "
        "pools' maxNodes or lower maxReplicas"
    ]
    assert _warnings(8, l4x4=L4X4_POOL) == []


def test_every_pool_of_the_accelerator_and_its_shares_count() -> None:
    sliced = replace(L4X4_POOL, name="sliced", sharing="time-slicing", max_clients_per_gpu=4)  # 2 x 4 x 4 = 32
    assert _warnings(40, l4x4=L4X4_POOL, sliced=sliced) == []
    assert len(_warnings(41, l4x4=L4X4_POOL, sliced=sliced)) == 1


def test_no_warning_without_gpus_or_on_a_mig_pool() -> None:
    cpu = ModelSpec.model_validate(model(scaling={"maxReplicas": 1000}))
    assert gpu_capacity_warning("iris", cpu, [L4X4_POOL], "aws") is None
    gpu = ModelSpec.model_validate(model(format="pytorch", resources=GPU, scaling={"maxReplicas": 1000}))
    assert gpu_capacity_warning("iris", gpu, [replace(L4X4_POOL, sharing="mig", mig_profile="1g.10gb")], "aws") is None


# rev14i N3: the warning counted GPUs, not pods per node. A pod's nvidia.com/gpu request is met by one node
# (kubernetes.io/docs/tasks/configure-pod-container/extended-resource/: a node with 4 dongles running a pod asking 3
# cannot take a second pod asking 2), so 2 nodes x 8 GPUs hold 2 pods of 3 GPUs each: 4 replicas, not 16 // 3 = 5.
L4X8_POOL = replace(L4X4_POOL, name="l4x8", gpus_per_node=8, instance_type="g6.48xlarge")


def test_replicas_count_whole_pods_per_node() -> None:
    assert _warnings(5, gpus=3, l4x8=L4X8_POOL) == [
        "model models/iris: scaling.maxReplicas 5 is more than the nvidia-l4 pools can hold at resources.gpus 3 per "
        "replica (l4x8: 2 nodes x 2 replicas (8 GPUs each) = 4); replicas beyond 4 would stay Pending. Raise the "
        "pools' maxNodes or lower maxReplicas"
    ]
    assert _warnings(4, gpus=3, l4x8=L4X8_POOL) == []
    # 6 x 3 = 18 GPUs: the old text said "beyond 5"; 4 run
    assert "replicas beyond 4 would stay Pending" in _warnings(6, gpus=3, l4x8=L4X8_POOL)[0]
    # a divisor of the node's GPUs packs fully: 2 nodes x (8 // 2) = 8
    assert _warnings(8, gpus=2, l4x8=L4X8_POOL) == []
    assert len(_warnings(9, gpus=2, l4x8=L4X8_POOL)) == 1


def test_a_one_share_pool_holds_no_replica_of_a_multi_gpu_model() -> None:
    # On aws the device plugin's time-slicing config sets failRequestsGreaterThanOne (components/clusters
    # shares_one_gpu_per_request): a 2-GPU pod never lands on the sliced pool, so only l4x4's 2 x (4 // 2) = 4 count.
    sliced = replace(L4X4_POOL, name="sliced", sharing="time-slicing", max_clients_per_gpu=4)
    assert _warnings(4, gpus=2, l4x4=L4X4_POOL, sliced=sliced) == []
    assert _warnings(5, gpus=2, l4x4=L4X4_POOL, sliced=sliced) == [
        "model models/iris: scaling.maxReplicas 5 is more than the nvidia-l4 pools can hold at resources.gpus 2 per "
        "replica (l4x4: 2 nodes x 2 replicas (4 GPUs each); sliced: none (time-slicing: one share per pod) = 4); "
        "replicas beyond 4 would stay Pending. Raise the pools' maxNodes or lower maxReplicas"
    ]


def test_a_gke_time_shared_pool_holds_no_replica_of_a_multi_gpu_model() -> None:
    # red14k break 2: gcp counted a time-shared node of 4 GPUs x 4 clients as 16 // 3 = 5 pods of 3 GPUs, but GKE's
    # own device plugin refuses a request of more than one time-shared GPU (GoogleCloudPlatform/
    # container-engine-accelerators@992db81 pkg/gpu/nvidia/gpusharing/gpusharing.go ValidateRequest: "at most 1
    # nvidia.com/gpu can be requested on GPU nodes"), so none of those replicas ever starts.
    gpu3 = ModelSpec.model_validate(model(format="pytorch", resources={**GPU, "gpus": 3}, scaling={"maxReplicas": 1}))
    sliced = replace(L4X4_POOL, name="sliced", sharing="time-slicing", max_clients_per_gpu=4)
    assert gpu_capacity_warning("iris", gpu3, [sliced], "gcp") == (
        "model models/iris: scaling.maxReplicas 1 is more than the nvidia-l4 pools can hold at resources.gpus 3 per "
        "replica (sliced: none (time-slicing: one share per pod) = 0); replicas beyond 0 would stay Pending. Raise "
        "the pools' maxNodes or lower maxReplicas"
    )
    # one GPU a pod: each of 2 nodes grants 4 GPUs x 4 clients = 16 pods
    one = ModelSpec.model_validate(model(format="pytorch", resources=GPU, scaling={"maxReplicas": 32}))
    assert gpu_capacity_warning("iris", one, [sliced], "gcp") is None
    more = ModelSpec.model_validate(model(format="pytorch", resources=GPU, scaling={"maxReplicas": 33}))
    assert "replicas beyond 32 would stay Pending" in (gpu_capacity_warning("iris", more, [sliced], "gcp") or "")


def test_a_pool_whose_nodes_cannot_hold_one_pod_adds_nothing() -> None:
    # red14j break 7: a big pool (4 L4 a node, 1 node) beside a small one (1 L4 a node, 50 nodes) and gpus 4: the
    # small pool's 50 GPUs hide the warning when GPUs are summed, though no node of it can take a 4-GPU pod (one node
    # meets a pod's whole request, kubernetes.io/docs/tasks/configure-pod-container/extended-resource/).
    big = replace(L4X4_POOL, name="big", max_nodes=1)
    small = replace(L4X4_POOL, name="small", gpus_per_node=1, max_nodes=50, instance_type="g6.xlarge")
    assert _warnings(10, gpus=4, big=big, small=small) == [
        "model models/iris: scaling.maxReplicas 10 is more than the nvidia-l4 pools can hold at resources.gpus 4 per "
        "replica (big: 1 nodes x 1 replicas (4 GPUs each); small: 50 nodes x 0 replicas (1 GPUs each) = 1); replicas "
        "beyond 1 would stay Pending. Raise the pools' maxNodes or lower maxReplicas"
    ]
    assert _warnings(1, gpus=4, big=big, small=small) == []
