"""Each cloud's share of the generic rules, found through the cloud registry (components/clouds.py).

A generic rule (``secrets-encryption``, ``gpu-budget``, ``required-tags``...) says what must hold; how to read it
from a cloud's resources is that cloud's policy module (:attr:`components.clouds.Cloud.policy`, e.g.
``policy/clouds/<cloud>.py``), which gives a :class:`CloudPolicy`: per rule name a :class:`Part` (the types it judges,
its checks, the paths it reads), the rules that only concern that cloud, the resources that must be protected on
prod and the tag paths its SDK does not say.

Fail closed, in three layers:

- ``resource-types-known`` (:func:`unknown_type`) fails every resource whose type the pack does not KNOW
  (:func:`known_types`): an exact allow-list of what the platform renders and the rules read, kept per owner: the
  generic types here (:data:`KNOWN_TYPES`; the mlplatform components derived from their classes,
  :func:`component_types`; the platform's dynamic resources by their inputs, :func:`dynamic`), each cloud's in its
  policy module (:attr:`CloudPolicy.known`, checked against the cloud's installed SDK by
  tests/policy/test_policy_known_types.py, which also plans every shipped and cover stack so the list cannot go
  stale). A Kubernetes type of a group the rules read at another version or kind fails (a Karpenter ``NodePool`` at
  ``v1beta1``, a ``helm.sh/v2`` Release); so does a registered cloud's class the SDK lacks or the rules do not read
  (``aws:kms/key:KeyV2``, ``aws:kms/replicaKey:ReplicaKey``).
- Each cluster rule and both GPU rules fail a cluster (or pool) that no cloud's share of the rule judges
  (:func:`unjudged`): a listed type whose cloud has no share of the rule, and every type :func:`kind` classes as a
  cluster or pool that no share lists: an unknown type whose class looks like one (:data:`LOOKS_LIKE`, of any
  package but kubernetes: ``mlplatform:index:Cluster``, ``gcp:container/awsCluster:AwsCluster``) and an unknown
  object of a node-creating controller's API group (:data:`NODE_CONTROLLERS`), so overriding
  ``resource-types-known`` never lets a cluster pass the cluster rules unread.
- A share can say that a resource of a type it reads holds pools it cannot read (:attr:`Part.unread`: a GKE cluster
  with node auto-provisioning or Autopilot, a pulumi-eks cluster with its default node group): the GPU rules fail it.

Type tokens are compared after the owning cloud's :attr:`CloudPolicy.canonical` (Azure's versioned API modules,
``azure-native:containerservice/v20240801:AgentPool``, are the same resource as ``azure-native:containerservice:
AgentPool`` and are judged by the same shares). What stays outside: a known type whose class looks like neither but
brings up nodes all the same is read only as far as its rules go; an unknown one (an ``aws:autoscaling/group:Group``,
an ``aws:ec2/instance:Instance``) fails ``resource-types-known``, but an override of that rule lets it through
unread as a pool.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any, Literal, ParamSpec, TypeVar

from components import clouds
from policy.rules.base import Facts, Finding, Resource, ResourceCheck, Rule, StackCheck, UnknownCheck, reading


@dataclass(frozen=True)
class Part:
    """One cloud's share of one generic rule."""

    types: tuple[str, ...] = ()
    """The type tokens this part judges (a cluster or pool type not listed by any part of a rule fails it)."""
    summary: str = ""
    """How the rule's description names this share (joined in registration order)."""
    check: ResourceCheck | None = None
    """Findings on one resource (called for every resource: it answers only for its own types)."""
    stack: StackCheck | None = None
    """Findings over the whole stack."""
    read: Callable[[Resource], Any] | None = None
    """What a generic rule reads through the cloud (an exposure reason, the GPU pools of a resource...)."""
    reads: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Paths the part reads of each type (:func:`policy.rules.base.reading`): unknown there, the rule says so."""
    unknown: UnknownCheck | None = None
    """A hand-written unknown hook, for documents that :attr:`reads` cannot name."""
    unread: Callable[[Resource], str | None] | None = None
    """Why a resource of one of :attr:`types` holds something this share cannot read (a cluster-level setting that
    makes nodes no pool object declares): the rule fails it with this reason (:func:`unread`)."""


@dataclass(frozen=True)
class CloudPolicy:
    """What a cloud's policy module gives the rules."""

    cloud: str
    """The registry name of the cloud."""
    parts: Mapping[str, Part] = field(default_factory=dict)
    """Rule name -> this cloud's share of it."""
    rules: tuple[tuple[str, Rule], ...] = ()
    """Rules of its own, each with the generic rule it is listed after (by name when several follow one rule)."""
    stateful: tuple[str, ...] = ()
    """Types whose loss another ``pulumi up`` cannot undo (KMS keys, cluster identities): protected on prod."""
    tag_paths: Mapping[str, str] = field(default_factory=dict)
    """Types whose tags are not under the SDK's ``tags``/``labels`` argument: wire path of the tag map."""
    label_key: Callable[[str], str] | None = None
    """How a tag key becomes a label key on this cloud (when its tag rule makes labels)."""
    sa_annotations: tuple[str, ...] = ()
    """The Kubernetes ServiceAccount annotation keys that give a pod this cloud's identity."""
    not_clusters: tuple[str, ...] = ()
    """Types of this cloud whose class looks like a cluster or a node pool (:data:`LOOKS_LIKE`) but is neither, each
    with its source in a comment: ``resource-types-known`` lets them through (every other look-alike fails)."""
    canonical: Callable[[str], str] | None = None
    """The type token the shares compare, for a token of this cloud spelled another way (Azure's versioned modules)."""
    known: Mapping[str, str] = field(default_factory=dict)
    """Every type of this cloud's packages the pack knows (:func:`known_types`), in :attr:`canonical` spelling: what
    the platform renders on this cloud and its rules read. The value is empty for a type a shipped or cover stack
    renders, else why it is known all the same (tests/policy/test_policy_known_types.py holds both sides). Each must
    be a class of the cloud's installed SDK (its ``_utilities.register(resource_modules=...)``) unless the value says
    why not. Any other type of the cloud fails ``resource-types-known``; its cluster and pool types
    (:attr:`components.clouds.Cloud.cluster_types`, ``pool_types``) are known without being listed."""
    node_controller_groups: tuple[str, ...] = ()
    """Patterns (regular expressions, whole group) of the Kubernetes API groups of this cloud's node-creating
    controllers (Config Connector, ACK, Karpenter's node classes...), each with its source in a comment: a type of
    such a group the pack does not know is a cluster or pool (:data:`NODE_CONTROLLERS` holds the common ones)."""
    node_reserved: Callable[[str, int, int, int | None], tuple[int, dict[str, int]]] | None = None
    """What a node of this cloud keeps from pods (``pods-fit-nodes``, policy/rules/nodefit.py ``reserved``): from
    the instance type, its vCPUs, its memory (MiB) and the pool's rendered max pods (None: not rendered), the
    kube-reserved millicores and each memory reservation in MiB by name (the kubelet's eviction threshold is added by
    the rule)."""
    dynamic_inputs: Mapping[str, Callable[[], frozenset[str]]] = field(default_factory=dict)
    """Dynamic-resource types this cloud's modules render, each known only with the input names the function gives
    (a retyped cluster carries its cluster's inputs, so it fails)."""


_T = TypeVar("_T")
_MEMOS: list[dict[tuple[object, ...], object]] = []
"""Each :func:`_memoised` function's answers by its arguments, all emptied together when the registry changes."""
_MEMO_VERSION = [-1]


_P = ParamSpec("_P")


def forget() -> None:
    """Empty every :func:`_memoised` function's memo (policy/rules/base.py ``forget``)."""
    for held in _MEMOS:
        held.clear()


def _memoised(make: Callable[_P, _T]) -> Callable[_P, _T]:
    """``make(*args)``, computed once per state of the cloud registry (:func:`components.clouds.version`, which every
    registration and the end of every ``clouds.registered`` block change) and per ``args``: what the registered
    clouds give the pack (:func:`known_types`, :func:`owner`...) is read on every resource of every rule, and
    rebuilding it each time was half of the rules' time. Each function has its own memo keyed by every argument
    (rev17f s26: a hand-written key of the type's last segment let one type's kind decide another's); arguments are
    positional only (a keyword argument is refused). Called about 14 million times a suite run: the arguments'
    tuple itself is the key (no tuple built per call)."""
    memo: dict[tuple[object, ...], object] = {}
    _MEMOS.append(memo)

    @functools.wraps(make)
    def remembered(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        if kwargs:
            raise TypeError(f"{make.__name__}: memoised arguments are positional only, got {sorted(kwargs)}")
        if _MEMO_VERSION[0] != (version := clouds.version()):
            for held in _MEMOS:
                held.clear()
            _MEMO_VERSION[0] = version
        try:
            return memo[args]  # type: ignore[return-value]
        except KeyError:
            value = memo[args] = make(*args, **kwargs)
            return value

    return remembered


@cache
def _load(module: str) -> CloudPolicy:
    policy = importlib.import_module(module).POLICY
    if not isinstance(policy, CloudPolicy):
        raise TypeError(f"{module}.POLICY is not a CloudPolicy")
    return policy


def policies() -> tuple[CloudPolicy, ...]:
    """The policy modules of the registered clouds, in registration order (read from the registry's current state)."""
    return _policies()


@_memoised
def _policies() -> tuple[CloudPolicy, ...]:
    return tuple(_load(c.policy) for c in clouds.all_clouds() if c.policy)


def parts(rule: str) -> list[Part]:
    """Every registered cloud's share of ``rule``."""
    return [p.parts[rule] for p in policies() if rule in p.parts]


def judged_types(rule: str) -> set[str]:
    """The types some cloud's share of ``rule`` judges."""
    return {t for part in parts(rule) for t in part.types}


def summary(rule: str) -> str:
    """The clouds' shares of ``rule`` as its description names them."""
    return ", ".join(part.summary for part in parts(rule) if part.summary)


def check_resource(rule: str) -> ResourceCheck:
    """A ``check_resource`` running every cloud's share of ``rule``."""

    def check(res: Resource, facts: Facts) -> Iterator[str]:
        res = as_read(res)
        for part in parts(rule):
            if part.check is not None:
                yield from part.check(res, facts)

    return check


def check_stack(rule: str) -> Callable[[Sequence[Resource], Facts], Iterator[Finding]]:
    """A ``check_stack`` running every cloud's share of ``rule``."""

    def check(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
        read_ = [as_read(r) for r in resources]
        for part in parts(rule):
            if part.stack is not None:
                yield from part.stack(read_, facts)

    return check


def unknown(rule: str) -> UnknownCheck:
    """An ``unknown`` hook over every cloud's share of ``rule`` (its :attr:`Part.reads`, then :attr:`Part.unknown`)."""

    def hook(res: Resource) -> str | None:
        res = as_read(res)
        for part in parts(rule):
            found = (reading(part.reads)(res) if part.reads else None) or (part.unknown and part.unknown(res))
            if found:
                return found
        return None

    return hook


def read(rule: str, res: Resource) -> Iterator[Any]:
    """What each cloud's share of ``rule`` reads of ``res`` (:attr:`Part.read`), when it has something to say."""
    res = as_read(res)
    for part in parts(rule):
        if part.read is not None and (value := part.read(res)) is not None:
            yield value


# ------------------------------------------------------------------------------------------------ fail closed

RENDERED = ""
"""The value of a :data:`KNOWN_TYPES` (or :attr:`CloudPolicy.known`) entry that a shipped or cover stack renders."""
KNOWN_TYPES: Mapping[str, str] = {
    # Kubernetes objects the platform renders (components/platform, components/serving, components/clusters)
    "kubernetes:apps/v1:Deployment": RENDERED,
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": RENDERED,
    "kubernetes:cert-manager.io/v1:Certificate": RENDERED,
    "kubernetes:cert-manager.io/v1:ClusterIssuer": RENDERED,
    "kubernetes:core/v1:ConfigMap": RENDERED,
    "kubernetes:core/v1:Namespace": RENDERED,
    "kubernetes:core/v1:ResourceQuota": RENDERED,
    "kubernetes:core/v1:Secret": RENDERED,
    "kubernetes:core/v1:ServiceAccount": RENDERED,
    "kubernetes:gateway.networking.k8s.io/v1:Gateway": RENDERED,
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": RENDERED,
    "kubernetes:helm.sh/v3:Release": RENDERED,
    "kubernetes:monitoring.coreos.com/v1:PodMonitor": RENDERED,
    "kubernetes:monitoring.coreos.com/v1:PrometheusRule": RENDERED,
    "kubernetes:monitoring.coreos.com/v1:ServiceMonitor": RENDERED,
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": RENDERED,
    "kubernetes:operator.knative.dev/v1beta1:KnativeServing": RENDERED,
    "kubernetes:policy/v1:PodDisruptionBudget": RENDERED,
    "kubernetes:scheduling.k8s.io/v1:PriorityClass": RENDERED,
    "kubernetes:security.istio.io/v1:AuthorizationPolicy": RENDERED,
    "kubernetes:security.istio.io/v1:PeerAuthentication": RENDERED,
    "kubernetes:security.istio.io/v1:RequestAuthentication": RENDERED,
    "kubernetes:serving.kserve.io/v1beta1:InferenceService": RENDERED,
    "kubernetes:storage.k8s.io/v1:StorageClass": RENDERED,
    "kubernetes:yaml/v2:ConfigFile": RENDERED,
    "kubernetes:serving.kserve.io/v1alpha1:InferenceGraph": (
        "rendered by the Pipeline component (components/serving/pipeline.py), which no shipped or cover stack "
        "declares; read by the mesh and model rules (policy/rules/mesh.py, policy/rules/models.py)"
    ),
    "kubernetes:serving.kserve.io/v1alpha1:ServingRuntime": (
        "rendered by a stack's own runtimes (mlplatform:runtimes, components/serving/model_runtime.py), which no "
        "shipped or cover stack declares; its containers are read by the pod rules (policy/rules/base.py pod_specs)"
    ),
    "kubernetes:helm.sh/v4:Chart": (
        "read by helm-version-pinned (policy/rules/identity.py) as a chart a stack may render; the platform renders "
        "helm.sh/v3 Releases"
    ),
    # the engine's own
    "pulumi:providers:kubernetes": RENDERED,
    "pulumi:pulumi:Stack": (
        "the program's root resource, which a CrossGuard pack may be shown; the plan does not record it "
        "(components/plan/engine.py RegisterResource)"
    ),
}
"""The exact types of no cloud the pack knows: what the platform renders and the rules read (the value: empty when a
shipped or cover stack renders it, else why it is known). With :func:`component_types` (the mlplatform components),
:func:`dynamic` and each registered cloud's :attr:`CloudPolicy.known`, every other type fails
``resource-types-known``."""

COMPONENTS_UNRENDERED: Mapping[str, str] = {}
"""Why a component type of :func:`component_types` that no shipped or cover stack renders is known all the same (none
since the cover stack cover-aws-node-groups declares a stack runtime, ``acme-onnx``: ModelRuntime is rendered)."""


def dynamic() -> Mapping[str, Callable[[], frozenset[str]]]:
    """Types known only with the inputs of one of the platform's own dynamic resources (a retyped cluster carries its
    cluster's inputs, so it fails): each registered cloud's :attr:`CloudPolicy.dynamic_inputs` (read-only)."""
    return _dynamic()


@_memoised
def _dynamic() -> Mapping[str, Callable[[], frozenset[str]]]:
    return MappingProxyType({t: f for p in policies() for t, f in p.dynamic_inputs.items()})


NODE_CONTROLLERS = re.compile(
    r"([a-z0-9-]+\.)*cluster\.x-k8s\.io"  # Cluster API
    r"|([a-z0-9-]+\.)*upbound\.io"  # Crossplane's Upbound providers
    r"|karpenter\.sh"  # Karpenter's NodePool, NodeClaim (read only at the versions a cloud's policy module knows)
)
"""Kubernetes API groups of node-creating controllers that belong to no one cloud: Cluster API
(kubernetes-sigs/cluster-api config/crd/bases/: ``cluster.x-k8s.io`` for Cluster, Machine, MachineSet,
MachineDeployment, MachinePool; ``addons.``, ``bootstrap.``, ``controlplane.``, ``infrastructure.``... for the rest),
Crossplane's Upbound providers (crossplane-contrib/provider-upjet-*: ``<service>.<provider>.upbound.io`` Cluster,
NodeGroup, NodePool...) and Karpenter's ``karpenter.sh`` (NodePool, NodeClaim). Each cloud adds its own controllers'
groups (:attr:`CloudPolicy.node_controller_groups`). A Kubernetes type of one of them that the pack does not know is a
cluster (class looking like one, :data:`LOOKS_LIKE`) or else a node pool: the cluster or GPU rules fail it,
overridden ``resource-types-known`` or not."""
Kind = Literal["cluster", "pool"]
LOOKS_LIKE: dict[Kind, re.Pattern[str]] = {
    "cluster": re.compile(r"(?i).*(cluster|kube).*"),
    "pool": re.compile(r"(?i).*(node|agent|machine|worker).*(pool|group|set|deployment).*"),
}
"""The class part of a type token (after the last ``:``) that names a Kubernetes cluster (``Cluster``,
``AwsCluster``, ``AttachedCluster``, ``ClusterV2``, ``ManagedKubernetes``, ``Kube``) or a node pool (``NodePool``,
``NodeGroup``, ``AgentPool``, ``MachineSet``, ``WorkerPool``...), matched anywhere in the class."""


@cache
def component_types() -> frozenset[str]:
    """The type tokens of this project's components (``mlplatform:index:<Class>``, components/naming.py
    ``type_token``), derived from the component classes' source without importing them (planning one cloud must not
    import another's SDK): every class under components/clusters, components/platform and components/serving that
    extends ``pulumi.ComponentResource``, directly or through another such class, and that no such class extends (a
    base class is no type of its own)."""
    import ast
    from pathlib import Path

    from components.naming import type_token

    root = Path(clouds.__file__).parent
    bases: dict[str, set[str]] = {}
    for package in ("clusters", "platform", "serving"):
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef):
                    names = {b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases}
                    bases.setdefault(node.name, set()).update(names)
    found = {"ComponentResource"}
    while grown := {c for c, b in bases.items() if b & found} - found:
        found |= grown
    found.discard("ComponentResource")
    extended = {b for c in found for b in bases[c]}
    return frozenset(type_token(c) for c in found - extended)


def known_types() -> Mapping[str, str]:
    """Every exact type the pack knows (:data:`KNOWN_TYPES`, :func:`component_types`, :func:`dynamic`, each registered
    cloud's :attr:`CloudPolicy.known`, cluster and pool types), each with why it is known when no stack renders it
    (read-only; built once per state of the cloud registry)."""
    return _known_types()


@_memoised
def _known_types() -> Mapping[str, str]:
    known = {**KNOWN_TYPES, **{t: COMPONENTS_UNRENDERED.get(t, RENDERED) for t in component_types()}}
    known.update(dict.fromkeys(dynamic(), RENDERED))
    for p in policies():
        known.update(p.known)
    for c in clouds.all_clouds():
        for t in (*c.cluster_types, *c.pool_types):
            known.setdefault(t, f"listed in {c.name}'s cluster_types/pool_types (components/clouds.py)")
        for package in c.tag_packages:
            known.setdefault(
                f"pulumi:providers:{package}",
                f"listed in {c.name}'s tag_packages: the provider of a package the platform uses (the plan's rules "
                "skip providers, policy/rules resources_from_plan; a CrossGuard pack may be shown them)",
            )
    return MappingProxyType(known)


def canonical(type_: str) -> str:
    """``type_`` as the shares compare it: its cloud's :attr:`CloudPolicy.canonical` spelling (itself otherwise)."""
    return _canonical(type_)


@_memoised
def _canonical(type_: str) -> str:
    cloud = owner(type_)
    if cloud is None or not cloud.policy:
        return type_
    fold = _load(cloud.policy).canonical
    return fold(type_) if fold is not None else type_


def as_read(res: Resource) -> Resource:
    """``res`` with its type in :func:`canonical` spelling (itself when that is its type)."""
    type_ = _canonical(res.type)
    return res if type_ == res.type else dataclasses.replace(res, type=type_)


def _k8s_group(type_: str) -> str | None:
    """The API group of a Kubernetes type token (``core`` for the core group), None for another package's."""
    parts_ = type_.split(":")
    return parts_[1].split("/")[0] if len(parts_) == 3 and parts_[0] == "kubernetes" else None


def _node_controller(type_: str) -> str | None:
    """The group of a Kubernetes type of a node-creating controller (:data:`NODE_CONTROLLERS`) the pack does not
    know, or None."""
    group = _k8s_group(type_)
    if group is None or type_ in known_types():
        return None
    if not NODE_CONTROLLERS.fullmatch(group) and not any(
        re.fullmatch(pattern, group) for p in policies() for pattern in p.node_controller_groups
    ):
        return None
    return group


def _looks_like(type_: str) -> Kind | None:
    cls = type_.rsplit(":", 1)[-1]
    return next((k for k, pattern in LOOKS_LIKE.items() if pattern.fullmatch(cls)), None)


def _not_cluster(type_: str) -> bool:
    cloud = owner(type_)
    return cloud is not None and cloud.policy is not None and type_ in _load(cloud.policy).not_clusters


def kind(type_: str) -> Kind | None:
    """``cluster`` or ``pool`` when ``type_`` (:func:`canonical`) is a registered cloud's cluster or node pool type;
    for a Kubernetes type of a node-creating controller the pack does not know (:data:`NODE_CONTROLLERS`:
    ``cluster`` when its class looks like one, else ``pool``); for any other type the pack does not know
    (:func:`known_types`) and not of ``kubernetes``, of whatever package, when its class looks like one
    (:data:`LOOKS_LIKE`: ``acme:k8s/cluster:Cluster``, ``mlplatform:index:Cluster``) and its cloud does not list it
    as no cluster (:attr:`CloudPolicy.not_clusters`); None otherwise."""
    return _kind(type_)


@_memoised
def _kind(type_: str) -> Kind | None:
    type_ = canonical(type_)
    if type_ in clouds.cluster_types():
        return "cluster"
    if type_ in clouds.pool_types():
        return "pool"
    if _node_controller(type_):
        return "cluster" if LOOKS_LIKE["cluster"].fullmatch(type_.rsplit(":", 1)[-1]) else "pool"
    if type_ in known_types() or _k8s_group(type_) is not None or _not_cluster(type_):
        return None
    return _looks_like(type_)


def owner(type_: str) -> clouds.Cloud | None:
    """The registered cloud whose provider package defines ``type_``: one of its SDKs
    (:attr:`~components.clouds.Cloud.tag_packages`) or the package of its cluster and pool types."""
    return _owner(type_)


@_memoised
def _owner(type_: str) -> clouds.Cloud | None:
    package = type_.split(":", 1)[0]
    return next(
        (
            c
            for c in clouds.all_clouds()
            if package in c.tag_packages or package in {t.split(":", 1)[0] for t in (*c.cluster_types, *c.pool_types)}
        ),
        None,
    )


_TEACH = "override resource-types-known with a reason, or teach the pack the type (docs/extending.md)"


def unknown_type(type_: str, inputs: Mapping[str, Any] | None = None) -> str | None:
    """Why the pack cannot place a resource of ``type_`` (the ``resource-types-known`` finding), or None: every type
    that is not one the pack knows (:func:`known_types`; a :func:`dynamic` type only with its ``inputs`` names)
    fails, the message naming what it is (a node-creating controller's object, another version of a Kubernetes
    group the rules read, a cluster or pool look-alike, a type of a registered cloud its policy module does not
    list) and what to do."""
    known = known_types()
    type_ = canonical(type_)
    dynamic_types = dynamic()
    if type_ in dynamic_types:
        accepted = dynamic_types[type_]()
        names = set(inputs or ())
        if names <= accepted:
            return None
        return (
            f"{type_} with inputs {', '.join(sorted(names - accepted))} is none of the platform's dynamic resources "
            f"(inputs {', '.join(sorted(accepted))}): no rule reads it; {_TEACH}"
        )
    if type_ in known:
        return None
    package = type_.split(":", 1)[0]
    what = kind(type_)
    noun = {"cluster": "cluster", "pool": "node pool", None: ""}[what]
    if group := _node_controller(type_):
        return (
            f"{type_} is a {noun} of a node-creating controller (API group {group}) at a version or kind the pack "
            "does not read: no cloud's policy module reads the nodes it makes; render what the pack reads instead, "
            f"or register that cloud and its policy module (components/clouds.py, docs/extending.md)"
        )
    if (group := _k8s_group(type_)) is not None:
        read = sorted(t.split(":", 1)[1] for t in known if _k8s_group(t) == group)
        if read:
            return (
                f"{type_}: the pack reads API group {group} only as {', '.join(read)}; no rule reads this version "
                f"or kind: {_TEACH}"
            )
        return f"{type_} is a Kubernetes type the platform does not render, so no rule reads it: {_TEACH}"
    cloud = owner(type_)
    if cloud is None:
        if what is not None:
            return (
                f"{type_} looks like a {noun} of provider {package}, which no registered cloud owns: register the "
                "cloud, its cluster and pool types and its policy module (components/clouds.py) before deploying it"
            )
        if package in {t.split(":", 1)[0] for t in known}:
            return f"{type_} is not a type of {package} the pack knows, so no rule reads it: {_TEACH}"
        return (
            f"{type_}: provider {package} is of no registered cloud and not an allowed non-cloud provider, so no "
            "rule reads it: register its cloud and policy module (components/clouds.py), or override "
            "resource-types-known with a reason"
        )
    if what is not None:
        return (
            f"{noun} type {type_} of cloud {cloud.name} is not read by the policy pack: list it in the cloud's "
            f"{what}_types (components/clouds.py) with its shares, or, if it is no {noun}, in not_clusters of "
            f"{cloud.policy or 'its policy module'}"
        )
    return (
        f"{type_} is not a type of cloud {cloud.name} the pack knows (known in "
        f"{cloud.policy or 'its policy module'}), so no rule reads it: {_TEACH}"
    )


def unread(rule: str, res: Resource) -> str | None:
    """Why a cloud's share of ``rule`` cannot read all of ``res`` (:attr:`Part.unread`), or None."""
    res = as_read(res)
    for part in parts(rule):
        if part.unread is not None and res.type in part.types and (why := part.unread(res)):
            return why
    return None


def unjudged(rule: str, res: Resource, kinds: tuple[Kind, ...] = ("cluster",)) -> str | None:
    """Why ``rule`` cannot pass ``res``: it is a cluster (or pool, with ``kinds``) that no cloud's share of the rule
    judges, of a registered cloud without that share or of a provider the registry does not know."""
    what = kind(res.type)
    if what not in kinds or canonical(res.type) in judged_types(rule):
        return None
    noun = "cluster" if what == "cluster" else "node pool"
    if group := _node_controller(res.type):
        return (
            f"{res.type} is a {noun} of a node-creating controller (API group {group}): no cloud's share of {rule} "
            "reads it; register that cloud and its policy module (components/clouds.py) before deploying it"
        )
    cloud = owner(res.type)
    if cloud is None:
        return (
            f"{res.type} looks like a {noun} of a cloud the registry does not know (components/clouds.py): register "
            "the cloud and its policy module before deploying it"
        )
    return (
        f"{noun} type {res.type} (cloud {cloud.name}) is not read by {rule} in its policy module "
        f"({cloud.policy or 'none: components.clouds.Cloud.policy'}): add its share before deploying it"
    )


def _resource_types_known(res: Resource, facts: Facts) -> Iterator[str]:
    if why := unknown_type(res.type, res.props):
        yield why


RULES = [
    Rule(
        name="resource-types-known",
        description=(
            "Every resource is of a type the pack knows: an exact type the platform renders and the rules read "
            "(Kubernetes objects at the group, version and kind the rules read; the mlplatform components; each "
            "registered cloud's types, listed in its policy module and present in its SDK). Any other type fails, "
            "an object of a node-creating controller (Cluster API, Config Connector, ACK, Crossplane, Karpenter at "
            "another version) and a cluster or pool look-alike also failing the cluster and GPU rules."
        ),
        enforcement="mandatory",
        area="cluster",
        check_resource=_resource_types_known,
    )
]
"""The fail-closed rule over type tokens (listed first among the cluster rules, policy/rules/cluster.py)."""


def _reading_canonical(rule: Rule) -> Rule:
    """A cloud's own ``rule`` judging each resource by its :func:`canonical` type, as the shares do."""
    check, stack, hook = rule.check_resource, rule.check_stack, rule.unknown
    return dataclasses.replace(
        rule,
        check_resource=None if check is None else (lambda res, facts: check(as_read(res), facts)),
        check_stack=None if stack is None else (lambda resources, facts: stack([as_read(r) for r in resources], facts)),
        unknown=None if hook is None else (lambda res: hook(as_read(res))),
    )


def with_own_rules(rules: Sequence[Rule]) -> list[Rule]:
    """``rules`` with each cloud's own rules listed after the rule they name (by name when several follow one), each
    judging resources by their :func:`canonical` type."""
    own = [(after, _reading_canonical(rule)) for p in policies() for after, rule in p.rules]
    out: list[Rule] = []
    for rule in rules:
        out.append(rule)
        out.extend(sorted((r for after, r in own if after == rule.name), key=lambda r: r.name))
    return out


def finish(rules: Sequence[Rule]) -> list[Rule]:
    """``rules`` with the clouds' own rules (:func:`with_own_rules`) and each description's cloud shares filled in:
    ``{clouds}`` is the shares' :attr:`Part.summary` joined by ", ", ``{clouds; }`` joined by "; ", ``{; clouds}``
    each after "; " (nothing without shares)."""
    out: list[Rule] = []
    for rule in with_own_rules(rules):
        shares = [part.summary for part in parts(rule.name) if part.summary]
        text = (
            rule.description.replace("{clouds}", ", ".join(shares))
            .replace("{clouds; }", "; ".join(shares))
            .replace("{; clouds}", "".join(f"; {s}" for s in shares))
        )
        out.append(rule if text == rule.description else dataclasses.replace(rule, description=text))
    return out


def stateful() -> set[str]:
    """Every registered cloud's stateful types (:attr:`CloudPolicy.stateful`)."""
    return {t for p in policies() for t in p.stateful}


def sa_annotations() -> tuple[str, ...]:
    """Every registered cloud's ServiceAccount identity annotation keys, in registration order."""
    return tuple(k for p in policies() for k in p.sa_annotations)


def tag_paths() -> dict[str, str]:
    """Every registered cloud's tag paths (:attr:`CloudPolicy.tag_paths`)."""
    return {t: path for p in policies() for t, path in p.tag_paths.items()}


def label_key(type_: str) -> Callable[[str], str] | None:
    """How a tag key becomes a label key for ``type_``'s cloud, when that cloud's tags are labels."""
    cloud = owner(type_)
    if cloud is None or not cloud.tag_rule.labels or not cloud.policy:
        return None
    return _load(cloud.policy).label_key
