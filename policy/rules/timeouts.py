"""The request timeouts of a model at zero replicas cover its cold start (components/serving/timeouts.py).

A request that reaches a Knative-mode model at zero replicas waits on every hop for the pod: the activator holds it for
the revision's ``timeoutSeconds`` and ``responseStartTimeoutSeconds`` (knative/serving 1.21 cmd/activator/main.go),
which KServe v0.20.0 sets from the predictor's ``timeout``
(pkg/controller/v1beta1/inferenceservice/reconcilers/knative/ksvc_reconciler.go); Knative's webhook refuses a timeout
above ``max-revision-timeout-seconds`` (pkg/apis/serving/v1/revision_validation.go ``validateTimeoutSeconds``), which
the platform sets to 1800 s (components/platform/knative.py ``MAX_REVISION_TIMEOUT``), as it sets each cloud's load
balancer idle timeout (components/platform/istio.py ``LONGEST_REQUEST_SECONDS``); the revision fails if its first pod is
not ready within ``serving.knative.dev/progress-deadline``, or without it the cluster's config-deployment
``progress-deadline`` (the rendered KnativeServing's ``spec.config.deployment``, else Knative's default 600 s:
components/serving/timeouts.py ``progress_deadline``; rev17e r03 made the rule accept an unset annotation and no test
failed). The predictor's ``timeout`` is the cold-start estimate plus a request, capped at that maximum
(components/serving/_runtime.py ``request_timeout_seconds``), so a model whose cold start
(``mlplatform.io/cold-start-seconds``, the estimate at the slow end of every step) is longer than the cap cannot be
answered from zero: the rule fails the plan (and ``mlplatform check``) instead of letting the cap pass in silence.

The load balancer in front of the gateway is a hop too: a cold start sends no byte on the client's connection, so a
load balancer that closes an idle connection sooner cuts it. How a cloud's load balancer reads its idle timeout from
the gateway Service (the annotation, its unit, the default without it, the longest allowed) is that cloud's share of
this rule (:class:`IdleTimeout`, policy/clouds/<cloud>.py), read from the cluster resource; the rule
reads the annotation from the rendered gateway release's values (the istio gateway chart's ``service.annotations``),
not from the platform's constant (components/platform/istio.py ``LONGEST_REQUEST_SECONDS``: rev17c p10 lowered it to
300 s and the plan passed).

A transformer or explainer in front of the predictor, and a pipeline's router in front of its member models, hold the
request while what is behind them starts from zero, under their own timeouts (KServe v0.20.0 ksvc_reconciler.go per
component; the router's graph ``timeout`` and its ``http.Server`` ``WriteTimeout``, 60 s without
``routerTimeouts.serverWrite``: cmd/router/main.go): components/serving/timeouts.py ``_component_problems`` and
``graph_problems`` hold them to the same. A router whose members' cold starts, added up as a Sequence calls them,
plus a request exceed ``max-revision-timeout-seconds`` fails whatever its timeouts (rev14f defect 9: at the cap the
hops passed while the cold starts left 48 s of 1800 s for three requests); the platform refuses such a pipeline when
it renders the timeout (components/serving/pipeline.py ``wait_problem``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from policy.rules import percloud
from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_map, is_k8s, reading, unknown_path, who

if TYPE_CHECKING:
    from components.serving.timeouts import Figures

ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
DEPLOYMENT_MODE = "serving.kserve.io/deploymentMode"
"""KServe's deployment-mode annotation (components/serving/_runtime.py ``DEPLOYMENT_MODE``): only Knative mode has
the activator's hold and the progress deadline."""


def _has_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    return False


def _object(res: Resource) -> dict[str, Any]:
    """A Kubernetes resource as its rendered object (``kind`` from the resource type, the rest from its inputs)."""
    return {**res.props, "kind": res.type.rsplit(":", 1)[-1]}


KNATIVE_REVISION_TIMEOUT = 300
"""Knative's default revision timeout, seconds: ``revision-timeout-seconds: "300"`` ("the default number of seconds to
use for the revision's per-request timeout, if none is specified"), and ``revision-response-start-timeout-seconds``
"defaults to 'revision-timeout-seconds'" (knative/serving knative-v1.21.0 config/core/configmaps/defaults.yaml lines
43-62; the platform's Knative serving is 1.21, components/versions.py). Kept here, not read from
components/serving/timeouts.py: a slip in the serving module's constant must not move the rule with it (rev17i i30,
as rev17c p10 for the load balancer)."""
CPU_READY_SECONDS = 600
"""What the rule demands of a CPU server's start from zero (a CPU model's cold-start budget, a CPU transformer's or
router's own start): Knative's default progress deadline, ``progress-deadline: "600s"`` (knative/serving
knative-v1.21.3 config/core/configmaps/deployment.yaml line 53; pkg/deployment/config.go ``ProgressDeadlineDefault =
600 * time.Second``), the deadline the platform renders for a CPU model (components/serving/_runtime.py
``CPU_READY_SECONDS``). The rule's own copy, passed to components/serving/timeouts.py: taking the serving module's
constant let a slip there (rev17j j25: ``CPU_READY_SECONDS = 10``, a 10 s progress deadline) set both the rendered
deadline and what the rule demands, so the plan passed (as rev17i i30, rev17h h15/h20)."""
_COMPONENTS = ("predictor", "transformer", "explainer")
ROUTER_WRITE_DEFAULT_SECONDS = 60
"""A pipeline router's ``http.Server`` ``WriteTimeout`` without ``routerTimeouts.serverWrite``: KServe v0.20.0
pkg/constants/constants.go ``RouterTimeoutServerWrite = 60`` (cmd/router/main.go ``initTimeouts``, ``WriteTimeout:
... ServerWrite``). The rule's own copy (rev17i i28, i30)."""
LONGEST_REQUEST_SECONDS = 1800
"""The longest request the platform serves: every model's ``timeout`` is at most its max-revision-timeout, 1800 s
(docs/configuration.md ``models.<name>.timeout``; components/platform/knative.py, components/platform/istio.py). In
Standard mode a pipeline's router must keep writing that long, or it cuts an answer its member's timeout allows
(rev14h defect 1; rev17i i28: ``serverRead`` rendered instead of ``serverWrite`` left the 60 s default)."""
REQUEST_SECONDS = KNATIVE_REVISION_TIMEOUT
"""What a request may take once a pod answers, on top of a cold start: Knative's default revision timeout, 300 s
(:data:`KNATIVE_REVISION_TIMEOUT`), the figure the platform adds to each cold start for a model's ``timeout``
(docs/configuration.md ``models.<name>.timeout``). The rule's own: it took components/serving/_runtime.py
``REQUEST_SECONDS`` (through components/serving/timeouts.py), so ``REQUEST_SECONDS = 30`` there rendered every
model's timeout as its cold start plus 30 s and set the rule's demand to the same (fix17k)."""
KNATIVE_PROGRESS_DEADLINE_DEFAULT = CPU_READY_SECONDS
"""config-deployment ``progress-deadline`` when the cluster sets none: 600 s (the source of
:data:`CPU_READY_SECONDS`). The rule's own, not components/serving/timeouts.py ``KNATIVE_DEFAULT_PROGRESS_DEADLINE``."""
KSERVE_DEFAULT_MIN_REPLICAS = 1
"""A component's or a graph's min-scale without ``minReplicas``: KServe v0.20.0 pkg/constants/constants.go
``DefaultMinReplicas = 1`` (as policy/rules/pipeline.py ``DEFAULT_MIN_REPLICAS``)."""
KNATIVE_STABLE_WINDOW_SECONDS = 60
"""Knative's ``stable-window`` default, ``"60s"`` (knative/serving knative-v1.21.3 config/core/configmaps/
autoscaler.yaml), when neither a revision nor the cluster sets one: how long a member stays up after its last request
before it may be at zero again. The rule's own, not components/serving/timeouts.py ``STABLE_WINDOW_SECONDS``, which
components/serving/pipeline.py also renders a router's timeout with."""


def figures() -> Figures:
    """What the rule holds each hop to (a components/serving/timeouts.py ``Figures``), every figure the rule's own:
    :data:`CPU_READY_SECONDS`, :data:`REQUEST_SECONDS`, the platform's longest request :data:`LONGEST_REQUEST_SECONDS`
    as ``max-revision-timeout-seconds`` (a rendered timeout at that cap passes; components/platform/knative.py
    ``MAX_REVISION_TIMEOUT = "600"`` rendered 600 s timeouts the rule then took as the cap, fix17k), and Knative's and
    KServe's defaults. tests/policy/test_policy_fix17k.py pins them equal to the platform's
    (``timeouts.platform_figures()``): a slip on either side fails something."""
    from components.serving.timeouts import Figures

    return Figures(
        cpu_ready=CPU_READY_SECONDS,
        request_seconds=REQUEST_SECONDS,
        max_revision_timeout=LONGEST_REQUEST_SECONDS,
        default_progress_deadline=KNATIVE_PROGRESS_DEADLINE_DEFAULT,
        default_min_replicas=KSERVE_DEFAULT_MIN_REPLICAS,
        router_write_default=ROUTER_WRITE_DEFAULT_SECONDS,
        stable_window=KNATIVE_STABLE_WINDOW_SECONDS,
    )


def _with_knative_defaults(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` (a rendered InferenceService or InferenceGraph) with Knative's default revision timeout written where
    it gives none (each component's ``timeout``; a graph's ``spec.timeout``), so the chain the serving module reads
    is the one Knative applies, whatever that module takes the default to be."""
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return obj
    spec = dict(spec)
    if obj.get("kind") == "InferenceGraph":
        spec.setdefault("timeout", KNATIVE_REVISION_TIMEOUT)
    else:
        for key in _COMPONENTS:
            component = spec.get(key)
            if isinstance(component, Mapping) and component.get("timeout") is None:
                spec[key] = {**component, "timeout": KNATIVE_REVISION_TIMEOUT}
    return {**obj, "spec": spec}


IDLE_TIMEOUT_SHARE = "timeouts-cover-cold-start"
"""The per-cloud share (:attr:`policy.rules.percloud.Part.read` on the cloud's cluster type) giving the cloud's
:class:`IdleTimeout`; a cloud without one (GKE's passthrough load balancer, an existing cluster) has no such hop."""
HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
GATEWAY_CHARTS = ("gateway",)
"""Istio's gateway chart (components/platform/istio.py releases it as ``istio-ingressgateway``)."""
GATEWAY_DEFAULT_SERVICE_TYPE = "LoadBalancer"
"""The istio gateway chart's ``service.type`` when the values do not set it (1.30.3 values.yaml,
../shared/upstream/chart-values/istio-gateway-1.30.3.yaml ``service.type: LoadBalancer``)."""


@dataclass(frozen=True)
class IdleTimeout:
    """How a cloud's load balancer for a ``LoadBalancer`` Service reads its idle timeout (a cloud's share of
    :data:`IDLE_TIMEOUT_SHARE`, with its sources in the cloud's policy module)."""

    load_balancer: str
    """How messages name it (``the Classic ELB``)."""
    annotation: str
    """The Service annotation the cloud's controller reads."""
    unit_seconds: int
    """Seconds per unit of the annotation's value (1 for seconds, 60 for minutes)."""
    default_seconds: int
    """The idle timeout without the annotation, seconds."""
    shortest_seconds: int
    """The shortest value the cloud accepts, seconds."""
    longest_seconds: int
    """The longest value the cloud accepts, seconds."""


@dataclass(frozen=True)
class BackendTracking:
    """A cloud whose load balancer for a ``LoadBalancer`` Service has no idle timeout to set but forgets a connection
    idle for ``idle_seconds`` and hashes its next packet over its backends again, so the gateway Service must set
    ``externalTrafficPolicy`` to ``traffic_policy`` for a request waiting on a cold start to keep its backend while
    the cold start adds a node (a cloud's share of :data:`IDLE_TIMEOUT_SHARE`, sources in its policy module)."""

    load_balancer: str
    """How messages name it."""
    idle_seconds: int
    """How long an idle connection's tracking entry lives, seconds."""
    traffic_policy: str
    """The ``externalTrafficPolicy`` that keeps a node the cold start adds out of the backends."""


def _load_balancer_service(release: Resource) -> Mapping[str, Any] | None:
    """The gateway release's ``service`` values when its Service is a ``LoadBalancer`` (None when it is another type
    or its values are known only after deploy)."""
    values = release.props.get("values")
    if values is UNKNOWN or unknown_path(release.props, "values.service.*"):
        return None
    service = as_map(as_map(values).get("service"))
    return service if service.get("type", GATEWAY_DEFAULT_SERVICE_TYPE) == "LoadBalancer" else None


def _tracking(release: Resource, cloud: BackendTracking) -> str | None:
    """A finding's text when the gateway release's ``LoadBalancer`` Service does not set the
    ``externalTrafficPolicy`` the cloud needs (None when it does, its Service is no ``LoadBalancer``, or its values
    are known only after deploy)."""
    service = _load_balancer_service(release)
    if service is None:
        return None
    given = service.get("externalTrafficPolicy") or None
    if given == cloud.traffic_policy:
        return None
    shown = f"externalTrafficPolicy {given!r}" if given else "externalTrafficPolicy unset (Kubernetes' Cluster)"
    return (
        f"{shown}: {cloud.load_balancer} forgets a connection idle for {cloud.idle_seconds} s and hashes its next "
        f"packet over every node, the GPU node a cold start adds included, so a request waiting for a model at zero "
        f"may lose its connection; the gateway Service needs externalTrafficPolicy {cloud.traffic_policy}"
    )


def _gateway_releases(resources: Sequence[Resource]) -> list[Resource]:
    return [
        r
        for r in resources
        if r.type in HELM_TYPES and str(r.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1] in GATEWAY_CHARTS
    ]


def _idle(release: Resource, cloud: IdleTimeout) -> Any:
    """The gateway release's load balancer idle timeout (a ``LoadBalancerIdle``), None when its Service is no
    ``LoadBalancer`` or its values are known only after deploy, or a finding's text when the annotation cannot be
    what the cloud accepts."""
    from components.serving.timeouts import LoadBalancerIdle

    service = _load_balancer_service(release)
    if service is None:
        return None
    given = as_map(service.get("annotations")).get(cloud.annotation)
    if given is None:
        source = f"{cloud.load_balancer} default, no annotation {cloud.annotation}"
        return LoadBalancerIdle(cloud.default_seconds, cloud.longest_seconds, source)
    if not re.fullmatch(r"[0-9]+", str(given), re.ASCII):
        return f"{cloud.annotation}: {given!r} is not a whole number: {cloud.load_balancer} refuses it"
    seconds = int(str(given)) * cloud.unit_seconds
    if not cloud.shortest_seconds <= seconds <= cloud.longest_seconds:
        return (
            f"{cloud.annotation}: {given} is outside what {cloud.load_balancer} accepts "
            f"({cloud.shortest_seconds // cloud.unit_seconds}..{cloud.longest_seconds // cloud.unit_seconds})"
        )
    return LoadBalancerIdle(seconds, cloud.longest_seconds, f"{cloud.annotation}: {given}")


def load_balancer_idle(resources: Sequence[Resource]) -> tuple[list[Any], list[Finding]]:
    """The idle timeouts of the load balancers in front of the gateway (one per cloud share that reads a cluster of
    the plan and gateway release), and the findings for annotations the cloud refuses and for a gateway Service
    without the ``externalTrafficPolicy`` a :class:`BackendTracking` cloud needs."""
    shares = [c for r in resources for c in percloud.read(IDLE_TIMEOUT_SHARE, r)]
    clouds = {c for c in shares if isinstance(c, IdleTimeout)}
    found, bad = [], []
    for tracking in sorted({c for c in shares if isinstance(c, BackendTracking)}, key=lambda c: c.load_balancer):
        for release in _gateway_releases(resources):
            problem = _tracking(release, tracking)
            if problem:
                name = release.props.get("name")
                bad.append(Finding(release.urn, f"gateway Service of Helm release {name}: {problem}"))
    for cloud in sorted(clouds, key=lambda c: c.annotation):
        for release in _gateway_releases(resources):
            idle = _idle(release, cloud)
            if isinstance(idle, str):
                bad.append(Finding(release.urn, f"gateway Service of Helm release {release.props.get('name')}: {idle}"))
            elif idle is not None:
                found.append(idle)
    return found, bad


def _check(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    # Imported here, as policy/rules/models.py imports requestpath: the chain is the one
    # tests/serving/test_timeouts.py holds to the upstream sources.
    from components.serving import timeouts

    own = figures()
    idles, bad = load_balancer_idle(resources)
    yield from bad
    shortest = min(idles, key=lambda i: i.seconds) if idles else None
    objects = [_object(r) for r in resources if r.type.startswith("kubernetes:") and not _has_unknown(r.props)]
    for res in resources:
        if not (res.type == ISVC or is_k8s(res, "InferenceService")):
            continue
        annotations = res.metadata.get("annotations")
        if not isinstance(annotations, Mapping) or annotations.get(DEPLOYMENT_MODE) != "Knative":
            continue
        isvc = _object(res)
        if _has_unknown(isvc.get("metadata")) or _has_unknown(isvc.get("spec")):
            continue  # known only after deploy: not judged
        for problem in timeouts.problems(_with_knative_defaults(isvc), objects, shortest, own):
            yield Finding(res.urn, problem)
    # A pipeline's router holds a request while its members start from zero (components/serving/timeouts.py
    # graph_problems: KServe v0.20.0 router WriteTimeout and the graph's Knative revision timeout).
    isvcs = [o for o in objects if o.get("kind") == "InferenceService"]
    for res in resources:
        if not is_k8s(res, "InferenceGraph"):
            continue
        annotations = res.metadata.get("annotations")
        if isinstance(annotations, Mapping) and annotations.get(DEPLOYMENT_MODE) == "Standard":
            yield from _standard_router(res)
            continue
        if not isinstance(annotations, Mapping) or annotations.get(DEPLOYMENT_MODE) != "Knative":
            continue
        graph = _object(res)
        if _has_unknown(graph.get("metadata")) or _has_unknown(graph.get("spec")):
            continue  # known only after deploy: not judged
        for problem in timeouts.graph_problems(_with_knative_defaults(graph), isvcs, objects, own):
            yield Finding(res.urn, problem)


def _standard_router(res: Resource) -> Iterator[Finding]:
    """A Standard-mode pipeline router keeps writing for the platform's longest request: KServe v0.20.0 makes it a
    Deployment (pkg/controller/v1alpha1/inferencegraph/raw_ig.go) and reads no graph ``timeout``, but its
    ``http.Server`` stops writing after ``routerTimeouts.serverWrite`` (:data:`ROUTER_WRITE_DEFAULT_SECONDS` without
    it), whatever its members' own timeouts allow."""
    limits = res.get("spec.routerTimeouts")
    if limits is UNKNOWN:
        return
    write = as_map(limits).get("serverWrite", ROUTER_WRITE_DEFAULT_SECONDS)
    if write is UNKNOWN:
        return
    if isinstance(write, bool) or not isinstance(write, int) or write < LONGEST_REQUEST_SECONDS:
        shown = "unset, KServe's 60 s" if "serverWrite" not in as_map(limits) else f"{write!r}"
        yield Finding(
            res.urn,
            f"{who(res)}: Standard-mode router routerTimeouts.serverWrite {shown} < the platform's "
            f"longest request {LONGEST_REQUEST_SECONDS}s: the router cuts answers its members' timeouts allow; set "
            f"serverWrite {LONGEST_REQUEST_SECONDS}",
        )


MODEL_SIZE = "mlplatform.io/model-size-gb"
"""Where a rendered InferenceService carries the stack's ``modelSizeGb`` (components/coldstart.py
``MODEL_SIZE_ANNOTATION``; set only when given)."""


def _gpus(model: Mapping[str, Any]) -> int | None:
    """The model's ``nvidia.com/gpu`` limit; None when ``resources`` or its ``limits`` is not a map (red team #17d
    F1: ``resources: true`` was an AttributeError, exit 70)."""
    resources = model.get("resources") or {}
    limits = resources.get("limits") or {} if isinstance(resources, Mapping) else None
    if not isinstance(limits, Mapping):
        return None
    value = limits.get("nvidia.com/gpu", 0)
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _llm_size(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """A ``format: huggingface`` InferenceService on GPUs carries its size: an LLM's weights run from about 1 GB to
    hundreds, so the format's default (components/coldstart.yaml ``modelSize.huggingface``, the shipped 1.5 B model)
    is no estimate of another model, and on GPUs the deadlines that wait for the cold start (progress deadline,
    request timeout, ``pulumi up``'s wait: components/serving/_runtime.py) follow it."""
    for res in resources:
        if not (res.type == ISVC or is_k8s(res, "InferenceService")):
            continue
        model = res.get("spec.predictor.model")
        if not isinstance(model, Mapping) or _has_unknown(model) or _has_unknown(res.metadata.get("annotations")):
            continue
        fmt = (model.get("modelFormat") or {}).get("name") if isinstance(model.get("modelFormat"), Mapping) else None
        annotations = res.metadata.get("annotations")
        sized = isinstance(annotations, Mapping) and MODEL_SIZE in annotations
        gpus = _gpus(model)
        if fmt == "huggingface" and gpus is None:
            yield Finding(
                res.urn,
                f"models/{res.k8s_name}: spec.predictor.model.resources (and its limits) must be a map: its GPUs, "
                "which decide whether the model's size is needed, cannot be read",
            )
        elif fmt == "huggingface" and gpus and not sized:
            yield Finding(
                res.urn,
                f"models/{res.k8s_name}: format huggingface on GPUs without modelSizeGb: its cold start and deadlines "
                f"assume the format's default size; give mlplatform:models.{res.k8s_name}.modelSizeGb",
            )


ACCELERATOR_LABEL = "mlplatform.io/accelerator"
"""The node label a GPU model's pods select their accelerator by (components/serving/_runtime.py)."""


def _predictor_gpus(predictor: Mapping[str, Any]) -> int | None:
    """The ``nvidia.com/gpu`` limit of the predictor's model, else of its first container that asks GPUs."""
    model = predictor.get("model")
    if isinstance(model, Mapping) and (gpus := _gpus(model)):
        return gpus
    for container in predictor.get("containers") or ():
        if isinstance(container, Mapping) and (gpus := _gpus(container)):
            return gpus
    return None


VLLM_DEFAULT_UTILIZATION = 0.92
"""vLLM 0.24.0's ``gpu_memory_utilization`` default, "The fraction of GPU memory to be used for the model executor
... If unspecified, will use the default value of 0.92" (vllm/config/cache.py ``CacheConfig``; the version KServe
v0.20.0's huggingfaceserver pins, python/kserve/pyproject.toml ``vllm==0.24.0``)."""


def _last_option(args: Sequence[Any], name: str, shortest: int) -> str | None:
    """The last value of option ``name`` in a server's ``args`` as Python's argparse reads them (``=`` or the next
    argument; abbreviations down to ``shortest`` characters). ``--gpu_memory_utilization`` is not it: KServe's Hugging
    Face server reads vLLM's options with ``parse_known_args``, which turns no ``_`` into ``-``
    (:func:`_dropped_arg`)."""
    found: str | None = None
    for i, arg in enumerate(args):
        given, eq, value = str(arg).partition("=")
        key = given
        if len(key) >= shortest and name.startswith(key):
            found = value if eq else (str(args[i + 1]) if i + 1 < len(args) else None)
    return found


def _vllm_fraction(model: Mapping[str, Any]) -> float | None:
    """The fraction of each GPU's memory vLLM takes for the predictor's model: KServe's Hugging Face server runs
    vLLM when the last ``--backend`` of the model's args is ``vllm`` (python/huggingfaceserver __main__.py v0.20.0:
    ``is_vllm_backend_enabled``); it then takes the last ``--gpu-memory-utilization`` (vLLM 0.24.0 has no other
    option starting ``--gp``), else :data:`VLLM_DEFAULT_UTILIZATION`. None for another server or backend."""
    args = model.get("args")
    if not isinstance(args, list) or _last_option(args, "--backend", len("--backend")) != "vllm":
        return None
    given = _last_option(args, "--gpu-memory-utilization", len("--gp"))
    try:
        value = VLLM_DEFAULT_UTILIZATION if given is None else float(given)
    except ValueError:
        return VLLM_DEFAULT_UTILIZATION
    return value if 0 < value <= 1 else VLLM_DEFAULT_UTILIZATION  # a refused value: :func:`_refused_args`


_KV_INT = re.compile(r"(\d+(?:\.\d+)?)([kKmMgGtT])")


def _kv_cache_bytes(model: Mapping[str, Any]) -> int | None:
    """vLLM's KV cache per GPU in bytes when the model's args run vLLM with a ``--kv-cache-memory-bytes`` above 0
    (vLLM 0.24.0 vllm/config/cache.py ``kv_cache_memory_bytes``: "(when not-None) ignores gpu_memory_utilization";
    vllm/v1/worker/gpu_worker.py uses it when not 0), read as vLLM's ``human_readable_int``
    (vllm/utils/argparse_utils.py: ``k m g t`` decimal, ``K M G T`` binary with a whole number, else ``int``); the
    last one, abbreviated down to ``--kv-cache-mem`` (``--kv-cache-metrics`` shares ``--kv-cache-me``)."""
    args = model.get("args")
    if not isinstance(args, list) or _last_option(args, "--backend", len("--backend")) != "vllm":
        return None
    given = _last_option(args, "--kv-cache-memory-bytes", len("--kv-cache-mem"))
    value = _human_int(given) if given is not None else None
    return value if value is not None and value > 0 else None


def _human_int(given: str) -> int | None:
    """``given`` as vLLM 0.24.0's ``human_readable_int`` reads it, None where it refuses it."""
    text = given.strip()
    if found := _KV_INT.fullmatch(text):
        number, suffix = found.groups()
        decimal = {"k": 3, "m": 6, "g": 9, "t": 12}
        if suffix in decimal:
            return int(float(number) * 10 ** decimal[suffix])
        return int(number) * 2 ** (10 * ("KMGT".index(suffix) + 1)) if number.isdigit() else None
    try:
        return int(text)
    except ValueError:
        return None


CUDA_CONTEXT_GB = 0.56
"""One process's CUDA context in GB, held inside its share of a GPU shared by MPS or time-slicing: 557 MB "per cuda
context" (pytorch/pytorch#42080), the largest of the figures found (~300 MB since CUDA 11.7, pytorch/pytorch#107667;
300-400 MB, pytorch/pytorch#20532); restated from components/serving/gpumem.py (rev16f D5)."""


def _dropped_arg(args: Sequence[Any]) -> str | None:
    """An argument of a vLLM model that KServe's Hugging Face server drops (rev16g defect 1): it reads its args with
    ``parse_known_args`` (kserve v0.20.0 python/huggingfaceserver/huggingfaceserver/__main__.py:168, :213), so an
    option spelled with ``_`` that is not the server's own (components/serving/server_args.py ``KSERVE_OPTIONS``,
    ``HF_SERVER_OPTIONS``, whole or abbreviated) is unknown (vLLM registers ``-`` spellings, and its
    ``FlexibleArgumentParser`` turns ``_`` into ``-`` only in ``parse_args``, vllm 0.24.0
    vllm/utils/argparse_utils.py:301-321), and one argument with a space before any ``=`` is read as a value
    (CPython Lib/argparse.py ``_parse_optional``) that no positional takes."""
    from components.serving.server_args import HF_SERVER_OPTIONS, KSERVE_OPTIONS

    own = (*KSERVE_OPTIONS, *HF_SERVER_OPTIONS)
    for i, arg in enumerate(args):
        text = str(arg)
        if text == "--":
            break
        given = text.partition("=")[0]
        if not text.startswith("-"):
            continue
        if " " in given:
            before = str(args[i - 1]) if i else ""
            if not (before.startswith("-") and "=" not in before and " " not in before):
                return f"{given.partition(' ')[0]} in one argument with a space, which the server drops unread"
        elif given.startswith("--") and "_" in given and not any(o.startswith(given) for o in own):
            return f"{given}, which the server drops unread (vLLM reads {'--' + given[2:].replace('_', '-')})"
    return None


def _refused_args(model: Mapping[str, Any]) -> str | None:
    """A vLLM option value vLLM 0.24.0 refuses, as the args give it (rev16f D8): a ``--gpu-memory-utilization``
    outside (0, 1] (vllm/config/cache.py ``Field(gt=0, le=1)``) or a ``--kv-cache-memory-bytes`` its
    ``human_readable_int`` does not read (:func:`_kv_cache_bytes`)."""
    args = model.get("args")
    if not isinstance(args, list) or _last_option(args, "--backend", len("--backend")) != "vllm":
        return None
    if dropped := _dropped_arg(args):
        return dropped
    given = _last_option(args, "--gpu-memory-utilization", len("--gp"))
    if given is not None:
        try:
            fine = 0 < float(given) <= 1
        except ValueError:
            fine = False
        if not fine:
            return (
                f"--gpu-memory-utilization {given!r}, which vLLM refuses (a fraction in (0, 1]): the model never starts"
            )
    given = _last_option(args, "--kv-cache-memory-bytes", len("--kv-cache-mem"))
    if given is not None and _human_int(given) is None:
        return f"--kv-cache-memory-bytes {given!r}, which vLLM's human_readable_int refuses: the model never starts"
    return None


@dataclass(frozen=True)
class _GpuPool:
    """A GPU pool as the clouds' shares of ``gpu-pool-disk-fits`` read it: its labels, the pods sharing one GPU by
    time-slicing or MPS (None: not shared), whether its device plugin (a config label) applies that sharing, which
    then refuses a request of more than one GPU (``failRequestsGreaterThanOne``, NVIDIA/k8s-device-plugin README),
    and whether MIG partitions its GPUs."""

    name: str
    labels: Mapping[str, Any]
    clients: int | None
    one_share: bool
    mig: bool


def _sharing_pools(resources: Sequence[Resource]) -> list[_GpuPool]:
    """Every GPU pool with known labels whose GPUs pods share (time-slicing, MPS) or MIG partitions."""
    from policy.rules import disk

    out = []
    for pool, _ in disk._gpu_pools(resources):
        if pool.labels is UNKNOWN:
            continue
        clients = disk.shared_clients(pool)
        if clients is None and not pool.mig:
            continue
        labels = as_map(pool.labels)
        out.append(_GpuPool(pool.name, labels, clients, disk.DEVICE_PLUGIN_CONFIG_LABEL in labels, pool.mig))
    return out


def _gpu_memory(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """A GPU InferenceService's weights (``mlplatform.io/model-size-gb``) fit in the memory of the GPUs it asks for
    (the second line of components/serving/gpumem.py, which also judges each MIG profile's memory: this rule takes
    whole GPUs, the most a MIG device gives), each GPU's memory as the device reports it (the catalog's figure,
    converted to GB from its own unit), times vLLM's fraction when vLLM serves it, or less vLLM's
    ``--kv-cache-memory-bytes`` per GPU when given (it then ignores the fraction). On every pool of its accelerator
    whose GPUs pods share by time-slicing or MPS that its nodeSelector admits (labels the pool states; a pool refusing
    more than one GPU a request is skipped for a multi-GPU model), each pod gets 1/clients of the GPU less a CUDA
    context (:data:`CUDA_CONTEXT_GB`): the weights of a server that is not vLLM (rev16f D4: time-slicing isolates
    no memory, NVIDIA/k8s-device-plugin README), vLLM's fraction of the whole device (vLLM 0.24.0 asks for it at
    start, vllm/v1/worker/utils.py ``request_memory``; rev16e N1, N2, rev16f D5), and with ``--kv-cache-memory-bytes``
    the weights and KV cache within the smaller of the fraction and the share (rev16f D2). vLLM with more than one
    GPU may not land on a MIG pool (rev16f D7: each tensor-parallel rank sees one MIG device), and option values
    vLLM refuses fail (rev16f D8)."""
    from components import catalog

    memory = {m.accelerator: (m.gpu_memory_gb, m.gpu_memory_shown) for m in catalog.machines()}
    pools = _sharing_pools(resources)
    for res in resources:
        if not (res.type == ISVC or is_k8s(res, "InferenceService")):
            continue
        annotations = res.metadata.get("annotations")
        predictor = res.get("spec.predictor")
        if not isinstance(annotations, Mapping) or not isinstance(predictor, Mapping):
            continue
        if _has_unknown(annotations) or _has_unknown(predictor):
            continue
        gpus = _predictor_gpus(predictor)
        selector = as_map(predictor.get("nodeSelector"))
        accelerator = selector.get(ACCELERATOR_LABEL)
        model = predictor.get("model")
        if not gpus:
            continue
        if isinstance(model, Mapping) and (refused := _refused_args(model)):
            yield Finding(res.urn, f"models/{res.k8s_name}: {refused}")
            continue
        fraction = _vllm_fraction(model) if isinstance(model, Mapping) else None
        kv = _kv_cache_bytes(model) if isinstance(model, Mapping) else None
        landing = [
            p
            for p in pools
            if not (p.one_share and gpus > 1) and all(p.labels.get(k, v) == v for k, v in selector.items())
        ]
        if fraction is not None and gpus > 1 and (mig := [p.name for p in landing if p.mig]):
            yield Finding(
                res.urn,
                f"models/{res.k8s_name}: vLLM over {gpus} GPUs (--tensor-parallel-size) may land on pool {mig[0]}, "
                "whose GPUs MIG partitions: each rank's process sees one MIG device; the model never starts",
            )
        if accelerator not in memory:
            continue
        gb, shown = memory[accelerator]
        shared = [p for p in landing if p.clients is not None]
        if fraction is not None:
            yield from _share_findings(res, shared, gb, fraction)
            if fraction * gb > gb - CUDA_CONTEXT_GB:  # rev16g defect 3: vLLM's own context on a whole GPU
                most = math.floor((1 - CUDA_CONTEXT_GB / gb) * 100) / 100
                yield Finding(
                    res.urn,
                    f"models/{res.k8s_name}: vLLM's --gpu-memory-utilization {fraction:g} of a whole {accelerator} "
                    f"({gb:.2f} GB): vLLM's own CUDA context ({CUDA_CONTEXT_GB:g} GB) is in use when it asks for "
                    f"that fraction at start ({most:g} at most); the model never starts",
                )
        if kv is not None and kv / 1e9 >= gb - CUDA_CONTEXT_GB:  # rev16g defect 5: the KV cache alone
            yield Finding(
                res.urn,
                f"models/{res.k8s_name}: vLLM's --kv-cache-memory-bytes {kv} on each {accelerator} ({gb:.2f} GB less "
                f"a CUDA context, {CUDA_CONTEXT_GB:g} GB): the KV cache alone does not fit; the model never starts",
            )
            continue
        if MODEL_SIZE not in annotations:
            continue
        try:
            size = float(str(annotations[MODEL_SIZE]))
        except ValueError:
            yield Finding(res.urn, f"models/{res.k8s_name}: {MODEL_SIZE} {annotations[MODEL_SIZE]!r} is not a number")
            continue
        limit = gpus * (gb * fraction if fraction is not None else gb - CUDA_CONTEXT_GB)
        of = f" x vLLM's --gpu-memory-utilization {fraction:g}" if fraction is not None else " less a CUDA context"
        if kv is not None:
            limit = gpus * (gb - CUDA_CONTEXT_GB - kv / 1e9)
            of = f" less a CUDA context and vLLM's --kv-cache-memory-bytes {kv}"
        if size > limit:
            yield Finding(
                res.urn,
                f"models/{res.k8s_name}: {size:g} GB of weights on {gpus} x {accelerator} ({shown} = {gb:.2f} GB "
                f"each{of}: {math.floor(limit * 100) / 100:.2f} GB): the model never loads into its GPUs' memory",
            )
            continue
        yield from _share_size_findings(res, shared, gb, shown, size, fraction, kv)


def _share_size_findings(
    res: Resource,
    shared: Sequence[_GpuPool],
    gb: float,
    shown: str,
    size: float,
    fraction: float | None,
    kv: int | None,
) -> Iterator[Finding]:
    """The weights over one pod's share of a shared GPU it may land on (1/clients less a CUDA context): any server
    without vLLM (rev16f D4), vLLM's weights and KV cache within the smaller of its fraction and the share (rev16f
    D2). The pool with the smallest share is named."""
    if not shared or (fraction is not None and kv is None):
        return  # vLLM's weights within its fraction, which _share_findings holds to the share
    pool = max(shared, key=lambda p: p.clients or 1)
    clients = pool.clients or 1
    share = gb / clients - CUDA_CONTEXT_GB
    what = f"1/{clients} of {shown} = {gb:.2f} GB less a CUDA context ({CUDA_CONTEXT_GB:g} GB)"
    if fraction is not None and kv is not None:
        limit = min(fraction * gb, share) - kv / 1e9
        what = (
            f"the smaller of vLLM's --gpu-memory-utilization {fraction:g} and {what}, less --kv-cache-memory-bytes {kv}"
        )
    else:
        limit = share
    if size > limit:
        yield Finding(
            res.urn,
            f"models/{res.k8s_name}: {size:g} GB of weights on pool {pool.name}, whose GPUs {clients} pods share "
            f"({what}: {math.floor(limit * 100) / 100:.2f} GB): the model never loads beside the others",
        )


def _share_findings(res: Resource, shared: Sequence[_GpuPool], gb: float, fraction: float) -> Iterator[Finding]:
    """vLLM's ``fraction`` of the whole GPU over one pod's share (1/clients less a CUDA context) on a shared pool the
    predictor may land on (:func:`_gpu_memory`). The pool with the most clients is named."""
    over = [p for p in shared if fraction * gb > gb / (p.clients or 1) - CUDA_CONTEXT_GB]
    if over:
        pool = max(over, key=lambda p: p.clients or 1)
        clients = pool.clients or 1
        most = math.floor((1 / clients - CUDA_CONTEXT_GB / gb) * 100) / 100
        yield Finding(
            res.urn,
            f"models/{res.k8s_name}: vLLM's --gpu-memory-utilization {fraction:g} on pool {pool.name}, whose GPUs "
            f"{clients} pods share: vLLM asks for that fraction of the whole GPU at start, more than 1/{clients} of "
            f"it less a CUDA context ({most:g} at most); the model never starts beside the others",
        )


_CHAIN_READS = reading(
    {
        "InferenceService": ("metadata.annotations.*", "spec.*"),
        "VirtualService": ("spec.*",),
        "InferenceGraph": ("metadata.annotations.*", "spec.*"),
        "KnativeServing": ("spec.config.deployment.*",),
    }
)


def _timeouts_unknown(res: Resource) -> str | None:
    """The InferenceService and VirtualService documents the chain reads, the KnativeServing's config-deployment (the
    progress deadline of a revision without its own), and the gateway release's Service values."""
    if res in _gateway_releases([res]):
        found = unknown_path(res.props, "values.service.*")
        return f"{who(res)} {found}" if found else None
    return _CHAIN_READS(res)


RULES = [
    Rule(
        name="llm-model-size-given",
        description=(
            "Every format huggingface model on GPUs gives modelSizeGb, so its cold start and the deadlines that wait "
            "for it follow its own size, not the format's default."
        ),
        enforcement="mandatory",
        area="models",
        applies_to=(ISVC,),
        check_stack=_llm_size,
        remediation=(
            "Give models.<name>.modelSizeGb: the size of the model's weights in GB (e.g. 3.1 for a 1.5 B model in "
            "bf16)."
        ),
        unknown=reading({"InferenceService": ("metadata.annotations.*", "spec.predictor.model")}),
    ),
    Rule(
        name="gpu-memory-fits",
        description=(
            "A GPU InferenceService's model size (mlplatform.io/model-size-gb, from modelSizeGb) fits in the memory of "
            "the GPUs it asks for (nvidia.com/gpu x the memory its mlplatform.io/accelerator reports, the catalog's "
            "nvidia-smi figure in GB, less the server's CUDA context, 0.56 GB, on each), times vLLM's "
            "--gpu-memory-utilization (the last in the model's args, 0.92 when absent; at most the whole GPU less its "
            "CUDA context) when the model's args run KServe's Hugging Face server with --backend=vllm, or less the "
            "context and its --kv-cache-memory-bytes per GPU when given (a KV cache alone over that fails): weights "
            "larger than that never load, and the revision never becomes Ready. A vLLM option spelled with _ that is "
            "not KServe's own, or an option and its value in one argument, fails: the server's parse_known_args "
            "drops it. On each pool of the accelerator whose GPUs pods share by time-slicing or MPS, each pod "
            "gets 1/clients of the GPU less a CUDA context (0.56 GB): the weights of a server that is not vLLM, "
            "vLLM's fraction of the whole GPU (vLLM 0.24.0 asks for it at start), and with --kv-cache-memory-bytes "
            "vLLM's weights and KV cache within the smaller of the fraction and that share. vLLM over more than one "
            "GPU may not land on a MIG pool (each rank sees one MIG device), and values vLLM refuses "
            "(--gpu-memory-utilization outside (0, 1], a --kv-cache-memory-bytes it cannot read) fail."
        ),
        enforcement="mandatory",
        area="models",
        applies_to=(ISVC,),
        check_stack=_gpu_memory,
        remediation=(
            "Ask for more GPUs (resources.gpus, with a pool of that many per node), a larger accelerator, a larger "
            "--gpu-memory-utilization for vLLM (on a shared GPU at most 1/clients less a CUDA context: 0.47 on an L4 "
            "shared two ways; on a whole L4 0.97), a smaller --kv-cache-memory-bytes, or serve a smaller (quantised) "
            "model; modelSizeGb is the size of the weights in GB. Spell vLLM's options with - "
            "(--gpu-memory-utilization=0.45), one option=value per argument. Give vLLM over several GPUs a pool of "
            "whole GPUs, not MIG."
        ),
        unknown=reading({"InferenceService": ("metadata.annotations.*", "spec.predictor")}),
    ),
    Rule(
        name="timeouts-cover-cold-start",
        description=(
            "Every hop that holds a request to a Knative-mode model at zero replicas (gateway route, the activator's "
            "timeoutSeconds and responseStartTimeoutSeconds, the progress deadline (the model's annotation, else the "
            "KnativeServing's config-deployment value, else Knative's 600 s), pulumi up's wait, the timeout of a "
            "transformer or explainer in front of it, a pipeline router's timeout and serverWrite) lasts at least "
            "the model's cold start at the slow end of every step, within max-revision-timeout-seconds (1800 s); so "
            "does the idle timeout of the load balancer in front of the gateway, read from the gateway Service's "
            "annotation as the cloud's share says ({clouds; }). A pipeline whose members' cold starts in turn plus a "
            "request exceed max-revision-timeout-seconds fails whatever its timeouts. A Standard-mode pipeline "
            "router's serverWrite (KServe's 60 s without it) is at least the platform's longest request, 1800 s."
        ),
        enforcement="mandatory",
        area="models",
        applies_to=(ISVC, "kubernetes:serving.kserve.io/v1alpha1:InferenceGraph"),
        check_stack=_check,
        unknown=_timeouts_unknown,
        remediation=(
            "Keep the gateway Service's load balancer idle timeout at the platform's (components/platform/istio.py "
            "LONGEST_REQUEST_SECONDS, through the cluster's load_balancer_annotations). "
            "Shorten the model's cold start (docs/performance.md: a smaller model, an image cache, a faster loader, "
            "storage in the cluster's region) below 1800 s at the slow end; a longer timeout is refused by Knative's "
            "webhook and cut by the load balancer. Leave the predictor's timeout unset (the platform derives it). "
            "For a pipeline, keep members warm (minReplicas >= 1) or shorten the chain."
        ),
    ),
]
