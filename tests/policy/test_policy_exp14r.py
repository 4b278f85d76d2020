"""isvc-gpu-scheduling judges what KServe writes into the Knative Service for ``storageUris`` (exp14r F1, F3;
/work/wt/exp14r-report.md).

For ``storageUris`` KServe v0.20.0's controller runs the storage initialization on the Knative Service's pod template
(reconcilers/knative/ksvc_reconciler.go -> storage_initializer_injector.go ``CommonStorageInitialization``): an init
container for every entry but a ``pvc://`` claim, a ``persistentVolumeClaim`` volume without ``readOnly`` for a claim
(pkg/utils/storage.go ``AddModelMount``), ``shareProcessNamespace`` for an ``oci://`` image
(``ConfigureModelcarToContainer``). Knative 1.21's webhook refuses each unless its flag is on (knative-v1.21.3
k8s_validation.go ``validateInitContainers``, ``validatePersistentVolumeClaims``; fieldmask.go ``PodSpecMask``), so a
KnativeServing without the flag leaves the model never Ready; the rule read only the ISVC's own pod fields before.
Judged on aws-dev's plan (Knative mode), its resnet50 given ``storageUris``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from policy.rules import run_rules
from support import mutated_resources, rules_named, rules_plan

RULE = "isvc-gpu-scheduling"
KNATIVE_SERVING = "kubernetes:operator.knative.dev/v1beta1:KnativeServing"
CLAIM = "pvc://adapters/sql-lora"
IMAGE = "oci://ghcr.io/acme/resnet50:1.0"
BASE = "s3://acme-models/resnet50"
WHERE = "InferenceService models/resnet50: spec.predictor.storageUris"


def _line(i: int, uri: str, flag: str, what: str) -> str:
    return (
        f"{WHERE}[{i}] ({uri}) needs Knative's {flag} feature ({flag} unset (Disabled) in the KnativeServing's "
        f"spec.config.features): KServe writes its {what} into the Knative Service, and Knative's webhook refuses the "
        "revision"
    )


INIT = ("kubernetes.podspec-init-containers", "storage initializer or modelcar-init init container")
CLAIMS = ("kubernetes.podspec-persistent-volume-claim", "persistentVolumeClaim volume")
WRITE = ("kubernetes.podspec-persistent-volume-write", "persistentVolumeClaim volume (not readOnly)")
SHARE = ("kubernetes.podspec-shareprocessnamespace", "modelcar's shareProcessNamespace")


def _failures(uris: list[str] | None, features: dict[str, str], mode: str | None = None) -> list[str]:
    resources, settings = rules_plan("aws-dev")

    def serving(p: dict[str, Any]) -> None:
        p["spec"]["config"]["features"].update(features)

    def isvc(p: dict[str, Any]) -> None:
        predictor = p["spec"]["predictor"]
        if uris is not None:
            predictor["model"].pop("storageUri", None)
            predictor["storageUris"] = [{"uri": u, "mountPath": f"/mnt/m{i}/model"} for i, u in enumerate(uris)]
        if mode is not None:
            p["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] = mode

    mutated = mutated_resources(resources, lambda r: r.type == KNATIVE_SERVING, serving, exactly=1)
    mutated = mutated_resources(mutated, _resnet50, isvc, exactly=1)
    return [
        e["message"]
        for e in run_rules(mutated, settings, rules=rules_named(RULE))
        if e["policy"] == RULE and not e["passed"]
    ]


def _resnet50(r: Any) -> bool:
    return bool(r.type == "kubernetes:serving.kserve.io/v1beta1:InferenceService" and r.k8s_name == "resnet50")


ON: Callable[..., dict[str, str]] = lambda *flags: {f: "enabled" for f, _ in flags}  # noqa: E731


def test_shipped_aws_dev_passes_and_a_single_storage_uri_needs_no_flag() -> None:
    assert _failures(None, {}) == []


@pytest.mark.parametrize(
    ("uris", "features", "expected"),
    [
        # a claim beside a download: init containers, the claim, its write flag; each on its own line
        ([BASE, CLAIM], {}, [_line(0, BASE, *INIT), _line(1, CLAIM, *CLAIMS), _line(1, CLAIM, *WRITE)]),
        ([BASE, CLAIM], ON(INIT, CLAIMS, WRITE), []),
        # one flag short: the write flag (KServe's claim volume has no readOnly)
        ([BASE, CLAIM], ON(INIT, CLAIMS), [_line(1, CLAIM, *WRITE)]),
        # a claim alone: no init container (the claim is mounted, not downloaded)
        ([CLAIM], ON(CLAIMS, WRITE), []),
        ([BASE], {}, [_line(0, BASE, *INIT)]),
        ([BASE], {"kubernetes.podspec-init-containers": "Allowed"}, []),
        ([BASE], {"kubernetes.podspec-init-containers": "disabled"}, [_line(0, BASE, *INIT).replace(
            "init-containers unset (Disabled)", "init-containers disabled")]),
        # an image: its modelcar-init init container and shareProcessNamespace
        ([IMAGE], {}, [_line(0, IMAGE, *INIT), _line(0, IMAGE, *SHARE)]),
        ([IMAGE], ON(INIT, SHARE), []),
    ],
    ids=["claim-none", "claim-all", "claim-no-write", "claim-alone", "download-none", "download-allowed",
         "download-disabled", "image-none", "image-all"],
)  # fmt: skip
def test_storage_uris_need_the_flags_of_what_kserve_writes(
    uris: list[str], features: dict[str, str], expected: list[str]
) -> None:
    # main (a6bf53f): every case passed, the failing ones included
    assert _failures(uris, features) == expected


def test_a_standard_mode_model_with_storage_uris_needs_no_knative_flag() -> None:
    assert _failures([BASE, CLAIM, IMAGE], {}, mode="Standard") == []
