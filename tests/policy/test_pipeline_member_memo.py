"""``pipeline-member-access`` remembers each member's walk by the content of what it reads (policy/rules/pipeline.py
``_WIDER``), and every rule's ``unknown`` hook its answer per resource object (policy/rules/base.py ``_UNKNOWNS``):
pure speed-ups. A change to a policy the walk reads is judged afresh and the original plan gets its own verdict back;
a change elsewhere reuses the walk; a resource object asked again gets the remembered answer, a changed copy its own."""

from __future__ import annotations

from typing import Any

import pytest
from test_policy_pipeline import named, planned

from policy.rules import Resource, base, pipeline, run_rules
from support import mutated_resources, rules_named

MEMBER = "pipeline-member-access"


def _failures(resources: list[Resource]) -> list[str]:
    _, settings = planned()
    return [e["message"] for e in run_rules(resources, settings, rules_named(MEMBER)) if not e["passed"]]


def test_a_policy_change_is_judged_afresh_and_an_unrelated_one_reuses_the_walk() -> None:
    resources, _ = planned()
    assert _failures(list(resources)) == []

    def wider(props: dict[str, Any]) -> None:
        props["spec"]["rules"][0]["from"][0]["source"]["namespaces"].append("apps")

    widened = mutated_resources(resources, named("AuthorizationPolicy", "inner-authz"), wider, exactly=1)
    assert _failures(widened) == [
        "member models/xgboost-iris of pipeline models/inner is widened: a pod in apps reach(es) it through the "
        "router but not directly; a pipeline may not be wider than its members (an anonymous pipeline may call only "
        "anonymous models; an internal one only models that admit its namespaces)"
    ]
    assert _failures(list(resources)) == []  # the original again: its own verdict, not the last one

    def relabel(props: dict[str, Any]) -> None:
        props["metadata"].setdefault("labels", {})["unrelated"] = "x"

    remembered = dict(pipeline._WIDER)
    assert remembered  # the walks above were remembered
    elsewhere = mutated_resources(resources, lambda r: r.type == "kubernetes:core/v1:Namespace", relabel)
    assert _failures(elsewhere) == []
    assert remembered == pipeline._WIDER  # nothing walked again: no new entry


def test_a_walk_that_fails_is_remembered_as_failing_closed() -> None:
    """The walk's error is part of the remembered answer: judged again, the plan fails closed again."""
    resources, _ = planned()

    def odd(props: dict[str, Any]) -> None:
        props["spec"]["rules"][0]["from"][0]["source"] = True  # a bool for a map

    broken = mutated_resources(resources, named("AuthorizationPolicy", "inner-authz"), odd, exactly=1)
    first = _failures(broken)
    assert any("the request path could not be evaluated" in m and "failing closed" in m for m in first), first
    assert _failures(broken) == first


def test_an_unknown_hook_is_asked_once_per_resource_object(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "_VERIFY_MEMO", False)  # MLPLATFORM_VERIFY_MEMO=1 asks again on purpose
    resources, _ = planned()
    asked: list[str] = []

    def hook(res: Resource) -> str | None:
        asked.append(res.urn)
        return f"{res.name} x" if res.type.endswith(":AuthorizationPolicy") else None

    rule = base.Rule(name="probe", description="", enforcement="advisory", area="test", unknown=hook)
    first = rule.unchecked(resources)
    assert first.startswith("not checked, known only after deploy: ") and len(asked) == len(resources)
    assert rule.unchecked(resources) == first and len(asked) == len(resources)  # nothing asked again

    def unknown_spec(props: dict[str, Any]) -> None:
        props["spec"] = base.UNKNOWN

    changed = mutated_resources(resources, named("AuthorizationPolicy", "inner-authz"), unknown_spec, exactly=1)
    assert rule.unchecked(changed) == first and len(asked) == len(resources) + 1  # only the new copy is asked


def test_content_tokens_are_equal_only_for_equal_content() -> None:
    """The memo keys name the resources they read by :func:`policy.rules.base.content_token`: equal type, name and
    props (by :func:`policy.rules.base.frozen`, ``True`` apart from ``1``) give one token, any difference another."""
    one = Resource(type="kubernetes:core/v1:ConfigMap", name="a", urn="u1", props={"data": {"k": 1}})
    same = Resource(type="kubernetes:core/v1:ConfigMap", name="a", urn="u2", props={"data": {"k": 1}})
    assert base.content_token(one) == base.content_token(same)
    for other in (
        Resource(type="kubernetes:core/v1:ConfigMap", name="a", urn="u3", props={"data": {"k": True}}),
        Resource(type="kubernetes:core/v1:ConfigMap", name="b", urn="u4", props={"data": {"k": 1}}),
        Resource(type="kubernetes:core/v1:Secret", name="a", urn="u5", props={"data": {"k": 1}}),
    ):
        assert base.content_token(other) != base.content_token(one), other


def test_policies_are_asked_known_once_per_resource_object(monkeypatch: pytest.MonkeyPatch) -> None:
    """The request-path rules ask whether each policy they read is known before deploy once per resource OBJECT
    (policy/rules/models.py ``props_known``): a plan judged again asks nothing again, a changed copy is asked (and
    answers for itself: a policy known only after deploy leaves the model unjudged, its rule says so)."""
    from policy.rules import models

    monkeypatch.setattr(base, "_VERIFY_MEMO", False)  # MLPLATFORM_VERIFY_MEMO=1 asks again on purpose
    resources, settings = planned()
    asked: list[str] = []
    real = models._props_known

    def counted(res: Resource) -> bool:
        asked.append(res.urn)
        return real(res)

    monkeypatch.setattr(models, "_props_known", counted)
    rules = rules_named("model-inference-api-only", MEMBER)
    first = run_rules(resources, settings, rules)
    once = len(asked)
    assert once > 0 and len(set(asked)) == once  # every policy asked once, though several models read it
    assert run_rules(resources, settings, rules) == first and len(asked) == once  # nothing asked again

    def unknown_spec(props: dict[str, Any]) -> None:
        props["spec"] = base.UNKNOWN

    changed = mutated_resources(resources, named("AuthorizationPolicy", "inner-authz"), unknown_spec, exactly=1)
    entries = run_rules(changed, settings, rules)
    assert len(asked) == once + 1  # only the new copy
    member = [e for e in entries if e["policy"] == MEMBER]
    assert [e["passed"] for e in member] == [True]
    assert "AuthorizationPolicy models/inner-authz" in member[0]["unchecked"]


def test_a_policy_edited_after_it_was_judged_fails_under_verify_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    """With MLPLATFORM_VERIFY_MEMO=1 every remembered answer is asked again: a resource edited in place after a
    judgement (what the memo's soundness rules out) raises instead of reusing the old answer."""
    from policy.rules import models

    monkeypatch.setattr(base, "_VERIFY_MEMO", True)
    policy = Resource(
        type="kubernetes:security.istio.io/v1:AuthorizationPolicy", name="p", urn="u", props={"spec": {"rules": []}}
    )
    assert models.props_known([policy]) is True
    assert models.props_known([policy]) is True  # asked again, same answer
    policy.props["spec"] = base.UNKNOWN
    with pytest.raises(AssertionError, match="stale answer of _props_known for u: True, now False"):
        models.props_known([policy])
