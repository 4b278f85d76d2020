"""GKE: a regional, private, Dataplane V2 cluster with Cloud KMS secrets encryption and GPU node pools from zero."""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Annotated, Any, TypedDict

import pulumi
import pulumi_gcp as gcp

from components import catalog, clouds
from components.clusters._common import (
    SYSTEM_NODE_SELECTOR,
    ManagedCluster,
    ManagedClusterArgs,
    cluster_provider,
    exec_kubeconfig,
    gpu_node_labels,
    object_store_ignored,
    short_name,
    system_instance_type,
)
from components.clusters.base import (
    GPU_TAINT,
    DnsAccess,
    DnsZone,
    GpuPoolInfo,
    GpuScheduling,
    LogStore,
    LogStoreRequest,
    StorageAccess,
    TrafficPolicy,
)
from components.clusters.reachability import UNKNOWN, WEBHOOKS, Rendered, ports, same_value
from components.clusters.spec import CLUSTER_TAG, ApiEndpoint, ClusterSpec, api_endpoint
from components.errors import SpecError, show
from components.naming import child_name, child_opts, merge_tags, replacement_suffix
from components.storage import StorageLocation

REQUEST_LOG_IGNORED = object_store_ignored("a GCS bucket")
"""``platform.requestLogs`` keys that do nothing on this cloud (components/clusters ``request_log_key_problem``)."""


CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
NODE_METADATA = {"disable-legacy-endpoints": "true"}
SHIELDED_NODES = {"enable_secure_boot": True, "enable_integrity_monitoring": True}
POOL_SUFFIX_LENGTH = 6
"""Hex digits of :func:`pool_name`'s suffix (a GKE node pool name has at most 40 characters)."""


def pool_name(base: str, forcing: Mapping[str, Any]) -> str:
    """The physical name of a node pool: ``<base>-<6 hex digits>`` that change with every input that replaces it.

    A node pool's ``name`` is auto-named by pulumi-gcp (provider/resources.go ``prov.SetAutonaming(255, "-")``), so a
    pool with a name given by the program is deleted BEFORE its replacement is created (pulumi-terraform-bridge
    pkg/tfbridge/schema.go ``nameRequiresDeleteBeforeReplace``; pulumi/pulumi-terraform#465). The pools therefore set
    ``delete_before_replace=False``, which the engine obeys over the provider (pulumi/pulumi
    pkg/resource/deploy/step_generator.go: "The user can override the provider's decision"), and take a name that
    changes whenever a replacement is forced, so the new pool does not clash with the old one.

    ``forcing``: the pool's inputs that are ``ForceNew`` in the Google provider (hashicorp/terraform-provider-google
    google/services/container/resource_container_node_pool.go and node_config.go): ``guest_accelerator`` (type,
    count, driver, sharing, partition), ``spot``, ``service_account``, ``oauth_scopes``, ``metadata``,
    ``shielded_instance_config``. ``machine_type``, ``disk_size_gb``, ``disk_type``, labels, taints, autoscaling and
    ``node_locations`` are updated in place and stay out of it, so changing them keeps the pool.
    """
    return f"{base}-{replacement_suffix(forcing, POOL_SUFFIX_LENGTH)}"


IMAGE_CACHE_MODE = "CONTAINER_IMAGE_CACHE"
"""SecondaryBootDisk mode "for using the secondary boot disk as a container image cache" (GKE API,
google.container.v1.SecondaryBootDisk.Mode; pulumi-gcp ``NodePoolNodeConfigSecondaryBootDiskArgs.mode``)."""


def secondary_boot_disks(pool: GpuPoolInfo) -> list[gcp.container.NodePoolNodeConfigSecondaryBootDiskArgs] | None:
    """The pool's image cache as a secondary boot disk in container-image-cache mode, or None without one.

    Google's requirements (cloud.google.com/kubernetes-engine/docs/how-to/data-container-image-preloading,
    "Requirements") and where they are met: COS with containerd (every pool's ``image_type``), image streaming on
    (``gcfs_config``, every GPU pool; pulumi-gcp: "``gcfs_config`` must be ``enabled=true`` for this feature to
    work"), GKE 1.28.3-gke.1067000 or later (we pin 1.34). The disk is created per node from the disk image, "in
    parallel with the node provisioning process", so the node's start does not grow. What the disk image holds is
    the stack's statement (``imageCache.images``): the plan cannot read a disk image.
    """
    if pool.image_cache is None:
        return None
    return [gcp.container.NodePoolNodeConfigSecondaryBootDiskArgs(disk_image=pool.image_cache, mode=IMAGE_CACHE_MODE)]


NODE_ROLES = (
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/autoscaling.metricsWriter",
    "roles/artifactregistry.reader",
    "roles/serviceusage.serviceUsageConsumer",
)
"""The node service account's roles: Google's minimal set for GKE nodes, plus pulling from Artifact Registry, plus
Service Usage Consumer, which image streaming needs on nodes that do not run as the default service account
(cloud.google.com/kubernetes-engine/docs/how-to/image-streaming, "Requirements": the custom service account needs
``roles/serviceusage.serviceUsageConsumer`` in the project that hosts the images)."""

STREAMED_REGISTRIES = ("docker.io", "*-docker.pkg.dev")
"""Registries whose images GKE image streaming streams: "standard or remote repositories in Artifact Registry, or a
public registry on Docker Hub" (cloud.google.com/kubernetes-engine/docs/how-to/image-streaming, "Requirements").
Artifact Registry's Docker hosts are ``LOCATION-docker.pkg.dev`` (cloud.google.com/artifact-registry/docs/
integrate-gke, "Running an image"). Of the runtimes we install (kserve-runtime-configs v0.20.0,
/work/shared/upstream/reference/kserve-v0.20.0-clusterservingruntimes.yaml) every image is on Docker Hub except
Triton's (``nvcr.io``), which is pulled whole. Only public Docker Hub images stream; the shipped ones are public."""
LOG_COMPONENTS = ("SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER", "WORKLOADS")
KEY_ROTATION = "7776000s"
"""Cloud KMS rotation period of the secrets key: 90 days."""
GPU_DRIVER_VERSION = "LATEST"
SHARING_STRATEGY = {"time-slicing": "TIME_SHARING", "mps": "MPS"}
GSA_ANNOTATION = "iam.gke.io/gcp-service-account"
CNI_BIN_DIR = "/home/kubernetes/bin"
NVIDIA_DRIVER_ROOT = "/home/kubernetes/bin/nvidia"
"""Where GKE's driver installer puts the NVIDIA libraries (lib64/) and tools on COS nodes (NVIDIA/dcgm-exporter#59:
mounted at /usr/local/nvidia in the pod)."""
"""Where GKE nodes keep CNI binaries (COS mounts /opt read-only); Istio's GKE platform notes set the istio-cni
chart's ``cniBinDir`` to it."""
AUTOMATIC_WEBHOOK_PORTS = frozenset({443, 10250})
"""What GKE's automatic rule opens from the control plane to a private cluster's nodes (:func:`webhook_reach`)."""
WEBHOOK_PORTS: Mapping[str, int] = {w.name: w.port for w in WEBHOOKS if w.port not in AUTOMATIC_WEBHOOK_PORTS}
"""Admission webhook ports the GKE control plane must reach on the nodes and GKE's automatic rule (tcp 443, 10250)
does not open: every webhook of the platform (``reachability.WEBHOOKS``, each cited there) but cert-manager's and
the Prometheus operator's, which their pinned charts put on 10250 (https://cloud.google.com/kubernetes-engine/docs/
how-to/private-clusters#add_firewall_rules). ``reachability.webhook_problems`` checks the rendered rule."""


NON_ADC_KEYS = ("gcp:credentials", "gcp:accessToken", "gcp:impersonateServiceAccount")
"""Google provider settings (pulumi-gcp config/vars.py) that make it authenticate as something other than Application
Default Credentials. gke-gcloud-auth-plugin with --use_application_default_credentials takes its token from
golang.org/x/oauth2/google's default token source (kubernetes/cloud-provider-gcp cmd/gke-gcloud-auth-plugin/cred/
cred.go, defaultAccessToken), which reads GOOGLE_APPLICATION_CREDENTIALS, gcloud's well-known ADC file, then the
metadata server (golang/oauth2 google/default.go, FindDefaultCredentialsWithParams): none of these settings."""


def provider_config_problem(raw: Mapping[str, Any], spec: ClusterSpec) -> str | None:
    """The Google provider's own settings in the stack file (``components.clusters.provider_config_problem`` calls
    it): no credentials other than Application Default Credentials, and ``gcp:project`` (when given) is
    ``cluster.gcp.project``. The line starts at the key; None when all agree."""
    for key in NON_ADC_KEYS:
        if key in raw:  # the value is not shown: it may be a credential
            return (
                f"{key}: a value is not allowed; remove it and give the Google provider Application "
                "Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login, or "
                "the metadata server): the cluster's kubeconfig runs gke-gcloud-auth-plugin "
                "--use_application_default_credentials, which reads ADC only, so Kubernetes calls would run as "
                "another identity (docs/deploying.md)"
            )
    project = spec.gcp.project if spec.gcp is not None else None
    if project is not None and "gcp:project" in raw and str(raw["gcp:project"]) != project:
        return (
            f"gcp:project: {show(raw['gcp:project'])} is not allowed; give {project} "
            "(mlplatform:cluster.gcp.project), or remove gcp:project"
        )
    return None


def generation_suffix(generation: int) -> str:
    """``""`` for key generation 1 (the names stacks had before ``keyGeneration`` existed, so an existing cluster's
    key ring and key are not replaced), ``-g<n>`` for later generations."""
    return "" if generation == 1 else f"-g{generation}"


def gsa_account_id(base: str, salt: str = "") -> str:
    """A Google service account id (6-30 of ``[a-z0-9-]``, starting with a letter) derived from ``base``."""
    clean = re.sub(r"[^a-z0-9-]", "-", base.lower()).strip("-")
    if not clean or not clean[0].isalpha():
        clean = f"m-{clean}".rstrip("-")
    clean = clean.ljust(6, "0")
    return short_name(clean, 30, salt=salt) if (len(clean) > 30 or salt) else clean


def guest_accelerator(pool: GpuPoolInfo, gpu_type: str) -> dict[str, Any]:
    """The ``guest_accelerators`` entry of a GPU pool: explicit driver installation and sharing settings."""
    accel: dict[str, Any] = {
        "type": gpu_type,
        "count": pool.gpus_per_node,
        "gpu_driver_installation_config": {"gpu_driver_version": GPU_DRIVER_VERSION},
    }
    if pool.sharing in SHARING_STRATEGY:
        accel["gpu_sharing_config"] = {
            "gpu_sharing_strategy": SHARING_STRATEGY[pool.sharing],
            "max_shared_clients_per_gpu": pool.max_clients_per_gpu,
        }
    if pool.sharing == "mig":
        accel["gpu_partition_size"] = pool.mig_profile
    return accel


AUTH_PLUGIN_ARGS = ("--use_application_default_credentials",)
"""gke-gcloud-auth-plugin takes its token from ``gcloud config config-helper`` (gcloud's own login) unless given
``--use_application_default_credentials``, which makes it use Application Default Credentials
(kubernetes/cloud-provider-gcp cmd/gke-gcloud-auth-plugin/cred/cred.go, ``accessToken``; gcloud writes the same flag
when ``container/use_application_default_credentials`` is set, googlecloudsdk/api_lib/container/kubeconfig.py). The
Google provider of the same ``pulumi up`` uses ADC, so the Kubernetes calls use that identity too, and a CI runner
with ADC only (no gcloud login) can deploy."""


def kubeconfig_for(cluster_name: str, endpoint: str, ca_data: str) -> str:
    """A kubeconfig that authenticates with ``gke-gcloud-auth-plugin`` on Application Default Credentials."""
    return exec_kubeconfig(
        cluster_name,
        f"https://{endpoint}",
        ca_data,
        "gke-gcloud-auth-plugin",
        list(AUTH_PLUGIN_ARGS),
        install_hint="Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
    )


class GkeOutputs(TypedDict):
    """What a GKE cluster registers besides `ClusterOutputs` (the registry entry's ``outputs``)."""

    project: Annotated[str, "The cloud project the cluster lives in."]
    workloadPool: Annotated[Any, "The workload identity pool (`<project>.svc.id.goog`)."]


class GkeCluster(ManagedCluster):
    """A GKE Standard cluster as Google's hardening guide describes it.

    - Own VPC and subnet (VPC-native, Private Google Access, flow logs), Cloud Router + NAT for egress.
    - Regional control plane on ``spec.kubernetesVersion`` in a release channel, private nodes, private endpoint
      unless ``spec.apiAccess.publicCidrs`` (then master authorized networks), Dataplane V2 (network policy), Shielded
      nodes, Workload Identity, secrets encrypted with a rotating Cloud KMS key, API server/scheduler/controller logs.
    - A least-privilege node service account; every pool with auto-repair, auto-upgrade, COS, ``GKE_METADATA``.
    - System pool labelled ``mlplatform.io/pool=system``; GPU pools with explicit driver installation, taint, labels,
      spot, time-sharing/MPS/MIG, autoscaling from ``minNodes`` (0 allowed), in the zones of the region that offer the
      pool's machine (catalog data), so a GPU missing from the cluster's default zones still gets nodes; GPU pools
      stream eligible images (image streaming, :data:`STREAMED_REGISTRIES`).
    """

    _kube_proxy_scrapable = False
    """GKE Dataplane V2 (``datapath_provider="ADVANCED_DATAPATH"``, set below) serves Services with Cilium's eBPF
    programs and runs no kube-proxy DaemonSet. No first-party page saying so was found; secondary sources:
    oneuptime.com "GKE Dataplane V2 ... Cilium eBPF" (2026-02-09: "It replaces kube-proxy entirely"),
    techleague.io "GKE Dataplane V2" ("the traditional kube-proxy daemonset is gone")."""
    _cluster_dns = "kube-dns"
    """GKE Standard's default DNS provider is kube-dns (docs.cloud.google.com/kubernetes-engine/docs/concepts/
    service-discovery: "kube-dns is the default DNS provider for Standard clusters"); no ``dns_config`` is set here."""

    def __init__(self, name: str, args: ManagedClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("GkeCluster", name, args, opts)
        spec = args.spec
        assert spec.gcp is not None, "cluster.gcp.project is required on gcp (checked by the stack config)"
        gcp_spec = spec.gcp
        project, region, cluster_name = gcp_spec.project, args.region, args.cluster_name
        self.project = project
        pools = self._resolve_pools("gcp")
        self._labels = gcp_labels(merge_tags(args.tags, {CLUSTER_TAG["gcp"]: cluster_name}))
        labels = self._labels
        protect = args.protect

        ring = gcp.kms.KeyRing(
            child_name(name, "keyring"),
            name=f"{cluster_name}-keyring{generation_suffix(spec.key_generation)}",
            location=region,
            project=project,
            opts=child_opts(self, protect=protect),
        )
        self.secrets_key = gcp.kms.CryptoKey(
            child_name(name, "secrets-key"),
            name=f"{cluster_name}-secrets{generation_suffix(spec.key_generation)}",
            key_ring=ring.id,
            purpose="ENCRYPT_DECRYPT",
            rotation_period=KEY_ROTATION,
            labels=labels,
            opts=child_opts(self, protect=protect),
        )
        number = gcp.organizations.get_project_output(project_id=project).number
        key_user = gcp.kms.CryptoKeyIAMMember(
            child_name(name, "secrets-key-gke"),
            crypto_key_id=self.secrets_key.id,
            role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
            member=number.apply(lambda n: f"serviceAccount:service-{n}@container-engine-robot.iam.gserviceaccount.com"),
            opts=child_opts(self),
        )

        network = gcp.compute.Network(
            child_name(name, "network"),
            name=cluster_name,
            project=project,
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            opts=child_opts(self),
        )
        subnet = gcp.compute.Subnetwork(
            child_name(name, "subnet"),
            name=f"{cluster_name}-nodes",
            project=project,
            region=region,
            network=network.id,
            ip_cidr_range=gcp_spec.network_cidr,
            private_ip_google_access=True,
            secondary_ip_ranges=[
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name="pods", ip_cidr_range=gcp_spec.pods_cidr),
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name="services", ip_cidr_range=gcp_spec.services_cidr),
            ],
            log_config=gcp.compute.SubnetworkLogConfigArgs(
                aggregation_interval="INTERVAL_5_SEC", flow_sampling=0.5, metadata="INCLUDE_ALL_METADATA"
            ),
            opts=child_opts(self),
        )
        router = gcp.compute.Router(
            child_name(name, "router"),
            name=f"{cluster_name}-router",
            project=project,
            region=region,
            network=network.id,
            opts=child_opts(self),
        )
        gcp.compute.RouterNat(
            child_name(name, "nat"),
            name=f"{cluster_name}-nat",
            project=project,
            region=region,
            router=router.name,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
            log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
            opts=child_opts(self),
        )

        self.node_service_account = gcp.serviceaccount.Account(
            child_name(name, "nodes"),
            account_id=gsa_account_id(f"{cluster_name}-nodes"),
            display_name=f"GKE nodes of {cluster_name}",
            project=project,
            opts=child_opts(self, protect=protect),
        )
        node_member = self.node_service_account.email.apply(lambda e: f"serviceAccount:{e}")
        for role in NODE_ROLES:
            gcp.projects.IAMMember(
                child_name(name, f"nodes-{role.split('/')[1].replace('.', '-').lower()}"),
                project=project,
                role=role,
                member=node_member,
                opts=child_opts(self),
            )

        webhooks = gcp.compute.Firewall(
            child_name(name, "webhooks"),
            name=f"{cluster_name}-webhooks",
            project=project,
            network=network.id,
            direction="INGRESS",
            description="GKE control plane to admission webhooks on the nodes (Istio, KServe, Knative)",
            source_ranges=[gcp_spec.master_cidr],
            target_service_accounts=[self.node_service_account.email],
            allows=[
                gcp.compute.FirewallAllowArgs(
                    protocol="tcp", ports=[str(p) for p in sorted(set(WEBHOOK_PORTS.values()))]
                )
            ],
            opts=child_opts(self),
        )

        reach = api_endpoint("gcp", spec)
        cidrs = list(reach.allowed) if reach.public else []
        zones = gcp.compute.get_zones_output(project=project, region=region).names.apply(
            lambda names: sorted(names)[: spec.zones] if names else None
        )
        self.gke = gcp.container.Cluster(
            child_name(name, "gke"),
            name=cluster_name,
            project=project,
            location=region,
            node_locations=zones,
            network=network.id,
            subnetwork=subnet.id,
            remove_default_node_pool=True,
            initial_node_count=1,
            deletion_protection=protect,
            min_master_version=spec.kubernetes_version,
            release_channel=gcp.container.ClusterReleaseChannelArgs(channel=gcp_spec.release_channel),
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(
                workload_pool=f"{project}.svc.id.goog"
            ),
            private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True,
                enable_private_endpoint=not reach.public,
                master_ipv4_cidr_block=gcp_spec.master_cidr,
            ),
            master_authorized_networks_config=gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
                cidr_blocks=[
                    gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                        cidr_block=cidr, display_name=f"allowed-{i}"
                    )
                    for i, cidr in enumerate(cidrs)
                ],
                gcp_public_cidrs_access_enabled=False,
            ),
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name="pods", services_secondary_range_name="services"
            ),
            datapath_provider="ADVANCED_DATAPATH",
            # The platform installs the Gateway API CRDs itself (components/platform/istio.py gateway_api_crds), so
            # GKE's Gateway API support, which installs the standard CRDs (GKE API GatewayAPIConfig.Channel
            # CHANNEL_STANDARD: "standard CRDs are installed"), is off explicitly (docs/upgrading.md).
            gateway_api_config=gcp.container.ClusterGatewayApiConfigArgs(channel="CHANNEL_DISABLED"),
            database_encryption=gcp.container.ClusterDatabaseEncryptionArgs(
                state="ENCRYPTED", key_name=self.secrets_key.id
            ),
            logging_config=gcp.container.ClusterLoggingConfigArgs(enable_components=list(LOG_COMPONENTS)),
            enable_shielded_nodes=True,
            enable_legacy_abac=False,
            master_auth=gcp.container.ClusterMasterAuthArgs(
                client_certificate_config=gcp.container.ClusterMasterAuthClientCertificateConfigArgs(
                    issue_client_certificate=False
                )
            ),
            addons_config=gcp.container.ClusterAddonsConfigArgs(
                gce_persistent_disk_csi_driver_config=gcp.container.ClusterAddonsConfigGcePersistentDiskCsiDriverConfigArgs(
                    enabled=True
                ),
                gcs_fuse_csi_driver_config=gcp.container.ClusterAddonsConfigGcsFuseCsiDriverConfigArgs(enabled=True),
            ),
            resource_labels=labels,
            opts=child_opts(self, protect=protect, depends_on=[key_user]),
        )

        self.workload_pool: pulumi.Output[str] = self.gke.workload_identity_config.apply(
            lambda c: c.workload_pool if c and c.workload_pool else f"{project}.svc.id.goog"
        )
        """The cluster's Workload Identity pool (an output of the cluster, so users of it wait for the cluster)."""

        system = spec.system_pool
        self._node_sa_id = gsa_account_id(f"{cluster_name}-nodes")
        self.system_pool_resource = gcp.container.NodePool(
            child_name(name, "system"),
            name=pool_name("system", self._forcing()),
            project=project,
            location=region,
            cluster=self.gke.name,
            initial_node_count=1,
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                total_min_node_count=system.min_nodes, total_max_node_count=system.max_nodes, location_policy="BALANCED"
            ),
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
            upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(max_surge=1, max_unavailable=0),
            node_config=self._node_config(system_instance_type("gcp", spec), 100, dict(SYSTEM_NODE_SELECTOR)),
            opts=child_opts(self, ignore_changes=["initialNodeCount"], delete_before_replace=False),
        )
        self.gpu_node_pools: dict[str, gcp.container.NodePool] = {}
        for pool in pools.values():
            self.gpu_node_pools[pool.name] = self._gpu_pool(name, pool, spec.gpu_pools[pool.name].disk_size_gib)

        kubeconfig = pulumi.Output.all(self.gke.endpoint, self.gke.master_auth.cluster_ca_certificate).apply(
            lambda a: kubeconfig_for(cluster_name, str(a[0]), str(a[1] or ""))
        )
        # The webhook rule is a dependency of the provider, so of every Kubernetes object: it exists before the first
        # webhook is called, and a destroy removes it only after the objects whose deletion calls webhooks.
        provider = cluster_provider(
            name,
            self,
            kubeconfig,
            f"gke/{project}/{region}/{cluster_name}",
            depends_on=[self.system_pool_resource, webhooks],
        )
        self._finish(
            cloud="gcp",
            provider=provider,
            pools=pools,
            endpoint=self.gke.endpoint.apply(lambda e: f"https://{e}"),
            kubeconfig=kubeconfig,
            oidc_issuer=(
                f"https://container.googleapis.com/v1/projects/{project}/locations/{region}/clusters/{cluster_name}"
            ),
            control_plane_tier="standard",
            needs_device_plugin=False,
            needs_dcgm_exporter=True,
            extra_outputs=GkeOutputs(project=project, workloadPool=self.workload_pool),
            streamed_registries=STREAMED_REGISTRIES,
            cni_bin_dir=CNI_BIN_DIR,
        )

    def _node_config(
        self,
        machine_type: str,
        disk_gib: int,
        labels: Mapping[str, str],
        **extra: Any,
    ) -> gcp.container.NodePoolNodeConfigArgs:
        """Node settings every pool shares: COS, least-privilege SA, GKE metadata server, Shielded VM."""
        return gcp.container.NodePoolNodeConfigArgs(
            machine_type=machine_type,
            disk_size_gb=disk_gib,
            disk_type="pd-balanced",
            image_type="COS_CONTAINERD",
            service_account=self.node_service_account.email,
            oauth_scopes=[CLOUD_PLATFORM],
            labels=dict(labels),
            resource_labels=self._labels,
            metadata=dict(NODE_METADATA),
            workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA"),
            shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(**SHIELDED_NODES),
            **extra,
        )

    def _forcing(
        self, accelerators: Sequence[Mapping[str, Any]] = (), spot: bool = False, image_cache: str | None = None
    ) -> dict[str, Any]:
        """The ``ForceNew`` inputs of a pool (see :func:`pool_name`); the node service account by its account id.
        ``secondary_boot_disks`` is ``ForceNew`` too (hashicorp/terraform-provider-google
        google/services/container/node_config.go; Google: "When you modify the disk image, you must create a new node
        pool"): it joins only when a pool has an image cache, so the names of pools without one do not change."""
        forcing: dict[str, Any] = {
            "guest_accelerators": list(accelerators),
            "spot": spot,
            "service_account": self._node_sa_id,
            "oauth_scopes": [CLOUD_PLATFORM],
            "metadata": NODE_METADATA,
            "shielded_instance_config": SHIELDED_NODES,
        }
        if image_cache is not None:
            forcing["secondary_boot_disks"] = [{"disk_image": image_cache, "mode": IMAGE_CACHE_MODE}]
        return forcing

    def _gpu_pool(self, name: str, pool: GpuPoolInfo, disk_gib: int) -> gcp.container.NodePool:
        """A GPU pool: accelerator with explicit driver installation, GPU taint and labels, autoscaling; in every zone
        of the region that offers its machine (the catalog's zones), not only the cluster's default zones.

        The pool declares the GPU taint ``nvidia.com/gpu=present:NoSchedule`` itself. GKE adds the same taint only
        when a non-GPU pool already runs (Google, "Run GPUs in GKE Standard node pools";
        terraform-google-modules/terraform-google-kubernetes-engine#703 when it does not), so relying on it is
        fragile. Declaring it is accepted: Google's own GoogleCloudPlatform/cluster-toolkit
        modules/compute/gke-node-pool/main.tf declares exactly this taint on every GPU pool, and the "more than one
        taint" refusal reported in hashicorp/terraform-provider-google#7928 was not reproduced by the maintainer.
        Since provider v5 ``taint`` reports drift only on the keys it manages, and ``effectiveTaints`` shows GKE's
        (node_pool ``taint`` docs). The pool still waits for the system pool."""
        machine = catalog.machine_for("gcp", pool.accelerator, pool.gpus_per_node)
        accelerator = guest_accelerator(pool, machine.gpu_type)
        return gcp.container.NodePool(
            child_name(name, f"gpu-{pool.name}"),
            name=pool_name(pool.name, self._forcing([accelerator], pool.spot, pool.image_cache)),
            project=self.project,
            location=self._args.region,
            cluster=self.gke.name,
            node_locations=list(pool.zones) or None,
            initial_node_count=0,
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                total_min_node_count=pool.min_nodes, total_max_node_count=pool.max_nodes, location_policy="ANY"
            ),
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
            upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(max_surge=1, max_unavailable=0),
            node_config=self._node_config(
                pool.instance_type,
                disk_gib,
                gpu_node_labels(pool, device_plugin=False),
                spot=pool.spot,
                guest_accelerators=[accelerator],
                taints=[
                    gcp.container.NodePoolNodeConfigTaintArgs(
                        key=GPU_TAINT.key, value=GPU_TAINT.value, effect="NO_SCHEDULE"
                    )
                ],
                # Image streaming (GCFS): eligible images start without waiting for the whole pull. Its needs are
                # met here: COS with containerd (``image_type``), Private Google Access on the nodes' subnet (private
                # nodes), Service Usage Consumer for the node service account (NODE_ROLES); the Container File
                # System API must be enabled in the project (docs/deploying.md). Source:
                # cloud.google.com/kubernetes-engine/docs/how-to/image-streaming, "Requirements". Turning it on for
                # an existing pool updates the pool in place, not a replacement (GoogleCloudPlatform/magic-modules
                # PR #11553 removed ForceNew, PR #11717 added the in-place update, 2024; pulumi-gcp 10 is later).
                gcfs_config=gcp.container.NodePoolNodeConfigGcfsConfigArgs(enabled=True),
                secondary_boot_disks=secondary_boot_disks(pool),
            ),
            opts=child_opts(
                self,
                ignore_changes=["initialNodeCount"],
                depends_on=[self.system_pool_resource],
                delete_before_replace=False,
            ),
        )

    def _workload_identity(
        self,
        name: str,
        namespace: str,
        service_account: str,
        purpose: str,
        parent: pulumi.Resource,
        protect: bool = False,
    ) -> tuple[gcp.serviceaccount.Account, gcp.serviceaccount.IAMMember]:
        """A Google service account (``{name}-gsa``) that Kubernetes ServiceAccount ``namespace/service_account``
        may act as through Workload Identity (``{name}-workload-identity``); ``purpose`` is its display name.
        ``protect``: the account is protected against destroy (a platform identity on prod, as the cluster's)."""
        gsa = gcp.serviceaccount.Account(
            child_name(name, "gsa"),
            account_id=gsa_account_id(name, salt=f"{namespace}/{service_account}"),
            display_name=purpose[:100],
            description=f"Workload Identity of Kubernetes ServiceAccount {namespace}/{service_account}",
            project=self.project,
            opts=child_opts(parent, protect=protect),
        )
        # The member names the cluster's workload pool output, so the binding waits for the cluster that creates
        # the pool: before any Workload Identity cluster exists in the project, IAM refuses the member with
        # "Identity Pool does not exist" (terraform-google-modules/terraform-google-kubernetes-engine#916).
        wi = gcp.serviceaccount.IAMMember(
            child_name(name, "workload-identity"),
            service_account_id=gsa.name,
            role="roles/iam.workloadIdentityUser",
            member=self.workload_pool.apply(lambda pool: f"serviceAccount:{pool}[{namespace}/{service_account}]"),
            opts=child_opts(parent, depends_on=[self.gke]),
        )
        return gsa, wi

    def _grant(
        self, name: str, namespace: str, service_account: str, loc: StorageLocation, parent: pulumi.Resource
    ) -> StorageAccess:
        """A Google service account for ``namespace/service_account`` (Workload Identity) reading the bucket."""
        gsa, wi = self._workload_identity(name, namespace, service_account, f"Reads {loc.uri}", parent)
        read = gcp.storage.BucketIAMMember(
            child_name(name, "storage-read"),
            bucket=loc.bucket,
            role="roles/storage.objectViewer",
            member=gsa.email.apply(lambda e: f"serviceAccount:{e}"),
            opts=child_opts(parent),
        )
        return StorageAccess(
            service_account_annotations={GSA_ANNOTATION: gsa.email}, identity=gsa.email, resources=(gsa, wi, read)
        )

    def request_log_store(
        self, name: str, namespace: str, service_account: str, request: LogStoreRequest, parent: pulumi.Resource
    ) -> LogStore:
        """A GCS bucket for the records (unless ``request.bucket`` names one) in the cluster's region, with uniform
        bucket-level access, public access prevention and a lifecycle rule that deletes objects under the prefix
        at ``age`` ``retention_days`` (GCS lifecycle ``Delete`` action, ``age`` and ``matchesPrefix`` conditions:
        cloud.google.com/storage/docs/lifecycle); and a Google service account for ``namespace/service_account``
        (Workload Identity) with ``roles/storage.objectCreator`` on the bucket under an IAM condition that admits
        only object names under the prefix (``resource.name.startsWith("projects/_/buckets/<b>/objects/<prefix>/")``,
        the form of cloud.google.com/storage/docs/access-control/iam#conditions as Google's storage samples
        ``add_bucket_conditional_iam_binding`` use it). objectCreator creates objects and cannot read, list or
        overwrite them.

        Vector's ``gcp_cloud_storage`` sink, given no ``credentials_path`` or ``api_key``, fetches "an instance
        service account" from the metadata server (vectordotdev/vector v0.56.0
        website/cue/reference/components/sinks/generated/gcp_cloud_storage.cue, ``credentials_path``), which GKE
        Workload Identity's metadata server answers with this Google service account."""
        project = self.project
        resources: list[pulumi.Resource] = []
        retention: int | None = None
        bucket: pulumi.Input[str]
        if request.bucket is None:
            created = gcp.storage.Bucket(
                child_name(name, "bucket"),
                name=short_name(f"{self._args.cluster_name}-request-logs", 63, salt=project),
                project=project,
                location=self.region.upper(),
                uniform_bucket_level_access=True,
                public_access_prevention="enforced",
                lifecycle_rules=[
                    gcp.storage.BucketLifecycleRuleArgs(
                        action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                        condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                            age=request.retention_days, matches_prefixes=[f"{request.prefix}/"]
                        ),
                    )
                ],
                labels=self._labels,
                opts=child_opts(parent),
            )
            resources.append(created)
            bucket = created.name
            retention = request.retention_days
        else:
            bucket = request.bucket
        # the platform's one request-log identity outlives every model: protected on prod like the cluster's own
        # identities (policy prod-protect-stateful), while a model's identities are recreated with it
        gsa, wi = self._workload_identity(
            name,
            namespace,
            service_account,
            "Writes request logs under the platform.requestLogs prefix",
            parent,
            protect=self._args.protect,
        )
        write = gcp.storage.BucketIAMMember(
            child_name(name, "write"),
            bucket=bucket,
            role="roles/storage.objectCreator",
            member=gsa.email.apply(lambda e: f"serviceAccount:{e}"),
            condition=gcp.storage.BucketIAMMemberConditionArgs(
                title="request-log-prefix",
                # no user text in descriptions (red team #17d P1): the expression names the prefix
                description="Only objects under the platform.requestLogs prefix",
                expression=pulumi.Output.from_input(bucket).apply(
                    lambda b: f'resource.name.startsWith("projects/_/buckets/{b}/objects/{request.prefix}/")'
                ),
            ),
            opts=child_opts(parent, depends_on=resources),
        )
        return LogStore(
            service_account_annotations={GSA_ANNOTATION: gsa.email},
            identity=gsa.email,
            resources=(*resources, gsa, wi, write),
            sink={"type": "gcp_cloud_storage", "bucket": bucket},
            location=pulumi.Output.from_input(bucket).apply(lambda b: f"gs://{b}/{request.prefix}/"),
            retention_days=retention,
        )

    @property
    def gpu(self) -> GpuScheduling:
        """GPU facts, plus what GKE's Container-Optimized OS nodes need from a GPU DaemonSet: the driver's libraries
        are in :data:`NVIDIA_DRIVER_ROOT` (GKE installs them there; NVIDIA/dcgm-exporter#59, #484), and
        ``system-node-critical`` pods are admitted outside kube-system only with a matching ResourceQuota."""
        return replace(self._gpu, driver_root=NVIDIA_DRIVER_ROOT, critical_priority_needs_quota=True)

    def load_balancer_annotations(self, idle_timeout_seconds: int) -> Mapping[str, str]:
        """None: nothing to set, and nothing settable. A ``LoadBalancer`` Service on GKE gets an external passthrough
        Network Load Balancer, which is not a proxy: "The load balancer itself doesn't terminate user connections"
        and the backends answer the clients directly (cloud.google.com/load-balancing/docs/network, "Backend
        service-based external passthrough Network Load Balancer overview"), so unlike the Classic ELB (60 s) and the
        Azure Load Balancer (4 min) it has no idle timeout that closes a connection. What keeps a waiting request on
        its backend is :attr:`load_balancer_traffic_policy`. ``idle_timeout_seconds`` is not used."""
        return {}

    @property
    def load_balancer_traffic_policy(self) -> TrafficPolicy:
        """``Local``. GKE's passthrough Network Load Balancer keeps each connection's backend in a connection
        tracking table (cloud.google.com/load-balancing/docs/network/ext-netlb-traffic-distribution, "Backend
        selection and connection tracking": a backend chosen by consistent hashing, then recorded); an entry idle for
        60 s is dropped ("For external passthrough Network Load Balancers the default is 60 seconds. This option is
        not available publicly", Compute API ``BackendServiceConnectionTrackingPolicy.idleTimeoutSec``), so GKE
        cannot raise it, and the connection's next packet is hashed again. A request waiting for a GPU cold start
        sends no packet for minutes, and the cold start adds a node. With Kubernetes' default ``Cluster`` (the istio
        gateway chart 1.30.3 leaves ``service.externalTrafficPolicy: ""``, shared/upstream/chart-values/
        istio-gateway-1.30.3.yaml) every node is a backend and the new node changes the set the packet is hashed
        over; Google's guidance is ``Local`` "if you want to minimize disruption when the number of nodes in the
        cluster without serving Pods changes" (cloud.google.com/kubernetes-engine/docs/concepts/
        service-load-balancer, "Effect of externalTrafficPolicy", read in its ``?hl=zh_cn`` rendering): only the
        nodes with a gateway pod (the system pool) pass the load balancer's health check, and a GPU node a cold
        start adds has none (rev16 defect 12, rev16b defect 8). ``Local`` also keeps the client's source IP."""
        return "Local"

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
        """A Google service account for ``namespace/service_account`` (Workload Identity) with ``roles/dns.admin``
        on the Cloud DNS managed zone ``zone.id`` only, and ``roles/dns.reader`` on the zone's project (external-dns
        lists the project's managed zones: kubernetes-sigs/external-dns docs/tutorials/gke.md grants dns.admin on
        the project; the write half is narrowed here to the zone with pulumi-gcp's
        ``dns.DnsManagedZoneIamMember``)."""
        if not zone.id:
            raise SpecError("platform.dns.id", None, "give the Cloud DNS managed zone name (not its DNS name)")
        project = zone.settings.get("project") or self.project  # this cloud's dns_settings (components/clouds.py)
        gsa = gcp.serviceaccount.Account(
            child_name(name, "dns-gsa"),
            account_id=gsa_account_id(f"{name}-dns", salt=f"{namespace}/{service_account}"),
            display_name=f"Changes records in {zone.name}"[:100],
            description=f"Workload Identity of Kubernetes ServiceAccount {namespace}/{service_account}",
            project=self.project,
            # a platform identity: protected on prod like the cluster's own (policy prod-protect-stateful)
            opts=child_opts(parent, protect=self._args.protect),
        )
        wi = gcp.serviceaccount.IAMMember(
            child_name(name, "dns-workload-identity"),
            service_account_id=gsa.name,
            role="roles/iam.workloadIdentityUser",
            member=f"serviceAccount:{self.project}.svc.id.goog[{namespace}/{service_account}]",
            opts=child_opts(parent),
        )
        member = gsa.email.apply(lambda e: f"serviceAccount:{e}")
        admin = gcp.dns.DnsManagedZoneIamMember(
            child_name(name, "dns-zone-admin"),
            project=project,
            managed_zone=zone.id,
            role="roles/dns.admin",
            member=member,
            opts=child_opts(parent),
        )
        resources: list[pulumi.Resource] = [gsa, wi, admin]
        if list_zones:  # cert-manager is given hostedZoneName and lists nothing
            resources.append(
                gcp.projects.IAMMember(
                    child_name(name, "dns-reader"),
                    project=project,
                    role="roles/dns.reader",
                    member=member,
                    opts=child_opts(parent),
                )
            )
        return DnsAccess(
            service_account_annotations={GSA_ANNOTATION: gsa.email},
            identity=gsa.email,
            resources=tuple(resources),
            acme_dns01={clouds.dns01_solver("gcp"): {"project": project, "hostedZoneName": zone.id}},
            external_dns={"provider": {"name": "google"}, "extraArgs": [f"--google-project={project}"]},
        )


# ------------------------------------------------------------------------------------------------ labels

_LABEL_BAD = re.compile(r"[^a-z0-9_-]", re.ASCII)


def gcp_labels(tags: Mapping[str, str]) -> dict[str, str]:
    """GCP labels from tags: lowercase, only ``[a-z0-9_-]``, at most 63 characters (GCP's label rules)."""
    out: dict[str, str] = {}
    for key, value in tags.items():
        k = _LABEL_BAD.sub("_", key.lower())[:63]
        out[k] = _LABEL_BAD.sub("_", value.lower())[:63]
    return out


# ------------------------------------------------------------------------------------------------ webhook reach


def webhook_reach(resources: Sequence[Rendered], cluster: Rendered) -> list[str]:
    """GKE (private nodes): GKE's automatic rule opens tcp 443 and 10250 (:data:`AUTOMATIC_WEBHOOK_PORTS`) from the
    control-plane range to the nodes; any other port needs an ingress firewall rule from
    ``privateClusterConfig.masterIpv4CidrBlock`` whose targets cover the node pool
    (https://cloud.google.com/kubernetes-engine/docs/how-to/private-clusters#add_firewall_rules; cert-manager's pinned
    values, upstream/chart-values/cert-manager-v1.21.1.yaml ``webhook.securePort``, say the same)."""
    master = (cluster.inputs.get("privateClusterConfig") or {}).get("masterIpv4CidrBlock")
    if not master or master == UNKNOWN:
        return [f"{cluster.name}: no privateClusterConfig.masterIpv4CidrBlock, so the control plane's range is unknown"]
    master_net = ipaddress.ip_network(master)
    firewalls = [
        r
        for r in resources
        if r.type == "gcp:compute/firewall:Firewall"
        and r.inputs.get("direction", "INGRESS") == "INGRESS"
        and r.inputs.get("disabled") is not True
        and any(
            s != UNKNOWN and master_net.subnet_of(ipaddress.ip_network(s, strict=False))  # type: ignore[arg-type]
            for s in r.inputs.get("sourceRanges") or ()
        )
    ]
    problems: list[str] = []
    for pool in (r for r in resources if r.type == "gcp:container/nodePool:NodePool"):
        pool_sa = (pool.inputs.get("nodeConfig") or {}).get("serviceAccount")
        open_ports = set(AUTOMATIC_WEBHOOK_PORTS)
        for rule in firewalls:
            targets = rule.inputs.get("targetServiceAccounts") or []
            if rule.inputs.get("targetTags"):
                continue  # our node pools carry no network tags
            covers = all(same_value(rule, "targetServiceAccounts", t, pool, "nodeConfig", pool_sa) for t in targets)
            if targets and (pool_sa is None or not covers):
                continue  # aimed at other instances
            for allow in rule.inputs.get("allows") or ():
                if allow.get("protocol") in ("tcp", "all"):
                    open_ports |= ports(allow.get("ports") or ["*"])
        problems += [
            f"{pool.name}: {w.name} webhook port {w.port} is closed from the control plane ({master})"
            for w in WEBHOOKS
            if w.port not in open_ports
        ]
    return problems


WEBHOOK_REACH = {"gcp:container/cluster:Cluster": webhook_reach}
"""The rule of :func:`components.clusters.reachability.webhook_problems` for this cloud's cluster type."""


def rendered_endpoint(inputs: Mapping[str, Any]) -> ApiEndpoint:
    """The API endpoint a rendered cluster declares (wire names): ``privateClusterConfig.enablePrivateEndpoint`` turns
    the public endpoint off; ``masterAuthorizedNetworksConfig.cidrBlocks`` limits it (absent: open) (GKE API
    ``MasterAuthorizedNetworksConfig``)."""
    private_cfg = inputs.get("privateClusterConfig") or {}
    networks = inputs.get("masterAuthorizedNetworksConfig")
    public = private_cfg.get("enablePrivateEndpoint") is not True
    allowed = tuple(b["cidrBlock"] for b in (networks or {}).get("cidrBlocks") or ())
    if networks is not None and not allowed:
        public = False  # authorized networks on with no block: no outside address may connect
    return ApiEndpoint(public, allowed, private_cfg.get("enablePrivateNodes") is True)


API_ENDPOINT = {"gcp:container/cluster:Cluster": rendered_endpoint}
"""How :func:`components.clusters.rendered_endpoint` reads this cloud's cluster type."""


# ------------------------------------------------------------------------------------------------ node reservation


def node_reserved(instance_type: str, vcpus: int, memory_mib: int, system: bool) -> tuple[int, list[tuple[str, int]]]:
    """What a GKE node keeps from pods (components/serving/fit.py ``node_reserved``): the CPU ranges of GKE's node
    allocatable (``kube_reserved_cpu_milli``, the same ranges the EKS AMI took from GKE), and of memory "25% of the
    first 4 GiB of memory, 20% of the next 4 GiB (up to 8 GiB), 10% of the next 8 GiB (up to 16 GiB), 6% of the next
    112 GiB (up to 128 GiB), 2% of any memory above 128 GiB" (cloud.google.com/kubernetes-engine/docs/concepts/
    plan-node-sizes#memory_and_cpu_reservations; read through the excerpts the search tool returns and the tiers
    quoted from that page by github.com/hatemosphere/gke-node-allocatable-memory-calculator: the page's own table was
    not returned whole), rounded up to whole MiB; and the memory the COS kernel keeps
    (:func:`cos_kernel_reserved_mib`), which GKE's autoscaler takes off a node template's capacity (rev14g defect 2)."""
    from components.serving.fit import kube_reserved_cpu_milli

    out = Decimal(0)
    for start, end, share in ((0, 4, "0.25"), (4, 8, "0.20"), (8, 16, "0.10"), (16, 128, "0.06"), (128, None, "0.02")):
        low, high = start * 1024, (memory_mib if end is None else min(memory_mib, end * 1024))
        if memory_mib > low:
            out += (high - low) * Decimal(share)
    return kube_reserved_cpu_milli(vcpus), [
        ("GKE's kube-reserved tiers", math.ceil(out)),
        ("the COS kernel", cos_kernel_reserved_mib(memory_mib)),
    ]


_MIB = 2**20


def cos_kernel_reserved_mib(memory_mib: int) -> int:
    """Memory the kernel of a COS node with ``memory_mib`` of physical memory keeps, as the cluster autoscaler's GCE
    provider builds a node template (kubernetes/autoscaler cluster-autoscaler-1.34.2, the release for Kubernetes 1.34,
    unchanged through 1.36.1: cloudprovider/gce/templates.go ``BuildCapacity``, ``memTotal := mem -
    r.CalculateKernelReserved(m, mem)``; gce_reserved.go ``CalculateKernelReserved``): physical/64, plus 16 MiB, plus
    64 MiB of software IO TLB above 3 GiB, plus 8 MiB at 8 GiB or less, plus for COS ``min(0.00175 x physical,
    248 MiB)`` (x86: the pools' machines; the arm64 ratio is not applied), in bytes, rounded up to whole MiB here. A pod
    larger than the template's allocatable triggers no scale-up. Every pool of the platform runs COS
    (``image_type="COS_CONTAINERD"``)."""
    physical = memory_mib * _MIB
    reserved = physical // 64 + 16 * _MIB
    if physical > 3 * 1024 * _MIB:
        reserved += 64 * _MIB
    if physical <= 8 * 1024 * _MIB:
        reserved += 8 * _MIB
    reserved += int(min(0.00175 * physical, 248 * _MIB))
    return -(-reserved // _MIB)
