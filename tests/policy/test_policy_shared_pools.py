"""``multi-gpu-avoids-shared-pools`` (policy/rules/sharedpools.py, fixshare C): the second line behind the plan-time
refusal and the predictor's node affinity (components/clusters ``shares_one_gpu_per_request``,
``GpuScheduling.multi_gpu_affinity``).

A container asking more than one ``nvidia.com/gpu`` on a node whose GPUs are shared by time-slicing or MPS is failed
at admission by the device plugin (NVIDIA/k8s-device-plugin v0.20.0 internal/rm/rm.go ``ValidateRequest``;
GoogleCloudPlatform/container-engine-accelerators@992db81 pkg/gpu/nvidia/gpusharing/gpusharing.go
``ValidateRequest``). Each case moves a shipped stack's planned objects (gcp-prod: its time-sliced x2 ``l4`` pool and
whole ``a100`` pool; aws-dev: its whole ``l4`` Karpenter NodePool) to one side of an edge.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from policy.rules import Resource, run_rules
from support import ROOT, mutated_resources, rules_plan

RULE = "multi-gpu-avoids-shared-pools"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
GKE_POOL = "gcp:container/nodePool:NodePool"
KARPENTER_POOL = "kubernetes:karpenter.sh/v1:NodePool"
POOL = "mlplatform.io/pool"


def _failures(resources: Any, settings: Any) -> list[str]:
    return [e["message"] for e in run_rules(list(resources), settings) if e["policy"] == RULE and not e["passed"]]


def _isvc(name: str) -> Callable[[Resource], bool]:
    return lambda r: r.type == ISVC and r.k8s_name == name


def _gpus(n: str, *, limits: bool = True) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        res = props["spec"]["predictor"]["model"]["resources"]
        if limits:
            res["limits"]["nvidia.com/gpu"] = n
            res.setdefault("requests", {})["nvidia.com/gpu"] = n
        else:
            res["limits"].pop("nvidia.com/gpu", None)
            res.setdefault("requests", {})["nvidia.com/gpu"] = n

    return change


def _affinity(*terms: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        props["spec"]["predictor"]["affinity"] = {
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}
        }

    return change


def _not_in(*pools: str) -> dict[str, Any]:
    return {"matchExpressions": [{"key": POOL, "operator": "NotIn", "values": list(pools)}]}


def _gcp(*changes: Callable[[dict[str, Any]], None], model: str = "resnet-triton") -> list[str]:
    resources, settings = rules_plan("gcp-prod")
    out = list(resources)
    for change in changes:
        out = mutated_resources(out, _isvc(model), change, exactly=1)
    return _failures(out, settings)


def _line(model: str, gpus: int, pools: str) -> str:
    return (
        f"spec.predictor asks {gpus} nvidia.com/gpu per container, and its nodeSelector and required node affinity "
        f"admit GPU pools whose GPUs pods share ({pools}): the device plugin there grants one share per request and "
        "fails the pod at admission (UnexpectedAdmissionError)"
    )


L4_SHARED = "l4 (2 clients per GPU)"


def test_the_shipped_stacks_pass() -> None:
    for stack in ("aws-dev", "gcp-prod", "azure-staging"):
        resources, settings = rules_plan(stack)
        assert _failures(resources, settings) == [], stack


def test_two_gpus_on_gke_time_sliced_pool_fail_one_passes() -> None:
    """The edge: 1 GPU passes, 2 fail (gcp-prod's resnet-triton, nodeSelector nvidia-l4, beside the time-sliced x2
    l4 pool)."""
    assert _gcp(_gpus("1")) == []
    assert _gcp(_gpus("2")) == [_line("resnet-triton", 2, L4_SHARED)]
    assert _gcp(_gpus("4")) == [_line("resnet-triton", 4, L4_SHARED)]
    # a request without a limit counts too
    assert _gcp(_gpus("2", limits=False)) == [_line("resnet-triton", 2, L4_SHARED)]


def test_an_affinity_that_excludes_the_shared_pool_passes() -> None:
    assert _gcp(_gpus("2"), _affinity(_not_in("l4"))) == []
    # excluding another pool (or a misspelt one) leaves l4 admitted
    assert _gcp(_gpus("2"), _affinity(_not_in("a100"))) == [_line("resnet-triton", 2, L4_SHARED)]
    assert _gcp(_gpus("2"), _affinity(_not_in("l4 "))) == [_line("resnet-triton", 2, L4_SHARED)]
    # terms are ORed: a second term that admits l4 admits it
    anything = {"matchExpressions": [{"key": POOL, "operator": "Exists"}]}
    assert _gcp(_gpus("2"), _affinity(_not_in("l4"), anything)) == [_line("resnet-triton", 2, L4_SHARED)]
    # expressions of one term are ANDed: In [a100] and NotIn [l4] admits none of the l4 nodes
    both = {
        "matchExpressions": [*_not_in("l4")["matchExpressions"], {"key": POOL, "operator": "In", "values": ["a100"]}]
    }
    assert _gcp(_gpus("2"), _affinity(both)) == []
    # a matchFields term (node names) is read as admitting every pool
    assert _gcp(
        _gpus("2"), _affinity({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n"]}]})
    ) == [_line("resnet-triton", 2, L4_SHARED)]


def test_a_pool_that_does_not_share_or_another_accelerator_passes() -> None:
    resources, settings = rules_plan("gcp-prod")

    def unshared(props: dict[str, Any]) -> None:
        props["nodeConfig"]["guestAccelerators"][0].pop("gpuSharingConfig")

    def one_client(props: dict[str, Any]) -> None:
        props["nodeConfig"]["guestAccelerators"][0]["gpuSharingConfig"]["maxSharedClientsPerGpu"] = 1

    def l4_pool(r: Resource) -> bool:
        return r.type == GKE_POOL and (r.props.get("nodeConfig") or {}).get("labels", {}).get(POOL) == "l4"

    two = mutated_resources(resources, _isvc("resnet-triton"), _gpus("2"), exactly=1)
    assert _failures(mutated_resources(two, l4_pool, unshared, exactly=1), settings) == []
    assert _failures(mutated_resources(two, l4_pool, one_client, exactly=1), settings) == []

    def on_a100(props: dict[str, Any]) -> None:
        props["spec"]["predictor"]["nodeSelector"]["mlplatform.io/accelerator"] = "nvidia-a100-40gb"

    assert _failures(mutated_resources(two, _isvc("resnet-triton"), on_a100, exactly=1), settings) == []


@pytest.mark.parametrize("config", ["time-slicing-2", "mps-4"])
def test_eks_device_plugin_config_label(config: str) -> None:
    """aws-dev's whole l4 NodePool given the device plugin's sharing config label, resnet50 asking 2 GPUs."""
    resources, settings = rules_plan("aws-dev")

    def shared(props: dict[str, Any]) -> None:
        props["spec"]["template"]["metadata"]["labels"]["nvidia.com/device-plugin.config"] = config

    def l4(r: Resource) -> bool:
        return r.type == KARPENTER_POOL and r.k8s_name == "gpu-l4"

    two = mutated_resources(resources, _isvc("resnet50"), _gpus("2"), exactly=1)
    assert _failures(two, settings) == []  # the pool shares nothing
    clients = config.rsplit("-", 1)[1]
    assert _failures(mutated_resources(two, l4, shared, exactly=1), settings) == [
        _line("resnet50", 2, f"l4 ({clients} clients per GPU)")
    ]


def test_the_rule_calls_no_component_code() -> None:
    tree = ast.parse(Path(ROOT / "policy" / "rules" / "sharedpools.py").read_text(encoding="utf-8"))
    names = {
        n.module if isinstance(n, ast.ImportFrom) else a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
        for a in (n.names if isinstance(n, ast.Import) else [n])  # type: ignore[attr-defined]
    }
    assert not any(str(n).startswith("components") for n in names), names
