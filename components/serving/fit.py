"""Whether one replica of a model fits on a node the stack's cluster can start.

A pod whose CPU or memory request is larger than every node that may run it is never scheduled: it stays Pending,
the autoscaler finds no node group to grow ("pod didn't trigger scale-up"), and ``pulumi up`` waits on the
InferenceService until its timeout. The nodes that may run a model are known from the stack: a GPU model runs on the
pools that offer its accelerator (its node selector, components/serving/_runtime.py); a CPU model runs on the system
pool, since every GPU node carries the ``nvidia.com/gpu`` taint. Their sizes are the catalog's (vCPUs and memory of
each machine, docs/catalog.md). For CPU the bound is the node's capacity less the kubelet's reservation (the EKS AMI's
formula, :func:`kube_reserved_cpu_milli`) and the requests of the sidecars every model pod gets (istio-proxy, Knative's
queue-proxy, KServe's agent with a batcher or logger), since the scheduler fits the sum of the pod's requests. For
memory the bound is capacity less the kubelet's hard eviction threshold, which every node keeps free: ``allocatable =
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

ISTIO_PROXY_CPU_MILLI = 100
"""The istio-proxy sidecar's CPU request in every model pod: Istio 1.30.3's ``global.proxy.resources.requests.cpu:
100m`` (manifests/charts/istio-control/istio-discovery/values.yaml; /work/shared/upstream/chart-values/
istiod-1.30.3.yaml), which the platform keeps (components/platform/istio.py sets no proxy resources)."""
QUEUE_PROXY_CPU_MILLI = 25
"""Knative's queue-proxy CPU request in a Knative-mode pod: ``queue-sidecar-cpu-request`` "If omitted, a default
value (currently "25m"), is used" (knative/serving config/core/configmaps/deployment.yaml; knative/docs
docs/serving/configuration/deployment.md); the platform does not set it (components/platform/knative.py)."""
AGENT_CPU_MILLI = 100
"""KServe's agent sidecar (a batcher or a logger) CPU request: the ``agent`` config's ``"cpuRequest": "100m"``
(kserve v0.20.0 config/configmap/inferenceservice.yaml), which agent_injector.go sets on the agent container."""


def kube_reserved_cpu_milli(vcpus: int) -> int:
    """CPU the node keeps from pods for the kubelet and the container runtime (``kubeReserved.cpu``): 6 % of the first
    core, 1 % of the second, 0.5 % of the third and fourth, 0.25 % of each one above, in whole millicores per range.
    amazon-eks-ami files/bootstrap.sh ``get_cpu_millicores_to_reserve`` (``cpu_ranges=(0 1000 2000 4000 total)``,
    ``cpu_percentage_reserved_for_ranges=(600 100 50 25)``, ``range * percentage / 100 / 100`` in integer shell
    arithmetic), the same in Bottlerocket's ``get_cpu_millicores_to_reserve``; both take the ranges from GKE's node
    allocatable (cloud.google.com/kubernetes-engine/docs/concepts/cluster-architecture#node_allocatable). AKS's own
    reservation was not read from a source here: the same figure is applied there as the bound (a margin, not a
    measurement)."""
    total = vcpus * 1000
    out = 0
    for start, end, percent in ((0, 1000, 600), (1000, 2000, 100), (2000, 4000, 50), (4000, max(total, 4000), 25)):
        if total > start:
            out += (min(total, end) - start) * percent // 100 // 100
    return out


def sidecar_cpu_milli(model: ModelSpec, knative: bool) -> dict[str, int]:
    """The CPU requests of the containers the platform and KServe add to every predictor pod of ``model``."""
    out = {"istio-proxy": ISTIO_PROXY_CPU_MILLI}
    if knative:
        out["queue-proxy"] = QUEUE_PROXY_CPU_MILLI
    if model.batcher is not None or model.logger is not None:
        out["agent"] = AGENT_CPU_MILLI
    return out


def node_fit_problem(
    cloud: str, region: str, cluster: ClusterSpec, model: ModelSpec, knative: bool = True
) -> tuple[str, str, str] | None:
    """Why one replica of ``model`` fits on no node of ``cluster`` (key path under the model, value, accepted), or
    None when it fits or the nodes are not known (a system pool machine the catalog does not list). ``knative``: the
    platform's deployment mode is Knative (its queue-proxy is in the pod). The CPU bound is the largest machine's
    vCPUs less the kubelet's reservation (:func:`kube_reserved_cpu_milli`) and the sidecars' requests
    (:func:`sidecar_cpu_milli`): the scheduler fits the sum of a pod's container requests into the node's
    allocatable (rev14e defect 6: ``cpu: "4"`` on a 4-vCPU g6.xlarge planned and stayed Pending)."""
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
    reserved = kube_reserved_cpu_milli(vcpus)
    sidecars = sidecar_cpu_milli(model, knative)
    most_cpu = vcpus * 1000 - reserved - sum(sidecars.values())
    if quantity_value(res.cpu) * 1000 > most_cpu:
        has = where.format(accelerator=res.accelerator, name=name)
        listed = ", ".join(f"{k} {v}m" for k, v in sidecars.items())
        return (
            "resources.cpu",
            res.cpu,
            f"give at most {most_cpu}m: {has} {vcpus} vCPUs, of which the kubelet reserves {reserved}m and the pod's "
            f"sidecars request {sum(sidecars.values())}m ({listed}), {never}",
        )
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
