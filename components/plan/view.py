"""The terminal view of a plan (rich): a tree of components and their children, then summary tables."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from components.outputs import cluster_outputs
from components.plan import fakes
from components.plan.report import HELM_TYPES, StackPlan
from components.records import UNKNOWN_TEXT, Registration, wire

ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"


def _label(reg: Registration) -> str:
    kind = "component" if not reg.custom else "resource"
    style = "bold cyan" if kind == "component" else "white"
    return f"[{style}]{reg.name}[/] [dim]{reg.type}[/]"


def tree(plan: StackPlan) -> Tree:
    """Components and their children, siblings by name (then URN): the SDK registers resources concurrently, so
    registration order changes from run to run and the same stack must show the same tree."""
    root = Tree(f"[bold]stack {plan.stack}[/] ({plan.cloud}, {len(plan.result.resources)} resources)")
    known = {reg.urn for reg in plan.result.resources}
    children: dict[str | None, list[Registration]] = {}
    for reg in plan.result.resources:
        children.setdefault(reg.parent if reg.parent in known else None, []).append(reg)
    todo: list[tuple[Tree, str | None]] = [(root, None)]
    while todo:
        node, urn = todo.pop()
        for reg in sorted(children.get(urn, []), key=lambda r: (r.name, r.urn)):
            todo.append((node.add(_label(reg)), reg.urn))
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
    for col in ("cluster", "pool", "accelerator", "instance type", "GPUs/node", "nodes", "spot", "sharing", "zones"):
        t.add_column(col)
    for c in clusters:
        out = cluster_outputs(c.outputs)
        pools = out["gpuPools"] or {}
        t.add_row(
            c.type.rsplit(":", 1)[-1],
            "system",
            "-",
            _show(out["systemInstanceType"]),
            "-",
            "-",
            "no",
            "-",
            "-",
        )
        if isinstance(pools, dict):
            for name, p in pools.items():
                t.add_row(
                    "",
                    name,
                    _show(p["accelerator"]),
                    _show(p["instanceType"]),
                    _show(p["gpusPerNode"]),
                    f"{_show(p['minNodes'])}..{_show(p['maxNodes'])}",
                    _show(p["spot"]),
                    _show(p["sharing"]),
                    ", ".join(p["zones"] or []) or "any",
                )
    return t


def addons_table(plan: StackPlan) -> Table | None:
    """Helm releases with chart and version, by release name (then URN): registration order changes from run to run."""
    releases = sorted(
        (r for r in plan.result.resources if r.type in HELM_TYPES),
        key=lambda r: (str(r.wire_inputs().get("name", r.name)), r.urn),
    )
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
    """InferenceServices with format, GPUs, replicas and host, by URN (registration order changes from run to run)."""
    isvcs = sorted(plan.result.of_type(ISVC), key=lambda r: r.urn)
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
        fmt = (model.get("modelFormat") or {}).get("name") or model.get("runtime") or ("custom" if not model else "-")
        model = model or ((pred.get("containers") or [{}])[0] or {})
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


def _resource_label(urn: str | None) -> str:
    """``Kind name`` from a URN (the last type segment and the resource name), or ``stack``."""
    if not urn:
        return "stack"
    parts = urn.split("::")
    return f"{parts[-2].rsplit('$', 1)[-1].rsplit(':', 1)[-1]} {parts[-1]}" if len(parts) >= 4 else urn


def safe_text(text: object) -> str:
    """``text`` with every control, format and surrogate character (Unicode Cc, Cf, Cs: ANSI escapes, newlines,
    U+200B, U+202E, a lone U+D800 that UTF-8 cannot encode: red team #17b A08) written as its JSON escape, so a name
    or message read from a saved plan cannot move the cursor, recolour or reorder the terminal (red team #17 X11) nor
    stop the output (UnicodeEncodeError); the rest, non-ASCII letters included, shows as written."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(json.dumps(c)[1:-1] if unicodedata.category(c) in ("Cc", "Cf", "Cs") else c for c in text)


def policy_table(plan: StackPlan) -> Table:
    """Policy results: failures, then warnings, then one row per rule that passed (or was disabled).

    Each cell is a :class:`rich.text.Text` (plain text with a style), never Rich markup: what a rule or a saved plan
    says is shown as written (no ``[...]`` read as a style), and Rich has no markup to parse per cell (the table is
    drawn for every stack of every ``mlplatform plan`` and ``check``; the same characters as the markup it replaced,
    tests/plan/test_view.py)."""

    failed = [p for p in plan.policies if not p.get("passed") and p.get("enforcement") == "mandatory"]
    warned = [p for p in plan.policies if not p.get("passed") and p.get("enforcement") != "mandatory"]
    rules = len({p.get("policy") for p in plan.policies})
    t = Table(title=f"Policies: {rules} rules, {len(failed)} failed, {len(warned)} warnings", title_justify="left")
    for col in ("policy", "enforcement", "result", "resource", "message"):
        t.add_column(col)
    if not plan.policies:
        t.add_row("-", "-", "no policies ran", "-", "-")
    for p in [*failed, *warned, *(p for p in plan.policies if p.get("passed"))]:
        if p.get("passed"):
            result = (
                Text.assemble(("disabled", "dim"))
                if p.get("enforcement") == "disabled"
                else Text.assemble(("pass", "green"))
            )
            message = p.get("reason", "") if p.get("enforcement") == "disabled" or p.get("reason") else ""
            message = message or p.get("unchecked", "")
        else:
            result = (
                Text.assemble(("FAIL", "red"))
                if p.get("enforcement") == "mandatory"
                else Text.assemble(("warn", "yellow"))
            )
            message = p.get("message", "") + (f" (override: {p['reason']})" if p.get("reason") else "")
        resource = _resource_label(p.get("urn")) if not p.get("passed") else "-"
        t.add_row(
            Text(safe_text(p.get("policy", ""))),
            Text(safe_text(p.get("enforcement", ""))),
            result,
            Text(safe_text(resource)),
            Text(safe_text(message)),
        )
    return t


def _money(value: Any) -> str:
    return "unknown" if value is None else f"${value:,.2f}"


def cost_table(plan: StackPlan) -> Table | None:
    """The monthly estimate (from ``plan.cost``, the same numbers as the JSON): one row per priced item, then totals."""
    cost = plan.cost
    if not cost or not cost.get("clusters"):
        return None
    t = Table(title=f"Monthly cost ({cost.get('currency')}, {cost.get('hoursPerMonth')} h)", title_justify="left")
    for col in ("item", "detail", "$/h each", "priced in", "units", "min/month", "max/month"):
        t.add_column(col, justify="left" if col in ("item", "detail", "priced in") else "right")
    notes: list[str] = []
    for line in cost.get("lines", []):
        lo, hi = line["unitsMin"], line["unitsMax"]
        price = "unknown" if line["usdPerHour"] is None else f"{line['usdPerHour']:g}"
        t.add_row(
            line["item"], line["detail"], price, line.get("priceRegion") or "-", str(lo) if lo == hi else f"{lo}..{hi}",
            _money(line["monthlyMin"]), _money(line["monthlyMax"]),
        )  # fmt: skip
        spot = line.get("spot")
        if spot and spot.get("discount") is not None:
            notes.append(
                f"{line['item']} at the spot discount ({spot['discount']:.0%}): "
                f"{_money(spot['monthlyMin'])}..{_money(spot['monthlyMax'])}"
            )
        if line.get("note"):
            notes.append(f"{line['item']}: {line['note']}")
    totals = cost.get("totals", {}) if any(x["known"] for x in cost.get("lines", [])) else {}
    for key in totals:
        total = totals.get(key) or {}
        shown = ("at least " if total.get("lowerBound") else "") + _money(total.get("usd"))
        lo_shown, hi_shown = ("", shown) if key == "ceiling" else (shown, "")
        t.add_row(f"[bold]total {key}[/]", "", "", "", "", lo_shown, hi_shown)
    notes += cost.get("notes", [])
    if cost.get("unknown"):
        notes.append("unknown prices: " + ", ".join(cost["unknown"]) + "; the totals are lower bounds")
    dates = cost.get("priceDates") or []
    head = (
        "idle: pools at their minimum; baseline: plus the GPU nodes the models' minimum replicas need; ceiling: every "
        "pool at its maximum. On-demand list prices"
        + (f" dated {dates[0]}" + (f" to {dates[-1]}" if dates[-1] != dates[0] else "") if dates else "")
        + "; spot pools priced at on-demand."
    )
    t.caption = "\n".join([head, *notes])
    t.caption_justify = "left"
    return t


def model_cost_table(plan: StackPlan) -> Table | None:
    """The GPU cost of each GPU model's minimum replicas (a share of its pool's node price)."""
    models = [m for m in plan.cost.get("models", []) if m.get("gpusPerReplica")] if plan.cost else []
    if not models:
        return None
    t = Table(title="Model GPU cost at minimum replicas (per month)", title_justify="left")
    for col in ("model", "pool", "GPUs x replicas", "share of node", "monthly", "note"):
        t.add_column(col, justify="right" if col in ("monthly", "share of node") else "left")
    for m in models:
        share = f"{m['gpusPerReplica']}/{m['gpusPerNode']}" if m.get("gpusPerNode") else "-"
        t.add_row(
            f"{m['namespace']}/{m['model']}",
            m.get("pool") or "-",
            f"{m['gpusPerReplica']} x {m['minReplicas']}",
            share,
            _money(m.get("monthly")),
            m.get("note") or "",
        )
    return t


def deploy_time_table(plan: StackPlan) -> Table | None:
    """The critical path of a first deploy, with the estimated start and duration of each step."""
    dt = plan.deploy_time
    if not dt or not dt.get("criticalPath"):
        return None
    t = Table(title=f"Estimated deploy time: {dt.get('summary')}", title_justify="left")
    for col in ("starts at (min)", "takes (min)", "resource", "type"):
        t.add_column(col, justify="right" if "min" in col else "left")
    for step in dt["criticalPath"]:
        t.add_row(f"{step['startMinutes']:g}", f"{step['minutes']:g}", step["name"], step["type"])
    t.caption = "typical creation times per type, with sources: components/deploy_times.yaml"
    t.caption_justify = "left"
    return t


def cold_start_table(plan: StackPlan) -> Table | None:
    """Each GPU model's (and scale-to-zero model's) time to a first answer from zero replicas, with the longest
    step; the steps and their sources are in the plan JSON (``coldStart``) and docs/performance.md."""
    from components.plan.report import cold_start

    estimates = cold_start(plan)
    if not estimates:
        return None
    t = Table(title="Cold start from zero replicas (min)", title_justify="left")
    for col in ("model", "expected", "from zero", "warm node", "longest step (from zero)"):
        t.add_column(col, justify="right" if col in ("expected", "from zero", "warm node") else "left")
    for e in estimates:
        top = e.from_zero.dominant
        expected = f"{e.expected.minutes:g}" + (f" (warm {e.warm.pool})" if e.warm else "")
        t.add_row(
            e.model, expected, f"{e.from_zero.minutes:g}", f"{e.warm_node.minutes:g}", f"{top.step}: {top.minutes:g}"
        )
    t.caption = (
        "expected: the warm-node figure where platform.warmCapacity keeps a node of the model's pool up, else from "
        "zero; step times with sources: components/coldstart.yaml"
    )
    t.caption_justify = "left"
    return t


def render(plan: StackPlan, console: Console, *, show_tree: bool = True) -> None:
    """Print one stack's plan."""
    marker = plan.result.placeholders
    if marker:
        console.print(f"[bold yellow]placeholders:[/] {fakes.placeholder_note(marker)}")
    if show_tree:
        console.print(tree(plan))
    for table in (cluster_table(plan), addons_table(plan), models_table(plan)):
        if table is not None:
            console.print(table)
    console.print(policy_table(plan))
    for message in plan.result.warnings:
        console.print(f"[yellow]warning:[/] {escape(message)}")
    for note in plan.result.model_notes:
        console.print(f"[dim]note: {escape(note)}[/]")
    for table in (cost_table(plan), model_cost_table(plan), deploy_time_table(plan), cold_start_table(plan)):
        if table is not None:
            console.print(table)
    outputs = plan.result.stack_outputs
    if outputs:
        t = Table(title="Stack outputs", title_justify="left")
        t.add_column("output")
        t.add_column("value")
        for k, v in outputs.items():
            t.add_row(k, str(wire(v)))
        console.print(t)
