"""The estimated deploy time: the critical path through the recorded dependency graph."""

from __future__ import annotations

from functools import cache

import pulumi
import pytest

from components import deploytime
from components.deploytime import DeployTimeError, TimeEntry, critical_path, entry_for, load, parse
from components.plan.engine import PlanResult
from support import run, shipped_plan

# A small table so that the expected figures are plain arithmetic.
TABLE = (
    TimeEntry("cloud:index:Cluster", 10, 8, 15, "test"),
    TimeEntry("cloud:index:NodePool", 3, 2, 5, "test", serialize_by="cluster"),
    TimeEntry("remote:index:Bundle", 4, 3, 6, "test"),
    TimeEntry("kubernetes:helm.sh/v3:Release", 5, 4, 9, "test", chart="slow-chart"),
    TimeEntry("kubernetes:helm.sh/v3:Release", 2, 1, 5, "test"),
    TimeEntry("pulumi:providers:*", 0, 0, 0, "test"),
    TimeEntry("*", 0.5, 0.1, 1, "test"),
)


def res(type_: str, name: str, props: dict[str, object] | None = None, **opts: object) -> pulumi.CustomResource:
    return pulumi.CustomResource(type_, name, props or {}, pulumi.ResourceOptions(**opts))  # type: ignore[arg-type]


def release(name: str, chart: str = "chart", **opts: object) -> pulumi.CustomResource:
    return res("kubernetes:helm.sh/v3:Release", name, {"chart": chart}, **opts)


def path_of(program: object) -> deploytime.CriticalPath:
    return critical_path(run(program, outputs="unknown"), TABLE)  # type: ignore[arg-type]


def names(path: deploytime.CriticalPath) -> list[str]:
    return [s.name for s in path.steps]


def test_parallel_installs_take_the_longest_one() -> None:
    def program() -> None:
        cluster = res("cloud:index:Cluster", "k")
        for n in ("a", "b", "c"):
            release(n, depends_on=[cluster])

    path = path_of(program)
    assert path.minutes == 12 and (path.low, path.high) == (9, 20)
    assert names(path) == ["k", "a"]


def test_serialised_installs_show_up_in_the_path() -> None:
    def program() -> None:
        cluster = res("cloud:index:Cluster", "k")
        a = release("a", depends_on=[cluster])
        b = release("b", depends_on=[a])
        release("c", "slow-chart", depends_on=[b])

    path = path_of(program)
    assert path.minutes == 10 + 2 + 2 + 5
    assert [(s.name, s.start, s.minutes) for s in path.steps] == [
        ("k", 0, 10),
        ("a", 10, 2),
        ("b", 12, 2),
        ("c", 14, 5),
    ]


def test_output_dependencies_count_like_depends_on() -> None:
    def program() -> None:
        cluster = res("cloud:index:Cluster", "k", {"name": "k"})
        provider = pulumi.ProviderResource("kubernetes", "p", {"kubeconfig": cluster.urn})  # an input from the cluster
        release("a", provider=provider)

    path = path_of(program)
    assert names(path) == ["k", "a"] and path.minutes == 12


class Group(pulumi.ComponentResource):
    def __init__(self, name: str, children: int, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("test:index:Group", name, None, opts)
        prev = None
        for i in range(children):
            prev = release(f"{name}-{i}", parent=self, depends_on=[prev] if prev else None)
        self.register_outputs({})


def test_depending_on_a_component_waits_for_all_its_children() -> None:
    def program() -> None:
        group = Group("g", 3)  # 3 chained releases: 6 min
        res("test:index:Thing", "after", depends_on=[group])

    path = path_of(program)
    assert names(path) == ["g-0", "g-1", "g-2", "after"] and path.minutes == 6.5


def test_children_of_a_component_wait_for_what_the_component_waits_on() -> None:
    def program() -> None:
        cluster = res("cloud:index:Cluster", "k")
        Group("g", 1, pulumi.ResourceOptions(depends_on=[cluster]))

    path = path_of(program)
    assert names(path) == ["k", "g-0"] and path.minutes == 12


def test_a_remote_component_without_children_takes_its_own_time() -> None:
    def program() -> None:
        bundle = pulumi.ComponentResource("remote:index:Bundle", "eks", None, remote=True)
        res("test:index:Thing", "after", depends_on=[bundle])

    path = path_of(program)
    assert [(s.name, s.minutes) for s in path.steps] == [("eks", 4), ("after", 0.5)]


def test_resource_references_in_inputs_are_waited_on() -> None:
    def program() -> None:
        cluster = res("cloud:index:Cluster", "k")
        res("test:index:Thing", "uses", {"cluster": "placeholder"})
        # a resource passed as an input (as pulumi-eks node groups take cluster=): recorded as its URN
        pulumi.ComponentResource("remote:index:Bundle", "ng", {"cluster": cluster}, remote=True)

    path = path_of(program)
    assert names(path) == ["k", "ng"] and path.minutes == 14


def test_node_pools_of_one_cluster_are_created_one_after_another() -> None:
    def program() -> None:
        cluster = res("cloud:index:Cluster", "k", {"name": "k"})
        other = res("cloud:index:Cluster", "k2", {"name": "k2"})
        for n in ("p1", "p2", "p3"):
            res("cloud:index:NodePool", n, {"cluster": "k"}, depends_on=[cluster])
        res("cloud:index:NodePool", "q1", {"cluster": "k2"}, depends_on=[other])

    path = path_of(program)
    assert [(s.name, s.start) for s in path.steps] == [("k", 0), ("p1", 10), ("p2", 13), ("p3", 16)]
    assert path.minutes == 19


def test_json_shape_and_summary() -> None:
    def program() -> None:
        release("a", depends_on=[res("cloud:index:Cluster", "k")])

    doc = path_of(program).to_json()
    assert doc["minutes"] == 12 and doc["low"] == 9 and doc["high"] == 20 and doc["resources"] == 2
    assert doc["criticalPath"][1] == {
        "name": "a", "type": "kubernetes:helm.sh/v3:Release",
        "urn": "urn:pulumi:test::mlplatform::kubernetes:helm.sh/v3:Release::a",
        "startMinutes": 10, "minutes": 2, "low": 1, "high": 5, "source": "test",
    }  # fmt: skip
    assert doc["summary"] == "about 12 min (9.0 min to 20 min) along 2 resources that wait on each other, of 2"
    assert critical_path(PlanResult("p", "s", [], {}), TABLE).summary() == "nothing to create"


def test_table_entries_have_sources_and_sane_ranges() -> None:
    table = load()
    assert table[-1].match == "*"
    for entry in table:
        assert entry.source and entry.low <= entry.minutes <= entry.high
    assert entry_for_type("eks:index:Cluster").minutes == 10
    assert entry_for_type("azure-native:containerservice:ManagedCluster").minutes == 9
    assert entry_for_type("kubernetes:core/v1:ConfigMap").match == "kubernetes:*"
    assert entry_for_type("pulumi:providers:kubernetes").minutes == 0


def entry_for_type(type_: str) -> TimeEntry:
    from components.plan.engine import Registration

    return entry_for(Registration("urn", type_, "n", True, None, None, [], {}, {}))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"entries": [{"match": "*", "minutes": 1, "low": 2, "high": 3, "source": "x"}]},
         "deploy times: entries[0]: give low <= minutes <= high, got 2, 1, 3"),
        ({"entries": [{"match": "*", "minutes": 1, "low": 0, "high": 3, "source": " "}]},
         "deploy times: entries[0]: source must name where the figure comes from"),
        ({"entries": [{"match": "a:b:C", "minutes": 1, "low": 0, "high": 3, "source": "x"}]},
         "deploy times: the last entry must be the catch-all match: '*'"),
        ({"entries": [{"match": "*", "minutes": 1, "low": 0, "high": 3, "source": "x", "typo": 1}]},
         "deploy times: entries[0]: unknown key typo"),
        ({"entries": [{"match": "*", "minutes": 1}]},
         "deploy times: entries[0]: give match, minutes, low, high and source"),
    ],
)  # fmt: skip
def test_bad_table_data_is_one_line(data: object, message: str) -> None:
    with pytest.raises(DeployTimeError) as e:
        parse(data)
    assert str(e.value) == message


RELEASE = "kubernetes:helm.sh/v3:Release"
SERVING = "kubernetes:operator.knative.dev/v1beta1:KnativeServing"


@cache
def stack_path(stack: str) -> deploytime.CriticalPath:
    return critical_path(shipped_plan(stack).result)


def test_aws_dev_path_runs_through_the_cluster_and_the_install_chain() -> None:
    path = stack_path("aws-dev")
    types = [s.type for s in path.steps]
    # through pulumi-eks's children (modelled in the plan): its service role, then the EKS control plane
    assert types[0] == "awsx:ec2:Vpc" and "aws:eks/cluster:Cluster" in types
    on_path = [s.name for s in path.steps if s.type in (RELEASE, SERVING)]
    # The add-ons install in parallel (components/platform/platform.py): the longest chain is Istio's base and CNI
    # (the activator is injected), KnativeServing Ready, then KServe's controller and its runtimes. cert-manager and
    # kserve-crd run beside it and are not on the path.
    assert on_path == [
        "mlplatform-istio-base",
        "mlplatform-istio-cni",
        "mlplatform-knative-serving",
        "mlplatform-kserve-resources",
        "mlplatform-kserve-runtime-configs",
    ]
    assert path.minutes == pytest.approx(sum(s.minutes for s in path.steps))
    assert 20 <= path.minutes <= 40  # research/performance.md: ~20-30 min for a cold EKS + add-ons deploy


def test_the_platform_part_is_a_critical_path_not_a_serial_sum() -> None:
    # Regression (issue 16): every add-on waited for the one before, so the platform took the sum of its installs.
    result = shipped_plan("local").result
    path = critical_path(result)
    installs = [r for r in result.resources if r.type in (RELEASE, SERVING)]
    serial = sum(entry_for(r).minutes for r in installs)
    on_path = sum(s.minutes for s in path.steps if s.type in (RELEASE, SERVING))
    # local: base 0.2 + cni 1.5 + KnativeServing 1.5 + kserve 1.5 + runtimes 0.2 (components/deploy_times.yaml)
    assert on_path == pytest.approx(4.9)
    assert serial > on_path + 5
    assert path.minutes <= 8  # issue 16 target: the platform on an existing cluster (local) within 8 min


ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
MODEL_TABLE = (
    TimeEntry(ISVC, 0.05, 0.02, 0.2, "test", model_start=True),
    TimeEntry("pulumi:providers:*", 0, 0, 0, "test"),
    TimeEntry("*", 0.5, 0.1, 1, "test"),
)


class _Cluster(pulumi.ComponentResource):
    def __init__(self, min_nodes: int) -> None:
        super().__init__("test:index:Cluster", "k")
        pools = {"l4": {"accelerator": "nvidia-l4", "minNodes": min_nodes, "maxNodes": 2}}
        self.register_outputs({"cloud": "aws", "gpuProvisioner": "karpenter", "gpuPools": pools})


def _isvc_program(min_nodes: int, gpus: int = 1, wait: bool = True) -> object:
    def program() -> None:
        cluster = _Cluster(min_nodes)
        model: dict[str, object] = {"modelFormat": {"name": "pytorch"}, "storageUri": "s3://b/resnet"}
        predictor: dict[str, object] = {"minReplicas": 0, "model": model}
        if gpus:
            model["resources"] = {"limits": {"nvidia.com/gpu": gpus}}
            predictor["nodeSelector"] = {"cloud.google.com/gke-accelerator": "nvidia-l4"}
        annotations = {"pulumi.com/waitFor": "condition=Ready"} if wait else {}
        res(ISVC, "m", {"metadata": {"name": "m", "annotations": annotations}, "spec": {"predictor": predictor}},
            depends_on=[cluster])  # fmt: skip

    return program


def _isvc_step(program: object) -> deploytime.Step:
    path = critical_path(run(program, outputs="unknown"), MODEL_TABLE)  # type: ignore[arg-type]
    return next(s for s in path.steps if s.type == ISVC)


def test_an_isvc_that_waits_for_ready_counts_its_model_start() -> None:
    # Regression: the InferenceService was one API call (0.05 min) although pulumi waits for its model to start.
    # pytorch on aws/Karpenter from zero (components/coldstart.yaml): 1.67 + 1.0 + 1.79 + 0.01 + 0.5 + 0.21 = 5.18
    step = _isvc_step(_isvc_program(min_nodes=0))
    assert step.minutes == pytest.approx(0.05 + 5.18)
    assert "model start fromZero 5.18 min" in step.source


def test_a_pool_with_a_node_up_gives_the_warm_node_start() -> None:
    # minNodes 1: the deploy creates the node with the pool, so the model starts on a warm node:
    # 1.79 + 0.01 + 0.5 + 0.21
    step = _isvc_step(_isvc_program(min_nodes=1))
    assert step.minutes == pytest.approx(0.05 + 2.51)
    assert "warmNode" in step.source


def test_an_isvc_that_does_not_wait_stays_one_api_call() -> None:
    result = run(_isvc_program(min_nodes=0, wait=False), outputs="unknown")  # type: ignore[arg-type]
    reg = next(r for r in result.resources if r.type == ISVC)
    assert deploytime.model_start_entry(reg, MODEL_TABLE[0], {"cloud": "aws"}) == MODEL_TABLE[0]


def test_shipped_stacks_count_their_models_start() -> None:
    # aws-dev: resnet50's pool l4 has minNodes 0, so its start is fromZero (5.18 min, tests/test_coldstart.py)
    aws = [s for s in stack_path("aws-dev").steps if s.type == ISVC]
    assert [(s.name, s.minutes) for s in aws] == [("resnet50-isvc", pytest.approx(0.05 + 5.18))]


def test_the_shipped_table_marks_inference_services() -> None:
    reg_type = next(e for e in load() if e.match == ISVC)
    assert reg_type.model_start and reg_type.minutes == 0.05


def test_every_registered_cluster_and_pool_type_has_its_own_entry() -> None:
    """A cluster or pool type of the registry takes minutes: each has an entry naming it, not a pattern's figure."""
    from components import clouds

    exact = {e.match for e in load()}
    assert [t for t in (*clouds.cluster_types(), *clouds.pool_types()) if t not in exact] == []


def test_a_registered_clouds_cluster_without_an_entry_is_unknown_not_one_api_call() -> None:
    """A fourth cloud (a fake, ``zeta``: not docs/extending.md's example ``ocp``, whose real entries would
    collide with it) registered without deploy-time entries: its cluster and pool are reported unknown (left out of
    the figures, named in the summary and the JSON), not estimated at the catch-all's 0.1 min (review of #15,
    finding 3). The same types unregistered stay ordinary resources of the catch-all."""
    import dataclasses

    from components import clouds

    cluster, pool = "zeta:kube/cluster:Cluster", "zeta:kube/nodePool:NodePool"

    def program() -> None:
        k = res(cluster, "k")
        release("a", depends_on=[res(pool, "p", depends_on=[k])])

    fourth = dataclasses.replace(
        clouds.get("existing"), name="zeta", managed=True, cluster_types=(cluster,), pool_types=(pool,), modules=()
    )
    assert entry_for_type(cluster).minutes == 0.1 and not entry_for_type(cluster).unknown
    with clouds.registered(fourth):
        assert entry_for_type(cluster).unknown and entry_for_type(pool).unknown
        path = critical_path(run(program, outputs="unknown"), load())  # type: ignore[arg-type]
    assert [s.type for s in path.unknown] == [cluster, pool]
    assert names(path) == ["a"]
    assert path.summary().endswith(
        f"; creation time unknown for 2 resource(s) of {cluster}, {pool} (no entry in "
        "components/deploy_times.yaml), left out"
    )
    doc = path.to_json()
    assert [u["type"] for u in doc["unknown"]] == [cluster, pool]
    assert doc["unknown"][0]["source"].startswith(f"unknown: no entry for {cluster} in components/deploy_times.yaml")
