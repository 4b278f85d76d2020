"""The admission webhooks of the platform's charts and the ports their pods serve them on, as the policy pack knows
them (rev17j j02).

Restated here from each chart's pinned source, not imported from components/clusters/reachability.py: a rule that
reads the component's table (or a firewall's port list derived from it, components/clusters/gke.py
``WEBHOOK_PORTS``) moves with a slip there. Each cloud's share of ``cluster-hardening`` that models how its control
plane reaches the nodes (policy/clouds/gcp.py) holds the rendered firewalls to these ports, for every webhook whose
chart the plan installs. tests/policy/test_policy_fix17i.py checks that this table and the component's agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from policy.rules.base import Resource


@dataclass(frozen=True)
class Webhook:
    """An admission webhook (or an APIService the API server calls the same way): its name, the pod port the API
    server connects to, the Helm chart whose release installs it, and where the port is stated."""

    name: str
    port: int
    chart: str
    source: str


WEBHOOKS: tuple[Webhook, ...] = (
    Webhook(
        "istiod",
        15017,
        "istiod",
        "istio/istio manifests/charts/istio-control/istio-discovery/templates/service.yaml: https-webhook 443 -> "
        "15017 (sidecar injection and validation)",
    ),
    Webhook(
        "kserve",
        9443,
        "kserve-resources",
        "kserve/kserve charts/kserve-resources/templates/kserve/deployment_kserve-controller-manager.yaml: "
        "containerPort 9443 webhook-server, the targetPort of kserve-webhook-server-service",
    ),
    Webhook(
        "knative-serving",
        8443,
        "knative-operator",
        "knative/serving config/core/deployments/webhook.yaml: WEBHOOK_PORT 8443, Service 443 -> 8443 (installed by "
        "the operator's KnativeServing)",
    ),
    Webhook(
        "net-istio",
        8443,
        "knative-operator",
        "knative-extensions/net-istio config/500-webhook-service.yaml: 443 -> 8443 (installed by the operator)",
    ),
    Webhook(
        "knative-operator",
        8443,
        "knative-operator",
        "knative/operator config/charts/knative-operator/templates/webhook/webhook-service.yaml: https-webhook 443 "
        "-> 8443",
    ),
    Webhook(
        "cert-manager",
        10250,
        "cert-manager",
        "/work/shared/upstream/chart-values/cert-manager-v1.21.1.yaml webhook.securePort: 10250",
    ),
    Webhook(
        "keda-admission-webhooks",
        9443,
        "keda",
        "kedacore/charts v2.20.2 keda/templates/webhooks/service.yaml: 443 -> webhooks.port, default 9443",
    ),
    Webhook(
        "keda-metrics-apiserver",
        6443,
        "keda",
        "kedacore/charts v2.20.2 keda/values.yaml service.portHttpsTarget: 6443 (the v1beta1.external.metrics.k8s.io "
        "APIService; keda.sh/docs/2.20/operate/cluster/ Firewall: control plane -> 6443)",
    ),
    Webhook(
        "prometheus-operator",
        10250,
        "kube-prometheus-stack",
        "/work/shared/upstream/chart-values/kube-prometheus-stack-88.5.3.yaml prometheusOperator.tls.internalPort: "
        "10250",
    ),
)
"""Every admission webhook of the platform's charts at their pins."""

HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")


def chart_of(res: Resource) -> str:
    """The chart a Helm release installs, by the last path segment of its ``chart`` (``oci://.../kserve-resources``)."""
    return str(res.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]


def installed(resources: Sequence[Resource]) -> list[Webhook]:
    """The webhooks whose chart a Helm release of the plan installs."""
    charts = {chart_of(r) for r in resources if r.type in HELM_TYPES}
    return [w for w in WEBHOOKS if w.chart in charts]


def port_set(specs: Iterable[object]) -> set[int]:
    """The ports firewall port specs name: ``"8443"``, ``"8000-9000"``, ``"*"`` (every port); a spec that is not
    a port or a range names none."""
    out: set[int] = set()
    for spec in specs:
        text = str(spec)
        if text == "*":
            return set(range(1, 65536))
        low, _, high = text.partition("-")
        if low.isdigit() and (high.isdigit() or not high):
            out.update(range(int(low), int(high or low) + 1))
    return out
