"""``mlplatform import``: the breaks red team #14f found (/work/wt/red14f-report.md): manifests Kubernetes and Knative
refuse (break 7) are refused in one line instead of half dropped, and the stack-file rules of breaks 1-4 refuse the
same InferenceServices through the import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from isvc_support import custom_isvc

from components.plan import kimport
from components.plan.project import load_project
from support import ROOT
from support import import_refusal_line as _one_line
from support import write_manifest as _write

PROJECT = load_project(ROOT)


def _sklearn(**predictor: Any) -> dict[str, Any]:
    model = {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model"}
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "m1", "namespace": "models"},
        "spec": {"predictor": {"model": model, **predictor}},
    }


# ------------------------------------------------------------------------------------------------ 7: probes, env


@pytest.mark.parametrize(
    ("probe", "second"),
    [
        ({"httpGet": {"path": "/h"}, "tcpSocket": {"port": 8080}}, "tcpSocket"),  # ZP-both-handlers / R1n5
        ({"tcpSocket": {"port": 8080}, "exec": {"command": ["true"]}}, "exec"),
    ],
)
def test_a_probe_with_two_handlers_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, probe: dict[str, Any], second: str
) -> None:
    # Kubernetes (validation.go validateHandler: "may not specify more than 1 handler type") and Knative
    # (knative-v1.21.3 k8s_validation.go:856-907 validateProbe, ErrMultipleOneOf) refuse it; the import rendered
    # the httpGet alone
    first = next(iter(probe))
    path = _write(tmp_path, custom_isvc(livenessProbe=probe))
    assert _one_line(capsys, path) == (
        f"{path}: InferenceService m1: spec.predictor.containers.0.livenessProbe.{second}: give one handler ({first} "
        f"or {second}): Kubernetes and Knative refuse a probe with more than one"
    )


@pytest.mark.parametrize("key", ["livenessProbe", "startupProbe"])
def test_a_liveness_or_startup_probe_without_a_handler_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, key: str
) -> None:
    # ZP-no-handler-liveness: rendered as a tcpSocket probe the manifest never had; Knative defaults only a readiness
    # probe's handler (v1/revision_defaults.go applyUserContainerDefaultReadinessProbe)
    path = _write(tmp_path, custom_isvc(**{key: {"periodSeconds": 5}}))
    assert _one_line(capsys, path) == (
        f"{path}: InferenceService m1: spec.predictor.containers.0.{key}: give a handler (httpGet, tcpSocket or "
        "grpc): Kubernetes and Knative refuse a probe without one (Knative defaults only a readiness probe's, to TCP)"
    )


def test_a_readiness_probe_without_a_handler_still_imports_as_knative_defaults_it(tmp_path: Path) -> None:
    (imported,) = kimport.import_files(
        [_write(tmp_path, custom_isvc(readinessProbe={"periodSeconds": 5}))], PROJECT, "aws-dev"
    ).imported
    isvc = kimport.rendered_isvcs(PROJECT, "aws-dev", [imported])[("models", "m1")]
    probe = isvc["spec"]["predictor"]["containers"][0]["readinessProbe"]
    assert probe["tcpSocket"] == {"port": 8080} and probe["periodSeconds"] == 5


def test_env_with_a_value_and_value_from_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # ZE-secret-and-value: the import kept valueFrom and dropped value; Kubernetes refuses both
    # (validation.go validateEnvVarValueFrom: "may not be specified when `value` is not empty")
    ref = {"secretKeyRef": {"name": "s", "key": "k"}}
    path = _write(tmp_path, custom_isvc(env=[{"name": "A", "value": "x", "valueFrom": ref}]))
    assert _one_line(capsys, path) == (
        f"{path}: InferenceService m1: spec.predictor.containers.0.env.0.valueFrom: give value or valueFrom, not both "
        "(Kubernetes refuses both)"
    )
    # an empty value beside valueFrom is what Kubernetes accepts (len(ev.Value) != 0 only)
    path = _write(tmp_path, custom_isvc(env=[{"name": "A", "value": "", "valueFrom": ref}]))
    (imported,) = kimport.import_files([path], PROJECT, "aws-dev").imported
    assert imported.entry["secretEnv"] == {"A": {"secret": "s", "key": "k"}}


# ------------------------------------------------------------------------------------------------ 1-4 via import


@pytest.mark.parametrize(
    ("predictor", "says"),
    [
        (
            {"args": ["--debug"], "runtime": "kserve-mlserver", "protocolVersion": "v2"},  # ZA-ml-args
            "mlplatform:models.m1.args.0: --debug is not allowed; kserve-mlserver's image",
        ),
        (
            {"protocolVersion": "grpc-v2", "runtime": "kserve-sklearnserver", "args": ["--grpc_port=9000"]},
            "mlplatform:models.m1.args.0: --grpc_port=9000 is not allowed; it would move kserve-sklearnserver's gRPC",
        ),
    ],
    ids=["mlserver-args", "sklearn-grpc-port"],
)
def test_runtime_server_args_are_refused_through_the_import(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, predictor: dict[str, Any], says: str
) -> None:
    doc = _sklearn()
    doc["spec"]["predictor"]["model"].update(predictor)
    path = _write(tmp_path, doc)
    line = _one_line(capsys, path)
    assert line.startswith(f"{path}: InferenceService m1: as an mlplatform model: stacks/Pulumi.aws-dev.yaml: {says}")


def test_a_transformer_model_name_the_runtime_does_not_serve_is_refused_through_the_import(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # ZA-tr-model_name: imported (exit 0) and refused only when planned
    doc = _sklearn()
    doc["spec"]["transformer"] = {
        "containers": [{"name": "kserve-container", "image": "ghcr.io/acme/t:1.0", "args": ["--model_name=other"]}]
    }
    path = _write(tmp_path, doc)
    assert _one_line(capsys, path) == (
        f"{path}: InferenceService m1: as an mlplatform model: stacks/Pulumi.aws-dev.yaml: "
        "mlplatform:models.m1.transformer.args.0: --model_name=other is not allowed; the transformer calls the "
        "predictor by its --model_name (argparse keeps the last one, an abbreviation too), and kserve-sklearnserver "
        "serves the model as m1 (KServe passes --model_name m1 when no arg starts with --model_name); give "
        "--model_name=m1 or remove it"
    )
