"""Every validation error a model can hit, with its exact text: from ModelService and through the stack config."""

from __future__ import annotations

from typing import Any

import pytest
from serving_support import JWT, L4_POOL, L4X4_POOL, model, plan

from components import storage
from components.errors import SpecError
from support import plan_config

GPU = {"gpus": 1, "accelerator": "nvidia-l4"}


def error_of(spec: dict[str, Any], **kw: Any) -> str:
    with pytest.raises(SpecError) as info:
        plan(spec, **kw)
    return str(info.value)


# ------------------------------------------------------------------------------------------ ModelService (Python)


def test_name_must_fit_the_predictor_host() -> None:
    name = "a" * 50
    assert error_of(model(), name=name) == (
        f"name: {name} is not allowed; '{name}-predictor-models' is 67 characters; "
        "keep <name>-predictor-<namespace> within 63"
    )


def test_name_must_be_a_dns_label() -> None:
    assert error_of(model(), name="Iris_Model") == (
        "name: Iris_Model is not allowed; give a DNS-1035 label: lowercase letters, digits and '-', starting with a "
        "letter and ending with a letter or digit (KServe's InferenceService name rule)"
    )


def test_scale_to_zero_in_standard_mode() -> None:
    assert error_of(model(scaling={"minReplicas": 0}), deployment_mode="Standard") == (
        "scaling.minReplicas: 0 is not allowed; scale to zero needs platform.deploymentMode: Knative; give >= 1"
    )


def test_request_metrics_in_standard_mode() -> None:
    assert error_of(model(scaling={"metric": "rps"}), deployment_mode="Standard") == (
        "scaling.metric: rps is not allowed; Standard mode scales on cpu or memory (HPA); give cpu or "
        "memory, or use platform.deploymentMode: Knative"
    )


def test_canary_in_standard_mode() -> None:
    assert error_of(model(canaryTrafficPercent=20), deployment_mode="Standard") == (
        "canaryTrafficPercent: 20 is not allowed; canary rollouts need revisions (platform.deploymentMode: "
        "Knative); remove it in Standard mode"
    )


def test_accelerator_must_be_offered_by_a_pool() -> None:
    spec = model(resources={"gpus": 1, "accelerator": "nvidia-h100-80gb"})
    assert error_of(spec, pools={"l4": L4_POOL, "l4x4": L4X4_POOL}) == (
        "resources.accelerator: nvidia-h100-80gb is not allowed; no GPU pool offers it; pools: l4 (nvidia-l4), "
        "l4x4 (nvidia-l4)"
    )


def test_gpus_must_fit_on_one_node() -> None:
    assert error_of(model(resources={"gpus": 2, "accelerator": "nvidia-l4"}), pools={"l4": L4_POOL}) == (
        "resources.gpus: 2 is not allowed; give at most 1 (GPUs per node of the nvidia-l4 pools)"
    )


def test_a_time_sliced_gpu_is_requested_as_one() -> None:
    from dataclasses import replace

    sliced = replace(L4X4_POOL, sharing="time-slicing", max_clients_per_gpu=4)
    spec = model(resources={"gpus": 2, "accelerator": "nvidia-l4"})
    assert error_of(spec, pools={"l4x4": sliced}) == (
        "resources.gpus: 2 is not allowed; give 1: the nvidia-l4 pools (l4x4) share their GPUs (time-slicing or MPS), "
        "and the NVIDIA device plugin refuses a request for more than one share (failRequestsGreaterThanOne)"
    )
    mps = replace(L4X4_POOL, sharing="mps", max_clients_per_gpu=4)
    assert "(l4x4) share their GPUs" in error_of(spec, pools={"l4x4": mps})
    # One pool that does not slice is enough for a two-GPU model; one shared GPU is fine anywhere.
    assert plan(spec, pools={"l4x4": sliced, "whole": replace(L4X4_POOL, name="whole")}).predictor()["nodeSelector"]
    assert plan(model(resources=GPU), pools={"l4x4": sliced}).predictor()["model"]["resources"]["limits"] == {
        "cpu": "1", "memory": "2Gi", "nvidia.com/gpu": "1",
    }  # fmt: skip


def test_token_key_without_a_token() -> None:
    spec = model(
        format="huggingface",
        storageUri="hf://meta-llama/Llama-3.2-1B-Instruct",
        resources=GPU,
        llm={"huggingfaceTokenKey": "hfToken"},
    )
    assert error_of(spec) == (
        "llm.huggingfaceTokenKey: hfToken is not allowed; pass the token's value as ModelServiceArgs.hf_token "
        "(a secret Output)"
    )


def test_private_cloud_bucket_on_an_existing_cluster() -> None:
    from components.clusters.existing import ExistingCluster, ExistingClusterArgs
    from components.platform.handles import PlatformHandles
    from components.serving.model_service import ModelService, ModelServiceArgs
    from components.serving.spec import ModelSpec
    from support import run

    def program() -> None:
        platform = PlatformHandles(cluster=ExistingCluster("kind", ExistingClusterArgs()), domain="example.com")
        spec = ModelSpec.model_validate(model(storageUri="s3://acme-models/iris", publicStorage=False))
        ModelService("iris", ModelServiceArgs(platform=platform, spec=spec))

    with pytest.raises(SpecError) as info:
        run(program)
    assert str(info.value) == (
        "storageUri: s3://acme-models/iris is not allowed; an existing cluster has no cloud identity to read "
        "private s3:// storage; set publicStorage: true for a public bucket, or serve from pvc://, oci:// or hf://"
    )


# ------------------------------------------------------------------------------------------ through the stack config

BASE: dict[str, Any] = {"cloud": "existing", "platform": {"domain": "models.example.com"}}


def config_error(models: dict[str, Any], **top: Any) -> str:
    with pytest.raises(SpecError) as info:
        plan_config({**BASE, **top, "models": models})
    return str(info.value)


PREFIX = "stacks/Pulumi.test.yaml: mlplatform:models.iris"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"storageUri": "ftp://example.com/iris"},
            ".storageUri: ftp://example.com/iris is not allowed; give a URI starting with "
            + ", ".join(storage.schemes()),  # the registry's forms, then the generic ones
        ),
        (
            {"format": None},
            ".format: null is not allowed; give the model format (one of autogluon, huggingface, lightgbm, mlflow, "
            "onnx, paddle, pmml, pytorch, sklearn, tensorflow, tensorrt, triton, xgboost) or a container",
        ),
        (
            {"format": None, "runtime": "my-runtime"},
            ".format: null is not allowed; give the format runtime my-runtime serves (KServe matches it against the "
            "runtime's supportedModelFormats): one of autogluon, huggingface, lightgbm, mlflow, onnx, paddle, pmml, "
            "pytorch, sklearn, tensorflow, tensorrt, triton, xgboost",
        ),
        (
            {"format": "huggingface", "storageUri": "hf://Qwen/Qwen2.5-0.5B-Instruct", "llm": {"maxModelLength": 4096}},
            ".llm.maxModelLength: 4096 is not allowed; applies to the vLLM backend, which needs GPUs; give "
            "resources.gpus >= 1 and an accelerator",
        ),
        (
            {"format": "triton", "protocol": "v1"},
            ".protocol: v1 is not allowed; triton serves the v2 protocol only; give v2 or leave it out",
        ),
        (
            {"protocol": "openai"},
            ".protocol: openai is not allowed; the openai protocol is served by format: huggingface only",
        ),
        (
            {"scaling": {"metric": "cpu", "minReplicas": 0}},
            ".scaling.minReplicas: 0 is not allowed; cpu scaling (HPA) cannot scale to zero; give >= 1, or metric "
            "concurrency or rps",
        ),
        (
            {"scaling": {"metric": "cpu", "target": 150}},
            ".scaling.target: 150 is not allowed; give a CPU utilisation percent from 1 to 100",
        ),
        (
            {"scaling": {"minReplicas": 4, "maxReplicas": 2}},
            ".scaling.maxReplicas: 2 is not allowed; give an integer >= minReplicas (4)",
        ),
        ({"canaryTrafficPercent": 120}, ".canaryTrafficPercent: 120 is not allowed; give an integer <= 100"),
        (
            {"access": {"mode": "public"}},
            ".access.jwt: null is not allowed; a public model needs jwt (issuer, jwksUri) or, explicitly, "
            "allowAnonymous: true",
        ),
        (
            {"access": {"jwt": JWT, "allowAnonymous": True}},
            ".access.allowAnonymous: true is not allowed; give either jwt or allowAnonymous: true, not both",
        ),
        (
            {"access": {"mode": "internal"}},
            ".access.allowedNamespaces: [] is not allowed; an internal model needs the namespaces that may call it",
        ),
        (
            {"access": {"mode": "internal", "allowedNamespaces": ["apps"]}, "scaling": {"minReplicas": 0}},
            ".scaling.minReplicas: 0 is not allowed; an internal model cannot scale to zero in Knative mode "
            "(Knative's activator would stand between caller and model and hide the caller); give >= 1, or use "
            "platform.deploymentMode: Standard",
        ),
        (
            {"access": {"jwt": {"issuer": "http://auth.example.com", "jwksUri": "https://auth.example.com/k"}}},
            ".access.jwt.issuer: http://auth.example.com is not allowed; give an https:// URL",
        ),
        (
            {"resources": {"gpus": 1}},
            ".resources.accelerator: null is not allowed; give the accelerator (e.g. nvidia-l4) when gpus > 0",
        ),
        (
            {"runtime": "My_Runtime"},
            ".runtime: My_Runtime is not allowed; give the name of a ServingRuntime or ClusterServingRuntime",
        ),
    ],
)
def test_model_errors_through_the_stack_config(overrides: dict[str, Any], expected: str) -> None:
    spec = {**model(), **overrides}
    spec = {k: v for k, v in spec.items() if v is not None}
    assert config_error({"iris": spec}) == PREFIX + expected


def test_standard_mode_errors_through_the_stack_config() -> None:
    assert config_error(
        {"iris": model(scaling={"metric": "concurrency"})}, platform={"deploymentMode": "Standard"}
    ) == PREFIX + (
        ".scaling.metric: concurrency is not allowed; Standard mode scales on cpu or memory (HPA); give cpu or "
        "memory, or use platform.deploymentMode: Knative"
    )
    assert config_error({"iris": model(canaryTrafficPercent=5)}, platform={"deploymentMode": "Standard"}) == (
        PREFIX + ".canaryTrafficPercent: 5 is not allowed; canary rollouts need revisions "
        "(platform.deploymentMode: Knative); remove it in Standard mode"
    )
