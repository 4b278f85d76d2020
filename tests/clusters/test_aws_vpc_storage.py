"""EKS networking and storage that the mocks cannot run: the S3 gateway endpoint's route tables and the NAT gateways
(awsx's Vpc is a remote component), the EBS CSI add-on with its IRSA role and the default StorageClass, and the
spot service-linked role prerequisite.

awsx's rules are modelled from pulumi/pulumi-awsx ``awsx/ec2/vpc.ts`` (commit e60adf3c; the ``vpcEndpointStrategy``
input it reads came with #2028 and is in the pinned SDK 3.11) and applied to the inputs our program gives the Vpc.
"""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
from cluster_support import TAGS, build, policy_json

from components.clusters.eks import SPOT_SLR_WARNING, ebs_tag_parameters
from components.errors import SpecError

VPC = "awsx:ec2:Vpc"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ADDON = "aws:eks/addon:Addon"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
L4 = {"l4": {"accelerator": "nvidia-l4", "maxNodes": 4}}


def awsx_route_tables(vpc: dict[str, Any], zones: int) -> dict[str, list[str]]:
    """The route tables awsx's Vpc creates, by subnet type: one per subnet spec per zone (vpc.ts: a RouteTable for
    each subnet, with its association)."""
    tables: dict[str, list[str]] = {}
    for spec in vpc["subnetSpecs"]:
        tables.setdefault(spec["type"].lower(), []).extend(f"{spec['type'].lower()}-{i}" for i in range(zones))
    return tables


def awsx_gateway_endpoint_route_tables(vpc: dict[str, Any], spec: dict[str, Any], zones: int) -> list[str]:
    """The route tables awsx gives a gateway endpoint (vpc.ts, the vpcEndpointSpecs loop): the spec's own
    routeTableIds, or with ``vpcEndpointStrategy: Auto`` and none given, every route table the Vpc created. The
    default strategy is ``Legacy``: nothing is filled in (awsx only warns)."""
    if spec.get("routeTableIds") is not None:
        return list(spec["routeTableIds"])
    gateway = (spec.get("vpcEndpointType") or "gateway").lower() == "gateway"
    if vpc.get("vpcEndpointStrategy", "Legacy") == "Auto" and gateway:
        return [t for tables in awsx_route_tables(vpc, zones).values() for t in tables]
    return []


def awsx_nat_gateways(vpc: dict[str, Any], zones: int) -> int:
    """How many NAT gateways awsx creates (vpc.ts ``shouldCreateNatGateway``; strategy default ``OnePerAz``)."""
    strategy = (vpc.get("natGateways") or {}).get("strategy", "OnePerAz").lower()
    return {"none": 0, "single": 1, "oneperaz": zones}[strategy]


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_s3_gateway_endpoint_routes_every_private_subnet(environment: str) -> None:
    built = build("aws", {}, environment=environment, outputs="unknown")
    vpc = built.inputs(VPC, "mlp-vpc")
    (s3,) = vpc["vpcEndpointSpecs"]
    assert s3["serviceName"] == "com.amazonaws.us-east-1.s3"
    assert s3["vpcEndpointType"] == "Gateway"
    routed = awsx_gateway_endpoint_route_tables(vpc, s3, 3)
    assert set(awsx_route_tables(vpc, 3)["private"]) <= set(routed)


@pytest.mark.parametrize(("environment", "gateways"), [("dev", 1), ("staging", 3), ("prod", 3)])
def test_dev_has_one_nat_gateway_and_the_others_one_per_zone(environment: str, gateways: int) -> None:
    vpc = build("aws", {}, environment=environment, outputs="unknown").inputs(VPC, "mlp-vpc")
    assert awsx_nat_gateways(vpc, 3) == gateways


def test_the_awsx_models_read_the_defaults_as_awsx_does() -> None:
    legacy = {"subnetSpecs": [{"type": "Private"}, {"type": "Public"}]}
    assert awsx_gateway_endpoint_route_tables(legacy, {"vpcEndpointType": "Gateway"}, 3) == []
    assert awsx_nat_gateways(legacy, 3) == 3


def test_ebs_csi_add_on_with_its_irsa_role() -> None:
    built = build("aws", {})
    addon = built.one(ADDON, "mlp-ebs-csi-addon")
    inputs = addon.plain_inputs()
    assert inputs["addonName"] == "aws-ebs-csi-driver"
    assert inputs["clusterName"] == "mlp-test"
    # the name comes from the cluster pulumi-eks created (its eksCluster output), not from a string known before
    eks = built.one("eks:index:Cluster").urn
    assert set(addon.property_dependencies["clusterName"]) == {
        eks,
        eks.replace("::mlp-eks", "$aws:eks/cluster:Cluster::mlp-eks-eksCluster"),
    }
    role = built.one(ROLE, "mlp-ebs-csi")
    assert inputs["serviceAccountRoleArn"].startswith("arn:aws:iam::123456789012:role/mlp-ebs-csi-")
    assert role.urn in addon.property_dependencies["serviceAccountRoleArn"]
    (statement,) = policy_json(role.plain_inputs()["assumeRolePolicy"])["Statement"]
    host = next(iter(statement["Condition"]["StringEquals"])).rsplit(":", 1)[0]
    assert statement["Condition"] == {
        "StringEquals": {
            f"{host}:sub": "system:serviceaccount:kube-system:ebs-csi-controller-sa",
            f"{host}:aud": "sts.amazonaws.com",
        }
    }
    (policy,) = [r for r in built.result.of_type(ATTACHMENT) if r.name == "mlp-ebs-csi-policy"]
    assert policy.plain_inputs()["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
    assert policy.urn in addon.depends_on
    assert built.one("eks:index:Cluster").urn in addon.depends_on
    assert built.one("eks:index:ManagedNodeGroup", "mlp-system").urn in addon.depends_on


def test_ebs_csi_add_on_cluster_name_is_known_after_deploy_in_a_plan() -> None:
    # like `pulumi preview` of a new stack: pulumi-eks's eksCluster output (and so its name) is not known yet
    addon = build("aws", {}, outputs="unknown").one(ADDON, "mlp-ebs-csi-addon")
    assert "clusterName" not in addon.plain_inputs()
    assert addon.wire_inputs()["clusterName"] == "(known after deploy)"


def test_ebs_csi_policy_arn_uses_the_partition() -> None:
    # the default m7i.xlarge is not offered in GovCloud (catalog); the partition is what is checked here
    built = build("aws", {"systemPool": {"instanceType": "m5.xlarge"}}, region="us-gov-west-1", outputs="unknown")
    (policy,) = [r for r in built.result.of_type(ATTACHMENT) if r.name == "mlp-ebs-csi-policy"]
    assert policy.plain_inputs()["policyArn"] == (
        "arn:aws-us-gov:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
    )
    # ours; pulumi-eks's own (modelled) attachment takes the partition from getPartition, unknown without aws:region
    ours = [r for r in built.result.of_type(ATTACHMENT) if not r.modelled]
    assert {r.plain_inputs()["policyArn"].split(":")[1] for r in ours} == {"aws-us-gov"}


def test_default_storage_class_is_encrypted_gp3_and_valid() -> None:
    built = build("aws", {})
    sc = built.one(STORAGE_CLASS)
    obj = sc.plain_inputs()
    kubernetes_validate.validate(obj, "1.34.0", strict=True)
    assert obj["metadata"] == {
        "name": "gp3",
        "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
    }
    assert obj["provisioner"] == "ebs.csi.aws.com"
    assert {k: v for k, v in obj["parameters"].items() if not k.startswith("tagSpecification")} == {
        "type": "gp3",
        "encrypted": "true",
    }
    assert obj["volumeBindingMode"] == "WaitForFirstConsumer"
    assert sc.provider_urn == built.one("pulumi:providers:kubernetes").urn
    assert built.one(ADDON, "mlp-ebs-csi-addon").urn in sc.depends_on
    defaults = [
        r
        for r in built.result.of_type(STORAGE_CLASS)
        if r.plain_inputs()["metadata"].get("annotations", {}).get("storageclass.kubernetes.io/is-default-class")
        == "true"
    ]
    assert defaults == [sc]


def ebs_csi_volume_tags(parameters: dict[str, str]) -> dict[str, str]:
    """The tags the EBS CSI driver puts on a volume it provisions from a StorageClass's ``parameters`` (kubernetes-
    sigs/aws-ebs-csi-driver at 429e202e: ``pkg/driver/controller.go`` collects the values of keys starting with
    ``tagSpecification``; ``pkg/util/template/template.go`` ``Evaluate`` splits each at its first ``=`` and runs the
    value through Go's text/template, here only checked to hold no action; ``validateExtraTags`` refuses its reserved
    keys; any other parameter key is ``Invalid parameter key``)."""
    known = {"type", "encrypted", "csi.storage.k8s.io/fstype", "iops", "throughput", "kmskeyid"}
    tags: dict[str, str] = {}
    for key, value in parameters.items():
        if key.startswith("tagSpecification"):
            tag, sep, text = value.partition("=")
            assert sep, f"the key-value pair doesn't contain a value (string: {value})"
            assert "{{" not in text, f"{value}: a template action"
            assert tag not in ("CSIVolumeName", "CSIVolumeSnapshotName", "ebs.csi.aws.com/cluster-name"), tag
            assert not tag.startswith(("kubernetes.io", "ebs.csi.aws.com/")), tag
            tags[tag] = text
        else:
            assert key.lower() in known, f"Invalid parameter key {key} for CreateVolume"
    return tags


def test_provisioned_volumes_carry_the_stack_tags() -> None:
    built = build("aws", {})
    params = built.inputs(STORAGE_CLASS)["parameters"]
    assert ebs_csi_volume_tags(params) == {**TAGS, "mlplatform.io/cluster": "mlp-test"}
    # the same tags as every AWS resource of the stack (the KMS key, for one)
    assert ebs_csi_volume_tags(params) == built.inputs("aws:kms/key:Key")["tags"]
    assert ebs_tag_parameters({"b": "2", "a": "x=y"}) == {"tagSpecification_1": "a=x=y", "tagSpecification_2": "b=2"}
    assert ebs_csi_volume_tags(ebs_tag_parameters({"a": "x=y"})) == {"a": "x=y"}


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("cost=center", "1", "the EBS CSI driver reads a volume tag as key=value: no = in the key"),
        ("team", "{{ .PVCName }}", "the EBS CSI driver expands {{ in volume tag values as a Go template: remove it"),
        ("kubernetes.io/cluster/x", "owned", "the EBS CSI driver reserves this tag key on volumes"),
        ("CSIVolumeName", "x", "the EBS CSI driver reserves this tag key on volumes"),
    ],
)
def test_tags_the_ebs_csi_driver_cannot_carry_are_refused(key: str, value: str, reason: str) -> None:
    with pytest.raises(SpecError) as info:
        build("aws", {}, tags={key: value})
    assert str(info.value).startswith(f"tags.{key}: {value} is not allowed; {reason}")


def test_karpenter_spot_pools_warn_about_the_service_linked_role() -> None:
    spot = build("aws", {"gpuPools": {"l4": {**L4["l4"], "spot": True}}}, outputs="unknown")
    assert spot.result.warnings == [SPOT_SLR_WARNING.format(pools="cluster.gpuPools.l4.spot")]
    assert "aws iam create-service-linked-role --aws-service-name spot.amazonaws.com" in spot.result.warnings[0]
    on_demand = build("aws", {"gpuPools": L4}, outputs="unknown")
    assert on_demand.result.warnings == []
    groups = build(
        "aws", {"gpuPools": {"l4": {**L4["l4"], "spot": True}}, "aws": {"gpuProvisioner": "node-groups"}},
        outputs="unknown",
    )  # fmt: skip
    # A managed node group's Auto Scaling group creates the Spot role itself: AWSServiceRoleForAutoScaling's policy
    # allows iam:CreateServiceLinkedRole for spot.amazonaws.com (AutoScalingServiceRolePolicy, EC2SpotManagement).
    assert groups.result.warnings == []
