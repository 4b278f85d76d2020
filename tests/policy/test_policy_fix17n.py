"""fix17n: the request-path model the policy rules judge with keeps its own upstream facts (issue #17).

components/serving/requestpath.py is what model-inference-api-only, model-metrics-prometheus-only,
gateway-metrics-prometheus-only, model-endpoint-auth and the pipeline rules call to decide who reaches what. It read
about thirty identities, labels, headers, keys and ports from the modules that render the policies it judges
(_auth, _netpol, _runtime, monitoring, istio), so a slip in one moved the rendering and the judgement together and
nothing failed. It now keeps its own copies of the upstream facts (sources at each constant); the test below pins
each copy to the rendering's, so a deliberate change touches both, and the monkeypatched tests show the model no
longer follows a rendering constant.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest

from components.platform import istio, knative, monitoring
from components.serving import _auth, _netpol, _runtime
from components.serving import requestpath as rp
from policy.rules import Resource, run_rules
from support import mutated_resources, rules_named, rules_plan


def test_the_request_paths_copies_are_the_renderings() -> None:
    """Each upstream fact requestpath restates equals the constant the platform renders with."""
    from policy.rules import network

    assert rp.ISVC_LABEL == _runtime.ISVC_LABEL == "serving.kserve.io/inferenceservice"
    assert rp.DEPLOYMENT_MODE_ANNOTATION == _runtime.DEPLOYMENT_MODE
    assert rp.KNATIVE_VISIBILITY_LABEL == _runtime.KNATIVE_VISIBILITY_LABEL
    assert rp.STANDARD_VISIBILITY_LABEL == _runtime.STANDARD_VISIBILITY_LABEL
    for mode in ("Knative", "Standard"):
        assert rp.visibility_label(mode) == _runtime.visibility_label(mode)
    assert rp.CLUSTER_LOCAL == _runtime.CLUSTER_LOCAL == "cluster-local"
    assert rp.TARGET_BURST_CAPACITY == _runtime.TARGET_BURST_CAPACITY
    assert rp.PROTOCOL_ENV == _runtime.PROTOCOL_ENV == "PROTOCOL"
    assert rp.KNATIVE_NAMESPACE == _auth.KNATIVE_NAMESPACE == knative.NAMESPACE == "knative-serving"
    assert rp.ACTIVATOR_LABELS == _auth.ACTIVATOR_LABELS == network.KNATIVE_ACTIVATOR_LABELS
    assert rp.AUTOSCALER_LABELS == network.KNATIVE_AUTOSCALER_LABELS
    assert rp.ACTIVATOR_PRINCIPAL == _auth.ACTIVATOR == network.KNATIVE_ACTIVATOR
    assert rp.AUTOSCALER_PRINCIPAL == _auth.AUTOSCALER == network.KNATIVE_AUTOSCALER
    assert rp.ACTIVATOR_PROBE_AGENT == _auth.ACTIVATOR_PROBE_AGENT == "Knative-Activator-Probe"
    assert rp.NAMESPACE_HEADER == _auth.NAMESPACE_HEADER == "Knative-Serving-Namespace"
    assert rp.REVISION_HEADER == _auth.REVISION_HEADER == "Knative-Serving-Revision"
    assert rp.K_NETWORK_PROBE == (_auth.NETWORK_PROBE_HEADER, _auth.NETWORK_PROBE_VALUE) == ("K-Network-Probe", "probe")
    assert (
        rp.AUTOSCALER_METRICS_PORT == int(_auth.AUTOSCALER_METRICS_PORT) == int(network.KNATIVE_AUTOSCALER_METRICS_PORT)
    )
    assert rp.USER_METRICS_PORT == _netpol.QUEUE_USER_METRICS_PORT == 9091
    assert (rp.AGENT_STATUS_PORT, rp.ENVOY_STATS_PORT) == (_netpol.AGENT_STATUS_PORT, _netpol.ENVOY_STATS_PORT)
    assert (rp.AGENT_STATUS_PORT, rp.ENVOY_STATS_PORT) == tuple(istio.GATEWAY_METRICS_PORTS) == (15020, 15090)
    assert rp.PROMETHEUS_POD_LABELS == monitoring.PROMETHEUS_POD_LABELS


@pytest.mark.parametrize(
    ("module", "name", "slip"),
    [
        (_runtime, "ISVC_LABEL", "serving.kserve.io/inference-service"),
        (_runtime, "CLUSTER_LOCAL", "cluster_local"),
        (_runtime, "TARGET_BURST_CAPACITY", "autoscaling.knative.dev/burst-capacity"),
        (_runtime, "KNATIVE_VISIBILITY_LABEL", "networking.kserve.io/visibility"),
        (_auth, "NETWORK_PROBE_VALUE", "queue"),
        (_auth, "REVISION_HEADER", "Knative-Revision"),
        (_auth, "ACTIVATOR_LABELS", {"app": "knative-activator"}),
        (_netpol, "QUEUE_USER_METRICS_PORT", 9092),
        (_netpol, "PROMETHEUS_POD_LABELS", {"app.kubernetes.io/name": "kube-prometheus-stack"}),
    ],
)
def test_a_rendering_slip_does_not_move_the_model(
    monkeypatch: pytest.MonkeyPatch, module: object, name: str, slip: object
) -> None:
    """What the model decides for a Knative internal model, the activator, Prometheus and the ingress probe is the
    same whatever the rendering constants say (before fix17n each of these moved it)."""
    isvc = {
        "metadata": {
            "name": "m",
            "namespace": "team",
            "labels": {"networking.knative.dev/visibility": "cluster-local"},
            "annotations": {"serving.kserve.io/deploymentMode": "Knative", "mlplatform.io/host": "m.example.com"},
        },
        "spec": {"predictor": {"annotations": {"autoscaling.knative.dev/target-burst-capacity": "0"}, "model": {}}},
    }

    def seen() -> tuple[object, ...]:
        fresh = importlib.reload(rp)  # its module-level callers (the activator, Prometheus, the probe) included
        m = fresh.model_of(isvc)
        prom = fresh.PROMETHEUS.src
        assert prom is not None
        revision = fresh.Request("h", 80, headers={"Knative-Serving-Revision": "r", "Knative-Serving-Namespace": "n"})
        return (
            m.public_host,
            m.activator_when_running,
            dict(m.pods.labels),
            dict(fresh.ACTIVATOR.labels),
            (prom.namespace, prom.labels),
            fresh.INGRESS_PROBE_HEADERS,
            sorted(fresh.metrics_scrapers([], isvc, fresh.PROMETHEUS)),
            fresh.activator_target(revision),
        )

    try:
        before = seen()
        assert before[:2] == (None, False) and before[-2:] == (["15020", "15090", "9090", "9091"], ("n", "r"))
        monkeypatch.setattr(module, name, slip)
        assert seen() == before
    finally:
        monkeypatch.undo()
        importlib.reload(rp)


# ------------------------------------------------------------------------------------------------ the ingress probe
# model-inference-api-only now also asks that Knative's ingress prober (GET /healthz, K-Network-Probe: probe, from
# the gateway's principal) is answered at a Knative model's pods (components/serving/requestpath.py ingress_probe,
# sources there): a refused probe is counted as abandoned, a success, so a route change is marked Ready early.

INFERENCE_ONLY = "model-inference-api-only"


def _probe_rules(value: str | None) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        for rule in props["spec"]["rules"]:
            for cond in rule.get("when") or []:
                if cond["key"] == "request.headers[K-Network-Probe]":
                    cond["values"] = [value]
        if value is None:
            props["spec"]["rules"] = [
                r for r in props["spec"]["rules"] if "request.headers[K-Network-Probe]" not in str(r.get("when"))
            ]

    return change


def _gateway_probe_policy(r: Resource) -> bool:
    return r.type.endswith(":AuthorizationPolicy") and "K-Network-Probe" in str(r.props.get("spec"))


def _inference_only_failures(stack: str, value: str | None) -> list[str]:
    resources, settings = rules_plan(stack)
    mutated = mutated_resources(resources, _gateway_probe_policy, _probe_rules(value))
    return [e["message"] for e in run_rules(mutated, settings, rules=rules_named(INFERENCE_ONLY)) if not e["passed"]]


@pytest.mark.parametrize("stack", ["aws-dev", "local"])
def test_the_shipped_gateway_probe_rule_is_answered(stack: str) -> None:
    assert _inference_only_failures(stack, "probe") == []


@pytest.mark.parametrize(("stack", "value"), [("aws-dev", "queue"), ("local", None), ("local", "Probe")])
def test_a_refused_ingress_probe_fails(stack: str, value: str | None) -> None:
    """The activator's value (queue), the rule removed, a value in another case (Istio's header match is exact)."""
    found = _inference_only_failures(stack, value)
    assert found, f"{stack}: a gateway probe rule for {value!r} passed"
    assert all(
        "the ingress gateway's readiness probe (GET /healthz, K-Network-Probe: probe, from "
        "cluster.local/ns/istio-system/sa/istio-ingressgateway) is refused at its pods" in m
        for m in found
    ), found


# ------------------------------------------------------------------------------------------------ warm placeholders
# warm-capacity-preemptible now judges every hard pod-affinity term of a placeholder, not only the one-per-node term it
# looks for (policy/rules/warm.py _other_term_problems): a second required anti-affinity term reaching beyond the
# placeholders' namespace without requiring the pool label (every pod, the models' pods), or any required pod
# affinity, keeps placeholders off nodes (or pending) while the one-per-node check still passed.

WARM_RULE = "warm-capacity-preemptible"
POOL_LABEL = "mlplatform.io/warm-capacity-pool"
HOSTNAME = "kubernetes.io/hostname"
WARM_STACKS = [("cover-aws-node-groups", "l4"), ("cover-gcp-standard", "a100")]


def _pod(p: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = p["spec"]["template"]["spec"]
    return spec


def _add_anti(term: Callable[[str], dict[str, Any]]) -> Callable[[dict[str, Any]], None]:
    def change(p: dict[str, Any]) -> None:
        own = p["spec"]["template"]["metadata"]["labels"][POOL_LABEL]
        _pod(p)["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"].append(term(own))

    return change


def _pod_affinity(p: dict[str, Any]) -> None:
    own = p["spec"]["template"]["metadata"]["labels"][POOL_LABEL]
    _pod(p)["affinity"]["podAffinity"] = {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {POOL_LABEL: own}}, "topologyKey": HOSTNAME}
        ]
    }


MODELS = {"matchExpressions": [{"key": "serving.kserve.io/inferenceservice", "operator": "Exists"}]}
ANTI = "required podAntiAffinity term [1] selects"
WARM_CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str | None]] = {
    "as-rendered": (lambda p: None, None),
    "every-pod-of-every-namespace": (
        _add_anti(lambda own: {"labelSelector": {}, "namespaceSelector": {}, "topologyKey": HOSTNAME}),
        f"{ANTI} {{}} in {{'namespaceSelector': {{}}}}, pods other than placeholders",
    ),
    "the-models-pods-everywhere": (
        _add_anti(lambda own: {"labelSelector": MODELS, "namespaceSelector": {}, "topologyKey": HOSTNAME}),
        f"{ANTI} {MODELS!r} in {{'namespaceSelector': {{}}}}",
    ),
    "every-pod-of-a-models-namespace": (
        _add_anti(lambda own: {"labelSelector": {}, "namespaces": ["default"], "topologyKey": HOSTNAME}),
        f"{ANTI} {{}} in {{'namespaces': ['default']}}",
    ),
    "own-namespace-and-another": (
        _add_anti(lambda own: {"labelSelector": {}, "namespaces": ["mlplatform-warm-capacity", "default"],
                               "topologyKey": HOSTNAME}),
        ANTI,
    ),
    "every-pod-of-its-own-namespace": (
        _add_anti(lambda own: {"labelSelector": {}, "topologyKey": HOSTNAME}),
        None,
    ),
    "the-models-pods-in-its-own-namespace": (
        _add_anti(lambda own: {"labelSelector": MODELS, "namespaces": ["mlplatform-warm-capacity"],
                               "topologyKey": HOSTNAME}),
        None,
    ),
    "any-placeholder-everywhere": (
        _add_anti(lambda own: {"labelSelector": {"matchExpressions": [{"key": POOL_LABEL, "operator": "Exists"}]},
                               "namespaceSelector": {}, "topologyKey": HOSTNAME}),
        None,
    ),
    "own-pool-everywhere-by-zone": (
        _add_anti(lambda own: {"labelSelector": {"matchLabels": {POOL_LABEL: own}}, "namespaceSelector": {},
                               "topologyKey": "topology.kubernetes.io/zone"}),
        None,
    ),
    "pod-affinity": (_pod_affinity, "required podAffinity"),
}  # fmt: skip


def _warm_failures(stack: str, pool: str, change: Callable[[dict[str, Any]], None]) -> list[str]:
    from support import cover_plan

    resources, settings = cover_plan(stack)
    mutated = mutated_resources(
        resources,
        lambda r: r.type == "kubernetes:apps/v1:Deployment" and r.k8s_name == f"warm-{pool}",
        change,
        exactly=1,
    )
    return [e["message"] for e in run_rules(mutated, settings, rules=rules_named(WARM_RULE)) if not e["passed"]]


@pytest.mark.parametrize("case", list(WARM_CASES))
@pytest.mark.parametrize(("stack", "pool"), WARM_STACKS)
def test_a_placeholders_other_scheduling_terms_select_only_its_pool(case: str, stack: str, pool: str) -> None:
    change, says = WARM_CASES[case]
    failed = _warm_failures(stack, pool, change)
    if says is None:
        assert failed == [], failed
    else:
        assert len(failed) == 1 and says in failed[0], failed
        assert f"warm-capacity Deployment mlplatform-warm-capacity/warm-{pool}: " in failed[0], failed
