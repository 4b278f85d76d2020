"""Shared fixtures."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


_CODE = ("policy", "components", "infra")
"""The packages whose modules the rules run (a change there can change a judgement)."""


def _is_code(target: object) -> bool:
    """Whether ``target`` (a monkeypatch target: a dotted name, a module, a class, an object) lives in :data:`_CODE`."""
    if isinstance(target, str):
        name = target
    else:
        name = getattr(target, "__module__", None) or getattr(target, "__name__", None) or ""
        if not isinstance(name, str) or not name:
            name = type(target).__module__
    return name.split(".", 1)[0] in _CODE


def _forgetting(name: str, changes_code: Callable[[tuple[object, ...]], bool]) -> None:
    """``pytest.MonkeyPatch.<name>`` that first empties the policy rules' remembered judgements (policy/rules/base.py
    ``forget``) when it changes the code the rules run (``changes_code(args)``): a test that replaces a rule's
    constant or function and then judges plans whose resource objects an earlier test judged is judged afresh, and
    so is everything after the undo of such a change. Environment variables are not read by the rules."""
    real = getattr(pytest.MonkeyPatch, name)

    def changed(self: pytest.MonkeyPatch, *args: object, **kwargs: object) -> object:
        from policy.rules.base import forget

        if changes_code(args) or (name == "undo" and getattr(self, "_changed_code", False)):
            forget()
            self._changed_code = name != "undo"  # type: ignore[attr-defined]
        return real(self, *args, **kwargs)

    setattr(pytest.MonkeyPatch, name, changed)


_forgetting("setattr", lambda args: bool(args) and _is_code(args[0]))
_forgetting("delattr", lambda args: bool(args) and _is_code(args[0]))
_forgetting("setitem", lambda args: True)  # a dict of the code's (a table of versions) or a test's own
_forgetting("delitem", lambda args: True)
_forgetting("undo", lambda args: False)


def pytest_configure(config: pytest.Config) -> None:
    """Markers of this suite (pyproject.toml's ``markers`` holds ``integration``)."""
    config.addinivalue_line(
        "markers",
        "uv_cache: needs uv's cache filled by a `uv lock` with the network (skipped, saying so, otherwise); the "
        "lock's other tests need no cache",
    )


@pytest.fixture(scope="session", autouse=True)
def _shared_plans(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Under pytest-xdist, the folder where one worker leaves the plans it computed for the others (tests/support.py
    ``shared``): in the run's base temp folder, which every worker of the run shares and the next run does not (the
    pattern pytest-xdist's docs give for "making session-scoped fixtures execute only once")."""
    import os

    import support

    if os.environ.get("PYTEST_XDIST_WORKER"):
        folder = tmp_path_factory.getbasetemp().parent / "shared-plans"
        folder.mkdir(exist_ok=True)
        support.SHARED = folder
