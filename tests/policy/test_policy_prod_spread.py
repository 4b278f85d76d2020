"""Prod add-ons keep the spread the platform promises (review of issue #17, item 3): an empty or missing
``topologySpreadConstraints`` where components/platform/common.py ``AddonContext.spread`` puts one on HA stacks fails
``prod-mesh-replicas`` on prod (policy/rules/kubernetes.py ``SPREAD_PROMISED``, ``KNATIVE_SPREAD``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from components.plan.cli import EXIT_OK, EXIT_POLICY, main
from policy.rules import ALL_RULES, Facts, Resource
from support import saved_plan

RULE = next(r for r in ALL_RULES if r.name == "prod-mesh-replicas")
PROD, DEV = Facts(environment="prod"), Facts(environment="dev")
ZONE = {
    "maxSkew": 1,
    "topologyKey": "topology.kubernetes.io/zone",
    "whenUnsatisfiable": "ScheduleAnyway",
    "labelSelector": {"matchLabels": {"app": "istiod"}},  # istiod's pods (fix17m: a spread selects its own pods)
}
NODE = {**ZONE, "topologyKey": "kubernetes.io/hostname"}


def _istiod(spread: Any) -> Resource:
    values: dict[str, Any] = {"replicaCount": 2, "autoscaleMin": 2, "pdb": {"minAvailable": 1}}
    if spread is not None:
        values["topologySpreadConstraints"] = spread
    return Resource(
        "kubernetes:helm.sh/v3:Release",
        "istiod",
        "urn:pulumi:s::p::kubernetes:helm.sh/v3:Release::istiod",
        {"name": "istiod", "chart": "istiod", "version": "1.30.3", "values": values},
    )


def _spread_findings(res: Resource, facts: Facts) -> list[str]:
    return [f.message for f in RULE.run([res], facts) if "spread" in f.message]


@pytest.mark.parametrize(
    ("spread", "fails"),
    [([ZONE, NODE], False), ([ZONE], False), ([], True), (None, True), ([NODE], True)],
    ids=["zone-and-node", "zone", "empty", "missing", "node-only"],
)
def test_istiod_spread_on_prod(spread: Any, fails: bool) -> None:
    """The boundary: a zone constraint passes; an empty list, no list, or a node-only spread fails on prod."""
    assert bool(_spread_findings(_istiod(spread), PROD)) is fails
    assert not _spread_findings(_istiod(spread), DEV)  # without HA (dev) the platform promises no spread


@pytest.fixture(scope="module")
def prod() -> dict[str, Any]:
    """gcp-prod (environment prod, HA) saved with ``mlplatform plan --json``."""
    return saved_plan("gcp-prod")


def _check(tmp: Path, doc: Any, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp / "p.json"
    path.write_text(json.dumps(doc))
    code = main(["check", str(path), "--no-overrides"])
    return code, capsys.readouterr().out


def _release(doc: dict[str, Any], chart: str) -> dict[str, Any]:
    return next(
        r for r in doc["stacks"][0]["resources"] if str(r["inputs"].get("chart", "")).rsplit("/", 1)[-1] == chart
    )


@pytest.mark.parametrize("empty", [True, False], ids=["empty", "missing"])
@pytest.mark.parametrize(
    ("chart", "path"),
    [("istiod", "topologySpreadConstraints"), ("kserve-resources", "kserve.controller.topologySpreadConstraints")],
)
def test_a_prod_plan_without_a_promised_spread_fails(
    prod: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    chart: str,
    path: str,
    empty: bool,
) -> None:
    """gcp-prod's plan with one release's spread emptied or left out (in the resources and the judged rendering):
    prod-mesh-replicas fails; the untouched plan passes."""
    monkeypatch.setenv("COLUMNS", "400")
    assert _check(tmp_path, prod, capsys)[0] == EXIT_OK
    doc = copy.deepcopy(prod)
    st = doc["stacks"][0]
    urn = _release(doc, chart)["urn"]
    for key in ("resources", "judgedResources"):
        for r in st.get(key) or []:
            if r["urn"] == urn:
                *head, last = path.split(".")
                values = r["inputs"]["values"]
                for k in head:
                    values = values[k]
                assert values[last], "the shipped prod plan spreads it"
                if empty:
                    values[last] = []
                else:
                    del values[last]
    code, out = _check(tmp_path, doc, capsys)
    failing = {ln.split("│")[1].strip() for ln in out.splitlines() if "│ FAIL" in ln}
    assert code == EXIT_POLICY and failing == {"prod-mesh-replicas"}, out


def test_a_prod_knative_workload_without_spread_fails(
    prod: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The activator's entry in KnativeServing workloads without its spread, as the platform leaves it without HA."""
    monkeypatch.setenv("COLUMNS", "400")
    doc = copy.deepcopy(prod)
    for key in ("resources", "judgedResources"):
        for r in doc["stacks"][0].get(key) or []:
            if r["type"].endswith(":KnativeServing"):
                activator = next(w for w in r["inputs"]["spec"]["workloads"] if w["name"] == "activator")
                del activator["topologySpreadConstraints"]
    code, out = _check(tmp_path, doc, capsys)
    row = next(ln for ln in out.splitlines() if "prod-mesh-replicas" in ln)
    assert code == EXIT_POLICY and "FAIL" in row, out
