"""cold-start-from-zero-pulls and images-tagged over oci:// storage (issue #17, sixth mutation round rev17f s02-s04).

The estimate (components/coldstart.py) writes one number into ``mlplatform.io/cold-start-seconds`` and
``serving.knative.dev/progress-deadline``, and ``timeouts-cover-cold-start`` reads it back; the new rule re-derives a
lower bound from the rendered objects and coldstart.yaml's figures, so a budget that credits a pull a new node makes
fails even when the chain moved with it. Each "fails" case below is the rendered result of a slip in the estimate;
each "passes" case the shipped estimate's own number.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from components import coldstart
from components.errors import SpecError
from components.serving._runtime import PULUMI_MARGIN_SECONDS
from policy.rules import ALL_RULES, UNKNOWN, Resource, StackSettings
from support import cover_plan, mutated_resources, rule_entries

RULE = "cold-start-from-zero-pulls"
AWS = "cover-aws-node-groups"
GCP = "cover-gcp-standard"
COLD = "mlplatform.io/cold-start-seconds"
DEADLINE = "serving.knative.dev/progress-deadline"
SIZE = "mlplatform.io/model-size-gb"
MODEL_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/models/resnet50"
IGNORED = ("keyvault-key-rotation", "network-policy-enforced")


def isvc(name: str) -> Any:
    return lambda r: r.type.endswith(":InferenceService") and r.k8s_name == name


def failing(resources: list[Resource], settings: StackSettings, *ignore: str) -> dict[str, list[str]]:
    """The failing rules and their messages; ``ignore``: rules that judge the same change from another side."""
    out: dict[str, list[str]] = {}
    for e in rule_entries(resources, settings):
        if not e["passed"] and e["policy"] not in (*IGNORED, *ignore):
            out.setdefault(e["policy"], []).append(e["message"])
    return out


def with_caches(settings: StackSettings, caches: tuple[tuple[str, tuple[str, ...]], ...] | None) -> StackSettings:
    return dataclasses.replace(settings, facts=dataclasses.replace(settings.facts, image_caches=caches))


def budget(seconds: int) -> Any:
    """A slip in the estimate moves the budget and the progress deadline together (components/serving/_runtime.py)."""

    def change(props: dict[str, Any]) -> None:
        props["metadata"]["annotations"][COLD] = str(seconds)
        props["metadata"]["annotations"][DEADLINE] = f"{seconds}s"
        props["metadata"]["annotations"]["pulumi.com/timeoutSeconds"] = str(seconds + PULUMI_MARGIN_SECONDS)

    return change


def oci(uri: str, seconds: int, size: float = 16.0) -> Any:
    def change(props: dict[str, Any]) -> None:
        props["spec"]["predictor"]["model"]["storageUri"] = uri
        props["metadata"]["annotations"][SIZE] = f"{size:g}"
        budget(seconds)(props)

    return change


def resnet_facts(uri: str, size: float | None = 16.0) -> coldstart.ModelFacts:
    return coldstart.ModelFacts(
        "resnet50", "pytorch", 1, uri, size, protocol="v1", accelerator="nvidia-l4", runtime=None
    )


def estimate_seconds(uri: str, caches: tuple[tuple[str, tuple[str, ...]], ...], size: float | None = 16.0) -> int:
    """The shipped estimate's from-zero budget of the cover stack's resnet50 with ``uri`` and the pools' caches."""
    cluster = coldstart.ClusterFacts("aws", "node-groups", (), caches)
    return coldstart.deadline_seconds(resnet_facts(uri, size), cluster)


def test_the_rule_passes_and_judges_every_gpu_model_of_the_cover_stacks() -> None:
    for stack in (AWS, GCP):
        resources, settings = cover_plan(stack)
        entries = [e for e in rule_entries(resources, settings) if e["policy"] == RULE]
        assert entries and all(e["passed"] and not e.get("unchecked") for e in entries), entries


def test_a_budget_without_the_runtime_image_pull_fails_though_the_timeouts_chain_moved_with_it() -> None:
    """rev17f s04's shape on the rendered budget: the runtime image (pytorch/torchserve-kfs:0.9.0-gpu, 8.4 GB at the
    slow 2.0 GB/min: 252 s) counted as pre-pulled from zero. timeouts-cover-cold-start passes (it reads the same
    number back); this rule does not."""
    resources, settings = cover_plan(AWS)
    shipped = estimate_seconds("s3://mlp-cover-models/resnet50/v1", (), None)
    found = failing(mutated_resources(resources, isvc("resnet50"), budget(shipped - 252), exactly=1), settings)
    assert sorted(found) == [RULE], found
    assert any(COLD in m for m in found[RULE]) and any(DEADLINE in m for m in found[RULE])
    assert all("torchserve-kfs" in m for m in found[RULE])


def test_the_shipped_estimate_is_never_below_the_bound() -> None:
    resources, settings = cover_plan(AWS)
    shipped = estimate_seconds("s3://mlp-cover-models/resnet50/v1", (), None)
    assert RULE not in failing(mutated_resources(resources, isvc("resnet50"), budget(shipped), exactly=1), settings)


@pytest.mark.parametrize("tag", [":latest", ""])
def test_s03_an_unpinned_model_image_a_cache_lists_is_not_cached(tag: str) -> None:
    """rev17f s03: components/coldstart.py without ``not pinned(image)`` credits the cache for an image pulled
    Always (kserve/website docs/model-serving/storage/providers/oci.md: :latest or no tag "would be re-downloaded
    every time a Pod restarts or scales up"). The slipped estimate is what the shipped one gives for the same image
    pinned; rendered on the unpinned image it fails (images-tagged fails the unpinned image too)."""
    resources, settings = cover_plan(AWS)
    image = MODEL_IMAGE + tag
    caches = (("nvidia-l4", (image,)),)
    slipped = estimate_seconds("oci://" + MODEL_IMAGE + ":v1", (("nvidia-l4", (MODEL_IMAGE + ":v1",)),))
    shipped = estimate_seconds("oci://" + image, caches)
    assert shipped - slipped > 300  # 16 GB pulled at 2.0 GB/min vs read from the cache
    mutated = mutated_resources(resources, isvc("resnet50"), oci("oci://" + image, slipped), exactly=1)
    found = failing(mutated, with_caches(settings, caches), "warm-capacity-preemptible")
    assert sorted(found) == sorted(["images-tagged", RULE]), found
    assert "pulled Always" in found[RULE][0]
    mutated = mutated_resources(resources, isvc("resnet50"), oci("oci://" + image, shipped), exactly=1)
    assert sorted(failing(mutated, with_caches(settings, caches), "warm-capacity-preemptible")) == ["images-tagged"]


def test_a_pinned_model_image_every_pool_caches_is_dropped_and_one_pool_without_it_is_not() -> None:
    resources, settings = cover_plan(AWS)
    image = MODEL_IMAGE + ":v1"
    everywhere = (("nvidia-l4", (image,)),)
    credited = estimate_seconds("oci://" + image, everywhere)
    mutated = mutated_resources(resources, isvc("resnet50"), oci("oci://" + image, credited), exactly=1)
    assert failing(mutated, with_caches(settings, everywhere), "warm-capacity-preemptible") == {}
    # a second L4 pool without the image: the model may land there and pull 16 GB (coldstart.ClusterFacts.cached)
    partly = (("nvidia-l4", (image,)), ("nvidia-l4", ()))
    found = failing(mutated, with_caches(settings, partly), "warm-capacity-preemptible")
    assert sorted(found) == [RULE], found
    # the estimate with that second pool does not credit the cache either, and passes
    honest = estimate_seconds("oci://" + image, partly)
    mutated = mutated_resources(resources, isvc("resnet50"), oci("oci://" + image, honest), exactly=1)
    assert failing(mutated, with_caches(settings, partly), "warm-capacity-preemptible") == {}


def test_a_warm_pre_pull_is_never_credited_from_zero() -> None:
    """rev17f s02/s04 in rendered form: the warm node's case (pre-pulled images, no node steps) as the budget."""
    resources, settings = cover_plan(AWS)
    uri = "oci://" + MODEL_IMAGE + ":v1"
    facts = resnet_facts(uri)
    cluster = coldstart.ClusterFacts("aws", "node-groups")
    warm = coldstart.estimate(facts, cluster, prepulled=coldstart.pod_images(facts))
    node = sum(s.slow for s in warm.from_zero.steps[:2])
    slipped = int((warm.warm_node.high + node) * 60)  # the node steps, but both pulls as pre-pulled
    mutated = mutated_resources(resources, isvc("resnet50"), oci(uri, slipped), exactly=1)
    found = failing(mutated, with_caches(settings, (("nvidia-l4", ()),)), "warm-capacity-preemptible")
    assert sorted(found) == [RULE], found


def test_an_unknown_budget_is_reported_unchecked() -> None:
    resources, _ = cover_plan(AWS)

    def change(props: dict[str, Any]) -> None:
        props["metadata"]["annotations"][COLD] = UNKNOWN

    rule = next(r for r in ALL_RULES if r.name == RULE)
    assert rule.unknown is not None
    assert not rule.unchecked(list(resources))
    assert "not checked" in rule.unchecked(mutated_resources(resources, isvc("resnet50"), change, exactly=1))


def test_image_caches_round_trip_through_saved_settings() -> None:
    _, settings = cover_plan(AWS)
    assert settings.facts.image_caches == (("nvidia-l4", ()),)
    cached = with_caches(settings, (("nvidia-l4", (MODEL_IMAGE + ":v1",)),))
    assert StackSettings.from_json(cached.to_json()).facts.image_caches == cached.facts.image_caches
    doc = cached.to_json()
    doc.pop("imageCaches")
    assert StackSettings.from_json(doc).facts.image_caches is None  # a plan saved before the key: not known
    with pytest.raises(SpecError, match=r"settings\.imageCaches"):
        StackSettings.from_json({**doc, "imageCaches": [["nvidia-l4", "not-a-list"]]})


# ------------------------------------------------------------------------------------------------ images-tagged


@pytest.mark.parametrize(
    ("where", "image", "ok"),
    [
        ("model", MODEL_IMAGE + ":v1", True),
        ("model", MODEL_IMAGE + "@sha256:0123abcd", True),
        ("model", MODEL_IMAGE + ":latest", False),
        ("model", MODEL_IMAGE, False),
        ("uris", MODEL_IMAGE + ":latest", False),
        ("uris", MODEL_IMAGE + ":v2", True),
    ],
)
def test_images_tagged_judges_oci_storage_uris_as_the_modelcar_image(where: str, image: str, ok: bool) -> None:
    """KServe runs an oci:// URI minus the prefix as the modelcar-init and modelcar containers' image
    (pkg/utils/storage.go ConfigureModelcarToContainer, called by the pod webhook's InjectModelcar for an oci://
    source URI)."""
    resources, settings = cover_plan(AWS)

    def change(props: dict[str, Any]) -> None:
        if where == "model":
            props["spec"]["predictor"]["model"]["storageUri"] = "oci://" + image
        else:
            props["spec"]["predictor"]["storageUris"] = [{"uri": "oci://" + image, "mountPath": "/mnt/models"}]

    found = failing(
        mutated_resources(resources, isvc("resnet50"), change, exactly=1), settings, "warm-capacity-preemptible"
    )
    assert ("images-tagged" not in found) is ok, found
    if not ok:
        assert "modelcar" in found["images-tagged"][0]


# ------------------------------------------------------------------------------------------------ warm pre-pulls (s05)

WARM = "warm-capacity-preemptible"
ACME = "ghcr.io/acme/onnx-server:1.2"
"""The cover stack's own ServingRuntime acme-onnx (autoSelect onnx, priority 2) in the models namespace: KServe
v0.20.0 selects it for bert-onnx before the ClusterServingRuntimes (GetSupportingRuntimes)."""


def placeholder(r: Resource) -> bool:
    return r.type == "kubernetes:apps/v1:Deployment" and r.k8s_name == "warm-l4"


def prepulls(*images: str) -> Any:
    def change(props: dict[str, Any]) -> None:
        containers = props["spec"]["template"]["spec"]["containers"]
        # the placeholder (pause) first, then one pre-pull container per image (fix16c: one failed pull blocks none)
        props["spec"]["template"]["spec"]["containers"] = [containers[0]] + [
            {**containers[1], "name": f"prepull-{i}", "image": image} for i, image in enumerate(images)
        ]

    return change


def test_the_cover_placeholder_pre_pulls_the_stack_runtime_and_kserves_gpu_image() -> None:
    resources, settings = cover_plan(AWS)
    (warm,) = [r for r in resources if placeholder(r)]
    images = [c["image"] for c in warm.props["spec"]["template"]["spec"]["containers"][1:]]
    assert images == [ACME, "pytorch/torchserve-kfs:0.9.0-gpu"]
    entries = [e for e in rule_entries(resources, settings) if e["policy"] == WARM]
    assert entries and all(e["passed"] and not e.get("unchecked") for e in entries), entries


@pytest.mark.parametrize(
    ("images", "missing"),
    [
        # rev17f s05: the stack runtime ignored, the placeholders pre-pull KServe's onnx server (Triton) instead
        (("nvcr.io/nvidia/tritonserver:23.05-py3", "pytorch/torchserve-kfs:0.9.0-gpu"), ACME),
        # KServe runs torchserve's GPU build on a GPU pod (UpdateImageTag appends -gpu): the CPU tag is another image
        ((ACME, "pytorch/torchserve-kfs:0.9.0"), "pytorch/torchserve-kfs:0.9.0-gpu"),
        ((ACME,), "pytorch/torchserve-kfs:0.9.0-gpu"),
    ],
)
def test_a_placeholder_that_misses_a_gpu_models_runtime_image_fails(images: tuple[str, ...], missing: str) -> None:
    resources, settings = cover_plan(AWS)
    found = failing(mutated_resources(resources, placeholder, prepulls(*images), exactly=1), settings)
    assert sorted(found) == [WARM], found
    assert all(missing in m for m in found[WARM]), found


def test_a_placeholder_pre_pulls_an_oci_models_image() -> None:
    resources, settings = cover_plan(AWS)
    image = MODEL_IMAGE + ":v1"
    shipped = estimate_seconds("oci://" + image, (), 0.1)
    with_oci = mutated_resources(resources, isvc("resnet50"), oci("oci://" + image, shipped, 0.1), exactly=1)
    found = failing(with_oci, settings)
    assert sorted(found) == [WARM] and image in found[WARM][0], found
    prepulled = prepulls(ACME, image, "pytorch/torchserve-kfs:0.9.0-gpu")
    assert failing(mutated_resources(with_oci, placeholder, prepulled, exactly=1), settings) == {}
