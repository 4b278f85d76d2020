"""Red team #14l break 7 (/work/wt/red14l-report.md): importing a KServe sample into a GCP stack granted the model's
identity IAM on KServe's public bucket gs://kfserving-examples, another project's, so ``pulumi up`` failed (403).
KServe's sample buckets are imported as ``publicStorage: true`` on every stack, with a note."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.plan.cli import main as cli
from support import ROOT, write_manifest


def _doc(uri: str) -> dict[str, object]:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "sample", "namespace": "models"},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": uri}}},
    }


@pytest.mark.parametrize("uri", ["gs://kfserving-examples/models/sklearn/1.0/model", "gs://seldon-models/sklearn/iris"])
def test_kserves_public_buckets_are_public_storage_on_a_gcp_stack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], uri: str
) -> None:
    # main (01fc987): no publicStorage, "read with the model's own cloud identity, which the stack grants read access"
    code = cli(["import", str(write_manifest(tmp_path, _doc(uri))), "--project", str(ROOT), "--stack", "gcp-prod"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert yaml.safe_load(out)["sample"]["publicStorage"] is True
    bucket = uri.split("/")[2]
    assert (
        f"sample: {uri} is in {bucket}, a public bucket of KServe's samples, read anonymously (publicStorage: true): "
        "no IAM grant is rendered on another project's bucket"
    ) in err


def test_a_bucket_of_the_stacks_project_keeps_the_model_identity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = "gs://mlplatform-prod-models/sklearn/iris"
    code = cli(["import", str(write_manifest(tmp_path, _doc(uri))), "--project", str(ROOT), "--stack", "gcp-prod"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "publicStorage" not in yaml.safe_load(out)["sample"]
    assert f"{uri} is read with the model's own cloud identity" in err


# red14l break 6: kubectl's reader (go-yaml v2, the same escape and directive rules) refuses these; main imported
# "\ud83d\ude00" as two lone surrogates and printed them back as escapes the Pulumi CLI refuses


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (
            '"gs:\\/\\/kfserving-examples\\/models"',
            'the escape \\/ in a "quoted" value is not allowed; kubectl\'s reader (go-yaml v2) refuses it: write / '
            "alone",
        ),
        (
            '"\\ud83d\\ude00"',
            "the escape \\ud83d (a UTF-16 surrogate) is not allowed; kubectl's reader (go-yaml v2) refuses it: write "
            "the character itself, or \\U and its 8-digit code point (\\U0001F600)",
        ),
    ],
)
def test_an_escape_kubectl_refuses_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, problem: str
) -> None:
    path = tmp_path / "isvc.yaml"
    path.write_text(
        "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: e}\nspec:\n  predictor:\n"
        f"    model:\n      modelFormat: {{name: sklearn}}\n      storageUri: {value}\n"
    )
    code = cli(["import", str(path), "--project", str(ROOT), "--stack", "local"])
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", f"{path}: line 8: {problem}\n")


# red14l break 9: the platform's defaults that differ from plain KServe each get a note (Knative stacks)


def test_scale_down_delay_and_timeout_defaults_are_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # main (01fc987): neither note; the imported transformer sample then warned about a 900 s timeout nobody gave
    uri = "gs://kfserving-examples/models/sklearn/1.0/model"
    code = cli(["import", str(write_manifest(tmp_path, _doc(uri))), "--project", str(ROOT), "--stack", "local"])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert (
        "sample: scaleDownDelay: not given; mlplatform keeps a replica 5m after the traffic for it is gone "
        "(autoscaling.knative.dev/scale-down-delay; plain KServe sets none, and Knative's default is 0s)"
    ) in err
    assert (
        "sample: timeout: not given; mlplatform gives the predictor its cold-start budget plus the request's time, "
        "at most 1800 s (plain KServe leaves Knative's revision timeout, 300 s); give timeout to set it"
    ) in err
