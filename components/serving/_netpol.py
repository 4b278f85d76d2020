"""The model's NetworkPolicy: its metrics ports readable by the platform's Prometheus only, its serving path as it was.

Istio decides who may call a model (:mod:`components.serving._auth`), but the injector leaves Envoy's stats port
15090, the health port 15021 and pilot-agent's status port 15020 out of inbound redirection (``-d
15090,15021,15020``: manifests/charts/istio-control/istio-discovery/files/injection-template.yaml, Istio 1.30.3), so
no Istio policy applies there and any pod that reaches the pod IP reads the model's request metrics. Only a
Kubernetes NetworkPolicy can close them. This one selects the model's pods (``serving.kserve.io/inferenceservice:
<name>``), has ``policyTypes: [Ingress]`` only (egress stays open) and these rules:

1. from anywhere, TCP, the ports the serving path uses (Istio decides there, as before):

   - Knative mode, the queue-proxy's ports (pkg/networking/constants.go, knative/serving knative-v1.21.3):
     8012 (HTTP/1) and 8013 (h2c): requests from the gateways, the activator and meshed callers, and the activator's
     probes; 8112 (``BackendHTTPSPort``: the queue-proxy's TLS port when Knative's system-internal TLS is on); 9090
     (``AutoscalingQueueMetricsPort``: the autoscaler's scrape, admitted by principal in the AuthorizationPolicy).
     The queue-proxy declares no other serving port (queue.go ``queueNonServingPorts`` + the serving port +
     ``queueHTTPSPort``; profiling's 8008 only with profiling on).
   - Standard mode, the model server's 8080 (KServe ``InferenceServiceDefaultHttpPort``, v0.20.0; the runtimes we
     install declare no other port: upstream/reference/kserve-v0.20.0-clusterservingruntimes.yaml).
   - Istio: 15021 (the sidecar's readiness endpoint, ``/healthz/ready`` only) and 15008 (HBONE: "Sidecar workloads
     receiving traffic will also need to allow inbound traffic on port 15008", istio.io/latest/docs/ambient/usage/
     networkpolicy). 15006, Envoy's inbound listener, is where the pod's own iptables redirect a connection *after*
     it arrived on its original port; NetworkPolicy is enforced on the host, outside the pod (same page), so it sees
     8012, not 15006, and 15006 needs no rule.

2. Knative mode, from the model's own pods only, 8022 (``QueueAdminPort``). Its one handler, ``/wait-for-drain``
   (pkg/queue/sharedmain/handlers.go ``adminHandler``, knative/serving knative-v1.21.3), drains the queue-proxy: it
   is the user container's preStop hook (pkg/reconciler/revision/resources/deploy.go ``userLifecycle``), which the
   kubelet no longer calls on 8022: Istio rewrites lifecycle ``httpGet`` hooks to pilot-agent's status port,
   ``15020/app-lifecycle/<container>/prestopz`` (Istio 1.30.3 pkg/kube/inject/app_probe.go
   ``convertAppLifecycleHandler``; knative/serving#16164), and pilot-agent then calls ``<pod IP>:8022`` from inside
   the pod (pilot/cmd/pilot-agent/status/server.go ``appProbersDestination`` is the pod IP). A connection from a
   pod to its own IP stays in its network namespace, which a plugin enforcing at the pod's interface does not see
   (our reading, not a documented guarantee: hence the rule admits the model's own pods rather than no one);
   without Istio's rewrite the kubelet calls from the node, which is always allowed. No other pod has a reason to
   reach 8022 (Istio refuses it at L7 too: no ALLOW rule names the port).
3. from the platform's Prometheus only (its namespace, by the ``kubernetes.io/metadata.name`` label the API server
   sets on every namespace, and its pods by the labels kube-prometheus-stack selects them with), the metrics ports:
   15090 (Envoy's ``/stats/prometheus``, what the model's PodMonitor scrapes), 15020 (pilot-agent's status
   server: ``/stats/prometheus`` and ``/metrics`` serve Envoy's stats merged with the application's,
   pilot/cmd/pilot-agent/status/server.go ``handleStats``, and the injector points ``prometheus.io/port`` at it,
   pkg/kube/inject/webhook.go, with ``meshConfig.enablePrometheusMerge: true``, the istiod 1.30.3 chart default; it
   also answers the kubelet's rewritten app probes ``/app-health/<container>/readyz``) and, in Knative mode, 9091
   (the queue-proxy's request metrics, ``UserQueueMetricsPort``, served when ``request-metrics-protocol`` is
   prometheus, pkg/queue/sharedmain/otel.go; Istio intercepts it and STRICT mTLS refuses a sidecar-less
   Prometheus there anyway).

The kubelet's probes and preStop hooks keep working on every port: traffic to and from the node where a pod runs is
always allowed, whatever the pod's or the node's IP address (kubernetes.io/docs/concepts/services-networking/
network-policies/, the list of what a pod may be allowed to talk to; the same in the French translation,
kubernetes.io/fr/docs/concepts/services-networking/network-policies/). The EKS network policy agent adds the node
IP to every pod's ingress allow map (aws/aws-network-policy-agent PR #65, "Ignore policy restrictions against Node
IP"). For GKE Dataplane V2 and AKS's Cilium this is inferred, not read: upstream Cilium allows its local host's
identity into every endpoint (cilium/cilium pkg/policy ``LabelAllowLocalHostIngress``) and, in Kubernetes mode,
turns ``allow-localhost``'s default ``auto`` into ``always`` unless it is set explicitly (cilium/cilium daemon/cmd
``initAndValidateDaemonConfig``: "Kubernetes demands that the localhost can always reach local pods"), but neither
cloud publishes the configuration of the Cilium it runs. Were the node not exempt there, the kubelet's probes on
15020 (Istio's rewritten app probes; rule 3 admits only Prometheus there) would fail and the model would never
become Ready: a failure the first deploy shows, not a silent opening.

**Ports listed, not ranges.** "Allow everything but the metrics ports" would need ``endPort`` ranges, and a network
plugin that does not support ``endPort`` applies such a rule "covering only the port field (single port)"
(kubernetes/kubernetes#110868, the GA note): the serving ports would close. Cilium accepted and ignored ``endPort``
until 1.16 (cilium/cilium#28684; port ranges in cilium#32807, v1.16.0), and the Cilium inside GKE Dataplane V2 and
AKS is the cloud's, at a version we do not pin. An explicit list works the same on every plugin; EKS's limit of 24
unique ports per protocol per rule (EKS user guide, cni-network-policy.md "Considerations") is far off.
"""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s

from components.platform import monitoring
from components.serving._auth import AUTOSCALER_METRICS_PORT, serving_ports
from components.serving._runtime import ISVC_LABEL
from components.serving.spec import ModelSpec

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server on every namespace to its name (Kubernetes >= 1.22, kubernetes.io/docs/reference/labels-
annotations-taints/#kubernetes-io-metadata-name)."""
PROMETHEUS_POD_LABELS = monitoring.PROMETHEUS_POD_LABELS
"""The platform's Prometheus pods (:data:`components.platform.monitoring.PROMETHEUS_POD_LABELS`, with sources)."""
ENVOY_STATS_PORT = 15090
AGENT_STATUS_PORT = 15020
ISTIO_HEALTH_PORT = 15021
HBONE_PORT = 15008
QUEUE_HTTPS_PORT = 8112
QUEUE_ADMIN_PORT = 8022
QUEUE_USER_METRICS_PORT = 9091


def open_ports(deployment_mode: str, spec: ModelSpec | None = None) -> list[int]:
    """The pod ports anyone may connect to (the mesh decides who may call): the serving path's (a custom container's
    own port in Standard mode: :func:`components.serving._auth.serving_ports`)."""
    ports = [int(p) for p in serving_ports(deployment_mode, spec)]
    if deployment_mode == "Knative":
        ports += [QUEUE_HTTPS_PORT, int(AUTOSCALER_METRICS_PORT)]
    return sorted([*ports, HBONE_PORT, ISTIO_HEALTH_PORT])


def metrics_ports(deployment_mode: str) -> list[int]:
    """The pod ports that expose the model's metrics: the platform's Prometheus only."""
    ports = [AGENT_STATUS_PORT, ENVOY_STATS_PORT]
    if deployment_mode == "Knative":
        ports.append(QUEUE_USER_METRICS_PORT)
    return sorted(ports)


def _tcp(ports: list[int]) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": p} for p in ports]


def network_policy(
    name: str,
    deployment_mode: str,
    monitoring_namespace: str | None,
    spec: ModelSpec | None = None,
    label: str = ISVC_LABEL,
) -> dict[str, Any]:
    """The NetworkPolicy spec for model ``name`` (see the module docstring). ``monitoring_namespace``: where the
    platform's Prometheus runs, or None when the platform runs no monitoring (then no pod reads the metrics ports).
    ``spec``: the model, whose custom container's port is a serving port in Standard mode. ``label``: the pod label
    whose value is ``name`` (a pipeline's router pods carry KServe's ``serving.kserve.io/inferencegraph``)."""
    rules: list[dict[str, Any]] = [{"ports": _tcp(open_ports(deployment_mode, spec))}]
    if deployment_mode == "Knative":
        rules.append({"from": [{"podSelector": {"matchLabels": {label: name}}}], "ports": _tcp([QUEUE_ADMIN_PORT])})
    if monitoring_namespace is not None:
        rules.append(
            {
                "from": [
                    {
                        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: monitoring_namespace}},
                        "podSelector": {"matchLabels": dict(PROMETHEUS_POD_LABELS)},
                    }
                ],
                "ports": _tcp(metrics_ports(deployment_mode)),
            }
        )
    return {"podSelector": {"matchLabels": {label: name}}, "policyTypes": ["Ingress"], "ingress": rules}


def _selector(sel: dict[str, Any] | None) -> k8s.meta.v1.LabelSelectorArgs | None:
    return None if sel is None else k8s.meta.v1.LabelSelectorArgs(match_labels=sel.get("matchLabels"))


def network_policy_args(spec: dict[str, Any]) -> k8s.networking.v1.NetworkPolicySpecArgs:
    """:func:`network_policy`'s spec as the Kubernetes SDK's typed arguments (field names checked by mypy)."""
    net = k8s.networking.v1
    return net.NetworkPolicySpecArgs(
        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=spec["podSelector"]["matchLabels"]),
        policy_types=list(spec["policyTypes"]),
        ingress=[
            net.NetworkPolicyIngressRuleArgs(
                from_=[
                    net.NetworkPolicyPeerArgs(
                        namespace_selector=_selector(peer.get("namespaceSelector")),
                        pod_selector=_selector(peer.get("podSelector")),
                    )
                    for peer in rule["from"]
                ]
                if "from" in rule
                else None,
                ports=[net.NetworkPolicyPortArgs(protocol=p["protocol"], port=p["port"]) for p in rule["ports"]],
            )
            for rule in spec["ingress"]
        ],
    )
