"""A model's ``logger``: the exact InferenceService fields, the version its records carry, and the Standard mode's
agent port (KServe v0.20.0, sources in components/serving/logger_spec.py and components/serving/_auth.py)."""

from __future__ import annotations

from typing import Any

import pytest
from serving_support import ISVC, model, plan

from components.errors import SpecError
from components.platform.requestlog import URL
from components.serving import _netpol, requestpath
from components.serving.logger_spec import VERSION_ANNOTATION
from support import validate_custom_resource

NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def test_the_predictor_logs_to_the_platform_collector_with_the_version_annotation() -> None:
    planned = plan(model(logger={"mode": "request", "version": "2024-06-01"}), request_log_url=URL)
    assert planned.predictor()["logger"] == {
        "mode": "request",
        "url": "http://vector.request-logs.svc.cluster.local:8080/",
        "metadataAnnotations": [VERSION_ANNOTATION],
    }
    assert planned.annotations()[VERSION_ANNOTATION] == "2024-06-01"
    # strict against KServe's CRD schema at v0.20.0 (spec.predictor.logger: mode enum, url, metadataAnnotations)
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
