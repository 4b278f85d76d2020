"""Which KServe runtime serves a model: KServe v0.20.0's selection over the ClusterServingRuntimes we install.

Pure data and functions. :data:`RUNTIMES` is what the ``kserve-runtime-configs`` chart v0.20.0 installs
(``charts/kserve-runtime-configs/files/runtimes/resources.yaml`` at kserve/kserve v0.20.0, copied to
``upstream/reference/kserve-v0.20.0-clusterservingruntimes.yaml``; a test keeps the two equal): per runtime the
protocol versions, whether it is multi-model or multi-node, and per supported model format its version,
``autoSelect`` and ``priority``.

:func:`select` follows ``pkg/apis/serving/v1beta1/predictor_model.go`` at v0.20.0:

- the model's protocol is its ``protocolVersion``, else ``v1`` (``GetProtocol``);
- without an explicit runtime, a runtime is a candidate when it is not disabled, not multi-model (``isMMS`` false
  for single-model serving), not multi-node (no ``workerSpec``; we never ask for workers), lists the model's format
  with ``autoSelect: true`` (``getServingRuntimeSupportedModelFormatLabelSet``; the format is matched by name
  because we give no format version), and supports the protocol (``IsProtocolVersionSupported``: an empty
  ``protocolVersions`` supports every protocol);
- candidates are ordered by their lowest protocol version (``sortClusterServingRuntimeList``: v1 < v2 < grpc-v1 <
  grpc-v2 < unknown), then the newer ``creationTimestamp`` first, then by name; then by the format's ``priority``,
  highest first, a runtime with a priority before one without (``sortSupportedRuntimeByPriority``); the first one
  wins (``components/predictor.go`` ``reconcileModel``). Both sorts are Go's ``sort.Slice``, which is not stable,
  so only the priority order is certain. We cannot know creation times (one chart release creates all the
  runtimes, within the same second or not), so :func:`candidates` breaks protocol ties by name alone; that is
  safe only because no format has two candidates sharing the top priority at any protocol (a test checks it), so
  the winner never depends on the timestamp or name order. No candidate: the InferenceService fails with
  ``NoSupportingRuntime`` and never becomes Ready.
- with an explicit runtime (``reconcileModel``): it must not be disabled, must support the protocol when one is
  given, and must list the format (``autoSelect`` does not matter then). A runtime we do not install (the user's
  own ServingRuntime) is not checked here.

The stack's own runtimes (``mlplatform:runtimes``, :mod:`components.serving.stack_runtime`) are namespaced
ServingRuntimes, given here as ``namespaced`` (those in the model's namespace). KServe v0.20.0 prefers them:

- ``GetSupportingRuntimes`` (pkg/apis/serving/v1beta1/predictor_model.go) lists the namespace's ServingRuntimes and
  the ClusterServingRuntimes apart, filters and sorts each list the same way (protocol rank, creation time, name,
  then ``sortSupportedRuntimeByPriority``) and appends the cluster list AFTER the namespaced one: a ServingRuntime
  that auto-selects the model's format wins over every ClusterServingRuntime, whatever their priorities;
- ``GetServingRuntime`` (pkg/controller/v1beta1/inferenceservice/utils/utils.go) looks an explicit ``runtime`` up as
  a ServingRuntime in the model's namespace first and only then as a ClusterServingRuntime, so a ServingRuntime
  named like a ClusterServingRuntime replaces it for the models of its namespace.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

PROTOCOL_ORDER = {"v1": 1, "v2": 2, "grpc-v1": 3, "grpc-v2": 4}
"""``constants.GetProtocolVersionInt`` (pkg/constants/constants.go v0.20.0); anything else is ``Unknown`` (5)."""
UNKNOWN_PROTOCOL = 5
DEFAULT_PROTOCOL = "v1"
"""``ModelSpec.GetProtocol``: a predictor without ``protocolVersion`` speaks v1."""


@dataclass(frozen=True)
class Format:
    """One ``supportedModelFormats`` entry of a runtime."""

    name: str
    version: str | None = None
    auto_select: bool = False
    priority: int | None = None


@dataclass(frozen=True)
class Runtime:
    """One ClusterServingRuntime, as far as selection goes."""

    name: str
    formats: tuple[Format, ...]
    protocols: tuple[str, ...] = ()
    multi_model: bool = False
    multi_node: bool = False
    disabled: bool = False

    def supports_protocol(self, protocol: str) -> bool:
        """``IsProtocolVersionSupported``."""
        return not protocol or not self.protocols or protocol in self.protocols

    def lists(self, fmt: str, *, explicit: bool, version: str | None = None) -> bool:
        """``RuntimeSupportsModel``: the runtime's label set (``mt:<name>`` and ``mt:<name>:<version>`` of every
        format it lists, of the ``autoSelect`` ones only unless a runtime is named) holds the model's label
        (``mt:<name>:<version>`` when the model gives a version, else ``mt:<name>``)."""
        return any(
            f.name == fmt and (explicit or f.auto_select) and (version is None or f.version == version)
            for f in self.formats
        )

    def versions(self, fmt: str, *, explicit: bool) -> list[str]:
        """The versions of ``fmt`` the runtime lists (the ``autoSelect`` ones only unless ``explicit``)."""
        return [f.version for f in self.formats if f.name == fmt and (explicit or f.auto_select) and f.version]

    def priority(self, fmt: str) -> int | None:
        """``GetPriority``: the priority of the first entry named ``fmt``."""
        for f in self.formats:
            if f.name == fmt:
                return f.priority
        return None

    def protocol_rank(self) -> int:
        """``GetProtocolVersionPriority``: the rank of the runtime's lowest protocol version."""
        if not self.protocols:
            return UNKNOWN_PROTOCOL
        return min(PROTOCOL_ORDER.get(p, UNKNOWN_PROTOCOL) for p in self.protocols)


def _f(name: str, version: str, priority: int | None = 1, auto: bool = True) -> Format:
    return Format(name, version, auto, priority)


RUNTIMES: tuple[Runtime, ...] = (
    Runtime("kserve-autogluonserver", (_f("autogluon", "1"),), ("v1", "v2")),
    Runtime("kserve-huggingfaceserver", (_f("huggingface", "1"),), ("v2", "v1")),
    Runtime("kserve-huggingfaceserver-multinode", (_f("huggingface", "1", 2),), ("v2", "v1"), multi_node=True),
    Runtime("kserve-lgbserver", (_f("lightgbm", "4"),), ("v1", "v2")),
    Runtime(
        "kserve-mlserver",
        (
            _f("sklearn", "0", 2),
            _f("sklearn", "1", 2),
            _f("xgboost", "1", 2),
            _f("xgboost", "2", 2),
            _f("lightgbm", "3", 2),
            _f("lightgbm", "4", 2),
            _f("mlflow", "1"),
            _f("mlflow", "2"),
        ),
        ("v2",),
    ),
    Runtime("kserve-paddleserver", (_f("paddle", "2"),), ("v1", "v2")),
    Runtime("kserve-pmmlserver", (_f("pmml", "3"), _f("pmml", "4")), ("v1", "v2")),
    Runtime(
        "kserve-predictiveserver",
        (_f("sklearn", "1", 3, False), _f("xgboost", "2", 3, False), _f("lightgbm", "4", 3, False)),
        ("v1", "v2"),
    ),
    Runtime("kserve-sklearnserver", (_f("sklearn", "1"),), ("v1", "v2")),
    Runtime("kserve-tensorflow-serving", (_f("tensorflow", "1", 2), _f("tensorflow", "2", 2)), ("v1", "grpc-v1")),
    Runtime("kserve-torchserve", (_f("pytorch", "1", 2),), ("v1", "v2", "grpc-v2")),
    Runtime(
        "kserve-tritonserver",
        (
            _f("tensorrt", "8"),
            _f("tensorflow", "1"),
            _f("tensorflow", "2"),
            _f("onnx", "1"),
            Format("pytorch", "1"),
            _f("triton", "2"),
        ),
        ("v2", "grpc-v2"),
    ),
    Runtime("kserve-vllmserver", (_f("vLLM", "1"),)),
    Runtime("kserve-xgbserver", (_f("xgboost", "2"),), ("v1", "v2")),
)
"""The ClusterServingRuntimes of kserve-runtime-configs v0.20.0 (see the module docstring)."""

BY_NAME = {r.name: r for r in RUNTIMES}

FORMATS: tuple[str, ...] = tuple(sorted({f.name for r in RUNTIMES for f in r.formats}, key=str.lower))
"""Every model format a runtime we install lists (``supportedModelFormats[].name``), auto-selected or not: the
accepted values of a model's ``format``. Whether one serves a given format, version and protocol is :func:`select`'s
question."""

SERVER_FLAGS: dict[str, tuple[str, ...]] = {
    "kserve-autogluonserver": ("--model_name", "--model_dir", "--http_port"),
    "kserve-huggingfaceserver": ("--model_name",),
    "kserve-huggingfaceserver-multinode": ("--model_name",),
    "kserve-lgbserver": ("--model_name", "--model_dir", "--http_port", "--nthread"),
    "kserve-mlserver": (),
    "kserve-paddleserver": ("--model_name", "--model_dir", "--http_port"),
    "kserve-pmmlserver": ("--model_name", "--model_dir", "--http_port"),
    "kserve-predictiveserver": ("--model_name", "--model_dir", "--http_port", "--framework", "--nthread"),
    "kserve-sklearnserver": ("--model_name", "--model_dir", "--http_port"),
    "kserve-tensorflow-serving": (
        "--model_name", "--port", "--rest_api_port", "--model_base_path", "--rest_api_timeout_in_ms",
    ),
    "kserve-torchserve": ("--start", "--model-store", "--ts-config"),
    "kserve-tritonserver": ("--model-store", "--grpc-port", "--http-port", "--allow-grpc", "--allow-http"),
    "kserve-vllmserver": ("--port", "--served-model-name", "--model"),
    "kserve-xgbserver": ("--model_name", "--model_dir", "--http_port", "--nthread"),
}  # fmt: skip
"""The flags each ClusterServingRuntime's container sets in its ``args`` (the same resources.yaml at v0.20.0; a test
keeps the two equal). KServe puts an InferenceService's own args after them ("Args are concatenated (runtime + isvc)
rather than replaced", pkg/controller/v1beta1/inferenceservice/utils/utils.go ``MergeRuntimeContainers`` at v0.20.0),
and the servers' argument parsers keep the last value of a flag, so a model arg naming one of these overrides what the
runtime wired up: ``--model_name=x`` serves the model under a name the InferenceService's URL does not ask for,
``--http_port`` moves it off the port the Service and probes use."""


MODEL_NAME_FLAG = "--model_name"
NAMED_RUNTIMES = ("kserve-huggingfaceserver",)
"""Runtimes whose model may name itself with ``--model_name=<name>`` in its args (the name the server registers the
model under, so the name in its paths: ``/v1/models/<name>:predict``, ``/v2/models/<name>/infer``, the OpenAI
``model``). KServe v0.20.0's kserve-huggingfaceserver sets ``--model_name={{.Name}}``
(upstream/reference/kserve-v0.20.0-clusterservingruntimes.yaml) and appends the InferenceService's args after it
(:data:`SERVER_FLAGS`); the server's parser takes ``--model_name`` from ``kserve.model_server.parser`` as a plain
``store`` option (python/kserve/kserve/model_server.py: ``type=str``, default ``model``; read with
``parse_known_args`` in python/huggingfaceserver/huggingfaceserver/__main__.py), so the last value wins and every model
class is built with ``args.model_name``. Only the exact spelling is read here (``--model_name=<name>`` or
``--model_name <name>``): abbreviations and ``--model-name`` (vLLM's ``FlexibleArgumentParser``) stay refused, so the
name mlplatform computes is the one the server parses. With the vLLM backend ``--served-model-name`` would replace it
(``args.model_name = args.served_model_name[0]``), so that flag is refused."""
SERVED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}", re.ASCII)
"""A name given with ``--model_name``: one path segment that KServe's explain route (``[\\w-]+``,
``constants.ExplainPrefix``) and Istio's ``{*}`` path templates match as a whole; at most 63 characters."""


def served_name(args: Sequence[str], default: str) -> str:
    """The name the server registers the model under: the last ``--model_name=<name>`` or ``--model_name <name>`` of
    ``args``, else ``default`` (the InferenceService's name, which the runtime passes)."""
    name = default
    for i, arg in enumerate(args):
        if arg.startswith(MODEL_NAME_FLAG + "="):
            name = arg.split("=", 1)[1]
        elif arg == MODEL_NAME_FLAG and i + 1 < len(args):
            name = args[i + 1]
    return name


GPU_TAG_RUNTIMES = (
    "kserve-huggingfaceserver",
    "kserve-huggingfaceserver-multinode",
    "kserve-tensorflow-serving",
    "kserve-torchserve",
)
"""Runtimes whose GPU build is the same image with a ``-gpu`` tag suffix: KServe v0.20.0 appends it for a pod with
GPUs only when ``runtimeVersion`` is not given (pkg/controller/v1beta1/inferenceservice/utils/utils.go
``UpdateImageTag``: server types tensorflow-serving, torchserve and huggingfaceserver, read from the runtime's
``serving.kserve.io/server-type`` annotation, upstream/reference/kserve-v0.20.0-clusterservingruntimes.yaml); with
``runtimeVersion`` the tag is replaced as given."""

GRPC_PORTS: dict[str, int] = {"kserve-tritonserver": 9000}
"""The gRPC port of the runtimes a ``grpc-v2`` model may use: kserve-tritonserver's args set ``--grpc-port=9000``
(upstream/reference/kserve-v0.20.0-clusterservingruntimes.yaml). KServe v0.20.0 does not declare a runtime's gRPC port
itself (no port rewriting for ``protocolVersion: grpc-v2`` under pkg/controller), so the predictor names it in
``model.ports`` as ``h2c``, the one port Knative then routes to. kserve-torchserve lists grpc-v2 too, but no port of
it is in its ClusterServingRuntime, so it is not offered."""

KSERVE_PYTHON_SERVERS = (
    "kserve-autogluonserver",
    "kserve-lgbserver",
    "kserve-paddleserver",
    "kserve-pmmlserver",
    "kserve-predictiveserver",
    "kserve-sklearnserver",
    "kserve-xgbserver",
)
"""The installed ClusterServingRuntimes whose server is kserve's Python ModelServer on its defaults (HTTP 8080, gRPC
8081; see :data:`V2_GRPC_PORTS`), the Hugging Face server aside (its vLLM backend is not that server)."""

V2_GRPC_PORTS: dict[str, int] = {
    **dict.fromkeys(
        KSERVE_PYTHON_SERVERS,
        8081,
    ),
    "kserve-mlserver": 9000,
}
"""Runtimes that list the v2 protocol but not grpc-v2 and serve the v2 protocol over gRPC beside HTTP, on this port.
The kserve Python model servers (images kserve/<name>server, whose args give ``--http_port=8080`` and nothing about
gRPC, upstream/reference/kserve-v0.20.0-clusterservingruntimes.yaml) start the gRPC server by default
(python/kserve/kserve/model_server.py v0.20.0: ``--enable_grpc`` default True, ``--grpc_port`` default
``DEFAULT_GRPC_PORT``, 8081 in python/kserve/kserve/constants/constants.py); kserve-mlserver's env sets
``MLSERVER_GRPC_PORT=9000``. KServe's own examples serve them so: ``protocolVersion: v2`` with ``ports: [{name: h2c,
containerPort: 8081}]`` (kserve/website versioned_docs/version-0.20/model-serving/predictive-inference/frameworks/
sklearn/sklearn.md, "gRPC"). Their ``protocolVersion`` stays v2: KServe refuses a runtime named for a protocol it does
not list (pkg/controller/v1beta1/inferenceservice/components/predictor.go, "does not support specified protocol
version"). kserve-huggingfaceserver is left out (its server may not be the kserve ModelServer: the vLLM backend)."""


SERVER_PORTS: dict[str, tuple[int, ...]] = {
    **dict.fromkeys(
        KSERVE_PYTHON_SERVERS,
        (8080, 8081),
    ),
    "kserve-mlserver": (8080, 9000, 8082),
    "kserve-tensorflow-serving": (8080, 9000),
    "kserve-tritonserver": (8080, 9000, 8002),
    "kserve-torchserve": (8080, 8081),
    "kserve-vllmserver": (8080,),
}
"""The pod ports each installed runtime's model server listens on, which a collocated ``transformer-container`` in
the same pod cannot take (KServe v0.20.0 sets no port of its own for it: components/predictor.go ``buildPodSpec``
appends the transformer-container beside the runtime's ``kserve-container`` unchanged). From the runtime's container
(upstream/reference/kserve-v0.20.0-clusterservingruntimes.yaml) and its server's defaults:

- the kserve Python servers: ``--http_port=8080`` in the runtime's args and the gRPC server on 8081 by default
  (:data:`V2_GRPC_PORTS`);
- kserve-mlserver: ``MLSERVER_HTTP_PORT=8080``, ``MLSERVER_GRPC_PORT=9000`` in its env, and MLServer's metrics server
  on ``metrics_port`` 8082 by default (SeldonIO/MLServer mlserver/settings.py ``metrics_port: int = 8082``);
- kserve-tensorflow-serving: ``--rest_api_port=8080`` and ``--port=9000`` (gRPC) in its args;
- kserve-tritonserver: ``--http-port=8080``, ``--grpc-port=9000`` in its args and the metrics server on 8002 by
  default (triton-inference-server/server src/main.cc ``metrics_port_ = 8002``);
- kserve-torchserve (image ``pytorch/torchserve-kfs:0.9.0``): the image's entrypoint starts TorchServe, then KServe's
  wrapper ``ModelServer(http_port=8080, grpc_port=8081)`` (pytorch/serve v0.9.0 kubernetes/kserve/
  dockerd-entrypoint.sh, kserve_wrapper/__main__.py); TorchServe's own addresses come from the model's
  ``config/config.properties`` (8085 in KServe's examples), which mlplatform cannot read;
- kserve-vllmserver: ``--port=8080`` in its args.

kserve-huggingfaceserver is left out: a collocated transformer is not offered before it
(:func:`components.serving.kcomponents.collocation_problems`)."""


def grpc_serving(fmt: str, runtime: str | None = None, version: str | None = None) -> tuple[str, str, int] | None:
    """How a ``grpc-v2`` model is served: (runtime, the predictor's ``protocolVersion``, gRPC port), or None.

    A runtime KServe would pick at ``grpc-v2`` whose gRPC port we know (:data:`GRPC_PORTS`) renders ``grpc-v2``;
    else one it would pick at ``v2`` that serves gRPC beside HTTP (:data:`V2_GRPC_PORTS`) renders ``v2``."""
    chosen, _ = select(fmt, "grpc-v2", runtime, version)
    if chosen in GRPC_PORTS:
        return chosen, "grpc-v2", GRPC_PORTS[chosen]
    chosen, _ = select(fmt, "v2", runtime, version)
    if chosen in V2_GRPC_PORTS:
        return chosen, "v2", V2_GRPC_PORTS[chosen]
    return None


FLAG_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    # triton-inference-server/server src/command_line_parser.cc (SetupOptions): "model-store" and "model-repository"
    # are one option (OPTION_MODEL_REPOSITORY; --model-store is "Equivalent to --model-repository"), which "may be
    # specified multiple times to add multiple model repositories": a model's --model-repository adds a repository
    # beside /mnt/models, and a model name found in both is then served by neither ("not unique").
    "kserve-tritonserver": {"--model-store": ("--model-repository",)},
}
"""Other option strings of the flags in :data:`SERVER_FLAGS`, per runtime: a model arg naming any of them sets the
same option, so each is refused like the flag itself."""

VLLM_GPU_FLAGS: tuple[tuple[str, ...], ...] = (
    ("--tensor-parallel-size", "-tp"),
    ("--pipeline-parallel-size", "-pp"),
    ("--data-parallel-size", "-dp"),
    ("--prefill-context-parallel-size", "-pcp"),
)
"""vLLM's options that decide how many GPUs the engine uses, each with its short form (vllm 0.24.0, the version
KServe v0.20.0's huggingfaceserver pins: python/huggingfaceserver/pyproject.toml ``vllm==0.24.0``;
vllm/engine/arg_utils.py ``add_cli_args``: ``"--tensor-parallel-size", "-tp"``, ``"--pipeline-parallel-size",
"-pp"``, ``"--data-parallel-size", "-dp"``, ``"--prefill-context-parallel-size", "-pcp"``). The engine's world size
is their product (vllm/config/parallel.py ``ParallelConfig.__post_init__``: pipeline x tensor x prefill-context; x
data with the external launcher, and each data-parallel rank takes a world of its own), and mlplatform sets
``--tensor-parallel-size`` to the pod's GPUs (resources.gpus): any of them in a model's args asks for GPUs the pod does
not have, or overrides that setting. ``-O`` (vLLM's ``--optimization-level``, argparse_utils.py) touches nothing
mlplatform sets and stays the user's."""


LLM_LOAD_FORMAT = "runai_streamer"
"""The weight loader mlplatform gives vLLM for an LLM (``format: huggingface`` on GPUs) on KServe's own Hugging Face
runtime image: the Run:ai Model Streamer, which reads safetensors tensors with several threads while copying them to
the GPU (vLLM docs, models/extensions/runai_model_streamer: ``--load-format runai_streamer``). The image has it: KServe
v0.20.0's GPU build installs ``vllm[runai,tensorizer,fastsafetensors]==0.24.0`` (python/huggingface_server.Dockerfile,
``ARG VLLM_VERSION=0.24.0``; the ``-gpu`` tag KServe gives a GPU pod, .github/workflows/huggingface-docker-publish.yml),
and the server hands vLLM's own CLI options to the engine (python/huggingfaceserver/huggingfaceserver/__main__.py:
``maybe_add_vllm_cli_parser`` when the vLLM backend is on). Fastest of vLLM's loaders in the published comparison
(NVIDIA technical blog "Reducing Cold Start Latency for LLM Inference with NVIDIA Run:ai Model Streamer", Llama 3 8B on
an AWS g5.12xlarge: GP3 SSD 14.34 s at concurrency 16 against 47.99 s for the default safetensors loader; figures read
through hyper.ai's summary of the post). It reads safetensors only: a model whose weights are only ``.bin`` files
gives ``--load-format=auto`` in its ``args`` (a model's own ``--load-format`` replaces this one)."""

LLM_LOAD_FORMAT_FLAG = "--load-format"


def kserve_protocol(protocol: str | None) -> str:
    """The protocol KServe matches runtimes on for a predictor whose ``protocolVersion`` is ``protocol``."""
    return protocol or DEFAULT_PROTOCOL


def candidates(
    fmt: str, protocol: str | None, runtimes: Sequence[Runtime] = RUNTIMES, version: str | None = None
) -> list[Runtime]:
    """The runtimes KServe would auto-select for ``fmt`` (at format ``version`` when given) at ``protocol``, best
    first (see the module docstring)."""
    proto = kserve_protocol(protocol)
    found = [
        r
        for r in runtimes
        if not r.disabled
        and not r.multi_model
        and not r.multi_node
        and r.lists(fmt, explicit=False, version=version)
        and r.supports_protocol(proto)
    ]
    # sortServingRuntimeList: lowest protocol rank first, then the NEWEST creationTimestamp, then the name
    # (pkg/apis/serving/v1beta1/predictor_model.go v0.20.0, lines 165-183). Creation order is not known offline, so
    # the name stands in for it here; two stack runtimes for which only that order would decide are refused
    # (:func:`tied_choice`, components/serving/stack_runtime.py ``stack_problems``), and KServe's own
    # ClusterServingRuntimes are created together by its chart.
    found.sort(key=lambda r: (r.protocol_rank(), r.name))
    # sortSupportedRuntimeByPriority: a runtime with a priority first, higher priority first; Python's sort is
    # stable, KServe's sort.Slice is not, so runtimes of equal priority may come out in another order there.
    found.sort(key=lambda r: (r.priority(fmt) is None, -(r.priority(fmt) or 0)))
    return found


def tied_choice(
    fmt: str, protocol: str | None, runtimes: Sequence[Runtime], version: str | None = None
) -> tuple[Runtime, Runtime] | None:
    """The first two of ``runtimes`` (one namespace's ServingRuntimes) KServe would auto-select for ``fmt`` at
    ``protocol`` (and format ``version``) when nothing but their creation order tells them apart, else None.

    KServe v0.20.0 ``GetSupportingRuntimes`` (pkg/apis/serving/v1beta1/predictor_model.go) sorts a namespace's
    ServingRuntimes by protocol rank, then newest ``creationTimestamp`` first, then name (``sortServingRuntimeList``,
    lines 165-183), and then by the format's priority (``sortSupportedRuntimeByPriority``: "if both runtimes does not
    specify the priority, the order is kept"); the first is used. So two runtimes of equal priority (none, or the
    same) and equal protocol rank at the top are taken newest first: a runtime added by a later ``pulumi up`` wins
    whatever its name, which a plan cannot know. KServe's admission does not stop it: it refuses only equal priorities
    both given over a shared protocol (servingruntime_webhook.go ``validateServingRuntimePriority``, lines 182-208)."""
    found = candidates(fmt, protocol, runtimes, version)
    if len(found) < 2:
        return None
    first, second = found[0], found[1]
    if first.priority(fmt) == second.priority(fmt) and first.protocol_rank() == second.protocol_rank():
        return first, second
    return None


def select(
    fmt: str,
    protocol: str | None,
    runtime: str | None = None,
    version: str | None = None,
    namespaced: Sequence[Runtime] = (),
) -> tuple[str | None, str | None]:
    """``(runtime name, None)`` for the runtime KServe would use, or ``(None, why)`` when none would serve.

    ``protocol`` is the predictor's ``protocolVersion`` (None when not set), ``version`` its ``modelFormat.version``
    (None when not set), ``namespaced`` the stack's ServingRuntimes in the model's namespace, looked at before the
    ClusterServingRuntimes we install (module docstring). An explicit ``runtime`` that is neither gives
    ``(runtime, None)``: the cluster's other ServingRuntimes are not known here.
    """
    shown = f"{fmt} version {version}" if version is not None else fmt
    if runtime is not None:
        r = {n.name: n for n in namespaced}.get(runtime) or BY_NAME.get(runtime)
        if r is None:
            return runtime, None
        if r.disabled:
            return None, f"runtime {runtime} is disabled"
        if protocol is not None and not r.supports_protocol(protocol):
            return None, f"runtime {runtime} serves protocol {', '.join(r.protocols)}, not {protocol}"
        if not r.lists(fmt, explicit=True, version=version):
            if r.lists(fmt, explicit=True):
                return None, f"runtime {runtime} serves {fmt} version " + " or ".join(r.versions(fmt, explicit=True))
            served = ", ".join(sorted({f.name for f in r.formats}))
            return None, f"runtime {runtime} serves {served}, not {fmt}"
        return runtime, None
    # GetSupportingRuntimes: the namespace's ServingRuntimes, each list sorted on its own, before the cluster's
    found = candidates(fmt, protocol, namespaced, version) + candidates(fmt, protocol, version=version)
    if found:
        return found[0].name, None
    proto = kserve_protocol(protocol)
    if version is not None and candidates(fmt, protocol):
        able_versions = sorted(
            {v for r in candidates(fmt, protocol) for v in r.versions(fmt, explicit=False)}, key=lambda v: (len(v), v)
        )
        return None, (
            f"no KServe v0.20.0 runtime auto-selects format {shown} over protocol {proto}; give formatVersion "
            + " or ".join(able_versions)
            + ", or leave it out"
        )
    able = sorted(
        {
            p
            for r in RUNTIMES
            if r.lists(fmt, explicit=False, version=version) and not r.multi_node and not r.multi_model
            for p in r.protocols
        }
    )
    if able:
        return None, f"no KServe v0.20.0 runtime serves format {shown} over protocol {proto}; give protocol " + (
            " or ".join(p for p in able if not p.startswith("grpc-"))
        )
    listing = sorted(r.name for r in RUNTIMES if r.lists(fmt, explicit=True, version=version))
    if listing:
        return None, (
            f"no KServe v0.20.0 runtime auto-selects format {shown} (autoSelect is off); name the runtime: "
            + " or ".join(listing)
        )
    return None, f"no KServe v0.20.0 runtime serves format {shown}; name a runtime of your own"
