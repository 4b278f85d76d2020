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

from collections.abc import Iterator, Sequence
from typing import Any

from policy.rules import percloud
from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map, reading

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


_COLLECTOR_READS = reading(
    {NETWORK_POLICY: ("spec.policyTypes", "spec.ingress", "spec.ingress[].from", "spec.ingress[].from[].*")}
)


def _collector_unknown(res: Resource) -> str | None:
    """A value of the collector's NetworkPolicy known only after deploy (the rule could not judge it)."""
    if res.type == NETWORK_POLICY and res.namespace == COLLECTOR_NAMESPACE:
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
            "a podSelector requiring KServe's serving.kserve.io/inferenceservice label."
        ),
        enforcement="mandatory",
        area="network",
        check_stack=_collector_ingress,
        unknown=_collector_unknown,
        remediation="keep the collector's NetworkPolicy namespaceSelector kubernetes.io/metadata.name In [...]",
    ),
]
