"""Two plans of one stack give the same file and the same screen (issue #15: reproducible plans; review of #15,
finding 10).

The Pulumi SDK registers resources concurrently (each registration awaits its inputs on the event loop), so the
order in which ``PlanResult.resources`` records them changes from run to run: before this test the saved plan's
``resources`` and ``judgedResources`` and the terminal's tree, add-on and model tables came out in a different
order on each run of the same stack in the same process.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.plan.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _plan(stack: str, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    capsys.readouterr()
    assert main(["plan", "--project", str(ROOT), "--stack", stack, "--json", str(out)]) == 0
    return out.read_text(encoding="utf-8"), capsys.readouterr().out


@pytest.mark.parametrize("stack", ["gcp-prod", "azure-staging"])
def test_two_plans_of_one_stack_are_byte_identical(
    stack: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """gcp-prod saves a placeholder rendering (``judgedResources``); azure-staging has two models and many add-ons."""
    first_json, first_text = _plan(stack, tmp_path / "a.json", capsys)
    second_json, second_text = _plan(stack, tmp_path / "b.json", capsys)
    assert first_json == second_json
    assert first_text == second_text
    saved = json.loads(first_json)["stacks"][0]
    for key in ("resources", "judgedResources"):
        urns = [r["urn"] for r in saved.get(key, [])]
        assert urns == sorted(urns), key
    assert stack != "gcp-prod" or saved["judgedResources"]
