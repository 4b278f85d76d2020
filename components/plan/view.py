"""The terminal view of a plan (rich): a tree of components and their children, then summary tables."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from components.plan.engine import UNKNOWN_TEXT, Registration
from components.plan.report import HELM_TYPES, StackPlan

ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"


def _label(reg: Registration) -> str:
    kind = "component" if not reg.custom else "resource"
    style = "bold cyan" if kind == "component" else "white"
    return f"[{style}]{reg.name}[/] [dim]{reg.type}[/]"


def tree(plan: StackPlan) -> Tree:
    """Components and their children, in registration order."""
    root = Tree(f"[bold]stack {plan.stack}[/] ({plan.cloud}, {len(plan.result.resources)} resources)")
    nodes: dict[str | None, Tree] = {None: root}
    for reg in plan.result.resources:
        parent = nodes.get(reg.parent, root)
        nodes[reg.urn] = parent.add(_label(reg))
    return root


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if value == UNKNOWN_TEXT:
        return UNKNOWN_TEXT
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def cluster_table(plan: StackPlan) -> Table | None:
    """Clusters and their GPU pools, from the cluster components' outputs."""
    clusters = [
        r for r in plan.result.resources if not r.custom and r.type.endswith("Cluster") and "mlplatform:" in r.type
    ]
    if not clusters:
        return None
    t = Table(title="Cluster and GPU pools", title_justify="left")
    for col in ("cluster", "pool", "accelerator", "instance type", "GPUs/node", "nodes", "spot", "sharing"):
        t.add_column(col)
    for c in clusters:
        pools = c.outputs.get("gpu_pools") or {}
        t.add_row(
            c.type.rsplit(":", 1)[-1], "system", "-", _show(c.outputs.get("system_instance_type")), "-", "-", "no", "-"
        )
        if isinstance(pools, dict):
            for name, p in pools.items():
                t.add_row(
                    "",
                    name,
                    _show(p.get("accelerator")),
                    _show(p.get("instance_type")),
                    _show(p.get("gpus_per_node")),
                    f"{_show(p.get('min_nodes'))}..{_show(p.get('max_nodes'))}",
                    _show(p.get("spot")),
                    _show(p.get("sharing")),
                )
    return t


def addons_table(plan: StackPlan) -> Table | None:
    """Helm releases with chart and version, in registration order."""
    releases = [r for r in plan.result.resources if r.type in HELM_TYPES]
    if not releases:
        return None
    t = Table(title="Add-ons", title_justify="left")
    for col in ("release", "chart", "version", "namespace"):
        t.add_column(col)
    for r in releases:
        i = r.wire_inputs()
        t.add_row(
            _show(i.get("name", r.name)), _show(i.get("chart")), _show(i.get("version")), _show(i.get("namespace"))
        )
    return t


def models_table(plan: StackPlan) -> Table | None:
    """InferenceServices with format, GPUs, replicas and host."""
    isvcs = plan.result.of_type(ISVC)
    if not isvcs:
        return None
    t = Table(title="Models", title_justify="left")
    for col in ("model", "namespace", "format", "GPUs", "replicas", "host"):
        t.add_column(col)
    for r in isvcs:
        i = r.wire_inputs()
        meta = i.get("metadata") or {}
        pred = (i.get("spec") or {}).get("predictor") or {}
        model = pred.get("model") or {}
        fmt = (model.get("modelFormat") or {}).get("name") or model.get("runtime") or "-"
        limits = (model.get("resources") or {}).get("limits") or {}
        ann = meta.get("annotations") or {}
        t.add_row(
            _show(meta.get("name")),
            _show(meta.get("namespace")),
            _show(fmt),
            _show(limits.get("nvidia.com/gpu", 0)),
            f"{_show(pred.get('minReplicas'))}..{_show(pred.get('maxReplicas'))}",
            _show(ann.get("mlplatform.io/host")),
        )
    return t


def policy_table(plan: StackPlan) -> Table:
    """Policy results: failures first."""
    t = Table(title="Policies", title_justify="left")
    for col in ("policy", "enforcement", "result", "resource", "message"):
        t.add_column(col)
    if not plan.policies:
        t.add_row("-", "-", "no policies ran", "-", "-")
    for p in sorted(plan.policies, key=lambda p: (p.get("passed", False), p.get("policy", ""))):
        result = (
            "[green]pass[/]"
            if p.get("passed")
            else "[red]FAIL[/]"
            if p.get("enforcement") == "mandatory"
            else "[yellow]warn[/]"
        )
        t.add_row(p.get("policy", ""), p.get("enforcement", ""), result, p.get("urn", "") or "-", p.get("message", ""))
    return t


def render(plan: StackPlan, console: Console, *, show_tree: bool = True) -> None:
    """Print one stack's plan."""
    if show_tree:
        console.print(tree(plan))
    for table in (cluster_table(plan), addons_table(plan), models_table(plan)):
        if table is not None:
            console.print(table)
    console.print(policy_table(plan))
    if plan.cost:
        console.print(f"[bold]Cost[/]: {plan.cost.get('summary', plan.cost)}")
    outputs = plan.result.stack_outputs
    if outputs:
        t = Table(title="Stack outputs", title_justify="left")
        t.add_column("output")
        t.add_column("value")
        from components.plan.engine import _wire

        for k, v in outputs.items():
            t.add_row(k, str(_wire(v)))
        console.print(t)
