"""The CrossGuard side of the rules: one ``pulumi_policy`` policy per rule, and the pack config per stack.

A rule with a per-resource check becomes a ``ResourceValidationPolicy`` (it sees each resource's inputs); a rule
that relates resources becomes a ``StackValidationPolicy``. Stack facts (environment, required tags, GPU budget,
API opt-in, anonymous models) come from each policy's config, whose schema is :data:`CONFIG_SCHEMA`; write it for a
stack with ``python -m policy.rules config stacks/Pulumi.<stack>.yaml > policy-config.json`` and pass it as
``pulumi preview --policy-pack policy/ --policy-pack-config policy-config.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy.rules import (
    ALL_RULES,
    UNKNOWN,
    Facts,
    Resource,
    Rule,
    StackSettings,
    audiences_to_json,
    secrets_to_json,
)

PACK_NAME = "mlplatform-guardrails"

_DEFAULTS = Facts()
CONFIG_SCHEMA = PolicyConfigSchema(
    properties={
        "environment": {"type": "string", "enum": ["dev", "staging", "prod"], "default": _DEFAULTS.environment},
        "requiredTags": {"type": "array", "items": {"type": "string"}, "default": list(_DEFAULTS.required_tags)},
        "maxGpus": {"type": "integer", "minimum": 0, "default": _DEFAULTS.max_gpus},
        "allowPublicApi": {"type": "boolean", "default": False},
        "anonymousModels": {"type": "array", "items": {"type": "string"}, "default": []},
        "networkPolicy": {"type": "string", "enum": ["enforced", "not-enforced", "unknown"], "default": "unknown"},
        "modelSecrets": {"type": "object", "default": {}},
        "zones": {"type": ["integer", "null"], "minimum": 1, "default": None},
        "jwtAudiences": {"type": "object", "default": {}},
    }
)
"""The config every policy of the pack accepts (the stack's facts; see :class:`policy.rules.Facts`)."""


FACT_KEYS = (
    "environment", "requiredTags", "maxGpus", "allowPublicApi", "anonymousModels", "networkPolicy", "modelSecrets",
    "zones", "jwtAudiences",
)  # fmt: skip


def facts_from_pack_config(config: Mapping[str, Any]) -> Facts:
    """Stack facts from one policy's CrossGuard config (defaults for what is not given).

    Read through the same validation as the stack file and the saved plan (:meth:`StackSettings.from_json`, which
    validates ``requiredTags`` and ``maxGpus`` with infra.config's ``PolicySpec``): ``maxGpus: 8.0`` means 8 in all
    three places, and a value the stack file would refuse raises (the policy errors) instead of switching a rule off.
    """
    return StackSettings.from_json({k: config[k] for k in FACT_KEYS if k in config}).facts


def pack_config(settings: StackSettings, rules: Iterable[Rule] | None = None) -> dict[str, Any]:
    """The ``--policy-pack-config`` document for a stack: each policy's enforcement level and the stack facts."""
    f = settings.facts
    facts = {
        "environment": f.environment,
        "requiredTags": list(f.required_tags),
        "maxGpus": f.max_gpus,
        "allowPublicApi": f.allow_public_api,
        "anonymousModels": sorted(f.anonymous_models),
        "networkPolicy": f.network_policy,
        "modelSecrets": secrets_to_json(f.model_secrets),
        "zones": f.zones,
        "jwtAudiences": audiences_to_json(f.jwt_audiences),
    }
    out: dict[str, Any] = {}
    for rule in ALL_RULES if rules is None else rules:
        override = settings.overrides.get(rule.name)
        # a blank reason changes nothing, as in the plan
        level = override.enforcement if override is not None and override.applies else rule.enforcement
        out[rule.name] = {"enforcementLevel": level, **facts}
    return out


def plain(value: Any) -> Any:
    """CrossGuard props (unknown-checking and secret proxies) as plain values with :data:`UNKNOWN` markers."""
    from pulumi_policy.proxy import _DictProxy, _is_unknown, _ListProxy
    from pulumi_policy.secret import Secret

    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, _DictProxy):
        return plain(value["__target"])
    if isinstance(value, _ListProxy):
        return plain(value["__target"])
    if isinstance(value, Mapping):
        return {k: plain(value[k]) for k in value}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if _is_unknown(value):
        return UNKNOWN
    return value


def _resource(
    type_: str,
    name: str,
    urn: str,
    props: Any,
    protect: bool,
    parent: Any,
    provider: Any,
    depends_on: tuple[str, ...] = (),
) -> Resource:
    return Resource(
        type=type_,
        name=name,
        urn=urn,
        props=plain(props),
        protect=bool(protect),
        parent=getattr(parent, "urn", parent if isinstance(parent, str) else None),
        provider_props=plain(provider.props) if provider is not None else {},
        depends_on=depends_on,
    )


def resource_of(args: ResourceValidationArgs) -> Resource:
    """A CrossGuard resource validation's resource as rules see it."""
    return _resource(
        args.resource_type, args.name, args.urn, args.props, args.opts.protect, args.opts.parent, args.provider
    )


def _resource_validation(rule: Rule) -> Callable[[ResourceValidationArgs, Callable[..., None]], None]:
    check = rule.check_resource
    assert check is not None

    def validate(args: ResourceValidationArgs, report: Callable[..., None]) -> None:
        facts = facts_from_pack_config(args.get_config())
        for message in check(resource_of(args), facts):
            report(message)

    return validate


def _depends_on(r: Any) -> tuple[str, ...]:
    """The URNs a CrossGuard stack resource waits on: its ``dependencies`` and ``property_dependencies`` (pulumi-policy
    fills both from the engine's AnalyzerResource before a stack policy runs; pulumi_policy/policy.py)."""
    urns = {d.urn for d in (getattr(r, "dependencies", None) or [])}
    for deps in (getattr(r, "property_dependencies", None) or {}).values():
        urns.update(d.urn for d in deps)
    return tuple(sorted(urns))


def _stack_validation(rule: Rule) -> Callable[[StackValidationArgs, Callable[..., None]], None]:
    def validate(args: StackValidationArgs, report: Callable[..., None]) -> None:
        if rule.crossguard_blind:
            # pulumi-policy 1.21.0 policy.py StackValidationArgs.not_applicable: "Marks the policy as not
            # applicable" (raises; the analyzer reports it in the response's not_applicable list, not as a pass)
            args.not_applicable(rule.crossguard_blind)
        facts = facts_from_pack_config(args.get_config())
        resources = [
            _resource(r.resource_type, r.name, r.urn, r.props, r.opts.protect, r.parent, r.provider, _depends_on(r))
            for r in args.resources
        ]
        for finding in rule.run(resources, facts):
            report(finding.message, finding.urn)

    return validate


def build_policies(rules: Iterable[Rule] | None = None) -> list[Policy]:
    """One CrossGuard policy per rule (default: every registered rule)."""
    out: list[Policy] = []
    for rule in ALL_RULES if rules is None else rules:
        level = EnforcementLevel(rule.enforcement)
        common: dict[str, Any] = {
            "name": rule.name,
            "description": rule.description,
            "enforcement_level": level,
            "config_schema": CONFIG_SCHEMA,
        }
        if rule.remediation:
            common["remediation_steps"] = rule.remediation
        if rule.check_stack is not None:
            out.append(StackValidationPolicy(validate=_stack_validation(rule), **common))
        else:
            out.append(ResourceValidationPolicy(validate=_resource_validation(rule), **common))
    return out
