"""The rule table in README.md and docs/policies.md is generated from the registry, never hand-copied."""

from __future__ import annotations

import json
import subprocess
import sys

from policy.rules import ALL_RULES
from policy.rules.docs import END, START, between_markers, markdown_table, marked_table, policies_page
from support import ROOT


def test_table_lists_every_rule_with_its_enforcement() -> None:
    table = markdown_table()
    for rule in ALL_RULES:
        assert f"| `{rule.name}` | {rule.enforcement} | {rule.area} |" in table
    assert len(table.splitlines()) == len(ALL_RULES) + 2


def test_docs_page_is_generated() -> None:
    assert (ROOT / "docs" / "policies.md").read_text() == policies_page(), (
        "regenerate: python -m policy.rules docs > docs/policies.md"
    )


def test_readme_table_is_generated() -> None:
    readme = (ROOT / "README.md").read_text()
    assert START in readme and END in readme, f"paste `python -m policy.rules` (the {START} block) into README.md"
    assert between_markers(readme) == marked_table(), "regenerate the README table: python -m policy.rules"


def test_pack_config_command_for_a_stack() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "policy.rules", "config", str(ROOT / "stacks" / "Pulumi.local.yaml")],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=300,
    )
    config = json.loads(proc.stdout)
    assert set(config) == {r.name for r in ALL_RULES}
    assert config["model-endpoint-auth"] == {
        "enforcementLevel": "mandatory",
        "environment": "dev",
        "requiredTags": ["environment", "owner"],
        "maxGpus": 64,
        "allowPublicApi": False,
        "anonymousModels": ["models/sklearn-iris"],
        "networkPolicy": "unknown",  # an existing cluster without cluster.existing.networkPolicy
        "modelSecrets": {},  # the local stack's models declare no imagePullSecrets nor secretEnv
        "zones": None,  # an existing cluster: node-pools-span-zones judges nothing (rev17c c16)
        "jwtAudiences": {},  # the local stack's models are not public with a JWT
    }


def test_the_pack_starts_and_serves() -> None:
    """`pulumi preview --policy-pack policy/` runs policy/__main__.py, which prints its gRPC port and serves."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "policy" / "__main__.py")],
        cwd=ROOT / "policy",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().strip()
        assert port.isdigit(), proc.stderr.read() if proc.stderr else port
    finally:
        proc.kill()
        proc.wait(timeout=30)
