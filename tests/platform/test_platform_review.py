"""Regression tests for the hostile review of the platform change (gateway address, external-dns, DCGM on GKE,
managed-cluster alerts, alert routing, DNS grants, gateway load balancer timeouts)."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from typing import Any

import pytest
import yaml
from platform_support import plan_platform, releases

from components.plan import engine
from components.plan.engine import PlanMocks, PlanResult
from components.platform import istio
from support import ROOT, plan_config

SERVICE = "kubernetes:core/v1:Service"


def _values(result: PlanResult, release: str) -> dict[str, Any]:
    return dict(releases(result)[release]["values"] or {})


# ------------------------------------------------------------------------------ 1: the gateway Service read


def test_the_first_preview_does_not_read_the_gateway_service(monkeypatch: pytest.MonkeyPatch) -> None:
    # A preview on a known cluster with the gateway release still to be created: the engine reads a `.get`
    # resource in a preview unless its id is unknown (pulumi/pulumi pkg/resource/deploy/step.go ReadStep.Apply),
    # and ignores depends_on for it, so a constant id fails on the Service that does not exist yet.
    reads: list[str] = []
    original = PlanMocks.new_resource

    def recording(self: PlanMocks, args: Any) -> Any:
        if args.typ == SERVICE and args.resource_id:
            reads.append(args.resource_id)
        return original(self, args)

    monkeypatch.setattr(PlanMocks, "new_resource", recording)

    def program() -> None:
        from platform_support import FakeCluster

        from components.platform import Platform, PlatformArgs, PlatformSettings

        Platform(
            "p",
            PlatformArgs(
                cluster=FakeCluster(),
                settings=PlatformSettings.model_validate({"domain": "models.example.com"}),
                environment="dev",
            ),
        )

    engine.run_function(program, outputs="unknown")
    assert reads, "the gateway Service is not read at all"
    assert all(r == engine.rpc.UNKNOWN for r in reads), reads


# ------------------------------------------------------------------------------ 7: the address extraction


@pytest.mark.parametrize(
    ("status", "address"),
    [
        # EKS: the AWS load balancer reports a DNS name (Kubernetes API LoadBalancerIngress.hostname).
        (
            {"loadBalancer": {"ingress": [{"hostname": "a1b2-123.us-east-1.elb.amazonaws.com"}]}},
            "a1b2-123.us-east-1.elb.amazonaws.com",
        ),
        # GKE and AKS: an IP (LoadBalancerIngress.ip).
        ({"load_balancer": {"ingress": [{"ip": "34.120.1.2"}]}}, "34.120.1.2"),
        # NodePort/ClusterIP, or the load balancer not provisioned yet: no ingress.
        ({"loadBalancer": {}}, ""),
        ({}, ""),
        (None, ""),
    ],
)
def test_the_gateway_address_is_the_first_load_balancer_ingress(status: Any, address: str) -> None:
    assert istio.load_balancer_address(status) == address


def test_the_gateway_address_reads_the_sdk_types() -> None:
    import pulumi_kubernetes as k8s

    typed = k8s.core.v1.outputs.ServiceStatus(
        load_balancer=k8s.core.v1.outputs.LoadBalancerStatus(
            ingress=[k8s.core.v1.outputs.LoadBalancerIngress(ip="20.1.2.3")]
        )
    )
    assert istio.load_balancer_address(typed) == "20.1.2.3"


# ------------------------------------------------------------------------------ 2 and 10: external-dns on every cloud

ZONES = {
    "aws-dev": {"zone": "dev.example.com", "id": "Z0123456789ABCDEFGHIJ"},
    "gcp-prod": {"zone": "example.com", "id": "example-com"},
    "azure-staging": {"zone": "example.com", "resourceGroup": "dns-rg"},
}


@cache
def with_zone(stack: str) -> PlanResult:
    """A shipped stack with a DNS zone (external-dns on) and ACME through the zone."""
    raw = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    cfg = copy.deepcopy({k.split(":", 1)[1]: v for k, v in raw.items()})
    cfg["platform"].update({"dns": ZONES[stack], "tls": {"issuer": "acme", "acmeEmail": "ops@mycorp.io"}})
    if stack == "aws-dev":
        cfg["platform"]["domain"] = "models.dev.example.com"
    return plan_config(cfg, stack=f"{stack}-zone", secrets={"hfToken": "x"} if "hfToken" in cfg else None)


@pytest.mark.parametrize("stack", sorted(ZONES))
def test_external_dns_can_own_the_wildcard_record(stack: str) -> None:
    # The TXT ownership record of `*.<domain>` is `a-*.<domain>` (external-dns registry/mapper/mapper.go
    # ToTXTName puts `<type>-` before the first label), rejected by Cloud DNS and Azure DNS unless
    # --txt-wildcard-replacement replaces the `*` (docs/registry/txt.md "Wildcard Replacement").
    result = with_zone(stack)
    args = _values(result, "external-dns")["extraArgs"]
    assert [a for a in args if a.startswith("--txt-wildcard-replacement=")] == ["--txt-wildcard-replacement=wildcard"]
    if stack == "aws-dev":
        assert "--zone-id-filter=Z0123456789ABCDEFGHIJ" in args  # the cloud's own arguments are kept
    if stack == "gcp-prod":
        assert "--google-project=mlplatform-prod" in args


@pytest.mark.parametrize("stack", sorted(ZONES))
def test_external_dns_publishes_only_what_the_gateway_serves(stack: str) -> None:
    # The gateway serves `*.<domain>` (the Standard HTTPS listener's hostname; model hosts are
    # <name>-<namespace>.<domain>): publishing the apex would point a name at a listener that refuses it.
    result = with_zone(stack)
    domain = releases(result)["istio-ingressgateway"]["values"]
    annotation = domain["service"]["annotations"]["external-dns.alpha.kubernetes.io/hostname"]
    assert annotation.split(",") == [annotation] and annotation.startswith("*.")


# ------------------------------------------------------------------------------ 5: alert routing


def _matches(matcher: str, labels: dict[str, str]) -> bool:
    name, value = (part.strip() for part in matcher.split("=", 1))
    return labels.get(name) == value.strip('"')


def receivers_for(config: dict[str, Any], labels: dict[str, str]) -> set[str]:
    """Alertmanager's routing (prometheus/alertmanager docs/configuration.md `<route>`): the first child route whose
    matchers all match takes the alert, and the walk goes on past it only with `continue: true`; an alert no child
    took stops at the parent's receiver."""
    found: set[str] = set()
    for route in config["route"].get("routes", []):
        if all(_matches(m, labels) for m in route.get("matchers", [])):
            found.add(route["receiver"])
            if not route.get("continue", False):
                return found
    return found | {config["route"]["receiver"]}


ALERTING = {
    "monitoring": {
        "alerting": {"slack": {"apiUrlKey": "slackUrl"}, "pagerduty": {"routingKeyKey": "pdKey"}},
    }
}


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        # kube-prometheus-stack's always-firing alerts and info alerts reach nobody (runbooks.prometheus-operator.dev
        # general/infoinhibitor: "This alert should be routed to a null receiver").
        ({"alertname": "Watchdog", "severity": "none"}, {"null"}),
        ({"alertname": "InfoInhibitor", "severity": "none"}, {"null"}),
        ({"alertname": "CPUThrottlingHigh", "severity": "info"}, {"null"}),
        # A warning goes to the team's channels, not to PagerDuty.
        ({"alertname": "KubePodCrashLooping", "severity": "warning"}, {"mlplatform"}),
        # A critical alert pages and reaches the channels too.
        ({"alertname": "KubeNodeNotReady", "severity": "critical"}, {"mlplatform", "mlplatform-pager"}),
    ],
)
def test_alerts_reach_the_right_receivers(labels: dict[str, str], expected: set[str]) -> None:
    result = plan_platform(ALERTING, secrets={"slackUrl": "https://hooks.slack.com/x", "pdKey": "k"})
    config = _values(result, "kube-prometheus-stack")["alertmanager"]["config"]
    assert receivers_for(config, labels) == expected
    pager = [r for r in config["receivers"] if "pagerduty_configs" in r]
    assert [r["name"] for r in pager] == ["mlplatform-pager"]


# ------------------------------------------------------------------------------ 3: DCGM on GKE


def _helm_merge(base: Any, extra: Any) -> Any:
    """Helm's values merge: maps merge key by key, anything else replaces."""
    if isinstance(base, dict) and isinstance(extra, dict):
        return {**base, **{k: _helm_merge(base.get(k), v) for k, v in extra.items()}}
    return extra


def _valid_security_context(sc: dict[str, Any]) -> bool:
    # kubernetes pkg/apis/core/validation ValidateSecurityContext: "cannot set `allowPrivilegeEscalation` to false
    # and `privileged` to true".
    return not (sc.get("allowPrivilegeEscalation") is False and sc.get("privileged") is True)


@pytest.mark.parametrize("driver_root", ["/home/kubernetes/bin/nvidia", None])
def test_the_dcgm_exporter_sees_gpus_it_does_not_request(driver_root: str | None) -> None:
    # On GKE a pod that requests no nvidia.com/gpu gets no /dev/nvidia* devices: the exporter must be privileged
    # (NVIDIA/dcgm-exporter#59, NVIDIA/gpu-monitoring-tools#96). The chart renders securityContext whole
    # (templates/daemonset.yaml), merged by Helm with its default (allowPrivilegeEscalation: false).
    from components.platform.values import chart_defaults
    from support import upstream_dir

    result = plan_platform(cluster={"driver_root": driver_root})
    rel = releases(result)["dcgm-exporter"]
    defaults = chart_defaults(upstream_dir() / "chart-values", "dcgm-exporter", rel["version"])
    rendered = _helm_merge(defaults, dict(rel["values"] or {}))["securityContext"]
    assert _valid_security_context(rendered), rendered
    assert rendered.get("privileged", False) is (driver_root is not None)
    # The namespace it runs in may run privileged pods under the policy pack.
    from components.platform import gpu
    from policy.rules.kubernetes import PRIVILEGED_NAMESPACES

    assert gpu.DCGM_NAMESPACE in PRIVILEGED_NAMESPACES


# ------------------------------------------------------------------------------ 4: node components on managed clusters


@pytest.mark.parametrize(
    ("cluster", "proxy", "coredns", "kubedns"),
    [
        ({}, True, True, False),  # the chart's defaults where kube-proxy and CoreDNS are reachable
        ({"kube_proxy_scrapable": False}, False, True, False),  # EKS (127.0.0.1:10249), AKS (Cilium)
        ({"kube_proxy_scrapable": False, "cluster_dns": "kube-dns"}, False, False, True),  # GKE
    ],
)
def test_no_scrape_of_what_the_cluster_does_not_run(
    cluster: dict[str, Any], proxy: bool, coredns: bool, kubedns: bool
) -> None:
    # kube-prometheus-stack 88.5.3: kubeProxy on by default with KubeProxyDown = absent(up{job="kube-proxy"} == 1)
    # (critical); coreDns on, kubeDns off by default ("Use either this or kubeDns").
    from components.platform.values import chart_defaults
    from support import upstream_dir

    rel = releases(plan_platform(cluster=cluster))["kube-prometheus-stack"]
    defaults = chart_defaults(upstream_dir() / "chart-values", "kube-prometheus-stack", rel["version"])
    merged = _helm_merge(defaults, dict(rel["values"] or {}))
    assert merged["kubeProxy"]["enabled"] is proxy
    assert merged["coreDns"]["enabled"] is coredns
    assert merged["kubeDns"]["enabled"] is kubedns


def test_each_cloud_says_what_runs_on_its_nodes() -> None:
    from components.clusters.aks import AksCluster
    from components.clusters.eks import EksCluster
    from components.clusters.gke import GkeCluster

    assert (EksCluster._kube_proxy_scrapable, EksCluster._cluster_dns) == (False, "coredns")
    assert (GkeCluster._kube_proxy_scrapable, GkeCluster._cluster_dns) == (False, "kube-dns")
    assert (AksCluster._kube_proxy_scrapable, AksCluster._cluster_dns) == (False, "coredns")


@pytest.mark.parametrize("stack", sorted(ZONES))
def test_the_shipped_stacks_scrape_only_what_runs(stack: str) -> None:
    values = _values(with_zone(stack), "kube-prometheus-stack")
    assert values["kubeProxy"] == {"enabled": False}
    assert values["kubeDns"] == {"enabled": stack == "gcp-prod"}
    assert values["coreDns"] == {"enabled": stack != "gcp-prod"}


# ------------------------------------------------------------------------------ 11: load balancer idle timeout


def test_the_gateway_timeout_figure_is_knatives() -> None:
    from components.platform import knative

    assert int(knative.MAX_REVISION_TIMEOUT) == istio.LONGEST_REQUEST_SECONDS


@pytest.mark.parametrize(
    ("stack", "annotation", "value"),
    [
        # Classic ELB: 60 s by default, 1-3600 s (CloudFormation ConnectionSettings IdleTimeout).
        ("aws-dev", "service.beta.kubernetes.io/aws-load-balancer-connection-idle-timeout", "1800"),
        # Azure Standard LB: 4 min by default, 4-100 min (load-balancer-tcp-idle-timeout).
        ("azure-staging", "service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout", "30"),
    ],
)
def test_the_load_balancer_keeps_a_cold_start_wait_open(stack: str, annotation: str, value: str) -> None:
    annotations = _values(with_zone(stack), "istio-ingressgateway")["service"]["annotations"]
    assert annotations[annotation] == value
    seconds = int(value) * (60 if "azure" in annotation else 1)
    assert seconds >= istio.LONGEST_REQUEST_SECONDS


def test_the_idle_timeouts_are_capped_at_what_the_cloud_allows() -> None:
    from components.clusters.aks import AksCluster
    from components.clusters.eks import EksCluster

    # Unbound methods on a bare instance: the annotations depend on nothing the constructor sets.
    eks = object.__new__(EksCluster)
    aks = object.__new__(AksCluster)
    assert list(eks.load_balancer_annotations(7200).values()) == ["3600"]
    assert list(aks.load_balancer_annotations(7200 * 60).values()) == ["100"]
    assert list(aks.load_balancer_annotations(30).values()) == ["4"]
    assert list(aks.load_balancer_annotations(1801).values()) == ["31"]


def test_no_idle_annotation_without_a_load_balancer() -> None:
    result = plan_platform({"gatewayServiceType": "NodePort"}, cluster={"lb_annotation": "x/idle"})
    assert "x/idle" not in (_values(result, "istio-ingressgateway")["service"].get("annotations") or {})
    result = plan_platform(cluster={"lb_annotation": "x/idle"})
    assert _values(result, "istio-ingressgateway")["service"]["annotations"]["x/idle"] == "1800"


# ------------------------------------------------------------------------------ 10: cert-manager reads less


def test_cert_manager_cannot_list_route53_zones_external_dns_can() -> None:
    # cert-manager's solver is given hostedZoneID and never lists zones (cert-manager
    # pkg/issuer/acme/dns/route53/route53.go getHostedZoneID); external-dns lists them (docs/tutorials/aws.md).
    result = with_zone("aws-dev")

    def actions(name: str) -> set[str]:
        policy = json.loads(result.one("aws:iam/rolePolicy:RolePolicy", name).inputs["policy"])
        out: set[str] = set()
        for statement in policy["Statement"]:
            acts = statement["Action"]
            out.update([acts] if isinstance(acts, str) else acts)
        return out

    assert not {a for a in actions("mlplatform-cert-manager-dns-records") if a.startswith("route53:ListHostedZones")}
    assert {"route53:ListHostedZones", "route53:ListHostedZonesByName"} <= actions(
        "mlplatform-external-dns-dns-records"
    )


def test_cert_manager_gets_no_project_wide_dns_reader_on_gke() -> None:
    result = with_zone("gcp-prod")
    readers = [
        r.name for r in result.of_type("gcp:projects/iAMMember:IAMMember") if r.inputs.get("role") == "roles/dns.reader"
    ]
    assert readers == ["mlplatform-external-dns-dns-reader"]


def test_cert_manager_gets_no_resource_group_reader_on_aks() -> None:
    result = with_zone("azure-staging")
    names = {r.name for r in result.of_type("azure-native:authorization:RoleAssignment")}
    assert "mlplatform-external-dns-dns-reader" in names
    assert "mlplatform-cert-manager-dns-reader" not in names
    assert "mlplatform-cert-manager-dns-zone-contributor" in names


# ------------------------------------------------------------------------------ 13: Entra v2.0 audiences

GUID = re.compile(r"\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


@pytest.mark.parametrize("stack", ["aws-dev", "azure-staging", "gcp-prod", "local"])
def test_entra_v2_audiences_are_client_ids(stack: str) -> None:
    # Entra v2.0 access tokens (issuer https://login.microsoftonline.com/<tenant>/v2.0) carry aud = the API's client
    # id: "In v2.0 tokens, this value is always the client ID of the API" (Microsoft identity platform, access token
    # claims reference). An api:// audience would make every such token fail Istio's RequestAuthentication.
    raw = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    for name, model in (raw.get("mlplatform:models") or {}).items():
        jwt = ((model or {}).get("access") or {}).get("jwt") or {}
        if re.fullmatch(r"https://login\.microsoftonline\.com/[^/]+/v2\.0", str(jwt.get("issuer", ""))):
            assert all(GUID.fullmatch(str(a)) for a in jwt.get("audiences", [])), (stack, name, jwt["audiences"])


# ------------------------------------------------------------------------------ 8: Gateway API CRDs


def test_the_gateway_api_crds_are_retained_on_delete() -> None:
    # Deleting a CRD deletes every object of its kind cluster-wide; retainOnDelete on the ConfigFile component
    # propagates to its children (pulumi.com resource option retainOnDelete).
    result = plan_platform({"domain": "models.example.com", "deploymentMode": "Standard"})
    (crds,) = [r for r in result.of_type("kubernetes:yaml/v2:ConfigFile") if r.name.endswith("gateway-api-crds")]
    assert crds.retain_on_delete


def test_gke_leaves_the_gateway_api_crds_to_the_platform() -> None:
    (cluster,) = with_zone("gcp-prod").of_type("gcp:container/cluster:Cluster")
    assert cluster.inputs["gatewayApiConfig"] == {"channel": "CHANNEL_DISABLED"}
