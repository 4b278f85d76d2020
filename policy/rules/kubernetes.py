"""Rules over the Kubernetes objects and Helm releases we render: pinned charts, no privileged or root containers
outside the namespaces that need them, and no LoadBalancer except the ingress gateway."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policy.rules.base import (
    UNKNOWN,
    Facts,
    Finding,
    Resource,
    Rule,
    as_list,
    as_map,
    containers,
    is_k8s,
    pod_specs,
    reading,
    unknown_keys,
    unknown_path,
    unknown_within,
    who,
)
from policy.rules.podlabels import KNATIVE_PODS, chart_pods, keeps_one, selector_misses

HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
SERVICE = "kubernetes:core/v1:Service"
NAMESPACE = "kubernetes:core/v1:Namespace"
EXACT_VERSION = re.compile(r"\Av?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?\Z", re.ASCII)
"""An exact SemVer 2 version with an optional ``v``, matched whole (``fullmatch``: no trailing newline). Helm reads a
chart version as a constraint: "This constraint can be a specific tag (e.g. 1.1.1) or it may reference a valid range
(e.g. ^2.0.0). If this is not specified, the latest version is used" (helm/helm cmd/helm/flags.go,
addChartPathOptionsFlags). Only a complete ``X.Y.Z`` names one chart; ``0.20`` is not one version."""

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
    elif not EXACT_VERSION.fullmatch(version):
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


RESTRICTED_NAMESPACES: Mapping[str, str] = {
    "request-logs": "the request-log collector's (components/platform/requestlog.py): its pods meet restricted",
    "keda": "KEDA's (components/platform/keda.py): its operator, metrics server and webhooks meet restricted",
}
"""Add-on namespaces whose Namespace must enforce the ``restricted`` Pod Security level: the platform hardens every
pod it puts there (:data:`RESTRICTED_POD_VALUES`), and only the namespace's ``enforce`` label makes the API server
refuse a pod that is not (kubernetes.io/docs/concepts/security/pod-security-admission: ``enforce`` "Policy
violations will cause the pod to be rejected"; ``audit`` and ``warn`` only record or warn)."""


def _privileged_namespaces(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type != NAMESPACE:
        return
    labels = as_map(res.metadata.get("labels"))
    level = labels.get("pod-security.kubernetes.io/enforce")
    name = res.k8s_name
    if name in RESTRICTED_NAMESPACES and level != "restricted" and level is not UNKNOWN:
        yield (
            f"namespace {name} enforces the Pod Security level {level!r}, not restricted: it holds "
            f"{RESTRICTED_NAMESPACES[name]}, and only enforce=restricted rejects a pod that loses that hardening"
        )
    if level == "privileged" and name not in PRIVILEGED_NAMESPACES:
        yield (
            f"namespace {name} enforces the privileged Pod Security level; only "
            f"{', '.join(PRIVILEGED_NAMESPACES)} may (each with a recorded reason)"
        )


# ------------------------------------------------------------------------------------------------ restricted

SECCOMP_CONFINED = ("RuntimeDefault", "Localhost")
"""The seccomp profiles the ``restricted`` Pod Security level accepts."""


def restricted_gaps(pod: Mapping[str, Any], c: Mapping[str, Any], *, need_non_root: bool = True) -> list[str]:
    """What container ``c`` of pod spec ``pod`` lacks of the ``restricted`` Pod Security level's hardening (empty
    when it has it all). The level (kubernetes.io/docs/concepts/security/pod-security-standards, "Restricted";
    Pod Security admission's messages: "must set securityContext.allowPrivilegeEscalation=false", "must set
    securityContext.capabilities.drop=["ALL"]", "pod or container ... must set securityContext.runAsNonRoot=true",
    "pod or container ... must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"") asks of
    every container: ``allowPrivilegeEscalation: false`` (the container's own field), ``capabilities.drop``
    including ``ALL`` (the container's), ``runAsNonRoot: true`` and a confined seccomp profile (the container's, else
    the pod's). ``need_non_root``: False where the code leaves ``runAsNonRoot`` to a runtime's own definition."""
    psc, csc = as_map(pod.get("securityContext")), as_map(c.get("securityContext"))
    gaps = []
    escalation = csc.get("allowPrivilegeEscalation")
    if escalation is not False and escalation is not UNKNOWN:
        gaps.append(f"allowPrivilegeEscalation is {escalation!r}, not false")
    drop = as_map(csc.get("capabilities")).get("drop")
    if drop is not UNKNOWN and "ALL" not in as_list(drop):
        gaps.append("capabilities.drop does not include ALL")
    profile = as_map(csc.get("seccompProfile") or psc.get("seccompProfile")).get("type")
    if profile is not UNKNOWN and profile not in SECCOMP_CONFINED:
        gaps.append(f"seccompProfile.type is {profile!r} (give RuntimeDefault on the container or the pod)")
    if csc.get("privileged") is True:
        # Pod Security Standards, "Baseline" (which "Restricted" includes), Privileged Containers:
        # spec.containers[*].securityContext.privileged allowed values "Undefined/nil, false"
        # (kubernetes.io/docs/concepts/security/pod-security-standards)
        gaps.append("privileged is true (no Pod Security level but privileged admits it)")
    non_root = csc.get("runAsNonRoot", psc.get("runAsNonRoot"))
    if need_non_root and non_root is not True and non_root is not UNKNOWN:
        gaps.append(f"runAsNonRoot is {non_root!r}, not true (on the container or the pod)")
    # "Containers must not set runAsUser: 0", the pod's and each container's field on its own (kubernetes/kubernetes
    # staging/src/k8s.io/pod-security-admission/policy/check_runAsUser.go ``CheckRunAsUser``, restricted since 1.23;
    # beside runAsNonRoot true the kubelet refuses to start it: rev17h h13)
    for where, ctx in (("container", csc), ("pod", psc)):
        if ctx.get("runAsUser") == 0 and ctx.get("runAsUser") is not False:
            gaps.append(f"runAsUser is 0 on the {where} (restricted forbids UID 0)")
    return gaps


RESTRICTED_VALUES: Mapping[str, tuple[str, str]] = {
    "kserve-resources": ("kserve.storage.containerSecurityContext", "the storage-initializer"),
}
"""Helm values our releases set that become a container's security context: kserve-resources v0.20.0 renders
``kserve.storage.containerSecurityContext`` whole into the ``default`` ClusterStorageContainer, which KServe's pod
webhook merges into the storage-initializer (templates/clusterstoragecontainer.yaml; components/platform/kserve.py
``STORAGE_INITIALIZER_SECURITY_CONTEXT``)."""


RESTRICTED_POD_VALUES: Mapping[str, tuple[tuple[str, str, str], ...]] = {
    "vector": (("podSecurityContext", "securityContext", "the request-log collector"),),
    "keda": tuple(
        (f"podSecurityContext.{key}", f"securityContext.{key}", f"KEDA's {who}")
        for key, who in (("operator", "operator"), ("metricServer", "metrics server"), ("webhooks", "webhooks"))
    ),
}
"""Helm values our releases set that become a pod's and its container's security context (pod path, container
path, whose pods), judged together as one pod by :func:`restricted_gaps`. vector 0.56.0 (vectordotdev/helm-charts tag
vector-0.56.0, charts/vector/templates/_pod.tpl): ``with .Values.podSecurityContext`` -> the pod's
``securityContext``, ``with .Values.securityContext`` -> the vector container's. keda 2.20.2 (kedacore/charts tag
v2.20.2, commit cbb9bb8c, keda/templates/manager/deployment.yaml, metrics-server/deployment.yaml,
webhooks/deployment.yaml): ``podSecurityContext.operator`` / ``.metricServer`` / ``.webhooks`` -> the pod's
``securityContext`` and ``securityContext.<same key>`` -> the container's (the chart spells the metrics server's key
``metricServer`` there, its replicas ``metricsServer``). Both namespaces enforce ``restricted``
(:data:`RESTRICTED_NAMESPACES`)."""


READ_ONLY_ROOT_CHARTS = frozenset({"vector"})
"""Charts whose container context must also keep ``readOnlyRootFilesystem: true``: the restricted Pod Security level
does not ask it, the project promises it (docs/components/platform.md, Request logs: "Vector runs as user 65534 with a
read-only root file system"; components/platform/requestlog.py). core/v1 SecurityContext ``readOnlyRootFilesystem``:
"Whether this container has a read-only root filesystem. Default is false" (the Kubernetes API reference as
pulumi_kubernetes core/v1 ``SecurityContextArgs`` documents it), so a value other than true leaves the collector,
which holds request payloads and the store's write identity, a writable root (rev17m-13). KEDA's containers are held
to it by keda-ha-values (policy/rules/slipguards.py)."""


def _helm_pod_gaps(res: Resource, values: Mapping[str, Any], chart: str) -> Iterator[str]:
    release = res.props.get("name", res.name)
    for pod_path, c_path, whose in RESTRICTED_POD_VALUES[chart]:
        pod_ctx, c_ctx = _value(values, pod_path, {}), _value(values, c_path, {})
        if pod_ctx is UNKNOWN or c_ctx is UNKNOWN:
            continue  # named by the rule's unknown reader
        if not isinstance(c_ctx, Mapping) or not c_ctx:
            yield f"Helm release {release} ({chart}) sets no values {c_path}: {whose} keeps the chart's context"
            continue
        for gap in restricted_gaps({"securityContext": as_map(pod_ctx)}, {"securityContext": c_ctx}):
            yield f"Helm release {release} ({chart}) values {pod_path}/{c_path} ({whose}): {gap}"
        if chart in READ_ONLY_ROOT_CHARTS:
            ro = c_ctx.get("readOnlyRootFilesystem")
            if ro is not True and ro is not UNKNOWN:
                yield (
                    f"Helm release {release} ({chart}) values {c_path}.readOnlyRootFilesystem is {ro!r} ({whose}): "
                    "its container may write its root filesystem (the Kubernetes default is false); set it to true"
                )


def _sidecar_seccomp(res: Resource) -> Iterator[str]:
    """With Istio CNI (istiod values ``cni.enabled``: no privileged ``istio-init``), the injected sidecars are what
    keeps a model pod from meeting ``restricted``: istiod 1.30.3's ``global.proxy.seccompProfile`` ("Set to ``type:
    RuntimeDefault`` to use the default profile if available", default ``{}``: shared/upstream/chart-values/
    istiod-1.30.3.yaml) gives them the confined profile (components/platform/istio.py ``istiod_values``)."""
    values = res.props.get("values")
    if not isinstance(values, Mapping) or _value(values, "cni.enabled", {}) is not True:
        return
    profile = _value(values, "global.proxy.seccompProfile.type", {})
    if profile is not UNKNOWN and profile not in SECCOMP_CONFINED:
        yield (
            f"Helm release {res.props.get('name', res.name)} (istiod) values global.proxy.seccompProfile.type is "
            f"{profile!r}: injected sidecars run unconfined and model pods fail restricted; give RuntimeDefault"
        )


SECURE_POD_DEFAULTS = "secure-pod-defaults"


def _chart(r: Resource) -> str:
    return str(r.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]


ISTIO_CNI_CHARTS = ("cni", "istio-cni")
"""Istio's CNI agent chart is ``cni`` in its Helm repository (istio-release.storage.googleapis.com/charts;
components/platform/istio.py installs it as release istio-cni)."""


def _istiod_without_cni(resources: Sequence[Resource]) -> Iterator[Finding]:
    """When the stack installs the istio-cni agent, istiod must be told (values ``cni.enabled``: "Whether to use an
    existing CNI installation", default false, shared/upstream/chart-values/istiod-1.30.3.yaml): otherwise its
    injection template still adds the ``istio-init`` container with NET_ADMIN and NET_RAW (istio/istio
    manifests/charts/istio-control/istio-discovery injection template, ``initContainers`` rendered ``if or (not
    .Values.istio_cni.enabled) ...``; read from a stored copy, not at the 1.30.3 tag), which the baseline and
    restricted Pod Security levels reject (capabilities beyond the baseline's list: kubernetes.io/docs/concepts/
    security/pod-security-standards): model and activator pods are then refused in their namespaces."""
    if not any(r.type in HELM_TYPES and _chart(r) in ISTIO_CNI_CHARTS for r in resources):
        return
    for r in resources:
        if r.type not in HELM_TYPES or _chart(r) != "istiod" or not isinstance(r.props.get("values"), Mapping):
            continue
        enabled = _value(r.props["values"], "cni.enabled", {})
        if enabled is not True and enabled is not UNKNOWN:
            yield Finding(
                r.urn,
                f"Helm release {r.props.get('name', r.name)} (istiod) values cni.enabled is {enabled!r} although the "
                "stack installs istio-cni: the injector adds the privileged istio-init (NET_ADMIN, NET_RAW) and "
                "baseline/restricted namespaces reject the model pods; set it to true",
            )


def _queue_proxy(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """With Istio CNI, Knative's queue-proxy (a container in every Knative-mode model pod) gets the restricted
    hardening only from ``secure-pod-defaults: enabled`` in the KnativeServing's ``config.features``
    (components/platform/knative.py ``features``). Knative docs, "Secure Pod Defaults"
    (knative.dev/docs/serving/configuration/secure-pod-defaults): ``enabled`` "Aligns with the Kubernetes
    restricted Pod Security Standard in addition to enforcing non-root execution"; ``root-allowed`` leaves out
    ``runAsNonRoot``; ``disabled`` (the default) applies nothing."""
    cni = any(
        r.type in HELM_TYPES
        and str(r.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1] == "istiod"
        and isinstance(r.props.get("values"), Mapping)
        and _value(r.props["values"], "cni.enabled", {}) is True
        for r in resources
    )
    yield from _istiod_without_cni(resources)
    if not cni:
        return
    for ks in (r for r in resources if is_k8s(r, "KnativeServing")):
        flag = as_map(ks.get("spec.config.features")).get(SECURE_POD_DEFAULTS)
        if flag is not UNKNOWN and flag != "enabled":
            yield Finding(
                ks.urn,
                f"KnativeServing {ks.namespace}/{ks.k8s_name} config.features.{SECURE_POD_DEFAULTS} is {flag!r}: "
                "the queue-proxy in every model pod misses the restricted hardening; set it to enabled",
            )


def _restricted(res: Resource, facts: Facts) -> Iterator[str]:
    """Every pod the platform renders itself (its Deployments and the like, and each InferenceService's serving
    container), outside the privileged add-on namespaces, and the container security contexts our Helm values set,
    keep the ``restricted`` hardening (:func:`restricted_gaps`). The model namespaces audit and warn at
    ``restricted`` (components/serving/namespace.py) and only a pod that meets it would pass once they enforce it;
    each warm-capacity placeholder namespace enforces it (components/platform/warm.py). Written exception: a model
    with an explicit ``runtime`` in a namespace that does not enforce ``restricted`` leaves ``runAsNonRoot`` to that
    runtime's definition (components/serving/_runtime.py ``security_context``); ``no-privileged-containers`` still
    refuses one that sets root."""
    if res.type in HELM_TYPES:
        chart = str(res.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]
        if chart == "istiod":
            yield from _sidecar_seccomp(res)
            return
        known = RESTRICTED_VALUES.get(chart)
        values = res.props.get("values")
        if chart in RESTRICTED_POD_VALUES and isinstance(values, Mapping):
            yield from _helm_pod_gaps(res, values, chart)
            return
        if known is None or not isinstance(values, Mapping):
            return
        path, who = known
        ctx = _value(values, path, {})
        if ctx is UNKNOWN:
            return
        if not isinstance(ctx, Mapping):
            yield f"Helm release {res.props.get('name', res.name)} sets no {path}: {who} keeps the chart's context"
            return
        for gap in restricted_gaps({}, {"securityContext": ctx}):
            yield f"Helm release {res.props.get('name', res.name)} values {path} ({who}): {gap}"
        return
    if not res.type.startswith("kubernetes:") or res.type.endswith("Patch") or res.namespace in PRIVILEGED_NAMESPACES:
        return
    for path, pod in pod_specs(res):
        for cpath, c in containers(pod):
            explicit_runtime = is_k8s(res, "InferenceService") and c.get("runtime") is not None
            for gap in restricted_gaps(pod, c, need_non_root=not explicit_runtime):
                yield f"container {c.get('name', cpath)} ({res.namespace}/{res.k8s_name} {path}.{cpath}): {gap}"


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


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value, re.ASCII):
        return int(value)
    return None


def _blocks(spec: Mapping[str, Any], replicas: int | None) -> str | None:
    """Why a PodDisruptionBudget spec lets no pod be evicted when the workload runs ``replicas`` pods (None: it lets
    one go, or it cannot be told). Kubernetes: ``minAvailable`` an integer or percentage, ``maxUnavailable`` the same;
    an eviction is refused when it would leave fewer than minAvailable (kubernetes.io/docs/tasks/run-application/
    configure-pdb/)."""
    max_u = spec.get("maxUnavailable")
    min_a = spec.get("minAvailable")
    nan = [k for k, v in (("maxUnavailable", max_u), ("minAvailable", min_a)) if isinstance(v, float) and v != v]
    if nan:
        # NaN compares false with every number: never read as "lets one go" (red team #17 N02a)
        return f"{nan[0]} NaN (not a number Kubernetes takes)"
    if max_u in (0, "0", "0%"):
        return "maxUnavailable 0"
    if max_u is None and min_a == "100%":
        return "minAvailable 100%"
    n = _int_or_none(min_a)
    if max_u is None and n is not None and replicas is not None and n >= replicas:
        return f"minAvailable {n} with {replicas} replica(s)"
    return None


@dataclass(frozen=True)
class HelmPdb:
    """Where a chart renders a PodDisruptionBudget from its values (Istio 1.30.3 charts, istio/istio at 1.30.3):

    - gateway (manifests/charts/gateway/templates/poddisruptionbudget.yaml): rendered when ``podDisruptionBudget``
      is non-empty and (``autoscaling.enabled`` and ``autoscaling.minReplicas`` > 1, or not autoscaling and
      ``replicaCount`` > 1); its spec is ``podDisruptionBudget`` as given. Defaults (values.yaml):
      autoscaling.enabled true, minReplicas 1, replicaCount unset.
    - istiod (manifests/charts/istio-control/istio-discovery/templates/poddisruptionbudget.yaml): rendered when
      ``global.defaultPodDisruptionBudget.enabled`` and (``autoscaleEnabled`` and ``autoscaleMin`` > 1, or not
      autoscaling and ``replicaCount`` > 1); spec ``minAvailable: pdb.minAvailable`` unless ``pdb.maxUnavailable``
      is given. Defaults: enabled true, autoscaleEnabled true, autoscaleMin 1, replicaCount 1, pdb.minAvailable 1.
    """

    chart: str
    spec_path: str
    enabled_path: str | None
    autoscale_path: str
    min_path: str
    replicas_path: str
    defaults: Mapping[str, Any]


HELM_PDBS = (
    HelmPdb(
        "gateway",
        "podDisruptionBudget",
        None,
        "autoscaling.enabled",
        "autoscaling.minReplicas",
        "replicaCount",
        {"autoscaling.enabled": True, "autoscaling.minReplicas": 1, "replicaCount": None},
    ),
    HelmPdb(
        "istiod",
        "pdb",
        "global.defaultPodDisruptionBudget.enabled",
        "autoscaleEnabled",
        "autoscaleMin",
        "replicaCount",
        {
            "global.defaultPodDisruptionBudget.enabled": True,
            "autoscaleEnabled": True,
            "autoscaleMin": 1,
            "replicaCount": 1,
            "pdb": {"minAvailable": 1},
        },
    ),
)


def _value(values: Mapping[str, Any], path: str, defaults: Mapping[str, Any]) -> Any:
    current: Any = values
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return defaults.get(path)
        current = current[part]
    return current


def _generic_pdbs(values: Any, path: str = "") -> Iterator[tuple[str, Mapping[str, Any], int | None]]:
    """Every ``podDisruptionBudget``/``pdb`` map in ``values`` with the replica count given beside it, if any."""
    if not isinstance(values, Mapping):
        return
    for key, sub in values.items():
        here = f"{path}.{key}" if path else str(key)
        if key in ("podDisruptionBudget", "pdb") and isinstance(sub, Mapping):
            if sub.get("enabled") is not False:
                replicas = next(
                    (
                        _int_or_none(values[k])
                        for k in ("replicaCount", "replicas", "minReplicas")
                        if _int_or_none(values.get(k)) is not None
                    ),
                    None,
                )
                spec_holder = as_map(values.get("prometheusSpec") or values.get("alertmanagerSpec"))
                if replicas is None and _int_or_none(spec_holder.get("replicas")) is not None:
                    replicas = _int_or_none(spec_holder.get("replicas"))
                yield here, sub, replicas
        elif isinstance(sub, Mapping):
            yield from _generic_pdbs(sub, here)


CHART_PDB_DEFAULTS: Mapping[str, tuple[Mapping[str, Any], int]] = {
    "cert-manager": ({"minAvailable": 1}, 1),
    "kube-prometheus-stack": ({"minAvailable": 1}, 1),
}
"""Charts whose enabled PodDisruptionBudget has a spec even when the values give neither bound, and the replicas a
component runs when the values give none. cert-manager v1.21.1 (deploy/charts/cert-manager/templates/
poddisruptionbudget.yaml, webhook- and cainjector-poddisruptionbudget.yaml, read at the v1.21.1 tag): "minAvailable:
1 # Default value because minAvailable and maxUnavailable are not set"; values (shared/upstream/chart-values/
cert-manager-v1.21.1.yaml): ``podDisruptionBudget.enabled: false`` and ``replicaCount: 1`` for the controller, the
webhook and the cainjector ("the PodDisruptionBudget will block `kubectl drain` if it is used on the Node where the
only remaining cert-manager Pod is currently running"). kube-prometheus-stack 88.5.3
(prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3, templates/prometheus/podDisruptionBudget.yaml and
alertmanager/podDisruptionBudget.yaml): rendered ``if ... .podDisruptionBudget.enabled``, its spec ``toYaml (omit
.Values.<component>.podDisruptionBudget "enabled")`` over the chart's defaults (shared/upstream/chart-values/
kube-prometheus-stack-88.5.3.yaml: ``enabled: false``, ``minAvailable: 1``), so the values' ``minAvailable`` is
written as given (0 included); ``prometheusSpec.replicas`` and ``alertmanagerSpec.replicas`` default 1."""


KEDA_PDBS = (
    ("operator", "operator.replicaCount", None),
    ("metricServer", "metricsServer.replicaCount", "metricsServer.enabled"),
    ("webhooks", "webhooks.replicaCount", "webhooks.enabled"),
)
"""KEDA's chart (kedacore/charts v2.20.2, commit cbb9bb8c): each component's PodDisruptionBudget key under
``podDisruptionBudget``, the replicas it guards and the switch of the component. keda/templates/manager/
poddisruptionbudget.yaml, metrics-server/poddisruptionbudget.yaml and webhooks/poddisruptionbudget.yaml render a PDB
when ``podDisruptionBudget.minAvailable`` or ``.maxUnavailable`` is set or ``podDisruptionBudget.<key>`` is non-empty
(the metrics server's and the webhooks' only while ``metricsServer.enabled`` / ``webhooks.enabled``), writing the
top-level bounds and then the component's (the component's judged as winning where both are given); values.yaml:
``operator.replicaCount``, ``metricsServer.replicaCount``, ``webhooks.replicaCount`` default 1 (the PDB key is
``metricServer``, the replicas' ``metricsServer``)."""


def _keda_pdbs(release: Any, values: Mapping[str, Any]) -> Iterator[Budget]:
    top = {k: values["podDisruptionBudget"][k] for k in ("minAvailable", "maxUnavailable") if _pdb_top(values, k)}
    for key, replicas_path, enabled_path in KEDA_PDBS:
        if enabled_path is not None and _value(values, enabled_path, {enabled_path: True}) is False:
            continue
        own = as_map(_value(values, f"podDisruptionBudget.{key}", {}))
        if not top and not own:
            continue  # the chart renders no PodDisruptionBudget for this component
        spec = {**top, **{k: v for k, v in own.items() if k in ("minAvailable", "maxUnavailable") and v}}
        replicas = _int_or_none(_value(values, replicas_path, {replicas_path: 1}))
        where = f"Helm release {release} (keda) values podDisruptionBudget.{key} with {replicas_path}"
        yield Budget(where, spec, replicas, f"{where} renders a PodDisruptionBudget with {{why}}: drains would hang")


def _pdb_top(values: Mapping[str, Any], key: str) -> bool:
    return bool(as_map(values.get("podDisruptionBudget")).get(key))


@dataclass(frozen=True)
class Budget:
    """One PodDisruptionBudget a Helm release's values or a KnativeServing override renders: where (for messages),
    its bounds as the chart writes them, the replicas of the workload it guards (None: not known) and the
    ``pdb-allows-eviction`` message when it blocks (``{why}`` filled in)."""

    where: str
    spec: Mapping[str, Any]
    replicas: int | None
    blocked: str


def rendered_budgets(res: Resource) -> Iterator[Budget]:
    """Every PodDisruptionBudget ``res`` renders from its values (Helm) or overrides (KnativeServing), read with the
    chart's template semantics (:class:`HelmPdb`, :data:`KEDA_PDBS`, :data:`CHART_PDB_DEFAULTS`,
    :data:`KNATIVE_PDB_WORKLOADS`): the one enumeration ``pdb-allows-eviction`` (blocks every eviction) and
    ``pdb-protects-pods`` (keeps no pod) judge."""
    if is_k8s(res, "KnativeServing"):
        yield from _knative_budgets(res)
        return
    if res.type not in HELM_TYPES:
        return
    values = res.props.get("values")
    if not isinstance(values, Mapping):
        return
    chart = str(res.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]
    release = res.props.get("name", res.name)
    if chart == "keda":
        yield from _keda_pdbs(release, values)
        return
    known = next((h for h in HELM_PDBS if h.chart == chart), None)
    if known is not None:
        d = known.defaults
        enabled = _value(values, known.enabled_path, d) if known.enabled_path else True
        spec = as_map(_value(values, known.spec_path, d))
        auto = _value(values, known.autoscale_path, d) is not False
        replicas = _int_or_none(_value(values, known.min_path if auto else known.replicas_path, d)) or 0
        if enabled is True and spec and replicas > 1:
            if known.chart == "istiod" and "maxUnavailable" in spec:
                # the template writes maxUnavailable only when it is truthy, and then no minAvailable
                spec = {"maxUnavailable": spec["maxUnavailable"]} if spec["maxUnavailable"] else {}
            where = f"Helm release {release} ({chart}) values {known.spec_path}"
            yield Budget(
                where,
                spec,
                replicas,
                f"Helm release {release} ({chart}) renders a PodDisruptionBudget with {{why}}: drains would hang",
            )
        return
    chart_default = CHART_PDB_DEFAULTS.get(chart)
    for path, found, count in _generic_pdbs(values):
        if chart_default is not None:
            if found.get("enabled") is not True:
                continue  # the chart's PDBs are off unless enabled
            if "minAvailable" not in found and "maxUnavailable" not in found:
                found = {**found, **chart_default[0]}
            count = chart_default[1] if count is None else count
        where = f"Helm release {release} ({chart}) values {path}"
        yield Budget(where, found, count, f"{where}: {{why}}; drains would hang")


def _helm_pdbs(res: Resource) -> Iterator[str]:
    for budget in rendered_budgets(res):
        why = _blocks(budget.spec, budget.replicas)
        if why:
            yield budget.blocked.replace("{why}", why)


PROD_MIN_MESH_REPLICAS = 2
"""Replicas the ingress gateway and istiod keep at least on prod: one may be evicted (a drain, an upgrade) while the
other serves, and only then do the charts render their PodDisruptionBudget (upstream/chart-values/
istio-gateway-1.30.3.yaml ``podDisruptionBudget``: "can be only enabled if autoscaling is enabled with minReplicas >
1 or if autoscaling is disabled but replicaCount > 1"; the istiod template alike, :class:`HelmPdb`)."""


ZONE_KEY = "topology.kubernetes.io/zone"
"""The well-known node label of a node's zone (kubernetes.io/docs/reference/labels-annotations-taints/
#topologykubernetesiozone). A spread over hostnames only may put every replica in one zone, which one zone outage
then stops (components/platform/common.py ``AddonContext.spread``: zone, then node)."""


def _spreads(values: Any, path: str = "") -> Iterator[tuple[str, list[Any]]]:
    """Every ``topologySpreadConstraints`` list in Helm values or a KnativeServing spec, with where it is."""
    if isinstance(values, Mapping):
        for key, sub in values.items():
            here = f"{path}.{key}" if path else str(key)
            if key == "topologySpreadConstraints" and isinstance(sub, list):
                yield here, sub
            else:
                yield from _spreads(sub, here)
    elif isinstance(values, list):
        for i, sub in enumerate(values):
            yield from _spreads(sub, f"{path}[{i}]")


SPREAD_PROMISED: Mapping[str, tuple[str, ...]] = {
    "cert-manager": ("topologySpreadConstraints", "webhook.topologySpreadConstraints"),
    "kube-prometheus-stack": ("prometheus.prometheusSpec.topologySpreadConstraints",),
    "istiod": ("topologySpreadConstraints",),
    "gateway": ("topologySpreadConstraints",),
    "kserve-resources": ("kserve.controller.topologySpreadConstraints",),
}
"""Where the platform spreads its HA add-ons (components/platform/common.py ``AddonContext.spread``, called by
certmanager.py, monitoring.py, istio.py and kserve.py for these charts' values): on prod (HA, which
``prod-mesh-replicas`` requires) each list must be there and not empty. An empty list is what ``spread`` returns
without HA: every replica may then land on one node of one zone (red team / review #17, item 3)."""
KNATIVE_SPREAD = (
    "activator",
    "autoscaler",
    "controller",
    "webhook",
    "autoscaler-hpa",
    "net-istio-controller",
    "net-istio-webhook",
)
"""The KnativeServing ``workloads[]`` the platform spreads (components/platform/knative.py ``MESHED`` and
``UNMESHED``; not the storage-version-migration Job)."""


def _promised_spread(res: Resource) -> Iterator[str]:
    """On prod, each spread the platform promises (:data:`SPREAD_PROMISED`, :data:`KNATIVE_SPREAD`) is given and not
    empty."""
    if res.type in HELM_TYPES:
        values = res.props.get("values")
        if not isinstance(values, Mapping):
            return
        release = str(res.props.get("name", res.name))
        for path in SPREAD_PROMISED.get(_chart(res), ()):
            given = _value(values, path, {})
            if given is not UNKNOWN and not (isinstance(given, list) and given):
                yield (
                    f"Helm release {release} values {path} is {given!r} on prod: its "
                    f"replicas may all land on one node of one zone; give the zone ({ZONE_KEY}) and node spread"
                )
            pods = next((p for p in chart_pods(_chart(res)) if p.spread_path == path), None)
            if pods is not None and isinstance(given, list):
                where = f"Helm release {release} values {path}"
                yield from _spread_selects(where, given, pods.labels(values, release), pods.workload)
    elif is_k8s(res, "KnativeServing"):
        workloads = res.get("spec.workloads")
        if workloads is UNKNOWN:
            return
        named = {str(as_map(w).get("name")): as_map(w) for w in as_list(workloads)}
        for name in KNATIVE_SPREAD:
            given = named.get(name, {}).get("topologySpreadConstraints")
            if given is not UNKNOWN and not (isinstance(given, list) and given):
                yield (
                    f"KnativeServing {res.namespace}/{res.k8s_name} workload {name} has no topologySpreadConstraints "
                    f"on prod ({given!r}): its replicas may all land on one node of one zone; give the zone "
                    f"({ZONE_KEY}) and node spread"
                )
            if isinstance(given, list) and name in KNATIVE_PODS:
                where = f"KnativeServing {res.namespace}/{res.k8s_name} workload {name} topologySpreadConstraints"
                yield from _spread_selects(where, given, KNATIVE_PODS[name], f"Knative's {name}")


def _spread_selects(where: str, constraints: list[Any], pods: Mapping[str, Any], whose: str) -> Iterator[str]:
    """Each constraint's ``labelSelector`` selects the pods of the workload the spread is on (:data:`CHART_PODS`,
    :data:`KNATIVE_PODS`): a selector matching none of them counts none, and the replicas may share one zone
    (rev17k 20: the cert-manager webhook's spread selecting the controller's pods). The check ``keda-ha-values``
    makes for KEDA's components, for every spread the platform promises."""
    for i, constraint in enumerate(constraints):
        if constraint is UNKNOWN or as_map(constraint).get("labelSelector") is UNKNOWN:
            continue
        why = selector_misses(as_map(constraint).get("labelSelector"), pods)
        if why:
            yield (
                f"{where}[{i}] labelSelector has {why}: the spread counts none of {whose}'s pods, so they may all "
                "land in one zone on prod"
            )


def _zone_spread(res: Resource) -> Iterator[str]:
    """On prod, every spread the platform sets on its add-ons (Helm values, KnativeServing workloads) includes the
    zone (:data:`ZONE_KEY`), and none it promises is missing or empty (:func:`_promised_spread`)."""
    yield from _promised_spread(res)
    if res.type in HELM_TYPES:
        where, doc = f"Helm release {res.props.get('name', res.name)} values", res.props.get("values")
    elif is_k8s(res, "KnativeServing"):
        where, doc = f"KnativeServing {res.namespace}/{res.k8s_name} spec", res.props.get("spec")
    else:
        return
    for path, constraints in _spreads(doc):
        keys = [as_map(c).get("topologyKey") for c in constraints]
        if constraints and UNKNOWN not in keys and ZONE_KEY not in keys:
            yield (
                f"{where} {path} spreads over {', '.join(map(str, keys))} only on prod: every replica may land in one "
                f"zone; add {ZONE_KEY}"
            )


def _prod_knative(res: Resource) -> Iterator[str]:
    """On prod, Knative's HA control plane (``high-availability.replicas``: controller, webhook, autoscaler...) and
    the activator (its ``workloads[]`` replicas, else the HA count) keep at least 2 replicas (knative/operator
    knative-v1.21.4 KnativeServing CRD, crd-schemas/operator.knative.dev/knativeserving_v1beta1.json). The activator
    buffers every request to a model at zero; the webhook admits every Knative object."""
    where = f"KnativeServing {res.namespace}/{res.k8s_name}"
    raw = as_map(res.get("spec.high-availability")).get("replicas")
    if raw is UNKNOWN:
        return
    ha = _int_or_none(raw)
    if ha is None or ha < PROD_MIN_MESH_REPLICAS:
        yield (
            f"{where} high-availability.replicas is {raw!r} on prod: Knative's controller and webhook run single; "
            f"keep at least {PROD_MIN_MESH_REPLICAS}"
        )
    for w in as_list(res.get("spec.workloads")):
        w = as_map(w)
        if w.get("name") != "activator" or w.get("replicas") is UNKNOWN:
            continue
        n = _int_or_none(w.get("replicas")) or ha
        if n is None or n < PROD_MIN_MESH_REPLICAS:
            yield (
                f"{where} runs {n!r} activator replica(s) on prod: one eviction stops scale from zero; keep at least "
                f"{PROD_MIN_MESH_REPLICAS}"
            )


def _prod_mesh_replicas(res: Resource, facts: Facts) -> Iterator[str]:
    """On prod, the ingress gateway (every public request) and istiod (every sidecar's configuration and
    certificates) keep at least two replicas, the HPA's floor included (``autoscaling.minReplicas`` /
    ``autoscaleMin`` when autoscaling, the charts' default), and a PodDisruptionBudget the chart renders."""
    if facts.environment != "prod":
        return
    yield from _zone_spread(res)
    if is_k8s(res, "KnativeServing"):
        yield from _prod_knative(res)
        return
    if is_k8s(res, "HorizontalPodAutoscaler"):
        floor = res.get("spec.minReplicas")
        if floor is not UNKNOWN and (_int_or_none(floor) or 1) < PROD_MIN_MESH_REPLICAS:
            yield (
                f"HorizontalPodAutoscaler {res.namespace}/{res.k8s_name} may scale to {floor or 1} replica(s) on prod "
                f"(minReplicas; Kubernetes' default is 1): keep at least {PROD_MIN_MESH_REPLICAS}"
            )
        return
    if res.type not in HELM_TYPES:
        return
    values = res.props.get("values")
    if not isinstance(values, Mapping):
        return
    chart = str(res.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]
    known = next((h for h in HELM_PDBS if h.chart == chart), None)
    if known is None:
        return
    d = known.defaults
    auto = _value(values, known.autoscale_path, d) is not False
    path = known.min_path if auto else known.replicas_path
    raw = _value(values, path, d)
    floor = _int_or_none(raw)
    release = res.props.get("name", res.name)
    if raw is UNKNOWN:
        return
    if floor is None or floor < PROD_MIN_MESH_REPLICAS:
        yield (
            f"Helm release {release} ({chart}) may run {floor if floor is not None else raw!r} replica(s) on prod "
            f"({path}): one eviction or node loss stops it; keep at least {PROD_MIN_MESH_REPLICAS}"
        )
        return
    enabled = _value(values, known.enabled_path, d) if known.enabled_path else True
    if enabled is not True or not as_map(_value(values, known.spec_path, d)):
        yield f"Helm release {release} ({chart}) renders no PodDisruptionBudget on prod: a drain may evict them all"


KSERVE_CHART = "kserve-resources"
KSERVE_CONTROLLER = ("apps/v1", "Deployment", "kserve-controller-manager")
"""The Deployment the kserve-resources chart renders for KServe's controller (and its admission webhook): KServe
v0.20.0 charts/kserve-resources/files/kserve/resources.yaml (``apiVersion: apps/v1``, ``kind: Deployment``, ``name:
kserve-controller-manager``) and files/kserve/deployment-patch.yaml. The chart has no replica setting, so on prod a
HorizontalPodAutoscaler must target it by this name (components/platform/kserve.py); one naming another Deployment
scales nothing and prod runs one controller (rev17j j11: ``name=RELEASE``, ``kserve``, planned clean). The rule's own
copy of the chart's fact, not components/platform/kserve.py ``CONTROLLER``."""


def _prod_kserve_controller(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """On prod, each kserve-resources release's controller Deployment (:data:`KSERVE_CONTROLLER`, in the release's
    namespace) is the target of a HorizontalPodAutoscaler (whose floor :func:`_prod_mesh_replicas` judges)."""
    if facts.environment != "prod":
        return
    hpas = [r for r in resources if is_k8s(r, "HorizontalPodAutoscaler")]
    if any(r.props.get("spec") is UNKNOWN or r.get("spec.scaleTargetRef") is UNKNOWN for r in hpas):
        return  # known only after deploy: not judged
    for release in resources:
        if release.type not in HELM_TYPES:
            continue
        if str(release.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1] != KSERVE_CHART:
            continue
        namespace = release.props.get("namespace")
        if namespace is UNKNOWN:
            continue
        targets = [
            as_map(r.get("spec.scaleTargetRef"))
            for r in hpas
            if r.namespace == namespace or (not r.namespace and namespace == "default")
        ]
        wanted = dict(zip(("apiVersion", "kind", "name"), KSERVE_CONTROLLER, strict=True))
        if any({k: t.get(k) for k in wanted} == wanted for t in targets):
            continue
        shown = ", ".join(f"{t.get('kind')} {t.get('name')}" for t in targets) or "none"
        yield Finding(
            release.urn,
            f"Helm release {release.props.get('name', release.name)} ({KSERVE_CHART}): no HorizontalPodAutoscaler "
            f"in namespace {namespace} targets {KSERVE_CONTROLLER[0]} {KSERVE_CONTROLLER[1]} {KSERVE_CONTROLLER[2]} "
            f"on prod (targets: {shown}): the chart sets no replicas, so KServe's controller and its webhook run "
            "single",
        )


KNATIVE_PDB_WORKLOADS = {"activator-pdb": "activator", "webhook-pdb": "webhook"}
"""The PodDisruptionBudgets Knative Serving ships (knative/serving config/core/deployments/activator.yaml
``activator-pdb`` and webhook.yaml ``webhook-pdb``) and the Deployment each selects. The Knative operator's
KnativeServing overrides them with ``spec.podDisruptionBudgets[]`` ("A mapping of podDisruptionBudget name to
override", minAvailable/maxUnavailable as in Kubernetes), and the replicas with ``spec.workloads[].replicas`` or,
for the HA parts of the control plane, ``spec.high-availability.replicas`` ("The number of replicas that HA parts of
the control plane will be scaled to"): knative/operator knative-v1.21.4 KnativeServing CRD,
shared/upstream/crd-schemas/operator.knative.dev/knativeserving_v1beta1.json."""


def _knative_budgets(res: Resource) -> Iterator[Budget]:
    """Each KnativeServing PodDisruptionBudget override with the replicas of the Deployment it selects: the
    workload's own ``replicas``, else ``high-availability.replicas`` (unknown otherwise: not judged)."""
    ha = _int_or_none(as_map(res.get("spec.high-availability")).get("replicas"))
    replicas = {
        str(as_map(w).get("name")): _int_or_none(as_map(w).get("replicas")) for w in as_list(res.get("spec.workloads"))
    }
    for i, pdb in enumerate(as_list(res.get("spec.podDisruptionBudgets"))):
        pdb = as_map(pdb)
        workload = KNATIVE_PDB_WORKLOADS.get(str(pdb.get("name")))
        n = (replicas.get(workload) or ha) if workload else None
        where = f"KnativeServing {res.namespace}/{res.k8s_name} podDisruptionBudgets[{i}] ({pdb.get('name')})"
        yield Budget(where, pdb, n, f"{where} sets {{why}}: drains would hang")


def _knative_pdbs(res: Resource) -> Iterator[str]:
    """Each KnativeServing PodDisruptionBudget override judged against the replicas of the Deployment it selects."""
    for budget in _knative_budgets(res):
        why = _blocks(budget.spec, budget.replicas)
        if why:
            yield budget.blocked.replace("{why}", why)


def _pdb_allows_eviction(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type in HELM_TYPES:
        yield from _helm_pdbs(res)
        return
    if is_k8s(res, "KnativeServing"):
        yield from _knative_pdbs(res)
        return
    if res.type != PDB:
        return
    spec = as_map(res.props.get("spec"))
    name = f"{res.namespace}/{res.k8s_name}"
    if spec.get("maxUnavailable") in (0, "0", "0%"):
        yield f"PodDisruptionBudget {name} sets maxUnavailable 0: node drains and upgrades would hang"
    for key in ("maxUnavailable", "minAvailable"):
        if isinstance(spec.get(key), float) and spec[key] != spec[key]:
            yield f"PodDisruptionBudget {name} sets {key} NaN, not a number Kubernetes takes: give an integer or a %"
    if spec.get("minAvailable") == "100%":
        yield f"PodDisruptionBudget {name} sets minAvailable 100%: node drains and upgrades would hang"


def _model_pdbs(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """A declared PodDisruptionBudget that selects a model's predictor pods and keeps ``minAvailable`` at or above
    the model's ``minReplicas``: with the model at its minimum (where the autoscaler leaves it when idle) an eviction
    would leave fewer than minAvailable, so Kubernetes refuses every one and node drains hang
    (kubernetes.io/docs/tasks/run-application/configure-pdb/)."""
    from policy.rules.models import _isvcs, _selects_model

    models = _isvcs(resources)
    for pdb in (r for r in resources if r.type == PDB or is_k8s(r, "PodDisruptionBudget")):
        spec = as_map(pdb.props.get("spec"))
        need = _int_or_none(spec.get("minAvailable"))
        if spec.get("maxUnavailable") is not None or need is None:
            continue
        for model in models:
            n = model.get("spec.predictor.minReplicas")
            if model.namespace != pdb.namespace or not isinstance(n, int) or isinstance(n, bool) or n < 1:
                continue
            if _selects_model(pdb, model) and need >= n:
                yield Finding(
                    pdb.urn,
                    f"PodDisruptionBudget {pdb.namespace}/{pdb.k8s_name} keeps minAvailable {need} for model "
                    f"{model.k8s_name}, whose minReplicas is {n}: at its minimum no pod may be evicted and node "
                    f"drains hang; give minAvailable {n - 1} or less (or maxUnavailable 1)",
                )


# ------------------------------------------------------------------------------------------------ budgets protect

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "ReplicaSet")
"""Kinds whose pods a declared PodDisruptionBudget may guard (their ``spec.template.metadata.labels`` and
``spec.replicas``, Kubernetes' default 1)."""


ROUTER_POD_LABEL = "serving.kserve.io/inferencegraph"
"""The label KServe puts on an InferenceGraph's router pods, the graph's name (kserve/kserve v0.20.0
pkg/constants/constants.go ``InferenceGraphLabel``, set by pkg/controller/v1alpha1/inferencegraph/raw_ig.go and
knative_reconciler.go)."""


@dataclass(frozen=True)
class Workload:
    """Pods the plan renders: whose (for messages), their namespace, their labels (:data:`UNKNOWN` when known only
    after deploy) and how many at least."""

    whose: str
    namespace: Any
    labels: Any
    replicas: int | None


def _hpa_floor(resources: Sequence[Resource], namespace: Any, kind: str, name: str) -> int | None:
    """The ``minReplicas`` (Kubernetes' default 1) of a HorizontalPodAutoscaler in ``namespace`` scaling ``kind``
    ``name``, None when none does (or it is unknown)."""
    for r in resources:
        if not is_k8s(r, "HorizontalPodAutoscaler") or r.namespace != namespace:
            continue
        target = as_map(r.get("spec.scaleTargetRef"))
        if target.get("kind") == kind and target.get("name") == name:
            floor = r.get("spec.minReplicas")
            return None if floor is UNKNOWN else (_int_or_none(floor) or 1)
    return None


def rendered_workloads(resources: Sequence[Resource]) -> Iterator[Workload]:
    """The pods a declared PodDisruptionBudget may be for: each Helm release's workloads whose pod labels the charts'
    sources give (:data:`policy.rules.podlabels.CHART_PODS`; replicas from the values, else the HorizontalPodAutoscaler
    scaling the Deployment, else 1), each InferenceService's predictor pods (KServe's labels and the
    InferenceService's own, which KServe copies; ``minReplicas``, default 1), each InferenceGraph's router pods
    (:data:`ROUTER_POD_LABEL`; ``minReplicas``), and the Deployments, StatefulSets and ReplicaSets the plan
    declares."""
    from policy.rules.models import ISVC_POD_LABEL, PREDICTOR_POD_LABELS, _isvcs

    for r in resources:
        if r.type in HELM_TYPES and isinstance(r.props.get("values"), Mapping):
            release = str(r.props.get("name", r.name))
            namespace = r.props.get("namespace", r.namespace)
            for pods in chart_pods(_chart(r)):
                n = _int_or_none(_value(r.props["values"], pods.replicas_path, {})) if pods.replicas_path else None
                if n is None and pods.deployment:
                    n = _hpa_floor(resources, namespace, "Deployment", pods.deployment)
                labels = pods.labels(r.props["values"], release)
                yield Workload(f"{pods.workload} of Helm release {release}", namespace, labels, n or 1)
        elif any(is_k8s(r, kind) for kind in WORKLOAD_KINDS):
            labels = r.get("spec.template.metadata.labels")
            n = _int_or_none(r.get("spec.replicas"))
            floor = _hpa_floor(resources, r.namespace, r.type.rsplit(":", 1)[-1], r.k8s_name)
            yield Workload(
                f"{r.type.rsplit(':', 1)[-1]} {r.k8s_name}",
                r.namespace,
                labels if labels is UNKNOWN else as_map(labels),
                floor or n or 1,
            )
    for model in _isvcs(resources):
        n = model.get("spec.predictor.minReplicas")
        labels = {
            **{str(k): v for k, v in as_map(model.metadata.get("labels")).items()},
            ISVC_POD_LABEL: model.k8s_name,
            PREDICTOR_POD_LABELS[0]: PREDICTOR_POD_LABELS[1],
        }
        yield Workload(
            f"model {model.k8s_name}", model.namespace, labels, None if n is UNKNOWN else (_int_or_none(n) or 1)
        )
    for graph in (r for r in resources if is_k8s(r, "InferenceGraph")):
        n = graph.get("spec.minReplicas")
        labels = {ROUTER_POD_LABEL: graph.k8s_name}
        yield Workload(
            f"pipeline {graph.k8s_name}'s router",
            graph.namespace,
            labels,
            None if n is UNKNOWN else (_int_or_none(n) or 1),
        )


def _declared_budgets(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """Each PodDisruptionBudget the plan declares selects the pods of a workload the plan renders in its namespace
    (:func:`rendered_workloads`), and keeps at least one of them when it runs more than one (:func:`keeps_one`)."""
    workloads = list(rendered_workloads(resources))
    for pdb in (r for r in resources if r.type == PDB or is_k8s(r, "PodDisruptionBudget")):
        spec = pdb.props.get("spec")
        if spec is UNKNOWN or as_map(spec).get("selector") is UNKNOWN:
            continue
        spec = as_map(spec)
        name = f"PodDisruptionBudget {pdb.namespace}/{pdb.k8s_name}"
        here = [w for w in workloads if w.namespace == pdb.namespace]
        if any(w.labels is UNKNOWN for w in here) or any(w.namespace is UNKNOWN for w in workloads):
            continue  # some pods' labels are known only after deploy: not judged
        selected = [w for w in here if selector_misses(spec.get("selector"), w.labels) is None]
        if not selected:
            shown = "; ".join(f"{w.whose}: {dict(w.labels)}" for w in here) or "none"
            yield Finding(
                pdb.urn,
                f"{name} selects {dict(as_map(as_map(spec.get('selector')).get('matchLabels')))}, which none of the "
                f"pods the platform renders in {pdb.namespace} carry (their labels: {shown}): it protects nothing, "
                "a drain may evict every replica; select the workload's pod template labels",
            )
            continue
        for w in selected:
            why = keeps_one(spec, w.replicas)
            if why:
                yield Finding(
                    pdb.urn,
                    f"{name} for {w.whose} sets {why}: it protects nothing; keep maxUnavailable below the replicas "
                    "(or minAvailable at least 1)",
                )


HA_BUDGET_GATES = {"vector": ("replicas", "podDisruptionBudget.enabled")}
"""Charts of the platform's add-ons whose PodDisruptionBudget a value gates, with the value holding the replicas: the
vector chart renders its budget only ``{{- if .Values.podDisruptionBudget.enabled }}`` (vectordotdev/helm-charts
charts/vector/templates/pdb.yaml, read at commit 29cb5239) for the ``replicas`` of its StatefulSet; absent: none."""


def _replicated_without_budget(res: Resource) -> Iterator[str]:
    """A Helm release that runs 2 or more replicas of a workload renders its PodDisruptionBudget: without one a drain
    may evict every replica at once (rev17l 19: the request-log collector's two prod replicas left unprotected).
    Judged for the charts in :data:`HA_BUDGET_GATES`, and for any values map that sets ``replicas``/``replicaCount``
    to 2 or more beside a ``podDisruptionBudget`` whose ``enabled`` is false."""
    if res.type not in HELM_TYPES or not isinstance(values := res.props.get("values"), Mapping):
        return
    chart = str(res.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]
    release = res.props.get("name", res.name)
    gate = HA_BUDGET_GATES.get(chart)
    if gate is not None:
        replicas = _int_or_none(_value(values, gate[0], {}))
        enabled = _value(values, gate[1], {})
        if replicas is not None and replicas >= 2 and enabled is not True and enabled is not UNKNOWN:
            yield (
                f"Helm release {release} ({chart}) runs {replicas} replicas with values {gate[1]} {enabled!r}: no "
                "PodDisruptionBudget, so a drain may evict every replica at once; enable it (minAvailable 1)"
            )
        return

    def walk(node: Any, path: str) -> Iterator[str]:
        if not isinstance(node, Mapping):
            return
        count = next((c for k in ("replicas", "replicaCount") if (c := _int_or_none(node.get(k))) is not None), None)
        budget = node.get("podDisruptionBudget")
        if count is not None and count >= 2 and isinstance(budget, Mapping) and budget.get("enabled") is False:
            where = f"{path}.podDisruptionBudget" if path else "podDisruptionBudget"
            yield (
                f"Helm release {release} ({chart}) runs {count} replicas with values {where}.enabled false: no "
                "PodDisruptionBudget, so a drain may evict every replica at once; enable it (minAvailable 1)"
            )
        for key, child in node.items():
            yield from walk(child, f"{path}.{key}" if path else str(key))

    yield from walk(values, "")


def _budgets_keep_one(res: Resource, facts: Facts) -> Iterator[str]:
    """Each PodDisruptionBudget rendered from Helm values or a KnativeServing override (:func:`rendered_budgets`, the
    chart's own selector) keeps at least one pod of its workload when it runs more than one; a replicated add-on
    renders one (:func:`_replicated_without_budget`)."""
    yield from _replicated_without_budget(res)
    for budget in rendered_budgets(res):
        why = keeps_one(budget.spec, budget.replicas)
        if why:
            yield (
                f"{budget.where} renders a PodDisruptionBudget with {why}: it protects nothing; keep minAvailable at "
                "least 1 (or maxUnavailable below the replicas)"
            )


# ------------------------------------------------------------------------------------------------ unknown reads
# What the rules above read and compare: a value known only after deploy (or NaN) there is named in the rule's
# passing entry, so ``check --strict`` fails it (red team #17 cause 4, N02a/N02c: a PDB's maxUnavailable as NaN or
# unknown read as "lets one go"). The program never renders these from outputs (tests/policy/
# test_policy_unknown_reads.py checks the shipped stacks leave these rules with nothing unchecked, bar named ones).

POD_SECURITY_KEYS = (
    "securityContext",
    "podSecurityContext",
    "containerSecurityContext",
    "seccompProfile",
    "cni",
    "hostNetwork",
    "hostPID",
)
"""Keys of a pod spec or of Helm values whose values decide the pod-security rules."""
PDB_KEYS = (
    "podDisruptionBudget",
    "pdb",
    "podDisruptionBudgets",
    "defaultPodDisruptionBudget",
    "replicaCount",
    "replicas",
    "minReplicas",
    "autoscaleMin",
    "autoscaleEnabled",
    "autoscaling",
    "high-availability",
)
"""Keys of Helm values or a KnativeServing spec whose values decide whether a PodDisruptionBudget blocks drains."""


def _pod_security_unknown(res: Resource) -> str | None:
    if res.type in HELM_TYPES:
        found = unknown_keys(res.props.get("values"), POD_SECURITY_KEYS, "values")
    elif is_k8s(res, "KnativeServing"):
        found = unknown_path(res.props, "spec.config.features")
    elif res.type.startswith("kubernetes:"):
        found = unknown_path(res.props, "spec") or next(
            (f for path, pod in pod_specs(res) if (f := _pod_unknown(path, pod))), None
        )
    else:
        return None
    return f"{who(res)} {found}" if found else None


def _pod_unknown(path: str, pod: Mapping[str, Any]) -> str | None:
    for host in ("hostNetwork", "hostPID", "hostIPC"):
        if (found := unknown_within(pod.get(host), f"{path}.{host}")) is not None:
            return found
    if (found := unknown_within(pod.get("securityContext"), f"{path}.securityContext")) is not None:
        return found
    for key in ("containers", "initContainers"):
        if pod.get(key) is UNKNOWN:
            return f"{path}.{key}"
    for cpath, c in containers(pod):
        if (found := unknown_within(c.get("securityContext"), f"{path}.{cpath}.securityContext")) is not None:
            return found
    return None


def _namespace_unknown(res: Resource) -> str | None:
    if res.type != NAMESPACE:
        return None
    found = unknown_path(res.props, "metadata.labels") or unknown_within(res.metadata.get("labels"), "metadata.labels")
    return f"{who(res)} {found}" if found else None


def _pdb_unknown(res: Resource) -> str | None:
    if res.type in HELM_TYPES:
        found = unknown_keys(res.props.get("values"), PDB_KEYS, "values")
    elif is_k8s(res, "KnativeServing"):
        found = unknown_keys(res.props.get("spec"), PDB_KEYS, "spec")
    elif is_k8s(res, "PodDisruptionBudget"):
        found = (
            unknown_path(res.props, "spec.maxUnavailable")
            or unknown_path(res.props, "spec.minAvailable")
            or unknown_path(res.props, "spec.selector")
        )
    else:
        return None
    return f"{who(res)} {found}" if found else None


def _replicas_unknown(res: Resource) -> str | None:
    if res.type in HELM_TYPES:
        found = unknown_keys(res.props.get("values"), (*PDB_KEYS, "topologySpreadConstraints"), "values")
    elif is_k8s(res, "KnativeServing"):
        found = unknown_keys(res.props.get("spec"), (*PDB_KEYS, "workloads", "topologySpreadConstraints"), "spec")
    elif is_k8s(res, "HorizontalPodAutoscaler"):
        found = unknown_path(res.props, "spec.minReplicas")
    else:
        return None
    return f"{who(res)} {found}" if found else None


def _service_unknown(res: Resource) -> str | None:
    if res.type == SERVICE or is_k8s(res, "Service"):
        found = unknown_path(res.props, "spec.type")
    elif res.type in HELM_TYPES:
        found = unknown_keys(res.props.get("values"), ("type",), "values")
    else:
        return None
    return f"{who(res)} {found}" if found else None


RULES = [
    Rule(
        name="helm-version-pinned",
        description="Every Helm release names an exact chart version (no ranges, no latest).",
        enforcement="mandatory",
        area="kubernetes",
        applies_to=HELM_TYPES,
        check_resource=_helm_pinned,
        unknown=lambda r: (
            f"version of Helm chart {r.props.get('chart', r.name)}"
            if r.type in HELM_TYPES and r.props.get("version") is UNKNOWN
            else None
        ),
    ),
    Rule(
        name="no-privileged-containers",
        description=(
            "No rendered pod is privileged, escalates, adds capabilities, shares host namespaces or runs as root "
            "(outside the namespaces listed with reasons)."
        ),
        enforcement="mandatory",
        area="kubernetes",
        applies_to=("kubernetes:* workloads", "InferenceService", "ServingRuntime"),
        check_resource=_no_privileged,
        unknown=_pod_security_unknown,
    ),
    Rule(
        name="pod-restricted-hardening",
        description=(
            "Every pod the platform renders itself (models' serving containers, transformers and explainers, the "
            "ART explainer included, the stack's ServingRuntimes, warm-capacity placeholders) and every pod and "
            "container security context our Helm values set (KServe's storage-initializer, the request-log "
            "collector, KEDA's operator, metrics server and webhooks) keep allowPrivilegeEscalation: false, "
            "capabilities.drop ALL, a RuntimeDefault seccomp profile and runAsNonRoot: true, and are not privileged "
            "(the restricted Pod Security level), the request-log collector's container also with "
            "readOnlyRootFilesystem: true; with Istio CNI, Knative's secure-pod-defaults stays enabled (the "
            "queue-proxy), and istiod's cni.enabled is true whenever the istio-cni agent is installed (no privileged "
            "istio-init)."
        ),
        enforcement="mandatory",
        area="kubernetes",
        applies_to=(
            "kubernetes:* workloads",
            "InferenceService",
            "ServingRuntime",
            "kserve-resources, vector and keda Helm values",
        ),
        check_resource=_restricted,
        check_stack=_queue_proxy,
        remediation="restore the security context (components/serving/_runtime.py security_context, warm.py)",
        unknown=_pod_security_unknown,
    ),
    Rule(
        name="privileged-namespaces-listed",
        description=(
            "Only the listed add-on namespaces may enforce the privileged Pod Security level; the request-logs and "
            "keda namespaces enforce restricted."
        ),
        enforcement="mandatory",
        area="kubernetes",
        applies_to=(NAMESPACE,),
        check_resource=_privileged_namespaces,
        unknown=_namespace_unknown,
    ),
    Rule(
        name="pdb-allows-eviction",
        description=(
            "Every PodDisruptionBudget, declared, rendered from Helm values (Istio gateway and istiod, cert-manager "
            "with its default minAvailable 1, KEDA's operator, metrics server and webhooks against their replicas, "
            "any podDisruptionBudget/pdb values) or overridden in the KnativeServing "
            "(activator-pdb, webhook-pdb against their replicas), lets at least one pod be evicted."
        ),
        enforcement="mandatory",
        area="kubernetes",
        applies_to=(PDB, *HELM_TYPES, "KnativeServing"),
        check_resource=_pdb_allows_eviction,
        check_stack=_model_pdbs,
        unknown=_pdb_unknown,
    ),
    Rule(
        name="pdb-protects-pods",
        description=(
            "Every PodDisruptionBudget the platform renders protects its workload: a declared one selects the pod "
            "template labels of a workload the plan renders in its namespace (a chart's pods as its templates label "
            "them, a model's predictor pods, a pipeline's router pods, a declared Deployment or StatefulSet), and "
            "every budget, declared or rendered from Helm values or KnativeServing overrides, keeps at least one pod "
            "available when the workload runs more than one (minAvailable at least 1, maxUnavailable below the "
            "replicas); a Helm release running 2 or more replicas of an add-on renders its budget (the vector "
            "chart's podDisruptionBudget.enabled; any values map with replicas or replicaCount of 2 or more beside "
            "podDisruptionBudget.enabled false fails); pdb-allows-eviction is the other bound."
        ),
        enforcement="mandatory",
        area="kubernetes",
        applies_to=(PDB, *HELM_TYPES, "KnativeServing"),
        check_resource=_budgets_keep_one,
        check_stack=_declared_budgets,
        remediation=(
            "select the pods by the labels the workload's template gives (components/platform/kserve.py "
            "CONTROLLER_LABELS, components/serving/model_service.py); keep maxUnavailable 1 or minAvailable 1"
        ),
        unknown=_pdb_unknown,
    ),
    Rule(
        name="prod-mesh-replicas",
        description=(
            "On prod stacks the Istio ingress gateway and istiod keep at least 2 replicas (the autoscaler's floor "
            "included) and render their PodDisruptionBudget; Knative's HA control plane and activator and every "
            "HorizontalPodAutoscaler keep at least 2; KServe's controller Deployment (kserve-controller-manager) is "
            "the target of a HorizontalPodAutoscaler; every add-on spread the platform promises is given, not empty, "
            "includes the zone, and its labelSelector selects the pods of the workload it is on (as the chart labels "
            "them)."
        ),
        enforcement="mandatory",
        area="kubernetes",
        applies_to=(*HELM_TYPES, "KnativeServing", "HorizontalPodAutoscaler"),
        check_resource=_prod_mesh_replicas,
        check_stack=_prod_kserve_controller,
        unknown=_replicas_unknown,
    ),
    Rule(
        name="no-load-balancer-services",
        description="No Service of type LoadBalancer except the Istio ingress gateway.",
        enforcement="mandatory",
        area="kubernetes",
        applies_to=(SERVICE, *HELM_TYPES),
        check_resource=_no_load_balancer,
        unknown=_service_unknown,
    ),
]


# ------------------------------------------------------------------------------------------------ istio-cni bin dir

CNI_BIN_DIR_RULE = "istio-cni-bin-dir"
DEFAULT_CNI_BIN_DIR = "/opt/cni/bin"
"""The istio-cni chart's default ``cniBinDir`` (components/clusters/base.py ``cni_bin_dir``: None means it)."""


def _cni_bin_dir(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """The istio-cni release's top-level ``cniBinDir`` (components/platform/istio.py ``cni_values``) equals the
    CNI binary folder the cluster's cloud says its nodes keep (its policy module's share of the rule reads it from
    the cluster resource: GKE's ``/home/kubernetes/bin``, components/clusters/gke.py ``CNI_BIN_DIR``). Istio,
    "Platform-Specific Prerequisites" (istio.io/latest/docs/ambient/install/platform-prerequisites, GKE): "GKE uses
    nonstandard locations for CNI binaries which requires Helm overrides": elsewhere the plugin lands where the
    kubelet does not look and every pod sandbox of a meshed namespace fails. Clusters whose cloud says nothing
    (the default folder, an existing cluster) are not judged."""
    from policy.rules import percloud

    wanted = sorted({d for r in resources for d in percloud.read(CNI_BIN_DIR_RULE, r) if isinstance(d, str)})
    if len(wanted) != 1:
        return
    for r in resources:
        if r.type not in HELM_TYPES or _chart(r) not in ISTIO_CNI_CHARTS:
            continue
        values = r.props.get("values")
        given = as_map(values).get("cniBinDir", DEFAULT_CNI_BIN_DIR)
        if values is UNKNOWN or given is UNKNOWN or given == wanted[0]:
            continue
        yield Finding(
            r.urn,
            f"Helm release {r.props.get('name', r.name)} (istio-cni) puts the CNI plugin in {given}, but the "
            f"cluster's nodes read CNI binaries from {wanted[0]}: pods in meshed namespaces never start; set values "
            f"cniBinDir {wanted[0]}",
        )


_CNI_BIN_DIR_READS = reading({t: ("values.cniBinDir",) for t in HELM_TYPES})


def _cni_bin_dir_unknown(res: Resource) -> str | None:
    """The istio-cni release's ``cniBinDir`` (or its values) known only after deploy."""
    return _CNI_BIN_DIR_READS(res) if res.type in HELM_TYPES and _chart(res) in ISTIO_CNI_CHARTS else None


RULES.append(
    Rule(
        name=CNI_BIN_DIR_RULE,
        description=(
            "The istio-cni agent installs its plugin where the cluster's nodes read CNI binaries: the release's "
            "cniBinDir equals the folder the cluster's cloud names ({clouds})."
        ),
        enforcement="mandatory",
        area="mesh",
        applies_to=HELM_TYPES,
        check_stack=_cni_bin_dir,
        unknown=_cni_bin_dir_unknown,
        remediation="components/platform/istio.py cni_values gives the cluster's cni_bin_dir",
    )
)


# ------------------------------------------------------------------------------------------------ system limits

SYSTEM_LIMITS_RULE = "system-workload-limits"
SIZED_VALUES: Mapping[str, tuple[tuple[str, str], ...]] = {
    "vector": (("resources", "the request-log collector"),),
    "karpenter": (("controller.resources", "the Karpenter controller"),),
}
"""Helm values our releases set that become a system container's ``resources`` (values path, whose container), each
chart's default being ``{}`` (no requests, no limits): vector 0.56.0 (vectordotdev/helm-charts tag vector-0.56.0,
charts/vector/templates/_pod.tpl: ``with .Values.resources`` -> the ``vector`` container's ``resources``;
values.yaml ``resources: {}``), the request-log collector (components/platform/requestlog.py); karpenter 1.14.1
(aws/karpenter-provider-aws charts/karpenter/templates/deployment.yaml: ``with .Values.controller.resources`` -> the
``controller`` container's; /work/shared/upstream/chart-values/karpenter-1.14.1.yaml ``controller.resources: {}``),
the node provisioner (components/clusters/_karpenter.py). Restated here, not read from the components."""


def _system_limits(res: Resource, facts: Facts) -> Iterator[str]:
    """rev17l 23: each system container whose resources our Helm values give (:data:`SIZED_VALUES`) keeps a memory
    limit. "If you do not specify a memory limit for a Container ... The Container could use all of the memory
    available on the Node where it is running which in turn could invoke the OOM Killer" (kubernetes.io/docs/tasks/
    configure-pod-container/assign-memory-resource, "If you do not specify a memory limit"; the platform renders no
    LimitRange that would give one): a burst of request records, or of Karpenter's work, then takes the memory of the
    system node that runs the mesh's and KServe's controllers too."""
    if res.type not in HELM_TYPES or _chart(res) not in SIZED_VALUES:
        return
    values = res.props.get("values")
    if not isinstance(values, Mapping):
        return  # unknown: named by the rule's unknown hook
    release = res.props.get("name", res.name)
    for path, whose in SIZED_VALUES[_chart(res)]:
        given = _value(values, path, {})
        if given is UNKNOWN:
            continue
        limits = as_map(given).get("limits")
        memory = as_map(limits).get("memory")
        if limits is UNKNOWN or memory is UNKNOWN:
            continue
        if memory is None:
            yield (
                f"Helm release {release} ({_chart(res)}) values {path} give no limits.memory: {whose} has no memory "
                "limit and a burst can take its node's memory; set one"
            )


def _system_limits_unknown(res: Resource) -> str | None:
    """The values path of :data:`SIZED_VALUES` (or the values) known only after deploy."""
    if res.type not in HELM_TYPES or _chart(res) not in SIZED_VALUES:
        return None
    paths = tuple(f"values.{path}.limits.memory" for path, _ in SIZED_VALUES[_chart(res)])
    return reading({res.type: ("values", *paths)})(res)


RULES.append(
    Rule(
        name=SYSTEM_LIMITS_RULE,
        description=(
            "Every system container whose resources our Helm values give keeps a memory limit: the request-log "
            "collector (vector resources) and the Karpenter controller (karpenter controller.resources)."
        ),
        enforcement="mandatory",
        area="kubernetes",
        applies_to=HELM_TYPES,
        check_resource=_system_limits,
        unknown=_system_limits_unknown,
        remediation=(
            "components/platform/requestlog.py and components/clusters/_karpenter.py: keep resources.limits.memory"
        ),
    )
)
