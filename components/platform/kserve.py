"""KServe: ``kserve-crd`` -> ``kserve-resources`` (released as ``kserve``) -> ``kserve-runtime-configs`` (each waits
only on what it needs, :func:`install`).

The controller's gateway and domain settings match the Istio and Knative install (the same gateway, the same domain,
HTTPS URLs). The resources chart has no replica setting: with HA a HorizontalPodAutoscaler pinned to two replicas
(min = max; the HPA controller raises a Deployment below its minimum even without metrics, and Helm leaves
``replicas`` alone since the chart does not set it) runs two controllers (leader election picks one; both serve the
admission webhook, whose absence is what breaks installs: kserve#1893), and a PodDisruptionBudget lets one be
evicted at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.naming import child_name, child_opts
from components.platform.common import AddonContext, drop_empty

NAMESPACE = "kserve"
RELEASE = "kserve"
CONTROLLER = "kserve-controller-manager"
CONTROLLER_LABELS = {"control-plane": CONTROLLER}


@dataclass(frozen=True)
class KServe:
    """What the KServe step leaves: the three releases in install order."""

    crd: k8s.helm.v3.Release
    resources: k8s.helm.v3.Release
    runtimes: k8s.helm.v3.Release


STORAGE_INITIALIZER_SECURITY_CONTEXT: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "privileged": False,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
"""The storage-initializer's container security context: the chart's default plus the RuntimeDefault seccomp
profile, which makes it meet the ``restricted`` Pod Security level. The chart renders the whole map into the
``default`` ClusterStorageContainer (templates/clusterstoragecontainer.yaml: ``securityContext: toYaml
.Values.kserve.storage.containerSecurityContext``), and KServe's pod webhook merges that container spec into the
injected init container."""


def resources_values(ctx: AddonContext, gateway: str) -> dict[str, Any]:
    """kserve-resources values: deployment mode, the ingress gateway and domain, HTTPS URLs, system pool, and a
    ``restricted``-compliant security context for the storage-initializer."""
    return drop_empty(
        {
            "kserve": {
                "storage": {"containerSecurityContext": STORAGE_INITIALIZER_SECURITY_CONTEXT},
                "controller": {
                    "deploymentMode": ctx.settings.deployment_mode,
                    "gateway": {
                        "domain": ctx.settings.domain,
                        "urlScheme": "https",
                        "ingressGateway": ingress_gateway(ctx, gateway),
                    },
                    "nodeSelector": ctx.system_selector,
                    "topologySpreadConstraints": ctx.spread(CONTROLLER_LABELS),
                },
            }
        }
    )


def ingress_gateway(ctx: AddonContext, gateway: str) -> dict[str, Any]:
    """The ``kserve.controller.gateway.ingressGateway`` values. Knative mode: the Istio gateway Knative's routes use.
    Standard mode: Gateway API (``enableGatewayApi``) with ``kserveGateway`` the platform's TLS Gateway, so KServe
    publishes HTTPRoutes on it. Without it KServe v0.20.0 makes an Ingress of class ``istio``
    (kube_ingress_reconciler.go ``IngressClassName: ingressConfig.IngressClassName``) that Istio ignores without an
    IngressClass, and that would carry no TLS (the reconciler sets no ``spec.tls``). The chart maps these keys to
    the inferenceservice-config ``ingress`` entries ``enableGatewayApi`` and ``kserveIngressGateway``
    (v0.20.0 charts/_common/common-patches/configmap-patch.yaml)."""
    if ctx.settings.deployment_mode == "Standard":
        return {"enableGatewayApi": True, "kserveGateway": gateway, "gateway": gateway, "className": "istio"}
    return {"gateway": gateway, "className": "istio"}


RUNTIME_VALUES: dict[str, Any] = {"kserve": {"servingruntime": {"enabled": True}}}
"""kserve-runtime-configs values: the chart installs the ClusterServingRuntimes only when this is on (default off)."""


def install(
    ctx: AddonContext,
    namespace: pulumi.Resource,
    *,
    cert_manager: pulumi.Resource,
    controller_needs: Sequence[pulumi.Resource],
    gateway: str,
) -> KServe:
    """The three KServe releases, each after what it needs.

    - ``kserve-crd`` (CRDs only) waits for its namespace alone.
    - ``kserve`` (kserve-resources) waits for: the CRDs (the chart declares a ``ClusterStorageContainer``, a
      custom resource of kserve-crd, templates/common/clusterstoragecontainer.yaml, and the controller watches the
      KServe kinds); ``cert_manager``, the cert-manager release: the chart's webhook certificate is a cert-manager
      ``Certificate`` (``serving-cert``, templates/kserve/certificate_serving-cert.yaml) that the controller pod
      mounts, and its webhook configurations take their CA from cert-manager's cainjector
      (``cert-manager.io/inject-ca-from``); and ``controller_needs``: the resources whose CRDs the controller looks
      for once, when it starts (v0.20.0 pkg/controller/v1beta1/inferenceservice/controller.go ``SetupWithManager``:
      ``IsCrdAvailable`` for the Knative ``Service`` (line 629), which KnativeServing Ready brings, for Istio's
      ``VirtualService`` (644), from istio-base, and in the Standard mode's Gateway API the ``HTTPRoute`` CRD (708),
      components/platform/istio.py :func:`gateway_api_crds`; cmd/manager/main.go checks only ClusterServingRuntime).
      A controller started before them never reconciles those kinds.
    - ``kserve-runtime-configs`` waits for ``kserve``: its ClusterServingRuntimes pass KServe's validating webhook
      (``clusterservingruntime.serving.kserve.io``, ``failurePolicy: Fail``,
      templates/kserve/validatingwebhookconfiguration_clusterservingruntime.serving.kserve.io.yaml), served by the
      controller that release starts.
    """
    crd = ctx.release(
        "kserve-crd",
        "kserve-crd",
        release_name="kserve-crd",
        namespace=NAMESPACE,
        values={},
        depends_on=[namespace],
    )
    resources = ctx.release(
        "kserve-resources",
        "kserve-resources",
        release_name=RELEASE,
        namespace=NAMESPACE,
        values=resources_values(ctx, gateway),
        depends_on=[crd, cert_manager, *controller_needs],
    )
    if ctx.ha:
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            child_name(ctx.name, "kserve-controller-replicas"),
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=CONTROLLER, namespace=NAMESPACE, labels=ctx.labels("kserve-controller")
            ),
            spec=k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
                scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
                    api_version="apps/v1", kind="Deployment", name=CONTROLLER
                ),
                min_replicas=ctx.replicas,
                max_replicas=ctx.replicas,
                metrics=[
                    k8s.autoscaling.v2.MetricSpecArgs(
                        type="Resource",
                        resource=k8s.autoscaling.v2.ResourceMetricSourceArgs(
                            name="cpu",
                            target=k8s.autoscaling.v2.MetricTargetArgs(type="Utilization", average_utilization=80),
                        ),
                    )
                ],
            ),
            opts=child_opts(ctx.parent, provider=ctx.cluster.provider, depends_on=[resources]),
        )
        k8s.policy.v1.PodDisruptionBudget(
            child_name(ctx.name, "kserve-controller-pdb"),
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=CONTROLLER, namespace=NAMESPACE, labels=ctx.labels("kserve-controller")
            ),
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                max_unavailable=1, selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(CONTROLLER_LABELS))
            ),
            opts=child_opts(ctx.parent, provider=ctx.cluster.provider, depends_on=[resources]),
        )
    runtimes = ctx.release(
        "kserve-runtime-configs",
        "kserve-runtime-configs",
        release_name="kserve-runtime-configs",
        namespace=NAMESPACE,
        values=RUNTIME_VALUES,
        depends_on=[resources],
    )
    return KServe(crd, resources, runtimes)
