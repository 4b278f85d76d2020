"""Check Helm values against a chart's default values: a key the chart does not know is silently ignored by Helm.

:func:`unknown_keys` walks the values a release sets and returns every key path that does not exist in the chart's
defaults. A key below a default that is an empty map (``nodeSelector: {}``) or not a map at all (a list, a string,
``null``) is free: the chart takes that value as a whole. Istio's charts keep their defaults under
``_internal_defaults_do_not_set`` (:func:`chart_defaults` unwraps them). A key in :data:`FREE_FORM` holds a
Kubernetes string map (node selector, labels, annotations) that charts render whole, so its entries are free even
when the chart's default map is not empty (cert-manager's ``nodeSelector: {kubernetes.io/os: linux}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

ISTIO_WRAPPER = "_internal_defaults_do_not_set"
FREE_FORM = frozenset({"nodeSelector", "labels", "annotations", "podLabels", "podAnnotations"})
"""Keys whose value is a free-form Kubernetes string map (its entries are the user's, not the chart's)."""

RENDERED_WHOLE: Mapping[str, frozenset[str]] = {
    "kserve-resources": frozenset({"kserve.storage.containerSecurityContext"}),
    "dcgm-exporter": frozenset({"securityContext"}),
    "istiod": frozenset({"meshConfig"}),
}
"""Per chart key, value paths whose map the chart renders whole with ``toYaml`` (a Kubernetes object, so any of
its fields is known even when the chart's default lists only some). kserve-resources v0.20.0:
templates/clusterstoragecontainer.yaml renders ``kserve.storage.containerSecurityContext`` as the container's
``securityContext``; dcgm-exporter 4.8.2 templates/daemonset.yaml renders ``securityContext`` as the exporter's
(``toYaml .Values.securityContext``); istiod 1.30.3 templates/configmap.yaml merges ``meshConfig`` over its mesh
config and renders it whole (``mergeOverwrite``, ``toYaml``; values.yaml: "See
https://istio.io/docs/reference/config/istio.mesh.v1alpha1/ for all available options")."""


DOCUMENTED: Mapping[str, Mapping[str, Any]] = {
    "cert-manager": {"serviceAccount": {"annotations": {}, "labels": {}}},
}
"""Per chart key, values the chart documents but ships commented out, merged into its defaults. cert-manager
v1.21.1 values.yaml documents ``serviceAccount.annotations`` ("Optional additional annotations to add to the
controller's Service Account") and ``serviceAccount.labels`` as commented ``# +docs:property`` entries; the chart's
templates/serviceaccount.yaml renders the annotations with ``with .Values.serviceAccount.annotations``."""


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        elif key not in out:
            out[key] = value
    return out


def chart_defaults(folder: Path, key: str, version: str) -> dict[str, Any]:
    """The default values of the chart ``key`` (components/versions.py) at ``version``: ``folder/<key>-<version>.yaml``.

    Raises ``FileNotFoundError`` when the file is missing (the data for an overridden version is not there).
    """
    from components.platform.common import load_yaml_data

    path = folder / f"{key}-{version}.yaml"
    if not path.is_file():
        raise FileNotFoundError(path)
    data = load_yaml_data(path) or {}
    if isinstance(data, dict) and ISTIO_WRAPPER in data:
        inner = data[ISTIO_WRAPPER]
        return dict(inner) if isinstance(inner, dict) else {}
    return _merge(dict(data), DOCUMENTED.get(key, {})) if isinstance(data, dict) else {}


def unknown_keys(
    values: Mapping[str, Any],
    defaults: Mapping[str, Any],
    prefix: str = "",
    whole: frozenset[str] = frozenset(),
) -> list[str]:
    """Key paths (dotted) set in ``values`` that ``defaults`` does not have. ``whole``: dotted paths the chart
    renders whole (:data:`RENDERED_WHOLE`), whose own keys are not checked."""
    problems: list[str] = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if key not in defaults:
            problems.append(path)
            continue
        default = defaults[key]
        if path in whole:
            continue
        if key in FREE_FORM and isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()):
            continue
        if isinstance(value, Mapping) and isinstance(default, Mapping) and default:
            problems.extend(unknown_keys(value, default, prefix=f"{path}.", whole=whole))
    return problems
