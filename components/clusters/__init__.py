"""Clusters: the only package that knows about clouds. ``create_cluster`` picks the implementation.

Cloud SDKs are imported only for the cloud in use, so planning an AWS stack never imports the GCP or Azure SDKs.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.clusters._common import ManagedClusterArgs, check_region, resolve_pools
from components.clusters.base import (
    GPU_TAINT,
    GpuPoolInfo,
    GpuScheduling,
    KubernetesCluster,
    StorageAccess,
    Taint,
)
from components.clusters.spec import ClusterSpec, api_access_problem
from components.errors import SpecError
from components.storage import parse_storage_uri

__all__ = [
    "GPU_TAINT",
    "ClusterSpec",
    "GpuPoolInfo",
    "GpuScheduling",
    "KubernetesCluster",
    "ManagedClusterArgs",
    "StorageAccess",
    "Taint",
    "check_cluster",
    "create_cluster",
    "shares_one_gpu_per_request",
]


def check_cluster(
    cloud: str, region: str, spec: ClusterSpec, *, storage_uris: Mapping[str, str] | None = None
) -> dict[str, GpuPoolInfo]:
    """What a managed cluster checks before it registers anything: the region's name, the default system machine and
    every GPU pool offered in the region (where the catalog covers it), sharing the cloud supports; that the machine
    running ``pulumi up`` can reach the API endpoint (:func:`~components.clusters.spec.api_access_problem`); on
    Azure, that models reading blob storage name the resource group of their storage accounts.

    ``storage_uris``: by stack key path, the storage URIs models read through the cluster's identity (not public
    buckets). Returns the resolved pools; raises :class:`SpecError` naming the stack key at fault."""
    check_region(cloud, region, spec)
    if cloud == "aws":
        from components.clusters._aws_iam import partition_of

        partition_of(region)
    pools = resolve_pools(cloud, region, spec.gpu_pools)
    if cloud == "aws" and (spec.aws is None or spec.aws.gpu_provisioner == "karpenter"):
        for pool in pools.values():
            if pool.min_nodes > 0:  # the same rule EksCluster applies, here before anything is registered
                raise SpecError(
                    f"cluster.gpuPools.{pool.name}.minNodes",
                    pool.min_nodes,
                    "Karpenter starts GPU nodes for pending pods and keeps no minimum; give 0, or set "
                    "cluster.aws.gpuProvisioner: node-groups",
                )
    if problem := api_access_problem(cloud, spec):
        raise SpecError(*problem)
    if cloud == "azure":
        check_storage_resource_group(spec, storage_uris or {})
    return pools


def check_storage_resource_group(spec: ClusterSpec, storage_uris: Mapping[str, str]) -> None:
    """Refuse an Azure blob model whose storage account's resource group is unknown: without
    ``cluster.azure.storageResourceGroup`` the role assignment would be scoped into the resource group this stack
    creates, where no storage account exists yet (the assignment's scope must exist)."""
    az = spec.azure
    if az is not None and (az.storage_resource_group or az.resource_group):
        return
    for path, uri in storage_uris.items():
        if parse_storage_uri(uri).cloud == "azure":
            raise SpecError(
                "cluster.azure.storageResourceGroup",
                "not set",
                f"{path} reads Azure blob storage ({uri}); give the resource group of that storage account (this stack "
                "creates its own resource group, which holds no storage account)",
            )


_DEVICE_PLUGIN_SHARES = {"aws": True, "azure": True, "gcp": False}
"""Whether the platform's NVIDIA device plugin applies a pool's GPU sharing (``NEEDS_DEVICE_PLUGIN`` of eks.py, aks.py;
GKE shares GPUs itself), kept here so the stack check needs no cloud SDK; tests/clusters check they agree."""


def shares_one_gpu_per_request(cloud: str, strategy: str) -> bool:
    """Whether a pool with sharing ``strategy`` on ``cloud`` serves a pod at most one GPU (a share): the device
    plugin's time-slicing config sets ``failRequestsGreaterThanOne`` (see components/serving/model_service.py)."""
    return strategy == "time-slicing" and _DEVICE_PLUGIN_SHARES.get(cloud, False)


def create_cluster(
    name: str,
    *,
    cloud: str,
    region: str | None,
    spec: ClusterSpec,
    environment: str,
    tags: Mapping[str, str],
    cluster_name: str,
    opts: pulumi.ResourceOptions | None = None,
) -> KubernetesCluster:
    """The cluster for ``cloud``, built from ``spec``: the one place that branches on the cloud.

    ``cloud``: ``aws`` (:class:`~components.clusters.eks.EksCluster`), ``gcp`` (``GkeCluster``), ``azure``
    (``AksCluster``) or ``existing`` (``ExistingCluster``). Each cloud's module (and SDK) is imported only in its
    branch. ``region``: required on the three clouds. ``environment``: prod turns deletion protection on (unless
    ``spec.deletionProtection`` is set). ``tags``: stack tags put on every cloud resource. ``cluster_name``: the
    cloud's cluster name (ignored for ``existing``).
    """
    if cloud == "existing":
        from components.clusters.existing import ExistingCluster, ExistingClusterArgs

        ex = spec.existing
        return ExistingCluster(
            name,
            ExistingClusterArgs(
                kubeconfig=ex.kubeconfig if ex else None,
                context=ex.context if ex else None,
                zones=ex.zones if ex else 1,
                network_policy_enforced={"enforced": True, "not-enforced": False}.get(ex.network_policy)
                if ex
                else None,
            ),
            opts,
        )
    if cloud not in ("aws", "gcp", "azure"):
        raise SpecError("cloud", cloud, "give one of aws, gcp, azure, existing")
    if not region:
        raise SpecError("region", region, f"give the {cloud} region")
    args = ManagedClusterArgs(
        cluster_name=cluster_name, region=region, spec=spec, environment=environment, tags=dict(tags)
    )
    if cloud == "aws":
        from components.clusters.eks import EksCluster

        return EksCluster(name, args, opts)
    if cloud == "gcp":
        from components.clusters.gke import GkeCluster

        return GkeCluster(name, args, opts)
    from components.clusters.aks import AksCluster

    return AksCluster(name, args, opts)
