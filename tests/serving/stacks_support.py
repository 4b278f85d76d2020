"""Every shipped stack, planned once, and a Standard-mode variant of each: the rendered objects the model checks read.

The Standard variant is the stack file with ``platform.deploymentMode: Standard`` and what that mode cannot serve
changed the way its error messages ask (minReplicas 0 -> 1, request metrics -> cpu, no canary).
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
from support import ROOT

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


def _config(stack: str, mode: str) -> dict[str, Any]:
    cfg = read_stack_file(load_project(ROOT), stack)
    config = dict(cfg.config)
    if mode == "Standard":
        config = _standard(config)
    elif mode == "Knative-flipped":
        config = _flipped(config)
    return config


def model_configs(stack: str, mode: str = "Knative") -> dict[str, dict[str, Any]]:
    """``mlplatform:models`` of the variant, as written (the user's promise, not what was rendered)."""
    models: dict[str, dict[str, Any]] = json.loads(_config(stack, mode)["mlplatform:models"])
    return models


@cache
def planned(stack: str, mode: str = "Knative") -> PlanResult:
    """Plan ``stacks/Pulumi.<stack>.yaml`` with the real program; ``mode`` Standard plans its Standard variant,
    ``Knative-flipped`` the stack with every public model's minReplicas flipped between 0 and 1."""
    project = load_project(ROOT)
    cfg = read_stack_file(project, stack)
    config = _config(stack, mode)
    return run_program(project.root, stack, config, cfg.secret_keys, main=project.main, project=project.name)


@cache
def objects(stack: str, mode: str = "Knative") -> tuple[dict[str, Any], ...]:
    """The Kubernetes objects of :func:`planned`, with plain values."""
    return tuple({**obj, **reg.plain_inputs()} for reg, obj in kubernetes_objects(planned(stack, mode)))


MODES = ("Knative", "Knative-flipped", "Standard")


def variants() -> list[tuple[str, str]]:
    """(stack, mode) for every shipped stack as shipped, with minReplicas flipped, and its Standard variant."""
    return [(s, m) for s in STACKS for m in MODES]


def every_stack_isvc() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every InferenceService of every variant."""
    for stack, mode in variants():
        for obj in objects(stack, mode):
            if obj.get("kind") == "InferenceService":
                yield f"{stack}/{mode}", obj
