"""The records of a planned program: what ``mlplatform plan`` declares, with no Pulumi runtime behind it.

The bottom layer of the plan (docs/architecture.md, Layers): the engine (:mod:`components.plan.engine`) fills these
records from the SDK's mocks; the cost, deploy-time and cold-start estimates, the policy rules, and the report and CLI
(:mod:`components.plan.report`, :mod:`components.plan.cli`) read them. This module imports nothing of the project but
:mod:`components.markers`, so every reader can import it without the Pulumi runtime or an import cycle
(tests/test_layers.py keeps it so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from components import markers

UNKNOWN = markers.UNKNOWN
"""Marks a value only known after a deploy (shared with the policy rules)."""
UNKNOWN_TEXT = markers.UNKNOWN_TEXT
SECRET_TEXT = "[secret]"


@dataclass(frozen=True)
class Secret:
    """Marks a value that Pulumi holds as a secret."""

    value: Any

    def __repr__(self) -> str:
        return SECRET_TEXT


@dataclass
class Registration:
    """One resource the program registered.

    ``inputs`` keeps :data:`UNKNOWN` and :class:`Secret` markers; :meth:`plain_inputs` gives plain values
    (secrets revealed, unknowns dropped) and :meth:`wire_inputs` the JSON form (secrets as ``"[secret]"``).
    """

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    depends_on: list[str]
    property_dependencies: dict[str, list[str]]
    inputs: dict[str, Any]
    protect: bool = False
    retain_on_delete: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    modelled: str | None = None
    """For a child of a remote component that the plan models (:mod:`components.plan.aws_eks`): the source."""
    replace_with: list[str] = field(default_factory=list)
    """URNs whose replacement replaces this resource too (the ``replace_with`` option)."""
    delete_before_replace: bool = False
    delete_before_replace_defined: bool = False
    """True when the program set ``delete_before_replace`` (even to False): the engine then ignores the provider's
    choice (pulumi/pulumi pkg/resource/deploy/step_generator.go: ``goal.DeleteBeforeReplace`` overrides
    ``diff.DeleteBeforeReplace``)."""
    aliases: list[dict[str, Any]] = field(default_factory=list)
    """The ``aliases`` option as the engine receives it: ``{"urn": ...}`` or an alias spec (``name``, ``type``,
    ``parentUrn``, ``noParent``, ``project``, ``stack``; empty when not given). Recorded only when the program runs
    with ``keep_aliases=True``: a plan drops aliases (``components.plan.engine._drop_aliases``)."""

    @property
    def provider_urn(self) -> str | None:
        """The provider's URN (without the ``::<id>`` suffix), or None when the default provider is used."""
        return self.provider.rsplit("::", 1)[0] if self.provider else None

    def plain_inputs(self) -> dict[str, Any]:
        """Inputs with secrets revealed and unknown values left out."""
        out: dict[str, Any] = plain(self.inputs)
        return out

    def wire_inputs(self) -> dict[str, Any]:
        """Inputs for JSON: secrets as ``"[secret]"``, unknowns as ``"(known after deploy)"``."""
        out: dict[str, Any] = wire(self.inputs)
        return out

    def all_dependencies(self) -> set[str]:
        """Every URN this resource waits on: ``depends_on`` plus the resources its inputs came from."""
        deps = set(self.depends_on)
        for urns in self.property_dependencies.values():
            deps.update(urns)
        if self.provider_urn:
            deps.add(self.provider_urn)
        return deps


def is_unknown(value: Any) -> bool:
    """True for :data:`UNKNOWN`, bare or held as a secret."""
    return value is UNKNOWN or (isinstance(value, Secret) and value.value is UNKNOWN)


def plain(value: Any) -> Any:
    """``value`` with secrets revealed and unknown values left out of maps and lists."""
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if not is_unknown(v)}
    if isinstance(value, list):
        return [plain(v) for v in value if not is_unknown(v)]
    return value


def wire(value: Any) -> Any:
    """``value`` for JSON: secrets as ``"[secret]"``, unknowns as ``"(known after deploy)"``."""
    if isinstance(value, Secret):
        # A secret map (e.g. a Secret's whole stringData) keeps its keys, so manifests stay schema-valid.
        return {k: SECRET_TEXT for k in value.value} if isinstance(value.value, dict) else SECRET_TEXT
    if value is UNKNOWN:
        return UNKNOWN_TEXT
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire(v) for v in value]
    return value


def contains_secret(value: Any) -> bool:
    """True when ``value`` holds a :class:`Secret` anywhere."""
    if isinstance(value, Secret):
        return True
    if isinstance(value, dict):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


@dataclass
class PlanResult:
    """What a program declared: its registrations (in order), its stack outputs, and its config."""

    project: str
    stack: str
    resources: list[Registration]
    stack_outputs: dict[str, Any]
    context: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """What the program logged as warnings or errors (``pulumi.log.warn``), in the order the engine received them."""
    placeholders: dict[str, str] | None = None
    """None for a preview-like plan; with placeholders, the values they use (account, region, partition, ...)."""
    model_notes: list[str] = field(default_factory=list)
    """What the model of remote components (:mod:`components.plan.aws_eks`) does not cover in this program."""

    def of_type(self, type_: str) -> list[Registration]:
        """Registrations of one type token."""
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Registration:
        """The single registration of ``type_`` (and ``name``); an AssertionError otherwise."""
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.of_type(type_)]
            raise AssertionError(f"expected one {type_} named {name!r}, found {len(found)} among {names}")
        return found[0]

    def by_urn(self, urn: str) -> Registration | None:
        """The registration with ``urn``."""
        return next((r for r in self.resources if r.urn == urn), None)

    def children(self, parent: Registration) -> list[Registration]:
        """Direct children of ``parent``."""
        return [r for r in self.resources if r.parent == parent.urn]
