"""Clusters: the only package that knows about clouds. ``create_cluster`` picks the implementation.

Cloud SDKs are imported only for the cloud in use, so planning an AWS stack never imports the GCP or Azure SDKs.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.clusters.base import (
    GPU_TAINT,
    GpuPoolInfo,
    GpuScheduling,
    KubernetesCluster,
    StorageAccess,
    Taint,
)
from components.clusters.spec import ClusterSpec

__all__ = [
    "GPU_TAINT",
    "ClusterSpec",
    "GpuPoolInfo",
    "GpuScheduling",
    "KubernetesCluster",
    "StorageAccess",
    "Taint",
    "create_cluster",
]


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
    """The cluster for ``cloud``, built from ``spec``: the one place that branches on the cloud."""
    if cloud == "existing":
        from components.clusters.existing import ExistingCluster, ExistingClusterArgs

        ex = spec.existing
        return ExistingCluster(
            name,
            ExistingClusterArgs(
                kubeconfig=ex.kubeconfig if ex else None,
                context=ex.context if ex else None,
                zones=ex.zones if ex else 1,
            ),
            opts,
        )
    raise NotImplementedError(f"cloud {cloud!r}: cluster not built yet")
