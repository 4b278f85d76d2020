"""issue #17, the eleventh mutation round (rev17k, /work/wt/rev17k-report.md "Per miss"): the cloud-side slips no
policy caught.

- 03/04: EKS nodes outside the VPC's private subnets (a node group on the public subnets, a Karpenter subnet selector
  by the public-ELB tag): ``cluster-hardening`` (AWS share), from what awsx tags its subnets with.
- 05: a Karpenter statement that loses a condition of Karpenter's reference policy: ``aws-controller-grants-scoped``
  compares every statement with the reference (policy/clouds/karpenter_scoped.json, pinned here to the template).
- 07: an admin-class role on a resource the platform grants on: ``iam-least-privilege`` (GCP share), per resource type.
- 13: an Azure storage account taking plain HTTP: ``object-store-private`` (Azure share).
- 15: an Azure role assignment above a resource group, whatever the role: ``iam-least-privilege`` (Azure share).
- 17: the AKS tier not the stack's (or Free on prod): ``cluster-hardening`` (Azure share), from the saved plan's
  ``settings.controlPlaneTier``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import yaml

from components.errors import SpecError
from policy.clouds import aws as aws_policy
from policy.rules import UNKNOWN, Resource, StackSettings, run_rules
from support import mutated_resources, rules_named, rules_plan, upstream_dir

HARDENING, IAM, OBJECT_STORE = "cluster-hardening", "iam-least-privilege", "object-store-private"
CONTROLLERS = "aws-controller-grants-scoped"
MNG = "eks:index:ManagedNodeGroup"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"


def _failures(
    stack: str,
    rule: str,
    pick: Callable[[Resource], bool] | None = None,
    change: Callable[[dict[str, Any]], None] | None = None,
    outputs: Any = "fake",
    settings: Callable[[StackSettings], StackSettings] = lambda s: s,
) -> list[str]:
    resources, shipped = rules_plan(stack, outputs=outputs)
    mutated = list(resources) if pick is None else mutated_resources(resources, pick, change or (lambda p: None))
    return [e["message"] for e in run_rules(mutated, settings(shipped), rules=rules_named(rule)) if not e["passed"]]


def _entries(stack: str, rule: str, outputs: str) -> list[dict[str, Any]]:
    resources, shipped = rules_plan(stack, outputs=outputs)
    return run_rules(list(resources), shipped, rules=rules_named(rule))


# ---------------------------------------------------------------------------------------------- 03/04: private subnets


def _cluster_subnets(kind: str) -> list[str]:
    resources, _ = rules_plan("aws-dev")
    eks = next(r for r in resources if r.type == "eks:index:Cluster")
    return list(eks.props[f"{kind}SubnetIds"])


def _node_line(ids: list[str]) -> str:
    return (
        f"node group mlplatform-system uses subnets that are not the VPC's private ones: {', '.join(ids)} (the public "
        "subnets map a public IP on launch); give the EKS cluster's privateSubnetIds"
    )


@pytest.mark.parametrize("which", ["private", "public", "one-public", "foreign"])
def test_a_node_group_runs_only_on_the_vpcs_private_subnets(which: str) -> None:
    private, public = _cluster_subnets("private"), _cluster_subnets("public")
    given = {
        "private": private,  # aws-dev as rendered
        "public": public,  # rev17k-03
        "one-public": [*private[:2], public[2]],
        "foreign": [*private[:2], "subnet-0123456789abcdef0"],  # a subnet the cluster does not list
    }[which]
    wrong = [i for i in given if i not in private]
    failed = _failures("aws-dev", HARDENING, lambda r: r.type == MNG, lambda p: p.__setitem__("subnetIds", given))
    assert failed == ([] if not wrong else [_node_line(wrong)])


def test_the_plain_plan_judges_node_subnets_over_placeholders() -> None:
    """The plain plan cannot see the subnet ids (the VPC's outputs): the rule says so, and ``mlplatform plan`` then
    judges it over the placeholder rendering (policy/judged.py), where the slip above fails."""
    (entry,) = _entries("aws-dev", HARDENING, "unknown")
    assert entry["passed"]
    assert "ManagedNodeGroup mlplatform-system subnetIds" in entry["unchecked"]


def _selector(terms: list[dict[str, Any]]) -> Callable[[dict[str, Any]], None]:
    def change(p: dict[str, Any]) -> None:
        p["spec"]["subnetSelectorTerms"] = terms

    return change


def _term_line(i: int, tags: dict[str, str], kinds: str | None) -> str:
    where = f"EC2NodeClass gpu-l4 subnetSelectorTerms[{i}] tags {tags}"
    if kinds is None:
        return (
            f"{where} select none of the VPC's Private subnets: only another VPC's subnets, or none; select the "
            "Private subnets' tags"
        )
    return (
        f"{where} select the VPC's {kinds} subnets (awsx tags them so; public ones map a public IP on launch): select "
        "only the Private subnets' tags"
    )


@pytest.mark.parametrize(
    ("tags", "kinds"),
    [
        ({"karpenter.sh/discovery": "mlp-aws-dev"}, ""),  # aws-dev as rendered: the Private spec's own tag
        ({"kubernetes.io/role/internal-elb": "1"}, ""),
        ({"SubnetType": "Private"}, ""),  # awsx's own tag on every subnet of the spec
        ({"karpenter.sh/discovery": "*"}, ""),
        ({"kubernetes.io/role/elb": "1"}, "Public"),  # rev17k-04
        ({"SubnetType": "Public"}, "Public"),
        ({"environment": "dev"}, "Public"),  # the VPC's tags are on every subnet
        ({"Name": "*"}, "Public"),
        ({"Name": "mlplatform-vpc-private-*"}, ""),  # awsx's Name tag: <vpc>-<type>-<n>
        ({"karpenter.sh/discovery": "mlp-other"}, None),  # another cluster's VPC
    ],
    ids=["discovery", "internal-elb", "type-private", "any-discovery", "elb", "type-public", "shared-tag",
         "any-name", "private-name", "other-cluster"],
)  # fmt: skip
def test_karpenter_selects_only_private_subnets_by_tag(tags: dict[str, str], kinds: str | None) -> None:
    failed = _failures("aws-dev", HARDENING, lambda r: r.type == NODE_CLASS, _selector([{"tags": tags}]))
    assert failed == ([] if kinds == "" else [_term_line(0, tags, kinds)])


def test_karpenter_selects_only_private_subnets_by_id() -> None:
    private, public = _cluster_subnets("private"), _cluster_subnets("public")
    terms = [{"id": private[0]}, {"id": public[1]}]
    failed = _failures("aws-dev", HARDENING, lambda r: r.type == NODE_CLASS, _selector(terms))
    assert failed == [
        f"EC2NodeClass gpu-l4 subnetSelectorTerms[1] id {public[1]} is not one of the VPC's private subnets"
    ]


def test_awsx_subnet_tags_are_the_vpcs_and_the_specs() -> None:
    resources, _ = rules_plan("aws-dev")
    vpc = next(r for r in resources if r.type == "awsx:ec2:Vpc")
    shared = {"mlplatform.io/cluster": "mlp-aws-dev", "environment": "dev", "owner": "platform-team"}
    assert aws_policy.awsx_subnet_tags(vpc) == [
        ("Private", "mlplatform-vpc-private-1",
         {**shared, "kubernetes.io/role/internal-elb": "1", "karpenter.sh/discovery": "mlp-aws-dev",
          "SubnetType": "Private"}),
        ("Public", "mlplatform-vpc-public-1", {**shared, "kubernetes.io/role/elb": "1", "SubnetType": "Public"}),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------- 05: reference policy

CONTROLLER_POLICY = "mlplatform-karpenter-controller-policy"


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation's ``!Sub``/``!Ref``/``!GetAtt`` as their plain strings (the template's
    policies are JSON text)."""


for _tag in ("!Sub", "!Ref", "!GetAtt"):
    _CfnLoader.add_constructor(_tag, lambda loader, node: loader.construct_scalar(node))


def test_the_policys_reference_table_is_karpenters_template() -> None:
    """policy/clouds/karpenter_scoped.json holds, verbatim, every conditioned statement of the pinned template."""
    template = yaml.load((upstream_dir() / "reference/karpenter-v1.14-cloudformation.yaml").read_text(), _CfnLoader)
    conditioned = []
    for resource in template["Resources"].values():
        text = resource.get("Properties", {}).get("PolicyDocument")
        if resource["Type"] != "AWS::IAM::ManagedPolicy" or not isinstance(text, str):
            continue
        for st in json.loads(text)["Statement"]:
            if "Condition" in st:
                listed = {k: [v] if isinstance(v, str) else v for k, v in st.items() if k in ("Action", "Resource")}
                conditioned.append({"Sid": st["Sid"], **listed, "Condition": st["Condition"]})
    assert len(conditioned) == 11
    assert conditioned == aws_policy.KARPENTER_REFERENCE


def _edit(sid: str, edit: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(p: dict[str, Any]) -> None:
        doc = json.loads(p["policy"])
        (st,) = [s for s in doc["Statement"] if s.get("Sid") == sid]
        edit(st)
        p["policy"] = json.dumps(doc)

    return change


def _controller_failures(sid: str, edit: Callable[[dict[str, Any]], None]) -> list[str]:
    return _failures("aws-dev", CONTROLLERS, lambda r: r.name == CONTROLLER_POLICY, _edit(sid, edit))


def _drop(op: str, key: str) -> Callable[[dict[str, Any]], None]:
    return lambda st: st["Condition"][op].pop(key)


OWNED = "aws:ResourceTag/kubernetes.io/cluster/mlp-aws-dev"
PROFILE_ACTIONS = "iam:AddRoleToInstanceProfile, iam:DeleteInstanceProfile, iam:RemoveRoleFromInstanceProfile"
PROFILE_CONDITION = (
    '{"StringEquals": {"aws:ResourceTag/kubernetes.io/cluster/${ClusterName}": "owned", '
    '"aws:ResourceTag/topology.kubernetes.io/region": "${AWS::Region}"}, '
    '"StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"}}'
)


def _reference_line(i: int, sid: str, actions: str, covering: str, condition: str) -> str:
    return (
        f"{CONTROLLER_POLICY}: Statement[{i}] ({sid}) allows {actions} without the conditions Karpenter's reference "
        f"policy puts on them ({covering}: {condition}): it reaches resources the reference keeps out (other "
        "clusters' instances, profiles, templates or regions)"
    )


def test_the_shipped_karpenter_policy_keeps_every_reference_condition() -> None:
    assert _failures("aws-dev", CONTROLLERS) == []


@pytest.mark.parametrize(
    ("key", "op"),
    [(OWNED, "StringEquals"), ("aws:ResourceTag/topology.kubernetes.io/region", "StringEquals"),
     ("aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass", "StringLike")],
    ids=["owned", "region", "nodeclass"],
)  # fmt: skip
def test_instance_profile_actions_keep_every_reference_condition(key: str, op: str) -> None:
    """rev17k-05 drops the owned tag; the region and the ec2nodeclass tag are the reference's too."""
    failed = _controller_failures("AllowScopedInstanceProfileActions", _drop(op, key))
    sid = "AllowScopedInstanceProfileActions"
    assert failed == [_reference_line(9, sid, PROFILE_ACTIONS, sid, PROFILE_CONDITION)]


def test_a_condition_value_is_the_references() -> None:
    """The owned tag of another cluster, or a region wildcard, is not the reference's value."""

    def other(st: dict[str, Any]) -> None:
        st["Condition"]["StringEquals"].pop(OWNED)
        st["Condition"]["StringEquals"]["aws:ResourceTag/kubernetes.io/cluster/mlp-other"] = "owned"

    assert len(_controller_failures("AllowScopedInstanceProfileActions", other)) == 1
    region = _drop("StringEquals", "aws:RequestedRegion")
    failed = _controller_failures("AllowRegionalReadActions", region)
    assert len(failed) == 1 and "Statement[13] (AllowRegionalReadActions)" in failed[0]


def test_added_conditions_and_a_renamed_sid_do_not_matter() -> None:
    """Comparison by actions and resources, not by Sid: a renamed statement is judged the same; an extra condition
    only narrows."""

    def renamed(st: dict[str, Any]) -> None:
        st["Sid"] = "Renamed"
        st["Condition"]["StringEquals"]["aws:PrincipalAccount"] = "123456789012"

    assert _controller_failures("AllowScopedDeletion", renamed) == []

    def renamed_and_unowned(st: dict[str, Any]) -> None:
        st["Sid"] = "Renamed"
        st["Condition"]["StringEquals"].pop(OWNED)

    failed = _controller_failures("AllowScopedDeletion", renamed_and_unowned)
    assert any("(Renamed) allows ec2:DeleteLaunchTemplate, ec2:TerminateInstances without" in f for f in failed)


def test_a_policy_without_karpenters_actions_is_not_compared() -> None:
    doc = {"Statement": [{"Effect": "Allow", "Action": "ec2:DescribeImages", "Resource": "*"}]}
    assert aws_policy.reference_problems(doc, {"mlp-aws-dev"}) == []
    doc["Statement"].append({"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "*"})
    problems = aws_policy.reference_problems(doc, {"mlp-aws-dev"})
    assert [p.split(" without")[0] for p in problems] == [
        "Statement[0] (no Sid) allows ec2:DescribeImages",
        "Statement[1] (no Sid) allows ec2:TerminateInstances",
    ]


# ---------------------------------------------------------------------------------------------- 07: GCP resource roles

KMS_MEMBER = "mlplatform-secrets-key-gke"


@pytest.mark.parametrize(
    ("name", "role", "allowed"),
    [
        (KMS_MEMBER, "roles/cloudkms.cryptoKeyEncrypterDecrypter", None),  # gcp-prod as rendered
        (KMS_MEMBER, "roles/cloudkms.admin", "roles/cloudkms.cryptoKeyEncrypterDecrypter"),  # rev17k-07
        (KMS_MEMBER, "roles/cloudkms.cryptoOperator", "roles/cloudkms.cryptoKeyEncrypterDecrypter"),
        ("resnet-triton-storage-read", "roles/storage.objectViewer", None),
        ("resnet-triton-storage-read", "roles/storage.objectCreator", None),
        ("resnet-triton-storage-read", "roles/storage.objectAdmin",
         "roles/storage.objectViewer, roles/storage.objectCreator"),
        ("resnet-triton-workload-identity", "roles/iam.serviceAccountTokenCreator", "roles/iam.workloadIdentityUser"),
    ],
    ids=["kms-rendered", "kms-admin", "kms-operator", "bucket-viewer", "bucket-creator", "bucket-admin", "sa-token"],
)  # fmt: skip
@pytest.mark.parametrize("outputs", ["fake", "unknown"])
def test_a_resource_role_is_the_one_the_platform_grants_there(
    name: str, role: str, allowed: str | None, outputs: str
) -> None:
    failed = _failures("gcp-prod", IAM, lambda r: r.name == name, lambda p: p.__setitem__("role", role), outputs)
    resources, _ = rules_plan("gcp-prod")
    kind = next(r.type for r in resources if r.name == name).rsplit(":", 1)[-1]
    line = (
        f"{name} grants {role} on its resource ({kind}): the platform grants only {allowed} there; give the role the "
        "job needs"
    )
    assert failed == ([] if allowed is None else [line])


# ---------------------------------------------------------------------------------------------- 13: Azure HTTPS only

ACCOUNT = "azure-native:storage:StorageAccount"
RL_AZURE_ACCOUNT = "mlplatform-request-logs-account"


def _account(resources: Any) -> Resource:
    return next(r for r in resources if r.type == ACCOUNT)


@pytest.mark.parametrize(
    ("value", "line"),
    [(True, None), ("unset", None), (False, "enableHttpsTrafficOnly is False, not True")],
    ids=["https-only", "unset-default-true", "http"],
)
def test_every_azure_storage_account_is_https_only(value: Any, line: str | None) -> None:
    """azure-staging renders no storage account as shipped: one is added (the request-log account's inputs, as
    components/clusters/aks.py renders them with platform.requestLogs)."""
    resources, settings = rules_plan("azure-staging")
    template = next(r for r in resources if r.type == "azure-native:resources:ResourceGroup")
    props: dict[str, Any] = {
        "allowSharedKeyAccess": False, "allowBlobPublicAccess": False, "minimumTlsVersion": "TLS1_2",
        "enableHttpsTrafficOnly": value,
    }  # fmt: skip
    if value == "unset":
        props.pop("enableHttpsTrafficOnly")
    account = replace(template, type=ACCOUNT, name=RL_AZURE_ACCOUNT, urn=template.urn + "-account", props=props)
    entries = run_rules([*resources, account], settings, rules=rules_named(OBJECT_STORE))
    failed = [e["message"] for e in entries if not e["passed"]]
    assert failed == ([] if line is None else [f"storage account {RL_AZURE_ACCOUNT}: {line}"])


# ---------------------------------------------------------------------------------------------- 15: Azure scope

STORAGE_READ = "bert-onnx-storage-read"


@pytest.mark.parametrize(
    ("scope", "wide"),
    [
        ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mlp-staging-models", False),
        ("/subscriptions/00000000-0000-0000-0000-000000000000", True),  # rev17k-15
        ("/subscriptions/00000000-0000-0000-0000-000000000000/", True),
        ("/providers/Microsoft.Management/managementGroups/platform", True),
        ("/", True),
    ],
    ids=["resource-group", "subscription", "subscription-slash", "management-group", "root"],
)
def test_no_azure_role_assignment_above_a_resource_group(scope: str, wide: bool) -> None:
    failed = _failures(
        "azure-staging", IAM, lambda r: r.name == STORAGE_READ, lambda p: p.__setitem__("scope", scope), "fake"
    )
    line = (
        f"{STORAGE_READ} assigns role 2a2b9908-6ea1-4ae2-8e65-a410df84e7d1 at {scope!r} (a subscription, management "
        "group or the root): it reaches every resource group under it; the platform assigns at its resource group or "
        "below"
    )
    assert failed == ([line] if wide else [])


# ---------------------------------------------------------------------------------------------- 17: AKS tier

AKS = "azure-native:containerservice:ManagedCluster"


def _tier(value: str | None) -> Callable[[dict[str, Any]], None]:
    def change(p: dict[str, Any]) -> None:
        if value is None:
            p["sku"].pop("tier")
        else:
            p["sku"]["tier"] = value

    return change


def _asked(tier: str | None, env: str | None = None) -> Callable[[StackSettings], StackSettings]:
    def settings(s: StackSettings) -> StackSettings:
        facts = replace(s.facts, control_plane_tier=tier)
        return replace(s, facts=facts if env is None else replace(facts, environment=env))

    return settings


@pytest.mark.parametrize(
    ("rendered", "asked", "env", "lines"),
    [
        ("Standard", "standard", None, []),  # azure-staging as rendered
        ("Free", "standard", None, ["sku.tier is Free, the stack asks for standard"]),  # rev17k-17
        (None, "standard", None, ["sku.tier is Free, the stack asks for standard"]),  # unset is Free
        ("Free", "free", None, []),
        ("Premium", "standard", None, ["sku.tier is Premium, the stack asks for standard"]),
        ("Free", "free", "prod", ["on the Free tier on a prod stack"]),
        ("Standard", None, None, []),  # a plan saved before settings.controlPlaneTier: not judged
        ("Free", None, "prod", ["on the Free tier on a prod stack"]),
    ],
    ids=["rendered", "free", "unset", "free-asked", "premium", "free-prod", "not-known", "free-prod-not-known"],
)
def test_the_aks_tier_is_the_stacks(rendered: str | None, asked: str | None, env: str | None, lines: list[str]) -> None:
    failed = _failures(
        "azure-staging", HARDENING, lambda r: r.type == AKS, _tier(rendered), settings=_asked(asked, env)
    )
    assert len(failed) == len(lines)
    for got, want in zip(failed, lines, strict=True):
        assert got.startswith("AKS cluster mlplatform-aks ") and want in got


def test_the_shipped_settings_carry_the_aks_tier() -> None:
    _, settings = rules_plan("azure-staging")
    assert settings.facts.control_plane_tier == "standard"
    doc = settings.to_json()
    assert doc["controlPlaneTier"] == "standard"
    assert StackSettings.from_json(doc).facts.control_plane_tier == "standard"
    assert (
        StackSettings.from_json({k: v for k, v in doc.items() if k != "controlPlaneTier"}).facts.control_plane_tier
        is None
    )
    with pytest.raises(SpecError, match=r"settings\.controlPlaneTier"):
        StackSettings.from_json({**doc, "controlPlaneTier": "Gold"})
    for stack in ("aws-dev", "gcp-prod", "local"):
        assert rules_plan(stack)[1].facts.control_plane_tier is None


# ---------------------------------------------------------------------------------------------- provider functions

SERVICE_AGENT = "serviceAccount:service-123456789012@container-engine-robot.iam.gserviceaccount.com"


def test_a_provider_functions_answer_is_unknown_in_the_plain_plan() -> None:
    """rev17k's plan artefact: GKE's service agent is formatted from the project number (an invoke). The plain plan
    showed ``service-None@...``, a wrong principal; it now shows the value unknown, and the placeholder rendering
    gives the principal its shape."""
    plain, _ = rules_plan("gcp-prod", outputs="unknown")
    fake, _ = rules_plan("gcp-prod")
    assert next(r for r in plain if r.name == KMS_MEMBER).props["member"] is UNKNOWN
    assert next(r for r in fake if r.name == KMS_MEMBER).props["member"] == SERVICE_AGENT
    for stack in ("gcp-prod", "azure-staging", "aws-dev"):
        resources, _ = rules_plan(stack, outputs="unknown")
        formatted = [r.name for r in resources if any(n in json.dumps(r.props, default=str) for n in NONE_FORMATTED)]
        assert formatted == [], stack


NONE_FORMATTED = ("-None@", "/None/", '/None"')
"""How a None formatted into an id showed (``service-None@...``, ``/subscriptions/None/...``)."""


def test_azure_role_assignments_unknown_in_the_plain_plan_are_judged_over_placeholders() -> None:
    """The subscription is a provider function's answer: every role id and most scopes are unknown in the plain plan,
    so the Azure share of iam-least-privilege names them (``mlplatform plan`` then judges the placeholder rendering,
    where rev17k-15's subscription scope fails)."""
    (entry,) = _entries("azure-staging", IAM, "unknown")
    assert entry["passed"] and "role of mlplatform-control-plane-kms" in entry["unchecked"]
