"""EKS: a private, KMS-encrypted cluster in its own VPC, a system node group, and GPU capacity from zero.

GPU capacity comes from Karpenter (default; ``cluster.aws.gpuProvisioner: karpenter``) or from managed node groups
carrying the cluster-autoscaler node-template tags (``node-groups``). See docs/gpu-provisioning.md for the choice.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Annotated, Any, TypedDict, cast

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from components import clouds
from components.clusters._aws_iam import (
    EBS_CSI_POLICY,
    KARPENTER_NODE_POLICIES,
    NODE_POLICIES,
    STS_AUDIENCE,
    ec2_trust_policy,
    irsa_trust_policy,
    managed_policy_arn,
    partition_of,
    route53_zone_policy,
    s3_read_policy,
    s3_tls_only_policy,
    s3_write_policy,
)
from components.clusters._common import (
    SYSTEM_NODE_SELECTOR,
    ManagedCluster,
    ManagedClusterArgs,
    cluster_provider,
    gpu_node_labels,
    object_store_ignored,
    pool_path,
    short_name,
    system_instance_type,
)
from components.clusters._karpenter import GPU_VOLUME_IOPS, GPU_VOLUME_THROUGHPUT, Karpenter
from components.clusters.base import (
    GPU_TAINT,
    DnsAccess,
    DnsZone,
    GpuPoolInfo,
    LogStore,
    LogStoreRequest,
    StorageAccess,
)
from components.clusters.reachability import WEBHOOKS, Rendered
from components.clusters.spec import CLUSTER_TAG, WORLD, ApiEndpoint, AwsSpec, ClusterSpec
from components.errors import SpecError
from components.naming import child_name, child_opts, merge_tags
from components.storage import StorageLocation
from components.versions import chart

REQUEST_LOG_IGNORED = object_store_ignored("an S3 bucket")
_REQUEST_LOG_ROLE_DESCRIPTION = "Write request logs under the platform.requestLogs prefix"
"""The request-log role's description: no user text in it (the prefix made it 1344 characters, and IAM CreateRole
takes at most 1000: AWS IAM API reference, CreateRole ``Description``; red team #17d P1). The write policy names the
prefix."""
"""``platform.requestLogs`` keys that do nothing on this cloud (components/clusters ``request_log_key_problem``)."""


LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
"""Every EKS control-plane log type (CIS EKS 2.1.1 asks for audit at least)."""
SYSTEM_AMI = "AL2023_x86_64_STANDARD"
GPU_AMI = "AL2023_x86_64_NVIDIA"
AUTOSCALER_SA = ("kube-system", "cluster-autoscaler")
NEEDS_DEVICE_PLUGIN = True
"""The AL2023 NVIDIA AMI carries the driver but nothing advertises ``nvidia.com/gpu``: the platform installs the
NVIDIA device plugin, which also applies time-slicing/MPS through the pools' device plugin config label."""
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
EBS_CSI_ADDON = "aws-ebs-csi-driver"
EBS_CSI_SA = ("kube-system", "ebs-csi-controller-sa")
"""The EKS add-on of the EBS CSI driver and the ServiceAccount its controller runs as, the one its IRSA role must
trust (EKS User Guide ``latest/ug/storage/ebs-csi.adoc``, "Step 1: Create an IAM role")."""
EBS_PROVISIONER = "ebs.csi.aws.com"
DEFAULT_STORAGE_CLASS = "gp3"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
SPOT_SLR_WARNING = (
    "{pools}: Karpenter's spot capacity needs the service-linked role AWSServiceRoleForEC2Spot in the account; unless "
    "the account has used EC2 Spot before, create it once with `aws iam create-service-linked-role "
    "--aws-service-name spot.amazonaws.com`, else nodes fail with AuthFailure.ServiceLinkedRoleCreationNotPermitted "
    "(docs/components/eks-cluster.md#before-the-first-deploy)"
)
"""Karpenter v1.14 ``troubleshooting.md``, "Missing Service Linked Role": Karpenter's CreateFleet needs the role to
exist. Only for ``gpuProvisioner: karpenter``: a managed node group launches through its Auto Scaling group (eksctl
User Guide, "Spot instances": EKS "will configure and launch an EC2 Autoscaling group of Spot Instances"), which acts
as an EC2 Auto Scaling service-linked role: AWSServiceRoleForAutoScaling unless another is given, and a custom-suffix
one has identical permissions (Amazon EC2 Auto Scaling User Guide, autoscaling-service-linked-role.html). Their
policy AutoScalingServiceRolePolicy (v10) lets the group create the Spot role itself (statement
``EC2SpotManagement``: ``iam:CreateServiceLinkedRole`` with ``iam:AWSServiceName`` = ``spot.amazonaws.com``;
https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AutoScalingServiceRolePolicy.html). The stack does
not create the role: it is one per account, shared with everything else there, and creating it where it exists fails
("Service role name AWSServiceRoleForEC2Spot has been taken in this account", chanzuckerberg/cztack#897)."""


PULUMI_EKS_OIDC_PROVIDER = "oidcProvider"
"""The name pulumi-eks gives the OIDC provider it creates with ``createOidcProvider`` (``${name}-oidcProvider``,
parent the eks.Cluster component: pulumi/pulumi-eks v4.3.0 nodejs/eks/cluster/cluster.ts ``createCore``)."""

KARPENTER_ENTRY = "karpenter-nodes"
"""The key under which pulumi-eks's ``accessEntries`` held Karpenter's node entry before the entry became ours."""


def precheck(region: str, spec: ClusterSpec, pools: Mapping[str, GpuPoolInfo], storage_uris: Mapping[str, str]) -> None:
    """What an EKS stack checks before anything is registered (``components.clusters.check_cluster`` calls it): the
    region's AWS partition is one this package builds in, and Karpenter GPU pools keep no minimum (the rule
    :class:`EksCluster` applies)."""
    partition_of(region)
    if spec.aws is None or spec.aws.gpu_provisioner == "karpenter":
        for pool in pools.values():
            if pool.min_nodes > 0:
                raise SpecError(
                    f"cluster.gpuPools.{pool.name}.minNodes",
                    pool.min_nodes,
                    "Karpenter starts GPU nodes for pending pods and keeps no minimum; give 0, or set "
                    "cluster.aws.gpuProvisioner: node-groups",
                )


def cluster_charts(spec: ClusterSpec) -> tuple[str, ...]:
    """The cluster charts an EKS stack installs (``components.clusters.check_cluster_versions`` checks them):
    Karpenter, or with ``gpuProvisioner: node-groups`` cluster-autoscaler when there are GPU pools."""
    if spec.aws is None or spec.aws.gpu_provisioner == "karpenter":
        return ("karpenter",)
    return ("cluster-autoscaler",) if spec.gpu_pools else ()


def cluster_charts_why(spec: ClusterSpec) -> str:
    """Why an EKS stack installs the charts :func:`cluster_charts` gives, for the line refusing a version of another."""
    if spec.aws is None or spec.aws.gpu_provisioner == "karpenter":
        return "cluster.aws.gpuProvisioner karpenter installs karpenter, not cluster-autoscaler"
    if spec.gpu_pools:
        return "cluster.aws.gpuProvisioner node-groups installs cluster-autoscaler, not karpenter"
    return "cluster.aws.gpuProvisioner node-groups installs cluster-autoscaler only with GPU pools, and there are none"


def pulumi_eks_access_entry_name(cluster_resource_name: str, key: str) -> str:
    """The Pulumi name pulumi-eks gives the ``aws.eks.AccessEntry`` of ``accessEntries[key]`` of an ``eks.Cluster``
    named ``cluster_resource_name`` (``${componentName}-${name}``, parented to that component: pulumi/pulumi-eks
    nodejs/eks/cluster/authenticationMode.ts ``createAccessEntries``, called from cluster.ts ``createCore``)."""
    return f"{cluster_resource_name}-{key}"


def nat_gateway_strategy(environment: str) -> awsx.ec2.NatGatewayStrategy:
    """awsx's NAT gateway strategy: one gateway for dev (``Single``: every private subnet routes through the first
    zone's gateway), one per zone elsewhere (``OnePerAz``, awsx's default), so a zone outage does not cut the others'
    egress (pulumi/pulumi-awsx ``awsx/ec2/vpc.ts``, ``shouldCreateNatGateway`` and the private subnets' routes)."""
    return awsx.ec2.NatGatewayStrategy.SINGLE if environment == "dev" else awsx.ec2.NatGatewayStrategy.ONE_PER_AZ


EBS_TAG_PARAMETER = "tagSpecification"
"""StorageClass parameters whose key starts with this are tags for the volumes the EBS CSI driver provisions, each
value ``key=value`` (kubernetes-sigs/aws-ebs-csi-driver ``docs/tagging.md``, "StorageClass Tagging"; the prefix is
``TagKeyPrefix`` in ``pkg/driver/constants.go``; read at 429e202e, 2026-08-19)."""
EBS_RESERVED_TAG_KEYS = ("CSIVolumeName", "CSIVolumeSnapshotName", "ebs.csi.aws.com/cluster-name")
EBS_RESERVED_TAG_PREFIXES = ("kubernetes.io", "ebs.csi.aws.com/")
"""Tag keys the driver refuses on a volume (``validateExtraTags`` in ``pkg/driver/validation.go``: its own
``CSIVolumeName``, ``CSIVolumeSnapshotName``, ``ebs.csi.aws.com/cluster-name``; any key starting with
``kubernetes.io`` or ``ebs.csi.aws.com/``): CreateVolume fails with InvalidArgument."""


def ebs_tag_parameters(tags: Mapping[str, str]) -> dict[str, str]:
    """``tagSpecification_1..N`` (tags sorted by key) so every dynamically provisioned volume carries ``tags``.

    The driver splits each value at its first ``=`` and runs the value part through Go's ``text/template``
    (``pkg/util/template/template.go``, ``Evaluate``), so a key holding ``=`` or a value holding ``{{`` would come out
    as another tag; those, and keys the driver reserves, are a :class:`SpecError` on ``tags.<key>``."""
    params: dict[str, str] = {}
    for i, key in enumerate(sorted(tags), start=1):
        value = tags[key]
        if "=" in key:
            raise SpecError(f"tags.{key}", value, "the EBS CSI driver reads a volume tag as key=value: no = in the key")
        if "{{" in value:
            raise SpecError(
                f"tags.{key}", value, "the EBS CSI driver expands {{ in volume tag values as a Go template: remove it"
            )
        if key in EBS_RESERVED_TAG_KEYS or key.startswith(EBS_RESERVED_TAG_PREFIXES):
            raise SpecError(
                f"tags.{key}",
                value,
                f"the EBS CSI driver reserves this tag key on volumes ({', '.join(EBS_RESERVED_TAG_KEYS)}, and the "
                f"prefixes {', '.join(EBS_RESERVED_TAG_PREFIXES)}); use another key",
            )
        params[f"{EBS_TAG_PARAMETER}_{i}"] = f"{key}={value}"
    return params


def default_storage_class(tags: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The cluster's default StorageClass: encrypted gp3 EBS volumes from the EBS CSI driver, bound where the pod is
    scheduled (``WaitForFirstConsumer``: an EBS volume lives in one zone), tagged with ``tags``
    (:func:`ebs_tag_parameters`). Parameters ``type`` and ``encrypted``: kubernetes-sigs/aws-ebs-csi-driver
    ``docs/parameters.md``. EKS marks no StorageClass default on clusters created at 1.30 or later (EKS User Guide,
    Kubernetes 1.30 release notes), so without this a PVC with no class stays Pending."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": DEFAULT_STORAGE_CLASS, "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
        "provisioner": EBS_PROVISIONER,
        "parameters": {"type": "gp3", "encrypted": "true", **ebs_tag_parameters(tags or {})},
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
        "reclaimPolicy": "Delete",
    }


def autoscaler_tags(cluster_name: str, pool: GpuPoolInfo) -> dict[str, str]:
    """Cluster-autoscaler node-template tags so a GPU node group can scale from zero (kubernetes/autoscaler#3869)."""
    prefix = "k8s.io/cluster-autoscaler/node-template"
    tags = {
        "k8s.io/cluster-autoscaler/enabled": "true",
        f"k8s.io/cluster-autoscaler/{cluster_name}": "owned",
        f"{prefix}/taint/{GPU_TAINT.key}": f"{GPU_TAINT.value}:{GPU_TAINT.effect}",
        f"{prefix}/resources/nvidia.com/gpu": str(pool.gpus_per_node),
    }
    for key, value in gpu_node_labels(pool, device_plugin=NEEDS_DEVICE_PLUGIN).items():
        tags[f"{prefix}/label/{key}"] = value
    return tags


def autoscaler_policy(cluster_name: str) -> str:
    """Cluster-autoscaler permissions: read anywhere, scale only the ASGs tagged as owned by this cluster."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "autoscaling:DescribeAutoScalingGroups",
                        "autoscaling:DescribeAutoScalingInstances",
                        "autoscaling:DescribeLaunchConfigurations",
                        "autoscaling:DescribeScalingActivities",
                        "autoscaling:DescribeTags",
                        "ec2:DescribeImages",
                        "ec2:DescribeInstanceTypes",
                        "ec2:DescribeLaunchTemplateVersions",
                        "ec2:GetInstanceTypesFromInstanceRequirements",
                        "eks:DescribeNodegroup",
                    ],
                    "Resource": "*",
                },
                {
                    "Effect": "Allow",
                    "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"}
                    },
                },
            ],
        },
        sort_keys=True,
    )


def autoscaler_values(cluster_name: str, region: str, role_arn: pulumi.Input[str]) -> dict[str, Any]:
    """cluster-autoscaler chart values: auto-discovery of this cluster's tagged groups, the IRSA ServiceAccount the
    role trusts, on the system pool. Every key exists in the chart's values.yaml at the pinned version
    (kubernetes/autoscaler, cluster-autoscaler-chart-9.53.0, cluster-autoscaler/charts/cluster-autoscaler/
    values.yaml); the chart's default ``autoDiscovery.tags`` are the two tags :func:`autoscaler_tags` sets."""
    return {
        "cloudProvider": "aws",
        "awsRegion": region,
        "autoDiscovery": {"clusterName": cluster_name},
        "rbac": {
            "serviceAccount": {"name": AUTOSCALER_SA[1], "annotations": {ROLE_ARN_ANNOTATION: role_arn}},
        },
        "nodeSelector": dict(SYSTEM_NODE_SELECTOR),
    }


def _asg_name(node_group: Any) -> Any:
    """The Auto Scaling group name of a managed node group (an output of its ``aws.eks.NodeGroup``)."""
    if node_group is None:
        return None
    return node_group.resources.apply(lambda r: r[0].autoscaling_groups[0].name)


ELB_IDLE_TIMEOUT_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-connection-idle-timeout"
ELB_MAX_IDLE_TIMEOUT = 3600
"""The Classic Load Balancer's longest idle timeout, seconds (CloudFormation ``ConnectionSettings`` ``IdleTimeout``
maximum)."""


def image_cache_pools(pools: Mapping[str, GpuPoolInfo], provisioner: str) -> dict[str, GpuPoolInfo]:
    """``pools`` with each pool that has an image cache (an EBS snapshot) marked as running Bottlerocket's own device
    plugin; a :class:`SpecError` for a cache the pool cannot take.

    The cache is Karpenter's EC2NodeClass ``blockDeviceMappings`` (``_karpenter.node_class``); the node-groups path
    would need a launch template with a Bottlerocket AMI and is not built. A pool that shares GPUs is refused: on
    Bottlerocket, time-slicing and MPS are the OS's settings (``settings.kubelet-device-plugins.nvidia.*``,
    bottlerocket.dev/en/os/1.34.x/api/settings/kubelet-device-plugins), which this platform does not write, and the
    platform's device plugin (which applies sharing on AL2023) stays off those nodes.
    """
    out = dict(pools)
    for name, pool in pools.items():
        if pool.image_cache is None:
            continue
        if provisioner != "karpenter":
            raise SpecError(
                pool_path(name, "imageCache"),
                pool.image_cache,
                "an image cache needs cluster.aws.gpuProvisioner: karpenter (the EC2NodeClass data volume takes the "
                "snapshot)",
            )
        if pool.sharing != "none":
            raise SpecError(
                pool_path(name, "sharing.strategy"),
                pool.sharing,
                "a pool with an imageCache runs Bottlerocket, whose GPU sharing this platform does not configure; "
                "give none",
            )
        out[name] = replace(pool, os_device_plugin=True)
    return out


class EksOutputs(TypedDict):
    """What an EKS cluster registers besides `ClusterOutputs` (the registry entry's ``outputs``)."""

    oidcProviderArn: Annotated[Any, "The ARN of the cluster's IAM OIDC provider, which workload identities trust."]
    vpcId: Annotated[Any, "The VPC the cluster's nodes run in."]


class EksCluster(ManagedCluster):
    """An EKS cluster built the way the EKS Best Practices Guide asks.

    - VPC (awsx) over ``spec.zones`` zones: nodes in private subnets; one NAT gateway for dev, one per zone
      elsewhere; an S3 gateway endpoint on every route table of the VPC.
    - Control plane: Kubernetes ``spec.kubernetesVersion``, access entries (authentication mode API), OIDC provider
      (IRSA), private endpoint plus a public one only for ``spec.apiAccess.publicCidrs``, secrets encrypted with a
      KMS key that rotates, every control-plane log type, VPC CNI network policy, EKS deletion protection in prod.
    - System managed node group (on-demand, AL2023, IMDSv2 hop limit 1, encrypted gp3) labelled
      ``mlplatform.io/pool=system``.
    - GPU pools through Karpenter (own node role with an EC2_LINUX access entry; NodePool + EC2NodeClass per pool)
      or managed node groups (AL2023 NVIDIA AMI, the system node group's role).
    - The EBS CSI driver add-on (IRSA role) and a default encrypted gp3 StorageClass.
    """

    _kube_proxy_scrapable = False
    """EKS's kube-proxy add-on serves its metrics on ``127.0.0.1:10249``, out of Prometheus's reach: kube-proxy's
    ``metricsBindAddress`` defaults to ``127.0.0.1:10249`` (kubernetes.io kube-proxy configuration v1alpha1, cited in
    aws/eks-anywhere#4299) and EKS's ``kube-proxy-config`` keeps it (terraform-aws-modules/terraform-aws-eks#742:
    "kube-proxy is configured by default to ``metricsBindAddress: 127.0.0.1:10249``"; aws/containers-roadmap#657
    asks EKS to make it configurable)."""

    def __init__(self, name: str, args: ManagedClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("EksCluster", name, args, opts)
        spec = args.spec
        aws_spec = spec.aws or AwsSpec()
        pools = self._resolve_pools("aws")
        if aws_spec.gpu_provisioner == "karpenter":
            for pool in pools.values():
                if pool.min_nodes > 0:
                    raise SpecError(
                        pool_path(pool.name, "minNodes"),
                        pool.min_nodes,
                        "Karpenter starts GPU nodes for pending pods and keeps no minimum; give 0, or set "
                        "cluster.aws.gpuProvisioner: node-groups",
                    )
        pools = image_cache_pools(pools, aws_spec.gpu_provisioner)
        cluster_name = args.cluster_name
        partition = partition_of(args.region).name
        karpenter = aws_spec.gpu_provisioner == "karpenter" and bool(pools)
        if karpenter and (spot := sorted(p.name for p in pools.values() if p.spot)):
            pulumi.log.warn(SPOT_SLR_WARNING.format(pools=", ".join(pool_path(p, "spot") for p in spot)), resource=self)
        self._tags = merge_tags(args.tags, {CLUSTER_TAG["aws"]: cluster_name})
        tags = self._tags
        storage_class = default_storage_class(tags)  # checks the tags before anything is registered
        protect = args.protect

        self.secrets_key = aws.kms.Key(
            child_name(name, "secrets-key"),
            description=f"Envelope encryption of Kubernetes secrets of EKS cluster {cluster_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            tags=tags,
            opts=child_opts(self, protect=protect),
        )
        aws.kms.Alias(
            child_name(name, "secrets-key-alias"),
            name=f"alias/{cluster_name}-secrets",
            target_key_id=self.secrets_key.key_id,
            opts=child_opts(self),
        )

        prefix = int(aws_spec.vpc_cidr.split("/")[1])
        self.vpc = awsx.ec2.Vpc(
            child_name(name, "vpc"),
            cidr_block=aws_spec.vpc_cidr,
            number_of_availability_zones=spec.zones,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            subnet_strategy=awsx.ec2.SubnetAllocationStrategy.AUTO,
            subnet_specs=[
                awsx.ec2.SubnetSpecArgs(
                    type=awsx.ec2.SubnetType.PRIVATE,
                    cidr_mask=prefix + 3,
                    tags={"kubernetes.io/role/internal-elb": "1", "karpenter.sh/discovery": cluster_name},
                ),
                awsx.ec2.SubnetSpecArgs(
                    type=awsx.ec2.SubnetType.PUBLIC, cidr_mask=prefix + 6, tags={"kubernetes.io/role/elb": "1"}
                ),
            ],
            nat_gateways=awsx.ec2.NatGatewayConfigurationArgs(strategy=nat_gateway_strategy(args.environment)),
            # "Auto" gives a gateway endpoint without routeTableIds every route table the Vpc creates; the default
            # ("Legacy") passes routeTableIds through, so the endpoint would route nothing and S3 would go through NAT
            # (pulumi/pulumi-awsx awsx/ec2/vpc.ts, vpcEndpointSpecs loop; "Auto" added in #2028, in 3.11).
            vpc_endpoint_strategy=awsx.ec2.VpcEndpointStrategy.AUTO,
            vpc_endpoint_specs=[
                awsx.ec2.VpcEndpointSpecArgs(
                    service_name=f"com.amazonaws.{args.region}.s3", vpc_endpoint_type="Gateway", tags=tags
                )
            ],
            tags=tags,
            opts=child_opts(self),
        )

        # The managed node groups' role: EKS creates its EC2_LINUX access entry when it creates a managed node
        # group, and an IAM principal can be in one access entry only (EKS User Guide, manage-access/k8s-access/
        # creating-access-entries.adoc). So it gets no entry of ours, and Karpenter's nodes get a role of their own.
        self.node_role = self._node_role(
            name, "node-role", short_name(f"{cluster_name}-node", 64), "managed node groups", NODE_POLICIES, "node"
        )
        self.karpenter_node_role: aws.iam.Role | None = None
        if karpenter:
            # Karpenter's node role, as Karpenter's getting-started template makes it (KarpenterNodeRole). Its nodes
            # join through an EC2_LINUX access entry (below): pulumi-eks refuses instanceRoles when
            # authenticationMode is API (nodejs/eks/cluster/authenticationMode.ts).
            self.karpenter_node_role = self._node_role(
                name,
                "karpenter-node-role",
                short_name(f"{cluster_name}-karpenter-node", 64),
                "Karpenter",
                KARPENTER_NODE_POLICIES,
                "karpenter-node",
            )

        cidrs = list(spec.api_access.public_cidrs)
        self.eks = eks.Cluster(
            child_name(name, "eks"),
            name=cluster_name,
            version=spec.kubernetes_version,
            vpc_id=self.vpc.vpc_id,
            private_subnet_ids=self.vpc.private_subnet_ids,
            public_subnet_ids=self.vpc.public_subnet_ids,
            node_associate_public_ip_address=False,
            skip_default_node_group=True,
            skip_default_security_groups=True,
            authentication_mode=eks.AuthenticationMode.API,
            # pulumi-eks's own OIDC provider carries no tags (see _oidc_provider): the stack creates it instead
            create_oidc_provider=False,
            endpoint_private_access=True,
            endpoint_public_access=bool(cidrs),
            public_access_cidrs=cidrs or None,
            encryption_config_key_arn=self.secrets_key.arn,
            enabled_cluster_log_types=list(LOG_TYPES),
            vpc_cni_options=eks.VpcCniOptionsArgs(enable_network_policy=True),
            deletion_protection=protect,
            tags=tags,
            opts=child_opts(self, protect=protect),
        )

        self.oidc_provider = self._oidc_provider(name, protect)
        self.oidc_provider_arn: pulumi.Output[str] = self.oidc_provider.arn
        self.oidc_provider_url: pulumi.Output[str] = self.oidc_provider_issuer

        self.karpenter_access: aws.eks.AccessEntry | None = None
        if self.karpenter_node_role is not None:
            self.karpenter_access = self._karpenter_access(name, self.karpenter_node_role)

        system = spec.system_pool
        # No nodeGroupName: pulumi-aws auto-names it (provider/resources.go, aws_eks_node_group ``node_group_name``:
        # tfbridge.AutoName), and only an auto-named node group is replaced new-first. Its ForceNew inputs
        # (hashicorp/terraform-provider-aws internal/service/eks/node_group.go: ami_type, capacity_type, disk_size,
        # instance_types, launch_template id/name, node_group_name, node_role_arn, subnet_ids, remote_access) replace
        # it, and with a name given by the program the bridge deletes the old group first
        # (pulumi-terraform-bridge pkg/tfbridge/schema.go nameRequiresDeleteBeforeReplace). pulumi-eks creates the
        # aws.eks.NodeGroup itself, so delete_before_replace cannot be set on it from here (docs/upgrading.md).
        self.system_node_group = eks.ManagedNodeGroup(
            child_name(name, "system"),
            cluster=self.eks,
            node_role=self.node_role,
            instance_types=[system_instance_type("aws", spec)],
            ami_type=SYSTEM_AMI,
            capacity_type="ON_DEMAND",
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=system.min_nodes, desired_size=system.min_nodes, max_size=system.max_nodes
            ),
            subnet_ids=self.vpc.private_subnet_ids,
            labels=dict(SYSTEM_NODE_SELECTOR),
            launch_template=self._launch_template(name, "system", 100),
            tags=tags,
            opts=child_opts(self),
        )

        self.karpenter: Karpenter | None = None
        self.autoscaler_role: aws.iam.Role | None = None
        self.autoscaler_release: k8s.helm.v3.Release | None = None
        kubeconfig = self.eks.kubeconfig_json
        provider = cluster_provider(
            name, self, kubeconfig, f"eks/{args.region}/{cluster_name}", depends_on=[self.system_node_group]
        )
        self._ebs_csi(name, provider, partition, storage_class)
        if self.karpenter_node_role is not None:
            self.karpenter = Karpenter(
                name,
                self,
                cluster_name=cluster_name,
                region=args.region,
                partition=partition,
                oidc_provider_arn=self.oidc_provider_arn,
                oidc_provider_url=self.oidc_provider_url,
                node_role=self.karpenter_node_role,
                node_role_name=short_name(f"{cluster_name}-karpenter-node", 64),
                provider=provider,
                pools=pools,
                disks={k: p.disk_size_gib for k, p in spec.gpu_pools.items()},
                tags=tags,
                depends_on=[self.system_node_group],
                node_access=self.karpenter_access,
                ami_version=aws_spec.ami_version,
                bottlerocket_version=aws_spec.bottlerocket_version,
                chart_versions=spec.versions,
            )
        elif aws_spec.gpu_provisioner == "node-groups":
            self._node_groups(name, pools, provider)

        extras: EksOutputs = {"oidcProviderArn": self.oidc_provider_arn, "vpcId": self.vpc.vpc_id}
        self._finish(
            cloud="aws",
            provider=provider,
            pools=pools,
            endpoint=self.eks.core.endpoint,
            kubeconfig=kubeconfig,
            # the issuer URL with its https scheme, as AKS gives it (pulumi-eks oidcIssuer drops the scheme)
            oidc_issuer=self.oidc_provider_issuer,
            control_plane_tier="standard",
            needs_device_plugin=NEEDS_DEVICE_PLUGIN,
            needs_dcgm_exporter=True,
            gpu_provisioner=aws_spec.gpu_provisioner,
            extra_outputs=extras,
        )

    def _node_role(
        self, name: str, role: str, physical: str, used_by: str, policies: Sequence[str], attach_prefix: str
    ) -> aws.iam.Role:
        """An EC2 node role with exactly ``policies`` (AWS managed, in the region's partition) attached."""
        cluster_name = self._args.cluster_name
        partition = partition_of(self._args.region).name
        node_role = aws.iam.Role(
            child_name(name, role),
            name=physical,
            description=f"Worker nodes of EKS cluster {cluster_name} ({used_by})",
            assume_role_policy=ec2_trust_policy(),
            tags=self._tags,
            opts=child_opts(self),
        )
        for policy in policies:
            aws.iam.RolePolicyAttachment(
                child_name(name, f"{attach_prefix}-{policy.lower().replace('_', '-')}"),
                role=node_role.name,
                policy_arn=managed_policy_arn(partition, policy),
                opts=child_opts(self),
            )
        return node_role

    def _oidc_provider(self, name: str, protect: bool) -> aws.iam.OpenIdConnectProvider:
        """The cluster's IAM OIDC provider (IRSA), with the stack's tags.

        pulumi-eks's ``createOidcProvider`` creates ``aws.iam.OpenIdConnectProvider`` with ``clientIdLists``, ``url``
        and ``thumbprintLists`` only, no ``tags`` (pulumi/pulumi-eks v4.3.0 nodejs/eks/cluster/cluster.ts
        ``createCore``), while every other child it makes for us gets ``args.tags`` (its service role, servicerole.ts;
        the ``aws.eks.Cluster``, the kube-proxy add-on, cluster.ts; the vpc-cni add-on, addons/cni-addon.ts; a managed
        node group's ``aws.eks.NodeGroup`` through ``...nodeGroupArgs``, nodes/nodegroup.ts). So the provider is
        ours: the same ``url`` (the cluster's issuer, ``identities[0].oidcs[0].issuer``, from which pulumi-eks also
        derives ``oidcProviderUrl``) and client id ``sts.amazonaws.com``. ``thumbprintLists`` is left out: optional in
        pulumi-aws 7.51.1 (``iam/open_id_connect_provider.py``: "if no ``thumbprint_list`` is provided, IAM
        automatically retrieves and uses the top intermediate CA thumbprint"). Aliased to pulumi-eks's provider
        (``<eks>-oidcProvider`` under the eks.Cluster component), so a stack that has it takes it over in place
        (IAM holds one provider per URL, so a second one for the issuer could not be created: IAM API
        CreateOpenIDConnectProvider, ``Url``: "You cannot register the same provider multiple times in a single Amazon
        Web Services account", read in the AWS SDK for Kotlin reference, docs.aws.amazon.com/sdk-for-kotlin/api/latest/
        iam/aws.sdk.kotlin.services.iam.model/-create-open-id-connect-provider-request/url.html). Protected with the
        cluster, as pulumi-eks's child was: a Node.js resource without ``protect`` takes its parent's (@pulumi/pulumi
        ``resource.ts``, Resource constructor: ``opts.protect = parent.__protect``)."""
        self.oidc_provider_issuer: pulumi.Output[str] = self.eks.eks_cluster.identities.apply(
            lambda ids: ids[0].oidcs[0].issuer  # type: ignore[index]
        )
        return aws.iam.OpenIdConnectProvider(
            child_name(name, "oidc-provider"),
            url=self.oidc_provider_issuer,
            client_id_lists=[STS_AUDIENCE],
            tags=self._tags,
            opts=child_opts(
                self,
                protect=protect,
                aliases=[
                    pulumi.Alias(
                        name=f"{child_name(name, 'eks')}-{PULUMI_EKS_OIDC_PROVIDER}",
                        parent=self.eks,
                    )
                ],
            ),
        )

    def _karpenter_access(self, name: str, role: aws.iam.Role) -> aws.eks.AccessEntry:
        """The EC2_LINUX access entry that lets Karpenter's nodes join, replaced whenever their role is.

        EKS stores the principal's unique id with an entry: a role deleted and re-created with the same ARN does not
        work with the old entry (EKS API Reference, ``AccessEntry.principalArn``), and nothing in the entry's inputs
        changes then. So this is our own ``aws.eks.AccessEntry`` with ``replace_with=[role]`` (Pulumi resource option
        replaceWith: replaced whenever the role is), not one of pulumi-eks's ``accessEntries``, which get the
        cluster component's options only (pulumi/pulumi-eks nodejs/eks/cluster/authenticationMode.ts
        ``createAccessEntries``). Deleted before its replacement is created: an IAM principal can be in one access
        entry only (EKS User Guide, creating-access-entries.adoc). Aliased to the entry pulumi-eks made under the
        key ``karpenter-nodes`` (``${clusterName}-${key}``, parent the eks.Cluster component), which it replaces in
        place."""
        return aws.eks.AccessEntry(
            child_name(name, KARPENTER_ENTRY),
            cluster_name=self.eks.eks_cluster.name,
            principal_arn=role.arn,
            type="EC2_LINUX",
            tags=self._tags,
            opts=child_opts(
                self,
                replace_with=[role],
                delete_before_replace=True,
                aliases=[
                    pulumi.Alias(
                        name=pulumi_eks_access_entry_name(child_name(name, "eks"), KARPENTER_ENTRY), parent=self.eks
                    )
                ],
            ),
        )

    def _ebs_csi(self, name: str, provider: k8s.Provider, partition: str, sc: Mapping[str, Any]) -> None:
        """The EBS CSI driver as an EKS add-on, its controller's IRSA role (trusted by exactly
        ``kube-system:ebs-csi-controller-sa``, with AmazonEBSCSIDriverPolicy) and the default StorageClass (EKS User
        Guide ``latest/ug/storage/ebs-csi.adoc``: the add-on with an IAM role given as its service account role)."""
        cluster_name = self._args.cluster_name
        self.ebs_csi_role = self._irsa_role(
            child_name(name, "ebs-csi"), *EBS_CSI_SA, f"EBS CSI driver controller of EKS cluster {cluster_name}", self
        )
        attachment = aws.iam.RolePolicyAttachment(
            child_name(name, "ebs-csi-policy"),
            role=self.ebs_csi_role.name,
            policy_arn=managed_policy_arn(partition, EBS_CSI_POLICY),
            opts=child_opts(self),
        )
        self.ebs_csi_addon = aws.eks.Addon(
            child_name(name, "ebs-csi-addon"),
            cluster_name=self.eks.eks_cluster.name,
            addon_name=EBS_CSI_ADDON,
            service_account_role_arn=self.ebs_csi_role.arn,
            tags=self._tags,
            # The cluster's name as the aws.eks.Cluster reports it (pulumi_eks 4.4.0 ``Cluster.eks_cluster``), so
            # the add-on's input flows from the cluster; and after the nodes its controller pods run on.
            opts=child_opts(self, depends_on=[self.eks, attachment, self.system_node_group]),
        )
        self.storage_class = k8s.storage.v1.StorageClass(
            child_name(name, "default-storage-class"),
            metadata=sc["metadata"],
            provisioner=sc["provisioner"],
            parameters=sc["parameters"],
            volume_binding_mode=sc["volumeBindingMode"],
            allow_volume_expansion=sc["allowVolumeExpansion"],
            reclaim_policy=sc["reclaimPolicy"],
            opts=child_opts(self, provider=provider, depends_on=[self.ebs_csi_addon]),
        )

    def _launch_template(self, name: str, role: str, disk_gib: int) -> aws.eks.NodeGroupLaunchTemplateArgs:
        """IMDSv2 only (hop limit 1), encrypted gp3 root volume, no public IP, tags on instances and volumes."""
        tags = self._tags
        gpu = role.startswith("gpu-")
        gpu_volume: dict[str, Any] = {"throughput": GPU_VOLUME_THROUGHPUT, "iops": GPU_VOLUME_IOPS} if gpu else {}
        lt = aws.ec2.LaunchTemplate(
            child_name(name, f"{role}-lt"),
            description=f"{self._args.cluster_name} {role} nodes",
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=disk_gib,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                        # a GPU node reads its model's weights from this volume (_karpenter.GPU_VOLUME_THROUGHPUT)
                        **gpu_volume,
                    ),
                )
            ],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=tags)
                for kind in ("instance", "volume", "network-interface")
            ],
            update_default_version=True,
            tags=tags,
            opts=child_opts(self),
        )
        return aws.eks.NodeGroupLaunchTemplateArgs(id=lt.id, version=lt.latest_version.apply(str))

    def _node_groups(self, name: str, pools: Mapping[str, GpuPoolInfo], provider: k8s.Provider) -> None:
        """GPU managed node groups with cluster-autoscaler node-template tags on their Auto Scaling groups, and the
        cluster-autoscaler itself (IRSA role, Helm release on the system pool) that scales them from zero."""
        cluster_name = self._args.cluster_name
        asg_tags: list[aws.autoscaling.Tag] = []
        for pool in pools.values():
            ca_tags = autoscaler_tags(cluster_name, pool)
            group = eks.ManagedNodeGroup(
                child_name(name, f"gpu-{pool.name}"),
                cluster=self.eks,
                node_role=self.node_role,  # auto-named node group, replaced new-first (see the system group)
                instance_types=[pool.instance_type],
                ami_type=GPU_AMI,
                capacity_type="SPOT" if pool.spot else "ON_DEMAND",
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    min_size=pool.min_nodes, desired_size=pool.min_nodes, max_size=pool.max_nodes
                ),
                ignore_scaling_changes=True,
                subnet_ids=self.vpc.private_subnet_ids,
                labels=gpu_node_labels(pool, device_plugin=NEEDS_DEVICE_PLUGIN),
                taints=[aws.eks.NodeGroupTaintArgs(key=GPU_TAINT.key, value=GPU_TAINT.value, effect="NO_SCHEDULE")],
                launch_template=self._launch_template(
                    name, f"gpu-{pool.name}", self._args.spec.gpu_pools[pool.name].disk_size_gib
                ),
                tags=merge_tags(self._tags, ca_tags),
                opts=child_opts(self),
            )
            # Managed node group tags do not reach the Auto Scaling group; the autoscaler reads them there.
            asg_name: pulumi.Output[str] = group.node_group.apply(_asg_name)
            for i, (key, value) in enumerate(sorted(ca_tags.items())):
                tag = aws.autoscaling.Tag(
                    child_name(name, f"gpu-{pool.name}-asg-tag-{i}"),
                    autoscaling_group_name=asg_name,
                    tag=aws.autoscaling.TagTagArgs(key=key, value=value, propagate_at_launch=False),
                    opts=child_opts(self),
                )
                asg_tags.append(tag)
        if pools:
            self.autoscaler_role = self._irsa_role(
                child_name(name, "cluster-autoscaler"),
                *AUTOSCALER_SA,
                f"cluster-autoscaler of EKS cluster {cluster_name}",
                self,
            )
            ca_policy = aws.iam.RolePolicy(
                child_name(name, "cluster-autoscaler-policy"),
                role=self.autoscaler_role.id,
                policy=autoscaler_policy(cluster_name),
                opts=child_opts(self),
            )
            ref = chart("cluster-autoscaler", self._args.spec.versions)
            self.autoscaler_release = k8s.helm.v3.Release(
                child_name(name, "cluster-autoscaler"),
                name="cluster-autoscaler",
                chart=ref.chart,
                version=ref.version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=ref.repository),
                namespace=AUTOSCALER_SA[0],
                values=autoscaler_values(cluster_name, self._args.region, self.autoscaler_role.arn),
                atomic=True,
                timeout=600,
                opts=child_opts(
                    self,
                    provider=provider,
                    depends_on=[self.system_node_group, ca_policy, *asg_tags],
                ),
            )

    def _irsa_role(
        self,
        child: str,
        namespace: str,
        service_account: str,
        description: str,
        parent: pulumi.Resource,
        physical_name: str | None = None,
    ) -> aws.iam.Role:
        """An IAM role (child ``child``, physical name ``physical_name`` or one Pulumi picks) that exactly
        ``namespace/service_account`` may assume through IRSA (:func:`irsa_trust_policy`: StringEquals on the
        issuer's ``sub`` and ``aud``), trusting this cluster's OIDC provider."""
        trust = pulumi.Output.all(self.oidc_provider_arn, self.oidc_provider_url).apply(
            lambda a: irsa_trust_policy(str(a[0]), str(a[1]), namespace, service_account)
        )
        return aws.iam.Role(
            child,
            name=physical_name,
            description=description,
            assume_role_policy=trust,
            tags=self._tags,
            opts=child_opts(parent),
        )

    def _grant_role(
        self,
        name: str,
        role: str,
        suffix: str,
        namespace: str,
        service_account: str,
        purpose: str,
        parent: pulumi.Resource,
    ) -> aws.iam.Role:
        """:meth:`_irsa_role` for a grant to one model's or add-on's ServiceAccount: child ``<name>-<role>``, named
        ``<cluster>-<name>-<suffix>`` (salted by the ServiceAccount, within IAM's 64 characters)."""
        return self._irsa_role(
            child_name(name, role),
            namespace,
            service_account,
            f"{purpose} for ServiceAccount {namespace}/{service_account}",
            parent,
            short_name(f"{self._args.cluster_name}-{name}-{suffix}", 64, salt=f"{namespace}/{service_account}"),
        )

    def _grant(
        self, name: str, namespace: str, service_account: str, loc: StorageLocation, parent: pulumi.Resource
    ) -> StorageAccess:
        """An IAM role trusted (IRSA) by exactly ``namespace/service_account``, reading ``s3://bucket/prefix*``."""
        role = self._grant_role(name, "storage-role", "read", namespace, service_account, f"Read {loc.uri}", parent)
        policy = aws.iam.RolePolicy(
            child_name(name, "storage-read"),
            role=role.id,
            policy=s3_read_policy(loc.bucket, loc.prefix, partition_of(self._args.region).name),
            opts=child_opts(parent),
        )
        return StorageAccess(
            service_account_annotations={ROLE_ARN_ANNOTATION: role.arn}, identity=role.arn, resources=(role, policy)
        )

    def request_log_store(
        self, name: str, namespace: str, service_account: str, request: LogStoreRequest, parent: pulumi.Resource
    ) -> LogStore:
        """An S3 bucket for the records (unless ``request.bucket`` names one) that blocks public access, denies
        requests not sent over TLS (a bucket policy), encrypts at rest (SSE-S3) and expires objects under the prefix
        after ``retention_days`` (an S3 lifecycle rule: ``Expiration.Days`` with ``Filter.Prefix``; AWS S3 API
        reference, PutBucketLifecycleConfiguration); and
        an IRSA role for ``namespace/service_account`` allowed only ``s3:PutObject`` under ``<prefix>/``
        (:func:`s3_write_policy`).

        Vector's ``aws_s3`` sink finds the role through the web-identity variables the EKS pod identity webhook
        sets from the ServiceAccount's role annotation (vectordotdev/vector v0.56.0
        website/cue/reference/components/aws.cue, "AWS authentication", step 3: "Web Identity Token credentials
        from the environment or container (including EKS)")."""
        resources: list[pulumi.Resource] = []
        bucket: pulumi.Input[str]
        retention: int | None = None
        if request.bucket is None:
            created = aws.s3.Bucket(
                child_name(name, "bucket"),
                bucket_prefix=short_name(f"{self._args.cluster_name}-request-logs", 36) + "-",
                tags=self._tags,
                opts=child_opts(parent),
            )
            public_access = aws.s3.BucketPublicAccessBlock(
                child_name(name, "bucket-public-access"),
                bucket=created.id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
                opts=child_opts(parent),
            )
            resources += [
                created,
                public_access,
                # S3 accepts plain HTTP; this bucket policy denies every request not sent over TLS
                # (:func:`s3_tls_only_policy`). After the public access block: applied together they may fail
                # with OperationAborted, "A conflicting conditional operation is currently in progress"
                # (hashicorp/terraform-provider-aws issue 7628, the provider pulumi-aws bridges).
                aws.s3.BucketPolicy(
                    child_name(name, "bucket-tls-only"),
                    bucket=created.id,
                    # a map with an Output inside, in the document's wire names (pulumi-aws 7.51.1 iam/_inputs.py
                    # PolicyDocumentArgs/PolicyStatementArgs getters: Version, Statement, Effect, Principal, Action,
                    # Resource, Condition), which the SDK's snake_case TypedDict does not type; cast, as warm.py does
                    policy=cast(Any, s3_tls_only_policy(created.arn)),
                    opts=child_opts(parent, depends_on=[public_access]),
                ),
                aws.s3.BucketServerSideEncryptionConfiguration(
                    child_name(name, "bucket-encryption"),
                    bucket=created.id,
                    rules=[
                        aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                            apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                                sse_algorithm="AES256"
                            )
                        )
                    ],
                    opts=child_opts(parent),
                ),
                aws.s3.BucketLifecycleConfiguration(
                    child_name(name, "bucket-retention"),
                    bucket=created.id,
                    rules=[
                        aws.s3.BucketLifecycleConfigurationRuleArgs(
                            id="request-log-retention",
                            status="Enabled",
                            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=f"{request.prefix}/"),
                            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                                days=request.retention_days
                            ),
                        )
                    ],
                    opts=child_opts(parent),
                ),
            ]
            bucket = created.bucket
            retention = request.retention_days
        else:
            bucket = request.bucket
        role = self._grant_role(name, "role", "logs", namespace, service_account, _REQUEST_LOG_ROLE_DESCRIPTION, parent)
        policy = aws.iam.RolePolicy(
            child_name(name, "write"),
            role=role.id,
            policy=pulumi.Output.from_input(bucket).apply(
                lambda b: s3_write_policy(b, request.prefix, partition_of(self._args.region).name)
            ),
            opts=child_opts(parent),
        )
        return LogStore(
            service_account_annotations={ROLE_ARN_ANNOTATION: role.arn},
            identity=role.arn,
            resources=(*resources, role, policy),
            sink={"type": "aws_s3", "bucket": bucket, "region": self.region},
            location=pulumi.Output.from_input(bucket).apply(lambda b: f"s3://{b}/{request.prefix}/"),
            retention_days=retention,
        )

    def load_balancer_annotations(self, idle_timeout_seconds: int) -> Mapping[str, str]:
        """The Classic Load Balancer EKS's cloud provider (kubernetes/cloud-provider-aws) creates for a
        ``LoadBalancer`` Service (no AWS Load Balancer Controller is installed) closes a connection idle for 60 s
        by default; the annotation
        ``service.beta.kubernetes.io/aws-load-balancer-connection-idle-timeout`` (kubernetes/cloud-provider-aws
        ``ServiceAnnotationLoadBalancerConnectionIdleTimeout``) sets it, from 1 to 3600 s (AWS CloudFormation
        ``AWS::ElasticLoadBalancing::LoadBalancer ConnectionSettings`` ``IdleTimeout``; Classic Load Balancer guide,
        "Configure the idle connection timeout")."""
        seconds = max(1, min(idle_timeout_seconds, ELB_MAX_IDLE_TIMEOUT))
        return {ELB_IDLE_TIMEOUT_ANNOTATION: str(seconds)}

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
        """An IRSA role for ``namespace/service_account`` that changes records in the Route 53 hosted zone
        ``zone.id`` only (IRSA reads a projected token, so the nodes' IMDS hop limit of 1 does not matter).

        The policy is cert-manager's Route 53 policy (cert-manager.io/docs/configuration/acme/dns01/route53/,
        narrowed to the hosted zone as that page advises) plus the zone listing external-dns needs
        (kubernetes-sigs/external-dns docs/tutorials/aws.md: ListHostedZones, ListTagsForResources); with
        ``record_types`` the record changes are limited to those types, as cert-manager's page does for TXT; without
        ``list_zones`` no ``ListHostedZones*`` (cert-manager calls ``ListHostedZonesByName`` only to find a zone
        whose ``hostedZoneID`` it was not given: cert-manager pkg/issuer/acme/dns/route53/route53.go
        ``getHostedZoneID`` returns the given id first)."""
        if not zone.id:
            raise SpecError("platform.dns.id", None, "give the Route 53 hosted zone id of the zone (Z...)")
        role = self._grant_role(
            name, "dns-role", "dns", namespace, service_account, f"Change records in Route 53 zone {zone.name}", parent
        )
        policy = aws.iam.RolePolicy(
            child_name(name, "dns-records"),
            role=role.id,
            policy=route53_zone_policy(zone.id, record_types, list_zones=list_zones),
            opts=child_opts(parent),
        )
        return DnsAccess(
            service_account_annotations={ROLE_ARN_ANNOTATION: role.arn},
            identity=role.arn,
            resources=(role, policy),
            acme_dns01={clouds.dns01_solver("aws"): {"region": self.region, "hostedZoneID": zone.id}},
            external_dns={
                "provider": {"name": "aws"},
                "env": [{"name": "AWS_DEFAULT_REGION", "value": self.region}],
                "extraArgs": [f"--zone-id-filter={zone.id}"],
            },
        )


# ------------------------------------------------------------------------------------------------ webhook reach

CLUSTER_SG_TAG = "aws:eks:cluster-name"
"""The tag EKS puts on the cluster security group, valued with the cluster's name (sec-group-reqs)."""


def webhook_reach(resources: Sequence[Rendered], cluster: Rendered) -> list[str]:
    """EKS: the cluster security group EKS creates allows all inbound traffic from itself, and the control plane's
    network interfaces carry it (EKS user guide, "View Amazon EKS security group requirements for clusters",
    https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html, "Default cluster security group"). Managed
    node groups get it ("Managed node groups use this security group for control-plane-to-data-plane communication",
    EKS API ``VpcConfigResponse.clusterSecurityGroupId``); Karpenter's nodes get it only when their ``EC2NodeClass``
    selects it, which the EKS tag :data:`CLUSTER_SG_TAG` on it does (same page, tags EKS adds)."""
    name = cluster.inputs.get("name")
    wanted = {CLUSTER_SG_TAG: name}
    problems: list[str] = []
    for node_class in (r for r in resources if r.type == "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"):
        terms = (node_class.inputs.get("spec") or {}).get("securityGroupSelectorTerms") or []
        if not any(term.get("tags") == wanted for term in terms):
            problems.append(
                f"{node_class.name}: securityGroupSelectorTerms {terms} do not select the EKS cluster security "
                f"group (tag {CLUSTER_SG_TAG}={name}), so the control plane cannot reach "
                f"{', '.join(sorted({w.name for w in WEBHOOKS}))} on its nodes"
            )
    return problems


WEBHOOK_REACH = {"eks:index:Cluster": webhook_reach}
"""The rule of :func:`components.clusters.reachability.webhook_problems` for this cloud's cluster type."""


def _endpoint_of(vpc: object) -> ApiEndpoint:
    """``endpointPublicAccess`` (default true) and ``publicAccessCidrs`` (default 0.0.0.0/0) (AWS EKS API
    ``VpcConfigRequest``)."""
    vpc = vpc if isinstance(vpc, Mapping) else {}
    public = vpc.get("endpointPublicAccess", True) is not False
    allowed = tuple(vpc.get("publicAccessCidrs") or (WORLD,))
    return ApiEndpoint(public, () if WORLD in allowed else allowed, vpc.get("endpointPrivateAccess") is True)


API_ENDPOINT = {
    "eks:index:Cluster": _endpoint_of,
    "aws:eks/cluster:Cluster": lambda inputs: _endpoint_of(inputs.get("vpcConfig")),
}
"""How :func:`components.clusters.rendered_endpoint` reads this cloud's cluster types (pulumi-eks's component takes
the VPC settings at the top level, the EKS ``Cluster`` under ``vpcConfig``)."""


# ------------------------------------------------------------------------------------------------ node reservation

VM_MEMORY_OVERHEAD_PERCENT = Decimal("0.075")
"""Karpenter's ``--vm-memory-overhead-percent`` default ``0.075``, "The VM memory overhead as a percent that will be
subtracted from the total memory for all instance types when cached information is unavailable" (aws/karpenter-
provider-aws v1.14.1 pkg/operator/options/options.go), subtracted as ``ceil(MiB x percent)`` (pkg/providers/
instancetype/types.go ``memory``); the platform sets no other value (components/clusters/_karpenter.py). Judgement:
the same share is taken for EKS managed node groups (the system pool, ``gpuProvisioner: node-groups``): their nodes
boot the same AL2023 kernel, whose own reservation is not known offline."""

ENI_PODS: dict[str, int] = {
    "g4dn.xlarge": 29,
    "g4dn.12xlarge": 234,
    "g4dn.metal": 737,
    "g5.xlarge": 58,
    "g5.12xlarge": 737,
    "g5.48xlarge": 345,
    "g6.xlarge": 58,
    "g6.12xlarge": 234,
    "g6.48xlarge": 737,
    "g6e.xlarge": 58,
    "g6e.12xlarge": 292,
    "g6e.48xlarge": 492,
    "p4d.24xlarge": 737,
    "p4de.24xlarge": 737,
    "p5.4xlarge": 118,
    "p5.48xlarge": 100,
    "p5en.48xlarge": 198,
    "m7i.xlarge": 58,
}
"""Pods per node by ENIs, ``max number of ENIs * (IPv4 Addresses per ENI -1) + 2`` (aws/karpenter-provider-aws v1.14.1
pkg/providers/instancetype/types.go ``ENILimitedPods``, the ENIs of the default network card), from the ENI and IPv4
limits Karpenter records in pkg/providers/instancetype/zz_generated.vpclimits.go (g6.xlarge: 4 x (15 - 1) + 2 = 58).
Karpenter's kube-reserved memory for AL2023 uses this count (``UsesENILimitedMemoryOverhead``, pkg/providers/amifamily/
resolver.go ``DefaultFamily``; Bottlerocket's ``pods`` gives the same without ``maxPods``, which the platform does
not set). For managed node groups the EKS AMI's max pods is at most this count (judgement: the largest count gives the
largest reservation, so the bound errs on the side of refusing). tests/serving/test_fit.py checks every machine
of the catalog on this cloud is listed."""


EBS_CSI_NODE = ("ebs-csi-node", 30, 120)
"""The node DaemonSet of the EBS CSI add-on the cluster creates (``_ebs_csi``, :data:`EBS_CSI_ADDON`): it runs on
every node, GPU nodes included, since it tolerates every taint (``node.tolerateAllTaints: true`` in
kubernetes-sigs/aws-ebs-csi-driver charts/aws-ebs-csi-driver/values.yaml, rendered as ``- operator: Exists`` by
templates/_node.tpl; read at v1.40.0, v1.56.0 and v1.64.0). Its three containers request, by the chart's defaults:
ebs-plugin ``node.resources.requests`` ``cpu: 10m, memory: 40Mi`` (values.yaml); node-driver-registrar and
liveness-probe ``cpu: 10m, memory: 32Mi`` each from v1.57.0 (_node.tpl, the default when ``sidecars.*.resources`` is
empty; every tag v1.57.0-v1.64.0), and ``default .Values.node.resources``, 10m/40Mi each, before (read at v1.45.0,
v1.48.0, v1.50.0, v1.56.0). So 30m and 104Mi or 120Mi per node. The add-on takes EKS's default version for the
cluster's Kubernetes (``_ebs_csi`` sets no ``addon_version``), which is not known offline, and its configuration
values are the chart's (the driver's docs/faq.md names the same parameters for "Helm/EKS Addon"): the larger,
30m/120Mi, is counted, erring on the side of refusing. Karpenter packs the DaemonSets "that will be packed when
bringing up a new node" (v1.14.1 faq.md), so a pod that leaves them no room stays Pending (rev14g defect 1).

EKS's other node DaemonSets, aws-node (VPC CNI) and kube-proxy, are not counted: their requests are set by the
add-on version EKS picks, and no source at those versions was found (only an old aws-vpc-cni chart,
aws/amazon-vpc-cni-k8s charts/aws-vpc-cni/values.yaml at v1.12.1-rc3, ``cpu: 25m``): a pod at the bound may still
not fit."""

NODE_DAEMONSETS: dict[str, tuple[int, int]] = {EBS_CSI_NODE[0]: EBS_CSI_NODE[1:]}
"""The DaemonSets of EKS itself that the fit check counts on every node (components/serving/fit.py
``daemonset_requests``): (CPU millicores, memory MiB) by name."""


def node_reserved(instance_type: str, vcpus: int, memory_mib: int, system: bool) -> tuple[int, list[tuple[str, int]]]:
    """What an EKS node keeps from pods (components/serving/fit.py ``node_reserved``): the kube-reserved CPU of the
    EKS AMI and Karpenter (``kube_reserved_cpu_milli``), Karpenter's VM overhead (:data:`VM_MEMORY_OVERHEAD_PERCENT`)
    and kube-reserved memory ``11*pods+255`` MiB (aws/karpenter-provider-aws v1.14.1 pkg/providers/instancetype/
    types.go ``kubeReservedResources``; pods: :data:`ENI_PODS`, the largest count for a type not listed)."""
    from components.serving.fit import kube_reserved_cpu_milli

    pods = ENI_PODS.get(instance_type, max(ENI_PODS.values()))
    return kube_reserved_cpu_milli(vcpus), [
        ("Karpenter's 7.5 % VM overhead", math.ceil(memory_mib * VM_MEMORY_OVERHEAD_PERCENT)),
        (f"kube-reserved 11 x {pods} pods + 255", 11 * pods + 255),
    ]
