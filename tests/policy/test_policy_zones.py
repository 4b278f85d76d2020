"""rev17c c16: components/clusters/aks.py's system pool with ``availability_zones=None`` planned with every policy
passing; AKS cannot change a pool's zones after it is created (learn.microsoft.com/azure/aks/
reliability-availability-zones-configure: "You can't change the number of availability zones after you create a node
pool"). The plan's settings now carry the stack's ``cluster.zones`` (``settings.zones``, None on an existing cluster)
and the mandatory ``node-pools-span-zones`` holds each cloud's zonal resources to it: AKS system pools
(policy/clouds/azure.py), the EKS VPC's ``numberOfAvailabilityZones`` (policy/clouds/aws.py). GKE is not judged: the
cluster's ``nodeLocations`` comes from a zones lookup the plan does not resolve.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from test_policy_mutated_plans import shipped

from components.errors import SpecError
from policy.pack import facts_from_pack_config, pack_config
from policy.rules import StackSettings
from policy.rules.base import Facts, Resource
from support import mutated_resources, rule_entries

RULE = "node-pools-span-zones"
AKS = "azure-native:containerservice:ManagedCluster"
AKS_POOL = "azure-native:containerservice:AgentPool"
VPC = "awsx:ec2:Vpc"


def _entries(resources: list[Resource] | tuple[Resource, ...], settings: StackSettings) -> list[dict[str, Any]]:
    return [e for e in rule_entries(resources, settings) if e["policy"] == RULE]


def _failures(resources: list[Resource] | tuple[Resource, ...], settings: StackSettings) -> list[str]:
    return [str(e["message"]) for e in _entries(resources, settings) if not e["passed"]]


@pytest.mark.parametrize(("stack", "zones"), [("aws-dev", 3), ("azure-staging", 3), ("gcp-prod", 3), ("local", None)])
def test_the_settings_carry_the_stack_zones(stack: str, zones: int | None) -> None:
    settings = shipped(stack)[1]
    assert settings.facts.zones == zones
    assert settings.to_json()["zones"] == zones
    assert StackSettings.from_json(settings.to_json()).facts.zones == zones
    assert facts_from_pack_config(pack_config(settings)[RULE]).zones == zones


@pytest.mark.parametrize("bad", [0, -1, True, "3", 2.5])
def test_a_saved_plan_with_bad_zones_is_refused(bad: Any) -> None:
    with pytest.raises(SpecError, match=r"settings\.zones"):
        StackSettings.from_json({"zones": bad})


def test_a_plan_saved_before_the_key_judges_nothing() -> None:
    assert StackSettings.from_json({}).facts.zones is None


def _system_profile(zones: Any) -> Any:
    def change(props: dict[str, Any]) -> None:
        (profile,) = [p for p in props["agentPoolProfiles"] if p["mode"] == "System"]
        if zones is None:
            profile.pop("availabilityZones", None)
        else:
            profile["availabilityZones"] = zones

    return change


@pytest.mark.parametrize(
    ("zones", "passes"),
    [(["1", "2", "3"], True), (["3", "1", "2"], True), (["1", "2"], False), (["1"], False), (None, False)],
)
def test_aks_system_pool_zones_at_the_boundary(zones: Any, passes: bool) -> None:
    resources, settings = shipped("azure-staging")
    mutated = mutated_resources(resources, lambda r: r.type == AKS, _system_profile(zones), exactly=1)
    failures = _failures(mutated, settings)
    assert (failures == []) is passes, failures
    if not passes:
        assert failures == [
            f"AKS system pool agentPoolProfiles[0] system spans {len(zones or [])} zone(s) {sorted(zones or [])}, the "
            "stack asks for 3 (cluster.zones): a node pool's zones cannot be changed after it is created"
        ]


def test_the_shipped_stacks_pass_and_gpu_user_pools_are_not_held_to_the_zones() -> None:
    for stack in ("aws-dev", "azure-staging", "gcp-prod", "local"):
        resources, settings = shipped(stack)
        entries = _entries(resources, settings)
        assert entries and all(e["passed"] for e in entries), entries
    # azure-staging's GPU pool is regional on purpose (docs/components/aks-cluster.md, Azure/AKS#1444)
    resources, _ = shipped("azure-staging")
    assert [r.props.get("availabilityZones") for r in resources if r.type == AKS_POOL] == [None]


def test_a_system_agent_pool_resource_is_judged_too() -> None:
    resources, settings = shipped("azure-staging")

    def system(props: dict[str, Any]) -> None:
        props["mode"] = "System"

    failures = _failures(mutated_resources(resources, lambda r: r.type == AKS_POOL, system, exactly=1), settings)
    assert failures == [
        "AKS system pool AgentPool mlplatform-gpu-t4 spans 0 zone(s) [], the stack asks for 3 (cluster.zones): a "
        "node pool's zones cannot be changed after it is created"
    ]


def test_an_existing_cluster_or_no_zones_fact_judges_nothing() -> None:
    resources, settings = shipped("azure-staging")
    mutated = mutated_resources(resources, lambda r: r.type == AKS, _system_profile(None), exactly=1)
    unset = dataclasses.replace(settings, facts=dataclasses.replace(settings.facts, zones=None))
    assert _failures(mutated, unset) == []


@pytest.mark.parametrize(("count", "passes"), [(3, True), (2, False), (1, False)])
def test_eks_vpc_zones_at_the_boundary(count: int, passes: bool) -> None:
    resources, settings = shipped("aws-dev")

    def change(props: dict[str, Any]) -> None:
        props["numberOfAvailabilityZones"] = count

    failures = _failures(mutated_resources(resources, lambda r: r.type == VPC, change, exactly=1), settings)
    assert (failures == []) is passes, failures
    if not passes:
        assert failures == [
            f"VPC mlplatform-vpc puts its subnets in {count} zone(s), the stack asks for 3 (cluster.zones)"
        ]


def test_facts_default_has_no_zones() -> None:
    assert Facts().zones is None
