"""GPU pool rules: every GPU pool tainted and labelled, and all pools together within the stack's GPU budget.

Which resources are GPU pools, and how to read their taints, labels and sizes, each cloud's policy module says (its
``gpu-pools`` share, :attr:`policy.rules.percloud.Part.read`, giving the :class:`Pool` list of a resource). A
cluster or node pool no share reads fails both rules. GPU counts per machine come from the accelerator catalog
(components/catalog.yaml).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from policy.rules import percloud
from policy.rules.base import Facts, Finding, Resource, Rule, as_list, as_map

ACCELERATOR_LABEL = "mlplatform.io/accelerator"
POOL_LABEL = "mlplatform.io/pool"
GPU_RESOURCE = "nvidia.com/gpu"
GPU_TAINT = ("nvidia.com/gpu", "present", "NoSchedule")

_EFFECT = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


@cache
def _catalog() -> dict[str, int]:
    """GPUs per machine type, from the accelerator catalog (empty when the project is not importable)."""
    try:
        from components import catalog
    except ImportError:  # pragma: no cover - the pack's venv is the project's (policy/PulumiPolicy.yaml)
        return {}
    return {m.instance_type: m.gpus for m in catalog.machines()}


def gpus_of(instance_type: Any) -> int:
    """GPUs on one machine of ``instance_type`` (0 when it is not a GPU machine in the catalog)."""
    return _catalog().get(instance_type, 0) if isinstance(instance_type, str) else 0


@dataclass(frozen=True)
class Pool:
    """A GPU pool found in a resource: its taints (Kubernetes spelling), labels, GPUs per node, max nodes."""

    resource: Resource
    label: str
    taints: tuple[tuple[str, str, str], ...]
    labels: Mapping[str, Any]
    gpus_per_node: int | None
    max_nodes: int | None
    max_gpus: int | None = None  # a direct cap (Karpenter limits), when the pool states one
    note: str = ""


def int_of(value: Any) -> int | None:
    """A count as a plan records it (an int, a whole float or a string of digits), or None (a bool, unknown, other);
    for the clouds' gpu-pools shares (policy/clouds/)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value, re.ASCII):
        return int(value)
    return None


def taints_of_list(value: Any) -> tuple[tuple[str, str, str], ...]:
    """(key, value, effect) of each taint in a list of ``{key, value, effect}`` maps or ``"key=value:Effect"``
    strings (effects in Kubernetes' spelling); for the clouds' gpu-pools shares (policy/clouds/)."""
    out = []
    for t in as_list(value):
        if isinstance(t, Mapping):
            effect = str(t.get("effect", ""))
            out.append((str(t.get("key", "")), str(t.get("value", "")), _EFFECT.get(effect, effect)))
        elif isinstance(t, str):  # AKS: "key=value:Effect"
            m = re.fullmatch(r"([^=:]+)(?:=([^:]*))?:(\w+)", t, re.ASCII)
            if m:
                out.append((m[1], m[2] or "", m[3]))
    return tuple(out)


def taints_of_map(value: Any) -> tuple[tuple[str, str, str], ...]:
    """(key, value, effect) of each taint in a ``{key: {value, effect}}`` map (pulumi-eks NodeGroupV2's spelling);
    for the clouds' gpu-pools shares (policy/clouds/)."""
    return tuple(
        (str(k), str(as_map(v).get("value", "")), str(as_map(v).get("effect", ""))) for k, v in as_map(value).items()
    )


def gpu_pools(res: Resource) -> list[Pool]:
    """The GPU pools ``res`` declares (none for a resource that is not a node pool), read by its cloud's share."""
    return [pool for pools in percloud.read("gpu-pools", res) for pool in pools]


def unread_cluster(res: Resource) -> str | None:
    """Why the GPU rules cannot judge ``res``: a cluster or node pool (of a registered cloud, or of a provider the
    registry does not know) whose pools no cloud's ``gpu-pools`` share reads, or one whose share says it makes nodes
    no pool object declares (:attr:`policy.rules.percloud.Part.unread`)."""
    if why := percloud.unread("gpu-pools", res):
        return f"the GPU rules cannot read all the nodes of {res.type} {res.name}: {why}"
    if percloud.unjudged("gpu-pools", res, ("cluster", "pool")) is None:
        return None
    return (
        f"the GPU rules cannot read the node pools of a {res.type} (no gpu-pools share of its cloud's policy module "
        "reads it): teach it this cloud's pool types before its GPU pools can pass"
    )


def _tainted_and_labelled(res: Resource, facts: Facts) -> Iterator[str]:
    unread = unread_cluster(res)
    if unread:
        yield unread
    for pool in gpu_pools(res):
        if GPU_TAINT not in pool.taints:
            yield f"{pool.label} has no taint {GPU_TAINT[0]}={GPU_TAINT[1]}:{GPU_TAINT[2]}: CPU pods would land on GPUs"
        missing = [k for k in (ACCELERATOR_LABEL, POOL_LABEL) if not pool.labels.get(k)]
        if missing:
            yield f"{pool.label} lacks node label(s) {', '.join(missing)}: models cannot select it"


def pool_gpus(pool: Pool) -> int | None:
    """The most GPUs ``pool`` can bring up, or None when it is unbounded or cannot be computed."""
    if pool.max_gpus is not None:
        return pool.max_gpus
    if pool.max_nodes is None or pool.gpus_per_node is None:
        return None
    return pool.max_nodes * pool.gpus_per_node


def _budget(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    total = 0
    parts = []
    for res in resources:
        unread = unread_cluster(res)
        if unread:
            yield Finding(res.urn, unread)
        for pool in gpu_pools(res):
            n = pool_gpus(pool)
            if n is None:
                why = pool.note or "its max nodes or GPUs per node are not known"
                yield Finding(res.urn, f"{pool.label}: GPU capacity cannot be bounded ({why})")
                continue
            total += n
            parts.append(f"{pool.label} {n}")
    if total > facts.max_gpus:
        yield Finding(
            None,
            f"GPU pools can grow to {total} GPUs ({', '.join(parts)}), over this stack's budget of "
            f"{facts.max_gpus} (policy.maxGpus)",
        )


RULES = [
    Rule(
        name="gpu-pool-taint-label",
        description="Every GPU pool carries the nvidia.com/gpu=present:NoSchedule taint and mlplatform.io labels.",
        enforcement="mandatory",
        area="gpu",
        check_resource=_tainted_and_labelled,
        unknown=percloud.unknown("gpu-pools"),
    ),
    Rule(
        name="gpu-budget",
        description="The GPU pools' max sizes (max nodes x GPUs per node) fit the stack's GPU budget (maxGpus).",
        enforcement="mandatory",
        area="gpu",
        check_stack=_budget,
        unknown=percloud.unknown("gpu-pools"),
    ),
]
