"""fix17r: three of rev17l's slips that no rule caught, each reproduced on a shipped stack's plan (issue #17).

- 12 (``cluster-hardening``): the GKE firewall from the control plane's range opens every tcp port to the nodes
  instead of the admission webhooks' (policy/clouds/gcp.py ``_control_plane_firewalls``);
- 17 (``audit-logs``): the prod AKS cluster's Log Analytics workspace keeps the audit logs 30 days instead of the
  90 docs/components/aks-cluster.md promises (policy/clouds/azure.py ``_audit_retention``);
- 23 (``system-workload-limits``): the request-log collector's Helm values lose its memory limit
  (policy/rules/kubernetes.py ``_system_limits``).

Each slip is applied to the plan the way benchmarks/policy_mutations.py's source edit renders it, in the plain plan
(values known after deploy unknown) and the placeholder one, with the boundary cases on either side.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from components.plan.engine import OutputsMode
from policy.rules import Resource, StackSettings, resources_from_plan, run_rules
from support import ROOT, mutated_resources, plan_config, rules_named, rules_plan, shared_cache

MODES: tuple[OutputsMode, ...] = ("unknown", "fake")
STACKS = ("aws-dev", "gcp-prod", "azure-staging", "local")


def _failures(plan: tuple[Any, StackSettings], resources: Any, rule: str) -> list[str]:
    entries = run_rules(list(resources), plan[1], rules=rules_named(rule))
    return [e["message"] for e in entries if not e["passed"]]


def _mutated(
    plan: tuple[Any, StackSettings], pick: Callable[[Resource], bool], change: Callable[[dict[str, Any]], None]
) -> list[Resource]:
    return mutated_resources(plan[0], pick, change, exactly=1)


@shared_cache
def _stack_with(stack: str, outputs: OutputsMode, extra: str) -> tuple[tuple[Resource, ...], StackSettings]:
    """A shipped stack's plan with the top-level config keys of JSON ``extra`` replaced (``environment``) or, for a
    map, merged (``platform``), as the benchmark's ``config=``/``platform=`` variants plan it."""
    raw = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    cfg = {k.removeprefix("mlplatform:"): v for k, v in raw.items()}
    for key, value in json.loads(extra).items():
        cfg[key] = {**cfg.get(key, {}), **value} if isinstance(value, dict) else value
    result = plan_config(cfg, stack=stack, outputs=outputs)
    return tuple(resources_from_plan(result)), StackSettings.from_config({f"mlplatform:{k}": v for k, v in cfg.items()})


@pytest.mark.parametrize("stack", STACKS)
def test_the_shipped_stacks_pass_the_three_rules(stack: str) -> None:
    for mode in MODES:
        plan = rules_plan(stack, mode)
        for rule in ("cluster-hardening", "audit-logs", "system-workload-limits"):
            assert _failures(plan, plan[0], rule) == [], (mode, rule)


# ------------------------------------------------------------------------------------ 12: GKE control-plane firewall

HARDENING = "cluster-hardening"
FIREWALL = "gcp:compute/firewall:Firewall"
BEYOND = (
    "firewall mlplatform-webhooks admits the GKE control plane (172.16.0.32/28) on {what}: beyond the admission "
    "webhooks' ports and GKE's own 443 and 10250; open only tcp 6443, 8443, 9443, 15017 (the webhooks GKE's rule "
    "does not reach)"
)
EVERY_TCP_PORT = "tcp 1-442, 444-6442, 6444-8442, 8444-9442, 9444-10249, 10251-15016, 15018-65535"


def _webhooks(r: Resource) -> bool:
    return r.type == FIREWALL and r.name == "mlplatform-webhooks"


def _allow(**given: Any) -> Callable[[dict[str, Any]], None]:
    return lambda p: p["allows"][0].update(given)


def _no_ports(p: dict[str, Any]) -> None:
    p["allows"][0].pop("ports")


def _sub_range(p: dict[str, Any]) -> None:
    p["sourceRanges"] = ["172.16.0.32/29"]
    _no_ports(p)


def test_gcp_prod_renders_the_webhook_firewall_from_the_control_plane() -> None:
    """The resource the cases below mutate: the control plane's /28, tcp on the four webhook ports GKE's rule lacks."""
    for mode in MODES:
        (fw,) = [r for r in rules_plan("gcp-prod", mode)[0] if _webhooks(r)]
        assert fw.props["sourceRanges"] == ["172.16.0.32/28"]
        assert fw.props["allows"] == [{"protocol": "tcp", "ports": ["6443", "8443", "9443", "15017"]}]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("change", "what"),
    [
        # rev17l 12 as components/clusters/gke.py renders it: ports=["1-65535"]
        (_allow(ports=["1-65535"]), EVERY_TCP_PORT),
        (_no_ports, EVERY_TCP_PORT),  # "If not specified, this rule applies to connections through any port"
        (_allow(ports=["*"]), EVERY_TCP_PORT),
        (_allow(ports=["6443", "8443", "9443", "15017", "15018"]), "tcp 15018"),
        (_allow(ports=["6443-9443", "15017"]), "tcp 6444-8442, 8444-9442"),  # a range counts every port it spans
        (_allow(ports=["22", "6443", "8443", "9443", "15017"]), "tcp 22"),
        (_allow(protocol="all", ports=[]), "every protocol (every port)"),
        (lambda p: p["allows"].append({"protocol": "udp", "ports": ["53"]}), "protocol udp (ports 53)"),
        (lambda p: p["allows"].append({"protocol": "icmp"}), "protocol icmp (every port)"),
        (_sub_range, EVERY_TCP_PORT),  # part of the control plane's range
        # the boundary: the webhooks' ports, and GKE's own two besides, are no more than the control plane needs
        (_allow(ports=["443", "6443", "8443", "9443", "10250", "15017"]), None),
        (_allow(ports=["6443", "8443-8443", "9443", "15017"]), None),
        (_allow(protocol="6"), None),  # tcp by its IP protocol number
    ],
    ids=["all-tcp-range", "no-ports", "star", "one-more", "span", "ssh", "all-protocols", "udp", "icmp-added",
         "sub-range", "with-gke-own", "one-port-range", "protocol-number"],
)  # fmt: skip
def test_a_control_plane_firewall_opens_only_the_webhooks_ports(
    mode: OutputsMode, change: Callable[[dict[str, Any]], None], what: str | None
) -> None:
    plan = rules_plan("gcp-prod", mode)
    expected = [] if what is None else [BEYOND.format(what=what)]
    assert _failures(plan, _mutated(plan, _webhooks, change), HARDENING) == expected


def test_a_wide_firewall_from_elsewhere_is_not_the_control_planes() -> None:
    """A rule whose sources do not reach the control plane's range, or that admits sources only by tag, is not the
    control plane's; one with no source at all admits every address, the control plane's among them."""
    plan = rules_plan("gcp-prod", "fake")
    (fw,) = [r for r in plan[0] if _webhooks(r)]
    wide = {"direction": "INGRESS", "allows": [{"protocol": "tcp", "ports": ["22"]}]}
    others = [
        dataclasses.replace(fw, name="nodes", urn=fw.urn + "-nodes", props={**wide, "sourceRanges": ["10.0.0.0/16"]}),
        dataclasses.replace(fw, name="tags", urn=fw.urn + "-tags", props={**wide, "sourceTags": ["gke-node"]}),
    ]
    assert _failures(plan, [*plan[0], *others], HARDENING) == []
    world = dataclasses.replace(fw, name="world", urn=fw.urn + "-world", props=wide)  # no source at all: every one
    assert _failures(plan, [*plan[0], world], HARDENING) == [
        BEYOND.format(what="tcp 22").replace("mlplatform-webhooks", "world")
    ]


# ------------------------------------------------------------------------------------ 17: AKS audit-log retention

AUDIT = "audit-logs"
WORKSPACE = "azure-native:operationalinsights:Workspace"
SETTING = "azure-native:monitor:DiagnosticSetting"
RETENTION = (
    "Log Analytics workspace mlplatform-logs, where diagnostic setting mlplatform-audit sends the AKS audit logs, "
    "keeps them {kept}: a {env} stack keeps them {promised} days (docs/components/aks-cluster.md); set "
    "retentionInDays to at least {promised}"
)


def _workspace(r: Resource) -> bool:
    return r.type == WORKSPACE


def _azure_prod(mode: OutputsMode) -> tuple[tuple[Resource, ...], StackSettings]:
    """azure-staging planned as prod, as the benchmark's ``config=AZURE_PROD`` plans it."""
    return _stack_with("azure-staging", mode, '{"environment": "prod"}')


def test_the_aks_audit_workspace_keeps_90_days_on_prod_and_30_elsewhere() -> None:
    """The plans the cases below mutate: the diagnostic setting sends kube-audit-admin to the plan's workspace."""
    for mode in MODES:
        for plan, days in ((_azure_prod(mode), 90), (rules_plan("azure-staging", mode), 30)):
            (ws,) = [r for r in plan[0] if _workspace(r)]
            (ds,) = [r for r in plan[0] if r.type == SETTING]
            assert ws.props["retentionInDays"] == days
            assert ws.urn in ds.depends_on
            assert {"enabled": True, "category": "kube-audit-admin"} in ds.props["logs"]
            assert _failures(plan, plan[0], AUDIT) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("days", "kept"),
    [
        (30, "30 days"),  # rev17l 17: retention_in_days=30 on every environment
        (89, "89 days"),
        (None, "30 days (no retentionInDays)"),  # the workspace default
        (90, None),
        (730, None),
    ],
    ids=["30", "89", "unset", "90", "730"],
)
def test_prod_audit_logs_are_kept_90_days(mode: OutputsMode, days: int | None, kept: str | None) -> None:
    plan = _azure_prod(mode)

    def change(p: dict[str, Any]) -> None:
        p.pop("retentionInDays")
        if days is not None:
            p["retentionInDays"] = days

    expected = [] if kept is None else [RETENTION.format(kept=kept, env="prod", promised=90)]
    assert _failures(plan, _mutated(plan, _workspace, change), AUDIT) == expected


def test_staging_audit_logs_are_kept_30_days() -> None:
    plan = rules_plan("azure-staging", "unknown")
    short = _mutated(plan, _workspace, lambda p: p.update(retentionInDays=29))
    assert _failures(plan, short, AUDIT) == [RETENTION.format(kept="29 days", env="staging", promised=30)]


def test_only_the_workspace_the_audit_logs_go_to_is_judged() -> None:
    """A diagnostic setting writing to a workspace outside the plan leaves the plan's workspace unjudged; one that
    names the plan's workspace by its ARM id (no dependency recorded) is judged."""
    plan = _azure_prod("fake")
    short = _mutated(plan, _workspace, lambda p: p.update(retentionInDays=30))
    arm = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/{}"

    def sent_to(workspace: str) -> list[Resource]:
        return [
            dataclasses.replace(r, depends_on=(), props={**r.props, "workspaceId": arm.format(workspace)})
            if r.type == SETTING
            else r
            for r in short
        ]

    assert _failures(plan, sent_to("elsewhere-logs"), AUDIT) == []
    (ws,) = [r for r in short if _workspace(r)]
    assert _failures(plan, sent_to(ws.props["workspaceName"]), AUDIT) == [
        RETENTION.format(kept="30 days", env="prod", promised=90)
    ]


# ------------------------------------------------------------------------------------ 23: system workload limits

LIMITS = "system-workload-limits"
RELEASE = "kubernetes:helm.sh/v3:Release"
NO_LIMIT = (
    "Helm release {release} ({chart}) values {path} give no limits.memory: {whose} has no memory limit and a burst "
    "can take its node's memory; set one"
)
VECTOR = NO_LIMIT.format(release="vector", chart="vector", path="resources", whose="the request-log collector")
KARPENTER = NO_LIMIT.format(
    release="karpenter", chart="karpenter", path="controller.resources", whose="the Karpenter controller"
)


def _chart(name: str) -> Callable[[Resource], bool]:
    return lambda r: r.type == RELEASE and str(r.props.get("chart", "")).rsplit("/", 1)[-1] == name


def _aws_logging(mode: OutputsMode) -> tuple[tuple[Resource, ...], StackSettings]:
    """aws-dev with the request-log collector, as the benchmark's ``platform=RL_AWS`` plans it."""
    return _stack_with("aws-dev", mode, '{"platform": {"requestLogs": {"retentionDays": 14}}}')


def test_the_collector_and_karpenter_render_their_memory_limits() -> None:
    for mode in MODES:
        plan = _aws_logging(mode)
        (vector,) = [r for r in plan[0] if _chart("vector")(r)]
        (karpenter,) = [r for r in plan[0] if _chart("karpenter")(r)]
        assert vector.props["values"]["resources"]["limits"] == {"memory": "512Mi"}
        assert karpenter.props["values"]["controller"]["resources"]["limits"] == {"memory": "1Gi"}
        assert _failures(plan, plan[0], LIMITS) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # rev17l 23 as components/platform/requestlog.py renders it: the requests without the limits
        (lambda v: v["resources"].pop("limits"), [VECTOR]),
        (lambda v: v.pop("resources"), [VECTOR]),  # the chart's default: resources {}
        (lambda v: v["resources"].update(limits={"cpu": "1"}), [VECTOR]),
        (lambda v: v["resources"].update(limits={"memory": "256Mi"}), []),
        (lambda v: v["resources"].update(limits={"memory": "1Gi", "cpu": "500m"}), []),
    ],
    ids=["limits-dropped", "resources-dropped", "cpu-only", "smaller", "with-cpu"],
)
def test_the_request_log_collector_keeps_a_memory_limit(
    mode: OutputsMode, change: Callable[[dict[str, Any]], None], expected: list[str]
) -> None:
    plan = _aws_logging(mode)
    mutated = _mutated(plan, _chart("vector"), lambda p: change(p["values"]))
    assert _failures(plan, mutated, LIMITS) == expected


def test_the_karpenter_controller_keeps_a_memory_limit() -> None:
    plan = rules_plan("aws-dev", "unknown")
    mutated = _mutated(plan, _chart("karpenter"), lambda p: p["values"]["controller"]["resources"].pop("limits"))
    assert _failures(plan, mutated, LIMITS) == [KARPENTER]
