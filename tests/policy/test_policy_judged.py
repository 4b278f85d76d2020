"""Documents a plain plan cannot see are judged over a placeholder rendering (policy/judged.py, issue #17 item 1).

A plain ``mlplatform plan`` leaves an IRSA trust policy unknown (it names the OIDC provider's ARN, an output); before
this, ``workload-identity-trust`` then passed with an ``unchecked`` note and a trust without its ``sub`` condition
(every ServiceAccount of the cluster may assume the role) passed the offline gate.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import components.clusters.eks as eks
from components.clusters._aws_iam import irsa_trust_policy
from components.plan.cli import plan_stack
from components.plan.project import find_project
from policy.judged import JUDGED_KEY, merge_judged, unchecked_mandatory
from support import ROOT, shipped_plan

PROJECT = find_project(ROOT)


def _entry(policy: str, passed: bool = True, unchecked: str = "", enforcement: str = "mandatory") -> dict[str, Any]:
    e: dict[str, Any] = {"policy": policy, "enforcement": enforcement, "urn": None, "message": "m", "passed": passed}
    if unchecked:
        e["unchecked"] = unchecked
    return e


def test_only_unchecked_mandatory_rules_are_replaced() -> None:
    plain = [_entry("a", unchecked="trust"), _entry("b"), _entry("c", unchecked="x", enforcement="advisory")]
    fake = [_entry("a", passed=False), _entry("a", passed=False), _entry("b", passed=False), _entry("c", False)]
    out = merge_judged(plain, fake)
    assert [(e["policy"], e["passed"], e.get(JUDGED_KEY)) for e in out] == [
        ("a", False, "placeholders"),
        ("a", False, "placeholders"),
        ("b", True, None),  # b saw everything in the plain plan: its entry stays
        ("c", True, None),  # advisory: not a gate
    ]
    assert unchecked_mandatory(plain) == ["a"]


def _no_sub(oidc_provider_arn: str, oidc_url: str, namespace: str, service_account: str) -> str:
    doc = json.loads(irsa_trust_policy(oidc_provider_arn, oidc_url, namespace, service_account))
    cond = doc["Statement"][0]["Condition"]["StringEquals"]
    for key in [k for k in cond if k.endswith(":sub")]:
        del cond[key]
    return json.dumps(doc)


def _trust(plan: Any) -> list[dict[str, Any]]:
    return [e for e in plan.policies if e["policy"] == "workload-identity-trust"]


def test_plain_plan_judges_the_shipped_trust_policies() -> None:
    entries = _trust(shipped_plan("aws-dev"))
    assert entries and all(e["passed"] for e in entries), entries
    assert all(e.get(JUDGED_KEY) == "placeholders" and not e.get("unchecked") for e in entries), entries


def test_plain_plan_catches_irsa_trust_without_sub_aws_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eks, "irsa_trust_policy", _no_sub)
    plan = plan_stack(PROJECT, "aws-dev")
    failed = [e for e in _trust(plan) if not e["passed"]]
    assert failed, _trust(plan)
    assert all(e["enforcement"] == "mandatory" for e in failed)
    assert any("has no StringEquals" in e["message"] and ":sub" in e["message"] for e in failed), failed
    assert any(e in plan.mandatory_failures for e in failed)


_RERUNS: list[int] = []


def _every_rule_rerun(plain: list[dict[str, Any]], rerun: Any) -> list[dict[str, Any]]:
    """judge_unknown_documents as it was: the placeholder run judged with EVERY rule."""
    from policy.rules import rule_names

    names = unchecked_mandatory(plain)
    if not names:
        return list(plain)
    fake = rerun(rule_names())
    _RERUNS.append(len({e["policy"] for e in fake}))
    return merge_judged(plain, fake)


@pytest.mark.parametrize("stack", ["aws-dev", "gcp-prod", "azure-staging"])
def test_judging_only_the_unchecked_rules_gives_the_plan_every_rule_would(
    stack: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """The placeholder run judges only the rules the plain plan left unchecked (policy/judged.py, issue #15): the
    plan's entries, and ``mlplatform check``'s over its saved plan, are the ones judging every rule there gave."""
    import policy.check
    import policy.judged
    from components.plan.cli import main
    from policy.check import check, load_plan
    from policy.rules import rule_names

    plan = shipped_plan(stack)
    assert any(e.get(JUDGED_KEY) == "placeholders" for e in plan.policies), "nothing was judged over placeholders"
    out = tmp_path / "plan.json"
    assert main(["plan", "--project", str(ROOT), "--stack", stack, "--no-tree", "--json", str(out)]) == 0
    saved = load_plan(out)
    quick = [check(s) for s in saved]
    monkeypatch.setattr(policy.judged, "judge_unknown_documents", _every_rule_rerun)
    monkeypatch.setattr(policy.check, "judge_unknown_documents", _every_rule_rerun)
    _RERUNS.clear()
    assert plan_stack(PROJECT, stack).policies == plan.policies
    assert [check(s) for s in saved] == quick
    assert len(_RERUNS) == 2 and set(_RERUNS) == {len(rule_names())}  # both judged every rule over the placeholders
