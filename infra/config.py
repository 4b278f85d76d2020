"""Read the stack's configuration once, into validated models, or fail with one line.

Everything under the ``mlplatform:`` namespace of ``stacks/Pulumi.<stack>.yaml`` is read here and nowhere else.
A mistake gives exactly one line naming the stack file, the key path, the value given and what is accepted, e.g.
``stacks/Pulumi.aws-dev.yaml: mlplatform:cluster.gpuPools.l4.maxNodes: -1 is not allowed; give an integer >= 0``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from components import catalog
from components.clusters import check_cluster
from components.clusters.spec import ClusterSpec, tag_problem
from components.errors import SpecError, show
from components.platform.settings import PlatformSettings
from components.serving.spec import ModelSpec, check_model_name, platform_problems
from components.spec import Spec, field_error, value_error
from components.storage import parse_storage_uri

NAMESPACE = "mlplatform"
REGION_EXAMPLES = {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus"}
_CLUSTER_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$")
_STORAGE_KIND = {"s3": "s3://", "gs": "gs://", "azure": "Azure Blob"}
"""Longest tag key and value per cloud (GCP label rules; AWS and Azure tag rules)."""
SECRET_KEY_HINT = "set it with: pulumi config set --secret {key} <value>"


class PolicyOverride(Spec):
    """Change one policy's enforcement on this stack; ``reason`` is recorded in the plan."""

    enforcement: Literal["mandatory", "advisory", "disabled"]
    reason: str = Field(min_length=10)


class PolicySpec(Spec):
    """``mlplatform:policy``: ``requiredTags`` every cloud resource must carry (Default: environment, owner);
    ``overrides`` by policy name; ``maxGpus``: GPU budget (sum of maxNodes x gpusPerNode). Default 64."""

    required_tags: list[str] = ["environment", "owner"]
    overrides: dict[str, PolicyOverride] = {}
    max_gpus: int = Field(default=64, ge=0, le=100000)

    @field_validator("required_tags")
    @classmethod
    def _tag_keys(cls, v: list[str]) -> list[str]:
        for key in v:
            if not key or len(key) > 63:
                raise value_error(f"tag key {key!r}: give 1 to 63 characters")
        return v

    @model_validator(mode="after")
    def _known_rules(self) -> PolicySpec:
        from policy.rules import rule_names

        names = rule_names()
        for key in self.overrides:
            if key not in names:
                hint = _did_you_mean(key, names).rstrip()
                raise field_error(
                    f"overrides.{key}", "an override", f"no such policy; {hint or 'policies: ' + ', '.join(names)}"
                )
        return self


class StackConfig(Spec):
    """The whole ``mlplatform:`` namespace of one stack file, validated."""

    cloud: Literal["aws", "gcp", "azure", "existing"]
    environment: Literal["dev", "staging", "prod"] = "dev"
    region: str | None = Field(
        None,
        description="The cloud region (required on aws, gcp, azure). Its name is checked for the cloud's shape; every "
        "GPU pool must be offered there where the catalog has region data (docs/catalog.md, Regions).",
    )
    cluster: ClusterSpec = ClusterSpec()
    platform: PlatformSettings = PlatformSettings()
    models: dict[str, ModelSpec] = {}
    tags: dict[str, str] = {}
    budget: float | None = Field(None, gt=0, description="Monthly ceiling in USD for this stack's estimate.")
    policy: PolicySpec = Field(default_factory=PolicySpec)

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            if not isinstance(value, str):
                raise value_error(f"tag {key!r}: give a string value")
        return v

    @model_validator(mode="after")
    def _cross_checks(self) -> StackConfig:
        cloud = self.cloud
        if cloud != "existing" and not self.region:
            raise field_error("region", None, f"give the {cloud} region, e.g. {REGION_EXAMPLES[cloud]}")
        if cloud == "existing" and self.region:
            raise field_error("region", self.region, "an existing cluster has no region; remove it")
        for other in ("aws", "gcp", "azure", "existing"):
            if getattr(self.cluster, other) is not None and other != cloud:
                raise field_error(f"cluster.{other}", "...", f"settings for {other} do not apply to cloud {cloud}")
        name = self.cluster.name
        if name is not None and not _CLUSTER_NAME.match(name):
            raise field_error(
                "cluster.name",
                name,
                "give 1-40 lowercase letters, digits and '-', starting with a letter (GKE's rule, on every cloud)",
            )
        self._check_tags()
        if cloud == "gcp" and self.cluster.gcp is None:
            raise field_error("cluster.gcp.project", None, "give the Google Cloud project id")
        if cloud == "existing" and self.cluster.gpu_pools:
            raise field_error(
                "cluster.gpuPools", "...", "an existing cluster's GPU nodes are not managed here; remove gpuPools"
            )
        self._check_pools()
        self._check_models()
        self._check_versions()
        return self

    def _check_versions(self) -> None:
        """The platform's chart versions against the compatibility table, before anything is registered."""
        from components.platform.compat import check_versions

        try:
            check_versions(self.platform, self.cluster.kubernetes_version)
        except SpecError as e:
            raise field_error(e.path, e.value, e.accepted) from None

    def _check_tags(self) -> None:
        """Tag keys and values the stack's cloud accepts (the cloud's rules live with the clusters)."""
        for key, value in self.tags.items():
            problem = tag_problem(self.cloud, key, value)
            if problem is not None:
                raise field_error(*problem)

    def _check_pools(self) -> None:
        """The region, the default system machine and the GPU pools, by the same check the cluster makes."""
        if self.cloud == "existing" or self.region is None:
            return
        try:
            check_cluster(self.cloud, self.region, self.cluster)
        except SpecError as e:
            raise field_error(e.path, e.value, e.accepted) from None

    def _check_models(self) -> None:
        hosts: dict[str, str] = {}
        for name, model in self.models.items():
            base = f"models.{name}"
            why = check_model_name(name, model.namespace)
            if why:
                raise field_error(base, name, why)
            host = f"{name}-{model.namespace}"  # KServe's host: <name>-<namespace>.<domain>
            if host in hosts:
                raise field_error(base, name, f"{host}.{self.platform.domain} is already served by model {hosts[host]}")
            hosts[host] = name
            for path, value, accepted in platform_problems(model, self.platform.deployment_mode):
                raise field_error(f"{base}.{path}", value, accepted)
            self._check_model_gpus(base, model)
            loc = parse_storage_uri(model.storage_uri)
            if loc.cloud and loc.cloud != self.cloud and not model.public_storage:
                raise field_error(
                    f"{base}.storageUri",
                    model.storage_uri,
                    f"{_STORAGE_KIND.get(loc.scheme, loc.scheme)} storage is on {loc.cloud} but this stack's cluster "
                    f"is on {self.cloud}; use "
                    f"{self.cloud} storage, or set publicStorage: true for a public bucket",
                )
            if self.cloud == "existing" and loc.cloud and not model.public_storage:
                raise field_error(
                    f"{base}.storageUri",
                    model.storage_uri,
                    "an existing cluster has no cloud identity; set "
                    "publicStorage: true for a public bucket, or serve from pvc://, oci:// or hf://",
                )

    def _check_model_gpus(self, base: str, model: ModelSpec) -> None:
        res = model.resources
        if res.gpus == 0 or res.accelerator is None:
            return
        if self.cloud == "existing":
            return
        pools = {k: p for k, p in self.cluster.gpu_pools.items() if p.accelerator == res.accelerator}
        if not pools:
            have = ", ".join(f"{k} ({p.accelerator})" for k, p in self.cluster.gpu_pools.items()) or "none"
            raise field_error(f"{base}.resources.accelerator", res.accelerator, f"no GPU pool offers it; pools: {have}")
        most = max(p.gpus_per_node for p in pools.values())
        if res.gpus > most:
            raise field_error(
                f"{base}.resources.gpus",
                res.gpus,
                f"give at most {most} (GPUs per node of the {res.accelerator} pools)",
            )

    def secret_keys_used(self) -> dict[str, str]:
        """Config keys that must hold secrets, by the key path that names them."""
        out: dict[str, str] = self.platform.secret_keys()
        for name, model in self.models.items():
            if model.llm and model.llm.huggingface_token_key:
                out[model.llm.huggingface_token_key] = f"models.{name}.llm.huggingfaceTokenKey"
        return out


TOP_LEVEL_KEYS = tuple(StackConfig.model_fields[f].alias or f for f in StackConfig.model_fields)


class LoadedConfig:
    """A validated stack config plus the secret values it names (kept as Pulumi secrets by the program)."""

    def __init__(self, config: StackConfig, secrets: Mapping[str, str], stack_file: str) -> None:
        self.config = config
        self.secrets = dict(secrets)
        self.stack_file = stack_file


# ------------------------------------------------------------------------------------------------ errors


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]}? " if close else ""


_HINTS = {
    "int_parsing": "give an integer",
    "int_type": "give an integer",
    "int_from_float": "give a whole number",
    "float_parsing": "give a number",
    "float_type": "give a number",
    "bool_parsing": "give true or false",
    "bool_type": "give true or false",
    "string_type": "give a string (quote it in YAML)",
    "dict_type": "give a map of keys to values",
    "model_type": "give a map of keys to values",
    "model_attributes_type": "give a map of keys to values",
    "list_type": "give a list",
}


def _hint(err: Mapping[str, Any]) -> str:
    typ = err["type"]
    ctx = err.get("ctx") or {}
    if typ in ("mlplatform_field", "mlplatform_value"):
        return str(ctx["accepted"])
    if typ == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "")
        return "give one of " + expected.replace(" or ", ", ")
    if typ in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        word = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[typ]
        bound = next(iter(ctx.values()))
        kind = "an integer" if isinstance(bound, int) else "a number"
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        return f"give {kind} {word} {bound}"
    if typ == "string_too_short":
        return f"give at least {ctx.get('min_length')} characters"
    return _HINTS.get(typ, str(err.get("msg", "invalid")))


def _path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def format_validation_error(exc: ValidationError, stack_file: str, model: type[Spec] = StackConfig) -> str:
    """The one line for the first problem of ``exc`` (and how many more there are)."""
    errors = exc.errors()
    # A misspelt key also makes the key it should have been "missing": name the misspelling first.
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(err["loc"])
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if err["type"] == "mlplatform_field":
        loc = loc + tuple(str(ctx["path"]).split("."))
        value = ctx["value"]
    where = f"{stack_file}: {NAMESPACE}:{_path(loc)}"
    if err["type"] == "extra_forbidden":
        accepted = _accepted_keys(model, loc[:-1])
        msg = f"{where}: unknown key; {_did_you_mean(str(loc[-1]), accepted)}accepted keys: {', '.join(accepted)}"
    elif err["type"] == "missing":
        msg = f"{where}: missing; {_missing_hint(loc)}"
    else:
        msg = f"{where}: {_show_input(value)} is not allowed; {_hint(err)}"
    if len(errors) > 1:
        msg += f" (+{len(errors) - 1} more)"
    return msg


def _show_input(value: Any) -> str:
    if isinstance(value, dict | list):
        return "..." if len(json.dumps(value)) > 40 else json.dumps(value)
    return show(value)


def _missing_hint(loc: tuple[Any, ...]) -> str:
    last = str(loc[-1])
    if last == "accelerator":
        return "give one of " + ", ".join(catalog.ACCELERATORS)
    if last == "cloud":
        return "give one of aws, gcp, azure, existing"
    return f"give {last}"


def _accepted_keys(model: type[Spec], loc: tuple[Any, ...]) -> list[str]:
    """The keys accepted at ``loc`` (walking the models, skipping map keys)."""
    current: Any = model
    for part in loc:
        fields = getattr(current, "model_fields", None)
        if fields is None:
            break
        match = next((f for n, f in fields.items() if (f.alias or n) == part), None)
        if match is None:
            continue  # a map key, e.g. a pool or model name
        current = _model_of(match.annotation)
    fields = getattr(current, "model_fields", {})
    return [f.alias or n for n, f in fields.items()]


def _model_of(annotation: Any) -> Any:
    for arg in (*getattr(annotation, "__args__", ()), annotation):
        if isinstance(arg, type) and issubclass(arg, Spec):
            return arg
        inner = _model_of(arg) if getattr(arg, "__args__", None) else None
        if inner is not None:
            return inner
    return None


# ------------------------------------------------------------------------------------------------ loading


def parse_raw(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Values as the Pulumi CLI hands them to a program (objects as JSON text) back into Python values."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and value[:1] in ("{", "["):
            try:
                out[key] = json.loads(value)
                continue
            except json.JSONDecodeError:
                pass
        out[key] = value
    return out


def load(raw: Mapping[str, Any], secret_keys: set[str] | frozenset[str], stack_file: str) -> LoadedConfig:
    """Validate the ``mlplatform:*`` config ``raw`` (keys with the namespace) of one stack.

    Raises :class:`SpecError` with the one-line message; nothing is registered before this returns.
    """
    values = parse_raw({k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith(f"{NAMESPACE}:")})
    if not values:
        raise SpecError(
            "",
            "an empty configuration",
            f"give at least {NAMESPACE}:cloud (aws, gcp, azure or existing)",
            prefix=f"{stack_file}: ",
        )
    referenced = _secret_references(values.get("models")) | _alerting_references(values.get("platform"))
    for key in values:
        if key not in TOP_LEVEL_KEYS and key not in referenced:
            hint = _did_you_mean(key, [*TOP_LEVEL_KEYS, *referenced])
            raise _FormattedError(
                f"{stack_file}: {NAMESPACE}:{key}: unknown key; {hint}accepted keys: {', '.join(TOP_LEVEL_KEYS)}"
            )
    structured = {k: v for k, v in values.items() if k in TOP_LEVEL_KEYS}
    try:
        cfg = StackConfig.model_validate(structured)
    except ValidationError as e:
        raise _FormattedError(format_validation_error(e, stack_file)) from None
    secret_refs = cfg.secret_keys_used()
    secrets: dict[str, str] = {}
    for key, used_at in secret_refs.items():
        full = f"{NAMESPACE}:{key}"
        if key not in values:
            raise _FormattedError(
                f"{stack_file}: {NAMESPACE}:{used_at}: {key} is not set; " + SECRET_KEY_HINT.format(key=key)
            )
        if full not in secret_keys:
            raise _FormattedError(
                f"{stack_file}: {full}: a plain-text value is not allowed for a secret; "
                + SECRET_KEY_HINT.format(key=key)
            )
        secrets[key] = str(values[key])
    return LoadedConfig(cfg, secrets, stack_file)


def _secret_references(models: Any) -> set[str]:
    """Top-level keys that models name as their secrets, read before validation (for the unknown-key check)."""
    refs: set[str] = set()
    if isinstance(models, dict):
        for model in models.values():
            llm = model.get("llm") if isinstance(model, dict) else None
            key = llm.get("huggingfaceTokenKey") if isinstance(llm, dict) else None
            if isinstance(key, str):
                refs.add(key)
    return refs


def _alerting_references(platform: Any) -> set[str]:
    """Top-level keys that the alert receivers name as their secrets (``platform.monitoring.alerting.*.*Key``)."""
    mon = platform.get("monitoring") if isinstance(platform, dict) else None
    alerting = mon.get("alerting") if isinstance(mon, dict) else None
    refs: set[str] = set()
    for receiver in (alerting or {}).values() if isinstance(alerting, dict) else ():
        if isinstance(receiver, dict):
            refs |= {v for k, v in receiver.items() if k.endswith("Key") and isinstance(v, str)}
    return refs


class _FormattedError(SpecError):
    """A SpecError whose message is already complete."""

    def __init__(self, line: str) -> None:
        self._line = line
        super().__init__("", "", "")

    @property
    def message(self) -> str:
        """The complete line."""
        return self._line
