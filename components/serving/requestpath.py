"""Who reaches each model, on which host and port, through which hop: a request-path model over rendered objects.

Pure (dicts in, verdicts out), so the tests and, later, the policy pack can run it over a plan's Kubernetes objects.

**Istio's authorization** (istio.io/latest/docs/concepts/security/#authorization-policies and
/docs/reference/config/security/authorization-policy/, Istio 1.30): at a workload with a sidecar (or a gateway),

1. RequestAuthentication: a request carrying a token that no applicable ``jwtRules`` entry validates (bad signature,
   unknown issuer, wrong audience) is rejected; a request without a token passes with no request principal; a
   validated token gives the request principal ``<iss>/<sub>``. Where no RequestAuthentication applies, tokens are
   not read.
2. CUSTOM policies first (none are rendered; one raises :class:`Unsupported`), then DENY: a matching DENY rule
   denies; then ALLOW: with no ALLOW policy the request is allowed, else it must match an ALLOW rule.
3. A policy applies to a workload when it is in the workload's namespace, or in the root namespace
   (``istio-system``), and its ``selector`` (absent: every workload) matches the workload's labels.
4. A rule matches when one of its ``from`` entries, one of its ``to`` entries and all of its ``when`` conditions
   match (an absent list matches). Values match exactly, by prefix (``abc*``), suffix (``*abc``) or presence
   (``*``: the header is there); hosts case-insensitively, port included; ``not*`` fields and ``notValues`` match
   when no value does, so ``notValues: ["*"]`` matches a missing header (Istio 1.30.3
   pilot/pkg/security/authz/matcher/header.go ``HeaderMatcher``/``HostMatcher``, model/model.go wraps ``not*`` in
   a negation). A plaintext peer has no principal and no namespace: ``principals``/``namespaces`` never match it,
   ``notPrincipals``/``notNamespaces`` always do (the negation of a failed ``authenticated`` matcher).

**The hops** (Knative mode; sources in the functions below): the public gateway and knative-local-gateway are the
same Envoy pods (``istio: ingressgateway`` in ``istio-system``; net-istio 1.21 config/203-local-gateway.yaml: port
8081, plain HTTP), which have no sidecar label for auto-mTLS, so the hop into a gateway is plaintext; from a gateway
to a model the peer is the gateway's service account. KServe v0.20.0 routes the model's public host and its
top-level cluster host ``<name>.<ns>.svc.cluster.local`` to knative-local-gateway with the Host rewritten to
``<name>-predictor.<ns>.svc.cluster.local`` (ingress_reconciler.go ``createIngress``); a cluster-local model gets
no public route. net-istio's mesh VirtualService routes ``<name>-predictor.<ns>`` from a meshed caller's sidecar
straight to the revision, whose endpoints are the pods, or Knative's activator while the model is at zero or while
the activator buffers (target-burst-capacity other than 0). The activator keeps the caller's headers
(``Authorization`` included) and calls the pods as itself. Prometheus (no sidecar) scrapes the sidecar's port
15090, which Istio does not intercept, so no policy applies there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from components.platform import istio
from components.serving import _auth, _runtime

ROOT_NAMESPACE = istio.NAMESPACE
GATEWAY_NAMESPACE = istio.NAMESPACE
GATEWAY_LABELS: Mapping[str, str] = dict(istio.GATEWAY_SELECTOR)
GATEWAY_PRINCIPAL = _auth.principal(istio.NAMESPACE, istio.GATEWAY_RELEASE)
"""The gateway chart's service account is its release name (manifests/charts/gateway/templates/_helpers.tpl,
Istio 1.30.3)."""
PUBLIC_GATEWAY_PORT = 443
"""The gateway chart's https port (targetPort 443, manifests/charts/gateway/values.yaml)."""
LOCAL_GATEWAY_PORT = 8081
ENVOY_METRICS_PORT = 15090
PROBE_AGENTS = (_auth.ACTIVATOR_PROBE_AGENT, "kube-probe/")
"""User agents the queue-proxy answers itself, whatever the path (knative.dev/pkg network/handlers/drain.go)."""


class Unsupported(ValueError):
    """A policy uses something this model does not evaluate (CUSTOM action, IP blocks, other condition keys)."""


@dataclass(frozen=True)
class Token:
    """A bearer token: who issued it, for which audience, and whether its signature verifies with the issuer's
    keys."""

    issuer: str
    audience: str | None = None
    signed: bool = True
    subject: str = "caller"


@dataclass(frozen=True)
class Peer:
    """Who opens the connection a workload receives: an mTLS identity, or None for plaintext."""

    principal: str | None = None
    namespace: str | None = None


def pod(namespace: str, service_account: str = "default") -> Peer:
    """A meshed pod's identity."""
    return Peer(_auth.principal(namespace, service_account), namespace)


PLAINTEXT = Peer()


@dataclass(frozen=True)
class Request:
    """One HTTP request as a workload sees it."""

    host: str
    port: int
    path: str = "/"
    method: str = "POST"
    headers: Mapping[str, str] = field(default_factory=dict)
    token: Token | None = None


@dataclass(frozen=True)
class Workload:
    """Where a decision is taken."""

    namespace: str
    labels: Mapping[str, str]
    name: str = ""


@dataclass(frozen=True)
class Verdict:
    """The outcome at one workload: allowed, or denied with the reason."""

    allowed: bool
    why: str


def _match(value: str | None, pattern: str, *, fold: bool = False) -> bool:
    if value is None:
        return False
    if fold:
        value, pattern = value.lower(), pattern.lower()
    if pattern == "*":
        return value != ""
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    return value == pattern


def _any(value: str | None, patterns: Iterable[str], *, fold: bool = False) -> bool:
    return any(_match(value, p, fold=fold) for p in patterns)


def _field(spec: Mapping[str, Any], key: str, value: str | None, *, fold: bool = False) -> bool:
    """A positive field and its ``not`` twin, as Istio combines them (both must hold when both are given)."""
    ok = True
    if key in spec:
        ok = _any(value, spec[key], fold=fold)
    neg = "not" + key[0].upper() + key[1:]
    if neg in spec:
        ok = ok and not _any(value, spec[neg], fold=fold)
    return ok


def _header(request: Request, name: str) -> str | None:
    for k, v in request.headers.items():
        if k.lower() == name.lower():
            return v
    return None


def _source(source: Mapping[str, Any], peer: Peer, request_principal: str | None) -> bool:
    for key in ("ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"):
        if key in source:
            raise Unsupported(f"source.{key}")
    return (
        _field(source, "principals", peer.principal)
        and _field(source, "namespaces", peer.namespace)
        and _field(source, "requestPrincipals", request_principal)
    )


def _operation(op: Mapping[str, Any], request: Request) -> bool:
    # the Host header as sent, port included (Istio's HostMatcher matches the whole authority, ignoring case)
    return (
        _field(op, "hosts", request.host, fold=True)
        and _field(op, "ports", str(request.port))
        and _field(op, "paths", request.path.split("?", 1)[0])
        and _field(op, "methods", request.method)
    )


def _condition(cond: Mapping[str, Any], peer: Peer, request: Request, request_principal: str | None) -> bool:
    key = str(cond["key"])
    value: str | None
    if key.startswith("request.headers[") and key.endswith("]"):
        value = _header(request, key[len("request.headers[") : -1])
    elif key == "source.namespace":
        value = peer.namespace
    elif key == "source.principal":
        value = peer.principal
    elif key == "request.auth.principal":
        value = request_principal
    elif key == "destination.port":
        value = str(request.port)
    else:
        raise Unsupported(f"when key {key}")
    ok = True
    if "values" in cond:
        ok = _any(value, cond["values"])
    if "notValues" in cond:
        ok = ok and not _any(value, cond["notValues"])
    return ok


def rule_matches(rule: Mapping[str, Any], peer: Peer, request: Request, request_principal: str | None) -> bool:
    """Whether an AuthorizationPolicy rule matches (Istio: one ``from``, one ``to`` and every ``when``)."""
    froms = rule.get("from")
    if froms and not any(_source(f.get("source", {}), peer, request_principal) for f in froms):
        return False
    tos = rule.get("to")
    if tos and not any(_operation(t.get("operation", {}), request) for t in tos):
        return False
    return all(_condition(c, peer, request, request_principal) for c in rule.get("when", []))


def _applies(obj: Mapping[str, Any], workload: Workload) -> bool:
    ns = obj.get("metadata", {}).get("namespace")
    if ns not in (workload.namespace, ROOT_NAMESPACE):
        return False
    spec = obj.get("spec") or {}
    match = (spec.get("selector") or {}).get("matchLabels") or {}
    return all(workload.labels.get(k) == v for k, v in match.items())


def _kind(objects: Iterable[Mapping[str, Any]], kind: str) -> list[Mapping[str, Any]]:
    return [o for o in objects if o.get("kind") == kind and str(o.get("apiVersion", "")).startswith("security.istio")]


def authenticate(objects: Sequence[Mapping[str, Any]], workload: Workload, request: Request) -> tuple[bool, str | None]:
    """RequestAuthentication at ``workload``: (accepted, request principal)."""
    authns = [o for o in _kind(objects, "RequestAuthentication") if _applies(o, workload)]
    token = request.token
    if not authns or token is None:
        return True, None
    for obj in authns:
        for rule in obj["spec"].get("jwtRules", []):
            if rule.get("issuer") != token.issuer or not token.signed:
                continue
            audiences = rule.get("audiences") or []
            if audiences and token.audience not in audiences:
                continue
            return True, f"{token.issuer}/{token.subject}"
    return False, None


def decide(objects: Sequence[Mapping[str, Any]], workload: Workload, peer: Peer, request: Request) -> Verdict:
    """Istio's decision for ``request`` from ``peer`` at ``workload`` (see the module docstring)."""
    accepted, request_principal = authenticate(objects, workload, request)
    if not accepted:
        return Verdict(False, f"401 at {workload.name}: token rejected by RequestAuthentication")
    policies = [o for o in _kind(objects, "AuthorizationPolicy") if _applies(o, workload)]
    for obj in policies:
        if obj["spec"].get("action") == "CUSTOM":
            raise Unsupported(f"CUSTOM policy {obj['metadata'].get('name')}")
    for obj in policies:
        if obj["spec"].get("action") == "DENY":
            for rule in obj["spec"].get("rules", []):
                if rule_matches(rule, peer, request, request_principal):
                    return Verdict(False, f"403 at {workload.name}: DENY {obj['metadata'].get('name')}")
    allows = [o for o in policies if o["spec"].get("action", "ALLOW") == "ALLOW"]
    if not allows:
        return Verdict(True, f"allowed at {workload.name}: no ALLOW policy")
    for obj in allows:
        for rule in obj["spec"].get("rules", []):
            if rule_matches(rule, peer, request, request_principal):
                return Verdict(True, f"allowed at {workload.name} by {obj['metadata'].get('name')}")
    return Verdict(False, f"403 at {workload.name}: no ALLOW rule matches")


# ------------------------------------------------------------------------------------------------ the model's hops


@dataclass(frozen=True)
class Model:
    """What the hops need to know of one rendered InferenceService."""

    name: str
    namespace: str
    mode: str
    public_host: str | None
    min_replicas: int
    activator_when_running: bool

    @property
    def predictor_host(self) -> str:
        """The predictor's cluster host (net-istio's mesh route, the documented in-cluster URL)."""
        return f"{self.name}-predictor.{self.namespace}.svc.cluster.local"

    @property
    def top_host(self) -> str:
        """KServe's top-level cluster host (an ExternalName to knative-local-gateway)."""
        return f"{self.name}.{self.namespace}.svc.cluster.local"

    @property
    def revision(self) -> str:
        """The name of a revision of the predictor (Knative: ``<name>-predictor-<5 digits>``)."""
        return f"{self.name}-predictor-00001"

    @property
    def pods(self) -> Workload:
        """The model's pods."""
        return Workload(self.namespace, {_runtime.ISVC_LABEL: self.name}, f"{self.namespace}/{self.name}")

    @property
    def port(self) -> int:
        """The pod port requests arrive on."""
        return int(_auth.serving_ports(self.mode)[0])


ACTIVATOR = Workload(_auth.KNATIVE_NAMESPACE, dict(_auth.ACTIVATOR_LABELS), "activator")
GATEWAY = Workload(GATEWAY_NAMESPACE, GATEWAY_LABELS, "gateway")


def model_of(isvc: Mapping[str, Any]) -> Model:
    """The :class:`Model` of a rendered InferenceService (mode, visibility as that mode's KServe reads it)."""
    meta = isvc["metadata"]
    ann = meta.get("annotations", {})
    mode = ann.get(_runtime.DEPLOYMENT_MODE, "Knative")
    local = meta.get("labels", {}).get(_runtime.visibility_label(mode)) == _runtime.CLUSTER_LOCAL
    predictor = isvc["spec"]["predictor"]
    return Model(
        name=meta["name"],
        namespace=meta.get("namespace", "default"),
        mode=mode,
        public_host=None if local else ann.get("mlplatform.io/host"),
        min_replicas=int(predictor.get("minReplicas", 1)),
        activator_when_running=ann.get(_runtime.TARGET_BURST_CAPACITY) != "0",
    )


@dataclass(frozen=True)
class Caller:
    """Who calls: a pod in a namespace (meshed), or the internet (only through the public gateway)."""

    label: str
    peer: Peer
    internet: bool = False


INTERNET = Caller("internet", PLAINTEXT, internet=True)


def in_namespace(namespace: str) -> Caller:
    """A meshed pod in ``namespace``."""
    return Caller(f"pod in {namespace}", pod(namespace))


@dataclass(frozen=True)
class Outcome:
    """Whether a request reached the model server, and each hop's verdict."""

    route: str
    reached: bool
    hops: tuple[str, ...]


def _at_model(objects: Sequence[Mapping[str, Any]], m: Model, peer: Peer, req: Request) -> tuple[bool, str]:
    v = decide(objects, m.pods, peer, req)
    if v.allowed and m.mode == "Knative" and _any(_header(req, "User-Agent"), [f"{a}*" for a in PROBE_AGENTS]):
        return False, v.why + "; answered by the queue-proxy (probe), not the model"
    return v.allowed, v.why


def _through_activator(
    objects: Sequence[Mapping[str, Any]], m: Model, peer: Peer, req: Request, hops: list[str]
) -> bool:
    v = decide(objects, ACTIVATOR, peer, replace(req, port=8012))
    hops.append(v.why)
    if not v.allowed:
        return False
    ok, why = _at_model(objects, m, _auth_peer_activator(), replace(req, port=m.port))
    hops.append(why)
    return ok


def _auth_peer_activator() -> Peer:
    return Peer(_auth.ACTIVATOR, _auth.KNATIVE_NAMESPACE)


def _revision(objects: Sequence[Mapping[str, Any]], m: Model, peer: Peer, req: Request, at_zero: bool) -> list[Outcome]:
    """The revision's endpoints: the activator at zero (or while it buffers), else the pods."""
    req = replace(req, headers={**req.headers, _auth.REVISION_HEADER: m.revision, _auth.NAMESPACE_HEADER: m.namespace})
    out = []
    if at_zero or m.activator_when_running:
        hops: list[str] = []
        out.append(Outcome("activator", _through_activator(objects, m, peer, req, hops), tuple(hops)))
    if not at_zero:
        ok, why = _at_model(objects, m, peer, replace(req, port=m.port))
        out.append(Outcome("pods", ok, (why,)))
    return out


def routes(
    objects: Sequence[Mapping[str, Any]],
    isvc: Mapping[str, Any],
    caller: Caller,
    *,
    at_zero: bool,
    path: str = "/v1/models/m:predict",
    method: str = "POST",
    token: Token | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, list[Outcome]]:
    """Every way ``caller`` can send one request to the model of ``isvc``, with the outcome of each.

    Keys: ``public gateway``, ``local gateway`` (KServe's ``<name>.<ns>`` host), ``mesh`` (the predictor host, the
    documented in-cluster URL), ``activator`` (a request sent to the activator directly, naming the revision), and
    ``pod`` (a pod IP). A route the caller cannot take (no public route, or a pod route at zero) is left out.
    """
    m = model_of(isvc)
    if at_zero and m.min_replicas > 0:
        raise ValueError(f"{m.name} has minReplicas {m.min_replicas}; it is never at zero")
    base = Request(host="", port=0, path=path, method=method, headers=dict(headers or {}), token=token)
    out: dict[str, list[Outcome]] = {}
    if m.public_host is not None:
        gw = decide(objects, GATEWAY, PLAINTEXT, replace(base, host=m.public_host, port=PUBLIC_GATEWAY_PORT))
        if not gw.allowed:
            out["public gateway"] = [Outcome("gateway", False, (gw.why,))]
        else:
            out["public gateway"] = _via_local_gateway(objects, m, base, at_zero, gw.why)
    if caller.internet:
        return out
    if m.mode == "Knative":
        gw = decide(objects, GATEWAY, PLAINTEXT, replace(base, host=m.top_host, port=LOCAL_GATEWAY_PORT))
        out["local gateway"] = (
            _via_local_gateway(objects, m, base, at_zero, gw.why)
            if gw.allowed
            else [Outcome("gateway", False, (gw.why,))]
        )
        out["mesh"] = _revision(objects, m, caller.peer, replace(base, host=m.predictor_host), at_zero)
        forged = replace(
            base,
            host=f"{m.revision}.{m.namespace}.svc.cluster.local",
            headers={**base.headers, _auth.REVISION_HEADER: m.revision, _auth.NAMESPACE_HEADER: m.namespace},
        )
        bare = replace(base, host=f"{m.revision}.{m.namespace}.svc.cluster.local")
        out["activator"] = []
        for label, req in (("activator", forged), ("activator (Host)", bare)):
            hops: list[str] = []
            reached = _through_activator(objects, m, caller.peer, req, hops)
            out["activator"].append(Outcome(label, reached, tuple(hops)))
    else:
        ok, why = _at_model(objects, m, caller.peer, replace(base, host=m.predictor_host, port=m.port))
        out["mesh"] = [Outcome("pods", ok, (why,))]
    if not at_zero:
        ok, why = _at_model(objects, m, caller.peer, replace(base, host=m.predictor_host, port=m.port))
        out["pod"] = [Outcome("pods", ok, (why,))]
    return out


def _via_local_gateway(
    objects: Sequence[Mapping[str, Any]], m: Model, base: Request, at_zero: bool, first: str
) -> list[Outcome]:
    """From a gateway to the model: KServe's route to knative-local-gateway (Host rewritten to the predictor), then
    the revision, with the gateway as the peer. Standard mode: the gateway calls the predictor's pods."""
    req = replace(base, host=m.predictor_host)
    if m.mode != "Knative":
        ok, why = _at_model(objects, m, pod(GATEWAY_NAMESPACE, istio.GATEWAY_RELEASE), replace(req, port=m.port))
        return [Outcome("pods", ok, (first, why))]
    local = decide(objects, GATEWAY, PLAINTEXT, replace(req, port=LOCAL_GATEWAY_PORT))
    if not local.allowed:
        return [Outcome("local gateway", False, (first, local.why))]
    outcomes = _revision(objects, m, Peer(GATEWAY_PRINCIPAL, GATEWAY_NAMESPACE), req, at_zero)
    return [Outcome(o.route, o.reached, (first, local.why, *o.hops)) for o in outcomes]


def reaches(outcomes: Mapping[str, list[Outcome]], route: str | None = None) -> bool:
    """Whether any outcome (of ``route``, or of any route) reached the model server."""
    keys = [route] if route is not None else list(outcomes)
    return any(o.reached for k in keys for o in outcomes.get(k, []))


def metrics_scrapers(objects: Sequence[Mapping[str, Any]], isvc: Mapping[str, Any], caller: Caller) -> dict[str, bool]:
    """Which metrics ports of the model's pods ``caller`` can read: Envoy's 15090 (not intercepted by Istio, so
    only the network decides) and, in Knative mode, the queue-proxy's 9090 (autoscaler metrics) through the
    sidecar. A caller without a sidecar (Prometheus) is plaintext, which STRICT mTLS rejects on intercepted ports."""
    m = model_of(isvc)
    out = {str(ENVOY_METRICS_PORT): not caller.internet}
    if m.mode == "Knative":
        port = int(_auth.AUTOSCALER_METRICS_PORT)
        if caller.peer.principal is None:
            out[str(port)] = False
        else:
            req = Request(host=m.predictor_host, port=port, path="/metrics", method="GET")
            out[str(port)] = decide(objects, m.pods, caller.peer, req).allowed
    return out
