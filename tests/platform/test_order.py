"""Install order: each add-on waits only on what it needs. Every edge between install steps is listed in
:data:`EDGES` with its upstream reason; the plan of every stack and variant must have exactly those edges (a
documented edge missing fails, and so does an edge without a reason). Also: CRD-owning releases before their custom
resources, models after what they need, providers."""

from __future__ import annotations

import pytest
from platform_support import PLATFORM, plan_platform, plan_stack_file, plan_variant, release_reg, releases, stack_names

from components.plan.engine import PlanResult, Registration

SERVING = "kubernetes:operator.knative.dev/v1beta1:KnativeServing"
GATEWAY_API_CRDS = "kubernetes:yaml/v2:ConfigFile"
API_GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
STEP_TYPES = {SERVING: "<KnativeServing>", GATEWAY_API_CRDS: "<gateway-api-crds>", API_GATEWAY: "<Gateway>"}
"""Install steps that are not Helm releases (releases are named by their release name)."""

EDGES: dict[tuple[str, str], str] = {
    ("istio-base", "istiod"): "base holds the CRDs istiod needs (istio.io docs/setup/install/helm)",
    ("istio-base", "istio-cni"): "base before any other Istio component (istio.io docs/ambient/install/helm)",
    ("istiod", "istio-ingressgateway"): "gateway pods are built by istiod's injector (chart values, inject templates)",
    ("knative-operator", "<KnativeServing>"): "the operator release installs the KnativeServing CRD",
    ("istiod", "<KnativeServing>"): "activator and autoscaler are injected; net-istio needs Istio's CRDs",
    ("istio-cni", "<KnativeServing>"): "injected pods started before the CNI agent are evicted (Istio CNI race repair)",
    ("kserve-crd", "kserve"): "the chart's ClusterStorageContainer and the controller need KServe's CRDs",
    ("cert-manager", "kserve"): "the webhook certificate is a cert-manager Certificate (serving-cert)",
    ("<KnativeServing>", "kserve"): "the controller looks for the Knative Service CRD once, at start",
    ("istio-base", "kserve"): "the controller looks for the VirtualService CRD once, at start",
    ("<gateway-api-crds>", "kserve"): "Gateway API mode refuses to start without the HTTPRoute CRD",
    ("keda", "kserve"): "the controller looks for the KEDA ScaledObject CRD once, at start, to own ScaledObjects",
    (
        "kserve",
        "kserve-runtime-configs",
    ): "ClusterServingRuntimes pass KServe's validating webhook (failurePolicy Fail)",
    ("<gateway-api-crds>", "<Gateway>"): "a custom resource after its CRD",
    ("kube-prometheus-stack", "gpu-operator"): "the operator's DCGM ServiceMonitor needs the Prometheus Operator CRDs",
    ("istiod", "vector"): "the request-log collector is injected: outside the mesh its records travel in plain text",
    ("istio-cni", "vector"): "injected pods started before the CNI agent are evicted (Istio CNI race repair)",
    (
        "karpenter-crd",
        "karpenter",
    ): "the controller needs its CRDs, released apart so they upgrade (karpenter.sh Upgrade Guide, CRD Upgrades)",
}
"""Every edge between install steps, with its reason (the code comments cite the upstream source)."""


def _steps(result: PlanResult) -> dict[str, str]:
    """URN -> step label of every install step in the plan."""
    out = {release_reg(result, name).urn: name for name in releases(result)}
    for type_, label in STEP_TYPES.items():
        for reg in result.of_type(type_):
            out[reg.urn] = label
    return out


def step_edges(result: PlanResult) -> set[tuple[str, str]]:
    """The direct ``depends_on`` edges between install steps in ``result``."""
    steps = _steps(result)
    return {
        (steps[dep], label)
        for urn, label in steps.items()
        for dep in (result.by_urn(urn) or _missing(urn)).depends_on
        if dep in steps
    }


def _missing(urn: str) -> Registration:
    raise AssertionError(f"no registration {urn}")


def _assert_documented_graph(result: PlanResult) -> None:
    present = set(_steps(result).values())
    expected = {e for e in EDGES if set(e) <= present}
    actual = step_edges(result)
    missing, unexplained = sorted(expected - actual), sorted(actual - expected)
    assert not missing, f"documented edges missing: {missing}"
    assert not unexplained, f"edges without a reason: {unexplained}"


@pytest.mark.parametrize(
    "variant", ["local-dev", "local-prod-ha", "standard", "no-cni-no-monitoring", "gpu-operator-acme"]
)
def test_every_variant_installs_along_the_documented_graph(variant: str) -> None:
    _assert_documented_graph(plan_variant(variant))


@pytest.mark.parametrize("settings", [{}, {"istioCni": False, "monitoring": {"enabled": False}}])
def test_the_request_log_collector_installs_along_the_documented_graph(settings: dict[str, object]) -> None:
    """Issue #14: the collector joined the mesh, so it waits for istiod (and the CNI agent when there is one)."""
    result = plan_platform({**settings, "requestLogs": {}}, request_log_namespaces=("models",))
    _assert_documented_graph(result)
    assert ("istiod", "vector") in step_edges(result)


@pytest.mark.parametrize("stack", stack_names())
def test_every_stack_installs_along_the_documented_graph(stack: str) -> None:
    _assert_documented_graph(plan_stack_file(stack))


def test_knative_mode_has_the_edges_the_brief_keeps() -> None:
    # CRDs before their objects, Istio before injected workloads and net-istio, KnativeServing Ready before KServe,
    # cert-manager before KServe's webhook certificate.
    edges = step_edges(plan_variant("local-dev"))
    for edge in [
        ("knative-operator", "<KnativeServing>"),
        ("istiod", "<KnativeServing>"),
        ("istio-cni", "<KnativeServing>"),
        ("<KnativeServing>", "kserve"),
        ("cert-manager", "kserve"),
        ("kserve-crd", "kserve"),
        ("kserve", "kserve-runtime-configs"),
    ]:
        assert edge in edges, edge


def test_independent_installs_start_at_once() -> None:
    # Regression (issue 16): every release waited for the one before (cert-manager -> istio-base -> ... ->
    # kserve-crd). cert-manager, istio-base, the Knative operator and kserve-crd wait on nothing but their namespace.
    result = plan_variant("local-dev")
    steps = _steps(result)
    for release in ("cert-manager", "istio-base", "knative-operator", "kserve-crd", "kube-prometheus-stack"):
        waits = [steps[d] for d in release_reg(result, release).depends_on if d in steps]
        assert waits == [], f"{release} waits for {waits}"


def test_standard_mode_kserve_waits_for_the_gateway_api_crds_not_the_gateway() -> None:
    result = plan_variant("standard")
    assert result.of_type(SERVING) == []
    edges = step_edges(result)
    assert ("<gateway-api-crds>", "kserve") in edges
    assert not any(after == "kserve-crd" for _, after in edges)


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


def test_the_gateway_certificate_waits_for_its_issuer_and_models_for_the_certificate() -> None:
    result = plan_variant("local-dev")
    cert = result.one("kubernetes:cert-manager.io/v1:Certificate", "mlplatform-gateway-certificate")
    issuer = result.one("kubernetes:cert-manager.io/v1:ClusterIssuer", "mlplatform-ca-issuer")
    assert issuer.urn in cert.depends_on
    # KnativeServing's Ready does not need the certificate; models (HTTPS) do.
    assert cert.urn not in result.one(SERVING).depends_on
    assert "p-gateway-certificate" in _ready_names({})


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


def test_models_wait_on_what_they_need() -> None:
    # The KServe releases, KnativeServing, monitoring (models declare monitors of its CRDs), istiod and the CNI agent
    # (model pods are injected), the ingress gateway and its certificate: with parallel installs these are no longer
    # ancestors of KServe, so models name them.
    assert _ready_names({}) == [
        "p-kserve-resources",
        "p-kserve-runtime-configs",
        "p-knative-serving",
        "p-monitoring",
        "p-istiod",
        "p-istio-cni",
        "p-istio-gateway",
        "p-gateway-certificate",
    ]
    assert _ready_names({"deploymentMode": "Standard", "monitoring": {"enabled": False}, "istioCni": False}) == [
        "p-kserve-resources",
        "p-kserve-runtime-configs",
        "p-gateway",
        "p-istiod",
        "p-istio-gateway",
        "p-gateway-certificate",
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
