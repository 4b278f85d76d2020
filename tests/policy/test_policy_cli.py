"""`mlplatform plan` end to end: a mandatory failure exits 1 and shows in the JSON; a stack override with a reason
turns it into a recorded warning (exit 0)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from components.plan.cli import EXIT_OK, EXIT_POLICY, main
from support import ROOT


def _project(tmp: Path, extra: dict[str, object]) -> Path:
    (tmp / "stacks").mkdir()
    (tmp / "Pulumi.yaml").write_text(
        f"name: mlplatform\nruntime: python\nmain: {ROOT / 'infra'}/\nstackConfigDir: stacks\n"
    )
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.local.yaml").read_text())
    # a cluster that enforces NetworkPolicy: the local stack's advisory network-policy-enforced warning is tested in
    # test_policy_network.py, and these tests count the other rules' entries
    doc["config"]["mlplatform:cluster"]["existing"]["networkPolicy"] = "enforced"
    doc["config"].update(extra)
    (tmp / "stacks" / "Pulumi.t.yaml").write_text(yaml.safe_dump(doc))
    return tmp


def _plan(project: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, object]], str]:
    out = project / "plan.json"
    code = main(["plan", "--project", str(project), "--stack", "t", "--no-tree", "--json", str(out)])
    text = capsys.readouterr()
    return code, json.loads(out.read_text())["stacks"][0]["policies"], text.out + text.err


def test_prod_scale_to_zero_fails_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, policies, screen = _plan(_project(tmp_path, {"mlplatform:environment": "prod"}), capsys)
    assert code == EXIT_POLICY
    failed = [p for p in policies if not p["passed"]]
    assert failed and {(p["policy"], p["enforcement"]) for p in failed} == {("prod-model-replicas", "mandatory")}
    iris = next(p for p in failed if "sklearn-iris" in str(p["urn"]))
    assert str(iris["message"]).startswith("model models/sklearn-iris keeps minReplicas 0 on a prod stack")
    assert f"{len(failed)} mandatory policy violation(s)" in screen
    assert "FAIL" in screen


def test_an_override_with_a_reason_makes_it_a_recorded_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reason = "demo model; cold starts are fine here"
    extra = {
        "mlplatform:environment": "prod",
        "mlplatform:policy": {"overrides": {"prod-model-replicas": {"enforcement": "advisory", "reason": reason}}},
    }
    code, policies, screen = _plan(_project(tmp_path, extra), capsys)
    assert code == EXIT_OK
    warned = [p for p in policies if not p["passed"]]
    assert warned and all(p["enforcement"] == "advisory" and p["reason"] == reason for p in warned)
    assert "warn" in screen


def test_a_disabled_rule_is_listed_with_its_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reason = "tags are applied by the account's tag policy"
    extra = {"mlplatform:policy": {"overrides": {"required-tags": {"enforcement": "disabled", "reason": reason}}}}
    code, policies, _ = _plan(_project(tmp_path, extra), capsys)
    assert code == EXIT_OK
    (entry,) = [p for p in policies if p["policy"] == "required-tags"]
    assert entry == {
        "policy": "required-tags",
        "enforcement": "disabled",
        "urn": None,
        "passed": True,
        "message": f"disabled on this stack: {reason}",
        "reason": reason,
    }
