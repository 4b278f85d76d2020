"""Regression tests for the hostile review of the platform change (gateway address, external-dns, DCGM on GKE,
managed-cluster alerts, alert routing, DNS grants, gateway load balancer timeouts)."""

from __future__ import annotations

from typing import Any

import pytest
from platform_support import plan_platform, releases

from components.plan import engine
from components.plan.engine import PlanMocks, PlanResult
from components.platform import istio

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
