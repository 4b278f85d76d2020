"""IAM documents for EKS: the partition of a region, ARNs, trust policies for IRSA and EC2, managed policy ARNs and
the read-only S3 policy of a model.

Pure functions returning JSON text, so tests can check them without running a program.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from components.errors import SpecError

STS_AUDIENCE = "sts.amazonaws.com"


@dataclass(frozen=True)
class Partition:
    """An AWS partition: its name (the second field of every ARN), the regions it holds and its DNS suffix."""

    name: str
    region_regex: str
    dns_suffix: str


PARTITIONS: tuple[Partition, ...] = (
    Partition("aws", r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$", "amazonaws.com"),
    Partition("aws-cn", r"^cn\-\w+\-\d+$", "amazonaws.com.cn"),
    Partition("aws-us-gov", r"^us\-gov\-\w+\-\d+$", "amazonaws.com"),
    Partition("aws-iso", r"^us\-iso\-\w+\-\d+$", "c2s.ic.gov"),
    Partition("aws-iso-b", r"^us\-isob\-\w+\-\d+$", "sc2s.sgov.gov"),
    Partition("aws-iso-e", r"^eu\-isoe\-\w+\-\d+$", "cloud.adc-e.uk"),
    Partition("aws-iso-f", r"^us\-isof\-\w+\-\d+$", "csp.hci.ic.gov"),
    Partition("aws-eusc", r"^eusc\-(de)\-\w+\-\d+$", "amazonaws.eu"),
)
"""Every partition's ``regionRegex`` and ``dnsSuffix`` as botocore 1.44.8 ships them (``botocore/data/
endpoints.json``, ``partitions[*]``; the SDKs resolve a region's partition with these). A test compares this table
with the file in the venv."""

SUPPORTED_PARTITIONS = ("aws", "aws-us-gov")
"""Partitions whose DNS suffix is ``amazonaws.com``, the one the documents here are written for: the EC2 service
principal (Karpenter's own template writes ``ec2.${AWS::URLSuffix}`` and lists ``ec2.amazonaws.com.cn`` beside
``ec2.amazonaws.com``: aws/karpenter-provider-aws v1.14 getting-started ``cloudformation.yaml``), the IRSA audience
``sts.amazonaws.com`` and the S3 gateway endpoint's ``com.amazonaws.<region>.s3`` (aws/aws-cdk
``aws-ec2/lib/vpc-endpoint.ts`` gives China and the ISO partitions other prefixes). The others are refused."""


def partition_of(region: str) -> Partition:
    """The partition of ``region`` by botocore's rule (the first ``regionRegex`` that matches); a
    :class:`SpecError` on ``region`` when none does or the partition is not one of :data:`SUPPORTED_PARTITIONS`."""
    for partition in PARTITIONS:
        if re.match(partition.region_regex, region):
            if partition.name not in SUPPORTED_PARTITIONS:
                raise SpecError(
                    "region",
                    region,
                    f"{region} is in AWS partition {partition.name} (DNS suffix {partition.dns_suffix}); EKS stacks "
                    f"here support the {' and '.join(SUPPORTED_PARTITIONS)} partitions only",
                )
            return partition
    raise SpecError("region", region, "no AWS partition holds this region (botocore's endpoints.json)")


def arn(partition: str, service: str, region: str, account: str, resource: str) -> str:
    """``arn:partition:service:region:account-id:resource`` (AWS IAM User Guide, "IAM identifiers", ARN format;
    which fields a service leaves empty is in its "Resource types" table of the Service Authorization Reference)."""
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


def arn_account(value: str) -> str:
    """The account field (the fifth) of an ARN."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise ValueError(f"not an ARN: {value!r}")
    return parts[4]


def managed_policy_arn(partition: str, name: str) -> str:
    """The ARN of an AWS managed policy: IAM has no region, and the account field of AWS's policies is ``aws``."""
    return arn(partition, "iam", "", "aws", f"policy/{name}")


NODE_POLICIES = (
    "AmazonEKS_CNI_Policy",
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
)
"""The AWS managed policies of every node role, and nothing else (no application permissions on nodes): the set
Karpenter's v1.14 getting-started template attaches to ``KarpenterNodeRole`` (``cloudformation.yaml``,
``ManagedPolicyArns``). The EKS User Guide's node role asks for AmazonEKSWorkerNodePolicy and
AmazonEC2ContainerRegistryPullOnly, and the CNI policy here or on the ``aws-node`` ServiceAccount
(``latest/ug/security/iam-reference/create-node-role.adoc``); SSM is for Session Manager access to nodes."""

KARPENTER_NODE_POLICIES = NODE_POLICIES
"""Karpenter's node role gets the same policies as the managed node groups' role."""

EBS_CSI_POLICY = "service-role/AmazonEBSCSIDriverPolicy"
"""The AWS managed policy of the EBS CSI driver's controller role (EKS User Guide, ``csi-iam-role.adoc``:
``arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy``)."""


def issuer_host(oidc_url: str) -> str:
    """The OIDC issuer without its scheme, as IAM condition keys spell it."""
    return oidc_url.removeprefix("https://")


def irsa_trust_policy(oidc_provider_arn: str, oidc_url: str, namespace: str, service_account: str) -> str:
    """Trust for exactly ``system:serviceaccount:<namespace>:<service_account>`` through the cluster's OIDC provider."""
    host = issuer_host(oidc_url)
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": oidc_provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                            f"{host}:aud": STS_AUDIENCE,
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )


def ec2_trust_policy() -> str:
    """Trust for EC2 instances (a node role)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        },
        sort_keys=True,
    )


def s3_read_policy(bucket: str, prefix: str, partition: str = "aws") -> str:
    """``s3:GetObject`` under ``<bucket>/<prefix>/`` (and the object ``<prefix>`` itself, for a single-file model),
    and ``s3:ListBucket`` on the bucket limited to that prefix.

    The grant stops at a ``/`` boundary: ``<prefix>*`` would also match ``<prefix>0...`` (``resnet50/v1*`` reaches
    ``resnet50/v10/``), another model's files. KServe's storage initializer lists with ``Prefix=<path of the URI>``
    (no trailing slash) and then gets each key it found (kserve/kserve python/storage/kserve_storage/kserve_storage.py,
    ``_download_s3``), so the listing allows exactly ``<prefix>`` and ``<prefix>/*``. S3 bucket and object ARNs have
    neither region nor account (``arn:${Partition}:s3:::${BucketName}``, Service Authorization Reference, Amazon S3
    resource types)."""
    bucket_arn = arn(partition, "s3", "", "", bucket)
    base = prefix.strip("/")
    listing: dict[str, object] = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn}
    if base:
        listing["Condition"] = {"StringLike": {"s3:prefix": [base, f"{base}/*"]}}
    objects: object = [f"{bucket_arn}/{base}", f"{bucket_arn}/{base}/*"] if base else f"{bucket_arn}/*"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": objects},
                listing,
            ],
        },
        sort_keys=True,
    )


def s3_write_policy(bucket: str, prefix: str, partition: str = "aws") -> str:
    """``s3:PutObject`` on ``<bucket>/<prefix>/*`` and nothing else: the request-log collector creates objects under
    its prefix and never reads, lists or deletes.

    Vector's ``aws_s3`` sink uploads each batch with one PutObject (vectordotdev/vector v0.56.0
    src/sinks/s3_common/service.rs ``put_object``; no ``acl``, ``tags`` or ``server_side_encryption`` is set, so no
    ``s3:PutObjectAcl``/``s3:PutObjectTagging``), and its healthcheck, the only other call, is a HeadBucket
    (src/sinks/s3_common/config.rs ``head_bucket``, which needs ``s3:ListBucket``); the platform turns that
    healthcheck off instead of granting the listing. The ``/`` boundary keeps sibling prefixes out (see
    :func:`s3_read_policy`)."""
    bucket_arn = arn(partition, "s3", "", "", bucket)
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{bucket_arn}/{prefix.strip('/')}/*"}
            ],
        },
        sort_keys=True,
    )


def s3_tls_only_policy(bucket_arn: object) -> dict[str, object]:
    """A bucket policy that denies every request to the bucket and its objects not sent over TLS.

    Amazon S3 accepts plain HTTP as well as HTTPS (docs.aws.amazon.com/AmazonS3/latest/userguide/
    UsingEncryptionInTransit.html: "Amazon S3 supports both HTTP and HTTPS protocols ... While HTTP traffic is
    accepted"); ``aws:SecureTransport`` is the global condition key that says whether the request was sent over TLS
    (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-securetransport),
    and the bucket policy AWS gives for HTTPS only is this one statement: ``Deny``, ``Principal: *``, ``s3:*`` on
    the bucket and ``<bucket>/*``, ``"Bool": {"aws:SecureTransport": "false"}`` (repost.aws/knowledge-center/
    s3-bucket-policy-for-config-rule, the policy that complies with the ``s3-bucket-ssl-requests-only`` Config rule;
    an Allow conditioned on ``"true"`` instead does not). A Deny allows nothing, so the bucket's
    ``BlockPublicPolicy``, which rejects "calls to PUT Bucket policy if the specified bucket policy allows public
    access" (docs.aws.amazon.com/AmazonS3/latest/API/API_PublicAccessBlockConfiguration.html), accepts it.

    A map, not JSON text, so a plan that does not know the bucket's ARN yet still shows every other field
    (pulumi-aws 7.51.1 ``s3.BucketPolicy`` ``policy: Input[str | iam.PolicyDocumentArgs]``)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, _objects_of(bucket_arn)],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def _objects_of(bucket_arn: object) -> object:
    """``<bucket ARN>/*`` for a plain ARN or a Pulumi output holding one."""
    apply = getattr(bucket_arn, "apply", None)
    return apply(lambda a: f"{a}/*") if apply is not None else f"{bucket_arn}/*"


def route53_zone_policy(zone_id: str, record_types: Sequence[str] = (), *, list_zones: bool = True) -> str:
    """Record changes in the hosted zone ``zone_id`` only, plus the read-only calls that cannot be scoped.

    cert-manager's DNS-01 policy (cert-manager.io/docs/configuration/acme/dns01/route53/: ``GetChange`` on
    ``change/*``, ``ChangeResourceRecordSets`` and ``ListResourceRecordSets`` on the hosted zone, which that page
    advises narrowing to one zone) and external-dns's (kubernetes-sigs/external-dns docs/tutorials/aws.md: the
    same two and ``ListTagsForResources`` on the zone, ``ListHostedZones`` on ``*``). Listing hosted zones takes no
    resource, so those two stay on ``*``. ``record_types``: only these record types may be changed (cert-manager's
    page: ``ForAllValues:StringEquals`` on ``route53:ChangeResourceRecordSetsRecordTypes``, ``["TXT"]``).
    ``list_zones=False`` leaves out the zone listing (a caller that is given the zone id).
    """
    zone = f"arn:aws:route53:::hostedzone/{zone_id}"
    change: dict[str, object] = {"Effect": "Allow", "Action": "route53:ChangeResourceRecordSets", "Resource": zone}
    if record_types:
        change["Condition"] = {
            "ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": sorted(record_types)}
        }
    read: dict[str, object] = {
        "Effect": "Allow",
        "Action": ["route53:ListResourceRecordSets", "route53:ListTagsForResources"],
        "Resource": zone,
    }
    statements: list[dict[str, object]] = [
        {"Effect": "Allow", "Action": "route53:GetChange", "Resource": "arn:aws:route53:::change/*"},
        change,
        read,
    ]
    if list_zones:
        statements.append(
            {
                "Effect": "Allow",
                "Action": ["route53:ListHostedZones", "route53:ListHostedZonesByName"],
                "Resource": "*",
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)
