"""``pods-fit-nodes`` (policy/rules/nodefit.py, rev17g P8): a model pod larger than the largest node it may land on
fails, judged on shipped plans whose requests are moved to the boundary. Every expected figure is derived here by
hand from the sources the rule cites (a pod fits when the sum of its requests is at most the node's allocatable less
its DaemonSets: kubernetes.io/docs/concepts/configuration/manage-resources-containers), so a slip in the rule's
constants or in the plan-time check (components/serving/fit.py and the clusters' reservations) moves a verdict."""

from __future__ import annotations

import math
from typing import Any

import pytest

from components.serving import fit
from components.serving.kspec import TolerationSpec
from policy.rules import nodefit, nodepools
from support import rules_named

RULE = "pods-fit-nodes"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
SIDECARS_KNATIVE = (100 + 25, 128)
"""istio-proxy 100m/128Mi (istiod-1.30.3 values) + queue-proxy 25m/0 (knative-v1.21.3 deployment.yaml)."""

# AWS g6.xlarge (4 vCPU, 16 GiB = 16384 Mi), Karpenter, aws-dev: CPU 4000 - kube-reserved (60 + 10 + 10) - istio-cni
# 100 - dcgm-exporter 100 - ebs-csi-node 30 = 3690; memory 16384 - ceil(16384 x 0.075) 1229 - (11 x 58 + 255) 893
# - eviction 100 - istio-cni 100 - dcgm 128 - ebs-csi 120 = 13814.
# GCP g2-standard-4 (4 vCPU, 16384 Mi), gcp-prod: CPU 4000 - 80 - 100 - 100 = 3720; memory 16384 - tiers ceil(1024
# + 819.2 + 819.2) 2663 - COS kernel ceil(256 + 16 + 64 + 28.672) 365 - 100 - 100 - 128 = 13028.
# Azure Standard_NC4as_T4_v3 (4 vCPU, 28 GiB = 28672 Mi), azure-staging: CPU 4000 - 140 (AKS table, 4 cores) - 100
# - 100 = 3660; memory 28672 - min(20 x 250 + 50, 7168) 5050 - 100 - 100 - 128 = 23294.
# AWS m7i.xlarge system node (4 vCPU, 16384 Mi), aws-dev: CPU 4000 - 80 - 100 - 30 = 3790; memory 16384 - 1229 - 893
# - 100 - 100 - 120 = 13942.
BOUNDS = {
    "aws-dev/resnet50": ("aws-dev", "resnet50", "model", 3690, 13814, "gpu-l4 g6.xlarge"),
    "gcp-prod/resnet-triton": ("gcp-prod", "resnet-triton", "model", 3720, 13028, "mlplatform-gpu-l4 g2-standard-4"),
    "azure-staging/bert-onnx": ("azure-staging", "bert-onnx", "model", 3660, 23294, "t4aea2 Standard_NC4as_T4_v3"),
    "aws-dev/sklearn-iris": ("aws-dev", "sklearn-iris", "model", 3790, 13942, "mlplatform-system m7i.xlarge"),
}


def _failures(resources: Any, settings: Any) -> list[str]:
    from policy.rules import run_rules

    return [
        e["message"]
        for e in run_rules(list(resources), settings, rules=rules_named(RULE))
        if e["policy"] == RULE and not e["passed"]
    ]


def _requests(key: str, cpu: str, memory: str) -> Any:
    def change(props: dict[str, Any]) -> None:
        container = props["spec"]["predictor"][key]
        container["resources"] = {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu, "memory": memory}}

    return change


def _named(name: str) -> Any:
    return lambda r: r.type == ISVC and r.k8s_name == name


@pytest.mark.parametrize("where", sorted(BOUNDS))
@pytest.mark.parametrize(("extra_cpu", "extra_mib"), [(0, 0), (1, 0), (0, 1)])
def test_a_pod_at_the_allocatable_fits_and_one_more_does_not(where: str, extra_cpu: int, extra_mib: int) -> None:
    from support import mutated_resources, rules_plan

    stack, name, key, cpu, mib, node = BOUNDS[where]
    resources, settings = rules_plan(stack)
    assert _failures(resources, settings) == []
    want_cpu, want_mib = cpu - SIDECARS_KNATIVE[0] + extra_cpu, mib - SIDECARS_KNATIVE[1] + extra_mib
    change = _requests(key, f"{want_cpu}m", f"{want_mib}Mi")
    msgs = _failures(mutated_resources(resources, _named(name), change, exactly=1), settings)
    if not extra_cpu and not extra_mib:
        assert msgs == []
        return
    assert len(msgs) == 1, msgs
    assert msgs[0].startswith(
        f"models/{name} predictor: one pod requests {want_cpu + SIDECARS_KNATIVE[0]}m CPU and "
        f"{want_mib + SIDECARS_KNATIVE[1]}Mi memory with its sidecars (istio-proxy 100m/128Mi, queue-proxy 25m/0Mi), "
        f"more than the largest node it may land on leaves it: {node} ("
    ), msgs
    assert msgs[0].endswith(f"leaves {cpu}m and {mib}Mi; the pod stays Pending"), msgs


def test_a_logger_adds_the_agent_and_an_explainer_lands_on_the_system_pool() -> None:
    """cover-aws-node-groups' resnet50 explainer (no GPU toleration: the system pool's m7i.xlarge, 13942 Mi with the
    cover stack's DaemonSets) at the bound and 1 Mi over; its logger-less explainer has istio-proxy and queue-proxy."""
    from support import cover_plan, mutated_resources

    resources, settings = cover_plan("cover-aws-node-groups")
    assert _failures(resources, settings) == []

    def explainer(memory: str) -> Any:
        def change(props: dict[str, Any]) -> None:
            props["spec"]["explainer"]["art"]["resources"] = {"requests": {"cpu": "1", "memory": memory}}

        return change

    ok = mutated_resources(resources, _named("resnet50"), explainer(f"{13942 - 128}Mi"), exactly=1)
    assert _failures(ok, settings) == []
    over = mutated_resources(resources, _named("resnet50"), explainer(f"{13942 - 128 + 1}Mi"), exactly=1)
    msgs = _failures(over, settings)
    assert len(msgs) == 1 and msgs[0].startswith("models/resnet50 explainer: one pod requests 1125m CPU and 13943Mi")
    assert "mlplatform-system m7i.xlarge" in msgs[0], msgs

    def predictor(props: dict[str, Any]) -> None:  # the predictor's logger brings KServe's agent, 100m/100Mi
        props["spec"]["predictor"]["model"]["resources"] = {"requests": {"cpu": "1", "memory": f"{13942 - 228 + 1}Mi"}}

    msgs = _failures(mutated_resources(resources, _named("resnet50"), predictor, exactly=1), settings)
    assert len(msgs) == 1 and "agent 100m/100Mi" in msgs[0] and "13943Mi" in msgs[0], msgs


def test_a_noexecute_toleration_does_not_admit_the_gpu_pool() -> None:
    """core/v1 Toleration: "effect indicates the taint effect to match. Empty means match all taint effects"
    (k8s.io/api core/v1 types.go ``Toleration.Effect``), and ``ToleratesTaint`` (k8s.io/api core/v1
    toleration.go) returns false when ``len(t.Effect) > 0 && t.Effect != taint.Effect``: a toleration for effect
    NoExecute does not tolerate the GPU pools' ``nvidia.com/gpu=present:NoSchedule`` (rev17g g21, r14)."""
    taint = ("nvidia.com/gpu", "present", "NoSchedule")
    for t in (
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"},
        {"operator": "Exists", "effect": "NoExecute"},
        {"key": "nvidia.com/gpu", "value": "present", "effect": "PreferNoSchedule"},
    ):
        assert not nodepools._tolerated(taint, [t]), t
        assert not fit._tolerates_gpu([TolerationSpec.model_validate(t)]), t
    for t in ({"key": "nvidia.com/gpu", "operator": "Exists"}, {"operator": "Exists"},
              {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}):  # fmt: skip
        assert nodepools._tolerated(taint, [t]), t
        assert fit._tolerates_gpu([TolerationSpec.model_validate(t)]), t


def test_a_pod_tolerating_the_gpu_taint_only_for_noexecute_is_pending_on_a_shipped_plan() -> None:
    """aws-dev's resnet50 with its GPU toleration's effect NoExecute: node-selectors-match-pools fails it (its only
    pool's taint is not tolerated), rev17g r14."""
    from support import mutated_resources, rules_plan

    resources, settings = rules_plan("aws-dev")

    def change(props: dict[str, Any]) -> None:
        props["spec"]["predictor"]["tolerations"] = [
            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"}
        ]

    from policy.rules import run_rules

    entries = run_rules(
        mutated_resources(resources, _named("resnet50"), change, exactly=1),
        settings,
        rules=rules_named("node-selectors-match-pools"),
    )
    failed = [e["message"] for e in entries if e["policy"] == "node-selectors-match-pools" and not e["passed"]]
    assert len(failed) == 1 and "nvidia.com/gpu=present:NoSchedule" in failed[0], failed


def test_an_eks_type_without_its_eni_count_takes_the_largest_reservation() -> None:
    """An instance type missing from the ENI table takes the largest pod count (737), the largest kube-reserved
    memory 11 x 737 + 255 = 8362 MiB (Karpenter v1.14.1 types.go), in the plan-time check and in the rule (rev17g
    g16)."""
    from components.clusters import eks

    _, kept = eks.node_reserved("x9.unlisted", 4, 16384, False)
    assert ("kube-reserved 11 x 737 pods + 255", 8362) in kept
    _, memory = nodefit.reserved("aws", "x9.unlisted", 4, 16384, None)
    assert memory["kube-reserved 11 x 737 pods + 255"] == 8362


@pytest.mark.parametrize(
    ("cloud", "machine", "vcpus", "mib", "pods", "cpu", "memory"),
    [
        # Karpenter: 7.5 % of 16384 = 1228.8 -> 1229; 11 x 58 + 255 = 893; eviction 100
        ("aws", "g6.xlarge", 4, 16384, None, 80, 1229 + 893 + 100),
        # GKE a2-highgpu-1g, 85 GiB = 87040 Mi: tiers 1024 + 819.2 + 819.2 + 0.06 x (87040 - 16384) = 6901.76 -> 6902;
        # COS kernel 1360 + 16 + 64 + min(152.32, 248) = 1592.32 -> 1593; CPU 60+10+10+(8000 x 25 // 10000 = 20)
        ("gcp", "a2-highgpu-1g", 12, 87040, None, 100, 6902 + 1593 + 100),
        # AKS system pool (maxPods 50): min(20 x 50 + 50, 4096) = 1050; CPU 140 (4 cores)
        ("azure", "Standard_D4s_v5", 4, 16384, 50, 140, 1050 + 100),
        # AKS a quarter when smaller: 20 x 250 + 50 = 5050 > 16384 / 4 = 4096
        ("azure", "Standard_D4s_v5", 4, 16384, None, 140, 4096 + 100),
    ],
)
def test_the_rules_own_reservations(
    cloud: str, machine: str, vcpus: int, mib: int, pods: int | None, cpu: int, memory: int
) -> None:
    got_cpu, got_memory = nodefit.reserved(cloud, machine, vcpus, mib, pods)
    assert (got_cpu, sum(got_memory.values())) == (cpu, memory)


@pytest.mark.parametrize(
    ("value", "number"),
    [("500m", "0.5"), ("1", "1"), ("1Gi", str(2**30)), ("1e3", "1000"), ("1.5G", "1500000000"), ("x", None)],
)
def test_quantities(value: str, number: str | None) -> None:
    got = nodefit.quantity(value)
    assert (None if got is None else got.normalize()) == (None if number is None else type(got)(number).normalize())
    assert math.isfinite(float(got)) if got is not None else True
