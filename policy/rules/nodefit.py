"""``pods-fit-nodes``: every rendered model pod fits on the largest node of some pool it may land on (issue #17,
rev17g P8).

The plan refuses a model whose pod fits on no node (components/serving/fit.py, with each cloud's reservation in
components/clusters/eks.py, gke.py and aks.py), but a slip there (a reservation share, a sidecar left out) lets a pod
through that stays Pending for ever: the scheduler places a pod only on a node whose allocatable, less the requests
of the pods already there, holds the sum of its containers' requests, and Karpenter "binpacks them based on CPU,
memory, and GPUs required, taking into account node overhead, VPC CNI resources required, and daemonsets that will be
packed when bringing up a new node" (aws/karpenter-provider-aws v1.14.1 website/content/en/docs/faq.md), starting no
node for a pod no node template fits. This rule is the second line: it calls none of that code and keeps its own
copy of every constant, each with its source, so a slip in the plan-time check is caught here.

For each InferenceService component (predictor, transformer, explainer) the rule sums:

- the requests of the component's containers as rendered (the framework spec such as ``model`` or ``art``, and
  ``containers``; a container with limits and no requests gets requests equal to its limits: core/v1 defaulting,
  kubernetes/kubernetes PR #12035 "sets the requests to the limit if the request was not specified"; the
  kubernetes.io page on it was not returned by the search tools);
- the sidecars added to every pod of it (:data:`ISTIO_PROXY`, :data:`QUEUE_PROXY` in Knative mode, :data:`AGENT`
  with a logger or batcher, :data:`MODELCAR` per ``oci://`` model URI);

and compares them with the allocatable of each machine of the pools it may land on (the pools whose labels meet its
``nodeSelector`` and whose ``NoSchedule``/``NoExecute`` taints it tolerates, read by each cloud's share of
``node-selectors-match-pools``, and that its required node affinity admits, ``nodepools.may_land``; their instance
types from Karpenter requirements, node groups, GKE ``machineType``
or AKS ``vmSize``; vCPUs and memory from the accelerator catalog, components/catalog.yaml): capacity less what the
node keeps from pods by its cloud's formula (:func:`reserved`), less the requests of the DaemonSets rendered for that
pool (:func:`daemonsets`). A pool whose machine the catalog does not describe is not judged (its size is not known).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, cast

from policy.rules import nodepools, percloud
from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map, isvc_components, reading

RULE = "pods-fit-nodes"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
COMPONENTS = ("predictor", "transformer", "explainer")
MIB = 2**20
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"

# ------------------------------------------------------------------------------------------- what a node keeps

EVICTION_MIB = 100
"""The kubelet's default hard eviction threshold ``memory.available<100Mi``, memory no pod may request: Karpenter
counts it for every instance type (aws/karpenter-provider-aws v1.14.1 pkg/providers/instancetype/types.go
``evictionThreshold``, ``resource.MustParse("100Mi")``), GKE keeps 100 MiB "for Pod eviction" (cloud.google.com/
kubernetes-engine/docs/concepts/plan-node-sizes), AKS 1.29+ "the memory.available < 100 Mi eviction rule by default"
(learn.microsoft.com/azure/aks/node-resource-reservations)."""

CPU_RANGES = ((0, 1000, 600), (1000, 2000, 100), (2000, 4000, 50), (4000, None, 25))
"""kube-reserved CPU on EKS and GKE: 6 % of the first core, 1 % of the second, 0.5 % of the third and fourth,
0.25 % of each above, in hundredths of a percent, integer arithmetic per range (amazon-eks-ami files/bootstrap.sh
``get_cpu_millicores_to_reserve``: ``cpu_ranges=(0 1000 2000 4000 total)``, ``cpu_percentage_reserved_for_ranges=
(600 100 50 25)``; Karpenter v1.14.1 types.go ``kubeReservedResources``), which take the ranges from GKE's node
allocatable (cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes; its CPU table was not returned whole by
the search tools: the same ranges are quoted by third parties, e.g. docs.servercore.com)."""


def kube_reserved_cpu(vcpus: int) -> int:
    """kube-reserved millicores of a node with ``vcpus`` on EKS and GKE (:data:`CPU_RANGES`)."""
    total = vcpus * 1000
    out = 0
    for start, end, hundredths in CPU_RANGES:
        if total > start:
            out += (min(total, end if end is not None else total) - start) * hundredths // 100 // 100
    return out


def reserved(cloud: str, instance_type: str, vcpus: int, mib: int, max_pods: int | None) -> tuple[int, dict[str, int]]:
    """What a node of ``cloud`` keeps from pods: kube-reserved millicores, and each memory reservation in MiB (the
    eviction threshold last). Each cloud's own formula is its policy module's :attr:`percloud.CloudPolicy.node_reserved`
    (policy/clouds/<cloud>.py: Karpenter's on EKS, GKE's tiers and COS kernel, AKS's table); a cloud without one keeps
    the EKS/GKE CPU ranges and no memory but the eviction threshold."""
    own = next((p.node_reserved for p in percloud.policies() if p.cloud == cloud and p.node_reserved), None)
    cpu, memory = own(instance_type, vcpus, mib, max_pods) if own else (kube_reserved_cpu(vcpus), {})
    memory["eviction"] = EVICTION_MIB
    return cpu, memory


# ------------------------------------------------------------------------------------------- DaemonSets, sidecars

ISTIO_CNI = (100, 100)
"""istio-cni's node DaemonSet (Helm chart ``cni``): ``resources.requests`` ``cpu: 100m``, ``memory: 100Mi`` and the
toleration ``effect: NoSchedule, operator: Exists`` (istio 1.30.3 manifests/charts/istio-cni values.yaml;
/work/shared/upstream/chart-values/istio-cni-1.30.3.yaml): on every node, unless the values give other requests."""
DCGM_EXPORTER = (100, 128)
"""dcgm-exporter's DaemonSet: ``resources.requests`` ``cpu: 100m, memory: 128Mi`` (dcgm-exporter chart 4.8.2
values.yaml; /work/shared/upstream/chart-values/dcgm-exporter-4.8.2.yaml), on the nodes its rendered affinity and
tolerations admit."""
ZERO = ("nvidia-device-plugin", "gpu-operator", "kube-prometheus-stack")
"""DaemonSet charts whose pods request nothing by default (``resources: {}``: nvidia-device-plugin-0.20.0.yaml,
gpu-operator-v26.7.0.yaml, prometheus-node-exporter under kube-prometheus-stack 88.5.3)."""

ISTIO_PROXY = (100, 128)
"""The istio-proxy sidecar: ``global.proxy.resources.requests`` ``cpu: 100m``, ``memory: 128Mi`` (istio 1.30.3
manifests/charts/istio-control/istio-discovery/values.yaml; /work/shared/upstream/chart-values/istiod-1.30.3.yaml)."""
QUEUE_PROXY = (25, 0)
"""Knative's queue-proxy in a Knative-mode pod: ``queue-sidecar-cpu-request`` "If omitted, a default value
(currently "25m"), is used"; its memory request only with ``queueproxy.resource-defaults: enabled``, off by default
(knative/serving knative-v1.21.3 config/core/configmaps/deployment.yaml, features.yaml)."""
AGENT = (100, 100)
"""KServe's agent (a logger or a batcher): the ``agent`` config's ``"cpuRequest": "100m"``, ``"memoryRequest":
"100Mi"`` (kserve v0.20.0 config/configmap/inferenceservice.yaml)."""
MODELCAR = (10, 15)
"""KServe's modelcar, one per ``oci://`` model URI: ``storageInitializer.cpuModelcar: 10m``, ``memoryModelcar:
15Mi`` (/work/shared/upstream/chart-values/kserve-resources-v0.20.0.yaml; kserve v0.20.0 pkg/webhook/admission/pod/
storage_initializer_injector.go ``InjectModelcar``)."""
DEPLOYMENT_MODE = "serving.kserve.io/deploymentMode"


# ------------------------------------------------------------------------------------------- quantities

_SUFFIX: Mapping[str, int | Decimal] = {
    "": 1, "m": Decimal("0.001"), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}  # fmt: skip
"""Kubernetes quantity suffixes (k8s.io/apimachinery pkg/api/resource/quantity.go: decimal SI, binary SI, and a
decimal exponent ``e``/``E``)."""


def quantity(value: Any) -> Decimal | None:
    """A Kubernetes quantity as a number (cores, bytes), or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if not isinstance(value, str):
        return None
    m = re.fullmatch(r"([+-]?[0-9.]+)(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?)", value.strip())
    if not m:
        return None
    try:
        number = Decimal(m[1])
        if m[2]:
            return number * Decimal(10) ** int(m[2][1:])
        return number * Decimal(_SUFFIX[m[3] or ""])
    except InvalidOperation:
        return None


# ------------------------------------------------------------------------------------------- machines and pools


@cache
def _machines() -> Mapping[str, tuple[int, int]]:
    """vCPUs and memory (MiB) of every machine the catalog describes (GPU machines and each cloud's system machine)."""
    from components import catalog, clouds

    out = {m.instance_type: (m.vcpus, int(Decimal(str(m.memory_gib)) * 1024)) for m in catalog.machines()}
    for cloud in clouds.names(managed=True):
        s = catalog.system_machine(cloud)
        out[s.instance_type] = (s.vcpus, int(Decimal(str(s.memory_gib)) * 1024))
    return out


@dataclass(frozen=True)
class NodePool:
    """A pool as this rule reads it: its cloud, the pool as ``node-selectors-match-pools`` reads it, its instance
    types and (AKS) its max pods."""

    cloud: str
    pool: nodepools.PoolLabels
    types: tuple[str, ...]
    max_pods: int | None


def _max_pods(res: Resource, name: str) -> int | None:
    """An AKS pool's rendered ``maxPods`` (an AgentPool's, or the ManagedCluster profile named ``name``)."""
    value = res.props.get("maxPods")
    if res.type.endswith(":ManagedCluster"):
        value = next(
            (
                p.get("maxPods")
                for p in map(as_map, as_list(res.props.get("agentPoolProfiles")))
                if p.get("name") == name
            ),
            None,
        )
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def node_pools(resources: Sequence[Resource]) -> list[NodePool]:
    """Every pool a cloud's share of ``node-selectors-match-pools`` reads, with its instance types."""
    out: list[NodePool] = []
    for policy in percloud.policies():
        part = policy.parts.get("node-selectors-match-pools")
        if part is None or part.read is None:
            continue
        for res in resources:
            for pool in part.read(percloud.as_read(res)) or ():
                labels = as_map(pool.labels)
                single = labels.get(INSTANCE_TYPE_LABEL)
                types = (single,) if isinstance(single, str) else tuple(pool.allowed.get(INSTANCE_TYPE_LABEL, ()))
                out.append(NodePool(policy.cloud, pool, types, _max_pods(res, pool.name)))
    return out


def _release_requests(values: Mapping[str, Any], default: tuple[int, int]) -> tuple[int, int]:
    """A DaemonSet chart's requests: the values' ``resources.requests`` where given, else the chart's default."""
    requests = as_map(as_map(values.get("resources")).get("requests"))
    cpu, memory = quantity(requests.get("cpu")), quantity(requests.get("memory"))
    return (
        default[0] if cpu is None else math.ceil(cpu * 1000),
        default[1] if memory is None else math.ceil(memory / MIB),
    )


def _admits(values: Mapping[str, Any], pool: nodepools.PoolLabels) -> bool:
    """Whether a DaemonSet with these values' ``nodeSelector``, required node affinity (``In``/``Exists`` terms) and
    ``tolerations`` runs on ``pool``'s nodes."""
    labels = as_map(pool.labels)
    if not all(labels.get(k) == v for k, v in as_map(values.get("nodeSelector")).items()):
        return False
    required = as_map(as_map(as_map(values.get("affinity")).get("nodeAffinity")).get(
        "requiredDuringSchedulingIgnoredDuringExecution"))  # fmt: skip
    terms = as_list(required.get("nodeSelectorTerms"))

    def term_met(term: Any) -> bool:
        for e in as_list(as_map(term).get("matchExpressions")):
            e = as_map(e)
            key, op = e.get("key"), e.get("operator")
            if op == "Exists" and key not in labels:
                return False
            if op == "In" and labels.get(str(key)) not in as_list(e.get("values")):
                return False
        return True

    if terms and not any(term_met(t) for t in terms):
        return False
    return not nodepools._untolerated(pool, values.get("tolerations") or [])


def daemonsets(resources: Sequence[Resource], pool: NodePool) -> dict[str, tuple[int, int]]:
    """The (millicores, MiB) the rendered DaemonSets request on a node of ``pool``."""
    out: dict[str, tuple[int, int]] = {}
    for res in resources:
        if res.type.startswith("kubernetes:helm.sh/") and res.type.endswith(":Release"):
            chart = str(res.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]
            values = as_map(res.props.get("values"))
            if chart == "cni":
                out["istio-cni"] = _release_requests(values, ISTIO_CNI)
            elif chart == "dcgm-exporter" and _admits(values, pool.pool):
                out["dcgm-exporter"] = _release_requests(values, DCGM_EXPORTER)
        else:
            out.update(_cloud_daemonsets(res, pool.cloud))
    return out


def _cloud_daemonsets(res: Resource, cloud: str) -> Mapping[str, tuple[int, int]]:
    """The node DaemonSets a resource of the pool's own cloud brings (its share's :attr:`percloud.Part.read`: EKS's
    EBS CSI add-on)."""
    for policy in percloud.policies():
        part = policy.parts.get(RULE)
        if policy.cloud == cloud and part is not None and part.read is not None:
            found = part.read(percloud.as_read(res))
            if found:
                return cast(Mapping[str, tuple[int, int]], found)
    return {}


# ------------------------------------------------------------------------------------------- pods


def _container_requests(container: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    """A container's CPU (cores) and memory (bytes) requests, its limits where it requests none."""
    resources = as_map(container.get("resources"))
    requests, limits = as_map(resources.get("requests")), as_map(resources.get("limits"))
    out = []
    for key in ("cpu", "memory"):
        value = quantity(requests.get(key, limits.get(key)))
        out.append(value if value is not None else Decimal(0))
    return out[0], out[1]


def pod_requests(spec: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    """CPU (cores) and memory (bytes) of a component's own containers: its framework spec (``model``, ``art``,
    ``sklearn``...) and ``containers``."""
    cpu, memory = Decimal(0), Decimal(0)
    found = [as_map(c) for c in as_list(spec.get("containers"))]
    found += [v for k, v in spec.items() if k not in ("containers", "initContainers") and isinstance(v, Mapping)
              and "resources" in v]  # fmt: skip
    for container in found:
        c, m = _container_requests(container)
        cpu, memory = cpu + c, memory + m
    return cpu, memory


def sidecars(res: Resource, component: str, spec: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    """The containers added to every pod of the component: istio-proxy, queue-proxy (Knative mode), the agent (a
    logger or batcher) and a modelcar per ``oci://`` model URI."""
    out = {"istio-proxy": ISTIO_PROXY}
    if as_map(res.metadata.get("annotations")).get(DEPLOYMENT_MODE, "Knative") != "Standard":
        out["queue-proxy"] = QUEUE_PROXY
    if spec.get("logger") is not None or spec.get("batcher") is not None:
        out["agent"] = AGENT
    uris = [as_map(v).get("storageUri") for v in spec.values() if isinstance(v, Mapping)]
    uris += [as_map(u).get("uri") for u in as_list(spec.get("storageUris"))]
    uris += [as_map(c).get("storageUri") for c in as_list(spec.get("containers"))]
    oci = sum(1 for u in uris if isinstance(u, str) and u.startswith("oci://"))
    if oci:
        out["modelcar" if oci == 1 else f"{oci} modelcars"] = (MODELCAR[0] * oci, MODELCAR[1] * oci)
    return out


@dataclass(frozen=True)
class Allocatable:
    """What a machine of a pool leaves one more pod (millicores, MiB), and why."""

    pool: NodePool
    instance_type: str
    cpu: int
    memory: int
    kept: str


def allocatable(resources: Sequence[Resource], pool: NodePool, instance_type: str) -> Allocatable | None:
    """The allocatable of one ``instance_type`` machine of ``pool`` less its DaemonSets, or None when the catalog
    does not describe the machine."""
    machine = _machines().get(instance_type)
    if machine is None:
        return None
    vcpus, mib = machine
    cpu_kept, memory_kept = reserved(pool.cloud, instance_type, vcpus, mib, pool.max_pods)
    ds = daemonsets(resources, pool)
    cpu = vcpus * 1000 - cpu_kept - sum(c for c, _ in ds.values())
    memory = mib - sum(memory_kept.values()) - sum(m for _, m in ds.values())
    kept = ", ".join(f"{k} {v}Mi" for k, v in memory_kept.items())
    daemons = ", ".join(f"{k} {c}m/{m}Mi" for k, (c, m) in ds.items()) or "none"
    why = f"{vcpus} vCPUs and {mib}Mi, the node keeps {cpu_kept}m and {kept}, DaemonSets {daemons}"
    return Allocatable(pool, instance_type, cpu, memory, why)


def _fits(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    pools = node_pools(resources)
    if not pools or any(p.pool.labels is UNKNOWN for p in pools):
        return
    for res, component, spec in isvc_components(resources, COMPONENTS):
        # its nodeSelector met, its required node affinity admitting the pool, the pool's taints tolerated
        landing = [p for p in pools if nodepools.may_land(spec, p.pool)]
        if not landing:
            continue  # node-selectors-match-pools judges a pod no pool admits
        nodes = [allocatable(resources, p, t) for p in landing for t in (p.types or ("",))]
        if any(n is None for n in nodes):
            continue  # a machine the catalog does not describe: its size is not known here
        known = [n for n in nodes if n is not None]
        cpu, memory = pod_requests(spec)
        added = sidecars(res, component, spec)
        want_cpu = math.ceil(cpu * 1000) + sum(c for c, _ in added.values())
        want_memory = memory + sum(m for _, m in added.values()) * MIB
        if any(want_cpu <= n.cpu and want_memory <= n.memory * MIB for n in known):
            continue
        best = max(known, key=lambda n: (n.cpu >= want_cpu, n.memory, n.cpu))
        side = ", ".join(f"{k} {c}m/{m}Mi" for k, (c, m) in added.items())
        yield Finding(
            res.urn,
            f"models/{res.k8s_name} {component}: one pod requests {want_cpu}m CPU and "
            f"{math.ceil(want_memory / MIB)}Mi memory with its sidecars ({side}), more than the largest node it "
            f"may land on leaves it: {best.pool.pool.name} {best.instance_type} ({best.kept}) leaves {best.cpu}m "
            f"and {best.memory}Mi; the pod stays Pending",
        )


RULES = [
    Rule(
        name=RULE,
        description=(
            "Every InferenceService component's pod (its containers' requests plus istio-proxy, queue-proxy, KServe's "
            "agent and modelcars) fits on the largest machine of some pool it may land on (its nodeSelector and "
            "required node affinity met, the pool's taints tolerated), less what the node keeps by the rule's own "
            "copy of its cloud's formula "
            "and the 100Mi eviction threshold, and less the rendered DaemonSets' requests (istio-cni, dcgm-exporter "
            "and the cloud's own){; clouds}."
        ),
        enforcement="mandatory",
        area="models",
        applies_to=(ISVC,),
        check_stack=_fits,
        remediation=(
            "Lower the model's (or its transformer's, explainer's) cpu/memory requests, or give it a pool of a larger "
            "machine (gpusPerNode, or the system pool's instanceType)."
        ),
        unknown=reading({"InferenceService": ("spec.*",)}),
    ),
]
