"""Regression tests for the defects of the hostile KServe review rev14e of issue #14 (/work/wt/rev14e-report.md),
each failing on main 20d27da; KServe v0.20.0 sources cited per test."""

from __future__ import annotations

from typing import Any

import pytest
from serving_support import model, plan

from components.errors import SpecError
from components.serving import timeouts
from components.spec import SpecInvalid

TRANSFORMER = {"container": {"image": "ghcr.io/acme/pre:1.0", "command": ["python", "-m", "pre"]}}


def _error(spec: dict[str, Any]) -> str:
    with pytest.raises((SpecInvalid, SpecError)) as e:
        plan(spec)
    return str(e.value)


# ---------------------------------------------------------------------------------------------- defect 8


@pytest.mark.parametrize("key", ["transformer", "explainer"])
def test_a_component_at_zero_needs_the_cold_start_floor_on_its_timeout(key: str) -> None:
    # KServe v0.20.0 reconcilers/knative/ksvc_reconciler.go: each component's revision TimeoutSeconds is its own
    # componentExtension.TimeoutSeconds, so the first request to a component at zero waits for its pod under it
    component = {**TRANSFORMER, "scaling": {"minReplicas": 0}, "timeout": 30}
    spec = model(scaling={"minReplicas": 1}, **{key: component})
    assert _error(spec).endswith(
        f"{key}.timeout: 30 is not allowed; a {key} that scales to zero needs at least its cold-start budget, 600 s "
        f"(the first request waits for its pod); give more, or {key}.scaling.minReplicas >= 1"
    )


def test_a_component_at_one_replica_keeps_a_short_timeout() -> None:
    spec = model(transformer={**TRANSFORMER, "scaling": {"minReplicas": 1}, "timeout": 30})
    assert (
        plan(spec).inputs("kubernetes:serving.kserve.io/v1beta1:InferenceService")["spec"]["transformer"]["timeout"]
        == 30
    )


def test_the_timeout_rule_judges_a_component_at_zero() -> None:
    isvc = {
        "metadata": {
            "name": "trz",
            "namespace": "models",
            "annotations": {"serving.knative.dev/progress-deadline": "600s"},
        },
        "spec": {
            "predictor": {"minReplicas": 1, "timeout": 900, "model": {"resources": {"limits": {"cpu": "1"}}}},
            "transformer": {"minReplicas": 0, "timeout": 30, "containers": [{"name": "kserve-container"}]},
        },
    }
    assert timeouts.problems(isvc) == [
        "models/trz: transformer timeout 30s < cold start 600s (its own 600s) + request 300s",
        "models/trz: transformer timeout 30s < cold start 600s (its own 600s)",
    ]
    isvc["spec"]["transformer"]["minReplicas"] = 1  # type: ignore[index]
    assert timeouts.problems(isvc) == []


# ---------------------------------------------------------------------------------------------- defect 5

BATCH_WHY = "KServe's batcher batches v1 :predict requests only (pkg/batcher/handler.go); remove batcher"


@pytest.mark.parametrize(
    ("overrides", "served"),
    [
        ({"protocol": "v2"}, "the model serves v2"),
        ({"protocol": "grpc-v2"}, "the model serves grpc-v2"),
        # kserve-mlserver defaults to v2 (SetMlServerDefaults, inference_service_defaults.go v0.20.0)
        ({"runtime": "kserve-mlserver"}, "the model serves v2"),
        ({"transformer": {**TRANSFORMER, "protocol": "v2"}}, "the transformer calls the predictor over v2"),
    ],
)
def test_a_batcher_is_refused_where_kserve_never_batches(overrides: dict[str, Any], served: str) -> None:
    # kserve v0.20.0 pkg/batcher/handler.go ServeHTTP: only paths matching `:predict$` are batched
    assert _error(model(batcher={"maxBatchSize": 32}, **overrides)).endswith(
        f"batcher: {{maxBatchSize: 32}} is not allowed; {served}; {BATCH_WHY}"
    )


def test_a_batcher_on_a_v1_model_is_kept() -> None:
    spec = model(batcher={"maxBatchSize": 32}, transformer={**TRANSFORMER, "protocol": "v1"})
    isvc = plan(spec).inputs("kubernetes:serving.kserve.io/v1beta1:InferenceService")
    assert isvc["spec"]["predictor"]["batcher"] == {"maxBatchSize": 32}


# ---------------------------------------------------------------------------------------------- defect 3


def test_a_stack_runtime_with_a_grpc_port_is_refused() -> None:
    # rev14e defect 3: a ServingRuntime with port grpc-port 8001 planned a v2 model with REST-only authz on an
    # h2c-only pod (KServe v0.20.0 service_reconciler.go isGrpcPort); the platform cannot know whether the server
    # answers REST there, so the runtime port must be HTTP
    from components.serving.stack_runtime import RuntimeSpec

    runtime = {
        "formats": [{"name": "sklearn", "version": "1"}],
        "protocols": ["v2", "grpc-v2"],
        "container": {"image": "ghcr.io/acme/srv:1", "port": {"number": 8001, "protocol": "grpc"}},
    }
    with pytest.raises(SpecInvalid) as e:
        RuntimeSpec.model_validate(runtime)
    assert str(e.value) == (
        "RuntimeSpec.container.port.protocol: grpc is not allowed; a stack runtime serves HTTP here: the platform "
        "cannot know "
        "whether its server answers REST on a gRPC port, so no request admitted to its models would be sure to work; "
        "give http, or serve gRPC from a model's own container (container.port.protocol: grpc)"
    )


# ---------------------------------------------------------------------------------------------- defect 2

GRPC_WHY = (
    "KServe's router calls every step with a plain HTTP POST (cmd/router/main.go); give a model served over v1 or v2 "
    "REST"
)


def _step_problems(member: dict[str, Any]) -> list[tuple[str, object, str]]:
    from components.serving.pipeline_spec import PipelineSpec, pipeline_problems
    from components.serving.spec import ModelSpec

    pipeline = PipelineSpec.model_validate(
        {
            "access": {"mode": "internal", "allowedNamespaces": ["apps"]},
            "scaling": {"minReplicas": 1},
            "nodes": {"root": {"routerType": "Sequence", "steps": [{"serviceName": "g"}]}},
        }
    )
    return pipeline_problems("pipe", pipeline, {"g": ModelSpec.model_validate(member)}, "Knative")


INTERNAL_MEMBER = {**model(), "access": {"mode": "internal", "allowedNamespaces": ["apps"]}}
GRPC_SERVER = {"image": "ghcr.io/acme/grpc:1", "port": {"number": 9000, "protocol": "grpc"}}


@pytest.mark.parametrize(
    ("member", "served"),
    [
        ({**INTERNAL_MEMBER, "format": "xgboost", "protocol": "grpc-v2"}, "protocol grpc-v2"),
        ({"container": GRPC_SERVER, "access": INTERNAL_MEMBER["access"]}, "a gRPC (h2c) container port"),
    ],
)
def test_a_pipeline_step_to_a_grpc_model_is_refused(member: dict[str, Any], served: str) -> None:
    # rev14e defect 2: rendered as http://<model>-predictor.../v1/models/<model>:predict, which the model's
    # AuthorizationPolicy denies (it admits /inference.GRPCInferenceService/* only) and its h2c server never answers
    assert _step_problems(member) == [
        ("nodes.root.steps.0.serviceName", "g", f"the model serves gRPC ({served}), and {GRPC_WHY}")
    ]


def test_a_pipeline_step_to_a_rest_model_or_a_transformer_in_front_of_grpc_is_kept() -> None:
    assert _step_problems({**INTERNAL_MEMBER, "format": "xgboost", "protocol": "v2"}) == []
    fronted = {**INTERNAL_MEMBER, "format": "xgboost", "protocol": "grpc-v2", "transformer": TRANSFORMER}
    assert _step_problems(fronted) == []


# ---------------------------------------------------------------------------------------------- defect 6


@pytest.mark.parametrize(("vcpus", "milli"), [(1, 60), (2, 70), (4, 80), (8, 90), (48, 190)])
def test_the_kubelet_keeps_the_eks_ami_share_of_cpu(vcpus: int, milli: int) -> None:
    # amazon-eks-ami files/bootstrap.sh get_cpu_millicores_to_reserve: 6% of the first core, 1% of the second, 0.5% of
    # the third and fourth, 0.25% above, integer millicores per range (4 vCPUs: 60 + 10 + 10 = 80m)
    from components.serving.fit import kube_reserved_cpu_milli

    assert kube_reserved_cpu_milli(vcpus) == milli
