"""CKV_MLP_2: every InferenceService serving container sets CPU and memory requests and limits, and a GPU request
(if any) equal to its limit."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check

from policy.rules.base import Resource, as_map, containers, pod_specs

ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
GPU = "nvidia.com/gpu"


def problems(conf: dict[str, Any]) -> list[str]:
    """Missing requests/limits of the InferenceService ``conf``, container by container (empty when none)."""
    found = []
    for path, pod in pod_specs(Resource(ISVC, "isvc", "", conf)):
        for cpath, c in containers(pod, init=False):
            res = as_map(c.get("resources"))
            limits, requests = as_map(res.get("limits")), as_map(res.get("requests"))
            for kind, values in (("limits", limits), ("requests", requests)):
                found += [f"{path}.{cpath}: no {kind}.{k}" for k in ("cpu", "memory") if k not in values]
            if GPU in requests and requests.get(GPU) != limits.get(GPU):
                found.append(f"{path}.{cpath}: {GPU} request differs from its limit")
    return found


class IsvcResources(BaseK8Check):  # type: ignore[misc]
    """InferenceService containers set CPU/memory requests and limits (and GPU requests = limits)."""

    def __init__(self) -> None:
        super().__init__(
            name="InferenceService containers set CPU and memory requests and limits",
            id="CKV_MLP_2",
            categories=[CheckCategories.KUBERNETES],
            supported_entities=["InferenceService"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        """PASSED when every serving container has its requests and limits."""
        return CheckResult.FAILED if problems(conf) else CheckResult.PASSED


check = IsvcResources()
