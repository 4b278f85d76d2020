"""Every model pod we render passes the ``restricted`` Pod Security level its namespace enforces (with Istio CNI).

A model pod is: the model container (its security context from ModelService), KServe's storage-initializer init
container (its security context from the platform's kserve-resources values, merged in by KServe's webhook from
the ``default`` ClusterStorageContainer), the Istio sidecar (istiod's ``global.proxy`` seccomp profile; no
``istio-init`` with CNI) and, in Knative mode, the queue-proxy (Knative's ``secure-pod-defaults``). The checker
follows the Kubernetes Pod Security Standards, restricted profile (kubernetes.io/docs/concepts/security/
pod-security-standards).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from serving_support import ISVC, NAMESPACE, model, plan

from components.plan.engine import PlanResult, run_program
from components.plan.project import load_project, read_stack_file
from components.plan.report import helm_releases
from components.platform.values import chart_defaults
from support import ROOT, upstream_dir

STACKS = ("local", "aws-dev", "gcp-prod", "azure-staging")
ALLOWED_VOLUMES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
}  # fmt: skip
NO_INITIALIZER = ("pvc://", "oci://")
"""URIs KServe serves without the storage-initializer (PVC mounted directly; OCI through a modelcar)."""


def container_problems(name: str, ctx: dict[str, Any], pod: dict[str, Any]) -> list[str]:
    """Why one container breaks ``restricted`` (empty when it passes); ``pod`` is the pod-level security context."""
    out: list[str] = []
    if ctx.get("privileged"):
        out.append(f"{name}: privileged")
    if ctx.get("allowPrivilegeEscalation") is not False:
        out.append(f"{name}: allowPrivilegeEscalation != false")
    caps = ctx.get("capabilities") or {}
    if "ALL" not in (caps.get("drop") or []):
        out.append(f"{name}: capabilities.drop lacks ALL")
    if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
        out.append(f"{name}: adds capabilities {caps['add']}")
    if ctx.get("runAsNonRoot", pod.get("runAsNonRoot")) is not True:
        out.append(f"{name}: runAsNonRoot != true")
    if ctx.get("runAsUser", pod.get("runAsUser")) == 0:
        out.append(f"{name}: runAsUser 0")
    seccomp = (ctx.get("seccompProfile") or pod.get("seccompProfile") or {}).get("type")
    if seccomp not in ("RuntimeDefault", "Localhost"):
        out.append(f"{name}: seccompProfile.type {seccomp}")
    return out


def pod_problems(pod: dict[str, Any]) -> list[str]:
    """Why a pod spec breaks ``restricted``."""
    out = [f"pod: {k}" for k in ("hostNetwork", "hostPID", "hostIPC") if pod.get(k)]
    for vol in pod.get("volumes") or []:
        kinds = set(vol) - {"name"}
        if not kinds <= ALLOWED_VOLUMES:
            out.append(f"pod: volume {vol['name']} of type {sorted(kinds)}")
    ctx = pod.get("securityContext") or {}
    for group in ("initContainers", "containers"):
        for c in pod.get(group) or []:
            out += container_problems(c["name"], c.get("securityContext") or {}, ctx)
            out += [f"{c['name']}: hostPort" for p in c.get("ports") or [] if p.get("hostPort")]
    return out


def test_the_checker_catches_each_rule() -> None:
    good = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"}}  # fmt: skip
    assert pod_problems({"containers": [{"name": "c", "securityContext": good}]}) == []
    assert pod_problems({"containers": [{"name": "c", "securityContext": {**good, "seccompProfile": None}}]}) == [
        "c: seccompProfile.type None"
    ]
    assert pod_problems({"hostNetwork": True, "volumes": [{"name": "h", "hostPath": {"path": "/"}}],
                         "containers": [{"name": "c", "securityContext": {**good, "runAsUser": 0,
                                         "capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN"]}}}]}) == [
        "pod: hostNetwork", "pod: volume h of type ['hostPath']", "c: adds capabilities ['NET_ADMIN']",
        "c: runAsUser 0",
    ]  # fmt: skip
    # KServe's chart default for the storage-initializer (no seccomp profile) would be rejected: kserve#5373.
    chart = chart_defaults(upstream_dir() / "chart-values", "kserve-resources", "v0.20.0")
    default_ctx = chart["kserve"]["storage"]["containerSecurityContext"]
    assert pod_problems({"initContainers": [{"name": "storage-initializer", "securityContext": default_ctx}]}) == [
        "storage-initializer: seccompProfile.type None"
    ]


PROJECT = load_project(ROOT)


def planned(stack: str) -> PlanResult:
    cfg = read_stack_file(PROJECT, stack)
    return run_program(ROOT, stack, cfg.config, cfg.secret_keys, main=PROJECT.main, project=PROJECT.name)


NOT_POD_FIELDS = ("model", "minReplicas", "maxReplicas", "scaleMetric", "scaleTarget", "canaryTrafficPercent", "labels")
"""PredictorSpec fields that are not PodSpec fields (the rest of the predictor is the pod spec, inline)."""


def model_pod(predictor: dict[str, Any], storage_context: dict[str, Any]) -> dict[str, Any]:
    """The pod KServe makes of a predictor: the model container, plus the storage-initializer when it downloads."""
    pod = {k: v for k, v in predictor.items() if k not in NOT_POD_FIELDS}
    mdl = predictor["model"]
    pod["containers"] = [{"name": "kserve-container", "securityContext": mdl.get("securityContext")}]
    if not str(mdl["storageUri"]).startswith(NO_INITIALIZER):
        pod["initContainers"] = [{"name": "storage-initializer", "securityContext": storage_context}]
    return pod


@pytest.mark.parametrize("stack", STACKS)
def test_every_model_pod_of_every_stack_passes_restricted(stack: str) -> None:
    result = planned(stack)
    rels = {str(rel["release"]): rel for _reg, rel in helm_releases(result)}
    storage_context = rels["kserve"]["values"]["kserve"]["storage"]["containerSecurityContext"]
    # The sidecars: Istio CNI (no istio-init), istiod gives istio-proxy a RuntimeDefault seccomp profile, Knative's
    # secure pod defaults give queue-proxy one.
    assert rels["istiod"]["values"]["cni"] == {"enabled": True}
    assert rels["istiod"]["values"]["global"]["proxy"] == {"seccompProfile": {"type": "RuntimeDefault"}}
    serving = [r.plain_inputs() for r in result.of_type("kubernetes:operator.knative.dev/v1beta1:KnativeServing")]
    assert [s["spec"]["config"]["features"]["secure-pod-defaults"] for s in serving] == ["enabled"]
    namespaces = {
        r.plain_inputs()["metadata"]["name"]: r.plain_inputs()["metadata"]["labels"] for r in result.of_type(NAMESPACE)
    }
    isvcs = result.of_type(ISVC)
    assert isvcs, stack
    for reg in isvcs:
        inputs = reg.plain_inputs()
        ns = inputs["metadata"]["namespace"]
        assert namespaces[ns]["pod-security.kubernetes.io/audit"] == "restricted", (stack, ns)
        assert namespaces[ns]["pod-security.kubernetes.io/enforce"] == "baseline", (stack, ns)  # kserve#5373
        pod = model_pod(inputs["spec"]["predictor"], storage_context)
        assert pod_problems(pod) == [], (stack, reg.name)


def test_an_explicit_runtime_in_a_restricted_namespace_passes_too() -> None:
    p = plan(model(runtime="kserve-mlserver", protocol="v2"), pod_security="restricted")
    assert p.inputs(NAMESPACE)["metadata"]["labels"]["pod-security.kubernetes.io/warn"] == "restricted"
    context = yaml.safe_load("{allowPrivilegeEscalation: false, privileged: false, runAsNonRoot: true, "
                             "capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}")  # fmt: skip
    assert pod_problems(model_pod(p.predictor(), context)) == []


def test_without_istio_cni_the_namespace_stays_privileged() -> None:
    labels = plan(model(), pod_security="privileged").inputs(NAMESPACE)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    assert labels["pod-security.kubernetes.io/audit"] == "restricted"
