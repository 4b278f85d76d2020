"""``mlplatform check``'s input contract (issues #13 and #17, the red team of issue #17): every saved plan that is not
one ``mlplatform plan --json`` writes exits 2 with ONE line naming the file, the key path, the value and what is
accepted (never a traceback); exit 1 exactly when a mandatory rule fails; a tampered plan never passes where the real
plan would fail (policy/check.py)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.plan.cli import EXIT_INVALID, EXIT_OK, EXIT_POLICY, main
from support import ROOT


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The local stack saved with ``mlplatform plan --json``."""
    path = tmp_path_factory.mktemp("local") / "plan.json"
    main(["plan", "--project", str(ROOT), "--stack", "local", "--no-tree", "--json", str(path)])
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def run(tmp: Path, text: str, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], Path]:
    """``mlplatform check`` over ``text`` saved in ``tmp``: exit code, stderr lines, the file."""
    path = tmp / "p.json"
    path.write_text(text)
    code = main(["check", str(path), *argv])
    return code, capsys.readouterr().err.splitlines(), path


def index(doc: dict[str, Any], kind: str, name: str) -> int:
    """The position of the ``kind`` object named ``name`` in the first stack's resources."""
    for i, r in enumerate(doc["stacks"][0]["resources"]):
        if r["type"].endswith(f":{kind}") and r["inputs"].get("metadata", {}).get("name") == name:
            return i
    raise AssertionError(f"no {kind} {name}")


def test_the_saved_plan_passes(local: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What the plan writes is accepted (the guards below refuse only what it never writes)."""
    code, err, _ = run(tmp_path, json.dumps(local), capsys, "--strict")
    assert (code, err) == (EXIT_OK, [])


# ------------------------------------------------------------------------------------------------ 1. shapes

SHAPES: list[tuple[str, str, str, Callable[[Any], None], str, str]] = [
    # (case, kind, name, mutation of the object's inputs, key path under inputs, what the line says)
    ("X03 an AuthorizationPolicy rule a list", "AuthorizationPolicy", "sklearn-iris-authz",
     lambda i: i["spec"]["rules"].__setitem__(0, [1]), "spec.rules[0]", "[1] is not allowed; give a map"),
    ("X17 a rule's from a string", "AuthorizationPolicy", "sklearn-iris-authz",
     lambda i: i["spec"]["rules"][0].__setitem__("from", "x"), "spec.rules[0].from", "x is not allowed; give a list"),
    ("a to's methods a number", "AuthorizationPolicy", "sklearn-iris-authz",
     lambda i: i["spec"]["rules"][0]["to"][0]["operation"].__setitem__("methods", [0]),
     "spec.rules[0].to[0].operation.methods[0]", "0 is not allowed; give a string"),
    ("X04 a NetworkPolicy port null", "NetworkPolicy", "sklearn-iris-netpol",
     lambda i: i["spec"]["ingress"][0]["ports"].__setitem__(1, None), "spec.ingress[0].ports[1]",
     "null is not allowed; give a map"),
    ("X05 a port a list", "NetworkPolicy", "sklearn-iris-netpol",
     lambda i: i["spec"]["ingress"][0]["ports"][0].__setitem__("port", []), "spec.ingress[0].ports[0].port",
     "[] is not allowed; give an integer or a string"),
    ("X06 matchLabels a number", "NetworkPolicy", "sklearn-iris-netpol",
     lambda i: i["spec"].__setitem__("podSelector", {"matchLabels": 1.5}), "spec.podSelector.matchLabels",
     "1.5 is not allowed; give a map"),
    ("X16 ingress a number", "NetworkPolicy", "sklearn-iris-netpol",
     lambda i: i["spec"].__setitem__("ingress", -1), "spec.ingress", "-1 is not allowed; give a list"),
    ("a NetworkPolicy's spec null", "NetworkPolicy", "sklearn-iris-netpol",
     lambda i: i.__setitem__("spec", None), "spec", "null is not allowed; give a map"),
    ("X15 predictor.model a number", "InferenceService", "sklearn-iris",
     lambda i: i["spec"]["predictor"].__setitem__("model", -1), "spec.predictor.model",
     "-1 is not allowed; give a map"),
]  # fmt: skip


@pytest.mark.parametrize("case", SHAPES, ids=[c[0] for c in SHAPES])
def test_a_value_of_another_shape_is_refused_in_one_line(
    case: tuple[str, str, str, Callable[[Any], None], str, str],
    local: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Red team X03-X06, X15-X17 (exit 70 and a traceback from components/serving/requestpath.py before): a value
    the Kubernetes/Istio API types otherwise is refused, naming where it is."""
    _, kind, name, mutate, where, said = case
    doc = copy.deepcopy(local)
    i = index(doc, kind, name)
    mutate(doc["stacks"][0]["resources"][i]["inputs"])
    code, err, path = run(tmp_path, json.dumps(doc), capsys)
    assert code == EXIT_INVALID
    assert err == [f"{path}: stack local: resources[{i}].inputs.{where}: {said} (the shape the {kind} API takes)"]


@pytest.mark.parametrize("value", [{"a": 1}, ["urn:x"]], ids=["X01 map", "X02 list"])
def test_a_provider_that_is_not_a_urn_is_refused(
    value: Any, local: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team X01/X02: the provider was used as a map key (TypeError: unhashable)."""
    doc = copy.deepcopy(local)
    doc["stacks"][0]["resources"][3]["provider"] = value
    code, err, path = run(tmp_path, json.dumps(doc), capsys)
    shown = json.dumps(value)
    assert (code, err) == (
        EXIT_INVALID,
        [
            f"{path}: stack local: resources[3].provider: {shown} is not allowed; give the URN of a resource of "
            "this plan, or null"
        ],
    )


# ------------------------------------------------------------------------------------------------ 2. reading


def test_a_value_nested_too_deep_is_refused(
    local: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team F13: a 960-deep list inside a resource's inputs parsed, then exhausted the recursion of the rules
    (RecursionError, exit 70); 300 levels here, which every JSON parser in the test process reads."""
    doc = copy.deepcopy(local)
    doc["stacks"][0]["resources"][3]["inputs"]["deep"] = "DEEP"
    text = json.dumps(doc).replace('"DEEP"', "[" * 300 + "]" * 300)
    code, err, path = run(tmp_path, text, capsys)
    assert code == EXIT_INVALID
    assert err == [
        f"{path}: stack local: resources[3].inputs.deep{'[0]' * 64}: nested deeper than 64 levels; no plan of "
        "mlplatform plan is: refusing it"
    ]
