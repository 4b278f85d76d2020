"""``mlplatform import``: the breaks red team #14g found (/work/wt/red14g-report.md) refused or read through the
import as the stack file does: a component's args read as its argparse reads them (``allow_abbrev``, the last value,
a flag without its value), the agent port in an ``int()`` spelling, and a component's ``--predictor_host`` given
abbreviated after the whole flag."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.plan import kimport
from components.plan.project import load_project
from support import ROOT
from support import import_refusal_line as _one_line
from support import write_manifest as _write

PROJECT = load_project(ROOT)
SKLEARN = {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model"}
PREFIX = "InferenceService m1: as an mlplatform model: stacks/Pulumi.aws-dev.yaml: mlplatform:models.m1."


def _with(component: str, container: dict[str, Any], **part: Any) -> dict[str, Any]:
    """An sklearn InferenceService m1 with a custom ``component`` (transformer or explainer) of ``container``."""
    box = {"name": "kserve-container", "image": "ghcr.io/acme/t:1.0", **container}
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "m1", "namespace": "models"},
        "spec": {"predictor": {"minReplicas": 1, "model": SKLEARN}, component: {"containers": [box], **part}},
    }


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["--http_port"],  # runZR ZN-tr-http-trailing: import 0, plan 0 on main
            "transformer.args.0: --http_port is not allowed; --http_port needs a value, and argparse exits without "
            "one (expected one argument); give --http_port=<value>",
        ),
        (
            ["--model_name=m1", "--model_n=other"],  # ZN-tr-mn-abbr-last
            "transformer.args.1: --model_n=other is not allowed; the transformer calls the predictor by its "
            "--model_name (argparse keeps the last one, an abbreviation too), and kserve-sklearnserver serves the "
            "model as m1 (KServe passes --model_name m1 when no arg starts with --model_name); give --model_name=m1 "
            "or remove it",
        ),
        (
            ["--grpc_port=+9081"],  # ZI-tr-grpc-plus-logger
            "transformer.args.0: --grpc_port=+9081 is not allowed; a kserve model server would listen on it (kserve "
            "model_server.py --grpc_port), and in this pod KServe's agent (batcher, logger) serves on 9081; give "
            "another port",
        ),
    ],
)
def test_component_args_are_read_as_argparse_reads_them_through_the_import(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], says: str
) -> None:
    logger = {"logger": {"mode": "all"}} if "9081" in args[-1] else {}
    path = _write(tmp_path, _with("transformer", {"args": args}, **logger))
    assert _one_line(capsys, path) == f"{path}: {PREFIX}{says}"


def test_a_transformer_http_port_abbreviated_after_the_whole_flag_is_refused_through_the_import(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # runZ ZI-tr-http-abbr-last: containerPort 9000 rendered, the server listens on 8080
    container = {"args": ["--http_port=9000", "--http_p=8080"], "ports": [{"containerPort": 9000}]}
    path = _write(tmp_path, _with("transformer", container))
    assert _one_line(capsys, path).startswith(f"{path}: {PREFIX}transformer.container.port.number: 9000 is not allowed")


def _import(tmp_path: Path, doc: dict[str, Any]) -> kimport.ImportResult:
    path = tmp_path / "isvc.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return kimport.import_files([path], PROJECT, "aws-dev")


def test_an_abbreviated_predictor_host_after_the_whole_flag_moves_with_the_model(tmp_path: Path) -> None:
    # argparse keeps the last --predictor_host, --predictor_h=... included, and KServe appends none (IncludesArg
    # matches the first): the import moved the first and left the one the explainer calls in namespace default
    args = ["--predictor_host=m1-predictor.models", "--predictor_h=m1-predictor.default", "AnchorTabular"]
    doc = _with("explainer", {"args": args})
    doc["metadata"].pop("namespace")
    result = _import(tmp_path, doc)
    assert result.refused == []
    imported = result.imported[0]
    isvc = kimport.rendered_isvcs(PROJECT, "aws-dev", [imported])[("models", "m1")]
    assert isvc["spec"]["explainer"]["containers"][0]["args"] == [
        "--predictor_host=m1-predictor.models",
        "--predictor_h=m1-predictor.models",
        "AnchorTabular",
    ]


def test_an_abbreviated_predictor_host_of_another_service_is_refused(tmp_path: Path) -> None:
    args = ["--predictor_host=m1-predictor.models", "--predictor_ho", "other-predictor.default"]
    result = _import(tmp_path, _with("explainer", {"args": args}))
    assert [line.split(": ", 1)[1] for line in result.refused] == [
        "InferenceService m1: spec.explainer.containers.0.args.2: other-predictor.default: the explainer calls its "
        "own model's predictor, m1-predictor.models (KServe names it <name>-predictor: PredictorServiceName); give "
        "that host or leave --predictor_host out (KServe then adds it)"
    ]
