"""Container images by a fixed reference (the fifth hostile review of issue #17, /work/wt/rev17e-report.md s12).

``images-tagged``: every container and init container image the platform renders in a pod spec (Deployments,
DaemonSets, StatefulSets, Jobs, the warm-capacity placeholders and their pre-pull init containers, InferenceService
components, ServingRuntimes: :func:`policy.rules.base.pod_specs`) names a tag other than ``latest``, or a digest.
Kubernetes, concepts/containers/images (kubernetes.io/docs/concepts/containers/images/): "If you don't specify a
tag, Kubernetes assumes you mean the tag latest", and "You should avoid using the :latest tag when deploying
containers in production as it is harder to track which version of the image is running and more difficult to roll
back"; "Image tags ... can be changed ... Using a digest ... fixes the code you run". An image with a digest
(``@sha256:...``) passes whatever its tag says (the digest is what is pulled).

What KServe fills in is not the platform's rendering and is not judged: an InferenceService component container
(``model``, ``art``...) that gives no ``image`` gets its runtime's image from KServe (kserve/kserve v0.20.0
pkg/apis/serving/v1beta1/predictor_model.go, the ServingRuntime's container is merged under the model's; the
ClusterServingRuntimes' ``<image>:<tag>`` pairs come from KServe's own chart values, pinned by the KServe version the
platform installs). An explicit ``image`` there is judged like any other.

Helm releases render their own pods from their values; what the platform gives there is judged too (issue #17, the
lead's follow-up to rev17e: a values override ``image.tag: latest`` would float a platform component). The charts
spell an image as a map whose ``tag`` sits beside ``repository``/``image``/``hub`` (karpenter 1.14.1 values.yaml
``controller.image.tag``, kserve-resources v0.20.0 ``kserve.controller.tag``, dcgm-exporter 4.8.2 ``image.tag``,
Istio 1.30.3 ``global.tag``: /work/shared/upstream/chart-values), or as one ``image`` string. A ``tag`` (or an
``image``/``...Image`` string's tag) of ``latest`` fails unless a ``digest``/``sha`` beside it pins the image; an
empty or absent tag is the chart's own default (its appVersion, fixed by the pinned chart version: dcgm-exporter's
values say "Image tag defaults to AppVersion") and passes, as does an ``image`` string without a tag (the chart
adds the tag from its sibling key or appVersion).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policy.rules.base import UNKNOWN, Facts, Resource, Rule, as_map, containers, pod_specs, who

WORKLOADS = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
    "kubernetes:core/v1:Pod",
    "kubernetes:serving.kserve.io/v1beta1:InferenceService",
    "kubernetes:serving.kserve.io/v1alpha1:ServingRuntime",
    "kubernetes:serving.kserve.io/v1alpha1:ClusterServingRuntime",
)
HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
FLOATING = "latest"
PINS = ("digest", "sha")
"""Keys beside a chart's ``tag`` that pin the image by digest (karpenter ``controller.image.digest``, cert-manager
``image.digest``, kube-prometheus-stack ``image.sha``)."""


def tag_problem(image: str) -> str | None:
    """Why ``image`` is not a fixed reference, or None: a digest fixes it; else the tag is the text after the last
    ``:`` that follows the last ``/`` (a ``:`` before it is a registry port: ``host:5000/app``), and must be given,
    non-empty and not ``latest``."""
    if "@" in image:
        digest = image.split("@", 1)[1]
        return None if ":" in digest and digest.split(":", 1)[1] else f"image {image!r} has an empty digest"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"image {image!r} names no tag (Kubernetes pulls :latest, which can change under the same name)"
    tag = last.rsplit(":", 1)[1]
    if not tag:
        return f"image {image!r} has an empty tag"
    if tag == FLOATING:
        return f"image {image!r} is the mutable tag latest (what runs can change without a diff)"
    return None


def _floating_values(values: Any, path: str) -> Iterator[str]:
    """Where a Helm values tree floats an image on ``latest`` (see the module doc), as ``path: why``."""
    if isinstance(values, list):
        for i, item in enumerate(values):
            yield from _floating_values(item, f"{path}[{i}]")
        return
    if not isinstance(values, dict):
        return
    pinned = any(isinstance(values.get(k), str) and values.get(k) for k in PINS)
    for key, value in values.items():
        where = f"{path}.{key}" if path else str(key)
        if isinstance(value, str) and not pinned:
            if key == "tag" and value.strip().lower() == FLOATING:
                yield f"{where}: {value!r} is the mutable tag latest"
            elif (key == "image" or str(key).endswith("Image")) and "@" not in value:
                last = value.rsplit("/", 1)[-1]
                if ":" in last and last.rsplit(":", 1)[1].strip().lower() == FLOATING:
                    yield f"{where}: image {value!r} is the mutable tag latest"
        else:
            yield from _floating_values(value, where)


def _images(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type in HELM_TYPES:
        values = res.props.get("values")
        if values is UNKNOWN:
            return
        for floating in _floating_values(as_map(values), "values"):
            yield f"Helm release {res.name} {floating} (what runs can change without a diff); give a version or none"
        return
    for path, spec in pod_specs(res):
        for where, c in containers(spec):
            image = c.get("image")
            if image is UNKNOWN or image is None:
                continue  # known after deploy (the unknown hook says so); absent: KServe fills the runtime's
            found = tag_problem(str(image)) if isinstance(image, str) else f"image {image!r} is not a reference"
            if found:
                yield f"{who(res)} {path}.{where}: {found}; give a version tag or a digest"


def _unknown(res: Resource) -> str | None:
    if res.type in HELM_TYPES:
        return f"Helm release {res.name} values" if res.props.get("values") is UNKNOWN else None
    for path, spec in pod_specs(res):
        for where, c in containers(spec):
            if c.get("image") is UNKNOWN:
                return f"{who(res)} {path}.{where}.image"
    return None


RULES = [
    Rule(
        name="images-tagged",
        description=(
            "Every container and init container image the platform renders in a pod spec (workloads, warm "
            "placeholders, InferenceService components, ServingRuntimes) names a tag other than latest, or a digest "
            "(no tag means latest); no Helm release's values set an image tag of latest without a digest."
        ),
        enforcement="mandatory",
        area="kubernetes",
        applies_to=WORKLOADS + HELM_TYPES,
        check_resource=_images,
        remediation=(
            "Give the image a version tag (registry/app:1.4) or a digest (registry/app@sha256:...); in Helm values "
            "leave the tag to the chart's pinned appVersion or give a version."
        ),
        unknown=_unknown,
    ),
]
