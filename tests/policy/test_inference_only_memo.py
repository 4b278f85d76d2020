"""``model-inference-api-only`` remembers each model's findings by the content of what it reads (policy/rules/network.py
``_INFERENCE_ONLY``): a pure speed-up. A change to the model or to a policy of its namespace is judged afresh, a
change elsewhere reuses the findings, and the key tells apart values Python finds equal (``True == 1 == 1.0``)."""

from __future__ import annotations

from typing import Any

import pytest

from policy.rules import Resource, network, run_rules
from support import mutated_resources, rules_named, rules_plan

API = "model-inference-api-only"


def _failures(resources: list[Resource], settings: Any) -> list[str]:
    return [e["message"] for e in run_rules(resources, settings, rules_named(API)) if not e["passed"]]


def _authz(r: Resource) -> bool:
    return r.type.endswith(":AuthorizationPolicy") and r.k8s_name == "resnet50-authz"


def test_a_policy_change_is_judged_afresh_and_an_unrelated_one_reuses_the_findings() -> None:
    resources, settings = rules_plan("aws-dev")
    assert _failures(list(resources), settings) == []

    def no_paths(props: dict[str, Any]) -> None:
        for to in props["spec"]["rules"][0]["to"]:
            del to["operation"]["paths"]

    opened = mutated_resources(resources, _authz, no_paths, exactly=1)
    found = _failures(opened, settings)
    assert any("reaches POST /v2/repository/models/resnet50/unload through the public gateway" in m for m in found)
    assert _failures(list(resources), settings) == []  # the original again: its own findings, not the last ones

    def relabel(props: dict[str, Any]) -> None:
        props["metadata"].setdefault("labels", {})["unrelated"] = "x"

    remembered = dict(network._INFERENCE_ONLY)
    elsewhere = mutated_resources(resources, lambda r: r.type == "kubernetes:core/v1:Namespace", relabel)
    assert _failures(elsewhere, settings) == []
    assert remembered == network._INFERENCE_ONLY  # nothing walked again: no new entry


@pytest.mark.parametrize(
    ("one", "other"),
    [(True, 1), (1, 1.0), (0.0, -0.0), ([1], (1,)), ({"a": 1}, {"a": True}), ("1", 1), (None, "None")],
)
def test_the_key_tells_apart_values_python_finds_equal(one: Any, other: Any) -> None:
    assert network._frozen({"v": one}) != network._frozen({"v": other})
    assert network._frozen({"v": one}) == network._frozen({"v": one})


def test_an_unhashable_object_keys_by_identity() -> None:
    class Odd:
        __hash__ = None  # type: ignore[assignment]

    odd = Odd()
    assert network._frozen([odd]) == network._frozen([odd])
    assert network._frozen([odd]) != network._frozen([Odd()])
    hash(network._frozen([odd]))
