"""Every IAM document of the AWS stacks, rendered in full (fake outputs) and checked as a class: ARN grammar per
service, Karpenter's controller policy against Karpenter's own v1.14 template, and the parliament linter.

The checks are in ``aws_iam_checks.py``; the first tests show that each check catches what it is for.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from aws_iam_checks import (
    SERIOUS,
    Document,
    arn_problems,
    document_arn_problems,
    documents,
    lint,
    missing_actions,
    normalized,
    standalone_arns,
    statements,
    trust_problems,
    upstream_karpenter_policies,
)

from components.clusters import _karpenter
from components.clusters._aws_iam import (
    PARTITIONS,
    managed_policy_arn,
    partition_of,
    s3_read_policy,
)
from components.errors import SpecError
from components.plan.engine import PlanResult
from support import ROOT, plan_config, shared_cache, upstream_dir

KARPENTER_TEMPLATE = "reference/karpenter-v1.14-cloudformation.yaml"
ACCOUNT = "123456789012"


def _stack_config(stack: str) -> dict[str, Any]:
    raw = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {k.removeprefix("mlplatform:"): v for k, v in raw.items()}


def _node_groups_config() -> dict[str, Any]:
    cfg = _stack_config("aws-dev")
    cfg["cluster"] = {**cfg["cluster"], "aws": {**cfg["cluster"]["aws"], "gpuProvisioner": "node-groups"}}
    cfg["cluster"]["gpuPools"] = {
        "l4": {**cfg["cluster"]["gpuPools"]["l4"], "minNodes": 1},
        "a10g": {"accelerator": "nvidia-a10g", "gpusPerNode": 4, "maxNodes": 2},
    }
    return cfg


VARIANTS = {"aws-dev": lambda: _stack_config("aws-dev"), "aws-dev node-groups": _node_groups_config}
"""The shipped AWS stack and its node-groups variant (cluster-autoscaler instead of Karpenter)."""


@shared_cache
def _plan(variant: str) -> PlanResult:
    return plan_config(VARIANTS[variant](), stack="aws-dev", outputs="fake")


def _controller_policy_text() -> str:
    reg = _plan("aws-dev").one("aws:iam/rolePolicy:RolePolicy", "mlplatform-karpenter-controller-policy")
    text: str = reg.plain_inputs()["policy"]
    return text


# --- the checks catch what they are for ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("arn:aws:ec2:us-east-1::image/*", True),
        ("arn:aws:ec2:us-east-1:*:instance/*", True),
        ("arn:aws:ec2:us-east-1:*::image/*", False),  # the old Karpenter policy: one field too many
        ("arn:aws:ec2:us-east-1:*:*:instance/*", False),
        ("arn:aws:ec2:us-east-1:*:image/*", False),  # images have an empty account field
        ("arn:aws:iam::123456789012:role/x", True),
        ("arn:aws:iam:us-east-1:123456789012:role/x", False),  # IAM has no region
        ("arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy", True),
        ("arn:aws:iam::aws:role/x", False),  # only AWS managed policies have the account "aws"
        ("arn:aws:s3:::bucket/prefix*", True),
        ("arn:aws:s3:::bucket", True),
        ("arn:aws:s3:us-east-1::bucket", False),  # buckets have no region
        ("arn:aws:s3::123456789012:bucket", False),  # nor account
        ("arn:aws:sqs:us-east-1:123456789012:queue", True),
        ("arn:aws:ssm:us-east-1::parameter/aws/service/*", True),
        ("arn:aws:ssm:us-east-1::parameter/mine", False),
        ("arn:aws-us-gov:eks:us-gov-west-1:123456789012:cluster/c", True),
        ("arn:aws-moon:eks:us-east-1:123456789012:cluster/c", False),
        ("arn:aws-us-gov:ec2:us-east-1:*:instance/*", False),  # us-east-1 is in partition aws
        ("arn:aws:ec2:us-gov-west-1:*:instance/*", False),
        ("arn:aws-us-gov:ec2:*:*:instance/*", True),
        ("arn:aws-us-gov:iam::123456789012:role/x", True),  # no region: nothing to compare
        ("arn:aws:eks:us-east-1:123456789012", False),
    ],
)
def test_arn_grammar(value: str, ok: bool) -> None:
    assert (arn_problems(value) == []) is ok, arn_problems(value)


def _old_karpenter_policy() -> str:
    """The controller policy as it was before the fix (commit a106f3b), for the checks to fail on."""
    import subprocess

    source = subprocess.run(
        ["git", "show", "a106f3b:components/clusters/_karpenter.py"], capture_output=True, text=True, cwd=ROOT
    ).stdout
    if not source:
        pytest.skip("git history not available")
    namespace: dict[str, Any] = {}
    exec(compile(source, "old_karpenter", "exec"), namespace)  # our own file at an older commit
    policy: str = namespace["controller_policy"](
        "mlp", "us-east-1", f"arn:aws:sqs:us-east-1:{ACCOUNT}:q", f"arn:aws:iam::{ACCOUNT}:role/n"
    )
    return policy


def test_the_checks_fail_the_old_karpenter_policy() -> None:
    old = Document("old", _old_karpenter_policy())
    problems = document_arn_problems([old])
    assert any("arn:aws:ec2:us-east-1:*::image/*" in p for p in problems)
    assert any("arn:aws:ec2:us-east-1:*:*:instance/*" in p for p in problems)
    upstream = upstream_karpenter_policies(upstream_dir() / KARPENTER_TEMPLATE, _upstream_values("n", "q", "mlp"))
    assert {"ec2:DescribeInstanceStatus", "arc-zonal-shift:GetManagedResource"} <= missing_actions(old.body, upstream)
    assert _serious_findings(old) != []


# --- the shipped stack and its variant ------------------------------------------------------------------------------

ACCEPTED_FINDINGS = {
    ("AllowScopedEC2InstanceAccessActions", "RESOURCE_MISMATCH"),
    ("AllowScopedEC2LaunchTemplateAccessActions", "RESOURCE_MISMATCH"),
    ("AllowScopedEC2InstanceActionsWithTags", "RESOURCE_MISMATCH"),
    ("AllowSSMReadActions", "RESOURCE_MISMATCH"),
}
"""parliament findings accepted, by statement Sid, and why:

- The three EC2 statements: ec2:RunInstances and ec2:CreateFleet touch many resource types (image, subnet, launch
  template, instance, volume, ...); Karpenter's template grants them in three statements, each scoped to some types
  with its own conditions (the untagged ones by region, the launch template by tag, the created ones by request
  tag). parliament checks each statement alone and reports the types that statement leaves out. The three together
  cover what the actions need; they are upstream's statements verbatim (see the statement-by-statement test).
- AllowSSMReadActions: AWS's public parameters have an empty account field (``::parameter/aws/service/*``, as the
  template writes it); parliament's format has ``${Account}``."""


def _serious_findings(doc: Document) -> list[str]:
    """parliament's serious findings, statement by statement (so each has its Sid), minus the accepted ones."""
    found = []
    for i, st in enumerate(statements(doc.body)):
        one = json.dumps({"Version": doc.body.get("Version", "2012-10-17"), "Statement": [st]})
        for f in lint(one):
            if f.severity in SERIOUS and (st.get("Sid"), f.issue) not in ACCEPTED_FINDINGS:
                found.append(f"{doc.where} statement {st.get('Sid', i)}: {f.issue} ({f.severity}) {f.detail}")
    return found


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_iam_document_has_valid_arns(variant: str) -> None:
    result = _plan(variant)
    docs = documents(result)
    assert len(docs) >= 6, [d.where for d in docs]  # trust policies, controller policies, the model's S3 read
    arns = standalone_arns(result)
    assert any(where.endswith("policyArn") for where, _ in arns)
    assert document_arn_problems(docs, arns) == []


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_parliament_reports_nothing_serious(variant: str) -> None:
    linted = [doc for doc in documents(_plan(variant)) if not doc.trust]
    assert {d.where for d in linted} >= {"resnet50-storage-read.policy"}
    assert [p for doc in linted for p in _serious_findings(doc)] == []


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_trust_policy_trusts_ec2_or_exactly_one_service_account(variant: str) -> None:
    trusts = [doc for doc in documents(_plan(variant)) if doc.trust]
    assert len(trusts) >= 4
    assert {d.where: trust_problems(d.body) for d in trusts} == {d.where: [] for d in trusts}


def test_trust_check_catches_a_wide_trust() -> None:
    host = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
    provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}"
    wide = {"Statement": [{"Effect": "Allow", "Principal": {"Federated": provider},
                           "Action": "sts:AssumeRoleWithWebIdentity",
                           "Condition": {"StringLike": {f"{host}:sub": "system:serviceaccount:*"}}}]}  # fmt: skip
    assert trust_problems(wide) == [f"statement 0: conditions must be StringEquals on {host}:sub and :aud only"]
    anyone = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    assert trust_problems(anyone) == ["statement 0: trusts {'AWS': '*'} for sts:AssumeRole"]


def test_the_accepted_findings_are_still_found() -> None:
    """If parliament stops reporting an accepted finding, the acceptance list must shrink."""
    policy = Document("karpenter", _controller_policy_text())
    seen = set()
    for st in statements(policy.body):
        for f in lint(json.dumps({"Version": "2012-10-17", "Statement": [st]})):
            seen.add((st.get("Sid"), f.issue))
    assert seen >= ACCEPTED_FINDINGS


# --- Karpenter's controller policy against Karpenter's template -----------------------------------------------------


def _upstream_values(
    node_role_arn: str, queue_arn: str, cluster: str, partition: str = "aws", region: str = "us-east-1"
) -> dict[str, str]:
    return {
        "AWS::Partition": partition,
        "AWS::Region": region,
        "AWS::AccountId": ACCOUNT,
        "ClusterName": cluster,
        "KarpenterNodeRole.Arn": node_role_arn,
        "KarpenterInterruptionQueue.Arn": queue_arn,
    }


def test_karpenter_policy_is_upstreams_statement_by_statement() -> None:
    ours = json.loads(_controller_policy_text())
    node_role = "arn:aws:iam::123456789012:role/mlp-aws-dev-karpenter-node"
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:mlp-aws-dev-karpenter"
    values = _upstream_values(node_role, queue, "mlp-aws-dev")
    upstream = upstream_karpenter_policies(upstream_dir() / KARPENTER_TEMPLATE, values)
    assert missing_actions(ours, upstream) == set()
    by_sid = {st["Sid"]: normalized(st) for st in statements(ours)}
    for doc in upstream:
        for st in statements(doc):
            assert by_sid.get(st["Sid"]) == normalized(st), st["Sid"]
    assert len(by_sid) == sum(len(statements(d)) for d in upstream)  # nothing beyond upstream's


def test_karpenter_policy_in_govcloud_uses_its_partition() -> None:
    node_role = f"arn:aws-us-gov:iam::{ACCOUNT}:role/n"
    queue = f"arn:aws-us-gov:sqs:us-gov-west-1:{ACCOUNT}:q"
    ours = json.loads(_karpenter.controller_policy("c", "us-gov-west-1", queue, node_role, partition="aws-us-gov"))
    upstream = upstream_karpenter_policies(
        upstream_dir() / KARPENTER_TEMPLATE, _upstream_values(node_role, queue, "c", "aws-us-gov", "us-gov-west-1")
    )
    assert [normalized(s) for s in statements(ours)] == [normalized(s) for d in upstream for s in statements(d)]
    doc = Document("gov", json.dumps(ours))
    assert document_arn_problems([doc]) == []
    assert {a.split(":")[1] for st in statements(ours) for a in json.dumps(st).split('"') if a.startswith("arn:")} == {
        "aws-us-gov"
    }


def test_the_checks_catch_a_region_outside_the_arns_partition() -> None:
    """What the GovCloud test used to render (partition aws-us-gov, region us-east-1) is caught: every regional ARN
    names a region of another partition."""
    node_role = f"arn:aws-us-gov:iam::{ACCOUNT}:role/n"
    queue = f"arn:aws-us-gov:sqs:us-east-1:{ACCOUNT}:q"
    mixed = _karpenter.controller_policy("c", "us-east-1", queue, node_role, partition="aws-us-gov")
    problems = document_arn_problems([Document("mixed", mixed)])
    assert f"mixed: {queue}: region 'us-east-1' is in partition 'aws', not 'aws-us-gov'" in problems
    assert any("arn:aws-us-gov:ec2:us-east-1:*:instance/*" in p for p in problems)


def test_inline_policy_fits_the_iam_quota() -> None:
    """A role's inline policies may total 10,240 characters, whitespace not counted (IAM User Guide, "IAM and AWS
    STS quotas", role policy size)."""
    text = _controller_policy_text()
    assert len("".join(text.split())) <= 10_240


# --- partitions -------------------------------------------------------------------------------------------------------


def test_partition_table_is_botocores() -> None:
    import botocore

    endpoints = json.loads((Path(botocore.__file__).parent / "data" / "endpoints.json").read_text())
    theirs = [(p["partition"], p["regionRegex"], p["dnsSuffix"]) for p in endpoints["partitions"]]
    assert [(p.name, p.region_regex, p.dns_suffix) for p in PARTITIONS] == theirs
    for p in endpoints["partitions"]:  # every region botocore lists falls in its own partition by our rule
        for region in p["regions"]:
            if p["partition"] in ("aws", "aws-us-gov"):
                assert partition_of(region).name == p["partition"], region


def test_partition_of_a_region() -> None:
    assert partition_of("us-east-1").name == "aws"
    assert partition_of("us-gov-west-1").name == "aws-us-gov"
    with pytest.raises(SpecError) as info:
        partition_of("cn-north-1")
    assert str(info.value) == (
        "region: cn-north-1 is not allowed; cn-north-1 is in AWS partition aws-cn (DNS suffix amazonaws.com.cn); "
        "EKS stacks here support the aws and aws-us-gov partitions only"
    )
    cni = managed_policy_arn("aws-us-gov", "AmazonEKS_CNI_Policy")
    assert cni == "arn:aws-us-gov:iam::aws:policy/AmazonEKS_CNI_Policy"
    s3 = json.loads(s3_read_policy("b", "p/", "aws-us-gov"))
    assert [st["Resource"] for st in s3["Statement"]] == [
        ["arn:aws-us-gov:s3:::b/p", "arn:aws-us-gov:s3:::b/p/*"],
        "arn:aws-us-gov:s3:::b",
    ]


def test_a_china_region_is_refused_before_anything_is_registered() -> None:
    cfg = _stack_config("aws-dev")
    cfg["region"] = "cn-north-1"
    with pytest.raises(Exception) as info:  # the config error type is private to infra
        plan_config(cfg, stack="aws-dev")
    # the stack file's name in front: raised by the config check (check_cluster), before the program registers
    assert str(info.value) == (
        "stacks/Pulumi.aws-dev.yaml: mlplatform:region: cn-north-1 is not allowed; cn-north-1 is in AWS partition "
        "aws-cn (DNS suffix amazonaws.com.cn); EKS stacks here support the aws and aws-us-gov partitions only"
    )
