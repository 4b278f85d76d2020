"""issue #17, the ninth mutation round (rev17i, /work/wt/rev17i-report.md): rules for the slips no policy caught.

- i11: a GPU Karpenter NodePool whose ``nvidia.com/gpu`` limit counts nodes, not GPUs, stops launching at a fraction of
  its node limit ("If a limit has been exceeded, nodes provisioning is prevented", aws/karpenter-provider-aws v1.14.1
  website/content/en/v1.14/concepts/nodepools.md "spec.limits"): ``karpenter-gpu-limit-covers-nodes``.
- i13: a NodePool whose ``kubernetes.io/arch`` requirement admits none of its instance types' architecture launches
  no node (Karpenter v1.14.1 reference/instance-types.md: g6 types are amd64): ``karpenter-arch-admits-types``.
- r02: ``node-selectors-match-pools`` tolerates a taint only by a toleration of its key (or an empty key with Exists);
  core/v1 Toleration: "Key is the taint key that the toleration applies to. Empty means match all taint keys. If the
  key is empty, operator must be Exists" (k8s.io/api core/v1 types.go ``Toleration``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from policy.rules import Resource, run_rules
from support import mutated_resources, rules_named, rules_plan

NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool"
GPU_LIMIT = "karpenter-gpu-limit-covers-nodes"
ARCH = "karpenter-arch-admits-types"
SELECTORS = "node-selectors-match-pools"


def _failures(
    stack: str, rule: str, pick: Callable[[Resource], bool], change: Callable[[dict[str, Any]], None]
) -> list[str]:
    resources, settings = rules_plan(stack)
    mutated = mutated_resources(resources, pick, change, exactly=1)
    return [e["message"] for e in run_rules(mutated, settings, rules=rules_named(rule)) if not e["passed"]]


def _pool(r: Resource) -> bool:
    return r.type == NODEPOOL


def _requirements(p: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["key"]: r for r in p["spec"]["template"]["spec"]["requirements"]}


def _limits(instance_type: str, nodes: Any, gpus: Any) -> Callable[[dict[str, Any]], None]:
    def change(p: dict[str, Any]) -> None:
        _requirements(p)["node.kubernetes.io/instance-type"]["values"] = [instance_type]
        p["spec"]["limits"] = {"nodes": nodes, "nvidia.com/gpu": gpus}

    return change


def test_aws_dev_as_rendered_passes_both_nodepool_rules() -> None:
    assert _failures("aws-dev", GPU_LIMIT, _pool, lambda p: None) == []
    assert _failures("aws-dev", ARCH, _pool, lambda p: None) == []


@pytest.mark.parametrize(
    ("instance_type", "nodes", "gpus", "line"),
    [
        ("g6.xlarge", 4, 4, None),  # aws-dev's l4 pool as rendered: one L4 a node
        ("g6.xlarge", 4, 3, "limits nvidia.com/gpu to 3, under limits.nodes 4 x 1 GPUs of g6.xlarge (4): Karpenter "
                            "stops launching at 3 node(s); set limits nvidia.com/gpu to 4"),
        ("g6.12xlarge", 4, 16, None),  # four L4s a node (components/catalog.yaml)
        ("g6.12xlarge", 4, "16", None),  # a quantity as the Kubernetes API returns it
        ("g6.12xlarge", 4, 15, "limits nvidia.com/gpu to 15, under limits.nodes 4 x 4 GPUs of g6.12xlarge (16): "
                               "Karpenter stops launching at 3 node(s); set limits nvidia.com/gpu to 16"),
        # rev17i i11: the limit counts nodes
        ("g6.12xlarge", 4, 4, "limits nvidia.com/gpu to 4, under limits.nodes 4 x 4 GPUs of g6.12xlarge (16): "
                              "Karpenter stops launching at 1 node(s); set limits nvidia.com/gpu to 16"),
        ("g6.48xlarge", 2, 17, None),  # eight a node: over the bound is fine
    ],
)  # fmt: skip
def test_a_gpu_limit_covers_every_node_of_the_limit(
    instance_type: str, nodes: int, gpus: Any, line: str | None
) -> None:
    failed = _failures("aws-dev", GPU_LIMIT, _pool, _limits(instance_type, nodes, gpus))
    assert failed == ([] if line is None else [f"GPU NodePool gpu-l4 {line}"])


def test_a_pool_of_several_types_is_judged_by_its_biggest() -> None:
    """Karpenter may pick any type the requirement admits: the limit must hold for the one with the most GPUs."""

    def change(p: dict[str, Any]) -> None:
        _requirements(p)["node.kubernetes.io/instance-type"]["values"] = ["g6.xlarge", "g6.12xlarge"]
        p["spec"]["limits"] = {"nodes": 2, "nvidia.com/gpu": 4}

    (line,) = _failures("aws-dev", GPU_LIMIT, _pool, change)
    assert "under limits.nodes 2 x 4 GPUs of g6.12xlarge (8)" in line


def test_a_pool_without_a_node_limit_or_a_known_type_is_not_judged_here() -> None:
    """No node limit: the GPU limit is the only bound (gpu-budget judges it); an unknown type: no GPU count."""
    assert _failures("aws-dev", GPU_LIMIT, _pool, lambda p: p["spec"]["limits"].pop("nodes")) == []
    assert _failures("aws-dev", GPU_LIMIT, _pool, _limits("x9.unknown", 4, 1)) == []


ARCH_LINE = "NodePool gpu-l4 requires kubernetes.io/arch {op} {values} but its instance types are {types}: " \
            "Karpenter can launch no node of it"  # fmt: skip


@pytest.mark.parametrize(
    ("types", "requirement", "ok"),
    [
        (["g6.xlarge"], {"operator": "In", "values": ["amd64"]}, True),
        (["g6.xlarge"], {"operator": "In", "values": ["arm64"]}, False),  # rev17i i13
        (["g6.xlarge"], {"operator": "In", "values": ["arm64", "amd64"]}, True),
        (["g6.xlarge"], {"operator": "NotIn", "values": ["amd64"]}, False),
        (["g6.xlarge"], {"operator": "NotIn", "values": ["arm64"]}, True),
        (["g6.xlarge"], {"operator": "Exists"}, True),
        (["g5g.xlarge"], {"operator": "In", "values": ["amd64"]}, False),  # Graviton: arm64
        (["g5g.xlarge", "g6.xlarge"], {"operator": "In", "values": ["arm64"]}, True),  # g5g launches
        (["x9.unknown"], {"operator": "In", "values": ["arm64"]}, True),  # a family not listed: not judged
    ],
)
def test_the_arch_requirement_admits_an_instance_type(types: list[str], requirement: dict[str, Any], ok: bool) -> None:
    def change(p: dict[str, Any]) -> None:
        reqs = _requirements(p)
        reqs["node.kubernetes.io/instance-type"]["values"] = types
        reqs["kubernetes.io/arch"].pop("values", None)
        reqs["kubernetes.io/arch"].update(requirement)

    failed = _failures("aws-dev", ARCH, _pool, change)
    if ok:
        assert failed == []
    else:
        from policy.clouds.aws import AWS_FAMILY_ARCH

        shown = ", ".join(f"{t} {AWS_FAMILY_ARCH[t.split('.')[0]]}" for t in types)
        line = ARCH_LINE.format(op=requirement["operator"], values=requirement.get("values", []), types=shown)
        assert failed == [line]


# ---------------------------------------------------------------------------------------------- r02: tolerations


def _iris(r: Resource) -> bool:
    return r.type.endswith(":InferenceService") and r.name == "sklearn-iris-isvc"


def _on_the_gpu_pool(tolerations: list[dict[str, str]]) -> Callable[[dict[str, Any]], None]:
    """sklearn-iris's predictor sent to aws-dev's only spot pool (the l4 NodePool, tainted nvidia.com/gpu=present:
    NoSchedule) with ``tolerations``."""

    def change(p: dict[str, Any]) -> None:
        p["spec"]["predictor"]["nodeSelector"] = {"karpenter.sh/capacity-type": "spot"}
        p["spec"]["predictor"]["tolerations"] = tolerations

    return change


UNTOLERATED = (
    "sklearn-iris-isvc spec.predictor.nodeSelector (karpenter.sh/capacity-type=spot) is met only by node pools whose "
    "taints its pods do not tolerate (gpu-l4: nvidia.com/gpu=present:NoSchedule): its pods stay Pending"
)


@pytest.mark.parametrize(
    ("toleration", "ok"),
    [
        # rev17i r02: another key's Exists (AKS's spot taint) does not tolerate the GPU taint
        ({"key": "kubernetes.azure.com/scalesetpriority", "operator": "Exists", "effect": "NoSchedule"}, False),
        ({"key": "kubernetes.azure.com/scalesetpriority", "operator": "Equal", "value": "present"}, False),
        ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}, True),
        ({"key": "nvidia.com/gpu", "operator": "Exists"}, True),
        ({"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}, True),
        ({"key": "nvidia.com/gpu", "value": "present"}, True),  # Equal is the default operator
        ({"key": "nvidia.com/gpu", "operator": "Equal", "value": "absent", "effect": "NoSchedule"}, False),
        ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"}, False),  # another effect
        ({"operator": "Exists", "effect": "NoSchedule"}, True),  # an empty key with Exists: every key
        ({"operator": "Exists"}, True),
    ],
)
def test_only_a_toleration_of_the_taints_key_tolerates_it(toleration: dict[str, str], ok: bool) -> None:
    failed = _failures("aws-dev", SELECTORS, _iris, _on_the_gpu_pool([toleration]))
    assert failed == ([] if ok else [UNTOLERATED])
