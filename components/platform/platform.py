"""The ``Platform`` component: what turns a bare cluster into a model-serving platform, in one ``pulumi up``.

Install graph: every add-on waits only on what it needs, each edge with its upstream reason in the module that
makes it (docs/performance.md, "Deploy in parallel"; tests/platform/test_order.py lists every edge)::

    cert-manager ----------------------------------------------+
    istio-base -> istiod -> istio-ingressgateway               |
    istio-base -> [istio-cni]                                  |
    knative-operator -> KnativeServing (after istiod, [cni]) --+-> kserve -> kserve-runtime-configs
    kserve-crd ------------------------------------------------+
    kube-prometheus-stack -> monitors, rules, dashboards; GPU device plugin (or operator), DCGM exporter
    [keda] --------------------------------------------------> kserve (its controller looks for the KEDA CRDs once)

Custom resources wait for the release that installs their CRD. Models wait on :attr:`PlatformHandles.ready`: the
KServe releases, KnativeServing, istiod (and CNI) for their sidecars, the ingress gateway and its certificate, and
monitoring's CRDs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from components.clusters.base import KubernetesCluster
from components.errors import SpecError
from components.naming import child_name, type_token
from components.outputs import PlatformOutputs
from components.platform import certmanager, dns, gpu, istio, keda, knative, kserve, monitoring, requestlog, warm
from components.platform.common import AddonContext
from components.platform.compat import check_versions
from components.platform.handles import PlatformHandles
from components.platform.settings import PlatformSettings
from components.versions import KUBERNETES_VERSION

ENVIRONMENTS = ("dev", "staging", "prod")


_IMAGE = re.compile(r"[a-z0-9][!-~]*", re.ASCII)
"""An image reference as far as a pre-pull needs it: starts with a lowercase letter or digit (distribution/reference
``domain``/``path-component``), printable ASCII, no whitespace."""


@dataclass(frozen=True)
class PlatformArgs:
    """Arguments of :class:`Platform`.

    ``cluster``: the cluster to install on (its provider is used for every Kubernetes resource). ``settings``: the
    add-on settings (``mlplatform:platform``). Default: :class:`PlatformSettings` defaults. ``environment``: dev,
    staging or prod; HA defaults to on in prod. Default ``dev``. ``kubernetes_version``: the cluster's Kubernetes
    minor, for the compatibility check. Default: the pinned version.
    """

    cluster: KubernetesCluster
    settings: PlatformSettings = field(default_factory=PlatformSettings)
    environment: str = "dev"
    kubernetes_version: str = KUBERNETES_VERSION
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Values of the config keys the settings name as secrets (:meth:`PlatformSettings.secret_keys`: alert
    receivers' credentials), kept as Pulumi secrets."""
    slo_alerts: Sequence[str] = ()
    """Models whose SLOs become alerts: with no alert receiver (``monitoring.alerting``) the plan warns."""
    keda_models: Sequence[str] = ()
    """Models that scale on an LLM metric through KEDA: the platform installs KEDA for them
    (:func:`components.platform.keda.wanted`)."""
    request_log_namespaces: Sequence[str] = ()
    """Namespaces of the models with a ``logger``: the request-log collector is installed when any model (or
    ``settings.request_logs``) asks for it, and admits posts only from model pods in these namespaces (its
    NetworkPolicy) and from mTLS identities of these namespaces (its AuthorizationPolicy)."""
    init_container_models: Sequence[str] = ()
    """Models with ``storageUris``: on Knative, KServe puts their storage initializer into the Knative Service's pod
    template, which Knative accepts only with ``kubernetes.podspec-init-containers`` on
    (:func:`components.platform.knative.features`)."""
    pvc_volume_models: Sequence[str] = ()
    """Models with a ``pvc://`` entry in ``storageUris``: on Knative, KServe mounts its claim in the Knative Service's
    pod template, which Knative accepts only with its persistent-volume-claim features on
    (:func:`components.platform.knative.features`)."""
    warm_images: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Accelerator -> the serving images of the GPU models that ask for it: warm capacity on a pool of that
    accelerator pre-pulls them (components/platform/warm.py). Default: none."""

    def __post_init__(self) -> None:
        if self.environment not in ENVIRONMENTS:
            raise SpecError("environment", self.environment, "give one of " + ", ".join(ENVIRONMENTS))
        for accelerator, images in self.warm_images.items():
            if not isinstance(images, list | tuple) or not all(
                isinstance(i, str) and _IMAGE.fullmatch(i) for i in images
            ):
                raise SpecError(
                    f"warm_images.{accelerator}",
                    images,
                    "give a list of image references such as kserve/huggingfaceserver:v0.20.0-gpu (no spaces)",
                )


NO_RECEIVER = (
    "{n} model(s) have SLO alerts ({names}) but no alert receiver is set: alerts reach no one. Set "
    "platform.monitoring.alerting (email, slack, pagerduty or webhook; docs/components/platform.md, Alerts)"
)


def alerting_warning(settings: PlatformSettings, slo_alerts: Sequence[str]) -> str | None:
    """The plan's warning when models have SLO alerts and Alertmanager has nowhere to send them, else None."""
    if not slo_alerts or not settings.monitoring.enabled or settings.monitoring.alerting.configured:
        return None
    return NO_RECEIVER.format(n=len(slo_alerts), names=", ".join(sorted(slo_alerts)))


def check_warm_capacity(settings: PlatformSettings, cluster: KubernetesCluster) -> None:
    """Refuse ``platform.warmCapacity`` for a pool the cluster does not have, or beyond its ``maxNodes``, with one
    :class:`SpecError` (:func:`components.platform.warm.problems`), before anything of the platform registers."""
    pools = {name: pool.max_nodes for name, pool in cluster.gpu.pools.items()}
    for path, value, accepted in warm.problems(settings.warm_capacity, pools):
        raise SpecError(f"platform.{path}", value, accepted)


def ha_enabled(settings: PlatformSettings, environment: str) -> bool:
    """Whether the add-ons run highly available: ``settings.ha`` when given, else true in prod."""
    return settings.ha if settings.ha is not None else environment == "prod"


class Platform(pulumi.ComponentResource):
    """cert-manager, Istio, Knative (Knative mode), KServe, monitoring and GPU support on one cluster.

    The version compatibility check runs first, before this component or any child is registered: an unknown or
    known-bad combination raises a one-line :class:`~components.errors.SpecError`.
    """

    handles: PlatformHandles
    """What models need: domain, gateway, deployment mode, monitoring, and the resources to wait on."""
    gateway_address: pulumi.Output[str]
    """The ingress gateway's public address: point ``<domain>`` and ``*.<domain>`` at it (or let external-dns)."""

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        settings = args.settings
        check_versions(settings, args.kubernetes_version)
        check_warm_capacity(settings, args.cluster)
        with_keda = keda.wanted(settings, args.keda_models)
        if with_keda:
            keda.check_version(settings, args.kubernetes_version)
        super().__init__(type_token("Platform"), name, None, opts)
        ctx = AddonContext(self, name, args.cluster, settings, ha_enabled(settings, args.environment), args.environment)
        knative_mode = settings.deployment_mode == "Knative"
        mesh_level = "restricted" if settings.istio_cni else "privileged"

        if why := alerting_warning(settings, args.slo_alerts):
            pulumi.log.warn(why, resource=self)
        ns_cert = ctx.namespace("ns-cert-manager", certmanager.NAMESPACE, pod_security="restricted")
        ns_istio = ctx.namespace("ns-istio-system", istio.NAMESPACE, pod_security="baseline")
        ns_kserve = ctx.namespace("ns-kserve", kserve.NAMESPACE, pod_security="restricted")

        zone = dns.zone(ctx)
        cm_identity = (
            args.cluster.grant_dns_admin(
                child_name(name, "cert-manager"),
                certmanager.NAMESPACE,
                certmanager.SERVICE_ACCOUNT,
                zone,
                self,
                record_types=certmanager.RECORD_TYPES,
                # cert-manager's solver is given the zone (hostedZoneID / hostedZoneName): no zone listing.
                list_zones=False,
            )
            if zone is not None
            else None
        )
        cm = certmanager.install(ctx, ns_cert, cm_identity)
        mesh = istio.install(ctx, ns_istio)
        certificate = certmanager.gateway_certificate(ctx, cm, ns_istio, istio.TLS_SECRET, istio.NAMESPACE)
        ready: list[pulumi.Resource] = []

        kn: knative.Knative | None = None
        if knative_mode:
            ns_operator = ctx.namespace("ns-knative-operator", knative.OPERATOR_NAMESPACE, pod_security="baseline")
            ns_serving = ctx.namespace(
                "ns-knative-serving",
                knative.NAMESPACE,
                pod_security=mesh_level,
                labels=knative.serving_namespace_labels(),
            )
            kn = knative.install(
                ctx,
                operator_namespace=ns_operator,
                serving_namespace=ns_serving,
                istio_base=mesh.base,
                injection=mesh.injection,
                tls_secret=istio.TLS_SECRET,
                init_containers=bool(args.init_container_models),
                pvc_volumes=bool(args.pvc_volume_models),
            )
            gateway = knative.GATEWAY
            controller_needs: list[pulumi.Resource] = [kn.serving, mesh.base]
        else:
            crds = istio.gateway_api_crds(ctx)
            ready.append(istio.standard_gateway(ctx, crds))
            gateway = f"{istio.NAMESPACE}/{istio.STANDARD_GATEWAY}"
            controller_needs = [crds, mesh.base]
        autoscaler: pulumi.Resource | None = None
        if with_keda:
            ns_keda = ctx.namespace("ns-keda", keda.NAMESPACE, pod_security="restricted")
            autoscaler = keda.install(ctx, ns_keda)
            controller_needs.append(autoscaler)
        ks = kserve.install(ctx, ns_kserve, cert_manager=cm.release, controller_needs=controller_needs, gateway=gateway)

        mon: monitoring.Monitoring | None = None
        ns_mon: pulumi.Resource | None = None
        if settings.monitoring.enabled:
            ns_mon = ctx.namespace("ns-monitoring", monitoring.NAMESPACE, pod_security="privileged")
            mon = monitoring.install(ctx, ns_mon, args.secrets)
        gpu.install(ctx, ns_mon, mon.release if mon else None)
        warm.install(ctx, args.warm_images)
        dns.install(ctx)
        logs = requestlog.install(
            ctx,
            args.request_log_namespaces,
            pod_security=mesh_level,
            istio_base=mesh.base,
            injection=mesh.injection,
        )
        if logs is not None and logs[1].retention_days is None:
            pulumi.log.warn(
                "request logs are kept on the collector's volume and nothing deletes them; watch its size "
                "(platform.requestLogs.volumeSize) or use a cloud stack (docs/components/platform.md, Request logs)",
                resource=self,
            )
        self.gateway_address = istio.gateway_address(ctx, mesh)
        """The ingress gateway Service's load-balancer address (IP or host name; unknown until deployed)."""

        # What a model needs before it is created: KServe's controller and webhooks and its runtimes, KnativeServing
        # (Knative mode), istiod and the CNI agent (its pods' sidecars), the ingress gateway and its certificate (a
        # Knative route is Ready only once the gateway answers its probe; HTTPS), the Standard mode's Gateway (above)
        # and the monitoring CRDs (models declare PodMonitors and PrometheusRules).
        ready[:0] = [ks.resources, ks.runtimes]
        if kn is not None:
            ready.append(kn.serving)
        if mon is not None:
            ready.append(mon.release)
        if autoscaler is not None:
            ready.append(autoscaler)  # a model's ScaledObject needs KEDA's CRD and its admission webhook
        ready += [*mesh.injection, mesh.gateway, certificate]
        self.handles = PlatformHandles(
            cluster=args.cluster,
            domain=settings.domain,
            gateway=gateway,
            gateway_selector=dict(istio.GATEWAY_SELECTOR),
            deployment_mode=settings.deployment_mode,
            monitoring=mon is not None,
            dashboards_label=monitoring.DASHBOARD_LABEL,
            monitoring_namespace=monitoring.NAMESPACE,
            ready=tuple(ready),
            environment=args.environment,
            pod_security=mesh_level,
            cluster_issuer=cm.issuer_name,
            ha=ctx.ha,
            request_log_url=requestlog.URL if logs is not None else None,
            keda=with_keda,
        )
        outputs: PlatformOutputs = {
            "domain": settings.domain,
            "gateway": gateway,
            "deploymentMode": settings.deployment_mode,
            "monitoring": mon is not None,
            "ha": ctx.ha,
            "gatewayAddress": self.gateway_address,
            "versions": {
                key: ctx.chart(key).version
                for key in installed_charts(ctx, keda=with_keda, request_logs=logs is not None)
            },
            "warmCapacity": {pool: n for pool, n in sorted(settings.warm_capacity.items()) if n > 0},
        }
        self.register_outputs(dict(outputs))


def installed_charts(ctx: AddonContext, *, keda: bool = False, request_logs: bool = False) -> list[str]:
    """The chart keys this platform installs, in install order (for outputs and docs); ``keda``: KEDA too;
    ``request_logs``: the request-log collector runs (the stack or a model asked for it)."""
    keys = ["cert-manager", "istio-base"]
    if ctx.settings.istio_cni:
        keys.append("istio-cni")
    keys += ["istiod", "istio-gateway"]
    if ctx.settings.deployment_mode == "Knative":
        keys.append("knative-operator")
    if keda:
        keys.append("keda")
    keys += ["kserve-crd", "kserve-resources", "kserve-runtime-configs"]
    if ctx.settings.monitoring.enabled:
        keys.append("kube-prometheus-stack")
    if gpu.wants_device_plugin(ctx):
        keys.append("nvidia-device-plugin")
    if gpu.wants_operator(ctx):
        keys.append("gpu-operator")
    if gpu.wants_dcgm_exporter(ctx):
        keys.append("dcgm-exporter")
    if dns.wants_external_dns(ctx):
        keys.append("external-dns")
    if request_logs:
        keys.append("vector")
    return keys
