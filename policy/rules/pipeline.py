"""Rules over pipelines: KServe InferenceGraphs (``kubernetes:serving.kserve.io/v1alpha1:InferenceGraph``).

A pipeline's router is a Knative Service ``<name>`` (Knative mode) or a Deployment and Service (Standard mode) that
KServe v0.20.0 makes from the graph, copying the graph's labels to the Knative Service and its annotations to the
revision, and labelling the router pods ``serving.kserve.io/inferencegraph: <name>`` (components/serving/pipeline.py
module docstring, with the KServe sources: pkg/controller/v1alpha1/inferencegraph/knative_reconciler.go, raw_ig.go).
The router calls each step's ``serviceUrl`` as itself and forwards none of the caller's headers (cmd/router/main.go
``callService``), so whoever reaches the router reaches every member through it.

The rules judge through :mod:`components.serving.requestpath` (``router_of``, ``pipeline_routes``,
``through_pipeline``, ``routes``) over the plan's NetworkPolicies and Istio policies, as ``model-endpoint-auth`` does
for models; a graph's access is read from what KServe reads (the visibility label of its deployment mode), and its
declared intent from ``mlplatform.io/access`` / ``mlplatform.io/allow-anonymous`` (components/serving/pipeline.py
``graph_annotations``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from policy.rules.base import (
    UNKNOWN,
    Facts,
    Finding,
    Resource,
    Rule,
    as_list,
    as_map,
    content_token,
    is_k8s,
    is_true,
    reading,
)
from policy.rules.models import (
    ANONYMOUS_ANNOTATION,
    CLUSTER_LOCAL,
    HOST_ANNOTATION,
    MESH_ROOT,
    MODE_ANNOTATION,
    VISIBILITY_LABELS,
    _isvcs,
    _known,
    _object,
    cluster_local,
    deployment_mode,
    is_anonymous,
    is_public,
    marked_internal,
    platform_mode,
    props_known,
)
from policy.rules.network import _frozen

IG = "kubernetes:serving.kserve.io/v1alpha1:InferenceGraph"
IG_LABEL = "serving.kserve.io/inferencegraph"
"""``constants.InferenceGraphLabel`` (pkg/constants/constants.go, KServe v0.20.0): the router pods' label."""
TARGET_BURST_CAPACITY = "autoscaling.knative.dev/target-burst-capacity"
"""Knative's per-revision target burst capacity: "``0`` means the Activator is only in path when scaled to 0"
(knative/docs docs/serving/load-balancing/target-burst-capacity.md). In knative/serving knative-v1.21.3, the
autoscaler's excess burst capacity is 0 when ``TargetBurstCapacity == 0`` (pkg/autoscaler/scaling/autoscaler.go
``Scale``, line 287) and KPA puts the revision's ServerlessService in Serve mode, the activator off the path, when
``want > 0 && ExcessBurstCapacity >= 0`` (pkg/reconciler/autoscaling/kpa/kpa.go, line 140), else Proxy mode (as
components/serving/_runtime.py ``isvc_annotations`` relies on for internal models). KServe copies the graph's
annotations to the router's revision (knative_reconciler.go ``createKnativeService``, v0.20.0)."""
DEFAULT_MIN_REPLICAS = 1
"""What an InferenceGraph without ``minReplicas`` runs at least: KServe v0.20.0 knative_reconciler.go
``createKnativeService`` calls ``SetAutoScalingAnnotations`` (pkg/controller/v1alpha1/utils/utils.go) with
``graph.Spec.MinReplicas``, which sets ``autoscaling.knative.dev/min-scale`` to ``constants.DefaultMinReplicas``
(1, pkg/constants/constants.go) when it is nil."""
CLUSTER_DOMAIN = "svc.cluster.local"


def graphs(resources: Sequence[Resource]) -> list[Resource]:
    """The plan's InferenceGraphs."""
    return [r for r in resources if r.type == IG or is_k8s(r, "InferenceGraph")]


def _where(g: Resource) -> str:
    return f"pipeline {g.namespace}/{g.k8s_name}"


def graph_object(g: Resource, default_mode: str) -> dict[str, Any]:
    """The graph as :func:`components.serving.requestpath.router_of` reads it: its deployment mode made explicit (the
    platform's when the graph names none) and, when KServe would publish it without our host annotation, Knative's
    default route host ``<name>-<namespace>.example.com`` (the platform's domain template, KServe's default domain)."""
    obj = _object(g)
    meta = dict(as_map(obj.get("metadata")))
    mode = deployment_mode(g, default_mode)
    annotations = {**as_map(meta.get("annotations")), MODE_ANNOTATION: mode}
    if not cluster_local(g, mode):
        annotations.setdefault(HOST_ANNOTATION, f"{g.k8s_name}-{g.namespace}.example.com")
    return {**obj, "metadata": {**meta, "namespace": g.namespace, "annotations": annotations}}


def isvc_object(m: Resource, default_mode: str) -> dict[str, Any]:
    """An InferenceService as :func:`components.serving.requestpath.model_of` reads it (mode and host explicit)."""
    obj = _object(m)
    meta = dict(as_map(obj.get("metadata")))
    annotations = {**as_map(meta.get("annotations")), MODE_ANNOTATION: deployment_mode(m, default_mode)}
    if is_public(m, default_mode):
        annotations.setdefault(HOST_ANNOTATION, f"{m.k8s_name}-{m.namespace}.example.com")
    return {**obj, "metadata": {**meta, "namespace": m.namespace, "annotations": annotations}}


def step_urls(g: Resource) -> list[tuple[str, str]]:
    """(``nodes.<node>.steps[i]``, serviceUrl) of every step that calls a URL."""
    out = []
    for node, spec in as_map(g.get("spec.nodes")).items():
        for i, step in enumerate(as_list(as_map(spec).get("steps"))):
            url = as_map(step).get("serviceUrl")
            if isinstance(url, str):
                out.append((f"nodes.{node}.steps[{i}]", url))
    return out


def url_host(url: str) -> str:
    """The host of ``url``, lower case, without port."""
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0].lower()


def members(g: Resource, models: Sequence[Resource]) -> list[Resource]:
    """The plan's models a step of ``g`` calls on the predictor host ``<m>-predictor.<ns>.svc.cluster.local`` or,
    for a model with a transformer, the transformer's ``<m>-transformer.<ns>.svc.cluster.local`` (how
    components/serving/pipeline.py ``step_url`` renders a ``serviceName`` step)."""
    hosts = {url_host(u) for _, u in step_urls(g)}
    return [
        m
        for m in models
        if any(f"{m.k8s_name}-{c}.{m.namespace}.{CLUSTER_DOMAIN}" in hosts for c in ("predictor", "transformer"))
    ]


def _istio_objects(resources: Sequence[Resource], namespace: str | None) -> list[dict[str, Any]]:
    return [_object(r) for r in _istio_resources(resources, namespace)]


def _istio_resources(resources: Sequence[Resource], namespace: str | None) -> list[Resource]:
    kinds = ("NetworkPolicy", "AuthorizationPolicy", "RequestAuthentication")
    return [r for r in resources if is_k8s(r, *kinds) and r.namespace in (namespace, MESH_ROOT)]


def _judgeable(g: Resource) -> bool:
    return isinstance(g.namespace, str) and _known(g.props.get("metadata")) and _known(g.props.get("spec"))


def _unknown(res: Resource) -> str | None:
    """A graph, model or policy the pipeline rules read that is known only after deploy."""
    if is_k8s(res, "InferenceGraph") and not _judgeable(res):
        return f"InferenceGraph {res.namespace}/{res.k8s_name}"
    if is_k8s(res, "AuthorizationPolicy", "RequestAuthentication", "NetworkPolicy") and not _known(res.props):
        return f"{res.type.rsplit(':', 1)[-1]} {res.namespace}/{res.k8s_name}"
    return None


def _pipeline_unknown(res: Resource) -> str | None:
    return _unknown(res) if is_k8s(res, "InferenceGraph", "AuthorizationPolicy", "RequestAuthentication") else None


def _graph_anonymous(g: Resource) -> bool:
    return is_true(as_map(g.metadata.get("annotations")).get(ANONYMOUS_ANNOTATION))


# ------------------------------------------------------------------------------------------------ (a) public


def _endpoint_auth(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """A public pipeline without the anonymous opt-in: a token-less request from the internet reaches neither the
    router nor, through it, any member, at ``minReplicas`` and, when it scales to zero, from zero."""
    from components.serving import requestpath as rp

    default = platform_mode(resources)
    models = _isvcs(resources)
    for g in graphs(resources):
        if not _judgeable(g) or _graph_anonymous(g):
            continue
        graph = graph_object(g, default)
        read = _istio_resources(resources, g.namespace)
        if not props_known(read):
            continue
        objects = [_object(r) for r in read]
        where = _where(g)
        try:
            router = rp.router_of(graph)
            if router.public_host is None:
                continue
            zeros = (False, True) if router.min_replicas == 0 else (False,)
            reached: dict[str, None] = {}
            for at_zero in zeros:
                out = rp.pipeline_routes(objects, graph, rp.INTERNET, at_zero=at_zero)
                for route in (k for k in out if rp.reaches(out, k)):
                    reached[f"the router through the {route}"] = None
                for m in members(g, models):
                    through = rp.through_pipeline(
                        [*objects, *(o for o in _istio_objects(resources, m.namespace) if o not in objects)],
                        graph,
                        isvc_object(m, default),
                        rp.INTERNET,
                        at_zero=at_zero,
                    )
                    for route in (k for k in through if rp.reaches(through, k)):
                        reached[f"member {m.namespace}/{m.k8s_name} through the {route} and the router"] = None
        # AttributeError: a tampered field of another shape (a bool for a map) raised out of the rule, exit 70
        # (rev14e defect 7; tests/policy/test_malformed_isvc_fields.py)
        except (rp.Unsupported, AttributeError, KeyError, TypeError, ValueError) as e:
            yield Finding(g.urn, f"public {where}: the token-less request path could not be evaluated ({e}); failing")
            continue
        if reached:
            yield Finding(
                g.urn,
                f"public {where} answers the internet without a token: it reaches {', '.join(reached)}; a public "
                "pipeline needs access.jwt (its router's AuthorizationPolicy must require a request principal), or "
                "access.allowAnonymous: true explicitly",
            )


# ------------------------------------------------------------------------------------------------ (b), (c) internal


def _internal_visibility(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """An internal pipeline carries the cluster-local label its deployment mode reads, and has no public route."""
    from components.serving import requestpath as rp

    default = platform_mode(resources)
    for g in graphs(resources):
        if not marked_internal(g) or not isinstance(g.namespace, str):
            continue
        mode = deployment_mode(g, default)
        where = _where(g)
        if mode not in VISIBILITY_LABELS:
            yield Finding(g.urn, f"internal {where}: unknown deployment mode {mode!r}")
            continue
        if not cluster_local(g, mode):
            have = {k: v for k, v in as_map(g.metadata.get("labels")).items() if "visibility" in str(k)}
            why = (
                "is published on the public gateway: KServe copies the graph's labels to the router's Knative Service, "
                "which Knative keeps cluster-local only with"
                if mode == "Knative"
                # KServe v0.20.0 makes no gateway route for a graph in Standard mode (raw_ig.go, controller.go have
                # no ingress), so the label is what keeps it local if a version does: the one Standard mode reads
                else "lacks the cluster-local label KServe's Standard mode reads,"
            )
            yield Finding(
                g.urn,
                f"internal {where} {why} {VISIBILITY_LABELS[mode]}: {CLUSTER_LOCAL} (it has {have or 'none'})",
            )
            continue
        if not _judgeable(g):
            continue
        read = _istio_resources(resources, g.namespace)
        objects = [_object(r) for r in read]
        if props_known(read) and rp.pipeline_routes(objects, graph_object(g, default), rp.INTERNET):
            yield Finding(g.urn, f"internal {where} has a route from the internet")


def _activator_off(res: Resource, facts: Facts) -> Iterator[str]:
    """An internal Knative pipeline keeps Knative's activator off its path: target-burst-capacity "0" (the activator
    is then in the path only at zero) and minReplicas >= 1 (never at zero). Otherwise the router's sidecar sees the
    activator, not the caller, and the router's namespace-based ALLOW rule cannot tell callers apart."""
    if not is_k8s(res, "InferenceGraph") or not marked_internal(res):
        return
    ann = as_map(res.metadata.get("annotations"))
    mode = ann.get(MODE_ANNOTATION)
    if mode is UNKNOWN or (isinstance(mode, str) and mode not in ("Knative", "Serverless")):
        return  # Standard mode (or legacy RawDeployment) has no activator; unset mode is judged as Knative
    where = f"internal pipeline {res.namespace}/{res.k8s_name}"
    tbc = ann.get(TARGET_BURST_CAPACITY)
    if tbc is not UNKNOWN and tbc != "0":
        yield (
            f"{where} lets Knative's activator into its path (annotation {TARGET_BURST_CAPACITY} "
            f'{"unset (default 200)" if tbc is None else repr(tbc)}): give "0", so the router sees its callers'
        )
    n = res.get("spec.minReplicas")
    if n is None:
        return  # KServe then sets min-scale to DEFAULT_MIN_REPLICAS
    if n is not UNKNOWN and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
        yield f"{where} may scale to zero (minReplicas {n!r}): the activator then holds its requests; give >= 1"


# ------------------------------------------------------------------------------------------------ (d) identity


def _service_account(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """The router runs as its own ServiceAccount (set, not ``default``) that mounts no API token."""
    sas = {(r.namespace, r.k8s_name): r for r in resources if is_k8s(r, "ServiceAccount")}
    for g in graphs(resources):
        name = g.get("spec.serviceAccountName")
        if name is UNKNOWN:
            continue
        where = _where(g)
        if not isinstance(name, str) or not name or name == "default":
            yield Finding(
                g.urn,
                f"{where}: the router runs as the namespace's default ServiceAccount (spec.serviceAccountName "
                f"{name!r}): give it its own, whose mesh identity the member models see",
            )
            continue
        sa = sas.get((g.namespace, name))
        if sa is None:
            yield Finding(g.urn, f"{where}: its ServiceAccount {g.namespace}/{name} is not in the plan")
        elif sa.props.get("automountServiceAccountToken") not in (False, UNKNOWN):
            yield Finding(
                sa.urn,
                f"ServiceAccount {g.namespace}/{name} of {where} mounts its API token (automountServiceAccountToken "
                f"{sa.props.get('automountServiceAccountToken')}): set it false",
            )


# ------------------------------------------------------------------------------------------------ (f) step hosts


def _top_hosts(m: Resource) -> set[str]:
    """KServe's top-level host of model ``m`` in every form a cluster DNS search resolves: ``<m>.<ns>``,
    ``<m>.<ns>.svc``, ``<m>.<ns>.svc.cluster.local``."""
    base = f"{m.k8s_name}.{m.namespace}"
    return {base, f"{base}.svc", f"{base}.{CLUSTER_DOMAIN}"}


def _step_hosts(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """No step calls a model of the plan on KServe's top-level host ``<m>.<ns>.svc.cluster.local``: in Knative mode
    it is an ExternalName to knative-local-gateway (KServe v0.20.0 ingress_reconciler.go), so the model sees the
    gateway, not the router (docs/components/pipeline.md); a step calls ``<m>-predictor.<ns>.svc.cluster.local``."""
    models = _isvcs(resources)
    for g in graphs(resources):
        for path, url in step_urls(g):
            host = url_host(url)
            short = f"{host}.{g.namespace}"  # a bare <m> resolves in the graph's namespace
            for m in models:
                if host in _top_hosts(m) or (m.namespace == g.namespace and short in _top_hosts(m)):
                    yield Finding(
                        g.urn,
                        f"{_where(g)} spec.{path} calls model {m.namespace}/{m.k8s_name} on KServe's top-level host "
                        f"{host}, which goes through knative-local-gateway (the model sees the gateway, not the "
                        f"router); call http://{m.k8s_name}-predictor.{m.namespace}.{CLUSTER_DOMAIN}",
                    )


# ------------------------------------------------------------------------------------------------ (g) members


def _member_access(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """No member the pipeline widens (docs/components/pipeline.md, the access table): every caller that reaches a
    member through the router (the internet without a token, a pod of each namespace the router's policies name,
    a pod elsewhere) reaches it directly too; a public pipeline with jwt is the only front door allowed to an
    internal member (callers with a valid token). A public jwt member refuses the router (no token is forwarded)."""
    from components.serving import requestpath as rp

    default = platform_mode(resources)
    models = _isvcs(resources)
    outsider = "mlp-policy-outsider"
    for g in graphs(resources):
        if not _judgeable(g):
            continue
        graph = graph_object(g, default)
        read = _istio_resources(resources, g.namespace)
        if not props_known(read):
            continue
        own = [_object(r) for r in read]
        namespaces = {str(g.namespace), outsider}
        for obj in own:
            if obj.get("kind") == "AuthorizationPolicy":
                for rule in as_list(as_map(obj.get("spec")).get("rules")):
                    for f in as_list(as_map(rule).get("from")):
                        src = as_map(as_map(f).get("source"))
                        namespaces.update(str(n) for n in as_list(src.get("namespaces")) if "*" not in str(n))
        callers: list[tuple[str, Any]] = [("the internet without a token", rp.INTERNET)]
        callers += [(f"a pod in {ns}", rp.in_namespace(ns)) for ns in sorted(namespaces)]
        for m in members(g, models):
            where = f"member {m.namespace}/{m.k8s_name} of {_where(g)}"
            if is_public(m, default) and not is_anonymous(m, facts):
                yield Finding(
                    g.urn,
                    f"{where} is a public jwt model: the router forwards no Authorization header (KServe's "
                    "PROPAGATE_HEADERS is unset), so the model refuses it; make the model internal or anonymous",
                )
                continue
            # the graph, the member and the policies the walk reads are functions of these resources' content and
            # the default mode (base.content_token: type, name and props)
            key = (
                _frozen(
                    [
                        rp.indexed,
                        rp.inference_requests,
                        rp.routes,
                        rp.reaches,
                        rp.through_pipeline,
                        rp.in_namespace,
                        rp.INTERNET,
                    ]
                ),
                tuple(sorted(namespaces)),
                default,
                content_token(g),
                content_token(m),
                tuple(content_token(r) for r in _istio_resources(resources, g.namespace)),
                tuple(content_token(r) for r in _istio_resources(resources, m.namespace)),
            )
            judged = _WIDER.get(key)
            if judged is None:
                if len(_WIDER) >= _WIDER_SIZE:
                    _WIDER.clear()
                found = [*own, *(o for o in _istio_objects(resources, m.namespace) if o not in own)]
                judged = _WIDER[key] = _widened(found, graph, isvc_object(m, default), callers)
            wider, error = judged
            if error is not None:
                yield Finding(g.urn, f"{where}: the request path could not be evaluated ({error}); failing closed")
                continue
            if wider:
                yield Finding(
                    g.urn,
                    f"{where} is widened: {', '.join(wider)} reach(es) it through the router but not directly; a "
                    "pipeline may not be wider than its members (an anonymous pipeline may call only anonymous models; "
                    "an internal one only models that admit its namespaces)",
                )


def _widened(
    found: list[dict[str, Any]], graph: dict[str, Any], isvc: dict[str, Any], callers: list[tuple[str, Any]]
) -> tuple[tuple[str, ...], str | None]:
    """:func:`_member_access`'s walk for one member: the callers (by label) that reach ``isvc`` through the router of
    ``graph`` but not directly, under the policies ``found``; or the error that stopped the walk (the rule then fails
    closed)."""
    from components.serving import requestpath as rp

    objects = rp.indexed(found)
    wider = []
    try:
        method, path = rp.inference_requests(isvc)[0]  # the call a direct caller makes (the router's too)
        for who, caller in callers:
            direct = rp.routes(objects, isvc, caller, at_zero=False, path=path, method=method)
            if rp.reaches(rp.through_pipeline(objects, graph, isvc, caller)) and not rp.reaches(direct):
                wider.append(who)
    # AttributeError: a tampered field of another shape (a bool for a map) raised out of the rule, exit 70
    # (rev14e defect 7; tests/policy/test_malformed_isvc_fields.py)
    except (rp.Unsupported, AttributeError, KeyError, TypeError, ValueError) as e:
        return (), str(e)
    return tuple(wider), None


_WIDER: dict[tuple[Any, ...], tuple[tuple[str, ...], str | None]] = {}
""":func:`_widened`'s answers, by everything it reads: the graph and the member as the request path reads them
(:func:`graph_object`, :func:`isvc_object`: functions of the two resources and the default mode), the policies of the
graph's and the member's namespaces and the mesh root (the resources by content:
:func:`policy.rules.base.content_token`), the namespaces whose pods are callers (the callers are the internet and a pod
of each), and the request-path functions it calls (a test that replaces one gets a fresh walk). A plan judged again with
these unchanged reuses the answer instead of walking every caller's routes again, as ``model-inference-api-only`` does
(network ``_INFERENCE_ONLY``). Bounded: emptied when full."""
_WIDER_SIZE = 256


_LABELS_READS = reading({"InferenceGraph": ("metadata.labels.*", "metadata.annotations.*")})
_ACTIVATOR_READS = reading({"InferenceGraph": ("metadata.annotations.*", "spec.minReplicas")})
_SA_READS = reading(
    {"InferenceGraph": ("spec.serviceAccountName",), "ServiceAccount": ("automountServiceAccountToken",)}
)
_STEP_READS = reading({"InferenceGraph": ("spec.nodes.*",)})
"""What the pipeline rules without a request-path hook read: a value known only after deploy there (or NaN) is named
in their passing entries and fails ``check --strict`` (red team #17 cause 4)."""

RULES = [
    Rule(
        name="pipeline-endpoint-auth",
        description=(
            "A token-less request from the internet reaches neither a public pipeline's router nor, through it, any "
            "member model (at minReplicas and from zero), unless the pipeline opts into anonymous access."
        ),
        enforcement="mandatory",
        area="pipelines",
        applies_to=(IG, "AuthorizationPolicy", "RequestAuthentication"),
        check_stack=_endpoint_auth,
        unknown=_pipeline_unknown,
    ),
    Rule(
        name="internal-pipeline-cluster-local",
        description=(
            "Every pipeline declared internal carries the cluster-local visibility label its KServe deployment mode "
            "reads, and the internet has no route to its router."
        ),
        enforcement="mandatory",
        area="pipelines",
        applies_to=(IG, "kserve-resources Helm release"),
        check_stack=_internal_visibility,
        unknown=lambda r: _pipeline_unknown(r) or _LABELS_READS(r),
    ),
    Rule(
        name="internal-pipeline-activator-off",
        description=(
            'Every internal pipeline in Knative mode has target-burst-capacity "0" and minReplicas >= 1, so '
            "Knative's activator never stands between its callers and the router."
        ),
        enforcement="mandatory",
        area="pipelines",
        applies_to=(IG,),
        check_resource=_activator_off,
        unknown=_ACTIVATOR_READS,
    ),
    Rule(
        name="pipeline-service-account",
        description=(
            "Every pipeline's router runs as its own ServiceAccount (spec.serviceAccountName set, not default) that "
            "mounts no API token."
        ),
        enforcement="mandatory",
        area="pipelines",
        applies_to=(IG, "ServiceAccount"),
        check_stack=_service_account,
        unknown=_SA_READS,
    ),
    Rule(
        name="pipeline-step-predictor-host",
        description=(
            "No pipeline step calls a model on KServe's top-level host <model>.<namespace>.svc.cluster.local "
            "(through knative-local-gateway); steps call the predictor host."
        ),
        enforcement="mandatory",
        area="pipelines",
        applies_to=(IG, "InferenceService"),
        check_stack=_step_hosts,
        unknown=_STEP_READS,
    ),
    Rule(
        name="pipeline-member-access",
        description=(
            "No pipeline widens a member model: every caller that reaches a member through the router reaches it "
            "directly too (a public jwt pipeline may front internal models); no member is a public jwt model."
        ),
        enforcement="mandatory",
        area="pipelines",
        applies_to=(IG, "InferenceService", "AuthorizationPolicy", "NetworkPolicy"),
        check_stack=_member_access,
        unknown=_unknown,
    ),
]
