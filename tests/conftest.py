"""Shared fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


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
