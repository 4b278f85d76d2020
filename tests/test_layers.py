"""The plan's layers, read from the imports (docs/architecture.md, Layers).

Bottom to top: the records (components/records.py: PlanResult, Registration, Secret, UNKNOWN), the engine that fills
them under the SDK's mocks (components/plan/engine.py with fakes.py and the clouds' placeholder modules), the readers
of a plan (cost, deploy time, cold start, the policy rules), and on top the report, view and CLI
(components/plan/report.py, view.py, cli.py). Every import statement counts, also one inside a function or under
``TYPE_CHECKING``: a lazy import is still a dependency, and a cycle through one is still a cycle.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from components import clouds

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("components", "infra", "policy")

RECORDS = "components.records"
ENGINE = (
    "components.plan.engine",
    "components.plan.fakes",
    *clouds.plan_modules(),
    *(m for c in clouds.all_clouds() for m in c.modules if m.startswith("components.plan.") and m != c.plan),
)
"""The engine and every cloud's placeholder module (components/plan/<cloud>.py, :attr:`Cloud.plan`)."""
READERS = ("components.cost", "components.deploytime", "components.coldstart")
TOP = ("components.plan.report", "components.plan.view", "components.plan.cli")


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _all_modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            found[_module_of(path)] = path
    return found


MODULES = _all_modules()


def imports_of(module: str) -> set[str]:
    """The project modules ``module`` imports anywhere (``from a import b`` counts ``a.b`` when b is a module)."""
    tree = ast.parse(MODULES[module].read_text(), filename=str(MODULES[module]))
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        found.update(n for n in names if n in MODULES and n != module)
    return found


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_the_reader_resolves_every_kind_of_import() -> None:
    # Guards the guard: a module-level, a lazy and a `from package import module` import are all seen.
    assert "components.records" in imports_of("components.cost")
    assert "components.coldstart" in imports_of("components.plan.report")  # `from components import coldstart`
    assert "components.cost" in imports_of("components.plan.cli")  # imported inside a function


def test_records_import_nothing_of_the_project_but_the_markers() -> None:
    assert imports_of(RECORDS) <= {"components", "components.markers"}
    assert imports_of("components.markers") <= {"components"}


@pytest.mark.parametrize("module", ENGINE)
def test_the_engine_imports_no_reader_nor_the_report(module: str) -> None:
    bad = {m for m in imports_of(module) if _within(m, (*READERS, *TOP, "policy"))}
    assert not bad, f"{module} (engine layer) imports {sorted(bad)}, which sit above it"


@pytest.mark.parametrize("module", [*READERS, *(m for m in MODULES if _within(m, ("policy",)))], ids=lambda m: str(m))
def test_readers_of_a_plan_import_records_not_the_engine_report_or_cli(module: str) -> None:
    bad = {m for m in imports_of(module) if _within(m, (*ENGINE, *TOP))}
    assert not bad, f"{module} reads plans: import components.records, not {sorted(bad)}"


def test_no_cycle_between_the_plan_package_and_its_readers() -> None:
    # Package level: components.plan may use cost, deploy time, cold start and policy; none of them may use it back,
    # except the stack-file reader (components.plan.project), which is not part of a plan.
    back = {
        (m, i)
        for m in MODULES
        if _within(m, (*READERS, "policy"))
        for i in imports_of(m)
        if _within(i, ("components.plan",)) and i not in ("components.plan", "components.plan.project")
    }
    assert not back, f"imports that run back up into components.plan: {sorted(back)}"


def test_importing_a_reader_does_not_load_the_engine() -> None:
    # At run time too: the package face (components/plan/__init__.py) loads the engine only when asked for it.
    code = (
        "import sys\n"
        "import components.records, components.outputs, components.cost, components.deploytime\n"
        "import components.plan.project, policy.rules\n"
        "print(sorted(m for m in sys.modules if m.startswith('components.plan.')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "['components.plan.project']", done.stdout + done.stderr
