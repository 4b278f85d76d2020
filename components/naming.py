"""Names, labels and tags: one place for the conventions every component follows.

- Child resources are named ``f"{name}-{role}"`` (:func:`child_name`); the role is stable, lowercase and hyphenated.
- Kubernetes objects carry the ``app.kubernetes.io/*`` labels from :func:`standard_labels`.
- Cloud tags/labels merge stack -> component -> resource (:func:`merge_tags`); later layers win.
- Every component registers its type as ``mlplatform:index:<Class>`` (:func:`type_token`).
- Every child gets ``parent=self`` through :func:`child_opts`, so a helper cannot forget it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

PACKAGE = "mlplatform"
MANAGED_BY = "mlplatform"
PART_OF = "mlplatform"

# Labels that mark GPU nodes; the cluster seam and ModelService both read these constants.
ACCELERATOR_LABEL = "mlplatform.io/accelerator"
POOL_LABEL = "mlplatform.io/pool"
GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_TAINT_VALUE = "present"
GPU_TAINT_EFFECT = "NoSchedule"

_DNS_LABEL = re.compile(r"\A[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z", re.ASCII)


def type_token(cls_name: str) -> str:
    """The Pulumi type token of one of our components: ``mlplatform:index:<Class>``."""
    return f"{PACKAGE}:index:{cls_name}"


def child_name(name: str, role: str) -> str:
    """The logical name of a child resource: ``f"{name}-{role}"``."""
    return f"{name}-{role}"


def child_opts(
    parent: pulumi.Resource,
    *,
    depends_on: Sequence[pulumi.Resource] | None = None,
    provider: pulumi.ProviderResource | None = None,
    **kwargs: Any,
) -> pulumi.ResourceOptions:
    """Resource options for a child: always ``parent=parent``, plus whatever else is given."""
    return pulumi.ResourceOptions(
        parent=parent,
        depends_on=list(depends_on) if depends_on else None,
        provider=provider,
        **kwargs,
    )


def replacement_suffix(forcing: Mapping[str, Any], length: int) -> str:
    """``length`` hex digits that change whenever a value in ``forcing`` changes (sha256 of its sorted JSON).

    For a cloud resource whose physical name is fixed by the program: append it to the name, with ``forcing`` the
    inputs that make the provider replace the resource, so that a replacement has a new name and can be created
    before the old resource is deleted (docs/upgrading.md, "Node pools are replaced new-first").
    """
    text = json.dumps(forcing, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def is_dns_label(value: str, max_length: int = 63) -> bool:
    """True when ``value`` is an RFC 1123 DNS label no longer than ``max_length``."""
    return len(value) <= max_length and bool(_DNS_LABEL.match(value))


def is_dns_subdomain(value: str) -> bool:
    """True when ``value`` is an RFC 1123 subdomain (dot-separated DNS labels, at most 253 characters), the rule for
    most Kubernetes object names (kubernetes apimachinery pkg/util/validation/validation.go, IsDNS1123Subdomain)."""
    return 0 < len(value) <= 253 and all(is_dns_label(part) for part in value.split("."))


def standard_labels(component: str, instance: str, *, name: str | None = None) -> dict[str, str]:
    """The ``app.kubernetes.io/*`` labels every Kubernetes object we render carries."""
    return {
        "app.kubernetes.io/name": name or component,
        "app.kubernetes.io/instance": instance,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }


def merge_tags(*layers: Mapping[str, str] | None) -> dict[str, str]:
    """Merge tag maps in precedence order (stack -> component -> resource); later layers win."""
    merged: dict[str, str] = {}
    for layer in layers:
        if layer:
            merged.update(layer)
    return merged
