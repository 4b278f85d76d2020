"""Monthly cost estimate of a stack, computed from its recorded plan and the catalog's dated prices.

What is priced, per cluster (730 hours a month, on-demand list prices of the cluster's region where the catalog has
them, else of the catalog's reference region, which the line's ``price_region`` names):

- the managed control plane (by the tier the cluster component registers);
- the system pool at its minimum and its maximum node count;
- each GPU pool at its minimum (the idle cost) and its maximum (the ceiling). Spot pools are priced at on-demand as
  the upper bound; the spot discount, when the catalog has one, is shown separately;
- one load balancer per ``LoadBalancer`` Service, and per Helm release of a chart whose default Service is a
  ``LoadBalancer`` (the Istio ingress gateway) unless its values change the type;
- per model, the GPU cost of its minimum replicas: ``minReplicas x gpus / gpusPerNode x node price``;
- warm capacity (``platform.warmCapacity``, components/platform/warm.py): per GPU pool, the ``N`` nodes its
  placeholder pods keep up, at the pool's hourly price (a ``warm-capacity`` line of ``N`` nodes).

Totals: ``idle`` (pools at their minimum, or at their warm nodes where more), ``baseline`` (each GPU pool at the
larger of its minimum and the nodes the models' minimum replicas need plus its warm nodes: placeholders that models
pre-empt are rescheduled on new nodes, so the warm nodes stay spare) and ``ceiling`` (every pool at its maximum; warm
nodes are within it). Pool counts never exceed the pool's maximum. The warm-capacity line shows ``N`` nodes at the
pool's price; the totals count it through its pool's node count, never twice. A price the catalog does not know is
shown as unknown and never counted as 0: a total that leaves out an unknown price is marked as a lower bound.

Everything is read from the plan: the cluster components' registered outputs (``cloud``, ``region``,
``controlPlaneTier``, ``systemPool``, ``gpuPools``, read as :class:`components.outputs.ClusterOutputs`), the
InferenceServices and the Services/Helm releases. The only per-cloud knowledge is what :mod:`components.catalog` keys
by cloud.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from components import catalog
from components.naming import ACCELERATOR_LABEL, POOL_LABEL
from components.outputs import GpuPoolOutputs, SystemPoolOutputs, cluster_outputs, is_cluster
from components.records import UNKNOWN, PlanResult, Registration, Secret

HOURS_PER_MONTH = 730
CURRENCY = "USD"
ISVC_TYPE = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
SERVICE_TYPE = "kubernetes:core/v1:Service"
HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
GPU_RESOURCE = "nvidia.com/gpu"
LOAD_BALANCER_CHARTS: Mapping[str, tuple[str, ...]] = {"gateway": ("service", "type")}
"""Charts whose default Service type is ``LoadBalancer``, and the values path of that type. Source: the Istio
``gateway`` chart 1.30.3 values.yaml (``service.type: LoadBalancer``), checked against the upstream copy in tests."""

LineKind = Literal["control-plane", "system-pool", "gpu-pool", "load-balancer", "warm-capacity"]
DEPLOYMENT_TYPE = "kubernetes:apps/v1:Deployment"


@dataclass(frozen=True)
class CostLine:
    """One priced item: ``units_min``..``units_max`` units (nodes, clusters, load balancers) at ``usd_per_hour`` each.

    ``usd_per_hour`` is ``None`` when the price is unknown. ``spot_discount`` (a fraction) is set on spot pools when
    the catalog knows it; the line itself stays priced at on-demand (the upper bound).
    """

    cluster: str
    kind: LineKind
    item: str
    detail: str
    usd_per_hour: float | None
    units_min: int
    units_max: int
    price_date: str | None = None
    price_source: str | None = None
    note: str = ""
    spot: bool = False
    spot_discount: float | None = None
    price_region: str | None = None

    @property
    def known(self) -> bool:
        """Whether the unit price is known."""
        return self.usd_per_hour is not None

    def monthly(self, units: int) -> float | None:
        """Monthly USD for ``units`` units; 0 for no units even when the price is unknown."""
        if units == 0:
            return 0.0
        if self.usd_per_hour is None:
            return None
        return round(self.usd_per_hour * units * HOURS_PER_MONTH, 2)

    @property
    def monthly_min(self) -> float | None:
        """Monthly USD at the minimum unit count."""
        return self.monthly(self.units_min)

    @property
    def monthly_max(self) -> float | None:
        """Monthly USD at the maximum unit count."""
        return self.monthly(self.units_max)

    def spot_monthly(self, units: int) -> float | None:
        """Monthly USD at the spot discount, when both the price and the discount are known."""
        full = self.monthly(units)
        if full is None or self.spot_discount is None:
            return None
        return round(full * (1 - self.spot_discount), 2)

    def to_json(self) -> dict[str, Any]:
        """The line in the plan JSON (camelCase keys)."""
        out: dict[str, Any] = {
            "cluster": self.cluster,
            "kind": self.kind,
            "item": self.item,
            "detail": self.detail,
            "usdPerHour": self.usd_per_hour,
            "unitsMin": self.units_min,
            "unitsMax": self.units_max,
            "monthlyMin": self.monthly_min,
            "monthlyMax": self.monthly_max,
            "known": self.known,
            "priceDate": self.price_date,
            "priceSource": self.price_source,
            "priceRegion": self.price_region,
            "note": self.note,
        }
        if self.spot:
            out["spot"] = {
                "discount": self.spot_discount,
                "monthlyMin": self.spot_monthly(self.units_min),
                "monthlyMax": self.spot_monthly(self.units_max),
            }
        return out


@dataclass(frozen=True)
class ModelCost:
    """The GPU cost of one model's minimum replicas; ``monthly`` is ``None`` when it cannot be priced.

    ``gpus_per_node`` is what a node of the pool advertises (``nvidia.com/gpu``): its GPUs, times the pods per GPU when
    the pool shares GPUs (time-slicing, MPS). The monthly cost is ``min_replicas x gpus / gpus_per_node`` nodes.
    """

    name: str
    namespace: str
    cluster: str
    accelerator: str | None
    gpus: int
    min_replicas: int
    pool: str | None
    gpus_per_node: int | None
    node_usd_per_hour: float | None
    monthly: float | None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """The model in the plan JSON."""
        return {
            "model": self.name,
            "namespace": self.namespace,
            "cluster": self.cluster,
            "accelerator": self.accelerator,
            "gpusPerReplica": self.gpus,
            "minReplicas": self.min_replicas,
            "pool": self.pool,
            "gpusPerNode": self.gpus_per_node,
            "nodeUsdPerHour": self.node_usd_per_hour,
            "monthly": self.monthly,
            "known": self.monthly is not None,
            "note": self.note,
        }


@dataclass(frozen=True)
class ClusterPricing:
    """Where a cluster's prices come from: its cloud and region, and the catalog's reference region for ``cloud``
    (the price of anything the catalog does not price in ``region``)."""

    name: str
    cloud: str
    region: str | None
    price_region: str | None


@dataclass(frozen=True)
class Total:
    """A monthly total of the known prices; ``lower_bound`` when an unknown price was left out."""

    usd: float
    lower_bound: bool

    def to_json(self) -> dict[str, Any]:
        """The total in the plan JSON."""
        return {"usd": self.usd, "lowerBound": self.lower_bound}

    def text(self) -> str:
        """``$1,234.56``, prefixed with ``at least`` when it is a lower bound."""
        return ("at least " if self.lower_bound else "") + usd(self.usd)


@dataclass(frozen=True)
class CostEstimate:
    """A stack's monthly estimate: lines per cluster, models, totals and notes."""

    stack: str
    clusters: tuple[ClusterPricing, ...]
    lines: tuple[CostLine, ...]
    models: tuple[ModelCost, ...]
    idle: Total
    baseline: Total
    ceiling: Total
    unknown: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def price_dates(self) -> list[str]:
        """The distinct dates of the prices used, oldest first."""
        return sorted({line.price_date for line in self.lines if line.price_date})

    def summary(self) -> str:
        """One line: baseline, idle and ceiling, and what is unknown."""
        if not self.clusters:
            return "no cluster in this plan: nothing priced"
        if not any(line.known for line in self.lines):
            unknown = "; unknown: " + ", ".join(self.unknown) if self.unknown else ""
            return "nothing priced: " + "; ".join(self.notes) + unknown
        text = (
            f"{self.baseline.text()}/month baseline (idle {self.idle.text()}, ceiling {self.ceiling.text()}; "
            f"{CURRENCY}, {HOURS_PER_MONTH} h/month)"
        )
        if self.unknown:
            text += "; unknown prices: " + ", ".join(self.unknown) + " (totals are lower bounds)"
        return text

    def to_json(self) -> dict[str, Any]:
        """The estimate in the plan JSON: the same numbers, with currency, regions and price dates and sources."""
        return {
            "currency": CURRENCY,
            "hoursPerMonth": HOURS_PER_MONTH,
            "method": "on-demand list prices from components/catalog.yaml; spot pools at on-demand (upper bound)",
            "clusters": [
                {"name": c.name, "cloud": c.cloud, "region": c.region, "priceRegion": c.price_region}
                for c in self.clusters
            ],
            "lines": [line.to_json() for line in self.lines],
            "models": [m.to_json() for m in self.models],
            "totals": {
                "idle": self.idle.to_json(),
                "baseline": self.baseline.to_json(),
                "ceiling": self.ceiling.to_json(),
            },
            "unknown": list(self.unknown),
            "priceDates": self.price_dates,
            "priceSources": sorted({line.price_source for line in self.lines if line.price_source}),
            "notes": list(self.notes),
            "summary": self.summary(),
        }


def usd(value: float) -> str:
    """``$1,234.56``."""
    return f"${value:,.2f}"


# ------------------------------------------------------------------------------------------------ reading the plan


def _plain(value: Any) -> Any:
    """A recorded value without markers: secrets revealed, unknown as None."""
    if isinstance(value, Secret):
        return _plain(value.value)
    if value is UNKNOWN:
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _int(value: Any, default: int = 0) -> int:
    """An integer from a recorded value (Kubernetes quantities such as ``"2"`` included); ``default`` otherwise."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return default


def _dig(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def cluster_components(result: PlanResult) -> list[Registration]:
    """The cluster components of a plan: components that register a ``cloud`` output."""
    return [r for r in result.resources if not r.custom and is_cluster(_plain(r.outputs))]


class _Owners:
    """Which cluster a resource runs on: its provider's (or its own) ancestor that is a cluster component."""

    def __init__(self, result: PlanResult, clusters: list[Registration]) -> None:
        self.by_urn = {r.urn: r for r in result.resources}
        self.clusters = {c.urn: c for c in clusters}
        self.only = clusters[0] if len(clusters) == 1 else None

    def _ancestor(self, urn: str | None) -> Registration | None:
        seen: set[str] = set()
        while urn and urn not in seen:
            seen.add(urn)
            if urn in self.clusters:
                return self.clusters[urn]
            reg = self.by_urn.get(urn)
            urn = reg.parent if reg else None
        return None

    def of(self, reg: Registration) -> Registration | None:
        return self._ancestor(reg.provider_urn) or self._ancestor(reg.urn) or self.only


# ------------------------------------------------------------------------------------------------ pricing


def _control_plane(name: str, cloud: str, tier: str) -> CostLine:
    try:
        fixed = catalog.control_plane(cloud, tier)
    except catalog.CatalogError as e:
        return CostLine(name, "control-plane", "control plane", f"tier {tier}", None, 1, 1, note=str(e))
    return CostLine(
        name, "control-plane", "control plane", fixed.name, fixed.usd_per_hour, 1, 1, fixed.date, fixed.source,
        fixed.note,
    )  # fmt: skip


def _system_pool(name: str, cloud: str, region: str | None, pool: SystemPoolOutputs) -> CostLine:
    # total=False: an existing cluster's is empty (never priced: its cloud is not in the catalog)
    full: SystemPoolOutputs = {"instanceType": "", "minNodes": 0, "maxNodes": 0, **pool}
    kind = str(full["instanceType"] or "")
    lo, hi = _int(full["minNodes"]), _int(full["maxNodes"])
    detail = f"{kind or '(instance type unknown)'} x {lo}..{hi}"
    machine = catalog.system_machine(cloud)
    if kind != machine.instance_type:
        why = f"{kind or 'the instance type'} is not in the catalog (its system machine is {machine.instance_type})"
        return CostLine(name, "system-pool", "system pool", detail, None, lo, hi, note=why)
    p = machine.price_in(region)
    note = "" if p.known else p.method
    return CostLine(
        name, "system-pool", "system pool", detail, p.usd_per_hour, lo, hi, p.date, p.source, note,
        price_region=p.region,
    )  # fmt: skip


def _gpu_pool(name: str, cloud: str, region: str | None, pool_name: str, pool: GpuPoolOutputs) -> CostLine:
    acc, gpn = str(pool["accelerator"] or ""), _int(pool["gpusPerNode"], 1)
    kind = str(pool["instanceType"] or "")
    lo, hi, spot = _int(pool["minNodes"]), _int(pool["maxNodes"]), bool(pool["spot"])
    detail = f"{kind} ({gpn} x {acc}) x {lo}..{hi}" + (", spot" if spot else "")
    item = f"GPU pool {pool_name}"
    try:
        machine = catalog.machine_for(cloud, acc, gpn)
    except catalog.CatalogError as e:
        return CostLine(name, "gpu-pool", item, detail, None, lo, hi, note=str(e), spot=spot)
    if kind and kind != machine.instance_type:
        why = f"{kind} is not the catalog's machine for {gpn} x {acc} ({machine.instance_type})"
        return CostLine(name, "gpu-pool", item, detail, None, lo, hi, note=why, spot=spot)
    p = machine.price_in(region)
    notes = [] if p.known else [p.method]
    if machine.note:
        notes.append(machine.note)
    if spot:
        notes.append("priced at on-demand (upper bound)")
        if machine.spot_discount is None:
            notes.append("spot discount not in the catalog")
    sharing = pool["sharing"]
    if sharing not in (None, "none", "", {}):
        clients = _int(pool["maxClientsPerGpu"], 1)
        notes.append(f"GPUs shared ({_sharing_text(sharing)}" + (f", {clients} pods per GPU)" if clients > 1 else ")"))
    return CostLine(
        name, "gpu-pool", item, detail, p.usd_per_hour, lo, hi, p.date, p.source, "; ".join(notes), spot,
        machine.spot_discount if spot else None, p.region,
    )  # fmt: skip


def _sharing_text(sharing: Any) -> str:
    if isinstance(sharing, dict):
        return ", ".join(f"{k} {v}" for k, v in sharing.items() if v not in (None, ""))
    return str(sharing)


def _load_balancer(name: str, cloud: str, count: int, detail: str) -> CostLine:
    try:
        fixed = catalog.load_balancer(cloud)
    except catalog.CatalogError:
        why = f"the {cloud} cluster's load balancers are not in the catalog"
        return CostLine(name, "load-balancer", "load balancer", detail, None, count, count, note=why)
    return CostLine(
        name, "load-balancer", "load balancer", f"{fixed.name}: {detail}", fixed.usd_per_hour, count, count,
        fixed.date, fixed.source, fixed.note,
    )  # fmt: skip


def load_balancers(result: PlanResult) -> list[tuple[Registration, str]]:
    """Every resource that makes a cloud load balancer, with a short description."""
    found: list[tuple[Registration, str]] = []
    for reg in result.resources:
        if reg.type != SERVICE_TYPE and reg.type not in HELM_TYPES:
            continue
        inputs = _plain(reg.inputs)
        if reg.type == SERVICE_TYPE and _dig(inputs, "spec", "type") == "LoadBalancer":
            meta = inputs.get("metadata") or {}
            found.append((reg, f"Service {meta.get('namespace', 'default')}/{meta.get('name', reg.name)}"))
        elif reg.type in HELM_TYPES:
            chart = str(inputs.get("chart") or "").rsplit("/", 1)[-1]
            path = LOAD_BALANCER_CHARTS.get(chart)
            if path is None:
                continue
            kind = _dig(inputs.get("values") or {}, *path)
            if kind in (None, "LoadBalancer"):
                found.append((reg, f"Helm release {inputs.get('name', reg.name)} ({chart} chart)"))
    return found


@dataclass(frozen=True)
class _Isvc:
    name: str
    namespace: str
    gpus: int
    min_replicas: int
    accelerator: str | None
    pool: str | None


def _isvc(reg: Registration) -> _Isvc:
    inputs = _plain(reg.inputs)
    meta = inputs.get("metadata") or {}
    pred = _dig(inputs, "spec", "predictor") or {}
    containers = [pred.get("model") or {}, *(pred.get("containers") or [])]
    gpus = sum(_int(_dig(c, "resources", "limits", GPU_RESOURCE)) for c in containers if isinstance(c, dict))
    selector = pred.get("nodeSelector") or {}
    min_replicas = _int(pred.get("minReplicas"), 1) if "minReplicas" in pred else 1  # KServe's default is 1
    return _Isvc(
        str(meta.get("name") or reg.name), str(meta.get("namespace") or "default"), gpus, min_replicas,
        selector.get(ACCELERATOR_LABEL), selector.get(POOL_LABEL),
    )  # fmt: skip


@dataclass(frozen=True)
class WarmPool:
    """Warm capacity the plan declares for one GPU pool: ``nodes`` kept up by placeholder pods
    (components/platform/warm.py), with the pool's accelerator and GPUs per node from the cluster's outputs."""

    cluster: str
    pool: str
    nodes: int
    accelerator: str | None
    gpus_per_node: int
    images: tuple[str, ...] = ()
    """The images its placeholders pre-pull (their prepull-* containers, components/platform/warm.py)."""
    instance_type: str | None = None
    """The pool's machine (its ``gpuPools`` output ``instanceType``)."""


def warm_capacity(result: PlanResult) -> list[WarmPool]:
    """Every pool's warm capacity in the plan: the placeholder Deployments (label
    :data:`components.platform.warm.POOL_LABEL`, ``spec.replicas`` nodes) and their cluster's ``gpuPools``."""
    from components.platform.warm import POOL_LABEL as WARM_LABEL

    clusters = cluster_components(result)
    owners = _Owners(result, clusters)
    out: list[WarmPool] = []
    for reg in result.of_type(DEPLOYMENT_TYPE):
        inputs = _plain(reg.inputs)
        pool = _dig(inputs, "metadata", "labels", WARM_LABEL)
        owner = owners.of(reg)
        if not isinstance(pool, str) or owner is None:
            continue
        pools = cluster_outputs(_plain(owner.outputs))["gpuPools"] or {}
        found = pools.get(pool) if isinstance(pools, dict) else None
        info = found if isinstance(found, dict) else None
        accelerator = info["accelerator"] if info else None
        pods = _dig(inputs, "spec", "template", "spec", "containers")  # the pre-pulls: components/platform/warm.py
        images = tuple(
            str(c["image"])
            for c in (pods if isinstance(pods, list) else [])
            if isinstance(c, dict) and "image" in c and str(c.get("name", "")).startswith("prepull-")
        )
        out.append(
            WarmPool(
                owner.name,
                pool,
                _int(_dig(inputs, "spec", "replicas"), 1),
                accelerator if isinstance(accelerator, str) else None,
                _int(info["gpusPerNode"] if info else None, 1),
                images,
                instance if info and isinstance(instance := info.get("instanceType"), str) else None,
            )
        )
    return sorted(out, key=lambda w: (w.cluster, w.pool))


def _warm_line(warm: WarmPool, lines: list[CostLine]) -> CostLine:
    """The warm-capacity line of ``warm``: its nodes at the price of its pool's line."""
    item = f"warm capacity {warm.pool}"
    pool = next((x for x in lines if x.cluster == warm.cluster and x.item == f"GPU pool {warm.pool}"), None)
    if pool is None:
        why = f"GPU pool {warm.pool} is not priced (not a pool of {warm.cluster} in the catalog)"
        return CostLine(warm.cluster, "warm-capacity", item, f"{warm.nodes} node(s)", None, warm.nodes, warm.nodes,
                        note=why)  # fmt: skip
    kind = pool.detail.split(" (", 1)[0]
    note = (
        f"counted in the totals through GPU pool {warm.pool}: idle max(minNodes, {warm.nodes}) nodes, baseline "
        f"the models' minimum nodes + {warm.nodes}, at most maxNodes"
    )
    return CostLine(
        warm.cluster, "warm-capacity", item, f"{kind} x {warm.nodes}, held by placeholder pods that models pre-empt",
        pool.usd_per_hour, warm.nodes, warm.nodes, pool.price_date, pool.price_source, note, pool.spot,
        pool.spot_discount, pool.price_region,
    )  # fmt: skip


def _pick_pool(pools: Mapping[str, GpuPoolOutputs], model: _Isvc) -> str | None:
    """The pool a model lands on: the one its selector names, else the first offering its accelerator and GPUs."""
    if model.pool in pools:
        return model.pool
    for name, pool in pools.items():
        if pool["accelerator"] == model.accelerator and _int(pool["gpusPerNode"], 1) >= model.gpus:
            return name
    return None


def estimate(result: PlanResult) -> CostEstimate:
    """Price the plan ``result`` (see the module docstring)."""
    clusters = cluster_components(result)
    owners = _Owners(result, clusters)
    lines: list[CostLine] = []
    pricing: list[ClusterPricing] = []
    notes: list[str] = []
    pools_of: dict[str, dict[str, GpuPoolOutputs]] = {}
    cloud_of: dict[str, str] = {}
    for c in clusters:
        out = cluster_outputs(_plain(c.outputs))
        cloud, region = str(out["cloud"]), out["region"]
        price_region = catalog.PRICE_REGIONS.get(cloud)
        pricing.append(ClusterPricing(c.name, cloud, region if isinstance(region, str) else None, price_region))
        cloud_of[c.urn] = cloud
        pools = out["gpuPools"] or {}
        pools_of[c.urn] = {k: v for k, v in pools.items() if isinstance(v, dict)} if isinstance(pools, dict) else {}
        if cloud not in catalog.CLOUDS:
            notes.append(f"{c.name}: this stack does not create the cluster ({cloud}); its nodes are billed elsewhere")
            continue
        where = region if isinstance(region, str) else None
        mine = [_control_plane(c.name, cloud, str(out["controlPlaneTier"] or "standard"))]
        system = out["systemPool"]
        if isinstance(system, dict):
            mine.append(_system_pool(c.name, cloud, where, system))
        for pool_name, pool in pools_of[c.urn].items():
            mine.append(_gpu_pool(c.name, cloud, where, pool_name, pool))
        lines.extend(mine)
        if where and price_region and where != price_region:
            elsewhere = [x.item for x in mine if x.kind != "control-plane" and x.known and x.price_region != where]
            if elsewhere:
                notes.append(
                    f"{c.name}: {', '.join(elsewhere)} priced at the catalog's {price_region} list prices (it has "
                    f"none for {where}); {where} may differ"
                )
            notes.append(
                f"{c.name}: control plane and load balancer at the catalog's single list price ({price_region})"
            )
    by_cluster: dict[str, list[str]] = {}
    for reg, what in sorted(load_balancers(result), key=lambda found: found[1]):
        owner = owners.of(reg)
        if owner is not None:
            by_cluster.setdefault(owner.urn, []).append(what)
    for c in clusters:
        if c.urn in by_cluster:
            found = by_cluster[c.urn]
            lines.append(_load_balancer(c.name, cloud_of[c.urn], len(found), ", ".join(found)))
    lines.extend(_warm_line(w, lines) for w in warm_capacity(result))
    models = [_model_cost(reg, owners, pools_of, cloud_of, lines) for reg in result.of_type(ISVC_TYPE)]
    models.sort(key=lambda m: (m.cluster, m.namespace, m.name))
    return _finish(result.stack, pricing, lines, models, notes)


def _model_cost(
    reg: Registration, owners: _Owners, pools_of: Mapping[str, Mapping[str, GpuPoolOutputs]],
    cloud_of: Mapping[str, str], lines: list[CostLine],
) -> ModelCost:  # fmt: skip
    m = _isvc(reg)
    owner = owners.of(reg)
    cluster = owner.name if owner else "?"

    def cost(monthly: float | None, pool: str | None = None, gpn: int | None = None, price: float | None = None,
             note: str = "") -> ModelCost:  # fmt: skip
        return ModelCost(m.name, m.namespace, cluster, m.accelerator, m.gpus, m.min_replicas, pool, gpn, price,
                         monthly, note)  # fmt: skip

    if m.gpus == 0:
        return cost(0.0, note="CPU only: runs on the system pool")
    if owner is None:
        return cost(None, note="no cluster found for this model")
    pool_name = _pick_pool(pools_of.get(owner.urn, {}), m)
    if pool_name is None:
        why = f"no GPU pool of {cluster} offers {m.gpus} x {m.accelerator}"
        if cloud_of.get(owner.urn) not in catalog.CLOUDS:
            why = f"GPU nodes of the {cloud_of.get(owner.urn)} cluster are not priced"
        return cost(None if m.min_replicas else 0.0, note=why)
    pool = pools_of[owner.urn][pool_name]
    gpn = _int(pool["gpusPerNode"], 1) * max(_int(pool["maxClientsPerGpu"], 1), 1)
    line = next((x for x in lines if x.cluster == cluster and x.item == f"GPU pool {pool_name}"), None)
    price = line.usd_per_hour if line else None
    if m.min_replicas == 0:
        return cost(0.0, pool_name, gpn, price, "scales to zero")
    if price is None:
        return cost(None, pool_name, gpn, None, "the pool's price is unknown")
    monthly = round(m.min_replicas * m.gpus / gpn * price * HOURS_PER_MONTH, 2)
    note = "spot pool priced at on-demand" if pool["spot"] else ""
    return cost(monthly, pool_name, gpn, price, note)


def _finish(
    stack: str, pricing: list[ClusterPricing], lines: list[CostLine], models: list[ModelCost], notes: list[str]
) -> CostEstimate:
    """Sum the lines into the idle, baseline and ceiling totals."""
    idle = ceiling = baseline = 0.0
    idle_lb = ceiling_lb = baseline_lb = False
    unknown: list[str] = []
    warm = {(x.cluster, x.item.removeprefix("warm capacity ")): x.units_min for x in lines if x.kind == "warm-capacity"}
    for line in lines:
        if line.kind == "warm-capacity":
            continue  # counted through its pool's node count (module docstring)
        lo, hi = line.monthly_min, line.monthly_max
        base_units = line.units_min
        if line.kind == "gpu-pool":
            needed = _nodes_needed(line, models)
            spare = warm.get((line.cluster, line.item.removeprefix("GPU pool ")), 0)
            base_units = min(max(line.units_min, needed + spare), line.units_max)
            lo = line.monthly(min(max(line.units_min, spare), line.units_max))
        base = line.monthly(base_units)
        if not line.known and line.units_max > 0:
            unknown.append(f"{line.cluster} {line.item}")
        idle, idle_lb = (idle + lo, idle_lb) if lo is not None else (idle, True)
        ceiling, ceiling_lb = (ceiling + hi, ceiling_lb) if hi is not None else (ceiling, True)
        baseline, baseline_lb = (baseline + base, baseline_lb) if base is not None else (baseline, True)
    for m in models:
        if m.monthly is None:
            unknown.append(f"model {m.namespace}/{m.name}")
            baseline_lb = True  # its GPU nodes are not in any priced pool
    return CostEstimate(
        stack, tuple(pricing), tuple(lines), tuple(models), Total(round(idle, 2), idle_lb),
        Total(round(baseline, 2), baseline_lb), Total(round(ceiling, 2), ceiling_lb), tuple(unknown), tuple(notes),
    )  # fmt: skip


def _nodes_needed(line: CostLine, models: list[ModelCost]) -> int:
    """Nodes of a GPU pool that the models' minimum replicas need (GPUs summed, then whole nodes)."""
    gpus = 0
    gpn = 1
    for m in models:
        if m.cluster == line.cluster and m.pool is not None and line.item == f"GPU pool {m.pool}":
            gpus += m.min_replicas * m.gpus
            gpn = m.gpus_per_node or 1
    return math.ceil(gpus / gpn) if gpus else 0
