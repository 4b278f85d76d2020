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

In transit and attribution (issue #14, exp14r F2). The collector runs in the mesh like the models: its namespace has
``istio-injection: enabled`` and a STRICT PeerAuthentication, so each record crosses the network inside mTLS (without
a sidecar on the collector, Istio's auto mTLS has the model's sidecar "send plain text traffic to workloads without
sidecars": istio.io/v1.4/docs/tasks/security/authentication/auto-mtls). Who sends: KServe's agent,
a container KServe v0.20.0 adds to the model's own pod (pkg/webhook/admission/pod/agent_injector.go ``InjectAgent``:
``pod.Spec.Containers = append(..., *agentContainer)``, in Knative mode beside the queue-proxy), so its post leaves
through the model pod's sidecar with the model's ServiceAccount as mTLS identity. An Istio AuthorizationPolicy on the
collector (:func:`authorization_policy`) admits only identities of the namespaces whose models log, on the collector's
port. The record's namespace is then taken from that identity, not from the sender's ``ce-namespace`` header: the
collector's sidecar appends the verified client certificate's details to ``x-forwarded-client-cert`` (istio/istio
1.30.3 pilot/pkg/networking/core/listener_inbound.go ``buildSidecarInboundHTTPOpts``: ``ForwardClientCertDetails``
from pilot/pkg/networking/util/proxy_headers.go, ``APPEND_FORWARD`` unless the proxy config's ``proxyHeaders``
change it, which the platform does not; ``SetCurrentClientCertDetails`` Subject, URI and DNS). Envoy appends one
element ``By=<own URI>;Hash=<sha256>;Subject="...";URI=<peer URI>[;DNS=...]`` after a ``,`` to whatever the client
sent, and removes the header when the connection is not mTLS (envoyproxy/envoy source/common/http/
conn_manager_utility.cc ``mutateXfccRequestHeader``; field order Cert, Chain, Subject, URI, DNS from
source/extensions/filters/network/http_connection_manager/config.cc; read at envoy main, not at the commit Istio
1.30.3's proxy pins, 4f1e006e). So the last element is the sidecar's, and its URI
``spiffe://<trust domain>/ns/<namespace>/sa/<service account>`` the sender's proven identity: :data:`RECORD_VRL`
reads it anchored at the end of the header (what a client prepends cannot reach there), drops the event when there is
none or when ``ce-namespace`` names another namespace, and records the sender's ServiceAccount. Within one namespace
the model name is still the sender's word (the platform admits namespaces, not each model's ServiceAccount: it is
built before the models and knows only their namespaces). The collector's own writes to the store (and its cloud
credential calls) leave through its sidecar too, passed through as they are: Istio's default outbound policy is
``ALLOW_ANY`` (istio/istio 1.30.3 pkg/config/mesh/mesh.go ``DefaultMeshConfig``), which the platform keeps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.clusters.base import LogStore, LogStoreRequest
from components.naming import child_name, child_opts
from components.platform import istio
from components.platform.common import AddonContext
from components.platform.requestlog_spec import RequestLogsSpec

NAMESPACE = "request-logs"
MESH_LABELS = {"istio-injection": "enabled"}
"""The collector's namespace joins the mesh: Istio's injector webhook selects namespaces with this label (default
revision), as the models' (components/serving/namespace.py) and knative-serving's (knative.py)."""
RELEASE = "vector"
SERVICE_ACCOUNT = "vector"
"""The chart's ServiceAccount and Service: the release's full name, ``vector`` when the release is named ``vector``
(vectordotdev/helm-charts vector-0.56.0 charts/vector/templates/_helpers.tpl ``vector.fullname``,
``vector.serviceAccountName``)."""
PORT = 8080
SOURCE = "http"
"""The ``http_server`` source's id. The chart names the Service port after it (templates/_helpers.tpl
``_helper.generatePort``: the component id, kebab-cased), and Istio takes a port named ``http`` as HTTP
(istio/istio 1.30.3 pkg/config/kube/conversion.go ``ConvertProtocol``: the name's prefix before ``-``), so the
collector's sidecar handles the posts as HTTP, where it sets ``x-forwarded-client-cert``, without protocol sniffing."""
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
"""The CloudEvent headers the collector keeps (module docstring): the attributes KServe sets, and the payload's
content type."""
XFCC_HEADER = "x-forwarded-client-cert"
"""Where the collector's sidecar puts the sender's verified identity (module docstring)."""
HEADERS = (*CE_HEADERS, XFCC_HEADER)
"""Every header the source copies into the event (sources/generated/http_server.cue ``headers``: an exact name
becomes a field of that name holding the request's first value, src/sources/util/http/headers.rs ``add_headers``;
Envoy keeps ``x-forwarded-client-cert`` as one header, appending to it)."""

PEER_REGEX = r'URI=spiffe://[^/;,"]+/ns/(?P<namespace>[^/;,"]+)/sa/(?P<service_account>[^/;,"]+)(?:;DNS=[^;,"]*)*$'
"""The sender's identity in ``x-forwarded-client-cert``: the URI field of the element the collector's sidecar appended,
which ends the header (at most DNS fields follow it: module docstring). No value may hold ``/ ; , "``, so nothing a
client prepends can be read as it."""

RECORD_VRL = """\
peer, err = parse_regex(string(."x-forwarded-client-cert") ?? "", r'PEER_REGEX')
if err != null {
  log("request-log event dropped: no mesh identity in x-forwarded-client-cert", level: "warn", rate_limit_secs: 60)
  abort
}
if (string(."ce-namespace") ?? "") != peer.namespace {
  log("request-log event dropped: its ce-namespace is not its sender's namespace", level: "warn", rate_limit_secs: 60)
  abort
}
annotations = object(parse_json(string(."ce-annotations") ?? "{}") ?? {}) ?? {}
metadata = object(parse_json(string(."ce-metadata") ?? "{}") ?? {}) ?? {}
. = {
  "request_id": ."ce-id",
  "x_request_id": string(metadata."X-Request-Id"[0]) ?? null,
  "type": ."ce-type",
  "time": ."ce-time",
  "source": ."ce-source",
  "namespace": peer.namespace,
  "service_account": peer.service_account,
  "model": string(."ce-inferenceservicename") ?? "unknown",
  "version": string(annotations."mlplatform.io/model-version") ?? "unknown",
  "component": ."ce-component",
  "endpoint": ."ce-endpoint",
  "content_type": ."content-type",
  "payload": .message
}
""".replace("PEER_REGEX", PEER_REGEX)
"""The ``remap`` program (VRL) that turns one received event into one record, or drops it (``abort``, with the
transform's ``drop_on_abort``) when the sender has no mesh identity or names another namespace than its own. The
record's ``namespace`` is the sender's (from its identity), ``service_account`` the ServiceAccount it runs as (the
model's ``<name>-sa``). ``.message`` is the body (``decoding.codec: bytes``); a missing model or version becomes
``unknown`` so the key template always renders. ``request_id`` is KServe's event id (``Ce-Id``: per agent unless the
caller sends one), ``x_request_id`` the call's ``X-Request-Id`` from the ``metadata`` extension (JSON of header name
to values: pkg/logger/worker.go ``MetadataAttr``; the models render ``logger.metadataHeaders: [X-Request-Id]``,
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
            SOURCE: {
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
                "headers": list(HEADERS),
            }
        },
        # An event the program aborts (no identity, another namespace) or fails on is dropped, never passed on as
        # received (vector v0.56.0 website/cue/reference/components/transforms/generated/remap.cue: ``drop_on_abort``
        # default true, ``drop_on_error`` default false, "the original, unmodified event is sent downstream").
        "transforms": {
            "record": {
                "type": "remap",
                "inputs": [SOURCE],
                "source": RECORD_VRL,
                "drop_on_abort": True,
                "drop_on_error": True,
            }
        },
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


def authorization_policy(namespaces: Sequence[str]) -> dict[str, Any]:
    """The collector's Istio AuthorizationPolicy (ALLOW): posts on its port from mTLS identities of ``namespaces``
    only. With no namespace it has no rule and admits nothing: an ALLOW policy that matches nothing denies every
    request to the workloads it selects (istio/api 1.30.3 security/v1beta1/authorization_policy.proto, the
    ``allow-nothing`` examples and rules 3-5). ``source.namespaces`` is "derived from the peer certificate" and
    "requires mTLS" (same file, ``Source``), which the collector's namespace makes STRICT (:func:`peer_authentication`).
    Not each model's ServiceAccount: the platform is built before the models and knows only their namespaces
    (module docstring)."""
    rules = [
        {
            "from": [{"source": {"namespaces": sorted(set(namespaces))}}],
            "to": [{"operation": {"ports": [str(PORT)], "methods": ["POST"]}}],
        }
    ]
    return {"selector": {"matchLabels": dict(POD_SELECTOR)}, "action": "ALLOW", "rules": rules if namespaces else []}


def peer_authentication() -> dict[str, Any]:
    """STRICT mTLS for the collector's namespace. The mesh-wide policy in istio-system is STRICT already
    (components/platform/istio.py); the namespace's own keeps the records encrypted if the mesh-wide one changes, as
    each model namespace's does (components/serving/namespace.py)."""
    return {"mtls": {"mode": "STRICT"}}


def wanted(spec: RequestLogsSpec | None, namespaces: Sequence[str]) -> RequestLogsSpec | None:
    """The settings the collector runs with: the stack's, or the defaults when only models ask for logging; None
    when nothing asks."""
    if spec is not None:
        return spec
    return RequestLogsSpec() if namespaces else None


def install(
    ctx: AddonContext,
    namespaces: Sequence[str],
    *,
    pod_security: str,
    istio_base: pulumi.Resource,
    injection: Sequence[pulumi.Resource],
) -> tuple[k8s.helm.v3.Release, LogStore] | None:
    """The namespace (in the mesh), the store and its grant (from the cluster), the collector's release, its
    NetworkPolicy, PeerAuthentication and AuthorizationPolicy; None when neither the stack nor any model asks for
    request logs.

    ``pod_security``: the level the namespace enforces, the platform's for meshed namespaces (``restricted`` with
    Istio CNI, else ``privileged``: the injected ``istio-init`` needs NET_ADMIN and NET_RAW). ``istio_base``: the
    release that installs Istio's CRDs (the two policies are custom resources); ``injection``: what a pod with a
    sidecar waits on (:attr:`components.platform.istio.Istio.injection`; a collector pod created before istiod's
    webhook would run without its sidecar, outside mTLS)."""
    spec = wanted(ctx.settings.request_logs, namespaces)
    if spec is None:
        return None
    from components.clusters import request_log_key_problem
    from components.errors import SpecError

    if unused := request_log_key_problem(ctx.cluster.cloud, spec.given()):
        raise SpecError(f"platform.requestLogs.{unused[0]}", unused[1], unused[2])
    ns = ctx.namespace("ns-request-logs", NAMESPACE, pod_security=pod_security, labels=MESH_LABELS)
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
    mtls = ctx.custom_resource(
        "request-logs-mtls",
        istio.SECURITY_API,
        "PeerAuthentication",
        name="default",
        namespace=NAMESPACE,
        spec=peer_authentication(),
        depends_on=[istio_base, ns],
    )
    authz = ctx.custom_resource(
        "request-logs-authz",
        istio.SECURITY_API,
        "AuthorizationPolicy",
        name="vector-writers",
        namespace=NAMESPACE,
        spec=authorization_policy(namespaces),
        depends_on=[istio_base, ns],
    )
    release = ctx.release(
        "request-logs",
        "vector",
        release_name=RELEASE,
        namespace=NAMESPACE,
        values=values(ctx, store, spec),
        depends_on=[ns, *store.resources, *injection, mtls, authz],
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
