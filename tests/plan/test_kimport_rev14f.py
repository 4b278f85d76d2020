"""Import regression tests for the confirming hostile KServe review rev14f of issue #14 (/work/wt/rev14f-report.md,
defects 6 and 7), each failing on main 0aafebf."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from isvc_support import import_docs, inference_service

from components.plan import kimport
from components.plan.project import load_project
from support import ROOT

PROJECT = load_project(ROOT)
SKLEARN = {"sklearn": {"storageUri": "gs://kfserving-examples/models/sklearn/1.0/model"}}
TAGGED_WHY = (
    "the plan fails the mandatory policy images-tagged with it; give it a version tag or a digest (registry/app:1.4, "
    "registry/app@sha256:...) in"
)


def _import(tmp_path: Path, *docs: Any) -> kimport.ImportResult:
    return import_docs(tmp_path, PROJECT, *docs)


# ---------------------------------------------------------------------------------------------- defect 6


def test_only_the_predictor_host_item_is_rewritten(tmp_path: Path) -> None:
    # rev14f's in/ph3.yaml: the same text before --predictor_host (here the model name) was the item changed, and the
    # host kept the namespace the model leaves, while the note said args.3 had changed
    args = ["--model_name", "income-predictor.default", "--predictor_host", "income-predictor.default"]
    # torchserve serves the names of its model store, so the transformer's --model_name is not held to the model's
    # (red team #14f: over kserve-sklearnserver it must be the model's name, components/serving/server_args.py)
    torch = {"pytorch": {"storageUri": "gs://kfserving-examples/models/torchserve/image_classifier/v1"}}
    doc = inference_service(
        "income",
        torch,
        transformer={
            "containers": [{"name": "kserve-container", "image": "kserve/image-transformer:v0.12.0", "args": args}]
        },
    )
    result = _import(tmp_path, doc)
    assert result.refused == []
    imported = result.imported[0]
    assert imported.entry["transformer"]["args"] == [
        "--model_name",
        "income-predictor.default",
        "--predictor_host",
        "income-predictor.models",
    ]
    host_notes = [(path, text) for path, text in imported.notes if "--predictor_host" in text]
    assert host_notes == [
        (
            ("spec", "transformer", "containers", "0", "args", "3"),
            "--predictor_host: income-predictor.default becomes income-predictor.models: the model goes to namespace "
            "models, where its predictor's Service is",
        )
    ]
    isvc = kimport.rendered_isvcs(PROJECT, "aws-dev", [imported])[("models", "income")]
    assert isvc["spec"]["transformer"]["containers"][0]["args"] == imported.entry["transformer"]["args"]
    # the model name is kept as asked (the round trip holds it to the manifest); only the host is named by a note
    assert kimport.round_trip_problems(doc, imported, isvc) == []


# ---------------------------------------------------------------------------------------------- defect 7

EXAMPLE_RUNTIME = {
    # kserve/website versioned_docs/version-0.20/concepts/resources/servingruntime.md (benchmark d8)
    "apiVersion": "serving.kserve.io/v1alpha1",
    "kind": "ServingRuntime",
    "metadata": {"name": "example-runtime"},
    "spec": {
        "supportedModelFormats": [{"name": "example-format", "version": "1", "autoSelect": True}],
        "containers": [
            {
                "name": "kserve-container",
                "image": "examplemodelserver:latest",
                "args": ["--model_dir=/mnt/models", "--http_port=8080"],
            }
        ],
    },
}


def test_a_runtime_on_latest_is_noted_with_the_policy_it_fails(tmp_path: Path) -> None:
    # rev14f defect 7: printed with exit 0 and no note, then `mlplatform plan` failed the mandatory images-tagged
    result = _import(tmp_path, EXAMPLE_RUNTIME)
    assert result.refused == []
    (runtime,) = result.runtimes
    assert (
        ("spec", "containers", "0", "image"),
        "image 'examplemodelserver:latest' is the mutable tag latest (what runs can change without a diff): "
        f"{TAGGED_WHY} mlplatform:runtimes.example-runtime",
    ) in runtime.notes


def test_a_transformer_on_latest_and_an_untagged_predictor_are_noted(tmp_path: Path) -> None:
    # kserve/website versioned_docs/version-0.20/model-serving/node-scheduling/isvc-node-scheduling.md's transformer
    # (kfserving/image-transformer-v2:latest), and a custom predictor image with no tag (Kubernetes pulls :latest)
    doc = inference_service(
        "tr",
        {"containers": [{"name": "kserve-container", "image": "ghcr.io/acme/server"}]},
        transformer={"containers": [{"name": "kserve-container", "image": "kfserving/image-transformer-v2:latest"}]},
    )
    result = _import(tmp_path, doc)
    assert result.refused == []
    notes = [(path, text) for path, text in result.imported[0].notes if "images-tagged" in text]
    assert notes == [
        (
            ("spec", "predictor", "containers", "0", "image"),
            "image 'ghcr.io/acme/server' names no tag (Kubernetes pulls :latest, which can change under the same "
            f"name): {TAGGED_WHY} mlplatform:models.tr",
        ),
        (
            ("spec", "transformer", "containers", "0", "image"),
            "image 'kfserving/image-transformer-v2:latest' is the mutable tag latest (what runs can change without a "
            f"diff): {TAGGED_WHY} mlplatform:models.tr",
        ),
    ]


def test_a_pinned_image_gets_no_tag_note(tmp_path: Path) -> None:
    doc = inference_service(
        "pinned",
        {"containers": [{"name": "kserve-container", "image": "ghcr.io/acme/server@sha256:" + "a" * 64}]},
        transformer={"containers": [{"name": "kserve-container", "image": "kserve/image-transformer:v0.12.0"}]},
    )
    result = _import(tmp_path, doc)
    assert result.refused == []
    assert not [text for _, text in result.imported[0].notes if "images-tagged" in text]
