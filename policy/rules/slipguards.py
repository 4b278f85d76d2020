"""Rules that close slips of the fourth hostile review of issue #17 (/work/wt/rev17d-report.md): each reads the
rendered resource the slip weakens.

- ``keda-ha-values`` (p03, p05): on prod the KEDA release gives each component a PodDisruptionBudget under the
  chart's own key and a zone spread.
- ``acme-production-directory`` (p10): the ACME ClusterIssuer does not ask Let's Encrypt's staging directory.
- ``pod-security-version-latest`` (s03): a namespace that enforces a Pod Security level enforces today's.
- ``queue-proxy-admin-port`` (s02): a model's NetworkPolicy admits the queue-proxy admin port only from its pods.
- ``istio-cni-namespace`` (p13): the istio-cni agent runs where its cloud lets a ``system-node-critical`` pod run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map, reading
from policy.rules.podlabels import selector_misses

HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CLUSTER_ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer"
RESOURCE_QUOTA = "kubernetes:core/v1:ResourceQuota"


def _chart(r: Resource) -> str:
    return str(r.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]


def _release_namespace(r: Resource) -> Any:
    """A Helm release's namespace (its ``namespace`` input, else the resource's)."""
    return r.props.get("namespace", r.namespace)


RULES: list[Rule] = []

# ------------------------------------------------------------------------------------------------ KEDA HA values

KEDA_CHART = "keda"
KEDA_PDB_KEYS = ("operator", "metricServer", "webhooks")
"""The keys of the KEDA chart's ``podDisruptionBudget`` values (kedacore/charts keda/values.yaml at v2.20.2, commit
cbb9bb8c: ``podDisruptionBudget.operator``, ``.metricServer``, ``.webhooks``; keda/templates/metrics-server/
poddisruptionbudget.yaml renders the metrics server's PDB only from ``.Values.podDisruptionBudget.metricServer``).
Restated here, not imported from components/platform/keda.py: a slip there (rev17d p03: ``metricsServer``) would
move the rule with it."""
KEDA_SPREAD_KEYS = ("operator", "metricsServer", "webhooks")
"""The keys of the chart's ``topologySpreadConstraints`` values (same values.yaml; keda/templates/metrics-server/
deployment.yaml reads ``.Values.topologySpreadConstraints.metricsServer``): note the two spellings differ."""
PDB_FIELDS = ("minAvailable", "maxUnavailable")
KEDA_OPERATOR_NAME = "keda-operator"
KEDA_WEBHOOKS_NAME = "keda-admission-webhooks"
"""The chart's defaults of ``operator.name`` and ``webhooks.name`` (kedacore/charts keda/values.yaml at v2.20.2; the
names components/platform/keda.py ``OPERATOR``/``WEBHOOKS`` restate). Restated here, not imported."""
KEDA_POD_LABEL_KEYS = {"operator": "keda", "metricsServer": "metricsAdapter", "webhooks": "webhooks"}
"""Each component's ``podLabels`` values key (the chart adds ``.Values.podLabels.<key>`` to its pod template)."""


def keda_pod_labels(values: Mapping[str, Any], component: str) -> dict[str, Any]:
    """The labels the KEDA chart puts on ``component``'s pods, restated from kedacore/charts keda/templates at v2.20.2
    (read at commit 008b7204/03210df7, the search tools not holding the tag): manager/deployment.yaml
    ``app``, ``name`` and ``app.kubernetes.io/name`` = ``.Values.operator.name``; metrics-server/deployment.yaml
    ``app`` and ``app.kubernetes.io/name`` = ``{{ .Values.operator.name }}-metrics-apiserver``; webhooks/
    deployment.yaml ``app``, ``name`` and ``app.kubernetes.io/name`` = ``.Values.webhooks.name``; each plus its
    ``podLabels.<keda|metricsAdapter|webhooks>``. (The chart's shared ``keda.labels`` are left out: a selector on them
    alone would also count the other components' pods.)"""
    operator = as_map(values.get("operator")).get("name") or KEDA_OPERATOR_NAME
    webhooks = as_map(values.get("webhooks")).get("name") or KEDA_WEBHOOKS_NAME
    if component == "operator":
        out: dict[str, Any] = {"app": operator, "name": operator, "app.kubernetes.io/name": operator}
    elif component == "metricsServer":
        app = f"{operator}-metrics-apiserver"
        out = {"app": app, "app.kubernetes.io/name": app}
    else:
        out = {"app": webhooks, "name": webhooks, "app.kubernetes.io/name": webhooks}
    extra = as_map(values.get("podLabels")).get(KEDA_POD_LABEL_KEYS[component])
    return {**as_map(extra), **out}


def _truthy(value: Any) -> bool:
    """Whether a Helm ``if`` on the value renders (the chart writes no field for 0, "" or none)."""
    return value is UNKNOWN or value not in (None, "", 0, False)


def _keda_ha(res: Resource, facts: Facts) -> Iterator[str]:
    """On prod, the KEDA release's ``podDisruptionBudget`` has only the chart's keys (the three components', and the
    top-level ``minAvailable``/``maxUnavailable`` every component's PDB also reads), each component with
    minAvailable or maxUnavailable of its own or from the top level (a misspelt key renders no PDB: the chart
    ignores it), and ``topologySpreadConstraints`` gives
    each component a non-empty list (the chart's default is none, so the replicas may share one zone)."""
    if res.type not in HELM_TYPES or _chart(res) != KEDA_CHART:
        return
    values = res.props.get("values")
    if values is UNKNOWN:
        return
    values = as_map(values)
    yield from _keda_read_only_root(res, values)
    if facts.environment != "prod":
        return
    pdb = values.get("podDisruptionBudget")
    if pdb is not UNKNOWN:
        pdb = as_map(pdb)
        extra = sorted(k for k in pdb if k not in (*KEDA_PDB_KEYS, *PDB_FIELDS))
        shared = any(_truthy(pdb.get(f)) for f in PDB_FIELDS)
        if extra:
            yield (
                f"KEDA release {res.name}: podDisruptionBudget keys {extra} are not the chart's "
                f"({', '.join(KEDA_PDB_KEYS)}): no PodDisruptionBudget is rendered for them"
            )
        for key in KEDA_PDB_KEYS:
            got = pdb.get(key)
            if got is UNKNOWN or shared:
                continue
            if not any(_truthy(as_map(got).get(f)) for f in PDB_FIELDS):
                yield (
                    f"KEDA release {res.name}: podDisruptionBudget.{key} sets neither minAvailable nor "
                    "maxUnavailable: that component has no PodDisruptionBudget on prod"
                )
    spread = values.get("topologySpreadConstraints")
    if spread is not UNKNOWN:
        for key in KEDA_SPREAD_KEYS:
            got = as_map(spread).get(key)
            if got is not UNKNOWN and not as_list(got):
                yield (
                    f"KEDA release {res.name}: topologySpreadConstraints.{key} is empty: its replicas may share one "
                    "zone on prod"
                )
            if got is UNKNOWN:
                continue
            for i, constraint in enumerate(as_list(got)):
                # the one reading of a selector every spread and budget rule shares (policy/rules/podlabels.py)
                why = selector_misses(as_map(constraint).get("labelSelector"), keda_pod_labels(values, key))
                if why:
                    yield (
                        f"KEDA release {res.name}: topologySpreadConstraints.{key}[{i}] labelSelector has {why}: it "
                        "counts none of that component's pods, so its replicas may share one zone on prod"
                    )


KEDA_SECURITY_KEYS = ("operator", "metricServer", "webhooks")
"""The keys of the chart's per-component ``securityContext`` values (kedacore/charts keda/values.yaml at v2.20.2, commit
cbb9bb8c: ``securityContext.operator``, ``.metricServer``, ``.webhooks``, each with ``readOnlyRootFilesystem: true``
by default; the paths tests/platform/test_values_upstream.py pins). Restated, not imported from
components/platform/keda.py ``SECURITY_KEYS``."""


def _keda_read_only_root(res: Resource, values: Mapping[str, Any]) -> Iterator[str]:
    """On every environment, no KEDA component's ``securityContext.<c>.readOnlyRootFilesystem`` is false: the chart's
    default is true, and components/platform/keda.py promises it (``CONTAINER_SECURITY_CONTEXT``); a writable root
    filesystem lets a compromised operator (which holds the cluster-wide scaling credentials) write binaries into its
    container. An absent key keeps the chart's default and passes; only an explicit false (or "false") fails."""
    security = values.get("securityContext")
    if security is UNKNOWN:
        return
    for key in KEDA_SECURITY_KEYS:
        got = as_map(as_map(security).get(key)).get("readOnlyRootFilesystem")
        if got is False or (isinstance(got, str) and got.lower() == "false"):
            yield (
                f"KEDA release {res.name}: securityContext.{key}.readOnlyRootFilesystem is false: that component's "
                "root filesystem is writable (the chart's default is true)"
            )


RULES.append(
    Rule(
        name="keda-ha-values",
        description=(
            "On prod the KEDA release gives its operator, metrics server and webhooks a PodDisruptionBudget under "
            "the chart's keys (podDisruptionBudget.operator/metricServer/webhooks, nothing else) and a zone spread "
            "(topologySpreadConstraints.operator/metricsServer/webhooks, each labelSelector selecting that "
            "component's own pods: app keda-operator, keda-operator-metrics-apiserver, keda-admission-webhooks); on "
            "every environment no component's "
            "securityContext.<operator|metricServer|webhooks>.readOnlyRootFilesystem is false."
        ),
        enforcement="mandatory",
        area="kubernetes",
        applies_to=HELM_TYPES,
        check_resource=_keda_ha,
        remediation=(
            "keep components/platform/keda.py PDB_KEYS, values' topologySpreadConstraints and "
            "CONTAINER_SECURITY_CONTEXT (readOnlyRootFilesystem: true)"
        ),
        unknown=lambda r: (
            reading(
                {
                    t: ("values.podDisruptionBudget", "values.topologySpreadConstraints", "values.securityContext")
                    for t in HELM_TYPES
                }
            )(r)
            if r.type in HELM_TYPES and _chart(r) == KEDA_CHART
            else None
        ),
    )
)

# ------------------------------------------------------------------------------------------------ ACME directory

STAGING_DIRECTORIES = ("https://acme-staging-v02.api.letsencrypt.org/directory",)
"""Let's Encrypt's staging ACME directory (letsencrypt.org/docs/staging-environment: "The ACME URL for our ACME v2
staging environment is https://acme-staging-v02.api.letsencrypt.org/directory"; its roots "(STAGING) Pretend Pear
X1" and "(STAGING) Bogus Broccoli X2" are "not present in browser/client trust stores")."""


def _acme_server(res: Resource, facts: Facts) -> Iterator[str]:
    """An ACME ClusterIssuer's ``spec.acme.server`` is not a staging directory: certificates from it chain to an
    untrusted root, so every client of the gateway fails TLS. A stack that wants staging says so with an override of
    this rule (its reason is recorded in the plan)."""
    if res.type != CLUSTER_ISSUER:
        return
    acme = as_map(res.props.get("spec")).get("acme")
    if acme is None or acme is UNKNOWN:
        return
    server = as_map(acme).get("server")
    if isinstance(server, str) and server.strip().rstrip("/") in {s.rstrip("/") for s in STAGING_DIRECTORIES}:
        yield (
            f"ClusterIssuer {res.name} asks the Let's Encrypt staging directory ({server}): its certificates chain "
            "to a root no client trusts"
        )


RULES.append(
    Rule(
        name="acme-production-directory",
        description=(
            "The ACME ClusterIssuer does not ask Let's Encrypt's staging directory (untrusted root) unless the stack "
            "overrides this rule with its reason."
        ),
        enforcement="mandatory",
        area="ingress",
        applies_to=(CLUSTER_ISSUER,),
        check_resource=_acme_server,
        remediation="keep components/platform/settings.py acme_server the production directory",
        unknown=reading({CLUSTER_ISSUER: ("spec.acme.server",)}),
    )
)

# ------------------------------------------------------------------------------------------------ PSS version

ENFORCE = "pod-security.kubernetes.io/enforce"
ENFORCE_VERSION = "pod-security.kubernetes.io/enforce-version"


def _enforce_version(res: Resource, facts: Facts) -> Iterator[str]:
    """A namespace with a Pod Security ``enforce`` label enforces the level at ``latest``: a version label pins the
    policy to an older Kubernetes minor's checks (kubernetes.io/docs/tasks/configure-pod-container/
    enforce-standards-namespace-labels: the version labels "pin" the policies; enforce-standards-admission-
    controller: version values are "latest" (default) or a specific version). Unset, the admission controller's
    default applies (``latest`` unless the cluster's configuration says otherwise)."""
    if res.type != NAMESPACE:
        return
    labels = as_map(res.props.get("metadata")).get("labels")
    if labels is UNKNOWN:
        return
    labels = as_map(labels)
    if labels.get(ENFORCE) in (None, UNKNOWN):
        return
    version = labels.get(ENFORCE_VERSION)
    if version is not None and version is not UNKNOWN and version != "latest":
        yield (
            f"namespace {res.name} enforces Pod Security {labels.get(ENFORCE)} at {version!r}: checks added since "
            "that version do not apply; set pod-security.kubernetes.io/enforce-version latest"
        )


RULES.append(
    Rule(
        name="pod-security-version-latest",
        description="Every namespace that enforces a Pod Security level enforces it at version latest.",
        enforcement="mandatory",
        area="kubernetes",
        applies_to=(NAMESPACE,),
        check_resource=_enforce_version,
        remediation="keep pod-security.kubernetes.io/enforce-version latest (components/serving/namespace.py)",
        unknown=reading({NAMESPACE: ("metadata.labels",)}),
    )
)

# ------------------------------------------------------------------------------------------------ queue-proxy admin

QUEUE_ADMIN_PORT = 8022
"""Knative's queue-proxy admin port (``QueueAdminPort``, pkg/networking/constants.go, knative/serving knative-v1.21.3):
its handler ``/wait-for-drain`` drains the queue-proxy (components/serving/_netpol.py rule 2)."""
QUEUE_ADMIN_PORT_NAME = "http-queueadm"
"""The name of that port on the queue-proxy container (``QueueAdminPortName``, knative/serving knative-v1.21.3
pkg/apis/serving/v1/revision_helpers.go:39; the revision's queue container lists it, pkg/reconciler/revision/resources/
queue.go ``queueNonServingPorts``): a NetworkPolicy port may name it instead of the number (``port`` is an
IntOrString, kubernetes.io/docs/concepts/services-networking/network-policies/ "port ... named port")."""
MODEL_LABELS = ("serving.kserve.io/inferenceservice", "serving.kserve.io/inferencegraph")
"""The pod labels a model's (or a pipeline router's) NetworkPolicy selects its pods by (components/serving/_netpol.py
``ISVC_LABEL``; KServe sets them on the pods it creates)."""


def _own_pods(selector: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in as_map(selector.get("matchLabels")).items() if k in MODEL_LABELS}


def _opens_admin(rule: Mapping[str, Any]) -> bool:
    ports = rule.get("ports")
    if ports is None or ports == []:
        return True
    for p in as_list(ports):
        port, end = as_map(p).get("port"), as_map(p).get("endPort")
        if port is None:
            return True
        if port == QUEUE_ADMIN_PORT_NAME:
            return True  # the admin port by its name (the deferred s02 item: named ports)
        if port == QUEUE_ADMIN_PORT or (isinstance(port, int) and isinstance(end, int) and port <= 8022 <= end):
            return True
    return False


def _peer_beyond(peer: Mapping[str, Any], own: Mapping[str, Any]) -> bool:
    """Whether one ``from`` peer admits more than the pods ``own`` selects (in the policy's namespace)."""
    if "namespaceSelector" in peer or "ipBlock" in peer:
        return True
    return _own_pods(as_map(peer.get("podSelector"))) != own


def _admin_port(res: Resource, facts: Facts) -> Iterator[str]:
    """A NetworkPolicy that selects a model's pods (by the KServe label) admits the queue-proxy admin port 8022 only
    from those same pods: every ``from`` peer of a rule opening 8022 is a podSelector with the model's label and
    value and no namespaceSelector (a rule with no ``from`` admits every source; NetworkPolicies are additive)."""
    if res.type != NETWORK_POLICY:
        return
    spec = res.props.get("spec")
    if spec is UNKNOWN:
        return
    spec = as_map(spec)
    own = _own_pods(as_map(spec.get("podSelector")))
    if not own or UNKNOWN in own.values():
        return
    ingress = spec.get("ingress")
    if ingress is UNKNOWN:
        return
    for i, rule in enumerate(as_list(ingress)):
        rule = as_map(rule)
        if rule.get("ports") is UNKNOWN or rule.get("from") is UNKNOWN or not _opens_admin(rule):
            continue
        peers = as_list(rule.get("from"))
        wide = not peers or any(_peer_beyond(as_map(p), own) for p in peers)
        if wide:
            yield (
                f"NetworkPolicy {res.name} ingress[{i}] admits the queue-proxy admin port {QUEUE_ADMIN_PORT} "
                f"(/wait-for-drain) from beyond the model's own pods {own}"
            )


RULES.append(
    Rule(
        name="queue-proxy-admin-port",
        description=(
            "A model's NetworkPolicy admits the queue-proxy admin port 8022 (/wait-for-drain) only from the model's "
            "own pods."
        ),
        enforcement="mandatory",
        area="network",
        applies_to=(NETWORK_POLICY,),
        check_resource=_admin_port,
        remediation="keep components/serving/_netpol.py rule 2 (from the model's pods only)",
        unknown=reading({NETWORK_POLICY: ("spec", "spec.ingress")}),
    )
)

# ------------------------------------------------------------------------------------------------ istio-cni namespace

CNI_NAMESPACE_RULE = "istio-cni-namespace"
ISTIO_CNI_CHARTS = ("cni", "istio-cni")
CRITICAL_CLASS = "system-node-critical"


def _cni_namespace(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """Where the cluster's cloud admits ``system-node-critical`` pods only in some namespaces (its share of the rule
    reads it from the cluster resource: GKE's ``kube-system``), the istio-cni release is in one of them or in a
    namespace with a ResourceQuota for that class. Istio, "Platform-Specific Prerequisites", GKE "Namespace
    restrictions" (istio.io/latest/docs/ambient/install/platform-prerequisites; the same text at istio.io/v1.23):
    "On GKE, any pods with the system-node-critical priorityClassName can only be installed in namespaces that have
    a ResourceQuota defined. By default in GKE, only kube-system has a defined ResourceQuota for the node-critical
    class". Elsewhere the agent's pods are refused and meshed pods never start. Clouds that say nothing are not
    judged."""
    from policy.rules import percloud

    allowed = {d for r in resources for d in percloud.read(CNI_NAMESPACE_RULE, r) if isinstance(d, str)}
    if not allowed:
        return
    for r in resources:
        if r.type not in HELM_TYPES or _chart(r) not in ISTIO_CNI_CHARTS:
            continue
        ns = _release_namespace(r)
        if ns is UNKNOWN or ns in allowed:
            continue
        if any(q.type == RESOURCE_QUOTA and q.namespace == ns and _critical_quota(q) for q in resources):
            continue
        yield Finding(
            r.urn,
            f"Helm release {r.props.get('name', r.name)} (istio-cni) is in namespace {ns!r}, where the cluster admits "
            f"no {CRITICAL_CLASS} pod: install it in {', '.join(sorted(allowed))} or add a ResourceQuota for "
            f"PriorityClass {CRITICAL_CLASS} there",
        )


def _critical_quota(r: Resource) -> bool:
    scope = as_map(as_map(r.props.get("spec")).get("scopeSelector"))
    for e in as_list(scope.get("matchExpressions")):
        e = as_map(e)
        if (
            e.get("scopeName") == "PriorityClass"
            and e.get("operator") == "In"
            and CRITICAL_CLASS in as_list(e.get("values"))
        ):
            return True
    return False


RULES.append(
    Rule(
        name=CNI_NAMESPACE_RULE,
        description=(
            "The istio-cni agent (system-node-critical) is installed where the cluster's cloud admits such pods: "
            "{clouds}, or a namespace with a ResourceQuota for PriorityClass system-node-critical."
        ),
        enforcement="mandatory",
        area="mesh",
        applies_to=(*HELM_TYPES, RESOURCE_QUOTA),
        check_stack=_cni_namespace,
        remediation="keep components/platform/istio.py CNI_NAMESPACE kube-system",
        unknown=lambda r: (
            reading({t: ("namespace",) for t in HELM_TYPES})(r)
            if r.type in HELM_TYPES and _chart(r) in ISTIO_CNI_CHARTS
            else None
        ),
    )
)
