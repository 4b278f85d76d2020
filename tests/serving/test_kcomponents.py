"""A model's transformer, explainer and batcher (issue #14): the exact InferenceService, strict against the upstream
CRD schema; each component behind the model's callers with the model's identity, monitoring and NetworkPolicy; the
request-path promise (who reaches the model through which hop) with a transformer; one-line errors."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from serving_support import JWT, model, plan
from test_requestpath import INTERNAL, INTERNAL_CALLERS, STRANGER, _check_model

from components.errors import SpecError
from components.serving import requestpath as rp
from components.serving.spec import ModelSpec
from components.spec import SpecInvalid
from support import validate_custom_resource

TRANSFORMER = {"container": {"image": "kserve/image-transformer:v0.20.0"}}
RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
    "runAsNonRoot": True,
}
ONE_CPU = {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}
POD_LABELS = {
    "app.kubernetes.io/component": "model",
    "app.kubernetes.io/part-of": "mlplatform",
    "app.kubernetes.io/name": "iris",
    "app.kubernetes.io/instance": "iris",
    "app.kubernetes.io/managed-by": "mlplatform",
}


def _objs(mode: str = "Knative", **overrides: Any) -> tuple[dict[str, Any], ...]:
    return tuple(plan(model(**overrides), deployment_mode=mode).revealed())


def _one(objs: tuple[dict[str, Any], ...], kind: str, name: str | None = None) -> dict[str, Any]:
    return next(o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name))


def _strict(objs: tuple[dict[str, Any], ...]) -> None:
    for obj in objs:
        if obj["apiVersion"].startswith(("serving.kserve.io", "security.istio.io")):
            assert validate_custom_resource(obj) == [], obj["kind"]


def _error(mode: str = "Knative", **overrides: Any) -> str:
    with pytest.raises((SpecInvalid, SpecError)) as e:
        plan(model(**overrides), deployment_mode=mode)
    return str(e.value)


# ------------------------------------------------------------------------------------------------ rendering


def test_transformer_rendered_with_the_models_identity_labels_and_security_context() -> None:
    objs = _objs(
        transformer={
            "container": {
                "image": "kserve/image-transformer:v0.20.0",
                "readinessProbe": {"path": "/v1/models/iris", "periodSeconds": 5},
            },
            "args": ["--predictor_protocol=v1"],
            "env": {"LOG_LEVEL": "info"},
            "secretEnv": {"FEAST_KEY": {"secret": "feast", "key": "key"}},
            "resources": {"cpu": "500m", "memory": "1Gi"},
            "scaling": {"minReplicas": 0, "maxReplicas": 4, "metric": "rps", "target": 20},
            "containerConcurrency": 8,
            "timeout": 600,  # at minReplicas 0, at least the CPU cold-start budget (rev14e defect 8)
        }
    )
    isvc = _one(objs, "InferenceService")
    assert isvc["spec"]["transformer"] == {
        "serviceAccountName": "iris-sa",
        "minReplicas": 0,
        "maxReplicas": 4,
        "scaleMetric": "rps",
        "scaleTarget": 20,
        "timeout": 600,
        "containerConcurrency": 8,
        "labels": POD_LABELS,
        "containers": [
            {
                "name": "kserve-container",
                "image": "kserve/image-transformer:v0.20.0",
                "args": ["--predictor_protocol=v1"],
                "ports": [{"name": "http1", "containerPort": 8080, "protocol": "TCP"}],
                "env": [
                    {"name": "LOG_LEVEL", "value": "info"},
                    {"name": "FEAST_KEY", "valueFrom": {"secretKeyRef": {"name": "feast", "key": "key"}}},
                    {"name": "PROTOCOL", "value": "v1"},
                ],
                "readinessProbe": {
                    "httpGet": {"path": "/v1/models/iris", "port": 8080},
                    "initialDelaySeconds": 0,
                    "periodSeconds": 5,
                    "timeoutSeconds": 1,
                    "failureThreshold": 3,
                },
                "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "500m", "memory": "1Gi"}},
                "securityContext": RESTRICTED,
            }
        ],
    }
    # the predictor, called by the transformer's identity, keeps Knative's activator out of its path
    assert isvc["spec"]["predictor"]["annotations"] == {"autoscaling.knative.dev/target-burst-capacity": "0"}
    _strict(objs)


def test_explainers_art_and_custom_rendered_strict() -> None:
    objs = _objs(explainer={"art": {"config": {"nb_classes": "10", "max_iter": "100"}}, "scaling": {"maxReplicas": 2}})
    explainer = _one(objs, "InferenceService")["spec"]["explainer"]
    assert explainer == {
        "serviceAccountName": "iris-sa",
        "minReplicas": 1,
        "maxReplicas": 2,
        "scaleMetric": "concurrency",
        "scaleTarget": 10,
        "timeout": 900,  # the predictor's, as in Standard mode (rev14i N5)
        "labels": POD_LABELS,
        "art": {
            "type": "SquareAttack",
            "config": {"nb_classes": "10", "max_iter": "100"},
            "resources": ONE_CPU,
            "securityContext": RESTRICTED,
        },
    }
    _strict(objs)
    objs = _objs(explainer={"container": {"image": "ghcr.io/acme/explainer:1"}, "args": ["--threshold=0.9"]})
    container = _one(objs, "InferenceService")["spec"]["explainer"]["containers"][0]
    assert container["args"] == ["--threshold=0.9"] and container["securityContext"] == RESTRICTED
    _strict(objs)


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
def test_batcher_rendered_and_in_standard_mode_the_agent_port_is_the_serving_port(mode: str) -> None:
    objs = _objs(mode, batcher={"maxBatchSize": 32, "maxLatency": 500})
    predictor = _one(objs, "InferenceService")["spec"]["predictor"]
    assert predictor["batcher"] == {"maxBatchSize": 32, "maxLatency": 500}
    _strict(objs)
    authz = _one(objs, "AuthorizationPolicy")["spec"]
    netpol = _one(objs, "NetworkPolicy")["spec"]
    want = ["8012", "8013"] if mode == "Knative" else ["9081"]
    assert authz["rules"][0]["to"][0]["operation"]["ports"] == want
    open_ports = [p["port"] for p in netpol["ingress"][0]["ports"]]
    assert (9081 in open_ports) == (mode == "Standard") and 8080 not in open_ports
    # the request path reaches the model through the agent's port, and the model server's own 8080 stays closed
    isvc = _one(objs, "InferenceService")
    assert _check_model(objs, isvc, []) == []
    if mode == "Standard":
        m = rp.model_of(isvc)
        assert m.port == 9081
        direct = rp.Request(m.predictor_host, 8080, "/v1/models/iris:predict")
        assert not rp.admits(objs, m.pods, STRANGER.src or rp.NODE, 8080).allowed
        assert not rp.decide(objs, m.pods, STRANGER.peer, direct).allowed


def test_an_empty_batcher_still_turns_batching_on() -> None:
    # KServe injects the agent when batcher is set at all (component.go addBatcherAnnotations: batcher != nil)
    objs = _objs(batcher={})
    assert _one(objs, "InferenceService")["spec"]["predictor"]["batcher"] == {}
    _strict(objs)


# ------------------------------------------------------------------------------------------------ the same auth


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
@pytest.mark.parametrize(
    "access",
    [INTERNAL, {"jwt": {**JWT, "audiences": ["iris"]}}, {"allowAnonymous": True}],
    ids=["internal", "jwt", "anonymous"],
)
def test_a_transformer_keeps_the_models_access_promise(access: dict[str, Any], mode: str) -> None:
    zero = 0 if mode == "Knative" and "jwt" in access else 1
    objs = _objs(
        mode,
        access=access,
        transformer={**TRANSFORMER, "scaling": {"minReplicas": zero}},
        explainer={"art": {}},
    )
    _strict(objs)
    allowed = INTERNAL_CALLERS if access is INTERNAL else []
    assert _check_model(objs, _one(objs, "InferenceService"), allowed) == []


def test_the_transformer_is_the_entry_and_reaches_the_predictor_by_its_identity() -> None:
    objs = _objs(access={"jwt": JWT}, transformer=TRANSFORMER)
    isvc = _one(objs, "InferenceService")
    good = rp.Token(JWT["issuer"])
    got = rp.routes(objs, isvc, rp.INTERNET, at_zero=False, token=good)
    assert [(o.route, o.reached) for o in got["public gateway"]] == [
        ("activator -> transformer -> predictor", True),  # the activator passes the token on to the transformer
        ("pods -> transformer -> predictor", True),
        ("predictor host -> pods", True),  # the predictor's own public host still checks the token
    ]
    # without a token: neither the transformer nor the predictor, on any route
    assert not rp.reaches(rp.routes(objs, isvc, rp.INTERNET, at_zero=False))
    assert not rp.reaches(rp.routes(objs, isvc, STRANGER, at_zero=False))
    # a stranger's pod is not the transformer: its mesh identity is not the model's ServiceAccount
    m = rp.model_of(isvc)
    assert not rp.predictor_call(objs, m, replace(m.entry, service_account="default"), _predict()).reached
    assert rp.predictor_call(objs, m, m.entry, _predict()).reached


def _predict() -> rp.Request:
    return rp.Request("", 0, "/v1/models/iris:predict")


def test_the_internal_documented_url_is_the_transformer() -> None:
    p = plan(model(access=INTERNAL, transformer=TRANSFORMER))
    assert (
        p.inputs("kubernetes:serving.kserve.io/v1beta1:InferenceService")["metadata"]["annotations"][
            "mlplatform.io/host"
        ]
        == "iris-transformer.models.svc.cluster.local"
    )
    assert p.services[0].internal_url is not None


def test_explain_requests_reach_the_explainer_which_calls_the_predictor() -> None:
    explain = {"path": "/v1/models/iris:explain", "method": "POST"}
    objs = _objs(access={"jwt": JWT}, explainer={"art": {}})
    isvc = _one(objs, "InferenceService")
    got = rp.routes(objs, isvc, rp.INTERNET, at_zero=False, token=rp.Token(JWT["issuer"]), **explain)
    assert ("pods -> explainer -> predictor", True) in [(o.route, o.reached) for o in got["public gateway"]]
    assert not rp.reaches(rp.routes(objs, isvc, rp.INTERNET, at_zero=False, **explain))
    # an internal model's explainer: from an allowed namespace on its own host (the gateways hide the caller, as
    # for the predictor), from nowhere else
    objs = _objs(access=INTERNAL, explainer={"art": {}})
    isvc = _one(objs, "InferenceService")
    got = rp.routes(objs, isvc, rp.in_namespace("apps"), at_zero=False, **explain)
    assert [(o.route, o.reached) for o in got["explainer"]] == [("pods -> explainer -> predictor", True)]
    assert not rp.reaches(got, "local gateway")
    assert not rp.reaches(rp.routes(objs, isvc, STRANGER, at_zero=False, **explain))


def test_the_predictors_policy_admits_the_components_and_they_are_needed() -> None:
    # Without the predictor's rule for the model's ServiceAccount, or with Knative's activator in the predictor's
    # path, the transformer's call would be refused: the promise above fails on either slip.
    objs = _objs(access={"jwt": JWT}, transformer=TRANSFORMER)
    isvc = _one(objs, "InferenceService")
    good = rp.Token(JWT["issuer"])

    def entry_reached(objects: tuple[dict[str, Any], ...], isvc: dict[str, Any]) -> bool:
        outcomes = rp.routes(objects, isvc, rp.INTERNET, at_zero=False, token=good)["public gateway"]
        return outcomes[0].reached

    assert entry_reached(objs, isvc)
    authz = _one(objs, "AuthorizationPolicy", "iris-authz")
    without_rule = {**authz, "spec": {**authz["spec"], "rules": authz["spec"]["rules"][:-1]}}
    assert not entry_reached(tuple(o if o is not authz else without_rule for o in objs), isvc)
    predictor = {k: v for k, v in isvc["spec"]["predictor"].items() if k != "annotations"}
    activator_on = {**isvc, "spec": {**isvc["spec"], "predictor": predictor}}
    assert not entry_reached(objs, activator_on)


def test_each_component_is_monitored_and_isolated_like_the_predictor() -> None:
    objs = _objs("Standard", transformer={**TRANSFORMER, "scaling": {"metric": "cpu"}}, explainer={"art": {}})
    # PodMonitor, RequestAuthentication-less public anonymous model: the PodMonitor and the model's NetworkPolicy
    # select every pod of the InferenceService, so the component pods' sidecar metrics are scraped and closed alike
    monitor = _one(objs, "PodMonitor")
    assert monitor["spec"]["selector"] == {"matchLabels": {"serving.kserve.io/inferenceservice": "iris"}}
    isvc = _one(objs, "InferenceService")
    m = rp.model_of(isvc)
    for comp in (m, m.transformer, m.explainer):
        assert comp is not None
        assert rp.admits(objs, comp.pods, rp.PROMETHEUS.src or rp.NODE, 15090).allowed
        assert not rp.admits(objs, comp.pods, STRANGER.src or rp.NODE, 15090).allowed
    assert {_one(objs, "InferenceService")["spec"][c]["serviceAccountName"] for c in ("predictor", "transformer")} == {
        "iris-sa"
    }


# ------------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("mode", "overrides", "line"),
    [
        (
            "Knative",
            {"transformer": TRANSFORMER, "scaling": {"minReplicas": 0}},
            "scaling.minReplicas: 0 is not allowed; the transformer calls the predictor by its mesh identity, which "
            "Knative's activator would hide at zero; give >= 1",
        ),
        (
            "Knative",
            {"transformer": {"container": {"image": "kserve/image-transformer:1", "port": {"number": 9000}}}},
            "transformer.container.port.number: 9000 is not allowed; give 8080, the port the transformer serves on "
            "(KServe's --http_port 8080); or pass --http_port=<port> in args",
        ),
        (
            "Knative",
            {"explainer": {"art": {}, "container": {"image": "ghcr.io/acme/explainer:1"}}},
            "explainer.art: {} is not allowed; give art or container (exactly one, KServe's rule)",
        ),
        (
            "Knative",
            {"explainer": {"art": {"config": {"model_name": "x"}}}},
            "explainer.art.config: model_name is not allowed; give config keys nb_classes and max_iter (what the ART "
            "server reads)",
        ),
        (
            "Knative",
            {"batcher": {"timeout": 60}},
            "batcher.timeout: 60 is not allowed; KServe v0.20.0 passes only maxBatchSize and maxLatency to its batcher "
            "(component.go addBatcherAnnotations), so a timeout would do nothing; remove it",
        ),
        (
            "Knative",
            {"transformer": {**TRANSFORMER, "env": {"PROTOCOL": "v2"}}},
            "transformer.env: PROTOCOL is not allowed; mlplatform (the component's protocol) sets PROTOCOL; remove it",
        ),
        (
            "Standard",
            {"transformer": {**TRANSFORMER, "scaling": {"metric": "concurrency"}}},
            "transformer.scaling.metric: concurrency is not allowed; Standard mode scales on cpu (HPA); give cpu or "
            "leave it out",
        ),
        (
            "Knative",
            {"access": INTERNAL, "transformer": {**TRANSFORMER, "scaling": {"minReplicas": 0}}},
            "transformer.scaling.minReplicas: 0 is not allowed; an internal model's component cannot scale to zero in "
            "Knative mode (Knative's activator would hide the caller); give >= 1",
        ),
    ],
)
def test_component_errors_are_one_line(mode: str, overrides: dict[str, Any], line: str) -> None:
    got = _error(mode, **overrides)
    assert "\n" not in got and got.endswith(line), got


def test_standard_mode_transformer_metric_default_is_cpu() -> None:
    spec = ModelSpec.model_validate(model(transformer=TRANSFORMER))
    assert spec.transformer is not None and spec.transformer.scaling.resolved_metric("Standard") == "cpu"
    objs = _objs("Standard", transformer={**TRANSFORMER, "scaling": {"metric": "cpu"}})
    assert _one(objs, "InferenceService")["spec"]["transformer"]["scaleMetric"] == "cpu"
    _strict(objs)


# ------------------------------------------------------------------------------------------------ coverage stacks


@pytest.mark.parametrize("stack", ["cover-aws-node-groups", "cover-gcp-standard"])
def test_coverage_stacks_with_components_pass_the_policies_and_keep_the_promise(stack: str) -> None:
    # tests/golden_stacks: a transformer and the ART explainer before an internal GPU model (Knative), a transformer
    # on port 8081 before a public JWT model (Standard; its batcher went with rev14e defect 5: the model serves v2)
    import dataclasses
    import json

    from components.plan.project import load_project
    from components.plan.report import kubernetes_objects
    from support import ROOT, stack_plan

    project = dataclasses.replace(load_project(ROOT), stack_config_dir="tests/golden_stacks")
    planned = stack_plan(project.stack_config_dir, stack)  # planned once per process
    assert planned.mandatory_failures == []
    objs = tuple({**obj, **reg.plain_inputs()} for reg, obj in kubernetes_objects(planned.result))
    configs = json.loads(planned.result.context["config"]["mlplatform:models"])
    isvcs = [o for o in objs if o["kind"] == "InferenceService" and "transformer" in o["spec"]]
    assert isvcs
    _strict(objs)
    for isvc in isvcs:
        config = configs[isvc["metadata"]["name"]]
        allowed = sorted({*config["access"].get("allowedNamespaces", []), isvc["metadata"]["namespace"]})
        assert _check_model(objs, isvc, allowed) == []


# ------------------------------------------------------------------------------------------------ collocation

SERVER_8085 = {"image": "pytorch/torchserve:0.9.0-cpu", "port": {"number": 8085}}
COLLOCATED = {"collocated": True, **TRANSFORMER, "args": ["--predictor_host=localhost:8085"], "protocol": "v2"}


def _collocated(mode: str = "Knative", **overrides: Any) -> tuple[dict[str, Any], ...]:
    return _objs(mode, format=None, container=SERVER_8085, transformer=COLLOCATED, **overrides)


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
def test_a_collocated_transformer_is_a_second_container_of_the_predictor_and_the_only_port(mode: str) -> None:
    # kserve/website versioned_docs/version-0.20 .../transformers/collocation/collocation.md: transformer-container
    # beside kserve-container, only the transformer declaring a port; KServe then targets it (service_reconciler.go)
    objs = _collocated(mode, scaling={"minReplicas": 1, "metric": "cpu"})
    spec = _one(objs, "InferenceService")["spec"]
    assert "transformer" not in spec
    server, side = spec["predictor"]["containers"]
    assert server["name"] == "kserve-container" and "ports" not in server
    assert side == {
        "name": "transformer-container",
        "image": "kserve/image-transformer:v0.20.0",
        "args": ["--predictor_host=localhost:8085"],
        "ports": [{"name": "http1", "containerPort": 8080, "protocol": "TCP"}],
        "env": [{"name": "PROTOCOL", "value": "v2"}],
        "resources": ONE_CPU,
        "securityContext": RESTRICTED,
    }
    _strict(objs)
    # callers reach the transformer's v2 API on the pod's one port; no component policy, no activator rule needed
    authz = _one(objs, "AuthorizationPolicy")["spec"]
    assert "/v2/models/{*}/infer" in authz["rules"][0]["to"][1]["operation"]["paths"]
    assert authz["rules"][0]["to"][0]["operation"]["ports"] == (["8012", "8013"] if mode == "Knative" else ["8080"])
    assert [o["metadata"]["name"] for o in objs if o["kind"] == "AuthorizationPolicy"] == ["iris-authz"]


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
@pytest.mark.parametrize("access", [INTERNAL, {"jwt": JWT}], ids=["internal", "jwt"])
def test_a_collocated_transformer_keeps_the_models_access_promise(access: dict[str, Any], mode: str) -> None:
    objs = _collocated(mode, access=access, scaling={"minReplicas": 1, "metric": "cpu"})
    allowed = INTERNAL_CALLERS if access is INTERNAL else []
    assert _check_model(objs, _one(objs, "InferenceService"), allowed) == []


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        (
            # beside a runtime's server (tests/serving/test_collocation_runtime.py): its port 8080 is the server's
            {"transformer": COLLOCATED},
            "transformer.container.port.number: 8080 is not allowed; kserve-sklearnserver's model server listens on "
            "8080, 8081 in the same pod (KServe does not move it); give the transformer another port with "
            "--http_port=<port> in its args and container.port.number, and call the server at "
            "--predictor_host=localhost:8080",
        ),
        (
            {"format": None, "container": {"image": "ghcr.io/acme/s:1"}, "transformer": COLLOCATED},
            "container.port.number: 8080 is not allowed; the collocated transformer serves on 8080; give the model "
            "server another port, such as 8085",
        ),
        (
            {"format": None, "container": SERVER_8085, "transformer": {**COLLOCATED, "scaling": {"maxReplicas": 2}}},
            "transformer.scaling: {maxReplicas: 2} is not allowed; a collocated transformer shares the predictor's "
            "pods and their settings; remove it",
        ),
    ],
)
def test_collocation_errors_are_one_line(overrides: dict[str, Any], line: str) -> None:
    got = _error(**overrides)
    assert "\n" not in got and got.endswith(line), got


def _section_examples() -> list[tuple[str, dict[str, Any]]]:
    import yaml

    from support import ROOT

    text = (ROOT / "docs/components/model-service.md").read_text()
    section = text[text.index("### Transformers, explainers and batching") : text.index("### Storage")]
    blocks = [b.split("```", 1)[0] for b in section.split("```yaml\n")[1:]]
    return [(name, spec) for block in blocks for name, spec in yaml.safe_load(block).items()]


@pytest.mark.parametrize(("name", "spec"), _section_examples(), ids=[n for n, _ in _section_examples()])
def test_every_documented_example_plans_strict_and_keeps_its_promise(name: str, spec: dict[str, Any]) -> None:
    objs = tuple(plan(spec, name=name).revealed())
    _strict(objs)
    isvc = _one(objs, "InferenceService")
    allowed = sorted({*spec["access"].get("allowedNamespaces", []), "models"})
    assert _check_model(objs, isvc, allowed if spec["access"].get("mode") == "internal" else []) == []


def test_a_container_explainers_own_files_come_through_the_storage_initializer() -> None:
    uri = "gs://kfserving-examples/models/sklearn/1.3/income/explainer"
    explainer = {"container": {"image": "kserve/alibi-explainer:v0.12.1"}, "storageUri": uri}
    objs = _objs(explainer=explainer)
    container = _one(objs, "InferenceService")["spec"]["explainer"]["containers"][0]
    assert container["env"] == [{"name": "STORAGE_URI", "value": uri}]
    _strict(objs)
    # the model's cloud identity is granted its own storageUri only
    assert _error(publicStorage=False, explainer=explainer).endswith(
        f"explainer.storageUri: {uri} is not allowed; an explainer's storage gets no cloud identity; give "
        "storageSecret (a Secret with the credentials) or publicStorage: true"
    )
    assert _error(explainer={"art": {}, "storageUri": uri}).endswith(
        f"explainer.storageUri: {uri} is not allowed; applies to a container explainer; remove it with art"
    )


def test_a_transformers_own_files_come_through_the_storage_initializer() -> None:
    # kserve/website versioned_docs/version-0.20/model-serving/predictive-inference/frameworks/triton/tensorflow/
    # tensorflow.md: the BERT transformer's STORAGE_URI, which KServe's transformer reconciler downloads
    # (CustomTransformer.GetStorageUri, transformer_custom.go; components/transformer.go, v0.20.0)
    uri = "gs://kfserving-examples/models/triton/bert-transformer"
    transformer = {"container": {"image": "kfserving/bert-transformer-v2:latest"}, "storageUri": uri}
    objs = _objs(transformer=transformer)
    container = _one(objs, "InferenceService")["spec"]["transformer"]["containers"][0]
    assert {"name": "STORAGE_URI", "value": uri} in container["env"]
    _strict(objs)
    assert _error(publicStorage=False, transformer=transformer).endswith(
        f"transformer.storageUri: {uri} is not allowed; a transformer's storage gets no cloud identity; give "
        "storageSecret (a Secret with the credentials) or publicStorage: true"
    )
    assert (
        "transformer.storageUri: s3://bucket-a/t is not allowed; a collocated transformer shares the predictor's pods"
        in (
            _error(
                format=None,
                container={"image": "ghcr.io/acme/server:1", "port": {"number": 8085}},
                transformer={**transformer, "storageUri": "s3://bucket-a/t", "collocated": True},
            )
        )
    )


def test_the_python_api_takes_the_typed_specs() -> None:
    from components.serving.kcomponents import (
        ArtExplainerSpec,
        BatcherSpec,
        ComponentScalingSpec,
        ExplainerSpec,
        TransformerSpec,
    )
    from components.serving.kspec import ContainerSpec

    spec = ModelSpec(
        format="sklearn",
        storage_uri="gs://kfserving-examples/models/sklearn/1.0/model",
        public_storage=True,
        access={"mode": "internal", "allowed_namespaces": ["apps"]},
        transformer=TransformerSpec(
            container=ContainerSpec(image="kserve/image-transformer:v0.20.0"),
            scaling=ComponentScalingSpec(min_replicas=1, max_replicas=2),
        ),
        explainer=ExplainerSpec(art=ArtExplainerSpec(config={"nb_classes": "10"})),
        batcher=BatcherSpec(max_batch_size=8),
    )
    objs = tuple(plan(spec.model_dump(by_alias=True, exclude_unset=True)).revealed())
    isvc = _one(objs, "InferenceService")
    assert set(isvc["spec"]) == {"predictor", "transformer", "explainer"}
    assert isvc["spec"]["predictor"]["batcher"] == {"maxBatchSize": 8}
    assert _check_model(objs, isvc, INTERNAL_CALLERS) == []


def test_a_model_named_by_model_name_with_a_transformer_is_refused() -> None:
    # KServe passes --model_name <model> to a transformer (transformer_custom.go GetContainer), which then calls the
    # predictor by that name; a predictor served under another name would answer it 404

    with pytest.raises(SpecError) as e:
        ModelSpec.model_validate(
            {
                "format": "huggingface",
                "storageUri": "hf://Qwen/Qwen2.5-0.5B-Instruct",
                "args": ["--model_name=qwen"],
                "access": {"mode": "public", "allowAnonymous": True},
                "transformer": {"container": {"image": "ghcr.io/acme/t:1"}},
            }
        )
    assert str(e.value) == (
        "ModelSpec.args.0: --model_name=qwen is not allowed; a transformer or explainer calls the predictor by the "
        "model's own "
        "name (KServe passes it --model_name <model>); remove --model_name"
    )


# ------------------------------------------------------------------------------------------------ component nodes


@pytest.mark.parametrize("component", ["transformer", "explainer"])
def test_a_component_runs_on_its_own_node_selector_and_tolerations_or_else_the_models(component: str) -> None:
    # KServe v0.20.0 gives each component a pod spec of its own (TransformerSpec and ExplainerSpec inline a PodSpec,
    # pkg/apis/serving/v1beta1/transformer.go, explainer.go); kserve/website versioned_docs/version-0.20/
    # model-serving/node-scheduling/isvc-node-scheduling.md sets them on the transformer alone
    taint = {"key": "t1", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    own = {**TRANSFORMER, "nodeSelector": {"pool": "cpu-a"}, "tolerations": [taint]}
    objs = _objs(**{component: own}, nodeSelector={"pool": "cpu-b"})
    spec = _one(objs, "InferenceService")["spec"]
    assert spec[component]["nodeSelector"] == {"pool": "cpu-a"}
    assert spec[component]["tolerations"] == [taint]
    assert spec["predictor"]["nodeSelector"] == {"pool": "cpu-b"}
    _strict(objs)
    # without its own: the model's
    spec = _one(_objs(**{component: TRANSFORMER}, nodeSelector={"pool": "cpu-b"}), "InferenceService")["spec"]
    assert spec[component]["nodeSelector"] == {"pool": "cpu-b"}
    # an empty one of its own: none, the model's not inherited
    spec = _one(
        _objs(**{component: {**TRANSFORMER, "nodeSelector": {}}}, nodeSelector={"pool": "b"}), "InferenceService"
    )["spec"]
    assert "nodeSelector" not in spec[component]


def test_a_components_node_selector_follows_the_models_rules() -> None:
    assert _error(transformer={**TRANSFORMER, "nodeSelector": {"mlplatform.io/accelerator": "x"}}).endswith(
        "transformer.nodeSelector: mlplatform.io/accelerator is not allowed; the platform sets mlplatform.io/* from "
        "resources.accelerator"
    )
