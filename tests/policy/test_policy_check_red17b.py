"""The second red team of ``mlplatform check PLAN.json`` (issue #17, red17b): its eight causes of breaks, each
reproduced on a plan the shipped program saves with ``mlplatform plan --json`` (policy/check.py, components/errors.py
``visible_length``, policy/rules/cluster.py ``_world``, policy/rules/iam.py ``_node_policies``).

A plan that is not one ``mlplatform plan --json`` writes exits 2 with one line; a tampered plan never passes where
the rule it evades would fail; nothing a plan holds makes ``check`` crash (exit 70)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.plan.cli import EXIT_INVALID, EXIT_OK, EXIT_POLICY, main
from components.plan.view import safe_text
from policy.check import check, load_plan, strict
from support import check_cli, saved_plan

UNKNOWN_TEXT = "(known after deploy)"


@pytest.fixture(scope="module")
def plans() -> dict[str, dict[str, Any]]:
    """aws-dev, gcp-prod and azure-staging saved with ``mlplatform plan --json`` (each with its judgedResources)."""
    return {stack: saved_plan(stack) for stack in ("aws-dev", "gcp-prod", "azure-staging")}


def _at(stack: dict[str, Any], key: str, name: str) -> dict[str, Any]:
    return next(r for r in stack[key] if r["name"] == name)


def _both(stack: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The resource named ``name`` in ``resources`` and (when there) in ``judgedResources``."""
    return [r for key in ("resources", "judgedResources") for r in stack.get(key) or [] if r["name"] == name]


def _check(tmp: Path, text: str, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, list[str], Path]:
    path = tmp / "p.json"
    path.write_text(text, encoding="utf-8")
    code = main(["check", str(path), *argv])
    out, err = capsys.readouterr()
    return code, out, [ln for ln in err.splitlines() if ln.strip()], path


def _failed(path: Path) -> set[str]:
    """The mandatory rules ``check --strict --no-overrides`` fails on the plan at ``path`` (by name, untruncated)."""
    return {
        str(e["policy"])
        for saved in load_plan(path)
        for e in strict(check(saved, no_overrides=True))
        if e.get("enforcement") == "mandatory" and not e.get("passed")
    }


def test_the_shipped_plans_pass_strict(
    plans: dict[str, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The guards below refuse only what the plan never writes: the three plans pass ``--strict`` (the judged pass
    now fills only the unknown values of ``resources``; azure-staging's issuer and principalId and gcp-prod's
    nodeLocations, absent in the plain rendering, still come from the placeholder rendering)."""
    for stack, doc in plans.items():
        code, _, err, path = _check(tmp_path, json.dumps(doc), capsys, "--strict")
        assert (stack, code, err, _failed(path)) == (stack, EXIT_OK, [], set())


# ------------------------------------------------------------------------------------------------ 1-3. reading


def test_an_integer_of_5000_digits_is_refused(
    plans: dict[str, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Cause 1 (A04): Python refuses to convert an integer literal of more than 4300 digits (ValueError, exit 70)."""
    text = json.dumps(plans["aws-dev"]).replace('"maxGpus": 64', '"maxGpus": ' + "9" * 5000, 1)
    assert "9" * 5000 in text
    code, _, err, path = _check(tmp_path, text, capsys)
    assert (code, err) == (
        EXIT_INVALID,
        [
            f"{path}: an integer of 5000 digits is not allowed (number too long); a plan of mlplatform plan --json "
            "has none longer than 30"
        ],
    )


@pytest.mark.parametrize("where", ["cloud", "resource name", "settings key"])
def test_a_lone_surrogate_is_refused(
    where: str, plans: dict[str, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Cause 2 (A08): ``"aws\\ud800"`` (a JSON escape of a lone surrogate) parsed, and printing it stopped the output
    with UnicodeEncodeError (exit 70 as a real process; exit 0 in-process, where nothing is encoded)."""
    doc = copy.deepcopy(plans["aws-dev"])
    stack = doc["stacks"][0]
    if where == "cloud":
        stack["cloud"] = "aws\udfff"
        at = "stacks[0].cloud"
    elif where == "resource name":
        stack["resources"][3]["name"] = "x\udfff"
        at = "stacks[0].resources[3].name"
    else:
        stack["settings"]["overrides"]["x\udfff"] = {}
        at = 'stacks[0].settings.overrides."x\\udfff"'
    text = json.dumps(doc)  # ensure_ascii: the surrogate is written as the escape \udfff
    code, _, err, path = _check(tmp_path, text, capsys)
    assert (code, err) == (
        EXIT_INVALID,
        [
            f"{path}: {at}: a string with a lone surrogate (a \\ud800-\\udfff escape) is not allowed; it is not "
            "Unicode text and cannot be printed; mlplatform plan --json never writes one"
        ],
    )


def test_printed_text_escapes_surrogates() -> None:
    """The output path itself is safe: whatever reaches the terminal encodes as UTF-8."""
    shown = safe_text("aws\ud800 (x)")
    assert shown == "aws\\ud800 (x)"
    shown.encode("utf-8")


@pytest.mark.parametrize("cloud", [["aws"], "", "aws\n"], ids=["B14 a list", "empty", "a newline"])
def test_a_cloud_that_is_not_a_name_is_refused(
    cloud: Any, plans: dict[str, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """B14: ``cloud`` given as a list printed ``(['aws'])``."""
    doc = copy.deepcopy(plans["aws-dev"])
    doc["stacks"][0]["cloud"] = cloud
    code, _, err, _ = _check(tmp_path, json.dumps(doc), capsys)
    assert code == EXIT_INVALID
    assert len(err) == 1 and "stack aws-dev: cloud: " in err[0] and "is not allowed" in err[0]


@pytest.mark.parametrize("literal", ["-1e309", "1e309", "1.5e99999"])
def test_a_number_beyond_the_largest_float_is_refused(
    literal: str, plans: dict[str, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Cause 3 (F02, A10): ``-1e309`` was read as -Infinity, and ``pdb-allows-eviction`` passed gcp-prod's PDB with a
    bound no API accepts (exit 0)."""
    doc = copy.deepcopy(plans["gcp-prod"])
    for r in _both(doc["stacks"][0], "qwen-chat-pdb"):
        r["inputs"]["spec"]["maxUnavailable"] = "PLACEHOLDER"
    text = json.dumps(doc).replace('"PLACEHOLDER"', literal)
    code, _, err, path = _check(tmp_path, text, capsys)
    value = float(literal)
    assert (code, err) == (
        EXIT_INVALID,
        [
            f"{path}: the number {literal} is not allowed; it is beyond the largest float (read as {value}): "
            "mlplatform plan --json never writes one"
        ],
    )


# ------------------------------------------------------------------------------------------------ 4. provider, parent


def _alias_provider(stack: dict[str, Any]) -> str:
    """B40: the node role's provider set to the KMS alias, given ``defaultTags``; the role's own tags removed."""
    for key in ("resources", "judgedResources"):
        alias = _at(stack, key, "mlplatform-secrets-key-alias")
        alias["inputs"]["defaultTags"] = {"tags": {"environment": "dev", "owner": "x"}}
        role = _at(stack, key, "mlplatform-node-role")
        del role["inputs"]["tags"]
        role["provider"] = alias["urn"]
    return str(alias["urn"])


PROVIDER_CASES: list[tuple[str, Callable[[dict[str, Any]], str], str, str]] = [
    ("B40 provider is a KMS alias with defaultTags", _alias_provider, "mlplatform-node-role", "provider"),
    (
        "B16 provider of no resource",
        lambda s: "urn:pulumi:aws-dev::mlplatform::pulumi:providers:kubernetes::ghost",
        "mlplatform-mesh-mtls",
        "provider",
    ),
    (
        "B17 parent of another stack",
        lambda s: "urn:pulumi:gcp-prod::mlplatform::mlplatform:index:Platform::x",
        "mlplatform-mesh-mtls",
        "parent",
    ),
    (
        "an aws resource on the kubernetes provider",
        lambda s: next(r["urn"] for r in s["resources"] if r["type"] == "pulumi:providers:kubernetes"),
        "mlplatform-node-role",
        "provider",
    ),
]


@pytest.mark.parametrize("case", PROVIDER_CASES, ids=[c[0] for c in PROVIDER_CASES])
def test_provider_and_parent_must_be_of_the_plan(
    case: tuple[str, Callable[[dict[str, Any]], str], str, str],
    plans: dict[str, dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Cause 4 (B15-B17, B40): ``required-tags`` read the alias's inputs as the role's provider ``defaultTags`` and
    passed a role with no tags (the CrossGuard pack, which takes the provider from the engine, fails it)."""
    _, edit, name, ref = case
    doc = copy.deepcopy(plans["aws-dev"])
    stack = doc["stacks"][0]
    urn = edit(stack)
    for r in _both(stack, name):
        r[ref] = urn
    code, _, err, path = _check(tmp_path, json.dumps(doc), capsys)
    i = next(i for i, r in enumerate(stack["resources"]) if r["name"] == name)
    assert code == EXIT_INVALID
    assert len(err) == 1
    assert err[0].startswith(f"{path}: stack aws-dev: resources[{i}].{ref}: {urn} is not allowed; it names ")


# ------------------------------------------------------------------------------------------------ 5. blank reasons


@pytest.mark.parametrize("blank", ["\u2800", "\u3164", "\u115f", "\u1160", "\uffa0", "\u3000", "\u00a0"])
def test_a_blank_override_reason_is_refused(
    blank: str, plans: dict[str, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Cause 5 (C07): twelve U+2800 BRAILLE PATTERN BLANK (category So) counted as twelve visible characters, so a
    reason nobody can read disabled ``mesh-mtls-strict`` over a PERMISSIVE mesh (exit 0)."""
    doc = copy.deepcopy(plans["aws-dev"])
    stack = doc["stacks"][0]
    for r in _both(stack, "mlplatform-mesh-mtls"):
        r["inputs"]["spec"]["mtls"]["mode"] = "PERMISSIVE"
    stack["settings"]["overrides"]["mesh-mtls-strict"] = {"enforcement": "disabled", "reason": blank * 12}
    code, _, err, path = _check(tmp_path, json.dumps(doc), capsys)
    assert (code, err) == (
        EXIT_INVALID,
        [
            f"{path}: stack aws-dev: settings.overrides.mesh-mtls-strict.reason: {json.dumps(blank * 12)} is not "
            "allowed; give the reason in words (at least 10 characters besides spaces and invisible characters); it "
            "is recorded"
        ],
    )


def test_no_white_space_or_default_ignorable_code_point_is_visible() -> None:
    """Every code point of the cited ``White_Space`` and ``Default_Ignorable_Code_Point`` lists counts as nothing,
    and U+2800; letters still count."""
    from components.errors import DEFAULT_IGNORABLE, WHITE_SPACE, visible_length

    assert visible_length("".join(sorted(WHITE_SPACE | DEFAULT_IGNORABLE)) + "\u2800") == 0
    assert visible_length("a reason ok") == 9


# ------------------------------------------------------------------------------------------------ 6. judged merge


def _np_open(inputs: dict[str, Any]) -> None:
    inputs["spec"]["ingress"] = [{}]


def _np_world(inputs: dict[str, Any]) -> None:
    inputs["spec"]["policyTypes"] = ["Ingress"]
    inputs["spec"]["ingress"] = [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]


def _authz_open(inputs: dict[str, Any]) -> None:
    inputs["spec"]["rules"] = [{}]


JUDGED = [
    ("J03 resnet50 NetworkPolicy ingress [{}]", "aws-dev", "resnet50-netpol", _np_open),
    ("J07 sklearn-iris AuthorizationPolicy rules [{}]", "aws-dev", "sklearn-iris-authz", _authz_open),
    ("J09 prod resnet-triton NetworkPolicy from 0.0.0.0/0", "gcp-prod", "resnet-triton-netpol", _np_world),
]


def _strict_failed(text: str, tmp: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, set[str]]:
    """``check --strict --no-overrides`` on the plan ``text``: its exit code and the mandatory rules it fails (by name,
    untruncated), read from the entries the command judged (tests/support.py ``check_cli``; as :func:`_failed`)."""
    path = tmp / "p.json"
    path.write_text(text, encoding="utf-8")
    code, judged = check_cli([str(path), "--strict", "--no-overrides"])
    capsys.readouterr()
    failed = {
        str(e["policy"])
        for entries in judged
        for e in strict(entries)
        if e.get("enforcement") == "mandatory" and not e.get("passed")
    }
    return code, failed


_CONTROLS: dict[str, tuple[int, set[str]]] = {}
"""The control of each JUDGED case (the edit in both lists, no marker), judged once per test process: both markers'
tests compare with it (each asserts it again)."""


def _control(
    case: tuple[str, str, str, Callable[[dict[str, Any]], None]],
    plans: dict[str, dict[str, Any]],
    tmp: Path,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, set[str]]:
    label, stack_name, name, edit = case
    if label not in _CONTROLS:
        control = copy.deepcopy(plans[stack_name])
        for r in _both(control["stacks"][0], name):
            edit(r["inputs"])
        _CONTROLS[label] = _strict_failed(json.dumps(control), tmp, capsys)
    code, failed = _CONTROLS[label]
    return code, set(failed)


@pytest.mark.parametrize("marker", [UNKNOWN_TEXT, "[secret]"])
@pytest.mark.parametrize("case", JUDGED, ids=[c[0] for c in JUDGED])
def test_a_known_bad_value_beside_an_unknown_is_judged_as_written(
    case: tuple[str, str, str, Callable[[dict[str, Any]], None]],
    marker: str,
    plans: dict[str, dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Cause 6 (J03, J07, J09, K10 and their ``[secret]`` forms): the bad value edited into ``resources`` only, plus
    one unknown marker in the same object, passed ``--strict --no-overrides``: the rule skipped the object as
    unknown, and the judged pass ran over ``judgedResources``, whose copy is clean. Now the judged pass fills only
    the unknown values from ``judgedResources``; the bad known value is judged as written and fails the rules the
    control (the edit in both lists, no marker) fails. A marker where ``judgedResources`` has no value at all (the
    red team's ``metadata.annotations.x``) is refused (exit 2): nothing could fill it."""
    _, stack_name, name, edit = case
    code, expected = _control(case, plans, tmp_path, capsys)
    assert code == EXIT_POLICY and expected

    doc = copy.deepcopy(plans[stack_name])
    r = _at(doc["stacks"][0], "resources", name)["inputs"]
    edit(r)
    r["metadata"]["name"] = marker  # a value judgedResources has: filled from it
    code, failed = _strict_failed(json.dumps(doc), tmp_path, capsys)
    assert code == EXIT_POLICY
    assert expected <= failed

    r["metadata"]["name"] = _at(doc["stacks"][0], "judgedResources", name)["inputs"]["metadata"]["name"]
    r["metadata"].setdefault("annotations", {})["x"] = marker  # a value judgedResources does not have
    code, _, err, path = _check(tmp_path, json.dumps(doc), capsys)
    i = next(i for i, x in enumerate(doc["stacks"][0]["resources"]) if x["name"] == name)
    assert (code, err) == (
        EXIT_INVALID,
        [
            f"{path}: stack {stack_name}: resources[{i}].inputs.metadata.annotations.x is known only after deploy but "
            "judgedResources has no value there (the placeholder rendering gives every such value one): the rules "
            "could judge nothing for it; plan it again"
        ],
    )


# ------------------------------------------------------------------------------------------------ 7. open CIDRs


@pytest.mark.parametrize(
    "cidrs",
    [["0.0.0.0/1", "128.0.0.0/1"], ["1.2.3.4/0"], ["0.0.0.0/0\u200b"], ["10.0.0.0/7"], ["::/1", "8000::/1"]],
    ids=["N19 two halves", "N21 non-canonical /0", "N16 zero-width tail", "a /7", "IPv6 two halves"],
)
def test_an_api_open_to_the_internet_in_other_spellings_fails(
    cidrs: list[str], plans: dict[str, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Cause 7 (N19): ``_world`` compared strings with ``0.0.0.0/0``; two /1 blocks open the EKS API to every IPv4
    address and passed (exit 0)."""
    doc = copy.deepcopy(plans["aws-dev"])
    for r in _both(doc["stacks"][0], "mlplatform-eks-eksCluster"):
        r["inputs"]["vpcConfig"]["publicAccessCidrs"] = cidrs
    code, _, _, path = _check(tmp_path, json.dumps(doc), capsys)
    assert code == EXIT_POLICY
    assert "api-endpoint-restricted" in _failed(path)


# ------------------------------------------------------------------------------------------------ 8. type confusion


@pytest.mark.parametrize("role", [{"a": "b"}, [], ["x"]], ids=["a map", "empty list", "a list"])
def test_a_role_of_another_type_does_not_crash(
    role: Any, plans: dict[str, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Cause 8: ``RolePolicyAttachment.role`` given as a map or list crashed ``_node_policies`` (TypeError:
    unhashable type, exit 70). A map or list names no node role: the attachment is not a node role's."""
    doc = copy.deepcopy(plans["aws-dev"])
    for r in _both(doc["stacks"][0], "mlplatform-node-amazoneks-cni-policy"):
        r["inputs"]["role"] = role
    code, _, err, path = _check(tmp_path, json.dumps(doc), capsys, "--strict")
    assert code in (EXIT_OK, EXIT_POLICY, EXIT_INVALID), err
    assert "iam-least-privilege" not in _failed(path)
