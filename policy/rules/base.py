"""The vocabulary every rule shares: a resource as a policy sees it, the stack's facts, findings and rules.

Rules are pure functions over wire-name properties (camelCase, exactly what the Pulumi engine and CrossGuard see),
so the same function runs inside the CrossGuard pack (``pulumi preview --policy-pack policy/``) and offline over the
registrations ``mlplatform plan`` records. Nothing here imports Pulumi.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from components import markers

Enforcement = Literal["mandatory", "advisory", "disabled"]
ENFORCEMENTS: tuple[Enforcement, ...] = ("mandatory", "advisory", "disabled")


UNKNOWN = markers.UNKNOWN
"""The marker rules see for a computed value (the plan's unknowns and CrossGuard's unknown sentinels)."""


@dataclass(frozen=True)
class Resource:
    """One resource as a rule sees it.

    ``props``: the inputs in wire names (secrets revealed, computed values as :data:`UNKNOWN`). ``protect``: the
    ``protect`` resource option. ``provider_props``: the inputs of the resource's explicit provider, if any (AWS
    ``defaultTags``, GCP ``defaultLabels``). ``parent``: the parent's URN. ``depends_on``: the URNs of the resources
    this one waits on, its inputs' sources included (the plan's ``dependsOn``; CrossGuard's ``dependencies`` and
    ``property_dependencies`` in a stack policy), the explicit provider excluded; empty when not known.
    """

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    protect: bool = False
    parent: str | None = None
    provider_props: Mapping[str, Any] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()

    def get(self, path: str, default: Any = None) -> Any:
        """The property at dotted ``path`` (e.g. ``spec.predictor.minReplicas``), or ``default``."""
        return dig(self.props, path, default)

    @property
    def metadata(self) -> Mapping[str, Any]:
        """A Kubernetes object's metadata (empty when absent or unknown)."""
        meta = self.props.get("metadata")
        return meta if isinstance(meta, Mapping) else {}

    @property
    def namespace(self) -> str | None:
        """A Kubernetes object's namespace, when known."""
        ns = self.metadata.get("namespace")
        return ns if isinstance(ns, str) else None

    @property
    def k8s_name(self) -> str:
        """A Kubernetes object's ``metadata.name``, else the Pulumi name."""
        name = self.metadata.get("name")
        return name if isinstance(name, str) else self.name


@dataclass(frozen=True)
class SecretEnvRef:
    """One ``secretEnv`` entry a model's stack entry declares: variable ``name`` of ``component`` (predictor,
    transformer or explainer) read from key ``key`` of Secret ``secret``."""

    component: str
    name: str
    secret: str
    key: str


@dataclass(frozen=True)
class DeclaredSecrets:
    """What a model's stack entry asks of Secrets: its ``imagePullSecrets`` (every component of the model pulls with
    them) and its components' ``secretEnv`` entries."""

    pull: tuple[str, ...] = ()
    env: tuple[SecretEnvRef, ...] = ()


@dataclass(frozen=True)
class Facts:
    """What a rule may know about the stack beyond its resources (from ``mlplatform:`` config, or pack config).

    ``environment``: dev, staging or prod. ``required_tags``: tag keys every cloud resource must carry.
    ``max_gpus``: the GPU budget (sum over GPU pools of max nodes x GPUs per node). ``allow_public_api``: the
    stack opted in to a Kubernetes API open to 0.0.0.0/0 (``cluster.apiAccess.allowWorld``). ``anonymous_models``:
    ``namespace/name`` of models whose stack entry sets ``access.allowAnonymous: true`` (used when the
    InferenceService itself carries no opt-in annotation). ``network_policy``: whether the cluster's network plugin
    enforces NetworkPolicy: ``enforced`` (every managed cluster we build), ``not-enforced`` or ``unknown`` (an existing
    cluster's ``cluster.existing.networkPolicy``).
    """

    environment: str = "dev"
    required_tags: tuple[str, ...] = ("environment", "owner")
    max_gpus: int = 64
    allow_public_api: bool = False
    anonymous_models: frozenset[str] = frozenset()
    network_policy: str = "enforced"
    model_secrets: tuple[tuple[str, DeclaredSecrets], ...] = ()
    """Per model (``namespace/name``) that declares ``imagePullSecrets`` or ``secretEnv``, what it declares (in the
    saved plan's ``settings.modelSecrets``): ``model-declared-secrets`` ties each to the rendered InferenceService."""
    zones: int | None = None
    """How many zones the stack asks its cluster's nodes to span (``cluster.zones``), None when the package does not
    build the cluster (cloud ``existing``) or the plan predates the key: ``node-pools-span-zones`` holds each cloud's
    zonal resources to it."""
    jwt_audiences: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    """Per public JWT model and pipeline (``InferenceService/namespace/name``, ``InferenceGraph/namespace/name``), the
    issuer and the ``access.jwt.audiences`` its stack entry declares (the saved plan's ``settings.jwtAudiences``):
    ``jwt-audiences-rendered`` ties each to the rendered RequestAuthentication."""
    image_caches: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    """Per GPU pool, its accelerator and the images its ``imageCache`` preloads (the saved plan's
    ``settings.imageCaches``); None: not known (a plan saved before the key, an existing cluster):
    ``cold-start-from-zero-pulls`` then takes every pinned image as cached."""
    gpu_capacity: tuple[tuple[str, str], ...] | None = None
    """Per GPU pool (its name in ``cluster.gpuPools``), the capacity the stack declares for it: ``spot`` when the
    pool sets ``spot: true``, else ``on-demand`` (the saved plan's ``settings.gpuCapacity``); None: not known (a plan
    saved before the key, an existing cluster). Each cloud's node-provisioner rule ties it to the rendered pool."""
    control_plane_tier: str | None = None
    """The control-plane pricing tier the stack asks for (``cluster.azure.tier``: free, standard or premium; the saved
    plan's ``settings.controlPlaneTier``), None where the stack has no such setting (EKS, GKE, an existing cluster) or
    the plan predates the key: ``cluster-hardening`` ties the rendered AKS ``sku.tier`` to it (rev17k 17)."""
    request_log_store: tuple[str, int] | None = None
    """The ``prefix`` and ``retentionDays`` of the request-log store the platform creates (``platform.requestLogs``
    without ``bucket``, defaults included, where the package builds the cluster; the saved plan's
    ``settings.requestLogStore``), None where it creates none (the stack's own ``bucket``, an existing cluster) or the
    plan predates the key: ``request-log-retention`` holds the store's expiry rule to it (fix17q, rev17l 04)."""


@dataclass(frozen=True)
class Finding:
    """One violation: the offending resource's URN (None for the stack as a whole) and one sentence."""

    urn: str | None
    message: str


ResourceCheck = Callable[[Resource, Facts], Iterable[str]]
StackCheck = Callable[[Sequence[Resource], Facts], Iterable[Finding]]
_T = TypeVar("_T")
UnknownCheck = Callable[[Resource], str | None]


@dataclass(frozen=True)
class Rule:
    """A named policy with a default enforcement level and one of two check shapes.

    ``check_resource`` looks at one resource at a time (a CrossGuard ``ResourceValidationPolicy``; props are the
    resource's inputs). ``check_stack`` looks at every resource at once (a ``StackValidationPolicy``), for rules that
    relate resources to each other (an AuthorizationPolicy for each public model, a GPU budget over all pools).
    ``applies_to`` lists the resource types the rule reads, for the docs. ``unknown`` names, for one resource, the
    document the rule would read when it is known only after deploy (None otherwise): a rule cannot judge such a
    document, and says so in its passing entry instead of passing silently (:meth:`unchecked`).
    """

    name: str
    description: str
    enforcement: Enforcement
    area: str
    applies_to: tuple[str, ...] = ()
    check_resource: ResourceCheck | None = None
    check_stack: StackCheck | None = None
    remediation: str = ""
    unknown: UnknownCheck | None = None
    crossguard_blind: str = ""
    """Why the rule cannot run inside the CrossGuard pack ("" when it can): the pack then marks the policy not
    applicable with this reason (pulumi-policy's ``not_applicable``) instead of letting it pass."""

    def run(self, resources: Sequence[Resource], facts: Facts) -> list[Finding]:
        """Every finding of this rule over ``resources``."""
        found: list[Finding] = []
        if self.check_resource is not None:
            for res, messages in zip(resources, _judged_each(self.check_resource, resources, facts), strict=True):
                found.extend(Finding(res.urn, msg) for msg in messages)
        if self.check_stack is not None:
            found.extend(self.check_stack(resources, facts))
        return found

    def unchecked(self, resources: Sequence[Resource]) -> str:
        """What this rule could not check because it is known only after deploy ("" when it saw everything)."""
        if self.unknown is None:
            return ""
        names = [u for u in remembered_each(self.unknown, resources) if u]
        if not names:
            return ""
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        return f"not checked, known only after deploy: {shown}; the CrossGuard pack checks them during pulumi up"


def remembered_each(fn: Callable[[Resource], _T], resources: Iterable[Resource]) -> list[_T]:
    """``[fn(r) for r in resources]`` for a pure function ``fn`` of a resource, each answer remembered per resource
    OBJECT (:data:`_UNKNOWNS`): the rules' ``unknown`` hooks (:meth:`Rule.unchecked`, every rule over every resource
    of a plan) and the request-path rules' "known before deploy?" (policy/rules/models.py ``props_known``). One loop
    for all the resources, over ``fn``'s own memo (one lookup per resource: about 12 million a suite run); the
    registry's version is read once per call, not once per resource."""
    from components import clouds

    if _UNKNOWNS_VERSION[0] != (version := clouds.version()):
        _UNKNOWNS.clear()
        _UNKNOWNS_VERSION[0] = version
    memo = _UNKNOWNS.get(fn)
    if memo is None:
        memo = _UNKNOWNS[fn] = {}
    out: list[_T] = []
    for res in resources:
        held = memo.get(id(res))
        if held is not None and held[0] is res:
            if _VERIFY_MEMO:
                again = fn(res)
                if again != held[1]:
                    raise AssertionError(f"stale answer of {fn.__name__} for {res.urn}: {held[1]!r}, now {again!r}")
            out.append(held[1])
            continue
        if len(memo) >= _UNKNOWNS_SIZE:
            memo.clear()
        answer = fn(res)
        memo[id(res)] = (res, answer)
        out.append(answer)
    return out


def _judged_each(check: ResourceCheck, resources: Sequence[Resource], facts: Facts) -> list[tuple[str, ...]]:
    """``[tuple(check(r, facts)) for r in resources]``, each answer remembered per resource OBJECT and facts
    (:data:`_FINDINGS`), as :func:`remembered_each` does for the ``unknown`` hooks: a ``check_resource`` is a function
    of the resource and the stack's facts alone, and the tests judge hundreds of plans that share all but one resource
    object (and the settings) with a shipped or cover stack's plan."""
    from components import clouds

    if _UNKNOWNS_VERSION[0] != (version := clouds.version()):
        _UNKNOWNS.clear()
        _FINDINGS.clear()
        _UNKNOWNS_VERSION[0] = version
    memo = _FINDINGS.get(check)
    if memo is None:
        memo = _FINDINGS[check] = {}
    out: list[tuple[str, ...]] = []
    for res in resources:
        held = memo.get(id(res))
        if held is not None and held[0] is res and (held[1] is facts or held[1] == facts):
            if _VERIFY_MEMO and (again := tuple(check(res, facts))) != held[2]:
                raise AssertionError(f"stale findings of {check.__name__} for {res.urn}: {held[2]!r}, now {again!r}")
            out.append(held[2])
            continue
        if len(memo) >= _FINDINGS_SIZE:
            memo.clear()
        messages = tuple(check(res, facts))
        memo[id(res)] = (res, facts, messages)
        out.append(messages)
    return out


_FINDINGS: dict[ResourceCheck, dict[int, tuple[Resource, Facts, tuple[str, ...]]]] = {}
"""Per ``check_resource``, its messages per resource OBJECT (by id, the resource kept alive here) with the facts they
were judged under (:func:`_judged_each`); the same soundness as :data:`_UNKNOWNS` (nothing edits a judged resource;
``MLPLATFORM_VERIFY_MEMO=1`` judges again and fails on a difference), emptied with it, and by :func:`forget`."""
_FINDINGS_SIZE = 10_000


def forget() -> None:
    """Empty every remembered judgement (:data:`_UNKNOWNS`, :data:`_FINDINGS`, the network and pipeline rules' walks,
    the cloud readers' memos): for a test that replaces a rule's constant or function (tests/conftest.py calls it on
    every ``monkeypatch`` change and undo), so no answer given before the change is reused after it."""
    from policy.rules import network, percloud, pipeline

    _UNKNOWNS.clear()
    _FINDINGS.clear()
    network._INFERENCE_ONLY.clear()
    pipeline._WIDER.clear()
    percloud.forget()


_UNKNOWNS: dict[Callable[[Resource], Any], dict[int, tuple[Resource, Any]]] = {}
"""Per ``unknown`` hook (and :func:`remembered_each` function), its answer per resource OBJECT (by id, the resource
kept alive here so the id stays its own), for :meth:`Rule.unchecked`: every rule asks every resource of a plan, and
the tests judge hundreds of plans that share all but one resource object with a shipped or cover stack's plan
(tests/support.py ``mutated_resources`` copies only the resources it changes). Sound because nothing edits a
resource's props once it is judged: the plan's resources are built per plan (``resources_from_plan``, the pack's
per-call resources) and a mutated plan is a copy; running the suite with ``MLPLATFORM_VERIFY_MEMO=1`` asks again on
every remembered answer and fails on a different one (docs/performance.md, Set-up). Emptied when the cloud registry
changes (percloud hooks read it, :func:`components.clouds.version`); each function's memo when it is full."""
_UNKNOWNS_VERSION: list[int] = [-1]
_UNKNOWNS_SIZE = 20_000
_VERIFY_MEMO = os.environ.get("MLPLATFORM_VERIFY_MEMO") == "1"
"""Re-ask every remembered ``unknown`` answer and fail on a different one (a resource edited after it was judged)."""


def content_token(res: Resource) -> int:
    """A number for ``res``'s type, name and props that another resource gets only when it holds the same data of the
    same types (:func:`frozen`), computed once per resource OBJECT (the same soundness as :data:`_UNKNOWNS`): a memo
    key of plan content built from these costs a dict lookup per resource instead of a walk of its props."""
    held = _TOKENS.get(id(res))
    if held is not None and held[0] is res:
        if _VERIFY_MEMO and _INTERNED.get(frozen((res.type, res.name, res.props))) != held[1]:
            raise AssertionError(f"stale content token for {res.urn}: its props changed after it was judged")
        return held[1]
    if len(_TOKENS) >= _UNKNOWNS_SIZE:
        _TOKENS.clear()
        _INTERNED.clear()  # tokens are never reused (_NEXT_TOKEN), so an old one can only miss
    content = frozen((res.type, res.name, res.props))
    token = _INTERNED.get(content)
    if token is None:
        token = _INTERNED[content] = _NEXT_TOKEN[0]
        _NEXT_TOKEN[0] += 1
    _TOKENS[id(res)] = (res, token)
    return token


_TOKENS: dict[int, tuple[Resource, int]] = {}
_INTERNED: dict[Any, int] = {}
_NEXT_TOKEN: list[int] = [0]


def frozen(value: Any) -> Any:
    """``value`` (plan data: maps, lists, scalars, :data:`UNKNOWN`) as a hashable key that equals another's only when
    the two hold the same data of the same types (``True`` and ``1``, ``1`` and ``1.0``, ``0.0`` and ``-0.0`` differ;
    any other object keys by identity)."""
    if isinstance(value, Mapping):
        return ("map", tuple(sorted(((str(type(k)), k), frozen(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(frozen(v) for v in value))
    if isinstance(value, str | int | bool) or value is None:
        return (type(value).__name__, value)
    if isinstance(value, float):
        return ("float", repr(value))
    return ("object", _Same(value))


class _Same:
    """Any other value in a key of :func:`frozen`: equal only to itself (kept alive by the key, so its id stays its
    own), hashable even when the value is not."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.value is self.value

    def __hash__(self) -> int:
        return id(self.value)


# ------------------------------------------------------------------------------------------------ helpers


def dig(value: Any, path: str, default: Any = None) -> Any:
    """``value[a][b][c]`` for ``path`` ``a.b.c``; ``default`` when a step is missing or not a map."""
    current = value
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return default
        current = current[part]
    return current


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty list (unknowns and absent values included)."""
    return list(value) if isinstance(value, list | tuple) else []


def as_map(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a map, else an empty map."""
    return value if isinstance(value, Mapping) else {}


def is_unknown(value: Any) -> bool:
    """True for the unknown marker and for a NaN number: neither is a value a rule may read as passing (NaN compares
    false with every number, so ``n < 1`` and ``n >= replicas`` both say no)."""
    return value is UNKNOWN or (isinstance(value, float) and math.isnan(value))


def unknown_path(value: Any, path: str) -> str | None:
    """The part of ``path`` (``a.b[].c``; ``[]`` steps into every item of a list; a last ``*`` reads everything
    under it) at which ``value`` holds the unknown marker or NaN (:func:`is_unknown`), the value at ``path`` or a map
    or list on the way to it; None when the path is known (or absent) all the way."""

    def walk(current: Any, parts: list[str], done: str) -> str | None:
        if is_unknown(current):
            return done or path
        if parts == ["*"]:
            return unknown_within(current, done)
        if not parts or not isinstance(current, Mapping):
            return None
        key, each = parts[0].removesuffix("[]"), parts[0].endswith("[]")
        if key not in current:
            return None
        here = f"{done}.{key}" if done else key
        sub = current[key]
        if not each:
            return walk(sub, parts[1:], here)
        if is_unknown(sub):
            return here
        for i, item in enumerate(as_list(sub)):
            found = walk(item, parts[1:], f"{here}[{i}]")
            if found:
                return found
        return None

    return walk(value, path.split("."), "")


def isvc_components(
    resources: Sequence[Resource], components: Sequence[str] = ("predictor", "transformer", "explainer")
) -> Iterator[tuple[Resource, str, Mapping[str, Any]]]:
    """``(InferenceService, component, its spec)`` for every component of every rendered InferenceService whose spec
    is fully known (a spec with an unknown value anywhere is left to the rule's unknown hook)."""
    for res in resources:
        if res.type != "kubernetes:serving.kserve.io/v1beta1:InferenceService":
            continue
        for component in components:
            spec = res.get(f"spec.{component}")
            if isinstance(spec, Mapping) and not unknown_within(spec):
                yield res, component, spec


def unknown_within(value: Any, path: str = "") -> str | None:
    """The path of the first unknown marker or NaN anywhere in ``value`` (``value`` itself included), else None."""
    if is_unknown(value):
        return path or "."
    if isinstance(value, Mapping):
        items: Iterable[tuple[str, Any]] = ((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
    elif isinstance(value, list | tuple):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for here, sub in items:
        found = unknown_within(sub, here)
        if found:
            return found
    return None


def unknown_keys(value: Any, keys: Collection[str], path: str = "") -> str | None:
    """The path of the first unknown marker or NaN under any key named in ``keys`` (at any depth of ``value``), or
    ``value`` itself unknown (a Helm release's ``values`` read by key name), else None. An unknown value under
    another key is not reported: it may be a map that hid one of ``keys``, but the program renders Helm values as
    literals with unknowns only in string leaves (a ServiceAccount's role ARN annotation)."""
    if is_unknown(value):
        return path or "."
    return _unknown_under_keys(value, keys, path)


def _unknown_under_keys(value: Any, keys: Collection[str], path: str) -> str | None:
    if isinstance(value, Mapping):
        for k, sub in value.items():
            here = f"{path}.{k}" if path else str(k)
            found = unknown_within(sub, here) if k in keys else _unknown_under_keys(sub, keys, here)
            if found:
                return found
    elif isinstance(value, list | tuple):
        for i, sub in enumerate(value):
            found = _unknown_under_keys(sub, keys, f"{path}[{i}]")
            if found:
                return found
    return None


def who(res: Resource) -> str:
    """How an unchecked note names ``res``: ``Kind namespace/name`` (``Kind name`` without a namespace)."""
    kind = res.type.rsplit(":", 1)[-1]
    return f"{kind} {res.namespace}/{res.k8s_name}" if res.namespace else f"{kind} {res.k8s_name}"


def reading(paths: Mapping[str, Sequence[str]]) -> UnknownCheck:
    """An ``unknown`` hook for a rule that reads ``paths[type]`` of each resource of ``type`` (a type token, or a
    Kubernetes kind for every group/version): it names the first path whose value is known only after deploy (or
    NaN), so the rule's passing entry says what it could not judge and ``check --strict`` fails it instead of the
    rule passing silently (red team #17 cause 4). A path ending in ``.*`` reads everything under it (a labels map)."""

    def hook(res: Resource) -> str | None:
        kind = res.type.rsplit(":", 1)[-1]
        wanted = paths.get(res.type) or (paths.get(kind, ()) if res.type.startswith("kubernetes:") else ())
        for p in wanted:
            found = unknown_path(res.props, p)
            if found:
                return f"{who(res)} {found}"
        return None

    return hook


def is_set(value: Any) -> bool:
    """True for a value that is given: unknown (computed) counts as given; None, "" and empty collections do not."""
    if value is UNKNOWN:
        return True
    return value not in (None, "", [], {}) and value is not False


def is_true(value: Any) -> bool:
    """True for ``True`` and ``"true"`` (Kubernetes annotations are strings)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_k8s(res: Resource, *kinds: str) -> bool:
    """True when ``res`` is a Kubernetes object of one of ``kinds`` (any group/version)."""
    return res.type.startswith("kubernetes:") and res.type.rsplit(":", 1)[-1] in kinds


def pod_specs(res: Resource) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every pod spec inside a Kubernetes workload, InferenceService or KServe serving runtime, with its path.

    For an InferenceService each component (predictor, transformer, explainer) is a pod spec whose ``model`` (and
    other framework keys) is a container too; those are yielded as containers by :func:`containers`. A
    ServingRuntime's or ClusterServingRuntime's ``spec`` inlines its pod spec, ``containers`` included
    (kserve/kserve v0.20.0 pkg/apis/serving/v1alpha1/servingruntime_types.go ``ServingRuntimeSpec``:
    ``ServingRuntimePodSpec `json:",inline"```), and those containers run in every model pod the runtime serves.
    """
    kind = res.type.rsplit(":", 1)[-1].removesuffix("Patch")  # Server-Side Apply patches carry partial pod specs
    if not res.type.startswith("kubernetes:"):
        return
    if kind == "Pod":
        yield "spec", as_map(res.props.get("spec"))
    elif kind in ("Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job", "ReplicationController"):
        yield "spec.template.spec", as_map(res.get("spec.template.spec"))
    elif kind == "PodTemplate":
        yield "template.spec", as_map(res.get("template.spec"))
    elif kind == "CronJob":
        yield "spec.jobTemplate.spec.template.spec", as_map(res.get("spec.jobTemplate.spec.template.spec"))
    elif kind in ("ServingRuntime", "ClusterServingRuntime"):
        yield "spec", as_map(res.get("spec"))
    elif kind == "InferenceService":
        for component in ("predictor", "transformer", "explainer"):
            spec = res.get(f"spec.{component}")
            if isinstance(spec, Mapping):
                yield f"spec.{component}", spec


ISVC_FRAMEWORK_KEYS = (
    "model",
    "sklearn",
    "xgboost",
    "lightgbm",
    "pytorch",
    "tensorflow",
    "onnx",
    "triton",
    "huggingface",
    "paddle",
    "pmml",
    "art",
)
"""Keys of an InferenceService component that hold the serving container: the predictor's framework keys, and the
explainer's ``art`` (kserve/kserve v0.20.0 pkg/apis/serving/v1beta1/explainer.go ``ART *ARTExplainerSpec
`json:"art,omitempty"```, whose ``ExplainerExtensionSpec`` inlines ``corev1.Container``: KServe's ART explainer
container)."""


def containers(spec: Mapping[str, Any], *, init: bool = True) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every container of a pod spec (``containers``, ``initContainers``, an InferenceService's ``model``...)."""
    keys = ("containers", "initContainers") if init else ("containers",)
    for key in keys:
        for i, c in enumerate(as_list(spec.get(key))):
            if isinstance(c, Mapping):
                yield f"{key}[{i}]", c
    for key in ISVC_FRAMEWORK_KEYS:
        c = spec.get(key)
        if isinstance(c, Mapping):
            yield key, c
