"""fix17m (issue #17, rev17k 19, 20, 23, 26): disruption budgets and spreads that protect nothing.

- ``pdb-protects-pods``: a declared PodDisruptionBudget selects the pods of a workload the plan renders in its
  namespace (rev17k 19: the KServe controller's PDB selecting ``app``, a label its pods lack), and every budget,
  declared or rendered from Helm values, keeps a pod when its workload runs more than one (rev17k 23: Prometheus's
  ``minAvailable: 0``; rev17k 26: a model's ``maxUnavailable: 2`` of 2 replicas).
- ``prod-mesh-replicas``: each promised spread's ``labelSelector`` selects the pods of the workload it is on (rev17k
  20: the cert-manager webhook's spread selecting the controller's pods).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.plan.cli import EXIT_OK, EXIT_POLICY, main
from policy.rules import ALL_RULES, Facts, Resource
from policy.rules.kubernetes import SPREAD_PROMISED
from policy.rules.podlabels import CHART_PODS, keeps_one, selector_misses
from support import saved_plan

PROTECTS = next(r for r in ALL_RULES if r.name == "pdb-protects-pods")
MESH = next(r for r in ALL_RULES if r.name == "prod-mesh-replicas")
PROD, DEV = Facts(environment="prod"), Facts(environment="dev")
HELM = "kubernetes:helm.sh/v3:Release"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"


def _release(chart: str, values: dict[str, Any], name: str | None = None, namespace: str = "ns") -> Resource:
    release = name or chart
    return Resource(
        HELM,
        release,
        f"urn:pulumi:s::p::{HELM}::{release}",
        {"name": release, "chart": chart, "version": "1.0.0", "namespace": namespace, "values": values},
    )


def _k8s(type_: str, name: str, namespace: str, **props: Any) -> Resource:
    return Resource(
        type_, name, f"urn:pulumi:s::p::{type_}::{name}", {"metadata": {"name": name, "namespace": namespace}, **props}
    )


def _messages(rule: Any, resources: list[Resource], facts: Facts = PROD) -> list[str]:
    return [f.message for f in rule.run(resources, facts)]


# ------------------------------------------------------------------------------------------------ the helpers


@pytest.mark.parametrize(
    ("spec", "replicas", "keeps"),
    [
        ({"maxUnavailable": 1}, 2, True),
        ({"maxUnavailable": 2}, 2, False),
        ({"maxUnavailable": 2}, 3, True),
        ({"maxUnavailable": "50%"}, 2, True),  # ceil(1.0) = 1
        ({"maxUnavailable": "51%"}, 2, False),  # rounded up: ceil(1.02) = 2
        ({"maxUnavailable": "100%"}, 3, False),
        ({"minAvailable": 1}, 2, True),
        ({"minAvailable": 0}, 2, False),
        ({"minAvailable": "0"}, 2, False),
        ({"minAvailable": "0%"}, 2, False),
        ({"minAvailable": "1%"}, 2, True),  # ceil(0.02) = 1
        ({"minAvailable": 0}, 1, True),  # one replica: a budget keeps it only by blocking drains (not judged)
        ({"maxUnavailable": 5}, None, True),  # replicas unknown: not judged
        ({}, 2, True),
    ],
)
def test_keeps_one_boundaries(spec: dict[str, Any], replicas: int | None, keeps: bool) -> None:
    """Kubernetes rounds a percentage bound up (disruption.go ``getExpectedPodCount``): the boundary on both sides."""
    assert (keeps_one(spec, replicas) is None) is keeps


@pytest.mark.parametrize(
    ("selector", "selects"),
    [
        ({"matchLabels": {"app": "webhook"}}, True),
        ({"matchLabels": {"app": "webhook", "app.kubernetes.io/component": "webhook"}}, True),
        ({"matchLabels": {"app": "cert-manager"}}, False),
        ({"matchLabels": {"app": "webhook", "tier": "x"}}, False),  # ANDed: one label the pods lack
        ({"matchLabels": {}}, False),
        ({}, False),
        (None, False),
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, False),  # read matchLabels only
    ],
)
def test_selector_boundaries(selector: Any, selects: bool) -> None:
    pods = {"app": "webhook", "app.kubernetes.io/component": "webhook"}
    assert (selector_misses(selector, pods) is None) is selects


def test_every_promised_spread_names_its_pods() -> None:
    """Each spread prod-mesh-replicas promises has a workload whose pod labels the rule knows (else it would check
    none)."""
    known = {(p.chart, p.spread_path) for p in CHART_PODS}
    assert {(chart, path) for chart, paths in SPREAD_PROMISED.items() for path in paths} <= known


# ------------------------------------------------------------------------------------------------ Helm budgets


def _kps(pdb: dict[str, Any], replicas: int = 2) -> Resource:
    return _release(
        "kube-prometheus-stack",
        {
            "prometheus": {"prometheusSpec": {"replicas": replicas}, "podDisruptionBudget": pdb},
            "alertmanager": {"alertmanagerSpec": {"replicas": replicas}, "podDisruptionBudget": pdb},
        },
    )


@pytest.mark.parametrize(
    ("pdb", "replicas", "fails"),
    [
        ({"enabled": True, "minAvailable": 1}, 2, False),
        ({"enabled": True, "minAvailable": 0}, 2, True),
        ({"enabled": True}, 2, False),  # the chart's default minAvailable 1
        ({"enabled": False, "minAvailable": 0}, 2, False),  # not rendered
        ({"enabled": True, "minAvailable": 0}, 1, False),  # one replica: not judged here
    ],
)
def test_prometheus_budget_keeps_one(pdb: dict[str, Any], replicas: int, fails: bool) -> None:
    """rev17k 23's boundary: kube-prometheus-stack writes the values' minAvailable as given; 0 protects nothing."""
    found = _messages(PROTECTS, [_kps(pdb, replicas)])
    assert bool(found) is fails
    if fails:
        assert found == [
            f"Helm release kube-prometheus-stack (kube-prometheus-stack) values {c}.podDisruptionBudget renders a "
            "PodDisruptionBudget with minAvailable 0 with 2 replicas (a drain may evict every one): it protects "
            "nothing; keep minAvailable at least 1 (or maxUnavailable below the replicas)"
            for c in ("prometheus", "alertmanager")
        ]


@pytest.mark.parametrize(
    ("release", "fails"),
    [
        (_release("cert-manager", {"replicaCount": 2, "podDisruptionBudget": {"enabled": True}}), False),
        (
            _release(
                "cert-manager", {"replicaCount": 2, "podDisruptionBudget": {"enabled": True, "maxUnavailable": 2}}
            ),
            True,
        ),
        (_release("gateway", {"autoscaling": {"minReplicas": 2}, "podDisruptionBudget": {"minAvailable": 1}}), False),
        (_release("gateway", {"autoscaling": {"minReplicas": 2}, "podDisruptionBudget": {"minAvailable": 0}}), True),
        (
            _release(
                "keda", {"operator": {"replicaCount": 2}, "podDisruptionBudget": {"operator": {"minAvailable": 1}}}
            ),
            False,
        ),
        (
            _release(
                "keda", {"operator": {"replicaCount": 2}, "podDisruptionBudget": {"operator": {"maxUnavailable": 2}}}
            ),
            True,
        ),
    ],
    ids=["cm-default", "cm-max-2", "gw-min-1", "gw-min-0", "keda-min-1", "keda-max-2"],
)
def test_helm_budgets_keep_one(release: Resource, fails: bool) -> None:
    """The same enumeration pdb-allows-eviction reads (each chart's template semantics), the other bound."""
    assert bool(_messages(PROTECTS, [release], DEV)) is fails


def test_knative_budget_keeps_one() -> None:
    def serving(min_available: int) -> Resource:
        return _k8s(
            "kubernetes:operator.knative.dev/v1beta1:KnativeServing",
            "knative-serving",
            "knative-serving",
            spec={
                "high-availability": {"replicas": 2},
                "workloads": [{"name": "activator", "replicas": 3}],
                "podDisruptionBudgets": [{"name": "activator-pdb", "minAvailable": min_available}],
            },
        )

    assert not _messages(PROTECTS, [serving(1)])
    assert _messages(PROTECTS, [serving(0)]) == [
        "KnativeServing knative-serving/knative-serving podDisruptionBudgets[0] (activator-pdb) renders a "
        "PodDisruptionBudget with minAvailable 0 with 3 replicas (a drain may evict every one): it protects nothing; "
        "keep minAvailable at least 1 (or maxUnavailable below the replicas)"
    ]


# ------------------------------------------------------------------------------------------------ declared budgets


def _kserve_stack(selector: dict[str, Any], max_unavailable: int = 1, floor: int = 2) -> list[Resource]:
    return [
        _release("kserve-resources", {}, name="kserve", namespace="kserve"),
        _k8s(
            HPA,
            "kserve-controller",
            "kserve",
            spec={
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "kserve-controller-manager"},
                "minReplicas": floor,
                "maxReplicas": floor,
            },
        ),
        _k8s(
            PDB,
            "kserve-controller",
            "kserve",
            spec={"maxUnavailable": max_unavailable, "selector": {"matchLabels": selector}},
        ),
    ]


def test_kserve_controller_budget_selects_its_pods() -> None:
    """rev17k 19's boundary: the chart's pod label passes, ``app`` (which the pods lack) fails."""
    assert not _messages(PROTECTS, _kserve_stack({"control-plane": "kserve-controller-manager"}))
    assert not _messages(PROTECTS, _kserve_stack({"app.kubernetes.io/name": "kserve-controller-manager"}))
    found = _messages(PROTECTS, _kserve_stack({"app": "kserve-controller-manager"}))
    assert len(found) == 1
    assert found[0].startswith(
        "PodDisruptionBudget kserve/kserve-controller selects {'app': 'kserve-controller-manager'}, which none of "
        "the pods the platform renders in kserve carry (their labels: Deployment kserve-controller-manager of Helm "
        "release kserve: {'app.kubernetes.io/name': 'kserve-controller-manager', 'control-plane': "
        "'kserve-controller-manager', 'controller-tools.k8s.io': '1.0'}): it protects nothing"
    )


def test_kserve_controller_budget_keeps_one_of_the_hpa_floor() -> None:
    ok = {"control-plane": "kserve-controller-manager"}
    assert not _messages(PROTECTS, _kserve_stack(ok, max_unavailable=1, floor=2))
    assert _messages(PROTECTS, _kserve_stack(ok, max_unavailable=2, floor=2)) == [
        "PodDisruptionBudget kserve/kserve-controller for Deployment kserve-controller-manager of Helm release kserve "
        "sets maxUnavailable 2 with 2 replicas (a drain may evict every one): it protects nothing; keep "
        "maxUnavailable below the replicas (or minAvailable at least 1)"
    ]
    assert not _messages(PROTECTS, _kserve_stack(ok, max_unavailable=2, floor=3))


def _model(min_replicas: int, max_unavailable: int, selector: dict[str, Any] | None = None) -> list[Resource]:
    return [
        _k8s(ISVC, "iris", "models", spec={"predictor": {"minReplicas": min_replicas, "model": {}}}),
        _k8s(
            PDB,
            "iris-pdb",
            "models",
            spec={
                "maxUnavailable": max_unavailable,
                "selector": {"matchLabels": selector or {"serving.kserve.io/inferenceservice": "iris"}},
            },
        ),
    ]


@pytest.mark.parametrize(
    ("min_replicas", "max_unavailable", "fails"),
    [(2, 1, False), (2, 2, True), (3, 2, False), (3, 3, True)],
)
def test_model_budget_keeps_one(min_replicas: int, max_unavailable: int, fails: bool) -> None:
    """rev17k 26's boundary: maxUnavailable below minReplicas passes, at it fails."""
    assert bool(_messages(PROTECTS, _model(min_replicas, max_unavailable), DEV)) is fails


def test_model_budget_selecting_no_model_fails() -> None:
    found = _messages(PROTECTS, _model(2, 1, {"serving.kserve.io/inferenceservice": "other"}), DEV)
    assert len(found) == 1 and "protects nothing" in found[0]


def test_declared_deployment_budget() -> None:
    deployment = _k8s(
        "kubernetes:apps/v1:Deployment",
        "web",
        "apps",
        spec={"replicas": 3, "template": {"metadata": {"labels": {"app": "web"}}}},
    )
    pdb = _k8s(PDB, "web", "apps", spec={"minAvailable": 0, "selector": {"matchLabels": {"app": "web"}}})
    assert len(_messages(PROTECTS, [deployment, pdb], DEV)) == 1
    pdb = _k8s(PDB, "web", "apps", spec={"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}})
    assert not _messages(PROTECTS, [deployment, pdb], DEV)


# ------------------------------------------------------------------------------------------------ spread selectors


def _spread(labels: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": labels},
        }
        for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
    ]


def _cert_manager(webhook: dict[str, Any]) -> Resource:
    return _release(
        "cert-manager",
        {
            "replicaCount": 2,
            "topologySpreadConstraints": _spread({"app.kubernetes.io/name": "cert-manager"}),
            "webhook": {"replicaCount": 2, "topologySpreadConstraints": _spread(webhook)},
        },
    )


def _selector_findings(res: Resource, facts: Facts = PROD) -> list[str]:
    return [m for m in _messages(MESH, [res], facts) if "labelSelector" in m]


def test_cert_manager_webhook_spread_selects_the_webhook() -> None:
    """rev17k 20's boundary: the webhook's labels pass, the controller's fail (on prod; without HA no spread)."""
    assert not _selector_findings(_cert_manager({"app.kubernetes.io/name": "webhook"}))
    assert not _selector_findings(_cert_manager({"app": "webhook", "app.kubernetes.io/component": "webhook"}))
    found = _selector_findings(_cert_manager({"app.kubernetes.io/name": "cert-manager"}))
    assert len(found) == 2
    assert found[0].startswith(
        "Helm release cert-manager values webhook.topologySpreadConstraints[0] labelSelector has matchLabels "
        "{'app.kubernetes.io/name': 'cert-manager'} that the pods do not carry"
    )
    assert not _selector_findings(_cert_manager({"app.kubernetes.io/name": "cert-manager"}), DEV)


@pytest.mark.parametrize(
    ("chart", "path", "values", "good", "bad"),
    [
        ("istiod", "topologySpreadConstraints", {}, {"app": "istiod"}, {"app": "pilot"}),
        ("gateway", "topologySpreadConstraints", {}, {"istio": "ingressgateway"}, {"istio": "gateway"}),
        (
            "kserve-resources",
            "kserve.controller.topologySpreadConstraints",
            {},
            {"control-plane": "kserve-controller-manager"},
            {"app": "kserve-controller-manager"},
        ),
        (
            "kube-prometheus-stack",
            "prometheus.prometheusSpec.topologySpreadConstraints",
            {},
            {"app.kubernetes.io/name": "prometheus"},
            {"app": "prometheus"},
        ),
    ],
)
def test_promised_spreads_select_their_pods(
    chart: str, path: str, values: dict[str, Any], good: dict[str, Any], bad: dict[str, Any]
) -> None:
    def release(labels: dict[str, Any]) -> Resource:
        doc: dict[str, Any] = copy.deepcopy(values)
        *head, last = path.split(".")
        here = doc
        for k in head:
            here = here.setdefault(k, {})
        here[last] = _spread(labels)
        return _release(chart, doc, name="istio-ingressgateway" if chart == "gateway" else None)

    assert not _selector_findings(release(good))
    assert len(_selector_findings(release(bad))) == 2


def test_knative_workload_spread_selects_its_pods() -> None:
    def serving(labels: dict[str, Any]) -> Resource:
        return _k8s(
            "kubernetes:operator.knative.dev/v1beta1:KnativeServing",
            "knative-serving",
            "knative-serving",
            spec={
                "high-availability": {"replicas": 2},
                "workloads": [{"name": "activator", "replicas": 3, "topologySpreadConstraints": _spread(labels)}],
            },
        )

    assert not _selector_findings(serving({"app": "activator"}))
    assert len(_selector_findings(serving({"app": "autoscaler"}))) == 2


# ------------------------------------------------------------------------------------------------ the shipped plan


@pytest.fixture(scope="module")
def prod() -> dict[str, Any]:
    """gcp-prod (environment prod, HA) saved with ``mlplatform plan --json``."""
    return saved_plan("gcp-prod")


def _check(tmp: Path, doc: Any, capsys: pytest.CaptureFixture[str]) -> tuple[int, set[str]]:
    path = tmp / "p.json"
    path.write_text(json.dumps(doc))
    code = main(["check", str(path), "--no-overrides"])
    out = capsys.readouterr().out
    return code, {ln.split("│")[1].strip() for ln in out.splitlines() if "│ FAIL" in ln}


def _edit(
    doc: dict[str, Any], match: Callable[[dict[str, Any]], bool], change: Callable[[dict[str, Any]], None]
) -> int:
    n = 0
    for key in ("resources", "judgedResources"):
        for r in doc["stacks"][0].get(key) or []:
            if match(r):
                change(r["inputs"])
                n += 1
    return n


def _chart(r: dict[str, Any]) -> str:
    return str(r["inputs"].get("chart", "")).rsplit("/", 1)[-1]


def _kserve_pdb(r: dict[str, Any]) -> bool:
    return r["type"].endswith(":PodDisruptionBudget") and r["inputs"]["metadata"].get("namespace") == "kserve"


def _model_pdb(r: dict[str, Any]) -> bool:
    return r["type"].endswith(":PodDisruptionBudget") and "sklearn-iris" in json.dumps(r["inputs"].get("spec"))


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(inputs: dict[str, Any]) -> None:
        *head, last = path.split(".")
        here = inputs
        for k in head:
            here = here[k]
        assert last in here, path
        here[last] = value

    return change


MUTATIONS = {
    "kserve-pdb-selector": (_kserve_pdb, _set("spec.selector.matchLabels", {"app": "kserve-controller-manager"})),
    "prometheus-pdb-min-0": (
        lambda r: _chart(r) == "kube-prometheus-stack",
        _set("values.prometheus.podDisruptionBudget.minAvailable", 0),
    ),
    "model-pdb-max-2": (_model_pdb, _set("spec.maxUnavailable", 2)),
    "certmanager-webhook-spread": (
        lambda r: _chart(r) == "cert-manager",
        _set("values.webhook.topologySpreadConstraints", _spread({"app.kubernetes.io/name": "cert-manager"})),
    ),
}
EXPECTED = {
    "kserve-pdb-selector": "pdb-protects-pods",
    "prometheus-pdb-min-0": "pdb-protects-pods",
    "model-pdb-max-2": "pdb-protects-pods",
    "certmanager-webhook-spread": "prod-mesh-replicas",
}


@pytest.mark.parametrize("slip", sorted(MUTATIONS))
def test_the_shipped_prod_plan_mutated_fails(
    prod: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    slip: str,
) -> None:
    """gcp-prod's saved plan passes; the same plan with the slip (in its resources and the judged rendering) fails
    the one rule that guards it."""
    monkeypatch.setenv("COLUMNS", "400")
    assert _check(tmp_path, prod, capsys)[0] == EXIT_OK
    doc = copy.deepcopy(prod)
    match, change = MUTATIONS[slip]
    assert _edit(doc, match, change) >= 1
    code, failing = _check(tmp_path, doc, capsys)
    assert code == EXIT_POLICY and failing == {EXPECTED[slip]}
