"""``external-dns-owner-id`` (rev17c p09): the external-dns release sets txtOwnerId, not the default. The coverage
stacks (the only ones that install external-dns), mutated the way a slip in components/platform/dns.py would."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest
from test_policy_object_store import PLANS

from policy.rules import Resource, StackSettings
from support import rule_entries

RULE = "external-dns-owner-id"


def entry(resources: list[Resource] | tuple[Resource, ...], settings: StackSettings) -> dict[str, Any]:
    return next(e for e in rule_entries(resources, settings) if e["policy"] == RULE)


def with_owner(resources: tuple[Resource, ...], owner: Any) -> list[Resource]:
    out, hit = [], 0
    for r in resources:
        if r.type.endswith(":Release") and r.props.get("chart") == "external-dns":
            props = copy.deepcopy(dict(r.props))
            if owner is None:
                props["values"].pop("txtOwnerId")  # the rev17c p09 slip: the line deleted
            else:
                props["values"]["txtOwnerId"] = owner
            r = replace(r, props=props)
            hit += 1
        out.append(r)
    assert hit == 1, "no external-dns release: the plan's shape moved"
    return out


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_the_plans_owner_id_passes(cloud: str) -> None:
    e = entry(*PLANS[cloud]())
    assert e["passed"], e["message"]
    assert e["enforcement"] == "mandatory"


@pytest.mark.parametrize(
    ("owner", "says"),
    [(None, "txtOwnerId is unset"), ("", "txtOwnerId is unset"), ("default", "txtOwnerId is 'default'")],
)
@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_a_missing_or_default_owner_fails(cloud: str, owner: Any, says: str) -> None:
    resources, settings = PLANS[cloud]()
    e = entry(with_owner(resources, owner), settings)
    assert not e["passed"]
    assert f"external-dns release mlplatform-external-dns: {says}" in e["message"], e["message"]


def test_another_owner_passes() -> None:
    """Another id passes when it still names the stack's published domain (rev17d p07: a constant id fails,
    tests/policy/test_policy_rev17d_fixb.py)."""
    resources, settings = PLANS["gcp"]()
    assert entry(with_owner(resources, "stack-b-models.cover.example.com"), settings)["passed"]
