"""Every slip of the mutation benchmark (benchmarks/policy_mutations.py, issue #17) still applies: its ``old`` text is
found exactly once in its file. Code moves under the slips (session 10 found nine whose text had moved, so the
benchmark silently measured fewer slips than it lists); this fails on the commit that moves it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _mutations() -> list[object]:
    spec = importlib.util.spec_from_file_location("policy_mutations", ROOT / "benchmarks" / "policy_mutations.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return list(module.MUTATIONS)


MUTATIONS = _mutations()


def test_ids_are_unique() -> None:
    ids = [m.id for m in MUTATIONS]  # type: ignore[attr-defined]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.id)  # type: ignore[attr-defined]
def test_the_slip_applies(mutation: object) -> None:
    path, old = mutation.path, mutation.old  # type: ignore[attr-defined]
    assert (ROOT / path).read_text(encoding="utf-8").count(old) == 1, f"{mutation.id}: {old!r} in {path}"  # type: ignore[attr-defined]
