"""Generate the parts of the docs that restate code or data, so they cannot drift: the key reference and the outputs
reference of docs/configuration.md (from the config models and components/outputs.py) and the region table of
docs/catalog.md (from the catalog).

Run ``python -m infra.docs`` to rewrite the generated parts (between the markers); tests/test_docs.py fails when a
committed doc differs from what the code says.
"""

from __future__ import annotations

import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from components import catalog, clouds, outputs
from components.clusters import cloud_outputs
from infra.config import NAMESPACE, StackConfig

START = "<!-- config-reference:start -->"
END = "<!-- config-reference:end -->"
DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
OUTPUTS_START = "<!-- outputs-reference:start -->"
OUTPUTS_END = "<!-- outputs-reference:end -->"
REGIONS_START = "<!-- catalog-regions:start -->"
REGIONS_END = "<!-- catalog-regions:end -->"
CATALOG_DOC = DOC.with_name("catalog.md")


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(names) + (" (optional)" if type(None) in args else "")
    if origin is typing.Annotated:  # a type with its own validators: named by the type
        return _type_name(args[0])
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
        extra = field.json_schema_extra
        choices = extra.get("enum") if isinstance(extra, dict) else None  # e.g. cloud: the registry's names
        typ = " \\| ".join(f"`{c}`" for c in choices) if isinstance(choices, list) else _type_name(annotation)
        out.append((path, typ, _default(field), field.description or ""))
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


def _is_typeddict(annotation: Any) -> bool:
    return isinstance(annotation, type) and typing.is_typeddict(annotation)


def _output_type(annotation: Any) -> str:
    if _is_typeddict(annotation):
        return "map"
    if annotation is Any:
        return "any"
    if typing.get_origin(annotation) is dict and _is_typeddict(typing.get_args(annotation)[1]):
        return "map of map"
    return _type_name(annotation)


def output_rows(cls: Any, prefix: str = "") -> list[tuple[str, str, str]]:
    """(key path, type, description) for every key of the outputs class ``cls``, nested maps depth first."""
    hints = typing.get_type_hints(cls, include_extras=True)
    required = cls.__required_keys__
    out: list[tuple[str, str, str]] = []
    for key, hint in sorted(hints.items(), key=lambda item: item[0] not in required):  # required keys first
        annotation, *meta = typing.get_args(hint) if typing.get_origin(hint) is typing.Annotated else (hint,)
        text = " ".join(str(m) for m in meta)
        typ = _output_type(annotation)
        if key not in required and not typ.endswith("(optional)"):
            typ += " (optional)"
        out.append((f"{prefix}{key}", typ, text))
        if _is_typeddict(annotation):
            out.extend(output_rows(annotation, f"{prefix}{key}."))
        for arg in typing.get_args(annotation):  # a map of a class: dict[str, GpuPoolOutputs]
            if _is_typeddict(arg):
                out.extend(output_rows(arg, f"{prefix}{key}.<name>."))
    return out


def _output_table(heading: str, cls: Any) -> list[str]:
    doc = " ".join((cls.__doc__ or "").split()).replace("``", "`")
    lines = [heading, "", doc, "", "| key | type | notes |", "|---|---|---|"]
    return [*lines, *(f"| `{path}` | {typ} | {text} |" for path, typ, text in output_rows(cls)), ""]


def outputs_reference() -> str:
    """The generated outputs tables, one per layer (components/outputs.py, ``LAYERS``), and after the cluster's, one
    per registered cloud that declares its own cluster outputs (:attr:`components.clouds.Cloud.outputs`)."""
    lines: list[str] = []
    for layer, cls in outputs.LAYERS:
        lines += _output_table(f"### {layer.capitalize()} outputs (`{cls.__name__}`)", cls)
        if cls is outputs.ClusterOutputs:
            for cloud in clouds.all_clouds():
                own = cloud_outputs(cloud.name)
                if own is not None and cloud.outputs:
                    where = cloud.outputs.split(":")[0].replace(".", "/") + ".py"
                    lines += _output_table(f"#### Cluster outputs on `{cloud.name}` (`{own.__name__}`, {where})", own)
    return "\n".join(lines).rstrip()


def _where(m: catalog.Machine | catalog.SystemMachine) -> str:
    if m.offered_in is None:
        return "not known (never refused)"
    return ", ".join(
        f"{region} ({', '.join(z.removeprefix(region + '-') for z in zones)})" if zones else region
        for region, zones in m.offered_in
    )


def _priced(m: catalog.Machine | catalog.SystemMachine) -> str:
    """How many regions have their own price (``regional_prices``), else the reference region."""
    if m.regional_prices:
        return f"{len(m.regional_prices)} regions"
    return f"{m.price.region} only" if m.price.known else "-"


def regions_table() -> str:
    """Per cloud: every machine (and the system machine) with the regions, and on gcp the zones, that offer it."""
    lines: list[str] = []
    for cloud in catalog.CLOUDS:
        covered = catalog.regions(cloud)
        lines += [
            f"### Regions: {cloud}",
            "",
            f"Source: {catalog.availability_source(cloud)}. Regions covered ({len(covered)}): {', '.join(covered)}.",
            "",
            "| Accelerator | GPUs | Type | Regions | Priced in |",
            "|---|---|---|---|---|",
        ]
        for m in catalog.machines(cloud):
            lines.append(f"| {m.accelerator} | {m.gpus} | `{m.instance_type}` | {_where(m)} | {_priced(m)} |")
        system = catalog.system_machine(cloud)
        lines += [f"| system pool | - | `{system.instance_type}` | {_where(system)} | {_priced(system)} |", ""]
    return "\n".join(lines).rstrip()


def _replace(doc: str, start: str, end: str, body: str) -> str:
    head, rest = doc.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


def render(doc: str) -> str:
    """``doc`` (docs/configuration.md) with the generated parts (keys, outputs) replaced."""
    return _replace(_replace(doc, START, END, reference()), OUTPUTS_START, OUTPUTS_END, outputs_reference())


def render_catalog(doc: str) -> str:
    """``doc`` (docs/catalog.md) with the generated region table replaced."""
    return _replace(doc, REGIONS_START, REGIONS_END, regions_table())


def main() -> int:
    """Rewrite the generated parts of docs/configuration.md and docs/catalog.md."""
    DOC.write_text(render(DOC.read_text()))
    CATALOG_DOC.write_text(render_catalog(CATALOG_DOC.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
