"""KEDA: the autoscaler KServe hands a Standard-mode model to when it scales on the model server's own metrics.

A model with ``scaling.metric: llm-queue``, ``llm-running`` or ``llm-kv-cache``
(:mod:`components.serving.llm_scaling`) carries ``serving.kserve.io/autoscalerClass: keda``; KServe v0.20.0 then
creates a KEDA ``ScaledObject`` for its predictor Deployment instead of an HPA
(pkg/controller/v1beta1/inferenceservice/reconcilers/autoscaler/autoscaler_reconciler.go ``createAutoscaler``:
``AutoscalerClassKeda`` -> ``keda.NewKedaReconciler``), and KEDA's operator turns that into an HPA fed by KEDA's
external-metrics server, which asks the platform's Prometheus.

Installed only when a model asks for it or ``platform.keda: true`` (:func:`wanted`), from the pinned chart
(``keda`` in components/versions.py: kedacore/charts v2.20.2, KEDA 2.20.2), checked against KEDA's Kubernetes
compatibility matrix (:func:`check_version`). Install order: namespace -> ``keda`` release -> KServe's controller
(``kserve-resources`` waits for it, components/platform/kserve.py): the controller looks for the ``ScaledObject`` CRD
once, when it starts, and only then watches the ScaledObjects it owns (v0.20.0
pkg/controller/v1beta1/inferenceservice/controller.go ``SetupWithManager``: ``IsCrdAvailable(...,
KedaScaledObjectKind)`` -> ``Owns(&kedav1alpha1.ScaledObject{})``).

No kserve-resources value turns this on: the controller's ClusterRole already grants ``scaledobjects`` (and their
finalizers and status) in ``keda.sh`` (v0.20.0 charts/kserve-resources/files/kserve/resources.yaml), and its
``opentelemetryCollector`` values serve only the OpenTelemetry ``PodMetric`` path, which the platform does not offer.

Hardening, each a key of the chart's values.yaml at v2.20.2 (kedacore/charts keda/values.yaml, commit
cbb9bb8ce0809dc9048f72302f7c09765d66ed56; tests/platform/test_values_upstream.py pins the paths used):

- the ``restricted`` Pod Security level in its namespace: every pod runs as non-root with the RuntimeDefault seccomp
  profile, and every container drops all capabilities, refuses privilege escalation and has a read-only root
  filesystem (``podSecurityContext.<component>``, ``securityContext.<component>``; the chart's defaults say the same
  but for the pod-level seccomp profile, and are pinned here so a chart change cannot loosen them);
- the system pool (``nodeSelector``); with HA two replicas of the operator (leader election: one active, one standing
  by), of the metrics server and of the admission webhooks, each with a PodDisruptionBudget of ``minAvailable: 1``
  and zone spread (``operator.replicaCount``, ``metricsServer.replicaCount``, ``webhooks.replicaCount``,
  ``podDisruptionBudget.<component>``, ``topologySpreadConstraints.<component>``). keda.sh/docs/2.20/operate/cluster/
  "High Availability": the operator's extra replicas stand by; the metrics server may run several replicas.
- no Istio sidecar (the namespace has no injection label, as cert-manager's and KServe's): KEDA talks to the API
  server and to Prometheus, whose namespace is outside the mesh too, and the API server reaches KEDA's metrics
  server (6443) and admission webhook (9443) directly (components/clusters/reachability.py opens both on GKE).
- the chart's own NetworkPolicies stay off (``networkPolicy.enabled: false``, the default): their ingress rules
  admit only pods (``from: [namespaceSelector: {}]`` on 6443, keda/templates/metrics-server/networkpolicy.yaml at
  v2.20.2), and the API server that calls the metrics APIService is no pod on a managed control plane, so turning
  them on would cut the external metrics every ScaledObject's HPA reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.errors import SpecError
from components.platform.common import AddonContext, drop_empty
from components.platform.compat import minor
from components.platform.settings import PlatformSettings
from components.versions import KEDA_KUBERNETES, chart

NAMESPACE = "keda"
"""KEDA's namespace: the one KServe's own defaults expect KEDA's add-ons in (kserve-resources v0.20.0 values
``kserve.opentelemetryCollector.metricScalerEndpoint: keda-otel-scaler.keda.svc:4318``)."""
RELEASE = "keda"
OPERATOR = "keda-operator"
METRICS_SERVER = f"{OPERATOR}-metrics-apiserver"
WEBHOOKS = "keda-admission-webhooks"
COMPONENT_LABELS = {"operator": OPERATOR, "metricsServer": METRICS_SERVER, "webhooks": WEBHOOKS}
"""The ``app`` label of each component's pods, by the chart's values key: the selectors of the chart's
PodDisruptionBudgets at v2.20.2 (keda/templates/manager/poddisruptionbudget.yaml ``app: {{ .Values.operator.name
}}``, metrics-server/poddisruptionbudget.yaml ``{{ .Values.operator.name }}-metrics-apiserver``,
webhooks/poddisruptionbudget.yaml ``{{ .Values.webhooks.name }}``; names from values ``operator.name`` and
``webhooks.name``)."""
PDB_KEYS = {"operator": "operator", "metricsServer": "metricServer", "webhooks": "webhooks"}
"""The chart's ``podDisruptionBudget`` key of each component (values.yaml: ``operator``, ``metricServer``,
``webhooks``)."""
SECURITY_KEYS = {"operator": "operator", "metricsServer": "metricServer", "webhooks": "webhooks"}
"""The chart's ``securityContext`` and ``podSecurityContext`` key of each component (values.yaml)."""

POD_SECURITY_CONTEXT: dict[str, Any] = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
CONTAINER_SECURITY_CONTEXT: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}
"""What the ``restricted`` Pod Security level asks of every container (kubernetes.io/docs/concepts/security/
pod-security-standards/, Restricted: privilege escalation, non-root, seccomp, capabilities drop ALL), plus a
read-only root filesystem as the chart's default has it."""


def wanted(settings: PlatformSettings, models: Sequence[str]) -> bool:
    """Whether the platform installs KEDA: ``platform.keda`` when given, else when a model scales on an LLM metric.

    ``platform.keda: false`` with such models is refused (one line naming them): KServe would create ScaledObjects
    nothing acts on, and the models would never scale.
    """
    if settings.keda is False and models:
        raise SpecError(
            "platform.keda",
            False,
            f"model(s) {', '.join(sorted(models))} scale on an LLM metric through KEDA; set platform.keda: true (or "
            "leave it out), or give those models another scaling.metric",
        )
    return bool(settings.keda) or bool(models)


def check_version(settings: PlatformSettings, kubernetes_version: str) -> None:
    """Refuse a KEDA chart whose line is not known to run on ``kubernetes_version`` (:data:`KEDA_KUBERNETES`), unless
    ``platform.allowUnsupportedVersions`` is set."""
    if settings.allow_unsupported_versions:
        return
    version = chart("keda", settings.versions).version
    line = minor(version) or version
    bounds = KEDA_KUBERNETES.get(line)
    path = "platform.versions.keda" if "keda" in settings.versions else "cluster.kubernetesVersion"
    if bounds is None:
        known = ", ".join(f"{k}.x" for k in KEDA_KUBERNETES)
        raise SpecError(
            "platform.versions.keda",
            version,
            f"KEDA {line} is not in the compatibility table; give {known} or set platform.allowUnsupportedVersions: "
            "true",
        )
    k8s_minor = minor(kubernetes_version)  # check_versions ran first and refused a non-version
    key = tuple(int(p) for p in (k8s_minor or "0.0").split("."))
    low, high = (tuple(int(p) for p in b.split(".")) for b in bounds)
    if not low <= key <= high:
        raise SpecError(
            path,
            version if path == "platform.versions.keda" else kubernetes_version,
            f"KEDA {line} is tested on Kubernetes {bounds[0]} to {bounds[1]} (keda.sh compatibility matrix); give a "
            "KEDA version for this Kubernetes or set platform.allowUnsupportedVersions: true",
        )


def values(ctx: AddonContext) -> dict[str, Any]:
    """KEDA chart values: CRDs installed, system pool, ``restricted`` security contexts, HA replicas with PDBs and
    zone spread (module docstring)."""
    pdb = {"minAvailable": 1} if ctx.ha else {}
    return drop_empty(
        {
            "crds": {"install": True},
            "operator": {"replicaCount": ctx.replicas},
            "metricsServer": {"replicaCount": ctx.replicas},
            "webhooks": {"replicaCount": ctx.replicas},
            "nodeSelector": ctx.system_selector,
            "podDisruptionBudget": {PDB_KEYS[c]: pdb for c in COMPONENT_LABELS},
            "topologySpreadConstraints": {c: ctx.spread({"app": app}) for c, app in COMPONENT_LABELS.items()},
            "podSecurityContext": {SECURITY_KEYS[c]: dict(POD_SECURITY_CONTEXT) for c in COMPONENT_LABELS},
            "securityContext": {SECURITY_KEYS[c]: dict(CONTAINER_SECURITY_CONTEXT) for c in COMPONENT_LABELS},
            "networkPolicy": {"enabled": False},
        }
    )


def install(ctx: AddonContext, namespace: pulumi.Resource) -> k8s.helm.v3.Release:
    """The KEDA release in its ``restricted`` namespace (Helm waits for its Deployments)."""
    return ctx.release(
        "keda", "keda", release_name=RELEASE, namespace=NAMESPACE, values=values(ctx), depends_on=[namespace]
    )
