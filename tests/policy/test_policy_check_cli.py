"""``mlplatform check PLAN.json``: the same policies as the plan over a saved plan; exit 1 on a mandatory failure,
2 with one line for a file that is not a plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.plan.cli import EXIT_INVALID, EXIT_OK, EXIT_POLICY, main
from support import ROOT, saved_plan_file


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Every shipped stack planned once, saved with --json."""
    _, out = saved_plan_file(tmp_path_factory.mktemp("plan"), None)
    return out, json.loads(out.read_text())


FULL = json.dumps(
    {
        "environment": "dev",
        "requiredTags": [],
        "maxGpus": 8,
        "allowPublicApi": False,
        "anonymousModels": [],
        "budget": None,
        "overrides": {},
        "models": {},
        "pipelines": {},
        "modelSecrets": {},
        "zones": None,
        "jwtAudiences": {},
    }
)
"""Every key of a saved stack's settings (policy.check.SETTINGS_KEYS)."""


def _write(tmp: Path, doc: Any) -> Path:
    path = tmp / "p.json"
    path.write_text(json.dumps(doc))
    return path


def test_check_gives_the_plans_policies(saved: tuple[Path, dict[str, Any]]) -> None:
    from policy.check import check, load_plan

    path, doc = saved
    stacks = load_plan(path)
    assert [s.stack for s in stacks] == [s["stack"] for s in doc["stacks"]]
    for s, d in zip(stacks, doc["stacks"], strict=True):
        checked = check(s)
        assert [e["policy"] for e in checked] == [e["policy"] for e in d["policies"]], s.stack
        # the rules the plan judged over a placeholder rendering (policy/judged.py) are judged over the rendering
        # the plan saved (judgedResources): check gives exactly the plan's entries, judgedOver included
        assert checked == d["policies"], s.stack


def test_check_exit_codes_follow_the_mandatory_failures(
    saved: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, doc = saved
    assert main(["check", str(path), "--stack", "aws-dev"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "Policies:" in out and "0 failed" in out
    # a careless edit in the saved plan: mesh-wide mTLS to PERMISSIVE
    stack = next(s for s in doc["stacks"] if s["stack"] == "aws-dev")
    mesh = next(r for r in stack["resources"] if r["name"] == "mlplatform-mesh-mtls")
    mesh["inputs"]["spec"]["mtls"]["mode"] = "PERMISSIVE"
    code = main(["check", str(_write(tmp_path, {**doc, "stacks": [stack]}))])
    text = capsys.readouterr()
    assert code == EXIT_POLICY
    assert "FAIL" in text.out and "mesh-mtls-strict" in text.out
    assert "1 mandatory policy violation(s)" in text.err


def test_check_reads_overrides_from_the_saved_settings(
    saved: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, doc = saved
    stack = json.loads(json.dumps(next(s for s in doc["stacks"] if s["stack"] == "aws-dev")))
    next(r for r in stack["resources"] if r["name"] == "mlplatform-mesh-mtls")["inputs"]["spec"]["mtls"]["mode"] = (
        "PERMISSIVE"
    )
    reason = "migration week: legacy clients without sidecars"
    stack["settings"]["overrides"] = {"mesh-mtls-strict": {"enforcement": "advisory", "reason": reason}}
    assert main(["check", str(_write(tmp_path, {"project": "mlplatform", "stacks": [stack]}))]) == EXIT_OK
    assert "warn" in capsys.readouterr().out
    stack["settings"]["overrides"]["mesh-mtls-strict"]["reason"] = "   "
    assert main(["check", str(_write(tmp_path, {"project": "mlplatform", "stacks": [stack]}))]) == EXIT_INVALID
    err = capsys.readouterr().err.strip()
    assert err.endswith(
        'stack aws-dev: settings.overrides.mesh-mtls-strict.reason: "   " is not allowed; give at least 10 characters'
    ), err


def test_the_plan_records_validated_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text(
        f"name: mlplatform\nruntime: python\nmain: {ROOT / 'infra'}/\nstackConfigDir: stacks\n"
    )
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.local.yaml").read_text())
    out = tmp_path / "plan.json"
    # "1_000" is not a decimal number as the Pulumi CLI passes it (text): refused before anything is planned
    doc["config"]["mlplatform:budget"] = "1_000"
    (tmp_path / "stacks" / "Pulumi.t.yaml").write_text(yaml.safe_dump(doc))
    assert main(["plan", "--project", str(tmp_path), "--stack", "t", "--no-tree", "--json", str(out)]) == EXIT_INVALID
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.endswith('mlplatform:budget: "1_000" is not allowed; give a number'), err
    assert not out.exists()
    # the text "2500.5" and the policy map reach the rules as the numbers the config validated
    doc["config"]["mlplatform:budget"] = "2500.5"
    doc["config"]["mlplatform:policy"] = {"maxGpus": 8, "requiredTags": ["owner"]}
    (tmp_path / "stacks" / "Pulumi.t.yaml").write_text(yaml.safe_dump(doc))
    main(["plan", "--project", str(tmp_path), "--stack", "t", "--no-tree", "--json", str(out)])
    capsys.readouterr()
    settings = json.loads(out.read_text())["stacks"][0]["settings"]
    assert settings["budget"] == 2500.5 and settings["maxGpus"] == 8 and settings["requiredTags"] == ["owner"]
    assert settings["environment"] == "dev" and settings["anonymousModels"] == ["models/sklearn-iris"]


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (None, "no such file"),
        ("{not json", "not JSON (line 1)"),
        ("[]", "not a plan: expected a JSON object with stacks"),
        ('{"stacks": [{"cloud": "aws"}]}', "stacks[0] has no stack name"),
        ('{"stacks": [{"stack": "s", "resources": []}]}', "stack s has no settings"),
        (
            '{"stacks": [{"stack": "s", "settings": SET, "resources": {}}]}'.replace("SET", FULL),
            "stack s: resources is not a list",
        ),
        (
            '{"stacks": [{"stack": "s", "settings": SET, "resources": [{"x": 1}]}]}'.replace("SET", FULL),
            "resources[0] has no urn and type",
        ),
        ('{"stacks": [{"stack": "s", "settings": {}, "resources": []}]}', "stack s: settings.environment is missing"),
        (
            '{"stacks": [{"stack": "s", "settings": SET, "resources": []}]}'.replace(
                "SET", FULL.replace('"budget": null, ', "")
            ),
            "stack s: settings.budget is missing",
        ),
        (
            '{"stacks": [{"stack": "s", "settings": {"maxGpus": "lots"}, "resources": []}]}',
            "settings.maxGpus: lots is not allowed; give an integer",
        ),
        ('{"stacks": [{"stack": "s", "settings": {"environment": "qa"}, "resources": []}]}', "settings.environment"),
        ('{"stacks": [{"stack": "s", "settings": {"maxGPUs": 8}, "resources": []}]}', "settings.maxGPUs"),
        ('{"stacks": [{"stack": "s", "settings": {"budget": true}, "resources": []}]}', "settings.budget"),
    ],
)
def test_not_a_plan_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, line: str
) -> None:
    path = tmp_path / "p.json"
    if content is not None:
        path.write_text(content)
    assert main(["check", str(path)]) == EXIT_INVALID
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith(str(path)) and line in err, err


def test_a_directory_or_an_unknown_stack_is_exit_2(
    saved: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(tmp_path)]) == EXIT_INVALID
    assert "is a directory" in capsys.readouterr().err
    path, _ = saved
    assert main(["check", str(path), "--stack", "nope"]) == EXIT_INVALID
    err = capsys.readouterr().err.strip()
    assert err == f"{path}: no stack 'nope' in this plan; stacks here: aws-dev, azure-staging, gcp-prod, local"
