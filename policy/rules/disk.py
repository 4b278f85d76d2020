"""``gpu-pool-disk-fits``: each GPU pool's node disk holds what lands on its nodes (rev16b defect 1; issue #17 P2).

A node of a GPU pool holds the serving runtime's image and the model of every pod that lands on it: a model image
(``oci://``, KServe's modelcar) or the storage initializer's download into the pod's emptyDir, both on the node's
disk, and beside them the images the warm-capacity placeholders pre-pull (components/platform/warm.py). The kubelet
removes unused images once the disk is past ``imageGCHighThresholdPercent`` (:data:`GC_HIGH_PERCENT`), so a
pre-pulled image may be gone before the model needs it, and a model whose images and download do not fit is never
started.

This rule is the second line behind the plan-time check (components/coldstart.py ``disk_problems``): it calls none of
that code and keeps its own copy of every constant and of the computation, each with its source, so a slip there
(the threshold, GiB read as GB, the images of the pods on a node taken as the largest instead of their union, one
download instead of the sum, one pod a node, an image size, the runtime image left out) is caught here. It reads:

- each pool's disk and node labels as the cloud's share reads them (:class:`PoolDisk`: the EKS EC2NodeClass's data
  or root volume through the Karpenter NodePool's ``nodeClassRef``, the GKE node pool's ``nodeConfig.diskSizeGb``,
  the AKS pool's ``osDiskSizeGB``) and how many GPU requests one node grants (:func:`node_slots`);
- the GPU InferenceServices whose ``nodeSelector`` names the pool's accelerator, each pod's images and download
  (:func:`pod_footprint`): the runtime image KServe runs for it (the ServingRuntime of its namespace or the
  ClusterServingRuntime that KServe v0.20.0 selects: components/serving/runtimes.py ``select``, the model of
  KServe's own selection, not of the disk check; the image and its size from :data:`RUNTIME_IMAGES`), its model
  images and its download (its ``mlplatform.io/model-size-gb`` annotation, else :data:`MODEL_GB`);
- the placeholders' ``prepull-*`` containers of the pool, and the images the stack's image cache lists
  (:attr:`Facts.image_caches`, the stack's statement: a rendered pool holds only the disk image's or snapshot's id).
  On a GKE pool with a ``CONTAINER_IMAGE_CACHE`` secondary boot disk the images every pool of the accelerator lists
  are read from that disk, not the boot disk; elsewhere they are on the node's disk and counted. Not known: on GKE
  every image is counted on the boot disk; elsewhere none of the list is counted (a lower bound).

The need (:func:`disk_need`): the cached and pre-pulled images, plus the model pods that may land on one node
together (as many as it grants GPU requests, each pod taking its model's GPUs, replicas of one model too) that need
the most: the union of their images (the kubelet stores an image once) and the sum of their downloads (each pod's
storage initializer writes its own emptyDir: kserve/kserve v0.20.0 pkg/webhook/admission/pod/
storage_initializer_injector.go). A pool whose disk is known only after deploy is named by the unknown hook. A pool
whose object states no disk size (an EKS managed node group, whose disk is in a launch template this rule does not
tie to it; an AKS pool without ``osDiskSizeGB``, which takes the VM size's default) is not judged here: the
plan-time check holds every pool the stack declares.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
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
MODEL_SIZE_ANNOTATION = "mlplatform.io/model-size-gb"
"""Where a rendered InferenceService carries the spec's ``modelSizeGb`` (components/coldstart.py
``MODEL_SIZE_ANNOTATION``), restated."""
GPU_RESOURCE = "nvidia.com/gpu"
STORAGE_URI_ENV = "STORAGE_URI"
"""A custom container's storage URI: KServe v0.20.0 reads the ``STORAGE_URI`` env of the first container
(pkg/webhook/admission/pod/storage_initializer_injector.go)."""
OCI = "oci://"
PVC = "pvc://"
ISVC = "InferenceService"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"

# ------------------------------------------------------------------------------------------- the rule's own figures

GC_HIGH_PERCENT = 85
"""The kubelet runs image garbage collection once the disk is past ``imageGCHighThresholdPercent``: "the percent of
disk usage after which image garbage collection is always run ... Default: 85" (kubernetes.io/docs/reference/
config-api/kubelet-config.v1beta1, KubeletConfiguration); none of our clusters sets it."""

GB_PER_GIB = 2**30 / 1e9
"""A disk is sized in GiB (2^30 bytes: Karpenter ``volumeSize: 200Gi``, GKE ``diskSizeGb`` read as Compute Engine's
GiB, AKS ``osDiskSizeGB``); image and model sizes are in GB (10^9 bytes, as their sources give them)."""

MIG_COMPUTE_SLICES = 7
"""The compute slices of a MIG GPU: every GPU with MIG in the catalog (A100 40/80 GB, H100 80 GB, H200) has "Max
Number of Instances" 7 (docs.nvidia.com/datacenter/tesla/mig-user-guide/supported-gpus.html); a profile
``<g>g.<memory>gb`` names its compute slice count ``g`` (mig-user-guide/mig-device-names.html), so at most ``7 // g``
partitions a GPU (an upper bound: memory runs out first for some profiles, so a pod may be counted more than fits)."""

RUNTIME_IMAGES: Mapping[str, tuple[str, float]] = {
    "kserve-sklearnserver": ("kserve/sklearnserver:v0.20.0", 1.0),
    "kserve-xgbserver": ("kserve/xgbserver:v0.20.0", 1.0),
    "kserve-lgbserver": ("kserve/lgbserver:v0.20.0", 1.0),
    "kserve-mlserver": ("docker.io/seldonio/mlserver:1.5.0", 3.74),
    "kserve-torchserve": ("pytorch/torchserve-kfs:0.9.0", 8.4),
    "kserve-tensorflow-serving": ("tensorflow/serving:2.6.2", 4.0),
    "kserve-tritonserver": ("nvcr.io/nvidia/tritonserver:23.05-py3", 15.5),
    "kserve-huggingfaceserver": ("kserve/huggingfaceserver:v0.20.0", 12.0),
}
"""The image each ClusterServingRuntime we install runs (kserve-runtime-configs v0.20.0, upstream/reference/
kserve-v0.20.0-clusterservingruntimes.yaml, at the tags the platform pins) and its size in GB, restated from the
sources components/coldstart.yaml ``images`` cites: the sklearn-only MLServer image 0.93 GB for the small python
servers (validatedpatterns/industrial-edge PR #343; judgement: class 1 GB), the full seldonio/mlserver image 3.74 GB
(same PR), torchserve's largest published GPU image 8.4 GB (pytorch/serve PR #2392), the CUDA framework class 4 GB
(pytorch/serve#1420), tritonserver ~15.5 GB (triton-inference-server/server#7474), vLLM ~12 GB
(vllm-project/vllm#27154). A runtime not listed, a stack runtime and a custom container: :data:`UNKNOWN_IMAGE_GB`."""

UNKNOWN_IMAGE_GB = 15.5
"""An image of unknown size: the largest class we ship (tritonserver, triton-inference-server/server#7474: ~15.5 GB),
judgement as in components/coldstart.yaml ``images.default``, so no disk is judged too large."""

MODEL_GB: Mapping[str, float] = {
    "sklearn": 0.01, "xgboost": 0.01, "lightgbm": 0.01, "autogluon": 0.01, "mlflow": 0.01, "pmml": 0.01,
    "pytorch": 0.1, "tensorflow": 0.1, "triton": 0.1, "paddle": 0.1, "tensorrt": 0.1, "custom": 0.1,
    "onnx": 0.44, "huggingface": 3.1,
}  # fmt: skip
"""A model's size in GB when its InferenceService carries no ``mlplatform.io/model-size-gb``, by format, restated from
components/coldstart.yaml ``modelSize``: tabular models a few KB (judgement, kubeflow/hub#1532: 0.01); ResNet-50,
25,557,032 fp32 parameters = 0.1 GB (pytorch/vision torchvision/models/resnet.py), for the vision formats and a custom
server; BERT-Base 110 M fp32 = 0.44 GB (google-research/bert README.md); Qwen2.5-1.5B-Instruct 1.54 B bf16 = 3.1 GB
(its model card). A format not listed: :data:`UNKNOWN_MODEL_GB`."""
UNKNOWN_MODEL_GB = 0.1
"""A format with no size here: the custom server's class (0.1 GB, judgement)."""
CUSTOM_FORMAT = "custom"

SUBSET_LIMIT = 10
"""Above this many models of one accelerator, :func:`disk_need` counts every one's images at once (an upper bound)
instead of trying each set of them (the number of sets doubles with each model)."""


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
    """The pool's image cache is a disk of its own (GKE's ``CONTAINER_IMAGE_CACHE`` secondary boot disk: "the
    secondary boot disk's size is determined by the disk image's size", GKE extends containerd with "a plugin that
    reads container images from the secondary boot disk", cloud.google.com/kubernetes-engine/docs/how-to/
    data-container-image-preloading): the images the stack lists for it (:attr:`Facts.image_caches`) are not on
    this disk."""
    clients: int | None = None
    """The pods one GPU serves by time-sharing or MPS where the pool's own object says so (GKE's
    ``maxSharedClientsPerGpu``); None: not stated there (EKS and AKS name it in :data:`DEVICE_PLUGIN_CONFIG_LABEL`)."""
    mig: bool = False
    """The pool's GPUs are partitioned by MIG (GKE ``gpuPartitionSize``, AKS ``gpuInstanceProfile``): a pod's process
    sees one MIG device whatever it asks for (``gpu-memory-fits``, rev16f D7)."""


def shared_clients(pool: PoolDisk) -> int | None:
    """The pods one GPU of ``pool`` serves by time-slicing or MPS (more than one), else None: the pool's
    :attr:`PoolDisk.clients`, else the replicas its :data:`DEVICE_PLUGIN_CONFIG_LABEL` names."""
    if pool.clients is not None:
        return pool.clients if pool.clients > 1 else None
    found = _SHARED_CONFIG.match(str(as_map(pool.labels).get(DEVICE_PLUGIN_CONFIG_LABEL, "")))
    return int(found.group(1)) if found and int(found.group(1)) > 1 else None


DEVICE_PLUGIN_CONFIG_LABEL = "nvidia.com/device-plugin.config"
"""The node label naming the NVIDIA device plugin configuration a node serves (components/clusters/base.py
``DEVICE_PLUGIN_CONFIG_LABEL``; ``time-slicing-<n>``, ``mps-<n>``: ``n`` replicas of each GPU), restated so a slip
there is caught."""
_SHARED_CONFIG = re.compile(r"\A(?:time-slicing|mps)-([0-9]+)\Z")


def machine_gpus(instance_types: Any) -> int | None:
    """The most GPUs of the catalog machines among ``instance_types`` (a name or a list; Karpenter may start any of
    a requirement's values), None when none is a catalog machine. The catalog (components/catalog.yaml) is data, read
    as policy/rules/nodefit.py reads it: no rendered object of an EKS or AKS pool states its GPUs."""
    from components import catalog

    names = {str(t) for t in (instance_types if isinstance(instance_types, list | tuple) else [instance_types])}
    found = [m.gpus for m in catalog.machines() if m.instance_type in names]
    return max(found) if found else None


def node_slots(gpus: Any, labels: Any = None, clients: Any = None, mig_profile: Any = None) -> int | None:
    """How many GPU requests (``nvidia.com/gpu: 1`` each) one node grants: ``gpus`` (None: not known) times
    ``clients`` (GKE's ``maxSharedClientsPerGpu``: "the maximum number of containers that can share a single physical
    GPU", cloud.google.com/kubernetes-engine/docs/how-to/timesharing-gpus), else times the replicas the node's device
    plugin configuration label names (:data:`DEVICE_PLUGIN_CONFIG_LABEL`: the NVIDIA device plugin advertises
    ``replicas`` devices per GPU under time-slicing and MPS, NVIDIA/k8s-device-plugin README "Shared Access to
    GPUs"), or times the partitions of ``mig_profile`` (``1g.10gb``, AKS's ``MIG1g``: :data:`MIG_COMPUTE_SLICES`)."""
    if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 1:
        return None
    if clients is None:
        found = _SHARED_CONFIG.match(str(as_map(labels).get(DEVICE_PLUGIN_CONFIG_LABEL, "")))
        clients = int(found.group(1)) if found else None
    if isinstance(clients, int) and not isinstance(clients, bool) and clients > 1:
        return gpus * clients
    if isinstance(mig_profile, str) and mig_profile:
        head = mig_profile.split(".", 1)[0].lower().removeprefix("mig").removesuffix("g")
        if head.isdigit() and int(head) > 0:
            return gpus * max(1, MIG_COMPUTE_SLICES // int(head))
    return gpus


# -------------------------------------------------------------------------------------------------- the model pods


@dataclass(frozen=True)
class Pod:
    """What one pod of a GPU model puts on its node's disk: ``images`` (each image it pulls, GB) and ``download``
    (GB its storage initializer writes to the pod's emptyDir); ``gpus`` the GPU requests it takes."""

    name: str
    accelerator: str | None
    gpus: int
    images: Mapping[str, float] = field(default_factory=dict)
    download: float = 0.0


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) and out >= 0 else None


def _runtime_image(model: Mapping[str, Any], res: Resource, resources: Sequence[Resource]) -> tuple[str, float] | None:
    """The runtime image KServe v0.20.0 runs for a GPU ``model`` (``spec.predictor.model``) and its size, or None
    when not known. The runtime: the one KServe selects (components/serving/runtimes.py ``select``, which models
    ``GetSupportingRuntimes``/``GetServingRuntime``: the ServingRuntimes of the model's namespace first); its image:
    a ServingRuntime's ``kserve-container`` image at :data:`UNKNOWN_IMAGE_GB`, or :data:`RUNTIME_IMAGES`, the tag as
    KServe's ``UpdateImageTag`` sets it (policy/rules/coldpulls.py ``pod_image``)."""
    from components.serving import runtimes
    from policy.rules import coldpulls

    fmt = as_map(model.get("modelFormat"))
    stack = coldpulls._namespaced(resources, res.namespace)
    version = fmt.get("version")
    protocol, runtime = model.get("protocolVersion"), model.get("runtime")
    chosen, _ = runtimes.select(
        str(fmt.get("name")),
        protocol if isinstance(protocol, str) else None,
        runtime if isinstance(runtime, str) else None,
        str(version) if version else None,
        tuple(rt for rt, _ in stack),
    )
    if chosen is None:
        return None
    own = [image for rt, image in stack if rt.name == chosen]
    if own:
        return None if own[0] is None else (coldpulls.pod_image(own[0], chosen, model), UNKNOWN_IMAGE_GB)
    if chosen not in RUNTIME_IMAGES:
        return None
    image, gb = RUNTIME_IMAGES[chosen]
    return coldpulls.pod_image(image, chosen, model), gb


def pod_footprint(res: Resource, resources: Sequence[Resource]) -> Pod | None:
    """One pod of a rendered InferenceService's predictor (None: malformed, or no GPU): its GPUs (``limits``
    ``nvidia.com/gpu`` of the model or first container), accelerator (``nodeSelector``), images and download.

    - the runtime image (:func:`_runtime_image`; one not known, or a custom container's, at :data:`UNKNOWN_IMAGE_GB`
      under a label naming the model);
    - each ``oci://`` URI (``storageUri``, or every ``storageUris`` entry: KServe v0.20.0 injects one modelcar per OCI
      URI, storage_initializer_injector.go ``CommonStorageInitialization``) is an image, the URI without ``oci://``
      (pkg/utils/storage.go ``ConfigureModelcarToContainer``), sharing the model's size;
    - otherwise the model is downloaded into the pod's emptyDir, its whole size, unless it is on a ``pvc://`` claim,
      which KServe mounts (storage_initializer_injector.go ``PvcURIPrefix``)."""
    predictor = as_map(res.get("spec.predictor"))
    model = as_map(predictor.get("model"))
    first = as_map(next(iter(as_list(predictor.get("containers"))), {})) if not model else {}
    limits = as_map(as_map((model or first).get("resources")).get("limits"))
    gpus = _number(limits.get(GPU_RESOURCE, 0))
    if gpus is None or gpus < 1:
        return None
    size = _number(as_map(res.metadata.get("annotations")).get(MODEL_SIZE_ANNOTATION))
    fmt = str(as_map(model.get("modelFormat")).get("name") or CUSTOM_FORMAT)
    if size is None:
        size = MODEL_GB.get(fmt, UNKNOWN_MODEL_GB)
    uris = [as_map(u).get("uri") for u in as_list(predictor.get("storageUris"))]
    env = next(
        (as_map(e).get("value") for e in as_list(first.get("env")) if as_map(e).get("name") == STORAGE_URI_ENV), None
    )
    uri = model.get("storageUri") or env or next(iter(uris), None) or ""
    images: dict[str, float] = {}
    runtime = _runtime_image(model, res, resources) if model and fmt != CUSTOM_FORMAT else None
    if runtime is None:
        images[f"{res.k8s_name}'s runtime image (size unknown)"] = UNKNOWN_IMAGE_GB
    else:
        images[runtime[0]] = runtime[1]
    oci = [str(u)[len(OCI) :] for u in (uris or [uri]) if isinstance(u, str) and u.startswith(OCI)]
    for image in oci:
        images[image] = round(size / len(oci), 2)
    download = 0.0 if oci or str(uri).startswith(PVC) else size
    accelerator = as_map(predictor.get("nodeSelector")).get(ACCELERATOR_NODE_LABEL)
    return Pod(res.k8s_name, str(accelerator) if accelerator is not None else None, int(gpus), images, download)


def image_gb(image: str, pods: Sequence[Pod]) -> float:
    """The size of an image a cache lists or warm capacity pre-pulls: a model pod's (:func:`pod_footprint`), else a
    runtime image we install (its ``-gpu`` tag too), else :data:`UNKNOWN_IMAGE_GB`."""
    for pod in pods:
        if image in pod.images:
            return pod.images[image]
    for known, gb in RUNTIME_IMAGES.values():
        if image in (known, f"{known}-gpu"):
            return gb
    return UNKNOWN_IMAGE_GB


def _most_downloads(capacity: int, pods: Sequence[Pod], slots: int) -> float:
    """The most GB of downloads that replicas of ``pods`` (any number of each, each taking ``min(gpus, slots)``
    GPU requests) write within ``capacity`` GPU requests (an unbounded knapsack)."""
    best = [0.0] * (capacity + 1)
    for c in range(1, capacity + 1):
        best[c] = best[c - 1]
        for p in pods:
            w = min(p.gpus, slots)
            if w <= c:
                best[c] = max(best[c], best[c - w] + p.download)
    return best[capacity]


def disk_need(base: Mapping[str, float], pods: Sequence[Pod], slots: int) -> tuple[float, str]:
    """The most GB one node holds, and what: the ``base`` images (cached, pre-pulled) plus the set of model pods
    that need the most within ``slots`` GPU requests: every model of the set at least once, the rest of the node's
    GPU requests filled with more replicas of them; each image counted once, every pod's download."""
    best, what = sum(base.values()), f"{len(base)} cached/pre-pulled image(s)"
    slots = max(1, slots)
    if len(pods) > SUBSET_LIMIT:
        images = {**base, **{k: v for p in pods for k, v in p.images.items()}}
        downloads = _most_downloads(slots, pods, slots)
        total = sum(images.values()) + downloads
        if total > best:
            best = total
            what = f"all {len(images)} image(s) of the pool's {len(pods)} models + {downloads:g} GB of downloads"
        return round(best, 2), what
    for size in range(1, len(pods) + 1):
        for chosen in itertools.combinations(pods, size):
            used = sum(min(p.gpus, slots) for p in chosen)
            if used > slots:
                continue
            images = dict(base)
            for p in chosen:
                images.update(p.images)
            downloads = sum(p.download for p in chosen) + _most_downloads(slots - used, chosen, slots)
            total = sum(images.values()) + downloads
            if total > best + 1e-9:
                best = total
                names = " + ".join(p.name for p in chosen)
                extra = f" + {downloads:g} GB of downloads" if downloads else ""
                reps = f", {slots} GPU requests a node" if slots > 1 else ""
                who = f"model {names}" if size == 1 else f"models {names}"
                what = f"{who}: {len(images)} image(s){extra}, cached/pre-pulled ones included{reps}"
    return round(best, 2), what


# ---------------------------------------------------------------------------------------------------------- the rule


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


def _warm_images(resources: Sequence[Resource]) -> dict[str, list[str]]:
    """The images the placeholders of each warm pool pre-pull (their ``prepull-*`` containers)."""
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
    return warm


def _check(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    pools = [(d, n) for d, n in _gpu_pools(resources) if d.labels is not UNKNOWN and isinstance(n, int | float)]
    if not pools:
        return
    pods = []
    for r in resources:
        if _is_k8s(r, ISVC) and UNKNOWN not in (r.props.get("metadata"), r.props.get("spec")):
            try:
                pod = pod_footprint(r, resources)
            except (TypeError, ValueError, AttributeError, KeyError):
                continue  # a malformed InferenceService: the models rules judge it
            if pod is not None:
                pods.append(pod)
    warm = _warm_images(resources)
    for d, disk in pools:
        labels = as_map(d.labels)
        accelerator = labels.get(ACCELERATOR_NODE_LABEL)
        pool_name = labels.get(POOL_NODE_LABEL, d.name)
        # the images every pool of the accelerator's cache lists (the stack's statement; not known: none)
        lists = [set(images) for acc, images in facts.image_caches or () if acc == accelerator]
        listed = set.intersection(*lists) if lists else set()
        elsewhere = listed if d.cache_disk else set()
        on_disk = sorted(listed - elsewhere) + [i for i in warm.get(str(pool_name), ()) if i not in elsewhere]
        base = {i: image_gb(i, pods) for i in on_disk}
        here = [  # by name: the plan's order of resources is not the message's
            Pod(p.name, p.accelerator, p.gpus, {k: v for k, v in p.images.items() if k not in elsewhere}, p.download)
            for p in sorted(pods, key=lambda p: p.name)
            if p.accelerator == accelerator
        ]
        need, what = disk_need(base, here, d.slots or 1)
        limit = disk * GB_PER_GIB * GC_HIGH_PERCENT / 100
        if need > limit:
            least = math.ceil(need / (GC_HIGH_PERCENT / 100) / GB_PER_GIB)
            shown = math.floor(limit * 100) / 100  # rounded down, never read as the need (rev16d defect 8)
            yield Finding(
                None,
                f"GPU pool {pool_name} ({d.name}): disk {disk:g} GiB: a node of the pool must hold {need:g} GB "
                f"({what}) but the kubelet removes unused images past {GC_HIGH_PERCENT}% of the disk "
                f"(imageGCHighThresholdPercent), {shown:g} GB of {disk:g} GiB; give diskSizeGib >= {least}, or "
                "cache/pre-pull fewer images",
            )


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
            "pre-pulls, computed with the rule's own figures (not the plan-time check's code): {clouds}."
        ),
        enforcement="mandatory",
        area="cluster",
        check_stack=_check,
        unknown=_unknown,
        remediation="give the pool a larger diskSizeGib, or pre-pull/cache fewer images",
    ),
]
