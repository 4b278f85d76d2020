"""``mlplatform import`` of KServe's collocation beside a runtime's model server and of tag routing (issue #14,
fix14n).

KServe v0.20.0's own end-to-end test of it (test/e2e/transformer/test_collocation.py
``test_transformer_collocation_runtime``): the pytorch runtime (kserve-torchserve) with a ``transformer-container``
on 8090 (``--http_port=8090 --grpc_port=8091``), calling TorchServe at ``localhost:8085``. It imports, plans with
every field kept and passes every mandatory policy. The collocation page's first tab (kserve/website
versioned_docs/version-0.20/.../transformers/collocation/collocation.md, "With Predictor Model") puts the transformer
on 8080 and 8081 instead, which kserve-torchserve's KServe wrapper takes in the same pod (``ModelServer(http_port=8080,
grpc_port=8081)``, pytorch/serve v0.9.0 kubernetes/kserve/kserve_wrapper/__main__.py, the image
pytorch/torchserve-kfs:0.9.0 the runtime runs): it is refused with one line naming the port.

Tag routing: the canary page's "Route traffic using a tag" example (kserve/website versioned_docs/version-0.20/
model-serving/predictive-inference/rollout-strategies/canary-example.md) imports as ``tagRouting: true`` and plans
with every field kept."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.plan import kimport
from components.plan.project import load_project
from support import ROOT, validate_custom_resource

sys.path.insert(0, str(ROOT / "benchmarks"))
import import_docs

E2E = {
    "apiVersion": "serving.kserve.io/v1beta1",
    "kind": "InferenceService",
    "metadata": {"name": "trans-collocation-runtime"},
    "spec": {
        "predictor": {
            "minReplicas": 1,
            "model": {
                "modelFormat": {"name": "pytorch"},
                "storageUri": "gs://kfserving-examples/models/torchserve/image_classifier/v1",
                "protocolVersion": "v1",
                "resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"cpu": "1", "memory": "4Gi"}},
            },
            "containers": [
                {
                    "name": "transformer-container",
                    "image": "kserve/image-transformer:v0.20.0",
                    "args": [
                        "--model_name=mnist",
                        "--http_port=8090",
                        "--grpc_port=8091",
                        "--predictor_host=localhost:8085",
                        "--enable_predictor_health_check",
                    ],
                    "ports": [{"containerPort": 8090, "protocol": "TCP"}],
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "1Gi"},
                        "limits": {"cpu": "100m", "memory": "1Gi"},
                    },
                    "readinessProbe": {"httpGet": {"path": "/v1/models/mnist", "port": 8090}},
                }
            ],
        }
    },
}


TAGGED = {
    "apiVersion": "serving.kserve.io/v1beta1",
    "kind": "InferenceService",
    "metadata": {
        "name": "sklearn-iris",
        "namespace": "kserve-test",
        "annotations": {"serving.kserve.io/enable-tag-routing": "true"},
    },
    "spec": {
        "predictor": {
            "model": {
                "modelFormat": {"name": "sklearn"},
                "storageUri": "gs://kserve-examples/models/sklearn/1.0/model-2",
                "resources": {
                    "requests": {"cpu": "100m", "memory": "256Mi"},
                    "limits": {"cpu": "100m", "memory": "256Mi"},
                },
            },
            "canaryTrafficPercent": 10,
        }
    },
}


def _doc_tab() -> dict[str, Any]:
    """The collocation page's first tab: the same, with the transformer on 8080 and 8081."""
    doc = copy.deepcopy(E2E)
    doc["metadata"]["name"] = "transformer-collocation"
    side = doc["spec"]["predictor"]["containers"][0]
    side["args"] = ["--model_name=mnist", "--predictor_protocol=v1", "--http_port=8080", "--grpc_port=8081",
                    "--predictor_host=localhost:8085", "--enable_predictor_health_check"]  # fmt: skip
    side["ports"] = [{"containerPort": 8080, "protocol": "TCP"}]
    side["readinessProbe"] = {"httpGet": {"path": "/v1/models/mnist", "port": 8080}}
    return doc


def _aws_dev_copy(tmp_path: Path) -> Any:
    """A project of its own with the aws-dev stack, which ``import_docs.policy_failures`` may rewrite while it plans
    (the repository's stack file stays untouched while other tests read it)."""
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (root / "infra").symlink_to(ROOT / "infra")
    (root / "stacks" / "Pulumi.aws-dev.yaml").write_text((ROOT / "stacks" / "Pulumi.aws-dev.yaml").read_text())
    return load_project(root)


def test_runtime_collocation_and_tag_routing_import_and_plan_and_the_pages_port_8080_is_one_line(
    tmp_path: Path,
) -> None:
    project = _aws_dev_copy(tmp_path)
    path = tmp_path / "isvc.yaml"
    path.write_text(yaml.safe_dump_all([E2E, _doc_tab(), TAGGED]))
    result = kimport.import_files([path], project, "aws-dev")
    (refused,) = result.refused
    assert refused.split(": InferenceService ", 1)[1] == (
        "transformer-collocation: as an mlplatform model: "
        "stacks/Pulumi.aws-dev.yaml: mlplatform:models.transformer-collocation.transformer.container.port.number: "
        "8080 is not allowed; kserve-torchserve's model server listens on 8080, 8081 in the same pod (KServe does not "
        "move it); give the transformer another port with --http_port=<port> in its args and container.port.number, "
        "and call the server at --predictor_host=localhost:8080"
    )
    rendered = kimport.rendered_isvcs(project, "aws-dev", result.imported)
    for doc, imported in zip((E2E, TAGGED), result.imported, strict=True):
        isvc = rendered[(imported.entry.get("namespace", "models"), imported.name)]
        assert kimport.round_trip_problems(doc, imported, isvc) == [], imported.name
        assert validate_custom_resource(isvc) == []
    side = rendered[("models", "trans-collocation-runtime")]["spec"]["predictor"]["containers"]
    assert [(c["name"], c["ports"]) for c in side] == [
        ("transformer-container", [{"name": "http1", "containerPort": 8090, "protocol": "TCP"}])
    ]
    # mlplatform plan of aws-dev with both entries passes every mandatory policy (the benchmark's own check)
    entries = {i.name: i.entry for i in result.imported}
    assert import_docs.policy_failures(project, "aws-dev", entries) == []


PROJECT = load_project(ROOT)


def _imported(tmp_path: Path, doc: dict[str, Any], stack: str = "aws-dev") -> kimport.ImportResult:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "isvc.yaml"
    path.write_text(yaml.safe_dump(doc))
    return kimport.import_files([path], PROJECT if stack == "aws-dev" else _standard(tmp_path), stack)


def _standard(tmp_path: Path) -> Any:
    from test_kimport import STANDARD_STACK

    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (root / "infra").symlink_to(ROOT / "infra")
    (root / "stacks" / "Pulumi.std.yaml").write_text(STANDARD_STACK)
    return load_project(root)


def _with_annotation(value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(TAGGED)
    doc["metadata"]["annotations"]["serving.kserve.io/enable-tag-routing"] = value
    return doc


def test_the_tag_routing_entry_and_its_rendered_annotation(tmp_path: Path) -> None:
    result = _imported(tmp_path, TAGGED)
    assert result.refused == []
    (imported,) = result.imported
    assert imported.entry["tagRouting"] is True
    isvc = kimport.rendered_isvcs(PROJECT, "aws-dev", [imported])[("kserve-test", "sklearn-iris")]
    assert isvc["metadata"]["annotations"]["serving.kserve.io/enable-tag-routing"] == "true"
    assert kimport.round_trip_problems(TAGGED, imported, isvc) == []


def test_tag_routing_off_is_a_note_and_not_text_or_standard_mode_is_one_line(tmp_path: Path) -> None:
    result = _imported(tmp_path, _with_annotation("false"))
    (imported,) = result.imported
    assert "tagRouting" not in imported.entry
    assert (
        ("metadata", "annotations", "serving.kserve.io/enable-tag-routing"),
        'false: KServe turns tag routing on for "true" only; left out',
    ) in imported.notes
    (line,) = _imported(tmp_path, _with_annotation(True)).refused
    assert line.endswith(
        "metadata.annotations.serving.kserve.io/enable-tag-routing: give the value as text (quote it: YAML reads "
        "true, yes and on as a boolean)"
    ), line
    (line,) = _imported(tmp_path, _with_annotation("true"), "std").refused
    assert line.endswith(
        "metadata.annotations.serving.kserve.io/enable-tag-routing: true: KServe tags revisions in Knative mode only, "
        "and the stack std serves every model in Standard mode"
    ), line


# ------------------------------------------------------------------------------------------------ storage, KEDA


def _readonly(value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(TAGGED)
    doc["metadata"]["annotations"] = {"storage.kserve.io/readonly": value}
    del doc["spec"]["predictor"]["canaryTrafficPercent"]
    return doc


def test_storage_readonly_is_kserves_default_and_false_is_one_line(tmp_path: Path) -> None:
    # kserve/website versioned_docs/version-0.20/model-serving/storage/providers/pvc.md gives "false"; KServe mounts
    # a pvc:// model read-only unless "false" (storage_initializer_injector.go GetStorageInitializerReadOnlyFlag)
    (imported,) = _imported(tmp_path, _readonly("true")).imported
    assert (
        ("metadata", "annotations", "storage.kserve.io/readonly"),
        'true: KServe mounts a pvc:// model read-only unless "false", as mlplatform leaves it',
    ) in imported.notes
    isvc = kimport.rendered_isvcs(PROJECT, "aws-dev", [imported])[("kserve-test", "sklearn-iris")]
    assert kimport.round_trip_problems(_readonly("true"), imported, isvc) == []
    (line,) = _imported(tmp_path, _readonly("false")).refused
    assert line.endswith(
        "metadata.annotations.storage.kserve.io/readonly: false: mlplatform mounts a model's pvc:// storage "
        "read-only, KServe's default (a model reads its storage and never writes it); leave it out"
    ), line


def _keda(external: dict[str, Any]) -> dict[str, Any]:
    from test_kimport import KEDA_LLM

    doc = copy.deepcopy(KEDA_LLM)
    doc["spec"]["predictor"]["autoScaling"]["metrics"][0]["external"].update(external)
    return doc


def test_a_keda_trigger_authentication_is_not_needed_by_the_platforms_prometheus(tmp_path: Path) -> None:
    # the v0.20.0 CRD's form (ExtMetricAuthentication): authModes and authenticationRef.name, which KServe's KEDA
    # reconciler puts on the trigger (keda_reconciler.go); the platform's Prometheus answers without credentials
    auth = {"authenticationRef": {"authModes": "bearer", "authenticationRef": {"name": "keda-prom-creds"}}}
    doc = _keda(auth)
    result = _imported(tmp_path, doc, "std")
    assert result.refused == []
    (imported,) = result.imported
    assert imported.entry["scaling"]["metric"] == "llm-running"
    assert (
        ("spec", "predictor", "autoScaling", "metrics", "0", "external", "authenticationRef"),
        "the platform's Prometheus (http://kube-prometheus-stack-prometheus.monitoring.svc:9090) answers without "
        "credentials; the TriggerAuthentication keda-prom-creds is not used",
    ) in imported.notes
    isvc = kimport.rendered_isvcs(_standard(tmp_path / "again"), "std", [imported])[("models", imported.name)]
    assert kimport.round_trip_problems(doc, imported, isvc) == []


@pytest.mark.parametrize(
    ("external", "field", "why"),
    [
        (
            # kserve/website versioned_docs/version-0.20/.../autoscaling/keda-autoscaler.md: authModes in the metric
            {"metric": {"backend": "prometheus", "query": "vllm:num_requests_running", "authModes": "bearer"}},
            "external.metric.authModes",
            "not a field of KServe v0.20.0's metric, so the API server refuses it (its CRD puts authModes in "
            "external.authenticationRef)",
        ),
        (
            {"authenticationRef": {"name": "keda-prom-creds"}},
            "external.authenticationRef.name",
            "not a field of KServe v0.20.0's authenticationRef, so the API server refuses it (its CRD: "
            "authenticationRef: {authModes, authenticationRef: {name}})",
        ),
    ],
    ids=["page-authModes", "page-authenticationRef"],
)
def test_the_keda_pages_authentication_is_not_the_crds_and_is_one_line(
    tmp_path: Path, external: dict[str, Any], field: str, why: str
) -> None:
    (line,) = _imported(tmp_path, _keda(external), "std").refused
    assert line.endswith(f"spec.predictor.autoScaling.metrics.0.{field}: {why}"), line


def _fixed(**predictor: Any) -> dict[str, Any]:
    from test_kimport import HPA

    doc = copy.deepcopy(HPA)
    doc["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] = "none"
    doc["spec"]["predictor"].update(predictor)
    return doc


def test_no_autoscaler_is_a_fixed_count(tmp_path: Path) -> None:
    # KServe v0.20.0 with autoscalerClass none: no HPA (shouldCreateHPA), the Deployment's replicas = minReplicas
    # (createRawDefaultDeployment); maxReplicas is read by no one
    doc = _fixed(minReplicas=2, maxReplicas=5)
    result = _imported(tmp_path, doc, "std")
    assert result.refused == []
    (imported,) = result.imported
    assert {k: imported.entry["scaling"][k] for k in ("minReplicas", "maxReplicas")} == {
        "minReplicas": 2,
        "maxReplicas": 2,
    }
    assert (
        ("metadata", "annotations", "serving.kserve.io/autoscalerClass"),
        "none: KServe runs no autoscaler and keeps minReplicas pods (2); mlplatform keeps 2 with minReplicas = "
        "maxReplicas = 2 (KServe's HPA cannot change the count)",
    ) in imported.notes
    assert (
        ("spec", "predictor", "maxReplicas"),
        "5: KServe reads no maxReplicas without an autoscaler (none)",
    ) in imported.notes
    isvc = kimport.rendered_isvcs(_standard(tmp_path / "again"), "std", [imported])[("models", imported.name)]
    assert (isvc["spec"]["predictor"]["minReplicas"], isvc["spec"]["predictor"]["maxReplicas"]) == (2, 2)
    assert kimport.round_trip_problems(doc, imported, isvc) == []
    # without minReplicas: Kubernetes' default, one pod
    (one,) = _imported(tmp_path / "one", _fixed(), "std").imported
    assert {k: one.entry["scaling"][k] for k in ("minReplicas", "maxReplicas")} == {"minReplicas": 1, "maxReplicas": 1}
    # with a vLLM metric the class is KEDA's
    (line,) = _imported(tmp_path / "llm", _keda({}) | {"metadata": _fixed()["metadata"]}, "std").refused
    assert line.endswith(
        "metadata.annotations.serving.kserve.io/autoscalerClass: none: a vLLM metric scales through KEDA "
        "(autoscalerClass: keda)"
    ), line
