"""rev17c c01: the GCP share of ``istio-cni-bin-dir`` carries its own cited ``/home/kubernetes/bin`` (Istio
platform prerequisites, GKE), so a slip in components/clusters/gke.py ``CNI_BIN_DIR`` no longer moves the rule with
the plan."""

from __future__ import annotations

import pytest

from components.clusters import gke
from components.plan.engine import run_program
from components.plan.project import load_project, read_stack_file
from policy.clouds import gcp
from policy.rules import StackSettings, resources_from_plan, run_rules
from support import ROOT, rules_named


def test_the_gcp_share_pins_the_documented_directory() -> None:
    assert gcp.GKE_CNI_BIN_DIR == "/home/kubernetes/bin"
    assert "from components.clusters.gke import" not in (ROOT / "policy" / "clouds" / "gcp.py").read_text()


@pytest.mark.parametrize(("value", "passes"), [("/opt/cni/bin", False), ("/home/kubernetes/bin", True)])
def test_a_slip_in_the_cluster_constant_fails(monkeypatch: pytest.MonkeyPatch, value: str, passes: bool) -> None:
    monkeypatch.setattr(gke, "CNI_BIN_DIR", value)
    project = load_project(ROOT)
    cfg = read_stack_file(project, "gcp-prod")
    result = run_program(
        project.root, "gcp-prod", cfg.config, cfg.secret_keys, main=project.main, project=project.name, outputs="fake"
    )
    e = next(
        e
        for e in run_rules(
            resources_from_plan(result), StackSettings.from_config(cfg.config), rules=rules_named("istio-cni-bin-dir")
        )
        if e["policy"] == "istio-cni-bin-dir"
    )
    assert e["passed"] is passes, e["message"]
    if not passes:
        assert "/opt/cni/bin" in e["message"] and "/home/kubernetes/bin" in e["message"], e["message"]
