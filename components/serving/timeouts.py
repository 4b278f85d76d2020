"""The timeout chain of a model's request against its cold-start budget, read from the rendered InferenceService.

A request that reaches a model at zero replicas waits for the pod (GPU node boot, image pull, model load) on every
hop before it gets an answer. Each hop and what bounds it (Knative mode):

- ingress / local gateway route: the ``timeout`` of a rendered VirtualService route for the model's hosts, if we
  render one (:func:`gateway_route_timeout`; we render none today). The routes that carry a model's traffic are
  KServe's and net-istio's, which set none: Istio's HTTPRoute ``timeout`` is disabled unless set
  (istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRoute), net-istio knative-v1.21.3 sets
  none (pkg/reconciler/ingress/resources/virtual_service.go ``makeVirtualServiceRoute``: retries only), nor does
  KServe v0.20.0 (pkg/controller/v1beta1/inferenceservice/reconcilers/ingress/ingress_reconciler.go: no
  ``Timeout`` anywhere in the file); Istio 1.30.3 turns the stream idle timeout off on its HTTP listeners
  (pilot/pkg/networking/core/listener_builder.go: ``StreamIdleTimeout = 0``).
- activator: the revision's ``timeoutSeconds`` for the whole request, the wait for a pod included, and its
  ``responseStartTimeoutSeconds`` (cmd/activator/main.go, knative/serving 1.21); KServe sets both from the
  predictor's ``timeout`` (reconcilers/knative/ksvc_reconciler.go, v0.20.0). Without it Knative's defaults apply:
  300 s each (config/core/configmaps/defaults.yaml; pkg/apis/config/defaults.go).
- queue-proxy: the same revision timeouts, once the pod runs.
- Knative's progress deadline (``serving.knative.dev/progress-deadline``): the revision fails if its first pod is not
  ready in time. Without the annotation the revision's Deployment gets the cluster's config-deployment
  ``progress-deadline`` (knative/serving knative-v1.21.3 pkg/reconciler/revision/resources/deploy.go: the annotation,
  when found, overrides ``cfg.Deployment.ProgressDeadline``), which the platform renders in its KnativeServing's
  ``spec.config.deployment`` (the operator copies ``spec.config.<name>`` into ConfigMap ``config-<name>``:
  knative.dev/docs/install/operator/configuring-with-operator), else Knative's default 600 s
  (config/core/configmaps/deployment.yaml ``progress-deadline: "600s"``, pkg/deployment/config.go
  ``ProgressDeadlineDefault``): :func:`progress_deadline`.
- ``pulumi up`` (``pulumi.com/timeoutSeconds``): how long the deploy waits for Ready.
- the load balancer in front of the gateway: a cold start sends no byte on the client's connection, so a load balancer
  that closes an idle connection sooner cuts the request. The policy reads its idle timeout from the gateway
  Service's annotation through each cloud's share (policy/rules/timeouts.py) and gives it here as a
  :class:`LoadBalancerIdle`; a cloud with no such timeout (GKE's passthrough load balancer, an existing cluster)
  gives none.

Only a predictor that can be at zero replicas (``minReplicas: 0``) has the cold start on its request path: KServe
v0.20.0 sets Knative's ``autoscaling.knative.dev/min-scale`` from ``minReplicas``, 1 when it is not given
(pkg/controller/v1alpha1/utils/utils.go ``SetAutoScalingAnnotations``; pkg/constants/constants.go
``DefaultMinReplicas = 1``), and Knative never scales a revision below its min-scale, so with one replica or more a
request finds a running pod. The progress deadline and ``pulumi up``'s wait still cover the cold start whatever the
replicas: the first pod of every revision starts from nothing.

A transformer or explainer with pods of its own is a hop of its own with its own revision timeout (KServe v0.20.0
ksvc_reconciler.go, per component): a request through it waits for its pod when it can be at zero, then for the
predictor's cold start when the predictor can be at zero (its call to ``--predictor_host``), so its ``timeout`` is held
to both (:func:`_component_problems`, :func:`_component_cold`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.platform.knative import MAX_REVISION_TIMEOUT
from components.serving import _runtime

KNATIVE_DEFAULT_TIMEOUT = 300
"""``revision-timeout-seconds`` (and the response-start default): Knative 1.21's defaults.yaml."""


@dataclass(frozen=True)
class LoadBalancerIdle:
    """The idle timeout of the load balancer in front of the gateway, as the rendered gateway Service sets it."""

    seconds: int
    """How long a connection with no byte on it stays open, seconds."""
    longest: int
    """The longest idle timeout the cloud's load balancer allows, seconds."""
    source: str
    """Where it was read (the annotation and its value), for the message."""


def _seconds(value: str) -> int:
    """Whole seconds of a duration: ``90s``, ``1.5s``, ``500ms``, ``18m``, ``1h`` (Go/protobuf duration forms)."""
    for unit, factor in (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        if value.endswith(unit):
            return int(float(value[: -len(unit)]) * factor)
    return int(value)


@dataclass(frozen=True)
class Figures:
    """The figures the chain is held to: the serving code's own (:func:`platform_figures`) when a caller gives none;
    the policy rule gives its own copies (policy/rules/timeouts.py ``figures``), each from its upstream source or the
    platform's documented promise, so that a slip in a constant the platform renders with does not move what the rule
    demands with it (issue #17: rev17h h20, rev17i i30, rev17j j25; fix17k for the rest). A test pins the two equal
    (tests/policy/test_policy_fix17k.py)."""

    cpu_ready: int
    """A CPU server's start from zero (a CPU model's cold-start budget, a CPU transformer's or router's own start)."""
    request_seconds: int
    """What a request may take once a pod answers."""
    max_revision_timeout: int
    """``max-revision-timeout-seconds``: the longest any revision timeout may be, the longest request served."""
    default_progress_deadline: int
    """config-deployment ``progress-deadline`` when the cluster sets none (Knative's default)."""
    default_min_replicas: int
    """A component's or router's min-scale without ``minReplicas`` (KServe's default)."""
    router_write_default: int
    """A router's ``http.Server`` ``WriteTimeout`` without ``routerTimeouts.serverWrite`` (KServe's default)."""
    stable_window: int
    """Knative's ``stable-window`` when neither the revision nor the cluster sets one."""


def platform_figures() -> Figures:
    """The serving code's figures: components/serving/_runtime.py ``CPU_READY_SECONDS``, ``REQUEST_SECONDS``,
    components/platform/knative.py ``MAX_REVISION_TIMEOUT`` and this module's Knative and KServe defaults (read when
    called)."""
    return Figures(
        cpu_ready=_runtime.CPU_READY_SECONDS,
        request_seconds=_runtime.REQUEST_SECONDS,
        max_revision_timeout=int(MAX_REVISION_TIMEOUT),
        default_progress_deadline=KNATIVE_DEFAULT_PROGRESS_DEADLINE,
        default_min_replicas=DEFAULT_MIN_REPLICAS,
        router_write_default=ROUTER_WRITE_DEFAULT,
        stable_window=STABLE_WINDOW_SECONDS,
    )


class Unreadable(ValueError):
    """A field the timeout chain reads has a shape the rendered InferenceService never has (a tampered plan): the
    chain cannot be judged, and :func:`problems` says so in one line rather than raising (rev14e defect 7: ``mlplatform
    check`` exited 70 on ``resources: true``)."""


def _map(value: Any, path: str) -> Mapping[str, Any]:
    """``value`` as a map, ``{}`` when absent; :class:`Unreadable` when it is something else."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Unreadable(f"{path} must be a map")
    return value


def _whole(value: Any, path: str) -> int:
    """``value`` as a whole number (an int, or its decimal text as annotations carry it); :class:`Unreadable` else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().lstrip("-").isdigit():
        return int(value)
    raise Unreadable(f"{path} must be a whole number, not {value!r}")


def _server(predictor: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """:func:`_runtime.server_container` of a predictor, with its shape checked."""
    model = predictor.get("model")
    if model:
        return _map(model, f"{path}.model")
    containers = predictor.get("containers") or [{}]
    if not isinstance(containers, list) or not containers:
        raise Unreadable(f"{path}.containers must be a list")
    return _map(containers[0], f"{path}.containers.0")


def budget(isvc: Mapping[str, Any], figures: Figures | None = None) -> int:
    """The cold-start budget of a rendered InferenceService: a GPU model's estimate from zero GPU nodes, which
    :mod:`_runtime` renders in ``mlplatform.io/cold-start-seconds`` (components/coldstart.py, per cloud, runtime
    image, model size and storage); a CPU model's progress deadline otherwise.

    A GPU model without the annotation was not rendered by us: its budget is unknown, so it is taken as the
    platform's ``max-revision-timeout-seconds`` (the longest any hop may be) rather than a guess. A field of a shape
    the rendered object never has raises :class:`Unreadable`. ``figures``: the caller's (:class:`Figures`; the
    policy rule's own: a slip in :data:`_runtime.CPU_READY_SECONDS` must not move what the rule demands with what the
    platform renders, rev17j j25), :func:`platform_figures` without them."""
    f = figures or platform_figures()
    predictor = _map(_map(isvc.get("spec"), "spec").get("predictor"), "spec.predictor")
    model = _server(predictor, "spec.predictor")
    where = "spec.predictor.model" if predictor.get("model") else "spec.predictor.containers.0"
    limits = _map(_map(model.get("resources"), f"{where}.resources").get("limits"), f"{where}.resources.limits")
    gpus = _whole(limits.get(_runtime.GPU_RESOURCE, 0), f"{where}.resources.limits.{_runtime.GPU_RESOURCE}")
    if gpus == 0:
        return f.cpu_ready
    value = _annotations(isvc).get(_runtime.COLD_START_ANNOTATION)
    if value is None:
        return f.max_revision_timeout
    return _whole(value, f"metadata.annotations.{_runtime.COLD_START_ANNOTATION}")


def _annotations(isvc: Mapping[str, Any]) -> Mapping[str, Any]:
    return _map(_map(isvc.get("metadata"), "metadata").get("annotations"), "metadata.annotations")


KNATIVE_DEFAULT_PROGRESS_DEADLINE = 600
"""config-deployment ``progress-deadline`` when nothing sets it: knative/serving knative-v1.21.3
config/core/configmaps/deployment.yaml (``progress-deadline: "600s"``), pkg/deployment/config.go
``ProgressDeadlineDefault = 600 * time.Second``."""
KNATIVE_SERVING_API = "operator.knative.dev/"
"""The Knative operator's API group: its ``KnativeServing`` carries the cluster's Knative config maps."""

_GO_DURATION = re.compile(r"(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+", re.ASCII)
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def go_duration_seconds(value: object) -> int | None:
    """Whole seconds of a Go duration string as Knative reads config-deployment's ``progress-deadline``
    (``time.ParseDuration`` through ``cm.AsDuration``, knative/serving knative-v1.21.3 pkg/deployment/config.go:
    ``1800s``, ``30m``, ``1h30m``, ``1.5h``; a bare number other than ``0`` is refused), or None when Knative would
    not read it or refuses it (``progress-deadline cannot be a non-positive duration``)."""
    if not isinstance(value, str) or not _GO_DURATION.fullmatch(value):
        return None
    total = sum(float(n) * _GO_UNITS[u] for n, u in re.findall(r"([0-9.]+)([a-z\u00b5\u03bc]+)", value))
    return int(total) if total > 0 else None


def platform_progress_deadline(
    objects: Sequence[Mapping[str, Any]], figures: Figures | None = None
) -> tuple[int | None, str]:
    """The cluster's config-deployment ``progress-deadline`` in seconds, as the rendered KnativeServing sets it
    (the shortest when several do), else Knative's default (:data:`KNATIVE_DEFAULT_PROGRESS_DEADLINE`); with where
    it was read, for messages. None (with the value) when a KnativeServing sets one Knative cannot read.
    ``figures``: whose default (:class:`Figures`, :func:`platform_figures` without them)."""
    found: list[tuple[int | None, str]] = []
    for o in objects:
        if o.get("kind") != "KnativeServing" or not str(o.get("apiVersion", "")).startswith(KNATIVE_SERVING_API):
            continue
        spec = o.get("spec")
        config = spec.get("config") if isinstance(spec, Mapping) else None
        deployment = config.get("deployment") if isinstance(config, Mapping) else None
        if not isinstance(deployment, Mapping) or "progress-deadline" not in deployment:
            continue
        value = deployment["progress-deadline"]
        found_meta = o.get("metadata")
        meta: Mapping[str, Any] = found_meta if isinstance(found_meta, Mapping) else {}
        where = f"KnativeServing {meta.get('namespace')}/{meta.get('name')} config.deployment.progress-deadline"
        where += f" {value!r}"
        found.append((go_duration_seconds(value), where))
    if not found:
        default = (figures or platform_figures()).default_progress_deadline
        return default, "Knative's default config-deployment progress-deadline"
    bad = [f for f in found if f[0] is None]
    return bad[0] if bad else min(found, key=lambda f: int(f[0] or 0))


def progress_deadline(
    isvc: Mapping[str, Any], objects: Sequence[Mapping[str, Any]] = (), figures: Figures | None = None
) -> tuple[int | None, str]:
    """The progress deadline of the predictor's revisions in seconds and where it comes from: the InferenceService's
    ``serving.knative.dev/progress-deadline`` annotation (KServe v0.20.0 puts the component's annotations on the
    Knative Service's revision template: reconcilers/knative/ksvc_reconciler.go), else the cluster's
    (:func:`platform_progress_deadline` over the rendered ``objects``). None when the value is not a duration
    Knative reads."""
    ann = _annotations(isvc)
    if _runtime.PROGRESS_DEADLINE in ann:
        value = ann[_runtime.PROGRESS_DEADLINE]
        # Knative's webhook parses it with time.ParseDuration (pkg/apis/serving/v1/revision_validation.go
        # validateProgressDeadlineAnnotation, knative-v1.21.3); an empty value passes it and deploy.go's
        # ParseDuration error leaves a 0 s deadline: refused here as unreadable.
        return go_duration_seconds(value), f"annotation {_runtime.PROGRESS_DEADLINE} {value!r}"
    seconds, where = platform_progress_deadline(objects, figures)
    return seconds, f"no annotation {_runtime.PROGRESS_DEADLINE}: {where}"


DEFAULT_MIN_REPLICAS = 1
"""KServe v0.20.0 pkg/constants/constants.go ``DefaultMinReplicas``: the min-scale of a component without
``minReplicas``."""


def can_be_at_zero(isvc: Mapping[str, Any], figures: Figures | None = None) -> bool:
    """Whether the predictor of a rendered InferenceService may scale to zero replicas, so that a request can wait
    for its cold start (module docstring): ``minReplicas`` 0, KServe's default being 1."""
    default = (figures or platform_figures()).default_min_replicas
    value = _map(_map(isvc.get("spec"), "spec").get("predictor"), "spec.predictor").get("minReplicas")
    return (_whole(value, "spec.predictor.minReplicas") if value is not None else default) == 0


def _hosts(isvc: Mapping[str, Any]) -> set[str]:
    meta = _map(isvc.get("metadata"), "metadata")
    name, ns = meta.get("name"), meta.get("namespace", "default")
    out = {f"{name}.{ns}.svc.cluster.local", f"{name}-predictor.{ns}.svc.cluster.local"}
    host = _annotations(isvc).get("mlplatform.io/host")
    if host:
        out.add(str(host))
    return out


def _route_limits(objects: Sequence[Mapping[str, Any]], hosts: set[str]) -> list[int]:
    """The route ``timeout`` of every rendered VirtualService for one of ``hosts``; a VirtualService whose fields
    have another shape is not read here (the rules that judge routes read it)."""
    out = []
    for o in objects:
        spec = o.get("spec")
        if o.get("kind") != "VirtualService" or not isinstance(spec, Mapping):
            continue
        given, routes = spec.get("hosts"), spec.get("http")
        if not isinstance(given, list) or not isinstance(routes, list):
            continue
        if not hosts & {h for h in given if isinstance(h, str)}:
            continue
        for route in routes:
            if isinstance(route, Mapping) and route.get("timeout") is not None:
                try:
                    out.append(_seconds(str(route["timeout"])))
                except (ValueError, OverflowError):
                    raise Unreadable(f"a VirtualService route timeout {route['timeout']!r} is not a duration") from None
    return out


def gateway_route_timeout(isvc: Mapping[str, Any], objects: Sequence[Mapping[str, Any]] = ()) -> int | None:
    """The shortest route ``timeout`` (seconds) of a rendered VirtualService for one of the model's hosts (its
    public host, ``<name>``, ``<name>-predictor``), or None when no rendered route bounds it (module docstring)."""
    limits = _route_limits(objects, _hosts(isvc))
    return min(limits) if limits else None


def chain(
    isvc: Mapping[str, Any], objects: Sequence[Mapping[str, Any]] = (), figures: Figures | None = None
) -> dict[str, int | None]:
    """Each hop's limit in seconds (None: unbounded) for a rendered InferenceService in Knative mode, with the
    rendered ``objects`` its routes are read from."""
    ann = _annotations(isvc)
    predictor = _map(_map(isvc.get("spec"), "spec").get("predictor"), "spec.predictor")
    timeout = predictor.get("timeout")
    revision = _whole(timeout, "spec.predictor.timeout") if timeout is not None else KNATIVE_DEFAULT_TIMEOUT
    deadline = ann.get(_runtime.PROGRESS_DEADLINE)
    if deadline is not None:
        try:
            deadline = _seconds(deadline) if isinstance(deadline, str) else None
        except (ValueError, OverflowError):
            deadline = None
        if deadline is None:
            given = ann[_runtime.PROGRESS_DEADLINE]
            raise Unreadable(f"metadata.annotations.{_runtime.PROGRESS_DEADLINE} {given!r} is not a duration")
    wait = ann.get("pulumi.com/timeoutSeconds")
    return {
        "gateway route": gateway_route_timeout(isvc, objects),
        "activator timeoutSeconds": revision,
        "activator responseStartTimeoutSeconds": revision if timeout is not None else KNATIVE_DEFAULT_TIMEOUT,
        "progress deadline": progress_deadline(isvc, objects, figures)[0],
        "pulumi timeoutSeconds": _whole(wait, "metadata.annotations.pulumi.com/timeoutSeconds")
        if wait is not None
        else None,
    }


def problems(
    isvc: Mapping[str, Any],
    objects: Sequence[Mapping[str, Any]] = (),
    load_balancer: LoadBalancerIdle | None = None,
    figures: Figures | None = None,
) -> list[str]:
    """Where the chain of a rendered Knative-mode InferenceService (with the other rendered ``objects`` and the load
    balancer's idle timeout, when the cloud has one) is shorter than the model's cold-start budget. The load balancer
    is held to what the activator is held to (the cold start plus a request, up to max-revision-timeout-seconds);
    where the cloud's longest idle timeout is itself shorter than the cold start, the message says so. The request
    hops and the load balancer only when the predictor can be at zero (:func:`can_be_at_zero`); the progress
    deadline and ``pulumi up``'s wait always, as every revision's first pod starts cold; a hop longer than
    ``max-revision-timeout-seconds`` always (Knative's webhook refuses it). ``figures``: what the chain is held to
    (:class:`Figures`), as :func:`budget` takes them."""
    f = figures or platform_figures()
    request, cap = f.request_seconds, f.max_revision_timeout
    meta = isvc.get("metadata")
    name = f"{meta.get('namespace')}/{meta.get('name')}" if isinstance(meta, Mapping) else "(no metadata)"
    try:
        need = budget(isvc, f)
        cold_on_request = can_be_at_zero(isvc, f)
        hops = chain(isvc, objects, f)
        components = _component_problems(isvc, name, need, cold_on_request, f)
    except Unreadable as e:
        return [f"{name}: {e}: the timeout chain cannot be judged against the cold start"]
    out = []
    for hop in ("gateway route", "activator timeoutSeconds", "activator responseStartTimeoutSeconds"):
        limit = hops[hop]
        if limit is not None and cold_on_request:
            if limit < need + request and limit < cap:
                out.append(f"{name}: {hop} {limit}s < cold start {need}s + request {request}s")
            if limit < need:
                out.append(f"{name}: {hop} {limit}s < cold start {need}s")
        if limit is not None and limit > cap:
            out.append(f"{name}: {hop} {limit}s > max-revision-timeout-seconds {cap}")
    if load_balancer is not None and cold_on_request:
        idle, longest = load_balancer.seconds, load_balancer.longest
        hop = f"load balancer idle timeout {idle}s ({load_balancer.source})"
        if idle < need + request and idle < min(cap, longest):
            out.append(f"{name}: {hop} < cold start {need}s + request {request}s")
        if idle < need:
            most = f": the cloud's load balancer allows at most {longest}s" if longest < need else ""
            out.append(f"{name}: {hop} < cold start {need}s{most}")
    out.extend(components)
    deadline, source = progress_deadline(isvc, objects, f)
    annotated = _runtime.PROGRESS_DEADLINE in _annotations(isvc)
    if deadline is None:
        out.append(f"{name}: progress deadline unreadable ({source}): not a duration Knative reads")
    elif deadline < need:
        out.append(f"{name}: progress deadline {deadline}s{'' if annotated else f' ({source})'} < cold start {need}s")
    pulumi_wait = hops["pulumi timeoutSeconds"]
    # pulumi up waits longer than the revision's own deadline, so Knative's reason is what it reports
    # (components/serving/_runtime.py); a deadline the cluster sets is not the model's to follow, but pulumi's wait
    # still covers the cold start
    if pulumi_wait is not None and annotated and deadline is not None and pulumi_wait < deadline:
        out.append(f"{name}: pulumi timeoutSeconds {pulumi_wait}s < progress deadline {deadline}s")
    elif pulumi_wait is not None and pulumi_wait < need:
        out.append(f"{name}: pulumi timeoutSeconds {pulumi_wait}s < cold start {need}s")
    return out


def _component_problems(
    isvc: Mapping[str, Any], name: str, budget_: int, predictor_at_zero: bool, figures: Figures | None = None
) -> list[str]:
    """A transformer or explainer whose ``timeout`` does not cover what its request may wait for from zero
    (:func:`_component_cold`): its own pod when it can be at zero (rev14e defect 8) and the
    predictor's cold start (``budget_``) when the predictor can be at zero, since the component's request to
    ``--predictor_host`` waits for it. KServe v0.20.0 sets each component's revision ``timeoutSeconds`` and
    ``responseStartTimeoutSeconds`` from its own ``timeout`` (reconcilers/knative/ksvc_reconciler.go) and its
    min-scale from its own ``minReplicas`` (pkg/controller/v1alpha1/utils/utils.go ``SetAutoScalingAnnotations``);
    without a ``timeout`` Knative's 300 s defaults apply, which are judged like a given value. Held like the
    predictor's activator hops: at least the cold start, and the cold start plus a request unless the timeout is
    ``max-revision-timeout-seconds``. ``figures``: the component's own start from zero (a CPU server) and the rest,
    as :func:`budget` takes them."""
    out = []
    f = figures or platform_figures()
    own_start, request, cap = f.cpu_ready, f.request_seconds, f.max_revision_timeout
    spec = _map(isvc.get("spec"), "spec")
    for key in ("transformer", "explainer"):
        component = spec.get(key)
        if component is None:
            continue
        component = _map(component, f"spec.{key}")
        given = component.get("minReplicas")
        replicas = _whole(given, f"spec.{key}.minReplicas") if given is not None else f.default_min_replicas
        cold = _component_cold(replicas == 0, predictor_at_zero, budget_, own_start)
        if cold == 0:
            continue
        timeout = component.get("timeout")
        limit = _whole(timeout, f"spec.{key}.timeout") if timeout is not None else KNATIVE_DEFAULT_TIMEOUT
        parts = ([f"its own {own_start}s"] if replicas == 0 else []) + (
            [f"the predictor's {budget_}s"] if predictor_at_zero else []
        )
        what = f"cold start {cold}s ({' + '.join(parts)})"
        if limit < cold + request and limit < cap:
            out.append(f"{name}: {key} timeout {limit}s < {what} + request {request}s")
        if limit < cold:
            out.append(f"{name}: {key} timeout {limit}s < {what}")
    return out


def _component_cold(own_at_zero: bool, predictor_at_zero: bool, predictor_budget: int, own_start: int) -> int:
    """What a request through a transformer or explainer may wait for from zero: its own start when it can be at
    zero, then the predictor's cold start when the predictor can be at zero (the two add up: Knative scales the
    predictor only when the component's call reaches it). The judge's own sum, deliberately not
    :func:`_runtime.component_cold_start_seconds`, which renders the components' timeouts: sharing it let a slip there
    move the rendered timeout and the demand together (issue #17, fix17k; the review of 9c2eedb had merged them).
    tests/policy/test_policy_fix17k.py holds the two equal."""
    return (own_start if own_at_zero else 0) + (predictor_budget if predictor_at_zero else 0)


ROUTER_WRITE_DEFAULT = 60
"""The router's ``http.Server`` ``WriteTimeout`` without ``routerTimeouts.serverWrite``: KServe v0.20.0
pkg/constants/constants.go ``RouterTimeoutServerWrite`` (cmd/router/main.go ``initTimeouts``)."""


ROOT_NODE = "root"
"""``GraphRootNodeName`` (pkg/apis/serving/v1alpha1/inference_graph.go, KServe v0.20.0): where the router starts."""
Wait = tuple[int, list[tuple[str, int]]]
"""A wait in seconds, with the parts that make it up (what, seconds), in the order a request meets them."""
Member = tuple[str, int, int | None]
"""A step's member model for :func:`graph_wait`: a key, its wait from zero (seconds) and its idle window (seconds it
stays up after its last request, :func:`idle_window`; None when it never goes back to zero)."""

STABLE_WINDOW_SECONDS = 60
"""Knative's ``stable-window`` ``"60s"`` (knative/serving knative-v1.21.3 config/core/configmaps/autoscaler.yaml), the
average the autoscaler scales on: a revision's wanted scale reaches 0 a stable window after its last request. The
platform sets no other (components/platform/knative.py renders only ``scale-to-zero-pod-retention-period`` in
config-autoscaler) and no ``autoscaling.knative.dev/window`` annotation."""
WINDOW = "autoscaling.knative.dev/window"
"""A revision's own stable window (Knative's per-revision annotation of ``stable-window``)."""


def idle_window(delay: int, stable: int, retention: int) -> int:
    """How long a revision stays up after its last request before it is at zero again (knative/serving
    knative-v1.21.3): its wanted scale falls to 0 once the ``stable`` window's average is 0, held ``delay``
    (``scale-down-delay``: the autoscaler keeps the highest wanted scale of that window, config/core/configmaps/
    autoscaler.yaml), and the last pod then stays at least ``retention`` (``scale-to-zero-pod-retention-period``:
    pkg/reconciler/autoscaling/kpa/scaler.go ``handleScaleToZero``, "at least ScaleToZeroPodRetentionPeriod since PA
    became inactive", ``lastPodRetention``)."""
    return delay + stable + retention


def _revisited(window: int | None, idle: int, request: int | None = None) -> bool:
    """Whether a member called again after waiting ``idle`` seconds of cold starts since its last call may be at zero
    again (rev14g defect 7): the request's own time (:data:`_runtime.REQUEST_SECONDS`) may all be spent in the steps
    between, so the longest it may have been idle is ``idle`` plus that; past its :func:`idle_window` it is gone.
    ``request``: the caller's figure for a request (:attr:`Figures.request_seconds`), the platform's without it."""
    spent = _runtime.REQUEST_SECONDS if request is None else request
    return window is not None and idle + spent > window


MAX_GRAPH_DEPTH = 32
"""The most nodes along a chain of ``nodeName`` steps from ``root`` the rule walks; the same bound as the stack's
(components/serving/pipeline_spec.py ``MAX_GRAPH_DEPTH``, where the sources are cited), kept here so that the rule
does not read the stack side's check (rev17f s09)."""
MAX_GRAPH_CALLS = 10_000
"""The most steps one request may run through a graph the rule walks (pipeline_spec.py ``MAX_GRAPH_CALLS``)."""


def _node_edges(nodes: Mapping[str, Any], name: str) -> list[str]:
    """The ``nodeName`` targets of node ``name``'s steps that :func:`graph_wait` follows, as the rendered graph holds
    them."""
    node = nodes.get(name)
    given = node.get("steps") if isinstance(node, Mapping) else None
    steps = [s for s in given if isinstance(s, Mapping)] if isinstance(given, list) else []
    return [n for s in steps if isinstance(n := s.get("nodeName"), str) and n and isinstance(nodes.get(n), Mapping)]


def _graph_shape(nodes: Mapping[str, Any]) -> tuple[list[str] | None, int, int]:
    """A cycle reachable from ``root`` (the node names along it, first repeated last) or None; then, for an acyclic
    graph, the longest chain of nodes from ``root`` and how many steps a walk of every branch visits (each node's
    steps, plus for each ``nodeName`` step its node's count). Iterative and linear in the graph's size."""
    if not isinstance(nodes.get(ROOT_NODE), Mapping):
        return None, 0, 0
    state: dict[str, int] = {ROOT_NODE: 1}
    path, todo = [ROOT_NODE], [iter(_node_edges(nodes, ROOT_NODE))]
    order: list[str] = []  # each node after every node below it
    while todo:
        nxt = next(todo[-1], None)
        if nxt is None:
            todo.pop()
            done = path.pop()
            state[done] = 2
            order.append(done)
        elif state.get(nxt) == 1:
            return [*path[path.index(nxt) :], nxt], 0, 0
        elif nxt not in state:
            state[nxt] = 1
            path.append(nxt)
            todo.append(iter(_node_edges(nodes, nxt)))
    depth: dict[str, int] = {}
    calls: dict[str, int] = {}
    for name in order:
        node = nodes[name]
        given = node.get("steps")
        count = len([s for s in given if isinstance(s, Mapping)]) if isinstance(given, list) else 0
        below = _node_edges(nodes, name)
        depth[name] = 1 + max((depth[n] for n in below), default=0)
        calls[name] = count + sum(calls[n] for n in below)
    return None, depth[ROOT_NODE], calls[ROOT_NODE]


def graph_shape_problem(nodes: Mapping[str, Any]) -> str | None:
    """Why the rule does not walk a rendered graph (a tampered plan: the stack refuses each, pipeline_spec.py
    ``PipelineSpec``), or None: a node that reaches itself through ``nodeName`` steps (the router would recurse until
    it fails), a chain deeper than :data:`MAX_GRAPH_DEPTH`, or more than :data:`MAX_GRAPH_CALLS` steps in a walk."""
    cycle, depth, calls = _graph_shape(nodes)
    if cycle is not None:
        return f"node {cycle[0]} reaches itself through nodeName steps ({' -> '.join(cycle)})"
    if depth > MAX_GRAPH_DEPTH:
        return f"a chain of {depth} nodes from root, more than {MAX_GRAPH_DEPTH}"
    if calls > MAX_GRAPH_CALLS:
        return (
            f"{calls} steps from root, each nodeName step counting its node's steps again, more than {MAX_GRAPH_CALLS}"
        )
    return None


def graph_wait(
    nodes: Mapping[str, Any], member: Callable[[Mapping[str, Any]], Member | None], request: int | None = None
) -> Wait:
    """The longest a request through a router may wait for members starting from zero, walking the graph from
    ``root`` as KServe v0.20.0's router runs it (cmd/router/main.go ``routeStep``): a ``Sequence`` calls its steps one
    after the other, so their waits add up; an ``Ensemble`` calls them at once (a goroutine per step), so it waits for
    the slowest; a ``Splitter`` or ``Switch`` calls one step (``pickupRoute``, ``pickupRouteByCondition``), which may
    be the slowest. A step with ``nodeName`` runs that node (``executeStep``); ``member`` gives a step's member model
    (:data:`Member`) or None (a ``serviceUrl`` outside the stack). A member already started on the way is warm when
    called again, unless the cold starts waited since its last call may have outlasted its idle window
    (:func:`_revisited`, rev14g defect 7): then it waits again. The parallel steps of an Ensemble all start theirs,
    each last called when its branch called it (the latest of the branches); after a Splitter or Switch, whose branch
    is not known here, the members it may have called keep their earlier state. ``nodes`` has the rendered graph's
    shape (``routerType``, ``steps``); a node already on the path (a cycle a tampered plan may hold) adds nothing.

    A node's result is kept per (node, members' state, clock), and per path too when the graph has a cycle (whose
    cut depends on the path): a node several steps name is walked once per state, not once per path (red14h break 1).
    :func:`graph_shape_problem` bounds the graph before :func:`graph_problems` walks it."""
    Started = Mapping[str, int]  # member -> the wait (seconds from the start) at which it was last called
    Walked = tuple[int, list[tuple[str, int]], Started]
    cyclic = _graph_shape(nodes)[0] is not None
    seen: dict[tuple[str, frozenset[tuple[str, int]], int, tuple[str, ...]], Walked] = {}

    def walk(name: str, started: Started, path: tuple[str, ...], clock: int) -> Walked:
        key = (name, frozenset(started.items()), clock, path if cyclic else ())
        if key not in seen:
            seen[key] = walked(name, started, path, clock)
        return seen[key]

    def walked(name: str, started: Started, path: tuple[str, ...], clock: int) -> Walked:
        node = nodes.get(name)
        if not isinstance(node, Mapping) or name in path:
            return 0, [], started
        given = node.get("steps")
        steps = [s for s in given if isinstance(s, Mapping)] if isinstance(given, list) else []
        kind, inner = node.get("routerType"), (*path, name)
        if kind in ("Ensemble", "Splitter", "Switch"):
            branches = [step(s, started, inner, clock) for s in steps]
            if not branches:
                return 0, [], started
            worst = max(branches, key=lambda b: b[0])
            if kind != "Ensemble":
                return worst[0], worst[1], started  # one branch, not known here
            after: dict[str, int] = {}
            for _, _, theirs in branches:
                for key, at in theirs.items():
                    after[key] = max(at, after.get(key, at))
            return worst[0], worst[1], after
        # Sequence (and a type the router refuses: counted in full)
        total, now = 0, started
        parts: list[tuple[str, int]] = []
        for s in steps:
            seconds, more, now = step(s, now, inner, clock + total)
            total, parts = total + seconds, parts + more
        return total, parts, now

    def step(s: Mapping[str, Any], started: Started, path: tuple[str, ...], clock: int) -> Walked:
        node_name = s.get("nodeName")
        if isinstance(node_name, str) and node_name:
            return walk(node_name, started, path, clock)
        found = member(s)
        if found is None:
            return 0, [], started
        key, seconds, window = found
        if key in started and not _revisited(window, clock - started[key], request):
            return 0, [], {**started, key: clock}
        return seconds, [(key, seconds)] if seconds else [], {**started, key: clock + seconds}

    total, parts, _ = walk(ROOT_NODE, {}, (), 0)
    return total, parts


def _step_host(step: Mapping[str, Any]) -> str | None:
    """The host of a step's ``serviceUrl`` (``http://<host>[:port]/...``), lowercased without the port."""
    url = step.get("serviceUrl")
    if isinstance(url, str) and "://" in url:
        return url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0].lower().rstrip(".")
    return None


def _member_wait(isvc: Mapping[str, Any], host: str, figures: Figures | None = None) -> int:
    """What a router's call to ``host`` of ``isvc`` (its transformer's or predictor's Service, or the model's own)
    may wait for from zero: the transformer's :func:`_component_cold` when the call reaches a
    transformer of its own, else the predictor's cold start when it can be at zero."""
    f = figures or platform_figures()
    need, predictor_zero = budget(isvc, f), can_be_at_zero(isvc, f)
    transformer = _map(isvc.get("spec"), "spec").get("transformer")
    if transformer is not None and not host.split(".")[0].endswith("-predictor"):
        given = _map(transformer, "spec.transformer").get("minReplicas")
        replicas = _whole(given, "spec.transformer.minReplicas") if given is not None else f.default_min_replicas
        return _component_cold(replicas == 0, predictor_zero, need, f.cpu_ready)
    return need if predictor_zero else 0


def _autoscaler_config(objects: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """The config-autoscaler durations the rendered KnativeServing sets (``spec.config.autoscaler``, which the
    operator copies into ConfigMap ``config-autoscaler``), in seconds, the shortest when several set one; a value
    Knative would not read is left out (its default then holds)."""
    out: dict[str, int] = {}
    for o in objects:
        if o.get("kind") != "KnativeServing" or not str(o.get("apiVersion", "")).startswith(KNATIVE_SERVING_API):
            continue
        spec = o.get("spec")
        config = spec.get("config") if isinstance(spec, Mapping) else None
        autoscaler = config.get("autoscaler") if isinstance(config, Mapping) else None
        if not isinstance(autoscaler, Mapping):
            continue
        for key in ("scale-down-delay", "stable-window", "scale-to-zero-pod-retention-period"):
            seconds = go_duration_seconds(autoscaler.get(key))
            if seconds is not None:
                out[key] = min(seconds, out.get(key, seconds))
    return out


def _member_window(isvc: Mapping[str, Any], autoscaler: Mapping[str, int], stable_window: int | None = None) -> int:
    """The :func:`idle_window` of a rendered InferenceService's revisions: its annotations
    ``autoscaling.knative.dev/scale-down-delay``, ``window`` and ``scale-to-zero-pod-retention-period`` (KServe
    passes them on to its Knative revisions), else the cluster's config-autoscaler (``autoscaler``,
    :func:`_autoscaler_config`), else Knative's defaults (0s, :data:`STABLE_WINDOW_SECONDS`, 0s: knative-v1.21.3
    config/core/configmaps/autoscaler.yaml). A value Knative would not read counts as 0 (the shortest window)."""
    annotations = _annotations(isvc)

    def seconds(annotation: str, key: str, default: int) -> int:
        if annotation in annotations:
            return go_duration_seconds(annotations[annotation]) or 0
        return autoscaler.get(key, default)

    return idle_window(
        seconds(_runtime.SCALE_DOWN_DELAY, "scale-down-delay", 0),
        seconds(WINDOW, "stable-window", STABLE_WINDOW_SECONDS if stable_window is None else stable_window),
        seconds(_runtime.RETENTION, "scale-to-zero-pod-retention-period", 0),
    )


def graph_problems(
    graph: Mapping[str, Any],
    isvcs: Sequence[Mapping[str, Any]],
    objects: Sequence[Mapping[str, Any]] = (),
    figures: Figures | None = None,
) -> list[str]:
    """Where a Knative-mode InferenceGraph's router cuts a request that waits for pods from zero: its own start when
    ``minReplicas`` is 0 (KServe's default 1: inference_graph.go), then the rendered members' (``isvcs``, matched by
    a step's ``serviceUrl`` host ``<name>[-predictor|-transformer].<ns>[.svc[.cluster.local]]``) starts from zero
    along the slowest path through the graph (:func:`graph_wait`). The router's Knative revision ``timeoutSeconds``
    is the graph's ``timeout`` (KServe v0.20.0 pkg/controller/v1alpha1/inferencegraph/knative_reconciler.go;
    Knative's 300 s without it) and its
    ``http.Server`` ``WriteTimeout`` is ``routerTimeouts.serverWrite`` (:data:`ROUTER_WRITE_DEFAULT` without it):
    both are held to the wait plus a request unless at ``max-revision-timeout-seconds``, and to the wait. A wait that
    with a request exceeds ``max-revision-timeout-seconds`` fails whatever the timeouts (rev14f defect 9): no revision
    timeout may be longer (Knative's webhook), so the request would be cut (components/serving/pipeline.py
    ``wait_problem`` refuses the same chain when the platform renders it). A member called again counts again when it
    may be back at zero (:func:`graph_wait`), by its idle window (:func:`_member_window`), whose cluster defaults are
    read from the rendered KnativeServing among ``objects``. ``figures``: a CPU server's start from zero (the
    router's own, a CPU member's), as :func:`budget` takes it."""
    f = figures or platform_figures()
    meta = graph.get("metadata")
    name = f"{meta.get('namespace')}/{meta.get('name')}" if isinstance(meta, Mapping) else "(no metadata)"
    try:
        spec = _map(graph.get("spec"), "spec")
        given = spec.get("minReplicas")
        router_zero = (_whole(given, "spec.minReplicas") if given is not None else f.default_min_replicas) == 0
        namespace = meta.get("namespace") if isinstance(meta, Mapping) else None
        autoscaler = _autoscaler_config(objects)

        def member(step: Mapping[str, Any]) -> Member | None:
            host = _step_host(step)
            if host is None:
                return None
            labels = host.split(".")
            ns = labels[1] if len(labels) > 1 else namespace
            for isvc in isvcs:
                imeta = _map(isvc.get("metadata"), "metadata")
                iname = imeta.get("name")
                if imeta.get("namespace", "default") == ns and labels[0] in (
                    iname,
                    f"{iname}-predictor",
                    f"{iname}-transformer",
                ):
                    wait = _member_wait(isvc, host, f)
                    return f"{ns}/{iname}", wait, _member_window(isvc, autoscaler, f.stable_window)
            return None

        graph_nodes = _map(spec.get("nodes"), "spec.nodes")
        if why := graph_shape_problem(graph_nodes):
            raise Unreadable(f"spec.nodes: {why}")
        wait, _ = graph_wait(graph_nodes, member, f.request_seconds)
        wait += f.cpu_ready if router_zero else 0
        if wait == 0:
            return []
        timeout = spec.get("timeout")
        limits = _map(spec.get("routerTimeouts"), "spec.routerTimeouts")
        write = limits.get("serverWrite")
        hops = {
            "router timeout": _whole(timeout, "spec.timeout") if timeout is not None else KNATIVE_DEFAULT_TIMEOUT,
            "router serverWrite": _whole(write, "spec.routerTimeouts.serverWrite")
            if write is not None
            else f.router_write_default,
        }
    except Unreadable as e:
        return [f"{name}: {e}: the router's timeouts cannot be judged against the cold starts"]
    out = []
    cap, request = f.max_revision_timeout, f.request_seconds
    if wait + request > cap:
        # rev14f defect 9: the router's revision timeout cannot exceed max-revision-timeout-seconds (Knative's
        # webhook, pkg/apis/serving/v1/revision_validation.go validateTimeoutSeconds), so a timeout at the cap passes
        # the hops below while the members' cold starts leave less than a request's time in it
        out.append(
            f"{name}: cold starts {wait}s + request {request}s > max-revision-timeout-seconds "
            f"{cap}s, the longest the router's timeout may be: keep members warm (minReplicas >= 1) or shorten the "
            "chain"
        )
    for hop, limit in hops.items():
        if limit < wait + request and limit < cap:
            out.append(f"{name}: {hop} {limit}s < cold starts {wait}s + request {request}s")
        if limit < wait:
            out.append(f"{name}: {hop} {limit}s < cold starts {wait}s")
    return out
