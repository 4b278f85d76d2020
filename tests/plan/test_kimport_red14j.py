"""``mlplatform import``: red team #14j's breaks 1, 5 and 6 (/work/wt/red14j-report.md): a tagged scalar is one line
without its value, never a traceback; a mountPath KServe's webhook refuses is refused; ``kubectl get isvc -o yaml``
output (server-set fields, ``kind: List``, numbers and dates as kubectl sends them) is importable."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.plan import kimport
from components.plan.project import load_project
from support import ROOT
from support import import_refusal_line as _one_line

PROJECT = load_project(ROOT)

ISVC = """apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: sk
  namespace: models{meta}
spec:
  predictor:{predictor}
    model:
      modelFormat: {{name: sklearn}}
      storageUri: gs://kfserving-examples/models/sklearn/1.0/model{more}
"""


def _write(tmp_path: Path, meta: str = "", predictor: str = "", more: str = "", text: str | None = None) -> Path:
    path = tmp_path / "isvc.yaml"
    path.write_text(text if text is not None else ISVC.format(meta=meta, predictor=predictor, more=more))
    return path


def _import(path: Path) -> kimport.ImportResult:
    return kimport.import_files([path], PROJECT, "aws-dev")


def test_a_tagged_env_value_is_one_line_without_the_secret(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # b1-import-secret.yaml: main raised ValueError (exit 70) and printed "invalid literal ... '9s3cr3tzz'"
    path = _write(tmp_path, more="\n      env:\n      - {name: HF_TOKEN, value: !!int 9s3cr3tzz}")
    line = _one_line(capsys, path)
    assert line == (
        f'{path}: not YAML: a value tagged !!int is not read here; remove the tag (quote text) in "<unicode string>", '
        "line 12, column 33"
    )
    assert "s3cr3t" not in line


def test_a_mount_path_with_two_dots_inside_a_name_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # b5-import-dotdot.yaml: main kept /mnt/a..b; KServe v0.20.0 inference_service_validation.go line 743 refuses any
    # MountPath containing ".."
    text = ISVC.format(meta="", predictor="", more="").replace(
        "      storageUri: gs://kfserving-examples/models/sklearn/1.0/model\n",
        "    storageUris:\n    - {uri: 'gs://kfserving-examples/models/sklearn/1.0/model', mountPath: /mnt/a..b}\n",
    )
    result = _import(_write(tmp_path, text=text))
    assert result.imported == []
    assert [line.split(": ", 1)[1] for line in result.refused] == [
        "InferenceService sk: as an mlplatform model: stacks/Pulumi.aws-dev.yaml: "
        "mlplatform:models.sk.storageUris.0.mountPath: /mnt/a..b is not allowed; give an absolute path such as "
        "/mnt/models/extra (printable, no .. or //)"
    ]


KUBECTL_GET = """apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"serving.kserve.io/v1beta1","kind":"InferenceService","metadata":{"name":"sk"}}
  creationTimestamp: "2025-01-07T10:00:00Z"
  finalizers:
  - inferenceservice.finalizers
  generation: 1
  managedFields: []
  name: sk
  namespace: models
  resourceVersion: "12345"
  uid: 3f1c2a8e-1111-2222-3333-444455556666
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      name: ""
      resources: {}
      storageUri: gs://kfserving-examples/models/sklearn/1.0/model
status:
  url: http://sk-models.example.com
"""


def test_kubectl_get_output_is_importable(tmp_path: Path) -> None:
    # b6-kubectl-get.yaml: main refused metadata.finalizers (KServe's controller.go line 178 adds it), then
    # spec.predictor.model.name ("" on every live object: the inlined corev1.Container's name has no omitempty)
    result = _import(_write(tmp_path, text=KUBECTL_GET))
    assert result.refused == []
    assert [i.name for i in result.imported] == ["sk"]
    assert result.imported[0].entry["storageUri"] == "gs://kfserving-examples/models/sklearn/1.0/model"


def test_a_kubectl_list_is_read_item_by_item(tmp_path: Path) -> None:
    # b6-kubectl-get-list.yaml: main said "no InferenceService" for kubectl get's kind: List
    item = "\n".join("  " + line if line else line for line in KUBECTL_GET.splitlines())
    text = f'apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: ""\nitems:\n-{item[1:]}\n'
    result = _import(_write(tmp_path, text=text))
    assert result.refused == [] and result.skipped == []
    assert [i.name for i in result.imported] == ["sk"]


@pytest.mark.parametrize(
    ("written", "finalizer"),
    [("[example.com/keep]", "example.com/keep"), ("[inferenceservice.finalizers, x]", "x")],
)
def test_another_finalizer_is_refused(tmp_path: Path, written: str, finalizer: str) -> None:
    result = _import(_write(tmp_path, meta=f"\n  finalizers: {written}"))
    assert result.imported == []
    assert result.refused[0].split(": ", 2)[2].startswith("metadata.finalizers.")
    assert result.refused[0].endswith(
        "mlplatform has no equivalent of this finalizer (only inferenceservice.finalizers)"
    ), finalizer


def test_a_named_model_container_is_still_refused(tmp_path: Path) -> None:
    result = _import(_write(tmp_path, more="\n      name: server"))
    assert result.imported == []
    assert result.refused[0].endswith(
        "spec.predictor.model.name: mlplatform has no equivalent of this predictor model field"
    )


@pytest.mark.parametrize(("written", "sent"), [("3.0", 3), ("08", 8), ("1e1", 10)])
def test_a_whole_float_replica_count_is_the_integer_kubectl_sends(tmp_path: Path, written: str, sent: int) -> None:
    # sigs.k8s.io/yaml v1.6.0 yamlToJSONTarget + encoding/json floatEncoder: 3.0 is sent as 3; main refused it
    result = _import(_write(tmp_path, predictor=f"\n    maxReplicas: {written}"))
    assert result.refused == []
    assert result.imported[0].entry["scaling"]["maxReplicas"] == sent


def test_a_fractional_replica_count_is_still_refused(tmp_path: Path) -> None:
    result = _import(_write(tmp_path, predictor="\n    maxReplicas: 1.5"))
    assert result.imported == []
    assert result.refused[0].endswith("spec.predictor.maxReplicas: give a whole number")


def test_a_date_env_value_is_the_text_kubectl_sends(tmp_path: Path) -> None:
    # kubernetes-sigs/yaml goyaml.v2/decode.go scalar keeps a timestamp decoded into interface{} as its text;
    # main refused "give the value as text"
    result = _import(_write(tmp_path, more="\n      env:\n      - {name: RELEASE, value: 2024-01-05}"))
    assert result.refused == []
    assert result.imported[0].entry["env"] == {"RELEASE": "2024-01-05"}
