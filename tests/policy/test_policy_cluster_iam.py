"""The cluster and IAM rules of issue #17: ``cluster-network-policy``, ``cluster-hardening`` and
``iam-least-privilege``.

Boundary cases run through the pure rule and through the CrossGuard policy object (the two must agree, as in
test_policy_rules.py); then each rule runs over a shipped stack's real plan mutated the way it guards against, and
over a saved plan through ``mlplatform check``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_policy_mutated_plans import entries, failed, mutate, named, shipped
from test_policy_rules import Case, crossguard_messages, one, rule_messages

from components.plan.cli import EXIT_POLICY, main
from policy.rules import UNKNOWN, Facts, Resource
from support import saved_plan

NETPOL, HARDEN, IAM = "cluster-network-policy", "cluster-hardening", "iam-least-privilege"
EKS, VPC_CNI, ADDON = "eks:index:Cluster", "eks:index:VpcCniAddon", "aws:eks/addon:Addon"
GKE, GKE_POOL = "gcp:container/cluster:Cluster", "gcp:container/nodePool:NodePool"
AKS, AKS_POOL, VAULT = (
    "azure-native:containerservice:ManagedCluster",
    "azure-native:containerservice:AgentPool",
    "azure-native:keyvault:Vault",
)
LT, NODE_CLASS = "aws:ec2/launchTemplate:LaunchTemplate", "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
PROJECT_MEMBER, RA = "gcp:projects/iAMMember:IAMMember", "azure-native:authorization:RoleAssignment"
PROD = Facts(environment="prod")

OIDC = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
IRSA_CONDITION = {
    "StringEquals": {
        f"{ISSUER}:sub": "system:serviceaccount:kube-system:karpenter",
        f"{ISSUER}:aud": "sts.amazonaws.com",
    }
}
WEB = "sts:AssumeRoleWithWebIdentity"
NODE_ROLE_ARN = "arn:aws:iam::123456789012:role/mlp-aws-dev-karpenter-node"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
OWNER, CONTRIBUTOR, UAA = (
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
)
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any, **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def trust(principal: Any, action: str = "sts:AssumeRole", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **more}


def role_def(guid: str) -> str:
    return f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def ebs(encrypted: Any) -> list[dict[str, Any]]:
    return [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 100, "encrypted": encrypted}}]


def node_class(**spec: Any) -> dict[str, Any]:
    base = {"associatePublicIPAddress": False, "blockDeviceMappings": ebs(True)}
    return {"metadata": {"name": "l4"}, "spec": {**base, **spec}}


SECURE_POOL = {"nodeConfig": {"shieldedInstanceConfig": {"enableSecureBoot": True}, "imageType": "COS_CONTAINERD"}}
GKE_OK = {
    "datapathProvider": "ADVANCED_DATAPATH",
    "privateClusterConfig": {"enablePrivateNodes": True},
    "enableLegacyAbac": False,
    "enableShieldedNodes": True,
    "masterAuth": {"clientCertificateConfig": {"issueClientCertificate": False}},
    "deletionProtection": True,
}
VAULT_OK = {"properties": {"enableRbacAuthorization": True, "enablePurgeProtection": True}}


def gke(**changes: Any) -> dict[str, Any]:
    return {**GKE_OK, **changes}


CASES: list[Case] = [
    # ---- cluster-network-policy: EKS (pulumi-eks arguments, its VpcCniAddon child, the vpc-cni Addon)
    one(NETPOL, EKS, {"vpcCniOptions": {"enableNetworkPolicy": True}}),
    one(NETPOL, EKS, {"vpcCniOptions": {"enableNetworkPolicy": False}}, "enableNetworkPolicy is False"),
    one(NETPOL, EKS, {"vpcCniOptions": {}}, "enableNetworkPolicy is None"),
    one(NETPOL, EKS, {}, "enableNetworkPolicy is None"),
    one(NETPOL, EKS, {"vpcCniOptions": UNKNOWN}),
    # configurationValues win over the flag, as pulumi-eks merges them
    one(
        NETPOL,
        EKS,
        {"vpcCniOptions": {"enableNetworkPolicy": True, "configurationValues": {"enableNetworkPolicy": "false"}}},
        "enableNetworkPolicy is 'false'",
    ),
    one(NETPOL, EKS, {"vpcCniOptions": {"configurationValues": {"enableNetworkPolicy": "true"}}}),
    one(NETPOL, EKS, {"useDefaultVpcCni": True, "vpcCniOptions": {"enableNetworkPolicy": True}}, "useDefaultVpcCni"),
    one(NETPOL, VPC_CNI, {"enableNetworkPolicy": True}),
    one(NETPOL, VPC_CNI, {"enableNetworkPolicy": False}, "the vpc-cni add-on's enableNetworkPolicy"),
    one(NETPOL, ADDON, {"addonName": "vpc-cni", "configurationValues": json.dumps({"enableNetworkPolicy": "true"})}),
    one(
        NETPOL,
        ADDON,
        {"addonName": "vpc-cni", "configurationValues": json.dumps({"enableNetworkPolicy": "false", "env": {}})},
        "configurationValues.enableNetworkPolicy is 'false'",
    ),
    one(NETPOL, ADDON, {"addonName": "vpc-cni", "configurationValues": json.dumps({"env": {}})}, "is None"),
    one(NETPOL, ADDON, {"addonName": "vpc-cni"}),  # the plan does not model configurationValues: the Cluster judges
    one(NETPOL, ADDON, {"addonName": "coredns", "configurationValues": "{}"}),
    # GKE: Dataplane V2, or the Calico network policy with its add-on on
    one(NETPOL, GKE, {"datapathProvider": "ADVANCED_DATAPATH"}),
    one(NETPOL, GKE, {"datapathProvider": "LEGACY_DATAPATH"}, "datapathProvider is LEGACY_DATAPATH"),
    one(NETPOL, GKE, {}, "unset (LEGACY_DATAPATH)"),
    one(NETPOL, GKE, {"networkPolicy": {"enabled": True, "provider": "CALICO"}}),
    one(
        NETPOL,
        GKE,
        {"networkPolicy": {"enabled": True}, "addonsConfig": {"networkPolicyConfig": {"disabled": True}}},
        "networkPolicy is not enabled",
    ),
    one(NETPOL, GKE, {"networkPolicy": {"enabled": False}}, "networkPolicy is not enabled"),
    # AKS
    one(NETPOL, AKS, {"networkProfile": {"networkPolicy": "cilium", "networkDataplane": "cilium"}}),
    one(NETPOL, AKS, {"networkProfile": {"networkPolicy": "azure"}}),
    one(NETPOL, AKS, {"networkProfile": {"networkPolicy": "none"}}, "networkPolicy is none"),
    one(NETPOL, AKS, {"networkProfile": {}}, "unset (none)"),
    one(NETPOL, AKS, {"networkProfile": {"networkPolicy": "cilium", "networkDataplane": "azure"}}, "networkDataplane"),
    one(NETPOL, AKS, {"networkProfile": UNKNOWN}),
    # ---- cluster-hardening: GKE
    one(HARDEN, GKE, GKE_OK),
    one(HARDEN, GKE, gke(enableLegacyAbac=True), "legacy ABAC"),
    one(HARDEN, GKE, gke(masterAuth={"clientCertificateConfig": {"issueClientCertificate": True}}), "client cert"),
    one(HARDEN, GKE, gke(privateClusterConfig={"enablePrivateNodes": False}), "enablePrivateNodes"),
    one(HARDEN, GKE, gke(privateClusterConfig={}), "enablePrivateNodes"),
    one(HARDEN, GKE, gke(privateClusterConfig=UNKNOWN)),
    one(HARDEN, GKE, gke(enableShieldedNodes=False), "Shielded Nodes"),
    one(HARDEN, GKE, {k: v for k, v in GKE_OK.items() if k != "enableShieldedNodes"}),  # default true
    one(HARDEN, GKE, gke(deletionProtection=False)),  # dev: protection is prod-protect-stateful's matter
    one(HARDEN, GKE, gke(deletionProtection=False), "deletionProtection is false on a prod", facts=PROD),
    one(HARDEN, GKE_POOL, SECURE_POOL),
    one(HARDEN, GKE_POOL, {"nodeConfig": {"shieldedInstanceConfig": {"enableSecureBoot": False}}}, "Secure Boot"),
    one(HARDEN, GKE_POOL, {"nodeConfig": {}}, "Secure Boot"),
    one(HARDEN, GKE_POOL, {"nodeConfig": UNKNOWN}),
    # EKS
    one(HARDEN, EKS, {"nodeAssociatePublicIpAddress": False, "authenticationMode": "API"}),
    one(HARDEN, EKS, {"nodeAssociatePublicIpAddress": True}, "public IPs"),
    one(HARDEN, EKS, {}, "pulumi-eks defaults to true"),
    one(HARDEN, EKS, {"nodeAssociatePublicIpAddress": False, "authenticationMode": "API", "deletionProtection": False}),
    one(HARDEN, EKS, {"nodeAssociatePublicIpAddress": False, "deletionProtection": False}, "prod", facts=PROD),
    one(HARDEN, "aws:eks/cluster:Cluster", {"deletionProtection": False}, "prod stack", facts=PROD),
    one(HARDEN, LT, {"blockDeviceMappings": ebs("true")}),
    one(HARDEN, LT, {"blockDeviceMappings": ebs("false")}, "volumes not encrypted: /dev/xvda"),
    one(HARDEN, LT, {"blockDeviceMappings": ebs(None)}, "volumes not encrypted"),
    one(HARDEN, LT, {"blockDeviceMappings": ebs(UNKNOWN)}),
    one(
        HARDEN,
        LT,
        {"blockDeviceMappings": ebs("true"), "networkInterfaces": [{"associatePublicIpAddress": "true"}]},
        "public IP",
    ),
    one(HARDEN, LT, {"blockDeviceMappings": ebs("true"), "networkInterfaces": [{"associatePublicIpAddress": "false"}]}),
    one(HARDEN, NODE_CLASS, node_class()),
    one(HARDEN, NODE_CLASS, node_class(associatePublicIPAddress=True), "public IPs"),
    one(HARDEN, NODE_CLASS, {"spec": {"blockDeviceMappings": ebs(True)}}, "associatePublicIPAddress false"),
    one(HARDEN, NODE_CLASS, node_class(blockDeviceMappings=ebs(False)), "volumes not encrypted"),
    # AKS
    one(
        HARDEN,
        AKS,
        {
            "agentPoolProfiles": [{"name": "system", "enableNodePublicIP": False}],
            "autoUpgradeProfile": {"upgradeChannel": "patch"},
            "addonProfiles": {"azurepolicy": {"enabled": True}},
            "securityProfile": {"imageCleaner": {"enabled": True, "intervalHours": 168}},
        },
    ),
    one(HARDEN, AKS, {"agentPoolProfiles": [{"name": "system", "enableNodePublicIP": True}]}, "pool system"),
    one(HARDEN, AKS_POOL, {"enableNodePublicIP": False}),
    one(HARDEN, AKS_POOL, {"enableNodePublicIP": True}, "public IP"),
    one(HARDEN, VAULT, VAULT_OK),
    one(HARDEN, VAULT, {"properties": {"enablePurgeProtection": True}}, "enableRbacAuthorization true"),
    one(HARDEN, VAULT, {"properties": {**VAULT_OK["properties"], "enableRbacAuthorization": False}}, "access polic"),
    one(HARDEN, VAULT, {"properties": {"enableRbacAuthorization": True}}, "purge protection"),
    # ---- iam-least-privilege: AWS trust and resource policies
    one(IAM, ROLE, {"assumeRolePolicy": doc(trust({"Service": "ec2.amazonaws.com"}))}),
    one(IAM, ROLE, {"assumeRolePolicy": doc(trust("*"))}, "Principal *"),
    one(IAM, ROLE, {"assumeRolePolicy": doc(trust({"AWS": "*"}))}, "Principal *"),
    one(IAM, ROLE, {"assumeRolePolicy": doc(trust({"AWS": ["arn:aws:iam::123456789012:root", "*"]}))}, "Principal *"),
    one(IAM, ROLE, {"assumeRolePolicy": doc(trust({"AWS": "arn:aws:iam::123456789012:root"}))}),
    one(IAM, ROLE, {"assumeRolePolicy": doc({**trust("*"), "Effect": "Deny"})}),
    one(
        IAM,
        ROLE,
        {"assumeRolePolicy": doc(trust({"Federated": OIDC}, WEB, Condition=IRSA_CONDITION))},
    ),
    one(
        IAM,
        ROLE,
        {"assumeRolePolicy": doc(trust({"Federated": OIDC}, WEB))},
        "without a Condition",
    ),
    one(
        IAM,
        ROLE,
        {"assumeRolePolicy": doc(trust({"Federated": OIDC}, WEB, Condition={}))},
        "without a Condition",
    ),
    one(IAM, ROLE, {"assumeRolePolicy": UNKNOWN}),
    one(
        IAM,
        QUEUE_POLICY,
        {
            "policy": doc(
                {
                    **allow("sqs:*", "arn:aws:sqs:us-east-1:1:q"),
                    "Effect": "Deny",
                    "Principal": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            )
        },
    ),
    one(IAM, QUEUE_POLICY, {"policy": doc({**allow("sqs:SendMessage", "arn:aws:sqs:::q"), "Principal": "*"})}, "*"),
    # permission policies: PassRole and service-wide actions
    one(IAM, ROLE_POLICY, {"policy": doc(allow("iam:PassRole", NODE_ROLE_ARN))}),
    one(IAM, ROLE_POLICY, {"policy": doc(allow("iam:PassRole", "*"))}, "iam:PassRole on *"),
    one(IAM, ROLE_POLICY, {"policy": doc(allow("IAM:pass*", "*"))}, "iam:PassRole on *"),
    one(IAM, ROLE_POLICY, {"policy": doc(allow("iam:PassRole", "arn:aws:iam::123456789012:role/*"))}, "PassRole"),
    one(IAM, ROLE_POLICY, {"policy": doc(allow("iam:PassRole", "arn:aws:iam::*:role/mlp-node"))}, "PassRole"),
    one(IAM, ROLE_POLICY, {"policy": doc(allow("iam:PassRole", "arn:aws:iam::123456789012:role/mlp-node"))}),
    one(IAM, ROLE_POLICY, {"policy": doc(allow("s3:GetObject", "arn:aws:s3:::b/p/*"))}),  # not a role ARN
    one(IAM, ROLE_POLICY, {"policy": doc(allow("*", "*"))}, "allows * on every resource"),
    one(IAM, ROLE_POLICY, {"policy": doc(allow(["ec2:DescribeImages", "ec2:*"], "*"))}, "allows ec2:*"),
    one(IAM, ROLE_POLICY, {"policy": doc(allow("ec2:*", "arn:aws:ec2:us-east-1:1:instance/i-1"))}),
    one(IAM, ROLE_POLICY, {"policy": doc(allow(["ec2:DescribeImages", "pricing:GetProducts"], "*"))}),
    one(IAM, ROLE_POLICY, {"policy": doc(allow("ec2:Describe*", "*"))}),  # a named read family, as Karpenter's
    one(IAM, ROLE_POLICY, {"policy": doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})}, "NotAction"),
    one(IAM, ROLE_POLICY, {"policy": doc({**allow("ec2:*", "*"), "Effect": "Deny"})}),
    one(IAM, ROLE, {"inlinePolicies": [{"name": "x", "policy": doc(allow("*", "*"))}]}, "inline policy"),
    # Google Cloud
    one(IAM, PROJECT_MEMBER, {"role": "roles/logging.logWriter", "member": "serviceAccount:n@p.iam"}),
    one(IAM, PROJECT_MEMBER, {"role": "roles/dns.reader", "member": "serviceAccount:d@p.iam"}),
    one(IAM, PROJECT_MEMBER, {"role": "roles/editor", "member": "serviceAccount:n@p.iam"}, "basic role roles/editor"),
    one(IAM, PROJECT_MEMBER, {"role": "roles/viewer", "member": "serviceAccount:n@p.iam"}, "basic role"),
    one(IAM, PROJECT_MEMBER, {"role": "roles/container.admin", "member": "serviceAccount:n@p.iam"}, "whole project"),
    one(IAM, PROJECT_MEMBER, {"role": "roles/storage.admin", "member": "serviceAccount:n@p.iam"}),  # storage rule's
    one(IAM, "gcp:serviceaccount/iAMMember:IAMMember", {"role": "roles/owner", "member": "user:a@b"}, "roles/owner"),
    one(IAM, "gcp:serviceaccount/iAMMember:IAMMember", {"role": "roles/iam.workloadIdentityUser", "member": "x"}),
    one(IAM, "gcp:storage/bucketIAMMember:BucketIAMMember", {"role": "roles/editor", "member": "x"}, "basic role"),
    # Azure
    one(IAM, RA, {"roleDefinitionId": role_def(OWNER), "scope": SUB}, "assigns Owner"),
    one(IAM, RA, {"roleDefinitionId": role_def(CONTRIBUTOR), "scope": f"{SUB}/resourceGroups/rg"}, "Contributor"),
    one(IAM, RA, {"roleDefinitionId": role_def(UAA), "scope": f"{SUB}/resourceGroups/rg/"}, "User Access Admin"),
    one(IAM, RA, {"roleDefinitionId": role_def(OWNER), "scope": "/"}, "Owner"),
    one(
        IAM,
        RA,
        {"roleDefinitionId": role_def(OWNER), "scope": "/providers/Microsoft.Management/managementGroups/mg"},
        "Owner",
    ),
    one(
        IAM,
        RA,
        {"roleDefinitionId": role_def(CONTRIBUTOR), "scope": f"{SUB}/resourceGroups/rg/providers/x/y/z"},
    ),  # one resource: narrower roles are the component's matter, not this rule's
    one(IAM, RA, {"roleDefinitionId": role_def(NETWORK_CONTRIBUTOR), "scope": f"{SUB}/resourceGroups/rg"}),
    one(IAM, RA, {"roleDefinitionId": role_def(OWNER), "scope": UNKNOWN}),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c.id}" for i, c in enumerate(CASES)])
def test_rule(case: Case) -> None:
    pure = rule_messages(case)
    assert crossguard_messages(case) == pure
    if not case.expect:
        assert pure == []
    else:
        joined = "\n".join(pure)
        for fragment in case.expect:
            assert fragment in joined, pure


def test_every_new_rule_has_passing_and_failing_cases() -> None:
    covered = {(c.rule, bool(c.expect)) for c in CASES}
    for rule in (NETPOL, HARDEN, IAM):
        assert {(rule, True), (rule, False)} <= covered


def test_unknown_documents_are_named_not_passed() -> None:
    from policy.rules import ALL_RULES

    rule = next(r for r in ALL_RULES if r.name == IAM)
    res = [Resource(ROLE, "node-role", "urn:x", {"assumeRolePolicy": UNKNOWN})]
    assert "trust policy of role node-role" in rule.unchecked(res)


# ------------------------------------------------------------------------------------------------ real plans


def caught(
    stack: str, rule: str, pick: Callable[[Resource], bool], change: Callable[[dict[str, Any]], None], fragment: str
) -> dict[str, list[str]]:
    """``rule`` passes on the shipped plan (every document seen) and fails with ``fragment`` after the change."""
    resources, settings = shipped(stack)
    base = entries(resources, settings)[rule]
    assert all(e["passed"] for e in base), base
    assert not any(e.get("unchecked") for e in base), base
    found = failed(mutate(resources, pick, change), settings, stack)
    assert rule in found, found
    assert any(fragment in m for m in found[rule]), found[rule]
    return found


def only(
    stack: str, rule: str, pick: Callable[[Resource], bool], change: Callable[[dict[str, Any]], None], fragment: str
) -> None:
    found = caught(stack, rule, pick, change, fragment)
    assert list(found) == [rule], found


def edit_json(key: str, fn: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        d = json.loads(props[key])
        fn(d)
        props[key] = json.dumps(d)

    return change


def sid(d: dict[str, Any], name: str) -> dict[str, Any]:
    st: dict[str, Any] = next(s for s in d["Statement"] if s.get("Sid") == name)
    return st


def setter(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        *head, last = path.split(".")
        cur = props
        for k in head:
            cur = cur[k]
        cur[last] = value

    return change


MUTATED: list[tuple[str, str, str, str, str, Any, str]] = [
    # (stack, rule, type suffix, name, path, value, fragment)
    ("aws-dev", NETPOL, EKS, "mlplatform-eks", "vpcCniOptions.enableNetworkPolicy", False, "is False"),
    ("aws-dev", NETPOL, VPC_CNI, "mlplatform-eks-vpc-cni", "enableNetworkPolicy", False, "vpc-cni add-on"),
    ("gcp-prod", NETPOL, GKE, "mlplatform-gke", "datapathProvider", "LEGACY_DATAPATH", "LEGACY_DATAPATH"),
    ("azure-staging", NETPOL, AKS, "mlplatform-aks", "networkProfile.networkPolicy", "none", "networkPolicy is none"),
    ("gcp-prod", HARDEN, GKE, "mlplatform-gke", "enableLegacyAbac", True, "legacy ABAC"),
    (
        "gcp-prod", HARDEN, GKE, "mlplatform-gke", "masterAuth.clientCertificateConfig.issueClientCertificate", True,
        "client certificate",
    ),
    ("gcp-prod", HARDEN, GKE, "mlplatform-gke", "privateClusterConfig.enablePrivateNodes", False, "public IPs"),
    ("gcp-prod", HARDEN, GKE, "mlplatform-gke", "enableShieldedNodes", False, "Shielded Nodes"),
    ("gcp-prod", HARDEN, GKE, "mlplatform-gke", "deletionProtection", False, "prod stack"),
    (
        "gcp-prod", HARDEN, GKE_POOL, "mlplatform-gpu-l4", "nodeConfig.shieldedInstanceConfig.enableSecureBoot", False,
        "Secure Boot",
    ),
    ("aws-dev", HARDEN, EKS, "mlplatform-eks", "nodeAssociatePublicIpAddress", True, "public IPs"),
    ("aws-dev", HARDEN, NODE_CLASS, "mlplatform-nodeclass-l4", "spec.associatePublicIPAddress", True, "public"),
    ("azure-staging", HARDEN, AKS_POOL, "mlplatform-gpu-t4", "enableNodePublicIP", True, "public IP"),
    ("azure-staging", HARDEN, VAULT, "mlplatform-vault", "properties.enableRbacAuthorization", False, "access polic"),
    ("azure-staging", HARDEN, VAULT, "mlplatform-vault", "properties.enablePurgeProtection", False, "purge"),
    ("gcp-prod", IAM, PROJECT_MEMBER, "mlplatform-nodes-logging-logwriter", "role", "roles/editor", "basic role"),
    ("gcp-prod", IAM, PROJECT_MEMBER, "mlplatform-nodes-monitoring-viewer", "role", "roles/container.admin", "project"),
]  # fmt: skip


@pytest.mark.parametrize(("stack", "rule", "type_", "name", "path", "value", "fragment"), MUTATED)
def test_rule_over_a_mutated_shipped_plan(
    stack: str, rule: str, type_: str, name: str, path: str, value: Any, fragment: str
) -> None:
    only(stack, rule, named(type_, name), setter(path, value), fragment)


def test_launch_template_volume_unencrypted_aws_dev() -> None:
    def change(props: dict[str, Any]) -> None:
        props["blockDeviceMappings"][0]["ebs"]["encrypted"] = "false"

    only("aws-dev", HARDEN, named(LT, "mlplatform-system-lt"), change, "volumes not encrypted")


def test_karpenter_volume_unencrypted_aws_dev() -> None:
    def change(props: dict[str, Any]) -> None:
        props["spec"]["blockDeviceMappings"][0]["ebs"]["encrypted"] = False

    only("aws-dev", HARDEN, named(NODE_CLASS, "mlplatform-nodeclass-l4"), change, "volumes not encrypted")


def test_node_role_trusts_everyone_aws_dev() -> None:
    def everyone(d: dict[str, Any]) -> None:
        d["Statement"][0]["Principal"] = {"AWS": "*"}

    only("aws-dev", IAM, named(":Role", "mlplatform-node-role"), edit_json("assumeRolePolicy", everyone), "Principal *")


def test_irsa_trust_without_any_condition_aws_dev() -> None:
    def bare(d: dict[str, Any]) -> None:
        del d["Statement"][0]["Condition"]

    found = caught(
        "aws-dev", IAM, named(":Role", "mlplatform-karpenter-controller"), edit_json("assumeRolePolicy", bare),
        "without a Condition",
    )  # fmt: skip
    assert set(found) == {IAM, "workload-identity-trust"}, found


def test_karpenter_passrole_on_every_role_aws_dev() -> None:
    def widen(d: dict[str, Any]) -> None:
        sid(d, "AllowPassingInstanceRole")["Resource"] = "*"

    only(
        "aws-dev", IAM, named(":RolePolicy", "mlplatform-karpenter-controller-policy"), edit_json("policy", widen),
        "iam:PassRole on *",
    )  # fmt: skip


def test_karpenter_read_actions_widened_to_ec2_star_aws_dev() -> None:
    def widen(d: dict[str, Any]) -> None:
        sid(d, "AllowRegionalReadActions")["Action"] = "ec2:*"

    # ec2:* also grants ec2:TerminateInstances without the owned-cluster tag: aws-controller-grants-scoped fails too
    found = caught(
        "aws-dev", IAM, named(":RolePolicy", "mlplatform-karpenter-controller-policy"), edit_json("policy", widen),
        "allows ec2:* on every resource",
    )  # fmt: skip
    assert sorted(found) == ["aws-controller-grants-scoped", IAM], found


def test_karpenter_queue_open_to_everyone_aws_dev() -> None:
    def everyone(d: dict[str, Any]) -> None:
        sid(d, "EventBridgeWrite")["Principal"] = "*"

    queue = named(":QueuePolicy", "mlplatform-karpenter-interruption-policy")
    only("aws-dev", IAM, queue, edit_json("policy", everyone), "Principal *")


def test_azure_contributor_on_the_resource_group_azure_staging() -> None:
    def widen(props: dict[str, Any]) -> None:
        props["roleDefinitionId"] = role_def(CONTRIBUTOR)
        props["scope"] = f"{SUB}/resourceGroups/mlp-azure-staging"

    found = caught(
        "azure-staging", IAM, named(":RoleAssignment", "mlplatform-control-plane-network"), widen, "Contributor"
    )
    # Contributor over a resource group also reaches its storage accounts: the storage rule says so too
    assert set(found) == {IAM, "storage-read-least-privilege"}, found


# ------------------------------------------------------------------------------------------------ mlplatform check


@pytest.fixture(scope="module")
def saved() -> dict[str, Any]:
    return saved_plan("gcp-prod")


def _check_failures(doc: dict[str, Any], tmp: Path, capsys: pytest.CaptureFixture[str]) -> set[str]:
    path = tmp / "p.json"
    path.write_text(json.dumps(doc))
    code = main(["check", str(path)])
    out = capsys.readouterr().out
    names = {ln.split("│")[1].strip() for ln in out.splitlines() if "│ FAIL" in ln}
    assert (code == EXIT_POLICY) == bool(names), (code, out)
    return names


@pytest.mark.parametrize(
    ("rtype", "rname", "path", "value", "rule"),
    [
        (GKE, "mlplatform-gke", "datapathProvider", "LEGACY_DATAPATH", NETPOL),
        (GKE, "mlplatform-gke", "enableLegacyAbac", True, HARDEN),
        (PROJECT_MEMBER, "mlplatform-nodes-logging-logwriter", "role", "roles/owner", IAM),
    ],
)
def test_check_over_a_saved_plan_sees_the_slip(
    saved: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    rtype: str,
    rname: str,
    path: str,
    value: Any,
    rule: str,
) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    assert rule not in _check_failures(saved, tmp_path, capsys)
    doc = copy.deepcopy(saved)
    for key in ("resources", "judgedResources"):
        for r in doc["stacks"][0].get(key) or []:
            if r["type"] == rtype and r["name"] == rname:
                setter(path, value)(r["inputs"])
    assert rule in _check_failures(doc, tmp_path, capsys)
