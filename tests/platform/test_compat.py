"""The compatibility check: Kubernetes x Istio x Knative x KServe x cert-manager, with exact one-line errors."""

from __future__ import annotations

import pytest
from platform_support import LOCAL, PLATFORM

from components.errors import SpecError
from components.platform.compat import check_versions, minor
from components.platform.settings import PlatformSettings
from components.versions import COMPATIBILITY, COMPONENT_CHARTS, ISTIO_CHARTS, KSERVE_CHARTS, KUBERNETES_VERSION
from support import plan_config

ESCAPE = "or set platform.allowUnsupportedVersions: true"


def _istio(version: str) -> dict[str, str]:
    return {key: version for key in ISTIO_CHARTS}


def _kserve(version: str) -> dict[str, str]:
    return {key: version for key in KSERVE_CHARTS}


def _error(versions: dict[str, str], k8s: str = KUBERNETES_VERSION, **settings: object) -> str:
    with pytest.raises(SpecError) as e:
        check_versions(PlatformSettings(versions=versions, **settings), k8s)  # type: ignore[arg-type]
    return str(e.value)


def test_the_pinned_set_is_supported_on_the_pinned_kubernetes() -> None:
    check_versions(PlatformSettings(), KUBERNETES_VERSION)
    check_versions(PlatformSettings(deployment_mode="Standard"), KUBERNETES_VERSION)


@pytest.mark.parametrize("k8s", ["1.33", "1.34", "1.35"])
def test_the_pinned_set_covers_a_range_of_kubernetes(k8s: str) -> None:
    check_versions(PlatformSettings(), k8s)


def test_kubernetes_outside_every_range_blames_the_cluster_version() -> None:
    assert _error({}, "1.31") == (
        f"cluster.kubernetesVersion: 1.31 is not allowed; istio 1.30 supports Kubernetes 1.32 to 1.36; give one of "
        f"those {ESCAPE}"
    )
    assert _error({}, "1.36") == (
        f"cluster.kubernetesVersion: 1.36 is not allowed; knative 1.21 supports Kubernetes 1.33 to 1.35; give one of "
        f"those {ESCAPE}"
    )


def test_standard_mode_does_not_check_knative() -> None:
    check_versions(PlatformSettings(deployment_mode="Standard"), "1.32")  # below Knative 1.21's 1.33
    assert "knative 1.21 supports Kubernetes 1.33 to 1.35" in _error({}, "1.32")


def test_unknown_line_is_rejected_with_what_is_supported() -> None:
    assert _error(_kserve("v0.21.0")) == (
        f"platform.versions.kserve-crd: v0.21.0 is not allowed; kserve 0.21 is not in the compatibility table; "
        f"give 0.20.x {ESCAPE}"
    )
    assert _error({"cert-manager": "v1.18.2"}) == (
        f"platform.versions.cert-manager: v1.18.2 is not allowed; cert-manager 1.18 is not in the compatibility "
        f"table; give 1.19.x, 1.20.x, 1.21.x {ESCAPE}"
    )


def test_known_bad_lines_are_rejected_with_the_reason() -> None:
    assert _error(_istio("1.29.1")) == (
        "platform.versions.istio-base: 1.29.1 is not allowed; istio 1.29 is known-bad: end of life since 2026-08 per "
        f"istio.io supported releases; give 1.30.x {ESCAPE}"
    )
    assert _error(_kserve("v0.16.0")) == (
        "platform.versions.kserve-crd: v0.16.0 is not allowed; kserve 0.16 is known-bad: KServe up to v0.16 ships "
        f"the resources chart as 'kserve', not 'kserve-resources'; give 0.20.x {ESCAPE}"
    )


def test_charts_released_together_must_share_a_version() -> None:
    assert _error({"istiod": "1.30.2"}) == (
        "platform.versions.istiod: 1.30.2 is not allowed; istio-base, istiod, istio-gateway, istio-cni are released "
        "together; give them the same version"
    )
    assert _error({"kserve-resources": "v0.20.1"}) == (
        "platform.versions.kserve-resources: v0.20.1 is not allowed; kserve-crd, kserve-resources, "
        "kserve-runtime-configs are released together; give them the same version"
    )


def test_a_patch_release_of_a_supported_line_is_accepted() -> None:
    check_versions(PlatformSettings(versions={**_istio("1.30.1"), "cert-manager": "v1.19.4"}), "1.34")


def test_an_overridden_line_outside_the_kubernetes_range_blames_the_override() -> None:
    assert _error({"cert-manager": "v1.19.4"}, "1.35") == (
        "platform.versions.cert-manager: v1.19.4 is not allowed; cert-manager 1.19 supports Kubernetes 1.31 to 1.34, "
        f"not 1.35; give a version that supports 1.35 {ESCAPE}"
    )


def test_cross_requirements_blame_the_overridden_component(monkeypatch: pytest.MonkeyPatch) -> None:
    # A Knative line in the table that KServe 0.20 does not work with: KServe's requirement names it.
    from types import MappingProxyType

    from components import versions
    from components.platform import compat

    knative = dict(versions.COMPATIBILITY["knative"])
    knative["1.20"] = versions.Line(("1.32", "1.35"), needs=MappingProxyType({"istio": ("1.30",)}))
    table = dict(versions.COMPATIBILITY)
    table["knative"] = MappingProxyType(knative)
    monkeypatch.setattr(compat, "COMPATIBILITY", MappingProxyType(table))
    assert _error({"knative-operator": "v1.20.3"}) == (
        f"platform.versions.knative-operator: v1.20.3 is not allowed; kserve 0.20 works with knative 1.21.x, not "
        f"1.20; give one of those {ESCAPE}"
    )


def test_allow_unsupported_versions_accepts_anything_that_is_a_version() -> None:
    check_versions(
        PlatformSettings(versions=_istio("1.31.0"), allow_unsupported_versions=True),
        "1.40",
    )
    assert _error({"istiod": "latest"}, allow_unsupported_versions=True) == (
        "platform.versions.istiod: latest is not allowed; give a version such as 1.2.3 or v1.2.3"
    )


def test_a_kubernetes_version_that_is_not_a_minor_is_rejected() -> None:
    assert (
        _error({}, "latest")
        == 'cluster.kubernetesVersion: latest is not allowed; give a Kubernetes minor such as "1.34"'
    )


def test_the_table_knows_every_pinned_line_and_every_component_chart() -> None:
    from components.versions import CHARTS

    for component, keys in COMPONENT_CHARTS.items():
        assert all(k in CHARTS for k in keys)
        line = minor(CHARTS[keys[0]].version)
        assert line in COMPATIBILITY[component] and not COMPATIBILITY[component][line].bad


def test_the_program_rejects_a_bad_combination_before_registering_anything() -> None:
    cfg = {**LOCAL, "platform": {"domain": "models.example.com", "versions": {"cert-manager": "v1.18.2"}}}
    with pytest.raises(SpecError) as e:
        plan_config(cfg, stack="t")
    assert str(e.value) == (
        "stacks/Pulumi.t.yaml: mlplatform:platform.versions.cert-manager: v1.18.2 is not allowed; cert-manager 1.18 "
        f"is not in the compatibility table; give 1.19.x, 1.20.x, 1.21.x {ESCAPE}"
    )
    ok = plan_config({**cfg, "platform": {**cfg["platform"], "allowUnsupportedVersions": True}})
    assert ok.one(PLATFORM)


def test_the_cluster_version_is_checked_against_the_pinned_set() -> None:
    with pytest.raises(SpecError) as e:
        plan_config({**LOCAL, "cluster": {"kubernetesVersion": "1.31", "existing": {"context": "kind"}}}, stack="t")
    assert str(e.value) == (
        "stacks/Pulumi.t.yaml: mlplatform:cluster.kubernetesVersion: 1.31 is not allowed; istio 1.30 supports "
        f"Kubernetes 1.32 to 1.36; give one of those {ESCAPE}"
    )


@pytest.mark.parametrize(
    ("bumped", "line"),
    [
        (
            {"kserve-resources": "v0.99.0"},
            "platform.versions.kserve-resources: v0.99.0 is not allowed; kserve-crd, kserve-resources, "
            "kserve-runtime-configs are released together (the pinned kserve-crd is {kserve-crd}); give them the same "
            "version",
        ),
        (
            {key: "v0.99.0" for key in KSERVE_CHARTS},
            "platform.versions.kserve-crd: v0.99.0 is not allowed; kserve 0.99 is not in the compatibility table; "
            f"give {', '.join(f'{v}.x' for v, e in COMPATIBILITY['kserve'].items() if not e.bad)} {ESCAPE}",
        ),
    ],
)
def test_a_pinned_default_outside_the_table_is_one_line(
    monkeypatch: pytest.MonkeyPatch, bumped: dict[str, str], line: str
) -> None:
    """A maintainer who bumps one default chart of a group released together (or a group to a line the table does
    not list) gets the one line, not a StopIteration traceback."""
    from dataclasses import replace
    from types import MappingProxyType

    from components import versions
    from components.platform import compat

    pinned = dict(versions.CHARTS)
    charts = MappingProxyType({k: replace(c, version=bumped.get(k, c.version)) for k, c in pinned.items()})
    monkeypatch.setattr(versions, "CHARTS", charts)
    monkeypatch.setattr(compat, "CHARTS", charts)
    assert _error({}) == line.replace("{kserve-crd}", pinned["kserve-crd"].version)
