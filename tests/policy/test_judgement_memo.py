"""The rules remember each resource's findings (policy/rules/base.py ``_judged_each``, issue #15): a plan judged again
costs a lookup per resource. What decides the answer is still the resource, the facts and the rule as it is now."""

from __future__ import annotations

import dataclasses
import re

import pytest

from policy.rules import base, kubernetes, run_rules
from support import mutated_resources, rules_named, rules_plan

RULE = "helm-version-pinned"


def _failed(resources: object, settings: object) -> list[str]:
    entries = run_rules(resources, settings, rules_named(RULE))  # type: ignore[arg-type]
    return [e["message"] for e in entries if not e["passed"]]


def test_a_rules_change_under_monkeypatch_is_judged_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """tests/conftest.py empties the remembered findings on every monkeypatch change: the same resource objects judged
    before a rule's constant changes are judged again after it (and after the undo)."""
    resources, settings = rules_plan("aws-dev")
    assert _failed(resources, settings) == []
    monkeypatch.setattr(kubernetes, "EXACT_VERSION", re.compile(r"\A\Z"))
    assert _failed(resources, settings), "the remembered pass was reused after the rule changed"
    monkeypatch.undo()
    assert _failed(resources, settings) == []


def test_other_facts_or_another_object_are_judged_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """An answer is reused only for the same resource object under equal facts."""
    monkeypatch.setattr(base, "_VERIFY_MEMO", False)  # MLPLATFORM_VERIFY_MEMO=1 judges again on purpose
    resources, settings = rules_plan("aws-dev")
    helm = next(r for r in resources if r.type in kubernetes.HELM_TYPES)
    bad = mutated_resources(resources, lambda r: r is helm, lambda p: p.update(version="1.2"), exactly=1)
    assert _failed(resources, settings) == []
    assert len(_failed(bad, settings)) == 1
    check = rules_named(RULE)[0].check_resource
    assert check is not None
    calls: list[object] = []

    def counted(res: base.Resource, facts: base.Facts) -> list[str]:
        calls.append(res)
        return list(check(res, facts))

    other = dataclasses.replace(settings.facts, environment="prod" if settings.facts.environment != "prod" else "dev")
    assert base._judged_each(counted, resources, settings.facts) == base._judged_each(counted, resources, other)
    assert len(calls) == 2 * len(resources)  # new facts: every resource judged again
    base._judged_each(counted, resources, dataclasses.replace(other))  # equal facts, another object: remembered
    assert len(calls) == 2 * len(resources)


def test_verify_mode_finds_a_resource_edited_after_it_was_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    """MLPLATFORM_VERIFY_MEMO=1 judges every remembered answer again and fails on a different one."""
    resources, settings = rules_plan("aws-dev")
    helm = next(r for r in resources if r.type in kubernetes.HELM_TYPES)
    edited = mutated_resources(resources, lambda r: r is helm, lambda p: None, exactly=1)
    monkeypatch.setattr(base, "_VERIFY_MEMO", True)
    assert _failed(edited, settings) == []
    copy = next(r for r in edited if r.urn == helm.urn)
    copy.props["version"] = "1.2"  # type: ignore[index]  # what nobody may do: edit a judged resource in place
    with pytest.raises(AssertionError, match="stale findings of _helm_pinned"):
        _failed(edited, settings)
