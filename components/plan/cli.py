"""``mlplatform plan``: see exactly what a stack declares, with no cloud, no Pulumi CLI and no cluster.

Exit status: 0 planned; 1 a mandatory policy failed; 2 invalid configuration or project (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from components.errors import SpecError
from components.plan.project import Project, find_project, load_project, read_stack_file
from components.plan.report import StackPlan, plan_json, write_manifests

EXIT_OK, EXIT_POLICY, EXIT_INVALID = 0, 1, 2


def plan_stack(project: Project, stack: str, secret_values: dict[str, str] | None = None) -> StackPlan:
    """Plan one stack of ``project``: run its program under the mocks, then the cost, deploy time and policies."""
    from components.cost import estimate
    from components.deploytime import critical_path
    from components.plan.engine import fewer_gc_passes, run_program
    from policy.rules import StackSettings, evaluate
    from policy.rules.budget import with_cost

    cfg = read_stack_file(project, stack, secret_values)
    result = run_program(project.root, stack, cfg.config, cfg.secret_keys, main=project.main, project=project.name)
    result.context["config"] = cfg.config
    result.context["stack_file"] = cfg.path
    cloud = str(cfg.config.get(f"{project.name}:cloud", "unknown"))
    plan = StackPlan(stack=stack, cloud=cloud, result=result)
    with fewer_gc_passes():
        plan.cost = estimate(result).to_json()
        plan.deploy_time = critical_path(result).to_json()
        settings = StackSettings.from_config(cfg.config, namespace=project.name)
        facts = with_cost(settings.facts, cfg.config, plan.cost, namespace=project.name)
        plan.policies = evaluate(result, replace(settings, facts=facts))
    return plan


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mlplatform", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = p.add_subparsers(dest="command", required=True)
    plan = sub.add_parser("plan", help="plan stacks offline and show what they declare")
    which = plan.add_mutually_exclusive_group()
    which.add_argument("--stack", help="plan this stack only (default: every stack)")
    which.add_argument("--all", action="store_true", help="plan every stack in the stack config folder (default)")
    plan.add_argument("--json", type=Path, metavar="PATH", help="write the plan as one JSON document")
    plan.add_argument("--manifests", type=Path, metavar="DIR", help="write every Kubernetes object and Helm release")
    plan.add_argument("--project", type=Path, metavar="DIR", help="the project folder (default: found upward)")
    plan.add_argument("--no-tree", action="store_true", help="summary tables only")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (also used as the process exit code)."""
    args = _parser().parse_args(argv)
    from components.plan.engine import fewer_gc_passes

    with fewer_gc_passes():  # the plans stay alive until the output is written
        return _plan(args)


def _plan(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console()
    err = Console(stderr=True)
    try:
        project = load_project(args.project) if args.project else find_project(Path.cwd())
        stacks = [args.stack] if args.stack else project.stacks()
        plans = [plan_stack(project, s) for s in stacks]
    except SpecError as e:
        err.print(str(e), markup=False, highlight=False, emoji=False, soft_wrap=True)
        return EXIT_INVALID
    from components.plan.view import render

    for p in plans:
        render(p, console, show_tree=not args.no_tree)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(plan_json(project.name, plans), indent=1, sort_keys=False))
    if args.manifests:
        for p in plans:
            write_manifests(args.manifests, p)
    failed = [f for p in plans for f in p.mandatory_failures]
    if failed:
        err.print(f"{len(failed)} mandatory policy violation(s); see the Policies table", markup=False)
        return EXIT_POLICY
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
