"""A Kubernetes cluster that already exists, reached through a kubeconfig file and context."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from components.clusters.base import (
    CloudName,
    ClusterDns,
    DnsAccess,
    DnsZone,
    GpuScheduling,
    LogStore,
    LogStoreRequest,
    StorageAccess,
    TrafficPolicy,
)
from components.clusters.spec import ClusterSpec
from components.errors import SpecError
from components.naming import child_name, type_token
from components.outputs import ClusterOutputs, GpuPoolOutputs, SystemPoolOutputs
from components.storage import parse_storage_uri


class ExistingOutputs(TypedDict):
    """What an existing cluster registers besides `ClusterOutputs` (the registry entry's ``outputs``)."""

    kubeconfigPath: Annotated[Any, "The kubeconfig file the cluster is reached with."]


@dataclass(frozen=True)
class ExistingClusterArgs:
    """Arguments of :class:`ExistingCluster`.

    ``kubeconfig``: path to a kubeconfig file. Default: the ``KUBECONFIG`` environment variable, else
    ``~/.kube/config``, read by the provider at deploy time. ``context``: the kubeconfig context. Default: the
    file's current context. ``zones``: how many zones the nodes span. Default: 1. ``network_policy_enforced``:
    whether the cluster's network plugin enforces NetworkPolicy (True, False, or None: not known). Default: None.
    """

    kubeconfig: str | None = None
    context: str | None = None
    zones: int = 1
    network_policy_enforced: bool | None = None


REQUEST_LOG_IGNORED = {
    "retentionDays": "an existing cluster keeps the records on the collector's volume, where nothing deletes them (no "
    "lifecycle rule); remove retentionDays, and clear the volume yourself",
}
"""``platform.requestLogs`` keys that do nothing here (components/clusters ``request_log_key_problem``)."""


def request_log_bucket_problem(bucket: str) -> str | None:
    """What to do instead of writing request logs to the stack's own ``bucket`` (refused here)."""
    return (
        "an existing cluster has no cloud identity to write to a bucket; remove bucket (the records are kept on the "
        "collector's volume)"
    )


class ExistingCluster(pulumi.ComponentResource):
    """A cluster the platform team already runs (kind, k3d, an on-prem or a hand-made cloud cluster).

    It has no cloud identity to hand out: models on it read public buckets, PVCs, OCI images or Hugging Face.
    GPU pools are not managed here; the device plugin is installed by the platform when asked.

    Outputs (same keys as the managed clusters): ``cloud`` (``existing``), ``cluster_name`` (the context),
    ``kubeconfig`` (the kubeconfig path, as a secret), ``kubeconfig_path``, ``zones``; ``region``, ``endpoint``,
    ``oidc_issuer``, ``control_plane_tier`` and ``system_instance_type`` are None (not known for a cluster we did
    not build: the cost estimate prices nothing for it), ``system_pool`` and ``gpu_pools`` are empty.
    """

    kubeconfig_path: pulumi.Output[str]

    @classmethod
    def from_spec(cls, name: str, spec: ClusterSpec, opts: pulumi.ResourceOptions | None = None) -> ExistingCluster:
        """The cluster ``spec.existing`` describes (every setting at its default when it is not given)."""
        ex = spec.existing
        args = ExistingClusterArgs(
            kubeconfig=ex.kubeconfig if ex else None,
            context=ex.context if ex else None,
            zones=ex.zones if ex else 1,
            network_policy_enforced={"enforced": True, "not-enforced": False}.get(ex.network_policy) if ex else None,
        )
        return cls(name, args, opts)

    def __init__(self, name: str, args: ExistingClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("ExistingCluster"), name, None, opts)
        self._args = args
        path = args.kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
        self._provider: k8s.Provider = k8s.Provider(
            child_name(name, "k8s"),
            kubeconfig=pulumi.Output.secret(os.path.expanduser(path)) if args.kubeconfig else None,
            context=args.context,
            cluster_identifier=f"existing/{args.context or 'current-context'}",
            delete_unreachable=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._gpu = GpuScheduling()
        self.kubeconfig_path = pulumi.Output.from_input(path)
        self.region: str | None = None
        self.cluster_name = args.context or "current-context"
        self.endpoint: pulumi.Output[str] | None = None
        self.kubeconfig = pulumi.Output.secret(path)
        self.oidc_issuer: pulumi.Output[str] | None = None
        self.control_plane_tier: str | None = None
        self.system_instance_type: str | None = None
        self.system_pool: SystemPoolOutputs = {}
        self.gpu_pools: dict[str, GpuPoolOutputs] = {}
        outputs: ClusterOutputs = {
            "cloud": "existing",
            "region": None,
            "clusterName": self.cluster_name,
            "endpoint": None,
            "kubeconfig": self.kubeconfig,
            "oidcIssuer": None,
            "controlPlaneTier": None,
            "systemInstanceType": None,
            "systemPool": {},
            "gpuPools": {},
            "zones": args.zones,
        }
        extras: ExistingOutputs = {"kubeconfigPath": self.kubeconfig_path}
        self.register_outputs({**outputs, **extras})

    @property
    def cloud(self) -> CloudName:
        """Always ``existing``."""
        return "existing"

    @property
    def provider(self) -> k8s.Provider:
        """The Kubernetes provider for the kubeconfig/context."""
        return self._provider

    @property
    def gpu(self) -> GpuScheduling:
        """No managed GPU pools: GPU models on an existing cluster need nodes labelled by the team."""
        return self._gpu

    @property
    def system_node_selector(self) -> Mapping[str, str]:
        """No system-pool label is known on a cluster we did not build."""
        return {}

    @property
    def zones(self) -> int:
        """Zones as declared in the arguments."""
        return self._args.zones

    @property
    def cni_bin_dir(self) -> str | None:
        """None: the usual ``/opt/cni/bin`` (kind, k3d and most distributions)."""
        return None

    def grant_storage_read(
        self, name: str, namespace: str, service_account: str, storage_uri: str, parent: pulumi.Resource
    ) -> StorageAccess:
        """An existing cluster has no cloud identity to grant: only storage that needs none is accepted."""
        loc = parse_storage_uri(storage_uri)
        if loc.cloud is None:
            return StorageAccess()
        raise SpecError(
            "storageUri",
            storage_uri,
            "an existing cluster has no cloud identity to read private "
            f"{loc.scheme}:// storage; set publicStorage: true for a public bucket, or serve from pvc://, oci:// "
            "or hf://",
        )

    def request_log_store(
        self, name: str, namespace: str, service_account: str, request: LogStoreRequest, parent: pulumi.Resource
    ) -> LogStore:
        """No object store and no cloud identity: the collector keeps the records on its own volume (a
        PersistentVolumeClaim per replica of ``request.volume_size``), in a ``file`` sink, and nothing deletes
        them (``retention_days`` None). A ``bucket`` cannot be written from here."""
        if request.bucket is not None and (why := request_log_bucket_problem(request.bucket)):
            raise SpecError("platform.requestLogs.bucket", request.bucket, why)
        return LogStore(
            sink={"type": "file"},
            location=f"volume://{namespace}/{request.prefix}/",
            retention_days=None,
            volume_size=request.volume_size,
        )

    @property
    def network_policy_enforced(self) -> bool | None:
        """As the arguments say (``cluster.existing.networkPolicy``); None by default: a cluster we did not build
        may run a network plugin without NetworkPolicy support."""
        return self._args.network_policy_enforced

    @property
    def kube_proxy_scrapable(self) -> bool:
        """True: a cluster we did not build is assumed to expose kube-proxy's metrics (kube-prometheus-stack's
        default)."""
        return True

    @property
    def cluster_dns(self) -> ClusterDns:
        """CoreDNS, the DNS server kubeadm, kind and k3s install."""
        return "coredns"

    def load_balancer_annotations(self, idle_timeout_seconds: int) -> Mapping[str, str]:
        """None: the load balancer of a cluster we did not build is unknown."""
        return {}

    @property
    def load_balancer_traffic_policy(self) -> TrafficPolicy | None:
        """None: the load balancer of a cluster we did not build is unknown, so Kubernetes' default stays."""
        return None

    @property
    def control_plane_managed(self) -> bool:
        """False: on a cluster we did not build the control plane is assumed to run where Prometheus reaches it."""
        return False

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
        """An existing cluster has no cloud identity to grant: a DNS zone cannot be managed from here."""
        raise SpecError(
            "platform.dns",
            zone.name,
            "an existing cluster has no cloud identity to change DNS records; remove platform.dns and create the "
            "wildcard record by hand (docs/components/platform.md, DNS)",
        )
