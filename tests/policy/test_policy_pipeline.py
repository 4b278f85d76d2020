"""The pipeline rules (policy/rules/pipeline.py, and model-metrics-prometheus-only over router pods) over a REAL plan.

No shipped stack declares a pipeline, so the shipped local stack is planned with two added under
``mlplatform:pipelines`` (as a user would write them, docs/components/pipeline.md): ``front``, a public jwt pipeline
over the internal xgboost-iris and the anonymous sklearn-iris, and ``inner``, an internal pipeline over xgboost-iris
for the namespace xgboost-iris already admits. Each test checks that the rule passes on the plan as rendered and
saw it (nothing unchecked), then changes one thing in one recorded resource the way the rule guards against and
expects that rule (and only the rules named) to fail; boundary values on both sides are tried.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.plan.engine import run_program
from components.plan.project import find_project, read_stack_file
from policy.rules import Resource, StackSettings, resources_from_plan, run_rules
from support import ROOT, mutated_resources, rule_entries, rules_named, shared_cache

PROJECT = find_project(ROOT)
JWT = {"issuer": "https://auth.example.com/", "jwksUri": "https://auth.example.com/.well-known/jwks.json"}
PIPELINES = {
    "front": {
        "access": {"jwt": JWT},
        "nodes": {
            "root": {
                "routerType": "Sequence",
                "steps": [{"serviceName": "xgboost-iris"}, {"serviceName": "sklearn-iris", "data": "$response"}],
            }
        },
    },
    "inner": {
        "access": {"mode": "internal", "allowedNamespaces": ["default"]},
        "scaling": {"minReplicas": 1},
        "nodes": {"root": {"routerType": "Sequence", "steps": [{"serviceName": "xgboost-iris"}]}},
    },
}
"""What the local stack adds to plan pipelines (benchmarks/policy_mutations.py ``PIPELINES`` is the same)."""
GRAPH = "InferenceGraph"
CHECKED = {
    "pipeline-endpoint-auth",
    "internal-pipeline-cluster-local",
    "internal-pipeline-activator-off",
    "pipeline-service-account",
    "pipeline-step-predictor-host",
    "pipeline-member-access",
    "model-metrics-prometheus-only",
}


def stack_config(pipelines: dict[str, Any] | None = None) -> dict[str, Any]:
    cfg = dict(read_stack_file(PROJECT, "local").config)
    cfg["mlplatform:pipelines"] = json.dumps(PIPELINES if pipelines is None else pipelines)
    return cfg


@shared_cache
def planned() -> tuple[tuple[Resource, ...], StackSettings]:
    cfg = read_stack_file(PROJECT, "local")
    config = stack_config()
    result = run_program(
        PROJECT.root, "local", config, cfg.secret_keys, main=PROJECT.main, project=PROJECT.name, outputs="fake"
    )
    return tuple(resources_from_plan(result)), StackSettings.from_config(config)


mutate = mutated_resources
"""The resources with ``change`` applied to every one ``pick`` selects, at least one (tests/support.py)."""


def failed(resources: list[Resource] | tuple[Resource, ...]) -> dict[str, list[str]]:
    _, settings = planned()
    out: dict[str, list[str]] = {}
    for e in rule_entries(resources, settings):
        if not e["passed"] and e["policy"] != "network-policy-enforced":  # the local cluster's advisory warning
            out.setdefault(e["policy"], []).append(e["message"])
    return out


def named(kind: str, name: str) -> Callable[[Resource], bool]:
    return lambda r: r.type.endswith(f":{kind}") and r.name == name


def caught(pick: Callable[[Resource], bool], change: Callable[[dict[str, Any]], None]) -> dict[str, list[str]]:
    resources, _ = planned()
    return failed(mutate(resources, pick, change))


def test_the_planned_pipelines_pass_every_rule_and_are_seen() -> None:
    resources, settings = planned()
    graphs = sorted(r.props["metadata"]["name"] for r in resources if r.type.endswith(f":{GRAPH}"))
    assert graphs == ["front", "inner"]
    assert failed(resources) == {}
    for e in rule_entries(resources, settings):
        if e["policy"] in CHECKED:
            assert e["passed"] and not e.get("unchecked"), e


# ------------------------------------------------------------------------------------------------ (a) public


def test_a_public_pipeline_whose_router_admits_anyone_is_caught() -> None:
    """The router's ALLOW rule loses its request-principal source: the internet reaches the router and, through it,
    both members (the internal one included)."""

    def open_rule(props: dict[str, Any]) -> None:
        props["spec"]["rules"][0].pop("from")

    found = caught(named("AuthorizationPolicy", "front-authz"), open_rule)
    assert sorted(found) == ["pipeline-endpoint-auth", "pipeline-member-access"], found
    (msg,) = found["pipeline-endpoint-auth"]
    assert msg.startswith("public pipeline models/front answers the internet without a token: it reaches the router")
    assert "member models/xgboost-iris through the public gateway and the router" in msg


def test_a_public_pipeline_without_its_jwt_rules_still_refuses_the_tokenless() -> None:
    """Boundary: dropping the RequestAuthentication does not open the router (no token, no principal): passes."""
    resources, _ = planned()
    kept = [r for r in resources if not named("RequestAuthentication", "front-jwt")(r)]
    assert "pipeline-endpoint-auth" not in failed(kept)


def test_an_anonymous_opt_in_is_not_judged_by_endpoint_auth() -> None:
    resources, _ = planned()
    opened = mutate(resources, named("AuthorizationPolicy", "front-authz"), lambda p: p["spec"]["rules"][0].pop("from"))
    marked = mutate(
        tuple(opened),
        named(GRAPH, "front-graph"),
        lambda p: p["metadata"]["annotations"].update({"mlplatform.io/allow-anonymous": "true"}),
    )
    found = failed(marked)
    # the opt-in is honoured by endpoint-auth; the internal member is widened all the same
    assert sorted(found) == ["pipeline-member-access"], found
    assert (
        "member models/xgboost-iris of pipeline models/front is widened: the internet without a token"
        in (found["pipeline-member-access"][0])
    )


def test_a_public_pipeline_that_scales_to_zero_is_judged_from_zero() -> None:
    """minReplicas 0: the activator is the router's endpoint; with the token rule intact it still refuses."""
    found = caught(named(GRAPH, "front-graph"), lambda p: p["spec"].update(minReplicas=0))
    assert "pipeline-endpoint-auth" not in found, found


# ------------------------------------------------------------------------------------------------ (b) internal


@pytest.mark.parametrize(
    ("label", "value", "fails"),
    [
        ("networking.knative.dev/visibility", "cluster-local", False),
        ("networking.knative.dev/visibility", "cluster-locals", True),
        ("networking.kserve.io/visibility", "cluster-local", True),  # Standard mode's label: Knative ignores it
        (None, None, True),
    ],
)
def test_an_internal_pipeline_keeps_its_cluster_local_label(label: str | None, value: str | None, fails: bool) -> None:
    def relabel(props: dict[str, Any]) -> None:
        labels = props["metadata"]["labels"]
        del labels["networking.knative.dev/visibility"]
        if label is not None:
            labels[label] = value

    found = caught(named(GRAPH, "inner-graph"), relabel)
    assert ("internal-pipeline-cluster-local" in found) is fails, found
    if fails:
        assert found["internal-pipeline-cluster-local"][0].startswith(
            "internal pipeline models/inner is published on the public gateway"
        )


# ------------------------------------------------------------------------------------------------ (c) activator


@pytest.mark.parametrize(
    ("tbc", "min_replicas", "fragment"),
    [
        ("0", 1, None),
        ("0", 2, None),
        ("1", 1, "lets Knative's activator into its path (annotation autoscaling.knative.dev/target-burst-capacity "
                  "'1')"),
        (None, 1, "target-burst-capacity unset (default 200)"),
        ("-1", 1, "'-1'"),
        ("0", 0, "may scale to zero (minReplicas 0)"),
        ("0", None, None),  # unset: KServe v0.20.0 sets min-scale to constants.DefaultMinReplicas, 1 (utils.go)
        ("0", "1", "may scale to zero (minReplicas '1')"),  # not an integer: the CRD refuses it; never read as 1
    ],
)  # fmt: skip
def test_an_internal_knative_pipeline_keeps_the_activator_off(
    tbc: str | None, min_replicas: int | str | None, fragment: str | None
) -> None:
    def change(props: dict[str, Any]) -> None:
        ann = props["metadata"]["annotations"]
        ann.pop("autoscaling.knative.dev/target-burst-capacity")
        if tbc is not None:
            ann["autoscaling.knative.dev/target-burst-capacity"] = tbc
        props["spec"].pop("minReplicas")
        if min_replicas is not None:
            props["spec"]["minReplicas"] = min_replicas

    found = caught(named(GRAPH, "inner-graph"), change)
    if fragment is None:
        assert "internal-pipeline-activator-off" not in found, found
    else:
        # a router at zero rendered without a timeout is also cut by its 60 s WriteTimeout and Knative's 300 s
        # while it starts (timeouts-cover-cold-start, fixt14)
        also = ["timeouts-cover-cold-start"] if min_replicas == 0 else []
        assert sorted(found) == sorted(["internal-pipeline-activator-off", *also]), found
        assert any(fragment in m for m in found["internal-pipeline-activator-off"]), found


def test_a_standard_mode_internal_pipeline_has_no_activator() -> None:
    def standard(props: dict[str, Any]) -> None:
        ann = props["metadata"]["annotations"]
        ann["serving.kserve.io/deploymentMode"] = "Standard"
        ann.pop("autoscaling.knative.dev/target-burst-capacity")
        props["metadata"]["labels"]["networking.kserve.io/visibility"] = "cluster-local"

    found = caught(named(GRAPH, "inner-graph"), standard)
    assert "internal-pipeline-activator-off" not in found and "internal-pipeline-cluster-local" not in found, found


# ------------------------------------------------------------------------------------------------ (d) identity


@pytest.mark.parametrize("account", [None, "", "default"])
def test_the_router_does_not_run_as_the_default_service_account(account: str | None) -> None:
    def change(props: dict[str, Any]) -> None:
        if account is None:
            del props["spec"]["serviceAccountName"]
        else:
            props["spec"]["serviceAccountName"] = account

    found = caught(named(GRAPH, "front-graph"), change)
    assert "pipeline-service-account" in found, found
    assert "runs as the namespace's default ServiceAccount" in found["pipeline-service-account"][0]


@pytest.mark.parametrize(("automount", "fails"), [(False, False), (True, True), (None, True)])
def test_the_routers_service_account_mounts_no_token(automount: bool | None, fails: bool) -> None:
    def change(props: dict[str, Any]) -> None:
        props.pop("automountServiceAccountToken", None)
        if automount is not None:
            props["automountServiceAccountToken"] = automount

    found = caught(named("ServiceAccount", "inner-router"), change)
    assert ("pipeline-service-account" in found) is fails, found
    if fails:
        assert found["pipeline-service-account"] == [
            f"ServiceAccount models/inner-router of pipeline models/inner mounts its API token "
            f"(automountServiceAccountToken {automount}): set it false"
        ]


# ------------------------------------------------------------------------------------------------ (e) metrics


def test_the_routers_metrics_are_for_prometheus_only() -> None:
    """The router's NetworkPolicy opens 15090 to every pod: model-metrics-prometheus-only names the router."""

    def open_metrics(props: dict[str, Any]) -> None:
        for rule in props["spec"]["ingress"]:
            if any(p.get("port") == 15090 for p in rule.get("ports", [])):
                rule.pop("from")

    found = caught(named("NetworkPolicy", "front-netpol"), open_metrics)
    assert list(found) == ["model-metrics-prometheus-only"], found
    (msg,) = found["model-metrics-prometheus-only"]
    assert msg.startswith("pipeline models/front (router): metrics readable by the internet on 15090")


def test_a_router_network_policy_that_selects_other_pods_leaves_its_metrics_open() -> None:
    def other(props: dict[str, Any]) -> None:
        props["spec"]["podSelector"]["matchLabels"] = {"serving.kserve.io/inferenceservice": "front"}

    found = caught(named("NetworkPolicy", "inner-netpol"), other)
    # and its queue-proxy admin port is open to the inner router's pods, which it no longer selects (rev17d s02)
    assert list(found) == ["model-metrics-prometheus-only", "queue-proxy-admin-port"], found
    assert found["model-metrics-prometheus-only"][0].startswith("pipeline models/inner (router): metrics readable")


# ------------------------------------------------------------------------------------------------ (f) step hosts


@pytest.mark.parametrize(
    ("url", "fails"),
    [
        ("http://xgboost-iris-predictor.models.svc.cluster.local/v2/models/xgboost-iris/infer", False),
        ("http://xgboost-iris.models.svc.cluster.local/v2/models/xgboost-iris/infer", True),
        ("http://xgboost-iris.models.svc.cluster.local:80/v2/models/xgboost-iris/infer", True),
        ("http://XGBOOST-IRIS.models.svc/v2/models/xgboost-iris/infer", True),
        ("http://xgboost-iris.models/v2/models/xgboost-iris/infer", True),
        ("http://xgboost-iris/v2/models/xgboost-iris/infer", True),
        ("https://scorer.example.com/score", False),
    ],
)
def test_no_step_calls_a_models_top_level_host(url: str, fails: bool) -> None:
    def change(props: dict[str, Any]) -> None:
        props["spec"]["nodes"]["root"]["steps"][0]["serviceUrl"] = url

    found = caught(named(GRAPH, "inner-graph"), change)
    assert ("pipeline-step-predictor-host" in found) is fails, found
    if fails:
        assert "calls model models/xgboost-iris on KServe's top-level host" in found["pipeline-step-predictor-host"][0]


# ------------------------------------------------------------------------------------------------ (g) members


def test_an_internal_pipeline_admitting_a_namespace_its_member_does_not_widens_it() -> None:
    def wider(props: dict[str, Any]) -> None:
        props["spec"]["rules"][0]["from"][0]["source"]["namespaces"].append("apps")

    found = caught(named("AuthorizationPolicy", "inner-authz"), wider)
    assert list(found) == ["pipeline-member-access"], found
    assert found["pipeline-member-access"] == [
        "member models/xgboost-iris of pipeline models/inner is widened: a pod in apps reach(es) it through the "
        "router but not directly; a pipeline may not be wider than its members (an anonymous pipeline may call only "
        "anonymous models; an internal one only models that admit its namespaces)"
    ]


def test_a_namespace_the_member_admits_too_is_not_widening() -> None:
    """Boundary: the member admits ``default`` already; the pipeline admitting it twice widens nothing."""
    found = caught(
        named("AuthorizationPolicy", "inner-authz"),
        lambda p: p["spec"]["rules"][0]["from"][0]["source"]["namespaces"].append("default"),
    )
    assert "pipeline-member-access" not in found, found


def test_a_public_jwt_member_is_refused() -> None:
    """xgboost-iris made public with jwt (visibility label dropped, a principal-only policy): the router's calls
    carry no token, the table's last row."""

    def public(props: dict[str, Any]) -> None:
        del props["metadata"]["labels"]["networking.knative.dev/visibility"]
        props["metadata"]["annotations"]["mlplatform.io/access"] = "public"

    found = caught(named("InferenceService", "xgboost-iris-isvc"), public)
    assert any("is a public jwt model" in m for m in found.get("pipeline-member-access", [])), found


# ------------------------------------------------------------------------------------------------ mlplatform check


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """``mlplatform plan --json`` of the local stack with the pipelines, from a project folder whose stack file adds
    them (the program is the repository's)."""
    import yaml

    from components.plan.cli import main

    root = tmp_path_factory.mktemp("project")
    (root / "stacks").mkdir()
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    project["main"] = str(ROOT / "infra")
    (root / "Pulumi.yaml").write_text(yaml.safe_dump(project))
    stack = yaml.safe_load((ROOT / "stacks" / "Pulumi.local.yaml").read_text())
    stack["config"]["mlplatform:pipelines"] = PIPELINES
    (root / "stacks" / "Pulumi.local.yaml").write_text(yaml.safe_dump(stack))
    out = root / "plan.json"
    assert main(["plan", "--project", str(root), "--stack", "local", "--no-tree", "--json", str(out)]) == 0
    return out, json.loads(out.read_text())


def _verdicts(entries: list[dict[str, Any]]) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for e in entries:
        out[e["policy"]] = out.get(e["policy"], True) and bool(e["passed"])
    return out


def test_check_reaches_the_plans_verdict_on_the_pipelines(saved: tuple[Path, dict[str, Any]]) -> None:
    from components.plan.cli import EXIT_OK, main
    from policy.check import check, load_plan, missing_objects

    path, doc = saved
    (stack,) = doc["stacks"]
    assert stack["settings"]["pipelines"] == {
        "models/front": [
            "InferenceGraph/models/front",
            "ServiceAccount/models/front-router",
            "AuthorizationPolicy/models/front-authz",
            "NetworkPolicy/models/front-netpol",
            "RequestAuthentication/models/front-jwt",
            "Namespace/models",
            "PeerAuthentication/models/default",
        ],
        "models/inner": [
            "InferenceGraph/models/inner",
            "ServiceAccount/models/inner-router",
            "AuthorizationPolicy/models/inner-authz",
            "NetworkPolicy/models/inner-netpol",
            "Namespace/models",
            "PeerAuthentication/models/default",
        ],
    }
    (saved_stack,) = load_plan(path)
    assert missing_objects(saved_stack) == []
    planned = _verdicts(stack["policies"])
    assert {k: v for k, v in planned.items() if k in CHECKED} == dict.fromkeys(CHECKED, True)
    assert _verdicts(check(saved_stack)) == planned
    assert main(["check", str(path)]) == EXIT_OK


def test_check_fails_a_saved_plan_whose_router_admits_the_tokenless(
    saved: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """The same slip as in the plan, made in the saved JSON: check fails the rule the plan would."""
    from components.plan.cli import EXIT_POLICY, main
    from policy.check import check, load_plan

    _, doc = saved
    edited = copy.deepcopy(doc)
    for r in edited["stacks"][0]["resources"]:
        if r["type"].endswith(":AuthorizationPolicy") and r["inputs"]["metadata"]["name"] == "front-authz":
            r["inputs"]["spec"]["rules"][0].pop("from")
    path = tmp_path / "p.json"
    path.write_text(json.dumps(edited))
    (stack,) = load_plan(path)
    verdicts = _verdicts(check(stack))
    assert not verdicts["pipeline-endpoint-auth"] and not verdicts["pipeline-member-access"]
    assert main(["check", str(path)]) == EXIT_POLICY


@pytest.mark.parametrize(
    ("kind", "name"),
    [("InferenceGraph", "front"), ("AuthorizationPolicy", "front-authz"), ("NetworkPolicy", "inner-netpol"),
     ("ServiceAccount", "inner-router"), ("RequestAuthentication", "front-jwt")],
)  # fmt: skip
def test_a_deleted_pipeline_object_fails_check(
    saved: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, name: str
) -> None:
    from components.plan.cli import EXIT_POLICY, main

    _, doc = saved
    edited = copy.deepcopy(doc)
    for s in edited["stacks"]:
        for key in ("resources", "judgedResources"):
            if s.get(key) is not None:
                s[key] = [
                    r
                    for r in s[key]
                    if not (
                        r["type"].endswith(f":{kind}")
                        and (r.get("inputs") or {}).get("metadata", {}).get("name") == name
                    )
                ]
    path = tmp_path / "p.json"
    path.write_text(json.dumps(edited))
    capsys.readouterr()
    assert main(["check", str(path)]) == EXIT_POLICY
    pipeline = name.split("-")[0]
    assert (
        f"local: pipeline models/{pipeline} declares a {kind} (models/{name}) the saved plan does not hold"
        in capsys.readouterr().err
    )


def test_the_mutation_run_plans_the_same_pipelines() -> None:
    """benchmarks/policy_mutations.py plans its pipeline slips with the pipelines these tests judge."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("policy_mutations", ROOT / "benchmarks" / "policy_mutations.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    assert module.PIPELINES == PIPELINES


def test_a_standard_mode_internal_pipeline_needs_the_standard_label() -> None:
    """Boundary: in Standard mode the Knative label does not count (each mode reads its own)."""

    def standard(props: dict[str, Any]) -> None:
        props["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] = "Standard"

    found = caught(named(GRAPH, "inner-graph"), standard)
    assert found.get("internal-pipeline-cluster-local") == [
        "internal pipeline models/inner lacks the cluster-local label KServe's Standard mode reads, "
        "networking.kserve.io/visibility: cluster-local (it has {'networking.knative.dev/visibility': "
        "'cluster-local'})"
    ], found


@shared_cache
def transformer_member() -> tuple[tuple[Resource, ...], StackSettings]:
    """The local stack with xgboost-iris given a transformer and the internal pipeline ``inner`` calling it."""
    cfg = read_stack_file(PROJECT, "local")
    config = stack_config({"inner": PIPELINES["inner"]})
    models = json.loads(config["mlplatform:models"])
    models["xgboost-iris"]["transformer"] = {"container": {"image": "kserve/image-transformer:v0.20.0"}}
    config["mlplatform:models"] = json.dumps(models)
    result = run_program(
        PROJECT.root, "local", config, cfg.secret_keys, main=PROJECT.main, project=PROJECT.name, outputs="fake"
    )
    return tuple(resources_from_plan(result)), StackSettings.from_config(config)


def test_a_member_with_a_transformer_is_judged_at_its_transformer() -> None:
    """rev14 defect 5: the step calls ``<m>-transformer`` (KServe's GetPredictorEndpoint), so the member rules find
    the member by that host too; widening the pipeline is caught at the transformer's own policy."""
    resources, settings = transformer_member()
    graph = next(r for r in resources if r.type.endswith(f":{GRAPH}"))
    steps = graph.props["spec"]["nodes"]["root"]["steps"]
    assert steps == [
        {"serviceUrl": "http://xgboost-iris-transformer.models.svc.cluster.local/v1/models/xgboost-iris:predict"}
    ]
    entries = [e for e in rule_entries(resources, settings) if e["policy"] in CHECKED]
    assert [e["message"] for e in entries if not e["passed"]] == []

    def wider(props: dict[str, Any]) -> None:
        props["spec"]["rules"][0]["from"][0]["source"]["namespaces"].append("apps")

    widened = mutate(resources, named("AuthorizationPolicy", "inner-authz"), wider)
    found = [
        e["message"]
        for e in run_rules(list(widened), settings, rules=rules_named("pipeline-member-access"))
        if e["policy"] == "pipeline-member-access"
    ]
    assert [m for m in found if "widened" in m] == [
        "member models/xgboost-iris of pipeline models/inner is widened: a pod in apps reach(es) it through the "
        "router but not directly; a pipeline may not be wider than its members (an anonymous pipeline may call only "
        "anonymous models; an internal one only models that admit its namespaces)"
    ]
