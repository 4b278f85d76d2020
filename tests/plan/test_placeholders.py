"""`mlplatform plan --placeholders`: documents built from outputs are rendered in full, with ARNs of the right shape.

The ARN formats are checked against parliament's copy of the AWS Service Authorization Reference
(``parliament/iam_definition.json``), the partitions against botocore's ``data/endpoints.json``.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from components.plan import aws, fakes
from components.plan.cli import main
from components.plan.engine import UNKNOWN_TEXT
from components.plan.project import load_project
from components.plan.report import StackPlan, plan_json
from support import ROOT, shipped_plan

PROJECT = load_project(ROOT)


@cache
def _plan(placeholders: bool) -> StackPlan:
    return shipped_plan("aws-dev", placeholders)


def _inputs(plan: StackPlan, type_: str, name: str) -> dict[str, Any]:
    return plan.result.one(type_, name).wire_inputs()


def test_irsa_trust_policy_is_rendered_with_placeholders_and_unknown_without() -> None:
    """The model's IRSA role trusts the cluster's OIDC provider: the document names it only after deploy."""
    assert _inputs(_plan(False), "aws:iam/role:Role", "resnet50-storage-role")["assumeRolePolicy"] == UNKNOWN_TEXT
    trust = json.loads(_inputs(_plan(True), "aws:iam/role:Role", "resnet50-storage-role")["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    provider = statement["Principal"]["Federated"]
    assert re.fullmatch(
        r"arn:aws:iam::123456789012:oidc-provider/oidc\.eks\.us-east-1\.amazonaws\.com/id/[0-9A-F]{32}", provider
    )
    issuer = provider.split("oidc-provider/", 1)[1]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"]["StringEquals"] == {
        f"{issuer}:aud": "sts.amazonaws.com",
        f"{issuer}:sub": "system:serviceaccount:models:resnet50-sa",
    }
    # the EKS component's own OIDC provider output is the same placeholder the trust policy names
    eks = _plan(True).result.one("eks:index:Cluster")
    assert fakes.FAKES["eks:index:Cluster"](eks.name, {})["oidcProviderArn"] == provider


def test_karpenter_controller_policy_is_rendered_with_placeholders_and_unknown_without() -> None:
    name = "mlplatform-karpenter-controller-policy"
    assert _inputs(_plan(False), "aws:iam/rolePolicy:RolePolicy", name)["policy"] == UNKNOWN_TEXT
    policy = json.loads(_inputs(_plan(True), "aws:iam/rolePolicy:RolePolicy", name)["policy"])
    resources = {r for s in policy["Statement"] for r in _as_list(s.get("Resource"))}
    # the interruption queue and the node role, which only a deploy knows, are named in full
    assert "arn:aws:sqs:us-east-1:123456789012:mlp-aws-dev-karpenter" in resources
    assert any(re.fullmatch(r"arn:aws:iam::123456789012:role/mlp-aws-dev-[a-z-]*node", r) for r in resources)
    assert UNKNOWN_TEXT not in json.dumps(policy)
    # the policy is attached to the role by its id, which for an IAM role is its (auto-)name
    role = _inputs(_plan(True), "aws:iam/rolePolicy:RolePolicy", name)["role"]
    assert re.fullmatch(r"mlplatform-karpenter-controller-[0-9a-f]{7}", role)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _strings(value: Any) -> Iterator[str]:
    """Every string in ``value``, including those inside JSON documents held as strings."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value
        if value[:1] in "{[":
            with contextlib.suppress(ValueError):
                yield from _strings(json.loads(value))


@cache
def _arn_formats() -> dict[str, list[re.Pattern[str]]]:
    """ARN formats by service prefix, from parliament's copy of the AWS Service Authorization Reference."""
    import parliament

    path = Path(parliament.__file__).parent / "iam_definition.json"
    formats: dict[str, list[re.Pattern[str]]] = {}
    for service in json.loads(path.read_text()):
        for resource in service["resources"]:
            arn = resource["arn"]
            parts = [re.escape(p) for p in re.split(r"\$\{[A-Za-z]+\}", arn)]
            # a variable is one segment, except the last one: names with a path, OIDC provider host/id
            pattern = "[^:/]+".join(parts[:-1]) + (".+" if len(parts) > 1 else "") + parts[-1]
            formats.setdefault(arn.split(":")[2], []).append(re.compile("^" + pattern + "$"))
    return formats


def test_every_placeholder_arn_has_its_services_arn_format_and_the_stacks_partition() -> None:
    """A placeholder ARN of the wrong shape would make the ARN checks of the policies pass or fail for nothing."""
    placeholder_arns = {
        s
        for r in _plan(True).result.resources
        for s in _strings(r.wire_inputs())
        if s.startswith("arn:") and aws.ACCOUNT in s
    }
    assert len(placeholder_arns) >= 4, placeholder_arns
    for arn in placeholder_arns:
        partition, service = arn.split(":")[1:3]
        assert partition == "aws"
        assert any(p.match(arn) for p in _arn_formats()[service]), f"{arn} matches no {service} ARN format"
    # and every ARN the placeholder table can make, in a gov region too
    shape = aws.use_region("us-gov-west-1")
    try:
        inputs = {"name": "n", "clusterName": "c", "addonName": "vpc-cni", "principalArn": shape.arn("iam", "role/r")}
        for type_, fake in fakes.FAKES.items():
            if not type_.startswith("aws:"):
                continue
            for value in _strings(fake("res", inputs)):
                if value.startswith("arn:"):
                    assert value.startswith("arn:aws-us-gov:"), value
                    assert any(p.match(value) for p in _arn_formats()[value.split(":")[2]]), (type_, value)
    finally:
        aws.use_region(None)


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-east-1", "aws"), ("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn"), ("us-iso-east-1", "aws-iso")],
)
def test_partition_of_a_region(region: str, partition: str) -> None:
    assert aws.AwsShape.for_region(region).partition == partition


def test_partition_table_is_botocores() -> None:
    import botocore

    data = json.loads((Path(botocore.__file__).parent / "data" / "endpoints.json").read_text())
    upstream = {p["partition"]: (p["regionRegex"], p["dnsSuffix"]) for p in data["partitions"]}
    assert {name: (pattern, suffix) for name, pattern, suffix in aws.PARTITIONS} == upstream


def test_json_and_view_say_the_plan_used_placeholders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = plan_json("mlplatform", [_plan(True)])
    assert doc["placeholders"] is True
    marker = doc["stacks"][0]["placeholders"]
    assert marker["awsAccount"] == "123456789012" and marker["awsPartition"] == "aws"
    plain = plan_json("mlplatform", [_plan(False)])
    assert plain["placeholders"] is False and plain["stacks"][0]["placeholders"] is None

    out = tmp_path / "plan.json"
    monkeypatch.setenv("COLUMNS", "200")
    argv = ["plan", "--project", str(ROOT), "--stack", "aws-dev", "--placeholders", "--no-tree", "--json", str(out)]
    assert main(argv) in (0, 1)  # 1: a mandatory policy failed; the plan is written either way
    assert "values known only after deploy are placeholders" in " ".join(capsys.readouterr().out.split())
    assert json.loads(out.read_text())["stacks"][0]["placeholders"]["awsAccount"] == "123456789012"
