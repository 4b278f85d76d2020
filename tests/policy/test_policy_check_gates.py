"""What ``mlplatform check`` refuses and what it trusts (issue #17 item 10): empty plans, secrets, saved overrides,
and ``--strict`` over documents a plain plan could not see (policy/check.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from components.plan.cli import EXIT_INVALID, EXIT_POLICY, main
from support import saved_plan


@pytest.fixture(scope="module")
def plans() -> dict[str, dict[str, Any]]:
    """aws-dev saved plain and with placeholders."""
    return {"plain": saved_plan("aws-dev"), "placeholders": saved_plan("aws-dev", "--placeholders")}


def _write(tmp: Path, doc: Any) -> str:
    path = tmp / "p.json"
    path.write_text(json.dumps(doc))
    return str(path)


def failing(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str) -> set[str]:
    """The policies that FAIL in ``mlplatform check`` output (the aws-dev plan may fail other rules on main)."""
    monkeypatch.setenv("COLUMNS", "400")
    code = main(["check", *argv])
    out = capsys.readouterr().out
    names = {ln.split("│")[1].strip() for ln in out.splitlines() if "│ FAIL" in ln}
    assert (code == EXIT_POLICY) == bool(names), (code, out)
    return names


def test_a_plan_with_no_stacks_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", _write(tmp_path, {"stacks": []})]) == EXIT_INVALID
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "no stacks" in err, err


def test_a_stack_with_no_resources_is_refused(
    plans: dict[str, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = copy.deepcopy(plans["plain"]["stacks"][0])
    stack["resources"] = [r for r in stack["resources"] if r["type"].startswith("pulumi:providers:")]
    assert stack["resources"], "the plan has providers"
    assert main(["check", _write(tmp_path, {"stacks": [stack]})]) == EXIT_INVALID
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "stack aws-dev has no resources" in err, err
    stack["resources"] = []
    assert main(["check", _write(tmp_path, {"stacks": [stack]})]) == EXIT_INVALID


def test_a_secret_is_unknown_never_a_value(
    plans: dict[str, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = copy.deepcopy(plans["placeholders"]["stacks"][0])
    role = next(r for r in stack["resources"] if r["name"] == "resnet50-storage-role")
    role["inputs"]["assumeRolePolicy"] = "[secret]"
    path = _write(tmp_path, {"stacks": [stack]})
    from policy.check import check, load_plan

    (saved,) = load_plan(Path(path))
    trust = [e for e in check(saved) if e["policy"] == "workload-identity-trust"]
    assert trust and all(e["passed"] for e in trust)
    assert "trust policy of role resnet50-storage-role" in trust[0].get("unchecked", ""), trust
    assert main(["check", path, "--strict"]) == EXIT_POLICY
    capsys.readouterr()


def test_strict_fails_unchecked_mandatory_documents(
    plans: dict[str, dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    identity = {"workload-identity-trust", "storage-read-least-privilege"}
    # a plain plan saves the placeholder rendering its unknown documents were judged over (judgedResources):
    # check judges them there as the plan did, and --strict has nothing unchecked to fail
    assert "judgedResources" in plans["plain"]["stacks"][0]
    plain = _write(tmp_path, plans["plain"])
    assert not failing(capsys, monkeypatch, plain, "--strict") & identity
    # without it (an edited or older plan) the documents stay unchecked: --strict fails them
    bare = copy.deepcopy(plans["plain"])
    del bare["stacks"][0]["judgedResources"]
    plain = _write(tmp_path, bare)
    assert not failing(capsys, monkeypatch, plain) & identity
    assert failing(capsys, monkeypatch, plain, "--strict") >= identity
    # saved with placeholders, the documents are there: --strict has nothing more to fail
    placeholders = _write(tmp_path, plans["placeholders"])
    assert not failing(capsys, monkeypatch, placeholders, "--strict") & identity


def test_strict_check_of_a_placeholder_plan_catches_irsa_without_sub(
    plans: dict[str, dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stack = copy.deepcopy(plans["placeholders"]["stacks"][0])
    role = next(r for r in stack["resources"] if r["name"] == "resnet50-storage-role")
    doc = json.loads(role["inputs"]["assumeRolePolicy"])
    cond = doc["Statement"][0]["Condition"]["StringEquals"]
    for key in [k for k in cond if k.endswith(":sub")]:
        del cond[key]
    role["inputs"]["assumeRolePolicy"] = json.dumps(doc)
    assert "workload-identity-trust" in failing(capsys, monkeypatch, _write(tmp_path, {"stacks": [stack]}))


def test_no_overrides_ignores_the_saved_overrides(
    plans: dict[str, dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stack = copy.deepcopy(plans["plain"]["stacks"][0])
    mesh = next(r for r in stack["resources"] if r["name"] == "mlplatform-mesh-mtls")
    mesh["inputs"]["spec"]["mtls"]["mode"] = "PERMISSIVE"
    stack["settings"]["overrides"] = {"mesh-mtls-strict": {"enforcement": "disabled", "reason": "edited by hand"}}
    path = _write(tmp_path, {"stacks": [stack]})
    assert "mesh-mtls-strict" not in failing(capsys, monkeypatch, path)  # the saved override is trusted as written
    assert "mesh-mtls-strict" in failing(capsys, monkeypatch, path, "--no-overrides")
