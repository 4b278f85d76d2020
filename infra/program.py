"""Wire the components for one stack. No resource logic lives here: only config -> components -> exports."""

from __future__ import annotations

import pulumi

from components.clusters import create_cluster
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
    ours = {k: v for k, v in raw.items() if k.startswith(f"{NAMESPACE}:")}
    return load(ours, frozenset(secret_keys), stack_file(pulumi.get_stack()))


def build(loaded: LoadedConfig) -> None:
    """Declare the stack: the cluster, then (as they land) the platform add-ons and the models."""
    cfg = loaded.config
    name = "mlplatform"
    cluster = create_cluster(
        name,
        cloud=cfg.cloud,
        region=cfg.region,
        spec=cfg.cluster,
        environment=cfg.environment,
        tags={"environment": cfg.environment, **cfg.tags},
        cluster_name=cfg.cluster.name or f"mlp-{pulumi.get_stack()}",
    )
    pulumi.export("cloud", cfg.cloud)
    pulumi.export("environment", cfg.environment)
    pulumi.export("gpuPools", {k: v.instance_type for k, v in cluster.gpu.pools.items()})


def main() -> None:
    """Entry point of ``infra/__main__.py``."""
    build(load_from_runtime())
