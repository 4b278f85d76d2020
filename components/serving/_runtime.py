"""The InferenceService a ModelSpec becomes: predictor, autoscaling annotations and cold-start deadlines.

Pure functions (no resources), so the translation is tested on its own and the component stays short.

Cold-start budget of a GPU model: :func:`components.coldstart.deadline_seconds`, the estimate from zero GPU nodes
(node provisioning and boot per cloud and provisioner, GPU driver, the runtime's image pull, the model download,
load, readiness) with every step at the slow end of its source's range (components/coldstart.yaml, each figure
cited). It is a pure function of the model spec and the cluster's facts (cloud, GPU provisioner), so the serving
layer does not depend on the plan.

The Knative per-revision progress deadline is that budget, so Knative does not fail a revision that is still
waiting for its GPU node (kserve#1247, kserve#1641). Pulumi waits 5 minutes longer, so the Knative failure reason
is what ``pulumi up`` reports. The rendered InferenceService carries the budget in :data:`COLD_START_ANNOTATION`, so
the timeout chain (:mod:`components.serving.timeouts`) is checked against it from the rendered object alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components import coldstart, envrefs
from components.clusters.base import GpuScheduling
from components.platform.knative import MAX_REVISION_TIMEOUT
from components.serving import llm_scaling, runtimes
from components.serving.kspec import PortSpec, ProbeSpec
from components.serving.logger_spec import REQUEST_ID_HEADER, VERSION_ANNOTATION, served_fingerprint
from components.serving.spec import HF_SERVER_RUNTIMES, TAG_ROUTING_ANNOTATION, ModelSpec, _same_option, size_text

CPU_READY_SECONDS = 600
"""The progress deadline of a CPU model (Knative's own default), set per revision so it does not depend on the
platform's global value."""
PULUMI_MARGIN_SECONDS = 300
COLD_START_ANNOTATION = "mlplatform.io/cold-start-seconds"
"""A GPU model's cold-start budget in seconds (:func:`cold_start_seconds`), on the rendered InferenceService."""

ISVC_API_VERSION = "serving.kserve.io/v1beta1"
ISVC_LABEL = "serving.kserve.io/inferenceservice"
"""The label KServe puts on every pod of an InferenceService (predictor, canary and default revisions)."""
GPU_RESOURCE = "nvidia.com/gpu"
HF_TOKEN_ENV = "HF_TOKEN"
HF_TOKEN_KEY = "HF_TOKEN"

KNATIVE = "autoscaling.knative.dev"
PROGRESS_DEADLINE = "serving.knative.dev/progress-deadline"
RETENTION = f"{KNATIVE}/scale-to-zero-pod-retention-period"
SCALE_DOWN_DELAY = f"{KNATIVE}/scale-down-delay"
AUTOSCALING_CLASS = f"{KNATIVE}/class"
TARGET_BURST_CAPACITY = f"{KNATIVE}/target-burst-capacity"
HPA_CLASS = "hpa.autoscaling.knative.dev"
DEPLOYMENT_MODE = "serving.kserve.io/deploymentMode"
KSERVE_AUTOSCALER_CLASS = "serving.kserve.io/autoscalerClass"
KNATIVE_VISIBILITY_LABEL = "networking.knative.dev/visibility"
"""What KServe v0.20.0 reads in Knative mode: ``constants.VisibilityLabel`` (pkg/constants/constants.go), read by
``ingress_reconciler.go`` (``createIngress``: a cluster-local model gets no route on the public gateway) and copied
to the Knative Service, whose Route Knative then makes cluster-local."""
STANDARD_VISIBILITY_LABEL = "networking.kserve.io/visibility"
"""What KServe v0.20.0 reads in Standard mode: ``constants.NetworkVisibility``, read only by
``kube_ingress_reconciler.go`` and ``httproute_reconciler.go``."""
CLUSTER_LOCAL = "cluster-local"
REQUEST_SECONDS = 300
"""What a request may take once a pod answers: Knative's default revision timeout (``revision-timeout-seconds``
300, config/core/configmaps/defaults.yaml, knative/serving 1.21)."""


Stack = tuple[coldstart.StackRuntime, ...]
"""The stack's ServingRuntimes in a model's namespace (:func:`components.coldstart.stack_runtimes`): the runtime KServe
serves the model with, so its image and vLLM loader, and thus the deadlines, depend on them."""


def cold_start_seconds(spec: ModelSpec, cluster: coldstart.ClusterFacts, stack: Stack = ()) -> int | None:
    """The Knative progress deadline a GPU model needs on ``cluster``: its cold start from zero GPU nodes at the
    slow end of every step (:func:`components.coldstart.deadline_seconds`), with the runtime KServe uses given the
    ``stack``'s runtimes of its namespace; None for CPU."""
    if spec.resources.gpus == 0:
        return None
    return coldstart.deadline_seconds(coldstart.facts_from_spec("model", spec, stack), cluster)


def pulumi_timeout_seconds(spec: ModelSpec, cluster: coldstart.ClusterFacts, stack: Stack = ()) -> int:
    """How long ``pulumi up`` waits for the InferenceService to become Ready."""
    return cold_start_budget_seconds(spec, cluster, stack) + PULUMI_MARGIN_SECONDS


def _duration(seconds: int) -> str:
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


def isvc_annotations(
    spec: ModelSpec, deployment_mode: str, cluster: coldstart.ClusterFacts, stack: Stack = ()
) -> dict[str, str]:
    """InferenceService annotations: Pulumi readiness, deployment mode, the cold-start budget (``stack``: the stack's
    runtimes of the model's namespace) and model size the estimate used, and autoscaling knobs KServe passes on."""
    out = {
        "pulumi.com/waitFor": "condition=Ready",
        "pulumi.com/timeoutSeconds": str(pulumi_timeout_seconds(spec, cluster, stack)),
        DEPLOYMENT_MODE: deployment_mode,
    }
    deadline = cold_start_seconds(spec, cluster, stack)
    if deadline is not None:
        out[COLD_START_ANNOTATION] = str(deadline)
    if spec.model_size_gb is not None:
        out[coldstart.MODEL_SIZE_ANNOTATION] = size_text(spec.model_size_gb)
    scaling = spec.scaling
    if deployment_mode == "Standard":
        out[KSERVE_AUTOSCALER_CLASS] = llm_scaling.KEDA_CLASS if llm_scaling.is_llm(scaling.metric) else "hpa"
        return out
    out[SCALE_DOWN_DELAY] = scaling.scale_down_delay
    if spec.tag_routing:
        # KServe tags the newest revision "latest" (ksvc_reconciler.go, v0.20.0; spec.LATEST_TAG)
        out[TAG_ROUTING_ANNOTATION] = "true"
    if scaling.resolved_metric(deployment_mode) in ("cpu", "memory"):
        # KServe admits cpu and memory in Knative mode only with Knative's HPA class (validateAutoScalingCompExtension
        # -> validateScalingHPACompExtension when autoscaling.knative.dev/class is hpa; else only concurrency and
        # rps: inference_service_validation.go v0.20.0).
        out[AUTOSCALING_CLASS] = HPA_CLASS
    if spec.access.mode == "internal":
        # Keep Knative's activator off the request path while pods exist (KPA Serve mode: wanted scale > 0 and
        # excess burst capacity >= 0, pkg/reconciler/autoscaling/kpa/kpa.go, knative/serving 1.21.3), so the model's
        # sidecar sees the caller. The model admits the activator only for probes (_auth), and an internal model
        # never scales to zero in Knative mode (spec.platform_problems), so it never needs the activator.
        out[TARGET_BURST_CAPACITY] = "0"
    out[PROGRESS_DEADLINE] = f"{deadline or CPU_READY_SECONDS}s"
    if deadline is not None and scaling.min_replicas == 0:
        # Keep the last pod at least as long as a cold start takes, so a pod that waited for its node and model
        # is not dropped the moment traffic pauses.
        out[RETENTION] = _duration(deadline)
    return out


def visibility_label(deployment_mode: str) -> str:
    """The label that makes a model cluster-local in ``deployment_mode`` (each mode reads only its own)."""
    return KNATIVE_VISIBILITY_LABEL if deployment_mode == "Knative" else STANDARD_VISIBILITY_LABEL


def isvc_labels(spec: ModelSpec, base: Mapping[str, str], deployment_mode: str) -> dict[str, str]:
    """InferenceService labels: ours, plus cluster-local visibility for internal models, with the label the
    deployment mode's reconcilers read."""
    out = dict(base)
    if spec.access.mode == "internal":
        out[visibility_label(deployment_mode)] = CLUSTER_LOCAL
    return out


def cold_start_budget_seconds(spec: ModelSpec, cluster: coldstart.ClusterFacts, stack: Stack = ()) -> int:
    """How long the first pod may take from zero: a GPU model's cold start, else the CPU progress deadline."""
    return cold_start_seconds(spec, cluster, stack) or CPU_READY_SECONDS


def request_timeout_seconds(spec: ModelSpec, cluster: coldstart.ClusterFacts, stack: Stack = ()) -> int:
    """The predictor's ``timeout`` (Knative mode): the cold-start budget plus :data:`REQUEST_SECONDS`, at most
    the platform's ``max-revision-timeout-seconds``.

    Knative's activator holds a request that arrives at zero replicas until a pod is up and applies the revision's
    ``timeoutSeconds`` to the whole of it, the wait included (cmd/activator/main.go, knative/serving 1.21); KServe
    v0.20.0 copies the predictor's ``timeout`` to both ``timeoutSeconds`` and ``responseStartTimeoutSeconds``
    (reconcilers/knative/ksvc_reconciler.go), so a request is not cut by the 300 s defaults while the GPU node
    boots. Knative's webhook rejects a timeout above ``max-revision-timeout-seconds``
    (pkg/apis/serving/v1/revision_validation.go ``validateTimeoutSeconds``).
    """
    return min(cold_start_budget_seconds(spec, cluster, stack) + REQUEST_SECONDS, int(MAX_REVISION_TIMEOUT))


def component_cold_start_seconds(
    component_min_replicas: int, predictor_min_replicas: int, predictor_budget: int
) -> int:
    """How long a request through a transformer or explainer (its own pods, Knative mode) may wait for pods before
    it is answered: the component's own start from zero when it can be at zero (a CPU server,
    :data:`CPU_READY_SECONDS`), then the predictor's cold start from zero (``predictor_budget``,
    :func:`cold_start_budget_seconds`) when the predictor can be at zero, as the component's request to
    ``--predictor_host`` waits for it (KServe v0.20.0 components/transformer.go, explainer.go: the component calls
    ``<name>-predictor.<ns>``). The two add up: Knative scales the predictor only when the component's request reaches
    its activator. 0 when neither can be at zero (a request finds running pods).

    KServe v0.20.0 sets each component's revision ``timeoutSeconds`` and ``responseStartTimeoutSeconds`` from its own
    ``timeout`` (reconcilers/knative/ksvc_reconciler.go: ``TimeoutSeconds: componentExtension.TimeoutSeconds``), and
    the component's activator and queue-proxy hold the whole request, the wait for the predictor included, to it.

    The policy rule sums the same with its own figures (components/serving/timeouts.py ``_component_cold``, rev17j
    j25, fix17k): a slip here must not move the judge with the rendering."""
    start = CPU_READY_SECONDS
    own = start if component_min_replicas == 0 else 0
    return own + (predictor_budget if predictor_min_replicas == 0 else 0)


def component_timeout_seconds(cold_start: int) -> int | None:
    """A component's rendered ``timeout`` when it does not give one: its :func:`component_cold_start_seconds` plus
    :data:`REQUEST_SECONDS`, at most ``max-revision-timeout-seconds`` (as :func:`request_timeout_seconds` for the
    predictor); None when nothing on its request path can be at zero (Knative's 300 s default then covers a
    request)."""
    if cold_start == 0:
        return None
    return min(cold_start + REQUEST_SECONDS, int(MAX_REVISION_TIMEOUT))


def knative_component_timeout_seconds(cold_start: int, predictor_timeout: int, component_min_replicas: int) -> int:
    """A Knative-mode transformer's or explainer's rendered ``timeout`` when it does not give one: the predictor's
    ``timeout`` (``predictor_timeout``, :func:`predictor_timeout_seconds`), which its call to ``--predictor_host``
    may take whole, plus its own start (:data:`CPU_READY_SECONDS`) when it can be at zero; at least its
    :func:`component_cold_start_seconds` plus :data:`REQUEST_SECONDS` (:func:`component_timeout_seconds`, so never
    less than Knative's own 300 s default); at most ``max-revision-timeout-seconds`` (as
    :func:`request_timeout_seconds` for the predictor). With the component and the predictor up this is the
    predictor's timeout (when it is 300 s or more), the default a Standard-mode component gets (_kcomponents, rev14i
    N5), so a model keeps its request budget whatever the mode: left unset, Knative's revision-timeout-seconds, 300
    (knative/serving knative-v1.21.3 config/core/configmaps/defaults.yaml), cut a request the predictor answers."""
    own = CPU_READY_SECONDS if component_min_replicas == 0 else 0
    return min(max(own + predictor_timeout, cold_start + REQUEST_SECONDS), int(MAX_REVISION_TIMEOUT))


def security_context(spec: ModelSpec, enforce_restricted: bool = False) -> dict[str, Any]:
    """The model container's security context (PSS restricted).

    Every built-in runtime of our formats runs as a non-root user (kserve-runtime-configs v0.20.0 sets
    ``runAsNonRoot: true`` on each); for an explicit ``runtime`` we cannot know, so ``runAsNonRoot`` is left to
    that runtime's own definition, unless the namespace enforces ``restricted`` (``enforce_restricted``): then a
    root image fails at the kubelet with a clear reason instead of being rejected at admission.

    A model's own ``container`` gets its ``runAsUser`` when it gives one. A model served by a runtime gets none: KServe
    v0.20.0 merges the model's container over the runtime's with a strategic merge patch
    (pkg/controller/v1beta1/inferenceservice/utils/utils.go ``MergeRuntimeContainers`` -> pkg/utils/container_merge.go
    ``MergeContainerWithPatch``), which keeps the runtime's ``runAsUser`` (kserve-torchserve, kserve-tritonserver
    and kserve-tensorflow-serving set 1000, their images' users being names or unset: kserve-runtime-configs
    v0.20.0 values) and a stack runtime's ``container.runAsUser``.
    """
    user = spec.container.run_as_user if spec.container is not None else None
    return hardened_context(run_as_non_root=spec.runtime is None or enforce_restricted, run_as_user=user)


def hardened_context(run_as_non_root: bool, run_as_user: int | None = None) -> dict[str, Any]:
    """The PSS ``restricted`` container security context the platform gives the containers it defines (a model's
    server, a custom container, a stack runtime's ``kserve-container``), with ``runAsNonRoot`` when asked and the
    container's ``runAsUser`` when it gives one (red14l break 4: with ``runAsNonRoot`` and no numeric user, the kubelet
    refuses an image whose ``USER`` is a name, "container has runAsNonRoot and image has non-numeric user ...,
    cannot verify user is non-root", kubernetes pkg/kubelet/kuberuntime/security_context_others.go)."""
    ctx: dict[str, Any] = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if run_as_non_root:
        ctx["runAsNonRoot"] = True
    if run_as_user is not None:
        ctx["runAsUser"] = run_as_user
    return ctx


def resources(spec: ModelSpec) -> dict[str, Any]:
    """Requests equal to limits (Guaranteed QoS); GPUs in both, as the device plugin requires."""
    res = spec.resources
    amounts: dict[str, Any] = {"cpu": res.cpu, "memory": res.memory}
    if res.gpus:
        amounts[GPU_RESOURCE] = str(res.gpus)
    return {"requests": dict(amounts), "limits": dict(amounts)}


def serving_runtime(spec: ModelSpec, namespaced: tuple[runtimes.Runtime, ...] = ()) -> str | None:
    """The runtime KServe serves ``spec`` with: its ``runtime``, else the one KServe auto-selects for its format and
    protocol, the stack's ServingRuntimes of the model's namespace (``namespaced``,
    :func:`components.serving.stack_runtime.namespaced`) before the platform's (:func:`runtimes.select`)."""
    protocol = None if spec.effective_protocol == "openai" else spec.effective_protocol
    used, _ = runtimes.select(spec.format or "", protocol, spec.runtime, spec.format_version, namespaced)
    return used


def runtime_args(spec: ModelSpec, namespaced: tuple[runtimes.Runtime, ...] = ()) -> list[str]:
    """Arguments for the model server: vLLM settings for huggingface on GPUs served by KServe's Hugging Face server
    (named or auto-selected among the stack's runtimes of the model's namespace, ``namespaced``, and the
    platform's), then the user's own. Another runtime's server gets the user's args only: it may not read vLLM's
    options (red team #14e, 5).

    Without GPUs the Hugging Face server picks its Transformers backend (CPU: small encoders, classifiers).
    """
    args: list[str] = []
    if spec.format == "huggingface" and spec.resources.gpus and serving_runtime(spec, namespaced) in HF_SERVER_RUNTIMES:
        args.append("--backend=vllm")
        if spec.llm is not None and spec.llm.max_model_length is not None:
            args.append(f"--max-model-len={spec.llm.max_model_length}")
        args.append(f"--tensor-parallel-size={spec.resources.gpus}")
        if fastest_loader_applies(spec, namespaced):
            args.append(f"{runtimes.LLM_LOAD_FORMAT_FLAG}={runtimes.LLM_LOAD_FORMAT}")
    return [*args, *spec.args]


def fastest_loader_applies(spec: ModelSpec, namespaced: tuple[runtimes.Runtime, ...] = ()) -> bool:
    """Whether an LLM on GPUs gets :data:`runtimes.LLM_LOAD_FORMAT`: only on KServe's own Hugging Face runtime at the
    image tag the platform installs, named or auto-selected (given the stack's runtimes of the model's namespace,
    ``namespaced``; another runtime or ``runtimeVersion`` may be an image without the streamer), and only when the
    model's ``args`` name no ``--load-format`` of their own (in any spelling vLLM accepts)."""
    if serving_runtime(spec, namespaced) != "kserve-huggingfaceserver" or spec.runtime_version is not None:
        return False
    return not any(_same_option(runtimes.LLM_LOAD_FORMAT_FLAG, a.split("=", 1)[0]) for a in spec.args)


STORAGE_URI_ENV = "STORAGE_URI"
"""Where KServe finds a custom container's model: ``CustomSpecStorageUriEnvVarKey`` (pkg/constants/constants.go), read
by ``CustomPredictor.GetStorageUri`` on the container named ``kserve-container`` (pkg/apis/serving/v1beta1/
predictor_custom.go, v0.20.0); the predictor reconciler then adds the storage-initializer annotation for it
(components/predictor.go ``addStorageInitializerAnnotations``), so the pod gets the storage initializer, which
downloads the model to /mnt/models."""
PROTOCOL_ENV = "PROTOCOL"
"""A custom container's protocol: ``CustomSpecProtocolEnvVarKey``, ``v1`` or ``v2`` (predictor_custom.go
``validateCustomProtocol``/``GetProtocol``; v1 when absent)."""
CONTAINER_NAME = "kserve-container"
"""``constants.InferenceServiceContainerName``: the name KServe looks the model server up by."""


def env_entries(plain: Mapping[str, str], secret: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The user's variables and Secret references (``ref.secret``, ``ref.key``), each after the variables its value
    references (Kubernetes expands ``$(NAME)`` only from one defined earlier in the list), else in name order, plain
    before Secret ones (:func:`components.envrefs.ordered`; red14m W3)."""
    out: list[dict[str, Any]] = []
    for k in envrefs.ordered(plain, secret):
        if k in plain:
            out.append({"name": k, "value": plain[k]})
        else:
            ref = secret[k]
            out.append({"name": k, "valueFrom": {"secretKeyRef": {"name": ref.secret, "key": ref.key}}})
    return out


def env(spec: ModelSpec, hf_secret_name: str | None) -> list[dict[str, Any]]:
    """Container environment: the user's variables and Secret references, a custom container's ``STORAGE_URI`` and
    ``PROTOCOL``, then the Hugging Face token from its Secret."""
    out = env_entries(spec.env, spec.secret_env)
    if spec.container is not None:
        if spec.storage_uri is not None:
            out.append({"name": STORAGE_URI_ENV, "value": spec.storage_uri})
        out.append({"name": PROTOCOL_ENV, "value": spec.effective_protocol})
    if hf_secret_name is not None:
        out.append({"name": HF_TOKEN_ENV, "valueFrom": {"secretKeyRef": {"name": hf_secret_name, "key": HF_TOKEN_KEY}}})
    return out


@dataclass(frozen=True)
class PredictorInputs:
    """What the predictor needs besides the spec."""

    deployment_mode: str
    service_account: str
    gpu: GpuScheduling
    pod_labels: Mapping[str, str]
    cloud: str
    """The cluster's cloud (the seam's ``cloud``): the cold-start estimate's node steps are keyed by it."""
    hf_secret_name: str | None = None
    enforce_restricted: bool = False
    """Whether the model's namespace enforces the ``restricted`` Pod Security level."""
    request_log_url: str | None = None
    """The platform's request-log collector (:attr:`PlatformHandles.request_log_url`), where ``logger`` sends."""
    isvc_name: str = ""
    """The InferenceService's name: an LLM-scaled model's Prometheus query selects its pods by it."""
    namespaced: tuple[runtimes.Runtime, ...] = ()
    """The stack's ServingRuntimes in the model's namespace (:func:`components.serving.stack_runtime.namespaced`):
    KServe may auto-select one of them, whose server gets no vLLM options (:func:`runtime_args`)."""
    stack: Stack = ()
    """The same runtimes with their images (:func:`components.coldstart.stack_runtimes`), for the cold-start budget
    of the predictor's ``timeout``; empty: ``namespaced`` without images."""


def server_container(predictor: Mapping[str, Any]) -> Mapping[str, Any]:
    """The model server of a rendered predictor: its ``model``, else its first container (a custom container)."""
    model = predictor.get("model")
    if model:
        return model  # type: ignore[no-any-return]
    containers = predictor.get("containers") or [{}]
    return containers[0]  # type: ignore[no-any-return]


def _probe(probe: ProbeSpec, port: PortSpec) -> dict[str, Any]:
    """A core/v1 Probe on the container's port: HTTP GET on the path, gRPC health for gRPC, else a TCP check."""
    if probe.path is not None:
        action: dict[str, Any] = {"httpGet": {"path": probe.path, "port": port.number}}
    elif port.protocol == "grpc":
        action = {"grpc": {"port": port.number}}
    else:
        action = {"tcpSocket": {"port": port.number}}
    return {
        **action,
        "initialDelaySeconds": probe.initial_delay_seconds,
        "periodSeconds": probe.period_seconds,
        "timeoutSeconds": probe.timeout_seconds,
        "failureThreshold": probe.failure_threshold,
    }


def custom_container(spec: ModelSpec, given: PredictorInputs) -> dict[str, Any]:
    """The custom model server: ``kserve-container`` with the spec's image, command, args, one port, env, probes,
    resources and our security context."""
    c = spec.container
    assert c is not None
    out: dict[str, Any] = {"name": CONTAINER_NAME, "image": c.image}
    if c.command:
        out["command"] = list(c.command)
    if spec.args:
        out["args"] = list(spec.args)
    out["ports"] = [{"name": c.port.name, "containerPort": c.port.number, "protocol": "TCP"}]
    out["env"] = env(spec, given.hf_secret_name)
    for key, probe in (
        ("readinessProbe", c.readiness_probe),
        ("livenessProbe", c.liveness_probe),
        ("startupProbe", c.startup_probe),
    ):
        if probe is not None:
            out[key] = _probe(probe, c.port)
    out["resources"] = resources(spec)
    out["securityContext"] = security_context(spec, given.enforce_restricted)
    return out


def model_container(spec: ModelSpec, given: PredictorInputs) -> dict[str, Any]:
    """The predictor's ``model``: format (and version), runtime (and version), storage, protocol, args, env,
    resources and our security context."""
    fmt: dict[str, Any] = {"name": spec.format}
    if spec.format_version is not None:
        fmt["version"] = spec.format_version
    model: dict[str, Any] = {"modelFormat": fmt}
    if spec.storage_uri is not None:
        model["storageUri"] = spec.storage_uri
    if spec.runtime is not None:
        model["runtime"] = spec.runtime
    if spec.runtime_version is not None:
        model["runtimeVersion"] = spec.runtime_version
    protocol = spec.effective_protocol
    if protocol != "openai":
        model["protocolVersion"] = protocol
    if protocol == "grpc-v2":
        # The runtime's gRPC port as the pod's one port, named h2c; protocolVersion v2 for a runtime that serves
        # gRPC beside HTTP without listing grpc-v2 (runtimes.grpc_serving; spec.runtimes_problem refused the rest)
        served = runtimes.grpc_serving(spec.format or "", spec.runtime, spec.format_version)
        assert served is not None, "runtimes_problem refuses grpc-v2 on a runtime without a known gRPC port"
        model["protocolVersion"] = served[1]
        model["ports"] = [{"name": "h2c", "containerPort": served[2], "protocol": "TCP"}]
    args = runtime_args(spec, given.namespaced)
    if args:
        model["args"] = args
    variables = env(spec, given.hf_secret_name)
    if variables:
        model["env"] = variables
    model["resources"] = resources(spec)
    model["securityContext"] = security_context(spec, given.enforce_restricted)
    return model


def node_selector(spec: ModelSpec, gpu: GpuScheduling) -> dict[str, str]:
    """The spec's node selector merged with the GPU pool's (ModelService refuses a key both set differently)."""
    out = dict(spec.node_selector)
    if spec.resources.gpus and spec.resources.accelerator:
        out.update(gpu.node_selector(spec.resources.accelerator))
    return out


def tolerations(spec: ModelSpec, gpu: GpuScheduling) -> list[dict[str, Any]]:
    """The GPU tolerations, then the spec's (without repeating one)."""
    out: list[dict[str, Any]] = list(gpu.tolerations()) if spec.resources.gpus and spec.resources.accelerator else []
    for t in spec.tolerations:
        rendered = t.rendered()
        if rendered not in out:
            out.append(rendered)
    return out


def predictor_timeout_seconds(spec: ModelSpec, given: PredictorInputs) -> int:
    """The predictor's rendered ``timeout``: the model's own, else :func:`request_timeout_seconds` (the same in both
    deployment modes)."""
    if spec.timeout is not None:
        return spec.timeout
    return request_timeout_seconds(
        spec,
        coldstart.cluster_facts(given.cloud, given.gpu),
        given.stack or tuple(coldstart.StackRuntime(r) for r in given.namespaced),
    )


def predictor(spec: ModelSpec, given: PredictorInputs) -> dict[str, Any]:
    """The ``spec.predictor`` of the InferenceService."""
    mode = given.deployment_mode
    scaling = spec.scaling
    out: dict[str, Any] = {
        "serviceAccountName": given.service_account,
        "minReplicas": scaling.min_replicas,
        "maxReplicas": scaling.max_replicas,
    }
    if llm_scaling.is_llm(scaling.metric):  # KEDA: no scaleMetric ("ScaleMetric is not supported for KEDA")
        out["autoScaling"] = llm_scaling.auto_scaling(spec, given.isvc_name)
    else:
        out["scaleMetric"] = scaling.resolved_metric(mode)
        out["scaleTarget"] = scaling.resolved_target(mode)
    if spec.container is not None:
        out["containers"] = [custom_container(spec, given)]
    else:
        out["model"] = model_container(spec, given)
    if spec.storage_uris:
        out["storageUris"] = [{"uri": u.uri, "mountPath": u.mount_path} for u in spec.storage_uris]
    # Both modes read the predictor's ``timeout``: Knative mode as the revision's timeoutSeconds (ksvc_reconciler.go),
    # Standard mode as the request timeout of every rule of the model's HTTPRoute, 60 s without it (KServe v0.20.0
    # pkg/controller/v1beta1/inferenceservice/reconcilers/ingress/httproute_reconciler.go resolveTimeout,
    # DefaultTimeout; rev14h defect 1). The same default in both modes, so a model keeps its request budget when the
    # platform's deployment mode changes.
    out["timeout"] = predictor_timeout_seconds(spec, given)
    if mode == "Knative" and spec.container_concurrency is not None:
        out["containerConcurrency"] = spec.container_concurrency
    if spec.canary_traffic_percent is not None:
        out["canaryTrafficPercent"] = spec.canary_traffic_percent
    if spec.rollout is not None:
        out["deploymentStrategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": spec.rollout.max_surge, "maxUnavailable": spec.rollout.max_unavailable},
        }
    labels = {**spec.labels, **given.pod_labels}
    if labels:
        out["labels"] = labels
    pod_annotations = {**spec.annotations, **llm_scaling.pod_annotations(spec)}
    if pod_annotations:
        out["annotations"] = pod_annotations
    selector = node_selector(spec, given.gpu)
    if selector:
        out["nodeSelector"] = selector
    tols = tolerations(spec, given.gpu)
    if tols:
        out["tolerations"] = tols
    # A pod asking more than one GPU must not land on a pool that serves one share per request (its nodes advertise
    # GPUs x clients, so the scheduler would place it there and the device plugin fail it):
    # GpuScheduling.multi_gpu_affinity. Knative admits the affinity (kubernetes.podspec-affinity,
    # components/platform/knative.py GPU_FEATURES).
    if affinity := given.gpu.multi_gpu_affinity(spec.resources.accelerator, spec.resources.gpus):
        out["affinity"] = affinity
    if spec.image_pull_secrets:
        out["imagePullSecrets"] = [{"name": n} for n in spec.image_pull_secrets]
    if spec.logger is not None and given.request_log_url is not None:
        out["logger"] = {
            "mode": spec.logger.mode,
            "url": given.request_log_url,
            "metadataAnnotations": [VERSION_ANNOTATION],
            "metadataHeaders": [REQUEST_ID_HEADER],
        }
    return out


def model_version(spec: ModelSpec) -> str:
    """The version a logging model's records carry: ``logger.version``, else a fingerprint of what is served."""
    if spec.logger is not None and spec.logger.version is not None:
        return spec.logger.version
    image = spec.container.image if spec.container is not None else None
    uris = [spec.storage_uri, *(u.uri for u in spec.storage_uris)]
    return served_fingerprint([*uris, spec.format, spec.format_version, spec.runtime, spec.runtime_version, image])


def logger_annotations(spec: ModelSpec) -> dict[str, str]:
    """The InferenceService annotation that names the version (:data:`VERSION_ANNOTATION`), for a model whose
    predictor, transformer or explainer logs (KServe copies it to every component's pods)."""
    return {VERSION_ANNOTATION: model_version(spec)} if spec.logs else {}
