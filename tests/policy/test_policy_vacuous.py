"""No vacuous passes (issue #17 items 8 and 9): a model PodDisruptionBudget that keeps minAvailable at or above the
model's minReplicas blocks drains; unknown Helm versions and unknown GCS grants are reported unchecked, not passed
silently. Boundary cases, and the gcp-prod plan mutated the way the rule guards against."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from components.plan.project import find_project
from policy.rules import UNKNOWN, Resource, run_rules
from support import ROOT, rules_named, rules_plan

PROJECT = find_project(ROOT)
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
RULE = "pdb-allows-eviction"


def _entries(resources: list[Resource], rule: str) -> list[dict[str, Any]]:
    return [e for e in run_rules(resources, rules=rules_named(rule)) if e["policy"] == rule]


def _fails(resources: list[Resource], rule: str = RULE) -> list[str]:
    return [e["message"] for e in _entries(resources, rule) if not e["passed"]]


def _model(min_replicas: Any) -> Resource:
    props = {"metadata": {"name": "m", "namespace": "models"}, "spec": {"predictor": {"minReplicas": min_replicas}}}
    return Resource(ISVC, "m", "urn:m", props)


def _pdb(spec: dict[str, Any], namespace: str = "models") -> Resource:
    selector = {"matchLabels": {"serving.kserve.io/inferenceservice": "m"}}
    return Resource(
        PDB, "p", "urn:p", {"metadata": {"name": "p", "namespace": namespace}, "spec": {**spec, "selector": selector}}
    )


@pytest.mark.parametrize(
    ("spec", "replicas", "fails"),
    [
        ({"minAvailable": 1}, 2, False),
        ({"minAvailable": 2}, 2, True),
        ({"minAvailable": 3}, 2, True),
        ({"minAvailable": "2"}, 2, True),
        ({"minAvailable": 2}, 3, False),
        ({"minAvailable": 1}, 1, True),
        ({"maxUnavailable": 1}, 2, False),
        ({"minAvailable": 5}, 0, False),  # scaled to zero: no pod to evict
        ({"minAvailable": 2}, UNKNOWN, False),
    ],
)
def test_model_pdb_against_min_replicas(spec: dict[str, Any], replicas: Any, fails: bool) -> None:
    found = _fails([_model(replicas), _pdb(spec)])
    assert bool(found) is fails, found
    assert all("drains hang" in f for f in found)


def test_a_pdb_in_another_namespace_is_not_compared() -> None:
    assert _fails([_model(2), _pdb({"minAvailable": 2}, namespace="other")]) == []


def _gcp_prod() -> list[Resource]:
    return list(rules_plan("gcp-prod")[0])  # planned once per test process (tests/support.py)


def test_gcp_prod_model_pdb_raised_to_min_replicas() -> None:
    resources = _gcp_prod()
    assert _fails(resources) == []
    out, hit = [], 0
    for r in resources:
        if r.type == PDB and r.namespace == "models":
            model = next(
                m
                for m in resources
                if m.type == ISVC
                and m.namespace == r.namespace
                and m.k8s_name == r.get("spec.selector.matchLabels", {}).get("serving.kserve.io/inferenceservice")
            )
            props = copy.deepcopy(dict(r.props))
            # the slip: maxUnavailable 1 rewritten as minAvailable = the model's minReplicas
            props["spec"].pop("maxUnavailable", None)
            props["spec"]["minAvailable"] = model.get("spec.predictor.minReplicas")
            r = replace(r, props=props)
            hit += 1
        out.append(r)
    assert hit
    assert any("drains hang" in f for f in _fails(out)), _fails(out)


def test_unknown_helm_version_is_unchecked() -> None:
    release = Resource("kubernetes:helm.sh/v3:Release", "r", "urn:r", {"chart": "kserve", "version": UNKNOWN})
    (entry,) = _entries([release], "helm-version-pinned")
    assert entry["passed"] and "version of Helm chart kserve" in entry.get("unchecked", ""), entry


@pytest.mark.parametrize(
    ("typ", "props", "what"),
    [
        (
            "gcp:storage/bucketIAMMember:BucketIAMMember",
            {"bucket": "b", "role": "roles/storage.objectViewer", "member": UNKNOWN},
            "member of g",
        ),
        (
            "gcp:storage/bucketIAMMember:BucketIAMMember",
            {"bucket": "b", "role": UNKNOWN, "member": "serviceAccount:x@p.iam.gserviceaccount.com"},
            "role of g",
        ),
        (
            "gcp:storage/bucketIAMBinding:BucketIAMBinding",
            {"bucket": "b", "role": "roles/storage.objectViewer", "members": [UNKNOWN]},
            "members of g",
        ),
        (
            "gcp:storage/bucketIAMBinding:BucketIAMBinding",
            {"bucket": "b", "role": "roles/storage.objectViewer", "members": UNKNOWN},
            "members of g",
        ),
    ],
)
def test_unknown_gcs_grant_is_unchecked(typ: str, props: dict[str, Any], what: str) -> None:
    (entry,) = _entries([Resource(typ, "g", "urn:g", props)], "storage-read-least-privilege")
    assert entry["passed"] and what in entry.get("unchecked", ""), entry
