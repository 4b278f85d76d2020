"""Pipeline (KServe InferenceGraph, v1alpha1 at v0.20.0): the exact objects, strict against the upstream CRD schemas,
and the request path through the router (components/serving/requestpath.py).

What KServe does with the graph is read from kserve/kserve v0.20.0: cmd/router/main.go (how steps are called,
which headers go along), pkg/controller/v1alpha1/inferencegraph/controller.go (serviceName resolution in the graph's
namespace), knative_reconciler.go and raw_ig.go (how the router runs), inference_graph_validation.go (the webhook).
Promises asserted here (docs/components/pipeline.md):

- a public pipeline with jwt: the internet without a token (or with a bad one) reaches neither the router nor,
  through it, an internal member model; with a valid token it reaches the router, and the router reaches the member;
- the router reaches a member model only on the one path it calls, and only because of the pipeline's member policy;
  no other caller gains anything (a pod elsewhere still cannot call the internal model);
- an internal pipeline: no public route; its allowed namespaces reach it and, through it, the member; others do not.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import kubernetes_validate
import pytest
from serving_support import JWT, SKLEARN, FakeCluster

from components.errors import SpecError
from components.plan.report import kubernetes_objects
from components.platform.handles import PlatformHandles
from components.serving import requestpath as rp
from components.serving.model_service import ModelService, ModelServiceArgs
from components.serving.pipeline import Pipeline, PipelineArgs
from components.serving.pipeline_spec import PipelineSpec, gjson_problem
from components.serving.spec import ModelSpec
from support import plan_config, run, validate_custom_resource

INTERNAL = {**SKLEARN, "access": {"mode": "internal", "allowedNamespaces": ["apps"]}}
V2_INTERNAL = {**INTERNAL, "format": "xgboost", "protocol": "v2"}
ANONYMOUS = dict(SKLEARN)
PUBLIC_JWT = {"jwt": JWT}
GOOD = rp.Token(JWT["issuer"])
BAD = rp.Token(JWT["issuer"], signed=False)
STRANGER = rp.in_namespace("intruder")
APPS = rp.in_namespace("apps")


def plan_objects(
    models: dict[str, dict[str, Any]], pipeline: dict[str, Any], *, name: str = "chain", mode: str = "Knative"
) -> list[dict[str, Any]]:
    """Plan the models and one pipeline on a fake cluster; every Kubernetes object as rendered."""
    specs = {k: ModelSpec.model_validate({**v, "createNamespace": False}) for k, v in models.items()}
    pspec = PipelineSpec.model_validate({"createNamespace": False, **pipeline})

    def program() -> None:
        platform = PlatformHandles(cluster=FakeCluster(), domain="models.example.com", deployment_mode=mode)  # type: ignore[arg-type]
        services = [ModelService(k, ModelServiceArgs(platform=platform, spec=s)) for k, s in specs.items()]
        Pipeline(name, PipelineArgs(platform=platform, spec=pspec, models=specs))
        assert services

    return [obj for _, obj in kubernetes_objects(run(program))]


def sequence(*targets: str, **access: Any) -> dict[str, Any]:
    return {
        "access": access or PUBLIC_JWT,
        "nodes": {"root": {"routerType": "Sequence", "steps": [{"serviceName": t} for t in targets]}},
    }


def kind(objs: list[dict[str, Any]], k: str, name: str | None = None) -> dict[str, Any]:
    found = [o for o in objs if o["kind"] == k and (name is None or o["metadata"]["name"] == name)]
    assert len(found) == 1, f"{k} {name}: {len(found)}"
    return found[0]


def without(objs: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [o for o in objs if o["metadata"]["name"] != name]


# ------------------------------------------------------------------------------------------------ exact objects

ROUTER_TYPES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "Sequence": (
        {
            "routerType": "Sequence",
            "steps": [
                {"serviceName": "a", "name": "first"},
                {"serviceName": "b", "name": "second", "data": "$response", "dependency": "Hard"},
                {"serviceName": "a", "condition": "predictions.#(>0)", "mapPredictionsToInstances": True},
            ],
        },
        {
            "routerType": "Sequence",
            "steps": [
                {"serviceUrl": "http://a-predictor.models.svc.cluster.local/v1/models/a:predict", "name": "first"},
                {
                    "serviceUrl": "http://b-predictor.models.svc.cluster.local/v2/models/b/infer",
                    "name": "second",
                    "data": "$response",
                    "dependency": "Hard",
                },
                {
                    "serviceUrl": "http://a-predictor.models.svc.cluster.local/v1/models/a:predict",
                    "condition": "predictions.#(>0)",
                    "mapPredictionsToInstances": True,
                },
            ],
        },
    ),
    "Switch": (
        {
            "routerType": "Switch",
            "steps": [
                {"serviceName": "a", "condition": 'instances.#(kind=="flower")'},
                {"serviceName": "b", "condition": "inputs"},
            ],
        },
        {
            "routerType": "Switch",
            "steps": [
                {
                    "serviceUrl": "http://a-predictor.models.svc.cluster.local/v1/models/a:predict",
                    "condition": 'instances.#(kind=="flower")',
                },
                {"serviceUrl": "http://b-predictor.models.svc.cluster.local/v2/models/b/infer", "condition": "inputs"},
            ],
        },
    ),
    "Ensemble": (
        {
            "routerType": "Ensemble",
            "steps": [{"serviceName": "a", "name": "left"}, {"serviceName": "b", "name": "right"}],
        },
        {
            "routerType": "Ensemble",
            "steps": [
                {"serviceUrl": "http://a-predictor.models.svc.cluster.local/v1/models/a:predict", "name": "left"},
                {"serviceUrl": "http://b-predictor.models.svc.cluster.local/v2/models/b/infer", "name": "right"},
            ],
        },
    ),
    "Splitter": (
        {"routerType": "Splitter", "steps": [{"serviceName": "a", "weight": 80}, {"nodeName": "other", "weight": 20}]},
        {
            "routerType": "Splitter",
            "steps": [
                {"serviceUrl": "http://a-predictor.models.svc.cluster.local/v1/models/a:predict", "weight": 80},
                {"nodeName": "other", "weight": 20},
            ],
        },
    ),
}
OTHER = {"routerType": "Sequence", "steps": [{"serviceUrl": "http://scorer.example.com/score"}]}


@pytest.mark.parametrize("router_type", sorted(ROUTER_TYPES))
def test_the_inference_graph_is_exactly_kserves_and_valid_against_the_v0_20_0_crd(router_type: str) -> None:
    given, rendered = ROUTER_TYPES[router_type]
    nodes = {"root": given, "other": OTHER} if router_type == "Splitter" else {"root": given}
    objs = plan_objects({"a": INTERNAL, "b": V2_INTERNAL}, {"access": PUBLIC_JWT, "nodes": nodes})
    graph = kind(objs, "InferenceGraph")
    expected_nodes = {"root": rendered, "other": OTHER} if router_type == "Splitter" else {"root": rendered}
    assert graph == {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "InferenceGraph",
        "metadata": {
            "name": "chain",
            "namespace": "models",
            "labels": {
                "app.kubernetes.io/component": "pipeline",
                "app.kubernetes.io/part-of": "mlplatform",
                "app.kubernetes.io/name": "chain",
                "app.kubernetes.io/instance": "chain",
                "app.kubernetes.io/managed-by": "mlplatform",
            },
            "annotations": {
                "pulumi.com/waitFor": "condition=Ready",
                "pulumi.com/timeoutSeconds": "600",
                "serving.kserve.io/deploymentMode": "Knative",
                "mlplatform.io/access": "public",
                "mlplatform.io/host": "chain-models.models.example.com",
            },
        },
        "spec": {
            "nodes": expected_nodes,
            "serviceAccountName": "chain-router",
            "minReplicas": 1,
            "maxReplicas": 3,
        },
    }
    for obj in objs:
        if obj["apiVersion"].startswith(("serving.kserve.io", "security.istio.io")):
            assert validate_custom_resource(obj) == [], f"{obj['kind']} {obj['metadata']['name']}"
        elif obj["kind"] in ("ServiceAccount", "NetworkPolicy", "PodDisruptionBudget"):
            kubernetes_validate.validate(obj, "1.34", strict=True)


def test_an_internal_pipeline_is_cluster_local_and_keeps_the_activator_off_its_path() -> None:
    objs = plan_objects({"a": INTERNAL}, sequence("a", mode="internal", allowedNamespaces=["apps"]))
    graph = kind(objs, "InferenceGraph")
    assert graph["metadata"]["labels"]["networking.knative.dev/visibility"] == "cluster-local"
    assert graph["metadata"]["annotations"]["autoscaling.knative.dev/target-burst-capacity"] == "0"
    assert graph["metadata"]["annotations"]["mlplatform.io/host"] == "chain.models.svc.cluster.local"
    assert validate_custom_resource(graph) == []


def test_the_router_runs_as_its_own_service_account_without_a_token() -> None:
    objs = plan_objects({"a": INTERNAL}, sequence("a"))
    sa = kind(objs, "ServiceAccount", "chain-router")
    assert sa["automountServiceAccountToken"] is False
    assert kind(objs, "InferenceGraph")["spec"]["serviceAccountName"] == "chain-router"


def test_a_two_replica_router_gets_a_disruption_budget() -> None:
    objs = plan_objects({"a": INTERNAL}, {**sequence("a"), "scaling": {"minReplicas": 2}})
    pdb = kind(objs, "PodDisruptionBudget", "chain-pdb")
    assert pdb["spec"]["selector"] == {"matchLabels": {"serving.kserve.io/inferencegraph": "chain"}}


# ------------------------------------------------------------------------------------------------ request path


@pytest.fixture(scope="module")
def public() -> list[dict[str, Any]]:
    return plan_objects({"a": INTERNAL, "b": V2_INTERNAL}, sequence("a", "b"))


def _isvc(objs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(o for o in objs if o["kind"] == "InferenceService" and o["metadata"]["name"] == name)


@pytest.mark.parametrize("at_zero", [False, True])
def test_no_token_no_model_through_a_public_pipeline(public: list[dict[str, Any]], at_zero: bool) -> None:
    graph, isvc = kind(public, "InferenceGraph"), _isvc(public, "a")
    if at_zero:
        graph = {**graph, "spec": {**graph["spec"], "minReplicas": 0}}
    for token in (None, BAD):
        out = rp.through_pipeline(public, graph, isvc, rp.INTERNET, at_zero=at_zero, token=token)
        assert set(out) == {"public gateway"}
        assert not rp.reaches(out), out
    out = rp.through_pipeline(public, graph, isvc, rp.INTERNET, at_zero=at_zero, token=GOOD)
    assert all(o.reached for o in out["public gateway"]), out


def test_a_valid_token_reaches_each_internal_member_through_the_router(public: list[dict[str, Any]]) -> None:
    graph = kind(public, "InferenceGraph")
    for member in ("a", "b"):
        out = rp.through_pipeline(public, graph, _isvc(public, member), rp.INTERNET, token=GOOD)
        assert rp.reaches(out, "public gateway"), out


def test_the_router_reaches_its_members_on_the_step_url_as_itself(public: list[dict[str, Any]]) -> None:
    graph = kind(public, "InferenceGraph")
    for member in ("a", "b"):
        call = rp.router_call(public, graph, _isvc(public, member))
        assert call.reached, call


def test_through_kserves_own_service_url_the_internal_member_would_refuse_the_router(
    public: list[dict[str, Any]],
) -> None:
    """Why steps get the predictor URL: KServe would resolve serviceName to status.address.url, the top-level host
    ``<model>.<ns>.svc.cluster.local`` (ingress_reconciler.go), an ExternalName to knative-local-gateway; the
    model then sees the gateway, which an internal model refuses. Through the predictor host it sees the router."""
    router = rp.router_of(kind(public, "InferenceGraph"))
    as_router = rp.Caller("router", router.peer, src=router.src)
    out = rp.routes(public, _isvc(public, "a"), as_router, at_zero=False)
    assert not rp.reaches(out, "local gateway"), out
    assert rp.reaches(out, "mesh"), out


def test_the_router_reaches_the_inference_api_only(public: list[dict[str, Any]]) -> None:
    graph, isvc = kind(public, "InferenceGraph"), _isvc(public, "a")
    step = rp.step_request(graph, isvc)
    assert step.path == "/v1/models/a:predict"
    for method, path in (("GET", "/metrics"), ("POST", "/v2/repository/models/a/unload")):
        assert not rp.router_call(public, graph, isvc, replace(step, method=method, path=path)).reached


def test_a_pipeline_adds_nothing_to_its_members_access() -> None:
    """The router is admitted by what the model already says (its own namespace); the pipeline renders no object
    that selects a model's pods, and a pod elsewhere still cannot call the internal model."""
    objs = plan_objects({"a": INTERNAL}, sequence("a"))
    models_only = [o for o in objs if o["metadata"].get("labels", {}).get("app.kubernetes.io/component") != "pipeline"]
    selectors = [
        o["spec"].get("selector") or o["spec"].get("podSelector")
        for o in objs
        if o["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "pipeline" and "spec" in o
    ]
    assert all("serving.kserve.io/inferenceservice" not in (s or {}).get("matchLabels", {}) for s in selectors)
    isvc = _isvc(objs, "a")
    for caller in (STRANGER, rp.INTERNET):
        assert not rp.reaches(rp.routes(objs, isvc, caller, at_zero=False))
        assert not rp.reaches(rp.routes(models_only, isvc, caller, at_zero=False))
    assert rp.reaches(rp.routes(objs, isvc, APPS, at_zero=False), "mesh")


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
def test_an_internal_pipeline_admits_its_namespaces_only(mode: str) -> None:
    objs = plan_objects({"a": INTERNAL}, sequence("a", mode="internal", allowedNamespaces=["apps"]), mode=mode)
    graph, isvc = kind(objs, "InferenceGraph"), _isvc(objs, "a")
    assert rp.pipeline_routes(objs, graph, rp.INTERNET) == {}
    assert rp.reaches(rp.through_pipeline(objs, graph, isvc, APPS), "mesh")
    stranger = rp.through_pipeline(objs, graph, isvc, STRANGER)
    assert not rp.reaches(stranger), stranger
    if mode == "Knative":  # knative-local-gateway is the gateway's identity, which the router does not admit
        assert not rp.reaches(rp.through_pipeline(objs, graph, isvc, APPS), "local gateway")


def test_the_router_admits_only_post() -> None:
    objs = plan_objects({"a": INTERNAL}, sequence("a"))
    graph = kind(objs, "InferenceGraph")
    router = rp.router_of(graph)
    get = rp.Request(router.predictor_host, router.port, path="/", method="GET", token=GOOD)
    assert not rp.decide(objs, router.pods, rp.Peer(rp.GATEWAY_PRINCIPAL, "istio-system"), get).allowed
    assert rp.decide(
        objs, router.pods, rp.Peer(rp.GATEWAY_PRINCIPAL, "istio-system"), replace(get, method="POST")
    ).allowed


# ------------------------------------------------------------------------------------------------ stack and Python API

PIPELINE = "mlplatform:index:Pipeline"
BASE: dict[str, Any] = {"cloud": "existing", "platform": {"domain": "models.example.com"}}


def test_a_stack_pipeline_waits_for_its_members_and_the_shared_namespace() -> None:
    result = plan_config({**BASE, "models": {"a": INTERNAL, "b": ANONYMOUS}, "pipelines": {"chain": sequence("a")}})
    pipeline = result.one(PIPELINE, "chain")
    graph = result.one("kubernetes:serving.kserve.io/v1alpha1:InferenceGraph", "chain-graph")
    assert graph.parent == pipeline.urn
    # depending on a component means waiting for its children: the SDK sends their URNs
    member = result.one("kubernetes:serving.kserve.io/v1beta1:InferenceService", "a-isvc")
    namespace = result.one("kubernetes:core/v1:Namespace", "models-namespace")
    assert {member.urn, namespace.urn} <= set(graph.depends_on)
    assert not [c for c in result.children(pipeline) if c.type == "kubernetes:core/v1:Namespace"]
    assert result.stack_outputs["pipelines"]["chain"]["url"] == "https://chain-models.models.example.com"
    assert result.stack_outputs["pipelines"]["chain"]["internalUrl"] == "http://chain.models.svc.cluster.local"


def test_the_python_api_refuses_with_the_stack_files_line_and_registers_nothing() -> None:
    specs = {"a": ModelSpec.model_validate({**INTERNAL, "createNamespace": False})}
    pspec = PipelineSpec.model_validate(sequence("a", allowAnonymous=True))
    registered: list[str] = []

    def program() -> None:
        platform = PlatformHandles(cluster=FakeCluster(), domain="models.example.com")
        try:
            Pipeline("chain", PipelineArgs(platform=platform, spec=pspec, models=specs))
        except SpecError as e:
            registered.append(str(e))

    result = run(program)
    assert registered == [
        "nodes.root.steps.0.serviceName: a is not allowed; an anonymous pipeline would open this internal model to "
        "everyone; give the pipeline jwt"
    ]
    assert not [r for r in result.resources if r.type == PIPELINE]


def test_a_python_spec_is_refused_in_one_line() -> None:
    with pytest.raises(SpecError) as e:
        PipelineSpec.model_validate(
            {
                "access": PUBLIC_JWT,
                "nodes": {"root": {"routerType": "Splitter", "steps": [{"serviceName": "a", "weight": 7}]}},
            }
        )
    assert str(e.value) == (
        "PipelineSpec.nodes.root.steps: weights adding up to 7 is not allowed; give Splitter weights that add up to "
        "100 (KServe's rule)"
    )


@pytest.mark.parametrize(
    "path",
    [
        # conditions in KServe v0.20.0's router tests (cmd/router/main_test.go), its graph samples
        # (docs/samples/graph/README.md, switch.yaml) and e2e resources (test/e2e/graph/test-resources/
        # ig_test_switch_scenario_*.yaml); then examples of GJSON v1.18.0's SYNTAX.md
        'instances.#(modelId=="1")',
        'predictions.#(label=="dog")',
        "[@this].#(decision_picker==ERROR)",
        "[@this].#(source==client)",
        "instances.#(intval>10)",
        "instances.#(strval%*red-server*)",
        "predictions",
        'friends.#(last=="Murphy")#.first',
        'friends.#(nets.#(=="fb"))#.first',
        "fav\\.movie",
        '{name.first,age,"the_murphys":friends.#(last="Murphy")#.first}',
        "children|@reverse|0",
        "..#",
    ],
)
def test_gjson_paths_the_router_reads_are_accepted(path: str) -> None:
    assert gjson_problem(path) is None


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("", "give a GJSON path"),
        ("instances.#(x==1", "unclosed"),
        ('instances.#(x=="a)', "unclosed string"),
        ("a)", "unmatched ')'"),
        ("[a,b}", "unmatched '}'"),
        ("a.", "cannot end with '.'"),
        ("a|", "cannot end with '|'"),
        ("a..b", "empty component"),
        ("a\\", "escape character"),
        ("a\u00e9", "printable ASCII"),
    ],
)
def test_gjson_paths_that_cannot_parse_are_refused(path: str, why: str) -> None:
    problem = gjson_problem(path)
    assert problem is not None and why in problem, problem


def test_knatives_ingress_probe_is_answered_at_the_router() -> None:
    """Knative probes the router's revision through each gateway pod like any Knative Service (knative.dev/networking
    pkg/status/status.go); the router pods admit the probe, which the queue-proxy answers itself."""
    for access in (PUBLIC_JWT, {"mode": "internal", "allowedNamespaces": ["apps"]}):
        objs = plan_objects({"a": INTERNAL}, {**sequence("a"), "access": access})
        router = rp.router_of(kind(objs, "InferenceGraph"))
        req = rp.Request(router.predictor_host, router.port, "/healthz", "GET", headers=rp.INGRESS_PROBE_HEADERS)
        gateway = rp.Peer(rp.GATEWAY_PRINCIPAL, "istio-system")
        assert rp.admits(objs, router.pods, rp.GATEWAY_SOURCE, router.port).allowed
        assert rp.decide(objs, router.pods, gateway, req).allowed and rp.probe(req)
        assert not rp.decide(objs, router.pods, gateway, replace(req, headers=())).allowed


def test_a_step_calls_a_hugging_face_model_by_the_name_it_is_served_under() -> None:
    # KServe's Hugging Face server registers the model under the last --model_name of its args
    # (components/serving/runtimes.py NAMED_RUNTIMES): the router calls that name, not the model's key
    from components.serving.pipeline import step_url

    hf = ModelSpec.model_validate(
        {
            "format": "huggingface",
            "storageUri": "hf://Qwen/Qwen2.5-0.5B-Instruct",
            "args": ["--model_name=qwen"],
            "access": {"mode": "public", "allowAnonymous": True},
        }
    )
    assert step_url("chat", hf) == "http://chat-predictor.models.svc.cluster.local/v1/models/qwen:predict"
    plain = hf.model_copy(update={"args": []})
    assert step_url("chat", plain) == "http://chat-predictor.models.svc.cluster.local/v1/models/chat:predict"


WITH_TRANSFORMER = {
    **INTERNAL,
    "transformer": {"container": {"image": "kserve/image-transformer:v0.20.0"}, "protocol": "v2"},
}


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
def test_a_step_to_a_model_with_a_transformer_calls_the_transformer(mode: str) -> None:
    """rev14 defect 5: the step went to ``<m>-predictor`` and skipped the transformer's pre/post-processing. KServe
    v0.20.0 resolves ``serviceName`` with ``GetPredictorEndpoint`` (pkg/controller/v1alpha1/inferencegraph/
    controller.go -> pkg/controller/v1beta1/inferenceservice/utils/utils.go): the InferenceService's address, which
    is the transformer's when there is one, and the path of the transformer's protocol (its PROTOCOL, here v2)."""
    objs = plan_objects(
        {"withtr": WITH_TRANSFORMER, "b": V2_INTERNAL},
        sequence("withtr", "b", mode="internal", allowedNamespaces=["apps"]),
        mode=mode,
    )
    graph, isvc = kind(objs, "InferenceGraph"), _isvc(objs, "withtr")
    assert graph["spec"]["nodes"]["root"]["steps"] == [
        {"serviceUrl": "http://withtr-transformer.models.svc.cluster.local/v2/models/withtr/infer"},
        {"serviceUrl": "http://b-predictor.models.svc.cluster.local/v2/models/b/infer"},
    ]
    assert validate_custom_resource(graph) == []
    step = rp.step_request(graph, isvc)
    assert (step.host, step.path) == ("withtr-transformer.models.svc.cluster.local", "/v2/models/withtr/infer")
    call = rp.router_call(objs, graph, isvc)
    assert call == rp.Outcome(
        "router", True, ("allowed at models/withtr (transformer) by withtr-transformer-authz",)
    ), call
    assert rp.reaches(rp.through_pipeline(objs, graph, isvc, APPS))
    assert not rp.reaches(rp.through_pipeline(objs, graph, isvc, STRANGER))
    # the transformer's AuthorizationPolicy is what admits the router (it runs in the model's namespace): narrowed
    # to another namespace, the router's call is refused
    authz = kind(objs, "AuthorizationPolicy", "withtr-transformer-authz")
    narrowed = {
        **authz,
        "spec": {
            **authz["spec"],
            "rules": [
                {**r, "from": [{"source": {"namespaces": ["apps"]}}]}
                if r.get("from") == authz["spec"]["rules"][0]["from"]
                else r
                for r in authz["spec"]["rules"]
            ],
        },
    }
    assert not rp.router_call([*without(objs, "withtr-transformer-authz"), narrowed], graph, isvc).reached


@pytest.mark.parametrize(
    ("router_min", "member_mins", "timeout"),
    [
        (1, (0,), 600 + 300),  # one CPU member at zero: its 600 s start + a request
        (1, (0, 0), 600 + 600 + 300),  # a Sequence waits for each member in turn
        (0, (0,), 600 + 600 + 300),  # + the router's own start
        (0, (1,), 600 + 300),  # the router's own start only
    ],
)
def test_a_router_in_front_of_pods_at_zero_waits_for_them(
    router_min: int, member_mins: tuple[int, ...], timeout: int
) -> None:
    # fixt14: main rendered no timeout, so KServe v0.20.0's router cut every answer after its http.Server
    # WriteTimeout of 60 s (cmd/router/main.go initTimeouts, pkg/constants/constants.go RouterTimeoutServerWrite) and
    # Knative after 300 s (knative_reconciler.go TimeoutSeconds: graph.Spec.TimeoutSeconds), while a model at zero
    # takes its cold start to answer
    models = {f"m{i}": {**SKLEARN, "scaling": {"minReplicas": m}} for i, m in enumerate(member_mins)}
    pipeline = {**sequence(*models, allowAnonymous=True), "scaling": {"minReplicas": router_min}}
    graph = kind(plan_objects(models, pipeline), "InferenceGraph")
    assert graph["spec"]["timeout"] == timeout
    assert graph["spec"]["routerTimeouts"] == {"serverWrite": timeout}
    assert validate_custom_resource(graph) == []


SPLIT_THEN_B = {
    "root": {"routerType": "Sequence", "steps": [{"nodeName": "pick"}, {"serviceName": "b", "data": "$response"}]},
    "pick": {
        "routerType": "Splitter",
        "steps": [{"serviceName": "a", "weight": 50}, {"serviceName": "b", "weight": 50}],
    },
}
"""A Splitter inside a Sequence: the Splitter may pick ``a``, and then ``b`` is still at zero when the Sequence's next
step calls it."""
FAST_FIRST = {
    "root": {
        "routerType": "Ensemble",
        "steps": [{"serviceName": "warm", "name": "w"}, {"serviceName": "a", "name": "a"}],
    }
}
"""An Ensemble whose first member is warm and whose second is at zero."""
SPLIT_FAST_FIRST = {
    "root": {
        "routerType": "Splitter",
        "steps": [{"serviceName": "warm", "weight": 50}, {"serviceName": "a", "weight": 50}],
    }
}


@pytest.mark.parametrize(
    ("nodes", "timeout"),
    [
        (SPLIT_THEN_B, 600 + 600 + 300),  # rev17g g01 rendered 900: the Splitter marked b started though it called a
        (FAST_FIRST, 600 + 300),  # rev17g g02 rendered no timeout at all: the first (warm) member's wait, 0 s
        (SPLIT_FAST_FIRST, 600 + 300),  # the Splitter may pick the member at zero
    ],
    ids=["splitter-then-sequence-step", "ensemble-fast-first", "splitter-fast-first"],
)
def test_a_branching_graph_renders_the_slowest_path_a_request_can_take(nodes: dict[str, Any], timeout: int) -> None:
    """issue #17 (rev17g g01, g02, P10): the rendering's own walk (components/serving/pipeline.py ``_slowest_path``)
    follows KServe v0.20.0 cmd/router/main.go ``routeStep``: a Splitter calls ONE step (``pickupRoute``), so members
    of the branches it did not take are still at zero afterwards; an Ensemble runs every step at once (a goroutine
    per step) and waits for the slowest, wherever it sits."""
    models = {
        "warm": {**SKLEARN, "scaling": {"minReplicas": 1}},
        "a": {**SKLEARN, "scaling": {"minReplicas": 0}},
        "b": {**SKLEARN, "scaling": {"minReplicas": 0}},
    }
    pipeline = {"access": {"allowAnonymous": True}, "scaling": {"minReplicas": 1}, "nodes": nodes}
    graph = kind(plan_objects(models, pipeline), "InferenceGraph")
    assert graph["spec"].get("timeout") == timeout
    assert graph["spec"].get("routerTimeouts") == {"serverWrite": timeout}


def test_a_router_with_nothing_at_zero_keeps_kserves_defaults() -> None:
    graph = kind(plan_objects({"a": SKLEARN}, sequence("a", allowAnonymous=True)), "InferenceGraph")
    assert "timeout" not in graph["spec"] and "routerTimeouts" not in graph["spec"]


def _graph_resources(objs: list[dict[str, Any]]) -> list[Any]:
    from policy.rules.base import Resource

    return [
        Resource(
            type=f"kubernetes:{o['apiVersion']}:{o['kind']}",
            name=o["metadata"]["name"],
            urn=f"urn:{o['kind']}:{o['metadata']['name']}",
            props={k: v for k, v in o.items() if k != "kind"},
        )
        for o in objs
        if o["kind"] in ("InferenceGraph", "InferenceService")
    ]


def test_the_timeout_rule_judges_a_router_in_front_of_a_model_at_zero() -> None:
    # fixt14: the rule timeouts-cover-cold-start judged InferenceServices only; a graph rendered as on main (no
    # timeout, no routerTimeouts: Knative's 300 s, the router's 60 s WriteTimeout) in front of a model at zero passed
    from components.serving import timeouts
    from policy.rules.base import Facts
    from policy.rules.timeouts import _check

    objs = plan_objects({"a": {**SKLEARN, "scaling": {"minReplicas": 0}}}, sequence("a", allowAnonymous=True))
    graph, isvcs = kind(objs, "InferenceGraph"), [o for o in objs if o["kind"] == "InferenceService"]
    assert timeouts.graph_problems(graph, isvcs) == []
    as_on_main = {**graph, "spec": {k: v for k, v in graph["spec"].items() if k not in ("timeout", "routerTimeouts")}}
    expected = [
        "models/chain: router timeout 300s < cold starts 600s + request 300s",
        "models/chain: router timeout 300s < cold starts 600s",
        "models/chain: router serverWrite 60s < cold starts 600s + request 300s",
        "models/chain: router serverWrite 60s < cold starts 600s",
    ]
    assert timeouts.graph_problems(as_on_main, isvcs) == expected
    found = [f.message for f in _check(_graph_resources([as_on_main, *isvcs]), Facts())]
    assert found == expected
    assert [f.message for f in _check(_graph_resources(objs), Facts())] == []


def test_a_standard_mode_router_does_not_cut_its_members_answers_at_60_s() -> None:
    """rev14h defect 1, the pipeline side: in Standard mode KServe v0.20.0 reads no graph ``timeout`` (raw_ig.go: a
    Deployment, a Service and an HPA, no route), but the router's ``http.Server`` stops writing after
    ``routerTimeouts.serverWrite``, 60 s without it (cmd/router/main.go initTimeouts, pkg/constants/constants.go
    RouterTimeoutServerWrite), which cut a member's answer that its own timeout (900 s here) allows."""
    objs = plan_objects({"a": INTERNAL}, sequence("a", mode="internal", allowedNamespaces=["apps"]), mode="Standard")
    graph = kind(objs, "InferenceGraph")
    assert graph["spec"]["routerTimeouts"] == {"serverWrite": 1800}
    assert "timeout" not in graph["spec"]
    assert validate_custom_resource(graph) == []


def test_an_https_step_is_refused_in_one_line() -> None:
    """rev14h defect 2: KServe v0.20.0's router, finding its sidecar, rewrites an https step to plain http and leaves
    TLS to an Istio TLS origination (cmd/router/main.go callService, isInIstioMesh) that the platform does not render:
    the previous step's answer left the cluster unencrypted, to port 80. Refused; http:// stays."""
    nodes = {"root": {"routerType": "Sequence", "steps": [{"serviceUrl": "https://scoring.partner.example.com/v1"}]}}
    with pytest.raises(SpecError) as e:
        plan_objects({"a": INTERNAL}, {"access": PUBLIC_JWT, "nodes": nodes})
    assert str(e.value).splitlines() == [
        "PipelineSpec.nodes.root.steps.0.serviceUrl: https://scoring.partner.example.com/v1 is not allowed; the "
        "pipeline router "
        "sends an https:// step as plain HTTP from inside the mesh (KServe v0.20.0 cmd/router/main.go callService) and "
        "the platform renders no TLS origination for it, so the previous step's answer would leave the cluster "
        "unencrypted; call a model of this stack (serviceName) or an http:// service inside the cluster instead, or "
        "remove the step"
    ]
    nodes["root"]["steps"][0]["serviceUrl"] = "http://scoring.partner.example.com/v1"
    assert kind(plan_objects({"a": INTERNAL}, {"access": PUBLIC_JWT, "nodes": nodes}), "InferenceGraph")
