"""Monitoring: kube-prometheus-stack, then the scrape configs, alert rules and dashboards that need its CRDs.

- Prometheus with the stack's retention and a persistent volume; it selects every ServiceMonitor, PodMonitor and
  PrometheusRule in the cluster (not only those labelled with the release), so models' own monitors are found.
- Scraping: istiod (ServiceMonitor), every Envoy sidecar and gateway (PodMonitor: request rate, latency and errors
  of every model with a sidecar), Knative's activator and autoscaler (PodMonitor, Knative mode), the KServe
  controller (ServiceMonitor through its kube-rbac-proxy) and the DCGM exporter (ServiceMonitor).
- Alerts (``rules/platform.yaml``): GPU pods pending too long, GPU memory near full, node not ready, KServe
  controller down.
- Dashboards (``dashboards/*.json``) as ConfigMaps with Grafana's sidecar label, loaded from the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.naming import child_name, child_opts
from components.platform import gpu, istio, knative, kserve
from components.platform.common import DATA_DIR, AddonContext, drop_empty, load_json

NAMESPACE = "monitoring"
RELEASE = "kube-prometheus-stack"
API = "monitoring.coreos.com/v1"
DASHBOARD_LABEL = "grafana_dashboard"
DASHBOARDS = {"gpu": "dashboards/gpu.json", "model-serving": "dashboards/model-serving.json"}
RULES = "rules/platform.yaml"


@dataclass(frozen=True)
class Monitoring:
    """What the monitoring step leaves: the release (its CRDs back every monitor and rule) and the custom resources."""

    release: k8s.helm.v3.Release
    monitors: list[k8s.apiextensions.CustomResource]
    rules: k8s.apiextensions.CustomResource


def values(ctx: AddonContext) -> dict[str, Any]:
    """kube-prometheus-stack values: retention and storage from the settings, every monitor selected, Grafana's
    dashboard sidecar on, system pool, HA replicas and PDBs for Prometheus and Alertmanager."""
    mon = ctx.settings.monitoring
    sel = ctx.system_selector
    pdb = {"enabled": True, "minAvailable": 1} if ctx.ha else {"enabled": False}
    return drop_empty(
        {
            "crds": {"enabled": True},
            "prometheus": {
                "prometheusSpec": {
                    "retention": mon.retention,
                    "storageSpec": {
                        "volumeClaimTemplate": {
                            "spec": {
                                "accessModes": ["ReadWriteOnce"],
                                "resources": {"requests": {"storage": mon.storage_size}},
                            }
                        }
                    },
                    "serviceMonitorSelectorNilUsesHelmValues": False,
                    "podMonitorSelectorNilUsesHelmValues": False,
                    "ruleSelectorNilUsesHelmValues": False,
                    "probeSelectorNilUsesHelmValues": False,
                    "replicas": ctx.replicas,
                    "nodeSelector": sel,
                    "topologySpreadConstraints": ctx.spread({"app.kubernetes.io/name": "prometheus"}),
                },
                "podDisruptionBudget": pdb,
            },
            "alertmanager": {
                "alertmanagerSpec": {"replicas": ctx.replicas, "nodeSelector": sel},
                "podDisruptionBudget": pdb,
            },
            "prometheusOperator": {"nodeSelector": sel, "admissionWebhooks": {"patch": {"nodeSelector": sel}}},
            "grafana": {
                "sidecar": {
                    "dashboards": {
                        "enabled": True,
                        "label": DASHBOARD_LABEL,
                        "labelValue": "1",
                        "searchNamespace": "ALL",
                    }
                }
            },
        }
    )


def rule_groups() -> list[dict[str, Any]]:
    """The alert rule groups from ``rules/platform.yaml``."""
    data = yaml.safe_load((DATA_DIR / RULES).read_text())
    groups = data["groups"]
    if not isinstance(groups, list):
        raise TypeError(f"{RULES}: groups must be a list")
    return groups


def install(ctx: AddonContext, namespace: pulumi.Resource) -> Monitoring:
    """The release (in parallel with the serving chain), then the monitors, rules and dashboards."""
    release = ctx.release(
        "monitoring",
        "kube-prometheus-stack",
        release_name=RELEASE,
        namespace=NAMESPACE,
        values=values(ctx),
        depends_on=[namespace],
        timeout=900,
    )
    after = [release]
    monitors = [
        ctx.custom_resource(
            "istiod-monitor",
            API,
            "ServiceMonitor",
            name="istiod",
            namespace=NAMESPACE,
            spec={
                "namespaceSelector": {"matchNames": [istio.NAMESPACE]},
                "selector": {"matchLabels": {"app": "istiod"}},
                "endpoints": [{"port": "http-monitoring", "interval": "30s"}],
            },
            depends_on=after,
        ),
        ctx.custom_resource(
            "envoy-monitor",
            API,
            "PodMonitor",
            name="envoy-stats",
            namespace=NAMESPACE,
            spec={
                "namespaceSelector": {"any": True},
                "selector": {"matchExpressions": [{"key": "security.istio.io/tlsMode", "operator": "Exists"}]},
                "podMetricsEndpoints": [{"port": "http-envoy-prom", "path": "/stats/prometheus", "interval": "30s"}],
            },
            depends_on=after,
        ),
        ctx.custom_resource(
            "kserve-monitor",
            API,
            "ServiceMonitor",
            name="kserve-controller",
            namespace=NAMESPACE,
            spec={
                "namespaceSelector": {"matchNames": [kserve.NAMESPACE]},
                "selector": {"matchLabels": dict(kserve.CONTROLLER_LABELS)},
                "endpoints": [
                    {
                        "port": "https",
                        "scheme": "https",
                        "interval": "30s",
                        "bearerTokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token",
                        "tlsConfig": {"insecureSkipVerify": True},
                    }
                ],
            },
            depends_on=after,
        ),
    ]
    if ctx.settings.deployment_mode == "Knative":
        monitors.append(
            ctx.custom_resource(
                "knative-monitor",
                API,
                "PodMonitor",
                name="knative-serving",
                namespace=NAMESPACE,
                spec={
                    "namespaceSelector": {"matchNames": [knative.NAMESPACE]},
                    "selector": {
                        "matchExpressions": [{"key": "app", "operator": "In", "values": list(knative.MESHED)}]
                    },
                    "podMetricsEndpoints": [{"port": "metrics", "interval": "30s"}],
                },
                depends_on=after,
            )
        )
    if gpu.wants_dcgm_exporter(ctx):
        monitors.append(
            ctx.custom_resource(
                "dcgm-monitor",
                API,
                "ServiceMonitor",
                name="dcgm-exporter",
                namespace=NAMESPACE,
                spec={
                    "namespaceSelector": {"matchNames": [gpu.DCGM_NAMESPACE]},
                    "selector": {"matchLabels": dict(gpu.DCGM_LABELS)},
                    "endpoints": [{"port": "metrics", "interval": "15s"}],
                },
                depends_on=after,
            )
        )
    rules = ctx.custom_resource(
        "alert-rules",
        API,
        "PrometheusRule",
        name="mlplatform-platform",
        namespace=NAMESPACE,
        spec={"groups": rule_groups()},
        depends_on=after,
    )
    for key, path in DASHBOARDS.items():
        k8s.core.v1.ConfigMap(
            child_name(ctx.name, f"dashboard-{key}"),
            metadata={
                "name": f"mlplatform-{key}-dashboard",
                "namespace": NAMESPACE,
                "labels": {**ctx.labels("dashboard"), DASHBOARD_LABEL: "1"},
            },
            data={f"mlplatform-{key}.json": load_json(path)},
            opts=child_opts(ctx.parent, provider=ctx.cluster.provider, depends_on=[namespace]),
        )
    return Monitoring(release, monitors, rules)
