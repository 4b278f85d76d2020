"""LLM autoscaling through KEDA (components/serving/llm_scaling.py), guarded from the rendered objects (the fifth
hostile review of issue #17, /work/wt/rev17e-report.md s06, s07, s08).

- ``llm-query-scoped``: KServe v0.20.0 hands an InferenceService's External ``prometheus`` metric to KEDA verbatim
  (pkg/controller/v1beta1/inferenceservice/reconcilers/keda/keda_reconciler.go ``getKedaMetrics``: the trigger's
  ``query`` is ``metric.External.Metric.Query``, its ``threshold`` the target's value), and KEDA's prometheus scaler
  runs the query as written against the shared Prometheus (keda.sh/docs/2.20/scalers/prometheus/). A query whose
  selectors do not pin the model's namespace and InferenceService sums the series of every same-named model (or of
  every model): another team's load scales this model's GPUs. So every vector selector of the query carries the exact
  matchers ``namespace="<the ISVC's namespace>"`` and ``inferenceservice="<its name>"`` (:data:`MODEL_LABEL`, the
  label the model's PodMonitor copies from the pod's ``serving.kserve.io/inferenceservice``), and no other matcher
  on those two labels (``!=``, ``=~``, ``!~`` would widen or shift the set). A query of ``vllm:kv_cache_usage_perc``
  has a threshold of at most 1: vLLM's gauge is a fraction ("KV-cache usage. 1 means 100 percent usage.",
  vllm-project/vllm vllm/v1/metrics/loggers.py ``PrometheusStatLogger``, the vLLM 0.24.0 that KServe v0.20.0's
  Hugging Face server pins, python/kserve/pyproject.toml ``llm = ["vllm==0.24.0"]``; read at commit 005a810b as
  components/serving/llm_scaling.py cites, the search tools not holding the v0.24.0 tag), so a threshold above 1 is
  never reached and the model never scales out.
- ``llm-scrape-merged-stats``: the vLLM gauges reach Prometheus only through Istio's metrics merging: the sidecar
  injector moves the pod's ``prometheus.io/port``/``prometheus.io/path`` annotations into pilot-agent, which serves
  Envoy's and the application's metrics together on its status port 15020, path ``/stats/prometheus`` (istio.io/
  latest/docs/ops/integrations/prometheus/, "Option 1: Metrics merging"; istio/istio 1.30.3 pkg/kube/inject/
  webhook.go ``applyPrometheusMerge`` and pilot/cmd/pilot-agent/status/server.go ``handleStats``, as
  llm_scaling.py cites); port 15090 is Envoy's own stats, with no ``vllm:`` series. For each KEDA-scaled model whose
  query reads a ``vllm:`` gauge, a PodMonitor in its namespace selecting its pods has an endpoint that keeps
  ``vllm:`` series, scrapes ``/stats/prometheus`` and rewrites ``__address__`` to port 15020 (the pod declares no
  15020 port: the prometheus-operator PodMonitor CRD's ``portNumber`` description says to relabel
  ``__address__``), and the predictor carries ``prometheus.io/scrape: "true"``, ``prometheus.io/port`` of the
  serving port (the model container's first declared port, else KServe's Hugging Face runtime's 8080:
  ``prometheus.kserve.io/port: "8080"`` in upstream/reference/kserve-v0.20.0-clusterservingruntimes.yaml) and
  ``prometheus.io/path: /metrics`` (KServe's model server, python/kserve/kserve/protocol/rest/server.py
  ``metrics_handler``), as components/serving/llm_scaling.py renders them. The rule keeps its own literals.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map, is_k8s, reading, who

ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
POD_MONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor"
AUTOSCALER_CLASS = "serving.kserve.io/autoscalerClass"
KEDA = "keda"
COMPONENTS = ("predictor", "transformer", "explainer")
MODEL_LABEL = "inferenceservice"
"""The series label the model's PodMonitor writes (components/serving/llm_scaling.py ``MODEL_LABEL``, restated)."""
POD_LABEL = "serving.kserve.io/inferenceservice"
"""The label on an InferenceService's pods that the model's PodMonitor selects and relabels (llm_scaling.py)."""
FRACTION_METRICS = ("vllm:kv_cache_usage_perc",)
"""vLLM gauges that are fractions (1 = 100 percent): a threshold above 1 is never reached."""
VLLM_PREFIX = "vllm:"
MERGED_PORT = "15020"
MERGED_PATH = "/stats/prometheus"
APP_PATH = "/metrics"
DEFAULT_APP_PORT = "8080"
"""KServe's Hugging Face server's HTTP port, where it serves ``/metrics`` (module docstring)."""


# ------------------------------------------------------------------------------------------------ PromQL selectors


@dataclass(frozen=True)
class Matcher:
    """One label matcher of a vector selector: ``label op "value"``."""

    label: str
    op: str
    value: str


@dataclass(frozen=True)
class Selector:
    """One vector selector of a PromQL query: its metric name ("" for ``{...}`` alone) and its matchers."""

    metric: str
    matchers: tuple[Matcher, ...]


_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*')
_GROUPING = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
_KEYWORDS = frozenset(
    {"and", "or", "unless", "offset", "bool", "atan2"}
    | {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk"}
    | {"quantile", "limitk", "limit_ratio"}
)
"""Binary operators, modifiers and aggregation operators (prometheus.io/docs/prometheus/latest/querying/operators/):
an aggregation may be followed by ``by (...)`` before its parenthesis, so its name is never a selector."""


class QueryError(ValueError):
    """A query the rule cannot read (the rule then fails closed)."""


def _skip_string(q: str, i: int) -> int:
    quote = q[i]
    i += 1
    while i < len(q) and q[i] != quote:
        i += 2 if q[i] == "\\" else 1
    if i >= len(q):
        raise QueryError("an unterminated string")
    return i + 1


def _matching(q: str, i: int, open_: str, close: str) -> int:
    """The index after the ``close`` that matches the ``open_`` at ``i`` (strings skipped)."""
    depth = 0
    while i < len(q):
        ch = q[i]
        if ch in "\"'`":
            i = _skip_string(q, i)
            continue
        if ch == open_:
            depth += 1
        elif ch == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise QueryError(f"an unbalanced {open_!r}")


def _matchers(body: str) -> tuple[Matcher, ...]:
    out: list[Matcher] = []
    rest = body.strip()
    while rest:
        m = _MATCHER.match(rest)
        if not m:
            raise QueryError(f"a label matcher it cannot read: {rest[:40]!r}")
        out.append(Matcher(m.group(1), m.group(2), m.group(3)))
        rest = rest[m.end() :]
        if rest.startswith(","):
            rest = rest[1:].strip()
        elif rest:
            raise QueryError(f"a label matcher it cannot read: {rest[:40]!r}")
    return tuple(out)


def selectors(query: str) -> list[Selector]:
    """Every vector selector of a PromQL ``query`` (metric names, ``name{...}``, ``{...}``), skipping function and
    aggregation names (an identifier followed by ``(``), grouping label lists (``by (...)``...), keywords, strings,
    numbers and range/subquery brackets. Raises :class:`QueryError` on a query it cannot read."""
    out: list[Selector] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch in "\"'`":
            i = _skip_string(query, i)
        elif ch == "[":
            i = _matching(query, i, "[", "]")
        elif ch == "{":
            end = _matching(query, i, "{", "}")
            found = _matchers(query[i + 1 : end - 1])
            name = next((m.value for m in found if m.label == "__name__" and m.op == "="), "")
            out.append(Selector(name, found))
            i = end
        elif ch.isdigit() or (ch == "." and i + 1 < n and query[i + 1].isdigit()):
            m = re.compile(r"[0-9.]+(e[+-]?[0-9]+)?[a-zA-Z]*").match(query, i)
            i = m.end() if m else i + 1
        elif _IDENT.match(query, i):
            m = _IDENT.match(query, i)
            assert m is not None
            word, j = m.group(0), m.end()
            while j < n and query[j].isspace():
                j += 1
            if word in _GROUPING and j < n and query[j] == "(":
                i = _matching(query, j, "(", ")")
            elif (j < n and query[j] == "(") or word.lower() in _KEYWORDS:
                i = m.end()
            elif j < n and query[j] == "{":
                end = _matching(query, j, "{", "}")
                out.append(Selector(word, _matchers(query[j + 1 : end - 1])))
                i = end
            else:
                out.append(Selector(word, ()))
                i = m.end()
        else:
            i += 1
    return out


# ------------------------------------------------------------------------------------------------ the queries


@dataclass(frozen=True)
class KedaQuery:
    """One External prometheus metric of a KEDA-scaled InferenceService component."""

    component: str
    query: Any
    target: Any
    server: Any = None


def keda_queries(res: Resource) -> Iterator[KedaQuery]:
    """The External ``prometheus`` metrics of an InferenceService whose autoscaler class is KEDA (every component)."""
    if not is_k8s(res, "InferenceService"):
        return
    if as_map(res.metadata.get("annotations")).get(AUTOSCALER_CLASS) != KEDA:
        return
    for component in COMPONENTS:
        spec = res.get(f"spec.{component}")
        if not isinstance(spec, Mapping):
            continue
        for metric in as_list(as_map(spec.get("autoScaling")).get("metrics")):
            metric = as_map(metric)
            if metric.get("type") != "External":
                continue
            ext = as_map(metric.get("external"))
            if as_map(ext.get("metric")).get("backend") != "prometheus":
                continue
            target = as_map(ext.get("target"))
            value = target.get("value", target.get("averageValue"))
            metric_spec = as_map(ext.get("metric"))
            yield KedaQuery(component, metric_spec.get("query"), value, metric_spec.get("serverAddress"))


_SUFFIX = {"m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 1024.0, "Mi": 1024.0**2, "Gi": 1024.0**3}


def quantity(value: Any) -> float | None:
    """A Kubernetes quantity (``0.8``, ``800m``, ``1``) as a number, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    m = re.fullmatch(r"\s*([+-]?[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi)?\s*", str(value))
    if not m:
        return None
    return float(m.group(1)) * _SUFFIX[m.group(2) or ""]


def query_problems(query: str, namespace: str, name: str) -> list[str]:
    """Why ``query`` does not read only model ``namespace/name``'s series (empty when it does)."""
    try:
        found = selectors(query)
    except QueryError as e:
        return [f"its query {query!r} has {e}: the rule cannot tell which series it reads"]
    if not found:
        return [f"its query {query!r} selects no series"]
    out: list[str] = []
    for sel in found:
        shown = sel.metric or "{...}"
        for label, want in (("namespace", namespace), (MODEL_LABEL, name)):
            on = [m for m in sel.matchers if m.label == label]
            if not any(m.op == "=" and m.value == want for m in on):
                out.append(f'its query selects {shown} without {label}="{want}": it reads other models\' series')
            wide = [f'{m.label}{m.op}"{m.value}"' for m in on if not (m.op == "=" and m.value == want)]
            if wide:
                out.append(f"its query selects {shown} with {', '.join(wide)}: only the exact {label} matcher is read")
    return out


def _scoped(res: Resource, facts: Facts) -> Iterator[str]:
    for q in keda_queries(res):
        if q.query is UNKNOWN:
            continue
        where = f"{who(res)} spec.{q.component}.autoScaling (KEDA)"
        ns, name = res.namespace or "", res.k8s_name
        if not isinstance(q.query, str) or not q.query.strip():
            yield f"{where}: no query (KServe's webhook requires one)"
            continue
        for problem in query_problems(q.query, ns, name):
            yield f"{where}: {problem}"
        try:
            metrics = {s.metric for s in selectors(q.query)}
        except QueryError:
            continue
        fractions = sorted(metrics.intersection(FRACTION_METRICS))
        if fractions and q.target is not UNKNOWN:
            value = quantity(q.target)
            if value is None or value > 1:
                yield (
                    f"{where}: threshold {q.target!r} on {fractions[0]}, a fraction (1 = 100 percent): never "
                    "reached, the model never scales out (give the percent / 100)"
                )


HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
PROMETHEUS_CHART = "kube-prometheus-stack"
PROMETHEUS_PORT = 9090
"""KEDA's prometheus scaler queries the trigger's ``serverAddress`` as written (keda.sh/docs/2.20/scalers/prometheus/,
``serverAddress``: "Address of Prometheus server"), and KServe copies the metric's ``serverAddress`` into the trigger
(keda_reconciler.go ``getKedaMetrics``). The platform's Prometheus is the kube-prometheus-stack release's: Service
``<release>-prometheus`` (kube-prometheus-stack 88.5.3 templates/prometheus/service.yaml, as
components/serving/llm_scaling.py ``prometheus_url`` cites; the chart's fullname is the release name when it holds
the chart's name, the only case judged here) in the release's namespace, port ``prometheus.service.port`` (default
9090) and plain HTTP unless ``prometheus.prometheusSpec.web.tlsConfig`` is given (chart values
``prometheus.prometheusSpec.web: {}``, "WebTLSConfig defines the TLS parameters for HTTPS",
/work/shared/upstream/chart-values/kube-prometheus-stack-88.5.3.yaml). A trigger asking https of an HTTP server, or
another host or port, fails every query: the model stays at minReplicas under load (rev17m 28)."""


def prometheus_servers(resources: Sequence[Resource]) -> list[tuple[str, str, int]] | None:
    """(scheme, host, port) of each kube-prometheus-stack release's Prometheus (the host as ``<svc>.<ns>.svc``), or
    None when a release's address cannot be told (unknown values, another release name)."""
    out: list[tuple[str, str, int]] = []
    for res in resources:
        if res.type not in HELM_TYPES or not str(res.props.get("chart", "")).rstrip("/").endswith(PROMETHEUS_CHART):
            continue
        name, namespace = res.props.get("name"), res.props.get("namespace")
        prometheus = as_map(as_map(res.props.get("values")).get("prometheus"))
        port = as_map(prometheus.get("service")).get("port", PROMETHEUS_PORT)
        tls = as_map(as_map(prometheus.get("prometheusSpec")).get("web")).get("tlsConfig")
        if not (isinstance(name, str) and PROMETHEUS_CHART in name and isinstance(namespace, str)):
            return None
        if not isinstance(port, int) or tls is UNKNOWN:
            return None
        out.append(("https" if tls else "http", f"{name}-prometheus.{namespace}.svc", port))
    return out


def _server_problem(address: object, servers: Sequence[tuple[str, str, int]]) -> str | None:
    """Why a KEDA trigger's ``serverAddress`` is not one of ``servers``' URLs (scheme, host and port), or None."""
    from urllib.parse import urlsplit

    if not isinstance(address, str):
        return f"serverAddress {address!r} is not a URL"
    url = urlsplit(address.strip())
    scheme = url.scheme.lower()  # a URL's scheme and host are case-insensitive (RFC 3986 3.1, 3.2.2)
    host = (url.hostname or "").rstrip(".").removesuffix(".cluster.local")
    try:
        port = url.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        port = None
    if (scheme, host, port) in servers:
        return None
    shown = ", ".join(f"{s}://{h}:{p}" for s, h, p in servers)
    same_host = [(s, p) for s, h, p in servers if h == host and p == port]
    if same_host:
        return (
            f"serverAddress {address!r} asks {scheme} of the platform's Prometheus, which serves {same_host[0][0]} "
            f"({shown}): every query fails and the model stays at minReplicas"
        )
    return (
        f"serverAddress {address!r} is not the platform's Prometheus ({shown}): every query fails and the model "
        "stays at minReplicas"
    )


def _server_addresses(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    servers = prometheus_servers(resources)
    if not servers:
        return
    for res in resources:
        for q in keda_queries(res):
            if q.server is None or q.server is UNKNOWN:
                continue
            problem = _server_problem(q.server, servers)
            if problem:
                yield Finding(res.urn, f"{who(res)} spec.{q.component}.autoScaling (KEDA): {problem}")


def _scoped_unknown(res: Resource) -> str | None:
    if res.type in HELM_TYPES and str(res.props.get("chart", "")).rstrip("/").endswith(PROMETHEUS_CHART):
        return reading({res.type: ("values.prometheus.service", "values.prometheus.prometheusSpec.web")})(res)
    for q in keda_queries(res):
        if q.query is UNKNOWN or q.target is UNKNOWN or q.server is UNKNOWN:
            return f"{who(res)} spec.{q.component}.autoScaling.metrics"
    return None


# ------------------------------------------------------------------------------------------------ the scrape


def _reads_vllm(res: Resource) -> bool:
    for q in keda_queries(res):
        if not isinstance(q.query, str):
            continue
        try:
            if any(s.metric.startswith(VLLM_PREFIX) for s in selectors(q.query)):
                return True
        except QueryError:
            return VLLM_PREFIX in q.query
    return False


def _keeps_vllm(endpoint: Mapping[str, Any]) -> bool:
    for r in as_list(endpoint.get("metricRelabelings")):
        r = as_map(r)
        if str(r.get("action", "replace")).lower() != "keep":
            continue
        regex = r.get("regex")
        if isinstance(regex, str) and re.fullmatch(regex, "vllm:num_requests_waiting"):
            return True
    return False


# Prometheus relabelling as Prometheus v3.14.0 (kube-prometheus-stack 88.5.3's ``prometheus.prometheusSpec.image``
# tag, /work/shared/upstream/chart-values/kube-prometheus-stack-88.5.3.yaml) runs it: prometheus/prometheus
# model/relabel/relabel.go at tag v3.14.0: ``DefaultRelabelConfig`` = action replace, separator ";", regex "(.*)",
# replacement "$1"; ``NewRegexp`` anchors every regex as "^(?s:" + s + ")$" (``.`` matches a newline; Go's ``$``
# without the m flag is the end of the text, Python's ``\Z``); ``ProcessBuilder`` applies the configs "in order of
# input", the first keep/drop that rejects ends the target; replace joins the source labels' values (absent = "")
# with the separator, does nothing when the regex does not match, else expands target label and replacement with the
# match, skips a target name its ``NameValidationScheme`` refuses, and an empty result deletes the label; labelmap
# copies every label whose NAME matches to the expanded replacement. The scheme is the scrape config's
# ``metric_name_validation_scheme``, "utf8" unless set (config/config.go ``DefaultGlobalConfig``); prometheus-operator
# writes it only when the Prometheus or PodMonitor sets ``nameValidationScheme`` (v0.93.0 pkg/prometheus/promcfg.go
# ``appendNameValidationScheme``) and the platform sets neither, so a target name is valid when it is non-empty UTF-8
# (prometheus/common model ``ValidationScheme.IsValidLabelName``, UTF8Validation). The prometheus-operator PodMonitor
# field names are the camelCase of relabel_config's (sourceLabels, targetLabel; the CRD in
# /work/shared/upstream/crd-schemas/monitoring.coreos.com). Actions the model does not know fail closed.
RELABEL_DEFAULTS = {"action": "replace", "separator": ";", "regex": "(.*)", "replacement": "$1"}
SAMPLE_ADDRESS = "10.0.0.1:8080"
SAMPLE_IP = SAMPLE_ADDRESS.rsplit(":", 1)[0]


def sanitize_label_name(name: str) -> str:
    """A Kubernetes label or annotation name as Prometheus's Kubernetes discovery writes it into a meta label's name:
    every character outside ``[a-zA-Z0-9_]`` becomes ``_`` (prometheus/prometheus v3.14.0 util/strutil/strconv.go
    ``SanitizeLabelName``, ``invalidLabelCharRE``; called by discovery/kubernetes/kubernetes.go
    ``addObjectAnnotationsAndLabels`` for every pod label, also under UTF-8 name validation)."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


MODEL_POD_LABEL = "serving.kserve.io/inferenceservice"
"""The label KServe puts on every pod of an InferenceService (the model's name as value)."""
POD_LABEL_META = "__meta_kubernetes_pod_label_" + sanitize_label_name(MODEL_POD_LABEL)
POD_LABELPRESENT_META = "__meta_kubernetes_pod_labelpresent_" + sanitize_label_name(MODEL_POD_LABEL)
"""The pod-role meta labels Prometheus's Kubernetes discovery sets for :data:`MODEL_POD_LABEL` (its value, and
``"true"`` for its presence): ``metaLabelPrefix + "pod" + "_label_" + SanitizeLabelName(k)`` and ``..._labelpresent_``
(prometheus/prometheus v3.14.0 discovery/kubernetes/kubernetes.go ``addObjectAnnotationsAndLabels``, pod.go
``podLabels``; prometheus.io/docs/prometheus/latest/configuration/configuration/#kubernetes_sd_config, role pod)."""
_EXPAND = re.compile(r"\$(?:\$|\{(\w+)\}|(\w+))")


class RelabelError(ValueError):
    """A relabelling the rule cannot evaluate (the rule then fails closed)."""


def _expand(template: str, match: re.Match[str]) -> str:
    """Go's ``Regexp.ExpandString``: ``$1``/``${1}``/``${name}`` become the group (absent = ""), ``$$`` a ``$``;
    ``$name`` takes the longest run of letters, digits and ``_`` (so ``$1x`` is the group named ``1x``: empty)."""

    def group(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name is None:
            return "$"
        if name.isdigit():
            index = int(name)
            return (match.group(index) or "") if index <= (match.re.groups or 0) else ""
        return (match.groupdict().get(name) or "") if name in match.re.groupindex else ""

    return _EXPAND.sub(group, template)


def _valid_utf8_name(name: str) -> bool:
    """prometheus/common ``UTF8Validation.IsValidLabelName``: non-empty and valid UTF-8 (a lone surrogate is not)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return name != ""


def relabel(labels: Mapping[str, str], configs: Sequence[Any]) -> dict[str, str] | None:
    """``labels`` after the PodMonitor ``configs`` (relabelings), or None when a keep/drop drops the target."""
    out = dict(labels)
    for raw in configs:
        cfg = {**RELABEL_DEFAULTS, **{k: v for k, v in as_map(raw).items() if v is not None}}
        action = str(cfg["action"]).lower()
        try:
            regex = re.compile(f"^(?s:{cfg['regex']})\\Z")
        except re.error as e:
            raise RelabelError(f"regex {cfg['regex']!r} does not compile ({e})") from None
        value = str(cfg["separator"]).join(out.get(str(s), "") for s in as_list(cfg.get("sourceLabels")))
        target, replacement = str(cfg.get("targetLabel", "")), str(cfg["replacement"])
        if action == "keep":
            if not regex.match(value):
                return None
        elif action == "drop":
            if regex.match(value):
                return None
        elif action == "replace":
            m = regex.match(value)
            if m is None:
                continue
            name = _expand(target, m)
            if not _valid_utf8_name(name):
                continue
            result = _expand(replacement, m)
            if result:
                out[name] = result
            else:
                out.pop(name, None)
        elif action == "labelmap":
            for key, val in list(out.items()):
                m = regex.match(key)
                if m is not None:
                    out[_expand(replacement, m)] = val
        else:
            raise RelabelError(f"action {action!r} the rule does not model")
    return out


POD_PORTS = {"http-envoy-prom": "15090"}
"""The named container ports a model pod declares that a PodMonitor endpoint may name, by number: the Istio sidecar's
``http-envoy-prom`` on 15090, the only port its injector declares (istio/istio 1.30.3
manifests/charts/istio-control/istio-discovery/files/injection-template.yaml, ``istio-proxy`` ``ports``; cited by
components/serving/llm_scaling.py). Restated: the rule does not read the rendering's constant."""
PORT_NAME_META = "__meta_kubernetes_pod_container_port_name"
PORT_NUMBER_META = "__meta_kubernetes_pod_container_port_number"
"""Prometheus's pod role makes one target per declared container port, ``__address__`` = the pod IP and that port,
with these meta labels (prometheus.io/docs/prometheus/latest/configuration/configuration/#kubernetes_sd_config, role
pod; discovery/kubernetes/pod.go)."""


def sample_target(name: str, port: str = "8080", port_name: str = "") -> dict[str, str]:
    """The discovered labels of one of model ``name``'s pods on its container port ``port`` (named ``port_name``):
    the target Prometheus's pod role makes for it, ``__address__`` the pod IP (:data:`SAMPLE_IP`) and that port."""
    out = {"__address__": f"{SAMPLE_IP}:{port}", POD_LABEL_META: name, POD_LABELPRESENT_META: "true"}
    if port_name:
        out |= {PORT_NAME_META: port_name, PORT_NUMBER_META: port}
    return out


def endpoint_port(endpoint: Mapping[str, Any]) -> tuple[str, str] | str:
    """(number, name) of the declared container port a PodMonitor endpoint scrapes, or why the rule cannot tell. The
    prometheus-operator CRD (upstream/crd-schemas/monitoring.coreos.com/podmonitor_v1.json): ``port`` is a port NAME
    and "takes precedence over the ``portNumber`` and ``targetPort`` fields"; ``portNumber`` selects the target whose
    ``__meta_kubernetes_pod_container_port_number`` matches; ``targetPort`` (deprecated) is a name or a number. A name
    the pod does not declare finds no target ("it will result in no targets being discovered")."""
    for key in ("port", "portNumber", "targetPort"):
        value = endpoint.get(key)
        if value in (None, ""):
            continue
        if (isinstance(value, int) and not isinstance(value, bool)) or str(value).isdigit():
            number = str(value)
            names = [n for n, p in POD_PORTS.items() if p == number]
            return number, names[0] if names else ""
        if str(value) in POD_PORTS:
            return POD_PORTS[str(value)], str(value)
        return f"{key} {value!r} names no port a model pod declares (known: {sorted(POD_PORTS)}): no target"
    return "names no port (port, portNumber or targetPort): the rule cannot tell which target it scrapes"


def _endpoint_problems(endpoint: Mapping[str, Any], name: str) -> list[str]:
    out: list[str] = []
    if endpoint.get("path") != MERGED_PATH:
        out.append(f"scrapes path {endpoint.get('path')!r}, not pilot-agent's merged {MERGED_PATH}")
    configs = as_list(endpoint.get("relabelings"))
    if not any(as_map(r).get("targetLabel") == "__address__" for r in configs):
        out.append(
            f"no __address__ relabeling: it targets the pod's declared port, not port {MERGED_PORT} (pilot-agent's "
            "merged metrics; 15090 is Envoy's own, without vllm: series)"
        )
        return out
    port = endpoint_port(endpoint)
    if isinstance(port, str):
        return [*out, port]
    target = sample_target(name, *port)
    try:
        got = relabel(target, configs)
    except RelabelError as e:
        return [*out, f"its relabelings have {e}: the rule cannot tell which target it scrapes"]
    if got is None:
        return [*out, f"its relabelings drop the pod's target {target}: nothing is scraped"]
    want = f"{SAMPLE_IP}:{MERGED_PORT}"
    if got.get("__address__") != want:
        out.append(
            f"targets {got.get('__address__')!r} for a pod at {target['__address__']}, not {want!r}: not port "
            f"{MERGED_PORT} (pilot-agent's merged metrics; 15090 is Envoy's own, without vllm: series)"
        )
    if got.get(MODEL_LABEL) != name:
        out.append(
            f"labels the series {MODEL_LABEL}={got.get(MODEL_LABEL)!r}, not {name!r}: the scaler's query "
            f'{{{MODEL_LABEL}="{name}"}} reads nothing'
        )
    return out


def _serving_port(isvc: Resource) -> str:
    predictor = as_map(isvc.get("spec.predictor"))
    for key in ("model", "containers"):
        container = predictor.get(key)
        container = as_map(as_list(container)[0]) if isinstance(container, list) and container else as_map(container)
        ports = as_list(container.get("ports"))
        if ports:
            return str(as_map(ports[0]).get("containerPort", DEFAULT_APP_PORT))
    return DEFAULT_APP_PORT


def _scrape(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    monitors = [r for r in resources if r.type == POD_MONITOR]
    for res in resources:
        if not is_k8s(res, "InferenceService") or not _reads_vllm(res):
            continue
        ns, name = res.namespace, res.k8s_name
        where = f"{who(res)} (KEDA on vLLM's gauges)"
        annotations = res.get("spec.predictor.annotations")
        if annotations is not UNKNOWN:
            annotations = as_map(annotations)
            want = {
                "prometheus.io/scrape": "true",
                "prometheus.io/port": _serving_port(res),
                "prometheus.io/path": APP_PATH,
            }
            for key, value in want.items():
                got = annotations.get(key)
                if got is not UNKNOWN and got != value:
                    yield Finding(
                        res.urn,
                        f"{where}: spec.predictor.annotations {key} is {got!r}, not {value!r}: Istio's metrics "
                        "merging does not read vLLM's gauges from the serving port",
                    )
        endpoints: list[tuple[Resource, Mapping[str, Any]]] = []
        for mon in monitors:
            if mon.namespace != ns:
                continue
            labels = mon.get("spec.selector.matchLabels")
            if labels is UNKNOWN or as_map(labels).get(POD_LABEL) not in (name, UNKNOWN):
                continue
            for ep in as_list(mon.get("spec.podMetricsEndpoints")):
                if isinstance(ep, Mapping) and _keeps_vllm(ep):
                    endpoints.append((mon, ep))
        if not endpoints:
            yield Finding(
                res.urn,
                f"{where}: no PodMonitor in {ns} selecting its pods keeps vllm: series: the scaler's query reads "
                "nothing and the model never scales out",
            )
            continue
        for mon, ep in endpoints:
            for problem in _endpoint_problems(ep, name):
                yield Finding(mon.urn, f"PodMonitor {ns}/{mon.k8s_name} (vLLM gauges of {name}): {problem}")


_SCRAPE_READS = reading(
    {
        ISVC: ("spec.predictor.annotations.*", "spec.predictor.model.ports", "spec.predictor.containers"),
        POD_MONITOR: ("spec.selector.matchLabels.*", "spec.podMetricsEndpoints"),
    }
)


def _scrape_unknown(res: Resource) -> str | None:
    """What ``llm-scrape-merged-stats`` reads and could not judge: a KEDA-on-vLLM model's predictor annotations and
    serving port, and every PodMonitor's selector and endpoints (any of them may be the one that scrapes it)."""
    if res.type == ISVC and not _reads_vllm(res):
        return None
    return _SCRAPE_READS(res)


RULES = [
    Rule(
        name="llm-query-scoped",
        description=(
            "Every KEDA-scaled InferenceService's Prometheus query pins its own series (exact namespace= and "
            "inferenceservice= matchers in every selector, no !=, =~ or !~ on them), and a query of "
            "vllm:kv_cache_usage_perc (a fraction) has a threshold of at most 1; its serverAddress is the platform's "
            "Prometheus (the kube-prometheus-stack Service <release>-prometheus.<namespace>.svc, its port, http "
            "unless the release gives web.tlsConfig)."
        ),
        enforcement="mandatory",
        area="models",
        applies_to=(ISVC, "kube-prometheus-stack Helm release"),
        check_resource=_scoped,
        check_stack=_server_addresses,
        remediation="Keep components/serving/llm_scaling.py query() and threshold() as shipped.",
        unknown=_scoped_unknown,
    ),
    Rule(
        name="llm-scrape-merged-stats",
        description=(
            "Each InferenceService scaled through KEDA on a vLLM gauge has a PodMonitor endpoint keeping vllm: series "
            "that scrapes Istio's merged metrics (port 15020, /stats/prometheus), and its predictor carries the "
            "prometheus.io/scrape, port (the serving port) and path (/metrics) annotations Istio merges."
        ),
        enforcement="mandatory",
        area="monitoring",
        applies_to=(ISVC, POD_MONITOR),
        check_stack=_scrape,
        remediation="Keep components/serving/llm_scaling.py pod_monitor_endpoint() and SCRAPE_ANNOTATIONS as shipped.",
        unknown=_scrape_unknown,
    ),
]
