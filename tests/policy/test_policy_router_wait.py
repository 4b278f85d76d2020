"""A pipeline router's wait is the SUM of its own start and its members' starts (issue #17, rev17f s09, s10, r11).

KServe v0.20.0 cmd/router/main.go ``routeStep`` calls the steps of a Sequence one after the other, and Knative scales a
member only when the router's call reaches it, so two members at zero behind a router at zero wait for the router's
start plus both members' (components/serving/pipeline.py ``request_wait_seconds``; the rule side is
components/serving/timeouts.py ``graph_problems``). The cover stack's ``chain`` pipeline (tests/golden_stacks/
Pulumi.cover-aws-node-groups.yaml: minReplicas 0, steps iris-a and iris-b at zero, then resnet50 at 1) renders the
case: router 600 s + 600 s + 600 s = 1800 s, the timeout at the 1800 s cap.
"""

from __future__ import annotations

from typing import Any

import pytest

from policy.rules import run_rules
from support import cover_plan, mutated_resources

AWS = "cover-aws-node-groups"
RULE = "timeouts-cover-cold-start"


def chain(r: Any) -> bool:
    return r.type.endswith(":InferenceGraph") and r.k8s_name == "chain"


def test_the_chain_renders_the_sum_and_passes() -> None:
    resources, settings = cover_plan(AWS)
    (graph,) = [r for r in resources if chain(r)]
    assert graph.props["spec"]["minReplicas"] == 0
    assert graph.props["spec"]["timeout"] == 1800 and graph.props["spec"]["routerTimeouts"]["serverWrite"] == 1800
    entries = [e for e in run_rules(list(resources), settings) if e["policy"] == RULE]
    assert entries and all(e["passed"] for e in entries), entries


@pytest.mark.parametrize(
    ("seconds", "ok"),
    [
        (900, False),  # s09's rendering: the router's start plus the slowest member only (600 + max(600, 600))
        (1200, False),  # r11's boundary: the router and the slowest member, not the sum
        (1500, False),  # s10's rendering: both members without the router's own start; above r11's max + request
        (1799, False),
        (1800, True),  # the sum, at max-revision-timeout-seconds
    ],
)
def test_a_router_timeout_between_the_slowest_start_and_the_sum_fails(seconds: int, ok: bool) -> None:
    """r11 (``wait += _member_wait`` -> ``wait = max(wait, _member_wait)`` in graph_problems) passes 1500 s (above
    600 + max(600, 600) + a 300 s request): the rule must fail it, as the two members start one after the other."""
    resources, settings = cover_plan(AWS)

    def change(props: dict[str, Any]) -> None:
        props["spec"]["timeout"] = seconds
        props["spec"]["routerTimeouts"]["serverWrite"] = seconds

    mutated = mutated_resources(resources, chain, change, exactly=1)
    failed = [e["message"] for e in run_rules(mutated, settings) if e["policy"] == RULE and not e["passed"]]
    assert (not failed) is ok, failed
    if not ok:
        assert all("cold starts 1800s" in m for m in failed), failed
