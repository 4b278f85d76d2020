"""Turn a recorded plan into the JSON document, manifest files and terminal view of ``mlplatform plan``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components import coldstart
from components.outputs import cluster_outputs
from components.records import UNKNOWN_TEXT, PlanResult, Registration, wire

HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
K8S_PROVIDER = "pulumi:providers:kubernetes"
ISVC_TYPE = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
SERVING_RUNTIME_TYPE = "kubernetes:serving.kserve.io/v1alpha1:ServingRuntime"


@dataclass
class StackPlan:
    """One stack's plan: the recording plus what was computed from it."""

    stack: str
    cloud: str
    result: PlanResult
    policies: list[dict[str, Any]] = field(default_factory=list)
    cost: dict[str, Any] = field(default_factory=dict)
    deploy_time: dict[str, Any] = field(default_factory=dict)
    judged: PlanResult | None = None
    """The placeholder rendering the unchecked mandatory rules were judged over (policy/judged.py), if any."""

    @property
    def mandatory_failures(self) -> list[dict[str, Any]]:
        """Policy violations that block a deploy."""
        return [p for p in self.policies if p.get("enforcement") == "mandatory" and not p.get("passed", False)]


def resource_json(reg: Registration) -> dict[str, Any]:
    """One resource as it appears in the plan JSON."""
    return {
        "urn": reg.urn,
        "type": reg.type,
        "name": reg.name,
        "parent": reg.parent,
        "provider": reg.provider_urn,
        "dependsOn": sorted(reg.all_dependencies() - ({reg.provider_urn} if reg.provider_urn else set())),
        "inputs": reg.wire_inputs(),
        "protect": reg.protect,
        **({"modelledFrom": reg.modelled} if reg.modelled else {}),
    }


def _by_urn(regs: Iterable[Registration]) -> list[Registration]:
    return sorted(regs, key=lambda r: r.urn)


def plan_json(project: str, plans: Iterable[StackPlan]) -> dict[str, Any]:
    """The ``--json`` document: one per run, every stack planned.

    ``settings`` per stack: what the policies read besides the resources (environment, required tags, GPU budget,
    API opt-in, anonymous models, monthly budget, overrides with reasons), from the validated stack config; with
    ``resources`` (providers included) and ``cost`` it is what ``mlplatform check`` needs to run the policies again.
    ``judgedResources``: the placeholder rendering the entries marked ``judgedOver`` were judged over (present when
    the plan judged documents known only after deploy, policy/judged.py), so ``check`` judges them the same way.
    ``resources`` and ``judgedResources`` are sorted by URN: the SDK registers resources concurrently, so their
    registration order changes from run to run, and the same stack must give the same file (issue #15,
    reproducible plans).
    """
    plans = list(plans)
    return {
        "project": project,
        "placeholders": any(p.result.placeholders for p in plans),
        "stacks": [
            {
                "stack": p.stack,
                "cloud": p.cloud,
                "placeholders": p.result.placeholders,
                "resources": [resource_json(r) for r in _by_urn(p.result.resources)],
                "outputs": _wire_outputs(p.result.stack_outputs),
                "warnings": p.result.warnings,
                "modelNotes": p.result.model_notes,
                "policies": p.policies,
                "cost": p.cost,
                "deployTime": p.deploy_time,
                "coldStart": [e.to_json() for e in cold_start(p)],
                "settings": p.result.context.get("policySettings"),
                **({"judgedResources": [resource_json(r) for r in _by_urn(p.judged.resources)]} if p.judged else {}),
            }
            for p in plans
        ],
    }


def cluster_facts(plan: StackPlan) -> coldstart.ClusterFacts:
    """The cluster facts cold starts depend on: the stack's cloud and the cluster's ``gpuProvisioner``,
    ``gpuStreamedRegistries`` and ``gpuPools`` (their ``cachedImages`` and ``diskSizeGib``) outputs."""
    provisioner = None
    streamed: tuple[str, ...] = ()
    caches: tuple[tuple[str, tuple[str, ...]], ...] = ()
    disks: tuple[tuple[str, float], ...] = ()
    for reg in plan.result.resources:
        outputs = cluster_outputs(reg.outputs if isinstance(reg.outputs, dict) else {})
        found, registries = outputs["gpuProvisioner"], outputs["gpuStreamedRegistries"]
        if not reg.custom and isinstance(found, str):
            provisioner = found
        if not reg.custom and isinstance(registries, list):
            streamed = tuple(str(r) for r in registries)
            pools = outputs["gpuPools"]
            caches = coldstart.pool_caches(pools if isinstance(pools, dict) else None)
            disks = coldstart.pool_disks(pools if isinstance(pools, dict) else None)
    return coldstart.ClusterFacts(plan.cloud, provisioner, streamed, caches, disks)


def cold_start(plan: StackPlan) -> list[coldstart.Estimate]:
    """Cold-start estimates of the stack's GPU models and models that can scale to zero (:mod:`coldstart`), with the
    warm capacity the plan declares (:func:`components.cost.warm_capacity`) and the runtime KServe serves each
    model with, the plan's ServingRuntimes of its namespace included."""
    from components.cost import warm_capacity

    isvcs = [r.wire_inputs() for r in plan.result.resources if r.type == ISVC_TYPE]
    warm = [
        coldstart.WarmPool(w.pool, w.nodes, w.accelerator, w.gpus_per_node, w.images, w.instance_type)
        for w in warm_capacity(plan.result)
    ]
    runtimes = [r.wire_inputs() for r in plan.result.resources if r.type == SERVING_RUNTIME_TYPE]
    return coldstart.plan_estimates(isvcs, cluster_facts(plan), warm, runtimes)


def _wire_outputs(outputs: dict[str, Any]) -> dict[str, Any]:
    return {k: wire(v) for k, v in outputs.items()}


# ------------------------------------------------------------------------------------------------ manifests

_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def kubernetes_objects(result: PlanResult) -> list[tuple[Registration, dict[str, Any]]]:
    """Every Kubernetes object the program declares directly (not Helm releases), as a manifest dict."""
    out = []
    for reg in result.resources:
        if not reg.custom or not reg.type.startswith("kubernetes:") or reg.type in HELM_TYPES:
            continue
        if reg.type.startswith("pulumi:providers:"):
            continue
        obj = dict(reg.wire_inputs())
        obj.setdefault("apiVersion", _api_version(reg.type))
        obj.setdefault("kind", reg.type.rsplit(":", 1)[-1])
        ordered: dict[str, Any] = {k: obj[k] for k in ("apiVersion", "kind", "metadata") if k in obj}
        ordered.update({k: v for k, v in obj.items() if k not in ordered})
        out.append((reg, ordered))
    return out


def _api_version(type_: str) -> str:
    group_version = type_.split(":")[1]
    return group_version.removeprefix("core/")


def helm_releases(result: PlanResult) -> list[tuple[Registration, dict[str, Any]]]:
    """Every Helm release/chart: chart, repository, version, namespace and values."""
    out = []
    for reg in result.resources:
        if reg.type not in HELM_TYPES:
            continue
        inputs = reg.wire_inputs()
        repo = (inputs.get("repositoryOpts") or {}).get("repo", "")
        out.append(
            (
                reg,
                {
                    "release": inputs.get("name", reg.name),
                    "chart": inputs.get("chart"),
                    "repository": repo,
                    "version": inputs.get("version"),
                    "namespace": inputs.get("namespace", "default"),
                    "values": inputs.get("values", {}),
                },
            )
        )
    return out


def write_manifests(root: Path, plan: StackPlan) -> list[Path]:
    """Write ``root/<stack>/<namespace or _cluster>/<kind>-<name>.yaml`` and ``root/<stack>/_helm/<release>.yaml``."""
    written: list[Path] = []
    base = root / plan.stack
    for _reg, obj in kubernetes_objects(plan.result):
        meta = obj.get("metadata") or {}
        ns = meta.get("namespace") if isinstance(meta, dict) else None
        name = meta.get("name") if isinstance(meta, dict) else None
        if not isinstance(name, str) or name == UNKNOWN_TEXT:
            name = _reg.name
        folder = base / (_SAFE.sub("_", ns) if isinstance(ns, str) and ns != UNKNOWN_TEXT else "_cluster")
        path = folder / f"{str(obj['kind']).lower()}-{_SAFE.sub('_', name)}.yaml"
        written.append(_dump(path, obj))
    for _reg, rel in helm_releases(plan.result):
        path = base / "_helm" / f"{_SAFE.sub('_', str(rel['release']))}.yaml"
        written.append(_dump(path, rel))
    return written


def _dump(path: Path, obj: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(obj, sort_keys=False, default_flow_style=False))
    return path
