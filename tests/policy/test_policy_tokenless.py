"""``model-endpoint-auth`` against issue #17 item 6: the auth rule once accepted any ALLOW policy that named some
request principal; an extra ALLOW rule without one (Istio ORs ALLOW rules) let token-less requests in. The rule now
also sends a token-less internet request through the gateway and activator hops (components/serving/requestpath.py)
over the rendered objects; here over a shipped plan, mutated that way."""

from __future__ import annotations

import copy
from dataclasses import replace
from functools import cache
from typing import Any

from components.plan.engine import run_program
from components.plan.project import find_project, read_stack_file
from policy.rules import ALL_RULES, Resource, StackSettings, resources_from_plan, run_rules
from support import ROOT

PROJECT = find_project(ROOT)
RULE = "model-endpoint-auth"


@cache
def _plan(stack: str) -> tuple[tuple[Resource, ...], StackSettings]:
    cfg = read_stack_file(PROJECT, stack)
    result = run_program(
        PROJECT.root, stack, cfg.config, cfg.secret_keys, main=PROJECT.main, project=PROJECT.name, outputs="fake"
    )
    return tuple(resources_from_plan(result)), StackSettings.from_config(cfg.config)


def _fails(resources: list[Resource], settings: StackSettings, rule: str = RULE) -> list[str]:
    return [e["message"] for e in run_rules(resources, settings) if e["policy"] == rule and not e["passed"]]


def test_the_rule_is_mandatory() -> None:
    assert next(r for r in ALL_RULES if r.name == RULE).enforcement == "mandatory"


def test_an_extra_allow_rule_without_principal_lets_token_less_requests_in_gcp_prod() -> None:
    resources, settings = _plan("gcp-prod")
    assert _fails(list(resources), settings) == []
    out, hit = [], 0
    for r in resources:
        rules = r.get("spec.rules")
        if (
            r.type.endswith(":AuthorizationPolicy")
            and r.get("spec.action", "ALLOW") == "ALLOW"
            and not hit
            and any(
                any(f.get("source", {}).get("requestPrincipals") for f in rule.get("from", [])) for rule in rules or []
            )
        ):
            props: dict[str, Any] = copy.deepcopy(dict(r.props))
            # the slip: one more ALLOW rule (say, for a health path) with no source at all
            props["spec"]["rules"].append({"to": [{"operation": {"methods": ["POST", "GET"]}}]})
            r = replace(r, props=props)
            hit += 1
        out.append(r)
    assert hit, "no JWT AuthorizationPolicy in gcp-prod: the plan's shape moved"
    found = _fails(out, settings)
    assert any("answers a request from the internet without a token" in f for f in found), found
