"""Whether one replica of a model fits on a node the stack's cluster can start.

A pod whose CPU or memory request is larger than every node that may run it is never scheduled: it stays Pending,
the autoscaler finds no node group to grow ("pod didn't trigger scale-up"), and ``pulumi up`` waits on the
InferenceService until its timeout. The nodes that may run a model are known from the stack: a GPU model runs on the
pools that offer its accelerator (its node selector, components/serving/_runtime.py); a CPU model runs on the system
pool, since every GPU node carries the ``nvidia.com/gpu`` taint. Their sizes are the catalog's (vCPUs and memory of
each machine, docs/catalog.md). Capacity is the bound checked: what a node can allocate is less (the kubelet's and
system reservations), so a request just below capacity may still not fit; above capacity it never does. For memory
the bound is capacity less the kubelet's hard eviction threshold, which every node keeps free: ``allocatable =
capacity - kube-reserved - system-reserved - eviction-threshold`` and the default ``memory.available<100Mi``
(kubernetes.io/docs/tasks/administer-cluster/reserve-compute-resources; AKS refuses a threshold under 100Mi,
learn.microsoft.com KubeletHardEvictionThreshold.memoryAvailable).
"""

from __future__ import annotations

from decimal import Decimal

from components import catalog
from components.clusters.spec import ClusterSpec
from components.serving.quantity import quantity_value
from components.serving.spec import ModelSpec

EVICTION_MEMORY_BYTES = 100 * 2**20
"""The kubelet's default hard eviction threshold ``memory.available<100Mi``: memory no pod can request."""


def node_fit_problem(cloud: str, region: str, cluster: ClusterSpec, model: ModelSpec) -> tuple[str, str, str] | None:
    """Why one replica of ``model`` fits on no node of ``cluster`` (key path under the model, value, accepted), or
    None when it fits or the nodes are not known (a system pool machine the catalog does not list)."""
    res = model.resources
    machines: list[tuple[str, int, float]] = []
    if res.gpus and res.accelerator:
        for pool in cluster.gpu_pools.values():
            if pool.accelerator != res.accelerator or pool.gpus_per_node < res.gpus:
                continue
            try:
                m = catalog.machine_for(cloud, pool.accelerator, pool.gpus_per_node, region)
            except catalog.CatalogError:
                continue  # refused with its own line by the pool check
            machines.append((m.instance_type, m.vcpus, m.memory_gib))
        where = "the largest machine of the {accelerator} pools, {name}, has"
    else:
        system = catalog.system_machine(cloud)
        if cluster.system_pool.instance_type not in (None, system.instance_type):
            return None  # a machine the catalog does not describe: its size is not known here
        machines.append((system.instance_type, system.vcpus, system.memory_gib))
        where = "CPU models run on the system pool (GPU nodes are tainted), whose machine {name} has"
    if not machines:
        return None
    never = "and a pod larger than every node it may run on is never scheduled"
    name, vcpus, _ = max(machines, key=lambda m: m[1])
    if quantity_value(res.cpu) > vcpus:
        has = where.format(accelerator=res.accelerator, name=name)
        return "resources.cpu", res.cpu, f"give at most {vcpus}: {has} {vcpus} vCPUs, {never}"
    name, _, gib = max(machines, key=lambda m: m[2])
    most = Decimal(str(gib)) * 2**30 - EVICTION_MEMORY_BYTES
    if quantity_value(res.memory) > most:
        has = where.format(accelerator=res.accelerator, name=name)
        return (
            "resources.memory",
            res.memory,
            f"give at most {most / 2**20:.0f}Mi: {has} {gib:g} GiB, of which the kubelet keeps 100Mi free, {never}",
        )
    return None
