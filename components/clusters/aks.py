"""AKS: Entra-only, workload-identity cluster with Azure CNI overlay + Cilium, KMS etcd encryption, GPU AgentPools."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import math
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, TypedDict

import pulumi
import pulumi.dynamic
import pulumi_azure_native as azure
import yaml

from components import clouds
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
    LogStore,
    LogStoreRequest,
    StorageAccess,
    Taint,
)
from components.clusters.reachability import Rendered, ports
from components.clusters.spec import AKS_SERVICE_CIDR, CLUSTER_TAG, ApiEndpoint, AzureSpec, ClusterSpec, api_endpoint
from components.errors import SpecError
from components.naming import child_name, child_opts, merge_tags, replacement_suffix
from components.storage import StorageLocation, parse_storage_uri

REQUEST_LOG_IGNORED = object_store_ignored("a blob container of the storage account the platform creates")
"""``platform.requestLogs`` keys that do nothing on this cloud (components/clusters ``request_log_key_problem``)."""


SPOT_TAINT = Taint("kubernetes.azure.com/scalesetpriority", "spot", "NoSchedule")
"""The taint AKS puts on spot pools; GPU pods tolerate it too (it is declared explicitly on our spot pools)."""
AUDIT_LOGS = ("kube-audit-admin", "kube-apiserver", "guard")
ROLE_BLOB_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
ROLE_KV_CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"
ROLE_NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
ROLE_AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
""""Azure Kubernetes Service RBAC Cluster Admin": DataActions ``Microsoft.ContainerService/managedClusters/*``. With
Azure RBAC for Kubernetes on and local accounts off, only data-plane roles let a principal call the Kubernetes API;
Owner and Contributor carry none (MicrosoftDocs/azure-docs articles/aks/manage-azure-rbac.md)."""
ROLE_DNS_ZONE_CONTRIBUTOR = "befefa01-2a29-4197-83a8-272ff33ce314"
"""Azure built-in role "DNS Zone Contributor" (Microsoft docs, role-based-access-control/built-in-roles)."""
ROLE_READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
"""Azure built-in role "Reader" (same page)."""
AKS_AAD_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"
"""The Entra application id of the AKS API server (kubelogin's ``--server-id``)."""
TOKEN_AUDIENCE = "api://AzureADTokenExchange"
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
USE_LABEL = "azure.workload.identity/use"
AGENT_POOL_SUFFIX_LENGTH = 4
AGENT_POOL_NAME_LENGTH = 12
"""A Linux agent pool's name: 1-12 lowercase letters and digits (the ``cluster.gpuPools`` key rule, spec.py)."""


def agent_pool_name(pool: str, forcing: Mapping[str, Any]) -> str:
    """The ``agentPoolName`` of a GPU pool: the pool name (cut to 8 characters) and 4 hex digits that change with
    every input that makes azure-native replace the pool, so that a replacement gets a new name.

    azure-native deletes an AgentPool before creating its replacement when its name was given by the program
    (pulumi/pulumi-azure-native provider/pkg/provider/provider.go ``Diff``: ``deleteBeforeReplace := len(replaces) >
    0`` unless the name was randomly auto-named): the GPU pool would be gone before the new one exists. The pool
    sets ``delete_before_replace=False``, which the engine obeys over the provider (pulumi/pulumi
    pkg/resource/deploy/step_generator.go), and its name changes with the replacement, so the two pools coexist.

    ``forcing``: ``vmSize`` and ``gpuInstanceProfile``, which azure-native replaces on (pulumi/pulumi-azure-native#3655,
    after learn.microsoft.com/azure/aks/manage-node-pools "You can't change the VM size of a node pool after you create
    it" and azure/aks/gpu-multi-instance "You can't change the applied GPU instance profile after node pool
    creation"). Not found in azure-native's sources here: its full list of replace-forcing AgentPool properties.
    """
    keep = AGENT_POOL_NAME_LENGTH - AGENT_POOL_SUFFIX_LENGTH
    return pool[:keep] + replacement_suffix({"pool": pool, **forcing}, AGENT_POOL_SUFFIX_LENGTH)


MIG_PROFILES = {"1g": "MIG1g", "2g": "MIG2g", "3g": "MIG3g", "4g": "MIG4g", "7g": "MIG7g"}
POD_CIDR = "10.244.0.0/16"
SERVICE_CIDR = AKS_SERVICE_CIDR
DNS_SERVICE_IP = "172.16.0.10"
NEEDS_DEVICE_PLUGIN = True
"""AKS installs the GPU driver on the pool (``gpuProfile.driver: Install``) but no device plugin: the platform
installs the NVIDIA device plugin, which also applies time-slicing/MPS through the pools' device plugin config
label."""


def precheck(region: str, spec: ClusterSpec, pools: Mapping[str, GpuPoolInfo], storage_uris: Mapping[str, str]) -> None:
    """What an AKS stack checks before anything is registered (``components.clusters.check_cluster`` calls it):
    refuse an Azure blob model whose storage account's resource group is unknown. Without
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


RBAC_PROPAGATION_SECONDS = 300
"""How long a new role assignment may take to reach the AKS authorization server: "New role assignments can take up
to five minutes to propagate and be updated by the authorization server" (MicrosoftDocs/azure-docs
articles/aks/manage-azure-rbac.md, Before you begin)."""


def request_log_bucket_problem(bucket: str) -> str | None:
    """What to do instead of writing request logs to the stack's own ``bucket`` (refused here)."""
    return "on azure the platform creates the log storage account and its container; remove bucket"


class _PropagationWaitProvider(pulumi.dynamic.ResourceProvider):
    """Waits ``seconds`` when created (and when the role assignments it follows are replaced), never on later runs:
    the first ``up`` after an assignment is created waits for it to propagate before any Kubernetes call."""

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        time.sleep(int(props["seconds"]))
        return pulumi.dynamic.CreateResult(id_="rbac-propagated", outs=props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        changed = olds.get("assignments") != news.get("assignments")
        return pulumi.dynamic.DiffResult(
            changes=changed, replaces=["assignments"] if changed else [], delete_before_replace=False
        )


class RbacPropagationWait(pulumi.dynamic.Resource):
    """A wait of :data:`RBAC_PROPAGATION_SECONDS` after the role assignments ``assignments`` are created (a Pulumi
    dynamic resource: nothing in the cloud; it sleeps on create only, so later ``up`` runs do not wait)."""

    def __init__(
        self,
        name: str,
        assignments: list[pulumi.Input[str]],
        seconds: int = RBAC_PROPAGATION_SECONDS,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(_PropagationWaitProvider(), name, {"assignments": assignments, "seconds": seconds}, opts)


def key_vault_name(cluster_name: str, resource_group: str, generation: int, subscription_id: str) -> str:
    """The Key Vault's name: 3-24 alphanumerics and hyphens, starting with a letter, ending with a letter or digit, no
    consecutive hyphens, unique across Azure (MicrosoftDocs/azure-docs articles/azure-resource-manager/management/
    resource-name-rules.md, Microsoft.KeyVault vaults).

    Generation 1 keeps the name stacks had before ``keyGeneration`` (hashed with the resource group only), so an
    existing vault is not replaced; later generations also hash the subscription, so the same cluster and group
    names in two subscriptions do not collide on the global name."""
    salt = resource_group if generation == 1 else f"{subscription_id}/{resource_group}/g{generation}"
    return re.sub("-{2,}", "-", short_name(f"{cluster_name}-kms", 24, salt=salt))


BLOB_WRITE_DATA_ACTIONS = (
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
)
"""The data actions of blob writes (Put Blob, Put Block List: MicrosoftDocs/azure-docs
articles/storage/blobs/storage-auth-abac-attributes.md), the request-log writer's whole role."""


def role_definition(subscription_id: str, role: str) -> str:
    """The full id of a built-in role definition."""
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{role}"


def kubeconfig_from_credentials(cluster_name: str, encoded: str, server: str | None = None) -> str:
    """The AKS user kubeconfig with its user replaced by ``kubelogin get-token --login azurecli`` (no tokens), and
    its server replaced by ``server`` when given (the public endpoint, for a cluster that has one)."""
    raw = yaml.safe_load(base64.b64decode(encoded).decode())
    cluster = raw["clusters"][0]["cluster"]
    return exec_kubeconfig(
        cluster_name,
        server or cluster["server"],
        cluster.get("certificate-authority-data", ""),
        "kubelogin",
        ["get-token", "--login", "azurecli", "--server-id", AKS_AAD_SERVER_ID],
        install_hint="Install kubelogin: az aks install-cli (set AAD_LOGIN_METHOD for workload identity or SPN)",
    )


def gpu_taints(pool: GpuPoolInfo) -> list[str]:
    """Node taints of an AKS GPU pool in AKS's ``key=value:Effect`` spelling."""
    taints = [str(GPU_TAINT)]
    if pool.spot:
        taints.append(str(SPOT_TAINT))
    return taints


AZURE_LB_IDLE_TIMEOUT_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout"
AZURE_LB_MIN_IDLE_MINUTES = 4
AZURE_LB_MAX_IDLE_MINUTES = 100
"""The Azure Load Balancer rule's idle timeout range, minutes (load-balancer-tcp-idle-timeout: "4 minutes to 100
minutes")."""


class AksOutputs(TypedDict):
    """What an AKS cluster registers besides `ClusterOutputs` (the registry entry's ``outputs``)."""

    resourceGroup: Annotated[Any, "The resource group the cluster lives in."]


class AksCluster(ManagedCluster):
    """An AKS cluster after Microsoft's AKS baseline architecture.

    - Resource group (created unless ``cluster.azure.resourceGroup``), VNet + node subnet, Log Analytics workspace.
    - Control plane identity (user-assigned), ``spec.azure.tier`` SKU, Kubernetes ``spec.kubernetesVersion`` with
      the patch auto-upgrade channel and NodeImage OS upgrades, Entra ID with Azure RBAC and local accounts off,
      private cluster unless ``spec.apiAccess.publicCidrs`` (then authorized IP ranges), Azure CNI overlay with Cilium
      dataplane and network policy, OIDC issuer + workload identity, etcd encryption with a Key Vault key (KMS),
      Azure Policy add-on, image cleaner, audit logs to Log Analytics.
    - System pool inline (the only one: ``ignore_changes`` on ``agentPoolProfiles``) over the zones; GPU pools as
      separate ``AgentPool`` resources with the GPU taint, labels, autoscaling from ``minNodes``, spot and MIG.
    """

    _kube_proxy_scrapable = False
    """Azure CNI powered by Cilium (``network_dataplane="cilium"``, set below) serves Services with eBPF
    (Azure/azure-container-networking docs/cilium.md: "high performance service load balancing with eBPF"), and
    AKS allows disabling kube-proxy only for BYO CNI (Azure/AKS#4563, ``KubeProxyConfigDisabledBYOCNIOnly``). Whether
    AKS still runs a kube-proxy DaemonSet next to managed Cilium was not confirmed from a first-party source; if it
    does, its metrics bind address is not documented, so no scrape (and no "Down" alert that might never clear)."""

    def __init__(self, name: str, args: ManagedClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("AksCluster", name, args, opts)
        spec = args.spec
        az = spec.azure or AzureSpec()
        pools = self._resolve_pools("azure")
        cluster_name, location, protect = args.cluster_name, args.region, args.protect
        self._tags = merge_tags(args.tags, {CLUSTER_TAG["azure"]: cluster_name})
        tags = self._tags
        client = azure.authorization.get_client_config_output()
        self._subscription = client.subscription_id

        if az.resource_group:
            self.resource_group_name: pulumi.Output[str] = pulumi.Output.from_input(az.resource_group)
            rg_name = az.resource_group
        else:
            rg_name = f"{cluster_name}-rg"
            rg = azure.resources.ResourceGroup(
                child_name(name, "rg"), resource_group_name=rg_name, location=location, tags=tags, opts=child_opts(self)
            )
            self.resource_group_name = rg.name
        rg_out = self.resource_group_name
        # None when this stack creates the cluster's group: no storage account can be in it (see _grant).
        self._storage_rg = az.storage_resource_group or az.resource_group

        workspace = azure.operationalinsights.Workspace(
            child_name(name, "logs"),
            workspace_name=f"{cluster_name}-logs",
            resource_group_name=rg_out,
            location=location,
            sku=azure.operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=90 if args.prod else 30,
            tags=tags,
            opts=child_opts(self),
        )
        vnet = azure.network.VirtualNetwork(
            child_name(name, "vnet"),
            virtual_network_name=f"{cluster_name}-vnet",
            resource_group_name=rg_out,
            location=location,
            address_space=azure.network.AddressSpaceArgs(address_prefixes=[az.vnet_cidr]),
            tags=tags,
            opts=child_opts(self, ignore_changes=["subnets"]),
        )
        prefix = int(az.vnet_cidr.split("/")[1])
        subnet = azure.network.Subnet(
            child_name(name, "nodes"),
            subnet_name="nodes",
            resource_group_name=rg_out,
            virtual_network_name=vnet.name,
            address_prefix=_first_subnet(az.vnet_cidr, prefix + 4),
            opts=child_opts(self),
        )
        self.control_plane_identity = azure.managedidentity.UserAssignedIdentity(
            child_name(name, "control-plane"),
            resource_name_=f"{cluster_name}-control-plane",
            resource_group_name=rg_out,
            location=location,
            tags=tags,
            opts=child_opts(self, protect=protect),
        )
        net_role = azure.authorization.RoleAssignment(
            child_name(name, "control-plane-network"),
            principal_id=self.control_plane_identity.principal_id,
            principal_type="ServicePrincipal",
            role_definition_id=self._subscription.apply(lambda s: role_definition(s, ROLE_NETWORK_CONTRIBUTOR)),
            scope=subnet.id,
            opts=child_opts(self),
        )
        vault = azure.keyvault.Vault(
            child_name(name, "vault"),
            # Generation in the name: a purge-protected vault's name stays reserved 90 days after deletion.
            vault_name=self._subscription.apply(
                lambda sub: key_vault_name(cluster_name, rg_name, spec.key_generation, sub)
            ),
            resource_group_name=rg_out,
            location=location,
            properties=azure.keyvault.VaultPropertiesArgs(
                tenant_id=client.tenant_id,
                sku=azure.keyvault.SkuArgs(family="A", name=azure.keyvault.SkuName.STANDARD),
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=90,
                enable_purge_protection=True,
            ),
            tags=tags,
            opts=child_opts(self, protect=protect),
        )
        self.secrets_key = azure.keyvault.Key(
            child_name(name, "secrets-key"),
            key_name="aks-etcd",
            vault_name=vault.name,
            resource_group_name=rg_out,
            properties=azure.keyvault.KeyPropertiesArgs(kty="RSA", key_size=2048),
            tags=tags,
            opts=child_opts(self, protect=protect),
        )
        kv_role = azure.authorization.RoleAssignment(
            child_name(name, "control-plane-kms"),
            principal_id=self.control_plane_identity.principal_id,
            principal_type="ServicePrincipal",
            role_definition_id=self._subscription.apply(lambda s: role_definition(s, ROLE_KV_CRYPTO_USER)),
            scope=vault.id,
            opts=child_opts(self),
        )

        reach = api_endpoint("azure", spec)
        cidrs = list(reach.allowed) if reach.public else []
        system = spec.system_pool
        zones = [str(z) for z in range(1, spec.zones + 1)]
        self.aks = azure.containerservice.ManagedCluster(
            child_name(name, "aks"),
            resource_name_=cluster_name,
            resource_group_name=rg_out,
            location=location,
            dns_prefix=cluster_name,
            kubernetes_version=spec.kubernetes_version,
            sku=azure.containerservice.ManagedClusterSKUArgs(name="Base", tier=az.tier.capitalize()),
            identity=azure.containerservice.ManagedClusterIdentityArgs(
                type=azure.containerservice.ResourceIdentityType.USER_ASSIGNED,
                # One Output for the whole list: the SDK mocks echo inputs as outputs, and this input (a list of
                # ids) and the output (a map by id) differ in shape; an unknown whole list is echoed as unknown.
                user_assigned_identities=self.control_plane_identity.id.apply(lambda i: [i]),
            ),
            agent_pool_profiles=[
                azure.containerservice.ManagedClusterAgentPoolProfileArgs(
                    name="system",
                    mode=azure.containerservice.AgentPoolMode.SYSTEM,
                    vm_size=system_instance_type("azure", spec),
                    count=system.min_nodes,
                    min_count=system.min_nodes,
                    max_count=system.max_nodes,
                    enable_auto_scaling=True,
                    availability_zones=zones,
                    vnet_subnet_id=subnet.id,
                    os_type="Linux",
                    os_sku="AzureLinux",
                    os_disk_size_gb=128,
                    enable_node_public_ip=False,
                    max_pods=50,
                    node_labels=dict(SYSTEM_NODE_SELECTOR),
                    type="VirtualMachineScaleSets",
                    upgrade_settings=azure.containerservice.AgentPoolUpgradeSettingsArgs(max_surge="33%"),
                    tags=tags,
                )
            ],
            enable_rbac=True,
            disable_local_accounts=True,
            aad_profile=azure.containerservice.ManagedClusterAADProfileArgs(managed=True, enable_azure_rbac=True),
            oidc_issuer_profile=azure.containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
            security_profile=azure.containerservice.ManagedClusterSecurityProfileArgs(
                workload_identity=azure.containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs(
                    enabled=True
                ),
                azure_key_vault_kms=azure.containerservice.AzureKeyVaultKmsArgs(
                    enabled=True,
                    key_id=self.secrets_key.key_uri_with_version,
                    key_vault_network_access="Public",
                ),
                image_cleaner=azure.containerservice.ManagedClusterSecurityProfileImageCleanerArgs(
                    enabled=True, interval_hours=168
                ),
            ),
            network_profile=azure.containerservice.ContainerServiceNetworkProfileArgs(
                network_plugin="azure",
                network_plugin_mode="overlay",
                network_dataplane="cilium",
                network_policy="cilium",
                pod_cidr=POD_CIDR,
                service_cidr=SERVICE_CIDR,
                dns_service_ip=DNS_SERVICE_IP,
                load_balancer_sku="standard",
                outbound_type="loadBalancer",
            ),
            api_server_access_profile=azure.containerservice.ManagedClusterAPIServerAccessProfileArgs(
                enable_private_cluster=not reach.public,
                authorized_ip_ranges=cidrs or None,
            ),
            auto_upgrade_profile=azure.containerservice.ManagedClusterAutoUpgradeProfileArgs(
                upgrade_channel="patch", node_os_upgrade_channel="NodeImage"
            ),
            addon_profiles={"azurepolicy": azure.containerservice.ManagedClusterAddonProfileArgs(enabled=True)},
            tags=tags,
            opts=child_opts(
                self, protect=protect, depends_on=[net_role, kv_role], ignore_changes=["agentPoolProfiles"]
            ),
        )
        azure.monitor.DiagnosticSetting(
            child_name(name, "audit"),
            name=f"{cluster_name}-audit",
            resource_uri=self.aks.id,
            workspace_id=workspace.id,
            log_analytics_destination_type="Dedicated",
            logs=[azure.monitor.DiagnosticsLogSettingsArgs(category=c, enabled=True) for c in AUDIT_LOGS],
            opts=child_opts(self),
        )

        self.agent_pools: dict[str, azure.containerservice.AgentPool] = {}
        for pool in pools.values():
            self.agent_pools[pool.name] = self._gpu_pool(name, pool, subnet.id, spec.gpu_pools[pool.name].disk_size_gib)

        # The deploying identity (and any admin groups) may call the Kubernetes API: a data-plane role on the cluster.
        admins = [
            azure.authorization.RoleAssignment(
                child_name(name, "deployer-admin"),
                principal_id=client.object_id,
                # pulumi-azure-native 3.29 sends principalType "User" when none is given
                # (authorization/role_assignment.py, RoleAssignmentArgs); Azure refuses an assignment whose type is not
                # the principal's with UnmatchedPrincipalType (Azure/modern-web-app-pattern-dotnet#129).
                principal_type=az.deployer_principal_type,
                role_definition_id=self._subscription.apply(lambda s: role_definition(s, ROLE_AKS_RBAC_CLUSTER_ADMIN)),
                scope=self.aks.id,
                opts=child_opts(self),
            )
        ]
        for i, group in enumerate(az.admin_group_ids):
            admins.append(
                azure.authorization.RoleAssignment(
                    child_name(name, f"admin-group-{i}"),
                    principal_id=group,
                    principal_type="Group",
                    role_definition_id=self._subscription.apply(
                        lambda s: role_definition(s, ROLE_AKS_RBAC_CLUSTER_ADMIN)
                    ),
                    scope=self.aks.id,
                    opts=child_opts(self),
                )
            )

        creds = azure.containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=rg_out, resource_name=self.aks.name
        )
        # A public API server is reached at the cluster's ``fqdn`` ("The FQDN of the master pool"; ``privateFQDN`` is
        # the private cluster's, AKS API ManagedClusterProperties): the deploy machine is outside the VNet, so the
        # kubeconfig names the public endpoint explicitly rather than whatever server the credentials carry.
        public_server: pulumi.Output[str | None] = (
            self.aks.fqdn.apply(lambda f: f"https://{f}:443") if reach.public else pulumi.Output.from_input(None)
        )
        encoded = creds.kubeconfigs.apply(lambda k: str(k[0].value) if k else "")
        kubeconfig = pulumi.Output.all(encoded, public_server).apply(
            lambda a: kubeconfig_from_credentials(cluster_name, a[0], a[1]) if a[0] else ""
        )
        # Role assignments take up to five minutes to reach the AKS authorization server (manage-azure-rbac.md): the
        # Kubernetes provider waits that long after they are created (once; docs/deploying.md).
        self.rbac_wait = RbacPropagationWait(
            child_name(name, "rbac-propagation"),
            assignments=[a.id for a in admins],
            opts=child_opts(self, depends_on=admins),
        )
        provider = cluster_provider(
            name, self, kubeconfig, f"aks/{rg_name}/{cluster_name}", depends_on=[self.aks, *admins, self.rbac_wait]
        )
        fqdn = self.aks.fqdn if reach.public else self.aks.private_fqdn
        self._finish(
            cloud="azure",
            provider=provider,
            pools=pools,
            endpoint=fqdn.apply(lambda f: f"https://{f}:443"),
            kubeconfig=kubeconfig,
            oidc_issuer=self.aks.oidc_issuer_profile.apply(lambda p: p.issuer_url if p else ""),
            control_plane_tier=az.tier,
            needs_device_plugin=NEEDS_DEVICE_PLUGIN,
            needs_dcgm_exporter=True,
            extra_taints=(SPOT_TAINT,) if any(p.spot for p in pools.values()) else (),
            extra_outputs=AksOutputs(resourceGroup=rg_out),
        )

    def _gpu_pool(
        self, name: str, pool: GpuPoolInfo, subnet_id: pulumi.Input[str], disk_gib: int
    ) -> azure.containerservice.AgentPool:
        """A GPU AgentPool: driver installed by AKS, GPU taint and labels, autoscaling, spot and MIG options."""
        extra: dict[str, Any] = {}
        if pool.spot:
            extra.update(
                scale_set_priority=azure.containerservice.ScaleSetPriority.SPOT,
                scale_set_eviction_policy=azure.containerservice.ScaleSetEvictionPolicy.DELETE,
                spot_max_price=-1,
            )
        else:
            extra["upgrade_settings"] = azure.containerservice.AgentPoolUpgradeSettingsArgs(max_surge="1")
        if pool.sharing == "mig" and pool.mig_profile:
            extra["gpu_instance_profile"] = MIG_PROFILES[pool.mig_profile.split(".")[0]]
        forcing = {"vmSize": pool.instance_type, "gpuInstanceProfile": extra.get("gpu_instance_profile")}
        return azure.containerservice.AgentPool(
            child_name(name, f"gpu-{pool.name}"),
            agent_pool_name=agent_pool_name(pool.name, forcing),
            resource_name_=self.aks.name,
            resource_group_name=self.resource_group_name,
            mode=azure.containerservice.AgentPoolMode.USER,
            vm_size=pool.instance_type,
            os_type="Linux",
            os_sku="Ubuntu",
            os_disk_size_gb=disk_gib,
            count=pool.min_nodes,
            min_count=pool.min_nodes,
            max_count=pool.max_nodes,
            enable_auto_scaling=True,
            enable_node_public_ip=False,
            vnet_subnet_id=subnet_id,
            node_taints=gpu_taints(pool),
            node_labels=gpu_node_labels(pool, device_plugin=NEEDS_DEVICE_PLUGIN),
            gpu_profile=azure.containerservice.GPUProfileArgs(driver=azure.containerservice.GPUDriver.INSTALL),
            type="VirtualMachineScaleSets",
            tags=self._tags,
            opts=child_opts(self, ignore_changes=["count"], delete_before_replace=False),
            **extra,
        )

    def _federated_identity(
        self,
        name: str,
        role: str,
        namespace: str,
        service_account: str,
        parent: pulumi.Resource,
        protect: bool = False,
    ) -> tuple[azure.managedidentity.UserAssignedIdentity, azure.managedidentity.FederatedIdentityCredential]:
        """A user-assigned identity that exactly ``namespace/service_account`` may use through workload identity: the
        federated credential trusts the cluster's OIDC issuer for that subject and the token exchange audience.
        ``role`` prefixes the children's roles (``dns`` gives ``<name>-dns-identity``). ``protect``: the identity is
        protected against destroy (a platform identity on prod, as the cluster's)."""
        prefix = f"{role}-" if role else ""
        identity = azure.managedidentity.UserAssignedIdentity(
            child_name(name, f"{prefix}identity"),
            resource_name_=short_name(f"{self._args.cluster_name}-{name}" + (f"-{role}" if role else ""), 128),
            resource_group_name=self.resource_group_name,
            location=self._args.region,
            tags=self._tags,
            opts=child_opts(parent, protect=protect),
        )
        federated = azure.managedidentity.FederatedIdentityCredential(
            child_name(name, f"{prefix}federated"),
            federated_identity_credential_resource_name=short_name(f"{namespace}-{service_account}", 120),
            resource_name_=identity.name,
            resource_group_name=self.resource_group_name,
            issuer=self.oidc_issuer,
            subject=f"system:serviceaccount:{namespace}:{service_account}",
            audiences=[TOKEN_AUDIENCE],
            opts=child_opts(parent),
        )
        return identity, federated

    def _grant(
        self, name: str, namespace: str, service_account: str, loc: StorageLocation, parent: pulumi.Resource
    ) -> StorageAccess:
        """A user-assigned identity federated with ``namespace/service_account``, Blob Data Reader on the container."""
        identity, federated = self._federated_identity(name, "", namespace, service_account, parent)
        rg = self._storage_rg
        if rg is None:
            # The same refusal as check_cluster's (at config time), for programs that use the component directly.
            raise SpecError(
                "cluster.azure.storageResourceGroup",
                "not set",
                f"{loc.uri} is Azure blob storage; give the resource group of that storage account (this stack "
                "creates its own resource group, which holds no storage account)",
            )
        reader = azure.authorization.RoleAssignment(
            child_name(name, "storage-read"),
            principal_id=identity.principal_id,
            principal_type="ServicePrincipal",
            role_definition_id=self._subscription.apply(lambda s: role_definition(s, ROLE_BLOB_READER)),
            scope=self._subscription.apply(
                lambda s: (
                    f"/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/"
                    f"{loc.account}/blobServices/default/containers/{loc.bucket}"
                )
            ),
            opts=child_opts(parent),
        )
        return StorageAccess(
            service_account_annotations={CLIENT_ID_ANNOTATION: identity.client_id},
            service_account_labels={USE_LABEL: "true"},
            pod_labels={USE_LABEL: "true"},
            identity=identity.client_id,
            resources=(identity, federated, reader),
        )

    def request_log_store(
        self, name: str, namespace: str, service_account: str, request: LogStoreRequest, parent: pulumi.Resource
    ) -> LogStore:
        """A storage account for the records in the cluster's resource group (HTTPS only, TLS 1.2, no public blob
        access, no shared keys: Entra ID only), one blob container ``request-logs``, and a lifecycle management
        policy that deletes block blobs under ``<container>/<prefix>/`` ``retention_days`` after their last
        modification (learn.microsoft.com/azure/storage/blobs/lifecycle-management-overview: ``baseBlob.delete``
        ``daysAfterModificationGreaterThan``, ``prefixMatch`` starting with the container name); and a
        user-assigned identity federated with ``namespace/service_account`` holding a custom role, on the container
        only, whose data actions are ``.../blobs/write`` and ``.../blobs/add/action``: the permissions of Put Blob
        and Put Block List (MicrosoftDocs/azure-docs articles/storage/blobs/storage-auth-abac-attributes.md, "Blob
        writes for content ... Includes REST operations Put Blob, Copy Blob, Copy Blob From URL and Put Block
        List"); no read, list or delete. Azure RBAC scopes go no deeper than a container, so the prefix is not
        enforced by the grant.

        Vector's ``azure_blob`` sink authenticates with ``auth.azure_credential_kind: workload_identity``, whose
        client id, tenant and token file default to the ``AZURE_CLIENT_ID``, ``AZURE_TENANT_ID`` and
        ``AZURE_FEDERATED_TOKEN_FILE`` variables (vectordotdev/vector v0.56.0
        website/cue/reference/components/sinks/generated/azure_blob.cue, ``auth``) that the Azure Workload Identity
        webhook injects into pods labelled ``azure.workload.identity/use``. The platform creates the account: a
        ``bucket`` of the stack's is refused (RBAC and the lifecycle policy need the account's resource group)."""
        if request.bucket is not None and (why := request_log_bucket_problem(request.bucket)):
            raise SpecError("platform.requestLogs.bucket", request.bucket, why)
        container = "request-logs"
        clean = re.sub(r"[^a-z0-9]", "", self._args.cluster_name.lower())[:12]
        digest = hashlib.sha1(f"{self._args.cluster_name}/{name}".encode()).hexdigest()[:8]
        account = azure.storage.StorageAccount(
            child_name(name, "account"),
            account_name=f"{clean}logs{digest}",
            resource_group_name=self.resource_group_name,
            location=self._args.region,
            kind="StorageV2",
            sku=azure.storage.SkuArgs(name="Standard_LRS"),
            allow_blob_public_access=False,
            allow_shared_key_access=False,
            enable_https_traffic_only=True,
            minimum_tls_version="TLS1_2",
            tags=self._tags,
            opts=child_opts(parent),
        )
        blobs = azure.storage.BlobContainer(
            child_name(name, "container"),
            account_name=account.name,
            container_name=container,
            resource_group_name=self.resource_group_name,
            public_access=azure.storage.PublicAccess.NONE,
            opts=child_opts(parent),
        )
        retention = azure.storage.ManagementPolicy(
            child_name(name, "retention"),
            account_name=account.name,
            management_policy_name="default",
            resource_group_name=self.resource_group_name,
            policy=azure.storage.ManagementPolicySchemaArgs(
                rules=[
                    azure.storage.ManagementPolicyRuleArgs(
                        name="request-log-retention",
                        type="Lifecycle",
                        enabled=True,
                        definition=azure.storage.ManagementPolicyDefinitionArgs(
                            actions=azure.storage.ManagementPolicyActionArgs(
                                base_blob=azure.storage.ManagementPolicyBaseBlobArgs(
                                    delete=azure.storage.DateAfterModificationArgs(
                                        days_after_modification_greater_than=request.retention_days
                                    )
                                )
                            ),
                            filters=azure.storage.ManagementPolicyFilterArgs(
                                blob_types=["blockBlob"], prefix_match=[f"{container}/{request.prefix}/"]
                            ),
                        ),
                    )
                ]
            ),
            opts=child_opts(parent),
        )
        # the platform's one request-log identity outlives every model: protected on prod like the cluster's own
        # identities (policy prod-protect-stateful), while a model's identities are recreated with it
        identity, federated = self._federated_identity(
            name, "", namespace, service_account, parent, protect=self._args.protect
        )
        rg_scope = pulumi.Output.all(self._subscription, self.resource_group_name).apply(
            lambda a: f"/subscriptions/{a[0]}/resourceGroups/{a[1]}"
        )
        role = azure.authorization.RoleDefinition(
            child_name(name, "writer-role"),
            role_definition_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"mlplatform/{self._args.cluster_name}/{name}")),
            role_name=f"{self._args.cluster_name} request log writer",
            description="Create blobs in the request-log container; no read, list or delete",
            role_type="CustomRole",
            scope=rg_scope,
            assignable_scopes=[rg_scope],
            permissions=[azure.authorization.PermissionArgs(actions=[], data_actions=list(BLOB_WRITE_DATA_ACTIONS))],
            opts=child_opts(parent),
        )
        write = azure.authorization.RoleAssignment(
            child_name(name, "write"),
            principal_id=identity.principal_id,
            principal_type="ServicePrincipal",
            role_definition_id=role.id,
            scope=pulumi.Output.all(rg_scope, account.name).apply(
                lambda a: (
                    f"{a[0]}/providers/Microsoft.Storage/storageAccounts/{a[1]}/blobServices/default/containers/"
                    f"{container}"
                )
            ),
            opts=child_opts(parent, depends_on=[blobs]),
        )
        return LogStore(
            service_account_annotations={CLIENT_ID_ANNOTATION: identity.client_id},
            service_account_labels={USE_LABEL: "true"},
            pod_labels={USE_LABEL: "true"},
            identity=identity.client_id,
            resources=(account, blobs, retention, identity, federated, role, write),
            sink={
                "type": "azure_blob",
                "account_name": account.name,
                "container_name": container,
                "auth": {"azure_credential_kind": "workload_identity"},
            },
            location=account.name.apply(lambda a: f"https://{a}.blob.core.windows.net/{container}/{request.prefix}/"),
            retention_days=request.retention_days,
            key_option="blob_prefix",
        )

    def load_balancer_annotations(self, idle_timeout_seconds: int) -> Mapping[str, str]:
        """The Azure Standard Load Balancer's rules drop a flow idle for 4 minutes by default, settable from 4 to 100
        minutes (learn.microsoft.com azure/load-balancer/load-balancer-tcp-idle-timeout); the cloud provider sets
        it from ``service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout``, in minutes
        (kubernetes-sigs/cloud-provider-azure ``ServiceAnnotationLoadBalancerIdleTimeout``)."""
        minutes = max(AZURE_LB_MIN_IDLE_MINUTES, min(-(-idle_timeout_seconds // 60), AZURE_LB_MAX_IDLE_MINUTES))
        return {AZURE_LB_IDLE_TIMEOUT_ANNOTATION: str(minutes)}

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
        """A user-assigned identity federated with ``namespace/service_account`` with DNS Zone Contributor on the
        Azure DNS zone and Reader on its resource group (kubernetes-sigs/external-dns docs/tutorials/azure.md,
        "Managed identity using Workload Identity"; cert-manager.io/docs/configuration/acme/dns01/azuredns/)."""
        rg = zone.settings.get("resourceGroup")  # this cloud's dns_settings (components/clouds.py)
        if not rg:
            raise SpecError("platform.dns.resourceGroup", None, "give the resource group of the Azure DNS zone")
        zone_name = zone.id or zone.name
        # a platform identity: protected on prod like the cluster's own (policy prod-protect-stateful)
        identity, federated = self._federated_identity(
            name, "dns", namespace, service_account, parent, protect=self._args.protect
        )
        rg_scope = self._subscription.apply(lambda s: f"/subscriptions/{s}/resourceGroups/{rg}")
        contributor = azure.authorization.RoleAssignment(
            child_name(name, "dns-zone-contributor"),
            principal_id=identity.principal_id,
            principal_type="ServicePrincipal",
            role_definition_id=self._subscription.apply(lambda s: role_definition(s, ROLE_DNS_ZONE_CONTRIBUTOR)),
            scope=rg_scope.apply(lambda r: f"{r}/providers/Microsoft.Network/dnszones/{zone_name}"),
            opts=child_opts(parent),
        )
        resources: list[pulumi.Resource] = [identity, federated, contributor]
        if list_zones:  # cert-manager is given hostedZoneName: DNS Zone Contributor on the zone is enough
            resources.append(
                azure.authorization.RoleAssignment(
                    child_name(name, "dns-reader"),
                    principal_id=identity.principal_id,
                    principal_type="ServicePrincipal",
                    role_definition_id=self._subscription.apply(lambda s: role_definition(s, ROLE_READER)),
                    scope=rg_scope,
                    opts=child_opts(parent),
                )
            )
        client = azure.authorization.get_client_config_output()
        config = pulumi.Output.all(client.tenant_id, self._subscription).apply(
            lambda a: json.dumps(
                {
                    "tenantId": a[0],
                    "subscriptionId": a[1],
                    "resourceGroup": rg,
                    "useWorkloadIdentityExtension": True,
                },
                sort_keys=True,
            )
        )
        return DnsAccess(
            service_account_annotations={CLIENT_ID_ANNOTATION: identity.client_id},
            service_account_labels={USE_LABEL: "true"},
            pod_labels={USE_LABEL: "true"},
            identity=identity.client_id,
            resources=tuple(resources),
            acme_dns01={
                clouds.dns01_solver("azure"): {
                    "subscriptionID": self._subscription,
                    "resourceGroupName": rg,
                    "hostedZoneName": zone_name,
                    "environment": "AzurePublicCloud",
                    "managedIdentity": {"clientID": identity.client_id},
                }
            },
            external_dns={"provider": {"name": "azure"}},
            external_dns_files={"azure.json": config},
        )


def _first_subnet(cidr: str, new_prefix: int) -> str:
    """The first subnet of ``cidr`` with ``new_prefix`` (the node subnet)."""
    return str(next(ipaddress.ip_network(cidr).subnets(new_prefix=new_prefix)))


# ------------------------------------------------------------------------------------------------ webhook reach

TUNNEL_PORTS = ((10250, "Inbound"), (443, "Outbound"))
"""Ports the AKS Konnectivity tunnel needs: 10250 inside the virtual network, 443 egress (:func:`webhook_reach`)."""


def webhook_reach(resources: Sequence[Rendered], cluster: Rendered) -> list[str]:
    """AKS: the API server reaches nodes through the Konnectivity tunnel; admission webhooks fail when an NSG blocks
    tcp 10250 inside the virtual network or the nodes' egress on 443 (Microsoft, "Tunnel connectivity issues",
    MicrosoftDocs/SupportArticles-docs support/azure/azure-kubernetes/connectivity/tunnel-connectivity-issues.md,
    causes 1 and 4). So no rendered NSG rule may deny either."""
    groups: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for r in resources:
        if r.type == "azure-native:network:NetworkSecurityGroup":
            groups.setdefault(r.name, []).extend((r.name, rule) for rule in r.inputs.get("securityRules") or ())
        elif r.type == "azure-native:network:SecurityRule":
            groups.setdefault(str(r.inputs.get("networkSecurityGroupName", r.name)), []).append((r.name, r.inputs))
    problems: list[str] = []
    for group, rules in groups.items():
        for port, direction in TUNNEL_PORTS:
            matching = sorted(
                (
                    (int(rule.get("priority", 4096)), name, rule)
                    for name, rule in rules
                    if rule.get("direction") == direction
                    and rule.get("protocol") in ("Tcp", "*")
                    and port
                    in ports([rule["destinationPortRange"]] if rule.get("destinationPortRange") else [])
                    | ports(rule.get("destinationPortRanges") or ())
                ),
                key=lambda x: x[0],
            )
            if matching and matching[0][2].get("access") == "Deny":
                problems.append(
                    f"{group}: rule {matching[0][1]} denies {direction.lower()} tcp {port}, which the AKS tunnel to "
                    "the nodes (and so every admission webhook) needs"
                )
    return problems


WEBHOOK_REACH = {"azure-native:containerservice:ManagedCluster": webhook_reach}
"""The rule of :func:`components.clusters.reachability.webhook_problems` for this cloud's cluster type."""


def rendered_endpoint(inputs: Mapping[str, Any]) -> ApiEndpoint:
    """The API endpoint a rendered ``ManagedCluster`` declares (wire names): ``apiServerAccessProfile.
    enablePrivateCluster`` has no public endpoint; ``authorizedIPRanges`` limits a public one (absent: open) (AKS API
    ``ManagedClusterAPIServerAccessProfile``)."""
    profile = inputs.get("apiServerAccessProfile") or {}
    private = profile.get("enablePrivateCluster") is True
    return ApiEndpoint(not private, tuple(profile.get("authorizedIPRanges") or ()), private)


API_ENDPOINT = {"azure-native:containerservice:ManagedCluster": rendered_endpoint}
"""How :func:`components.clusters.rendered_endpoint` reads this cloud's cluster type."""


# ------------------------------------------------------------------------------------------------ node reservation

AKS_MAX_PODS_GPU = 250
"""Max pods of an AKS GPU pool, which the platform does not set (components/clusters/aks.py ``_gpu_pool``): AKS's
maximum with Azure CNI, 250 (learn.microsoft.com/azure/aks/quotas-skus-regions "Maximum pods per node"). Judgement:
the default of the overlay mode the cluster uses was not read from a first-party page; the maximum gives the largest
reservation, so the bound errs on the side of refusing."""
AKS_MAX_PODS_SYSTEM = 50
"""Max pods of the AKS system pool: components/clusters/aks.py sets ``max_pods=50``."""
AKS_CPU_RESERVED = ((1, 60), (2, 100), (4, 140), (8, 180), (16, 260), (32, 420), (64, 740))
"""AKS's "Kube-reserved CPU (millicores)" by "CPU cores on host" (learn.microsoft.com/azure/aks/
node-resource-reservations, CPU reservations). Judgement for a core count between two columns: the next larger
column's figure; above 64 cores, 740m plus 10m per core (the slope between 32 and 64 cores)."""


def node_reserved(instance_type: str, vcpus: int, memory_mib: int, system: bool) -> tuple[int, list[tuple[str, int]]]:
    """What an AKS node keeps from pods (components/serving/fit.py ``node_reserved``): the CPU of
    :data:`AKS_CPU_RESERVED`, and of memory "the lesser value of: 20 MB * Max Pods supported on the Node + 50 MB or 25%
    of the total system memory" (learn.microsoft.com/azure/aks/node-resource-reservations, AKS 1.29 and later; the
    platform pins 1.34); MB taken as MiB (judgement: the larger reading); max pods :data:`AKS_MAX_PODS_SYSTEM` or
    :data:`AKS_MAX_PODS_GPU`."""
    for cores, milli in AKS_CPU_RESERVED:
        if vcpus <= cores:
            cpu = milli
            break
    else:
        cpu = AKS_CPU_RESERVED[-1][1] + 10 * (vcpus - AKS_CPU_RESERVED[-1][0])
    pods = AKS_MAX_PODS_SYSTEM if system else AKS_MAX_PODS_GPU
    if 20 * pods + 50 < math.ceil(memory_mib / 4):
        return cpu, [(f"kube-reserved 20 x {pods} pods + 50", 20 * pods + 50)]
    return cpu, [("kube-reserved 25 % of memory", math.ceil(memory_mib / 4))]
