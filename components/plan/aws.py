"""AWS placeholders for ``mlplatform plan`` (the cloud's placeholder module, :attr:`components.clouds.Cloud.plan`;
:mod:`components.plan.fakes` says what such a module defines).

The AWS account is ``123456789012`` (the example account of AWS's documentation); hashes of the resource name stand
in for ids. ARNs follow each resource type's ARN format from the AWS Service Authorization Reference, in the
partition of the stack's region (``tests/plan/test_placeholders.py`` checks both against parliament's copy of that
reference and botocore's partition table). pulumi-eks's remote components are modelled in
:mod:`components.plan.aws_eks`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from components import clouds, markers
from components.plan import aws_eks
from components.plan.fakes import (
    Create,
    Fake,
    OutputsMode,
    RemoteModel,
    StateOf,
    child,
    hex_of,
    kubeconfig,
    physical,
    secret,
    uuid,
)

ACCOUNT = "123456789012"
REGION = "us-east-1"

PARTITIONS: tuple[tuple[str, str, str], ...] = (
    ("aws-us-gov", r"^us\-gov\-\w+\-\d+$", "amazonaws.com"),
    ("aws-iso-b", r"^us\-isob\-\w+\-\d+$", "sc2s.sgov.gov"),
    ("aws-iso-f", r"^us\-isof\-\w+\-\d+$", "csp.hci.ic.gov"),
    ("aws-iso", r"^us\-iso\-\w+\-\d+$", "c2s.ic.gov"),
    ("aws-iso-e", r"^eu\-isoe\-\w+\-\d+$", "cloud.adc-e.uk"),
    ("aws-cn", r"^cn\-\w+\-\d+$", "amazonaws.com.cn"),
    ("aws-eusc", r"^eusc\-(de)\-\w+\-\d+$", "amazonaws.eu"),
    ("aws", r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$", "amazonaws.com"),
)
"""AWS partitions: name, region pattern, DNS suffix (botocore 1.44.8 ``botocore/data/endpoints.json``, ``partitions``;
the more specific patterns first, as ``us-gov-west-1`` also matches the ``aws`` pattern)."""


@dataclass(frozen=True)
class AwsShape:
    """Where placeholder AWS values live: region, partition and DNS suffix (the account is always :data:`ACCOUNT`)."""

    region: str = REGION
    partition: str = "aws"
    dns_suffix: str = "amazonaws.com"

    @classmethod
    def for_region(cls, region: str | None) -> AwsShape:
        """The shape for ``region`` (its partition from :data:`PARTITIONS`); us-east-1 when none or unknown."""
        if not region:
            return cls()
        for partition, pattern, suffix in PARTITIONS:
            if re.match(pattern, region):
                return cls(region, partition, suffix)
        return cls(region)

    def arn(self, service: str, resource: str, *, regional: bool = True, account: bool = True) -> str:
        """``arn:<partition>:<service>:<region>:<account>:<resource>``."""
        region = self.region if regional else ""
        return f"arn:{self.partition}:{service}:{region}:{ACCOUNT if account else ''}:{resource}"


AWS = AwsShape()
"""The shape of the run in progress (set by :func:`use_region` when a plan starts)."""


def use_region(region: str | None) -> AwsShape:
    """Make placeholder AWS values for ``region`` (and its partition) until the next call; returns the shape."""
    global AWS
    AWS = AwsShape.for_region(region)
    return AWS


def _region_key(config: Mapping[str, str], project: str) -> str | None:
    """The provider region setting of the stack's cloud (:attr:`components.clouds.Cloud.provider_region_key`): where
    ``<project>:region`` is the AWS provider's region, it is ``aws:region``."""
    cloud = clouds.find(config.get(f"{project}:cloud"))
    return cloud.provider_region_key if cloud is not None else None


def shape_of(config: Mapping[str, str], project: str) -> AwsShape:
    """Region and partition of an AWS stack (``aws:region``, else ``<project>:region`` when the cloud is aws)."""
    own = config.get(f"{project}:region") if _region_key(config, project) == "aws:region" else None
    return AwsShape.for_region(config.get("aws:region") or own)


def partition_of(config: Mapping[str, str], project: str, outputs: OutputsMode) -> str | None:
    """The AWS partition pulumi-eks's ``getPartition`` would answer: the stack region's, a placeholder's, or None
    (unknown) when a preview-like plan has no region in its config."""
    shape = shape_of(config, project)
    if config.get("aws:region") or _region_key(config, project) == "aws:region" or outputs == "fake":
        return shape.partition
    return None


def placeholders(config: Mapping[str, str], project: str) -> dict[str, str]:
    """Point the placeholders at the stack's AWS region; what the plan says about them."""
    shape = use_region(shape_of(config, project).region)
    return {"awsAccount": ACCOUNT, "awsRegion": shape.region, "awsPartition": shape.partition}


def note(marker: Mapping[str, str]) -> str:
    """The AWS placeholders in one line."""
    return f"AWS account {marker['awsAccount']}, {marker['awsPartition']} {marker['awsRegion']}"


# ------------------------------------------------------------------------------------------------ pulumi-eks


@dataclass
class EksModel:
    """pulumi-eks's ``Cluster`` and ``ManagedNodeGroup`` for one plan (:mod:`components.plan.aws_eks`)."""

    partition: Any
    state: aws_eks.Expansion
    source: str = aws_eks.SOURCE

    def expand(
        self, urn: str, type_: str, name: str, inputs: Mapping[str, Any], create: Create, state_of: StateOf
    ) -> None:
        """Register what pulumi-eks registers for the component (or raise :class:`aws_eks.ComponentRefused`)."""
        if type_ == aws_eks.CLUSTER:
            aws_eks.expand_cluster(urn, name, inputs, create, self.state, self.partition, state_of)
        else:
            aws_eks.expand_managed_node_group(urn, name, inputs, create, self.state, state_of)

    def not_modelled(self) -> list[str]:
        """The branches the model did not cover."""
        return list(self.state.not_modelled)


def remote_models(config: Mapping[str, str], project: str, outputs: OutputsMode) -> dict[str, RemoteModel]:
    """pulumi-eks's remote components, sharing one model (node groups read the clusters it modelled)."""
    model = EksModel(partition_of(config, project, outputs) or markers.UNKNOWN, aws_eks.Expansion())
    return dict.fromkeys(aws_eks.MODELLED, model)


# ------------------------------------------------------------------------------------------------ fakes


def _oidc_host(name: str) -> str:
    return f"oidc.eks.{AWS.region}.{AWS.dns_suffix}/id/{hex_of(name, 32).upper()}"


def _eks_endpoint(name: str) -> str:
    return f"https://{hashlib.md5(name.encode()).hexdigest().upper()}.gr7.{AWS.region}.eks.{AWS.dns_suffix}"


def _eks_cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    cluster_name = physical(f"{name}-eksCluster", inputs)
    oidc = _oidc_host(name)
    server = _eks_endpoint(name)
    return {
        "kubeconfig": secret(json.loads(kubeconfig(name, server))),
        "kubeconfigJson": secret(kubeconfig(name, server)),
        "oidcProviderArn": AWS.arn("iam", f"oidc-provider/{oidc}", regional=False),
        # pulumi/pulumi-eks v4.3.0 nodejs/eks/cluster/cluster.ts: oidcProviderUrl is the issuer URL, oidcIssuer the
        # same without "https://"
        "oidcProviderUrl": f"https://{oidc}",
        "oidcIssuer": oidc,
        "clusterSecurityGroupId": f"sg-{hex_of(name + 'cluster', 17)}",
        "nodeSecurityGroupId": f"sg-{hex_of(name + 'node', 17)}",
        "core": {"endpoint": server},
        # pulumi-eks names its aws.eks.Cluster `${name}-eksCluster` and passes `name: args.name` (pulumi/pulumi-eks
        # nodejs/eks/cluster/cluster.ts, createCore); the output `eksCluster` is that resource.
        "eksCluster": child(
            "aws:eks/cluster:Cluster",
            f"{name}-eksCluster",
            {"name": cluster_name, "arn": AWS.arn("eks", f"cluster/{cluster_name}")},
        ),
    }


def _aws_cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """``aws:eks/cluster:Cluster`` (a pulumi-eks child): ARN, endpoint, CA, OIDC issuer, cluster security group."""
    own = physical(name, inputs)
    component = name.removesuffix("-eksCluster")  # the same endpoint and issuer as the component's placeholders
    return {
        "arn": AWS.arn("eks", f"cluster/{own}"),
        "name": own,
        "endpoint": _eks_endpoint(component),
        "certificateAuthority": {"data": "LS0tLS1DQQ=="},
        "identities": [{"oidcs": [{"issuer": f"https://{_oidc_host(component)}"}]}],
        "vpcConfig": {**(inputs.get("vpcConfig") or {}), "clusterSecurityGroupId": f"sg-{hex_of(name, 17)}"},
        "status": "ACTIVE",
    }


def _iam(kind: str, key: str = "name") -> Fake:
    def fake(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        own = physical(name, inputs, key)
        out = {"arn": AWS.arn("iam", f"{kind}/{own}", regional=False), "name": own}
        if kind == "role":
            out["uniqueId"] = "AROA" + hex_of(name, 17).upper()
        return out

    return fake


def _oidc_provider(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    url = str(inputs.get("url") or f"https://{_oidc_host(name)}").removeprefix("https://")
    return {"arn": AWS.arn("iam", f"oidc-provider/{url}", regional=False)}


def _kms_key(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    key_id = uuid(name)
    return {"arn": AWS.arn("kms", f"key/{key_id}"), "keyId": key_id}


def _kms_alias(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    alias = physical(name, inputs)
    return {"arn": AWS.arn("kms", alias if alias.startswith("alias/") else f"alias/{alias}")}


def _event_rule(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    own = physical(name, inputs)
    return {"arn": AWS.arn("events", f"rule/{own}"), "name": own}


def _ec2(kind: str, prefix: str) -> Fake:
    def fake(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        ident = f"{prefix}-{hex_of(name, 17)}"
        out: dict[str, Any] = {"arn": AWS.arn("ec2", f"{kind}/{ident}"), "ownerId": ACCOUNT}
        if kind == "launch-template":
            out["latestVersion"] = 1
            out["defaultVersion"] = 1
        return out

    return fake


def _node_group(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    cluster = inputs.get("clusterName") or "cluster"
    group = physical(name, inputs, "nodeGroupName")
    return {
        "arn": AWS.arn("eks", f"nodegroup/{cluster}/{group}/{uuid(name)}"),
        "nodeGroupName": group,
        "resources": [{"autoscalingGroups": [{"name": f"eks-{group}-{uuid(name)}"}]}],
        "status": "ACTIVE",
    }


def _managed_node_group(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """``eks:index:ManagedNodeGroup``: its output ``nodeGroup`` is the ``aws:eks/nodeGroup:NodeGroup`` it registers
    under its own name (pulumi_eks 4.4 ``managed_node_group.py``: ``node_group: Output[pulumi_aws.eks.NodeGroup]``;
    the child is modelled in :mod:`components.plan.aws_eks`, which then gives the same URN its full state). Without
    it a placeholder plan left ``autoscalingGroupName`` of the cluster-autoscaler ASG tags unset, and ``mlplatform
    check`` refused the plan (rev17c finding A)."""
    return {"nodeGroup": child("aws:eks/nodeGroup:NodeGroup", name, _node_group(name, inputs))}


def _s3_bucket(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """``aws:s3/bucket:Bucket``: ``bucket`` is the name input, else a unique name beginning with ``bucketPrefix``
    (pulumi_aws 7.51 ``s3/bucket.py``: "Creates a unique bucket name beginning with the specified prefix"; the
    provider's suffix is not modelled, a hex one of the same 26 characters stands in), its ARN ``arn:aws:s3:::<name>``
    (S3 bucket ARNs carry no region or account). Without it a placeholder plan of a stack whose request-log bucket the
    platform creates rendered the collector's sink ``bucket`` as nothing (rev17c finding A)."""
    given = inputs.get("bucket")
    prefix = inputs.get("bucketPrefix")
    if isinstance(given, str) and given:
        own = given
    elif isinstance(prefix, str) and prefix:
        own = f"{prefix}{hex_of(name, 26)}"
    else:
        own = f"{name}-{hex_of(name, 7)}"
    return {"bucket": own, "arn": AWS.arn("s3", own, regional=False, account=False)}


def _addon(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    cluster = inputs.get("clusterName") or "cluster"
    return {"arn": AWS.arn("eks", f"addon/{cluster}/{inputs.get('addonName', name)}/{uuid(name)}")}


def _access_entry(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    cluster = inputs.get("clusterName") or "cluster"
    principal = str(inputs.get("principalArn") or f"role/{name}")
    kind, _, who = principal.rsplit(":", 1)[-1].partition("/")
    return {"accessEntryArn": AWS.arn("eks", f"access-entry/{cluster}/{kind}/{ACCOUNT}/{who}/{uuid(name)}")}


def _vpc(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    zones = int(inputs.get("numberOfAvailabilityZones") or 3)
    return {
        "vpcId": f"vpc-{hashlib.sha1(name.encode()).hexdigest()[:17]}",
        "privateSubnetIds": [f"subnet-private{i}{hashlib.sha1(name.encode()).hexdigest()[:9]}" for i in range(zones)],
        "publicSubnetIds": [f"subnet-public{i}{hashlib.sha1(name.encode()).hexdigest()[:10]}" for i in range(zones)],
        "isolatedSubnetIds": [],
    }


def _sqs(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    own = physical(name, inputs)
    return {
        "arn": AWS.arn("sqs", own),
        "url": f"https://sqs.{AWS.region}.{AWS.dns_suffix}/{ACCOUNT}/{own}",
        "name": own,
    }


FAKES: dict[str, Fake] = {
    "eks:index:Cluster": _eks_cluster,
    "aws:eks/cluster:Cluster": _aws_cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "eks:index:ManagedNodeGroup": _managed_node_group,
    "aws:s3/bucket:Bucket": _s3_bucket,
    "aws:eks/addon:Addon": _addon,
    "aws:eks/accessEntry:AccessEntry": _access_entry,
    "aws:iam/role:Role": _iam("role"),
    "aws:iam/policy:Policy": _iam("policy"),
    "aws:iam/instanceProfile:InstanceProfile": _iam("instance-profile"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:sqs/queue:Queue": _sqs,
    "aws:cloudwatch/eventRule:EventRule": _event_rule,
    "aws:ec2/securityGroup:SecurityGroup": _ec2("security-group", "sg"),
    "aws:ec2/launchTemplate:LaunchTemplate": _ec2("launch-template", "lt"),
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "awsx:ec2:Vpc": _vpc,
}
"""Placeholder computed outputs by type token; other ``aws:`` types get an ``arn`` (:func:`fallback`)."""

IDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "aws:iam/role:Role": lambda out: out["name"],
    "aws:iam/instanceProfile:InstanceProfile": lambda out: out["name"],
    "aws:iam/policy:Policy": lambda out: out["arn"],
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": lambda out: out["arn"],
    "aws:sqs/queue:Queue": lambda out: out["url"],
    "aws:kms/key:Key": lambda out: out["keyId"],
    "aws:s3/bucket:Bucket": lambda out: out["bucket"],
    "aws:eks/cluster:Cluster": lambda out: out["name"],
    "aws:cloudwatch/eventRule:EventRule": lambda out: out["name"],
    "aws:ec2/securityGroup:SecurityGroup": lambda out: out["arn"].rsplit("/", 1)[-1],
    "aws:ec2/launchTemplate:LaunchTemplate": lambda out: out["arn"].rsplit("/", 1)[-1],
}
"""What the AWS provider uses as the id of these types (the name, the ARN, the URL or the key id)."""


def fallback(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any] | None:
    """Any other ``aws:`` type: an ARN of its service and type."""
    if not type_.startswith("aws:"):
        return None
    service = type_.split(":")[1].split("/")[0]
    return {"arn": AWS.arn(service, f"{type_.rsplit(':', 1)[-1].lower()}/{physical(name, inputs)}")}


CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": lambda a: {
        "names": [f"{AWS.region}a", f"{AWS.region}b", f"{AWS.region}c"],
        "zoneIds": ["use1-az1", "use1-az2", "use1-az4"],
    },
    "aws:index/getCallerIdentity:getCallerIdentity": lambda a: {
        "accountId": ACCOUNT,
        "arn": AWS.arn("iam", "user/plan", regional=False),
        "userId": "AIDAPLAN",
    },
    "aws:index/getPartition:getPartition": lambda a: {"partition": AWS.partition, "dnsSuffix": AWS.dns_suffix},
    "aws:index/getRegion:getRegion": lambda a: {"name": AWS.region, "region": AWS.region},
    "eks:index:Cluster/getKubeconfig": lambda a: {"result": secret(kubeconfig("eks", "https://eks.example"))},
}
"""Fake answers to the AWS and pulumi-eks provider functions (invokes) by token."""
