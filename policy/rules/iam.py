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
  (``action_matches`` of policy/clouds/aws.py). Named read actions on ``*`` (Karpenter's ``ec2:Describe*`` list,
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
  (role ids: ``WIDE_AZURE_ROLES`` of policy/clouds/azure.py) assigned at the root, a management group, a
  subscription or a resource group ("lower levels inherit role permissions from higher levels",
  learn.microsoft.com/azure/role-based-access-control/scope-overview) to any identity the platform creates.

Documents built from values known only after deploy are unknown in a plain plan; the rule says so (``unchecked``)
and the plan judges them over its placeholder rendering (policy/judged.py), as ``workload-identity-trust`` does.

The checks of each cloud are its share of the rule in its policy module (policy/rules/percloud.py, registered in
components/clouds.py).
"""

from __future__ import annotations

from policy.rules import percloud
from policy.rules.base import Rule

RULES = [
    Rule(
        name="iam-least-privilege",
        description=("No identity the platform renders is trusted by everyone or holds admin-shaped grants: {clouds}."),
        enforcement="mandatory",
        area="identity",
        check_resource=percloud.check_resource("iam-least-privilege"),
        check_stack=percloud.check_stack("iam-least-privilege"),
        unknown=percloud.unknown("iam-least-privilege"),
        remediation="trust one principal under a Condition; name actions and resources; grant on the resource",
    ),
]
