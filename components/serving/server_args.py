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

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from components.serving import runtimes

if TYPE_CHECKING:
    from components.serving.kcomponents import ComponentSpec, ExplainerSpec
    from components.serving.spec import ModelSpec

MLSERVER = "kserve-mlserver"
MLSERVER_PORT_ENV = ("MLSERVER_HOST", "MLSERVER_HTTP_PORT", "MLSERVER_GRPC_PORT", "MLSERVER_METRICS_PORT")
"""The MLServer settings that move where its servers listen (SeldonIO/MLServer tag 1.7.1 mlserver/settings.py:211-236
``host`` "0.0.0.0", ``http_port``, ``grpc_port``, ``metrics_port``, read from the environment with the prefix
``MLSERVER_``, :34). The one ``host`` is the address of all three servers (rest/server.py:85, grpc/server.py:84,
metrics/server.py:62 at 1.7.1: there is no separate gRPC or metrics host); on ``127.0.0.1`` a Standard-mode Service,
which sends traffic to the pod's IP, would reach nothing (red team #14g break 4)."""

OPENAI_PREFIX_ENV = "KSERVE_OPENAI_ROUTE_PREFIX"
OPENAI_PREFIX_DEFAULT = "/openai"
"""Where a KServe Python server mounts its OpenAI routes (kserve v0.20.0 python/kserve/kserve/protocol/rest/openai/
endpoints.py:40 ``os.environ.get("KSERVE_OPENAI_ROUTE_PREFIX", "/openai")``, the ``APIRouter`` prefix at :262); the
model's AuthorizationPolicy allows the default ``/openai/...`` paths only (components/serving/_auth.py ``OPENAI``:
rev14h defect 5). An ``env`` value equal to the default (:data:`OPENAI_PREFIX_DEFAULT`) changes nothing and is kept; a
secret's value is not known, so a ``secretEnv`` entry is refused."""

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


KSERVE_OPTIONS: Mapping[str, bool] = {
    **dict.fromkeys(
        (
            "--http_port",
            "--grpc_port",
            "--workers",
            "--max_threads",
            "--max_asyncio_workers",
            "--enable_grpc",
            "--enable_docs_url",
            "--enable_latency_logging",
            "--configure_logging",
            "--log_config_file",
            "--access_log_format",
            "--event-loop",
            "--timeout-keep-alive",
            "--model_name",
            "--predictor_host",
            "--protocol",
            "--predictor_protocol",
            "--predictor_use_ssl",
            "--predictor_request_timeout_seconds",
            "--grpc_max_send_message_length",
            "--grpc_max_receive_message_length",
            "--predictor_request_retries",
        ),
        True,
    ),
    "--enable_predictor_health_check": False,
    "-h": False,
    "--help": False,
}
"""The options of a kserve server's parser, each with whether it takes one argument: ``kserve.model_server.parser``
(kserve v0.20.0 python/kserve/kserve/model_server.py:48-207, every one ``store`` with one argument but
``--enable_predictor_health_check``, ``action="store_true"`` :202-207), wrapped as ``argparse.ArgumentParser(parents=
[kserve.model_server.parser])`` (python/sklearnserver/sklearnserver/__main__.py:24 and the other servers' and KServe's
transformers'), which adds ``-h``/``--help``. A component's own parser may add options, never take these away (KServe
passes ``--model_name``, ``--predictor_host`` and ``--http_port`` to every transformer and explainer)."""

HF_SERVER_OPTIONS = (
    "--model_dir",
    "--model_id",
    "--model_revision",
    "--tokenizer_revision",
    "--max_length",
    "--max_model_len",
    "--disable_lower_case",
    "--disable_special_tokens",
    "--trust_remote_code",
    "--tensor_input_names",
    "--backend",
    "--return_token_type_ids",
    "--return_offsets_mapping",
    "--return_probabilities",
    "--return_raw_logits",
    "--disable_log_requests",
)
"""KServe's Hugging Face server's own options, spelled with ``_``, which its parser registers whatever the backend
(kserve v0.20.0 python/huggingfaceserver/huggingfaceserver/__main__.py:80-165); with vLLM it adds vLLM's options,
every one spelled with ``-`` (vllm 0.24.0 vllm/engine/arg_utils.py ``EngineArgs.add_cli_args``, e.g.
``--gpu-memory-utilization`` :1148; vllm/entrypoints/openai/cli_args.py ``make_arg_parser``)."""

KSERVE_INT_OPTIONS = frozenset(
    (
        "--http_port",
        "--grpc_port",
        "--workers",
        "--max_threads",
        "--max_asyncio_workers",
        "--timeout-keep-alive",
        "--predictor_request_timeout_seconds",
        "--grpc_max_send_message_length",
        "--grpc_max_receive_message_length",
        "--predictor_request_retries",
    )
)
"""The options of :data:`KSERVE_OPTIONS` argparse converts with ``type=int`` (model_server.py:55-79, 135, 181-199 at
v0.20.0): a value ``int()`` refuses makes it exit ("invalid int value"), wherever the option is given."""

MODEL_NAME_DEFAULT = "model"
"""``--model_name``'s default (model_server.py:145-150 at v0.20.0), the name a component uses when no arg gives one."""

_NEGATIVE_NUMBER = re.compile(r"\A-\d+\Z|\A-\d*\.\d+\Z")
"""argparse's ``_negative_number_matcher`` (CPython 3.11/3.12 Lib/argparse.py): such an argument is a value, not an
option, when the parser has no option that looks like a negative number (a kserve parser has none)."""


@dataclass(frozen=True)
class ParsedOption:
    """One option argparse finds in a command line (:func:`parse_options`)."""

    index: int
    """Where the option is in the arguments."""
    matches: tuple[str, ...]
    """The option strings it names: one (given whole or as a unique prefix), several (an ambiguous prefix), none
    (an option the parser does not know, which ``parse_known_args`` leaves aside)."""
    value: str | None
    """Its argument (after ``=`` or the next argument), None when it has none."""
    takes_value: bool
    """Whether the option it names takes one argument."""


def _classify(arg: str, options: Mapping[str, bool]) -> tuple[tuple[str, ...], str | None] | None:
    """argparse's ``_parse_optional`` (CPython 3.11-3.13 Lib/argparse.py) on one argument: None for a value
    (positional), else (the option strings it names, its ``=`` argument or None)."""
    if not arg or arg[0] != "-":
        return None
    if arg in options:
        return (arg,), None
    if len(arg) == 1:
        return None
    name, eq, explicit = arg.partition("=")
    if eq and name in options:
        return (name,), explicit
    # allow_abbrev (on by default): _get_option_tuples, every option string the text before "=" begins; for a single
    # "-" the first two characters as a short option too
    matches = tuple(o for o in options if o.startswith(name))
    if not arg.startswith("--") and arg[:2] in options and arg[:2] not in matches:
        matches = (arg[:2], *matches)
    if matches:
        return matches, (explicit if eq else None)
    if _NEGATIVE_NUMBER.match(arg) or " " in arg:
        return None
    return (), None


def parse_options(args: Sequence[str], options: Mapping[str, bool] = KSERVE_OPTIONS) -> list[ParsedOption]:
    """The options in ``args`` as Python's argparse reads them against ``options`` (option string: takes one argument),
    in order: a long option given whole or by a unique prefix (``allow_abbrev``, on in every kserve parser), its
    argument after ``=`` or as the next argument unless that one is an option itself (then it has none: argparse's
    "expected one argument"); nothing after ``--``. :func:`option_problem` says which of them argparse refuses."""
    found: list[ParsedOption] = []
    kinds = []
    for arg in args:
        if arg == "--":
            break
        kinds.append(_classify(arg, options))
    i = 0
    while i < len(kinds):
        kind = kinds[i]
        if kind is None:
            i += 1
            continue
        matches, explicit = kind
        takes = any(options[m] for m in matches) if matches else False
        value = explicit
        if value is None and takes and i + 1 < len(kinds) and kinds[i + 1] is None:
            value = args[i + 1]
        found.append(ParsedOption(i, matches, value, takes))
        i += 2 if value is not None and explicit is None and takes and len(matches) == 1 else 1
    return found


def option_problem(args: Sequence[str], options: Mapping[str, bool] = KSERVE_OPTIONS) -> tuple[int, str] | None:
    """The first argument of ``args`` that makes a kserve server's argparse exit before it serves (index, accepted):
    an ambiguous prefix ("ambiguous option"), an option without its argument ("expected one argument"), a whole-number
    option with a value ``int()`` refuses ("invalid int value", :data:`KSERVE_INT_OPTIONS`), ``-h``/``--help`` or a
    flag given a value ("ignored explicit argument"), CPython Lib/argparse.py ``_parse_optional``/``consume_optional``
    /``_get_values``. Only for a server whose parser is kserve's (a transformer, an explainer), where that is an
    option, not another program's argument."""
    for opt in parse_options(args, options):
        if len(opt.matches) > 1:
            return opt.index, (
                f"argparse reads it as an abbreviation of {', '.join(opt.matches)} (allow_abbrev), which is "
                "ambiguous, and the server exits (kserve model_server.py parser); give the whole option"
            )
        if len(opt.matches) == 1 and opt.takes_value and opt.value is None:
            return opt.index, (
                f"{opt.matches[0]} needs a value, and argparse exits without one (expected one argument); give "
                f"{opt.matches[0]}=<value>"
            )
        int_option = len(opt.matches) == 1 and opt.matches[0] in KSERVE_INT_OPTIONS
        if int_option and opt.value is not None and argparse_int(opt.value) is None:
            return opt.index, (
                f"{opt.matches[0]} takes a whole number, and argparse exits on another value (type=int: invalid "
                f"int value); give {opt.matches[0]}=<number>"
            )
        if opt.matches in (("-h",), ("--help",)):
            return opt.index, "argparse prints its help and exits (-h/--help), so the server never starts; remove it"
        if len(opt.matches) == 1 and not opt.takes_value and "=" in args[opt.index]:
            return opt.index, f"{opt.matches[0]} takes no value (argparse: ignored explicit argument); remove it"
    return None


def last_value(
    args: Sequence[str], option: str, options: Mapping[str, bool] = KSERVE_OPTIONS
) -> tuple[int, str] | None:
    """(index, value) of the last argument argparse reads as ``option`` in ``args`` (``store`` keeps the last), or
    None."""
    hits = [(o.index, o.value) for o in parse_options(args, options) if o.matches == (option,) and o.value is not None]
    return hits[-1] if hits else None


def kserve_includes_arg(args: Sequence[str], flag: str) -> bool:
    """KServe's ``utils.IncludesArg``: an argument equal to ``flag`` or starting with it (pkg/utils/collections.go:48-55
    at v0.20.0). KServe appends its own ``--model_name``/``--predictor_host``/``--http_port`` to a transformer's args
    only when this is false (transformer_custom.go:93-110), so an abbreviation (``--http_p=9000``) is followed by
    KServe's whole flag, whose value then wins."""
    return any(a == flag or a.startswith(flag) for a in args)


def component_value(args: Sequence[str], option: str, appended: str | None) -> tuple[int | None, str | None]:
    """The value a kserve transformer or explainer reads for ``option``: KServe's ``appended`` value when its args do
    not include the flag (:func:`kserve_includes_arg`; ``None``: KServe appends nothing), else the last one the args
    give (index, value), else (None, None) for the option's default."""
    if appended is not None and not kserve_includes_arg(args, option):
        return None, appended
    hit = last_value(args, option)
    return (hit[0], hit[1]) if hit is not None else (None, None)


def argparse_int(text: str) -> int | None:
    """``text`` as argparse's ``type=int`` reads it: Python's ``int()`` (a sign, ``_`` between digits, edge
    whitespace, any Unicode decimal digits, leading zeros; kserve model_server.py:52-63 ``--http_port``/``--grpc_port``
    ``type=int``), or None where ``int()`` refuses it (argparse then exits: invalid int value)."""
    try:
        return int(text)
    except ValueError:
        return None


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
                            "it would move where MLServer listens (mlserver/settings.py 1.7.1 host, http_port, "
                            "grpc_port, metrics_port, read from MLSERVER_* case-insensitively), and KServe's runtime "
                            "has it listen on 0.0.0.0 with MLSERVER_HTTP_PORT=8080 and MLSERVER_GRPC_PORT=9000, where "
                            "mlplatform routes; remove it",
                        )
                    )
        return problems
    if runtime not in KSERVE_MODEL_SERVERS:
        return problems
    for kind, names in (("env", model.env), ("secretEnv", model.secret_env)):
        if kind == "env" and model.env.get(OPENAI_PREFIX_ENV) == OPENAI_PREFIX_DEFAULT:
            continue  # KServe's own default: the routes stay where the AuthorizationPolicy allows them (rev14i N2)
        if OPENAI_PREFIX_ENV in names:
            problems.append(
                (  # the key path to the value and the value (red14j break 12: the line showed the name only)
                    f"{kind}.{OPENAI_PREFIX_ENV}",
                    names[OPENAI_PREFIX_ENV],
                    f"it would move {runtime}'s OpenAI routes off /openai (kserve v0.20.0 protocol/rest/openai/"
                    "endpoints.py OPENAI_ROUTE_PREFIX), the paths the model's AuthorizationPolicy allows, so every "
                    "OpenAI call would be denied; remove it",
                )
            )
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


def runs_vllm(model: ModelSpec) -> bool:
    """Whether KServe's Hugging Face server runs ``model`` with vLLM's options: a huggingface model on GPUs with that
    server's runtime or none named, which components/serving/_runtime.py ``runtime_args`` gives ``--backend=vllm``."""
    from components.serving.spec import HF_SERVER_RUNTIMES

    return (
        model.container is None
        and model.format == "huggingface"
        and bool(model.resources.gpus)
        and model.runtime in (None, *HF_SERVER_RUNTIMES)
    )


def dropped_arg_problems(model: ModelSpec) -> list[tuple[str, object, str]]:
    """``args`` a KServe Python model server never reads (rev16g defect 1), each (key path, value, accepted).

    Every KServe Python server reads its command line with ``parse_known_args`` and drops what it does not know
    (kserve v0.20.0 python/huggingfaceserver/huggingfaceserver/__main__.py:168 and :213, python/kserve/kserve/
    model_server.py:208, python/sklearnserver/sklearnserver/__main__.py:28 and the other ``<name>server``'s), so:

    - one argument holding an option and its value with a space (``"--max-model-len 4096"``) is read as a value, not
      an option (CPython 3.11-3.13 Lib/argparse.py ``_parse_optional``: "if it contains a space, it was meant to be
      a positional"), and the servers have no positional argument: it is dropped. Skipped after an option without
      ``=``, which may take it as its value;
    - with vLLM (:func:`runs_vllm`), an option spelled with ``_`` that is not one of the server's own
      (:data:`KSERVE_OPTIONS`, :data:`HF_SERVER_OPTIONS`, whole or abbreviated): vLLM registers its options with
      ``-``, and its ``FlexibleArgumentParser`` turns ``_`` into ``-`` only in ``parse_args`` (vllm 0.24.0
      vllm/utils/argparse_utils.py:301-321); its ``parse_known_args`` (:139-147) does not, so
      ``--gpu_memory_utilization=0.4`` is dropped and vLLM runs at its default 0.92."""
    if serving_runtime(model) not in KSERVE_MODEL_SERVERS:
        return []
    vllm = runs_vllm(model)
    own = (*KSERVE_OPTIONS, *HF_SERVER_OPTIONS)
    problems: list[tuple[str, object, str]] = []
    from components.credentials import arg_credential

    for i, arg in enumerate(model.args):
        if arg == "--":
            break  # argparse: every argument after it is a value
        if not arg.startswith("-") or arg == "-" or "\0" in arg or arg_credential(model.args, i):
            continue  # a credential's value is never quoted (container_text_problems refuses it)
        given, eq, value = arg.partition("=")
        if " " in given:
            before = model.args[i - 1] if i else ""
            if before.startswith("-") and "=" not in before and " " not in before:
                continue  # the value of the option before it
            option, _, rest = given.partition(" ")
            spelled = f"{option}={rest.strip()}{eq}{value}" if rest.strip() else option
            problems.append(
                (
                    f"args.{i}",
                    arg,
                    "one argument with a space is read as a value, not an option (Python's argparse: "
                    "_parse_optional), and the server's parse_known_args drops it (kserve v0.20.0 "
                    f"huggingfaceserver/__main__.py:213, model_server.py:208); give {spelled} or two arguments",
                )
            )
            continue
        if not vllm or not given.startswith("--") or "_" not in given or any(o.startswith(given) for o in own):
            continue
        dashed = "--" + given[2:].replace("_", "-")
        # red14m M5: --return_logits is no vLLM option misspelled but a near miss of KServe's own --return_raw_logits
        # (huggingfaceserver/__main__.py output_format_group, v0.20.0): name that one, and never promise that vLLM
        # reads the dashed spelling (the rule does not know vLLM's options)
        near = [o for o in own if _one_word_short(given, o)]
        advice = (
            f"KServe's own option is {near[0]}"
            if near
            else f"vLLM spells its options with '-' ({dashed}{eq}{value}, if vLLM has that option)"
        )
        problems.append(
            (
                f"args.{i}",
                arg,
                f"KServe's Hugging Face server reads vLLM's options with parse_known_args (huggingfaceserver/"
                "__main__.py:213, v0.20.0), which does not turn _ into - (vllm 0.24.0 argparse_utils.py: only "
                f"parse_args does), so it drops {given}; {advice}",
            )
        )
    return problems


def _one_word_short(given: str, option: str) -> bool:
    """Whether ``given`` is ``option`` with one ``_`` word left out (``--return_logits`` of ``--return_raw_logits``;
    not ``--disable_log_stats`` of ``--disable_log_requests``, a different word)."""
    have, full = given[2:].split("_"), option[2:].split("_")
    return len(full) == len(have) + 1 and any(full[:i] + full[i + 1 :] == have for i in range(len(full)))


def agent_port_flag(args: Sequence[str], flags: Sequence[str] = (HTTP_PORT_FLAG, GRPC_PORT_FLAG)) -> int | None:
    """The index of the argument in ``args`` that puts a kserve model server's HTTP or gRPC port on KServe's agent
    port (``--http_port=9081``, ``--grpc_port 9081``, an abbreviation or the dashed spelling), or None."""
    from components.serving.kcomponents import AGENT_PORT

    return port_flag(args, (AGENT_PORT,), flags)


def port_flag(
    args: Sequence[str], ports: Sequence[int], flags: Sequence[str] = (HTTP_PORT_FLAG, GRPC_PORT_FLAG)
) -> int | None:
    """The index of the argument in ``args`` that puts a kserve model server's port given by ``flags`` on one of
    ``ports`` (``--grpc_port=8081``, ``--grpc_port 8081``, an abbreviation or the dashed spelling), or None."""
    for i, arg in enumerate(args):
        if not any(_same(flag, arg) for flag in flags):
            continue
        value = _value(args, i)
        if value is not None and argparse_int(value) in ports:
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
        if part is None:
            continue
        # a collocated transformer beside the runtime's server (a custom container's is the container's to match,
        # and the runtime is None then) calls it on localhost by its own --model_name: KServe appends nothing to a
        # transformer-container's args (predictor.go buildPodSpec, v0.20.0)
        collocated = getattr(part, "collocated", False)
        # the name it calls the predictor by: KServe's appended --model_name <isvc> when its args have no arg
        # starting with --model_name, else the last one argparse reads (an abbreviation too, --model_n=other),
        # else model_server.py's default
        at, value = component_value(part.args, MODEL_NAME_PREFIX, None if collocated else name)
        if (value if value is not None else MODEL_NAME_DEFAULT) == served:
            continue
        if at is None:
            at = next((i for i, arg in enumerate(part.args) if arg.startswith(MODEL_NAME_PREFIX)), None)
            if at is None and collocated:
                # nothing names it, and KServe passes nothing to a transformer-container: it serves and calls the
                # predictor as model_server.py's default "model", so every call to /v1/models/<served> 404s (red14o W2)
                problems.append(
                    (
                        f"{key}.args",
                        list(part.args),
                        f"a collocated transformer gets no --model_name from KServe and would serve and call "
                        f"{MODEL_NAME_DEFAULT!r}, while {runtime} serves the model as {served}; give "
                        f"--model_name={served}",
                    )
                )
                continue
            if at is None:
                continue  # KServe's own --model_name: the model's --model_name is served_name_problems'
        passes = (
            "KServe passes nothing to a collocated transformer-container); give --model_name=" + served
            if collocated
            else f"KServe passes --model_name {served} when no arg starts with --model_name); give "
            f"--model_name={served} or remove it"
        )
        problems.append(
            (
                f"{key}.args.{at}",
                part.args[at],
                f"the {key} calls the predictor by its --model_name (argparse keeps the last one, an abbreviation "
                f"too), and {runtime} serves the model as {served} ({passes}",
            )
        )
    return problems
