"""What pulumi-eks's remote components do inside the provider, modelled so that a plan sees it.

``eks:index:Cluster`` and ``eks:index:ManagedNodeGroup`` are remote (multi-language) components: the Python SDK
sends their inputs to the ``pulumi-resource-eks`` provider, whose Node.js implementation validates them and registers
the children. Under mocks that implementation never runs, so a combination the provider refuses passed every offline
check (issue 11, defect 1: ``instanceRoles`` with ``authenticationMode: API``).

The implementation cannot be run here: the npm package ``@pulumi/eks`` (4.x, like 3.x) is the generated client SDK,
whose ``Cluster`` registers itself with ``remote: true`` (``cluster.js``: ``super(Cluster.__pulumiType, name,
resourceInputs, opts, true /*remote*/)``), so under Node.js mocks it is one registration too; the implementation is
only in the provider plugin (a GitHub release download, which needs the Pulumi CLI or network) and in the source tree
``nodejs/eks``. So this module models it, line for line from that source, for the branches our programs reach:

- validation, with pulumi-eks's own messages: ``validateAuthenticationMode`` (``cluster/authenticationMode.ts``),
  the mutually exclusive arguments of ``createCore`` and ``publicAccessCidrs`` (``cluster/cluster.ts``), the checks of
  ``createManagedNodeGroup`` (``nodes/nodegroup.ts``);
- children, with their names, parents and inputs: the EKS service role (``servicerole.ts``), the default cluster
  security group, the ``aws:eks/cluster:Cluster``, the kube-proxy, coredns and vpc-cni add-ons, the aws-auth
  ConfigMap (with pulumi-eks's own Kubernetes provider, recorded only then), access entries and policy
  associations, the OIDC provider, an instance role, and a managed node group's ``aws:eks/nodeGroup:NodeGroup``.

Source: pulumi/pulumi-eks tag v4.3.0 (the newest tag published; the Python SDK we pin is 4.4.0, whose tag is not in
the repository, and the commits after v4.3.0 change no file under ``nodejs/eks`` but ``yarn.lock``). What the model
does not cover (EKS Auto Mode, Fargate, the default node group, the default node security group, storage classes, a
managed node group's own launch template, the vpc-cni add-on's ``configurationValues``) is reported as a plan
warning, never guessed. Every modelled child carries :data:`SOURCE` (``modelledFrom`` in the plan JSON).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from components import markers
from components.plan import fakes
from components.plan.fakes import Child, Create

UNKNOWN = markers.UNKNOWN
SOURCE = "pulumi/pulumi-eks v4.3.0 nodejs/eks"
"""Where the modelled behaviour is from (repository, tag, folder)."""
CLUSTER = "eks:index:Cluster"
MANAGED_NODE_GROUP = "eks:index:ManagedNodeGroup"
MODELLED = (CLUSTER, MANAGED_NODE_GROUP)

CONFIG_MAP, API_AND_CONFIG_MAP, API = "CONFIG_MAP", "API_AND_CONFIG_MAP", "API"


class ComponentRefused(fakes.ComponentRefused):
    """pulumi-eks refuses the inputs a program gives one of its components (``pulumi preview`` would fail)."""

    def __init__(self, type_: str, name: str, reason: str, where: str) -> None:
        self.type_, self.name, self.reason, self.where = type_, name, reason, where
        super().__init__("", "", "")

    @property
    def message(self) -> str:
        """One line: the component, pulumi-eks's own message, and where it comes from."""
        return f"{self.type_} {self.name}: pulumi-eks refuses these inputs: {self.reason} ({SOURCE}/{self.where})"


__all__ = ["Child", "ComponentRefused", "Create", "Expansion", "expand_cluster", "expand_managed_node_group"]


def _set(value: Any) -> bool:
    """JavaScript truthiness of an input: arrays and objects (even empty) and unknown outputs are true."""
    return value is not None and value is not False and value != "" and value != 0


def _known(value: Any) -> bool:
    """True when ``value`` holds no unknown anywhere (an apply over it runs in a preview)."""
    if value is UNKNOWN:
        return False
    if isinstance(value, dict):
        return all(_known(v) for v in value.values())
    if isinstance(value, list):
        return all(_known(v) for v in value)
    return not (hasattr(value, "value") and value.value is UNKNOWN)


def _all(*values: Any) -> bool:
    return all(_known(v) for v in values)


def _map(value: Any) -> dict[str, Any]:
    """``value`` when it is a map, else an empty one."""
    return value if isinstance(value, dict) else {}


def _without_none(d: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _js_json(value: Any) -> str:
    """``JSON.stringify``: no spaces, keys in insertion order."""
    return json.dumps(value, separators=(",", ":"))


def _sha1_8(text: str) -> str:
    """``sha1hash`` of servicerole.ts: the first 8 hex digits of the SHA-1."""
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def supports_config_map(mode: Any) -> bool:
    """``supportsConfigMap`` (cluster/authenticationMode.ts): unset defaults to CONFIG_MAP."""
    return not mode or mode in (CONFIG_MAP, API_AND_CONFIG_MAP)


def supports_access_entries(mode: Any) -> bool:
    """``supportsAccessEntries`` (cluster/authenticationMode.ts)."""
    return mode in (API, API_AND_CONFIG_MAP)


@dataclass
class ClusterModel:
    """What a modelled cluster gives the node groups built on it (``CoreData`` in cluster.ts)."""

    name: Any
    version: Any
    authentication_mode: Any
    instance_role_arns: list[Any] | Any
    node_access: str | None
    subnet_ids: Any
    private_subnet_ids: Any
    public_subnet_ids: Any


@dataclass
class Expansion:
    """The state kept over one plan: modelled clusters by URN, and what was not modelled."""

    clusters: dict[str, ClusterModel] = field(default_factory=dict)
    not_modelled: list[str] = field(default_factory=list)

    def skip(self, urn: str, what: str) -> None:
        """Note a branch the model does not cover."""
        name = urn.rsplit("::", 1)[-1]
        self.not_modelled.append(
            f"pulumi-eks model: {what} of {name} is not modelled; its children are not in the plan"
        )


def validate_authentication_mode(name: str, a: Mapping[str, Any]) -> None:
    """``validateAuthenticationMode`` (cluster/authenticationMode.ts), with its messages."""
    where = "cluster/authenticationMode.ts"
    mode = a.get("authenticationMode")
    if mode is UNKNOWN:
        return
    if mode and mode not in (CONFIG_MAP, API_AND_CONFIG_MAP, API):
        raise ComponentRefused(
            CLUSTER,
            name,
            f"Invalid value for authenticationMode: {mode}. Allowed values are: {CONFIG_MAP}, {API_AND_CONFIG_MAP}, "
            f"{API}.",
            where,
        )
    if not supports_config_map(mode):
        for prop in ("roleMappings", "userMappings", "instanceRoles"):
            value = a.get(prop)
            # validatedInput: a known value is checked at once, an unknown one in an apply (which a preview skips)
            if value is not None and _known(value) and len(value) != 0:
                raise ComponentRefused(
                    CLUSTER,
                    name,
                    f"The '{prop}' property does not support non-empty values when 'authenticationMode' is set to "
                    f"'{mode}'.",
                    where,
                )
    if not supports_access_entries(mode) and _set(a.get("accessEntries")):
        state = f"set to '{mode}'" if mode is not None else "not set"
        raise ComponentRefused(
            CLUSTER, name, f"The 'accessEntries' property is not supported when 'authenticationMode' is {state}.", where
        )


_SINGULAR_NODE_GROUP_OPTIONS = (
    "nodeSubnetIds",
    "nodeAssociatePublicIpAddress",
    "instanceType",
    "instanceProfileName",
    "nodePublicKey",
    "nodeRootVolumeSize",
    "nodeUserData",
    "minSize",
    "maxSize",
    "desiredCapacity",
    "nodeAmiId",
    "gpu",
)
"""createCore's list of singular node group options that exclude ``nodeGroupOptions`` (cluster/cluster.ts)."""


def validate_cluster(name: str, a: Mapping[str, Any]) -> None:
    """createCore's checks (cluster/cluster.ts), in its order, after validateAuthenticationMode."""
    where = "cluster/cluster.ts"
    validate_authentication_mode(name, a)
    if _set(a.get("instanceRole")) and _set(a.get("instanceRoles")):
        raise ComponentRefused(
            CLUSTER, name, "instanceRole and instanceRoles are mutually exclusive, and cannot both be set.", where
        )
    if _set(a.get("subnetIds")) and (_set(a.get("publicSubnetIds")) or _set(a.get("privateSubnetIds"))):
        raise ComponentRefused(
            CLUSTER,
            name,
            "subnetIds, and the use of publicSubnetIds and/or privateSubnetIds are mutually exclusive. Choose a "
            "single approach.",
            where,
        )
    # JavaScript truthiness: nodeAssociatePublicIpAddress false does not count
    if _set(a.get("nodeGroupOptions")) and any(_set(a.get(k)) for k in _SINGULAR_NODE_GROUP_OPTIONS):
        raise ComponentRefused(
            CLUSTER,
            name,
            "Setting nodeGroupOptions, and any set of singular node group option(s) on the cluster, is mutually "
            "exclusive. Choose a single approach.",
            where,
        )
    auto = a.get("autoMode") or {}
    mode = a.get("authenticationMode")
    auto_on = isinstance(auto, dict) and auto.get("enabled") is True
    if auto_on and mode is not UNKNOWN and not supports_access_entries(mode):
        raise ComponentRefused(
            CLUSTER,
            name,
            "Access entries are required when using EKS Auto Mode. Use the authentication mode 'API' or "
            "'API_AND_CONFIG_MAP'.",
            where,
        )
    cidrs, public = a.get("publicAccessCidrs"), a.get("endpointPublicAccess", True)
    if _set(cidrs) and _all(cidrs, public) and not public and cidrs:
        raise ComponentRefused(
            CLUSTER, name, "`publicAccessCidrs` can only be set when `endpointPublicAccess` is true", where
        )


def _service_role(
    create: Create,
    parent: str,
    name: str,
    service: str,
    policies: list[str],
    partition: Any,
    tags: Any,
    *,
    description: str | None = None,
    actions: list[str] | None = None,
) -> tuple[str, dict[str, Any], list[str]]:
    """``ServiceRole`` (servicerole.ts): a component with the role and one attachment per managed policy.

    Returns the component's URN, the role's outputs and the URNs of role and attachments (``resolvedRole``)."""
    # A Node.js component sends its args as its inputs (@pulumi/pulumi resource.js, ComponentResource)
    arns = [
        {
            "id": f"arn:aws:iam::aws:policy/{p}",
            "arn": f"arn:{partition}:iam::aws:policy/{p}" if _known(partition) else UNKNOWN,
        }
        for p in policies
    ]
    args = {"service": service, "description": description, "managedPolicyArns": arns, "tags": tags}
    args["assumeRoleActions"] = actions
    component, _ = create(Child("eks:index:ServiceRole", name, _without_none(args), parent, custom=False))
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Action": actions or ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": [service]}}
        ],
    }
    role_urn, role = create(
        Child(
            "aws:iam/role:Role",
            f"{name}-role",
            _without_none({"description": description, "assumeRolePolicy": _js_json(trust), "tags": tags}),
            component,
        )
    )
    urns = [role_urn]
    for policy in policies:
        arn = f"arn:{partition}:iam::aws:policy/{policy}" if partition is not UNKNOWN else UNKNOWN
        urn, _ = create(
            Child(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                f"{name}-{_sha1_8(f'arn:aws:iam::aws:policy/{policy}')}",
                {"policyArn": arn, "role": role_urn},
                component,
            )
        )
        urns.append(urn)
    return component, role, urns


def _merge_tags(*maps: Any) -> Any:
    """``pulumi.all([...]).apply(({...a, ...b}))``: unknown when any part is."""
    if not _all(*maps):
        return UNKNOWN
    out: dict[str, Any] = {}
    for m in maps:
        out.update(m or {})
    return out


def expand_cluster(
    reg_urn: str,
    name: str,
    a: Mapping[str, Any],
    create: Create,
    state: Expansion,
    partition: Any,
    state_of: Callable[[str], Mapping[str, Any]],
) -> None:
    """Register what ``new eks.Cluster(name, a)`` registers (createCluster and createCore, cluster/cluster.ts)."""
    validate_cluster(name, a)
    auto = _map(a.get("autoMode"))
    auto_mode = bool(auto and auto.get("enabled") is True)
    if auto_mode:
        state.skip(reg_urn, "EKS Auto Mode")
    tags = a.get("tags")
    mode = a.get("authenticationMode")

    subnet_ids: Any = []
    if a.get("subnetIds") is not None:
        subnet_ids = a["subnetIds"]
    elif a.get("publicSubnetIds") is not None or a.get("privateSubnetIds") is not None:
        public, private = a.get("publicSubnetIds") or [], a.get("privateSubnetIds") or []
        subnet_ids = [*public, *private] if _all(public, private) else UNKNOWN
    vpc_id = a.get("vpcId")
    if not _set(vpc_id):
        state.skip(reg_urn, "the default VPC lookup (no vpcId)")

    service_role_deps: list[str] = []
    role_arn: Any = UNKNOWN
    if _set(a.get("serviceRole")):
        role_arn = UNKNOWN  # the given role's arn
    else:
        policies = ["AmazonEKSClusterPolicy"]
        if auto_mode:
            policies += [
                "AmazonEKSComputePolicy",
                "AmazonEKSBlockStoragePolicy",
                "AmazonEKSLoadBalancingPolicy",
                "AmazonEKSNetworkingPolicy",
            ]
        _, role, service_role_deps = _service_role(
            create,
            reg_urn,
            f"{name}-eksRole",
            "eks.amazonaws.com",
            policies,
            partition,
            tags,
            description="Allows EKS to manage clusters on your behalf.",
            actions=["sts:AssumeRole", "sts:TagSession"],
        )
        role_arn = role.get("arn", UNKNOWN)

    skip_sgs = a.get("skipDefaultSecurityGroups")
    if skip_sgs is None:
        skip_sgs = auto_mode
    cluster_sg_id: Any = None
    if _set(a.get("clusterSecurityGroup")):
        cluster_sg_id = UNKNOWN
    elif not skip_sgs:
        sg_urn, sg = create(
            Child(
                "aws:ec2/securityGroup:SecurityGroup",
                f"{name}-eksClusterSecurityGroup",
                _without_none(
                    {
                        "vpcId": vpc_id,
                        "revokeRulesOnDelete": True,
                        "tags": _merge_tags(
                            {"Name": f"{name}-eksClusterSecurityGroup"}, a.get("clusterSecurityGroupTags"), tags
                        ),
                    }
                ),
                reg_urn,
            )
        )
        cluster_sg_id = sg.get("id", UNKNOWN)
        create(
            Child(
                "aws:ec2/securityGroupRule:SecurityGroupRule",
                f"{name}-eksClusterInternetEgressRule",
                {
                    "description": "Allow internet access.",
                    "type": "egress",
                    "fromPort": 0,
                    "toPort": 0,
                    "protocol": "-1",
                    "cidrBlocks": ["0.0.0.0/0"],
                    "securityGroupId": cluster_sg_id,
                },
                reg_urn,
                depends_on=[sg_urn],
            )
        )

    encryption: Any = None
    key = a.get("encryptionConfigKeyArn")
    if _set(key):
        encryption = {"provider": {"keyArn": key}, "resources": ["secrets"]} if _known(key) else UNKNOWN

    network: Any = None
    if _set(a.get("kubernetesServiceIpAddressRange")) or _set(a.get("ipFamily")) or auto_mode:
        rng, family = a.get("kubernetesServiceIpAddressRange"), a.get("ipFamily") or "ipv4"
        network = (
            _without_none({"serviceIpv4Cidr": rng if family == "ipv4" else None, "ipFamily": family})
            if _all(rng, family)
            else UNKNOWN
        )

    public_cidrs = a.get("publicAccessCidrs") if _set(a.get("publicAccessCidrs")) else None
    cluster_inputs = _without_none(
        {
            "name": a.get("name"),
            "roleArn": role_arn,
            "kubernetesNetworkConfig": network,
            "bootstrapSelfManagedAddons": False if auto_mode else a.get("bootstrapSelfManagedAddons", True),
            "vpcConfig": _without_none(
                {
                    "securityGroupIds": [cluster_sg_id] if cluster_sg_id is not None else None,
                    "subnetIds": subnet_ids,
                    "endpointPrivateAccess": a.get("endpointPrivateAccess"),
                    "endpointPublicAccess": a.get("endpointPublicAccess"),
                    "publicAccessCidrs": public_cidrs,
                }
            ),
            "version": a.get("version"),
            "enabledClusterLogTypes": a.get("enabledClusterLogTypes"),
            "tags": _merge_tags({"Name": f"{name}-eksCluster"}, a.get("clusterTags"), tags),
            "encryptionConfig": encryption,
            "accessConfig": {"authenticationMode": mode, "bootstrapClusterCreatorAdminPermissions": True}
            if _set(mode)
            else None,
            "upgradePolicy": a.get("upgradePolicy"),
            "deletionProtection": a.get("deletionProtection"),
        }
    )
    eks_urn, eks = create(
        Child(
            "aws:eks/cluster:Cluster",
            f"{name}-eksCluster",
            cluster_inputs,
            reg_urn,
            depends_on=service_role_deps,
            ignore_changes=["accessConfig.bootstrapClusterCreatorAdminPermissions", "bootstrapSelfManagedAddons"],
        )
    )
    cluster_name = eks.get("name", UNKNOWN)
    cluster_version = eks.get("version", UNKNOWN)

    def addon(role: str, opts: Any, extra: Mapping[str, Any] | None = None) -> None:
        opts = opts if isinstance(opts, dict) else {}
        create(
            Child(
                "aws:eks/addon:Addon",
                f"{name}-{role}",
                _without_none(
                    {
                        "clusterName": cluster_name,
                        "addonName": role,
                        "preserve": True,
                        "tags": tags,
                        "resolveConflictsOnCreate": opts.get("resolveConflictsOnCreate", "OVERWRITE"),
                        "resolveConflictsOnUpdate": opts.get("resolveConflictsOnUpdate", "OVERWRITE"),
                        # getAddonVersionOutput(mostRecent) when no version is given: known only to AWS
                        "addonVersion": opts.get("version", UNKNOWN),
                        "configurationValues": _js_json(opts["configurationValues"])
                        if isinstance(opts.get("configurationValues"), dict)
                        else None,
                        **(extra or {}),
                    }
                ),
                reg_urn,
                depends_on=[eks_urn],
            )
        )

    kube_proxy = _map(a.get("kubeProxyAddonOptions"))
    if kube_proxy.get("enabled", not auto_mode):
        addon("kube-proxy", kube_proxy)

    skip_default_ng = _set(a.get("skipDefaultNodeGroup")) or _set(a.get("fargate")) or auto_mode
    instance_roles: Any = []
    default_role_arn: Any = None
    if a.get("instanceRoles") is not None:
        roles = a["instanceRoles"]
        instance_roles = [_arn_of(r, state_of) for r in roles] if isinstance(roles, list) else UNKNOWN
    elif _set(a.get("instanceRole")):
        default_role_arn = _arn_of(a["instanceRole"], state_of)
        instance_roles = [default_role_arn]
        if not skip_default_ng:
            state.skip(reg_urn, "the instance profile of instanceRole")
    elif a.get("createInstanceRole") is True or (
        not _set(a.get("skipDefaultNodeGroup")) and a.get("createInstanceRole") is None
    ):
        _, role, _deps = _service_role(
            create,
            reg_urn,
            f"{name}-instanceRole",
            "ec2.amazonaws.com",
            ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"],
            partition,
            tags,
        )
        default_role_arn = role.get("arn", UNKNOWN)
        instance_roles = [default_role_arn]
        state.skip(reg_urn, "the instance profile of the default instance role")

    node_access: str | None = None
    if supports_config_map(mode):
        # pulumi-eks's own Kubernetes provider (``<name>-eks-k8s``); recorded only for the ConfigMap that uses it
        k8s_provider, _ = create(
            Child(
                "pulumi:providers:kubernetes",
                f"{name}-eks-k8s",
                _without_none({"kubeconfig": UNKNOWN, "enableConfigMapMutable": a.get("enableConfigMapMutable")}),
                reg_urn,
                depends_on=[eks_urn],
            )
        )
        node_access, _ = create(
            Child(
                "kubernetes:core/v1:ConfigMap",
                f"{name}-nodeAccess",
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "immutable": False,
                    "metadata": {
                        "name": "aws-auth",
                        "namespace": "kube-system",
                        "annotations": {"pulumi.com/patchForce": "true"},
                    },
                    "data": _aws_auth_data(instance_roles, a.get("roleMappings"), a.get("userMappings")),
                },
                reg_urn,
                provider=k8s_provider,
            )
        )

    auth_deps: list[str] = [node_access] if node_access else []
    if supports_access_entries(mode):
        entries: dict[str, Any] = {}
        if default_role_arn is not None:
            entries["defaultNodeGroupInstanceRole"] = {"principalArn": default_role_arn, "type": "EC2_LINUX"}
        given = a.get("accessEntries")
        if isinstance(given, dict):
            entries.update(given)
        elif given is UNKNOWN:
            state.skip(reg_urn, "accessEntries (unknown before deploy)")
        for key, entry in entries.items():
            entry = _map(entry)
            entry_urn, _ = create(
                Child(
                    "aws:eks/accessEntry:AccessEntry",
                    f"{name}-{key}",
                    _without_none(
                        {
                            "clusterName": cluster_name,
                            "kubernetesGroups": entry.get("kubernetesGroups"),
                            "principalArn": entry.get("principalArn"),
                            "tags": entry.get("tags"),
                            "type": entry.get("type"),
                            "userName": entry.get("username"),
                        }
                    ),
                    reg_urn,
                    depends_on=[eks_urn],
                )
            )
            auth_deps.append(entry_urn)
            for assoc, given_policy in _map(entry.get("accessPolicies")).items():
                policy = _map(given_policy)
                create(
                    Child(
                        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
                        f"{name}-{key}-{assoc}",
                        _without_none(
                            {
                                "accessScope": policy.get("accessScope"),
                                "principalArn": entry.get("principalArn"),
                                "policyArn": policy.get("policyArn"),
                                "clusterName": cluster_name,
                            }
                        ),
                        entry_urn,
                        depends_on=[entry_urn],
                    )
                )

    if _set(a.get("storageClasses")):
        state.skip(reg_urn, "storageClasses")

    use_default_cni = a.get("useDefaultVpcCni")
    if (not use_default_cni) if use_default_cni is not None else not auto_mode:
        cni = _map(a.get("vpcCniOptions"))
        cni_urn, _ = create(
            Child(
                "eks:index:VpcCniAddon",
                f"{name}-vpc-cni",
                _without_none({**cni, "clusterName": cluster_name, "clusterVersion": cluster_version, "tags": tags}),
                reg_urn,
                custom=False,
                depends_on=auth_deps,
            )
        )
        create(
            Child(
                "aws:eks/addon:Addon",
                f"{name}-vpc-cni",
                _without_none(
                    {
                        "clusterName": cluster_name,
                        "addonVersion": cni.get("addonVersion", UNKNOWN),
                        "addonName": "vpc-cni",
                        "resolveConflictsOnCreate": cni.get("resolveConflictsOnCreate", "OVERWRITE"),
                        "resolveConflictsOnUpdate": cni.get("resolveConflictsOnUpdate", "OVERWRITE"),
                        "preserve": True,
                        "serviceAccountRoleArn": cni.get("serviceAccountRoleArn"),
                        "tags": tags,
                    }
                ),
                cni_urn,
            )
        )
        state.skip(reg_urn, "the vpc-cni add-on's configurationValues (computeEnv, addons/cni-addon.ts)")
        if cni.get("securityContextPrivileged"):
            state.skip(reg_urn, "the vpc-cni DaemonSetPatch (securityContextPrivileged)")

    fargate = a.get("fargate")
    if _set(fargate):
        state.skip(reg_urn, "fargate")
    coredns = _map(a.get("corednsAddonOptions"))
    explicit = coredns.get("enabled") is True or _set(coredns.get("configurationValues"))
    if explicit or (
        (_set(fargate) or not _set(a.get("skipDefaultNodeGroup")) or auto_mode) and coredns.get("enabled", True)
    ):
        addon("coredns", coredns)

    if _set(a.get("createOidcProvider")):
        identities = eks.get("identities", UNKNOWN)
        issuer = UNKNOWN
        if _known(identities) and identities:
            issuer = identities[0]["oidcs"][0]["issuer"]
        create(
            Child(
                "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
                f"{name}-oidcProvider",
                # the thumbprint is read from the issuer's TLS certificate at deploy time (cert-thumprint.ts)
                {"clientIdLists": ["sts.amazonaws.com"], "url": issuer, "thumbprintLists": [UNKNOWN]},
                reg_urn,
                depends_on=[eks_urn],
            )
        )

    if not skip_sgs:
        state.skip(reg_urn, "the default node security group and its rules (nodes/securitygroup.ts)")
    if not skip_default_ng:
        state.skip(reg_urn, "the default node group (createNodeGroupV2)")

    subnets = a.get("subnetIds") if a.get("subnetIds") is not None else subnet_ids
    state.clusters[reg_urn] = ClusterModel(
        name=cluster_name,
        version=cluster_version,
        authentication_mode=mode,
        instance_role_arns=instance_roles,
        node_access=node_access,
        subnet_ids=subnets if a.get("subnetIds") is not None else None,
        private_subnet_ids=a.get("privateSubnetIds"),
        public_subnet_ids=a.get("publicSubnetIds"),
    )


def _arn_of(role: Any, state_of: Callable[[str], Mapping[str, Any]]) -> Any:
    """The ARN of a role given by reference (its URN): unknown until known."""
    return state_of(role).get("arn", UNKNOWN) if isinstance(role, str) else UNKNOWN


def _aws_auth_data(roles: Any, role_mappings: Any, user_mappings: Any) -> Any:
    """``createAwsAuthData`` (cluster/authenticationMode.ts): YAML of the role (and user) mappings."""
    if not _all(roles, role_mappings or [], user_mappings or []):
        return UNKNOWN
    mappings = [
        {"rolearn": m.get("roleArn"), "username": m.get("username"), "groups": m.get("groups")}
        for m in (role_mappings or [])
    ]
    mappings += [
        {
            "rolearn": arn,
            "username": "system:node:{{EC2PrivateDNSName}}",
            "groups": ["system:bootstrappers", "system:nodes"],
        }
        for arn in roles
    ]
    data = {"mapRoles": yaml.safe_dump(mappings, sort_keys=False)}
    if user_mappings:
        users = [
            {"userarn": m.get("userArn"), "username": m.get("username"), "groups": m.get("groups")}
            for m in user_mappings
        ]
        data["mapUsers"] = yaml.safe_dump(users, sort_keys=False)
    return data


_CUSTOM_USER_DATA = ("kubeletExtraArgs", "bootstrapExtraArgs", "bottlerocketSettings", "nodeadmExtraOptions")
_CUSTOM_LAUNCH_TEMPLATE = (*_CUSTOM_USER_DATA, "enableIMDSv2", "userData", "amiId", "enableEfaSupport")
"""``customUserDataArgs`` and ``customLaunchTemplateArgs`` (nodes/nodegroup.ts)."""

_NODE_GROUP_INPUTS = (
    "amiType",
    "capacityType",
    "clusterName",
    "diskSize",
    "forceUpdateVersion",
    "instanceTypes",
    "labels",
    "launchTemplate",
    "nodeGroupName",
    "nodeGroupNamePrefix",
    "nodeRepairConfig",
    "nodeRoleArn",
    "releaseVersion",
    "remoteAccess",
    "scalingConfig",
    "subnetIds",
    "tags",
    "taints",
    "updateConfig",
    "version",
)
"""The arguments ``aws.eks.NodeGroup`` keeps from the spread ``...nodeGroupArgs`` (pulumi-aws 7 NodeGroupArgs)."""


def expand_managed_node_group(
    reg_urn: str,
    name: str,
    a: Mapping[str, Any],
    create: Create,
    state: Expansion,
    state_of: Callable[[str], Mapping[str, Any]],
) -> None:
    """Register what ``new eks.ManagedNodeGroup(name, a)`` registers (createManagedNodeGroup, nodes/nodegroup.ts)."""
    where = "nodes/nodegroup.ts"
    cluster = state.clusters.get(str(a.get("cluster")))
    errors: list[str] = []
    if _set(a.get("nodeRole")) and _set(a.get("nodeRoleArn")):
        errors.append("nodeRole: You cannot specify both nodeRole and nodeRoleArn when creating a managed node group.")
    for key in ("gpu", "amiType"):
        if _set(a.get("amiId")) and _set(a.get(key)):
            errors.append(f"amiId: You cannot specify both amiId and {key} when creating a managed node group.")
    if _set(a.get("nodeRoleArn")):
        role_arn = a["nodeRoleArn"]
    elif _set(a.get("nodeRole")):
        role_arn = state_of(str(a["nodeRole"])).get("arn", UNKNOWN)
    else:
        errors.append("nodeRole: An IAM role, or role ARN must be provided to create a managed node group")
        raise ComponentRefused(
            MANAGED_NODE_GROUP,
            name,
            "The input properties for the managed node group are invalid. " + " ".join(errors),
            where,
        )
    mode = cluster.authentication_mode if cluster is not None else UNKNOWN
    if mode is not UNKNOWN and not supports_access_entries(mode) and cluster is not None:
        arns = cluster.instance_role_arns
        if _known(arns) and _known(role_arn) and role_arn not in arns:
            raise ComponentRefused(
                MANAGED_NODE_GROUP,
                name,
                "nodeRole: A managed node group cannot be created without first setting its role in the "
                "cluster's instanceRoles",
                where,
            )
    if _set(a.get("enableEfaSupport")) and not _set(a.get("placementGroupAvailabilityZone")):
        errors.append("enableEfaSupport: You must specify placementGroupAvailabilityZone when enabling EFA support.")
    custom_lt = any(a.get(k) is not None for k in _CUSTOM_LAUNCH_TEMPLATE)
    if _set(a.get("launchTemplate")) and custom_lt:
        errors.append(
            "launchTemplate: If you provide a custom launch template, you cannot provide any of "
            f"{', '.join(_CUSTOM_LAUNCH_TEMPLATE)}. Please include these in the launch template that you are providing."
        )
    custom_ud = any(_set(a.get(k)) for k in _CUSTOM_USER_DATA)
    if custom_ud and _set(a.get("userData")):
        errors.append(
            "userData: If you provide custom userData, you cannot provide any of "
            f"{', '.join(_CUSTOM_USER_DATA)}. Please include these in the userData that you are providing."
        )
    if errors:
        raise ComponentRefused(
            MANAGED_NODE_GROUP,
            name,
            "The input properties for the managed node group are invalid. " + " ".join(errors),
            where,
        )
    if custom_lt:
        state.skip(reg_urn, "the managed node group's own launch template")
    if _set(a.get("enableEfaSupport")):
        state.skip(reg_urn, "the EFA placement group")

    inputs = {k: a[k] for k in _NODE_GROUP_INPUTS if k in a}
    if not _set(a.get("version")) and not _set(a.get("launchTemplate")):
        inputs["version"] = cluster.version if cluster else UNKNOWN
    if custom_ud or _set(a.get("userData")) or _set(a.get("amiId")):
        for key in ("version", "releaseVersion", "amiType"):
            inputs.pop(key, None)
    elif a.get("amiType") is None and a.get("operatingSystem") is not None:
        state.skip(reg_urn, "the AMI type chosen from operatingSystem")
    if a.get("subnetIds") is not None:
        subnets = a["subnetIds"]
    elif cluster is None:
        subnets = UNKNOWN
    else:
        subnets = next(
            (s for s in (cluster.subnet_ids, cluster.private_subnet_ids, cluster.public_subnet_ids) if s is not None),
            [],
        )
    scaling = a.get("scalingConfig")
    if _known(scaling):
        scaling = scaling or {}
        scaling = {
            "desiredSize": scaling.get("desiredSize", 2),
            "minSize": scaling.get("minSize", 1),
            "maxSize": scaling.get("maxSize", 2),
        }
    inputs.update(
        {
            "clusterName": a.get("clusterName") or (cluster.name if cluster else UNKNOWN),
            "nodeRoleArn": role_arn,
            "scalingConfig": scaling,
            "subnetIds": subnets,
        }
    )
    create(
        Child(
            "aws:eks/nodeGroup:NodeGroup",
            name,
            inputs,
            reg_urn,
            depends_on=[cluster.node_access] if cluster and cluster.node_access else [],
            ignore_changes=["scalingConfig.desiredSize"] if _set(a.get("ignoreScalingChanges")) else [],
        )
    )
    if cluster is None:
        state.skip(reg_urn, "the cluster it names (not an eks:index:Cluster of this program)")
