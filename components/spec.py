"""Base for the typed, validated specs that stack config and Python callers share.

Specs are pydantic models with camelCase aliases (the stack file's spelling) that also accept the snake_case
field names from Python. Unknown keys are errors. A check that needs two fields raises :func:`field_error`, which
names the offending field so the message points at the right key. A string right below a field is its
description: it appears in the generated key reference of docs/configuration.md.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError


class Spec(BaseModel):
    """Frozen, strict-keyed base for every spec."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        validate_default=True,
        use_attribute_docstrings=True,
    )


def field_error(path: str, value: Any, accepted: str) -> PydanticCustomError:
    """An error about ``path`` (relative to the model being validated, dotted, camelCase).

    Raise it from a ``model_validator``; the config loader appends ``path`` to the location of the model.
    """
    return PydanticCustomError("mlplatform_field", "{accepted}", {"accepted": accepted, "path": path, "value": value})


def value_error(accepted: str) -> PydanticCustomError:
    """An error about the field being validated itself; ``accepted`` says what to give instead."""
    return PydanticCustomError("mlplatform_value", "{accepted}", {"accepted": accepted})
