"""rev17l's platform and serving misses (/work/wt/rev17l-report.md, issue #17), caught on shipped stacks' plans.

- 18: KServe publishing model URLs as ``http://`` behind an HTTPS gateway (``gateway-https-only``);
- 26, 29, 30: the models' SLO alerts never paging on prod, counting only some 5xx, or never matching the workload of
  the model's deployment mode (``model-slo-alerts``, policy/rules/alerts.py).

Each test mutates a shipped stack's plan the way the slip renders it (benchmarks/policy_mutations.py holds the slips
in the source; the benchmark shows them caught in a plan of the mutated program), and the boundary cases on either
side of the promise.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from policy.rules import run_rules
from policy.rules.alerts import workloads
from policy.rules.base import Resource
from support import mutated_resources, rules_named, rules_plan

PROMRULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"


def _failures(stack: str, resources: list[Resource] | tuple[Resource, ...], rule: str) -> list[str]:
    _, settings = rules_plan(stack)
    entries = run_rules(list(resources), settings, rules=rules_named(rule))
    return [e["message"] for e in entries if not e["passed"]]


def _alerts(name: str, change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """A props change applied to every alert rule of model ``name``'s PrometheusRule."""

    def apply(props: dict[str, Any]) -> None:
        for group in props["spec"]["groups"]:
            for alert in group["rules"]:
                change(alert)

    return apply


def _model_rule(name: str) -> Callable[[Resource], bool]:
    return lambda r: r.type == PROMRULE and r.k8s_name == f"{name}-alerts"


def _expr(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def change(alert: dict[str, Any]) -> None:
        assert old in alert["expr"], alert["expr"]
        alert["expr"] = alert["expr"].replace(old, new)

    return change


# ------------------------------------------------------------------------------------------------ baselines


@pytest.mark.parametrize("stack", ["aws-dev", "gcp-prod", "azure-staging", "local"])
def test_shipped_stacks_pass_both_rules(stack: str) -> None:
    resources, _ = rules_plan(stack)
    assert _failures(stack, resources, "model-slo-alerts") == []
    assert _failures(stack, resources, "gateway-https-only") == []


def test_gcp_prod_renders_slo_alerts_for_three_knative_models() -> None:
    """The plan the tests below mutate: three models in namespace models, each with both SLO alerts, critical."""
    resources, _ = rules_plan("gcp-prod")
    rules = {r.k8s_name: r for r in resources if r.type == PROMRULE and r.namespace == "models"}
    assert sorted(rules) == ["qwen-chat-alerts", "resnet-triton-alerts", "sklearn-iris-alerts"]
    for r in rules.values():
        alerts = [a for g in r.get("spec.groups") for a in g["rules"]]
        assert [a["alert"] for a in alerts] == ["ModelLatencyP95High", "ModelErrorRateHigh"]
        assert {a["labels"]["severity"] for a in alerts} == {"critical"}


# ------------------------------------------------------------------------------------------------ severity (26)


def test_prod_alert_labelled_warning_fails() -> None:
    resources, _ = rules_plan("gcp-prod")
    mutated = mutated_resources(
        resources,
        _model_rule("sklearn-iris"),
        _alerts("sklearn-iris", lambda a: a["labels"].update(severity="warning")),
        exactly=1,
    )
    assert _failures("gcp-prod", mutated, "model-slo-alerts") == [
        "PrometheusRule models/sklearn-iris-alerts: alert ModelLatencyP95High of model sklearn-iris is labelled "
        "severity 'warning' on a prod stack: prod SLO alerts are critical (they page)",
        "PrometheusRule models/sklearn-iris-alerts: alert ModelErrorRateHigh of model sklearn-iris is labelled "
        "severity 'warning' on a prod stack: prod SLO alerts are critical (they page)",
    ]


def test_prod_alert_without_severity_fails_and_warning_on_dev_passes() -> None:
    resources, _ = rules_plan("gcp-prod")
    mutated = mutated_resources(
        resources,
        _model_rule("qwen-chat"),
        _alerts("qwen-chat", lambda a: a["labels"].pop("severity")),
        exactly=1,
    )
    assert len(_failures("gcp-prod", mutated, "model-slo-alerts")) == 2
    dev, _ = rules_plan("aws-dev")
    assert {a["labels"]["severity"] for r in dev if r.type == PROMRULE and r.namespace == "models"
            for g in r.get("spec.groups") for a in g["rules"]} == {"warning"}  # fmt: skip
    assert _failures("aws-dev", dev, "model-slo-alerts") == []


# ------------------------------------------------------------------------------------------------ 5xx (29)

ERROR_CODE_CASES = {
    '"500"': "response_code matcher leaves out 501",
    '~"50."': "response_code matcher leaves out 510",
    '~"[45].."': "response_code matcher counts 400",
    '~"5.*"': None,  # every code Istio reports is three digits: 5.* admits 500-599 among 100-599
    '~"5[0-9][0-9]"': None,
    '~"5.."': None,
}


@pytest.mark.parametrize("matcher", list(ERROR_CODE_CASES))
def test_error_rate_counts_every_5xx_and_nothing_else(matcher: str) -> None:
    resources, _ = rules_plan("gcp-prod")
    mutated = mutated_resources(
        resources,
        _model_rule("resnet-triton"),
        _alerts(
            "resnet-triton",
            lambda a: a.update(expr=a["expr"].replace('response_code=~"5.."', f"response_code={matcher}")),
        ),
        exactly=1,
    )
    found = _failures("gcp-prod", mutated, "model-slo-alerts")
    expected = ERROR_CODE_CASES[matcher]
    if expected is None:
        assert found == []
    else:
        assert found == [
            "PrometheusRule models/resnet-triton-alerts: alert ModelErrorRateHigh of model resnet-triton "
            f"istio_requests_total's {expected}: an error rate counts every 5xx and nothing else"
        ]


# ------------------------------------------------------------------------------------------------ workload (30)


def test_knative_workloads_follow_knatives_revision_names() -> None:
    assert workloads("m", "Knative")[:2] == ["m-predictor-00001-deployment", "m-predictor-00002-deployment"]
    assert workloads("m", "Knative")[-1] == "m-predictor-100000-deployment"
    assert workloads("m", "Standard") == ["m-predictor"]


@pytest.mark.parametrize(
    ("regex", "missing"),
    [
        ("sklearn-iris-predictor", "sklearn-iris-predictor-00001-deployment"),  # rev17l 30: Standard's name only
        ("sklearn-iris-predictor-[0-9]{5}-deployment", "sklearn-iris-predictor-100000-deployment"),
        ("sklearn-iris-predictor-0000[0-9]-deployment", "sklearn-iris-predictor-00010-deployment"),
        ("sklearn-iris-predictor-.*-deployment", None),
        ("sklearn-iris-predictor(-[0-9]+-deployment)?", None),
    ],
)
def test_workload_matcher_admits_the_knative_deployment(regex: str, missing: str | None) -> None:
    resources, _ = rules_plan("gcp-prod")
    mutated = mutated_resources(
        resources,
        _model_rule("sklearn-iris"),
        _alerts("sklearn-iris", _expr('"sklearn-iris-predictor(-[0-9]+-deployment)?"', json.dumps(regex))),
        exactly=1,
    )
    found = _failures("gcp-prod", mutated, "model-slo-alerts")
    if missing is None:
        assert found == []
    else:
        assert len(found) == 2, found  # one per alert (the error rate's two selectors say the same)
        assert found[0] == (
            "PrometheusRule models/sklearn-iris-alerts: alert ModelLatencyP95High of model sklearn-iris "
            f"istio_request_duration_milliseconds's destination_workload matcher does not admit {missing}, the "
            "workload of the model's pods in Knative mode: the alert never fires"
        )


def test_standard_mode_model_needs_the_deployment_name() -> None:
    """A model KServe reconciles in Standard mode (its deploymentMode annotation) runs Deployment <name>-predictor:
    a Knative-only matcher misses it, the shipped matcher admits it."""
    resources, _ = rules_plan("gcp-prod")

    def standard(props: dict[str, Any]) -> None:
        props["metadata"].setdefault("annotations", {})["serving.kserve.io/deploymentMode"] = "RawDeployment"

    as_standard = mutated_resources(
        resources, lambda r: r.type == ISVC and r.k8s_name == "sklearn-iris", standard, exactly=1
    )
    assert _failures("gcp-prod", as_standard, "model-slo-alerts") == []
    knative_only = mutated_resources(
        as_standard,
        _model_rule("sklearn-iris"),
        _alerts("sklearn-iris", _expr("(-[0-9]+-deployment)?", "-[0-9]+-deployment")),
        exactly=1,
    )
    found = _failures("gcp-prod", knative_only, "model-slo-alerts")
    assert len(found) == 2
    assert "does not admit sklearn-iris-predictor, the workload of the model's pods in Standard mode" in found[0]


def test_matcher_admitting_another_models_workload_fails() -> None:
    resources, _ = rules_plan("gcp-prod")
    mutated = mutated_resources(
        resources,
        _model_rule("qwen-chat"),
        _alerts(
            "qwen-chat", _expr('"qwen-chat-predictor(-[0-9]+-deployment)?"', '".*-predictor(-[0-9]+-deployment)?"')
        ),
        exactly=1,
    )
    found = _failures("gcp-prod", mutated, "model-slo-alerts")
    assert len(found) == 2
    assert found[0].endswith(
        "istio_request_duration_milliseconds's destination_workload matcher also admits "
        "resnet-triton-predictor-00001-deployment, another model's workload"
    )


def test_reporter_and_namespace_are_kept() -> None:
    resources, _ = rules_plan("gcp-prod")
    source = mutated_resources(
        resources, _model_rule("qwen-chat"), _alerts("qwen-chat", _expr('reporter="destination"', 'reporter="source"'))
    )
    assert len(_failures("gcp-prod", source, "model-slo-alerts")) == 2
    other_ns = mutated_resources(
        resources,
        _model_rule("qwen-chat"),
        _alerts(
            "qwen-chat", _expr('destination_workload_namespace="models"', 'destination_workload_namespace="default"')
        ),
    )
    found = _failures("gcp-prod", other_ns, "model-slo-alerts")
    assert found[0].endswith("istio_request_duration_milliseconds does not select namespace models")


def test_alert_naming_a_model_the_plan_lacks_fails() -> None:
    resources, _ = rules_plan("gcp-prod")
    mutated = mutated_resources(
        resources, _model_rule("qwen-chat"), _alerts("qwen-chat", lambda a: a["labels"].update(model="qwen"))
    )
    assert _failures("gcp-prod", mutated, "model-slo-alerts")[0] == (
        "PrometheusRule models/qwen-chat-alerts: alert ModelLatencyP95High of model qwen names a model the plan "
        "renders no InferenceService for"
    )


# ------------------------------------------------------------------------------------------------ urlScheme (18)


def _kserve(r: Resource) -> bool:
    return r.type.startswith("kubernetes:helm.sh/") and str(r.props.get("chart", "")).endswith("kserve-resources")


@pytest.mark.parametrize(
    ("scheme", "shown"), [("http", "'http'"), (None, "unset (KServe's default is http)"), ("htps", "'htps'")]
)
def test_kserve_url_scheme_https_behind_an_https_gateway(scheme: str | None, shown: str) -> None:
    resources, _ = rules_plan("gcp-prod")

    def change(props: dict[str, Any]) -> None:
        gateway = props["values"]["kserve"]["controller"]["gateway"]
        assert gateway["urlScheme"] == "https"
        if scheme is None:
            del gateway["urlScheme"]
        else:
            gateway["urlScheme"] = scheme

    mutated = mutated_resources(resources, _kserve, change, exactly=1)
    found = _failures("gcp-prod", mutated, "gateway-https-only")
    assert len(found) == 1
    assert found[0].startswith(
        f"KServe release mlplatform-kserve-resources: kserve.controller.gateway.urlScheme is {shown} "
    )
    assert found[0].endswith(
        "while the gateway serves HTTPS: every model's URL is published as http://, and a client following it sends "
        "its token in plain text before the redirect; set it to https"
    )


def test_url_scheme_https_in_any_case_passes_and_is_judged_only_behind_https() -> None:
    """A URL's scheme is case-insensitive (RFC 3986 section 3.1), so ``HTTPS`` passes; a plan with no HTTPS gateway
    (here: only the KServe release) is not held to https URLs."""
    resources, _ = rules_plan("gcp-prod")
    upper = mutated_resources(
        resources, _kserve, lambda p: p["values"]["kserve"]["controller"]["gateway"].update(urlScheme="HTTPS")
    )
    assert _failures("gcp-prod", upper, "gateway-https-only") == []
    plain = mutated_resources(
        resources, _kserve, lambda p: p["values"]["kserve"]["controller"]["gateway"].update(urlScheme="http")
    )
    alone = [r for r in plain if _kserve(r)]
    assert len(alone) == 1
    assert _failures("gcp-prod", alone, "gateway-https-only") == []


# ------------------------------------------------------------------------------------------------ monitors (21, 24)


def _prometheus(r: Resource) -> bool:
    return r.type.startswith("kubernetes:helm.sh/") and r.props.get("chart") == "kube-prometheus-stack"


def _spec(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda props: change(props["values"]["prometheus"]["prometheusSpec"])


def test_monitors_selected_passes_on_shipped_stacks() -> None:
    for stack in ("aws-dev", "gcp-prod", "azure-staging", "local"):
        resources, _ = rules_plan(stack)
        assert _failures(stack, resources, "monitors-selected") == [], stack


@pytest.mark.parametrize("value", [True, "unset"])
def test_pod_monitors_release_only_fail(value: bool | str) -> None:
    """rev17l 21: podMonitorSelectorNilUsesHelmValues true (or left at the chart's default, true) with no
    podMonitorSelector: Prometheus selects only PodMonitors labelled release=kube-prometheus-stack, none of ours."""
    resources, _ = rules_plan("gcp-prod")

    def change(spec: dict[str, Any]) -> None:
        assert spec["podMonitorSelectorNilUsesHelmValues"] is False
        if value == "unset":
            del spec["podMonitorSelectorNilUsesHelmValues"]
        else:
            spec["podMonitorSelectorNilUsesHelmValues"] = value

    found = _failures(
        "gcp-prod", mutated_resources(resources, _prometheus, _spec(change), exactly=1), "monitors-selected"
    )
    pods = [r for r in resources if r.type.endswith(":PodMonitor")]
    assert len(found) == len(pods) == 5
    # one message per PodMonitor; the plan's registration order is not fixed (CI of stop 30 met another), so by name
    assert (
        "PodMonitor models/qwen-chat-metrics is not selected by Prometheus of release kube-prometheus-stack "
        "(prometheusSpec.podMonitorSelectorNilUsesHelmValues is True with no podMonitorSelector: only objects "
        "labelled release=kube-prometheus-stack; it lacks matchLabels {'release': 'kube-prometheus-stack'}): what it "
        "declares is never scraped"
    ) in found


def test_rules_release_only_fail_and_a_release_label_passes() -> None:
    """rev17l 24: the same for PrometheusRules (the models' SLO alerts); objects labelled with the release pass."""
    resources, _ = rules_plan("gcp-prod")
    release_only = mutated_resources(
        resources, _prometheus, _spec(lambda s: s.update(ruleSelectorNilUsesHelmValues=True)), exactly=1
    )
    found = _failures("gcp-prod", release_only, "monitors-selected")
    assert len(found) == 4  # the platform's alert rules and the three models' SLO alerts
    assert all(m.startswith("PrometheusRule ") and m.endswith("never loaded, so its alerts never fire") for m in found)
    labelled = mutated_resources(
        release_only,
        lambda r: r.type.endswith(":PrometheusRule"),
        lambda p: p["metadata"]["labels"].update(release="kube-prometheus-stack"),
        exactly=4,
    )
    assert _failures("gcp-prod", labelled, "monitors-selected") == []


def test_a_given_selector_must_select_each_monitor() -> None:
    resources, _ = rules_plan("gcp-prod")
    chosen = mutated_resources(
        resources,
        _prometheus,
        _spec(lambda s: s.update(serviceMonitorSelector={"matchLabels": {"app.kubernetes.io/part-of": "mlplatform"}})),
        exactly=1,
    )
    assert _failures("gcp-prod", chosen, "monitors-selected") == []
    other = mutated_resources(
        resources,
        _prometheus,
        _spec(lambda s: s.update(serviceMonitorSelector={"matchLabels": {"team": "sre"}})),
        exactly=1,
    )
    found = _failures("gcp-prod", other, "monitors-selected")
    assert len(found) == 3  # istiod, kserve-controller, dcgm-exporter
    assert any(
        f.startswith("ServiceMonitor monitoring/istiod is not selected by Prometheus of release ") for f in found
    )


# ------------------------------------------------------------------------------------------- replicated add-ons (19)


def _vector(r: Resource) -> bool:
    return r.type.startswith("kubernetes:helm.sh/") and r.props.get("chart") == "vector"


@pytest.mark.parametrize(
    ("replicas", "budget", "fails"),
    [
        (
            2,
            {"enabled": True, "minAvailable": 1},
            False,
        ),  # what a prod stack renders (components/platform/requestlog.py)
        (2, {"enabled": False, "minAvailable": 1}, True),  # rev17l 19: the budget only above two replicas
        (2, None, True),  # no podDisruptionBudget values: the chart renders none
        (1, {"enabled": False, "minAvailable": 1}, False),  # one replica: a budget would block every drain
    ],
)
def test_replicated_request_log_collector_renders_its_budget(
    replicas: int, budget: dict[str, Any] | None, fails: bool
) -> None:
    from support import cover_plan

    resources, settings = cover_plan("cover-gcp-standard")

    def change(props: dict[str, Any]) -> None:
        props["values"]["replicas"] = replicas
        if budget is None:
            del props["values"]["podDisruptionBudget"]
        else:
            props["values"]["podDisruptionBudget"] = budget

    mutated = mutated_resources(resources, _vector, change, exactly=1)
    entries = run_rules(mutated, settings, rules=rules_named("pdb-protects-pods"))
    found = [e["message"] for e in entries if not e["passed"]]
    if not fails:
        assert found == []
    else:
        shown = "False" if budget is not None else "None"
        assert found == [
            f"Helm release vector (vector) runs 2 replicas with values podDisruptionBudget.enabled {shown}: no "
            "PodDisruptionBudget, so a drain may evict every replica at once; enable it (minAvailable 1)"
        ]


def test_any_replicated_values_with_a_disabled_budget_fail() -> None:
    """Beyond the charts named: a values map setting replicaCount 2 or more beside podDisruptionBudget.enabled false."""
    resources, settings = rules_plan("gcp-prod")
    kserve = mutated_resources(
        resources,
        lambda r: (
            r.type.startswith("kubernetes:helm.sh/") and str(r.props.get("chart", "")).endswith("kserve-resources")
        ),
        lambda p: p["values"]["kserve"]["controller"].update(replicaCount=3, podDisruptionBudget={"enabled": False}),
        exactly=1,
    )
    found = [
        e["message"] for e in run_rules(kserve, settings, rules=rules_named("pdb-protects-pods")) if not e["passed"]
    ]
    assert found == [
        "Helm release kserve (kserve-resources) runs 3 replicas with values "
        "kserve.controller.podDisruptionBudget.enabled false: no PodDisruptionBudget, so a drain may evict every "
        "replica at once; enable it (minAvailable 1)"
    ]


# ------------------------------------------------------------------------------------------------ GKE (09, 10)


@pytest.mark.parametrize(("value", "fails"), [(False, True), (None, True), (True, False)])
def test_gke_private_nodes_subnetwork_needs_private_google_access(value: bool | None, fails: bool) -> None:
    resources, settings = rules_plan("gcp-prod")

    def change(props: dict[str, Any]) -> None:
        assert props["privateIpGoogleAccess"] is True
        if value is None:
            del props["privateIpGoogleAccess"]  # the API's default: off
        else:
            props["privateIpGoogleAccess"] = value

    mutated = mutated_resources(resources, lambda r: r.type == "gcp:compute/subnetwork:Subnetwork", change, exactly=1)
    found = [
        e["message"] for e in run_rules(mutated, settings, rules=rules_named("cluster-hardening")) if not e["passed"]
    ]
    if fails:
        assert found == [
            f"GKE's private nodes' subnetwork mlplatform-subnet has privateIpGoogleAccess {value!r}: the nodes reach "
            "Google APIs (Artifact Registry, Cloud Storage) only through Cloud NAT; set it true"
        ]
    else:
        assert found == []


@pytest.mark.parametrize(("value", "fails"), [(False, True), (None, False), (True, False)])
def test_gke_node_pools_keep_integrity_monitoring(value: bool | None, fails: bool) -> None:
    resources, settings = rules_plan("gcp-prod")
    pools = [r for r in resources if r.type == "gcp:container/nodePool:NodePool"]

    def change(props: dict[str, Any]) -> None:
        shielded = props["nodeConfig"]["shieldedInstanceConfig"]
        assert shielded["enableIntegrityMonitoring"] is True
        if value is None:
            del shielded["enableIntegrityMonitoring"]  # pulumi_gcp: "Defaults to `true`"
        else:
            shielded["enableIntegrityMonitoring"] = value

    mutated = mutated_resources(
        resources, lambda r: r.type == "gcp:container/nodePool:NodePool", change, exactly=len(pools)
    )
    found = [
        e["message"] for e in run_rules(mutated, settings, rules=rules_named("cluster-hardening")) if not e["passed"]
    ]
    assert len(found) == (len(pools) if fails else 0)
    if fails:
        assert found[0] == (
            "GKE node pool without integrity monitoring: nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring "
            "is false, so a changed boot chain is never reported"
        )


# ------------------------------------------------------------------------------------------------ AKS (16)


@pytest.mark.parametrize(("value", "fails"), [(False, True), (None, True), (True, False)])
def test_aks_image_cleaner_stays_on(value: bool | None, fails: bool) -> None:
    resources, settings = rules_plan("azure-staging")

    def change(props: dict[str, Any]) -> None:
        cleaner = props["securityProfile"]["imageCleaner"]
        assert cleaner["enabled"] is True
        if value is None:
            del props["securityProfile"]["imageCleaner"]
        else:
            cleaner["enabled"] = value

    mutated = mutated_resources(
        resources, lambda r: r.type == "azure-native:containerservice:ManagedCluster", change, exactly=1
    )
    found = [
        e["message"] for e in run_rules(mutated, settings, rules=rules_named("cluster-hardening")) if not e["passed"]
    ]
    assert found == (
        [
            f"AKS Image Cleaner is off (securityProfile.imageCleaner.enabled is {value!r}): unused images, vulnerable "
            "ones included, stay on the nodes"
        ]
        if fails
        else []
    )
