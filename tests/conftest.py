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
