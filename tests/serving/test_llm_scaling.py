"""LLM autoscaling (issue #14): a model scales on vLLM's own queue or running batch through KEDA.

What is promised, each against the upstream semantics that decide it (components/serving/llm_scaling.py cites them):
the exact InferenceService fields, strict against KServe v0.20.0's CRD schema and passing the KEDA branch of its
validating webhook; the ScaledObject KServe's KEDA reconciler renders from it asks the platform's Prometheus Service
for the model's own series; Prometheus actually gets those series (the PodMonitor selects the model's pods, the
relabelled address is pilot-agent's merged-stats port, the NetworkPolicy admits Prometheus there, and the pod
annotations point pilot-agent at the port and path the runtime serves vLLM's metrics on); and every input KServe or
the runtime would not honour is refused in one line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from serving_support import ISVC, L4_POOL, POD_MONITOR, model, plan

from components.errors import SpecError
from components.plan.report import helm_releases
from components.platform import monitoring
from components.serving import _netpol, llm_scaling
from components.serving._runtime import ISVC_LABEL
from components.serving.spec import ModelSpec, ScalingSpec
from components.spec import SpecInvalid
from support import plan_config, upstream_dir, validate_custom_resource

NAME, NS = "qwen", "models"
GPU = {"cpu": "4", "memory": "16Gi", "gpus": 1, "accelerator": "nvidia-l4"}
LLM: dict[str, Any] = {
    "format": "huggingface",
    "storageUri": "hf://Qwen/Qwen2.5-0.5B-Instruct",
    "resources": GPU,
    "scaling": {"minReplicas": 1, "maxReplicas": 4, "metric": "llm-queue", "target": 3},
    "access": {"allowAnonymous": True},
}
STANDARD = {"deployment_mode": "Standard", "keda": True}
PROMETHEUS = "http://kube-prometheus-stack-prometheus.monitoring.svc:9090"


def _llm(**scaling: Any) -> dict[str, Any]:
    return {**LLM, "scaling": {**LLM["scaling"], **scaling}}


def _plan(spec: dict[str, Any] | None = None, **handles: Any) -> Any:
    return plan(spec or LLM, name=NAME, pools={"l4": L4_POOL}, **{**STANDARD, **handles})


def _error(spec: dict[str, Any], **handles: Any) -> str:
    with pytest.raises((SpecInvalid, SpecError)) as e:
        _plan(spec, **handles)
    return str(e.value)


# ------------------------------------------------------------------------------------------------ KServe's model


def kserve_keda_validation(annotations: dict[str, str], predictor: dict[str, Any]) -> str | None:
    """KServe v0.20.0's webhook on the KEDA branch (inference_service_validation.go ``validateAutoScalingCompExtension``
    -> ``validateScalingKedaCompExtension`` -> ``validateScaleTarget``), External metrics: the error it returns, or
    None."""
    if annotations.get("serving.kserve.io/deploymentMode") != "Standard":
        return "not the KEDA branch"
    if annotations.get("serving.kserve.io/autoscalerClass") != "keda":
        return "not the KEDA branch"
    if "scaleMetric" in predictor:
        return "ScaleMetric is not supported for KEDA"
    for metric in (predictor.get("autoScaling") or {}).get("metrics", []):
        if metric["type"] != "External":
            return f"unexpected type {metric['type']}"
        ext = metric.get("external")
        if ext is None:
            return "metricSpec.External is not set for external metric source type"
        if not ext["metric"].get("query"):
            return "the query should not be empty"
        if ext["target"].get("value") is None:
            return "the target threshold value should not be empty"
        if ext["target"].get("type") == "Value" and ext["target"].get("value") is None:
            return "the Value type should be set"
    return None


def test_the_inference_service_asks_kserve_for_keda_with_the_models_own_query() -> None:
    p = _plan()
    isvc = p.inputs(ISVC)
    annotations, predictor = isvc["metadata"]["annotations"], isvc["spec"]["predictor"]
    assert annotations["serving.kserve.io/deploymentMode"] == "Standard"
    assert annotations["serving.kserve.io/autoscalerClass"] == "keda"
    assert "scaleMetric" not in predictor and "scaleTarget" not in predictor
    assert (predictor["minReplicas"], predictor["maxReplicas"]) == (1, 4)
    assert predictor["autoScaling"] == {
        "metrics": [
            {
                "type": "External",
                "external": {
                    "metric": {
                        "backend": "prometheus",
                        "serverAddress": PROMETHEUS,
                        "query": 'sum(vllm:num_requests_waiting{namespace="models", inferenceservice="qwen"})',
                    },
                    "target": {"type": "Value", "value": "3"},
                },
            }
        ]
    }
    assert predictor["annotations"] == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "8080",
        "prometheus.io/path": "/metrics",
    }
    assert predictor["model"]["args"][0] == "--backend=vllm"
    assert (
        validate_custom_resource(isvc | {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService"}) == []
    )
    assert kserve_keda_validation(annotations, predictor) is None


def test_llm_running_scales_on_the_running_batch() -> None:
    predictor = _plan(_llm(metric="llm-running", target=2)).predictor()
    ext = predictor["autoScaling"]["metrics"][0]["external"]
    assert ext["metric"]["query"] == 'sum(vllm:num_requests_running{namespace="models", inferenceservice="qwen"})'
    assert ext["target"] == {"type": "Value", "value": "2"}


def test_llm_kv_cache_scales_on_the_cache_share_as_a_fraction() -> None:
    # vllm:kv_cache_usage_perc: "1 means 100 percent usage"; KEDA (AverageValue) keeps sum / threshold replicas, so a
    # threshold of 0.8 keeps the mean usage at 80 percent
    isvc = _plan(_llm(metric="llm-kv-cache", target=80)).inputs(ISVC)
    ext = isvc["spec"]["predictor"]["autoScaling"]["metrics"][0]["external"]
    assert ext["metric"]["query"] == 'sum(vllm:kv_cache_usage_perc{namespace="models", inferenceservice="qwen"})'
    assert ext["target"] == {"type": "Value", "value": "0.8"}
    assert (
        validate_custom_resource(isvc | {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService"}) == []
    )
    scaled = llm_scaling.scaled_object(isvc)
    assert scaled is not None and scaled["spec"]["triggers"][0]["metadata"]["threshold"] == "0.8"
    assert llm_scaling.threshold("llm-kv-cache", 100) == "1" and llm_scaling.threshold("llm-kv-cache", 5) == "0.05"


def test_kserve_would_create_a_scaled_object_asking_the_platforms_prometheus() -> None:
    isvc = _plan().inputs(ISVC)
    assert llm_scaling.scaled_object(isvc) == {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "qwen-predictor", "namespace": "models"},
        "spec": {
            "scaleTargetRef": {"name": "qwen-predictor"},
            "triggers": [
                {
                    "type": "prometheus",
                    "metadata": {
                        "serverAddress": PROMETHEUS,
                        "query": 'sum(vllm:num_requests_waiting{namespace="models", inferenceservice="qwen"})',
                        "threshold": "3",
                    },
                }
            ],
            "minReplicaCount": 1,
            "maxReplicaCount": 4,
        },
    }


def test_the_server_address_is_the_prometheus_service_kube_prometheus_stack_creates() -> None:
    # templates/prometheus/service.yaml: "{{ fullname }}-prometheus" in the release namespace, port from values
    values = yaml.safe_load((upstream_dir() / "chart-values" / "kube-prometheus-stack-88.5.3.yaml").read_text())
    port = values["prometheus"]["service"]["port"]
    assert values["prometheus"]["networkPolicy"]["enabled"] is False  # nothing stands between KEDA and Prometheus
    assert llm_scaling.prometheus_url() == f"http://{monitoring.RELEASE}-prometheus.{monitoring.NAMESPACE}.svc:{port}"


def test_a_cpu_model_in_standard_mode_keeps_hpa_and_makes_no_scaled_object() -> None:
    p = plan(model(scaling={"metric": "cpu", "target": 70}), deployment_mode="Standard")
    isvc = p.inputs(ISVC)
    assert isvc["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "hpa"
    assert llm_scaling.scaled_object(isvc) is None
    assert "autoScaling" not in isvc["spec"]["predictor"]
    assert len(p.inputs(POD_MONITOR)["spec"]["podMetricsEndpoints"]) == 1


# ------------------------------------------------------------------------------------------------ the scrape


def _runtime_metrics_annotations() -> dict[str, str]:
    path = upstream_dir() / "reference" / "kserve-v0.20.0-clusterservingruntimes.yaml"
    for doc in yaml.safe_load_all(path.read_text()):
        if doc and doc["metadata"]["name"] == llm_scaling.RUNTIME:
            return dict(doc["spec"]["annotations"])
    raise AssertionError("no kserve-huggingfaceserver runtime")


def _relabel(labels: dict[str, str], rules: list[dict[str, Any]]) -> dict[str, str] | None:
    """Prometheus relabelling (``replace`` and ``keep``; regexes fully anchored, default separator ``;``)."""
    out = dict(labels)
    for rule in rules:
        value = ";".join(out.get(s, "") for s in rule.get("sourceLabels", []))
        m = re.fullmatch(rule.get("regex", "(.*)"), value)
        action = rule.get("action", "replace")
        if action == "keep":
            if m is None:
                return None
            continue
        if m is not None:
            out[rule["targetLabel"]] = m.expand(rule.get("replacement", "${1}").replace("${1}", r"\1"))
    return out


def test_prometheus_scrapes_the_vllm_gauges_the_query_selects() -> None:
    p = _plan()
    monitor = p.inputs(POD_MONITOR)["spec"]
    # 1. the monitor selects the model's pods: KServe labels every predictor pod serving.kserve.io/inferenceservice
    #    (components/predictor.go buildObjectMeta, InferenceServicePodLabelKey)
    assert monitor["selector"] == {"matchLabels": {ISVC_LABEL: NAME}}
    vllm = monitor["podMetricsEndpoints"][1]
    # 2. the target: the istio-proxy's declared port, as the operator's own port filter keeps it, then our relabelling
    target = {
        "__address__": "10.8.0.12:15090",
        "__meta_kubernetes_pod_container_port_name": "http-envoy-prom",
        "__meta_kubernetes_pod_label_serving_kserve_io_inferenceservice": NAME,
        "namespace": NS,  # the operator's relabelling of __meta_kubernetes_namespace
    }
    assert target["__meta_kubernetes_pod_container_port_name"] == vllm["port"]
    relabelled = _relabel(target, vllm["relabelings"])
    assert relabelled is not None
    assert relabelled["__address__"] == f"10.8.0.12:{llm_scaling.MERGED_STATS_PORT}"
    assert vllm["path"] == "/stats/prometheus"  # pilot-agent's merged stats (status/server.go handleStats)
    # 3. the series keep the labels the query matches on
    series = {**relabelled, "__name__": "vllm:num_requests_waiting", "model_name": NAME, "engine": "0"}
    query = p.predictor()["autoScaling"]["metrics"][0]["external"]["metric"]["query"]
    matchers = dict(re.findall(r'(\w+)="([^"]*)"', query))
    assert matchers == {"namespace": NS, "inferenceservice": NAME}
    assert all(series[k] == v for k, v in matchers.items())
    assert _relabel(series, vllm["metricRelabelings"]) is not None
    assert _relabel({"__name__": "istio_requests_total"}, vllm["metricRelabelings"]) is None  # not scraped twice
    # 4. pilot-agent reads the app's port and path from the pod annotations: the runtime's own metrics endpoint
    runtime = _runtime_metrics_annotations()
    annotations = p.predictor()["annotations"]
    assert annotations["prometheus.io/port"] == runtime["prometheus.kserve.io/port"] == "8080"
    assert annotations["prometheus.io/path"] == runtime["prometheus.kserve.io/path"] == "/metrics"


def test_istio_merges_the_app_metrics_on_the_port_the_monitor_rewrites_to() -> None:
    # webhook.go applyPrometheusMerge: on with meshConfig.enablePrometheusMerge, it points the pod at the mesh's
    # defaultConfig.statusPort; the istiod chart's defaults (values global.proxy.statusPort, meshConfig) and the
    # platform's istiod values, which set neither.
    chart = yaml.safe_load((upstream_dir() / "chart-values" / "istiod-1.30.3.yaml").read_text())
    defaults = chart["_internal_defaults_do_not_set"]
    assert defaults["meshConfig"]["enablePrometheusMerge"] is True
    assert defaults["global"]["proxy"]["statusPort"] == llm_scaling.MERGED_STATS_PORT == 15020
    cfg = {
        "cloud": "existing",
        "cluster": {"existing": {"context": "kind-test"}},
        "platform": {"domain": "models.example.com", "deploymentMode": "Standard", "keda": True},
        "tags": {"owner": "platform-team"},
    }
    ours = next(rel["values"] for _, rel in helm_releases(plan_config(cfg)) if rel["release"] == "istiod")
    assert "enablePrometheusMerge" not in ours.get("meshConfig", {})
    assert "statusPort" not in ours.get("global", {}).get("proxy", {})


def test_the_network_policy_admits_the_platforms_prometheus_on_the_merged_stats_port() -> None:
    spec = ModelSpec.model_validate(LLM)
    policy = _netpol.network_policy(NAME, "Standard", monitoring.NAMESPACE, spec)
    admitted = [
        rule
        for rule in policy["ingress"]
        if any(p["port"] == llm_scaling.MERGED_STATS_PORT for p in rule.get("ports", []))
    ]
    assert admitted, policy["ingress"]
    for rule in admitted:
        peers = rule["from"]
        assert peers and all(
            peer["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": monitoring.NAMESPACE}
            and peer["podSelector"]["matchLabels"] == monitoring.PROMETHEUS_POD_LABELS
            for peer in peers
        )


# ------------------------------------------------------------------------------------------------ refused inputs


@pytest.mark.parametrize(
    ("spec", "handles", "expected"),
    [
        (
            LLM,
            {"deployment_mode": "Knative"},
            "scaling.metric: llm-queue is not allowed; LLM metrics scale through KEDA, which KServe drives in "
            "platform.deploymentMode: Standard only; give concurrency or rps in Knative mode",
        ),
        (
            {**LLM, "format": "sklearn", "resources": {}, "storageUri": "gs://bucket/iris", "publicStorage": True},
            {},
            "scaling.metric: llm-queue is not allowed; LLM metrics come from vLLM in KServe's Hugging Face runtime; "
            "give format: huggingface, or a metric such as cpu",
        ),
        (
            {**LLM, "resources": {"cpu": "2", "memory": "8Gi"}},
            {},
            "scaling.metric: llm-queue is not allowed; LLM metrics come from the vLLM backend, which runs on GPUs; "
            "give resources.gpus >= 1 and an accelerator",
        ),
        (
            {**LLM, "runtime": "kserve-huggingfaceserver-multinode"},
            {},
            "runtime: kserve-huggingfaceserver-multinode is not allowed; LLM metrics are read from "
            "kserve-huggingfaceserver; leave runtime out or give it",
        ),
        (
            # rev16g defect 1: KServe's server drops the _ spelling (parse_known_args), so it turns nothing off;
            # refused as an option vLLM never sees
            {**LLM, "args": ["--disable_log_stats"]},
            {},
            "ModelSpec.args.0: --disable_log_stats is not allowed; KServe's Hugging Face server reads vLLM's options "
            "with parse_known_args (huggingfaceserver/__main__.py:213, v0.20.0), which does not turn _ into - (vllm "
            "0.24.0 argparse_utils.py: only parse_args does), so it drops --disable_log_stats; vLLM spells its options "
            "with '-' (--disable-log-stats, if vLLM has that option)",
        ),
        (
            {**LLM, "args": ["--disable-log-st"]},
            {},
            "args: --disable-log-st is not allowed; it turns off the vLLM metrics scaling.metric llm-queue scales "
            "on; remove it",
        ),
        (
            LLM,
            {"monitoring": False},
            "scaling.metric: llm-queue is not allowed; LLM metrics are read from the platform's Prometheus; set "
            "platform.monitoring.enabled: true or give another metric",
        ),
        (
            LLM,
            {"keda": False},
            "scaling.metric: llm-queue is not allowed; LLM metrics scale through KEDA, which this platform does not "
            "run; set platform.keda: true (or leave it out) or give another metric",
        ),
    ],
)
def test_what_kserve_or_the_runtime_would_not_honour_is_one_line(
    spec: dict[str, Any], handles: dict[str, Any], expected: str
) -> None:
    assert _error(spec, **handles) == expected


def test_the_target_is_required() -> None:
    with pytest.raises(SpecInvalid) as e:
        ScalingSpec.model_validate({"metric": "llm-running"})
    assert str(e.value) == (
        "ScalingSpec.target: null is not allowed; give the target with metric llm-running: the "
        "vllm:num_requests_running requests per replica KEDA keeps (KServe's KEDA webhook requires a value)"
    )


def test_a_kv_cache_target_is_a_percent() -> None:
    with pytest.raises(SpecInvalid) as e:
        ScalingSpec.model_validate({"metric": "llm-kv-cache", "target": 150})
    assert str(e.value) == (
        "ScalingSpec.target: 150 is not allowed; give a KV-cache usage percent from 1 to 100 with metric llm-kv-cache"
    )


def test_an_unknown_metric_lists_the_llm_metrics() -> None:
    with pytest.raises(SpecInvalid) as e:
        ScalingSpec.model_validate({"metric": "llm-tokens", "target": 2})
    assert all(m in str(e.value) for m in llm_scaling.LLM_METRICS) and "\n" not in str(e.value)


def test_the_docs_name_every_llm_metric() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "components" / "model-service.md").read_text()
    for metric, gauge in llm_scaling.LLM_METRICS.items():
        assert f"`{metric}`" in text and gauge in text


def _documented_llm_example() -> tuple[str, dict[str, Any]]:
    """The LLM autoscaling example of docs/components/model-service.md: the stack its first line names, and the
    config it adds."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "components" / "model-service.md").read_text()
    section = text[text.index("#### LLM autoscaling") :]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    found = re.search(r"stacks/Pulumi\.([\w-]+)\.yaml", block.splitlines()[0])
    assert found, block.splitlines()[0]
    return found.group(1), yaml.safe_load(block)


def test_the_documented_llm_example_plans_on_the_stack_it_names(tmp_path: Path) -> None:
    """rev14 defect 9: the example asked memory 16Gi on nvidia-l4, which aws-dev's g6.xlarge pool cannot hold, and
    named no stack. It now names its stack; added there, it plans with every mandatory policy passing and renders
    KEDA autoscaling."""
    import shutil

    from components.plan.cli import plan_stack
    from components.plan.project import load_project
    from support import ROOT

    stack, added = _documented_llm_example()
    root = tmp_path / "project"
    shutil.copytree(ROOT / "stacks", root / "stacks")
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    (root / "infra").symlink_to(ROOT / "infra")
    path = root / "stacks" / f"Pulumi.{stack}.yaml"
    doc = yaml.safe_load(path.read_text())
    config = doc["config"]
    config["mlplatform:platform"] = {**config["mlplatform:platform"], **added["mlplatform:platform"]}
    config["mlplatform:models"] = added["mlplatform:models"]
    path.write_text(yaml.safe_dump(doc))
    plan = plan_stack(load_project(root), stack)
    assert plan.mandatory_failures == []
    isvc = next(
        r.plain_inputs()
        for r in plan.result.of_type("kubernetes:serving.kserve.io/v1beta1:InferenceService")
        if r.plain_inputs()["metadata"]["name"] == "chat"
    )
    assert isvc["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "keda"
    assert isvc["spec"]["predictor"]["autoScaling"]["metrics"][0]["external"]["target"] == {
        "type": "Value",
        "value": "4",
    }
