"""Who may call a model: the Istio RequestAuthentication and AuthorizationPolicy specs for one model.

The policies select the model's own pods (label ``serving.kserve.io/inferenceservice``), which carry Istio sidecars
because their namespace has ``istio-injection: enabled`` (a policy on pods without a sidecar is silently ignored:
knative/serving#14310). RequestAuthentication alone only rejects *bad* tokens and lets token-less requests through
(research/security.md §3.1), so a public JWT model always gets an ALLOW policy that requires a request principal.

Every rule names its ports: the queue-proxy's serving ports in Knative mode (8012 HTTP/1, 8013 HTTP/2:
``pkg/networking/constants.go``, knative/serving 1.21), KServe's model port 8080 in Standard mode
(``InferenceServiceDefaultHttpPort``, pkg/constants/constants.go, kserve v0.20.0; the runtimes we install declare no
other). Knative's own callers are named by principal, not namespace (their service accounts in
config/core/deployments/*.yaml, knative/serving 1.21; Istio's principal is ``<trust domain>/ns/<ns>/sa/<sa>``,
istio.io/latest/docs/reference/config/security/authorization-policy/#Source):

- the activator (``sa/activator``) forwards requests while a model is at zero (and while it buffers bursts), so the
  model's sidecar sees the activator, not the caller. It forwards the caller's ``Authorization`` header
  (pkg/activator/handler/handler.go: a header-pruning reverse proxy that removes only Knative's revision headers),
  so a public JWT model still checks the caller's token. On every model the activator itself is admitted only for
  its readiness probes (``User-Agent: Knative-Activator-Probe``, pkg/activator/net/revision_backends.go), which the
  queue-proxy answers itself and never passes to the model (knative.dev/pkg network/handlers/drain.go: probes by
  user agent are answered "regardless of path"; the user agents are pkg/queue/sharedmain/handlers.go
  ``HealthCheckUAPrefixes``, knative/serving 1.21.3).

  An internal model therefore cannot be called through the activator, and in Knative mode it must never need it:
  :func:`components.serving.spec.platform_problems` refuses ``access.mode: internal`` with ``minReplicas: 0`` in
  Knative mode, and such a model gets ``target-burst-capacity: "0"`` (:mod:`components.serving._runtime`), so the
  activator leaves the data path once pods exist (pkg/reconciler/autoscaling/kpa/kpa.go: Serve mode when the
  wanted scale is above 0 and the excess burst capacity is >= 0). Deciding the caller *at the activator* cannot be
  done safely with an AuthorizationPolicy: the activator picks the revision from the first value of the
  ``Knative-Serving-Namespace``/``-Revision`` headers and falls back to the Host when either is empty (Go's
  ``Header.Get``, pkg/activator/handler/context_handler.go, knative/serving 1.21.3), while Envoy's RBAC matches
  duplicate headers joined with ``,`` (Envoy 1.15.1 release notes, CVE-2020-25017) and Istio compiles ``"*"`` to
  a presence match that an empty header satisfies (pilot/pkg/security/authz/matcher/header.go, Istio 1.30.3), so a
  caller who sends a header twice or empty evades every rule on those headers. The activator still forwards a
  request sent to it straight to the pods (with ``containerConcurrency`` 0 it never queues: pkg/activator/net/
  throttler.go ``infiniteBreaker``), which the model's sidecar then refuses (403): the activator is only admitted
  for probes.
- the autoscaler (``sa/controller``) scrapes the queue-proxy's ``/metrics`` on 9090
  (pkg/autoscaler/metrics/stats_scraper.go).

Prometheus scrapes the sidecar's own port 15090, which Istio's iptables rules do not redirect, so no policy
applies there (:mod:`components.serving._monitoring`).

**Callers reach the inference API only.** The model server answers more than inference on the serving port: every
KServe Python runtime (sklearn, xgboost, lightgbm, the Hugging Face server, the TorchServe wrapper) serves ``GET
/metrics`` (python/kserve/kserve/protocol/rest/server.py ``_register_endpoints``, kserve v0.20.0) and ``POST
/v2/repository/models/{name}/load`` and ``/unload`` (protocol/rest/v2_endpoints.py ``register_v2_endpoints``:
unload deletes the model from the server, model_repository.py, and the pod stays Ready answering 404); Triton 23.05
(the image of kserve-tritonserver, upstream/reference/kserve-v0.20.0-clusterservingruntimes.yaml; triton-inference-
server/server v2.34.0 src/http_server.cc ``HTTPAPIServer::Handle``) also serves ``/v2/repository/...`` (index, load,
unload), ``/v2/logging``, ``/v2/trace/setting`` and ``/v2/models/<m>/trace/setting``, ``/v2/systemsharedmemory/...``,
``/v2/cudasharedmemory/...``, ``/v2/models/stats`` and ``/v2/models/<m>/config|stats``. So every caller rule names
the paths of the model's protocol, as an allow-list (:data:`INFERENCE_API`), taken from KServe v0.20.0's REST
routers: ``v1_endpoints.py`` ``register_v1_endpoints``, ``v2_endpoints.py`` ``register_v2_endpoints``, ``/`` (server
liveness, server.py), ``openai/endpoints.py`` ``register_openai_endpoints`` (prefix ``/openai``,
``KSERVE_OPENAI_ROUTE_PREFIX`` unset) and, for the Hugging Face server whatever its protocol
(:data:`HUGGINGFACE_API`), the OpenAI routes and ``timeseries/endpoints.py`` ``register_time_series_endpoints``.
Model names are path templates (``{*}``: exactly one path segment, Istio >= 1.22 ``pkg/config/security/security.go``
``CheckValidPathTemplate``, compiled to Envoy's ``uri_template`` matcher, pilot/pkg/security/authz/matcher/
template.go, Istio 1.30.3), because Triton and TorchServe name a model after its
directory in the model repository, not after the InferenceService. Triton's ``/v2/models/stats`` (the statistics of
every model) has the shape of a model's metadata path and is excluded by ``notPaths``. A request is matched on its
path after the mesh's path normalization (``meshConfig.pathNormalization: DECODE_AND_MERGE_SLASHES``,
:mod:`components.platform.istio`), the same path Envoy forwards to the model server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.platform import istio, knative
from components.serving import runtimes
from components.serving._runtime import ISVC_LABEL
from components.serving.kcomponents import AGENT_PORT
from components.serving.spec import AccessSpec, ModelSpec

KNATIVE_NAMESPACE = knative.NAMESPACE
TRUST_DOMAIN = "cluster.local"
"""Istio's default trust domain (``meshConfig.trustDomain``; the platform does not change it)."""
ACTIVATOR_SERVICE_ACCOUNT = "activator"
AUTOSCALER_SERVICE_ACCOUNT = "controller"
ACTIVATOR_LABELS = {"app": "activator"}
"""The activator pods' labels (config/core/deployments/activator.yaml, knative/serving 1.21.3)."""
QUEUE_PORTS = ["8012", "8013"]
STANDARD_PORTS = ["8080"]
AUTOSCALER_METRICS_PORT = "9090"
ACTIVATOR_PROBE_AGENT = "Knative-Activator-Probe"
"""``header.ActivatorUserAgent`` (knative.dev/networking pkg/http/header)."""
REVISION_HEADER = "Knative-Serving-Revision"
NAMESPACE_HEADER = "Knative-Serving-Namespace"
"""How the activator finds the revision (pkg/activator/activator.go): the first value of each (Go's
``Header.Get``); when either is empty it reads the Host ``<revision>.<namespace>.svc.<cluster domain>``
(pkg/activator/handler/context_handler.go, knative/serving 1.21.3). Knative's routes ``set`` both
(pkg/reconciler/route/resources/ingress.go; net-istio 1.21 virtual_service.go ``makeVirtualServiceRoute``)."""


def principal(namespace: str, service_account: str) -> str:
    """Istio's principal of a workload running as ``namespace/service_account``."""
    return f"{TRUST_DOMAIN}/ns/{namespace}/sa/{service_account}"


ACTIVATOR = principal(KNATIVE_NAMESPACE, ACTIVATOR_SERVICE_ACCOUNT)
AUTOSCALER = principal(KNATIVE_NAMESPACE, AUTOSCALER_SERVICE_ACCOUNT)
GATEWAY = principal(istio.NAMESPACE, istio.GATEWAY_RELEASE)
"""The ingress gateway pods (public and knative-local-gateway): the gateway chart's service account is its release
name (manifests/charts/gateway/templates/_helpers.tpl, Istio 1.30.3)."""
NETWORK_PROBE_HEADER = "K-Network-Probe"
NETWORK_PROBE_VALUE = "probe"
"""Knative's ingress readiness probe (knative.dev/networking pkg/status/status.go, vendored by net-istio
knative-v1.21.3: ``GET /healthz`` with ``K-Network-Probe: probe``, sent to each gateway pod and routed like a request
to the revision's endpoints). The queue-proxy answers it itself whatever the path (knative.dev/pkg
network/handlers/drain.go ``isKProbe``: ``Header.Get(K-Network-Probe) == "probe"``); Istio's exact match sees
repeated headers joined with ``,``, so it matches only a request whose one value is ``probe``."""


def selector(name: str) -> dict[str, Any]:
    """The workload selector for the model's pods."""
    return {"matchLabels": {ISVC_LABEL: name}}


def standard_target_port(*, agent: bool, transformer_port: int | None, server_port: int | None) -> int | None:
    """The pod port KServe's Standard-mode Service sends a predictor's requests to, decided as KServe decides it
    (service_reconciler.go ``createDefaultSvc``, kserve v0.20.0): the first port of the collocated
    ``transformer-container`` when there is one, else of the first container; then, when the predictor has a
    ``batcher`` or a ``logger`` (``componentExt.Batcher != nil`` / ``componentExt.Logger != nil``), the agent's
    ``InferenceServiceDefaultAgentPort`` 9081 overrides either. The agent KServe injects for those then proxies to
    the collocated transformer's port if there is one, else to the model server's (agent_injector.go ``InjectAgent``:
    ``--component-port``). None when the server declares no port (KServe's default 8080).

    ``agent``: the predictor has a batcher or a logger; ``transformer_port``: the collocated transformer's port;
    ``server_port``: the model server's declared port. Used for the spec (:func:`serving_ports`) and for a rendered
    InferenceService (:func:`components.serving.requestpath.model_of`)."""
    if agent:
        return AGENT_PORT
    if transformer_port is not None:
        return transformer_port
    return server_port


def serving_ports(deployment_mode: str, spec: ModelSpec | None = None) -> list[str]:
    """The pod ports model requests arrive on: the queue-proxy's in Knative mode (it forwards to the user container
    on localhost, whatever its port), else the port KServe's Standard-mode Service targets
    (:func:`standard_target_port`: KServe's agent with a batcher or logger, a collocated transformer's port, a custom
    container's own port, a grpc-v2 runtime's port, else 8080)."""
    if deployment_mode == "Knative":
        return list(QUEUE_PORTS)
    if spec is None:
        return list(STANDARD_PORTS)
    server: int | None = None
    if spec.container is not None:
        server = spec.container.port.number
    elif spec.effective_protocol == "grpc-v2":
        served = runtimes.grpc_serving(spec.format or "", spec.runtime, spec.format_version)
        server = served[2] if served is not None else None
    collocated = spec.transformer is not None and spec.transformer.collocated
    target = standard_target_port(
        agent=spec.batcher is not None or spec.logger is not None,
        transformer_port=spec.transformer.container.port.number if spec.transformer and collocated else None,
        server_port=server,
    )
    return [str(target)] if target is not None else list(STANDARD_PORTS)


def callers(spec: ModelSpec) -> list[str]:
    """The namespaces that may call an internal model: the listed ones and its own."""
    return sorted({*spec.access.allowed_namespaces, spec.namespace})


def request_authentication(name: str, spec: ModelSpec) -> dict[str, Any] | None:
    """The RequestAuthentication spec of a public JWT model, or None."""
    return jwt_authentication(spec.access, selector(name))


def jwt_authentication(access: AccessSpec, pods: Mapping[str, Any]) -> dict[str, Any] | None:
    """The RequestAuthentication spec that checks ``access``'s JWT on the pods ``pods`` selects (a model's or a
    pipeline router's), or None when the access is not public with a JWT."""
    jwt = access.jwt
    if access.mode != "public" or jwt is None:
        return None
    rule: dict[str, Any] = {"issuer": jwt.issuer, "jwksUri": jwt.jwks_uri}
    if jwt.audiences:
        rule["audiences"] = list(jwt.audiences)
    return {"selector": dict(pods), "jwtRules": [rule]}


def _to(ports: list[str], **operation: Any) -> list[dict[str, Any]]:
    return [{"operation": {"ports": ports, **operation}}]


@dataclass(frozen=True)
class Api:
    """The paths of one inference API, by method (Istio ``paths``: exact, ``prefix*``, ``*suffix`` or a template)."""

    get: tuple[str, ...] = ()
    post: tuple[str, ...] = ()
    not_paths: tuple[str, ...] = ()


ROOT = Api(get=("/",))
"""KServe's server liveness ``GET /`` (server.py ``root_router``)."""
V1 = Api(get=("/v1/models", "/v1/models/{*}"), post=("/v1/models/{*}",))
"""``register_v1_endpoints``: ``GET /v1/models``, ``GET /v1/models/{name}`` and ``POST
/v1/models/{name}:predict`` / ``:explain`` (``{name}:predict`` is one path segment)."""
V2 = Api(
    get=(
        "/v2",
        "/v2/health/live",
        "/v2/health/ready",
        "/v2/models",
        "/v2/models/{*}",
        "/v2/models/{*}/ready",
        "/v2/models/{*}/versions/{*}",
        "/v2/models/{*}/versions/{*}/ready",
    ),
    post=("/v2/models/{*}/infer", "/v2/models/{*}/versions/{*}/infer"),
    not_paths=("/v2/models/stats",),
)
"""``register_v2_endpoints`` without the model repository (``/v2/repository/...``); ``/v2/models/stats`` is Triton's
statistics of every model (http_server.cc ``Handle``), not a model called "stats"."""
OPENAI = Api(
    get=("/openai/v1/models", "/openai/v1/models/{*}"),
    post=("/openai/v1/completions", "/openai/v1/chat/completions", "/openai/v1/embeddings", "/openai/v1/rerank"),
)
"""``register_openai_endpoints`` with the default prefix ``/openai`` (openai/endpoints.py ``OPENAI_ROUTE_PREFIX``)."""
TIME_SERIES = Api(get=("/v1/timeseries/models",), post=("/v1/timeseries/forecast",))
"""``register_time_series_endpoints`` (the Hugging Face server's time-series models)."""
GRPC_V2 = Api(
    post=tuple(
        f"/inference.GRPCInferenceService/{m}"
        for m in ("ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata", "ModelInfer")
    )
)
"""The v2 protocol over gRPC: service ``inference.GRPCInferenceService`` without ``RepositoryModelLoad`` and
``RepositoryModelUnload`` (python/kserve/kserve/protocol/grpc/grpc_predict_v2.proto, v0.20.0); a gRPC call is an
HTTP/2 POST to ``/<package>.<Service>/<Method>`` (grpc/grpc doc/PROTOCOL-HTTP2.md, "Path")."""
INFERENCE_API: dict[str, tuple[Api, ...]] = {
    "v1": (ROOT, V1),
    "v2": (ROOT, V2),
    "grpc-v2": (GRPC_V2,),
    "openai": (ROOT, OPENAI, V1),
}
"""The APIs callers may use, by the model's protocol. ``openai`` is the Hugging Face server, which KServe matches as
v1 (the predictor has no ``protocolVersion``) and which serves ``/v1/models/{name}:predict`` for its non-generative
tasks beside the OpenAI routes."""
HUGGINGFACE_API = (OPENAI, TIME_SERIES)
"""What the Hugging Face server serves whatever the model's protocol: the predictor's ``protocolVersion`` only picks
the runtime (pkg/apis/serving/v1beta1/predictor_model.go, kserve v0.20.0) and reaches no argument of the server
(kserve-huggingfaceserver's args are ``--model_name`` only, upstream/reference/kserve-v0.20.0-
clusterservingruntimes.yaml; python/huggingfaceserver/huggingfaceserver/__main__.py has no protocol switch), while the
server registers the OpenAI routes by model type: ``maybe_register_openai_endpoints``
(python/kserve/kserve/protocol/rest/openai/config.py) does when a model is an ``OpenAIModel``, as the server's
generative and encoder models are (generative_model.py ``HuggingfaceGenerativeModel(OpenAIChatAdapterModel)``,
encoder_model.py ``HuggingfaceEncoderModel(Model, OpenAIEncoderModel)``)."""


def inference_api(spec: ModelSpec) -> tuple[Api, ...]:
    """The inference APIs of ``spec``'s protocol and, for the Hugging Face server, its OpenAI and time-series APIs
    whatever the protocol (:data:`HUGGINGFACE_API`)."""
    collocated = spec.transformer is not None and spec.transformer.collocated
    # a collocated transformer is what callers reach in the pod (CustomPredictor.GetProtocol reads its PROTOCOL)
    apis = INFERENCE_API[
        spec.transformer.protocol if spec.transformer is not None and collocated else spec.effective_protocol
    ]
    if spec.container is not None and spec.container.port.protocol == "grpc" and spec.effective_protocol == "v2":
        apis = (*apis, GRPC_V2)
    if spec.access.extra_paths:
        # access.extraPaths (a custom container's own routes), GET and POST, validated by extra_path_problem.
        apis = (*apis, Api(get=tuple(spec.access.extra_paths), post=tuple(spec.access.extra_paths)))
    if spec.format != "huggingface":
        return apis
    return (*apis, *(a for a in HUGGINGFACE_API if a not in apis))


def inference_operations(spec: ModelSpec, ports: list[str]) -> list[dict[str, Any]]:
    """The ``to`` list of a caller rule: on ``ports``, the GET and the POST paths of the model's inference API."""
    apis = inference_api(spec)
    out: list[dict[str, Any]] = []
    for method, paths in (("GET", [p for a in apis for p in a.get]), ("POST", [p for a in apis for p in a.post])):
        operation: dict[str, Any] = {"ports": list(ports), "methods": [method], "paths": paths}
        excluded = [p for a in apis for p in a.not_paths]
        if excluded:
            operation["notPaths"] = excluded
        out.append({"operation": operation})
    return out


def authorization_policy(name: str, spec: ModelSpec, deployment_mode: str = "Knative") -> dict[str, Any]:
    """The ALLOW AuthorizationPolicy spec for the model's pods.

    - public + jwt: requests with a valid token's principal (``requestPrincipals: ["*"]``);
    - public + allowAnonymous: everyone (an explicit allow, so a namespace default-deny does not hide it);
    - internal: the listed namespaces and the model's own;
    each on the serving ports and the inference API's paths only (:func:`inference_operations`). In Knative mode the
    activator's probes (never its requests: module docstring), the gateways' ingress readiness probes
    (:data:`NETWORK_PROBE_VALUE`; both answered by the queue-proxy, never passed to the model) and the autoscaler's
    scrapes are admitted by principal.
    """
    access = spec.access
    ports = serving_ports(deployment_mode, spec)
    rules: list[dict[str, Any]]
    api = inference_operations(spec, ports)
    if access.mode == "public" and access.allow_anonymous:
        rules = [{"to": api}]
    elif access.mode == "public":
        rules = [{"from": [{"source": {"requestPrincipals": ["*"]}}], "to": api}]
    else:
        rules = [{"from": [{"source": {"namespaces": callers(spec)}}], "to": api}]
    if deployment_mode == "Knative":
        rules.extend(knative_rules(ports))
    return {"selector": selector(name), "action": "ALLOW", "rules": rules}


def knative_rules(ports: list[str]) -> list[dict[str, Any]]:
    """The rules every Knative-served workload needs on ``ports``: the activator's probes, the gateways' ingress
    readiness probes (both answered by the queue-proxy) and the autoscaler's scrapes, each by principal."""
    return [
        {
            "from": [{"source": {"principals": [ACTIVATOR]}}],
            "to": _to(ports, methods=["GET"]),
            "when": [{"key": "request.headers[User-Agent]", "values": [ACTIVATOR_PROBE_AGENT]}],
        },
        {
            "from": [{"source": {"principals": [GATEWAY]}}],
            "to": _to(ports, methods=["GET"]),
            "when": [{"key": f"request.headers[{NETWORK_PROBE_HEADER}]", "values": [NETWORK_PROBE_VALUE]}],
        },
        {
            "from": [{"source": {"principals": [AUTOSCALER]}}],
            "to": _to([AUTOSCALER_METRICS_PORT], methods=["GET"], paths=["/metrics"]),
        },
    ]
