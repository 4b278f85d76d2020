"""The mlplatform policy rules: one registry, run by the CrossGuard pack and by ``mlplatform plan``.

``ALL_RULES`` is a plain list; a module adds its rules by appending (``ALL_RULES.extend(budget.RULES)``).
:func:`evaluate` runs every rule over a recorded plan with the stack's settings and returns the plan's
``policies`` entries: ``{"policy", "enforcement", "urn", "message", "passed"}`` (plus ``"reason"`` when the stack
overrides the rule's enforcement, and ``"unchecked"`` on a passing entry when some document the rule reads is known
only after deploy: the rule did not judge it, and says which). A rule that finds nothing gives one passing entry
(``urn`` None, the rule's description as message); a rule the stack disabled gives one passing entry saying so;
every finding is its own failing entry. An override whose reason is blank (fewer than ten visible characters:
zero-width spaces and other invisible characters do not count) is not applied (the message says so).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from components.errors import show_key, visible_length
from policy.rules import (
    alerts,
    audiences,
    budget,
    cluster,
    coldpulls,
    disk,
    disruption,
    gpu,
    iam,
    identity,
    images,
    ingress,
    kubernetes,
    llm,
    mesh,
    models,
    network,
    nodefit,
    nodepools,
    paths,
    percloud,
    pipeline,
    requestlog,
    serverports,
    sharedpools,
    slipguards,
    tags,
    timeouts,
    warm,
)
from policy.rules.base import (
    ENFORCEMENTS,
    UNKNOWN,
    DeclaredSecrets,
    Enforcement,
    Facts,
    Finding,
    Resource,
    Rule,
    SecretEnvRef,
)

if TYPE_CHECKING:
    from components.records import PlanResult
    from components.serving.pipeline_spec import PipelineSpec
    from components.serving.spec import ModelSpec
    from infra.config import StackConfig

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
    "rules_called",
    "run_rules",
    "validated_config",
]

ALL_RULES: list[Rule] = percloud.finish(
    [
        *cluster.RULES,
        *identity.RULES,
        *requestlog.RULES,
        *iam.RULES,
        *gpu.RULES,
        *disruption.RULES,
        *nodepools.RULES,
        *nodefit.RULES,
        *serverports.RULES,
        *warm.RULES,
        *disk.RULES,
        *sharedpools.RULES,
        *tags.RULES,
        *kubernetes.RULES,
        *images.RULES,
        *models.RULES,
        *alerts.RULES,
        *llm.RULES,
        *timeouts.RULES,
        *coldpulls.RULES,
        *pipeline.RULES,
        *mesh.RULES,
        *ingress.RULES,
        *audiences.RULES,
        *network.RULES,
        *paths.RULES,
        *budget.RULES,
        *slipguards.RULES,
    ]
)
"""Every rule, in the order the docs list them (each cloud's own rules after the rule they name, its shares in the
descriptions: :func:`policy.rules.percloud.finish`). Append to add rules."""

NAMESPACE = "mlplatform"
SETTINGS_KEY = "policySettings"
"""Where :func:`evaluate` leaves the settings it used in the plan's context (the plan JSON's ``settings``)."""


def rule_names() -> list[str]:
    """The names of every registered rule."""
    return [r.name for r in ALL_RULES]


REASON_MIN = 10
"""The visible characters an override's reason needs (infra.config.PolicyOverride refuses fewer)."""


@dataclass(frozen=True)
class Override:
    """A stack's change to one rule's enforcement, with the reason recorded in the plan."""

    enforcement: Enforcement
    reason: str

    @property
    def applies(self) -> bool:
        """Whether the override takes effect: a reason of fewer than :data:`REASON_MIN` visible characters (blank, or
        zero-width spaces and other invisible characters: components.errors.visible_length, the count the stack
        file's validation uses) never changes a rule (the rule keeps its level)."""
        return visible_length(self.reason) >= REASON_MIN


@dataclass(frozen=True)
class StackSettings:
    """The stack-level facts rules read, the stack's per-rule overrides and its monthly budget (USD, or None).

    Built from the validated stack config (:meth:`from_stack_config`), never from the raw text: the plan, the
    CrossGuard pack config and ``mlplatform check`` all read the values :class:`infra.config.StackConfig` accepted.
    """

    facts: Facts = field(default_factory=Facts)
    overrides: Mapping[str, Override] = field(default_factory=dict)
    budget: float | None = None
    models: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per declared model (``namespace/name``), the objects the program renders for it (:func:`model_objects`):
    ``mlplatform check`` fails a saved plan that lacks one (a rule iterating resources would pass vacuously)."""
    pipelines: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per declared pipeline (``namespace/name``), the objects the program renders for it (:func:`pipeline_objects`),
    required by ``mlplatform check`` as :attr:`models` are."""

    @classmethod
    def from_stack_config(cls, cfg: StackConfig) -> StackSettings:
        """Settings from a validated stack config (infra/config.py)."""
        anonymous = frozenset(
            f"{m.namespace}/{name}" for name, m in cfg.models.items() if m.access.allow_anonymous is True
        )
        facts = Facts(
            environment=cfg.environment,
            required_tags=tuple(cfg.policy.required_tags),
            max_gpus=cfg.policy.max_gpus,
            allow_public_api=cfg.cluster.api_access.allow_world,
            anonymous_models=anonymous,
            network_policy=network_policy_fact(cfg),
            model_secrets=declared_secrets(cfg),
            zones=zones_fact(cfg),
            jwt_audiences=declared_audiences(cfg),
            image_caches=image_caches_fact(cfg),
            gpu_capacity=gpu_capacity_fact(cfg),
            control_plane_tier=control_plane_tier_fact(cfg),
            request_log_store=request_log_store_fact(cfg),
        )
        overrides = {k: Override(o.enforcement, o.reason) for k, o in cfg.policy.overrides.items()}
        models = {f"{m.namespace}/{name}": model_objects(name, m) for name, m in sorted(cfg.models.items())}
        pipelines = {f"{p.namespace}/{name}": pipeline_objects(name, p) for name, p in sorted(cfg.pipelines.items())}
        return cls(facts, overrides, cfg.budget, models, pipelines)

    @classmethod
    def from_config(
        cls, flat: Mapping[str, Any], namespace: str = NAMESPACE, stack_file: str = "stack config"
    ) -> StackSettings:
        """Settings from a stack's flat config (``namespace:key`` -> value or JSON text), as the plan records it.

        The config goes through the same validation as the program (:func:`validated_config`); a config with no
        key in ``namespace`` gives the documented defaults. Raises :class:`components.errors.SpecError` (one line)
        for a config the program would refuse.
        """
        cfg = validated_config(flat, namespace, stack_file)
        return cls() if cfg is None else cls.from_stack_config(cfg)

    def to_json(self) -> dict[str, Any]:
        """What ``mlplatform plan --json`` records per stack under ``settings`` (read back by :meth:`from_json`)."""
        f = self.facts
        return {
            "environment": f.environment,
            "requiredTags": list(f.required_tags),
            "maxGpus": f.max_gpus,
            "allowPublicApi": f.allow_public_api,
            "anonymousModels": sorted(f.anonymous_models),
            "networkPolicy": f.network_policy,
            "budget": self.budget,
            "overrides": {k: {"enforcement": o.enforcement, "reason": o.reason} for k, o in self.overrides.items()},
            "models": {k: list(v) for k, v in self.models.items()},
            "pipelines": {k: list(v) for k, v in self.pipelines.items()},
            "modelSecrets": secrets_to_json(f.model_secrets),
            "zones": f.zones,
            "jwtAudiences": audiences_to_json(f.jwt_audiences),
            "imageCaches": None if f.image_caches is None else [[a, list(i)] for a, i in f.image_caches],
            "gpuCapacity": None if f.gpu_capacity is None else [list(e) for e in f.gpu_capacity],
            "controlPlaneTier": f.control_plane_tier,
            "requestLogStore": None
            if f.request_log_store is None
            else {"prefix": f.request_log_store[0], "retentionDays": f.request_log_store[1]},
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> StackSettings:
        """Settings from a saved plan's ``settings``; validated like the stack file's ``policy`` (one line on error).

        Raises :class:`components.errors.SpecError` naming the key when a value is not what the stack file accepts.
        """
        from pydantic import ValidationError

        from components.errors import SpecError
        from components.spec import SpecInvalid, format_validation_error, validate_as
        from infra.config import PolicySpec

        if not isinstance(doc, Mapping):
            raise SpecError("settings", doc, "give the map mlplatform plan --json writes")
        known = {
            "environment", "requiredTags", "maxGpus", "allowPublicApi", "anonymousModels", "networkPolicy", "budget",
            "overrides", "models", "pipelines", "modelSecrets", "zones", "jwtAudiences",
            "imageCaches", "gpuCapacity", "controlPlaneTier", "requestLogStore",
        }  # fmt: skip
        extra = sorted(set(doc) - known)
        if extra:
            raise SpecError(f"settings.{extra[0]}", doc[extra[0]], f"unknown key; accepted: {', '.join(sorted(known))}")
        try:
            # validate_as raises pydantic's error (PolicySpec.model_validate would give a line naming the Python
            # class): formatted here with the key path as the saved plan spells it, e.g. ``settings.maxGpus``
            policy: PolicySpec = validate_as(
                PolicySpec,
                {
                    "requiredTags": doc.get("requiredTags", list(Facts().required_tags)),
                    "maxGpus": doc.get("maxGpus", Facts().max_gpus),
                    "overrides": doc.get("overrides", {}),
                },
            )
        except ValidationError as e:
            raise SpecInvalid(format_validation_error(e, "settings.", PolicySpec)) from None
        env = doc.get("environment", "dev")
        if env not in ("dev", "staging", "prod"):
            raise SpecError("settings.environment", env, "give one of dev, staging, prod")
        budget = doc.get("budget")
        if budget is not None and (
            isinstance(budget, bool) or not isinstance(budget, int | float) or not 0 < budget < float("inf")
        ):
            raise SpecError("settings.budget", budget, "give a number > 0, or null")
        allow = doc.get("allowPublicApi", False)
        anonymous = doc.get("anonymousModels", [])
        if not isinstance(allow, bool):
            raise SpecError("settings.allowPublicApi", allow, "give true or false")
        if not isinstance(anonymous, list) or not all(isinstance(a, str) for a in anonymous):
            raise SpecError("settings.anonymousModels", anonymous, "give a list of namespace/name strings")
        # a plan saved before the key existed says nothing about the cluster: unknown (the advisory rule warns)
        netpol = doc.get("networkPolicy", "unknown")
        if netpol not in NETWORK_POLICY_STATES:
            raise SpecError("settings.networkPolicy", netpol, f"give one of {', '.join(NETWORK_POLICY_STATES)}")
        zones = doc.get("zones")
        if zones is not None and (isinstance(zones, bool) or not isinstance(zones, int) or zones < 1):
            raise SpecError("settings.zones", zones, "give a whole number of zones >= 1, or null")
        declared_by: dict[str, dict[str, tuple[str, ...]]] = {}
        for key in ("models", "pipelines"):
            given = doc.get(key, {})
            if not isinstance(given, Mapping) or not all(
                isinstance(k, str) and isinstance(v, list) and all(isinstance(o, str) for o in v)
                for k, v in given.items()
            ):
                raise SpecError(
                    f"settings.{key}", given, "give a map of namespace/name to the Kind/namespace/name list"
                )
            declared_by[key] = {k: tuple(v) for k, v in given.items()}
        facts = Facts(
            env,
            tuple(policy.required_tags),
            policy.max_gpus,
            allow,
            frozenset(anonymous),
            netpol,
            secrets_from_json(doc.get("modelSecrets", {})),
            zones,
            audiences_from_json(doc.get("jwtAudiences", {})),
            image_caches_from_json(doc.get("imageCaches")),
            gpu_capacity_from_json(doc.get("gpuCapacity")),
            control_plane_tier_from_json(doc.get("controlPlaneTier")),
            request_log_store_from_json(doc.get("requestLogStore")),
        )
        overrides = {k: Override(o.enforcement, o.reason) for k, o in policy.overrides.items()}
        for key, declared in declared_by.items():
            for k, v in declared.items():
                if not _MODEL_KEY.fullmatch(k):
                    raise SpecError(f"settings.{key}.{show_key(k)}", k, "give namespace/name (lowercase)")
                wrong = next((o for o in v if not _OBJECT_KEY.fullmatch(o)), None)
                if wrong is not None:
                    raise SpecError(f"settings.{key}.{show_key(k)}", wrong, "give each object as Kind/namespace/name")
        budget_ = None if budget is None else float(budget)
        return cls(facts, overrides, budget_, declared_by["models"], declared_by["pipelines"])


def model_objects(name: str, spec: ModelSpec) -> tuple[str, ...]:
    """The objects the program renders for model ``name`` (each ``Kind/namespace/name``; a Namespace has no
    namespace part), as components/serving/model_service.py ``ModelService`` and components/serving/namespace.py
    ``create_namespace`` (called per namespace by infra/program.py when ``createNamespace``) name them: the
    InferenceService ``<name>``; ``<name>-sa`` ServiceAccount, ``<name>-authz`` AuthorizationPolicy, ``<name>-netpol``
    NetworkPolicy; ``<name>-jwt`` RequestAuthentication for a public model with ``access.jwt``
    (components/serving/_auth.py ``request_authentication``); ``<name>-pdb`` PodDisruptionBudget when
    ``minReplicas`` >= 2; with ``createNamespace``, the Namespace and its PeerAuthentication ``default``."""
    return _served_objects("InferenceService", f"{name}-sa", name, spec)


def pipeline_objects(name: str, spec: PipelineSpec) -> tuple[str, ...]:
    """The objects the program renders for pipeline ``name``, as components/serving/pipeline.py ``Pipeline`` names
    them: the InferenceGraph ``<name>``; ``<name>-router`` ServiceAccount, ``<name>-authz`` AuthorizationPolicy,
    ``<name>-netpol`` NetworkPolicy; ``<name>-jwt`` RequestAuthentication for a public pipeline with ``access.jwt``;
    ``<name>-pdb`` PodDisruptionBudget when ``minReplicas`` >= 2; with ``createNamespace``, the Namespace and its
    PeerAuthentication ``default`` (infra/program.py creates one per namespace)."""
    return _served_objects("InferenceGraph", f"{name}-router", name, spec)


def _served_objects(kind: str, service_account: str, name: str, spec: ModelSpec | PipelineSpec) -> tuple[str, ...]:
    """What a model and a pipeline both render: the ``kind`` object, its ServiceAccount, ``-authz``, ``-netpol``,
    ``-jwt`` for public JWT access, ``-pdb`` from 2 replicas, and the namespace with its PeerAuthentication."""
    ns = spec.namespace
    out = [
        f"{kind}/{ns}/{name}",
        f"ServiceAccount/{ns}/{service_account}",
        f"AuthorizationPolicy/{ns}/{name}-authz",
        f"NetworkPolicy/{ns}/{name}-netpol",
    ]
    if spec.access.mode == "public" and spec.access.jwt is not None:
        out.append(f"RequestAuthentication/{ns}/{name}-jwt")
    if spec.scaling.min_replicas >= 2:
        out.append(f"PodDisruptionBudget/{ns}/{name}-pdb")
    if spec.create_namespace:
        out += [f"Namespace/{ns}", f"PeerAuthentication/{ns}/default"]
    return tuple(out)


NETWORK_POLICY_STATES = ("enforced", "not-enforced", "unknown")

_DNS = r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?"
_MODEL_KEY = re.compile(f"{_DNS}/{_DNS}")
"""A declared model in a saved plan's ``settings.models``: ``namespace/name``, Kubernetes object names (RFC 1123,
kubernetes.io/docs/concepts/overview/working-with-objects/names/), as :meth:`StackSettings.from_stack_config`
writes them."""
_OBJECT_KEY = re.compile(f"[A-Z][A-Za-z]*/{_DNS}(/{_DNS})?")
"""An object of :func:`model_objects`: ``Kind/namespace/name`` (``Kind/name`` for a Namespace)."""


def network_policy_fact(cfg: StackConfig) -> str:
    """Whether the stack's cluster enforces NetworkPolicy: ``enforced`` on every managed cloud (each is built with a
    plugin that enforces it: components/clusters/_common.py ``network_policy_enforced``; the mandatory
    ``cluster-network-policy`` reads it back from the cluster resources, so a slip there fails the plan), else the
    existing cluster's ``cluster.existing.networkPolicy`` (default ``unknown``: components/clusters/spec.py)."""
    from components import clouds

    if clouds.get(cfg.cloud).managed:
        return "enforced"
    existing = cfg.cluster.existing
    return existing.network_policy if existing is not None else "unknown"


def zones_fact(cfg: StackConfig) -> int | None:
    """How many zones the stack's nodes must span: ``cluster.zones`` (components/clusters/spec.py, 2 or 3, default 3)
    where the package builds the cluster, None on an existing one (its ``cluster.existing.zones`` is only reported)."""
    from components import clouds

    return cfg.cluster.zones if clouds.get(cfg.cloud).managed else None


def image_caches_fact(cfg: StackConfig) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """Per GPU pool, its accelerator and ``imageCache.images`` (components/clusters/spec.py), where the package builds
    the cluster; None on an existing one (its pools are not the stack's to say)."""
    from components import clouds

    if not clouds.get(cfg.cloud).managed:
        return None
    return tuple(
        (p.accelerator, tuple(p.image_cache.images) if p.image_cache else ())
        for _, p in sorted(cfg.cluster.gpu_pools.items())
    )


def image_caches_from_json(doc: Any) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """:attr:`Facts.image_caches` from a saved plan's ``settings.imageCaches`` (absent or null: not known)."""
    from components.errors import SpecError

    if doc is None:
        return None
    if not isinstance(doc, list) or not all(
        isinstance(e, list)
        and len(e) == 2
        and isinstance(e[0], str)
        and isinstance(e[1], list)
        and all(isinstance(i, str) for i in e[1])
        for e in doc
    ):
        raise SpecError("settings.imageCaches", doc, "give a list of [accelerator, [image, ...]] pairs, or null")
    return tuple((e[0], tuple(e[1])) for e in doc)


GPU_CAPACITY = ("spot", "on-demand")


def gpu_capacity_fact(cfg: StackConfig) -> tuple[tuple[str, str], ...] | None:
    """Per GPU pool, ``spot`` or ``on-demand`` as its ``spot`` key says (components/clusters/spec.py: "Run the pool on
    spot (preemptible) capacity instead of on-demand"), where the package builds the cluster; None on an existing
    one."""
    from components import clouds

    if not clouds.get(cfg.cloud).managed:
        return None
    return tuple(
        (name, GPU_CAPACITY[0] if p.spot else GPU_CAPACITY[1]) for name, p in sorted(cfg.cluster.gpu_pools.items())
    )


def gpu_capacity_from_json(doc: Any) -> tuple[tuple[str, str], ...] | None:
    """:attr:`Facts.gpu_capacity` from a saved plan's ``settings.gpuCapacity`` (absent or null: not known)."""
    from components.errors import SpecError

    if doc is None:
        return None
    if not isinstance(doc, list) or not all(
        isinstance(e, list) and len(e) == 2 and isinstance(e[0], str) and e[1] in GPU_CAPACITY for e in doc
    ):
        raise SpecError("settings.gpuCapacity", doc, "give a list of [pool, spot|on-demand] pairs, or null")
    return tuple((e[0], e[1]) for e in doc)


CONTROL_PLANE_TIERS = ("free", "standard", "premium")
"""components/clusters/spec.py ``AzureClusterSpec.tier``."""


def control_plane_tier_fact(cfg: StackConfig) -> str | None:
    """The control-plane tier the stack asks for where the package builds the cluster: the ``tier`` of the cloud's
    own settings (:attr:`components.clouds.Cloud.spec_field`; AKS's ``cluster.azure.tier``, its default when the
    section is absent, as components/clusters/aks.py reads ``spec.azure or AzureSpec()``); None for a cloud whose
    settings have no tier (EKS, GKE) or an existing cluster."""
    import typing

    from components import clouds

    cloud = clouds.get(cfg.cloud)
    if not cloud.managed or cloud.spec_field is None:
        return None
    own = getattr(cfg.cluster, cloud.spec_field, None)
    if own is not None:
        tier = getattr(own, "tier", None)
        return None if tier is None else str(tier)
    declared = type(cfg.cluster).model_fields.get(cloud.spec_field)
    for kind in typing.get_args(declared.annotation) if declared is not None else ():
        field = getattr(kind, "model_fields", {}).get("tier")
        if field is not None:
            return str(field.default)
    return None


def control_plane_tier_from_json(doc: Any) -> str | None:
    """:attr:`Facts.control_plane_tier` from a saved plan's ``settings.controlPlaneTier`` (absent or null: not
    known)."""
    from components.errors import SpecError

    if doc is None:
        return None
    if doc not in CONTROL_PLANE_TIERS:
        raise SpecError("settings.controlPlaneTier", doc, f"give one of {', '.join(CONTROL_PLANE_TIERS)}, or null")
    return str(doc)


def request_log_store_fact(cfg: StackConfig) -> tuple[str, int] | None:
    """:attr:`Facts.request_log_store`: the ``prefix`` and the retention (``retentionDays``, else its default) of the
    request-log store the platform creates, which it does where the package builds the cluster and the stack names no
    ``bucket`` of its own (each managed cluster's ``request_log_store``, components/clusters/eks.py, gke.py, aks.py;
    ``platform.requestLogs`` absent: its defaults, with which components/platform/requestlog.py ``wanted`` runs the
    collector for a model's ``logger``); None otherwise."""
    from components import clouds
    from components.platform.requestlog_spec import RequestLogsSpec

    logs = cfg.platform.request_logs or RequestLogsSpec()
    if not clouds.get(cfg.cloud).managed or logs.bucket is not None:
        return None
    return (logs.prefix, logs.retention)


def request_log_store_from_json(doc: Any) -> tuple[str, int] | None:
    """:attr:`Facts.request_log_store` from a saved plan's ``settings.requestLogStore`` (absent or null: none, or not
    known)."""
    from components.errors import SpecError

    if doc is None:
        return None
    if (
        not isinstance(doc, Mapping)
        or set(doc) != {"prefix", "retentionDays"}
        or not isinstance(doc["prefix"], str)
        or not doc["prefix"]
        or isinstance(doc["retentionDays"], bool)
        or not isinstance(doc["retentionDays"], int)
        or doc["retentionDays"] < 1
    ):
        raise SpecError(
            "settings.requestLogStore", doc, "give {prefix: <folder>, retentionDays: <whole days >= 1>}, or null"
        )
    return (doc["prefix"], doc["retentionDays"])


def validated_config(
    flat: Mapping[str, Any], namespace: str = NAMESPACE, stack_file: str = "stack config"
) -> StackConfig | None:
    """The stack's ``namespace:`` config validated by :class:`infra.config.StackConfig` (None when there is none).

    The one parse of the stack config: the same model, the same checks and the same one-line error as the program
    (``infra.config.load``). A config without ``cloud`` is not an mlplatform stack's (another Pulumi program planned
    by the same engine): None. Keys that only name secrets (a model's ``huggingfaceTokenKey`` target) are not part of
    the model and are left out.
    """
    from pydantic import ValidationError

    from components.spec import validate_as
    from infra.config import TOP_LEVEL_KEYS, StackConfig, _FormattedError, format_validation_error, parse_raw

    values = parse_raw({k.split(":", 1)[1]: v for k, v in flat.items() if k.startswith(f"{namespace}:")})
    if "cloud" not in values:
        # not an mlplatform stack (the plan engine runs any Pulumi program; ours refuses a config without cloud
        # before anything is registered, so a plan of ours always has it): the documented defaults apply
        return None
    try:
        # as infra.config.load does: pydantic's error, formatted with the stack file and the mlplatform: key path
        # (StackConfig.model_validate would raise a line naming the Python class instead)
        cfg: StackConfig = validate_as(StackConfig, {k: v for k, v in values.items() if k in TOP_LEVEL_KEYS})
    except ValidationError as e:
        raise _FormattedError(format_validation_error(e, stack_file)) from None
    return cfg


def run_rules(
    resources: Sequence[Resource], settings: StackSettings | None = None, rules: Iterable[Rule] | None = None
) -> list[dict[str, Any]]:
    """Run ``rules`` (default: every rule) over ``resources``; the plan's ``policies`` entries."""
    settings = settings or StackSettings()
    out: list[dict[str, Any]] = []
    for rule in ALL_RULES if rules is None else rules:
        override = settings.overrides.get(rule.name)
        ignored = ""
        if override is not None and not override.applies:
            ignored = f" (the stack's override to {override.enforcement} is ignored: its reason is blank)"
            override = None
        enforcement = override.enforcement if override else rule.enforcement
        extra = {"reason": override.reason} if override else {}
        if enforcement == "disabled":
            out.append(_entry(rule, enforcement, None, f"disabled on this stack: {extra['reason']}", True, extra))
            continue
        findings = rule.run(resources, settings.facts)
        if not findings:
            unchecked = rule.unchecked(resources)
            more = {**extra, "unchecked": unchecked} if unchecked else extra
            out.append(_entry(rule, enforcement, None, rule.description + ignored, True, more))
        for f in findings:
            out.append(_entry(rule, enforcement, f.urn, f.message + ignored, False, extra))
    return out


def rules_called(names: Collection[str]) -> list[Rule]:
    """The rules of :data:`ALL_RULES` called ``names``, in its order; a name no rule has is refused (ValueError)."""
    chosen = [r for r in ALL_RULES if r.name in names]
    missing = set(names) - {r.name for r in chosen}
    if missing:
        raise ValueError(f"no rule called {', '.join(sorted(missing))}")
    return chosen


def _entry(
    rule: Rule, enforcement: str, urn: str | None, message: str, passed: bool, extra: Mapping[str, str]
) -> dict[str, Any]:
    return {"policy": rule.name, "enforcement": enforcement, "urn": urn, "message": message, "passed": passed, **extra}


# ------------------------------------------------------------------------------------------------ the plan


def _props(value: Any) -> Any:
    """Recorded inputs as rules see them: secrets revealed (rules read them, never print them), unknowns kept."""
    from components.records import Secret

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
                depends_on=tuple(sorted(reg.all_dependencies() - ({reg.provider_urn} if reg.provider_urn else set()))),
            )
        )
    return out


def evaluate(
    result: PlanResult,
    stack_settings: StackSettings | Mapping[str, Any] | None = None,
    rules: Iterable[Rule] | None = None,
) -> list[dict[str, Any]]:
    """Every rule (or ``rules``) over a recorded plan.

    ``stack_settings``: a :class:`StackSettings`, or the stack's flat config; default ``result.context["config"]``.
    """
    if stack_settings is None:
        stack_settings = result.context.get("config") or {}
    settings = (
        stack_settings if isinstance(stack_settings, StackSettings) else StackSettings.from_config(stack_settings)
    )
    result.context[SETTINGS_KEY] = settings.to_json()
    return run_rules(resources_from_plan(result), settings, rules)


def declared_secrets(cfg: StackConfig) -> tuple[tuple[str, DeclaredSecrets], ...]:
    """Per model of ``cfg`` (``namespace/name``, sorted) that declares ``imagePullSecrets`` or a ``secretEnv`` (its
    own, its transformer's or its explainer's), what it declares (:attr:`Facts.model_secrets`)."""
    out: list[tuple[str, DeclaredSecrets]] = []
    for name, m in sorted(cfg.models.items()):
        env = [
            SecretEnvRef(component, var, ref.secret, ref.key)
            for component, spec in (("predictor", m), ("transformer", m.transformer), ("explainer", m.explainer))
            if spec is not None
            for var, ref in sorted(spec.secret_env.items())
        ]
        if m.image_pull_secrets or env:
            out.append((f"{m.namespace}/{name}", DeclaredSecrets(tuple(m.image_pull_secrets), tuple(env))))
    return tuple(out)


def secrets_to_json(declared: tuple[tuple[str, DeclaredSecrets], ...]) -> dict[str, Any]:
    """``settings.modelSecrets`` of a saved plan (read back by :func:`secrets_from_json`)."""
    return {
        key: {
            "imagePullSecrets": list(d.pull),
            "secretEnv": [{"component": e.component, "name": e.name, "secret": e.secret, "key": e.key} for e in d.env],
        }
        for key, d in declared
    }


_COMPONENTS = ("predictor", "transformer", "explainer")


def secrets_from_json(doc: Any) -> tuple[tuple[str, DeclaredSecrets], ...]:
    """:attr:`Facts.model_secrets` from a saved plan's ``settings.modelSecrets``; one line naming the key when a value
    is not what :func:`secrets_to_json` writes."""
    from components.errors import SpecError

    where = "settings.modelSecrets"
    if not isinstance(doc, Mapping):
        raise SpecError(where, doc, "give a map of namespace/name to {imagePullSecrets, secretEnv}")
    out: list[tuple[str, DeclaredSecrets]] = []
    for key, entry in sorted(doc.items()):
        here = f"{where}.{show_key(str(key))}"
        if not isinstance(key, str) or not _MODEL_KEY.fullmatch(key):
            raise SpecError(here, key, "give namespace/name (lowercase)")
        if not isinstance(entry, Mapping) or set(entry) - {"imagePullSecrets", "secretEnv"}:
            raise SpecError(here, entry, "give a map with imagePullSecrets and secretEnv")
        pull = entry.get("imagePullSecrets", [])
        if not isinstance(pull, list) or not all(isinstance(p, str) and p for p in pull):
            raise SpecError(f"{here}.imagePullSecrets", pull, "give a list of Secret names")
        env = entry.get("secretEnv", [])
        fields = ("component", "name", "secret", "key")
        if not isinstance(env, list) or not all(
            isinstance(e, Mapping) and set(e) == set(fields) and all(isinstance(e[f], str) and e[f] for f in fields)
            for e in env
        ):
            raise SpecError(f"{here}.secretEnv", env, "give a list of {component, name, secret, key}")
        wrong = next((e["component"] for e in env if e["component"] not in _COMPONENTS), None)
        if wrong is not None:
            raise SpecError(f"{here}.secretEnv", wrong, f"give a component: {', '.join(_COMPONENTS)}")
        refs = tuple(SecretEnvRef(e["component"], e["name"], e["secret"], e["key"]) for e in env)
        out.append((key, DeclaredSecrets(tuple(pull), refs)))
    return tuple(out)


def declared_audiences(cfg: StackConfig) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """Per public model and pipeline of ``cfg`` with ``access.jwt`` (``InferenceService/namespace/name`` or
    ``InferenceGraph/namespace/name``, sorted), its issuer and declared audiences (:attr:`Facts.jwt_audiences`)."""
    out: list[tuple[str, str, tuple[str, ...]]] = []
    served = [("InferenceService", name, m.namespace, m.access) for name, m in cfg.models.items()]
    served += [("InferenceGraph", name, p.namespace, p.access) for name, p in cfg.pipelines.items()]
    for kind, name, ns, access in served:
        if access.mode == "public" and access.jwt is not None:
            out.append((f"{kind}/{ns}/{name}", access.jwt.issuer, tuple(access.jwt.audiences)))
    return tuple(sorted(out))


def audiences_to_json(declared: tuple[tuple[str, str, tuple[str, ...]], ...]) -> dict[str, Any]:
    """``settings.jwtAudiences`` of a saved plan (read back by :func:`audiences_from_json`)."""
    return {key: {"issuer": issuer, "audiences": list(audiences)} for key, issuer, audiences in declared}


_SERVED_KEY = re.compile(f"(InferenceService|InferenceGraph)/{_DNS}/{_DNS}")


def audiences_from_json(doc: Any) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """:attr:`Facts.jwt_audiences` from a saved plan's ``settings.jwtAudiences``; one line naming the key when a value
    is not what :func:`audiences_to_json` writes."""
    from components.errors import SpecError

    where = "settings.jwtAudiences"
    if not isinstance(doc, Mapping):
        raise SpecError(where, doc, "give a map of Kind/namespace/name to {issuer, audiences}")
    out: list[tuple[str, str, tuple[str, ...]]] = []
    for key, entry in sorted(doc.items()):
        here = f"{where}.{show_key(str(key))}"
        if not isinstance(key, str) or not _SERVED_KEY.fullmatch(key):
            raise SpecError(here, key, "give InferenceService/namespace/name or InferenceGraph/namespace/name")
        if not isinstance(entry, Mapping) or set(entry) != {"issuer", "audiences"}:
            raise SpecError(here, entry, "give a map with issuer and audiences")
        issuer, audiences = entry["issuer"], entry["audiences"]
        if not isinstance(issuer, str) or not issuer:
            raise SpecError(f"{here}.issuer", issuer, "give the issuer URL")
        if not isinstance(audiences, list) or not all(isinstance(a, str) and a for a in audiences):
            raise SpecError(f"{here}.audiences", audiences, "give a list of audience strings")
        out.append((key, issuer, tuple(audiences)))
    return tuple(out)
