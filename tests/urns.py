"""The URN golden lists: every shipped stack's and example's resource URNs, and the check that guards them.

A resource's URN is its identity in a stack's state: a program that registers a resource under another URN makes
Pulumi delete the old resource and create a new one, unless the new registration carries an alias that resolves to
the old URN (docs/upgrading.md). ``tests/golden_urns/<project>.<stack>.txt`` holds each planned URN, sorted, one a
line; ``tests/test_urns.py`` plans every target again and compares.

How the engine matches aliases is modelled on pulumi/pulumi ``pkg/resource/deploy/step_generator.go``:
``generateSteps`` looks a registration up by its URN first, then by each alias ``generateAliases`` makes, in order;
``collapseAliasToUrn`` fills an alias spec's missing name, type, parent, project and stack from the registration
(an aliased parent's old URN stands for the parent); ``inheritedChildAlias`` gives every child of a parent that was
found by an alias one more alias: the parent's old URN as parent, and the child's name with the parent's new name
prefix replaced by the old one (``<name>-<role>`` children follow their parent's rename).

Update the lists after an intended change:

    PYTHONPATH=$PWD .venv/bin/python -m tests.urns --update                    # refuses to drop an unaliased URN
    PYTHONPATH=$PWD .venv/bin/python -m tests.urns --update --accept-removed   # a removal or replacement you mean
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from components.plan.engine import PlanResult, Registration, run_program
from components.plan.project import Project, load_project, read_stack_file

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden_urns"
EXAMPLES = ROOT / "examples"
UPDATE = "PYTHONPATH=$PWD .venv/bin/python -m tests.urns --update"
STACK_TYPE = "pulumi:pulumi:Stack"
COVERAGE = "tests/golden_stacks"
"""Stack files of the repository's program that are not shipped: they exist to put more features under the lists."""


@dataclass(frozen=True)
class Target:
    """One stack of one project (the repository's own program or an example)."""

    project: Project
    stack: str

    @property
    def golden(self) -> Path:
        """The target's golden list."""
        return GOLDEN / f"{self.project.name}.{self.stack}.txt"

    def __str__(self) -> str:
        return f"{self.project.name}/{self.stack}"


def targets() -> list[Target]:
    """Every shipped stack (stacks/Pulumi.*.yaml), every example's stacks, and the coverage stacks of
    tests/golden_stacks (the repository's program with features no shipped stack uses: EKS node groups with
    cluster-autoscaler, external-dns, the GPU operator, warm capacity, Standard mode, MIG)."""
    own = load_project(ROOT)
    projects = [own, dataclasses.replace(own, stack_config_dir=COVERAGE)]
    projects += [load_project(p.parent) for p in sorted(EXAMPLES.glob("*/Pulumi.yaml"))]
    return [Target(p, s) for p in projects for s in p.stacks()]


def plan(target: Target) -> PlanResult:
    """Plan ``target`` under the mocks (as ``mlplatform plan`` does), keeping each resource's aliases."""
    cfg = read_stack_file(target.project, target.stack)
    return run_program(
        target.project.root,
        target.stack,
        cfg.config,
        cfg.secret_keys,
        main=target.project.main,
        project=target.project.name,
        keep_aliases=True,
    )


def read_golden(path: Path) -> list[str]:
    """The URNs of a golden list (blank lines ignored)."""
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_golden(path: Path, urns: Iterable[str]) -> None:
    """Write a golden list: sorted, one URN a line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{u}\n" for u in sorted(set(urns))), encoding="utf-8")


def _parts(urn: str) -> list[str]:
    """``urn:pulumi:<stack>::<project>::<qualified type>::<name>`` split in four (the name may hold ``::``)."""
    return urn[len("urn:pulumi:") :].split("::", 3)


def _qualified_type(urn: str) -> str:
    return _parts(urn)[2]


def _name(urn: str) -> str:
    return _parts(urn)[3]


def make_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """A URN as the engine makes it (``resource.CreateURN``): a parent's qualified type, ``$``, the type."""
    qualified = f"{_qualified_type(parent)}${type_}" if parent else type_
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def _is_root(parent: str) -> bool:
    return not parent or _qualified_type(parent) == STACK_TYPE


@dataclass
class Comparison:
    """A plan against its golden list."""

    vanished: list[str]
    """Golden URNs no registration has now."""
    appeared: list[str]
    """URNs the plan registers that the golden list does not hold."""
    aliased: dict[str, str] = field(default_factory=dict)
    """Old (golden) URN -> the registration that takes it over by an alias."""
    conflicts: list[str] = field(default_factory=list)
    """Aliases that the engine would refuse (two resources claiming one old URN, or an URN still registered)."""

    @property
    def unaliased(self) -> list[str]:
        """Vanished URNs no alias covers: the engine would delete these resources."""
        return [u for u in self.vanished if u not in self.aliased]

    @property
    def safe(self) -> bool:
        """Nothing in the state would be deleted by a rename."""
        return not self.unaliased and not self.conflicts

    @property
    def current(self) -> bool:
        """The golden list is the plan."""
        return not self.vanished and not self.appeared


def alias_urns(reg: Registration, project: str, stack: str, moved: dict[str, str]) -> list[str]:
    """The URNs the engine would look ``reg`` up by after its own (``generateAliases``).

    ``moved``: new URN -> old URN of every resource registered before ``reg`` that the engine found by an alias
    (the step generator's ``aliases`` map).
    """
    parent = reg.parent or ""
    found: list[str] = []

    def collapse(alias: dict[str, object]) -> str:
        if alias.get("urn"):
            return str(alias["urn"])
        name = str(alias.get("name") or reg.name)
        type_ = str(alias.get("type") or reg.type)
        alias_parent = str(alias.get("parentUrn") or "")
        alias_parent = moved.get(alias_parent, alias_parent) if alias_parent else parent
        if alias.get("noParent") or _is_root(alias_parent):
            alias_parent = ""
        return make_urn(
            str(alias.get("stack") or stack), str(alias.get("project") or project), alias_parent, type_, name
        )

    def inherited(child_type: str, child_name: str, parent_alias: str) -> str:
        parent_name = _name(parent)
        name = child_name
        if child_name.startswith(parent_name):
            name = _name(parent_alias) + child_name[len(parent_name) :]
        return make_urn(stack, project, parent_alias, child_type, name)

    def add(urn: str) -> None:
        if urn not in found:
            found.append(urn)

    for alias in reg.aliases:
        add(collapse(alias))
    if parent and parent in moved:
        add(inherited(reg.type, reg.name, moved[parent]))
        for alias in reg.aliases:
            old = collapse(alias)
            add(inherited(_qualified_type(old).rsplit("$", 1)[-1], _name(old), moved[parent]))
    return found


def compare(golden: Iterable[str], result: PlanResult) -> Comparison:
    """Which golden URNs vanished, which appeared, and which vanished URNs an alias takes over."""
    old = set(golden)
    planned = [r.urn for r in result.resources]
    now = set(planned)
    comparison = Comparison(vanished=sorted(old - now), appeared=sorted(now - old))
    moved: dict[str, str] = {}
    for reg in result.resources:  # registration order: a parent is matched before its children
        if reg.urn in old:
            continue
        for alias in alias_urns(reg, result.project, result.stack, moved):
            if alias not in old:
                continue
            if alias in now:
                comparison.conflicts.append(f"{reg.urn} has alias {alias}, which is still registered")
            elif alias in comparison.aliased:
                comparison.conflicts.append(f"{reg.urn} and {comparison.aliased[alias]} both alias {alias}")
            else:
                comparison.aliased[alias] = reg.urn
                moved[reg.urn] = alias
            break
    return comparison


def explain(target: Target | str, comparison: Comparison) -> str:
    """One readable message: what vanished (and whether an alias covers it), what appeared, what to do."""
    lines = [f"{target}: the planned URNs differ from {_rel(target)}"]
    if comparison.unaliased:
        lines.append("vanished without an alias (Pulumi would DELETE these resources and create new ones):")
        lines += [f"  - {u}" for u in comparison.unaliased]
    covered = [u for u in comparison.vanished if u in comparison.aliased]
    if covered:
        lines.append("renamed with an alias (state moves over, nothing is replaced):")
        lines += [f"  ~ {u}\n    -> {comparison.aliased[u]}" for u in covered]
    if comparison.conflicts:
        lines.append("aliases the engine would refuse:")
        lines += [f"  ! {c}" for c in comparison.conflicts]
    fresh = [u for u in comparison.appeared if u not in comparison.aliased.values()]
    if fresh:
        lines.append("appeared:")
        lines += [f"  + {u}" for u in fresh]
    if not comparison.safe:
        lines.append(
            "A rename: add aliases=[pulumi.Alias(name=<old name>)] (or type=, parent=) to the renamed resource's "
            "options and a line in docs/upgrading.md. A removal or replacement you intend: say so in "
            f"docs/upgrading.md, then `{UPDATE} --accept-removed`."
        )
    else:
        lines.append(f"Intended and safe: record it with `{UPDATE}` and commit tests/golden_urns/.")
    return "\n".join(lines)


def _rel(target: Target | str) -> str:
    return _show(target.golden) if isinstance(target, Target) else "its golden list"


def _show(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def update(accept_removed: bool = False, only: list[str] | None = None) -> int:
    """Rewrite the golden lists from a fresh plan of every target; refuse an unaliased removal unless accepted."""
    status = 0
    for target in targets():
        if only and str(target) not in only and target.stack not in only:
            continue
        result = plan(target)
        if target.golden.exists():
            comparison = compare(read_golden(target.golden), result)
            if comparison.current:
                print(f"{target}: unchanged")
                continue
            print(explain(target, comparison))
            if not comparison.safe and not accept_removed:
                print(f"{target}: NOT updated (add the aliases, or give --accept-removed)")
                status = 1
                continue
        write_golden(target.golden, (r.urn for r in result.resources))
        print(f"{target}: wrote {_show(target.golden)} ({len(result.resources)} URNs)")
    return status


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.urns [--update [--accept-removed]] [target ...]``: check or rewrite the golden lists."""
    parser = argparse.ArgumentParser(prog="python -m tests.urns", description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--update", action="store_true", help="rewrite tests/golden_urns/ from a fresh plan")
    parser.add_argument(
        "--accept-removed", action="store_true", help="with --update: also drop URNs no alias covers (a deletion)"
    )
    parser.add_argument("only", nargs="*", help="targets (<project>/<stack> or <stack>); all when none")
    args = parser.parse_args(argv)
    if args.update:
        return update(args.accept_removed, args.only)
    status = 0
    for target in targets():
        if args.only and str(target) not in args.only and target.stack not in args.only:
            continue
        comparison = compare(read_golden(target.golden), plan(target))
        if comparison.current:
            print(f"{target}: matches")
        else:
            print(explain(target, comparison))
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
