"""Generate the key reference of docs/configuration.md from the config models, so the doc cannot drift.

Run ``python -m infra.docs`` to rewrite the generated part of docs/configuration.md (between the markers);
tests/test_docs.py fails when the committed doc differs from what the models say.
"""

from __future__ import annotations

import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from infra.config import NAMESPACE, StackConfig

START = "<!-- config-reference:start -->"
END = "<!-- config-reference:end -->"
DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(names) + (" (optional)" if type(None) in args else "")
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin is dict:
        return f"map of {_type_name(args[1])}"
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "map"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "-"
    if isinstance(value, BaseModel):
        return "(see below)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value == {} or value == []:
        return f"`{value}`"
    return f"`{value}`"


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def rows(model: type[BaseModel] = StackConfig, prefix: str = f"{NAMESPACE}:") -> list[tuple[str, str, str, str]]:
    """(key path, type, default, description) for every key, depth first."""
    out: list[tuple[str, str, str, str]] = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        path = f"{prefix}{key}"
        annotation = field.annotation
        out.append((path, _type_name(annotation), _default(field), field.description or ""))
        sub = _model_of(annotation)
        if sub is not None:
            is_map = typing.get_origin(annotation) is dict or any(
                typing.get_origin(a) is dict for a in typing.get_args(annotation)
            )
            out.extend(rows(sub, f"{path}.<name>." if is_map else f"{path}."))
    return out


def reference() -> str:
    """The generated markdown table."""
    lines = ["| key | type | default | notes |", "|---|---|---|---|"]
    for path, typ, default, desc in rows():
        lines.append(f"| `{path}` | {typ} | {default} | {desc} |")
    return "\n".join(lines)


def render(doc: str) -> str:
    """``doc`` with the generated part replaced."""
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{reference()}\n{END}{tail}"


def main() -> int:
    """Rewrite docs/configuration.md's generated part."""
    DOC.write_text(render(DOC.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
