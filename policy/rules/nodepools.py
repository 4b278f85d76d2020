"""Node pools the platform's own pods depend on (the fourth hostile review of #17, /work/wt/rev17d-report.md c11, c12).

- ``system-pool-on-demand``: the system pool (labels ``mlplatform.io/pool: system``, the platform's
  ``SYSTEM_NODE_SELECTOR``, components/clusters/_common.py) is not spot capacity on any cloud that has capacity
  types: istiod, the gateway, cert-manager and the controllers run there, and a spot reclaim takes the whole control
  path at once. Each cloud's share reads its pools (:class:`PoolLabels`): EKS ``capacityType`` (``ON_DEMAND`` or
  ``SPOT``; pulumi_aws 7.51.1 eks/node_group.py ``capacity_type``), Karpenter's ``karpenter.sh/capacity-type``
  requirement, GKE ``nodeConfig.spot``/``preemptible`` (pulumi_gcp container ``NodeConfig``), AKS
  ``scaleSetPriority`` (``Spot``; "If not specified, the default is 'Regular'", pulumi_azure_native
  containerservice ``scale_set_priority``).
- ``node-selectors-match-pools``: every ``nodeSelector`` the platform renders (in a Helm release's values, at any
  depth, in a workload's pod template, and in an InferenceService's predictor, transformer and explainer, rev14e
  defect 1) is met by some pool's labels: a node is eligible only when it "has each
  of the key-value pairs you specify" (kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/
  #nodeselector), so a selector no pool meets leaves the pods Pending for ever. Labels the kubelet sets on every
  node (:data:`NODE_LABELS`: ``kubernetes.io/os``, ``kubernetes.io/arch``; kubernetes.io/docs/reference/labels-
  annotations-taints/) count as met, and the per-node ones (:data:`NODE_SET_LABELS`: hostname, zone, region,
  instance type) are not judged. A stack whose pools no share reads (an existing cluster: its nodes' labels are not
  known offline, and a model's nodeSelector there is the operator's contract with their own nodes) is not judged; a
  selector that reads a value known only after deploy is skipped. A key a pool states is judged against the pool
  (rev14f defect 4): its labels, else the values its nodes can take (:attr:`PoolLabels.allowed`: a Karpenter
  NodePool's ``In`` requirements, a node group's instance types and AMI architecture, a GKE or AKS pool's machine
  type and the architecture of its machine series, rev14g defect 4), so ``kubernetes.io/arch: arm64`` or
  ``node.kubernetes.io/instance-type: p5.48xlarge`` on an amd64 g6.xlarge pool fails; the labels the cloud sets on
  every node of a pool are judged against their values (:attr:`PoolLabels.labels`: Karpenter's
  ``karpenter.sh/nodepool`` and ``karpenter.k8s.aws/*`` instance labels, GKE's ``cloud.google.com/gke-nodepool`` and
  ``cloud.google.com/gke-accelerator``, EKS managed node groups' ``eks.amazonaws.com/capacityType``, AKS's
  ``kubernetes.azure.com/agentpool``; rev14g defects 5 and 6). Keys whose values the pool does not state count as met,
  each named by the share with why (:attr:`PoolLabels.unjudged`: Karpenter's labels from what EC2 describes of an
  instance type, an EKS node group's auto-generated name, the arch of a machine series the accelerator catalog does
  not list). A pool counts only when the pod tolerates each of its ``NoSchedule``
  and ``NoExecute`` taints (kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/: the scheduler
  does not place a pod on a node with a ``NoSchedule`` taint it does not tolerate), read from the same pod spec (an
  InferenceService component's ``tolerations``, a workload's template, the ``tolerations`` beside the nodeSelector in
  a release's values; a release that gives none keeps its chart's, which are not read, so it is not judged on
  taints).

  Every InferenceService component and workload pod template (the warm-capacity placeholders among them; fix17h,
  rev17i i25) is judged as kube-scheduler places its pods, with or without a nodeSelector: some pool must meet its
  nodeSelector, its required node affinity must admit one of those (:func:`affinity_admits`: In, NotIn, Exists,
  DoesNotExist, Gt, Lt as kubernetes/apimachinery v0.34.10 pkg/labels/selector.go ``Requirement.Matches`` reads them,
  the terms ORed and an empty term matching nothing as kubernetes/component-helpers v0.34.10
  scheduling/corev1/nodeaffinity/nodeaffinity.go does, both the k8s 1.34 staging copies), it must tolerate that
  pool's taints, and one such pool must grant the ``nvidia.com/gpu`` it asks (:func:`grants`): no more than a node
  advertises (:attr:`PoolLabels.gpus`: GPUs x shares or MIG partitions, not judged when the machine is not in the
  catalog) and, where the pool shares its GPUs, at most one per container (the device plugin fails a larger request
  at admission: NVIDIA/k8s-device-plugin v0.20.0 internal/rm/rm.go ``ValidateRequest``;
  GoogleCloudPlatform/container-engine-accelerators@992db81 pkg/gpu/nvidia/gpusharing/gpusharing.go
  ``ValidateRequest``). A 2-GPU model on a stack whose pools of its accelerator all share GPUs gets the affinity
  ``mlplatform.io/pool NotIn [every shared pool]`` (``GpuScheduling.multi_gpu_affinity``) and no pool can run it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from policy.rules import percloud
from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map
from policy.rules.disk import PoolDisk, shared_clients

SYSTEM_LABELS: Mapping[str, str] = {"mlplatform.io/pool": "system"}
"""The system pool's labels: components/clusters/_common.py ``SYSTEM_NODE_SELECTOR`` (the rule keeps its own copy so a
slip in the component's constant is still caught)."""
NODE_LABELS: Mapping[str, tuple[str, ...]] = {"kubernetes.io/os": ("linux",), "kubernetes.io/arch": ("amd64", "arm64")}
"""Labels the kubelet sets on every node (kubernetes.io/docs/reference/labels-annotations-taints/ ``kubernetes.io/os``
"The Kubelet populates this with runtime.GOOS", ``kubernetes.io/arch`` with runtime.GOARCH): Linux nodes only here."""
NODE_SET_LABELS = frozenset(
    {"kubernetes.io/hostname", "topology.kubernetes.io/zone", "topology.kubernetes.io/region",
     "node.kubernetes.io/instance-type"}
)  # fmt: skip
"""Well-known labels the kubelet or the cloud provider sets on every node with a value per node (its name, zone,
region, machine type: kubernetes.io/docs/reference/labels-annotations-taints/), which no pool's labels list: a
selector on them is not judged here (whether a pool has nodes in that zone or of that type is not read)."""
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
WORKLOADS = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:batch/v1:Job",
)


@dataclass(frozen=True)
class PoolLabels:
    """One pool as a cloud's share reads it: its node labels (UNKNOWN when known only after deploy) and, when its
    nodes are spot capacity, why; the values a well-known label of its nodes can take (``allowed``: key -> values),
    the label keys (or key prefixes) its nodes carry with values not read here (``unjudged``: a selector on them is
    met; each share documents why it cannot read them), and its taints as (key, value, effect) (UNKNOWN when known
    only after deploy)."""

    name: str
    labels: Any
    spot: str | None = None
    allowed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unjudged: tuple[str, ...] = ()
    taints: Any = ()
    gpus: int | None = None
    """How many ``nvidia.com/gpu`` one node of the pool advertises: its GPUs (the most of the machines it may start),
    times the shares of each where the pool shares them, times the partitions of a MIG profile (the readers of
    ``gpu-pool-disk-fits``, :func:`policy.rules.disk.node_slots`); None when not known (not judged)."""
    shares: int | None = None
    """The pods one GPU serves where the pool shares its GPUs by time-slicing or MPS (more than one), else None: the
    device plugin there grants one share per container request (:func:`policy.rules.disk.shared_clients`)."""


def with_gpus(found: list[PoolLabels] | None, disks: Sequence[PoolDisk] | None) -> list[PoolLabels] | None:
    """``found`` with each pool's :attr:`PoolLabels.gpus` and :attr:`PoolLabels.shares` from the same resource's
    pools as its cloud's ``gpu-pool-disk-fits`` share reads them (:class:`policy.rules.disk.PoolDisk`, paired by
    name; a node class, which pools refer to, holds none)."""
    if not found:
        return found
    by_name = {d.name: d for d in disks or () if d.labels is not None and d.labels is not UNKNOWN}
    only = next(iter(by_name.values())) if len(by_name) == 1 and len(found) == 1 else None
    out = []
    for pool in found:
        disk = by_name.get(pool.name, only)
        out.append(pool if disk is None else replace(pool, gpus=disk.slots, shares=shared_clients(disk)))
    return out


def pools(resources: Sequence[Resource]) -> list[PoolLabels]:
    """Every pool some cloud's share of ``node-selectors-match-pools`` reads."""
    out: list[PoolLabels] = []
    for part in percloud.parts("node-selectors-match-pools"):
        if part.read is None:
            continue
        for r in resources:
            out.extend(part.read(r) or ())
    return out


def _system_on_demand(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    for part in percloud.parts("node-selectors-match-pools"):
        if part.read is None:
            continue
        for r in resources:
            for pool in part.read(r) or ():
                labels = pool.labels
                if labels is UNKNOWN or pool.spot is None:
                    continue
                if all(as_map(labels).get(k) == v for k, v in SYSTEM_LABELS.items()):
                    yield Finding(
                        r.urn,
                        f"system pool {pool.name} is spot capacity ({pool.spot}): istiod, the gateway and the "
                        "controllers go down together on a reclaim; give it on-demand capacity",
                    )


NOT_READ = None
"""The tolerations of a pod spec that are not read (a Helm release whose values give none keeps its chart's)."""


def selectors_with_tolerations(res: Resource) -> list[tuple[str, Any, Any]]:
    """The nodeSelectors a resource renders, each with where and the tolerations of the same pod spec (a list, UNKNOWN,
    or :data:`NOT_READ`): a Helm release's values at any depth (the ``tolerations`` beside the ``nodeSelector``), a
    workload's pod template, an InferenceService component."""
    found: list[tuple[str, Any, Any]] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                where = f"{path}.{k}" if path else str(k)
                if k == "nodeSelector" and isinstance(v, Mapping):
                    found.append((where, v, value.get("tolerations", NOT_READ)))
                else:
                    walk(v, where)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")

    if res.type.startswith("kubernetes:helm.sh/") and res.type.endswith(":Release"):
        walk(res.props.get("values"), "values")
    elif res.type in WORKLOADS:
        sel = res.get("spec.template.spec.nodeSelector")
        if isinstance(sel, Mapping):
            found.append(("spec.template.spec.nodeSelector", sel, res.get("spec.template.spec.tolerations") or []))
    elif res.type == ISVC:
        # rev14e defect 1: each component of an InferenceService has a pod spec of its own (PredictorSpec,
        # TransformerSpec, ExplainerSpec inline PodSpec, pkg/apis/serving/v1beta1 kserve v0.20.0), whose nodeSelector
        # and tolerations KServe copies into the pods it creates
        for component in ("predictor", "transformer", "explainer"):
            sel = res.get(f"spec.{component}.nodeSelector")
            if isinstance(sel, Mapping):
                found.append((f"spec.{component}.nodeSelector", sel, res.get(f"spec.{component}.tolerations") or []))
    return found


def selectors(res: Resource) -> list[tuple[str, Any]]:
    """The nodeSelectors a resource renders, each with where (:func:`selectors_with_tolerations`)."""
    return [(where, sel) for where, sel, _ in selectors_with_tolerations(res)]


def _met(selector: Mapping[str, Any], labels: Mapping[str, Any], pool: PoolLabels | None = None) -> bool:
    """Whether a node of the pool with ``labels`` has every pair of ``selector``: a key the pool states is judged
    against it (its labels, else :attr:`PoolLabels.allowed`); a key under :attr:`PoolLabels.unjudged` counts as met;
    else the kubelet's :data:`NODE_LABELS` and the per-node :data:`NODE_SET_LABELS`."""
    allowed = pool.allowed if pool is not None else {}
    unjudged = pool.unjudged if pool is not None else ()
    for key, value in selector.items():
        key = str(key)
        if key in labels:
            ok = labels.get(key) == value or labels.get(key) is UNKNOWN
        elif key in allowed:
            ok = value in allowed[key]
        elif any(key.startswith(prefix) for prefix in unjudged):
            ok = True
        else:
            ok = value in NODE_LABELS.get(key, ()) or key in NODE_SET_LABELS
        if not ok:
            return False
    return True


def _tolerated(taint: tuple[str, str, str], tolerations: Any) -> bool:
    """Whether a toleration of the list matches the taint (core/v1 Toleration ``ToleratesTaint``: an empty key with
    ``Exists`` matches every taint, an empty effect every effect, ``Equal`` (the default) compares the value)."""
    key, value, effect = taint
    for t in as_list(tolerations):
        t = as_map(t)
        if any(v is UNKNOWN for v in t.values()):
            return True
        if t.get("effect") not in (None, "", effect):
            continue
        if t.get("key") in (None, "") and t.get("operator") == "Exists":
            return True
        if t.get("key") != key:
            continue
        if t.get("operator") == "Exists" or (t.get("value") or "") == value:
            return True
    return False


def _untolerated(pool: PoolLabels, tolerations: Any) -> list[str]:
    """The pool's ``NoSchedule``/``NoExecute`` taints the pod does not tolerate (none when either is not read)."""
    if tolerations is NOT_READ or tolerations is UNKNOWN or pool.taints is UNKNOWN:
        return []
    return [
        f"{k}={v}:{e}" if v else f"{k}:{e}"
        for k, v, e in pool.taints
        if e in ("NoSchedule", "NoExecute") and not _tolerated((k, v, e), tolerations)
    ]


# ------------------------------------------------------------------------------------------- required node affinity

ABSENT = None
"""A label no node of the pool carries (:func:`_node_values`)."""
ANY_VALUE = ("*",)
"""A label every node of the pool carries with a value not read here (:func:`_node_values`)."""


def _node_values(key: str, labels: Mapping[str, Any], pool: PoolLabels) -> tuple[str, ...] | None:
    """The values label ``key`` may take on a node of ``pool``: :data:`ABSENT` when none of its nodes carries it,
    :data:`ANY_VALUE` when its value is not read (unknown until deploy, a key the share leaves unjudged, a per-node
    label), as :func:`_met` reads a nodeSelector."""
    if key in labels:
        value = labels.get(key)
        return ANY_VALUE if value is UNKNOWN else (str(value),)
    if key in pool.allowed:
        return tuple(str(v) for v in pool.allowed[key])
    if any(key.startswith(prefix) for prefix in pool.unjudged) or key in NODE_SET_LABELS:
        return ANY_VALUE
    if key in NODE_LABELS:
        return NODE_LABELS[key]
    return ABSENT


def _requirement_may_match(expr: Mapping[str, Any], labels: Mapping[str, Any], pool: PoolLabels) -> bool:
    """Whether a node of ``pool`` may meet one ``matchExpressions`` requirement, as kube-scheduler reads it
    (kubernetes/apimachinery v0.34.10, the k8s 1.34 staging copy, pkg/labels/selector.go ``Requirement.Matches``: In
    needs the label with one of the values; NotIn holds without the label or with a value not listed; Exists and
    DoesNotExist test the label; Gt and Lt need the label, one value, and both parse as integers; any other operator
    is refused by kubernetes/component-helpers v0.34.10 scheduling/corev1/nodeaffinity/nodeaffinity.go
    ``nodeSelectorRequirementsAsSelector``, and the term then matches no node)."""
    op, key = expr.get("operator"), expr.get("key")
    values = expr.get("values")
    if any(v is UNKNOWN for v in (op, key, values)) or any(v is UNKNOWN for v in as_list(values)):
        return True
    wanted = [str(v) for v in as_list(values)]
    have = _node_values(str(key), labels, pool)
    if op == "Exists":
        return have is not ABSENT
    if op == "DoesNotExist":
        # present on every node (a stated or per-node label) unless it is a key the share leaves unjudged
        return have is ABSENT or (have is ANY_VALUE and key not in NODE_SET_LABELS and key not in labels)
    if have is ABSENT:
        return op == "NotIn"
    if have is ANY_VALUE:
        return op in ("In", "NotIn", "Gt", "Lt")
    if op == "In":
        return any(v in wanted for v in have)
    if op == "NotIn":
        return any(v not in wanted for v in have)
    if op in ("Gt", "Lt") and len(wanted) == 1:
        try:
            bound = int(wanted[0])
            numbers = [int(v) for v in have if v.lstrip("-").isdigit()]
        except ValueError:
            return False
        return any(n > bound if op == "Gt" else n < bound for n in numbers)
    return False


def required_terms(pod: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The pod's ``affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms``, None
    when it has no required node affinity (or one known only after deploy: not judged)."""
    affinity = pod.get("affinity")
    node = as_map(affinity).get("nodeAffinity")
    required = as_map(node).get("requiredDuringSchedulingIgnoredDuringExecution")
    if UNKNOWN in (affinity, node, required) or required is None:
        return None
    terms = as_map(required).get("nodeSelectorTerms")
    if terms is UNKNOWN or any(t is UNKNOWN for t in as_list(terms)):
        return None
    return [as_map(t) for t in as_list(terms)]


def affinity_admits(pod: Mapping[str, Any], pool: PoolLabels) -> bool:
    """Whether the pod's required node affinity admits a node of ``pool``: the terms ORed, each term's requirements
    ANDed, a term with neither ``matchExpressions`` nor ``matchFields`` matching no node, and no term at all matching
    no node (kubernetes/component-helpers v0.34.10 scheduling/corev1/nodeaffinity/nodeaffinity.go
    ``NewLazyErrorNodeSelector``: "nil or empty term selects no objects", ``LazyErrorNodeSelector.Match``: "the selector
    terms, ORed"; ``GetRequiredNodeAffinity``/``RequiredNodeAffinity.Match``: the nodeSelector and the affinity both
    hold, as kube-scheduler's NodeAffinity filter applies them). ``matchFields`` (a node's ``metadata.name``) is not
    read: such a term counts as met by its expressions alone."""
    terms = required_terms(pod)
    if terms is None:
        return True
    labels = as_map(pool.labels)
    for term in terms:
        expressions, fields = as_list(term.get("matchExpressions")), as_list(term.get("matchFields"))
        if not expressions and not fields:
            continue
        if all(_requirement_may_match(as_map(e), labels, pool) for e in expressions):
            return True
    return False


def _affinity_shown(pod: Mapping[str, Any]) -> str:
    terms = required_terms(pod) or []
    shown = []
    for term in terms:
        parts = []
        for e in map(as_map, as_list(term.get("matchExpressions"))):
            values = as_list(e.get("values"))
            listed = f" [{', '.join(map(str, values))}]" if values else ""
            parts.append(f"{e.get('key')} {e.get('operator')}{listed}")
        if as_list(term.get("matchFields")):
            parts.append("matchFields")
        shown.append(" and ".join(parts) or "an empty term")
    return " or ".join(shown) or "no term"


# ------------------------------------------------------------------------------------------- GPUs a pod asks

GPU_RESOURCE = "nvidia.com/gpu"


def _gpu_count(value: Any) -> int:
    """A quantity of ``nvidia.com/gpu`` (an extended resource: whole numbers), 0 when it is not one."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return 0


def pod_gpus(pod: Mapping[str, Any]) -> tuple[int, int]:
    """The ``nvidia.com/gpu`` the pod asks (the sum over its containers: kube-scheduler's NodeResourcesFit compares a
    pod's requests with a node's allocatable) and the most one container asks (the device plugin allocates per
    container): each container's limits, else its requests (an extended resource's request equals its limit). The
    containers: ``containers`` and, in an InferenceService component, its framework spec (``model``, ``sklearn``...)."""
    found = [as_map(c) for c in as_list(pod.get("containers"))]
    found += [v for k, v in pod.items() if k not in ("containers", "initContainers") and isinstance(v, Mapping)
              and "resources" in v]  # fmt: skip
    counts = []
    for container in found:
        resources = as_map(container.get("resources"))
        limits, requests = as_map(resources.get("limits")), as_map(resources.get("requests"))
        counts.append(_gpu_count(limits.get(GPU_RESOURCE, requests.get(GPU_RESOURCE))))
    return sum(counts), max(counts, default=0)


def grants(pool: PoolLabels, total: int, most: int) -> bool:
    """Whether a node of ``pool`` may take a pod asking ``total`` GPUs, ``most`` of them in one container: no more
    than the node advertises (:attr:`PoolLabels.gpus`; not known: not judged), and on a pool whose GPUs are shared
    one share per container (NVIDIA/k8s-device-plugin v0.20.0 internal/rm/rm.go ``ValidateRequest`` under
    ``failRequestsGreaterThanOne``; GKE's own plugin, GoogleCloudPlatform/container-engine-accelerators@992db81
    pkg/gpu/nvidia/gpusharing/gpusharing.go ``ValidateRequest``: "at most 1 nvidia.com/gpu can be requested on GPU
    nodes" under time-sharing, and on multi-GPU nodes under MPS)."""
    if pool.gpus is None:
        return True
    if pool.shares is not None and most > 1:
        return False
    return total <= pool.gpus


def may_land(pod: Mapping[str, Any], pool: PoolLabels) -> bool:
    """Whether a pod may land on a node of ``pool`` by its labels and taints: its nodeSelector met (:func:`_met`),
    its required node affinity (:func:`affinity_admits`), the pool's ``NoSchedule``/``NoExecute`` taints tolerated."""
    labels = as_map(pool.labels)
    return (
        _met(as_map(pod.get("nodeSelector")), labels, pool)
        and affinity_admits(pod, pool)
        and not _untolerated(pool, pod.get("tolerations") or [])
    )


def pod_specs(res: Resource) -> list[tuple[str, Mapping[str, Any]]]:
    """The pod specs whose pods the scheduler places, with where: an InferenceService's components (each a pod spec
    whose nodeSelector, affinity and tolerations KServe copies into its pods, kserve v0.20.0 pkg/apis/serving/v1beta1
    ``PredictorSpec``/``TransformerSpec``/``ExplainerSpec`` inline ``PodSpec``) and a workload's pod template (the
    warm-capacity placeholders among them)."""
    if res.type == ISVC:
        return [
            (f"spec.{c}", spec) for c in ("predictor", "transformer", "explainer")
            if isinstance(spec := res.get(f"spec.{c}"), Mapping)
        ]  # fmt: skip
    if res.type in WORKLOADS and isinstance(spec := res.get("spec.template.spec"), Mapping):
        return [("spec.template.spec", spec)]
    return []


def _no_pool(r: Resource, where: str, shown: str, known: Sequence[PoolLabels]) -> Finding:
    """The finding for a nodeSelector (at ``where``, shown as ``shown``) no pool in ``known`` meets."""
    return Finding(
        r.urn,
        f"{r.name} {where} ({shown}) matches no node pool's labels "
        f"({'; '.join(f'{p.name}: {dict(as_map(p.labels))}' for p in known)}): its pods stay Pending",
    )


def _pod_lands(r: Resource, base: str, pod: Mapping[str, Any], known: Sequence[PoolLabels]) -> Iterator[Finding]:
    """A pod spec's findings: no pool's labels meet its nodeSelector, its required node affinity excludes every pool
    they meet, every pool left taints it away, or none of those grants the GPUs it asks."""
    sel = pod.get("nodeSelector")
    if sel is UNKNOWN or any(v is UNKNOWN for v in as_map(sel).values()):
        return
    sel = as_map(sel)
    where = f"{base}.nodeSelector"
    shown = ", ".join(f"{k}={v}" for k, v in sel.items()) or "none"
    matching = [p for p in known if _met(sel, as_map(p.labels), p)]
    if not matching:
        yield _no_pool(r, where, shown, known)
        return
    affine = [p for p in matching if affinity_admits(pod, p)]
    if not affine:
        yield Finding(
            r.urn,
            f"{r.name} {base}.affinity: its required node affinity ({_affinity_shown(pod)}) admits none of the node "
            f"pools its nodeSelector ({shown}) meets ({', '.join(p.name for p in matching)}): its pods stay Pending",
        )
        return
    tolerations = pod.get("tolerations") or []
    landing = [p for p in affine if not _untolerated(p, tolerations)]
    if not landing:
        tainted = "; ".join(f"{p.name}: {', '.join(_untolerated(p, tolerations))}" for p in affine)
        yield Finding(
            r.urn,
            f"{r.name} {where} ({shown}) is met only by node pools whose taints its pods do not tolerate "
            f"({tainted}): its pods stay Pending",
        )
        return
    total, most = pod_gpus(pod)
    if total and not any(grants(p, total, most) for p in landing):
        each = "; ".join(
            f"{p.name}: {p.gpus} a node"
            + (f", {p.shares} pods share each GPU, one share per container" if p.shares is not None else "")
            for p in landing
        )
        yield Finding(
            r.urn,
            f"{r.name} {base} asks {total} {GPU_RESOURCE} a pod ({most} in one container), more than any node pool "
            f"it may land on grants it ({each}): its pods stay Pending, or fail at admission "
            "(UnexpectedAdmissionError) where a shared GPU's device plugin refuses more than one share",
        )


def _selectors_met(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    known = pools(resources)
    if not known or any(p.labels is UNKNOWN for p in known):
        return
    yield from _advertiser_findings(resources, known)
    for r in resources:
        specs = pod_specs(r)
        if specs:
            for base, pod in specs:
                yield from _pod_lands(r, base, pod, known)
            continue
        for where, sel, tolerations in selectors_with_tolerations(r):
            if any(v is UNKNOWN for v in sel.values()):
                continue
            shown = ", ".join(f"{k}={v}" for k, v in sel.items())
            matching = [p for p in known if _met(sel, as_map(p.labels), p)]
            if not matching:
                yield _no_pool(r, where, shown, known)
            elif all(_untolerated(p, tolerations) for p in matching):
                tainted = "; ".join(f"{p.name}: {', '.join(_untolerated(p, tolerations))}" for p in matching)
                yield Finding(
                    r.urn,
                    f"{r.name} {where} ({shown}) is met only by node pools whose taints its pods do not tolerate "
                    f"({tainted}): its pods stay Pending",
                )


# ------------------------------------------------------------------------ the release that advertises nvidia.com/gpu

DEVICE_PLUGIN_CHART = "nvidia-device-plugin"
GPU_OPERATOR_CHART = "gpu-operator"
DEVICE_PLUGIN_DEFAULT_TOLERATIONS = (
    {"key": "CriticalAddonsOnly", "operator": "Exists"},
    {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
)
"""The device plugin DaemonSet's tolerations when the values give none: NVIDIA/k8s-device-plugin v0.20.0
deployments/helm/nvidia-device-plugin/values.yaml lines 86-93 (templates/daemonset-device-plugin.yml line 272 ``with
.Values.tolerations``); a list in the values replaces them."""
GPU_OPERATOR_DEFAULT_TOLERATIONS = ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},)
"""The GPU operator's operand DaemonSets' tolerations (device plugin, DCGM, validator) when ``daemonsets.tolerations``
is not given: gpu-operator v26.7.0 values.yaml ``daemonsets.tolerations``
(shared/upstream/chart-values/gpu-operator-v26.7.0.yaml lines 45-48)."""
OS_DEVICE_PLUGIN = ("mlplatform.io/os-device-plugin", "true")
"""The label of a GPU pool whose OS runs the device plugin itself (Bottlerocket: components/clusters/base.py
``OS_DEVICE_PLUGIN_LABEL``, bottlerocket.dev/en/os/1.34.x/api/settings/kubelet-device-plugins), where the platform's
DaemonSet is kept off on purpose: not judged here."""


def _gpu_pool(pool: PoolLabels) -> bool:
    labels = as_map(pool.labels)
    if labels.get(OS_DEVICE_PLUGIN[0]) == OS_DEVICE_PLUGIN[1]:
        return False
    tainted = pool.taints is not UNKNOWN and any(k == GPU_RESOURCE for k, _, _ in pool.taints)
    return bool(pool.gpus) or tainted


def _advertisers(res: Resource) -> list[tuple[str, Mapping[str, Any]]]:
    """The pod spec (tolerations, and the device plugin's required node affinity) of the DaemonSet a release runs on
    every GPU node to advertise ``nvidia.com/gpu``, with where: the chart defaults where the values give none."""
    if not (res.type.startswith("kubernetes:helm.sh/") and res.type.endswith(":Release")):
        return []
    chart = str(res.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]
    values = res.props.get("values")
    if not isinstance(values, Mapping):
        return []
    if chart == DEVICE_PLUGIN_CHART:
        pod = {"tolerations": values.get("tolerations", list(DEVICE_PLUGIN_DEFAULT_TOLERATIONS))}
        if "affinity" in values:
            pod["affinity"] = values.get("affinity")
        return [("values", pod)]
    if chart == GPU_OPERATOR_CHART:
        daemonsets = values.get("daemonsets")
        given = as_map(daemonsets).get("tolerations", list(GPU_OPERATOR_DEFAULT_TOLERATIONS))
        return [("values.daemonsets", {"tolerations": given})]
    return []


def _advertiser_findings(resources: Sequence[Resource], known: Sequence[PoolLabels]) -> Iterator[Finding]:
    """The release that advertises ``nvidia.com/gpu`` (the NVIDIA device plugin, or the GPU operator's operands) runs
    on every GPU pool: it tolerates each GPU pool's ``NoSchedule``/``NoExecute`` taints and its required node
    affinity admits each (rev17j j12, j13: a GPU pool it does not run on advertises no GPU, so every GPU pod there
    stays Pending; judged only on taints and affinity, not on the GPU operator's own node labelling)."""
    gpu_pools = [p for p in known if _gpu_pool(p)]
    for res in resources:
        for base, pod in _advertisers(res):
            tolerations = pod.get("tolerations")
            if tolerations is UNKNOWN or any(v is UNKNOWN for t in as_list(tolerations) for v in as_map(t).values()):
                continue
            name = res.props.get("name", res.name)
            for pool in gpu_pools:
                untolerated = _untolerated(pool, tolerations or [])
                if untolerated:
                    yield Finding(
                        res.urn,
                        f"Helm release {name} {base}.tolerations do not tolerate GPU pool {pool.name}'s taints "
                        f"({', '.join(untolerated)}): it advertises no nvidia.com/gpu there, and every GPU pod for "
                        "that pool stays Pending",
                    )
                elif "affinity" in pod and not affinity_admits(pod, pool):
                    yield Finding(
                        res.urn,
                        f"Helm release {name} {base}.affinity ({_affinity_shown(pod)}) admits no node of GPU pool "
                        f"{pool.name}: it advertises no nvidia.com/gpu there, and every GPU pod for that pool stays "
                        "Pending",
                    )


def _unknown_labels(res: Resource) -> str | None:
    for part in percloud.parts("node-selectors-match-pools"):
        for pool in (part.read(res) or ()) if part.read is not None else ():
            if pool.labels is UNKNOWN:
                return f"labels of pool {pool.name}"
    return None


RULES = [
    Rule(
        name="system-pool-on-demand",
        description=(
            "The system pool (mlplatform.io/pool: system) is on-demand capacity, read as each cloud's share of "
            "node-selectors-match-pools reads its pools."
        ),
        enforcement="mandatory",
        area="cluster",
        check_stack=_system_on_demand,
        unknown=_unknown_labels,
        remediation="on-demand capacity for the system pool; spot only for GPU pools",
    ),
    Rule(
        name="node-selectors-match-pools",
        description=(
            "Every nodeSelector a release, workload or InferenceService component renders is met by some node pool "
            "whose taints the pod tolerates: the pool's labels and the ones its cloud sets on every node (its name), "
            "the values it allows (instance types, architecture), else the kubelet's kubernetes.io/os and "
            "kubernetes.io/arch; a workload's or component's required node affinity (In, NotIn, Exists, "
            "DoesNotExist, Gt, Lt) admits such a pool, and one of them grants the nvidia.com/gpu it asks (no more "
            "than a node advertises, one per container where GPUs are shared); the release that advertises "
            "nvidia.com/gpu (the device plugin, the GPU operator's operands) tolerates every GPU pool's taints and "
            "its required node affinity admits each: {clouds}."
        ),
        enforcement="mandatory",
        area="cluster",
        check_stack=_selectors_met,
        unknown=_unknown_labels,
        remediation=(
            "label the pool (mlplatform.io/pool: system), fix the selector or the node affinity, tolerate the pool's "
            "taints, or ask no more GPUs than a pool grants (one where they are shared)"
        ),
    ),
]
