"""Run a Pulumi program in process under the SDK's mocks and record every registration.

This is the engine behind ``mlplatform plan`` and most tests. It works on any Pulumi Python program: the program
runs unchanged, against a mock resource monitor that records, for each resource, its type, name, parent, provider,
dependencies and inputs (in Pulumi's wire names, exactly as the engine would receive them).

Two ways to answer for outputs only a deploy knows:

- ``outputs="unknown"`` (the plan's default): like ``pulumi preview``. A resource's outputs echo its inputs; what a
  provider would compute (ids, ARNs, endpoints, kubeconfigs) is unknown and shown as ``(known after deploy)``.
- ``outputs="fake"`` (``mlplatform plan --placeholders``): typed placeholders from :mod:`components.plan.fakes`
  (ARNs in the stack region's partition, account ``123456789012``, e-mails, kubeconfigs as secrets), so that
  documents built from outputs (IAM and trust policies, kubeconfigs) are rendered in full; the result says so
  (:attr:`PlanResult.placeholders`).
"""

from __future__ import annotations

import contextlib
import copy
import gc
import json
import logging
import os
import runpy
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import mocks as pmocks
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime import rpc, settings
from pulumi.runtime.proto import provider_pb2, resource_pb2, source_pb2
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from components.plan import fakes
from components.records import (
    SECRET_TEXT,
    UNKNOWN,
    UNKNOWN_TEXT,
    PlanResult,
    Registration,
    Secret,
    contains_secret,
)
from components.records import plain as _plain
from components.records import wire as _wire

__all__ = [
    "SECRET_TEXT",
    "UNKNOWN",
    "UNKNOWN_TEXT",
    "OutputsMode",
    "PlanMocks",
    "PlanResult",
    "Registration",
    "Secret",
    "_wire",
    "contains_secret",
    "fewer_gc_passes",
    "run_function",
    "run_program",
]

OutputsMode = fakes.OutputsMode


def _from_proto(value: Any) -> Any:
    """A protobuf value as plain Python with markers; resource references become their URN."""
    if isinstance(value, struct_pb2.Struct):
        sig = value.fields.get(rpc._special_sig_key)
        if sig is not None:
            kind = sig.string_value
            if kind == rpc._special_secret_sig:
                return Secret(_from_proto(value["value"]))
            if kind == rpc._special_resource_sig:
                return str(value["urn"])
            if kind == rpc._special_output_value_sig:
                if "value" not in value:
                    return UNKNOWN
                inner = _from_proto(value["value"])
                return Secret(inner) if value.fields.get("secret") and value["secret"] else inner
            if kind == rpc._special_asset_sig:
                return {"asset": {k: value[k] for k in ("path", "text", "uri") if k in value}}
            if kind == rpc._special_archive_sig:
                return {"archive": {k: str(value[k]) for k in ("path", "uri") if k in value}}
        return {k: _from_proto(v) for k, v in value.items()}
    if isinstance(value, struct_pb2.ListValue):
        return [_from_proto(v) for v in value]
    if value == rpc.UNKNOWN:
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class PlanMocks(pmocks.Mocks):
    """Answers the program's resource registrations and invokes (see the module docstring)."""

    def __init__(self, outputs: OutputsMode = "unknown") -> None:
        self.mode = outputs

    def new_resource(self, args: pmocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        """Echo a custom resource's inputs; computed outputs are unknown (plan) or fake (tests).

        Components registered remotely (``eks:index:Cluster``, awsx's ``Vpc``) get no echo: their outputs are not
        their inputs (awsx's ``natGateways`` input is a strategy, its output a list of gateways).
        """
        state = dict(args.inputs) if args.custom else {}
        if isinstance(state.get("policy"), Mapping):
            state["policy"] = _policy_text(state["policy"])
        if self.mode == "fake":
            placeholders = fakes.fake_outputs(args.typ, args.name, args.inputs)
            state.update(placeholders)
            return fakes.fake_id(args.typ, args.name, placeholders), state
        return "", state

    def call(self, args: pmocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        """Provider functions: unknown in a plan, fake answers in tests."""
        if self.mode == "fake":
            answer = fakes.CALLS.get(args.token)
            if answer is not None:
                return answer(args.args), None
            return {}, None
        return {"__unknown": rpc.UNKNOWN}, None


def _policy_text(doc: Mapping[str, Any]) -> Any:
    """What the provider echoes for a policy document given as a map: its JSON text (pulumi-aws 7.51.1
    ``s3.BucketPolicy``: input ``policy: Input[str | iam.PolicyDocumentArgs]``, output ``policy: Output[str]``), unknown
    while any part of it is."""

    def known(value: Any) -> bool:
        if isinstance(value, Mapping):
            return all(known(v) for v in value.values())
        if isinstance(value, list):
            return all(known(v) for v in value)
        return bool(value != rpc.UNKNOWN)

    return json.dumps(doc, sort_keys=True) if known(doc) else rpc.UNKNOWN


class RecordingMonitor(pmocks.MockMonitor):
    """A mock resource monitor that records every registration, supports resource methods (``Call``) and keeps
    resource references as URNs (the stock monitor rehydrates them on its own thread, which can deadlock)."""

    def __init__(self, mocks: PlanMocks, models: Mapping[str, fakes.RemoteModel] | None = None) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.by_urn: dict[str, Registration] = {}
        self.stack_outputs: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.models = dict(models or {})
        """The models of remote components by type token (:func:`fakes.remote_models`)."""
        self.refused: list[fakes.ComponentRefused] = []
        self._source = ""
        self._inherited: list[str] = []
        self._protect = False
        self._providers: dict[str, str] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs as the Pulumi engine makes them: the parent's full qualified type, none for the stack's children."""
        if parent and not _is_stack(parent):
            type_ = parent.split("::")[2] + "$" + type_
        return "urn:pulumi:" + "::".join([settings.get_stack(), settings.get_project(), type_, name])

    def RegisterResource(self, request: Any) -> Any:
        """Record the registration, then answer it like the stock mock monitor."""
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        inputs = _from_proto(request.object)
        reg = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=None if _is_stack(request.parent) else request.parent,
            provider=request.provider or None,
            depends_on=sorted(set(request.dependencies)),
            property_dependencies={k: sorted(set(v.urns)) for k, v in request.propertyDependencies.items() if v.urns},
            inputs=inputs,
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            ignore_changes=list(request.ignoreChanges),
            replace_with=list(request.replace_with),
            delete_before_replace=bool(request.deleteBeforeReplace),
            delete_before_replace_defined=bool(request.deleteBeforeReplaceDefined),
            aliases=_aliases(request),
        )
        plain = _plain(inputs)
        args = pmocks.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=plain,
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
        )
        id_, state = self.mocks.new_resource(args)
        state = {k: self._child(urn, v) for k, v in state.items()}
        state = _reseal(state, inputs)
        obj_proto = _sync_await(rpc.serialize_properties(state, {}))
        with self._lock:
            self.registrations.append(reg)
            self.by_urn[urn] = reg
            self.resources[urn] = pmocks.MockMonitor.ResourceRegistration(urn, id_ or "", state)
        model = self.models.get(request.type)
        if model is not None:
            self._providers = {k: v for k, v in request.providers.items() if v}
            if request.provider:
                self._providers.setdefault(request.type.split(":")[0], request.provider)
            self._expand(reg, model)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_ or "", object=obj_proto)

    def _expand(self, reg: Registration, model: fakes.RemoteModel) -> None:
        """Record the children the remote component's provider would register for ``reg`` (or why it refuses its
        inputs).

        Each child also waits for what the component's inputs came from (the VPC's subnets, the KMS key): a remote
        component hands those inputs on to its children.
        """
        self._inherited = sorted(reg.all_dependencies())
        # a child takes its parent's protect when it gives none (@pulumi/pulumi resource.js, Resource constructor)
        self._protect = reg.protect
        self._source = model.source
        try:
            model.expand(reg.urn, reg.type, reg.name, reg.inputs, self._create, self._state_of)
        except fakes.ComponentRefused as e:
            self.refused.append(e)

    def not_modelled(self) -> list[str]:
        """What the remote component models did not cover in this plan, each line once."""
        models = {id(m): m for m in self.models.values()}.values()  # one model may serve several types
        return list(dict.fromkeys(line for m in models for line in m.not_modelled()))

    def _state_of(self, urn: str) -> dict[str, Any]:
        found = self.resources.get(urn)
        return _outputs(found.state) if found is not None else {}

    def _create(self, child: fakes.Child) -> tuple[str, dict[str, Any]]:
        """Record a modelled child and answer it like a registration; its outputs with :data:`UNKNOWN` markers."""
        urn = self.make_urn(child.parent, child.type, child.name)
        reg = Registration(
            urn=urn,
            type=child.type,
            name=child.name,
            custom=child.custom,
            parent=child.parent,
            provider=f"{child.provider}::{child.provider.rsplit('::', 1)[-1]}-id"
            if child.provider
            # a child takes its parent's provider for its package (@pulumi/pulumi resource.js, __providers)
            else self._providers.get(child.type.split(":")[0])
            if child.custom
            else None,
            depends_on=sorted(set(child.depends_on) | set(self._inherited)),
            property_dependencies={},
            inputs=child.inputs,
            protect=self._protect,
            ignore_changes=list(child.ignore_changes),
            modelled=self._source,
        )
        args = pmocks.MockResourceArgs(
            typ=child.type,
            name=child.name,
            inputs=_plain(child.inputs),
            provider="",
            resource_id="",
            custom=child.custom,
        )
        id_, state = self.mocks.new_resource(args)
        state = _reseal(state, child.inputs)
        with self._lock:
            self.registrations.append(reg)
            self.by_urn[urn] = reg
            self.resources[urn] = pmocks.MockMonitor.ResourceRegistration(urn, id_ or "", state)
        out = _outputs(state)
        out["id"] = id_ or UNKNOWN
        return urn, out

    def _child(self, parent: str, value: Any) -> Any:
        """A fake's child resource (:func:`fakes.child`) recorded for ``getResource`` and given as a reference."""
        if not (isinstance(value, dict) and fakes.CHILD in value):
            return value
        spec = value[fakes.CHILD]
        urn = self.make_urn(parent, spec["type"], spec["name"])
        id_ = fakes.fake_id(spec["type"], spec["name"])
        with self._lock:
            self.resources[urn] = pmocks.MockMonitor.ResourceRegistration(urn, id_, spec["state"])
        return {rpc._special_sig_key: rpc._special_resource_sig, "urn": urn, "id": id_}

    def RegisterResourceOutputs(self, request: Any) -> Any:
        """Record a component's (or the stack's) registered outputs."""
        outputs = _from_proto(request.outputs)
        with self._lock:
            if _is_stack(request.urn):
                self.stack_outputs = outputs
            elif request.urn in self.by_urn:
                self.by_urn[request.urn].outputs = outputs
        return empty_pb2.Empty()

    def Call(self, request: Any) -> Any:
        """Resource methods (e.g. ``eks.Cluster.get_kubeconfig``) answered like invokes."""
        args = _plain(_from_proto(request.args))
        ret, _ = self.mocks.call(pmocks.MockCallArgs(token=request.tok, args=args, provider=request.provider))
        ret_proto = _sync_await(rpc.serialize_properties(ret, {}))
        resp = provider_pb2.CallResponse()
        getattr(resp, "return").CopyFrom(ret_proto)
        return resp

    def Invoke(self, request: Any) -> Any:
        """Provider functions through :class:`PlanMocks`, without rehydrating resource references."""
        args = _plain(_from_proto(request.args))
        if request.tok == "pulumi:pulumi:getResource":
            found = self.resources.get(args["urn"])
            if found is None:
                raise KeyError(f"unknown resource {args['urn']}")
            ret_proto = _sync_await(rpc.serialize_properties(found._asdict(), {}))
            return _invoke_response(ret_proto)
        ret, _ = self.mocks.call(pmocks.MockCallArgs(token=request.tok, args=args, provider=request.provider))
        ret_proto = _sync_await(rpc.serialize_properties(ret, {}))
        resp = _invoke_response(ret_proto)
        # In a plan the answer is wholly unknown, as the engine marks an invoke it does not serve
        # (``ResourceInvokeResponse.unknown``: pulumi/runtime/invoke.py ``_invoke`` then resolves the output unknown, so
        # no ``apply`` runs on it). Before, the answer was a known map without the field: the field read as None and
        # was formatted into strings (rev17k: ``service-None@container-engine-robot...`` as GKE's service agent,
        # ``/subscriptions/None/...`` in Azure scopes and role ids).
        resp.unknown = isinstance(self.mocks, PlanMocks) and self.mocks.mode == "unknown"
        return resp


def _aliases(request: Any) -> list[dict[str, Any]]:
    """The aliases of a registration: full specs (the mock monitor supports ``aliasSpecs``) or alias URNs."""
    found: list[dict[str, Any]] = [{"urn": urn} for urn in request.aliasURNs]
    for alias in request.aliases:
        if alias.WhichOneof("alias") == "urn":
            found.append({"urn": alias.urn})
        else:
            spec = alias.spec
            found.append(
                {
                    "name": spec.name,
                    "type": spec.type,
                    "parentUrn": spec.parentUrn,
                    "noParent": spec.noParent,
                    "project": spec.project,
                    "stack": spec.stack,
                }
            )
    return found


def _outputs(state: Mapping[str, Any]) -> dict[str, Any]:
    """A mock state with :data:`UNKNOWN` markers where the wire form has unknowns."""
    return {k: UNKNOWN if v == rpc.UNKNOWN else v for k, v in state.items()}


def _invoke_response(ret: struct_pb2.Struct) -> resource_pb2.ResourceInvokeResponse:
    resp = resource_pb2.ResourceInvokeResponse()
    getattr(resp, "return").CopyFrom(ret)
    return resp


def _is_stack(urn: str) -> bool:
    """True for the root stack's URN (or an empty parent)."""
    return not urn or urn.split("::")[2] == "pulumi:pulumi:Stack"


def _reseal(state: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """Put the input markers back on echoed outputs: secret inputs stay secret, unknown inputs stay unknown."""
    out: dict[str, Any] = {}
    for key, value in state.items():
        original = inputs.get(key)
        if isinstance(original, Secret):
            out[key] = rpc.UNKNOWN if original.value is UNKNOWN else fakes.secret(value)
        else:
            out[key] = value
    for key, value in inputs.items():
        if value is UNKNOWN:
            out[key] = rpc.UNKNOWN
    return out


_RUN_LOCK = threading.Lock()


def _drop_aliases(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    """A plan has no state to match aliases against: drop them before the SDK computes a URN for each.

    azure-native declares an alias per resource for every older API version; computing their URNs was 40% of an
    Azure plan (docs/performance.md).
    """
    if args.opts is None or not args.opts.aliases:
        return None
    opts = copy.copy(args.opts)
    opts.aliases = None
    return pulumi.ResourceTransformationResult(args.props, opts)


def _without_aliases(program: Callable[[], Any]) -> Callable[[], Any]:
    def planned() -> Any:
        pulumi.runtime.register_stack_transformation(_drop_aliases)
        return program()

    return planned


@contextlib.contextmanager
def _plan_speedups() -> Iterator[None]:
    """Settings that change how fast a plan runs, never what it records.

    - The SDK keeps every pending output alive until the program drains, so each full garbage collection walks
      hundreds of thousands of objects: collect less often while planning.
    - The SDK records a Python stack trace per registration for the engine's diagnostics; a plan never shows it.
    """
    trace = getattr(sdk_resource, "_get_stack_trace", None)
    if trace is not None:
        sdk_resource._get_stack_trace = source_pb2.StackTrace
    try:
        with fewer_gc_passes():
            yield
    finally:
        if trace is not None:
            sdk_resource._get_stack_trace = trace


@contextlib.contextmanager
def fewer_gc_passes() -> Iterator[None]:
    """Collect garbage less often while a plan's large, long-lived object graph is alive (restored after).

    Each full collection walks every tracked object: with thousands of recorded resources, the default thresholds
    made the policies and cost over a plan grow faster than the plan itself.
    """
    threshold = gc.get_threshold()
    gc.set_threshold(10_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


class _Warnings(logging.Handler):
    """Collects what the program logs at warning level or above (the mock engine sends ``pulumi.log`` here)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.logger = logging.Logger("mlplatform.plan.program")
        self.logger.propagate = False
        self.logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_function(
    program: Callable[[], Any],
    *,
    project: str = "mlplatform",
    stack: str = "test",
    config: Mapping[str, str] | None = None,
    secret_keys: list[str] | None = None,
    outputs: OutputsMode = "unknown",
    context: dict[str, Any] | None = None,
    keep_aliases: bool = False,
) -> PlanResult:
    """Run ``program`` under the mocks with ``config`` (flat ``namespace:key`` -> string) and record it.

    Exceptions the program raises propagate unchanged (after the runtime has drained).
    With ``outputs="fake"`` AWS placeholders use the region of ``aws:region`` or ``<project>:region`` in ``config``.
    ``keep_aliases``: send and record each resource's ``aliases`` (:attr:`Registration.aliases`; the URN golden
    test, tests/urns.py, needs them); a plan drops them, which is faster.
    """
    with _RUN_LOCK:
        marker = fakes.use_placeholders(config or {}, project) if outputs == "fake" else None
        mocks = PlanMocks(outputs)
        monitor = RecordingMonitor(mocks, fakes.remote_models(config or {}, project, outputs))
        logged = _Warnings()
        settings.ROOT.set(None)
        pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys or []))
        pmocks.set_mocks(
            mocks, project=project, stack=stack, preview=(outputs == "unknown"), monitor=monitor, logger=logged.logger
        )
        settings.ROOT.set(None)  # run_in_stack makes the root Stack, so exports become stack outputs
        settings.SETTINGS.rpc_manager.clear()
        settings.SETTINGS.outputs.clear()
        with _plan_speedups():
            _sync_await(run_in_stack(program if keep_aliases else _without_aliases(program)))
        if monitor.refused:
            raise monitor.refused[0]
        regs = list(monitor.registrations)
        return PlanResult(
            project,
            stack,
            regs,
            dict(monitor.stack_outputs),
            dict(context or {}),
            logged.messages,
            marker,
            monitor.not_modelled(),
        )


def run_program(
    project_dir: Path,
    stack: str,
    config: Mapping[str, str],
    secret_keys: list[str],
    *,
    main: str = ".",
    project: str = "mlplatform",
    outputs: OutputsMode = "unknown",
    keep_aliases: bool = False,
) -> PlanResult:
    """Run the Pulumi program at ``project_dir/main`` (a directory with ``__main__.py`` or a ``.py`` file)."""
    target = (project_dir / main).resolve()
    entry = target / "__main__.py" if target.is_dir() else target
    if not entry.exists():
        raise FileNotFoundError(f"{entry}: no Pulumi program there (Pulumi.yaml main: {main})")

    def program() -> None:
        old_cwd = os.getcwd()
        old_path = list(sys.path)
        try:
            os.chdir(project_dir)
            sys.path.insert(0, str(entry.parent))
            runpy.run_path(str(entry), run_name="__main__")
        finally:
            os.chdir(old_cwd)
            sys.path[:] = old_path

    return run_function(
        program,
        project=project,
        stack=stack,
        config=config,
        secret_keys=secret_keys,
        outputs=outputs,
        keep_aliases=keep_aliases,
    )
