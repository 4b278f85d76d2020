"""Each cloud's share of the generic rules, found through the cloud registry (components/clouds.py).

A generic rule (``secrets-encryption``, ``gpu-budget``, ``required-tags``...) says what must hold; how to read it
from a cloud's resources is that cloud's policy module (:attr:`components.clouds.Cloud.policy`, e.g.
``policy/clouds/<cloud>.py``), which gives a :class:`CloudPolicy`: per rule name a :class:`Part` (the types it judges,
its checks, the paths it reads), the rules that only concern that cloud, the resources that must be protected on
prod and the tag paths its SDK does not say.

Fail closed: a cluster or node pool the registry lists (:attr:`components.clouds.Cloud.cluster_types`,
:attr:`~components.clouds.Cloud.pool_types`) that no part of a rule judges is a finding of that rule
(:func:`unjudged`), and so is a resource of a provider the registry does not know whose type names a cluster or a
node pool (:func:`kind`): a fourth cloud's cluster never passes the rules unread.
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
        for part in parts(rule):
            if part.check is not None:
                yield from part.check(res, facts)

    return check


def check_stack(rule: str) -> Callable[[Sequence[Resource], Facts], Iterator[Finding]]:
    """A ``check_stack`` running every cloud's share of ``rule``."""

    def check(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
        for part in parts(rule):
            if part.stack is not None:
                yield from part.stack(resources, facts)

    return check


def unknown(rule: str) -> UnknownCheck:
    """An ``unknown`` hook over every cloud's share of ``rule`` (its :attr:`Part.reads`, then :attr:`Part.unknown`)."""

    def hook(res: Resource) -> str | None:
        for part in parts(rule):
            found = (reading(part.reads)(res) if part.reads else None) or (part.unknown and part.unknown(res))
            if found:
                return found
        return None

    return hook


def read(rule: str, res: Resource) -> Iterator[Any]:
    """What each cloud's share of ``rule`` reads of ``res`` (:attr:`Part.read`), when it has something to say."""
    for part in parts(rule):
        if part.read is not None and (value := part.read(res)) is not None:
            yield value


# ------------------------------------------------------------------------------------------------ fail closed

NOT_CLOUD_PROVIDERS = frozenset({"kubernetes", "pulumi", "random", "tls", "command", "std", "mlplatform"})
"""Type-token packages of no cloud: Kubernetes objects (a Karpenter ``NodePool`` is one, read by its cloud's part),
the engine's own (providers, stack references), utility providers and this project's components."""
Kind = Literal["cluster", "pool"]
LOOKS_LIKE: dict[Kind, re.Pattern[str]] = {
    "cluster": re.compile(r"(?i)([a-z]*cluster)"),
    "pool": re.compile(r"(?i)([a-z]*(node|agent|machine|worker)(pool|group|set)[a-z0-9]*)"),
}
"""The class part of a type token (after the last ``:``) that names a Kubernetes cluster or a node pool."""


def kind(type_: str) -> Kind | None:
    """``cluster`` or ``pool`` when ``type_`` is a registered cloud's cluster or node pool type, or, for a provider
    the registry does not know, when its class name says so (``acme:k8s/cluster:Cluster``,
    ``acme:compute/nodePool:NodePool``); None otherwise."""
    if type_ in clouds.cluster_types():
        return "cluster"
    if type_ in clouds.pool_types():
        return "pool"
    parts_ = type_.split(":")
    if len(parts_) != 3 or parts_[0] in NOT_CLOUD_PROVIDERS or owner(type_) is not None:
        return None
    cls = parts_[2]
    return next((k for k, pattern in LOOKS_LIKE.items() if pattern.fullmatch(cls)), None)


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


def unjudged(rule: str, res: Resource, kinds: tuple[Kind, ...] = ("cluster",)) -> str | None:
    """Why ``rule`` cannot pass ``res``: it is a cluster (or pool, with ``kinds``) that no cloud's share of the rule
    judges, of a registered cloud without that share or of a provider the registry does not know."""
    what = kind(res.type)
    if what not in kinds or res.type in judged_types(rule):
        return None
    noun = "cluster" if what == "cluster" else "node pool"
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


def with_own_rules(rules: Sequence[Rule]) -> list[Rule]:
    """``rules`` with each cloud's own rules listed after the rule they name (by name when several follow one)."""
    own = [(after, rule) for p in policies() for after, rule in p.rules]
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
