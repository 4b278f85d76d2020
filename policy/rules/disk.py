"""``gpu-pool-disk-fits``: each GPU pool's node disk holds what lands on its nodes (rev16b defect 1).

A node of a GPU pool holds the serving runtime's image and the model of every pod that lands on it: a model image
(``oci://``, KServe's modelcar) or the storage initializer's download into the pod's emptyDir, both on the node's
disk, and beside them the images the warm-capacity placeholders pre-pull (components/platform/warm.py). The kubelet
removes unused images once the disk is past ``imageGCHighThresholdPercent`` ("Default: 85",
kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1), so a pre-pulled image may be gone before the model
needs it, and a model whose images and download do not fit is never started.

The rule reads the rendered objects: each pool's disk and node labels as the cloud's share reads them
(:class:`PoolDisk`: the EKS EC2NodeClass's data or root volume through the Karpenter NodePool's ``nodeClassRef``,
the GKE node pool's ``nodeConfig.diskSizeGb``, the AKS pool's ``osDiskSizeGB``), the GPU InferenceServices whose
``nodeSelector`` names the pool's accelerator (their runtime from the rendered ServingRuntimes, their model images
and size annotation: components/coldstart.py ``facts_from_isvc``), and the placeholders' ``prepull-*`` containers of
the pool. A node runs as many model pods as it grants GPU requests (rev16c defect 1): the pool's GPUs per node
(GKE's ``guestAccelerators.count``, else the catalog machine of the pool's instance type) times GKE's
``maxSharedClientsPerGpu``, or the replicas the device plugin configuration label names on EKS and AKS, or the MIG
partitions of its profile. It computes the need as the plan-time check does (components/coldstart.py
``disk_problems``, the same function), so the two agree. What an image cache lists is the stack's statement, not in
any rendered object (a disk image or snapshot id only): the plan-time check counts it, this rule cannot. A pool
whose disk is known only after deploy is named by the unknown hook. A pool whose object states no disk size (an EKS
managed node group, whose disk is in a launch template this rule does not tie to it; an AKS pool without
``osDiskSizeGB``, which takes the VM size's default) is not judged here: the plan-time check holds every pool the
stack declares.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from policy.rules import percloud
from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map

RULE = "gpu-pool-disk-fits"
ACCELERATOR_NODE_LABEL = "mlplatform.io/accelerator"
POOL_NODE_LABEL = "mlplatform.io/pool"
"""The node labels every GPU pool's nodes carry (components/naming.py), restated as in policy/rules/warm.py."""
WARM_POOL_LABEL = "mlplatform.io/warm-capacity-pool"
PREPULL_PREFIX = "prepull-"
"""The placeholders' pool label and pre-pull containers (components/platform/warm.py ``POOL_LABEL``,
``PREPULL_PREFIX``), restated so a slip there is caught."""
ISVC = "InferenceService"
SERVING_RUNTIME = "ServingRuntime"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


@dataclass(frozen=True)
class PoolDisk:
    """One pool's disk as a cloud's share reads it: ``labels`` (its nodes' labels, UNKNOWN when known only after
    deploy; None for a node class that pools refer to), ``disk_gib`` (UNKNOWN when known only after deploy, None when
    the pool's own object does not hold it) and ``ref``: the node class whose disk the pool uses, or for a node class
    its own name."""

    name: str
    labels: Any
    disk_gib: Any
    ref: str | None = None
    slots: int | None = None
    """How many GPU requests one node grants (:func:`node_slots`); None: not known from the object (one, as a node
    with one unshared GPU)."""
    cache_disk: bool = False
    """The pool's image cache is a disk of its own (GKE's ``CONTAINER_IMAGE_CACHE`` secondary boot disk): the images
    the stack lists for it (:attr:`Facts.image_caches`) are not on this disk (components/coldstart.yaml
    ``imageCache.gcp.ownDisk``)."""


DEVICE_PLUGIN_CONFIG_LABEL = "nvidia.com/device-plugin.config"
"""The node label naming the NVIDIA device plugin configuration a node serves (components/clusters/base.py
``DEVICE_PLUGIN_CONFIG_LABEL``; ``time-slicing-<n>``, ``mps-<n>``: ``n`` replicas of each GPU), restated so a slip
there is caught."""
_SHARED_CONFIG = re.compile(r"\A(?:time-slicing|mps)-([0-9]+)\Z")


def machine_gpus(instance_types: Any) -> int | None:
    """The most GPUs of the catalog machines among ``instance_types`` (a name or a list; Karpenter may start any of
    a requirement's values), None when none is a catalog machine."""
    from components import catalog

    names = {str(t) for t in (instance_types if isinstance(instance_types, list | tuple) else [instance_types])}
    found = [m.gpus for m in catalog.machines() if m.instance_type in names]
    return max(found) if found else None


def node_slots(gpus: Any, labels: Any = None, clients: Any = None, mig_profile: Any = None) -> int | None:
    """How many GPU requests one node grants, as components/coldstart.py ``node_slots`` counts them: ``gpus`` (None:
    not known) times ``clients`` (GKE's ``maxSharedClientsPerGpu``), else the replicas the node's device plugin
    configuration label names (:data:`DEVICE_PLUGIN_CONFIG_LABEL`), or times the partitions of ``mig_profile``
    (``1g.10gb``, AKS's ``MIG1g``)."""
    from components import coldstart

    if not isinstance(gpus, int) or gpus < 1:
        return None
    if clients is None:
        found = _SHARED_CONFIG.match(str(as_map(labels).get(DEVICE_PLUGIN_CONFIG_LABEL, "")))
        clients = int(found.group(1)) if found else None
    if isinstance(clients, int) and clients > 1:
        return coldstart.node_slots(gpus, "time-slicing", clients)
    if isinstance(mig_profile, str) and mig_profile:
        return coldstart.node_slots(gpus, "mig", 1, mig_profile)
    return gpus


def _disks(resources: Sequence[Resource]) -> list[PoolDisk]:
    out: list[PoolDisk] = []
    for part in percloud.parts(RULE):
        if part.read is None:
            continue
        for r in resources:
            out.extend(part.read(r) or ())
    return out


def _gpu_pools(resources: Sequence[Resource]) -> list[tuple[PoolDisk, Any]]:
    """``(pool, disk GiB or UNKNOWN or None)`` for every pool whose labels name an accelerator, its disk resolved
    through ``ref`` where the pool's own object does not hold it."""
    found = _disks(resources)
    classes = {d.ref: d.disk_gib for d in found if d.labels is None and d.ref is not None}
    out = []
    for d in found:
        if d.labels is None:
            continue
        if d.labels is not UNKNOWN and ACCELERATOR_NODE_LABEL not in as_map(d.labels):
            continue
        disk = d.disk_gib if d.disk_gib is not None or d.ref is None else classes.get(d.ref)
        out.append((d, disk))
    return out


def _is_k8s(res: Resource, kind: str) -> bool:
    return res.type.startswith("kubernetes:") and res.type.endswith(f":{kind}")


def _check(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    from components import coldstart

    pools = [(d, n) for d, n in _gpu_pools(resources) if d.labels is not UNKNOWN and isinstance(n, int | float)]
    if not pools:
        return
    runtimes = [dict(r.props) for r in resources if _is_k8s(r, SERVING_RUNTIME)]
    models = []
    for r in resources:
        if _is_k8s(r, ISVC) and UNKNOWN not in (r.props.get("metadata"), r.props.get("spec")):
            try:
                models.append(coldstart.facts_from_isvc(dict(r.props), runtimes))
            except (TypeError, ValueError, AttributeError, KeyError):
                continue  # a malformed InferenceService: the models rules judge it
    warm: dict[str, list[str]] = {}
    for r in resources:
        if r.type != DEPLOYMENT:
            continue
        pool = as_map(as_map(r.get("spec.template.metadata")).get("labels")).get(WARM_POOL_LABEL)
        if isinstance(pool, str):
            for c in as_list(r.get("spec.template.spec.containers")):
                c = as_map(c)
                if str(c.get("name", "")).startswith(PREPULL_PREFIX) and isinstance(c.get("image"), str):
                    warm.setdefault(pool, []).append(c["image"])
    for d, disk in pools:
        labels = as_map(d.labels)
        accelerator = labels.get(ACCELERATOR_NODE_LABEL)
        pool_name = labels.get(POOL_NODE_LABEL, d.name)
        prepulled = tuple(warm.get(str(pool_name), ()))
        elsewhere: tuple[str, ...] = ()
        if d.cache_disk and facts.image_caches is not None:
            # the images every pool of the accelerator lists (the stack's statement; the rendered pool holds only
            # the disk image's id); not known: every image is counted on the boot disk
            lists = [set(images) for acc, images in facts.image_caches if acc == accelerator]
            elsewhere = tuple(sorted(set.intersection(*lists))) if lists else ()
        pool = coldstart.PoolDisk(
            str(pool_name), str(accelerator), disk, elsewhere, prepulled, d.slots or 1, cache_on_disk=not elsewhere
        )
        for _, value, why in coldstart.disk_problems("", [pool], models):
            yield Finding(None, f"GPU pool {pool_name} ({d.name}): disk {value} GiB: {why}")


def _unknown(res: Resource) -> str | None:
    for part in percloud.parts(RULE):
        for d in (part.read(res) or ()) if part.read is not None else ():
            if d.labels is UNKNOWN or d.disk_gib is UNKNOWN:
                return f"disk of pool {d.name}"
    return None


RULES = [
    Rule(
        name=RULE,
        description=(
            "Each GPU pool's node disk holds, below the kubelet's image garbage collection threshold (85%), the "
            "runtime and model images and downloads of the largest model pods that may land on one node together "
            "(as many as its GPUs, time-slicing replicas or MIG partitions grant) and the images its warm capacity "
            "pre-pulls (the plan-time check's computation, components/coldstart.py): {clouds}."
        ),
        enforcement="mandatory",
        area="cluster",
        check_stack=_check,
        unknown=_unknown,
        remediation="give the pool a larger diskSizeGib, or pre-pull/cache fewer images",
    ),
]
