"""The YAML data files the platform and its tests read with libyaml (components/platform/common.py
``load_yaml_data``: the pinned charts' default values, the platform's alert rules) read to exactly the value PyYAML's
own pure-Python loader gives, and each caller gets a copy of its own."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.platform.common import DATA_DIR, load_yaml_data
from components.platform.monitoring import RULES
from support import upstream_dir

FILES = [DATA_DIR / RULES, *sorted((upstream_dir() / "chart-values").glob("*.yaml"))]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_libyaml_reads_the_file_as_pyyaml_does(path: Path) -> None:
    assert hasattr(yaml, "CSafeLoader"), "the locked PyYAML wheel has libyaml; without it the loader is PyYAML's own"
    assert load_yaml_data(path) == yaml.safe_load(path.read_text())


def test_each_caller_gets_a_copy_of_its_own() -> None:
    first = load_yaml_data(DATA_DIR / RULES)
    first["groups"].clear()
    assert load_yaml_data(DATA_DIR / RULES)["groups"], "a caller's change reached the next caller"
