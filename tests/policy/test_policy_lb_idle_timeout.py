"""rev17c p10: the load balancer in front of the gateway is a hop of ``timeouts-cover-cold-start``.

components/platform/istio.py ``LONGEST_REQUEST_SECONDS = 300`` (or a cloud module's idle-timeout annotation lowered,
components/clusters/{eks,aks}.py ``load_balancer_annotations``) planned with every policy passing: the rule read the
activator's timeouts only. It now reads the idle timeout from the rendered gateway release's Service annotations
through each cloud's share (policy/clouds/aws.py ``CLASSIC_ELB_IDLE``: seconds, default 60, 1..3600;
policy/clouds/azure.py ``AZURE_LB_IDLE``: minutes, default 4, 4..100; GKE's passthrough load balancer has none) and
holds it to what the activator is held to: the cold start plus a request, up to max-revision-timeout-seconds.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_policy_mutated_plans import shipped

from components.plan.engine import run_program
from components.plan.project import load_project, read_stack_file
from components.platform import istio
from components.serving import _runtime, timeouts
from components.serving.timeouts import LoadBalancerIdle
from policy.clouds import aws, azure
from policy.rules import StackSettings, resources_from_plan, run_rules
from policy.rules.base import Resource
from support import ROOT, mutated_resources, rules_named

RULE = "timeouts-cover-cold-start"
ELB = "service.beta.kubernetes.io/aws-load-balancer-connection-idle-timeout"
AZURE = "service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout"


def _isvc(cold_start: int) -> dict[str, Any]:
    """A rendered Knative-mode GPU InferenceService whose activator hops cover ``cold_start`` (so only the load
    balancer hop is judged)."""
    return {
        "metadata": {
            "name": "m",
            "namespace": "models",
            "annotations": {
                _runtime.COLD_START_ANNOTATION: str(cold_start),
                _runtime.PROGRESS_DEADLINE: f"{cold_start}s",
            },
        },
        "spec": {
            "predictor": {
                # at zero: the request waits through the cold start (KServe's default minReplicas is 1, fix14)
                "minReplicas": 0,
                "timeout": min(cold_start + _runtime.REQUEST_SECONDS, 1800),
                "model": {"resources": {"limits": {_runtime.GPU_RESOURCE: "1"}}},
            }
        },
    }


def _lb_problems(cold_start: int, idle: int, longest: int = 3600) -> list[str]:
    return [p for p in timeouts.problems(_isvc(cold_start), (), LoadBalancerIdle(idle, longest, "x")) if "load" in p]


def test_the_shares_pin_the_documented_figures() -> None:
    assert (aws.CLASSIC_ELB_IDLE.annotation, aws.CLASSIC_ELB_IDLE.unit_seconds) == (ELB, 1)
    assert (aws.CLASSIC_ELB_IDLE.default_seconds, aws.CLASSIC_ELB_IDLE.longest_seconds) == (60, 3600)
    assert (azure.AZURE_LB_IDLE.annotation, azure.AZURE_LB_IDLE.unit_seconds) == (AZURE, 60)
    assert (azure.AZURE_LB_IDLE.default_seconds, azure.AZURE_LB_IDLE.longest_seconds) == (240, 6000)
    for cloud in ("aws", "azure"):
        text = (ROOT / "policy" / "clouds" / f"{cloud}.py").read_text()
        assert "IDLE_TIMEOUT_ANNOTATION" not in text and "LB_MAX_IDLE" not in text and "ELB_MAX_IDLE" not in text


def test_the_load_balancer_hop_at_its_boundaries() -> None:
    need = 452 + _runtime.REQUEST_SECONDS
    assert _lb_problems(452, need) == []
    assert _lb_problems(452, need - 1) == [f"models/m: load balancer idle timeout {need - 1}s (x) < cold start 452s + "
                                           f"request {_runtime.REQUEST_SECONDS}s"]  # fmt: skip
    assert len(_lb_problems(452, 451)) == 2
    # capped like the activator: 1800 s covers a cold start of 1700 s although 1700 + request is longer
    assert _lb_problems(1700, 1800) == []
    assert len(_lb_problems(1700, 1799)) == 1


def test_a_cloud_whose_longest_is_below_the_cold_start_says_so() -> None:
    # Azure's longest is 100 minutes; a (hypothetical) 7000 s cold start is longer than any setting allows
    problems = _lb_problems(7000, 6000, longest=6000)
    assert problems[-1] == (
        "models/m: load balancer idle timeout 6000s (x) < cold start 7000s: the cloud's load balancer allows at most "
        "6000s"
    )


def _rule(resources: list[Resource] | tuple[Resource, ...], stack: str) -> dict[str, Any]:
    return next(
        e for e in run_rules(list(resources), shipped(stack)[1], rules=rules_named(RULE)) if e["policy"] == RULE
    )


def _gateway(r: Resource) -> bool:
    return r.type == "kubernetes:helm.sh/v3:Release" and r.props.get("chart") == "gateway"


def _shipped(stack: str) -> tuple[Resource, ...]:
    return shipped(stack)[0]


@pytest.mark.parametrize(
    ("stack", "key", "value", "passes"),
    [
        ("aws-dev", ELB, "1800", True),  # as shipped
        # the longest need: resnet50's 663 s cold start (rev16f D6) + 300 s request (sklearn-iris: 600 + 300)
        ("aws-dev", ELB, "963", True),
        ("aws-dev", ELB, "962", False),
        ("aws-dev", ELB, "300", False),  # rev17c p10
        ("aws-dev", ELB, None, False),  # the annotation lost: the Classic ELB's 60 s
        ("aws-dev", ELB, "3601", False),  # refused by the ELB
        ("aws-dev", ELB, "30m", False),  # not whole seconds: the cloud provider refuses it
        ("azure-staging", AZURE, "30", True),  # as shipped
        ("azure-staging", AZURE, "28", True),  # bert-onnx: 1347 s + 300 s = 1647 s < 28 min
        ("azure-staging", AZURE, "27", False),
        ("azure-staging", AZURE, "5", False),
        ("azure-staging", AZURE, None, False),  # Azure's default 4 minutes
        ("azure-staging", AZURE, "1800", False),  # seconds where minutes are read: above 100
    ],
)
def test_a_shipped_plan_with_the_gateway_annotation_changed(
    stack: str, key: str, value: str | None, passes: bool
) -> None:
    def change(props: dict[str, Any]) -> None:
        annotations = props["values"]["service"]["annotations"]
        if value is None:
            del annotations[key]
        else:
            annotations[key] = value

    entry = _rule(mutated_resources(_shipped(stack), _gateway, change, exactly=1), stack)
    assert entry["passed"] is passes, entry["message"]
    if not passes:
        assert key in str(entry["message"]) or "default" in str(entry["message"]), entry["message"]


def test_gke_and_existing_clusters_have_no_load_balancer_hop() -> None:
    from policy.rules.timeouts import load_balancer_idle

    assert load_balancer_idle(_shipped("gcp-prod")) == ([], [])
    assert load_balancer_idle(_shipped("local")) == ([], [])
    assert [i.seconds for i in load_balancer_idle(_shipped("aws-dev"))[0]] == [1800]
    assert [i.seconds for i in load_balancer_idle(_shipped("azure-staging"))[0]] == [1800]


@pytest.mark.parametrize(("seconds", "passes"), [(300, False), (1800, True)])
def test_a_slip_in_the_platform_constant_fails_the_plan(
    monkeypatch: pytest.MonkeyPatch, seconds: int, passes: bool
) -> None:
    # rev17c p10: the platform's figure lowered; the plan's gateway Service carries it, and the rule reads it there
    monkeypatch.setattr(istio, "LONGEST_REQUEST_SECONDS", seconds)
    project = load_project(ROOT)
    cfg = read_stack_file(project, "aws-dev")
    result = run_program(
        project.root, "aws-dev", cfg.config, cfg.secret_keys, main=project.main, project=project.name, outputs="fake"
    )
    entry = next(
        e
        for e in run_rules(resources_from_plan(result), StackSettings.from_config(cfg.config), rules=rules_named(RULE))
        if e["policy"] == RULE
    )
    assert entry["passed"] is passes, entry["message"]
    if not passes:
        assert f"load balancer idle timeout 300s ({ELB}: 300) < cold start" in str(entry["message"])
