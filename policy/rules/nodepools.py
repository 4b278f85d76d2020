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
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from policy.rules import percloud
from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map

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


def _selectors_met(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    known = pools(resources)
    if not known or any(p.labels is UNKNOWN for p in known):
        return
    for r in resources:
        for where, sel, tolerations in selectors_with_tolerations(r):
            if any(v is UNKNOWN for v in sel.values()):
                continue
            shown = ", ".join(f"{k}={v}" for k, v in sel.items())
            matching = [p for p in known if _met(sel, as_map(p.labels), p)]
            if not matching:
                yield Finding(
                    r.urn,
                    f"{r.name} {where} ({shown}) matches no node pool's labels "
                    f"({'; '.join(f'{p.name}: {dict(as_map(p.labels))}' for p in known)}): its pods stay Pending",
                )
            elif all(_untolerated(p, tolerations) for p in matching):
                tainted = "; ".join(f"{p.name}: {', '.join(_untolerated(p, tolerations))}" for p in matching)
                yield Finding(
                    r.urn,
                    f"{r.name} {where} ({shown}) is met only by node pools whose taints its pods do not tolerate "
                    f"({tainted}): its pods stay Pending",
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
            "kubernetes.io/arch: {clouds}."
        ),
        enforcement="mandatory",
        area="cluster",
        check_stack=_selectors_met,
        unknown=_unknown_labels,
        remediation="label the pool (mlplatform.io/pool: system), fix the selector, or tolerate the pool's taints",
    ),
]
