"""rev17m's serving and request-log misses (/work/wt/rev17m-report.md, issue #17), caught on real plans.

- 13: the request-log collector's container with a writable root filesystem (``pod-restricted-hardening``);
- 18: an Azure Workload Identity model's pods without azure.workload.identity/use (``workload-identity-binding``);
- 19: a namespace- or mesh-wide RequestAuthentication accepting other audiences (``jwt-audiences-rendered``);
- 23: a model's logger sending the caller's Authorization header to the collector (``model-jwt-rules``);
- 24: an internal model publishing KServe's top-level host (``internal-model-callers``);
- 26: a model container's secretKeyRef naming a key the rendered Secret lacks (``model-declared-secrets``);

Each test mutates a real plan the way the slip renders it (benchmarks/policy_mutations.py holds the slips in the
source; the benchmark shows them caught in a plan of the mutated program), and the boundary cases on either side.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from policy.rules import run_rules
from policy.rules.base import Resource
from support import cover_plan, mutated_resources, rules_named, rules_plan

ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"


def _failures(plan: tuple[tuple[Resource, ...], Any], resources: Sequence[Resource], rule: str) -> list[str]:
    entries = run_rules(list(resources), plan[1], rules=rules_named(rule))
    return [e["message"] for e in entries if not e["passed"]]


# ------------------------------------------------------------------------------------------------ 13: vector root


def _vector(r: Resource) -> bool:
    return r.type.endswith(":Release") and r.name.endswith("-request-logs")


def _vector_ro(value: object) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        ctx = props["values"]["securityContext"]
        assert ctx["readOnlyRootFilesystem"] is True
        if value is None:
            del ctx["readOnlyRootFilesystem"]
        else:
            ctx["readOnlyRootFilesystem"] = value

    return change


def test_the_collector_plan_renders_a_read_only_root() -> None:
    plan = cover_plan("cover-aws-node-groups")
    (release,) = [r for r in plan[0] if _vector(r)]
    assert release.props["values"]["securityContext"]["readOnlyRootFilesystem"] is True
    assert _failures(plan, plan[0], "pod-restricted-hardening") == []


@pytest.mark.parametrize(("value", "shown"), [(False, "False"), (None, "None"), ("true", "'true'")])
def test_13_collector_with_a_writable_root_fails(value: object, shown: str) -> None:
    plan = cover_plan("cover-aws-node-groups")
    resources = mutated_resources(plan[0], _vector, _vector_ro(value), exactly=1)
    (release,) = [r for r in resources if _vector(r)]
    name = release.props.get("name", release.name)
    assert _failures(plan, resources, "pod-restricted-hardening") == [
        f"Helm release {name} (vector) values securityContext.readOnlyRootFilesystem is {shown} (the request-log "
        "collector): its container may write its root filesystem (the Kubernetes default is false); set it to true"
    ]


# ------------------------------------------------------------------------------------------------ 26: HF token key


def _qwen(r: Resource) -> bool:
    return r.type == ISVC and r.k8s_name == "qwen-chat"


def _hf_ref(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def apply(props: dict[str, Any]) -> None:
        (env,) = [e for e in props["spec"]["predictor"]["model"]["env"] if e["name"] == "HF_TOKEN"]
        assert env["valueFrom"]["secretKeyRef"] == {"name": "qwen-chat-hf-token", "key": "HF_TOKEN"}
        change(env["valueFrom"]["secretKeyRef"])

    return apply


def test_gcp_prod_renders_the_hf_token_secret_and_its_ref() -> None:
    plan = rules_plan("gcp-prod")
    (secret,) = [r for r in plan[0] if r.type == "kubernetes:core/v1:Secret" and r.k8s_name == "qwen-chat-hf-token"]
    assert list(secret.props["stringData"]) == ["HF_TOKEN"]
    assert _failures(plan, plan[0], "model-declared-secrets") == []


def test_26_hf_token_names_a_key_the_secret_lacks() -> None:
    plan = rules_plan("gcp-prod")
    resources = mutated_resources(plan[0], _qwen, _hf_ref(lambda ref: ref.update(key="token")), exactly=1)
    assert _failures(plan, resources, "model-declared-secrets") == [
        "InferenceService models/qwen-chat predictor model variable HF_TOKEN reads key 'token' of Secret "
        "qwen-chat-hf-token, which holds ['HF_TOKEN']: the kubelet refuses to start the container "
        "(CreateContainerConfigError)"
    ]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda ref: ref.update(key="token", optional=True), id="optional-key"),
        pytest.param(lambda ref: ref.update(name="hf-from-outside", key="token"), id="secret-not-in-plan"),
    ],
)
def test_26_boundaries_pass(change: Callable[[dict[str, Any]], None]) -> None:
    """An optional ref the kubelet skips, and a Secret the plan does not render (created outside the stack)."""
    plan = rules_plan("gcp-prod")
    resources = mutated_resources(plan[0], _qwen, _hf_ref(change), exactly=1)
    assert _failures(plan, resources, "model-declared-secrets") == []


# ------------------------------------------------------------------------------------------------ 23: logger headers


def _logging_isvcs(resources: Sequence[Resource]) -> list[Resource]:
    return [r for r in resources if r.type == ISVC and r.props["spec"]["predictor"].get("logger")]


def _headers(headers: list[str]) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        logger = props["spec"]["predictor"]["logger"]
        assert logger["metadataHeaders"] == ["X-Request-Id"]
        logger["metadataHeaders"] = headers

    return change


def test_the_logging_plan_sends_only_the_request_id() -> None:
    plan = cover_plan("cover-aws-node-groups")
    assert _logging_isvcs(plan[0])
    assert _failures(plan, plan[0], "model-jwt-rules") == []


@pytest.mark.parametrize("header", ["Authorization", "authorization", "Cookie", "Proxy-Authorization"])
def test_23_logger_sends_a_credential_header(header: str) -> None:
    plan = cover_plan("cover-aws-node-groups")
    first = _logging_isvcs(plan[0])[0]
    pick = lambda r: r.urn == first.urn  # noqa: E731
    resources = mutated_resources(plan[0], pick, _headers(["X-Request-Id", header]), exactly=1)
    assert _failures(plan, resources, "model-jwt-rules") == [
        f"InferenceService {first.namespace}/{first.k8s_name} predictor logger.metadataHeaders names {header}: the "
        "agent sends the caller's credentials with every record to the request-log collector; log only non-secret "
        "headers"
    ]


@pytest.mark.parametrize("header", ["X-B3-Traceid", "Authorization-Hint", "X-Cookie-Id"])
def test_23_other_headers_pass(header: str) -> None:
    plan = cover_plan("cover-aws-node-groups")
    first = _logging_isvcs(plan[0])[0]
    resources = mutated_resources(plan[0], lambda r: r.urn == first.urn, _headers(["X-Request-Id", header]), exactly=1)
    assert _failures(plan, resources, "model-jwt-rules") == []


# ------------------------------------------------------------------------------------------------ 24: internal host


def _xgb(r: Resource) -> bool:
    return r.type == ISVC and r.k8s_name == "xgboost-iris"


def _host(value: str) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        ann = props["metadata"]["annotations"]
        assert ann["mlplatform.io/host"] == "xgboost-iris-predictor.models.svc.cluster.local"
        ann["mlplatform.io/host"] = value

    return change


def test_local_renders_the_internal_model_on_its_predictor_host() -> None:
    plan = rules_plan("local")
    (model,) = [r for r in plan[0] if _xgb(r)]
    assert model.metadata["annotations"]["mlplatform.io/access"] == "internal"
    assert _failures(plan, plan[0], "internal-model-callers") == []


@pytest.mark.parametrize(
    "value",
    ["xgboost-iris.models.svc.cluster.local", "xgboost-iris-transformer.models.svc.cluster.local"],
)
def test_24_internal_model_publishes_another_host(value: str) -> None:
    plan = rules_plan("local")
    resources = mutated_resources(plan[0], _xgb, _host(value), exactly=1)
    assert _failures(plan, resources, "internal-model-callers") == [
        f"internal model models/xgboost-iris publishes host {value!r}, not its predictor host "
        "'xgboost-iris-predictor.models.svc.cluster.local': KServe's top-level host goes through "
        "knative-local-gateway, whose principal the model refuses (403)"
    ]


def test_24_a_separate_transformer_is_the_entry() -> None:
    """With a transformer of its own, the transformer's host is the right one and the predictor's is not."""
    plan = rules_plan("local")

    def with_transformer(host: str) -> Callable[[dict[str, Any]], None]:
        def change(props: dict[str, Any]) -> None:
            _host(host)(props)
            props["spec"]["transformer"] = {"containers": [{"name": "kserve-container", "image": "t:1"}]}

        return change

    good = mutated_resources(
        plan[0], _xgb, with_transformer("xgboost-iris-transformer.models.svc.cluster.local"), exactly=1
    )
    assert [m for m in _failures(plan, good, "internal-model-callers") if "publishes host" in m] == []
    bad = mutated_resources(
        plan[0], _xgb, with_transformer("xgboost-iris-predictor.models.svc.cluster.local"), exactly=1
    )
    assert [m for m in _failures(plan, bad, "internal-model-callers") if "publishes host" in m] == [
        "internal model models/xgboost-iris publishes host 'xgboost-iris-predictor.models.svc.cluster.local', not its "
        "transformer host 'xgboost-iris-transformer.models.svc.cluster.local': KServe's top-level host goes through "
        "knative-local-gateway, whose principal the model refuses (403)"
    ]


# ------------------------------------------------------------------------------------------------ 18: identity label

USE = "azure.workload.identity/use"


def _bert(r: Resource) -> bool:
    return r.type == ISVC and r.k8s_name == "bert-onnx"


def _use_label(value: str | None) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        labels = props["spec"]["predictor"]["labels"]
        assert labels[USE] == "true"
        if value is None:
            del labels[USE]
        else:
            labels[USE] = value

    return change


def test_azure_staging_labels_the_identity_model() -> None:
    plan = rules_plan("azure-staging")
    (bert,) = [r for r in plan[0] if _bert(r)]
    assert bert.props["spec"]["predictor"]["serviceAccountName"] == "bert-onnx-sa"
    assert bert.props["spec"]["predictor"]["labels"][USE] == "true"
    assert _failures(plan, plan[0], "workload-identity-binding") == []


@pytest.mark.parametrize(("value", "shown"), [(None, "None"), ("false", "'false'"), ("True", "'True'")])
def test_18_identity_model_without_the_use_label(value: str | None, shown: str) -> None:
    plan = rules_plan("azure-staging")
    resources = mutated_resources(plan[0], _bert, _use_label(value), exactly=1)
    assert _failures(plan, resources, "workload-identity-binding") == [
        "InferenceService models/bert-onnx predictor runs as ServiceAccount bert-onnx-sa "
        f'(azure.workload.identity/client-id) but its pods\' label {USE} is {shown}, not "true": Azure Workload '
        "Identity injects no token and the model cannot read its storage"
    ]


def test_18_a_model_without_an_identity_needs_no_label() -> None:
    """sklearn-iris (public storage) runs as a ServiceAccount without client-id: no label asked."""
    plan = rules_plan("azure-staging")
    (iris,) = [r for r in plan[0] if r.type == ISVC and r.k8s_name == "sklearn-iris"]
    assert USE not in iris.props["spec"]["predictor"]["labels"]
    assert _failures(plan, plan[0], "workload-identity-binding") == []


def test_18_a_transformer_running_as_the_identity_needs_the_label_too() -> None:
    plan = rules_plan("azure-staging")

    def add_transformer(labels: dict[str, str]) -> Callable[[dict[str, Any]], None]:
        def change(props: dict[str, Any]) -> None:
            props["spec"]["transformer"] = {"serviceAccountName": "bert-onnx-sa", "labels": labels, "containers": []}

        return change

    ok = mutated_resources(plan[0], _bert, add_transformer({USE: "true"}), exactly=1)
    assert _failures(plan, ok, "workload-identity-binding") == []
    bad = mutated_resources(plan[0], _bert, add_transformer({}), exactly=1)
    assert _failures(plan, bad, "workload-identity-binding") == [
        "InferenceService models/bert-onnx transformer runs as ServiceAccount bert-onnx-sa "
        f'(azure.workload.identity/client-id) but its pods\' label {USE} is None, not "true": Azure Workload '
        "Identity injects no token and the model cannot read its storage"
    ]


# ------------------------------------------------------------------------------------------------ 19: wide JWT rule

RA = "kubernetes:security.istio.io/v1:RequestAuthentication"
ISSUER = "https://auth.example.com/realms/models"


def _with_wide_ra(namespace: str, spec: dict[str, Any]) -> list[Resource]:
    """gcp-prod's plan plus a RequestAuthentication ``front-jwt`` (a pipeline's, say) in ``namespace`` with ``spec``."""
    import copy
    from dataclasses import replace

    plan = rules_plan("gcp-prod")
    (base,) = [r for r in plan[0] if r.type == RA and r.k8s_name == "sklearn-iris-jwt"]
    props = copy.deepcopy(dict(base.props))
    props["metadata"] = {**props["metadata"], "name": "front-jwt", "namespace": namespace}
    props["spec"] = spec
    extra = replace(base, urn=base.urn.replace("sklearn-iris-jwt", "front-jwt"), name="front-jwt", props=props)
    assert extra.namespace == namespace and extra.k8s_name == "front-jwt"
    return [*plan[0], extra]


def _rule(**audiences: Any) -> dict[str, Any]:
    return {"issuer": ISSUER, "jwksUri": "https://auth.example.com/realms/models/certs", **audiences}


def _wide_message(
    namespace: str, model: str, declared: list[str], shown: str = "none (any audience the issuer mints)"
) -> str:
    scope = "the mesh" if namespace == "istio-system" else "namespace models"
    return (
        f"RequestAuthentication {namespace}/front-jwt applies to every workload of {scope}, InferenceService/models/"
        f"{model}'s pods included: its rule for issuer {ISSUER} accepts audiences {shown}, the stack declares "
        f"{declared}"
    )


@pytest.mark.parametrize(
    ("namespace", "spec"),
    [
        ("models", {"selector": {}, "jwtRules": [_rule()]}),
        ("models", {"selector": {"matchLabels": {}}, "jwtRules": [_rule()]}),
        ("models", {"jwtRules": [_rule()]}),
        ("istio-system", {"jwtRules": [_rule()]}),
    ],
)
def test_19_a_wide_rule_without_audiences_reaches_every_declaring_model(namespace: str, spec: dict[str, Any]) -> None:
    plan = rules_plan("gcp-prod")
    assert sorted(_failures(plan, _with_wide_ra(namespace, spec), "jwt-audiences-rendered")) == [
        _wide_message(namespace, "qwen-chat", ["qwen-chat"]),
        _wide_message(namespace, "resnet-triton", ["models"]),
        _wide_message(namespace, "sklearn-iris", ["models"]),
    ]


def test_19_a_wide_rule_with_one_models_audiences_fails_the_others() -> None:
    plan = rules_plan("gcp-prod")
    resources = _with_wide_ra("models", {"jwtRules": [_rule(audiences=["models"])]})
    assert _failures(plan, resources, "jwt-audiences-rendered") == [
        _wide_message("models", "qwen-chat", ["qwen-chat"], "['models']")
    ]


@pytest.mark.parametrize(
    ("namespace", "spec"),
    [
        pytest.param("models", {"selector": {"matchLabels": {"app": "front"}}, "jwtRules": [_rule()]}, id="selector"),
        pytest.param("other", {"jwtRules": [_rule()]}, id="other-namespace"),
        pytest.param("models", {"jwtRules": [{**_rule(), "issuer": "https://other.example.com"}]}, id="other-issuer"),
        pytest.param("models", {"targetRefs": [{"kind": "Gateway", "name": "g"}], "jwtRules": [_rule()]}, id="target"),
    ],
)
def test_19_boundaries_pass(namespace: str, spec: dict[str, Any]) -> None:
    plan = rules_plan("gcp-prod")
    assert _failures(plan, _with_wide_ra(namespace, spec), "jwt-audiences-rendered") == []


def test_24_a_model_without_the_annotation_is_not_judged() -> None:
    """The platform always renders ``mlplatform.io/host``; the rule judges the host where one is given."""
    plan = rules_plan("local")

    def drop(props: dict[str, Any]) -> None:
        del props["metadata"]["annotations"]["mlplatform.io/host"]

    resources = mutated_resources(plan[0], _xgb, drop, exactly=1)
    assert [m for m in _failures(plan, resources, "internal-model-callers") if "publishes host" in m] == []
