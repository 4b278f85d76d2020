"""``model-endpoint-auth`` against issue #17 item 6: the auth rule once accepted any ALLOW policy that named some
request principal; an extra ALLOW rule without one (Istio ORs ALLOW rules) let token-less requests in. The rule now
also sends a token-less internet request through the gateway and activator hops (components/serving/requestpath.py)
over the rendered objects; here over a shipped plan, mutated that way."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from components.plan.project import find_project
from policy.rules import ALL_RULES, Resource, StackSettings
from support import ROOT, rule_entries, rules_plan

PROJECT = find_project(ROOT)
RULE = "model-endpoint-auth"


_plan = rules_plan
"""A shipped stack's plan (fake outputs), planned once per test process (tests/support.py)."""


def _fails(resources: list[Resource], settings: StackSettings, rule: str = RULE) -> list[str]:
    return [e["message"] for e in rule_entries(resources, settings) if e["policy"] == rule and not e["passed"]]


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


def _probe_slip(resources: tuple[Resource, ...], principal: str, min_replicas: int) -> tuple[list[Resource], int]:
    """Every model's AuthorizationPolicy with the header ``when`` deleted from the probe rule of ``principal``
    (components/serving/_auth.py: the activator's and the gateways' GET probes), every model at ``min_replicas``."""
    out, hit = [], 0
    for r in resources:
        if r.type.endswith(":AuthorizationPolicy"):
            props: dict[str, Any] = copy.deepcopy(dict(r.props))
            for rule in props.get("spec", {}).get("rules", []):
                names = [p for f in rule.get("from", []) for p in f.get("source", {}).get("principals", [])]
                if principal in names and "when" in rule:
                    del rule["when"]
                    hit += 1
            r = replace(r, props=props)
        elif r.type.endswith(":InferenceService"):
            props = copy.deepcopy(dict(r.props))
            props["spec"]["predictor"]["minReplicas"] = min_replicas
            r = replace(r, props=props)
        out.append(r)
    return out, hit


def test_a_probe_rule_without_its_header_condition_lets_token_less_gets_in() -> None:
    """Issue #17 (hostile review) item 2: the rule sent only ``POST /v1/models/m:predict``; deleting the header
    ``when`` of the activator's or the gateways' probe rule (each admits GETs only) let token-less internet GETs
    reach the pods or the activator, and no rule failed. It now sends GET and POST on the API and admin paths."""
    from components.serving._auth import ACTIVATOR, GATEWAY

    resources, settings = _plan("aws-dev")
    for principal, replicas in ((GATEWAY, 0), (GATEWAY, 1), (ACTIVATOR, 0)):
        untouched, _ = _probe_slip(resources, "nobody", replicas)
        assert _fails(untouched, settings) == [], replicas
        slipped, hit = _probe_slip(resources, principal, replicas)
        assert hit, f"no probe rule for {principal} in aws-dev: the plan's shape moved"
        found = _fails(slipped, settings)
        assert any("without a token" in f and "reached it: " in f and "GET /" in f for f in found), (
            principal,
            replicas,
            found,
        )


def test_an_evaluator_error_fails_closed(monkeypatch: Any) -> None:
    """An exception inside the request-path evaluation was read as "not reached" (a pass); it now fails the rule."""
    from components.serving import requestpath

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("spec")

    resources, settings = _plan("aws-dev")
    monkeypatch.setattr(requestpath, "routes", broken)
    found = _fails(list(resources), settings)
    assert found and all("could not be evaluated (KeyError" in f and "failing closed" in f for f in found), found
