"""Monitoring: kube-prometheus-stack, then the scrape configs, alert rules and dashboards that need its CRDs.

- Prometheus with the stack's retention and a persistent volume; it selects every ServiceMonitor, PodMonitor and
  PrometheusRule in the cluster (not only those labelled with the release), so models' own monitors are found.
- Scraping: istiod (ServiceMonitor), the ingress gateway's Envoy (PodMonitor on 15090; gateway pods carry no
  ``security.istio.io/tlsMode`` label, istio 1.30.3 gateway-injection-template.yaml), Knative's activator and
  autoscaler (PodMonitor, Knative mode), the KServe controller (ServiceMonitor through its kube-rbac-proxy) and the
  DCGM exporter (ServiceMonitor with ``honorLabels``). Model sidecars are scraped once, by each model's own
  PodMonitor (components/serving/_monitoring.py), not by a platform-wide one as well.
- On a cluster whose control plane the cloud runs (:attr:`KubernetesCluster.control_plane_managed`), the chart's
  scheduler, controller-manager and etcd scrapes (and their "Down" alerts, which could never clear) are off; the
  kube-proxy scrape is on only where kube-proxy can be scraped, and the DNS scrape matches the cluster's DNS server
  (:func:`node_component_scrapes`).
- Alertmanager sends warning and critical alerts to the stack's receiver (``monitoring.alerting``: e-mail, Slack,
  webhook; PagerDuty for critical only), ``Watchdog``, ``InfoInhibitor`` and ``info`` alerts to none; credentials
  are in a Secret mounted into Alertmanager and referenced as ``*_file``.
- Alerts (``rules/platform.yaml``): GPU pods pending too long, GPU memory near full, node not ready, KServe
  controller down.
- Dashboards (``dashboards/*.json``) as ConfigMaps with Grafana's sidecar label, loaded from the files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.errors import SpecError
from components.naming import child_name, child_opts
from components.platform import gpu, istio, knative, kserve
from components.platform.common import DATA_DIR, AddonContext, drop_empty, load_json, load_yaml_data

NAMESPACE = "monitoring"
RELEASE = "kube-prometheus-stack"
API = "monitoring.coreos.com/v1"
DASHBOARD_LABEL = "grafana_dashboard"
DASHBOARDS = {"gpu": "dashboards/gpu.json", "model-serving": "dashboards/model-serving.json"}
RULES = "rules/platform.yaml"
PROMETHEUS_POD_LABELS = {
    "app.kubernetes.io/name": "prometheus",
    "operator.prometheus.io/name": f"{RELEASE}-prometheus",
}
"""The Prometheus pods of the platform's kube-prometheus-stack release, by the labels the chart's own NetworkPolicy
selects them with at 88.5.3 (prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3,
charts/kube-prometheus-stack/templates/prometheus/networkpolicy.yaml: ``app.kubernetes.io/name: prometheus`` and
``operator.prometheus.io/name: <crname>``). The operator (the chart's appVersion v0.93.1; read at v0.93.0) puts both
on every Prometheus pod as selector labels, which it avoids changing (pkg/prometheus/server/operator.go
``makeSelectorLabels``: ``app.kubernetes.io/name: prometheus``, ``operator.prometheus.io/name``, ``prometheus``, the
latter two the CR's name; statefulset.go copies them into the pod template); ``operator.prometheus.io/name`` is the
one it documents as "identifying the Prometheus/PrometheusAgent resource" (pkg/prometheus/common.go
``PrometheusNameLabelName``). ``kube-prometheus-stack.prometheus.crname`` is ``<fullname>-prometheus``, and the
fullname is the release name when it contains the chart name (_helpers.tpl; ``cleanPrometheusOperatorObjectNames:
false`` at 88.5.3). Model and gateway NetworkPolicies admit these pods to the metrics ports."""


@dataclass(frozen=True)
class Monitoring:
    """What the monitoring step leaves: the release (its CRDs back every monitor and rule) and the custom resources."""

    release: k8s.helm.v3.Release
    monitors: list[k8s.apiextensions.CustomResource]
    rules: k8s.apiextensions.CustomResource


ALERT_SECRET = "mlplatform-alerting"
"""Secret with the receivers' credentials; Alertmanager mounts it at :data:`ALERT_SECRET_DIR` (kube-prometheus-stack
88.5.3 values ``alertmanager.alertmanagerSpec.secrets``: "mounted into /etc/alertmanager/secrets/")."""
ALERT_SECRET_DIR = f"/etc/alertmanager/secrets/{ALERT_SECRET}"
RECEIVER = "mlplatform"
MANAGED_CONTROL_PLANE = ("kubeScheduler", "kubeControllerManager", "kubeEtcd")
"""kube-prometheus-stack components that scrape the control plane (values ``<key>.enabled``); each also brings its
"Down" alert. Unreachable where the cloud runs the control plane."""


PAGER = "mlplatform-pager"
NULL_ROUTES = ('alertname = "Watchdog"', 'alertname = "InfoInhibitor"', 'severity = "info"')
"""Alerts kept on the chart's ``null`` receiver: ``Watchdog`` fires always (a dead-man's switch for an external
check), ``InfoInhibitor`` exists only to inhibit ``severity=info`` alerts, and ``info`` alerts are not actionable
(kube-prometheus-stack 88.5.3 values ``alertmanager.config``: its route sends everything to ``null``, and its
inhibit rules use ``InfoInhibitor`` as a source only; kube-prometheus runbooks "InfoInhibitor": "This alert should be
routed to a null receiver")."""


def alertmanager_config(ctx: AddonContext) -> dict[str, Any]:
    """The ``alertmanager.config`` values; ``{}`` (the chart's default) when no receiver is set.

    Routes, first match wins: :data:`NULL_ROUTES` to the chart's ``null`` receiver; with PagerDuty, ``critical``
    alerts to PagerDuty (``continue``: they also reach the other channels); everything else (``warning``,
    ``critical``) to e-mail, Slack and the webhook. PagerDuty pages for ``critical`` only: a ``warning`` should not
    wake anyone. With PagerDuty as the only channel, warnings are sent nowhere (docs/components/platform.md).
    Helm merges maps, so the chart's ``inhibit_rules`` and route timings stay.

    Field names from prometheus/alertmanager v0.34.0 docs/configuration.md (the chart's Alertmanager image):
    ``email_configs`` (``to``, ``from``, ``smarthost``, ``auth_username``, ``auth_password_file``),
    ``slack_configs`` (``api_url_file``, ``channel``), ``pagerduty_configs`` (``routing_key_file``),
    ``webhook_configs`` (``url_file``), route ``matchers`` and ``continue``. Credentials are read from files, so
    they are in no Helm value.
    """
    alerting = ctx.settings.monitoring.alerting
    if not alerting.configured:
        return {}
    receiver: dict[str, Any] = {"name": RECEIVER}
    if alerting.email is not None:
        email: dict[str, Any] = {
            "to": alerting.email.to,
            "from": alerting.email.sender,
            "smarthost": alerting.email.smarthost,
            "send_resolved": True,
        }
        if alerting.email.auth_username:
            email["auth_username"] = alerting.email.auth_username
        if alerting.email.auth_password_key:
            email["auth_password_file"] = f"{ALERT_SECRET_DIR}/{alerting.email.auth_password_key}"
        receiver["email_configs"] = [email]
    if alerting.slack is not None:
        slack: dict[str, Any] = {
            "api_url_file": f"{ALERT_SECRET_DIR}/{alerting.slack.api_url_key}",
            "send_resolved": True,
        }
        if alerting.slack.channel:
            slack["channel"] = alerting.slack.channel
        receiver["slack_configs"] = [slack]
    if alerting.webhook is not None:
        receiver["webhook_configs"] = [
            {"url_file": f"{ALERT_SECRET_DIR}/{alerting.webhook.url_key}", "send_resolved": True}
        ]
    routes: list[dict[str, Any]] = [{"receiver": "null", "matchers": [m]} for m in NULL_ROUTES]
    receivers: list[dict[str, Any]] = [{"name": "null"}, receiver]
    if alerting.pagerduty is not None:
        pager_key = f"{ALERT_SECRET_DIR}/{alerting.pagerduty.routing_key_key}"
        receivers.append({"name": PAGER, "pagerduty_configs": [{"routing_key_file": pager_key, "send_resolved": True}]})
        routes.append({"receiver": PAGER, "matchers": ['severity = "critical"'], "continue": True})
    return {"route": {"receiver": RECEIVER, "routes": routes}, "receivers": receivers}


def node_component_scrapes(ctx: AddonContext) -> dict[str, Any]:
    """The chart's kube-proxy and cluster-DNS scrapes, on only where the cluster runs what they scrape.

    ``kubeProxy`` (kube-prometheus-stack 88.5.3 values, on by default) brings the critical ``KubeProxyDown`` alert
    (``absent(up{job="kube-proxy"} == 1)``), which never clears where no kube-proxy runs or its metrics are on
    ``127.0.0.1`` (:attr:`KubernetesCluster.kube_proxy_scrapable`). ``coreDns`` (on by default, port 9153) and
    ``kubeDns`` (off by default, ports 10054/10055): "Use either this or kubeDns" (the values' comment); the cluster
    says which DNS server it runs (:attr:`KubernetesCluster.cluster_dns`; kube-dns serves metrics on 10055 and its
    sidecar on 10054, kubernetes cluster/addons/dns/kube-dns/kube-dns.yaml.base)."""
    dns = ctx.cluster.cluster_dns
    return {
        "kubeProxy": {"enabled": ctx.cluster.kube_proxy_scrapable},
        "coreDns": {"enabled": dns == "coredns"},
        "kubeDns": {"enabled": dns == "kube-dns"},
    }


def values(ctx: AddonContext) -> dict[str, Any]:
    """kube-prometheus-stack values: retention and storage from the settings, every monitor selected, Grafana's
    dashboard sidecar on, system pool, HA replicas and PDBs for Prometheus and Alertmanager, the alert receiver,
    and no control-plane scrapes where the cloud runs the control plane."""
    mon = ctx.settings.monitoring
    sel = ctx.system_selector
    pdb = {"enabled": True, "minAvailable": 1} if ctx.ha else {"enabled": False}
    secrets = [ALERT_SECRET] if mon.alerting.secret_keys() else []
    managed = {key: {"enabled": False} for key in MANAGED_CONTROL_PLANE} if ctx.cluster.control_plane_managed else {}
    return drop_empty(
        {
            **managed,
            **node_component_scrapes(ctx),
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
                "config": alertmanager_config(ctx),
                "alertmanagerSpec": {"replicas": ctx.replicas, "nodeSelector": sel, "secrets": secrets},
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
    data = load_yaml_data(DATA_DIR / RULES)
    groups = data["groups"]
    if not isinstance(groups, list):
        raise TypeError(f"{RULES}: groups must be a list")
    return groups


def install(
    ctx: AddonContext, namespace: pulumi.Resource, secrets: Mapping[str, pulumi.Input[str]] | None = None
) -> Monitoring:
    """The release (in parallel with the serving chain), then the monitors, rules and dashboards. ``secrets``: the
    values of the config keys the alert receivers name (:meth:`AlertingSpec.secret_keys`)."""
    before: list[pulumi.Resource] = [namespace]
    keys = ctx.settings.monitoring.alerting.secret_keys()
    if keys:
        given = dict(secrets or {})
        missing = sorted(k for k in keys if k not in given)
        if missing:
            raise SpecError(
                f"platform.monitoring.alerting.{keys[missing[0]]}",
                missing[0],
                f"the secret {missing[0]} was not passed to the Platform (PlatformArgs.secrets)",
            )
        before.append(
            k8s.core.v1.Secret(
                child_name(ctx.name, "alerting-secret"),
                metadata={"name": ALERT_SECRET, "namespace": NAMESPACE, "labels": ctx.labels("alerting")},
                string_data={k: pulumi.Output.secret(given[k]) for k in sorted(keys)},
                opts=child_opts(ctx.parent, provider=ctx.cluster.provider, depends_on=[namespace]),
            )
        )
    release = ctx.release(
        "monitoring",
        "kube-prometheus-stack",
        release_name=RELEASE,
        namespace=NAMESPACE,
        values=values(ctx),
        depends_on=before,
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
            "gateway-monitor",
            API,
            "PodMonitor",
            name="istio-ingressgateway",
            namespace=NAMESPACE,
            spec={
                "namespaceSelector": {"matchNames": [istio.NAMESPACE]},
                "selector": {"matchLabels": dict(istio.GATEWAY_SELECTOR)},
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
                    # honorLabels: the exporter's own pod/namespace/container labels name the GPU's workload
                    # (dcgm-exporter internal/pkg/... const.go); without it Prometheus renames them exported_*.
                    "endpoints": [{"port": "metrics", "interval": "15s", "honorLabels": True}],
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
