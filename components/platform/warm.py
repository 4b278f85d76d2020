"""Warm GPU capacity: placeholder pods that keep ``N`` nodes of a GPU pool up, for real models to pre-empt.

A stack asks for it per GPU pool (``platform.warmCapacity: {<pool>: <nodes>}``). For each such pool the platform runs
a Deployment of ``N`` pause pods that request the pool's GPUs, tolerate its taint, select its nodes (labels and taints
from the cluster seam, :class:`~components.clusters.base.GpuScheduling`) and spread one per node. They carry a
PriorityClass of value :data:`PRIORITY` (-10), so:

- the node autoscaler starts nodes for them: the cluster autoscaler ignores pods below its
  ``--expendable-pods-priority-cutoff`` (default -10: "Pods with priority below cutoff will be expendable ... they
  don't cause scale up"), and its FAQ reserves -10 for overprovisioning pods "as it is the lowest priority that
  triggers scaling clusters" (kubernetes/autoscaler cluster-autoscaler/FAQ.md, "How can I configure overprovisioning
  with Cluster Autoscaler?" and "How does Cluster Autoscaler work with Pod Priority and Preemption?"). Karpenter has
  no such cutoff and provisions for pending low-priority placeholder pods the same way (aws-samples
  karpenter-blueprints, "Overprovision capacity in advance": a dummy workload with a low PriorityClass reserves
  capacity and "the dummy pods are preempted and your pods start on already-provisioned nodes"). The Kubernetes
  docs' own example uses -1000 (kubernetes.io docs/tasks/administer-cluster/node-overprovisioning), which the
  cluster autoscaler would treat as expendable: not used here;
- a model pod (priority 0, the default) that finds no free GPU pre-empts a placeholder and takes its node at once
  (Kubernetes docs, concepts/scheduling-eviction/pod-priority-preemption: "If a Pod cannot be scheduled, the scheduler
  tries to preempt (evict) lower priority Pods to make scheduling of the pending Pod possible"). The evicted
  placeholder becomes pending and the autoscaler starts a replacement node, so ``N`` nodes are warm again after one
  node boot. ``preemptionPolicy: Never`` keeps placeholders from pre-empting anything themselves, and a grace period
  of 0 frees the GPU at once (the FAQ's example sets ``terminationGracePeriodSeconds: 0``).

A placeholder requests every GPU of its node (``gpusPerNode``) when the pool does not share GPUs, so a model of any
size that fits the pool pre-empts it. On a pool that shares GPUs (time-slicing, MPS, MIG) it requests one share: the
device plugin refuses larger requests there (``failRequestsGreaterThanOne``, components/clusters/base.py), so a model
may start beside it without pre-empting; the node is warm either way.

On a pool that does not share GPUs each placeholder also pre-pulls the images of the models that may land on its
pool (:func:`prepull`): their serving runtimes' images and, for a model in an OCI image (``storageUri: oci://``),
the model image, which KServe runs as the pod's ``modelcar-init`` and ``modelcar`` containers (kserve/kserve v0.20.0
pkg/utils/storage.go ``ConfigureModelcarToContainer``), so the kubelet pulls it like any image. Only images a pod
without pull secrets can pull are pre-pulled (components/coldstart.py ``prepull_images``): pull secrets are
namespace-scoped ("Pods can only reference image pull secrets in their own namespace", Kubernetes docs
concepts/containers/images), and the placeholders live in their own namespace. One regular container per image
(:func:`prepull`), not an init container: the kubelet runs init containers one at a time and stops at the first
that fails to start (kubernetes/kubernetes pkg/kubelet/kuberuntime/kuberuntime_manager.go ``SyncPod``, step 6:
``if err := start("init container", ...); err != nil { return }``), so one image that cannot be pulled would hold
every later pre-pull back; it starts each regular container in turn and goes on to the next when one fails (step
7: ``for _, idx := range podContainerChanges.ContainersToStart { start("container", ...) }``, the error not
checked). Each runs a shell loop that waits on its standard input (:data:`PREPULL_COMMAND`, ``stdin: true``): "If
this flag [stdinOnce] is false, a container processes that reads from stdin will never receive an EOF" (core/v1
``Container.stdinOnce``, Kubernetes API reference), so it stays up without a restart and without CPU. The kubelet
pulls a container's image before it runs it, and the image then stays in the node's image store; a model pod that
later starts on the
node with ``imagePullPolicy: IfNotPresent`` ("the image is pulled only if it is not already present locally",
Kubernetes docs concepts/containers/images, "Image pull policy"; also the default for a tag other than ``:latest``,
which every runtime image we install has, and the chart's own ``imagePullPolicy`` for the Hugging Face runtime)
starts without a pull. The kubelet removes unused images only past its disk-usage threshold
(``imageGCHighThresholdPercent``, default 85; Kubernetes docs concepts/architecture/garbage-collection, "Container
image lifecycle"; the plan checks that the pre-pulled images fit below it, components/coldstart.py
``disk_problems``). ``sh`` is in every runtime image we install: KServe's servers are built on
``python:3.11-slim-bookworm`` (python/sklearn.Dockerfile, xgb.Dockerfile, lgb.Dockerfile) or ``ubuntu:26.04``
(python/huggingface_server.Dockerfile), both Debian-family images with a ``/bin/sh``; judgement, no Dockerfile read:
the same for the Ubuntu-based NVIDIA Triton, TorchServe and TF Serving images. A model image has ``sh`` wherever
KServe can serve it: KServe's own modelcar containers run ``sh -c`` in it (a model image tagged ``:latest`` or
untagged is pulled with ``Always``, so its pre-pull does not count in the cold-start estimate,
components/coldstart.py). Should an image lack it, its container fails after the pull and restarts with
back-off: the image is still on the node and the scheduler still counts the placeholder's GPUs, so the node stays
warm. Not on a pool that shares GPUs: there a placeholder holds one share, so a model may start beside it on a node
that has just come up, and the kubelet "pulls images serially" by default (Kubernetes docs
concepts/containers/images, "Serial and parallel image pulls"): a pre-pull of another model's image could be queued
in front of the model's own pull. Where the placeholder holds every GPU of its node, a model only reaches the node
by pre-empting it.

The Deployment does not hold up ``pulumi up``: ``pulumi.com/skipAwait`` (pulumi/pulumi-kubernetes#417) skips the wait
for its pods, which need GPU nodes the autoscaler is still starting. What warm capacity costs (``N`` nodes at the
pool's price) is in the plan's cost (components/cost.py); which models start on a warm node is in its cold-start view
(components/coldstart.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import pulumi_kubernetes as k8s

from components.clusters.base import GpuPoolInfo
from components.naming import child_name, child_opts
from components.platform.common import HOSTNAME_KEY, AddonContext

NAMESPACE = "mlplatform-warm-capacity"
PRIORITY_CLASS = "mlplatform-warm-capacity"
PRIORITY = -10
"""The placeholders' priority: the lowest that still makes the cluster autoscaler start nodes (module docstring)."""
POOL_LABEL = "mlplatform.io/warm-capacity-pool"
"""Label on each placeholder Deployment and pod: the GPU pool it keeps warm (the plan's cost and cold-start views
read it)."""
PAUSE_IMAGE = "registry.k8s.io/pause:3.9"
"""The container that does nothing: the cluster autoscaler FAQ's overprovisioning example uses this image."""
GPU_RESOURCE = "nvidia.com/gpu"
NOT_SHARED = ("none",)


def problems(warm: Mapping[str, int], pools: Mapping[str, int]) -> list[tuple[str, object, str]]:
    """``(key path, value, what to give)`` for each ``platform.warmCapacity`` entry that cannot be met: a pool the
    cluster does not have (``pools``: pool name -> maxNodes), or more warm nodes than the pool's ``maxNodes`` (the
    autoscaler never starts more, so the rest would stay pending)."""
    out: list[tuple[str, object, str]] = []
    for pool, nodes in warm.items():
        path = f"warmCapacity.{pool}"
        if pool not in pools:
            have = ", ".join(sorted(pools)) or "none"
            out.append((path, nodes, f"no GPU pool {pool} in cluster.gpuPools; pools: {have}"))
        elif nodes > pools[pool]:
            out.append((path, nodes, f"give at most {pools[pool]} (the pool's maxNodes)"))
    return out


def gpus_requested(pool: GpuPoolInfo) -> int:
    """GPUs one placeholder requests: the whole node on a pool that does not share GPUs, else one share."""
    return pool.gpus_per_node if pool.sharing in NOT_SHARED else 1


PREPULL_COMMAND = ["sh", "-c", "while read -r _; do :; done"]
"""What a pre-pull container runs: a shell that waits on its standard input for ever (module docstring). ``sh``, not
``sleep``: a model image has ``sh`` wherever KServe can serve it (its ``modelcar`` containers run ``sh -c``,
kserve/kserve v0.20.0 pkg/utils/storage.go ``CreateModelcarContainer``, ``CreateModelcarInitContainer``) but need
not have ``sleep``; ``while``, ``read`` and ``:`` are shell built-ins, so nothing else in the image is needed."""
PREPULL_PREFIX = "prepull-"
"""The names of the pre-pull containers: ``prepull-<i>`` (the plan's warm capacity reads their images)."""


def prepull(images: Sequence[str]) -> list[dict[str, Any]]:
    """One container per image (sorted, each once) that only makes the kubelet pull it and then waits: ``stdin``
    open so its shell never reads an EOF, ``IfNotPresent``, tiny requests, a ``restricted`` security context."""
    small = {"cpu": "10m", "memory": "16Mi"}
    return [
        {
            "name": f"{PREPULL_PREFIX}{i}",
            "image": image,
            "command": list(PREPULL_COMMAND),
            "stdin": True,
            "imagePullPolicy": "IfNotPresent",
            "resources": {"requests": dict(small), "limits": dict(small)},
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            },
        }
        for i, image in enumerate(sorted(set(images)))
    ]


def pod_spec(ctx: AddonContext, pool: GpuPoolInfo, images: Sequence[str] = ()) -> dict[str, Any]:
    """The placeholder pod: pause, the pool's GPUs, its nodes (the accelerator and pool labels every node of the pool
    carries, :meth:`GpuScheduling.node_labels`, which the clusters put on the nodes and into the autoscalers' node
    templates) and taints, one per node, low priority, a security context that meets the ``restricted`` Pod
    Security level, and the pre-pull containers of ``images`` after the placeholder (:func:`prepull`)."""
    labels = {POOL_LABEL: pool.name}
    gpus = str(gpus_requested(pool))
    small = {"cpu": "10m", "memory": "16Mi"}
    return {
        "priorityClassName": PRIORITY_CLASS,
        "terminationGracePeriodSeconds": 0,
        "automountServiceAccountToken": False,
        "nodeSelector": {ctx.cluster.gpu.accelerator_label: pool.accelerator, ctx.cluster.gpu.pool_label: pool.name},
        "tolerations": ctx.gpu_tolerations(),
        "affinity": {
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchLabels": labels}, "topologyKey": HOSTNAME_KEY}
                ]
            }
        },
        "securityContext": {"runAsNonRoot": True, "runAsUser": 65535, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "placeholder",
                "image": PAUSE_IMAGE,
                "resources": {"requests": {**small, GPU_RESOURCE: gpus}, "limits": {**small, GPU_RESOURCE: gpus}},
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "capabilities": {"drop": ["ALL"]},
                },
            },
            *prepull(images),
        ],
    }


def install(ctx: AddonContext, images: Mapping[str, Sequence[str]] | None = None) -> list[k8s.apps.v1.Deployment]:
    """The PriorityClass, the namespace and one placeholder Deployment per pool with warm nodes (none without).

    ``images``: accelerator -> the serving images of the GPU models that ask for it; the placeholders of every pool
    with that accelerator pre-pull them (a model may land on any pool with its accelerator), on pools that do not
    share GPUs (module docstring)."""
    images = images or {}
    wanted = {name: n for name, n in sorted(ctx.settings.warm_capacity.items()) if n > 0}
    if not wanted:
        return []
    priority = k8s.scheduling.v1.PriorityClass(
        child_name(ctx.name, "warm-capacity-priority"),
        metadata={"name": PRIORITY_CLASS, "labels": ctx.labels("warm-capacity")},
        value=PRIORITY,
        global_default=False,
        preemption_policy="Never",
        description="Placeholder pods that keep GPU nodes warm; any model pre-empts them (mlplatform).",
        opts=child_opts(ctx.parent, provider=ctx.cluster.provider),
    )
    ns = ctx.namespace("ns-warm-capacity", NAMESPACE, pod_security="restricted")
    out = []
    for name, nodes in wanted.items():
        pool = ctx.cluster.gpu.pools[name]
        labels = {**ctx.labels("warm-capacity"), POOL_LABEL: name}
        spec: dict[str, Any] = {
            "replicas": nodes,
            "selector": {"matchLabels": {POOL_LABEL: name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": pod_spec(ctx, pool, images.get(pool.accelerator, ()) if pool.sharing in NOT_SHARED else ()),
            },
        }
        out.append(
            k8s.apps.v1.Deployment(
                child_name(ctx.name, f"warm-{name}"),
                metadata={
                    "name": f"warm-{name}",
                    "namespace": NAMESPACE,
                    "labels": labels,
                    "annotations": {"pulumi.com/skipAwait": "true"},
                },
                # The spec in Kubernetes' own (camelCase) field names, as the plan records it: the SDK's TypedDicts
                # spell them in snake_case, so mypy cannot check this dict against them. Cast, not an ignore of
                # the call-overload error: a call that fails every overload sends mypy through the SDK's nested
                # TypedDict unions, which took a cold run past 24 GB (tests/test_setup.py guards it).
                spec=cast(Any, spec),
                opts=child_opts(ctx.parent, provider=ctx.cluster.provider, depends_on=[ns, priority]),
            )
        )
    return out
