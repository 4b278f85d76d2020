"""The compatibility check: Kubernetes x Istio x Knative x KServe x cert-manager, before anything is registered.

:func:`check_versions` is pure: it reads the pinned versions (:mod:`components.versions`), the stack's overrides
and the cluster's Kubernetes minor, and raises a one-line :class:`~components.errors.SpecError` for an unknown or
known-bad combination, unless ``platform.allowUnsupportedVersions`` is set.
"""

from __future__ import annotations

import re

from components.errors import SpecError
from components.platform.settings import PlatformSettings
from components.versions import CHARTS, COMPATIBILITY, COMPONENT_CHARTS, Line, chart

_VERSION = re.compile(r"\Av?([0-9]+)\.([0-9]+)(\.[0-9]+)?([-+][0-9A-Za-z.-]+)?\Z", re.ASCII)
_MINOR = re.compile(r"\Av?([0-9]+)\.([0-9]+)(\.[0-9]+)?\Z", re.ASCII)
ESCAPE = "or set platform.allowUnsupportedVersions: true"


def minor(version: str) -> str | None:
    """``major.minor`` of a version such as ``v1.21.1`` or ``1.30.3``; None when it is not a version."""
    m = _VERSION.match(version)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def _key(version: str) -> tuple[int, int]:
    major, _, rest = version.partition(".")
    return int(major), int(rest)


def _in_range(k8s: str, bounds: tuple[str, str]) -> bool:
    return _key(bounds[0]) <= _key(k8s) <= _key(bounds[1])


def _versions(settings: PlatformSettings) -> dict[str, str]:
    return {key: chart(key, settings.versions).version for key in CHARTS}


def _path(component: str, settings: PlatformSettings, chart_key: str | None = None) -> str:
    """The key to blame: the overridden chart of ``component`` (or ``chart_key``), else its first chart."""
    keys = (chart_key,) if chart_key else COMPONENT_CHARTS[component]
    overridden = [k for k in keys if k in settings.versions]
    return f"platform.versions.{(overridden or keys)[0]}"


def _lines(component: str) -> str:
    good = [v for v, line in COMPATIBILITY[component].items() if not line.bad]
    return ", ".join(f"{v}.x" for v in sorted(good, key=_key))


def check_versions(settings: PlatformSettings, kubernetes_version: str) -> None:
    """Reject an unknown or known-bad version combination with one line; a no-op when unsupported ones are allowed.

    Checks, in order: every overridden chart version is a version; charts released together (Istio's four, KServe's
    three) share one version; each component's line is in the table and not known-bad; each line supports the
    Kubernetes minor; and each line's requirements on the others hold (KServe -> Knative, cert-manager; Knative ->
    Istio). Knative is checked only in the Knative deployment mode.
    """
    for key, version in settings.versions.items():
        if not _VERSION.match(version):
            raise SpecError(f"platform.versions.{key}", version, "give a version such as 1.2.3 or v1.2.3")
    if settings.allow_unsupported_versions:
        return
    k8s = minor(kubernetes_version)
    if k8s is None or not _MINOR.match(kubernetes_version):
        raise SpecError("cluster.kubernetesVersion", kubernetes_version, 'give a Kubernetes minor such as "1.34"')
    versions = _versions(settings)
    for keys in COMPONENT_CHARTS.values():
        if len(keys) > 1 and len({versions[k] for k in keys}) > 1:
            given = [k for k in keys if k in settings.versions]
            # none overridden: the pinned defaults themselves disagree (components/versions.py); blame the first
            # chart whose pinned version differs from the group's first, so the line still names a key and a value
            odd = (given or [k for k in keys if versions[k] != versions[keys[0]]])[0]
            where = "" if given else f" (the pinned {keys[0]} is {versions[keys[0]]})"
            raise SpecError(
                f"platform.versions.{odd}",
                versions[odd],
                f"{', '.join(keys)} are released together{where}; give them the same version",
            )
    components = [c for c in COMPONENT_CHARTS if c != "knative" or settings.deployment_mode == "Knative"]
    lines: dict[str, Line] = {}
    found: dict[str, str] = {}
    for component in components:
        key = COMPONENT_CHARTS[component][0]
        version = versions[key]
        line_name = minor(version) or version
        line = COMPATIBILITY[component].get(line_name)
        path = _path(component, settings)
        if line is None:
            raise SpecError(
                path,
                version,
                f"{component} {line_name} is not in the compatibility table; give {_lines(component)} {ESCAPE}",
            )
        if line.bad:
            raise SpecError(
                path, version, f"{component} {line_name} is known-bad: {line.bad}; give {_lines(component)} {ESCAPE}"
            )
        lines[component] = line
        found[component] = line_name
    for component in components:
        line = lines[component]
        if not _in_range(k8s, line.kubernetes):
            lo, hi = line.kubernetes
            overridden = any(k in settings.versions for k in COMPONENT_CHARTS[component])
            if overridden:
                raise SpecError(
                    _path(component, settings),
                    versions[COMPONENT_CHARTS[component][0]],
                    f"{component} {found[component]} supports Kubernetes {lo} to {hi}, not {k8s}; give a version that "
                    f"supports {k8s} {ESCAPE}",
                )
            raise SpecError(
                "cluster.kubernetesVersion",
                kubernetes_version,
                f"{component} {found[component]} supports Kubernetes {lo} to {hi}; give one of those {ESCAPE}",
            )
    for component in components:
        for other, accepted in lines[component].needs.items():
            if other not in found or found[other] in accepted:
                continue
            blame = other if any(k in settings.versions for k in COMPONENT_CHARTS[other]) else component
            raise SpecError(
                _path(blame, settings),
                versions[COMPONENT_CHARTS[blame][0]],
                f"{component} {found[component]} works with {other} "
                + ", ".join(f"{a}.x" for a in accepted)
                + f", not {found[other]}; give one of those {ESCAPE}",
            )
