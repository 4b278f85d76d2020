"""A GPU model's rendered cold-start budget covers the pulls a NEW node makes (issue #17, rev17f s02-s04).

``cold-start-from-zero-pulls``: components/coldstart.py writes one number, the model's cold start from zero GPU nodes
at the slow end of every step, into ``mlplatform.io/cold-start-seconds`` and ``serving.knative.dev/progress-deadline``
(components/serving/_runtime.py), and ``timeouts-cover-cold-start`` reads that number back: a slip in the estimate
moves the budget and its judge together. This rule re-derives a LOWER bound of the same number from the rendered
objects and the figures of components/coldstart.yaml (read through ``coldstart.load()``, never through the
estimate's code), so a slip that credits a pull the new node does not skip fails the plan:

- the node: the smallest sum, over the cloud's provisioners in ``nodeSteps``, of each step's slow end (the cloud from
  the plan's cluster type, :func:`policy.rules.percloud.owner`; none found: the smallest over every cloud);
- each image the pod pulls: the runtime image (the ``kserve-container`` image of the ServingRuntime of the model's
  namespace that KServe selects first, else the ClusterServingRuntime KServe selects for its format and protocol:
  components/serving/runtimes.py ``select``, the model of KServe v0.20.0 ``GetSupportingRuntimes``; its size the
  runtime's ``images`` entry, a stack runtime's the smallest size in ``images``) and the model image of an
  ``oci://`` ``storageUri`` (KServe v0.20.0 pkg/utils/storage.go ``ConfigureModelcarToContainer`` runs
  ``strings.TrimPrefix(modelUri, constants.OciURIPrefix)`` as the ``modelcar-init`` and ``modelcar`` image; its size
  the model's ``mlplatform.io/model-size-gb``, else the format's ``modelSize``), each at its size over the slow pull
  rate (where a registry may be streamed, at most the streamed figure);
- readiness at its slow end. The load step is left out (a lower bound).

An image is dropped (a cache holds it) only when it is pinned (a digest or a tag other than ``latest``: the modelcar
containers set no pull policy, so ``latest``/no tag is pulled ``Always``, "re-downloaded every time a Pod restarts or
scales up", kserve/website docs/model-serving/storage/providers/oci.md) AND every GPU pool of the model's
accelerator lists it in ``imageCache.images`` (the saved plan's ``settings.imageCaches``; where the settings do not
say, every pinned image is taken as cached: still a lower bound). Warm capacity's pre-pull is never credited: from
zero the autoscaler adds a NEW node, which holds no pre-pulled image (components/coldstart.py ``estimate``:
"fromZero is a new node: unchanged").

What this rule does not see: the plan report's ``coldStart`` figures (``mlplatform plan`` prints them; they are not
rendered objects). rev17f's s02/s04 (a warm pre-pull counted from zero) move only that report, not the rendered
budget (measured: cover-aws-node-groups resnet50 kept ``cold-start-seconds`` 690 while the report's fromZero went
from 11.5 to 7.3 min); tests/test_coldstart.py guards them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map, is_k8s, reading

ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
SERVING_RUNTIME = "kubernetes:serving.kserve.io/v1alpha1:ServingRuntime"
COLD_START = "mlplatform.io/cold-start-seconds"
PROGRESS_DEADLINE = "serving.knative.dev/progress-deadline"
MODEL_SIZE = "mlplatform.io/model-size-gb"
ACCELERATOR = "mlplatform.io/accelerator"
GPU = "nvidia.com/gpu"
OCI = "oci://"
SERVER_CONTAINER = "kserve-container"
"""Restated from the platform (components/serving/_runtime.py, components/naming.py) so a slip there is caught."""
GPU_TAG_SERVER_TYPES = ("tensorflow-serving", "torchserve", "huggingfaceserver")
"""The server types whose GPU build is the same image with a ``-gpu`` tag suffix: KServe v0.20.0
pkg/controller/v1beta1/inferenceservice/utils/utils.go ``UpdateImageTag`` lines 358-379 (the runtime's
``serving.kserve.io/server-type`` annotation; ``ServerTypeTensorflowServing``, ``ServerTypeTorchServe``,
``ServerTypeHuggingFaceServer``, pkg/constants/constants.go lines 612-619)."""
GPU_TAG_RUNTIMES = (
    "kserve-huggingfaceserver",
    "kserve-huggingfaceserver-multinode",
    "kserve-tensorflow-serving",
    "kserve-torchserve",
)
"""The ClusterServingRuntimes of :data:`GPU_TAG_SERVER_TYPES` (their annotation in
../shared/upstream/reference/kserve-v0.20.0-clusterservingruntimes.yaml). The rule's own copy, not
components/serving/runtimes.py ``GPU_TAG_RUNTIMES``: the platform's warm-capacity pre-pulls and the rule's
expectation of them both came from that constant, so a runtime dropped there pre-pulled the CPU tag while the rule
expected the same (fix17k). tests/policy/test_policy_fix17k.py pins it to the upstream file and to the platform's."""


def pinned(image: str) -> bool:
    """A digest, or a tag (after the last ``/``) other than ``latest``."""
    if "@" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    return ":" in last and last.rsplit(":", 1)[1] not in ("", "latest")


def _slow(entry: Mapping[str, Any]) -> float:
    return float(entry.get("high", entry["minutes"]))


def _node_minutes(d: Mapping[str, Any], cloud: str | None) -> float:
    steps = d["nodeSteps"]
    clouds = [cloud] if cloud in steps else list(steps)
    sums = [sum(_slow(s) for s in prov) for c in clouds for prov in (steps[c] or {}).values()]
    return min(sums) if sums else 0.0


def _pull_minutes(gb: float, rate: Mapping[str, Any], d: Mapping[str, Any], streamable: bool) -> float:
    whole = gb / float(rate.get("gbPerMinuteSlow", rate["gbPerMinute"]))
    if not streamable:
        return whole
    s = d["imageStreaming"]
    return whole if s.get("slowEnd") == "wholePull" else min(whole, _slow(s))


def _cloud(resources: Sequence[Resource]) -> str | None:
    from policy.rules import percloud

    for r in resources:
        if percloud.kind(r.type) == "cluster":
            owner = percloud.owner(r.type)
            if owner is not None:
                return owner.name
    return None


def _namespaced(resources: Sequence[Resource], namespace: str | None) -> list[tuple[Any, str | None]]:
    """The rendered ServingRuntimes of ``namespace`` as runtime selection sees them, with their server image."""
    from components.serving import runtimes

    out = []
    for r in resources:
        if not (r.type == SERVING_RUNTIME or is_k8s(r, "ServingRuntime")) or r.namespace != namespace:
            continue
        spec = as_map(r.props.get("spec"))
        formats = tuple(
            runtimes.Format(
                str(as_map(f).get("name")),
                str(as_map(f)["version"]) if as_map(f).get("version") is not None else None,
                bool(as_map(f).get("autoSelect")),
                int(as_map(f)["priority"]) if isinstance(as_map(f).get("priority"), int) else None,
            )
            for f in as_list(spec.get("supportedModelFormats"))
        )
        rt = runtimes.Runtime(
            r.k8s_name,
            formats,
            tuple(str(p) for p in as_list(spec.get("protocolVersions"))),
            multi_model=spec.get("multiModel") is True,
            disabled=spec.get("disabled") is True,
        )
        server = next(
            (as_map(c) for c in as_list(spec.get("containers")) if as_map(c).get("name") == SERVER_CONTAINER), {}
        )
        image = server.get("image")
        out.append((rt, image if isinstance(image, str) else None))
    return out


def runtime_pull(
    model: Mapping[str, Any], namespace: str | None, resources: Sequence[Resource], d: Mapping[str, Any]
) -> tuple[str, float, str | None] | None:
    """The runtime image KServe runs for ``model`` (its runtime's ``image``, before :func:`pod_image`), its size in
    GB and the ClusterServingRuntime's name (None for the namespace's own), or None when not known (a runtime the
    stack neither installs nor renders)."""
    from components.serving import runtimes

    fmt = as_map(model.get("modelFormat"))
    stack = _namespaced(resources, namespace)
    version = fmt.get("version")
    chosen, _ = runtimes.select(
        str(fmt.get("name")),
        model.get("protocolVersion") if isinstance(model.get("protocolVersion"), str) else None,
        model.get("runtime") if isinstance(model.get("runtime"), str) else None,
        str(version) if version is not None else None,
        tuple(rt for rt, _ in stack),
    )
    if chosen is None:
        return None
    own = next(((rt, image) for rt, image in stack if rt.name == chosen), None)
    if own is not None:
        smallest = min(float(e["gb"]) for e in d["images"].values())
        return (own[1] or f"stack runtime {chosen}", smallest, None)
    entry = d["images"].get(chosen)
    return None if entry is None else (str(entry["image"]), float(entry["gb"]), chosen)


def _spellings(image: str, model: Mapping[str, Any]) -> set[str]:
    """The references the pod may pull for a runtime ``image``: KServe v0.20.0 ``UpdateImageTag``
    (pkg/controller/v1beta1/inferenceservice/utils/utils.go) appends ``-gpu`` to the tag of some runtimes on GPUs and
    puts ``runtimeVersion`` in place of the tag; a cache listing any of them counts (a lower bound)."""
    out = {image, image + "-gpu"}
    version = model.get("runtimeVersion")
    if isinstance(version, str) and version:
        name, sep, tag = image.rpartition(":")
        out.add(f"{name if sep and '/' not in tag else image}:{version}")
    return out


def pod_image(image: str, runtime: str | None, model: Mapping[str, Any]) -> str:
    """The image KServe v0.20.0 ``UpdateImageTag`` (pkg/controller/v1beta1/inferenceservice/utils/utils.go) runs for a
    GPU model: a digest kept; ``runtimeVersion`` in place of the tag; else ``-gpu`` appended to the tag of the runtimes
    whose GPU build is so named (:data:`GPU_TAG_RUNTIMES`; a stack runtime has none)."""
    if "@sha256:" in image:
        return image
    version = model.get("runtimeVersion")
    if isinstance(version, str) and version:
        name, sep, tag = image.rpartition(":")
        return f"{name if sep and '/' not in tag else image}:{version}"
    if runtime in GPU_TAG_RUNTIMES and not image.endswith("-gpu"):
        return image + "-gpu"
    return image


def _cached(image: str, accelerator: Any, facts: Facts) -> bool:
    if not pinned(image):
        return False
    caches = facts.image_caches
    if caches is None:
        return True  # not known: taken as cached (lower bound)
    pools = [images for acc, images in caches if acc == accelerator]
    return bool(pools) and all(image in images for images in pools)


def lower_bound(
    res: Resource, model: Mapping[str, Any], resources: Sequence[Resource], facts: Facts, cloud: str | None
) -> tuple[int, list[str]]:
    """Whole seconds (rounded down) of the lower bound and what it counted."""
    from components import coldstart

    d = coldstart.load()
    accelerator = as_map(res.get("spec.predictor.nodeSelector")).get(ACCELERATOR)
    node = _node_minutes(d, cloud)
    parts = [f"node {node:g} min"]
    total = node
    rt = runtime_pull(model, res.namespace, resources, d)
    if rt is not None:
        image, gb, _ = rt
        if any(_cached(i, accelerator, facts) for i in _spellings(image, model)):
            parts.append(f"runtime image {image} cached")
        else:
            m = _pull_minutes(gb, d["imagePull"], d, True)
            total += m
            parts.append(f"runtime image {image} {m:.2f} min")
    uri = model.get("storageUri")
    if isinstance(uri, str) and uri.startswith(OCI):
        image = uri[len(OCI) :]
        size = as_map(res.metadata.get("annotations")).get(MODEL_SIZE)
        try:
            gb = (
                float(size)
                if size is not None
                else float(d["modelSize"][str(as_map(model.get("modelFormat")).get("name"))]["gb"])
            )
        except (KeyError, TypeError, ValueError):
            gb = 0.0
        if _cached(image, accelerator, facts):
            parts.append(f"model image {image} cached")
        else:
            streamed = bool(d["modelImage"]["streaming"]["counted"])
            m = _pull_minutes(gb, d["download"]["oci"], d, streamed)
            total += m
            parts.append(f"model image {image} {m:.2f} min" + ("" if pinned(image) else " (pulled Always)"))
    ready = _slow(d["readiness"])
    total += ready
    parts.append(f"readiness {ready:g} min")
    return int(total * 60), parts


def _seconds(value: Any) -> int | None:
    from components.serving.timeouts import go_duration_seconds

    if isinstance(value, str) and value.isdigit():
        return int(value)
    return go_duration_seconds(value)


def _check(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    cloud = _cloud(resources)
    for res in resources:
        if not (res.type == ISVC or is_k8s(res, "InferenceService")):
            continue
        model = res.get("spec.predictor.model")
        annotations = res.metadata.get("annotations")
        if not isinstance(model, Mapping) or not isinstance(annotations, Mapping):
            continue
        limits = as_map(as_map(model.get("resources")).get("limits"))
        gpus = limits.get(GPU)
        try:
            if gpus is UNKNOWN or int(gpus or 0) <= 0:
                continue
        except (TypeError, ValueError):
            continue
        need, parts = lower_bound(res, model, resources, facts, cloud)
        for key in (COLD_START, PROGRESS_DEADLINE):
            value = annotations.get(key)
            if value is None or value is UNKNOWN:
                continue
            got = _seconds(value)
            if got is None:
                continue  # timeouts-cover-cold-start fails an unreadable deadline
            if got < need:
                yield Finding(
                    res.urn,
                    f"models/{res.k8s_name}: {key} {value!r} is below the pulls a new GPU node makes from zero, at "
                    f"least {need}s ({'; '.join(parts)}): a cache or a warm pre-pull is credited where none applies",
                )


RULES = [
    Rule(
        name="cold-start-from-zero-pulls",
        description=(
            "A GPU model's mlplatform.io/cold-start-seconds and progress deadline are at least a lower bound "
            "re-derived from the rendered objects and components/coldstart.yaml: the node figure, the pull of its "
            "runtime image and of its oci:// model image (dropped only when pinned and every pool of its "
            "accelerator caches it; never for a warm pre-pull) and readiness."
        ),
        enforcement="mandatory",
        area="gpu",
        applies_to=(ISVC, SERVING_RUNTIME),
        check_stack=_check,
        remediation=(
            "Keep components/coldstart.py's fromZero case free of warm pre-pulls and of caches for images pulled "
            "Always (a :latest or untagged oci:// image); pin the model image and list it in every pool's imageCache."
        ),
        unknown=reading(
            {
                "InferenceService": ("metadata.annotations.*", "spec.predictor.model", "spec.predictor.nodeSelector"),
                "ServingRuntime": ("spec.*",),
            }
        ),
    ),
]
