"""The rules that close the sixth hostile mutation round of issue #17 (/work/wt/rev17f-report.md): each slip rendered
on a real plan (a cover stack, tests/golden_stacks) and expected to make that rule, and only that rule, fail; and
the boundary of each rule the round moved without any test noticing (r03, r04, r07, r08, r09).

- s11, s12, r08: ``llm-scrape-merged-stats`` runs the PodMonitor's relabelings as Prometheus does;
  r07: ``llm-query-scoped`` matcher operators.
- s15, r09: ``keda-ha-values`` spread selectors and PDB values Helm renders nothing for.
- s16, s17: ``helm-workload-identity-pod-label``; s19: ``prod-protect-stateful`` on the AKS prod DNS identity
  (cover-aks-prod-dns).
- r03, r04: ``jwt-audiences-rendered`` (a RequestAuthentication of another namespace; a pipeline's audiences).
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest
from policy_support import failures

from components.plan.engine import run_program
from components.plan.project import load_project, read_stack_file
from policy.rules import Resource, StackSettings, resources_from_plan
from policy.rules.llm import (
    POD_LABEL_META,
    POD_LABELPRESENT_META,
    endpoint_port,
    query_problems,
    relabel,
    sample_target,
    sanitize_label_name,
)
from support import ROOT, cover_plan, mutated_resources, rule_entries, shared_cache

GCP = "cover-gcp-standard"
AKS = "cover-aks-prod-dns"


def caught(
    plan: tuple[tuple[Resource, ...], StackSettings],
    rule: str,
    pick: Callable[[Resource], bool],
    change: Callable[[dict[str, Any]], None],
    exactly: int | None = 1,
    also: tuple[str, ...] = (),
) -> list[str]:
    """``rule`` passes on the plan, fully judged, and is the only rule failing (with ``also``, rules that judge the
    same change from another side) once ``change`` is applied."""
    resources, settings = plan
    base = [e for e in rule_entries(resources, settings) if e["policy"] == rule]
    assert base and all(e["passed"] and not e.get("unchecked") for e in base), base
    found = failures(mutated_resources(resources, pick, change, exactly=exactly), settings)
    assert sorted(found) == sorted({rule, *also}), found
    return found[rule]


def kind(k: str, name: str) -> Callable[[Resource], bool]:
    return lambda r: r.type.startswith("kubernetes:") and r.type.endswith(f":{k}") and r.k8s_name == name


def chart(name: str) -> Callable[[Resource], bool]:
    return lambda r: r.type.endswith(":Release") and str(r.props.get("chart", "")).rsplit("/", 1)[-1] == name


@shared_cache
def extended(stack: str, extra: str) -> tuple[tuple[Resource, ...], StackSettings]:
    """A shipped (or cover, ``cover-*``) stack planned with the JSON config keys of ``extra`` merged in."""
    project = load_project(ROOT)
    if stack.startswith("cover-"):
        project = dataclasses.replace(project, stack_config_dir="tests/golden_stacks")
    cfg = read_stack_file(project, stack)
    config = dict(cfg.config)
    for key, value in json.loads(extra).items():
        full = f"mlplatform:{key}"
        merged = json.loads(config[full]) if full in config else {}
        merged.update(value)
        config[full] = json.dumps(merged)
    result = run_program(
        project.root, stack, config, cfg.secret_keys, main=project.main, project=project.name, outputs="fake"
    )
    return tuple(resources_from_plan(result)), StackSettings.from_config(config)


# ------------------------------------------------------------------------------------------------ relabelling


def _vllm_endpoint(props: dict[str, Any]) -> dict[str, Any]:
    ep = next(e for e in props["spec"]["podMetricsEndpoints"] if e.get("metricRelabelings"))
    assert isinstance(ep, dict)
    return ep


def _relabeling(index: int, **fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda p: _vllm_endpoint(p)["relabelings"][index].update(fields)


LABEL_META = "__meta_kubernetes_pod_label_serving_kserve_io_inferenceservice"
PRESENT_META = "__meta_kubernetes_pod_labelpresent_serving_kserve_io_inferenceservice"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        # s11: the labelpresent meta label ("true" for a present label) copied into inferenceservice
        (_relabeling(1, sourceLabels=[PRESENT_META]), "inferenceservice='true', not 'chat'"),
        # s12: (.+) is anchored on both ends and takes the port too: the endpoint names http-envoy-prom (15090 on
        # the pod, rev17g P6), so 10.0.0.1:15090:15020
        (_relabeling(0, regex="(.+)"), "targets '10.0.0.1:15090:15020'"),
        # rev17g g12: a regex for port 8080 only does not match the target on 15090, which then stays on 15090
        (_relabeling(0, regex="(.+):8080"), "targets '10.0.0.1:15090' for a pod at 10.0.0.1:15090"),
        # an endpoint on a port the pod does not declare scrapes nothing; one naming no port is not judged blind
        (lambda p: _vllm_endpoint(p).update(port="http-other"), "port 'http-other' names no port a model pod"),
        (lambda p: _vllm_endpoint(p).pop("port"), "names no port"),
        # rev17g r12: Prometheus anchors a keep regex at both ends, so "vllm:num" keeps no vllm: series whole
        (lambda p: _vllm_endpoint(p)["metricRelabelings"][0].update(regex="vllm:num"), "keeps vllm: series"),
        (lambda p: _vllm_endpoint(p)["metricRelabelings"][0].update(regex="vllm"), "keeps vllm: series"),
        # r08: a second __address__ relabeling after the right one: the last write wins
        (
            lambda p: _vllm_endpoint(p)["relabelings"].append(
                {
                    "sourceLabels": ["__address__"],
                    "regex": "(.+):[0-9]+",
                    "targetLabel": "__address__",
                    "replacement": "${1}:15090",
                }
            ),
            "targets '10.0.0.1:15090'",
        ),
        # the series label written nowhere
        (lambda p: _vllm_endpoint(p)["relabelings"].pop(1), "inferenceservice=None, not 'chat'"),
        # a keep that drops the pod's target
        (
            lambda p: _vllm_endpoint(p)["relabelings"].insert(
                0, {"sourceLabels": [LABEL_META], "regex": "other", "action": "keep"}
            ),
            "drop the pod's target",
        ),
        # an action the model does not evaluate fails closed
        (_relabeling(1, action="hashmod", modulus=2), "action 'hashmod' the rule does not model"),
    ],
)
def test_the_scrape_relabelings_run_as_prometheus_runs_them(
    change: Callable[[dict[str, Any]], None], fragment: str
) -> None:
    msgs = caught(cover_plan(GCP), "llm-scrape-merged-stats", kind("PodMonitor", "chat-metrics"), change)
    assert any(fragment in m for m in msgs), msgs


@pytest.mark.parametrize(
    ("endpoint", "port"),
    [
        ({"port": "http-envoy-prom"}, ("15090", "http-envoy-prom")),  # the sidecar's port (Istio 1.30.3 injector)
        ({"port": "http-envoy-prom", "portNumber": 8080}, ("15090", "http-envoy-prom")),  # port takes precedence
        ({"portNumber": 15090}, ("15090", "http-envoy-prom")),
        ({"portNumber": 8080}, ("8080", "")),
        ({"targetPort": "http-envoy-prom"}, ("15090", "http-envoy-prom")),
        ({"targetPort": 8080}, ("8080", "")),
    ],
)
def test_the_sample_target_sits_on_the_port_the_endpoint_names(endpoint: dict[str, Any], port: tuple[str, str]) -> None:
    """rev17g P6: Prometheus's pod role makes one target per declared container port (``__address__`` = pod IP and
    that port) and the PodMonitor keeps the one its endpoint names (CRD: ``port`` "takes precedence over the
    ``portNumber`` and ``targetPort`` fields"), so the relabelings are judged on THAT target, not a fixed :8080."""
    assert endpoint_port(endpoint) == port
    relabelings = [
        {
            "sourceLabels": ["__address__"],
            "regex": "(.+):8080",
            "targetLabel": "__address__",
            "replacement": "${1}:15020",
        }
    ]
    got = relabel(sample_target("chat", *port), relabelings)
    assert got is not None and got["__address__"] == ("10.0.0.1:15020" if port[0] == "8080" else "10.0.0.1:15090")


def test_relabel_semantics() -> None:
    """prometheus/prometheus model/relabel/relabel.go: defaults (replace, ";", "(.*)", "$1"), anchored regexes,
    order, an empty result deleting the label, labelmap on names, Go's ``$name`` expansion."""
    target = sample_target("chat")
    assert target == {"__address__": "10.0.0.1:8080", LABEL_META: "chat", PRESENT_META: "true"}
    got = relabel(target, [{"sourceLabels": [LABEL_META], "targetLabel": "inferenceservice"}])
    assert got is not None and got["inferenceservice"] == "chat"
    # anchored at both ends: "(10\.0)" matches a prefix of the address only, so nothing is replaced; a keep on it
    # drops the target
    got = relabel(target, [{"sourceLabels": ["__address__"], "regex": "(10\\.0)", "targetLabel": "a"}])
    assert got is not None and "a" not in got
    assert relabel(target, [{"sourceLabels": ["__address__"], "regex": "10\\.0.*1", "action": "keep"}]) is None
    # separator between source values
    got = relabel(target, [{"sourceLabels": ["__address__", LABEL_META], "targetLabel": "j"}])
    assert got is not None and got["j"] == "10.0.0.1:8080;chat"
    # $1x is the group named 1x (empty): the label is deleted; ${1}x is the group then x
    got = relabel(
        {**target, "x": "v"}, [{"sourceLabels": ["x"], "regex": "(v)", "targetLabel": "x", "replacement": "$1x"}]
    )
    assert got is not None and "x" not in got
    got = relabel(
        target, [{"sourceLabels": [LABEL_META], "regex": "(c)hat", "targetLabel": "y", "replacement": "${1}x"}]
    )
    assert got is not None and got["y"] == "cx"
    got = relabel(target, [{"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(.+)"}])
    assert got is not None and got["serving_kserve_io_inferenceservice"] == "chat"
    assert relabel(target, [{"sourceLabels": [LABEL_META], "regex": "chat", "action": "drop"}]) is None


def test_relabel_follows_prometheus_v3_14_0() -> None:
    """prometheus/prometheus v3.14.0: ``NewRegexp`` compiles "^(?s:" + s + ")$" (``.`` takes a newline, ``$`` is the
    end of the text, not before a final newline as Python's ``$``); a replace's target name is checked by the scrape
    config's name validation, "utf8" by default (config/config.go), so a dotted name is written; the meta label names
    are the pod label sanitised by ``strutil.SanitizeLabelName`` (discovery/kubernetes/kubernetes.go)."""
    assert sanitize_label_name("serving.kserve.io/inferenceservice") == "serving_kserve_io_inferenceservice"
    assert sanitize_label_name("app.kubernetes.io/name-x") == "app_kubernetes_io_name_x"
    assert (LABEL_META, PRESENT_META) == (POD_LABEL_META, POD_LABELPRESENT_META)
    # Go's $ does not match before a trailing newline: the keep drops "x\n"
    assert relabel({"a": "x\n"}, [{"sourceLabels": ["a"], "regex": "x", "action": "keep"}]) is None
    # (?s): "." matches the newline, so the keep keeps "x\ny"
    assert relabel({"a": "x\ny"}, [{"sourceLabels": ["a"], "regex": "x.y", "action": "keep"}]) == {"a": "x\ny"}
    # UTF-8 validation: a dotted target label is set; an empty one is skipped
    got = relabel({"a": "v"}, [{"sourceLabels": ["a"], "targetLabel": "model.name"}])
    assert got == {"a": "v", "model.name": "v"}
    got = relabel({"a": "v"}, [{"sourceLabels": ["a"], "regex": "(v)", "targetLabel": "$2", "replacement": "w"}])
    assert got == {"a": "v"}


@pytest.mark.parametrize(
    ("query", "fragments"),
    [
        # r07: the exact value under another operator selects other series (!= every other namespace, =~ a regex)
        (
            'sum(vllm:num_requests_waiting{namespace!="models", inferenceservice="chat"})',
            ('without namespace="models"', 'namespace!="models"'),
        ),
        (
            'sum(vllm:num_requests_waiting{namespace="models", inferenceservice=~"chat"})',
            ('without inferenceservice="chat"', 'inferenceservice=~"chat"'),
        ),
        (
            'sum(vllm:num_requests_waiting{namespace="models", inferenceservice!~"chat"})',
            ('without inferenceservice="chat"', 'inferenceservice!~"chat"'),
        ),
    ],
)
def test_only_the_equality_matcher_scopes_a_query(query: str, fragments: tuple[str, ...]) -> None:
    problems = query_problems(query, "models", "chat")
    for fragment in fragments:
        assert any(fragment in p for p in problems), (fragment, problems)


# ------------------------------------------------------------------------------------------------ KEDA (s15, r09)

KEDA_PROD = ("gcp-prod", '{"platform": {"keda": true}}')


def _keda_values(fn: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda props: fn(props["values"])


@pytest.mark.parametrize(
    ("fn", "fragment"),
    [
        # s15: the metrics server's spread selects app=keda-operator-metrics-server, a label no pod carries
        (
            lambda v: [
                c["labelSelector"]["matchLabels"].update(app="keda-operator-metrics-server")
                for c in v["topologySpreadConstraints"]["metricsServer"]
            ],
            "topologySpreadConstraints.metricsServer[0] labelSelector has matchLabels {'app': "
            "'keda-operator-metrics-server'} that the pods do not carry",
        ),
        (
            lambda v: [c["labelSelector"].update(matchLabels={}) for c in v["topologySpreadConstraints"]["webhooks"]],
            "topologySpreadConstraints.webhooks[0] labelSelector has no matchLabels",
        ),
        # the operator's label on the webhooks' spread
        (
            lambda v: [
                c["labelSelector"]["matchLabels"].update(app="keda-operator")
                for c in v["topologySpreadConstraints"]["webhooks"]
            ],
            "topologySpreadConstraints.webhooks[1] labelSelector has matchLabels {'app': 'keda-operator'}",
        ),
        # r09: Helm's `if` renders no PDB for 0 or false
        (lambda v: v["podDisruptionBudget"].update(operator={"minAvailable": 0}), "podDisruptionBudget.operator"),
        (lambda v: v["podDisruptionBudget"].update(webhooks={"minAvailable": False}), "podDisruptionBudget.webhooks"),
    ],
)
def test_keda_spread_selects_its_own_pods_and_a_zero_pdb_is_none(
    fn: Callable[[dict[str, Any]], None], fragment: str
) -> None:
    msgs = caught(extended(*KEDA_PROD), "keda-ha-values", chart("keda"), _keda_values(fn))
    assert any(fragment in m for m in msgs), msgs


def test_a_renamed_operator_moves_the_pod_labels_with_it() -> None:
    """The chart derives the labels from ``operator.name``: a spread on the renamed labels selects the pods."""
    from policy.rules.slipguards import keda_pod_labels

    assert keda_pod_labels({"operator": {"name": "k"}}, "metricsServer") == {
        "app": "k-metrics-apiserver",
        "app.kubernetes.io/name": "k-metrics-apiserver",
    }
    assert keda_pod_labels({}, "webhooks")["app"] == "keda-admission-webhooks"
    assert keda_pod_labels({"podLabels": {"keda": {"team": "a"}}}, "operator")["team"] == "a"


# ------------------------------------------------------------------------------------------ AKS DNS (s16, s17, s19)


@pytest.mark.parametrize("release", ["cert-manager", "external-dns"])
@pytest.mark.parametrize("value", [None, "false", True])
def test_an_azure_dns_identity_release_labels_its_pods(release: str, value: Any) -> None:
    """rev17f s16 (cert-manager) and s17 (external-dns): the release's pods lose ``azure.workload.identity/use``."""

    def change(props: dict[str, Any]) -> None:
        labels = props["values"]["podLabels"]
        if value is None:
            del labels["azure.workload.identity/use"]
        else:
            labels["azure.workload.identity/use"] = value

    (msg,) = caught(cover_plan(AKS), "helm-workload-identity-pod-label", chart(release), change)
    assert "values.podLabels azure.workload.identity/use is" in msg


def test_a_release_without_the_client_id_is_not_judged() -> None:
    resources, settings = cover_plan(AKS)

    def change(props: dict[str, Any]) -> None:
        del props["values"]["serviceAccount"]["annotations"]["azure.workload.identity/client-id"]
        del props["values"]["podLabels"]

    found = failures(mutated_resources(resources, chart("external-dns"), change, exactly=1), settings)
    assert "helm-workload-identity-pod-label" not in found


def test_the_aks_prod_dns_identity_is_protected() -> None:
    """rev17f s19: the AKS DNS identity (and its federated credentials) registered without protect on prod."""
    resources, settings = cover_plan(AKS)
    dns = [r for r in resources if r.type.endswith(":UserAssignedIdentity") and "-dns" in r.name]
    assert dns and all(r.protect for r in dns), [r.name for r in dns]
    unprotected = [dataclasses.replace(r, protect=False) if r in dns else r for r in resources]
    found = failures(unprotected, settings)
    assert sorted(found) == ["prod-protect-stateful"], found
    assert len(found["prod-protect-stateful"]) == len(dns)


# ------------------------------------------------------------------------------------------------ audiences (r03, r04)


def test_a_request_authentication_in_another_namespace_does_not_count() -> None:
    """r03: Istio applies a RequestAuthentication's selector in its own namespace only; moved to another namespace,
    the model's pods have none."""
    (msg,) = caught(
        cover_plan(GCP),
        "jwt-audiences-rendered",
        kind("RequestAuthentication", "bert-jwt"),
        lambda p: p["metadata"].update(namespace="apps"),
        also=("model-endpoint-auth",),
    )
    want = "InferenceService/models/bert declares JWT audiences ['models'] but no RequestAuthentication selects"
    assert msg == f"{want} its pods"


FRONT = json.dumps(
    {
        "pipelines": {
            "front": {
                "access": {
                    "mode": "public",
                    "jwt": {
                        "issuer": "https://auth.example.com/realms/models",
                        "jwksUri": "https://auth.example.com/realms/models/protocol/openid-connect/certs",
                        "audiences": ["router"],
                    },
                },
                "nodes": {"root": {"routerType": "Sequence", "steps": [{"serviceName": "sklearn-iris"}]}},
            }
        }
    }
)


def test_a_pipelines_declared_audiences_are_in_the_settings_and_judged() -> None:
    """r04: the settings carry the public pipeline's audiences, and its router's RequestAuthentication without them
    fails."""
    plan = extended("local", FRONT)
    assert ("InferenceGraph/models/front", "https://auth.example.com/realms/models", ("router",)) in (
        plan[1].facts.jwt_audiences
    )
    saved = StackSettings.from_json(copy.deepcopy(plan[1].to_json()))
    assert saved.facts.jwt_audiences == plan[1].facts.jwt_audiences

    def drop(props: dict[str, Any]) -> None:
        for rule in props["spec"]["jwtRules"]:
            rule.pop("audiences", None)

    front = lambda r: (  # noqa: E731
        r.type.endswith(":RequestAuthentication")
        and (r.get("spec.selector.matchLabels") or {}).get("serving.kserve.io/inferencegraph") == "front"
    )
    msgs = caught(plan, "jwt-audiences-rendered", front, drop)
    assert any("InferenceGraph/models/front" in m and "audiences are none" in m for m in msgs), msgs
