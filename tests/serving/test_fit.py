"""The node-fit bound (components/serving/fit.py) against the upstream formulas it models (rev14f defects 1-3).

The exact refusal lines per cloud are in tests/bad_inputs/cases (cpu-gpu-node-daemonsets, memory-gpu-node-karpenter-
overhead, memory-gpu-node-gke, cpu-gpu-node-aks, transformer-cpu-system-node, explainer-memory-system-node)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from components import catalog
from components.clusters.spec import ClusterSpec
from components.platform.settings import PlatformSettings
from components.serving import fit
from components.serving.spec import ModelSpec

AWS_CLUSTER = {"gpuPools": {"l4": {"accelerator": "nvidia-l4", "maxNodes": 2}}}
SK = {
    "format": "sklearn",
    "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
    "publicStorage": True,
    "scaling": {"minReplicas": 1},
    "access": {"mode": "public", "allowAnonymous": True},
}
GPU = {**SK, "format": "pytorch", "resources": {"cpu": "3", "memory": "12Gi", "gpus": 1, "accelerator": "nvidia-l4"}}
TRANSFORMER = {"container": {"image": "ghcr.io/acme/tr:1.0"}}


def _problem(model: dict[str, Any], platform: dict[str, Any] | None = None, cloud: str = "aws") -> Any:
    region = {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus"}[cloud]
    cluster = ClusterSpec.model_validate(AWS_CLUSTER)
    settings = PlatformSettings.model_validate(platform or {})
    return fit.node_fit_problem(cloud, region, cluster, ModelSpec.model_validate(model), settings)


def test_every_aws_machine_has_its_eni_pod_count() -> None:
    # the kube-reserved memory of a machine missing from ENI_PODS would fall back to the largest count
    from components.clusters import eks

    names = {m.instance_type for m in catalog.machines("aws")} | {catalog.system_machine("aws").instance_type}
    assert names <= set(eks.ENI_PODS)


def test_karpenter_allocatable_memory_of_a_g6_xlarge() -> None:
    # types.go: 16384Mi - ceil(16384 x 0.075) = 1229 - (11 x 58 + 255) = 893 - 100 eviction
    kept = fit.reserved_memory("aws", "g6.xlarge", 16384, system=False)
    assert kept == [
        ("Karpenter's 7.5 % VM overhead", 1229),
        ("kube-reserved 11 x 58 pods + 255", 893),
        ("eviction threshold", 100),
    ]
    assert 16384 - sum(v for _, v in kept) == 14162


@pytest.mark.parametrize(
    ("gib", "mib"), [(4, 1024), (8, 1024 + 820), (16, 2663), (128, math.ceil(1024 + 819.2 + 819.2 + 112 * 1024 * 0.06))]
)
def test_gke_reserves_its_memory_tiers(gib: int, mib: int) -> None:
    # 25 % of the first 4 GiB, 20 % of the next 4, 10 % of the next 8, 6 % of the next 112 (plan-node-sizes)
    assert fit.reserved_memory("gcp", "x", gib * 1024, system=False)[0][1] == mib


@pytest.mark.parametrize(("vcpus", "milli"), [(4, 140), (8, 180), (24, 420), (64, 740), (96, 1060)])
def test_aks_reserves_its_cpu_table(vcpus: int, milli: int) -> None:
    assert fit.reserved_cpu_milli("azure", vcpus) == milli


def test_aks_memory_is_the_lesser_of_per_pod_and_a_quarter() -> None:
    # 20 x 250 + 50 = 5050 < 7168 (a quarter of 28 GiB); the 16 GiB system node at 50 pods: 1050
    assert fit.reserved_memory("azure", "Standard_NC4as_T4_v3", 28 * 1024, system=False)[0][1] == 5050
    assert fit.reserved_memory("azure", "Standard_D4s_v5", 16 * 1024, system=True)[0][1] == 1050
    assert fit.reserved_memory("azure", "x", 8 * 1024, system=False)[0][1] == 2048


def test_the_bound_itself_is_accepted_and_one_more_is_not() -> None:
    # aws l4 (g6.xlarge): 4000 - 80 - 200 (istio-cni, dcgm-exporter) - 125 (istio-proxy, queue-proxy) = 3595m
    at = {**GPU, "resources": {**GPU["resources"], "cpu": "3595m", "memory": "13806Mi"}}
    assert _problem(at) is None
    assert _problem({**at, "resources": {**at["resources"], "cpu": "3596m"}})[0] == "resources.cpu"
    assert _problem({**at, "resources": {**at["resources"], "memory": "13807Mi"}})[0] == "resources.memory"


def test_daemonsets_follow_the_platform_settings() -> None:
    # without istio-cni and monitoring no DaemonSet of the platform requests anything on the GPU node
    at = {**GPU, "resources": {**GPU["resources"], "cpu": "3795m"}}
    assert _problem(at, {"istioCni": False, "monitoring": {"enabled": False}}) is None
    assert _problem(at)[0] == "resources.cpu"


def test_a_transformer_that_tolerates_the_gpu_taint_may_use_a_gpu_node() -> None:
    # 16Gi of memory fits no 16 GiB node, 20Gi fits neither; a GPU-tolerating transformer may land on g6.xlarge
    big = {**TRANSFORMER, "resources": {"cpu": "1", "memory": "13900Mi"}}
    assert _problem({**SK, "transformer": big}) is None  # the system m7i.xlarge keeps 13934Mi
    bigger = {**TRANSFORMER, "resources": {"cpu": "3650m", "memory": "1Gi"}}
    assert _problem({**SK, "transformer": bigger}) is None  # 3695m on the system node
    over = {**TRANSFORMER, "resources": {"cpu": "3696m", "memory": "1Gi"}}
    assert _problem({**SK, "transformer": over})[0] == "transformer.resources.cpu"
    tolerant = {**over, "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}]}
    # the GPU node leaves less (3595m), so tolerating its taint does not help this one
    assert _problem({**SK, "transformer": tolerant})[0] == "transformer.resources.cpu"


def test_a_component_logger_adds_the_agent_to_its_pod() -> None:
    at = {**TRANSFORMER, "resources": {"cpu": "3695m", "memory": "1Gi"}}
    assert _problem({**SK, "transformer": at}) is None
    logged = {**at, "logger": {"mode": "request"}}
    assert _problem({**SK, "transformer": logged})[0] == "transformer.resources.cpu"
