"""Pipeline: a KServe InferenceGraph (sequence, switch, ensemble, splitter) over the stack's models, with access.

Children (on the cluster's provider, after ``platform.ready``, named ``<name>-<role>``):

- ``namespace`` + ``mtls``: the namespace and its STRICT mTLS, unless ``createNamespace: false``;
- ``router``: the router's own ServiceAccount (no token automount), whose mesh identity
  ``cluster.local/ns/<namespace>/sa/<name>-router``, is how member models see its calls;
- ``graph``: the InferenceGraph (waits for ``Ready``);
- ``jwt`` + ``authz``: the router pods' RequestAuthentication (public ``jwt`` pipelines) and ALLOW policy;
- ``netpol``: the router pods' NetworkPolicy (the model's, by KServe's ``serving.kserve.io/inferencegraph`` label);
- ``pdb``: a PodDisruptionBudget when ``minReplicas >= 2``.

**What KServe v0.20.0 does with the graph** (kserve/kserve at v0.20.0):

- The controller runs the router as a Knative Service named ``<name>`` in Knative mode, or as a Deployment, a
  Service and an HPA in Standard mode (pkg/controller/v1alpha1/inferencegraph/controller.go ``Reconcile``, by
  ``GetDeploymentMode`` of the ``serving.kserve.io/deploymentMode`` annotation, which we set to the platform's;
  knative_reconciler.go ``createKnativeService``; raw_ig.go). The graph's labels become the Knative Service's (so
  ``networking.knative.dev/visibility: cluster-local`` makes an internal pipeline cluster-local) and, with
  ``serving.kserve.io/inferencegraph: <name>``, the router pods'; the graph's annotations become the revision's
  (autoscaling, ``target-burst-capacity``). In Standard mode no route through the gateway is made, so a public
  pipeline needs Knative mode (:func:`components.serving.pipeline_spec.pipeline_problems`).
- The router container's security context is KServe's own (not privileged, non-root, read-only root filesystem,
  no privilege escalation, every capability dropped) and the pod runs ``serviceAccountName`` with
  ``automountServiceAccountToken: false`` (both reconcilers); the CRD offers no security context field, so that is
  what runs. Its resources are the ``router`` entry of KServe's ``inferenceservice-config`` (100m/100Mi requests,
  1/1Gi limits in the v0.20.0 chart).
- A step with ``serviceName`` would be resolved by the controller to the InferenceService's ``status.address.url``
  plus its predict path (``GetPredictorEndpoint``, pkg/controller/v1beta1/inferenceservice/utils/utils.go). That
  address is ``http://<model>.<namespace>.svc.cluster.local`` (ingress_reconciler.go ``Reconcile``:
  ``getHostPrefix`` is the ISVC name), KServe's ExternalName to knative-local-gateway in Knative mode: the model
  would see the gateway, not the router, and an internal model refuses the gateway. So we render the step as
  ``serviceUrl`` to the predictor host ``http://<model>-predictor.<namespace>.svc.cluster.local`` with the same
  path KServe would add (``/v1/models/<model>:predict``, or ``/v2/models/<model>/infer`` for v2), which the
  router's sidecar routes straight to the model's pods (:func:`components.serving.model_service.cluster_url`). A
  model with a transformer of its own is called at ``http://<model>-transformer.<namespace>.svc.cluster.local`` on
  the transformer's protocol, as KServe's address is the transformer's then (:func:`step_host`, :func:`step_path`);
  the transformer's AuthorizationPolicy admits the model's callers, the router's namespace among them. The
  webhook allows only one of serviceName/serviceUrl/nodeName per step (inference_graph_validation.go
  ``InvalidTargetError``), so the step carries only the URL.
- The router POSTs each step (cmd/router/main.go ``callService``) and forwards only the headers matching
  ``PROPAGATE_HEADERS``, which the default router config leaves unset: the caller's ``Authorization`` is not
  forwarded. So a member model sees the router, not the caller, and a pipeline may not be wider than its members
  (:func:`components.serving.pipeline_spec.member_access_problem`).

**Member models admit the router with nothing new.** The router runs in the members' namespace (serviceName
resolves there), and an internal model's AuthorizationPolicy always admits its own namespace on its inference API
(:func:`components.serving._auth.callers`), which holds the paths the router calls; its NetworkPolicy lets any pod
connect to the serving ports (:mod:`components.serving._netpol`, rule 1). A model with ``allowAnonymous`` admits
everyone. A public ``jwt`` model would refuse the router's token-less calls, so it cannot be a member. The
request-path tests (tests/serving/test_pipeline.py) check this over the rendered objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import coldstart
from components.errors import SpecError
from components.naming import child_name, child_opts, standard_labels, type_token
from components.outputs import PipelineOutputs
from components.platform.handles import PlatformHandles
from components.platform.knative import MAX_REVISION_TIMEOUT
from components.platform.knative import RETENTION as KNATIVE_RETENTION
from components.serving import _auth, _netpol, _runtime, runtimes, timeouts
from components.serving.model_service import (
    ACCESS_ANNOTATION,
    ANONYMOUS_ANNOTATION,
    HOST_ANNOTATION,
    ISTIO_SECURITY,
    KServeResource,
)
from components.serving.namespace import create_namespace
from components.serving.pipeline_spec import PipelineSpec, StepSpec, pipeline_problems
from components.serving.spec import ModelSpec, served_model_name
from components.serving.stack_runtime import RuntimeSpec

IG_API_VERSION = "serving.kserve.io/v1alpha1"
IG_KIND = "InferenceGraph"
IG_TOKEN = f"kubernetes:{IG_API_VERSION}:{IG_KIND}"
IG_LABEL = "serving.kserve.io/inferencegraph"
"""``constants.InferenceGraphLabel`` (pkg/constants/constants.go, v0.20.0): set on the router pods to the graph's
name by both reconcilers."""
ROUTER_ROLE = "router"
READY_SECONDS = 600
"""How long Pulumi waits for the graph's ``Ready`` (the router image pull and start; the members are separate)."""


class InferenceGraph(KServeResource):
    """A KServe ``serving.kserve.io/v1alpha1`` InferenceGraph, with ``status`` as an output."""

    API_VERSION = IG_API_VERSION
    KIND = IG_KIND


@dataclass(frozen=True)
class PipelineArgs:
    """Arguments of :class:`Pipeline`.

    ``platform``: what the platform offers (cluster, domain, deployment mode, monitoring, ready). ``spec``: the graph
    and its access (:class:`components.serving.pipeline_spec.PipelineSpec`). ``models``: the models its steps may
    name with ``serviceName``, by model name (the stack's ``mlplatform:models``); pass the ModelServices in
    ``opts.depends_on`` so the graph is created after them. ``runtimes``: the stack's own serving runtimes by name
    (``mlplatform:runtimes``): KServe may serve a member with one of them, whose image decides its cold start and so
    the router's timeout (rev14f defect 5).
    """

    platform: PlatformHandles
    spec: PipelineSpec
    models: Mapping[str, ModelSpec]
    runtimes: Mapping[str, RuntimeSpec] = field(default_factory=dict)


def check(name: str, args: PipelineArgs) -> None:
    """Raise :class:`SpecError` for what this platform cannot run (the stack config makes the same check), and, in
    Knative mode, for a chain whose cold starts leave no time for a request (:func:`wait_problem`)."""
    for path, value, accepted in pipeline_problems(name, args.spec, args.models, args.platform.deployment_mode):
        raise SpecError(path or "name", value, accepted)
    if args.platform.deployment_mode == "Knative":
        cluster = args.platform.cluster
        facts = coldstart.cluster_facts(cluster.cloud, cluster.gpu)
        problem = wait_problem(request_waits(args.spec, args.models, facts, args.runtimes), args.spec.nodes)
        if problem is not None:
            raise SpecError(*problem)


def router_service_account(name: str) -> str:
    """The router's ServiceAccount: ``<name>-router``."""
    return child_name(name, ROUTER_ROLE)


def router_principal(name: str, spec: PipelineSpec) -> str:
    """The router's mesh identity."""
    return _auth.principal(spec.namespace, router_service_account(name))


def step_path(model_name: str, model: ModelSpec) -> str:
    """The path the router calls on a member model: KServe's ``PredictPath`` for the model's protocol
    (pkg/constants/constants.go: ``/v1/models/<name>:predict`` or ``/v2/models/<name>/infer``); a model without v2
    (openai, v1) is called on v1, as ``GetPredictorEndpoint`` does for a predictor without ``protocolVersion``. The
    name in the path is the one the model is served under (its ``--model_name``: ``served_model_name``).

    A model with a transformer is called on the transformer's protocol: ``GetPredictorEndpoint`` takes the path
    from ``Spec.Transformer``'s protocol when there is a transformer (its ``PROTOCOL``, v1 by default:
    transformer_custom.go ``GetProtocol``), and from a collocated ``transformer-container``'s ``PROTOCOL`` otherwise
    (predictor_custom.go ``GetProtocol``); the name is the transformer's ``--model_name`` when its args give one
    (utils.go ``GetModelName``)."""
    served = served_model_name(model_name, model)
    protocol = model.effective_protocol
    if model.transformer is not None:
        protocol = model.transformer.protocol
        served = runtimes.served_name(model.transformer.args, served)
    if protocol == "v2":
        return f"/v2/models/{served}/infer"
    return f"/v1/models/{served}:predict"


def step_host(model_name: str, model: ModelSpec) -> str:
    """The component a ``serviceName`` step calls: the transformer when the model has one of its own (KServe's
    ``GetPredictorEndpoint`` resolves ``serviceName`` to the InferenceService's address, which is the transformer's
    when there is one: pkg/controller/v1alpha1/inferencegraph/controller.go -> pkg/controller/v1beta1/
    inferenceservice/utils/utils.go, v0.20.0), else the predictor (a collocated transformer runs in its pods)."""
    separate = model.transformer is not None and not model.transformer.collocated
    component = "transformer" if separate else "predictor"
    return f"{model_name}-{component}.{model.namespace}.svc.cluster.local"


def step_url(model_name: str, model: ModelSpec) -> str:
    """The ``serviceUrl`` a ``serviceName`` step becomes (module docstring): the host of the component KServe would
    call (:func:`step_host`) and the predict path."""
    return f"http://{step_host(model_name, model)}{step_path(model_name, model)}"


def _step(step: StepSpec, models: Mapping[str, ModelSpec]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if step.service_name is not None:
        out["serviceUrl"] = step_url(step.service_name, models[step.service_name])
    elif step.node_name is not None:
        out["nodeName"] = step.node_name
    elif step.service_url is not None:
        out["serviceUrl"] = step.service_url
    for key, value in (
        ("name", step.name),
        ("weight", step.weight),
        ("condition", step.condition),
        ("data", step.data),
        ("dependency", step.dependency),
        ("mapPredictionsToInstances", step.map_predictions_to_instances),
    ):
        if value is not None:
            out[key] = value
    return out


def request_waits(
    spec: PipelineSpec,
    models: Mapping[str, ModelSpec],
    cluster: coldstart.ClusterFacts,
    stack_runtimes: Mapping[str, RuntimeSpec] | None = None,
) -> list[tuple[str, int]]:
    """What a request through the router may wait for from zero (Knative mode), part by part, as (what, seconds):
    the router's own start when it can be at zero (a CPU server, :data:`_runtime.CPU_READY_SECONDS`), then the member
    models' cold starts along the slowest path through the graph (:func:`_slowest_path`: a
    Sequence calls its steps one after the other, KServe v0.20.0 cmd/router/main.go ``routeStep``, and Knative scales
    a member only when the router's call reaches it, so their waits add up; an Ensemble waits for the slowest step; a
    Splitter or Switch calls one). A member that can be at zero waits its cold start at the slow end
    (:func:`_runtime.cold_start_budget_seconds` with the stack's runtimes of its namespace, ``stack_runtimes``, as the
    model's own ``timeout`` does: rev14f defect 5); a model whose transformer can be at zero, the transformer's start
    (:func:`_runtime.component_cold_start_seconds`). A member called again waits again when it may be back at zero
    by then (:func:`_idle_window`; rev14g defect 7). A ``serviceUrl`` outside the stack is not known here. Parts of
    0 s are left out."""

    def member(step: Mapping[str, Any]) -> timeouts.Member | None:
        name = step.get("serviceName")
        if not isinstance(name, str) or name not in models:
            return None
        model = models[name]
        stack = coldstart.stack_runtimes(stack_runtimes, model.namespace)
        budget = _runtime.cold_start_budget_seconds(model, cluster, stack)
        transformer = model.transformer if model.transformer is not None and not model.transformer.collocated else None
        if transformer is not None:
            wait = _runtime.component_cold_start_seconds(
                transformer.scaling.min_replicas, model.scaling.min_replicas, budget
            )
        else:
            wait = budget if model.scaling.min_replicas == 0 else 0
        return f"model {name}", wait, _idle_window(model, cluster, stack)

    _, parts = _slowest_path(spec, lambda s: member({"serviceName": s.service_name}) if s.service_name else None)
    router = [("the router", _runtime.CPU_READY_SECONDS)] if spec.scaling.min_replicas == 0 else []
    return router + parts


def _idle_window(model: ModelSpec, cluster: coldstart.ClusterFacts, stack: _runtime.Stack) -> int:
    """How long ``model``'s revisions stay up after its last request (:func:`timeouts.idle_window`), from what the
    platform renders: its ``scaling.scaleDownDelay`` (``autoscaling.knative.dev/scale-down-delay``), Knative's
    stable window (:data:`timeouts.STABLE_WINDOW_SECONDS`; none rendered), and its last pod's retention, the model's
    cold start when it can be at zero on a GPU (``scale-to-zero-pod-retention-period``, components/serving/
    _runtime.py ``isvc_annotations``), else the cluster's (components/platform/knative.py :data:`RETENTION`)."""
    delay = timeouts.go_duration_seconds(model.scaling.scale_down_delay) or 0
    deadline = _runtime.cold_start_seconds(model, cluster, stack)
    own = deadline is not None and model.scaling.min_replicas == 0
    retention = deadline if own and deadline is not None else timeouts.go_duration_seconds(KNATIVE_RETENTION) or 0
    return timeouts.idle_window(delay, timeouts.STABLE_WINDOW_SECONDS, retention)


Started = Mapping[str, int]
"""Members started on the way, each with the wait (seconds from the start) at which it was last called."""
Parts = tuple[int, list[tuple[str, int]], Started]


def _slowest_path(
    spec: PipelineSpec, member: Callable[[StepSpec], timeouts.Member | None]
) -> tuple[int, list[tuple[str, int]]]:
    """The rendering's own walk of the typed graph for :func:`request_waits` (KServe v0.20.0 cmd/router/main.go
    ``routeStep``: a Sequence's steps add up, an Ensemble waits for its slowest, a Splitter or Switch calls one; a
    member started earlier on the path is warm unless the cold starts waited since its last call, plus the request's
    own :data:`_runtime.REQUEST_SECONDS`, outlast its idle window, rev14g defect 7). Kept apart from
    :func:`components.serving.timeouts.graph_wait`, the walk ``timeouts-cover-cold-start`` judges the rendered graph
    with, on purpose: a slip in one is then caught by the other (rev17f s09), as the rules re-derive what they judge
    instead of reading the rendering's arithmetic.

    A node's result depends only on the members' state and the clock it is reached with (the graph has no cycle,
    :class:`PipelineSpec`), so it is kept per (node, state, clock): a node that several steps name is walked once per
    state, not once per path (red14h break 1: a chain of nodes each naming the next twice took 2^n walks).
    :class:`PipelineSpec` bounds the graph's depth and size before this runs (``MAX_GRAPH_DEPTH``,
    ``MAX_GRAPH_CALLS``)."""
    seen: dict[tuple[str, frozenset[tuple[str, int]], int], Parts] = {}

    def walk(name: str, started: Started, path: tuple[str, ...], clock: int) -> Parts:
        key = (name, frozenset(started.items()), clock)
        if key not in seen:
            seen[key] = walked(name, started, path, clock)
        return seen[key]

    def walked(name: str, started: Started, path: tuple[str, ...], clock: int) -> Parts:
        node = spec.nodes.get(name)
        if node is None or name in path:
            return 0, [], started
        inner = (*path, name)
        if node.router_type == "Sequence":
            total, now = 0, started
            parts: list[tuple[str, int]] = []
            for s in node.steps:
                seconds, more, now = step(s, now, inner, clock + total)
                total, parts = total + seconds, parts + more
            return total, parts, now
        branches = [step(s, started, inner, clock) for s in node.steps]
        if not branches:
            return 0, [], started
        slowest = max(branches, key=lambda b: b[0])
        if node.router_type != "Ensemble":
            return slowest[0], slowest[1], started
        latest = {key: max(b[2].get(key, -1) for b in branches) for b in branches for key in b[2]}
        return slowest[0], slowest[1], latest

    def step(s: StepSpec, started: Started, path: tuple[str, ...], clock: int) -> Parts:
        if s.node_name:
            return walk(s.node_name, started, path, clock)
        found = member(s)
        if found is None:
            return 0, [], started
        key, seconds, window = found
        idle = clock - started[key] if key in started else None
        if idle is not None and (window is None or idle + _runtime.REQUEST_SECONDS <= window):
            return 0, [], {**started, key: clock}  # still up from its last call
        return seconds, [(key, seconds)] if seconds else [], {**started, key: clock + seconds}

    total, parts, _ = walk(timeouts.ROOT_NODE, {}, (), 0)
    return total, parts


def request_wait_seconds(
    spec: PipelineSpec,
    models: Mapping[str, ModelSpec],
    cluster: coldstart.ClusterFacts,
    stack_runtimes: Mapping[str, RuntimeSpec] | None = None,
) -> int:
    """How long a request through the router may wait for pods from zero (Knative mode): the sum of
    :func:`request_waits`; 0 when nothing can be at zero."""
    return sum(seconds for _, seconds in request_waits(spec, models, cluster, stack_runtimes))


def wait_problem(waits: list[tuple[str, int]], nodes: object = None) -> tuple[str, object, str] | None:
    """Why a router whose request may wait ``waits`` (:func:`request_waits`) through the graph's ``nodes`` (the value
    the line shows) cannot answer it (rev14f defect 9): the
    waits plus a request (:data:`_runtime.REQUEST_SECONDS`) exceed the longest timeout the router can have, the
    platform's ``max-revision-timeout-seconds`` (components/platform/knative.py :data:`MAX_REVISION_TIMEOUT`, 1800 s):
    KServe v0.20.0 makes the graph's ``timeout`` the router's Knative revision ``timeoutSeconds``
    (pkg/controller/v1alpha1/inferencegraph/knative_reconciler.go), which Knative's webhook refuses above
    ``max-revision-timeout-seconds`` (knative/serving knative-v1.21.3 pkg/apis/serving/v1/revision_validation.go
    ``validateTimeoutSeconds``), and the activator cuts the whole request, the waits included, at it
    (cmd/activator/main.go). The load balancer in front of the gateway is given the same idle timeout
    (:data:`components.platform.istio.LONGEST_REQUEST_SECONDS`), within what each cloud's allows (the Classic ELB
    3600 s, policy/clouds/aws.py ``CLASSIC_ELB_IDLE``; the Azure Load Balancer 100 min, policy/clouds/azure.py
    ``AZURE_LB_IDLE``; GKE's passthrough load balancer closes no idle connection), so Knative's cap is the one. The
    platform renders the router's timeout at that cap (:func:`graph_spec`), which would leave less than a request's
    time after the cold starts: refused here, as ``timeouts-cover-cold-start`` fails such a graph
    (components/serving/timeouts.py ``graph_problems``)."""
    wait = sum(seconds for _, seconds in waits)
    cap = int(MAX_REVISION_TIMEOUT)
    if wait + _runtime.REQUEST_SECONDS <= cap:
        return None
    parts = " + ".join(f"{what} {seconds} s" for what, seconds in waits)
    zero = [what.removeprefix("model ") for what, _ in waits if what.startswith("model ")]
    return (
        "nodes",
        nodes,
        f"a request through the router may wait {wait} s for pods from zero ({parts}); with the request itself "
        f"({_runtime.REQUEST_SECONDS} s) that is {wait + _runtime.REQUEST_SECONDS} s, more than the router's timeout "
        f"may be (Knative's max-revision-timeout-seconds, {cap} s): keep members warm (scaling.minReplicas >= 1 on "
        f"{', '.join(zero) or 'the router'}) or shorten the chain",
    )


def graph_spec(
    name: str,
    spec: PipelineSpec,
    models: Mapping[str, ModelSpec],
    wait_seconds: int = 0,
    deployment_mode: str = "Knative",
) -> dict[str, Any]:
    """The InferenceGraph's ``spec``; with ``wait_seconds`` (:func:`request_wait_seconds`, Knative mode) the router's
    ``timeout`` and ``routerTimeouts.serverWrite`` cover it plus a request, at most ``max-revision-timeout-seconds``.

    KServe v0.20.0 sets the router's Knative revision ``timeoutSeconds`` from the graph's ``timeout``
    (pkg/controller/v1alpha1/inferencegraph/knative_reconciler.go ``TimeoutSeconds: graph.Spec.TimeoutSeconds``;
    Knative's 300 s without it), and the router's ``http.Server`` ``WriteTimeout`` from ``routerTimeouts.serverWrite``,
    60 s without it (cmd/router/main.go ``initTimeouts``, pkg/constants/constants.go ``RouterTimeoutServerWrite``):
    a step to a model at zero would have its answer cut after 60 s while the model starts.

    In Standard mode KServe reads no graph ``timeout`` (the raw reconciler makes a Deployment, a Service and an HPA:
    pkg/controller/v1alpha1/inferencegraph/raw_ig.go ``handleInferenceGraphRawDeployment``; no HTTPRoute), but the
    router still stops writing after ``serverWrite``, 60 s by default, which would cut a member's answer that its
    own ``timeout`` allows (rev14h defect 1, a long LLM generation): ``serverWrite`` is rendered at the platform's
    longest request, ``max-revision-timeout-seconds`` (1800 s), the bound of every member's ``timeout``."""
    out: dict[str, Any] = {
        "nodes": {
            node_name: {"routerType": node.router_type, "steps": [_step(s, models) for s in node.steps]}
            for node_name, node in spec.nodes.items()
        },
        "serviceAccountName": router_service_account(name),
        "minReplicas": spec.scaling.min_replicas,
        "maxReplicas": spec.scaling.max_replicas,
    }
    if deployment_mode == "Standard":
        out["routerTimeouts"] = {"serverWrite": int(MAX_REVISION_TIMEOUT)}
        return out
    timeout = _runtime.component_timeout_seconds(wait_seconds)
    if timeout is not None:
        out["timeout"] = timeout
        out["routerTimeouts"] = {"serverWrite": timeout}
    return out


def members(spec: PipelineSpec) -> list[str]:
    """The models the pipeline's steps name, sorted."""
    return sorted({s.service_name for n in spec.nodes.values() for s in n.steps if s.service_name is not None})


def public_host(name: str, spec: PipelineSpec, platform: PlatformHandles) -> str:
    """The public host: Knative's route for the router's Knative Service, ``<name>-<namespace>.<domain>`` (the
    platform's domain template, the same as models')."""
    return platform.host(name, spec.namespace)


def cluster_url(name: str, spec: PipelineSpec) -> str:
    """The in-cluster URL: the router's Service ``<name>`` (Knative's cluster-local host of the Knative Service, or
    the Standard mode's Service)."""
    return f"http://{name}.{spec.namespace}.svc.cluster.local"


def graph_annotations(spec: PipelineSpec, platform: PlatformHandles) -> dict[str, str]:
    """The graph's annotations: Pulumi readiness, the deployment mode, access (for the policy pack and the plan) and,
    for an internal pipeline in Knative mode, ``target-burst-capacity: "0"`` (as for internal models,
    :func:`components.serving._runtime.isvc_annotations`: the activator leaves the path while pods exist, so the
    router's sidecar sees the caller)."""
    mode = platform.deployment_mode
    out = {
        "pulumi.com/waitFor": "condition=Ready",
        "pulumi.com/timeoutSeconds": str(READY_SECONDS),
        _runtime.DEPLOYMENT_MODE: mode,
        ACCESS_ANNOTATION: spec.access.mode,
    }
    if spec.access.mode == "public" and spec.access.allow_anonymous:
        out[ANONYMOUS_ANNOTATION] = "true"
    if mode == "Standard":
        out[_runtime.KSERVE_AUTOSCALER_CLASS] = "hpa"
    elif spec.access.mode == "internal":
        out[_runtime.TARGET_BURST_CAPACITY] = "0"
    return out


def graph_labels(spec: PipelineSpec, base: Mapping[str, str], deployment_mode: str) -> dict[str, str]:
    """The graph's labels: ours, and cluster-local visibility for an internal pipeline (Knative reads it on the
    Knative Service the labels are copied to)."""
    out = dict(base)
    if spec.access.mode == "internal":
        out[_runtime.visibility_label(deployment_mode)] = _runtime.CLUSTER_LOCAL
    return out


def selector(name: str) -> dict[str, Any]:
    """The router pods."""
    return {"matchLabels": {IG_LABEL: name}}


def request_authentication(name: str, spec: PipelineSpec) -> dict[str, Any] | None:
    """The router pods' RequestAuthentication (public ``jwt`` pipelines), or None."""
    return _auth.jwt_authentication(spec.access, selector(name))


def authorization_policy(name: str, spec: PipelineSpec, deployment_mode: str) -> dict[str, Any]:
    """The router pods' ALLOW policy: callers (a token's principal, everyone, or the allowed namespaces and its own)
    may ``POST`` on the serving ports, the only method the graph is called with (the router runs the graph for any
    path: cmd/router/main.go registers ``graphHandler`` on ``/``); in Knative mode also Knative's probes and the
    autoscaler (:func:`components.serving._auth.knative_rules`)."""
    access = spec.access
    ports = _auth.serving_ports(deployment_mode)
    to = [{"operation": {"ports": ports, "methods": ["POST"]}}]
    rule: dict[str, Any]
    if access.mode == "public" and access.allow_anonymous:
        rule = {"to": to}
    elif access.mode == "public":
        rule = {"from": [{"source": {"requestPrincipals": ["*"]}}], "to": to}
    else:
        namespaces = sorted({*access.allowed_namespaces, spec.namespace})
        rule = {"from": [{"source": {"namespaces": namespaces}}], "to": to}
    rules = [rule]
    if deployment_mode == "Knative":
        rules.extend(_auth.knative_rules(ports))
    return {"selector": selector(name), "action": "ALLOW", "rules": rules}


class Pipeline(pulumi.ComponentResource):
    """Serve a KServe InferenceGraph over the stack's models, with a model's access modes.

    Outputs: ``url`` (public URL, or the in-cluster URL for internal pipelines), ``internal_url``,
    ``service_account`` (the router's ServiceAccount).
    """

    url: pulumi.Output[str]
    internal_url: pulumi.Output[str]
    service_account: pulumi.Output[str]

    def __init__(self, name: str, args: PipelineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check(name, args)
        super().__init__(type_token("Pipeline"), name, None, opts)
        spec, platform = args.spec, args.platform
        cluster, ns, mode = platform.cluster, spec.namespace, platform.deployment_mode
        labels = standard_labels("pipeline", name, name=name)
        deps: list[pulumi.Resource] = list(platform.ready)
        if spec.create_namespace:
            deps.extend(create_namespace(name, ns, platform, self))

        def opts_(*extra: pulumi.Resource) -> pulumi.ResourceOptions:
            return child_opts(self, depends_on=[*deps, *extra], provider=cluster.provider)

        def meta(role: str) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=child_name(name, role), namespace=ns, labels=labels)

        sa_name = router_service_account(name)
        sa = k8s.core.v1.ServiceAccount(
            sa_name, metadata=meta(ROUTER_ROLE), automount_service_account_token=False, opts=opts_()
        )
        host = public_host(name, spec, platform) if spec.access.mode == "public" else None
        internal = cluster_url(name, spec)
        annotations = graph_annotations(spec, platform)
        annotations[HOST_ANNOTATION] = host or internal.removeprefix("http://")
        self.inference_graph = InferenceGraph(
            child_name(name, "graph"),
            metadata={
                "name": name,
                "namespace": ns,
                "labels": graph_labels(spec, labels, mode),
                "annotations": annotations,
            },
            spec=graph_spec(
                name,
                spec,
                args.models,
                request_wait_seconds(
                    spec, args.models, coldstart.cluster_facts(cluster.cloud, cluster.gpu), args.runtimes
                )
                if mode == "Knative"
                else 0,
                mode,
            ),
            opts=opts_(sa),
        )
        jwt = request_authentication(name, spec)
        if jwt is not None:
            k8s.apiextensions.CustomResource(
                child_name(name, "jwt"),
                api_version=ISTIO_SECURITY,
                kind="RequestAuthentication",
                metadata=meta("jwt"),
                spec=jwt,
                opts=opts_(),
            )
        k8s.apiextensions.CustomResource(
            child_name(name, "authz"),
            api_version=ISTIO_SECURITY,
            kind="AuthorizationPolicy",
            metadata=meta("authz"),
            spec=authorization_policy(name, spec, mode),
            opts=opts_(),
        )
        k8s.networking.v1.NetworkPolicy(
            child_name(name, "netpol"),
            metadata=meta("netpol"),
            spec=_netpol.network_policy_args(
                _netpol.network_policy(
                    name, mode, platform.monitoring_namespace if platform.monitoring else None, label=IG_LABEL
                )
            ),
            opts=opts_(),
        )
        if spec.scaling.min_replicas >= 2:
            k8s.policy.v1.PodDisruptionBudget(
                child_name(name, "pdb"),
                metadata=meta("pdb"),
                spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                    max_unavailable=1, selector=k8s.meta.v1.LabelSelectorArgs(match_labels={IG_LABEL: name})
                ),
                opts=opts_(),
            )
        self.internal_url = pulumi.Output.from_input(internal)
        self.url = pulumi.Output.from_input(f"https://{host}" if host else internal)
        self.service_account = sa.metadata.apply(lambda _: sa_name)
        outputs: PipelineOutputs = {
            "url": self.url,
            "internalUrl": self.internal_url,
            "serviceAccount": self.service_account,
        }
        self.register_outputs(dict(outputs))
