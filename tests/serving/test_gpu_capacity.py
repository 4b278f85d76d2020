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


def _warnings(max_replicas: int, **pools: object) -> list[str]:
    p = plan(model(format="pytorch", resources=GPU, scaling={"maxReplicas": max_replicas}), pools=pools)
    return [w for w in p.result.warnings if "maxReplicas" in w]


def test_more_replicas_than_the_pool_holds_is_a_plan_warning() -> None:
    # l4x4: 2 nodes x 4 GPUs = 8 GPUs
    assert _warnings(9, l4x4=L4X4_POOL) == [
        "model models/iris: scaling.maxReplicas 9 x resources.gpus 1 = 9 GPUs, more than the nvidia-l4 pools can hold "
        "(l4x4: 2 nodes x 4 GPUs = 8); replicas beyond 8 would stay Pending. Raise the pools' maxNodes or lower "
        "maxReplicas"
    ]
    assert _warnings(8, l4x4=L4X4_POOL) == []


def test_every_pool_of_the_accelerator_and_its_shares_count() -> None:
    sliced = replace(L4X4_POOL, name="sliced", sharing="time-slicing", max_clients_per_gpu=4)  # 2 x 4 x 4 = 32
    assert _warnings(40, l4x4=L4X4_POOL, sliced=sliced) == []
    assert len(_warnings(41, l4x4=L4X4_POOL, sliced=sliced)) == 1


def test_no_warning_without_gpus_or_on_a_mig_pool() -> None:
    cpu = ModelSpec.model_validate(model(scaling={"maxReplicas": 1000}))
    assert gpu_capacity_warning("iris", cpu, [L4X4_POOL]) is None
    gpu = ModelSpec.model_validate(model(format="pytorch", resources=GPU, scaling={"maxReplicas": 1000}))
    assert gpu_capacity_warning("iris", gpu, [replace(L4X4_POOL, sharing="mig", mig_profile="1g.10gb")]) is None
