"""The set-up promise: every dependency comes from uv.lock, and the venv that runs the plan is the locked one.

`make` installs uv from tools/uv-bootstrap.txt, then `uv sync --locked` installs exactly uv.lock; the Pulumi CLI does
the same through Pulumi.yaml's `toolchain: uv`. These tests check the lock itself (from PyPI, hashed, in step with
pyproject.toml), the venv against it, and the SDK versions the plan engine was written against.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PYPI = "https://pypi.org/simple"

# The SDK releases the plan engine (components/plan/engine.py) was written and tested against. The engine reaches into
# the pulumi SDK's runtime internals (rpc's signature keys, resource._get_stack_trace, sync_await._sync_await,
# mocks, settings) and registers every provider SDK's typed resources under mocks, so a new release of any of these
# may change what a plan shows. `make lock` that moves one of them fails here until someone has read the SDK's
# changelog for those names, run the suite and updated this table (docs/upgrading.md, "Upgrading dependencies").
ENGINE_SDKS = {
    "pulumi": "3.272.0",
    "pulumi-kubernetes": "4.34.2",
    "pulumi-aws": "7.51.1",
    "pulumi-eks": "4.4.0",
    "pulumi-awsx": "3.11.0",
    "pulumi-gcp": "10.2.0",
    "pulumi-azure-native": "3.29.0",
}


def _plan_packages() -> set[str]:
    """The PyPI names of the provider SDKs whose resources and functions the plan's placeholders answer for (the type
    and function tokens of every registered cloud's plan module: ``awsx:ec2:Vpc`` is pulumi-awsx's)."""
    import importlib

    from components import clouds

    names: set[str] = set()
    for cloud in clouds.all_clouds():
        if cloud.plan is None:
            continue
        module = importlib.import_module(cloud.plan)
        for table in ("FAKES", "IDS", "CALLS"):
            names.update(f"pulumi-{token.split(':', 1)[0]}" for token in getattr(module, table, {}))
    return names


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock() -> dict[str, Any]:
    return tomllib.loads((ROOT / "uv.lock").read_text())


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _entries() -> dict[str, list[dict[str, Any]]]:
    """uv.lock's packages by name: a name has several entries when the lock forks by Python version or platform."""
    entries: dict[str, list[dict[str, Any]]] = {}
    for package in _lock()["package"]:
        entries.setdefault(_canonical(package["name"]), []).append(package)
    return entries


def _packages() -> dict[str, dict[str, Any]]:
    """The packages the lock holds in one version only (every package the tests below look up by name)."""
    return {name: versions[0] for name, versions in _entries().items() if len(versions) == 1}


def _installed_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _needed_here() -> dict[str, str]:
    """Every package uv.lock installs on this interpreter and platform (the project, its deps and the dev group)."""
    entries = _entries()
    project = entries["mlplatform"][0]
    todo = [*project.get("dependencies", []), *project.get("dev-dependencies", {}).get("dev", [])]
    needed: dict[str, str] = {}
    while todo:
        dep = todo.pop()
        if "marker" in dep and not Marker(dep["marker"]).evaluate():
            continue
        name = _canonical(dep["name"])
        # A dependency on a forked package names the version it means (uv.lock's `version` key).
        package = next(p for p in entries[name] if dep.get("version", p["version"]) == p["version"])
        for extra in dep.get("extra", []):
            todo.extend(package.get("optional-dependencies", {}).get(extra, []))
        if name in needed:
            continue
        needed[name] = package["version"]
        todo.extend(package.get("dependencies", []))
    return needed


def test_engine_sdks_are_the_locked_and_installed_ones() -> None:
    packages = _packages()
    assert ENGINE_SDKS.keys() <= packages.keys(), "uv.lock holds one of the engine's SDKs in several versions"
    locked = {name: packages[name]["version"] for name in ENGINE_SDKS}
    installed = {name: _installed_version(name) for name in ENGINE_SDKS}
    assert installed == locked, "the venv is not the locked one: run `make setup`"
    assert locked == ENGINE_SDKS, (
        "uv.lock moved an SDK the plan engine relies on: check the engine against its changelog, then update "
        "ENGINE_SDKS (docs/upgrading.md)"
    )


def test_every_sdk_the_plan_fakes_is_an_engine_sdk() -> None:
    """The plan answers for these SDKs' resources (their output names are in components/plan/<cloud>.py), so a
    release that renames an output changes what a plan shows: each is pinned in ENGINE_SDKS (review rev15c, 4)."""
    assert _plan_packages() >= {"pulumi-aws", "pulumi-awsx", "pulumi-eks"}
    assert sorted(_plan_packages() - ENGINE_SDKS.keys()) == []


def test_venv_has_every_locked_package_at_its_locked_version() -> None:
    needed = _needed_here()
    assert {"pulumi", "checkov", "pytest", "uv"} <= needed.keys()
    wrong = {
        name: (version, _installed_version(name))
        for name, version in needed.items()
        if name != "mlplatform" and _installed_version(name) != version
    }
    assert wrong == {}, f"(locked, installed) differ: run `make setup` ({len(wrong)} packages)"


def test_every_locked_package_comes_from_pypi_with_hashes() -> None:
    for name, package in ((name, p) for name, versions in _entries().items() for p in versions):
        if name == "mlplatform":
            assert package["source"] == {"editable": "."}
            continue
        assert package["source"] == {"registry": PYPI}, f"{name} is locked from {package['source']}, not PyPI"
        files = [*package.get("wheels", []), *([package["sdist"]] if "sdist" in package else [])]
        assert files, f"{name} has no files in uv.lock"
        for f in files:
            assert f["url"].startswith("https://files.pythonhosted.org/"), f"{name}: {f['url']}"
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", f["hash"]), f"{name}: {f['url']} has no sha256"


def _requirements(items: list[str]) -> set[tuple[str, str, str]]:
    reqs = [Requirement(item) for item in items]
    return {(_canonical(r.name), str(r.specifier), str(r.marker or "")) for r in reqs}


def _locked_requirements(items: list[dict[str, str]]) -> set[tuple[str, str, str]]:
    reqs = [Requirement(item["name"] + item.get("specifier", "")) for item in items]
    return {(_canonical(r.name), str(r.specifier), item.get("marker", "")) for r, item in zip(reqs, items, strict=True)}


def test_lock_was_resolved_from_this_pyproject() -> None:
    """The requirements the lock was resolved from are the ones pyproject.toml states today (no uv needed)."""
    pyproject = _pyproject()
    metadata = _packages()["mlplatform"]["metadata"]
    assert _locked_requirements(metadata["requires-dist"]) == _requirements(pyproject["project"]["dependencies"])
    assert _locked_requirements(metadata["requires-dev"]["dev"]) == _requirements(
        pyproject["dependency-groups"]["dev"]
    ), "pyproject.toml's dev group changed since uv.lock was written: run `make lock`"
    assert _lock()["requires-python"] == pyproject["project"]["requires-python"]


def _uv() -> Path:
    """uv next to this Python (the venv `make setup` builds) or on PATH; skips the test without one."""
    uv = Path(sys.executable).with_name("uv")
    if not uv.exists():
        found = shutil.which("uv")
        if found is None:
            pytest.skip("no uv next to this Python or on PATH (a venv built by `make setup` has one)")
        uv = Path(found)
    return uv


def _uv_env(**more: str) -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "UV_PYTHON_DOWNLOADS": "never", **more}
    if cache := os.environ.get("UV_CACHE_DIR"):
        env["UV_CACHE_DIR"] = cache
    return env


def test_uv_lock_check_offline() -> None:
    """uv's own check that uv.lock satisfies pyproject.toml, without the network."""
    result = subprocess.run(
        [str(_uv()), "lock", "--check", "--offline", "--no-progress"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=_uv_env(),
    )
    assert result.returncode == 0, result.stderr


OFFLINE_MISS = "because the network was disabled"
"""What uv says when ``--offline`` needs an index page its cache lacks (uv 0.13.8: "hint: Packages were unavailable
because the network was disabled. When the network is disabled, registry packages may only be read from the
cache.")."""


@pytest.mark.uv_cache
def test_make_lock_writes_a_valid_lock_offline(tmp_path: Path) -> None:
    """`make lock`'s own uv command, run for real in a copy of the project without the network (``--offline``,
    from uv's cache) and with ``UV_LOCKED=1`` exported as README tells deployers: it rewrites uv.lock, and what it
    writes is a lock for pyproject.toml (uv's check agrees, resolved from its requirements, every package from PyPI
    with hashes, the engine's SDKs held once). Needs uv's cache to hold the index pages of the locked packages (a
    `uv lock` with the network filled it); skipped, saying so, when it does not. Not the only test of the lock:
    test_uv_lock_check_offline and test_lock_was_resolved_from_this_pyproject check the committed one without a
    cache (review rev15c, finding 4)."""
    uv = _uv()
    for name in ("pyproject.toml", "uv.lock", "README.md", "Makefile"):
        shutil.copy(ROOT / name, tmp_path / name)
    dry = subprocess.run(
        ["make", "-n", "lock", f"UV={uv}", f"BIN={uv.parent}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env=_uv_env(),
    )
    assert dry.returncode == 0, dry.stderr
    [line] = [line for line in dry.stdout.splitlines() if " lock --upgrade" in line]
    before = (tmp_path / "uv.lock").read_text()
    result = subprocess.run(
        [*shlex.split(line), "--offline", "--no-progress"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=_uv_env(UV_LOCKED="1"),
    )
    if result.returncode != 0 and OFFLINE_MISS in result.stderr:
        cache = subprocess.run([str(uv), "cache", "dir"], capture_output=True, text=True, env=_uv_env()).stdout
        pytest.skip(f"uv's cache ({cache.strip()}) lacks index pages the offline lock needs: run `make lock` once")
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "uv.lock").read_text()
    assert text.startswith("version = ") and text != "" and "mlplatform" in text
    check = subprocess.run(
        [str(uv), "lock", "--check", "--offline", "--no-progress"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=_uv_env(),
    )
    assert check.returncode == 0, check.stderr
    lock = tomllib.loads(text)
    [project] = [p for p in lock["package"] if p["name"] == "mlplatform"]
    pyproject = _pyproject()
    assert _locked_requirements(project["metadata"]["requires-dist"]) == _requirements(
        pyproject["project"]["dependencies"]
    )
    assert lock["requires-python"] == pyproject["project"]["requires-python"]
    for package in lock["package"]:
        if package["name"] == "mlplatform":
            continue
        assert package["source"] == {"registry": PYPI}, package["name"]
        files = [*package.get("wheels", []), *([package["sdist"]] if "sdist" in package else [])]
        assert files and all(f["hash"].startswith("sha256:") for f in files), package["name"]
    names = [_canonical(p["name"]) for p in lock["package"]]
    assert all(names.count(name) == 1 for name in ENGINE_SDKS)
    # the copy, not the project, was rewritten
    assert (ROOT / "uv.lock").read_text() == before


def test_uv_bootstrap_file_is_the_locked_uv() -> None:
    spec = importlib.util.spec_from_file_location("uv_bootstrap", ROOT / "tools" / "uv_bootstrap.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lock_text = (ROOT / "uv.lock").read_text()
    version, hashes = module.locked_uv(lock_text)
    assert (ROOT / "tools" / "uv-bootstrap.txt").read_text() == module.render(version, hashes), (
        "tools/uv-bootstrap.txt is out of step with uv.lock: run `python tools/uv_bootstrap.py`"
    )
    assert len(hashes) > 1 and version == _packages()["uv"]["version"]


@pytest.mark.parametrize(("project_file", "venv"), [("Pulumi.yaml", ".venv"), ("policy/PulumiPolicy.yaml", "../.venv")])
def test_pulumi_installs_the_program_and_the_pack_from_the_lock(project_file: str, venv: str) -> None:
    """The Pulumi CLI's uv toolchain runs `uv sync` (from uv.lock) into the venv `make` builds."""
    runtime = yaml.safe_load((ROOT / project_file).read_text())["runtime"]
    assert runtime["name"] == "python"
    assert runtime["options"] == {"toolchain": "uv", "virtualenv": venv}
    assert (ROOT / project_file).parent.joinpath(venv).resolve() == (ROOT / ".venv").resolve()


def test_no_requirements_file_beside_the_lock() -> None:
    """Nothing installs from an unlocked list: the policy pack's venv is the project's, installed from uv.lock by
    the uv toolchain (policy/PulumiPolicy.yaml), which reads a requirements.txt only where it finds no uv.lock nor
    pyproject.toml up the tree (pulumi/pulumi sdk/python/toolchain/uv.go, InstallDependencies); review rev15c, 4."""
    skip = {".venv", ".git", "node_modules"}
    found = [
        p.relative_to(ROOT).as_posix()
        for p in ROOT.rglob("*requirements*.txt")
        if not skip & set(p.relative_to(ROOT).parts)
    ]
    assert found == []


_SDKS = re.compile(
    r"^\s*(?:import|from)\s+(pulumi_kubernetes|pulumi_aws|pulumi_awsx|pulumi_eks|pulumi_gcp|pulumi_azure_native)\b",
    re.M,
)
_OVERLOAD_IGNORE = re.compile(r"type:\s*ignore\[[^\]]*call-overload")


def test_no_provider_call_silences_a_failed_overload() -> None:
    """A provider call that matches none of its overloads sends a cold mypy run through the SDK's nested TypedDict
    unions: one `type: ignore[call-overload]` on a pulumi_kubernetes Deployment took `make test`'s mypy past 24 GB and
    CI was killed (stop 19). Such a call is typed (the SDK's Args classes) or cast, never silenced."""
    found = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        if path.parts[len(ROOT.parts)] not in {"components", "infra", "policy"}:
            continue
        text = path.read_text()
        if not _SDKS.search(text):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if _OVERLOAD_IGNORE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}")
    assert not found, f"provider calls with `type: ignore[call-overload]` (type the arguments or cast): {found}"


def test_make_lock_upgrades_even_with_uv_locked_exported() -> None:
    """README tells deployers to `export UV_LOCKED=1`; with it, `uv lock --upgrade` refuses to rewrite the lock
    ("needs to be updated, but `UV_LOCKED=1` was provided"), so `make lock` must run uv lock without it."""
    result = subprocess.run(
        ["make", "-n", "lock"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "UV_LOCKED": "1"},
    )
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stdout.splitlines() if " lock --upgrade" in line]
    assert line.startswith("env -u UV_LOCKED "), line


def test_the_tests_find_the_upstream_data_only_through_support() -> None:
    """Tests read ../shared/upstream only through tests/support.py ``upstream_dir`` (MLPLATFORM_UPSTREAM, else the
    folder beside the project), so a checkout elsewhere (a worktree, the mutation benchmark's copies) runs them with
    the variable set: two tests built the path from ROOT.parent themselves and failed there (speed7, fix14n)."""
    pattern = re.compile(r"""ROOT\.parent\s*/\s*["']shared|["']\.\./shared/upstream["']""")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if path.name != "support.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, f"build the upstream path with support.upstream_dir(): {found}"
