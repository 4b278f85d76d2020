"""Karpenter on EKS: interruption queue and rules, controller IAM role, Helm release, EC2NodeClass + NodePool per pool.

Karpenter's node role (before the cluster) and its EC2_LINUX access entry on the cluster (after it) are created by
:class:`~components.clusters.eks.EksCluster`; this module only references them. The custom
resources are validated in the tests against Karpenter's own CRD schemas.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.clusters._aws_iam import arn, arn_account, irsa_trust_policy
from components.clusters.base import GPU_TAINT, SHARED_STRATEGIES, GpuPoolInfo, GpuScheduling
from components.naming import child_name, child_opts, standard_labels
from components.versions import chart

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "karpenter"
INTERRUPTION_EVENTS: Mapping[str, dict[str, list[str]]] = {
    "health": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
    "spot": {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
    "rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    "state": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
    "reservation": {"source": ["aws.ec2"], "detail-type": ["EC2 Capacity Reservation Instance Interruption Warning"]},
}
"""EventBridge patterns Karpenter handles (health, spot interruption, rebalance, state change, capacity reservation
interruption): the five rules of Karpenter's v1.14 getting-started template (``cloudformation.yaml``)."""

AMI_FAMILY = "al2023"
"""EC2NodeClass AMI alias family: Karpenter picks the AL2023 NVIDIA variant for NVIDIA instance types."""


def queue_name(cluster_name: str) -> str:
    """The interruption queue's name (known before deploy, so the Helm values stay known in a preview)."""
    return f"{cluster_name}-karpenter"


def queue_policy(queue_arn: str) -> str:
    """Let EventBridge and SQS deliver to the interruption queue; refuse non-TLS access."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EventBridgeWrite",
                    "Effect": "Allow",
                    "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                },
                {
                    "Sid": "DenyHTTP",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sqs:*",
                    "Resource": queue_arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        },
        sort_keys=True,
    )


def controller_policy(
    cluster_name: str, region: str, queue_arn: str, node_role_arn: str, *, partition: str = "aws"
) -> str:
    """The Karpenter controller's permissions: statement for statement the six controller policies of Karpenter's
    v1.14 getting-started template (aws/karpenter-provider-aws ``website/content/en/v1.14/getting-started/
    getting-started-with-karpenter/cloudformation.yaml``: NodeLifecycle, IAMIntegration, EKSIntegration,
    Interruption, ZonalShift, ResourceDiscovery), with the template's ``${AWS::Partition}``, ``${AWS::Region}``,
    ``${AWS::AccountId}`` and ``${ClusterName}`` filled in, as one inline policy. The account is the node role's.
    ``tests/clusters/test_aws_iam.py`` compares it with the template, statement by statement."""
    account = arn_account(node_role_arn)
    owned = {f"aws:ResourceTag/kubernetes.io/cluster/{cluster_name}": "owned"}
    request_owned = {
        f"aws:RequestTag/kubernetes.io/cluster/{cluster_name}": "owned",
        "aws:RequestTag/eks:eks-cluster-name": cluster_name,
    }
    nodepool_tagged = {"aws:ResourceTag/karpenter.sh/nodepool": "*"}

    def ec2(resource: str, *, account_field: str = "*") -> str:
        # EC2 resource ARNs: arn:${Partition}:ec2:${Region}:${Account}:<type>/<id>; images and snapshots have an
        # empty account field (Service Authorization Reference, Amazon EC2 resource types).
        return arn(partition, "ec2", region, account_field, resource)

    instance_profiles = arn(partition, "iam", "", account, "instance-profile/*")
    cluster_arn = arn(partition, "eks", region, account, f"cluster/{cluster_name}")
    launched = [
        ec2("fleet/*"),
        ec2("instance/*"),
        ec2("volume/*"),
        ec2("network-interface/*"),
        ec2("launch-template/*"),
        ec2("spot-instances-request/*"),
    ]
    statements: list[dict[str, Any]] = [
        # NodeLifecyclePolicy
        {
            "Sid": "AllowScopedEC2InstanceAccessActions",
            "Effect": "Allow",
            "Resource": [
                ec2("image/*", account_field=""),
                ec2("snapshot/*", account_field=""),
                ec2("security-group/*"),
                ec2("subnet/*"),
                ec2("capacity-reservation/*"),
                ec2("placement-group/*"),
            ],
            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
        },
        {
            "Sid": "AllowScopedEC2LaunchTemplateAccessActions",
            "Effect": "Allow",
            "Resource": ec2("launch-template/*"),
            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
            "Condition": {"StringEquals": owned, "StringLike": nodepool_tagged},
        },
        {
            "Sid": "AllowScopedEC2InstanceActionsWithTags",
            "Effect": "Allow",
            "Resource": launched,
            "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
            "Condition": {"StringEquals": request_owned, "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}},
        },
        {
            "Sid": "AllowScopedResourceCreationTagging",
            "Effect": "Allow",
            "Resource": launched,
            "Action": "ec2:CreateTags",
            "Condition": {
                "StringEquals": {
                    **request_owned,
                    "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                },
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        },
        {
            "Sid": "AllowScopedResourceTagging",
            "Effect": "Allow",
            "Resource": ec2("instance/*"),
            "Action": "ec2:CreateTags",
            "Condition": {
                "StringEquals": owned,
                "StringLike": nodepool_tagged,
                "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": cluster_name},
                "ForAllValues:StringEquals": {
                    "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
                },
            },
        },
        {
            "Sid": "AllowScopedDeletion",
            "Effect": "Allow",
            "Resource": [ec2("instance/*"), ec2("launch-template/*")],
            "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
            "Condition": {"StringEquals": owned, "StringLike": nodepool_tagged},
        },
        # IAMIntegrationPolicy
        {
            "Sid": "AllowPassingInstanceRole",
            "Effect": "Allow",
            "Resource": node_role_arn,
            "Action": "iam:PassRole",
            "Condition": {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}},
        },
        {
            "Sid": "AllowScopedInstanceProfileCreationActions",
            "Effect": "Allow",
            "Resource": instance_profiles,
            "Action": ["iam:CreateInstanceProfile"],
            "Condition": {
                "StringEquals": {**request_owned, "aws:RequestTag/topology.kubernetes.io/region": region},
                "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        },
        {
            "Sid": "AllowScopedInstanceProfileTagActions",
            "Effect": "Allow",
            "Resource": instance_profiles,
            "Action": ["iam:TagInstanceProfile"],
            "Condition": {
                "StringEquals": {
                    **owned,
                    "aws:ResourceTag/topology.kubernetes.io/region": region,
                    **request_owned,
                    "aws:RequestTag/topology.kubernetes.io/region": region,
                },
                "StringLike": {
                    "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                    "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
                },
            },
        },
        {
            "Sid": "AllowScopedInstanceProfileActions",
            "Effect": "Allow",
            "Resource": instance_profiles,
            "Action": [
                "iam:AddRoleToInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:DeleteInstanceProfile",
            ],
            "Condition": {
                "StringEquals": {**owned, "aws:ResourceTag/topology.kubernetes.io/region": region},
                "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        },
        # EKSIntegrationPolicy
        {
            "Sid": "AllowAPIServerEndpointDiscovery",
            "Effect": "Allow",
            "Resource": cluster_arn,
            "Action": "eks:DescribeCluster",
        },
        # InterruptionPolicy
        {
            "Sid": "AllowInterruptionQueueActions",
            "Effect": "Allow",
            "Resource": queue_arn,
            "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
        },
        # ZonalShiftPolicy
        {
            "Sid": "AllowZonalShiftStatusReadOnly",
            "Effect": "Allow",
            "Resource": "*",
            "Action": ["arc-zonal-shift:GetManagedResource"],
            "Condition": {"StringEquals": {"arc-zonal-shift:ResourceIdentifier": cluster_arn}},
        },
        # ResourceDiscoveryPolicy
        {
            "Sid": "AllowRegionalReadActions",
            "Effect": "Allow",
            "Resource": "*",
            "Action": [
                "ec2:DescribeCapacityReservations",
                "ec2:DescribeImages",
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceStatus",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribePlacementGroups",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
            ],
            "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
        },
        {
            "Sid": "AllowSSMReadActions",
            "Effect": "Allow",
            # AWS's public parameters have an empty account field, as the template writes them.
            "Resource": arn(partition, "ssm", region, "", "parameter/aws/service/*"),
            "Action": "ssm:GetParameter",
        },
        {"Sid": "AllowPricingReadActions", "Effect": "Allow", "Resource": "*", "Action": "pricing:GetProducts"},
        {
            "Sid": "AllowUnscopedInstanceProfileListAction",
            "Effect": "Allow",
            "Resource": "*",
            "Action": "iam:ListInstanceProfiles",
        },
        {
            "Sid": "AllowInstanceProfileReadActions",
            "Effect": "Allow",
            "Resource": instance_profiles,
            "Action": "iam:GetInstanceProfile",
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


BOTTLEROCKET_FAMILY = "bottlerocket"
"""EC2NodeClass alias family of a pool with an image cache: Karpenter resolves it to the ``aws-k8s-<version>-nvidia``
variant for GPU instance types (aws/karpenter-provider-aws pkg/providers/amifamily/bottlerocket.go ``DefaultAMIs``:
the ``-nvidia`` SSM parameter where ``karpenter.k8s.aws/instance-gpu-count`` exists)."""
SNAPSHOT_INIT_MIB_PER_S = 300
"""The data volume's Provisioned Rate for Volume Initialization, MiB/s: the most the pinned CRD accepts
(EC2NodeClass v1 ``blockDeviceMappings[].ebs.volumeInitializationRate``: "Valid Range: Minimum value of 100. Maximum
value of 300", "Only allowed if SnapshotID is set"), so the snapshot's blocks arrive from S3 at a known rate. The
cold-start figure (components/coldstart.yaml ``imageCache.aws``) is computed from it."""


GPU_VOLUME_THROUGHPUT = 1000
"""gp3 throughput (MiB/s) of a GPU node's image and weight volume: the most the pinned CRD accepts (EC2NodeClass v1
``blockDeviceMappings[].ebs.throughput``: "Throughput to provision for a gp3 volume, with a maximum of 1,000 MiB/s.
Valid Range: Minimum value of 125. Maximum value of 1000"). Without it the volume has gp3's 125 MiB/s ("The default
value is 125", AWS CloudFormation ``AWS::EC2::Volume`` ``Throughput``), and a model server reading 141 GB of
weights from it needs 18 min (rev16b defect 3); the cold start's load step reads at this rate
(components/coldstart.yaml ``diskRead.aws``). Price: throughput above 125 MiB/s is billed per MiB/s-month
(docs/performance.md, "Node disk")."""
GPU_VOLUME_IOPS = 4000
"""gp3 IOPS that :data:`GPU_VOLUME_THROUGHPUT` needs: "The maximum ratio of throughput to IOPS is 0.25 MiB/s per
IOPS" (AWS CloudFormation ``AWS::EC2::Volume`` ``Throughput``): 1000 / 0.25 = 4000 (gp3: 3,000-16,000, the CRD's
``iops``)."""


def _image_cache_volumes(snapshot: str, disk_gib: int) -> list[dict[str, Any]]:
    """Bottlerocket's two volumes with the data volume made from ``snapshot``.

    Bottlerocket keeps the OS on ``/dev/xvda`` and container images, logs and pod storage on the data volume
    ``/dev/xvdb`` (Karpenter's own Bottlerocket defaults: 4Gi ``/dev/xvda`` and the data volume ``/dev/xvdb``,
    pkg/providers/amifamily/bottlerocket.go ``DefaultBlockDeviceMappings``/``EphemeralBlockDevice``); a snapshot of a
    data volume with the images pulled, given as ``snapshotID`` on ``/dev/xvdb``, starts every node with them
    (aws-samples/bottlerocket-images-cache README, "With Karpenter"). The data volume carries no ``encrypted``: "If
    you are creating a volume from a snapshot, you can't specify an encryption value" (the CRD's ``encrypted``); it
    is encrypted when the snapshot is (or the account encrypts new volumes by default)."""
    return [
        {
            "deviceName": "/dev/xvda",
            "ebs": {"volumeSize": "4Gi", "volumeType": "gp3", "encrypted": True, "deleteOnTermination": True},
        },
        {
            "deviceName": "/dev/xvdb",
            "ebs": {
                "snapshotID": snapshot,
                "volumeSize": f"{disk_gib}Gi",
                "volumeType": "gp3",
                "throughput": GPU_VOLUME_THROUGHPUT,
                "iops": GPU_VOLUME_IOPS,
                "volumeInitializationRate": SNAPSHOT_INIT_MIB_PER_S,
                "deleteOnTermination": True,
            },
        },
    ]


def node_class(
    cluster_name: str,
    node_role_name: str,
    *,
    disk_gib: int,
    tags: Mapping[str, str],
    ami_version: str = "latest",
    image_cache: str | None = None,
    bottlerocket_version: str = "latest",
) -> dict[str, Any]:
    """The EC2NodeClass spec of a GPU pool: AL2023 (NVIDIA variant), private subnets, IMDSv2, encrypted gp3 root.

    With ``image_cache`` (an EBS snapshot id, the pool's ``imageCache.source``) the pool runs Bottlerocket (NVIDIA
    variant, ``bottlerocket_version``) and its data volume is made from the snapshot (:func:`_image_cache_volumes`).
    """
    spec = _al2023_node_class(cluster_name, node_role_name, disk_gib=disk_gib, tags=tags, ami_version=ami_version)
    if image_cache is not None:
        spec["amiSelectorTerms"] = [{"alias": f"{BOTTLEROCKET_FAMILY}@{bottlerocket_version}"}]
        spec["blockDeviceMappings"] = _image_cache_volumes(image_cache, disk_gib)
    return spec


def _al2023_node_class(
    cluster_name: str, node_role_name: str, *, disk_gib: int, tags: Mapping[str, str], ami_version: str
) -> dict[str, Any]:
    return {
        "amiSelectorTerms": [{"alias": f"{AMI_FAMILY}@{ami_version}"}],
        "role": node_role_name,
        "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": cluster_name}}],
        "securityGroupSelectorTerms": [{"tags": {"aws:eks:cluster-name": cluster_name}}],
        "associatePublicIPAddress": False,
        "metadataOptions": {
            "httpEndpoint": "enabled",
            "httpProtocolIPv6": "disabled",
            "httpPutResponseHopLimit": 1,
            "httpTokens": "required",
        },
        "blockDeviceMappings": [
            {
                "deviceName": "/dev/xvda",
                "rootVolume": True,
                "ebs": {
                    "volumeSize": f"{disk_gib}Gi",
                    "volumeType": "gp3",
                    "throughput": GPU_VOLUME_THROUGHPUT,
                    "iops": GPU_VOLUME_IOPS,
                    "encrypted": True,
                    "deleteOnTermination": True,
                },
            }
        ],
        "tags": dict(tags),
    }


def gpu_limit(pool: GpuPoolInfo) -> int:
    """The NodePool's ``nvidia.com/gpu`` limit: what ``max_nodes`` nodes of the pool advertise.

    Karpenter counts a NodePool's usage from its nodes' ``status.capacity`` once they are initialized
    (kubernetes-sigs/karpenter v1.14.1, the core aws/karpenter-provider-aws v1.14.1 builds against:
    pkg/controllers/state/statenode.go ``Capacity()`` returns ``Node.Status.Capacity``; state/cluster.go
    ``updateNodePoolResources`` sums it per NodePool; provisioning/scheduling/scheduler.go ``updateRemainingResources``
    subtracts it from ``spec.limits`` and ``filterByRemainingResources`` drops every instance type above what remains;
    provisioner.go ``Create`` refuses a NodeClaim once ``Limits.ExceededBy`` the sum). A node whose GPUs the NVIDIA
    device plugin shares by time-slicing or MPS advertises GPUs x replicas of ``nvidia.com/gpu`` ("If this
    configuration were applied to a node with 8 GPUs on it, the plugin would now advertise 80 ``nvidia.com/gpu``
    resources", NVIDIA/k8s-device-plugin v0.20.0 README.md, "With CUDA Time-Slicing" and "With CUDA MPS"; the
    platform keeps the resource name, :meth:`GpuPoolInfo.device_plugin_config`). So a limit of GPUs x nodes would stop
    a pool shared ``n`` ways at ``max_nodes / n`` nodes: the limit counts the shares. ``limits.nodes`` still bounds
    the nodes (and the GPUs) the pool starts."""
    shares = pool.max_clients_per_gpu if pool.sharing in SHARED_STRATEGIES else 1
    return pool.max_nodes * pool.gpus_per_node * shares


def node_pool(pool: GpuPoolInfo, node_class_name: str) -> dict[str, Any]:
    """The NodePool spec of a GPU pool: its instance type and capacity type, GPU taint and labels, limits."""
    # EKS always gets the platform's device plugin: the labels include its config label when the pool shares GPUs.
    labels = GpuScheduling(needs_device_plugin=True).node_labels(pool)
    return {
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": node_class_name},
                "requirements": [
                    {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": [pool.instance_type]},
                    {"key": "karpenter.sh/capacity-type", "operator": "In", "values": [capacity_type(pool)]},
                    {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
                    {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                ],
                "taints": [{"key": GPU_TAINT.key, "value": GPU_TAINT.value, "effect": GPU_TAINT.effect}],
                "expireAfter": "720h",
            },
        },
        "limits": {"nodes": pool.max_nodes, "nvidia.com/gpu": gpu_limit(pool)},
        "disruption": {
            "consolidationPolicy": "WhenEmpty",
            "consolidateAfter": "10m",
            "budgets": [{"nodes": "1"}],
        },
    }


def capacity_type(pool: GpuPoolInfo) -> str:
    """Karpenter's capacity type for a pool."""
    return "spot" if pool.spot else "on-demand"


class Karpenter:
    """Everything Karpenter needs, created as children of the cluster component (a plain builder, not a resource)."""

    def __init__(
        self,
        name: str,
        parent: pulumi.Resource,
        *,
        cluster_name: str,
        region: str,
        partition: str,
        oidc_provider_arn: pulumi.Input[str],
        oidc_provider_url: pulumi.Input[str],
        node_role: aws.iam.Role,
        node_role_name: str,
        provider: k8s.Provider,
        pools: Mapping[str, GpuPoolInfo],
        disks: Mapping[str, int],
        tags: Mapping[str, str],
        depends_on: Sequence[pulumi.Resource],
        chart_versions: Mapping[str, str] | None = None,
        ami_version: str = "latest",
        bottlerocket_version: str = "latest",
        node_access: pulumi.Resource | None = None,
    ) -> None:
        self.queue = aws.sqs.Queue(
            child_name(name, "karpenter-interruption"),
            name=queue_name(cluster_name),
            message_retention_seconds=300,
            sqs_managed_sse_enabled=True,
            tags=dict(tags),
            opts=child_opts(parent),
        )
        aws.sqs.QueuePolicy(
            child_name(name, "karpenter-interruption-policy"),
            queue_url=self.queue.url,
            policy=self.queue.arn.apply(queue_policy),
            opts=child_opts(parent),
        )
        for key, pattern in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(
                child_name(name, f"karpenter-{key}"),
                description=f"Karpenter interruption handling for {cluster_name}: {pattern['detail-type'][0]}",
                event_pattern=json.dumps(pattern, sort_keys=True),
                tags=dict(tags),
                opts=child_opts(parent),
            )
            aws.cloudwatch.EventTarget(
                child_name(name, f"karpenter-{key}-target"),
                rule=rule.name,
                arn=self.queue.arn,
                opts=child_opts(parent),
            )
        trust = pulumi.Output.all(oidc_provider_arn, oidc_provider_url).apply(
            lambda a: irsa_trust_policy(str(a[0]), str(a[1]), NAMESPACE, SERVICE_ACCOUNT)
        )
        self.role = aws.iam.Role(
            child_name(name, "karpenter-controller"),
            description=f"Karpenter controller of EKS cluster {cluster_name}",
            assume_role_policy=trust,
            tags=dict(tags),
            opts=child_opts(parent),
        )
        self.policy = aws.iam.RolePolicy(
            child_name(name, "karpenter-controller-policy"),
            role=self.role.id,
            policy=pulumi.Output.all(self.queue.arn, node_role.arn).apply(
                lambda a: controller_policy(cluster_name, region, str(a[0]), str(a[1]), partition=partition)
            ),
            opts=child_opts(parent),
        )
        ref = chart("karpenter", dict(chart_versions or {}))
        # The CRDs in a chart of their own, at the controller's version: Helm installs a chart's crds/ only on the
        # first install and never upgrades them, so raising cluster.versions.karpenter through the karpenter chart
        # alone would leave the old CRDs under the new controller. karpenter.sh "Upgrade Guide", CRD Upgrades: the
        # independent karpenter-crd chart "can be used by Helm to manage the lifecycle of these CRDs"; the main
        # chart's CRDs are then skipped (pulumi_kubernetes helm.v3.Release ``skip_crds``). A cluster deployed before
        # this chart existed needs its CRDs adopted once (docs/upgrading.md, Karpenter's CRDs).
        self.crd_release = k8s.helm.v3.Release(
            child_name(name, "karpenter-crd"),
            name="karpenter-crd",
            chart=ref.crd_chart,
            version=ref.version,
            namespace=NAMESPACE,
            atomic=True,
            timeout=300,
            opts=child_opts(parent, provider=provider, depends_on=list(depends_on)),
        )
        self.release = k8s.helm.v3.Release(
            child_name(name, "karpenter"),
            name="karpenter",
            chart=ref.chart,
            version=ref.version,
            namespace=NAMESPACE,
            values={
                "settings": {"clusterName": cluster_name, "interruptionQueue": queue_name(cluster_name)},
                "serviceAccount": {
                    "name": SERVICE_ACCOUNT,
                    "annotations": {"eks.amazonaws.com/role-arn": self.role.arn},
                },
                "replicas": 2,
                "nodeSelector": {"kubernetes.io/os": "linux", "mlplatform.io/pool": "system"},
                "controller": {
                    "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}
                },
            },
            skip_crds=True,
            atomic=True,
            timeout=600,
            # The controller's permissions before the controller: the role ARN in the values makes the release wait
            # for the role only, and until the inline policy exists every AWS call of the controller is implicitly
            # denied (IAM User Guide, "Policy evaluation logic"). Its CRDs before it (the chart above).
            opts=child_opts(parent, provider=provider, depends_on=[*depends_on, self.policy, self.crd_release]),
        )
        self.node_classes: dict[str, k8s.apiextensions.CustomResource] = {}
        self.node_pools: dict[str, k8s.apiextensions.CustomResource] = {}
        labels = standard_labels("karpenter", name)
        for pool in pools.values():
            cls_name = f"gpu-{pool.name}"
            disk_gib = disks.get(pool.name, 200)
            self.node_classes[pool.name] = k8s.apiextensions.CustomResource(
                child_name(name, f"nodeclass-{pool.name}"),
                api_version="karpenter.k8s.aws/v1",
                kind="EC2NodeClass",
                metadata={"name": cls_name, "labels": labels},
                spec=node_class(
                    cluster_name,
                    node_role_name,
                    disk_gib=disk_gib,
                    tags=tags,
                    ami_version=ami_version,
                    image_cache=pool.image_cache,
                    bottlerocket_version=bottlerocket_version,
                ),
                # Nodes launched from it join through the node role's access entry (``node_access``).
                opts=child_opts(
                    parent,
                    provider=provider,
                    depends_on=[self.release, node_role, *([node_access] if node_access else [])],
                ),
            )
            # Neither object needs a replacement-safe name: pulumi-kubernetes replaces a custom resource only when its
            # metadata.name or namespace changes (provider/pkg/provider/forcenew.go: metadata fields plus a table of
            # built-in kinds, no karpenter.sh ones), and a changed name is created before the old object is deleted
            # (it deletes first only for a replacement under the same name; pulumi/pulumi-terraform#383 quotes the
            # rule). Spec changes are patches; Karpenter then replaces drifted nodes itself.
            self.node_pools[pool.name] = k8s.apiextensions.CustomResource(
                child_name(name, f"nodepool-{pool.name}"),
                api_version="karpenter.sh/v1",
                kind="NodePool",
                metadata={"name": cls_name, "labels": labels},
                spec=node_pool(pool, cls_name),
                opts=child_opts(parent, provider=provider, depends_on=[self.release, self.node_classes[pool.name]]),
            )
