"""A GPU model's weights against the GPU memory one replica gets (components/serving/gpumem.py; rev16b's side note:
a 141 GB model planned on one L4 with every policy passing).

The memory per replica follows the pool's sharing: whole GPUs, MPS's equal fraction, time-slicing's whole GPU, a MIG
profile's memory (NVIDIA/k8s-device-plugin v0.20.0 README.md, "Shared Access to GPUs"; the MIG resource names
``<slices>g.<memory>gb``). Each case is one stack's exact error line; the bound itself is accepted.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.errors import SpecError
from infra.config import load

FILE = "stacks/Pulumi.t.yaml"
REACH = {"publicCidrs": ["203.0.113.0/24"], "deployFrom": ["203.0.113.0/24"]}
ANON = {"mode": "public", "allowAnonymous": True}
GCP = {"cloud": "gcp", "region": "us-central1"}


def _stack(size: float, gpus: int, sharing: dict[str, Any] | None, accelerator: str = "nvidia-l4") -> dict[str, str]:
    pool: dict[str, Any] = {"accelerator": accelerator, "maxNodes": 2, "gpusPerNode": max(gpus, 1)}
    if sharing is not None:
        pool["sharing"] = sharing
    cfg = {
        **GCP,
        "cluster": {"apiAccess": REACH, "gpuPools": {"p": pool}, "gcp": {"project": "acme-ml"}},
        "models": {
            "m": {
                "format": "pytorch",
                "storageUri": "gs://models-bucket/m",
                "modelSizeGb": size,
                "access": ANON,
                "resources": {"gpus": gpus, "accelerator": accelerator},
            }
        },
    }
    return {f"mlplatform:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in cfg.items()}


def _error(cfg: dict[str, str]) -> str:
    with pytest.raises(SpecError) as e:
        load(cfg, frozenset(), FILE)
    return str(e.value)


def _line(size: str, bound: str, how: str) -> str:
    return (
        f"{FILE}: mlplatform:models.m.modelSizeGb: {size} is not allowed; the weights must fit in the GPU memory one "
        f"replica gets: at most {bound} GB on pool p ({how}); ask for more GPUs (resources.gpus, with a pool of that "
        "many per node), a larger accelerator, or a smaller (quantised) model"
    )


MPS2 = {"strategy": "mps", "maxClientsPerGpu": 2}
TS4 = {"strategy": "time-slicing", "maxClientsPerGpu": 4}
MIG10 = {"strategy": "mig", "migProfile": "1g.10gb"}


@pytest.mark.parametrize(
    ("size", "gpus", "sharing", "accelerator", "line"),
    [
        # one L4: 24 GiB = 25.77 GB (shown rounded down)
        (141, 1, None, "nvidia-l4", _line("141", "25.76", "1 x 24 GiB")),
        (25.77, 1, None, "nvidia-l4", _line("25.77", "25.76", "1 x 24 GiB")),
        # two L4s on a two-GPU node: 51.54 GB
        (60, 2, None, "nvidia-l4", _line("60", "51.53", "2 x 24 GiB")),
        # MPS: an equal fraction per client
        (12.89, 1, MPS2, "nvidia-l4", _line("12.89", "12.88", "1/2 of one 24 GiB GPU (MPS)")),
        # time-slicing: one GPU's memory, whatever the clients
        (25.77, 1, TS4, "nvidia-l4", _line("25.77", "25.76", "one 24 GiB GPU shared by time-slicing")),
        # MIG: the profile's memory
        (10.01, 1, MIG10, "nvidia-a100-80gb", _line("10.01", "10", "1 x MIG 1g.10gb")),
    ],
)
def test_weights_larger_than_the_gpu_memory_are_refused(
    size: float, gpus: int, sharing: dict[str, Any] | None, accelerator: str, line: str
) -> None:
    assert _error(_stack(size, gpus, sharing, accelerator)) == line


@pytest.mark.parametrize(
    ("size", "gpus", "sharing", "accelerator"),
    [
        (25.76, 1, None, "nvidia-l4"),
        (51.53, 2, None, "nvidia-l4"),
        (12.88, 1, MPS2, "nvidia-l4"),
        (25.76, 1, TS4, "nvidia-l4"),
        (10, 1, MIG10, "nvidia-a100-80gb"),
    ],
)
def test_weights_within_the_gpu_memory_plan(
    size: float, gpus: int, sharing: dict[str, Any] | None, accelerator: str
) -> None:
    loaded = load(_stack(size, gpus, sharing, accelerator), frozenset(), FILE)
    assert loaded.config.models["m"].model_size_gb == size


# ------------------------------------------------------------------------------- the policy (second line)

RULE = "gpu-memory-fits"
SIZE = "mlplatform.io/model-size-gb"


def _isvc(name: str) -> Any:
    return lambda r: r.type == "kubernetes:serving.kserve.io/v1beta1:InferenceService" and r.k8s_name == name


def _rule_failures(resources: Any, settings: Any) -> list[str]:
    from support import rule_entries

    return [e["message"] for e in rule_entries(resources, settings) if e["policy"] == RULE and not e["passed"]]


def _sized(size: str) -> Any:
    def change(props: dict[str, Any]) -> None:
        props["metadata"].setdefault("annotations", {})[SIZE] = size

    return change


@pytest.mark.parametrize(
    ("size", "failed"),
    [
        ("25.76", False),  # at one L4's 24 GiB (25.77 GB)
        ("25.78", True),
        ("141", True),  # rev16b's side note
    ],
)
def test_the_rule_fails_weights_over_the_gpus_memory_on_a_shipped_plan(size: str, failed: bool) -> None:
    from support import mutated_resources, rules_plan

    resources, settings = rules_plan("gcp-prod")
    assert _rule_failures(resources, settings) == []
    msgs = _rule_failures(mutated_resources(resources, _isvc("qwen-chat"), _sized(size), exactly=1), settings)
    expected = [
        f"models/qwen-chat: {float(size):g} GB of weights on 1 x nvidia-l4 (24 GiB each, 25.77 GB): the model never "
        "loads into its GPUs' memory"
    ]
    assert msgs == (expected if failed else []), msgs
