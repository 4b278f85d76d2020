"""Each cloud's share of the generic rules, found through the cloud registry (components/clouds.py).

A generic rule (``secrets-encryption``, ``gpu-budget``, ``required-tags``...) says what must hold; how to read it
from a cloud's resources is that cloud's policy module (:attr:`components.clouds.Cloud.policy`, e.g.
``policy/clouds/<cloud>.py``), which gives a :class:`CloudPolicy`: per rule name a :class:`Part` (the types it judges,
its checks, the paths it reads), the rules that only concern that cloud, the resources that must be protected on
prod and the tag paths its SDK does not say.

Fail closed, in three layers:

- ``resource-types-known`` (:func:`unknown_type`) fails every resource the pack cannot place: a type of a provider
  package that is neither a registered cloud's (:func:`owner`) nor one of :data:`NOT_CLOUD_PROVIDERS`; a Kubernetes
  type of a Cluster API group (:data:`CLUSTER_API`: a cluster or machine on some infrastructure no cloud's module
  reads); and a type of a registered cloud whose class looks like a cluster or a node pool (:data:`LOOKS_LIKE`) but
  is neither one of that cloud's :attr:`~components.clouds.Cloud.cluster_types` / ``pool_types`` nor a look-alike
  its policy module lists as no cluster (:attr:`CloudPolicy.not_clusters`).
- Each cluster rule and both GPU rules fail a cluster (or pool) that no cloud's share of the rule judges
  (:func:`unjudged`): a listed type whose cloud has no share of the rule, and every type :func:`kind` classes as a
  cluster or pool that no share lists (the look-alikes and Cluster API types above included), so overriding
  ``resource-types-known`` never lets a cluster pass the cluster rules unread.
- A share can say that a resource of a type it reads holds pools it cannot read (:attr:`Part.unread`: a GKE cluster
  with node auto-provisioning or Autopilot, a pulumi-eks cluster with its default node group): the GPU rules fail it.

Type tokens are compared after the owning cloud's :attr:`CloudPolicy.canonical` (Azure's versioned API modules,
``azure-native:containerservice/v20240801:AgentPool``, are the same resource as ``azure-native:containerservice:
AgentPool`` and are judged by the same shares). What stays outside: a type whose class looks like neither but
brings up nodes all the same (an ``aws:autoscaling/group:Group`` whose instances join an EKS cluster, an
``aws:ec2/instance:Instance``): the pack does not read those as pools.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

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


@cache
def _load(module: str) -> CloudPolicy:
    policy = importlib.import_module(module).POLICY
    if not isinstance(policy, CloudPolicy):
        raise TypeError(f"{module}.POLICY is not a CloudPolicy")
    return policy


def policies() -> tuple[CloudPolicy, ...]:
    """The policy modules of the registered clouds, in registration order (read from the registry on each call)."""
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

NOT_CLOUD_PROVIDERS = frozenset(
    {"kubernetes", "pulumi", "pulumi-python", "random", "tls", "command", "std", "mlplatform"}
)
"""Type-token packages of no cloud: Kubernetes objects (a Karpenter ``NodePool`` is one, read by its cloud's part;
Cluster API groups are not: :data:`CLUSTER_API`), the engine's own (providers, stack references, Python dynamic
providers: ``pulumi-python:dynamic:Resource``), utility providers and this project's components. Every other package
is a registered cloud's (:func:`owner`) or fails ``resource-types-known``."""
CLUSTER_API = re.compile(r"([a-z0-9-]+\.)*cluster\.x-k8s\.io")
"""API groups of Cluster API (kubernetes-sigs/cluster-api config/crd/bases/: ``cluster.x-k8s.io`` for Cluster,
Machine, MachineSet, MachineDeployment, MachinePool; ``addons.``, ``bootstrap.``, ``controlplane.``, ``exp.``,
``infrastructure.``, ``ipam.``, ``runtime.cluster.x-k8s.io`` for the rest, providers' infrastructure kinds under
``infrastructure.cluster.x-k8s.io``): a Kubernetes type of one of them is a cluster or a machine (pool) on
infrastructure no cloud's policy module reads."""
Kind = Literal["cluster", "pool"]
LOOKS_LIKE: dict[Kind, re.Pattern[str]] = {
    "cluster": re.compile(r"(?i).*(cluster|kube).*"),
    "pool": re.compile(r"(?i).*(node|agent|machine|worker).*(pool|group|set|deployment).*"),
}
"""The class part of a type token (after the last ``:``) that names a Kubernetes cluster (``Cluster``,
``AwsCluster``, ``AttachedCluster``, ``ClusterV2``, ``ManagedKubernetes``, ``Kube``) or a node pool (``NodePool``,
``NodeGroup``, ``AgentPool``, ``MachineSet``, ``WorkerPool``...), matched anywhere in the class."""


def canonical(type_: str) -> str:
    """``type_`` as the shares compare it: its cloud's :attr:`CloudPolicy.canonical` spelling (itself otherwise)."""
    cloud = owner(type_)
    if cloud is None or not cloud.policy:
        return type_
    fold = _load(cloud.policy).canonical
    return fold(type_) if fold is not None else type_


def as_read(res: Resource) -> Resource:
    """``res`` with its type in :func:`canonical` spelling (itself when that is its type)."""
    type_ = canonical(res.type)
    return res if type_ == res.type else dataclasses.replace(res, type=type_)


def _cluster_api(type_: str) -> bool:
    parts_ = type_.split(":")
    return len(parts_) == 3 and parts_[0] == "kubernetes" and bool(CLUSTER_API.fullmatch(parts_[1].split("/")[0]))


def _looks_like(type_: str) -> Kind | None:
    cls = type_.rsplit(":", 1)[-1]
    return next((k for k, pattern in LOOKS_LIKE.items() if pattern.fullmatch(cls)), None)


def _not_cluster(type_: str) -> bool:
    cloud = owner(type_)
    return cloud is not None and cloud.policy is not None and type_ in _load(cloud.policy).not_clusters


def kind(type_: str) -> Kind | None:
    """``cluster`` or ``pool`` when ``type_`` (:func:`canonical`) is a registered cloud's cluster or node pool type;
    for a Cluster API type (``cluster`` when its class looks like one, else ``pool``); for any other type of a
    package not in :data:`NOT_CLOUD_PROVIDERS`, registered cloud or not, when its class looks like one
    (:data:`LOOKS_LIKE`: ``acme:k8s/cluster:Cluster``, ``gcp:container/awsNodePool:AwsNodePool``) and its cloud does
    not list it as no cluster (:attr:`CloudPolicy.not_clusters`); None otherwise."""
    type_ = canonical(type_)
    if type_ in clouds.cluster_types():
        return "cluster"
    if type_ in clouds.pool_types():
        return "pool"
    if _cluster_api(type_):
        return "cluster" if LOOKS_LIKE["cluster"].fullmatch(type_.rsplit(":", 1)[-1]) else "pool"
    if len(type_.split(":")) != 3 or type_.split(":", 1)[0] in NOT_CLOUD_PROVIDERS or _not_cluster(type_):
        return None
    return _looks_like(type_)


def owner(type_: str) -> clouds.Cloud | None:
    """The registered cloud whose provider package defines ``type_``: one of its SDKs
    (:attr:`~components.clouds.Cloud.tag_packages`) or the package of its cluster and pool types."""
    package = type_.split(":", 1)[0]
    return next(
        (
            c
            for c in clouds.all_clouds()
            if package in c.tag_packages or package in {t.split(":", 1)[0] for t in (*c.cluster_types, *c.pool_types)}
        ),
        None,
    )


def unknown_type(type_: str) -> str | None:
    """Why the pack cannot place a resource of ``type_`` (the ``resource-types-known`` finding), or None: a package of
    no registered cloud and not in :data:`NOT_CLOUD_PROVIDERS`, a Cluster API type, or a cluster or pool look-alike
    of a registered cloud that its registry entry does not list (:func:`kind`)."""
    package = type_.split(":", 1)[0]
    what = kind(type_)
    noun = {"cluster": "cluster", "pool": "node pool", None: ""}[what]
    if _cluster_api(type_):
        return (
            f"{type_} is a Cluster API {noun}: no cloud's policy module reads the infrastructure it makes; register "
            "that cloud and its policy module (components/clouds.py) before deploying it"
        )
    if package in NOT_CLOUD_PROVIDERS:
        return None
    cloud = owner(type_)
    if cloud is None:
        if what is not None:
            return (
                f"{type_} looks like a {noun} of provider {package}, which no registered cloud owns: register the "
                "cloud, its cluster and pool types and its policy module (components/clouds.py) before deploying it"
            )
        return (
            f"{type_}: provider {package} is of no registered cloud and not an allowed non-cloud provider, so no "
            "rule reads it: register its cloud and policy module (components/clouds.py), or override "
            "resource-types-known with a reason"
        )
    if what is not None and canonical(type_) not in (*cloud.cluster_types, *cloud.pool_types):
        return (
            f"{noun} type {type_} of cloud {cloud.name} is not read by the policy pack: list it in the cloud's "
            f"{what}_types (components/clouds.py) with its shares, or, if it is no {noun}, in not_clusters of "
            f"{cloud.policy or 'its policy module'}"
        )
    return None


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
    if _cluster_api(res.type):
        return (
            f"{res.type} is a Cluster API {noun}: no cloud's share of {rule} reads it; register that cloud and its "
            "policy module (components/clouds.py) before deploying it"
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
    if why := unknown_type(res.type):
        yield why


RULES = [
    Rule(
        name="resource-types-known",
        description=(
            "Every resource is of a registered cloud or an allowed non-cloud provider (kubernetes, pulumi, random, "
            "tls, command, std, mlplatform), no Cluster API object, and every type of a registered cloud whose class "
            "names a cluster or node pool is one its registry entry lists (the rules read it) or one its policy "
            "module lists as no cluster."
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
