"""Can the control plane reach every admission webhook the platform installs? (issue #11)

The API server calls each ``ValidatingWebhookConfiguration``/``MutatingWebhookConfiguration`` through its Service,
so it connects to the pod's target port on a node. A blocked port fails sidecar injection, InferenceService admission
and every Helm release whose objects those webhooks admit. :func:`webhook_problems` decides it from the rendered
cluster objects alone (types and inputs in Pulumi's wire names, as ``mlplatform plan`` renders them), one rule per
cloud, in
that cloud's cluster module (its ``WEBHOOK_REACH``: cluster type -> rule), where each rule cites its source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from components import clouds

UNKNOWN = "(known after deploy)"
"""How ``mlplatform plan`` writes a value known only after deploy (``Registration.wire_inputs``)."""


@dataclass(frozen=True)
class Webhook:
    """An admission webhook the platform installs and the port its pods serve it on."""

    name: str
    port: int
    source: str


WEBHOOKS: tuple[Webhook, ...] = (
    Webhook(
        "istiod",
        15017,
        "istio/istio manifests/charts/istio-control/istio-discovery/templates/service.yaml (https-webhook 443 -> "
        "15017: sidecar injection and validation)",
    ),
    Webhook(
        "kserve",
        9443,
        "kserve/kserve charts/kserve-resources/templates/kserve/deployment_kserve-controller-manager.yaml "
        "(containerPort 9443 webhook-server, targetPort of kserve-webhook-server-service)",
    ),
    Webhook(
        "knative-serving",
        8443,
        "knative/serving config/core/deployments/webhook.yaml (WEBHOOK_PORT 8443, Service 443 -> 8443)",
    ),
    Webhook("net-istio", 8443, "knative-extensions/net-istio config/500-webhook-service.yaml (443 -> 8443)"),
    Webhook(
        "knative-operator",
        8443,
        "knative/operator config/charts/knative-operator/templates/webhook/webhook-service.yaml (https-webhook "
        "443 -> 8443)",
    ),
    Webhook("cert-manager", 10250, "upstream/chart-values/cert-manager-v1.21.1.yaml webhook.securePort: 10250"),
    Webhook(
        "keda-admission-webhooks",
        9443,
        "kedacore/charts v2.20.2 keda/templates/webhooks/service.yaml (443 -> webhooks.port, default 9443; "
        "installed only with LLM autoscaling, components/platform/keda.py)",
    ),
    Webhook(
        "keda-metrics-apiserver",
        6443,
        "kedacore/charts v2.20.2 keda/values.yaml service.portHttpsTarget: 6443 (the v1beta1.external.metrics.k8s.io "
        "APIService the API server calls; keda.sh/docs/2.20/operate/cluster/ Firewall: control plane -> 6443 on the "
        "pod IP range)",
    ),
    Webhook(
        "prometheus-operator",
        10250,
        "upstream/chart-values/kube-prometheus-stack-88.5.3.yaml prometheusOperator.tls.internalPort: 10250",
    ),
)
"""Every admission webhook of the platform's charts (and KEDA's metrics APIService, which the API server calls the
same way). The other charts have none: karpenter-1.14.1 and
gpu-operator-v26.7.0 values carry no webhook key; istio-base's validating webhook points at istiod (above)."""


@dataclass(frozen=True)
class Rendered:
    """One rendered resource: its type, inputs in wire form and which URNs each input came from."""

    type: str
    name: str
    inputs: Mapping[str, Any]
    sources: Mapping[str, Sequence[str]] = field(default_factory=dict)


def ports(specs: Iterable[Any]) -> set[int]:
    """Ports named by firewall/NSG port specs: ``"8443"``, ``"8000-9000"``, ``"*"`` (every port)."""
    out: set[int] = set()
    for spec in specs:
        text = str(spec)
        if text == "*":
            return set(range(1, 65536))
        low, _, high = text.partition("-")
        out.update(range(int(low), int(high or low) + 1))
    return out


def same_value(a: Rendered, a_key: str, a_value: Any, b: Rendered, b_key: str, b_value: Any) -> bool:
    """Whether two inputs hold the same value: by value when known, else by the resource both came from."""
    if a_value != UNKNOWN and b_value != UNKNOWN:
        return bool(a_value == b_value)
    a_src, b_src = set(a.sources.get(a_key, ())), set(b.sources.get(b_key, ()))
    return bool(a_src) and a_src == b_src


def webhook_problems(resources: Sequence[Rendered]) -> list[str]:
    """Why the control plane of the rendered cluster cannot reach an admission webhook in :data:`WEBHOOKS` on its
    nodes, one line per node pool/class and port; empty when every one is reachable (see the module docstring for
    each cloud's rule). A plan with no managed cluster (an existing cluster) gives no problem: its network is not
    ours to decide. Each cloud's rule is its cluster module's ``WEBHOOK_REACH``: cluster type -> ``rule(resources,
    cluster)``."""
    from components.clusters import cluster_module  # the package imports this module

    for r in resources:
        cloud = clouds.of_cluster_type(r.type)
        if cloud is None:
            continue
        rule = getattr(cluster_module(cloud.name), "WEBHOOK_REACH", {}).get(r.type)
        if rule is not None:
            return list(rule(resources, r))
        # A cloud registered without a model here: say so rather than pass its network unread.
        return [
            f"{r.name}: no model of how a {r.type} control plane reaches webhooks on its nodes "
            "(components/clusters/reachability.py): add one for this cloud"
        ]
    return []
