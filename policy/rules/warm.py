"""Warm GPU capacity (components/platform/warm.py): the placeholder pods stay pre-emptible by every model.

Kubernetes, concepts/scheduling-eviction/pod-priority-preemption (kubernetes.io docs): "If a Pod cannot be
scheduled, the scheduler tries to preempt (evict) lower priority Pods"; only *lower* priorities are pre-empted, so a
model (priority 0, no class) pre-empts a placeholder only when the placeholder's priority is below 0. A pod without
``priorityClassName`` gets the global default's value, or 0 ("If there is no PriorityClass with globalDefault set,
the priority of Pods with no priorityClassName is zero"); a class with ``globalDefault: true`` "should be
considered as the default priority for pods that do not have any priority class" (scheduling.k8s.io/v1
PriorityClass API reference), so a placeholder class marked default would give every model the placeholders'
priority: none pre-empts another. ``preemptionPolicy: Never`` keeps the placeholders themselves from pre-empting
(API reference: "One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset"). The cluster
autoscaler starts no node for pods below ``--expendable-pods-priority-cutoff`` (default -10; kubernetes/autoscaler
cluster-autoscaler/FAQ.md, quoted in warm.py), so the value stays at -10 or above.

The placeholders run every GPU model's runtime image as pre-pull init containers and never call the API: they
mount no ServiceAccount token (CIS Kubernetes 5.1.6, "Ensure that Service Account Tokens are only mounted where
necessary"), like the models (``model-service-account``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_map, reading

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
PRIORITY_CLASS = "kubernetes:scheduling.k8s.io/v1:PriorityClass"
POOL_LABEL = "mlplatform.io/warm-capacity-pool"
"""The label every placeholder pod carries (components/platform/warm.py ``POOL_LABEL``; written out here so that a
slip there does not move the rule with it: tests/policy/test_policy_rev17b.py checks they agree)."""
LOWEST = -10
"""The lowest value the cluster autoscaler still starts nodes for (its default expendable cutoff)."""


def _placeholders(resources: Sequence[Resource]) -> Iterator[tuple[Resource, Mapping[str, Any]]]:
    for res in resources:
        if res.type != DEPLOYMENT:
            continue
        template = as_map(res.get("spec.template"))
        if POOL_LABEL in as_map(as_map(template.get("metadata")).get("labels")):
            yield res, as_map(template.get("spec"))


def _classes(resources: Sequence[Resource]) -> dict[str, Resource]:
    return {r.k8s_name: r for r in resources if r.type == PRIORITY_CLASS}


def _class_problems(name: str, pc: Resource | None) -> Iterator[str]:
    if pc is None:
        yield f"names PriorityClass {name}, which the plan does not create (priority 0: models cannot pre-empt it)"
        return
    value = pc.props.get("value")
    if value is not UNKNOWN and not (isinstance(value, int) and LOWEST <= value < 0):
        yield (
            f"PriorityClass {name} has value {value!r}: a model (priority 0) pre-empts only lower priorities, and the "
            f"cluster autoscaler ignores pods below {LOWEST}; give a value from {LOWEST} to -1"
        )
    default = pc.props.get("globalDefault")
    if default is not UNKNOWN and default not in (None, False):
        yield f"PriorityClass {name} is the cluster's globalDefault: every model gets the placeholders' priority"
    policy = pc.props.get("preemptionPolicy")
    if policy is not UNKNOWN and policy != "Never":
        yield f"PriorityClass {name} has preemptionPolicy {policy!r}: placeholders could pre-empt (give Never)"


def _warm(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    classes = _classes(resources)
    for res, pod in _placeholders(resources):
        who = f"warm-capacity Deployment {res.namespace}/{res.k8s_name}"
        name = pod.get("priorityClassName")
        if name is UNKNOWN:
            continue
        if not isinstance(name, str) or not name:
            yield Finding(res.urn, f"{who}: its pods name no PriorityClass (priority 0): models cannot pre-empt them")
        else:
            for problem in _class_problems(name, classes.get(name)):
                yield Finding(res.urn, f"{who}: {problem}")
        mount = pod.get("automountServiceAccountToken")
        if mount is not UNKNOWN and mount is not False:
            yield Finding(
                res.urn, f"{who}: its pods mount a ServiceAccount token (automountServiceAccountToken must be false)"
            )


RULES = [
    Rule(
        name="warm-capacity-preemptible",
        description=(
            "Warm-capacity placeholder pods name a PriorityClass of value -10 to -1, not the global default, "
            "preemptionPolicy Never, and mount no ServiceAccount token."
        ),
        enforcement="mandatory",
        area="gpu",
        applies_to=(DEPLOYMENT, PRIORITY_CLASS),
        check_stack=_warm,
        remediation="Keep components/platform/warm.py's PriorityClass and pod spec as shipped.",
        unknown=reading(
            {
                DEPLOYMENT: ("spec.template.metadata.labels.*", "spec.template.spec.priorityClassName"),
                PRIORITY_CLASS: ("value", "globalDefault", "preemptionPolicy"),
            }
        ),
    ),
]
