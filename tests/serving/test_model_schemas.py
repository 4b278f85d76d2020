"""Every object a ModelService renders is valid: custom resources against the upstream CRD schemas (strict), core
objects with kubernetes-validate (strict, Kubernetes 1.34)."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
from serving_support import JWT, L4X4_POOL, model, plan

from support import validate_custom_resource

CORE_API_VERSIONS = ("v1", "policy/v1", "networking.k8s.io/v1")
GPU = {"cpu": "8", "memory": "32Gi", "gpus": 2, "accelerator": "nvidia-l4"}

CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "cpu-anonymous-zero": (model(scaling={"minReplicas": 0}), {}),
    "cpu-jwt-ha-slo": (
        model(
            access={"jwt": {**JWT, "audiences": ["a"]}},
            scaling={"minReplicas": 3, "maxReplicas": 6},
            slo={"latencyP95Ms": 200, "errorRatePercent": 1},
            canaryTrafficPercent=10,
        ),
        {"environment": "prod"},
    ),
    "internal-rps": (
        model(access={"mode": "internal", "allowedNamespaces": ["apps"]}, scaling={"metric": "rps", "target": 20}),
        {},
    ),
    "gpu-private-zero": (
        model(
            storageUri="s3://acme-models/resnet",
            publicStorage=False,
            format="pytorch",
            resources=GPU,
            scaling={"minReplicas": 0},
        ),
        {"pools": {"l4x4": L4X4_POOL}},
    ),
    "llm": (
        model(
            format="huggingface",
            storageUri="hf://Qwen/Qwen2.5-1.5B-Instruct",
            publicStorage=False,
            resources=GPU,
            llm={"maxModelLength": 4096},
            access={"jwt": JWT},
            slo={"latencyP95Ms": 2000, "errorRatePercent": 2},
            env={"VLLM_SKIP_P2P_CHECK": "1"},
        ),
        {"pools": {"l4x4": L4X4_POOL}, "hf_token": "hf_xyz"},
    ),
    "standard-cpu": (model(scaling={"minReplicas": 2, "metric": "cpu"}), {"deployment_mode": "Standard"}),
}


def objects(case: str) -> list[dict[str, Any]]:
    spec, kw = CASES[case]
    return plan(spec, outputs="unknown", **kw).revealed()


@pytest.mark.parametrize("case", sorted(CASES))
def test_custom_resources_validate_against_upstream_crds(case: str) -> None:
    custom = [o for o in objects(case) if o["apiVersion"] not in CORE_API_VERSIONS]
    kinds = {o["kind"] for o in custom}
    assert {"InferenceService", "AuthorizationPolicy", "PodMonitor"} <= kinds
    for obj in custom:
        assert validate_custom_resource(obj) == [], f"{obj['kind']} {obj['metadata']['name']}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_core_objects_pass_kubernetes_validate_strict(case: str) -> None:
    core = [o for o in objects(case) if o["apiVersion"] in CORE_API_VERSIONS]
    assert {"ServiceAccount", "Namespace", "ConfigMap", "NetworkPolicy"} <= {o["kind"] for o in core}
    for obj in core:
        kubernetes_validate.validate(obj, "1.34", strict=True)


def test_every_kind_is_covered() -> None:
    kinds = {o["kind"] for case in CASES for o in objects(case)}
    assert kinds == {
        "Namespace",
        "ServiceAccount",
        "Secret",
        "InferenceService",
        "RequestAuthentication",
        "PeerAuthentication",
        "AuthorizationPolicy",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "PodMonitor",
        "PrometheusRule",
        "ConfigMap",
    }


def test_a_typo_would_be_caught() -> None:
    isvc = next(o for o in objects("cpu-anonymous-zero") if o["kind"] == "InferenceService")
    isvc["spec"]["predictor"]["minReplica"] = 1
    assert validate_custom_resource(isvc) != []
