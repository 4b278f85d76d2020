"""The cluster and IAM slips of the hostile review of issue #17 (rows 2, 3, 6, 7, 8, 11, 18), each failing a
mandatory rule.

For each: boundary cases through the pure rule and the CrossGuard policy object (they must agree), the rule over a
shipped stack's real plan mutated the way the slip does (that rule, and only it, fails), and ``mlplatform check``
over a saved plan with the same change. The facts behind each boundary are cited in the rules' docstrings
(policy/rules/cluster.py, policy/rules/iam.py).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_policy_cluster_iam import edit_json, only, setter, sid
from test_policy_mutated_plans import entries, mutate, named, shipped
from test_policy_rules import Case, R, crossguard_messages, one, rule_messages

from components.plan.cli import EXIT_POLICY, main
from policy.rules import UNKNOWN
from support import saved_plan

API, HARDEN, IAM, KMS = "api-endpoint-restricted", "cluster-hardening", "iam-least-privilege", "kms-key-rotation"
EKS, AWS_EKS = "eks:index:Cluster", "aws:eks/cluster:Cluster"
AKS = "azure-native:containerservice:ManagedCluster"
POLICY_ON = {
    "addonProfiles": {"azurepolicy": {"enabled": True}},
    "securityProfile": {"imageCleaner": {"enabled": True, "intervalHours": 168}},
}
"""The Azure Policy add-on (cluster-hardening since rev17d c19) and Image Cleaner (since rev17l 16) on, so the cases
below judge only their own field."""
SC = "kubernetes:storage.k8s.io/v1:StorageClass"
KEY, CRYPTO_KEY = "aws:kms/key:Key", "gcp:kms/cryptoKey:CryptoKey"
ROLE, ATTACH = "aws:iam/role:Role", "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
CIDRS = ["203.0.113.0/24"]
HARDENED_EKS = {"nodeAssociatePublicIpAddress": False, "authenticationMode": "API"}
EC2_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
IRSA_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/x"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {"x:sub": "system:serviceaccount:kube-system:ebs-csi-controller-sa"}},
            }
        ],
    }
)


def managed(name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"


def node_attachments(*arns: Any, role: Any = "mlp-node", trust: Any = EC2_TRUST) -> Case:
    """A role (named mlp-node) and attachments of ``arns`` to ``role``; the case id says which arns."""
    role_res = R(ROLE, {"name": "mlp-node", "assumeRolePolicy": trust}, name="node-role")
    resources = (role_res, *(R(ATTACH, {"role": role, "policyArn": arn}, name="attach") for arn in arns))
    return Case(f"{IAM}:attachments:{arns}", IAM, resources)


def expect(case: Case, *fragments: str) -> Case:
    return Case(case.id + ":fail", case.rule, case.resources, fragments, case.facts)


def queue(condition: Any, principal: Any = "*", effect: str = "Deny") -> dict[str, Any]:
    st: dict[str, Any] = {"Sid": "DenyHTTP", "Effect": effect, "Principal": principal, "Action": "sqs:*"}
    st["Resource"] = "arn:aws:sqs:us-east-1:1:q"
    if condition is not None:
        st["Condition"] = condition
    return {"policy": json.dumps({"Version": "2012-10-17", "Statement": [st]})}


TLS_FALSE = {"Bool": {"aws:SecureTransport": "false"}}

CASES: list[Case] = [
    # ---- row 2: kms-key-rotation (mandatory): AWS KMS defaults enableKeyRotation to false
    one(KMS, KEY, {"enableKeyRotation": True}),
    one(KMS, KEY, {"enableKeyRotation": False}, "set enableKeyRotation: true"),
    one(KMS, KEY, {}, "defaults it to false"),
    one(KMS, KEY, {"enableKeyRotation": UNKNOWN}),
    one(KMS, CRYPTO_KEY, {"rotationPeriod": "7776000s"}),
    one(KMS, CRYPTO_KEY, {"rotationPeriod": ""}, "no rotationPeriod"),
    one(KMS, "azure-native:keyvault:Key", {"properties": {"kty": "RSA"}}),  # keyvault-key-rotation's (advisory)
    # ---- row 3: api-endpoint-restricted: the EKS private endpoint (default false) stays on
    one(API, EKS, {"endpointPrivateAccess": True, "endpointPublicAccess": True, "publicAccessCidrs": CIDRS}),
    one(API, EKS, {"endpointPrivateAccess": False, "publicAccessCidrs": CIDRS}, "EKS private API endpoint is off"),
    one(API, EKS, {"publicAccessCidrs": CIDRS}, "the default is false"),
    one(API, EKS, {"endpointPrivateAccess": UNKNOWN, "publicAccessCidrs": CIDRS}),
    one(API, AWS_EKS, {"vpcConfig": {"endpointPrivateAccess": True, "publicAccessCidrs": CIDRS}}),
    one(API, AWS_EKS, {"vpcConfig": {"publicAccessCidrs": CIDRS}}, "EKS private API endpoint is off"),
    one(API, AWS_EKS, {"vpcConfig": {"endpointPrivateAccess": UNKNOWN, "publicAccessCidrs": CIDRS}}),
    # ---- row 6: cluster-hardening: authenticationMode API only (unset is CONFIG_MAP)
    one(HARDEN, EKS, HARDENED_EKS),
    one(HARDEN, EKS, {**HARDENED_EKS, "authenticationMode": "API_AND_CONFIG_MAP"}, "API_AND_CONFIG_MAP"),
    one(HARDEN, EKS, {**HARDENED_EKS, "authenticationMode": "CONFIG_MAP"}, "aws-auth ConfigMap"),
    one(HARDEN, EKS, {"nodeAssociatePublicIpAddress": False}, "unset (CONFIG_MAP)"),
    one(HARDEN, EKS, {**HARDENED_EKS, "authenticationMode": UNKNOWN}),
    one(HARDEN, AWS_EKS, {"accessConfig": {"authenticationMode": "API"}}),
    one(HARDEN, AWS_EKS, {"accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"}}, "API_AND_CONFIG_MAP"),
    one(HARDEN, AWS_EKS, {}, "unset (CONFIG_MAP)"),
    one(HARDEN, AWS_EKS, {"accessConfig": UNKNOWN}),
    # ---- row 7: cluster-hardening: an EBS StorageClass encrypts (the driver's default is false)
    one(HARDEN, SC, {"provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3", "encrypted": "true"}}),
    one(HARDEN, SC, {"provisioner": "ebs.csi.aws.com", "parameters": {"Encrypted": "TRUE"}}),  # case-insensitive
    one(
        HARDEN,
        SC,
        {"provisioner": "ebs.csi.aws.com", "metadata": {"name": "gp3"}, "parameters": {"encrypted": "false"}},
        "StorageClass gp3 makes unencrypted EBS volumes (parameters.encrypted 'false'",
    ),
    one(HARDEN, SC, {"provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3"}}, "parameters.encrypted unset"),
    one(HARDEN, SC, {"provisioner": "ebs.csi.aws.com"}, "parameters.encrypted unset"),
    one(HARDEN, SC, {"provisioner": "kubernetes.io/aws-ebs", "parameters": {"encrypted": "no"}}, "'no'"),
    one(HARDEN, SC, {"provisioner": "ebs.csi.aws.com", "parameters": {"encrypted": UNKNOWN}}),
    one(HARDEN, SC, {"provisioner": "ebs.csi.aws.com", "parameters": UNKNOWN}),
    one(HARDEN, SC, {"provisioner": "efs.csi.aws.com", "parameters": {"provisioningMode": "efs-ap"}}),
    # ---- row 18: cluster-hardening: AKS node OS channel NodeImage or SecurityPatch (unset: NodeImage)
    one(
        HARDEN,
        AKS,
        {**POLICY_ON, "autoUpgradeProfile": {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "NodeImage"}},
    ),
    one(
        HARDEN,
        AKS,
        {**POLICY_ON, "autoUpgradeProfile": {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "SecurityPatch"}},
    ),
    one(
        HARDEN,
        AKS,
        {**POLICY_ON, "autoUpgradeProfile": {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "None"}},
        "nodeOSUpgradeChannel is None",
    ),
    one(
        HARDEN,
        AKS,
        {**POLICY_ON, "autoUpgradeProfile": {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "Unmanaged"}},
        "is Unmanaged",
    ),
    one(HARDEN, AKS, {**POLICY_ON, "autoUpgradeProfile": {"upgradeChannel": "patch"}}),
    one(HARDEN, AKS, {}, "upgradeChannel is unset"),  # AKS default none: no Kubernetes patches
    one(HARDEN, AKS, {**POLICY_ON, "autoUpgradeProfile": UNKNOWN}),
    one(HARDEN, AKS, {**POLICY_ON, "autoUpgradeProfile": {"upgradeChannel": "patch", "nodeOSUpgradeChannel": UNKNOWN}}),
    # ---- row 8: iam-least-privilege: a node role (EC2-trusted) holds only the four node managed policies
    node_attachments(
        managed("AmazonEKS_CNI_Policy"),
        managed("AmazonEKSWorkerNodePolicy"),
        managed("AmazonEC2ContainerRegistryPullOnly"),
        managed("AmazonSSMManagedInstanceCore"),
    ),
    node_attachments(managed("AmazonEC2ContainerRegistryPullOnly", "aws-us-gov")),
    expect(node_attachments(managed("AmazonEC2ContainerRegistryPowerUser")), "AmazonEC2ContainerRegistryPowerUser"),
    expect(node_attachments(managed("AmazonEC2ContainerRegistryReadOnly")), "node roles hold only"),
    expect(node_attachments(managed("AdministratorAccess")), "AdministratorAccess"),
    expect(node_attachments(managed("AmazonEKS_CNI_Policy") + "X"), "node roles hold only"),
    expect(node_attachments("arn:aws:iam::123456789012:policy/AmazonEKS_CNI_Policy"), "node roles hold only"),
    node_attachments(managed("AmazonEC2ContainerRegistryPowerUser"), trust=IRSA_TRUST),  # not a node role
    node_attachments(managed("AmazonEC2ContainerRegistryPowerUser"), role="other-role"),
    node_attachments(UNKNOWN),
    # ---- row 11: iam-least-privilege: a queue's Deny to everyone only on aws:SecureTransport false
    one(IAM, QUEUE_POLICY, queue(TLS_FALSE)),
    one(IAM, QUEUE_POLICY, queue({"Bool": {"aws:SecureTransport": False}})),
    one(IAM, QUEUE_POLICY, queue({"BoolIfExists": {"aws:SecureTransport": ["false"]}}, {"AWS": "*"})),
    one(IAM, QUEUE_POLICY, queue({"Bool": {"aws:SecureTransport": "true"}}), "denies every principal"),
    one(IAM, QUEUE_POLICY, queue(None), "denies every principal"),
    one(IAM, QUEUE_POLICY, queue({}, {"AWS": "*"}), "denies every principal"),
    one(IAM, QUEUE_POLICY, queue({"Bool": {"aws:SecureTransport": "false", "aws:ViaAWSService": "false"}}), "exactly"),
    one(IAM, QUEUE_POLICY, queue({**TLS_FALSE, "StringEquals": {"aws:SourceAccount": "1"}}), "exactly"),
    one(IAM, QUEUE_POLICY, queue({"StringEquals": {"aws:SecureTransport": "false"}}), "exactly"),
    one(IAM, QUEUE_POLICY, queue(None, {"AWS": "arn:aws:iam::1:role/x"})),  # a Deny to one principal: not this rule's
]


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c.id}" for i, c in enumerate(CASES)])
def test_rule(case: Case) -> None:
    pure = rule_messages(case)
    assert crossguard_messages(case) == pure
    if not case.expect:
        assert pure == [], pure
    else:
        joined = "\n".join(pure)
        for fragment in case.expect:
            assert fragment in joined, pure


def test_unknown_role_of_a_foreign_attachment_is_named_not_passed() -> None:
    from policy.rules import ALL_RULES, Resource

    rule = next(r for r in ALL_RULES if r.name == IAM)
    res = [
        Resource(ATTACH, "a", "urn:a", {"role": UNKNOWN, "policyArn": managed("AmazonEC2ContainerRegistryPowerUser")}),
        Resource(ATTACH, "b", "urn:b", {"role": UNKNOWN, "policyArn": managed("AmazonEKS_CNI_Policy")}),
    ]
    unchecked = rule.unchecked(res)
    assert "role of policy attachment a" in unchecked and "attachment b" not in unchecked


# ------------------------------------------------------------------------------------------------ real plans


def _attach_power_user(props: dict[str, Any]) -> None:
    props["policyArn"] = props["policyArn"].replace("PullOnly", "PowerUser")


def _tls_inverted(d: dict[str, Any]) -> None:
    sid(d, "DenyHTTP")["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}


SLIPS: list[tuple[str, str, str, Callable[[Any], bool], Callable[[dict[str, Any]], None], str]] = [
    # (row, stack, rule, pick, change, fragment)
    ("2", "aws-dev", KMS, named(":Key", "mlplatform-secrets-key"), setter("enableKeyRotation", False), "rotation"),
    ("3", "aws-dev", API, named(EKS, "mlplatform-eks"), setter("endpointPrivateAccess", False), "private API"),
    (
        "6", "aws-dev", HARDEN, named(EKS, "mlplatform-eks"), setter("authenticationMode", "API_AND_CONFIG_MAP"),
        "authenticationMode is API_AND_CONFIG_MAP",
    ),
    (
        "7", "aws-dev", HARDEN, named(SC, "mlplatform-default-storage-class"), setter("parameters.encrypted", "false"),
        "unencrypted EBS volumes",
    ),
    (
        "8", "aws-dev", IAM, named(ATTACH, "mlplatform-node-amazonec2containerregistrypullonly"), _attach_power_user,
        "AmazonEC2ContainerRegistryPowerUser",
    ),
    (
        "8k", "aws-dev", IAM, named(ATTACH, "mlplatform-karpenter-node-amazonec2containerregistrypullonly"),
        _attach_power_user, "node role mlp-aws-dev-karpenter-node",
    ),
    (
        "11", "aws-dev", IAM, named(":QueuePolicy", "mlplatform-karpenter-interruption-policy"),
        edit_json("policy", _tls_inverted), "denies every principal",
    ),
    (
        "18", "azure-staging", HARDEN, named(AKS, "mlplatform-aks"),
        setter("autoUpgradeProfile.nodeOSUpgradeChannel", "None"), "no (or late) OS security patches",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("row", "stack", "rule", "pick", "change", "fragment"), SLIPS, ids=[s[0] for s in SLIPS])
def test_slip_over_a_shipped_plan(
    row: str,
    stack: str,
    rule: str,
    pick: Callable[[Any], bool],
    change: Callable[[dict[str, Any]], None],
    fragment: str,
) -> None:
    only(stack, rule, pick, change, fragment)
    resources, settings = shipped(stack)
    bad = [e for e in entries(mutate(resources, pick, change), settings)[rule] if not e["passed"]]
    assert bad and all(e["enforcement"] == "mandatory" for e in bad), bad


def test_kms_key_rotation_is_mandatory_on_the_shipped_plans() -> None:
    for stack in ("aws-dev", "gcp-prod"):
        resources, settings = shipped(stack)
        (entry,) = entries(resources, settings)[KMS]
        assert entry["passed"] and entry["enforcement"] == "mandatory", entry


# ------------------------------------------------------------------------------------------------ mlplatform check


@pytest.fixture(scope="module")
def saved() -> dict[str, dict[str, Any]]:
    return {stack: saved_plan(stack) for stack in ("aws-dev", "azure-staging")}


def _check_failures(doc: dict[str, Any], tmp: Path, capsys: pytest.CaptureFixture[str]) -> set[str]:
    path = tmp / "p.json"
    path.write_text(json.dumps(doc))
    code = main(["check", str(path)])
    out = capsys.readouterr().out
    names = {ln.split("│")[1].strip() for ln in out.splitlines() if "│ FAIL" in ln}
    assert (code == EXIT_POLICY) == bool(names), (code, out)
    return names


def _set_policy_condition(value: str) -> Callable[[dict[str, Any]], None]:
    def change(inputs: dict[str, Any]) -> None:
        d = json.loads(inputs["policy"])
        sid(d, "DenyHTTP")["Condition"] = {"Bool": {"aws:SecureTransport": value}}
        inputs["policy"] = json.dumps(d)

    return change


CHECKED: list[tuple[str, str, str, str, Callable[[dict[str, Any]], None]]] = [
    # (row, stack, type, name, change); the rule is the slip's
    ("2", "aws-dev", KEY, "mlplatform-secrets-key", setter("enableKeyRotation", False)),
    ("3", "aws-dev", EKS, "mlplatform-eks", setter("endpointPrivateAccess", False)),
    ("6", "aws-dev", EKS, "mlplatform-eks", setter("authenticationMode", "API_AND_CONFIG_MAP")),
    ("7", "aws-dev", SC, "mlplatform-default-storage-class", setter("parameters.encrypted", "false")),
    ("8", "aws-dev", ATTACH, "mlplatform-node-amazonec2containerregistrypullonly", _attach_power_user),
    ("11", "aws-dev", QUEUE_POLICY, "mlplatform-karpenter-interruption-policy", _set_policy_condition("true")),
    ("18", "azure-staging", AKS, "mlplatform-aks", setter("autoUpgradeProfile.nodeOSUpgradeChannel", "None")),
]
RULE_OF = {"2": KMS, "3": API, "6": HARDEN, "7": HARDEN, "8": IAM, "11": IAM, "18": HARDEN}


@pytest.mark.parametrize(("row", "stack", "rtype", "rname", "change"), CHECKED, ids=[c[0] for c in CHECKED])
def test_check_over_a_saved_plan_sees_the_slip(
    saved: dict[str, dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    row: str,
    stack: str,
    rtype: str,
    rname: str,
    change: Callable[[dict[str, Any]], None],
) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    rule = RULE_OF[row]
    assert rule not in _check_failures(saved[stack], tmp_path, capsys)
    doc = copy.deepcopy(saved[stack])
    hit = 0
    for key in ("resources", "judgedResources"):
        for r in doc["stacks"][0].get(key) or []:
            # a plain plan records the queue policy as unknown: the judged (placeholder) rendering holds the JSON
            policy = r["inputs"].get("policy")
            if r["type"] != rtype or r["name"] != rname:
                continue
            if rtype != QUEUE_POLICY or (isinstance(policy, str) and policy.startswith("{")):
                change(r["inputs"])
                hit += 1
    assert hit, f"{rname} not in the saved plan"
    assert rule in _check_failures(doc, tmp_path, capsys)
