"""Can the control plane reach every admission webhook the platform installs? (issue #11)

The API server calls each ``ValidatingWebhookConfiguration``/``MutatingWebhookConfiguration`` through its Service,
so it connects to the pod's target port on a node. A blocked port fails sidecar injection, InferenceService admission
and every Helm release whose objects those webhooks admit. :func:`webhook_problems` decides it from the rendered
cluster objects alone (types and inputs in Pulumi's wire names, as ``mlplatform plan`` renders them), one rule per
cloud:

- GKE (private nodes): GKE's automatic rule opens tcp 443 and 10250 from the control-plane range to the nodes; any
  other port needs an ingress firewall rule from ``privateClusterConfig.masterIpv4CidrBlock`` whose targets cover the
  node pool (https://cloud.google.com/kubernetes-engine/docs/how-to/private-clusters#add_firewall_rules; cert-manager's
  pinned values, upstream/chart-values/cert-manager-v1.21.1.yaml ``webhook.securePort``, say the same).
- EKS: the cluster security group EKS creates allows all inbound traffic from itself, and the control plane's network
  interfaces carry it (EKS user guide, "View Amazon EKS security group requirements for clusters",
  https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html, "Default cluster security group"). Managed
  node groups get it ("Managed node groups use this security group for control-plane-to-data-plane communication",
  EKS API ``VpcConfigResponse.clusterSecurityGroupId``); Karpenter's nodes get it only when their ``EC2NodeClass``
  selects it, which the EKS tag ``aws:eks:cluster-name`` on it does (same page, tags EKS adds).
- AKS: the API server reaches nodes through the Konnectivity tunnel; admission webhooks fail when an NSG blocks tcp
  10250 inside the virtual network or the nodes' egress on 443 (Microsoft, "Tunnel connectivity issues",
  MicrosoftDocs/SupportArticles-docs support/azure/azure-kubernetes/connectivity/tunnel-connectivity-issues.md,
  causes 1 and 4). So no rendered NSG rule may deny either.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from components import clouds

UNKNOWN = "(known after deploy)"
"""How ``mlplatform plan`` writes a value known only after deploy (``Registration.wire_inputs``)."""


@dataclass(frozen=True)
class Webhook:
    """An admission webhook the platform installs and the port its pods serve it on."""

    name: str
    port: int
    source: str


WEBHOOKS: tuple[Webhook, ...] = (
    Webhook(
        "istiod",
        15017,
        "istio/istio manifests/charts/istio-control/istio-discovery/templates/service.yaml (https-webhook 443 -> "
        "15017: sidecar injection and validation)",
    ),
    Webhook(
        "kserve",
        9443,
        "kserve/kserve charts/kserve-resources/templates/kserve/deployment_kserve-controller-manager.yaml "
        "(containerPort 9443 webhook-server, targetPort of kserve-webhook-server-service)",
    ),
    Webhook(
        "knative-serving",
        8443,
        "knative/serving config/core/deployments/webhook.yaml (WEBHOOK_PORT 8443, Service 443 -> 8443)",
    ),
    Webhook("net-istio", 8443, "knative-extensions/net-istio config/500-webhook-service.yaml (443 -> 8443)"),
    Webhook(
        "knative-operator",
        8443,
        "knative/operator config/charts/knative-operator/templates/webhook/webhook-service.yaml (https-webhook "
        "443 -> 8443)",
    ),
    Webhook("cert-manager", 10250, "upstream/chart-values/cert-manager-v1.21.1.yaml webhook.securePort: 10250"),
    Webhook(
        "keda-admission-webhooks",
        9443,
        "kedacore/charts v2.20.2 keda/templates/webhooks/service.yaml (443 -> webhooks.port, default 9443; "
        "installed only with LLM autoscaling, components/platform/keda.py)",
    ),
    Webhook(
        "keda-metrics-apiserver",
        6443,
        "kedacore/charts v2.20.2 keda/values.yaml service.portHttpsTarget: 6443 (the v1beta1.external.metrics.k8s.io "
        "APIService the API server calls; keda.sh/docs/2.20/operate/cluster/ Firewall: 6443 'Only required for "
        "Google Cloud because it uses Control Plane -> port 6443 on the Pod IP range')",
    ),
    Webhook(
        "prometheus-operator",
        10250,
        "upstream/chart-values/kube-prometheus-stack-88.5.3.yaml prometheusOperator.tls.internalPort: 10250",
    ),
)
"""Every admission webhook of the platform's charts (and KEDA's metrics APIService, which the API server calls the
same way). The other charts have none: karpenter-1.14.1 and
gpu-operator-v26.7.0 values carry no webhook key; istio-base's validating webhook points at istiod (above)."""

GKE_AUTOMATIC_PORTS = frozenset({443, 10250})
"""What GKE's automatic rule opens from the control plane to a private cluster's nodes (module docstring)."""
EKS_CLUSTER_SG_TAG = "aws:eks:cluster-name"
"""The tag EKS puts on the cluster security group, valued with the cluster's name (sec-group-reqs)."""
AKS_TUNNEL = ((10250, "Inbound"), (443, "Outbound"))
"""Ports the AKS Konnectivity tunnel needs: 10250 inside the virtual network, 443 egress (tunnel article)."""


@dataclass(frozen=True)
class Rendered:
    """One rendered resource: its type, inputs in wire form and which URNs each input came from."""

    type: str
    name: str
    inputs: Mapping[str, Any]
    sources: Mapping[str, Sequence[str]] = field(default_factory=dict)


def _ports(specs: Iterable[Any]) -> set[int]:
    """Ports named by firewall/NSG port specs: ``"8443"``, ``"8000-9000"``, ``"*"`` (every port)."""
    out: set[int] = set()
    for spec in specs:
        text = str(spec)
        if text == "*":
            return set(range(1, 65536))
        low, _, high = text.partition("-")
        out.update(range(int(low), int(high or low) + 1))
    return out


def _same(a: Rendered, a_key: str, a_value: Any, b: Rendered, b_key: str, b_value: Any) -> bool:
    """Whether two inputs hold the same value: by value when known, else by the resource both came from."""
    if a_value != UNKNOWN and b_value != UNKNOWN:
        return bool(a_value == b_value)
    a_src, b_src = set(a.sources.get(a_key, ())), set(b.sources.get(b_key, ()))
    return bool(a_src) and a_src == b_src


def _gke(resources: Sequence[Rendered], cluster: Rendered) -> list[str]:
    master = (cluster.inputs.get("privateClusterConfig") or {}).get("masterIpv4CidrBlock")
    if not master or master == UNKNOWN:
        return [f"{cluster.name}: no privateClusterConfig.masterIpv4CidrBlock, so the control plane's range is unknown"]
    master_net = ipaddress.ip_network(master)
    firewalls = [
        r
        for r in resources
        if r.type == "gcp:compute/firewall:Firewall"
        and r.inputs.get("direction", "INGRESS") == "INGRESS"
        and r.inputs.get("disabled") is not True
        and any(
            s != UNKNOWN and master_net.subnet_of(ipaddress.ip_network(s, strict=False))  # type: ignore[arg-type]
            for s in r.inputs.get("sourceRanges") or ()
        )
    ]
    problems: list[str] = []
    for pool in (r for r in resources if r.type == "gcp:container/nodePool:NodePool"):
        pool_sa = (pool.inputs.get("nodeConfig") or {}).get("serviceAccount")
        open_ports = set(GKE_AUTOMATIC_PORTS)
        for rule in firewalls:
            targets = rule.inputs.get("targetServiceAccounts") or []
            if rule.inputs.get("targetTags"):
                continue  # our node pools carry no network tags
            covers = all(_same(rule, "targetServiceAccounts", t, pool, "nodeConfig", pool_sa) for t in targets)
            if targets and (pool_sa is None or not covers):
                continue  # aimed at other instances
            for allow in rule.inputs.get("allows") or ():
                if allow.get("protocol") in ("tcp", "all"):
                    open_ports |= _ports(allow.get("ports") or ["*"])
        problems += [
            f"{pool.name}: {w.name} webhook port {w.port} is closed from the control plane ({master})"
            for w in WEBHOOKS
            if w.port not in open_ports
        ]
    return problems


def _eks(resources: Sequence[Rendered], cluster: Rendered) -> list[str]:
    name = cluster.inputs.get("name")
    wanted = {EKS_CLUSTER_SG_TAG: name}
    problems: list[str] = []
    for node_class in (r for r in resources if r.type == "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"):
        terms = (node_class.inputs.get("spec") or {}).get("securityGroupSelectorTerms") or []
        if not any(term.get("tags") == wanted for term in terms):
            problems.append(
                f"{node_class.name}: securityGroupSelectorTerms {terms} do not select the EKS cluster security "
                f"group (tag {EKS_CLUSTER_SG_TAG}={name}), so the control plane cannot reach "
                f"{', '.join(sorted({w.name for w in WEBHOOKS}))} on its nodes"
            )
    return problems


def _aks(resources: Sequence[Rendered]) -> list[str]:
    groups: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for r in resources:
        if r.type == "azure-native:network:NetworkSecurityGroup":
            groups.setdefault(r.name, []).extend((r.name, rule) for rule in r.inputs.get("securityRules") or ())
        elif r.type == "azure-native:network:SecurityRule":
            groups.setdefault(str(r.inputs.get("networkSecurityGroupName", r.name)), []).append((r.name, r.inputs))
    problems: list[str] = []
    for group, rules in groups.items():
        for port, direction in AKS_TUNNEL:
            matching = sorted(
                (
                    (int(rule.get("priority", 4096)), name, rule)
                    for name, rule in rules
                    if rule.get("direction") == direction
                    and rule.get("protocol") in ("Tcp", "*")
                    and port
                    in _ports([rule["destinationPortRange"]] if rule.get("destinationPortRange") else [])
                    | _ports(rule.get("destinationPortRanges") or ())
                ),
                key=lambda x: x[0],
            )
            if matching and matching[0][2].get("access") == "Deny":
                problems.append(
                    f"{group}: rule {matching[0][1]} denies {direction.lower()} tcp {port}, which the AKS tunnel to "
                    "the nodes (and so every admission webhook) needs"
                )
    return problems


def webhook_problems(resources: Sequence[Rendered]) -> list[str]:
    """Why the control plane of the rendered cluster cannot reach an admission webhook in :data:`WEBHOOKS` on its
    nodes, one line per node pool/class and port; empty when every one is reachable (see the module docstring for
    each cloud's rule). A plan with no managed cluster (an existing cluster) gives no problem: its network is not
    ours to decide."""
    for r in resources:
        if r.type == "gcp:container/cluster:Cluster":
            return _gke(resources, r)
        if r.type == "eks:index:Cluster":
            return _eks(resources, r)
        if r.type == "azure-native:containerservice:ManagedCluster":
            return _aks(resources)
        if r.type in clouds.cluster_types():
            # A cloud registered without a model here: say so rather than pass its network unread.
            return [
                f"{r.name}: no model of how a {r.type} control plane reaches webhooks on its nodes "
                "(components/clusters/reachability.py): add one for this cloud"
            ]
    return []
