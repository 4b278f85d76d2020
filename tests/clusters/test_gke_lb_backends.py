"""GKE: a request waiting for a cold start keeps its load balancer backend (rev16 defect 12, rev16b defect 8).

GKE's passthrough Network Load Balancer forgets a connection idle for 60 s and hashes its next packet over its
backends again; with Kubernetes' default ``externalTrafficPolicy: Cluster`` every node is a backend, the GPU node a
cold start adds included. Google's advice is ``Local`` "to minimize disruption when the number of nodes in the cluster
without serving Pods changes" (cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer, "Effect of
externalTrafficPolicy"). The gateway renders it on GKE only, and the policy fails a GKE gateway without it.
"""

from __future__ import annotations

from typing import Any

import pytest

from policy.rules import Resource
from support import cover_plan, mutated_resources, rule_entries, rules_plan, upstream_dir

RULE = "timeouts-cover-cold-start"


def _gateway(r: Resource) -> bool:
    return r.type == "kubernetes:helm.sh/v3:Release" and str(r.props.get("chart", "")).endswith("gateway")


def _service(plan: tuple[tuple[Resource, ...], Any]) -> dict[str, Any]:
    (release,) = [r for r in plan[0] if _gateway(r)]
    service: dict[str, Any] = release.props["values"]["service"]
    return service


def _failures(resources: list[Resource] | tuple[Resource, ...], settings: Any) -> list[str]:
    return [e["message"] for e in rule_entries(resources, settings) if e["policy"] == RULE and not e["passed"]]


def test_the_chart_default_is_cluster() -> None:
    istio = (upstream_dir() / "chart-values" / "istio-gateway-1.30.3.yaml").read_text()
    assert 'externalTrafficPolicy: ""' in istio  # the chart leaves it to Kubernetes' default, Cluster


def test_the_gke_gateway_service_is_local_and_others_keep_the_default() -> None:
    service = _service(rules_plan("gcp-prod"))
    assert (service["type"], service["externalTrafficPolicy"]) == ("LoadBalancer", "Local")
    for stack in ("aws-dev", "azure-staging", "local"):
        assert "externalTrafficPolicy" not in _service(rules_plan(stack)), stack


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        (lambda p: p["values"]["service"].pop("externalTrafficPolicy"), "externalTrafficPolicy unset"),
        (lambda p: p["values"]["service"].update(externalTrafficPolicy="Cluster"), "externalTrafficPolicy 'Cluster'"),
    ],
)
def test_a_gke_gateway_without_local_fails_the_timeout_rule(change: Any, shown: str) -> None:
    resources, settings = rules_plan("gcp-prod")
    assert _failures(resources, settings) == []
    msgs = _failures(mutated_resources(resources, _gateway, change, exactly=1), settings)
    assert len(msgs) == 1, msgs
    assert msgs[0].startswith("gateway Service of Helm release istio-ingressgateway: " + shown), msgs
    assert "GKE's passthrough Network Load Balancer forgets a connection idle for 60 s" in msgs[0]
    assert msgs[0].endswith("the gateway Service needs externalTrafficPolicy Local")


def test_a_cluster_ip_gateway_is_not_judged_and_other_clouds_need_no_policy() -> None:
    resources, settings = rules_plan("gcp-prod")

    def cluster_ip(p: dict[str, Any]) -> None:
        p["values"]["service"] = {"type": "ClusterIP"}

    assert _failures(mutated_resources(resources, _gateway, cluster_ip, exactly=1), settings) == []
    aws, aws_settings = cover_plan("cover-aws-node-groups")
    assert _failures(aws, aws_settings) == []
