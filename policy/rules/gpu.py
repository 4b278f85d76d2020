"""GPU pool rules: every GPU pool tainted and labelled, and all pools together within the stack's GPU budget.

Which resources are GPU pools, and how to read their taints, labels and sizes, each cloud's policy module says (its
``gpu-pools`` share, :attr:`policy.rules.percloud.Part.read`, giving the :class:`Pool` list of a resource). A
cluster or node pool no share reads fails both rules. GPU counts per machine come from the accelerator catalog
(components/catalog.yaml).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from policy.rules import percloud
from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map, unknown_path, who

ACCELERATOR_LABEL = "mlplatform.io/accelerator"
POOL_LABEL = "mlplatform.io/pool"
GPU_RESOURCE = "nvidia.com/gpu"
GPU_TAINT = ("nvidia.com/gpu", "present", "NoSchedule")

_EFFECT = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


@cache
def _catalog() -> dict[str, int]:
    """GPUs per machine type, from the accelerator catalog (empty when the project is not importable)."""
    try:
        from components import catalog
    except ImportError:  # pragma: no cover - the pack's venv is the project's (policy/PulumiPolicy.yaml)
        return {}
    return {m.instance_type: m.gpus for m in catalog.machines()}


def gpus_of(instance_type: Any) -> int:
    """GPUs on one machine of ``instance_type`` (0 when it is not a GPU machine in the catalog)."""
    return _catalog().get(instance_type, 0) if isinstance(instance_type, str) else 0


@dataclass(frozen=True)
class Pool:
    """A GPU pool found in a resource: its taints (Kubernetes spelling), labels, GPUs per node, max nodes."""

    resource: Resource
    label: str
    taints: tuple[tuple[str, str, str], ...]
    labels: Mapping[str, Any]
    gpus_per_node: int | None
    max_nodes: int | None
    max_gpus: int | None = None  # a direct cap (Karpenter limits), when the pool states one
    note: str = ""
    shares_gpus: bool = False
    """The cloud shares each GPU of the pool's nodes itself (its nodes advertise several ``nvidia.com/gpu`` per GPU):
    set by the cloud's share (policy/clouds/), read by warm-capacity-preemptible (rev17g g08)."""


def int_of(value: Any) -> int | None:
    """A count as a plan records it (an int, a whole float or a string of digits), or None (a bool, unknown, other);
    for the clouds' gpu-pools shares (policy/clouds/)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value, re.ASCII):
        return int(value)
    return None


def taints_of_list(value: Any) -> tuple[tuple[str, str, str], ...]:
    """(key, value, effect) of each taint in a list of ``{key, value, effect}`` maps or ``"key=value:Effect"``
    strings (effects in Kubernetes' spelling); for the clouds' gpu-pools shares (policy/clouds/)."""
    out = []
    for t in as_list(value):
        if isinstance(t, Mapping):
            effect = str(t.get("effect", ""))
            out.append((str(t.get("key", "")), str(t.get("value", "")), _EFFECT.get(effect, effect)))
        elif isinstance(t, str):  # AKS: "key=value:Effect"
            m = re.fullmatch(r"([^=:]+)(?:=([^:]*))?:(\w+)", t, re.ASCII)
            if m:
                out.append((m[1], m[2] or "", m[3]))
    return tuple(out)


def taints_of_map(value: Any) -> tuple[tuple[str, str, str], ...]:
    """(key, value, effect) of each taint in a ``{key: {value, effect}}`` map (pulumi-eks NodeGroupV2's spelling);
    for the clouds' gpu-pools shares (policy/clouds/)."""
    return tuple(
        (str(k), str(as_map(v).get("value", "")), str(as_map(v).get("effect", ""))) for k, v in as_map(value).items()
    )


def gpu_pools(res: Resource) -> list[Pool]:
    """The GPU pools ``res`` declares (none for a resource that is not a node pool), read by its cloud's share."""
    return [pool for pools in percloud.read("gpu-pools", res) for pool in pools]


def unread_cluster(res: Resource) -> str | None:
    """Why the GPU rules cannot judge ``res``: a cluster or node pool (of a registered cloud, or of a provider the
    registry does not know) whose pools no cloud's ``gpu-pools`` share reads, or one whose share says it makes nodes
    no pool object declares (:attr:`policy.rules.percloud.Part.unread`)."""
    if why := percloud.unread("gpu-pools", res):
        return f"the GPU rules cannot read all the nodes of {res.type} {res.name}: {why}"
    if percloud.unjudged("gpu-pools", res, ("cluster", "pool")) is None:
        return None
    return (
        f"the GPU rules cannot read the node pools of a {res.type} (no gpu-pools share of its cloud's policy module "
        "reads it): teach it this cloud's pool types before its GPU pools can pass"
    )


def _tainted_and_labelled(res: Resource, facts: Facts) -> Iterator[str]:
    unread = unread_cluster(res)
    if unread:
        yield unread
    for pool in gpu_pools(res):
        if GPU_TAINT not in pool.taints:
            yield f"{pool.label} has no taint {GPU_TAINT[0]}={GPU_TAINT[1]}:{GPU_TAINT[2]}: CPU pods would land on GPUs"
        missing = [k for k in (ACCELERATOR_LABEL, POOL_LABEL) if not pool.labels.get(k)]
        if missing:
            yield f"{pool.label} lacks node label(s) {', '.join(missing)}: models cannot select it"


def pool_gpus(pool: Pool) -> int | None:
    """The most GPUs ``pool`` can bring up, or None when it is unbounded or cannot be computed."""
    if pool.max_gpus is not None:
        return pool.max_gpus
    if pool.max_nodes is None or pool.gpus_per_node is None:
        return None
    return pool.max_nodes * pool.gpus_per_node


def _budget(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    total = 0
    parts = []
    for res in resources:
        unread = unread_cluster(res)
        if unread:
            yield Finding(res.urn, unread)
        for pool in gpu_pools(res):
            n = pool_gpus(pool)
            if n is None:
                why = pool.note or "its max nodes or GPUs per node are not known"
                yield Finding(res.urn, f"{pool.label}: GPU capacity cannot be bounded ({why})")
                continue
            total += n
            parts.append(f"{pool.label} {n}")
    if total > facts.max_gpus:
        yield Finding(
            None,
            f"GPU pools can grow to {total} GPUs ({', '.join(parts)}), over this stack's budget of "
            f"{facts.max_gpus} (policy.maxGpus)",
        )


# ------------------------------------------------------------------------------------------------ GPU operator

PREINSTALLED_RULE = "gpu-operator-no-second-driver"
HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
OPERATOR_CHARTS = ("gpu-operator",)
OPERATOR_COMPONENTS = ("driver", "toolkit")
"""The GPU operator's operands that install software on the node: its driver container and the NVIDIA Container
Toolkit. Both are on unless the values say ``enabled: false`` (the chart's defaults: ``driver.enabled: true``,
``toolkit.enabled: true``, ../shared/upstream/chart-values/gpu-operator-v26.7.0.yaml). NVIDIA's chart options:
``driver.enabled`` "By default, the Operator deploys NVIDIA drivers as a container on the system. Set this value to
false when using the Operator on systems with pre-installed drivers" (docs.nvidia.com/datacenter/cloud-native/
gpu-operator/latest/getting-started.html, "Chart Customization Options"; no page pinned to v26.7.0 was found in the
search corpus, the chart values at v26.7.0 are the pinned source of the defaults)."""


@dataclass(frozen=True)
class Preinstalled:
    """What a GPU pool's node image already carries (a cloud's share of :data:`PREINSTALLED_RULE`)."""

    label: str
    """How messages name the pool (its type, name and the setting that says so)."""
    components: frozenset[str]
    """Of :data:`OPERATOR_COMPONENTS`, those the image carries."""


def operator_releases(resources: Sequence[Resource]) -> list[Resource]:
    """The stack's gpu-operator Helm releases (by chart name, :data:`OPERATOR_CHARTS`)."""
    return [
        r
        for r in resources
        if r.type in HELM_TYPES and str(r.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1] in OPERATOR_CHARTS
    ]


def operator_installs_driver(resources: Sequence[Resource]) -> bool:
    """A gpu-operator release of the stack installs the NVIDIA driver itself (``driver.enabled`` not false: the
    chart's default is true, :data:`OPERATOR_COMPONENTS`; values known only after deploy are taken as installing it).
    Each cloud's rule that a GPU pool gets a driver (AKS ``gpuProfile.driver``, GKE ``gpuDriverVersion``) accepts a
    pool without the cloud's driver when this holds."""
    for rel in operator_releases(resources):
        values = rel.props.get("values")
        if values is UNKNOWN:
            return True
        enabled = as_map(as_map(values).get("driver")).get("enabled", True)
        if enabled is not False:
            return True
    return False


def _no_second_driver(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """The GPU operator release turns off each operand whose software a GPU pool's node image already carries, as each
    cloud's share says (EKS accelerated AMIs, AKS GPU pools with the driver installed, GKE pools whose driver GKE
    installs): a second driver container on a node with a loaded driver fails, and a second toolkit rewrites the
    runtime configuration the image set up."""
    releases = operator_releases(resources)
    if not releases:
        return
    carried: dict[str, list[str]] = {}
    for res in resources:
        for found in percloud.read(PREINSTALLED_RULE, res):
            for pre in found if isinstance(found, list) else [found]:
                for component in sorted(pre.components):
                    carried.setdefault(component, []).append(pre.label)
    for rel in releases:
        values = rel.props.get("values")
        if values is UNKNOWN:
            continue
        for component in OPERATOR_COMPONENTS:
            enabled = as_map(as_map(values).get(component)).get("enabled", True)
            if enabled is UNKNOWN or enabled is False or component not in carried:
                continue
            pools = ", ".join(carried[component])
            yield Finding(
                rel.urn,
                f"Helm release {rel.props.get('name', rel.name)} (gpu-operator) installs the {component} "
                f"({component}.enabled {enabled!r}) on GPU nodes whose image already carries it: {pools}; set "
                f"values {component}.enabled false",
            )


def _operator_unknown(res: Resource) -> str | None:
    """The GPU operator release's driver and toolkit switches known only after deploy."""
    if not operator_releases([res]):
        return percloud.unknown(PREINSTALLED_RULE)(res)
    for component in OPERATOR_COMPONENTS:
        found = unknown_path(res.props, f"values.{component}.enabled")
        if found:
            return f"{who(res)} {found}"
    return None


RULES = [
    Rule(
        name="gpu-pool-taint-label",
        description="Every GPU pool carries the nvidia.com/gpu=present:NoSchedule taint and mlplatform.io labels.",
        enforcement="mandatory",
        area="gpu",
        check_resource=_tainted_and_labelled,
        unknown=percloud.unknown("gpu-pools"),
    ),
    Rule(
        name="gpu-budget",
        description="The GPU pools' max sizes (max nodes x GPUs per node) fit the stack's GPU budget (maxGpus).",
        enforcement="mandatory",
        area="gpu",
        check_stack=_budget,
        unknown=percloud.unknown("gpu-pools"),
    ),
    Rule(
        name=PREINSTALLED_RULE,
        description=(
            "The GPU operator installs no second driver or container toolkit: driver.enabled and toolkit.enabled are "
            "false where a GPU pool's node image carries them ({clouds; })."
        ),
        enforcement="mandatory",
        area="gpu",
        applies_to=HELM_TYPES,
        check_stack=_no_second_driver,
        unknown=_operator_unknown,
        remediation="components/platform/gpu.py operator_values: driver.enabled and toolkit.enabled false",
    ),
]
