"""Rules that send requests and connections through the plan's objects: who reads metrics, which paths callers reach.

Each rule builds the Kubernetes objects of the plan (NetworkPolicies, Istio policies, InferenceServices) and asks
:mod:`components.serving.requestpath` what happens (Kubernetes NetworkPolicy semantics, Istio's authorization, the
gateway/activator/pod hops), so a slip in any of the objects that decide is seen, whatever its shape. The callers,
ports and requests the rules try are the rules' own (below, with their sources), not the constants the components
render with: a slip in a component constant (a port, Prometheus' labels, the path normalization) changes what is
rendered, never what is tried.

**Where the cluster may not enforce NetworkPolicy** (``cluster.existing.networkPolicy`` ``not-enforced`` or
``unknown``; every managed cluster we build enforces it: components/clusters/_common.py
``network_policy_enforced``): a NetworkPolicy has no effect without a network plugin that implements it
(kubernetes.io/docs/concepts/services-networking/network-policies/, "Prerequisites"). ``model-metrics-prometheus-only``
and ``gateway-metrics-prometheus-only`` still judge the NetworkPolicies as rendered (a slip there is a slip on every
cluster), and the advisory rule ``network-policy-enforced`` warns that on this cluster they may have no effect, so
the metrics ports are open to every pod. It is a warning, not a failure: the stack file records the fact, the
program warns the same at plan time (components/serving/model_service.py ``metrics_exposure_warning``), and only
the request metrics are exposed, not the serving path (Istio decides there).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policy.rules.base import (
    Facts,
    Finding,
    Resource,
    Rule,
    as_list,
    as_map,
    content_token,
    frozen,
    is_k8s,
    unknown_path,
)
from policy.rules.models import (
    HELM_TYPES,
    HOST_ANNOTATION,
    ISVC,
    ISVC_POD_LABEL,
    MESH_ROOT,
    MODE_ANNOTATION,
    PREDICTOR_POD_LABELS,
    _isvcs,
    _known,
    _object,
    deployment_mode,
    is_public,
    platform_mode,
    props_known,
)

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
IG = "kubernetes:serving.kserve.io/v1alpha1:InferenceGraph"
IG_LABEL = "serving.kserve.io/inferencegraph"
"""The router pods' label (``constants.InferenceGraphLabel``, pkg/constants/constants.go, KServe v0.20.0)."""
ENVOY_STATS_PORT = 15090
"""Envoy's ``/stats/prometheus`` on every sidecar and gateway (``http-envoy-prom``); with 15020 and 15021 excluded
from inbound redirection by the injector (``-d 15090,15021,15020``, manifests/charts/istio-control/istio-discovery/
files/injection-template.yaml, Istio 1.30.3): no Istio policy applies, only NetworkPolicy."""
AGENT_STATUS_PORT = 15020
"""pilot-agent's status server: ``/stats/prometheus`` serves Envoy's stats merged with the application's
(pilot/cmd/pilot-agent/status/server.go ``handleStats``, Istio 1.30.3)."""
QUEUE_USER_METRICS_PORT = 9091
"""The queue-proxy's request metrics (``UserQueueMetricsPort``, pkg/networking/constants.go, knative/serving
knative-v1.21.3); Istio intercepts it (mTLS and the model's AuthorizationPolicy decide after NetworkPolicy)."""
MODEL_METRICS_PORTS = {"Knative": (ENVOY_STATS_PORT, AGENT_STATUS_PORT, QUEUE_USER_METRICS_PORT)}
STANDARD_METRICS_PORTS = (ENVOY_STATS_PORT, AGENT_STATUS_PORT)
"""Standard mode has no queue-proxy."""
GATEWAY_LABELS = {"istio": "ingressgateway"}
"""The ingress gateway pods (public and knative-local-gateway): the selector Knative's ``knative-ingress-gateway``
and KServe expect (net-istio knative-v1.21.3 config/203-local-gateway.yaml ``selector: istio: ingressgateway``)."""
GATEWAY_METRICS_PORTS = (ENVOY_STATS_PORT, AGENT_STATUS_PORT)
GATEWAY_EXTERNAL_PORTS = (80, 443, 15021)
"""The gateway chart's Service ports' targets (manifests/charts/gateway/values.yaml ``service.ports``, Istio 1.30.3:
80, 443 and the status port 15021 that load balancers health-check), reached from any address."""
LOCAL_GATEWAY_PORTS = (8081, 8444)
"""knative-local-gateway's targets (net-istio knative-v1.21.3 config/203-local-gateway.yaml: Service ports 80 ->
8081, 443 -> 8444), reached from pods: KServe routes every model's cluster host there."""
PROMETHEUS_CHART = "kube-prometheus-stack"
PROMETHEUS_NAME_LABEL = ("app.kubernetes.io/name", "prometheus")
"""prometheus-operator puts ``app.kubernetes.io/name: prometheus`` and ``operator.prometheus.io/name: <CR name>`` on
every Prometheus pod (pkg/prometheus/server/operator.go ``makeSelectorLabels``, v0.93.0); kube-prometheus-stack
88.5.3 names the CR ``<release>-prometheus`` when the release name contains the chart name (_helpers.tpl
``kube-prometheus-stack.prometheus.crname``, ``fullname``), and selects its pods with both in its own NetworkPolicy
(templates/prometheus/networkpolicy.yaml)."""
OTHER_NAMESPACE = "mlp-policy-outsider"
"""A namespace no stack names: a pod there stands for any workload of the cluster."""
GRAFANA_LABELS = {"app.kubernetes.io/name": "grafana"}
"""Another pod of the monitoring namespace (kube-prometheus-stack's Grafana)."""

NORMALIZATION = "DECODE_AND_MERGE_SLASHES"
NORMALIZATIONS = ("NONE", "BASE", "MERGE_SLASHES", "DECODE_AND_MERGE_SLASHES")
"""``meshConfig.pathNormalization.normalization``, weakest first: each adds to the one before
(istio.io/latest/docs/reference/config/security/normalization/; Istio's default is ``BASE``, and
istio.io/latest/docs/ops/best-practices/security/ "Customize your system on path normalization" recommends
``DECODE_AND_MERGE_SLASHES``, which also decodes ``%2F``/``%5C`` and merges slashes)."""
EVASIONS = ("/v2/repository%2Fmodels%2F{m}%2Funload", "/v2//repository/models/{m}/unload", "//metrics")
"""Paths a caller would send to reach the admin API past an allow-list matched on the raw path: what a weaker
normalization leaves for Envoy to match differently from the server (uvicorn percent-decodes the whole path)."""


def admin_requests(name: str) -> list[tuple[str, str]]:
    """(method, path) of the model servers' non-inference endpoints a caller must never reach (components/serving/
    _auth.py module docstring, with sources: KServe v0.20.0 server.py ``/metrics``, v2_endpoints.py
    ``/v2/repository/models/{name}/load|unload``; Triton 23.05 http_server.cc ``/v2/repository/index``,
    ``/v2/logging``, ``/v2/trace/setting``, ``/v2/models/stats``, ``/v2/systemsharedmemory/...``), and the same
    unload behind the encodings :data:`EVASIONS` lists."""
    return [
        ("POST", f"/v2/repository/models/{name}/unload"),
        ("POST", f"/v2/repository/models/{name}/load"),
        ("POST", "/v2/repository/index"),
        ("GET", "/metrics"),
        ("GET", "/v2/models/stats"),
        ("POST", "/v2/logging"),
        ("POST", "/v2/trace/setting"),
        ("POST", "/v2/systemsharedmemory/region/r/register"),
        *(("GET" if p == "//metrics" else "POST", p.format(m=name)) for p in EVASIONS),
    ]


# ------------------------------------------------------------------------------------------------ plan helpers


def _prometheus(resources: Sequence[Resource]) -> tuple[str, dict[str, str]] | None:
    """(namespace, pod labels) of the platform's Prometheus, from the kube-prometheus-stack Helm release, or None."""
    for r in resources:
        if r.type in HELM_TYPES and str(r.props.get("chart", "")).rstrip("/").endswith(PROMETHEUS_CHART):
            release = r.props.get("name")
            ns = r.props.get("namespace")
            if not isinstance(release, str) or not isinstance(ns, str):
                return None
            crname = (
                f"{release}-prometheus" if PROMETHEUS_CHART in release else f"{release}-{PROMETHEUS_CHART}-prometheus"
            )
            return ns, dict([PROMETHEUS_NAME_LABEL, ("operator.prometheus.io/name", crname)])
    return None


def _policies(resources: Sequence[Resource], namespaces: set[str | None], *kinds: str) -> list[Resource]:
    return [r for r in resources if is_k8s(r, *kinds) and r.namespace in namespaces]


def _unknown_network(res: Resource) -> str | None:
    """A NetworkPolicy or Istio policy known only after deploy."""
    if is_k8s(res, "NetworkPolicy", "AuthorizationPolicy", "RequestAuthentication") and not _known(res.props):
        return f"{res.type.rsplit(':', 1)[-1]} {res.namespace}/{res.k8s_name}"
    if res.type == ISVC and not (_known(res.props.get("metadata")) and _known(res.get("spec.predictor"))):
        return f"InferenceService {res.namespace}/{res.k8s_name}"
    if is_k8s(res, "InferenceGraph") and not _known(res.props.get("metadata")):
        return f"InferenceGraph {res.namespace}/{res.k8s_name}"
    return None


def _outsiders(namespace: str, prometheus: tuple[str, dict[str, str]] | None) -> list[tuple[str, Any]]:
    """Sources that must not read metrics: the internet, a pod of the model's namespace, a pod of another namespace
    (each also with Prometheus' pod labels: anyone who may create a pod sets its labels), another pod of the
    monitoring namespace."""
    from components.serving import requestpath as rp

    monitoring = prometheus[0] if prometheus else None
    prom = prometheus[1] if prometheus else dict([PROMETHEUS_NAME_LABEL])
    out: list[tuple[str, Any]] = [
        ("the internet", rp.EXTERNAL),
        (f"a pod in {namespace}", rp.source(namespace)),
        (f"a pod in {namespace} labelled like Prometheus", rp.source(namespace, prom)),
        (f"a pod in {OTHER_NAMESPACE}", rp.source(OTHER_NAMESPACE)),
        (f"a pod in {OTHER_NAMESPACE} labelled like Prometheus", rp.source(OTHER_NAMESPACE, prom)),
    ]
    if monitoring is not None:
        out.append((f"another pod in {monitoring} (Grafana)", rp.source(monitoring, GRAFANA_LABELS)))
    return out


def _mesh_peer(src: Any) -> Any:
    """The Istio peer of a pod source (the namespace's default ServiceAccount), plaintext for the node/internet."""
    from components.serving import requestpath as rp

    return rp.PLAINTEXT if src.namespace is None else rp.pod(src.namespace)


# ------------------------------------------------------------------------------------------------ model metrics


def _metrics_workloads(resources: Sequence[Resource]) -> Iterator[tuple[Resource, dict[str, str], str, str]]:
    """(resource, pod labels, what, cluster host) of every workload whose metrics ports the rule judges: each model's
    predictor pods (the InferenceService's labels, which KServe copies, plus :data:`PREDICTOR_POD_LABELS`) and each
    pipeline's router pods (the graph's labels, which KServe copies to the router, plus ``serving.kserve.io/
    inferencegraph: <name>``: constants.InferenceGraphLabel, set by knative_reconciler.go and raw_ig.go, KServe
    v0.20.0)."""
    for model in _isvcs(resources):
        ns = model.namespace
        labels = {
            **{str(k): str(v) for k, v in as_map(model.metadata.get("labels")).items()},
            ISVC_POD_LABEL: model.k8s_name,
            PREDICTOR_POD_LABELS[0]: PREDICTOR_POD_LABELS[1],
        }
        yield model, labels, f"model {ns}/{model.k8s_name}", f"{model.k8s_name}-predictor.{ns}.svc.cluster.local"
    for graph in (r for r in resources if is_k8s(r, "InferenceGraph")):
        ns = graph.namespace
        labels = {**{str(k): str(v) for k, v in as_map(graph.metadata.get("labels")).items()}, IG_LABEL: graph.k8s_name}
        yield graph, labels, f"pipeline {ns}/{graph.k8s_name} (router)", f"{graph.k8s_name}.{ns}.svc.cluster.local"


def _model_metrics(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """Every model's and pipeline router's metrics ports: no outsider connects (and, on 9091, is let through by
    Istio); the platform's Prometheus reads Envoy's 15090 (what a model's PodMonitor scrapes) when the plan runs it."""
    from components.serving import requestpath as rp

    default = platform_mode(resources)
    prom = _prometheus(resources)
    for model, labels, where, host in _metrics_workloads(resources):
        if _unknown_network(model) or not isinstance(model.namespace, str):
            continue
        ns = model.namespace
        read = _policies(resources, {ns, MESH_ROOT}, "NetworkPolicy", "AuthorizationPolicy")
        if not props_known(read):
            continue
        found = [_object(r) for r in read]
        objects = rp.indexed(found)
        mode = deployment_mode(model, default)
        pods = rp.Workload(ns, labels, f"{ns}/{model.k8s_name}")
        ports = MODEL_METRICS_PORTS.get(mode, STANDARD_METRICS_PORTS)
        try:
            opened = []
            for who, src in _outsiders(ns, prom):
                for port in ports:
                    if port == QUEUE_USER_METRICS_PORT and src.namespace is None:
                        continue  # intercepted: STRICT mTLS refuses a plaintext source (mesh-mtls-strict)
                    l4 = rp.admits(objects, pods, src, port)
                    if l4.allowed and port == QUEUE_USER_METRICS_PORT:
                        req = rp.Request(host, port, "/metrics", "GET")
                        l4 = rp.decide(objects, pods, _mesh_peer(src), req)
                    if l4.allowed:
                        opened.append(f"{who} on {port}")
            if opened:
                yield Finding(
                    model.urn,
                    f"{where}: metrics readable by {', '.join(opened)}; only the platform's Prometheus may read them "
                    "(its NetworkPolicy must select the pods and admit only Prometheus on 15090, 15020"
                    + (", 9091)" if mode == "Knative" else ")"),
                )
            if prom is not None and not rp.admits(objects, pods, rp.source(*prom), ENVOY_STATS_PORT).allowed:
                yield Finding(
                    model.urn,
                    f"{where}: the platform's Prometheus ({prom[0]}) cannot connect to {ENVOY_STATS_PORT}, which the "
                    "platform scrapes: its dashboards and SLO alerts go silent",
                )
        except rp.Unsupported as e:
            yield Finding(model.urn, f"{where}: its NetworkPolicies use what this rule does not evaluate ({e})")


# ------------------------------------------------------------------------------------------------ inference API only


def _token(rule: Mapping[str, Any]) -> Any:
    from components.serving import requestpath as rp

    audiences = [a for a in as_list(rule.get("audiences")) if isinstance(a, str)]
    return rp.Token(issuer=str(rule.get("issuer")), audience=audiences[0] if audiences else None)


def _candidates(model: Resource, istio: list[dict[str, Any]]) -> list[tuple[str, Any, Any, bool]]:
    """Who may be an admitted caller of ``model``: the internet with no token and with a valid token for each
    RequestAuthentication rule, a pod in its namespace and in every namespace an ALLOW rule names, and every workload
    a rule names by principal (:func:`_principal_caller`). The last item is True for a caller named by principal:
    the one place such callers are judged, whether or not their inference request is admitted (Knative's autoscaler
    is admitted by principal for its scrape of the queue-proxy's 9090 only, components/serving/_auth.py
    knative_rules; on the serving ports it would be a leak)."""
    from components.serving import requestpath as rp

    out: list[tuple[str, Any, Any, bool]] = [("the internet", rp.INTERNET, None, False)]
    namespaces = {str(model.namespace)}
    for obj in istio:
        spec = as_map(obj.get("spec"))
        if obj.get("kind") == "RequestAuthentication":
            for rule in as_list(spec.get("jwtRules")):
                issuer = as_map(rule).get("issuer")
                out.append((f"the internet with a token of {issuer}", rp.INTERNET, _token(rule), False))
        elif obj.get("kind") == "AuthorizationPolicy":
            for rule in as_list(spec.get("rules")):
                for f in as_list(as_map(rule).get("from")):
                    namespaces.update(str(n) for n in as_list(as_map(as_map(f).get("source")).get("namespaces")))
    out += [(f"a pod in {ns}", rp.in_namespace(ns), None, False) for ns in sorted(namespaces) if "*" not in ns]
    for principal in _named_principals(istio):
        who, caller = _principal_caller(principal)
        if caller is not None:
            out.append((who, caller, None, True))
    return out


def _named_principals(istio: list[dict[str, Any]]) -> list[str]:
    """Every principal an AuthorizationPolicy rule of ``istio`` names in ``from.source.principals``."""
    named: set[str] = set()
    for obj in istio:
        if obj.get("kind") == "AuthorizationPolicy":
            for rule in as_list(as_map(obj.get("spec")).get("rules")):
                for f in as_list(as_map(rule).get("from")):
                    named.update(str(p) for p in as_list(as_map(as_map(f).get("source")).get("principals")))
    return sorted(named)


def _known_principals() -> dict[str, tuple[str, Mapping[str, str]]]:
    """The principals the platform's policies name (components/serving/_auth.py ``knative_rules``) with the pod
    labels of the workload that holds each: Knative's autoscaler and activator (:data:`KNATIVE_AUTOSCALER`,
    :data:`KNATIVE_ACTIVATOR`) and the Istio ingress gateway (:data:`INGRESS_GATEWAY`, :data:`GATEWAY_LABELS`). The
    rule's own table, not components/serving/_auth.py's principals: a slip there renders a principal the table then
    named too (fix17k); tests/policy/test_policy_fix17k.py pins the two equal."""
    return {
        KNATIVE_AUTOSCALER: ("Knative's autoscaler", dict(KNATIVE_AUTOSCALER_LABELS)),
        KNATIVE_ACTIVATOR: ("Knative's activator", dict(KNATIVE_ACTIVATOR_LABELS)),
        INGRESS_GATEWAY: ("the ingress gateway", dict(GATEWAY_LABELS)),
    }


def _principal_caller(principal: str) -> tuple[str, Any]:
    """A caller holding the mTLS identity ``principal`` (``<trust domain>/ns/<ns>/sa/<sa>``), sending its own
    requests: an AuthorizationPolicy's ``from.source.principals`` matches the peer certificate's identity, exactly,
    by prefix or suffix with ``*`` (istio.io/latest/docs/reference/config/security/authorization-policy/#Source:
    "A list of peer identities derived from the peer certificate. The peer identity is in the format of
    ``<TRUST_DOMAIN>/ns/<NAMESPACE>/sa/<SERVICE_ACCOUNT>``"; the matcher is components/serving/requestpath.py
    ``_source``, Istio 1.30.3 pilot/pkg/security/authz/model/model.go). A principal a rule names is a caller like a
    namespace it names (review #17 row 46: the autoscaler, activator and gateway named by principal were not
    judged as callers of the serving ports). (label, None) for a wildcard or a value not of that form."""
    from components.serving import requestpath as rp

    parts = principal.split("/")
    if "*" in principal or len(parts) != 5 or parts[1] != "ns" or parts[3] != "sa" or not parts[2]:
        return principal, None
    namespace = parts[2]
    who, labels = _known_principals().get(principal, (f"the workload {principal}", {}))
    return who, rp.Caller(who, rp.Peer(principal, namespace), src=rp.source(namespace, labels or None))


def _inference_only(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """Every caller whose inference request reaches a model reaches nothing else of its server (admin, metrics), by
    any route (public gateway, local gateway, mesh, activator, pod); some caller reaches the inference API."""
    from components.serving import requestpath as rp

    default = platform_mode(resources)
    for model in _isvcs(resources):
        if _unknown_network(model) or not isinstance(model.namespace, str):
            continue
        kinds = ("NetworkPolicy", "AuthorizationPolicy", "RequestAuthentication")
        read = [r for r in resources if is_k8s(r, *kinds) and r.namespace in (model.namespace, MESH_ROOT)]
        if not props_known(read):
            continue
        found = [_object(r) for r in read]
        key = (
            (rp.routes, rp.indexed, rp.inference_requests, rp.reaches),
            (model.urn, model.name, default),
            content_token(model),  # its object (type and props) by content, as found's below
            tuple(content_token(r) for r in read),
        )
        judged = _INFERENCE_ONLY.get(key)
        if judged is None:
            if len(_INFERENCE_ONLY) >= _INFERENCE_ONLY_SIZE:
                _INFERENCE_ONLY.clear()
            judged = _INFERENCE_ONLY[key] = tuple(_inference_only_model(model, default, found))
        yield from judged


_INFERENCE_ONLY: dict[tuple[Any, ...], tuple[Finding, ...]] = {}
""":func:`_inference_only_model`'s findings, by everything it reads: the model's URN, name and object (type and props),
the platform's default mode, the policies of its namespace and the mesh root (the resources by content:
:func:`policy.rules.base.content_token`), and the request-path functions it calls (a test that replaces one gets a fresh
judgement). A plan judged again with the model and those policies unchanged reuses them instead of walking every route
again (the walk is most of the rules' time): the tests judge hundreds of plans that differ from a shipped or cover
stack's in one other resource. Bounded: emptied when full."""
_INFERENCE_ONLY_SIZE = 256


_frozen = frozen
"""policy.rules.base :func:`~policy.rules.base.frozen` (it was defined here first)."""


KNATIVE_AUTOSCALER = "cluster.local/ns/knative-serving/sa/controller"
"""The mTLS identity of Knative's autoscaler: its Deployment runs in ``knative-serving`` as ``serviceAccountName:
controller`` with pod label ``app: autoscaler`` (knative/serving knative-v1.21.0 config/core/deployments/
autoscaler.yaml lines 19, 36, 52), in Istio's default trust domain ``cluster.local``. The rule's own copy, not
components/serving/_auth.py's (rev17i i24: ``AUTOSCALER_SERVICE_ACCOUNT = "autoscaler"`` there renders policies for
a principal no pod holds, and the rule, reading the same constant, judged them right)."""
KNATIVE_AUTOSCALER_METRICS_PORT = "9090"
"""The queue-proxy's autoscaler metrics port, which the autoscaler scrapes (knative/serving knative-v1.21.0
pkg/networking/constants.go ``AutoscalingQueueMetricsPort``)."""
KNATIVE_AUTOSCALER_LABELS = {"app": "autoscaler"}
"""The autoscaler's pod label (knative/serving knative-v1.21.3 config/core/deployments/autoscaler.yaml line 36)."""
KNATIVE_ACTIVATOR = "cluster.local/ns/knative-serving/sa/activator"
"""The mTLS identity of Knative's activator: its Deployment runs in ``knative-serving`` as ``serviceAccountName:
activator`` (knative/serving knative-v1.21.3 config/core/deployments/activator.yaml lines 19, 49), in Istio's default
trust domain. The rule's own copy, not components/serving/_auth.py ``ACTIVATOR`` (fix17k)."""
KNATIVE_ACTIVATOR_LABELS = {"app": "activator"}
"""The activator's pod label (activator.yaml line 32, knative-v1.21.3)."""
ACTIVATOR_PROBE = ("GET", "/healthz", (("K-Network-Probe", "queue"), ("User-Agent", "Knative-Activator-Probe")))
"""The activator's readiness probe of a revision's pods (method, path, headers): knative/serving knative-v1.21.3
pkg/activator/net/revision_backends.go ``revisionWatcher.probe`` (lines 175-191: ``GET http://<pod>/`` +
``nethttp.HealthCheckPath``, ``netheader.ProbeKey`` = ``queue.Name``, pkg/queue/constants.go ``Name = "queue"``, and
``netheader.UserAgentKey`` = ``netheader.ActivatorUserAgent``, knative.dev/networking pkg/http/header
``ActivatorUserAgent = "Knative-Activator-Probe"``). Refused by the sidecar (403, not a mesh error:
knative.dev/networking ``IsPotentialMeshErrorResponse``), the activator counts no pod ready and does not fall back
to the ClusterIP (same file, ``checkDests`` lines 370-375: "we know the mesh is not enabled ... we don't want to fall
back"; the platform sets no ``mesh-compatibility-mode``, so Knative's ``auto``): it holds the requests it buffers (a
model at zero) until they time out."""
INGRESS_GATEWAY = "cluster.local/ns/istio-system/sa/istio-ingressgateway"
"""The ingress gateway pods' identity: the Istio gateway chart names its service account after the release
(manifests/charts/gateway/templates/_helpers.tpl, Istio 1.30.3), which the platform installs as
``istio-ingressgateway`` in ``istio-system`` (components/platform/istio.py ``GATEWAY_RELEASE``, ``NAMESPACE``). The
rule's own copy, pinned to components/serving/_auth.py ``GATEWAY`` (fix17k)."""


def _activator_probes(objects: Any, isvc: Mapping[str, Any]) -> bool:
    """Whether Knative's activator (:data:`KNATIVE_ACTIVATOR`, its own pod labels) may send its readiness probe
    (:data:`ACTIVATOR_PROBE`) to the model's queue-proxy: the model's NetworkPolicies admit it on the serving port and
    its AuthorizationPolicies allow the request."""
    from components.serving import requestpath as rp

    m = rp.model_of(isvc)
    namespace = KNATIVE_ACTIVATOR.split("/")[2]
    if not rp.admits(objects, m.pods, rp.source(namespace, KNATIVE_ACTIVATOR_LABELS), m.port).allowed:
        return False
    method, path, headers = ACTIVATOR_PROBE
    req = rp.Request(host=m.predictor_host, port=m.port, path=path, method=method, headers=headers)
    return rp.decide(objects, m.pods, rp.Peer(KNATIVE_ACTIVATOR, namespace), req).allowed


def _autoscaler_scrapes(model: Resource, objects: Sequence[Mapping[str, Any]], isvc: Mapping[str, Any]) -> bool:
    """Whether Knative's autoscaler (:data:`KNATIVE_AUTOSCALER`) may GET /metrics on the model's queue-proxy."""
    from components.serving import requestpath as rp

    namespace = KNATIVE_AUTOSCALER.split("/")[2]
    scraper = rp.Caller(
        "Knative's autoscaler",
        rp.Peer(KNATIVE_AUTOSCALER, namespace),
        src=rp.source(namespace, KNATIVE_AUTOSCALER_LABELS),
    )
    return bool(rp.metrics_scrapers(objects, isvc, scraper).get(KNATIVE_AUTOSCALER_METRICS_PORT))


def _inference_only_model(model: Resource, default: str, found: list[dict[str, Any]]) -> Iterator[Finding]:
    """:func:`_inference_only` for one model whose network policies are known: ``found``, those of its namespace and
    the mesh root."""
    from components.serving import requestpath as rp

    ns = str(model.namespace)
    objects = rp.indexed(found)  # every walk below shares each decision (requestpath.PolicyIndex)
    mode = deployment_mode(model, default)
    isvc = _object(model)
    meta = dict(as_map(isvc.get("metadata")))
    annotations = {**as_map(meta.get("annotations")), MODE_ANNOTATION: mode}
    if is_public(model, default):
        annotations.setdefault(HOST_ANNOTATION, f"{model.k8s_name}-{ns}.example.com")
    isvc = {**isvc, "metadata": {**meta, "namespace": ns, "annotations": annotations}}
    where = f"model {ns}/{model.k8s_name}"
    min_replicas = as_map(as_map(isvc.get("spec")).get("predictor")).get("minReplicas", 1)
    zeros = (False, True) if min_replicas == 0 else (False,)
    istio = [o for o in found if o.get("kind") != "NetworkPolicy"]
    try:
        method, path = rp.inference_requests(isvc)[0]  # the protocol's own call
        admitted = []
        judged = []  # whose admin requests are judged: the admitted, and every caller named by principal
        for who, caller, token, by_principal in _candidates(model, istio):
            for at_zero in zeros:
                out = rp.routes(objects, isvc, caller, at_zero=at_zero, path=path, method=method, token=token)
                if rp.reaches(out):
                    admitted.append((who, caller, token, at_zero))
                if by_principal or rp.reaches(out):
                    judged.append((who, caller, token, at_zero))
        if not admitted:
            yield Finding(
                model.urn,
                f"{where}: no caller reaches its inference API ({method} {path}) by any route: the model is "
                "unreachable (a NetworkPolicy or AuthorizationPolicy closes its serving path)",
            )
            return
        if mode == "Knative" and not _autoscaler_scrapes(model, objects, isvc):
            yield Finding(
                model.urn,
                f"{where}: Knative's autoscaler ({KNATIVE_AUTOSCALER}) may not GET /metrics on the queue-proxy's "
                f"port {KNATIVE_AUTOSCALER_METRICS_PORT}: it cannot read the model's load and scales it on the "
                "activator's data only (admit that principal there)",
            )
        if mode == "Knative" and not _activator_probes(objects, isvc):
            method, path, headers = ACTIVATOR_PROBE
            sent = ", ".join(f"{k}: {v}" for k, v in headers)
            yield Finding(
                model.urn,
                f"{where}: Knative's activator ({KNATIVE_ACTIVATOR}) may not probe the queue-proxy ({method} {path}, "
                f"{sent}): it never counts the model's pods ready, so a request it holds (the model at zero, a "
                "burst) waits until it times out (admit that principal for its probe)",
            )
        if mode == "Knative" and not rp.ingress_probe(objects, isvc, at_zero=False):
            probe_header, probe_value = rp.K_NETWORK_PROBE
            yield Finding(
                model.urn,
                f"{where}: the ingress gateway's readiness probe (GET /healthz, {probe_header}: {probe_value}, from "
                f"{rp.GATEWAY_PRINCIPAL}) is refused at its pods: Knative's prober counts the 403 as abandoned, a "
                "success, so a route change (a canary split) is marked Ready before every gateway pod has it (admit "
                "the gateway's principal for that probe)",
            )
        leaks: dict[str, None] = {}
        for who, caller, token, at_zero in judged:
            for m, p in admin_requests(model.k8s_name):
                out = rp.routes(objects, isvc, caller, at_zero=at_zero, path=p, method=m, token=token)
                for route in (k for k in out if rp.reaches(out, k)):
                    leaks[f"{who} reaches {m} {p} through the {route}"] = None
        if leaks:
            shown = list(leaks)
            more = f" and {len(shown) - 3} more" if len(shown) > 3 else ""
            yield Finding(
                model.urn,
                f"{where}: {'; '.join(shown[:3])}{more}: an admitted caller must reach only the inference API "
                "(the AuthorizationPolicy's rules name its paths per protocol)",
            )
    # AttributeError: a tampered field of another shape (a bool for a map) raised out of the rule, exit 70
    # (rev14e defect 7; tests/policy/test_malformed_isvc_fields.py)
    except (rp.Unsupported, AttributeError, KeyError, TypeError, ValueError) as e:
        yield Finding(model.urn, f"{where}: its policies use what this rule does not evaluate ({e})")


# ------------------------------------------------------------------------------------------------ normalization


def _is_istiod(res: Resource) -> bool:
    chart = str(res.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]
    return res.type in HELM_TYPES and chart == "istiod"


NORMALIZATION_PATH = "meshConfig.pathNormalization.normalization"


def _normalization_unknown(res: Resource) -> str | None:
    """istiod's normalization setting when it is known only after deploy (or NaN): the rule cannot judge it. Only
    this path counts: another value of istiod's known only after deploy does not hide it (red team #17 G11t: every
    unknown in the values used to skip the rule silently)."""
    if not _is_istiod(res):
        return None
    found = unknown_path(res.props, f"values.{NORMALIZATION_PATH}")
    return f"Helm release {res.props.get('name', res.name)} (istiod) {found}" if found else None


def _normalization(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """istiod's ``meshConfig.pathNormalization.normalization`` is :data:`NORMALIZATION` (absent: Istio's ``BASE``)."""
    from components.serving import requestpath as rp

    models = _isvcs(resources)
    for r in (r for r in resources if _is_istiod(r)):
        values = r.props.get("values")
        if _normalization_unknown(r):
            continue  # named by the rule's unknown hook: check --strict fails it
        given = as_map(as_map(as_map(values).get("meshConfig")).get("pathNormalization")).get("normalization")
        shown = "BASE (Istio's default)" if given is None else str(given)
        if given == NORMALIZATION:
            continue
        example = EVASIONS[0].format(m="m")
        seen = rp.normalize_path(example, str(given or "BASE")) if given in (None, *NORMALIZATIONS) else None
        weaker = (
            f"Envoy matches {example} as {seen} while the model server routes on "
            f"{rp.normalize_path(example, NORMALIZATION)}"
            if seen is not None
            else "an unknown value"
        )
        yield Finding(
            r.urn,
            f"istiod meshConfig.pathNormalization.normalization is {shown}, weaker than {NORMALIZATION} ({weaker}): "
            f"the AuthorizationPolicy path allow-lists of {len(models)} model(s) match another path than the server "
            "routes on",
        )


# ------------------------------------------------------------------------------------------------ gateway


def _gateway(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """The ingress gateway pods: no outsider connects to the metrics ports, Prometheus reads 15090 when the plan runs
    it, and the traffic ports stay open (the internet on 80/443/15021, pods on the local gateway's 8081/8444)."""
    from components.serving import requestpath as rp

    charts = [str(r.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1] for r in resources if r.type in HELM_TYPES]
    if "gateway" not in charts:
        return  # no Istio ingress gateway in this plan
    read = _policies(resources, {MESH_ROOT}, "NetworkPolicy")
    if not props_known(read):
        return
    objects = [_object(r) for r in read]
    prom = _prometheus(resources)
    gw = rp.Workload(MESH_ROOT, dict(GATEWAY_LABELS), "gateway")
    try:
        opened = [
            f"{who} on {port}"
            for who, src in _outsiders(MESH_ROOT, prom)
            for port in GATEWAY_METRICS_PORTS
            if rp.admits(objects, gw, src, port).allowed
        ]
        if opened:
            yield Finding(
                None,
                f"the ingress gateway's metrics (every model's request counts) are readable by {', '.join(opened)}: "
                "a NetworkPolicy in istio-system must admit only the platform's Prometheus on 15090 and 15020",
            )
        if prom is not None and not rp.admits(objects, gw, rp.source(*prom), ENVOY_STATS_PORT).allowed:
            yield Finding(None, f"the platform's Prometheus cannot scrape the ingress gateway's {ENVOY_STATS_PORT}")
        pod = rp.source(OTHER_NAMESPACE)
        closed = [
            f"the internet on {p}" for p in GATEWAY_EXTERNAL_PORTS if not rp.admits(objects, gw, rp.EXTERNAL, p).allowed
        ]
        closed += [f"pods on {p}" for p in LOCAL_GATEWAY_PORTS if not rp.admits(objects, gw, pod, p).allowed]
        if closed:
            yield Finding(
                None,
                f"the ingress gateway refuses {', '.join(closed)}: its traffic ports must stay open to every source "
                "(load balancers, health checks, the models' cluster hosts)",
            )
    except rp.Unsupported as e:
        yield Finding(None, f"the gateway's NetworkPolicies use what this rule does not evaluate ({e})")


# ------------------------------------------------------------------------------------------------ enforcement


def _enforced(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    if facts.network_policy == "enforced":
        return
    if not any(is_k8s(r, "NetworkPolicy") for r in resources):
        return
    state = "does not enforce" if facts.network_policy == "not-enforced" else "may not enforce"
    yield Finding(
        None,
        f"the cluster {state} NetworkPolicy (cluster.existing.networkPolicy: {facts.network_policy}): the models' and "
        "the gateway's NetworkPolicies, judged as rendered, may have no effect, so their metrics ports (15090, 15020, "
        "9091) are readable by every pod; set networkPolicy: enforced once the cluster's network plugin enforces it",
    )


RULES = [
    Rule(
        name="model-metrics-prometheus-only",
        description=(
            "Every model's and every pipeline router's metrics ports (15090, 15020, Knative's 9091) are readable by "
            "the platform's Prometheus only (no pod of its own or another namespace, nor the internet), and "
            "Prometheus reads 15090 when the platform runs it: judged by connecting through the plan's "
            "NetworkPolicies (and Istio on 9091)."
        ),
        enforcement="mandatory",
        area="network",
        applies_to=(ISVC, IG, NETWORK_POLICY, "AuthorizationPolicy"),
        check_stack=_model_metrics,
        unknown=_unknown_network,
    ),
    Rule(
        name="model-inference-api-only",
        description=(
            "Every caller that reaches a model's inference API (the internet with or without a token, pods of the "
            "namespaces its policies name) reaches nothing else of the model server (repository load/unload, "
            "/metrics, Triton's admin paths, also encoded) by any route, and some caller reaches the inference API; "
            "in Knative mode Knative's autoscaler (sa/controller) may GET /metrics on the queue-proxy's 9090, and "
            "Knative's activator (sa/activator) may send its readiness probe (GET /healthz, K-Network-Probe: queue, "
            "User-Agent: Knative-Activator-Probe) to the serving port, and the ingress gateway's readiness probe "
            "(GET /healthz, K-Network-Probe: probe) is answered at the pods."
        ),
        enforcement="mandatory",
        area="network",
        applies_to=(ISVC, "AuthorizationPolicy", "RequestAuthentication", NETWORK_POLICY),
        check_stack=_inference_only,
        unknown=_unknown_network,
    ),
    Rule(
        name="mesh-path-normalization",
        description=(
            "istiod's meshConfig.pathNormalization is DECODE_AND_MERGE_SLASHES (Istio's default BASE keeps %2F and "
            "double slashes, so path allow-lists match another path than the model server routes on)."
        ),
        enforcement="mandatory",
        area="network",
        applies_to=("istiod Helm release",),
        check_stack=_normalization,
        unknown=_normalization_unknown,
    ),
    Rule(
        name="gateway-metrics-prometheus-only",
        description=(
            "The ingress gateway pods' metrics ports (15090, 15020) are readable by the platform's Prometheus only, "
            "and their traffic ports stay open (80, 443, 15021 from anywhere; 8081, 8444 from pods)."
        ),
        enforcement="mandatory",
        area="network",
        applies_to=("istio gateway Helm release", NETWORK_POLICY),
        check_stack=_gateway,
        unknown=lambda r: _unknown_network(r) if is_k8s(r, "NetworkPolicy") and r.namespace == MESH_ROOT else None,
    ),
    Rule(
        name="network-policy-enforced",
        description=(
            "The cluster enforces NetworkPolicy (managed clusters; an existing cluster with networkPolicy: "
            "enforced); otherwise the NetworkPolicies the metrics rules judge may have no effect (a warning)."
        ),
        enforcement="advisory",
        area="network",
        applies_to=(NETWORK_POLICY, "cluster.existing.networkPolicy"),
        check_stack=_enforced,
    ),
]
