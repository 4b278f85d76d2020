"""Each cloud's request-log store: the bucket and its retention rule, and a grant that only creates objects under the
log prefix (the semantics of the grant modelled, not only its text).

Sources: components/clusters/eks.py, gke.py, aks.py ``request_log_store`` (S3 lifecycle ``Expiration.Days`` +
``Filter.Prefix``; GCS lifecycle ``Delete`` with ``age`` and ``matchesPrefix``; Azure lifecycle management
``baseBlob.delete.daysAfterModificationGreaterThan`` with ``prefixMatch``), and the IAM evaluation rules named
there.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pytest
from cluster_support import REGIONS, TAGS, Parent, spec

from components.clusters import create_cluster
from components.clusters._aws_iam import s3_write_policy
from components.clusters.aks import BLOB_WRITE_DATA_ACTIONS
from components.clusters.base import LogStore, LogStoreRequest
from components.errors import SpecError
from components.plan.engine import PlanResult
from support import run

NS, SA = "request-logs", "vector"


@dataclass
class Stored:
    result: PlanResult
    store: LogStore | None = None
    resolved: dict[str, Any] = field(default_factory=dict)

    def inputs(self, type_: str, name: str | None = None) -> dict[str, Any]:
        return self.result.one(type_, name).plain_inputs()


def build(cloud: str, request: LogStoreRequest, **cluster: Any) -> Stored:
    out = Stored(result=None)  # type: ignore[arg-type]

    def program() -> None:
        c = create_cluster(
            "mlp",
            cloud=cloud,
            region=REGIONS.get(cloud),
            spec=spec(cloud, **cluster),
            environment="dev",
            tags=dict(TAGS),
            cluster_name="mlp-test",
        )
        store = c.request_log_store("logs", NS, SA, request, Parent("logs-parent"))
        out.store = store
        for key, value in store.sink.items():
            pulumi.Output.from_input(value).apply(lambda v, k=key: out.resolved.update({k: v}))
        pulumi.Output.from_input(store.location).apply(lambda v: out.resolved.update({"location": v}))

    out.result = run(program)
    return out


# ------------------------------------------------------------------------------------------------ IAM semantics


def _iam_match(pattern: str, value: str) -> bool:
    """IAM's wildcard match for actions (case-insensitive) and resources: ``*`` any run, ``?`` one character."""
    return fnmatch.fnmatchcase(value, pattern)


def s3_allows(doc: Mapping[str, Any], action: str, resource: str) -> bool:
    """Whether the identity policy ``doc`` allows ``action`` on ``resource`` (no Deny, no conditions in ours)."""
    for st in doc["Statement"]:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        allowed = st["Effect"] == "Allow" and "Condition" not in st
        acts = any(_iam_match(a.lower(), action.lower()) for a in actions)
        if allowed and acts and any(_iam_match(r, resource) for r in resources):
            return True
    return False


def test_s3_write_policy_creates_objects_under_the_prefix_only() -> None:
    doc = json.loads(s3_write_policy("logs-bucket", "request-logs"))
    key = "arn:aws:s3:::logs-bucket/request-logs/models/resnet50/v1/date=2026-12-01/1733011200-abc.log.gz"
    assert s3_allows(doc, "s3:PutObject", key)
    # a sibling prefix, another bucket, the bucket itself: no
    assert not s3_allows(doc, "s3:PutObject", "arn:aws:s3:::logs-bucket/request-logs-other/x")
    assert not s3_allows(doc, "s3:PutObject", "arn:aws:s3:::logs-bucket/request-logsx")
    assert not s3_allows(doc, "s3:PutObject", "arn:aws:s3:::other-bucket/request-logs/x")
    # write only: no read, list, delete, ACL or tagging, anywhere
    for action in ("s3:GetObject", "s3:ListBucket", "s3:DeleteObject", "s3:PutObjectAcl", "s3:PutObjectTagging"):
        assert not s3_allows(doc, action, key), action
        assert not s3_allows(doc, action, "arn:aws:s3:::logs-bucket"), action
    assert json.loads(s3_write_policy("b", "a/b/", "aws-us-gov"))["Statement"][0]["Resource"] == (
        "arn:aws-us-gov:s3:::b/a/b/*"
    )


def test_eks_creates_a_private_encrypted_bucket_that_expires_the_logs() -> None:
    built = build("aws", LogStoreRequest(prefix="request-logs", retention_days=14))
    bucket = built.inputs("aws:s3/bucket:Bucket", "logs-bucket")
    assert bucket["bucketPrefix"].startswith("mlp-test-request-logs") and len(bucket["bucketPrefix"]) <= 37
    access = built.inputs("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert [
        access[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    ] == [True] * 4
    sse = built.inputs("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert sse["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    # fix17n: S3 accepts plain HTTP; the bucket's policy denies every request to it and its objects sent without TLS
    tls = built.result.one("aws:s3/bucketPolicy:BucketPolicy", "logs-bucket-tls-only")
    assert tls.plain_inputs()["policy"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{built.resolved['bucket']}", f"arn:aws:s3:::{built.resolved['bucket']}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    public_access = built.result.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert public_access.urn in tls.depends_on  # never applied together (OperationAborted)
    lifecycle = built.inputs("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert lifecycle["rules"] == [
        {
            "id": "request-log-retention",
            "status": "Enabled",
            "filter": {"prefix": "request-logs/"},
            "expiration": {"days": 14},
        }
    ]
    doc = json.loads(built.inputs("aws:iam/rolePolicy:RolePolicy", "logs-write")["policy"])
    bucket_name = built.resolved["bucket"]
    assert doc == json.loads(s3_write_policy(bucket_name, "request-logs"))
    assert built.store is not None and built.store.retention_days == 14
    assert built.resolved["type"] == "aws_s3" and built.resolved["region"] == "us-east-1"
    assert built.resolved["location"] == f"s3://{bucket_name}/request-logs/"
    trust = json.loads(built.inputs("aws:iam/role:Role", "logs-role")["assumeRolePolicy"])
    equals = trust["Statement"][0]["Condition"]["StringEquals"]
    assert [v for k, v in equals.items() if k.endswith(":sub")] == [f"system:serviceaccount:{NS}:{SA}"]


def test_eks_with_a_named_bucket_creates_no_bucket_and_sets_no_retention() -> None:
    built = build("aws", LogStoreRequest(prefix="logs/inference", retention_days=30, bucket="team-bucket"))
    types = {r.type for r in built.result.resources}
    assert not any(t.startswith("aws:s3/") for t in types)
    doc = json.loads(built.inputs("aws:iam/rolePolicy:RolePolicy", "logs-write")["policy"])
    assert s3_allows(doc, "s3:PutObject", "arn:aws:s3:::team-bucket/logs/inference/ns/m/v/x")
    assert not s3_allows(doc, "s3:PutObject", "arn:aws:s3:::team-bucket/logs/models/x")  # the models' folders
    assert built.store is not None and built.store.retention_days is None


def gcs_allows(grant: Mapping[str, Any], bucket: str, obj: str) -> bool:
    """Whether a conditional bucket grant admits creating ``obj`` in ``bucket``: IAM evaluates the condition on the
    object's resource name ``projects/_/buckets/<bucket>/objects/<name>``."""
    m = re.fullmatch(r'resource\.name\.startsWith\("([^"]*)"\)', grant["condition"]["expression"])
    assert m is not None, grant["condition"]
    return grant["bucket"] == bucket and f"projects/_/buckets/{bucket}/objects/{obj}".startswith(m[1])


def test_gke_creates_a_bucket_that_deletes_the_logs_and_an_object_creator_on_the_prefix() -> None:
    built = build("gcp", LogStoreRequest(prefix="request-logs", retention_days=7))
    bucket = built.inputs("gcp:storage/bucket:Bucket", "logs-bucket")
    assert bucket["uniformBucketLevelAccess"] is True and bucket["publicAccessPrevention"] == "enforced"
    assert bucket["location"] == "US-CENTRAL1"
    assert bucket["lifecycleRules"] == [
        {"action": {"type": "Delete"}, "condition": {"age": 7, "matchesPrefixes": ["request-logs/"]}}
    ]
    grant = built.inputs("gcp:storage/bucketIAMMember:BucketIAMMember", "logs-write")
    assert grant["role"] == "roles/storage.objectCreator"
    name = bucket["name"]
    assert gcs_allows(grant, name, "request-logs/models/bert/v-1/date=2026-12-01/1.log.gz")
    assert not gcs_allows(grant, name, "request-logs-other/x")
    assert not gcs_allows(grant, name, "models/bert/model.onnx")
    assert not gcs_allows(grant, "another-bucket", "request-logs/x")
    wi = built.inputs("gcp:serviceaccount/iAMMember:IAMMember", "logs-workload-identity")
    assert wi["role"] == "roles/iam.workloadIdentityUser"
    assert wi["member"].endswith(f".svc.id.goog[{NS}/{SA}]")
    assert built.resolved["type"] == "gcp_cloud_storage" and "credentials_path" not in built.resolved


def test_aks_creates_an_account_with_a_retention_policy_and_a_blob_write_role_on_the_container() -> None:
    built = build("azure", LogStoreRequest(prefix="request-logs", retention_days=90), azure={"resourceGroup": "rg"})
    account = built.inputs("azure-native:storage:StorageAccount")
    assert account["allowBlobPublicAccess"] is False and account["allowSharedKeyAccess"] is False
    assert account["minimumTlsVersion"] == "TLS1_2" and account["enableHttpsTrafficOnly"] is True
    assert re.fullmatch(r"[a-z0-9]{3,24}", account["accountName"]), account["accountName"]
    policy = built.inputs("azure-native:storage:ManagementPolicy")["policy"]
    assert policy["rules"] == [
        {
            "name": "request-log-retention",
            "type": "Lifecycle",
            "enabled": True,
            "definition": {
                "actions": {"baseBlob": {"delete": {"daysAfterModificationGreaterThan": 90}}},
                "filters": {"blobTypes": ["blockBlob"], "prefixMatch": ["request-logs/request-logs/"]},
            },
        }
    ]
    role = built.inputs("azure-native:authorization:RoleDefinition")
    assert role["permissions"] == [{"actions": [], "dataActions": list(BLOB_WRITE_DATA_ACTIONS)}]
    assignment = built.inputs("azure-native:authorization:RoleAssignment", "logs-write")
    assert assignment["scope"].endswith("/blobServices/default/containers/request-logs")
    fic = built.inputs("azure-native:managedidentity:FederatedIdentityCredential")
    assert fic["subject"] == f"system:serviceaccount:{NS}:{SA}"
    assert built.resolved["auth"] == {"azure_credential_kind": "workload_identity"}
    assert built.store is not None and built.store.pod_labels == {"azure.workload.identity/use": "true"}


@pytest.mark.parametrize(
    ("cloud", "cluster", "message"),
    [
        (
            "azure",
            {"azure": {"resourceGroup": "rg"}},
            "platform.requestLogs.bucket: team is not allowed; on azure the platform creates the log storage "
            "account and its container; remove bucket",
        ),
        (
            "existing",
            {"existing": {"context": "kind"}},
            "platform.requestLogs.bucket: team is not allowed; an existing cluster has no cloud identity to write to "
            "a bucket; remove bucket (the records are kept on the collector's volume)",
        ),
    ],
)
def test_a_named_bucket_where_none_can_be_written_is_one_line(
    cloud: str, cluster: dict[str, Any], message: str
) -> None:
    with pytest.raises(SpecError) as info:
        build(cloud, LogStoreRequest(prefix="p", retention_days=1, bucket="team"), **cluster)
    assert str(info.value) == message


def test_an_existing_cluster_keeps_the_logs_on_a_volume_without_retention() -> None:
    built = build("existing", LogStoreRequest(prefix="p", retention_days=30, volume_size="20Gi"), existing={})
    assert built.store is not None
    assert dict(built.store.sink) == {"type": "file"}
    assert built.store.retention_days is None and built.store.volume_size == "20Gi"
    assert [r for r in built.result.resources if not r.type.startswith(("mlplatform:", "test:", "pulumi:"))] == []


@pytest.mark.parametrize(("cloud", "kind", "key", "limit"), [
    ("aws", "aws:iam/role:Role", "description", 1000),
    ("gcp", "gcp:serviceaccount/account:Account", "description", 256),
])  # fmt: skip
def test_the_longest_prefix_stays_out_of_the_identity_descriptions(cloud: str, kind: str, key: str, limit: int) -> None:
    """Red team #17d P1: the prefix was embedded in the IAM role's description (1344 characters against CreateRole's
    1000: AWS IAM API reference, CreateRole ``Description``); the cluster modules describe the identity without user
    text, and the grants name the prefix. A Google service account's description is at most 256 UTF-8 bytes (IAM API
    v1 ``ServiceAccount.description``)."""
    from components.platform.requestlog_spec import MAX_PREFIX

    prefix = "/".join(["a" * 63] * 12)[:MAX_PREFIX].rstrip("/")
    built = build(cloud, LogStoreRequest(prefix=prefix, retention_days=7))
    described = [r.inputs[key] for r in built.result.resources if r.type == kind and key in r.inputs]
    assert described and all(prefix not in d and len(d) <= limit for d in described), described
