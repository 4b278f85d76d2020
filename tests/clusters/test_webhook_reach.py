"""The control plane reaches every admission webhook on the nodes, on every cloud (issue #11).

The promise is checked over the shipped stacks' offline plans with :func:`webhook_problems`, whose per-cloud rules
are each cloud's cluster module's ``WEBHOOK_REACH`` (cited there); each cloud also has a plan changed the way that
would break it, and the check must name what breaks.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from cluster_support import stack_plan

from components.clusters.reachability import WEBHOOKS, Rendered, webhook_problems


def rendered(stack: str) -> list[Rendered]:
    """The shipped stack's plan as the check reads it: wire inputs and each input's source URNs."""
    return [
        Rendered(r.type, r.name, r.wire_inputs(), {k: list(v) for k, v in r.property_dependencies.items()})
        for r in stack_plan(stack).resources
    ]


def changed(resources: list[Rendered], type_: str, edit: Any) -> list[Rendered]:
    out = []
    for r in resources:
        if r.type == type_:
            inputs = copy.deepcopy(dict(r.inputs))
            edit(inputs)
            # An input set to a literal no longer comes from another resource.
            sources = {k: v for k, v in r.sources.items() if inputs.get(k) == r.inputs.get(k)}
            r = Rendered(r.type, r.name, inputs, sources)
        out.append(r)
    return out


def test_the_webhook_list_covers_every_chart_the_platform_installs() -> None:
    assert {w.name: w.port for w in WEBHOOKS} == {
        "istiod": 15017,
        "kserve": 9443,
        "knative-serving": 8443,
        "net-istio": 8443,
        "knative-operator": 8443,
        "cert-manager": 10250,
        "prometheus-operator": 10250,
        "keda-admission-webhooks": 9443,
        "keda-metrics-apiserver": 6443,
    }


@pytest.mark.parametrize("stack", ["aws-dev", "gcp-prod", "azure-staging"])
def test_every_shipped_stack_reaches_every_webhook(stack: str) -> None:
    resources = rendered(stack)
    cluster_types = {
        "eks:index:Cluster",
        "gcp:container/cluster:Cluster",
        "azure-native:containerservice:ManagedCluster",
    }
    assert any(r.type in cluster_types for r in resources)
    assert webhook_problems(resources) == []


def test_gke_without_the_kserve_port_is_refused() -> None:
    def drop_9443(inputs: dict[str, Any]) -> None:
        inputs["allows"] = [{"protocol": "tcp", "ports": ["6443", "8443", "15017"]}]

    problems = webhook_problems(changed(rendered("gcp-prod"), "gcp:compute/firewall:Firewall", drop_9443))
    assert problems and all("webhook port 9443" in p for p in problems)
    assert {p.split(": ")[1].split()[0] for p in problems} == {"kserve", "keda-admission-webhooks"}
    assert {p.split(":")[0] for p in problems} == {"mlplatform-system", "mlplatform-gpu-l4", "mlplatform-gpu-a100"}


def test_gke_without_keda_metrics_port_is_refused() -> None:
    # keda.sh/docs/2.20/operate/cluster/ Firewall: the control plane calls KEDA's metrics server on 6443 (GKE)
    def drop_6443(inputs: dict[str, Any]) -> None:
        inputs["allows"] = [{"protocol": "tcp", "ports": ["8443", "9443", "15017"]}]

    problems = webhook_problems(changed(rendered("gcp-prod"), "gcp:compute/firewall:Firewall", drop_6443))
    assert problems and all("keda-metrics-apiserver webhook port 6443" in p for p in problems)


def test_gke_rule_aimed_at_other_nodes_or_from_another_range_does_not_count() -> None:
    def other_sa(inputs: dict[str, Any]) -> None:
        inputs["targetServiceAccounts"] = ["other@mlplatform-prod.iam.gserviceaccount.com"]

    def other_source(inputs: dict[str, Any]) -> None:
        inputs["sourceRanges"] = ["10.0.0.0/8"]

    for edit in (other_sa, other_source):
        problems = webhook_problems(changed(rendered("gcp-prod"), "gcp:compute/firewall:Firewall", edit))
        closed = {int(p.split("port ")[1].split()[0]) for p in problems}
        assert closed == {6443, 8443, 9443, 15017}  # 443 and 10250 stay open through GKE's automatic rule


def test_eks_node_class_selecting_another_security_group_is_refused() -> None:
    def other_group(inputs: dict[str, Any]) -> None:
        inputs["spec"]["securityGroupSelectorTerms"] = [{"tags": {"karpenter.sh/discovery": "mlp-aws-dev"}}]

    resources = rendered("aws-dev")
    classes = [r.name for r in resources if r.type == "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"]
    assert classes
    problems = webhook_problems(changed(resources, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", other_group))
    assert [p.split(":")[0] for p in problems] == classes
    assert "aws:eks:cluster-name=mlp-aws-dev" in problems[0]


def test_aks_nsg_denying_the_tunnel_is_refused() -> None:
    def rule(name: str, direction: str, port: str, access: str, priority: int) -> Rendered:
        inputs = {
            "networkSecurityGroupName": "nodes-nsg",
            "direction": direction,
            "protocol": "Tcp",
            "destinationPortRange": port,
            "access": access,
            "priority": priority,
        }
        return Rendered("azure-native:network:SecurityRule", name, inputs)

    base = rendered("azure-staging")
    assert not any("network:NetworkSecurityGroup" in r.type or "network:SecurityRule" in r.type for r in base)
    deny_kubelet = [*base, rule("deny-kubelet", "Inbound", "10000-11000", "Deny", 200)]
    assert webhook_problems(deny_kubelet) == [
        "nodes-nsg: rule deny-kubelet denies inbound tcp 10250, which the AKS tunnel to the nodes (and so every "
        "admission webhook) needs"
    ]
    deny_egress = [*base, rule("deny-out", "Outbound", "*", "Deny", 300)]
    assert "denies outbound tcp 443" in webhook_problems(deny_egress)[0]
    # A higher-priority (lower number) allow wins over the deny, as NSG rules are evaluated by priority.
    allowed = [*deny_kubelet, rule("allow-kubelet", "Inbound", "10250", "Allow", 100)]
    assert webhook_problems(allowed) == []
