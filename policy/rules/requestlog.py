"""The request-log writer may only create objects under its prefix.

The platform's collector (components/platform/requestlog.py) is the only identity in a stack that writes to object
storage; its grant is a child of the Platform named ``<platform>-request-logs-write`` (and, on a cloud whose writer
needs a role of its own, ``<platform>-request-logs-writer-role``): :data:`LOG_WRITER_SUFFIXES`.
``storage-read-least-privilege``, whose promise is that models only read, leaves those resources to this rule
(each cloud's share of it skips them with :func:`is_log_writer`), which holds them to write-only and to the prefix.

How each cloud's grant is read is that cloud's share of this rule in its policy module (policy/clouds/<cloud>.py,
through :mod:`policy.rules.percloud`): the object-store action or role that only creates objects, the bucket and
prefix it is scoped to, and what the plan cannot know yet (values known only after deploy are unknown in a plain
plan; the rule says so).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from policy.rules import percloud
from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map, is_k8s, reading

RULE = "request-log-write-only"
LOG_WRITE_SUFFIX = "-request-logs-write"
"""The name every request-log write grant ends with (``child_name(<platform>-request-logs, "write")``)."""
LOG_WRITER_SUFFIXES = (LOG_WRITE_SUFFIX, "-request-logs-writer-role")
"""Names of the request-log collector's grant and (where the cloud needs one) its role
(components/platform/requestlog.py): the one identity that writes."""


def is_log_writer(res: Resource) -> bool:
    """Whether ``res`` is the request-log writer's grant (or its role), which this rule judges."""
    return res.name.endswith(LOG_WRITER_SUFFIXES)


def _check(res: Resource, facts: Facts) -> Iterator[str]:
    if is_log_writer(res):
        yield from percloud.check_resource(RULE)(res, facts)


def _unknown(res: Resource) -> str | None:
    return percloud.unknown(RULE)(res) if is_log_writer(res) else None


STORE_RULE = "object-store-private"
"""Every object store the plan creates (the request-log bucket or storage account) refuses public and key access."""


def _store_unknown(res: Resource) -> str | None:
    return percloud.unknown(STORE_RULE)(res)


RETENTION_RULE = "request-log-retention"
"""Every request-log store the platform creates deletes the records under its prefix after the stack's
``retentionDays`` (docs/configuration.md ``platform.requestLogs.retentionDays``: "Days a record is kept in the bucket
the platform creates"): each cloud's share reads its lifecycle rule (fix17q, rev17l 04)."""
LOG_STORE_SUFFIXES = ("-request-logs-bucket", "-request-logs-account")
"""Names of the store the platform creates for the records (``child_name(<platform>-request-logs, "bucket")``: the
S3 and GCS bucket; ``"account"``: the Azure storage account; components/clusters/eks.py, gke.py, aks.py
``request_log_store``)."""


def is_log_store(res: Resource) -> bool:
    """Whether ``res`` is the request-log store the platform created (its bucket or storage account)."""
    return res.name.endswith(LOG_STORE_SUFFIXES)


def prefix_covers(rule_prefix: str, folder: str) -> bool:
    """Whether a lifecycle rule's name prefix matches every object under ``folder`` (``<prefix>/``): object keys
    starting with ``folder`` start with ``rule_prefix`` exactly when ``folder`` starts with it (the empty prefix matches
    every object)."""
    return folder.startswith(rule_prefix)


def expiry_days_problem(days: Any, facts: Facts, field: str) -> str | None:
    """Why a lifecycle rule's age ``days`` (at ``field``) is not the stack's ``retentionDays`` (None when it is, when
    it is unknown, or when the plan does not know the retention): a longer one keeps records beyond the promise, a
    shorter one deletes them before it."""
    if days is UNKNOWN:
        return None
    if days is None:
        return f"has no {field}: it deletes no record after a number of days"
    if isinstance(days, bool) or not isinstance(days, int | float) or days <= 0:
        return f"{field} is {days!r}, not a number of days"
    store = facts.request_log_store
    if store is not None and days != store[1]:
        return f"{field} is {days:g}, not the stack's retentionDays {store[1]}"
    return None


def none_expires(rules: Any, check: Callable[[Any], str | None], label: str, empty: str) -> str | None:
    """None when some rule of ``rules`` (a list) expires the records (``check`` gives None for it), else why none does:
    each rule's problem, ``label[i] why``, joined, or ``empty`` when there is no rule (each cloud's share of
    ``request-log-retention``)."""
    problems = [(i, check(rule)) for i, rule in enumerate(as_list(rules))]
    if problems and any(why is None for _, why in problems):
        return None
    return "; ".join(f"{label}[{i}] {w}" for i, w in problems) or empty


def log_folder(facts: Facts) -> str | None:
    """``<prefix>/``, the folder every record's key starts with (components/platform/requestlog.py ``key_prefix``),
    when the plan knows the store's prefix."""
    return None if facts.request_log_store is None else f"{facts.request_log_store[0]}/"


COLLECTOR_NAMESPACE = "request-logs"
"""The collector's namespace (components/platform/requestlog.py ``NAMESPACE``, restated: a slip there must not move
the rule with it)."""
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ISVC_COMPONENTS = ("predictor", "transformer", "explainer")
NAME_LABEL = "kubernetes.io/metadata.name"
"""The label the API server sets on every namespace to its name (kubernetes.io/docs/reference/labels-annotations-
taints/#kubernetes-io-metadata-name), the only namespace label a tenant cannot forge."""


def logging_namespaces(resources: Sequence[Resource]) -> set[str]:
    """The namespaces of the InferenceServices whose components send requests to a logger (``spec.<component>.
    logger``, KServe v1beta1 LoggerSpec)."""
    out: set[str] = set()
    for r in resources:
        if r.type.startswith("kubernetes:serving.kserve.io/") and r.type.endswith(":InferenceService"):
            spec = as_map(r.props.get("spec"))
            if any(as_map(spec.get(c)).get("logger") for c in ISVC_COMPONENTS) and r.namespace:
                out.add(r.namespace)
    return out


def _peer_problem(peer: Any, allowed: set[str]) -> str | None:
    """Why one ``from`` peer of the collector's NetworkPolicy admits more than the logging models' namespaces."""
    peer = as_map(peer)
    if "ipBlock" in peer:
        return f"admits an ipBlock {peer['ipBlock']!r}"
    selector = peer.get("namespaceSelector")
    if selector is None:
        return None if "podSelector" in peer else "admits every source (an empty peer)"
    sel = as_map(selector)
    if sel.get("matchLabels"):
        return f"selects namespaces by labels {dict(as_map(sel['matchLabels']))!r}, which a namespace owner can set"
    exprs = as_list(sel.get("matchExpressions"))
    if not exprs:
        return "admits pods of every namespace (an empty namespaceSelector)"
    names: set[str] | None = None
    for e in exprs:
        e = as_map(e)
        key, op, values = e.get("key"), e.get("operator"), e.get("values")
        if UNKNOWN in (key, op, values):
            return None
        if key == NAME_LABEL and op == "In":
            got = {v for v in as_list(values) if isinstance(v, str)}
            names = got if names is None else names & got
    if names is None:
        ops = ", ".join(f"{as_map(e).get('key')} {as_map(e).get('operator')}" for e in exprs)
        return f"selects namespaces by {ops}, not {NAME_LABEL} In [the logging models' namespaces]"
    extra = sorted(names - allowed)
    if extra:
        return f"admits namespaces {extra} where no model logs requests (logging: {sorted(allowed)})"
    return _pod_problem(peer.get("podSelector"))


MODEL_POD_LABEL = "serving.kserve.io/inferenceservice"
"""The label KServe puts on an InferenceService's pods (components/platform/requestlog.py ``MODEL_POD_LABEL``):
only those send request records (their logger); restated here so a slip there does not move the rule."""


def _pod_problem(selector: Any) -> str | None:
    """Why a peer's ``podSelector`` admits more than KServe's model pods: missing or empty, it selects every pod of
    the namespaces (kubernetes.io/docs/concepts/services-networking/network-policies: "An empty podSelector selects
    all pods in the namespace"; a namespaceSelector alone admits all pods of the selected namespaces)."""
    if selector is UNKNOWN:
        return None
    sel = as_map(selector)
    if MODEL_POD_LABEL in as_map(sel.get("matchLabels")):
        return None
    for e in as_list(sel.get("matchExpressions")):
        e = as_map(e)
        if UNKNOWN in (e.get("key"), e.get("operator")):
            return None
        if e.get("key") == MODEL_POD_LABEL and e.get("operator") in ("Exists", "In"):
            return None
    shown = "no podSelector" if selector is None else f"podSelector {dict(sel)!r}"
    return f"admits every pod of those namespaces ({shown}), not only KServe model pods ({MODEL_POD_LABEL})"


def _collector_ingress(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """Every NetworkPolicy in the collector's namespace admits, on ingress, only pods of namespaces named (``kubernetes.
    io/metadata.name`` In) among those of the models that log requests; and one exists where a model logs.
    NetworkPolicies are additive (kubernetes.io/docs/concepts/services-networking/network-policies: the allowed
    connections are the union of the policies selecting a pod), so one wide policy opens the collector."""
    allowed = logging_namespaces(resources)
    policies = [r for r in resources if r.type == NETWORK_POLICY and r.namespace == COLLECTOR_NAMESPACE]
    collector = [r for r in resources if r.name.endswith("-request-logs") and r.type.endswith(":Release")]
    if (allowed or collector) and not [
        p for p in policies if "Ingress" in as_list(as_map(p.props.get("spec")).get("policyTypes"))
    ]:
        anchor = (collector or policies or list(resources))[0]
        yield Finding(
            anchor.urn,
            f"no NetworkPolicy limits ingress to the request-log collector in namespace {COLLECTOR_NAMESPACE}: "
            "every pod of the cluster can write records",
        )
    for p in policies:
        spec = as_map(p.props.get("spec"))
        if spec.get("ingress") is UNKNOWN:
            continue
        for i, rule in enumerate(as_list(spec.get("ingress"))):
            peers = as_map(rule).get("from")
            if peers is UNKNOWN:
                continue
            if not as_list(peers):
                yield Finding(p.urn, f"NetworkPolicy {p.k8s_name} ingress[{i}] has no from: it admits every source")
                continue
            for j, peer in enumerate(as_list(peers)):
                if (why := _peer_problem(peer, allowed)) is not None:
                    yield Finding(p.urn, f"NetworkPolicy {p.k8s_name} ingress[{i}].from[{j}] {why}")


# ------------------------------------------------------------------------------------------------ in the mesh (#14)

INJECTION_LABEL = "istio-injection"
INJECT_KEY = "sidecar.istio.io/inject"
MESH_ROOT = "istio-system"
"""Istio's root namespace: an AuthorizationPolicy there applies to the workloads of every namespace (istio/api 1.30.3
security/v1beta1/authorization_policy.proto, the ``version: v1`` example: "applies to workloads containing label
``version: v1`` in all namespaces in the mesh")."""
COLLECTOR_POD_LABELS = {"app.kubernetes.io/name": "vector", "app.kubernetes.io/instance": "vector"}
"""The collector pods' selector labels (vectordotdev/helm-charts vector-0.56.0 templates/_helpers.tpl
``vector.selectorLabels``, release ``vector``: components/platform/requestlog.py ``POD_SELECTOR``, restated)."""
CHART_POD_LABELS = {"vector.dev/exclude": "true"}
"""The chart's default ``podLabels`` (values.yaml, vector-0.56.0), on the pods unless the values give their own
(templates/statefulset.yaml: ``vector.selectorLabels`` then ``with .Values.podLabels``)."""
IDENTITY_FIELDS = ("namespaces", "principals", "serviceAccounts")
"""The ``Source`` fields that name mTLS peer identities (istio/api 1.30.3 authorization_policy.proto ``Source``:
"derived from the peer certificate", each "If not set, any ... is allowed"); a source's fields are ANDed, its
``from`` entries ORed, so a source that names none of them admits every peer."""


def _collector_releases(resources: Sequence[Resource]) -> list[Resource]:
    return [r for r in resources if r.name.endswith("-request-logs") and r.type.endswith(":Release")]


def _pod_labels(release: Resource | None) -> dict[str, object]:
    values = as_map(release.props.get("values")) if release is not None else {}
    given = values.get("podLabels")
    return {**COLLECTOR_POD_LABELS, **(dict(as_map(given)) if given is not None else CHART_POD_LABELS)}


def _peer_namespace(field: str, value: object, policy_namespace: str | None) -> object:
    """The namespace one identity value of a ``Source`` field limits peers to (a value naming no single namespace is
    returned as given, which is never a logging namespace). ``principals``: ``<trust domain>/ns/<ns>/sa/<sa>``;
    ``serviceAccounts``: ``<ns>/<sa>``, or ``<sa>`` for the policy's own namespace (authorization_policy.proto)."""
    if not isinstance(value, str):
        return value
    if field == "namespaces":
        return value
    if field == "serviceAccounts":
        return value.split("/", 1)[0] if "/" in value else policy_namespace
    if "/ns/" not in value or "/sa/" not in value.split("/ns/", 1)[1]:
        return value
    return value.split("/ns/", 1)[1].split("/sa/", 1)[0]


def _rule_problems(rule: object, allowed: set[str], namespace: str | None) -> Iterator[str]:
    """Why one rule of an ALLOW AuthorizationPolicy on the collector admits a peer outside the logging namespaces."""
    peers = as_map(rule).get("from")
    if peers is UNKNOWN:
        return
    if not as_list(peers):
        yield "has no from: it admits every caller"
        return
    for j, peer in enumerate(as_list(peers)):
        source = as_map(as_map(peer).get("source"))
        if UNKNOWN in (source.get(f) for f in IDENTITY_FIELDS):
            continue
        given = {f: as_list(source.get(f)) for f in IDENTITY_FIELDS if as_list(source.get(f))}
        if not given:
            yield f"from[{j}] names no namespaces, principals or serviceAccounts: it admits every namespace's peers"
            continue
        outside = sorted(
            {
                str(ns)
                for f, values in given.items()
                for v in values
                if v is not UNKNOWN and (ns := _peer_namespace(f, v, namespace)) not in allowed
            }
        )
        if outside:
            yield f"from[{j}] admits peers of {outside}, where no model logs requests (logging: {sorted(allowed)})"


def _selects_collector(spec: Mapping[str, Any], labels: Mapping[str, object]) -> bool | None:
    """Whether an AuthorizationPolicy applies to the collector's sidecar (None: not known before deploy). No
    selector: every workload of its namespace (of the mesh in the root namespace); ``targetRef(s)`` attach it to
    gateways and waypoints instead (authorization_policy.proto)."""
    if spec.get("targetRef") or spec.get("targetRefs"):
        return False
    selector = spec.get("selector")
    if selector is UNKNOWN:
        return None
    match = as_map(as_map(selector).get("matchLabels"))
    if UNKNOWN in match.values():
        return None
    return all(labels.get(k) == v for k, v in match.items())


def _collector_mesh(resources: Sequence[Resource], allowed: set[str]) -> Iterator[Finding]:
    """The collector runs with an Istio sidecar (its namespace labelled ``istio-injection: enabled``, its pods not
    opting out), and an ALLOW AuthorizationPolicy selecting it admits only mTLS peers of the logging namespaces.
    Without the sidecar Istio's auto mTLS sends it the models' request and response bodies in plain text
    ("send plain text traffic to workloads without sidecars": istio.io/v1.4/docs/tasks/security/authentication/
    auto-mtls, an old release's page; Cloud Service Mesh's current docs say the same) and its AuthorizationPolicy
    is never enforced; without an ALLOW policy Istio admits every caller (authorization_policy.proto rule 3: "If
    there are no ALLOW policies for the workload, allow the request")."""
    releases = _collector_releases(resources)
    anchor = (releases or list(resources))[0]
    ns = next((r for r in resources if is_k8s(r, "Namespace") and r.k8s_name == COLLECTOR_NAMESPACE), None)
    if ns is None:
        yield Finding(
            anchor.urn,
            f"the stack runs the request-log collector but declares no namespace {COLLECTOR_NAMESPACE}: nothing "
            f"labels it {INJECTION_LABEL}: enabled, so the collector may run outside the mesh",
        )
    else:
        label = as_map(ns.metadata.get("labels")).get(INJECTION_LABEL)
        if label is not UNKNOWN and label != "enabled":
            yield Finding(
                ns.urn,
                f"namespace {COLLECTOR_NAMESPACE} has {INJECTION_LABEL}={label!r}: the request-log collector runs "
                "without an Istio sidecar, so the models' request and response bodies reach it in plain text and its "
                f"AuthorizationPolicy is ignored; label it {INJECTION_LABEL}: enabled",
            )
    for rel in releases:
        values = as_map(rel.props.get("values"))
        for key in ("podLabels", "podAnnotations"):
            value = as_map(values.get(key)).get(INJECT_KEY)
            if value is not None and value is not UNKNOWN and str(value).lower() != "true":
                yield Finding(
                    rel.urn,
                    f"the request-log collector's values set {key}.{INJECT_KEY}={value!r}: its pods run without a "
                    "sidecar (records in plain text, no authorization)",
                )
    labels = _pod_labels(releases[0] if releases else None)
    gates = 0
    for pol in resources:
        if not is_k8s(pol, "AuthorizationPolicy") or pol.namespace not in (COLLECTOR_NAMESPACE, MESH_ROOT):
            continue
        spec = as_map(pol.props.get("spec"))
        action = spec.get("action") or "ALLOW"
        if action is UNKNOWN or action != "ALLOW":
            continue
        selects = _selects_collector(spec, labels)
        if selects is None:
            gates += 1  # not judged: the unknown hook names it
            continue
        if not selects:
            continue
        gates += 1
        rules = spec.get("rules")
        if rules is UNKNOWN:
            continue
        for i, rule in enumerate(as_list(rules)):
            for why in _rule_problems(rule, allowed, pol.namespace):
                yield Finding(pol.urn, f"AuthorizationPolicy {pol.namespace}/{pol.k8s_name} rules[{i}] {why}")
    if not gates:
        yield Finding(
            anchor.urn,
            "no ALLOW AuthorizationPolicy selects the request-log collector: Istio admits every caller of the mesh "
            "(no ALLOW policy means allow), so any workload can write records under any namespace",
        )


XFCC_KEEPS_SENDER = ("APPEND_FORWARD", "SANITIZE_SET", "UNDEFINED")
"""The ``proxyHeaders.forwardedClientCert`` values under which the last element of the ``x-forwarded-client-cert``
header the collector reads is its own sidecar's account of the mTLS peer (components/platform/requestlog.py's VRL
trusts only that element): Istio's default is APPEND_FORWARD, and UNDEFINED keeps it (istio 1.30.3
pilot/pkg/networking/util/proxy_headers.go ``GetProxyHeadersFromProxyConfig``: the mesh's ``defaultConfig`` or the
pod's ``proxy.istio.io/config``); SANITIZE_SET replaces the client's header with Envoy's own. FORWARD_ONLY and
ALWAYS_FORWARD_ONLY pass the client's header through untouched, so any sender names any namespace; SANITIZE removes
it, so every record is dropped (envoy ``ConnectionManagerUtility::mutateXfccRequestHeader``; exp14t F2)."""
PROXY_CONFIG_ANNOTATION = "proxy.istio.io/config"


def _xfcc_problem(proxy_config: Any) -> str | None:
    """Why a ProxyConfig (a map) makes the collector's sidecar hand it a header the sender wrote, or none."""
    value = as_map(as_map(proxy_config).get("proxyHeaders")).get("forwardedClientCert")
    if value is None or value is UNKNOWN or value in XFCC_KEEPS_SENDER:
        return None
    return (
        f"proxyHeaders.forwardedClientCert is {value!r}: the request-log collector files each record under the "
        "namespace its sidecar appends to x-forwarded-client-cert, which only APPEND_FORWARD (Istio's default) or "
        "SANITIZE_SET write (a FORWARD mode passes the sender's own header, SANITIZE drops every record)"
    )


def _collector_xfcc(resources: Sequence[Resource]) -> Iterator[Finding]:
    """istiod's ``meshConfig.defaultConfig`` and the collector pods' ``proxy.istio.io/config`` keep the sidecar's
    x-forwarded-client-cert mode one under which the sender's identity is the sidecar's word
    (:data:`XFCC_KEEPS_SENDER`)."""
    import yaml

    for rel in resources:
        chart = str(rel.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]
        if rel.type.endswith(":Release") and chart == "istiod":
            default = as_map(as_map(rel.props.get("values")).get("meshConfig")).get("defaultConfig")
            if (why := _xfcc_problem(default)) is not None:
                yield Finding(rel.urn, f"istiod meshConfig.defaultConfig.{why}")
    for rel in _collector_releases(resources):
        given = as_map(as_map(rel.props.get("values")).get("podAnnotations")).get(PROXY_CONFIG_ANNOTATION)
        if not isinstance(given, str):
            continue
        try:
            config = yaml.safe_load(given)
        except yaml.YAMLError:
            yield Finding(
                rel.urn, f"the request-log collector's {PROXY_CONFIG_ANNOTATION} is not YAML: istio-agent refuses it"
            )
            continue
        if (why := _xfcc_problem(config)) is not None:
            yield Finding(rel.urn, f"the request-log collector's {PROXY_CONFIG_ANNOTATION} {why}")


def _collector_all(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    yield from _collector_ingress(resources, facts)
    if logging_namespaces(resources) or _collector_releases(resources):
        yield from _collector_mesh(resources, logging_namespaces(resources))
        yield from _collector_xfcc(resources)


_COLLECTOR_READS = reading(
    {
        NETWORK_POLICY: ("spec.policyTypes", "spec.ingress", "spec.ingress[].from", "spec.ingress[].from[].*"),
        "AuthorizationPolicy": ("spec.action", "spec.selector.*", "spec.targetRef", "spec.targetRefs", "spec.rules"),
        "Namespace": ("metadata.labels.*",),
    }
)


def _collector_unknown(res: Resource) -> str | None:
    """A value of the collector's NetworkPolicy, its namespace's labels, or an AuthorizationPolicy that may select
    it, known only after deploy (the rule could not judge it)."""
    if res.namespace in (COLLECTOR_NAMESPACE, MESH_ROOT) and (
        res.type == NETWORK_POLICY or is_k8s(res, "AuthorizationPolicy")
    ):
        return _COLLECTOR_READS(res)
    if is_k8s(res, "Namespace") and res.k8s_name == COLLECTOR_NAMESPACE:
        return _COLLECTOR_READS(res)
    return None


RULES = [
    Rule(
        name=RULE,
        description="The request-log collector's grant creates objects under its prefix and nothing else: {clouds}.",
        enforcement="mandatory",
        area="identity",
        check_resource=_check,
        unknown=_unknown,
        remediation="grant the request-log writer object creation under its prefix only",
    ),
    Rule(
        name=STORE_RULE,
        description=("Every object store the plan creates refuses anonymous access and account-wide keys: {clouds; }."),
        enforcement="mandatory",
        area="identity",
        check_resource=percloud.check_resource(STORE_RULE),
        check_stack=percloud.check_stack(STORE_RULE),
        unknown=_store_unknown,
        remediation="keep the settings the platform gives its request-log store (rev17c c04, c05, c08)",
    ),
    Rule(
        name=RETENTION_RULE,
        description=(
            "Every request-log store the platform creates deletes the records under its prefix after the stack's "
            "retentionDays: {clouds; }."
        ),
        enforcement="mandatory",
        area="identity",
        check_stack=percloud.check_stack(RETENTION_RULE),
        unknown=percloud.unknown(RETENTION_RULE),
        remediation=(
            "keep the lifecycle rule the platform gives its request-log store: on, deleting <prefix>/ after "
            "retentionDays, no other condition"
        ),
    ),
    Rule(
        name="request-log-collector-ingress",
        description=(
            "The request-log collector admits only the namespaces of the models that log requests: every "
            "NetworkPolicy in its namespace selects peers by kubernetes.io/metadata.name In [those namespaces] and "
            "a podSelector requiring KServe's serving.kserve.io/inferenceservice label; the collector runs in the "
            "mesh (its namespace labelled istio-injection: enabled, no sidecar opt-out), so records travel in mTLS, "
            "and an ALLOW AuthorizationPolicy selects it whose every rule admits only mTLS peers (namespaces, "
            "principals, serviceAccounts) of those namespaces; the sidecar's x-forwarded-client-cert mode (istiod "
            "meshConfig.defaultConfig, the collector's proxy.istio.io/config) stays APPEND_FORWARD or SANITIZE_SET, "
            "under which the namespace a record is filed under is the sidecar's account of the mTLS peer."
        ),
        enforcement="mandatory",
        area="network",
        check_stack=_collector_all,
        unknown=_collector_unknown,
        remediation=(
            "keep the collector's NetworkPolicy namespaceSelector kubernetes.io/metadata.name In [...], its "
            "namespace's istio-injection: enabled and its AuthorizationPolicy's source.namespaces (requestlog.py)"
        ),
    ),
]
