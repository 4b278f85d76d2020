"""Whether one replica of a model, and of its transformer and explainer, fits on a node the stack's cluster can start.

A pod whose CPU or memory request is larger than every node that may run it is never scheduled: it stays Pending,
the autoscaler finds no node group to grow ("pod didn't trigger scale-up"), and ``pulumi up`` waits on the
InferenceService until its timeout. Karpenter "binpacks them based on CPU, memory, and GPUs required, taking into
account node overhead, VPC CNI resources required, and daemonsets that will be packed when bringing up a new node"
(aws/karpenter-provider-aws v1.14.1 website/content/en/docs/faq.md), and the scheduler fits the sum of a pod's
container requests into what the node's allocatable leaves after the DaemonSet pods already on it.

The nodes that may run a pod are known from the stack: a GPU model runs on the pools that offer its accelerator (its
node selector, components/serving/_runtime.py); a CPU model runs on the system pool, since every GPU node carries the
``nvidia.com/gpu`` taint; a transformer or explainer gets the model's (or its own) node selector and tolerations but
never the GPU ones (components/serving/_kcomponents.py), so it runs on the system pool, or on a GPU pool only when its
own tolerations admit the GPU taint (rev14f defect 3). Their sizes are the catalog's (vCPUs and memory of each
machine, docs/catalog.md). From each machine the bound subtracts, per resource:

- what the node keeps from pods (:func:`reserved_cpu_milli`, :func:`reserved_memory`): the kubelet's reservation, the
  hard eviction threshold and, on AWS, the VM overhead Karpenter counts, each by the cloud's own formula;
- the requests of the platform's own DaemonSets on that node (:func:`daemonset_requests`; rev14f defect 1), and of
  the ones its cluster module names (``NODE_DAEMONSETS``: EKS's EBS CSI node add-on, which the cluster creates;
  rev14g defect 1);
- the requests of the sidecars every pod of the component gets (:func:`sidecar_requests`), KServe's modelcar per
  ``oci://`` model among them (rev14g defect 3).

Other DaemonSets the cloud itself runs on every node (EKS's aws-node and kube-proxy add-ons; GKE's and AKS's system
DaemonSets) are not counted: their requests are set by the cloud at the add-on version it picks, which no pinned
source here gives. The bound is therefore necessary, not sufficient: a pod above it never schedules, a pod at it may
still not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from components import catalog
from components.clusters.spec import ClusterSpec
from components.serving.quantity import quantity_value
from components.serving.spec import ModelSpec

if TYPE_CHECKING:
    from components.platform.settings import PlatformSettings
    from components.serving.kcomponents import ComponentResourcesSpec
    from components.serving.kspec import TolerationSpec

MIB = 2**20
EVICTION_MEMORY_MIB = 100
"""The kubelet's default hard eviction threshold ``memory.available<100Mi``: memory no pod can request. Karpenter
counts it for every instance type (aws/karpenter-provider-aws v1.14.1 pkg/providers/instancetype/types.go
``evictionThreshold``: ``resource.MustParse("100Mi")``), GKE keeps 100 MiB "for Pod eviction" (cloud.google.com/
kubernetes-engine/docs/concepts/plan-node-sizes#memory_and_cpu_reservations), AKS 1.29 and later has "the
memory.available < 100 Mi eviction rule by default" (learn.microsoft.com/azure/aks/node-resource-reservations)."""
EVICTION_MEMORY_BYTES = EVICTION_MEMORY_MIB * MIB

ISTIO_PROXY_CPU_MILLI = 100
"""The istio-proxy sidecar's CPU request in every model pod: Istio 1.30.3's ``global.proxy.resources.requests.cpu:
100m`` (manifests/charts/istio-control/istio-discovery/values.yaml; /work/shared/upstream/chart-values/
istiod-1.30.3.yaml), which the platform keeps (components/platform/istio.py sets no proxy resources)."""
ISTIO_PROXY_MEMORY_MIB = 128
"""The istio-proxy sidecar's memory request: the same values' ``requests.memory: 128Mi`` (istiod-1.30.3.yaml)."""
QUEUE_PROXY_CPU_MILLI = 25
"""Knative's queue-proxy CPU request in a Knative-mode pod: ``queue-sidecar-cpu-request`` "If omitted, a default
value (currently "25m"), is used" (knative/serving config/core/configmaps/deployment.yaml; knative/docs
docs/serving/configuration/deployment.md); the platform does not set it (components/platform/knative.py). Its memory
request is set only "when ``queueproxy.resource-defaults`` is set to ``Enabled``" (the same file), which is
``disabled`` by default (knative-v1.21.3 config/core/configmaps/features.yaml) and not set by the platform: 0."""
AGENT_CPU_MILLI = 100
"""KServe's agent sidecar (a batcher or a logger) CPU request: the ``agent`` config's ``"cpuRequest": "100m"``
(kserve v0.20.0 config/configmap/inferenceservice.yaml), which agent_injector.go sets on the agent container."""
AGENT_MEMORY_MIB = 100
"""The agent's memory request: the same config's ``"memoryRequest": "100Mi"``."""
MODELCAR_CPU_MILLI = 10
"""KServe's ``modelcar`` container, which the pod webhook adds to a pod for each ``oci://`` model URI (kserve v0.20.0
pkg/webhook/admission/pod/storage_initializer_injector.go: ``InjectModelcar`` for ``storageUri``, and one
``ConfigureModelcarToContainer`` per ``oci://`` entry of ``storageUris`` with its ``ociIndex``; pkg/utils/storage.go
``ModelcarNames`` names each ``modelcar[-<index>]``, and a collocated transformer shares them), requests and limits
``storageInitializer.cpuModelcar`` (``CreateModelcarContainer``): ``10m`` in the KServe chart the platform installs
(/work/shared/upstream/chart-values/kserve-resources-v0.20.0.yaml, with ``enableModelcar: true``, which the platform
does not override). Its init container ``modelcar-init`` requests the same and never more than the pod's containers,
so Kubernetes' max(init, sum) rule leaves it uncounted."""
MODELCAR_MEMORY_MIB = 15
"""The modelcar's memory request: the same chart's ``memoryModelcar: 15Mi``."""

ISTIO_CNI = ("istio-cni", 100, 100)
"""istio-cni's node DaemonSet (``platform.istioCni``, on by default): ``resources.requests`` ``cpu: 100m``, ``memory:
100Mi``, with the toleration ``effect: NoSchedule, operator: Exists`` "Make sure istio-cni-node gets scheduled on all
nodes" (/work/shared/upstream/chart-values/istio-cni-1.30.3.yaml; the platform renders the chart with no resources:
components/platform/istio.py ``cni_values``), so it runs on the system and the GPU nodes."""
DCGM_EXPORTER = ("dcgm-exporter", 100, 128)
"""The DCGM exporter's DaemonSet on GPU nodes (device-plugin mode with monitoring and no managed DCGM,
components/platform/gpu.py ``wants_dcgm_exporter``; the cluster wants it on all three clouds): ``requests: cpu:
100m, memory: 128Mi`` (/work/shared/upstream/chart-values/dcgm-exporter-4.8.2.yaml), the platform sets none."""
ZERO_REQUEST_DAEMONSETS = (
    "nvidia-device-plugin (resources: {}, nvidia-device-plugin-0.20.0.yaml)",
    "node-exporter (resources: {}, prometheus-community/helm-charts prometheus-node-exporter-4.56.1 values.yaml, the "
    "subchart of kube-prometheus-stack 88.5.3)",
    "the GPU operator's operands (resources: {}, gpu-operator-v26.7.0.yaml)",
)
"""The platform's other DaemonSets on these nodes request nothing (their charts' defaults, which the platform keeps).
The GPU operator's node-feature-discovery worker takes its requests from the node-feature-discovery subchart, which
was not read: not counted."""


def kube_reserved_cpu_milli(vcpus: int) -> int:
    """CPU the node keeps from pods for the kubelet and the container runtime (``kubeReserved.cpu``) on EKS and GKE:
    6 % of the first core, 1 % of the second, 0.5 % of the third and fourth, 0.25 % of each one above, in whole
    millicores per range. amazon-eks-ami files/bootstrap.sh ``get_cpu_millicores_to_reserve`` (``cpu_ranges=(0 1000
    2000 4000 total)``, ``cpu_percentage_reserved_for_ranges=(600 100 50 25)``, ``range * percentage / 100 / 100`` in
    integer shell arithmetic), the same in Karpenter's ``kubeReservedResources`` (aws/karpenter-provider-aws v1.14.1
    pkg/providers/instancetype/types.go) and Bottlerocket's ``get_cpu_millicores_to_reserve``; all take the ranges
    from GKE's node allocatable (cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes)."""
    total = vcpus * 1000
    out = 0
    for start, end, percent in ((0, 1000, 600), (1000, 2000, 100), (2000, 4000, 50), (4000, max(total, 4000), 25)):
        if total > start:
            out += (min(total, end) - start) * percent // 100 // 100
    return out


NodeReserved = tuple[int, list[tuple[str, int]]]
"""What a node keeps from pods: kube-reserved CPU millicores, and each memory reservation (what, MiB) besides the
eviction threshold."""


def node_reserved(cloud: str, instance_type: str, vcpus: int, mib: int, system: bool) -> NodeReserved:
    """What a node of ``cloud`` (``vcpus``, ``mib`` MiB; a system pool node or a GPU one) keeps from pods, by the
    formula its cluster module gives (its ``node_reserved``: EKS and Karpenter in components/clusters/eks.py, GKE's
    tiers in gke.py, AKS's table in aks.py); a cloud whose module gives none keeps :func:`kube_reserved_cpu_milli`
    and no memory besides the eviction threshold."""
    from components.clusters import cluster_module

    reader = getattr(cluster_module(cloud), "node_reserved", None)
    if reader is None:
        return kube_reserved_cpu_milli(vcpus), []
    out: NodeReserved = reader(instance_type, vcpus, mib, system)
    return out


def reserved_cpu_milli(cloud: str, vcpus: int, instance_type: str = "", mib: int = 0, system: bool = False) -> int:
    """CPU a node of ``cloud`` with ``vcpus`` keeps from pods (:func:`node_reserved`)."""
    return node_reserved(cloud, instance_type, vcpus, mib, system)[0]


def reserved_memory(cloud: str, instance_type: str, mib: int, system: bool, vcpus: int = 0) -> list[tuple[str, int]]:
    """What a node of ``cloud`` with ``mib`` MiB keeps from pods, each (what, MiB): its cloud's reservations
    (:func:`node_reserved`), then the eviction threshold (:data:`EVICTION_MEMORY_MIB`)."""
    kept = node_reserved(cloud, instance_type, vcpus, mib, system)[1]
    return [*kept, ("eviction threshold", EVICTION_MEMORY_MIB)]


def daemonset_requests(platform: PlatformSettings, gpu_node: bool, cloud: str = "") -> dict[str, tuple[int, int]]:
    """The (CPU millicores, memory MiB) the platform's own DaemonSets request on a system node or, ``gpu_node``, a GPU
    node, by what the platform renders (:data:`ISTIO_CNI`, :data:`DCGM_EXPORTER`; :data:`ZERO_REQUEST_DAEMONSETS`
    request nothing), then those of ``cloud``'s cluster on every node (its module's ``NODE_DAEMONSETS``, e.g. EKS's
    EBS CSI node DaemonSet: components/clusters/eks.py ``EBS_CSI_NODE``)."""
    out: dict[str, tuple[int, int]] = {}
    if platform.istio_cni:
        out[ISTIO_CNI[0]] = ISTIO_CNI[1:]
    mon = platform.monitoring
    if gpu_node and platform.gpu_support == "device-plugin" and mon.enabled and not mon.managed_dcgm:
        out[DCGM_EXPORTER[0]] = DCGM_EXPORTER[1:]
    if cloud:
        from components.clusters import cluster_module

        cloud_daemonsets: dict[str, tuple[int, int]] = getattr(cluster_module(cloud), "NODE_DAEMONSETS", {})
        out.update(cloud_daemonsets)
    return out


def sidecar_requests(knative: bool, agent: bool, modelcars: int = 0) -> dict[str, tuple[int, int]]:
    """The (CPU millicores, memory MiB) of the containers the platform and KServe add to every pod of a component:
    istio-proxy, Knative's queue-proxy (Knative mode), KServe's agent (a batcher or a logger) and one modelcar per
    ``oci://`` URI of the pod (``modelcars``, :func:`oci_uris`)."""
    out = {"istio-proxy": (ISTIO_PROXY_CPU_MILLI, ISTIO_PROXY_MEMORY_MIB)}
    if knative:
        out["queue-proxy"] = (QUEUE_PROXY_CPU_MILLI, 0)
    if agent:
        out["agent"] = (AGENT_CPU_MILLI, AGENT_MEMORY_MIB)
    if modelcars:
        name = "modelcar" if modelcars == 1 else f"{modelcars} modelcars"
        out[name] = (MODELCAR_CPU_MILLI * modelcars, MODELCAR_MEMORY_MIB * modelcars)
    return out


def oci_uris(uris: Sequence[str | None]) -> int:
    """How many of a pod's model URIs are ``oci://``, each of which KServe's webhook gives a modelcar container
    (:data:`MODELCAR_CPU_MILLI`)."""
    return sum(1 for uri in uris if uri is not None and uri.startswith("oci://"))


def sidecar_cpu_milli(model: ModelSpec, knative: bool) -> dict[str, int]:
    """The CPU requests of the containers the platform and KServe add to every predictor pod of ``model``."""
    agent = model.batcher is not None or model.logger is not None
    return {k: cpu for k, (cpu, _) in sidecar_requests(knative, agent, _model_oci(model)).items()}


def _model_oci(model: ModelSpec) -> int:
    """The modelcars of ``model``'s predictor pod: its ``storageUri`` or each ``storageUris`` entry on ``oci://``."""
    return oci_uris([model.storage_uri, *(e.uri for e in model.storage_uris)])


@dataclass(frozen=True)
class _Machine:
    instance_type: str
    vcpus: int
    memory_gib: float
    gpu: bool


def _gpu_machines(cloud: str, region: str, cluster: ClusterSpec, accelerator: str | None, gpus: int) -> list[_Machine]:
    out = []
    for pool in cluster.gpu_pools.values():
        if (accelerator is not None and pool.accelerator != accelerator) or pool.gpus_per_node < gpus:
            continue
        try:
            m = catalog.machine_for(cloud, pool.accelerator, pool.gpus_per_node, region)
        except catalog.CatalogError:
            continue  # refused with its own line by the pool check
        out.append(_Machine(m.instance_type, m.vcpus, m.memory_gib, True))
    return out


def _system_machine(cloud: str, cluster: ClusterSpec) -> _Machine | None:
    system = catalog.system_machine(cloud)
    if cluster.system_pool.instance_type not in (None, system.instance_type):
        return None  # a machine the catalog does not describe: its size is not known here
    return _Machine(system.instance_type, system.vcpus, system.memory_gib, False)


def _tolerates_gpu(tolerations: Sequence[TolerationSpec]) -> bool:
    """Whether these tolerations admit the GPU taint ``nvidia.com/gpu=present:NoSchedule`` (core/v1 Toleration:
    ``Exists`` without a key tolerates every taint)."""
    return any(
        (t.key is None or t.key == "nvidia.com/gpu")
        and (t.operator == "Exists" or t.value == "present")
        and t.effect in (None, "NoSchedule")
        for t in tolerations
    )


@dataclass(frozen=True)
class _Bound:
    machine: _Machine
    cpu: int
    memory: int
    reserved_cpu: int
    reserved_memory: list[tuple[str, int]]
    daemons: dict[str, tuple[int, int]]
    sidecars: dict[str, tuple[int, int]]


def _bound(cloud: str, m: _Machine, platform: PlatformSettings, sidecars: dict[str, tuple[int, int]]) -> _Bound:
    mib = int(Decimal(str(m.memory_gib)) * 1024)
    reserved_cpu, kept = node_reserved(cloud, m.instance_type, m.vcpus, mib, system=not m.gpu)
    reserved_mem = [*kept, ("eviction threshold", EVICTION_MEMORY_MIB)]
    daemons = daemonset_requests(platform, m.gpu, cloud)
    cpu = m.vcpus * 1000 - reserved_cpu - sum(c for c, _ in daemons.values()) - sum(c for c, _ in sidecars.values())
    memory = mib - sum(v for _, v in reserved_mem) - sum(v for _, v in daemons.values())
    memory -= sum(v for _, v in sidecars.values())
    return _Bound(m, cpu, memory, reserved_cpu, reserved_mem, daemons, sidecars)


def _listed(items: dict[str, tuple[int, int]], index: int, unit: str) -> str:
    total = sum(v[index] for v in items.values())
    shown = ", ".join(f"{k} {v[index]}{unit}" for k, v in items.items() if v[index])
    return f"{total}{unit} ({shown})" if shown else f"0{unit}"


def _problem(where: str, cpu: str, memory: str, bounds: list[_Bound], path: str) -> tuple[str, str, str] | None:
    """The first of CPU and memory that fits on none of ``bounds`` (machines a pod may run on)."""
    never = "and a pod larger than every node it may run on is never scheduled"
    want_cpu = quantity_value(cpu) * 1000
    fit_cpu = [b for b in bounds if want_cpu <= b.cpu]
    if not fit_cpu:
        b = max(bounds, key=lambda b: b.cpu)
        has = where.format(name=b.machine.instance_type)
        return (
            f"{path}.cpu",
            cpu,
            f"give at most {b.cpu}m: {has} {b.machine.vcpus} vCPUs, of which the node keeps {b.reserved_cpu}m for the "
            f"kubelet, the platform's DaemonSets on it request {_listed(b.daemons, 0, 'm')} and the pod's sidecars "
            f"{_listed(b.sidecars, 0, 'm')}, {never}",
        )
    if any(quantity_value(memory) <= b.memory * MIB for b in fit_cpu):
        return None
    b = max(fit_cpu, key=lambda b: b.memory)
    has = where.format(name=b.machine.instance_type)
    kept = ", ".join(f"{what}: {mib}Mi" for what, mib in b.reserved_memory)
    return (
        f"{path}.memory",
        memory,
        f"give at most {b.memory}Mi: {has} {int(Decimal(str(b.machine.memory_gib)) * 1024)}Mi, of which the node "
        f"keeps {sum(v for _, v in b.reserved_memory)}Mi ({kept}), the platform's DaemonSets on it request "
        f"{_listed(b.daemons, 1, 'Mi')} and the pod's sidecars {_listed(b.sidecars, 1, 'Mi')}, {never}",
    )


def _plus(a: str, b: str) -> str:
    """Two quantities added, as a plain number (bytes or cores)."""
    return str(quantity_value(a) + quantity_value(b))


def node_fit_problem(
    cloud: str, region: str, cluster: ClusterSpec, model: ModelSpec, platform: PlatformSettings
) -> tuple[str, str, str] | None:
    """Why one replica of ``model``'s predictor, transformer or explainer fits on no node of ``cluster`` (key path
    under the model, value, accepted), or None when each fits or the nodes are not known (a system pool machine the
    catalog does not list). Each pod's requests (its container, plus a collocated transformer's, plus its sidecars)
    must fit in some machine it may run on, less what that node keeps (:func:`reserved_cpu_milli`,
    :func:`reserved_memory`) and the platform's DaemonSets there (:func:`daemonset_requests`)."""
    knative = platform.deployment_mode == "Knative"
    res = model.resources
    system = _system_machine(cloud, cluster)
    agent = model.batcher is not None or model.logger is not None
    sidecars = sidecar_requests(knative, agent, _model_oci(model))
    cpu, memory = res.cpu, res.memory
    side = model.transformer
    if side is not None and side.collocated:
        # the transformer-container runs in the predictor's pod (kserve v0.20.0 constants.TransformerContainerName)
        cpu, memory = _plus(cpu, side.resources.cpu), _plus(memory, side.resources.memory)
    if res.gpus and res.accelerator:
        machines = _gpu_machines(cloud, region, cluster, res.accelerator, res.gpus)
        where = f"the largest machine of the {res.accelerator} pools, {{name}}, has"
    else:
        machines = [system] if system is not None else []
        where = "CPU models run on the system pool (GPU nodes are tainted), whose machine {name} has"
    if machines:
        bounds = [_bound(cloud, m, platform, sidecars) for m in machines]
        if problem := _problem(where, cpu, memory, bounds, "resources"):
            if side is None or not side.collocated:
                return problem
            path, _, accepted = problem
            what = path.rsplit(".", 1)[1]
            together = accepted.replace("give at most", "give the two at most", 1)
            theirs = getattr(side.resources, what)
            shares = f"the collocated transformer's {what} ({theirs}) shares the pod"
            return (path, getattr(res, what), f"{shares}: {together}")
    components = {"transformer": None if side is None or side.collocated else side, "explainer": model.explainer}
    for key, comp in components.items():
        if comp is None:
            continue
        problem = _component_problem(cloud, region, cluster, model, key, comp.resources, comp, system, platform)
        if problem is not None:
            return problem
    return None


def _component_problem(
    cloud: str,
    region: str,
    cluster: ClusterSpec,
    model: ModelSpec,
    key: str,
    resources: ComponentResourcesSpec,
    comp: object,
    system: _Machine | None,
    platform: PlatformSettings,
) -> tuple[str, str, str] | None:
    """A transformer's or explainer's pod against the machines it may land on (rev14f defect 3): the system pool, and
    the GPU pools only when its tolerations (its own, else the model's) admit the GPU taint."""
    if system is None:
        return None  # the system pool's machine is not in the catalog: where the component may land is not known
    own = getattr(comp, "tolerations", None)
    tolerations = own if own is not None else model.tolerations
    machines = [system]
    where = f"the {key} runs on the system pool (it gets no GPU toleration), whose machine {{name}} has"
    if _tolerates_gpu(tolerations):
        machines += _gpu_machines(cloud, region, cluster, None, 0)
        where = f"the largest machine the {key} may run on, {{name}}, has"
    agent = getattr(comp, "logger", None) is not None
    # a transformer's or explainer's own storageUri gets its modelcar too: KServe sets the component's source-URI
    # annotation (v0.20.0 components/transformer.go, explainer.go), which InjectModelcar reads
    modelcars = oci_uris([getattr(comp, "storage_uri", None)])
    sidecars = sidecar_requests(platform.deployment_mode == "Knative", agent, modelcars)
    bounds = [_bound(cloud, m, platform, sidecars) for m in machines]
    return _problem(where, resources.cpu, resources.memory, bounds, f"{key}.resources")
