"""A collocated transformer beside a runtime's model server (issue #14, fix14n): KServe's collocation with a
``model`` predictor (kserve/website versioned_docs/version-0.20/model-serving/predictive-inference/transformers/
collocation/collocation.md, "With Predictor Model"). KServe v0.20.0 (components/predictor.go ``buildPodSpec``) puts
the InferenceService's ``transformer-container`` after the runtime's ``kserve-container`` in one pod and moves no
port, so the transformer must leave the server's ports free (``runtimes.SERVER_PORTS``) and is the pod's one declared
port. Tested: the exact predictor, strict against the CRD schema, the model's access promise kept through it in
both deployment modes, and the one-line refusals."""

from __future__ import annotations

from typing import Any

import pytest
from serving_support import JWT, model, plan
from test_requestpath import INTERNAL, INTERNAL_CALLERS, _check_model

from components.errors import SpecError
from components.serving import requestpath as rp
from components.serving import runtimes
from components.spec import SpecInvalid
from support import validate_custom_resource

IMAGE = "kserve/image-transformer:v0.20.0"
LOG_URL = "http://request-logs.mlplatform-logs.svc.cluster.local"
SIDE = {
    "collocated": True,
    "container": {"image": IMAGE, "port": {"number": 8090}},
    "args": ["--model_name=iris", "--http_port=8090", "--grpc_port=8091", "--predictor_host=localhost:8080"],
}
RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
    "runAsNonRoot": True,
}
ONE_CPU = {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}


def _objs(mode: str = "Knative", **overrides: Any) -> tuple[dict[str, Any], ...]:
    spec = model(transformer=SIDE, scaling={"minReplicas": 1, "metric": "cpu"}, **overrides)
    return tuple(plan(spec, deployment_mode=mode).revealed())


def _one(objs: tuple[dict[str, Any], ...], kind: str) -> dict[str, Any]:
    return next(o for o in objs if o["kind"] == kind)


def _error(**overrides: Any) -> str:
    with pytest.raises((SpecInvalid, SpecError)) as e:
        plan(model(**overrides), deployment_mode="Knative")
    return str(e.value)


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
def test_the_transformer_container_is_the_predictors_one_container_beside_the_model(mode: str) -> None:
    objs = _objs(mode)
    isvc = _one(objs, "InferenceService")
    spec = isvc["spec"]
    assert "transformer" not in spec
    predictor = spec["predictor"]
    assert predictor["containers"] == [
        {
            "name": "transformer-container",
            "image": IMAGE,
            "args": ["--model_name=iris", "--http_port=8090", "--grpc_port=8091", "--predictor_host=localhost:8080"],
            "ports": [{"name": "http1", "containerPort": 8090, "protocol": "TCP"}],
            "env": [{"name": "PROTOCOL", "value": "v1"}],
            "resources": ONE_CPU,
            "securityContext": RESTRICTED,
        }
    ]
    # the runtime's server is the model, as without the transformer: no port of its own (the pod's one is the
    # transformer's), KServe's runtime container merged with it (buildPodSpec)
    assert predictor["model"] == {
        "modelFormat": {"name": "sklearn"},
        "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
        "protocolVersion": "v1",
        "resources": ONE_CPU,
        "securityContext": RESTRICTED,
    }
    assert validate_custom_resource(isvc) == []
    for obj in objs:
        if obj["apiVersion"].startswith("security.istio.io"):
            assert validate_custom_resource(obj) == [], obj["kind"]
    # callers reach the transformer's port only: the queue-proxy's in Knative mode, the transformer's own in
    # Standard mode, where KServe's Service targets the transformer-container's first port (createDefaultSvc)
    authz = _one(objs, "AuthorizationPolicy")["spec"]
    assert authz["rules"][0]["to"][0]["operation"]["ports"] == (["8012", "8013"] if mode == "Knative" else ["8090"])
    assert [o["metadata"]["name"] for o in objs if o["kind"] == "AuthorizationPolicy"] == ["iris-authz"]
    assert rp.model_of(isvc).container_port == 8090


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
@pytest.mark.parametrize("access", [INTERNAL, {"jwt": JWT}], ids=["internal", "jwt"])
def test_the_models_access_promise_holds_through_the_collocated_transformer(access: dict[str, Any], mode: str) -> None:
    # the same auth, identity, network policy and monitoring as the predictor alone: the server's own 8080 and 8081
    # are no way around them (_check_model asks every caller on every port of the pod)
    objs = _objs(mode, access=access)
    allowed = INTERNAL_CALLERS if access is INTERNAL else []
    assert _check_model(objs, _one(objs, "InferenceService"), allowed) == []


def test_callers_speak_the_transformers_protocol() -> None:
    objs = tuple(plan(model(transformer={**SIDE, "protocol": "v2"}), deployment_mode="Knative").revealed())
    isvc = _one(objs, "InferenceService")
    assert rp.inference_requests(isvc) == [("POST", "/v2/models/iris/infer")]
    paths = _one(objs, "AuthorizationPolicy")["spec"]["rules"][0]["to"][1]["operation"]["paths"]
    assert "/v2/models/{*}/infer" in paths and "/v1/models/{*}:predict" not in paths


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
def test_a_logging_model_serves_through_the_agent_in_front_of_the_transformer(mode: str) -> None:
    # KServe's agent proxies to the transformer-container's port (agent_injector.go --component-port, v0.20.0), and
    # its Standard-mode Service targets the agent's 9081 (createDefaultSvc); the server's 8080 stays closed
    spec = model(transformer=SIDE, scaling={"minReplicas": 1, "metric": "cpu"}, logger={"mode": "all"})
    objs = tuple(plan(spec, request_log_url=LOG_URL, deployment_mode=mode).revealed())
    isvc = _one(objs, "InferenceService")
    assert isvc["spec"]["predictor"]["logger"]["url"] == LOG_URL
    ports = _one(objs, "AuthorizationPolicy")["spec"]["rules"][0]["to"][0]["operation"]["ports"]
    netpol = {p["port"] for p in _one(objs, "NetworkPolicy")["spec"]["ingress"][0]["ports"]}
    if mode == "Standard":
        assert ports == ["9081"] and 9081 in netpol and not {8080, 8081, 8090} & netpol
    else:
        assert ports == ["8012", "8013"] and not {8080, 8081, 8090, 9081} & netpol
    assert _check_model(objs, isvc, []) == []


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        (
            {"transformer": {**SIDE, "container": {"image": IMAGE}, "args": ["--predictor_host=localhost:8080"]}},
            "transformer.container.port.number: 8080 is not allowed; kserve-sklearnserver's model server listens on "
            "8080, 8081 in the same pod (KServe does not move it); give the transformer another port with "
            "--http_port=<port> in its args and container.port.number, and call the server at "
            "--predictor_host=localhost:8080",
        ),
        (
            # a kserve transformer's gRPC server on the sklearn server's gRPC port, in any spelling argparse reads
            {"transformer": {**SIDE, "args": ["--http_port=8090", "--grpc_port", "+8081"]}},
            "transformer.args.1: --grpc_port is not allowed; kserve-sklearnserver's model server listens on 8080, "
            "8081 in the same pod (KServe does not move it); give another port",
        ),
        (
            # Triton's metrics server (8002 by default) is in the pod too
            {
                "format": "onnx",
                "storageUri": "gs://kfserving-examples/models/onnx",
                "transformer": {
                    **SIDE,
                    "container": {"image": IMAGE, "port": {"number": 8002}},
                    "args": ["--http_port=8002"],
                },
            },
            "transformer.container.port.number: 8002 is not allowed; kserve-tritonserver's model server listens on "
            "8080, 9000, 8002 in the same pod (KServe does not move it); give the transformer another port with "
            "--http_port=<port> in its args and container.port.number, and call the server at "
            "--predictor_host=localhost:8080",
        ),
        (
            {"protocol": "grpc-v2", "transformer": SIDE},
            "protocol: grpc-v2 is not allowed; with a collocated transformer callers reach the transformer, which "
            "serves HTTP (the pod's one port); give v1 or v2",
        ),
    ],
    ids=["http-8080", "grpc-8081", "triton-metrics", "grpc-v2"],
)
def test_a_collocated_transformer_on_a_port_of_the_runtimes_server_is_one_line(
    overrides: dict[str, Any], line: str
) -> None:
    got = _error(**overrides)
    assert "\n" not in got and got.endswith(line), got


def test_the_hugging_face_server_keeps_its_transformer_in_pods_of_its_own() -> None:
    got = _error(
        format="huggingface",
        storageUri="hf://distilbert/distilbert-base-uncased-finetuned-sst-2-english",
        transformer=SIDE,
    )
    assert got.endswith(
        "transformer.collocated: true is not allowed; not offered before the Hugging Face server (its OpenAI routes "
        "and LLM settings are the server's); give the transformer pods of its own (collocated: false)"
    ), got


def test_every_installed_runtime_but_the_hugging_face_servers_has_its_ports() -> None:
    # a runtime added to RUNTIMES without its server's ports would let a transformer take one of them
    missing = {r.name for r in runtimes.RUNTIMES} - set(runtimes.SERVER_PORTS)
    assert missing == {"kserve-huggingfaceserver", "kserve-huggingfaceserver-multinode"}
    assert all(8080 in ports for ports in runtimes.SERVER_PORTS.values())


def test_a_collocated_transformer_calls_the_runtimes_server_by_the_name_it_serves() -> None:
    # kserve-sklearnserver registers the model under the InferenceService's name (--model_name={{.Name}}), and KServe
    # appends no --model_name to a transformer-container: the transformer's own must be that name
    side = {**SIDE, "args": [*SIDE["args"], "--model_name=mnist"]}
    assert _error(transformer=side).endswith(
        "transformer.args.4: --model_name=mnist is not allowed; the transformer calls the predictor by its "
        "--model_name (argparse keeps the last one, an abbreviation too), and kserve-sklearnserver serves the model as "
        "iris (KServe passes nothing to a collocated transformer-container); give --model_name=iris"
    )
    plan(model(transformer=SIDE), deployment_mode="Knative")


def test_a_runtime_the_platform_does_not_install_keeps_its_ports_unknown() -> None:
    # kserve/website versioned_docs/version-0.20/.../collocation/collocation.md, "Defining Collocation In
    # ServingRuntime": the model names pytorch-collocation, a ServingRuntime with a transformer-container of its own,
    # which KServe merges with the InferenceService's (MergeRuntimeContainers); mlplatform sees neither its ports
    # nor that container
    got = _error(
        format="pytorch",
        storageUri="gs://kfserving-examples/models/torchserve/image_classifier/v1",
        runtime="pytorch-collocation",
        transformer=SIDE,
    )
    assert got.endswith(
        "transformer.collocated: true is not allowed; runtime pytorch-collocation is not one the platform installs, "
        "so the ports its server takes in the pod (and a transformer-container of its own, which KServe would merge "
        "with this one) are unknown; give the transformer pods of its own (collocated: false) or use an installed "
        "runtime"
    ), got
