"""The request-path rules (policy/rules/network.py) at their boundaries, over the shipped stacks' plans mutated the
way each rule guards against: who reads the models' and the gateway's metrics, which paths an admitted caller
reaches, the mesh's path normalization, and whether the cluster enforces NetworkPolicy at all."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from test_policy_mutated_plans import PROJECT, entries, mutate, named, shipped

from components.plan.project import read_stack_file
from policy.rules import Resource, StackSettings
from policy.rules.network import admin_requests
from support import rule_entries

METRICS, API, NORM, GATEWAY, ENFORCED = (
    "model-metrics-prometheus-only",
    "model-inference-api-only",
    "mesh-path-normalization",
    "gateway-metrics-prometheus-only",
    "network-policy-enforced",
)


def failed(
    resources: list[Resource] | tuple[Resource, ...], settings: StackSettings, stack: str = ""
) -> dict[str, list[str]]:
    """The mandatory failures by rule (the local stack's advisory ``network-policy-enforced`` warning left out)."""
    out: dict[str, list[str]] = {}
    for e in rule_entries(resources, settings):
        if not e["passed"] and e["enforcement"] == "mandatory":
            out.setdefault(e["policy"], []).append(e["message"])
    return out


def assert_caught(
    stack: str, rule: str, pick: Callable[[Resource], bool], change: Callable[[dict[str, Any]], None], fragment: str
) -> None:
    """``rule`` passes on the shipped plan and sees every document; after ``change``, it and only it fails mandatory,
    with ``fragment`` in a message."""
    resources, settings = shipped(stack)
    base = entries(resources, settings)[rule]
    assert all(e["passed"] and not e.get("unchecked") for e in base), base
    found = failed(mutate(resources, pick, change), settings, stack)
    assert list(found) == [rule], found
    assert any(fragment in m for m in found[rule]), found[rule]


def without(resources: tuple[Resource, ...], pick: Callable[[Resource], bool]) -> list[Resource]:
    out = [r for r in resources if not pick(r)]
    assert len(out) < len(resources), "nothing removed: the plan's shape moved"
    return out


def metrics_rule(props: dict[str, Any]) -> dict[str, Any]:
    """The ingress rule of a NetworkPolicy that names 15090."""
    return next(r for r in props["spec"]["ingress"] if any(p["port"] == 15090 for p in r["ports"]))


# ------------------------------------------------------------------------------------------------ model metrics


def test_model_without_its_network_policy_aws_dev() -> None:
    resources, settings = shipped("aws-dev")
    assert all(e["passed"] and not e.get("unchecked") for e in entries(resources, settings)[METRICS])
    found = failed(without(resources, named("NetworkPolicy", "resnet50-netpol")), settings, "aws-dev")
    assert list(found) == [METRICS], found
    (msg,) = found[METRICS]
    assert msg.startswith("model models/resnet50: metrics readable by the internet on 15090, the internet on 15020")


def test_model_metrics_open_to_every_source_gcp_prod() -> None:
    assert_caught(
        "gcp-prod", METRICS, named("NetworkPolicy", "qwen-chat-netpol"), lambda p: metrics_rule(p).pop("from"),
        "a pod in mlp-policy-outsider on 15090",
    )  # fmt: skip


def test_model_metrics_open_to_the_whole_monitoring_namespace_aws_dev() -> None:
    """Boundary: Prometheus' namespace without its pod labels admits every pod there (Grafana too)."""

    def namespace_only(props: dict[str, Any]) -> None:
        del metrics_rule(props)["from"][0]["podSelector"]

    assert_caught(
        "aws-dev", METRICS, named("NetworkPolicy", "sklearn-iris-netpol"), namespace_only,
        "another pod in monitoring (Grafana) on 15090",
    )  # fmt: skip


def test_model_metrics_open_to_prometheus_labels_anywhere_aws_dev() -> None:
    """Boundary: Prometheus' pod labels in every namespace (``namespaceSelector: {}``) admit a pod anyone labels so;
    without any namespaceSelector they select pods of the model's own namespace only (Prometheus is locked out, and
    a pod labelled like it in the model's namespace reads the metrics)."""

    def labels_only(props: dict[str, Any]) -> None:
        metrics_rule(props)["from"][0]["namespaceSelector"] = {}

    assert_caught(
        "aws-dev", METRICS, named("NetworkPolicy", "resnet50-netpol"), labels_only,
        "a pod in mlp-policy-outsider labelled like Prometheus on 15090",
    )  # fmt: skip

    def no_namespace(props: dict[str, Any]) -> None:
        del metrics_rule(props)["from"][0]["namespaceSelector"]

    resources, settings = shipped("aws-dev")
    found = failed(mutate(resources, named("NetworkPolicy", "resnet50-netpol"), no_namespace), settings, "aws-dev")
    assert list(found) == [METRICS], found
    assert "a pod in models labelled like Prometheus on 15090" in found[METRICS][0]
    assert "the platform's Prometheus (monitoring) cannot connect to 15090" in found[METRICS][1]


def test_prometheus_locked_out_of_model_metrics_azure_staging() -> None:
    """Availability: a typo in Prometheus' labels closes the port its PodMonitor scrapes (alerts go silent)."""

    def typo(props: dict[str, Any]) -> None:
        metrics_rule(props)["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] = "prometheus-server"

    resources, _ = shipped("azure-staging")
    name = next(r.name for r in resources if r.type.endswith(":NetworkPolicy") and r.namespace != "istio-system")
    assert_caught(
        "azure-staging", METRICS, named("NetworkPolicy", name), typo, "the platform's Prometheus (monitoring) cannot "
        "connect to 15090",
    )  # fmt: skip


def test_queue_proxy_metrics_9091_open_to_pods_local() -> None:
    """Knative's 9091 goes through Istio too: the NetworkPolicy opening it to every pod is caught (the model's
    AuthorizationPolicy names no rule on 9091, yet the ports' ALLOW-by-path is the policy's business: here the
    NetworkPolicy rule moves 9091 to the open rule, and an empty ALLOW rule would let a meshed pod in)."""

    def open_9091(props: dict[str, Any]) -> None:
        open_rule = next(r for r in props["spec"]["ingress"] if "from" not in r)
        open_rule["ports"].append({"protocol": "TCP", "port": 9091})

    resources, settings = shipped("local")
    moved = mutate(resources, named("NetworkPolicy", "xgboost-iris-netpol"), open_9091)
    assert METRICS not in failed(moved, settings, "local")  # Istio still refuses 9091: no ALLOW rule names it

    def allow_all(props: dict[str, Any]) -> None:
        props["spec"]["rules"].append({"to": [{"operation": {"ports": ["9091"]}}]})

    found = failed(mutate(tuple(moved), named("AuthorizationPolicy", "xgboost-iris-authz"), allow_all), settings, "")
    assert any("a pod in models on 9091" in m for m in found[METRICS]), found


# ------------------------------------------------------------------------------------------------ inference API only


def test_path_restriction_removed_aws_dev() -> None:
    """A JWT model whose caller rule lost its paths: a caller with a valid token unloads the model."""

    def no_paths(props: dict[str, Any]) -> None:
        for to in props["spec"]["rules"][0]["to"]:
            del to["operation"]["paths"]

    resources, settings = shipped("aws-dev")
    assert all(e["passed"] and not e.get("unchecked") for e in entries(resources, settings)[API])
    assert_caught(
        "aws-dev", API, named("AuthorizationPolicy", "resnet50-authz"), no_paths,
        "the internet with a token of https://auth.dev.example.com/realms/models reaches POST "
        "/v2/repository/models/resnet50/unload through the public gateway",
    )  # fmt: skip


def test_admin_path_allowed_beside_the_api_gcp_prod() -> None:
    def admin(props: dict[str, Any]) -> None:
        props["spec"]["rules"][0]["to"][1]["operation"]["paths"].append("/v2/repository/models/{*}/unload")

    assert_caught(
        "gcp-prod", API, named("AuthorizationPolicy", "qwen-chat-authz"), admin,
        "reaches POST /v2/repository/models/qwen-chat/unload",
    )  # fmt: skip


def test_triton_statistics_path_local() -> None:
    """Boundary: ``/v2/models/{*}`` admits ``/v2/models/stats`` (every model's statistics) unless notPaths excludes
    it; a model's own metadata path ``/v2/models/<name>`` stays allowed (the shipped plan passes)."""

    def no_not_paths(props: dict[str, Any]) -> None:
        for to in props["spec"]["rules"][0]["to"]:
            to["operation"].pop("notPaths", None)

    assert_caught(
        "local", API, named("AuthorizationPolicy", "xgboost-iris-authz"), no_not_paths,
        "a pod in default reaches GET /v2/models/stats through the mesh",
    )  # fmt: skip


def test_metrics_path_prefix_local() -> None:
    """Boundary: a prefix ``/v2/*`` on the v2 model's rule reaches the repository API."""

    def prefix(props: dict[str, Any]) -> None:
        props["spec"]["rules"][0]["to"][1]["operation"]["paths"] = ["/v2/*"]

    assert_caught(
        "local", API, named("AuthorizationPolicy", "xgboost-iris-authz"), prefix,
        "reaches POST /v2/repository/models/xgboost-iris/unload",
    )  # fmt: skip


def test_serving_ports_closed_by_the_network_policy_aws_dev() -> None:
    """Availability: the model's NetworkPolicy without the queue-proxy's ports: no caller reaches the model."""

    def close(props: dict[str, Any]) -> None:
        open_rule = next(r for r in props["spec"]["ingress"] if "from" not in r)
        open_rule["ports"] = [p for p in open_rule["ports"] if p["port"] not in (8012, 8013)]

    assert_caught(
        "aws-dev", API, named("NetworkPolicy", "resnet50-netpol"), close,
        "model models/resnet50: no caller reaches its inference API (POST /v1/models/resnet50:predict)",
    )  # fmt: skip


def test_admin_requests_include_encoded_forms() -> None:
    reqs = admin_requests("m")
    assert ("POST", "/v2/repository%2Fmodels%2Fm%2Funload") in reqs and ("GET", "//metrics") in reqs


# ------------------------------------------------------------------------------------------------ normalization


@pytest.mark.parametrize("value", ["BASE", "MERGE_SLASHES", "NONE", None])
def test_mesh_path_normalization_weaker_aws_dev(value: str | None) -> None:
    def weaken(props: dict[str, Any]) -> None:
        if value is None:
            del props["values"]["meshConfig"]["pathNormalization"]
        else:
            props["values"]["meshConfig"]["pathNormalization"]["normalization"] = value

    shown = value or "BASE (Istio's default)"
    assert_caught(
        "aws-dev",
        NORM,
        named("helm.sh/v3:Release", "mlplatform-istiod"),
        weaken,
        f"istiod meshConfig.pathNormalization.normalization is {shown}, weaker than DECODE_AND_MERGE_SLASHES",
    )


def test_mesh_path_normalization_message_shows_the_difference() -> None:
    resources, settings = shipped("gcp-prod")

    def base(props: dict[str, Any]) -> None:
        props["values"]["meshConfig"]["pathNormalization"]["normalization"] = "BASE"

    found = failed(mutate(resources, named("helm.sh/v3:Release", "mlplatform-istiod"), base), settings, "gcp-prod")
    (msg,) = found[NORM]
    assert "Envoy matches /v2/repository%2Fmodels%2Fm%2Funload as /v2/repository%2Fmodels%2Fm%2Funload while the " \
        "model server routes on /v2/repository/models/m/unload" in msg  # fmt: skip


# ------------------------------------------------------------------------------------------------ gateway


def test_gateway_without_its_network_policy_gcp_prod() -> None:
    resources, settings = shipped("gcp-prod")
    assert all(e["passed"] and not e.get("unchecked") for e in entries(resources, settings)[GATEWAY])
    found = failed(without(resources, named("NetworkPolicy", "mlplatform-gateway-netpol")), settings, "gcp-prod")
    assert list(found) == [GATEWAY], found
    assert "readable by the internet on 15090" in found[GATEWAY][0]


def test_gateway_metrics_open_to_every_pod_aws_dev() -> None:
    assert_caught(
        "aws-dev", GATEWAY, named("NetworkPolicy", "mlplatform-gateway-netpol"), lambda p: metrics_rule(p).pop("from"),
        "readable by the internet on 15090",
    )  # fmt: skip


@pytest.mark.parametrize(("port", "who"), [(443, "the internet on 443"), (8081, "pods on 8081")])
def test_gateway_traffic_port_closed_azure_staging(port: int, who: str) -> None:
    def close(props: dict[str, Any]) -> None:
        open_rule = next(r for r in props["spec"]["ingress"] if "from" not in r)
        open_rule["ports"] = [p for p in open_rule["ports"] if p["port"] != port]

    resources, settings = shipped("azure-staging")
    found = failed(mutate(resources, named("NetworkPolicy", "mlplatform-gateway-netpol"), close), settings, "")
    assert any(f"the ingress gateway refuses {who}" in m for m in found[GATEWAY]), found


# ------------------------------------------------------------------------------------------------ enforcement


def test_network_policy_not_enforced_warns_local() -> None:
    """The local stack (an existing cluster, networkPolicy unknown) gets a warning, not a failure; the metrics rules
    still judge the rendered NetworkPolicies; ``enforced`` silences the warning."""
    resources, settings = shipped("local")
    assert settings.facts.network_policy == "unknown"
    (entry,) = entries(resources, settings)[ENFORCED]
    assert (entry["passed"], entry["enforcement"]) == (False, "advisory")
    assert "may not enforce NetworkPolicy (cluster.existing.networkPolicy: unknown)" in entry["message"]
    assert all(e["passed"] for e in entries(resources, settings)[METRICS])
    enforced = replace(settings, facts=replace(settings.facts, network_policy="enforced"))
    assert all(e["passed"] for e in entries(resources, enforced)[ENFORCED])
    off = replace(settings, facts=replace(settings.facts, network_policy="not-enforced"))
    (entry,) = entries(resources, off)[ENFORCED]
    assert "does not enforce NetworkPolicy" in entry["message"]


def test_network_policy_fact_from_the_stack_file_and_the_saved_plan() -> None:
    for stack in ("aws-dev", "gcp-prod", "azure-staging"):
        assert shipped(stack)[1].facts.network_policy == "enforced"
    cfg = dict(read_stack_file(PROJECT, "local").config)
    cluster = json.loads(cfg["mlplatform:cluster"]) if isinstance(cfg["mlplatform:cluster"], str) else cfg[
        "mlplatform:cluster"]  # fmt: skip
    cluster = {**cluster, "existing": {**cluster["existing"], "networkPolicy": "not-enforced"}}
    s = StackSettings.from_config({**cfg, "mlplatform:cluster": json.dumps(cluster)})
    assert s.facts.network_policy == "not-enforced"
    assert StackSettings.from_json(s.to_json()).facts == s.facts
    assert StackSettings.from_json({}).facts.network_policy == "unknown"
