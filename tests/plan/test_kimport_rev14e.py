"""Import regression tests for the hostile KServe review rev14e of issue #14 (/work/wt/rev14e-report.md), each
failing on main 20d27da."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from isvc_support import import_docs, inference_service

from components.plan import kimport
from components.plan.project import load_project
from support import ROOT

PROJECT = load_project(ROOT)


def _import(tmp_path: Path, *docs: Any) -> kimport.ImportResult:
    return import_docs(tmp_path, PROJECT, *docs)


SKLEARN = {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model"}


def test_a_batcher_on_a_v2_model_is_refused(tmp_path: Path) -> None:
    # rev14e defect 5: imported with exit 0 and no note; KServe's agent batches only `:predict$` paths
    # (kserve v0.20.0 pkg/batcher/handler.go)
    doc = inference_service("bat-v2", {"batcher": {"maxBatchSize": 32}, "model": {**SKLEARN, "protocolVersion": "v2"}})
    result = _import(tmp_path, doc)
    assert result.imported == []
    assert [line.split(": ", 1)[1] for line in result.refused] == [
        "InferenceService bat-v2: as an mlplatform model: stacks/Pulumi.aws-dev.yaml: "
        "mlplatform:models.bat-v2.batcher: {maxBatchSize: 32} is not allowed; the model serves v2; KServe's batcher "
        "batches v1 :predict requests only (pkg/batcher/handler.go); remove batcher"
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


def _explainer_doc(name: str, args: list[str]) -> dict[str, Any]:
    """The explainer examples of kserve/website versioned_docs/version-0.20/model-serving/predictive-inference/
    explainers/alibi/<page> (d56-d59 of benchmarks/import_docs.py's numbering): an sklearn predictor and an Alibi
    explainer whose --predictor_host names the predictor in the docs' namespace, default."""
    return inference_service(
        name,
        {"minReplicas": 1, "model": {**SKLEARN, "resources": {"limits": {"cpu": 1, "memory": "1Gi"}}}},
        explainer={
            "minReplicas": 1,
            "containers": [
                {
                    "name": "kserve-container",
                    "image": "kserve/alibi-explainer:v0.12.1",
                    "args": args,
                    "resources": {"limits": {"cpu": 1, "memory": "4Gi"}},
                }
            ],
        },
    )


EXPLAINERS = [
    # d57 tabular-explainer/tabular-explainer.md
    ("income", ["--model_name=income", "--http_port=8080", "--predictor_host=income-predictor.default",
                "--storage_uri=/mnt/models", "AnchorTabular"]),
    # d56 image-explainer/image-explainer.md
    ("cifar10", ["--model_name=cifar10", "--http_port=8080", "--predictor_host=cifar10-predictor.default",
                 "--storage_uri=/mnt/models", "AnchorImages", "--batch_size=40", "--stop_on_first=True"]),
    # d58 text-explainer/text-explainer.md
    ("moviesentiment", ["--model_name=moviesentiment", "--http_port=8080",
                        "--predictor_host=moviesentiment-predictor.default", "AnchorText"]),
    # the two-argument form and a full service name
    ("income", ["--predictor_host", "income-predictor.default.svc.cluster.local:80", "AnchorTabular"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "args"), EXPLAINERS)
def test_an_explainers_predictor_host_moves_with_the_model(tmp_path: Path, name: str, args: list[str]) -> None:
    # rev14e defect 4: import kept --predictor_host=<name>-predictor.default while moving the model to models, so
    # every explain call failed. KServe appends its own --predictor_host only when the args give none
    # (explainer_custom.go GetContainer, kserve v0.20.0), and names the Service <name>-predictor (PredictorServiceName)
    doc = _explainer_doc(name, args)
    result = _import(tmp_path, doc)
    assert result.refused == []
    imported = result.imported[0]
    at = next(i for i, a in enumerate(args) if "-predictor.default" in a)
    old_host = args[at].split("=", 1)[-1]
    new_host = old_host.replace(".default", ".models")
    assert (
        ("spec", "explainer", "containers", "0", "args", str(at)),
        f"--predictor_host: {old_host} becomes {new_host}: the model goes to namespace models, where its predictor's "
        "Service is",
    ) in imported.notes
    isvc = kimport.rendered_isvcs(PROJECT, "aws-dev", [imported])[("models", name)]
    expected = [a.replace(old_host, new_host) for a in args]
    assert isvc["spec"]["explainer"]["containers"][0]["args"] == expected
    assert kimport.round_trip_problems(doc, imported, isvc) == []


def test_an_explainers_predictor_host_of_another_service_is_refused(tmp_path: Path) -> None:
    # d55 (detect/aif/aif.md): the command names german-credit-predictor-default, KServe's pre-v0.8 Service name;
    # v0.20.0 names the predictor's Service german-credit-predictor (pkg/constants/constants.go PredictorServiceName)
    doc = inference_service(
        "german-credit",
        {"containers": [{"name": "kserve-container", "image": "aipipeline/aifserver:predictor"}]},
        explainer={
            "containers": [
                {
                    "name": "explainer",
                    "image": "aipipeline/aifserver:latest",
                    "command": ["python", "-m", "aifserver", "--predictor_host",
                                "german-credit-predictor-default.default.svc.cluster.local", "--model_name",
                                "german-credit"],
                }
            ]
        },
    )  # fmt: skip
    result = _import(tmp_path, doc)
    assert [line.split(": ", 1)[1] for line in result.refused] == [
        "InferenceService german-credit: spec.explainer.containers.0.command.4: "
        "german-credit-predictor-default.default.svc.cluster.local: the explainer calls its own model's predictor, "
        "german-credit-predictor.models (KServe names it <name>-predictor: PredictorServiceName); give that host or "
        "leave --predictor_host out (KServe then adds it)"
    ]


def test_a_cloud_accelerator_selector_gives_way_to_the_stacks_pool(tmp_path: Path) -> None:
    # rev14e defect 1, d38 (kserve/website versioned_docs/version-0.20 .../node-scheduling/isvc-node-scheduling.md):
    # the T4 selector was kept beside the stack's L4 pool's, a selector no aws-dev pool meets
    doc = inference_service(
        "torchscript-cifar",
        {
            "nodeSelector": {"k8s.amazonaws.com/accelerator": "nvidia-tesla-t4"},
            "triton": {
                "storageUri": "gs://kfserving-examples/models/torchscript",
                "runtimeVersion": "21.08-py3",
                "resources": {"limits": {"nvidia.com/gpu": 1}, "requests": {"nvidia.com/gpu": 1}},
            },
        },
    )
    result = _import(tmp_path, doc)
    assert result.refused == []
    imported = result.imported[0]
    assert (
        ("spec", "predictor", "nodeSelector", "k8s.amazonaws.com/accelerator"),
        "nodeSelector k8s.amazonaws.com/accelerator: nvidia-tesla-t4 is replaced by the stack's pool's "
        "mlplatform.io/accelerator: nvidia-l4, which the platform selects",
    ) in imported.notes
    assert "nodeSelector" not in imported.entry
    isvc = kimport.rendered_isvcs(PROJECT, "aws-dev", [imported])[("models", "torchscript-cifar")]
    assert isvc["spec"]["predictor"]["nodeSelector"] == {"mlplatform.io/accelerator": "nvidia-l4"}
    assert kimport.round_trip_problems(doc, imported, isvc) == []
