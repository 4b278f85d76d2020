"""Pinned versions reach every release (chart, version, repository, namespace); overrides work; settings errors."""

from __future__ import annotations

import pytest
from platform_support import LOCAL, PLATFORM, plan_stack_file, plan_variant, release_reg, releases, stack_names

from components.errors import SpecError
from components.platform.handles import PlatformHandles
from components.versions import CHARTS, CLUSTER_CHARTS, KNATIVE_SERVING_VERSION, knative_serving_version
from support import plan_config

EXPECTED = {
    # release name: (chart key, namespace)
    "cert-manager": ("cert-manager", "cert-manager"),
    "istio-base": ("istio-base", "istio-system"),
    "istio-cni": ("istio-cni", "kube-system"),
    "istiod": ("istiod", "istio-system"),
    "istio-ingressgateway": ("istio-gateway", "istio-system"),
    "knative-operator": ("knative-operator", "knative-operator"),
    "kserve-crd": ("kserve-crd", "kserve"),
    "kserve": ("kserve-resources", "kserve"),
    "kserve-runtime-configs": ("kserve-runtime-configs", "kserve"),
    "kube-prometheus-stack": ("kube-prometheus-stack", "monitoring"),
}
PINNED = {
    "cert-manager": "v1.21.1",
    "istio-base": "1.30.3",
    "istiod": "1.30.3",
    "istio-gateway": "1.30.3",
    "istio-cni": "1.30.3",
    "knative-operator": "v1.21.4",
    "kserve-crd": "v0.20.0",
    "kserve-resources": "v0.20.0",
    "kserve-runtime-configs": "v0.20.0",
    "kube-prometheus-stack": "88.5.3",
    "dcgm-exporter": "4.8.2",
    "nvidia-device-plugin": "0.20.0",
    "gpu-operator": "v26.7.0",
}


def test_the_pinned_set_is_the_design_set() -> None:
    assert {k: CHARTS[k].version for k in PINNED} == PINNED
    assert knative_serving_version(CHARTS["knative-operator"].version) == KNATIVE_SERVING_VERSION == "1.21"


def test_local_installs_each_pinned_chart_from_its_repository() -> None:
    rels = releases(plan_variant("local-dev"))
    assert set(rels) == set(EXPECTED)
    for name, (key, namespace) in EXPECTED.items():
        ref = CHARTS[key]
        assert (rels[name]["chart"], rels[name]["version"], rels[name]["namespace"]) == (
            ref.chart,
            ref.version,
            namespace,
        )
        assert rels[name]["repository"] == ref.repository
    assert rels["kserve"]["chart"] == "oci://ghcr.io/kserve/charts/kserve-resources"
    assert rels["kserve"]["repository"] == ""


def test_releases_are_atomic_and_wait_for_hook_jobs() -> None:
    inputs = release_reg(plan_variant("local-dev"), "cert-manager").wire_inputs()
    assert (inputs["atomic"], inputs["cleanupOnFail"], inputs["waitForJobs"], inputs["timeout"]) == (
        True,
        True,
        True,
        600,
    )
    assert inputs["values"]["crds"] == {"enabled": True, "keep": True}


@pytest.mark.parametrize("stack", stack_names())
def test_every_stack_uses_pinned_versions_unless_it_overrides(stack: str) -> None:
    result = plan_stack_file(stack)
    refs = (*CHARTS.values(), *CLUSTER_CHARTS.values())
    pinned = {(ref.chart, ref.version) for ref in refs} | {
        (ref.crd_chart, ref.version) for ref in refs if ref.crd_chart
    }
    for name, rel in releases(result).items():
        assert (rel["chart"], rel["version"]) in pinned, f"{stack}: {name} {rel['version']} is not pinned"


def test_a_stack_override_changes_the_version_of_that_chart_only() -> None:
    cfg = {**LOCAL, "platform": {"domain": "models.example.com", "versions": {"kube-prometheus-stack": "88.4.0"}}}
    rels = releases(plan_config(cfg))
    assert rels["kube-prometheus-stack"]["version"] == "88.4.0"
    assert rels["cert-manager"]["version"] == "v1.21.1"


def test_platform_outputs_list_the_installed_versions() -> None:
    outputs = plan_variant("local-dev").one(PLATFORM).outputs
    assert outputs["versions"]["istiod"] == "1.30.3"
    assert outputs["gateway"] == "knative-serving/knative-ingress-gateway"
    assert outputs["ha"] is False


def test_acme_needs_a_dns01_solver() -> None:
    cfg = {**LOCAL, "platform": {"tls": {"issuer": "acme", "acmeEmail": "ops@mycorp.io"}}}
    with pytest.raises(SpecError) as e:
        plan_config(cfg, stack="t")
    assert str(e.value) == (
        "stacks/Pulumi.t.yaml: mlplatform:platform.tls.acmeDns01: null is not allowed; give platform.dns (the zone; "
        "cert-manager then gets a cloud identity on it) or a cert-manager DNS-01 solver with its credentials: the "
        "gateway's wildcard certificate is issued only through DNS-01"
    )


def test_an_unknown_gateway_service_type_is_rejected() -> None:
    cfg = {**LOCAL, "platform": {"gatewayServiceType": "External"}}
    with pytest.raises(SpecError) as e:
        plan_config(cfg, stack="t")
    assert str(e.value) == (
        "stacks/Pulumi.t.yaml: mlplatform:platform.gatewayServiceType: External is not allowed; give one of "
        "LoadBalancer, NodePort, ClusterIP"
    )


def test_handles_give_the_host_kserve_serves_a_model_at() -> None:
    from platform_support import FakeCluster

    from support import run

    hosts: list[str] = []

    def program() -> None:
        hosts.append(PlatformHandles(cluster=FakeCluster(), domain="models.example.com").host("iris", "team-a"))

    run(program)
    assert hosts == ["iris-team-a.models.example.com"]


def test_docs_versions_lists_the_pinned_set_and_every_table_line() -> None:
    from components.versions import COMPATIBILITY
    from support import ROOT

    text = (ROOT / "docs" / "versions.md").read_text()
    for key, ref in (*CHARTS.items(), *CLUSTER_CHARTS.items()):
        assert f"| `{key}` |" in text and f"`{ref.version}`" in text, key
    for component, lines in COMPATIBILITY.items():
        for line, facts in lines.items():
            lo, hi = facts.kubernetes
            assert f"| {line} | {lo}-{hi} |" in text, f"{component} {line}"


def test_platform_args_reject_an_unknown_environment() -> None:
    from platform_support import FakeCluster

    from components.platform import PlatformArgs
    from support import run

    errors: list[str] = []

    def program() -> None:
        try:
            PlatformArgs(cluster=FakeCluster(), environment="production")
        except SpecError as e:
            errors.append(str(e))

    run(program)
    assert errors == ["environment: production is not allowed; give one of dev, staging, prod"]
