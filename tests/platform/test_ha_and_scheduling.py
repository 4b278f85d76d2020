"""HA (prod) vs dev replica counts and PDBs; add-ons on the system pool and off GPU nodes; GPU DaemonSets only on
GPU nodes; which GPU add-ons are installed when."""

from __future__ import annotations

from typing import Any

import pytest
from platform_support import SYSTEM_SELECTOR, obj_named, objects, plan_platform, releases

from components.clusters.base import GPU_TAINT
from components.naming import ACCELERATOR_LABEL

GPU_TOLERATION = GPU_TAINT.toleration()
GPU_AFFINITY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": ACCELERATOR_LABEL, "operator": "Exists"}]}]
        }
    }
}
ZONE_SPREAD = "topology.kubernetes.io/zone"


def _values(env: str, settings: dict[str, Any] | None = None, **cluster: Any) -> dict[str, dict[str, Any]]:
    return {
        name: rel["values"] for name, rel in releases(plan_platform(settings, environment=env, cluster=cluster)).items()
    }


@pytest.fixture(scope="module")
def prod() -> dict[str, dict[str, Any]]:
    return _values("prod")


@pytest.fixture(scope="module")
def dev() -> dict[str, dict[str, Any]]:
    return _values("dev")


def test_istiod_and_gateway_replicas(prod: dict[str, Any], dev: dict[str, Any]) -> None:
    assert (prod["istiod"]["replicaCount"], prod["istiod"]["autoscaleMin"]) == (2, 2)
    assert (dev["istiod"]["replicaCount"], dev["istiod"]["autoscaleMin"]) == (1, 1)
    assert prod["istiod"]["global"]["defaultPodDisruptionBudget"] == {"enabled": True}  # chart: minAvailable 1
    assert dev["istiod"]["global"]["defaultPodDisruptionBudget"] == {"enabled": False}  # 1 replica: no PDB
    gw = prod["istio-ingressgateway"]
    assert (gw["replicaCount"], gw["autoscaling"], gw["podDisruptionBudget"]) == (
        2,
        {"minReplicas": 2},
        {"minAvailable": 1},
    )
    assert "podDisruptionBudget" not in dev["istio-ingressgateway"]


def test_knative_replicas_activators_and_pdbs() -> None:
    def spec(env: str) -> dict[str, Any]:
        return obj_named(plan_platform(environment=env), "KnativeServing", "knative-serving")["spec"]  # type: ignore[no-any-return]

    prod, dev = spec("prod"), spec("dev")
    assert prod["high-availability"] == {"replicas": 2} and dev["high-availability"] == {"replicas": 1}
    activator = {w["name"]: w for w in prod["workloads"]}["activator"]
    assert activator["replicas"] == 3
    assert {w["name"]: w for w in dev["workloads"]}["activator"]["replicas"] == 1
    assert prod["podDisruptionBudgets"] == [
        {"name": "activator-pdb", "minAvailable": 2},
        {"name": "webhook-pdb", "minAvailable": 1},
    ]
    # Dev: one replica each, so the PDBs must allow the one pod to be evicted (drains must not hang).
    assert dev["podDisruptionBudgets"] == [
        {"name": "activator-pdb", "minAvailable": 0},
        {"name": "webhook-pdb", "minAvailable": 0},
    ]
    *deployments, job = prod["workloads"]
    assert job == {"name": "storage-version-migration-serving-", "annotations": {"sidecar.istio.io/inject": "false"}}
    assert [w["name"] for w in deployments if "annotations" not in w] == ["activator", "autoscaler"]  # meshed
    for w in deployments:
        assert w["nodeSelector"] == SYSTEM_SELECTOR
        assert [c["topologyKey"] for c in w["topologySpreadConstraints"]] == [ZONE_SPREAD, "kubernetes.io/hostname"]
    assert all("topologySpreadConstraints" not in w for w in dev["workloads"])
    assert all(w["annotations"] == {"sidecar.istio.io/inject": "false"} for w in deployments if "annotations" in w)


def test_kserve_controller_runs_two_replicas_with_a_pdb_in_prod_only() -> None:
    prod = plan_platform(environment="prod")
    hpa = obj_named(prod, "HorizontalPodAutoscaler", "kserve-controller-manager")
    assert hpa["metadata"]["namespace"] == "kserve"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "kserve-controller-manager",
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 2)
    pdb = obj_named(prod, "PodDisruptionBudget", "kserve-controller-manager")
    assert pdb["spec"] == {
        "maxUnavailable": 1,
        "selector": {"matchLabels": {"control-plane": "kserve-controller-manager"}},
    }
    dev = plan_platform(environment="dev")
    assert objects(dev, "HorizontalPodAutoscaler") == [] and objects(dev, "PodDisruptionBudget") == []


def test_ha_setting_overrides_the_environment() -> None:
    assert _values("dev", {"ha": True})["istiod"]["replicaCount"] == 2
    assert _values("prod", {"ha": False})["istiod"]["replicaCount"] == 1


def test_prometheus_and_alertmanager_ha(prod: dict[str, Any], dev: dict[str, Any]) -> None:
    kps = prod["kube-prometheus-stack"]
    assert kps["prometheus"]["prometheusSpec"]["replicas"] == 2
    assert kps["prometheus"]["podDisruptionBudget"] == {"enabled": True, "minAvailable": 1}
    assert kps["alertmanager"]["alertmanagerSpec"]["replicas"] == 2
    assert dev["kube-prometheus-stack"]["prometheus"]["podDisruptionBudget"] == {"enabled": False}


def test_monitoring_settings_reach_prometheus() -> None:
    kps = _values("dev", {"monitoring": {"retention": "30d", "storageSize": "200Gi"}})["kube-prometheus-stack"]
    spec = kps["prometheus"]["prometheusSpec"]
    assert spec["retention"] == "30d"
    assert spec["storageSpec"]["volumeClaimTemplate"]["spec"]["resources"] == {"requests": {"storage": "200Gi"}}
    assert spec["serviceMonitorSelectorNilUsesHelmValues"] is False
    assert kps["grafana"]["sidecar"]["dashboards"]["label"] == "grafana_dashboard"


ADDONS = ("cert-manager", "istiod", "istio-ingressgateway", "kserve", "kube-prometheus-stack", "knative-operator")


def _walk(value: Any) -> list[Any]:
    out = [value]
    if isinstance(value, dict):
        for v in value.values():
            out += _walk(v)
    elif isinstance(value, list):
        for v in value:
            out += _walk(v)
    return out


@pytest.mark.parametrize("release", ADDONS)
def test_addons_stay_on_the_system_pool_and_never_tolerate_the_gpu_taint(prod: dict[str, Any], release: str) -> None:
    values = prod[release]
    assert GPU_TOLERATION not in _walk(values)
    assert not any(isinstance(v, dict) and v.get("key") == "nvidia.com/gpu" for v in _walk(values))
    selectors = [v["nodeSelector"] for v in _walk(values) if isinstance(v, dict) and "nodeSelector" in v]
    affinities = [v["affinity"] for v in _walk(values) if isinstance(v, dict) and "affinity" in v]
    assert selectors or affinities, f"{release} is not pinned to the system pool"
    assert all(s == SYSTEM_SELECTOR for s in selectors)
    for a in affinities:
        terms = a["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        assert terms == [{"matchExpressions": [{"key": "mlplatform.io/pool", "operator": "In", "values": ["system"]}]}]


def test_no_system_label_means_no_node_selector() -> None:
    values = _values("prod", None, selector={})
    for release in ADDONS:
        assert all("nodeSelector" not in v for v in _walk(values[release]) if isinstance(v, dict)), release
    assert "affinity" not in values["knative-operator"]


def test_device_plugin_and_dcgm_run_only_on_gpu_nodes(prod: dict[str, Any]) -> None:
    plugin = prod["nvidia-device-plugin"]
    assert plugin == {"affinity": GPU_AFFINITY, "tolerations": [GPU_TOLERATION]}
    dcgm = prod["dcgm-exporter"]
    assert dcgm == {"affinity": GPU_AFFINITY, "tolerations": [GPU_TOLERATION], "serviceMonitor": {"enabled": False}}
    monitor = obj_named(plan_platform(environment="prod"), "ServiceMonitor", "dcgm-exporter")
    assert monitor["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": "dcgm-exporter"}}


def test_no_device_plugin_without_gpu_pools_or_when_the_cloud_advertises_gpus() -> None:
    assert "nvidia-device-plugin" not in _values("dev", pools={})
    assert "dcgm-exporter" not in _values("dev", pools={})
    no_plugin = _values("dev", needs_device_plugin=False)
    assert "nvidia-device-plugin" not in no_plugin and "dcgm-exporter" in no_plugin


def test_dcgm_only_with_monitoring_and_without_a_managed_one() -> None:
    assert "dcgm-exporter" not in _values("dev", needs_dcgm_exporter=False)
    assert "dcgm-exporter" not in _values("dev", {"monitoring": {"managedDcgm": True}})
    assert "dcgm-exporter" not in _values("dev", {"monitoring": {"enabled": False}})


def test_gpu_operator_mode_turns_driver_and_toolkit_off() -> None:
    values = _values("prod", {"gpuSupport": "gpu-operator"})
    assert "nvidia-device-plugin" not in values and "dcgm-exporter" not in values
    op = values["gpu-operator"]
    assert op["driver"] == {"enabled": False} and op["toolkit"] == {"enabled": False}
    assert op["daemonsets"] == {"tolerations": [GPU_TOLERATION]}
    assert op["operator"] == {"nodeSelector": SYSTEM_SELECTOR}
    assert op["dcgmExporter"] == {"enabled": True, "serviceMonitor": {"enabled": True}}
    no_mon = _values("prod", {"gpuSupport": "gpu-operator", "monitoring": {"enabled": False}})["gpu-operator"]
    assert no_mon["dcgmExporter"] == {"enabled": False, "serviceMonitor": {"enabled": False}}


def test_gateway_service_type_is_configurable() -> None:
    assert _values("dev")["istio-ingressgateway"]["service"] == {"type": "LoadBalancer"}
    assert _values("dev", {"gatewayServiceType": "NodePort"})["istio-ingressgateway"]["service"] == {"type": "NodePort"}


def test_kserve_matches_the_istio_and_knative_install() -> None:
    knative = _values("dev")["kserve"]["kserve"]["controller"]
    assert knative["deploymentMode"] == "Knative"
    assert knative["gateway"] == {
        "domain": "example.com",
        "urlScheme": "https",
        "ingressGateway": {"gateway": "knative-serving/knative-ingress-gateway", "className": "istio"},
    }
    standard = _values("dev", {"deploymentMode": "Standard", "domain": "m.example.org"})["kserve"]["kserve"][
        "controller"
    ]
    assert standard["deploymentMode"] == "Standard"
    assert standard["gateway"]["ingressGateway"]["gateway"] == "istio-system/mlplatform-gateway"
    assert standard["gateway"]["domain"] == "m.example.org"


def test_runtime_configs_install_the_serving_runtimes() -> None:
    assert _values("dev")["kserve-runtime-configs"] == {"kserve": {"servingruntime": {"enabled": True}}}


def test_istio_cni_on_by_default_and_istiod_told_so() -> None:
    on = _values("dev")
    assert "istio-cni" in on and on["istiod"]["cni"] == {"enabled": True}
    assert on["istiod"]["global"]["proxy"] == {"seccompProfile": {"type": "RuntimeDefault"}}  # restricted PSS
    off = _values("dev", {"istioCni": False})
    assert "istio-cni" not in off and off["istiod"]["cni"] == {"enabled": False}
    assert "proxy" not in off["istiod"]["global"]


def test_istio_cni_uses_the_cluster_cni_folder_when_it_gives_one() -> None:
    from platform_support import FakeCluster

    from components.platform import Platform, PlatformArgs, PlatformSettings
    from support import run

    def program() -> None:
        gke_like = FakeCluster(cni_bin_dir="/home/kubernetes/bin")
        Platform("p", PlatformArgs(cluster=gke_like, settings=PlatformSettings()))

    assert releases(run(program))["istio-cni"]["values"] == {"cniBinDir": "/home/kubernetes/bin"}
    assert _values("dev")["istio-cni"] == {}
