"""IAM documents for EKS: trust policies for IRSA and EC2, and the read-only S3 policy of a model.

Pure functions returning JSON text, so tests can check them without running a program.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

STS_AUDIENCE = "sts.amazonaws.com"

NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore",
)
"""AWS managed policies of the node role, and nothing else (no application permissions on nodes)."""


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
    """Trust for EC2 instances (the node role)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        },
        sort_keys=True,
    )


def s3_read_policy(bucket: str, prefix: str) -> str:
    """``s3:GetObject`` on ``<bucket>/<prefix>*`` and ``s3:ListBucket`` on the bucket limited to that prefix."""
    listing: dict[str, object] = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"}
    if prefix:
        listing["Condition"] = {"StringLike": {"s3:prefix": [f"{prefix}*"]}}
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/{prefix}*"},
                listing,
            ],
        },
        sort_keys=True,
    )


def route53_zone_policy(zone_id: str, record_types: Sequence[str] = ()) -> str:
    """Record changes in the hosted zone ``zone_id`` only, plus the read-only calls that cannot be scoped.

    cert-manager's DNS-01 policy (cert-manager.io/docs/configuration/acme/dns01/route53/: ``GetChange`` on
    ``change/*``, ``ChangeResourceRecordSets`` and ``ListResourceRecordSets`` on the hosted zone, which that page
    advises narrowing to one zone) and external-dns's (kubernetes-sigs/external-dns docs/tutorials/aws.md: the
    same two and ``ListTagsForResources`` on the zone, ``ListHostedZones`` on ``*``). Listing hosted zones takes no
    resource, so those two stay on ``*``. ``record_types``: only these record types may be changed (cert-manager's
    page: ``ForAllValues:StringEquals`` on ``route53:ChangeResourceRecordSetsRecordTypes``, ``["TXT"]``).
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
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "route53:GetChange", "Resource": "arn:aws:route53:::change/*"},
                change,
                read,
                {
                    "Effect": "Allow",
                    "Action": ["route53:ListHostedZones", "route53:ListHostedZonesByName"],
                    "Resource": "*",
                },
            ],
        },
        sort_keys=True,
    )
