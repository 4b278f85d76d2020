"""Issue #17 review gaps: HTTPS only on the public gateway, the restricted hardening of the pods the platform renders,
the budget rules under CrossGuard, and workload-level mTLS outside model namespaces.

Boundary cases on hand-built resources, then each rule over a shipped stack's real plan (or the same stack with one
platform setting changed, where no shipped stack renders the object) mutated the way the rule guards against."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from test_policy_mutated_plans import assert_caught, entries, failed, mutate, named, shipped

from components.plan.engine import run_program
from components.plan.project import find_project, read_stack_file
from policy.rules import ALL_RULES, UNKNOWN, Resource, StackSettings, resources_from_plan, run_rules
from support import ROOT, rules_named, shared_cache, without_knative_only

PROJECT = find_project(ROOT)
HTTPS = "gateway-https-only"
HARDENING = "pod-restricted-hardening"
KSVC = "kubernetes:operator.knative.dev/v1beta1:KnativeServing"
ISTIO_GW = "kubernetes:networking.istio.io/v1:Gateway"
API_GW = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def _fails(resources: list[Resource], rule: str) -> list[str]:
    return [
        e["message"] for e in run_rules(resources, rules=rules_named(rule)) if e["policy"] == rule and not e["passed"]
    ]


def test_new_rules_are_mandatory() -> None:
    levels = {r.name: r.enforcement for r in ALL_RULES}
    assert levels[HTTPS] == levels[HARDENING] == "mandatory"


# ------------------------------------------------------------------------------------------------ HTTPS only

HTTPS_SERVER = {
    "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
    "tls": {"mode": "SIMPLE", "credentialName": "tls"},
}


def _ksvc(servers: Any, enabled: Any = True) -> Resource:
    gateway = {} if servers is None else {"servers": servers}
    props = {
        "metadata": {"name": "knative-serving", "namespace": "knative-serving"},
        "spec": {"ingress": {"istio": {"enabled": enabled, "knative-ingress-gateway": gateway}}},
    }
    return Resource(KSVC, "kn", "urn:kn", props)


def _http(tls: Any, protocol: str = "HTTP") -> dict[str, Any]:
    server: dict[str, Any] = {"port": {"number": 80, "name": "http", "protocol": protocol}}
    if tls is not None:
        server["tls"] = tls
    return server


@pytest.mark.parametrize(
    ("servers", "fails"),
    [
        ([_http({"httpsRedirect": True}), HTTPS_SERVER], False),
        ([_http({"httpsRedirect": False}), HTTPS_SERVER], True),
        ([_http(None), HTTPS_SERVER], True),  # redirect dropped
        ([_http({}), HTTPS_SERVER], True),
        ([_http({"httpsRedirect": "true"}), HTTPS_SERVER], True),  # a string is not the boolean Istio reads
        ([_http({"httpsRedirect": False}, "http"), HTTPS_SERVER], True),  # protocol case
        ([_http({"httpsRedirect": False}, "HTTP2"), HTTPS_SERVER], True),
        ([_http({"httpsRedirect": False}, "TCP"), HTTPS_SERVER], True),
        ([HTTPS_SERVER], False),  # no plain server at all
        ([{"port": {"number": 443, "name": "tls", "protocol": "TLS"}}], False),
        ([_http({"httpsRedirect": UNKNOWN}), HTTPS_SERVER], False),  # known after deploy: not judged
        (None, True),  # no servers: the operator applies net-istio's plain port-80 default
        ([], True),
    ],
)
def test_knative_gateway_servers(servers: Any, fails: bool) -> None:
    found = _fails([_ksvc(servers)], HTTPS)
    assert bool(found) is fails, found


def test_knative_without_istio_ingress_is_not_judged() -> None:
    assert _fails([_ksvc([_http(None)], enabled=False)], HTTPS) == []


def test_istio_gateway_object() -> None:
    def gw(servers: list[dict[str, Any]]) -> Resource:
        props = {"metadata": {"name": "g", "namespace": "istio-system"}, "spec": {"servers": servers}}
        return Resource(ISTIO_GW, "g", "urn:g", props)

    assert _fails([gw([_http({"httpsRedirect": True}), HTTPS_SERVER])], HTTPS) == []
    (msg,) = _fails([gw([_http({"httpsRedirect": False}), HTTPS_SERVER])], HTTPS)
    assert msg.startswith("Istio Gateway istio-system/g servers[0] (port 80, HTTP) serves plain text")


def _api_gateway(origin: Any = "Same") -> Resource:
    http: dict[str, Any] = {"name": "http", "port": 80, "protocol": "HTTP"}
    if origin is not None:
        http["allowedRoutes"] = {"namespaces": {"from": origin}}
    https = {"name": "https", "port": 443, "protocol": "HTTPS", "allowedRoutes": {"namespaces": {"from": "All"}}}
    props = {"metadata": {"name": "gw", "namespace": "istio-system"}, "spec": {"listeners": [https, http]}}
    return Resource(API_GW, "gw", "urn:gw", props)


def _route(
    name: str, rules: list[dict[str, Any]], section: str | None = "http", namespace: str = "istio-system"
) -> Resource:
    ref: dict[str, Any] = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw"}
    if section is not None:
        ref["sectionName"] = section
    props = {"metadata": {"name": name, "namespace": namespace}, "spec": {"parentRefs": [ref], "rules": rules}}
    return Resource(ROUTE, name, f"urn:{name}", props)


REDIRECT = {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}
BACKEND = {"backendRefs": [{"name": "m-predictor", "port": 80}]}


@pytest.mark.parametrize(
    ("resources", "fragment"),
    [
        ([_api_gateway(), _route("https-redirect", [REDIRECT])], None),
        ([_api_gateway(None), _route("https-redirect", [REDIRECT])], None),  # the API's default is Same
        ([_api_gateway("All"), _route("https-redirect", [REDIRECT])], "admits routes from All namespaces"),
        ([_api_gateway("Selector"), _route("https-redirect", [REDIRECT])], "admits routes from Selector"),
        ([_api_gateway()], "has no HTTPRoute redirecting to https"),
        ([_api_gateway(), _route("https-redirect", [REDIRECT], namespace="models")], "has no HTTPRoute"),
        ([_api_gateway(), _route("https-redirect", [REDIRECT], section="https")], "has no HTTPRoute"),
        ([_api_gateway(), _route("https-redirect", [REDIRECT], section=None)], None),
        (
            [_api_gateway(), _route("https-redirect", [{"filters": [{"type": "RequestRedirect",
             "requestRedirect": {"scheme": "http"}}]}])],
            "without a RequestRedirect to https",
        ),
        ([_api_gateway(), _route("https-redirect", [REDIRECT, BACKEND])], "without a RequestRedirect to https"),
        ([_api_gateway(), _route("https-redirect", [REDIRECT]), _route("m", [BACKEND], section=None)],
         "HTTPRoute istio-system/m"),
    ],
)  # fmt: skip
def test_gateway_api_http_listener(resources: list[Resource], fragment: str | None) -> None:
    found = _fails(resources, HTTPS)
    if fragment is None:
        assert found == []
    else:
        assert found and all(fragment in m for m in found), found


@pytest.mark.parametrize("stack", ["aws-dev", "gcp-prod", "azure-staging", "local"])
def test_knative_redirect_switched_off_on_a_shipped_plan(stack: str) -> None:
    def off(props: dict[str, Any]) -> None:
        for server in props["spec"]["ingress"]["istio"]["knative-ingress-gateway"]["servers"]:
            if server["port"]["protocol"] == "HTTP":
                server["tls"]["httpsRedirect"] = False

    assert_caught(stack, HTTPS, lambda r: r.type == KSVC, off, "serves plain text: tls.httpsRedirect is False")


@shared_cache
def _planned(stack: str, platform: str, *, outputs: str = "fake") -> tuple[tuple[Resource, ...], StackSettings]:
    """A shipped stack planned with its ``mlplatform:platform`` changed (keys merged over the stack's)."""
    cfg = read_stack_file(PROJECT, stack)
    config = dict(cfg.config)
    config["mlplatform:platform"] = json.dumps({**json.loads(config["mlplatform:platform"]), **json.loads(platform)})
    config = without_knative_only(config)
    result = run_program(
        PROJECT.root, stack, config, cfg.secret_keys, main=PROJECT.main, project=PROJECT.name, outputs=outputs
    )
    return tuple(resources_from_plan(result)), StackSettings.from_config(config)


def _caught_planned(
    planned: tuple[tuple[Resource, ...], StackSettings],
    rule: str,
    pick: Callable[[Resource], bool],
    change: Callable[[dict[str, Any]], None],
    fragment: str,
) -> None:
    resources, settings = planned
    assert all(e["passed"] for e in entries(resources, settings)[rule])
    found = failed(mutate(resources, pick, change), settings, "planned")
    assert list(found) == [rule], found
    assert any(fragment in m for m in found[rule]), found[rule]


def test_standard_mode_gateway_on_the_gcp_prod_plan() -> None:
    """gcp-prod in the Standard mode (Gateway API Gateway and the redirect HTTPRoute): the shipped shape passes; the
    http listener opened to every namespace, or the redirect route lost, fails."""
    planned = _planned("gcp-prod", '{"deploymentMode": "Standard"}')

    def open_listener(props: dict[str, Any]) -> None:
        for listener in props["spec"]["listeners"]:
            if listener["protocol"] == "HTTP":
                listener["allowedRoutes"]["namespaces"]["from"] = "All"

    _caught_planned(planned, HTTPS, lambda r: r.type == API_GW, open_listener, "admits routes from All namespaces")

    def no_redirect(props: dict[str, Any]) -> None:
        props["spec"]["rules"] = [BACKEND]

    _caught_planned(planned, HTTPS, lambda r: r.type == ROUTE, no_redirect, "without a RequestRedirect to https")


# ------------------------------------------------------------------------------------------------ restricted

HARDENED = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
    "runAsNonRoot": True,
}


def _isvc(ctx: dict[str, Any], runtime: str | None = None, namespace: str = "models") -> Resource:
    model: dict[str, Any] = {"modelFormat": {"name": "sklearn"}, "securityContext": ctx}
    if runtime is not None:
        model["runtime"] = runtime
    props = {"metadata": {"name": "m", "namespace": namespace}, "spec": {"predictor": {"model": model}}}
    return Resource(ISVC, "m", "urn:m", props)


def _without(key: str, **extra: Any) -> dict[str, Any]:
    return {**{k: v for k, v in HARDENED.items() if k != key}, **extra}


@pytest.mark.parametrize(
    ("ctx", "fragment"),
    [
        (HARDENED, None),
        (_without("allowPrivilegeEscalation"), "allowPrivilegeEscalation is None, not false"),
        (_without("allowPrivilegeEscalation", allowPrivilegeEscalation=True), "allowPrivilegeEscalation is True"),
        (_without("capabilities"), "capabilities.drop does not include ALL"),
        (_without("capabilities", capabilities={"drop": ["NET_RAW"]}), "capabilities.drop does not include ALL"),
        (_without("capabilities", capabilities={"drop": ["all"]}), "capabilities.drop does not include ALL"),
        (_without("seccompProfile"), "seccompProfile.type is None"),
        (_without("seccompProfile", seccompProfile={"type": "Unconfined"}), "seccompProfile.type is 'Unconfined'"),
        (_without("seccompProfile", seccompProfile={"type": "Localhost"}), None),
        (_without("runAsNonRoot"), "runAsNonRoot is None, not true"),
        (_without("runAsNonRoot", runAsNonRoot=False), "runAsNonRoot is False"),
        (_without("allowPrivilegeEscalation", allowPrivilegeEscalation=UNKNOWN), None),
    ],
)
def test_model_container_hardening(ctx: dict[str, Any], fragment: str | None) -> None:
    found = _fails([_isvc(ctx)], HARDENING)
    if fragment is None:
        assert found == []
    else:
        assert len(found) == 1 and fragment in found[0], found


def test_explicit_runtime_leaves_run_as_non_root_to_the_runtime() -> None:
    """components/serving/_runtime.py security_context leaves runAsNonRoot out for an explicit runtime (the rule's
    written exception); the other three fields are still required."""
    assert _fails([_isvc(_without("runAsNonRoot"), runtime="kserve-tritonserver")], HARDENING) == []
    (msg,) = _fails([_isvc(_without("seccompProfile"), runtime="kserve-tritonserver")], HARDENING)
    assert "seccompProfile" in msg


def test_pod_level_context_counts_where_the_level_allows_it() -> None:
    """runAsNonRoot and seccompProfile may sit on the pod; allowPrivilegeEscalation and capabilities may not."""
    pod = {"runAsNonRoot": True, "runAsUser": 65535, "seccompProfile": {"type": "RuntimeDefault"}}
    container = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}

    def deployment(pod_ctx: dict[str, Any], c_ctx: dict[str, Any], namespace: str = "warm-capacity") -> Resource:
        spec = {"securityContext": pod_ctx, "containers": [{"name": "placeholder", "securityContext": c_ctx}]}
        props = {"metadata": {"name": "w", "namespace": namespace}, "spec": {"template": {"spec": spec}}}
        return Resource(DEPLOYMENT, "w", "urn:w", props)

    assert _fails([deployment(pod, container)], HARDENING) == []
    (msg,) = _fails([deployment({k: v for k, v in pod.items() if k != "runAsNonRoot"}, container)], HARDENING)
    assert "runAsNonRoot is None" in msg  # runAsUser 65535 alone is not what restricted asks
    moved = {**pod, "allowPrivilegeEscalation": False}
    (msg,) = _fails([deployment(moved, {"capabilities": {"drop": ["ALL"]}})], HARDENING)
    assert "allowPrivilegeEscalation is None" in msg
    # the privileged add-on namespaces (listed with reasons) are not judged
    assert _fails([deployment({}, {}, namespace="kube-system")], HARDENING) == []


def test_storage_initializer_values() -> None:
    def release(values: dict[str, Any]) -> Resource:
        props = {"chart": "oci://ghcr.io/kserve/charts/kserve-resources", "name": "kserve", "values": values}
        return Resource("kubernetes:helm.sh/v3:Release", "k", "urn:k", props)

    assert _fails([release({"kserve": {"storage": {"containerSecurityContext": HARDENED}}})], HARDENING) == []
    (msg,) = _fails([release({"kserve": {"storage": {"containerSecurityContext": _without("seccompProfile")}}})],
                    HARDENING)  # fmt: skip
    assert "(the storage-initializer): seccompProfile.type is None" in msg
    (msg,) = _fails([release({"kserve": {"storage": {}}})], HARDENING)
    assert "sets no kserve.storage.containerSecurityContext" in msg


@pytest.mark.parametrize("stack", ["aws-dev", "gcp-prod", "azure-staging", "local"])
@pytest.mark.parametrize("key", ["allowPrivilegeEscalation", "capabilities", "seccompProfile", "runAsNonRoot"])
def test_model_hardening_dropped_on_a_shipped_plan(stack: str, key: str) -> None:
    def drop(props: dict[str, Any]) -> None:
        del props["spec"]["predictor"]["model"]["securityContext"][key]

    if key != "runAsNonRoot":
        assert_caught(stack, HARDENING, lambda r: r.type == ISVC, drop, key)
        return
    # a model that may run as root: no-privileged-containers caught this one already; both say so
    resources, settings = shipped(stack)
    found = failed(mutate(resources, lambda r: r.type == ISVC, drop), settings, stack)
    assert sorted(found) == ["no-privileged-containers", HARDENING], found
    assert all("runAsNonRoot is None" in m for m in found[HARDENING])


def test_storage_initializer_seccomp_dropped_on_a_shipped_plan() -> None:
    def drop(props: dict[str, Any]) -> None:
        del props["values"]["kserve"]["storage"]["containerSecurityContext"]["seccompProfile"]

    assert_caught(
        "aws-dev", HARDENING, lambda r: str(r.props.get("chart", "")).endswith("kserve-resources"), drop,
        "storage-initializer",
    )  # fmt: skip


def test_sidecar_seccomp_dropped_on_a_shipped_plan() -> None:
    def drop(props: dict[str, Any]) -> None:
        props["values"]["global"]["proxy"] = {}

    assert_caught("gcp-prod", HARDENING, named("helm.sh/v3:Release", "mlplatform-istiod"), drop, "(istiod)")


def _warm(r: Resource) -> bool:
    return r.type == DEPLOYMENT and r.namespace == "mlplatform-warm-capacity"


@pytest.mark.parametrize("value", ["disabled", "root-allowed", None])
def test_queue_proxy_secure_pod_defaults_off_on_a_shipped_plan(value: str | None) -> None:
    def off(props: dict[str, Any]) -> None:
        features = props["spec"]["config"]["features"]
        if value is None:
            del features["secure-pod-defaults"]
        else:
            features["secure-pod-defaults"] = value

    assert_caught("aws-dev", HARDENING, lambda r: r.type == KSVC, off, "secure-pod-defaults is")


def test_secure_pod_defaults_needed_only_with_istio_cni() -> None:
    istiod = Resource(
        "kubernetes:helm.sh/v3:Release", "i", "urn:i", {"chart": "istiod", "values": {"cni": {"enabled": False}}}
    )
    ks = _ksvc([_http({"httpsRedirect": True})])
    assert _fails([istiod, ks], HARDENING) == []
    with_cni = Resource(
        "kubernetes:helm.sh/v3:Release", "i", "urn:i", {"chart": "istiod", "values": {"cni": {"enabled": True},
        "global": {"proxy": {"seccompProfile": {"type": "RuntimeDefault"}}}}}
    )  # fmt: skip
    (msg,) = _fails([with_cni, ks], HARDENING)
    assert "config.features.secure-pod-defaults is None" in msg


@pytest.mark.parametrize("key", ["allowPrivilegeEscalation", "capabilities"])
def test_warm_placeholder_hardening_dropped_on_the_gcp_prod_plan(key: str) -> None:
    """No shipped stack keeps warm nodes: gcp-prod planned with one warm l4 node renders the placeholder."""
    planned = _planned("gcp-prod", '{"warmCapacity": {"l4": 1}}')

    def drop(props: dict[str, Any]) -> None:
        del props["spec"]["template"]["spec"]["containers"][0]["securityContext"][key]

    _caught_planned(planned, HARDENING, _warm, drop, key)


@pytest.mark.parametrize("key", ["runAsNonRoot", "seccompProfile"])
def test_warm_placeholder_pod_context_dropped_on_the_gcp_prod_plan(key: str) -> None:
    planned = _planned("gcp-prod", '{"warmCapacity": {"l4": 1}}')

    def drop(props: dict[str, Any]) -> None:
        del props["spec"]["template"]["spec"]["securityContext"][key]

    _caught_planned(planned, HARDENING, _warm, drop, key)


# ------------------------------------------------------------------------------------------------ budget


@pytest.mark.parametrize("name", ["budget", "budget-advisory"])
def test_budget_rules_say_they_did_not_run_under_crossguard(name: str) -> None:
    """The pack has no cost estimate: it marks the budget policies not applicable (pulumi-policy 1.21.0
    StackValidationArgs.not_applicable; the analyzer lists it under not_applicable with the reason, policy.py
    _NotApplicableError handling) instead of passing them with nothing checked."""
    from pulumi_policy import StackValidationArgs, StackValidationPolicy
    from pulumi_policy.policy import _NotApplicableError

    from policy.pack import build_policies, pack_config

    (policy,) = [p for p in build_policies() if p.name == name]
    assert isinstance(policy, StackValidationPolicy)
    config = pack_config(StackSettings())[name]
    reports: list[Any] = []
    with pytest.raises(_NotApplicableError) as e:
        policy.validate(StackValidationArgs([], {**config, "environment": "prod"}), lambda *a: reports.append(a))
    assert reports == []
    assert e.value.reason is not None and e.value.reason.startswith("not evaluated under CrossGuard")
    # the rules that can run still do: no other policy of the pack is marked not applicable up front
    others = [p for p in build_policies() if isinstance(p, StackValidationPolicy) and p.name not in (
        "budget", "budget-advisory")]  # fmt: skip
    for p in others:
        p.validate(StackValidationArgs([], config), lambda *a: None)


# ------------------------------------------------------------------------------------------------ workload mTLS

PA = "kubernetes:security.istio.io/v1:PeerAuthentication"


def _workload_pa(mode: Any, port_mode: str = "PERMISSIVE", namespace: str = "knative-serving") -> Resource:
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": "activator"}}, "portLevelMtls": {"9090": {"mode":
                            port_mode}}}  # fmt: skip
    if mode is not None:
        spec["mtls"] = {"mode": mode}
    props = {"metadata": {"name": "activator-metrics", "namespace": namespace}, "spec": spec}
    return Resource(PA, "pa", "urn:pa", props)


MESH_PA = Resource(
    PA, "mesh", "urn:mesh", {"metadata": {"name": "default", "namespace": "istio-system"},
                             "spec": {"mtls": {"mode": "STRICT"}}}
)  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "fails"),
    [("STRICT", False), (None, False), ("UNSET", False), (UNKNOWN, False), ("PERMISSIVE", True), ("DISABLE", True)],
)
def test_workload_level_mode_outside_model_namespaces(mode: Any, fails: bool) -> None:
    found = _fails([MESH_PA, _workload_pa(mode)], "mesh-mtls-strict")
    assert bool(found) is fails, found
    if fails:
        assert found == [
            f"PeerAuthentication knative-serving/activator-metrics sets the pods it selects to {mode}: they take plain "
            "text on every port; give STRICT (a port-level exception for a metrics port stays allowed)"
        ]


def test_activator_permissive_on_a_shipped_plan() -> None:
    def permissive(props: dict[str, Any]) -> None:
        props["spec"]["mtls"]["mode"] = "PERMISSIVE"

    assert_caught(
        "aws-dev", "mesh-mtls-strict", named("PeerAuthentication", "mlplatform-knative-activator-metrics"), permissive,
        "knative-serving/activator-metrics sets the pods it selects to PERMISSIVE",
    )  # fmt: skip
