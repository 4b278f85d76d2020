"""issue #17, the eighth mutation round (rev17h): boundary tests for the rule slips no test caught.

- r04: warm-capacity-preemptible's one-per-node spread (rev17g g11) is a required podAntiAffinity term on
  kubernetes.io/hostname that selects the placeholder's OWN pods by its pool label. A term's matchLabels and
  matchExpressions are ANDed (meta/v1 LabelSelector: "matchLabels ... The requirements are ANDed"; "matchExpressions is
  a list of label selector requirements. The requirements are ANDed"), and a term with ``namespaces`` and no
  ``namespaceSelector`` selects pods of those namespaces only (core/v1 PodAffinityTerm: "The term is applied to the
  union of the namespaces listed in this field and the ones selected by namespaceSelector. null or empty namespaces
  list and null namespaceSelector means 'this pod's namespace'"). A term that selects another pool's placeholders, or
  none of its own, lets two of this pool's placeholders share a node: fewer nodes stay warm.
- r10: gpu-memory-fits judges a custom container's GPUs (``spec.predictor.containers``), not only
  ``spec.predictor.model``'s: azure-staging's bert-onnx on one nvidia-t4 (16 GiB, 17.18 GB) as a custom container.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from policy.rules import run_rules
from support import cover_plan, mutated_resources, rules_plan

WARM = "warm-capacity-preemptible"
POOL_LABEL = "mlplatform.io/warm-capacity-pool"
SPREAD = "no required podAntiAffinity on kubernetes.io/hostname"
AWS, GCP = "cover-aws-node-groups", "cover-gcp-standard"


def _placeholder(pool: str) -> Callable[[Any], bool]:
    return lambda r: r.type == "kubernetes:apps/v1:Deployment" and r.k8s_name == f"warm-{pool}"


def _warm_failures(stack: str, pool: str, change: Callable[[dict[str, Any]], None]) -> list[str]:
    resources, settings = cover_plan(stack)
    mutated = mutated_resources(resources, _placeholder(pool), change, exactly=1)
    return [e["message"] for e in run_rules(mutated, settings) if e["policy"] == WARM and not e["passed"]]


def _term(p: dict[str, Any]) -> dict[str, Any]:
    term: dict[str, Any] = p["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ][0]
    return term


def _selector(p: dict[str, Any]) -> dict[str, Any]:
    selector: dict[str, Any] = _term(p)["labelSelector"]
    return selector


def _other_pool_by_expression(p: dict[str, Any]) -> None:
    """rev17h r04's input: the pool label moved out of matchLabels into an expression naming another pool."""
    _selector(p)["matchLabels"].pop(POOL_LABEL)
    _selector(p)["matchExpressions"] = [{"key": POOL_LABEL, "operator": "In", "values": ["other"]}]


def _not_in_own_pool(p: dict[str, Any]) -> None:
    _selector(p)["matchExpressions"] = [{"key": POOL_LABEL, "operator": "NotIn", "values": [_own(p)]}]


def _own(p: dict[str, Any]) -> str:
    pool: str = p["spec"]["template"]["metadata"]["labels"][POOL_LABEL]
    return pool


SPREAD_CASES: dict[str, tuple[Callable[[dict[str, Any]], None], bool]] = {
    "as-rendered": (lambda p: None, True),
    "other-pool-label": (lambda p: _selector(p)["matchLabels"].update({POOL_LABEL: "other"}), False),
    "other-pool-expression": (_other_pool_by_expression, False),
    "no-pool-label": (lambda p: _selector(p)["matchLabels"].pop(POOL_LABEL), False),
    "own-pool-and-not-in-own-pool": (_not_in_own_pool, False),
    "own-pool-and-label-absent": (
        lambda p: _selector(p).update(matchExpressions=[{"key": POOL_LABEL, "operator": "DoesNotExist"}]),
        False,
    ),
    "own-pool-and-in-own-pool": (
        lambda p: _selector(p).update(matchExpressions=[{"key": POOL_LABEL, "operator": "In", "values": [_own(p)]}]),
        True,
    ),
    "own-pool-and-exists": (
        lambda p: _selector(p).update(matchExpressions=[{"key": POOL_LABEL, "operator": "Exists"}]),
        True,
    ),
    "other-namespace-only": (lambda p: _term(p).update(namespaces=["elsewhere"]), False),
    "own-namespace-listed": (lambda p: _term(p).update(namespaces=[p["metadata"]["namespace"]]), True),
}


@pytest.mark.parametrize("case", list(SPREAD_CASES))
@pytest.mark.parametrize(("stack", "pool"), [(AWS, "l4"), (GCP, "a100")])
def test_the_one_per_node_term_selects_the_placeholders_own_pods(case: str, stack: str, pool: str) -> None:
    """rev17h r04: a term naming another pool's placeholders (by matchLabels or by an expression), or selecting none
    of its own (an ANDed expression its labels fail, another namespace), fails; one selecting its own pool passes."""
    change, ok = SPREAD_CASES[case]
    failed = _warm_failures(stack, pool, change)
    if ok:
        assert failed == [], failed
    else:
        assert len(failed) == 1 and SPREAD in failed[0] and f"{POOL_LABEL}={pool}" in failed[0], failed


GPU_MEMORY = "gpu-memory-fits"


def _custom_container(size: str) -> Callable[[dict[str, Any]], None]:
    """bert-onnx's predictor as a custom container: the model's image, args and resources (one nvidia-t4) moved into
    ``spec.predictor.containers``, with ``size`` GB of weights (``mlplatform.io/model-size-gb``)."""

    def change(p: dict[str, Any]) -> None:
        predictor = p["spec"]["predictor"]
        model = predictor.pop("model")
        predictor["containers"] = [
            {"name": "kserve-container", "image": "example.com/bert-onnx:1.0", "resources": model["resources"]}
        ]
        p["metadata"]["annotations"]["mlplatform.io/model-size-gb"] = size

    return change


def _bert_onnx(r: Any) -> bool:
    return bool(r.type == "kubernetes:serving.kserve.io/v1beta1:InferenceService" and r.k8s_name == "bert-onnx")


def _gpu_memory_failures(change: Callable[[dict[str, Any]], None]) -> list[str]:
    resources, settings = rules_plan("azure-staging")
    mutated = mutated_resources(resources, _bert_onnx, change, exactly=1)
    return [e["message"] for e in run_rules(mutated, settings) if e["policy"] == GPU_MEMORY and not e["passed"]]


@pytest.mark.parametrize(("size", "ok"), [("20", False), ("17.2", False), ("17.1", True)])
def test_a_custom_containers_gpus_are_judged(size: str, ok: bool) -> None:
    """rev17h r10: one nvidia-t4 holds 16 GiB = 17.18 GB (components/catalog.yaml): 17.1 GB of weights load, 17.2 GB
    and 20 GB do not, whether the GPU is asked by ``model`` or by a custom container."""
    failed = _gpu_memory_failures(_custom_container(size))
    if ok:
        assert failed == [], failed
    else:
        assert failed == [
            f"models/bert-onnx: {size} GB of weights on 1 x nvidia-t4 (16 GiB each, 17.18 GB): the model never loads "
            "into its GPUs' memory"
        ], failed
