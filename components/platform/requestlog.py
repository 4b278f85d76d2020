"""Request logging: a Vector collector that receives KServe's logger events and writes them to the stack's store.

Why a collector and not KServe's own blob store: KServe v0.20.0's agent can write batches to a bucket itself
(pkg/logger/store.go, ``logger.storage``), but then every model's pod needs write access to the log bucket, and the
store path comes from the cluster-wide ``logger`` config (pkg/webhook/admission/pod/agent_injector.go, ``Store``).
With a collector the models keep read-only identities and only one ServiceAccount can write, under one prefix.

What arrives (kserve/kserve v0.20.0): for each request (and/or response, ``logger.mode``) the agent beside the model
sends a CloudEvent in binary mode (pkg/logger/worker.go ``sendHttpCloudEvent``: ``cloudevents.WithEncodingBinary``)
to the predictor's ``logger.url``: the payload as the body, and as ``ce-`` headers (the CloudEvents HTTP binding's
binary mode puts each attribute in a ``ce-<name>`` header) ``id`` (the request id: the incoming ``Ce-Id`` header, or
a new UUID: pkg/logger/handler.go ``getOrCreateID``), ``type`` (``org.kubeflow.serving.inference.request`` or
``.response``), ``source``, ``time``, and the extensions ``inferenceservicename``, ``namespace``, ``component``,
``endpoint``, ``metadata``, ``annotations`` (worker.go ``InferenceServiceAttr`` ... ``AnnotationAttr``). The
annotations carry the model version (:data:`components.serving.logger_spec.VERSION_ANNOTATION`), the metadata the
call's ``X-Request-Id`` (:data:`components.serving.logger_spec.REQUEST_ID_HEADER`).

The collector (Vector, chart pinned in components/versions.py; its options read in vectordotdev/vector v0.56.0
website/cue/reference/components/): an ``http_server`` source that keeps the body as bytes and copies those headers
into fields (sources/generated/http_server.cue ``headers``: a listed header becomes a field of its own name,
src/sources/util/http/headers.rs ``add_headers``), a ``remap`` transform that makes one record per event (request
id, the call's x-request-id, type, time, namespace, model, version, component, endpoint, content type, payload), and
a sink the cluster gives (:meth:`KubernetesCluster.request_log_store`) writing newline-delimited JSON objects keyed
``<prefix>/<namespace>/<model>/<version>/date=<YYYY-MM-DD>/`` (the sinks' ``key_prefix`` template and
``filename_time_format``; the file sink's ``path`` template on a volume). The sinks' healthchecks are off: the
S3 one is a HeadBucket (s3:ListBucket), and the collector's identity may only write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi_kubernetes as k8s

from components.clusters.base import LogStore, LogStoreRequest
from components.naming import child_name, child_opts
from components.platform.common import AddonContext
from components.platform.requestlog_spec import RequestLogsSpec

NAMESPACE = "request-logs"
RELEASE = "vector"
SERVICE_ACCOUNT = "vector"
"""The chart's ServiceAccount and Service: the release's full name, ``vector`` when the release is named ``vector``
(vectordotdev/helm-charts vector-0.56.0 charts/vector/templates/_helpers.tpl ``vector.fullname``,
``vector.serviceAccountName``)."""
PORT = 8080
DATA_DIR = "/vector-data-dir"
"""Vector's data directory: the chart mounts its ``data`` volume there (templates/_pod.tpl, ``customConfig.data_dir``
default), a PersistentVolumeClaim per replica with ``persistence.enabled`` (templates/statefulset.yaml
``volumeClaimTemplates``), else an emptyDir."""
URL = f"http://{RELEASE}.{NAMESPACE}.svc.cluster.local:{PORT}/"
"""Where models' ``logger.url`` points: the chart's Service (named like the release, ClusterIP, ports generated from
the sources' ``address``: templates/_helpers.tpl ``vector.containerPorts``)."""
POD_SELECTOR = {"app.kubernetes.io/name": "vector", "app.kubernetes.io/instance": RELEASE}
"""The chart's selector labels (templates/_helpers.tpl ``vector.selectorLabels``)."""
MODEL_POD_LABEL = "serving.kserve.io/inferenceservice"
"""The label KServe puts on every pod of an InferenceService (components/serving/_runtime.py ``ISVC_LABEL``): only
such pods, in the namespaces of models that log, may post to the collector."""
USER = 65534
"""The collector runs as ``nobody``: the distroless image needs no root, and the restricted Pod Security level wants
a non-root user."""

CE_HEADERS = (
    "ce-id",
    "ce-type",
    "ce-source",
    "ce-time",
    "ce-inferenceservicename",
    "ce-namespace",
    "ce-component",
    "ce-endpoint",
    "ce-annotations",
    "ce-metadata",
    "content-type",
)
"""The headers the collector keeps (module docstring): the CloudEvent attributes KServe sets, and the payload's
content type."""

RECORD_VRL = """\
annotations = object(parse_json(string(."ce-annotations") ?? "{}") ?? {}) ?? {}
metadata = object(parse_json(string(."ce-metadata") ?? "{}") ?? {}) ?? {}
. = {
  "request_id": ."ce-id",
  "x_request_id": string(metadata."X-Request-Id"[0]) ?? null,
  "type": ."ce-type",
  "time": ."ce-time",
  "source": ."ce-source",
  "namespace": string(."ce-namespace") ?? "unknown",
  "model": string(."ce-inferenceservicename") ?? "unknown",
  "version": string(annotations."mlplatform.io/model-version") ?? "unknown",
  "component": ."ce-component",
  "endpoint": ."ce-endpoint",
  "content_type": ."content-type",
  "payload": .message
}
"""
"""The ``remap`` program (VRL) that turns one received event into one record. ``.message`` is the body
(``decoding.codec: bytes``); a missing namespace, model or version becomes ``unknown`` so the key template always
renders. ``request_id`` is KServe's event id (``Ce-Id``: per agent unless the caller sends one), ``x_request_id`` the
call's ``X-Request-Id`` from the ``metadata`` extension (JSON of header name to values: pkg/logger/worker.go
``MetadataAttr``; the models render ``logger.metadataHeaders: [X-Request-Id]``,
components/serving/logger_spec.py ``REQUEST_ID_HEADER``), the same in the transformer's and the predictor's records
of one call, so it is the field that joins them; null when the call had none."""


def store_request(spec: RequestLogsSpec) -> LogStoreRequest:
    """The cluster-neutral request for the store (bucket, prefix, retention, volume size)."""
    return LogStoreRequest(
        prefix=spec.prefix, retention_days=spec.retention, bucket=spec.bucket, volume_size=spec.volume_size
    )


def key_prefix(prefix: str) -> str:
    """The object key folder of one record: ``<prefix>/<namespace>/<model>/<version>/date=%F/`` (Vector template
    fields and strftime)."""
    return f"{prefix}/{{{{ namespace }}}}/{{{{ model }}}}/{{{{ version }}}}/date=%F/"


def sink(store: LogStore, prefix: str) -> dict[str, Any]:
    """The Vector sink: the cluster's store options plus keys, NDJSON encoding, gzip and batching; a ``file`` sink
    under the data directory when the store is a volume."""
    base = {**store.sink, "inputs": ["record"], "healthcheck": {"enabled": False}}
    if store.sink.get("type") == "file":
        return {
            **base,
            "path": f"{DATA_DIR}/{key_prefix(prefix)}requests.ndjson",
            "encoding": {"codec": "json"},
            "framing": {"method": "newline_delimited"},
        }
    return {
        **base,
        store.key_option: key_prefix(prefix),
        "encoding": {"codec": "json"},
        "framing": {"method": "newline_delimited"},
        "compression": "gzip",
        "batch": {"timeout_secs": 60},
    }


def vector_config(store: LogStore, prefix: str) -> dict[str, Any]:
    """Vector's whole configuration (``customConfig``): source, transform, sink."""
    return {
        "data_dir": DATA_DIR,
        "sources": {
            "kserve": {
                "type": "http_server",
                "address": f"0.0.0.0:{PORT}",
                "method": "POST",
                "path": "/",
                "strict_path": False,
                "decoding": {"codec": "bytes"},
                # One event per HTTP body: without ``framing`` Vector 0.56.0 frames a ``bytes`` body by newline
                # (src/sources/http_server.rs: ``decoding.default_stream_framing()``, NewlineDelimited for Bytes in
                # lib/codecs/src/decoding/mod.rs), so a pretty-printed request or a streamed (SSE) LLM response,
                # which KServe's agent logs as one body, became a record per line (rev14h defect 3). ``bytes`` framing
                # hands the whole body on as one frame (lib/codecs/src/decoding/framing/bytes.rs ``decode_eof``).
                "framing": {"method": "bytes"},
                "headers": list(CE_HEADERS),
            }
        },
        "transforms": {"record": {"type": "remap", "inputs": ["kserve"], "source": RECORD_VRL}},
        "sinks": {"store": sink(store, prefix)},
    }


def values(ctx: AddonContext, store: LogStore, spec: RequestLogsSpec) -> dict[str, Any]:
    """The vector chart's values: Aggregator role (a StatefulSet), the config, the identity, restricted security,
    a PodDisruptionBudget with 2+ replicas, the system pool, a volume per replica where the records are kept on one."""
    out: dict[str, Any] = {
        "role": "Aggregator",
        "replicas": ctx.replicas,
        "customConfig": vector_config(store, spec.prefix),
        "serviceAccount": {"annotations": dict(store.service_account_annotations)},
        # The chart's ServiceAccount takes no labels of its own; ``commonLabels`` reach it (and every object of the
        # release) through ``vector.labels`` (templates/_helpers.tpl, templates/serviceaccount.yaml).
        "commonLabels": dict(store.service_account_labels),
        "podLabels": dict(store.pod_labels),
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": USER,
            "runAsGroup": USER,
            "fsGroup": USER,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
        "nodeSelector": ctx.system_selector,
        "podDisruptionBudget": {"enabled": ctx.replicas >= 2, "minAvailable": 1},
        "persistence": {"enabled": store.volume_size is not None},
    }
    if store.volume_size is not None:
        out["persistence"]["size"] = store.volume_size
    for key in ("commonLabels", "podLabels", "nodeSelector"):
        if not out[key]:
            del out[key]
    return out


def network_policy(namespaces: Sequence[str]) -> dict[str, Any]:
    """Ingress to the collector only from model pods (:data:`MODEL_POD_LABEL`) in ``namespaces``, on its port."""
    return {
        "podSelector": {"matchLabels": dict(POD_SELECTOR)},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [
                    {
                        "namespaceSelector": {
                            "matchExpressions": [
                                {
                                    "key": "kubernetes.io/metadata.name",
                                    "operator": "In",
                                    "values": sorted(set(namespaces)),
                                }
                            ]
                        },
                        "podSelector": {"matchExpressions": [{"key": MODEL_POD_LABEL, "operator": "Exists"}]},
                    }
                ],
                "ports": [{"protocol": "TCP", "port": PORT}],
            }
        ]
        if namespaces
        else [],
    }


def wanted(spec: RequestLogsSpec | None, namespaces: Sequence[str]) -> RequestLogsSpec | None:
    """The settings the collector runs with: the stack's, or the defaults when only models ask for logging; None
    when nothing asks."""
    if spec is not None:
        return spec
    return RequestLogsSpec() if namespaces else None


def install(ctx: AddonContext, namespaces: Sequence[str]) -> tuple[k8s.helm.v3.Release, LogStore] | None:
    """The namespace, the store and its grant (from the cluster), the collector's release and its NetworkPolicy;
    None when neither the stack nor any model asks for request logs."""
    spec = wanted(ctx.settings.request_logs, namespaces)
    if spec is None:
        return None
    from components.clusters import request_log_key_problem
    from components.errors import SpecError

    if unused := request_log_key_problem(ctx.cluster.cloud, spec.given()):
        raise SpecError(f"platform.requestLogs.{unused[0]}", unused[1], unused[2])
    ns = ctx.namespace("ns-request-logs", NAMESPACE, pod_security="restricted")
    store = ctx.cluster.request_log_store(
        child_name(ctx.name, "request-logs"), NAMESPACE, SERVICE_ACCOUNT, store_request(spec), ctx.parent
    )
    k8s.networking.v1.NetworkPolicy(
        child_name(ctx.name, "request-logs-netpol"),
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name="vector-ingress", namespace=NAMESPACE, labels=ctx.labels("request-logs-netpol")
        ),
        spec=network_policy_args(network_policy(namespaces)),
        opts=child_opts(ctx.parent, provider=ctx.cluster.provider, depends_on=[ns]),
    )
    release = ctx.release(
        "request-logs",
        "vector",
        release_name=RELEASE,
        namespace=NAMESPACE,
        values=values(ctx, store, spec),
        depends_on=[ns, *store.resources],
    )
    return release, store


def network_policy_args(spec: Mapping[str, Any]) -> k8s.networking.v1.NetworkPolicySpecArgs:
    """:func:`network_policy` as the SDK's typed arguments."""
    net = k8s.networking.v1
    meta = k8s.meta.v1
    return net.NetworkPolicySpecArgs(
        pod_selector=meta.LabelSelectorArgs(match_labels=dict(spec["podSelector"]["matchLabels"])),
        policy_types=list(spec["policyTypes"]),
        ingress=[
            net.NetworkPolicyIngressRuleArgs(
                from_=[
                    net.NetworkPolicyPeerArgs(
                        namespace_selector=meta.LabelSelectorArgs(
                            match_expressions=[
                                meta.LabelSelectorRequirementArgs(**e)
                                for e in peer["namespaceSelector"]["matchExpressions"]
                            ]
                        ),
                        pod_selector=meta.LabelSelectorArgs(
                            match_expressions=[
                                meta.LabelSelectorRequirementArgs(**e) for e in peer["podSelector"]["matchExpressions"]
                            ]
                        ),
                    )
                    for peer in rule["from"]
                ],
                ports=[net.NetworkPolicyPortArgs(protocol=p["protocol"], port=p["port"]) for p in rule["ports"]],
            )
            for rule in spec["ingress"]
        ],
    )
