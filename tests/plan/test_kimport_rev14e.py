"""Import regression tests for the hostile KServe review rev14e of issue #14 (/work/wt/rev14e-report.md), each
failing on main 20d27da."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from components.plan import kimport
from components.plan.project import load_project
from support import ROOT

PROJECT = load_project(ROOT)


def _import(tmp_path: Path, *docs: Any) -> kimport.ImportResult:
    path = tmp_path / "isvc.yaml"
    path.write_text(yaml.safe_dump_all(list(docs), sort_keys=False))
    return kimport.import_files([path], PROJECT, "aws-dev")


def _isvc(name: str, predictor: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": name},
        "spec": {"predictor": predictor, **spec},
    }


SKLEARN = {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model"}


def test_a_batcher_on_a_v2_model_is_refused(tmp_path: Path) -> None:
    # rev14e defect 5: imported with exit 0 and no note; KServe's agent batches only `:predict$` paths
    # (kserve v0.20.0 pkg/batcher/handler.go)
    doc = _isvc("bat-v2", {"batcher": {"maxBatchSize": 32}, "model": {**SKLEARN, "protocolVersion": "v2"}})
    result = _import(tmp_path, doc)
    assert result.imported == []
    assert [line.split(": ", 1)[1] for line in result.refused] == [
        "InferenceService bat-v2: as an mlplatform model: stacks/Pulumi.aws-dev.yaml: "
        "mlplatform:models.bat-v2.batcher: {...} is not allowed; the model serves v2; KServe's batcher batches v1 "
        ":predict requests only (pkg/batcher/handler.go); remove batcher"
    ]


def test_a_serving_runtime_with_a_grpc_port_is_refused(tmp_path: Path) -> None:
    # rev14e defect 3 (its /tmp/rev14e/in/rtg.yaml): imported with exit 0, and its model planned REST-only authz on
    # an h2c pod
    runtime = {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ServingRuntime",
        "metadata": {"name": "my-grpc-rt"},
        "spec": {
            "supportedModelFormats": [{"name": "sklearn", "version": "1", "autoSelect": False}],
            "protocolVersions": ["v2", "grpc-v2"],
            "containers": [
                {
                    "name": "kserve-container",
                    "image": "ghcr.io/acme/srv:1",
                    "args": ["--model_dir=/mnt/models"],
                    "ports": [{"name": "grpc-port", "containerPort": 8001, "protocol": "TCP"}],
                }
            ],
        },
    }
    result = _import(tmp_path, runtime)
    assert [line.split(": ", 1)[1] for line in result.refused] == [
        "ServingRuntime my-grpc-rt: as an mlplatform runtime: stacks/Pulumi.aws-dev.yaml: "
        "mlplatform:runtimes.my-grpc-rt.container.port.protocol: grpc is not allowed; a stack runtime serves HTTP "
        "here: the platform cannot know whether its server answers REST on a gRPC port, so no request admitted to "
        "its models would be sure to work; give http, or serve gRPC from a model's own container "
        "(container.port.protocol: grpc)"
    ]
