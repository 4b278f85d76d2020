"""Wire the components for one stack. No resource logic lives here: only config -> components -> exports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pulumi

from components import coldstart
from components.clusters import KubernetesCluster, create_cluster
from components.errors import SpecError
from components.outputs import StackOutputs
from components.platform import Platform, PlatformArgs
from components.platform.handles import PlatformHandles
from components.serving import llm_scaling
from components.serving.model_runtime import ModelRuntime, ModelRuntimeArgs
from components.serving.model_service import ModelService, ModelServiceArgs
from components.serving.namespace import ModelNamespace, ModelNamespaceArgs
from components.serving.pipeline import Pipeline, PipelineArgs, members
from components.serving.spec import ModelSpec
from components.serving.stack_runtime import RuntimeSpec
from infra.config import NAMESPACE, LoadedConfig, load

STACK_CONFIG_DIR = "stacks"


def stack_file(stack: str) -> str:
    """The stack file the CLI reads for ``stack`` (``stackConfigDir: stacks`` in Pulumi.yaml)."""
    return f"{STACK_CONFIG_DIR}/Pulumi.{stack}.yaml"


def load_from_runtime() -> LoadedConfig:
    """Read every ``mlplatform:`` key the Pulumi runtime was given and validate it."""
    from pulumi.runtime import config as rc

    raw: dict[str, object] = {}
    raw.update(rc.get_config_env())
    raw.update(rc.CONFIG.get())
    secret_keys = set(rc.get_config_secret_keys_env()) | set(rc._SECRET_KEYS.get())
    return load(raw, frozenset(secret_keys), stack_file(pulumi.get_stack()))


def build(loaded: LoadedConfig) -> None:
    """Declare the stack: the cluster, then (as they land) the platform add-ons and the models."""
    cfg = loaded.config
    name = "mlplatform"
    try:
        cluster, platform = _cluster_and_platform(loaded, name)
    except SpecError as e:  # a cluster's or the platform's own check (e.g. platform.dns): file and namespace in front
        raise e.with_prefix(f"{loaded.stack_file}: {NAMESPACE}:") from None
    models, namespaces = serve_models(loaded, platform.handles)
    pipelines = serve_pipelines(loaded, platform.handles, models, namespaces)
    # Point <domain> and *.<domain> at this address (A record for an IP, CNAME for a host name), unless
    # platform.dns lets external-dns do it: docs/components/platform.md, DNS.
    outputs: StackOutputs = {
        "gatewayAddress": platform.gateway_address,
        "cloud": cfg.cloud,
        "environment": cfg.environment,
        "gpuPools": {k: v.instance_type for k, v in cluster.gpu.pools.items()},
        "models": {k: {"url": m.url, "internalUrl": m.internal_url} for k, m in models.items()},
        "pipelines": {k: {"url": p.url, "internalUrl": p.internal_url} for k, p in pipelines.items()},
    }
    for key, value in outputs.items():
        pulumi.export(key, value)


def _cluster_and_platform(loaded: LoadedConfig, name: str) -> tuple[KubernetesCluster, Platform]:
    cfg = loaded.config
    cluster = create_cluster(
        name,
        cloud=cfg.cloud,
        region=cfg.region,
        spec=cfg.cluster,
        environment=cfg.environment,
        tags={"environment": cfg.environment, **cfg.tags},
        cluster_name=cfg.cluster.name or f"mlp-{pulumi.get_stack()}",
    )
    platform = Platform(
        name,
        PlatformArgs(
            cluster=cluster,
            settings=cfg.platform,
            environment=cfg.environment,
            kubernetes_version=cfg.cluster.kubernetes_version,
            secrets={k: pulumi.Output.secret(loaded.secrets[k]) for k in cfg.platform.secret_keys()},
            slo_alerts=[k for k, m in cfg.models.items() if m.slo.latency_p95_ms or m.slo.error_rate_percent],
            keda_models=[k for k, m in cfg.models.items() if llm_scaling.is_llm(m.scaling.metric)],
            request_log_namespaces=sorted({m.namespace for m in cfg.models.values() if m.logs}),
            init_container_models=[k for k, m in cfg.models.items() if m.storage_uris],
            pvc_volume_models=[k for k, m in cfg.models.items() if m.claims_in_storage_uris],
            warm_images=warm_images(cfg.models, cfg.runtimes),
        ),
    )
    return cluster, platform


def warm_images(
    models: Mapping[str, ModelSpec], stack_runtimes: Mapping[str, RuntimeSpec] | None = None
) -> dict[str, list[str]]:
    """Accelerator -> the images the GPU models that ask for it pull and a pod without pull secrets can pull
    (:func:`coldstart.prepull_images`: the image of the runtime KServe serves the model with, a stack runtime of its
    namespace (``stack_runtimes``) included, and its ``oci://`` model images), for warm capacity to pre-pull
    (components/platform/warm.py)."""
    out: dict[str, set[str]] = {}
    for name, spec in models.items():
        facts = coldstart.facts_from_spec(name, spec, coldstart.stack_runtimes(stack_runtimes, spec.namespace))
        if facts.accelerator:
            out.setdefault(facts.accelerator, set()).update(coldstart.prepull_images(facts))
    return {acc: sorted(images) for acc, images in sorted(out.items()) if images}


def serve_models(
    loaded: LoadedConfig, platform: PlatformHandles
) -> tuple[dict[str, ModelService], dict[str, ModelNamespace]]:
    """One ModelService per ``mlplatform:models`` entry; one ModelRuntime per ``mlplatform:runtimes`` entry, which
    the models of its namespace wait for; one ModelNamespace per namespace models (or the pipelines) create and
    per namespace of a runtime.

    A ``SpecError`` from a model (e.g. its storage on another cloud) gets the stack file and key path in front.
    """
    cfg = loaded.config
    namespaces = {
        ns: ModelNamespace(ns, ModelNamespaceArgs(platform=platform, namespace=ns))
        for ns in sorted(
            {m.namespace for m in cfg.models.values() if m.create_namespace}
            | {p.namespace for p in cfg.pipelines.values() if p.create_namespace}
            | {r.namespace for r in cfg.runtimes.values()}
        )
    }
    served_by: dict[str, list[pulumi.Resource]] = {}
    for runtime_name, runtime in cfg.runtimes.items():
        created = namespaces.get(runtime.namespace)
        try:
            served_by.setdefault(runtime.namespace, []).append(
                ModelRuntime(
                    runtime_name,
                    ModelRuntimeArgs(
                        platform=replace(platform, ready=[*platform.ready, created]) if created else platform,
                        spec=runtime,
                    ),
                )
            )
        except SpecError as e:
            raise e.with_prefix(f"{loaded.stack_file}: {NAMESPACE}:runtimes.{runtime_name}.") from None
    services: dict[str, ModelService] = {}
    for model_name, spec in cfg.models.items():
        created = namespaces.get(spec.namespace)
        key = spec.llm.huggingface_token_key if spec.llm else None
        waits: list[pulumi.Resource] = [created] if created else []
        waits += served_by.get(spec.namespace, [])
        try:
            services[model_name] = ModelService(
                model_name,
                ModelServiceArgs(
                    platform=replace(platform, ready=[*platform.ready, *waits]) if waits else platform,
                    spec=spec.model_copy(update={"create_namespace": False}) if created else spec,
                    hf_token=pulumi.Output.secret(loaded.secrets[key]) if key else None,
                    runtimes=cfg.runtimes,
                ),
            )
        except SpecError as e:
            raise e.with_prefix(f"{loaded.stack_file}: {NAMESPACE}:models.{model_name}.") from None
    return services, namespaces


def serve_pipelines(
    loaded: LoadedConfig,
    platform: PlatformHandles,
    models: dict[str, ModelService],
    namespaces: dict[str, ModelNamespace],
) -> dict[str, Pipeline]:
    """One Pipeline per ``mlplatform:pipelines`` entry, after the models its steps name and in the namespace the
    stack creates."""
    cfg = loaded.config
    out: dict[str, Pipeline] = {}
    for name, spec in cfg.pipelines.items():
        created = namespaces.get(spec.namespace)
        # the graph waits for its members (and the namespace), as the models wait for the platform: through ready
        waits: list[pulumi.Resource] = [created] if created else []
        waits += [models[m] for m in members(spec) if m in models]
        try:
            out[name] = Pipeline(
                name,
                PipelineArgs(
                    platform=replace(platform, ready=[*platform.ready, *waits]),
                    spec=spec.model_copy(update={"create_namespace": False}) if created else spec,
                    models=cfg.models,
                    runtimes=cfg.runtimes,
                ),
            )
        except SpecError as e:
            raise e.with_prefix(f"{loaded.stack_file}: {NAMESPACE}:pipelines.{name}.") from None
    return out


def main() -> None:
    """Entry point of ``infra/__main__.py``."""
    build(load_from_runtime())
