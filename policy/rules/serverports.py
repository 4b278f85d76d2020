"""``model-server-port-intact``: no rendered InferenceService moves or replaces the server KServe and Knative route to
(issue #17, rev17g g22-g24).

The plan refuses such args and env at stack load (components/serving/server_args.py); this rule is the second line
over the rendered objects, with its own copy of every name, and calls none of that code:

- MLServer's ports and host, :data:`MLSERVER_ENV`, in any case: MLServer 1.7.1's ``Settings`` is a pydantic-settings
  ``BaseSettings`` with ``env_prefix`` ``"MLSERVER_"`` (SeldonIO/MLServer tag 1.7.1 mlserver/settings.py,
  ``ENV_PREFIX_SETTINGS``, ``host`` "0.0.0.0", ``http_port`` 8080, ``grpc_port`` 8081, ``metrics_port`` 8082), and
  pydantic-settings reads environment names case-insensitively unless ``case_sensitive`` is set: its
  ``BaseSettings.model_config`` defaults ``case_sensitive=False`` (pydantic/pydantic-settings pydantic_settings/
  main.py; MLServer 1.7.1's pyproject asks ``pydantic-settings = "^2.3.0"``), and MLServer's ``Settings``
  ``SettingsConfigDict(env_prefix=ENV_PREFIX_SETTINGS, ...)`` at tag 1.7.1 sets no ``case_sensitive``;
- kserve's model server flags ``--http_port`` and ``--grpc_port`` (kserve v0.20.0 python/kserve/kserve/
  model_server.py ``parser``, defaults 8080 and 8081, read with ``parse_known_args``) in any abbreviation: an
  ``argparse.ArgumentParser`` has ``allow_abbrev=True`` by default, "Allows long options to be abbreviated if the
  abbreviation is unambiguous. (default: True)" (Doc/library/argparse.rst, read through python/cpython PR #4396's
  diff), so ``--http_p=9000`` moves the server, and an abbreviation that could name two options (``--grpc``, also
  ``--grpc_max_send_message_length``) makes argparse exit (:func:`port_flag`; the dashed spelling ``--http-port`` is
  counted too: judgement, erring on the side of failing, since the Hugging Face server parses with vLLM's
  ``FlexibleArgumentParser``, whose handling of ``_``/``-`` was not read);
- in a pod with KServe's agent (a logger or a batcher), nothing on the agent's port 9081 (kserve v0.20.0
  pkg/constants/constants.go ``InferenceServiceDefaultAgentPortStr = "9081"``): the agent listens there and proxies
  to the server.

On a KServe runtime's model (``predictor.model``), whose ports the ClusterServingRuntime fixes and KServe's Service
routes to, any port flag fails. On a custom container (``containers``), an HTTP port flag must name the container's
declared port (its first ``containerPort``, else 8080, the port KServe routes to when none is declared) and no port
flag may name 9081 beside the agent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policy.rules.base import Facts, Finding, Resource, Rule, as_list, as_map, isvc_components, reading

RULE = "model-server-port-intact"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
COMPONENTS = ("predictor", "transformer", "explainer")
MLSERVER_ENV = ("MLSERVER_HTTP_PORT", "MLSERVER_GRPC_PORT", "MLSERVER_METRICS_PORT", "MLSERVER_HOST")
"""MLServer's settings that move or rebind its servers (mlserver/settings.py at 1.7.1: ``http_port``, ``grpc_port``,
``metrics_port``, ``host`` with the prefix ``MLSERVER_``)."""
PORT_OPTIONS = ("http_port", "grpc_port")
"""kserve model_server.py's port options (``--http_port``, ``--grpc_port``), without the leading ``--``."""
KSERVE_OPTIONS = (
    "http_port", "grpc_port", "workers", "max_threads", "max_asyncio_workers", "enable_grpc", "enable_docs_url",
    "enable_latency_logging", "configure_logging", "log_config_file", "access_log_format", "event_loop",
    "timeout_keep_alive", "model_name", "predictor_host", "protocol", "predictor_protocol", "predictor_use_ssl",
    "predictor_request_timeout_seconds", "grpc_max_send_message_length", "grpc_max_receive_message_length",
    "predictor_request_retries", "enable_predictor_health_check", "help",
)  # fmt: skip
"""Every long option of kserve v0.20.0 python/kserve/kserve/model_server.py ``parser`` (``--event-loop`` and
``--timeout-keep-alive`` spelled with dashes there, compared here with ``-`` and ``_`` alike), plus ``--help``, which
each server's own ``ArgumentParser(parents=[kserve.model_server.parser])`` adds (``add_help`` defaults to True):
what an abbreviation is matched against."""
DEFAULT_HTTP_PORT = 8080
"""kserve model_server.py ``DEFAULT_HTTP_PORT = 8080``, and the port KServe routes to when a container declares none
(kserve v0.20.0 pkg/constants/constants.go ``InferenceServiceDefaultHttpPort = "8080"``)."""
AGENT_PORT = 9081
"""KServe's agent port (kserve v0.20.0 pkg/constants/constants.go ``InferenceServiceDefaultAgentPortStr``)."""


def port_flag(arg: str) -> str | None:
    """The port option (``http_port``/``grpc_port``) that ``arg`` sets as argparse reads a long option (the part
    before ``=``; an abbreviation that matches one option of :data:`KSERVE_OPTIONS`, ``allow_abbrev``; ``-`` and
    ``_`` alike), ``"ambiguous"`` when it abbreviates a port option and another one (argparse then exits with
    "ambiguous option", and the server never starts), else None."""
    if not arg.startswith("--") or arg == "--":
        return None
    given = arg[2:].split("=", 1)[0].replace("-", "_")
    if not given:
        return None
    matches = (given,) if given in KSERVE_OPTIONS else tuple(o for o in KSERVE_OPTIONS if o.startswith(given))
    ports = [o for o in matches if o in PORT_OPTIONS]
    if not ports:
        return None
    return ports[0] if len(matches) == 1 else "ambiguous"


def _value(args: Sequence[Any], i: int) -> str | None:
    arg = str(args[i])
    if "=" in arg:
        return arg.split("=", 1)[1]
    return str(args[i + 1]) if i + 1 < len(args) else None


def _port(value: str | None) -> int | None:
    return int(value.strip()) if value is not None and value.strip().isdigit() else None


def _containers(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], bool]]:
    """Each container of a component: where, the container, and whether it is a KServe runtime's model."""
    for i, c in enumerate(as_list(spec.get("containers"))):
        yield f"containers[{i}]", as_map(c), False
    for key, value in spec.items():
        if key in ("containers", "initContainers") or not isinstance(value, Mapping):
            continue
        if "modelFormat" in value or "args" in value or "env" in value:
            yield key, value, key == "model"


def _problems(component: str, spec: Mapping[str, Any]) -> Iterator[str]:
    agent = spec.get("logger") is not None or spec.get("batcher") is not None
    for where, container, runtime in _containers(spec):
        at = f"spec.{component}.{where}"
        for e in as_list(container.get("env")):
            name = as_map(e).get("name")
            if isinstance(name, str) and name.upper() in MLSERVER_ENV:
                yield (
                    f"{at}.env {name} moves or rebinds an MLServer server (MLServer 1.7.1 reads MLSERVER_* settings "
                    "case-insensitively), off the port KServe routes to"
                )
        args = as_list(container.get("args"))
        declared = next((as_map(p).get("containerPort") for p in as_list(container.get("ports"))), None)
        http = declared if isinstance(declared, int) else DEFAULT_HTTP_PORT
        for i, arg in enumerate(args):
            if arg == "--":
                break  # argparse reads every argument after "--" as positional
            option = port_flag(str(arg))
            if option is None:
                continue
            port = _port(_value(args, i))
            if option == "ambiguous":
                yield (
                    f"{at}.args {arg!r} abbreviates a kserve model_server port option and another one: argparse "
                    "exits with an ambiguous option and the server never starts"
                )
            elif runtime:
                yield (
                    f"{at}.args {arg!r} sets kserve model_server's --{option} (an abbreviation counts: argparse "
                    "allow_abbrev), moving the runtime's server off the port KServe routes to"
                )
            elif agent and port == AGENT_PORT:
                yield f"{at}.args {arg!r} puts the server on KServe's agent port {AGENT_PORT} in a pod with the agent"
            elif option == "http_port" and port != http:
                yield f"{at}.args {arg!r} moves the HTTP server off {http}, the port KServe routes to"


def _intact(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    for res, component, spec in isvc_components(resources, COMPONENTS):
        for problem in _problems(component, spec):
            yield Finding(res.urn, f"models/{res.k8s_name} {problem}: requests to the model fail")


RULES = [
    Rule(
        name=RULE,
        description=(
            "No InferenceService container moves or replaces the server KServe routes to: no MLServer "
            "MLSERVER_HTTP_PORT, GRPC_PORT, METRICS_PORT or HOST env in any case (pydantic-settings reads them "
            "case-insensitively), no kserve --http_port/--grpc_port in any argparse abbreviation on a runtime's "
            "model, a custom container's HTTP port flag on its declared port, nothing on the agent's port 9081 "
            "beside a logger or batcher."
        ),
        enforcement="mandatory",
        area="models",
        applies_to=(ISVC,),
        check_stack=_intact,
        remediation="remove the env or argument that moves the model server; give MLServer settings other than ports",
        unknown=reading({"InferenceService": ("spec.*",)}),
    ),
]
