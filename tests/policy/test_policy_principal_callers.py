"""Callers named by principal are callers (review of issue #17, row 46): model-inference-api-only judges every
principal an AuthorizationPolicy rule of the model names (``from.source.principals``: the peer certificate's identity
``<trust domain>/ns/<ns>/sa/<sa>``, istio.io/latest/docs/reference/config/security/authorization-policy/#Source),
Knative's autoscaler and activator and the ingress gateway included, not only the namespaces a rule names."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from components.plan.cli import EXIT_OK, EXIT_POLICY, main
from components.serving import _auth
from support import saved_plan

CLIENT = _auth.principal("team", "client")


@pytest.fixture(scope="module")
def prod() -> dict[str, Any]:
    """gcp-prod saved with ``mlplatform plan --json`` (Knative mode, public models)."""
    return saved_plan("gcp-prod")


def _policy_rules(doc: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The rules list of sklearn-iris's AuthorizationPolicy, in the resources and in the judged rendering."""
    out = []
    for key in ("resources", "judgedResources"):
        for r in doc["stacks"][0].get(key) or []:
            meta = r["inputs"].get("metadata", {})
            if r["type"].endswith(":AuthorizationPolicy") and meta.get("name", "").startswith("sklearn-iris"):
                out.append(r["inputs"]["spec"]["rules"])
    assert out, "sklearn-iris has an AuthorizationPolicy"
    return out


def _failing(tmp: Path, doc: Any, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, str]]:
    path = tmp / "p.json"
    path.write_text(json.dumps(doc))
    code = main(["check", str(path), "--no-overrides"])
    rows = [ln for ln in capsys.readouterr().out.splitlines() if "│ FAIL" in ln]
    return code, {ln.split("│")[1].strip(): ln for ln in rows}


def test_a_principal_admitted_on_every_path_of_the_serving_ports_fails(
    prod: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule naming one workload by principal, on the queue-proxy's serving ports with no paths: that workload
    reaches the model server's admin endpoints (unload). Before, only namespaces a rule named were callers."""
    monkeypatch.setenv("COLUMNS", "600")
    doc = copy.deepcopy(prod)
    for rules in _policy_rules(doc):
        rules.append({"from": [{"source": {"principals": [CLIENT]}}], "to": [{"operation": {"ports": ["8012"]}}]})
    code, failing = _failing(tmp_path, doc, capsys)
    assert code == EXIT_POLICY and set(failing) == {"model-inference-api-only"}, failing
    assert (
        f"the workload {CLIENT} reaches POST /v2/repository/models/sklearn-iris/unload"
        in failing["model-inference-api-only"]
    )


def test_a_principal_admitted_on_the_inference_api_only_passes(
    prod: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The boundary: the same principal admitted exactly as the platform admits a caller (the inference API's
    methods and paths on the serving ports) leaks nothing."""
    doc = copy.deepcopy(prod)
    for rules in _policy_rules(doc):
        api = next(r for r in rules if "requestPrincipals" in json.dumps(r.get("from")))
        rules.append({**copy.deepcopy(api), "from": [{"source": {"principals": [CLIENT]}}]})
    assert _failing(tmp_path, doc, capsys) == (EXIT_OK, {})


@pytest.mark.parametrize(("ports", "fails"), [(["9090"], False), (["8012", "8013", "9090"], True)])
def test_the_autoscaler_principal_only_on_the_metrics_port(
    prod: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    ports: list[str],
    fails: bool,
) -> None:
    """Knative's autoscaler (``sa/controller``) scrapes the queue-proxy's 9090 (components/serving/_auth.py); the
    same rule on the serving ports lets it read the model server's /metrics."""
    monkeypatch.setenv("COLUMNS", "600")
    doc = copy.deepcopy(prod)
    for rules in _policy_rules(doc):
        scrape = next(r for r in rules if _auth.AUTOSCALER in json.dumps(r.get("from")))
        for t in scrape["to"]:
            t["operation"]["ports"] = ports
    code, failing = _failing(tmp_path, doc, capsys)
    assert (code == EXIT_POLICY) is fails and set(failing) == ({"model-inference-api-only"} if fails else set())
    if fails:
        assert "Knative's autoscaler reaches GET /metrics" in failing["model-inference-api-only"]
