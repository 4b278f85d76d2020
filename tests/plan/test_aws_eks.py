"""pulumi-eks's remote components in the plan: its own validation fails the plan, its children are recorded.

The behaviour modelled is pulumi/pulumi-eks v4.3.0 ``nodejs/eks`` (``components/plan/aws_eks.py`` cites each file).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pulumi_aws as aws
import pulumi_eks as eks
import pytest

from components.plan import aws_eks
from components.plan.cli import main
from components.plan.engine import UNKNOWN_TEXT, PlanResult, Registration, run_function
from components.plan.report import plan_json

API_REFUSAL = (
    "eks:index:Cluster c: pulumi-eks refuses these inputs: The 'instanceRoles' property does not support non-empty "
    "values when 'authenticationMode' is set to 'API'. (pulumi/pulumi-eks v4.3.0 "
    "nodejs/eks/cluster/authenticationMode.ts)"
)


def _role() -> aws.iam.Role:
    return aws.iam.Role("node", name="node", assume_role_policy="{}")


def test_instance_roles_with_api_authentication_fails_the_plan_with_pulumi_eks_own_message() -> None:
    """Regression (issue 11, defect 1): eks.py passed instance_roles with authentication_mode API; under mocks the
    remote component was one registration and nothing refused it, while pulumi-eks refuses it in a preview."""

    def program() -> None:
        role = _role()
        eks.Cluster(
            "c",
            authentication_mode=eks.AuthenticationMode.API,
            instance_roles=[role],
            skip_default_node_group=True,
        )

    for outputs in ("unknown", "fake"):
        with pytest.raises(aws_eks.ComponentRefused) as refused:
            run_function(program, outputs=outputs)  # type: ignore[arg-type]
        assert str(refused.value) == API_REFUSAL


def test_the_fix_access_entries_plans_and_records_the_ec2_linux_entry() -> None:
    def program() -> None:
        role = _role()
        eks.Cluster(
            "c",
            authentication_mode=eks.AuthenticationMode.API,
            access_entries={"nodes": eks.AccessEntryArgs(principal_arn=role.arn, type=eks.AccessEntryType.EC2_LINUX)},
            skip_default_node_group=True,
        )

    result = run_function(program, outputs="fake")
    component = result.one("eks:index:Cluster")
    entry = result.one("aws:eks/accessEntry:AccessEntry", "c-nodes")
    assert entry.parent == component.urn
    assert entry.plain_inputs() == {
        "clusterName": entry.plain_inputs()["clusterName"],
        "principalArn": "arn:aws:iam::123456789012:role/node",
        "type": "EC2_LINUX",
    }
    cluster = result.one("aws:eks/cluster:Cluster", "c-eksCluster")
    assert entry.plain_inputs()["clusterName"] == cluster.outputs.get("name", entry.plain_inputs()["clusterName"])
    assert cluster.urn in entry.depends_on


@pytest.mark.parametrize(
    ("mode", "args", "message"),
    [
        ("API", {"role_mappings": [eks.RoleMappingArgs(groups=["g"], role_arn="arn:aws:iam::1:role/r", username="u")]},
         "The 'roleMappings' property does not support non-empty values when 'authenticationMode' is set to 'API'."),
        ("CONFIG_MAP", {"access_entries": {}},
         "The 'accessEntries' property is not supported when 'authenticationMode' is set to 'CONFIG_MAP'."),
        (None, {"access_entries": {}}, "The 'accessEntries' property is not supported when 'authenticationMode' is "
         "not set."),
        ("API", {"endpoint_public_access": False, "public_access_cidrs": ["203.0.113.0/24"]},
         "`publicAccessCidrs` can only be set when `endpointPublicAccess` is true"),
        ("API", {"subnet_ids": ["subnet-1"], "private_subnet_ids": ["subnet-2"]},
         "subnetIds, and the use of publicSubnetIds and/or privateSubnetIds are mutually exclusive. Choose a single "
         "approach."),
    ],
)  # fmt: skip
def test_other_refusals_of_pulumi_eks(mode: str | None, args: dict[str, object], message: str) -> None:
    def program() -> None:
        eks.Cluster("c", authentication_mode=mode, skip_default_node_group=True, **args)  # type: ignore[arg-type]

    with pytest.raises(aws_eks.ComponentRefused, match=r"^eks:index:Cluster c: pulumi-eks refuses these inputs: ") as e:
        run_function(program)
    assert e.value.reason == message


def test_empty_instance_roles_with_api_is_accepted() -> None:
    """validateAuthenticationMode refuses non-empty values only (authenticationMode.test.ts upstream: instanceRoles=[]
    with API does not throw)."""

    def program() -> None:
        eks.Cluster(
            "c", authentication_mode=eks.AuthenticationMode.API, instance_roles=[], skip_default_node_group=True
        )

    run_function(program)


def _cluster_program() -> None:
    role = _role()
    cluster = eks.Cluster(
        "c",
        name="demo",
        version="1.34",
        vpc_id="vpc-1",
        private_subnet_ids=["subnet-a", "subnet-b"],
        authentication_mode=eks.AuthenticationMode.API,
        access_entries={"nodes": eks.AccessEntryArgs(principal_arn=role.arn, type=eks.AccessEntryType.EC2_LINUX)},
        skip_default_node_group=True,
        skip_default_security_groups=True,
        create_oidc_provider=True,
        endpoint_private_access=True,
        endpoint_public_access=False,
        enabled_cluster_log_types=["api", "audit"],
        tags={"team": "ml"},
    )
    eks.ManagedNodeGroup(
        "system",
        cluster=cluster,
        node_role=role,
        instance_types=["m7i.xlarge"],
        scaling_config=aws.eks.NodeGroupScalingConfigArgs(min_size=2, desired_size=2, max_size=3),
        ignore_scaling_changes=True,
    )


def test_children_of_cluster_and_managed_node_group_with_their_inputs() -> None:
    result = run_function(_cluster_program)
    component = result.one("eks:index:Cluster")
    children = {(r.type, r.name) for r in result.children(component)}
    assert children == {
        ("eks:index:ServiceRole", "c-eksRole"),
        ("aws:eks/cluster:Cluster", "c-eksCluster"),
        ("aws:eks/addon:Addon", "c-kube-proxy"),
        ("aws:eks/accessEntry:AccessEntry", "c-nodes"),
        ("eks:index:VpcCniAddon", "c-vpc-cni"),
        ("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "c-oidcProvider"),
    }
    # no coredns add-on: pulumi-eks adds it only with a default node group, Fargate or Auto Mode
    assert not [r for r in result.of_type("aws:eks/addon:Addon") if r.name == "c-coredns"]
    cluster = result.one("aws:eks/cluster:Cluster")
    assert cluster.wire_inputs() == {
        "name": "demo",
        "roleArn": UNKNOWN_TEXT,
        "bootstrapSelfManagedAddons": True,
        "vpcConfig": {
            "subnetIds": ["subnet-a", "subnet-b"],
            "endpointPrivateAccess": True,
            "endpointPublicAccess": False,
        },
        "version": "1.34",
        "enabledClusterLogTypes": ["api", "audit"],
        "tags": {"Name": "c-eksCluster", "team": "ml"},
        "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True},
    }
    role = result.one("aws:iam/role:Role", "c-eksRole-role")
    assert json.loads(role.plain_inputs()["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": ["eks.amazonaws.com"]
    }
    (attachment,) = result.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    # getPartition: unknown to a preview-like plan without a region, the region's partition with one
    assert attachment.wire_inputs()["policyArn"] == UNKNOWN_TEXT
    gov = run_function(_cluster_program, config={"aws:region": "us-gov-west-1"})
    (attachment,) = gov.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.plain_inputs()["policyArn"] == "arn:aws-us-gov:iam::aws:policy/AmazonEKSClusterPolicy"
    assert role.urn in cluster.depends_on and attachment.urn in cluster.depends_on

    mng = result.one("eks:index:ManagedNodeGroup")
    (group,) = result.children(mng)
    assert (group.type, group.name) == ("aws:eks/nodeGroup:NodeGroup", "system")
    assert group.wire_inputs()["scalingConfig"] == {"desiredSize": 2, "minSize": 2, "maxSize": 3}
    assert group.wire_inputs()["subnetIds"] == ["subnet-a", "subnet-b"]  # the cluster's private subnets
    assert group.wire_inputs()["clusterName"] == "demo"
    assert group.wire_inputs()["version"] == "1.34"  # no launch template: the cluster's version
    assert group.ignore_changes == ["scalingConfig.desiredSize"]
    assert all(r.modelled == aws_eks.SOURCE for r in result.children(component))


def test_placeholders_render_the_childrens_computed_inputs() -> None:
    result = run_function(_cluster_program, outputs="fake")
    cluster = result.one("aws:eks/cluster:Cluster")
    role_arn = cluster.plain_inputs()["roleArn"]
    assert role_arn.startswith("arn:aws:iam::123456789012:role/c-eksRole-role-")
    group = result.one("aws:eks/nodeGroup:NodeGroup")
    assert group.plain_inputs()["nodeRoleArn"] == "arn:aws:iam::123456789012:role/node"
    oidc = result.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc.plain_inputs()["url"].startswith("https://oidc.eks.us-east-1.amazonaws.com/id/")


def test_config_map_mode_refuses_a_node_group_whose_role_is_not_an_instance_role() -> None:
    def program() -> None:
        mapped, other = _role(), aws.iam.Role("other", name="other", assume_role_policy="{}")
        cluster = eks.Cluster(
            "c",
            authentication_mode=eks.AuthenticationMode.CONFIG_MAP,
            instance_roles=[mapped],
            skip_default_node_group=True,
        )
        eks.ManagedNodeGroup("ng", cluster=cluster, node_role=other)

    with pytest.raises(aws_eks.ComponentRefused) as e:
        run_function(program, outputs="fake")
    assert e.value.reason == (
        "nodeRole: A managed node group cannot be created without first setting its role in the cluster's instanceRoles"
    )


def test_what_the_model_does_not_cover_is_said(tmp_path: Path) -> None:
    def program() -> None:
        eks.Cluster("c", authentication_mode=eks.AuthenticationMode.API, skip_default_node_group=True)

    result: PlanResult = run_function(program)
    assert any("vpc-cni add-on's configurationValues" in n for n in result.model_notes)
    assert any("default node security group" in n for n in result.model_notes)


PROGRAM = """
import pulumi_aws as aws
import pulumi_eks as eks

role = aws.iam.Role("node", name="node", assume_role_policy="{}")
eks.Cluster("c", authentication_mode=eks.AuthenticationMode.API, instance_roles=[role], skip_default_node_group=True)
"""


def test_cli_prints_one_line_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: tiny\nruntime: python\nmain: prog/\nstackConfigDir: stacks\n")
    (tmp_path / "prog").mkdir()
    (tmp_path / "prog" / "__main__.py").write_text(textwrap.dedent(PROGRAM))
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text("config: {}\n")
    assert main(["plan", "--project", str(tmp_path), "--no-tree"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == API_REFUSAL and len(err.strip().splitlines()) == 1


def test_json_marks_modelled_children() -> None:
    from components.plan.report import StackPlan

    result = run_function(_cluster_program)
    doc = plan_json("p", [StackPlan(stack="test", cloud="aws", result=result)])
    resources = {r["name"]: r for r in doc["stacks"][0]["resources"]}
    assert resources["c-eksCluster"]["modelledFrom"] == aws_eks.SOURCE
    assert resources["c-eksCluster"]["parent"] == resources["c"]["urn"]
    assert "modelledFrom" not in resources["c"]
    assert doc["stacks"][0]["modelNotes"] == result.model_notes


def test_aws_dev_plan_shows_pulumi_eks_children() -> None:
    """The shipped aws-dev stack: pulumi-eks's aws:eks/cluster:Cluster and the system node group's NodeGroup are in
    the plan, under their components, with the inputs pulumi-eks gives them.

    Needs eks.py to stop passing instanceRoles with authenticationMode API (issue 11 defect 1): until then this plan
    fails with pulumi-eks's message (test_instance_roles_with_api_authentication_fails_the_plan_...)."""
    from support import shipped_plan

    plan = shipped_plan("aws-dev")
    component = plan.result.one("eks:index:Cluster")
    cluster = plan.result.one("aws:eks/cluster:Cluster")
    assert cluster.parent == component.urn and cluster.modelled == aws_eks.SOURCE
    inputs = cluster.wire_inputs()
    assert inputs["name"] == "mlp-aws-dev"
    assert inputs["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True}
    assert inputs["vpcConfig"]["endpointPrivateAccess"] is True
    assert inputs["encryptionConfig"] == UNKNOWN_TEXT  # the KMS key's ARN is known after deploy
    assert set(inputs["enabledClusterLogTypes"]) == {"api", "audit", "authenticator", "controllerManager", "scheduler"}
    types = {r.type for r in _descendants(plan.result, component.urn)}
    assert {"aws:eks/addon:Addon", "aws:iam/role:Role"} <= types
    # the OIDC provider is EksCluster's own, tagged (pulumi-eks's createOidcProvider gives its provider no tags)
    oidc = plan.result.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc.modelled is None and oidc.parent == component.parent and oidc.wire_inputs()["tags"]
    group = plan.result.one("aws:eks/nodeGroup:NodeGroup")
    assert group.parent == plan.result.one("eks:index:ManagedNodeGroup", "mlplatform-system").urn
    assert group.wire_inputs()["instanceTypes"] == ["m7i.xlarge"]


def _descendants(result: PlanResult, urn: str) -> list[Registration]:
    found = [r for r in result.resources if r.parent == urn]
    return found + [d for r in found for d in _descendants(result, r.urn)]


def test_policies_read_the_modelled_children() -> None:
    """The secrets-encryption rule flags pulumi-eks's aws:eks/cluster:Cluster too (its encryptionConfig)."""
    from policy.rules import evaluate

    def program() -> None:
        eks.Cluster("c", authentication_mode=eks.AuthenticationMode.API, skip_default_node_group=True)

    result = run_function(program)
    failed = {p["urn"] for p in evaluate(result, {}) if p["policy"] == "secrets-encryption" and not p["passed"]}
    assert failed == {result.one("eks:index:Cluster").urn, result.one("aws:eks/cluster:Cluster").urn}
