"""Find the Pulumi project and read its stack files the way the Pulumi CLI hands them to a program."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.errors import SpecError

SECRET_PLACEHOLDER = "[secret]"
"""What a ``secure:`` value becomes offline: the real value needs the stack's secrets provider."""


class ProjectError(SpecError):
    """The project or a stack file cannot be read; the message is one complete line."""

    def __init__(self, line: str) -> None:
        self._line = line
        super().__init__("", "", "")

    @property
    def message(self) -> str:
        """The complete line."""
        return self._line


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one map: PyYAML keeps the last silently, the Pulumi CLI
    refuses the file (and a model declared twice is a mistake worth one clear line)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"{key} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


@dataclass(frozen=True)
class Project:
    """A Pulumi project: its directory, name, program and stack config folder."""

    root: Path
    name: str
    main: str
    stack_config_dir: str

    def stack_path(self, stack: str) -> Path:
        """The stack file of ``stack``."""
        return self.root / self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        """Every stack with a file in the stack config folder, sorted."""
        folder = self.root / self.stack_config_dir
        return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in folder.glob("Pulumi.*.yaml"))


@dataclass
class StackConfigFile:
    """One stack file, flattened to what the CLI passes a program: ``namespace:key`` -> string."""

    stack: str
    path: str
    config: dict[str, str]
    secret_keys: list[str]
    secret_values: dict[str, str] = field(default_factory=dict)
    environments: list[str] = field(default_factory=list)


def find_project(start: Path) -> Project:
    """The project whose ``Pulumi.yaml`` is in ``start`` or the nearest folder above it."""
    here = start.resolve()
    for folder in (here, *here.parents):
        candidate = folder / "Pulumi.yaml"
        if candidate.exists():
            return load_project(folder)
    raise ProjectError(f"{start}: no Pulumi.yaml here or in any folder above; run inside a project or give --project")


def load_project(root: Path) -> Project:
    """Read ``root/Pulumi.yaml``."""
    path = root / "Pulumi.yaml"
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ProjectError(f"{path}: cannot be read: {_one_line(e)}") from None
    if not isinstance(doc, dict) or "name" not in doc:
        raise ProjectError(f"{path}: name: missing; give the project name")
    return Project(
        root=root.resolve(),
        name=str(doc["name"]),
        main=str(doc.get("main", ".")),
        stack_config_dir=str(doc.get("stackConfigDir", ".")),
    )


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())


def _cli_string(value: Any) -> str:
    """How the Pulumi CLI passes a config value: strings as-is, everything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _strip_secure(value: Any, found: list[bool]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            found.append(True)
            return SECRET_PLACEHOLDER
        return {k: _strip_secure(v, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_secure(v, found) for v in value]
    return value


def read_stack_file(project: Project, stack: str, secret_values: dict[str, str] | None = None) -> StackConfigFile:
    """Read and flatten one stack file; ``secret_values`` stand in for ``secure:`` values (by full key)."""
    path = project.stack_path(stack)
    rel = str(path.relative_to(project.root))
    if not path.exists():
        known = ", ".join(project.stacks()) or "none"
        raise ProjectError(f"{rel}: no such stack file; stacks here: {known}")
    try:
        doc = yaml.load(path.read_text(), Loader=_UniqueKeyLoader)  # a SafeLoader subclass: safe
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(e, "problem", None) or _one_line(e)
        raise ProjectError(f"{rel}: {where}YAML syntax error: {problem}") from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ProjectError(f"{rel}: the file is not a YAML map; give `config:` with mlplatform: keys under it")
    unknown = sorted(set(doc) - {"config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt"})
    if unknown:
        raise ProjectError(f"{rel}: {unknown[0]}: unknown top-level key; accepted: config, environment")
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise ProjectError(f"{rel}: config: {_cli_string(config)} is not allowed; give a map of namespace:key values")
    flat: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        key = str(key)
        if ":" not in key:
            key = f"{project.name}:{key}"
        found: list[bool] = []
        stripped = _strip_secure(value, found)
        if found:
            secret_keys.append(key)
            if secret_values and key in secret_values:
                stripped = secret_values[key]
        flat[key] = _cli_string(stripped)
    envs = doc.get("environment") or []
    return StackConfigFile(stack, rel, flat, secret_keys, dict(secret_values or {}), [str(e) for e in envs])
