"""Cluster-layer chart versions (Karpenter, cluster-autoscaler): set under ``cluster.versions`` (refused under
``platform.versions``), passed to the cluster's Helm releases, and checked against the Kubernetes minor (issue #15).

Sources of the compatibility facts (components/versions.py): Karpenter's matrix, aws/karpenter-provider-aws
hack/docs/compatibilitymatrix_gen/compatibility.yaml at 1d927085 (karpenter.sh/docs/upgrading/compatibility); the
cluster-autoscaler chart's ``appVersion`` at each ``cluster-autoscaler-chart-9.*`` tag of kubernetes/autoscaler and
its README's release policy ("versioning scheme was changed to match Kubernetes minor releases exactly").
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cluster_support import build

from components.errors import SpecError
from components.versions import CLUSTER_CHARTS, autoscaler_kubernetes, cluster_chart_problem
from infra.config import load

FILE = "stacks/Pulumi.t.yaml"
REACH = {"publicCidrs": ["203.0.113.0/24"], "deployFrom": ["203.0.113.0/24"]}
POOLS = {"l4": {"accelerator": "nvidia-l4", "maxNodes": 1}}
RELEASE = "kubernetes:helm.sh/v3:Release"


def _raw(cfg: dict[str, Any]) -> dict[str, str]:
    return {f"mlplatform:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in cfg.items()}


def _aws(**cluster: Any) -> dict[str, Any]:
    return {"cloud": "aws", "region": "us-east-1", "cluster": {"apiAccess": REACH, "gpuPools": POOLS, **cluster}}


def _refused(cfg: dict[str, Any]) -> str:
    with pytest.raises(SpecError) as e:
        load(_raw(cfg), frozenset(), FILE)
    return str(e.value)


def test_platform_versions_refuse_the_cluster_charts_in_one_line() -> None:
    for key in CLUSTER_CHARTS:
        cfg = {**_aws(), "platform": {"versions": {key: "1.2.3"}}}
        assert _refused(cfg) == (
            f"{FILE}: mlplatform:platform.versions.{key}: 1.2.3 is not allowed; {key} is installed with the cluster, "
            f"not the platform: set cluster.versions.{key}"
        )


def test_cluster_versions_are_accepted_where_they_fit() -> None:
    cfg = load(_raw(_aws(versions={"karpenter": "1.13.2"})), frozenset(), FILE).config
    assert cfg.cluster.versions == {"karpenter": "1.13.2"}


def test_karpenter_release_gets_the_cluster_version() -> None:
    """The cluster layer receives the override (before, Karpenter's ``chart_versions`` was never passed)."""
    built = build("aws", {"gpuPools": POOLS, "versions": {"karpenter": "1.13.2"}})
    rel = built.one(RELEASE, "mlp-karpenter").plain_inputs()
    assert (rel["chart"], rel["version"]) == ("oci://public.ecr.aws/karpenter/karpenter", "1.13.2")


def test_karpenter_crds_move_with_the_controller() -> None:
    """Raising ``cluster.versions.karpenter`` upgrades the CRDs too: they come from the karpenter-crd chart at the
    controller's version (Helm never upgrades a chart's crds/, karpenter.sh Upgrade Guide "CRD Upgrades"), the
    controller's chart skips its own copy, and the controller waits for them (review of #15, finding 3)."""
    built = build("aws", {"gpuPools": POOLS, "versions": {"karpenter": "1.13.2"}})
    crds = built.one(RELEASE, "mlp-karpenter-crd")
    inputs = crds.plain_inputs()
    assert (inputs["chart"], inputs["version"], inputs["name"]) == (
        "oci://public.ecr.aws/karpenter/karpenter-crd",
        "1.13.2",
        "karpenter-crd",
    )
    controller = built.one(RELEASE, "mlp-karpenter")
    assert controller.plain_inputs()["skipCrds"] is True
    assert crds.urn in controller.depends_on


def test_autoscaler_release_gets_the_cluster_version() -> None:
    cluster = {
        "gpuPools": POOLS,
        "aws": {"gpuProvisioner": "node-groups"},
        "versions": {"cluster-autoscaler": "9.52.1"},
    }
    rel = build("aws", cluster).one(RELEASE, "mlp-cluster-autoscaler").plain_inputs()
    assert (rel["chart"], rel["version"]) == ("cluster-autoscaler", "9.52.1")


def test_defaults_are_pinned_and_fit_the_default_kubernetes() -> None:
    assert {k: c.version for k, c in CLUSTER_CHARTS.items()} == {"karpenter": "1.14.1", "cluster-autoscaler": "9.53.0"}
    assert cluster_chart_problem("karpenter", "1.14.1", "1.34") is None
    assert cluster_chart_problem("cluster-autoscaler", "9.53.0", "1.34") is None


@pytest.mark.parametrize(
    ("chart", "kubernetes"),
    [("9.34.0", "1.28"), ("9.44.0", "1.31"), ("9.46.6", "1.32"), ("9.51.0", "1.33"), ("9.52.0", "1.34"),
     ("9.53.0", "1.34"), ("9.54.0", "1.35"), ("9.59.0", "1.35"), ("9.60.0", None), ("9.33.0", None), ("x", None)],
)  # fmt: skip
def test_autoscaler_chart_minor_follows_the_chart_tags(chart: str, kubernetes: str | None) -> None:
    """Chart.yaml appVersion at the kubernetes/autoscaler tags (9.51.0 ships 1.33.0, though the README's table starts
    1.34 at 9.51.0; 9.52.0 ships 1.34.1); charts newer than the newest read are unknown."""
    assert autoscaler_kubernetes(chart) == kubernetes


def test_autoscaler_minor_must_be_the_clusters() -> None:
    cfg = _aws(
        kubernetesVersion="1.34", aws={"gpuProvisioner": "node-groups"}, versions={"cluster-autoscaler": "9.51.0"}
    )
    assert _refused(cfg) == (
        f"{FILE}: mlplatform:cluster.versions.cluster-autoscaler: 9.51.0 is not allowed; chart 9.51.0 ships "
        "cluster-autoscaler 1.33, and the autoscaler's minor must be the cluster's (1.34): give a chart from 9.52.0 "
        "for Kubernetes 1.34 (kubernetes/autoscaler cluster-autoscaler/README.md, Releases)"
    )


def test_default_autoscaler_is_checked_when_installed_on_another_kubernetes() -> None:
    """The pinned chart (1.34) on a 1.33 cluster with node groups: refused, naming the default."""
    cfg = _aws(kubernetesVersion="1.33", aws={"gpuProvisioner": "node-groups"})
    assert _refused(cfg).startswith(
        f"{FILE}: mlplatform:cluster.versions.cluster-autoscaler: 9.53.0 (the default) is not allowed; chart 9.53.0 "
        "ships cluster-autoscaler 1.34"
    )
    # with Karpenter the autoscaler is not installed, so its default is not held against the stack
    assert load(_raw(_aws(kubernetesVersion="1.33")), frozenset(), FILE).config.cluster.kubernetes_version == "1.33"


def test_karpenter_line_must_support_the_kubernetes_minor() -> None:
    assert _refused(_aws(versions={"karpenter": "1.5.3"})) == (
        f"{FILE}: mlplatform:cluster.versions.karpenter: 1.5.3 is not allowed; Karpenter 1.5 supports Kubernetes 1.26 "
        "to 1.33, not 1.34 (karpenter.sh compatibility matrix; docs/versions.md)"
    )
    assert "Karpenter 0.37 is not in the compatibility table" in _refused(_aws(versions={"karpenter": "0.37.0"}))
    assert "give a version such as 1.2.3" in _refused(_aws(versions={"karpenter": "latest"}))


def test_unknown_versions_pass_with_allow_unsupported() -> None:
    cfg = {**_aws(versions={"karpenter": "1.15.0"}), "platform": {"allowUnsupportedVersions": True}}
    assert load(_raw(cfg), frozenset(), FILE).config.cluster.versions == {"karpenter": "1.15.0"}
    assert "Karpenter 1.15 is not in the compatibility table" in _refused(_aws(versions={"karpenter": "1.15.0"}))


def test_cluster_versions_only_for_charts_the_cloud_installs() -> None:
    gcp = {"cloud": "gcp", "region": "us-central1", "cluster": {"apiAccess": REACH, "gcp": {"project": "my-proj-1"}}}
    gcp["cluster"]["versions"] = {"karpenter": "1.14.1"}
    assert _refused(gcp) == (
        f"{FILE}: mlplatform:cluster.versions.karpenter: 1.14.1 is not allowed; gcp clusters install no karpenter; "
        "remove it"
    )
    assert _refused(_aws(versions={"istiod": "1.30.3"})) == (
        f'{FILE}: mlplatform:cluster.versions: {{istiod: "1.30.3"}} is not allowed; unknown cluster chart '
        "'istiod'; give versions for karpenter, cluster-autoscaler"
    )


@pytest.mark.parametrize("version", ["v1.15.0", "1.15.\uff10", "1.15.\u0660", "vv1.15.0", "1.15.0\n"])
def test_what_reaches_helm_is_a_chart_version_even_with_allow_unsupported(version: str) -> None:
    """allowUnsupportedVersions skips the compatibility table, not the form: Helm is asked for the version as given,
    and Karpenter's chart tags are ASCII ``x.y.z`` without a ``v`` (upgrade guide, Upgrading to 0.35.0+)."""
    cfg = {**_aws(versions={"karpenter": version}), "platform": {"allowUnsupportedVersions": True}}
    assert "is not allowed; give " in _refused(cfg)


def test_a_version_for_a_chart_this_stack_does_not_install_is_refused_even_with_allow_unsupported() -> None:
    cfg = {**_aws(versions={"cluster-autoscaler": "9.53.0"}), "platform": {"allowUnsupportedVersions": True}}
    assert _refused(cfg) == (
        f"{FILE}: mlplatform:cluster.versions.cluster-autoscaler: 9.53.0 is not allowed; this stack installs no "
        "cluster-autoscaler (cluster.aws.gpuProvisioner karpenter installs karpenter, not cluster-autoscaler); "
        "remove it"
    )
    no_pools = _aws(aws={"gpuProvisioner": "node-groups"}, versions={"cluster-autoscaler": "9.53.0"})
    no_pools["cluster"]["gpuPools"] = {}
    assert "installs cluster-autoscaler only with GPU pools, and there are none" in _refused(no_pools)
