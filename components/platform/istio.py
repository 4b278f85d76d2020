"""Istio: base (CRDs) -> istiod -> the ingress gateway, and base -> [CNI], mesh-wide mTLS STRICT.

Each release waits only on what it needs (docs/performance.md, "Deploy in parallel"): base first ("This should be
installed prior to any other Istio component", istio.io docs/ambient/install/helm, "Base components"); istiod after
the CRDs base installs (istio.io docs/setup/install/helm: the base chart "contains cluster-wide Custom Resource
Definitions (CRDs) which must be installed prior to the deployment of the Istio control plane"); the gateway after
istiod, whose injector builds its pods (the gateway chart 1.30.3 values give its pods ``sidecar.istio.io/inject:
"true"`` and ``inject.istio.io/templates: gateway``, ../shared/upstream/chart-values/istio-gateway-1.30.3.yaml: the
proxy is the injected container, so the pods need istiod's webhook). Istio CNI waits for base only: istiod and the
gateway capture no traffic and need no CNI agent, but every injected workload does (pods started before the agent
is ready are evicted by its race-condition repair, istio.io docs/ops/diagnostic-tools/cni "Race condition &
mitigation"), so :attr:`Istio.injection` (istiod, and the CNI agent when on) is what injected workloads (Knative's
activator, models) wait on.

The gateway is released as ``istio-ingressgateway`` in ``istio-system``: its pods carry ``istio: ingressgateway``,
the selector Knative's ``knative-ingress-gateway`` and KServe expect by default; a NetworkPolicy keeps their metrics
ports to the platform's Prometheus (:func:`gateway_network_policy`). The mesh normalizes request paths with
``DECODE_AND_MERGE_SLASHES`` (:data:`PATH_NORMALIZATION`). Istio CNI (``platform.istioCni``)
moves the traffic redirection out of the pods' privileged ``istio-init`` container, so namespaces with sidecars can
enforce the ``restricted`` Pod Security level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.naming import child_name, child_opts
from components.platform.common import AddonContext, drop_empty
from components.versions import GATEWAY_API_CRDS

NAMESPACE = "istio-system"
CNI_NAMESPACE = "kube-system"
GATEWAY_RELEASE = "istio-ingressgateway"
GATEWAY_SELECTOR = {"istio": "ingressgateway"}
STANDARD_GATEWAY = "mlplatform-gateway"
TLS_SECRET = "mlplatform-gateway-tls"
SECURITY_API = "security.istio.io/v1"
NETWORKING_API = "networking.istio.io/v1"
PATH_NORMALIZATION = "DECODE_AND_MERGE_SLASHES"
"""``meshConfig.pathNormalization.normalization``: how every Envoy of the mesh (sidecars and gateways) normalizes a
request's path before matching AuthorizationPolicy ``paths`` and forwarding it (the same path goes to the
application: istio.io/latest/docs/reference/config/security/normalization/). The models' policies are allow-lists
of inference paths (components/serving/_auth.py), so Envoy must see the path the model server routes on. Istio's
default ``BASE`` decodes unreserved ``%XX``, turns ``\\`` into ``/`` and resolves ``.``/``..`` (RFC 3986) but keeps
``%2F`` and does not merge slashes; KServe's server (uvicorn) percent-decodes the whole path, ``%2F`` included,
before routing. ``DECODE_AND_MERGE_SLASHES`` first decodes ``%2F``/``%5C``, then does ``BASE``, then merges slashes
(istio.io/latest/docs/ops/best-practices/security/ "Customize your system on path normalization": the order, and
"This setting is recommended"); Istio 1.30.3 pilot/pkg/networking/core/listener_builder.go sets Envoy's
``normalize_path``, ``merge_slashes`` and ``path_with_escaped_slashes: UNESCAPE_AND_FORWARD`` for it. The istiod chart
merges ``meshConfig`` over its mesh config (templates/configmap.yaml: "meshConfig.foo becomes the API")."""
LONGEST_REQUEST_SECONDS = 1800
"""The longest a request may wait on a model: Knative's ``max-revision-timeout-seconds``
(components/platform/knative.py :data:`MAX_REVISION_TIMEOUT`, which imports this module, so the figure is
repeated here and tests/platform/test_platform_review.py checks that both agree). A cold start waits this long
with no byte on the connection, so the load balancer in front of the gateway must not close it as idle sooner."""


GATEWAY_TRAFFIC_PORTS = (80, 443, 8081, 8444, 15021)
"""The ingress gateway pods' ports for traffic, open to every source: the gateway chart's Service ports 80, 443 and
the status port 15021 (manifests/charts/gateway/values.yaml ``service.ports``, Istio 1.30.3: targetPorts 80, 443,
15021, which load balancers health-check) and knative-local-gateway's targets 8081 and 8444 (net-istio
knative-v1.21.3 config/203-local-gateway.yaml: Service ``knative-local-gateway`` ports 80 -> 8081, 443 -> 8444, and
the Gateway's server on 8081). The Gateways the platform binds to these pods listen on 80 and 443
(:func:`gateway_servers`, :func:`standard_gateway_spec`) and 8081. No ``from``: the load balancer's traffic and health
checks may come from any address (through another node's NodePort, or straight to the pod)."""
GATEWAY_METRICS_PORTS = (15020, 15090)
"""The gateway pods' metrics ports: Envoy's stats (15090, ``http-envoy-prom`` in the chart's templates/
deployment.yaml, what the platform's PodMonitor scrapes) and pilot-agent's merged stats (15020)."""


def _tcp(ports: tuple[int, ...]) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": p} for p in ports]


def gateway_network_policy(monitoring_namespace: str | None, prometheus_labels: dict[str, str]) -> dict[str, Any]:
    """The NetworkPolicy spec for the ingress gateway pods (``istio: ingressgateway``): traffic ports from anywhere,
    the metrics ports from the platform's Prometheus only (none without monitoring), ingress only. The gateway's
    Envoy metrics carry every model's request counts and latencies by destination, which the models' own
    NetworkPolicies keep to Prometheus (components/serving/_netpol.py); this keeps the gateway's copy the same. The
    kubelet's probes come from the node, which NetworkPolicy always admits."""
    rules: list[dict[str, Any]] = [{"ports": _tcp(GATEWAY_TRAFFIC_PORTS)}]
    if monitoring_namespace is not None:
        rules.append(
            {
                "from": [
                    {
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": monitoring_namespace}},
                        "podSelector": {"matchLabels": dict(prometheus_labels)},
                    }
                ],
                "ports": _tcp(GATEWAY_METRICS_PORTS),
            }
        )
    return {"podSelector": {"matchLabels": dict(GATEWAY_SELECTOR)}, "policyTypes": ["Ingress"], "ingress": rules}


@dataclass(frozen=True)
class Istio:
    """What the Istio step leaves: each release (``cni`` is None without Istio CNI) and the mesh-wide policy."""

    base: k8s.helm.v3.Release
    cni: k8s.helm.v3.Release | None
    istiod: k8s.helm.v3.Release
    gateway: k8s.helm.v3.Release
    peer_authentication: k8s.apiextensions.CustomResource

    @property
    def injection(self) -> list[pulumi.Resource]:
        """What a workload with an Istio sidecar waits on: istiod (its injection webhook exists only once the istiod
        release does; a pod created before it gets no sidecar) and, with Istio CNI, the CNI agent (module docstring)."""
        return [self.istiod, *([self.cni] if self.cni is not None else [])]


def istiod_values(ctx: AddonContext) -> dict[str, Any]:
    """istiod values: replicas (HPA floor too), PDB only with HA (a PDB on one replica blocks node drains), CNI,
    with CNI a RuntimeDefault seccomp profile on injected sidecars (the ``restricted`` Pod Security level needs it),
    and the mesh's path normalization (:data:`PATH_NORMALIZATION`)."""
    proxy = {"seccompProfile": {"type": "RuntimeDefault"}} if ctx.settings.istio_cni else {}
    return drop_empty(
        {
            "replicaCount": ctx.replicas,
            "autoscaleMin": ctx.replicas,
            "nodeSelector": ctx.system_selector,
            "topologySpreadConstraints": ctx.spread({"app": "istiod"}),
            "cni": {"enabled": ctx.settings.istio_cni},
            "global": {"defaultPodDisruptionBudget": {"enabled": ctx.ha}, "proxy": proxy},
            "meshConfig": {"pathNormalization": {"normalization": PATH_NORMALIZATION}},
        }
    )


def cni_values(ctx: AddonContext) -> dict[str, Any]:
    """istio-cni values: the node's CNI binary folder when the cluster says it is not the default ``/opt/cni/bin``
    (:attr:`KubernetesCluster.cni_bin_dir`; GKE keeps it in ``/home/kubernetes/bin``). The chart reads it as the
    top-level ``cniBinDir`` (its defaults sit under ``_internal_defaults_do_not_set``, not under ``cni:``)."""
    bin_dir = ctx.cluster.cni_bin_dir
    return {"cniBinDir": bin_dir} if bin_dir else {}


def gateway_values(ctx: AddonContext) -> dict[str, Any]:
    """Ingress gateway values: Service type, replicas (HPA floor too), a PDB allowing one eviction with HA, with a
    ``LoadBalancer`` Service the cloud's idle-timeout annotations covering :data:`LONGEST_REQUEST_SECONDS`
    (:meth:`KubernetesCluster.load_balancer_annotations`; capped where the cloud's load balancer allows less) and
    the ``externalTrafficPolicy`` the cloud's load balancer needs to keep a waiting request on its backend
    (:attr:`KubernetesCluster.load_balancer_traffic_policy`; the chart's ``service.externalTrafficPolicy``), and
    with external-dns the Service annotation naming ``*.<domain>`` (components/platform/dns.py)."""
    from components.platform import dns

    annotations: dict[str, str] = {}
    traffic_policy = None
    if ctx.settings.gateway_service_type == "LoadBalancer":
        annotations.update(ctx.cluster.load_balancer_annotations(LONGEST_REQUEST_SECONDS))
        traffic_policy = ctx.cluster.load_balancer_traffic_policy
    if dns.wants_external_dns(ctx):
        annotations[dns.HOSTNAME_ANNOTATION] = dns.gateway_hostnames(ctx)
    return drop_empty(
        {
            "service": {
                "type": ctx.settings.gateway_service_type,
                "annotations": annotations,
                **({"externalTrafficPolicy": traffic_policy} if traffic_policy else {}),
            },
            "replicaCount": ctx.replicas,
            "autoscaling": {"minReplicas": ctx.replicas},
            "podDisruptionBudget": {"minAvailable": ctx.replicas - 1} if ctx.ha else {},
            "nodeSelector": ctx.system_selector,
            "topologySpreadConstraints": ctx.spread(GATEWAY_SELECTOR),
        }
    )


def install(ctx: AddonContext, namespace: pulumi.Resource) -> Istio:
    """Istio's releases, each after what it needs (module docstring); nothing else in the platform is waited on:
    Istio uses no cert-manager certificate (istiod signs the mesh's own)."""
    base = ctx.release(
        "istio-base",
        "istio-base",
        release_name="istio-base",
        namespace=NAMESPACE,
        values={"defaultRevision": "default"},
        depends_on=[namespace],
    )
    cni = None
    if ctx.settings.istio_cni:
        cni = ctx.release(
            "istio-cni",
            "istio-cni",
            release_name="istio-cni",
            namespace=CNI_NAMESPACE,
            values=cni_values(ctx),
            depends_on=[base],
        )
    istiod = ctx.release(
        "istiod",
        "istiod",
        release_name="istiod",
        namespace=NAMESPACE,
        values=istiod_values(ctx),
        depends_on=[base],
    )
    gateway = ctx.release(
        "istio-gateway",
        "istio-gateway",
        release_name=GATEWAY_RELEASE,
        namespace=NAMESPACE,
        values=gateway_values(ctx),
        depends_on=[istiod],
    )
    peer = ctx.custom_resource(
        "mesh-mtls",
        SECURITY_API,
        "PeerAuthentication",
        name="default",
        namespace=NAMESPACE,
        spec={"mtls": {"mode": "STRICT"}},
        depends_on=[base],
    )
    from components.platform import monitoring

    watched = ctx.settings.monitoring.enabled
    spec = gateway_network_policy(monitoring.NAMESPACE if watched else None, monitoring.PROMETHEUS_POD_LABELS)
    net = k8s.networking.v1
    k8s.networking.v1.NetworkPolicy(
        child_name(ctx.name, "gateway-netpol"),
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=f"{GATEWAY_RELEASE}-netpol", namespace=NAMESPACE, labels=ctx.labels("gateway-netpol")
        ),
        spec=net.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(GATEWAY_SELECTOR)),
            policy_types=["Ingress"],
            ingress=[
                net.NetworkPolicyIngressRuleArgs(
                    from_=[
                        net.NetworkPolicyPeerArgs(
                            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                match_labels=peer["namespaceSelector"]["matchLabels"]
                            ),
                            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=peer["podSelector"]["matchLabels"]),
                        )
                        for peer in rule["from"]
                    ]
                    if "from" in rule
                    else None,
                    ports=[net.NetworkPolicyPortArgs(protocol=p["protocol"], port=p["port"]) for p in rule["ports"]],
                )
                for rule in spec["ingress"]
            ],
        ),
        opts=child_opts(ctx.parent, provider=ctx.cluster.provider, depends_on=[namespace]),
    )
    return Istio(base, cni, istiod, gateway, peer)


GATEWAY_API = "gateway.networking.k8s.io/v1"
GATEWAY_SERVICE = f"{GATEWAY_RELEASE}.{NAMESPACE}.svc.cluster.local"
"""The ingress gateway's Service: the Standard mode's Gateway API Gateway binds to it instead of making its own."""


def gateway_api_crds(ctx: AddonContext) -> k8s.yaml.v2.ConfigFile:
    """The Gateway API CRDs (components/versions.py :data:`GATEWAY_API_CRDS`), for the Standard mode. Istio does not
    install them (istio.io "Kubernetes Gateway API": "The Gateway APIs do not come installed by default on most
    Kubernetes clusters. Install the Gateway API CRDs if they are not present"); KServe's controller refuses to start
    in Gateway API mode without the HTTPRoute CRD (v0.20.0 pkg/controller/v1beta1/inferenceservice/controller.go:
    "gateway API mode requires gateway.networking.k8s.io/v1 HTTPRoute CRD"), so KServe's release waits for them.
    They wait on nothing, and istiod need not wait for them: it starts watching a CRD when it appears (Istio 1.30.3
    pkg/kube/kclient/crdwatcher.go ``KnownOrCallback``).

    The CRDs are cluster-wide and deleting one deletes every Gateway and HTTPRoute in the cluster, so they are
    retained when the stack lets go of them (``retain_on_delete`` on the component "propagates to every child
    custom resource of the component", pulumi.com docs/iac/concepts/resources/options/retainondelete)."""
    return k8s.yaml.v2.ConfigFile(
        child_name(ctx.name, "gateway-api-crds"),
        file=GATEWAY_API_CRDS,
        opts=child_opts(ctx.parent, provider=ctx.cluster.provider, retain_on_delete=True),
    )


def gateway_servers(domain: str, secret_name: str) -> list[dict[str, Any]]:
    """The gateway's servers: HTTP redirected to HTTPS, HTTPS terminated with the cert-manager certificate."""
    hosts = [domain, f"*.{domain}"]
    return [
        {"hosts": hosts, "port": {"name": "http", "number": 80, "protocol": "HTTP"}, "tls": {"httpsRedirect": True}},
        {
            "hosts": hosts,
            "port": {"name": "https", "number": 443, "protocol": "HTTPS"},
            "tls": {"mode": "SIMPLE", "credentialName": secret_name},
        },
    ]


def standard_gateway_spec(domain: str, secret_name: str) -> dict[str, Any]:
    """The Standard mode's Gateway API Gateway ``istio-system/mlplatform-gateway`` (class ``istio``).

    KServe v0.20.0 in Standard mode with ``enableGatewayApi`` publishes each model as an HTTPRoute whose parent is
    ``kserveIngressGateway`` with no ``sectionName`` (httproute_reconciler.go ``createRawPredictorHTTPRoute``), so
    the route attaches to every listener that admits it. The ``https`` listener (443, ``*.<domain>``, TLS
    terminated with the cert-manager certificate, a Secret in this namespace) admits routes from every namespace;
    the ``http`` listener (80) admits only this namespace's routes, i.e. :func:`https_redirect_spec`: models are
    never served in plain HTTP. ``addresses`` names the ``istio-ingressgateway`` Service, so Istio configures those
    pods (the same load balancer as the Knative mode) instead of deploying a gateway of its own: Istio 1.30.3
    pilot/pkg/config/kube/gatewaycommon/gateway_utils.go ``IsManaged`` is false for one Hostname address
    (``ENABLE_GATEWAY_API_MANUAL_DEPLOYMENT`` defaults to true), and conversion.go ``extractGatewayServices`` binds
    to that Service.
    """
    return {
        "gatewayClassName": "istio",
        "addresses": [{"type": "Hostname", "value": GATEWAY_SERVICE}],
        "listeners": [
            {
                "name": "https",
                "port": 443,
                "protocol": "HTTPS",
                "hostname": f"*.{domain}",
                "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": secret_name}]},
                "allowedRoutes": {"namespaces": {"from": "All"}},
            },
            {
                "name": "http",
                "port": 80,
                "protocol": "HTTP",
                "allowedRoutes": {"namespaces": {"from": "Same"}},
            },
        ],
    }


def https_redirect_spec() -> dict[str, Any]:
    """The HTTPRoute on the Gateway's ``http`` listener that redirects every request to HTTPS (301; Gateway API
    ``RequestRedirect`` filter)."""
    return {
        "parentRefs": [
            {
                "group": "gateway.networking.k8s.io",
                "kind": "Gateway",
                "name": STANDARD_GATEWAY,
                "sectionName": "http",
            }
        ],
        "rules": [
            {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}
        ],
    }


def standard_gateway(ctx: AddonContext, crds: pulumi.Resource) -> k8s.apiextensions.CustomResource:
    """In the Standard mode (no Knative), the platform's Gateway API Gateway on the ingress gateway pods, with TLS,
    and the HTTP-to-HTTPS redirect (:func:`standard_gateway_spec`).

    The Gateway waits only for its CRD (``crds``). istiod binds it to the gateway Service and resolves its
    certificate Secret whenever they appear (it watches Services and Secrets), so neither is waited on here;
    models wait for the gateway release and the certificate (:attr:`PlatformHandles.ready`)."""
    gateway = ctx.custom_resource(
        "gateway",
        GATEWAY_API,
        "Gateway",
        name=STANDARD_GATEWAY,
        namespace=NAMESPACE,
        spec=standard_gateway_spec(ctx.settings.domain, TLS_SECRET),
        depends_on=[crds],
    )
    ctx.custom_resource(
        "https-redirect",
        GATEWAY_API,
        "HTTPRoute",
        name="https-redirect",
        namespace=NAMESPACE,
        spec=https_redirect_spec(),
        depends_on=[gateway],
    )
    return gateway


def load_balancer_address(status: Any) -> str:
    """The first ``status.loadBalancer.ingress`` entry of a Service: its ``ip`` (GKE and AKS load balancers) or
    its ``hostname`` (EKS's ELB/NLB), per the Kubernetes API ``LoadBalancerIngress``; ``""`` when the Service has
    no load-balancer ingress (NodePort, ClusterIP, or a load balancer not provisioned yet). Takes the SDK's typed
    ``ServiceStatus`` or a plain dict (camelCase or snake_case keys)."""
    if status is None:
        return ""
    if isinstance(status, dict):
        lb = status.get("load_balancer") or status.get("loadBalancer") or {}
        ingress = list((lb.get("ingress") if isinstance(lb, dict) else getattr(lb, "ingress", None)) or [])
    else:
        lb = getattr(status, "load_balancer", None)
        ingress = list(getattr(lb, "ingress", None) or [])
    if not ingress:
        return ""
    entry = ingress[0]
    if isinstance(entry, dict):
        return str(entry.get("ip") or entry.get("hostname") or "")
    return str(getattr(entry, "ip", None) or getattr(entry, "hostname", None) or "")


def gateway_service_id(gateway: k8s.helm.v3.Release) -> pulumi.Output[str]:
    """The id (``namespace/name``) under which the gateway Service is read, known only once the release exists.

    Pulumi ignores ``depends_on`` for a ``.get`` during a preview and reads right away, so a constant id fails the
    first preview, when the Service does not exist yet (pulumi/pulumi#16395, pulumi-kubernetes#2358 and #2789).
    Deriving the id from the release's ``status`` (computed by the provider, unknown until the release is
    deployed) makes the id unknown in that preview, and the engine skips a read whose id is unknown (pulumi/pulumi
    pkg/resource/deploy/step.go ``ReadStep.Apply``: "Read steps run during previews. The only time we can't run
    is if the ID we are given is unknown")."""
    return gateway.status.apply(lambda _status: f"{NAMESPACE}/{GATEWAY_RELEASE}")


def gateway_address(ctx: AddonContext, mesh: Istio) -> pulumi.Output[str]:
    """The gateway Service's address (:func:`load_balancer_address`), read once the gateway release exists
    (:func:`gateway_service_id`). Empty for a NodePort or ClusterIP gateway, unknown in an offline plan and in the
    first preview."""
    service = k8s.core.v1.Service.get(
        f"{ctx.name}-gateway-service",
        gateway_service_id(mesh.gateway),
        opts=pulumi.ResourceOptions(parent=ctx.parent, provider=ctx.cluster.provider, depends_on=[mesh.gateway]),
    )
    return service.status.apply(load_balancer_address)
