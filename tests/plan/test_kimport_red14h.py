"""``mlplatform import``: red team #14h's breaks 8 and 9 (/work/wt/red14h-report.md): a manifest is read as kubectl
reads it (sigs.k8s.io/yaml and its go-yaml v2 fork, kubernetes-sigs/yaml goyaml.v2/resolve.go), so a key given twice
is refused (kubectl's default ``--validate=strict``) and a plain scalar kubectl reads as a boolean or a number is
refused where the CRD wants text, as ``yes`` already was."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.plan import kimport
from support import import_refusal_line as _one_line

ISVC = """apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: sk
  namespace: models{labels}
spec:
  predictor:
    minReplicas: 1
    model:
      modelFormat: {{name: sklearn}}
      storageUri: gs://kfserving-examples/models/sklearn/1.0/model{more}
"""


def _write(tmp_path: Path, labels: str = "", more: str = "") -> Path:
    path = tmp_path / "isvc.yaml"
    path.write_text(ISVC.format(labels=labels, more=more))
    return path


def test_a_key_given_twice_in_a_manifest_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # /tmp/red14h/imp/b1.yaml: on main the import kept the second storageUri (2.0) without a word, rc 0
    path = _write(tmp_path, more="\n      storageUri: gs://kfserving-examples/models/sklearn/2.0/model")
    assert _one_line(capsys, path) == (
        f"{path}: line 12: storageUri is given twice in one map; give each field once (kubectl's default "
        "--validate=strict refuses a duplicate field)"
    )


@pytest.mark.parametrize("value", ["n", "Y", "0o17", "08", "1e3", "+.5"])
def test_a_scalar_kubectl_reads_as_a_boolean_or_number_is_no_env_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, value: str
) -> None:
    # /tmp/red14h/imp/b6.yaml: on main `value: n` was imported as the text "n" (kubectl sends false)
    path = _write(tmp_path, more=f"\n      env:\n      - {{name: VERBOSE, value: {value}}}")
    assert _one_line(capsys, path) == (
        f"{path}: InferenceService sk: spec.predictor.model.env.0.value: give the value as text (quote a number)"
    )


def test_a_label_kubectl_reads_as_a_boolean_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = _write(tmp_path, labels="\n  labels: {canary: y}")
    assert _one_line(capsys, path) == (
        f"{path}: InferenceService sk: as an mlplatform model: stacks/Pulumi.aws-dev.yaml: "
        "mlplatform:models.sk.labels.canary: true is not allowed; give a string (quote it in YAML)"
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("y", True),
        ("N", False),
        ("yes", True),
        ("0o17", 15),
        ("08", 8.0),
        ("1e3", 1000.0),
        ("1:30", "1:30"),  # go-yaml has no base 60 (PyYAML: 90)
        ("'y'", "y"),
        ("maybe", "maybe"),
        ("010", 8),
    ],
)
def test_plain_scalars_are_read_as_kubectl_reads_them(tmp_path: Path, text: str, value: object) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(f"a: {text}\n")
    assert kimport.read_documents(path) == [{"a": value}]
