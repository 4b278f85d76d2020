"""Typed placeholders for what only a deploy knows: ``mlplatform plan --placeholders`` and ``outputs="fake"``.

A plan normally runs like ``pulumi preview``: outputs a provider computes are unknown and shown as
``(known after deploy)``. With placeholders (the CLI's ``--placeholders``, the engine's ``outputs="fake"``) every such
output gets a deterministic value of the right shape instead, derived from the resource's name, so that documents
built from outputs (IAM trust policies naming the OIDC provider, the Karpenter controller policy naming the queue and
the node role, kubeconfigs) are rendered in full and can be checked. Secrets come back as secrets.

This module is the cloud-free part: the helpers every cloud's placeholders use, and the tables the engine reads,
merged from each registered cloud's placeholder module (:attr:`components.clouds.Cloud.plan`,
``components/plan/<cloud>.py``). A cloud's placeholder module may define:

- ``FAKES``: type token -> :data:`Fake`, the computed outputs of its resources;
- ``IDS``: type token -> how the provider builds the resource's id from its outputs;
- ``CALLS``: function token -> fake answer of its provider functions (invokes);
- ``fallback(type_, name, inputs)``: outputs for its other types (None when the type is not its own);
- ``placeholders(config, project)``: point its placeholders at the stack (its region) and say what they are, as
  entries of :attr:`components.records.PlanResult.placeholders`;
- ``note(marker)``: how ``mlplatform plan`` names them in one line;
- ``remote_models(config, project, outputs)``: :class:`RemoteModel` instances for its remote components.

Placeholders are recognisable (each cloud's module says how: example accounts, all-zero subscriptions, hashes of the
resource name for ids).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal, Protocol

from pulumi.runtime import rpc

from components import clouds
from components.errors import SpecError

Fake = Callable[[str, dict[str, Any]], dict[str, Any]]
OutputsMode = Literal["unknown", "fake"]


def secret(value: Any) -> dict[str, Any]:
    """A value the SDK deserializes as a Pulumi secret."""
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def uuid(name: str) -> str:
    """A UUID-shaped hash of ``name``."""
    h = hashlib.sha1(name.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def hex_of(name: str, n: int) -> str:
    """The first ``n`` hex digits of a hash of ``name``."""
    return hashlib.sha1(name.encode()).hexdigest()[:n]


def kubeconfig(name: str, server: str) -> str:
    """A kubeconfig (JSON) for cluster ``name`` at ``server`` with an exec credential plugin."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority-data": "LS0tLS1DQQ=="}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "fake-credential-plugin",
                        }
                    },
                }
            ],
        }
    )


def physical(name: str, inputs: dict[str, Any], key: str = "name") -> str:
    """The resource's own name input, else Pulumi's auto-name shape (``<name>-<7 hex>``)."""
    given = inputs.get(key)
    return str(given) if isinstance(given, str) and given else f"{name}-{hex_of(name, 7)}"


CHILD = "__mlplatform_child__"
"""Marks, in a fake's outputs, a resource the remote component creates itself: the engine registers it as the
component's child (so ``pulumi:pulumi:getResource`` answers for it) and replaces the marker with a resource
reference, as the engine does for a component's resource outputs."""


def child(type_: str, name: str, state: dict[str, Any]) -> dict[str, Any]:
    """A child resource ``name`` of type ``type_`` with ``state``, to stand in a fake's outputs."""
    return {CHILD: {"type": type_, "name": name, "state": state}}


# ------------------------------------------------------------------------------------------------ the clouds' tables


def _modules() -> Iterator[ModuleType]:
    """The registered clouds' placeholder modules, imported now (they import no cloud SDK)."""
    for dotted in clouds.plan_modules():
        yield sys.modules.get(dotted) or importlib.import_module(dotted)


class _Merged(Mapping[str, Any]):
    """A live, read-only merge of one table (``FAKES``, ``IDS``, ``CALLS``) over the clouds' placeholder modules."""

    def __init__(self, table: str) -> None:
        self._table = table
        self._cache: tuple[tuple[int, ...], dict[str, Any]] = ((), {})

    def _items(self) -> dict[str, Any]:
        modules = list(_modules())
        key = tuple(id(m) for m in modules)  # the registry (tests register a cloud) decides what is merged
        if key != self._cache[0]:
            out: dict[str, Any] = {}
            for module in modules:
                out.update(getattr(module, self._table, {}))
            self._cache = (key, out)
        return self._cache[1]

    def __getitem__(self, key: str) -> Any:
        return self._items()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())


FAKES: Mapping[str, Fake] = _Merged("FAKES")
"""Placeholder computed outputs by type token. Types not listed get what their cloud's ``fallback`` gives."""
IDS: Mapping[str, Callable[[dict[str, Any]], Any]] = _Merged("IDS")
"""What a provider uses as the id of these types (the name, the ARN, the URL or the key id)."""
CALLS: Mapping[str, Callable[[dict[str, Any]], dict[str, Any]]] = _Merged("CALLS")
"""Fake answers to provider functions (invokes) by token."""


def fake_outputs(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Computed outputs for a resource of ``type_`` named ``name``."""
    fake = FAKES.get(type_)
    if fake is not None:
        return fake(name, inputs)
    for module in _modules():
        fallback = getattr(module, "fallback", None)
        if fallback is not None and (out := fallback(type_, name, inputs)) is not None:
            return dict(out)
    return {}


def fake_id(type_: str, name: str, outputs: dict[str, Any] | None = None) -> str:
    """A plausible physical id: for the types in :data:`IDS` the one the provider uses, else ``<name>-id``."""
    by = IDS.get(type_)
    if by is not None and outputs:
        return str(by(outputs))
    return f"{name}-id"


def use_placeholders(config: Mapping[str, str], project: str) -> dict[str, str]:
    """Point every cloud's placeholders at the stack; what the plan says about them."""
    marker = {"note": "values known only after deploy are placeholders, not real"}
    for module in _modules():
        if (placeholders := getattr(module, "placeholders", None)) is not None:
            marker.update(placeholders(config, project))
    return marker


def placeholder_note(marker: Mapping[str, str]) -> str:
    """How the plan names its placeholders in one line (each cloud's ``note``, where it gives one)."""
    notes = [n for m in _modules() if (f := getattr(m, "note", None)) is not None and (n := f(marker))]
    return f"values known only after deploy are placeholders{' (' + '; '.join(notes) + ')' if notes else ''}, not real"


# ------------------------------------------------------------------------------------------------ remote components


@dataclass
class Child:
    """A child a remote component registers: type, name, inputs (with markers), options."""

    type: str
    name: str
    inputs: dict[str, Any]
    parent: str
    custom: bool = True
    depends_on: list[str] = field(default_factory=list)
    ignore_changes: list[str] = field(default_factory=list)
    provider: str | None = None


Create = Callable[[Child], tuple[str, dict[str, Any]]]
"""Registers a child; returns its URN and its outputs (computed ones unknown or placeholders)."""
StateOf = Callable[[str], Mapping[str, Any]]
"""The outputs of a registered resource, by URN."""


class ComponentRefused(SpecError):
    """A remote component's provider refuses the inputs a program gives it (``pulumi preview`` would fail)."""


class RemoteModel(Protocol):
    """What a cloud's remote (multi-language) components register inside their provider, modelled for one plan
    (a remote component's implementation never runs under mocks)."""

    source: str
    """Where the modelled behaviour is from (``modelledFrom`` of each child in the plan JSON)."""

    def expand(
        self, urn: str, type_: str, name: str, inputs: Mapping[str, Any], create: Create, state_of: StateOf
    ) -> None:
        """Register the children the component ``urn`` registers (``create``), or raise :class:`ComponentRefused`."""

    def not_modelled(self) -> list[str]:
        """What the model did not cover in this plan (one line each)."""


def remote_models(config: Mapping[str, str], project: str, outputs: OutputsMode) -> dict[str, RemoteModel]:
    """Type token -> the model of that remote component, for one plan, over every cloud's placeholder module."""
    out: dict[str, RemoteModel] = {}
    for module in _modules():
        if (models := getattr(module, "remote_models", None)) is not None:
            out.update(models(config, project, outputs))
    return out
