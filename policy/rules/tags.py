"""Every taggable cloud resource carries the stack's required tags (AWS tags, GCP labels, Azure tags).

Whether a type takes tags, and under which input, is read from the provider SDK the resource comes from (its
constructor has a ``tags``, ``labels`` or ``resource_labels`` argument); a handful of types keep them elsewhere
(each cloud's :attr:`policy.rules.percloud.CloudPolicy.tag_paths`). Provider-level defaults count: AWS
``defaultTags.tags`` and GCP ``defaultLabels`` on the resource's explicit provider. Which SDK defines a type and
whether the cloud calls its tags labels come from the registry (:attr:`components.clouds.Cloud.tag_packages`,
``TagRule.labels``); how a tag key becomes a label key, from the cloud's policy module
(:attr:`~policy.rules.percloud.CloudPolicy.label_key`).
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from components import clouds
from policy.rules import percloud
from policy.rules.base import UNKNOWN, Facts, Resource, Rule, as_map, dig, unknown_path

_SDK_TAG_ARGS = {"tags": "tags", "labels": "labels"}


def _package(type_: str) -> str | None:
    """The Python SDK that defines a cloud type token (:attr:`components.clouds.Cloud.tag_packages`), or None."""
    return clouds.tag_packages().get(type_.split(":", 1)[0])


UNREADABLE = "\0unreadable"
""":func:`tag_path` of a cloud type whose SDK class cannot be read here: the rule cannot tell whether it takes tags, so
it says so (fails closed) instead of passing it as untaggable."""


@cache
def tag_path(type_: str) -> str | None:
    """The wire path of the tag map of ``type_``, None when the type cannot carry tags, or :data:`UNREADABLE` when
    its SDK cannot be imported to find out."""
    paths = percloud.tag_paths()
    if type_ in paths:
        return paths[type_]
    package = _package(type_)
    if package is None:
        return None
    parts = type_.split(":")
    if len(parts) != 3:
        return None
    _, module, cls_name = parts
    module = module.split("/")[0]
    try:
        mod = importlib.import_module(package if module == "index" else f"{package}.{module}")
    except ImportError:
        return UNREADABLE
    try:
        cls = getattr(mod, cls_name)
        params = inspect.signature(cls._internal_init).parameters
    except (AttributeError, TypeError, ValueError):
        # Not a resource class of the SDK: a remote component's own child components (pulumi-eks's ServiceRole,
        # components/plan/aws_eks.py), whose tags are on the cloud resources under them, checked one by one.
        return None
    for arg, wire in _SDK_TAG_ARGS.items():
        if arg in params:
            return wire
    return None


def _json_map(value: Any) -> Mapping[str, Any]:
    """Provider config arrives as JSON text for nested values."""
    if isinstance(value, str) and value.startswith("{"):
        try:
            loaded = json.loads(value)
        except json.JSONDecodeError:
            return {}
        return loaded if isinstance(loaded, Mapping) else {}
    return as_map(value)


def _provider_tags(res: Resource) -> Mapping[str, Any]:
    prov = res.provider_props
    if not prov:
        return {}
    default_tags = _json_map(prov.get("defaultTags"))
    tags = dict(_json_map(default_tags.get("tags")))
    tags.update(_json_map(prov.get("defaultLabels")))
    return tags


def _tag_map(value: Any) -> Mapping[str, Any]:
    """A tag map; AWS Auto Scaling spells tags as a list of ``{key, value}``."""
    if isinstance(value, list):
        return {str(t.get("key")): t.get("value") for t in value if isinstance(t, Mapping)}
    return as_map(value)


def _required_tags(res: Resource, facts: Facts) -> Iterator[str]:
    path = tag_path(res.type)
    if path is None:
        return
    if path == UNREADABLE:
        yield (
            f"cannot tell whether {res.type} takes tags: its class is not importable from "
            f"{_package(res.type)} here (install the SDK in the policy pack's venv)"
        )
        return
    if not facts.required_tags:
        # an empty list would turn this mandatory rule off without a recorded reason: a finding instead
        yield (
            "policy.requiredTags is empty, so no tag would be checked: list the tag keys, or disable required-tags "
            "with an override and its reason"
        )
        return
    tags = dig(res.props, path)
    if tags is UNKNOWN:
        return
    have = {**_provider_tags(res), **_tag_map(tags)}
    label_key = percloud.label_key(res.type)
    labels = label_key is not None
    wanted = [label_key(k) if label_key is not None else k for k in facts.required_tags]
    missing = [k for k in wanted if not have.get(k)]
    if missing:
        word = "labels" if labels else "tags"
        yield f"missing required {word} {', '.join(missing)} (under {path}; set them in mlplatform:tags)"


def _unknown_tags(res: Resource) -> str | None:
    """The tags of ``res`` when the map is known only after deploy (or NaN): the rule cannot tell which keys it holds
    (red team #17 G12t); its passing entry names it and ``check --strict`` fails it."""
    path = tag_path(res.type)
    if path is None or path == UNREADABLE:
        return None
    found = unknown_path(res.props, path)
    return f"{res.type.rsplit(':', 1)[-1]} {res.name} {found}" if found else None


RULES = [
    Rule(
        name="required-tags",
        description="Every taggable cloud resource carries the stack's required tags (policy.requiredTags).",
        enforcement="mandatory",
        area="tags",
        check_resource=_required_tags,
        unknown=_unknown_tags,
    ),
]
