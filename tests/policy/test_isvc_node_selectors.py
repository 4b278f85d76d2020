"""``node-selectors-match-pools`` judges the nodeSelector of each InferenceService component (rev14e defect 1): a
selector no node pool's labels meet planned clean and the pods stayed Pending (Kubernetes' nodeSelector: a node is
eligible only when it "has each of the key-value pairs you specify",
kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodeselector; Karpenter "will not launch nodes with"
a label that is not well-known to it unless a NodePool sets it, and "pods will remain pending",
aws/karpenter-provider-aws website/content/en/docs/concepts/scheduling.md)."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from policy.rules import Resource, StackSettings, resources_from_plan, run_rules
from policy.rules.nodepools import RULES
from support import ROOT, mutated_resources, shipped_plan

RULE = next(r for r in RULES if r.name == "node-selectors-match-pools")
POOLS = (
    # aws-dev's pools as the aws share reads them: the system node group (two resources), and the Karpenter NodePool
    # with its template labels and single-valued requirements (policy/clouds/aws.py _pool_labels)
    "mlplatform-system: {'mlplatform.io/pool': 'system'}; mlplatform-system: {'mlplatform.io/pool': 'system'}; "
    "gpu-l4: {'mlplatform.io/accelerator': 'nvidia-l4', 'mlplatform.io/pool': 'l4', "
    "'node.kubernetes.io/instance-type': 'g6.xlarge', 'karpenter.sh/capacity-type': 'spot', "
    "'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux'}"
)


@cache
def _aws_dev() -> tuple[tuple[Resource, ...], StackSettings]:
    from components.plan.project import load_project, read_stack_file

    settings = StackSettings.from_config(read_stack_file(load_project(ROOT), "aws-dev").config)
    return tuple(resources_from_plan(shipped_plan("aws-dev").result)), settings


def _messages(change: Any) -> list[str]:
    resources, settings = _aws_dev()

    def pick(r: Resource) -> bool:
        return r.type.endswith(":InferenceService") and r.name == "sklearn-iris-isvc"

    changed = mutated_resources(resources, pick, change, exactly=1)
    return [e["message"] for e in run_rules(changed, settings, [RULE]) if not e["passed"]]


def test_the_shipped_stack_passes() -> None:
    assert _messages(lambda props: None) == []


@pytest.mark.parametrize("component", ["predictor", "transformer", "explainer"])
def test_a_component_selector_no_pool_meets_fails(component: str) -> None:
    def change(props: dict[str, Any]) -> None:
        props["spec"].setdefault(component, {})["nodeSelector"] = {"myLabelName": "myLabelValue"}

    assert _messages(change) == [
        f"sklearn-iris-isvc spec.{component}.nodeSelector (myLabelName=myLabelValue) matches no node pool's labels "
        f"({POOLS}): its pods stay Pending"
    ]


def test_a_cloud_accelerator_label_no_pool_carries_fails() -> None:
    # d38/d39 (isvc-node-scheduling.md): k8s.amazonaws.com/accelerator, which no aws-dev pool sets
    def change(props: dict[str, Any]) -> None:
        props["spec"]["predictor"]["nodeSelector"] = {"k8s.amazonaws.com/accelerator": "nvidia-tesla-t4"}

    assert len(_messages(change)) == 1


@pytest.mark.parametrize(
    "selector",
    [
        {"mlplatform.io/pool": "system"},
        {"kubernetes.io/arch": "amd64"},
        {"topology.kubernetes.io/zone": "us-east-1a"},  # set per node by the cloud: not judged
    ],
)
def test_a_selector_a_pool_or_every_node_meets_passes(selector: dict[str, str]) -> None:
    def change(props: dict[str, Any]) -> None:
        props["spec"]["predictor"]["nodeSelector"] = selector

    assert _messages(change) == []
