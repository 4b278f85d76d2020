"""The stack's monthly budget: the cost ceiling of the plan stays within ``mlplatform:budget`` (USD per month).

The ceiling is the cost estimate's ``ceiling`` total (every node pool at its maximum, on-demand prices, 730 hours):
what the stack can spend once its autoscalers are at their limits. Two rules share one check: ``budget`` is
mandatory and applies to prod stacks; ``budget-advisory`` warns on dev and staging stacks.

The rules read two facts that :class:`CostFacts` adds to the stack's facts: ``budget`` (from ``mlplatform:budget``; no
budget, nothing to check) and ``cost`` (the plan's cost estimate as JSON, see components/cost.py); ``mlplatform plan``
builds them with :func:`with_cost`. CrossGuard cannot see what the rules need (:data:`CROSSGUARD_BLIND`): the pack
marks both policies not applicable there instead of passing them.

A ceiling that leaves out unknown prices is a lower bound: it fails when it already exceeds the budget, and otherwise
cannot prove the stack fits, which is a finding too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policy.rules.base import Facts, Finding, Resource, Rule

PROD = "prod"


@dataclass(frozen=True)
class CostFacts(Facts):
    """The stack's facts plus ``budget`` (USD per month, None when not set) and ``cost`` (the plan's estimate JSON)."""

    budget: float | None = None
    cost: Mapping[str, Any] | None = None


def with_cost(
    facts: Facts, flat_config: Mapping[str, Any], cost: Mapping[str, Any] | None, namespace: str = "mlplatform"
) -> CostFacts:
    """``facts`` plus the stack's budget and the cost estimate.

    The budget is ``mlplatform:budget`` as :class:`infra.config.StackConfig` validates it (its own field definition:
    ``"1_000"`` or ``1000.0`` read the way the program reads them), one parse shared with the program. Raises
    :class:`components.errors.SpecError` for a value the stack file would refuse.
    """
    return with_budget(facts, validated_budget(flat_config.get(f"{namespace}:budget")), cost)


def validated_budget(raw: Any) -> float | None:
    """``mlplatform:budget`` (as the Pulumi CLI hands it: text or a number) through StackConfig's ``budget`` field."""
    from pydantic import ValidationError, create_model

    from components.errors import SpecError
    from infra.config import StackConfig, parse_raw

    if raw is None:
        return None
    info = StackConfig.model_fields["budget"]
    # StackConfig's own field definition, so the budget parses exactly as the program parses it
    only = create_model("BudgetOnly", budget=(info.annotation, info))  # type: ignore[call-overload,arg-type]
    value = parse_raw({"budget": raw})["budget"]
    try:
        budget: float | None = only.model_validate({"budget": value}).budget  # type: ignore[attr-defined]
    except ValidationError as e:
        raise SpecError("mlplatform:budget", raw, str(e.errors()[0]["msg"])) from None
    return budget


def with_budget(facts: Facts, budget: float | None, cost: Mapping[str, Any] | None) -> CostFacts:
    """``facts`` plus ``budget`` (USD per month, None for none) and the plan's cost estimate ``cost``."""
    base = {f.name: getattr(facts, f.name) for f in dataclasses.fields(Facts)}
    return CostFacts(**base, budget=budget, cost=cost)


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def check_budget(cost: Mapping[str, Any] | None, budget: float | None) -> list[str]:
    """Why the plan's monthly ceiling does not fit ``budget`` (an empty list when it does, or when no budget is set)."""
    if budget is None:
        return []
    total = ((cost or {}).get("totals") or {}).get("ceiling")
    if not isinstance(total, Mapping) or not isinstance(total.get("usd"), int | float):
        return [
            f"no cost estimate to check against mlplatform:budget {_usd(budget)}; plan the stack with mlplatform plan"
        ]
    ceiling, lower_bound = float(total["usd"]), bool(total.get("lowerBound"))
    if ceiling > budget:
        shown = ("at least " if lower_bound else "") + _usd(ceiling)
        return [
            f"the monthly cost ceiling {shown} (every pool at maxNodes) exceeds mlplatform:budget {_usd(budget)} by "
            f"{_usd(ceiling - budget)}; lower the pools' maxNodes, use smaller machines or raise the budget"
        ]
    if lower_bound:
        unknown = ", ".join(str(u) for u in (cost or {}).get("unknown") or []) or "some items"
        return [
            f"the monthly cost ceiling cannot be checked against mlplatform:budget {_usd(budget)}: prices unknown for "
            f"{unknown} (the known part is {_usd(ceiling)}); use machines with catalog prices or override this policy"
        ]
    return []


def _facts(facts: Facts) -> tuple[Mapping[str, Any] | None, float | None]:
    """The stack's cost estimate and budget (None, None when the facts carry neither)."""
    if isinstance(facts, CostFacts):
        return facts.cost, facts.budget
    return None, None


def _prod(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    if facts.environment == PROD:
        yield from (Finding(None, msg) for msg in check_budget(*_facts(facts)))


def _not_prod(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    if facts.environment != PROD:
        yield from (Finding(None, msg) for msg in check_budget(*_facts(facts)))


CROSSGUARD_BLIND = (
    "not evaluated under CrossGuard: the rule compares the plan's cost estimate (components/cost.py, computed by "
    "mlplatform plan over the recorded plan with the catalog's prices) with mlplatform:budget, and a stack policy "
    "receives neither (only the resources, the policy's config and the stack tags); gate the budget with "
    "mlplatform plan or mlplatform check PLAN.json"
)
"""Why the budget rules do not run in the CrossGuard pack. pulumi-policy 1.21.0 (the pinned version; policy.py)
gives a stack policy ``StackValidationArgs``: ``resources`` (each a ``PolicyResource`` with ``resource_type``,
``props``, ``urn``, ``name``, ``opts``, ``provider``, ``parent``, ``dependencies``, ``property_dependencies``),
``get_config()`` and ``stack_tags``; and ``not_applicable(reason)``, which "Marks the policy as not applicable". The
estimate is built by ``mlplatform plan`` (components/cost.py ``estimate`` over a ``PlanResult``, reading the cluster
components' registered outputs); the pack neither receives it nor builds it. Whether a stack policy's resources carry
the component outputs ``estimate`` reads was not checked: recomputing the estimate in the pack is left undone."""

RULES = [
    Rule(
        name="budget",
        description="On prod stacks the monthly cost ceiling (every pool at maxNodes) stays within mlplatform:budget.",
        enforcement="mandatory",
        area="cost",
        check_stack=_prod,
        remediation="lower the pools' maxNodes or raise mlplatform:budget",
        crossguard_blind=CROSSGUARD_BLIND,
    ),
    Rule(
        name="budget-advisory",
        description="On dev and staging stacks, a warning when the monthly cost ceiling exceeds mlplatform:budget.",
        enforcement="advisory",
        area="cost",
        check_stack=_not_prod,
        remediation="lower the pools' maxNodes or raise mlplatform:budget",
        crossguard_blind=CROSSGUARD_BLIND,
    ),
]
