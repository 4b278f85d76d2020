"""``mlplatform import``: red team #14k's breaks (/work/wt/red14k-report.md): a tag after a flow ``:`` is refused as
any tag is; the YAML printed to paste is read by the stack loader (go-yaml v3's reading) as the same strings."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.plan import kimport
from components.plan.project import load_project
from support import ROOT
from support import import_refusal_line as _one_line

PROJECT = load_project(ROOT)

FLOW_TAG = """apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: sk
  namespace: models
spec:
  predictor: {"minReplicas":!!float 010, "maxReplicas":!!float 011,
    "model":{"modelFormat":{"name":"sklearn"},"storageUri":"gs://kfserving-examples/models/sklearn/1.0/model"}}
"""


def test_a_tag_right_after_a_flow_colon_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # k2-import-flowtag.yaml: main imported minReplicas 10 and maxReplicas 11; kubectl (go-yaml v2.4.0) sends 8 and 9
    path = tmp_path / "isvc.yaml"
    path.write_text(FLOW_TAG)
    assert _one_line(capsys, path) == (
        f'{path}: not YAML: a value tagged !!float is not read here; remove the tag (quote text) in "<unicode string>", '
        "line 7, column 29"
    )
