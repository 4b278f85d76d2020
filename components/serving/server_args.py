"""Arguments and environment that move or replace a model server where mlplatform routes to it (red team #14f,
breaks 1-3).

mlplatform renders the ports Knative and KServe route to from what it knows of each server: 8080 for HTTP, the gRPC
port of :data:`runtimes.V2_GRPC_PORTS` / :data:`runtimes.GRPC_PORTS` for a ``grpc-v2`` model, and KServe's agent on
9081 beside a logging or batching component. A model's ``args`` and ``env`` reach the same server (KServe appends the
InferenceService's args to the runtime's and merges its env by name: pkg/controller/v1beta1/inferenceservice/utils/
utils.go ``MergeRuntimeContainers``, pkg/utils/container_merge.go, v0.20.0), so the ones that move that server, or
replace it, are refused here, each in one line:

- kserve-mlserver runs MLServer 1.7.1 (``docker.io/seldonio/mlserver:1.7.1``,
  upstream/reference/kserve-v0.20.0-clusterservingruntimes.yaml), whose image has a ``CMD`` (``mlserver start
  $MLSERVER_MODELS_DIR`` after activating conda, SeldonIO/MLServer tag 1.7.1 Dockerfile:133-135) and no
  ``ENTRYPOINT``, and the ClusterServingRuntime gives neither ``command`` nor ``args``: a model's ``args`` are then
  the container's whole command line (Kubernetes: "If you supply only args for a Container, the default Entrypoint
  defined in the Docker image is run with the args that you supplied", and without an ENTRYPOINT the first arg is the
  executable: kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container). MLServer reads
  its ports from ``MLSERVER_HTTP_PORT``, ``MLSERVER_GRPC_PORT`` and ``MLSERVER_METRICS_PORT`` (mlserver/settings.py
  at 1.7.1: ``ENV_PREFIX_SETTINGS = "MLSERVER_"``, ``http_port`` 8080, ``grpc_port`` 8081, ``metrics_port`` 8082 on
  a pydantic-settings ``BaseSettings``, whose environment names are case-insensitive by default), which the runtime
  sets to 8080 and 9000 and mlplatform routes to.
- The kserve Python servers (sklearn, xgboost, lightgbm, paddle, pmml, predictive, autogluon and the Hugging Face
  server) parse ``--http_port``, ``--grpc_port`` and ``--enable_grpc`` from ``kserve.model_server.parser``
  (kserve v0.20.0 python/kserve/kserve/model_server.py:53-87, read with ``parse_known_args`` :208; every
  ``<name>server/__main__.py`` builds its parser with ``parents=[kserve.model_server.parser]``), default 8080, 8081
  and gRPC on.
- A custom container, transformer or explainer may be such a server too (KServe's own transformers and the Alibi
  explainer are): ``--http_port`` / ``--grpc_port`` of 9081 in a pod with KServe's agent would take its port.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from components.serving import runtimes

if TYPE_CHECKING:
    from components.serving.kcomponents import ComponentSpec, ExplainerSpec
    from components.serving.spec import ModelSpec

MLSERVER = "kserve-mlserver"
MLSERVER_PORT_ENV = ("MLSERVER_HTTP_PORT", "MLSERVER_GRPC_PORT", "MLSERVER_METRICS_PORT")
"""The MLServer settings that move its servers (mlserver/settings.py at 1.7.1: ``http_port``, ``grpc_port``,
``metrics_port``, read from the environment with the prefix ``MLSERVER_``)."""

KSERVE_MODEL_SERVERS = (
    "kserve-autogluonserver",
    "kserve-huggingfaceserver",
    "kserve-huggingfaceserver-multinode",
    "kserve-lgbserver",
    "kserve-paddleserver",
    "kserve-pmmlserver",
    "kserve-predictiveserver",
    "kserve-sklearnserver",
    "kserve-xgbserver",
)
"""The ClusterServingRuntimes whose server parses ``kserve.model_server.parser`` (kserve v0.20.0 python/
``<name>server/__main__.py``: ``argparse.ArgumentParser(parents=[kserve.model_server.parser])``; the Hugging Face
server's ``FlexibleArgumentParser(parents=[kserve.model_server.parser])``)."""

HTTP_PORT_FLAG = "--http_port"
GRPC_PORT_FLAG = "--grpc_port"
ENABLE_GRPC_FLAG = "--enable_grpc"
MODEL_NAME_PREFIX = "--model_name"
"""What KServe's ``utils.IncludesArg(container.Args, "--model_name")`` matches: an argument equal to it or starting
with it (pkg/utils/collections.go:48-55 at v0.20.0, ``strings.HasPrefix``)."""


def _same(flag: str, arg: str) -> bool:
    from components.serving.spec import _same_option

    return arg.startswith("-") and arg != "--" and _same_option(flag, arg.split("=", 1)[0])


def _value(args: Sequence[str], i: int) -> str | None:
    arg = args[i]
    if "=" in arg:
        return arg.split("=", 1)[1]
    return args[i + 1] if i + 1 < len(args) else None


def serving_runtime(model: ModelSpec) -> str | None:
    """The KServe ClusterServingRuntime whose server serves ``model`` (None for a custom container or a runtime of
    the stack's own): the one KServe selects, or for ``grpc-v2`` the one :func:`runtimes.grpc_serving` renders."""
    from components.serving.spec import _runtime_of

    if model.container is not None:
        return None
    if model.effective_protocol == "grpc-v2":
        served = runtimes.grpc_serving(model.format or "", model.runtime, model.format_version)
        return served[0] if served is not None else None
    return _runtime_of(model)


def runtime_server_problems(model: ModelSpec) -> list[tuple[str, object, str]]:
    """``args`` and ``env`` that replace or move the server of the KServe runtime that serves ``model`` (key path,
    value, accepted); flags the runtime sets itself are :func:`components.serving.spec._overridden_flag`'s."""
    runtime = serving_runtime(model)
    problems: list[tuple[str, object, str]] = []
    if runtime == MLSERVER:
        if model.args:
            problems.append(
                (
                    "args.0",
                    model.args[0],
                    "kserve-mlserver's image (seldonio/mlserver:1.7.1) starts MLServer from its CMD and has no "
                    "ENTRYPOINT, so args would replace that whole command line (Kubernetes runs args without a "
                    "command as the image's entrypoint); remove args, and give MLServer settings as MLSERVER_* env",
                )
            )
        for kind, names in (("env", model.env), ("secretEnv", model.secret_env)):
            for name in names:
                if name.upper() in MLSERVER_PORT_ENV:
                    problems.append(
                        (
                            kind,
                            name,
                            "it would move an MLServer port (mlserver/settings.py 1.7.1 reads MLSERVER_* settings "
                            "case-insensitively), and KServe's runtime sets MLSERVER_HTTP_PORT=8080 and "
                            "MLSERVER_GRPC_PORT=9000, where mlplatform routes; remove it",
                        )
                    )
        return problems
    if runtime not in KSERVE_MODEL_SERVERS:
        return problems
    grpc = model.effective_protocol == "grpc-v2"
    for i, arg in enumerate(model.args):
        if _same(GRPC_PORT_FLAG, arg):
            problems.append(
                (
                    f"args.{i}",
                    arg,
                    f"it would move {runtime}'s gRPC server (kserve model_server.py --grpc_port, default 8081), which "
                    "mlplatform routes to for grpc-v2 and which must stay off KServe's agent port 9081; remove it",
                )
            )
        elif grpc and _same(ENABLE_GRPC_FLAG, arg):
            problems.append(
                (
                    f"args.{i}",
                    arg,
                    f"the model is served over grpc-v2, on {runtime}'s gRPC server (kserve model_server.py "
                    "--enable_grpc); remove it",
                )
            )
        elif HTTP_PORT_FLAG not in runtimes.SERVER_FLAGS.get(runtime, ()) and _same(HTTP_PORT_FLAG, arg):
            problems.append(
                (
                    f"args.{i}",
                    arg,
                    f"it would move {runtime}'s HTTP server off 8080 (kserve model_server.py --http_port), the port "
                    "KServe's Service and Knative route to; remove it",
                )
            )
    return problems


def agent_port_flag(args: Sequence[str], flags: Sequence[str] = (HTTP_PORT_FLAG, GRPC_PORT_FLAG)) -> int | None:
    """The index of the argument in ``args`` that puts a kserve model server's HTTP or gRPC port on KServe's agent
    port (``--http_port=9081``, ``--grpc_port 9081``, an abbreviation or the dashed spelling), or None."""
    from components.serving.kcomponents import AGENT_PORT

    for i, arg in enumerate(args):
        if not any(_same(flag, arg) for flag in flags):
            continue
        value = _value(args, i)
        if value is not None and value.strip().isdigit() and int(value) == AGENT_PORT:
            return i
    return None


def agent_port_line(flag_arg: str) -> str:
    """The accepted text for an argument :func:`agent_port_flag` found."""
    from components.serving.kcomponents import AGENT_PORT_USER

    return (
        f"a kserve model server would listen on it (kserve model_server.py {flag_arg.split('=', 1)[0]}), and in this "
        f"pod {AGENT_PORT_USER}; give another port"
    )


def component_model_name_problems(
    name: str, model: ModelSpec, parts: Mapping[str, ComponentSpec | ExplainerSpec | None]
) -> list[tuple[str, object, str]]:
    """A transformer's or explainer's ``--model_name`` that is not the name its predictor serves the model under.

    KServe passes ``--model_name <model>`` to a transformer and an explainer only when their args have none
    (transformer_custom.go:93-97, explainer_custom.go:74-78 at v0.20.0, ``IncludesArg``), and a kserve component
    calls the predictor by its own name (python/kserve/kserve/model.py ``_http_predict``: ``model_name=self.name``).
    When the predictor is a KServe runtime that registers the model under the InferenceService's name (its args give
    ``--model_name={{.Name}}``: :data:`runtimes.SERVER_FLAGS`), another name would reach no model. A custom
    container, torchserve, triton or a stack runtime serve names of their own (KServe's transformer docs give
    ``--model_name mnist`` in front of torchserve), so those are the user's to match."""
    from components.serving.spec import served_model_name

    runtime = serving_runtime(model)
    if runtime is None or runtimes.MODEL_NAME_FLAG not in runtimes.SERVER_FLAGS.get(runtime, ()):
        return []
    served = served_model_name(name, model)
    problems: list[tuple[str, object, str]] = []
    for key, part in parts.items():
        if part is None or getattr(part, "collocated", False):
            continue
        for i, arg in enumerate(part.args):
            if not arg.startswith(MODEL_NAME_PREFIX):
                continue
            value = _value(part.args, i) if arg in (MODEL_NAME_PREFIX,) or arg.startswith("--model_name=") else None
            if value == served:
                continue
            problems.append(
                (
                    f"{key}.args.{i}",
                    arg,
                    f"the {key} calls the predictor by its --model_name, and {runtime} serves the model as "
                    f"{served} (KServe passes --model_name {served} when the args give none); give "
                    f"--model_name={served} or remove it",
                )
            )
    return problems
