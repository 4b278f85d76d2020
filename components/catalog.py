"""Accelerator catalog: cloud-neutral GPU names mapped to each cloud's machine types, shapes and on-demand prices.

The data lives in ``catalog.yaml`` beside this module. It is read and validated once, at import, into frozen
dataclasses. Every price carries its region, date, source and how it was priced; a price that could not be sourced
is ``None`` (shown as unknown), never 0. On GCP the GPU is billed apart from the VM, so a GCP machine's price is the
VM part plus ``gpus`` x the per-GPU price, and is unknown if either part is.

Every machine also carries where it is offered: the regions of its cloud and, where the source lists them (gcp),
the zones of each region. Lookups may name a region (``machine_for(cloud, accelerator, gpus, region)``); a machine
the region does not have is refused like one the cloud does not have.

Lookups that cannot be answered raise :class:`CatalogError` with one line that lists what exists.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import yaml

from components import clouds

ACCELERATORS: tuple[str, ...] = (
    "nvidia-t4",
    "nvidia-l4",
    "nvidia-a10g",
    "nvidia-l40s",
    "nvidia-a100-40gb",
    "nvidia-a100-80gb",
    "nvidia-h100-80gb",
    "nvidia-h200",
)
CLOUDS: tuple[str, ...] = clouds.names(managed=True)
"""The managed clouds of the registry (:mod:`components.clouds`) when this module was imported; lookups read the
registry itself, so a cloud registered later is looked up too once its catalog data is installed."""
PRICE_REGIONS: Mapping[str, str] = clouds.View(lambda c: c.price_region)
"""Per cloud: the region of its reference prices (:attr:`components.clouds.Cloud.price_region`)."""
DATA_FILE = Path(__file__).with_name("catalog.yaml")
INSTANCE_METHOD = "instance on-demand list price"


def _clouds() -> tuple[str, ...]:
    """The clouds the catalog holds: the registry's managed clouds."""
    return clouds.names(managed=True)


class CatalogError(ValueError):
    """A lookup the catalog cannot answer, or bad catalog data; the message is one line and lists what exists."""


@dataclass(frozen=True)
class Price:
    """An on-demand price in USD per hour; ``usd_per_hour`` is ``None`` when it could not be sourced."""

    usd_per_hour: float | None
    region: str
    date: str | None
    source: str | None
    method: str

    @property
    def known(self) -> bool:
        """Whether the price was sourced (``usd_per_hour`` is a number)."""
        return self.usd_per_hour is not None


class _Placed:
    """Where a machine type is offered and what it costs there: shared by :class:`Machine` and
    :class:`SystemMachine`, which hold the fields."""

    price: Price
    offered_in: tuple[tuple[str, tuple[str, ...]], ...] | None
    regional_prices: tuple[tuple[str, Price], ...]

    def price_in(self, region: str | None) -> Price:
        """The on-demand price in ``region`` when the catalog has one there, else :attr:`price` (whose ``region``
        is the reference region: compare it with ``region`` to tell)."""
        return dict(self.regional_prices).get(region or "", self.price)

    @property
    def regions(self) -> tuple[str, ...]:
        """The regions where this type is offered, sorted; empty when not known (``offered_in`` is None)."""
        return tuple(region for region, _ in self.offered_in or ())

    def offered_at(self, region: str) -> bool | None:
        """Whether this type is offered in ``region``: None when the catalog does not know where it is offered."""
        return None if self.offered_in is None else region in self.regions

    def zones_in(self, region: str) -> tuple[str, ...]:
        """The zones of ``region`` where this type is offered; empty if the source lists no zones or the region
        does not offer it."""
        return dict(self.offered_in or ()).get(region, ())


@dataclass(frozen=True)
class Machine(_Placed):
    """One cloud machine type carrying ``gpus`` x ``accelerator``.

    ``gpu_memory_gb`` is per GPU, in GB (10^9 bytes, the unit of ``modelSizeGb``), from the memory the device
    reports (catalog.yaml ``accelerators``); ``gpu_memory_shown`` is that figure in its own unit ("23034 MiB") and
    ``gpu_memory_source`` the key of its source. ``gpu_type`` is the cloud's own accelerator name where node pools
    need one (GKE ``guest_accelerator`` type); it is empty on aws and azure. ``spot_discount`` is a fraction (0.6 =
    60% cheaper), only when sourced. ``on_demand`` is False for shapes sold only as Spot / flex-start capacity.
    ``offered_in`` is where the type is offered: (region, zones) pairs sorted by region, zones empty where the source
    lists none (aws, azure), or None when no source says; see :attr:`regions`, :meth:`offered_at`, :meth:`zones_in`.
    ``regional_prices``: (region, price) pairs for the regions the catalog prices (see :meth:`price_in`).
    """

    cloud: str
    accelerator: str
    gpus: int
    instance_type: str
    vcpus: int
    memory_gib: float
    gpu_memory_gb: float
    price: Price
    spot_discount: float | None
    mig: bool
    gpu_type: str
    on_demand: bool = True
    note: str = ""
    gpu_memory_shown: str = ""
    gpu_memory_source: str = ""
    offered_in: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    regional_prices: tuple[tuple[str, Price], ...] = ()


@dataclass(frozen=True)
class SystemMachine(_Placed):
    """The default machine of the system (non-GPU) node pool of a cloud."""

    cloud: str
    instance_type: str
    vcpus: int
    memory_gib: float
    price: Price
    spot_discount: float | None = None
    offered_in: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    regional_prices: tuple[tuple[str, Price], ...] = ()


@dataclass(frozen=True)
class Fixed:
    """A fixed hourly charge (control plane, load balancer); ``usd_per_hour`` is ``None`` when not sourced."""

    name: str
    usd_per_hour: float | None
    date: str | None
    source: str | None
    note: str

    @property
    def known(self) -> bool:
        """Whether the charge was sourced."""
        return self.usd_per_hour is not None


@dataclass(frozen=True)
class Catalog:
    """The whole validated catalog, as :func:`load` returns it."""

    machines: tuple[Machine, ...]
    system_machines: Mapping[str, SystemMachine]
    control_planes: Mapping[str, Mapping[str, Fixed]]
    load_balancers: Mapping[str, Fixed]
    availability_sources: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Per cloud, the citation (with its date) of the region data."""
    series_arch: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
    """Per cloud, machine series -> ``kubernetes.io/arch`` (``node_labels.series_arch``); a series not listed is not
    known."""
    gpu_labels: Mapping[str, Mapping[str, GpuLabels]] = dataclasses.field(default_factory=dict)
    """Per cloud, accelerator -> the GPU labels its machines' nodes carry (``node_labels.karpenter_gpu``)."""
    node_label_sources: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Per ``node_labels`` part and cloud (``series_arch.gcp``), the citation (with its date) of its data."""
    mig_memory: Mapping[tuple[str, str], GpuMemory] = dataclasses.field(default_factory=dict)
    """(accelerator, MIG profile) -> one MIG device's memory as ``nvidia-smi mig -lgip`` reports it
    (``accelerators.<name>.mig_memory``)."""


@dataclass(frozen=True)
class GpuLabels:
    """The GPU of an accelerator's machines as Karpenter labels their nodes (``karpenter.k8s.aws/instance-gpu-*``):
    its name and manufacturer (lower-case) and its memory in MiB, per GPU."""

    name: str
    manufacturer: str
    memory_mib: int


@dataclass(frozen=True)
class _Source:
    date: str
    citation: str


_Amount = tuple[float | None, _Source | None, str]
_TOP = {"sources", "accelerators", "spec_sources", "machines"}
_TOP |= {"system_machines", "control_planes", "load_balancers", "availability", "regional_prices"}
_OPTIONAL_TOP = {"node_labels"}
_ARCHES = ("amd64", "arm64")


def _gpu_price_keys() -> dict[str, str]:
    """Cloud -> the top-level key of its per-GPU prices, for the clouds that bill GPUs apart from the VM
    (:attr:`components.clouds.Cloud.gpu_prices_key`)."""
    return {c.name: c.gpu_prices_key for c in clouds.all_clouds() if c.gpu_billed_apart and c.gpu_prices_key}


_Places = tuple[tuple[str, tuple[str, ...]], ...]
_REGION = re.compile(r"\A[a-z][a-z0-9-]*[a-z0-9]\Z", re.ASCII)
_MACHINE = {"cloud", "accelerator", "gpus", "type", "vcpus", "memory_gib"}


def _fail(where: str, problem: str) -> NoReturn:
    raise CatalogError(f"catalog data: {where}: {problem}")


def _mapping(value: object, where: str, required: set[str], optional: set[str] | None = None) -> dict[str, object]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        _fail(where, "must be a mapping with string keys")
    if missing := sorted(required - value.keys()):
        _fail(where, f"missing {', '.join(missing)}")
    if extra := sorted(value.keys() - required - (optional or set())):
        _fail(where, f"unknown key {', '.join(extra)}")
    return value


def _items(value: object, where: str) -> list[tuple[str, object]]:
    if not isinstance(value, dict) or not value or not all(isinstance(k, str) for k in value):
        _fail(where, "must be a non-empty mapping with string keys")
    return list(value.items())


def _choice(value: object, allowed: tuple[str, ...], where: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        _fail(where, f"must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        _fail(where, "must be a non-empty string")
    return " ".join(value.split())


def _count(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        _fail(where, f"must be a positive integer, got {value!r}")
    return value


def _number(value: object, where: str, *, zero_ok: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or (value == 0 and not zero_ok):
        _fail(where, f"must be a {'non-negative' if zero_ok else 'positive'} number, got {value!r}")
    return float(value)


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        _fail(where, f"must be true or false, got {value!r}")
    return value


def _amount(raw: object, where: str, sources: Mapping[str, _Source], *, zero_ok: bool = False) -> _Amount:
    """(usd, source, why) of a price entry: a number with a source, or null with a reason."""
    entry = _mapping(raw, where, {"usd"}, {"source", "why", "name", "note"})
    if entry["usd"] is None:
        if "source" in entry:
            _fail(where, "a price of null must not name a source")
        return None, None, _text(entry.get("why"), f"{where}.why")
    if "why" in entry:
        _fail(where, "a sourced price must not have a why")
    source = _source(entry.get("source"), where, sources)
    return _number(entry["usd"], f"{where}.usd", zero_ok=zero_ok), source, ""


@dataclass(frozen=True)
class GpuMemory:
    """One GPU's memory as the catalog states it: ``gb`` in GB (10^9 bytes), ``shown`` in the source's own unit,
    ``source`` the key of its source."""

    gb: float
    shown: str
    source: str


GPU_MEMORY_UNITS = {"MiB": 2**20 / 1e9, "GB": 1.0}
"""GB per unit of a catalog GPU memory figure: nvidia-smi's MiB (2^20 bytes), or NVIDIA's GB (10^9 bytes)."""
MIG_MEMORY_UNITS = {"GiB": 2**30 / 1e9}
"""GB per unit of a catalog MIG device's memory: ``nvidia-smi mig -lgip``'s Memory column, in GiB (2^30 bytes)."""

MIG_NAME_FACTOR = 0.89
"""The GB in a MIG profile's name (``<slices>g.<memory>gb``) times this stands for the memory of a profile the
catalog gives no ``mig_memory`` for (rev16f D3): the name is not a lower bound. Judgement: below the worst ratio of
a profile's memory to its name found in ``nvidia-smi mig -lgip`` tables (catalog.yaml source ``mig-lgip-ratios``:
GB200 1g.24gb 20.00 GiB = 21.47 GB, 0.895; H200 1g.18gb 0.954; H100 NVL 1g.12gb 0.962), so a model judged to fit
fits on every GPU measured so far; a model up to 11 % under the name may be refused where the device holds more."""
_MIG_NAME = re.compile(r"^[0-9]+g\.([0-9]+)gb")


@dataclass(frozen=True)
class MigMemory:
    """One MIG device's memory: ``gb`` in GB, ``shown`` how it was derived, ``measured`` whether it is a
    ``nvidia-smi mig -lgip`` figure (else the name's GB x :data:`MIG_NAME_FACTOR`)."""

    gb: float
    shown: str
    measured: bool


def _gpu_memory(
    raw: object, where: str, sources: Mapping[str, _Source], units: Mapping[str, float] = GPU_MEMORY_UNITS
) -> GpuMemory:
    entry = _mapping(raw, where, {"value", "unit", "source"})
    value = _number(entry["value"], f"{where}.value")
    unit = _choice(entry["unit"], tuple(units), f"{where}.unit")
    _source(entry["source"], where, sources)
    return GpuMemory(value * units[unit], f"{value:g} {unit}", str(entry["source"]))


def _source(raw: object, where: str, sources: Mapping[str, _Source]) -> _Source:
    """The source a ``source:`` key of the entry at ``where`` names."""
    key = _text(raw, f"{where}.source")
    if key not in sources:
        _fail(f"{where}.source", f"unknown source {key!r}; give one of {', '.join(sources)}")
    return sources[key]


def _usd(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _price(raw: object, where: str, region: str, sources: Mapping[str, _Source]) -> Price:
    _mapping(raw, where, {"usd"}, {"source", "why"})
    usd, src, why = _amount(raw, where, sources)
    method = INSTANCE_METHOD if src else f"{INSTANCE_METHOD}; unknown: {why}"
    return Price(usd, region, src.date if src else None, src.citation if src else None, method)


def _split_price(vm: _Amount, gpu: _Amount, kind: str, gpus: int, gpu_type: str, region: str) -> Price:
    """VM part + gpus x GPU part, billed separately; unknown unless both parts are sourced."""
    (vm_usd, vm_src, _), (gpu_usd, gpu_src, _) = vm, gpu
    vm_text = f"VM {kind} " + (f"${_usd(vm_usd)}/h" if vm_usd is not None else "(price not sourced)")
    each = f"at ${_usd(gpu_usd)}/h each" if gpu_usd is not None else "(price not sourced)"
    parts = f"{vm_text} + {gpus} x {gpu_type} GPU {each}, billed separately"
    if vm_usd is None or gpu_usd is None or vm_src is None or gpu_src is None:
        return Price(None, region, None, None, f"{parts}; total unknown")
    total = round(vm_usd + gpus * gpu_usd, 6)
    source = "; ".join(dict.fromkeys([vm_src.citation, gpu_src.citation]))
    return Price(total, region, min(vm_src.date, gpu_src.date), source, f"{parts} = ${_usd(total)}/h")


def _gpu_prices(raw: object, key: str, sources: Mapping[str, _Source]) -> dict[str, _Amount]:
    """One cloud's per-GPU prices (the table under ``key``), by accelerator."""
    out: dict[str, _Amount] = {}
    for name, entry in _items(raw, key):
        where = f"{key}.{name}"
        _mapping(entry, where, {"usd"}, {"source", "why"})
        out[_choice(name, ACCELERATORS, where)] = _amount(entry, where, sources)
    return out


def _spot(raw: object, where: str, sources: Mapping[str, _Source]) -> float | None:
    if raw is None:
        return None
    entry = _mapping(raw, where, {"discount", "source"})
    discount, _, _ = _amount({"usd": entry["discount"], "source": entry["source"]}, where, sources)
    if discount is None or discount >= 1:
        _fail(f"{where}.discount", f"must be a fraction between 0 and 1, got {discount!r}")
    return discount


def _fixed(raw: object, where: str, sources: Mapping[str, _Source]) -> Fixed:
    entry = _mapping(raw, where, {"name", "usd"}, {"source", "why", "note"})
    usd, src, why = _amount(entry, where, sources, zero_ok=True)
    note = _text(entry["note"], f"{where}.note") if "note" in entry else ""
    note = "; ".join(part for part in (note, f"unknown: {why}" if why else "") if part)
    name = _text(entry["name"], f"{where}.name")
    return Fixed(name, usd, src.date if src else None, src.citation if src else None, note)


def _machine(
    raw: object, where: str, shape: Mapping[str, tuple[GpuMemory, bool]],
    gpu_prices: Mapping[str, Mapping[str, _Amount]], sources: Mapping[str, _Source],
) -> Machine:  # fmt: skip
    cloud = _choice(raw.get("cloud") if isinstance(raw, dict) else None, _clouds(), f"{where}.cloud")
    billed_apart = clouds.get(cloud).gpu_billed_apart
    extra = {"gpu_type", "vm_price"} if billed_apart else {"price"}
    entry = _mapping(raw, where, _MACHINE | extra, {"spot", "on_demand", "note"})
    accelerator = _choice(entry["accelerator"], ACCELERATORS, f"{where}.accelerator")
    gpus, kind = _count(entry["gpus"], f"{where}.gpus"), _text(entry["type"], f"{where}.type")
    if billed_apart:
        gpu_type = _text(entry["gpu_type"], f"{where}.gpu_type")
        per_gpu = gpu_prices.get(cloud, {})
        if accelerator not in per_gpu:
            _fail(f"{where}.accelerator", f"{accelerator} has no entry in {_gpu_price_keys().get(cloud)}")
        _mapping(entry["vm_price"], f"{where}.vm_price", {"usd"}, {"source", "why"})
        vm = _amount(entry["vm_price"], f"{where}.vm_price", sources)
        price = _split_price(vm, per_gpu[accelerator], kind, gpus, gpu_type, PRICE_REGIONS[cloud])
    else:
        gpu_type, price = "", _price(entry["price"], f"{where}.price", PRICE_REGIONS[cloud], sources)
    gpu_memory, mig = shape[accelerator]
    return Machine(
        cloud=cloud, accelerator=accelerator, gpus=gpus, instance_type=kind,
        vcpus=_count(entry["vcpus"], f"{where}.vcpus"), memory_gib=_number(entry["memory_gib"], f"{where}.memory_gib"),
        gpu_memory_gb=gpu_memory.gb, gpu_memory_shown=gpu_memory.shown, gpu_memory_source=gpu_memory.source,
        price=price, spot_discount=_spot(entry.get("spot"), f"{where}.spot", sources),
        mig=mig, gpu_type=gpu_type, on_demand=_flag(entry.get("on_demand", True), f"{where}.on_demand"),
        note=_text(entry["note"], f"{where}.note") if "note" in entry else "",
    )  # fmt: skip


def _places(raw: object, where: str, cloud: str) -> _Places:
    """(region, zones) pairs of one type: a list of regions, or on gcp (``zones_in_catalog``) a mapping region ->
    zones."""
    if clouds.get(cloud).zones_in_catalog:
        pairs: list[tuple[str, tuple[str, ...]]] = []
        for region, zones in _items(raw, where):
            if not isinstance(zones, list) or not zones or not all(isinstance(z, str) for z in zones):
                _fail(f"{where}.{region}", "must be a non-empty list of zone names")
            if bad := [z for z in zones if not z.startswith(f"{region}-")]:
                _fail(f"{where}.{region}", f"zone {bad[0]!r} is not in region {region}")
            if len(set(zones)) != len(zones):
                _fail(f"{where}.{region}", "lists a zone twice")
            pairs.append((region, tuple(sorted(zones))))
    else:
        if not isinstance(raw, list) or not raw or not all(isinstance(r, str) for r in raw):
            _fail(where, "must be a non-empty list of region names")
        if len(set(raw)) != len(raw):
            _fail(where, "lists a region twice")
        pairs = [(region, ()) for region in raw]
    for region, _ in pairs:
        if not _REGION.match(region):
            _fail(where, f"{region!r} is not a region name")
    return tuple(sorted(pairs))


def _availability(
    raw: object, sources: Mapping[str, _Source]
) -> tuple[dict[str, dict[str, _Places | None]], dict[str, str]]:
    """Per cloud: machine type -> where it is offered (None: not known, with a reason in the data); and per cloud the
    citation of the region data."""
    top = _mapping(raw, "availability", set(_clouds()))
    places: dict[str, dict[str, _Places | None]] = {}
    cites: dict[str, str] = {}
    for cloud in _clouds():
        where = f"availability.{cloud}"
        entry = _mapping(top[cloud], where, {"source", "types"}, {"unknown"})
        source = _source(entry["source"], where, sources)
        cites[cloud] = f"{source.citation} ({source.date})"
        types = _items(entry["types"], f"{where}.types")
        places[cloud] = {kind: _places(value, f"{where}.types.{kind}", cloud) for kind, value in types}
        unknown = _items(entry["unknown"], f"{where}.unknown") if "unknown" in entry else []
        for kind, why in unknown:
            if kind in places[cloud]:
                _fail(f"{where}.unknown.{kind}", "is also under types")
            _text(why, f"{where}.unknown.{kind}")
            places[cloud][kind] = None
    return places, cites


def _where(places: Mapping[str, Mapping[str, _Places | None]], cloud: str, kind: str, owner: str) -> _Places | None:
    if kind not in places[cloud]:
        _fail(f"availability.{cloud}.types", f"no entry for {kind} ({owner}); every machine says where it is offered")
    return places[cloud][kind]


_Table = dict[tuple[str, str, str], dict[str, tuple[float, _Source]]]


def _regional_table(raw: object, sources: Mapping[str, _Source]) -> _Table:
    """(cloud, "type" or "gpu", name) -> region -> (usd per hour, source), from the ``regional_prices`` blocks."""
    if not isinstance(raw, list):
        _fail("regional_prices", "must be a list of blocks")
    table: _Table = {}
    for i, block in enumerate(raw):
        where = f"regional_prices[{i}]"
        cloud = _choice(block.get("cloud") if isinstance(block, dict) else None, _clouds(), f"{where}.cloud")
        parts = {"types", "gpus"} if clouds.get(cloud).gpu_billed_apart else {"types"}
        entry = _mapping(block, where, {"cloud", "source"}, parts)
        source = _source(entry["source"], where, sources)
        for part in ("types", "gpus"):
            for name, prices in _items(entry[part], f"{where}.{part}") if part in entry else []:
                if part == "gpus":
                    _choice(name, ACCELERATORS, f"{where}.gpus.{name}")
                slot = table.setdefault((cloud, part[:-1], name), {})
                for region, usd in _items(prices, f"{where}.{part}.{name}"):
                    here = f"{where}.{part}.{name}.{region}"
                    if not _REGION.match(region):
                        _fail(here, f"{region!r} is not a region name")
                    if region in slot:
                        _fail(here, "priced twice")
                    slot[region] = (_number(usd, here), source)
    return table


def _regional(
    cloud: str, kind: str, offered_in: _Places | None, reference: Price, table: _Table,
    gpu: tuple[str, int, str] | None = None,
) -> tuple[tuple[str, Price], ...]:  # fmt: skip
    """A type's prices per region, checked against where it is offered and its reference-region price. On gcp a GPU
    machine (``gpu`` = accelerator, count, GKE name) is its VM part plus the GPUs, in the regions that price both."""
    vm = table.pop((cloud, "type", kind), {})
    billed_apart = clouds.get(cloud).gpu_billed_apart
    per_gpu = table.get((cloud, "gpu", gpu[0]), {}) if gpu and billed_apart else {}
    out: list[tuple[str, Price]] = []
    for region, (usd, src) in sorted(vm.items()):
        where = f"regional_prices: {kind} in {region}"
        if offered_in is not None and region not in dict(offered_in):
            _fail(where, "priced in a region that does not offer it (see availability)")
        price = Price(usd, region, src.date, src.citation, INSTANCE_METHOD)
        if gpu and billed_apart:
            if region not in per_gpu:
                continue
            (_, count, gpu_type), (each, gsrc) = gpu, per_gpu[region]
            total = round(usd + count * each, 6)
            method = (
                f"VM {kind} ${_usd(usd)}/h + {count} x {gpu_type} GPU at ${_usd(each)}/h each, billed separately "
                f"= ${_usd(total)}/h"
            )
            cite = "; ".join(dict.fromkeys([src.citation, gsrc.citation]))
            price = Price(total, region, min(src.date, gsrc.date), cite, method)
        known, ref = price.usd_per_hour or 0.0, reference.usd_per_hour
        if region == reference.region and ref is not None and abs(ref - known) > 1e-5:  # sources round to 5-6 places
            _fail(where, f"{_usd(known)} differs from its price {_usd(ref)}")
        out.append((region, price))
    return tuple(out)


def parse(data: object) -> Catalog:
    """Validate catalog data (the parsed YAML) and build the :class:`Catalog`; raises :class:`CatalogError`."""
    top = _mapping(data, "top level", _TOP | set(_gpu_price_keys().values()), _OPTIONAL_TOP)
    sources: dict[str, _Source] = {}
    for key, raw in _items(top["sources"], "sources"):
        src = _mapping(raw, f"sources.{key}", {"date", "citation"})
        date = _text(src["date"], f"sources.{key}.date")
        try:
            datetime.date.fromisoformat(date)
        except ValueError:
            _fail(f"sources.{key}.date", f"must be YYYY-MM-DD, got {date!r}")
        sources[key] = _Source(date, _text(src["citation"], f"sources.{key}.citation"))
    accel = _mapping(top["accelerators"], "accelerators", set(ACCELERATORS))
    shape: dict[str, tuple[GpuMemory, bool]] = {}
    mig_memory: dict[tuple[str, str], GpuMemory] = {}
    for name in ACCELERATORS:
        entry = _mapping(accel[name], f"accelerators.{name}", {"gpu_memory", "mig"}, {"mig_memory"})
        memory = _gpu_memory(entry["gpu_memory"], f"accelerators.{name}.gpu_memory", sources)
        shape[name] = (memory, _flag(entry["mig"], f"accelerators.{name}.mig"))
        for profile, raw in (
            _items(entry["mig_memory"], f"accelerators.{name}.mig_memory") if "mig_memory" in entry else ()
        ):
            where = f"accelerators.{name}.mig_memory.{profile}"
            if not shape[name][1] or not _MIG_NAME.match(profile):
                _fail(where, "must be a MIG profile (<slices>g.<memory>gb) of a GPU with MIG")
            mig_memory[(name, profile)] = _gpu_memory(raw, where, sources, MIG_MEMORY_UNITS)
    for cloud, text in _mapping(top["spec_sources"], "spec_sources", set(_clouds())).items():
        _text(text, f"spec_sources.{cloud}")
    gpu_prices: dict[str, dict[str, _Amount]] = {}
    for cloud, key in _gpu_price_keys().items():
        gpu_prices[cloud] = _gpu_prices(top[key], key, sources)
    if not isinstance(top["machines"], list) or not top["machines"]:
        _fail("machines", "must be a non-empty list")
    places, cites = _availability(top["availability"], sources)
    found = [_machine(raw, f"machines[{i}]", shape, gpu_prices, sources) for i, raw in enumerate(top["machines"])]
    found = [
        dataclasses.replace(m, offered_in=_where(places, m.cloud, m.instance_type, f"machines[{i}]"))
        for i, m in enumerate(found)
    ]
    table = _regional_table(top["regional_prices"], sources)
    found = [
        dataclasses.replace(
            m,
            regional_prices=_regional(
                m.cloud, m.instance_type, m.offered_in, m.price, table, (m.accelerator, m.gpus, m.gpu_type)
            ),
        )
        for m in found
    ]
    seen: set[tuple[str, str, int]] = set()
    for m in found:
        if (m.cloud, m.accelerator, m.gpus) in seen:
            _fail("machines", f"two machines for {m.gpus} x {m.accelerator} on {m.cloud}")
        seen.add((m.cloud, m.accelerator, m.gpus))
    found.sort(key=lambda m: (_clouds().index(m.cloud), ACCELERATORS.index(m.accelerator), m.gpus))
    system: dict[str, SystemMachine] = {}
    for cloud, raw in _mapping(top["system_machines"], "system_machines", set(_clouds())).items():
        where = f"system_machines.{cloud}"
        entry = _mapping(raw, where, {"type", "vcpus", "memory_gib", "price"}, {"spot"})
        system[cloud] = SystemMachine(
            cloud, _text(entry["type"], f"{where}.type"), _count(entry["vcpus"], f"{where}.vcpus"),
            _number(entry["memory_gib"], f"{where}.memory_gib"),
            _price(entry["price"], f"{where}.price", PRICE_REGIONS[cloud], sources),
            _spot(entry.get("spot"), f"{where}.spot", sources),
        )  # fmt: skip
        kind = system[cloud].instance_type
        system[cloud] = dataclasses.replace(system[cloud], offered_in=_where(places, cloud, kind, where))
        sm = system[cloud]
        system[cloud] = dataclasses.replace(sm, regional_prices=_regional(cloud, kind, sm.offered_in, sm.price, table))
    planes: dict[str, dict[str, Fixed]] = {}
    for cloud, tiers in _mapping(top["control_planes"], "control_planes", set(_clouds())).items():
        where = f"control_planes.{cloud}"
        planes[cloud] = {tier: _fixed(raw, f"{where}.{tier}", sources) for tier, raw in _items(tiers, where)}
        if "standard" not in planes[cloud]:
            _fail(where, "must have a standard tier")
    balancers = _mapping(top["load_balancers"], "load_balancers", set(_clouds()))
    lbs = {cloud: _fixed(raw, f"load_balancers.{cloud}", sources) for cloud, raw in balancers.items()}
    if leftover := sorted(name for (cloud, part, name) in table if part == "type"):
        _fail("regional_prices", f"no machine of type {leftover[0]} in the catalog")
    used = {(m.cloud, m.instance_type) for m in found} | {(c, m.instance_type) for c, m in system.items()}
    for cloud, kinds in places.items():
        if extra := sorted(kind for kind in kinds if (cloud, kind) not in used):
            _fail(f"availability.{cloud}.types.{extra[0]}", "no machine of this type in the catalog")
    arch, gpu_labels, label_cites = _node_labels(top.get("node_labels", {}), sources)
    return Catalog(tuple(found), system, planes, lbs, cites, arch, gpu_labels, label_cites, mig_memory)


def _node_labels(
    raw: object, sources: Mapping[str, _Source]
) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, GpuLabels]], dict[str, str]]:
    """``node_labels``: per cloud, machine series -> arch, and accelerator -> GPU labels, each part with its source."""
    part = _mapping(raw, "node_labels", set(), {"series_arch", "karpenter_gpu"})
    arch: dict[str, dict[str, str]] = {}
    cites: dict[str, str] = {}
    for cloud, entry in _items(part["series_arch"], "node_labels.series_arch") if "series_arch" in part else ():
        where = f"node_labels.series_arch.{cloud}"
        _choice(cloud, _clouds(), where)
        table = _mapping(entry, where, {"source"}, set(_ARCHES))
        src = _source(table["source"], where, sources)
        cites[f"series_arch.{cloud}"] = f"{src.citation} ({src.date})"
        for name in _ARCHES:
            series = table.get(name, [])
            if not isinstance(series, list) or not all(isinstance(x, str) and x for x in series):
                _fail(f"{where}.{name}", "must be a list of machine series")
            for x in series:
                if x in arch.setdefault(cloud, {}):
                    _fail(f"{where}.{name}", f"series {x} is listed twice")
                arch[cloud][x] = name
    labels: dict[str, dict[str, GpuLabels]] = {}
    for cloud, entry in _items(part["karpenter_gpu"], "node_labels.karpenter_gpu") if "karpenter_gpu" in part else ():
        where = f"node_labels.karpenter_gpu.{cloud}"
        _choice(cloud, _clouds(), where)
        table = _mapping(entry, where, {"source"}, set(ACCELERATORS))
        src = _source(table["source"], where, sources)
        cites[f"karpenter_gpu.{cloud}"] = f"{src.citation} ({src.date})"
        for accel in (a for a in ACCELERATORS if a in table):
            gpu = _mapping(table[accel], f"{where}.{accel}", {"name", "manufacturer", "memory_mib"})
            labels.setdefault(cloud, {})[accel] = GpuLabels(
                _text(gpu["name"], f"{where}.{accel}.name"),
                _text(gpu["manufacturer"], f"{where}.{accel}.manufacturer"),
                _count(gpu["memory_mib"], f"{where}.{accel}.memory_mib"),
            )
    return arch, labels, cites


def load(path: Path | None = None) -> Catalog:
    """Read and validate a catalog file (``catalog.yaml`` beside this module by default)."""
    with (path or DATA_FILE).open(encoding="utf-8") as stream:
        return parse(yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))  # libyaml when built


_CATALOG = load()
_INDEX = {(m.cloud, m.accelerator, m.gpus): m for m in _CATALOG.machines}
_COVERED: dict[str, tuple[str, ...]] = {}  # filled by install() below

REGION_NAMES: Mapping[str, tuple[re.Pattern[str], str]] = clouds.View(
    lambda c: (c.region_pattern, c.region_example or "") if c.region_pattern is not None else None
)
"""Per cloud: the shape of a region name, and an example (:attr:`components.clouds.Cloud.region_pattern`)."""


def _check_cloud(cloud: str) -> None:
    if cloud not in _clouds():
        raise CatalogError(f"unknown cloud {cloud!r}; give one of {', '.join(_clouds())}")


def machines(cloud: str | None = None) -> tuple[Machine, ...]:
    """All machines, or those of one cloud, ordered by cloud, accelerator (as in ``ACCELERATORS``) and GPUs."""
    if cloud is None:
        return _CATALOG.machines
    _check_cloud(cloud)
    return tuple(m for m in _CATALOG.machines if m.cloud == cloud)


def mig_memory(accelerator: str, profile: str) -> MigMemory | None:
    """The memory of one MIG device of ``profile`` on ``accelerator``: the catalog's ``nvidia-smi mig -lgip`` figure,
    else the GB in the profile's name x :data:`MIG_NAME_FACTOR` (rev16f D3); None for a name without GB."""
    if (found := _CATALOG.mig_memory.get((accelerator, profile))) is not None:
        return MigMemory(found.gb, f"{found.shown} (nvidia-smi mig -lgip, catalog source {found.source})", True)
    if (named := _MIG_NAME.match(profile)) is None:
        return None
    gb = float(named.group(1))
    return MigMemory(gb * MIG_NAME_FACTOR, f"{gb:g} GB in its name x {MIG_NAME_FACTOR:g} (no measured figure)", False)


def regions(cloud: str) -> tuple[str, ...]:
    """The regions of ``cloud`` the availability data covers (it lists at least one catalog machine there), sorted.

    Outside these regions the catalog cannot say what is offered, so lookups there do not check the region."""
    _check_cloud(cloud)
    return _COVERED[cloud]


def availability_source(cloud: str) -> str:
    """The citation (and date) of the region data of ``cloud``."""
    _check_cloud(cloud)
    return _CATALOG.availability_sources[cloud]


def covers(cloud: str, region: str) -> bool:
    """Whether the availability data covers ``region`` of ``cloud`` (see :func:`regions`)."""
    return region in regions(cloud)


def check_region(cloud: str, region: str) -> None:
    """Raise :class:`CatalogError` if ``region`` is not shaped like a region name of ``cloud`` (``us-east1`` on
    aws, ``East US`` on azure), with the closest covered region as a hint."""
    _check_cloud(cloud)
    pattern, example = REGION_NAMES[cloud]
    if isinstance(region, str) and pattern.match(region):
        return
    close = difflib.get_close_matches(str(region).lower().replace(" ", ""), _COVERED[cloud], n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else f"the catalog lists {len(_COVERED[cloud])} (docs/catalog.md)"
    raise CatalogError(f"not a region name on {cloud} (like {example}); {hint}")


def offered(cloud: str, region: str | None = None) -> dict[str, tuple[int, ...]]:
    """Accelerator -> GPU counts per node available on ``cloud``, in ``ACCELERATORS`` order; with ``region`` (one
    the data covers), only what that region offers."""
    result: dict[str, tuple[int, ...]] = {}
    here = region is not None and covers(cloud, region)
    for m in machines(cloud):
        if not here or m.offered_at(str(region)) is not False:
            result[m.accelerator] = (*result.get(m.accelerator, ()), m.gpus)
    return result


def _listed(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(names) if names else "none"


def machine_for(cloud: str, accelerator: str, gpus_per_node: int, region: str | None = None) -> Machine:
    """The machine of ``cloud`` with ``gpus_per_node`` x ``accelerator``; raises :class:`CatalogError` if none.

    With ``region``, the machine must also be offered there, when the availability data covers that region (see
    :func:`regions`); a region the data does not cover is not checked."""
    _check_cloud(cloud)
    if accelerator not in ACCELERATORS:
        raise CatalogError(f"unknown accelerator {accelerator!r}; give one of {', '.join(ACCELERATORS)}")
    have = offered(cloud)
    if accelerator not in have:
        raise CatalogError(f"{accelerator} is not offered on {cloud}; {cloud} offers {', '.join(have)}")
    found = None if isinstance(gpus_per_node, bool) else _INDEX.get((cloud, accelerator, gpus_per_node))
    if region is None or not covers(cloud, region):
        if found is None:
            counts = ", ".join(str(n) for n in have[accelerator])
            raise CatalogError(
                f"no {cloud} machine has {gpus_per_node} x {accelerator}; give gpusPerNode one of {counts}"
            )
        return found
    here = offered(cloud, region)
    if accelerator not in here:
        where = sorted({r for m in machines(cloud) if m.accelerator == accelerator for r in m.regions})
        raise CatalogError(
            f"{accelerator} is not offered in {cloud} region {region}; {region} offers {_listed(list(here))}; "
            f"{accelerator} is offered in {_listed(where)}"
        )
    counts = ", ".join(str(n) for n in here[accelerator])
    if found is None:
        raise CatalogError(
            f"no {cloud} machine has {gpus_per_node} x {accelerator}; "
            f"give gpusPerNode one of {counts} (offered in {region})"
        )
    if found.offered_at(region) is False:
        raise CatalogError(
            f"{found.instance_type} ({gpus_per_node} x {accelerator}) is not offered in {cloud} region {region}; give "
            f"gpusPerNode one of {counts}, or a region that has it: {_listed(found.regions)}"
        )
    return found


def system_machine(cloud: str) -> SystemMachine:
    """The default system node pool machine of ``cloud`` with its price."""
    _check_cloud(cloud)
    return _CATALOG.system_machines[cloud]


def control_plane(cloud: str, tier: str = "standard") -> Fixed:
    """The managed control plane charge of ``cloud`` for ``tier`` (aws: standard, extended; azure: free, ...)."""
    _check_cloud(cloud)
    tiers = _CATALOG.control_planes[cloud]
    if tier not in tiers:
        raise CatalogError(f"unknown control plane tier {tier!r} for {cloud}; give one of {', '.join(tiers)}")
    return tiers[tier]


def load_balancer(cloud: str) -> Fixed:
    """The hourly charge of the ingress load balancer of ``cloud`` (``usd_per_hour`` is None when not sourced)."""
    _check_cloud(cloud)
    return _CATALOG.load_balancers[cloud]


def series_arch(cloud: str, machine_type: str) -> str | None:
    """The ``kubernetes.io/arch`` of ``machine_type``'s nodes by its series (the name before its first ``-``) from
    the catalog's ``node_labels.series_arch`` table of ``cloud``; None when the series is not listed."""
    _check_cloud(cloud)
    return _CATALOG.series_arch.get(cloud, {}).get(machine_type.split("-", 1)[0])


def gpu_labels(cloud: str, instance_type: str) -> tuple[GpuLabels, int] | None:
    """The GPU labels of ``instance_type``'s nodes (``node_labels.karpenter_gpu``) and its GPU count, when it is a
    GPU machine of ``cloud`` in the catalog whose accelerator has them; else None."""
    _check_cloud(cloud)
    for m in machines(cloud):
        if m.instance_type == instance_type and (found := _CATALOG.gpu_labels.get(cloud, {}).get(m.accelerator)):
            return found, m.gpus
    return None


def node_label_source(part: str) -> str:
    """The citation of one ``node_labels`` part (``series_arch.gcp``, ``karpenter_gpu.aws``); empty when none."""
    return _CATALOG.node_label_sources.get(part, "")


def install(data: Catalog) -> Catalog:
    """Make ``data`` the catalog every lookup reads and return the one it replaces (``catalog.yaml``'s at import).
    Tests use it to add the machines of a cloud they register (tests/test_clouds.py)."""
    global _CATALOG, _INDEX, _COVERED
    old, _CATALOG = _CATALOG, data
    _INDEX = {(m.cloud, m.accelerator, m.gpus): m for m in data.machines}
    _COVERED = {
        cloud: tuple(sorted({r for m in machines(cloud) for r in m.regions} | set(system_machine(cloud).regions)))
        for cloud in _clouds()
    }
    return old


install(_CATALOG)
