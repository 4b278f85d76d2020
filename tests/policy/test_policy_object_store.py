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
