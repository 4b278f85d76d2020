"""Red team #14l break 3 (/work/wt/red14l-report.md): a model with ``storageUris`` on Knative never became Ready.

KServe v0.20.0 writes the storage initializer for ``storageUris`` into the Knative Service's pod template
(ksvc_reconciler.go -> storage_initializer_injector.go ``CommonStorageInitialization``), which Knative v1.21 refuses
unless ``kubernetes.podspec-init-containers`` is enabled (k8s_validation.go ``validateInitContainers``;
features.go: Disabled by default). KServe's "Multiple Storage URIs" page: "For Knative deployments, the Knative init
container feature flag must be enabled". The platform turns the flag on when a model has ``storageUris``."""

from __future__ import annotations

from typing import Any

from platform_support import LOCAL, objects

from support import plan_config

MODEL: dict[str, Any] = {
    "format": "sklearn",
    "resources": {"cpu": "500m", "memory": "1Gi"},
    "access": {"mode": "internal", "allowedNamespaces": ["default"]},
    "publicStorage": True,
}
MULTI = {
    **MODEL,
    "storageUris": [
        {"uri": "gs://kfserving-examples/models/sklearn/1.0/model", "mountPath": "/mnt/models/base"},
        {"uri": "gs://kfserving-examples/models/xgboost/iris", "mountPath": "/mnt/models/adapters"},
    ],
}
SINGLE = {**MODEL, "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model"}
GPU_AND_CNI = {
    "kubernetes.podspec-nodeselector": "enabled",
    "kubernetes.podspec-tolerations": "enabled",
    "kubernetes.podspec-affinity": "enabled",
    "secure-pod-defaults": "enabled",
}


def _features(models: dict[str, Any]) -> dict[str, str]:
    result = plan_config({**LOCAL, "models": models})
    (serving,) = objects(result, "KnativeServing")
    return serving["spec"]["config"]["features"]  # type: ignore[no-any-return]


def test_a_model_with_storage_uris_turns_on_knative_init_containers() -> None:
    # main (01fc987): the features were GPU_AND_CNI alone, and Knative's webhook refused the ksvc KServe wrote
    assert _features({"multi": MULTI, "single": SINGLE}) == {
        **GPU_AND_CNI,
        "kubernetes.podspec-init-containers": "enabled",
    }


def test_without_storage_uris_init_containers_stay_off() -> None:
    # a single storageUri: KServe's pod webhook adds the initializer to the pod, after Knative validated the template
    assert _features({"single": SINGLE}) == GPU_AND_CNI
