"""The fifth red team's findings against the input contract (red14o, issue #14): each was accepted and would have
deployed wrong; each is now refused before anything is registered, with one line naming the key path.

W1-W3: a collocated ``transformer-container`` gets nothing from KServe (pkg/controller/v1beta1/inferenceservice/
components/predictor.go ``buildPodSpec`` v0.20.0 copies it as given; transformer_custom.go:93-110 adds
``--model_name``, ``--predictor_host`` and ``--http_port`` only to a transformer of its own), and the kserve Python
server's defaults (python/kserve/kserve/model_server.py v0.20.0: ``--grpc_port`` 8081 with ``--enable_grpc`` true,
``--model_name`` "model"; model.py ``predict`` raises without ``--predictor_host``) break the pod or every call.
W4: the transformer's and explainer's Knative hosts. W5: an ``oci://`` digest. W6: ``$(PROTOCOL)`` rendered after the
variable that names it. M1: ``model-declared-secrets`` reads a collocated transformer's container.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from serving_support import model, plan

from components.errors import SpecError
from components.plan.cli import main as cli
from components.serving.spec import ModelSpec
from components.spec import SpecInvalid

IMAGE = "kserve/image-transformer:v0.20.0"
FULL = ["--model_name=iris", "--http_port=8090", "--grpc_port=8091", "--predictor_host=localhost:8080"]


def _side(args: list[str]) -> dict[str, Any]:
    return {"collocated": True, "container": {"image": IMAGE, "port": {"number": 8090}}, "args": args}


def _error(**overrides: Any) -> str:
    with pytest.raises((SpecInvalid, SpecError)) as e:
        plan(model(**overrides), deployment_mode="Knative")
    return str(e.value)


def test_the_full_collocated_args_plan() -> None:
    plan(model(transformer=_side(FULL)), deployment_mode="Knative")
    # --enable_grpc=false instead of a gRPC port: the transformer binds no gRPC port at all
    plan(model(transformer=_side([*FULL[:2], "--enable_grpc=false", FULL[3]])), deployment_mode="Knative")


def test_w1_the_default_grpc_port_beside_a_server_on_8081_is_refused() -> None:
    args = [FULL[0], FULL[1], FULL[3]]
    assert _error(transformer=_side(args)).endswith(
        f"transformer.args: [{', '.join(args)}] is not allowed; a collocated transformer's gRPC server takes "
        "--grpc_port's default 8081, where kserve-sklearnserver listens in the same pod, so one of the two fails to "
        "bind; give --grpc_port=<a free port> or --enable_grpc=false"
    )


def test_w2_a_collocated_transformer_without_model_name_is_refused() -> None:
    args = FULL[1:]
    assert _error(transformer=_side(args)).endswith(
        f"transformer.args: [{', '.join(args)}] is not allowed; a collocated transformer gets no --model_name from "
        "KServe and would serve and call 'model', while kserve-sklearnserver serves the model as iris; give "
        "--model_name=iris"
    )


@pytest.mark.parametrize(
    ("host", "at"),
    [(None, None), ("--predictor_host=localhost:9999", 3), ("--predictor_host=iris-predictor:8080", 3)],
)
def test_w3_the_predictor_host_must_be_the_server_in_the_pod(host: str | None, at: int | None) -> None:
    args = FULL[:3] + ([host] if host else [])
    got = _error(transformer=_side(args))
    if host is None:
        assert got.endswith(
            f"transformer.args: [{', '.join(args)}] is not allowed; a collocated transformer gets no "
            "--predictor_host from KServe, and without one every predict call fails; give "
            "--predictor_host=localhost:8080 (kserve-sklearnserver's port in the same pod)"
        )
    else:
        assert got.endswith(
            f"transformer.args.{at}: {host} is not allowed; kserve-sklearnserver listens in the same pod; give "
            "--predictor_host=localhost:8080"
        )
    plan(model(transformer=_side([*FULL[:3], "--predictor_host=127.0.0.1:8080"])), deployment_mode="Knative")


def test_w3_beside_a_custom_container_the_host_is_its_port() -> None:
    custom = {
        "container": {"image": "ghcr.io/acme/srv:1.0", "port": {"number": 8085}},
        "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
        "publicStorage": True,
        "access": {"allowAnonymous": True},
    }
    side = {"collocated": True, "container": {"image": IMAGE}, "args": ["--predictor_host=localhost:8080"]}
    with pytest.raises((SpecInvalid, SpecError)) as e:
        ModelSpec.model_validate({**custom, "transformer": side})
    assert str(e.value).endswith(
        "transformer.args.0: --predictor_host=localhost:8080 is not allowed; the model server listens in the same "
        "pod; give --predictor_host=localhost:8085"
    )
    ModelSpec.model_validate({**custom, "transformer": {**side, "args": ["--predictor_host=localhost:8085"]}})


def test_w4_the_transformers_host_is_held_to_63_characters() -> None:
    name = "a" * 45  # a-...-predictor-models is 62 characters, a-...-transformer-models 64
    separate = {"container": {"image": IMAGE}}
    with pytest.raises((SpecInvalid, SpecError)) as e:
        plan(model(transformer=separate), name=name, deployment_mode="Knative")
    host = f"{name}-transformer-models"
    assert f"'{host}' is 64 characters; keep <name>-transformer-<namespace> within 63" in str(e.value)
    plan(model(), name=name, deployment_mode="Knative")  # the predictor alone fits
    plan(model(transformer=separate), name="a" * 44, deployment_mode="Knative")


def test_w5_an_oci_digest_is_checked_as_an_image_digest() -> None:
    bad = "oci://registry.io/repo/model@sha256:abc"
    with pytest.raises((SpecInvalid, SpecError)) as e:
        ModelSpec.model_validate(model(storageUri=bad, publicStorage=False))
    assert str(e.value).endswith(
        f"storageUri: {bad} is not allowed; give the digest after '@' as sha256:<64 lowercase hex digits> (an image "
        "reference's digest, as container.image takes it), or leave '@' out"
    )
    ModelSpec.model_validate(model(storageUri="oci://registry.io/repo/model@sha256:" + "0a" * 32, publicStorage=False))


def test_w6_a_reference_to_a_variable_the_platform_sets_later_is_refused() -> None:
    side = {"container": {"image": IMAGE}, "env": {"A": "p=$(PROTOCOL)"}}
    assert _error(transformer=side).endswith(
        "transformer.env.A: p=$(PROTOCOL) is not allowed; $(PROTOCOL) is set by the platform after your variables, "
        "and Kubernetes expands a reference only to a variable defined earlier in the list, so it would stay as "
        "written; write its value instead"
    )
    custom = {
        "container": {"image": "ghcr.io/acme/srv:1.0", "port": {"number": 8085}},
        "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
        "publicStorage": True,
        "access": {"allowAnonymous": True},
        "env": {"MODEL_DIR": "$(STORAGE_URI)/weights"},
    }
    with pytest.raises((SpecInvalid, SpecError)) as e:
        ModelSpec.model_validate(custom)
    assert "env.MODEL_DIR: $(STORAGE_URI)/weights is not allowed; $(STORAGE_URI) is set by the platform" in str(e.value)
    # $$ escapes a reference (Kubernetes writes $(PROTOCOL) literally, as asked)
    plan(model(transformer={**side, "env": {"A": "p=$$(PROTOCOL)"}}), deployment_mode="Knative")


def test_m1_a_collocated_transformers_secret_env_passes_model_declared_secrets() -> None:
    from policy.rules import Facts, StackSettings, run_rules
    from policy.rules.base import DeclaredSecrets, SecretEnvRef
    from support import rules_named

    side = {**_side(FULL), "secretEnv": {"C": {"secret": "s", "key": "k"}}}
    planned = plan(model(transformer=side), deployment_mode="Knative")
    from policy.rules import resources_from_plan

    resources = list(resources_from_plan(planned.result))
    declared = DeclaredSecrets(env=(SecretEnvRef("transformer", "C", "s", "k"),))
    facts = Facts(model_secrets=(("models/iris", declared),))
    rules = rules_named("model-declared-secrets")
    entries = run_rules(resources, StackSettings(facts=facts), rules=rules)
    assert [e["message"] for e in entries if not e["passed"]] == []
    wrong = Facts(model_secrets=(("models/iris", DeclaredSecrets(env=(SecretEnvRef("transformer", "C", "s", "x"),))),))
    found = [e["message"] for e in run_rules(resources, StackSettings(facts=wrong), rules=rules) if not e["passed"]]
    assert found == [
        "InferenceService models/iris transformer variable C is secretKeyRef {'key': 'k', 'name': 's'}, not the "
        "declared secretKeyRef of Secret s key x"
    ]


def test_i1_a_serving_runtimes_reference_to_a_later_variable_is_noted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """red14o I1: a ServingRuntime's env is reordered like an InferenceService's (each variable after the ones it
    references), so a reference Kubernetes would leave as written now expands: noted, as for an InferenceService."""
    runtime = {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ServingRuntime",
        "metadata": {"name": "my-rt", "namespace": "models"},
        "spec": {
            "supportedModelFormats": [{"name": "sklearn", "version": "1", "autoSelect": False}],
            "containers": [
                {
                    "name": "kserve-container",
                    "image": "kserve/sklearnserver:v0.20.0",
                    "args": ["--model_name={{.Name}}", "--model_dir=/mnt/models", "--http_port=8080"],
                    "env": [{"name": "B", "value": "$(A)"}, {"name": "A", "value": "x"}],
                }
            ],
        },
    }
    path = tmp_path / "rt.yaml"
    path.write_text(yaml.safe_dump(runtime))
    cli(["import", str(path), "--stack", "aws-dev"])
    err = capsys.readouterr().err
    assert (
        f"note: {path}: my-rt: spec.containers.0.env.0.value: $(A) names a variable defined later in the list, "
        "which Kubernetes leaves as written; mlplatform renders each variable after the ones it references, so it "
        "expands"
    ) in err.splitlines()


def test_l3_autoscaler_class_none_on_a_knative_stack_says_what_to_give(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from support import import_refusal_line, write_manifest

    doc = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "m", "namespace": "models", "annotations": {"serving.kserve.io/autoscalerClass": "none"}},
        "spec": {
            "predictor": {
                "model": {
                    "modelFormat": {"name": "sklearn"},
                    "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
                }
            }
        },
    }
    path = write_manifest(tmp_path, doc)
    assert import_refusal_line(capsys, path).endswith(
        "metadata.annotations.serving.kserve.io/autoscalerClass: none: mlplatform scales with Knative's autoscaler "
        "(Knative mode), the HPA or, on vLLM's metrics, KEDA (Standard; none there too: a fixed count); for a fixed "
        "count on this Knative stack, remove the annotation and give minReplicas equal to maxReplicas (red14o L3)"
    )
