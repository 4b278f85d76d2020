"""Who reaches each model through which hop: the promised matrix over every shipped stack (issue 12.1-12.3).

The request-path model (components/serving/requestpath.py) evaluates Istio's AuthorizationPolicy and
RequestAuthentication semantics over the rendered objects, along the hops KServe v0.20.0, net-istio 1.21 and
Knative 1.21 create (sources in that module). Promise (docs/components/model-service.md), at minReplicas 0 and 1:

- public JWT model: no token denied, a bad token denied, a valid token allowed, on every route;
- internal model: the namespaces its config allows in (on the documented URL), other namespaces and the internet
  out on every route, the activator included, also with a header sent twice, an empty header, or Knative's routing
  headers spoofed;
- anonymous model: anyone;
- every caller the policy admits reaches the inference API of the model's protocol only: not the model server's
  ``GET /metrics``, not ``/v2/repository/models/<name>/load``/``unload`` (KServe v0.20.0 server.py,
  v2_endpoints.py), not Triton's admin endpoints (triton-inference-server/server v2.34.0 src/http_server.cc), also
  with the path disguised by ``//``, ``..``, ``%2F`` or ``%2e``; and Knative's ingress readiness probe is answered;
- metrics: Envoy's 15090 and pilot-agent's 15020 to the platform's Prometheus only, the queue-proxy's 9090 only to
  Knative's autoscaler, its 9091 to no one (the model's NetworkPolicy, then Istio);
- the serving path unchanged by the NetworkPolicy: every route reaches the model exactly when it does without it,
  and the kubelet reaches the probe ports.

The shipped stacks run as shipped, with public models' minReplicas flipped, in Standard mode, with ACME
(``platform.tls.issuer: acme``) and with both (stacks_support.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import kubernetes_validate
import pytest
from serving_support import AUTHZ, ISVC, JWT, SERVICE, model, plan
from stacks_support import model_configs, objects, variants

from components.errors import SpecError
from components.serving import _auth
from components.serving import requestpath as rp

STRANGER = rp.in_namespace("intruder")
PREDICT = {"path": "/v1/models/m:predict", "method": "POST"}
METRICS = {"path": "/metrics", "method": "GET"}
PROBE_UA = {"User-Agent": "Knative-Activator-Probe"}
SPOOFED = (("knative-serving-namespace", "apps"), ("knative-serving-revision", "other-predictor-00001"))
"""Knative's routing headers as a caller may send them (any case); the routes ``set`` them, replacing these."""


def _isvcs(objs: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    return [o for o in objs if o["kind"] == "InferenceService"]


def _jwt_rule(objs: tuple[dict[str, Any], ...], isvc: Mapping[str, Any]) -> dict[str, Any]:
    name, ns = isvc["metadata"]["name"], isvc["metadata"]["namespace"]
    for o in objs:
        selected = o.get("spec", {}).get("selector", {}).get("matchLabels", {})
        mine = selected.get("serving.kserve.io/inferenceservice") == name and o["metadata"]["namespace"] == ns
        if o["kind"] == "RequestAuthentication" and mine:
            return o["spec"]["jwtRules"][0]  # type: ignore[no-any-return]
    raise AssertionError(f"no RequestAuthentication for {ns}/{name}")


def _without_netpols(objs: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
    return tuple(o for o in objs if o["kind"] != "NetworkPolicy")


def _reached(outcomes: Mapping[str, list[rp.Outcome]]) -> dict[str, list[tuple[str, bool]]]:
    return {k: [(o.route, o.reached) for o in v] for k, v in outcomes.items()}


def admin_requests(name: str) -> list[tuple[str, str]]:
    """Requests on the serving port that must never reach the model server (method, path)."""
    return [
        ("GET", "/metrics"),  # KServe python/kserve/kserve/protocol/rest/server.py root_router
        ("POST", f"/v2/repository/models/{name}/unload"),  # KServe v2_endpoints.py; Triton modelcontrol_regex_
        ("POST", f"/v2/repository/models/{name}/load"),
        ("POST", "/v2/repository/index"),  # Triton http_server.cc (v2.34.0 = 23.05)
        ("POST", "/v2/logging"),
        ("POST", "/v2/trace/setting"),
        ("POST", f"/v2/models/{name}/trace/setting"),
        ("POST", "/v2/systemsharedmemory/region/r/register"),
        ("POST", "/v2/cudasharedmemory/region/r/register"),
        ("GET", "/v2/models/stats"),
        ("GET", f"/v2/models/{name}/config"),
        # the same, disguised: Envoy normalizes before matching and forwards what it matched
        ("GET", "//metrics"),
        ("GET", "/v1/models/..%2F..%2Fmetrics"),
        ("GET", "/v1/models/%2e%2e/%2e%2e/metrics"),
        ("GET", "/metrics?next=/v1/models/m"),
        ("POST", f"/v2/models/{name}%2F..%2F..%2Frepository%2Fmodels%2F{name}%2Funload/infer"),
        ("POST", f"/v2/models/{name}/infer/../../../repository/models/{name}/unload"),
        ("POST", f"/v2//repository/models/{name}/unload"),
        ("POST", f"/v2/repository/models/{name}%2Funload"),
    ]


def _zero_states(isvc: Mapping[str, Any]) -> list[bool]:
    # the model's entry: its transformer when it has one (components/serving/_kcomponents.py)
    return [True, False] if rp.model_of(isvc).entry.min_replicas == 0 else [False]


def _check_model(objs: tuple[dict[str, Any], ...], isvc: dict[str, Any], allowed: list[str]) -> list[str]:
    """The promise for one model (``allowed``: the namespaces its config lets in): the broken promises."""
    ann = isvc["metadata"]["annotations"]
    name = isvc["metadata"]["name"]
    broken: list[str] = []

    def expect(what: str, got: bool, want: bool) -> None:
        if got != want:
            broken.append(f"{name}: {what}: {'reached' if got else 'not reached'}")

    calls = [{"method": method, "path": path} for method, path in rp.inference_requests(isvc)]
    knative = rp.model_of(isvc).mode == "Knative"
    # each set of objects indexed once, so every walk below shares its decisions (tests/serving/
    # test_requestpath_index.py: the same outcomes as the uncached computation)
    bare = rp.indexed(_without_netpols(objs))
    indexed = rp.indexed(objs)
    for at_zero in _zero_states(isvc):
        state = "at zero" if at_zero else "running"
        if knative:
            expect(f"{state}: Knative's ingress probe answered", rp.ingress_probe(objs, isvc, at_zero=at_zero), True)

        def go(caller: rp.Caller, **kw: Any) -> dict[str, list[rp.Outcome]]:
            got = rp.routes(indexed, isvc, caller, at_zero=at_zero, **kw)  # noqa: B023
            before = rp.routes(bare, isvc, caller, at_zero=at_zero, **kw)  # noqa: B023
            if _reached(got) != _reached(before):
                broken.append(f"{name}: {state}: the NetworkPolicy changes the serving path for {caller.label}")  # noqa: B023
            return got

        def only_inference(caller: rp.Caller, token: rp.Token | None = None) -> None:
            for admin_method, admin_path in admin_requests(name):
                reached = rp.reaches(go(caller, method=admin_method, path=admin_path, token=token))
                expect(f"{state}: {caller.label}, {admin_method} {admin_path}", reached, False)  # noqa: B023

        if ann["mlplatform.io/access"] == "internal":
            m = rp.model_of(isvc)
            hosts = {m.entry.predictor_host: "mesh", m.top_host: "local gateway"}
            documented = hosts.get(ann["mlplatform.io/host"], "?")
            for ns in allowed:
                for infer in calls:
                    reached = rp.reaches(go(rp.in_namespace(ns), **infer), documented)
                    expect(f"{state}: pod in {ns} on the documented URL ({documented}), {infer}", reached, True)
                only_inference(rp.in_namespace(ns))
            expect(f"{state}: internet", rp.reaches(go(rp.INTERNET)), False)
            expect(f"{state}: other namespace, any route", rp.reaches(go(STRANGER)), False)
            expect(f"{state}: other namespace, probe agent", rp.reaches(go(STRANGER, headers=PROBE_UA)), False)
            expect(
                f"{state}: other namespace, spoofed routing headers", rp.reaches(go(STRANGER, headers=SPOOFED)), False
            )
        elif ann.get("mlplatform.io/allow-anonymous") == "true":
            for infer in calls:
                expect(f"{state}: internet, {infer}", rp.reaches(go(rp.INTERNET, **infer), "public gateway"), True)
                pod = rp.reaches(go(STRANGER, **infer), "mesh")
                expect(f"{state}: any pod on the documented URL, {infer}", pod, True)
            only_inference(rp.INTERNET)
            only_inference(STRANGER)
        else:
            rule = _jwt_rule(objs, isvc)
            aud = (rule.get("audiences") or [None])[0]
            good = rp.Token(rule["issuer"], aud)
            forged = rp.Token(rule["issuer"], aud, signed=False)
            other_aud = rp.Token(rule["issuer"], "someone-else") if aud else None
            for caller in (rp.INTERNET, STRANGER):
                expect(f"{state}: {caller.label}, no token", rp.reaches(go(caller, **PREDICT)), False)
                expect(f"{state}: {caller.label}, no token, GET /metrics", rp.reaches(go(caller, **METRICS)), False)
                probe = rp.reaches(go(caller, headers=PROBE_UA))
                expect(f"{state}: {caller.label}, no token, probe agent", probe, False)
                expect(f"{state}: {caller.label}, forged token", rp.reaches(go(caller, token=forged)), False)
                if other_aud is not None:
                    expect(f"{state}: {caller.label}, other audience", rp.reaches(go(caller, token=other_aud)), False)
            for infer in calls:
                internet = rp.reaches(go(rp.INTERNET, token=good, **infer), "public gateway")
                expect(f"{state}: internet, valid token, {infer}", internet, True)
                pod = rp.reaches(go(STRANGER, token=good, **infer), "mesh")
                expect(f"{state}: pod, valid token, documented URL, {infer}", pod, True)
            only_inference(rp.INTERNET, good)
            only_inference(STRANGER, good)
    # metrics: Prometheus only; the queue-proxy's autoscaler port only to the autoscaler, its request metrics to no one
    prometheus = rp.metrics_scrapers(objs, isvc, rp.PROMETHEUS)
    for port in ("15090", "15020"):
        expect(f"prometheus reads {port}", prometheus[port], True)
    expect("prometheus reads the queue-proxy's 9091", prometheus.get("9091", False), False)
    ns = isvc["metadata"]["namespace"]
    others = [
        STRANGER,
        rp.in_namespace(ns, {"serving.kserve.io/inferenceservice": f"{name}-other"}),
        rp.in_namespace(rp.GATEWAY_NAMESPACE, rp.GATEWAY_LABELS),
        rp.in_namespace(_auth.KNATIVE_NAMESPACE, _auth.ACTIVATOR_LABELS),
        rp.in_namespace("monitoring", {"app.kubernetes.io/name": "grafana"}),
        rp.INTERNET,
    ]
    for other in others:
        for port, read in rp.metrics_scrapers(objs, isvc, other).items():
            expect(f"{other.label} reads metrics port {port}", read, False)
    autoscaler = rp.metrics_scrapers(objs, isvc, rp.AUTOSCALER)
    if "9090" in autoscaler:
        expect("autoscaler reads queue-proxy metrics", autoscaler["9090"], True)
    # the kubelet's probes and preStop hook (from the node) and the probe ports
    m = rp.model_of(isvc)
    for port in (15020, 15021, m.port, *([8022] if m.mode == "Knative" else [])):
        expect(f"kubelet reaches {port}", rp.admits(objs, m.pods, rp.NODE, port).allowed, True)
    return broken


def _allowed(config: Mapping[str, Any], isvc: Mapping[str, Any]) -> list[str]:
    """The namespaces a model's config lets in: ``access.allowedNamespaces`` and the namespace it runs in."""
    return sorted({*config.get("access", {}).get("allowedNamespaces", []), isvc["metadata"]["namespace"]})


@pytest.mark.parametrize(("stack", "mode"), variants())
def test_every_shipped_model_keeps_its_access_promise(stack: str, mode: str) -> None:
    objs = objects(stack, mode)
    configs = model_configs(stack, mode)
    isvcs = _isvcs(objs)
    assert isvcs
    broken = [b for isvc in isvcs for b in _check_model(objs, isvc, _allowed(configs[isvc["metadata"]["name"]], isvc))]
    assert broken == []


def _objs(**overrides: Any) -> tuple[dict[str, Any], ...]:
    name = overrides.pop("name", "iris")
    mode = overrides.pop("deployment_mode", "Knative")
    return tuple(plan(model(**overrides), name=name, deployment_mode=mode).revealed())


INTERNAL = {"mode": "internal", "allowedNamespaces": ["apps"]}
INTERNAL_CALLERS = ["apps", "models"]


@pytest.mark.parametrize("replicas", [1, 2])
def test_internal_model_matrix(replicas: int) -> None:
    # Regression: the model admitted the activator for every request, and the DENY on the activator missed a
    # namespace header sent twice (Envoy matched "models,models", the activator read "models") and an empty revision
    # header ("present" to Envoy's "*", absent to the activator, which then read the Host).
    objs = _objs(access=INTERNAL, scaling={"minReplicas": replicas})
    assert _check_model(objs, _isvcs(objs)[0], INTERNAL_CALLERS) == []


@pytest.mark.parametrize("replicas", [0, 1])
def test_public_jwt_model_matrix(replicas: int) -> None:
    objs = _objs(access={"jwt": {**JWT, "audiences": ["iris"]}}, scaling={"minReplicas": replicas})
    assert _check_model(objs, _isvcs(objs)[0], []) == []


def test_header_tricks_at_the_activator_do_not_reach_an_internal_model() -> None:
    # Regression (the bypass itself): each of these reached the model through the activator.
    objs = _objs(access=INTERNAL)
    isvc = _isvcs(objs)[0]
    outcomes = {o.route: o.reached for o in rp.routes(objs, isvc, STRANGER, at_zero=False)["activator"]}
    assert outcomes == {
        "activator": False,
        "activator (Host)": False,
        "activator (namespace header twice)": False,
        "activator (empty revision header)": False,
    }
    # ... and an allowed caller cannot use the activator either: the model admits it for probes only
    assert not rp.reaches(rp.routes(objs, isvc, rp.in_namespace("apps"), at_zero=False), "activator")


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
def test_internal_model_is_not_published_on_the_public_gateway(mode: str) -> None:
    # Regression (12.1): in Knative mode KServe reads networking.knative.dev/visibility, not networking.kserve.io.
    objs = _objs(access=INTERNAL, deployment_mode=mode)
    isvc = _isvcs(objs)[0]
    label = "networking.knative.dev/visibility" if mode == "Knative" else "networking.kserve.io/visibility"
    assert isvc["metadata"]["labels"][label] == "cluster-local"
    assert "public gateway" not in rp.routes(objs, isvc, rp.INTERNET, at_zero=False)


def test_public_jwt_model_at_zero_opens_nothing_through_the_activator() -> None:
    # Regression (12.2): the policy admitted all of knative-serving for GET /metrics, /healthz, /ready on any port,
    # so an internet caller reached the model through the activator without a token.
    objs = _objs(access={"jwt": JWT}, scaling={"minReplicas": 0})
    isvc = _isvcs(objs)[0]
    for path in ("/metrics", "/healthz", "/ready"):
        assert not rp.reaches(rp.routes(objs, isvc, rp.INTERNET, at_zero=True, path=path, method="GET"))
    authz = next(o for o in objs if o["kind"] == "AuthorizationPolicy")
    assert all("namespaces" not in f["source"] for r in authz["spec"]["rules"] for f in r.get("from", []))


def test_internal_model_admits_the_activator_for_probes_only_and_keeps_it_out_of_the_path() -> None:
    # Regression: an internal model admitted the activator for every request (the caller was decided by a DENY
    # policy on the activator, which header tricks evade); now as for public JWT models: probes only.
    objs = _objs(access=INTERNAL)
    authz = next(o for o in objs if o["kind"] == "AuthorizationPolicy")
    activator_rules = [
        r for r in authz["spec"]["rules"] if r["from"][0]["source"].get("principals") == [_auth.ACTIVATOR]
    ]
    assert activator_rules == [
        {
            "from": [{"source": {"principals": [_auth.ACTIVATOR]}}],
            "to": [{"operation": {"ports": ["8012", "8013"], "methods": ["GET"]}}],
            "when": [{"key": "request.headers[User-Agent]", "values": ["Knative-Activator-Probe"]}],
        }
    ]
    assert not [o for o in objs if o["metadata"].get("namespace") == "knative-serving"]
    assert _isvcs(objs)[0]["metadata"]["annotations"]["autoscaling.knative.dev/target-burst-capacity"] == "0"


def test_internal_model_cannot_scale_to_zero_in_knative_mode() -> None:
    # Regression: at zero the activator stands between caller and model, so the model cannot see the caller.
    with pytest.raises(SpecError) as info:
        _objs(access=INTERNAL, scaling={"minReplicas": 0})
    assert str(info.value) == (
        "scaling.minReplicas: 0 is not allowed; an internal model cannot scale to zero in Knative mode (Knative's "
        "activator would stand between caller and model and hide the caller); give >= 1, or use "
        "platform.deploymentMode: Standard"
    )


def test_a_sibling_model_named_like_a_revision_is_not_affected() -> None:
    # Regression: the activator DENY for "iris" matched revisions "iris-predictor-*", so a public model named
    # "iris-predictor-x" in the same namespace was refused at zero to everyone outside iris's callers.
    iris = _objs(access=INTERNAL)
    sibling = _objs(name="iris-predictor-x", access={"jwt": JWT}, scaling={"minReplicas": 0})
    objs = (*iris, *sibling)
    isvc = next(i for i in _isvcs(sibling) if i["metadata"]["name"] == "iris-predictor-x")
    token = rp.Token(JWT["issuer"])
    assert rp.reaches(rp.routes(objs, isvc, rp.INTERNET, at_zero=True, token=token), "public gateway")
    assert rp.reaches(rp.routes(objs, isvc, STRANGER, at_zero=True, token=token), "mesh")


@pytest.mark.parametrize("replicas", [1, 2])
def test_internal_callers_reach_the_model_on_the_documented_url(replicas: int) -> None:
    # Regression (12.3): the documented URL went through knative-local-gateway, so every caller got 403.
    p = plan(model(access=INTERNAL, scaling={"minReplicas": replicas}))
    outputs = p.one(SERVICE).outputs
    assert outputs["url"] == outputs["internalUrl"] == "http://iris-predictor.models.svc.cluster.local"
    objs = tuple(p.revealed())
    isvc = _isvcs(objs)[0]
    outcomes = rp.routes(objs, isvc, rp.in_namespace("apps"), at_zero=False)
    assert rp.reaches(outcomes, "mesh")
    assert rp.model_of(isvc).predictor_host == "iris-predictor.models.svc.cluster.local"
    # the KServe top-level host goes through the local gateway: the model sees the gateway and refuses
    assert not rp.reaches(outcomes, "local gateway")


def test_policies_name_knative_principals_and_ports() -> None:
    spec = plan(model(access={"jwt": JWT})).inputs(AUTHZ)["spec"]
    ports = ["8012", "8013"]
    assert spec["rules"] == [
        {
            "from": [{"source": {"requestPrincipals": ["*"]}}],
            "to": [
                {"operation": {"ports": ports, "methods": ["GET"], "paths": ["/", "/v1/models", "/v1/models/{*}"]}},
                {"operation": {"ports": ports, "methods": ["POST"], "paths": ["/v1/models/{*}"]}},
            ],
        },
        {
            "from": [{"source": {"principals": ["cluster.local/ns/knative-serving/sa/activator"]}}],
            "to": [{"operation": {"ports": ports, "methods": ["GET"]}}],
            "when": [{"key": "request.headers[User-Agent]", "values": ["Knative-Activator-Probe"]}],
        },
        {
            "from": [{"source": {"principals": ["cluster.local/ns/istio-system/sa/istio-ingressgateway"]}}],
            "to": [{"operation": {"ports": ports, "methods": ["GET"]}}],
            "when": [{"key": "request.headers[K-Network-Probe]", "values": ["probe"]}],
        },
        {
            "from": [{"source": {"principals": ["cluster.local/ns/knative-serving/sa/controller"]}}],
            "to": [{"operation": {"ports": ["9090"], "methods": ["GET"], "paths": ["/metrics"]}}],
        },
    ]


def test_internal_model_in_standard_mode_may_scale_to_one_only() -> None:
    # Standard mode has no activator; minReplicas 0 is refused there for its own reason.
    with pytest.raises(SpecError, match=r"scale to zero needs platform\.deploymentMode: Knative"):
        _objs(access=INTERNAL, scaling={"minReplicas": 0}, deployment_mode="Standard")


def test_standard_mode_policy_is_on_the_model_port_only() -> None:
    p = plan(model(access=INTERNAL), deployment_mode="Standard")
    assert p.inputs(AUTHZ)["spec"]["rules"] == [
        {
            "from": [{"source": {"namespaces": ["apps", "models"]}}],
            "to": [
                {"operation": {"ports": ["8080"], "methods": ["GET"], "paths": ["/", "/v1/models", "/v1/models/{*}"]}},
                {"operation": {"ports": ["8080"], "methods": ["POST"], "paths": ["/v1/models/{*}"]}},
            ],
        }
    ]
    assert ISVC in p.types()


# ------------------------------------------------------------------------------ Istio semantics of the evaluator


def _ap(action: str, rules: list[dict[str, Any]], ns: str = "models") -> dict[str, Any]:
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": f"p-{action}", "namespace": ns},
        "spec": {"selector": {"matchLabels": {"app": "m"}}, "action": action, "rules": rules},
    }


W = rp.Workload("models", {"app": "m"}, "m")
REQ = rp.Request(host="m.models.svc.cluster.local", port=8012)


def test_no_allow_policy_allows_and_an_empty_allow_rule_allows_all() -> None:
    assert rp.decide([], W, rp.PLAINTEXT, REQ).allowed
    assert rp.decide([_ap("ALLOW", [{}])], W, rp.PLAINTEXT, REQ).allowed
    assert not rp.decide([_ap("ALLOW", [])], W, rp.PLAINTEXT, REQ).allowed


def test_deny_wins_over_allow_and_not_fields_match_plaintext() -> None:
    deny = _ap("DENY", [{"from": [{"source": {"notNamespaces": ["apps"]}}]}])
    allow = _ap("ALLOW", [{}])
    assert not rp.decide([deny, allow], W, rp.PLAINTEXT, REQ).allowed
    assert rp.decide([deny, allow], W, rp.pod("apps"), REQ).allowed
    assert not rp.decide([deny, allow], W, rp.pod("other"), REQ).allowed


def test_policies_of_other_namespaces_or_selectors_do_not_apply() -> None:
    assert rp.decide([_ap("ALLOW", [], ns="other")], W, rp.PLAINTEXT, REQ).allowed
    root = _ap("ALLOW", [], ns="istio-system")
    assert not rp.decide([root], W, rp.PLAINTEXT, REQ).allowed


def test_tokens_invalid_rejected_missing_passes_without_principal() -> None:
    ra = {
        "apiVersion": "security.istio.io/v1",
        "kind": "RequestAuthentication",
        "metadata": {"name": "ra", "namespace": "models"},
        "spec": {"selector": {"matchLabels": {"app": "m"}}, "jwtRules": [{"issuer": "https://i", "audiences": ["a"]}]},
    }
    need = _ap("ALLOW", [{"from": [{"source": {"requestPrincipals": ["*"]}}]}])
    assert not rp.decide([ra], W, rp.PLAINTEXT, rp.Request("h", 1, token=rp.Token("https://i", "b"))).allowed
    assert not rp.decide([ra], W, rp.PLAINTEXT, rp.Request("h", 1, token=rp.Token("https://x", "a"))).allowed
    assert rp.decide([ra], W, rp.PLAINTEXT, REQ).allowed  # no token: authentication passes
    assert not rp.decide([ra, need], W, rp.PLAINTEXT, REQ).allowed  # ... with no request principal
    assert rp.decide([ra, need], W, rp.PLAINTEXT, rp.Request("h", 1, token=rp.Token("https://i", "a"))).allowed


def test_ports_paths_hosts_and_header_conditions() -> None:
    rule = {
        "to": [{"operation": {"ports": ["8012"], "paths": ["/v1/*"], "hosts": ["m.*"]}}],
        "when": [{"key": "request.headers[X-A]", "notValues": ["*"]}],
    }
    p = [_ap("ALLOW", [rule])]
    assert rp.decide(p, W, rp.PLAINTEXT, rp.Request("M.models", 8012, path="/v1/x")).allowed
    exact = [_ap("ALLOW", [{"to": [{"operation": {"hosts": ["m.models"]}}]}])]
    assert not rp.decide(exact, W, rp.PLAINTEXT, rp.Request("m.models:80", 8012)).allowed  # the authority as sent
    assert not rp.decide(p, W, rp.PLAINTEXT, rp.Request("m.models", 8013, path="/v1/x")).allowed
    assert not rp.decide(p, W, rp.PLAINTEXT, rp.Request("m.models", 8012, path="/v2/x")).allowed
    assert not rp.decide(p, W, rp.PLAINTEXT, rp.Request("m.models", 8012, path="/v1/x", headers={"x-a": "1"})).allowed


def test_repeated_headers_are_joined_and_empty_headers_are_present() -> None:
    # Envoy (CVE-2020-25017 fix): duplicates are matched as "a,b"; Istio's "*" is present_match (empty counts).
    exact = [_ap("DENY", [{"when": [{"key": "request.headers[X-A]", "values": ["a"]}]}]), _ap("ALLOW", [{}])]
    assert not rp.decide(exact, W, rp.PLAINTEXT, rp.Request("h", 1, headers={"x-a": "a"})).allowed
    assert rp.decide(exact, W, rp.PLAINTEXT, rp.Request("h", 1, headers=(("X-A", "a"), ("x-a", "a")))).allowed
    absent = [_ap("DENY", [{"when": [{"key": "request.headers[X-A]", "notValues": ["*"]}]}]), _ap("ALLOW", [{}])]
    assert not rp.decide(absent, W, rp.PLAINTEXT, REQ).allowed
    assert rp.decide(absent, W, rp.PLAINTEXT, rp.Request("h", 1, headers={"X-A": ""})).allowed
    both = rp.Request("h", 1, headers=(("X-A", "a"), ("X-A", "b")))
    assert rp.envoy_header(both, "x-a") == "a,b"
    assert rp.go_header(both, "x-a") == "a"


def test_the_activator_reads_the_first_header_value_and_the_host_when_one_is_empty() -> None:
    host = "iris-predictor-00001.models.svc.cluster.local"
    ns, rev = (_auth.NAMESPACE_HEADER, "models"), (_auth.REVISION_HEADER, "r-00001")
    assert rp.activator_target(rp.Request(host, 8012, headers=(ns, rev))) == ("models", "r-00001")
    assert rp.activator_target(rp.Request(host, 8012, headers=(ns, ns, rev))) == ("models", "r-00001")
    empty = (ns, (_auth.REVISION_HEADER, ""), rev)
    assert rp.activator_target(rp.Request(host, 8012, headers=empty)) == ("models", "iris-predictor-00001")
    assert rp.activator_target(rp.Request("other:8012", 8012, headers=(ns,))) == ("models", "")


def test_a_route_set_header_replaces_the_callers_in_any_case() -> None:
    caller = (("knative-serving-revision", "x"), ("Knative-Serving-Revision", "y"), ("Other", "z"))
    assert rp.set_header(caller, "Knative-Serving-Revision", "r") == (("Other", "z"), ("Knative-Serving-Revision", "r"))


@pytest.mark.parametrize(
    ("headers", "answered"),
    [
        ({"User-Agent": "Knative-Activator-Probe"}, True),
        ({"User-Agent": "Knative-Autoscaling-Probe"}, True),
        ({"User-Agent": "kube-probe/1.33"}, True),
        ({"K-Network-Probe": "probe"}, True),
        ({"K-Network-Probe": "queue"}, False),
        ({"K-Kubelet-Probe": "1"}, False),
        ({"User-Agent": "curl/8"}, False),
    ],
)
def test_what_the_queue_proxy_answers_itself(headers: dict[str, str], answered: bool) -> None:
    # Regression: Knative-Autoscaling-Probe and K-Network-Probe were counted as reaching the model.
    assert rp.probe(rp.Request("h", 8012, headers=headers)) is answered


def test_a_probe_agent_request_is_not_counted_as_reaching_an_anonymous_model() -> None:
    objs = _objs(access={"allowAnonymous": True})
    isvc = _isvcs(objs)[0]
    for agent in ("Knative-Autoscaling-Probe", "Knative-Activator-Probe"):
        assert not rp.reaches(rp.routes(objs, isvc, STRANGER, at_zero=False, headers={"User-Agent": agent}), "mesh")
    assert rp.reaches(rp.routes(objs, isvc, STRANGER, at_zero=False, headers={"K-Kubelet-Probe": "x"}), "mesh")


@pytest.mark.parametrize("mode", ["Knative", "Standard"])
def test_metrics_ports_are_readable_by_prometheus_only(mode: str) -> None:
    # Regression (12, "metrics: Prometheus only"): Envoy's 15090 is not intercepted by Istio, and no NetworkPolicy
    # was rendered, so any pod that reached the pod IP read the model's request metrics.
    objs = _objs(access={"jwt": JWT}, deployment_mode=mode)
    isvc = _isvcs(objs)[0]
    assert [o["kind"] for o in objs].count("NetworkPolicy") == 1
    stranger = rp.metrics_scrapers(objs, isvc, STRANGER)
    assert stranger["15090"] is False and stranger["15020"] is False
    prometheus = rp.metrics_scrapers(objs, isvc, rp.PROMETHEUS)
    assert prometheus["15090"] is True and prometheus["15020"] is True
    # a pod labelled like Prometheus in another namespace is not Prometheus
    lookalike = rp.in_namespace("models", dict(rp.PROMETHEUS.src.labels if rp.PROMETHEUS.src else ()))
    assert rp.metrics_scrapers(objs, isvc, lookalike)["15090"] is False


def test_the_network_policy_shape_and_schema() -> None:
    objs = _objs(access=INTERNAL)
    netpol = next(o for o in objs if o["kind"] == "NetworkPolicy")
    kubernetes_validate.validate(netpol, "1.34", strict=True)
    assert netpol["metadata"]["namespace"] == "models"
    assert netpol["spec"]["podSelector"] == {"matchLabels": {"serving.kserve.io/inferenceservice": "iris"}}
    assert netpol["spec"]["policyTypes"] == ["Ingress"]  # egress untouched
    open_rule, admin_rule, prometheus_rule = netpol["spec"]["ingress"]
    assert "from" not in open_rule
    assert [p["port"] for p in open_rule["ports"]] == [8012, 8013, 8112, 9090, 15008, 15021]
    assert admin_rule == {
        "from": [{"podSelector": {"matchLabels": {"serving.kserve.io/inferenceservice": "iris"}}}],
        "ports": [{"protocol": "TCP", "port": 8022}],
    }
    assert prometheus_rule == {
        "from": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                "podSelector": {
                    "matchLabels": {
                        "app.kubernetes.io/name": "prometheus",
                        "operator.prometheus.io/name": "kube-prometheus-stack-prometheus",
                    }
                },
            }
        ],
        "ports": [{"protocol": "TCP", "port": p} for p in (9091, 15020, 15090)],
    }
    assert all("endPort" not in p for rule in netpol["spec"]["ingress"] for p in rule["ports"])


def _np(spec: dict[str, Any], ns: str = "models") -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "np", "namespace": ns},
        "spec": spec,
    }


APP = {"podSelector": {"matchLabels": {"app": "m"}}}


def test_network_policy_semantics() -> None:
    pod_a = rp.source("a", {"role": "x"})
    # not selected, or another namespace, or Egress only: not isolated
    assert rp.admits([_np({"podSelector": {"matchLabels": {"app": "n"}}})], W, pod_a, 80).allowed
    assert rp.admits([_np(APP, ns="other")], W, pod_a, 80).allowed
    assert rp.admits([_np({**APP, "policyTypes": ["Egress"]})], W, pod_a, 80).allowed
    # selected without rules: isolated, but the node always gets in
    assert not rp.admits([_np(APP)], W, pod_a, 80).allowed
    assert rp.admits([_np(APP)], W, rp.NODE, 80).allowed
    # podSelector alone: the policy's namespace only; namespaceSelector alone: any pod there; both: AND
    same_ns = [_np({**APP, "ingress": [{"from": [{"podSelector": {}}]}]})]
    assert rp.admits(same_ns, W, rp.source("models"), 80).allowed
    assert not rp.admits(same_ns, W, pod_a, 80).allowed
    ns_only = [
        _np({**APP, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {rp.NAMESPACE_NAME_LABEL: "a"}}}]}]})
    ]
    assert rp.admits(ns_only, W, pod_a, 80).allowed
    both = [
        _np(
            {
                **APP,
                "ingress": [
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchExpressions": [
                                        {"key": rp.NAMESPACE_NAME_LABEL, "operator": "In", "values": ["a"]}
                                    ]
                                },
                                "podSelector": {"matchLabels": {"role": "y"}},
                            }
                        ]
                    }
                ],
            }
        )
    ]
    assert not rp.admits(both, W, pod_a, 80).allowed
    assert rp.admits(both, W, rp.source("a", {"role": "y"}), 80).allowed
    # ports: protocol (TCP by default), single port, endPort range; policies add up
    ranged = [
        _np({**APP, "ingress": [{"ports": [{"port": 8000, "endPort": 8100}]}]}),
        _np({**APP, "ingress": [{"ports": [{"protocol": "UDP", "port": 53}]}]}),
    ]
    assert rp.admits(ranged, W, pod_a, 8050).allowed
    assert not rp.admits(ranged, W, pod_a, 8101).allowed
    assert not rp.admits(ranged, W, pod_a, 53).allowed
    assert rp.admits(ranged, W, pod_a, 53, "UDP").allowed
    with pytest.raises(rp.Unsupported):
        rp.admits([_np({**APP, "ingress": [{"ports": [{"port": "http"}]}]})], W, pod_a, 80)
    with pytest.raises(rp.Unsupported):
        rp.admits([_np({**APP, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]})], W, pod_a, 80)
    with pytest.raises(rp.Unsupported):
        team = {"namespaceSelector": {"matchLabels": {"team": "a"}}}
        rp.admits([_np({**APP, "ingress": [{"from": [team]}]})], W, pod_a, 80)


def test_a_network_policy_that_closed_the_serving_port_would_be_caught() -> None:
    # The matrix compares every route with and without the NetworkPolicies: one that forgot 8012 breaks it.
    objs = list(_objs(access=INTERNAL))
    netpol = next(o for o in objs if o["kind"] == "NetworkPolicy")
    netpol["spec"]["ingress"][0]["ports"] = [p for p in netpol["spec"]["ingress"][0]["ports"] if p["port"] != 8012]
    broken = _check_model(tuple(objs), _isvcs(tuple(objs))[0], INTERNAL_CALLERS)
    assert any("changes the serving path" in b for b in broken)


def test_custom_policies_are_not_guessed() -> None:
    with pytest.raises(rp.Unsupported):
        rp.decide([_ap("CUSTOM", [{}])], W, rp.PLAINTEXT, REQ)


# ------------------------------------------------------------------ issue 12 review: the inference API and nothing else


@pytest.mark.parametrize(
    "access", [{"jwt": JWT}, {"allowAnonymous": True}, INTERNAL], ids=["jwt", "anonymous", "internal"]
)
@pytest.mark.parametrize(
    "served",
    [
        {"format": "sklearn"},
        {"format": "xgboost", "protocol": "v2"},
        {"format": "triton"},
        {"format": "huggingface", "storageUri": "hf://Qwen/Qwen2.5-0.5B-Instruct"},
        {"format": "huggingface", "storageUri": "hf://Qwen/Qwen2.5-0.5B-Instruct", "protocol": "v1"},
        {"format": "huggingface", "storageUri": "hf://Qwen/Qwen2.5-0.5B-Instruct", "protocol": "v2"},
    ],
    ids=["v1", "v2", "triton", "openai", "huggingface-v1", "huggingface-v2"],
)
@pytest.mark.parametrize("mode", ["Knative", "Standard"])
def test_callers_reach_the_inference_api_only(access: dict[str, Any], served: dict[str, Any], mode: str) -> None:
    # Regression (review of main, issue 12): the ALLOW rules limited by port only, so every admitted caller (the
    # internet on an anonymous model, any token holder, any allowed namespace) could GET /metrics and POST
    # /v2/repository/models/<name>/unload (the pod stays Ready and answers 404) or Triton's admin endpoints.
    replicas = [1] if mode == "Standard" or access is INTERNAL else [0, 1]
    for n in replicas:
        objs = _objs(access=access, scaling={"minReplicas": n}, deployment_mode=mode, **served)
        isvc = _isvcs(objs)[0]
        allowed = INTERNAL_CALLERS if access is INTERNAL else []
        assert _check_model(objs, isvc, allowed) == []


@pytest.mark.parametrize("protocol", ["v1", "v2", None])
def test_the_huggingface_server_keeps_its_openai_routes_with_any_protocol(protocol: str | None) -> None:
    # Regression (second review of issue 12): the allow-list was picked by protocol alone, so a Hugging Face model
    # with an explicit ``protocol: v1`` or ``v2`` lost the OpenAI routes its server still registers (by model type:
    # python/kserve/kserve/protocol/rest/openai/config.py ``maybe_register_openai_endpoints``, KServe v0.20.0).
    served = {"protocol": protocol} if protocol else {}
    objs = _objs(
        access={"jwt": JWT},
        scaling={"minReplicas": 1},
        format="huggingface",
        storageUri="hf://Qwen/Qwen2.5-0.5B-Instruct",
        **served,
    )
    isvc = _isvcs(objs)[0]
    token = rp.Token(JWT["issuer"])
    for method, path in (("POST", "/openai/v1/chat/completions"), ("GET", "/openai/v1/models")):
        got = rp.routes(objs, isvc, rp.INTERNET, at_zero=False, method=method, path=path, token=token)
        assert rp.reaches(got, "public gateway"), (method, path)


def test_the_allow_list_limits_are_as_documented() -> None:
    # docs/components/model-service.md "Known limits of the allow-list": a trailing slash, a method other than GET
    # and POST, and routes outside the table (a vLLM OpenAI image's /v1/..., TF Serving's metadata) get 403.
    def reached(objs: tuple[dict[str, Any], ...], method: str, path: str) -> bool:
        isvc = _isvcs(objs)[0]
        return rp.reaches(rp.routes(objs, isvc, rp.INTERNET, at_zero=False, method=method, path=path), "public gateway")

    anonymous = {"access": {"allowAnonymous": True}, "scaling": {"minReplicas": 1}}
    v2 = _objs(format="sklearn", protocol="v2", **anonymous)
    assert reached(v2, "POST", "/v2/models/iris/infer") and reached(v2, "GET", "/v2/models")
    for method, path in (
        ("POST", "/v2/models/iris/infer/"),
        ("GET", "/v2/models/"),
        ("HEAD", "/v2/models/iris/ready"),
        ("OPTIONS", "/v2/models/iris/infer"),
    ):
        assert not reached(v2, method, path), (method, path)
    llm = _objs(format="huggingface", storageUri="hf://Qwen/Qwen2.5-0.5B-Instruct", **anonymous)
    assert reached(llm, "POST", "/openai/v1/chat/completions")
    assert not reached(llm, "POST", "/v1/chat/completions") and not reached(llm, "POST", "/v1/completions")
    tf = _objs(format="tensorflow", **anonymous)
    assert reached(tf, "POST", "/v1/models/iris:predict") and reached(tf, "GET", "/v1/models/iris")
    assert not reached(tf, "GET", "/v1/models/iris/metadata")
    assert not reached(tf, "POST", "/v1/models/iris/versions/1:predict")


def test_the_unload_request_reached_the_model_before() -> None:
    # The shape of the bypass itself, on the rendered policy: a token holder's unload request is refused at the
    # model's sidecar, and the model's own inference path is not.
    objs = _objs(access={"jwt": JWT}, scaling={"minReplicas": 1}, format="sklearn", protocol="v2")
    isvc = _isvcs(objs)[0]
    token = rp.Token(JWT["issuer"])
    unload = rp.routes(
        objs, isvc, rp.INTERNET, at_zero=False, method="POST", path="/v2/repository/models/iris/unload", token=token
    )
    infer = rp.routes(objs, isvc, rp.INTERNET, at_zero=False, method="POST", path="/v2/models/iris/infer", token=token)
    assert not rp.reaches(unload) and rp.reaches(infer, "public gateway")
    assert "403" in unload["public gateway"][0].hops[-1]


def test_knative_ingress_probe_is_answered_for_every_access_mode() -> None:
    # Regression: the model's policy refused the gateway's ingress readiness probe (GET /healthz, K-Network-Probe:
    # probe) whenever it reached the pods (an internal model always: target-burst-capacity 0 keeps the activator
    # out). The prober counts a 403 as "abandoned", a success, without comparing K-Network-Hash (knative.dev/
    # networking pkg/status/status.go probeVerifier, commit a7cdca238a0d, pinned by net-istio knative-v1.21.3), so a
    # config change (a canary split) could be marked Ready before every gateway pod had the new VirtualService.
    # The queue-proxy answers the probe itself, with the hash.
    for access in ({"jwt": JWT}, {"allowAnonymous": True}, INTERNAL):
        objs = _objs(access=access)
        isvc = _isvcs(objs)[0]
        assert rp.ingress_probe(objs, isvc, at_zero=False)
    # ... and a forged probe header does not let a request through to the model: Envoy sees "probe,probe", and a
    # single "probe" is answered by the queue-proxy
    objs = _objs(access=INTERNAL)
    isvc = _isvcs(objs)[0]
    for headers in ({"K-Network-Probe": "probe"}, (("K-Network-Probe", "probe"), ("K-Network-Probe", "probe"))):
        assert not rp.reaches(rp.routes(objs, isvc, STRANGER, at_zero=False, method="GET", headers=headers))


@pytest.mark.parametrize(
    ("path", "normalized", "base"),
    [
        # istio.io/latest/docs/reference/config/security/normalization/ examples
        ("/some%2fdata/%61%62%63", "/some/data/abc", "/some%2fdata/abc"),
        ("/some\\data", "/some/data", "/some/data"),
        ("/some//data///abc", "/some/data/abc", "/some//data///abc"),
        ("/public/./data/abc/../xyz", "/public/data/xyz", "/public/data/xyz"),
        # best-practices page: "/a/../b" -> "/b", "/a%2fb" -> "/a/b" (DECODE_AND_MERGE_SLASHES)
        ("/a/../b", "/b", "/b"),
        ("/a%2fb", "/a/b", "/a%2fb"),
        # decoding comes before the dot segments
        ("/v1/models/..%2F..%2Fmetrics", "/metrics", "/v1/models/..%2F..%2Fmetrics"),
        ("/v1/models/%2e%2e/%2e%2e/metrics", "/metrics", "/metrics"),
        ("/x%00", None, None),
    ],
)
def test_path_normalization(path: str, normalized: str | None, base: str | None) -> None:
    assert rp.normalize_path(path) == normalized
    assert rp.normalize_path(path, "BASE") == base
    assert rp.normalize_path(path, "NONE") == (None if "%00" in path else path)


def test_the_platform_normalizes_paths_as_the_evaluator_assumes() -> None:
    from components.platform import istio

    assert rp.PATH_NORMALIZATION == istio.PATH_NORMALIZATION == "DECODE_AND_MERGE_SLASHES"


def test_path_templates_exact_prefix_suffix_and_not_paths() -> None:
    one = [_ap("ALLOW", [{"to": [{"operation": {"paths": ["/v2/models/{*}/infer"], "notPaths": ["/v2/models/x/*"]}}]}])]
    assert rp.decide(one, W, rp.PLAINTEXT, replace(REQ, path="/v2/models/iris/infer")).allowed
    assert rp.decide(one, W, rp.PLAINTEXT, replace(REQ, path="/v2/models/iris/infer?x=1")).allowed
    assert not rp.decide(one, W, rp.PLAINTEXT, replace(REQ, path="/v2/models/a/b/infer")).allowed  # one segment
    assert not rp.decide(one, W, rp.PLAINTEXT, replace(REQ, path="/v2/models//infer")).allowed  # not empty
    assert not rp.decide(one, W, rp.PLAINTEXT, replace(REQ, path="/v2/models/x/infer")).allowed  # notPaths
    assert not rp.decide(one, W, rp.PLAINTEXT, replace(REQ, path="/v2/models/a=b/infer")).allowed  # "=" not kLiteral
    many = [_ap("ALLOW", [{"to": [{"operation": {"paths": ["/a/{**}"]}}]}])]
    assert rp.decide(many, W, rp.PLAINTEXT, replace(REQ, path="/a/b/c")).allowed
    assert rp.decide(many, W, rp.PLAINTEXT, replace(REQ, path="/a/")).allowed
    affixes = [_ap("ALLOW", [{"to": [{"operation": {"paths": ["/v1/*", "*:predict", "/exact"]}}]}])]
    for ok in ("/v1/x", "/m:predict", "/exact"):
        assert rp.decide(affixes, W, rp.PLAINTEXT, replace(REQ, path=ok)).allowed
    for no in ("/v2/x", "/exact/", "/m:explain"):
        assert not rp.decide(affixes, W, rp.PLAINTEXT, replace(REQ, path=no)).allowed
    # matched after normalization: "/v1/../metrics" is "/metrics"
    assert not rp.decide(affixes, W, rp.PLAINTEXT, replace(REQ, path="/v1/../metrics")).allowed


@pytest.mark.parametrize(
    "access", [{"jwt": JWT}, {"allowAnonymous": True}, INTERNAL], ids=["jwt", "anonymous", "internal"]
)
def test_only_the_pod_itself_and_its_node_reach_the_queue_proxy_admin_port(access: dict[str, Any]) -> None:
    # Regression (issue 12 review, item 3): 8022 was open to every pod for "the kubelet's preStop", but Istio 1.30
    # rewrites the preStop hook to 15020 (pkg/kube/inject/app_probe.go) and pilot-agent calls 8022 from inside the
    # pod; 8022's one handler drains the queue-proxy (pkg/queue/sharedmain/handlers.go adminHandler).
    objs = _objs(access=access)
    m = rp.model_of(_isvcs(objs)[0])
    assert STRANGER.src is not None
    assert not rp.admits(objs, m.pods, STRANGER.src, 8022).allowed
    assert not rp.admits(objs, m.pods, rp.source("models", {"app": "other"}), 8022).allowed
    assert rp.admits(objs, m.pods, rp.source("models", dict(m.pods.labels)), 8022).allowed
    assert rp.admits(objs, m.pods, rp.NODE, 8022).allowed
    assert rp.admits(objs, m.pods, rp.NODE, 15020).allowed  # the rewritten preStop and app probes


def test_prometheus_is_named_by_the_label_the_chart_selects_it_with() -> None:
    # Regression (issue 12 review, item 2): the citation said the chart selects "prometheus: <crname>"; at 88.5.3 it
    # selects operator.prometheus.io/name, the label prometheus-operator documents as naming the resource.
    assert rp.PROMETHEUS.src is not None
    assert dict(rp.PROMETHEUS.src.labels) == {
        "app.kubernetes.io/name": "prometheus",
        "operator.prometheus.io/name": "kube-prometheus-stack-prometheus",
    }


@pytest.mark.parametrize(("stack", "mode"), variants())
def test_gateway_metrics_are_readable_by_prometheus_only(stack: str, mode: str) -> None:
    # Regression (issue 12 review, item 5): istio-system had no NetworkPolicy, so any pod read every model's request
    # metrics from the ingress gateway's Envoy (15090) and pilot-agent (15020), which the platform's PodMonitor
    # scrapes. The traffic ports stay open to every source (load balancers, their health checks, meshed callers).
    objs = objects(stack, mode)
    assert [
        o["metadata"]["name"]
        for o in objs
        if o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == "istio-system"
    ] == ["istio-ingressgateway-netpol"]
    monitored = any(o["kind"] == "PodMonitor" and o["metadata"]["name"] == "istio-ingressgateway" for o in objs)
    assert rp.gateway_metrics_scrapers(objs, rp.PROMETHEUS) == {"15020": monitored, "15090": monitored}
    others = [
        STRANGER,
        rp.INTERNET,
        rp.in_namespace(rp.GATEWAY_NAMESPACE, {"app": "istiod"}),
        rp.in_namespace("monitoring", {"app.kubernetes.io/name": "grafana"}),
        rp.in_namespace(_auth.KNATIVE_NAMESPACE, _auth.ACTIVATOR_LABELS),
    ]
    for other in others:
        assert rp.gateway_metrics_scrapers(objs, other) == {"15020": False, "15090": False}, other.label
    for port in (80, 443, 15021):
        assert rp.admits(objs, rp.GATEWAY, rp.EXTERNAL, port).allowed, port
    for port in (80, 8081):
        assert rp.admits(objs, rp.GATEWAY, STRANGER.src or rp.NODE, port).allowed, port
    assert rp.admits(objs, rp.GATEWAY, rp.NODE, 15021).allowed  # the kubelet's readiness probe


def test_a_gateway_policy_that_closed_a_traffic_port_would_be_caught() -> None:
    # The matrix compares every route with and without NetworkPolicies: a gateway policy without 8081 or 443 breaks it.
    objs = objects("gcp-prod", "Knative")
    configs = model_configs("gcp-prod", "Knative")
    for closed in (8081, 443):
        changed = [dict(o) for o in objs]
        for o in changed:
            if o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == "istio-system":
                rule = dict(o["spec"]["ingress"][0])
                rule["ports"] = [p for p in rule["ports"] if p["port"] != closed]
                o["spec"] = {**o["spec"], "ingress": [rule, *o["spec"]["ingress"][1:]]}
        broken = [
            b
            for isvc in _isvcs(tuple(changed))
            for b in _check_model(tuple(changed), isvc, _allowed(configs[isvc["metadata"]["name"]], isvc))
        ]
        assert any("changes the serving path" in b for b in broken), closed


@pytest.mark.parametrize("access", [INTERNAL, {"jwt": {**JWT, "audiences": ["qwen"]}}], ids=["internal", "jwt"])
@pytest.mark.parametrize("args", [["--model_name=qwen"], ["--model_name", "qwen"]], ids=["equals", "separate"])
def test_a_hugging_face_model_named_by_model_name_stays_protected_and_is_reached_by_that_name(
    access: dict[str, Any], args: list[str]
) -> None:
    # KServe's Hugging Face server registers the model under the last --model_name (components/serving/runtimes.py
    # NAMED_RUNTIMES): callers call /v1/models/qwen:predict and /openai/v1/chat/completions, which the model's callers
    # reach and no one else does
    objs = _objs(
        access=access,
        scaling={"minReplicas": 1},
        format="huggingface",
        storageUri="hf://Qwen/Qwen2.5-0.5B-Instruct",
        args=args,
    )
    isvc = _isvcs(objs)[0]
    assert rp.inference_requests(isvc) == [("POST", "/v1/models/qwen:predict"), ("POST", "/openai/v1/chat/completions")]
    assert _check_model(objs, isvc, INTERNAL_CALLERS if access is INTERNAL else []) == []
