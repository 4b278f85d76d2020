"""A node pool that must be replaced is created before the old one is deleted (issue #15; docs/upgrading.md).

Each cloud's provider deletes first when the program gives the pool's name: pulumi-gcp and pulumi-aws through the
bridge (``nameRequiresDeleteBeforeReplace``), azure-native always for a named resource (provider.go ``Diff``). So the
GKE and AKS pools set ``delete_before_replace=False`` (the engine obeys the program over the provider) and carry a
name that changes with every input that forces their replacement; EKS node groups are left to pulumi-aws's
auto-naming, which replaces new-first. The sources are cited in components/clusters/{gke,aks,eks}.py.
"""

from __future__ import annotations

import re
from typing import Any

from cluster_support import build

from components.plan.engine import Registration

GKE_POOL = "gcp:container/nodePool:NodePool"
AKS_POOL = "azure-native:containerservice:AgentPool"
EKS_GROUP = "aws:eks/nodeGroup:NodeGroup"


def _created_first(reg: Registration) -> None:
    assert reg.delete_before_replace_defined, f"{reg.name}: delete_before_replace is left to the provider"
    assert reg.delete_before_replace is False, reg.name


def _gke_names(pools: dict[str, Any]) -> dict[str, str]:
    built = build("gcp", {"gpuPools": pools}, outputs="unknown")
    for reg in built.result.of_type(GKE_POOL):
        _created_first(reg)
    return {r.name: r.plain_inputs()["name"] for r in built.result.of_type(GKE_POOL)}


L4 = {"accelerator": "nvidia-l4", "maxNodes": 4, "sharing": {"strategy": "time-slicing", "maxClientsPerGpu": 4}}


def test_gke_pools_are_created_before_the_old_ones_are_deleted() -> None:
    names = _gke_names({"l4": L4})
    assert set(names) == {"mlp-system", "mlp-gpu-l4"}
    assert re.fullmatch(r"system-[0-9a-f]{6}", names["mlp-system"])
    assert re.fullmatch(r"l4-[0-9a-f]{6}", names["mlp-gpu-l4"])


def test_a_gke_pool_gets_a_new_name_exactly_when_it_is_replaced() -> None:
    """ForceNew inputs (spot, the accelerator's sharing) rename the pool; in-place ones (size, disk) do not."""
    before = _gke_names({"l4": L4})["mlp-gpu-l4"]
    assert _gke_names({"l4": {**L4, "spot": True}})["mlp-gpu-l4"] != before
    assert (
        _gke_names({"l4": {**L4, "sharing": {"strategy": "time-slicing", "maxClientsPerGpu": 2}}})["mlp-gpu-l4"]
        != before
    )
    assert _gke_names({"l4": {**L4, "maxNodes": 8, "minNodes": 1}})["mlp-gpu-l4"] == before
    assert _gke_names({"l4": {**L4, "diskSizeGib": 300}})["mlp-gpu-l4"] == before


def _aks_pool(pool: dict[str, Any]) -> Registration:
    built = build("azure", {"gpuPools": {"gpupool": pool}}, outputs="unknown")
    return built.one(AKS_POOL)


T4 = {"accelerator": "nvidia-t4", "maxNodes": 3}


def test_aks_gpu_pools_are_created_before_the_old_ones_are_deleted() -> None:
    reg = _aks_pool(T4)
    _created_first(reg)
    name = reg.plain_inputs()["agentPoolName"]
    # a Linux agent pool name: 1-12 lowercase letters and digits, starting with a letter
    assert re.fullmatch(r"gpupool[0-9a-f]{4}", name)


def test_an_aks_pool_gets_a_new_name_exactly_when_it_is_replaced() -> None:
    before = _aks_pool(T4).plain_inputs()["agentPoolName"]
    assert _aks_pool({**T4, "accelerator": "nvidia-a100-80gb"}).plain_inputs()["agentPoolName"] != before
    assert _aks_pool({**T4, "maxNodes": 5, "minNodes": 1}).plain_inputs()["agentPoolName"] == before


def test_a_long_aks_pool_name_stays_within_twelve_characters() -> None:
    built = build("azure", {"gpuPools": {"abcdefghijkl": T4, "abcdefghijkm": T4}}, outputs="unknown")
    names = [r.plain_inputs()["agentPoolName"] for r in built.result.of_type(AKS_POOL)]
    assert all(re.fullmatch(r"abcdefgh[0-9a-f]{4}", n) for n in names), names
    assert len(set(names)) == 2  # the full pool name is in the suffix


def test_eks_node_groups_are_auto_named_so_they_are_replaced_new_first() -> None:
    built = build(
        "aws",
        {"gpuPools": {"l4": {"accelerator": "nvidia-l4", "maxNodes": 2}}, "aws": {"gpuProvisioner": "node-groups"}},
        outputs="unknown",
    )
    groups = built.result.of_type(EKS_GROUP)
    assert {g.name for g in groups} == {"mlp-system", "mlp-gpu-l4"}
    for group in groups:
        inputs = group.plain_inputs()
        assert "nodeGroupName" not in inputs and "nodeGroupNamePrefix" not in inputs, group.name
        assert group.delete_before_replace is False
