"""A serving runtime the stack brings itself: a namespaced KServe ``ServingRuntime`` (``mlplatform:runtimes``).

A stack declares runtimes by name; each becomes a ``serving.kserve.io/v1alpha1`` ``ServingRuntime`` in its namespace
(default ``models``) with one ``kserve-container``, the platform's restricted security context (as a custom
container gets: :func:`components.serving._runtime.hardened_context`) and ``multiModel: false``; the component is
:class:`components.serving.model_runtime.ModelRuntime`. A model names it with ``runtime:``, or KServe picks it
for the model's format. Facts from kserve/kserve at v0.20.0:

- The API: ``pkg/apis/serving/v1alpha1/servingruntime_types.go``: ``supportedModelFormats`` (``name``, ``version``,
  ``autoSelect``, ``priority``, "greater than zero", "not considered if AutoSelect is either false or not
  specified"), ``protocolVersions`` (``IsProtocolVersionSupported``: an empty list supports every protocol),
  ``multiModel``, ``disabled``, and the inlined pod spec with ``containers``.
- Selection (:mod:`components.serving.runtimes`, which models it): a namespaced ServingRuntime comes before every
  ClusterServingRuntime, both when KServe picks one (``GetSupportingRuntimes``, pkg/apis/serving/v1beta1/
  predictor_model.go) and when a model names one (``GetServingRuntime``, pkg/controller/v1beta1/inferenceservice/
  utils/utils.go: the namespace first, then the cluster). So a stack runtime named like a ClusterServingRuntime
  the platform installs would silently replace it for every model of its namespace that names it, and the checks
  this package makes for that runtime (its flags, its gRPC port, its GPU image tag) would be about another server:
  such a name is refused (:func:`stack_problems`).
- The model server is the runtime container named ``kserve-container`` (``constants.InferenceServiceContainerName``);
  KServe merges the InferenceService's ``model`` over it (``MergeRuntimeContainers``, utils.go: a strategic merge,
  with the runtime's args first and the model's after).
- Admission (pkg/webhook/admission/servingruntime/servingruntime_webhook.go): one runtime may not give a format two
  different priorities among its ``autoSelect`` entries (``validateModelFormatPrioritySame``), and two ServingRuntimes
  of one namespace that share a protocol may not give the same ``autoSelect`` format and version the same priority
  (``validateServingRuntimePriority``, ``InvalidPriorityError``): both are refused here first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from components import envrefs
from components.naming import is_dns_label, standard_labels
from components.serving import _runtime, runtimes
from components.serving.kcomponents import AGENT_PORT, AGENT_PORT_USER, ComponentResourcesSpec, blocked_env_problem
from components.serving.kspec import ContainerSpec
from components.serving.spec import (
    KNATIVE_RESERVED_ENV,
    ModelSpec,
    container_text_problems,
    own_namespace,
    placeholder_line,
    placeholder_problem,
)
from components.spec import Spec, field_error, value_error

API_VERSION = "serving.kserve.io/v1alpha1"
KIND = "ServingRuntime"
ROLE = "runtime"
_FORMAT = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,62}\Z", re.ASCII)
_VERSION = re.compile(r"\A[0-9]+(\.[0-9]+){0,2}\Z", re.ASCII)
"""``Can be "major", "major.minor" or "major.minor.patch"`` (``SupportedModelFormat.Version``)."""
INT32_MAX = 2**31 - 1


class RuntimeFormatSpec(Spec):
    """One model format the runtime serves (KServe's ``supportedModelFormats`` entry)."""

    name: str
    """The format's name, matched against a model's ``format`` (KServe's ``modelFormat.name``), such as ``sklearn``."""
    version: str | None = None
    (
        "The format's version (``major``, ``major.minor`` or ``major.minor.patch``): a model giving ``formatVersion`` "
        "matches only a runtime listing that version. Default: none."
    )
    auto_select: bool = False
    """Whether KServe may pick this runtime for a model of this format that names no runtime. Default: false."""
    priority: int | None = Field(None, ge=1, le=INT32_MAX)
    (
        "Among runtimes that auto-select the format, the higher wins (1 or more; ``autoSelect`` only). Default: none, "
        "which comes after every runtime that gives one."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _FORMAT.match(v):
            raise value_error("give a format name such as sklearn: letters, digits, '.', '_' and '-' (at most 63)")
        return v

    @field_validator("version")
    @classmethod
    def _version(cls, v: str | None) -> str | None:
        if v is not None and not _VERSION.match(v):
            raise value_error('give "major", "major.minor" or "major.minor.patch", such as 1 or 2.1')
        return v

    @model_validator(mode="after")
    def _priority_with_auto_select(self) -> RuntimeFormatSpec:
        if self.priority is not None and not self.auto_select:
            raise field_error(
                "priority",
                self.priority,
                "KServe reads a priority only when autoSelect is true (SupportedModelFormat.Priority); set autoSelect: "
                "true or remove it",
            )
        return self


class RuntimeResourcesSpec(ComponentResourcesSpec):
    """The runtime container's own requests and limits (a model's ``resources`` are merged over them): the same
    quantities and bounds as a component's (requests equal limits)."""


class RuntimeSpec(Spec):
    """A serving runtime the stack installs: a KServe ServingRuntime in ``namespace``. See
    docs/components/model-service.md (A runtime of your own)."""

    namespace: str = "models"
    (
        "The namespace of the ServingRuntime: models of this namespace only can use it (KServe looks runtimes up "
        "in the model's namespace)."
    )
    formats: list[RuntimeFormatSpec]
    """The model formats it serves (KServe's ``supportedModelFormats``), at least one."""
    protocols: list[Literal["v1", "v2", "grpc-v1", "grpc-v2"]] = []
    (
        "The inference protocols it serves (KServe's ``protocolVersions``). Default: none listed, which KServe "
        "reads as every protocol (``IsProtocolVersionSupported``)."
    )
    container: ContainerSpec
    (
        "The model server: image, command, port and probes. It runs as ``kserve-container`` with the platform's "
        "restricted security context."
    )
    args: list[str] = []
    (
        "Its arguments; KServe fills ``{{.Name}}`` and the other InferenceService metadata in "
        "(``ReplacePlaceholders``) and appends a model's own ``args`` after them."
    )
    env: dict[str, str] = {}
    """Environment variables of the container."""
    resources: RuntimeResourcesSpec = RuntimeResourcesSpec()
    """Requests and limits (equal); a model's ``resources`` replace them."""

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, v: str) -> str:
        # The stack program declares every runtime's namespace as a model namespace (infra/program.py serve_models),
        # so the rule on a model's namespace applies as is (red team #17d N1).
        return own_namespace(v, "runtime")

    @field_validator("formats")
    @classmethod
    def _some_format(cls, v: list[RuntimeFormatSpec]) -> list[RuntimeFormatSpec]:
        if not v:
            raise value_error(
                "give at least one format the runtime serves (KServe's supportedModelFormats), such as "
                "{name: sklearn, autoSelect: true}"
            )
        return v

    @field_validator("container")
    @classmethod
    def _http_port(cls, v: ContainerSpec) -> ContainerSpec:
        # rev14e defect 3: a runtime's one port is the pod's serving port (Knative serves one port per pod; KServe
        # v0.20.0 names a port containing h2c or grpc a gRPC one, service_reconciler.go isGrpcPort), so a gRPC port
        # makes the pod h2c-only. The platform knows which of its installed runtimes also serve REST beside gRPC
        # from their sources (components/serving/runtimes.py V2_GRPC_PORTS); of a stack runtime's server it knows
        # nothing, so it can admit neither REST (the server may not answer it on that port) nor gRPC alone (a v2 model
        # would get REST paths on an h2c pod): refused, and gRPC served by a model's own container instead.
        if v.port.protocol == "grpc":
            raise field_error(
                "port.protocol",
                "grpc",
                "a stack runtime serves HTTP here: the platform cannot know whether its server answers REST on a "
                "gRPC port, so no request admitted to its models would be sure to work; give http, or serve gRPC from "
                "a model's own container (container.port.protocol: grpc)",
            )
        return v

    @field_validator("env")
    @classmethod
    def _env(cls, v: dict[str, str]) -> dict[str, str]:
        # KServe's ServingRuntime admission refuses these in its containers (servingruntime_webhook.go v0.20.0
        # validateBlockedEnvVars)
        for name in v:
            if blocked := blocked_env_problem(name):
                raise value_error(blocked, name)
        if cycle := envrefs.cycle_problem(v):
            raise field_error(cycle[0], cycle[1], cycle[2])
        return v

    @model_validator(mode="after")
    def _one_priority_per_format(self) -> RuntimeSpec:
        # validateModelFormatPrioritySame (servingruntime_webhook.go v0.20.0): "different priorities assigned for the
        # model format %s", over the autoSelect entries that give one.
        seen: dict[str, int] = {}
        for i, f in enumerate(self.formats):
            if not f.auto_select or f.priority is None:
                continue
            if f.name in seen and seen[f.name] != f.priority:
                raise field_error(
                    f"formats.{i}.priority",
                    f.priority,
                    f"give format {f.name} the priority its other entry has, {seen[f.name]} (KServe's admission "
                    "refuses different priorities for one format in one runtime)",
                )
            seen.setdefault(f.name, f.priority)
        if len(set(self.protocols)) != len(self.protocols):
            raise field_error("protocols", self.protocols, "give each protocol once")
        # The same rules as a model's container (red team #17d E1, T1): this container is the user container of
        # every model that uses the runtime, and KServe fills its placeholders (ReplacePlaceholders).
        reserved = dict.fromkeys(KNATIVE_RESERVED_ENV, "Knative")
        for path, value, accepted in container_text_problems(
            self.env, self.args, self.container.command, reserved, templated=True
        ):
            raise field_error(path, value, accepted)
        # ReplacePlaceholders marshals the whole container, its probes too (kserve v0.20.0 pkg/controller/v1beta1/
        # inferenceservice/utils/utils.go: json.Marshal(container), then text/template Parse and Execute)
        for key in ("readiness_probe", "liveness_probe", "startup_probe"):
            probe = getattr(self.container, key)
            if probe is not None and probe.path is not None and (why := placeholder_problem(probe.path)):
                camel = "".join(w.capitalize() if i else w for i, w in enumerate(key.split("_")))
                raise field_error(f"container.{camel}.path", probe.path, placeholder_line(why))
        return self

    def selection(self, name: str) -> runtimes.Runtime:
        """The runtime as KServe's selection sees it (:class:`components.serving.runtimes.Runtime`)."""
        return runtimes.Runtime(
            name,
            tuple(runtimes.Format(f.name, f.version, f.auto_select, f.priority) for f in self.formats),
            tuple(self.protocols),
        )


def namespaced(stack_runtimes: Mapping[str, RuntimeSpec], namespace: str) -> tuple[runtimes.Runtime, ...]:
    """The stack's runtimes in ``namespace``, as selection sees them: what a model of that namespace may use."""
    return tuple(spec.selection(name) for name, spec in stack_runtimes.items() if spec.namespace == namespace)


def stack_problems(stack_runtimes: Mapping[str, RuntimeSpec]) -> list[tuple[str, object, str]]:
    """What is wrong with the stack's runtimes together: (key path below the runtimes map, value, accepted)."""
    problems: list[tuple[str, object, str]] = []
    for name, spec in stack_runtimes.items():
        if not is_dns_label(name):
            problems.append(
                (name, name, "give a runtime name that is a DNS-1123 label (lowercase letters, digits and '-')")
            )
        elif name in runtimes.BY_NAME:
            problems.append(
                (
                    name,
                    name,
                    f"{name} is a ClusterServingRuntime the platform installs; a ServingRuntime of that name would "
                    f"replace it for the models of namespace {spec.namespace} (KServe looks a runtime up in the "
                    "model's namespace first: GetServingRuntime); give another name",
                )
            )
    items = list(stack_runtimes.items())
    for i, (name, spec) in enumerate(items):
        for other_name, other in items[:i]:
            if other.namespace != spec.namespace or not set(other.protocols) & set(spec.protocols):
                continue
            for j, f in enumerate(spec.formats):
                for g in other.formats:
                    same = f.name.lower() == g.name.lower() and f.version == g.version
                    if same and f.auto_select and g.auto_select and f.priority is not None and f.priority == g.priority:
                        # validateServingRuntimePriority (servingruntime_webhook.go v0.20.0)
                        problems.append(
                            (
                                f"{name}.formats.{j}.priority",
                                f.priority,
                                f"runtime {other_name} gives format {f.name} the same priority over a shared protocol "
                                "in this namespace, which KServe's admission refuses; give another priority",
                            )
                        )
    problems.extend(_tie_problems(stack_runtimes))
    return problems


def _tie_problems(stack_runtimes: Mapping[str, RuntimeSpec]) -> list[tuple[str, object, str]]:
    """Two runtimes of one namespace that KServe would choose between for a model by creation order alone
    (:func:`components.serving.runtimes.tied_choice`; rev14f defect 8): both auto-select a format, at the same
    priority (none, most often) and protocol rank. KServe v0.20.0 admits them and then serves the model with the
    newer one (``GetSupportingRuntimes``, pkg/apis/serving/v1beta1/predictor_model.go), which a plan cannot know:
    the cold-start budget, the vLLM options and the checks made for the runtime would be about a server that may not
    run. Every model a namespace could hold is tried: each auto-selected format, without a version and at each
    version listed, at each protocol."""
    problems: list[tuple[str, object, str]] = []
    seen: set[tuple[str, str, str]] = set()
    items = list(stack_runtimes.items())
    for namespace in dict.fromkeys(spec.namespace for _, spec in items):
        here = [(name, spec) for name, spec in items if spec.namespace == namespace]
        selection = [spec.selection(name) for name, spec in here]
        order = [name for name, _ in here]
        formats = {f.name: sorted({g.version for _, s in here for g in s.formats if g.name == f.name and g.version})
                   for _, spec in here for f in spec.formats if f.auto_select}  # fmt: skip
        for fmt, versions in formats.items():
            for version in [None, *versions]:
                for protocol in runtimes.PROTOCOL_ORDER:
                    tie = runtimes.tied_choice(fmt, protocol, selection, version)
                    if tie is None:
                        continue
                    first, second = sorted((tie[0].name, tie[1].name), key=order.index)
                    if (first, second, fmt) in seen:
                        continue
                    seen.add((first, second, fmt))
                    spec = stack_runtimes[second]
                    j = next(i for i, f in enumerate(spec.formats) if f.name == fmt and f.auto_select)
                    shown = f"{fmt} version {version}" if version else fmt
                    priority = tie[0].priority(fmt)
                    how = "no priority" if priority is None else f"the same priority, {priority},"
                    problems.append(
                        (
                            f"{second}.formats.{j}",
                            fmt,
                            f"runtimes {first} and {second} both auto-select format {shown} in namespace {namespace} "
                            f"with {how} between them, so KServe v0.20.0 serves a {fmt} model that names no runtime "
                            "with whichever was created last (GetSupportingRuntimes sorts by creationTimestamp), "
                            f"which a plan cannot know; give one of them a higher priority (formats[].priority) or "
                            "autoSelect: false",
                        )
                    )
    return problems


def model_runtime_problem(
    runtime: str | None, namespace: str, stack_runtimes: Mapping[str, RuntimeSpec]
) -> tuple[str, object, str] | None:
    """A model's ``runtime`` that names a stack runtime of another namespace: KServe would not find it
    (``GetServingRuntime`` looks in the model's namespace, then the cluster)."""
    if runtime is None or runtime not in stack_runtimes or runtime in runtimes.BY_NAME:
        return None
    where = stack_runtimes[runtime].namespace
    if where == namespace:
        return None
    return (
        "runtime",
        runtime,
        f"runtime {runtime} is a ServingRuntime in namespace {where}, and KServe finds a model's runtime in the "
        f"model's own namespace ({namespace}) only; move the model or the runtime",
    )


def _used_stack_runtime(model: ModelSpec, stack_runtimes: Mapping[str, RuntimeSpec]) -> tuple[str, RuntimeSpec] | None:
    """The stack runtime KServe serves ``model`` with, and its spec: named, or auto-selected with the namespace's
    runtimes first (:func:`components.serving.runtimes.select`); None when that is an installed runtime or none."""
    protocol = None if model.effective_protocol == "openai" else model.effective_protocol
    used, _ = runtimes.select(
        model.format or "", protocol, model.runtime, model.format_version, namespaced(stack_runtimes, model.namespace)
    )
    spec = stack_runtimes.get(used or "")
    if used is None or spec is None or used in runtimes.BY_NAME or spec.namespace != model.namespace:
        return None
    return used, spec


def agent_port_problem(model: ModelSpec, stack_runtimes: Mapping[str, RuntimeSpec]) -> tuple[str, object, str] | None:
    """A model with a logger or batcher served by a stack runtime whose container port is KServe's agent port
    (red team #17d S2): KServe v0.20.0 injects the agent container on 9081 into the predictor's pod for a logger or a
    batcher (pkg/webhook/admission/pod/agent_injector.go), beside the runtime's ``kserve-container``, as for a
    custom container (:func:`components.serving.spec.model_problems`). The runtime is the one KServe uses: named, or
    auto-selected with the namespace's runtimes first (:func:`components.serving.runtimes.select`)."""
    if model.container is not None or (model.logger is None and model.batcher is None):
        return None
    if (found := _used_stack_runtime(model, stack_runtimes)) is None:
        return None
    used, spec = found
    if spec.container.port.number != AGENT_PORT:
        return None
    key, given = ("logger", model.logger) if model.logger is not None else ("batcher", model.batcher)
    return (
        key,
        given,
        f"runtime {used}'s container port is {AGENT_PORT}, and in the same pod {AGENT_PORT_USER}; give the runtime "
        "another port",
    )


def collocated_runtime_problem(
    model: ModelSpec, stack_runtimes: Mapping[str, RuntimeSpec]
) -> tuple[str, object, str] | None:
    """A collocated transformer beside a stack runtime's server: the runtime's container declares its one port
    (:func:`container`), so the pod would declare two (the transformer-container's too, KServe v0.20.0 predictor.go
    ``buildPodSpec``), and Knative serves one port per pod (knative/serving pkg/apis/serving/k8s_validation.go: "more
    than one container port is set", "Only a single port is allowed across all containers"); in Standard mode KServe's
    Service would target the transformer's and the runtime's server would keep a port the platform's policies do not
    describe. The runtime is the one KServe uses: named, or auto-selected with the namespace's runtimes first."""
    if model.container is not None or model.transformer is None or not model.transformer.collocated:
        return None
    if (found := _used_stack_runtime(model, stack_runtimes)) is None:
        return None
    used, spec = found
    return (
        "transformer.collocated",
        True,
        f"runtime {used} is the stack's own, whose container declares port {spec.container.port.number}, and the pod "
        "may declare one port (the transformer's); give the transformer pods of its own (collocated: false)",
    )


def container(spec: RuntimeSpec) -> dict[str, Any]:
    """The runtime's ``kserve-container``: image, command, args, one port, env, probes, resources and the platform's
    restricted security context."""
    c = spec.container
    out: dict[str, Any] = {"name": _runtime.CONTAINER_NAME, "image": c.image}
    if c.command:
        out["command"] = list(c.command)
    if spec.args:
        out["args"] = list(spec.args)
    out["ports"] = [{"name": c.port.name, "containerPort": c.port.number, "protocol": "TCP"}]
    if spec.env:
        out["env"] = [{"name": k, "value": spec.env[k]} for k in envrefs.ordered(spec.env)]  # red14m W3
    for key, probe in (
        ("readinessProbe", c.readiness_probe),
        ("livenessProbe", c.liveness_probe),
        ("startupProbe", c.startup_probe),
    ):
        if probe is not None:
            out[key] = _runtime._probe(probe, c.port)
    amounts = {"cpu": spec.resources.cpu, "memory": spec.resources.memory}
    out["resources"] = {"requests": dict(amounts), "limits": dict(amounts)}
    out["securityContext"] = _runtime.hardened_context(run_as_non_root=True, run_as_user=c.run_as_user)
    return out


def runtime_spec(spec: RuntimeSpec) -> dict[str, Any]:
    """The ServingRuntime's ``spec``."""
    formats: list[dict[str, Any]] = []
    for f in spec.formats:
        entry: dict[str, Any] = {"name": f.name}
        if f.version is not None:
            entry["version"] = f.version
        entry["autoSelect"] = f.auto_select
        if f.priority is not None:
            entry["priority"] = f.priority
        formats.append(entry)
    out: dict[str, Any] = {"supportedModelFormats": formats}
    if spec.protocols:
        out["protocolVersions"] = list(spec.protocols)
    out["multiModel"] = False
    out["containers"] = [container(spec)]
    return out


def rendered(name: str, spec: RuntimeSpec) -> dict[str, Any]:
    """The whole ServingRuntime object (what the component registers)."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": name, "namespace": spec.namespace, "labels": standard_labels(ROLE, name, name=name)},
        "spec": runtime_spec(spec),
    }
