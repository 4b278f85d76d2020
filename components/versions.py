"""Every chart and Kubernetes version the platform installs, pinned in one place.

Stacks may override a version (``mlplatform:platform.versions``); :mod:`components.compat` checks the resulting
combination against the compatibility table before anything is registered.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType

KUBERNETES_VERSION = "1.34"
"""Default Kubernetes minor version on every cloud."""

KNATIVE_SERVING_VERSION = "1.21"
"""Knative Serving version that the KnativeServing resource asks the operator for."""


@dataclass(frozen=True)
class ChartRef:
    """A Helm chart pinned to an exact version.

    ``repository`` is a classic Helm repository URL, or empty when ``chart`` is an ``oci://`` reference.
    """

    key: str
    chart: str
    version: str
    repository: str = ""

    @property
    def is_oci(self) -> bool:
        """True when the chart is pulled from an OCI registry."""
        return self.chart.startswith("oci://")

    @property
    def name(self) -> str:
        """The chart's short name (last path element)."""
        return self.chart.rsplit("/", 1)[-1]


_ISTIO_REPO = "https://istio-release.storage.googleapis.com/charts"
_KSERVE_OCI = "oci://ghcr.io/kserve/charts"

CHARTS: MappingProxyType[str, ChartRef] = MappingProxyType(
    {
        c.key: c
        for c in (
            ChartRef("cert-manager", "cert-manager", "v1.21.1", "https://charts.jetstack.io"),
            ChartRef("istio-base", "base", "1.30.3", _ISTIO_REPO),
            ChartRef("istiod", "istiod", "1.30.3", _ISTIO_REPO),
            ChartRef("istio-gateway", "gateway", "1.30.3", _ISTIO_REPO),
            ChartRef("istio-cni", "cni", "1.30.3", _ISTIO_REPO),
            ChartRef("knative-operator", "knative-operator", "v1.21.4", "https://knative.github.io/operator"),
            ChartRef("kserve-crd", f"{_KSERVE_OCI}/kserve-crd", "v0.20.0"),
            ChartRef("kserve-resources", f"{_KSERVE_OCI}/kserve-resources", "v0.20.0"),
            ChartRef("kserve-runtime-configs", f"{_KSERVE_OCI}/kserve-runtime-configs", "v0.20.0"),
            ChartRef(
                "kube-prometheus-stack",
                "kube-prometheus-stack",
                "88.5.3",
                "https://prometheus-community.github.io/helm-charts",
            ),
            ChartRef("dcgm-exporter", "dcgm-exporter", "4.8.2", "https://nvidia.github.io/dcgm-exporter/helm-charts"),
            ChartRef(
                "nvidia-device-plugin",
                "nvidia-device-plugin",
                "0.20.0",
                "https://nvidia.github.io/k8s-device-plugin",
            ),
            ChartRef("gpu-operator", "gpu-operator", "v26.7.0", "https://helm.ngc.nvidia.com/nvidia"),
            ChartRef("karpenter", "oci://public.ecr.aws/karpenter/karpenter", "1.14.1"),
        )
    }
)
"""Pinned charts by key. The key is also the name of the override under ``platform.versions``."""


def chart(key: str, overrides: dict[str, str] | None = None) -> ChartRef:
    """The pinned chart ``key``, with its version replaced when ``overrides`` names it."""
    ref = CHARTS[key]
    if overrides and key in overrides:
        return replace(ref, version=overrides[key])
    return ref
