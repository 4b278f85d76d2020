"""fix17j: the plan's policies catch rev17j's platform-side slips j11, j12, j13, j18 and j25 (issue #17).

Each over a shipped stack's plan (tests/support.py ``rules_plan``, fake outputs) mutated as the slip renders it, with
the boundary on both sides; benchmarks/policy_mutations.py measures the slips themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from policy.rules import Resource, run_rules
from support import mutated_resources, rules_named, rules_plan


def _failures(
    stack: str, rule: str, pick: Callable[[Resource], bool], change: Callable[[dict[str, Any]], None]
) -> list[str]:
    resources, settings = rules_plan(stack)
    mutated = mutated_resources(resources, pick, change, exactly=1)
    return [e["message"] for e in run_rules(mutated, settings, rules=rules_named(rule)) if not e["passed"]]


# ------------------------------------------------------------------------------- j25: a CPU model's progress deadline

TIMEOUTS = "timeouts-cover-cold-start"


def _sklearn(r: Resource) -> bool:
    return r.type.endswith(":InferenceService") and r.name == "sklearn-iris-isvc"


def _deadline(value: str) -> Callable[[dict[str, Any]], None]:
    def change(p: dict[str, Any]) -> None:
        p["metadata"]["annotations"]["serving.knative.dev/progress-deadline"] = value

    return change


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        ("600s", []),
        ("10m", []),
        ("599s", ["models/sklearn-iris: progress deadline 599s < cold start 600s"]),
        ("10s", ["models/sklearn-iris: progress deadline 10s < cold start 600s"]),
    ],
)
def test_a_cpu_models_progress_deadline_covers_knatives_default(deadline: str, expected: list[str]) -> None:
    """A CPU model starts within Knative's default progress deadline, 600 s (knative-v1.21.3
    config/core/configmaps/deployment.yaml): the local stack's sklearn-iris (Knative, CPU) with its annotation."""
    assert _failures("local", TIMEOUTS, _sklearn, _deadline(deadline)) == expected


def test_the_rule_keeps_its_own_cpu_requirement(monkeypatch: pytest.MonkeyPatch) -> None:
    """rev17j j25: ``CPU_READY_SECONDS = 10`` in components/serving/_runtime.py renders a 10 s progress deadline; the
    rule took the CPU model's requirement from the same constant (components/serving/timeouts.py ``budget``) and
    passed. It keeps its own (policy/rules/timeouts.py ``CPU_READY_SECONDS``)."""
    from components.serving import _runtime

    monkeypatch.setattr(_runtime, "CPU_READY_SECONDS", 10)
    assert _failures("local", TIMEOUTS, _sklearn, _deadline("10s")) == [
        "models/sklearn-iris: progress deadline 10s < cold start 600s"
    ]


# ------------------------------------------------------------------------------- j11: the KServe controller's HPA

REPLICAS = "prod-mesh-replicas"


def _kserve_hpa(r: Resource) -> bool:
    return r.type.endswith(":HorizontalPodAutoscaler") and r.props["metadata"]["namespace"] == "kserve"


def _target(**ref: str) -> Callable[[dict[str, Any]], None]:
    def change(p: dict[str, Any]) -> None:
        p["spec"]["scaleTargetRef"] = {**p["spec"]["scaleTargetRef"], **ref}

    return change


def _no_controller_hpa(targets: str) -> list[str]:
    return [
        "Helm release kserve (kserve-resources): no HorizontalPodAutoscaler in namespace kserve targets apps/v1 "
        f"Deployment kserve-controller-manager on prod (targets: {targets}): the chart sets no replicas, so KServe's "
        "controller and its webhook run single"
    ]


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ({}, []),
        ({"name": "kserve"}, _no_controller_hpa("Deployment kserve")),  # rev17j j11: name=RELEASE
        ({"name": "kserve-controller"}, _no_controller_hpa("Deployment kserve-controller")),
        ({"kind": "StatefulSet"}, _no_controller_hpa("StatefulSet kserve-controller-manager")),
        ({"apiVersion": "apps/v1beta2"}, _no_controller_hpa("Deployment kserve-controller-manager")),
    ],
)
def test_the_prod_kserve_controller_hpa_targets_the_charts_deployment(ref: dict[str, str], expected: list[str]) -> None:
    """KServe v0.20.0's kserve-resources chart renders the controller as apps/v1 Deployment kserve-controller-manager
    (charts/kserve-resources/files/kserve/resources.yaml) with no replica setting: gcp-prod's HPA must target it."""
    assert _failures("gcp-prod", REPLICAS, _kserve_hpa, _target(**ref)) == expected


def test_a_dev_stack_needs_no_kserve_controller_hpa() -> None:
    resources, settings = rules_plan("aws-dev")
    assert not [r for r in resources if r.type.endswith(":HorizontalPodAutoscaler") and r.namespace == "kserve"]
    assert [e["message"] for e in run_rules(resources, settings, rules=rules_named(REPLICAS)) if not e["passed"]] == []


# ------------------------------------------------------------------------------- j18: the gateway certificate's names

HTTPS = "gateway-https-only"


def _gateway_certificate(r: Resource) -> bool:
    return r.type.endswith(":Certificate") and r.name == "mlplatform-gateway-certificate"


def _dns_names(names: list[str]) -> Callable[[dict[str, Any]], None]:
    def change(p: dict[str, Any]) -> None:
        p["spec"]["dnsNames"] = names

    return change


def _not_valid(domain: str, names: list[str], missing: str) -> list[str]:
    return [
        f"Certificate istio-system/mlplatform-gateway-tls (Secret mlplatform-gateway-tls, served by KnativeServing "
        f"knative-serving/knative-serving knative-ingress-gateway) lists dnsNames {names}: not valid for {missing}; "
        "every such host fails TLS"
    ]


D = "models.example.com"


@pytest.mark.parametrize(
    ("names", "missing"),
    [
        ([D, f"*.{D}"], None),
        ([f"*.{D}", D], None),
        ([f"*.{D}", D.upper()], None),  # DNS names compare without case
        ([D], f"*.{D}, m-ns.{D}"),  # rev17j j18: the wildcard dropped, every model host fails TLS
        ([f"*.{D}"], D),
        ([D, "*.example.com"], f"*.{D}, m-ns.{D}"),  # a wildcard covers one label only (RFC 6125 6.4.3)
        ([D, f"m-ns.{D}", f"*.{D}x"], f"*.{D}"),
    ],
)
def test_the_gateway_certificate_is_valid_for_every_model_host(names: list[str], missing: str | None) -> None:
    """gcp-prod's gateway serves ``models.example.com`` and ``*.models.example.com`` (the Knative ingress gateway's
    HTTPS server) and every model at ``<name>-<namespace>.models.example.com`` (the KnativeServing's
    domain-template): the Certificate behind its credentialName lists names valid for all of them."""
    got = _failures("gcp-prod", HTTPS, _gateway_certificate, _dns_names(names))
    assert got == ([] if missing is None else _not_valid(D, names, missing))


# ------------------------------------------------------------------------ j12, j13: the release advertising GPUs

POOLS = "node-selectors-match-pools"


def _plugin(r: Resource) -> bool:
    return r.type.endswith("helm.sh/v3:Release") and r.props.get("name") == "nvidia-device-plugin"


def _values(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def apply(p: dict[str, Any]) -> None:
        change(p["values"])

    return apply


def _untolerated(release: str, base: str, pool: str) -> list[str]:
    return [
        f"Helm release {release} {base}.tolerations do not tolerate GPU pool {pool}'s taints "
        f"(nvidia.com/gpu=present:NoSchedule): it advertises no nvidia.com/gpu there, and every GPU pod for that pool "
        "stays Pending"
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda v: None, []),
        # rev17j j12 as rendered: the key dropped, so the chart's own tolerations (nvidia.com/gpu Exists NoSchedule,
        # k8s-device-plugin v0.20.0 values.yaml) still tolerate the pool's only taint: not a weakening here
        (lambda v: v.pop("tolerations"), []),
        (lambda v: v.update(tolerations=[]), _untolerated("nvidia-device-plugin", "values", "gpu-l4")),
        (
            lambda v: v.update(tolerations=[{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true"}]),
            _untolerated("nvidia-device-plugin", "values", "gpu-l4"),
        ),
        (lambda v: v.update(tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists"}]), []),
        (lambda v: v.update(tolerations=[{"operator": "Exists"}]), []),
        (
            lambda v: v["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
                "nodeSelectorTerms"
            ][0]["matchExpressions"].append({"key": "mlplatform.io/accelerator", "operator": "In", "values": ["x"]}),
            [
                "Helm release nvidia-device-plugin values.affinity (mlplatform.io/accelerator Exists and "
                "mlplatform.io/accelerator In [x]) admits no node of GPU pool gpu-l4: it advertises no nvidia.com/gpu "
                "there, and every GPU pod for that pool stays Pending"
            ],
        ),
    ],
)
def test_the_device_plugin_runs_on_every_gpu_pool(
    change: Callable[[dict[str, Any]], None], expected: list[str]
) -> None:
    """aws-dev's device plugin release tolerates the GPU pool's taint nvidia.com/gpu=present:NoSchedule and its
    required node affinity (mlplatform.io/accelerator Exists) admits the pool: a GPU pool it does not run on
    advertises no GPU (rev17j j12)."""
    assert _failures("aws-dev", POOLS, _plugin, _values(change)) == expected


def _as_operator(daemonsets: dict[str, Any] | None) -> Callable[[dict[str, Any]], None]:
    """aws-dev's device plugin release turned into a GPU operator release with ``daemonsets`` (None: not given)."""

    def change(p: dict[str, Any]) -> None:
        p["chart"] = "gpu-operator"
        p["values"] = {"driver": {"enabled": False}, **({"daemonsets": daemonsets} if daemonsets is not None else {})}

    return change


@pytest.mark.parametrize(
    ("daemonsets", "expected"),
    [
        ({"tolerations": [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "present"}]}, []),
        ({}, []),  # rev17j j13 as rendered: the chart's daemonsets.tolerations (gpu-operator v26.7.0) apply
        (None, []),
        ({"tolerations": []}, _untolerated("nvidia-device-plugin", "values.daemonsets", "gpu-l4")),
        (
            {"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"}]},
            _untolerated("nvidia-device-plugin", "values.daemonsets", "gpu-l4"),
        ),
    ],
)
def test_the_gpu_operators_operands_tolerate_every_gpu_pool(
    daemonsets: dict[str, Any] | None, expected: list[str]
) -> None:
    """The GPU operator's operand DaemonSets (its device plugin among them) tolerate each GPU pool's taints
    (``daemonsets.tolerations``, else the chart's nvidia.com/gpu Exists NoSchedule): rev17j j13."""
    assert _failures("aws-dev", POOLS, _plugin, _as_operator(daemonsets)) == expected
