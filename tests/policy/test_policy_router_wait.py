"""A pipeline router's wait is the SUM of its own start and its members' starts (issue #17, rev17f s09, s10, r11).

KServe v0.20.0 cmd/router/main.go ``routeStep`` calls the steps of a Sequence one after the other, and Knative scales a
member only when the router's call reaches it, so two members at zero wait for both members' starts, and a router at
zero adds its own (components/serving/timeouts.py ``graph_wait``, read by the rendering in components/serving/
pipeline.py and by the rule ``graph_problems``). The cover stack (tests/golden_stacks/Pulumi.cover-aws-node-groups.yaml)
renders both cases: ``chain`` (a warm router; steps iris-a and iris-b at zero, then resnet50 at 1: 600 s + 600 s) and
``chain0`` (a router at zero; iris-a at zero, then resnet50: 600 s + 600 s), each with a 300 s request: 1500 s. A
router at zero before two members at zero would need 2100 s, above Knative's 1800 s cap: the plan refuses it (fix14m).
Two branching graphs (rev17g g01, g02, r01, r02): ``fanout``, a Splitter over iris-a and iris-b inside a Sequence whose
next step is iris-b (a Splitter calls ONE branch, ``pickupRoute``, so iris-b may still be at zero: 1200 s + 300 s), and
``both``, an Ensemble whose slow member (iris-a at zero) sits between two warm ones (resnet50, bert-onnx): it waits for
the slowest, neither the first nor the last (600 s + 300 s).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from policy.rules import run_rules
from support import cover_plan, mutated_resources, rule_entries, rules_named

AWS = "cover-aws-node-groups"
RULE = "timeouts-cover-cold-start"


def graph(name: str) -> Callable[[Any], bool]:
    return lambda r: r.type.endswith(":InferenceGraph") and r.k8s_name == name


@pytest.mark.parametrize(
    ("name", "replicas", "seconds"), [("chain", 1, 1500), ("chain0", 0, 1500), ("fanout", 1, 1500), ("both", 1, 900)]
)
def test_the_chains_render_the_sum_and_pass(name: str, replicas: int, seconds: int) -> None:
    resources, settings = cover_plan(AWS)
    (found,) = [r for r in resources if graph(name)(r)]
    assert found.props["spec"]["minReplicas"] == replicas
    assert found.props["spec"]["timeout"] == seconds
    assert found.props["spec"]["routerTimeouts"]["serverWrite"] == seconds
    entries = [e for e in rule_entries(resources, settings) if e["policy"] == RULE]
    assert entries and all(e["passed"] for e in entries), entries


@pytest.mark.parametrize(
    ("name", "seconds", "ok"),
    [
        # fanout: Sequence [Splitter pick (iris-a | iris-b), iris-b]; the Splitter calls one branch (KServe v0.20.0
        # routeStep/pickupRoute), so after it picked iris-a, iris-b is still at zero: 600 s + 600 s
        ("fanout", 900, False),  # rev17g g01 / r02: the Splitter counted as starting both branches
        ("fanout", 1499, False),
        ("fanout", 1500, True),
        # both: Ensemble [resnet50 (warm), iris-a (at zero), bert-onnx (warm)]: the slowest step, iris-a's 600 s
        ("both", 300, False),  # rev17g g02 / r01: the first / last step's wait (0 s): Knative's default 300 s
        ("both", 899, False),
        ("both", 900, True),
        ("chain", 900, False),  # s09's rendering: the slowest member only (max(600, 600)) + the request
        ("chain", 1200, False),  # the sum without the request
        ("chain", 1499, False),
        ("chain", 1500, True),  # the sum + the request
        ("chain0", 900, False),  # s10's rendering: the member without the router's own start
        ("chain0", 1499, False),
        ("chain0", 1500, True),
    ],
)
def test_a_router_timeout_below_the_sum_fails(name: str, seconds: int, ok: bool) -> None:
    """r11 (the rule taking the slowest member, or leaving out the router's start) would pass 900 s: the rule must
    fail every timeout below the sum of the starts plus a 300 s request."""
    resources, settings = cover_plan(AWS)

    def change(props: dict[str, Any]) -> None:
        props["spec"]["timeout"] = seconds
        props["spec"]["routerTimeouts"]["serverWrite"] = seconds

    mutated = mutated_resources(resources, graph(name), change, exactly=1)
    failed = [
        e["message"]
        for e in run_rules(mutated, settings, rules=rules_named(RULE))
        if e["policy"] == RULE and not e["passed"]
    ]
    assert (not failed) is ok, failed
    if not ok:
        cold = 600 if name == "both" else 1200
        assert all(f"cold starts {cold}s" in m for m in failed), failed
