"""rev17m's serving and request-log misses (/work/wt/rev17m-report.md, issue #17), caught on real plans.

- 13: the request-log collector's container with a writable root filesystem (``pod-restricted-hardening``);

Each test mutates a real plan the way the slip renders it (benchmarks/policy_mutations.py holds the slips in the
source; the benchmark shows them caught in a plan of the mutated program), and the boundary cases on either side.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from policy.rules import run_rules
from policy.rules.base import Resource
from support import cover_plan, mutated_resources, rules_named, rules_plan

ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"


def _failures(plan: tuple[tuple[Resource, ...], Any], resources: Sequence[Resource], rule: str) -> list[str]:
    entries = run_rules(list(resources), plan[1], rules=rules_named(rule))
    return [e["message"] for e in entries if not e["passed"]]


# ------------------------------------------------------------------------------------------------ 13: vector root


def _vector(r: Resource) -> bool:
    return r.type.endswith(":Release") and r.name.endswith("-request-logs")


def _vector_ro(value: object) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        ctx = props["values"]["securityContext"]
        assert ctx["readOnlyRootFilesystem"] is True
        if value is None:
            del ctx["readOnlyRootFilesystem"]
        else:
            ctx["readOnlyRootFilesystem"] = value

    return change


def test_the_collector_plan_renders_a_read_only_root() -> None:
    plan = cover_plan("cover-aws-node-groups")
    (release,) = [r for r in plan[0] if _vector(r)]
    assert release.props["values"]["securityContext"]["readOnlyRootFilesystem"] is True
    assert _failures(plan, plan[0], "pod-restricted-hardening") == []


@pytest.mark.parametrize(("value", "shown"), [(False, "False"), (None, "None"), ("true", "'true'")])
def test_13_collector_with_a_writable_root_fails(value: object, shown: str) -> None:
    plan = cover_plan("cover-aws-node-groups")
    resources = mutated_resources(plan[0], _vector, _vector_ro(value), exactly=1)
    (release,) = [r for r in resources if _vector(r)]
    name = release.props.get("name", release.name)
    assert _failures(plan, resources, "pod-restricted-hardening") == [
        f"Helm release {name} (vector) values securityContext.readOnlyRootFilesystem is {shown} (the request-log "
        "collector): its container may write its root filesystem (the Kubernetes default is false); set it to true"
    ]
