"""fix17k: rules that do not share the blind spots of the code they judge (issue #17).

A rule that reads a verdict-deciding constant or helper from the code it judges passes a slip there: the rendering
and the rule's expectation move together (rev17h h15/h20, rev17i i30, rev17j j25). Each rule here keeps its own copy
(from the upstream source or the platform's documented promise) and a test pins that copy to the components' value,
so a slip on either side fails something: in components, the rule in the plan (benchmarks/policy_mutations.py
``fix17k-*``, and the monkeypatched tests below); in the policy's copy, the pin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from policy.rules import Resource, run_rules
from support import mutated_resources, rules_named, rules_plan

TIMEOUTS = "timeouts-cover-cold-start"


def _failures(
    stack: str, rule: str, pick: Callable[[Resource], bool], change: Callable[[dict[str, Any]], None]
) -> list[str]:
    resources, settings = rules_plan(stack)
    mutated = mutated_resources(resources, pick, change, exactly=1)
    return [e["message"] for e in run_rules(mutated, settings, rules=rules_named(rule)) if not e["passed"]]


# ------------------------------------------------------------------------------- timeouts-cover-cold-start's figures


def test_the_rules_figures_are_the_platforms() -> None:
    """Every figure timeouts-cover-cold-start holds the chain to is the rule's own (policy/rules/timeouts.py
    ``figures``) and equal to the one the platform renders with (components/serving/timeouts.py
    ``platform_figures``: _runtime.CPU_READY_SECONDS, _runtime.REQUEST_SECONDS, knative.MAX_REVISION_TIMEOUT, the
    Knative and KServe defaults); the platform's longest request is one figure on every side."""
    from components.platform import istio, knative
    from components.serving import timeouts
    from policy.rules import timeouts as rule

    assert rule.figures() == timeouts.platform_figures()
    assert rule.LONGEST_REQUEST_SECONDS == istio.LONGEST_REQUEST_SECONDS == int(knative.MAX_REVISION_TIMEOUT) == 1800
    assert rule.REQUEST_SECONDS == rule.KNATIVE_REVISION_TIMEOUT == 300


def _sklearn(r: Resource) -> bool:
    return r.type.endswith(":InferenceService") and r.name == "sklearn-iris-isvc"


def _timeout(seconds: int) -> Callable[[dict[str, Any]], None]:
    def change(p: dict[str, Any]) -> None:
        p["spec"]["predictor"]["timeout"] = seconds

    return change


def _short(timeout: int) -> list[str]:
    return [
        f"models/sklearn-iris: activator timeoutSeconds {timeout}s < cold start 600s + request 300s",
        f"models/sklearn-iris: activator responseStartTimeoutSeconds {timeout}s < cold start 600s + request 300s",
    ]


@pytest.mark.parametrize(("timeout", "expected"), [(900, []), (899, _short(899)), (630, _short(630))])
def test_a_request_after_a_cold_start_keeps_knatives_300s(timeout: int, expected: list[str]) -> None:
    """The local stack's sklearn-iris (Knative, CPU, minReplicas 0) needs its 600 s start plus a request, 300 s
    (Knative's revision-timeout-seconds, knative-v1.21.0 config/core/configmaps/defaults.yaml)."""
    assert _failures("local", TIMEOUTS, _sklearn, _timeout(timeout)) == expected


def test_the_rule_keeps_its_own_request_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """fix17k: ``REQUEST_SECONDS = 30`` in components/serving/_runtime.py renders sklearn-iris's timeout 630 s; the
    rule took its demand from the same constant and passed. It keeps its own (policy/rules/timeouts.py
    ``REQUEST_SECONDS``)."""
    from components.serving import _runtime

    monkeypatch.setattr(_runtime, "REQUEST_SECONDS", 30)
    assert _failures("local", TIMEOUTS, _sklearn, _timeout(630)) == _short(630)


def test_the_rule_keeps_its_own_revision_timeout_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """fix17k: ``MAX_REVISION_TIMEOUT = "600"`` in components/platform/knative.py caps every rendered timeout at 600 s,
    and the rule, taking the same constant as the cap, let a timeout at it pass (a CPU model's first request then has
    0 s once its pod is up). The rule's cap is the platform's longest request, 1800 s, its own; a timeout above it
    still fails (Knative's webhook refuses it, and the load balancer cuts it)."""
    from components.serving import timeouts

    monkeypatch.setattr(timeouts, "MAX_REVISION_TIMEOUT", "600")
    assert _failures("local", TIMEOUTS, _sklearn, _timeout(600)) == _short(600)
    assert _failures("local", TIMEOUTS, _sklearn, _timeout(1801)) == [
        "models/sklearn-iris: activator timeoutSeconds 1801s > max-revision-timeout-seconds 1800",
        "models/sklearn-iris: activator responseStartTimeoutSeconds 1801s > max-revision-timeout-seconds 1800",
    ]


def _with_transformer(timeout: int) -> dict[str, Any]:
    """A rendered Knative-mode CPU model at zero behind a transformer at zero (no GPU: a 600 s budget each)."""
    return {
        "kind": "InferenceService",
        "metadata": {"name": "m", "namespace": "models", "annotations": {}},
        "spec": {
            "predictor": {"minReplicas": 0, "timeout": 900, "model": {"resources": {"limits": {}}}},
            "transformer": {"minReplicas": 0, "timeout": timeout},
        },
    }


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        (1500, []),
        (1499, ["models/m: transformer timeout 1499s < cold start 1200s (its own 600s + the predictor's 600s) + "
                "request 300s"]),
    ],
)  # fmt: skip
def test_the_judge_adds_up_a_transformers_wait_on_its_own(
    monkeypatch: pytest.MonkeyPatch, timeout: int, expected: list[str]
) -> None:
    """fix17k: the judge sums a transformer's wait itself (components/serving/timeouts.py ``_component_cold``), not
    with components/serving/_runtime.py ``component_cold_start_seconds``, which renders the components' timeouts (the
    review of 9c2eedb merged them, and a slip there then moved both): with that helper broken, the verdict holds."""
    from components.serving import _runtime, timeouts
    from policy.rules import timeouts as rule

    monkeypatch.setattr(_runtime, "component_cold_start_seconds", lambda *args, **kwargs: 0)
    assert timeouts.problems(_with_transformer(timeout), figures=rule.figures()) == expected


@pytest.mark.parametrize("component_min", [0, 1])
@pytest.mark.parametrize("predictor_min", [0, 1])
@pytest.mark.parametrize("budget", [0, 600, 1290])
def test_the_judges_sum_is_the_renderers(component_min: int, predictor_min: int, budget: int) -> None:
    """The judge's own sum and the one the platform renders with agree (a slip on either side fails here)."""
    from components.serving import _runtime, timeouts
    from policy.rules import timeouts as rule

    judged = timeouts._component_cold(component_min == 0, predictor_min == 0, budget, rule.CPU_READY_SECONDS)
    assert judged == _runtime.component_cold_start_seconds(component_min, predictor_min, budget)


# ------------------------------------------------------------------------------- model-inference-api-only's principals

INFERENCE_ONLY = "model-inference-api-only"


def test_the_rules_principals_are_the_platforms() -> None:
    """The identities model-inference-api-only judges Knative's and Istio's callers by are the rule's own
    (policy/rules/network.py, from knative/serving knative-v1.21.3 config/core/deployments/activator.yaml and
    autoscaler.yaml, the Istio gateway chart's service account) and equal to the ones the platform renders in every
    model's AuthorizationPolicy (components/serving/_auth.py)."""
    from components.serving import _auth
    from policy.rules import network

    assert network.KNATIVE_ACTIVATOR == _auth.ACTIVATOR == "cluster.local/ns/knative-serving/sa/activator"
    assert network.KNATIVE_AUTOSCALER == _auth.AUTOSCALER == "cluster.local/ns/knative-serving/sa/controller"
    assert network.INGRESS_GATEWAY == _auth.GATEWAY == "cluster.local/ns/istio-system/sa/istio-ingressgateway"
    assert network.KNATIVE_ACTIVATOR_LABELS == _auth.ACTIVATOR_LABELS
    assert dict(network.ACTIVATOR_PROBE[2])["User-Agent"] == _auth.ACTIVATOR_PROBE_AGENT
    assert set(network._known_principals()) == {_auth.ACTIVATOR, _auth.AUTOSCALER, _auth.GATEWAY}


def _sklearn_policy(r: Resource) -> bool:
    return r.type.endswith(":AuthorizationPolicy") and r.name.startswith("sklearn-iris")


def _probe_rule(**change: Any) -> Callable[[dict[str, Any]], None]:
    """Change the activator's probe rule of the model's AuthorizationPolicy (components/serving/_auth.py
    ``knative_rules``): its ``principals`` or its User-Agent ``values``."""

    def edit(p: dict[str, Any]) -> None:
        (rule,) = [r for r in p["spec"]["rules"] if "sa/activator" in str(r.get("from"))]
        if "principals" in change:
            rule["from"] = [{"source": {"principals": change["principals"]}}]
        if "agents" in change:
            rule["when"] = [{"key": "request.headers[User-Agent]", "values": change["agents"]}]

    return edit


NO_PROBE = (
    "model models/sklearn-iris: Knative's activator (cluster.local/ns/knative-serving/sa/activator) may not probe the "
    "queue-proxy (GET /healthz, K-Network-Probe: queue, User-Agent: Knative-Activator-Probe): it never counts the "
    "model's pods ready, so a request it holds (the model at zero, a burst) waits until it times out (admit that "
    "principal for its probe)"
)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"principals": ["cluster.local/ns/knative-serving/sa/activator"]}, []),
        ({"agents": ["Knative-Activator-Probe"]}, []),
        ({"principals": ["cluster.local/ns/knative-serving/sa/controller"]}, [NO_PROBE]),  # fix17k-04
        ({"principals": ["cluster.local/ns/knative-serving/sa/knative-activator"]}, [NO_PROBE]),
        ({"agents": ["Knative-Autoscaling-Probe"]}, [NO_PROBE]),
    ],
)
def test_knatives_activator_may_probe_every_knative_model(change: dict[str, Any], expected: list[str]) -> None:
    """The activator probes a revision's pods (GET /healthz, ``K-Network-Probe: queue``, ``User-Agent:
    Knative-Activator-Probe``: knative-v1.21.3 pkg/activator/net/revision_backends.go) and, refused with a 403, counts
    none ready: the local stack's sklearn-iris (Knative, minReplicas 0) must admit it by its own identity."""
    assert _failures("local", INFERENCE_ONLY, _sklearn_policy, _probe_rule(**change)) == expected


def test_the_rule_keeps_its_own_activator(monkeypatch: pytest.MonkeyPatch) -> None:
    """fix17k-04: ``ACTIVATOR_SERVICE_ACCOUNT = "controller"`` in components/serving/_auth.py renders the probe rule
    for sa/controller; the rule judges the activator by its own identity, whatever _auth says."""
    from components.serving import _auth

    monkeypatch.setattr(_auth, "ACTIVATOR", "cluster.local/ns/knative-serving/sa/controller")
    wrong = {"principals": ["cluster.local/ns/knative-serving/sa/controller"]}
    assert _failures("local", INFERENCE_ONLY, _sklearn_policy, _probe_rule(**wrong)) == [NO_PROBE]


# ------------------------------------------------------------------------------- warm pre-pulls: the -gpu tag

WARM = "warm-capacity-preemptible"


def test_the_gpu_tag_runtimes_are_upstreams_and_the_platforms() -> None:
    """policy/rules/coldpulls.py ``GPU_TAG_RUNTIMES`` is every ClusterServingRuntime of KServe v0.20.0 whose
    ``serving.kserve.io/server-type`` is one ``UpdateImageTag`` appends ``-gpu`` for (``GPU_TAG_SERVER_TYPES``), and
    the platform's table (components/serving/runtimes.py) is the same."""
    import yaml

    from components.serving import runtimes
    from policy.rules import coldpulls
    from support import upstream_dir

    path = upstream_dir() / "reference" / "kserve-v0.20.0-clusterservingruntimes.yaml"
    upstream = sorted(
        doc["metadata"]["name"]
        for doc in yaml.safe_load_all(path.read_text())
        if doc and doc["metadata"]["annotations"]["serving.kserve.io/server-type"] in coldpulls.GPU_TAG_SERVER_TYPES
    )
    assert list(coldpulls.GPU_TAG_RUNTIMES) == upstream == sorted(runtimes.GPU_TAG_RUNTIMES)


def _warm_l4(r: Resource) -> bool:
    return r.name == "mlplatform-warm-l4"


def _cpu_tag(p: dict[str, Any]) -> None:
    for c in p["spec"]["template"]["spec"]["containers"]:
        c["image"] = c["image"].removesuffix("-gpu")


def test_a_placeholder_pre_pulling_the_cpu_tag_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """fix17k-05: kserve-torchserve dropped from components/serving/runtimes.py ``GPU_TAG_RUNTIMES`` makes the
    placeholders of cover-aws-node-groups' l4 pool pre-pull ``pytorch/torchserve-kfs:0.9.0``, while resnet50 (a
    PyTorch model on an L4) runs the ``-gpu`` tag: the rule expects it by its own table, whatever the platform's."""
    from components.serving import runtimes
    from support import cover_plan

    resources, settings = cover_plan("cover-aws-node-groups")  # planned as shipped; the slip is then judged
    monkeypatch.setattr(runtimes, "GPU_TAG_RUNTIMES", ("kserve-huggingfaceserver", "kserve-tensorflow-serving"))
    assert [e["message"] for e in run_rules(resources, settings, rules=rules_named(WARM)) if not e["passed"]] == []
    mutated = mutated_resources(resources, _warm_l4, _cpu_tag, exactly=1)
    assert [e["message"] for e in run_rules(mutated, settings, rules=rules_named(WARM)) if not e["passed"]] == [
        "warm-capacity Deployment mlplatform-warm-capacity/warm-l4: pre-pulls ['ghcr.io/acme/onnx-server:1.2', "
        "'pytorch/torchserve-kfs:0.9.0'], not 'pytorch/torchserve-kfs:0.9.0-gpu', the image GPU model resnet50 of "
        "nvidia-l4 pulls (the runtime KServe selects for it, or its oci:// image): the warm node still pulls it"
    ]
