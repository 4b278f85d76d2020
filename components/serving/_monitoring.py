"""Metrics for one model: what Prometheus scrapes, the SLO alerts, and the Grafana dashboard.

Request metrics come from the Istio sidecar of each model pod (``istio_requests_total``,
``istio_request_duration_milliseconds``, reporter ``destination``), the same in Knative and Standard mode and for
every runtime.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from components.serving import llm_scaling
from components.serving._runtime import ISVC_LABEL
from components.serving.spec import ModelSpec

DASHBOARD_TEMPLATE = Path(__file__).parent / "dashboards" / "model.json"
ALERT_FOR = "10m"
RATE_WINDOW = "5m"


def workload_regex(name: str) -> str:
    """The Istio ``destination_workload`` of the model's pods: ``<name>-predictor`` (Standard) or
    ``<name>-predictor-<revision>-deployment`` (Knative)."""
    return f"{name}-predictor(-[0-9]+-deployment)?"


def _matchers(name: str, namespace: str) -> str:
    return (
        f'reporter="destination", destination_workload_namespace="{namespace}", '
        f'destination_workload=~"{workload_regex(name)}"'
    )


def pod_monitor(name: str, spec: ModelSpec | None = None) -> dict[str, Any]:
    """The PodMonitor spec: the sidecar's request metrics on Envoy's port 15090.

    Istio does not intercept that port, so Prometheus (which has no sidecar) can scrape it under mesh-wide STRICT
    mTLS; the model server's own port is behind mTLS and is not scraped directly. A model that scales on an LLM
    metric also has the vLLM engine's gauges scraped through pilot-agent's merged stats on 15020
    (:func:`components.serving.llm_scaling.pod_monitor_endpoint`).
    """
    endpoints: list[dict[str, Any]] = [{"port": "http-envoy-prom", "path": "/stats/prometheus", "interval": "30s"}]
    if spec is not None and llm_scaling.is_llm(spec.scaling.metric):
        endpoints.append(llm_scaling.pod_monitor_endpoint())
    return {"selector": {"matchLabels": {ISVC_LABEL: name}}, "podMetricsEndpoints": endpoints}


def latency_p95_expr(name: str, namespace: str) -> str:
    """PromQL: the model's p95 server-side latency in milliseconds."""
    return (
        "histogram_quantile(0.95, sum by (le) (rate(istio_request_duration_milliseconds_bucket{"
        f"{_matchers(name, namespace)}}}[{RATE_WINDOW}])))"
    )


def error_rate_expr(name: str, namespace: str) -> str:
    """PromQL: the share of the model's requests answered with 5xx, in percent."""
    m = _matchers(name, namespace)
    return (
        f'100 * sum(rate(istio_requests_total{{{m}, response_code=~"5.."}}[{RATE_WINDOW}])) '
        f"/ sum(rate(istio_requests_total{{{m}}}[{RATE_WINDOW}]))"
    )


def prometheus_rules(name: str, spec: ModelSpec, environment: str) -> dict[str, Any] | None:
    """The PrometheusRule spec with one alert per SLO, or None when the model has no SLO."""
    slo = spec.slo
    labels = {"severity": "critical" if environment == "prod" else "warning", "model": name}
    rules: list[dict[str, Any]] = []
    if slo.latency_p95_ms is not None:
        rules.append(
            {
                "alert": "ModelLatencyP95High",
                "expr": f"{latency_p95_expr(name, spec.namespace)} > {slo.latency_p95_ms}",
                "for": ALERT_FOR,
                "labels": dict(labels),
                "annotations": {
                    "summary": f"{spec.namespace}/{name}: p95 latency above {slo.latency_p95_ms} ms",
                    "description": f"p95 latency of model {name} has been above its SLO of "
                    f"{slo.latency_p95_ms} ms for {ALERT_FOR}.",
                },
            }
        )
    if slo.error_rate_percent is not None:
        rules.append(
            {
                "alert": "ModelErrorRateHigh",
                "expr": f"{error_rate_expr(name, spec.namespace)} > {slo.error_rate_percent:g}",
                "for": ALERT_FOR,
                "labels": dict(labels),
                "annotations": {
                    "summary": f"{spec.namespace}/{name}: 5xx rate above {slo.error_rate_percent:g}%",
                    "description": f"More than {slo.error_rate_percent:g}% of requests to model {name} failed "
                    f"with 5xx for {ALERT_FOR}.",
                },
            }
        )
    if not rules:
        return None
    return {"groups": [{"name": f"{spec.namespace}.{name}.slo", "rules": rules}]}


def dashboard(name: str, namespace: str) -> str:
    """The Grafana dashboard JSON for the model, from the template in ``dashboards/model.json``."""
    text = DASHBOARD_TEMPLATE.read_text()
    text = text.replace("__MODEL__", name).replace("__NAMESPACE__", namespace)
    text = text.replace("__WORKLOAD__", workload_regex(name))
    parsed = json.loads(text)
    # Grafana uids are at most 40 characters: a stable digest of the model's identity.
    parsed["uid"] = "mlp-" + hashlib.sha1(f"{namespace}/{name}".encode()).hexdigest()[:16]
    return json.dumps(parsed, indent=2, sort_keys=True)
