"""Import regression test for the confirming review rev14g of issue #14 (/work/wt/rev14g-report.md, defect 9),
failing on main 049b7c9: d14, d20, d26, d29, d66 and d70 (GPU Hugging Face models of KServe's documentation) were
imported with vLLM flags put ahead of their args and no note."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from components.plan import kimport
from components.plan.project import load_project
from support import ROOT

PROJECT = load_project(ROOT)


def _import(tmp_path: Path, predictor: dict[str, Any]) -> kimport.ImportResult:
    doc = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "qwen"},
        "spec": {"predictor": predictor},
    }
    path = tmp_path / "isvc.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return kimport.import_files([path], PROJECT, "aws-dev")


def _model(**extra: Any) -> dict[str, Any]:
    model = {
        "modelFormat": {"name": "huggingface"},
        "storageUri": "hf://Qwen/Qwen2.5-0.5B-Instruct",
        "resources": {"limits": {"cpu": "2", "memory": "6Gi", "nvidia.com/gpu": "1"}},
    }
    return {"model": {**model, **extra}}


def _vllm_notes(result: kimport.ImportResult) -> list[str]:
    (imported,) = result.imported
    return [text for _, text in imported.notes if "vLLM" in text]


def test_a_gpu_huggingface_model_is_told_the_vllm_flags_and_the_opt_out(tmp_path: Path) -> None:
    # components/serving/_runtime.py runtime_args: --backend=vllm, --tensor-parallel-size=<gpus>, and the Run:ai
    # streamer on KServe's own Hugging Face runtime, which reads safetensors only (vllm/config/load.py load_format)
    assert _vllm_notes(_import(tmp_path, _model())) == [
        "the model server runs vLLM with --backend=vllm --tensor-parallel-size=1 --load-format=runai_streamer ahead "
        "of the manifest's args (plain KServe lets the Hugging Face server pick its backend and vLLM its default "
        "loader, auto); runai_streamer reads .safetensors weights only: for a model published only as .bin files "
        "add --load-format=auto to mlplatform:models.qwen.args (vLLM's auto tries safetensors, then the PyTorch .bin "
        "files)"
    ]


def test_a_model_that_names_its_own_loader_is_told_only_the_flags_it_gets(tmp_path: Path) -> None:
    # the model's own --load-format replaces the platform's (fastest_loader_applies): no streamer, no opt-out line
    assert _vllm_notes(_import(tmp_path, _model(args=["--load-format=auto"]))) == [
        "the model server runs vLLM with --backend=vllm --tensor-parallel-size=1 ahead of the manifest's args (plain "
        "KServe lets the Hugging Face server pick its backend and vLLM its default loader, auto)"
    ]


def test_a_cpu_huggingface_model_gets_no_vllm_note(tmp_path: Path) -> None:
    # without GPUs the Hugging Face server keeps its Transformers backend and mlplatform adds nothing
    predictor = _model()
    predictor["model"]["resources"] = {"limits": {"cpu": "2", "memory": "6Gi"}}
    assert _vllm_notes(_import(tmp_path, predictor)) == []
