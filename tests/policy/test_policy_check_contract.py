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
from policy.rules import rule_names
from support import ROOT, saved_plan


@pytest.fixture(scope="module")
def local() -> dict[str, Any]:
    """The local stack saved with ``mlplatform plan --json``."""
    return saved_plan("local")


def run(tmp: Path, text: str, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], Path]:
    """``mlplatform check`` over ``text`` saved in ``tmp``: exit code, stderr lines, the file."""
    path = tmp / "p.json"
    path.write_text(text)
    code = main(["check", str(path), *argv])
    return code, capsys.readouterr().err.splitlines(), path


def index(doc: dict[str, Any], kind: str, name: str, namespace: str | None = None) -> int:
    """The position of the ``kind`` object named ``name`` (in ``namespace``, when given) in the first stack's
    resources."""
    for i, r in enumerate(doc["stacks"][0]["resources"]):
        meta = r["inputs"].get("metadata", {})
        if r["type"].endswith(f":{kind}") and meta.get("name") == name and namespace in (None, meta.get("namespace")):
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


def test_a_fifo_or_device_is_refused_not_read(tmp_path: Path) -> None:
    """Red team F20/F21: /dev/zero was read until memory ran out (MemoryError traceback), a FIFO with no writer hung
    the check. Run in a child process with 2 GiB of address space and 60 s, so the old behaviour fails the test."""
    import os
    import resource
    import subprocess
    import sys

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        done = subprocess.run(
            [sys.executable, "-m", "components.plan.cli", "check", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=limit,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert (done.returncode, done.stderr.splitlines()) == (
            EXIT_INVALID,
            [
                f"{path}: is not a regular file (a pipe, socket or device); give a plan written by mlplatform plan "
                "--json"
            ],
        )


def test_a_file_past_the_size_cap_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import policy.check

    monkeypatch.setattr(policy.check, "MAX_BYTES", 10)
    code, err, path = run(tmp_path, '{"stacks": [1, 2, 3]}', capsys)
    assert (code, err) == (
        EXIT_INVALID,
        [f"{path}: is 21 bytes, more than the 10 check reads; give a plan written by mlplatform plan --json"],
    )


# -------------------------------------------------------------------------------------- 5. JSON, cost, policies

NAN = "NaN is not allowed; JSON has no NaN or Infinity and mlplatform plan --json never writes one"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(
    constant: str, local: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team B02-B04, N02a: Python's json reads NaN and +-Infinity; a NaN budget ceiling or PDB maxUnavailable
    made the mandatory rules pass (every comparison with NaN is false)."""
    doc = copy.deepcopy(local)
    doc["stacks"][0]["cost"]["totals"]["ceiling"]["usd"] = "CONST"
    code, err, path = run(tmp_path, json.dumps(doc).replace('"CONST"', constant), capsys)
    assert (code, err) == (EXIT_INVALID, [f"{path}: {NAN.replace('NaN', constant, 1)}"])


@pytest.mark.parametrize(
    ("where", "key"),
    [("settings", "environment"), ("overrides", "required-tags"), ("top", "stacks")],
    ids=["D02 settings.environment", "D01 an override", "D03 stacks"],
)
def test_a_key_given_twice_is_refused(
    where: str, key: str, local: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team D01-D03: the last of two equal keys won (``environment`` prod then dev judged the stack as dev)."""
    doc = copy.deepcopy(local)
    settings = doc["stacks"][0]["settings"]
    if where == "settings":
        text = json.dumps(doc).replace('"environment": "dev"', '"environment": "prod", "environment": "dev"', 1)
    elif where == "overrides":
        settings["overrides"] = {"X": 1}
        both = '"required-tags": {"enforcement": "disabled", "reason": "two weeks, ticket OPS-1"}'
        text = json.dumps(doc).replace('"X": 1', f"{both}, {both}")
    else:
        text = json.dumps(doc)[:-1] + ', "stacks": []}'
    code, err, path = run(tmp_path, text, capsys)
    assert (code, err) == (
        EXIT_INVALID,
        [
            f"{path}: the key {key} is given twice in one object (the last would silently win); a plan of mlplatform "
            "plan --json gives each key once"
        ],
    )


@pytest.mark.parametrize(
    ("value", "where", "said"),
    [
        ("cheap", "cost", "cheap is not allowed; give the map mlplatform plan --json writes"),
        ({"totals": {"ceiling": {"usd": -5}}}, "cost.totals.ceiling.usd", "-5 is not allowed; give a number >= 0"),
        ({"totals": {"ceiling": {"usd": "0"}}}, "cost.totals.ceiling.usd", "0 is not allowed; give a number >= 0"),
        ({"totals": {"ceiling": 1}}, "cost.totals.ceiling", "1 is not allowed; give a map with usd"),
        (
            {"totals": {"ceiling": {"usd": 1, "lowerBound": "no"}}},
            "cost.totals.ceiling.lowerBound",
            "no is not allowed; give true or false",
        ),
    ],
    ids=["S16 a string", "negative", "a string usd", "ceiling a number", "lowerBound a string"],
)
def test_a_malformed_cost_is_refused(
    value: Any, where: str, said: str, local: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team S16: any ``cost`` was accepted (and ignored: the budget rule then judged no estimate)."""
    doc = copy.deepcopy(local)
    doc["stacks"][0]["cost"] = value
    code, err, path = run(tmp_path, json.dumps(doc), capsys)
    assert (code, err) == (EXIT_INVALID, [f"{path}: stack local: {where}: {said}"])


@pytest.mark.parametrize("policies", [None, [], "drop-one"], ids=["B02 missing", "B03 empty", "one rule's entry gone"])
def test_the_saved_verdict_is_required(
    policies: Any, local: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team B02/B03: a plan without ``policies`` (or with []) silently disabled the comparison of the recorded
    mandatory failures with check's own (policy.check.unreproduced)."""
    doc = copy.deepcopy(local)
    stack = doc["stacks"][0]
    if policies is None:
        del stack["policies"]
        what = "policies is missing"
    elif policies == []:
        stack["policies"] = []
        what = f"policies has no entry for {rule_names()[0]}"
    else:
        gone = stack["policies"][-1]["policy"]
        stack["policies"] = [e for e in stack["policies"] if e["policy"] != gone]
        what = f"policies has no entry for {gone}"
    code, err, path = run(tmp_path, json.dumps(doc), capsys)
    assert (code, err) == (
        EXIT_INVALID,
        [
            f"{path}: stack local: {what} (a saved plan holds the verdict of every rule, which check compares with "
            "its own): plan it again with this version of mlplatform plan --json"
        ],
    )


# ------------------------------------------------------------------------------------------------ 8. override reasons


@pytest.mark.parametrize(
    "reason",
    ["\u200b" * 10, "\u2060" * 10, "\u3164" * 10, "\ufeff" * 10, "\0" * 10, "ok" + "\u200b" * 8],
    ids=["O06 U+200B", "O07 U+2060", "O08 U+3164", "O09 U+FEFF", "O11 NUL", "P28 two letters padded"],
)
def test_an_invisible_override_reason_is_refused(
    reason: str, local: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team O06-O09, O11, P28: a reason of invisible characters counted as ten characters, so a saved plan (or a
    stack file, tests/bad_inputs/cases/policy-override-reason-*.yaml) disabled a mandatory rule with it."""
    doc = copy.deepcopy(local)
    doc["stacks"][0]["settings"]["overrides"] = {"required-tags": {"enforcement": "disabled", "reason": reason}}
    code, err, path = run(tmp_path, json.dumps(doc), capsys)
    assert (code, err) == (
        EXIT_INVALID,
        [
            f"{path}: stack local: settings.overrides.required-tags.reason: {json.dumps(reason)} is not allowed; give "
            "the reason in words (at least 10 characters besides spaces and invisible characters); it is recorded"
        ],
    )


def test_the_rules_ignore_an_invisible_reason_too() -> None:
    """The CrossGuard pack builds Override from its config: the same count (components.errors.visible_length)."""
    from policy.rules import Override

    assert not Override("disabled", "\u200b" * 10).applies
    assert not Override("disabled", "ok" + "\u3164" * 8).applies
    assert Override("disabled", "two weeks: OPS-1").applies


# ------------------------------------------------------------------------------------------------ 3. markup, control


@pytest.mark.parametrize(
    ("key", "value"), [("stack", "[/]"), ("cloud", "[/]"), ("stack", "[bold red]FAKE")], ids=["X07", "X09", "X08"]
)
def test_markup_in_a_name_is_shown_as_written(
    key: str,
    value: str,
    local: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Red team X07-X09: Rich read ``[/]`` in a stack or cloud name as markup (MarkupError traceback) and
    ``[bold red]FAKE`` as a style (a spoofed line)."""
    monkeypatch.setenv("COLUMNS", "200")
    doc = copy.deepcopy(local)
    doc["stacks"][0][key] = value
    text = json.dumps(doc)
    if key == "stack":  # a stack's URNs name it (check refuses a URN of another stack)
        text = text.replace('"urn:pulumi:local::', f'"urn:pulumi:{value}::')
    path = tmp_path / "p.json"
    path.write_text(text)
    assert main(["check", str(path)]) == EXIT_OK
    out = capsys.readouterr().out
    assert value in out


def test_markup_in_the_plan_path_is_shown_as_written(
    local: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Red team X12: the PLAN path ``[/]x.json`` (a folder ``[``) crashed the heading."""
    monkeypatch.setenv("COLUMNS", "300")
    (tmp_path / "[").mkdir()
    path = tmp_path / "[" / "]x.json"
    path.write_text(json.dumps(local))
    assert main(["check", str(path)]) == EXIT_OK
    assert f"local (existing), from {path}" in capsys.readouterr().out


def test_control_characters_in_a_stack_name_are_refused(
    local: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team X11: ANSI erase-line escapes in the stack name were written raw to the terminal."""
    doc = copy.deepcopy(local)
    doc["stacks"][0]["stack"] = "x\x1b[2K\x1b[1A"
    code, err, path = run(tmp_path, json.dumps(doc), capsys)
    assert (code, err) == (
        EXIT_INVALID,
        [
            f'{path}: stacks[0].stack: "x\\u001b[2K\\u001b[1A" is not allowed; give the stack\'s name as mlplatform '
            "plan --json writes it (no control or invisible characters)"
        ],
    )


def test_the_policy_table_escapes_control_characters() -> None:
    """A message or resource from a saved plan never writes a control character to the terminal."""
    from components.plan.view import safe_text

    assert safe_text("a\x1b[2Kb\u202ec") == "a\\u001b[2Kb\\u202ec"
    assert safe_text("Größe — ok") == "Größe — ok"


def test_the_policy_table_shows_markup_from_a_plan_as_written() -> None:
    """What a saved plan says is shown as written: Rich markup in a message, a resource or a rule name is text, not a
    style (a ``[/]`` of a message would otherwise raise MarkupError or hide text); the result column keeps its style."""
    import io

    from rich.console import Console

    from components.plan.report import StackPlan
    from components.plan.view import policy_table
    from components.records import PlanResult

    entries = [
        {
            "policy": "r[bold]x",
            "enforcement": "mandatory",
            "passed": False,
            "message": "a [red]b[/] c\\[d]",
            "urn": "urn:pulumi:s::p::kubernetes:core/v1:Namespace::n[/]s",
        },
        {"policy": "ok", "enforcement": "advisory", "passed": True, "message": "m", "urn": None},
    ]
    plan = StackPlan("s", "local", PlanResult("", "s", [], {}), policies=entries)
    plain = Console(file=io.StringIO(), width=200, color_system=None)
    plain.print(policy_table(plan))
    text = plain.file.getvalue()  # type: ignore[attr-defined]
    assert "r[bold]x" in text and "a [red]b[/] c\\[d]" in text and "n[/]s" in text, text
    coloured = Console(file=io.StringIO(), width=200, color_system="standard", force_terminal=True)
    coloured.print(policy_table(plan))
    shown = coloured.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b[31mFAIL\x1b[0m" in shown and "\x1b[32mpass\x1b[0m" in shown, repr(shown)


# ------------------------------------------------------------------------------------------------ 10. ambiguity


def test_stack_given_twice_is_refused(
    local: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team M04: ``check --stack a --stack b`` checked b only (the last won)."""
    path = tmp_path / "p.json"
    path.write_text(json.dumps(local))
    assert main(["check", str(path), "--stack", "local", "--stack", "other"]) == EXIT_INVALID
    assert capsys.readouterr().err.splitlines() == [
        "mlplatform check: --stack given twice (local, other); give it once, or plan every stack; see mlplatform "
        "check --help"
    ]


def test_a_stack_name_twice_is_refused(
    local: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team M07/M25: two stacks of one name; ``--stack`` judged the first, the verdict could come from either."""
    doc = copy.deepcopy(local)
    doc["stacks"].append(copy.deepcopy(doc["stacks"][0]))
    code, err, path = run(tmp_path, json.dumps(doc), capsys)
    assert (code, err) == (
        EXIT_INVALID,
        [
            f"{path}: stacks[1].stack: local is not allowed; stacks[0] has the same name (check --stack would judge "
            "only one of them): give each stack once"
        ],
    )


def test_a_urn_twice_is_refused(local: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Red team M23: a resource duplicated (same URN): rules judged both, providers resolved to the last."""
    doc = copy.deepcopy(local)
    resources = doc["stacks"][0]["resources"]
    resources.append(copy.deepcopy(resources[3]))
    code, err, path = run(tmp_path, json.dumps(doc), capsys)
    n = len(resources) - 1
    assert (code, err) == (
        EXIT_INVALID,
        [
            f"{path}: stack local: resources[{n}].urn: {resources[3]['urn']} is not allowed; resources[3] has the "
            "same URN (the engine registers each URN once): give each resource once"
        ],
    )


@pytest.mark.parametrize(
    ("models", "where", "said"),
    [
        ({"models/ghost\nX": []}, 'settings.models."models/ghost\\nX"', '"models/ghost\\nX" is not allowed; give '
         "namespace/name (lowercase)"),
        ({"models/m": ["InferenceService/models/m\nSECOND LINE"]}, "settings.models.models/m",
         '"InferenceService/models/m\\nSECOND LINE" is not allowed; give each object as Kind/namespace/name'),
    ],
    ids=["X14 a model key", "an object"],
)  # fmt: skip
def test_declared_models_are_namespace_name(
    models: Any, where: str, said: str, local: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team X14: ``settings.models`` keys and entries were any strings (a newline put a second line in the
    missing-object report)."""
    doc = copy.deepcopy(local)
    doc["stacks"][0]["settings"]["models"] = models
    code, err, path = run(tmp_path, json.dumps(doc), capsys)
    assert (code, err) == (EXIT_INVALID, [f"{path}: stack local: {where}: {said}"])


# ------------------------------------------------------------------------------------------------ 11. pack config


@pytest.mark.parametrize(
    ("stack", "text", "said"),
    [
        ("p24", "mlplatform:environment: Prod", "mlplatform:environment: Prod is not allowed; give one of dev"),
        ("nope", None, "no such stack file"),
        ("p19", "mlplatform:policy:\n    maxGpus: 8\n    maxGpus: 9", "YAML syntax error: maxGpus is given twice"),
    ],
    ids=["C02 a bad value", "C03 no file", "C04 a key twice"],
)  # fmt: skip
def test_pack_config_of_a_bad_stack_file_is_one_line(
    stack: str, text: str | None, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team C02-C04: ``python -m policy.rules config`` printed a traceback (and C02's line said "stack config"
    instead of the file)."""
    from policy.rules.__main__ import main as rules_main

    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "stacks").mkdir()
    (tmp_path / "infra").mkdir()  # Pulumi.yaml's main
    local = (ROOT / "stacks" / "Pulumi.local.yaml").read_text()
    if text is not None:
        key = text.split(":", 2)[0] + ":" + text.split(":", 2)[1].split("\n")[0]
        kept = "\n".join(ln for ln in local.splitlines() if not ln.startswith(f"  {key}"))
        (tmp_path / "stacks" / f"Pulumi.{stack}.yaml").write_text(f"{kept}\n  {text}\n")
    path = tmp_path / "stacks" / f"Pulumi.{stack}.yaml"
    assert rules_main(["config", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    assert err[0].startswith(f"stacks/Pulumi.{stack}.yaml: ") and said in err[0], err


# ------------------------------------------------------------------------------------------------ 6. type tokens


def test_a_type_with_a_lookalike_letter_is_refused(
    local: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team M24/J08: a resource type with a Cyrillic letter matched no rule, so an open cluster passed."""
    doc = copy.deepcopy(local)
    i = index(doc, "NetworkPolicy", "sklearn-iris-netpol")
    resource = doc["stacks"][0]["resources"][i]
    resource["type"] = resource["type"].replace("Policy", "P\u043elicy")
    code, err, path = run(tmp_path, json.dumps(doc), capsys)
    shown = json.dumps(resource["type"])
    assert (code, err) == (
        EXIT_INVALID,
        [
            f"{path}: stack local: resources[{i}].type: {shown} is not allowed; give a Pulumi type token "
            "package:module:Type in ASCII letters, digits and ._/- (a lookalike letter would evade every rule)"
        ],
    )


# ------------------------------------------------------------------------------------------------ 4. unknown markers


def test_an_unknown_mesh_mtls_mode_fails_strict(
    local: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Red team G01t: the mesh-wide PeerAuthentication's mode replaced by the unknown marker (the program always writes
    it as a literal) passed even ``--strict --no-overrides``: the rule skipped it without saying so."""
    monkeypatch.setenv("COLUMNS", "400")
    doc = copy.deepcopy(local)
    i = index(doc, "PeerAuthentication", "default", "istio-system")
    assert doc["stacks"][0]["resources"][i]["inputs"]["metadata"]["namespace"] == "istio-system"
    doc["stacks"][0]["resources"][i]["inputs"]["spec"]["mtls"]["mode"] = "(known after deploy)"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    assert main(["check", str(path), "--strict", "--no-overrides"]) == EXIT_POLICY
    out = capsys.readouterr().out
    row = next(ln for ln in out.splitlines() if "mesh-mtls-strict" in ln)
    assert (
        "FAIL" in row
        and "--strict: not checked, known only after deploy: PeerAuthentication istio-system/default mtls.mode" in row
    ), row
