"""``request-log-collector-ingress``, the mesh half (issue #14 fix14s, exp14r F2; issue #17): the request-log collector
runs with an Istio sidecar (namespace ``request-logs`` labelled ``istio-injection: enabled``, no opt-out in the vector
values) and an ALLOW AuthorizationPolicy selecting it admits only mTLS peers of the namespaces whose models log. Real
plans that log requests (the coverage stacks, azure-staging with request logs), mutated the way a one-line slip in
components/platform/requestlog.py would put the collector back outside the mesh or open it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from test_policy_object_store import PLANS

from policy.rules import Resource, StackSettings
from support import mutated_resources, rule_entries

RULE = "request-log-collector-ingress"


def entry(resources: list[Resource] | tuple[Resource, ...], settings: StackSettings) -> dict[str, Any]:
    return next(e for e in rule_entries(resources, settings) if e["policy"] == RULE)


def _is_authz(r: Resource) -> bool:
    return r.type.endswith(":AuthorizationPolicy") and r.namespace == "request-logs"


def _is_namespace(r: Resource) -> bool:
    return r.type == "kubernetes:core/v1:Namespace" and r.props["metadata"]["name"] == "request-logs"


def _is_release(r: Resource) -> bool:
    return r.type.endswith(":Release") and r.name.endswith("-request-logs")


def mutated(
    resources: tuple[Resource, ...], pick: Callable[[Resource], bool], change: Callable[[dict[str, Any]], None]
) -> list[Resource]:
    return mutated_resources(resources, pick, change, exactly=1)


def test_the_plans_render_the_collector_in_the_mesh() -> None:
    """What the rule reads, as the platform renders it (components/platform/requestlog.py)."""
    resources, _ = PLANS["aws"]()
    (ns,) = [r for r in resources if _is_namespace(r)]
    assert ns.props["metadata"]["labels"]["istio-injection"] == "enabled"
    (authz,) = [r for r in resources if _is_authz(r)]
    assert authz.props["spec"]["rules"][0]["from"] == [{"source": {"namespaces": ["models"]}}]


@pytest.mark.parametrize("cloud", sorted(PLANS))
def test_the_plans_collector_passes(cloud: str) -> None:
    e = entry(*PLANS[cloud]())
    assert e["passed"], e["message"]
    assert e["enforcement"] == "mandatory"


def _source(props: dict[str, Any]) -> dict[str, Any]:
    src: dict[str, Any] = props["spec"]["rules"][0]["from"][0]["source"]
    return src


def _no_injection(props: dict[str, Any]) -> None:
    del props["metadata"]["labels"]["istio-injection"]


def _injection_disabled(props: dict[str, Any]) -> None:
    props["metadata"]["labels"]["istio-injection"] = "disabled"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (_no_injection, "namespace request-logs has istio-injection=None: the request-log collector runs without"),
        (_injection_disabled, "namespace request-logs has istio-injection='disabled'"),
    ],
)
def test_a_collector_out_of_the_mesh_fails(change: Callable[[dict[str, Any]], None], says: str) -> None:
    resources, settings = PLANS["aws"]()
    e = entry(mutated(resources, _is_namespace, change), settings)
    assert not e["passed"]
    assert says in e["message"], e["message"]


@pytest.mark.parametrize(("key", "value"), [("podLabels", "false"), ("podAnnotations", "false")])
def test_a_collector_opting_out_of_its_sidecar_fails(key: str, value: str) -> None:
    resources, settings = PLANS["gcp"]()

    def change(props: dict[str, Any]) -> None:
        props["values"][key] = {**props["values"].get(key, {}), "sidecar.istio.io/inject": value}

    e = entry(mutated(resources, _is_release, change), settings)
    assert not e["passed"]
    assert f"the request-log collector's values set {key}.sidecar.istio.io/inject='false'" in e["message"]

    # "true" is no opt-out
    def keep(props: dict[str, Any]) -> None:
        props["values"][key] = {**props["values"].get(key, {}), "sidecar.istio.io/inject": "true"}

    assert entry(mutated(resources, _is_release, keep), settings)["passed"]


def _no_from(props: dict[str, Any]) -> None:
    del props["spec"]["rules"][0]["from"]


def _empty_rule(props: dict[str, Any]) -> None:
    props["spec"]["rules"] = [{}]


def _any_namespace(props: dict[str, Any]) -> None:
    _source(props)["namespaces"] = ["*"]


def _extra_namespace(props: dict[str, Any]) -> None:
    _source(props)["namespaces"] = [*_source(props)["namespaces"], "team-b"]


def _not_namespaces(props: dict[str, Any]) -> None:
    _source(props).pop("namespaces")
    _source(props)["notNamespaces"] = ["kube-system"]


def _foreign_principal(props: dict[str, Any]) -> None:
    _source(props).pop("namespaces")
    _source(props)["principals"] = ["cluster.local/ns/team-b/sa/evil"]


def _foreign_service_account(props: dict[str, Any]) -> None:
    _source(props).pop("namespaces")
    _source(props)["serviceAccounts"] = ["vector"]  # the policy's own namespace: request-logs


def _wide_second_rule(props: dict[str, Any]) -> None:
    props["spec"]["rules"].append({"to": [{"operation": {"ports": ["8080"]}}]})


def _selector_elsewhere(props: dict[str, Any]) -> None:
    props["spec"]["selector"] = {"matchLabels": {"app": "not-vector"}}


def _deny(props: dict[str, Any]) -> None:
    props["spec"]["action"] = "DENY"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (_no_from, "AuthorizationPolicy request-logs/vector-writers rules[0] has no from: it admits every caller"),
        (_empty_rule, "rules[0] has no from: it admits every caller"),
        (_any_namespace, "rules[0] from[0] admits peers of ['*'], where no model logs requests (logging: ['models'])"),
        (_extra_namespace, "rules[0] from[0] admits peers of ['team-b']"),
        (_not_namespaces, "rules[0] from[0] names no namespaces, principals or serviceAccounts"),
        (_foreign_principal, "rules[0] from[0] admits peers of ['team-b']"),
        (_foreign_service_account, "rules[0] from[0] admits peers of ['request-logs']"),
        (_wide_second_rule, "rules[1] has no from: it admits every caller"),
        (_selector_elsewhere, "no ALLOW AuthorizationPolicy selects the request-log collector"),
        (_deny, "no ALLOW AuthorizationPolicy selects the request-log collector"),
    ],
)
@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_an_opened_authorization_policy_fails(cloud: str, change: Callable[[dict[str, Any]], None], says: str) -> None:
    resources, settings = PLANS[cloud]()
    e = entry(mutated(resources, _is_authz, change), settings)
    assert not e["passed"]
    assert says in e["message"], e["message"]


def _own_principal(props: dict[str, Any]) -> None:
    _source(props).pop("namespaces")
    _source(props)["principals"] = ["cluster.local/ns/models/sa/sklearn-iris-sa"]


def _own_service_account(props: dict[str, Any]) -> None:
    _source(props).pop("namespaces")
    _source(props)["serviceAccounts"] = ["models/sklearn-iris-sa"]


def _narrower(props: dict[str, Any]) -> None:
    _source(props)["notPrincipals"] = ["cluster.local/ns/models/sa/other"]  # fields are ANDed: narrower


def _selects_by_name_only(props: dict[str, Any]) -> None:
    props["spec"]["selector"] = {"matchLabels": {"app.kubernetes.io/name": "vector"}}


def _nothing(props: dict[str, Any]) -> None:
    props["spec"]["rules"] = []  # ALLOW matching nothing: denies every caller


@pytest.mark.parametrize("change", [_own_principal, _own_service_account, _narrower, _selects_by_name_only, _nothing])
def test_a_policy_as_narrow_passes(change: Callable[[dict[str, Any]], None]) -> None:
    resources, settings = PLANS["aws"]()
    e = entry(mutated(resources, _is_authz, change), settings)
    assert e["passed"], e["message"]


def test_a_collector_without_its_authorization_policy_fails() -> None:
    resources, settings = PLANS["gcp"]()
    kept = [r for r in resources if not _is_authz(r)]
    e = entry(kept, settings)
    assert not e["passed"]
    assert "no ALLOW AuthorizationPolicy selects the request-log collector: Istio admits every caller" in e["message"]


def test_a_mesh_wide_allow_all_opens_the_collector() -> None:
    """A policy in Istio's root namespace without a selector applies to every workload of the mesh."""
    resources, settings = PLANS["aws"]()
    (authz,) = [r for r in resources if _is_authz(r)]
    props = copy.deepcopy(dict(authz.props))
    props["metadata"] = {**props["metadata"], "namespace": "istio-system", "name": "allow-all"}
    props["spec"] = {"rules": [{}]}
    wide = replace(authz, urn=authz.urn + "-wide", name="allow-all", props=props)
    e = entry([*resources, wide], settings)
    assert not e["passed"]
    assert "AuthorizationPolicy istio-system/allow-all rules[0] has no from" in e["message"], e["message"]
    # the same policy in another namespace does not reach the collector
    props["metadata"]["namespace"] = "team-b"
    elsewhere = replace(authz, urn=authz.urn + "-wide", name="allow-all", props=props)
    assert entry([*resources, elsewhere], settings)["passed"]


def test_a_collector_without_its_namespace_fails() -> None:
    resources, settings = PLANS["aws"]()
    e = entry([r for r in resources if not _is_namespace(r)], settings)
    assert not e["passed"]
    assert "declares no namespace request-logs" in e["message"], e["message"]


def _is_istiod(r: Resource) -> bool:
    return r.type.endswith(":Release") and str(r.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1] == "istiod"


@pytest.mark.parametrize(
    ("mode", "passes"),
    [
        ("APPEND_FORWARD", True),  # Istio's default: the sidecar appends its own element last
        ("SANITIZE_SET", True),  # the client's header replaced by Envoy's own
        ("UNDEFINED", True),  # keeps the default
        ("FORWARD_ONLY", False),  # the sender's own header passed through: any namespace claimed
        ("ALWAYS_FORWARD_ONLY", False),
        ("SANITIZE", False),  # no header at all: every record dropped
    ],
)
def test_the_sidecars_xfcc_mode_keeps_the_senders_identity_the_sidecars_word(mode: str, passes: bool) -> None:
    """exp14t F2: the VRL trusts the last x-forwarded-client-cert element only under APPEND_FORWARD or SANITIZE_SET
    (istio 1.30.3 pilot/pkg/networking/util/proxy_headers.go GetProxyHeadersFromProxyConfig reads the mesh's
    defaultConfig or the pod's proxy.istio.io/config)."""
    resources, settings = PLANS["aws"]()

    def mesh_default(props: dict[str, Any]) -> None:
        mesh = props["values"].setdefault("meshConfig", {})
        mesh["defaultConfig"] = {"proxyHeaders": {"forwardedClientCert": mode}}

    def pod_annotation(props: dict[str, Any]) -> None:
        props["values"]["podAnnotations"] = {
            **props["values"].get("podAnnotations", {}),
            "proxy.istio.io/config": f"proxyHeaders:\n  forwardedClientCert: {mode}\n",
        }

    for pick, change, where in (
        (_is_istiod, mesh_default, "istiod meshConfig.defaultConfig."),
        (_is_release, pod_annotation, "the request-log collector's proxy.istio.io/config "),
    ):
        e = entry(mutated(resources, pick, change), settings)
        assert e["passed"] is passes, (where, e["message"])
        if not passes:
            assert (
                f"{where}proxyHeaders.forwardedClientCert is {mode!r}: the request-log collector files"
                in (e["message"])
            )
