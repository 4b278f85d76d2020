"""Warm GPU capacity (issue 16): placeholder pods that keep N nodes of a GPU pool up and that real models pre-empt.

The promises, checked with the semantics that decide them: the node autoscaler starts nodes for the placeholders
(priority at or above the cluster autoscaler's expendable cutoff, -10 by default), a model pod pre-empts them
(higher priority), they land only on the pool's nodes (node selector against the labels the cluster gives those
nodes; tolerations against the pool's taints), one per node, and they are valid Kubernetes objects that meet the
``restricted`` Pod Security level of their namespace.
"""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
from platform_support import L4_POOL, FakeCluster, objects, plan_platform

from components.clusters.base import GpuPoolInfo, GpuScheduling, Taint
from components.errors import SpecError
from components.platform import Platform, PlatformArgs, PlatformSettings, warm
from support import run

CA_EXPENDABLE_CUTOFF = -10
"""cluster-autoscaler ``--expendable-pods-priority-cutoff`` default: pods with priority BELOW it trigger no
scale-up (kubernetes/autoscaler cluster-autoscaler/FAQ.md, "How does Cluster Autoscaler work with Pod Priority and
Preemption?")."""
MODEL_PRIORITY = 0
"""A model pod's priority: ModelService sets no priorityClassName, and with no globalDefault class a pod gets 0
(Kubernetes docs, concepts/scheduling-eviction/pod-priority-preemption)."""
A100_SHARED = GpuPoolInfo("a100", "nvidia-a100-40gb", 4, "a2-highgpu-4g", 0, 2, False, "time-slicing", 2)


def _warm_objects(
    settings: dict[str, Any],
    pools: dict[str, GpuPoolInfo] | None = None,
    images: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    result = plan_platform(settings, cluster={"pools": pools} if pools is not None else None, warm_images=images)
    objs = objects(result)
    return {
        "priority": [o for o in objs if o["kind"] == "PriorityClass"],
        "deployments": [o for o in objs if o["kind"] == "Deployment"],
        "namespaces": [o for o in objs if o["kind"] == "Namespace" and o["metadata"]["name"] == warm.NAMESPACE],
    }


def _tolerates(tolerations: list[dict[str, str]], taint: Taint) -> bool:
    """Kubernetes toleration matching (core/v1 Toleration: ``Equal`` needs key, value and effect to match; ``Exists``
    matches any value; an empty effect matches every effect)."""
    for t in tolerations:
        if t.get("key") not in (None, "", taint.key) or t.get("effect") not in (None, "", taint.effect):
            continue
        if t.get("operator", "Equal") == "Exists" or t.get("value") == taint.value:
            return True
    return False


def _selects(selector: dict[str, str], node_labels: dict[str, str]) -> bool:
    return all(node_labels.get(k) == v for k, v in selector.items())


def test_no_warm_capacity_no_placeholders() -> None:
    got = _warm_objects({})
    assert got == {"priority": [], "deployments": [], "namespaces": []}


def test_placeholders_make_the_autoscaler_start_nodes_and_models_pre_empt_them() -> None:
    got = _warm_objects({"warmCapacity": {"l4": 2}})
    [pc] = got["priority"]
    assert pc["value"] >= CA_EXPENDABLE_CUTOFF  # not expendable: the autoscaler scales up for them
    assert pc["value"] < MODEL_PRIORITY  # a model pod pre-empts them
    assert pc["preemptionPolicy"] == "Never" and pc["globalDefault"] is False
    [dep] = got["deployments"]
    assert dep["spec"]["replicas"] == 2
    pod = dep["spec"]["template"]["spec"]
    assert pod["priorityClassName"] == pc["metadata"]["name"]
    assert pod["terminationGracePeriodSeconds"] == 0
    assert dep["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}  # the deploy does not wait for nodes


def test_placeholders_land_on_the_pools_nodes_one_per_node() -> None:
    other = GpuPoolInfo("t4", "nvidia-t4", 1, "g4dn.xlarge", 0, 2, False)
    got = _warm_objects({"warmCapacity": {"l4": 1}}, pools={"l4": L4_POOL, "t4": other})
    [dep] = got["deployments"]
    pod = dep["spec"]["template"]["spec"]
    gpu = GpuScheduling(pools={"l4": L4_POOL, "t4": other})
    assert _selects(pod["nodeSelector"], gpu.node_labels(L4_POOL))
    assert not _selects(pod["nodeSelector"], gpu.node_labels(other))  # never keeps another pool's node
    assert all(_tolerates(pod["tolerations"], t) for t in gpu.taints)
    [term] = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert _selects(term["labelSelector"]["matchLabels"], dep["spec"]["template"]["metadata"]["labels"])
    [container] = pod["containers"]
    assert container["resources"]["requests"]["nvidia.com/gpu"] == "1"  # L4_POOL: 1 GPU per node, all of it
    assert container["resources"]["limits"] == container["resources"]["requests"]


def test_a_placeholder_holds_a_whole_node_or_one_share_of_a_shared_pool() -> None:
    whole = GpuPoolInfo("h100", "nvidia-h100-80gb", 8, "p5.48xlarge", 0, 2, False)
    assert warm.gpus_requested(whole) == 8  # any model that fits the node pre-empts it
    # time-slicing: the device plugin refuses requests above 1 (failRequestsGreaterThanOne), so one share
    assert warm.gpus_requested(A100_SHARED) == 1
    assert (A100_SHARED.device_plugin_config() or {})["sharing"]["timeSlicing"]["failRequestsGreaterThanOne"] is True


def test_placeholder_objects_validate_and_meet_restricted() -> None:
    got = _warm_objects({"warmCapacity": {"l4": 1}})
    for obj in [*got["priority"], *got["deployments"], *got["namespaces"]]:
        kubernetes_validate.validate(obj, "1.34.0", strict=True)
    [ns] = got["namespaces"]
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    pod = got["deployments"][0]["spec"]["template"]["spec"]
    # Pod Security "restricted" (kubernetes.io docs/concepts/security/pod-security-standards): non-root, seccomp
    # RuntimeDefault, no privilege escalation, all capabilities dropped.
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    sc = pod["containers"][0]["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False and sc["capabilities"] == {"drop": ["ALL"]}


def test_zero_warm_nodes_creates_nothing() -> None:
    assert _warm_objects({"warmCapacity": {"l4": 0}})["deployments"] == []


@pytest.mark.parametrize(
    ("warm_capacity", "message"),
    [
        ({"l5": 1}, "platform.warmCapacity.l5: 1 is not allowed; no GPU pool l5 in cluster.gpuPools; pools: l4"),
        ({"l4": 5}, "platform.warmCapacity.l4: 5 is not allowed; give at most 4 (the pool's maxNodes)"),
    ],
)
def test_warm_capacity_the_cluster_cannot_give_is_one_line_before_registering(
    warm_capacity: dict[str, int], message: str
) -> None:
    registered: list[str] = []

    def program() -> None:
        cluster = FakeCluster()
        try:
            Platform("p", PlatformArgs(cluster=cluster, settings=PlatformSettings.model_validate(
                {"warmCapacity": warm_capacity})))  # fmt: skip
        except SpecError as e:
            registered.append(str(e))

    result = run(program)
    assert registered == [message]
    assert not [r for r in result.resources if r.type == "mlplatform:index:Platform"]


HF_GPU = "kserve/huggingfaceserver:v0.20.0-gpu"
TRITON = "nvcr.io/nvidia/tritonserver:23.05-py3"


def test_placeholders_pre_pull_the_images_of_their_accelerators_models() -> None:
    """Each image once, only on pools of the accelerator whose models run it, by containers after the placeholder
    that the kubelet must pull before it runs them (``IfNotPresent``: an image already there is not pulled again),
    that wait on stdin with shell built-ins only and meet ``restricted`` like the placeholder itself; valid
    Kubernetes objects (strict)."""
    images = {L4_POOL.accelerator: [TRITON, HF_GPU, TRITON], "nvidia-t4": ["kserve/sklearnserver:v0.20.0"]}
    got = _warm_objects({"warmCapacity": {"l4": 1}}, images=images)
    [dep] = got["deployments"]
    kubernetes_validate.validate(dep, "1.34.0", strict=True)
    pod = dep["spec"]["template"]["spec"]
    assert "initContainers" not in pod  # rev16b defect 2: an init container that cannot pull blocks the next ones
    assert pod["containers"][0]["name"] == "placeholder"
    inits = pod["containers"][1:]
    assert [c["image"] for c in inits] == [HF_GPU, TRITON]  # sorted, once each; the t4 model's image is not here
    for c in inits:
        # sh, not /bin/true: KServe's modelcar runs `sh -c` in a model image, which need not have /bin/true
        # (kserve/kserve v0.20.0 pkg/utils/storage.go CreateModelcarInitContainer)
        assert c["command"] == ["sh", "-c", "while read -r _; do :; done"] and c["imagePullPolicy"] == "IfNotPresent"
        assert c["stdin"] is True and not c.get("stdinOnce")  # stdin never reaches EOF: the loop never ends
        sc = c["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False and sc["capabilities"] == {"drop": ["ALL"]}
        assert "nvidia.com/gpu" not in c["resources"]["limits"]  # the GPUs stay the placeholder container's
    assert pod["securityContext"]["runAsNonRoot"] is True  # applies to the init containers too


def test_every_placeholder_container_has_a_read_only_root_and_cpu_and_memory_limits() -> None:
    """issue #17 (rev17g g09, g10): each pre-pull container runs a model's or a runtime's image on the GPU node, so it
    gets a read-only root filesystem (core/v1 SecurityContext ``readOnlyRootFilesystem``, "Default is false") and
    cpu and memory limits (a container may use more than its request when there is no limit: kubernetes.io
    concepts/configuration/manage-resources-containers, "Requests and limits"), like the placeholder itself."""
    [dep] = _warm_objects({"warmCapacity": {"l4": 1}}, images={L4_POOL.accelerator: [TRITON, HF_GPU]})["deployments"]
    containers = dep["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["placeholder", "prepull-0", "prepull-1"]
    for c in containers:
        assert c["securityContext"]["readOnlyRootFilesystem"] is True, c["name"]
        assert {"cpu", "memory"} <= set(c["resources"]["limits"]), c["name"]


def test_no_images_no_pre_pull_containers() -> None:
    [dep] = _warm_objects({"warmCapacity": {"l4": 1}})["deployments"]
    assert [c["name"] for c in dep["spec"]["template"]["spec"]["containers"]] == ["placeholder"]


def test_a_shared_pool_pre_pulls_nothing() -> None:
    """On a pool that shares GPUs a model may start beside a placeholder on a new node, where the kubelet's serial
    pulls would queue the pre-pull in front of the model's own pull: no pre-pull there."""
    images = {A100_SHARED.accelerator: [HF_GPU]}
    [dep] = _warm_objects({"warmCapacity": {"a100": 1}}, pools={"a100": A100_SHARED}, images=images)["deployments"]
    assert [c["name"] for c in dep["spec"]["template"]["spec"]["containers"]] == ["placeholder"]


@pytest.mark.parametrize("images", [["bad image"], "kserve/x:1", [""], [3], None])
def test_bad_warm_images_are_one_line_before_registering(images: object) -> None:
    with pytest.raises(SpecError) as e:
        PlatformArgs(cluster=FakeCluster(), warm_images={"nvidia-l4": images})  # type: ignore[dict-item]
    assert "\n" not in str(e.value) and str(e.value).startswith("warm_images.nvidia-l4: ")
