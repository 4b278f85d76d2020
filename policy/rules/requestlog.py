"""The request-log writer may only create objects under its prefix.

The platform's collector (components/platform/requestlog.py) is the only identity in a stack that writes to object
storage; its grant is a child of the Platform named ``<platform>-request-logs-write``
(:data:`policy.rules.identity.LOG_WRITER_SUFFIXES`). ``storage-read-least-privilege`` (policy/rules/identity.py),
whose promise is that models only read, leaves that one grant to this rule, which holds it to write-only and to its
prefix:

- S3 (``aws:iam/rolePolicy:RolePolicy``): every ``Allow`` statement grants ``s3:PutObject`` and nothing else, on
  ``arn:<partition>:s3:::<bucket>/<prefix>/*`` with a named bucket and a non-empty prefix that ends at a ``/``
  before its wildcard (``logs*`` would reach ``logs-other/``); no ``NotAction``/``NotResource``. ``s3:PutObject``
  creates or replaces an object; it cannot read, list or delete one (Service Authorization Reference, Amazon S3
  actions: ``PutObject`` "Grants permission to add an object to a bucket").
- GCS (``gcp:storage/bucketIAMMember:BucketIAMMember``): the role is ``roles/storage.objectCreator`` (create
  objects, no read, list, overwrite or delete: cloud.google.com/storage/docs/access-control/iam-roles), on one named
  bucket, for no public member, under a condition ``resource.name.startsWith("projects/_/buckets/<bucket>/objects/
  <prefix>/")`` with the same bucket and a ``/``-ended prefix.
- Azure (``azure-native:authorization:RoleDefinition`` named ``<platform>-request-logs-writer-role``): no control
  plane ``actions`` and no data actions beyond the blob writes (``.../blobs/write``, ``.../blobs/add/action``:
  components/clusters/aks.py ``BLOB_WRITE_DATA_ACTIONS``); the role assignment (``...-request-logs-write``) is
  scoped to one blob container.

Values known only after deploy (the bucket a Pulumi resource names) are unknown in a plain plan; the rule says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from policy.rules.base import UNKNOWN, Facts, Resource, Rule, as_list, as_map
from policy.rules.identity import (
    AZ_ROLE_ASSIGNMENT,
    AZURE_CONTAINER_SCOPE,
    GCS_MEMBER,
    IAM_ROLE_POLICY,
    LOG_WRITER_SUFFIXES,
    PUBLIC_MEMBERS,
    policy_document,
    statements,
)

LOG_WRITE_SUFFIX = "-request-logs-write"
"""The name every request-log write grant ends with (``child_name(<platform>-request-logs, "write")``)."""
AZ_ROLE_DEFINITION = "azure-native:authorization:RoleDefinition"
BLOB_WRITES = frozenset(
    {
        "microsoft.storage/storageaccounts/blobservices/containers/blobs/write",
        "microsoft.storage/storageaccounts/blobservices/containers/blobs/add/action",
    }
)
_S3_OBJECTS = re.compile(r"arn:[a-z-]+:s3:::(?P<bucket>[^/*?]+)/(?P<prefix>[^*?]+)/\*")
_GCS_CONDITION = re.compile(
    r'resource\.name\.startsWith\("projects/_/buckets/(?P<bucket>[^/"]+)/objects/(?P<prefix>[^"*?]+/)"\)'
)


def is_log_writer(res: Resource) -> bool:
    """Whether ``res`` is the request-log writer's grant (or its Azure role), which this rule judges."""
    return res.name.endswith(LOG_WRITER_SUFFIXES)


def _strings(value: object) -> list[str]:
    """A string or a list of strings as a list (anything else: empty)."""
    if isinstance(value, str):
        return [value]
    return [v for v in as_list(value) if isinstance(v, str)]


def s3_write_problems(doc: object) -> list[str]:
    """Why an IAM policy document grants more than ``s3:PutObject`` under one bucket prefix."""
    problems: list[str] = []
    for i, st in enumerate(statements(as_map(doc))):
        if st.get("Effect", "Allow") != "Allow":
            continue
        where = f"Statement[{i}]"
        if "NotAction" in st or "NotResource" in st:
            problems.append(f"{where} uses NotAction/NotResource: it grants what it does not list")
            continue
        actions = _strings(st.get("Action"))
        wider = [a for a in actions if a.lower() != "s3:putobject"]
        if wider or not actions:
            problems.append(
                f"{where} grants {', '.join(wider) or 'nothing named'}: the log writer may only s3:PutObject"
            )
        for res in _strings(st.get("Resource")):
            m = _S3_OBJECTS.fullmatch(res)
            if m is None or not m["prefix"].strip("/"):
                problems.append(f"{where} writes to {res!r}: give arn:...:s3:::<bucket>/<prefix>/*")
    return problems


def gcs_write_problems(res: Resource) -> list[str]:
    """Why a GCS bucket grant lets the log writer do more than create objects under its prefix."""
    p = res.props
    problems: list[str] = []
    role, bucket, member = p.get("role"), p.get("bucket"), p.get("member")
    if role is not UNKNOWN and role != "roles/storage.objectCreator":
        problems.append(f"grants {role}: the log writer may only create objects (roles/storage.objectCreator)")
    if member in PUBLIC_MEMBERS:
        problems.append(f"grants the bucket to {member}")
    if isinstance(bucket, str) and any(c in bucket for c in "*?"):
        problems.append(f"grants on bucket {bucket!r}: name one bucket")
    expression = as_map(p.get("condition")).get("expression")
    if expression is UNKNOWN:
        return problems
    m = _GCS_CONDITION.fullmatch(expression.strip()) if isinstance(expression, str) else None
    if m is None:
        problems.append(
            'has no condition resource.name.startsWith("projects/_/buckets/<bucket>/objects/<prefix>/"): it reaches '
            "every object of the bucket"
        )
    elif isinstance(bucket, str) and m["bucket"] != bucket:
        problems.append(f"conditions on bucket {m['bucket']} but grants on {bucket}")
    return problems


def azure_role_problems(res: Resource) -> list[str]:
    """Why the writer's Azure role grants more than blob writes."""
    problems: list[str] = []
    for perm in as_list(res.props.get("permissions")):
        perm = as_map(perm)
        if as_list(perm.get("actions")):
            problems.append(f"grants control-plane actions {as_list(perm.get('actions'))}: the log writer needs none")
        extra = [a for a in _strings(perm.get("dataActions")) if a.lower() not in BLOB_WRITES]
        if extra:
            problems.append(f"grants data actions {extra}: the log writer may only write blobs")
    return problems


def _check(res: Resource, facts: Facts) -> Iterator[str]:
    if not is_log_writer(res):
        return
    if res.type == IAM_ROLE_POLICY:
        doc = policy_document(res.props.get("policy"))
        for problem in s3_write_problems(doc) if doc is not None else []:
            yield f"request-log writer {res.name}: {problem}"
    elif res.type == GCS_MEMBER:
        for problem in gcs_write_problems(res):
            yield f"request-log writer {res.name} {problem}"
    elif res.type == AZ_ROLE_DEFINITION:
        for problem in azure_role_problems(res):
            yield f"request-log writer role {res.name} {problem}"
    elif res.type == AZ_ROLE_ASSIGNMENT:
        scope = res.props.get("scope")
        if scope is not UNKNOWN and (not isinstance(scope, str) or not AZURE_CONTAINER_SCOPE.fullmatch(scope)):
            yield f"request-log writer {res.name} is scoped to {scope!r}: scope it to the log container"


def _unknown(res: Resource) -> str | None:
    if not is_log_writer(res):
        return None
    if res.type == IAM_ROLE_POLICY and res.props.get("policy") is UNKNOWN:
        return res.name
    if res.type == GCS_MEMBER and as_map(res.props.get("condition")).get("expression") is UNKNOWN:
        return res.name
    return None


RULES = [
    Rule(
        name="request-log-write-only",
        description=(
            "The request-log collector's grant creates objects under its prefix and nothing else: s3:PutObject on "
            "<bucket>/<prefix>/*, GCS objectCreator conditioned on the prefix, an Azure role of blob writes on one "
            "container."
        ),
        enforcement="mandatory",
        area="identity",
        applies_to=(IAM_ROLE_POLICY, GCS_MEMBER, AZ_ROLE_DEFINITION, AZ_ROLE_ASSIGNMENT),
        check_resource=_check,
        unknown=_unknown,
        remediation="grant the request-log writer object creation under its prefix only",
    ),
]
