"""A model's KServe components besides the predictor (issue #14): a transformer, an explainer, and the predictor's
request batcher.

Pure typed specs and rules; :mod:`components.serving.spec` puts them on ``ModelSpec`` (``transformer``,
``explainer``, ``batcher``) and :mod:`components.serving._kcomponents` renders them. Sources are kserve/kserve at tag
v0.20.0 unless named otherwise:

- ``TransformerSpec`` and ``ExplainerSpec`` are a PodSpec plus a ``ComponentExtensionSpec`` (min/max replicas, scale
  metric and target, containerConcurrency, timeout, labels, annotations, ...): pkg/apis/serving/v1beta1/
  transformer.go, explainer.go, component.go. The only transformer is a custom container (transformer_custom.go);
  the explainers are ART (``art``, type ``SquareAttack``: explainer_art.go) and a custom container
  (explainer_custom.go). Alibi is gone from v0.20.0's API: ``ExplainerSpec`` has no ``alibi`` field (and the CRD in
  upstream/crd-schemas has none), so it is not offered.
- KServe appends ``--model_name <isvc>``, ``--predictor_host <isvc>-predictor.<ns>`` and ``--http_port 8080`` to a
  custom transformer's args unless they are given (``IncludesArg``: the argument or a prefix of it,
  pkg/utils/collections.go), and to a custom explainer's the first two and ``--http_port 8080`` always
  (transformer_custom.go and explainer_custom.go ``GetContainer``).
- The batcher (``Batcher``: inference_service.go) runs in KServe's agent sidecar, which the pod webhook injects
  (pkg/webhook/admission/pod/agent_injector.go) with only ``--max-batchsize`` and ``--max-latency``
  (components/component.go ``addBatcherAnnotations`` passes no ``timeout``); the agent exits on a value that is not
  a whole number above 0 (cmd/agent/main.go ``startBatcher``).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components import envrefs
from components.credentials import PLAIN_TEXT, arg_credential, env_credential, looks_like_credential, redact_uri
from components.serving.kspec import (
    ContainerSpec,
    SecretKeySpec,
    TolerationSpec,
    label_value_problem,
    qualified_key_problem,
)
from components.serving.logger_spec import ComponentLoggerSpec
from components.serving.quantity import is_quantity, quantity_value
from components.spec import Spec, field_error, value_error

AGENT_PORT = 9081
"""KServe's agent port (``constants.InferenceServiceDefaultAgentPort``, pkg/constants/constants.go): with a batcher
the queue-proxy's ``USER_PORT`` (Knative) or the Standard-mode Service's target port (service_reconciler.go
``createDefaultSvc``) is the agent's, which calls the model server."""
AGENT_PORT_USER = f"KServe's agent (batcher, logger) serves on {AGENT_PORT}"
"""Who uses :data:`AGENT_PORT` in a logging or batching component's pod: KServe v0.20.0 injects its agent container,
listening on 9081, into every pod whose component has a logger or a batcher (pkg/webhook/admission/pod/
agent_injector.go), beside the component's own container; for the custom container, a collocated or separate
transformer and the stack runtime checks alike."""
TRANSFORMER_PORT = 8080
"""The port KServe tells a custom transformer to serve on unless its args say otherwise (``--http_port`` with
``constants.InferenceServiceDefaultHttpPort``, transformer_custom.go ``GetContainer``)."""
ART_TYPES = ("SquareAttack",)
"""``ARTExplainerType`` values (explainer_art.go: ``ARTSquareAttackExplainer`` is the only one)."""
ART_CONFIG_KEYS = ("nb_classes", "max_iter")
"""The settings KServe's ART explainer server reads (python/artexplainer/artserver/__main__.py: ``--nb_classes``,
``--max_iter``); KServe passes each ``config`` entry as ``--<key> <value>`` (explainer_art.go ``GetContainer``)."""
_ENV_NAME = re.compile(r"\A[-._a-zA-Z][-._a-zA-Z0-9]*\Z", re.ASCII)
"""Kubernetes' environment variable name rule (apimachinery ``envVarNameFmt``), as for the predictor."""
RESERVED_ENV = {
    "PORT": "Knative",
    "K_SERVICE": "Knative",
    "K_CONFIGURATION": "Knative",
    "K_REVISION": "Knative",
    "PROTOCOL": "mlplatform (the component's protocol)",
    "STORAGE_URI": "KServe's storage initializer (a component here reads no model)",
    "INFERENCE_SERVICE_NAME": "KServe (transformer.go adds it)",
}
"""Environment variables a component may not set: Knative's reserved ones (knative/serving knative-v1.21.3
pkg/apis/serving/k8s_validation.go ``reservedEnvVars``), the protocol this package sets, ``STORAGE_URI`` (which would
start KServe's storage initializer in the component's pod: transformer_custom.go ``GetStorageUri``) and the name
KServe adds to a transformer (``constants.InferenceServiceNameEnvVarKey``)."""


KSERVE_BLOCKED_ENV = ("PYTHONPATH",)
"""Environment variables KServe v0.20.0's admission refuses in every container of an InferenceService (predictor,
transformer, explainer, their init and worker containers, the ART explainer) and of a (Cluster)ServingRuntime:
pkg/validation/env_policy.go ``DefaultBlockedEnvVars`` (the whole list: ``PYTHONPATH``), checked by
pkg/apis/serving/v1beta1/inference_service_validation.go ``validateBlockedEnvVars`` and
pkg/webhook/admission/servingruntime/servingruntime_webhook.go ``validateBlockedEnvVars``."""


def blocked_env_problem(name: str) -> str | None:
    """What to do about an environment variable KServe's admission refuses (:data:`KSERVE_BLOCKED_ENV`), or None."""
    if name not in KSERVE_BLOCKED_ENV:
        return None
    return f"KServe's admission refuses {name} in every container (env_policy.go DefaultBlockedEnvVars); remove it"


def _storage_uri(v: str | None) -> str | None:
    """A component's ``storageUri`` checked as a model's is (components/storage.py), as a field error."""
    from components.errors import SpecError
    from components.storage import parse_storage_uri

    if v is not None:
        try:
            parse_storage_uri(v)
        except SpecError as e:
            raise value_error(e.accepted, e.value) from None
    return v


class ComponentResourcesSpec(Spec):
    """Per-replica CPU and memory of a component; requests equal limits (Guaranteed QoS)."""

    cpu: str = "1"
    """CPU request and limit: a Kubernetes quantity such as ``500m`` or ``2``."""
    memory: str = "2Gi"
    """Memory request and limit: a Kubernetes quantity such as ``1Gi`` (at least 12Mi)."""

    @field_validator("cpu", "memory", mode="before")
    @classmethod
    def _quantity(cls, v: object) -> object:
        if isinstance(v, int | float) and not isinstance(v, bool):
            v = str(v)
        if not isinstance(v, str) or not is_quantity(v):
            raise value_error("give a Kubernetes quantity such as 500m, 2 or 4Gi")
        return v

    @model_validator(mode="after")
    def _amounts(self) -> ComponentResourcesSpec:
        cpu = quantity_value(self.cpu)
        if cpu <= 0 or cpu * 1000 != (cpu * 1000).to_integral_value() or cpu > 2**63 - 1:
            raise field_error("cpu", self.cpu, "give whole millicores above zero, such as 500m or 2")
        if quantity_value(self.memory) < 12 * 2**20 or quantity_value(self.memory) > 2**63 - 1:
            # no container runtime starts a container in less than 12Mi (components/serving/spec.py MIN_MEMORY_BYTES)
            raise field_error(
                "memory", self.memory, "give at least 12Mi, such as 1Gi (a number without a unit is bytes)"
            )
        return self


HPA_METRICS = ("cpu", "memory")
"""The metrics of Knative's HPA class. In Knative mode a predictor metric of these puts
``autoscaling.knative.dev/class: hpa.autoscaling.knative.dev`` on the whole InferenceService
(components/serving/_runtime.py), and KServe v0.20.0 checks every component against that one class
(pkg/apis/serving/v1beta1/inference_service_validation.go: the loop over predictor, transformer and explainer calls
``validateAutoScalingCompExtension`` with the InferenceService's annotations; under HPA a component's metric, cpu when
not given, must be in ``AutoscalerAllowedHPAMetricsList`` = cpu, memory; otherwise, concurrency when not given, in
``AutoscalerAllowedKPAMetricsList`` = concurrency, rps: pkg/constants/constants.go), "[%s] is not a supported
metric" else."""


class ComponentScalingSpec(Spec):
    """Replicas of a component, scaled on their own (KServe's ``ComponentExtensionSpec``)."""

    min_replicas: int = Field(default=1, ge=0, le=1000)
    """Fewest replicas; 0 scales to zero (Knative mode only, and not for an internal model's component)."""
    max_replicas: int = Field(default=3, ge=1, le=1000)
    """Most replicas, at least ``minReplicas``."""
    metric: Literal["concurrency", "rps", "cpu"] | None = None
    """``concurrency`` or ``rps`` (Knative mode) or ``cpu`` (HPA). Default: concurrency (Knative), cpu (Standard)."""
    target: int | None = Field(default=None, ge=1, le=100000)
    """Per-replica target. Default: 10 in-flight requests, 50 requests/s or 80 percent CPU (at most 100)."""

    @model_validator(mode="after")
    def _bounds(self) -> ComponentScalingSpec:
        if self.max_replicas < self.min_replicas:
            raise field_error("maxReplicas", self.max_replicas, f"give an integer >= minReplicas ({self.min_replicas})")
        if self.metric == "cpu" and self.target is not None and self.target > 100:
            # validateScalingHPACompExtension (inference_service_validation.go): a CPU target is 1-100
            raise field_error("target", self.target, "give a CPU utilisation percent from 1 to 100")
        if self.metric == "cpu" and self.min_replicas == 0:
            raise field_error("minReplicas", 0, "cpu scaling (HPA) cannot scale to zero; give >= 1")
        return self

    def resolved_metric(self, deployment_mode: str, predictor_metric: str = "concurrency") -> str:
        """The metric in effect: the given one, else (Knative mode) the kind the predictor's metric sets for the
        whole InferenceService (cpu under Knative's HPA class, concurrency under its KPA class: see
        :data:`HPA_METRICS`), or cpu (Standard mode)."""
        if self.metric is not None:
            return self.metric
        if deployment_mode != "Knative":
            return "cpu"
        return "cpu" if predictor_metric in HPA_METRICS else "concurrency"

    def resolved_target(self, deployment_mode: str, predictor_metric: str = "concurrency") -> int:
        """The target in effect: the given one, else the default for the metric in effect."""
        defaults = {"concurrency": 10, "rps": 50, "cpu": 80}
        if self.target is not None:
            return self.target
        return defaults[self.resolved_metric(deployment_mode, predictor_metric)]


class ComponentSpec(Spec):
    """What a transformer and a custom explainer share: their own container, scaling and resources."""

    container: ContainerSpec
    """The component's server: image, command, port (one, HTTP) and probes."""
    args: list[str] = []
    """Arguments for the server (KServe appends ``--model_name``, ``--predictor_host`` and ``--http_port``)."""
    env: dict[str, str] = {}
    """Environment variables."""
    secret_env: dict[str, SecretKeySpec] = {}
    """Environment variables read from Secrets in the model's namespace: ``NAME: {secret, key}``."""
    resources: ComponentResourcesSpec = ComponentResourcesSpec()
    """Per-replica CPU and memory."""
    scaling: ComponentScalingSpec = ComponentScalingSpec()
    """Replica counts and the autoscaling metric, independent of the predictor's."""
    container_concurrency: int | None = Field(default=None, ge=0, le=1000)
    """Hard limit of requests one replica handles at once (Knative mode; 0: no limit; also ``--workers``)."""
    timeout: int | None = Field(default=None, ge=1)
    """Seconds a request may take, at most the platform's max-revision-timeout (1800): Knative's revision timeout, or
    in Standard mode the request timeout of KServe's HTTPRoute. Default: the predictor's, in both modes, in Knative
    mode at least 300 and plus the component's own 600 s start at minReplicas 0, at most 1800 (rev14i N5)."""
    logger: ComponentLoggerSpec | None = None
    (
        "Log this component's requests and/or responses to the platform's request-log store (KServe's agent in the "
        "component's pods; the records carry the model's version and ``component``)."
    )
    node_selector: dict[str, str] | None = None
    (
        "Node labels this component's pods must run on, instead of the model's ``nodeSelector`` (KServe gives each "
        "component a pod spec of its own: the inline ``PodSpec`` of TransformerSpec and ExplainerSpec, "
        "pkg/apis/serving/v1beta1/transformer.go, explainer.go v0.20.0). Default: the model's."
    )
    tolerations: list[TolerationSpec] | None = None
    """Taints this component's pods tolerate, instead of the model's ``tolerations``. Default: the model's."""

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, v: int | None) -> int | None:
        return _revision_timeout(v)

    @field_validator("container")
    @classmethod
    def _http(cls, v: ContainerSpec) -> ContainerSpec:
        if v.port.protocol != "http":
            # the gateways and the predictor call KServe's REST server (the v1/v2 REST routes); a gRPC-only
            # component would not answer them
            raise field_error("port.protocol", v.port.protocol, "a transformer or explainer serves HTTP; give http")
        return v

    @model_validator(mode="after")
    def _rules(self) -> ComponentSpec:
        for path, value, accepted in component_problems(self):
            raise field_error(path, value, accepted)
        return self


class TransformerSpec(ComponentSpec):
    """Pre- and post-processing in front of the predictor: callers reach the transformer, which calls the predictor.

    Its port is 8080, or the one its args give with ``--http_port=<port>`` (KServe adds ``--http_port 8080``
    otherwise)."""

    protocol: Literal["v1", "v2"] = "v1"
    """The inference protocol callers speak to the transformer (its ``PROTOCOL``; KServe's default ``v1``)."""
    collocated: bool = False
    (
        "Run the transformer in the predictor's pods (KServe's ``transformer-container``) instead of its own, "
        "beside a custom ``container`` predictor on another port or the model server of a runtime the platform "
        "installs (not the Hugging Face server), whose ports it must leave free (``runtimes.SERVER_PORTS``: 8080 "
        "for every runtime, and 8081 for the KServe Python servers and torchserve, so give ``--http_port=<port>`` "
        "and ``--grpc_port=<port>`` or ``--enable_grpc=false`` in its args). KServe passes a collocated transformer "
        "nothing, so its args name the model (``--model_name=<the name the server serves>``) and the server "
        "(``--predictor_host=localhost:<the server's port>``). No own scaling, timeout or containerConcurrency."
    )

    storage_uri: str | None = None
    (
        "Where the transformer's own files are: KServe's storage initializer downloads them to /mnt/models (its "
        "``STORAGE_URI``, which ``CustomTransformer.GetStorageUri`` reads, transformer_custom.go v0.20.0). Public, or "
        "read with the model's ``storageSecret``."
    )

    @field_validator("storage_uri")
    @classmethod
    def _uri(cls, v: str | None) -> str | None:
        return _storage_uri(v)

    @model_validator(mode="after")
    def _collocated(self) -> TransformerSpec:
        if self.collocated:
            for key, given in (
                ("scaling", self.scaling if "scaling" in self.model_fields_set else None),
                ("containerConcurrency", self.container_concurrency),
                ("timeout", self.timeout),
                ("storageUri", self.storage_uri),
                # the transformer-container runs in the predictor's pod, whose nodeSelector and tolerations are the
                # model's (KServe's collocation adds a container to the predictor's PodSpec: predictor.go
                # buildPodSpec v0.20.0); its own would not be rendered anywhere
                ("nodeSelector", self.node_selector),
                ("tolerations", self.tolerations),
            ):
                if given is not None:
                    raise field_error(
                        key, given, "a collocated transformer shares the predictor's pods and their settings; remove it"
                    )
            if self.logger is not None:
                # the predictor's agent proxies the pod's requests to the transformer-container (agent_injector.go
                # --component-port, v0.20.0), so the model's own logger logs what the transformer receives
                raise field_error(
                    "logger",
                    self.logger.mode,
                    "a collocated transformer runs in the predictor's pods, whose agent logs their requests; give "
                    "logger on the model",
                )
        return self

    @model_validator(mode="after")
    def _port(self) -> TransformerSpec:
        if not self.collocated and self.logger is not None and self.container.port.number == AGENT_PORT:
            # its own logger puts KServe's agent in the transformer's pods (a collocated one: spec.py model_problems)
            raise field_error("container.port.number", AGENT_PORT, f"{AGENT_PORT_USER}; give another")
        given = _http_port_arg(self.args)
        if given == -1:
            return self  # component_problems refuses the args
        if not self.collocated and self.logger is not None and given == AGENT_PORT:
            # the port argparse reads last (--http_p=9081 after --http_port=8080 too: red team #14g break 2a)
            from components.serving import server_args

            hit = server_args.last_value(self.args, server_args.HTTP_PORT_FLAG)
            at = hit[0] if hit is not None else 0
            raise field_error(f"args.{at}", self.args[at], f"{AGENT_PORT_USER}; give another port")
        want = TRANSFORMER_PORT if given is None else given
        if self.container.port.number != want:
            where = f"--http_port={given} in args" if given is not None else "KServe's --http_port 8080"
            raise field_error(
                "container.port.number",
                self.container.port.number,
                f"give {want}, the port the transformer serves on ({where}); or pass --http_port=<port> in args",
            )
        return self


class ArtExplainerSpec(Spec):
    """KServe's ART explainer (adversarial robustness, ``SquareAttack``), image ``kserve/art-explainer`` from the
    kserve-resources chart (``kserve.servingruntime.art.image``, upstream/chart-values/kserve-resources-v0.20.0.yaml)
    at KServe's own tag."""

    type: Literal["SquareAttack"] = "SquareAttack"
    """The attack: ``SquareAttack``, the only ``ARTExplainerType`` of KServe v0.20.0."""
    config: dict[str, str] = {}
    """The server's settings: ``nb_classes`` (default 10) and ``max_iter`` (default 1000), as whole numbers."""

    @field_validator("config")
    @classmethod
    def _config(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            if key not in ART_CONFIG_KEYS:
                raise value_error(
                    "give config keys " + " and ".join(ART_CONFIG_KEYS) + " (what the ART server reads)", key
                )
            if not re.fullmatch(r"[1-9][0-9]{0,8}", value, re.ASCII):
                raise value_error(f"give {key} as a whole number above 0 (in quotes), such as '10'", value)
        return v


class ExplainerSpec(Spec):
    """An explainer: requests to ``/v1/models/<name>:explain`` reach it (KServe's explain route), and it calls the
    predictor. Either ``art`` (KServe's ART explainer) or ``container`` (your own)."""

    art: ArtExplainerSpec | None = None
    """KServe's ART explainer; not with ``container``."""
    container: ContainerSpec | None = None
    """Your explainer's server (port 8080: KServe passes ``--http_port 8080``); not with ``art``."""
    storage_uri: str | None = None
    (
        "Where your explainer's own files are (``container`` only): KServe's storage initializer downloads them to "
        "/mnt/models (its ``STORAGE_URI``). Public, or read with the model's ``storageSecret``."
    )
    args: list[str] = []
    """Arguments for the server (after KServe's)."""
    env: dict[str, str] = {}
    """Environment variables."""
    secret_env: dict[str, SecretKeySpec] = {}
    """Environment variables read from Secrets in the model's namespace: ``NAME: {secret, key}``."""
    resources: ComponentResourcesSpec = ComponentResourcesSpec()
    """Per-replica CPU and memory."""
    scaling: ComponentScalingSpec = ComponentScalingSpec()
    """Replica counts and the autoscaling metric, independent of the predictor's."""
    container_concurrency: int | None = Field(default=None, ge=0, le=1000)
    """Hard limit of requests one replica handles at once (Knative mode). Default: no limit."""
    timeout: int | None = Field(default=None, ge=1)
    """Seconds a request may take, at most the platform's max-revision-timeout (1800): Knative's revision timeout, or
    in Standard mode the request timeout of KServe's HTTPRoute. Default: the predictor's, in both modes, in Knative
    mode at least 300 and plus the component's own 600 s start at minReplicas 0, at most 1800 (rev14i N5)."""
    logger: ComponentLoggerSpec | None = None
    (
        "Log this explainer's requests and/or responses to the platform's request-log store (KServe's agent in the "
        "explainer's pods; the records carry the model's version and ``component``)."
    )
    node_selector: dict[str, str] | None = None
    (
        "Node labels this component's pods must run on, instead of the model's ``nodeSelector`` (KServe gives each "
        "component a pod spec of its own: the inline ``PodSpec`` of TransformerSpec and ExplainerSpec, "
        "pkg/apis/serving/v1beta1/transformer.go, explainer.go v0.20.0). Default: the model's."
    )
    tolerations: list[TolerationSpec] | None = None
    """Taints this component's pods tolerate, instead of the model's ``tolerations``. Default: the model's."""

    @field_validator("storage_uri")
    @classmethod
    def _uri(cls, v: str | None) -> str | None:
        return _storage_uri(v)

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, v: int | None) -> int | None:
        return _revision_timeout(v)

    @model_validator(mode="after")
    def _one(self) -> ExplainerSpec:
        if self.storage_uri is not None and self.art is not None:
            raise field_error(
                "storageUri", redact_uri(self.storage_uri), "applies to a container explainer; remove it with art"
            )
        if (self.art is None) == (self.container is None):
            # validateExactlyOneImplementation (inference_service_validation.go): exactly one of ART or containers
            raise field_error("art", self.art, "give art or container (exactly one, KServe's rule)")
        if self.container is not None and (
            self.container.port.protocol != "http" or self.container.port.number != TRANSFORMER_PORT
        ):
            # explainer_custom.go GetContainer appends --http_port 8080 whatever the args say
            raise field_error(
                "container.port",
                f"{self.container.port.number}/{self.container.port.protocol}",
                "give number 8080, protocol http (KServe always passes --http_port 8080 to an explainer)",
            )
        for path, value, accepted in component_problems(self):
            raise field_error(path, value, accepted)
        return self


class BatcherSpec(Spec):
    """Server-side request batching by KServe's agent sidecar in the predictor's pods."""

    max_batch_size: int | None = Field(default=None, ge=1, le=2**31 - 1)
    """Most requests in one batch (a whole number above 0). Default: the agent's 32."""
    max_latency: int | None = Field(default=None, ge=1, le=2**31 - 1)
    """Most milliseconds a request waits for its batch to fill (above 0). Default: the agent's 5000."""
    timeout: int | None = None
    """Not used: KServe v0.20.0 does not pass it to the agent (component.go ``addBatcherAnnotations``); refused."""

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, v: int | None) -> int | None:
        if v is not None:
            raise value_error(
                "KServe v0.20.0 passes only maxBatchSize and maxLatency to its batcher (component.go "
                "addBatcherAnnotations), so a timeout would do nothing; remove it"
            )
        return v


def _revision_timeout(v: int | None) -> int | None:
    """A component's ``timeout`` within the platform's ``max-revision-timeout-seconds``, the model's own bound
    (spec.py ``ModelSpec._timeout``): KServe sets the component's Knative ``timeoutSeconds`` from it
    (pkg/controller/v1beta1/inferenceservice/reconcilers/knative/ksvc_reconciler.go v0.20.0), and Knative's webhook
    refuses a revision timeout above max-revision-timeout-seconds (knative/serving knative-v1.21.3
    pkg/apis/serving/v1/revision_validation.go ``validateTimeoutSeconds``), red team #14f break 4."""
    from components.platform.knative import MAX_REVISION_TIMEOUT

    if v is not None and v > int(MAX_REVISION_TIMEOUT):
        raise value_error(f"give at most {MAX_REVISION_TIMEOUT} (the platform's max-revision-timeout)")
    return v


def _http_port_arg(args: list[str]) -> int | None:
    """The port a transformer with ``args`` serves on, as its argparse reads the command line KServe gives it: None
    when no arg starts with ``--http_port`` (KServe appends ``--http_port 8080``, transformer_custom.go:105-109
    v0.20.0, ``IncludesArg``), else the last ``--http_port`` argparse reads (``store`` keeps the last; an abbreviation
    such as ``--http_p=8080`` too: :func:`server_args.parse_options`), its value read as ``type=int`` does
    (``+9000`` is 9000: :func:`server_args.argparse_int`); -1 when that is not a port from 1 to 65535 or when no
    ``--http_port`` argparse reads has a value (the server exits or listens elsewhere)."""
    from components.serving import server_args

    if not server_args.kserve_includes_arg(args, server_args.HTTP_PORT_FLAG):
        return None
    given = [
        o.value
        for o in server_args.parse_options(args)
        if o.matches == (server_args.HTTP_PORT_FLAG,) and o.value is not None
    ]
    ports = [server_args.argparse_int(v) for v in given]
    if not ports or None in ports:
        return -1  # argparse converts every occurrence (type=int), so a bad one fails the server
    port = ports[-1]
    return port if port is not None and 0 < port < 65536 else -1


def component_problems(c: ComponentSpec | ExplainerSpec) -> list[tuple[str, object, str]]:
    """Rules on a component's environment and arguments (as the predictor's: names, credentials, NUL, reserved)."""
    problems: list[tuple[str, object, str]] = []
    for kind, names in (("env", list(c.env)), ("secretEnv", list(c.secret_env))):
        for name in names:
            if not _ENV_NAME.match(name):
                problems.append((kind, name, "give environment variable names of letters, digits, '_', '-' and '.'"))
            elif name in RESERVED_ENV:
                problems.append((kind, name, f"{RESERVED_ENV[name]} sets {name}; remove it"))
            elif blocked := blocked_env_problem(name):
                problems.append((kind, name, blocked))
            elif kind == "secretEnv" and name in c.env:
                problems.append(
                    (f"secretEnv.{name}", c.secret_env[name], f"env already sets {name}; give it in one of them")
                )
    if cycle := envrefs.cycle_problem(c.env, c.secret_env):
        problems.append((f"env.{cycle[0]}", cycle[1], cycle[2]))
    elif c.container is not None and (late := envrefs.platform_reference_problem(c.env, ("PROTOCOL",))):
        # the component's PROTOCOL is rendered after its env (_kcomponents.py _env)
        problems.append((f"env.{late[0]}", late[1], late[2]))
    for name, value in c.env.items():
        if env_credential(name, value):
            problems.append(
                (f"env.{name}", PLAIN_TEXT, "a credential in env would be stored in plain text; use secretEnv")
            )
        elif "\0" in value:
            problems.append((f"env.{name}", "(a value with a NUL character)", "give values without NUL characters"))
    from components.serving.spec import arg_length_problem

    command = c.container.command if c.container is not None else []
    for key, texts in (("args", c.args), ("container.command", command)):
        for i, text in enumerate(texts):
            if why := arg_length_problem(text):
                problems.append((f"{key}.{i}", f"({len(text.encode('utf-8', 'surrogatepass'))} bytes)", why))
    for i, arg in enumerate(c.args):
        if looks_like_credential(arg) or arg_credential(c.args, i):
            problems.append(
                (f"args.{i}", PLAIN_TEXT, "a credential in args would be stored in plain text; use secretEnv")
            )
        elif "\0" in arg:
            problems.append((f"args.{i}", arg, "give arguments without NUL characters"))
    from components.serving import server_args

    if (bad := server_args.option_problem(c.args)) is not None:
        # red team #14g break 2: a kserve component parses its args with argparse (allow_abbrev), and exits on these
        problems.append((f"args.{bad[0]}", c.args[bad[0]], bad[1]))
    elif _http_port_arg(c.args) == -1:
        problems.append(("args", "--http_port", "give --http_port=<port> with a port from 1 to 65535"))
    if c.logger is not None:
        # its own logger puts KServe's agent, on 9081, in the component's pods (a collocated transformer has none of
        # its own: spec.py _agent_flag_problems). Its --grpc_port only: a transformer's --http_port is its container
        # port (TransformerSpec._port, which refuses 9081 there), an explainer's is KServe's 8080 whatever its args
        # say (explainer_custom.go appends it)
        at = server_args.agent_port_flag(c.args, (server_args.GRPC_PORT_FLAG,))
        if at is not None:
            problems.append((f"args.{at}", c.args[at], server_args.agent_port_line(c.args[at])))
    for key, value in (c.node_selector or {}).items():
        # the model's own rules (spec.py kubernetes_problems): a label key and value, not the platform's keys
        if why := qualified_key_problem(key) or label_value_problem(value):
            problems.append(("nodeSelector", key, why))
        elif key.startswith("mlplatform.io/"):
            problems.append(("nodeSelector", key, "the platform sets mlplatform.io/* from resources.accelerator"))
    return problems


def components_platform_problems(
    transformer: TransformerSpec | None,
    explainer: ExplainerSpec | None,
    access_mode: str,
    min_replicas: int,
    deployment_mode: str,
    predictor_metric: str = "concurrency",
) -> list[tuple[str, object, str]]:
    """What the platform's ``deployment_mode`` cannot serve of a model's components: (key path, value, accepted).
    ``predictor_metric``: the predictor's metric in effect, which sets the autoscaler class of the whole
    InferenceService in Knative mode (:data:`HPA_METRICS`)."""
    problems: list[tuple[str, object, str]] = []
    if transformer is not None and transformer.collocated:
        transformer = None  # in the predictor's pods: no call between pods, no scaling of its own
    parts = [(key, c) for key, c in (("transformer", transformer), ("explainer", explainer)) if c is not None]
    if parts and deployment_mode == "Knative" and min_replicas == 0:
        # The transformer and the explainer call the predictor as themselves (a custom one may not pass the caller's
        # token on; an internal model's caller is a namespace, never passed on), so the predictor admits
        # them by their mesh identity; at zero Knative's activator would call the predictor as itself
        # (components/serving/_auth.py), which is admitted for probes only.
        problems.append(
            (
                "scaling.minReplicas",
                0,
                f"the {parts[0][0]} calls the predictor by its mesh identity, which Knative's activator would hide at "
                "zero; give >= 1",
            )
        )
    for key, c in parts:
        scaling = c.scaling
        if deployment_mode == "Knative":
            hpa = predictor_metric in HPA_METRICS
            if scaling.metric is not None and (scaling.metric in HPA_METRICS) != hpa:
                kind, takes = ("HPA", "cpu") if hpa else ("KPA", "concurrency or rps")
                problems.append(
                    (
                        f"{key}.scaling.metric",
                        scaling.metric,
                        f"the predictor's metric {predictor_metric} puts the whole InferenceService on Knative's "
                        f"{kind} class, and KServe admits only {takes} for every component under it; give {takes} or "
                        "leave it out",
                    )
                )
            elif hpa and scaling.min_replicas == 0:
                # Knative's HPA class "does not support scale to zero functionality"
                # (knative.dev/docs/serving/autoscaling/autoscaler-types)
                problems.append(
                    (
                        f"{key}.scaling.minReplicas",
                        0,
                        f"the predictor's metric {predictor_metric} puts the whole InferenceService on Knative's HPA "
                        "class, which cannot scale to zero; give >= 1",
                    )
                )
            if access_mode == "internal" and scaling.min_replicas == 0:
                problems.append(
                    (
                        f"{key}.scaling.minReplicas",
                        0,
                        "an internal model's component cannot scale to zero in Knative mode (Knative's activator "
                        "would hide the caller); give >= 1",
                    )
                )
            continue
        if scaling.min_replicas == 0:
            problems.append((f"{key}.scaling.minReplicas", 0, "scale to zero needs platform.deploymentMode: Knative"))
        if scaling.metric in ("concurrency", "rps"):
            problems.append(
                (f"{key}.scaling.metric", scaling.metric, "Standard mode scales on cpu (HPA); give cpu or leave it out")
            )
        if c.container_concurrency is not None:
            # the component's ``timeout`` is its HTTPRoute rules' request timeout in Standard mode (KServe v0.20.0
            # reconcilers/ingress/httproute_reconciler.go), so only containerConcurrency is Knative's alone
            problems.append(
                (
                    f"{key}.containerConcurrency",
                    c.container_concurrency,
                    "Knative mode only (KServe's Standard mode ignores it)",
                )
            )
    return problems


def collocation_problems(
    transformer: TransformerSpec | None,
    predictor: ContainerSpec | None,
    runtime: str | None = None,
    fmt: str | None = None,
    protocol: str | None = None,
) -> list[tuple[str, object, str]]:
    """What KServe's collocation needs of the predictor (kserve/website versioned_docs/version-0.20
    .../transformers/collocation/collocation.md): the ``transformer-container`` and the model server listen on
    different ports of the one pod. A custom container (``predictor``) serves on its own port; a runtime's server
    (``predictor`` None: ``runtime``, the runtime KServe serves format ``fmt`` with, at ``protocol``) on the ports
    :data:`runtimes.SERVER_PORTS` lists, which KServe does not move (components/predictor.go ``buildPodSpec``
    v0.20.0 appends the transformer-container beside the runtime's ``kserve-container`` unchanged)."""
    if transformer is None or not transformer.collocated:
        return []
    if predictor is None:
        found = _runtime_collocation_problems(transformer, runtime, fmt, protocol)
        ports = _runtime_ports(runtime)
        if found or ports is None:
            return found
        # torchserve's own inference address is the model's config.properties' (KServe's collocation example calls
        # it on localhost:8085), not a port the runtime states: any port is taken there
        anywhere = runtime == "kserve-torchserve"
        return _collocated_args_problems(transformer, ports[0], ports, runtime or "the runtime", any_port=anywhere)
    if predictor.port.number == transformer.container.port.number:
        return [
            (
                "container.port.number",
                predictor.port.number,
                f"the collocated transformer serves on {predictor.port.number}; give the model server another port, "
                "such as 8085",
            )
        ]
    return _collocated_args_problems(transformer, predictor.port.number, (predictor.port.number,), "the model server")


def _runtime_ports(runtime: str | None) -> tuple[int, ...] | None:
    from components.serving import runtimes

    return runtimes.SERVER_PORTS.get(runtime or "")


LOCALHOSTS = ("localhost", "127.0.0.1")


def _collocated_args_problems(
    transformer: TransformerSpec, http_port: int, taken: tuple[int, ...], server: str, *, any_port: bool = False
) -> list[tuple[str, object, str]]:
    """What a collocated ``transformer-container`` must be told in its args, since KServe tells it nothing (it adds no
    ``--predictor_host`` or ``--http_port`` to a transformer-container, only to a transformer of its own:
    pkg/controller/v1beta1/inferenceservice/components/predictor.go buildPodSpec vs transformer_custom.go:93-110 at
    v0.20.0; KServe's collocation example gives them all, kserve/website versioned_docs/version-0.20
    .../transformers/collocation/collocation.md), read as the kserve Python server's argparse reads them
    (python/kserve/kserve/model_server.py v0.20.0, red14o W1, W3):

    - ``--predictor_host=localhost:<the server's HTTP port>``: without it every predict call fails
      (python/kserve/kserve/model.py ``predict``: ``NotImplementedError("Could not find predictor_host.")``), and
      another host or port reaches no server in the pod;
    - its gRPC server (``--enable_grpc`` default true, ``--grpc_port`` default 8081, constants.py
      ``DEFAULT_GRPC_PORT``) on a port the server does not take: with the default 8081 beside a server that listens
      on 8081, one of the two fails to bind.
    """
    from components.serving import server_args

    problems: list[tuple[str, object, str]] = []
    want = f"--predictor_host=localhost:{http_port}"
    hit = server_args.last_value(transformer.args, "--predictor_host")
    if hit is None:
        problems.append(
            (
                "transformer.args",
                list(transformer.args),
                f"a collocated transformer gets no --predictor_host from KServe, and without one every predict call "
                f"fails; give {want} ({server}'s port in the same pod)",
            )
        )
    else:
        at, value = hit
        host, _, port = value.rpartition(":")
        number = server_args.argparse_int(port)
        if host not in LOCALHOSTS or number is None or (not any_port and number != http_port):
            problems.append(
                (f"transformer.args.{at}", transformer.args[at], f"{server} listens in the same pod; give {want}")
            )
    grpc = server_args.last_value(transformer.args, server_args.ENABLE_GRPC_FLAG)
    off = grpc is not None and grpc[1].lower() in ("n", "no", "f", "false", "off", "0")
    given = server_args.last_value(transformer.args, server_args.GRPC_PORT_FLAG)
    if not off and given is None and DEFAULT_GRPC_PORT in taken:
        problems.append(
            (
                "transformer.args",
                list(transformer.args),
                f"a collocated transformer's gRPC server takes --grpc_port's default {DEFAULT_GRPC_PORT}, where "
                f"{server} listens in the same pod, so one of the two fails to bind; give --grpc_port=<a free port> "
                "or --enable_grpc=false",
            )
        )
    return problems


DEFAULT_GRPC_PORT = 8081
"""kserve v0.20.0 python/kserve/kserve/constants/constants.py ``DEFAULT_GRPC_PORT``: the kserve Python server's
``--grpc_port`` default."""


def _runtime_collocation_problems(
    transformer: TransformerSpec, runtime: str | None, fmt: str | None, protocol: str | None
) -> list[tuple[str, object, str]]:
    """A collocated transformer beside a runtime's model server (:func:`collocation_problems`)."""
    from components.serving import runtimes, server_args

    if fmt == "huggingface":
        # callers would reach the transformer, while the platform's LLM settings (the OpenAI routes admitted to
        # callers, vLLM's options, KEDA on vLLM's metrics) are made for the Hugging Face server itself
        return [
            (
                "transformer.collocated",
                True,
                "not offered before the Hugging Face server (its OpenAI routes and LLM settings are the server's); "
                "give the transformer pods of its own (collocated: false)",
            )
        ]
    if protocol == "grpc-v2":
        # the runtime's gRPC port would be the pod's second declared port (_runtime.model_container renders it as
        # model.ports), and Knative serves one port per pod: the transformer's, which serves HTTP
        return [
            (
                "protocol",
                protocol,
                "with a collocated transformer callers reach the transformer, which serves HTTP (the pod's one port); "
                "give v1 or v2",
            )
        ]
    ports = runtimes.SERVER_PORTS.get(runtime or "")
    if ports is None and runtime is not None and runtime not in runtimes.BY_NAME:
        # a ServingRuntime the platform does not install, named by the model: the stack's own (an auto-selected one
        # is stack_runtime.collocated_runtime_problem's) or the cluster owner's, whose server's ports mlplatform
        # cannot see, and whose own transformer-container KServe would merge with this one (predictor.go
        # buildPodSpec: MergeRuntimeContainers), so the pod that runs is not the one the platform's policies judge
        return [
            (
                "transformer.collocated",
                True,
                f"runtime {runtime} is not one the platform installs, so the ports its server takes in the pod (and "
                "a transformer-container of its own, which KServe would merge with this one) are unknown; give the "
                "transformer pods of its own (collocated: false) or use an installed runtime",
            )
        ]
    if ports is None:
        return []  # no runtime: spec.runtimes_problem says why
    taken = ", ".join(str(p) for p in ports)
    where = f"{runtime}'s model server listens on {taken} in the same pod (KServe does not move it)"
    port = transformer.container.port.number
    if port in ports:
        return [
            (
                "transformer.container.port.number",
                port,
                f"{where}; give the transformer another port with --http_port=<port> in its args and "
                "container.port.number, and call the server at --predictor_host=localhost:8080",
            )
        ]
    flagged = server_args.port_flag(transformer.args, ports, (server_args.GRPC_PORT_FLAG,))
    if flagged is not None:
        return [(f"transformer.args.{flagged}", transformer.args[flagged], f"{where}; give another port")]
    return []


def collocated_probe_problems(
    transformer: TransformerSpec | None, predictor: ContainerSpec | None, deployment_mode: str
) -> list[tuple[str, object, str]]:
    """The model server's readiness and liveness probes beside a collocated transformer in Knative mode (red team
    #14f break 5). Only the transformer-container declares a port (``_kcomponents.isvc_spec``), so Knative takes the
    model server's container for a sidecar, and with ``multi-container-probing`` off (knative/serving
    knative-v1.21.3 pkg/apis/config/features.go:85, its default, which components/platform/knative.py leaves) its
    webhook refuses any field of a sidecar's ``readinessProbe`` or ``livenessProbe``
    (pkg/apis/serving/k8s_validation.go:537-547 ``validateSidecarContainer``: ``ProbeMask(&corev1.Probe{})`` allows
    none). In Standard mode the Deployment keeps them (Kubernetes probes every container)."""
    if deployment_mode != "Knative" or transformer is None or not transformer.collocated or predictor is None:
        return []
    for key, probe in (("readinessProbe", predictor.readiness_probe), ("livenessProbe", predictor.liveness_probe)):
        if probe is not None:
            return [
                (
                    f"container.{key}",
                    probe,
                    "beside a collocated transformer the model server's container has no port, so Knative runs it "
                    f"as a sidecar and refuses its {key} (k8s_validation.go validateSidecarContainer, "
                    "multi-container-probing off); remove it (the transformer's probes and Knative's on its port "
                    "stay)",
                )
            ]
    return []


def explainer_storage_problems(
    explainer: ExplainerSpec | None,
    public_storage: bool,
    storage_secret: str | None,
    transformer: TransformerSpec | None = None,
) -> list[tuple[str, object, str]]:
    """An explainer's or transformer's ``storageUri`` gets no cloud identity (the model's identity is granted its own
    ``storageUri`` only): on a cloud it must be public or read with ``storageSecret``, as ``storageUris``
    (components/serving/spec.py ``storage_problems``)."""
    from components.credentials import redact_uri
    from components.storage import parse_storage_uri

    problems: list[tuple[str, object, str]] = []
    for key, component in (("transformer", transformer), ("explainer", explainer)):
        if component is None or component.storage_uri is None:
            continue
        if parse_storage_uri(component.storage_uri).cloud is not None and not public_storage and storage_secret is None:
            problems.append(
                (
                    f"{key}.storageUri",
                    redact_uri(component.storage_uri),
                    f"{'an' if key == 'explainer' else 'a'} {key}'s storage gets no cloud identity; give storageSecret "
                    "(a Secret with the credentials) "
                    "or publicStorage: true",
                )
            )
    return problems
