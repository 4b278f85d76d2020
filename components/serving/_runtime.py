"""The InferenceService a ModelSpec becomes: predictor, autoscaling annotations and cold-start deadlines.

Pure functions (no resources), so the translation is tested on its own and the component stays short.

Cold-start budget for a GPU model scaled to zero on a GPU pool at zero nodes (research/performance.md §3):

- GPU node boot: 11 min, the top of the observed range (AKS A100 pool 10-11 min; Karpenter ~100 s plus ~1 min
  before GPUs are allocatable).
- Image pull: 4 min (a cold 2-5 GB runtime image 30-60 s; a deep-learning image without streaming 3 min 50 s).
- Model load: 3 min for predictive models (~1 GB from object storage "1 min+"), 8 min for LLMs on vLLM (weights
  ~3 min plus a 3.5-4.5 min engine start: torch.compile, CUDA graphs).

The Knative per-revision progress deadline is that sum (18 min; 23 min for LLMs), so Knative does not fail a
revision that is still waiting for its GPU node (kserve#1247, kserve#1641). Pulumi waits 5 minutes longer, so the
Knative failure reason is what ``pulumi up`` reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.clusters.base import GpuScheduling
from components.platform.knative import MAX_REVISION_TIMEOUT
from components.serving.spec import ModelSpec

GPU_NODE_BOOT_SECONDS = 660
IMAGE_PULL_SECONDS = 240
MODEL_LOAD_SECONDS = 180
LLM_LOAD_SECONDS = 480
CPU_READY_SECONDS = 600
"""The progress deadline of a CPU model (Knative's own default), set per revision so it does not depend on the
platform's global value."""
PULUMI_MARGIN_SECONDS = 300

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


def cold_start_seconds(spec: ModelSpec) -> int | None:
    """The Knative progress deadline a GPU model needs (node boot + image pull + model load); None for CPU."""
    if spec.resources.gpus == 0:
        return None
    load = LLM_LOAD_SECONDS if spec.format == "huggingface" else MODEL_LOAD_SECONDS
    return GPU_NODE_BOOT_SECONDS + IMAGE_PULL_SECONDS + load


def pulumi_timeout_seconds(spec: ModelSpec) -> int:
    """How long ``pulumi up`` waits for the InferenceService to become Ready."""
    return (cold_start_seconds(spec) or CPU_READY_SECONDS) + PULUMI_MARGIN_SECONDS


def _duration(seconds: int) -> str:
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


def isvc_annotations(spec: ModelSpec, deployment_mode: str) -> dict[str, str]:
    """InferenceService annotations: Pulumi readiness, deployment mode, and autoscaling knobs KServe passes on."""
    out = {
        "pulumi.com/waitFor": "condition=Ready",
        "pulumi.com/timeoutSeconds": str(pulumi_timeout_seconds(spec)),
        DEPLOYMENT_MODE: deployment_mode,
    }
    scaling = spec.scaling
    if deployment_mode == "Standard":
        out[KSERVE_AUTOSCALER_CLASS] = "hpa"
        return out
    out[SCALE_DOWN_DELAY] = scaling.scale_down_delay
    if scaling.resolved_metric(deployment_mode) == "cpu":
        out[AUTOSCALING_CLASS] = HPA_CLASS
    if spec.access.mode == "internal" and scaling.min_replicas >= 1:
        # Take Knative's activator off the request path once pods run, so the model's sidecar decides on the
        # caller itself; while the activator is in the path (at zero), the caller is decided at the activator
        # (_auth.activator_policy).
        out[TARGET_BURST_CAPACITY] = "0"
    deadline = cold_start_seconds(spec)
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


def cold_start_budget_seconds(spec: ModelSpec) -> int:
    """How long the first pod may take from zero: a GPU model's cold start, else the CPU progress deadline."""
    return cold_start_seconds(spec) or CPU_READY_SECONDS


def request_timeout_seconds(spec: ModelSpec) -> int:
    """The predictor's ``timeout`` (Knative mode): the cold-start budget plus :data:`REQUEST_SECONDS`, at most
    the platform's ``max-revision-timeout-seconds``.

    Knative's activator holds a request that arrives at zero replicas until a pod is up and applies the revision's
    ``timeoutSeconds`` to the whole of it, the wait included (cmd/activator/main.go, knative/serving 1.21); KServe
    v0.20.0 copies the predictor's ``timeout`` to both ``timeoutSeconds`` and ``responseStartTimeoutSeconds``
    (reconcilers/knative/ksvc_reconciler.go), so a request is not cut by the 300 s defaults while the GPU node
    boots. Knative's webhook rejects a timeout above ``max-revision-timeout-seconds``
    (pkg/apis/serving/v1/revision_validation.go ``validateTimeoutSeconds``).
    """
    return min(cold_start_budget_seconds(spec) + REQUEST_SECONDS, int(MAX_REVISION_TIMEOUT))


def security_context(spec: ModelSpec, enforce_restricted: bool = False) -> dict[str, Any]:
    """The model container's security context (PSS restricted).

    Every built-in runtime of our formats runs as a non-root user (kserve-runtime-configs v0.20.0 sets
    ``runAsNonRoot: true`` on each); for an explicit ``runtime`` we cannot know, so ``runAsNonRoot`` is left to
    that runtime's own definition, unless the namespace enforces ``restricted`` (``enforce_restricted``): then a
    root image fails at the kubelet with a clear reason instead of being rejected at admission.
    """
    ctx: dict[str, Any] = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if spec.runtime is None or enforce_restricted:
        ctx["runAsNonRoot"] = True
    return ctx


def resources(spec: ModelSpec) -> dict[str, Any]:
    """Requests equal to limits (Guaranteed QoS); GPUs in both, as the device plugin requires."""
    res = spec.resources
    amounts: dict[str, Any] = {"cpu": res.cpu, "memory": res.memory}
    if res.gpus:
        amounts[GPU_RESOURCE] = str(res.gpus)
    return {"requests": dict(amounts), "limits": dict(amounts)}


def runtime_args(spec: ModelSpec) -> list[str]:
    """Arguments for the model server: vLLM settings for huggingface on GPUs, then the user's own.

    Without GPUs the Hugging Face server picks its Transformers backend (CPU: small encoders, classifiers).
    """
    args: list[str] = []
    if spec.format == "huggingface" and spec.resources.gpus:
        args.append("--backend=vllm")
        if spec.llm is not None and spec.llm.max_model_length is not None:
            args.append(f"--max-model-len={spec.llm.max_model_length}")
        args.append(f"--tensor-parallel-size={spec.resources.gpus}")
    return [*args, *spec.args]


def env(spec: ModelSpec, hf_secret_name: str | None) -> list[dict[str, Any]]:
    """Container environment: the user's variables, then the Hugging Face token from its Secret."""
    out: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in sorted(spec.env.items())]
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
    hf_secret_name: str | None = None
    enforce_restricted: bool = False
    """Whether the model's namespace enforces the ``restricted`` Pod Security level."""


def predictor(spec: ModelSpec, given: PredictorInputs) -> dict[str, Any]:
    """The ``spec.predictor`` of the InferenceService."""
    mode = given.deployment_mode
    scaling = spec.scaling
    model: dict[str, Any] = {"modelFormat": {"name": spec.format}, "storageUri": spec.storage_uri}
    if spec.runtime is not None:
        model["runtime"] = spec.runtime
    protocol = spec.effective_protocol
    if protocol != "openai":
        model["protocolVersion"] = protocol
    args = runtime_args(spec)
    if args:
        model["args"] = args
    variables = env(spec, given.hf_secret_name)
    if variables:
        model["env"] = variables
    model["resources"] = resources(spec)
    model["securityContext"] = security_context(spec, given.enforce_restricted)

    out: dict[str, Any] = {
        "serviceAccountName": given.service_account,
        "minReplicas": scaling.min_replicas,
        "maxReplicas": scaling.max_replicas,
        "scaleMetric": scaling.resolved_metric(mode),
        "scaleTarget": scaling.resolved_target(mode),
        "model": model,
    }
    if mode == "Knative":
        out["timeout"] = request_timeout_seconds(spec)
    if spec.canary_traffic_percent is not None:
        out["canaryTrafficPercent"] = spec.canary_traffic_percent
    if given.pod_labels:
        out["labels"] = dict(given.pod_labels)
    if spec.resources.gpus and spec.resources.accelerator:
        out["nodeSelector"] = given.gpu.node_selector(spec.resources.accelerator)
        out["tolerations"] = given.gpu.tolerations()
    return out
