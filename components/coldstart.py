"""Cold start of a model: the time from a request at zero replicas to the first answer, step by step.

Two cases per model (pure functions of the model's facts and the cluster's facts, no resources, no plan):

- ``fromZero``: no node can take the pod. A GPU model waits for a GPU node (provisioning and boot, per cloud and
  provisioner), then for its GPUs to be allocatable (driver, device plugin); then every model pulls its serving
  runtime's image, downloads its model from storage, loads it, and becomes Ready behind Knative.
- ``warmNode``: the same without the node steps (a node with free capacity is up, the image is not cached).

A model in an OCI image (``storageUri: oci://...``, KServe's modelcar) has no storage download: the kubelet pulls
the model image like any container image (:func:`model_image`), so the node's image caches apply to it as to the
runtime image: a pool whose ``imageCache`` lists it preloads it, and warm capacity's placeholders pre-pull it.

A CPU model has no GPU steps: the system pool is always up, so its ``fromZero`` equals ``warmNode``.

Every figure comes from ``coldstart.yaml`` beside this module, each with its source (or marked as a judgement with
its reason). Cloud-specific figures are keyed by the cluster's cloud name, read through the cluster seam's
``cloud`` property or a plan's cluster ``cloud`` output: nothing here branches on a cloud in code.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatch
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from components import clouds, storage
from components.clusters.base import GpuScheduling
from components.errors import SpecError
from components.naming import ACCELERATOR_LABEL, POOL_LABEL
from components.serving import runtimes
from components.serving.spec import ModelSpec

if TYPE_CHECKING:
    from components.clusters.spec import GpuPoolSpec
    from components.serving.stack_runtime import RuntimeSpec

DATA_FILE = Path(__file__).with_name("coldstart.yaml")
GPU_RESOURCE = "nvidia.com/gpu"


@dataclass(frozen=True)
class StackRuntime:
    """A ServingRuntime the stack brings itself (``mlplatform:runtimes``) in a model's namespace: as KServe's runtime
    selection sees it, and the image of its ``kserve-container`` (None: not known)."""

    runtime: runtimes.Runtime
    image: str | None = None


@dataclass(frozen=True)
class ModelFacts:
    """What decides a model's cold start: format (its runtime image), GPUs, storage URI, size if known."""

    name: str
    format: str
    gpus: int
    storage_uri: str
    model_size_gb: float | None = None
    protocol: str | None = None
    runtime: str | None = None
    """An explicit runtime (``spec.runtime``); None: the one KServe selects for the format and protocol."""
    accelerator: str | None = None
    """The catalog accelerator the model asks for (its GPU pools are the cluster's pools with it); None: CPU."""
    runtime_version: str | None = None
    """The runtime image's tag the model gives (``runtimeVersion``); None: the runtime's own."""
    load_format: str | None = None
    """vLLM's ``--load-format`` in the model server's args (``runai_streamer`` by default for an LLM on GPUs on
    KServe's Hugging Face server, components/serving/_runtime.py); None: the loader's default."""
    format_version: str | None = None
    """The model's ``formatVersion`` (KServe's ``modelFormat.version``); None: not given."""
    stack: tuple[StackRuntime, ...] = ()
    """The stack's ServingRuntimes in the model's namespace: KServe looks at them before the platform's
    ClusterServingRuntimes, when it auto-selects a runtime and when the model names one (:func:`serving_runtime`)."""
    storage_uris: tuple[str, ...] = ()
    """Every URI of ``storageUris`` (empty with ``storageUri``): KServe v0.20.0 injects one modelcar per ``oci://``
    entry (storage_initializer_injector.go ``CommonStorageInitialization``, ``ociIndex``), so each is a model image
    the pod pulls (:func:`model_images`)."""
    pull_secrets: bool = False
    """The model gives ``imagePullSecrets``: some image of its pod may need them (:func:`prepull_images`)."""


@dataclass(frozen=True)
class ClusterFacts:
    """What decides the node steps: the cluster's cloud and, where it says, its GPU provisioner."""

    cloud: str
    gpu_provisioner: str | None = None
    streamed_registries: tuple[str, ...] = ()
    """Registry host patterns whose images the GPU pools stream (the seam's ``GpuScheduling.streamed_registries``,
    a plan's cluster output ``gpuStreamedRegistries``); empty: images are pulled whole."""
    image_caches: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """``(accelerator, images)`` for every GPU pool: the images its new nodes have preloaded (``imageCache.images``,
    the seam's ``GpuPoolInfo.cached_images``, a plan's ``gpuPools.<pool>.cachedImages``); empty: no cache."""
    pool_disks: tuple[tuple[str, float], ...] = ()
    """``(accelerator, GiB)`` for every GPU pool: its nodes' disk (``diskSizeGib``, the seam's
    ``GpuPoolInfo.disk_gib``, a plan's ``gpuPools.<pool>.diskSizeGib``); read where a disk's read rate grows with
    its size (coldstart.yaml ``diskRead``). Empty: not known."""

    def cached(self, image: str, accelerator: str | None) -> bool:
        """Whether every GPU pool with ``accelerator`` (at least one) has ``image`` preloaded: a model may land on
        any pool with its accelerator (its node selector names the accelerator), so one pool without the image
        means the pull may still happen."""
        pools = [images for acc, images in self.image_caches if acc == accelerator]
        return bool(pools) and all(image in images for images in pools)

    def listed(self, accelerator: str | None) -> list[tuple[str, ...]]:
        """The image lists of the caches of every GPU pool with ``accelerator``."""
        return [images for acc, images in self.image_caches if acc == accelerator]


@dataclass(frozen=True)
class Step:
    """One step of a cold start."""

    step: str
    minutes: float
    source: str
    high: float | None = None
    """The slow end of the source's range (None: the source gives one figure, the same as ``minutes``)."""

    @property
    def slow(self) -> float:
        """The slow end: ``high``, else ``minutes``."""
        return self.minutes if self.high is None else self.high

    def to_json(self) -> dict[str, Any]:
        """The step in the plan JSON."""
        return {"step": self.step, "minutes": self.minutes, "high": self.slow, "source": self.source}


@dataclass(frozen=True)
class Case:
    """The steps of one case, in order; their sum is the case's duration."""

    steps: tuple[Step, ...]

    @property
    def minutes(self) -> float:
        """The total, rounded to 0.01 min."""
        return round(sum(s.minutes for s in self.steps), 2)

    @property
    def high(self) -> float:
        """The total with every step at the slow end of its source's range (what deadlines must cover)."""
        return round(sum(s.slow for s in self.steps), 2)

    @property
    def dominant(self) -> Step:
        """The longest step."""
        return max(self.steps, key=lambda s: s.minutes)

    def to_json(self) -> dict[str, Any]:
        """The case in the plan JSON."""
        return {"minutes": self.minutes, "high": self.high, "steps": [s.to_json() for s in self.steps]}


@dataclass(frozen=True)
class WarmCover:
    """Warm capacity that covers a GPU model: ``nodes`` GPU nodes of ``pool`` kept up by placeholder pods
    (``platform.warmCapacity``, components/platform/warm.py) that the model pre-empts."""

    pool: str
    nodes: int
    images: tuple[str, ...] = ()
    """The images the warm nodes hold (the placeholders' pre-pull)."""


@dataclass(frozen=True)
class Estimate:
    """A model's cold start from zero nodes and on a warm node; ``warm``: the warm capacity that covers it, if any.

    :attr:`expected` is the case that applies: ``warmNode`` when warm capacity covers the model (a warm node is up for
    it, up to ``nodes`` cold starts at once; the next waits for a replacement node), else ``fromZero`` for a GPU
    model. A CPU model's two cases are equal (the system pool is always up).
    """

    model: str
    from_zero: Case
    warm_node: Case
    warm: WarmCover | None = None

    @property
    def expected_case(self) -> str:
        """``warmNode`` when warm capacity covers the model, else ``fromZero``."""
        return "warmNode" if self.warm is not None else "fromZero"

    @property
    def expected(self) -> Case:
        """The case that applies (:attr:`expected_case`)."""
        return self.warm_node if self.warm is not None else self.from_zero

    def to_json(self) -> dict[str, Any]:
        """The model's entry in the stack's ``coldStart`` list."""
        return {
            "model": self.model,
            "fromZero": self.from_zero.to_json(),
            "warmNode": self.warm_node.to_json(),
            "warmCapacity": {"pool": self.warm.pool, "nodes": self.warm.nodes} if self.warm else None,
            "expected": {"case": self.expected_case, "minutes": self.expected.minutes, "high": self.expected.high},
        }


class ColdStartError(ValueError):
    """Bad data in ``coldstart.yaml`` or a fact it has no figure for; the message is one line."""


@cache
def load(path: Path = DATA_FILE) -> dict[str, Any]:
    """The data table (``coldstart.yaml`` beside this module by default)."""
    with path.open(encoding="utf-8") as stream:
        data = yaml.safe_load(stream)
    if not isinstance(data, dict):
        raise ColdStartError(f"{path.name}: the top level must be a mapping")
    return data


def _src(entry: Mapping[str, Any]) -> str:
    return " ".join(str(entry["source"]).split())


def _high(entry: Mapping[str, Any]) -> float | None:
    return float(entry["high"]) if "high" in entry else None


def storage_kind(uri: str) -> str:
    """How the model reaches the pod: the scheme :func:`components.storage.parse_storage_uri` reads from the URI (each
    cloud's own from the registry, e.g. ``s3``, ``gs``, ``azure`` for an Azure Blob https:// URI; ``https`` for any
    other URL; ``hf``, ``pvc``, ``oci``), or ``other`` for a URI it refuses or none. Each kind has its download rate in
    ``coldstart.yaml`` ``download`` (the storage initializer's rate from that storage)."""
    try:
        return storage.parse_storage_uri(uri).scheme
    except SpecError:
        return "other"


def registry_host(image: str) -> str:
    """The registry host of an image reference, as container runtimes resolve it: the first path component when it
    has a ``.`` or ``:`` or is ``localhost``, else Docker Hub (``docker.io``; ``index.docker.io`` is the same)
    (distribution/reference normalize.go ``splitDockerDomain``)."""
    first, sep, _ = image.partition("/")
    if not sep or (not any(c in first for c in ".:") and first != "localhost"):
        return "docker.io"
    return "docker.io" if first == "index.docker.io" else first


def streams(image: str, cluster: ClusterFacts) -> bool:
    """Whether ``cluster``'s GPU pools stream ``image`` (its registry matches one of the cluster's patterns)."""
    host = registry_host(image)
    return any(fnmatch(host, pattern) for pattern in cluster.streamed_registries)


OCI_PREFIX = "oci://"


def model_image(uri: str) -> str | None:
    """The image of a model in an OCI image (``oci://<image>``), as KServe runs it: the URI without ``oci://``
    (kserve/kserve v0.20.0 pkg/utils/storage.go ``ConfigureModelcarToContainer``: ``strings.TrimPrefix(modelUri,
    constants.OciURIPrefix)``, the image of both the ``modelcar-init`` init container and the ``modelcar`` sidecar);
    None for any other storage."""
    if storage_kind(uri) != "oci" or not uri.startswith(OCI_PREFIX):
        return None
    return uri[len(OCI_PREFIX) :]


def pinned(image: str) -> bool:
    """Whether a model image is pulled ``IfNotPresent``: a digest, or a tag other than ``latest``. KServe's modelcar
    containers set no pull policy, so Kubernetes' default applies, and "using the ``latest`` tag, or omitting a tag
    altogether, defaults to a ``Always`` pull policy. This means the image would be re-downloaded every time a Pod
    restarts or scales up" (kserve/website docs/model-serving/storage/providers/oci.md, "Using Modelcars"): a cache
    or a pre-pull of such an image is not counted."""
    if "@" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    return ":" in last and last.rsplit(":", 1)[1] != "latest"


def model_images(model: ModelFacts) -> list[str]:
    """The model images of ``model``'s pod: the image of its ``storageUri`` when it is ``oci://``, or of every
    ``oci://`` entry of its ``storageUris`` (KServe v0.20.0 adds a modelcar per OCI URI, pkg/webhook/admission/pod/
    storage_initializer_injector.go ``CommonStorageInitialization``: ``ociIndex``, up to ``MaxOCISourcesPerPod``)."""
    uris = model.storage_uris or (model.storage_uri,)
    return [i for i in (model_image(u) for u in uris) if i is not None]


def pod_images(model: ModelFacts, data: Mapping[str, Any] | None = None) -> list[str]:
    """The images a GPU model's pod pulls that we know: its runtime's (:func:`runtime_image`: the runtime KServe
    uses, a stack runtime of its namespace included) and its model images
    (:func:`model_images`); empty for a CPU model (it runs on the system pool)."""
    if model.gpus <= 0:
        return []
    return [i for i in (runtime_image(model, data), *model_images(model)) if i is not None]


def prepull_images(model: ModelFacts, data: Mapping[str, Any] | None = None) -> list[str]:
    """The images of :func:`pod_images` that warm capacity can pre-pull: those a pod with no pull secret pulls as
    the model's pod does. A model without ``imagePullSecrets`` pulls every image with the node's own credentials, as
    the placeholder does; a model with them may need them for any image of its own (its model images, a stack
    runtime's image), and the placeholder cannot use them: "Pods can only reference image pull secrets in their own
    namespace" (kubernetes.io/docs/concepts/containers/images, "Referring to an imagePullSecrets on a Pod"), and the
    placeholders run in ``mlplatform-warm-capacity``. Only the runtime images the platform installs (public images,
    coldstart.yaml ``images``, which the platform's ClusterServingRuntimes pull with no secret) are kept for it."""
    images = pod_images(model, data)
    if not model.pull_secrets:
        return images
    _, stack = serving_runtime(model)
    image = runtime_image(model, data)
    return [image] if image is not None and stack is None and model.gpus > 0 else []


def _model_fetch(
    model: ModelFacts, size: float, size_src: str, cluster: ClusterFacts, d: Mapping[str, Any], prepulled: Sequence[str]
) -> tuple[Step | None, Step | None]:
    """The model's download step ``(fromZero, warmNode)``; None where there is none (a pvc:// claim).

    From storage: the storage initializer's download at the storage kind's rate, the same in both cases. From an
    OCI image: the kubelet's pull of the model image, so the image steps apply to it: preloaded where every pool of
    the model's accelerator caches it (the cloud's ``imageCache`` figure, both cases, as for the runtime image),
    streamed only where ``modelImage.streaming.counted`` says so, and on a warm node whose placeholders pre-pulled
    it, the ``warmPrepull`` figure; otherwise (and always for an image pulled ``Always``, :func:`pinned`) the
    download at the ``oci`` rate, as before."""
    kind = storage_kind(model.storage_uri)
    rate = d["download"][kind]
    if float(rate["gbPerMinute"]) <= 0:
        return None, None
    plain = Step(
        f"model download ({kind}, {size:g} GB at {rate['gbPerMinute']} GB/min)",
        round(size / float(rate["gbPerMinute"]), 2),
        f"size: {size_src}; rate: {_src(rate)}",
        round(size / float(rate["gbPerMinuteSlow"]), 2) if "gbPerMinuteSlow" in rate else None,
    )
    images = model_images(model)
    if not images or model.gpus <= 0 or not all(pinned(i) for i in images):
        return plain, plain
    image = ", ".join(images)
    mi = d["modelImage"]
    first = plain
    if all(cluster.cached(i, model.accelerator) for i in images):
        cache = (d.get("imageCache") or {}).get(cluster.cloud)
        if cache is None:
            raise ColdStartError(f"cold start: no imageCache figure for {cluster.cloud} in {DATA_FILE.name}")
        minutes = round(size / float(cache["gbPerMinute"]), 2) if "gbPerMinute" in cache else float(cache["minutes"])
        first = Step(
            f"model image preloaded ({cache['name']}: {image}, {size:g} GB)",
            minutes,
            f"size: {size_src}; cache: {_src(cache)}; model image: {_src(mi)}",
            _cache_slow(model, cluster, cache, d),
        )
    elif mi["streaming"]["counted"] and all(streams(i, cluster) for i in images):
        first = _pull_step({"image": image, "gb": size, "source": size_src}, d, True, None)
    second = first
    if all(i in prepulled for i in images):
        pp = d["warmPrepull"]
        second = Step(f"model image pre-pulled on the warm node ({image})", float(pp["minutes"]), _src(pp))
    return first, second


def _cache_slow(
    model: ModelFacts, cluster: ClusterFacts, cache: Mapping[str, Any], d: Mapping[str, Any]
) -> float | None:
    """The slow end of a step read from a cache that arrives at a rate (``gbPerMinute``: the EKS data volume made from
    a snapshot): the whole volume's initialisation, every listed image of the largest list among the model's pools
    (:func:`image_size`; one of unknown size at the ``default`` class) at that rate. AWS promises no order of the
    blocks: "Full volume performance is achieved only once all storage blocks have been downloaded" (docs.aws.amazon
    .com/ebs/latest/userguide/initalize-volume.html), so the image the model needs may arrive last. None for a cache
    with a fixed figure."""
    if "gbPerMinute" not in cache:
        return None
    lists = cluster.listed(model.accelerator)
    total = max((sum(image_size(i, (model,), d) for i in dict.fromkeys(images)) for images in lists), default=0.0)
    return round(total / float(cache["gbPerMinute"]), 2) if total else None


def _pull_step(
    image: Mapping[str, Any], d: Mapping[str, Any], streamed: bool, cache: Mapping[str, Any] | None,
    slow: float | None = None,
) -> Step:  # fmt: skip
    gb = float(image["gb"])
    label = image.get("label", image["image"])
    if cache is not None:
        minutes = round(gb / float(cache["gbPerMinute"]), 2) if "gbPerMinute" in cache else float(cache["minutes"])
        return Step(f"image preloaded ({cache['name']}: {label}, {gb:g} GB)", minutes, _src(cache), slow)
    pull = d["imagePull"]
    if streamed:
        # The slow end of a streamed pull is the whole pull when the data says so (the first pull of an eligible
        # image may not stream: coldstart.yaml ``imageStreaming``).
        s = d["imageStreaming"]
        slow = round(gb / float(pull["gbPerMinuteSlow"]), 2) if s.get("slowEnd") == "wholePull" else _high(s)
        return Step(f"image pull (streamed: {label}, {gb:g} GB)", float(s["minutes"]), _src(s), slow)
    return Step(
        f"image pull ({label}, {gb:g} GB at {pull['gbPerMinute']} GB/min)",
        round(gb / float(pull["gbPerMinute"]), 2),
        f"size: {_src(image)}; rate: {_src(pull)}",
        round(gb / float(pull["gbPerMinuteSlow"]), 2),
    )


def _load_step(
    fmt: str, load_: Mapping[str, Any], size: float, load_format: str | None, disk: Mapping[str, Any] | None = None
) -> Step:
    """The load step: the format's figure; where the figure says how its weight read scales (``weights``: the
    reference model's size and the read rate of each loader), the figure stands for a model up to the reference size
    and only the weights above it are added, read at the model's loader's rate (an unknown loader reads at the
    default loader's rate). The reference's own read is not taken out: its source logs it at under a second
    (vllm-project/vllm#20264, "Loading weights took 0.69 seconds"), so a faster loader saves nothing measurable
    there (rev16 defect 8)."""
    w = load_.get("weights")
    if w is None:
        return Step(f"load ({fmt})", float(load_["minutes"]), _src(load_), _high(load_))
    loaders = w["loaders"]
    loader = load_format if load_format in loaders else "auto"
    rate = float(loaders[loader]["gbPerMinute"])
    above = max(0.0, size - float(w["referenceGb"]))
    source = f"start: {_src(load_)}; reference: {_src(w)}; rate: {_src(loaders[loader])}"
    label = f"vLLM's {loader} loader at {rate:g} GB/min"
    start = float(load_["minutes"])
    start_high = _high(load_)  # the server's own start at its slow end (rev16f D9), before the weights above
    high = None
    if disk is not None and above > 0:
        # The weights are read from the node's disk (a model image's layers, or the storage initializer's emptyDir):
        # no loader reads faster than the disk delivers (coldstart.yaml diskRead).
        fast, slow = float(disk["gbPerMinute"]), float(disk.get("gbPerMinuteSlow", disk["gbPerMinute"]))
        if fast < rate:
            rate, label = fast, f"{label[: label.index(' at ')]} capped at the node disk's {fast:g} GB/min"
        high = round((start_high or start) + above / min(slow, rate), 2)
        source += f"; disk: {_src(disk)}"
    elif start_high is not None:
        high = round(start_high + above / rate, 2)
    return Step(
        f"load ({fmt}, {size:g} GB of weights with {label} above {float(w['referenceGb']):g} GB)",
        round(start + above / rate, 2),
        source,
        high,
    )


DEFAULT_DISK_GIB = 200
"""A pool's disk when the cluster facts do not say (a plan saved before ``diskSizeGib``): the spec's default
(components/clusters/spec.py ``GpuPoolSpec.disk_size_gib``)."""


def disk_read(model: ModelFacts, cluster: ClusterFacts, data: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The rate (``gbPerMinute``, ``gbPerMinuteSlow``, ``source``) at which a GPU model's node disk delivers its
    weights (coldstart.yaml ``diskRead.<cloud>``), or None where the cloud has no figure.

    A fixed figure is used as it is (EKS: the throughput the node class provisions). A figure that grows with the
    disk is taken for the smallest disk the model may read from, so the estimate is not short on any pool: the
    boot/OS disk of the pools with the model's accelerator (``diskSizeGib``), or, where the model's images are all
    in a cache on a disk of its own (``imageCache.<cloud>.ownDisk``: GKE's secondary boot disk, "sized by the disk
    image"), that disk, at least the listed images' size. ``mibpsPerGib`` (capped at ``instanceMibps``) reads the
    rate per GiB; ``tiers`` the throughput of the smallest tier (``[GiB, MB/s]``) that holds the disk."""
    d = load() if data is None else data
    entry = (d.get("diskRead") or {}).get(cluster.cloud)
    if entry is None or "gbPerMinute" in entry:
        return entry
    sizes = [gib for acc, gib in cluster.pool_disks if acc == model.accelerator] or [float(DEFAULT_DISK_GIB)]
    gib, where = min(sizes), "the node's boot disk"
    cache = (d.get("imageCache") or {}).get(cluster.cloud) or {}
    images = model_images(model)
    if cache.get("ownDisk") and images and all(cluster.cached(i, model.accelerator) for i in images):
        listed = [
            sum(image_size(i, (model,), d) for i in dict.fromkeys(lst)) for lst in cluster.listed(model.accelerator)
        ]
        gib, where = min(listed) / GB_PER_GIB, f"the {cache['name']} (sized by its image)"
    if "mibpsPerGib" in entry:
        mibps = min(float(entry["mibpsPerGib"]) * gib, float(entry["instanceMibps"]))
        rate = round(mibps * 2**20 * 60 / 1e9, 2)
        how = f"{float(entry['mibpsPerGib']):g} MiB/s per GiB x {gib:.0f} GiB = {mibps:.0f} MiB/s"
    else:
        tiers = sorted((float(gib_), float(mbps)) for gib_, mbps in entry["tiers"])
        tier = next((t for t in tiers if t[0] >= gib), tiers[-1])
        rate = round(tier[1] * 60 / 1000, 2)
        how = f"the {tier[0]:.0f} GiB tier's {tier[1]:g} MB/s for {gib:.0f} GiB"
    source = f"{where}: {how} = {rate:g} GB/min; {_src(entry)}"
    return {"gbPerMinute": rate, "gbPerMinuteSlow": rate, "source": source}


def load_format(args: Sequence[str]) -> str | None:
    """The value of the last ``--load-format`` (``--load_format``) in a model server's ``args``, as vLLM's parser
    reads them (the last value wins; ``=`` or the next argument); None when none is given."""
    found: str | None = None
    for i, arg in enumerate(args):
        name, eq, value = str(arg).partition("=")
        if name.replace("_", "-") != "--load-format":
            continue
        found = value if eq else (str(args[i + 1]) if i + 1 < len(args) else None)
    return found


def pod_image(image: str, runtime: str | None, gpus: int, runtime_version: str | None = None) -> str:
    """The image a model's pod runs, from its runtime's ``image``: KServe v0.20.0 ``UpdateImageTag``
    (pkg/controller/v1beta1/inferenceservice/utils/utils.go): a digest is kept; ``runtimeVersion`` replaces the tag;
    else a pod with GPUs of a runtime in :data:`runtimes.GPU_TAG_RUNTIMES` (tensorflow-serving, torchserve,
    huggingfaceserver) runs the tag with ``-gpu`` appended, unless it already ends so."""
    if "@sha256:" in image:
        return image
    if runtime_version is not None:
        name, sep, tag = image.rpartition(":")
        has_tag = bool(sep) and "/" not in tag
        return f"{name if has_tag else image}:{runtime_version}"
    if gpus > 0 and runtime in runtimes.GPU_TAG_RUNTIMES and not image.endswith("-gpu"):
        return image + "-gpu"
    return image


def serving_runtime(model: ModelFacts) -> tuple[str | None, StackRuntime | None]:
    """The runtime KServe v0.20.0 serves ``model`` with, and the stack runtime it is (None: a runtime the platform
    installs, or one we do not know): the model's ``runtime``, else the one KServe auto-selects for its format,
    version and protocol, the stack's ServingRuntimes of its namespace first (:func:`runtimes.select`, which models
    ``GetSupportingRuntimes`` and ``GetServingRuntime``); ``(None, None)`` when none would serve."""
    namespaced = tuple(s.runtime for s in model.stack)
    runtime, _ = runtimes.select(model.format, model.protocol, model.runtime, model.format_version, namespaced)
    stack = next((s for s in model.stack if s.runtime.name == runtime), None)
    return runtime, stack


def _image_entry(model: ModelFacts, d: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The runtime image entry of ``model`` (``image``, ``gb``, ``source``, and ``label``, how the pull step names
    it) and whether the image is one we know (the runtime's, so caches, streaming and warm pre-pulls apply to it).

    A runtime the platform installs: its image from ``images`` (:func:`pod_image`). A stack runtime: its own image
    (with ``runtimeVersion`` as KServe's ``UpdateImageTag`` applies it; no ``-gpu`` tag: a stack runtime has no
    ``serving.kserve.io/server-type`` annotation) at the size of the ``default`` class, as no size of it is known;
    a stack runtime whose image is not known, or another runtime: the ``default`` entry."""
    runtime, stack = serving_runtime(model)
    default = d["images"]["default"]
    if model.format == CUSTOM_FORMAT or runtime is None:
        return dict(default), False
    if stack is not None:
        if stack.image is None:
            return dict(default), False
        image = pod_image(stack.image, runtime, model.gpus, model.runtime_version)
        source = f"judgement: stack runtime {runtime}'s own image (mlplatform:runtimes), size unknown: {_src(default)}"
        return {
            "image": image,
            "gb": default["gb"],
            "source": source,
            "label": f"stack runtime {runtime}: {image}",
        }, True
    if runtime not in d["images"]:
        return dict(default), False
    entry = d["images"][runtime]
    return {**entry, "image": pod_image(str(entry["image"]), runtime, model.gpus, model.runtime_version)}, True


def runtime_image(model: ModelFacts, data: Mapping[str, Any] | None = None) -> str | None:
    """The image ``model``'s pod runs for its runtime (:func:`serving_runtime`): a runtime we install
    (:func:`pod_image`) or a stack runtime whose image is known; else None (a custom container or a runtime of the
    user's own outside the stack: no image we know)."""
    d = load() if data is None else data
    entry, known = _image_entry(model, d)
    return str(entry["image"]) if known else None


def estimate(
    model: ModelFacts, cluster: ClusterFacts, data: Mapping[str, Any] | None = None, prepulled: Sequence[str] = ()
) -> Estimate:
    """The cold start of ``model`` on ``cluster`` (module docstring), from ``data`` (``coldstart.yaml`` by default).

    ``prepulled``: the images the warm node already holds (warm capacity's pre-pull, components/platform/warm.py);
    when the model's runtime image or its model image (``oci://``) is among them, its warm-node case has no pull of
    it (``fromZero`` is a new node: unchanged)."""
    d = load() if data is None else data
    fmt = model.format
    if fmt not in d["load"] or fmt not in d["modelSize"]:
        raise ColdStartError(f"cold start: no figures for format {fmt!r} in {DATA_FILE.name}")
    image, known = _image_entry(model, d)
    if model.model_size_gb is not None:
        size, size_src = model.model_size_gb, "modelSizeGb from the model spec"
    else:
        size, size_src = float(d["modelSize"][fmt]["gb"]), _src(d["modelSize"][fmt])
    # Only GPU pools stream images (the cluster's GPU pools; a CPU model runs on the system pool), and only a runtime
    # we install or a stack runtime that names its image has an image we know.
    gpu_known = known and model.gpus > 0
    streamed = gpu_known and streams(str(image["image"]), cluster)
    # A preloaded image counts only where the stack named a cache holding it on every pool the model may land on,
    # and the cloud has a figure for its cache (coldstart.yaml ``imageCache``).
    preloaded = gpu_known and cluster.cached(str(image["image"]), model.accelerator)
    cache = (d.get("imageCache") or {}).get(cluster.cloud) if preloaded else None
    if preloaded and cache is None:
        raise ColdStartError(f"cold start: no imageCache figure for {cluster.cloud} in {DATA_FILE.name}")
    pull = _pull_step(image, d, streamed, cache, _cache_slow(model, cluster, cache, d) if cache else None)
    on_warm_node = pull
    if known and str(image["image"]) in prepulled:
        pp = d["warmPrepull"]
        on_warm_node = Step(f"image pre-pulled on the warm node ({image['image']})", float(pp["minutes"]), _src(pp))
    fetch_zero, fetch_warm = _model_fetch(model, size, size_src, cluster, d, prepulled)
    if cache is not None and fetch_zero is not None and fetch_zero.high is not None and pull.high is not None:
        # Both from the one volume: its whole initialisation is counted once, in the model image's slow end.
        pull = replace(pull, high=None)
        on_warm_node = pull if on_warm_node.high is not None else on_warm_node
    ready = d["readiness"]
    disk = disk_read(model, cluster, d) if model.gpus > 0 else None
    after = (
        _load_step(fmt, d["load"][fmt], size, model.load_format, disk),
        Step("readiness", float(ready["minutes"]), _src(ready), _high(ready)),
    )
    node: list[Step] = []
    if model.gpus > 0:
        provisioner = cluster.gpu_provisioner or d["defaultProvisioner"].get(cluster.cloud, "none")
        steps = (d["nodeSteps"].get(cluster.cloud) or {}).get(provisioner)
        if steps is None:
            raise ColdStartError(f"cold start: no node steps for {cluster.cloud}/{provisioner} in {DATA_FILE.name}")
        node = [Step(str(s["step"]), float(s["minutes"]), _src(s), _high(s)) for s in steps]
    zero = (*node, pull, *((fetch_zero,) if fetch_zero else ()), *after)
    return Estimate(model.name, Case(zero), Case((on_warm_node, *((fetch_warm,) if fetch_warm else ()), *after)))


def deadline_seconds(model: ModelFacts, cluster: ClusterFacts) -> int:
    """Whole seconds (rounded up) of ``model``'s ``fromZero`` estimate on ``cluster`` with every step at the slow end
    of its source's range: what a deadline for the first pod must cover."""
    return math.ceil(estimate(model, cluster).from_zero.high * 60)


def facts_from_spec(name: str, spec: ModelSpec, stack: tuple[StackRuntime, ...] = ()) -> ModelFacts:
    """A model's facts from its validated spec; ``stack``: the stack's ServingRuntimes in the model's namespace
    (:func:`stack_runtimes`), which decide its runtime, so its image and its vLLM loader (``runtime_args``)."""
    protocol = spec.effective_protocol
    namespaced = tuple(s.runtime for s in stack)
    return ModelFacts(
        name=name,
        format=spec.format or CUSTOM_FORMAT,
        gpus=spec.resources.gpus,
        storage_uri=spec.storage_uri or (spec.storage_uris[0].uri if spec.storage_uris else ""),
        model_size_gb=spec.model_size_gb,
        protocol=None if protocol == "openai" else protocol,
        runtime=spec.runtime,
        runtime_version=spec.runtime_version,
        accelerator=spec.resources.accelerator if spec.resources.gpus > 0 else None,
        load_format=load_format(_runtime_args(spec, namespaced)) if spec.container is None else None,
        format_version=spec.format_version,
        stack=stack,
        storage_uris=tuple(u.uri for u in spec.storage_uris),
        pull_secrets=bool(spec.image_pull_secrets),
    )


def _runtime_args(spec: ModelSpec, namespaced: tuple[runtimes.Runtime, ...]) -> list[str]:
    # Imported here: components/serving/_runtime.py imports this module.
    from components.serving._runtime import runtime_args

    return runtime_args(spec, namespaced)


def stack_runtimes(specs: Mapping[str, RuntimeSpec] | None, namespace: str) -> tuple[StackRuntime, ...]:
    """The stack's runtimes (``mlplatform:runtimes``) in ``namespace``: each as selection sees it
    (``RuntimeSpec.selection``) with its container's image."""
    return tuple(
        StackRuntime(spec.selection(name), spec.container.image)
        for name, spec in (specs or {}).items()
        if spec.namespace == namespace
    )


SERVING_RUNTIME_KIND = "ServingRuntime"
SERVER_CONTAINER = "kserve-container"
"""``constants.InferenceServiceContainerName``: the runtime container KServe runs as the model server."""


def runtimes_from_documents(docs: Sequence[Mapping[str, Any]], namespace: str) -> tuple[StackRuntime, ...]:
    """The ServingRuntimes of ``namespace`` among rendered documents, read as KServe v0.20.0 reads them
    (pkg/apis/serving/v1alpha1/servingruntime_types.go: ``supportedModelFormats`` with ``name``, ``version``,
    ``autoSelect``, ``priority``; ``protocolVersions``; ``multiModel``; ``disabled``; the model server is the
    container named ``kserve-container``, whose ``image`` is the pod's)."""
    out = []
    for doc in docs:
        meta = doc.get("metadata") or {}
        if doc.get("kind") != SERVING_RUNTIME_KIND or meta.get("namespace") != namespace:
            continue
        spec = doc.get("spec") or {}
        formats = tuple(
            runtimes.Format(
                str(f.get("name")),
                str(f["version"]) if f.get("version") is not None else None,
                bool(f.get("autoSelect")),
                int(f["priority"]) if f.get("priority") is not None else None,
            )
            for f in spec.get("supportedModelFormats") or []
        )
        runtime = runtimes.Runtime(
            str(meta.get("name")),
            formats,
            tuple(str(p) for p in spec.get("protocolVersions") or []),
            multi_model=bool(spec.get("multiModel")),
            disabled=bool(spec.get("disabled")),
        )
        server: Mapping[str, Any] = next(
            (c for c in spec.get("containers") or [] if c.get("name") == SERVER_CONTAINER), {}
        )
        image = server.get("image")
        out.append(StackRuntime(runtime, str(image) if isinstance(image, str) else None))
    return tuple(out)


def cluster_facts(cloud: str, gpu: GpuScheduling) -> ClusterFacts:
    """The cluster facts from the seam: its ``cloud`` and its GPU scheduling's ``provisioner``,
    ``streamed_registries`` and the pools' preloaded images."""
    caches = tuple((p.accelerator, tuple(p.cached_images)) for p in gpu.pools.values())
    disks = tuple((p.accelerator, float(p.disk_gib)) for p in gpu.pools.values())
    return ClusterFacts(cloud, gpu.provisioner, tuple(gpu.streamed_registries), caches, disks)


def pool_caches(pools: Mapping[str, Any] | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """:attr:`ClusterFacts.image_caches` from a plan's cluster output ``gpuPools`` (each pool's ``accelerator`` and
    ``cachedImages``)."""
    out = []
    for pool in (pools or {}).values():
        if isinstance(pool, Mapping) and isinstance(pool.get("accelerator"), str):
            images = pool.get("cachedImages")
            out.append((str(pool["accelerator"]), tuple(str(i) for i in images) if isinstance(images, list) else ()))
    return tuple(out)


def pool_disks(pools: Mapping[str, Any] | None) -> tuple[tuple[str, float], ...]:
    """:attr:`ClusterFacts.pool_disks` from a plan's cluster output ``gpuPools`` (each pool's ``accelerator`` and
    ``diskSizeGib``; a plan saved before the key has none)."""
    out = []
    for pool in (pools or {}).values():
        if isinstance(pool, Mapping) and isinstance(pool.get("accelerator"), str):
            size = pool.get("diskSizeGib")
            if isinstance(size, int | float) and not isinstance(size, bool):
                out.append((str(pool["accelerator"]), float(size)))
    return tuple(out)


def facts_from_isvc(isvc: Mapping[str, Any], documents: Sequence[Mapping[str, Any]] = ()) -> ModelFacts:
    """A model's facts from a rendered InferenceService (``metadata`` and ``spec.predictor.model``); ``documents``:
    the other rendered objects, whose ServingRuntimes of the model's namespace decide its runtime
    (:func:`runtimes_from_documents`)."""
    meta = isvc.get("metadata") or {}
    predictor = (isvc.get("spec") or {}).get("predictor") or {}
    model = predictor.get("model") or {}
    container = (predictor.get("containers") or [{}])[0] if not model else {}
    limits = ((model or container).get("resources") or {}).get("limits") or {}
    size = (meta.get("annotations") or {}).get(MODEL_SIZE_ANNOTATION)
    uris = predictor.get("storageUris") or [{}]
    env_uri = next((e.get("value") for e in container.get("env") or [] if e.get("name") == "STORAGE_URI"), None)
    selector = predictor.get("nodeSelector") or {}
    accelerator = selector.get(ACCELERATOR_LABEL)
    return ModelFacts(
        name=str(meta.get("name")),
        format=str((model.get("modelFormat") or {}).get("name") or CUSTOM_FORMAT),
        gpus=int(limits.get(GPU_RESOURCE, 0) or 0),
        storage_uri=str(model.get("storageUri") or env_uri or uris[0].get("uri") or ""),
        model_size_gb=float(size) if size is not None else None,
        protocol=model.get("protocolVersion"),
        runtime=model.get("runtime"),
        runtime_version=model.get("runtimeVersion"),
        accelerator=str(accelerator) if accelerator is not None else None,
        load_format=load_format([str(a) for a in (model or container).get("args") or []]),
        format_version=str(version) if (version := (model.get("modelFormat") or {}).get("version")) else None,
        stack=runtimes_from_documents(documents, str(meta.get("namespace"))) if model else (),
        storage_uris=tuple(str(u.get("uri")) for u in predictor.get("storageUris") or [] if isinstance(u, Mapping)),
        pull_secrets=bool(predictor.get("imagePullSecrets")),
    )


MODEL_SIZE_ANNOTATION = "mlplatform.io/model-size-gb"
CUSTOM_FORMAT = "custom"
"""The format key of a custom container (``ModelSpec.container``) in coldstart.yaml."""
"""Where a rendered InferenceService carries the spec's ``modelSizeGb`` (set only when given)."""


def can_scale_to_zero(isvc: Mapping[str, Any]) -> bool:
    """Whether a rendered InferenceService's ``minReplicas`` is 0."""
    pred = (isvc.get("spec") or {}).get("predictor") or {}
    return pred.get("minReplicas") == 0


@dataclass(frozen=True)
class WarmPool:
    """A GPU pool with warm capacity, as the plan declares it: ``nodes`` kept warm, the pool's ``accelerator`` and
    ``gpus_per_node``, and the ``images`` its placeholders pre-pull."""

    pool: str
    nodes: int
    accelerator: str | None
    gpus_per_node: int
    images: tuple[str, ...] = ()
    instance_type: str | None = None
    """The pool's machine (its ``gpuPools`` output ``instanceType``), which its nodes carry as
    ``node.kubernetes.io/instance-type``; None when not known."""

    def node_labels(self) -> dict[str, str]:
        """The labels every node of the pool carries that are known here: the platform's accelerator and pool labels
        (components/clusters/base.py ``GpuScheduling.node_labels``) and the instance type, "the instance type ...
        defined by the cloud provider" (kubernetes.io/docs/reference/labels-annotations-taints/)."""
        labels = {POOL_LABEL: self.pool}
        if self.accelerator is not None:
            labels[ACCELERATOR_LABEL] = self.accelerator
        if self.instance_type is not None:
            labels[INSTANCE_TYPE_LABEL] = self.instance_type
        return labels


INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"


def _requirement_met(requirement: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """One ``matchExpressions`` entry of a node selector term against a node's known ``labels`` (Kubernetes core/v1
    ``NodeSelectorRequirement``: In, NotIn, Exists, DoesNotExist, Gt, Lt). A key whose value is not known here meets
    NotIn and DoesNotExist (the platform sets the labels it selects on) and nothing else."""
    key, operator = requirement.get("key"), requirement.get("operator")
    values = [str(v) for v in requirement.get("values") or ()]
    value = labels.get(str(key))
    if operator == "In":
        return value is not None and value in values
    if operator == "NotIn":
        return value is None or value not in values
    if operator == "Exists":
        return value is not None
    if operator == "DoesNotExist":
        return value is None
    if operator in ("Gt", "Lt") and value is not None and len(values) == 1:
        try:
            return int(value) > int(values[0]) if operator == "Gt" else int(value) < int(values[0])
        except ValueError:
            return False
    return False


def admits(predictor: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Whether a node with ``labels`` (the ones known here) admits a pod of ``predictor``: every ``nodeSelector`` key
    with its value, and one of the required node affinity's ``nodeSelectorTerms`` with all its ``matchExpressions``
    ("If you specify multiple terms in nodeSelectorTerms associated with nodeAffinity types, then the Pod can be
    scheduled onto a node if one of the specified terms can be satisfied"; "multiple expressions in a single
    matchExpressions field ... the Pod can be scheduled onto a node only if all the expressions are satisfied",
    kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/). A selector key not known here is not met: a
    warm start is promised only where it is sure (rev16g defect 2); a term with ``matchFields`` is not met either."""
    selector = predictor.get("nodeSelector") or {}
    if any(labels.get(str(k)) != str(v) for k, v in selector.items()):
        return False
    required = ((predictor.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if not required:
        return True
    terms = required.get("nodeSelectorTerms") or []
    return any(
        not term.get("matchFields") and all(_requirement_met(r, labels) for r in term.get("matchExpressions") or ())
        for term in terms
    )


def warm_cover(isvc: Mapping[str, Any], gpus: int, warm: Sequence[WarmPool]) -> WarmCover | None:
    """The warm capacity a rendered GPU InferenceService lands on: a pool with warm nodes that admit its predictor's
    pod (:func:`admits`: every key of its nodeSelector against the pool's known labels, and its required node
    affinity, such as the ``mlplatform.io/pool NotIn`` of a multi-GPU model, components/clusters/base.py
    ``GpuScheduling.multi_gpu_affinity``) and whose nodes have its GPUs. A model that finds no free GPU pre-empts a
    placeholder there instead of waiting for a new node (kubernetes/autoscaler cluster-autoscaler/FAQ.md: the
    autoscaler "doesn't trigger scale-up if an unschedulable pod is already waiting for a lower priority pod
    preemption"), so its cold start is the warm-node one; a pod the warm nodes would not admit starts from zero
    whatever capacity is warm (rev16g defect 2)."""
    if gpus <= 0:
        return None
    predictor = (isvc.get("spec") or {}).get("predictor") or {}
    for w in warm:
        if w.nodes > 0 and w.gpus_per_node >= gpus and admits(predictor, w.node_labels()):
            return WarmCover(w.pool, w.nodes, w.images)
    return None


def plan_estimates(
    isvcs: Sequence[Mapping[str, Any]],
    cluster: ClusterFacts | None,
    warm: Sequence[WarmPool] = (),
    documents: Sequence[Mapping[str, Any]] = (),
) -> list[Estimate]:
    """Estimates for every GPU model and every model that can scale to zero among rendered ``isvcs``, by name; a GPU
    model that ``warm`` capacity covers (:func:`warm_cover`) is marked so (:attr:`Estimate.expected`).
    ``documents``: the plan's other rendered objects; the ServingRuntimes of a model's namespace among them decide
    its runtime (:func:`facts_from_isvc`)."""
    if cluster is None:
        cluster = ClusterFacts(clouds.EXISTING.name)
    out = []
    for isvc in isvcs:
        facts = facts_from_isvc(isvc, documents)
        if facts.gpus > 0 or can_scale_to_zero(isvc):
            cover = warm_cover(isvc, facts.gpus, warm)
            est = estimate(facts, cluster, prepulled=cover.images if cover else ())
            out.append(Estimate(est.model, est.from_zero, est.warm_node, cover) if cover else est)
    return sorted(out, key=lambda e: e.model)


# ------------------------------------------------------------------------------------------------ node disk

GB_PER_GIB = 2**30 / 1e9
"""A disk is sized in GiB (``diskSizeGib``); images and models in GB."""


@dataclass(frozen=True)
class PoolDisk:
    """One GPU pool's node disk as the cluster code renders it, and what its new nodes hold before any model runs:
    ``cached``, the images its image cache lists; ``prepulled``, the images its warm capacity's placeholders pull."""

    name: str
    accelerator: str
    disk_gib: float
    cached: tuple[str, ...] = ()
    prepulled: tuple[str, ...] = ()
    slots: int = 1
    """How many GPU requests one node grants (:func:`node_slots`): a node of a pool that shares GPUs, or has several,
    runs several model pods, each with its own images and download."""
    cache_on_disk: bool = True
    """Whether the images the pool's cache lists are on this disk (False: on a disk of their own, GKE's secondary
    boot disk, coldstart.yaml ``imageCache.<cloud>.ownDisk``)."""


MIG_COMPUTE_SLICES = 7
"""The compute slices of a MIG GPU: every GPU with MIG in the catalog (A100 40/80 GB, H100 80 GB, H200) has "Max
Number of Instances" 7 (docs.nvidia.com/datacenter/tesla/mig-user-guide/supported-gpus.html), and a profile
``<g>g.<memory>gb`` names "its GPU Instance's compute slice count" ``g`` (mig-user-guide/mig-device-names.html)."""


def node_slots(gpus_per_node: int, sharing: str = "none", clients: int = 1, mig_profile: str | None = None) -> int:
    """How many GPU requests (``nvidia.com/gpu: 1`` each) one node of a pool grants: its GPUs; times ``clients`` for
    time-slicing and MPS (the device plugin advertises that many replicas of each GPU, components/clusters/base.py
    ``GpuPoolInfo.device_plugin_config``; GKE's ``max_shared_clients_per_gpu``); for MIG, times the partitions of
    the profile on one GPU, at most ``7 // g`` for a ``<g>g`` profile (:data:`MIG_COMPUTE_SLICES`; an upper bound:
    NVIDIA's table lists fewer for some profiles whose memory runs out first, such as 1g.10gb on the A100 40GB,
    so the disk check may count a pod more than fits, never fewer)."""
    gpus = max(1, int(gpus_per_node))
    if sharing in ("time-slicing", "mps"):
        return gpus * max(1, int(clients))
    if sharing == "mig" and mig_profile:
        head = mig_profile.split(".", 1)[0].lower().removeprefix("mig").rstrip("g")  # 1g.10gb, or AKS's MIG1g
        return gpus * max(1, MIG_COMPUTE_SLICES // int(head)) if head.isdigit() and int(head) > 0 else gpus
    return gpus


def _model_size(model: ModelFacts, d: Mapping[str, Any]) -> float:
    if model.model_size_gb is not None:
        return float(model.model_size_gb)
    return float(d["modelSize"].get(model.format, d["modelSize"][CUSTOM_FORMAT])["gb"])


def footprint(model: ModelFacts, data: Mapping[str, Any] | None = None) -> tuple[dict[str, float], float]:
    """What one pod of a GPU ``model`` puts on its node's disk: ``(images, download)``. ``images``: each image it
    pulls with its size in GB: its runtime's (the ``images`` class size; an image we do not know, a custom container
    or another runtime, at the ``default`` class, under a label naming the model) and its model images, which share
    the model's size (judgement for several: ``modelSizeGb`` is the whole model's). ``download``: the GB the storage
    initializer writes to the pod's emptyDir, the model's size for storage with a download rate (none for
    ``pvc://``, whose claim is mounted, nor for ``oci://``, which is an image)."""
    d = load() if data is None else data
    entry, known = _image_entry(model, d)
    runtime = str(entry["image"]) if known else f"{model.name}'s runtime image (size unknown)"
    images = {runtime: float(entry["gb"])}
    size = _model_size(model, d)
    oci = model_images(model)
    for image in oci:
        images[image] = round(size / len(oci), 2)
    kind = storage_kind(model.storage_uri)
    download = size if not oci and float(d["download"][kind]["gbPerMinute"]) > 0 else 0.0
    return images, download


def image_size(image: str, models: Sequence[ModelFacts], data: Mapping[str, Any] | None = None) -> float:
    """The size in GB of an image a pool's cache lists or its warm capacity pre-pulls: a stack model's runtime or
    model image (:func:`footprint`); else a runtime image we install (``images``, its ``-gpu`` tag too); else the
    ``default`` class (an image of unknown size)."""
    d = load() if data is None else data
    for model in models:
        found = footprint(model, d)[0].get(image)
        if found is not None:
            return found
    for entry in d["images"].values():
        if image in (str(entry["image"]), f"{entry['image']}-gpu"):
            return float(entry["gb"])
    return float(d["images"]["default"]["gb"])


SUBSET_LIMIT = 10
"""Above this many models of one accelerator, :func:`disk_need` counts every one's images at once (an upper bound)
instead of trying each set of them."""


def _fill(capacity: int, items: Sequence[tuple[int, float]]) -> float:
    """The most ``value`` that copies of ``items`` (``(weight, value)``, any number of each) fit in ``capacity``."""
    best = [0.0] * (capacity + 1)
    for c in range(1, capacity + 1):
        best[c] = max([best[c - 1], *(best[c - w] + v for w, v in items if 0 < w <= c)])
    return best[capacity]


def disk_need(
    pool: PoolDisk, models: Sequence[ModelFacts], data: Mapping[str, Any] | None = None, *, image_copies: float = 1.0
) -> tuple[float, str]:
    """The most one node of ``pool`` must hold, in GB, and what: the images its cache lists (unless they are on a
    disk of their own, :attr:`PoolDisk.cache_on_disk`) and its placeholders pre-pull, plus the model pods that may
    land on it together: every GPU model with the pool's accelerator may (its node selector names the accelerator),
    as many pods as the node grants GPU requests (:attr:`PoolDisk.slots`, each pod taking its model's GPUs), replicas
    of one model too. The pods that need the most are counted: the union of their images (each image once, as the
    kubelet stores it once) and the sum of their downloads (each pod's storage initializer writes its own emptyDir,
    kserve/kserve v0.20.0 storage_initializer_injector.go). ``image_copies``: what one image takes, in multiples of
    its size (2 where the node keeps the compressed layers beside the unpacked ones: coldstart.yaml
    ``nodeDisk.keepsCompressedLayers``)."""
    d = load() if data is None else data
    # Images on a disk of their own are read from there, by the pods and the placeholders alike (judgement for a
    # pre-pull: the runtime finds the image present and pulls nothing; coldstart.yaml imageCache.<cloud>.ownDisk).
    elsewhere = set() if pool.cache_on_disk else set(pool.cached)
    base = {i: image_size(i, models, d) * image_copies for i in (*pool.cached, *pool.prepulled) if i not in elsewhere}
    best, what = sum(base.values()), f"{len(base)} cached/pre-pulled image(s)"
    slots = max(1, pool.slots)
    pods = []
    for model in models:
        if model.gpus > 0 and model.accelerator == pool.accelerator:
            images, download = footprint(model, d)
            images = {k: v * image_copies for k, v in images.items() if k not in elsewhere}
            pods.append((model.name, min(max(1, model.gpus), slots), images, download))
    if len(pods) > SUBSET_LIMIT:
        images = {k: v for _, _, i, _ in pods for k, v in i.items()}
        downloads = _fill(slots, [(w, dl) for _, w, _, dl in pods])
        total = sum({**base, **images}.values()) + downloads
        if total > best:
            best = total
            what = (
                f"the {len({**base, **images})} image(s) of all {len(pods)} models of {pool.accelerator} + "
                f"{downloads:g} GB of downloads of {slots} pod(s) with the cached/pre-pulled ones (an upper bound)"
            )
        return round(best, 2), what
    for size in range(1, len(pods) + 1):
        for chosen in itertools.combinations(pods, size):
            used = sum(w for _, w, _, _ in chosen)
            if used > slots:
                continue
            images = {**base}
            for _, _, i, _ in chosen:
                images.update(i)
            downloads = sum(dl for *_, dl in chosen)
            more = _fill(slots - used, [(w, dl) for _, w, _, dl in chosen])
            total = sum(images.values()) + downloads + more
            if total > best + 1e-9:
                best = total
                names = " + ".join(n for n, *_ in chosen)
                pods_here = f"model {names}'s" if size == 1 else f"models {names}:"
                dl = downloads + more
                one = size == 1 and not more
                extra = (f" + its {dl:g} GB download" if one else f" + {dl:g} GB of downloads") if dl else ""
                reps = f" ({slots} GPU slots a node, replicas counted)" if slots > 1 else ""
                what = f"{pods_here} {len(images)} image(s){extra} with the cached/pre-pulled ones{reps}"
    return round(best, 2), what


def disk_problems(
    cloud: str, pools: Sequence[PoolDisk], models: Sequence[ModelFacts], data: Mapping[str, Any] | None = None
) -> list[tuple[str, object, str]]:
    """``(key path, value, why)`` for each GPU pool whose node disk cannot hold what lands on it (:func:`disk_need`)
    below the kubelet's image garbage collection threshold (``nodeDisk``), and, where the cloud's cache is a volume
    made from a snapshot (``imageCache.<cloud>.fromSnapshot``: the rule, with its source), whose listed images exceed
    the volume itself."""
    d = load() if data is None else data
    gc = float(d["nodeDisk"]["imageGcHighPercent"])
    snapshot = ((d.get("imageCache") or {}).get(cloud) or {}).get("fromSnapshot")
    out: list[tuple[str, object, str]] = []
    own_disk = ((d.get("imageCache") or {}).get(cloud) or {}).get("ownDisk")
    for pool in pools:
        if own_disk:
            # The cache's images are read from a disk of their own (coldstart.yaml imageCache.<cloud>.ownDisk).
            pool = replace(pool, cache_on_disk=False)
        volume = pool.disk_gib * GB_PER_GIB
        key = f"cluster.gpuPools.{pool.name}"
        listed = round(sum(image_size(i, models, d) for i in dict.fromkeys(pool.cached)), 2)
        if snapshot and pool.cached and listed > volume:
            out.append(
                (
                    f"{key}.imageCache.images",
                    f"{len(pool.cached)} images",
                    f"they total {listed:g} GB but the data volume made from the snapshot is {pool.disk_gib:g} GiB "
                    f"({volume:.1f} GB), and {' '.join(str(snapshot).split())}; list fewer images or give a larger "
                    "diskSizeGib",
                )
            )
            continue
        copies = 2.0 if cloud in (d["nodeDisk"].get("keepsCompressedLayers") or {}) else 1.0
        need, what = disk_need(pool, models, d, image_copies=copies)
        if copies > 1:
            what += "; each image twice: the node keeps its compressed layers beside the unpacked ones"
        limit = volume * gc / 100
        if need > limit:
            least = math.ceil(need / (gc / 100) / GB_PER_GIB)
            shown = math.floor(limit * 100) / 100  # rounded down, so it never reads as the need (rev16d defect 8)
            out.append(
                (
                    f"{key}.diskSizeGib",
                    pool.disk_gib,
                    f"a node of the pool must hold {need:g} GB ({what}) but the kubelet removes unused images past "
                    f"{gc:g}% of the disk (imageGCHighThresholdPercent), {shown:.2f} GB of {pool.disk_gib:g} GiB; "
                    f"give diskSizeGib >= {least}, or cache/pre-pull fewer images",
                )
            )
    return out


def stack_disk_problems(
    cloud: str,
    gpu_pools: Mapping[str, GpuPoolSpec],
    models: Mapping[str, ModelSpec],
    runtime_specs: Mapping[str, RuntimeSpec] | None,
    warm: Mapping[str, int],
) -> list[tuple[str, object, str]]:
    """:func:`disk_problems` of a stack's config: ``cluster.gpuPools`` (``accelerator``, ``disk_size_gib``,
    ``image_cache``, ``sharing``), its models and runtimes, and ``platform.warmCapacity`` (a pool with warm nodes
    that does not share GPUs pre-pulls :func:`prepull_images` of its accelerator's models, components/platform/
    warm.py)."""
    facts = [facts_from_spec(n, m, stack_runtimes(runtime_specs, m.namespace)) for n, m in models.items()]
    pools = []
    for name, pool in gpu_pools.items():
        warm_here = warm.get(name, 0) > 0 and pool.sharing.strategy == "none"
        prepulled = sorted({i for f in facts if f.accelerator == pool.accelerator for i in prepull_images(f)})
        cached = tuple(pool.image_cache.images) if pool.image_cache is not None else ()
        warm_images = tuple(prepulled) if warm_here else ()
        sharing = pool.sharing
        slots = node_slots(pool.gpus_per_node, sharing.strategy, sharing.max_clients_per_gpu, sharing.mig_profile)
        pools.append(PoolDisk(name, pool.accelerator, pool.disk_size_gib, cached, warm_images, slots))
    return disk_problems(cloud, pools, facts)
