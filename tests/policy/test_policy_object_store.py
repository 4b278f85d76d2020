"""``object-store-private`` (rev17c c04, c05, c08): every object store the plan creates refuses anonymous access and
account-wide keys. Real plans that create one (the coverage stacks on AWS and GCP, azure-staging with request logs),
each mutated the way a one-line slip in components/clusters/<cloud>.py would weaken its store."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import yaml

from policy.rules import Resource, StackSettings, resources_from_plan
from support import ROOT, cover_plan, plan_config, rule_entries, shared_cache

RULE = "object-store-private"


coverage = cover_plan
"""A cover stack's plan (tests/golden_stacks) as the rules see it (tests/support.py)."""


@shared_cache
def azure_logging() -> tuple[tuple[Resource, ...], StackSettings]:
    raw = yaml.safe_load((ROOT / "stacks" / "Pulumi.azure-staging.yaml").read_text())["config"]
    cfg = {k.removeprefix("mlplatform:"): v for k, v in raw.items()}
    cfg["platform"] = {**cfg.get("platform", {}), "requestLogs": {"retentionDays": 14}}
    result = plan_config(cfg, stack="azure-staging")
    return tuple(resources_from_plan(result)), StackSettings.from_config({f"mlplatform:{k}": v for k, v in cfg.items()})


PLANS: dict[str, Callable[[], tuple[tuple[Resource, ...], StackSettings]]] = {
    "aws": lambda: coverage("cover-aws-node-groups"),
    "gcp": lambda: coverage("cover-gcp-standard"),
    "azure": azure_logging,
}


def entry(resources: list[Resource] | tuple[Resource, ...], settings: StackSettings) -> dict[str, Any]:
    return next(e for e in rule_entries(resources, settings) if e["policy"] == RULE)


def mutated(base: tuple[Resource, ...], type_: str, change: Callable[[dict[str, Any]], None]) -> list[Resource]:
    out, hit = [], 0
    for r in base:
        if r.type == type_:
            props = copy.deepcopy(dict(r.props))
            change(props)
            r = replace(r, props=props)
            hit += 1
        out.append(r)
    assert hit, f"no {type_}: the plan's shape moved"
    return out


@pytest.mark.parametrize("cloud", sorted(PLANS))
def test_the_plans_stores_pass(cloud: str) -> None:
    resources, settings = PLANS[cloud]()
    e = entry(resources, settings)
    assert e["passed"], e["message"]
    assert e["enforcement"] == "mandatory"


GCS = "gcp:storage/bucket:Bucket"
ACCOUNT = "azure-native:storage:StorageAccount"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value

    return change


@pytest.mark.parametrize(
    ("cloud", "type_", "key", "value", "says"),
    [
        # c05: gke.py public_access_prevention="inherited"
        ("gcp", GCS, "publicAccessPrevention", "inherited", "publicAccessPrevention is 'inherited', not 'enforced'"),
        ("gcp", GCS, "publicAccessPrevention", None, "publicAccessPrevention is None, not 'enforced'"),
        ("gcp", GCS, "uniformBucketLevelAccess", False, "uniformBucketLevelAccess is False, not true"),
        ("gcp", GCS, "uniformBucketLevelAccess", None, "uniformBucketLevelAccess is None, not true"),
        # c08: aks.py allow_shared_key_access=True
        ("azure", ACCOUNT, "allowSharedKeyAccess", True, "allowSharedKeyAccess is True, not False"),
        ("azure", ACCOUNT, "allowSharedKeyAccess", None, "allowSharedKeyAccess is unset"),
        ("azure", ACCOUNT, "allowBlobPublicAccess", True, "allowBlobPublicAccess is True, not False"),
        ("azure", ACCOUNT, "minimumTlsVersion", "TLS1_0", "minimumTlsVersion is 'TLS1_0', not 'TLS1_2'"),
        # c04: eks.py restrict_public_buckets=False
        ("aws", PAB, "restrictPublicBuckets", False, "restrictPublicBuckets not true"),
        ("aws", PAB, "blockPublicAcls", None, "blockPublicAcls not true"),
    ],
)
def test_a_weakened_store_fails(cloud: str, type_: str, key: str, value: Any, says: str) -> None:
    resources, settings = PLANS[cloud]()
    e = entry(mutated(resources, type_, _set(key, value)), settings)
    assert not e["passed"]
    assert says in e["message"], e["message"]


def test_an_s3_bucket_without_its_public_access_block_fails() -> None:
    resources, settings = PLANS["aws"]()
    e = entry([r for r in resources if r.type != PAB], settings)
    assert not e["passed"]
    assert "S3 bucket mlplatform-request-logs-bucket has no BucketPublicAccessBlock" in e["message"], e["message"]


def test_a_public_access_block_on_another_bucket_does_not_cover_it() -> None:
    resources, settings = PLANS["aws"]()
    moved = [
        replace(r, depends_on=(), props={**r.props, "bucket": "someone-elses-bucket"}) if r.type == PAB else r
        for r in resources
    ]
    e = entry(moved, settings)
    assert not e["passed"]
    assert "has no BucketPublicAccessBlock" in e["message"], e["message"]


# ------------------------------------------------------------------------------------------------ S3 transport (fix17n)
# S3 accepts plain HTTP (docs.aws.amazon.com/AmazonS3/latest/userguide/UsingEncryptionInTransit.html); the platform's
# request-log bucket carries the bucket policy AWS gives for HTTPS only (components/clusters/_aws_iam.py
# s3_tls_only_policy, sources there) and the rule demands it of every S3 bucket the plan creates, as it demands
# enableHttpsTrafficOnly of an Azure storage account.

BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
TLS = {"Bool": {"aws:SecureTransport": "false"}}


def _statement(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def edit(props: dict[str, Any]) -> None:
        change(props["policy"]["Statement"][0])

    return edit


def _tls_entry(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    resources, settings = PLANS["aws"]()
    return entry(mutated(resources, BUCKET_POLICY, _statement(change)), settings)


def test_the_request_log_bucket_denies_plain_http() -> None:
    """The rendered statement, field for field (the plan's map: the rule reads it before the ARN is known)."""
    resources, _ = PLANS["aws"]()
    (policy,) = [r for r in resources if r.type == BUCKET_POLICY]
    bucket = next(r for r in resources if r.type == "aws:s3/bucket:Bucket")
    assert bucket.urn in policy.depends_on
    name = policy.props["bucket"]
    assert policy.props["policy"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                "Condition": TLS,
            }
        ],
    }


def test_an_s3_bucket_without_its_tls_policy_fails() -> None:
    resources, settings = PLANS["aws"]()
    e = entry([r for r in resources if r.type != BUCKET_POLICY], settings)
    assert not e["passed"]
    assert (
        "S3 bucket mlplatform-request-logs-bucket has no bucket policy denying requests not sent over TLS"
        in e["message"]
    ), e["message"]


def test_a_tls_policy_on_another_bucket_does_not_cover_it() -> None:
    resources, settings = PLANS["aws"]()
    moved = [
        replace(r, depends_on=(), props={**r.props, "bucket": "someone-elses-bucket"}) if r.type == BUCKET_POLICY else r
        for r in resources
    ]
    e = entry(moved, settings)
    assert not e["passed"]
    assert "has no bucket policy denying requests not sent over TLS" in e["message"], e["message"]


def _put(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(st: dict[str, Any]) -> None:
        st[key] = value

    return change


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("Condition", {"Bool": {"aws:SecureTransport": "true"}}, "Condition {'Bool': {'aws:SecureTransport': 'true'}}"),
        ("Condition", {"Bool": {"aws:SecureTransport": ["false", "true"]}}, "is not exactly"),
        ("Condition", {"Bool": {"aws:SecureTransport": "false", "aws:ViaAWSService": "false"}}, "is not exactly"),
        ("Condition", {"StringEquals": {"aws:SecureTransport": "false"}}, "is not exactly"),
        ("Condition", {}, "Condition {} is not exactly"),
        ("Effect", "Allow", "Effect is 'Allow', not 'Deny'"),
        ("Principal", {"AWS": "arn:aws:iam::123456789012:root"}, "not '*' (every caller)"),
        ("Action", "s3:GetObject", "Action 's3:GetObject' leaves the other S3 actions open to plain HTTP"),
        ("Action", ["s3:PutObject", "s3:GetObject"], "leaves the other S3 actions open"),
        ("Action", "s3:Get*", "leaves the other S3 actions open"),
        ("Resource", ["arn:aws:s3:::b/*"], "does not cover both the bucket and its objects"),
        ("Resource", "arn:aws:s3:::other/*", "does not cover both the bucket and its objects"),
    ],
)
def test_a_weakened_tls_statement_fails(key: str, value: Any, says: str) -> None:
    if key == "Resource" and value == ["arn:aws:s3:::b/*"]:
        resources, _ = PLANS["aws"]()
        name = next(r for r in resources if r.type == BUCKET_POLICY).props["bucket"]
        value = [f"arn:aws:s3:::{name}/*"]
    e = _tls_entry(_put(key, value))
    assert not e["passed"]
    assert "does not deny requests sent without TLS: Statement[0]: " in e["message"], e["message"]
    assert says in e["message"], e["message"]


def test_a_deny_on_the_bucket_but_not_its_objects_fails() -> None:
    def bucket_only(st: dict[str, Any]) -> None:
        st["Resource"] = st["Resource"][:1]

    e = _tls_entry(bucket_only)
    assert not e["passed"]
    assert "does not cover both the bucket and its objects" in e["message"], e["message"]


def test_not_action_and_not_principal_fail() -> None:
    def not_action(st: dict[str, Any]) -> None:
        st["NotAction"] = st.pop("Action")

    def not_principal(st: dict[str, Any]) -> None:
        st["NotPrincipal"] = {"AWS": "arn:aws:iam::123456789012:root"}
        del st["Principal"]

    for change, says in ((not_action, "NotAction: the actions it lists stay open"), (not_principal, "not '*'")):
        e = _tls_entry(change)
        assert not e["passed"], e
        assert says in e["message"], e["message"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("Condition", {"BoolIfExists": {"aws:SecureTransport": "false"}}),
        ("Condition", {"Bool": {"aws:SecureTransport": False}}),
        ("Condition", {"Bool": {"aws:SecureTransport": ["false"]}}),
        ("Action", "*"),
        ("Action", ["S3:*"]),
        ("Principal", {"AWS": "*"}),
        ("Resource", "*"),
        ("Resource", ["arn:aws:s3:::*"]),
    ],
)
def test_an_equivalent_tls_statement_passes(key: str, value: Any) -> None:
    e = _tls_entry(_put(key, value))
    assert e["passed"], e["message"]


def test_a_second_statement_that_denies_plain_http_is_enough() -> None:
    def prepend(props: dict[str, Any]) -> None:
        props["policy"]["Statement"].insert(
            0, {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:GetObject"}
        )

    resources, settings = PLANS["aws"]()
    e = entry(mutated(resources, BUCKET_POLICY, prepend), settings)
    assert e["passed"], e["message"]


def test_a_plain_plan_judges_the_statement_before_the_bucket_is_named() -> None:
    """In a plain plan (outputs unknown) the bucket's ARN is unknown: the rule still judges Effect, Principal, Action
    and Condition, says the resource is unchecked, and a slip in the condition fails it."""
    resources, settings = coverage("cover-aws-node-groups", "unknown")
    (policy,) = [r for r in resources if r.type == BUCKET_POLICY]
    assert policy.props["policy"]["Statement"][0]["Condition"] == TLS
    e = entry(resources, settings)
    assert e["passed"], e["message"]
    assert e["unchecked"] == (
        "not checked, known only after deploy: BucketPolicy mlplatform-request-logs-bucket-tls-only "
        "policy.Statement[0].Resource[0]; the CrossGuard pack checks them during pulumi up"
    )
    weak = mutated(resources, BUCKET_POLICY, _statement(_put("Condition", {"Bool": {"aws:SecureTransport": "true"}})))
    e = entry(weak, settings)
    assert not e["passed"]
    assert "does not deny requests sent without TLS" in e["message"], e["message"]
