"""IAM beyond storage: who may assume a role, and no identity the platform renders holds admin-shaped grants.

``iam-least-privilege`` reads every IAM document and grant the platform renders, whatever it is for (node roles,
controller roles, queue policies, Google and Azure identities), and fails on the one-line slips that turn a scoped
grant into an account-, project- or subscription-wide one:

- AWS trust and resource policies (``aws:iam/role:Role`` ``assumeRolePolicy``, ``aws:sqs/queuePolicy:QueuePolicy``
  ``policy``): an ``Allow`` statement whose ``Principal`` is ``"*"`` or ``{"AWS": "*"}`` lets every AWS principal in
  ("To grant permission to everyone, also referred as anonymous access, you set the wildcard ("*") as the Principal
  value": AWS IAM User Guide, "AWS JSON policy elements: Principal", docs.aws.amazon.com/IAM/latest/UserGuide/
  reference_policies_elements_principal.html, which adds for roles: "Do not leave your role accessible to
  everyone!"); an ``Allow`` to a ``Federated`` principal without a ``Condition`` lets every identity of that
  provider (every ServiceAccount of the cluster, for an EKS OIDC provider) assume the role.
- AWS permission policies (``aws:iam/rolePolicy:RolePolicy``, ``aws:iam/policy:Policy``, a role's
  ``inlinePolicies``): ``iam:PassRole`` on ``*`` or on a role-name wildcard (the holder may hand any role, an
  admin one included, to a service it starts: privilege escalation; Karpenter's reference policy passes exactly its
  node role, ``AllowPassingInstanceRole`` in /work/shared/upstream/reference/karpenter-v1.14-cloudformation.yaml);
  an action ``*`` or ``<service>:*`` (or ``NotAction``) on resource ``*`` (a whole service, or every service, over
  the account). Actions are matched as IAM does, case-insensitively with ``*``/``?`` wildcards
  (:func:`policy.rules.identity.action_matches`). Named read actions on ``*`` (Karpenter's ``ec2:Describe*`` list,
  ``pricing:GetProducts``, ``iam:ListInstanceProfiles``, as in the reference) are not wildcard grants and pass.
- Node roles (an ``aws:iam/role:Role`` that ``ec2.amazonaws.com`` may assume): every
  ``aws:iam/rolePolicyAttachment:RolePolicyAttachment`` on one attaches exactly one of :data:`NODE_ROLE_POLICIES`
  (by its full ARN, any partition). A managed policy such as ``AmazonEC2ContainerRegistryPowerUser`` in place of
  ``...PullOnly`` lets every pod that reaches the node's credentials push to every ECR repository.
- Queue policies: a ``Deny`` to every principal is conditioned exactly on ``{"Bool": {"aws:SecureTransport":
  "false"}}`` (what :data:`TLS_ONLY` names); inverted (``"true"``) or without its condition it denies Karpenter's
  own TLS calls, and the interruption queue goes unread.
- Google Cloud: a basic role (``roles/owner``, ``roles/editor``, ``roles/viewer``: "Basic roles are highly
  permissive roles that existed prior to the introduction of IAM", cloud.google.com/iam/docs/understanding-roles)
  granted on anything, and any project-wide role (``gcp:projects/iAMMember``/``iAMBinding``) other than
  :data:`PROJECT_ROLES`, the ones our design gives at project level (the node service account's minimal roles,
  components/clusters/gke.py ``NODE_ROLES`` with its sources; ``roles/dns.reader`` for external-dns, gke.py
  ``dns_access``). The list is the rule's own, so a slip in the component's constant is still caught.
- Azure: ``Owner``, ``Contributor``, ``User Access Administrator`` or ``Role Based Access Control Administrator``
  (role ids: :data:`policy.rules.identity.WIDE_AZURE_ROLES`) assigned at the root, a management group, a
  subscription or a resource group ("lower levels inherit role permissions from higher levels",
  learn.microsoft.com/azure/role-based-access-control/scope-overview) to any identity the platform creates.

Documents built from values known only after deploy are unknown in a plain plan; the rule says so (``unchecked``)
and the plan judges them over its placeholder rendering (policy/judged.py), as ``workload-identity-trust`` does.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map
from policy.rules.identity import (
    AZ_ROLE_ASSIGNMENT,
    IAM_POLICY,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    PROJECT_BINDING,
    PROJECT_MEMBER,
    WIDE_AZURE_ROLES,
    _role_id,
    action_matches,
    policy_document,
    statements,
)

QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
EC2_SERVICE = "ec2.amazonaws.com"
NODE_ROLE_POLICIES = (
    "AmazonEKS_CNI_Policy",
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
)
"""The AWS managed policies a node role may hold, and no other: ``KarpenterNodeRole``'s ``ManagedPolicyArns`` in
Karpenter's v1.14 getting-started template (/work/shared/upstream/reference/karpenter-v1.14-cloudformation.yaml,
``arn:${AWS::Partition}:iam::aws:policy/<name>``), which components/clusters/_aws_iam.py ``NODE_POLICIES`` copies.
The rule keeps its own list so a slip in the component's constant is still caught."""
_MANAGED_ARN = re.compile(r"arn:aws[a-z-]*:iam::aws:policy/(?P<name>[A-Za-z0-9_+=,.@/-]+)", re.ASCII)
TLS_ONLY = {"Bool": {"aws:SecureTransport": "false"}}
"""The one condition a Deny to every principal may carry on a queue the platform reads: it denies only requests not
sent over TLS. "aws:SecureTransport" is true when the request was sent over HTTPS; the deny-HTTP pattern is a Deny
with ``"Bool": {"aws:SecureTransport": "false"}`` and a policy conditioned on ``"true"`` instead is the one AWS
calls non-compliant (AWS Knowledge Center, repost.aws/knowledge-center/s3-bucket-policy-for-config-rule)."""
GCP_MEMBER_TYPES = (
    "gcp:projects/iAMMember:IAMMember",
    "gcp:projects/iAMBinding:IAMBinding",
    "gcp:serviceaccount/iAMMember:IAMMember",
    "gcp:serviceaccount/iAMBinding:IAMBinding",
    "gcp:storage/bucketIAMMember:BucketIAMMember",
    "gcp:storage/bucketIAMBinding:BucketIAMBinding",
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
    "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember",
    "gcp:organizations/iAMMember:IAMMember",
    "gcp:folder/iAMMember:IAMMember",
)
"""Google IAM member/binding resources (pulumi-gcp 10.2 type tokens) on which a basic role is refused."""

BASIC_ROLES = ("roles/owner", "roles/editor", "roles/viewer")
PROJECT_ROLES = (
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/autoscaling.metricsWriter",
    "roles/artifactregistry.reader",
    "roles/serviceusage.serviceUsageConsumer",
    "roles/dns.reader",
    "roles/container.defaultNodeServiceAccount",
)
"""The project-wide roles the design grants: the GKE node service account's roles (components/clusters/gke.py
``NODE_ROLES``: monitoring.viewer, monitoring.metricWriter and logging.logWriter are the minimum CIS GKE 5.2.1 names
for a node service account; the rest with their sources there), Google's current single node role
``roles/container.defaultNodeServiceAccount`` ("Configure GKE node service accounts",
docs.cloud.google.com/kubernetes-engine/security/configure-node-service-accounts: node service accounts "must
have at minimum" it, on the project), and ``roles/dns.reader`` for external-dns to list the project's zones
(kubernetes-sigs/external-dns docs/tutorials/gke.md, narrowed in gke.py ``dns_access``)."""

_SUB_RG_OR_ABOVE = re.compile(r"(/subscriptions/[^/]+(/resourceGroups/[^/]+)?)?/?", re.ASCII | re.IGNORECASE)


def _strings(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value]) if v is not None]


def _principal_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return "*" in _strings(as_map(principal).get("AWS"))


def trust_problems(doc: Mapping[str, Any]) -> list[str]:
    """Why a trust or resource policy lets every principal (or every identity of a federated provider) in."""
    problems = []
    for i, st in enumerate(statements(doc)):
        if st.get("Effect", "Allow") != "Allow":
            continue
        principal = st.get("Principal")
        if _principal_everyone(principal):
            problems.append(f"Statement[{i}] allows Principal * (every AWS principal, anonymous included)")
        elif "NotPrincipal" in st:
            problems.append(f"Statement[{i}] allows NotPrincipal: every principal not listed")
        federated = _strings(as_map(principal).get("Federated"))
        if federated and not as_map(st.get("Condition")):
            problems.append(
                f"Statement[{i}] trusts Federated {', '.join(federated)} without a Condition: every identity of "
                "that provider may assume the role"
            )
    return problems


def _tls_only(condition: Any) -> bool:
    """True when ``condition`` is exactly ``Bool`` (or ``BoolIfExists``) ``aws:SecureTransport`` false."""
    cond = as_map(condition)
    if len(cond) != 1:
        return False
    ((op, keys),) = cond.items()
    keys = as_map(keys)
    if op not in ("Bool", "BoolIfExists") or list(keys) != ["aws:SecureTransport"]:
        return False
    values = keys["aws:SecureTransport"]
    values = values if isinstance(values, list) else [values]
    return len(values) == 1 and str(values[0]).lower() == "false"


def deny_problems(doc: Mapping[str, Any]) -> list[str]:
    """Why a resource policy's Deny to every principal denies more than the requests not sent over TLS."""
    problems = []
    for i, st in enumerate(statements(doc)):
        if st.get("Effect") != "Deny" or not _principal_everyone(st.get("Principal")):
            continue
        if not _tls_only(st.get("Condition")):
            problems.append(
                f"Statement[{i}] denies every principal (the platform's own readers too) under "
                f"{st.get('Condition')!r}: condition it exactly on {TLS_ONLY!r}"
            )
    return problems


def _role_wildcard(resource: str) -> bool:
    """True when ``resource`` may name more than one IAM role: ``*``, or an ARN with a wildcard whose service part
    may be ``iam`` (``arn:aws:iam::123456789012:role/*``, ``arn:aws:iam::*:role/x``, ``arn:*:*::*:*``)."""
    if resource == "*":
        return True
    parts = resource.split(":", 5)
    if not any(c in resource for c in "*?") or len(parts) < 3:
        return False
    return fnmatch.fnmatchcase("iam", parts[2].lower() or "iam")


def permission_problems(doc: Mapping[str, Any]) -> list[str]:
    """Why a permission policy grants PassRole on any role, or a whole service (or every one) on every resource."""
    problems = []
    for i, st in enumerate(statements(doc)):
        if st.get("Effect", "Allow") != "Allow":
            continue
        where = f"Statement[{i}]"
        resources = _strings(st.get("Resource"))
        everything = "*" in resources or "NotResource" in st
        if "NotAction" in st and everything:
            problems.append(f"{where} allows NotAction on every resource: every action not listed, account-wide")
            continue
        actions = _strings(st.get("Action"))
        wild = [a for a in actions if a == "*" or a.endswith(":*")]
        if wild and everything:
            problems.append(f"{where} allows {', '.join(wild)} on every resource: name the actions and resources")
        if any(action_matches(a, "iam:PassRole") for a in actions):
            wide = [r for r in resources if _role_wildcard(r)] + (["NotResource"] if "NotResource" in st else [])
            if wide:
                problems.append(
                    f"{where} allows iam:PassRole on {', '.join(wide)}: any role (an admin one included) may be "
                    "handed to a service; pass the one role by its ARN"
                )
    return problems


def _scope_is_wide(scope: str) -> bool:
    low = scope.lower()
    return low.startswith("/providers/microsoft.management/managementgroups/") or bool(
        _SUB_RG_OR_ABOVE.fullmatch(scope)
    )


def _iam(res: Resource, facts: Facts) -> Iterator[str]:
    p = res.props
    if res.type == IAM_ROLE:
        doc = policy_document(p.get("assumeRolePolicy"))
        for problem in trust_problems(doc) if doc is not None else []:
            yield f"IAM role {res.name} trust policy: {problem}"
        for inline in as_list(p.get("inlinePolicies")):
            doc = policy_document(as_map(inline).get("policy"))
            for problem in permission_problems(doc) if doc is not None else []:
                yield f"IAM role {res.name} inline policy: {problem}"
    elif res.type in (IAM_ROLE_POLICY, IAM_POLICY):
        doc = policy_document(p.get("policy"))
        for problem in permission_problems(doc) if doc is not None else []:
            yield f"IAM policy {res.name}: {problem}"
    elif res.type == QUEUE_POLICY:
        doc = policy_document(p.get("policy"))
        for problem in [*trust_problems(doc), *deny_problems(doc)] if doc is not None else []:
            yield f"queue policy {res.name}: {problem}"
    elif res.type in GCP_MEMBER_TYPES:
        role = p.get("role")
        if role in BASIC_ROLES:
            yield f"{res.name} grants the basic role {role}: give a predefined role for what it does"
        elif (
            res.type in (PROJECT_MEMBER, PROJECT_BINDING)
            and isinstance(role, str)
            and role not in PROJECT_ROLES
            and not role.startswith("roles/storage.")  # storage-read-least-privilege reports those
        ):
            yield (
                f"{res.name} grants {role} on the whole project: the design grants only "
                f"{', '.join(PROJECT_ROLES)} project-wide; grant it on the resource"
            )
    elif res.type == AZ_ROLE_ASSIGNMENT:
        scope = p.get("scope")
        if p.get("roleDefinitionId") is UNKNOWN or scope is UNKNOWN:
            return
        role = WIDE_AZURE_ROLES.get(_role_id(res))
        if role is not None and (not isinstance(scope, str) or _scope_is_wide(scope)):
            yield (
                f"{res.name} assigns {role} at {scope!r} (a subscription, resource group or above): it reaches "
                "every resource under it; give a narrower role on the one resource"
            )


def _trusts_ec2(role: Resource) -> bool:
    doc = policy_document(role.props.get("assumeRolePolicy"))
    for st in statements(doc) if doc is not None else []:
        if st.get("Effect", "Allow") == "Allow" and EC2_SERVICE in _strings(as_map(st.get("Principal")).get("Service")):
            return True
    return False


def _node_policy_name(arn: Any) -> str | None:
    """The managed policy ``arn`` names when it is one of :data:`NODE_ROLE_POLICIES`, else None."""
    m = _MANAGED_ARN.fullmatch(arn) if isinstance(arn, str) else None
    return m["name"] if m and m["name"] in NODE_ROLE_POLICIES else None


def _node_policies(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """Node roles hold only :data:`NODE_ROLE_POLICIES`. A node role is a role that ``ec2.amazonaws.com`` may assume
    (EC2 instances take it through their instance profile); attachments name their role by ``role`` (pulumi_aws
    iam/role_policy_attachment.py: "The name of the IAM role to which the policy should be applied")."""
    nodes = {
        r.props.get("name")
        for r in resources
        if r.type == IAM_ROLE and isinstance(r.props.get("name"), str) and _trusts_ec2(r)
    }
    for r in resources:
        role = r.props.get("role")
        if r.type != ATTACHMENT or not isinstance(role, str) or role not in nodes:  # a map or list: no node role
            continue
        arn = r.props.get("policyArn")
        if arn is not UNKNOWN and _node_policy_name(arn) is None:
            yield Finding(
                r.urn,
                f"node role {r.props.get('role')} gets {arn}: node roles hold only the AWS managed policies "
                f"{', '.join(NODE_ROLE_POLICIES)} (every pod that reaches the node's credentials holds them too)",
            )


def _unknown(res: Resource) -> str | None:
    p = res.props
    if res.type == IAM_ROLE and p.get("assumeRolePolicy") is UNKNOWN:
        return f"trust policy of role {res.name}"
    if res.type in (IAM_ROLE_POLICY, IAM_POLICY, QUEUE_POLICY) and p.get("policy") is UNKNOWN:
        return f"policy {res.name}"
    if res.type in GCP_MEMBER_TYPES and p.get("role") is UNKNOWN:
        return f"role of {res.name}"
    if res.type == AZ_ROLE_ASSIGNMENT and _role_id(res) in WIDE_AZURE_ROLES and p.get("scope") is UNKNOWN:
        return f"scope of {res.name}"
    if res.type == ATTACHMENT and p.get("role") is UNKNOWN and _node_policy_name(p.get("policyArn")) is None:
        return f"role of policy attachment {res.name}"
    return None


RULES = [
    Rule(
        name="iam-least-privilege",
        description=(
            "No identity the platform renders is trusted by everyone or holds admin-shaped grants: no Principal * "
            "or unconditioned Federated trust, no iam:PassRole on any role, no * or service:* action on *, no GCP "
            "basic role nor project-wide role beyond the design's, no Azure Owner/Contributor/User Access "
            "Administrator at subscription or resource-group scope; node roles hold only the node managed "
            "policies; a queue's Deny to everyone is conditioned exactly on aws:SecureTransport false."
        ),
        enforcement="mandatory",
        area="identity",
        applies_to=(
            IAM_ROLE,
            IAM_ROLE_POLICY,
            IAM_POLICY,
            QUEUE_POLICY,
            ATTACHMENT,
            *GCP_MEMBER_TYPES,
            AZ_ROLE_ASSIGNMENT,
        ),
        check_resource=_iam,
        check_stack=_node_policies,
        unknown=_unknown,
        remediation="trust one principal under a Condition; name actions and resources; grant on the resource",
    ),
]
