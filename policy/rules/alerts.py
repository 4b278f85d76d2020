"""Monitoring that does what the docs promise: the models' SLO alerts fire when they should (rev17l 26, 29, 30), and
Prometheus selects every monitor and rule the platform renders (rev17l 21, 24; issue #17).

docs/components/model-service.md ("SLOs") promises, for a model with ``slo.latencyP95Ms`` or ``slo.errorRatePercent``,
alerts that read the Istio sidecar's metrics of the model's own pods (reporter ``destination``, workload
``<name>-predictor...``) "the same in both modes", count every 5xx as an error, and are ``critical`` on prod stacks
(the severity the platform's Alertmanager routes to the pager: components/platform/monitoring.py). A slip in any of
these leaves a PrometheusRule that plans, loads and never fires (or never pages). ``model-slo-alerts`` judges every
rendered PrometheusRule alert that names a model (label ``model``) against that model's InferenceService:

- each Istio selector of its expression keeps ``reporter="destination"``, names the model's namespace, and its
  ``destination_workload`` matcher admits the workload the model's deployment mode runs and no other model's of that
  namespace (Prometheus matchers are fully anchored: prometheus.io/docs/prometheus/latest/querying/basics, "Regex
  matches are fully anchored", as Cloudflare's pint restates in its promql/regexp check);
- a selector with a ``response_code`` matcher selects exactly the codes 500-599 (Istio's ``response_code`` label is
  the HTTP status code: istio.io/latest/docs/reference/config/metrics, "Response Code");
- on a prod stack the alert's ``severity`` label is ``critical``.

The workload names are restated here, from the upstream sources, not imported from the rendering
(components/serving/_monitoring.py), so a slip there cannot move the rule with it:

- Knative mode: KServe names the predictor's Knative Service ``<name>-predictor`` (kserve/kserve v0.20.0
  pkg/constants/constants.go ``PredictorServiceName``); Knative names each Revision ``<configuration>-<generation as
  %05d>`` (knative/serving knative-v1.21.3 pkg/reconciler/configuration/resources/revision.go line 42,
  ``kmeta.ChildName(configuration.Name, fmt.Sprintf("-%05d", configuration.Generation))``) and its Deployment
  ``<revision>-deployment`` (pkg/reconciler/revision/resources/names/names.go ``Deployment``);
- Standard mode: the predictor's Deployment is ``<name>-predictor`` (the same ``PredictorServiceName``).

Istio's ``destination_workload`` is that Deployment's name (istio.io metrics reference, "Destination Workload: the name
of destination workload").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map, is_k8s, reading
from policy.rules.models import ISVC, deployment_mode, platform_mode

PROMETHEUS_RULE = "PrometheusRule"
HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
PAGING_SEVERITY = "critical"
"""The severity a prod model's SLO alert carries (docs/components/model-service.md, "SLOs": "Severity is `critical`
on prod stacks"): the one the platform's Alertmanager sends to the pager."""
ISTIO_METRICS = ("istio_requests_total", "istio_request_duration_milliseconds")
ERROR_CODES = range(500, 600)
HTTP_CODES = range(100, 600)
KNATIVE_GENERATIONS = (1, 2, 10, 123, 99999, 100000)
"""Revision generations the Knative workload matcher must admit: Knative pads to five digits and writes more when
there are more (``%05d``)."""

_SELECTOR = re.compile(r"\b(" + "|".join(ISTIO_METRICS) + r")(?:_bucket|_sum|_count)?\s*\{")
_MATCHER = re.compile(r'\s*,?\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')


def workloads(name: str, mode: str) -> list[str]:
    """The Deployment names (Istio's ``destination_workload``) of model ``name``'s predictor pods in ``mode``."""
    if mode == "Standard":
        return [f"{name}-predictor"]
    return [f"{name}-predictor-{generation:05d}-deployment" for generation in KNATIVE_GENERATIONS]


def _unquote(text: str) -> str:
    """A PromQL double-quoted string's value (Go escapes: ``\\\\`` and ``\\"``; others kept as written)."""
    return re.sub(r"\\(.)", lambda m: m.group(1) if m.group(1) in '\\"' else m.group(0), text)


def _admits(op: str, value: str, label: str) -> bool | None:
    """Whether matcher ``op value`` admits ``label`` (a missing label reads as ""); None when the regex is not one
    Python's ``re`` reads (not judged)."""
    if op == "=":
        return label == value
    if op == "!=":
        return label != value
    try:
        hit = re.fullmatch(value, label) is not None
    except re.error:
        return None
    return hit if op == "=~" else not hit


def _selectors(expr: str) -> Iterator[tuple[str, dict[str, list[tuple[str, str]]]]]:
    """Each Istio metric selector of ``expr``: the metric and its matchers by label."""
    for start in _SELECTOR.finditer(expr):
        matchers: dict[str, list[tuple[str, str]]] = {}
        at = start.end()
        while (m := _MATCHER.match(expr, at)) is not None:  # quoted values may hold "}" (a regex's {5})
            label, op, value = m.groups()
            matchers.setdefault(label, []).append((op, _unquote(value)))
            at = m.end()
        yield start.group(1), matchers


def _admitted(matchers: Mapping[str, list[tuple[str, str]]], label: str, value: str) -> bool | None:
    """Whether every matcher on ``label`` admits ``value`` (None: a regex not judged)."""
    verdicts = [_admits(op, v, value) for op, v in matchers.get(label, [])]
    if None in verdicts:
        return None
    return all(verdicts)


def _alert_problems(
    alert: Mapping[str, Any], name: str, namespace: str, mode: str, others: Sequence[str], facts: Facts
) -> Iterator[str]:
    expr = alert.get("expr")
    if isinstance(expr, str):
        selectors = list(_selectors(expr))
        if not selectors:
            yield "reads no Istio request metric of the model's pods"
        for metric, m in selectors:
            if _admitted(m, "reporter", "destination") is False or "reporter" not in m:
                yield f'{metric} is not limited to reporter="destination" (requests would count twice or not at all)'
            if _admitted(m, "destination_workload_namespace", namespace) is False:
                yield f"{metric} does not select namespace {namespace}"
            names = workloads(name, mode)
            missed = [w for w in names if _admitted(m, "destination_workload", w) is False]
            if "destination_workload" not in m or missed:
                shown = missed[0] if missed else names[0]
                yield (
                    f"{metric}'s destination_workload matcher does not admit {shown}, the workload of the model's "
                    f"pods in {mode} mode: the alert never fires"
                )
            foreign = [o for o in others if _admitted(m, "destination_workload", o) is True]
            if foreign and _admitted(m, "destination_workload_namespace", namespace) is not False:
                yield f"{metric}'s destination_workload matcher also admits {foreign[0]}, another model's workload"
            if "response_code" in m:
                codes = {c for c in HTTP_CODES if _admitted(m, "response_code", str(c))}
                if codes != set(ERROR_CODES):
                    left = sorted(set(ERROR_CODES) - codes)
                    extra = sorted(codes - set(ERROR_CODES))
                    what = f"leaves out {left[0]}" if left else f"counts {extra[0]}"
                    yield f"{metric}'s response_code matcher {what}: an error rate counts every 5xx and nothing else"
    severity = as_map(alert.get("labels")).get("severity")
    if facts.environment == "prod" and severity is not UNKNOWN and severity != PAGING_SEVERITY:
        yield f"is labelled severity {severity!r} on a prod stack: prod SLO alerts are {PAGING_SEVERITY} (they page)"


def _slo_alerts(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    models = {(r.namespace, r.k8s_name): r for r in resources if r.type == ISVC}
    if not models:
        return
    default = platform_mode(resources)
    for res in resources:
        if not is_k8s(res, PROMETHEUS_RULE):
            continue
        for group in as_list(res.get("spec.groups")):
            for alert in as_list(as_map(group).get("rules")):
                alert = as_map(alert)
                model = as_map(alert.get("labels")).get("model")
                if not isinstance(model, str) or "alert" not in alert:
                    continue
                isvc = models.get((res.namespace, model))
                where = f"PrometheusRule {res.namespace}/{res.k8s_name}: alert {alert.get('alert')} of model {model}"
                if isvc is None:
                    yield Finding(res.urn, f"{where} names a model the plan renders no InferenceService for")
                    continue
                mode = deployment_mode(isvc, default)
                others = sorted(
                    w
                    for (ns, other), o in models.items()
                    if ns == res.namespace and other != model
                    for w in workloads(other, deployment_mode(o, default))
                )
                for problem in dict.fromkeys(_alert_problems(alert, model, str(res.namespace), mode, others, facts)):
                    yield Finding(res.urn, f"{where} {problem}")


RULES: list[Rule] = [
    Rule(
        name="model-slo-alerts",
        description=(
            "Every model SLO alert (a PrometheusRule rule labelled model) reads the Istio request metrics of that "
            "model's own pods: reporter destination, the model's namespace, a destination_workload matcher that admits "
            "the Deployment of the model's deployment mode (Knative <name>-predictor-<%05d revision>-deployment, "
            "Standard <name>-predictor) and no other model's; a response_code matcher selects exactly 500-599; on prod "
            "the alert's severity is critical."
        ),
        enforcement="mandatory",
        area="models",
        applies_to=("monitoring.coreos.com PrometheusRule", "serving.kserve.io InferenceService"),
        check_stack=_slo_alerts,
        remediation=(
            'keep components/serving/_monitoring.py workload_regex, error_rate_expr (response_code=~"5..") and the '
            "prod severity"
        ),
        unknown=reading({PROMETHEUS_RULE: ("spec.groups.*",)}),
    )
]


# ------------------------------------------------------------------------------------------------ monitors selected

PROMETHEUS_CHART = "kube-prometheus-stack"
MONITOR_KINDS = {
    "ServiceMonitor": "serviceMonitor",
    "PodMonitor": "podMonitor",
    "PrometheusRule": "rule",
    "Probe": "probe",
}
"""Each monitoring object kind and the prefix of its ``prometheus.prometheusSpec`` selector values in the
kube-prometheus-stack chart (``<prefix>Selector``, ``<prefix>SelectorNilUsesHelmValues``, ``<prefix>NamespaceSelector``;
/work/shared/upstream/chart-values/kube-prometheus-stack-88.5.3.yaml)."""
NIL_USES_HELM_VALUES_DEFAULT = True
"""The chart's default of every ``<prefix>SelectorNilUsesHelmValues`` (kube-prometheus-stack 88.5.3 values.yaml:
``true``; "If true, a nil or {} value for prometheus.prometheusSpec.podMonitorSelector will cause the prometheus
resource to be created with selectors based on values in the helm deployment, which will also match the podmonitors
created": the chart's own objects, labelled ``release: <release name>``)."""
RELEASE_LABEL = "release"


def _selected(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> str | None:
    """Why ``selector`` (a LabelSelector; ``{}`` selects everything) does not select an object labelled ``labels``;
    None when it does or cannot be told offline. ``matchExpressions`` fail closed (the platform never renders one)."""
    if selector.get("matchExpressions"):
        return f"matchExpressions {selector.get('matchExpressions')!r} (not judged: the rule reads matchLabels only)"
    wanted = selector.get("matchLabels")
    if wanted is UNKNOWN:
        return None
    wrong = {k: v for k, v in as_map(wanted).items() if v is not UNKNOWN and labels.get(k) != v}
    return f"matchLabels {wrong}" if wrong else None


def _monitors_selected(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    releases = [
        r
        for r in resources
        if r.type in HELM_TYPES and str(r.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1] == PROMETHEUS_CHART
    ]
    for release in releases:
        spec = as_map(as_map(as_map(release.props.get("values")).get("prometheus")).get("prometheusSpec"))
        name = release.props.get("name", release.name)
        for kind, prefix in MONITOR_KINDS.items():
            given = spec.get(f"{prefix}Selector")
            nil_uses = spec.get(f"{prefix}SelectorNilUsesHelmValues", NIL_USES_HELM_VALUES_DEFAULT)
            if given is UNKNOWN or nil_uses is UNKNOWN or name is UNKNOWN:
                continue
            if as_map(given):
                selector, why = as_map(given), f"prometheusSpec.{prefix}Selector {dict(as_map(given))}"
            elif nil_uses is not False:
                selector = {"matchLabels": {RELEASE_LABEL: name}}
                why = (
                    f"prometheusSpec.{prefix}SelectorNilUsesHelmValues is {nil_uses!r} with no {prefix}Selector: "
                    f"only objects labelled {RELEASE_LABEL}={name}"
                )
            else:
                continue
            for res in resources:
                if not is_k8s(res, kind) or not res.type.startswith("kubernetes:monitoring.coreos.com"):
                    continue
                labels = res.metadata.get("labels")
                if labels is UNKNOWN:
                    continue
                missed = _selected(selector, as_map(labels))
                if missed:
                    yield Finding(
                        res.urn,
                        f"{kind} {res.namespace}/{res.k8s_name} is not selected by Prometheus of release {name} "
                        f"({why}; it lacks {missed}): what it declares is never "
                        + ("loaded, so its alerts never fire" if kind == "PrometheusRule" else "scraped"),
                    )


RULES.append(
    Rule(
        name="monitors-selected",
        description=(
            "Prometheus (the kube-prometheus-stack release) selects every ServiceMonitor, PodMonitor, PrometheusRule "
            "and Probe the platform renders: with an empty <kind>Selector, <kind>SelectorNilUsesHelmValues is false "
            "(the chart's default, true, selects only objects labelled release=<release>), and a given selector's "
            "matchLabels are on each object."
        ),
        enforcement="mandatory",
        area="monitoring",
        applies_to=(
            "helm.sh Release kube-prometheus-stack",
            "monitoring.coreos.com ServiceMonitor, PodMonitor, PrometheusRule, Probe",
        ),
        check_stack=_monitors_selected,
        remediation="keep components/platform/monitoring.py's four *SelectorNilUsesHelmValues: False",
        unknown=reading({t: ("values.prometheus.prometheusSpec",) for t in HELM_TYPES}),
    )
)
