"""Every slip of the mutation benchmark (benchmarks/policy_mutations.py, issue #17) still applies: its ``old`` text is
found exactly once in its file. Code moves under the slips (session 10 found nine whose text had moved, so the
benchmark silently measured fewer slips than it lists); this fails on the commit that moves it."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _module() -> object:
    spec = importlib.util.spec_from_file_location("policy_mutations", ROOT / "benchmarks" / "policy_mutations.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


MODULE = _module()
MUTATIONS = list(MODULE.MUTATIONS)  # type: ignore[attr-defined]


def test_each_copy_holds_what_the_tests_read() -> None:
    """Every top-level file or folder of the project that a test names (``"docs/..."``, ``ROOT / "README.md"``, a
    ``("uv.lock", "Makefile")`` tuple) is copied into each slip's copy: a test reading a missing one fails whatever
    the slip, and the slip would count as caught (rev17i finding 2: docs/, README.md, examples/, tools/, Makefile and
    uv.lock were not copied)."""
    text = "\n".join(f.read_text(encoding="utf-8") for f in sorted((ROOT / "tests").rglob("*.py")))
    named = {
        p.name
        for p in ROOT.iterdir()
        if not p.name.startswith(".") and re.search(rf'"{re.escape(p.name)}["/]', text) is not None
    }
    assert {"docs", "README.md", "stacks"} <= named  # the search finds what it looks for
    assert sorted(named - set(MODULE.COPY)) == []  # type: ignore[attr-defined]


def test_ids_are_unique() -> None:
    ids = [m.id for m in MUTATIONS]  # type: ignore[attr-defined]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.id)  # type: ignore[attr-defined]
def test_the_slip_applies(mutation: object) -> None:
    path, old = mutation.path, mutation.old  # type: ignore[attr-defined]
    assert (ROOT / path).read_text(encoding="utf-8").count(old) == 1, f"{mutation.id}: {old!r} in {path}"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "mutation",
    [m for m in MUTATIONS if m.bypass],
    ids=lambda m: m.id,  # type: ignore[attr-defined]
)
def test_the_bypass_applies(mutation: object) -> None:
    """A slip's ``bypass`` edits (another guard dropped, baseline and mutant alike) still apply (fix17h)."""
    for path, old, _ in mutation.bypass:  # type: ignore[attr-defined]
        assert (ROOT / path).read_text(encoding="utf-8").count(old) == 1, f"{mutation.id}: {old!r} in {path}"  # type: ignore[attr-defined]


def test_a_rule_slip_runs_every_test_of_the_policy_pack() -> None:
    """A rule slip runs every test file that exercises the rules (fix17k: derived, not a hand list that rev17j found
    three files missing from): every tests/policy file, the hand-ordered first ones once each, and the files outside
    tests/policy that run rules (rev17j finding 4: tests/test_cost.py's check_budget caught r01)."""
    tests = list(MODULE.RULE_TESTS)  # type: ignore[attr-defined]
    assert len(tests) == len(set(tests))
    assert all((ROOT / t).is_file() for t in tests)
    assert tests[: len(MODULE.RULE_TESTS_FIRST)] == list(MODULE.RULE_TESTS_FIRST)  # type: ignore[attr-defined]
    policy = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tests" / "policy").glob("test_*.py")}
    assert policy <= set(tests)
    outside = {"tests/test_cost.py", "tests/test_clouds.py", "tests/serving/test_stack_runtime.py"}
    assert outside <= set(tests)
    assert "tests/test_mutations_anchor.py" not in tests  # a benchmark test, not a rule test
