"""``mlplatform import``: red team #14k's breaks (/work/wt/red14k-report.md): a tag after a flow ``:`` is refused as
any tag is; the YAML printed to paste is read by the stack loader (go-yaml v3's reading) as the same strings."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml

from components.plan import kimport
from components.plan.project import load_project, parse_stack_text, plain_reads_as_text
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
        f"{path}: not YAML: a value tagged !!float is not read here; remove the tag (quote text) in "
        '"<unicode string>", line 7, column 29'
    )


ENV = """apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: sk
  namespace: models
spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
      storageUri: gs://kfserving-examples/models/sklearn/1.0/model
      env:
      - {name: X, value: %s}
"""
# Texts go-yaml v3 (the Pulumi CLI) reads as a number, a timestamp, a boolean or null where PyYAML's YAML 1.1 dumper
# writes them plain (e.yaml: 0o17, 1e3, 08, 2024-1-5, 2024-01-05t1:2:3Z were printed unquoted), and texts that stay text
TEXTS = ["0o17", "1e3", "08", "2024-1-5", "2024-01-05t1:2:3Z", "0x1F", "-.5", "+1", "1_000", "2001-12-14 21:59:43.10"]
TEXTS += ["true", "True", "yes", "~", "null", "<<", "12:30", "1abc", "v1", "0x1G", ".inf", "-.Inf", ".NaN", "0b101"]


@pytest.mark.parametrize("text", TEXTS)
def test_the_printed_yaml_is_read_back_by_the_stack_loader_as_the_same_text(text: str, tmp_path: Path) -> None:
    path = tmp_path / "isvc.yaml"
    path.write_text(ENV % json.dumps(text))
    printed = kimport.to_yaml(kimport.import_files([path], PROJECT, "aws-dev").imported)
    stack = "config:\n  mlplatform:models:\n" + textwrap.indent(printed, "    ")
    doc = parse_stack_text(stack.encode(), "stacks/Pulumi.x.yaml")
    assert doc["config"]["mlplatform:models"]["sk"]["env"] == {"X": text}


@pytest.mark.parametrize("text", ["0o17", "1e3", "08", "2024-1-5", "2024-01-05t1:2:3Z", "0b101", "-.Inf"])
def test_a_text_go_yaml_reads_otherwise_is_printed_quoted(text: str) -> None:
    assert not plain_reads_as_text(text)
    assert kimport.to_yaml([]) == "{}\n"
    assert yaml.dump({"X": text}, Dumper=kimport._StackDumper) == f"X: '{text}'\n"


def test_a_plain_text_stays_plain() -> None:
    assert [
        t for t in ["v1", "1abc", "0x1G", "a-b", "gs://b/m", "2001-12-14T21:59:43"] if not plain_reads_as_text(t)
    ] == []


@pytest.mark.parametrize(
    ("args", "index"),
    [('["--password=hunter2hunter2", "--workers", "2"]', 0), ('["--workers", "2", "--api-key", "hunter2hunter2"]', 3)],
)
def test_a_credential_flag_in_args_is_refused_masked(
    args: str, index: int, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # red14k (noticed): main imported args ["--password=hunter2hunter2", ...] and printed them; env refuses credentials
    path = tmp_path / "isvc.yaml"
    path.write_text(ENV.replace("      env:\n      - {name: X, value: %s}\n", f"      args: {args}\n"))
    line = _one_line(capsys, path)
    assert line == (
        f"{path}: InferenceService sk: as an mlplatform model: stacks/Pulumi.aws-dev.yaml: mlplatform:models.sk.args."
        f"{index}: [plain text] is not allowed; a credential in args would be stored in plain text in the manifests "
        "and the state; reference a Secret with secretEnv (a Hugging Face token: llm.huggingfaceTokenKey), and read "
        "storage with the model's cloud identity or storageSecret"
    )
    assert "hunter2" not in line
