"""The policy pack over the real stacks in stacks/: no mandatory rule fails, every rule ran, and the plan JSON carries
the results in the documented shape."""

from __future__ import annotations

import pytest

from components.plan.project import find_project
from components.plan.report import StackPlan, plan_json
from policy.rules import ALL_RULES
from support import ROOT, shipped_plan

PROJECT = find_project(ROOT)
KEYS = {"policy", "enforcement", "urn", "message", "passed"}


@pytest.fixture(scope="module", params=PROJECT.stacks())
def planned(request: pytest.FixtureRequest) -> StackPlan:
    return shipped_plan(request.param)


def test_no_mandatory_failures(planned: StackPlan) -> None:
    """No allowance: every shipped stack passes every mandatory rule (the local stack's internal model included)."""
    failures = [f"{p['policy']}: {p['message']} ({p['urn']})" for p in planned.mandatory_failures]
    assert failures == []


def test_every_rule_reports(planned: StackPlan) -> None:
    assert {p["policy"] for p in planned.policies} == {r.name for r in ALL_RULES}
    for p in planned.policies:
        assert set(p) >= KEYS, p
        assert set(p) - KEYS <= {"reason", "unchecked", "judgedOver"}
        if "unchecked" in p:
            assert p["passed"] and "known only after deploy" in p["unchecked"]


def test_policies_are_in_the_plan_json(planned: StackPlan) -> None:
    doc = plan_json(PROJECT.name, [planned])
    assert doc["stacks"][0]["policies"] == planned.policies


def test_rules_saw_the_resources_they_guard(planned: StackPlan) -> None:
    """A stack that has a cluster, GPU pools or models must have given the rules something to read."""
    types = {r.type for r in planned.result.resources}
    if planned.cloud == "existing":
        return
    clusters = {"eks:index:Cluster", "gcp:container/cluster:Cluster", "azure-native:containerservice:ManagedCluster"}
    assert types & clusters, f"{planned.stack}: no cluster resource the cluster rules know"
