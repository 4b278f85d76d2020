"""Which pods the platform's disruption budgets and spreads are for, and whether they protect them (issue #17,
rev17k 19, 20, 23, 26): the shared reading behind ``pdb-protects-pods`` and the spread selectors of
``prod-mesh-replicas``.

- :func:`selector_misses`: whether a label selector (a PodDisruptionBudget's ``spec.selector``, a topology spread
  constraint's ``labelSelector``) selects pods with the given labels; the one reading of a selector, shared by
  ``pdb-protects-pods``, ``prod-mesh-replicas`` and ``keda-ha-values`` (policy/rules/slipguards.py kept a copy of its
  own until fix17n).
- :func:`keeps_one`: whether a PodDisruptionBudget's bounds keep at least one pod of a workload with more than one
  replica (the other side of ``pdb-allows-eviction``, which refuses a budget that keeps them all).
- :data:`CHART_PODS` and :data:`KNATIVE_PODS`: the labels the charts and operators we install put on their pods, each
  restated from the chart source at our pinned version (not imported from components/: a slip there would move the
  rule with it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from policy.rules.base import UNKNOWN, as_map

_PERCENT = re.compile(r"\A([0-9]+)%\Z", re.ASCII)
_NUMBER = re.compile(r"\A[0-9]+\Z", re.ASCII)


def _scaled(value: Any, replicas: int) -> int | None:
    """An IntOrString bound as a pod count for ``replicas`` pods, percentages rounded up as the disruption controller
    does for both bounds (kubernetes/kubernetes pkg/controller/disruption/disruption.go ``getExpectedPodCount``:
    ``intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MaxUnavailable, int(expectedCount), true)``, the same for a
    percentage ``minAvailable``; read from a stored copy). None: not a value Kubernetes takes, or unknown."""
    if isinstance(value, bool) or value is UNKNOWN:
        return None
    if isinstance(value, int):
        return value
    text = str(value)
    if _NUMBER.fullmatch(text):
        return int(text)
    percent = _PERCENT.fullmatch(text)
    if percent:
        return math.ceil(replicas * int(percent.group(1)) / 100)
    return None


def keeps_one(spec: Mapping[str, Any], replicas: int | None) -> str | None:
    """Why a PodDisruptionBudget ``spec`` keeps no pod of a workload running ``replicas`` pods available in a drain
    (None: it keeps one, or it cannot be told). Only judged for more than one replica: a budget on one pod either
    blocks every drain or keeps nothing (``pdb-allows-eviction``, ``model-pdb``). Kubernetes
    (kubernetes.io/docs/tasks/run-application/configure-pdb/): with ``maxUnavailable`` the controller keeps
    ``replicas - maxUnavailable`` healthy, with ``minAvailable`` that many; a budget of ``maxUnavailable >= replicas``
    or ``minAvailable 0`` lets an eviction take the last pod, the same as no budget."""
    if replicas is None or replicas < 2:
        return None
    max_u, min_a = spec.get("maxUnavailable"), spec.get("minAvailable")
    if max_u is not None:
        n = _scaled(max_u, replicas)
        if n is not None and n >= replicas:
            return f"maxUnavailable {max_u} with {replicas} replicas (a drain may evict every one)"
        return None
    if min_a is not None:
        n = _scaled(min_a, replicas)
        if n is not None and n < 1:
            return f"minAvailable {min_a} with {replicas} replicas (a drain may evict every one)"
    return None


def selector_misses(selector: Any, pods: Mapping[str, Any]) -> str | None:
    """Why a label ``selector`` does not select pods labelled ``pods`` (None when it does, or it is unknown).
    Kubernetes API LabelSelector: "The requirements are ANDed" and "An empty label selector matches all objects. A
    null label selector matches no objects"; for a topology spread constraint "Pods that match this label selector
    are counted" (TopologySpreadConstraint.labelSelector), for a PodDisruptionBudget "Label query over pods whose
    evictions are managed by the disruption budget". Only ``matchLabels`` is read: ``matchExpressions`` fail closed,
    and so does an empty or missing selector (the platform never renders one: a PDB over every pod of its namespace,
    or a spread counting none, is not what any component asks for)."""
    if selector is UNKNOWN:
        return None
    selector = as_map(selector)
    if selector.get("matchExpressions"):
        return f"matchExpressions {selector.get('matchExpressions')!r} (the rule reads matchLabels only)"
    labels = selector.get("matchLabels")
    if labels is UNKNOWN:
        return None
    labels = as_map(labels)
    if not labels:
        return "no matchLabels"
    wrong = {k: v for k, v in labels.items() if v is not UNKNOWN and pods.get(k) != v}
    if wrong:
        return f"matchLabels {dict(wrong)} that the pods do not carry (they carry {dict(pods)})"
    return None


def _at(values: Mapping[str, Any], path: str) -> Any:
    current: Any = values
    for part in path.split("."):
        current = as_map(current).get(part)
    return current


def _extra(values: Mapping[str, Any], path: str) -> dict[str, Any]:
    """Pod labels a chart adds from its values (``podLabels`` and the like), under the chart's fixed ones."""
    return {str(k): v for k, v in as_map(_at(values, path)).items()}


@dataclass(frozen=True)
class ChartPods:
    """One workload a chart renders: whose pods, the values path of the spread the platform gives them (None: none
    promised), the values path of the replicas (None: the chart sets none) and their labels as the chart renders them
    (``labels(values, release)``)."""

    chart: str
    workload: str
    spread_path: str | None
    replicas_path: str | None
    labels: Callable[[Mapping[str, Any], str], dict[str, Any]]
    deployment: str | None = None
    """The Deployment's name, when the chart sets no replicas and a HorizontalPodAutoscaler gives them."""


def _cert_manager(name: str, component: str, extra: str) -> Callable[[Mapping[str, Any], str], dict[str, Any]]:
    def labels(values: Mapping[str, Any], release: str) -> dict[str, Any]:
        own = (values.get("nameOverride") or "cert-manager") if name == "" else name
        return {
            **_extra(values, extra),
            "app": own,
            "app.kubernetes.io/name": own,
            "app.kubernetes.io/instance": release,
            "app.kubernetes.io/component": component,
        }

    return labels


def _istiod(values: Mapping[str, Any], release: str) -> dict[str, Any]:
    revision = values.get("revision") or ""
    return {
        **_extra(values, "podLabels"),
        "app": "istiod",
        "istio": "istiod" if revision else "pilot",
        "app.kubernetes.io/name": "istiod",
    }


def _gateway(values: Mapping[str, Any], release: str) -> dict[str, Any]:
    name = values.get("name") or release or "istio-ingressgateway"
    given = _extra(values, "labels")
    return {
        **{k: v for k, v in given.items() if k not in ("app", "istio")},
        "app": given.get("app") or name,
        "istio": given.get("istio") or str(name).removeprefix("istio-"),
        "app.kubernetes.io/name": name,
    }


def _kserve_controller(values: Mapping[str, Any], release: str) -> dict[str, Any]:
    return {
        **_extra(values, "kserve.controller.podLabels"),
        "app.kubernetes.io/name": "kserve-controller-manager",
        "control-plane": "kserve-controller-manager",
        "controller-tools.k8s.io": "1.0",
    }


def _prometheus(values: Mapping[str, Any], release: str) -> dict[str, Any]:
    return {
        **_extra(values, "prometheus.prometheusSpec.podMetadata.labels"),
        "app.kubernetes.io/name": "prometheus",
        "app.kubernetes.io/managed-by": "prometheus-operator",
    }


CHART_PODS: tuple[ChartPods, ...] = (
    ChartPods(
        "cert-manager",
        "controller",
        "topologySpreadConstraints",
        "replicaCount",
        _cert_manager("", "controller", "podLabels"),
    ),
    ChartPods(
        "cert-manager",
        "webhook",
        "webhook.topologySpreadConstraints",
        "webhook.replicaCount",
        _cert_manager("webhook", "webhook", "webhook.podLabels"),
    ),
    ChartPods(
        "cert-manager",
        "cainjector",
        None,
        "cainjector.replicaCount",
        _cert_manager("cainjector", "cainjector", "cainjector.podLabels"),
    ),
    ChartPods("istiod", "istiod", "topologySpreadConstraints", "replicaCount", _istiod),
    ChartPods("gateway", "gateway", "topologySpreadConstraints", "replicaCount", _gateway),
    ChartPods(
        "kserve-resources",
        "Deployment kserve-controller-manager",
        "kserve.controller.topologySpreadConstraints",
        None,
        _kserve_controller,
        deployment="kserve-controller-manager",
    ),
    ChartPods(
        "kube-prometheus-stack",
        "prometheus",
        "prometheus.prometheusSpec.topologySpreadConstraints",
        "prometheus.prometheusSpec.replicas",
        _prometheus,
    ),
)
"""The pod template labels each chart renders, at our pinned versions (only the labels that do not depend on the
chart's version or the cluster; a selector on one left out fails closed):

- cert-manager v1.21.1 (cert-manager/cert-manager deploy/charts/cert-manager/templates/deployment.yaml,
  webhook-deployment.yaml, cainjector-deployment.yaml at tag v1.21.1): ``app`` and ``app.kubernetes.io/name`` =
  ``cert-manager.name`` (``default .Chart.Name .Values.nameOverride``), ``webhook.name`` (``printf "webhook"``),
  ``cainjector.name`` (``printf "cainjector"``) (templates/_helpers.tpl); ``app.kubernetes.io/instance`` = the
  release; ``app.kubernetes.io/component`` = ``controller`` / ``webhook`` / ``cainjector``; plus ``podLabels`` /
  ``webhook.podLabels`` / ``cainjector.podLabels``. Spreads: ``topologySpreadConstraints``,
  ``webhook.topologySpreadConstraints``.
- istiod 1.30.3 (istio/istio manifests/charts/istio-control/istio-discovery/templates/deployment.yaml at 1.30.3):
  ``app: istiod``, ``istio: pilot`` (``istiod`` with a ``revision``), ``app.kubernetes.io/name: "istiod"``, plus
  ``podLabels``.
- gateway 1.30.3 (manifests/charts/gateway/templates/deployment.yaml and _helpers.tpl ``gateway.selectorLabels``):
  ``app`` = ``labels.app`` or ``gateway.name`` (``.Values.name``, else the release), ``istio`` = ``labels.istio`` or
  that name without ``istio-``, ``app.kubernetes.io/name`` = the name, plus the other ``labels``.
- kserve-resources v0.20.0 (kserve/kserve charts/kserve-resources/files/kserve/resources.yaml, the controller
  Deployment's pod template, and files/kserve/deployment-patch.yaml): ``app.kubernetes.io/name``,
  ``control-plane: kserve-controller-manager``, ``controller-tools.k8s.io: "1.0"``, plus
  ``kserve.controller.podLabels``; no replica setting (the platform's HorizontalPodAutoscaler gives them).
- kube-prometheus-stack 88.5.3: Prometheus's pods are the operator's (prometheus-operator pkg/prometheus/server,
  statefulset_test.go's expected pod labels at v0.93.0: ``app.kubernetes.io/name: prometheus``,
  ``app.kubernetes.io/managed-by: prometheus-operator``, and per-instance names left out here), plus
  ``prometheusSpec.podMetadata.labels``."""


KNATIVE_PODS: Mapping[str, dict[str, str]] = {
    "activator": {"app": "activator", "role": "activator", "app.kubernetes.io/component": "activator"},
    "autoscaler": {"app": "autoscaler", "app.kubernetes.io/component": "autoscaler"},
    "controller": {"app": "controller", "app.kubernetes.io/component": "controller"},
    "webhook": {"app": "webhook", "role": "webhook", "app.kubernetes.io/component": "webhook"},
    "autoscaler-hpa": {"app": "autoscaler-hpa", "app.kubernetes.io/component": "autoscaler-hpa"},
    "net-istio-controller": {"app": "net-istio-controller", "app.kubernetes.io/component": "net-istio"},
    "net-istio-webhook": {
        "app": "net-istio-webhook",
        "role": "net-istio-webhook",
        "app.kubernetes.io/component": "net-istio",
    },
}
"""The pod template labels of the Knative Serving workloads the KnativeServing's ``workloads[]`` spread: knative/serving
knative-v1.21.3 config/core/deployments/activator.yaml, autoscaler.yaml, controller.yaml, webhook.yaml and
config/hpa-autoscaling/controller.yaml (``autoscaler-hpa``); knative-extensions/net-istio config/500-controller.yaml
and 500-webhook-deployment.yaml (read from stored copies). The operator adds its own; a selector on those fails
closed."""


def chart_pods(chart: str) -> tuple[ChartPods, ...]:
    """The workloads :data:`CHART_PODS` knows for ``chart``."""
    return tuple(p for p in CHART_PODS if p.chart == chart)
