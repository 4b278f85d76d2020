"""``mlplatform import``: the breaks red team #14e found (/work/wt/red14e-report.md, items 1-4), each refused in one
line or said on stderr instead of changed silently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from isvc_support import custom_isvc

from components.plan import kimport
from components.plan.cli import main
from components.plan.project import load_project
from support import ROOT
from support import import_refusal_line as _one_line
from support import write_manifest as _write

PROJECT = load_project(ROOT)


# ------------------------------------------------------------------------------------------------ 1: probes


@pytest.mark.parametrize(
    ("probe", "where", "says"),
    [
        # G14: gRPC health on a port the render treats as HTTP (no h2c/grpc in its name): it rendered tcpSocket
        (
            {"grpc": {"port": 8080}},
            "readinessProbe.grpc",
            "mlplatform probes an HTTP port with tcpSocket, or httpGet with a path; give one of them, or name the port "
            "h2c (gRPC)",
        ),
        # G15/G16 on a free port: the render probed 8080 instead
        (
            {"tcpSocket": {"port": 8081}},
            "readinessProbe.tcpSocket.port",
            "8081: mlplatform probes the container's port 8080; give 8080 or leave it out",
        ),
        (
            {"httpGet": {"path": "/h", "port": 8081}},
            "readinessProbe.httpGet.port",
            "8081: mlplatform probes the container's port 8080; give 8080 or leave it out",
        ),
    ],
)
def test_a_probe_the_render_would_change_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, probe: dict[str, Any], where: str, says: str
) -> None:
    path = _write(tmp_path, custom_isvc(readinessProbe=probe))
    assert _one_line(capsys, path) == (f"{path}: InferenceService m1: spec.predictor.containers.0.{where}: {says}")


def test_a_tcp_probe_of_a_grpc_port_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    doc = custom_isvc(ports=[{"name": "h2c", "containerPort": 8080}], livenessProbe={"tcpSocket": {"port": 8080}})
    path = _write(tmp_path, doc)
    assert _one_line(capsys, path) == (
        f"{path}: InferenceService m1: spec.predictor.containers.0.livenessProbe.tcpSocket: mlplatform probes a gRPC "
        "port (named h2c) with grpc; give grpc"
    )


def test_a_probe_the_render_keeps_imports_and_renders_as_given(tmp_path: Path) -> None:
    doc = custom_isvc(
        ports=[{"name": "h2c", "containerPort": 8080}],
        readinessProbe={"grpc": {"port": 8080}, "periodSeconds": 5},
        livenessProbe={"grpc": {"port": "h2c"}, "failureThreshold": 6},
    )
    (imported,) = kimport.import_files([_write(tmp_path, doc)], PROJECT, "aws-dev").imported
    isvc = kimport.rendered_isvcs(PROJECT, "aws-dev", [imported])[("models", "m1")]
    server = isvc["spec"]["predictor"]["containers"][0]
    assert server["readinessProbe"] == {
        "grpc": {"port": 8080},
        "initialDelaySeconds": 0,
        "periodSeconds": 5,
        "timeoutSeconds": 1,
        "failureThreshold": 3,
    }
    assert server["livenessProbe"]["grpc"] == {"port": 8080}  # the port's name, h2c, is that port
    assert server["livenessProbe"]["failureThreshold"] == 6


# ------------------------------------------------------------------------------------------------ 2: env twice


@pytest.mark.parametrize("name", ["STORAGE_URI", "PROTOCOL"])
@pytest.mark.parametrize("component", ["predictor", "transformer"])
def test_storage_uri_or_protocol_given_twice_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, component: str
) -> None:
    # KServe v0.20.0 reads the first STORAGE_URI / PROTOCOL of the container (pkg/apis/serving/v1beta1/
    # transformer_custom.go and predictor_custom.go GetStorageUri: the first env entry of that name); the import
    # took the last. Any other name given twice was already refused.
    values = ["gs://kfserving-examples/a", "gs://kfserving-examples/b"] if name == "STORAGE_URI" else ["v1", "v2"]
    env = [{"name": name, "value": v} for v in values]
    doc = custom_isvc(env=env)
    if component == "transformer":
        doc["spec"]["predictor"] = {
            "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://kfserving-examples/models/sklearn/1.0"}
        }
        doc["spec"]["transformer"] = {"containers": [{"name": "kserve-container", "image": "ghcr.io/acme/t:1.0"}]}
        doc["spec"]["transformer"]["containers"][0]["env"] = env
    path = _write(tmp_path, doc)
    where = "predictor.containers.0" if component == "predictor" else "transformer.containers.0"
    assert _one_line(capsys, path) == f"{path}: InferenceService m1: spec.{where}.env.1: {name} is given twice"


# ------------------------------------------------------------------------------------------------ 3: image


def test_an_image_that_yaml_reads_as_a_number_is_refused_not_retyped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # M22: image: 1.10 was imported as '1.1'; the CRD types Container.image as a string
    # (/work/shared/upstream/crd-schemas/serving.kserve.io), so the API server refuses the number
    path = tmp_path / "isvc.yaml"
    path.write_text(
        yaml.safe_dump(custom_isvc(), sort_keys=False).replace("image: ghcr.io/acme/srv:1.0", "image: 1.10")
    )
    assert _one_line(capsys, path) == (
        f"{path}: InferenceService m1: spec.predictor.containers.0.image: give the value as text (quote a number)"
    )


# ------------------------------------------------------------------------------------------------ 4: prod replicas

SKLEARN = {
    "apiVersion": "serving.kserve.io/v1beta1",
    "kind": "InferenceService",
    "metadata": {"name": "m1", "namespace": "models"},
    "spec": {
        "predictor": {
            "model": {
                "modelFormat": {"name": "sklearn"},
                "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
            }
        }
    },
}
PROD_NOTE = (
    "scaling.minReplicas: 1, and the stack gcp-prod is prod: add scaling.minReplicas: 2 to mlplatform:models.m1 (the "
    "plan fails the policy prod-model-replicas without it, unless the stack overrides that policy with a reason)"
)


def test_an_import_into_a_prod_stack_says_what_its_replica_policy_needs(tmp_path: Path) -> None:
    (imported,) = kimport.import_files([_write(tmp_path, SKLEARN)], PROJECT, "gcp-prod").imported
    assert ((), PROD_NOTE) in imported.notes
    assert "minReplicas" not in imported.entry.get("scaling", {})  # the manifest's count (KServe's default 1) kept
    # not on a dev stack, and not when the manifest gives enough
    (dev,) = kimport.import_files([_write(tmp_path, SKLEARN)], PROJECT, "aws-dev").imported
    assert not any("prod" in note for _, note in dev.notes)
    doc = json.loads(json.dumps(SKLEARN))
    doc["spec"]["predictor"]["minReplicas"] = 2
    (enough,) = kimport.import_files([_write(tmp_path, doc)], PROJECT, "gcp-prod").imported
    assert not any("prod" in note for _, note in enough.notes)


def test_the_entry_with_what_the_prod_note_names_passes_the_prod_policy(tmp_path: Path) -> None:
    (imported,) = kimport.import_files([_write(tmp_path, SKLEARN)], PROJECT, "gcp-prod").imported
    entry = {**imported.entry, "scaling": {**imported.entry.get("scaling", {}), "minReplicas": 2}}
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (root / "infra").symlink_to(ROOT / "infra")
    stack = yaml.safe_load((ROOT / "stacks" / "Pulumi.gcp-prod.yaml").read_text())
    models = stack["config"].get("mlplatform:models") or {}
    stack["config"]["mlplatform:models"] = {**models, "m1": entry}
    (root / "stacks" / "Pulumi.gcp-prod.yaml").write_text(yaml.safe_dump(stack, sort_keys=False))
    out = tmp_path / "plan.json"
    main(["plan", "--project", str(root), "--stack", "gcp-prod", "--json", str(out)])
    (saved,) = json.loads(out.read_text())["stacks"]
    replicas = [p for p in saved["policies"] if p["policy"] == "prod-model-replicas"]
    assert replicas and all(p["passed"] is not False for p in replicas), replicas
