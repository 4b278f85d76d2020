"""issue #17, fix17h: the last known policy gaps.

- Karpenter counts a NodePool's usage from its initialized nodes' ``status.capacity`` (kubernetes-sigs/karpenter
  v1.14.1 pkg/controllers/state/statenode.go ``Capacity()``, state/cluster.go ``updateNodePoolResources``,
  provisioning/scheduling/scheduler.go ``updateRemainingResources`` and ``filterByRemainingResources``), and a node
  whose GPUs the NVIDIA device plugin time-slices or shares by MPS advertises GPUs x replicas of ``nvidia.com/gpu``
  (NVIDIA/k8s-device-plugin v0.20.0 README.md "With CUDA Time-Slicing", "With CUDA MPS"): a shared pool's GPU limit
  must count the shares (``karpenter-gpu-limit-covers-nodes``), and ``gpu-budget`` counts its GPUs as the limit over
  the shares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from policy.rules import Resource, run_rules
from policy.rules.gpu import gpu_pools, pool_gpus
from support import mutated_resources, rules_named, rules_plan

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
