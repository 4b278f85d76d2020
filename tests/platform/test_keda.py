"""KEDA as a platform add-on (issue #14, LLM autoscaling): installed only when asked, pinned, hardened, before KServe's
controller, checked against KEDA's Kubernetes matrix; a stack that uses it passes the policies."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from platform_support import LOCAL, FakeCluster, obj_named, plan_platform, release_reg, releases

from components.errors import SpecError
from components.platform import Platform, PlatformArgs, PlatformSettings, keda
from components.versions import CHARTS
from support import ROOT, plan_config, run

SECURE_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
SECURE_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def _with_models(models: tuple[str, ...], settings: dict[str, Any] | None = None, **kw: Any) -> Any:
    parsed = PlatformSettings.model_validate({"deploymentMode": "Standard", **(settings or {})})
    holder: dict[str, Platform] = {}

    def program() -> None:
        holder["p"] = Platform("p", PlatformArgs(cluster=FakeCluster(), settings=parsed, keda_models=models, **kw))

    result = run(program)
    return result, holder.get("p")


def test_keda_is_not_installed_unless_asked() -> None:
    assert "keda" not in releases(plan_platform({"deploymentMode": "Standard"}))


def test_a_model_on_an_llm_metric_brings_keda_before_kserves_controller() -> None:
    result, platform = _with_models(("chat",))
    rel = releases(result)["keda"]
    ref = CHARTS["keda"]
    assert (rel["chart"], rel["version"], rel["repository"], rel["namespace"]) == (
        "keda",
        "2.20.2",
        "https://kedacore.github.io/charts",
        "keda",
    )
    assert ref.version == "2.20.2"
    # KServe's controller looks for the ScaledObject CRD once, at start (controller.go SetupWithManager)
    assert release_reg(result, "keda").urn in release_reg(result, "kserve").depends_on
    assert platform is not None and platform.handles.keda is True
    ns = obj_named(result, "Namespace", "keda")
    labels = ns["metadata"]["labels"]
    assert {labels[f"pod-security.kubernetes.io/{m}"] for m in ("enforce", "audit", "warn")} == {"restricted"}
    assert "istio-injection" not in labels


def test_platform_keda_true_installs_it_without_models() -> None:
    assert "keda" in releases(plan_platform({"deploymentMode": "Standard", "keda": True}))


def test_platform_keda_false_with_a_model_that_needs_it_is_one_line() -> None:
    with pytest.raises(SpecError) as e:
        keda.wanted(PlatformSettings.model_validate({"keda": False}), ["chat", "bot"])
    assert str(e.value) == (
        "platform.keda: false is not allowed; model(s) bot, chat scale on an LLM metric through KEDA; set "
        "platform.keda: true (or leave it out), or give those models another scaling.metric"
    )


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_values_are_restricted_and_ha_in_prod(environment: str) -> None:
    result = plan_platform({"deploymentMode": "Standard", "keda": True}, environment=environment)
    values = releases(result)["keda"]["values"]
    ha = environment == "prod"
    replicas = 2 if ha else 1
    expected: dict[str, Any] = {
        "crds": {"install": True},
        "operator": {"replicaCount": replicas},
        "metricsServer": {"replicaCount": replicas},
        "webhooks": {"replicaCount": replicas},
        "nodeSelector": {"mlplatform.io/pool": "system"},
        "podSecurityContext": {c: SECURE_POD for c in ("operator", "metricServer", "webhooks")},
        "securityContext": {c: SECURE_CONTAINER for c in ("operator", "metricServer", "webhooks")},
        "networkPolicy": {"enabled": False},
    }
    apps = {
        "operator": "keda-operator",
        "metricsServer": "keda-operator-metrics-apiserver",
        "webhooks": ("keda-admission-webhooks"),
    }
    if ha:
        expected["podDisruptionBudget"] = {c: {"minAvailable": 1} for c in ("operator", "metricServer", "webhooks")}
        expected["topologySpreadConstraints"] = {
            c: [
                {
                    "maxSkew": 1,
                    "topologyKey": key,
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": {"app": app}},
                }
                for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
            ]
            for c, app in apps.items()
        }
    else:
        expected["topologySpreadConstraints"] = {c: [] for c in apps}
    assert values == expected


def test_a_kubernetes_keda_is_not_tested_on_is_one_line() -> None:
    settings = PlatformSettings.model_validate({"deploymentMode": "Standard"})
    with pytest.raises(SpecError) as e:
        keda.check_version(settings, "1.32")
    assert str(e.value) == (
        "cluster.kubernetesVersion: 1.32 is not allowed; KEDA 2.20 is tested on Kubernetes 1.33 to 1.35 (keda.sh "
        "compatibility matrix); give a KEDA version for this Kubernetes or set platform.allowUnsupportedVersions: true"
    )
    keda.check_version(settings, "1.34")
    keda.check_version(PlatformSettings.model_validate({"allowUnsupportedVersions": True}), "1.32")


def test_an_unknown_keda_line_is_one_line() -> None:
    settings = PlatformSettings.model_validate({"versions": {"keda": "2.12.0"}})
    with pytest.raises(SpecError) as e:
        keda.check_version(settings, "1.34")
    assert str(e.value) == (
        "platform.versions.keda: 2.12.0 is not allowed; KEDA 2.12 is not in the compatibility table; give 2.17.x, "
        "2.18.x, 2.19.x, 2.20.x or set platform.allowUnsupportedVersions: true"
    )


def test_the_version_check_runs_only_with_keda() -> None:
    # Kubernetes 1.32 is fine for a Standard-mode platform without KEDA, refused with it
    cfg = {
        **LOCAL,
        "cluster": {"existing": {"context": "kind-test"}, "kubernetesVersion": "1.32"},
        "platform": {"domain": "models.example.com", "deploymentMode": "Standard"},
    }
    assert "keda" not in releases(plan_config(cfg))
    with pytest.raises(SpecError) as e:
        plan_config({**cfg, "platform": {**cfg["platform"], "keda": True}}, stack="t")
    assert "KEDA 2.20 is tested on Kubernetes 1.33 to 1.35" in str(e.value)


def test_the_coverage_stack_with_an_llm_model_passes_the_policies() -> None:
    from components.plan.project import load_project
    from support import stack_plan

    project = dataclasses.replace(load_project(ROOT), stack_config_dir="tests/golden_stacks")
    stack = stack_plan(project.stack_config_dir, "cover-gcp-standard")  # planned once per process
    assert stack.mandatory_failures == []
    assert "keda" in releases(stack.result)
    firewall = [
        r.plain_inputs()
        for r in stack.result.of_type("gcp:compute/firewall:Firewall")
        if any(str(p) == "6443" for a in r.plain_inputs().get("allows", []) for p in a.get("ports", []))
    ]
    assert firewall, "the control plane reaches KEDA's metrics APIService on 6443 (keda.sh Firewall)"
