"""issue #17, the ninth mutation round (rev17i, /work/wt/rev17i-report.md): rules for the slips no policy caught.

- i11: a GPU Karpenter NodePool whose ``nvidia.com/gpu`` limit counts nodes, not GPUs, stops launching at a fraction of
  its node limit ("If a limit has been exceeded, nodes provisioning is prevented", aws/karpenter-provider-aws v1.14.1
  website/content/en/preview/concepts/nodepools.md "spec.limits"): ``karpenter-gpu-limit-covers-nodes``.
- i13: a NodePool whose ``kubernetes.io/arch`` requirement admits none of its instance types' architecture launches
  no node (Karpenter v1.14.1 reference/instance-types.md: g6 types are amd64): ``karpenter-arch-admits-types``.
- i02: a prod VPC keeps one NAT gateway per zone (``node-pools-span-zones``, AWS share): pulumi_awsx 3.11.0
  ``NatGatewayStrategy.SINGLE`` "is not recommended for production infrastructure as it creates a single point of
  failure".
- r02: ``node-selectors-match-pools`` tolerates a taint only by a toleration of its key (or an empty key with Exists);
  core/v1 Toleration: "Key is the taint key that the toleration applies to. Empty means match all taint keys. If the
  key is empty, operator must be Exists" (k8s.io/api core/v1 types.go ``Toleration``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from policy.rules import Resource, StackSettings, run_rules
from support import ROOT, mutated_resources, rules_named, rules_plan, shared_cache

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


# ---------------------------------------------------------------------------------------------- i02: prod NAT per zone

ZONES = "node-pools-span-zones"
VPC = "awsx:ec2:Vpc"


@shared_cache
def _aws_as(environment: str) -> tuple[tuple[Resource, ...], StackSettings]:
    """aws-dev's stack file planned with ``mlplatform:environment`` ``environment`` (the benchmark's AWS_PROD)."""
    from components.plan.engine import run_program
    from components.plan.project import load_project, read_stack_file
    from policy.rules import resources_from_plan

    project = load_project(ROOT)
    cfg = read_stack_file(project, "aws-dev")
    config = {**cfg.config, "mlplatform:environment": environment}
    result = run_program(project.root, "aws-dev", config, cfg.secret_keys, main=project.main, project=project.name)
    return tuple(resources_from_plan(result)), StackSettings.from_config(config)


def _zone_failures(environment: str, change: Callable[[dict[str, Any]], None]) -> list[str]:
    resources, settings = rules_plan("aws-dev")
    settings = replace(settings, facts=replace(settings.facts, environment=environment))
    mutated = mutated_resources(resources, lambda r: r.type == VPC, change, exactly=1)
    return [e["message"] for e in run_rules(mutated, settings, rules=rules_named(ZONES)) if not e["passed"]]


def _nat(strategy: Any) -> Callable[[dict[str, Any]], None]:
    def change(p: dict[str, Any]) -> None:
        if strategy is None:
            p.pop("natGateways")
        else:
            p["natGateways"] = {"strategy": strategy}

    return change


@pytest.mark.parametrize(
    ("environment", "strategy", "shown"),
    [
        ("prod", "OnePerAz", None),
        ("prod", "Single", "'Single'"),  # rev17i i02: the dev branch's strategy on prod
        ("prod", "None", "'None'"),
        ("prod", None, None),  # unset: awsx's default is one per zone (private and public subnets given)
        ("staging", "Single", None),
        ("dev", "Single", None),  # aws-dev as shipped
    ],
)
def test_a_prod_vpc_keeps_a_nat_gateway_per_zone(environment: str, strategy: Any, shown: str | None) -> None:
    failed = _zone_failures(environment, _nat(strategy))
    assert failed == (
        []
        if shown is None
        else [
            f"prod VPC mlplatform-vpc natGateways.strategy is {shown}: a zone outage (or, with None, any time) cuts "
            "every private node's egress; use OnePerAz (one NAT gateway per zone)"
        ]
    )


def test_aws_dev_planned_as_prod_renders_and_passes_one_nat_per_zone() -> None:
    """The program's own prod VPC (components/clusters/eks.py: Single only in dev) passes; the slip's swap fails."""
    resources, settings = _aws_as("prod")
    (vpc,) = [r for r in resources if r.type == VPC]
    assert vpc.props["natGateways"] == {"strategy": "OnePerAz"}
    assert [e for e in run_rules(list(resources), settings, rules=rules_named(ZONES)) if not e["passed"]] == []
    swapped = mutated_resources(resources, lambda r: r.type == VPC, _nat("Single"), exactly=1)
    (failed,) = [e for e in run_rules(swapped, settings, rules=rules_named(ZONES)) if not e["passed"]]
    assert failed["message"].startswith("prod VPC mlplatform-vpc natGateways.strategy is 'Single'")


# ---------------------------------------------------------------------------------------------- i09: AKS GPU driver

DRIVER = "aks-gpu-driver-installed"
AKS = "azure-native:containerservice:ManagedCluster"
AKS_POOL = "azure-native:containerservice:AgentPool"
RELEASE = "kubernetes:helm.sh/v3:Release"


def _driver_line(label: str, driver: str) -> str:
    return (
        f"AKS GPU {label} has gpuProfile.driver {driver!r} and no gpu-operator release installs the driver: its nodes "
        "advertise no nvidia.com/gpu, GPU models stay Pending; use driver Install (or unset)"
    )


def _driver_failures(
    kind: str, change: Callable[[dict[str, Any]], None], operator: dict[str, Any] | None = None
) -> list[str]:
    """azure-staging's plan with ``change`` made to its ``kind`` resource and, given ``operator`` values, a
    gpu-operator release beside it (azure-staging's GPUs get NVIDIA's device plugin, no operator)."""
    resources, settings = rules_plan("azure-staging")
    mutated = mutated_resources(resources, lambda r: r.type == kind, change, exactly=1)
    if operator is not None:
        plugin = next(r for r in mutated if r.type == RELEASE and r.props.get("chart") == "nvidia-device-plugin")
        mutated.append(
            replace(
                plugin,
                name="mlplatform-gpu-operator",
                urn=plugin.urn.replace("nvidia-device-plugin", "gpu-operator"),
                props={**plugin.props, "chart": "gpu-operator", "name": "gpu-operator", "values": operator},
            )
        )
    return [e["message"] for e in run_rules(mutated, settings, rules=rules_named(DRIVER)) if not e["passed"]]


@pytest.mark.parametrize(
    ("profile", "driver"),
    [
        ({"driver": "Install"}, None),  # azure-staging as rendered
        ("drop", None),  # unset: "When it's not specified, default is Install"
        ({}, None),
        ({"driver": "None"}, "None"),  # rev17i i09
    ],
)
def test_an_aks_gpu_pool_keeps_its_driver(profile: Any, driver: str | None) -> None:
    def change(p: dict[str, Any]) -> None:
        if profile == "drop":
            p.pop("gpuProfile")
        else:
            p["gpuProfile"] = profile

    failed = _driver_failures(AKS_POOL, change)
    assert failed == ([] if driver is None else [_driver_line("agent pool mlplatform-gpu-t4", driver)])


def test_no_driver_passes_when_the_gpu_operator_installs_it() -> None:
    """NVIDIA's GPU operator with its driver on (the chart's default) installs what AKS skipped; with driver.enabled
    false (the platform's operator values) nothing does."""

    def none(p: dict[str, Any]) -> None:
        p["gpuProfile"] = {"driver": "None"}

    assert _driver_failures(AKS_POOL, none, {}) == []
    assert _driver_failures(AKS_POOL, none, {"driver": {"enabled": True}}) == []
    line = _driver_line("agent pool mlplatform-gpu-t4", "None")
    assert _driver_failures(AKS_POOL, none, {"driver": {"enabled": False}}) == [line]


@pytest.mark.parametrize(("driver", "ok"), [("Install", True), ("None", False)])
def test_an_inline_gpu_profile_keeps_its_driver(driver: str, ok: bool) -> None:
    def change(p: dict[str, Any]) -> None:
        (system,) = p["agentPoolProfiles"]
        system.update(vmSize="Standard_NC4as_T4_v3", gpuProfile={"driver": driver})

    failed = _driver_failures(AKS, change)
    assert failed == ([] if ok else [_driver_line("cluster mlplatform-aks agent pool system", driver)])


# ---------------------------------------------------------------------------------------------- i30: Knative's default

TIMEOUTS = "timeouts-cover-cold-start"


def _resnet50(r: Resource) -> bool:
    return r.type.endswith(":InferenceService") and r.name == "resnet50-isvc"


def _timeout_failures(cold_start: int, timeout: int | None = None) -> list[str]:
    """aws-dev's resnet50 (Knative, at zero) with ``cold_start`` seconds and ``timeout`` (None: no predictor.timeout,
    so Knative's default revision timeout applies)."""

    def change(p: dict[str, Any]) -> None:
        p["metadata"]["annotations"]["mlplatform.io/cold-start-seconds"] = str(cold_start)
        p["spec"]["predictor"].pop("timeout", None)
        if timeout is not None:
            p["spec"]["predictor"]["timeout"] = timeout

    return _failures("aws-dev", TIMEOUTS, _resnet50, change)


def _short(limit: int, cold_start: int) -> list[str]:
    return [
        f"models/resnet50: activator {hop} {limit}s < cold start {cold_start}s + request 300s"
        for hop in ("timeoutSeconds", "responseStartTimeoutSeconds")
    ]


@pytest.mark.parametrize("serving_default", [300, 600])
def test_a_model_without_a_timeout_is_held_to_knatives_300_s(
    monkeypatch: pytest.MonkeyPatch, serving_default: int
) -> None:
    """rev17i i30: Knative 1.21 gives a revision without ``timeoutSeconds`` 300 s; the rule keeps that default itself,
    so a slip in components/serving/timeouts.py's KNATIVE_DEFAULT_TIMEOUT (600 here) does not pass a 300 s cold start
    (300 s timeout < 300 s + a 300 s request), nor relabel the 400 s one."""
    from components.serving import timeouts

    monkeypatch.setattr(timeouts, "KNATIVE_DEFAULT_TIMEOUT", serving_default)
    assert _timeout_failures(300) == _short(300, 300)
    assert _timeout_failures(400) == [
        *[
            line
            for hop in ("timeoutSeconds", "responseStartTimeoutSeconds")
            for line in (
                f"models/resnet50: activator {hop} 300s < cold start 400s + request 300s",
                f"models/resnet50: activator {hop} 300s < cold start 400s",
            )
        ]
    ]
    assert _timeout_failures(300, timeout=600) == []  # a timeout given is read as given
    assert _timeout_failures(300, timeout=599) == _short(599, 300)


# ---------------------------------------------------------------------------------------------- i28: Standard router


INNER = {
    "access": {"mode": "internal", "allowedNamespaces": ["default"]},
    "scaling": {"minReplicas": 1},
    "nodes": {"root": {"routerType": "Sequence", "steps": [{"serviceName": "xgboost-iris"}]}},
}
"""An internal pipeline over the local stack's xgboost-iris (benchmarks/policy_mutations.py PIPELINES["inner"])."""


@shared_cache
def _standard_pipeline() -> tuple[tuple[Resource, ...], StackSettings]:
    """The local stack in KServe's Standard mode with :data:`INNER` and sklearn-iris at one replica (Standard mode
    refuses a model at zero): the benchmark's STANDARD_PIPELINES_LOCAL + STANDARD_INNER_PIPELINE."""
    import json

    from components.plan.engine import run_program
    from components.plan.project import load_project, read_stack_file
    from policy.rules import resources_from_plan

    project = load_project(ROOT)
    cfg = read_stack_file(project, "local")
    platform = {**json.loads(cfg.config["mlplatform:platform"]), "deploymentMode": "Standard"}
    models = json.loads(cfg.config["mlplatform:models"])
    models["sklearn-iris"]["scaling"]["minReplicas"] = 1
    config = {
        **cfg.config,
        "mlplatform:platform": json.dumps(platform),
        "mlplatform:pipelines": json.dumps({"inner": INNER}),
        "mlplatform:models": json.dumps(models),
    }
    result = run_program(project.root, "local", config, cfg.secret_keys, main=project.main, project=project.name)
    return tuple(resources_from_plan(result)), StackSettings.from_config(config)


def _router_failures(change: Callable[[dict[str, Any]], None]) -> list[str]:
    resources, settings = _standard_pipeline()
    mutated = mutated_resources(resources, lambda r: r.type.endswith(":InferenceGraph"), change, exactly=1)
    return [e["message"] for e in run_rules(mutated, settings, rules=rules_named(TIMEOUTS)) if not e["passed"]]


def _router_line(shown: str) -> str:
    return (
        f"InferenceGraph models/inner: Standard-mode router routerTimeouts.serverWrite {shown} < the platform's "
        "longest request 1800s: the router cuts answers its members' timeouts allow; set serverWrite 1800"
    )


@pytest.mark.parametrize(
    ("limits", "shown"),
    [
        ({"serverWrite": 1800}, None),  # as rendered (components/serving/pipeline.py)
        ({"serverWrite": 3600}, None),
        ({"serverWrite": 1799}, "1799"),
        ({"serverRead": 1800}, "unset, KServe's 60 s"),  # rev17i i28
        ({}, "unset, KServe's 60 s"),
        (None, "unset, KServe's 60 s"),
    ],
)
def test_a_standard_mode_router_keeps_writing_for_the_longest_request(limits: Any, shown: str | None) -> None:
    def change(p: dict[str, Any]) -> None:
        assert p["spec"]["routerTimeouts"] == {"serverWrite": 1800}
        if limits is None:
            p["spec"].pop("routerTimeouts")
        else:
            p["spec"]["routerTimeouts"] = limits

    assert _router_failures(change) == ([] if shown is None else [_router_line(shown)])


# ---------------------------------------------------------------------------------------------- i12: spot warnings

SPOT = "karpenter-spot-interruptions"
SPOT_LINE = (
    "spot NodePool(s) gpu-l4 but no EventBridge rule sends 'EC2 Spot Instance Interruption Warning' (source aws.ec2) "
    "to Karpenter's interruption queue (mlp-aws-dev-karpenter): spot GPU nodes are reclaimed without a drain"
)


def _spot_failures(edit: Callable[[list[Resource]], list[Resource]], outputs: Any = "fake") -> list[str]:
    resources, settings = rules_plan("aws-dev", outputs=outputs)
    changed = edit(list(resources))
    if not any("spot" in str(r.props) for r in changed if r.type == NODEPOOL):
        # fix17i (rev17j j09): the rule also holds a NodePool to its pool's declared capacity: an on-demand NodePool
        # is the stack's pool declared on-demand
        settings = replace(settings, facts=replace(settings.facts, gpu_capacity=(("l4", "on-demand"),)))
    return [e["message"] for e in run_rules(changed, settings, rules=rules_named(SPOT)) if not e["passed"]]


def _props(name: str, change: Callable[[dict[str, Any]], None]) -> Callable[[list[Resource]], list[Resource]]:
    return lambda rs: mutated_resources(rs, lambda r: r.name == name, change, exactly=1)


def _drop(*names: str) -> Callable[[list[Resource]], list[Resource]]:
    return lambda rs: [r for r in rs if r.name not in names]


REBALANCE = '{"detail-type": ["EC2 Instance Rebalance Recommendation"], "source": ["aws.ec2"]}'


def _on_demand(p: dict[str, Any]) -> None:
    _requirements(p)["karpenter.sh/capacity-type"]["values"] = ["on-demand"]


@pytest.mark.parametrize(
    ("edit", "ok"),
    [
        (lambda rs: rs, True),  # aws-dev as rendered (its l4 pool is spot)
        # rev17i i12: INTERRUPTION_EVENTS without its spot entry renders neither the rule nor its target
        (_drop("mlplatform-karpenter-spot", "mlplatform-karpenter-spot-target"), False),
        (_drop("mlplatform-karpenter-spot-target"), False),  # the rule sends nowhere
        (_props("mlplatform-karpenter-spot", lambda p: p.update(eventPattern=REBALANCE)), False),
        (_props("mlplatform-karpenter-spot-target", lambda p: p.update(arn="arn:aws:sqs:us-east-1:1:other")), False),
        (
            _props("mlplatform-karpenter-spot-target", lambda p: p.update(rule="mlplatform-karpenter-state-56d4935")),
            False,
        ),
        # no spot pool, or no interruption queue: nothing to send the warning to
        (lambda rs: _drop("mlplatform-karpenter-spot")(_props("mlplatform-nodepool-l4", _on_demand)(rs)), True),
        (
            lambda rs: _drop("mlplatform-karpenter-spot")(
                _props("mlplatform-karpenter", lambda p: p["values"]["settings"].pop("interruptionQueue"))(rs)
            ),
            True,
        ),
    ],
    ids=[
        "rendered",
        "no-spot-rule",
        "no-target",
        "other-pattern",
        "other-queue",
        "other-rule",
        "on-demand",
        "no-queue",
    ],
)
def test_a_spot_nodepool_gets_its_interruption_warnings(
    edit: Callable[[list[Resource]], list[Resource]], ok: bool
) -> None:
    assert _spot_failures(edit) == ([] if ok else [SPOT_LINE])


@pytest.mark.parametrize(
    ("edit", "ok"),
    [
        (lambda rs: rs, True),
        (_drop("mlplatform-karpenter-spot", "mlplatform-karpenter-spot-target"), False),
        (_drop("mlplatform-karpenter-spot-target"), False),
    ],
    ids=["rendered", "no-spot-rule", "no-target"],
)
def test_the_plain_plan_ties_targets_by_their_dependencies(
    edit: Callable[[list[Resource]], list[Resource]], ok: bool
) -> None:
    """In the plain plan a target's ``rule`` and ``arn`` are the rule's and the queue's outputs, known only after
    deploy: the plan's dependencies tie them (the benchmark judges the plain plan first)."""
    assert _spot_failures(edit, outputs="unknown") == ([] if ok else [SPOT_LINE])


# ---------------------------------------------------------------------------------------------- i24: autoscaler

API_ONLY = "model-inference-api-only"
AUTOSCALER = "cluster.local/ns/knative-serving/sa/controller"


def _authz(name: str) -> Callable[[Resource], bool]:
    return lambda r: r.type.endswith(":AuthorizationPolicy") and r.name == name


def _principal(value: str | None) -> Callable[[dict[str, Any]], None]:
    """The model policy's autoscaler rule naming ``value`` (None: the rule removed)."""

    def change(p: dict[str, Any]) -> None:
        rules = p["spec"]["rules"]
        (scrape,) = [r for r in rules if r["from"][0]["source"].get("principals") == [AUTOSCALER]]
        if value is None:
            rules.remove(scrape)
        else:
            scrape["from"][0]["source"]["principals"] = [value]

    return change


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (AUTOSCALER, True),  # as rendered
        ("cluster.local/ns/knative-serving/sa/autoscaler", False),  # rev17i i24: a principal no pod holds
        ("cluster.local/ns/knative-serving/sa/*", True),  # a suffix pattern that admits it
        ("cluster.local/ns/other/sa/controller", False),
        (None, False),
    ],
)
def test_knatives_autoscaler_may_scrape_a_knative_model(value: str | None, ok: bool) -> None:
    """The autoscaler runs as knative-serving/sa/controller (knative/serving knative-v1.21.0 config/core/deployments/
    autoscaler.yaml): a policy naming another principal refuses its scrape of 9090 and Knative cannot read the load."""
    failed = _failures("aws-dev", API_ONLY, _authz("resnet50-authz"), _principal(value))
    line = (
        "model models/resnet50: Knative's autoscaler (cluster.local/ns/knative-serving/sa/controller) may not GET "
        "/metrics on the queue-proxy's port 9090: it cannot read the model's load and scales it on the activator's "
        "data only (admit that principal there)"
    )
    assert failed == ([] if ok else [line])
