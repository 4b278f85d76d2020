"""Control-plane rules: who can reach the API, secrets encryption, audit logs, workload identity, protection.

Each rule reads the cluster resource of every cloud in its wire names: ``eks:index:Cluster`` (the pulumi-eks
component, which is what a plan records) and ``aws:eks/cluster:Cluster`` (its child, which ``pulumi preview``
shows the pack), ``gcp:container/cluster:Cluster`` and ``azure-native:containerservice:ManagedCluster``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from components import clouds
from policy.rules.base import (
    UNKNOWN,
    Facts,
    Finding,
    Resource,
    Rule,
    as_list,
    as_map,
    is_set,
    reading,
)

EKS = "eks:index:Cluster"
AWS_EKS = "aws:eks/cluster:Cluster"
GKE = "gcp:container/cluster:Cluster"
GKE_POOL = "gcp:container/nodePool:NodePool"
AKS = "azure-native:containerservice:ManagedCluster"
DIAGNOSTIC_SETTINGS = ("azure-native:monitor:DiagnosticSetting", "azure-native:insights:DiagnosticSetting")
OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
CHECKED = (EKS, AWS_EKS, GKE, AKS)
"""The cluster types these rules know how to read."""
CLUSTERS = clouds.cluster_types()
"""Every registered cloud's cluster types (:attr:`components.clouds.Cloud.cluster_types`)."""

WORLD = ("0.0.0.0/0", "::/0")
EKS_LOGS = ("api", "audit", "authenticator")
AKS_AUDIT = ("kube-audit", "kube-audit-admin")


def _unchecked_cluster(res: Resource) -> Iterator[str]:
    """Fail closed: a cluster of a registered cloud (read from the registry when the rule runs) that these rules
    have no branch for is a finding, never a silent pass."""
    cloud = clouds.of_cluster_type(res.type)
    if cloud is not None and res.type not in CHECKED:
        yield (
            f"cluster type {res.type} (cloud {cloud.name}) has no check in policy/rules/cluster.py: add its branch "
            "before deploying it"
        )


def _world(cidrs: Any) -> bool:
    """True when the CIDRs let the internet in: their union (Python ``ipaddress``, parsed as the address space
    they cover, so ``1.2.3.4/0`` is ``0.0.0.0/0`` and ``0.0.0.0/1`` + ``128.0.0.0/1`` are the whole IPv4 space: red
    team #17b N19/N21) covers more addresses than one /8 of IPv4 (or the same 1/256 share of IPv6): a /8 is the unit
    IANA allocated a whole Regional Internet Registry (afrinic.net/en/community/ig/icann-and-iana: "IANA allocated
    the remaining last five /8s of IPv4 address space to the Regional Internet Registries"), so a set of blocks
    larger than that is a share of the internet, not a deployer's network. A string that is not a CIDR (a lookalike
    digit, a trailing zero-width space) counts as open: what the cloud API makes of it was not checked."""
    import ipaddress

    nets: dict[int, list[Any]] = {4: [], 6: []}
    for c in as_list(cidrs):
        if c is UNKNOWN or not isinstance(c, str):
            continue
        try:
            net = ipaddress.ip_network(c, strict=False)
        except ValueError:
            return True
        nets[net.version].append(net)
    for version, bits in ((4, 32), (6, 128)):
        covered = sum(n.num_addresses for n in ipaddress.collapse_addresses(nets[version]))
        if covered > 1 << (bits - 8):
            return True
    return False


def _api_exposure(res: Resource) -> str | None:
    """Why ``res`` (a cluster) has an API endpoint open to the whole internet, or None when it has not."""
    p = res.props
    if res.type in (EKS, AWS_EKS):
        vpc = as_map(p.get("vpcConfig")) if res.type == AWS_EKS else p
        public = vpc.get("endpointPublicAccess", True)  # both default to a public endpoint
        if public is False:
            return None
        cidrs = vpc.get("publicAccessCidrs")
        if cidrs is UNKNOWN:
            return None
        if not as_list(cidrs):
            return "the public endpoint is on and publicAccessCidrs is not set (AWS allows 0.0.0.0/0)"
        if _world(cidrs):
            return "the public endpoint allows 0.0.0.0/0 (publicAccessCidrs)"
        return None
    if res.type == GKE:
        private = as_map(p.get("privateClusterConfig"))
        if private.get("enablePrivateEndpoint") is True:
            return None
        man = p.get("masterAuthorizedNetworksConfig")
        if not isinstance(man, dict) and man is not UNKNOWN:
            return "neither privateClusterConfig.enablePrivateEndpoint nor masterAuthorizedNetworksConfig is set"
        if isinstance(man, dict):
            blocks = [b.get("cidrBlock") for b in as_list(man.get("cidrBlocks")) if isinstance(b, dict)]
            if _world(blocks):
                return "masterAuthorizedNetworksConfig allows 0.0.0.0/0"
            if man.get("gcpPublicCidrsAccessEnabled") is True:
                return "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled lets every Google Cloud IP in"
        return None
    if res.type == AKS:
        access = as_map(p.get("apiServerAccessProfile"))
        if access.get("enablePrivateCluster") is True:
            return None
        ranges = access.get("authorizedIPRanges")
        if ranges is UNKNOWN:
            return None
        if not as_list(ranges):
            return "apiServerAccessProfile has neither enablePrivateCluster nor authorizedIPRanges"
        if _world(ranges):
            return "apiServerAccessProfile.authorizedIPRanges allows 0.0.0.0/0"
    return None


def _eks_private_endpoint_off(res: Resource) -> bool:
    """True when an EKS cluster's private API endpoint is off. ``endpointPrivateAccess`` "Indicates whether or not
    the Amazon EKS private API server endpoint is enabled. Default is ``false``" (pulumi_eks 4.4.0 cluster.py
    ``endpoint_private_access``; the same default on ``aws:eks/cluster:Cluster`` ``vpcConfig``: "Whether the Amazon
    EKS private API server endpoint is enabled. Default is ``false``", pulumi_aws eks/_inputs.py). Without it the
    nodes reach the API only through the public endpoint, which :attr:`publicAccessCidrs` limits to the stack's
    ``deployFrom`` CIDRs: nodes whose NAT address is not listed cannot join (EKS API ``VpcConfigRequest``
    ``endpointPrivateAccess``/``publicAccessCidrs``, docs.aws.amazon.com/eks/latest/APIReference/
    API_VpcConfigRequest.html)."""
    if res.type == EKS:
        private = res.props.get("endpointPrivateAccess")
    elif res.type == AWS_EKS:
        vpc = res.props.get("vpcConfig")
        if vpc is UNKNOWN:
            return False
        private = as_map(vpc).get("endpointPrivateAccess")
    else:
        return False
    return private is not UNKNOWN and private is not True


def _api_restricted(res: Resource, facts: Facts) -> Iterator[str]:
    yield from _unchecked_cluster(res)
    if _eks_private_endpoint_off(res):
        yield (
            "EKS private API endpoint is off (endpointPrivateAccess not true; the default is false): nodes must "
            "reach the API through the CIDR-limited public endpoint; set endpointPrivateAccess true"
        )
    why = _api_exposure(res)
    if why and not facts.allow_public_api:
        yield (
            f"Kubernetes API endpoint open to the internet: {why}; keep it private or list CIDRs in "
            "cluster.apiAccess.publicCidrs (opening it to the world needs cluster.apiAccess.allowWorld: true)"
        )


def _api_world_opt_in(res: Resource, facts: Facts) -> Iterator[str]:
    why = _api_exposure(res)
    if why and facts.allow_public_api:
        yield f"Kubernetes API endpoint open to the internet by this stack's opt-in (allowWorld): {why}"


def _secrets_encryption(res: Resource, facts: Facts) -> Iterator[str]:
    yield from _unchecked_cluster(res)
    p = res.props
    if res.type == EKS and not is_set(p.get("encryptionConfigKeyArn")):
        yield "Kubernetes Secrets are not envelope-encrypted: set encryptionConfigKeyArn to a customer-managed KMS key"
    elif res.type == AWS_EKS:
        configs = [c for c in as_list(p.get("encryptionConfig")) if isinstance(c, dict)] or (
            [p["encryptionConfig"]] if isinstance(p.get("encryptionConfig"), dict) else []
        )
        ok = any(
            "secrets" in as_list(c.get("resources")) and is_set(as_map(c.get("provider")).get("keyArn"))
            for c in configs
        )
        if not ok and p.get("encryptionConfig") is not UNKNOWN:
            yield "Kubernetes Secrets are not envelope-encrypted: encryptionConfig needs resources [secrets], a keyArn"
    elif res.type == GKE:
        enc = p.get("databaseEncryption")
        if enc is UNKNOWN:
            return
        enc = as_map(enc)
        if enc.get("state") != "ENCRYPTED" or not is_set(enc.get("keyName")):
            yield "application-layer Secrets encryption is off: set databaseEncryption {state: ENCRYPTED, keyName}"
    elif res.type == AKS:
        kms = as_map(as_map(p.get("securityProfile")).get("azureKeyVaultKms"))
        if kms.get("enabled") is not True:
            yield "Key Vault KMS encryption of Secrets is off: set securityProfile.azureKeyVaultKms.enabled"


def _audit_logs(res: Resource, facts: Facts) -> Iterator[str]:
    yield from _unchecked_cluster(res)
    p = res.props
    if res.type in (EKS, AWS_EKS):
        types = p.get("enabledClusterLogTypes")
        if types is UNKNOWN:
            return
        missing = [t for t in EKS_LOGS if t not in as_list(types)]
        if missing:
            yield f"control-plane logs missing from enabledClusterLogTypes: {', '.join(missing)}"
    elif res.type == GKE:
        if p.get("loggingService") == "none":
            yield "control-plane logging is off (loggingService: none)"
            return
        comps = as_map(p.get("loggingConfig")).get("enableComponents")
        if comps is not UNKNOWN and "APISERVER" not in as_list(comps):
            yield "API server logs are off: loggingConfig.enableComponents must include APISERVER"


def _aks_audit(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    clusters = [r for r in resources if r.type == AKS]
    if not clusters:
        return
    ok = False
    for ds in (r for r in resources if r.type in DIAGNOSTIC_SETTINGS):
        for log in as_list(ds.props.get("logs")):
            if not isinstance(log, dict) or log.get("enabled") is False:
                continue
            if log.get("category") in AKS_AUDIT or log.get("categoryGroup") in ("audit", "allLogs"):
                ok = True
    if not ok:
        for c in clusters:
            yield Finding(
                c.urn,
                "no diagnostic setting sends the AKS kube-audit (or kube-audit-admin) log anywhere: "
                "add a DiagnosticSetting on the cluster with that category enabled",
            )


def _workload_identity(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    has_oidc = any(r.type in (OIDC_PROVIDER, POD_IDENTITY) for r in resources)
    for r in resources:
        yield from (Finding(r.urn, why) for why in _unchecked_cluster(r))
        p = r.props
        if r.type == EKS and p.get("createOidcProvider") is not True and not has_oidc:
            yield Finding(r.urn, "no IAM OIDC provider for IRSA: set createOidcProvider: true")
        elif r.type == AWS_EKS and not has_oidc and not any(x.type == EKS for x in resources):
            yield Finding(r.urn, "no IAM OIDC provider (IRSA) or EKS Pod Identity association in the stack")
        elif r.type == GKE:
            wi = p.get("workloadIdentityConfig")
            if wi is not UNKNOWN and not is_set(as_map(wi).get("workloadPool")):
                yield Finding(r.urn, "Workload Identity is off: set workloadIdentityConfig.workloadPool")
        elif r.type == GKE_POOL:
            meta = p.get("nodeConfig")
            mode = as_map(as_map(meta).get("workloadMetadataConfig")).get("mode")
            if meta is not UNKNOWN and mode is not UNKNOWN and mode != "GKE_METADATA":
                yield Finding(
                    r.urn, f"node pool metadata mode is {mode or 'unset'}: set workloadMetadataConfig.mode GKE_METADATA"
                )
        elif r.type == AKS:
            oidc = as_map(p.get("oidcIssuerProfile")).get("enabled")
            wi = as_map(as_map(p.get("securityProfile")).get("workloadIdentity")).get("enabled")
            if oidc is not True or wi is not True:
                yield Finding(
                    r.urn,
                    "workload identity is off: set oidcIssuerProfile.enabled and "
                    "securityProfile.workloadIdentity.enabled",
                )


# ------------------------------------------------------------------------------------------------ nodes and keys

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EC2_NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
KMS_KEYS = ("aws:kms/key:Key", "gcp:kms/cryptoKey:CryptoKey")
VAULT_KEY = "azure-native:keyvault:Key"


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


def _imds(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type == LAUNCH_TEMPLATE:
        opts = res.props.get("metadataOptions")
        where = "metadataOptions"
    elif res.type == EC2_NODE_CLASS:
        opts = res.get("spec.metadataOptions")
        where = "spec.metadataOptions"
        if res.props.get("spec") is UNKNOWN:
            return
    else:
        return
    if opts is UNKNOWN:
        return
    opts = as_map(opts)
    if opts.get("httpTokens") != "required":
        yield f"{where}.httpTokens is {opts.get('httpTokens') or 'unset'}: require IMDSv2 (httpTokens: required)"
    hops = opts.get("httpPutResponseHopLimit")
    if hops is not UNKNOWN and (not isinstance(hops, int) or hops > 1):
        yield f"{where}.httpPutResponseHopLimit is {hops}: give 1 so pods cannot reach the node's credentials"


def _key_rotation(res: Resource, facts: Facts) -> Iterator[str]:
    """AWS KMS and Cloud KMS keys that encrypt Secrets rotate. ``enableKeyRotation``: "Whether key rotation is
    enabled. Defaults to ``false``" (pulumi_aws kms/key.py ``enable_key_rotation``). A rotation needs nothing from
    EKS: "The properties of the KMS key, including its key ID, key ARN, region, policies, and permissions, do not
    change when the key is rotated" (docs.aws.amazon.com/kms/latest/developerguide/rotating-keys-enable.md). Cloud
    KMS: ``rotationPeriod`` set (pulumi_gcp kms/crypto_key.py ``rotation_period``: "Every time this period passes,
    generate a new CryptoKeyVersion and set it as the primary"). Azure Key Vault keys are
    :func:`_keyvault_rotation`'s (advisory)."""
    p = res.props
    if res.type == "aws:kms/key:Key" and p.get("enableKeyRotation") not in (True, UNKNOWN):
        yield "KMS key rotation is off: set enableKeyRotation: true (pulumi_aws defaults it to false)"
    elif res.type == "gcp:kms/cryptoKey:CryptoKey" and not is_set(p.get("rotationPeriod")):
        yield "Cloud KMS key has no rotationPeriod"


def _keyvault_rotation(res: Resource, facts: Facts) -> Iterator[str]:
    """A Key Vault key without a rotation policy. Advisory: the AKS KMS plugin (legacy experience) encrypts with one
    key version named in ``securityProfile.azureKeyVaultKms.keyId``; rotating means creating a new version and
    updating the plugin's keyID to it (the steps in Azure/kubernetes-kms#291; learn.microsoft.com/azure/aks/
    use-kms-etcd-encryption lists "Rotate the keys in a key vault" among the plugin's uses), which this platform
    does not automate yet. So a rotation policy alone would not rotate what AKS uses: the rule only advises."""
    if res.type != "azure-native:keyvault:Key":
        return
    policy = as_map(res.props.get("properties")).get("rotationPolicy")
    if policy is UNKNOWN:
        return
    actions = as_list(as_map(policy).get("lifetimeActions"))
    if not any(str(as_map(as_map(a).get("action")).get("type", "")).lower() == "rotate" for a in actions):
        yield "Key Vault key has no rotationPolicy with a rotate action (AKS KMS then needs the new keyId)"


# ------------------------------------------------------------------------------------------------ protection

STATEFUL = (
    EKS,
    AWS_EKS,
    GKE,
    AKS,
    "aws:kms/key:Key",
    "gcp:kms/cryptoKey:CryptoKey",
    "azure-native:keyvault:Vault",
    "azure-native:keyvault:Key",
    OIDC_PROVIDER,
    "gcp:serviceaccount/account:Account",
    "azure-native:managedidentity:UserAssignedIdentity",
)
"""Resources whose loss is not recoverable by another ``pulumi up``: clusters, KMS keys and cluster identities."""

PER_MODEL = "mlplatform:index:ModelService"
"""Identities inside a ModelService are per model and recreated with it: not protected."""


def _deletion_protected(res: Resource) -> bool:
    if res.protect:
        return True
    return res.props.get("deletionProtection") is True


def _prod_protect(res: Resource, facts: Facts) -> Iterator[str]:
    stateful = res.type in STATEFUL or clouds.of_cluster_type(res.type) is not None
    if facts.environment != "prod" or not stateful or PER_MODEL in res.urn:
        return
    if not _deletion_protected(res):
        yield (
            f"{res.type.rsplit(':', 1)[-1]} {res.name} can be destroyed by accident on a prod stack: "
            "register it with protect=True (or deletionProtection: true)"
        )


# ------------------------------------------------------------------------------------------------ network policy

VPC_CNI = "eks:index:VpcCniAddon"
EKS_ADDON = "aws:eks/addon:Addon"
NO_NETWORK_POLICY = (None, "", "none")
"""AKS ``networkProfile.networkPolicy`` values that enforce nothing. pulumi_azure_native 3.29
containerservice/_enums.py ``NetworkPolicy`` has four values: ``none`` ("Network policies will not be enforced. This
is the default value when NetworkPolicy is not specified"), ``calico``, ``azure`` and ``cilium`` (which "requires
networkDataplane to be 'cilium'"); the other three enforce it."""


def _cni_setting(options: Mapping[str, Any]) -> Any:
    """The vpc-cni ``enableNetworkPolicy`` pulumi-eks sends to EKS: a ``configurationValues.enableNetworkPolicy``
    given by the program wins over the ``enableNetworkPolicy`` flag (pulumi/pulumi-eks v4.3.0
    nodejs/eks/addons/cni-addon.ts ``mergeConfigurationValues``: the flag is written only
    ``if (!("enableNetworkPolicy" in config) && enableNetworkPolicy !== undefined)``)."""
    values = options.get("configurationValues")
    if values is UNKNOWN:
        return UNKNOWN
    if isinstance(values, str):
        try:
            values = json.loads(values)
        except json.JSONDecodeError:
            return None
    if isinstance(values, Mapping) and "enableNetworkPolicy" in values:
        return values["enableNetworkPolicy"]
    return options.get("enableNetworkPolicy")


def _enabled(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _network_policy(res: Resource, facts: Facts) -> Iterator[str]:
    """Whether the network plugin of a cluster the platform creates enforces NetworkPolicy, read from the cluster.

    - EKS (``eks:index:Cluster`` ``vpcCniOptions``, its ``eks:index:VpcCniAddon`` child, and the ``vpc-cni``
      ``aws:eks/addon:Addon`` when its ``configurationValues`` are given): ``enableNetworkPolicy`` "Enables using
      Kubernetes network policies. In Kubernetes, by default, all pod-to-pod communication is allowed" (pulumi_eks
      4.4.0 ``VpcCniOptionsArgs.enable_network_policy``), read as :func:`_cni_setting` merges it; unset means the
      VPC CNI's default, off. ``useDefaultVpcCni: true`` leaves the add-on pulumi-eks would configure out
      (cluster.ts: the add-on is created when ``!args.useDefaultVpcCni``), so nothing turns the policy agent on.
    - GKE: ``datapathProvider: ADVANCED_DATAPATH`` (Dataplane V2; "This is set to ``LEGACY_DATAPATH`` by default",
      pulumi_gcp 10.2 container/cluster.py ``datapath_provider``; with Dataplane V2 Kubernetes NetworkPolicy is
      always on, cloud.google.com/kubernetes-engine/docs/concepts/dataplane-v2), else ``networkPolicy.enabled``
      ("Whether network policy is enabled on the cluster", ``ClusterNetworkPolicyArgs``) with the
      ``addonsConfig.networkPolicyConfig`` add-on not disabled.
    - AKS: ``networkProfile.networkPolicy`` set and not ``none`` (:data:`NO_NETWORK_POLICY`; ``cilium`` with
      ``networkDataplane: cilium``).

    An existing cluster has no cluster resource here: ``cluster.existing.networkPolicy`` states the fact and the
    advisory ``network-policy-enforced`` (policy/rules/network.py) warns when it is not ``enforced``.
    """
    yield from _unchecked_cluster(res)
    p = res.props
    off = "the cluster's network plugin does not enforce NetworkPolicy, so the models' and the gateway's "
    off += "NetworkPolicies have no effect"
    if res.type == EKS:
        if p.get("useDefaultVpcCni") is True:
            yield f"{off}: useDefaultVpcCni leaves the VPC CNI without enableNetworkPolicy"
            return
        options = p.get("vpcCniOptions")
        if options is UNKNOWN:
            return
        value = _cni_setting(as_map(options))
        if value is not UNKNOWN and not _enabled(value):
            yield f"{off}: vpcCniOptions.enableNetworkPolicy is {value!r}, give true"
    elif res.type == VPC_CNI:
        value = _cni_setting(p)
        if value is not UNKNOWN and not _enabled(value):
            yield f"{off}: the vpc-cni add-on's enableNetworkPolicy is {value!r}, give true"
    elif res.type == EKS_ADDON and p.get("addonName") == "vpc-cni" and "configurationValues" in p:
        value = _cni_setting({"configurationValues": p.get("configurationValues")})
        if value is not UNKNOWN and not _enabled(value):
            yield f'{off}: the vpc-cni add-on\'s configurationValues.enableNetworkPolicy is {value!r}, give "true"'
    elif res.type == GKE:
        datapath = p.get("datapathProvider")
        if datapath in ("ADVANCED_DATAPATH", UNKNOWN):
            return
        policy = p.get("networkPolicy")
        addon = as_map(as_map(p.get("addonsConfig")).get("networkPolicyConfig"))
        enabled = as_map(policy).get("enabled") in (True, UNKNOWN) and addon.get("disabled") is not True
        if policy is UNKNOWN or enabled:
            return
        yield f"{off}: datapathProvider is {datapath or 'unset (LEGACY_DATAPATH)'} and networkPolicy is not enabled"
    elif res.type == AKS:
        profile = p.get("networkProfile")
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


# ------------------------------------------------------------------------------------------------ hardening

AKS_POOL = "azure-native:containerservice:AgentPool"
AKS_VAULT = "azure-native:keyvault:Vault"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
EBS_PROVISIONERS = ("ebs.csi.aws.com", "kubernetes.io/aws-ebs")
"""The EBS CSI driver's provisioner name (kubernetes-sigs/aws-ebs-csi-driver) and the in-tree one it replaced."""
AKS_OS_PATCHED = ("NodeImage", "SecurityPatch")
"""AKS ``autoUpgradeProfile.nodeOSUpgradeChannel`` values that patch every node, new ones included
(pulumi_azure_native 3.29 containerservice/_enums.py ``NodeOSUpgradeChannel``: ``NodeImage`` "AKS will update the
nodes with a newly patched VHD containing security fixes and bugfixes on a weekly cadence", ``SecurityPatch`` "AKS
downloads and updates the nodes with tested security updates"). ``None``: "No attempt to update your machines OS
will be made ... you are responsible for your security updates"; ``Unmanaged``: "Newly scaled in machines will be
unpatched initially" and on Windows "equivalent to None". Unset means the default, "The default is NodeImage"."""


def _eks_auth_mode(res: Resource) -> Any:
    """The cluster's authentication mode, None when unset (EKS then uses CONFIG_MAP). pulumi-eks hands its
    ``authenticationMode`` to its ``aws:eks/cluster:Cluster`` child as ``accessConfig.authenticationMode``
    (pulumi/pulumi-eks nodejs/eks/cluster/cluster.ts, ``accessConfig: args.authenticationMode ? {...}``), which is
    what the pack sees in a preview."""
    if res.type == EKS:
        return res.props.get("authenticationMode")
    access = res.props.get("accessConfig")
    return UNKNOWN if access is UNKNOWN else as_map(access).get("authenticationMode")


def _ebs_class_unencrypted(res: Resource) -> Any:
    """How an EBS StorageClass's ``encrypted`` parameter reads when it does not encrypt, else None (None too for a
    class of another provisioner). Parameter keys are case-insensitive (aws-ebs-csi-driver docs/parameters.md: "Unless
    explicitly noted, all parameters are case insensitive")."""
    p = res.props
    if p.get("provisioner") not in EBS_PROVISIONERS:
        return None
    params = p.get("parameters")
    if params is UNKNOWN:
        return None
    value = next((v for k, v in as_map(params).items() if str(k).lower() == "encrypted"), None)
    if value is UNKNOWN or value is True or str(value).lower() == "true":
        return None
    return "unset" if value is None else repr(value)


def _is_true(value: Any) -> bool:
    return value is True or value == "true"


def _ebs_unencrypted(mappings: Any, key: str) -> list[str]:
    """Device names of block device mappings whose EBS volume is not encrypted (``encrypted`` must be true)."""
    out = []
    for m in as_list(mappings):
        ebs = as_map(m).get(key)
        if not isinstance(ebs, Mapping):
            continue
        enc = ebs.get("encrypted")
        if enc is not UNKNOWN and not _is_true(enc):
            out.append(str(as_map(m).get("deviceName", "?")))
    return out


def _hardening(res: Resource, facts: Facts) -> Iterator[str]:
    """The cluster and node hardening the cluster components set, read back from what they render.

    GKE (pulumi_gcp 10.2 container/cluster.py and _inputs.py docstrings): ``enableLegacyAbac`` ("When enabled,
    identities in the system, including service accounts, nodes, and controllers, will have statically granted
    permissions beyond those provided by the RBAC configuration or IAM") not true;
    ``masterAuth.clientCertificateConfig.issueClientCertificate`` ("Whether client certificate authorization is
    enabled for this cluster") not true; ``privateClusterConfig.enablePrivateNodes`` ("Whether nodes have internal
    IP addresses only") true; ``enableShieldedNodes`` not false; each node pool's
    ``nodeConfig.shieldedInstanceConfig.enableSecureBoot`` ("Defines if the instance has Secure Boot enabled") true;
    on prod ``deletionProtection`` not false ("Deleting this cluster via ... ``pulumi up`` will only succeed if this
    field is ``false``").

    EKS: ``nodeAssociatePublicIpAddress`` false (pulumi-eks defaults it to true: pulumi/pulumi-eks v4.3.0
    nodejs/eks/nodes/nodegroup.ts ``args.nodeAssociatePublicIpAddress ?? true``); launch templates give no network
    interface ``associatePublicIpAddress`` "true" ("Associate a public IP address with the network interface",
    pulumi_aws 7.51 ec2/_inputs.py) and encrypt every EBS mapping (``encrypted`` "Enables EBS encryption on the
    volume", same file); Karpenter's EC2NodeClass sets ``associatePublicIPAddress: false`` and ``encrypted: true``
    on every EBS mapping ("AssociatePublicIPAddress controls if public IP addresses are assigned to instances",
    "Encrypted indicates whether the EBS volume is encrypted": shared/upstream/crd-schemas/karpenter.k8s.aws/
    ec2nodeclass_v1.json); on prod the cluster's ``deletionProtection`` not false. ``authenticationMode`` (pulumi-eks)
    or ``accessConfig.authenticationMode`` is ``API``: with ``API_AND_CONFIG_MAP`` or ``CONFIG_MAP`` the aws-auth
    ConfigMap maps IAM principals to Kubernetes users outside the access entries; unset is ``CONFIG_MAP`` ("If you
    create a cluster by using the EKS API, AWS SDKs, or AWS CloudFormation, the default is CONFIG_MAP", EKS API
    ``CreateAccessConfigRequest``, docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessConfigRequest.html).
    A StorageClass of the EBS CSI driver sets ``parameters.encrypted`` "true" ("Whether the volume should be
    encrypted or not. Valid values are "true" or "false"", default false: kubernetes-sigs/aws-ebs-csi-driver
    docs/parameters.md).

    AKS: no node pool with ``enableNodePublicIP`` true ("Whether each node is allocated its own public IP ... The
    default is false", pulumi_azure_native 3.29 containerservice/_inputs.py); the Key Vault the platform creates
    authorizes data actions through Azure RBAC (``properties.enableRbacAuthorization`` true: "If null or not
    specified, the vault is created with the default value of false", keyvault/_inputs.py) and has purge protection
    (``enablePurgeProtection`` true: "only the Key Vault service may initiate a hard, irrecoverable deletion").
    The cluster's ``autoUpgradeProfile.nodeOSUpgradeChannel`` is unset or one of :data:`AKS_OS_PATCHED`.
    Local accounts are ``aks-entra-only``'s; secrets encryption, audit logs and the API endpoint have their rules.
    """
    p = res.props
    prod = facts.environment == "prod"
    if res.type == GKE:
        if p.get("enableLegacyAbac") is True:
            yield "GKE legacy ABAC is on (enableLegacyAbac): it grants permissions beyond RBAC and IAM"
        cert = as_map(as_map(p.get("masterAuth")).get("clientCertificateConfig")).get("issueClientCertificate")
        if cert is True:
            yield "GKE issues a client certificate (masterAuth.clientCertificateConfig.issueClientCertificate)"
        private = p.get("privateClusterConfig")
        nodes = as_map(private).get("enablePrivateNodes")
        if private is not UNKNOWN and nodes is not UNKNOWN and nodes is not True:
            yield "GKE nodes get public IPs: set privateClusterConfig.enablePrivateNodes true"
        if p.get("enableShieldedNodes") is False:
            yield "GKE Shielded Nodes are off (enableShieldedNodes false)"
        if prod and p.get("deletionProtection") is False:
            yield "GKE cluster deletionProtection is false on a prod stack"
    elif res.type == GKE_POOL:
        config = p.get("nodeConfig")
        shielded = as_map(config).get("shieldedInstanceConfig")
        boot = as_map(shielded).get("enableSecureBoot")
        if UNKNOWN not in (config, shielded, boot) and boot is not True:
            yield "GKE node pool without Secure Boot: set nodeConfig.shieldedInstanceConfig.enableSecureBoot true"
    elif res.type in (EKS, AWS_EKS):
        if res.type == EKS:
            public = p.get("nodeAssociatePublicIpAddress")
            if public is not UNKNOWN and public is not False:
                yield (
                    "EKS nodes may get public IPs: set nodeAssociatePublicIpAddress false (pulumi-eks defaults to true)"
                )
        mode = _eks_auth_mode(res)
        if mode is not UNKNOWN and mode != "API":
            yield (
                f"EKS authenticationMode is {mode or 'unset (CONFIG_MAP)'}: the aws-auth ConfigMap maps IAM principals "
                "besides the access entries; set API"
            )
        if prod and p.get("deletionProtection") is False:
            yield "EKS cluster deletionProtection is false on a prod stack"
    elif res.type == STORAGE_CLASS:
        if (value := _ebs_class_unencrypted(res)) is not None:
            yield (
                f"StorageClass {res.k8s_name} makes unencrypted EBS volumes (parameters.encrypted {value}, the "
                'driver\'s default is false): set encrypted "true"'
            )
    elif res.type == LAUNCH_TEMPLATE:
        for nic in as_list(p.get("networkInterfaces")):
            if _is_true(as_map(nic).get("associatePublicIpAddress")):
                yield "launch template gives nodes a public IP (networkInterfaces associatePublicIpAddress)"
        if bad := _ebs_unencrypted(p.get("blockDeviceMappings"), "ebs"):
            yield f"launch template volumes not encrypted: {', '.join(bad)} (blockDeviceMappings ebs.encrypted)"
    elif res.type == EC2_NODE_CLASS:
        spec = p.get("spec")
        if spec is UNKNOWN:
            return
        public = as_map(spec).get("associatePublicIPAddress")
        if public is not UNKNOWN and public is not False:
            yield f"EC2NodeClass {res.k8s_name} may give nodes public IPs: set spec.associatePublicIPAddress false"
        if bad := _ebs_unencrypted(as_map(spec).get("blockDeviceMappings"), "ebs"):
            yield f"EC2NodeClass {res.k8s_name} volumes not encrypted: {', '.join(bad)} (ebs.encrypted true)"
    elif res.type == AKS:
        for pool in as_list(p.get("agentPoolProfiles")):
            if as_map(pool).get("enableNodePublicIP") is True:
                yield f"AKS pool {as_map(pool).get('name')} gives each node a public IP (enableNodePublicIP)"
        upgrade = p.get("autoUpgradeProfile")
        channel = UNKNOWN if upgrade is UNKNOWN else as_map(upgrade).get("nodeOSUpgradeChannel")
        if channel not in (UNKNOWN, None, *AKS_OS_PATCHED):
            yield (
                f"AKS nodes get no (or late) OS security patches: autoUpgradeProfile.nodeOSUpgradeChannel is "
                f"{channel}; give NodeImage or SecurityPatch"
            )
    elif res.type == AKS_POOL:
        if p.get("enableNodePublicIP") is True:
            yield f"AKS pool {res.name} gives each node a public IP (enableNodePublicIP)"
    elif res.type == AKS_VAULT:
        props = p.get("properties")
        if props is UNKNOWN:
            return
        props = as_map(props)
        if props.get("enableRbacAuthorization") not in (True, UNKNOWN):
            yield f"Key Vault {res.name} authorizes data actions by access policies: set enableRbacAuthorization true"
        if props.get("enablePurgeProtection") not in (True, UNKNOWN):
            yield f"Key Vault {res.name} has no purge protection (enablePurgeProtection true)"


# ------------------------------------------------------------------------------------------------ unknown reads
# What each rule reads and compares with a value (not only "is it set": an unknown ARN or key name is set). The plan
# engine never writes these as unknown for the shipped stacks (tests/policy/test_policy_unknown_reads.py); a value
# known only after deploy there is named in the rule's passing entry and fails ``check --strict`` (red team #17
# cause 4: G06t, G07t, G10t).

_API_READS = reading(
    {
        EKS: ("endpointPublicAccess", "publicAccessCidrs", "publicAccessCidrs[]", "endpointPrivateAccess"),
        AWS_EKS: (
            "vpcConfig.endpointPublicAccess",
            "vpcConfig.publicAccessCidrs",
            "vpcConfig.publicAccessCidrs[]",
            "vpcConfig.endpointPrivateAccess",
        ),
        GKE: (
            "privateClusterConfig.enablePrivateEndpoint",
            "masterAuthorizedNetworksConfig.cidrBlocks[].cidrBlock",
            "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled",
        ),
        AKS: (
            "apiServerAccessProfile.enablePrivateCluster",
            "apiServerAccessProfile.authorizedIPRanges",
            "apiServerAccessProfile.authorizedIPRanges[]",
        ),
    }
)
_SECRETS_READS = reading(
    {
        AWS_EKS: ("encryptionConfig", "encryptionConfig[].resources", "encryptionConfig[].resources[]"),
        GKE: ("databaseEncryption", "databaseEncryption.state"),
        AKS: ("securityProfile.azureKeyVaultKms.enabled",),
    }
)
_AUDIT_READS = reading(
    {
        EKS: ("enabledClusterLogTypes", "enabledClusterLogTypes[]"),
        AWS_EKS: ("enabledClusterLogTypes", "enabledClusterLogTypes[]"),
        GKE: ("loggingService", "loggingConfig.enableComponents", "loggingConfig.enableComponents[]"),
        **{t: ("logs", "logs[].enabled", "logs[].category", "logs[].categoryGroup") for t in DIAGNOSTIC_SETTINGS},
    }
)
_IDENTITY_READS = reading(
    {
        EKS: ("createOidcProvider",),
        GKE: ("workloadIdentityConfig",),
        GKE_POOL: ("nodeConfig.workloadMetadataConfig.mode",),
        AKS: ("oidcIssuerProfile.enabled", "securityProfile.workloadIdentity.enabled"),
    }
)
_ENTRA_READS = reading({AKS: ("disableLocalAccounts", "enableRBAC", "aadProfile.enableAzureRBAC")})

_IMDS_READS = reading(
    {
        LAUNCH_TEMPLATE: ("metadataOptions.httpTokens", "metadataOptions.httpPutResponseHopLimit"),
        EC2_NODE_CLASS: ("spec.metadataOptions.httpTokens", "spec.metadataOptions.httpPutResponseHopLimit"),
    }
)
_NETWORK_READS = reading(
    {
        EKS: ("useDefaultVpcCni", "vpcCniOptions.enableNetworkPolicy", "vpcCniOptions.configurationValues"),
        VPC_CNI: ("enableNetworkPolicy", "configurationValues"),
        EKS_ADDON: ("addonName", "configurationValues"),
        GKE: (
            "datapathProvider",
            "networkPolicy",
            "networkPolicy.enabled",
            "addonsConfig.networkPolicyConfig.disabled",
        ),
        AKS: ("networkProfile.networkPolicy", "networkProfile.networkDataplane"),
    }
)
_HARDENING_READS = reading(
    {
        GKE: (
            "enableLegacyAbac",
            "masterAuth.clientCertificateConfig.issueClientCertificate",
            "privateClusterConfig.enablePrivateNodes",
            "enableShieldedNodes",
            "deletionProtection",
        ),
        GKE_POOL: ("nodeConfig.shieldedInstanceConfig.enableSecureBoot",),
        EKS: ("nodeAssociatePublicIpAddress", "authenticationMode", "deletionProtection"),
        AWS_EKS: ("accessConfig.authenticationMode", "deletionProtection"),
        STORAGE_CLASS: ("provisioner", "parameters"),
        LAUNCH_TEMPLATE: (
            "networkInterfaces[].associatePublicIpAddress",
            "blockDeviceMappings[].ebs.encrypted",
        ),
        EC2_NODE_CLASS: ("spec.associatePublicIPAddress", "spec.blockDeviceMappings[].ebs.encrypted"),
        AKS: ("agentPoolProfiles[].enableNodePublicIP", "autoUpgradeProfile.nodeOSUpgradeChannel"),
        AKS_POOL: ("enableNodePublicIP",),
        AKS_VAULT: ("properties.enableRbacAuthorization", "properties.enablePurgeProtection"),
    }
)
_ROTATION_READS = reading({"aws:kms/key:Key": ("enableKeyRotation",)})


RULES = [
    Rule(
        name="api-endpoint-restricted",
        description=(
            "The Kubernetes API endpoint is private or limited to listed CIDRs, unless the stack opts in; EKS keeps "
            "its private endpoint on (nodes join through it)."
        ),
        enforcement="mandatory",
        area="cluster",
        applies_to=CLUSTERS,
        check_resource=_api_restricted,
        remediation="cluster.apiAccess.publicCidrs: [your CIDRs], or no public endpoint",
        unknown=_API_READS,
    ),
    Rule(
        name="api-endpoint-world-opt-in",
        description="A stack that opted in to a world-open API endpoint (allowWorld) is still flagged.",
        enforcement="advisory",
        area="cluster",
        applies_to=CLUSTERS,
        check_resource=_api_world_opt_in,
    ),
    Rule(
        name="secrets-encryption",
        description="Kubernetes Secrets are envelope-encrypted with a customer-managed key (CIS EKS 5.3.1).",
        enforcement="mandatory",
        area="cluster",
        applies_to=CLUSTERS,
        check_resource=_secrets_encryption,
        unknown=_SECRETS_READS,
    ),
    Rule(
        name="audit-logs",
        description="Control-plane audit logs are on (EKS api/audit/authenticator, GKE API server, AKS kube-audit).",
        enforcement="mandatory",
        area="cluster",
        applies_to=(*CLUSTERS, *DIAGNOSTIC_SETTINGS),
        check_resource=_audit_logs,
        check_stack=_aks_audit,
        unknown=_AUDIT_READS,
    ),
    Rule(
        name="workload-identity",
        description="Pods get cloud credentials through workload identity (IRSA, GKE_METADATA, AKS OIDC).",
        enforcement="mandatory",
        area="cluster",
        applies_to=(EKS, AWS_EKS, GKE, GKE_POOL, AKS, OIDC_PROVIDER),
        check_stack=_workload_identity,
        unknown=_IDENTITY_READS,
    ),
    Rule(
        name="aks-entra-only",
        description="AKS clusters keep no local accounts, Kubernetes RBAC on, and authorize through Azure RBAC.",
        enforcement="mandatory",
        area="cluster",
        applies_to=(AKS,),
        check_resource=_aks_entra_only,
        unknown=_ENTRA_READS,
    ),
    Rule(
        name="imdsv2-required",
        description="EKS nodes require IMDSv2 with a hop limit of 1 (launch templates, Karpenter EC2NodeClass).",
        enforcement="mandatory",
        area="cluster",
        applies_to=(LAUNCH_TEMPLATE, EC2_NODE_CLASS),
        check_resource=_imds,
        unknown=_IMDS_READS,
    ),
    Rule(
        name="cluster-network-policy",
        description=(
            "Every cluster the platform creates runs a network plugin that enforces NetworkPolicy, read from the "
            "cluster (EKS vpc-cni enableNetworkPolicy, GKE Dataplane V2 or networkPolicy, AKS networkPolicy)."
        ),
        enforcement="mandatory",
        area="cluster",
        applies_to=(*CLUSTERS, VPC_CNI, EKS_ADDON),
        check_resource=_network_policy,
        remediation="keep the plugin's NetworkPolicy enforcement on (the models' NetworkPolicies rely on it)",
        unknown=_NETWORK_READS,
    ),
    Rule(
        name="cluster-hardening",
        description=(
            "Cluster and node hardening the components set stays: GKE no legacy ABAC, no client certificate, "
            "private nodes, Shielded Nodes and Secure Boot; no node public IPs and encrypted node volumes (EKS, "
            "Karpenter, AKS); EKS authenticationMode API; EBS StorageClasses encrypted; AKS node OS patches "
            "(NodeImage or SecurityPatch); Key Vault RBAC and purge protection; deletion protection not off on prod."
        ),
        enforcement="mandatory",
        area="cluster",
        applies_to=(
            GKE,
            GKE_POOL,
            EKS,
            AWS_EKS,
            LAUNCH_TEMPLATE,
            EC2_NODE_CLASS,
            AKS,
            AKS_POOL,
            AKS_VAULT,
            STORAGE_CLASS,
        ),
        check_resource=_hardening,
        unknown=_HARDENING_READS,
    ),
    Rule(
        name="kms-key-rotation",
        description="Customer-managed keys that encrypt Secrets rotate (AWS KMS enableKeyRotation, Cloud KMS period).",
        enforcement="mandatory",
        area="cluster",
        applies_to=KMS_KEYS,
        check_resource=_key_rotation,
        unknown=_ROTATION_READS,
    ),
    Rule(
        name="keyvault-key-rotation",
        description="Key Vault keys that encrypt Secrets have a rotation policy (AKS KMS then needs the new keyId).",
        enforcement="advisory",
        area="cluster",
        applies_to=(VAULT_KEY,),
        check_resource=_keyvault_rotation,
    ),
    Rule(
        name="prod-protect-stateful",
        description="On prod stacks, clusters, KMS keys and cluster identities are protected against destroy.",
        enforcement="mandatory",
        area="cluster",
        applies_to=STATEFUL,
        check_resource=_prod_protect,
    ),
]
