"""Every chart and Kubernetes version the platform installs, pinned in one place.

Stacks may override a version (``mlplatform:platform.versions`` for the platform's charts,
``mlplatform:cluster.versions`` for the cluster layer's, :data:`CLUSTER_CHARTS`); :mod:`components.platform.compat`
checks the platform's combination against the compatibility table (:data:`COMPATIBILITY` below), and
:func:`cluster_chart_problem` the cluster charts against the Kubernetes minor, before anything is registered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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
    crd_chart: str = ""
    """The chart that carries this chart's CRDs, released at the same version (empty: none). An override of ``key``
    moves both, so the CRDs always match the controller."""

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
            # vectordotdev/helm-charts tag vector-0.56.0 (charts/vector/Chart.yaml: version 0.56.0, appVersion
            # 0.56.0-distroless-libc), the newest chart release seen (Dec 2026); repository from its README
            # ("helm repo add vector https://helm.vector.dev"). The request-log collector (platform.requestLogs).
            ChartRef("vector", "vector", "0.56.0", "https://helm.vector.dev"),
            # kedacore/charts tag v2.20.2 (commit cbb9bb8ce0809dc9048f72302f7c09765d66ed56), keda/Chart.yaml: version
            # 2.20.2, appVersion 2.20.2, the newest chart release seen (Aug 2026); the repository is the one KServe's
            # KEDA docs and the chart's README install from. Installed only for models that scale on an LLM metric.
            ChartRef("keda", "keda", "2.20.2", "https://kedacore.github.io/charts"),
        )
    }
)
"""The platform's pinned charts by key. The key is also the name of the override under ``platform.versions``."""

CLUSTER_CHARTS: MappingProxyType[str, ChartRef] = MappingProxyType(
    {
        c.key: c
        for c in (
            # karpenter.sh Upgrade Guide, "CRD Upgrades": the CRDs as the independent karpenter-crd chart, so that
            # Helm upgrades them with the controller (a chart's crds/ are installed once and never upgraded).
            ChartRef(
                "karpenter",
                "oci://public.ecr.aws/karpenter/karpenter",
                "1.14.1",
                crd_chart="oci://public.ecr.aws/karpenter/karpenter-crd",
            ),
            # 9.53.0 ships cluster-autoscaler v1.34.2 (its Chart.yaml appVersion): its minor matches the default
            # Kubernetes 1.34 (the autoscaler supports only its own Kubernetes minor; AUTOSCALER_CHARTS below).
            ChartRef("cluster-autoscaler", "cluster-autoscaler", "9.53.0", "https://kubernetes.github.io/autoscaler"),
        )
    }
)
"""Charts the cluster layer installs (EKS: Karpenter, or cluster-autoscaler with managed node groups), pinned here
beside the platform's but overridden per stack under ``cluster.versions`` (which a cloud takes: its registry entry's
``cluster_charts``), never ``platform.versions``; checked by :func:`cluster_chart_problem`."""


def chart(key: str, overrides: Mapping[str, str] | None = None) -> ChartRef:
    """The pinned chart ``key`` (a platform or a cluster chart), with its version replaced when ``overrides`` names
    it (``platform.versions`` for the platform's charts, ``cluster.versions`` for the cluster's)."""
    ref = CHARTS[key] if key in CHARTS else CLUSTER_CHARTS[key]
    if overrides and key in overrides:
        return replace(ref, version=overrides[key])
    return ref


# ------------------------------------------------------------------------------------------------ cluster charts

KARPENTER_KUBERNETES: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {
        "1.0": ("1.25", "1.30"),
        "1.1": ("1.25", "1.31"),
        "1.2": ("1.25", "1.32"),
        "1.3": ("1.25", "1.32"),
        "1.4": ("1.25", "1.32"),
        "1.5": ("1.26", "1.33"),
        "1.6": ("1.26", "1.34"),
        "1.7": ("1.26", "1.34"),
        "1.8": ("1.26", "1.34"),
        "1.9": ("1.26", "1.35"),
        "1.10": ("1.26", "1.35"),
        "1.11": ("1.26", "1.35"),
        "1.12": ("1.26", "1.35"),
        "1.13": ("1.26", "1.36"),
        "1.14": ("1.26", "1.36"),
    }
)
"""Karpenter line -> the Kubernetes minors it supports (inclusive), from the data Karpenter's compatibility matrix is
generated from: aws/karpenter-provider-aws hack/docs/compatibilitymatrix_gen/compatibility.yaml at 1d927085 (docs for
v1.14.1), rendered at https://karpenter.sh/docs/upgrading/compatibility/ ("Compatibility Matrix": 1.34 >= 1.6, 1.35
>= 1.9, 1.36 >= 1.13). 1.0.x is listed up to 1.30 (1.0.5 and later reach 1.31). Lines before 1.0 are left out: the
NodePools and EC2NodeClasses here use the ``karpenter.sh/v1`` and ``karpenter.k8s.aws/v1`` APIs, which come with 1.0
(website/content/en/v1.0/upgrading/v1-migration.md: "Karpenter v1.0.x only supports Karpenter v1 and v1beta1 APIs",
migrating from v0.33-v0.37)."""

AUTOSCALER_CHARTS: tuple[tuple[str, str], ...] = (
    ("9.34.0", "1.28"),
    ("9.35.0", "1.29"),
    ("9.37.0", "1.30"),
    ("9.38.0", "1.31"),
    ("9.45.0", "1.32"),
    ("9.47.0", "1.33"),
    ("9.52.0", "1.34"),
    ("9.54.0", "1.35"),
)
"""cluster-autoscaler chart versions from which each Kubernetes minor's autoscaler ships, up to the next row: the
``appVersion`` of ``charts/cluster-autoscaler/Chart.yaml`` (``cluster-autoscaler/charts/...`` from 9.52.0) at every
``cluster-autoscaler-chart-9.*`` tag of kubernetes/autoscaler (e.g. 9.51.0: 1.33.0, 9.52.0: 1.34.1, 9.53.0: 1.34.2,
9.54.0: 1.35.0). The README's "Releases" table gives 9.51.0+ for 1.34, but chart 9.51.0 ships 1.33.0; the tags are
followed. The README's rule: "versioning scheme was changed to match Kubernetes minor releases exactly" and "We
recommend using Cluster Autoscaler with the Kubernetes control plane ... version for which it was meant ... We don't do
cross version testing" (kubernetes/autoscaler cluster-autoscaler/README.md, Releases)."""

AUTOSCALER_NEWEST_CHART = "9.59.0"
"""The newest cluster-autoscaler chart whose ``appVersion`` was read (tag ``cluster-autoscaler-chart-9.59.0``: 1.35.0);
a newer chart's Kubernetes minor is not known here."""


CLUSTER_CHART_VERSION = re.compile(r"\A(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\Z", re.ASCII)
"""A cluster chart's version as Helm is given it: ``MAJOR.MINOR.PATCH`` in ASCII digits, without a ``v`` and
without leading zeros (semver.org, spec item 2). Karpenter's OCI chart tags carry no ``v`` since 0.35.0 ("Karpenter
OCI tags and Helm chart version are now valid semantic versions, meaning that the ``v`` prefix from the git tag has
been removed": aws/karpenter-provider-aws website upgrading/upgrade-guide.md, Upgrading to 0.35.0+), and the
cluster-autoscaler chart's versions are the ``X.Y.Z`` of its ``cluster-autoscaler-chart-X.Y.Z`` tags; so ``v1.8.1``
names no chart, and full-width or Arabic-Indic digits are not digits Helm reads."""


def cluster_chart_version_problem(key: str, version: str) -> str | None:
    """Why ``version`` cannot name a release of the cluster chart ``key`` (what to give instead), or None:
    :data:`CLUSTER_CHART_VERSION`; a single leading ``v`` is named, so the line says what to write instead."""
    if CLUSTER_CHART_VERSION.match(version):
        return None
    if version.startswith("v") and CLUSTER_CHART_VERSION.match(version[1:]):
        return f"give {version[1:]}: {key}'s chart versions carry no 'v' (docs/versions.md)"
    return "give a version such as 1.2.3 (ASCII digits, no 'v')"


def _numbers(version: str) -> tuple[int, ...] | None:
    m = CLUSTER_CHART_VERSION.match(version)
    return tuple(int(p) for p in m.groups()) if m else None


def autoscaler_kubernetes(chart_version: str) -> str | None:
    """The Kubernetes minor the cluster-autoscaler chart ``chart_version`` ships the autoscaler for, or None when it
    is not known (:data:`AUTOSCALER_CHARTS`)."""
    given = _numbers(chart_version)
    if given is None or given > (_numbers(AUTOSCALER_NEWEST_CHART) or ()):
        return None
    found = None
    for first, kubernetes in AUTOSCALER_CHARTS:
        if given >= (_numbers(first) or ()):
            found = kubernetes
    return found


def cluster_chart_problem(key: str, version: str, kubernetes: str) -> str | None:
    """Why the cluster chart ``key`` at ``version`` does not fit the Kubernetes minor ``kubernetes`` (what to give
    instead), or None: Karpenter's line must support it (:data:`KARPENTER_KUBERNETES`); cluster-autoscaler's minor
    must be the cluster's (:data:`AUTOSCALER_CHARTS`)."""
    if why := cluster_chart_version_problem(key, version):
        return why
    if key == "karpenter":
        line = ".".join(version.split(".")[:2])
        bounds = KARPENTER_KUBERNETES.get(line)
        if bounds is None:
            known = ", ".join(KARPENTER_KUBERNETES)
            return f"Karpenter {line} is not in the compatibility table (lines {known}; docs/versions.md)"
        low, high = (tuple(int(p) for p in b.split(".")) for b in bounds)
        if not low <= tuple(int(p) for p in kubernetes.split(".")) <= high:
            return (
                f"Karpenter {line} supports Kubernetes {bounds[0]} to {bounds[1]}, not {kubernetes} (karpenter.sh "
                "compatibility matrix; docs/versions.md)"
            )
        return None
    ships = autoscaler_kubernetes(version)
    if ships is None:
        return (
            f"the Kubernetes minor of cluster-autoscaler chart {version} is not known (charts 9.34.0 to "
            f"{AUTOSCALER_NEWEST_CHART} are; docs/versions.md)"
        )
    if ships != kubernetes:
        first = [c for c, k in AUTOSCALER_CHARTS if k == kubernetes]
        hint = f"give a chart from {first[0]} for Kubernetes {kubernetes}" if first else "no chart for it is known"
        return (
            f"chart {version} ships cluster-autoscaler {ships}, and the autoscaler's minor must be the cluster's "
            f"({kubernetes}): {hint} (kubernetes/autoscaler cluster-autoscaler/README.md, Releases)"
        )
    return None


# ------------------------------------------------------------------------------------------------ KEDA

KEDA_KUBERNETES: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {
        "2.17": ("1.30", "1.32"),
        "2.18": ("1.31", "1.33"),
        "2.19": ("1.32", "1.34"),
        "2.20": ("1.33", "1.35"),
    }
)
"""KEDA line (the chart's version is KEDA's: appVersion = version) -> the Kubernetes minors it is tested on
(inclusive): KEDA's compatibility matrix, https://keda.sh/docs/2.22/operate/cluster/ "Kubernetes Compatibility"
("v2.20 v1.33 - v1.35", "v2.19 v1.32 - v1.34", ...). Checked only when the platform installs KEDA
(:func:`components.platform.keda.check_version`), so a stack without LLM autoscaling keeps the KServe bounds."""


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
    parts = operator_version.removeprefix("v").split(".")
    return ".".join(parts[:2])
