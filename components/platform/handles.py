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
    ``<name>.<namespace>.<domain>``. ``gateway``: the Istio ingress gateway as ``<namespace>/<name>``.
    ``gateway_selector``: labels of the gateway pods (for AuthorizationPolicies on the gateway).
    ``deployment_mode``: KServe's ``Knative`` or ``Standard``. ``monitoring``: whether the Prometheus Operator CRDs
    (ServiceMonitor, PodMonitor, PrometheusRule) and Grafana's dashboard sidecar exist. ``ready``: resources every
    model waits on (the last add-on releases). ``environment``: dev, staging or prod.
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
