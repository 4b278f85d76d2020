"""What a model needs from the platform, as a plain value (so ModelService can be built on any platform)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi

from components.clusters.base import KubernetesCluster


@dataclass(frozen=True)
class PlatformHandles:
    """The platform as ModelService sees it.

    ``cluster``: the cluster (provider, GPU scheduling, storage grants). ``domain``: models are served at
    :meth:`host` (``<name>-<namespace>.<domain>``: KServe's default host template, which Knative's routes follow
    too, so one wildcard certificate and one wildcard DNS record cover every model). ``gateway``: the Istio
    ingress gateway as ``<namespace>/<name>``. ``gateway_selector``: labels of the gateway pods (for
    AuthorizationPolicies on the gateway). ``deployment_mode``: KServe's ``Knative`` or ``Standard``.
    ``monitoring``: whether the Prometheus Operator CRDs (ServiceMonitor, PodMonitor, PrometheusRule) and Grafana's
    dashboard sidecar exist. ``ready``: resources every model waits on (the last add-on releases). ``environment``:
    dev, staging or prod. ``pod_security``: the Pod Security level a namespace with Istio sidecars can enforce
    (``restricted`` with Istio CNI, else ``privileged``: the sidecar's init container needs NET_ADMIN).
    ``cluster_issuer``: the platform's cert-manager ClusterIssuer (for extra certificates). ``ha``: whether the
    platform runs highly available. ``keda``: whether KEDA runs (models may scale on LLM metrics,
    :mod:`components.serving.llm_scaling`). ``request_log_url``: the request-log collector's URL, when it runs.
    """

    cluster: KubernetesCluster
    domain: str
    gateway: str = "knative-serving/knative-ingress-gateway"
    gateway_selector: dict[str, str] = field(default_factory=lambda: {"istio": "ingressgateway"})
    deployment_mode: Literal["Knative", "Standard"] = "Knative"
    monitoring: bool = True
    dashboards_label: str = "grafana_dashboard"
    monitoring_namespace: str = "monitoring"
    ready: Sequence[pulumi.Resource] = ()
    environment: str = "dev"
    pod_security: str = "restricted"
    cluster_issuer: str = "mlplatform-ca"
    ha: bool = False
    keda: bool = False
    request_log_url: str | None = None
    """Where a model's ``logger`` sends its events (the platform's request-log collector), or None when the platform
    runs none."""

    def host(self, name: str, namespace: str) -> str:
        """The public host of model ``name`` in ``namespace``."""
        return f"{name}-{namespace}.{self.domain}"
