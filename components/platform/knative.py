"""Knative Serving through the Knative operator: the operator chart, then a ``KnativeServing`` resource.

The resource turns on what GPU models need and what a GPU cold start takes:

- ``kubernetes.podspec-nodeselector``, ``-tolerations`` and ``-affinity``: without them Knative's webhook rejects
  the node selector and GPU toleration of a GPU model (kserve#1425).
- ``kubernetes.podspec-init-containers`` when a model has ``storageUris``: KServe puts its storage initializer into
  the Knative Service then (:func:`features`); ``kubernetes.podspec-persistent-volume-claim`` and ``-write`` when one
  of them is ``pvc://``: KServe puts the claim's volume there too.
- ``progress-deadline`` 30 min (:data:`PROGRESS_DEADLINE`): a revision that scales a GPU pool from zero needs the
  node (2-11 min), the image (0.3-4 min), the weights and the engine start: 3-20 min end to end (research:
  performance.md). Knative's default 10 min fails such revisions (kserve#1247, ai-accelerator#22).
- ``scale-to-zero-pod-retention-period`` 10 min: the last pod of a model stays a while after traffic stops, so a
  short pause does not cost another GPU cold start.
- ``max-revision-timeout-seconds`` 30 min: a model may raise its request timeout to cover a cold start.
- ``registries-skipping-tag-resolving``: KServe's own list (nvcr.io, index.docker.io) on top of Knative's
  (:data:`SKIP_TAG_RESOLUTION`).
- Hosts ``<name>-<namespace>.<domain>`` (KServe's default template, used for Knative's own routes too), so one
  wildcard certificate covers every model.

The activator and autoscaler get Istio sidecars (mesh-wide mTLS is STRICT, and the activator sits on the request
path); the webhooks and controllers do not (the API server calls webhooks without mTLS). Prometheus scrapes the two
meshed components through a port-level PERMISSIVE exception on their metrics port.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.platform import istio
from components.platform.common import HA_ACTIVATORS, AddonContext, drop_empty
from components.versions import knative_serving_version

OPERATOR_NAMESPACE = "knative-operator"
NAMESPACE = "knative-serving"
GATEWAY = f"{NAMESPACE}/knative-ingress-gateway"
API = "operator.knative.dev/v1beta1"
PROGRESS_DEADLINE = "1800s"
RETENTION = "10m"
MAX_REVISION_TIMEOUT = "1800"
DOMAIN_TEMPLATE = "{{.Name}}-{{.Namespace}}.{{.Domain}}"
METRICS_PORT = 9090
MESHED = ("activator", "autoscaler")
"""Knative components with a sidecar (on the data path); the rest opt out of injection."""
UNMESHED = ("controller", "webhook", "autoscaler-hpa", "net-istio-controller", "net-istio-webhook")
MIGRATION_JOB = "storage-version-migration-serving-"
"""The operator's post-install Job (matched by ``generateName``): no sidecar, or the Job would never complete."""
SECURE_POD_DEFAULTS = "secure-pod-defaults"
INIT_CONTAINERS = "kubernetes.podspec-init-containers"
PVC_FEATURES = ("kubernetes.podspec-persistent-volume-claim", "kubernetes.podspec-persistent-volume-write")
"""The flags a ``pvc://`` entry of ``storageUris`` needs on Knative (:func:`features`)."""
GPU_FEATURES = ("kubernetes.podspec-nodeselector", "kubernetes.podspec-tolerations", "kubernetes.podspec-affinity")
SKIP_TAG_RESOLUTION = ("kind.local", "ko.local", "dev.local", "nvcr.io", "index.docker.io")
"""Registries whose image tags Knative does not resolve to digests when it creates a revision: Knative 1.21's
defaults (knative/serving config/core/configmaps/deployment.yaml ``registries-skipping-tag-resolving``) plus the two
KServe v0.20.0 adds in its own KnativeServing (hack/setup/infra/knative/templates/knative-serving-istio.yaml:
``nvcr.io,index.docker.io``), where the runtimes' images live (Triton on nvcr.io; KServe's servers and vLLM on
Docker Hub). Resolving them costs a registry round trip per revision, against Docker Hub's rate limits and
nvcr.io's authentication, within ``digest-resolution-timeout`` (10 s); a failed resolution fails the revision. The
value replaces Knative's list, so its defaults are repeated."""


@dataclass(frozen=True)
class Knative:
    """What the Knative step leaves: the operator release and the KnativeServing resource."""

    operator: k8s.helm.v3.Release
    serving: k8s.apiextensions.CustomResource


def operator_values(ctx: AddonContext) -> dict[str, Any]:
    """knative-operator chart values: the operator on the system pool.

    The chart has no ``nodeSelector``; its ``affinity`` default is empty for the operator (so a node affinity is
    set) but not for the operator webhook (which keeps the chart's anti-affinity; like every add-on it has no GPU
    toleration, so the GPU taint keeps it off GPU nodes).
    """
    return drop_empty({"knative_operator": {"knative_operator": {"affinity": ctx.system_affinity()}}})


def activators(ctx: AddonContext) -> int:
    """Activator replicas: 3 with HA (request buffering during scale from zero must survive a drain), else 1."""
    return HA_ACTIVATORS if ctx.ha else 1


def serving_spec(
    ctx: AddonContext, tls_secret: str, *, init_containers: bool = False, pvc_volumes: bool = False
) -> dict[str, Any]:
    """The KnativeServing spec (see the module docstring for each choice); ``init_containers``, ``pvc_volumes``:
    see :func:`features`."""
    domain = ctx.settings.domain
    workloads: list[dict[str, Any]] = []
    for name in (*MESHED, *UNMESHED):
        entry: dict[str, Any] = {"name": name}
        if name == "activator":
            entry["replicas"] = activators(ctx)
        if name in UNMESHED:
            entry["annotations"] = {"sidecar.istio.io/inject": "false"}
        if ctx.system_selector:
            entry["nodeSelector"] = ctx.system_selector
        spread = ctx.spread({"app": name})
        if spread:
            entry["topologySpreadConstraints"] = spread
        workloads.append(entry)
    workloads.append({"name": MIGRATION_JOB, "annotations": {"sidecar.istio.io/inject": "false"}})
    return {
        "version": knative_serving_version(ctx.chart("knative-operator").version),
        "high-availability": {"replicas": ctx.replicas},
        "ingress": {
            "istio": {
                "enabled": True,
                "knative-ingress-gateway": {
                    "selector": dict(istio.GATEWAY_SELECTOR),
                    "servers": istio.gateway_servers(domain, tls_secret),
                },
            }
        },
        "config": {
            "domain": {domain: ""},
            "network": {"domain-template": DOMAIN_TEMPLATE},
            "features": features(ctx, init_containers=init_containers, pvc_volumes=pvc_volumes),
            "deployment": {
                "progress-deadline": PROGRESS_DEADLINE,
                "registries-skipping-tag-resolving": ",".join(SKIP_TAG_RESOLUTION),
            },
            "autoscaler": {"scale-to-zero-pod-retention-period": RETENTION},
            "defaults": {"max-revision-timeout-seconds": MAX_REVISION_TIMEOUT},
        },
        "workloads": workloads,
        "podDisruptionBudgets": [
            {"name": "activator-pdb", "minAvailable": activators(ctx) - 1},
            {"name": "webhook-pdb", "minAvailable": ctx.replicas - 1},
        ],
    }


def features(ctx: AddonContext, *, init_containers: bool = False, pvc_volumes: bool = False) -> dict[str, str]:
    """Knative feature flags: the GPU pod-spec flags, and with Istio CNI (model namespaces then enforce the
    ``restricted`` Pod Security level) ``secure-pod-defaults: enabled``, which gives the queue-proxy sidecar the
    RuntimeDefault seccomp profile ``restricted`` requires (Knative's secure-pod-defaults docs).

    ``init_containers`` (a model has ``storageUris``): ``kubernetes.podspec-init-containers: enabled``
    (:data:`INIT_CONTAINERS`). For ``storageUris`` KServe v0.20.0 writes its storage initializer into the Knative
    Service's pod template itself (pkg/controller/v1beta1/inferenceservice/reconcilers/knative/ksvc_reconciler.go:
    ``CommonStorageInitialization`` appends to ``PodSpec.InitContainers``), and Knative v1.21's webhook refuses a
    pod template with init containers unless that feature is on (knative/serving@knative-v1.21.3
    pkg/apis/serving/k8s_validation.go ``validateInitContainers``: "pod spec support for init-containers is off";
    pkg/apis/config/features.go: ``PodSpecInitContainers: Disabled`` by default), so the InferenceService never
    becomes Ready (red14l break 3). KServe's page says so: "For Knative deployments, the Knative init container
    feature flag must be enabled" (kserve.github.io/website/docs/model-serving/storage/multiple-storage-uris, "Before
    you begin"). A single ``storageUri`` needs none: KServe's pod webhook adds that initializer to the pod, after
    Knative validated the template (pkg/webhook/admission/pod/storage_initializer_injector.go), so the flag stays
    off (Knative's default) for stacks without ``storageUris``.

    ``pvc_volumes`` (a model's ``storageUris`` has a ``pvc://`` entry): :data:`PVC_FEATURES` enabled (exp14r F1). The
    same call mounts such an entry's claim straight into the Knative Service's pod template, a ``persistentVolumeClaim``
    volume without ``readOnly`` (storage_initializer_injector.go ``CommonStorageInitialization`` -> pkg/utils/storage.go
    ``AddModelMount``, KServe v0.20.0; the containers' mounts are read-only, ``storage.kserve.io/readonly``), and
    Knative v1.21's webhook refuses a claim unless ``kubernetes.podspec-persistent-volume-claim`` is on, and one whose
    volume is not ``readOnly`` unless ``kubernetes.podspec-persistent-volume-write`` is on too (knative/serving
    knative-v1.21.3 pkg/apis/serving/k8s_validation.go ``validatePersistentVolumeClaims``: "Persistent volume claim
    support is disabled", "Persistent volume write support is disabled"; features.go: both Disabled by default). A
    single ``storageUri: pvc://...`` needs neither: KServe's pod webhook mounts it, after Knative's validation."""
    out = {flag: "enabled" for flag in GPU_FEATURES}
    if ctx.settings.istio_cni:
        out[SECURE_POD_DEFAULTS] = "enabled"
    if init_containers:
        out[INIT_CONTAINERS] = "enabled"
    if pvc_volumes:
        out.update(dict.fromkeys(PVC_FEATURES, "enabled"))
    return out


def install(
    ctx: AddonContext,
    *,
    operator_namespace: pulumi.Resource,
    serving_namespace: pulumi.Resource,
    istio_base: pulumi.Resource,
    injection: Sequence[pulumi.Resource],
    tls_secret: str,
    init_containers: bool = False,
    pvc_volumes: bool = False,
) -> Knative:
    """The operator, then KnativeServing, which waits until it is Ready.

    The operator waits on nothing but its namespace: its chart brings the ``KnativeServing`` CRD and the operator
    Deployment and uses neither Istio nor cert-manager (knative-operator chart v1.21.4). KnativeServing waits for:

    - the operator release: the release installs the ``knativeservings.operator.knative.dev`` CRD (a custom
      resource after its CRD);
    - its namespace;
    - ``injection`` (istiod, and the Istio CNI agent when on, :attr:`Istio.injection`): the ``knative-serving``
      namespace has ``istio-injection: enabled`` and the activator and autoscaler must start with their sidecars
      (:data:`MESHED`); net-istio, which ``ingress.istio.enabled`` installs, creates Istio ``Gateway`` and
      ``VirtualService`` objects, whose CRDs istio-base installs before istiod.

    It does not wait for the ingress gateway or the gateway's certificate: neither is one of KnativeServing's Ready
    conditions (its Gateway selects the gateway pods by label and names the TLS Secret; Istio serves it when both
    exist). Models wait for both (:attr:`PlatformHandles.ready`).
    """
    operator = ctx.release(
        "knative-operator",
        "knative-operator",
        release_name="knative-operator",
        namespace=OPERATOR_NAMESPACE,
        values=operator_values(ctx),
        depends_on=[operator_namespace],
    )
    serving = ctx.custom_resource(
        "knative-serving",
        API,
        "KnativeServing",
        name="knative-serving",
        namespace=NAMESPACE,
        annotations={"pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": "900"},
        spec=serving_spec(ctx, tls_secret, init_containers=init_containers, pvc_volumes=pvc_volumes),
        depends_on=[operator, serving_namespace, *injection],
    )
    for name in MESHED:
        ctx.custom_resource(
            f"knative-{name}-metrics",
            istio.SECURITY_API,
            "PeerAuthentication",
            name=f"{name}-metrics",
            namespace=NAMESPACE,
            spec={
                "selector": {"matchLabels": {"app": name}},
                "mtls": {"mode": "STRICT"},
                "portLevelMtls": {str(METRICS_PORT): {"mode": "PERMISSIVE"}},
            },
            depends_on=[istio_base, serving_namespace],
        )
    return Knative(operator, serving)


def serving_namespace_labels() -> dict[str, str]:
    """Labels of the knative-serving namespace: sidecar injection on (for the activator and autoscaler)."""
    return {"istio-injection": "enabled"}
