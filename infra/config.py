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
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, field_validator, model_validator

from components import clouds, coldstart
from components.clusters import (
    check_cluster,
    check_cluster_versions,
    one_share_why,
    provider_config_problem,
    request_log_bucket_problem,
    request_log_key_problem,
    shares_one_gpu_per_request,
)
from components.clusters.spec import ClusterSpec, tags_problem
from components.errors import SpecError, escape_line, show_key, too_many_digits, visible_length
from components.platform.settings import PlatformSettings, acme_dns01_missing, shown
from components.serving import llm_scaling, server_args
from components.serving.pipeline_spec import PipelineSpec, pipeline_problems
from components.serving.spec import (  # noqa: F401 - reserved_namespaces, MAX_ARG_STRLEN: re-exported
    MAX_ARG_STRLEN,
    ModelSpec,
    check_model_name,
    platform_problems,
    reserved_namespaces,
)
from components.serving.stack_runtime import (
    RuntimeSpec,
    agent_port_problem,
    collocated_runtime_problem,
    model_runtime_problem,
    namespaced,
    stack_problems,
)
from components.spec import (
    MAX_DEPTH,
    Spec,
    did_you_mean,
    field_error,
    missing_error,
    nesting_depth,
    validate_as,
    value_error,
)
from components.spec import format_validation_error as spec_format
from components.storage import parse_storage_uri
from components.versions import CLUSTER_CHARTS

NAMESPACE = "mlplatform"
_CONFIG_KEY = re.compile(r"\A[A-Za-z][A-Za-z0-9_-]{0,99}\Z", re.ASCII)
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", re.ASCII)
SECRET_KEY_HINT = "set it with: pulumi config set --secret {key} <value>"


MAX_BUDGET = 2**53 // 100
"""Largest monthly budget, 90071992547409 USD: the largest amount a double (the estimate's type) still holds to the
cent (53-bit significand: Python docs, ``sys.float_info.mant_dig``). A larger ceiling is no ceiling; leave ``budget``
out to have none."""


def _budget_amount(v: float) -> float:
    """A budget is an amount of USD to the cent, at most :data:`MAX_BUDGET`."""
    if v > MAX_BUDGET:
        raise value_error(
            f"give at most {MAX_BUDGET} (USD a month; larger amounts are no ceiling: leave budget out for none)"
        )
    exponent = Decimal(repr(v)).normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise value_error("give an amount in USD to the cent (at most 2 decimals), such as 5000 or 19.99")
    return v


class PolicyOverride(Spec):
    """Change one policy's enforcement on this stack; ``reason`` is recorded in the plan."""

    enforcement: Literal["mandatory", "advisory", "disabled"]
    reason: str = Field(min_length=10)

    @field_validator("reason")
    @classmethod
    def _said(cls, v: str) -> str:
        if visible_length(v) < 10:
            # spaces, zero-width and other invisible characters do not count (components.errors.visible_length)
            raise value_error(
                "give the reason in words (at least 10 characters besides spaces and invisible characters); it is "
                "recorded"
            )
        return v


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
            if visible_length(key) != len(key):
                # a space, newline, zero-width or other invisible character: no resource's tag would ever match it
                # by eye, and the rule would fail every resource over a key nobody can type (red team #17 T03)
                raise value_error(
                    f"tag key {escape_line(repr(key))}: give visible characters only (no spaces, newlines or "
                    "invisible characters)"
                )
        return v

    @model_validator(mode="after")
    def _known_rules(self) -> PolicySpec:
        from policy.rules import rule_names

        names = rule_names()
        for key in self.overrides:
            if key not in names:
                hint = did_you_mean(key, names).rstrip()
                raise field_error(
                    f"overrides.{key}", "an override", f"no such policy; {hint or 'policies: ' + ', '.join(names)}"
                )
        return self


class StackConfig(Spec):
    """The whole ``mlplatform:`` namespace of one stack file, validated."""

    cloud: str = Field(json_schema_extra={"enum": list(clouds.names())})
    """Where the cluster runs: a cloud of the registry (components/clouds.py; docs/extending.md)."""
    environment: Literal["dev", "staging", "prod"] = "dev"
    region: str | None = Field(
        None,
        description=f"The cloud region (required on {', '.join(clouds.names(managed=True))}). Its name is checked "
        "for the cloud's shape; every GPU pool must be offered there where the catalog has region data "
        "(docs/catalog.md, Regions).",
    )
    cluster: ClusterSpec = ClusterSpec()
    platform: PlatformSettings = PlatformSettings()
    models: dict[str, ModelSpec] = {}
    pipelines: dict[str, PipelineSpec] = {}
    """KServe InferenceGraphs over this stack's models, by name (docs/components/pipeline.md)."""
    runtimes: dict[str, RuntimeSpec] = {}
    (
        "Serving runtimes the stack brings itself, by name: each a KServe ServingRuntime in its namespace "
        "(docs/components/model-service.md, A runtime of your own)."
    )
    tags: dict[str, str] = {}
    budget: Annotated[float, AfterValidator(_budget_amount)] | None = Field(
        None, gt=0.0, description="Monthly ceiling in USD for this stack's estimate (to the cent)."
    )
    policy: PolicySpec = Field(default_factory=PolicySpec)

    @model_validator(mode="before")
    @classmethod
    def _cluster_charts_not_platform(cls, data: Any) -> Any:
        """Karpenter's and cluster-autoscaler's versions belong to the cluster (``cluster.versions``): refused under
        ``platform.versions``, which the platform's charts take."""
        platform = data.get("platform") if isinstance(data, dict) else None
        versions = platform.get("versions") if isinstance(platform, dict) else None
        if not isinstance(versions, dict):
            return data
        for key in versions:
            if key in CLUSTER_CHARTS:
                raise field_error(
                    f"platform.versions.{key}",
                    versions[key],
                    f"{key} is installed with the cluster, not the platform: set cluster.versions.{key}",
                )
        return data

    @field_validator("cloud", mode="before")
    @classmethod
    def _registered_cloud(cls, v: object) -> object:
        """A cloud of the registry (:mod:`components.clouds`)."""
        if clouds.find(v) is None:
            raise value_error(f"give one of {', '.join(clouds.names())}")
        return v

    @field_validator("budget", mode="before")
    @classmethod
    def _budget_text(cls, v: object) -> object:
        """A top-level value reaches the program as text (the Pulumi CLI passes ``budget: 5000`` as ``"5000"``): read
        it as a YAML decimal number; ``1_000``, ``0x10``, ``.inf`` and ``.nan`` stay text and are refused."""
        if isinstance(v, str) and _DECIMAL.fullmatch(v) and not too_many_digits(v):  # past it: one line, no int()
            return int(v) if v.lstrip("-").isdigit() else float(v)
        return v

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            if not isinstance(value, str):
                raise value_error(f"tag {key!r}: give a string value")
        return v

    @model_validator(mode="after")
    def _cross_checks(self) -> StackConfig:
        cloud, entry = self.cloud, clouds.get(self.cloud)
        if entry.managed and not self.region:
            raise field_error("region", None, f"give the {cloud} region, e.g. {entry.region_example}")
        if not entry.managed and self.region:
            raise field_error("region", self.region, "an existing cluster has no region; remove it")
        for other in clouds.all_clouds():
            if other.spec_field and getattr(self.cluster, other.spec_field, None) is not None and other.name != cloud:
                given = getattr(self.cluster, other.spec_field).model_dump(by_alias=True, exclude_unset=True)
                raise field_error(
                    f"cluster.{other.spec_field}",
                    shown(given),
                    f"settings for {other.name} do not apply to cloud {cloud}",
                )
        self._check_tags()
        if entry.required_setting and entry.spec_field and getattr(self.cluster, entry.spec_field, None) is None:
            key, what = entry.required_setting
            raise field_error(f"cluster.{entry.spec_field}.{key}", None, what)
        if not entry.managed and self.cluster.gpu_pools:
            raise field_error(
                "cluster.gpuPools",
                ", ".join(self.cluster.gpu_pools),
                "an existing cluster's GPU nodes are not managed here; remove gpuPools",
            )
        self._check_runtimes()
        self._check_models()
        self._check_pipelines()
        self._check_versions()
        self._check_pools()
        self._check_fits()
        self._check_warm_capacity()
        for path, value, accepted in coldstart.stack_disk_problems(  # each pool's node disk (components/coldstart.py)
            self.cloud, self.cluster.gpu_pools, self.models, self.runtimes, self.platform.warm_capacity
        ):
            raise field_error(path, value, accepted)
        self._check_gpu_memory()
        self._check_request_logs()
        self._check_acme_solver()
        self._check_dns_settings()
        return self

    def _check_dns_settings(self) -> None:
        """``platform.dns`` holds only the stack's cloud's own keys (:attr:`components.clouds.Cloud.dns_settings`):
        another cloud's key would be silently ignored (its module is not the one that reads it)."""
        dns, entry = self.platform.dns, clouds.get(self.cloud)
        if dns is None:
            return
        declared = clouds.dns_settings()
        for key, value in dns.cloud_settings().items():
            if key not in entry.dns_settings:
                own = ", ".join(["zone", "id", *entry.dns_settings, "externalDns"])
                raise field_error(
                    f"platform.dns.{key}",
                    value,
                    f"{key} is a setting of the zone on {declared[key][1]}, not on cloud {self.cloud}; remove it "
                    f"(the zone's keys here: {own})",
                )

    def _check_acme_solver(self) -> None:
        """The ClusterIssuer's DNS-01 solver has its provider's required fields (cert-manager v1.21.1's CRD): given in
        ``platform.tls.acmeDns01``, or derived from ``platform.dns`` for the stack's cloud's own solver
        (:attr:`components.clouds.Cloud.dns01_solver`)."""
        tls, dns = self.platform.tls, self.platform.dns
        if tls.issuer != "acme" or not tls.acme_dns01:
            return
        derived = clouds.get(self.cloud).dns01_solver if dns is not None else None
        for path, accepted in acme_dns01_missing(tls.acme_dns01, derived):
            raise missing_error(f"platform.tls.acmeDns01.{path}", accepted)

    def _check_warm_capacity(self) -> None:
        """``platform.warmCapacity`` names GPU pools of this cluster, each within its maxNodes (the Platform's check,
        components/platform/warm.py ``problems``, made here before anything is registered)."""
        from components.platform.warm import problems

        pools = {name: pool.max_nodes for name, pool in self.cluster.gpu_pools.items()}
        for path, value, accepted in problems(self.platform.warm_capacity, pools):
            raise field_error(f"platform.{path}", value, accepted)

    def _check_request_logs(self) -> None:
        """``platform.requestLogs.bucket`` is one this cluster can write to (the cluster module's rule, before
        anything is registered)."""
        logs = self.platform.request_logs
        if logs is not None and (why := request_log_bucket_problem(self.cloud, logs.bucket)):
            raise field_error("platform.requestLogs.bucket", logs.bucket, why)
        if logs is not None and (unused := request_log_key_problem(self.cloud, logs.given())):
            raise field_error(f"platform.requestLogs.{unused[0]}", unused[1], unused[2])

    def _check_versions(self) -> None:
        """The platform's chart versions against the compatibility table, and the cluster's charts against the
        Kubernetes minor, before anything is registered."""
        from components.platform.compat import check_versions

        try:
            check_versions(self.platform, self.cluster.kubernetes_version)
            allow = self.platform.allow_unsupported_versions
            check_cluster_versions(self.cloud, self.cluster, allow_unsupported=allow)
        except SpecError as e:
            raise field_error(e.path, e.value, e.accepted) from None

    def _check_tags(self) -> None:
        """Tag keys and values the stack's cloud accepts (the cloud's rules live with the clusters)."""
        problem = tags_problem(self.cloud, self.tags)
        if problem is not None:
            raise field_error(*problem)

    def _check_pools(self) -> None:
        """The region, the default system machine and the GPU pools, by the same check the cluster makes."""
        if not clouds.get(self.cloud).managed or self.region is None:
            return
        try:
            uris = {f"models.{n}.storageUri": u for n, m in self.models.items() if (u := m.identity_storage_uri)}
            check_cluster(self.cloud, self.region, self.cluster, storage_uris=uris)
        except SpecError as e:
            raise field_error(e.path, e.value, e.accepted) from None

    def _check_fits(self) -> None:
        """Each model's predictor, transformer and explainer replica against the largest node that may run it
        (components/serving/fit.py)."""
        from components.serving.fit import node_fit_problem

        if not clouds.get(self.cloud).managed or self.region is None:
            return  # an existing cluster's nodes are not known here
        for name, model in self.models.items():
            if problem := node_fit_problem(self.cloud, self.region, self.cluster, model, self.platform):
                raise field_error(f"models.{show_key(name)}.{problem[0]}", problem[1], problem[2])

    def _check_gpu_memory(self) -> None:
        """Each GPU model's weights against the GPU memory one replica gets (components/serving/gpumem.py); after
        the pools' disks, whose line names what the node must hold."""
        from components.serving._runtime import runtime_args
        from components.serving.gpumem import gpu_memory_problem

        if not clouds.get(self.cloud).managed or self.region is None:
            return  # an existing cluster's GPUs are not known here
        for name, model in self.models.items():
            args = runtime_args(model, namespaced(self.runtimes, model.namespace))  # vLLM or not, and its fraction
            if problem := gpu_memory_problem(self.cloud, self.region, self.cluster, model, args):
                raise field_error(f"models.{show_key(name)}.{problem[0]}", problem[1], problem[2])

    def _check_models(self) -> None:
        hosts: dict[str, str] = {}
        dashboards: dict[str, str] = {}
        for name, model in self.models.items():
            base = f"models.{show_key(name)}"
            why = check_model_name(name, model.namespace, model)
            if why:
                raise field_error(base, name, why)
            parts = {"transformer": model.transformer, "explainer": model.explainer}
            for path, value, accepted in server_args.component_model_name_problems(name, model, parts):
                raise field_error(f"{base}.{path}", value, accepted)  # as ModelService.check (model_service.py)
            # KServe's hosts: <name>-<namespace>.<domain> and the predictor's <name>-predictor-<namespace>.<domain>.
            for host in (f"{name}-{model.namespace}", f"{name}-predictor-{model.namespace}"):
                if host in hosts:
                    raise field_error(
                        base, name, f"{host}.{self.platform.domain} is already served by model {hosts[host]}"
                    )
                hosts[host] = name
            dashboard = f"{model.namespace}-{name}-dashboard"  # the model's Grafana ConfigMap (ModelService)
            if dashboard in dashboards or dashboard in platform_dashboards():
                owner = f"model {dashboards[dashboard]}" if dashboard in dashboards else "the platform"
                raise field_error(
                    base,
                    name,
                    f"its dashboard ConfigMap {dashboard} (<namespace>-<name>-dashboard) is already {owner}'s; "
                    "rename the model or move it to another namespace",
                )
            dashboards[dashboard] = name
            reach = model_runtime_problem(model.runtime, model.namespace, self.runtimes)
            reach = reach or agent_port_problem(model, self.runtimes)
            reach = reach or collocated_runtime_problem(model, self.runtimes)
            if reach is not None:
                raise field_error(f"{base}.{reach[0]}", reach[1], reach[2])
            for path, value, accepted in platform_problems(
                model, self.platform.deployment_mode, namespaced(self.runtimes, model.namespace)
            ):
                raise field_error(f"{base}.{path}", value, accepted)
            for path, value, accepted in llm_scaling.platform_problems(
                model, self.platform.monitoring.enabled, self.platform.keda
            ):
                raise field_error(f"{base}.{path}", value, accepted)
            self._check_token_key(base, model)
            self._check_model_gpus(base, model)
            uri = model.identity_storage_uri
            if uri is None:
                continue
            loc = parse_storage_uri(uri)
            if loc.cloud and loc.cloud != self.cloud:
                raise field_error(
                    f"{base}.storageUri",
                    model.storage_uri,
                    f"{_storage_kind(loc.scheme)} storage is on {loc.cloud} but this stack's cluster "
                    f"is on {self.cloud}; use "
                    f"{self.cloud} storage, set publicStorage: true for a public bucket, or give storageSecret",
                )
            if not clouds.get(self.cloud).managed and loc.cloud:
                raise field_error(
                    f"{base}.storageUri",
                    model.storage_uri,
                    "an existing cluster has no cloud identity; give storageSecret (a Secret with the credentials), "
                    "set publicStorage: true for a public bucket, or serve from pvc://, oci:// or hf://",
                )

    def _check_runtimes(self) -> None:
        """The stack's runtimes together (:func:`components.serving.stack_runtime.stack_problems`): names, and what
        KServe's ServingRuntime admission refuses."""
        for path, value, accepted in stack_problems(self.runtimes):
            raise field_error(f"runtimes.{path}", value, accepted)

    def _check_pipelines(self) -> None:
        """Each pipeline against the stack's models and the platform's mode
        (:func:`components.serving.pipeline_spec.pipeline_problems`), and its host against the models' hosts."""
        hosts = {f"{n}-{m.namespace}": f"model {n}" for n, m in self.models.items()}
        hosts |= {f"{n}-predictor-{m.namespace}": f"model {n}" for n, m in self.models.items()}
        for name, pipeline in self.pipelines.items():
            base = f"pipelines.{show_key(name)}"
            for path, value, accepted in pipeline_problems(name, pipeline, self.models, self.platform.deployment_mode):
                raise field_error(f"{base}.{path}" if path else base, value, accepted)
            host = f"{name}-{pipeline.namespace}"
            if host in hosts:
                raise field_error(base, name, f"{host}.{self.platform.domain} is already served by {hosts[host]}")
            hosts[host] = f"pipeline {name}"

    @staticmethod
    def _check_token_key(base: str, model: ModelSpec) -> None:
        """``llm.huggingfaceTokenKey`` names a key of its own, never one of this stack's settings."""
        key = model.llm.huggingface_token_key if model.llm else None
        if key is None:
            return
        path = f"{base}.llm.huggingfaceTokenKey"
        if key in TOP_LEVEL_KEYS:
            raise field_error(
                path,
                key,
                f"{NAMESPACE}:{key} is a setting of this stack, not a secret; give a key of its own, e.g. hfToken, "
                "set with: pulumi config set --secret hfToken <value>",
            )
        if not _CONFIG_KEY.match(key):
            raise field_error(
                path,
                key,
                "give a config key name (letters, digits, '-' and '_', starting with a letter), without the "
                f"{NAMESPACE}: namespace",
            )

    def _check_model_gpus(self, base: str, model: ModelSpec) -> None:
        res = model.resources
        if res.gpus == 0 or res.accelerator is None:
            return
        if not clouds.get(self.cloud).managed:
            return
        pools = {k: p for k, p in self.cluster.gpu_pools.items() if p.accelerator == res.accelerator}
        if not pools:
            have = ", ".join(f"{k} ({p.accelerator})" for k, p in self.cluster.gpu_pools.items()) or "none"
            raise field_error(f"{base}.resources.accelerator", res.accelerator, f"no GPU pool offers it; pools: {have}")
        # each MIG device is one nvidia.com/gpu, and a pod may ask for several (red14h break 11): the same count as
        # components/serving/model_service.py
        grants = {
            k: coldstart.node_slots(p.gpus_per_node, "mig", 1, p.sharing.mig_profile)
            if p.sharing.strategy == "mig" and p.sharing.mig_profile
            else p.gpus_per_node
            for k, p in pools.items()
        }
        most = max(grants.values())
        if res.gpus > most:
            mig = any(grants[k] != p.gpus_per_node for k, p in pools.items())
            raise field_error(
                f"{base}.resources.gpus",
                res.gpus,
                f"give at most {most} ({'GPUs (MIG devices)' if mig else 'GPUs'} per node of the {res.accelerator} "
                "pools)",
            )
        sliced = [k for k, p in pools.items() if shares_one_gpu_per_request(self.cloud, p.sharing.strategy)]
        if res.gpus > 1 and len(sliced) == len(pools):
            # The same rule ModelService applies (components/serving/model_service.py), here before registration.
            raise field_error(f"{base}.resources.gpus", res.gpus, one_share_why(res.accelerator, sliced, self.cloud))

    def secret_keys_used(self) -> dict[str, str]:
        """Config keys that must hold secrets, by the key path that names them."""
        out: dict[str, str] = self.platform.secret_keys()
        for name, model in self.models.items():
            if model.llm and model.llm.huggingface_token_key:
                out[model.llm.huggingface_token_key] = f"models.{name}.llm.huggingfaceTokenKey"
        return out


# ------------------------------------------------------------------------------------------------ rules


def platform_dashboards() -> frozenset[str]:
    """The platform's own dashboard ConfigMaps in the monitoring namespace (components/platform/monitoring.py)."""
    from components.platform import monitoring

    return frozenset(f"mlplatform-{key}-dashboard" for key in monitoring.DASHBOARDS)


TOP_LEVEL_KEYS = tuple(StackConfig.model_fields[f].alias or f for f in StackConfig.model_fields)


class LoadedConfig:
    """A validated stack config plus the secret values it names (kept as Pulumi secrets by the program)."""

    def __init__(self, config: StackConfig, secrets: Mapping[str, str], stack_file: str) -> None:
        self.config = config
        self.secrets = dict(secrets)
        self.stack_file = stack_file


# ------------------------------------------------------------------------------------------------ errors


def format_validation_error(exc: ValidationError, stack_file: str, model: type[Spec] = StackConfig) -> str:
    """The one line for the first problem of ``exc`` in ``stack_file`` (and how many more there are)."""
    return spec_format(exc, f"{stack_file}: {NAMESPACE}:", model)


# ------------------------------------------------------------------------------------------------ loading


_MAP_KEYS = frozenset({"cluster", "platform", "models", "pipelines", "runtimes", "tags", "policy"})
"""Top-level keys whose value is a map."""


def parse_raw(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Values as the Pulumi CLI hands them to a program (objects as JSON text) back into Python values."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if value == "null" and key in _MAP_KEYS:
            out[key] = None  # `models:` with no value: the CLI passes JSON null as text; shown as null, not "null"
            continue
        if isinstance(value, str) and value[:1] in ("{", "["):
            try:
                out[key] = json.loads(value)
                continue
            except json.JSONDecodeError:
                pass
        out[key] = value
    return out


def _provider_example() -> str:
    """A cloud provider's config namespace for messages (the first registered cloud's region setting's: ``aws:``)."""
    keys = [c.provider_region_key for c in clouds.all_clouds() if c.provider_region_key]
    return keys[0].split(":")[0] + ":" if keys else "a cloud provider's"


def load(raw: Mapping[str, Any], secret_keys: set[str] | frozenset[str], stack_file: str) -> LoadedConfig:
    """Validate the stack config ``raw`` (every key with its namespace, as the Pulumi CLI hands them over).

    Only ``mlplatform:`` keys are read; other providers' namespaces (``aws:``, ``kubernetes:`` ...) are left to them,
    except a namespace that looks like a misspelling of ours, and a provider region that disagrees with ours.
    Raises :class:`SpecError` with the one-line message; nothing is registered before this returns.
    """
    ours: dict[str, Any] = {}
    for key, value in raw.items():
        namespace, _, rest = key.partition(":")
        if namespace == NAMESPACE:
            ours[rest] = value
        elif _looks_like_ours(namespace):
            raise _FormattedError(
                f"{stack_file}: {key}: unknown namespace {namespace}; did you mean {NAMESPACE}:{rest}? (other "
                f"providers' namespaces, such as {_provider_example()} or kubernetes:, are left to them)"
            )
    try:
        values = parse_raw(ours)
    except RecursionError:
        values = {"": _TOO_DEEP}
    for key, value in values.items():
        if value is _TOO_DEEP or nesting_depth(value) > MAX_DEPTH:
            raise _FormattedError(
                f"{stack_file}: {NAMESPACE}:{key}: maps and lists nested more than {MAX_DEPTH} deep are not allowed"
            )
    if not values:
        raise SpecError(
            "",
            "an empty configuration",
            f"give at least {NAMESPACE}:cloud ({', '.join(clouds.names()[:-1])} or {clouds.names()[-1]})",
            prefix=f"{stack_file}: ",
        )
    referenced = _secret_references(values.get("models")) | _alerting_references(values.get("platform"))
    for key in values:
        if key not in TOP_LEVEL_KEYS and key not in referenced:
            hint = did_you_mean(key, [*TOP_LEVEL_KEYS, *referenced])
            raise _FormattedError(
                f"{stack_file}: {NAMESPACE}:{key}: unknown key; {hint}accepted keys: {', '.join(TOP_LEVEL_KEYS)}"
            )
    for full in sorted(secret_keys):
        namespace, _, key = full.partition(":")
        if namespace == NAMESPACE and key in values and (key in TOP_LEVEL_KEYS or key not in referenced):
            raise _FormattedError(
                f"{stack_file}: {full}: a secret (secure:) is not allowed here; only keys named by a model's "
                "llm.huggingfaceTokenKey or an alert receiver's ...Key hold secrets (docs/configuration.md, Secrets)"
            )
    structured = {k: v for k, v in values.items() if k in TOP_LEVEL_KEYS}
    try:
        cfg = validate_as(StackConfig, structured)
    except ValidationError as e:
        raise _FormattedError(format_validation_error(e, stack_file)) from None
    _check_provider_config(cfg, raw, stack_file)
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
        if not isinstance(values[key], str):
            raise _FormattedError(f"{stack_file}: {full}: a secret holds one string; give the token as text")
        secrets[key] = values[key]
    return LoadedConfig(cfg, secrets, stack_file)


_TOO_DEEP = object()


def _looks_like_ours(namespace: str) -> bool:
    """A namespace that is a misspelling of ``mlplatform`` (case, a separator, two letters swapped or one off)."""
    folded = namespace.lower().replace("-", "").replace("_", "")
    if namespace == NAMESPACE:
        return False
    return folded == NAMESPACE or difflib.SequenceMatcher(None, folded, NAMESPACE).ratio() >= 0.8


def _storage_kind(scheme: str) -> str:
    """How messages name the storage of ``scheme`` (:attr:`components.clouds.Cloud.storage_kind`)."""
    owner = clouds.of_scheme(scheme)
    return owner.storage_kind if owner is not None and owner.storage_kind else scheme


def _check_provider_config(cfg: StackConfig, raw: Mapping[str, Any], stack_file: str) -> None:
    """The cloud provider's own region (and, per cloud, other) settings agree with ours, where given
    (:func:`components.clusters.provider_config_problem`). The program makes no explicit cloud provider, so each cloud
    resource is built where its default provider's config says ("By default, each provider uses its package's global
    configuration settings, which are controlled by your stack's configuration":
    https://pulumi.com/docs/concepts/resources/providers). A region there that differs from ``mlplatform:region``
    would build the cluster somewhere other than where the catalog checked and priced it."""
    problem = provider_config_problem(cfg.cloud, cfg.region, cfg.cluster, raw)
    if problem is not None:
        raise _FormattedError(f"{stack_file}: {problem}")


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
