"""Azure in the policy rules: how each generic rule reads AKS, Key Vault, managed identity and role assignment
resources, and the rules that only concern Azure (``aks-entra-only``, ``keyvault-key-rotation``). Registered as
:attr:`components.clouds.Cloud.policy` of ``azure``."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import Any

from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map, dig, reading, who
from policy.rules.cluster import world
from policy.rules.disk import PoolDisk, machine_gpus, node_slots
from policy.rules.gpu import (
    ACCELERATOR_LABEL,
    HELM_TYPES,
    Pool,
    Preinstalled,
    gpus_of,
    int_of,
    operator_installs_driver,
    taints_of_list,
)
from policy.rules.identity import K8S_SUBJECT, Subject, ksa_bindings, paired_bindings
from policy.rules.nodepools import PoolLabels, with_gpus
from policy.rules.percloud import RENDERED, CloudPolicy, Part
from policy.rules.requestlog import (
    RETENTION_RULE,
    expiry_days_problem,
    is_log_store,
    is_log_writer,
    log_folder,
    none_expires,
    prefix_covers,
)
from policy.rules.timeouts import IdleTimeout

AKS = "azure-native:containerservice:ManagedCluster"
AKS_POOL = "azure-native:containerservice:AgentPool"
AKS_VAULT = "azure-native:keyvault:Vault"
VAULT_KEY = "azure-native:keyvault:Key"
AZ_IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
DIAGNOSTIC_SETTINGS = ("azure-native:monitor:DiagnosticSetting", "azure-native:insights:DiagnosticSetting")
AKS_AUDIT = ("kube-audit", "kube-audit-admin")
NO_NETWORK_POLICY = (None, "", "none")
"""AKS ``networkProfile.networkPolicy`` values that enforce nothing. pulumi_azure_native 3.29
containerservice/_enums.py ``NetworkPolicy`` has four values: ``none`` ("Network policies will not be enforced. This
is the default value when NetworkPolicy is not specified"), ``calico``, ``azure`` and ``cilium`` (which "requires
networkDataplane to be 'cilium'"); the other three enforce it."""


AKS_K8S_PATCHED = ("patch", "stable", "rapid")
"""AKS ``autoUpgradeProfile.upgradeChannel`` values that apply Kubernetes patch releases (pulumi_azure_native 3.29
containerservice/_enums.py ``UpgradeChannel``: "The default is 'none'"; ``none`` "Disables auto-upgrades and keeps
the cluster at its current version of Kubernetes"; ``node-image`` upgrades only the node image; ``patch``,
``stable`` and ``rapid`` upgrade to the latest supported patch release). The platform sets ``patch``
(components/clusters/aks.py)."""
AKS_OS_PATCHED = ("NodeImage", "SecurityPatch")
"""AKS ``autoUpgradeProfile.nodeOSUpgradeChannel`` values that patch every node, new ones included
(pulumi_azure_native 3.29 containerservice/_enums.py ``NodeOSUpgradeChannel``: ``NodeImage`` "AKS will update the
nodes with a newly patched VHD containing security fixes and bugfixes on a weekly cadence", ``SecurityPatch`` "AKS
downloads and updates the nodes with tested security updates"). ``None``: "No attempt to update your machines OS
will be made ... you are responsible for your security updates"; ``Unmanaged``: "Newly scaled in machines will be
unpatched initially" and on Windows "equivalent to None". Unset means the default, "The default is NodeImage"."""


# ------------------------------------------------------------------------------------------------ the cluster


def _api_exposure(res: Resource) -> str | None:
    """Why an AKS cluster has an API endpoint open to the whole internet, or None when it has not."""
    if res.type != AKS:
        return None
    access = as_map(res.props.get("apiServerAccessProfile"))
    if access.get("enablePrivateCluster") is True:
        return None
    ranges = access.get("authorizedIPRanges")
    if ranges is UNKNOWN:
        return None
    if not as_list(ranges):
        return "apiServerAccessProfile has neither enablePrivateCluster nor authorizedIPRanges"
    if world(ranges):
        return "apiServerAccessProfile.authorizedIPRanges allows 0.0.0.0/0"
    return None


def _secrets_encryption(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type == AKS:
        kms = as_map(as_map(res.props.get("securityProfile")).get("azureKeyVaultKms"))
        if kms.get("enabled") is not True:
            yield "Key Vault KMS encryption of Secrets is off: set securityProfile.azureKeyVaultKms.enabled"


WORKSPACE = "azure-native:operationalinsights:Workspace"
AUDIT_RETENTION_DAYS = {"prod": 90}
"""Days the AKS audit logs are kept, by environment (:data:`AUDIT_RETENTION_DEFAULT` on the others): what
docs/components/aks-cluster.md promises of the ``<name>-logs`` workspace the diagnostic setting writes to, "(30 days;
90 in prod)". Restated here, not read from components/clusters/aks.py (a slip there must not move the rule)."""
AUDIT_RETENTION_DEFAULT = 30
LOG_ANALYTICS_DEFAULT_RETENTION = 30
"""A workspace without ``retentionInDays``: "The default interactive retention period of all tables in a Log
Analytics workspace is 30 days" (learn.microsoft.com/azure/azure-monitor/logs/data-retention-configure);
pulumi_azure_native 3.29 operationalinsights/workspace.py ``retention_in_days``: "The workspace data retention in
days"."""


def _audit_destinations(ds: Resource, workspaces: Sequence[Resource]) -> list[Resource]:
    """The plan's Log Analytics workspaces a diagnostic setting writes to: its ``workspaceId`` is taken from one (the
    setting depends on it, the plan's ``dependsOn``; in a plain plan the id is known only after deploy) or names it
    (an ARM id ending ``/workspaces/<workspaceName>``). A workspace outside the plan keeps its owner's retention."""
    target = ds.props.get("workspaceId")
    out = []
    for ws in workspaces:
        name = ws.props.get("workspaceName")
        named = (
            isinstance(target, str) and isinstance(name, str) and target.lower().endswith(f"/workspaces/{name}".lower())
        )
        if ws.urn in ds.depends_on or named:
            out.append(ws)
    return out


def _audit_retention(ds: Resource, workspaces: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """rev17l 17: the workspace an AKS audit diagnostic setting writes to keeps the logs the promised days
    (:data:`AUDIT_RETENTION_DAYS`). The other clouds' plans hold no store of their control-plane logs (the EKS
    cluster's ``enabledClusterLogTypes`` and the GKE cluster's ``loggingConfig`` say which logs, not where they are
    kept or for how long), so only AKS's workspace is judged (a retention of theirs is not in the plan to judge)."""
    promised = AUDIT_RETENTION_DAYS.get(facts.environment, AUDIT_RETENTION_DEFAULT)
    for ws in _audit_destinations(ds, workspaces):
        days = ws.props.get("retentionInDays")
        if days is UNKNOWN:
            continue  # named by the share's reads
        shown = f"{days} days" if days is not None else f"{LOG_ANALYTICS_DEFAULT_RETENTION} days (no retentionInDays)"
        kept = days if days is not None else LOG_ANALYTICS_DEFAULT_RETENTION
        if not isinstance(kept, int) or isinstance(kept, bool) or kept < promised:
            yield Finding(
                ws.urn,
                f"Log Analytics workspace {ws.name}, where diagnostic setting {ds.name} sends the AKS audit logs, "
                f"keeps them {shown}: a {facts.environment} stack keeps them {promised} days "
                f"(docs/components/aks-cluster.md); set retentionInDays to at least {promised}",
            )


def _aks_audit(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    clusters = [r for r in resources if r.type == AKS]
    if not clusters:
        return
    ok = False
    workspaces = [r for r in resources if r.type == WORKSPACE]
    for ds in (r for r in resources if r.type in DIAGNOSTIC_SETTINGS):
        audit = False
        for log in as_list(ds.props.get("logs")):
            if not isinstance(log, dict) or log.get("enabled") is False:
                continue
            if log.get("category") in AKS_AUDIT or log.get("categoryGroup") in ("audit", "allLogs"):
                ok = audit = True
        if audit:
            yield from _audit_retention(ds, workspaces, facts)
    if not ok:
        for c in clusters:
            yield Finding(
                c.urn,
                "no diagnostic setting sends the AKS kube-audit (or kube-audit-admin) log anywhere: "
                "add a DiagnosticSetting on the cluster with that category enabled",
            )


def _workload_identity(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    for r in resources:
        if r.type != AKS:
            continue
        p = r.props
        oidc = as_map(p.get("oidcIssuerProfile")).get("enabled")
        wi = as_map(as_map(p.get("securityProfile")).get("workloadIdentity")).get("enabled")
        if oidc is not True or wi is not True:
            yield Finding(
                r.urn,
                "workload identity is off: set oidcIssuerProfile.enabled and securityProfile.workloadIdentity.enabled",
            )


def _aks_entra_only(res: Resource, facts: Facts) -> Iterator[str]:
    """AKS signs in through Entra ID only: ``disableLocalAccounts`` true ("If set to true, getting static credentials
    will be disabled for this cluster": ManagedCluster.DisableLocalAccounts, learn.microsoft.com dotnet API
    microsoft.azure.management.containerservice.models.managedcluster.disablelocalaccounts), Kubernetes RBAC on and
    Azure RBAC deciding who may call the API (MicrosoftDocs/azure-docs articles/aks/manage-azure-rbac.md). A local
    account's certificate kubeconfig is a cluster-admin credential outside Entra: no MFA, no revocation."""
    if res.type != AKS:
        return
    p = res.props
    if p.get("disableLocalAccounts") is not UNKNOWN and p.get("disableLocalAccounts") is not True:
        yield f"AKS cluster {res.name} keeps local accounts (disableLocalAccounts not true): a static admin kubeconfig"
    if p.get("enableRBAC") is False:
        yield f"AKS cluster {res.name} turns Kubernetes RBAC off (enableRBAC false)"
    aad = p.get("aadProfile")
    if aad is not UNKNOWN and not (isinstance(aad, Mapping) and aad.get("enableAzureRBAC") in (True, UNKNOWN)):
        yield f"AKS cluster {res.name} does not authorize through Azure RBAC (aadProfile.enableAzureRBAC)"


def _keyvault_rotation(res: Resource, facts: Facts) -> Iterator[str]:
    """A Key Vault key without a rotation policy. Advisory: the AKS KMS plugin (legacy experience) encrypts with one
    key version named in ``securityProfile.azureKeyVaultKms.keyId``; rotating means creating a new version and
    updating the plugin's keyID to it (the steps in Azure/kubernetes-kms#291; learn.microsoft.com/azure/aks/
    use-kms-etcd-encryption lists "Rotate the keys in a key vault" among the plugin's uses), which this platform
    does not automate yet. So a rotation policy alone would not rotate what AKS uses: the rule only advises."""
    if res.type != VAULT_KEY:
        return
    policy = as_map(res.props.get("properties")).get("rotationPolicy")
    if policy is UNKNOWN:
        return
    actions = as_list(as_map(policy).get("lifetimeActions"))
    if not any(str(as_map(as_map(a).get("action")).get("type", "")).lower() == "rotate" for a in actions):
        yield "Key Vault key has no rotationPolicy with a rotate action (AKS KMS then needs the new keyId)"


def _network_policy(res: Resource, facts: Facts) -> Iterator[str]:
    """AKS: ``networkProfile.networkPolicy`` set and not ``none`` (:data:`NO_NETWORK_POLICY`; ``cilium`` with
    ``networkDataplane: cilium``)."""
    if res.type != AKS:
        return
    off = "the cluster's network plugin does not enforce NetworkPolicy, so the models' and the gateway's "
    off += "NetworkPolicies have no effect"
    profile = res.props.get("networkProfile")
    if profile is UNKNOWN:
        return
    profile = as_map(profile)
    policy, dataplane = profile.get("networkPolicy"), profile.get("networkDataplane")
    if policy is UNKNOWN:
        return
    if policy in NO_NETWORK_POLICY or not isinstance(policy, str):
        yield f"{off}: networkProfile.networkPolicy is {policy or 'unset (none)'}"
    elif policy == "cilium" and dataplane not in ("cilium", UNKNOWN):
        yield f"{off}: networkPolicy cilium needs networkProfile.networkDataplane cilium, not {dataplane}"


def _tier(res: Resource, facts: Facts) -> Iterator[str]:
    """rev17k 17: the ManagedCluster's ``sku.tier`` is the tier the stack asks for (:attr:`Facts.control_plane_tier`,
    ``cluster.azure.tier``), and never Free on prod. Unset is Free ("The tier of a managed cluster SKU. If not
    specified, the default is 'Free'", pulumi_azure_native 3.x containerservice/_inputs.py ``ManagedClusterSKUArgs``);
    the Free tier has no uptime SLA and is "for experimenting, learning, simple testing, or workloads with fewer than
    10 nodes" (learn.microsoft.com/azure/aks/free-standard-pricing-tiers, linked from that docstring)."""
    sku = res.props.get("sku")
    tier = UNKNOWN if sku is UNKNOWN else as_map(sku).get("tier", "Free")
    if tier is UNKNOWN:
        return
    shown = str(tier)
    if facts.control_plane_tier is not None and shown.lower() != facts.control_plane_tier:
        yield (
            f"AKS cluster {res.name} sku.tier is {shown}, the stack asks for {facts.control_plane_tier} "
            "(cluster.azure.tier)"
        )
    if facts.environment == "prod" and shown.lower() == "free":
        yield f"AKS cluster {res.name} is on the Free tier on a prod stack: no uptime SLA; use Standard or Premium"


KV_SOFT_DELETE_DAYS = 90
"""The longest Key Vault soft-delete retention (``softDeleteRetentionInDays`` "accepts >=7 and <=90",
pulumi_azure_native 3.29.0 keyvault/_inputs.py VaultPropertiesArgs), the one components/clusters/aks.py gives."""


def _hardening(res: Resource, facts: Facts) -> Iterator[str]:
    """AKS: no node pool with ``enableNodePublicIP`` true ("Whether each node is allocated its own public IP ... The
    default is false", pulumi_azure_native 3.29 containerservice/_inputs.py); the Key Vault the platform creates
    authorizes data actions through Azure RBAC (``properties.enableRbacAuthorization`` true: "If null or not
    specified, the vault is created with the default value of false", keyvault/_inputs.py) and has purge protection
    (``enablePurgeProtection`` true: "only the Key Vault service may initiate a hard, irrecoverable deletion") for
    the longest soft-delete window (``softDeleteRetentionInDays`` unset or :data:`KV_SOFT_DELETE_DAYS`).
    The cluster's ``autoUpgradeProfile.nodeOSUpgradeChannel`` is unset or one of :data:`AKS_OS_PATCHED`.
    The Azure Policy add-on is on (``addonProfiles.azurepolicy.enabled`` true; an add-on runs only when the cluster
    enables it: learn.microsoft.com/azure/aks/integrations "Add-ons"; Azure Policy is AKS's policy enforcement beside
    Pod Security admission: learn.microsoft.com/azure/aks/use-pod-security-policies).
    Every GPU pool (a catalog GPU ``vmSize`` or the accelerator node label) gives ``osDiskSizeGB``
    (:func:`_gpu_os_disk`).
    Local accounts are ``aks-entra-only``'s; secrets encryption, audit logs and the API endpoint have their rules."""
    p = res.props
    if res.type == AKS:
        yield from _tier(res, facts)
        for pool in as_list(p.get("agentPoolProfiles")):
            if as_map(pool).get("enableNodePublicIP") is True:
                yield f"AKS pool {as_map(pool).get('name')} gives each node a public IP (enableNodePublicIP)"
            yield from _gpu_os_disk(as_map(pool), str(as_map(pool).get("name")))
        upgrade = p.get("autoUpgradeProfile")
        channel = UNKNOWN if upgrade is UNKNOWN else as_map(upgrade).get("nodeOSUpgradeChannel")
        if channel not in (UNKNOWN, None, *AKS_OS_PATCHED):
            yield (
                f"AKS nodes get no (or late) OS security patches: autoUpgradeProfile.nodeOSUpgradeChannel is "
                f"{channel}; give NodeImage or SecurityPatch"
            )
        addons = p.get("addonProfiles")
        policy = UNKNOWN if addons is UNKNOWN else as_map(addons).get("azurepolicy")
        enabled = UNKNOWN if policy is UNKNOWN else as_map(policy).get("enabled")
        if enabled is not UNKNOWN and enabled is not True:
            yield (
                "AKS Azure Policy add-on is off (addonProfiles.azurepolicy.enabled is "
                f"{enabled!r}): no Gatekeeper guardrails on the cluster's workloads"
            )
        profile = p.get("securityProfile")
        cleaner = UNKNOWN if profile is UNKNOWN else as_map(profile).get("imageCleaner")
        cleaning = UNKNOWN if cleaner is UNKNOWN else as_map(cleaner).get("enabled")
        if cleaning is not UNKNOWN and cleaning is not True:
            # pulumi_azure_native 3.29 containerservice/_inputs.py ManagedClusterSecurityProfileImageCleanerArgs:
            # "Image Cleaner removes unused images from nodes, freeing up disk space and helping to reduce attack
            # surface area"; "Whether to enable Image Cleaner on AKS cluster" (off unless given; rev17l 16)
            yield (
                f"AKS Image Cleaner is off (securityProfile.imageCleaner.enabled is {cleaning!r}): unused images, "
                "vulnerable ones included, stay on the nodes"
            )
        k8s_channel = UNKNOWN if upgrade is UNKNOWN else as_map(upgrade).get("upgradeChannel")
        if k8s_channel is not UNKNOWN and k8s_channel not in AKS_K8S_PATCHED:
            yield (
                f"AKS gets no Kubernetes patch releases: autoUpgradeProfile.upgradeChannel is {k8s_channel or 'unset'}"
                f" (default none); give one of {', '.join(AKS_K8S_PATCHED)}"
            )
    elif res.type == AKS_POOL:
        if p.get("enableNodePublicIP") is True:
            yield f"AKS pool {res.name} gives each node a public IP (enableNodePublicIP)"
        yield from _gpu_os_disk(p, res.name)
    elif res.type == AKS_VAULT:
        props = p.get("properties")
        if props is UNKNOWN:
            return
        props = as_map(props)
        if props.get("enableRbacAuthorization") not in (True, UNKNOWN):
            yield f"Key Vault {res.name} authorizes data actions by access policies: set enableRbacAuthorization true"
        if props.get("enablePurgeProtection") not in (True, UNKNOWN):
            yield f"Key Vault {res.name} has no purge protection (enablePurgeProtection true)"
        retention = props.get("softDeleteRetentionInDays")
        # rev17m 02: pulumi_azure_native 3.29.0 keyvault/_inputs.py VaultPropertiesArgs soft_delete_retention_in_days:
        # "softDelete data retention days. It accepts >=7 and <=90" (90 when not given: the SDK sets 90); purge
        # protection keeps a deleted vault or key only that long. The vault holds the AKS etcd key: anything short of
        # the longest window shortens the time a deletion of the key can be undone.
        if retention not in (None, UNKNOWN, KV_SOFT_DELETE_DAYS):
            yield (
                f"Key Vault {res.name} keeps a deleted vault or key {retention!r} days (softDeleteRetentionInDays), "
                f"not {KV_SOFT_DELETE_DAYS}: a deletion of the etcd key unnoticed that long cannot be undone"
            )


def _gpu_os_disk(profile: Mapping[str, Any], name: str) -> Iterator[str]:
    """A GPU pool without ``osDiskSizeGB`` (or 0) gets "the default osDisk size according to the vmSize specified"
    (pulumi_azure_native 3.29 containerservice/agent_pool.py ``os_disk_size_gb``: "OS Disk Size in GB to be used to
    specify the disk size for every machine in the master/agent pool. If you specify 0, it will apply the default
    osDisk size according to the vmSize specified"; the same words at learn.microsoft.com/en-us/dotnet/api/
    microsoft.azure.management.containerservice.models.managedclusteragentpoolprofileproperties.osdisksizegb),
    not the stack's ``diskSizeGib`` that the plan-time disk check counted: ``gpu-pool-disk-fits`` reads no size there
    and judges nothing, and the images and downloads may not fit (rev17h h27). The platform always renders it
    (components/clusters/aks.py ``_gpu_pool``)."""
    if not gpus_of(profile.get("vmSize")) and ACCELERATOR_LABEL not in as_map(profile.get("nodeLabels")):
        return
    size = profile.get("osDiskSizeGB")
    if size is not UNKNOWN and (size is None or size == 0):
        yield (
            f"AKS GPU pool {name} gives no osDiskSizeGB ({'0' if size == 0 else 'unset'}): its nodes get the VM "
            "size's default OS disk, not the stack's diskSizeGib the disk check counted; give osDiskSizeGB"
        )


_VERSIONED = re.compile(r"(azure-native:[A-Za-z0-9]+)/v[0-9]{8}(preview)?(:[A-Za-z0-9]+)", re.ASCII)


def canonical(type_: str) -> str:
    """An azure-native type of an explicit API version as the default-version type the shares read
    (``azure-native:containerservice/v20240801:AgentPool`` -> ``azure-native:containerservice:AgentPool``): the
    default-version classes list every versioned token as an alias of the same resource (pulumi_azure_native 3.29.0
    containerservice/agent_pool.py and managed_cluster.py: ``pulumi.Alias(type_="azure-native:containerservice/
    v20240801:AgentPool")``... ``v20260502preview``), so both spellings take the same inputs."""
    m = _VERSIONED.fullmatch(type_)
    return f"{m[1]}{m[3]}" if m else type_


# ------------------------------------------------------------------------------------------------ GPU pools

AKS_PROFILE_READS = ("vmSize", "nodeLabels.*", "nodeTaints.*", "enableAutoScaling", "maxCount", "count")


def _aks_profile(res: Resource, profile: Mapping[str, Any], label: str) -> Pool | None:
    gpus = gpus_of(profile.get("vmSize"))
    if not gpus and ACCELERATOR_LABEL not in as_map(profile.get("nodeLabels")):
        return None
    auto = profile.get("enableAutoScaling")
    max_nodes = int_of(profile.get("maxCount")) if auto is not False else int_of(profile.get("count"))
    if max_nodes is None:
        max_nodes = int_of(profile.get("count"))
    return Pool(
        res,
        label,
        taints_of_list(profile.get("nodeTaints")),
        as_map(profile.get("nodeLabels")),
        gpus or None,
        max_nodes,
    )


def _gpu_pools(res: Resource) -> list[Pool] | None:
    """The GPU pools of an AKS agent pool or a cluster's inline agent pool profiles (None for another type)."""
    p = res.props
    if res.type == AKS_POOL:
        pool = _aks_profile(res, p, f"agent pool {res.name}")
        return [pool] if pool else []
    if res.type == AKS:
        found = []
        for prof in as_list(p.get("agentPoolProfiles")):
            if isinstance(prof, Mapping):
                pool = _aks_profile(res, prof, f"agent pool profile {prof.get('name', '?')}")
                if pool:
                    found.append(pool)
        return found
    return None


# ------------------------------------------------------------------------------------------------ identity and storage

AZ_FIC = "azure-native:managedidentity:FederatedIdentityCredential"
AZ_ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
AZURE_AUDIENCE = "api://AzureADTokenExchange"


ROLE_BLOB_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
"""Storage Blob Data Reader (Azure built-in roles)."""


STORAGE_DATA_ROLES = {
    ROLE_BLOB_READER: "Storage Blob Data Reader",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "c12c1c16-33a1-487b-954d-41c89c60f349": "Reader and Data Access",
    "17d1049b-9a84-46fb-8f53-869881c3d3ab": "Storage Account Contributor",
}
"""Azure built-in roles that reach blob data (by role definition id): the three blob data roles, and the two that
may list the account keys (Microsoft.Storage/storageAccounts/listkeys/action)."""


WIDE_AZURE_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
}
"""Azure built-in roles that reach every storage account under their scope: Owner and Contributor allow the actions
``*`` (so ``Microsoft.Storage/storageAccounts/listKeys/action``, and an account key reads every blob); User Access
Administrator (``Microsoft.Authorization/*``) and Role Based Access Control Administrator
(``roleAssignments/write``) may assign themselves any data role. Ids and actions: MicrosoftDocs/azure-docs
articles/role-based-access-control/built-in-roles/privileged.md (the role JSON of each)."""


_STORAGE_PROVIDER = "/providers/microsoft.storage/"


_SUB_OR_RG = re.compile(r"/subscriptions/[^/]+(/resourceGroups/[^/]+)?/?", re.ASCII | re.IGNORECASE)


def _reaches_storage(scope: str) -> bool:
    """True when an assignment at ``scope`` covers storage accounts: the root, a management group, a subscription, a
    resource group, or a storage account (or anything inside one). Azure RBAC: "Scopes are structured in a
    parent-child relationship ... You can assign roles at any of these levels" and lower levels inherit
    (learn.microsoft.com/azure/role-based-access-control/scope-overview)."""
    low = scope.lower()
    return (
        low in ("", "/")
        or low.startswith("/providers/microsoft.management/managementgroups/")
        or _SUB_OR_RG.fullmatch(scope) is not None
        or _STORAGE_PROVIDER in low
    )


def _role_id(res: Resource) -> str:
    """The role definition GUID of a role assignment (the last segment of ``roleDefinitionId``), lower case."""
    return str(res.props.get("roleDefinitionId", "")).rsplit("/", 1)[-1].lower()


AZURE_CONTAINER_SCOPE = re.compile(
    r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Storage/storageAccounts/[a-z0-9]{3,24}"
    r"/blobServices/default/containers/[a-z0-9]([-a-z0-9]*[a-z0-9])?",
    re.ASCII | re.IGNORECASE,
)


AZURE_SA_ANNOTATION = "azure.workload.identity/client-id"
"""The KSA annotation naming the user-assigned identity it acts as (Azure/azure-workload-identity; the same key
components/clusters/aks.py sets)."""


def _fic_issuers(resources: Sequence[Resource]) -> Iterator[Finding]:
    """Each federated credential trusts the OIDC issuer of the AKS cluster of this stack, not any https URL.

    Microsoft's workload identity walk-through sets the credential's ``issuer`` to the cluster's own
    ``oidcIssuerProfile.issuerUrl`` (``az aks show ... --query oidcIssuerProfile.issuerUrl``; MicrosoftDocs/azure-docs
    articles/aks/workload-identity-deploy-cluster.md, "Establish federated identity credential"): Entra then
    accepts only tokens that cluster signed for the subject. When the cluster's issuer URL is visible (CrossGuard's
    stack policies see outputs) the credential's issuer must equal it; in a plan (inputs only) it must at least be
    taken from the cluster (the credential depends on the ManagedCluster), so a fixed string fails."""
    fics = [r for r in resources if r.type == AZ_FIC]
    if not fics:
        return
    clusters = [r for r in resources if r.type == AKS]
    urns = {c.urn for c in clusters}
    known = {u for c in clusters if isinstance(u := dig(c.props, "oidcIssuerProfile.issuerURL"), str) and u}
    for f in fics:
        issuer = f.props.get("issuer")
        if issuer in (None, "") or issuer is UNKNOWN:
            continue  # unchecked (the rule's unknown says so); judged over placeholders in the plan
        if not clusters:
            yield Finding(
                f.urn, f"federated credential {f.name} trusts issuer {issuer!r}: this stack has no AKS cluster"
            )
        elif known and issuer not in known:
            yield Finding(
                f.urn,
                f"federated credential {f.name} trusts issuer {issuer!r}, not the cluster's OIDC issuer "
                f"({', '.join(sorted(known))})",
            )
        elif not known and not urns & set(f.depends_on):
            yield Finding(
                f.urn,
                f"federated credential {f.name} trusts issuer {issuer!r}, which is not taken from the AKS cluster's "
                "oidcIssuerProfile.issuerURL: give the cluster's issuer output",
            )


def _unknown_doc(res: Resource) -> str | None:
    if res.type == AZ_FIC and res.props.get("subject") is UNKNOWN:
        return f"subject of {res.name}"
    if res.type == AZ_FIC and res.props.get("issuer") in (None, "", UNKNOWN):
        # the plan's mocks echo the cluster's inputs, so the issuer URL (an output) arrives empty
        return f"issuer of {res.name}"
    if res.type == AZ_ROLE_ASSIGNMENT:
        if res.props.get("roleDefinitionId") is UNKNOWN:
            return f"role of {res.name}"
        role_id = _role_id(res)
        if (role_id in STORAGE_DATA_ROLES or role_id in WIDE_AZURE_ROLES) and res.props.get("scope") is UNKNOWN:
            return f"scope of {res.name}"
    return None


def _trust(res: Resource, facts: Facts) -> Iterator[str]:
    """A federated identity credential on its own: one ServiceAccount, an https issuer, the token exchange audience."""
    p = res.props
    if res.type == AZ_FIC:
        subject = p.get("subject")
        if subject is not UNKNOWN and not K8S_SUBJECT.fullmatch(str(subject)):
            yield (
                f"federated credential {res.name} subject {subject!r} is not one ServiceAccount "
                "(system:serviceaccount:<namespace>:<name>)"
            )
        issuer = p.get("issuer")
        if isinstance(issuer, str) and issuer and not re.fullmatch(r"https://[^\s/]+/\S*", issuer, re.ASCII):
            yield f"federated credential {res.name} issuer {issuer!r} is not the cluster's https issuer"
        audiences = p.get("audiences")
        if audiences is not UNKNOWN and _strings(audiences) != [AZURE_AUDIENCE]:
            yield f"federated credential {res.name} audiences {audiences!r}: give [{AZURE_AUDIENCE}]"


def _storage(r: Resource, facts: Facts) -> Iterator[str]:
    """One role assignment that reaches blob data, on its own (a CrossGuard ResourceValidationPolicy); the
    request-log writer's is ``request-log-write-only``'s (:func:`_log_write`)."""
    if is_log_writer(r):
        return
    p = r.props
    if r.type == AZ_ROLE_ASSIGNMENT:
        role_id, scope = _role_id(r), p.get("scope")
        if scope is UNKNOWN or p.get("roleDefinitionId") is UNKNOWN:
            return
        if role_id in WIDE_AZURE_ROLES:
            if not isinstance(scope, str) or _reaches_storage(scope):
                yield (
                    f"{r.name} grants {WIDE_AZURE_ROLES[role_id]} on {scope!r}: that reaches every storage account "
                    "under it (account keys, or any role it assigns itself); a model reads: give Storage Blob Data "
                    "Reader on its container"
                )
            return
        in_storage = isinstance(scope, str) and _STORAGE_PROVIDER in scope.lower()
        if role_id not in STORAGE_DATA_ROLES and not in_storage:
            return
        if role_id != ROLE_BLOB_READER:
            what = STORAGE_DATA_ROLES.get(role_id, f"role {role_id}")
            yield f"{r.name} grants {what} on storage: a model reads; give Storage Blob Data Reader"
        if not isinstance(scope, str) or not AZURE_CONTAINER_SCOPE.fullmatch(scope):
            yield (f"{r.name} is scoped to {scope!r}: scope it to one blob container")


def _strings(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value]) if v is not None]


def _subjects(r: Resource) -> list[Subject | None] | None:
    if r.type != AZ_FIC:
        return None
    subject = r.props.get("subject")
    match = K8S_SUBJECT.fullmatch(str(subject)) if subject is not UNKNOWN else None
    return [(match["ns"], match["sa"]) if match else None]


def _owner(r: Resource) -> str | None:
    client = r.props.get("clientId")
    return client if r.type == AZ_IDENTITY and isinstance(client, str) and client else None


def _pair(r: Resource) -> tuple[str | None, Subject | None] | None:
    """A federated credential belongs to the identity it depends on (it sits under ``identity.name``)."""
    subject = r.props.get("subject")
    if r.type != AZ_FIC or not isinstance(subject, str):
        return None
    match = K8S_SUBJECT.fullmatch(subject)
    return (None, (match["ns"], match["sa"]) if match else None)


def _binding(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """The federated credentials and the annotated ServiceAccounts agree, and trust the cluster's own issuer."""
    yield from ksa_bindings(resources, AZURE_SA_ANNOTATION, "federated credential", _subjects)
    yield from _fic_issuers(resources)
    yield from paired_bindings(resources, AZURE_SA_ANNOTATION, _owner, _pair)
    yield from _model_pods_use_identity(resources)


_ISVC_TYPE = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
_WI_COMPONENTS = ("predictor", "transformer", "explainer")


def _model_pods_use_identity(resources: Sequence[Resource]) -> Iterator[Finding]:
    """Every component of an InferenceService that runs as a ServiceAccount carrying ``azure.workload.identity/
    client-id`` labels its pods ``azure.workload.identity/use: "true"`` (rev17m-18). Azure Workload Identity's
    webhook injects the federated token only into pods with that label (the Pod labels table: ``azure.workload.
    identity/use``, "Represents the pod is to be used for workload identity", required; MicrosoftDocs/azure-docs
    articles/aks/workload-identity-overview.md, and Azure/azure-workload-identity docs/book/src/topics/
    service-account-labels-and-annotations.md, cited at ``helm-workload-identity-pod-label`` below); KServe puts a
    component's ``labels`` on its pods (v1beta1 ComponentExtensionSpec ``Labels``: "Labels that will be added to the
    component pod", kserve pkg/apis/serving/v1beta1/component.go). Without it the storage initializer has no Azure
    credential and a model in private blob storage never loads."""
    annotated = {
        (r.namespace, r.k8s_name)
        for r in resources
        if r.type == "kubernetes:core/v1:ServiceAccount"
        and as_map(r.metadata.get("annotations")).get(AZURE_SA_ANNOTATION) not in (None, "")
    }
    for model in (r for r in resources if r.type == _ISVC_TYPE):
        spec = as_map(model.props.get("spec"))
        for component in _WI_COMPONENTS:
            part = spec.get(component)
            if not isinstance(part, Mapping) or (model.namespace, part.get("serviceAccountName")) not in annotated:
                continue
            labels = part.get("labels")
            if labels is UNKNOWN or as_map(labels).get(_WI_USE_LABEL) is UNKNOWN:
                continue
            got = as_map(labels).get(_WI_USE_LABEL)
            if got != "true":
                yield Finding(
                    model.urn,
                    f"InferenceService {model.namespace}/{model.k8s_name} {component} runs as ServiceAccount "
                    f"{part.get('serviceAccountName')} (azure.workload.identity/client-id) but its pods' label "
                    f'{_WI_USE_LABEL} is {got!r}, not "true": Azure Workload Identity injects no token and the model '
                    "cannot read its storage",
                )


# ------------------------------------------------------------------------------------------------ IAM beyond storage

ROLE_DNS_ZONE_CONTRIBUTOR = "befefa01-2a29-4197-83a8-272ff33ce314"
"""Azure built-in role "DNS Zone Contributor" (the id of components/clusters/aks.py ``ROLE_DNS_ZONE_CONTRIBUTOR``,
restated so a slip there does not move the rule). learn.microsoft.com/azure/dns/dns-protect-zones-recordsets, "DNS
Zone Contributor role": granted on a resource group that holds several zones, it gives control over every one of
them; the page's way to limit it is a zone-level assignment."""
DNS_ZONE_SCOPE = re.compile(
    r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/dnszones/[^/]+", re.ASCII | re.IGNORECASE
)
"""One Azure DNS zone's resource id: a role assignment there reaches that zone only (Azure RBAC scopes are inherited
by child resources: learn.microsoft.com/azure/role-based-access-control/scope-overview)."""

_SUB_RG_OR_ABOVE = re.compile(r"(/subscriptions/[^/]+(/resourceGroups/[^/]+)?)?/?", re.ASCII | re.IGNORECASE)


def _scope_is_wide(scope: str) -> bool:
    low = scope.lower()
    return low.startswith("/providers/microsoft.management/managementgroups/") or bool(
        _SUB_RG_OR_ABOVE.fullmatch(scope)
    )


_ABOVE_RG = re.compile(r"(/subscriptions/[^/]+)?/?", re.ASCII | re.IGNORECASE)


def _above_resource_group(scope: str) -> bool:
    """rev17k 15: a scope above any resource group: the root (``/``), a management group or a subscription. Azure
    RBAC scopes nest management group > subscription > resource group > resource, and "lower levels inherit role
    permissions from higher levels" (learn.microsoft.com/azure/role-based-access-control/scope-overview): an
    assignment there, whatever the role (Reader included: every resource's configuration), reaches every resource
    group of the subscription. Every assignment the platform makes (components/clusters/aks.py) is at a resource group
    (external-dns's Reader on the zone's group), a resource or a container."""
    return scope.lower().startswith("/providers/microsoft.management/managementgroups/") or bool(
        _ABOVE_RG.fullmatch(scope)
    )


def _iam(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type != AZ_ROLE_ASSIGNMENT:
        return
    p = res.props
    scope = p.get("scope")
    if p.get("roleDefinitionId") is UNKNOWN or scope is UNKNOWN:
        return
    if _role_id(res) == ROLE_DNS_ZONE_CONTRIBUTOR and not DNS_ZONE_SCOPE.fullmatch(str(scope)):
        yield (
            f"{res.name} assigns DNS Zone Contributor at {scope!r}, not one Azure DNS zone "
            "(.../providers/Microsoft.Network/dnszones/<zone>): every zone under that scope, present and future"
        )
    if isinstance(scope, str) and _above_resource_group(scope):
        yield (
            f"{res.name} assigns role {_role_id(res) or '?'} at {scope!r} (a subscription, management group or the "
            "root): it reaches every resource group under it; the platform assigns at its resource group or below"
        )
    role = WIDE_AZURE_ROLES.get(_role_id(res))
    if role is not None and (not isinstance(scope, str) or _scope_is_wide(scope)):
        yield (
            f"{res.name} assigns {role} at {scope!r} (a subscription, resource group or above): it reaches "
            "every resource under it; give a narrower role on the one resource"
        )


ROLE_KV_CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"
ROLE_KV_CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
KMS_VAULT_ROLES = {
    ROLE_KV_CRYPTO_USER: "Key Vault Crypto User",
    ROLE_KV_CRYPTO_SERVICE_ENCRYPTION_USER: "Key Vault Crypto Service Encryption User",
}
"""rev17m 01: the only roles an assignment on the Key Vault that holds the AKS etcd key may carry (the ids of
components/clusters/aks.py ``ROLE_KV_CRYPTO_USER`` restated, so a slip there does not move the rule). MicrosoftDocs/
azure-docs articles/key-vault/general/rbac-guide.md, "Azure built-in roles for Key Vault data plane operations":
Key Vault Crypto User "Perform cryptographic operations using keys" (12338af0-...); Key Vault Crypto Service
Encryption User "Read metadata of keys and perform wrap/unwrap operations" (e147488a-...); against Key Vault Crypto
Officer "Perform any action on the keys of a key vault, except manage permissions" (14b46e9e-..., delete and rotate
included) and Key Vault Administrator "Perform all data plane operations on a key vault and all objects in it"."""


def _on_vault(vault: Resource, res: Resource) -> bool:
    """Whether role assignment ``res`` is scoped to ``vault``: its scope is the vault's id (an output: the plan shows
    the dependency on the vault) or an id under ``.../providers/Microsoft.KeyVault/vaults/<vaultName>``."""
    if vault.urn in res.depends_on:
        return True
    scope, props = res.props.get("scope"), vault.props
    name = props.get("vaultName")
    return (
        isinstance(scope, str)
        and isinstance(name, str)
        and f"/providers/microsoft.keyvault/vaults/{name.lower()}" in scope.lower()
    )


def _vault_roles(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """rev17m 01: every role assignment on the platform's Key Vault (the AKS KMS key's) gives a role of
    :data:`KMS_VAULT_ROLES`: the control plane wraps and unwraps etcd's keys with it and needs nothing more; a role
    that may delete or rotate the key lets anything acting as that identity make every Secret of the cluster
    unreadable."""
    vaults = [r for r in resources if r.type == AKS_VAULT]
    for res in resources:
        if res.type != AZ_ROLE_ASSIGNMENT or res.props.get("roleDefinitionId") is UNKNOWN:
            continue
        role = _role_id(res)
        if role in KMS_VAULT_ROLES:
            continue
        for vault in vaults:
            if _on_vault(vault, res):
                yield Finding(
                    res.urn,
                    f"{res.name} assigns role {role or '?'} on Key Vault {vault.name}, which holds the AKS etcd key: "
                    f"only {' or '.join(KMS_VAULT_ROLES.values())} (wrap/unwrap), not a role that may delete or "
                    "rotate the key",
                )


def _iam_unknown(res: Resource) -> str | None:
    """Every role assignment's role and scope are read (the scope of any role: :func:`_above_resource_group`)."""
    if res.type != AZ_ROLE_ASSIGNMENT:
        return None
    if res.props.get("roleDefinitionId") is UNKNOWN:
        return f"role of {res.name}"
    if res.props.get("scope") is UNKNOWN:
        return f"scope of {res.name}"
    return None


# ------------------------------------------------------------------------------------------------ request-log writer

AZ_ROLE_DEFINITION = "azure-native:authorization:RoleDefinition"
BLOB_WRITES = frozenset(
    {
        "microsoft.storage/storageaccounts/blobservices/containers/blobs/write",
        "microsoft.storage/storageaccounts/blobservices/containers/blobs/add/action",
    }
)
"""The blob writes the writer's role may hold (components/clusters/aks.py ``BLOB_WRITE_DATA_ACTIONS``)."""


def azure_role_problems(res: Resource) -> list[str]:
    """Why the writer's role grants more than blob writes: no control-plane ``actions``, no other data actions."""
    problems: list[str] = []
    for perm in as_list(res.props.get("permissions")):
        perm = as_map(perm)
        if as_list(perm.get("actions")):
            problems.append(f"grants control-plane actions {as_list(perm.get('actions'))}: the log writer needs none")
        extra = [a for a in _strings(perm.get("dataActions")) if a.lower() not in BLOB_WRITES]
        if extra:
            problems.append(f"grants data actions {extra}: the log writer may only write blobs")
    return problems


def _log_write(res: Resource, facts: Facts) -> Iterator[str]:
    """The request-log writer's role (named ``...-request-logs-writer-role``) and its assignment to one container."""
    if res.type == AZ_ROLE_DEFINITION:
        for problem in azure_role_problems(res):
            yield f"request-log writer role {res.name} {problem}"
    elif res.type == AZ_ROLE_ASSIGNMENT:
        scope = res.props.get("scope")
        if scope is not UNKNOWN and (not isinstance(scope, str) or not AZURE_CONTAINER_SCOPE.fullmatch(scope)):
            yield f"request-log writer {res.name} is scoped to {scope!r}: scope it to the log container"


# ------------------------------------------------------------------------------------------------ GPU images

AKS_PREINSTALLED = frozenset({"driver", "toolkit"})
"""What an AKS GPU pool's image carries unless the pool skips the driver: "AKS images include a preinstalled NVIDIA
GPU Driver and preinstalled NVIDIA Container Toolkit" (docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/
microsoft-aks.html); the way out is a pool created with ``gpuProfile.driver: None`` ("set the API field
--gpu-driver to none ... to skip the automatic GPU driver installation", learn.microsoft.com/azure/aks/
nvidia-gpu-operator). pulumi_azure_native 3.29 containerservice ``GPUDriver``: ``Install`` (the default) and
``None``."""


def _preinstalled(res: Resource) -> Any:
    """An AKS GPU pool whose image carries the driver and toolkit (:data:`AKS_PREINSTALLED`)."""
    if res.type != AKS_POOL or gpus_of(res.props.get("vmSize")) == 0:
        return None
    driver = as_map(res.props.get("gpuProfile")).get("driver", "Install")
    if driver == "None":
        return None
    return Preinstalled(f"AgentPool {res.name} (gpuProfile.driver {driver})", AKS_PREINSTALLED)


def _gpu_profiles(res: Resource) -> list[tuple[str, Any]]:
    """(label, ``gpuProfile``) of each GPU agent pool of an AgentPool or a cluster's inline ``agentPoolProfiles``."""
    if res.type == AKS_POOL:
        if gpus_of(res.props.get("vmSize")) == 0:
            return []
        return [(f"agent pool {res.name}", res.props.get("gpuProfile"))]
    if res.type == AKS:
        return [
            (f"cluster {res.name} agent pool {as_map(p).get('name')}", as_map(p).get("gpuProfile"))
            for p in as_list(res.props.get("agentPoolProfiles"))
            if gpus_of(as_map(p).get("vmSize")) > 0
        ]
    return []


def _gpu_driver_installed(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """rev17i i09: an AKS GPU pool whose ``gpuProfile.driver`` is ``None`` gets no NVIDIA driver from AKS ("set the
    API field --gpu-driver to none ... to skip the automatic GPU driver installation", learn.microsoft.com/azure/aks/
    nvidia-gpu-operator); pulumi_azure_native 3.29.0 containerservice/_enums.py ``GPUDriver``: "Whether to install
    GPU drivers. When it's not specified, default is Install", values ``Install`` and ``None``. Unless a gpu-operator
    release installs the driver (the platform's does not: components/platform/gpu.py ``driver.enabled: False``), no
    GPU is ever advertised and every GPU model stays Pending."""
    operator = operator_installs_driver(resources)
    for res in resources:
        for label, profile in _gpu_profiles(res):
            if profile is UNKNOWN:
                continue
            driver = as_map(profile).get("driver", "Install")
            if driver is UNKNOWN or driver == "Install" or (driver == "None" and operator):
                continue
            yield Finding(
                res.urn,
                f"AKS GPU {label} has gpuProfile.driver {driver!r} and no gpu-operator release installs the driver: "
                "its nodes advertise no nvidia.com/gpu, GPU models stay Pending; use driver Install (or unset)",
            )


# ------------------------------------------------------------------------------------------------ zones


def _pool_zones(res: Resource, facts: Facts) -> Iterator[str]:
    """Every AKS system pool (the cluster's inline ``agentPoolProfiles`` of mode ``System``, and a System
    ``AgentPool``) spans the stack's ``cluster.zones`` zones: "You can't change the number of availability zones
    after you create a node pool" (learn.microsoft.com/azure/aks/reliability-availability-zones-configure,
    "Limitations and considerations"), so a pool created in fewer zones (rev17c c16: ``availability_zones=None``)
    stays a single-zone failure domain until it is replaced. User pools are not held to it: the platform's GPU pools
    are regional on purpose (docs/components/aks-cluster.md: GPU sizes are often not zonal, Azure/AKS#1444)."""
    if facts.zones is None:
        return
    pools: list[tuple[str, Any]] = []
    if res.type == AKS:
        for i, profile in enumerate(as_list(res.props.get("agentPoolProfiles"))):
            if as_map(profile).get("mode") == "System":
                pools.append((f"agentPoolProfiles[{i}] {as_map(profile).get('name')}", profile))
    elif res.type == AKS_POOL and res.props.get("mode") == "System":
        pools.append((f"AgentPool {res.name}", res.props))
    for label, pool in pools:
        zones = as_map(pool).get("availabilityZones")
        if zones is UNKNOWN:
            continue
        given = sorted({str(z) for z in as_list(zones)})
        if len(given) != facts.zones:
            yield (
                f"AKS system pool {label} spans {len(given)} zone(s) {given}, the stack asks for {facts.zones} "
                "(cluster.zones): a node pool's zones cannot be changed after it is created"
            )


# ------------------------------------------------------------------------------------------------ gateway idle timeout

AZURE_LB_IDLE = IdleTimeout(
    load_balancer="the Azure Load Balancer",
    annotation="service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout",
    unit_seconds=60,
    default_seconds=4 * 60,
    shortest_seconds=4 * 60,
    longest_seconds=100 * 60,
)
"""The Azure Standard Load Balancer rule AKS's cloud provider makes for the gateway's ``LoadBalancer`` Service:
kubernetes-sigs/cloud-provider-azure pkg/consts ``ServiceAnnotationLoadBalancerIdleTimeout`` ("the idle timeout for
connections on the load balancer in minutes"); "Azure Load Balancer rules have a default timeout range of 4 minutes
to 100 minutes ... The default setting is 4 minutes" (learn.microsoft.com/azure/load-balancer/
load-balancer-tcp-idle-timeout, MicrosoftDocs/azure-docs articles/load-balancer/load-balancer-tcp-idle-timeout.md).
Restated here, not imported from components/clusters/aks.py (rev17c p10)."""


def _gateway_idle(res: Resource) -> IdleTimeout | None:
    """The load balancer idle timeout an AKS cluster's ``LoadBalancer`` Services get (:data:`AZURE_LB_IDLE`)."""
    return AZURE_LB_IDLE if res.type == AKS else None


# ------------------------------------------------------------------------------------------------ the policy

# ------------------------------------------------------------------------------------------------ object stores

STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
STORAGE_ACCOUNT_PRIVATE: dict[str, Any] = {
    # learn.microsoft.com/azure/storage/common/shared-key-authorization-prevent: "The storage account permits
    # requests that are authorized with Shared Key when the property value is null or when it is true"; an account
    # key grants full access to every container of the account.
    "allowSharedKeyAccess": False,
    # learn.microsoft.com/azure/storage/blobs/anonymous-read-access-prevent (not retrieved in this session):
    # allowBlobPublicAccess false disallows anonymous read access to every container of the account.
    "allowBlobPublicAccess": False,
    # learn.microsoft.com/azure/storage/common/transport-layer-security-configure-minimum-version (not retrieved in
    # this session).
    "minimumTlsVersion": "TLS1_2",
    # rev17k 13: azure-native 3.x storage ``StorageAccount.enable_https_traffic_only``: "Allows https traffic only to
    # storage service if sets to true. The default value is true since API version 2019-04-01"; false accepts plain
    # HTTP (request bodies and SAS tokens in the clear). Unset (the default, true) passes.
    "enableHttpsTrafficOnly": True,
}
"""What an Azure storage account the plan creates must say (azure-native ``storage:StorageAccount`` inputs)."""
STORAGE_ACCOUNT_DEFAULTS: dict[str, Any] = {"enableHttpsTrafficOnly": True}
"""The keys of :data:`STORAGE_ACCOUNT_PRIVATE` whose unset value is already the safe one (see each key's source)."""


def _account_private(res: Resource, facts: Facts) -> Iterator[str]:
    """A storage account the plan creates: no Shared Key, no anonymous blob access, TLS 1.2 at least, HTTPS only."""
    if res.type != STORAGE_ACCOUNT:
        return
    for key, want in STORAGE_ACCOUNT_PRIVATE.items():
        got = res.props.get(key, STORAGE_ACCOUNT_DEFAULTS.get(key))
        if got is not UNKNOWN and got != want:
            shown = "unset (the service's default allows it)" if got is None else repr(got)
            yield f"storage account {res.name}: {key} is {shown}, not {want!r}"


MANAGEMENT_POLICY = "azure-native:storage:ManagementPolicy"
BLOB_CONTAINER = "azure-native:storage:BlobContainer"
BLOCK_BLOB = "blockBlob"
"""The blob type of every record: the collector's sink uploads each batch with Put Block Blob (vectordotdev/vector
src/sinks/azure_blob.rs ``put_block_blob``, an early version of the sink, not v0.56.0), and the writer's role grants
only blob writes (components/clusters/aks.py ``BLOB_WRITE_DATA_ACTIONS``). A lifecycle filter's ``blobTypes`` must
include it ("An array of predefined enum values. Currently blockBlob supports all tiering and delete actions",
pulumi_azure_native 3.29.0 storage/_inputs.py ``ManagementPolicyFilterArgs``)."""


def _blob_expiry_problem(rule: Any, facts: Facts, folders: Sequence[str]) -> str | None:
    """Why one rule of a storage account's lifecycle management policy does not delete every record
    ``retentionDays`` after it was written, None when it does (or when what it needs is unknown). ``enabled``: "An
    optional boolean to allow a rule to be temporarily disabled. Default value is true if not set" (Microsoft Learn,
    "Discover Blob storage lifecycle policies", learn.microsoft.com/training/modules/manage-azure-blob-storage-
    lifecycle/3-blob-storage-lifecycle-policies); ``type`` ``Lifecycle``; ``definition.actions.baseBlob.delete``
    ``daysAfterModificationGreaterThan`` or ``daysAfterCreationGreaterThan`` (a record is written once: both count
    from the write; ``daysAfterLastAccessTimeGreaterThan`` restarts at each read); ``filters``: "If multiple filters
    are defined, a logical AND is performed on all filters", so ``blobTypes`` includes :data:`BLOCK_BLOB`, a
    ``prefixMatch`` entry covers ``<container>/<prefix>/`` (absent: every blob) and no ``blobIndexMatch`` narrows it
    (pulumi_azure_native 3.29.0 storage/_inputs.py ``ManagementPolicyRuleArgs``, ``DateAfterModificationArgs``,
    ``ManagementPolicyFilterArgs``)."""
    rule = as_map(rule)
    enabled = rule.get("enabled")
    if enabled is UNKNOWN:
        return None
    if enabled is not None and enabled is not True:
        return f"enabled is {enabled!r}: the rule is not applied"
    kind = rule.get("type")
    if kind is not UNKNOWN and kind != "Lifecycle":
        return f"type is {kind!r}, not 'Lifecycle'"
    definition = rule.get("definition")
    if definition is UNKNOWN:
        return None
    definition = as_map(definition)
    delete = _reach(definition, "actions.baseBlob.delete")
    if delete is UNKNOWN:
        return None
    delete = as_map(delete)
    days = delete.get("daysAfterModificationGreaterThan", delete.get("daysAfterCreationGreaterThan"))
    if days is None and delete.get("daysAfterLastAccessTimeGreaterThan") is not None:
        return "deletes after daysAfterLastAccessTimeGreaterThan: each read of a record restarts its count"
    if why := expiry_days_problem(days, facts, "actions.baseBlob.delete.daysAfterModificationGreaterThan"):
        return why
    filters = definition.get("filters")
    if filters is UNKNOWN:
        return None
    filters = as_map(filters)
    types = filters.get("blobTypes")
    if types is not UNKNOWN and BLOCK_BLOB not in as_list(types) and UNKNOWN not in as_list(types):
        return f"filters.blobTypes {as_list(types)!r} leave out {BLOCK_BLOB}, the records' type"
    if filters.get("blobIndexMatch") not in (None, []):
        return "filters.blobIndexMatch narrows it: the records carry no index tags, so none is deleted"
    prefixes = filters.get("prefixMatch")
    if prefixes is UNKNOWN or not folders or not as_list(prefixes) or UNKNOWN in as_list(prefixes):
        return None
    if not any(isinstance(p, str) and prefix_covers(p, f) for p in as_list(prefixes) for f in folders):
        return f"filters.prefixMatch {as_list(prefixes)!r} do not cover the records under {' or '.join(folders)}"
    return None


def _reach(value: Any, path: str) -> Any:
    """``value[a][b]...`` for ``path`` ``a.b...``: UNKNOWN when a step on the way is unknown, None when one is
    missing."""
    for part in path.split("."):
        if value is UNKNOWN:
            return UNKNOWN
        value = as_map(value).get(part)
    return value


def _tied_to(account: Resource, res: Resource) -> bool:
    """Whether ``res`` names ``account`` (its ``accountName`` equal to the account's, or its dependency on it: the
    name is the account's output, known after deploy in a plain plan)."""
    own = account.props.get("accountName")
    return account.urn in res.depends_on or (isinstance(own, str) and bool(own) and res.props.get("accountName") == own)


def _log_retention(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """Azure's share of ``request-log-retention``: the request-log storage account the platform creates has a
    lifecycle management policy (one per account: its name is always ``default``) with a rule deleting the records
    (:func:`_blob_expiry_problem`) under ``<container>/<prefix>/`` of each of its containers."""
    folder = log_folder(facts)
    for account in resources:
        if account.type != STORAGE_ACCOUNT or not is_log_store(account):
            continue
        containers = [
            c.props.get("containerName") for c in resources if c.type == BLOB_CONTAINER and _tied_to(account, c)
        ]
        folders = [f"{c}/{folder}" for c in containers if isinstance(c, str)] if folder else []
        policies = [p for p in resources if p.type == MANAGEMENT_POLICY and _tied_to(account, p)]
        if not policies:
            yield Finding(
                account.urn,
                f"storage account {account.name} holds the request logs but has no lifecycle management policy: every "
                "record (request and response bodies) is kept forever, not retentionDays",
            )
        for p in policies:
            rules = _reach(p.props, "policy.rules")
            if rules is UNKNOWN:
                continue
            why = none_expires(
                rules, partial(_blob_expiry_problem, facts=facts, folders=folders), "rules", "it has no rule"
            )
            if why is None:
                continue
            yield Finding(
                p.urn,
                f"lifecycle management policy {p.name} of request-log storage account {account.name} deletes no "
                f"record after retentionDays: {why}",
            )


KNOWN: dict[str, str] = {
    "azure-native:authorization:RoleAssignment": RENDERED,
    "azure-native:keyvault:Key": RENDERED,
    "azure-native:keyvault:Vault": RENDERED,
    "azure-native:managedidentity:FederatedIdentityCredential": RENDERED,
    "azure-native:managedidentity:UserAssignedIdentity": RENDERED,
    "azure-native:monitor:DiagnosticSetting": RENDERED,
    "azure-native:network:Subnet": RENDERED,
    "azure-native:network:VirtualNetwork": RENDERED,
    "azure-native:operationalinsights:Workspace": RENDERED,
    "azure-native:resources:ResourceGroup": RENDERED,
    "azure-native:storage:StorageAccount": (
        "made with request logs on (components/clusters/aks.py: the log storage account); read by "
        "request-log-write-only"
    ),
    "azure-native:storage:BlobContainer": "made with request logs on (components/clusters/aks.py: the log container)",
    "azure-native:storage:ManagementPolicy": (
        "made with request logs on (components/clusters/aks.py: the log retention policy); read by "
        "request-log-retention"
    ),
    "azure-native:authorization:RoleDefinition": (
        "read by the IAM rules (AZ_ROLE_DEFINITION): a custom role a stack may define"
    ),
    "azure-native:insights:DiagnosticSetting": (
        "read by the audit-logs share (DIAGNOSTIC_SETTINGS) as the older module's spelling"
    ),
}
"""The types of this cloud the pack knows (:attr:`policy.rules.percloud.CloudPolicy.known`; its cluster and
pool types besides): an empty value for a type a shipped or cover stack renders, else why it is known. Each
is a class of pulumi_azure_native 3.29.0, read from its ``_utilities.register(resource_modules=...)`` by
tests/policy/test_policy_known_types.py, unless the value says why not."""


def _rbac_wait_inputs() -> frozenset[str]:
    """The input names of the AKS module's one dynamic resource (:class:`components.clusters.aks.RbacPropagationWait`),
    read from its signature (imported only when a plan holds a dynamic resource)."""
    import inspect

    from components.clusters.aks import RbacPropagationWait

    params = inspect.signature(RbacPropagationWait.__init__).parameters
    return frozenset({*params} - {"self", "name", "opts"} | {"__provider"})


def _pool_profiles(res: Resource) -> list[Mapping[str, Any]] | None:
    """The pool profiles of an AKS resource, each with its pool's ``name``: an AgentPool (named by ``agentPoolName``)
    and each of a ManagedCluster's ``agentPoolProfiles`` (by ``name``); ``[UNKNOWN_PROFILE]`` when the profiles are
    not known at plan time; None for any other resource."""
    if res.type == AKS_POOL:
        return [{**res.props, "name": res.props.get("agentPoolName")}]
    if res.type == AKS:
        given = res.props.get("agentPoolProfiles")
        return [UNKNOWN_PROFILE] if given is UNKNOWN else [as_map(p) for p in as_list(given)]
    return None


UNKNOWN_PROFILE: Mapping[str, Any] = {}
"""The stand-in profile for pools not known at plan time (identity compared: ``is``)."""


def _pool_disk(res: Resource) -> list[PoolDisk] | None:
    """An AKS pool's OS disk and labels (``gpu-pool-disk-fits``): ``osDiskSizeGB`` (pulumi_azure_native
    containerservice ``os_disk_size_gb``) and ``nodeLabels``, per pool profile (:func:`_pool_profiles`)."""
    profiles = _pool_profiles(res)
    if profiles is None:
        return None
    return [
        PoolDisk(res.name, UNKNOWN, UNKNOWN)
        if p is UNKNOWN_PROFILE
        else PoolDisk(
            str(p.get("name") or res.name),
            p.get("nodeLabels") or {},
            p.get("osDiskSizeGB"),
            slots=node_slots(machine_gpus(p.get("vmSize")), p.get("nodeLabels"), None, p.get("gpuInstanceProfile")),
            mig=bool(p.get("gpuInstanceProfile")),
        )
        for p in profiles
    ]


ARCH_LABEL = "kubernetes.io/arch"
_SIZE_NAME = re.compile(r"\A(?:Standard|Basic)_[A-Z]+[0-9]+(?:-[0-9]+)?(?P<features>[a-z]*)(?:_[A-Za-z0-9]+)*\Z")
"""An Azure VM size name: "[Family] + [Sub-family*] + [# of vCPUs] + [Constrained vCPUs*] + [Additive Features] +
[Accelerator Type*] + [Version]", the additive features in lower case (MicrosoftDocs/azure-compute-docs
articles/virtual-machines/vm-naming-conventions.md: ``NC4as_T4_v3``, ``M8-2ms_v2``)."""


def size_arch(size: Any) -> str | None:
    """The ``kubernetes.io/arch`` of an Azure VM size's nodes: ``arm64`` when its additive features hold ``p`` ("p =
    ARM Cpu", vm-naming-conventions.md; the Dpsv5 sizes such as ``Standard_D4ps_v5``), else ``amd64`` (judgement: the
    convention's other CPU feature is "a = AMD-based processor", the sizes without either are Intel); None for a
    name outside the convention (not judged)."""
    if not isinstance(size, str) or (m := _SIZE_NAME.match(size)) is None:
        return None
    return "arm64" if "p" in m.group("features") else "amd64"


def _pool_labels(res: Resource) -> list[PoolLabels] | None:
    """An AKS pool's ``nodeLabels``, priority, VM size and taints (``node-selectors-match-pools``,
    ``system-pool-on-demand``): ``scaleSetPriority`` ``Spot`` or ``Regular``, "If not specified, the default is
    'Regular'" (pulumi_azure_native containerservice ``scale_set_priority``); the labels AKS's node bootstrap sets on
    every node of a pool, ``agentpool`` and ``kubernetes.azure.com/agentpool`` with the pool's name (Azure/agentbaker
    nbcontractv1 ``GetKubeletNodeLabels``); ``vmSize`` as ``node.kubernetes.io/instance-type``
    (kubernetes.io/docs/reference/labels-annotations-taints/) and as ``kubernetes.io/arch`` (:func:`size_arch`, rev14g
    defect 4); ``nodeTaints`` (``key=value:Effect``); per pool
    profile (:func:`_pool_profiles`)."""
    profiles = _pool_profiles(res)
    if profiles is None:
        return None
    if any(p is UNKNOWN_PROFILE for p in profiles):
        return [PoolLabels(res.name, UNKNOWN)]
    out = []
    for p in profiles:
        labels = dict(as_map(p.get("nodeLabels")))
        name = p.get("name")
        if isinstance(name, str) or name is UNKNOWN:
            labels.setdefault("agentpool", name)
            labels.setdefault("kubernetes.azure.com/agentpool", name)
        priority = p.get("scaleSetPriority")
        spot = f"scaleSetPriority {priority}" if isinstance(priority, str) and priority.lower() == "spot" else None
        size = p.get("vmSize")
        allowed = {"node.kubernetes.io/instance-type": (size,)} if isinstance(size, str) else {}
        arch = size_arch(size)
        if arch is not None:
            allowed[ARCH_LABEL] = (arch,)
        taints = p.get("nodeTaints")
        out.append(
            PoolLabels(
                str(name or res.name),
                labels,
                spot,
                allowed,
                () if arch is not None else (ARCH_LABEL,),  # a size name outside the convention: not judged
                taints=UNKNOWN if taints is UNKNOWN else taints_of_list(taints),
            )
        )
    # the nvidia.com/gpu a node advertises: the vmSize's GPUs x the device-plugin config's replicas or MIG partitions
    return with_gpus(out, _pool_disk(res))


# ------------------------------------------------------------------------------------- helm-workload-identity-pod-label

"""The Azure Workload Identity tie of a Helm release (the sixth hostile review of issue #17, /work/wt/rev17f-report.md
s16, s17).

``helm-workload-identity-pod-label``: a Helm release whose ``values.serviceAccount.annotations`` carry
``azure.workload.identity/client-id`` (cert-manager's and external-dns's releases on AKS with ``platform.dns``: the
identity that writes the zone's records) puts the pod label ``azure.workload.identity/use: "true"`` on its pods
through the chart's top-level ``values.podLabels``. Azure Workload Identity's mutating webhook injects the
federated token, ``AZURE_CLIENT_ID`` and the authority only into pods that carry that label: "For applications using
Workload Identity it is now required to add the label 'azure.workload.identity/use: "true"' pod label" and the
Pod labels table, ``azure.workload.identity/use``, "Represents the pod is to be used for workload identity",
required (MicrosoftDocs/azure-docs articles/aks/workload-identity-overview.md, "Pod labels"; the same Pod label
table in Azure/azure-workload-identity docs/book/src/topics/service-account-labels-and-annotations.md). Without it
the pod has no Azure credential: cert-manager's DNS-01 challenge and external-dns's record updates fail, and the
gateway's certificate is never issued or renewed (availability).

The charts' key: cert-manager v1.21.1 ``podLabels: {}`` ("Optional additional labels to add to the controller
Pods", /work/shared/upstream/chart-values/cert-manager-v1.21.1.yaml; cert-manager.io/docs/configuration/acme/dns01/
azuredns sets ``podLabels`` for Workload Identity); external-dns chart 1.21.1 ``podLabels: {}`` (kubernetes-sigs/
external-dns charts/external-dns/values.yaml, read at a stored version: the search tools do not hold the
external-dns-helm-chart-1.21.1 tag). The rule keeps its own literals (components/clusters/aks.py
``CLIENT_ID_ANNOTATION``, ``USE_LABEL`` restated, not imported).
"""

_WI_HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
_WI_CLIENT_ID = "azure.workload.identity/client-id"
_WI_USE_LABEL = "azure.workload.identity/use"


def _wi_uses(values: object) -> bool:
    annotations = as_map(as_map(as_map(values).get("serviceAccount")).get("annotations"))
    return _WI_CLIENT_ID in annotations


def _wi_tie(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type not in _WI_HELM_TYPES:
        return
    values = res.props.get("values")
    if values is UNKNOWN or not _wi_uses(values):
        return
    labels = as_map(values).get("podLabels")
    if labels is UNKNOWN:
        return
    got = as_map(labels).get(_WI_USE_LABEL)
    if got is UNKNOWN:
        return
    if got != "true":
        shown = "absent" if got is None else repr(got)
        yield (
            f"{who(res)}: values.serviceAccount.annotations carry {_WI_CLIENT_ID} but values.podLabels "
            f'{_WI_USE_LABEL} is {shown}, not "true": Azure Workload Identity\'s webhook injects the token only into '
            "labelled pods, so the release's pods have no Azure credential"
        )


def _wi_unknown(res: Resource) -> str | None:
    """What the rule could not judge: a Helm release's values, service account annotations or pod labels known only
    after deploy (the label may be missing from a release whose identity is not yet known)."""
    if res.type not in _WI_HELM_TYPES:
        return None
    values = res.props.get("values")
    if values is UNKNOWN:
        return f"{who(res)} values"
    sa = as_map(values).get("serviceAccount")
    if sa is UNKNOWN or as_map(sa).get("annotations") is UNKNOWN:
        return f"{who(res)} values.serviceAccount.annotations"
    if not _wi_uses(values):
        return None
    labels = as_map(values).get("podLabels")
    if labels is UNKNOWN or as_map(labels).get(_WI_USE_LABEL) is UNKNOWN:
        return f"{who(res)} values.podLabels"
    return None


WORKLOAD_IDENTITY_POD_LABEL = Rule(
    name="helm-workload-identity-pod-label",
    description=(
        "A Helm release whose serviceAccount annotations carry azure.workload.identity/client-id labels its pods "
        'azure.workload.identity/use: "true" (values.podLabels): Azure Workload Identity injects the token only '
        "into labelled pods (cert-manager's and external-dns's DNS identity on AKS)."
    ),
    enforcement="mandatory",
    area="identity",
    applies_to=_WI_HELM_TYPES,
    check_resource=_wi_tie,
    remediation=(
        "Keep components/platform/certmanager.py values() and components/platform/dns.py values() setting "
        "podLabels from the cluster's DnsAccess.pod_labels."
    ),
    unknown=_wi_unknown,
)

# ------------------------------------------------------------------------------------------- pods-fit-nodes

AKS_CPU = ((1, 60), (2, 100), (4, 140), (8, 180), (16, 260), (32, 420), (64, 740))
"""AKS "Kube-reserved CPU (millicores)" by "CPU cores on host" (learn.microsoft.com/azure/aks/
node-resource-reservations); between two columns the larger one's, above 64 cores 740m plus 10m a core."""
AKS_MEMORY = (20, 50)
"""AKS memory: "the lesser value of: 20 MB * Max Pods supported on the Node + 50 MB or 25% of the total system
memory" (learn.microsoft.com/azure/aks/node-resource-reservations, AKS 1.29+), MB read as MiB (the larger)."""
AKS_MAX_PODS = 250
"""Max pods of an AKS pool that renders none: the Azure CNI maximum, 250 (learn.microsoft.com/azure/aks/
quotas-skus-regions "Maximum pods per node"; the largest, so the bound errs on the side of refusing)."""


def _node_reserved(instance_type: str, vcpus: int, mib: int, max_pods: int | None) -> tuple[int, dict[str, int]]:
    """What an AKS node keeps from pods (``pods-fit-nodes``, policy/rules/nodefit.py): AKS's kube-reserved CPU table
    and the lesser of its per-pod memory and a quarter of the memory (``max_pods``: the pool's ``maxPods``, else
    :data:`AKS_MAX_PODS`)."""
    cpu = next((m for cores, m in AKS_CPU if vcpus <= cores), AKS_CPU[-1][1] + 10 * (vcpus - AKS_CPU[-1][0]))
    pods = max_pods if max_pods is not None else AKS_MAX_PODS
    per_pods = AKS_MEMORY[0] * pods + AKS_MEMORY[1]
    quarter = math.ceil(mib / 4)
    if per_pods <= quarter:
        return cpu, {f"kube-reserved 20 x {pods} pods + 50": per_pods}
    return cpu, {"kube-reserved 25 %": quarter}


POLICY = CloudPolicy(
    node_reserved=_node_reserved,
    cloud="azure",
    dynamic_inputs={"pulumi-python:dynamic:Resource": _rbac_wait_inputs},
    parts={
        "pods-fit-nodes": Part(
            summary="AKS: its kube-reserved CPU table and the lesser of 20 x max pods + 50 MiB and 25 % of memory"
        ),
        "gpu-pool-disk-fits": Part(types=(AKS, AKS_POOL), summary="AKS osDiskSizeGB", read=_pool_disk),
        "multi-gpu-avoids-shared-pools": Part(
            types=(AKS, AKS_POOL),
            summary="AKS nodeLabels, the NVIDIA device plugin's config label (time-slicing-<n>, mps-<n>)",
            read=_pool_disk,
        ),
        "node-selectors-match-pools": Part(
            types=(AKS, AKS_POOL),
            summary="AKS nodeLabels, pool name, vmSize and its architecture, nodeTaints and scaleSetPriority",
            read=_pool_labels,
        ),
        "api-endpoint-restricted": Part(
            types=(AKS,),
            read=_api_exposure,
            reads={
                AKS: (
                    "apiServerAccessProfile.enablePrivateCluster",
                    "apiServerAccessProfile.authorizedIPRanges",
                    "apiServerAccessProfile.authorizedIPRanges[]",
                )
            },
        ),
        "secrets-encryption": Part(
            types=(AKS,), check=_secrets_encryption, reads={AKS: ("securityProfile.azureKeyVaultKms.enabled",)}
        ),
        "audit-logs": Part(
            types=(AKS, *DIAGNOSTIC_SETTINGS, WORKSPACE),
            summary="AKS kube-audit to a workspace keeping it 90 days on prod, 30 elsewhere",
            stack=_aks_audit,
            reads={
                **{
                    t: ("logs", "logs[].enabled", "logs[].category", "logs[].categoryGroup")
                    for t in DIAGNOSTIC_SETTINGS
                },
                WORKSPACE: ("retentionInDays",),
            },
        ),
        "workload-identity": Part(
            types=(AKS,),
            summary="AKS OIDC",
            stack=_workload_identity,
            reads={AKS: ("oidcIssuerProfile.enabled", "securityProfile.workloadIdentity.enabled")},
        ),
        "cluster-network-policy": Part(
            types=(AKS,),
            summary="AKS networkPolicy",
            check=_network_policy,
            reads={AKS: ("networkProfile.networkPolicy", "networkProfile.networkDataplane")},
        ),
        "cluster-hardening": Part(
            types=(AKS, AKS_POOL, AKS_VAULT),
            summary="no public IPs on AKS nodes, AKS node OS patches (NodeImage or SecurityPatch) and Kubernetes "
            "patches (upgradeChannel patch, stable or rapid), the Azure Policy add-on and Image Cleaner on, "
            "osDiskSizeGB on AKS GPU pools, sku.tier the stack's cluster.azure.tier (never Free on prod); Key Vault "
            "RBAC, purge protection and 90-day soft delete",
            check=_hardening,
            reads={
                AKS: (
                    "agentPoolProfiles[].enableNodePublicIP",
                    "agentPoolProfiles[].osDiskSizeGB",
                    "agentPoolProfiles[].vmSize",
                    "agentPoolProfiles[].nodeLabels",
                    "autoUpgradeProfile.nodeOSUpgradeChannel",
                    "autoUpgradeProfile.upgradeChannel",
                    "addonProfiles.azurepolicy.enabled",
                    "securityProfile.imageCleaner.enabled",
                    "sku.tier",
                ),
                AKS_POOL: ("enableNodePublicIP", "osDiskSizeGB", "vmSize", "nodeLabels"),
                AKS_VAULT: (
                    "properties.enableRbacAuthorization",
                    "properties.enablePurgeProtection",
                    "properties.softDeleteRetentionInDays",
                ),
            },
        ),
        "gpu-pools": Part(
            types=(AKS, AKS_POOL),
            read=_gpu_pools,
            reads={
                AKS_POOL: AKS_PROFILE_READS,
                AKS: ("agentPoolProfiles", *(f"agentPoolProfiles[].{p}" for p in AKS_PROFILE_READS)),
            },
        ),
        "workload-identity-trust": Part(
            types=(AZ_FIC,),
            summary="Azure subject, issuer and audience",
            check=_trust,
            unknown=lambda r: _unknown_doc(r) if r.type == AZ_FIC else None,
        ),
        "request-log-write-only": Part(
            types=(AZ_ROLE_DEFINITION, AZ_ROLE_ASSIGNMENT),
            summary="an Azure role of blob writes on one container",
            check=_log_write,
        ),
        "storage-read-least-privilege": Part(
            types=(AZ_ROLE_ASSIGNMENT,),
            summary="Azure Blob Data Reader on one container",
            check=_storage,
            unknown=lambda r: _unknown_doc(r) if r.type == AZ_ROLE_ASSIGNMENT else None,
        ),
        "workload-identity-binding": Part(
            types=(AZ_IDENTITY, AZ_FIC, AKS, _ISVC_TYPE),
            summary=(
                "an Azure federated credential trusts the AKS cluster's own OIDC issuer and an annotated "
                "ServiceAccount, and each model component running as one labels its pods azure.workload.identity/use: "
                '"true"'
            ),
            stack=_binding,
            unknown=lambda r: (
                f"issuer of {r.name}"
                if r.type == AZ_FIC and (r.props.get("issuer") in (None, "") or r.props.get("issuer") is UNKNOWN)
                else None
            ),
        ),
        "iam-least-privilege": Part(
            types=(AZ_ROLE_ASSIGNMENT,),
            summary=(
                "no Azure role assignment above a resource group (subscription, management group, root) whatever "
                "the role, no Owner/Contributor/User Access Administrator at subscription or resource-group scope, "
                "DNS Zone Contributor on one DNS zone, only Key Vault Crypto User (or Crypto Service Encryption User) "
                "on the AKS KMS vault"
            ),
            check=_iam,
            stack=_vault_roles,
            unknown=_iam_unknown,
        ),
        "gpu-operator-no-second-driver": Part(
            types=(AKS_POOL,),
            summary="AKS: GPU pools carry driver and toolkit unless gpuProfile.driver None",
            read=_preinstalled,
            reads={AKS_POOL: ("vmSize", "gpuProfile.driver")},
        ),
        "node-pools-span-zones": Part(
            types=(AKS, AKS_POOL),
            summary="AKS system pools' availabilityZones",
            check=_pool_zones,
            reads={AKS: ("agentPoolProfiles[].availabilityZones",), AKS_POOL: ("availabilityZones",)},
        ),
        "timeouts-cover-cold-start": Part(
            types=(AKS,), summary="AKS: the Azure Load Balancer's, in minutes", read=_gateway_idle
        ),
        RETENTION_RULE: Part(
            types=(STORAGE_ACCOUNT, MANAGEMENT_POLICY),
            summary=(
                "Azure: the account's lifecycle management policy has a rule not disabled, deleting base blobs "
                "retentionDays after their last modification, filtered to blockBlob and a prefixMatch covering "
                "<container>/<prefix>/ (no blob index filter)"
            ),
            stack=_log_retention,
            reads={
                MANAGEMENT_POLICY: (
                    "policy.rules",
                    "policy.rules[].enabled",
                    "policy.rules[].definition.actions.baseBlob.delete.*",
                    "policy.rules[].definition.filters.*",
                )
            },
        ),
        "object-store-private": Part(
            types=(STORAGE_ACCOUNT,),
            summary=(
                "Azure storage accounts without Shared Key or anonymous blob access, TLS 1.2 at least, HTTPS only"
            ),
            check=_account_private,
            reads={STORAGE_ACCOUNT: tuple(STORAGE_ACCOUNT_PRIVATE)},
        ),
    },
    rules=(
        ("workload-identity", WORKLOAD_IDENTITY_POD_LABEL),
        (
            "gpu-pool-taint-label",
            Rule(
                name="aks-gpu-driver-installed",
                description=(
                    "An AKS GPU pool keeps gpuProfile.driver Install (or unset), unless a gpu-operator release "
                    "installs the driver (else its nodes advertise no GPU)."
                ),
                enforcement="mandatory",
                area="gpu",
                applies_to=(AKS, AKS_POOL, *HELM_TYPES),
                check_stack=_gpu_driver_installed,
                unknown=reading(
                    {
                        AKS_POOL: ("vmSize", "gpuProfile.driver"),
                        AKS: ("agentPoolProfiles[].vmSize", "agentPoolProfiles[].gpuProfile.driver"),
                    }
                ),
                remediation="gpu_profile=GPUProfileArgs(driver=GPUDriver.INSTALL)",
            ),
        ),
        (
            "workload-identity",
            Rule(
                name="aks-entra-only",
                description=(
                    "AKS clusters keep no local accounts, Kubernetes RBAC on, and authorize through Azure RBAC."
                ),
                enforcement="mandatory",
                area="cluster",
                applies_to=(AKS,),
                check_resource=_aks_entra_only,
                unknown=reading({AKS: ("disableLocalAccounts", "enableRBAC", "aadProfile.enableAzureRBAC")}),
            ),
        ),
        (
            "kms-key-rotation",
            Rule(
                name="keyvault-key-rotation",
                description=(
                    "Key Vault keys that encrypt Secrets have a rotation policy (AKS KMS then needs the new keyId)."
                ),
                enforcement="advisory",
                area="cluster",
                applies_to=(VAULT_KEY,),
                check_resource=_keyvault_rotation,
            ),
        ),
    ),
    stateful=(AKS_VAULT, VAULT_KEY, AZ_IDENTITY),
    sa_annotations=(AZURE_SA_ANNOTATION,),
    canonical=canonical,
    known=KNOWN,
)
"""Azure's share of the rules (:attr:`components.clouds.Cloud.policy`)."""
