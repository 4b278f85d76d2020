"""ExistingCluster: the seam for a cluster we did not build, and the outputs every cluster registers."""

from __future__ import annotations

from typing import Any

import pytest
from cluster_support import Parent

from components.clusters import create_cluster
from components.clusters.existing import ExistingCluster, ExistingClusterArgs
from components.clusters.spec import ClusterSpec
from components.errors import SpecError
from support import run

KEYS = {
    "cloud", "region", "clusterName", "endpoint", "kubeconfig", "oidcIssuer", "controlPlaneTier",
    "systemInstanceType", "systemPool", "gpuPools",
}  # fmt: skip


def _existing(grant: str | None = None) -> tuple[Any, dict[str, Any]]:
    box: dict[str, Any] = {}

    def program() -> None:
        c = create_cluster(
            "local",
            cloud="existing",
            region=None,
            spec=ClusterSpec.model_validate({"existing": {"context": "kind-mlp", "zones": 2}}),
            environment="dev",
            tags={},
            cluster_name="ignored",
        )
        box["cluster"] = c
        if grant:
            box["access"] = c.grant_storage_read("m", "ns", "sa", grant, Parent("m-parent"))

    return run(program), box


def test_existing_cluster_outputs_and_provider() -> None:
    result, box = _existing()
    cluster = box["cluster"]
    assert isinstance(cluster, ExistingCluster)
    component = result.one("mlplatform:index:ExistingCluster")
    out = component.outputs
    # None values (region, endpoint, oidc_issuer, control_plane_tier, system_instance_type) are not recorded by
    # Pulumi: readers get None for them.
    assert set(out) == {"cloud", "clusterName", "kubeconfig", "kubeconfigPath", "systemPool", "gpuPools", "zones"}
    assert KEYS - set(out) == {"region", "endpoint", "oidcIssuer", "controlPlaneTier", "systemInstanceType"}
    assert out["cloud"] == "existing"
    assert out["clusterName"] == "kind-mlp"
    assert out["gpuPools"] == {} and out["systemPool"] == {}
    assert cluster.region is None and cluster.control_plane_tier is None
    assert type(out["kubeconfig"]).__name__ == "Secret"
    provider = result.one("pulumi:providers:kubernetes", "local-k8s")
    assert provider.parent == component.urn
    assert provider.plain_inputs()["context"] == "kind-mlp"
    assert provider.plain_inputs()["clusterIdentifier"] == "existing/kind-mlp"
    assert cluster.zones == 2
    assert cluster.system_node_selector == {}
    assert cluster.gpu.pools == {}


def test_existing_cluster_grants_nothing_for_public_sources() -> None:
    _, box = _existing("hf://org/model")
    assert box["access"].service_account_annotations == {}
    assert box["access"].identity is None


def test_existing_cluster_refuses_private_cloud_storage() -> None:
    with pytest.raises(SpecError) as info:
        _existing("s3://bucket-x/model")
    assert str(info.value) == (
        "storageUri: s3://bucket-x/model is not allowed; an existing cluster has no cloud identity to read private "
        "s3:// storage; set publicStorage: true for a public bucket, or serve from pvc://, oci:// or hf://"
    )


def test_existing_cluster_args_defaults() -> None:
    args = ExistingClusterArgs()
    assert (args.kubeconfig, args.context, args.zones) == (None, None, 1)
