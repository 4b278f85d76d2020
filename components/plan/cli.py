"""``mlplatform plan``: see exactly what a stack declares, with no cloud, no Pulumi CLI and no cluster.

Exit status: 0 planned; 1 a mandatory policy failed; 2 invalid configuration or project, or a component's own
validation (pulumi-eks, modelled in components/plan/aws_eks.py) refuses the program's inputs (one line on stderr).
``mlplatform where ACCELERATOR``: the regions that offer it, cheapest first, from the catalog.
``mlplatform import FILE... [--stack NAME]``: KServe InferenceServices as ``mlplatform:models`` entries
(components/plan/kimport.py); exit 2 when one cannot be expressed (one line each).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from components.catalog import CLOUDS
from components.errors import SpecError
from components.plan.project import Project, StackConfigFile, find_project, load_project, read_stack_file
from components.plan.report import StackPlan, plan_json, write_manifests

if TYPE_CHECKING:
    from policy.rules import Facts

EXIT_OK, EXIT_POLICY, EXIT_INVALID = 0, 1, 2
EXIT_INTERNAL = 70
"""A bug in mlplatform, not the user's input (BSD sysexits EX_SOFTWARE): the traceback is printed to report it."""


def plan_stack(
    project: Project, stack: str, secret_values: dict[str, str] | None = None, *, placeholders: bool = False
) -> StackPlan:
    """Plan one stack of ``project``: run its program under the mocks, then the cost, deploy time and policies.

    ``placeholders``: fill values known only after deploy with typed placeholders (see docs/plan.md).
    """
    from components.cost import estimate
    from components.deploytime import critical_path
    from components.plan.engine import fewer_gc_passes, run_program
    from policy.judged import judge_unknown_documents
    from policy.rules import StackSettings, evaluate
    from policy.rules.budget import with_cost

    cfg = read_stack_file(project, stack, secret_values)
    result = run_program(
        project.root,
        stack,
        cfg.config,
        cfg.secret_keys,
        main=project.main,
        project=project.name,
        outputs="fake" if placeholders else "unknown",
    )
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
        if not placeholders:
            # documents built from outputs are unknown here: judge them over a placeholder rendering (policy/judged.py)
            plan.policies = judge_unknown_documents(
                plan.policies, lambda names: _placeholder_policies(project, stack, cfg, facts, plan, names)
            )
    return plan


class _UsageError(Exception):
    """A command line argparse refuses: said in one line by :func:`main`, exit 2."""


class _OneLineParser(argparse.ArgumentParser):
    """argparse, with a refused command line said in one line (argparse prints the usage and the error on two lines
    and exits itself); subcommand parsers inherit it (``add_subparsers`` makes parsers of its parser's class)."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: {message}; see {self.prog} --help")


class _Once(argparse.Action):
    """An option that may be given once: a second ``--stack`` would silently replace the first."""

    def __call__(
        self, parser: argparse.ArgumentParser, ns: argparse.Namespace, value: Any, opt: str | None = None
    ) -> None:
        if getattr(ns, self.dest, None) is not None:
            parser.error(f"{opt} given twice ({getattr(ns, self.dest)}, {value}); give it once, or plan every stack")
        setattr(ns, self.dest, value)


def _placeholder_policies(
    project: Project, stack: str, cfg: StackConfigFile, facts: Facts, plan: StackPlan, names: Sequence[str]
) -> list[dict[str, Any]]:
    """The entries of the rules ``names`` over the stack planned again with typed placeholders (``outputs="fake"``);
    the rendering is kept on ``plan`` (``judged``) so the saved plan carries what these entries were judged over
    (policy/judged.py)."""
    from components.plan.engine import run_program
    from policy.rules import StackSettings, evaluate, rules_called

    result = run_program(
        project.root, stack, cfg.config, cfg.secret_keys, main=project.main, project=project.name, outputs="fake"
    )
    plan.judged = result
    settings = StackSettings.from_config(cfg.config, namespace=project.name)
    return evaluate(result, replace(settings, facts=facts), rules_called(names))


def _ascii_int(text: str) -> int:
    """A whole number in ASCII digits: Python's int() also reads other scripts' digits (``٨`` as 8) and spaces."""
    if not re.fullmatch(r"[0-9]+", text, re.ASCII):
        raise argparse.ArgumentTypeError(f"invalid number: {json.dumps(text)}; give ASCII digits such as 8")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    p = _OneLineParser(prog="mlplatform", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = p.add_subparsers(dest="command", required=True)
    plan = sub.add_parser("plan", help="plan stacks offline and show what they declare")
    which = plan.add_mutually_exclusive_group()
    which.add_argument("--stack", action=_Once, help="plan this stack only (default: every stack)")
    which.add_argument("--all", action="store_true", help="plan every stack in the stack config folder (default)")
    plan.add_argument("--json", metavar="PATH", help="write the plan as one JSON document (a file path; not -)")
    plan.add_argument(
        "--manifests", metavar="DIR", help="write every Kubernetes object and Helm release (not into the stack folder)"
    )
    plan.add_argument("--project", type=Path, metavar="DIR", help="the project folder (default: found upward)")
    plan.add_argument("--no-tree", action="store_true", help="summary tables only")
    plan.add_argument(
        "--placeholders",
        action="store_true",
        help="fill values known only after deploy (ARNs, account ids, kubeconfigs) with typed placeholders",
    )
    where = sub.add_parser(
        "where", help="the regions that offer an accelerator, cheapest first (from the catalog, no cloud call)"
    )
    where.add_argument("accelerator", help="a catalog accelerator name, e.g. nvidia-l4")
    where.add_argument("--gpus", type=_ascii_int, metavar="N", help="GPUs per node (default: every size)")
    where.add_argument("--cloud", choices=CLOUDS, help="one cloud only (default: all)")
    where.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    _check_parser(sub)
    imp = sub.add_parser("import", help="KServe InferenceService manifests as mlplatform:models entries of a stack")
    imp.add_argument("files", type=Path, nargs="+", metavar="FILE", help="InferenceService manifests (YAML)")
    imp.add_argument("--stack", action=_Once, help="the stack the models go to (default: the only stack)")
    imp.add_argument("--project", type=Path, metavar="DIR", help="the project folder (default: found upward)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (also used as the process exit code).

    The guard: a user's mistake (:class:`SpecError`, including a path that cannot be written) is one line on stderr
    and exit 2; anything else is a bug in mlplatform, said to be one, with its traceback, and exit 70.
    """
    try:
        args = _parser().parse_args(argv)
    except _UsageError as e:
        _say(str(e))
        return EXIT_INVALID
    try:
        return _dispatch(args)
    except SpecError as e:
        _say(str(e))
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        import traceback

        traceback.print_exc(file=sys.stderr)
        _say(f"mlplatform: internal error (a bug in mlplatform, not in your input): {type(e).__name__}: {e}")
        return EXIT_INTERNAL


def _say(line: str) -> None:
    """One line on stderr, as written (no markup, no wrapping)."""
    print(" ".join(line.split("\n")), file=sys.stderr, flush=True)


def _dispatch(args: argparse.Namespace) -> int:
    from components.plan.engine import fewer_gc_passes

    if args.command == "where":
        return _where(args)
    if args.command == "check":
        return _check(args)
    if args.command == "import":
        from components.plan import kimport

        return kimport.run(
            args.files, args.stack, load_project(args.project) if args.project else find_project(Path.cwd())
        )
    with fewer_gc_passes():  # the plans stay alive until the output is written
        return _plan(args)


@dataclass(frozen=True)
class Offer:
    """One machine in one region: ``usd_per_hour`` is None when unknown; ``price_region`` is where the price is from
    (the region itself, or the catalog's reference region when it has no price there); ``region`` is None when the
    catalog does not know the machine's regions; ``zones`` only on gcp."""

    cloud: str
    region: str | None
    instance_type: str
    gpus: int
    usd_per_hour: float | None
    price_region: str
    zones: tuple[str, ...]
    note: str

    @property
    def priced_here(self) -> bool:
        """Whether the price is known and is the region's own."""
        return self.usd_per_hour is not None and self.price_region == self.region

    def to_json(self) -> dict[str, object]:
        """The row as ``mlplatform where --json`` prints it (camelCase keys)."""
        return {
            "cloud": self.cloud, "region": self.region, "instanceType": self.instance_type, "gpus": self.gpus,
            "usdPerHour": self.usd_per_hour, "priceRegion": self.price_region, "zones": list(self.zones),
            "note": self.note,
        }  # fmt: skip


def offers(accelerator: str, gpus: int | None = None, cloud: str | None = None) -> list[Offer]:
    """Every (machine, region) offering ``accelerator`` (``gpus`` per node, on ``cloud``): those priced in their own
    region first, cheapest first; then the rest by cloud and region. A machine whose regions the catalog does not
    know is one offer with region None. Raises :class:`SpecError` for an accelerator or size the catalog lacks."""
    from components import catalog

    if accelerator not in catalog.ACCELERATORS:
        raise SpecError("accelerator", accelerator, f"give one of {', '.join(catalog.ACCELERATORS)}")
    sizes = sorted({m.gpus for m in catalog.machines(cloud) if m.accelerator == accelerator})
    if not sizes:
        raise SpecError("accelerator", accelerator, f"not offered on {cloud}; give another accelerator or cloud")
    if gpus is not None and gpus not in sizes:
        raise SpecError("--gpus", gpus, f"give one of {', '.join(map(str, sizes))} (GPUs per node of {accelerator})")
    found: list[Offer] = []
    for m in catalog.machines(cloud):
        if m.accelerator != accelerator or gpus not in (None, m.gpus):
            continue
        for region in m.regions or (None,):
            price = m.price_in(region)
            note = "" if price.known else price.method.split("unknown: ")[-1]
            if price.known and region and price.region != region:
                note = f"no {region} price in the catalog: the {price.region} price"
            if region is None:
                note = "the catalog does not know its regions"
            found.append(
                Offer(
                    m.cloud,
                    region,
                    m.instance_type,
                    m.gpus,
                    price.usd_per_hour,
                    price.region,
                    m.zones_in(region) if region else (),
                    note,
                )
            )
    here = sorted((o for o in found if o.priced_here), key=lambda o: (o.usd_per_hour or 0.0, o.cloud, o.region or ""))
    rest = sorted((o for o in found if not o.priced_here), key=lambda o: (o.cloud, o.region or "", o.gpus))
    return here + rest


def _where(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    try:
        found = offers(args.accelerator, args.gpus, args.cloud)
    except SpecError as e:
        Console(stderr=True).print(str(e), markup=False, highlight=False, emoji=False, soft_wrap=True)
        return EXIT_INVALID
    if args.json:
        print(json.dumps([o.to_json() for o in found], indent=1))
        return EXIT_OK
    title = f"{args.accelerator}: {len(found)} offers, those priced in their own region first, cheapest first"
    t = Table(title=title, title_justify="left")
    for col in ("cloud", "region", "type", "GPUs", "$/h", "zones", "note"):
        t.add_column(col, justify="right" if col in ("GPUs", "$/h") else "left", overflow="fold")
    for o in found:
        price = "unknown" if o.usd_per_hour is None else f"{o.usd_per_hour:g}"
        zones = ", ".join(z.rsplit("-", 1)[-1] for z in o.zones)
        t.add_row(o.cloud, o.region or "?", o.instance_type, str(o.gpus), price, zones, o.note)
    Console().print(t)
    return EXIT_OK


class OutputError(SpecError):
    """An output path given on the command line cannot be written; the message is one complete line."""

    def __init__(self, option: str, path: Path | str, why: str) -> None:
        self._line = f"{option}: {path}: {why}"
        super().__init__(option, str(path), why)

    @property
    def message(self) -> str:
        """The complete line."""
        return self._line


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


OWN_PACKAGES = ("components", "infra", "policy")
"""mlplatform's top-level packages (pyproject.toml ``module-name``), beside each other: no output may be in them."""


def _own_source() -> list[Path]:
    here = Path(__file__).resolve().parents[2]  # components/plan/cli.py -> the folder holding the packages
    return [here / name for name in OWN_PACKAGES]


def _check_outputs(args: argparse.Namespace, project: Project, stacks: list[str]) -> None:
    """Refuse output paths before planning, every one before anything is written (a full disk is only found when
    writing): an empty path (it would be the current folder); ``-`` (refused, not read as stdout: the plan's tables
    are printed there, so the JSON would not be a document; a file named ``-`` is rarely meant); an output that is, or
    is inside, one of the project's inputs (Pulumi.yaml, the stack config folder, a stack file, the program folder
    ``main`` names, mlplatform's own packages: writing there would destroy them); the two options naming one path,
    or one inside the other; then the shape of each path."""
    outputs: list[tuple[str, str]] = [
        (o, getattr(args, o.lstrip("-"))) for o in ("--json", "--manifests") if getattr(args, o.lstrip("-")) is not None
    ]
    # red14j break 8: the files the project's Python environment is made from are inputs too: the Pulumi CLI's
    # Python host runs `uv sync` from uv.lock and pyproject.toml with `toolchain: uv` (README), pip from
    # requirements.txt otherwise; --json uv.lock replaced the lock with plan JSON. mlplatform's own checkout's too.
    own_root = Path(__file__).resolve().parents[2]
    inputs = [
        project.root / "Pulumi.yaml",
        project.root / "Pulumi.yml",
        project.root / project.stack_config_dir,
        *(project.stack_path(s) for s in stacks),
        *(root / name for root in dict.fromkeys((project.root, own_root)) for name in ENVIRONMENT_FILES),
    ]
    resolved_inputs = [(i, i.resolve()) for i in inputs]
    # red14h break 6: --json into the program folder replaced infra/__main__.py and the next plan ended in a traceback.
    # The program (Pulumi.yaml's ``main``; the Python host runs its __main__.py, so with ``main: .`` that file, not
    # the whole project) and mlplatform's own packages (pyproject.toml's module-name) are inputs too.
    main = (project.root / project.main).resolve()
    program = main / "__main__.py" if main == project.root.resolve() else main
    source = _own_source()
    guarded = [
        (program, "the program (Pulumi.yaml's main)"),
        *((s, "mlplatform's own source") for s in source),
        *((v, "the project's virtualenv") for v in _virtualenvs(project, own_root)),
        *((i, "the Python interpreter") for i in _interpreters(project, own_root)),
    ]
    for option, text in outputs:
        if text == "":
            raise OutputError(option, '""', "is empty; give a path (an empty one would be the current folder)")
        if text == "-":
            raise OutputError(
                option, text, "is not a path; give a file or folder path (the plan's tables go to stdout)"
            )
        # red14k breaks 4, 5: the path as given (a symlink in it not followed: .venv/bin/python is inside .venv) and
        # as the write lands (os.path.realpath: every symlink followed, also those met inside a --manifests folder)
        outs = _both(Path(text))
        # --manifests writes <DIR>/<stack>/...: an input inside one of those folders could be overwritten too
        written = [w for out in outs for s in stacks for w in (out / s,)] if option == "--manifests" else []
        landed = [*outs, *(_reached(written) if option == "--manifests" else [])]
        for given, real in resolved_inputs:
            for folder in _both(given) | {real}:
                if any(_inside(o, folder) for o in landed) or any(_inside(folder, w) for w in written):
                    raise OutputError(
                        option,
                        Path(text),
                        f"would write over the project's input {given}; give a path outside Pulumi.yaml and "
                        f"{project.stack_config_dir}/",
                    )
        for path, what in guarded:
            for folder in _both(path):
                if any(_inside(o, folder) for o in landed) or any(_inside(folder, w) for w in written):
                    raise OutputError(option, Path(text), f"would write over {what} {path}; give a path outside it")
    _check_same_files(outputs, stacks, [*(i for i, _ in resolved_inputs), *(g for g, _ in guarded)])
    if len(outputs) == 2:
        (_, json_text), (_, manifests_text) = outputs
        j, m = Path(json_text).resolve(), Path(manifests_text).resolve()
        if _inside(j, m) or _inside(m, j):
            raise OutputError(
                "--json", Path(json_text), f"is --manifests {manifests_text} or inside it; give the two apart"
            )
    if args.json:
        json_path = Path(args.json)
        if json_path.is_dir():
            raise OutputError("--json", json_path, "is a folder; give a file path such as plan.json")
        parent = json_path.parent
        if parent.exists() and not parent.is_dir():
            raise OutputError("--json", json_path, f"{parent} is a file, not a folder; give a path in a folder")
    if args.manifests:
        manifests = Path(args.manifests)
        if manifests.exists() and not manifests.is_dir():
            raise OutputError("--manifests", manifests, "is a file; give a folder (it is created when missing)")
        for stack in stacks:
            if stack in (".", ".."):
                # red14l break 8: --manifests writes DIR/<stack>/..., and a stack named .. (a valid Pulumi stack
                # name: pulumi/pulumi sdk/go/common/tokens/stack_name.go) put the files in DIR's parent
                raise OutputError(
                    "--manifests",
                    manifests,
                    f"the stack {stack} cannot name a folder inside it (DIR/{stack} is "
                    f"{'DIR itself' if stack == '.' else 'its parent'}); rename the stack, or leave --manifests out",
                )


ENVIRONMENT_FILES = ("uv.lock", "pyproject.toml", "requirements.txt")
"""Files a project's Python environment is made from (beside Pulumi.yaml): no output may replace them."""


def _both(path: Path) -> set[Path]:
    """``path`` made absolute as written (its symlinks kept) and as the file system resolves it (os.path.realpath)."""
    return {Path(os.path.abspath(path)), Path(os.path.realpath(path))}


def _virtualenvs(project: Project, own_root: Path) -> list[Path]:
    """The folders the program runs in: Pulumi.yaml ``runtime.options.virtualenv`` (.venv by default in the README's
    setup), mlplatform's own .venv and the running interpreter's environment (sys.prefix)."""
    named = [project.root / project.virtualenv] if project.virtualenv else []
    return list(dict.fromkeys([*named, project.root / ".venv", own_root / ".venv", Path(sys.prefix)]))


def _interpreters(project: Project, own_root: Path) -> list[Path]:
    """The interpreters those environments run: each bin/python* resolved (a venv's python is a symlink to the
    system one, which --json through the symlink would replace: red14k break 4), and sys.executable's."""
    found = [Path(os.path.realpath(sys.executable))]
    for venv in _virtualenvs(project, own_root):
        for entry in (venv / "bin").glob("python*") if (venv / "bin").is_dir() else []:
            found.append(Path(os.path.realpath(entry)))
    return list(dict.fromkeys(found))


def _walk(path: Path) -> list[Path]:
    """Every file and folder at or under ``path``, symlinked folders followed (Path.rglob does not descend into them,
    the writer does: red14k break 5), each real folder once."""
    if not path.is_dir():
        return [path] if path.exists() else []
    found: list[Path] = [path]
    seen: set[str] = set()
    for folder, dirs, files in os.walk(path, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        found.extend(Path(folder) / name for name in (*dirs, *files))
    return found


def _reached(paths: list[Path]) -> list[Path]:
    """Where writes under ``paths`` can land: the real path of every file and folder under them."""
    return [Path(os.path.realpath(p)) for path in paths for p in _walk(path)]


def _files_of(paths: list[Path]) -> dict[tuple[int, int], Path]:
    """The (device, inode) of every existing file at or under ``paths`` (symlinked folders followed)."""
    found: dict[tuple[int, int], Path] = {}
    for path in paths:
        for file in _walk(path):
            try:
                st = file.stat()
            except OSError:
                continue
            if not file.is_dir():
                found.setdefault((st.st_dev, st.st_ino), file)
    return found


def _check_same_files(outputs: list[tuple[str, str]], stacks: list[str], inputs: list[Path]) -> None:
    """Refuse an output that is an input under another name: a hard link (os.path.samefile compares the device and
    inode; red14j break 8: --json hard.yaml, a hard link of Pulumi.yaml, replaced Pulumi.yaml though the resolved
    paths differ). For --manifests, the existing files in the folders it writes."""
    existing = [(o, Path(t)) for o, t in outputs if t and t != "-"]
    candidates = [
        (o, f)
        for o, out in existing
        for f in ([out] if o == "--json" else [c for s in stacks for c in _files_of([out / s]).values()])
    ]
    if not any(f.is_file() for _, f in candidates):
        return
    known = _files_of(inputs)
    for option, file in candidates:
        try:
            st = file.stat()
        except OSError:
            continue
        if (given := known.get((st.st_dev, st.st_ino))) is not None and file.is_file():
            raise OutputError(
                option, file, f"is the project's input {given} under another name (a hard link); give another path"
            )


def _write(option: str, path: Path, write: Callable[[], object]) -> None:
    try:
        write()
    except OSError as e:
        raise OutputError(option, path, f"cannot be written: {e.strerror or e}") from None


def _plan(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console()
    project = load_project(args.project) if args.project else find_project(Path.cwd())
    if args.stack is not None:
        stacks = [args.stack]
    else:
        stacks = project.stacks()
        if not stacks:
            folder = project.root / project.stack_config_dir
            raise OutputError(
                "--all",
                folder,
                "has no stack files (Pulumi.<stack>.yaml); create one, or give --project with the project folder",
            )
    _check_outputs(args, project, stacks)
    plans = [plan_stack(project, s, placeholders=args.placeholders) for s in stacks]
    from components.plan.view import render

    for p in plans:
        render(p, console, show_tree=not args.no_tree)
    if args.json:
        text = json.dumps(plan_json(project.name, plans), indent=1, sort_keys=False)
        json_path = Path(args.json)
        _write("--json", json_path, lambda: _write_text(json_path, text))
    if args.manifests:
        folder = Path(args.manifests)
        _write("--manifests", folder, lambda: [write_manifests(folder, p) for p in plans])
    failed = [f for p in plans for f in p.mandatory_failures]
    if failed:
        Console(stderr=True).print(f"{len(failed)} mandatory policy violation(s); see the Policies table", markup=False)
        return EXIT_POLICY
    return EXIT_OK


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        f.write(text)
        f.flush()  # a full disk (ENOSPC) shows here, inside the guard


# ------------------------------------------------------------------------------------------------ check


def _check_parser(sub: argparse._SubParsersAction[_OneLineParser]) -> None:
    check = sub.add_parser(
        "check", help="run the policy pack over a plan saved with plan --json (exit 1 on a mandatory failure)"
    )
    check.add_argument("plan_file", type=Path, metavar="PLAN.json", help="a plan written by mlplatform plan --json")
    check.add_argument("--stack", action=_Once, help="check this stack of the plan only (default: every stack in it)")
    check.add_argument(
        "--strict", action="store_true", help="fail a mandatory rule that left documents unchecked (known after deploy)"
    )
    check.add_argument(
        "--no-overrides",
        action="store_true",
        help="ignore the overrides saved in the plan (default enforcement); the plan's other settings (environment, "
        "requiredTags, maxGpus, allowPublicApi, anonymousModels, budget, networkPolicy, modelSecrets, jwtAudiences) "
        "are still trusted as written: see docs/policies.md",
    )


def _check(args: argparse.Namespace) -> int:
    """``mlplatform check PLAN.json [--stack NAME]``: the Policies table per stack; 1 on a mandatory failure, 2 for
    a file that is not a plan (one line)."""
    from rich.console import Console
    from rich.markup import escape

    from components.plan.view import policy_table, safe_text
    from components.records import PlanResult
    from policy.check import check, load_plan, missing_objects, select, strict, unreproduced

    console, err = Console(), Console(stderr=True)
    try:
        stacks = select(args.plan_file, load_plan(args.plan_file), args.stack)
    except SpecError as e:
        err.print(str(e), markup=False, highlight=False, emoji=False, soft_wrap=True)
        return EXIT_INVALID
    failed = 0
    for saved in stacks:
        entries = check(saved, no_overrides=args.no_overrides)
        if args.strict:
            entries = strict(entries)
        plan = StackPlan(saved.stack, saved.cloud, PlanResult("", saved.stack, [], {}), policies=entries)
        # names from the file and the path as given: never read as Rich markup nor written with control characters
        console.rule(escape(safe_text(f"{saved.stack} ({saved.cloud}), from {args.plan_file}")))
        console.print(policy_table(plan))
        failed += len(plan.mandatory_failures)
        lost = unreproduced(saved)
        if lost:
            names = ", ".join(sorted({str(e["policy"]) for e in lost}))
            err.print(
                f"{saved.stack}: the saved plan recorded {len(lost)} mandatory failure(s) check does not reproduce "
                f"({names}): the plan was edited after it was judged; failing",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
            failed += len(lost)
        for line in missing_objects(saved):
            err.print(line, markup=False, highlight=False, soft_wrap=True)
            failed += 1
    if failed:
        err.print(f"{failed} mandatory policy violation(s); see the Policies table", markup=False)
        return EXIT_POLICY
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
