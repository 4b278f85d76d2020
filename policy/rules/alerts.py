"""The models' SLO alerts fire when the promise says they do (rev17l 26, 29, 30; issue #17).

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
