"""CKV_MLP_1: every InferenceService container runs as non-root, without privilege escalation, drops ALL
capabilities and uses a RuntimeDefault (or Localhost) seccomp profile (Pod Security Standards, restricted)."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check

from policy.rules.base import Resource, as_list, as_map, containers, pod_specs

ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"


def problems(conf: dict[str, Any]) -> list[str]:
    """Why the InferenceService ``conf`` is not PSS-restricted, container by container (empty when it is)."""
    found = []
    for path, pod in pod_specs(Resource(ISVC, "isvc", "", conf)):
        psc = as_map(pod.get("securityContext"))
        for cpath, c in containers(pod):
            sc = as_map(c.get("securityContext"))
            where = f"{path}.{cpath}"
            if sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is not True:
                found.append(f"{where}: runAsNonRoot is not true")
            if sc.get("allowPrivilegeEscalation") is not False:
                found.append(f"{where}: allowPrivilegeEscalation is not false")
            if sc.get("privileged") is True:
                found.append(f"{where}: privileged")
            if "ALL" not in as_list(as_map(sc.get("capabilities")).get("drop")):
                found.append(f"{where}: capabilities.drop lacks ALL")
            seccomp = as_map(sc.get("seccompProfile") or psc.get("seccompProfile")).get("type")
            if seccomp not in ("RuntimeDefault", "Localhost"):
                found.append(f"{where}: seccompProfile.type is {seccomp or 'unset'}")
    return found


class IsvcSecurityContext(BaseK8Check):  # type: ignore[misc]
    """InferenceService containers are non-root, non-escalating, drop ALL and use seccomp RuntimeDefault."""

    def __init__(self) -> None:
        super().__init__(
            name="InferenceService containers run non-root, drop ALL, no privilege escalation, seccomp RuntimeDefault",
            id="CKV_MLP_1",
            categories=[CheckCategories.KUBERNETES],
            supported_entities=["InferenceService"],
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        """PASSED when every container of every component is restricted."""
        return CheckResult.FAILED if problems(conf) else CheckResult.PASSED


check = IsvcSecurityContext()
