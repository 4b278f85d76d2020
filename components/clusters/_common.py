"""What the managed clusters (EKS, GKE, AKS) share: arguments, GPU pool resolution, kubeconfig, provider, outputs.

Private to ``components/clusters/``: nothing here imports a cloud SDK, so every cloud module can use it.
"""

from __future__ import annotations

import abc
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components import catalog, clouds
from components.clusters.base import (
    GPU_TAINT,
    CloudName,
    ClusterDns,
    GpuPoolInfo,
    GpuScheduling,
    StorageAccess,
    Taint,
    TrafficPolicy,
)
from components.clusters.mig import mig_profile_problem
from components.clusters.spec import ClusterSpec, GpuPoolSpec
from components.errors import SpecError
from components.naming import POOL_LABEL, child_name, type_token
from components.outputs import ClusterOutputs, GpuPoolOutputs, SystemPoolOutputs
from components.storage import StorageLocation, parse_storage_uri

SYSTEM_POOL = "system"
"""Value of the ``mlplatform.io/pool`` label on every system node."""

SYSTEM_NODE_SELECTOR: Mapping[str, str] = {POOL_LABEL: SYSTEM_POOL}
"""Node selector that keeps add-ons on the system pool (the label every system node carries)."""


@dataclass(frozen=True)
class ManagedClusterArgs:
    """Arguments shared by :class:`EksCluster`, :class:`GkeCluster` and :class:`AksCluster`.

    ``cluster_name``: the cloud's cluster name (physical name). ``region``: the cloud region (required).
    ``spec``: the validated ``mlplatform:cluster`` settings. ``environment``: ``dev``, ``staging`` or ``prod``; prod
    turns deletion protection on unless ``spec.deletionProtection`` says otherwise. ``tags``: stack tags/labels,
    merged onto every cloud resource.
    """

    cluster_name: str
    region: str
    spec: ClusterSpec
    environment: str = "dev"
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def protect(self) -> bool:
        """Deletion protection: ``spec.deletionProtection`` when set, else on for prod."""
        if self.spec.deletion_protection is not None:
            return self.spec.deletion_protection
        return self.environment == "prod"

    @property
    def prod(self) -> bool:
        """Whether the environment is prod (HA choices such as one NAT gateway per zone)."""
        return self.environment == "prod"


def pool_path(pool: str, key: str) -> str:
    """The stack-file path of a GPU pool key, for error messages."""
    return f"cluster.gpuPools.{pool}.{key}"


def check_region(cloud: str, region: str, spec: ClusterSpec) -> None:
    """The region's name, and that the default system machine is offered there (where the catalog covers the
    region); a :class:`SpecError` otherwise."""
    try:
        catalog.check_region(cloud, region)
    except catalog.CatalogError as e:
        raise SpecError("region", region, str(e)) from None
    system = catalog.system_machine(cloud)
    if spec.system_pool.instance_type is None and catalog.covers(cloud, region) and system.offered_at(region) is False:
        raise SpecError(
            "cluster.systemPool.instanceType",
            f"{system.instance_type} (the default)",
            f"{system.instance_type} is not offered in {cloud} region {region}; give a type offered there "
            f"(the default is offered in {', '.join(system.regions)})",
        )


def unchecked_regions(cloud: str, region: str, pools: Mapping[str, GpuPoolInfo]) -> str | None:
    """Why the GPU pools' availability in ``region`` could not be checked, or None when it was."""
    if not pools:
        return None
    if not catalog.covers(cloud, region):
        return (
            f"GPU availability in {cloud} region {region} is not checked: the catalog has region data for "
            f"{len(catalog.regions(cloud))} {cloud} regions, not this one (docs/catalog.md)"
        )
    machines = [catalog.machine_for(cloud, p.accelerator, p.gpus_per_node) for p in pools.values()]
    if unknown := sorted({m.instance_type for m in machines if m.offered_in is None}):
        types = ", ".join(unknown)
        why = "the catalog does not know its regions"
        return f"availability of {types} in {cloud} region {region} is not checked: {why}"
    return None


def resolve_pools(cloud: str, region: str, pools: Mapping[str, GpuPoolSpec]) -> dict[str, GpuPoolInfo]:
    """GPU pools with their catalog machine offered in ``region``, or a :class:`SpecError` naming the pool key at
    fault. A machine the region does not offer is refused where the catalog covers the region."""
    out: dict[str, GpuPoolInfo] = {}
    for name, pool in pools.items():
        try:
            machine = catalog.machine_for(cloud, pool.accelerator, pool.gpus_per_node, region)
        except catalog.CatalogError as e:
            offered = pool.accelerator in catalog.offered(cloud, region)
            key, value = ("gpusPerNode", pool.gpus_per_node) if offered else ("accelerator", pool.accelerator)
            raise SpecError(pool_path(name, key), value, str(e)) from None
        strategy = pool.sharing.strategy
        entry = clouds.get(cloud)
        if strategy not in entry.sharing:
            why = entry.sharing_why or f"{cloud} does not offer {strategy}"
            accepted = ", ".join(entry.sharing)
            raise SpecError(pool_path(name, "sharing.strategy"), strategy, f"{why}; give one of {accepted}")
        if strategy == "mig" and not machine.mig:
            raise SpecError(
                pool_path(name, "sharing.strategy"), "mig", f"{pool.accelerator} has no MIG; give time-slicing"
            )
        mig_problem = mig_profile_problem(cloud, pool.accelerator, pool.sharing.mig_profile or "")
        if strategy == "mig" and mig_problem:
            raise SpecError(pool_path(name, "sharing.migProfile"), pool.sharing.mig_profile, mig_problem)
        cache = pool.image_cache
        if cache is not None and (entry.image_cache_source is None or not entry.image_cache_source.match(cache.source)):
            raise SpecError(pool_path(name, "imageCache.source"), cache.source, entry.image_cache_give)
        out[name] = GpuPoolInfo(
            name=name,
            accelerator=pool.accelerator,
            gpus_per_node=pool.gpus_per_node,
            instance_type=machine.instance_type,
            min_nodes=pool.min_nodes,
            max_nodes=pool.max_nodes,
            spot=pool.spot,
            sharing=strategy,
            max_clients_per_gpu=pool.sharing.max_clients_per_gpu if strategy in ("time-slicing", "mps") else 1,
            mig_profile=pool.sharing.mig_profile,
            zones=machine.zones_in(region),
            image_cache=cache.source if cache else None,
            cached_images=tuple(cache.images) if cache else (),
            disk_gib=pool.disk_size_gib,
        )
    return out


def gpu_node_labels(pool: GpuPoolInfo, *, device_plugin: bool) -> dict[str, str]:
    """The labels every node of a GPU pool carries: accelerator + pool, and with ``device_plugin`` (the platform
    installs the NVIDIA device plugin) the device plugin config label that applies the pool's sharing."""
    return GpuScheduling(needs_device_plugin=device_plugin).node_labels(pool)


def system_instance_type(cloud: str, spec: ClusterSpec) -> str:
    """The system pool machine: the stack's choice, else the catalog default of ``cloud``."""
    return spec.system_pool.instance_type or catalog.system_machine(cloud).instance_type


def short_name(base: str, max_length: int, *, salt: str = "") -> str:
    """A lowercase name of at most ``max_length`` characters: ``base`` cut, with a hash suffix when cut."""
    clean = re.sub(r"[^a-z0-9-]", "-", base.lower()).strip("-")
    if len(clean) <= max_length and not salt:
        return clean
    digest = hashlib.sha1((base + salt).encode()).hexdigest()[:6]
    return f"{clean[: max_length - 7].rstrip('-')}-{digest}"


def storage_for(cloud: CloudName, storage_uri: str) -> StorageLocation | None:
    """The parsed location when ``cloud``'s identity must grant it; ``None`` when no identity applies.

    Storage on another cloud is a :class:`SpecError` naming both clouds.
    """
    loc = parse_storage_uri(storage_uri)
    if loc.cloud is None:
        return None
    if loc.cloud != cloud:
        raise SpecError(
            "storageUri",
            storage_uri,
            f"{loc.scheme}:// storage is on {loc.cloud} but this cluster is on {cloud}; use {cloud} storage, or "
            "set publicStorage: true for a public bucket",
        )
    return loc


def exec_kubeconfig(
    cluster_name: str, server: str, ca_data: str, command: str, args: Sequence[str], *, install_hint: str
) -> str:
    """A kubeconfig (JSON) whose user runs the cloud's exec credential plugin; it never holds a token."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster_name, "cluster": {"server": server, "certificate-authority-data": ca_data}}],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "preferences": {},
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": command,
                            "args": list(args),
                            "interactiveMode": "Never",
                            "provideClusterInfo": False,
                            "installHint": install_hint,
                        }
                    },
                }
            ],
        }
    )


def cluster_provider(
    name: str,
    parent: pulumi.Resource,
    kubeconfig: pulumi.Output[str],
    cluster_identifier: pulumi.Input[str],
    depends_on: Sequence[pulumi.Resource] = (),
) -> k8s.Provider:
    """The Kubernetes provider of a cluster: kubeconfig as a secret, a stable ``cluster_identifier``.

    ``depends_on``: what must exist before anything is installed (the system nodes), so that add-on releases that
    wait for their pods do not start on a cluster with no node to schedule them on.
    """
    secret: pulumi.Output[str] = pulumi.Output.secret(kubeconfig)
    return k8s.Provider(
        child_name(name, "k8s"),
        kubeconfig=secret,
        cluster_identifier=cluster_identifier,
        enable_server_side_apply=True,
        delete_unreachable=False,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )


class ManagedCluster(pulumi.ComponentResource, abc.ABC):
    """Base of the managed clusters: the seam's properties and the outputs every cluster registers.

    Subclasses create the cloud resources, then call :meth:`_finish` as the last line of ``__init__``.
    """

    region: str
    cluster_name: str
    endpoint: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    control_plane_tier: str
    system_instance_type: str
    system_pool: SystemPoolOutputs
    gpu_pools: dict[str, GpuPoolOutputs]

    _cloud: CloudName
    _provider: k8s.Provider
    _gpu: GpuScheduling
    _zones: int
    _cni_bin_dir: str | None = None
    _kube_proxy_scrapable: bool = True
    """Set False as a class attribute by a cloud whose kube-proxy cannot be scraped (see the property)."""
    _cluster_dns: ClusterDns = "coredns"
    """Set by a cloud whose cluster DNS is not CoreDNS (GKE: ``kube-dns``)."""

    def __init__(self, cls_name: str, name: str, args: ManagedClusterArgs, opts: pulumi.ResourceOptions | None) -> None:
        super().__init__(type_token(cls_name), name, None, opts)
        self._args = args
        self.region = args.region
        self.cluster_name = args.cluster_name

    def _resolve_pools(self, cloud: CloudName) -> dict[str, GpuPoolInfo]:
        """Check the region and resolve the GPU pools before any child is registered (a :class:`SpecError` names
        the key at fault); warn when the catalog cannot check the pools' availability in the region."""
        spec = self._args.spec
        check_region(cloud, self.region, spec)
        pools = resolve_pools(cloud, self.region, spec.gpu_pools)
        if why := unchecked_regions(cloud, self.region, pools):
            pulumi.log.warn(why, resource=self)
        return pools

    @property
    def cloud(self) -> CloudName:
        """The cloud this cluster runs on."""
        return self._cloud

    @property
    def provider(self) -> k8s.Provider:
        """The Kubernetes provider (kubeconfig secret, exec credential plugin, stable ``cluster_identifier``)."""
        return self._provider

    @property
    def gpu(self) -> GpuScheduling:
        """GPU pools, taints, labels and what the platform must install for GPUs."""
        return self._gpu

    @property
    def system_node_selector(self) -> Mapping[str, str]:
        """``{"mlplatform.io/pool": "system"}``: the label every system node carries."""
        return SYSTEM_NODE_SELECTOR

    @property
    def zones(self) -> int:
        """How many zones the system nodes span."""
        return self._zones

    @property
    def cni_bin_dir(self) -> str | None:
        """The nodes' CNI binary folder when not ``/opt/cni/bin`` (set by the subclass), else None."""
        return self._cni_bin_dir

    @property
    def control_plane_managed(self) -> bool:
        """True: EKS, GKE and AKS run the control plane; its components are not scrapable from the cluster."""
        return True

    @property
    def network_policy_enforced(self) -> bool | None:
        """True: every managed cluster is built with a network plugin that enforces NetworkPolicy (EKS: the VPC
        CNI's ``enableNetworkPolicy``, eks.py; GKE: Dataplane V2, with which Kubernetes NetworkPolicy is always on,
        cloud.google.com/kubernetes-engine/docs/concepts/dataplane-v2; AKS: ``network_policy="cilium"``, aks.py)."""
        return True

    @property
    def kube_proxy_scrapable(self) -> bool:
        """Whether kube-proxy's metrics can be scraped (each cloud sets ``_kube_proxy_scrapable`` in its module)."""
        return self._kube_proxy_scrapable

    @property
    def cluster_dns(self) -> ClusterDns:
        """The cluster DNS server (each cloud sets ``_cluster_dns`` in its module; default CoreDNS)."""
        return self._cluster_dns

    def load_balancer_annotations(self, idle_timeout_seconds: int) -> Mapping[str, str]:
        """Default: none; each cloud names its load balancer's idle-timeout annotation in its module."""
        return {}

    @property
    def load_balancer_traffic_policy(self) -> TrafficPolicy | None:
        """Default: None (Kubernetes' ``Cluster``); a cloud whose load balancer re-hashes idle connections over
        its backends says otherwise in its module."""
        return None

    def _finish(
        self,
        *,
        cloud: CloudName,
        provider: k8s.Provider,
        pools: Mapping[str, GpuPoolInfo],
        endpoint: pulumi.Input[str],
        kubeconfig: pulumi.Output[str],
        oidc_issuer: pulumi.Input[str],
        control_plane_tier: str,
        needs_device_plugin: bool,
        needs_dcgm_exporter: bool,
        extra_taints: Sequence[Taint] = (),
        extra_outputs: Mapping[str, object] | None = None,
        cni_bin_dir: str | None = None,
        gpu_provisioner: str | None = None,
        streamed_registries: Sequence[str] = (),
    ) -> None:
        """Set the seam's values and register the outputs (the last call of a subclass's ``__init__``):
        :class:`~components.outputs.ClusterOutputs` (with ``gpuProvisioner`` when ``gpu_provisioner`` is given) and
        ``extra_outputs``, the cloud's own outputs, built by its module as the ``TypedDict`` its registry entry names
        (:attr:`components.clouds.Cloud.outputs`); a key of the generic contract there is a programming error."""
        spec = self._args.spec
        self._cloud = cloud
        self._provider = provider
        self._zones = spec.zones
        self._cni_bin_dir = cni_bin_dir
        self._gpu = GpuScheduling(
            pools=dict(pools),
            taints=(GPU_TAINT, *extra_taints),
            needs_device_plugin=needs_device_plugin,
            needs_dcgm_exporter=needs_dcgm_exporter,
            one_share_strategies=clouds.get(cloud).one_share_strategies,
            provisioner=gpu_provisioner,
            streamed_registries=tuple(streamed_registries),
        )
        self.endpoint = pulumi.Output.from_input(endpoint)
        self.kubeconfig = pulumi.Output.secret(kubeconfig)
        self.oidc_issuer = pulumi.Output.from_input(oidc_issuer)
        self.control_plane_tier = control_plane_tier
        self.system_instance_type = system_instance_type(cloud, spec)
        self.system_pool = {
            "instanceType": self.system_instance_type,
            "minNodes": spec.system_pool.min_nodes,
            "maxNodes": spec.system_pool.max_nodes,
        }
        self.gpu_pools = {
            p.name: {
                "accelerator": p.accelerator,
                "instanceType": p.instance_type,
                "gpusPerNode": p.gpus_per_node,
                "minNodes": p.min_nodes,
                "maxNodes": p.max_nodes,
                "spot": p.spot,
                "sharing": p.sharing,
                "maxClientsPerGpu": p.max_clients_per_gpu,
                "zones": list(p.zones),
                "cachedImages": list(p.cached_images),
                "diskSizeGib": p.disk_gib,
            }
            for p in pools.values()
        }
        outputs: ClusterOutputs = {
            "cloud": cloud,
            "region": self.region,
            "clusterName": self.cluster_name,
            "endpoint": self.endpoint,
            "kubeconfig": self.kubeconfig,
            "oidcIssuer": self.oidc_issuer,
            "controlPlaneTier": control_plane_tier,
            "systemInstanceType": self.system_instance_type,
            "systemPool": self.system_pool,
            "gpuPools": self.gpu_pools,
            "zones": spec.zones,
            "gpuStreamedRegistries": list(streamed_registries),
        }
        if gpu_provisioner is not None:
            outputs["gpuProvisioner"] = gpu_provisioner
        extras = dict(extra_outputs or {})
        generic = ClusterOutputs.__required_keys__ | ClusterOutputs.__optional_keys__
        if clash := sorted(generic & set(extras)):
            raise ValueError(f"{cloud}: the cloud's own outputs may not redefine the generic ones: {clash}")
        self.register_outputs({**outputs, **extras})

    def grant_storage_read(
        self, name: str, namespace: str, service_account: str, storage_uri: str, parent: pulumi.Resource
    ) -> StorageAccess:
        """Read-only access for ``namespace/service_account`` to ``storage_uri`` (see the subclasses)."""
        loc = storage_for(self._cloud, storage_uri)
        if loc is None:
            return StorageAccess()
        return self._grant(name, namespace, service_account, loc, parent)

    @abc.abstractmethod
    def _grant(
        self, name: str, namespace: str, service_account: str, loc: StorageLocation, parent: pulumi.Resource
    ) -> StorageAccess:
        """Create the cloud's identity resources for ``loc`` (each cloud's own way)."""


def object_store_ignored(store: str) -> dict[str, str]:
    """``platform.requestLogs`` keys that do nothing where the collector writes to ``store`` (an object store): the
    size of its volume, which only an existing cluster's collector keeps the records on
    (components/clusters/existing.py)."""
    return {
        "volumeSize": f"the records go to {store}, not to a volume (volumeSize sizes the collector's volume on an "
        "existing cluster); remove volumeSize"
    }
