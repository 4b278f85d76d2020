"""Slips of the second hostile review of #17 (/work/wt/rev17b-report.md): each over a shipped stack's real plan,
mutated like the slip, and at its boundaries."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from test_policy_mutated_plans import PROJECT, entries, failed, mutate, named, shipped

from components.plan.engine import run_program
from components.plan.project import read_stack_file
from components.platform import warm as warm_component
from components.serving import _auth
from components.serving import requestpath as rp
from policy.rules import Resource, StackSettings, resources_from_plan
from policy.rules import warm as warm_rules
from policy.rules.disruption import budget_nodes
from support import shared_cache, without_knative_only

AUTHZ = "AuthorizationPolicy"


def assert_fails(
    stack: str,
    rules: set[str],
    pick: Callable[[Resource], bool],
    change: Callable[[dict[str, Any]], None],
    fragment: str,
) -> None:
    """Each of ``rules`` passes on the shipped plan, judging every document, and fails (they alone) once ``change``
    is applied to the resources ``pick`` selects, one message of the first naming ``fragment``."""
    resources, settings = shipped(stack)
    by_rule = entries(resources, settings)
    for rule in rules:
        assert all(e["passed"] for e in by_rule[rule]), by_rule[rule]
        assert not any(e.get("unchecked") for e in by_rule[rule]), f"{rule} left documents unchecked"
    found = failed(mutate(resources, pick, change), settings, stack)
    assert set(found) == rules, found
    assert any(fragment in m for rule in rules for m in found[rule]), found


def _activator_agents(values: list[str]) -> Any:
    def change(props: dict[str, Any]) -> None:
        hit = 0
        for rule in props["spec"]["rules"]:
            for cond in rule.get("when", []):
                if cond["key"] == "request.headers[User-Agent]":
                    cond["values"] = values
                    hit += 1
        assert hit == 1, props["spec"]["rules"]

    return change


# ------------------------------------------------------------------------------------------------ #1


def test_activator_probe_rule_for_any_user_agent_aws_dev() -> None:
    """#1: Istio compiles a header value ``"*"`` to a presence match (pilot/pkg/security/authz/matcher/header.go,
    Istio 1.30.3); every real client sends a User-Agent (RFC 7231 5.5.3; Go's net/http ``Go-http-client/1.1``) and
    the activator passes it on, so the activator rule admits every GET of anyone: a token-less GET reaches the public
    JWT model resnet50 (minReplicas 0) through the activator."""
    assert_fails(
        "aws-dev", {"model-endpoint-auth", "model-inference-api-only"}, named(AUTHZ, "resnet50-authz"),
        _activator_agents(["*"]), "activator",
    )  # fmt: skip


def test_activator_probe_rule_boundaries_aws_dev() -> None:
    """The exact probe agent passes; a prefix any client's agent starts with, or a second ordinary agent, fails."""
    resources, settings = shipped("aws-dev")
    pick = named(AUTHZ, "resnet50-authz")
    exact = mutate(resources, pick, _activator_agents([_auth.ACTIVATOR_PROBE_AGENT]))
    assert all(e["passed"] for e in entries(exact, settings)["model-endpoint-auth"])
    for values in (["Go-http-client*"], [_auth.ACTIVATOR_PROBE_AGENT, "Go-http-client/1.1"], ["G*"]):
        found = entries(mutate(resources, pick, _activator_agents(values)), settings)["model-endpoint-auth"]
        assert any(not e["passed"] for e in found), values


def test_modelled_requests_carry_a_client_user_agent() -> None:
    """The request-path model sends what a real client sends unless the caller names its own header."""
    assert rp.with_client_headers(None) == (("User-Agent", "Go-http-client/1.1"), ("Accept", "*/*"))
    assert rp.with_client_headers({"user-agent": "curl/8.5.0"}) == (("user-agent", "curl/8.5.0"), ("Accept", "*/*"))


# ------------------------------------------------------------------------------------------------ planned variants


@shared_cache
def planned(stack: str, platform: str = "", models: str = "") -> tuple[tuple[Resource, ...], StackSettings]:
    """A shipped stack planned (fake outputs) with ``platform`` merged into its ``mlplatform:platform`` and, when
    given, ``models`` (JSON) as its ``mlplatform:models``: settings no shipped stack renders."""
    cfg = read_stack_file(PROJECT, stack)
    config = dict(cfg.config)
    if platform:
        merged = {**json.loads(config["mlplatform:platform"]), **json.loads(platform)}
        config["mlplatform:platform"] = json.dumps(merged)
    if models:
        config["mlplatform:models"] = models
    config = without_knative_only(config)
    result = run_program(
        PROJECT.root, stack, config, cfg.secret_keys, main=PROJECT.main, project=PROJECT.name, outputs="fake"
    )
    return tuple(resources_from_plan(result)), StackSettings.from_config(config)


def assert_fails_on(
    plan: tuple[tuple[Resource, ...], StackSettings],
    rules: set[str],
    pick: Callable[[Resource], bool],
    change: Callable[[dict[str, Any]], None],
    fragment: str,
) -> None:
    """:func:`assert_fails` over a :func:`planned` variant."""
    resources, settings = plan
    by_rule = entries(resources, settings)
    for rule in rules:
        assert all(e["passed"] for e in by_rule[rule]), by_rule[rule]
        assert not any(e.get("unchecked") for e in by_rule[rule]), f"{rule} left documents unchecked"
    found = failed(mutate(resources, pick, change), settings, "variant")
    assert set(found) == rules, found
    assert any(fragment in m for rule in rules for m in found[rule]), found


def _fails(plan: tuple[tuple[Resource, ...], StackSettings], rule: str, pick: Any, change: Any) -> bool:
    resources, settings = plan
    return any(not e["passed"] for e in entries(mutate(resources, pick, change), settings)[rule])


# ------------------------------------------------------------------------------------------------ #5, #6

NODEPOOL = "karpenter.sh/v1:NodePool"


def _gpu_nodepool(r: Resource) -> bool:
    return r.type.endswith(NODEPOOL) and "nvidia.com/gpu" in (r.props.get("spec", {}).get("limits") or {})


def _disruption(**changes: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        props["spec"]["disruption"].update(changes)

    return change


def test_gpu_nodepool_consolidating_underutilized_nodes_aws_dev() -> None:
    """#5: Karpenter deletes underutilized nodes with their pods under WhenEmptyOrUnderutilized (Karpenter
    concepts/disruption.md "Consolidation")."""
    assert_fails(
        "aws-dev", {"gpu-pool-disruption"}, _gpu_nodepool,
        _disruption(consolidationPolicy="WhenEmptyOrUnderutilized"), "WhenEmptyOrUnderutilized",
    )  # fmt: skip


def test_gpu_nodepool_without_consolidation_policy_aws_dev() -> None:
    """Unset, Karpenter defaults to WhenEmptyOrUnderutilized (disruption.md "Defaults")."""

    def drop(props: dict[str, Any]) -> None:
        del props["spec"]["disruption"]["consolidationPolicy"]

    assert_fails("aws-dev", {"gpu-pool-disruption"}, _gpu_nodepool, drop, "WhenEmptyOrUnderutilized")


def test_gpu_nodepool_disrupting_every_node_at_once_aws_dev() -> None:
    """#6: budgets bound drift, emptiness and consolidation; 100% lets every GPU node go at once."""
    assert_fails("aws-dev", {"gpu-pool-disruption"}, _gpu_nodepool, _disruption(budgets=[{"nodes": "100%"}]), "100%")


@pytest.mark.parametrize(
    ("budgets", "fails"),
    [
        ([{"nodes": "1"}], False),
        ([{"nodes": "0"}], False),
        ([{"nodes": "2"}], True),
        ([{"nodes": "5"}, {"nodes": "1"}], False),  # the minimum of the budgets
        ([{"nodes": "1", "reasons": ["Drifted"]}], True),  # bounds drift only, not emptiness or consolidation
        ([{"nodes": "1", "schedule": "@daily", "duration": "10m"}], True),  # only in its window
        ([], None),  # default 10% of the pool's limit: fails only when that rounds up past 1
        ([{"nodes": "100%"}], True),
    ],
)
def test_gpu_nodepool_budget_boundaries_aws_dev(budgets: list[dict[str, Any]], fails: bool | None) -> None:
    resources, settings = shipped("aws-dev")
    limit = next(r for r in resources if _gpu_nodepool(r)).props["spec"]["limits"]["nodes"]
    expected = math.ceil(limit * 0.1) > 1 if fails is None else fails
    change = _disruption(budgets=budgets)
    assert _fails((resources, settings), "gpu-pool-disruption", _gpu_nodepool, change) is expected


def test_budget_nodes_reads_numbers_and_percentages() -> None:
    assert budget_nodes("1", None) == 1
    assert budget_nodes("10%", 10) == 1
    assert budget_nodes("10%", 11) == 2  # roundup(total * percentage)
    assert budget_nodes("10%", None) is None
    assert budget_nodes("x", 4) is None


# ------------------------------------------------------------------------------------------------ #8-#11

WARM = '{"warmCapacity": {"l4": 1}}'


def _warm_plan() -> tuple[tuple[Resource, ...], StackSettings]:
    return planned("aws-dev", WARM)


def _placeholder(r: Resource) -> bool:
    return r.type.endswith("apps/v1:Deployment") and r.name.endswith("warm-l4")


def _priority_class(r: Resource) -> bool:
    return r.type.endswith("PriorityClass")


def _pod(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        if value is None:
            del props["spec"]["template"]["spec"][key]
        else:
            props["spec"]["template"]["spec"][key] = value

    return change


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        props[key] = value

    return change


def test_warm_capacity_is_planned_and_judged() -> None:
    resources, _ = _warm_plan()
    assert sum(map(_placeholder, resources)) == 1
    assert sum(map(_priority_class, resources)) == 1
    assert warm_rules.POOL_LABEL == warm_component.POOL_LABEL


def test_warm_priority_zero_aws_dev() -> None:
    """#8: the scheduler pre-empts only lower priorities (pod-priority-preemption)."""
    assert_fails_on(_warm_plan(), {"warm-capacity-preemptible"}, _priority_class, _set("value", 0), "value 0")


def test_warm_priority_global_default_aws_dev() -> None:
    """#9: a globalDefault class gives every model the placeholders' priority."""
    assert_fails_on(
        _warm_plan(), {"warm-capacity-preemptible"}, _priority_class, _set("globalDefault", True), "globalDefault"
    )


def test_warm_pods_without_priority_class_aws_dev() -> None:
    """#10: without priorityClassName the placeholders get priority 0, like the models."""
    assert_fails_on(
        _warm_plan(), {"warm-capacity-preemptible"}, _placeholder, _pod("priorityClassName", None), "no PriorityClass"
    )


def test_warm_pods_mounting_a_token_aws_dev() -> None:
    """#11: CIS Kubernetes 5.1.6."""
    assert_fails_on(
        _warm_plan(), {"warm-capacity-preemptible"}, _placeholder, _pod("automountServiceAccountToken", True),
        "ServiceAccount token",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("key", "value", "fails"),
    [("value", -1, False), ("value", -10, False), ("value", -11, True), ("value", 1, True),
     ("globalDefault", False, False), ("preemptionPolicy", "PreemptLowerPriority", True)],
)  # fmt: skip
def test_warm_priority_class_boundaries_aws_dev(key: str, value: Any, fails: bool) -> None:
    assert _fails(_warm_plan(), "warm-capacity-preemptible", _priority_class, _set(key, value)) is fails


def test_warm_pods_naming_another_class_aws_dev() -> None:
    assert _fails(_warm_plan(), "warm-capacity-preemptible", _placeholder, _pod("priorityClassName", "other"))


# ------------------------------------------------------------------------------------------------ #12


def _rotation(policy: str | None) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        if policy is None:
            del props["spec"]["privateKey"]["rotationPolicy"]
        else:
            props["spec"]["privateKey"]["rotationPolicy"] = policy

    return change


GATEWAY_CERT = named("Certificate", "mlplatform-gateway-certificate")


def test_gateway_certificate_reusing_its_key_gcp_prod() -> None:
    """#12: cert-manager regenerates the key at each renewal only with rotationPolicy Always."""
    assert_fails("gcp-prod", {"gateway-key-rotation"}, GATEWAY_CERT, _rotation("Never"), "'Never'")


def test_gateway_certificate_rotation_boundaries_gcp_prod() -> None:
    resources, settings = shipped("gcp-prod")
    assert _fails((resources, settings), "gateway-key-rotation", GATEWAY_CERT, _rotation(None))  # unset: version-bound
    assert not _fails((resources, settings), "gateway-key-rotation", GATEWAY_CERT, _rotation("Always"))
    # a Certificate no gateway serves (the CA's) is not this rule's business
    ca = named("Certificate", "mlplatform-ca-certificate")
    assert not _fails((resources, settings), "gateway-key-rotation", ca, lambda p: p["spec"].pop("privateKey", None))


def test_standard_gateway_certificate_reusing_its_key_gcp_prod() -> None:
    """The Standard mode's Gateway API listener names the same Secret by certificateRefs."""
    plan = planned("gcp-prod", '{"deploymentMode": "Standard"}')
    assert_fails_on(plan, {"gateway-key-rotation"}, GATEWAY_CERT, _rotation("Never"), "'Never'")


# ------------------------------------------------------------------------------------------------ #16

KSERVE = named("helm.sh/v3:Release", "mlplatform-kserve-resources")


def _ingress_gateway(**changes: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        props["values"]["kserve"]["controller"]["gateway"]["ingressGateway"].update(changes)

    return change


def test_standard_mode_without_gateway_api_gcp_prod() -> None:
    """#16: the chart's default false makes KServe publish Ingresses Istio ignores (kserve-resources v0.20.0)."""
    plan = planned("gcp-prod", '{"deploymentMode": "Standard"}')
    assert_fails_on(plan, {"standard-gateway-api"}, KSERVE, _ingress_gateway(enableGatewayApi=False), "False")


def test_standard_mode_gateway_api_boundaries_gcp_prod() -> None:
    plan = planned("gcp-prod", '{"deploymentMode": "Standard"}')
    assert _fails(plan, "standard-gateway-api", KSERVE, _ingress_gateway(kserveGateway="kserve/kserve-ingress-gateway"))
    assert _fails(plan, "standard-gateway-api", KSERVE, lambda p: p["values"]["kserve"]["controller"]["gateway"][
        "ingressGateway"].pop("enableGatewayApi"))  # fmt: skip
    # Knative mode publishes through Knative's gateway: the keys do not matter there
    assert not _fails(shipped("gcp-prod"), "standard-gateway-api", KSERVE, _ingress_gateway(enableGatewayApi=False))


# ------------------------------------------------------------------------------------------------ #17


def _tolerations(tolerations: list[dict[str, Any]]) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        props["spec"]["predictor"]["tolerations"] = tolerations

    return change


CPU_MODEL = named("InferenceService", "sklearn-iris-isvc")
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}


def test_cpu_model_tolerating_the_gpu_taint_local() -> None:
    """#17: the GPU taint keeps CPU pods off GPU nodes; a toleration lets them on."""
    assert_fails("local", {"isvc-gpu-scheduling"}, CPU_MODEL, _tolerations([GPU_TOLERATION]), "requests no GPU")


@pytest.mark.parametrize(
    ("tolerations", "fails"),
    [
        ([{"key": "nvidia.com/gpu", "operator": "Exists"}], True),
        ([{"operator": "Exists"}], True),  # an empty key tolerates every taint
        ([{"key": "other", "operator": "Exists"}], False),
        ([{**GPU_TOLERATION, "effect": "NoExecute"}], False),  # another effect than the taint's
        ([], False),
    ],
)
def test_cpu_model_toleration_boundaries_local(tolerations: list[dict[str, Any]], fails: bool) -> None:
    assert _fails(shipped("local"), "isvc-gpu-scheduling", CPU_MODEL, _tolerations(tolerations)) is fails


# ------------------------------------------------------------------------------------------------ #18


def _init(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        ctx = props["spec"]["template"]["spec"]["containers"][1]["securityContext"]
        if value is None:
            del ctx[key]
        else:
            ctx[key] = value

    return change


def test_warm_prepull_init_container_escalating_aws_dev() -> None:
    """#18: the restricted check covers the pre-pull containers (warm capacity's pre-pull on a pool that does not
    share GPUs; containers since rev16b defect 2, which were init containers before)."""
    resources, _ = _warm_plan()
    assert next(r for r in resources if _placeholder(r)).props["spec"]["template"]["spec"]["containers"][1:]
    assert_fails_on(
        _warm_plan(), {"pod-restricted-hardening"}, _placeholder, _init("capabilities", None), "containers[1]"
    )
    assert_fails_on(
        _warm_plan(), {"pod-restricted-hardening", "no-privileged-containers"}, _placeholder,
        _init("allowPrivilegeEscalation", True), "containers[1]",
    )  # fmt: skip


# ------------------------------------------------------------------------------------------------ #15

CUSTOM_MODELS = {
    "sklearn-iris": {"format": "sklearn", "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
                     "publicStorage": True, "resources": {"cpu": "500m", "memory": "1Gi"},
                     "scaling": {"minReplicas": 0, "maxReplicas": 3},
                     "access": {"mode": "public", "allowAnonymous": True}},
    "custom-srv": {"container": {"image": "ghcr.io/acme/server:1.2", "command": ["python", "-m", "server"]},
                   "resources": {"cpu": "500m", "memory": "1Gi"}, "scaling": {"minReplicas": 2, "maxReplicas": 3},
                   "access": {"mode": "internal", "allowedNamespaces": ["default"], "extraPaths": ["/predict"]}},
}  # fmt: skip
"""The local stack's sklearn-iris and a custom container with an extra path (the review's RICH settings, less what
the paths rule does not read)."""


def _extra_path(path: str) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        hit = 0
        for rule in props["spec"]["rules"]:
            for to in rule.get("to", []):
                paths = to.get("operation", {}).get("paths", [])
                if "/predict" in paths:
                    paths[paths.index("/predict")] = path
                    hit += 1
        assert hit, props["spec"]["rules"]

    return change


def test_extra_path_rendered_as_a_bare_prefix_local() -> None:
    """#15: ``/predict*`` admits every path that starts so, the shape extra_path_problem refuses on input."""
    plan = planned("local", models=json.dumps(CUSTOM_MODELS))
    pick = named(AUTHZ, "custom-srv-authz")
    assert_fails_on(plan, {"authz-path-shapes"}, pick, _extra_path("/predict*"), "'/predict*'")


@pytest.mark.parametrize(
    ("path", "fails"),
    [("/predict", False), ("/predict/*", False), ("/predict/{*}/run", False), ("/predict*", True),
     ("*/predict", True), ("/predict/{**}", True), ("/pre*dict", True)],
)  # fmt: skip
def test_extra_path_shape_boundaries_local(path: str, fails: bool) -> None:
    plan = planned("local", models=json.dumps(CUSTOM_MODELS))
    assert _fails(plan, "authz-path-shapes", named(AUTHZ, "custom-srv-authz"), _extra_path(path)) is fails


def test_rule_and_input_check_agree_on_extra_path_shapes() -> None:
    from components.serving.spec import extra_path_problem
    from policy.rules.paths import path_shape_problem

    for path in ("/predict", "/predict/*", "/a/{*}/b", "/predict*", "/a/{**}", "/x*y"):
        assert (path_shape_problem(path) is None) is (extra_path_problem(path) is None), path


# ------------------------------------------------------------------------------------------------ #4


def _upgrade_channel(channel: str | None) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        if channel is None:
            del props["autoUpgradeProfile"]["upgradeChannel"]
        else:
            props["autoUpgradeProfile"]["upgradeChannel"] = channel

    return change


def _aks(r: Resource) -> bool:
    return r.type == "azure-native:containerservice:ManagedCluster"


def test_aks_without_kubernetes_patches_azure_staging() -> None:
    """#4: upgradeChannel none "Disables auto-upgrades" (pulumi_azure_native 3.29 UpgradeChannel)."""
    assert_fails("azure-staging", {"cluster-hardening"}, _aks, _upgrade_channel("none"), "upgradeChannel is none")


@pytest.mark.parametrize(
    ("channel", "fails"),
    [("patch", False), ("stable", False), ("rapid", False), ("node-image", True), ("none", True), (None, True)],
)
def test_aks_upgrade_channel_boundaries_azure_staging(channel: str | None, fails: bool) -> None:
    assert _fails(shipped("azure-staging"), "cluster-hardening", _aks, _upgrade_channel(channel)) is fails
