"""Warm GPU capacity (components/platform/warm.py): the placeholder pods stay pre-emptible by every model.

Kubernetes, concepts/scheduling-eviction/pod-priority-preemption (kubernetes.io docs): "If a Pod cannot be
scheduled, the scheduler tries to preempt (evict) lower priority Pods"; only *lower* priorities are pre-empted, so a
model (priority 0, no class) pre-empts a placeholder only when the placeholder's priority is below 0. A pod without
``priorityClassName`` gets the global default's value, or 0 ("If there is no PriorityClass with globalDefault set,
the priority of Pods with no priorityClassName is zero"); a class with ``globalDefault: true`` "should be
considered as the default priority for pods that do not have any priority class" (scheduling.k8s.io/v1
PriorityClass API reference), so a placeholder class marked default would give every model the placeholders'
priority: none pre-empts another. ``preemptionPolicy: Never`` keeps the placeholders themselves from pre-empting
(API reference: "One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset"). The cluster
autoscaler starts no node for pods below ``--expendable-pods-priority-cutoff`` (default -10; kubernetes/autoscaler
cluster-autoscaler/FAQ.md, quoted in warm.py), so the value stays at -10 or above.

A pre-empted placeholder keeps its node's GPUs for its termination grace period: the scheduler nominates the node
and the preemptor binds only once the victims have gone ("Graceful termination of preemption victims": "When Pods
are preempted, the victims get their graceful termination period ... If the victims do not terminate within the
grace period, they are forcibly terminated", kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/
#graceful-termination-of-preemption-victims). An unset ``terminationGracePeriodSeconds`` is 30 s (core/v1 PodSpec:
"Defaults to 30 seconds"), so the rule wants exactly 0: a warm start would otherwise lose up to 30 s to a pod that
does nothing. A placeholder keeps warm only the pool it is labelled for when its ``nodeSelector`` names that pool
and its accelerator by the cluster seam's node labels (:data:`POOL_NODE_LABEL`, :data:`ACCELERATOR_NODE_LABEL`:
components/naming.py, set on every GPU node by ``GpuScheduling.node_labels``, components/clusters/base.py); a
selector of the accelerator alone may warm another pool of the same accelerator and leave the named one cold.

The placeholders run every GPU model's runtime image as pre-pull init containers (on a pool that does not share GPUs)
and the rule holds them to the image each GPU model of their accelerator pulls: the runtime KServe v0.20.0 selects for
it, a ServingRuntime of the model's namespace before the ClusterServingRuntimes (``GetSupportingRuntimes``, modelled by
components/serving/runtimes.py ``select``; rev17f s05 dropped the stack's runtimes and the placeholders pre-pulled
KServe's image instead), and its ``oci://`` model image. They never call the API: they
mount no ServiceAccount token (CIS Kubernetes 5.1.6, "Ensure that Service Account Tokens are only mounted where
necessary"), like the models (``model-service-account``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_map, is_unknown, reading

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
PRIORITY_CLASS = "kubernetes:scheduling.k8s.io/v1:PriorityClass"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
SERVING_RUNTIME = "kubernetes:serving.kserve.io/v1alpha1:ServingRuntime"
POOL_LABEL = "mlplatform.io/warm-capacity-pool"
"""The label every placeholder pod carries (components/platform/warm.py ``POOL_LABEL``; written out here so that a
slip there does not move the rule with it: tests/policy/test_policy_rev17b.py checks they agree)."""
POOL_NODE_LABEL = "mlplatform.io/pool"
ACCELERATOR_NODE_LABEL = "mlplatform.io/accelerator"
"""The node labels every GPU node of a pool carries (components/naming.py ``POOL_LABEL``, ``ACCELERATOR_LABEL``,
the same keys on every cloud: components/clusters/base.py ``GpuScheduling``), restated so a slip there is caught."""
LOWEST = -10
"""The lowest value the cluster autoscaler still starts nodes for (its default expendable cutoff)."""


def _placeholders(resources: Sequence[Resource]) -> Iterator[tuple[Resource, Mapping[str, Any]]]:
    for res in resources:
        if res.type != DEPLOYMENT:
            continue
        template = as_map(res.get("spec.template"))
        if POOL_LABEL in as_map(as_map(template.get("metadata")).get("labels")):
            yield res, as_map(template.get("spec"))


def _classes(resources: Sequence[Resource]) -> dict[str, Resource]:
    return {r.k8s_name: r for r in resources if r.type == PRIORITY_CLASS}


def _class_problems(name: str, pc: Resource | None) -> Iterator[str]:
    if pc is None:
        yield f"names PriorityClass {name}, which the plan does not create (priority 0: models cannot pre-empt it)"
        return
    value = pc.props.get("value")
    if value is not UNKNOWN and not (isinstance(value, int) and LOWEST <= value < 0):
        yield (
            f"PriorityClass {name} has value {value!r}: a model (priority 0) pre-empts only lower priorities, and the "
            f"cluster autoscaler ignores pods below {LOWEST}; give a value from {LOWEST} to -1"
        )
    default = pc.props.get("globalDefault")
    if default is not UNKNOWN and default not in (None, False):
        yield f"PriorityClass {name} is the cluster's globalDefault: every model gets the placeholders' priority"
    policy = pc.props.get("preemptionPolicy")
    if policy is not UNKNOWN and policy != "Never":
        yield f"PriorityClass {name} has preemptionPolicy {policy!r}: placeholders could pre-empt (give Never)"


def _warm(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    classes = _classes(resources)
    for res, pod in _placeholders(resources):
        who = f"warm-capacity Deployment {res.namespace}/{res.k8s_name}"
        name = pod.get("priorityClassName")
        if name is UNKNOWN:
            continue
        if not isinstance(name, str) or not name:
            yield Finding(res.urn, f"{who}: its pods name no PriorityClass (priority 0): models cannot pre-empt them")
        else:
            for problem in _class_problems(name, classes.get(name)):
                yield Finding(res.urn, f"{who}: {problem}")
        grace = pod.get("terminationGracePeriodSeconds")
        if grace is not UNKNOWN and grace != 0:
            shown = "unset (30 s)" if grace is None else repr(grace)
            yield Finding(
                res.urn,
                f"{who}: terminationGracePeriodSeconds is {shown}: a pre-empted placeholder holds the GPU that long "
                "before the model's pod can bind (give 0)",
            )
        yield from _selector_problems(res, who, pod, resources)
        yield from _prepull_problems(res, who, pod, resources)
        yield from _shared_pool_problems(res, who, pod, resources)
        yield from _spread_problems(res, who, pod)
        yield from _other_term_problems(res, who, pod)
        yield from _container_problems(res, who, pod)
        mount = pod.get("automountServiceAccountToken")
        if mount is not UNKNOWN and mount is not False:
            yield Finding(
                res.urn, f"{who}: its pods mount a ServiceAccount token (automountServiceAccountToken must be false)"
            )


def _selector_problems(
    res: Resource, who: str, pod: Mapping[str, Any], resources: Sequence[Resource]
) -> Iterator[Finding]:
    """The placeholder's ``nodeSelector`` names the pool of its ``mlplatform.io/warm-capacity-pool`` label and an
    accelerator (the one that pool's nodes carry, where a cloud's share of ``node-selectors-match-pools`` reads the
    pool's labels)."""
    pool = as_map(as_map(res.get("spec.template.metadata")).get("labels")).get(POOL_LABEL)
    selector = pod.get("nodeSelector")
    if pool is UNKNOWN or selector is UNKNOWN:
        return
    selector = as_map(selector)
    got = selector.get(POOL_NODE_LABEL)
    if got is not UNKNOWN and got != pool:
        yield Finding(
            res.urn,
            f"{who}: its nodeSelector gives {POOL_NODE_LABEL}={got!r}, not the pool {pool!r} it keeps warm: it may "
            "hold another pool's nodes and leave this one cold",
        )
    accelerator = selector.get(ACCELERATOR_NODE_LABEL)
    if accelerator is UNKNOWN:
        return
    if not isinstance(accelerator, str) or not accelerator:
        yield Finding(res.urn, f"{who}: its nodeSelector names no {ACCELERATOR_NODE_LABEL}")
        return
    from policy.rules.nodepools import pools

    for p in pools(resources):
        labels = p.labels
        if labels is UNKNOWN or as_map(labels).get(POOL_NODE_LABEL) != pool:
            continue
        have = as_map(labels).get(ACCELERATOR_NODE_LABEL)
        if have is not UNKNOWN and have != accelerator:
            yield Finding(
                res.urn,
                f"{who}: its nodeSelector gives {ACCELERATOR_NODE_LABEL}={accelerator!r}, but pool {pool}'s nodes "
                f"carry {have!r}: the placeholder never lands on that pool",
            )


def _expected_images(accelerator: str, resources: Sequence[Resource]) -> Iterator[tuple[str, set[str]]]:
    """``(model, spellings)`` of every image a GPU model of ``accelerator`` pulls: the runtime image KServe selects for
    it (the namespace's ServingRuntime first, else the ClusterServingRuntime: :func:`policy.rules.coldpulls.
    runtime_pull`, tagged as ``UpdateImageTag`` does: :func:`policy.rules.coldpulls.pod_image`) and its ``oci://`` model
    image."""
    from components import coldstart
    from policy.rules import coldpulls

    d = coldstart.load()
    for r in resources:
        if r.type != ISVC:
            continue
        model = r.get("spec.predictor.model")
        selector = r.get("spec.predictor.nodeSelector")
        if not isinstance(model, Mapping) or not isinstance(selector, Mapping) or is_unknown(model):
            continue
        if selector.get(ACCELERATOR_NODE_LABEL) != accelerator:
            continue
        gpus = as_map(as_map(model.get("resources")).get("limits")).get(coldpulls.GPU)
        if not isinstance(gpus, int | str) or not str(gpus).isdigit() or int(gpus) <= 0:
            continue
        rt = coldpulls.runtime_pull(model, r.namespace, resources, d)
        if rt is not None and not rt[0].startswith("stack runtime "):
            yield r.k8s_name, {coldpulls.pod_image(rt[0], rt[2], model)}
        uri = model.get("storageUri")
        if r.get("spec.predictor.imagePullSecrets"):
            continue  # its own images need its secrets, which the placeholders cannot use (rev16b defect 2)
        if isinstance(uri, str) and uri.startswith(coldpulls.OCI):
            yield r.k8s_name, {uri[len(coldpulls.OCI) :]}


def _prepull_problems(
    res: Resource, who: str, pod: Mapping[str, Any], resources: Sequence[Resource]
) -> Iterator[Finding]:
    """A placeholder that pre-pulls images (a pool that does not share GPUs: components/platform/warm.py) pre-pulls
    every image a GPU model of its accelerator pulls, so the warm node's start is the one the plan reports."""
    # one regular container per image (prepull-<i>) since rev16b defect 2: init containers blocked each other
    containers = pod.get("containers")
    init = (
        [c for c in containers if str(as_map(c).get("name", "")).startswith("prepull-")]
        if isinstance(containers, list)
        else containers
    )
    accelerator = as_map(pod.get("nodeSelector")).get(ACCELERATOR_NODE_LABEL)
    if is_unknown(init) or not isinstance(accelerator, str) or not isinstance(init, list) or not init:
        return
    have = {as_map(c).get("image") for c in init}
    if any(is_unknown(i) for i in have):
        return
    for model, spellings in _expected_images(accelerator, resources):
        if not spellings & have:
            yield Finding(
                res.urn,
                f"{who}: pre-pulls {sorted(str(i) for i in have)}, not {sorted(spellings)[0]!r}, the image GPU model "
                f"{model} of {accelerator} pulls (the runtime KServe selects for it, or its oci:// image): the warm "
                "node still pulls it",
            )


GPU = "nvidia.com/gpu"
HOSTNAME = "kubernetes.io/hostname"
"""The well-known node label one node carries alone (kubernetes.io/docs/reference/labels-annotations-taints,
``kubernetes.io/hostname``): a required anti-affinity term on it keeps two matching pods off one node."""
DEVICE_PLUGIN_CONFIG = "nvidia.com/device-plugin.config"
"""The node label by which the NVIDIA device plugin serves a node a sharing config (time-slicing, MPS; its README,
"Updating Per-Node Configuration With a Node Label"): components/clusters/base.py ``DEVICE_PLUGIN_CONFIG_LABEL``,
restated so a slip there does not move the rule."""


def _pool_of(pool: Any, resources: Sequence[Resource]) -> list[Any]:
    """The GPU pools (policy/rules/gpu.py ``gpu_pools``) whose nodes carry ``mlplatform.io/pool: <pool>``."""
    from policy.rules.gpu import gpu_pools

    return [p for r in resources for p in gpu_pools(r) if as_map(p.labels).get(POOL_NODE_LABEL) == pool]


def _shares(found: Any) -> bool:
    """Whether a pool's nodes share their GPUs: the device plugin's sharing config label, or the cloud's own sharing
    (its share of ``gpu-pools`` sets ``shares_gpus``, policy/clouds/)."""
    return bool(as_map(found.labels).get(DEVICE_PLUGIN_CONFIG)) or bool(found.shares_gpus)


def _shared_pool_problems(
    res: Resource, who: str, pod: Mapping[str, Any], resources: Sequence[Resource]
) -> Iterator[Finding]:
    """A placeholder that holds less than its whole node (a share of a pool that shares GPUs, or fewer GPUs than the
    node has) pre-pulls nothing (rev17g g08): a model may then start beside it without pre-empting it on a node that
    has just come up, and the kubelet pulls images serially by default (Kubernetes docs concepts/containers/images,
    "Serial and parallel image pulls"; components/platform/warm.py module docstring), so a pre-pull of another
    model's image could be queued in front of the model's own pull."""
    containers = pod.get("containers")
    if not isinstance(containers, list):
        return
    prepulls = [c for c in containers if str(as_map(c).get("name", "")).startswith("prepull-")]
    pool = as_map(as_map(res.get("spec.template.metadata")).get("labels")).get(POOL_LABEL)
    if not prepulls or is_unknown(pool):
        return
    asked = 0
    for c in containers:
        got = as_map(as_map(as_map(c).get("resources")).get("requests")).get(GPU)
        if isinstance(got, int | str) and str(got).isdigit():
            asked += int(got)
    for found in _pool_of(pool, resources):
        if _shares(found):
            why = "its pool shares GPUs"
        elif found.gpus_per_node is not None and asked < found.gpus_per_node:
            why = f"it requests {asked} of the node's {found.gpus_per_node} GPUs"
        else:
            continue
        yield Finding(
            res.urn,
            f"{who}: pre-pulls {len(prepulls)} image(s) though {why}: a model may start beside it, and the kubelet "
            "pulls serially, so a pre-pull may queue in front of the model's own pull (pre-pull only where the "
            "placeholder holds the whole node)",
        )


def _spread_problems(res: Resource, who: str, pod: Mapping[str, Any]) -> Iterator[Finding]:
    """One placeholder per node (components/platform/warm.py: "spread one per node"; rev17g g11): a required
    ``podAntiAffinity`` term on ``kubernetes.io/hostname`` whose ``matchLabels`` select the placeholder's own pods
    (every label of a selector must match, meta/v1 LabelSelector: "The requirements are ANDed") by its pool label,
    whose ``matchExpressions`` its own labels meet too, in its own namespace (rev17h r04: an expression selecting
    another pool's placeholders, or ``NotIn`` its own pool, leaves this pool's placeholders free to share a node).
    Without it two placeholders of a pool that shares GPUs may sit on one node: fewer nodes are warm than asked."""
    labels = as_map(as_map(res.get("spec.template.metadata")).get("labels"))
    pool = labels.get(POOL_LABEL)
    affinity = pod.get("affinity")
    if is_unknown(pool) or is_unknown(affinity):
        return
    terms = as_map(as_map(affinity).get("podAntiAffinity")).get("requiredDuringSchedulingIgnoredDuringExecution")
    if is_unknown(terms):
        return
    for term in terms if isinstance(terms, list) else []:
        term = as_map(term)
        selector = as_map(term.get("labelSelector"))
        match = as_map(selector.get("matchLabels"))
        if term.get("topologyKey") != HOSTNAME or match.get(POOL_LABEL) != pool:
            continue
        spaces = term.get("namespaces")
        listed = spaces if isinstance(spaces, list) and term.get("namespaceSelector") is None else []
        if listed and res.namespace not in listed:
            # core/v1 PodAffinityTerm: "The term is applied to the union of the namespaces listed in this field and
            # the ones selected by namespaceSelector. null or empty namespaces list and null namespaceSelector means
            # 'this pod's namespace'": listed namespaces alone, without its own, select none of its pods
            continue
        if all(v is UNKNOWN or labels.get(k) == v for k, v in match.items()) and all(
            _expression_holds(as_map(e), labels) for e in _list(selector.get("matchExpressions"))
        ):
            return
    yield Finding(
        res.urn,
        f"{who}: no required podAntiAffinity on {HOSTNAME} selecting its pods by {POOL_LABEL}={pool}: two "
        "placeholders may share one node and fewer nodes stay warm",
    )


def _placeholders_only(term: Mapping[str, Any], namespace: str | None) -> bool:
    """Whether a pod affinity term can select only warm-capacity placeholders: its scope is the placeholder's own
    namespace, where the platform runs nothing else (core/v1 PodAffinityTerm: "null or empty namespaces list and null
    namespaceSelector means 'this pod's namespace'"), or its selector requires :data:`POOL_LABEL` (``matchLabels``, or
    ``In``/``Exists`` on it: meta/v1 LabelSelector, "The requirements are ANDed"), a label only placeholders carry.
    Unknown: holds."""
    spaces, chosen = term.get("namespaces"), term.get("namespaceSelector")
    if is_unknown(spaces) or is_unknown(chosen):
        return True
    if chosen is None and all(s == namespace for s in _list(spaces)):
        return True
    selector = term.get("labelSelector")
    if is_unknown(selector):
        return True
    selector = as_map(selector)
    match = selector.get("matchLabels")
    if is_unknown(match) or POOL_LABEL in as_map(match):
        return True
    for e in _list(selector.get("matchExpressions")):
        e = as_map(e)
        if is_unknown(e) or (e.get("key") == POOL_LABEL and e.get("operator") in ("In", "Exists")):
            return True
    return False


def _other_term_problems(res: Resource, who: str, pod: Mapping[str, Any]) -> Iterator[Finding]:
    """No hard scheduling term of a placeholder depends on pods other than placeholders (fix17n, issue #17): a
    required ``podAntiAffinity`` term whose scope reaches beyond its namespace (``namespaces``, a
    ``namespaceSelector``) with a selector that does not require the pool label keeps the placeholder off every node
    where a pod it matches runs, and a required ``podAffinity`` term holds it pending until a pod it matches runs on
    the node. An empty selector with a ``namespaceSelector`` of ``{}`` matches every pod of every namespace (core/v1
    PodAffinityTerm: "An empty selector ({}) matches all namespaces"; LabelSelector: "An empty label selector matches
    all objects"), the DaemonSet pods every node runs among them, so no placeholder ever schedules; a selector on the
    models' pods keeps placeholders off every node a model runs on. Either way fewer nodes stay warm than
    ``warmCapacity`` promises while the one-per-node term (:func:`_spread_problems`) still passes. The platform renders
    one anti-affinity term and no other (components/platform/warm.py ``pod_spec``)."""
    affinity = pod.get("affinity")
    if is_unknown(affinity):
        return
    affinity = as_map(affinity)
    anti = as_map(affinity.get("podAntiAffinity")).get("requiredDuringSchedulingIgnoredDuringExecution")
    for i, term in enumerate(_list(anti)):
        term = as_map(term)
        if not _placeholders_only(term, res.namespace):
            scope = {k: term[k] for k in ("namespaces", "namespaceSelector") if k in term}
            yield Finding(
                res.urn,
                f"{who}: required podAntiAffinity term [{i}] selects {term.get('labelSelector')!r} in {scope!r}, "
                f"pods other than placeholders ({POOL_LABEL} not required): placeholders stay off every node where "
                "a pod it matches runs (a model's, a DaemonSet's on every node) and fewer nodes stay warm",
            )
    together = as_map(affinity.get("podAffinity")).get("requiredDuringSchedulingIgnoredDuringExecution")
    if _list(together):
        yield Finding(
            res.urn,
            f"{who}: required podAffinity {together!r}: a placeholder waits pending until a pod it matches runs on the "
            "node, so fewer nodes stay warm (placeholders need no pod affinity)",
        )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _expression_holds(expression: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """Whether the placeholder's own ``labels`` meet one ``matchExpressions`` requirement (meta/v1
    LabelSelectorRequirement: "operator represents a key's relationship to a set of values. Valid operators are In,
    NotIn, Exists and DoesNotExist"; matchLabels and matchExpressions "are ANDed"). A requirement the plan does not
    know yet holds; one whose operator is none of the four selects nothing (the API server refuses it)."""
    key, op, values = expression.get("key"), expression.get("operator"), expression.get("values")
    if is_unknown(key) or is_unknown(op) or is_unknown(values):
        return True
    have = labels.get(key) if isinstance(key, str) else None
    if op == "Exists":
        return have is not None
    if op == "DoesNotExist":
        return have is None
    if op in ("In", "NotIn"):
        inside = have is not None and have in _list(values)
        return inside if op == "In" else not inside
    return False


CONTAINER_LIMITS = ("cpu", "memory")


def _container_problems(res: Resource, who: str, pod: Mapping[str, Any]) -> Iterator[Finding]:
    """Every container of a placeholder (the pause container and each ``prepull-*``, which runs a model's or a
    runtime's image on the GPU node) has a read-only root filesystem (core/v1 SecurityContext
    ``readOnlyRootFilesystem``: "Whether this container has a read-only root filesystem. Default is false", the
    Kubernetes API as pulumi_kubernetes 4.x core/v1 ``SecurityContextArgs`` documents it; components/platform/warm.py
    ``prepull`` promises it; rev17g g09) and cpu and memory limits (without a limit "it's possible (and allowed) for
    a container to use more resource than its request", kubernetes.io/docs/concepts/configuration/
    manage-resources-containers, "Requests and limits": a pre-pull's image would be bounded by the GPU node only;
    rev17g g10)."""
    containers = pod.get("containers")
    if not isinstance(containers, list):
        return
    for c in containers:
        c = as_map(c)
        name = c.get("name")
        if is_unknown(c) or is_unknown(name):
            continue
        ro = as_map(c.get("securityContext")).get("readOnlyRootFilesystem")
        if ro is not UNKNOWN and ro is not True:
            yield Finding(
                res.urn,
                f"{who}: container {name} has no read-only root filesystem (securityContext.readOnlyRootFilesystem "
                f"is {ro!r}, default false): it runs a third-party image on the GPU node",
            )
        limits = as_map(c.get("resources")).get("limits")
        if is_unknown(limits):
            continue
        missing = [k for k in CONTAINER_LIMITS if as_map(limits).get(k) in (None, "")]
        if missing:
            yield Finding(
                res.urn,
                f"{who}: container {name} has no {' or '.join(missing)} limit: it may use the GPU node's "
                "CPU and memory beyond its request",
            )


RULES = [
    Rule(
        name="warm-capacity-preemptible",
        description=(
            "Warm-capacity placeholder pods name a PriorityClass of value -10 to -1, not the global default, "
            "preemptionPolicy Never, mount no ServiceAccount token, have terminationGracePeriodSeconds 0, and "
            "select the nodes of the pool they keep warm (its pool and accelerator node labels); placeholders that "
            "pre-pull images pre-pull the runtime image KServe selects for each GPU model of their accelerator (the "
            "namespace's ServingRuntime first) and its oci:// model image; placeholders that hold less than their "
            "whole node (a pool that shares GPUs, or fewer GPUs than the node has) pre-pull nothing; each spreads one "
            "per node (required podAntiAffinity on kubernetes.io/hostname selecting its pool label) and no hard "
            "scheduling term depends on other pods (a required podAntiAffinity term beyond its namespace requires "
            "the pool label; no required podAffinity); every "
            "placeholder and pre-pull container has a read-only root filesystem and cpu and memory limits."
        ),
        enforcement="mandatory",
        area="gpu",
        applies_to=(DEPLOYMENT, PRIORITY_CLASS, ISVC, SERVING_RUNTIME),
        check_stack=_warm,
        remediation="Keep components/platform/warm.py's PriorityClass and pod spec as shipped.",
        unknown=reading(
            {
                DEPLOYMENT: (
                    "spec.template.metadata.labels.*",
                    "spec.template.spec.priorityClassName",
                    "spec.template.spec.terminationGracePeriodSeconds",
                    "spec.template.spec.nodeSelector.*",
                    "spec.template.spec.containers",
                    "spec.template.spec.affinity",
                ),
                PRIORITY_CLASS: ("value", "globalDefault", "preemptionPolicy"),
                "InferenceService": ("spec.predictor.model", "spec.predictor.nodeSelector"),
                "ServingRuntime": ("spec.*",),
            }
        ),
    ),
]
