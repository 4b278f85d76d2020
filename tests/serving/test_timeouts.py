"""The request timeout chain covers each model's cold start (issue 12.5).

Sources: Knative serving 1.21 cmd/activator/main.go (the activator applies the revision's timeoutSeconds and
responseStartTimeoutSeconds to the whole request, the wait for a pod included) and config/core/configmaps/defaults.yaml
(both default to 300 s); KServe v0.20.0 reconcilers/knative/ksvc_reconciler.go (``timeout`` -> both);
components/platform/knative.py MAX_REVISION_TIMEOUT (the platform's max-revision-timeout-seconds).
"""

from __future__ import annotations

import pytest
from serving_support import ISVC, model, plan
from stacks_support import STACKS, objects

from components.platform.knative import MAX_REVISION_TIMEOUT
from components.serving import timeouts

GPU = {"gpus": 1, "accelerator": "nvidia-l4"}


def test_gpu_model_at_zero_waits_for_its_cold_start() -> None:
    # Regression: without a predictor timeout the activator cut the request at Knative's default 300 s while the
    # model waits for its node. The budget is the cold-start estimate (fake cluster: aws, Karpenter) at the slow
    # end of each step, 412 s (tests/serving/test_model_service.py), plus a request.
    p = plan(model(resources=GPU, scaling={"minReplicas": 0}))
    isvc = p.inputs("kubernetes:serving.kserve.io/v1beta1:InferenceService")
    assert p.predictor()["timeout"] == 412 + 300
    assert timeouts.budget(isvc) == 412
    assert timeouts.problems(isvc) == []


def test_llm_timeout_is_its_cold_start_plus_a_request_within_the_platform_max() -> None:
    p = plan(
        model(format="huggingface", storageUri="hf://Qwen/Qwen2.5-1.5B-Instruct", resources=GPU),
    )
    # 1059 s: test_model_service.py::test_llm_scale_to_zero_deadline_covers_the_vllm_engine_start
    assert p.predictor()["timeout"] == 1059 + 300 <= int(MAX_REVISION_TIMEOUT)


def test_default_chain_is_reported_short() -> None:
    p = plan(model(resources=GPU, scaling={"minReplicas": 0}))
    isvc = p.inputs("kubernetes:serving.kserve.io/v1beta1:InferenceService")
    del isvc["spec"]["predictor"]["timeout"]
    assert timeouts.problems(isvc)[0] == ("models/iris: activator timeoutSeconds 300s < cold start 412s + request 300s")


def test_standard_mode_renders_the_route_timeout() -> None:
    # No activator in Standard mode, but KServe v0.20.0's HTTPRoute takes the predictor's timeout as its request
    # timeout, 60 s without it (reconcilers/ingress/httproute_reconciler.go resolveTimeout; rev14h defect 1): the
    # same default as in Knative mode is rendered
    p = plan(model(), deployment_mode="Standard")
    assert p.predictor()["timeout"] == 900
    assert timeouts.problems(p.inputs(ISVC)) == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_shipped_model_chain_covers_its_cold_start(stack: str) -> None:
    objs = objects(stack)
    isvcs = [o for o in objs if o["kind"] == "InferenceService"]
    assert isvcs
    for isvc in isvcs:
        assert timeouts.problems(isvc, objs) == [], isvc["metadata"]["name"]


def test_a_rendered_route_timeout_for_the_model_is_read() -> None:
    # Regression: the gateway hop was a constant (None), so a route timeout we rendered could never be reported.
    p = plan(model(resources=GPU, scaling={"minReplicas": 0}))
    objs = tuple(p.revealed())
    isvc = next(o for o in objs if o["kind"] == "InferenceService")
    route = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "edge", "namespace": "models"},
        "spec": {"hosts": ["iris-predictor.models.svc.cluster.local"], "http": [{"timeout": "60s"}]},
    }
    other = {**route, "spec": {"hosts": ["other.models.svc.cluster.local"], "http": [{"timeout": "1s"}]}}
    assert timeouts.chain(isvc, (*objs, other))["gateway route"] is None
    assert timeouts.chain(isvc, (*objs, route))["gateway route"] == 60
    assert "models/iris: gateway route 60s < cold start 412s" in timeouts.problems(isvc, (*objs, route))


def test_we_render_no_route_of_our_own_for_a_model() -> None:
    # The gateway hop is KServe's and net-istio's VirtualServices, which set no timeout (timeouts module docstring).
    objs = tuple(plan(model()).revealed())
    assert not [o for o in objs if o["kind"] == "VirtualService"]


@pytest.mark.parametrize("min_replicas", [1, 2])
def test_a_short_timeout_is_fine_when_the_model_never_scales_to_zero(min_replicas: int) -> None:
    # rev14 defect 1: a CPU model with minReplicas 1 and timeout 120 (model-service.md's Scaling example; KServe's
    # batcher doc with timeout 60) failed the mandatory timeouts-cover-cold-start 4 times ("activator timeoutSeconds
    # 120s < cold start 600s + request 300s"). KServe v0.20.0 sets Knative's min-scale from minReplicas (1 when not
    # given: pkg/controller/v1alpha1/utils/utils.go SetAutoScalingAnnotations, pkg/constants/constants.go
    # DefaultMinReplicas), so a request always finds a running pod: the cold start is not on its path.
    p = plan(model(timeout=120, scaling={"minReplicas": min_replicas}))
    isvc = p.inputs("kubernetes:serving.kserve.io/v1beta1:InferenceService")
    assert isvc["spec"]["predictor"]["minReplicas"] == min_replicas
    assert isvc["spec"]["predictor"]["timeout"] == 120
    assert timeouts.can_be_at_zero(isvc) is False
    assert timeouts.problems(isvc) == []
    del isvc["spec"]["predictor"]["minReplicas"]  # KServe's default: 1
    assert timeouts.problems(isvc) == []


def test_a_short_timeout_still_fails_when_the_model_scales_to_zero() -> None:
    # ModelSpec refuses timeout 120 with minReplicas 0 itself (spec.py model_problems); the rule judges the rendered
    # object, here one another tool edited to scale to zero
    p = plan(model(timeout=120, scaling={"minReplicas": 1}))
    isvc = p.inputs("kubernetes:serving.kserve.io/v1beta1:InferenceService")
    isvc["spec"]["predictor"]["minReplicas"] = 0
    assert timeouts.can_be_at_zero(isvc) is True
    assert timeouts.problems(isvc) == [
        "models/iris: activator timeoutSeconds 120s < cold start 600s + request 300s",
        "models/iris: activator timeoutSeconds 120s < cold start 600s",
        "models/iris: activator responseStartTimeoutSeconds 120s < cold start 600s + request 300s",
        "models/iris: activator responseStartTimeoutSeconds 120s < cold start 600s",
    ]


def test_the_progress_deadline_covers_the_cold_start_whatever_the_replicas() -> None:
    # every revision's first pod starts from nothing: minReplicas 1 does not shorten the deploy's wait
    p = plan(model(scaling={"minReplicas": 1}))
    isvc = p.inputs("kubernetes:serving.kserve.io/v1beta1:InferenceService")
    isvc["metadata"]["annotations"]["serving.knative.dev/progress-deadline"] = "60s"
    assert timeouts.problems(isvc) == ["models/iris: progress deadline 60s < cold start 600s"]
