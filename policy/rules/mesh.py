"""Sidecar injection for models: without an Istio sidecar a model pod has no mTLS and no authorization.

Istio's injector is a mutating webhook on pod creation. With the default revision (ours: no ``istio.io/rev``) its
``namespaceSelector`` is ``matchLabels: {istio-injection: enabled}`` and its ``objectSelector`` (when
``sidecarInjectorWebhook.objectSelector.autoInject``) skips pods labelled ``sidecar.istio.io/inject: "false"``
(istio/istio manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml; the version read in this
session is an older one than our pinned 1.30.3, the selectors are the documented ones: istio.io analyzer IST0102
"NamespaceNotInjected", istio.io/latest/docs/reference/config/analysis/ist0102/). A namespace without the label, or
a model that opts out, runs without a sidecar: PeerAuthentication and AuthorizationPolicy select pods that have no
proxy and are silently ignored (components/serving/_auth.py, knative/serving#14310), and nothing fails.

KServe copies an InferenceService's labels and annotations, and those of its components (``spec.predictor.labels``
and ``annotations``), onto the pods; the rule reads all four places, and the pod labels and annotations of the
ServingRuntimes and ClusterServingRuntimes (``spec.labels``, ``spec.annotations``), which KServe copies too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map, is_k8s, reading

INJECTION_LABEL = "istio-injection"
INJECT_KEY = "sidecar.istio.io/inject"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
NAMESPACE = "kubernetes:core/v1:Namespace"
KNATIVE_SERVING = "KnativeServing"
HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")


def _opt_outs(model: Resource) -> list[str]:
    """Where an InferenceService sets ``sidecar.istio.io/inject`` to anything but "true"."""
    out = []
    for path in ("metadata.labels", "metadata.annotations", "spec.predictor.labels", "spec.predictor.annotations"):
        value = as_map(model.get(path)).get(INJECT_KEY)
        if value is not None and value is not UNKNOWN and str(value).lower() != "true":
            out.append(f"{path}.{INJECT_KEY}={value!r}")
    return out


def _injection(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    models = [r for r in resources if r.type == ISVC or is_k8s(r, "InferenceService")]
    namespaces = {r.k8s_name: r for r in resources if r.type == NAMESPACE or is_k8s(r, "Namespace")}
    for ns in sorted({m.namespace for m in models if m.namespace}):
        decl = namespaces.get(ns)
        if decl is None:
            continue  # not declared by this stack: see ``unknown``
        label = as_map(decl.metadata.get("labels")).get(INJECTION_LABEL)
        if label is UNKNOWN:
            continue
        if label != "enabled":
            yield Finding(
                decl.urn,
                f"model namespace {ns} has {INJECTION_LABEL}={label!r}: its pods get no Istio sidecar, so mTLS and "
                f"the models' AuthorizationPolicies do not apply; label it {INJECTION_LABEL}: enabled",
            )
    for m in models:
        for where in _opt_outs(m):
            yield Finding(
                m.urn,
                f"model {m.namespace}/{m.k8s_name} sets {where}: its pods run without a sidecar (no mTLS, no "
                "authorization)",
            )


MESHED_KNATIVE = ("activator", "autoscaler")
"""Knative workloads on the models' data path (components/platform/knative.py ``MESHED``): the models'
AuthorizationPolicies admit the activator (probes, proxied requests at zero) and the autoscaler (scrapes) by mTLS
principal (components/serving/_auth.py), and the models' namespaces are STRICT (``mesh-mtls-strict``): "Connection
is an mTLS tunnel" (Istio 1.30 PeerAuthentication CRD, shared/upstream/crd-schemas/security.istio.io/
peerauthentication_v1.json ``spec.mtls.mode``). Without a sidecar they speak plain text, which a STRICT model
refuses: scale from zero and autoscaling break. The Knative operator copies ``workloads[].annotations`` and
``labels`` onto the deployment and its pod template ("Annotations overrides labels for the deployment and its
template", knative/operator knative-v1.21.4 KnativeServing CRD, crd-schemas/operator.knative.dev/
knativeserving_v1beta1.json ``spec.workloads[].annotations``)."""


def _knative_opt_outs(resources: Sequence[Resource]) -> Iterator[Finding]:
    for res in resources:
        if not is_k8s(res, KNATIVE_SERVING):
            continue
        workloads = res.get("spec.workloads")
        for i, w in enumerate(as_list(workloads)):
            w = as_map(w)
            if w.get("name") not in MESHED_KNATIVE:
                continue
            for key in ("annotations", "labels"):
                value = as_map(w.get(key)).get(INJECT_KEY)
                if value is None or value is UNKNOWN or str(value).lower() == "true":
                    continue
                yield Finding(
                    res.urn,
                    f"KnativeServing {res.namespace}/{res.k8s_name} workloads[{i}] ({w.get('name')}) sets {key}."
                    f"{INJECT_KEY}={value!r}: it runs without a sidecar and its plain text is refused by the STRICT "
                    "models it must reach (scale from zero, autoscaling)",
                )


RUNTIME_KINDS = ("ServingRuntime", "ClusterServingRuntime")


def _runtime_opt_outs(resources: Sequence[Resource]) -> Iterator[Finding]:
    """A ServingRuntime or ClusterServingRuntime whose pod labels or annotations (``spec.labels``,
    ``spec.annotations``: ``ServingRuntimePodSpec``, "Labels that will be add to the pod") opt out of injection: KServe
    v0.20.0 puts them on the predictor pod of every model it serves (pkg/controller/v1beta1/inferenceservice/
    components/predictor.go: ``sRuntimeLabels := sRuntime.Labels``, ``buildObjectMeta`` "predictor component > isvc >
    ServingRuntimePodSpec"), so a model that sets no such key of its own runs without a sidecar (red team #17d A1)."""
    for res in resources:
        kind = next((k for k in RUNTIME_KINDS if is_k8s(res, k)), None)
        if kind is None:
            continue
        for key in ("labels", "annotations"):
            value = as_map(res.get(f"spec.{key}")).get(INJECT_KEY)
            if value is None or value is UNKNOWN or str(value).lower() == "true":
                continue
            where = f"{res.namespace}/{res.k8s_name}" if kind == "ServingRuntime" else res.k8s_name
            yield Finding(
                res.urn,
                f"{kind} {where} sets spec.{key}.{INJECT_KEY}={value!r}: KServe puts it on the pods of the models it "
                "serves, which then run without a sidecar (no mTLS, no authorization)",
            )


def _injection_all(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    yield from _injection(resources, facts)
    yield from _knative_opt_outs(resources)
    yield from _runtime_opt_outs(resources)


_INJECTION_READS = reading(
    {
        "InferenceService": (
            "metadata.labels.*",
            "metadata.annotations.*",
            "spec.predictor.labels.*",
            "spec.predictor.annotations.*",
        ),
        "Namespace": ("metadata.labels.*",),
        KNATIVE_SERVING: ("spec.workloads.*",),
        "ServingRuntime": ("spec.labels.*", "spec.annotations.*"),
        "ClusterServingRuntime": ("spec.labels.*", "spec.annotations.*"),
    }
)
"""What model-sidecar-injection reads: a value known only after deploy there (or NaN) is named in its passing entry
and fails ``check --strict`` (red team #17 cause 4)."""

RULES = [
    Rule(
        name="model-sidecar-injection",
        description=(
            "Every model namespace the stack declares is labelled istio-injection: enabled, and no InferenceService "
            "opts out with sidecar.istio.io/inject (without a sidecar, mTLS and authorization do not apply); nor do "
            "Knative's activator and autoscaler (KnativeServing workloads), which must reach STRICT models over mTLS; "
            "nor a ServingRuntime or ClusterServingRuntime, whose pod labels and annotations KServe copies onto its "
            "models' pods."
        ),
        enforcement="mandatory",
        area="models",
        applies_to=(NAMESPACE, ISVC, "KnativeServing", *RUNTIME_KINDS),
        check_stack=_injection_all,
        remediation="label model namespaces istio-injection: enabled; remove sidecar.istio.io/inject from models",
        unknown=_INJECTION_READS,
    ),
]


# ------------------------------------------------------------------------------------------------ HTTPS only

ENCRYPTED_PROTOCOLS = ("HTTPS", "TLS")
"""Istio Gateway server protocols that carry TLS; every other server (HTTP, HTTP2, GRPC, TCP...) is plain text."""


def _plain_servers(servers: Sequence[object], where: str) -> Iterator[str]:
    """Why each plain-text server of an Istio Gateway (or of the Knative operator's override of one) serves without
    TLS: its ``tls.httpsRedirect`` is not true. Istio 1.30's Gateway CRD (shared/upstream/crd-schemas/
    networking.istio.io/gateway_v1.json ``servers[].tls.httpsRedirect``): "If set to true, the load balancer will
    send a 301 redirect for all http connections, asking the clients to use HTTPS"; the Knative operator's
    KnativeServing CRD (knative/operator knative-v1.21.4, crd-schemas/operator.knative.dev/knativeserving_v1beta1.json
    ``spec.ingress.istio.knative-ingress-gateway.servers[].tls.httpsRedirect``) the same, "Should be used only for
    HTTP listener"."""
    for i, server in enumerate(servers):
        s = as_map(server)
        protocol = as_map(s.get("port")).get("protocol")
        if protocol is UNKNOWN or (isinstance(protocol, str) and protocol.upper() in ENCRYPTED_PROTOCOLS):
            continue
        redirect = as_map(s.get("tls")).get("httpsRedirect")
        if redirect is True or redirect is UNKNOWN:
            continue
        port = as_map(s.get("port")).get("number")
        yield (
            f"{where} servers[{i}] (port {port}, {protocol}) serves plain text: tls.httpsRedirect is "
            f"{redirect!r}; set it to true (models are promised over HTTPS only)"
        )


TERMINATING_MODES = ("SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL")
"""The ``tls.mode`` values with which an Istio Gateway server terminates TLS with its own certificate
(``credentialName``) and so applies HTTP routes. istio/api networking/v1alpha3/gateway.proto
``ServerTLSSettings.TLSmode`` (istio.io/latest/docs/reference/config/networking/gateway/#ServerTLSSettings-TLSmode;
read from istio/api's generated copies in this session, not at the 1.30.3 tag; the pinned CRD,
shared/upstream/crd-schemas/networking.istio.io/gateway_v1.json, lists the same enum): ``PASSTHROUGH`` "The SNI string
presented by the client will be used as the match criterion in a VirtualService TLS route", ``AUTO_PASSTHROUGH`` the
same without a VirtualService, ``ISTIO_MUTUAL`` asks the client for an Istio mesh certificate. net-istio programs the
models' routes as VirtualService ``http`` routes (knative-extensions/net-istio pkg/reconciler/ingress/resources/
virtual_service.go), which a passthrough server never applies: every public model is then unreachable on 443."""


def _tls_servers(servers: Sequence[object], where: str) -> Iterator[str]:
    """Why each HTTPS server of a gateway does not serve the models' HTTP routes over TLS it terminates."""
    for i, server in enumerate(servers):
        s = as_map(server)
        protocol = as_map(s.get("port")).get("protocol")
        if not isinstance(protocol, str) or protocol.upper() != "HTTPS":
            continue
        tls = as_map(s.get("tls"))
        mode, credential = tls.get("mode"), tls.get("credentialName")
        port = as_map(s.get("port")).get("number")
        if mode is not UNKNOWN and mode not in TERMINATING_MODES:
            yield (
                f"{where} servers[{i}] (port {port}, HTTPS) has tls.mode {mode!r}: it does not terminate TLS, so the "
                "models' HTTP routes never match there; give SIMPLE (or MUTUAL) with a credentialName"
            )
        elif credential is not UNKNOWN and (not isinstance(credential, str) or not credential):
            yield f"{where} servers[{i}] (port {port}, HTTPS) has no tls.credentialName: it has no certificate to serve"


def _https_only(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    routes = [r for r in resources if is_k8s(r, "HTTPRoute") and r.type.startswith("kubernetes:gateway.networking")]
    for res in resources:
        if is_k8s(res, KNATIVE_SERVING):
            istio = as_map(res.get("spec.ingress.istio"))
            if istio.get("enabled") is not True:
                continue
            gateway = as_map(istio.get("knative-ingress-gateway"))
            servers = gateway.get("servers")
            where = f"KnativeServing {res.namespace}/{res.k8s_name} knative-ingress-gateway"
            if servers is UNKNOWN:
                continue
            if not isinstance(servers, list) or not servers:
                # the operator then applies net-istio's default knative-ingress-gateway: one server, port 80 HTTP,
                # hosts "*", no redirect (knative-extensions/net-istio config/202-gateway.yaml; the stored copy is
                # from the main branch, not confirmed at the operator's 1.21 release)
                yield Finding(
                    res.urn,
                    f"{where} has no servers: Knative's default gateway serves plain HTTP on port 80 with no "
                    "redirect; give the HTTPS server and an HTTP server with tls.httpsRedirect: true",
                )
                continue
            yield from (Finding(res.urn, m) for m in _plain_servers(servers, where))
            yield from (Finding(res.urn, m) for m in _tls_servers(servers, where))
        elif is_k8s(res, "Gateway") and res.type.startswith("kubernetes:networking.istio.io"):
            where = f"Istio Gateway {res.namespace}/{res.k8s_name}"
            yield from (Finding(res.urn, m) for m in _plain_servers(as_list(res.get("spec.servers")), where))
            yield from (Finding(res.urn, m) for m in _tls_servers(as_list(res.get("spec.servers")), where))
        elif is_k8s(res, "Gateway") and res.type.startswith("kubernetes:gateway.networking"):
            yield from _gateway_api_listeners(res, routes)
    yield from _gateway_selectors(resources)
    yield from _kserve_public_gateway(resources)
    yield from _certificate_hosts(resources)
    yield from _certificate_issuance(resources)
    if any(True for _ in _tls_hosts(resources)) or any(_listens_https(r) for r in resources):
        yield from _kserve_url_scheme(resources)


GATEWAY_CHART = "gateway"
GATEWAY_DEFAULT_NAME = "istio-ingressgateway"


def _gateway_pod_labels(release: Resource) -> dict[str, object] | None:
    """The pod labels Istio's gateway chart gives a release's gateway pods, or None when its values are unknown:
    istio/istio manifests/charts/gateway/templates/_helpers.tpl ``gateway.selectorLabels`` (``app``: ``labels.app``
    or the gateway's name; ``istio``: ``labels.istio`` or the name without its ``istio-`` prefix; the name is
    ``values.name``, else the release name, else istio-ingressgateway: ``gateway.name``) and ``gateway.labels`` (every
    other key of ``values.labels``, "Labels to apply to all resources", chart values 1.30.3). Read from the stored
    copy of the chart's helpers (not at the 1.30.3 tag)."""
    values = as_map(release.props.get("values"))
    labels = values.get("labels", {})
    name = values.get("name") or release.props.get("name") or GATEWAY_DEFAULT_NAME
    if labels is UNKNOWN or name is UNKNOWN or not isinstance(name, str):
        return None
    given = as_map(labels)
    if UNKNOWN in given.values():
        return None
    return {
        **given,
        "app": given.get("app") or name,
        "istio": given.get("istio") or name.removeprefix("istio-"),
    }


def _gateway_selectors(resources: Sequence[Resource]) -> Iterator[Finding]:
    """Each gateway the KnativeServing configures (``spec.ingress.istio.<gateway>.selector``, which the operator
    writes as the Istio Gateway's ``selector``: operator.knative.dev knativeserving_v1beta1.json "The selector for the
    ingress-gateway") selects the pods of an Istio gateway release of the plan. An Istio Gateway's ``selector`` is
    "One or more labels that indicate a specific set of pods/VMs on which this gateway configuration should be
    applied" (networking.istio.io Gateway v1 CRD, /work/shared/upstream/crd-schemas/networking.istio.io/
    gateway_v1.json): a selector no gateway pod carries binds no server, and every public model is unreachable, its
    HTTPS server and redirect with it (rev17m 09: ``istio: ingress-gateway`` for the chart's ``istio:
    ingressgateway``). Not judged without a gateway release in the plan, with one whose values are unknown, or for an
    empty selector."""
    releases = [
        r
        for r in resources
        if r.type in HELM_TYPES and str(r.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1] == GATEWAY_CHART
    ]
    pods = [_gateway_pod_labels(r) for r in releases]
    if not releases or None in pods:
        return
    for res in resources:
        if not is_k8s(res, KNATIVE_SERVING):
            continue
        istio = as_map(res.get("spec.ingress.istio"))
        if istio.get("enabled") is not True:
            continue
        for gname, gateway in istio.items():
            if not isinstance(gateway, dict) or "selector" not in gateway:
                continue
            selector = gateway["selector"]
            if selector is UNKNOWN or (isinstance(selector, dict) and UNKNOWN in selector.values()):
                continue
            wanted = as_map(selector)
            if not wanted or any(all(p is not None and p.get(k) == v for k, v in wanted.items()) for p in pods):
                continue
            shown = ", ".join(
                f"{r.props.get('name')} ({', '.join(f'{k}: {v}' for k, v in sorted(p.items()))})"
                for r, p in zip(releases, pods, strict=True)
                if p is not None
            )
            yield Finding(
                res.urn,
                f"KnativeServing {res.namespace}/{res.k8s_name} {gname} selects pods {dict(wanted)}, which no gateway "
                f"pod carries ({shown}): no server binds, every model behind it is unreachable; select the gateway "
                "release's labels (istio: ingressgateway)",
            )


KSERVE_DEFAULT_URL_SCHEME = "http"
"""KServe's scheme for every InferenceService's ``status.url`` when ``inferenceservice-config``'s ingress config gives
none: kserve/kserve v0.20.0 pkg/apis/serving/v1beta1/configmap.go ``DefaultUrlScheme = "http"`` (applied when
``UrlScheme == ""``, line 340); the kserve-resources v0.20.0 chart's value ``kserve.controller.gateway.urlScheme`` is
``http`` too (/work/shared/upstream/chart-values/kserve-resources-v0.20.0.yaml). The ingress reconcilers write it into
the URL the model publishes (reconcilers/ingress/ingress_reconciler.go line 184 ``url.Scheme = config.UrlScheme``,
httproute_reconciler.go line 94)."""


def _listens_https(res: Resource) -> bool:
    """A Gateway API Gateway with an HTTPS listener (the Standard mode's public gateway)."""
    if not (is_k8s(res, "Gateway") and res.type.startswith("kubernetes:gateway.networking")):
        return False
    return any(as_map(listener).get("protocol") == "HTTPS" for listener in as_list(res.get("spec.listeners")))


def _kserve_url_scheme(resources: Sequence[Resource]) -> Iterator[Finding]:
    """Where the gateway serves HTTPS, KServe publishes every model's URL (``status.url``, the URL clients and the
    platform's outputs follow) as ``https://``: with ``http`` a client that follows it sends its bearer token in
    plain text to port 80 before the gateway's redirect answers (rev17l 18)."""
    for res in resources:
        if res.type not in HELM_TYPES or not str(res.props.get("chart", "")).rstrip("/").endswith("kserve-resources"):
            continue
        gateway = as_map(as_map(as_map(as_map(res.props.get("values")).get("kserve")).get("controller")).get("gateway"))
        scheme = gateway.get("urlScheme", KSERVE_DEFAULT_URL_SCHEME)
        if scheme is UNKNOWN:
            continue
        if (
            not isinstance(scheme, str) or scheme.lower() != "https"
        ):  # a URL's scheme is case-insensitive (RFC 3986 3.1)
            shown = "unset (KServe's default is http)" if "urlScheme" not in gateway else repr(scheme)
            yield Finding(
                res.urn,
                f"KServe release {res.name}: kserve.controller.gateway.urlScheme is {shown} while the gateway serves "
                "HTTPS: every model's URL is published as http://, and a client following it sends its token in "
                "plain text before the redirect; set it to https",
            )


KNATIVE_PUBLIC_GATEWAY = "knative-ingress-gateway"


def _kserve_public_gateway(resources: Sequence[Resource]) -> Iterator[Finding]:
    """In Knative mode KServe binds each public model's host (the URL it publishes) to the Istio Gateway
    ``kserve.controller.gateway.ingressGateway.gateway`` names, and every model to ``localGateway.gateway``: kserve/
    kserve pkg/controller/v1beta1/inferenceservice/reconcilers/ingress/ingress_reconciler.go ``createIngress``
    (``gateways := []string{config.LocalGateway, constants.IstioMeshGateway}``; ``if !isInternal { ...
    gateways = append(gateways, config.IngressGateway) }``), chart values ``ingressGateway.gateway:
    knative-serving/knative-ingress-gateway``, ``localGateway.gateway: knative-serving/knative-local-gateway``
    (/work/shared/upstream/chart-values/kserve-resources-v0.20.0.yaml). The public gateway this rule judges is the
    KnativeServing's ``knative-ingress-gateway`` (in the KnativeServing's namespace) or an Istio Gateway of the plan;
    any other value (rev17m 10: knative-local-gateway, the cluster-local one) leaves every public model's URL with no
    route on the HTTPS gateway. Standard mode is standard-gateway-api's (``kserveGateway``)."""
    knative = [
        r
        for r in resources
        if is_k8s(r, KNATIVE_SERVING) and as_map(r.get("spec.ingress.istio")).get("enabled") is True
    ]
    public = {f"{r.namespace}/{KNATIVE_PUBLIC_GATEWAY}" for r in knative}
    public |= {
        f"{r.namespace}/{r.k8s_name}"
        for r in resources
        if is_k8s(r, "Gateway") and r.type.startswith("kubernetes:networking.istio.io")
    }
    if not knative:
        return
    for res in resources:
        if res.type not in HELM_TYPES or not str(res.props.get("chart", "")).rstrip("/").endswith("kserve-resources"):
            continue
        controller = as_map(as_map(as_map(res.props.get("values")).get("kserve")).get("controller"))
        if controller.get("deploymentMode", "Knative") == "Standard" or controller.get("deploymentMode") is UNKNOWN:
            continue
        gateway = as_map(as_map(controller.get("gateway")).get("ingressGateway")).get(
            "gateway", f"knative-serving/{KNATIVE_PUBLIC_GATEWAY}"
        )
        if gateway is UNKNOWN or gateway in public:
            continue
        yield Finding(
            res.urn,
            f"KServe release {res.name}: kserve.controller.gateway.ingressGateway.gateway is {gateway!r}, not the "
            f"public HTTPS gateway ({', '.join(sorted(public))}): KServe binds every public model's URL there, so "
            "no public model answers on its published URL; name the public gateway",
        )


def _gateway_api_listeners(gateway: Resource, routes: Sequence[Resource]) -> Iterator[Finding]:
    """A Gateway API Gateway's plain listeners (protocol HTTP) serve nothing but the redirect: they admit only routes
    of the Gateway's own namespace (``allowedRoutes.namespaces.from: Same``, the API's default: kubernetes-sigs/
    gateway-api apis/v1/gateway_types.go ``RouteNamespaces``, "Same: Only Routes in the same namespace may be used
    by this Gateway", ``+kubebuilder:default=Same``; read from the stored copy, the release pinned in
    components/versions.py is v1.5.1), and every such route attached to the listener (a parentRef naming the Gateway
    with that ``sectionName`` or none) redirects every request to https (each rule has a ``RequestRedirect`` filter
    with ``scheme: https``); at least one does. Otherwise a model route attached there is served in plain text."""
    name, ns = gateway.k8s_name, gateway.namespace
    for i, listener in enumerate(as_list(gateway.get("spec.listeners"))):
        lst = as_map(listener)
        protocol = lst.get("protocol")
        if protocol == "HTTPS":
            yield from _https_listener(gateway, lst, i)
        if protocol is UNKNOWN or protocol != "HTTP":
            continue
        where = f"Gateway {ns}/{name} listener {lst.get('name', i)!s} (port {lst.get('port')}, HTTP)"
        origin = as_map(as_map(lst.get("allowedRoutes")).get("namespaces")).get("from", "Same")
        if origin is not UNKNOWN and origin != "Same":
            yield Finding(
                gateway.urn,
                f"{where} admits routes from {origin} namespaces: a model's HTTPRoute attaches to it and is served "
                "in plain text; admit only this namespace's (allowedRoutes.namespaces.from: Same)",
            )
        attached = [r for r in routes if r.namespace == ns and _attaches(r, name, lst.get("name"))]
        plain = [r for r in attached if not _redirects_all(r)]
        for r in plain:
            yield Finding(
                r.urn,
                f"HTTPRoute {r.namespace}/{r.k8s_name} on {where} has a rule without a RequestRedirect to https: it "
                "serves plain text",
            )
        if not attached:
            yield Finding(
                gateway.urn,
                f"{where} has no HTTPRoute redirecting to https: plain HTTP gets no redirect (give one with a "
                "RequestRedirect filter, scheme https)",
            )


GATEWAY_API_TERMINATE = ("", "Terminate")
"""The ``tls.mode`` values an HTTPS listener of a Gateway API Gateway may have: the Gateway CRD refuses any other
(kubernetes-sigs/gateway-api apis/v1/gateway_types.go, ``Listeners``: XValidation "tls mode must be Terminate for
protocol HTTPS", rule ``(l.protocol == 'HTTPS' && has(l.tls)) ? (l.tls.mode == '' || l.tls.mode == 'Terminate')``;
an unset mode defaults to Terminate). A Passthrough listener is refused with the whole Gateway: no Standard-mode model
is served (rev17m 11)."""


def _https_listener(gateway: Resource, listener: dict[str, object] | object, index: int) -> Iterator[Finding]:
    lst = as_map(listener)
    mode = as_map(lst.get("tls")).get("mode", "")
    if mode is UNKNOWN or mode in GATEWAY_API_TERMINATE:
        return
    name = lst.get("name", index)
    where = f"Gateway {gateway.namespace}/{gateway.k8s_name} listener {name!s} (port {lst.get('port')}, HTTPS)"
    yield Finding(
        gateway.urn,
        f"{where} has tls.mode {mode!r}: the Gateway API refuses an HTTPS listener that does not terminate TLS "
        '("tls mode must be Terminate for protocol HTTPS"), so the Gateway is rejected and no model is served; '
        "set tls.mode: Terminate",
    )


def _attaches(route: Resource, gateway: str, section: object) -> bool:
    for ref in as_list(route.get("spec.parentRefs")):
        r = as_map(ref)
        if r.get("kind", "Gateway") != "Gateway" or r.get("name") != gateway:
            continue
        if r.get("sectionName") in (None, section):
            return True
    return False


def _redirects_all(route: Resource) -> bool:
    rules = as_list(route.get("spec.rules"))
    if not rules:
        return False
    for rule in rules:
        filters = [as_map(f) for f in as_list(as_map(rule).get("filters"))]
        if not any(
            f.get("type") == "RequestRedirect" and as_map(f.get("requestRedirect")).get("scheme") in ("https", UNKNOWN)
            for f in filters
        ):
            return False
    return True


CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
KNATIVE_DEFAULT_DOMAIN_TEMPLATE = "{{.Name}}.{{.Namespace}}.{{.Domain}}"
"""Knative's ``domain-template`` when config-network sets none: knative/serving knative-v1.21.3
vendor/knative.dev/networking/pkg/config/config.go ``DefaultDomainTemplate``. A model's host is the template over its
name, namespace and each ``config.domain`` key (the platform renders ``{{.Name}}-{{.Namespace}}.{{.Domain}}``:
components/platform/knative.py)."""


def _covers(dns_names: Sequence[object], host: str) -> bool:
    """Whether a certificate for ``dns_names`` is valid for ``host``: the name itself, or a wildcard ``*.<rest>``
    covering exactly one leftmost label (RFC 6125 section 6.4.3; a wildcard host needs the same wildcard)."""
    host = host.lower().rstrip(".")
    names = {str(n).lower().rstrip(".") for n in dns_names}
    if host in names:
        return True
    first, _, rest = host.partition(".")
    return bool(rest) and first != "*" and f"*.{rest}" in names


def _model_hosts(knative: Resource) -> list[str]:
    """A model host of each Knative domain (``config.domain`` keys) under the KnativeServing's ``domain-template``
    (:data:`KNATIVE_DEFAULT_DOMAIN_TEMPLATE` without one), for a model ``m`` in namespace ``ns``; none when the
    template reads more than the name, namespace and domain (not judged)."""
    config = as_map(knative.get("spec.config"))
    template = as_map(config.get("network")).get("domain-template", KNATIVE_DEFAULT_DOMAIN_TEMPLATE)
    if not isinstance(template, str):
        return []
    filled = template.replace("{{.Name}}", "m").replace("{{.Namespace}}", "ns")
    if "{{" in filled.replace("{{.Domain}}", ""):
        return []
    return [filled.replace("{{.Domain}}", d) for d in as_map(config.get("domain")) if isinstance(d, str)]


def _tls_hosts(resources: Sequence[Resource]) -> Iterator[tuple[str, str | None, str, list[str]]]:
    """(where, namespace or None, credentialName, hosts) of every HTTPS server of the Knative ingress gateway (its
    servers' ``hosts`` and a model host of each Knative domain) and of each Istio Gateway."""
    for res in resources:
        if is_k8s(res, KNATIVE_SERVING):
            istio = as_map(res.get("spec.ingress.istio"))
            if istio.get("enabled") is not True:
                continue
            models = _model_hosts(res)
            for gname, gateway in istio.items():
                for server in as_list(as_map(gateway).get("servers")):
                    tls = as_map(as_map(server).get("tls"))
                    credential = tls.get("credentialName")
                    hosts = as_list(as_map(server).get("hosts"))
                    if not isinstance(credential, str) or UNKNOWN in hosts:
                        continue
                    where = f"KnativeServing {res.namespace}/{res.k8s_name} {gname}"
                    extra = models if gname == "knative-ingress-gateway" else []
                    yield where, None, credential, [str(h) for h in hosts if h != "*"] + extra
        elif is_k8s(res, "Gateway") and res.type.startswith("kubernetes:networking.istio.io"):
            for server in as_list(res.get("spec.servers")):
                tls = as_map(as_map(server).get("tls"))
                credential = tls.get("credentialName")
                hosts = as_list(as_map(server).get("hosts"))
                if isinstance(credential, str) and UNKNOWN not in hosts:
                    where = f"Istio Gateway {res.namespace}/{res.k8s_name}"
                    yield where, res.namespace, credential, [str(h).split("/")[-1] for h in hosts if h != "*"]


def _certificate_hosts(resources: Sequence[Resource]) -> Iterator[Finding]:
    """The cert-manager Certificate behind an HTTPS server's ``credentialName`` (its ``secretName``) is valid for
    every host the server takes (the server's ``hosts`` and, for the Knative ingress gateway, each model host): a
    host it does not cover fails TLS for every client (rev17j j18: ``dnsNames: [domain]`` without ``*.<domain>``
    planned clean, and every model host ``<name>-<namespace>.<domain>`` failed)."""
    certificates = [r for r in resources if r.type == CERTIFICATE]
    for where, namespace, credential, hosts in _tls_hosts(resources):
        for cert in certificates:
            if cert.get("spec.secretName") != credential or namespace not in (None, cert.namespace):
                continue
            names = cert.get("spec.dnsNames")
            if names is UNKNOWN or (isinstance(names, list) and UNKNOWN in names):
                continue
            listed = [n for n in as_list(names) if isinstance(n, str)]
            missing = [h for h in dict.fromkeys(hosts) if not _covers(listed, h)]
            if missing:
                yield Finding(
                    cert.urn,
                    f"Certificate {cert.namespace}/{cert.k8s_name} (Secret {credential}, served by {where}) lists "
                    f"dnsNames {listed}: not valid for {', '.join(missing)}; every such host fails TLS",
                )


CERT_MANAGER_GROUP = "cert-manager.io"
RSA_KEY_SIZES = (2048, 8192)
ECDSA_KEY_SIZES = (256, 384, 521)
"""The private key sizes cert-manager's webhook admits for a Certificate (cert-manager/cert-manager
internal/apis/certmanager/validation/certificate.go ``ValidateCertificateSpec``: for algorithm "" or RSA a size
outside ``pki.MinRSAKeySize``..``pki.MaxRSAKeySize`` (2048..8192, pkg/util/pki) is "Invalid", for ECDSA any size but
256, 384 and 521 is "NotSupported", Ed25519 takes no size, any other algorithm is "Invalid"; size 0 is the default,
2048 or 256). The pinned v1.21.1 CRD says the same (/work/shared/upstream/crd-schemas/cert-manager.io/
certificate_v1.json ``spec.privateKey.size``: "If `algorithm` is set to `ECDSA`, valid values are `256`, `384` or
`521` ... No other values are allowed"; ``algorithm`` enum RSA, ECDSA, Ed25519). A refused Certificate is never
created: the gateway's TLS Secret never exists and HTTPS serves nothing (rev17m 17)."""


def _key_problem(private_key: object) -> str | None:
    """Why cert-manager's webhook refuses a Certificate's ``spec.privateKey``, or None (see :data:`ECDSA_KEY_SIZES`)."""
    key = as_map(private_key)
    algorithm, size = key.get("algorithm", ""), key.get("size", 0)
    if algorithm is UNKNOWN or size is UNKNOWN:
        return None
    if size is None:
        size = 0
    if not isinstance(size, int) or isinstance(size, bool):
        return f"privateKey.size {size!r} is not a number"
    if algorithm in ("", None, "RSA"):
        low, high = RSA_KEY_SIZES
        return (
            f"an RSA privateKey.size must be between {low} and {high}, not {size}"
            if size and not low <= size <= high
            else None
        )
    if algorithm == "ECDSA":
        return (
            f"an ECDSA privateKey.size must be 256, 384 or 521, not {size}"
            if size and size not in ECDSA_KEY_SIZES
            else None
        )
    if algorithm == "Ed25519":
        return None
    return f"privateKey.algorithm {algorithm!r} is none of RSA, ECDSA, Ed25519"


def _served_certificates(resources: Sequence[Resource]) -> Iterator[tuple[str, Resource]]:
    """(where, Certificate) for every cert-manager Certificate whose Secret a public gateway serves: an HTTPS server's
    ``credentialName`` (the Knative ingress gateway, an Istio Gateway) or a Gateway API HTTPS listener's
    ``certificateRefs`` (a Secret of the Gateway's namespace unless the ref names one)."""
    certificates = [r for r in resources if r.type == CERTIFICATE]
    secrets: list[tuple[str, str | None, str]] = [(w, ns, cred) for w, ns, cred, _ in _tls_hosts(resources)]
    for res in resources:
        if not (is_k8s(res, "Gateway") and res.type.startswith("kubernetes:gateway.networking")):
            continue
        for listener in as_list(res.get("spec.listeners")):
            lst = as_map(listener)
            if lst.get("protocol") != "HTTPS":
                continue
            for ref in as_list(as_map(lst.get("tls")).get("certificateRefs")):
                r = as_map(ref)
                name, kind = r.get("name"), r.get("kind", "Secret")
                if isinstance(name, str) and kind == "Secret" and r.get("group", "") in ("", "core"):
                    namespace = r.get("namespace", res.namespace)
                    where = f"Gateway {res.namespace}/{res.k8s_name} listener {lst.get('name')!s}"
                    secrets.append((where, namespace if isinstance(namespace, str) else None, name))
    seen: set[str] = set()
    for where, namespace, secret in secrets:
        for cert in certificates:
            if cert.urn in seen or cert.get("spec.secretName") != secret or namespace not in (None, cert.namespace):
                continue
            seen.add(cert.urn)
            yield where, cert


def _certificate_issuance(resources: Sequence[Resource]) -> Iterator[Finding]:
    """The Certificate a public gateway serves is one cert-manager issues, and one clients can trust: its
    ``privateKey`` passes cert-manager's webhook (:data:`ECDSA_KEY_SIZES`), and its ``issuerRef`` names an Issuer (of
    its namespace) or ClusterIssuer of the plan that is not a SelfSigned one. cert-manager docs, SelfSigned
    (cert-manager.io/docs/configuration/selfsigned/): the SelfSigned issuer "doesn't represent a certificate authority
    as such, but instead denotes that certificates will 'sign themselves'"; v1.0 docs: "Clients consuming these
    certificates have no way to trust this certificate since there is no CA signer apart from itself" (rev17m 16: the
    gateway certificate issued by mlplatform-selfsigned on an ACME stack). The platform signs the gateway certificate
    with the stack's issuer: the CA ClusterIssuer (one CA clients trust) or the ACME one
    (components/platform/certmanager.py). An issuerRef of another group (an external issuer) is not judged; an
    unset kind is Issuer and an unset group cert-manager.io (the pinned CRD's ``issuerRef`` descriptions)."""
    issuers = [r for r in resources if is_k8s(r, "Issuer", "ClusterIssuer") and r.type.startswith("kubernetes:cert-")]
    for where, cert in _served_certificates(resources):
        label = f"Certificate {cert.namespace}/{cert.k8s_name} (served by {where})"
        problem = _key_problem(cert.get("spec.privateKey"))
        if problem:
            yield Finding(
                cert.urn,
                f"{label}: cert-manager's webhook refuses it ({problem}): the Certificate is never created and the "
                "gateway has no TLS Secret to serve",
            )
        ref = as_map(cert.get("spec.issuerRef"))
        group, kind, name = ref.get("group", CERT_MANAGER_GROUP), ref.get("kind", "Issuer"), ref.get("name")
        if UNKNOWN in (group, kind, name) or group not in ("", CERT_MANAGER_GROUP):
            continue
        kind = kind or "Issuer"
        match = [
            i
            for i in issuers
            if i.k8s_name == name
            and i.type.rsplit(":", 1)[-1] == kind
            and (kind == "ClusterIssuer" or i.namespace == cert.namespace)
        ]
        if not match:
            yield Finding(
                cert.urn,
                f"{label} names {kind} {name!r}, which the plan does not create: cert-manager never issues it and "
                "the gateway has no TLS Secret to serve",
            )
            continue
        spec = as_map(match[0].get("spec"))
        if "selfSigned" in spec:
            yield Finding(
                cert.urn,
                f"{label} is issued by {kind} {name!r}, a SelfSigned issuer: the certificate signs itself and no "
                "client can trust it; name the stack's issuer (the CA or ACME ClusterIssuer)",
            )


_HTTPS_READS = reading(
    {
        KNATIVE_SERVING: ("spec.ingress.istio.*",),
        **{t: ("values.kserve.controller.gateway", "values.labels.*", "values.name") for t in HELM_TYPES},
        "Gateway": ("spec.servers.*", "spec.listeners.*"),
        "HTTPRoute": ("spec.parentRefs.*", "spec.rules.*"),
        "Certificate": ("spec.secretName", "spec.dnsNames.*", "spec.privateKey.*", "spec.issuerRef.*"),
        "Issuer": ("spec.selfSigned",),
        "ClusterIssuer": ("spec.selfSigned",),
    }
)

RULES.append(
    Rule(
        name="gateway-https-only",
        description=(
            "The public gateway serves models over HTTPS only: the KnativeServing's gateways select the Istio gateway "
            "release's pods, and in Knative mode KServe binds public models to the public gateway "
            "(ingressGateway.gateway: the knative-ingress-gateway or an Istio Gateway of the plan, not the local one); "
            "every plain-text server of the Knative ingress gateway "
            "(or any Istio Gateway) sets tls.httpsRedirect: true, every HTTPS server terminates TLS (tls.mode SIMPLE, "
            "MUTUAL or OPTIONAL_MUTUAL with a credentialName: not PASSTHROUGH, where HTTP routes never match), and a "
            "Gateway API HTTP listener admits only its own namespace's routes, each redirecting to https, and an "
            "HTTPS listener terminates TLS (tls.mode Terminate, as the Gateway API requires); the Certificate behind "
            "each HTTPS server's credentialName is valid for the server's hosts and every model host (Knative's "
            "domain-template over each domain), has a private key cert-manager admits (RSA 2048-8192, ECDSA 256, "
            "384 or 521, Ed25519) and names an issuer of the plan that is not SelfSigned; where the gateway serves "
            "HTTPS, KServe publishes model URLs as https (kserve-resources values "
            "kserve.controller.gateway.urlScheme: https; KServe's default is http)."
        ),
        enforcement="mandatory",
        area="mesh",
        applies_to=(
            "KnativeServing",
            "networking.istio.io Gateway",
            "gateway.networking.k8s.io Gateway, HTTPRoute",
            "cert-manager.io Certificate, Issuer, ClusterIssuer",
            "Helm releases gateway (Istio) and kserve-resources",
        ),
        check_stack=_https_only,
        unknown=_HTTPS_READS,
        remediation="set tls.httpsRedirect: true on the HTTP server (components/platform/istio.py gateway_servers)",
    )
)
