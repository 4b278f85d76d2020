"""Every shipped stack, planned once, and its variants: the rendered objects the model checks read.

The Standard variant is the stack file with ``platform.deploymentMode: Standard`` and what that mode cannot serve
changed the way its error messages ask (minReplicas 0 -> 1, request metrics -> cpu, no canary). The ACME variant
is the stack with ``platform.tls.issuer: acme`` as docs/configuration.md documents it: with ``platform.dns`` (the
zone of the domain; cert-manager gets a cloud identity on it) on the clouds, and with an ``acmeDns01`` solver that
brings its own credentials as a secret reference on an existing cluster (which has no cloud identity to grant).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from components.plan.engine import PlanResult, run_program
from components.plan.project import load_project, read_stack_file
from components.plan.report import kubernetes_objects
from support import ROOT, shared_cache

STACKS = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in Path(ROOT / "stacks").glob("Pulumi.*.yaml"))


def _standard(config: dict[str, Any]) -> dict[str, Any]:
    out = dict(config)
    platform = json.loads(out["mlplatform:platform"])
    platform["deploymentMode"] = "Standard"
    out["mlplatform:platform"] = json.dumps(platform)
    models = json.loads(out["mlplatform:models"])
    for spec in models.values():
        scaling = spec.setdefault("scaling", {})
        scaling["minReplicas"] = max(1, scaling.get("minReplicas", 1))
        scaling["maxReplicas"] = max(scaling["minReplicas"], scaling.get("maxReplicas", 3))
        scaling.pop("target", None)
        scaling.pop("metric", None)
        scaling.pop("scaleDownDelay", None)  # Knative only: refused in Standard mode (red14h break 7)
        spec.pop("canaryTrafficPercent", None)
    out["mlplatform:models"] = json.dumps(models)
    return out


def _flipped(config: dict[str, Any]) -> dict[str, Any]:
    """Knative mode with every public model's minReplicas flipped (0 -> 1, else 0), so each public access mode is
    seen both at zero and running (an internal model cannot scale to zero in Knative mode: it keeps its value)."""
    out = dict(config)
    models = json.loads(out["mlplatform:models"])
    for spec in models.values():
        if spec.get("access", {}).get("mode") == "internal":
            continue
        scaling = spec.setdefault("scaling", {})
        scaling["minReplicas"] = 1 if scaling.get("minReplicas", 1) == 0 else 0
    out["mlplatform:models"] = json.dumps(models)
    return out


ACME_EMAIL = "platform@mycorp.io"
ACME_ZONES: dict[str, dict[str, str]] = {
    "aws": {"id": "Z0123456789ABCDEFGHIJ"},
    "gcp": {"id": "models-zone"},
    "azure": {"resourceGroup": "dns-rg"},
}
"""What each cloud needs to find the zone (docs/configuration.md ``platform.dns``: Route 53 hosted zone id, Cloud DNS
managed zone name, Azure DNS resource group); the zone is the platform's domain."""
EXISTING_DNS01 = {"cloudflare": {"apiTokenSecretRef": {"name": "cloudflare-api-token", "key": "api-token"}}}


def _acme(config: dict[str, Any]) -> dict[str, Any]:
    out = dict(config)
    platform = json.loads(out["mlplatform:platform"])
    cloud = str(out["mlplatform:cloud"]).strip('"')
    tls: dict[str, Any] = {"issuer": "acme", "acmeEmail": ACME_EMAIL}
    if cloud in ACME_ZONES:
        platform["dns"] = {"zone": platform["domain"], **ACME_ZONES[cloud]}
    else:
        tls["acmeDns01"] = EXISTING_DNS01
    platform["tls"] = tls
    out["mlplatform:platform"] = json.dumps(platform)
    return out


def _config(stack: str, mode: str) -> dict[str, Any]:
    cfg = read_stack_file(load_project(ROOT), stack)
    config = dict(cfg.config)
    if mode == "Standard":
        config = _standard(config)
    elif mode == "Knative-flipped":
        config = _flipped(config)
    elif mode == "ACME":
        config = _acme(config)
    elif mode == "Standard-ACME":
        config = _acme(_standard(config))
    return config


def model_configs(stack: str, mode: str = "Knative") -> dict[str, dict[str, Any]]:
    """``mlplatform:models`` of the variant, as written (the user's promise, not what was rendered)."""
    models: dict[str, dict[str, Any]] = json.loads(_config(stack, mode)["mlplatform:models"])
    return models


@shared_cache
def planned(stack: str, mode: str = "Knative") -> PlanResult:
    """Plan ``stacks/Pulumi.<stack>.yaml`` with the real program; ``mode`` Standard plans its Standard variant,
    ``Knative-flipped`` the stack with every public model's minReplicas flipped between 0 and 1, ``ACME`` its ACME
    variant, ``Standard-ACME`` both."""
    project = load_project(ROOT)
    cfg = read_stack_file(project, stack)
    config = _config(stack, mode)
    return run_program(project.root, stack, config, cfg.secret_keys, main=project.main, project=project.name)


@cache
def objects(stack: str, mode: str = "Knative") -> tuple[dict[str, Any], ...]:
    """The Kubernetes objects of :func:`planned`, with plain values."""
    return tuple({**obj, **reg.plain_inputs()} for reg, obj in kubernetes_objects(planned(stack, mode)))


MODES = ("Knative", "Knative-flipped", "Standard", "ACME", "Standard-ACME")


def variants() -> list[tuple[str, str]]:
    """(stack, mode) for every shipped stack as shipped, with minReplicas flipped, its Standard variant, its ACME
    variant, and both."""
    return [(s, m) for s in STACKS for m in MODES]


def every_stack_isvc() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every InferenceService of every variant."""
    for stack, mode in variants():
        for obj in objects(stack, mode):
            if obj.get("kind") == "InferenceService":
                yield f"{stack}/{mode}", obj
