"""Clusters: the only package that knows about clouds. ``create_cluster`` picks the implementation.

Which implementation serves a cloud, and every other fact about it, comes from the cloud registry
(:mod:`components.clouds`). Cloud SDKs are imported only for the cloud in use, so planning an AWS stack never imports
the GCP or Azure SDKs.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import pulumi

from components import clouds
from components.clusters._common import ManagedClusterArgs, check_region, resolve_pools
from components.clusters.base import (
    GPU_TAINT,
    GpuPoolInfo,
    GpuScheduling,
    KubernetesCluster,
    StorageAccess,
    Taint,
    one_share_why,
)
from components.clusters.spec import ApiEndpoint, ClusterSpec, api_access_problem
from components.errors import SpecError, show
from components.versions import chart, cluster_chart_problem

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
    "check_cluster_versions",
    "cloud_outputs",
    "cluster_class",
    "cluster_module",
    "create_cluster",
    "one_share_why",
    "provider_config_problem",
    "rendered_endpoint",
    "shares_one_gpu_per_request",
]


def cluster_module(cloud: str) -> ModuleType:
    """The module of ``cloud``'s cluster implementation (:attr:`components.clouds.Cloud.cluster`), imported now: only
    the cloud in use is ever imported, so planning one cloud never imports another's SDK."""
    return importlib.import_module(clouds.get(cloud).cluster.split(":")[0])


def cluster_class(cloud: str) -> type[KubernetesCluster]:
    """``cloud``'s :class:`KubernetesCluster` implementation (e.g. :class:`~components.clusters.eks.EksCluster`)."""
    cls: type[KubernetesCluster] = getattr(cluster_module(cloud), clouds.get(cloud).cluster.split(":")[1])
    return cls


def cloud_outputs(cloud: str) -> type | None:
    """The ``TypedDict`` of the outputs ``cloud``'s cluster registers besides
    :class:`~components.outputs.ClusterOutputs` (:attr:`components.clouds.Cloud.outputs`, e.g.
    :class:`~components.clusters.eks.EksOutputs`), imported now; None when the cloud declares none."""
    named = clouds.get(cloud).outputs
    if named is None:
        return None
    module, _, name = named.partition(":")
    cls: type = getattr(importlib.import_module(module), name)
    return cls


def check_cluster(
    cloud: str, region: str, spec: ClusterSpec, *, storage_uris: Mapping[str, str] | None = None
) -> dict[str, GpuPoolInfo]:
    """What a managed cluster checks before it registers anything: the region's name, the default system machine and
    every GPU pool offered in the region (where the catalog covers it), sharing the cloud supports; that the machine
    running ``pulumi up`` can reach the API endpoint (:func:`~components.clusters.spec.api_access_problem`); and
    what the cloud's own module checks (its ``precheck(region, spec, pools, storage_uris)``, when it has one: the
    AWS partition and Karpenter's minimum on EKS, the storage accounts' resource group on AKS).

    ``storage_uris``: by stack key path, the storage URIs models read through the cluster's identity (not public
    buckets). Returns the resolved pools; raises :class:`SpecError` naming the stack key at fault."""
    check_region(cloud, region, spec)
    module = cluster_module(cloud)
    pools = resolve_pools(cloud, region, spec.gpu_pools)
    precheck = getattr(module, "precheck", None)
    if precheck is not None:
        precheck(region, spec, pools, storage_uris or {})
    if problem := api_access_problem(cloud, spec):
        raise SpecError(*problem)
    return pools


def rendered_endpoint(resource_type: str, inputs: Mapping[str, Any]) -> ApiEndpoint | None:
    """The API endpoint a rendered cluster resource declares (inputs in Pulumi's wire names), read with its cloud's
    defaults for what is left out by the reader in its cluster module's ``API_ENDPOINT`` (type -> reader); None for
    a type no registered cloud lists in :attr:`components.clouds.Cloud.cluster_types` or whose module has no reader.
    tests/clusters/test_deploy_reach.py checks that each cloud renders the endpoint ``api_endpoint`` reasons about."""
    cloud = clouds.of_cluster_type(resource_type)
    if cloud is None:
        return None
    reader = getattr(cluster_module(cloud.name), "API_ENDPOINT", {}).get(resource_type)
    return reader(inputs) if reader is not None else None


def request_log_bucket_problem(cloud: str, bucket: str | None) -> str | None:
    """Why ``cloud``'s clusters cannot write request logs to the stack's ``platform.requestLogs.bucket`` (its
    module's ``request_log_bucket_problem(bucket)``, when it has one: an existing cluster has no cloud identity, AKS
    creates its own account), or None. Checked with the config, before anything is registered."""
    if bucket is None:
        return None
    check = getattr(cluster_module(cloud), "request_log_bucket_problem", None)
    return check(bucket) if check is not None else None


def request_log_key_problem(cloud: str, given: Mapping[str, object]) -> tuple[str, object, str] | None:
    """The first key of ``platform.requestLogs`` the stack gave (``given``: key -> value, camelCase) that does
    nothing on ``cloud``'s clusters, as (key, value, accepted): its module's ``REQUEST_LOG_IGNORED`` (key -> what
    to do), e.g. ``volumeSize`` where the records go to a bucket, ``retentionDays`` where nothing deletes them (red
    team #17d IG). Checked with the config, before anything is registered, and by the platform from Python."""
    ignored: Mapping[str, str] = getattr(cluster_module(cloud), "REQUEST_LOG_IGNORED", {})
    for key, value in given.items():
        if key in ignored:
            return (key, value, ignored[key])
    return None


def provider_config_problem(cloud: str, region: str | None, spec: ClusterSpec, raw: Mapping[str, Any]) -> str | None:
    """Why the cloud provider's own settings in the stack file (``raw``: every key, namespaced) disagree with ours:
    its region key (:attr:`components.clouds.Cloud.provider_region_key`) against ``mlplatform:region``, then what
    the cloud's module checks (its ``provider_config_problem(raw, spec)``, when it has one). The line starts at the
    key; None when all agree."""
    entry = clouds.get(cloud)
    key = entry.provider_region_key
    if key is not None and key in raw and region is not None:
        given = raw[key]

        def norm(text: object) -> str:
            return str(text).lower().replace(" ", "") if entry.region_ignores_case_and_spaces else str(text)

        if norm(given) != norm(region):
            return (
                f"{key}: {show(given)} is not allowed; give {region} (mlplatform:region), or remove {key}: the "
                f"{cloud} provider builds where it says, and the stack is checked and priced for {region}"
            )
    if not entry.managed:
        return None
    check = getattr(cluster_module(cloud), "provider_config_problem", None)
    return check(raw, spec) if check is not None else None


def check_cluster_versions(cloud: str, spec: ClusterSpec, *, allow_unsupported: bool = False) -> None:
    """The cluster charts' versions (``cluster.versions``): only charts the cloud installs
    (:attr:`components.clouds.Cloud.cluster_charts`) and this stack installs (its module's ``cluster_charts(spec)``,
    with ``cluster_charts_why(spec)`` saying why), and unless ``allow_unsupported``, each chart the stack
    installs (its module's ``cluster_charts(spec)``) or overrides fits the cluster's Kubernetes minor
    (:func:`components.versions.cluster_chart_problem`). Raises :class:`SpecError` naming the key."""
    entry = clouds.get(cloud)
    for key, version in spec.versions.items():
        if key not in entry.cluster_charts:
            takes = f"give versions for {', '.join(entry.cluster_charts)}" if entry.cluster_charts else "remove it"
            raise SpecError(f"cluster.versions.{key}", version, f"{cloud} clusters install no {key}; {takes}")
    module = cluster_module(cloud)
    installed = getattr(module, "cluster_charts", None)
    charts = installed(spec) if installed else ()
    for key, version in spec.versions.items():
        # a version for a chart this stack does not install would be accepted and then ignored
        if key not in charts:
            why = getattr(module, "cluster_charts_why", None)
            reason = f" ({why(spec)})" if why else ""
            raise SpecError(f"cluster.versions.{key}", version, f"this stack installs no {key}{reason}; remove it")
    if allow_unsupported:
        return
    for key in dict.fromkeys([*charts, *spec.versions]):
        version = chart(key, spec.versions).version
        if why := cluster_chart_problem(key, version, spec.kubernetes_version):
            shown = version if key in spec.versions else f"{version} (the default)"
            raise SpecError(f"cluster.versions.{key}", shown, why)


def shares_one_gpu_per_request(cloud: str, strategy: str) -> bool:
    """Whether a pool with sharing ``strategy`` on ``cloud`` serves a pod at most one GPU (a share): the device
    plugin that applies the sharing refuses larger requests (:attr:`components.clouds.Cloud.one_share_strategies`:
    the NVIDIA device plugin's ``failRequestsGreaterThanOne`` on EKS and AKS, GKE's own device plugin on GKE)."""
    entry = clouds.find(cloud)
    return entry is not None and strategy in entry.one_share_strategies


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
    """The cluster for ``cloud``, built from ``spec`` by the implementation the registry names
    (:attr:`components.clouds.Cloud.cluster`): the one place that picks a cluster class.

    ``cloud``: a registered cloud: ``aws`` (:class:`~components.clusters.eks.EksCluster`), ``gcp``
    (``GkeCluster``), ``azure`` (``AksCluster``) or ``existing`` (``ExistingCluster``, built by its
    ``from_spec``). Only that cloud's module (and SDK) is imported. ``region``: required on managed clouds.
    ``environment``: prod turns deletion protection on (unless ``spec.deletionProtection`` is set). ``tags``: stack
    tags put on every cloud resource. ``cluster_name``: the cloud's cluster name (ignored for ``existing``).
    """
    entry = clouds.find(cloud)
    if entry is None:
        raise SpecError("cloud", cloud, f"give one of {', '.join(clouds.names())}")
    cls: Any = cluster_class(cloud)
    if not entry.managed:
        built: KubernetesCluster = cls.from_spec(name, spec, opts)
        return built
    if not region:
        raise SpecError("region", region, f"give the {cloud} region")
    args = ManagedClusterArgs(
        cluster_name=cluster_name, region=region, spec=spec, environment=environment, tags=dict(tags)
    )
    managed: KubernetesCluster = cls(name, args, opts)
    return managed
