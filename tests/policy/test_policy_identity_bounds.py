"""Boundary cases of the identity rules (issue #17 items 3 and 4): S3 grants read only, stop at a ``/`` boundary and
attach no account-wide managed policy; the IRSA trust check sees every spelling IAM accepts for the action."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policy.rules import Resource, run_rules

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
PROVIDER = f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"


def _fails(rule: str, *resources: Resource) -> list[str]:
    return [e["message"] for e in run_rules(list(resources)) if e["policy"] == rule and not e["passed"]]


def _policy(*statements: dict[str, Any]) -> Resource:
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **s} for s in statements]})
    return Resource(ROLE_POLICY, "read", "urn:read", {"policy": doc, "role": "r"})


GET = {"Action": "s3:GetObject", "Resource": ["arn:aws:s3:::models/resnet50/v1", "arn:aws:s3:::models/resnet50/v1/*"]}
LIST = {
    "Action": "s3:ListBucket",
    "Resource": "arn:aws:s3:::models",
    "Condition": {"StringLike": {"s3:prefix": ["resnet50/v1", "resnet50/v1/*"]}},
}


@pytest.mark.parametrize(
    ("statement", "fragment"),
    [
        (GET, None),
        (LIST, None),
        ({**GET, "Action": ["s3:GetObject", "s3:GetObjectVersion"]}, None),
        ({**GET, "Action": "S3:getobject"}, None),  # IAM action names are case-insensitive
        ({**GET, "Action": ["s3:GetObject", "s3:PutObject"]}, "grants s3:PutObject: a model reads"),
        ({**GET, "Action": "s3:DeleteObject"}, "grants s3:DeleteObject"),
        ({**GET, "Action": "S3:PUTOBJECT"}, "grants S3:PUTOBJECT"),
        ({**GET, "Action": "s3:GetObjectAcl"}, "grants s3:GetObjectAcl"),
        ({**GET, "Resource": "arn:aws:s3:::models/resnet50/v1*"}, "no / boundary"),
        ({**GET, "Resource": "arn:aws:s3:::models/resnet50/v?/*"}, "no / boundary"),
        ({**GET, "Resource": "arn:aws:s3:::models//*"}, "no / boundary"),
        ({**LIST, "Condition": {"StringLike": {"s3:prefix": ["resnet50/v1*"]}}}, "end a wildcard prefix with /*"),
        ({"NotAction": "iam:*", "Resource": "*"}, "uses NotAction"),
    ],
)
def test_s3_grants_read_one_prefix_only(statement: dict[str, Any], fragment: str | None) -> None:
    found = _fails("storage-read-least-privilege", _policy(statement))
    if fragment is None:
        assert found == []
    else:
        assert any(fragment in f for f in found), found


@pytest.mark.parametrize(
    ("arn", "bad"),
    [
        ("arn:aws:iam::aws:policy/AdministratorAccess", True),
        ("arn:aws:iam::aws:policy/PowerUserAccess", True),
        ("arn:aws:iam::aws:policy/ReadOnlyAccess", True),
        ("arn:aws-us-gov:iam::aws:policy/AmazonS3FullAccess", True),
        ("arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy", False),
        ("arn:aws:iam::123456789012:policy/AdministratorAccess", False),  # a customer policy of that name: its doc
    ],
)
def test_managed_policies_on_the_role_and_attachments(arn: str, bad: bool) -> None:
    role = Resource(ROLE, "m-role", "urn:role", {"managedPolicyArns": [arn], "assumeRolePolicy": "{}"})
    attach = Resource(ATTACH, "m-attach", "urn:attach", {"policyArn": arn, "role": "m-role"})
    for res in (role, attach):
        found = _fails("storage-read-least-privilege", res)
        assert bool(found) is bad, (res.type, found)
        assert all("grants every bucket of the account" in f for f in found)


def _trust(action: Any) -> Resource:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER},
                "Action": action,
                "Condition": {"StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"}},  # no sub
            }
        ],
    }
    return Resource(ROLE, "m-role", "urn:role", {"assumeRolePolicy": json.dumps(doc)})


@pytest.mark.parametrize(
    "action",
    [
        "sts:AssumeRoleWithWebIdentity",
        "STS:assumerolewithwebidentity",
        "sts:AssumeRoleWith*",
        "sts:Assume*",
        "sts:AssumeRoleWith?ebIdentity",
        "*",
        ["sts:TagSession", "sts:assumeRoleWithWebIdentity"],
    ],
)
def test_irsa_trust_without_sub_fails_whatever_the_action_spelling(action: Any) -> None:
    found = _fails("workload-identity-trust", _trust(action))
    assert any("has no StringEquals" in f and ":sub" in f for f in found), found


@pytest.mark.parametrize("action", ["sts:AssumeRole", "sts:TagSession", "sts:AssumeRoleWithSAML"])
def test_other_sts_actions_are_not_web_identity_trust(action: str) -> None:
    assert _fails("workload-identity-trust", _trust(action)) == []


@pytest.mark.parametrize(
    ("typ", "props", "fails"),
    [
        (
            "gcp:projects/iAMMember:IAMMember",
            {
                "project": "p",
                "role": "roles/iam.workloadIdentityUser",
                "member": "serviceAccount:p.svc.id.goog[models/m-sa]",
            },
            True,
        ),
        (
            "gcp:projects/iAMBinding:IAMBinding",
            {
                "project": "p",
                "role": "roles/iam.workloadIdentityUser",
                "members": ["serviceAccount:p.svc.id.goog[models/m-sa]"],
            },
            True,
        ),
        (
            "gcp:projects/iAMMember:IAMMember",
            {"project": "p", "role": "roles/logging.logWriter", "member": "serviceAccount:n@p.iam.gserviceaccount.com"},
            False,
        ),
    ],
)
def test_project_level_workload_identity_user_fails(typ: str, props: dict[str, Any], fails: bool) -> None:
    found = _fails("workload-identity-trust", Resource(typ, "wi", "urn:wi", props))
    assert bool(found) is fails, found
    assert all("on the whole project" in f for f in found)
