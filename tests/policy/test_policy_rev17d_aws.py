"""The AWS and node-pool slips of the fourth hostile review of #17 (/work/wt/rev17d-report.md c01, c02, p08, c04, c05,
c06, c07, c08, c09, c11, c12): each rule at its boundaries, over a shipped or cover stack's plan mutated the way the
slip does, and its level pinned. Sources are in policy/clouds/aws.py (its rev17d section) and
policy/rules/nodepools.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from test_policy_mutated_plans import entries, mutate, shipped

from policy.rules import ALL_RULES, Resource, StackSettings, run_rules
from support import cover_plan

NEW = (
    "aws-dns-records-scoped",
    "aws-controller-grants-scoped",
    "karpenter-controller-ha",
    "gpu-node-expiry",
    "sqs-queue-encrypted",
    "system-pool-on-demand",
    "node-selectors-match-pools",
)
ZONE = "Z0123456789ABCDEFGHIJ"
"""The hosted zone of tests/golden_stacks/Pulumi.cover-aws-node-groups.yaml."""


@pytest.mark.parametrize("rule", NEW)
def test_the_new_rules_are_mandatory(rule: str) -> None:
    assert next(r.enforcement for r in ALL_RULES if r.name == rule) == "mandatory"


Plan = tuple[tuple[Resource, ...], StackSettings]


def _plan(stack: str, outputs: str) -> Plan:
    if stack.startswith("cover-"):
        return cover_plan(stack, "fake" if outputs == "fake" else "unknown")
    return shipped(stack, outputs)


def _caught(
    stack: str,
    outputs: str,
    rule: str,
    pick: Callable[[Resource], bool],
    change: Callable[[dict[str, Any]], None],
) -> list[str]:
    """The rule passes on the stack's plan and fails once ``change`` is applied: its messages."""
    resources, settings = _plan(stack, outputs)
    assert all(e["passed"] for e in entries(resources, settings)[rule])
    found = [e["message"] for e in _judge(rule, mutate(resources, pick, change), settings) if not e["passed"]]
    assert found, f"{rule} passed the mutated plan"
    return found


def _judge(
    rule: str, resources: list[Resource] | tuple[Resource, ...], settings: StackSettings
) -> list[dict[str, Any]]:
    """``rule``'s entries over a mutated plan: ``run_rules`` with that rule only (each rule judges the resources on its
    own, policy/rules ``run_rules``), not the whole pack again for one rule's verdict."""
    (chosen,) = [r for r in ALL_RULES if r.name == rule]
    entries_ = run_rules(resources, settings, [chosen])
    assert entries_ and all(e["policy"] == rule for e in entries_), entries_
    return entries_


def _passes(rule: str, resources: list[Resource] | tuple[Resource, ...], settings: StackSettings) -> bool:
    """The rule ran over ``resources`` and every one of its entries passed."""
    return all(e["passed"] for e in _judge(rule, resources, settings))


def _named(type_suffix: str, name: str) -> Callable[[Resource], bool]:
    return lambda r: r.type.endswith(type_suffix) and r.name == name


def _statement(action: str, fn: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """Apply ``fn`` to the one statement of a policy document that grants ``action``."""

    def change(props: dict[str, Any]) -> None:
        doc = json.loads(props["policy"])
        hits = [
            s for s in doc["Statement"] if action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        ]
        assert len(hits) == 1, hits
        fn(hits[0])
        props["policy"] = json.dumps(doc)

    return change


# ---------------------------------------------------------------------------------------- Route 53 (c01 c02 p08)

CM_POLICY = _named(":RolePolicy", "mlplatform-cert-manager-dns-records")
XDNS_POLICY = _named(":RolePolicy", "mlplatform-external-dns-dns-records")
CHANGE = "route53:ChangeResourceRecordSets"


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def fn(st: dict[str, Any]) -> None:
        if value is None:
            st.pop(key, None)
        else:
            st[key] = value

    return fn


@pytest.mark.parametrize("pick", [CM_POLICY, XDNS_POLICY], ids=["cert-manager", "external-dns"])
@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:route53:::hostedzone/*",
        "arn:aws:route53:::hostedzone/ZOTHERZONE0000",
        "*",
        f"arn:aws:route53:::hostedzone/{ZONE}*",
    ],
)
def test_c01_record_changes_beyond_the_stack_zone_fail(pick: Callable[[Resource], bool], resource: str) -> None:
    (msg, *_) = _caught(
        "cover-aws-node-groups", "fake", "aws-dns-records-scoped", pick, _statement(CHANGE, _set("Resource", resource))
    )
    assert CHANGE in msg


@pytest.mark.parametrize(
    "condition",
    [
        None,
        {"ForAnyValue:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]}},
        {"ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": ["TXT", "A"]}},
        {"ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": []}},
        {"ForAllValues:StringLike": {"route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]}},
    ],
    ids=["none (p08)", "ForAnyValue (c02)", "TXT+A", "empty", "StringLike"],
)
def test_c02_p08_cert_manager_without_the_txt_only_condition_fails(condition: Any) -> None:
    (msg,) = _caught(
        "cover-aws-node-groups",
        "fake",
        "aws-dns-records-scoped",
        CM_POLICY,
        _statement(CHANGE, _set("Condition", condition)),
    )
    assert "TXT" in msg


def test_the_txt_only_condition_and_external_dns_without_it_pass() -> None:
    """Boundary: external-dns (the external-dns chart's ServiceAccount) writes A/CNAME records and needs no type
    condition; cert-manager's own role with exactly [TXT] passes."""
    from policy.clouds import aws as aws_scoped

    resources, settings = _plan("cover-aws-node-groups", "fake")
    assert all(e["passed"] for e in entries(resources, settings)["aws-dns-records-scoped"])
    docs = {r.name: json.loads(r.props["policy"]) for r in resources if CM_POLICY(r) or XDNS_POLICY(r)}
    assert aws_scoped.zone_problems(docs["mlplatform-cert-manager-dns-records"], {ZONE}, any_type=False) == []
    assert aws_scoped.zone_problems(docs["mlplatform-external-dns-dns-records"], {ZONE}, any_type=True) == []
    assert aws_scoped.zone_problems(docs["mlplatform-external-dns-dns-records"], {ZONE}, any_type=False)
    assert aws_scoped.stack_zones(list(resources)) == {ZONE}


# ------------------------------------------------------------------------------------- controllers (c05 c06 c09)

KARPENTER_POLICY = _named(":RolePolicy", "mlplatform-karpenter-controller-policy")
REFERENCE = "Karpenter's reference policy puts on them"
"""fix17l: aws-controller-grants-scoped also compares each Karpenter statement with the reference policy (rev17k 05);
its lines are tested in test_policy_fix17l.py. Here the rule's own scoping lines are read, and a slip that alters a
reference condition must be reported by the comparison too."""


def _own(found: list[str], *, reference: bool = True) -> list[str]:
    """The rule's lines other than the reference comparison's; asserts the comparison reported one when
    ``reference``."""
    assert sum(REFERENCE in m for m in found) == (1 if reference else 0), found
    return [m for m in found if REFERENCE not in m]


CA_POLICY = _named(":RolePolicy", "mlplatform-cluster-autoscaler-policy")


def _condition(op: str, key: str | None, value: Any) -> Callable[[dict[str, Any]], None]:
    def fn(st: dict[str, Any]) -> None:
        cond = st.setdefault("Condition", {})
        block = cond.setdefault(op, {})
        if key is None:
            cond.pop(op)
            return
        for k in [k for k in block if k.startswith(key.rsplit("/", 1)[0])]:
            del block[k]
        if value is not None:
            block[key] = value
        if not block:
            cond.pop(op)

    return fn


@pytest.mark.parametrize(
    "fn",
    [
        _condition("StringEquals", "aws:ResourceTag/kubernetes.io/cluster/mlp-aws-dev", None),
        _condition("StringEquals", "aws:ResourceTag/kubernetes.io/cluster/mlp-other", "owned"),
        _condition("StringEquals", "aws:ResourceTag/kubernetes.io/cluster/mlp-aws-dev", "shared"),
        _condition("StringEquals", "aws:ResourceTag/kubernetes.io/cluster/*", "owned"),
    ],
    ids=["dropped (c05)", "other cluster", "shared", "wildcard"],
)
def test_c05_karpenter_deletion_beyond_the_owned_cluster_fails(fn: Callable[[dict[str, Any]], None]) -> None:
    change = _statement("ec2:TerminateInstances", fn)
    (msg,) = _own(_caught("aws-dev", "fake", "aws-controller-grants-scoped", KARPENTER_POLICY, change))
    assert "ec2:TerminateInstances" in msg and "mlp-aws-dev" in msg


@pytest.mark.parametrize(
    "passed",
    [None, ["ec2.amazonaws.com", "eks.amazonaws.com"], ["*"], []],
    ids=["dropped (c06)", "another service", "wildcard", "empty"],
)
def test_c06_passrole_to_other_services_fails(passed: Any) -> None:
    fn = _condition("StringEquals", "iam:PassedToService", passed)
    (msg,) = _own(
        _caught("aws-dev", "fake", "aws-controller-grants-scoped", KARPENTER_POLICY, _statement("iam:PassRole", fn))
    )
    assert "iam:PassedToService" in msg


def test_c06_passrole_to_ec2_only_passes() -> None:
    from policy.clouds import aws as aws_scoped

    doc = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": "arn:aws:iam::123456789012:role/n",
                "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
            }
        ]
    }
    assert aws_scoped.controller_problems(doc, {"c"}) == []


@pytest.mark.parametrize(
    "fn",
    [
        _condition("StringEquals", "aws:ResourceTag/k8s.io/cluster-autoscaler/mlp-cover-ng", None),
        _condition("StringEquals", "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled", "true"),
        _condition("StringEquals", "aws:ResourceTag/k8s.io/cluster-autoscaler/mlp-other", "owned"),
    ],
    ids=["dropped", "enabled tag (c09)", "other cluster"],
)
def test_c09_autoscaler_scaling_beyond_the_owned_cluster_fails(fn: Callable[[dict[str, Any]], None]) -> None:
    (msg,) = _caught(
        "cover-aws-node-groups",
        "fake",
        "aws-controller-grants-scoped",
        CA_POLICY,
        _statement("autoscaling:SetDesiredCapacity", fn),
    )
    assert "autoscaling:SetDesiredCapacity" in msg


def test_c09_named_asg_arns_pass() -> None:
    """Boundary: the README's other way, named ASG ARNs, needs no tag condition."""
    from policy.clouds import aws as aws_scoped

    arn = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/ng-1"
    doc = {"Statement": [{"Effect": "Allow", "Action": ["autoscaling:SetDesiredCapacity"], "Resource": arn}]}
    assert aws_scoped.controller_problems(doc, {"c"}) == []
    doc["Statement"][0]["Resource"] = "*"
    assert aws_scoped.controller_problems(doc, {"c"})


# ---------------------------------------------------------------------------------- karpenter, SQS (c04 c07 c08)

OUTPUTS = ("unknown", "fake")
KARPENTER = _named(":Release", "mlplatform-karpenter")
GPU_POOL = _named(":NodePool", "mlplatform-nodepool-l4")
QUEUE = _named(":Queue", "mlplatform-karpenter-interruption")


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize("replicas", [1, 0, "2"])
def test_c07_one_karpenter_replica_fails(outputs: str, replicas: Any) -> None:
    (msg,) = _caught(
        "aws-dev",
        outputs,
        "karpenter-controller-ha",
        KARPENTER,
        lambda p: p["values"].__setitem__("replicas", replicas),
    )
    assert "replica" in msg


def test_c07_chart_default_and_more_replicas_pass() -> None:
    resources, settings = _plan("aws-dev", "fake")
    for change in (lambda p: p["values"].pop("replicas"), lambda p: p["values"].__setitem__("replicas", 3)):
        assert _passes("karpenter-controller-ha", mutate(resources, KARPENTER, change), settings)


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize("expire", ["Never", "", "forever", 720])
def test_c04_gpu_nodes_that_never_expire_fail(outputs: str, expire: Any) -> None:
    def change(p: dict[str, Any]) -> None:
        p["spec"]["template"]["spec"]["expireAfter"] = expire

    (msg,) = _caught("aws-dev", outputs, "gpu-node-expiry", GPU_POOL, change)
    assert "expireAfter" in msg


@pytest.mark.parametrize("expire", [None, "720h", "168h30m", "1.5h"])
def test_c04_finite_or_default_expiry_passes(expire: Any) -> None:
    resources, settings = _plan("aws-dev", "fake")

    def change(p: dict[str, Any]) -> None:
        spec = p["spec"]["template"]["spec"]
        spec.pop("expireAfter")
        if expire is not None:
            spec["expireAfter"] = expire

    assert _passes("gpu-node-expiry", mutate(resources, GPU_POOL, change), settings)


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize("sse", [False, None])
def test_c08_unencrypted_queue_fails(outputs: str, sse: Any) -> None:
    def change(p: dict[str, Any]) -> None:
        p.pop("sqsManagedSseEnabled")
        if sse is not None:
            p["sqsManagedSseEnabled"] = sse

    (msg,) = _caught("aws-dev", outputs, "sqs-queue-encrypted", QUEUE, change)
    assert "not encrypted" in msg


def test_c08_a_kms_key_instead_passes() -> None:
    resources, settings = _plan("aws-dev", "fake")

    def change(p: dict[str, Any]) -> None:
        p["sqsManagedSseEnabled"] = False
        p["kmsMasterKeyId"] = "alias/aws/sqs"

    assert _passes("sqs-queue-encrypted", mutate(resources, QUEUE, change), settings)


# ---------------------------------------------------------------------------------------- system pool (c11 c12)


def EKS_SYSTEM(r: Resource) -> bool:
    """The EKS system node group (the pulumi-eks component and its aws:eks/nodeGroup child)."""
    return r.name == "mlplatform-system" and r.type in ("eks:index:ManagedNodeGroup", "aws:eks/nodeGroup:NodeGroup")


GKE_SYSTEM = _named("nodePool:NodePool", "mlplatform-system")
AKS = _named(":ManagedCluster", "mlplatform-aks")


def _aks_system(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(p: dict[str, Any]) -> None:
        (system,) = [x for x in p["agentPoolProfiles"] if x.get("mode") == "System"]
        if value is None:
            system.pop(key, None)
        else:
            system[key] = value

    return change


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize(
    ("stack", "pick", "change"),
    [
        ("aws-dev", EKS_SYSTEM, lambda p: p.__setitem__("capacityType", "SPOT")),
        ("cover-aws-node-groups", EKS_SYSTEM, lambda p: p.__setitem__("capacityType", "SPOT")),
        ("gcp-prod", GKE_SYSTEM, lambda p: p["nodeConfig"].__setitem__("spot", True)),
        ("gcp-prod", GKE_SYSTEM, lambda p: p["nodeConfig"].__setitem__("preemptible", True)),
        ("azure-staging", AKS, _aks_system("scaleSetPriority", "Spot")),
    ],
    ids=["eks (c11)", "eks-cover", "gke-spot", "gke-preemptible", "aks-spot"],
)
def test_c11_a_spot_system_pool_fails(
    outputs: str, stack: str, pick: Callable[[Resource], bool], change: Callable[[dict[str, Any]], None]
) -> None:
    msgs = _caught(stack, outputs, "system-pool-on-demand", pick, change)
    assert all("system pool" in m for m in msgs)


def test_c11_on_demand_or_unset_capacity_passes_and_gpu_spot_is_allowed() -> None:
    """Boundary: ON_DEMAND and unset (EKS's default) pass; aws-dev's GPU NodePool is spot and passes."""
    resources, settings = _plan("aws-dev", "fake")
    assert all(e["passed"] for e in entries(resources, settings)["system-pool-on-demand"])
    unset = mutate(resources, EKS_SYSTEM, lambda p: p.pop("capacityType", None))
    assert _passes("system-pool-on-demand", unset, settings)


def _drop_labels(p: dict[str, Any]) -> None:
    p.pop("labels")


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize(
    ("stack", "pick", "change"),
    [
        ("aws-dev", EKS_SYSTEM, _drop_labels),
        ("cover-aws-node-groups", EKS_SYSTEM, lambda p: p.__setitem__("labels", {"mlplatform.io/pool": "sys"})),
        ("gcp-prod", GKE_SYSTEM, lambda p: p["nodeConfig"].pop("labels")),
        ("azure-staging", AKS, _aks_system("nodeLabels", None)),
    ],
    ids=["eks (c12)", "eks-cover-renamed", "gke", "aks"],
)
def test_c12_a_system_pool_without_its_label_fails(
    outputs: str, stack: str, pick: Callable[[Resource], bool], change: Callable[[dict[str, Any]], None]
) -> None:
    msgs = _caught(stack, outputs, "node-selectors-match-pools", pick, change)
    assert any("mlplatform.io/pool=system" in m for m in msgs)


def test_c12_kubelet_labels_and_pool_labels_are_met() -> None:
    """Boundary: kubernetes.io/os=linux is the kubelet's; a selector on an unknown key or a Windows node fails."""
    from policy.rules import nodepools

    labels = {"mlplatform.io/pool": "system"}
    assert nodepools._met({"kubernetes.io/os": "linux", "mlplatform.io/pool": "system"}, labels)
    assert not nodepools._met({"kubernetes.io/os": "windows", "mlplatform.io/pool": "system"}, labels)
    assert not nodepools._met({"mlplatform.io/pool": "system", "tier": "x"}, labels)
