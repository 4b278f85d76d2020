"""GPU node pools that a node autoscaler consolidates: voluntary disruption keeps its hands off running models.

Karpenter (pinned 1.14.x, design.md), aws/karpenter-provider-aws website/content/en/docs/concepts/disruption.md
(read at v1.11, the same sections at v1.14 on karpenter.sh/v1.14/concepts/disruption):

- ``consolidationPolicy`` "determines the pre-conditions for nodes to be considered consolidatable, and are
  ``WhenEmpty`` or ``WhenEmptyOrUnderutilized``. If a node has no running non-daemon pods, it is considered empty";
  with ``WhenEmptyOrUnderutilized`` "Karpenter will consider a node consolidatable when its ``consolidateAfter`` has
  been reached, empty or not", and deletes it when "all of its pods can run on free capacity of other nodes", which
  evicts them (the default when unset is ``WhenEmptyOrUnderutilized``). A GPU model at ``minReplicas`` 1 has no PDB
  (a PDB would block every drain, ``model-pdb``), so consolidation takes it down for a full GPU cold start.
- NodePool disruption budgets "will only block Karpenter from disrupting nodes voluntarily through drift, emptiness,
  and consolidation"; "If undefined, Karpenter will default to one budget with ``nodes: 10%``"; a percentage allows
  ``roundup(total * percentage)`` nodes, a number is "a static ceiling"; with several budgets "Karpenter will take
  the minimum value (most restrictive)"; a budget with ``reasons`` applies to those reasons only, one with
  ``schedule``/``duration`` only in its window. The platform's GPU pools keep one always-active budget of ``1``
  node for every reason (components/clusters/_karpenter.py ``node_pool``), so a drift (a new node image) replaces
  one GPU node at a time, never all of a model's at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

from policy.rules.base import UNKNOWN, Facts, Resource, Rule, as_list, as_map, reading

KARPENTER_POOL = "kubernetes:karpenter.sh/v1:NodePool"
GPU_RESOURCE = "nvidia.com/gpu"
CONSOLIDATE_EMPTY_ONLY = "WhenEmpty"
MAX_DISRUPTED_GPU_NODES = 1
DEFAULT_BUDGET = "10%"
"""Karpenter's budget when ``spec.disruption.budgets`` is undefined (disruption.md, "NodePool Disruption Budgets")."""
_PERCENT = re.compile(r"\A([0-9]+)%\Z")
_NUMBER = re.compile(r"\A[0-9]+\Z")


def budget_nodes(nodes: Any, max_nodes: int | None) -> int | None:
    """How many nodes a budget's ``nodes`` lets Karpenter disrupt at once, for a pool of at most ``max_nodes``
    (None when it cannot be bounded: a percentage of an unbounded pool, or a value Karpenter would refuse)."""
    text = str(nodes)
    if _NUMBER.fullmatch(text):
        return int(text)
    percent = _PERCENT.fullmatch(text)
    if percent and max_nodes is not None:
        return math.ceil(max_nodes * int(percent.group(1)) / 100)
    return None


def _is_gpu(res: Resource) -> bool:
    """A GPU NodePool: it limits or taints ``nvidia.com/gpu`` (components/clusters/_karpenter.py ``node_pool``)."""
    spec = as_map(res.get("spec.template.spec"))
    return GPU_RESOURCE in as_map(res.get("spec.limits")) or any(
        as_map(t).get("key") == GPU_RESOURCE for t in as_list(spec.get("taints"))
    )


def _always(budget: Mapping[str, Any]) -> bool:
    """A budget that is always active and applies to every reason."""
    return not budget.get("reasons") and "schedule" not in budget and "duration" not in budget


def _gpu_pool_disruption(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type != KARPENTER_POOL or not _is_gpu(res):
        return
    name = f"Karpenter NodePool {res.k8s_name}"
    disruption = as_map(res.get("spec.disruption"))
    policy = disruption.get("consolidationPolicy", "WhenEmptyOrUnderutilized")
    if policy is not UNKNOWN and policy != CONSOLIDATE_EMPTY_ONLY:
        yield (
            f"{name} consolidates with {policy}: Karpenter deletes GPU nodes that still run models (their pods "
            f"evicted, a GPU cold start each); keep {CONSOLIDATE_EMPTY_ONLY}"
        )
    budgets = disruption.get("budgets")
    if budgets is UNKNOWN:
        return
    listed = [as_map(b) for b in as_list(budgets)] or [{"nodes": DEFAULT_BUDGET}]
    limit = as_map(res.get("spec.limits")).get("nodes")
    max_nodes = int(limit) if isinstance(limit, int | str) and _NUMBER.fullmatch(str(limit)) else None
    bounds = [budget_nodes(b.get("nodes", DEFAULT_BUDGET), max_nodes) for b in listed if _always(b)]
    known = [n for n in bounds if n is not None]
    if any(b.get("nodes") is UNKNOWN for b in listed):
        return
    if not known or min(known) > MAX_DISRUPTED_GPU_NODES:
        shown = ", ".join(str(b.get("nodes", DEFAULT_BUDGET)) for b in listed)
        yield (
            f"{name} lets Karpenter disrupt more than {MAX_DISRUPTED_GPU_NODES} GPU node at once through drift, "
            f"emptiness or consolidation (budgets: {shown}; an always-active budget for every reason of at most "
            f'"{MAX_DISRUPTED_GPU_NODES}" is needed)'
        )


RULES = [
    Rule(
        name="gpu-pool-disruption",
        description=(
            "Karpenter GPU NodePools consolidate only empty nodes (WhenEmpty) and disrupt at most one node at a time "
            "(an always-active budget of 1)."
        ),
        enforcement="mandatory",
        area="gpu",
        applies_to=(KARPENTER_POOL,),
        check_resource=_gpu_pool_disruption,
        remediation=(
            'Keep spec.disruption.consolidationPolicy: WhenEmpty and budgets: [{nodes: "1"}] on every GPU NodePool.'
        ),
        unknown=reading({KARPENTER_POOL: ("spec.disruption.*", "spec.limits.nodes")}),
    ),
]
