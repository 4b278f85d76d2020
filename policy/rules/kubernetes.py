"""Rules over the Kubernetes objects and Helm releases we render: pinned charts, no privileged or root containers
outside the namespaces that need them, and no LoadBalancer except the ingress gateway."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from policy.rules.base import (
    UNKNOWN,
    Facts,
    Resource,
    Rule,
    as_list,
    as_map,
    containers,
    is_k8s,
    pod_specs,
)

HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
SERVICE = "kubernetes:core/v1:Service"
NAMESPACE = "kubernetes:core/v1:Namespace"
EXACT_VERSION = re.compile(r"\Av?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?\Z", re.ASCII)

PRIVILEGED_NAMESPACES: Mapping[str, str] = {
    "kube-system": (
        "the cloud's node agents (CNI, kube-proxy, CSI drivers) and the Istio CNI node agent, which needs hostPath, "
        "hostNetwork and NET_ADMIN to redirect pod traffic in place of privileged istio-init containers"
    ),
    "gpu-operator": (
        "the NVIDIA GPU Operator's container-toolkit and validator DaemonSets are privileged to configure the "
        "node's container runtime"
    ),
    "nvidia-device-plugin": "the NVIDIA device plugin mounts /var/lib/kubelet/device-plugins (hostPath)",
    "monitoring": (
        "node-exporter (kube-prometheus-stack) reads host metrics with hostNetwork, hostPID and hostPath, and the "
        "DCGM exporter mounts the kubelet pod-resources socket"
    ),
}
"""Namespaces where privileged pods are expected, with the reason (shown in the docs)."""

GATEWAY = ("istio-system", "istio-ingressgateway")
"""The one Service allowed to be a LoadBalancer: the Istio ingress gateway (namespace, name)."""
GATEWAY_CHARTS = ("gateway",)
"""Helm charts that create that Service (Istio's gateway chart)."""


# ------------------------------------------------------------------------------------------------ helm


def _helm_pinned(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type not in HELM_TYPES:
        return
    version = res.props.get("version")
    chart = res.props.get("chart", res.name)
    if version is UNKNOWN:
        return
    if not isinstance(version, str) or not version:
        yield f"Helm chart {chart} has no version: pin an exact version in components/versions.py"
    elif not EXACT_VERSION.match(version):
        yield f"Helm chart {chart} version {version!r} is not an exact version (no ranges, no 'latest')"


# ------------------------------------------------------------------------------------------------ pods


def _root_reason(pod: Mapping[str, Any], c: Mapping[str, Any], partial: bool) -> str | None:
    psc = as_map(pod.get("securityContext"))
    csc = as_map(c.get("securityContext"))
    user = csc.get("runAsUser", psc.get("runAsUser"))
    if user == 0:
        return "runs as UID 0"
    non_root = csc.get("runAsNonRoot", psc.get("runAsNonRoot"))
    if non_root is False:
        return "sets runAsNonRoot: false"
    if non_root is not True and not (isinstance(user, int) and user > 0) and not partial:
        return "may run as root (set runAsNonRoot: true or a non-zero runAsUser)"
    return None


def pod_problems(res: Resource) -> Iterator[str]:
    """Why each container of ``res`` is privileged or may run as root.

    A Server-Side Apply patch (``...Patch`` types) states only what it changes: only what it sets explicitly counts.
    """
    partial = res.type.endswith("Patch")
    for path, pod in pod_specs(res):
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            if pod.get(host) is True:
                yield f"{path}.{host} is true"
        for cpath, c in containers(pod):
            name = c.get("name", cpath)
            sc = as_map(c.get("securityContext"))
            if sc.get("privileged") is True:
                yield f"container {name} ({path}.{cpath}) is privileged"
            if sc.get("allowPrivilegeEscalation") is True:
                yield f"container {name} ({path}.{cpath}) allows privilege escalation"
            added = [a for a in as_list(as_map(sc.get("capabilities")).get("add")) if a != "NET_BIND_SERVICE"]
            if added:
                yield f"container {name} ({path}.{cpath}) adds capabilities {', '.join(map(str, added))}"
            why = _root_reason(pod, c, partial)
            if why:
                yield f"container {name} ({path}.{cpath}) {why}"


def _no_privileged(res: Resource, facts: Facts) -> Iterator[str]:
    if not res.type.startswith("kubernetes:"):
        return
    ns = res.namespace
    if ns in PRIVILEGED_NAMESPACES:
        return
    yield from pod_problems(res)


def _privileged_namespaces(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type != NAMESPACE:
        return
    labels = as_map(res.metadata.get("labels"))
    level = labels.get("pod-security.kubernetes.io/enforce")
    name = res.k8s_name
    if level == "privileged" and name not in PRIVILEGED_NAMESPACES:
        yield (
            f"namespace {name} enforces the privileged Pod Security level; only "
            f"{', '.join(PRIVILEGED_NAMESPACES)} may (each with a recorded reason)"
        )


# ------------------------------------------------------------------------------------------------ services


def _load_balancer_values(values: Any, path: str = "") -> Iterator[str]:
    if isinstance(values, Mapping):
        if values.get("type") == "LoadBalancer":
            yield path or "(top level)"
        for k, v in values.items():
            yield from _load_balancer_values(v, f"{path}.{k}" if path else str(k))
    elif isinstance(values, list):
        for i, v in enumerate(values):
            yield from _load_balancer_values(v, f"{path}[{i}]")


def _no_load_balancer(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type == SERVICE or is_k8s(res, "Service"):
        if res.get("spec.type") == "LoadBalancer" and (res.namespace, res.k8s_name) != GATEWAY:
            yield f"Service {res.namespace}/{res.k8s_name} is a LoadBalancer; only the ingress gateway may be one"
    elif res.type in HELM_TYPES:
        chart = str(res.props.get("chart", "")).rsplit("/", 1)[-1]
        if chart in GATEWAY_CHARTS:
            return
        for path in _load_balancer_values(res.props.get("values")):
            yield f"Helm release {res.props.get('name', res.name)} sets values {path}.type: LoadBalancer"


PDB = "kubernetes:policy/v1:PodDisruptionBudget"


def _pdb_allows_eviction(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type != PDB:
        return
    spec = as_map(res.props.get("spec"))
    name = f"{res.namespace}/{res.k8s_name}"
    if spec.get("maxUnavailable") in (0, "0", "0%"):
        yield f"PodDisruptionBudget {name} sets maxUnavailable 0: node drains and upgrades would hang"
    if spec.get("minAvailable") == "100%":
        yield f"PodDisruptionBudget {name} sets minAvailable 100%: node drains and upgrades would hang"


RULES = [
    Rule(
        name="helm-version-pinned",
        description="Every Helm release names an exact chart version (no ranges, no latest).",
        enforcement="mandatory",
        area="kubernetes",
        applies_to=HELM_TYPES,
        check_resource=_helm_pinned,
    ),
    Rule(
        name="no-privileged-containers",
        description=(
            "No rendered pod is privileged, escalates, adds capabilities, shares host namespaces or runs as root "
            "(outside the namespaces listed with reasons)."
        ),
        enforcement="mandatory",
        area="kubernetes",
        applies_to=("kubernetes:* workloads", "InferenceService"),
        check_resource=_no_privileged,
    ),
    Rule(
        name="privileged-namespaces-listed",
        description="Only the listed add-on namespaces may enforce the privileged Pod Security level.",
        enforcement="mandatory",
        area="kubernetes",
        applies_to=(NAMESPACE,),
        check_resource=_privileged_namespaces,
    ),
    Rule(
        name="pdb-allows-eviction",
        description="Every PodDisruptionBudget lets at least one pod be evicted (no maxUnavailable 0).",
        enforcement="mandatory",
        area="kubernetes",
        applies_to=(PDB,),
        check_resource=_pdb_allows_eviction,
    ),
    Rule(
        name="no-load-balancer-services",
        description="No Service of type LoadBalancer except the Istio ingress gateway.",
        enforcement="mandatory",
        area="kubernetes",
        applies_to=(SERVICE, *HELM_TYPES),
        check_resource=_no_load_balancer,
    ),
]
