"""The cluster seam: what every cluster offers the platform and the models, and nothing cloud-specific.

``KubernetesCluster`` is the only thing the rest of the package knows about a cluster. EKS, GKE, AKS and an
existing cluster implement it in their own modules; nothing outside ``components/clusters/`` branches on the cloud.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import pulumi
import pulumi_kubernetes as k8s

from components import clouds
from components.naming import (
    ACCELERATOR_LABEL,
    GPU_TAINT_EFFECT,
    GPU_TAINT_KEY,
    GPU_TAINT_VALUE,
    POOL_LABEL,
)

CloudName = str
"""The name of a cloud of the registry (:mod:`components.clouds`), ``existing`` for a cluster the package is given."""
ClusterDns = Literal["coredns", "kube-dns"]
TrafficPolicy = Literal["Cluster", "Local"]
"""A Service's ``externalTrafficPolicy`` (Kubernetes core/v1 ``ServiceExternalTrafficPolicy``)."""
"""The cluster DNS server the nodes' pods use: CoreDNS (EKS, AKS, most distributions) or kube-dns (GKE Standard's
default DNS provider)."""


@dataclass(frozen=True)
class Taint:
    """A node taint in Kubernetes spelling (effect ``NoSchedule``, ``PreferNoSchedule`` or ``NoExecute``)."""

    key: str
    value: str
    effect: str

    def toleration(self) -> dict[str, str]:
        """The pod toleration that matches this taint exactly."""
        return {"key": self.key, "operator": "Equal", "value": self.value, "effect": self.effect}

    def __str__(self) -> str:
        return f"{self.key}={self.value}:{self.effect}"


GPU_TAINT = Taint(GPU_TAINT_KEY, GPU_TAINT_VALUE, GPU_TAINT_EFFECT)
"""The taint on every GPU node, on every cloud."""

DEVICE_PLUGIN_CONFIG_LABEL = "nvidia.com/device-plugin.config"
"""Node label that selects, per node, which named configuration the NVIDIA device plugin serves (its README,
"Updating Per-Node Configuration With a Node Label"; unlabelled nodes get the chart's ``config.default``)."""
MPS_CAPABLE_LABEL = "nvidia.com/mps.capable"
"""The device plugin chart runs its MPS control daemon only on nodes with this label set to ``"true"``
(templates/daemonset-mps-control-daemon.yml ``nodeSelector``); GPU feature discovery would set it, but the platform
does not install GFD, so MPS pools carry it from the start."""
SHARED_STRATEGIES = ("time-slicing", "mps")
"""Sharing strategies the NVIDIA device plugin applies (MIG is partitioned by the cloud or the GPU operator)."""
ONE_SHARE_STRATEGIES = ("time-slicing", "mps")
"""The default of :attr:`GpuScheduling.one_share_strategies` (each cluster sets its cloud's,
:attr:`components.clouds.Cloud.one_share_strategies`). With the NVIDIA device plugin: strategies whose config refuses
a request for more than one share: time-slicing sets
``failRequestsGreaterThanOne`` (components/clusters/base.py), and for MPS NVIDIA/k8s-device-plugin v0.20.0 sets it
when the config leaves it out (api/config/v1/config.go: "Preserve the historical MPS behavior unless the config
explicitly relaxes it"), which base.py now also writes; internal/rm/rm.go ``ValidateRequest`` then fails the
allocation ("maximum request size for shared resources is 1") for both strategies."""
OS_DEVICE_PLUGIN_LABEL = "mlplatform.io/os-device-plugin"
"""Node label (``"true"``) of a GPU pool whose OS runs the NVIDIA device plugin: Bottlerocket's NVIDIA variants run
nvidia-k8s-device-plugin on the host (bottlerocket.dev/en/os/1.34.x/api/settings/kubelet-device-plugins; the device
plugin "is pre-baked into the AMI", cookpad/terraform-aws-eks#295), so the platform's DaemonSet must not run there
too (two plugins would register ``nvidia.com/gpu`` with one kubelet)."""


@dataclass(frozen=True)
class GpuPoolInfo:
    """What a GPU pool offers to workloads, after the catalog resolved it.

    ``sharing``: ``none``, ``time-slicing``, ``mps`` or ``mig``. ``max_clients_per_gpu``: pods per GPU for
    time-slicing/MPS (1 otherwise). ``mig_profile``: the MIG partition (``1g.10gb``) when ``sharing`` is ``mig``.
    Where :attr:`GpuScheduling.needs_device_plugin` is true, the platform's device plugin applies the sharing.
    """

    name: str
    accelerator: str
    gpus_per_node: int
    instance_type: str
    min_nodes: int
    max_nodes: int
    spot: bool
    sharing: str = "none"
    max_clients_per_gpu: int = 1
    mig_profile: str | None = None
    zones: tuple[str, ...] = ()
    """The zones of the cluster's region where the pool's machine is offered, where the catalog lists zones (gcp);
    empty: the cloud chooses among the cluster's zones."""
    image_cache: str | None = None
    """What the pool's image cache is made from (``imageCache.source``: a GKE disk image), None: no cache."""
    cached_images: tuple[str, ...] = ()
    """The images the pool's new nodes have preloaded (``imageCache.images``); read by the cold-start estimate."""
    disk_gib: int = 200
    """Each node's disk in GiB (``diskSizeGib``; the spec's default, 200, unless given). Read by the cold-start estimate
    (the disk's read rate)."""
    os_device_plugin: bool = False
    """The nodes' OS runs the NVIDIA device plugin itself (EKS Bottlerocket NVIDIA variant), so the platform's device
    plugin stays off them (:data:`OS_DEVICE_PLUGIN_LABEL`)."""

    @property
    def device_plugin_config_name(self) -> str | None:
        """The device plugin configuration this pool's nodes select (``time-slicing-4``, ``mps-2``), or None when
        the pool does not share GPUs through the device plugin. Pools that share the same way share a config."""
        if self.sharing not in SHARED_STRATEGIES:
            return None
        return f"{self.sharing}-{self.max_clients_per_gpu}"

    def device_plugin_config(self) -> dict[str, Any] | None:
        """The device plugin configuration (``version: v1``) that applies this pool's sharing, or None.

        Time-slicing and MPS advertise ``max_clients_per_gpu`` replicas of each ``nvidia.com/gpu`` (the resource
        name kept, so models request ``nvidia.com/gpu: 1`` as on any GPU). Both set ``failRequestsGreaterThanOne``:
        the plugin's README recommends it for time-slicing (two replicas of one shared GPU are not twice the
        compute), and for MPS NVIDIA/k8s-device-plugin v0.20.0 sets it itself when it is left out
        (api/config/v1/config.go), so writing it keeps the config saying what the plugin does.
        """
        if self.sharing not in SHARED_STRATEGIES:
            return None
        resources: dict[str, Any] = {"resources": [{"name": "nvidia.com/gpu", "replicas": self.max_clients_per_gpu}]}
        key = "timeSlicing" if self.sharing == "time-slicing" else "mps"
        return {"version": "v1", "sharing": {key: {"failRequestsGreaterThanOne": True, **resources}}}


@dataclass(frozen=True)
class GpuScheduling:
    """How to get a pod onto a GPU node of this cluster, and what the platform must install for GPUs.

    ``needs_device_plugin``: the cluster does not advertise ``nvidia.com/gpu`` by itself, so the platform installs
    the NVIDIA device plugin (EKS, AKS with the driver installed on the pool). ``needs_dcgm_exporter``: the cloud
    does not run a managed DCGM exporter.
    """

    pools: Mapping[str, GpuPoolInfo] = field(default_factory=dict)
    taints: tuple[Taint, ...] = (GPU_TAINT,)
    accelerator_label: str = ACCELERATOR_LABEL
    pool_label: str = POOL_LABEL
    needs_device_plugin: bool = True
    needs_dcgm_exporter: bool = True
    driver_root: str | None = None
    """Host folder that holds the NVIDIA driver's libraries (``lib64/``) and tools, where the node's container
    runtime does not inject them into pods that do not request a GPU (GKE's Container-Optimized OS:
    ``/home/kubernetes/bin/nvidia``, NVIDIA/dcgm-exporter#59 and #484). None: the runtime provides them."""
    provisioner: str | None = None
    """Who starts GPU nodes (``karpenter``, ``node-groups``), where the cluster offers a choice; None: the cloud's
    only way (components/coldstart.yaml ``defaultProvisioner``). Read by the cold-start estimate."""
    streamed_registries: tuple[str, ...] = ()
    """Registry hosts (``fnmatch`` patterns) whose images the GPU pools stream instead of pulling whole (GKE image
    streaming); empty: every image is pulled whole. Read by the cold-start estimate (components/coldstart.py)."""
    one_share_strategies: tuple[str, ...] = ONE_SHARE_STRATEGIES
    """Sharing strategies whose pools serve a pod at most one GPU share on this cluster (the cloud's
    :attr:`components.clouds.Cloud.one_share_strategies`, set by ``_finish``): a pod asking more than one GPU
    must not land on such a pool (:meth:`one_share_pools`)."""
    critical_priority_needs_quota: bool = False
    """The cluster admits pods with the ``system-node-critical`` priority outside ``kube-system`` only in namespaces
    with a ResourceQuota whose scope selects that PriorityClass (GKE; Kubernetes docs, "Resource Quotas: Limit
    Priority Class consumption by default"). A DaemonSet with that priority must then bring the quota."""

    def tolerations(self) -> list[dict[str, str]]:
        """Tolerations for every taint a GPU node carries."""
        return [t.toleration() for t in self.taints]

    def node_selector(self, accelerator: str) -> dict[str, str]:
        """The node selector that lands a pod on nodes with ``accelerator``."""
        return {self.accelerator_label: accelerator}

    def node_labels(self, pool: GpuPoolInfo) -> dict[str, str]:
        """The labels every node of ``pool`` carries: accelerator and pool, plus
        :data:`DEVICE_PLUGIN_CONFIG_LABEL` when the platform's device plugin applies the pool's sharing (and
        :data:`MPS_CAPABLE_LABEL` for MPS, so the chart's MPS control daemon runs there)."""
        labels = {self.accelerator_label: pool.accelerator, self.pool_label: pool.name}
        if pool.os_device_plugin:
            return {**labels, OS_DEVICE_PLUGIN_LABEL: "true"}
        config = pool.device_plugin_config_name
        if self.needs_device_plugin and config is not None:
            labels[DEVICE_PLUGIN_CONFIG_LABEL] = config
            if pool.sharing == "mps":
                labels[MPS_CAPABLE_LABEL] = "true"
        return labels

    def device_plugin_configs(self) -> dict[str, dict[str, Any]]:
        """The device plugin configurations the pools' nodes select, by name (empty when nothing shares GPUs
        through the device plugin, or the cluster needs no device plugin: GKE shares GPUs itself)."""
        if not self.needs_device_plugin:
            return {}
        out: dict[str, dict[str, Any]] = {}
        for pool in self.pools.values():
            name, config = pool.device_plugin_config_name, pool.device_plugin_config()
            if name is not None and config is not None:
                out[name] = config
        return out

    def pools_offering(self, accelerator: str) -> list[GpuPoolInfo]:
        """The pools whose nodes carry ``accelerator``."""
        return [p for p in self.pools.values() if p.accelerator == accelerator]

    def one_share_pools(self, accelerator: str) -> list[GpuPoolInfo]:
        """The pools of ``accelerator`` whose device plugin serves a pod one GPU share at most
        (:attr:`one_share_strategies`): a pod asking more fails there at admission (UnexpectedAdmissionError)."""
        return [p for p in self.pools_offering(accelerator) if p.sharing in self.one_share_strategies]

    def multi_gpu_affinity(self, accelerator: str | None, gpus: int) -> dict[str, Any] | None:
        """The required node affinity that keeps a pod asking ``gpus`` > 1 of ``accelerator`` off the pools that
        serve one share per request (:meth:`one_share_pools`, by :attr:`pool_label`, which every node of a pool
        carries: :meth:`node_labels`); None when it asks one GPU (or none), or no such pool offers the accelerator. The
        scheduler would otherwise place it on a time-sliced/MPS node, which advertises GPUs x clients of
        ``nvidia.com/gpu``, and the device plugin would fail the allocation there (NVIDIA/k8s-device-plugin v0.20.0
        internal/rm/rm.go ``ValidateRequest``; GoogleCloudPlatform/container-engine-accelerators@992db81
        pkg/gpu/nvidia/gpusharing/gpusharing.go ``ValidateRequest``)."""
        if accelerator is None:
            return None
        names = sorted(p.name for p in self.one_share_pools(accelerator)) if gpus > 1 else []
        if not names:
            return None
        term = {"matchExpressions": [{"key": self.pool_label, "operator": "NotIn", "values": names}]}
        return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}


@dataclass(frozen=True)
class StorageAccess:
    """What a model's ServiceAccount and pods need to read their storage through the cloud's workload identity.

    ``identity`` is the cloud identity (IAM role ARN, Google service account email, Azure client id), or ``None``
    when no identity is needed (public buckets, PVCs, OCI images, Hugging Face). ``resources``: the cloud resources
    that make the grant (role and its policy, service account and its IAM members, identity with its federated
    credential and role assignment); pods that read the storage depend on them, so the first download does not
    race the grant.
    """

    service_account_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    service_account_labels: Mapping[str, str] = field(default_factory=dict)
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    identity: pulumi.Output[str] | None = None
    resources: Sequence[pulumi.Resource] = ()


@dataclass(frozen=True)
class DnsZone:
    """A public DNS zone that the platform writes records in (``mlplatform:platform.dns``), cloud-neutral.

    ``name``: the zone's DNS name (the platform's domain or a parent of it). ``id``: how the cloud names the zone
    (its registry entry's ``dns_settings`` and cluster module say how). ``settings``: the stack's cloud's own keys of
    ``platform.dns`` (:attr:`components.clouds.Cloud.dns_settings`, camelCase as in the stack file), which only that
    cloud's module reads.
    """

    name: str
    id: str | None = None
    settings: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DnsAccess(StorageAccess):
    """What a ServiceAccount needs to write records in one DNS zone through the cloud's workload identity.

    Besides :class:`StorageAccess`'s ServiceAccount annotations/labels, pod labels, identity and resources:
    ``acme_dns01``: the cert-manager ``dns01`` solver for the zone that uses this identity (ambient credentials,
    no secret), keyed by the cloud's solver field (:attr:`components.clouds.Cloud.dns01_solver`, read with
    :func:`components.clouds.dns01_solver`); ``external_dns``: the external-dns chart values (``provider`` and what
    it needs) for the zone.
    """

    acme_dns01: Mapping[str, Any] = field(default_factory=dict)
    external_dns: Mapping[str, Any] = field(default_factory=dict)
    external_dns_files: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Files external-dns's provider reads from ``/etc/kubernetes`` (Azure: ``azure.json``); the platform puts
    them in a Secret mounted there."""


@dataclass(frozen=True)
class LogStoreRequest:
    """Where the platform's request-log collector should write (``platform.requestLogs``), cloud-neutral.

    ``bucket``: an existing bucket (Azure: a blob container) to write into, or None for one the cluster creates with
    a lifecycle rule deleting records after ``retention_days``. ``prefix``: the only folder the collector may write.
    ``volume_size``: each replica's volume where the cluster has no object store (an existing cluster).
    """

    prefix: str
    retention_days: int
    bucket: str | None = None
    volume_size: str = "10Gi"


@dataclass(frozen=True)
class LogStore(StorageAccess):
    """What the collector's ServiceAccount and pods need to write request logs, and where they go.

    Besides :class:`StorageAccess`'s ServiceAccount annotations/labels, pod labels, identity and the resources that
    make the grant (and the bucket): ``sink``, the Vector sink that writes objects (its ``type`` and the options of
    the cloud's store, authenticating through the workload identity; the platform adds ``inputs``, keys, encoding);
    ``location``, where the records land (``s3://bucket/prefix``); ``retention_days``, how long they are kept, None
    where nothing deletes them (a volume); ``volume_size``, the size of each replica's volume when the records are
    kept on one (the sink is then a ``file`` sink under the collector's data directory).
    """

    sink: Mapping[str, pulumi.Input[Any]] = field(default_factory=dict)
    location: pulumi.Input[str] = ""
    retention_days: int | None = None
    volume_size: str | None = None
    key_option: str = "key_prefix"
    """The sink option that names each object's folder (``key_prefix`` for S3 and GCS, ``blob_prefix`` for Azure
    Blob: vectordotdev/vector v0.56.0 website/cue/reference/components/sinks/generated/*.cue)."""


@runtime_checkable
class KubernetesCluster(Protocol):
    """The seam between a cloud and everything that runs on Kubernetes.

    Implementations: ``EksCluster``, ``GkeCluster``, ``AksCluster``, ``ExistingCluster``.
    """

    @property
    def cloud(self) -> CloudName:
        """Which cloud this cluster runs on (``existing`` for a cluster we did not create)."""
        ...

    @property
    def provider(self) -> k8s.Provider:
        """The Kubernetes provider for this cluster (kubeconfig held as a secret, ``cluster_identifier`` set)."""
        ...

    @property
    def gpu(self) -> GpuScheduling:
        """GPU scheduling facts: pools, taints, labels, and what the platform must install for GPUs."""
        ...

    @property
    def system_node_selector(self) -> Mapping[str, str]:
        """Node selector that keeps add-ons on the system pool (empty when the cluster has no such label)."""
        ...

    @property
    def zones(self) -> int:
        """How many zones the worker nodes span (for topology spread and HA decisions)."""
        ...

    @property
    def cni_bin_dir(self) -> str | None:
        """Where the nodes keep CNI plugin binaries, when not the usual ``/opt/cni/bin`` (GKE:
        ``/home/kubernetes/bin``); None for the default. Istio CNI installs its plugin there."""
        ...

    @property
    def control_plane_managed(self) -> bool:
        """The cloud runs the control plane (EKS, GKE, AKS): its scheduler, controller manager and etcd are not
        reachable from the cluster, so nothing scrapes them (their "Down" alerts would never clear)."""
        ...

    @property
    def kube_proxy_scrapable(self) -> bool:
        """Prometheus can scrape kube-proxy's metrics on every node (``:10249`` reachable from the pod network).
        False where no kube-proxy runs (an eBPF dataplane serves Services) or it binds its metrics to
        ``127.0.0.1``: its scrape, and its "Down" alert, would never succeed."""
        ...

    @property
    def cluster_dns(self) -> ClusterDns:
        """Which cluster DNS server runs (:data:`ClusterDns`), so its metrics are scraped from the right ports."""
        ...

    @property
    def network_policy_enforced(self) -> bool | None:
        """Whether Kubernetes NetworkPolicy is enforced on this cluster's pods: True where the cluster's network
        plugin enforces it (EKS with the VPC CNI's network policy agent, GKE Dataplane V2, AKS with Cilium), False
        where it does not, None where it is not known (an existing cluster that does not say). Each model's
        NetworkPolicy is rendered either way; where this is not True the plan says that the metrics ports stay
        open."""
        ...

    def load_balancer_annotations(self, idle_timeout_seconds: int) -> Mapping[str, str]:
        """Annotations for a ``LoadBalancer`` Service that keep an idle connection open for ``idle_timeout_seconds``
        on the load balancer the cloud creates for it, capped at what the cloud allows; empty where the cloud's
        load balancer has no such setting (or no load balancer is created)."""
        ...

    @property
    def load_balancer_traffic_policy(self) -> TrafficPolicy | None:
        """The ``externalTrafficPolicy`` a ``LoadBalancer`` Service needs on this cloud so that a request waiting,
        with no packet, for a model's cold start keeps its backend while the cold start adds a node; None: leave
        Kubernetes' default (``Cluster``)."""
        ...

    def grant_storage_read(
        self, name: str, namespace: str, service_account: str, storage_uri: str, parent: pulumi.Resource
    ) -> StorageAccess:
        """Give the ServiceAccount ``namespace/service_account`` read-only access to ``storage_uri``.

        Creates the cloud identity resources (children of ``parent``, named ``f"{name}-..."``) and returns the
        ServiceAccount annotations/labels and pod labels to use. Raises ``SpecError`` for storage on another cloud.
        """
        ...

    def request_log_store(
        self, name: str, namespace: str, service_account: str, request: LogStoreRequest, parent: pulumi.Resource
    ) -> LogStore:
        """Where the request-log collector (ServiceAccount ``namespace/service_account``) writes, and its grant.

        Creates (children of ``parent``, named ``f"{name}-..."``) the bucket with its retention rule unless
        ``request.bucket`` names one, and a cloud identity that may only create objects under ``request.prefix``:
        an IRSA role with ``s3:PutObject`` on ``<bucket>/<prefix>/*`` (EKS), a Google service account with
        ``roles/storage.objectCreator`` conditioned on the prefix (GKE), a user-assigned identity with a write-only
        role on the container (AKS). An existing cluster keeps the records on a volume. Raises ``SpecError`` when
        the cluster cannot keep them.
        """
        ...

    def grant_dns_admin(
        self,
        name: str,
        namespace: str,
        service_account: str,
        zone: DnsZone,
        parent: pulumi.Resource,
        record_types: Sequence[str] = (),
        list_zones: bool = True,
    ) -> DnsAccess:
        """Let the ServiceAccount ``namespace/service_account`` change records in ``zone``, and nothing else.

        ``record_types``: the only record types it may change (cert-manager: ``("TXT",)``), where the cloud's IAM
        can say so (Route 53's ``route53:ChangeResourceRecordSetsRecordTypes`` condition); empty: any type.
        ``list_zones``: the identity may also list the zones (external-dns finds its zone by listing); False for a
        caller given the zone's id (cert-manager's solver names the zone), which then gets no read beyond the zone.

        Creates the cloud identity (children of ``parent``, named ``f"{name}-..."``) scoped to the zone: an IRSA
        role (EKS), a Google service account with Workload Identity and DNS admin on the managed zone (GKE), a
        user-assigned identity with a federated credential and DNS Zone Contributor on the zone (AKS). Raises
        ``SpecError`` when the zone lacks what the cloud needs to find it, or the cluster has no cloud identity.
        """
        ...


def one_share_why(accelerator: str, pools: list[str], cloud: str | None = None) -> str:
    """What to give instead of more than one GPU when every ``accelerator`` pool (``pools``) serves one share per
    request, naming what refuses more on ``cloud`` (:attr:`components.clouds.Cloud.one_share_refusal`; the NVIDIA
    device plugin's words when the cloud says nothing)."""
    entry = clouds.find(cloud) if cloud is not None else None
    refusal = (entry.one_share_refusal if entry is not None else "") or (
        "the NVIDIA device plugin refuses a request for more than one share (failRequestsGreaterThanOne)"
    )
    return f"give 1: the {accelerator} pools ({', '.join(pools)}) share their GPUs (time-slicing or MPS), and {refusal}"
