"""fixshare (issues #14/#16): a model asking more than one GPU never lands on a pool that serves one GPU share per
request.

A. GKE's own device plugin refuses a request of more than one shared GPU
(GoogleCloudPlatform/container-engine-accelerators@992db81 pkg/gpu/nvidia/gpusharing/gpusharing.go
``ValidateRequest``: time-sharing always, MPS on multi-GPU nodes; on a one-GPU MPS node it grants shares of that one
GPU), so gcp's time-sliced/MPS pools serve one share per request like the NVIDIA device plugin's on EKS and AKS
(NVIDIA/k8s-device-plugin v0.20.0 internal/rm/rm.go ``ValidateRequest``). main accepted a 2-GPU model on gcp's shared
pools.

B. Beside a whole pool of the same accelerator the model is accepted, but main rendered only the accelerator's
nodeSelector: the scheduler could place it on a time-sliced node (it advertises GPUs x clients of ``nvidia.com/gpu``)
and the device plugin fail it there (UnexpectedAdmissionError). The predictor now carries a required node affinity
``<pool label> NotIn [the one-share pools]``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import serving_support
import yaml
from serving_support import ISVC, L4X4_POOL, FakeCluster, model, plan

from components import clouds
from components.errors import SpecError
from components.naming import POOL_LABEL
from support import plan_config, validate_custom_resource

ROOT = Path(__file__).resolve().parents[2]
TWO = {"cpu": "8", "memory": "32Gi", "gpus": 2, "accelerator": "nvidia-l4"}
SLICED = replace(L4X4_POOL, name="sliced", sharing="time-slicing", max_clients_per_gpu=4)
MPS = replace(L4X4_POOL, name="mps", sharing="mps", max_clients_per_gpu=2)


def _avoid(*pools: str) -> dict[str, Any]:
    term = {"matchExpressions": [{"key": POOL_LABEL, "operator": "NotIn", "values": list(pools)}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
def test_a_2_gpu_predictor_beside_shared_pools_avoids_them(mode: str) -> None:
    planned = plan(
        model(format="pytorch", resources=TWO),
        pools={"sliced": SLICED, "mps": MPS, "l4x4": L4X4_POOL},
        deployment_mode=mode,
    )
    isvc = planned.inputs(ISVC)
    assert validate_custom_resource(isvc) == []
    predictor = isvc["spec"]["predictor"]
    assert predictor["affinity"] == _avoid("mps", "sliced")
    assert predictor["nodeSelector"] == {"mlplatform.io/accelerator": "nvidia-l4"}
    assert predictor["model"]["resources"]["limits"]["nvidia.com/gpu"] == "2"


def test_a_custom_container_asking_2_gpus_avoids_them_too() -> None:
    spec = model(
        container={"image": "ghcr.io/acme/server:1", "port": {"number": 8085}},
        resources=TWO,
        transformer={"container": {"image": "kserve/image-transformer:v0.20.0"}},
    )
    spec.pop("format", None)
    spec.pop("storageUri", None)
    isvc = plan(spec, pools={"sliced": SLICED, "l4x4": L4X4_POOL}).inputs(ISVC)
    assert validate_custom_resource(isvc) == []
    assert isvc["spec"]["predictor"]["affinity"] == _avoid("sliced")
    assert isvc["spec"]["predictor"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "2"
    # the transformer asks no GPU (components/serving/_kcomponents.py _resources: cpu and memory only)
    transformer = isvc["spec"]["transformer"]
    assert "affinity" not in transformer and "nvidia.com/gpu" not in str(transformer)


def test_no_affinity_for_one_gpu_or_whole_and_mig_pools_only() -> None:
    one = {**TWO, "gpus": 1}
    assert "affinity" not in plan(model(format="pytorch", resources=one), pools={"sliced": SLICED}).predictor()
    mig = replace(L4X4_POOL, name="mig", sharing="mig", mig_profile="1g.10gb")
    whole = plan(model(format="pytorch", resources=TWO), pools={"l4x4": L4X4_POOL, "mig": mig}).predictor()
    assert "affinity" not in whole
    # a pool of another accelerator is not named
    t4 = replace(SLICED, name="t4", accelerator="nvidia-tesla-t4")
    other = plan(model(format="pytorch", resources=TWO), pools={"l4x4": L4X4_POOL, "t4": t4}).predictor()
    assert "affinity" not in other


def test_the_capacity_warning_counts_only_the_pools_a_2_gpu_pod_may_use() -> None:
    # l4x4: 2 nodes x 4 GPUs = 8 GPUs = 4 replicas of 2; the sliced pool (2 x 4 x 4 = 32 shares) holds none of them
    def warned(max_replicas: int) -> list[str]:
        spec = model(format="pytorch", resources=TWO, scaling={"maxReplicas": max_replicas})
        p = plan(spec, pools={"sliced": SLICED, "l4x4": L4X4_POOL})
        return [w for w in p.result.warnings if "maxReplicas" in w]

    assert warned(4) == []
    assert warned(5) == [
        "model models/iris: scaling.maxReplicas 5 is more than the nvidia-l4 pools can hold at resources.gpus 2 per "
        "replica (sliced: none (time-slicing: one share per pod); l4x4: 2 nodes x 2 replicas (4 GPUs each) = 4); "
        "replicas beyond 4 would stay Pending. Raise the pools' maxNodes or lower maxReplicas"
    ]


class _GkeLike(FakeCluster):
    """FakeCluster as a GKE cluster builds its seam: no platform device plugin, gcp's one-share strategies."""

    def __init__(self, name: str = "fake", pools: Any = None) -> None:
        super().__init__(name, pools)
        gcp = clouds.get("gcp")
        self._gpu = replace(self._gpu, needs_device_plugin=False, one_share_strategies=gcp.one_share_strategies)

    @property
    def cloud(self) -> str:
        return "gcp"


def test_modelservice_on_gke_refuses_2_gpus_on_shared_pools_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ModelService check (Python API) on a GKE seam: main read ``gpu.needs_device_plugin`` and accepted it."""
    monkeypatch.setattr(serving_support, "FakeCluster", _GkeLike)
    with pytest.raises(SpecError) as e:
        plan(model(format="pytorch", resources=TWO), pools={"sliced": SLICED})
    assert str(e.value) == (
        "resources.gpus: 2 is not allowed; give 1: the nvidia-l4 pools (sliced) share their GPUs (time-slicing or "
        "MPS), and GKE's device plugin refuses more than one nvidia.com/gpu on a time-shared node and on a multi-GPU "
        "MPS node (UnexpectedAdmissionError), and on a one-GPU MPS node grants shares of that one GPU, not several GPUs"
    )
    predictor = plan(model(format="pytorch", resources=TWO), pools={"sliced": SLICED, "l4x4": L4X4_POOL}).predictor()
    assert predictor["affinity"] == _avoid("sliced")


def _stack(name: str) -> dict[str, Any]:
    raw = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{name}.yaml").read_text())["config"]
    return {k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith("mlplatform:")}


def _isvcs(result: Any) -> dict[str, dict[str, Any]]:
    return {
        r.plain_inputs()["metadata"]["name"]: r.plain_inputs()
        for r in result.resources
        if r.type == "kubernetes:serving.kserve.io/v1beta1:InferenceService"
    }


def test_aws_dev_with_a_time_sliced_and_a_whole_l4_pool() -> None:
    """aws-dev planned with its l4 pool time-sliced x2 and a whole four-L4 pool beside it, resnet50 asking 2 GPUs:
    its predictor keeps off l4 (on main it had only the accelerator's nodeSelector)."""
    cfg = _stack("aws-dev")
    pools = cfg["cluster"]["gpuPools"]
    pools["l4"] = {**pools["l4"], "sharing": {"strategy": "time-slicing", "maxClientsPerGpu": 2}}
    pools["l4x4"] = {"accelerator": "nvidia-l4", "gpusPerNode": 4, "minNodes": 0, "maxNodes": 2}
    cfg["models"]["resnet50"]["resources"]["gpus"] = 2
    isvc = _isvcs(plan_config(cfg))["resnet50"]
    assert validate_custom_resource(isvc) == []
    assert isvc["spec"]["predictor"]["affinity"] == _avoid("l4")


def test_gcp_prod_with_a_time_sliced_and_a_whole_l4_pool() -> None:
    """gcp-prod: the same on GKE, where GKE's device plugin applies the sharing."""
    cfg = _stack("gcp-prod")
    secret = cfg.pop("hfToken", None)
    pools = cfg["cluster"]["gpuPools"]
    shared = [k for k, p in pools.items() if p.get("sharing", {}).get("strategy") in ("time-slicing", "mps")]
    assert shared, "gcp-prod ships a shared L4 pool"
    accelerator = pools[shared[0]]["accelerator"]
    pools["whole"] = {"accelerator": accelerator, "gpusPerNode": 2, "minNodes": 0, "maxNodes": 2}
    gpu_models = [k for k, m in cfg["models"].items() if m.get("resources", {}).get("accelerator") == accelerator]
    name = gpu_models[0]
    cfg["models"][name]["resources"]["gpus"] = 2
    isvc = _isvcs(plan_config(cfg, secrets={"hfToken": "hf_x"} if secret is not None else None))[name]
    assert validate_custom_resource(isvc) == []
    same = sorted(k for k in shared if pools[k]["accelerator"] == accelerator)
    assert isvc["spec"]["predictor"]["affinity"] == _avoid(*same)


def test_the_registry_names_each_clouds_one_share_strategies() -> None:
    assert {c.name: c.one_share_strategies for c in clouds.all_clouds()} == {
        "aws": ("time-slicing", "mps"),
        "gcp": ("time-slicing", "mps"),
        "azure": ("time-slicing", "mps"),
        "existing": (),
    }
