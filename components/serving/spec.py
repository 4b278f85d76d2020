"""Typed model settings: one value of ``mlplatform:models`` (the key is the model name), or ``ModelService`` args."""

from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components import catalog, clouds, envrefs
from components.credentials import (
    PLAIN_TEXT,
    arg_credential,
    env_credential,
    local_host_problem,
    looks_like_credential,
    redact_uri,
)
from components.naming import is_dns_label
from components.serving import llm_scaling, runtimes, server_args
from components.serving.kcomponents import (
    AGENT_PORT,
    AGENT_PORT_USER,
    BatcherSpec,
    ExplainerSpec,
    TransformerSpec,
    blocked_env_problem,
    collocated_probe_problems,
    collocation_problems,
    components_platform_problems,
    explainer_storage_problems,
)
from components.serving.kspec import (
    ContainerSpec,
    RolloutSpec,
    SecretKeySpec,
    StorageUriSpec,
    TolerationSpec,
    label_value_problem,
    platform_key_problem,
    qualified_key_problem,
    secret_name_problem,
)
from components.serving.logger_spec import LoggerSpec
from components.serving.quantity import is_quantity, quantity_value, suffix_of
from components.spec import Spec, field_error, missing_error, value_error
from components.storage import common_parent_problem, oci_mount_path_problem, parse_storage_uri

FormatName = Literal[
    "autogluon", "huggingface", "lightgbm", "mlflow", "onnx", "paddle", "pmml", "pytorch", "sklearn", "tensorflow",
    "tensorrt", "triton", "xgboost",
]  # fmt: skip
FORMATS: tuple[str, ...] = FormatName.__args__  # type: ignore[attr-defined]
"""The model formats a model may give: every format the ClusterServingRuntimes we install list
(:data:`components.serving.runtimes.FORMATS`; a test keeps the two in step) but ``vLLM``: kserve-vllmserver runs
vLLM's own OpenAI server (``vllm.entrypoints.openai.api_server``, routes ``/v1/...`` outside the inference-API
allow-list of :mod:`components.serving._auth`) as root (its ClusterServingRuntime sets no ``runAsNonRoot``), and
``format: huggingface`` on GPUs runs vLLM behind KServe's own server instead."""
_TAG = re.compile(r"\A[\w][\w.-]{0,127}\Z", re.ASCII)
"""An image tag (distribution/reference: ``[\\w][\\w.-]{0,127}``); KServe replaces the runtime image's tag with
``runtimeVersion`` (pkg/controller/v1beta1/inferenceservice/utils/utils.go ``UpdateImageTag``, v0.20.0)."""
_FORMAT_VERSION = re.compile(r"\A[0-9A-Za-z][0-9A-Za-z._-]{0,62}\Z", re.ASCII)
_DURATION = re.compile(r"\A[0-9]+(s|m|h)\Z", re.ASCII)


class ResourcesSpec(Spec):
    """Per-replica resources; requests equal limits (Guaranteed QoS)."""

    cpu: str = "1"
    """CPU request and limit: a Kubernetes quantity such as ``500m`` or ``2``."""
    memory: str = "2Gi"
    """Memory request and limit: a Kubernetes quantity such as ``4Gi``."""
    gpus: int = Field(default=0, ge=0, le=16)
    """``nvidia.com/gpu`` request and limit (0-16); at most the GPUs per node of the pools offering the accelerator."""
    accelerator: str | None = None
    (
        "Catalog accelerator the GPUs must be, e.g. ``nvidia-l4``; required when gpus > 0. Where the stack has GPU "
        "pools, one must offer it."
    )

    @field_validator("cpu", "memory", mode="before")
    @classmethod
    def _quantity(cls, v: object) -> object:
        if isinstance(v, int | float) and not isinstance(v, bool):
            v = str(v)
        if not isinstance(v, str) or not is_quantity(v):
            raise value_error("give a Kubernetes quantity such as 500m, 2 or 4Gi")
        return v

    @model_validator(mode="after")
    def _accelerator(self) -> ResourcesSpec:
        if self.accelerator is not None and self.accelerator not in catalog.ACCELERATORS:
            raise field_error("accelerator", self.accelerator, "give one of " + ", ".join(catalog.ACCELERATORS))
        if self.gpus > 0 and self.accelerator is None:
            raise field_error("accelerator", None, "give the accelerator (e.g. nvidia-l4) when gpus > 0")
        if self.gpus == 0 and self.accelerator is not None:
            raise field_error("gpus", 0, f"give gpus >= 1 with accelerator {self.accelerator}, or drop accelerator")
        return self


MAX_SCALING_TARGET = 100000
"""The largest ``scaling.target`` accepted."""

DEFAULT_TARGETS = {"concurrency": 10, "rps": 50, "cpu": 80}
"""The per-replica target used when ``scaling.target`` is not given, by metric."""


class ScalingSpec(Spec):
    """Autoscaling of the model's replicas."""

    min_replicas: int = Field(default=1, ge=0, le=1000)
    (
        "Fewest replicas; 0 scales to zero (Knative mode only, not with metric cpu). 2 or more adds a "
        "PodDisruptionBudget."
    )
    max_replicas: int = Field(default=3, ge=1, le=1000)
    """Most replicas, at least ``minReplicas``."""
    metric: Literal["concurrency", "rps", "cpu", "memory", "llm-queue", "llm-running", "llm-kv-cache"] | None = None
    (
        "What replicas scale on: ``concurrency`` or ``rps`` (Knative mode), ``cpu`` (HPA, both modes), ``memory`` "
        "(HPA, Standard mode), or vLLM's own load through KEDA (Standard mode, format huggingface on GPUs): "
        "``llm-queue`` (requests waiting), ``llm-running`` (requests being generated) or ``llm-kv-cache`` (KV cache "
        "held by the tokens in flight). Default: concurrency in Knative mode, cpu in Standard mode."
    )
    target: int | None = Field(default=None, ge=1, le=MAX_SCALING_TARGET)
    (
        "Per-replica target of the metric. Default: 10 in-flight requests (concurrency), 50 requests/s (rps) or 80 "
        "percent (cpu, at most 100); required for memory (percent of the memory request, at most 100; Standard "
        "mode) and for llm-queue and llm-running (requests per replica) and llm-kv-cache (KV-cache usage percent, at "
        "most 100)."
    )
    scale_down_delay: str = "5m"
    (
        "How long demand must stay low before replicas are removed, such as ``30s``, ``5m`` or ``1h`` (Knative mode "
        "only)."
    )

    @field_validator("scale_down_delay")
    @classmethod
    def _delay(cls, v: str) -> str:
        if not _DURATION.match(v):
            raise value_error("give a duration such as 30s, 5m or 1h")
        seconds = int(v[:-1]) * {"s": 1, "m": 60, "h": 3600}[v[-1]]
        if seconds > 3600:
            # Knative refuses autoscaling.knative.dev/scale-down-delay above WindowMax, 1h (knative/serving
            # pkg/apis/autoscaling/annotation_validation.go, validateScaleDownDelay).
            raise value_error("give at most 1h (Knative's limit for scale-down-delay)")
        return v

    @model_validator(mode="after")
    def _bounds(self) -> ScalingSpec:
        if self.max_replicas < self.min_replicas:
            raise field_error("maxReplicas", self.max_replicas, f"give an integer >= minReplicas ({self.min_replicas})")
        if self.metric in ("cpu", "memory") and self.target is not None and self.target > 100:
            # KServe's webhook refuses an HPA target above 100 for cpu and memory alike
            # (validateScalingHPACompExtension, inference_service_validation.go v0.20.0: ``metric == MetricCPU &&
            # target < 1 || target > 100``).
            raise field_error(
                "target", self.target, f"give a {self.metric.replace('cpu', 'CPU')} utilisation percent from 1 to 100"
            )
        if self.metric in ("cpu", "memory") and self.min_replicas == 0:
            raise field_error(
                "minReplicas",
                0,
                f"{self.metric} scaling (HPA) cannot scale to zero; give >= 1, or metric concurrency or rps",
            )
        if self.metric == "memory" and self.target is None:
            # KServe sets no default target for memory (hpa_reconciler.go ``getHPAMetrics``: "For memory, we do not
            # set the default scale target"), so the HPA would get no metric at all.
            raise field_error("target", None, "give the target with metric memory (KServe has no default for it)")
        if llm := llm_scaling.scaling_problem(self.metric, self.target):
            raise field_error(*llm)
        return self

    def resolved_metric(self, deployment_mode: str) -> str:
        """The metric in effect: the given one, else concurrency (Knative mode) or cpu (Standard mode)."""
        if self.metric is not None:
            return self.metric
        return "concurrency" if deployment_mode == "Knative" else "cpu"

    def resolved_target(self, deployment_mode: str) -> int:
        """The target in effect: the given one, else the default for the metric in effect."""
        return self.target if self.target is not None else DEFAULT_TARGETS[self.resolved_metric(deployment_mode)]


class JwtSpec(Spec):
    """Who may call a public model: tokens from ``issuer``, keys at ``jwksUri``, one of ``audiences``."""

    issuer: str
    """Token issuer (the ``iss`` claim): an https:// URL."""
    jwks_uri: str
    """https:// URL of the issuer's signing keys (JWKS)."""
    audiences: list[str] = []
    """Accepted ``aud`` values, passed to Istio's RequestAuthentication; left out when empty."""

    @field_validator("issuer", "jwks_uri")
    @classmethod
    def _https(cls, v: str) -> str:
        if not re.fullmatch(r"https://[!-~]+", v, re.ASCII):  # whole and printable: no final newline or space
            raise value_error("give an https:// URL", redact_uri(v))
        authority = v[len("https://") :].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        if "@" in authority:
            raise value_error(
                "credentials in the URL (user:password@) would be stored in plain text in the RequestAuthentication "
                "and the state; give the URL without them",
                redact_uri(v),
            )
        host = authority.rsplit(":", 1)[0] if not authority.endswith("]") else authority
        if not host:
            raise value_error("give an https:// URL with a host", v)
        return v

    @field_validator("jwks_uri")
    @classmethod
    def _fetchable(cls, v: str) -> str:
        if why := jwks_host_problem(v):
            raise value_error(why)
        return v

    @field_validator("audiences")
    @classmethod
    def _audiences(cls, v: list[str]) -> list[str]:
        for aud in v:
            if not aud or aud != aud.strip() or not aud.isprintable():
                raise value_error("give audiences as non-empty text without edge spaces or line breaks", aud)
        return v


_PATH_SEGMENT = re.compile(r"\A([-._~!$&'()+,;=:@A-Za-z0-9]|%[0-9A-Fa-f]{2})+\Z", re.ASCII)
"""A path segment of RFC 3986 ``pchar``s (``*`` excluded: it is Istio's wildcard)."""


def jwks_host_problem(uri: str) -> str | None:
    """Why istiod must not fetch signing keys from ``uri``'s host: a loopback, unspecified or link-local address, or a
    cloud metadata name. istiod fetches a RequestAuthentication's ``jwksUri`` itself, from its own pod, and inlines
    the keys into the proxies' configuration (istio/istio pilot/pkg/model/jwks_resolver.go, ``GetPublicKey`` /
    ``getRemoteContent``): ``localhost`` is istiod itself, and 169.254.169.254 is the node's instance metadata
    service (AWS IMDS, Azure IMDS, Google's metadata server), which hands out the node's cloud credentials."""
    what = local_host_problem(uri, "istiod")
    if what is None:
        return None
    return (
        f"istiod fetches the keys from its own pod (istio pilot/pkg/model/jwks_resolver.go): {what}; give the "
        "identity provider's https URL"
    )


def extra_path_problem(path: str) -> str | None:
    """Why ``path`` cannot be an ``access.extraPaths`` entry, or None. Istio matches a path exactly, as a prefix
    (``/x/*``), a suffix or a template (``{*}`` one segment, ``{**}`` any): security/v1beta1 AuthorizationPolicy
    ``Operation.paths`` (istio.io/latest/docs/reference/config/security/authorization-policy/#Operation) and
    pkg/config/security/security.go ``CheckValidPathTemplate`` (Istio 1.30.3). Only exact segments, ``{*}`` and a
    final ``/*`` are accepted here: a suffix match or ``{**}`` opens paths nobody reviews, and a path that the mesh's
    normalization (``DECODE_AND_MERGE_SLASHES``) would rewrite (``.``, ``..``, ``//``, ``%2F``) never matches."""
    if not path.startswith("/") or path == "/":
        return "give an absolute path other than / (the root is already allowed), such as /predict"
    body = path[1:-2] if path.endswith("/*") else path[1:]
    if not body or body.split("/")[0] == "{*}":
        return "give a path that starts with a fixed segment, such as /predict: this one matches every path"
    for segment in body.split("/"):
        if segment == "{*}":
            continue
        lowered = segment.lower()
        if segment in ("", ".", "..") or any(code in lowered for code in ("%2f", "%5c", "%2e")):
            return (
                "give a path without empty, . or .. segments or encoded slashes or dots (the mesh normalizes them away)"
            )
        if not _PATH_SEGMENT.match(segment):
            return "give path segments of URL characters; wildcards only as {*} (one segment) or a final /* (a prefix)"
    matcher = re.compile(
        "/"
        + "/".join("[^/]+" if seg == "{*}" else re.escape(seg) for seg in body.split("/"))
        + ("(/.*)?" if path.endswith("/*") else "")
    )
    opened = [admin for admin in ADMIN_PATHS if matcher.fullmatch(admin)]
    if opened:
        return (
            f"it opens {opened[0]}, a model server's admin or metrics endpoint that callers never reach (the "
            "platform allows the inference API only: components/serving/_auth.py); give the model server's own "
            "inference path"
        )
    return None


ADMIN_PATHS = (
    "/metrics",
    "/v2/repository/index",
    "/v2/repository/models/m/load",
    "/v2/repository/models/m/unload",
    "/v2/logging",
    "/v2/trace/setting",
    "/v2/models/m/trace/setting",
    "/v2/systemsharedmemory/status",
    "/v2/cudasharedmemory/status",
    "/v2/models/stats",
    "/v2/models/m/config",
    "/v2/models/m/stats",
    "/inference.GRPCInferenceService/RepositoryIndex",
    "/inference.GRPCInferenceService/RepositoryModelLoad",
    "/inference.GRPCInferenceService/RepositoryModelUnload",
)
"""One request path of each admin and metrics endpoint the platform keeps callers away from (components/serving/
_auth.py's module docstring: KServe v0.20.0's REST server and v2 endpoints, Triton's HTTP server and the KServe v2
gRPC service's repository methods): an ``access.extraPaths`` entry that matches one is refused, since it would let
every admitted caller reach it."""


def own_namespace(v: str, what: str) -> str:
    """``v`` if it is a namespace a ``what`` (model, pipeline) may declare: a DNS label that is not a platform or
    Kubernetes system namespace (the ``what`` declares its namespace, so removing it would delete that namespace)."""
    if not is_dns_label(v):
        raise value_error("give a Kubernetes namespace name: lowercase letters, digits and '-', at most 63")
    if v in reserved_namespaces() or v.startswith(reserved_namespace_prefixes()):
        raise value_error(
            f"a platform or Kubernetes system namespace is not a {what}'s (the {what} would declare it, and "
            f"removing the {what} would delete it); give a namespace of your own, e.g. models"
        )
    return v


class AccessSpec(Spec):
    """Who can reach the model."""

    mode: Literal["public", "internal"] = "public"
    (
        "``public``: through the Istio gateway, with ``jwt`` or ``allowAnonymous: true``; ``internal``: in-cluster "
        "only, from ``allowedNamespaces``."
    )
    jwt: JwtSpec | None = None
    """JWT authentication of a public model; required unless ``allowAnonymous: true``."""
    allow_anonymous: bool = False
    """Serve a public model without authentication (an explicit allow-all); not with ``jwt``."""
    allowed_namespaces: list[str] = []
    (
        "Namespaces that may call an internal model (required for ``internal``); the model's own namespace may always "
        "call it."
    )
    extra_paths: list[str] = []
    (
        "More request paths callers may use besides the inference API of the model's protocol (a custom container's "
        "own routes, or gRPC methods ``/<package>.<Service>/<Method>``), GET and POST: exact paths, ``{*}`` for one "
        "path segment, or a final ``/*`` for everything below a prefix."
    )

    @field_validator("extra_paths")
    @classmethod
    def _paths(cls, v: list[str]) -> list[str]:
        for path in v:
            if why := extra_path_problem(path):
                raise value_error(why, path)
        return v

    @model_validator(mode="after")
    def _rules(self) -> AccessSpec:
        if self.mode == "public" and self.jwt is None and not self.allow_anonymous:
            raise field_error(
                "jwt", None, "a public model needs jwt (issuer, jwksUri) or, explicitly, allowAnonymous: true"
            )
        if self.mode == "public" and self.jwt is not None and self.allow_anonymous:
            raise field_error("allowAnonymous", True, "give either jwt or allowAnonymous: true, not both")
        if self.mode == "internal":
            if not self.allowed_namespaces:
                raise field_error("allowedNamespaces", [], "an internal model needs the namespaces that may call it")
            if self.jwt is not None or self.allow_anonymous:
                raise field_error("mode", "internal", "jwt and allowAnonymous apply to public models only")
        for ns in self.allowed_namespaces:
            if not is_dns_label(ns):
                raise field_error("allowedNamespaces", ns, "give Kubernetes namespace names (DNS-1123 labels)")
        return self


class SloSpec(Spec):
    """Service-level objectives; each becomes a Prometheus alert when monitoring is on."""

    latency_p95_ms: int | None = Field(default=None, ge=1, le=600000)
    """Alert when the model's p95 latency stays above this many milliseconds for 10 minutes."""
    error_rate_percent: float | None = Field(default=None, gt=0, le=100)
    """Alert when more than this percent (0-100) of requests get a 5xx for 10 minutes."""


class LlmSpec(Spec):
    """Options for ``format: huggingface`` (vLLM backend on GPUs)."""

    max_model_length: int | None = Field(default=None, ge=128, le=1048576)
    """Context length cap in tokens (128-1048576), passed to vLLM as ``--max-model-len``; needs GPUs."""
    huggingface_token_key: str | None = None
    (
        "Name of a config key (``mlplatform:<key>``) set with ``pulumi config set --secret`` to a Hugging Face token; "
        "the model reads it as ``HF_TOKEN``."
    )


class ModelSpec(Spec):
    """One model to serve. See docs/components/model-service.md for every field with an example."""

    namespace: str = "models"
    """Kubernetes namespace the model runs in (a DNS-1123 label)."""
    create_namespace: bool = True
    (
        "Create the namespace (Pod Security labels, Istio injection) with this model; give false when it exists or "
        "another component creates it (the stack program does, per namespace)."
    )
    format: FormatName | None = None
    (
        "The model format KServe serves (required unless ``container``): one of autogluon, huggingface, lightgbm, "
        "mlflow, onnx, paddle, pmml, pytorch, sklearn, tensorflow, tensorrt, triton, xgboost. A format, version and "
        "protocol no installed runtime serves is refused."
    )
    format_version: str | None = None
    (
        "The format's version (``modelFormat.version``), such as ``2`` for xgboost 2: KServe then picks only a runtime "
        "listing that version. Default: any version."
    )
    runtime: str | None = None
    (
        "Name of the ServingRuntime or ClusterServingRuntime to use. Default: KServe picks one for the format, version "
        "and protocol. A runtime we install or the stack's own (``mlplatform:runtimes``) must serve them; another "
        "name is a runtime you install yourself."
    )
    runtime_version: str | None = None
    """The runtime image's tag to use instead of the runtime's own (KServe's ``runtimeVersion``), such as ``1.7.1``."""
    container: ContainerSpec | None = None
    (
        "A custom model server instead of a runtime: image, command, port and probes (``args``, ``env``, "
        "``secretEnv`` and ``resources`` apply to it). Not with ``format`` or ``runtime``."
    )
    storage_uri: str | None = None
    (
        "Where the model is: ``s3://``, ``gs://``, ``https://<account>.blob.core.windows.net/``, any other "
        "``https://`` URL, ``hf://<org>/<model>[:<revision>]`` (nothing after the model), ``pvc://<claim>/<path>`` "
        "or ``oci://``. Required unless ``container`` or ``storageUris``. A private bucket must be on the stack's "
        "cloud unless ``storageSecret`` gives its credentials."
    )
    storage_uris: list[StorageUriSpec] = []
    (
        "Several models for one pod, each at its own ``mountPath`` (KServe's ``storageUris``); not with "
        "``storageUri``. Each is public, or read with ``storageSecret``. In Knative mode no ``oci://`` entry (KServe "
        "puts its modelcar into the Knative Service, which Knative refuses; give it as ``storageUri``), and a "
        "``pvc://`` entry turns on Knative's persistent-volume-claim features."
    )
    storage_secret: str | None = None
    (
        "Name of a Secret in the model's namespace with the storage credentials (S3-compatible endpoints such as "
        "MinIO or R2, private storage on an existing cluster): KServe's storage initializer reads it through the "
        "model's ServiceAccount. No cloud identity is created then."
    )
    image_pull_secrets: list[str] = []
    """Secrets (names) to pull the ``container`` image or an ``oci://`` model image from a private registry."""
    model_size_gb: float | None = Field(default=None, gt=0, le=10000)
    (
        "Size of the model's files in GB, for the cold-start estimate (download, load) and the deadlines that "
        "follow it. Give it for format huggingface on GPUs: an LLM's size has no honest default, and the plan fails "
        "the mandatory policy llm-model-size-given without it. Otherwise default: a typical size for the format, "
        "from components/coldstart.yaml."
    )
    public_storage: bool = False
    (
        "The bucket is readable anonymously: no cloud identity is created, so it may be on another cloud or serve an "
        "existing cluster. On ``s3://``, the model's ServiceAccount lists a Secret ``<model>-storage-anon`` "
        '(annotation ``serving.kserve.io/s3-useanoncredential: "true"``, empty keys) so that KServe\'s storage '
        "initializer sends unsigned requests."
    )
    protocol: Literal["v1", "v2", "grpc-v2", "openai"] | None = None
    (
        "KServe inference protocol: ``v1``, ``v2``, ``grpc-v2`` (the v2 protocol over gRPC: kserve-tritonserver, or "
        "the kserve Python servers and kserve-mlserver, whose gRPC port beside HTTP it then routes to) or "
        "``openai`` (huggingface only). Default: openai for huggingface, v2 with a ``runtime`` serving v2 but not v1 "
        "(kserve-mlserver, kserve-tritonserver) and for the formats only v2 runtimes serve (triton, onnx, tensorrt, "
        "mlflow), else v1."
    )
    args: list[str] = []
    """Extra arguments for the model server, after ours."""
    env: dict[str, str] = {}
    """Extra environment variables for the model server."""
    secret_env: dict[str, SecretKeySpec] = {}
    """Environment variables read from Secrets in the model's namespace: ``NAME: {secret, key}``."""
    resources: ResourcesSpec = ResourcesSpec()
    """Per-replica CPU, memory and GPUs."""
    scaling: ScalingSpec = ScalingSpec()
    """Replica counts and the autoscaling metric."""
    canary_traffic_percent: int | None = Field(default=None, ge=0, le=100)
    """Percent of traffic (0-100) for the newest revision; Knative mode only."""
    tag_routing: bool = False
    (
        "Also serve the newest revision on a host of its own, ``latest-<name>-predictor-<namespace>.<domain>`` "
        "(``...svc.cluster.local`` for an internal model), beside the ``prev-`` host KServe gives the previous one "
        "while a canary takes less than 100 percent: KServe's ``serving.kserve.io/enable-tag-routing``. Each tagged "
        "host reaches the same pods with the same access rules. Knative mode only. Default: false."
    )
    rollout: RolloutSpec | None = None
    """How new pods replace old ones in Standard mode (maxSurge, maxUnavailable). Default: KServe's."""
    container_concurrency: int | None = Field(default=None, ge=0, le=1000)
    """Hard limit of requests one replica handles at once (Knative mode; 0: no limit). Default: no limit."""
    timeout: int | None = Field(default=None, ge=1)
    (
        "Seconds a request may take, at most the platform's max-revision-timeout (1800): Knative's revision timeout, "
        "or in Standard mode the request timeout of KServe's HTTPRoute (60 s without it). Default: the cold-start "
        "budget plus 300 s; a model that scales to zero needs at least the cold-start budget."
    )
    node_selector: dict[str, str] = {}
    """More node labels the model's pods must run on, merged with the GPU pool's."""
    tolerations: list[TolerationSpec] = []
    """More taints the model's pods tolerate, added to the GPU ones."""
    labels: dict[str, str] = {}
    """Labels for the model's pods; not keys the platform sets (see model-service.md)."""
    annotations: dict[str, str] = {}
    """Annotations for the model's pods; not keys the platform or KServe's settings use (see model-service.md)."""
    access: AccessSpec
    """Who can reach the model: ``public`` or ``internal``, and how callers authenticate."""
    slo: SloSpec = SloSpec()
    """Latency and error-rate objectives that become alerts."""
    llm: LlmSpec | None = None
    """vLLM options; ``format: huggingface`` only."""
    transformer: TransformerSpec | None = None
    """A transformer in front of the predictor (its own container, scaling and resources); callers reach it first."""
    explainer: ExplainerSpec | None = None
    """An explainer (KServe's ART, or your own container) that answers ``/v1/models/<name>:explain``."""
    batcher: BatcherSpec | None = None
    """Request batching in the predictor's pods by KServe's agent sidecar (maxBatchSize, maxLatency)."""
    logger: LoggerSpec | None = None
    (
        "Log the predictor's requests and/or responses to the platform's request-log store "
        "(components/serving/logger_spec.py). A transformer or explainer logs with its own ``logger``."
    )

    def loggers(self) -> dict[str, str | None]:
        """Each component's logger mode (None: it does not log), by its key path: ``logger``,
        ``transformer.logger``, ``explainer.logger``."""
        t, e = self.transformer, self.explainer
        return {
            "logger": self.logger.mode if self.logger is not None else None,
            "transformer.logger": t.logger.mode if t is not None and t.logger is not None else None,
            "explainer.logger": e.logger.mode if e is not None and e.logger is not None else None,
        }

    @property
    def logs(self) -> bool:
        """Whether the predictor, the transformer or the explainer logs requests."""
        return any(mode is not None for mode in self.loggers().values())

    @field_validator("namespace")
    @classmethod
    def _ns(cls, v: str) -> str:
        return own_namespace(v, "model")

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, v: int | None) -> int | None:
        """The platform's ``max-revision-timeout-seconds`` bounds it whatever the caller (a stack file or Python):
        Knative's webhook refuses a longer revision timeout (pkg/apis/serving/v1/revision_validation.go
        validateTimeoutSeconds); :func:`platform_problems` said so for a stack file only (red team #17c)."""
        from components.platform.knative import MAX_REVISION_TIMEOUT

        if v is not None and v > int(MAX_REVISION_TIMEOUT):
            raise value_error(f"give at most {MAX_REVISION_TIMEOUT} (the platform's max-revision-timeout)")
        return v

    @field_validator("storage_uri")
    @classmethod
    def _uri(cls, v: str | None) -> str | None:
        from components.errors import SpecError

        if v is None:
            return v
        try:
            parse_storage_uri(v)
        except SpecError as e:
            raise value_error(e.accepted, e.value) from None  # e.value: the URI with any credential redacted
        return v

    @model_validator(mode="after")
    def _what(self) -> ModelSpec:
        if self.container is not None:
            for key, given in (
                ("format", self.format),
                ("formatVersion", self.format_version),
                ("runtime", self.runtime),
                ("runtimeVersion", self.runtime_version),
                ("llm", self.llm),
            ):
                if given is not None:
                    raise field_error(key, given, "a custom container is its own model server; remove it")
            if self.protocol not in (None, "v1", "v2"):  # gRPC: container.port.protocol grpc
                raise field_error("protocol", self.protocol, "a custom container speaks v1 or v2 (KServe's PROTOCOL)")
        elif self.format is None:
            if self.runtime is None:
                raise field_error(
                    "format", None, "give the model format (one of " + ", ".join(FORMATS) + ") or a container"
                )
            raise field_error(
                "format",
                None,
                f"give the format runtime {self.runtime} serves (KServe matches it against the runtime's "
                "supportedModelFormats): one of " + ", ".join(FORMATS),
            )
        if self.storage_uri is None and not self.storage_uris and self.container is None:
            raise missing_error("storageUri", "give storageUri (or storageUris, or a container)")
        if self.storage_uri is not None and self.storage_uris:
            # "Setting both StorageURI and StorageURIs is not supported." (inference_service_validation.go v0.20.0)
            both = {"storageUri": self.storage_uri, "storageUris": self.storage_uris}  # the line is about both keys
            raise field_error("storageUris", both, "give storageUri or storageUris, not both (KServe's rule)")
        for problem in storage_problems(self):
            raise field_error(*problem)
        if self.format_version is not None and not _FORMAT_VERSION.match(self.format_version):
            raise field_error("formatVersion", self.format_version, "give a version such as 1 or 2")
        if self.runtime_version is not None and not _TAG.match(self.runtime_version):
            raise field_error(
                "runtimeVersion",
                self.runtime_version,
                "give an image tag: letters, digits, '_', '.' and '-', starting with a letter, digit or '_' (at most "
                "128)",
            )
        if self.runtime is not None and not is_dns_label(self.runtime):
            raise field_error("runtime", self.runtime, "give the name of a ServingRuntime or ClusterServingRuntime")
        if self.llm is not None and self.format != "huggingface":
            raise field_error("llm", self.llm, "llm settings apply to format: huggingface only")
        if self.protocol == "openai" and self.format != "huggingface":
            raise field_error("protocol", "openai", "the openai protocol is served by format: huggingface only")
        if self.protocol == "v1" and self.format == "triton":
            raise field_error("protocol", "v1", "triton serves the v2 protocol only; give v2 or leave it out")
        if self.format == "huggingface" and self.resources.gpus == 0 and self.llm and self.llm.max_model_length:
            raise field_error(
                "llm.maxModelLength",
                self.llm.max_model_length,
                "applies to the vLLM backend, which needs GPUs; give resources.gpus >= 1 and an accelerator",
            )
        for path, value, accepted in model_problems(self):
            raise field_error(path, value, accepted)
        return self

    @property
    def identity_storage_uri(self) -> str | None:
        """The storage URI the model reads with a cloud identity (a private bucket on a cloud, without
        ``storageSecret``), or None when it needs none."""
        if self.storage_uri is None or self.public_storage or self.storage_secret is not None:
            return None
        return self.storage_uri if parse_storage_uri(self.storage_uri).cloud is not None else None

    @property
    def claims_in_storage_uris(self) -> bool:
        """Whether a ``storageUris`` entry is a ``pvc://`` claim: on Knative, KServe mounts it into the Knative
        Service's pod template itself, which needs Knative's persistent-volume-claim features
        (:func:`components.platform.knative.features`)."""
        return any(parse_storage_uri(u.uri).scheme == "pvc" for u in self.storage_uris)

    @property
    def anonymous_read(self) -> clouds.AnonymousRead | None:
        """The Secret that tells KServe's storage initializer to read the model's public storage anonymously
        (``publicStorage`` on a storage form that needs one: :attr:`components.clouds.StorageForm.anonymous_read`,
        red14m W1), or None."""
        if not self.public_storage:
            return None
        uris = [self.storage_uri, *(u.uri for u in self.storage_uris)]
        uris += [c.storage_uri for c in (self.transformer, self.explainer) if c is not None]
        schemes = {parse_storage_uri(u).scheme for u in uris if u is not None}
        return next(
            (f.anonymous_read for f in clouds.storage_forms() if f.scheme in schemes and f.anonymous_read), None
        )

    @property
    def effective_protocol(self) -> str:
        """The protocol in effect: the given one, else openai (huggingface), v2 (a named runtime serving v2 but not
        v1; triton, onnx) or v1.

        onnx is v2 because the only v0.20.0 runtime that auto-selects it, kserve-tritonserver, serves v2 and grpc-v2
        (see :mod:`components.serving.runtimes`); so are the other formats no v1 runtime auto-selects. A custom
        container speaks v1 unless it says v2 (KServe's ``CustomPredictor.GetProtocol``, predictor_custom.go).
        """
        if self.protocol is not None:
            return self.protocol
        if self.format == "huggingface":
            return "openai"
        named = runtimes.BY_NAME.get(self.runtime or "")
        if named is not None and not named.supports_protocol("v1") and named.supports_protocol("v2"):
            # a named runtime that serves v2 but not v1 (kserve-mlserver, kserve-tritonserver): KServe checks a named
            # runtime's protocols only when protocolVersion is given (components/predictor.go v0.20.0), and the
            # server speaks v2; rendering v2 says so (kserve/website versioned_docs/version-0.20/concepts/resources/
            # servingruntime.md names kserve-mlserver for sklearn without a protocolVersion)
            return "v2"
        if self.format and not runtimes.candidates(self.format, "v1", version=self.format_version):
            # tensorrt, triton, onnx and mlflow: only v2 runtimes auto-select them (kserve-tritonserver,
            # kserve-mlserver), so v2 is the protocol a model of them can be served over.
            return "v2"
        return "v1"


def platform_problems(
    spec: ModelSpec, deployment_mode: str, namespaced: Sequence[runtimes.Runtime] = ()
) -> list[tuple[str, object, str]]:
    """What in ``spec`` the platform's KServe ``deployment_mode`` cannot serve: (key path, value, accepted).

    ``namespaced``: the stack's own ServingRuntimes in the model's namespace (``mlplatform:runtimes``), which KServe
    looks at before the ClusterServingRuntimes we install. Shared by ``ModelService`` (raised as ``SpecError``) and
    the stack config check (raised before anything is registered), so both give the same sentence.
    """
    problems: list[tuple[str, object, str]] = []
    runtime_problem = runtimes_problem(spec, namespaced)
    if runtime_problem is not None:
        problems.append(runtime_problem)
    problems += llm_scaling.model_problems(spec, deployment_mode, namespaced)
    problems += collocated_probe_problems(spec.transformer, spec.container, deployment_mode)
    if deployment_mode != "Standard":
        if spec.access.mode == "internal" and spec.scaling.min_replicas == 0:
            # At zero Knative's activator holds the request and calls the model as itself, so the model's sidecar
            # cannot see the caller, and the activator's own choice of revision (first header value, Host fallback)
            # cannot be guarded by an AuthorizationPolicy (components.serving._auth).
            problems.append(
                (
                    "scaling.minReplicas",
                    0,
                    "an internal model cannot scale to zero in Knative mode (Knative's activator would stand between "
                    "caller and model and hide the caller); give >= 1, or use platform.deploymentMode: Standard",
                )
            )
        if spec.rollout is not None:
            # validateScalingKPACompExtension (inference_service_validation.go v0.20.0): "customizing
            # deploymentStrategy is only supported for raw deployment mode".
            problems.append(
                (
                    "rollout",
                    spec.rollout,
                    "rollout applies to platform.deploymentMode: Standard; in Knative mode use canaryTrafficPercent",
                )
            )
        if spec.scaling.metric == "memory":
            # In Knative mode KServe hands the target to Knative's HPA class, which reads a memory target as MiB per
            # pod (knative/serving knative-v1.21.3 pkg/reconciler/autoscaling/hpa/resources/hpa.go: target x 1024 x
            # 1024, AverageValue), while KServe's webhook caps it at 100: at most 100 MiB per pod.
            problems.append(
                (
                    "scaling.metric",
                    "memory",
                    "memory scaling needs platform.deploymentMode: Standard (in Knative mode KServe caps the target at "
                    "100 and Knative reads it as MiB per pod); give cpu, concurrency or rps",
                )
            )
        for i, entry in enumerate(spec.storage_uris):
            if parse_storage_uri(entry.uri).scheme != "oci":
                continue
            # exp14r F1: for storageUris KServe v0.20.0 builds the modelcar into the Knative Service's pod template
            # (reconcilers/knative/ksvc_reconciler.go -> storage_initializer_injector.go CommonStorageInitialization ->
            # pkg/utils/storage.go ConfigureModelcarToContainer: a modelcar container, a modelcar-init init container,
            # ``shareProcessNamespace: true``), and Knative v1.21's webhook refuses shareProcessNamespace unless
            # ``kubernetes.podspec-shareprocessnamespace`` is on (knative/serving knative-v1.21.3
            # pkg/apis/serving/fieldmask.go PodSpecMask, features.go: Disabled by default); beside a runtime's server,
            # whose container declares no port (kserve-runtime-configs v0.20.0), the modelcar makes two containers
            # without one, which it refuses too (k8s_validation.go validateContainersPorts). A single storageUri is
            # given its modelcar by KServe's pod webhook (InjectModelcar), after Knative's validation.
            problems.append(
                (
                    f"storageUris.{i}.uri",
                    entry.uri,
                    "an oci:// entry of storageUris needs platform.deploymentMode: Standard (in Knative mode KServe "
                    "v0.20.0 puts its modelcar and shareProcessNamespace into the Knative Service, which Knative's "
                    "webhook refuses); give the image as storageUri, or use Standard mode",
                )
            )
        from components.platform.knative import MAX_REVISION_TIMEOUT

        if spec.timeout is not None and spec.timeout > int(MAX_REVISION_TIMEOUT):
            # Knative's webhook refuses a revision timeout above max-revision-timeout-seconds
            # (pkg/apis/serving/v1/revision_validation.go validateTimeoutSeconds), which the platform sets.
            problems.append(
                ("timeout", spec.timeout, f"give at most {MAX_REVISION_TIMEOUT} (the platform's max-revision-timeout)")
            )
    problems.extend(
        components_platform_problems(
            spec.transformer,
            spec.explainer,
            spec.access.mode,
            spec.scaling.min_replicas,
            deployment_mode,
            spec.scaling.resolved_metric(deployment_mode),
        )
    )
    if deployment_mode != "Standard":
        return problems
    if spec.container_concurrency is not None:
        # Only the Knative reconciler reads it (reconcilers/knative/ksvc_reconciler.go: ContainerConcurrency); the
        # Standard-mode Deployment reconciler does not (deployment_reconciler.go). ``timeout`` is read in Standard
        # mode too: KServe's Gateway API reconciler makes it every HTTPRoute rule's request timeout, 60 s without it
        # (reconcilers/ingress/httproute_reconciler.go resolveTimeout, DefaultTimeout; rev14h defect 1).
        problems.append(
            (
                "containerConcurrency",
                spec.container_concurrency,
                "Knative mode only (KServe's Standard mode ignores it); remove it in Standard mode",
            )
        )
    scaling = spec.scaling
    if scaling.min_replicas == 0:
        problems.append(("scaling.minReplicas", 0, "scale to zero needs platform.deploymentMode: Knative; give >= 1"))
    if scaling.metric in ("concurrency", "rps"):
        problems.append(
            (
                "scaling.metric",
                scaling.metric,
                "Standard mode scales on cpu or memory (HPA); give cpu or memory, or use platform.deploymentMode: "
                "Knative",
            )
        )
    if spec.canary_traffic_percent is not None:
        problems.append(
            (
                "canaryTrafficPercent",
                spec.canary_traffic_percent,
                "canary rollouts need revisions (platform.deploymentMode: Knative); remove it in Standard mode",
            )
        )
    if spec.tag_routing:
        # only KServe's Knative reconciler reads serving.kserve.io/enable-tag-routing (reconcilers/knative/
        # ksvc_reconciler.go, v0.20.0): Standard mode has no revisions to tag
        problems.append(
            ("tagRouting", True, "tags name revisions (platform.deploymentMode: Knative); remove it in Standard mode")
        )
    if "scale_down_delay" in scaling.model_fields_set:
        # red14h break 7: only Knative's autoscaler reads autoscaling.knative.dev/scale-down-delay; KServe v0.20.0's
        # Standard-mode autoscalers set no delay from it (pkg/controller/v1beta1/inferenceservice/reconcilers/hpa/
        # hpa_reconciler.go, reconcilers/keda/keda_reconciler.go: no stabilization window or cooldownPeriod), so a
        # given value would be dropped without a word
        problems.append(
            (
                "scaling.scaleDownDelay",
                scaling.scale_down_delay,
                "Knative mode only (KServe's Standard mode ignores it); remove it in Standard mode",
            )
        )
    return problems


def runtimes_problem(spec: ModelSpec, namespaced: Sequence[runtimes.Runtime] = ()) -> tuple[str, object, str] | None:
    """Why no KServe v0.20.0 runtime would serve ``spec`` (key path, value, accepted), or None; ``namespaced`` are
    the stack's ServingRuntimes in the model's namespace (:func:`components.serving.runtimes.select`).

    The predictor's ``protocolVersion`` is the effective protocol, left out for ``openai`` (KServe then matches on
    v1), as :func:`components.serving._runtime.predictor` renders it.
    """
    if spec.container is not None:
        return None
    protocol = None if spec.effective_protocol == "openai" else spec.effective_protocol
    if protocol == "grpc-v2":
        # a runtime that serves gRPC on a port we know: grpc-v2 runtimes, or v2 ones serving gRPC beside HTTP
        served = runtimes.grpc_serving(spec.format or "", spec.runtime, spec.format_version)
        if served is not None and runtimes.select(
            spec.format or "", served[1], spec.runtime, spec.format_version, namespaced
        ) == (served[0], None):
            return None
        chosen, why = runtimes.select(spec.format or "", protocol, spec.runtime, spec.format_version, namespaced)
        if why is None:
            known = ", ".join(f"{r} ({p})" for r, p in {**runtimes.GRPC_PORTS, **runtimes.V2_GRPC_PORTS}.items())
            return (
                "protocol",
                protocol,
                f"grpc-v2 is served here by the runtimes whose gRPC port is known only, {known}; {chosen} would "
                "be picked: give v2, or a custom container with a grpc port",
            )
    else:
        chosen, why = runtimes.select(spec.format or "", protocol, spec.runtime, spec.format_version, namespaced)
    if why is None:
        return None
    if spec.runtime is not None:
        return ("runtime", spec.runtime, why)
    if spec.format_version is not None and "formatVersion" in why:
        return ("formatVersion", spec.format_version, why)
    return ("format", spec.format, why)


_ISVC_NAME = re.compile(r"\A[a-z]([-a-z0-9]*[a-z0-9])?\Z", re.ASCII)
"""KServe's InferenceService name rule, ``IsvcNameFmt = "[a-z]([-a-z0-9]*[a-z0-9])?"`` (kserve/kserve
pkg/apis/serving/v1beta1/inference_service_validation.go, validateInferenceServiceName): a DNS-1035 label, so a name
starting with a digit is refused by KServe's admission webhook."""


CANARY_TAG = "prev"
"""The tag KServe v0.20.0 gives the previous revision's traffic target while a canary takes less than 100 percent
(reconcilers/knative/ksvc_reconciler.go: ``Tag: "prev"`` on the target of ``LatestRolledoutRevision``). Knative then
serves that target on its own host, ``{{.Tag}}-{{.Name}}`` (networking pkg/config ``DefaultTagTemplate``) through the
domain template, and refuses the route when any label of the host exceeds 63 characters
(pkg/reconciler/route/domains/domains.go ``DomainNameFromTemplate``: ``IsFullyQualifiedDomainName``, which checks
every label with ``IsDNS1123Label``; knative/serving knative-v1.21.3)."""


LATEST_TAG = "latest"
"""The tag KServe v0.20.0 gives the newest revision's traffic target when the InferenceService has
``serving.kserve.io/enable-tag-routing: "true"`` (:data:`TAG_ROUTING_ANNOTATION`; reconcilers/knative/
ksvc_reconciler.go: ``latestTarget.Tag = "latest"``, with or without a canary); Knative serves it on
``latest-<name>-predictor-<namespace>``, as :data:`CANARY_TAG`."""
TAG_ROUTING_ANNOTATION = "serving.kserve.io/enable-tag-routing"
"""``constants.EnableRoutingTagAnnotationKey`` (pkg/constants/constants.go v0.20.0); KServe reads the value
``"true"`` only, from the predictor's annotations, which take the InferenceService's (predictor.go
``buildObjectMeta``; not in the default ``ServiceAnnotationDisallowedList``, constants.go)."""


def check_model_name(name: str, namespace: str, spec: ModelSpec | None = None) -> str | None:
    """Why ``name`` cannot be a model name in ``namespace``, or None when it can.

    KServe admits InferenceService names of lowercase letters, digits and '-' starting with a letter (``_ISVC_NAME``);
    it names the predictor's Service ``<name>-predictor`` and Knative hosts ``<name>-predictor-<namespace>``; both
    must stay within a 63-character DNS label. A canary (``spec.canaryTrafficPercent`` below 100) also gets the
    previous revision's tagged host ``prev-<name>-predictor-<namespace>`` (:data:`CANARY_TAG`), which must fit too:
    Knative would otherwise fail the route on the second rollout, when the tag first appears.
    """
    if not is_dns_label(name) or not _ISVC_NAME.match(name):
        return (
            "give a DNS-1035 label: lowercase letters, digits and '-', starting with a letter and ending with a "
            "letter or digit (KServe's InferenceService name rule)"
        )
    # each component KServe runs in pods of its own is a Knative Service <name>-<component> (pkg/constants/
    # constants.go PredictorServiceName, TransformerServiceName, ExplainerServiceName at v0.20.0), served at
    # <name>-<component>-<namespace>: the transformer's and the explainer's are 2 characters longer than the
    # predictor's (red14o W4); a collocated transformer runs in the predictor's pods
    parts = ["predictor"]
    if spec is not None and spec.transformer is not None and not spec.transformer.collocated:
        parts.append("transformer")
    if spec is not None and spec.explainer is not None:
        parts.append("explainer")
    for part in parts:
        host = f"{name}-{part}-{namespace}"
        if len(host) > 63:
            return f"'{host}' is {len(host)} characters; keep <name>-{part}-<namespace> within 63"
        if spec is not None and spec.tag_routing:
            tagged = f"{LATEST_TAG}-{host}"
            if len(tagged) > 63:
                return (
                    f"with tagRouting the newest revision is served at '{tagged}', {len(tagged)} characters; keep "
                    f"latest-<name>-{part}-<namespace> within 63 (Knative's host label limit)"
                )
        percent = spec.canary_traffic_percent if spec is not None else None
        if percent is not None and percent < 100:
            tagged = f"{CANARY_TAG}-{host}"
            if len(tagged) > 63:
                return (
                    f"with canaryTrafficPercent the previous revision is served at '{tagged}', {len(tagged)} "
                    f"characters; keep prev-<name>-{part}-<namespace> within 63 (Knative's host label limit)"
                )
    return None


# ------------------------------------------------------------------------------------------------ shared rules


def reserved_namespace_prefixes() -> tuple[str, ...]:
    """Namespace prefixes a model may not take: ``kube-`` is reserved for Kubernetes system namespaces ("Avoid
    creating namespaces with the prefix kube-, since it is reserved for Kubernetes system namespaces":
    https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/), and each registered cloud's own
    (:attr:`components.clouds.Cloud.reserved_namespace_prefixes`, cited there)."""
    return ("kube-", *(p for c in clouds.all_clouds() for p in c.reserved_namespace_prefixes))


def reserved_namespaces() -> frozenset[str]:
    """Namespaces a model may not take: the platform's own (each add-on's ``NAMESPACE``), Kubernetes' system
    namespaces (and every ``kube-*``: :func:`reserved_namespace_prefixes`), each registered cloud's own
    (:attr:`components.clouds.Cloud.reserved_namespaces`, cited there), ``default`` (it has none of the labels,
    Pod Security and Istio injection, a model namespace gets, and cannot be deleted)."""
    from components.platform import certmanager, gpu, istio, knative, kserve, monitoring, requestlog

    return frozenset(
        {
            "default", "kube-system", "kube-public", "kube-node-lease",
            istio.NAMESPACE, istio.CNI_NAMESPACE, certmanager.NAMESPACE, knative.NAMESPACE, knative.OPERATOR_NAMESPACE,
            kserve.NAMESPACE, monitoring.NAMESPACE, gpu.PLUGIN_NAMESPACE, gpu.OPERATOR_NAMESPACE, gpu.DCGM_NAMESPACE,
            requestlog.NAMESPACE,
            *(n for c in clouds.all_clouds() for n in c.reserved_namespaces),
        }
    )  # fmt: skip


_ENV_NAME = re.compile(r"\A[-._a-zA-Z][-._a-zA-Z0-9]*\Z", re.ASCII)
"""Kubernetes' environment variable name rule (kubernetes apimachinery pkg/util/validation/validation.go,
``envVarNameFmt``); the relaxed rule behind the RelaxedEnvironmentVariableValidation gate accepts more, so a name that
passes this one is accepted by every cluster version."""
MAX_ARG_STRLEN = 32 * 4096
"""Longest ``NAME=value`` string Linux passes to a new process (include/uapi/linux/binfmts.h: ``MAX_ARG_STRLEN
(PAGE_SIZE * 32)``, 4 KiB pages): a longer variable makes the container's exec fail with E2BIG."""


def arg_length_problem(text: str) -> str | None:
    """Why one ``args`` or ``command`` string is too long for Linux, or None. ``execve`` copies each argument string
    with its terminating NUL and refuses one longer than ``MAX_ARG_STRLEN`` with E2BIG (include/uapi/linux/binfmts.h
    in torvalds/linux: "the maximum length and maximum number of strings passed to the execve() system call"), as
    for an environment string."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_ARG_STRLEN - 1:
        return f"give at most {MAX_ARG_STRLEN - 1} bytes (Linux)"
    return None


MIN_MEMORY_BYTES = 12 * 2**20
"""Least memory a model's container may be given, 12Mi. No runtime starts a container in less: CRI-O refuses a
memory limit under 12 MiB with runc (cri-o/cri-o pkg/config/config.go, ``defaultContainerMinMemory = 12 * 1024 *
1024``; internal/config/cgmgr/cgmgr_linux.go, "set memory limit %d too low"), Docker under 6 MiB because runc itself
needs that much to start a container (moby/moby#41168, "Set minimum memory limit to 6M, to account for higher startup
memory use"). Kubernetes accepts any positive quantity (``memory: "100"`` is 100 bytes), so the pod would be admitted
and then fail to start."""
_EXAMPLE = {"cpu": "500m", "memory": "4Gi"}
_CREDENTIAL_HINT = (
    "would be stored in plain text in the manifests and the state; reference a Secret with secretEnv (a Hugging "
    "Face token: llm.huggingfaceTokenKey), and read storage with the model's cloud identity or storageSecret"
)


MAX_QUANTITY = 2**63 - 1
"""The largest quantity Kubernetes represents (apimachinery quantity.go); larger ones are capped."""


def _resource_problems(res: ResourcesSpec) -> list[tuple[str, object, str]]:
    """CPU in whole millicores; memory in bytes a container can start in (not milli-bytes, at least 12Mi)."""
    problems: list[tuple[str, object, str]] = []
    for key, text in (("resources.cpu", res.cpu), ("resources.memory", res.memory)):
        if quantity_value(text) > MAX_QUANTITY:
            # "no quantity may represent a number greater than 2^63-1 in magnitude ... Numbers larger ... will be
            # capped" (kubernetes/apimachinery pkg/api/resource/quantity.go, the Quantity comment): the pod would
            # ask for another amount than written. On an existing cluster (nodes unknown) nothing else bounds it.
            problems.append((key, text, f"give at most {MAX_QUANTITY} (2^63-1): Kubernetes caps larger quantities"))
    if problems:
        return problems
    cpu = quantity_value(res.cpu)
    if cpu > 0 and cpu * 1000 != (cpu * 1000).to_integral_value():
        # "Precision finer than 1m is not allowed" (kubernetes.io/docs/tasks/configure-pod-container/
        # assign-cpu-resource, CPU units).
        problems.append(("resources.cpu", res.cpu, "give whole millicores (1m = 0.001): Kubernetes refuses finer"))
    memory = quantity_value(res.memory)
    if memory <= 0:
        return problems
    if suffix_of(res.memory) in ("n", "u", "m"):
        # Quantity suffixes are decimal SI (quantity.go: <decimalSI> ::= n | u | m | "" | k | M ...): "100m" of
        # memory is 0.1 byte, a valid quantity nobody means.
        problems.append(
            (
                "resources.memory",
                res.memory,
                f"{suffix_of(res.memory)} is a fraction of a byte ({memory.normalize():f} bytes); give mebibytes or "
                "gibibytes with Mi or Gi, such as 512Mi or 4Gi",
            )
        )
    elif memory < MIN_MEMORY_BYTES:
        problems.append(
            (
                "resources.memory",
                res.memory,
                f"that is {memory.normalize():f} bytes; give at least 12Mi, such as 4Gi (no container runtime starts a "
                "container in less; a quantity without a unit is bytes)",
            )
        )
    return problems


def model_problems(model: ModelSpec) -> list[tuple[str, object, str]]:
    """Cloud-independent rules on one model the types do not carry: (key path, value, accepted).

    Run by ``ModelSpec`` itself, so a Python caller, ``ModelService`` and a stack file get the same line.
    """
    problems: list[tuple[str, object, str]] = []
    for key in ("cpu", "memory"):
        value = getattr(model.resources, key)
        if quantity_value(value) <= 0:
            problems.append((f"resources.{key}", value, f"give a quantity above zero, such as {_EXAMPLE[key]}"))
    problems.extend(_resource_problems(model.resources))
    command = model.container.command if model.container is not None else []
    problems.extend(
        container_text_problems(model.env, model.args, command, reserved_env(model), templated=model.container is None)
    )
    for i, arg in enumerate(model.args):
        if not arg_credential(model.args, i) and "\0" not in arg and (why := _overridden_flag(model, arg)):
            problems.append((f"args.{i}", arg, why))
    problems.extend(server_args.runtime_server_problems(model))
    problems.extend(server_args.dropped_arg_problems(model))
    problems.extend(served_name_problems(model))
    problems.extend(_kserve_field_problems(model))
    problems.extend(batcher_problems(model))
    agent = model.batcher is not None or model.logger is not None
    if agent and model.container is not None and model.container.port.number == AGENT_PORT:
        problems.append(("container.port.number", AGENT_PORT, f"{AGENT_PORT_USER}; give another"))
    side = model.transformer
    if agent and side is not None and side.collocated and side.container.port.number == AGENT_PORT:
        # the transformer-container is in the predictor's pod, where the model's logger or batcher puts the agent
        problems.append(("transformer.container.port.number", AGENT_PORT, f"{AGENT_PORT_USER}; give another"))
    problems.extend(_agent_flag_problems(model, agent))
    problems.extend(
        collocation_problems(
            model.transformer,
            model.container,
            server_args.serving_runtime(model),
            model.format,
            model.effective_protocol,
        )
    )
    problems.extend(
        explainer_storage_problems(model.explainer, model.public_storage, model.storage_secret, model.transformer)
    )
    return problems


def _agent_flag_problems(model: ModelSpec, agent: bool) -> list[tuple[str, object, str]]:
    """``--http_port`` / ``--grpc_port`` of 9081 in the args of a custom container or a collocated transformer, in a
    pod with KServe's agent (red team #14f break 2; :func:`server_args.agent_port_flag`). A KServe runtime's own
    server is :func:`server_args.runtime_server_problems`'s."""
    if not agent:
        return []
    out: list[tuple[str, object, str]] = []
    side = model.transformer
    for key, args in (
        ("args", model.args if model.container is not None else []),
        ("transformer.args", side.args if side is not None and side.collocated else []),
    ):
        if (i := server_args.agent_port_flag(args)) is not None:
            out.append((f"{key}.{i}", args[i], server_args.agent_port_line(args[i])))
    return out


KNATIVE_RESERVED_ENV = ("PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION")
"""Environment variables Knative sets in the user container and refuses from it (knative/serving knative-v1.21.3
pkg/apis/serving/k8s_validation.go ``reservedEnvVars``)."""


def reserved_env(model: ModelSpec) -> dict[str, str]:
    """Environment variables a model may not set, with who sets them."""
    out = dict.fromkeys(KNATIVE_RESERVED_ENV, "Knative")
    if model.container is not None:
        out["STORAGE_URI"] = "mlplatform (storageUri, for KServe's storage initializer)"
        out["PROTOCOL"] = "mlplatform (protocol, KServe's custom-container protocol)"
    if model.llm is not None and model.llm.huggingface_token_key:
        out["HF_TOKEN"] = "mlplatform (llm.huggingfaceTokenKey)"
    return out


OBJECT_META_FIELDS = (
    "Name", "GenerateName", "Namespace", "SelfLink", "UID", "ResourceVersion", "Generation", "CreationTimestamp",
    "DeletionTimestamp", "DeletionGracePeriodSeconds", "Labels", "Annotations", "OwnerReferences", "Finalizers",
    "ManagedFields",
)  # fmt: skip
"""The fields of Kubernetes' ``ObjectMeta`` (k8s.io/apimachinery pkg/apis/meta/v1/types.go, read at v0.35.7 as
vendored by knative/serving; KServe v0.20.0 pins v0.34.5): what a placeholder of a runtime's container may name."""
_PLACEHOLDER = re.compile(
    r"\{\{(?:- +| *)\.([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?(?: +-| *)\}\}", re.ASCII
)


def placeholder_problem(text: str) -> str | None:
    """Why KServe's ``ReplacePlaceholders`` would fail on ``text`` in a runtime's container, or None.

    KServe v0.20.0 (pkg/controller/v1beta1/inferenceservice/utils/utils.go ``ReplacePlaceholders``) marshals the
    merged ``kserve-container`` (the runtime's, with the model's args and env merged in) to JSON, parses the JSON with
    Go's ``text/template`` and executes it on the InferenceService's ``ObjectMeta``; on an error the predictor is
    marked InvalidSpec ("ErrInvalidPlaceholder", components/predictor.go) and never served. Accepted here: text
    without ``{{``, and actions ``{{.Field}}`` naming a field of ObjectMeta (:data:`OBJECT_META_FIELDS`), or
    ``{{.Labels.key}}`` / ``{{.Annotations.key}}`` (a map key, "<no value>" when absent). Anything else in ``{{ }}``
    (an unclosed action, a function, a quoted string, which JSON escapes to ``\\"`` and the parser refuses, an
    unknown field: "can't evaluate field") is refused, though some of it would parse: the check is conservative.
    """
    start = 0
    while (at := text.find("{{", start)) >= 0:
        action = _PLACEHOLDER.match(text, at)
        if action is None:
            return "'{{' that opens no {{.Field}} placeholder"
        field, key = action.groups()
        if field not in OBJECT_META_FIELDS or (key is not None and field not in ("Labels", "Annotations")):
            return f"{{{{.{field}{'.' + key if key else ''}}}}}, which names no field of ObjectMeta"
        start = action.end()
    return None


def placeholder_line(why: str) -> str:
    """The accepted text for a placeholder ``why`` (:func:`placeholder_problem`) in a runtime's container."""
    return (
        "KServe fills a runtime container's placeholders from the InferenceService's metadata (ReplacePlaceholders, "
        f"a Go template) and fails on {why}; give {{{{.Name}}}}, {{{{.Namespace}}}} or another ObjectMeta field, or "
        "no '{{'"
    )


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_UTF8_WHY = "give UTF-8 text: a lone surrogate such as \\ud800 cannot be sent to Kubernetes (JSON in UTF-8)"


def batcher_problems(model: ModelSpec) -> list[tuple[str, object, str]]:
    """A batcher where KServe never batches (rev14e defect 5): its agent batches only requests whose path ends in
    ``:predict`` (kserve v0.20.0 pkg/batcher/handler.go ``ServeHTTP``: ``regexp.MustCompile(`:predict$`)``, every
    other request is passed on unbatched), the v1 REST call; KServe's docs say "batching is only implemented with
    KServe v1 HTTP protocol; gRPC is not supported yet" (kserve/website
    versioned_docs/version-0.20/model-serving/predictive-inference/batcher/batcher.md). The requests that reach the
    predictor are in its protocol, or through a transformer in the transformer's (it calls the predictor in its own
    ``--protocol``)."""
    if model.batcher is None:
        return []
    protocol = model.effective_protocol
    grpc_port = model.container is not None and model.container.port.protocol == "grpc"
    why = "KServe's batcher batches v1 :predict requests only (pkg/batcher/handler.go); remove batcher"
    if protocol != "v1" or grpc_port:
        served = "grpc-v2 (a gRPC port)" if grpc_port and protocol == "v1" else protocol
        return [("batcher", model.batcher, f"the model serves {served}; {why}")]
    if model.transformer is not None and not model.transformer.collocated and model.transformer.protocol != "v1":
        return [
            ("batcher", model.batcher, f"the transformer calls the predictor over {model.transformer.protocol}; {why}")
        ]
    return []


def container_text_problems(
    env: Mapping[str, str],
    args: Sequence[str],
    command: Sequence[str],
    reserved: Mapping[str, str],
    *,
    templated: bool,
) -> list[tuple[str, object, str]]:
    """The rules on a model server's ``env``, ``args`` and ``container.command`` (key path, value, accepted), shared
    by a model (:func:`model_problems`) and a stack runtime (:mod:`components.serving.stack_runtime`): Kubernetes'
    env name rule, names someone else sets (``reserved``, name to who), UTF-8, Linux's length bound, credentials in
    plain text, NUL, and with ``templated`` (the container of a KServe runtime) KServe's placeholders
    (:func:`placeholder_problem`)."""
    problems: list[tuple[str, object, str]] = []
    for name, value in env.items():
        path = f"env.{name}"
        if not _ENV_NAME.match(name):
            problems.append(
                (
                    "env",
                    name,
                    "give environment variable names of letters, digits, '_', '-' and '.', not starting with a digit",
                )
            )
        elif name in reserved:
            problems.append(("env", name, f"{reserved[name]} sets {name}; remove it"))
        elif not _utf8(value):
            problems.append((path, value, _UTF8_WHY))
        elif len(name) + 1 + len(value.encode()) > MAX_ARG_STRLEN - 1:
            problems.append(
                (path, f"({len(value.encode())} bytes)", f"give at most {MAX_ARG_STRLEN - len(name) - 2} bytes (Linux)")
            )
        elif env_credential(name, value):
            problems.append((path, PLAIN_TEXT, "a credential in env " + _CREDENTIAL_HINT))
        elif "\0" in value:
            problems.append((path, "(a value with a NUL character)", "give values without NUL characters " + _NUL_WHY))
        elif templated and (why := placeholder_problem(value)):
            problems.append((path, value, placeholder_line(why)))
    for key, what, texts in (("args", "arguments", args), ("container.command", "a command", command)):
        for i, text in enumerate(texts):
            if not _utf8(text):
                problems.append((f"{key}.{i}", text, _UTF8_WHY))
            elif why_long := arg_length_problem(text):
                problems.append((f"{key}.{i}", f"({len(text.encode())} bytes)", why_long))
            elif looks_like_credential(text) or (key == "args" and arg_credential(texts, i)):
                problems.append((f"{key}.{i}", PLAIN_TEXT, f"a credential in {key} " + _CREDENTIAL_HINT))
            elif "\0" in text:
                problems.append((f"{key}.{i}", text, f"give {what} without NUL characters " + _NUL_WHY))
            elif templated and (why := placeholder_problem(text)):
                problems.append((f"{key}.{i}", text, placeholder_line(why)))
    return problems


ANNOTATIONS_MAX_BYTES = 256 * 1024
"""Kubernetes' bound on an object's annotations, keys and values together (apimachinery ``TotalAnnotationSizeLimitB``,
pkg/api/validation/objectmeta.go)."""


def _kserve_field_problems(model: ModelSpec) -> list[tuple[str, object, str]]:
    """The rules on secret references, pod labels and annotations, node selectors and pull secrets."""
    problems: list[tuple[str, object, str]] = []
    reserved = reserved_env(model)
    for kind, names in (("env", model.env), ("secretEnv", model.secret_env)):
        for name in names:
            if name in reserved:
                problems.append((kind, name, f"{reserved[name]} sets {name}; remove it"))
            elif blocked := blocked_env_problem(name):
                problems.append((kind, name, blocked))
    for name in model.secret_env:
        if not _ENV_NAME.match(name):
            problems.append(("secretEnv", name, "give environment variable names of letters, digits, '_', '-' and '.'"))
        elif name in model.env:
            problems.append(
                (f"secretEnv.{name}", model.secret_env[name], f"env already sets {name}; give it in one of them")
            )
    if cycle := envrefs.cycle_problem(model.env, model.secret_env):
        problems.append((f"env.{cycle[0]}", cycle[1], cycle[2]))
    elif model.container is not None and (
        late := envrefs.platform_reference_problem(model.env, ("STORAGE_URI", "PROTOCOL"))
    ):
        # a custom container's STORAGE_URI and PROTOCOL are rendered after its env (_runtime.py env)
        problems.append((f"env.{late[0]}", late[1], late[2]))
    for kind, mapping in (("labels", model.labels), ("annotations", model.annotations)):
        for key, value in mapping.items():
            if why := qualified_key_problem(key) or platform_key_problem(key):
                problems.append((kind, key, why))
            elif kind == "labels" and (why := label_value_problem(value)):
                problems.append((f"labels.{key}", value, why))
            elif looks_like_credential(value):
                problems.append((f"{kind}.{key}", PLAIN_TEXT, "a credential in metadata " + _CREDENTIAL_HINT))
    size = sum(len(k.encode()) + len(v.encode()) for k, v in model.annotations.items())
    if size > ANNOTATIONS_MAX_BYTES:
        # apimachinery pkg/api/validation/objectmeta.go ValidateAnnotationsSize: TotalAnnotationSizeLimitB, keys and
        # values together (the platform's own annotations come on top of these).
        problems.append(
            (
                "annotations",
                f"{size} bytes",
                f"give annotations of at most {ANNOTATIONS_MAX_BYTES} bytes in all (Kubernetes' limit, keys and "
                "values)",
            )
        )
    if model.runtime_version is not None and model.resources.gpus and model.container is None:
        protocol = None if model.effective_protocol == "openai" else model.effective_protocol
        chosen, _ = runtimes.select(model.format or "", protocol, model.runtime, model.format_version)
        if chosen in runtimes.GPU_TAG_RUNTIMES and not model.runtime_version.endswith("-gpu"):
            problems.append(
                (
                    "runtimeVersion",
                    model.runtime_version,
                    f"{chosen} runs GPUs from its -gpu image, and KServe appends -gpu only when runtimeVersion is not "
                    f"given (UpdateImageTag); give the GPU tag, such as {model.runtime_version}-gpu",
                )
            )
    for key, value in model.node_selector.items():
        if why := qualified_key_problem(key) or label_value_problem(value):
            problems.append(("nodeSelector", key, why))
        elif key.startswith("mlplatform.io/"):
            problems.append(("nodeSelector", key, "the platform sets mlplatform.io/* from resources.accelerator"))
    for i, secret in enumerate([*model.image_pull_secrets, *([model.storage_secret] if model.storage_secret else [])]):
        if why := secret_name_problem(secret):
            where = f"imagePullSecrets.{i}" if i < len(model.image_pull_secrets) else "storageSecret"
            problems.append((where, secret, why))
    return problems


def storage_problems(model: ModelSpec) -> list[tuple[str, object, str]]:
    """What is wrong with where the model is: each ``storageUris`` entry as a storage URI, mount paths unique, and
    storage that needs a cloud identity, which only ``storageUri`` gets, read with ``storageSecret`` or public."""
    from components.errors import SpecError

    problems: list[tuple[str, object, str]] = []
    paths: set[str] = set()
    for i, entry in enumerate(model.storage_uris):
        try:
            loc = parse_storage_uri(entry.uri, f"storageUris.{i}.uri")
        except SpecError as e:
            problems.append((e.path, e.value, e.accepted))
            continue
        where = posixpath.normpath(entry.mount_path)  # /mnt/models/ and /mnt/models/. are /mnt/models
        if where in paths:
            problems.append((f"storageUris.{i}.mountPath", entry.mount_path, "give each model its own mountPath"))
        paths.add(where)
        if loc.cloud is not None and not model.public_storage and model.storage_secret is None:
            problems.append(
                (
                    f"storageUris.{i}.uri",
                    redact_uri(entry.uri),
                    "storageUris get no cloud identity; give storageSecret (a Secret with the credentials) or "
                    "publicStorage: true",
                )
            )
    if oci := oci_mount_path_problem([(e.uri, e.mount_path) for e in model.storage_uris]):
        problems.append((f"storageUris.{oci[0]}.mountPath", oci[1], oci[2]))
    if parent := common_parent_problem([(e.uri, e.mount_path) for e in model.storage_uris]):
        problems.append((f"storageUris.{parent[0]}.mountPath", parent[1], parent[2]))
    if model.storage_secret is not None and model.public_storage:
        problems.append(("storageSecret", model.storage_secret, "a public bucket needs no credentials; remove one"))
    return problems


_NUL_WHY = (
    "(a process receives its arguments and environment as NUL-terminated strings, execve(2); the container runtime "
    "refuses them: Go's syscall.ByteSliceFromString returns EINVAL)"
)


def _flag_key(flag: str) -> str:
    return flag.replace("_", "-")


HF_SERVER_RUNTIMES = ("kserve-huggingfaceserver", "kserve-huggingfaceserver-multinode")
"""KServe's ClusterServingRuntimes whose server is KServe's Hugging Face server, the one that reads ``--backend`` and
passes vLLM's options on (both run ``python -m huggingfaceserver``, server-type huggingfaceserver:
upstream/reference/kserve-v0.20.0-clusterservingruntimes.yaml): the only ones that get
mlplatform's vLLM flags (components/serving/_runtime.py ``runtime_args``)."""


def _overridden_flag(model: ModelSpec, arg: str) -> str | None:
    """Why ``arg`` overrides a flag the model's KServe runtime (or this package) already sets, or None.

    A flag matches when it names the same option by any of its option strings (Triton's ``--model-repository`` is
    its ``--model-store``, vLLM's ``-tp`` its ``--tensor-parallel-size``: :data:`runtimes.FLAG_ALIASES`,
    :data:`runtimes.VLLM_GPU_FLAGS`), with ``-`` and ``_`` alike in long options (vLLM's ``FlexibleArgumentParser``,
    "ArgumentParser that allows both underscore and dash in names", vllm/utils/argparse_utils.py, which the Hugging
    Face runtime uses; to the other servers the other spelling is at best an unknown flag) or as a prefix of it
    (Python's argparse accepts unambiguous abbreviations, ``allow_abbrev`` is on by default, for single-dash options
    of more than one letter too).
    """
    if not arg.startswith("-") or len(arg) < 2 or arg == "--":
        return None
    runtime = _runtime_of(model)
    given = arg.split("=", 1)[0]
    if runtime in runtimes.NAMED_RUNTIMES:
        if given == runtimes.MODEL_NAME_FLAG:
            return None  # the model's served name (served_name_problems checks it)
        if _same_option("--served-model-name", given):
            return (
                "with the vLLM backend it replaces the model's name (huggingfaceserver __main__.py: "
                "args.model_name = args.served_model_name[0]); give --model_name=<name>"
            )
    ours: list[tuple[tuple[str, ...], str]] = []
    if runtime in runtimes.SERVER_FLAGS:
        aliases = runtimes.FLAG_ALIASES.get(runtime, {})
        ours += [((f, *aliases.get(f, ())), f"KServe's runtime {runtime}") for f in runtimes.SERVER_FLAGS[runtime]]
    gpu_flags: tuple[tuple[str, ...], ...] = ()
    if model.format == "huggingface" and model.resources.gpus and model.runtime in (None, *HF_SERVER_RUNTIMES):
        # components/serving/_runtime.py runtime_args: vLLM settings from the spec, for KServe's Hugging Face server
        # only (a runtime named here that is not one of its runtimes gets none; an auto-selected stack runtime is
        # known only with the stack's runtimes, so the flags stay refused then)
        ours.append((("--backend",), "mlplatform (vLLM on GPUs)"))
        gpu_flags = runtimes.VLLM_GPU_FLAGS
        ours += [(names, "mlplatform (resources.gpus)") for names in gpu_flags]
        if model.llm is not None and model.llm.max_model_length is not None:
            ours.append((("--max-model-len",), "mlplatform (llm.maxModelLength)"))
    for names, owner in ours:
        matched = next((name for name in names if _same_option(name, given)), None)
        if matched is None:
            continue
        flag = names[0]
        if names in gpu_flags and flag != "--tensor-parallel-size":
            return (
                f"it would change how many GPUs vLLM uses ({flag}: the engine's world size is tensor x pipeline x "
                "data parallel), and mlplatform (resources.gpus) sets --tensor-parallel-size to the pod's GPUs; "
                "remove it"
            )
        if matched != flag:
            return f"{matched} is {flag} under another name, which {owner} sets; remove it"
        return (
            f"it would override {flag}, which {owner} sets (KServe appends these args to the runtime's, and the "
            "last value wins); remove it"
        )
    return None


def _runtime_of(model: ModelSpec) -> str | None:
    """The KServe runtime that serves ``model`` (None for a custom container or no match)."""
    protocol = None if model.effective_protocol == "openai" else model.effective_protocol
    runtime, _ = runtimes.select(model.format or "", protocol, model.runtime)
    return None if model.container is not None else runtime


def served_model_name(name: str, model: ModelSpec) -> str:
    """The name model ``name`` is served under, which its inference paths carry (``/v1/models/<it>:predict``,
    ``/v2/models/<it>/infer``): its ``--model_name`` where the runtime reads one (:data:`runtimes.NAMED_RUNTIMES`),
    else ``name``, which KServe's runtimes pass (``--model_name={{.Name}}``)."""
    if _runtime_of(model) not in runtimes.NAMED_RUNTIMES:
        return name
    return runtimes.served_name(model.args, name)


def served_name_problems(model: ModelSpec) -> list[tuple[str, object, str]]:
    """What is wrong with the ``--model_name`` of a model's args (:data:`runtimes.NAMED_RUNTIMES`)."""
    if _runtime_of(model) not in runtimes.NAMED_RUNTIMES:
        return []
    problems: list[tuple[str, object, str]] = []
    for i, arg in enumerate(model.args):
        if arg == runtimes.MODEL_NAME_FLAG:
            value: str | None = model.args[i + 1] if i + 1 < len(model.args) else None
        elif arg.startswith(runtimes.MODEL_NAME_FLAG + "="):
            value = arg.split("=", 1)[1]
        else:
            continue
        if value is None or not runtimes.SERVED_NAME.fullmatch(value):
            problems.append(
                (
                    f"args.{i}",
                    arg,
                    "give --model_name=<name> with 1-63 letters, digits, '-' and '_', starting with a letter or "
                    "digit (one path segment: /v1/models/<name>:predict)",
                )
            )
        elif model.transformer is not None or model.explainer is not None:
            # KServe passes --model_name <isvc> to a transformer and an explainer, which call the predictor by it
            # (transformer_custom.go, explainer_custom.go, explainer_art.go GetContainer)
            problems.append(
                (
                    f"args.{i}",
                    arg,
                    "a transformer or explainer calls the predictor by the model's own name (KServe passes it "
                    "--model_name <model>); remove --model_name",
                )
            )
    return problems


def _same_option(name: str, given: str) -> bool:
    """Whether the argument's option part ``given`` names option string ``name``, as a whole or abbreviated."""
    if name.startswith("--") != given.startswith("--") or len(given) < 2:
        return False
    if name.startswith("--"):
        return len(given) > 2 and _flag_key(name).startswith(_flag_key(given))
    return name.startswith(given)


def size_text(gb: float) -> str:
    """``modelSizeGb`` as text that reads back as the same number (red14h break 10: ``:g`` kept 6 digits, so
    ``5.0000001`` showed as 5 in the line refusing it as over 5 GB, and the size annotation said 5): a whole value
    without a fraction (``5``, as the stack file gives it), else Python's shortest round-trip ``repr``."""
    if math.isfinite(gb) and gb.is_integer() and abs(gb) < 1e16:
        return str(int(gb))
    return repr(gb)
