"""Review exp14r of issue #14 (/work/wt/exp14r-report.md, F1): a ``pvc://`` entry of ``storageUris`` on Knative.

For ``storageUris`` KServe v0.20.0's controller builds the storage into the Knative Service's pod template
(reconcilers/knative/ksvc_reconciler.go -> pkg/webhook/admission/pod/storage_initializer_injector.go
``CommonStorageInitialization``): a ``pvc://`` entry becomes a ``persistentVolumeClaim`` volume without ``readOnly``
(pkg/utils/storage.go ``AddModelMount``), which Knative v1.21's webhook refuses unless
``kubernetes.podspec-persistent-volume-claim`` and ``-write`` are enabled (knative/serving knative-v1.21.3
pkg/apis/serving/k8s_validation.go ``validatePersistentVolumeClaims``; pkg/apis/config/features.go: both Disabled by
default). The platform enables both when a model has one; a single ``storageUri: pvc://`` is mounted by KServe's pod
webhook, after Knative's validation, and needs neither."""

from __future__ import annotations

from typing import Any

import pytest
from platform_support import LOCAL, objects

from support import plan_config

BASE = "gs://kfserving-examples/models/sklearn/1.0/model"
MODEL: dict[str, Any] = {
    "format": "sklearn",
    "resources": {"cpu": "500m", "memory": "1Gi"},
    "access": {"mode": "internal", "allowedNamespaces": ["default"]},
    "publicStorage": True,
}
WITH_CLAIM = {
    **MODEL,
    "storageUris": [
        {"uri": BASE, "mountPath": "/mnt/models"},
        {"uri": "pvc://adapters/sql-lora", "mountPath": "/mnt/models/lora"},
    ],
}
WITHOUT_CLAIM = {**MODEL, "storageUris": [{"uri": BASE, "mountPath": "/mnt/models"}]}
SINGLE_CLAIM = {**MODEL, "storageUri": "pvc://adapters/sql-lora"}
PVC_FLAGS = {
    "kubernetes.podspec-persistent-volume-claim": "enabled",
    "kubernetes.podspec-persistent-volume-write": "enabled",
}


def _features(models: dict[str, Any]) -> dict[str, str]:
    (serving,) = objects(plan_config({**LOCAL, "models": models}), "KnativeServing")
    return serving["spec"]["config"]["features"]  # type: ignore[no-any-return]


def test_a_pvc_entry_of_storage_uris_turns_on_knative_claims() -> None:
    # main (a6bf53f): only kubernetes.podspec-init-containers, and Knative's webhook refused the Knative Service
    # KServe wrote ("Persistent volume claim support is disabled, but found persistent volume claim adapters")
    features = _features({"lora": WITH_CLAIM})
    assert {k: features.get(k) for k in PVC_FLAGS} == PVC_FLAGS
    assert features["kubernetes.podspec-init-containers"] == "enabled"


@pytest.mark.parametrize("models", [{"plain": WITHOUT_CLAIM}, {"single": SINGLE_CLAIM}], ids=["no-pvc", "storageUri"])
def test_claims_stay_off_without_a_pvc_entry_of_storage_uris(models: dict[str, Any]) -> None:
    # a single storageUri: pvc:// is mounted by KServe's pod webhook, after Knative validated the template
    features = _features(models)
    assert not set(PVC_FLAGS) & set(features)
