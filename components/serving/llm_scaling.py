"""LLM autoscaling: a model scales on its vLLM engine's own load, through KEDA and the platform's Prometheus.

``scaling.metric: llm-queue`` scales on the requests waiting in vLLM's queue, ``llm-running`` on the requests in its
running batch (``scaling.target``: the number per replica), ``llm-kv-cache`` on the share of the KV cache the tokens in
flight hold (``scaling.target``: percent per replica, 1-100). What each piece does, at the pinned versions:

1. **The metric.** vLLM's engine publishes ``vllm:num_requests_waiting``, ``vllm:num_requests_running`` and
   ``vllm:kv_cache_usage_perc`` ("KV-cache usage. 1 means 100 percent usage.") as gauges with the labels
   ``model_name`` and ``engine`` (vllm-project/vllm vllm/v1/metrics/loggers.py ``PrometheusStatLogger``, read at
   commit 005a810b, not at the v0.24.0 tag, which the search tools do not hold; docs.vllm.ai/en/stable/usage/metrics
   lists the same three; KServe v0.20.0's own gateway scheduler reads the first two names,
   pkg/controller/v1alpha2/llmisvc/scheduler_test.go ``total-queued-requests-metric``). KServe v0.20.0's Hugging Face
   server runs vLLM 0.24.0 in-process (python/kserve/pyproject.toml ``llm = ["vllm==0.24.0"]``) as an ``AsyncLLM``
   with stats on unless ``--disable-log-stats`` is given (python/huggingfaceserver/huggingfaceserver/vllm/utils.py
   ``disable_log_stats=engine_args.disable_log_stats``), and serves the process's Prometheus registry at
   ``/metrics`` on its HTTP port 8080 (python/kserve/kserve/protocol/rest/server.py ``metrics_handler``; the
   ClusterServingRuntime says the same: ``prometheus.kserve.io/port: "8080"``, ``prometheus.kserve.io/path:
   /metrics``, upstream/reference/kserve-v0.20.0-clusterservingruntimes.yaml). vLLM runs only with GPUs here
   (``--backend=vllm``, components/serving/_runtime.py ``runtime_args``), so the metric needs ``resources.gpus``.
2. **The scrape.** 8080 sits behind the sidecar and mesh-wide STRICT mTLS, which Prometheus (no sidecar) cannot
   pass. Istio's metrics merging reads the pod's ``prometheus.io/port`` and ``prometheus.io/path``, moves them into
   the sidecar's ``ISTIO_PROMETHEUS_ANNOTATIONS`` and makes pilot-agent serve Envoy's and the application's metrics
   together on its status port 15020, ``/stats/prometheus`` (istio/istio 1.30.3 pkg/kube/inject/webhook.go
   ``applyPrometheusMerge``, on with ``meshConfig.enablePrometheusMerge``, the istiod chart's default;
   pilot/cmd/pilot-agent/status/server.go ``handleStats`` scrapes ``http://localhost:<port><path>``). 15020 is not
   intercepted, and the model's NetworkPolicy admits the platform's Prometheus there (components/serving/_netpol.py).
   The model's PodMonitor gets a second endpoint for it (:func:`pod_monitor_endpoint`): the pod declares no port
   15020 (the injector declares only 15090, ``http-envoy-prom``: injection-template.yaml), and a PodMonitor endpoint
   must name a declared port, so it selects ``http-envoy-prom`` and rewrites the target's address to 15020 (the
   PodMonitor CRD's ``portNumber`` description: "To scrape targets on a port which isn't exposed, you need to use
   relabeling to override the ``__address__`` label"; prometheus-operator v0.93.0 pkg/prometheus/promcfg.go
   ``generatePodMonitorConfig`` appends an endpoint's ``relabelings`` after its own port filter). It keeps only
   ``vllm:`` series (Envoy's are scraped once already, on 15090) and labels them with the model's
   InferenceService (:data:`MODEL_LABEL`).
3. **The scaler.** With ``serving.kserve.io/autoscalerClass: keda`` (Standard mode only: KServe v0.20.0
   pkg/apis/serving/v1beta1/inference_service_validation.go ``validateAutoScalingCompExtension`` reads the class only
   when the deployment mode is Standard; kserve/website docs/model-serving/generative-inference/autoscaling/
   autoscaling.md: "Autoscaling using KEDA is only available in RawDeployment mode") and no ``scaleMetric``
   ("ScaleMetric is not supported for KEDA", ``validateScalingKedaCompExtension``), the predictor's
   ``autoScaling.metrics`` holds one ``External`` metric on the ``prometheus`` backend with the platform's Prometheus
   as ``serverAddress``, the query and a ``Value`` target (the webhook requires a non-empty query and a value). KServe
   renders it into a KEDA ScaledObject (:func:`scaled_object` models pkg/controller/v1beta1/inferenceservice/
   reconcilers/keda/keda_reconciler.go ``getKedaMetrics`` and ``createKedaScaledObject``): a ``prometheus``
   trigger with ``serverAddress``, ``query`` and ``threshold``, no ``metricType``, so KEDA's default
   ``AverageValue`` applies (kedacore/keda pkg/scalers/scaler.go ``GetMetricTargetType``: "Use AverageValue if no
   metric type was provided") and the HPA wants ``ceil(query / threshold)`` replicas: the query sums the metric over
   the model's pods, and the target is per replica (the KServe docs' example: 6 running requests, target 2, 3
   replicas).

Other KServe autoscaling shapes (``Resource`` metrics through KEDA, ``PodMetric`` with the OpenTelemetry add-on, an
arbitrary PromQL query) are not offered: the platform installs neither the OpenTelemetry operator nor KEDA's OTel
add-on, and a free query could read any namespace's series through the shared Prometheus.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from components.serving import runtimes

if TYPE_CHECKING:
    from components.serving.spec import ModelSpec

LLM_METRICS: Mapping[str, str] = {
    "llm-queue": "vllm:num_requests_waiting",
    "llm-running": "vllm:num_requests_running",
    "llm-kv-cache": "vllm:kv_cache_usage_perc",
}
"""``scaling.metric`` -> the vLLM gauge it scales on (module docstring, 1)."""
PERCENT_METRICS = frozenset({"llm-kv-cache"})
"""Metrics whose gauge is a fraction (1 = 100 percent) and whose ``scaling.target`` is a percent."""
KEDA_CLASS = "keda"
"""The ``serving.kserve.io/autoscalerClass`` that makes KServe create a ScaledObject (``constants.AutoscalerClassKeda``,
pkg/constants/constants.go v0.20.0)."""
RUNTIME = "kserve-huggingfaceserver"
"""The ClusterServingRuntime whose server exposes vLLM's metrics as described in the module docstring."""
APP_METRICS_PORT = "8080"
APP_METRICS_PATH = "/metrics"
MERGED_STATS_PORT = 15020
MERGED_STATS_PATH = "/stats/prometheus"
ENVOY_PORT_NAME = "http-envoy-prom"
MODEL_LABEL = "inferenceservice"
"""The series label the PodMonitor copies the pod's ``serving.kserve.io/inferenceservice`` label into."""
SCRAPE_ANNOTATIONS: Mapping[str, str] = {
    "prometheus.io/scrape": "true",
    "prometheus.io/port": APP_METRICS_PORT,
    "prometheus.io/path": APP_METRICS_PATH,
}
"""Pod annotations Istio's metrics merging reads (module docstring, 2); set on ``spec.predictor.annotations``, which
KServe copies to the predictor's pods with the highest priority (v0.20.0 components/predictor.go
``buildObjectMeta``: "predictor component > isvc > ServingRuntimePodSpec")."""
DISABLE_STATS_FLAG = "--disable-log-stats"


def is_llm(metric: str | None) -> bool:
    """Whether ``metric`` is one of :data:`LLM_METRICS`."""
    return metric in LLM_METRICS


def prometheus_url() -> str:
    """The platform's Prometheus as KEDA reaches it: the kube-prometheus-stack Service ``<release>-prometheus`` on 9090
    (prometheus-community/helm-charts kube-prometheus-stack-88.5.3 templates/prometheus/service.yaml ``{{ fullname
    }}-prometheus``; values ``prometheus.service.port: 9090``) in the monitoring namespace, outside the mesh."""
    from components.platform import monitoring

    return f"http://{monitoring.RELEASE}-prometheus.{monitoring.NAMESPACE}.svc:9090"


def query(metric: str, name: str, namespace: str) -> str:
    """PromQL: the vLLM gauge of ``metric`` summed over model ``name``'s pods in ``namespace``."""
    return f'sum({LLM_METRICS[metric]}{{namespace="{namespace}", {MODEL_LABEL}="{name}"}})'


def threshold(metric: str, target: int) -> str:
    """KEDA's per-replica threshold for ``target``: the count itself, or the percent as the gauge's fraction (80 ->
    ``0.8``), a quantity KServe's ``MetricQuantity`` keeps as written (metric_quantity.go ``MarshalJSON``: "the
    original raw value for KEDA compatibility")."""
    return f"{target / 100:g}" if metric in PERCENT_METRICS else str(target)


def auto_scaling(spec: ModelSpec, name: str) -> dict[str, Any]:
    """The predictor's ``autoScaling``: one External Prometheus metric with a per-replica Value target."""
    metric, target = spec.scaling.metric or "", spec.scaling.target
    if not is_llm(metric) or target is None or not name:
        raise ValueError("auto_scaling needs an LLM metric, its target and the InferenceService's name")
    return {
        "metrics": [
            {
                "type": "External",
                "external": {
                    "metric": {
                        "backend": "prometheus",
                        "serverAddress": prometheus_url(),
                        "query": query(metric, name, spec.namespace),
                    },
                    "target": {"type": "Value", "value": threshold(metric, target)},
                },
            }
        ]
    }


def pod_annotations(spec: ModelSpec) -> dict[str, str]:
    """The pod annotations an LLM-scaled model needs (:data:`SCRAPE_ANNOTATIONS`), else none."""
    return dict(SCRAPE_ANNOTATIONS) if is_llm(spec.scaling.metric) else {}


def pod_monitor_endpoint() -> dict[str, Any]:
    """The PodMonitor endpoint that scrapes the vLLM engine's gauges through pilot-agent's merged stats (module
    docstring, 2)."""
    return {
        "port": ENVOY_PORT_NAME,
        "path": MERGED_STATS_PATH,
        "interval": "15s",
        "relabelings": [
            {
                "sourceLabels": ["__address__"],
                "regex": "(.+):[0-9]+",
                "targetLabel": "__address__",
                "replacement": f"${{1}}:{MERGED_STATS_PORT}",
                "action": "replace",
            },
            {
                "sourceLabels": ["__meta_kubernetes_pod_label_serving_kserve_io_inferenceservice"],
                "targetLabel": MODEL_LABEL,
                "action": "replace",
            },
        ],
        "metricRelabelings": [{"sourceLabels": ["__name__"], "regex": "vllm:.+", "action": "keep"}],
    }


def scaled_object(isvc: Mapping[str, Any]) -> dict[str, Any] | None:
    """The KEDA ScaledObject KServe v0.20.0 would create for ``isvc`` (a rendered InferenceService), or None when it
    creates none: the model of keda_reconciler.go ``createKedaScaledObject`` and ``getKedaMetrics`` for External
    metrics (named after the predictor, ``<name>-predictor``, its Deployment as scale target; min and max replicas
    from the predictor, max raised to min; one trigger per External metric of type ``backend`` with
    ``serverAddress``, ``query`` and ``threshold`` = the target's value). The HPA behaviour KServe adds from its
    autoscaler config is left out."""
    meta = isvc["metadata"]
    annotations = meta.get("annotations") or {}
    if annotations.get("serving.kserve.io/deploymentMode") != "Standard":
        return None
    if annotations.get("serving.kserve.io/autoscalerClass") != KEDA_CLASS:
        return None
    predictor = isvc["spec"]["predictor"]
    name = f"{meta['name']}-predictor"
    low = predictor.get("minReplicas", 1)  # constants.DefaultMinReplicas
    triggers = []
    for metric in (predictor.get("autoScaling") or {}).get("metrics", []):
        if metric["type"] != "External":
            continue
        ext = metric["external"]
        trigger: dict[str, Any] = {
            "type": ext["metric"].get("backend", ""),
            "metadata": {
                "serverAddress": ext["metric"].get("serverAddress", ""),
                "query": ext["metric"].get("query", ""),
                "threshold": str(ext["target"].get("value", "0")),
            },
        }
        if trigger["type"] == "prometheus" and ext["metric"].get("namespace"):
            trigger["metadata"]["namespace"] = ext["metric"]["namespace"]
        triggers.append(trigger)
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": name, "namespace": meta["namespace"]},
        "spec": {
            "scaleTargetRef": {"name": name},
            "triggers": triggers,
            "minReplicaCount": low,
            "maxReplicaCount": max(predictor.get("maxReplicas", 0), low),
        },
    }


def scaling_problem(metric: str | None, target: int | None) -> tuple[str, object, str] | None:
    """Why the ``scaling`` block cannot scale on ``metric`` (key below ``scaling``, value, accepted), or None."""
    if is_llm(metric) and target is None:
        what = "KV-cache usage percent" if metric in PERCENT_METRICS else "requests"
        return (
            "target",
            None,
            f"give the target with metric {metric}: the {LLM_METRICS[metric or '']} {what} per replica KEDA keeps "
            "(KServe's KEDA webhook requires a value)",
        )
    if metric in PERCENT_METRICS and target is not None and target > 100:
        return ("target", target, f"give a KV-cache usage percent from 1 to 100 with metric {metric}")
    return None


def model_problems(
    spec: ModelSpec, deployment_mode: str, namespaced: Sequence[runtimes.Runtime] = ()
) -> list[tuple[str, object, str]]:
    """What in ``spec`` KServe v0.20.0 cannot scale on an LLM metric in ``deployment_mode`` (key path, value,
    accepted): Standard mode only, the Hugging Face runtime with vLLM (GPUs), and vLLM's stats left on.
    ``namespaced``: the stack's ServingRuntimes in the model's namespace, which KServe auto-selects before
    :data:`RUNTIME` when one lists the format (:func:`components.serving.runtimes.select`, GetSupportingRuntimes)."""
    metric = spec.scaling.metric
    if not is_llm(metric):
        return []
    out: list[tuple[str, object, str]] = []
    if deployment_mode != "Standard":
        out.append(
            (
                "scaling.metric",
                metric,
                "LLM metrics scale through KEDA, which KServe drives in platform.deploymentMode: Standard only; give "
                "concurrency or rps in Knative mode",
            )
        )
    if spec.container is not None or spec.format != "huggingface":
        out.append(
            (
                "scaling.metric",
                metric,
                "LLM metrics come from vLLM in KServe's Hugging Face runtime; give format: huggingface, or a metric "
                "such as cpu",
            )
        )
    elif spec.runtime not in (None, RUNTIME):
        out.append(("runtime", spec.runtime, f"LLM metrics are read from {RUNTIME}; leave runtime out or give it"))
    elif spec.runtime is None and (picked := _auto_selected(spec, namespaced)) not in (None, RUNTIME):
        # red team #17d S1: KServe puts the namespace's ServingRuntimes first (GetSupportingRuntimes,
        # pkg/apis/serving/v1beta1/predictor_model.go v0.20.0), so a stack runtime that auto-selects huggingface
        # serves the model, and the vLLM arguments and metrics this package renders would be about another server.
        out.append(
            (
                "scaling.metric",
                metric,
                f"KServe would pick the stack's runtime {picked} for format huggingface in namespace {spec.namespace}, "
                f"and LLM metrics are read from {RUNTIME}; give runtime: {RUNTIME}, or another metric",
            )
        )
    elif spec.resources.gpus == 0:
        out.append(
            (
                "scaling.metric",
                metric,
                "LLM metrics come from the vLLM backend, which runs on GPUs; give resources.gpus >= 1 and an "
                "accelerator",
            )
        )
    from components.serving.spec import _same_option

    for arg in spec.args:
        if _same_option(DISABLE_STATS_FLAG, arg.split("=", 1)[0]):
            out.append(("args", arg, f"it turns off the vLLM metrics scaling.metric {metric} scales on; remove it"))
    return out


def _auto_selected(spec: ModelSpec, namespaced: Sequence[runtimes.Runtime]) -> str | None:
    """The runtime KServe would auto-select for ``spec`` (no ``runtime`` given), the stack's own first."""
    protocol = None if spec.effective_protocol == "openai" else spec.effective_protocol
    return runtimes.select(spec.format or "", protocol, None, spec.format_version, namespaced)[0]


def platform_problems(spec: ModelSpec, monitoring: bool, keda: bool | None) -> list[tuple[str, object, str]]:
    """What the platform must run for ``spec``'s LLM metric: the platform's Prometheus (``monitoring``) and KEDA
    (``keda``: False when it is not, None when the platform installs it on demand)."""
    metric = spec.scaling.metric
    if not is_llm(metric):
        return []
    out: list[tuple[str, object, str]] = []
    if not monitoring:
        out.append(
            (
                "scaling.metric",
                metric,
                "LLM metrics are read from the platform's Prometheus; set platform.monitoring.enabled: true or give "
                "another metric",
            )
        )
    if keda is False:
        out.append(
            (
                "scaling.metric",
                metric,
                "LLM metrics scale through KEDA, which this platform does not run; set platform.keda: true (or leave "
                "it out) or give another metric",
            )
        )
    return out
