"""issue #17, the seventh mutation round (rev17g): warm-capacity-preemptible over real plans (the cover stacks,
tests/golden_stacks) mutated the way each slip renders them.

- g08: a placeholder that holds less than its whole node pre-pulls nothing (cover-gcp-standard keeps its MIG A100 pool
  warm: GKE's ``gpuPartitionSize`` shares the GPU; the kubelet pulls serially, components/platform/warm.py);
- g09, g10: every placeholder container (pause and ``prepull-*``) has a read-only root and cpu and memory limits
  (cover-aws-node-groups pre-pulls its L4 models' runtime images);
- g11: each placeholder spreads one per node: a required podAntiAffinity on kubernetes.io/hostname selecting its own
  pods by their pool label (every matchLabels label must match: meta/v1 LabelSelector "The requirements are ANDed").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from policy.rules import run_rules
from support import cover_plan, mutated_resources, rules_named

RULE = "warm-capacity-preemptible"
AWS, GCP = "cover-aws-node-groups", "cover-gcp-standard"


def placeholder(pool: str) -> Callable[[Any], bool]:
    return lambda r: r.type == "kubernetes:apps/v1:Deployment" and r.k8s_name == f"warm-{pool}"


def failures(stack: str, pool: str, change: Callable[[dict[str, Any]], None]) -> list[str]:
    resources, settings = cover_plan(stack)
    mutated = mutated_resources(resources, placeholder(pool), change, exactly=1)
    return [
        e["message"]
        for e in run_rules(mutated, settings, rules=rules_named(RULE))
        if e["policy"] == RULE and not e["passed"]
    ]


def containers(props: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = props["spec"]["template"]["spec"]["containers"]
    return found


def test_the_cover_placeholders_pass() -> None:
    for stack, pool in ((AWS, "l4"), (GCP, "a100")):
        assert failures(stack, pool, lambda p: None) == [], stack
    resources, _ = cover_plan(AWS)
    (dep,) = [r for r in resources if placeholder("l4")(r)]
    assert [c["name"] for c in containers(dict(dep.props))] == ["placeholder", "prepull-0", "prepull-1"]


PREPULL = {
    "name": "prepull-0",
    "image": "kserve/huggingfaceserver:v0.20.0-gpu",
    "command": ["sh", "-c", "while read -r _; do :; done"],
    "stdin": True,
    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "10m", "memory": "16Mi"}},
    "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True},
}


def test_a_placeholder_holding_one_share_of_a_shared_pool_pre_pulls_nothing() -> None:
    """rev17g g08: the a100 pool shares its GPU (MIG, ``gpuPartitionSize``); a pre-pull there may queue in front of a
    model's own pull on a node the model shares with the placeholder."""
    failed = failures(GCP, "a100", lambda p: containers(p).append(dict(PREPULL)))
    # (the pre-pull also misses the onnx model's image: the older pre-pull check says so on its own line)
    assert [m for m in failed if "pre-pulls 1 image(s) though its pool shares GPUs" in m], failed


@pytest.mark.parametrize(("gpus", "ok"), [("1", True), ("0", False)])
def test_a_placeholder_that_holds_fewer_gpus_than_its_node_pre_pulls_nothing(gpus: str, ok: bool) -> None:
    """cover-aws-node-groups' l4 nodes have one GPU: a placeholder that holds it may pre-pull, one that holds none
    may not."""

    def change(p: dict[str, Any]) -> None:
        res = containers(p)[0]["resources"]
        res["requests"]["nvidia.com/gpu"] = res["limits"]["nvidia.com/gpu"] = gpus

    failed = failures(AWS, "l4", change)
    assert (failed == []) is ok, failed
    if not ok:
        assert "requests 0 of the node's 1 GPUs" in failed[0], failed


def _anti(p: dict[str, Any]) -> dict[str, Any]:
    term: dict[str, Any] = p["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ][0]
    return term


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p["spec"]["template"]["spec"].pop("affinity"),  # g11: the key renamed, the term gone
        lambda p: _anti(p).update(topologyKey="topology.kubernetes.io/zone"),  # one per zone, not per node
        lambda p: _anti(p)["labelSelector"]["matchLabels"].update({"mlplatform.io/warm-capacity-pool": "other"}),
        lambda p: _anti(p)["labelSelector"]["matchLabels"].update(extra="x"),  # ANDed: selects none of its pods
        lambda p: p["spec"]["template"]["spec"]["affinity"].update(
            podAntiAffinity={"preferredDuringSchedulingIgnoredDuringExecution": []}
        ),
    ],
    ids=["dropped", "zone", "other-pool", "extra-label", "preferred-only"],
)
@pytest.mark.parametrize(("stack", "pool"), [(AWS, "l4"), (GCP, "a100")])
def test_a_placeholder_without_one_per_node_anti_affinity_fails(
    change: Callable[[dict[str, Any]], None], stack: str, pool: str
) -> None:
    failed = failures(stack, pool, change)
    assert len(failed) == 1 and "no required podAntiAffinity on kubernetes.io/hostname" in failed[0], failed


@pytest.mark.parametrize("index", [0, 1, 2])
@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda c: c["securityContext"].update(readOnlyRootFilesystem=False), "no read-only root filesystem"),  # g09
        (lambda c: c["securityContext"].pop("readOnlyRootFilesystem"), "no read-only root filesystem"),  # default false
        (lambda c: c["resources"].pop("limits"), "no cpu or memory limit"),  # g10
        (lambda c: c["resources"]["limits"].pop("memory"), "no memory limit"),
        (lambda c: c["resources"]["limits"].pop("cpu"), "no cpu limit"),
    ],
    ids=["rw-root", "root-unset", "no-limits", "no-memory-limit", "no-cpu-limit"],
)
def test_every_placeholder_container_is_read_only_and_limited(
    change: Callable[[dict[str, Any]], None], why: str, index: int
) -> None:
    """Container 0 is the pause placeholder, 1 and 2 pre-pull the L4 models' runtime images."""
    failed = failures(AWS, "l4", lambda p: change(containers(p)[index]))
    name = ["placeholder", "prepull-0", "prepull-1"][index]
    assert len(failed) == 1 and f"container {name} has {why}" in failed[0], failed


# ------------------------------------------------------------------------------------------------ KEDA on prod (P7)

AKS = "cover-aks-prod-dns"
KEDA = "keda-ha-values"


def keda_failures(change: Callable[[dict[str, Any]], None]) -> list[str]:
    resources, settings = cover_plan(AKS)

    def pick(r: Any) -> bool:
        return r.type == "kubernetes:helm.sh/v3:Release" and r.name.endswith("-keda")

    mutated = mutated_resources(resources, pick, lambda p: change(p["values"]), exactly=1)
    return [
        e["message"]
        for e in run_rules(mutated, settings, rules=rules_named(KEDA))
        if e["policy"] == KEDA and not e["passed"]
    ]


def test_keda_on_the_prod_cover_stack_passes() -> None:
    """cover-aks-prod-dns installs KEDA on prod (rev17g P7): its spread and PodDisruptionBudgets are judged there."""
    assert keda_failures(lambda v: None) == []


@pytest.mark.parametrize(
    ("labels", "ok"),
    [
        ({"app": "keda-operator"}, True),
        ({"app": "keda-operator", "app.kubernetes.io/name": "keda-operator"}, True),
        ({"app": "keda-operator", "extra": "x"}, False),  # rev17g r13: one wrong label of two (ANDed) selects none
        ({"app.kubernetes.io/name": "keda"}, False),  # rev17g g15: a label no component's pod carries
        ({}, False),
    ],
)
def test_a_keda_spread_selects_the_components_pods_with_all_its_labels(labels: dict[str, str], ok: bool) -> None:
    """meta/v1 LabelSelector: "matchLabels is a map of {key,value} pairs ... The requirements are ANDed", and a
    TopologySpreadConstraint counts only the pods its labelSelector matches: a selector with one label the operator's
    pods lack counts none of them, and the operator's replicas may share one zone."""

    def change(values: dict[str, Any]) -> None:
        for constraint in values["topologySpreadConstraints"]["operator"]:
            constraint["labelSelector"] = {"matchLabels": dict(labels)}

    failed = keda_failures(change)
    assert (failed == []) is ok, failed
    if not ok:
        assert all("topologySpreadConstraints.operator" in m for m in failed), failed


def test_a_keda_component_without_a_disruption_budget_on_prod_fails() -> None:
    failed = keda_failures(lambda v: v["podDisruptionBudget"]["operator"].pop("minAvailable"))
    assert len(failed) == 1 and "podDisruptionBudget.operator sets neither" in failed[0], failed
