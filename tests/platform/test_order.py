"""Install order: the dependsOn chain of the plan, CRD-owning releases before their custom resources, providers."""

from __future__ import annotations

import itertools

import pytest
from platform_support import PLATFORM, plan_platform, plan_stack_file, plan_variant, release_reg, stack_names

from components.plan.engine import PlanResult, Registration

KNATIVE_CHAIN = [
    "cert-manager",
    "istio-base",
    "istio-cni",
    "istiod",
    "istio-ingressgateway",
    "knative-operator",
    "<KnativeServing>",
    "kserve-crd",
    "kserve",
    "kserve-runtime-configs",
]
SERVING = "kubernetes:operator.knative.dev/v1beta1:KnativeServing"


def _step(result: PlanResult, step: str) -> Registration:
    return result.one(SERVING) if step == "<KnativeServing>" else release_reg(result, step)


def _assert_chain(result: PlanResult, chain: list[str]) -> None:
    for before, after in itertools.pairwise(chain):
        first, second = _step(result, before), _step(result, after)
        assert first.urn in second.depends_on, f"{after} does not wait for {before}"


def test_knative_mode_installs_in_the_documented_order() -> None:
    _assert_chain(plan_variant("local-dev"), KNATIVE_CHAIN)


@pytest.mark.parametrize("stack", stack_names())
def test_every_stack_follows_the_chain(stack: str) -> None:
    result = plan_stack_file(stack)
    if not result.of_type(SERVING):
        pytest.skip(f"{stack} runs the Standard mode")
    has_cni = any(r.name.endswith("-istio-cni") for r in result.resources)
    chain = [s for s in KNATIVE_CHAIN if s != "istio-cni" or has_cni]
    _assert_chain(result, chain)


def test_without_cni_istiod_waits_for_base() -> None:
    chain = [s for s in KNATIVE_CHAIN if s != "istio-cni"]
    _assert_chain(plan_variant("no-cni-no-monitoring"), chain)


def test_standard_mode_skips_knative_and_kserve_waits_for_the_gateway() -> None:
    result = plan_variant("standard")
    assert result.of_type(SERVING) == []
    assert not [r for r in result.resources if r.name.endswith("knative-operator")]
    _assert_chain(result, ["cert-manager", "istio-base", "istio-cni", "istiod", "istio-ingressgateway"])
    # KServe waits for the Gateway API Gateway, which waits for the gateway release, its certificate and the CRDs.
    gateway = result.one("kubernetes:gateway.networking.k8s.io/v1:Gateway")
    crds = result.one("kubernetes:yaml/v2:ConfigFile")
    assert release_reg(result, "istio-ingressgateway").urn in gateway.depends_on
    assert crds.urn in gateway.depends_on
    assert gateway.urn in release_reg(result, "kserve-crd").depends_on
    _assert_chain(result, ["kserve-crd", "kserve", "kserve-runtime-configs"])


def _waits_for(result: PlanResult, type_: str, release: str) -> None:
    regs = result.of_type(type_)
    assert regs, f"no {type_}"
    dep = release_reg(result, release).urn
    for reg in regs:
        chain = _ancestors(result, reg)
        assert dep in chain, f"{reg.name} ({type_}) does not wait for the {release} release"


def _ancestors(result: PlanResult, reg: Registration) -> set[str]:
    seen: set[str] = set()
    todo = list(reg.depends_on)
    while todo:
        urn = todo.pop()
        if urn in seen:
            continue
        seen.add(urn)
        found = result.by_urn(urn)
        if found is not None:
            todo.extend(found.depends_on)
    return seen


@pytest.mark.parametrize(
    ("type_", "release"),
    [
        ("kubernetes:cert-manager.io/v1:ClusterIssuer", "cert-manager"),
        ("kubernetes:cert-manager.io/v1:Certificate", "cert-manager"),
        ("kubernetes:security.istio.io/v1:PeerAuthentication", "istio-base"),
        ("kubernetes:operator.knative.dev/v1beta1:KnativeServing", "knative-operator"),
        ("kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "kube-prometheus-stack"),
        ("kubernetes:monitoring.coreos.com/v1:PodMonitor", "kube-prometheus-stack"),
        ("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "kube-prometheus-stack"),
    ],
)
def test_custom_resources_wait_for_the_release_that_installs_their_crd(type_: str, release: str) -> None:
    result = plan_platform(environment="prod")
    platform_urn = result.one(PLATFORM).urn
    mine = [r for r in result.of_type(type_) if r.parent == platform_urn]
    assert mine
    _waits_for(result, type_, release)


def test_the_gateway_certificate_waits_for_its_issuer_and_knative_for_the_certificate() -> None:
    result = plan_variant("local-dev")
    cert = result.one("kubernetes:cert-manager.io/v1:Certificate", "mlplatform-gateway-certificate")
    issuer = result.one("kubernetes:cert-manager.io/v1:ClusterIssuer", "mlplatform-ca-issuer")
    assert issuer.urn in cert.depends_on
    assert cert.urn in result.one(SERVING).depends_on


def test_monitoring_and_gpu_run_in_parallel_with_the_serving_chain() -> None:
    result = plan_platform(environment="prod")
    serving = {release_reg(result, r).urn for r in ("cert-manager", "istio-base", "istiod", "kserve")}
    for release in ("kube-prometheus-stack", "nvidia-device-plugin", "dcgm-exporter"):
        assert not (_ancestors(result, release_reg(result, release)) & serving), f"{release} waits for serving"


def _ready_names(settings: dict[str, object]) -> list[str]:
    import pulumi
    from platform_support import FakeCluster

    from components.platform import Platform, PlatformArgs, PlatformSettings
    from support import run

    names: list[str] = []

    def program() -> None:
        platform = Platform(
            "p", PlatformArgs(cluster=FakeCluster(), settings=PlatformSettings.model_validate(settings))
        )
        pulumi.Output.all(*[r.urn for r in platform.handles.ready]).apply(
            lambda urns: names.extend(u.rsplit("::", 1)[-1] for u in urns)
        )

    run(program)
    return names


def test_models_wait_on_the_last_releases() -> None:
    # The KServe releases, the KnativeServing, and monitoring (models declare monitors of its CRDs).
    assert _ready_names({}) == ["p-kserve-resources", "p-kserve-runtime-configs", "p-knative-serving", "p-monitoring"]
    assert _ready_names({"deploymentMode": "Standard", "monitoring": {"enabled": False}}) == [
        "p-kserve-resources",
        "p-kserve-runtime-configs",
    ]


@pytest.mark.parametrize("stack", stack_names())
def test_every_platform_resource_uses_the_cluster_provider(stack: str) -> None:
    result = plan_stack_file(stack)
    platform = result.one(PLATFORM)
    children = result.children(platform)
    assert children
    cluster_providers = [r.urn for r in result.of_type("pulumi:providers:kubernetes") if r.parent != platform.urn]
    assert len(cluster_providers) == 1
    assert {r.provider_urn for r in children} == set(cluster_providers)
