"""Estimated time of a first ``pulumi up``: the critical path through the recorded dependency graph.

Each resource takes the typical creation time of its type (``deploy_times.yaml`` beside this module, every entry with
its source) and starts when everything it waits on has finished:

- its ``depends_on``, the resources its inputs came from and its provider (:meth:`Registration.all_dependencies`);
- its parent, when the parent is a resource (the SDK registers a child once the parent's URN is known, i.e. after
  the parent is created);
- a dependency on a component means waiting for every resource under it: a component completes when its children
  do. A component without recorded children (a remote component such as ``eks:index:Cluster`` under the mocks)
  takes the time its type has in the table;
- entries with ``serialize_by: <input>`` (GKE node pools) run one after another for the same value of that input;
- entries with ``model_start: true`` (InferenceService): when the object waits for Ready (``pulumi.com/waitFor``), its
  model's start is added to the API call: the cold-start estimate of :mod:`components.coldstart` for the stack's
  cluster, ``fromZero`` when a GPU model's pools start at zero nodes, ``warmNode`` otherwise (a CPU model, or a GPU
  pool with ``minNodes`` >= 1, whose node the deploy creates with the pool). KServe creates the first pod even at
  ``minReplicas: 0`` (Knative's ``initial-scale`` 1, config/core/configmaps/autoscaler.yaml, knative/serving 1.21),
  so a scale-to-zero model starts once during the deploy as well.

A cluster or node pool type of a registered cloud (:func:`components.clouds.cluster_types`,
:func:`~components.clouds.pool_types`) takes its time only from an entry that names the type exactly: a managed
control plane takes minutes, so a type without one (a new cloud's cluster before its entries are written) is
reported unknown (:attr:`CriticalPath.unknown`, "creation time unknown" in the summary), never the catch-all's
seconds (review of #15, finding 3).

The critical path is the chain of resources that ends last; its length is the estimate. A change that serialises
installs (a new ``depends_on`` between Helm releases) lengthens the path and shows in ``mlplatform plan``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from components import clouds, coldstart
from components.outputs import ClusterOutputs, GpuPoolOutputs, cluster_outputs, is_cluster
from components.records import UNKNOWN, PlanResult, Registration, Secret

SERVING_RUNTIME_TYPE = "kubernetes:serving.kserve.io/v1alpha1:ServingRuntime"

DATA_FILE = Path(__file__).with_name("deploy_times.yaml")
HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")


class DeployTimeError(ValueError):
    """Bad data in ``deploy_times.yaml``; the message is one line."""


@dataclass(frozen=True)
class TimeEntry:
    """Typical creation time (minutes) of the resource types matching ``match`` (and ``chart`` for Helm)."""

    match: str
    minutes: float
    low: float
    high: float
    source: str
    chart: str | None = None
    serialize_by: str | None = None
    model_start: bool = False
    unknown: bool = False
    """No figure: a registered cloud's cluster or pool type without an entry of its own (it counts as 0 minutes on
    the path, and the estimate says it is missing)."""

    def matches(self, type_: str, chart: str | None) -> bool:
        """Whether this entry applies to a resource of ``type_`` (installing ``chart``)."""
        if self.chart is not None and self.chart != chart:
            return False
        return type_ == self.match or fnmatch.fnmatchcase(type_, self.match)


def parse(data: object) -> tuple[TimeEntry, ...]:
    """Validate the table (parsed YAML); raises :class:`DeployTimeError`."""
    if not isinstance(data, dict) or set(data) != {"entries"} or not isinstance(data["entries"], list):
        raise DeployTimeError("deploy times: the top level must be a mapping with one key, entries (a list)")
    out: list[TimeEntry] = []
    allowed = {"match", "chart", "minutes", "low", "high", "source", "serialize_by", "model_start"}
    for i, raw in enumerate(data["entries"]):
        where = f"deploy times: entries[{i}]"
        if not isinstance(raw, dict) or not {"match", "minutes", "low", "high", "source"} <= raw.keys():
            raise DeployTimeError(f"{where}: give match, minutes, low, high and source")
        if extra := sorted(raw.keys() - allowed):
            raise DeployTimeError(f"{where}: unknown key {', '.join(extra)}")
        nums = [raw["low"], raw["minutes"], raw["high"]]
        if not all(isinstance(n, int | float) and not isinstance(n, bool) and n >= 0 for n in nums):
            raise DeployTimeError(f"{where}: low, minutes and high must be numbers >= 0")
        if not nums[0] <= nums[1] <= nums[2]:
            raise DeployTimeError(f"{where}: give low <= minutes <= high, got {nums[0]}, {nums[1]}, {nums[2]}")
        if not isinstance(raw["source"], str) or not raw["source"].strip():
            raise DeployTimeError(f"{where}: source must name where the figure comes from")
        out.append(
            TimeEntry(
                str(raw["match"]),
                float(nums[1]),
                float(nums[0]),
                float(nums[2]),
                " ".join(raw["source"].split()),
                raw.get("chart"),
                raw.get("serialize_by"),
                bool(raw.get("model_start", False)),
            )
        )
    if not out or out[-1].match != "*":
        raise DeployTimeError("deploy times: the last entry must be the catch-all match: '*'")
    return tuple(out)


@cache
def load(path: Path = DATA_FILE) -> tuple[TimeEntry, ...]:
    """Read and validate the table (``deploy_times.yaml`` beside this module by default)."""
    with path.open(encoding="utf-8") as stream:
        return parse(yaml.safe_load(stream))


def _chart(reg: Registration) -> str | None:
    if reg.type not in HELM_TYPES:
        return None
    chart = reg.inputs.get("chart")
    return chart.rsplit("/", 1)[-1] if isinstance(chart, str) else None


def unknown_entry(type_: str) -> TimeEntry:
    """The entry of a registered cloud's cluster or pool type that the table does not name."""
    return TimeEntry(
        type_,
        0.0,
        0.0,
        0.0,
        f"unknown: no entry for {type_} in components/deploy_times.yaml (a cluster or node pool type of a registered "
        "cloud takes minutes; add its creation time with a source)",
        unknown=True,
    )


def entry_for(reg: Registration, table: Sequence[TimeEntry] | None = None) -> TimeEntry:
    """The table entry that gives ``reg``'s creation time (:func:`unknown_entry` for a registered cloud's cluster or
    pool type that no entry names exactly)."""
    chart = _chart(reg)
    entries = table if table is not None else load()
    if reg.type in clouds.cluster_types() or reg.type in clouds.pool_types():
        exact = next((e for e in entries if e.match == reg.type and e.matches(reg.type, chart)), None)
        return exact if exact is not None else unknown_entry(reg.type)
    for entry in entries:
        if entry.matches(reg.type, chart):
            return entry
    raise DeployTimeError(f"no deploy time entry matches {reg.type}")  # unreachable: the table ends with '*'


@dataclass(frozen=True)
class Step:
    """One resource on the critical path, with its estimated start and finish (minutes from the start)."""

    name: str
    type: str
    urn: str
    start: float
    minutes: float
    low: float
    high: float
    source: str

    @property
    def finish(self) -> float:
        """When it is created."""
        return self.start + self.minutes

    def to_json(self) -> dict[str, Any]:
        """The step in the plan JSON."""
        return {
            "name": self.name,
            "type": self.type,
            "urn": self.urn,
            "startMinutes": round(self.start, 2),
            "minutes": self.minutes,
            "low": self.low,
            "high": self.high,
            "source": self.source,
        }


@dataclass(frozen=True)
class CriticalPath:
    """The longest chain of creations and its estimated duration (typical, with the range along the same chain)."""

    steps: tuple[Step, ...]
    resources: int
    unknown: tuple[Step, ...] = ()
    """Resources whose creation time is unknown (:func:`unknown_entry`), left out of the figures."""

    @property
    def minutes(self) -> float:
        """Typical duration of the path."""
        return round(sum(s.minutes for s in self.steps), 2)

    @property
    def low(self) -> float:
        """The path's duration with every step at its low figure."""
        return round(sum(s.low for s in self.steps), 2)

    @property
    def high(self) -> float:
        """The path's duration with every step at its high figure."""
        return round(sum(s.high for s in self.steps), 2)

    def summary(self) -> str:
        """One line: duration, range and the path's length."""
        missing = ""
        if self.unknown:
            types = sorted({s.type for s in self.unknown})
            missing = (
                f"; creation time unknown for {len(self.unknown)} resource(s) of {', '.join(types)} (no entry in "
                "components/deploy_times.yaml), left out"
            )
        if not self.steps:
            return ("nothing to create" if not self.unknown else "unknown") + missing
        return (
            f"about {_minutes(self.minutes)} ({_minutes(self.low)} to {_minutes(self.high)}) along "
            f"{len(self.steps)} resources that wait on each other, of {self.resources}{missing}"
        )

    def to_json(self) -> dict[str, Any]:
        """The critical path in the plan JSON."""
        return {
            "minutes": self.minutes,
            "low": self.low,
            "high": self.high,
            "resources": self.resources,
            "criticalPath": [s.to_json() for s in self.steps],
            **({"unknown": [s.to_json() for s in self.unknown]} if self.unknown else {}),
            "method": "longest chain of the dependency graph, typical creation times from components/deploy_times.yaml",
            "summary": self.summary(),
        }


def _minutes(value: float) -> str:
    if value < 1:
        return f"{round(value * 60)} s"
    return f"{value:.1f} min" if value < 10 else f"{round(value)} min"


def _serial_key(reg: Registration, entry: TimeEntry) -> tuple[str, str] | None:
    if entry.serialize_by is None:
        return None
    value = reg.inputs.get(entry.serialize_by)
    if isinstance(value, Secret):
        value = value.value
    if value is None or value is UNKNOWN:
        # an output not known in a plan (e.g. the cluster's name): serialise on what it came from
        deps = reg.property_dependencies.get(entry.serialize_by) or []
        return (entry.match, ",".join(deps)) if deps else None
    return (entry.match, str(value))


def _references(value: Any, known: Mapping[str, Registration]) -> set[str]:
    """URNs of resources passed as inputs (resource references, such as ``cluster=`` of a pulumi-eks node group).

    The SDK leaves them out of a remote component's dependencies (its provider orders them inside the component), but
    the component still waits for them.
    """
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if item.startswith("urn:pulumi:") and item in known:
                found.add(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, Secret):
            stack.append(item.value)
    return found


def _cluster_outputs(result: PlanResult) -> ClusterOutputs | None:
    """The registered outputs of the stack's cluster component (the one that outputs ``cloud``), or None."""
    for reg in result.resources:
        outputs = reg.outputs if isinstance(reg.outputs, dict) else {}
        if not reg.custom and is_cluster(outputs):
            return cluster_outputs(outputs)
    return None


def _starts_from_zero(isvc: Mapping[str, Any], pools: Mapping[str, GpuPoolOutputs]) -> bool:
    """Whether a GPU model's first pod needs a new node: every pool its node selector matches (by pool name or
    accelerator) starts at zero nodes."""
    selector = (((isvc.get("spec") or {}).get("predictor") or {}).get("nodeSelector") or {}).values()
    matching = [
        p for name, p in pools.items() if isinstance(p, dict) and (name in selector or p["accelerator"] in selector)
    ]
    return not any(int(p["minNodes"] or 0) > 0 for p in matching)


def model_start_entry(
    reg: Registration,
    entry: TimeEntry,
    cluster: ClusterOutputs | None,
    documents: Sequence[Mapping[str, Any]] = (),
) -> TimeEntry:
    """``entry`` plus the model's start when the InferenceService ``reg`` waits for Ready (module docstring);
    ``documents``: the plan's ServingRuntimes, which decide the model's runtime (:func:`coldstart.facts_from_isvc`)."""
    isvc = reg.plain_inputs()
    annotations = (isvc.get("metadata") or {}).get("annotations") or {}
    if "pulumi.com/waitFor" not in annotations:
        return entry
    provisioner = cluster["gpuProvisioner"] if cluster else None
    streamed = cluster["gpuStreamedRegistries"] if cluster else None
    pools = cluster["gpuPools"] if cluster else None
    facts = coldstart.ClusterFacts(
        str((cluster["cloud"] if cluster else None) or clouds.EXISTING.name),
        provisioner if isinstance(provisioner, str) else None,
        tuple(str(r) for r in streamed) if isinstance(streamed, list) else (),
        coldstart.pool_caches(pools if isinstance(pools, dict) else None),
        coldstart.pool_disks(pools if isinstance(pools, dict) else None),
    )
    model = coldstart.facts_from_isvc(isvc, documents)
    est = coldstart.estimate(model, facts)
    from_zero = model.gpus > 0 and _starts_from_zero(isvc, pools if isinstance(pools, dict) else {})
    case, label = (est.from_zero, "fromZero") if from_zero else (est.warm_node, "warmNode")
    return TimeEntry(
        entry.match,
        round(entry.minutes + case.minutes, 2),
        round(entry.low + case.minutes, 2),
        round(entry.high + case.high, 2),
        f"{entry.source}; model start {label} {case.minutes:g} min (high {case.high:g}): components/coldstart.yaml",
        entry.chart,
        entry.serialize_by,
        entry.model_start,
    )


def critical_path(result: PlanResult, table: Sequence[TimeEntry] | None = None) -> CriticalPath:
    """The critical path of ``result``'s creations (see the module docstring)."""
    return _Schedule(result, load() if table is None else tuple(table)).path()


_Why = tuple[str, str] | None  # (urn, "done" | "registered") that set a time, or None at time 0


class _Schedule:
    """Start, registration and completion times of every registration, and why each is what it is.

    ``registered``: when the resource's registration returns (a resource: once created; a component: once what it
    waits on is done, so its children can register). ``done``: when dependents may start (a component: when its
    children are done as well).
    """

    def __init__(self, result: PlanResult, entries: Sequence[TimeEntry]) -> None:
        self.regs = result.resources
        self.by_urn = {r.urn: r for r in self.regs}
        self.children: dict[str, list[str]] = {}
        for r in self.regs:
            if r.parent in self.by_urn:
                self.children.setdefault(r.parent, []).append(r.urn)
        self.own: dict[str, TimeEntry | None] = {
            r.urn: None if (not r.custom and r.urn in self.children) else entry_for(r, entries) for r in self.regs
        }
        cluster: ClusterOutputs | None = None
        looked = False
        runtimes = [r.plain_inputs() for r in self.regs if r.type == SERVING_RUNTIME_TYPE]
        for r in self.regs:
            entry = self.own[r.urn]
            if entry is not None and entry.model_start:
                if not looked:
                    cluster, looked = _cluster_outputs(result), True
                self.own[r.urn] = model_start_entry(r, entry, cluster, runtimes)
        self.start: dict[str, float] = {}
        self.start_why: dict[str, _Why] = {}
        self.registered_at: dict[str, float] = {}
        self.done_at: dict[str, float] = {}
        self.done_why: dict[str, _Why] = {}
        self.serial_last: dict[tuple[str, str], tuple[float, str]] = {}
        self.visiting: set[str] = set()
        self.registering: set[str] = set()

    def registered(self, urn: str) -> float:
        if urn not in self.registered_at:
            self._register(urn)
        return self.registered_at.get(urn, 0.0)

    def done(self, urn: str) -> float:
        if urn not in self.done_at and urn not in self.visiting:
            self.visiting.add(urn)
            end = self.registered(urn)
            self.done_why[urn] = (urn, "registered")
            reg = self.by_urn.get(urn)
            if reg is not None and not reg.custom:
                for child in self.children.get(urn, []):
                    t = self.done(child)
                    if t > end:
                        end, self.done_why[urn] = t, (child, "done")
            self.done_at[urn] = end
            self.visiting.discard(urn)
        return self.done_at.get(urn, 0.0)

    def _register(self, urn: str) -> None:
        """When ``urn`` starts (what it waits on is done, its parent registered) and when its registration returns."""
        reg = self.by_urn.get(urn)
        if reg is None or urn in self.registering:
            return
        self.registering.add(urn)
        begin, why = 0.0, None
        deps = reg.all_dependencies() | _references(reg.inputs, self.by_urn)
        waits: list[tuple[float, _Why]] = [(self.done(d), (d, "done")) for d in sorted(deps) if d != urn]
        if reg.parent in self.by_urn:
            waits.append((self.registered(reg.parent), (reg.parent, "registered")))
        for t, w in waits:
            if t > begin:
                begin, why = t, w
        entry = self.own[urn]
        if entry is not None:
            key = _serial_key(reg, entry)
            if key is not None and key in self.serial_last and self.serial_last[key][0] > begin:
                begin, why = self.serial_last[key][0], (self.serial_last[key][1], "done")
            if key is not None:
                self.serial_last[key] = (begin + entry.minutes, urn)
        self.start[urn], self.start_why[urn] = begin, why
        self.registered_at[urn] = begin + (entry.minutes if entry is not None else 0.0)
        self.registering.discard(urn)

    def path(self) -> CriticalPath:
        if not self.regs:
            return CriticalPath((), 0)
        for r in sorted(self.regs, key=lambda r: r.urn):  # a stable order, whatever order the SDK registered in
            self.done(r.urn)
        last = min(self.regs, key=lambda r: (-self.done_at.get(r.urn, 0.0), r.urn)).urn  # ties: the first URN
        steps: list[Step] = []
        at: _Why = (last, "done")
        seen: set[tuple[str, str]] = set()
        while at is not None and at not in seen:
            seen.add(at)
            urn, kind = at
            if kind == "done" and self.done_why.get(urn) != (urn, "registered"):
                at = self.done_why.get(urn)  # a component that ended with one of its children
                continue
            reg, entry = self.by_urn[urn], self.own[urn]
            if entry is not None and entry.minutes > 0:
                steps.append(
                    Step(reg.name, reg.type, urn, self.start[urn], entry.minutes, entry.low, entry.high, entry.source)
                )
            at = self.start_why.get(urn)
        unknown = tuple(
            Step(r.name, r.type, r.urn, self.start[r.urn], 0.0, 0.0, 0.0, entry.source)
            for r in sorted(self.regs, key=lambda r: r.urn)
            if (entry := self.own[r.urn]) is not None and entry.unknown
        )
        return CriticalPath(tuple(reversed(steps)), sum(r.custom for r in self.regs), unknown)
