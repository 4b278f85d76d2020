"""A model's ``logger``: the exact InferenceService fields, the version its records carry, and the Standard mode's
agent port (KServe v0.20.0, sources in components/serving/logger_spec.py and components/serving/_auth.py)."""

from __future__ import annotations

from typing import Any

import pytest
from serving_support import ISVC, model, plan
from test_requestpath import _check_model

from components.errors import SpecError
from components.platform.requestlog import URL
from components.serving import _auth, _netpol, requestpath
from components.serving.logger_spec import VERSION_ANNOTATION
from components.spec import SpecInvalid
from support import validate_custom_resource

NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def test_the_predictor_logs_to_the_platform_collector_with_the_version_annotation() -> None:
    planned = plan(model(logger={"mode": "request", "version": "2024-06-01"}), request_log_url=URL)
    assert planned.predictor()["logger"] == {
        "mode": "request",
        "url": "http://vector.request-logs.svc.cluster.local:8080/",
        "metadataAnnotations": [VERSION_ANNOTATION],
        # rev14 defect 6: the call's X-Request-Id, in Go's canonical form, joins the records across components
        "metadataHeaders": ["X-Request-Id"],
    }
    assert planned.annotations()[VERSION_ANNOTATION] == "2024-06-01"
    # strict against KServe's CRD schema at v0.20.0 (spec.predictor.logger: mode enum, url, metadataAnnotations,
    # metadataHeaders: a list of strings)
    assert validate_custom_resource(planned.inputs(ISVC)) == []


def test_without_a_logger_nothing_is_logged_or_annotated() -> None:
    planned = plan(model(), request_log_url=URL)
    assert "logger" not in planned.predictor()
    assert VERSION_ANNOTATION not in planned.annotations()


def _version(**overrides: Any) -> str:
    return plan(model(logger={}, **overrides), request_log_url=URL).annotations()[VERSION_ANNOTATION]


def test_the_default_version_follows_what_is_served() -> None:
    first = _version()
    assert first.startswith("v-") and len(first) == 14
    assert _version() == first  # stable across plans
    assert _version(storageUri="gs://kfserving-examples/models/sklearn/1.1/model") != first
    assert _version(runtimeVersion="1.5.0") != first


def test_a_logger_without_a_collector_is_one_line() -> None:
    with pytest.raises(SpecError) as info:
        plan(model(logger={"mode": "all"}))
    assert str(info.value) == (
        "logger: all is not allowed; the platform runs no request-log collector; give platform.requestLogs, or build "
        "the Platform with this model's namespace in request_log_namespaces"
    )


def test_standard_mode_opens_the_agent_port_that_the_service_targets() -> None:
    # With a logger KServe's Standard-mode Service targets the agent (9081, service_reconciler.go), not 8080.
    planned = plan(model(logger={}), request_log_url=URL, deployment_mode="Standard")
    rules = planned.inputs(NETPOL)["spec"]["ingress"]
    open_ports = {p["port"] for p in rules[0]["ports"]}
    assert 9081 in open_ports and 8080 not in open_ports
    authz_ports = {
        port for rule in planned.inputs(
            "kubernetes:security.istio.io/v1:AuthorizationPolicy"
        )["spec"]["rules"] for op in rule.get("to", []) for port in op["operation"].get("ports", [])
    }  # fmt: skip
    assert authz_ports == {"9081"}
    assert requestpath.model_of(planned.inputs(ISVC)).port == 9081
    assert _netpol.open_ports("Standard") == sorted([8080, 15008, 15021])  # no logger: the model server's port


def test_knative_mode_keeps_the_queue_proxy_ports() -> None:
    planned = plan(model(logger={}), request_log_url=URL)
    ports = {p["port"] for p in planned.inputs(NETPOL)["spec"]["ingress"][0]["ports"]}
    assert 9081 not in ports and 8012 in ports


# --------------------------------------------------------------------- a logger with a batcher or a transformer (#14)
# KServe v0.20.0 service_reconciler.go createDefaultSvc: the Service first targets the collocated
# transformer-container's port (else the first container's), then ``Batcher != nil`` / ``Logger != nil``
# override it with the agent's 9081; the agent forwards to the transformer-container's port when there is one
# (agent_injector.go InjectAgent, ``--component-port``).

SERVER_8085 = {"image": "pytorch/torchserve:0.9.0-cpu", "port": {"number": 8085}}
TRANSFORMER = {"container": {"image": "kserve/image-transformer:v0.20.0"}}
COLLOCATED = {"collocated": True, **TRANSFORMER, "args": ["--predictor_host=localhost:8085"], "protocol": "v2"}
INTERNAL = {"mode": "internal", "allowedNamespaces": ["apps"]}


def _objs(mode: str, **overrides: Any) -> tuple[dict[str, Any], ...]:
    return tuple(plan(model(logger={}, **overrides), request_log_url=URL, deployment_mode=mode).revealed())


def _kind(objs: tuple[dict[str, Any], ...], kind: str) -> dict[str, Any]:
    return next(o for o in objs if o["kind"] == kind)


def _served_ports(objs: tuple[dict[str, Any], ...]) -> tuple[list[str], set[int]]:
    authz = _kind(objs, "AuthorizationPolicy")["spec"]["rules"][0]["to"][0]["operation"]["ports"]
    netpol = {p["port"] for p in _kind(objs, "NetworkPolicy")["spec"]["ingress"][0]["ports"]}
    return authz, netpol


def test_the_agent_port_wins_over_a_collocated_transformers_port_in_the_order_kserve_decides() -> None:
    assert _auth.standard_target_port(agent=True, transformer_port=8080, server_port=8085) == 9081
    assert _auth.standard_target_port(agent=False, transformer_port=8080, server_port=None) == 8080
    assert _auth.standard_target_port(agent=False, transformer_port=None, server_port=8085) == 8085
    assert _auth.standard_target_port(agent=False, transformer_port=None, server_port=None) is None


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
def test_a_logger_with_a_collocated_transformer_serves_through_the_agent(mode: str) -> None:
    objs = _objs(
        mode, format=None, container=SERVER_8085, transformer=COLLOCATED, scaling={"metric": "cpu"}, access=INTERNAL
    )
    isvc = _kind(objs, "InferenceService")
    predictor = isvc["spec"]["predictor"]
    assert predictor["logger"]["url"] == URL
    assert [c["name"] for c in predictor["containers"]] == ["kserve-container", "transformer-container"]
    assert validate_custom_resource(isvc) == []
    authz, netpol = _served_ports(objs)
    if mode == "Standard":
        # the Service targets 9081, not the transformer-container's 8080: only 9081 is opened
        assert authz == ["9081"] and 9081 in netpol and 8080 not in netpol and 8085 not in netpol
        m = requestpath.model_of(isvc)
        assert m.logger and m.port == 9081
    else:
        assert authz == ["8012", "8013"] and 9081 not in netpol
    assert _check_model(objs, isvc, ["apps", "models"]) == []


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
def test_a_logger_and_a_batcher_share_the_agent(mode: str) -> None:
    objs = _objs(mode, batcher={"maxBatchSize": 8}, access=INTERNAL)
    isvc = _kind(objs, "InferenceService")
    assert set(isvc["spec"]["predictor"]) >= {"logger", "batcher"}
    assert validate_custom_resource(isvc) == []
    authz, _ = _served_ports(objs)
    assert authz == (["9081"] if mode == "Standard" else ["8012", "8013"])
    assert _check_model(objs, isvc, ["apps", "models"]) == []


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
def test_with_a_separate_transformer_the_logger_is_the_predictors_and_the_transformer_reaches_it(mode: str) -> None:
    objs = _objs(mode, transformer=TRANSFORMER, access=INTERNAL)
    isvc = _kind(objs, "InferenceService")
    assert "logger" in isvc["spec"]["predictor"] and "logger" not in isvc["spec"]["transformer"]
    assert validate_custom_resource(isvc) == []
    m = requestpath.model_of(isvc)
    assert m.logger and m.transformer is not None and not m.transformer.logger
    if mode == "Standard":
        assert m.port == 9081 and m.transformer.port == 8080
    # callers reach the transformer, and the transformer the predictor through the agent (its ALLOW names 9081)
    assert _check_model(objs, isvc, ["apps", "models"]) == []


def test_a_custom_container_on_the_agents_port_is_refused_with_a_logger() -> None:
    with pytest.raises((SpecError, SpecInvalid)) as info:
        plan(
            model(logger={}, format=None, container={"image": "acme/server:1", "port": {"number": 9081}}),
            request_log_url=URL,
        )
    assert "container.port.number: 9081 is not allowed; KServe's agent (batcher, logger) serves on 9081" in str(
        info.value
    )
