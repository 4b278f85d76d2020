"""``multi-gpu-avoids-shared-pools``: a pod asking more than one GPU may not land on a pool whose GPUs are shared.

A node whose GPUs pods share by time-slicing or MPS advertises GPUs x clients of ``nvidia.com/gpu``, so the scheduler
may place a pod asking two there, and the device plugin then fails the allocation at admission
(UnexpectedAdmissionError): NVIDIA/k8s-device-plugin v0.20.0 internal/rm/rm.go ``ValidateRequest`` ("maximum request
size for shared resources is 1", under ``failRequestsGreaterThanOne``, which the platform's time-slicing and MPS
configs set), and GKE's own device plugin, GoogleCloudPlatform/container-engine-accelerators@992db81
pkg/gpu/nvidia/gpusharing/gpusharing.go ``ValidateRequest`` (time-sharing: "at most 1 nvidia.com/gpu can be requested
on GPU nodes"; MPS on multi-GPU nodes; on a one-GPU MPS node it grants several shares of that one GPU, which is not
the GPUs the pod asks for). GKE's page "About GPU sharing strategies in GKE"
(cloud.google.com/kubernetes-engine/docs/concepts/timesharing-gpus) shows the refusal as UnexpectedAdmissionError.

This rule is the second line behind the plan-time check and the rendered node affinity (components/clusters
``shares_one_gpu_per_request``, ``GpuScheduling.multi_gpu_affinity``): it calls none of that code. It reads each
InferenceService component (predictor, transformer, explainer) with a container asking more than one
``nvidia.com/gpu`` (limits, else requests), the nodes its ``nodeSelector`` and required node affinity
(``affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms``, Kubernetes core/v1
``NodeSelectorTerm``: the terms ORed, a term's ``matchExpressions`` ANDed) admit, and fails it when one of them is a
GPU pool whose GPUs are shared: its nodes' labels and sharing as each cloud's share reads them (the same readers as
``gpu-pool-disk-fits``, policy/rules/disk.py ``shared_clients``: GKE's ``maxSharedClientsPerGpu``, the EKS and AKS
device-plugin config label ``nvidia.com/device-plugin.config: time-slicing-<n>|mps-<n>``). A term with
``matchFields`` (node names) is read as admitting every pool (no pool object names its nodes).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policy.rules import percloud
from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map
from policy.rules.disk import ACCELERATOR_NODE_LABEL, POOL_NODE_LABEL, PoolDisk, shared_clients

RULE = "multi-gpu-avoids-shared-pools"
GPU_RESOURCE = "nvidia.com/gpu"
ISVC = "InferenceService"
COMPONENTS = ("predictor", "transformer", "explainer")


def _pools(resources: Sequence[Resource]) -> list[PoolDisk]:
    out: list[PoolDisk] = []
    for part in percloud.parts(RULE):
        if part.read is None:
            continue
        for r in resources:
            out.extend(d for d in part.read(r) or () if d.labels is not None and d.labels is not UNKNOWN)
    return [d for d in out if ACCELERATOR_NODE_LABEL in as_map(d.labels)]


def _gpus(value: Any) -> int | None:
    """A quantity of ``nvidia.com/gpu`` (an extended resource: whole numbers only), None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def component_gpus(component: Mapping[str, Any]) -> int:
    """The most ``nvidia.com/gpu`` one container of ``component`` asks (its limits, else its requests: for an
    extended resource the request equals the limit, Kubernetes "Resource Management for Pods and Containers"): the
    device plugin allocates per container."""
    containers = [component.get("model"), *as_list(component.get("containers"))]
    most = 0
    for c in containers:
        res = as_map(as_map(c).get("resources"))
        for part in ("limits", "requests"):
            n = _gpus(as_map(res.get(part)).get(GPU_RESOURCE))
            if n is not None:
                most = max(most, n)
                break
    return most


def _expression_admits(expr: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    key, op = str(expr.get("key")), expr.get("operator")
    values = [str(v) for v in as_list(expr.get("values"))]
    has = key in labels
    value = str(labels.get(key)) if has else None
    if op == "In":
        return has and value in values
    if op == "NotIn":
        return not has or value not in values
    if op == "Exists":
        return has
    if op == "DoesNotExist":
        return not has
    if op in ("Gt", "Lt") and has and len(values) == 1:
        try:
            left, right = int(str(value)), int(values[0])
        except ValueError:
            return False
        return left > right if op == "Gt" else left < right
    return op not in ("Gt", "Lt")  # an operator Kubernetes does not have: not read, the pool admitted


def admits(component: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """Whether a node with ``labels`` meets ``component``'s ``nodeSelector`` and required node affinity."""
    for key, value in as_map(component.get("nodeSelector")).items():
        if str(labels.get(key)) != str(value) or key not in labels:
            return False
    required = as_map(
        as_map(as_map(component.get("affinity")).get("nodeAffinity")).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
    )
    terms = [as_map(t) for t in as_list(required.get("nodeSelectorTerms"))]
    if not terms:
        return True
    for term in terms:
        if as_list(term.get("matchFields")):
            return True
        if all(_expression_admits(as_map(e), labels) for e in as_list(term.get("matchExpressions"))):
            return True
    return False


def _check(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    pools = [(d, n) for d in _pools(resources) if (n := shared_clients(d)) is not None]
    if not pools:
        return
    for r in resources:
        if not (r.type.startswith("kubernetes:serving.kserve.io/") and r.type.endswith(f":{ISVC}")):
            continue
        spec = as_map(r.props.get("spec"))
        for key in COMPONENTS:
            component = as_map(spec.get(key))
            gpus = component_gpus(component)
            if gpus <= 1:
                continue
            shared = sorted(
                f"{as_map(d.labels).get(POOL_NODE_LABEL, d.name)} ({n} clients per GPU)"
                for d, n in pools
                if admits(component, as_map(d.labels))
            )
            if shared:
                yield Finding(
                    r.urn,
                    f"spec.{key} asks {gpus} {GPU_RESOURCE} per container, and its nodeSelector and required node "
                    f"affinity admit GPU pools whose GPUs pods share ({', '.join(shared)}): the device plugin there "
                    "grants one share per request and fails the pod at admission (UnexpectedAdmissionError)",
                )


def _unknown(res: Resource) -> str | None:
    """A pool whose node labels, or a component whose nodeSelector or affinity, is known only after deploy."""
    for part in percloud.parts(RULE):
        for d in (part.read(res) or ()) if part.read is not None else ():
            if d.labels is UNKNOWN:
                return f"labels of pool {d.name}"
    if res.type.startswith("kubernetes:serving.kserve.io/") and res.type.endswith(f":{ISVC}"):
        spec = res.props.get("spec")
        if spec is UNKNOWN:
            return f"spec of {res.name}"
        for key in COMPONENTS:
            component = as_map(spec).get(key)
            if component is UNKNOWN or any(as_map(component).get(f) is UNKNOWN for f in ("nodeSelector", "affinity")):
                return f"spec.{key} of {res.name}"
    return None


RULES = [
    Rule(
        name=RULE,
        description=(
            "An InferenceService component asking more than one nvidia.com/gpu per container cannot land on a GPU "
            "pool whose GPUs pods share by time-slicing or MPS (its nodeSelector and required node affinity exclude "
            "every such pool), whose device plugin fails it at admission: {clouds}."
        ),
        enforcement="mandatory",
        area="cluster",
        check_stack=_check,
        unknown=_unknown,
        remediation="exclude the shared pools with a required node affinity on the pool label, or ask 1 GPU",
    ),
]
