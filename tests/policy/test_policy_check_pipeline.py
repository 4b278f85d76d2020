"""The gate docs/policies.md documents, end to end over every shipped stack (issue #17 item 1):

    mlplatform plan --stack S --json plan.json
    mlplatform check plan.json --stack S --strict --no-overrides

exits 0 on an untampered plan and 1 when an IRSA trust policy has lost its ``sub`` condition. Before the fix, the
saved plan kept only the plain rendering: ``check`` left the trust policies unchecked, so ``--strict`` failed every
unmodified cloud stack, and without ``--strict`` the slip ``plan`` had caught passed ``check`` (exit 0).
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

import components.clusters._karpenter as karpenter
import components.clusters.eks as eks
from components.clusters._aws_iam import irsa_trust_policy
from components.plan.cli import EXIT_INVALID, EXIT_OK, EXIT_POLICY, main
from components.plan.project import find_project
from support import ROOT, saved_plan_file

STACKS = find_project(ROOT).stacks()


def _gate(tmp: Path, stack: str) -> tuple[int, int, Path]:
    """The documented pipeline: plan saved with --json, then check --strict --no-overrides on the saved file."""
    out = tmp / f"{stack}.json"
    planned = main(["plan", "--project", str(ROOT), "--stack", stack, "--no-tree", "--json", str(out)])
    return planned, _check(out, stack), out


def _check(out: Path, stack: str) -> int:
    return main(["check", str(out), "--stack", stack, "--strict", "--no-overrides"])


@pytest.mark.parametrize("stack", STACKS)
def test_the_documented_gate_passes_every_untampered_shipped_stack(
    tmp_path: Path, stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # the shipped stack's plan, planned once per test process (support.saved_plan_text); then the real check
    planned, out = saved_plan_file(tmp_path, stack)
    checked = _check(out, stack)
    err = capsys.readouterr().err
    assert (planned, checked) == (EXIT_OK, EXIT_OK), err


def _no_sub(oidc_provider_arn: str, oidc_url: str, namespace: str, service_account: str) -> str:
    doc = json.loads(irsa_trust_policy(oidc_provider_arn, oidc_url, namespace, service_account))
    cond = doc["Statement"][0]["Condition"]["StringEquals"]
    for key in [k for k in cond if k.endswith(":sub")]:
        del cond[key]
    return json.dumps(doc)


@pytest.fixture(scope="module")
def irsa_slip(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, int, Path, str]:
    """aws-dev planned with every IRSA trust policy missing its ``sub`` condition, then the documented gate, and
    what the gate said on stderr: once for the tests that read it (they only read the saved file; the patches are
    undone before any test runs)."""
    err = io.StringIO()
    with pytest.MonkeyPatch.context() as monkeypatch, redirect_stderr(err), redirect_stdout(io.StringIO()):
        monkeypatch.setattr(eks, "irsa_trust_policy", _no_sub)
        monkeypatch.setattr(karpenter, "irsa_trust_policy", _no_sub)
        planned, checked, path = _gate(tmp_path_factory.mktemp("irsa"), "aws-dev")
    return planned, checked, path, err.getvalue()


def test_the_documented_gate_fails_the_irsa_slip(irsa_slip: tuple[int, int, Path, str]) -> None:
    from policy.check import check, load_plan, unreproduced

    planned, checked, path, err = irsa_slip
    assert (planned, checked) == (EXIT_POLICY, EXIT_POLICY)
    assert "mandatory policy violation" in err  # the gate's stderr was captured
    assert "does not reproduce" not in err
    # check itself judges the trust policies over the saved rendering: the same three failures as the plan
    (saved,) = load_plan(path)
    failed = [e for e in check(saved, no_overrides=True) if not e["passed"]]
    assert {e["policy"] for e in failed} == {"workload-identity-trust"}, failed
    assert all(":sub" in e["message"] and e.get("judgedOver") == "placeholders" for e in failed), failed
    assert len(failed) == 3 and unreproduced(saved) == []


def _drop(path: Path, *keys: str) -> Path:
    doc: dict[str, Any] = json.loads(path.read_text())
    for s in doc["stacks"]:
        for k in keys:
            s.pop(k, None)
    edited = path.with_name("edited.json")
    edited.write_text(json.dumps(doc))
    return edited


def test_check_keeps_the_plans_recorded_failures(
    capsys: pytest.CaptureFixture[str], irsa_slip: tuple[int, int, Path, str]
) -> None:
    """A plan saved without the rendering it was judged over (an older plan, or one edited by hand) still fails:
    ``check`` does not reproduce the recorded mandatory failures and says so in one line (exit 1, with and
    without --no-overrides)."""
    _, _, path, _ = irsa_slip
    capsys.readouterr()
    edited = _drop(path, "judgedResources")
    for extra in ([], ["--no-overrides"]):
        assert main(["check", str(edited), *extra]) == EXIT_POLICY
        lines = [line for line in capsys.readouterr().err.splitlines() if "does not reproduce" in line]
        assert len(lines) == 1 and "workload-identity-trust" in lines[0], lines
    # both the rendering and the recorded verdict gone: refused (red team #17 B02/B03: a plan without its verdict
    # could hide a recorded failure), with or without --strict
    bare = _drop(path, "judgedResources", "policies")
    capsys.readouterr()
    assert main(["check", str(bare), "--strict"]) == EXIT_INVALID
    assert capsys.readouterr().err.splitlines() == [
        f"{bare}: stack aws-dev: policies is missing (a saved plan holds the verdict of every rule, which check "
        "compares with its own): plan it again with this version of mlplatform plan --json"
    ]
