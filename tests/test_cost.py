"""The monthly cost estimate: hand-computed totals from the catalog's prices, unknown prices, spot, and the budget rule.

Every expected figure below is worked out by hand from the catalog prices quoted next to it (USD per hour, 730 hours a
month, each line rounded to cents before the totals are summed).
"""

from __future__ import annotations

import dataclasses
import io
from functools import cache
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml
from rich.console import Console

from components import catalog, cost
from components.cost import LOAD_BALANCER_CHARTS, estimate
from components.plan.engine import PlanResult
from components.plan.report import StackPlan
from components.plan.view import cost_table
from policy.rules import Facts, StackSettings, resources_from_plan, run_rules
from policy.rules.budget import RULES as BUDGET_RULES
from policy.rules.budget import CostFacts, check_budget, with_cost
from support import run, shipped_plan, upstream_dir

# Catalog prices used below (components/catalog.yaml), USD per hour.
EKS, GKE, AKS_STANDARD = 0.10, 0.10, 0.10
M7I_XLARGE, E2_STANDARD_4, D4S_V5 = 0.2016, 0.13402, 0.192
G6_XLARGE, P5_48XLARGE, NC4AS_T4 = 0.8048, 55.04, 0.526
G2_STANDARD_4 = 0.14679 + 0.56004  # GCP: VM part + 1 x L4 GPU part = 0.70683
A2_HIGHGPU_1G = 0.73948 + 2.933908  # GCP: VM part + 1 x A100 40GB GPU part = 3.673388
NLB, GCP_LB, AZURE_LB = 0.0225, 0.025, 0.025


def pool(accelerator: str, instance_type: str, gpus: int, lo: int, hi: int, spot: bool = False) -> dict[str, Any]:
    return {"accelerator": accelerator, "instanceType": instance_type, "gpusPerNode": gpus, "minNodes": lo,
            "maxNodes": hi, "spot": spot, "sharing": "none", "maxClientsPerGpu": 1, "zones": []}  # fmt: skip


class FakeCluster(pulumi.ComponentResource):
    """A cluster component that registers the outputs every cluster registers (components/clusters/_common.py)."""

    def __init__(self, name: str, outputs: dict[str, Any]) -> None:
        super().__init__("mlplatform:index:FakeCluster", name, None, None)
        self.provider = k8s.Provider(f"{name}-k8s", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs(outputs)


def cluster_outputs(
    cloud: str, region: str, tier: str, system: tuple[str, int, int], pools: dict[str, Any]
) -> dict[str, Any]:
    kind, lo, hi = system
    return {"cloud": cloud, "region": region, "controlPlaneTier": tier,
            "systemPool": {"instanceType": kind, "minNodes": lo, "maxNodes": hi}, "gpuPools": pools}  # fmt: skip


def isvc(
    c: FakeCluster, name: str, *, gpus: int = 0, accelerator: str | None = None, min_replicas: int | None = 1
) -> None:
    predictor: dict[str, Any] = {"model": {"modelFormat": {"name": "pytorch"}, "resources": {"limits": {"cpu": "1"}}}}
    if min_replicas is not None:
        predictor["minReplicas"] = min_replicas
    if gpus:
        predictor["model"]["resources"]["limits"]["nvidia.com/gpu"] = str(gpus)
        predictor["nodeSelector"] = {"mlplatform.io/accelerator": accelerator}
    k8s.apiextensions.CustomResource(
        name, api_version="serving.kserve.io/v1beta1", kind="InferenceService",
        metadata={"name": name, "namespace": "models"}, spec={"predictor": predictor},
        opts=pulumi.ResourceOptions(provider=c.provider),
    )  # fmt: skip


def gateway(c: FakeCluster, name: str, values: dict[str, Any] | None = None) -> None:
    k8s.helm.v3.Release(
        name, chart="gateway", name=name, values=values or {}, opts=pulumi.ResourceOptions(provider=c.provider)
    )


def service(c: FakeCluster, name: str, kind: str) -> None:
    k8s.core.v1.Service(name, metadata={"name": name, "namespace": "x"}, spec={"type": kind, "ports": [{"port": 80}]},
                        opts=pulumi.ResourceOptions(provider=c.provider))  # fmt: skip


def aws_program() -> None:
    c = FakeCluster("mlp", cluster_outputs("aws", "us-east-1", "standard", ("m7i.xlarge", 2, 4), {
        "l4": pool("nvidia-l4", "g6.xlarge", 1, 1, 4, spot=True),
        "h100": pool("nvidia-h100-80gb", "p5.48xlarge", 8, 0, 2),
    }))  # fmt: skip
    isvc(c, "chat", gpus=1, accelerator="nvidia-l4", min_replicas=3)
    isvc(c, "idle", gpus=1, accelerator="nvidia-l4", min_replicas=0)
    isvc(c, "big", gpus=4, accelerator="nvidia-h100-80gb", min_replicas=1)
    isvc(c, "iris", min_replicas=None)  # KServe's default minReplicas is 1; CPU only
    gateway(c, "istio-ingressgateway")  # the chart's default Service type: LoadBalancer
    gateway(c, "internal-gateway", {"service": {"type": "ClusterIP"}})  # no load balancer
    service(c, "extra-lb", "LoadBalancer")
    service(c, "plain", "ClusterIP")


@cache
def aws_estimate() -> cost.CostEstimate:
    return estimate(run(aws_program, outputs="unknown"))


def line(est: cost.CostEstimate, item: str) -> cost.CostLine:
    return next(x for x in est.lines if x.item == item)


def test_aws_lines_hand_computed() -> None:
    est = aws_estimate()
    assert [(x.item, x.monthly_min, x.monthly_max) for x in est.lines] == [
        ("control plane", 73.00, 73.00),  # 0.10 x 730
        ("system pool", 294.34, 588.67),  # 0.2016 x 730 = 147.168 per node; x2 = 294.336, x4 = 588.672
        ("GPU pool l4", 587.50, 2350.02),  # 0.8048 x 730 = 587.504 per node; x1, x4 = 2350.016
        ("GPU pool h100", 0.00, 80358.40),  # 55.04 x 730 = 40179.2 per node; x0, x2
        ("load balancer", 32.85, 32.85),  # 0.0225 x 730 = 16.425 per NLB; the gateway chart and extra-lb
    ]
    assert tuple(x.usd_per_hour for x in est.lines) == (
        EKS,
        M7I_XLARGE,
        G6_XLARGE,
        P5_48XLARGE,
        NLB,
    )  # the quoted catalog prices are the ones used
    lb = line(est, "load balancer")
    assert lb.detail == "Network Load Balancer: Helm release istio-ingressgateway (gateway chart), Service x/extra-lb"


def test_aws_totals_hand_computed() -> None:
    est = aws_estimate()
    assert est.idle == cost.Total(987.69, False)  # 73 + 294.34 + 587.50 + 0 + 32.85
    # baseline: l4 needs 3 nodes for chat's 3 replicas (max(1, 3)): 3 x 587.504 = 1762.51; h100 needs 1 node for big
    # (4 of 8 GPUs): 40179.20. 73 + 294.34 + 1762.51 + 40179.20 + 32.85
    assert est.baseline == cost.Total(42341.90, False)
    assert est.ceiling == cost.Total(83402.94, False)  # 73 + 588.67 + 2350.02 + 80358.40 + 32.85
    assert est.unknown == ()
    assert est.summary() == ("$42,341.90/month baseline (idle $987.69, ceiling $83,402.94; USD, 730 h/month)")


def test_aws_models_cost_their_minimum_replicas() -> None:
    by_name = {m.name: m for m in aws_estimate().models}
    assert by_name["chat"].monthly == 1762.51  # 3 replicas x 1/1 node x 587.504
    assert by_name["chat"].pool == "l4" and by_name["chat"].note == "spot pool priced at on-demand"
    assert by_name["big"].monthly == 20089.60  # 1 replica x 4/8 node x 40179.2
    assert by_name["idle"].monthly == 0.0 and by_name["idle"].note == "scales to zero"
    assert by_name["iris"].monthly == 0.0 and by_name["iris"].min_replicas == 1
    assert by_name["iris"].note == "CPU only: runs on the system pool"


def test_spot_pool_priced_on_demand_and_discount_shown_when_known(monkeypatch: pytest.MonkeyPatch) -> None:
    spot = aws_estimate().to_json()["lines"][2]
    assert spot["item"] == "GPU pool l4" and spot["usdPerHour"] == G6_XLARGE  # on-demand: the upper bound
    assert spot["spot"] == {"discount": None, "monthlyMin": None, "monthlyMax": None}  # not in the catalog
    assert "spot discount not in the catalog" in spot["note"]
    real = catalog.machine_for

    def with_discount(cloud: str, accelerator: str, gpus: int) -> catalog.Machine:
        return dataclasses.replace(real(cloud, accelerator, gpus), spot_discount=0.6)

    monkeypatch.setattr(catalog, "machine_for", with_discount)
    est = estimate(run(aws_program, outputs="unknown"))
    l4 = line(est, "GPU pool l4")
    assert (l4.monthly_min, l4.monthly_max) == (587.50, 2350.02)  # still on-demand in the totals
    assert (l4.spot_monthly(1), l4.spot_monthly(4)) == (235.00, 940.01)  # x 0.4
    assert line(est, "GPU pool h100").to_json().get("spot") is None  # not a spot pool


def test_json_carries_currency_regions_dates_and_sources() -> None:
    doc = aws_estimate().to_json()
    assert doc["currency"] == "USD" and doc["hoursPerMonth"] == 730
    assert doc["clusters"] == [{"name": "mlp", "cloud": "aws", "region": "us-east-1", "priceRegion": "us-east-1"}]
    assert doc["totals"]["ceiling"] == {"usd": 83402.94, "lowerBound": False}
    assert doc["priceDates"] == ["2026-08-26", "2026-11-28"]
    first = doc["lines"][0]
    assert first["priceDate"] == "2026-11-28" and "performance.md" in first["priceSource"]
    assert all(src in doc["priceSources"] for src in {x["priceSource"] for x in doc["lines"]})


def azure_program(region: str = "eastus") -> None:
    c = FakeCluster("aks", cluster_outputs("azure", region, "premium", ("Standard_D4s_v5", 2, 4), {
        "t4": pool("nvidia-t4", "Standard_NC4as_T4_v3", 1, 1, 3),
        "h200": pool("nvidia-h200", "Standard_ND96isr_H200_v5", 8, 0, 1),
    }))  # fmt: skip
    isvc(c, "llm", gpus=8, accelerator="nvidia-h200", min_replicas=1)
    gateway(c, "istio-ingressgateway")


def test_unknown_prices_are_shown_and_make_totals_lower_bounds() -> None:
    est = estimate(run(azure_program, outputs="unknown"))
    premium, h200 = line(est, "control plane"), line(est, "GPU pool h200")
    assert premium.usd_per_hour is None and premium.monthly_min is None
    assert "no source found for the Premium tier price" in premium.note
    assert h200.usd_per_hour is None and (h200.monthly_min, h200.monthly_max) == (0.0, None)  # 0 nodes cost 0
    assert "not offered in eastus" in h200.note
    assert est.unknown == ("aks control plane", "aks GPU pool h200", "model models/llm")
    # known part: 280.32 (0.192 x 730 x 2) + 383.98 (0.526 x 730) + 18.25 (0.025 x 730)
    assert est.idle == cost.Total(682.55, True)
    assert est.ceiling == cost.Total(560.64 + 1151.94 + 18.25, True)
    assert est.baseline.lower_bound
    assert est.summary().endswith(
        "unknown prices: aks control plane, aks GPU pool h200, model models/llm (totals are lower bounds)"
    )
    assert est.notes == ()
    llm = est.to_json()["models"][0]
    assert llm["monthly"] is None and llm["known"] is False and llm["note"] == "the pool's price is unknown"


def test_machines_are_priced_in_the_clusters_region() -> None:
    """swedencentral has its own prices for every machine (karpenter-azure), even the H200 eastus does not sell."""
    est = estimate(run(lambda: azure_program("swedencentral"), outputs="unknown"))
    system, t4, h200 = line(est, "system pool"), line(est, "GPU pool t4"), line(est, "GPU pool h200")
    assert (system.usd_per_hour, t4.usd_per_hour, h200.usd_per_hour) == (0.204, 0.558, 110.272)
    assert {system.price_region, t4.price_region, h200.price_region} == {"swedencentral"}
    assert system.price_date == "2026-06-18" and "karpenter-provider-azure" in str(system.price_source)
    assert est.unknown == ("aks control plane",)
    assert est.notes == ("aks: control plane and load balancer at the catalog's single list price (eastus)",)
    llm = est.to_json()["models"][0]
    assert llm["monthly"] == round(110.272 * 730, 2)
    assert est.to_json()["lines"][1]["priceRegion"] == "swedencentral"


def test_the_view_shows_where_each_price_is_from() -> None:
    result = run(lambda: azure_program("swedencentral"), outputs="unknown")
    table = cost_table(StackPlan("s", "azure", result, cost=estimate(result).to_json()))
    assert table is not None
    screen = io.StringIO()
    Console(file=screen, width=200, color_system=None).print(table)
    rows = {line.split("│")[1].strip(): line for line in screen.getvalue().splitlines() if line.count("│") > 3}
    assert "swedencentral" in rows["GPU pool t4"] and "0.558" in rows["GPU pool t4"]
    assert "│ -" in rows["control plane"]


def test_a_region_without_prices_falls_back_to_the_reference_and_says_so() -> None:
    est = estimate(run(lambda: azure_program("usgovvirginia"), outputs="unknown"))
    t4 = line(est, "GPU pool t4")
    assert (t4.usd_per_hour, t4.price_region) == (0.526, "eastus")
    assert est.notes == (
        "aks: system pool, GPU pool t4 priced at the catalog's eastus list prices (it has none for usgovvirginia); "
        "usgovvirginia may differ",
        "aks: control plane and load balancer at the catalog's single list price (eastus)",
    )


def test_instance_type_outside_the_catalog_is_unknown_not_zero() -> None:
    def program() -> None:
        FakeCluster("mlp", cluster_outputs("aws", "us-east-1", "standard", ("c7i.2xlarge", 2, 2), {}))

    est = estimate(run(program, outputs="unknown"))
    system = line(est, "system pool")
    assert system.usd_per_hour is None
    assert system.note == "c7i.2xlarge is not in the catalog (its system machine is m7i.xlarge)"
    assert est.idle == cost.Total(73.0, True)


def test_time_sliced_pool_shares_a_node_between_pods() -> None:
    shared = {**pool("nvidia-l4", "g2-standard-4", 1, 0, 4), "sharing": "time-slicing", "maxClientsPerGpu": 2}

    def program() -> None:
        c = FakeCluster(
            "gke", cluster_outputs("gcp", "us-central1", "standard", ("e2-standard-4", 1, 1), {"l4": shared})
        )
        isvc(c, "a", gpus=1, accelerator="nvidia-l4", min_replicas=3)

    est = estimate(run(program, outputs="unknown"))
    (model,) = est.models
    assert model.gpus_per_node == 2 and model.monthly == 773.98  # 3 x 1/2 node x 515.9859 (0.70683 x 730)
    # baseline: 3 pods on 2-pod nodes = 2 nodes = 1031.97; + 97.83 (0.13402 x 730) + 73
    assert est.baseline == cost.Total(1202.80, False)
    assert "GPUs shared (time-slicing, 2 pods per GPU)" in line(est, "GPU pool l4").note


def test_existing_cluster_nothing_priced_but_load_balancer_unknown() -> None:
    def program() -> None:
        c = FakeCluster("kind", {"cloud": "existing", "gpuPools": {}})
        gateway(c, "istio-ingressgateway")
        isvc(c, "gpu-model", gpus=1, accelerator="nvidia-t4", min_replicas=1)

    est = estimate(run(program, outputs="unknown"))
    assert [(x.item, x.usd_per_hour) for x in est.lines] == [("load balancer", None)]
    assert est.models[0].monthly is None
    assert est.models[0].note == "GPU nodes of the existing cluster are not priced"
    assert est.summary() == (
        "nothing priced: kind: this stack does not create the cluster (existing); its nodes are billed elsewhere; "
        "unknown: kind load balancer, model models/gpu-model"
    )


def test_load_balancer_chart_default_matches_upstream_values() -> None:
    values = yaml.safe_load((upstream_dir() / "chart-values" / "istio-gateway-1.30.3.yaml").read_text())
    ((chart, path),) = LOAD_BALANCER_CHARTS.items()
    node = values["_internal_defaults_do_not_set"]
    for key in path:
        node = node[key]
    assert (chart, node) == ("gateway", "LoadBalancer")


# ------------------------------------------------------------------------------------------------ the stacks


@cache
def stack_result(stack: str) -> PlanResult:
    return shipped_plan(stack).result


def stack_cost(stack: str) -> dict[str, Any]:
    return shipped_plan(stack).cost


def totals(stack: str) -> tuple[float, float, float]:
    est = estimate(stack_result(stack))
    assert not (est.idle.lower_bound or est.baseline.lower_bound or est.ceiling.lower_bound)
    return est.idle.usd, est.baseline.usd, est.ceiling.usd


def test_aws_dev_stack() -> None:
    # EKS 73.00; system m7i.xlarge x 2..3: 294.34 / 441.50 (0.2016 x 730 x 3 = 441.504); spot L4 pool 0..4:
    # 0 / 2350.02 (resnet50 scales to zero); NLB 16.43 (16.425)
    assert totals("aws-dev") == (383.77, 383.77, 2880.95)


def test_gcp_prod_stack() -> None:
    # GKE 73.00; system e2-standard-4 x 3..6: 293.50 (0.13402 x 730 x 3 = 293.5038) / 587.01; L4 pool
    # g2-standard-4 0..8: 0 / 4127.89 (515.9859 x 8); A100 a2-highgpu-1g 0..2: 0 / 5363.15 (3.673388 x 730 x 2);
    # LB 18.25. Baseline: resnet-triton and qwen-chat keep 2 replicas of 1 L4 each: 4 GPUs, time-sliced 2 ways when
    # the pool registers max_clients_per_gpu (2 nodes, 1031.97), else 4 nodes (2063.94).
    result = stack_result("gcp-prod")
    (cluster,) = cost.cluster_components(result)
    clients = cluster.outputs["gpuPools"]["l4"].get("maxClientsPerGpu", 1)
    baseline = {1: 73 + 293.50 + 2063.94 + 18.25, 2: 73 + 293.50 + 1031.97 + 18.25}[clients]
    assert totals("gcp-prod") == (384.75, round(baseline, 2), 10169.30)
    share = round(2 * 515.9859 / clients, 2)  # 2 replicas x 1 GPU of a g2-standard-4 node (or of half of one)
    assert {m.name: m.monthly for m in estimate(result).models} == {
        "sklearn-iris": 0.0,
        "resnet-triton": share,
        "qwen-chat": share,
    }


def test_azure_staging_stack() -> None:
    # AKS Standard 73.00; system Standard_D4s_v5 x 2..4: 280.32 / 560.64; T4 pool 0..3: 0 / 1151.94 (0.526 x 730 x
    # 3); LB 18.25; both models scale to zero
    assert totals("azure-staging") == (371.57, 371.57, 1803.83)


def test_local_stack_prices_nothing_of_the_existing_cluster() -> None:
    est = estimate(stack_result("local"))
    assert est.idle.usd == est.baseline.usd == est.ceiling.usd == 0.0
    assert not any(x.known for x in est.lines)
    assert est.summary().startswith("nothing priced: mlplatform: this stack does not create the cluster (existing)")


def test_plan_stack_records_cost_and_deploy_time() -> None:
    plan = shipped_plan("aws-dev")
    assert plan.cost == estimate(plan.result).to_json()
    assert plan.deploy_time["criticalPath"] and plan.deploy_time["minutes"] > 0


# ------------------------------------------------------------------------------------------------ budget


def ceiling(usd: float, lower_bound: bool = False, unknown: list[str] | None = None) -> dict[str, Any]:
    return {"totals": {"ceiling": {"usd": usd, "lowerBound": lower_bound}}, "unknown": unknown or []}


def test_check_budget() -> None:
    assert check_budget(ceiling(999.99), 1000) == []
    assert check_budget(ceiling(1000.0), 1000) == []
    assert check_budget(ceiling(5000.0), None) == []
    assert check_budget(ceiling(1200.5), 1000) == [
        "the monthly cost ceiling $1,200.50 (every pool at maxNodes) exceeds mlplatform:budget $1,000.00 by $200.50; "
        "lower the pools' maxNodes, use smaller machines or raise the budget"
    ]
    assert check_budget(ceiling(1200.5, True), 1000)[0].startswith("the monthly cost ceiling at least $1,200.50 ")
    assert check_budget(ceiling(800, True, ["aks GPU pool h200"]), 1000) == [
        "the monthly cost ceiling cannot be checked against mlplatform:budget $1,000.00: prices unknown for aks GPU "
        "pool h200 (the known part is $800.00); use machines with catalog prices or override this policy"
    ]
    assert check_budget(None, 1000) == [
        "no cost estimate to check against mlplatform:budget $1,000.00; plan the stack with mlplatform plan"
    ]


def test_with_cost_reads_the_budget_from_the_flat_config() -> None:
    facts = with_cost(Facts(environment="prod"), {"mlplatform:budget": "2500"}, ceiling(1.0))
    assert isinstance(facts, CostFacts) and facts.budget == 2500.0 and facts.environment == "prod"
    assert with_cost(Facts(), {}, None).budget is None


@pytest.mark.parametrize(
    ("environment", "budget", "expect"),
    [
        ("prod", 2000, {"budget": False, "budget-advisory": True}),
        ("prod", 3000, {"budget": True, "budget-advisory": True}),
        ("dev", 2000, {"budget": True, "budget-advisory": False}),
        ("staging", 2000, {"budget": True, "budget-advisory": False}),
        ("dev", None, {"budget": True, "budget-advisory": True}),
    ],
)
def test_budget_rules_on_the_aws_dev_plan(environment: str, budget: float | None, expect: dict[str, bool]) -> None:
    result = stack_result("aws-dev")  # ceiling $2,880.95
    flat = {"mlplatform:budget": str(budget)} if budget is not None else {}
    facts = with_cost(Facts(environment=environment), flat, estimate(result).to_json())
    entries = run_rules(resources_from_plan(result), StackSettings(facts), BUDGET_RULES)
    assert {e["policy"]: e["passed"] for e in entries} == expect
    enforcement = {e["policy"]: e["enforcement"] for e in entries}
    assert enforcement == {"budget": "mandatory", "budget-advisory": "advisory"}
    failed = [e for e in entries if not e["passed"]]
    if failed:
        assert failed[0]["message"].startswith(
            "the monthly cost ceiling $2,880.95 (every pool at maxNodes) exceeds mlplatform:budget $2,000.00 by $880.95"
        )


def test_budget_rules_find_nothing_without_cost_facts() -> None:
    entries = run_rules(resources_from_plan(stack_result("aws-dev")), StackSettings(Facts("prod")), BUDGET_RULES)
    assert all(e["passed"] for e in entries)


# ------------------------------------------------------------------------------------------------ warm capacity


def warm(c: FakeCluster, pool_name: str, nodes: int) -> None:
    """A placeholder Deployment as components/platform/warm.py declares it (its pool label and replicas)."""
    from components.platform.warm import POOL_LABEL

    k8s.apps.v1.Deployment(
        f"warm-{pool_name}",
        metadata={"name": f"warm-{pool_name}", "namespace": "w", "labels": {POOL_LABEL: pool_name}},
        spec={"replicas": nodes, "selector": {"matchLabels": {POOL_LABEL: pool_name}},
              "template": {"metadata": {"labels": {POOL_LABEL: pool_name}}, "spec": {"containers": []}}},
        opts=pulumi.ResourceOptions(provider=c.provider),
    )  # fmt: skip


def warm_program() -> None:
    c = FakeCluster("mlp", cluster_outputs("aws", "us-east-1", "standard", ("m7i.xlarge", 2, 4), {
        "l4": pool("nvidia-l4", "g6.xlarge", 1, 0, 4),
        "l4b": pool("nvidia-l4", "g6.xlarge", 1, 1, 4),
    }))  # fmt: skip
    isvc(c, "chat", gpus=1, accelerator="nvidia-l4", min_replicas=1)  # lands on l4 (the first pool offering it)
    warm(c, "l4", 2)
    warm(c, "l4b", 1)


def test_warm_capacity_is_priced_at_its_pools_price() -> None:
    # Issue 16: keeping N GPU nodes warm costs N nodes at the pool's hourly price, shown in the plan.
    est = estimate(run(warm_program, outputs="unknown"))
    l4, l4b = line(est, "warm capacity l4"), line(est, "warm capacity l4b")
    assert l4.kind == "warm-capacity" and l4.usd_per_hour == G6_XLARGE and (l4.units_min, l4.units_max) == (2, 2)
    assert (l4.monthly_min, l4.monthly_max) == (1175.01, 1175.01)  # 2 x 0.8048 x 730 = 1175.008
    assert l4.detail.startswith("g6.xlarge x 2")
    assert (l4b.monthly_min, l4b.units_min) == (587.50, 1)


def test_warm_capacity_totals_count_each_node_once() -> None:
    est = estimate(run(warm_program, outputs="unknown"))
    # idle: system 294.34 + control plane 73; l4 at max(min 0, warm 2) = 2 nodes = 1175.01; l4b at max(min 1, warm 1)
    # = 1 node = 587.50 (the placeholder sits on the minimum node: not 2 nodes)
    assert est.idle == cost.Total(round(73 + 294.34 + 1175.01 + 587.50, 2), False)
    # baseline: l4 needs 1 node for chat plus 2 spare = 3 (1762.51); l4b: max(1, 0 + 1) = 1 (587.50)
    assert est.baseline == cost.Total(round(73 + 294.34 + 1762.51 + 587.50, 2), False)
    # ceiling: every pool at its maximum, which already holds the warm nodes
    assert est.ceiling == cost.Total(round(73 + 588.67 + 2350.02 + 2350.02, 2), False)


def test_without_warm_capacity_nothing_changes() -> None:
    assert not [x for x in aws_estimate().lines if x.kind == "warm-capacity"]
