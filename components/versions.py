"""Every chart and Kubernetes version the platform installs, pinned in one place.

Stacks may override a version (``mlplatform:platform.versions``); :mod:`components.platform.compat` checks the
resulting combination against the compatibility table (:data:`COMPATIBILITY` below) before anything is registered.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType

KUBERNETES_VERSION = "1.34"
"""Default Kubernetes minor version on every cloud."""

KNATIVE_SERVING_VERSION = "1.21"
"""Knative Serving version that the KnativeServing resource asks the operator for."""

GATEWAY_API_VERSION = "v1.5.1"
"""Kubernetes Gateway API CRDs (standard channel) for the Standard mode: the release KServe v0.20.0 builds against
(go.mod ``sigs.k8s.io/gateway-api v1.5.1``) and installs in its own setup (hack/setup/quick-install/*.sh
``GATEWAY_API_VERSION=v1.5.1``)."""
GATEWAY_API_CRDS = (
    f"https://github.com/kubernetes-sigs/gateway-api/releases/download/{GATEWAY_API_VERSION}/standard-install.yaml"
)
"""The release's standard-channel CRD bundle, as KServe's hack/setup/infra/gateway-api/manage.gateway-api-crd.sh
applies it."""


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
            # kubernetes-sigs/external-dns tag external-dns-helm-chart-1.21.1 (app v0.21.0), the newest chart
            # release seen (Aug 2026); its repository is the one the chart's README names.
            ChartRef("external-dns", "external-dns", "1.21.1", "https://kubernetes-sigs.github.io/external-dns/"),
            ChartRef("karpenter", "oci://public.ecr.aws/karpenter/karpenter", "1.14.1"),
            # 9.53.0 ships cluster-autoscaler v1.34.2: its minor matches the default Kubernetes 1.34 (the
            # autoscaler supports only its own Kubernetes minor).
            ChartRef("cluster-autoscaler", "cluster-autoscaler", "9.53.0", "https://kubernetes.github.io/autoscaler"),
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


# ------------------------------------------------------------------------------------------------ compatibility

ISTIO_CHARTS = ("istio-base", "istiod", "istio-gateway", "istio-cni")
"""Istio's charts: released together, so a stack must give them the same version."""

KSERVE_CHARTS = ("kserve-crd", "kserve-resources", "kserve-runtime-configs")
"""KServe's charts: released together, so a stack must give them the same version."""


@dataclass(frozen=True)
class Line:
    """One release line (``major.minor``) of a component and what it works with.

    ``kubernetes``: inclusive range of Kubernetes minors. ``needs``: for each other component, the lines it is known
    to work with. ``bad``: why the line must not be used (end of life, a known breakage), or empty. ``source``:
    where the facts come from.
    """

    kubernetes: tuple[str, str]
    needs: MappingProxyType[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    bad: str = ""
    source: str = ""


def _needs(**lines: tuple[str, ...]) -> MappingProxyType[str, tuple[str, ...]]:
    return MappingProxyType({k.replace("_", "-"): v for k, v in lines.items()})


COMPATIBILITY: MappingProxyType[str, MappingProxyType[str, Line]] = MappingProxyType(
    {
        "istio": MappingProxyType(
            {
                "1.30": Line(("1.32", "1.36"), source="istio.io supported releases (1.30: Kubernetes 1.32-1.36)"),
                "1.29": Line(
                    ("1.31", "1.35"),
                    bad="end of life since 2026-08 per istio.io supported releases",
                    source="istio.io supported releases (1.29: Kubernetes 1.31-1.35)",
                ),
            }
        ),
        "knative": MappingProxyType(
            {
                "1.21": Line(
                    ("1.33", "1.35"),
                    needs=_needs(istio=("1.29", "1.30")),
                    source="endoflife.date/knative (1.21: minimum Kubernetes 1.33); Kubeflow 26.03 runs it with "
                    "Istio 1.29; upper bound: newest Kubernetes minor seen tested (1.35)",
                ),
            }
        ),
        "kserve": MappingProxyType(
            {
                "0.20": Line(
                    ("1.30", "1.35"),
                    needs=_needs(knative=("1.21",), cert_manager=("1.19", "1.20", "1.21")),
                    source="KServe docs (Kubernetes >= 1.30, cert-manager >= 1.15); v0.20.0 go.mod "
                    "knative.dev/serving v0.48.1 (= Knative 1.21); CI on Kubernetes 1.34",
                ),
                "0.16": Line(
                    ("1.30", "1.33"),
                    bad="KServe up to v0.16 ships the resources chart as 'kserve', not 'kserve-resources'",
                    source="kserve/kserve charts (renamed at v0.17)",
                ),
            }
        ),
        "cert-manager": MappingProxyType(
            {
                "1.21": Line(("1.32", "1.35"), source="cert-manager supported releases"),
                "1.20": Line(("1.32", "1.35"), source="cert-manager supported releases"),
                "1.19": Line(("1.31", "1.34"), source="cert-manager supported releases; Kubeflow 26.03"),
            }
        ),
    }
)
"""Kubernetes x Istio x Knative x KServe x cert-manager: each component's known lines. A line not listed is
unknown and rejected unless ``platform.allowUnsupportedVersions`` is set; a line with ``bad`` is known-bad."""

COMPONENT_CHARTS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "istio": ISTIO_CHARTS,
        "knative": ("knative-operator",),
        "kserve": KSERVE_CHARTS,
        "cert-manager": ("cert-manager",),
    }
)
"""Which chart keys carry each component's version (the first one names it in messages)."""


def knative_serving_version(operator_version: str) -> str:
    """The Knative Serving ``major.minor`` that a knative-operator chart version installs (the same line)."""
    parts = operator_version.lstrip("v").split(".")
    return ".".join(parts[:2])
