"""``request-log-collector-ingress`` (rev17c p01): the collector's NetworkPolicy admits only
``kubernetes.io/metadata.name In [namespaces of the logging models]``. Real plans that log requests (the coverage
stacks, azure-staging with request logs), mutated the way a one-line slip in components/platform/requestlog.py
``network_policy`` would open the collector."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from test_policy_object_store import PLANS

from policy.rules import Resource, StackSettings
from support import rule_entries

RULE = "request-log-collector-ingress"


def entry(resources: list[Resource] | tuple[Resource, ...], settings: StackSettings) -> dict[str, Any]:
    return next(e for e in rule_entries(resources, settings) if e["policy"] == RULE)


def netpol(resources: tuple[Resource, ...], change: Callable[[dict[str, Any]], None]) -> list[Resource]:
    out, hit = [], 0
    for r in resources:
        if r.type.endswith(":NetworkPolicy") and r.namespace == "request-logs":
            props = copy.deepcopy(dict(r.props))
            change(props["spec"])
            r = replace(r, props=props)
            hit += 1
        out.append(r)
    assert hit == 1, "the collector's NetworkPolicy moved"
    return out


def _expr(spec: dict[str, Any]) -> dict[str, Any]:
    expr: dict[str, Any] = spec["ingress"][0]["from"][0]["namespaceSelector"]["matchExpressions"][0]
    return expr


@pytest.mark.parametrize("cloud", sorted(PLANS))
def test_the_plans_collector_policy_passes(cloud: str) -> None:
    e = entry(*PLANS[cloud]())
    assert e["passed"], e["message"]
    assert e["enforcement"] == "mandatory"


def _not_in(spec: dict[str, Any]) -> None:  # the rev17c p01 slip
    _expr(spec)["operator"] = "NotIn"


def _exists(spec: dict[str, Any]) -> None:
    _expr(spec).update(operator="Exists")
    _expr(spec).pop("values")


def _extra_namespace(spec: dict[str, Any]) -> None:
    _expr(spec)["values"] = [*_expr(spec)["values"], "kube-system"]


def _by_label(spec: dict[str, Any]) -> None:
    spec["ingress"][0]["from"][0]["namespaceSelector"] = {"matchLabels": {"team": "ml"}}


def _any_namespace(spec: dict[str, Any]) -> None:
    spec["ingress"][0]["from"][0]["namespaceSelector"] = {}


def _no_from(spec: dict[str, Any]) -> None:
    del spec["ingress"][0]["from"]


def _ip_block(spec: dict[str, Any]) -> None:
    spec["ingress"][0]["from"].append({"ipBlock": {"cidr": "0.0.0.0/0"}})


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (_not_in, "selects namespaces by kubernetes.io/metadata.name NotIn"),
        (_exists, "selects namespaces by kubernetes.io/metadata.name Exists"),
        (_extra_namespace, "admits namespaces ['kube-system'] where no model logs requests"),
        (_by_label, "selects namespaces by labels {'team': 'ml'}"),
        (_any_namespace, "admits pods of every namespace (an empty namespaceSelector)"),
        (_no_from, "ingress[0] has no from: it admits every source"),
        (_ip_block, "ingress[0].from[1] admits an ipBlock"),
    ],
)
@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_an_opened_collector_fails(cloud: str, change: Callable[[dict[str, Any]], None], says: str) -> None:
    resources, settings = PLANS[cloud]()
    e = entry(netpol(resources, change), settings)
    assert not e["passed"]
    assert says in e["message"], e["message"]


def test_a_collector_without_its_policy_fails() -> None:
    resources, settings = PLANS["aws"]()
    kept = [r for r in resources if not (r.type.endswith(":NetworkPolicy") and r.namespace == "request-logs")]
    e = entry(kept, settings)
    assert not e["passed"]
    assert "no NetworkPolicy limits ingress to the request-log collector" in e["message"], e["message"]


def test_a_stack_without_request_logs_has_nothing_to_judge() -> None:
    resources, settings = PLANS["gcp"]()
    kept = [
        r
        for r in resources
        if r.namespace != "request-logs" and not r.name.endswith("-request-logs") and "logger" not in str(r.props)
    ]
    assert entry(kept, settings)["passed"]
