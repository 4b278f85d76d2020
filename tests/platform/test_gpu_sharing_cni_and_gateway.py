"""The platform side of GPU sharing (device plugin configs), Istio CNI's binary folder, the storage-initializer's
security context, secure pod defaults, and the local stack's NodePort gateway."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from platform_support import (
    L4_POOL,
    RELEASE,
    obj_named,
    objects,
    plan_platform,
    plan_stack_file,
    plan_variant,
    release_reg,
    releases,
)

from components.clusters.base import DEVICE_PLUGIN_CONFIG_LABEL, GpuPoolInfo
from components.platform.values import RENDERED_WHOLE, chart_defaults, unknown_keys
from components.versions import CHARTS
from support import ROOT, plan_config, upstream_dir

TS4 = GpuPoolInfo("l4", "nvidia-l4", 1, "g6.xlarge", 0, 4, False, sharing="time-slicing", max_clients_per_gpu=4)
MPS2 = GpuPoolInfo("t4", "nvidia-t4", 1, "g4dn.xlarge", 0, 2, False, sharing="mps", max_clients_per_gpu=2)


# k8s-device-plugin v0.20.0 api/config/v1/config.go sets failRequestsGreaterThanOne for MPS; the config says so too
MPS_2 = {"failRequestsGreaterThanOne": True, "resources": [{"name": "nvidia.com/gpu", "replicas": 2}]}


def plugin_values(pools: dict[str, GpuPoolInfo], **cluster: Any) -> dict[str, Any] | None:
    rel = releases(plan_platform(cluster={"pools": pools, **cluster})).get("nvidia-device-plugin")
    return None if rel is None else rel["values"]  # type: ignore[no-any-return]


def test_device_plugin_serves_one_config_per_sharing_and_a_plain_default() -> None:
    values = plugin_values({"l4": TS4, "t4": MPS2, "plain": L4_POOL})
    assert values is not None
    config = values["config"]
    assert config["default"] == "default"
    assert sorted(config["map"]) == ["default", "mps-2", "time-slicing-4"]
    files = {name: yaml.safe_load(text) for name, text in config["map"].items()}
    assert files == {
        "default": {"version": "v1"},
        "time-slicing-4": {
            "version": "v1",
            "sharing": {
                "timeSlicing": {
                    "failRequestsGreaterThanOne": True,
                    "resources": [{"name": "nvidia.com/gpu", "replicas": 4}],
                }
            },
        },
        "mps-2": {"version": "v1", "sharing": {"mps": MPS_2}},
    }
    # The chart knows config.map and config.default (nvidia-device-plugin-0.20.0 values.yaml).
    defaults = chart_defaults(upstream_dir() / "chart-values", "nvidia-device-plugin", "0.20.0")
    assert unknown_keys(values, defaults) == []
    assert defaults["config"] == {"name": "", "map": {}, "default": "", "fallbackStrategies": ["named", "single"]}


def test_device_plugin_without_sharing_keeps_the_chart_config() -> None:
    values = plugin_values({"plain": L4_POOL})
    assert values is not None and "config" not in values


def test_a_cluster_that_shares_gpus_itself_gets_no_device_plugin() -> None:
    assert plugin_values({"l4": TS4}, needs_device_plugin=False) is None


def _aws_config(sharing: dict[str, Any]) -> dict[str, Any]:
    raw = yaml.safe_load((ROOT / "stacks" / "Pulumi.aws-dev.yaml").read_text())["config"]
    cfg = {k.removeprefix("mlplatform:"): v for k, v in raw.items()}
    cfg["cluster"]["gpuPools"]["l4"]["sharing"] = sharing
    return cfg


def test_eks_pool_label_selects_a_config_the_device_plugin_serves() -> None:
    result = plan_config(_aws_config({"strategy": "time-slicing", "maxClientsPerGpu": 3}))
    node_pool = result.one("kubernetes:karpenter.sh/v1:NodePool").plain_inputs()
    label = node_pool["spec"]["template"]["metadata"]["labels"][DEVICE_PLUGIN_CONFIG_LABEL]
    served = releases(result)["nvidia-device-plugin"]["values"]["config"]["map"]
    assert label == "time-slicing-3"
    assert yaml.safe_load(served[label])["sharing"]["timeSlicing"]["resources"] == [
        {"name": "nvidia.com/gpu", "replicas": 3}
    ]


def test_gke_istio_cni_uses_the_gke_cni_folder() -> None:
    assert releases(plan_stack_file("gcp-prod"))["istio-cni"]["values"] == {"cniBinDir": "/home/kubernetes/bin"}
    assert releases(plan_stack_file("aws-dev"))["istio-cni"]["values"] == {}
    # The istio-cni 1.30.3 chart reads cniBinDir at the top level (defaults wrapped in _internal_defaults_do_not_set).
    defaults = chart_defaults(upstream_dir() / "chart-values", "istio-cni", CHARTS["istio-cni"].version)
    assert defaults["cniBinDir"] == "/opt/cni/bin" and "cni" not in defaults


STORAGE_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "privileged": False,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def test_storage_initializer_gets_a_restricted_security_context() -> None:
    for stack in ("local", "aws-dev", "gcp-prod", "azure-staging"):
        values = releases(plan_stack_file(stack))["kserve"]["values"]
        assert values["kserve"]["storage"] == {"containerSecurityContext": STORAGE_CONTEXT}, stack
    defaults = chart_defaults(upstream_dir() / "chart-values", "kserve-resources", "v0.20.0")
    chart_default = defaults["kserve"]["storage"]["containerSecurityContext"]
    assert {k: v for k, v in STORAGE_CONTEXT.items() if k != "seccompProfile"} == chart_default
    # seccompProfile is not among the chart's defaults: only the rendered-whole rule admits it.
    values = {"kserve": {"storage": {"containerSecurityContext": STORAGE_CONTEXT}}}
    assert unknown_keys(values, defaults) == ["kserve.storage.containerSecurityContext.seccompProfile"]
    assert unknown_keys(values, defaults, whole=RENDERED_WHOLE["kserve-resources"]) == []


def test_queue_proxy_gets_secure_pod_defaults_only_with_istio_cni() -> None:
    def features(variant: str) -> dict[str, str]:
        kn = [o for o in objects(plan_variant(variant), "KnativeServing")]
        return kn[0]["spec"]["config"]["features"]  # type: ignore[no-any-return]

    assert features("local-dev")["secure-pod-defaults"] == "enabled"
    assert "secure-pod-defaults" not in features("no-cni-no-monitoring")


def test_local_stack_gateway_is_a_node_port_and_clouds_keep_load_balancers() -> None:
    local = plan_stack_file("local")
    assert releases(local)["istio-ingressgateway"]["values"]["service"] == {"type": "NodePort"}
    assert release_reg(local, "istio-ingressgateway").type == RELEASE
    for stack in ("aws-dev", "gcp-prod", "azure-staging"):
        # (plus the cloud's load-balancer idle-timeout annotation: tests/platform/test_platform_review.py)
        assert releases(plan_stack_file(stack))["istio-ingressgateway"]["values"]["service"]["type"] == (
            "LoadBalancer"
        ), stack


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_the_mesh_normalizes_paths_before_the_models_path_allow_lists(environment: str) -> None:
    # Regression (issue 12 review): the models' AuthorizationPolicies became allow-lists of inference paths; with
    # Istio's default BASE, "%2F" stays encoded and "//" unmerged for Envoy while the model server (uvicorn) decodes
    # the whole path. DECODE_AND_MERGE_SLASHES is what components/serving/requestpath.py evaluates with.
    istiod = releases(plan_platform(environment=environment))["istiod"]["values"]
    assert istiod["meshConfig"] == {"pathNormalization": {"normalization": "DECODE_AND_MERGE_SLASHES"}}


@pytest.mark.parametrize("enabled", [True, False])
def test_the_gateway_metrics_ports_are_for_the_platforms_prometheus_only(enabled: bool) -> None:
    # Regression (issue 12 review, item 5): istio-system had no NetworkPolicy, so any pod read the ingress gateway's
    # Envoy stats (every model's request metrics). Without monitoring no scraper is admitted at all.
    import kubernetes_validate

    netpol = obj_named(
        plan_platform({"monitoring": {"enabled": enabled}}), "NetworkPolicy", "istio-ingressgateway-netpol"
    )
    kubernetes_validate.validate(netpol, "1.34", strict=True)
    assert netpol["metadata"]["namespace"] == "istio-system"
    assert netpol["spec"]["podSelector"] == {"matchLabels": {"istio": "ingressgateway"}}
    assert netpol["spec"]["policyTypes"] == ["Ingress"]
    traffic, *metrics = netpol["spec"]["ingress"]
    assert traffic == {"ports": [{"protocol": "TCP", "port": p} for p in (80, 443, 8081, 8444, 15021)]}
    prometheus = {
        "from": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                "podSelector": {
                    "matchLabels": {
                        "app.kubernetes.io/name": "prometheus",
                        "operator.prometheus.io/name": "kube-prometheus-stack-prometheus",
                    }
                },
            }
        ],
        "ports": [{"protocol": "TCP", "port": 15020}, {"protocol": "TCP", "port": 15090}],
    }
    assert metrics == ([prometheus] if enabled else [])


def test_device_plugin_stays_off_nodes_whose_os_runs_its_own() -> None:
    """EKS pools with an image cache run Bottlerocket, whose NVIDIA variant runs the device plugin on the host: the
    platform's DaemonSet must not register nvidia.com/gpu there a second time. Without such pools the affinity is
    unchanged."""
    from dataclasses import replace

    bottlerocket = replace(L4_POOL, name="br", os_device_plugin=True)
    values = plugin_values({"plain": L4_POOL, "br": bottlerocket})
    assert values is not None
    assert values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [
            {
                "matchExpressions": [
                    {"key": "mlplatform.io/accelerator", "operator": "Exists"},
                    {"key": "mlplatform.io/os-device-plugin", "operator": "DoesNotExist"},
                ]
            }
        ]
    }
    plain = plugin_values({"plain": L4_POOL})
    assert plain is not None
    assert plain["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "mlplatform.io/accelerator", "operator": "Exists"}]}]
    }
