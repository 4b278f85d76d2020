"""mypy reads only the cloud SDK submodules the code uses, and every submodule the code uses is read.

Each cloud SDK's ``__init__.py`` imports all of its submodules for type checkers, so a cold mypy over a plain
``import pulumi_aws`` read about 11,600 files (124 s, 7.4 GB; docs/performance.md). pyproject.toml skips the SDKs'
submodules and lists the ones the code uses. A skipped submodule is typed ``Any`` without a word from mypy, so a
submodule used but not listed would lose its type checks silently: this test finds every use and fails on it.
"""

from __future__ import annotations

import ast
import importlib.util
import tomllib
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("pulumi_aws", "pulumi_gcp", "pulumi_azure_native", "pulumi_kubernetes")
CHECKED = ("components", "infra", "policy")


def _overrides(mode: str) -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["overrides"]
    return {m for o in config if o.get("follow_imports") == mode for m in o["module"]}


def _covered(module: str, patterns: set[str]) -> bool:
    """mypy's own matching: a concrete name, or ``pkg.*`` for ``pkg`` and everything under it."""
    return module in patterns or any(
        p.endswith(".*") and (module == p[:-2] or module.startswith(p[:-1])) for p in patterns
    )


@cache
def _is_module(module: str) -> bool:
    top, _, rest = module.partition(".")
    spec = importlib.util.find_spec(top)
    assert spec is not None and spec.submodule_search_locations, f"{top} is not installed"
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*rest.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


def _used(tree: ast.AST) -> set[str]:
    """SDK modules a file uses: ``import pulumi_aws as aws`` then ``aws.iam.Role`` uses ``pulumi_aws.iam``."""
    aliases: dict[str, str] = {}
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for name in node.names:
                if name.name.split(".")[0] in PACKAGES:
                    used.add(name.name)
                    if name.asname:
                        aliases[name.asname] = name.name
                    else:
                        aliases[name.name.split(".")[0]] = name.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
            used.add(node.module)
            for name in node.names:
                if _is_module(f"{node.module}.{name.name}"):
                    used.add(f"{node.module}.{name.name}")
    # A module bound to another name (`sdk = aws`) is the same module.
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    aliases[target.id] = aliases[node.value.id]
    # String annotations and cast("aws.sns.Topic", ...) name modules too: read every string that parses as Python.
    trees = [tree]
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and any(f"{alias}." in node.value for alias in aliases)
        ):
            try:
                trees.append(ast.parse(node.value.strip(), mode="eval"))
            except SyntaxError:
                continue
    for t in trees:
        for node in ast.walk(t):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                module = f"{aliases[node.value.id]}.{node.attr}"
                if _is_module(module):
                    used.add(module)
    return used


def _uses_in(paths: list[Path]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in paths:
        for module in _used(ast.parse(path.read_text())):
            out.setdefault(module, []).append(str(path.relative_to(ROOT)))
    return out


def test_the_sdks_unused_submodules_are_skipped() -> None:
    assert {f"{p}.*" for p in PACKAGES} <= _overrides("skip")


def test_every_sdk_module_the_code_uses_is_type_checked() -> None:
    paths = sorted(p for d in CHECKED for p in (ROOT / d).rglob("*.py"))
    uses = _uses_in(paths)
    assert any(m.startswith("pulumi_aws.") for m in uses), "found no use of the SDKs: the scan is broken"
    followed = _overrides("normal")
    missing = {m: files for m, files in sorted(uses.items()) if not _covered(m, followed)}
    assert not missing, (
        f"SDK modules used but skipped by mypy (typed Any): add them to pyproject.toml's follow_imports = "
        f"'normal' list: {missing}"
    )


def test_a_use_of_an_unlisted_submodule_is_found(tmp_path: Path) -> None:
    """The scan sees uses through an alias, a dotted import, a from-import, a string annotation, a cast's string and
    a module bound to another name (``getattr(aws, "s3")`` is Any whatever mypy reads, so it is not looked for)."""
    source = tmp_path / "x.py"
    source.write_text(
        "import pulumi_aws as aws\nimport pulumi_gcp.bigquery\nfrom pulumi_azure_native import cdn\n"
        "aws.s3.Bucket('b')\naws.get_region()\nx: 'aws.sns.Topic'\ncast('aws.route53.Zone', x)\n"
        "sdk = aws\nsdk.sqs.Queue('q')\n"
    )
    used = _used(ast.parse(source.read_text()))
    assert {
        "pulumi_aws.s3",
        "pulumi_aws.get_region",
        "pulumi_aws.sns",
        "pulumi_aws.route53",
        "pulumi_aws.sqs",
        "pulumi_gcp.bigquery",
        "pulumi_azure_native.cdn",
    } <= used
    followed = _overrides("normal")
    assert not any(_covered(m, followed) for m in ("pulumi_aws.sns", "pulumi_gcp.bigquery", "pulumi_azure_native.cdn"))
    assert _covered("pulumi_aws.iam.role", followed) and _covered("pulumi_aws", followed)
