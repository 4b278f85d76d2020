"""Red team #14m (/work/wt/red14m-report.md, Part A): imports that changed what KServe would run without saying so
(W2, W3, I1, I2, I4) and a misleading refusal (secretKeyRef with optional: true)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.plan.cli import main as cli
from support import ROOT, import_refusal_line, write_manifest

SKLEARN = {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model"}


def _doc(predictor: dict[str, Any], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "m", "namespace": "models"}
    if annotations:
        meta["annotations"] = annotations
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": meta,
        "spec": {"predictor": predictor},
    }


def _import(tmp_path: Path, capsys: pytest.CaptureFixture[str], doc: dict[str, Any]) -> tuple[dict[str, Any], str]:
    code = cli(["import", str(write_manifest(tmp_path, doc)), "--project", str(ROOT), "--stack", "aws-dev"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return yaml.safe_load(out)["m"], err


def test_knative_hpa_class_without_a_metric_scales_on_cpu(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # main (9c2eedb): no scaling.metric, so KPA concurrency scaling; Knative's PodAutoscaler gives the HPA class cpu
    # (knative/serving knative-v1.21.0 pkg/apis/autoscaling/v1alpha1/pa_defaults.go defaultMetric)
    doc = _doc({"model": SKLEARN}, {"autoscaling.knative.dev/class": "hpa.autoscaling.knative.dev"})
    entry, err = _import(tmp_path, capsys, doc)
    assert entry["scaling"]["metric"] == "cpu"
    assert (
        "m: metadata.annotations.autoscaling.knative.dev/class: no metric given: Knative's HPA class scales on cpu by "
        "default (pa_defaults.go defaultMetric); imported as scaling.metric: cpu"
    ) in err


def test_knative_hpa_class_with_a_metric_keeps_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _doc(
        {"model": SKLEARN},
        {"autoscaling.knative.dev/class": "hpa.autoscaling.knative.dev", "autoscaling.knative.dev/metric": "cpu"},
    )
    entry, err = _import(tmp_path, capsys, doc)
    assert entry["scaling"]["metric"] == "cpu"
    assert "no metric given" not in err
    assert "Knative's HPA class is set when scaling.metric is cpu or memory" in err


def test_limits_without_requests_are_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # main: no note; KServe's webhook requests 1 CPU and 2Gi (inference_service_defaults.go
    # setResourceRequirementDefaults; chart kserve-resources v0.20.0 kserve.inferenceservice.resources.requests)
    doc = _doc({"model": {**SKLEARN, "resources": {"limits": {"cpu": "3", "memory": "8Gi"}}}})
    entry, err = _import(tmp_path, capsys, doc)
    assert entry["resources"] == {"cpu": "3", "memory": "8Gi"}
    assert (
        "m: spec.predictor.model.resources.limits.cpu: no cpu request: KServe's webhook would request 1 (its "
        "inferenceservice.resources default); mlplatform requests the limit, 3"
    ) in err
    assert (
        "m: spec.predictor.model.resources.limits.memory: no memory request: KServe's webhook would request 2Gi (its "
        "inferenceservice.resources default); mlplatform requests the limit, 8Gi"
    ) in err


def test_old_huggingface_form_keeps_kserves_v2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # main: protocol openai (mlplatform's huggingface default), so /v2 calls got 403; KServe gives the old form v2
    # (inference_service_defaults.go assignHuggingFaceRuntime, v0.20.0)
    doc = _doc({"huggingface": {"storageUri": "hf://google-bert/bert-base-uncased", "args": ["--model_name=m"]}})
    entry, err = _import(tmp_path, capsys, doc)
    assert entry["protocol"] == "v2"
    assert (
        "m: spec.predictor.huggingface: no protocolVersion: KServe serves the old huggingface form with v2; imported "
        "as protocol: v2"
    ) in err


def test_old_huggingface_form_with_a_protocol_keeps_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _doc({"huggingface": {"storageUri": "hf://google-bert/bert-base-uncased", "protocolVersion": "v1"}})
    entry, _ = _import(tmp_path, capsys, doc)
    assert entry["protocol"] == "v1"


def _custom(run_as_user: object) -> dict[str, Any]:
    return _doc(
        {
            "containers": [
                {
                    "name": "kserve-container",
                    "image": "ghcr.io/acme/server:1.0",
                    "securityContext": {"runAsUser": run_as_user},
                    "ports": [{"containerPort": 8080}],
                }
            ]
        }
    )


def test_run_as_user_written_as_a_whole_float_is_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # main: 1e3 (kubectl sends the int64 1000) was dropped with the generic security-context note
    entry, err = _import(tmp_path, capsys, _custom(1000.0))
    assert entry["container"]["runAsUser"] == 1000
    assert "the platform's security context applies" not in err


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("1000", '"1000": give the user\'s number unquoted (an int64; the API server refuses text)'),
        (2147483648, "2147483648: give a user id from 0 to 2147483647 (Kubernetes' range)"),
    ],
)
def test_run_as_user_the_api_server_refuses_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], given: object, problem: str
) -> None:
    path = write_manifest(tmp_path, _custom(given))
    assert import_refusal_line(capsys, path) == (
        f"{path}: InferenceService m: spec.predictor.containers.0.securityContext.runAsUser: {problem}"
    )


def test_a_reference_to_a_later_variable_is_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Kubernetes leaves $(ZONE) as written when ZONE comes later; mlplatform orders the variables so it expands
    doc = _doc(
        {"model": {**SKLEARN, "env": [{"name": "AREA", "value": "$(ZONE)-west"}, {"name": "ZONE", "value": "eu"}]}}
    )
    entry, err = _import(tmp_path, capsys, doc)
    assert entry["env"] == {"AREA": "$(ZONE)-west", "ZONE": "eu"}
    assert (
        "m: spec.predictor.model.env.0.value: $(ZONE) names a variable defined later in the list, which Kubernetes "
        "leaves as written; mlplatform renders each variable after the ones it references, so it expands"
    ) in err


def test_an_earlier_reference_and_a_secret_reference_in_a_url_import_without_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # main: "env.DB_URL: [plain text] is not allowed; a credential in env ..." (the reference looked like a password)
    env = [
        {"name": "DB_PASS", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
        {"name": "DB_URL", "value": "postgres://app:$(DB_PASS)@db.models:5432/features"},
    ]
    entry, err = _import(tmp_path, capsys, _doc({"model": {**SKLEARN, "env": env}}))
    assert entry["env"] == {"DB_URL": "postgres://app:$(DB_PASS)@db.models:5432/features"}
    assert entry["secretEnv"] == {"DB_PASS": {"secret": "db", "key": "password"}}
    assert "defined later" not in err


def test_an_optional_secret_key_ref_names_what_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # main: "mlplatform reads a variable from a Secret key only (secretKeyRef)", about a secretKeyRef
    env = [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k", "optional": True}}}]
    path = write_manifest(tmp_path, _doc({"model": {**SKLEARN, "env": env}}))
    assert import_refusal_line(capsys, path) == (
        f"{path}: InferenceService m: spec.predictor.model.env.0.valueFrom.secretKeyRef.optional: mlplatform's "
        "secretEnv needs the Secret key (no optional form); remove optional: true"
    )


def test_a_knative_target_written_as_a_float_is_read_as_knative_reads_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # main: "give a whole number" for "1e2"; Knative reads the target with strconv.ParseFloat (knative-v1.21.0
    # pkg/apis/autoscaling/annotation_validation.go validateFloats)
    entry, _ = _import(tmp_path, capsys, _doc({"model": SKLEARN}, {"autoscaling.knative.dev/target": "1e2"}))
    assert entry["scaling"]["target"] == 100


def test_a_fractional_knative_target_is_refused_naming_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_manifest(tmp_path, _doc({"model": SKLEARN}, {"autoscaling.knative.dev/target": "0.5"}))
    assert import_refusal_line(capsys, path) == (
        f"{path}: InferenceService m: metadata.annotations.autoscaling.knative.dev/target: 0.5: Knative reads a "
        "fractional target, but mlplatform's scaling.target is a whole number; give one"
    )


STANDARD_STACK = """\
config:
  mlplatform:cloud: aws
  mlplatform:region: us-east-1
  mlplatform:cluster:
    name: mlp-std
    apiAccess:
      publicCidrs: [203.0.113.0/24]
      deployFrom: [203.0.113.0/24]
  mlplatform:platform:
    deploymentMode: Standard
    domain: models.example.com
  mlplatform:tags:
    owner: platform-team
"""


def test_standard_mode_min_replicas_zero_imports_as_kserves_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # main: refused ("scale to zero needs platform.deploymentMode: Knative"); KServe's HPA keeps at least
    # constants.DefaultMinReplicas, 1 (pkg/controller/v1beta1/inferenceservice/reconcilers/hpa/hpa_reconciler.go
    # createHPA, v0.20.0)
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (root / "infra").symlink_to(ROOT / "infra")
    (root / "stacks" / "Pulumi.std.yaml").write_text(STANDARD_STACK)
    doc = _doc({"minReplicas": 0, "model": SKLEARN}, {"serving.kserve.io/deploymentMode": "Standard"})
    code = cli(["import", str(write_manifest(tmp_path, doc)), "--project", str(root), "--stack", "std"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert yaml.safe_load(out)["m"]["scaling"]["minReplicas"] == 1
    assert (
        "m: spec.predictor.minReplicas: 0 in Standard mode: KServe's HPA keeps at least 1 replica (hpa_reconciler.go "
        "createHPA); imported as 1"
    ) in err
