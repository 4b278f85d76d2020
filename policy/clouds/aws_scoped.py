"""AWS rules of the fourth hostile review of #17 (/work/wt/rev17d-report.md c01, c02, p08, c04, c05, c06, c07, c08,
c09): grants scoped to this stack's zone and cluster, a Karpenter controller that stays HA, encrypted queues and GPU
nodes that expire. AWS's own rules, registered by policy/clouds/aws.py (:data:`RULES`).

- ``aws-dns-records-scoped``: every ``route53:ChangeResourceRecordSets`` grant names exactly the stack's hosted zone
  (``arn:aws:route53:::hostedzone/<id>``; the ids the stack's ClusterIssuer route53 solver and external-dns
  ``--zone-id-filter`` name). cert-manager's page "You can further tighten the policy by limiting the hosted zone
  that cert-manager has access to (e.g. arn:aws:route53:::hostedzone/DIKER8JEXAMPLE)"
  (cert-manager.io/docs/configuration/acme/dns01/route53/). Every such grant to a role that is not external-dns's
  (the ServiceAccount of the ``external-dns`` chart, which writes A/CNAME/TXT records) carries exactly
  ``ForAllValues:StringEquals`` ``route53:ChangeResourceRecordSetsRecordTypes`` [``TXT``], the same page's condition:
  ``ForAnyValue`` is true when at least one record of the batch is TXT, ``ForAllValues`` only when every one is (AWS
  IAM User Guide, reference_policies_condition-single-vs-multi-valued-context-keys).
- ``aws-controller-grants-scoped``: compared with Karpenter's v1.14 reference policy
  (/work/shared/upstream/reference/karpenter-v1.14-cloudformation.yaml): ``ec2:TerminateInstances`` /
  ``ec2:DeleteLaunchTemplate`` only under ``StringEquals`` ``aws:ResourceTag/kubernetes.io/cluster/<this
  cluster>: owned`` (``AllowScopedDeletion``, lines 149-166); ``iam:PassRole`` only under ``StringEquals``
  ``iam:PassedToService`` ``ec2.amazonaws.com``/``ec2.amazonaws.com.cn`` (``AllowPassingInstanceRole``, lines
  182-193). cluster-autoscaler's ``autoscaling:SetDesiredCapacity``/``TerminateInstanceInAutoScalingGroup``/
  ``UpdateAutoScalingGroup`` only on named ASG ARNs or under ``StringEquals`` ``aws:ResourceTag/
  k8s.io/cluster-autoscaler/<this cluster>: owned`` (kubernetes/autoscaler cluster-autoscaler-1.34.2, the app
  version of chart 9.53.0, cluster-autoscaler/cloudprovider/aws/README.md "It is strongly recommended to restrict
  the target resources for the autoscaling actions by either specifying Auto Scaling Group ARNs ... or using tag
  based conditionals"; its auto-discovery tag ``k8s.io/cluster-autoscaler/<cluster-name>``. The README's "Full
  Cluster Autoscaler Features Policy" at that tag carries no condition itself: the rule follows the recommendation).
  The cluster names are the stack's EKS clusters' ``name``.
- ``karpenter-controller-ha``: the karpenter Release keeps ``replicas`` >= 2: the chart's default is 2 replicas with
  a PodDisruptionBudget of ``maxUnavailable: 1`` (karpenter chart 1.14.1 values.yaml, /work/shared/upstream/
  chart-values/karpenter-1.14.1.yaml lines 49 and 60-62), in every environment; one replica leaves no leader to
  take over while it restarts or its node drains, and no GPU node is launched meanwhile.
- ``sqs-queue-encrypted``: every ``aws:sqs/queue:Queue`` sets ``sqsManagedSseEnabled: true`` or a
  ``kmsMasterKeyId`` (pulumi_aws 7.51.1 sqs/queue.py: ``sqs_managed_sse_enabled`` "Boolean to enable server-side
  encryption (SSE) of message content with SQS-owned encryption keys ... The provider will only perform drift
  detection of its value when present in a configuration"; ``kms_master_key_id`` "ID of an AWS-managed customer
  master key (CMK) for Amazon SQS or a custom CMK").
- ``gpu-node-expiry``: a GPU Karpenter NodePool's ``spec.template.spec.expireAfter`` is a finite duration (unset is
  Karpenter's default, 720h); ``Never`` keeps GPU nodes on their first AMI for ever. Karpenter's NodePool page:
  "The amount of time a Node can live on the cluster before being removed ... You can choose to disable expiration
  entirely by setting the string value 'Never' here", ``expireAfter: 720h`` (aws/karpenter-provider-aws
  website/content/en/docs/concepts/nodepools.md, the stored version 05b8ebd0 is the v1beta1 page, where the field
  sat under ``spec.disruption``; v1 moved it to ``spec.template.spec``, karpenter.sh/docs/upgrading/v1-migration).
  The v1.14 page itself was not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map, reading

EKS = "eks:index:Cluster"
AWS_EKS = "aws:eks/cluster:Cluster"
IAM_ROLE = "aws:iam/role:Role"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
RELEASE = "kubernetes:helm.sh/v3:Release"
CLUSTER_ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer"
ISSUER = "kubernetes:cert-manager.io/v1:Issuer"
QUEUE = "aws:sqs/queue:Queue"
KARPENTER_POOL = "kubernetes:karpenter.sh/v1:NodePool"

CHANGE_RECORDS = "route53:ChangeResourceRecordSets"
RECORD_TYPES_KEY = "route53:ChangeResourceRecordSetsRecordTypes"
CHALLENGE_TYPES = ("TXT",)
"""The record types a DNS-01 solver writes (cert-manager.io/docs/configuration/acme/dns01/route53/)."""
EXTERNAL_DNS_CHART = "external-dns"
ZONE_ARN = re.compile(r"arn:aws[a-z-]*:route53:::hostedzone/(?P<id>[A-Za-z0-9]+)", re.ASCII)
ZONE_FILTER = "--zone-id-filter="

DELETE_ACTIONS = ("ec2:TerminateInstances", "ec2:DeleteLaunchTemplate")
PASSED_TO = ("ec2.amazonaws.com", "ec2.amazonaws.com.cn")
"""``AllowPassingInstanceRole``'s ``iam:PassedToService`` values in Karpenter's v1.14 reference policy."""
ASG_ACTIONS = (
    "autoscaling:SetDesiredCapacity",
    "autoscaling:TerminateInstanceInAutoScalingGroup",
    "autoscaling:UpdateAutoScalingGroup",
)
KARPENTER_MIN_REPLICAS = 2
"""karpenter chart 1.14.1 values.yaml ``replicas: 2`` (with ``podDisruptionBudget.maxUnavailable: 1``)."""
_DURATION = re.compile(r"([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+")
"""A Go duration (Karpenter parses ``expireAfter`` as a ``time.Duration`` unless it is ``Never``)."""


def _document(value: Any) -> Mapping[str, Any] | None:
    from policy.clouds.aws import policy_document

    return policy_document(value)


def _statements(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    from policy.clouds.aws import statements

    return statements(doc)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in as_list(value) if isinstance(v, str)]


def _allows(st: Mapping[str, Any], actions: Sequence[str]) -> list[str]:
    """The ``actions`` an Allow statement grants (by its Action patterns, as IAM matches them; NotAction: all)."""
    from policy.clouds.aws import action_matches

    if st.get("Effect", "Allow") != "Allow":
        return []
    if "NotAction" in st:
        return [a for a in actions if not any(action_matches(p, a) for p in _strings(st.get("NotAction")))]
    return [a for a in actions if any(action_matches(p, a) for p in _strings(st.get("Action")))]


def _permission_docs(res: Resource) -> list[Mapping[str, Any]]:
    """The permission documents of a role policy, a managed policy or a role's inline policies (known ones)."""
    if res.type in (IAM_ROLE_POLICY, IAM_POLICY):
        doc = _document(res.props.get("policy"))
        return [doc] if doc is not None else []
    if res.type == IAM_ROLE:
        docs = [_document(as_map(p).get("policy")) for p in as_list(res.props.get("inlinePolicies"))]
        return [d for d in docs if d is not None]
    return []


def _unknown_policy(res: Resource) -> str | None:
    if res.type in (IAM_ROLE_POLICY, IAM_POLICY) and res.props.get("policy") is UNKNOWN:
        return f"policy {res.name}"
    return None


def _unknown_document(res: Resource) -> str | None:
    if res.type in (IAM_ROLE_POLICY, IAM_POLICY) and res.props.get("policy") is UNKNOWN:
        return f"policy {res.name}"
    if res.type == IAM_ROLE and res.props.get("assumeRolePolicy") is UNKNOWN:
        return f"trust policy of role {res.name}"
    return None


# ------------------------------------------------------------------------------------------------ Route 53


def stack_zones(resources: Sequence[Resource]) -> set[str]:
    """The hosted zone ids the stack names: its cert-manager issuers' route53 solvers (``hostedZoneID``) and its
    external-dns releases' ``--zone-id-filter`` arguments."""
    zones: set[str] = set()
    for r in resources:
        if r.type in (CLUSTER_ISSUER, ISSUER):
            for solver in as_list(r.get("spec.acme.solvers")):
                zone = as_map(as_map(as_map(solver).get("dns01")).get("route53")).get("hostedZoneID")
                if isinstance(zone, str) and zone:
                    zones.add(zone)
        elif r.type == RELEASE and _chart(r) == EXTERNAL_DNS_CHART:
            for arg in _strings(r.get("values.extraArgs")):
                if arg.startswith(ZONE_FILTER) and arg[len(ZONE_FILTER) :]:
                    zones.add(arg[len(ZONE_FILTER) :])
    return zones


def _chart(r: Resource) -> str:
    chart = r.props.get("chart")
    return chart.rsplit("/", 1)[-1] if isinstance(chart, str) else ""


def _external_dns_subjects(resources: Sequence[Resource]) -> set[str]:
    """``system:serviceaccount:<ns>:<sa>`` of each external-dns release: its ``serviceAccount.name`` or, unset, the
    chart's full name, the release name (kubernetes-sigs/external-dns charts/external-dns templates/_helpers.tpl
    ``external-dns.serviceAccountName``)."""
    out = set()
    for r in resources:
        if r.type == RELEASE and _chart(r) == EXTERNAL_DNS_CHART:
            ns = r.props.get("namespace") or "default"
            sa = r.get("values.serviceAccount.name") or r.props.get("name") or EXTERNAL_DNS_CHART
            out.add(f"system:serviceaccount:{ns}:{sa}")
    return out


def _subject(role: Resource) -> Any:
    from policy.clouds.aws import irsa_subject

    doc = _document(role.props.get("assumeRolePolicy"))
    return irsa_subject(doc) if doc is not None else None


def _role_of(policy: Resource, roles: Sequence[Resource]) -> Resource | None:
    if policy.type == IAM_ROLE:
        return policy
    name = policy.props.get("role")
    for role in roles:
        if role.urn in policy.depends_on or (isinstance(name, str) and name and role.props.get("name") == name):
            return role
    return None


def _txt_only(condition: Any) -> bool:
    """True when ``condition`` limits the record types exactly to :data:`CHALLENGE_TYPES` for every record."""
    keys = as_map(as_map(condition).get("ForAllValues:StringEquals"))
    values = _strings(keys.get(RECORD_TYPES_KEY))
    return bool(values) and set(values) <= set(CHALLENGE_TYPES)


def zone_problems(doc: Mapping[str, Any], zones: set[str], *, any_type: bool) -> list[str]:
    """Why a document's ChangeResourceRecordSets grants reach more than the stack's zone (or, unless ``any_type``,
    more than the challenge's TXT records)."""
    problems = []
    for i, st in enumerate(_statements(doc)):
        if not _allows(st, (CHANGE_RECORDS,)):
            continue
        where = f"Statement[{i}]"
        resources = _strings(st.get("Resource"))
        if "NotResource" in st or not resources:
            problems.append(f"{where} grants {CHANGE_RECORDS} without naming the hosted zone")
        for arn in resources:
            m = ZONE_ARN.fullmatch(arn)
            if m is None:
                problems.append(f"{where} grants {CHANGE_RECORDS} on {arn!r}: name the one hosted zone by its id")
            elif zones and m["id"] not in zones:
                problems.append(
                    f"{where} grants {CHANGE_RECORDS} on hosted zone {m['id']}, not the stack's "
                    f"({', '.join(sorted(zones))})"
                )
        if not any_type and not _txt_only(st.get("Condition")):
            problems.append(
                f"{where} grants {CHANGE_RECORDS} without ForAllValues:StringEquals {RECORD_TYPES_KEY} "
                f"{list(CHALLENGE_TYPES)}: every record type of the zone may be changed"
            )
    return problems


def _dns_scoped(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    zones = stack_zones(resources)
    writers = _external_dns_subjects(resources)
    roles = [r for r in resources if r.type == IAM_ROLE]
    for r in resources:
        for doc in _permission_docs(r):
            role = _role_of(r, roles)
            # a role not found or whose trust is known only after deploy: the unknown hook says so, the placeholder
            # rendering judges the record types
            unread = role is None or role.props.get("assumeRolePolicy") is UNKNOWN
            writer = unread or (role is not None and _subject(role) in writers)
            for problem in zone_problems(doc, zones, any_type=writer):
                yield Finding(r.urn, f"{r.name}: {problem}")


# ------------------------------------------------------------------------------------------------ controllers


def cluster_names(resources: Sequence[Resource]) -> set[str]:
    """The names of the stack's EKS clusters (``eks:index:Cluster``/``aws:eks/cluster:Cluster`` ``name``)."""
    return {r.props["name"] for r in resources if r.type in (EKS, AWS_EKS) and isinstance(r.props.get("name"), str)}


def _owned(condition: Any, prefix: str, clusters: set[str]) -> bool:
    """True when ``condition`` has ``StringEquals`` ``<prefix><cluster>: owned`` for one of ``clusters`` (any named
    cluster when the stack names none)."""
    for key, value in as_map(as_map(condition).get("StringEquals")).items():
        if not isinstance(key, str) or not key.startswith(prefix) or _strings(value) != ["owned"]:
            continue
        name = key[len(prefix) :]
        if name in clusters or (not clusters and name and not any(c in name for c in "*?$")):
            return True
    return False


def controller_problems(doc: Mapping[str, Any], clusters: set[str]) -> list[str]:
    """Why a permission document lets a controller act beyond this cluster's resources (see the module doc)."""
    problems = []
    for i, st in enumerate(_statements(doc)):
        where = f"Statement[{i}]"
        cond = st.get("Condition")
        deletes = _allows(st, DELETE_ACTIONS)
        if deletes and not _owned(cond, "aws:ResourceTag/kubernetes.io/cluster/", clusters):
            problems.append(
                f"{where} allows {', '.join(deletes)} without StringEquals aws:ResourceTag/kubernetes.io/cluster/"
                f"<{'|'.join(sorted(clusters)) or 'cluster'}>: owned: other clusters' instances may be terminated"
            )
        if _allows(st, ("iam:PassRole",)):
            passed = _strings(as_map(as_map(cond).get("StringEquals")).get("iam:PassedToService"))
            if not passed or not set(passed) <= set(PASSED_TO):
                problems.append(
                    f"{where} allows iam:PassRole without StringEquals iam:PassedToService {list(PASSED_TO)}: the "
                    "role may be handed to any service"
                )
        scales = _allows(st, ASG_ACTIONS)
        named = bool(_strings(st.get("Resource"))) and not any(
            c in r for r in _strings(st.get("Resource")) for c in "*?"
        )
        if scales and not named and not _owned(cond, "aws:ResourceTag/k8s.io/cluster-autoscaler/", clusters):
            problems.append(
                f"{where} allows {', '.join(scales)} without StringEquals aws:ResourceTag/k8s.io/cluster-autoscaler/"
                f"<{'|'.join(sorted(clusters)) or 'cluster'}>: owned (or named ASG ARNs): other clusters' node "
                "groups may be scaled"
            )
    return problems


def _controllers_scoped(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    clusters = cluster_names(resources)
    for r in resources:
        for doc in _permission_docs(r):
            for problem in controller_problems(doc, clusters):
                yield Finding(r.urn, f"{r.name}: {problem}")


# ------------------------------------------------------------------------------------------------ karpenter, SQS


def _is_karpenter(r: Resource) -> bool:
    return r.type == RELEASE and _chart(r) == "karpenter"


def _karpenter_ha(res: Resource, facts: Facts) -> Iterator[str]:
    if not _is_karpenter(res):
        return
    replicas = res.get("values.replicas", KARPENTER_MIN_REPLICAS)
    if replicas is UNKNOWN:
        return
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < KARPENTER_MIN_REPLICAS:
        yield (
            f"karpenter runs {replicas!r} replica(s): keep the chart's {KARPENTER_MIN_REPLICAS} (its PDB is "
            "maxUnavailable 1), so a standby takes over while one restarts or drains"
        )
    pdb = res.get("values.podDisruptionBudget")
    if pdb is not None and pdb is not UNKNOWN and not as_map(pdb):
        yield "karpenter's podDisruptionBudget is emptied: keep the chart's maxUnavailable 1"


def _queue_encrypted(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type != QUEUE:
        return
    sse, kms = res.props.get("sqsManagedSseEnabled"), res.props.get("kmsMasterKeyId")
    if sse is UNKNOWN or kms is UNKNOWN:
        return
    if sse is not True and not (isinstance(kms, str) and kms):
        yield f"SQS queue {res.name} is not encrypted at rest: set sqsManagedSseEnabled true or a kmsMasterKeyId"


def _is_gpu_pool(res: Resource) -> bool:
    from policy.clouds.aws import _karpenter_is_gpu

    return _karpenter_is_gpu(res)


def _gpu_expiry(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type != KARPENTER_POOL or not _is_gpu_pool(res):
        return
    spec = as_map(res.get("spec.template.spec"))
    expire = spec.get("expireAfter")
    if expire is UNKNOWN or expire is None:
        return
    if not isinstance(expire, str) or not _DURATION.fullmatch(expire):
        yield (
            f"GPU NodePool {res.k8s_name} expireAfter is {expire!r}: give a finite duration (Karpenter's default is "
            "720h) so GPU nodes are replaced onto new AMIs"
        )


_KARPENTER_READS = reading({RELEASE: ("values.replicas", "values.podDisruptionBudget.*")})

RULES: tuple[tuple[str, Rule], ...] = (
    (
        "iam-least-privilege",
        Rule(
            name="aws-dns-records-scoped",
            description=(
                "Route 53 record changes name exactly the stack's hosted zone, and only external-dns may change "
                "other records than TXT (ForAllValues:StringEquals ChangeResourceRecordSetsRecordTypes [TXT])."
            ),
            enforcement="mandatory",
            area="identity",
            applies_to=(IAM_ROLE, IAM_ROLE_POLICY, IAM_POLICY),
            check_stack=_dns_scoped,
            unknown=_unknown_document,
            remediation="Resource arn:aws:route53:::hostedzone/<the stack's zone>; the TXT-only condition",
        ),
    ),
    (
        "iam-least-privilege",
        Rule(
            name="aws-controller-grants-scoped",
            description=(
                "Controller grants stay on this cluster: instance and launch-template deletion under the owned "
                "kubernetes.io/cluster tag, iam:PassRole only to EC2, ASG scaling under the owned "
                "cluster-autoscaler tag (Karpenter v1.14 reference policy; cluster-autoscaler AWS README)."
            ),
            enforcement="mandatory",
            area="identity",
            applies_to=(IAM_ROLE, IAM_ROLE_POLICY, IAM_POLICY),
            check_stack=_controllers_scoped,
            unknown=_unknown_policy,
            remediation="keep the reference policy's conditions on each scoped statement",
        ),
    ),
    (
        "gpu-pool-disruption",
        Rule(
            name="karpenter-controller-ha",
            description="The karpenter controller keeps the chart's 2 replicas and its PodDisruptionBudget.",
            enforcement="mandatory",
            area="cluster",
            applies_to=(RELEASE,),
            check_resource=_karpenter_ha,
            unknown=lambda r: _KARPENTER_READS(r) if _is_karpenter(r) else None,
            remediation="replicas: 2 (chart default)",
        ),
    ),
    (
        "gpu-pool-disruption",
        Rule(
            name="gpu-node-expiry",
            description="A GPU Karpenter NodePool's expireAfter is a finite duration (not Never).",
            enforcement="mandatory",
            area="gpu",
            applies_to=(KARPENTER_POOL,),
            check_resource=_gpu_expiry,
            unknown=reading({KARPENTER_POOL: ("spec.template.spec.expireAfter",)}),
            remediation="expireAfter: 720h",
        ),
    ),
    (
        "kms-key-rotation",
        Rule(
            name="sqs-queue-encrypted",
            description="Every SQS queue is encrypted at rest (sqsManagedSseEnabled true or a kmsMasterKeyId).",
            enforcement="mandatory",
            area="cluster",
            applies_to=(QUEUE,),
            check_resource=_queue_encrypted,
            unknown=reading({QUEUE: ("sqsManagedSseEnabled", "kmsMasterKeyId")}),
            remediation="sqsManagedSseEnabled: true",
        ),
    ),
)
"""AWS's rules of this module, each with the generic rule it is listed after."""
