"""A transformer's and an explainer's own ``logger``, and components on CPU nodes beside a GPU predictor.

KServe v0.20.0 gives each component its own logger: ``ComponentExtensionSpec.Logger`` (pkg/apis/serving/v1beta1/
component.go), which components/transformer.go and explainer.go pass to ``addLoggerAnnotations`` so the pod webhook
injects the agent into that component's pods; in Standard mode the component's Service then targets the agent's port
9081 (reconcilers/service/service_reconciler.go ``createDefaultSvc``: ``componentExt.Logger != nil``). Every rendered
InferenceService is checked against the upstream CRD schema (upstream/crd-schemas/serving.kserve.io)."""

from __future__ import annotations

from typing import Any

import pytest
from serving_support import ISVC, L4_POOL, model, plan

from components.clusters.base import GPU_TAINT
from components.errors import SpecError
from components.platform.requestlog import URL
from components.serving import requestpath as rp
from components.serving.logger_spec import VERSION_ANNOTATION
from components.spec import SpecInvalid
from support import validate_custom_resource

TRANSFORMER = {"container": {"image": "kserve/image-transformer:v0.20.0"}}
EXPLAINER = {"art": {}}
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
AUTHZ = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
LOGGED = {
    "mode": "all",
    "url": URL,
    "metadataAnnotations": [VERSION_ANNOTATION],
    "metadataHeaders": ["X-Request-Id"],  # rev14 defect 6: joins the transformer's and the predictor's records
}


def _isvc(mode: str = "Knative", **overrides: Any) -> dict[str, Any]:
    planned = plan(model(**overrides), request_log_url=URL, deployment_mode=mode)
    isvc = planned.inputs(ISVC)
    assert validate_custom_resource(isvc) == []
    return isvc


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
def test_a_transformer_and_an_explainer_log_with_their_own_logger(mode: str) -> None:
    isvc = _isvc(
        mode,
        transformer={**TRANSFORMER, "logger": {"mode": "request"}},
        explainer={**EXPLAINER, "logger": {}},
    )
    spec = isvc["spec"]
    assert spec["transformer"]["logger"] == {**LOGGED, "mode": "request"}
    assert spec["explainer"]["logger"] == LOGGED
    assert "logger" not in spec["predictor"]  # the predictor logs only when it asks
    # the records carry the model's version: the annotation reaches every component's pods (transformer.go)
    assert VERSION_ANNOTATION in isvc["metadata"]["annotations"]


def test_standard_mode_opens_and_admits_the_components_agent_port() -> None:
    planned = plan(model(transformer={**TRANSFORMER, "logger": {}}), request_log_url=URL, deployment_mode="Standard")
    isvc = planned.inputs(ISVC)
    m = rp.model_of(isvc)
    assert m.transformer is not None and m.transformer.port == 9081  # KServe's Service targets the agent
    assert m.port != 9081  # the predictor, which does not log, keeps its server's port
    objs = tuple(planned.revealed())
    # the transformer's own NetworkPolicy rule and AuthorizationPolicy are on 9081, where requests arrive
    transformer_netpol = [
        o for o in objs
        if o["kind"] == "NetworkPolicy"
        and o["spec"]["podSelector"].get("matchLabels", {}).get("component") == "transformer"
    ]  # fmt: skip
    assert [p["port"] for p in transformer_netpol[0]["spec"]["ingress"][0]["ports"]] == [9081]
    transformer_authz = next(
        o for o in objs
        if o["kind"] == "AuthorizationPolicy"
        and o["spec"]["selector"]["matchLabels"].get("component") == "transformer"
    )  # fmt: skip
    ports = {p for r in transformer_authz["spec"]["rules"] for t in r.get("to", []) for p in t["operation"]["ports"]}
    assert ports == {"9081"}


def test_a_component_logger_starts_the_collector_and_is_refused_without_one() -> None:
    with pytest.raises(SpecError) as info:
        plan(model(explainer={**EXPLAINER, "logger": {"mode": "response"}}))
    assert str(info.value) == (
        "explainer.logger: response is not allowed; the platform runs no request-log collector; give "
        "platform.requestLogs, or build the Platform with this model's namespace in request_log_namespaces"
    )


def test_a_collocated_transformer_logs_through_the_predictors_logger() -> None:
    with pytest.raises((SpecInvalid, SpecError)) as info:
        plan(
            model(
                container={"image": "ghcr.io/acme/server:1", "port": {"number": 8085}},
                format=None,
                transformer={
                    **TRANSFORMER,
                    "collocated": True,
                    "args": ["--predictor_host=localhost:8085"],
                    "logger": {},
                },
            ),
            request_log_url=URL,
        )
    assert str(info.value).endswith(
        "transformer.logger: all is not allowed; a collocated transformer runs in the predictor's pods, whose agent "
        "logs their requests; give logger on the model"
    ), str(info.value)


# ------------------------------------------------------------------------------------------------ CPU components


def _tolerates(tolerations: list[dict[str, Any]], taint: dict[str, str]) -> bool:
    """Kubernetes' toleration match (core/v1 Toleration: an empty key with Exists tolerates everything; Equal needs
    the same key and value; an empty effect matches every effect)."""
    for t in tolerations:
        op = t.get("operator", "Equal")
        key_ok = (not t.get("key") and op == "Exists") or t.get("key") == taint["key"]
        value_ok = op == "Exists" or t.get("value", "") == taint["value"]
        effect_ok = not t.get("effect") or t["effect"] == taint["effect"]
        if key_ok and value_ok and effect_ok:
            return True
    return False


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
def test_components_of_a_gpu_model_ask_for_no_gpu_and_cannot_land_on_gpu_nodes(mode: str) -> None:
    gpu = {"cpu": "4", "memory": "16Gi", "gpus": 1, "accelerator": "nvidia-l4"}
    planned = plan(
        model(resources=gpu, transformer=TRANSFORMER, explainer={"container": {"image": "ghcr.io/acme/explainer:1"}}),
        pools={"l4": L4_POOL},
        deployment_mode=mode,
    )
    isvc = planned.inputs(ISVC)
    assert validate_custom_resource(isvc) == []
    taint = {"key": GPU_TAINT.key, "value": GPU_TAINT.value, "effect": GPU_TAINT.effect}
    predictor = isvc["spec"]["predictor"]
    # the predictor does ask for the GPU and tolerates the GPU nodes' taint (so the check below can fail)
    assert _tolerates(predictor["tolerations"], taint)
    for key in ("transformer", "explainer"):
        component = isvc["spec"][key]
        for container in component["containers"]:
            for part in ("limits", "requests"):
                assert "nvidia.com/gpu" not in container["resources"][part], key
        assert not _tolerates(component.get("tolerations", []), taint), key  # NoSchedule keeps it off GPU nodes
        assert "mlplatform.io/accelerator" not in (component.get("nodeSelector") or {}), key
