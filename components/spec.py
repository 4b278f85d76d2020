"""Base for the typed, validated specs that stack config and Python callers share.

Specs are pydantic models with camelCase aliases (the stack file's spelling) that also accept the snake_case
field names from Python. Unknown keys are errors. Types are strict, as YAML gives them: ``true`` is not a count,
``"1"`` is not a boolean, ``8.5`` is not an integer (a whole ``8.0`` is 8, as Go's encoding/json hands a stack file's
value to the program: :func:`go_numbers`), and ``.inf``/``.nan`` are not numbers. A check that needs two
fields raises :func:`field_error`, which names the offending field so the message points at the right key. A string
right below a field is its description: it appears in the generated key reference of docs/configuration.md.

A Python caller (``ClusterSpec(...)``, ``ModelSpec(...)``) gets the same one line as a stack file, as a
:class:`SpecInvalid` (a :class:`SpecError`), e.g. ``ClusterSpec.name: NOT A NAME!! is not allowed; give 1-40 ...``.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel, to_snake
from pydantic_core import PydanticCustomError

from components.errors import LOOKS_TYPED, SpecError, escape_line, show, show_key, too_many_digits


class SpecInvalid(SpecError):
    """A spec refused by validation: one complete line (the first problem, and how many more there are)."""

    def __init__(self, line: str, path: str = "", value: Any = None, accepted: str = "") -> None:
        self._line = line
        super().__init__(path, value, accepted)

    @property
    def message(self) -> str:
        """The complete line."""
        return self._line

    def with_prefix(self, prefix: str) -> SpecError:
        """The same error with ``prefix`` in front of the line."""
        return SpecInvalid(prefix + self._line, self.path, self.value, self.accepted)


class Spec(BaseModel):
    """Frozen, strict-keyed, strictly typed base for every spec."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        validate_default=True,
        use_attribute_docstrings=True,
        strict=True,
        allow_inf_nan=False,
    )

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**go_numbers(data))
        except ValidationError as e:
            raise SpecInvalid(format_validation_error(e, f"{type(self).__name__}.", type(self))) from None

    # pydantic calls a model's own __init__ when it validates it inside another model; marked as its base __init__,
    # this one runs for a Python caller only, so a nested model's problem is still reported from the outer model.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: D102 - pydantic's, one line on error
        try:
            return super().model_validate(go_numbers(obj), *args, **kwargs)
        except ValidationError as e:
            raise SpecInvalid(format_validation_error(e, f"{cls.__name__}.", cls)) from None

    @classmethod
    def model_validate_json(cls, json_data: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: D102 - as model_validate
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as e:
            raise SpecInvalid(format_validation_error(e, f"{cls.__name__}.", cls)) from None

    @classmethod
    def model_validate_strings(cls, obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: D102 - as model_validate
        try:
            return super().model_validate_strings(obj, *args, **kwargs)
        except ValidationError as e:
            raise SpecInvalid(format_validation_error(e, f"{cls.__name__}.", cls)) from None


def go_numbers(value: Any) -> Any:
    """``value`` with each whole float as the stack file's path delivers it (red14m): the Pulumi CLI hands the program
    its config as JSON from Go's encoding/json, which writes a whole float64 below 1e21 without a fraction
    (``floatEncoder``), so ``minReplicas: 2.0`` in a stack file reaches the program as 2; a Python caller's
    ``minReplicas=2.0`` is read the same way. Maps and lists are walked; anything else is returned as is."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {k: go_numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(go_numbers(v) for v in value)
    return value


def validate_as(model: type[Spec], data: Any) -> Any:
    """Validate ``data`` as ``model``, raising pydantic's ``ValidationError`` (for a caller that formats it)."""
    return model.__pydantic_validator__.validate_python(data)


class _Given:
    """A value or key path of the user's, kept in an error's context as the Python object it is: pydantic-core turns a
    str there into Rust text when ``errors()`` is called, which cannot hold a lone surrogate (``"\\ud800"`` as a map
    key or list item raised UnicodeEncodeError from the formatter, red team #17c B2). Unwrapped by
    :func:`format_validation_error`."""

    __slots__ = ("item",)

    def __init__(self, item: Any) -> None:
        self.item = item

    def __repr__(self) -> str:
        return escape_line(show(self.item))


def _given(value: Any) -> Any:
    return value.item if isinstance(value, _Given) else value


def _text(accepted: str) -> str:
    """``accepted`` as pydantic-core can hold it: a lone surrogate (from a key the message names) escaped as
    ``\\ud800``, as the finished line shows it anyway (:func:`escape_line`)."""
    try:
        accepted.encode("utf-8")
    except UnicodeEncodeError:
        return escape_line(accepted)
    return accepted


def field_error(path: str, value: Any, accepted: str) -> PydanticCustomError:
    """An error about ``path`` (relative to the model being validated, dotted, camelCase).

    Raise it from a ``model_validator``; the config loader appends ``path`` to the location of the model.
    """
    return PydanticCustomError(
        "mlplatform_field", "{accepted}", {"accepted": _text(accepted), "path": _Given(path), "value": _Given(value)}
    )


def missing_error(path: str, accepted: str) -> PydanticCustomError:
    """A key at ``path`` that must be given here (a rule across keys, not a required field): "missing; <accepted>"."""
    return PydanticCustomError(
        "mlplatform_field",
        "{accepted}",
        {"accepted": _text(accepted), "path": _Given(path), "value": _Given(None), "missing": True},
    )


_GIVEN = object()


def value_error(accepted: str, shown: Any = _GIVEN) -> PydanticCustomError:
    """An error about the field being validated itself; ``accepted`` says what to give instead. ``shown`` replaces
    the value in the line (a URI with its credential part redacted, say); by default the value given is shown."""
    ctx: dict[str, Any] = {"accepted": _text(accepted)}
    if shown is not _GIVEN:
        ctx["value"] = _Given(shown)
    return PydanticCustomError("mlplatform_value", "{accepted}", ctx)


# ------------------------------------------------------------------------------------------------ one line


def did_you_mean(word: str, choices: list[str]) -> str:
    """``"did you mean X? "`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]}? " if close else ""


_HINTS = {
    "int_parsing": "give an integer",
    "int_type": "give an integer",
    "int_from_float": "give a whole number",
    "float_parsing": "give a number",
    "float_type": "give a number",
    "finite_number": "give a finite number",
    "bool_parsing": "give true or false",
    "bool_type": "give true or false",
    "string_type": "give a string (quote it in YAML)",
    "dict_type": "give a map of keys to values",
    "model_type": "give a map of keys to values",
    "model_attributes_type": "give a map of keys to values",
    "list_type": "give a list",
}


def _hint(err: Mapping[str, Any]) -> str:
    typ = err["type"]
    ctx = err.get("ctx") or {}
    if typ in ("mlplatform_field", "mlplatform_value"):
        return str(ctx["accepted"])
    if typ == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "")
        return "give one of " + expected.replace(" or ", ", ")
    if typ in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        word = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[typ]
        bound = next(iter(ctx.values()))
        kind = "an integer" if isinstance(bound, int) else "a number"
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        return f"give {kind} {word} {bound}"
    if typ == "int_type" and isinstance(err.get("input"), float):
        return "give a whole number"
    if typ == "string_too_short":
        return f"give at least {ctx.get('min_length')} characters"
    return _HINTS.get(typ, str(err.get("msg", "invalid")))


def _show_input(value: Any, typ: str = "", loc: tuple[Any, ...] = ()) -> str:
    """The value of an error line: :func:`components.errors.show`, and ``[plain text]`` whatever its type when its key
    path says it is a credential (:func:`components.credentials.credential_path`: ``env.DB_PASSWORD: 73914025611``,
    ``secretEnv.X: s3cr3t``, red team #14g break 3a/3b)."""
    from components.credentials import PLAIN_TEXT, credential_path

    if credential_path([str(part) for part in loc], value, spec_field_names()):
        return PLAIN_TEXT
    # "4" or "true" given as text where a number or boolean belongs: quoted, so the line says why it is refused
    quoted = typ.endswith("_type") and isinstance(value, str) and LOOKS_TYPED.match(value) is not None
    return show(value, quoted=quoted)


def _plain_text() -> str:
    from components.credentials import PLAIN_TEXT

    return PLAIN_TEXT


def _after_credential_flag(given: Any, rel: list[str]) -> bool:
    """Whether the item at key path ``rel`` of the model's input ``given`` is a list item that follows a flag named as
    a credential (``args: [--token, <value>]``: :func:`components.credentials.secret_name`)."""
    from components.credentials import secret_name

    if not rel or not rel[-1].isdigit() or int(rel[-1]) == 0:
        return False
    for part in rel[:-1]:
        if isinstance(given, dict):
            given = given.get(part, given.get(to_snake(part)))
        elif isinstance(given, list) and part.isdigit() and int(part) < len(given):
            given = given[int(part)]
        else:
            return False
    if not isinstance(given, list) or int(rel[-1]) > len(given):
        return False
    flag = given[int(rel[-1]) - 1]
    match = re.fullmatch(r"-{1,2}([A-Za-z][A-Za-z0-9_.-]*)", flag, re.ASCII) if isinstance(flag, str) else None
    return match is not None and secret_name(match.group(1))


def spec_field_names() -> frozenset[str]:
    """Every field of every spec, as a stack file and as Python spell it: the names whose values an error line shows
    whatever they are called (:func:`components.credentials.credential_path`; a spec holds references, never a
    secret's value)."""
    names: set[str] = set()
    todo: list[type[Spec]] = [Spec]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        for name, field in cls.model_fields.items():
            names.add(name)
            if field.alias:
                names.add(field.alias)
    return frozenset(names)


def _missing_hint(loc: tuple[Any, ...]) -> str:
    last = str(loc[-1])
    if last == "accelerator":
        from components import catalog

        return "give one of " + ", ".join(catalog.ACCELERATORS)
    if last == "cloud":
        from components import clouds

        return "give one of " + ", ".join(clouds.names())
    return f"give {last}"


def accepted_keys(model: type[Spec], loc: tuple[Any, ...]) -> list[str]:
    """The keys accepted at ``loc`` (walking the models, skipping map keys)."""
    current: Any = model
    for part in loc:
        fields = getattr(current, "model_fields", None)
        if fields is None:
            break
        match = next((f for n, f in fields.items() if (f.alias or n) == part), None)
        if match is None:
            continue  # a map key, e.g. a pool or model name
        current = _model_of(match.annotation)
    fields = getattr(current, "model_fields", {})
    return [f.alias or n for n, f in fields.items()]


def _fields_at(model: type[Spec], loc: tuple[Any, ...]) -> dict[str, Any]:
    """The fields of the model at ``loc`` (map keys skipped), or {} when ``loc`` leaves the models."""
    current: Any = model
    for part in loc:
        fields = getattr(current, "model_fields", None)
        if fields is None:
            return {}
        match = next((f for n, f in fields.items() if part in (n, f.alias)), None)
        if match is None:
            continue  # a map key, e.g. a pool or model name
        current = _model_of(match.annotation)
    return dict(getattr(current, "model_fields", {}))


def _stack_spelling(model: type[Spec], loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """``loc`` with every field named as a stack file spells it (its camelCase alias): pydantic's location uses the
    name the caller gave, so ``warm_capacity`` from Python and ``warmCapacity`` from a stack would be two paths."""
    out: list[Any] = []
    for i, part in enumerate(loc):
        fields = _fields_at(model, loc[:i])
        field = fields.get(part) if isinstance(part, str) else None
        out.append(field.alias if field is not None and field.alias else part)
    return tuple(out)


def _alias_of(model: type[Spec], loc: tuple[Any, ...]) -> str | None:
    """The alias of the field whose Python name ends ``loc`` when it differs from it (``storage_uri`` ->
    ``storageUri``), else None."""
    if not loc or not isinstance(loc[-1], str):
        return None
    field = _fields_at(model, loc[:-1]).get(loc[-1])
    return field.alias if field is not None and field.alias and field.alias != loc[-1] else None


def _model_of(annotation: Any) -> Any:
    for arg in (*getattr(annotation, "__args__", ()), annotation):
        if isinstance(arg, type) and issubclass(arg, Spec):
            return arg
        inner = _model_of(arg) if arg is not annotation and getattr(arg, "__args__", None) else None
        if inner is not None:
            return inner
    return None


def format_validation_error(exc: ValidationError, where: str, model: type[Spec]) -> str:
    """The one line for the first problem of ``exc`` (and how many more there are); ``where`` goes before the key
    path (``"stacks/Pulumi.dev.yaml: mlplatform:"`` for a stack file, ``"ClusterSpec."`` for a Python caller)."""
    errors = exc.errors()
    # A misspelt key also makes the key it should have been "missing": name the misspelling first.
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(err["loc"])
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if err["type"] == "mlplatform_field":
        rel = str(_given(ctx["path"])).split(".")
        loc = loc + tuple(rel)
        value = _given(ctx["value"])
        if _after_credential_flag(err.get("input"), rel):
            value = _plain_text()  # "--token", "<value>": the value of a flag named as a credential (red team #14g 3e)
    elif err["type"] == "mlplatform_value" and "value" in ctx:
        value = _given(ctx["value"])
    alias = _alias_of(model, loc) if err["type"] == "extra_forbidden" else None
    loc = _stack_spelling(model, loc)
    path = ".".join(show_key(p) for p in loc)
    head = f"{where}{path}" if path else where.rstrip(".: ")
    if alias is not None:
        # a Python caller's field name next to its stack spelling: pydantic takes the alias and calls the name extra
        given = path.rsplit(".", 1)[0] + "." if "." in path else ""
        msg = f"{where}{given}{alias}: given twice (as {err['loc'][-1]} and {alias}); give it once"
    elif err["type"] == "extra_forbidden":
        accepted = accepted_keys(model, loc[:-1])
        msg = f"{head}: unknown key; {did_you_mean(str(loc[-1]), accepted)}accepted keys: {', '.join(accepted)}"
    elif err["type"] == "missing":
        msg = f"{head}: missing; {_missing_hint(loc)}"
    elif err["type"] == "mlplatform_field" and ctx.get("missing"):
        msg = f"{head}: missing; {ctx['accepted']}"
    elif too_long := too_many_digits(value):
        msg = f"{head}: {too_long}"  # never converted to text: Python refuses past MAX_DIGITS (ValueError)
    else:
        msg = f"{head}: {_show_input(value, err['type'], loc)} is not allowed; {_hint(err)}"
    if len(errors) > 1:
        msg += f" (+{len(errors) - 1} more)"
    return escape_line(msg)


MAX_DEPTH = 32
"""Deepest nesting of maps and lists in one stack value: the stack file reader (components/plan/project.py) and the
program's config reader (infra/config.py) refuse deeper values with one line."""


def nesting_depth(value: Any) -> int:
    """How deeply maps and lists nest in ``value`` (a scalar is 0); iterative, so any depth is measured without
    recursion (it stops counting past :data:`MAX_DEPTH`)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        todo.extend((c, level + 1) for c in children)
    return deepest
