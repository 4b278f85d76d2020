"""The mlplatform policy rules: one registry, run by the CrossGuard pack and by ``mlplatform plan``.

``ALL_RULES`` is a plain list; a module adds its rules by appending (``ALL_RULES.extend(budget.RULES)``).
:func:`evaluate` runs every rule over a recorded plan with the stack's settings and returns the plan's
``policies`` entries: ``{"policy", "enforcement", "urn", "message", "passed"}`` (plus ``"reason"`` when the stack
overrides the rule's enforcement). A rule that finds nothing gives one passing entry (``urn`` None, the rule's
description as message); a rule the stack disabled gives one passing entry saying so; every finding is its own
failing entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from policy.rules import budget, cluster, gpu, kubernetes, models, tags
from policy.rules.base import (
    ENFORCEMENTS,
    UNKNOWN,
    Enforcement,
    Facts,
    Finding,
    Resource,
    Rule,
)

if TYPE_CHECKING:
    from components.plan.engine import PlanResult

__all__ = [
    "ALL_RULES",
    "ENFORCEMENTS",
    "UNKNOWN",
    "Facts",
    "Finding",
    "Override",
    "Resource",
    "Rule",
    "StackSettings",
    "evaluate",
    "resources_from_plan",
    "rule_names",
    "run_rules",
]

ALL_RULES: list[Rule] = [*cluster.RULES, *gpu.RULES, *tags.RULES, *kubernetes.RULES, *models.RULES, *budget.RULES]
"""Every rule, in the order the docs list them. Append to add rules."""

NAMESPACE = "mlplatform"


def rule_names() -> list[str]:
    """The names of every registered rule."""
    return [r.name for r in ALL_RULES]


@dataclass(frozen=True)
class Override:
    """A stack's change to one rule's enforcement, with the reason recorded in the plan."""

    enforcement: Enforcement
    reason: str


@dataclass(frozen=True)
class StackSettings:
    """The stack-level facts rules read plus the stack's per-rule overrides."""

    facts: Facts = field(default_factory=Facts)
    overrides: Mapping[str, Override] = field(default_factory=dict)

    @classmethod
    def from_config(cls, flat: Mapping[str, Any], namespace: str = NAMESPACE) -> StackSettings:
        """Settings from a stack's flat config (``mlplatform:key`` -> value or JSON text), as the plan records it.

        The program has validated the config already (infra/config.py); absent keys take the documented defaults.
        """

        def value(key: str) -> Any:
            raw = flat.get(f"{namespace}:{key}")
            if isinstance(raw, str) and raw[:1] in ("{", "["):
                try:
                    return json.loads(raw)
                except json.JSONDecodeError:
                    return None
            return raw

        def as_dict(v: Any) -> dict[str, Any]:
            return v if isinstance(v, dict) else {}

        policy = as_dict(value("policy"))
        cluster_cfg = as_dict(value("cluster"))
        defaults = Facts()
        required = policy.get("requiredTags", policy.get("required_tags", list(defaults.required_tags)))
        max_gpus = policy.get("maxGpus", policy.get("max_gpus", defaults.max_gpus))
        api = as_dict(cluster_cfg.get("apiAccess", cluster_cfg.get("api_access")))
        anonymous = set()
        for name, model in as_dict(value("models")).items():
            model = as_dict(model)
            access = as_dict(model.get("access"))
            if access.get("allowAnonymous", access.get("allow_anonymous")) is True:
                anonymous.add(f"{model.get('namespace', 'models')}/{name}")
        overrides = {
            str(rule): Override(str(as_dict(o).get("enforcement")), str(as_dict(o).get("reason", "")))  # type: ignore[arg-type]
            for rule, o in as_dict(policy.get("overrides")).items()
        }
        facts = Facts(
            environment=str(value("environment") or defaults.environment),
            required_tags=tuple(str(t) for t in required) if isinstance(required, list) else defaults.required_tags,
            max_gpus=int(max_gpus) if isinstance(max_gpus, int | str) and str(max_gpus).isdigit() else 64,
            allow_public_api=api.get("allowWorld", api.get("allow_world")) is True,
            anonymous_models=frozenset(anonymous),
        )
        return cls(facts, overrides)


def run_rules(
    resources: Sequence[Resource], settings: StackSettings | None = None, rules: Iterable[Rule] | None = None
) -> list[dict[str, Any]]:
    """Run ``rules`` (default: every rule) over ``resources``; the plan's ``policies`` entries."""
    settings = settings or StackSettings()
    out: list[dict[str, Any]] = []
    for rule in ALL_RULES if rules is None else rules:
        override = settings.overrides.get(rule.name)
        enforcement = override.enforcement if override else rule.enforcement
        extra = {"reason": override.reason} if override else {}
        if enforcement == "disabled":
            out.append(_entry(rule, enforcement, None, f"disabled on this stack: {extra['reason']}", True, extra))
            continue
        findings = rule.run(resources, settings.facts)
        if not findings:
            out.append(_entry(rule, enforcement, None, rule.description, True, extra))
        for f in findings:
            out.append(_entry(rule, enforcement, f.urn, f.message, False, extra))
    return out


def _entry(
    rule: Rule, enforcement: str, urn: str | None, message: str, passed: bool, extra: Mapping[str, str]
) -> dict[str, Any]:
    return {"policy": rule.name, "enforcement": enforcement, "urn": urn, "message": message, "passed": passed, **extra}


# ------------------------------------------------------------------------------------------------ the plan


def _props(value: Any) -> Any:
    """Recorded inputs as rules see them: secrets revealed (rules read them, never print them), unknowns kept."""
    from components.plan.engine import Secret

    if isinstance(value, Secret):
        return _props(value.value)
    if isinstance(value, dict):
        return {k: _props(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_props(v) for v in value]
    return value


def resources_from_plan(result: PlanResult) -> list[Resource]:
    """The plan's registrations as rules see them (wire-name inputs, protect, provider inputs)."""
    by_urn = {r.urn: r for r in result.resources}
    provider_props: dict[str, Any] = {}
    out = []
    for reg in result.resources:
        if reg.type.startswith("pulumi:providers:"):
            continue
        provider = by_urn.get(reg.provider_urn) if reg.provider_urn else None
        out.append(
            Resource(
                type=reg.type,
                name=reg.name,
                urn=reg.urn,
                props=_props(reg.inputs),
                protect=reg.protect,
                parent=reg.parent,
                provider_props=provider_props.setdefault(provider.urn, _props(provider.inputs)) if provider else {},
            )
        )
    return out


def evaluate(
    result: PlanResult, stack_settings: StackSettings | Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every rule over a recorded plan.

    ``stack_settings``: a :class:`StackSettings`, or the stack's flat config; default ``result.context["config"]``.
    """
    if stack_settings is None:
        stack_settings = result.context.get("config") or {}
    settings = (
        stack_settings if isinstance(stack_settings, StackSettings) else StackSettings.from_config(stack_settings)
    )
    return run_rules(resources_from_plan(result), settings)
