"""Slips of the fourth hostile review of #17 (/work/wt/rev17d-report.md) on GKE, AKS, the platform, serving and rule
code: each over a real plan (plain and with placeholders) mutated the way the slip does, at its boundaries, and the
rule's level pinned. Plans the shipped stacks do not render (KEDA on prod, DNS on Azure) are the shipped stack with
the reviewer's config additions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from test_policy_mutated_plans import PROJECT, entries, failed, named

from components.plan.engine import run_program
from components.plan.project import read_stack_file
from policy.rules import ALL_RULES, Resource, StackSettings, resources_from_plan
from support import cover_plan, mutated_resources, rules_named, rules_plan, shared_cache

OUTPUTS = ("unknown", "fake")
"""A plain plan (values known after deploy are unknown) and ``--placeholders`` (typed placeholders)."""

EXTRA: dict[str, dict[str, Any]] = {
    # the rev17d harness additions: KEDA on a prod stack, an Azure DNS zone with ACME
    "gcp-prod+keda": {"platform": {"keda": True}},
    "azure-staging+dns": {
        "platform": {
            "dns": {"zone": "staging.example.com", "resourceGroup": "dns-rg"},
            "tls": {"issuer": "acme", "acmeEmail": "platform@mlplatform-staging.dev"},
        }
    },
}


@shared_cache
def plan(stack: str, outputs: str) -> tuple[tuple[Resource, ...], StackSettings]:
    """A shipped stack's plan, a cover stack's (``cover-*``), or a shipped one with :data:`EXTRA` merged in."""
    if stack.startswith("cover-"):
        return cover_plan(stack, outputs)  # type: ignore[arg-type]
    if "+" not in stack:
        return rules_plan(stack, outputs)  # type: ignore[arg-type]
    base, _, _ = stack.partition("+")
    cfg = read_stack_file(PROJECT, base)
    config = dict(cfg.config)
    for key, extra in EXTRA.get(stack, {}).items():
        full = f"mlplatform:{key}"
        merged = json.loads(config[full])
        merged.update(extra)
        config[full] = json.dumps(merged)
    result = run_program(
        PROJECT.root, base, config, cfg.secret_keys, main=PROJECT.main, project=PROJECT.name, outputs=outputs
    )
    return tuple(resources_from_plan(result)), StackSettings.from_config(config)


def _level(rule: str) -> str:
    return next(r.enforcement for r in ALL_RULES if r.name == rule)


def caught(
    stack: str, outputs: str, rule: str, pick: Callable[[Resource], bool], change: Callable[[dict[str, Any]], None]
) -> list[str]:
    """The rule passes on the plan and is the only rule failing once ``change`` is applied: its messages."""
    resources, settings = plan(stack, outputs)
    assert all(e["passed"] for e in entries(resources, settings)[rule])
    found = failed(mutated_resources(resources, pick, change), settings, stack)
    assert list(found) == [rule], found
    return found[rule]


def passes(stack: str, outputs: str, rule: str, pick: Callable[[Resource], bool], change: Callable[..., None]) -> None:
    resources, settings = plan(stack, outputs)
    got = entries(mutated_resources(resources, pick, change), settings)[rule]
    assert all(e["passed"] for e in got), got


def typed(suffix: str) -> Callable[[Resource], bool]:
    return lambda r: r.type.endswith(suffix)


def chart(name: str) -> Callable[[Resource], bool]:
    return lambda r: r.type.endswith(":Release") and str(r.props.get("chart")) == name


@pytest.mark.parametrize(
    ("rule", "level"),
    [
        ("keda-ha-values", "mandatory"),
        ("acme-production-directory", "mandatory"),
        ("pod-security-version-latest", "mandatory"),
        ("queue-proxy-admin-port", "mandatory"),
        ("istio-cni-namespace", "mandatory"),
        ("cluster-hardening", "mandatory"),
        ("iam-least-privilege", "mandatory"),
        ("request-log-collector-ingress", "mandatory"),
        ("external-dns-owner-id", "mandatory"),
        ("warm-capacity-preemptible", "mandatory"),
    ],
)
def test_levels(rule: str, level: str) -> None:
    assert _level(rule) == level


# ------------------------------------------------------------------------------------------------ c15 GKE pools


def _management(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        if value is None:
            props["management"].pop(key)
        else:
            props["management"][key] = value

    return change


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize(("key", "value"), [("autoRepair", False), ("autoUpgrade", False), ("autoRepair", "false")])
def test_c15_gke_pool_without_auto_repair_fails(outputs: str, key: str, value: Any) -> None:
    found = caught(
        "gcp-prod",
        outputs,
        "cluster-hardening",
        named(":NodePool", "mlplatform-system"),
        _management(key, value),
    )
    assert any(f"management.{key} is" in m for m in found), found


def test_c15_unset_is_on_by_default() -> None:
    passes(
        "gcp-prod", "fake", "cluster-hardening", named(":NodePool", "mlplatform-system"), lambda p: p.pop("management")
    )


def test_c15_every_pool_is_read() -> None:
    resources, _ = plan("gcp-prod", "fake")
    pools = [r for r in resources if r.type.endswith(":NodePool")]
    assert len(pools) >= 2 and all(r.props["management"] == {"autoRepair": True, "autoUpgrade": True} for r in pools)


# ------------------------------------------------------------------------------------------------ c16 GKE webhooks


def _sources(ranges: list[str]) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        props["sourceRanges"] = ranges

    return change


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize("ranges", [["0.0.0.0/0"], ["172.16.0.0/12"], ["10.0.0.0/8"]])
def test_c16_webhook_firewall_beyond_the_control_plane_fails(outputs: str, ranges: list[str]) -> None:
    found = caught("gcp-prod", outputs, "cluster-hardening", typed(":Firewall"), _sources(ranges))
    assert any("beyond the GKE control plane's range" in m for m in found), found


@pytest.mark.parametrize("outputs", OUTPUTS)
def test_c16_a_sub_range_of_the_control_plane_passes(outputs: str) -> None:
    resources, _ = plan("gcp-prod", outputs)
    master = next(r for r in resources if r.type.endswith(":Cluster") and r.type.startswith("gcp:"))
    cidr = master.props["privateClusterConfig"]["masterIpv4CidrBlock"]
    sub = cidr.rsplit("/", 1)[0] + "/32"
    passes("gcp-prod", outputs, "cluster-hardening", typed(":Firewall"), _sources([sub]))


# ------------------------------------------------------------------------------------------------ c17, c19 AKS


def _scope_to_rg(props: dict[str, Any]) -> None:
    props["scope"] = props["scope"].split("/providers/Microsoft.Network/")[0]


@pytest.mark.parametrize("outputs", OUTPUTS)
def test_c17_dns_zone_contributor_on_the_resource_group_fails(outputs: str) -> None:
    if outputs == "unknown":
        # fix17l: the scope and role id start with the subscription, a provider function's answer, unknown in the plain
        # plan (it showed /subscriptions/None/...): the rule names the assignment unchecked, and mlplatform plan
        # judges it over the placeholder rendering (the fake case)
        resources, settings = plan("azure-staging+dns", outputs)
        (entry,) = entries(resources, settings)["iam-least-privilege"]
        assert entry["passed"] and entry["unchecked"].startswith("not checked, known only after deploy: ")
        # the note shows three names (fix17s added the KMS vault's assignments); the rule's hook names this one
        (rule,) = rules_named("iam-least-privilege")
        (grant,) = [r for r in resources if r.name == "mlplatform-external-dns-dns-zone-contributor"]
        assert rule.unknown is not None and rule.unknown(grant)
        return
    found = caught(
        "azure-staging+dns",
        outputs,
        "iam-least-privilege",
        named(":RoleAssignment", "mlplatform-external-dns-dns-zone-contributor"),
        _scope_to_rg,
    )
    assert any("DNS Zone Contributor at" in m for m in found), found


def test_c17_the_zone_scope_passes() -> None:
    resources, settings = plan("azure-staging+dns", "fake")
    grants = [r for r in resources if r.name.endswith("dns-zone-contributor")]
    assert grants and all("/providers/Microsoft.Network/dnszones/" in r.props["scope"] for r in grants)
    assert all(e["passed"] for e in entries(resources, settings)["iam-least-privilege"])


def _azurepolicy(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        if value is None:
            props.pop("addonProfiles")
        else:
            props["addonProfiles"]["azurepolicy"]["enabled"] = value

    return change


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize("value", [False, None])
def test_c19_aks_without_azure_policy_fails(outputs: str, value: Any) -> None:
    found = caught("azure-staging", outputs, "cluster-hardening", typed(":ManagedCluster"), _azurepolicy(value))
    assert any("Azure Policy add-on is off" in m for m in found), found


# ------------------------------------------------------------------------------------------------ p13 istio-cni


def _namespace(ns: str) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        props["namespace"] = ns

    return change


ISTIO_CNI = named(":Release", "mlplatform-istio-cni")


@pytest.mark.parametrize("outputs", OUTPUTS)
def test_p13_istio_cni_outside_kube_system_on_gke_fails(outputs: str) -> None:
    found = caught("gcp-prod", outputs, "istio-cni-namespace", ISTIO_CNI, _namespace("istio-system"))
    assert any("where the cluster admits no system-node-critical pod" in m for m in found), found


def test_p13_a_namespace_with_a_critical_quota_passes() -> None:
    resources, settings = plan("gcp-prod", "fake")
    quota = next(r for r in resources if r.type.endswith(":ResourceQuota"))
    moved = mutated_resources(resources, ISTIO_CNI, _namespace(str(quota.namespace)))
    assert all(e["passed"] for e in entries(moved, settings)["istio-cni-namespace"])


def test_p13_other_clouds_are_not_judged() -> None:
    resources, settings = plan("aws-dev", "fake")
    moved = mutated_resources(resources, ISTIO_CNI, _namespace("istio-system"))
    assert all(e["passed"] for e in entries(moved, settings)["istio-cni-namespace"])


# ------------------------------------------------------------------------------------------------ p02 collector


COLLECTOR_POLICIES = lambda r: r.type.endswith(":NetworkPolicy") and r.namespace == "request-logs"  # noqa: E731


def _peer_pods(selector: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        for rule in props["spec"]["ingress"]:
            for peer in rule.get("from", []):
                if selector is None:
                    peer.pop("podSelector", None)
                else:
                    peer["podSelector"] = selector

    return change


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize(
    "selector",
    [None, {}, {"matchExpressions": []}, {"matchLabels": {"app": "x"}}],
    ids=["none", "empty", "noexpr", "other"],
)
def test_p02_collector_peer_without_the_model_pod_label_fails(outputs: str, selector: Any) -> None:
    found = caught(
        "cover-gcp-standard", outputs, "request-log-collector-ingress", COLLECTOR_POLICIES, _peer_pods(selector)
    )
    assert any("not only KServe model pods" in m for m in found), found


def test_p02_match_labels_on_the_model_label_passes() -> None:
    passes(
        "cover-gcp-standard",
        "fake",
        "request-log-collector-ingress",
        COLLECTOR_POLICIES,
        _peer_pods({"matchLabels": {"serving.kserve.io/inferenceservice": "bert"}}),
    )


# ------------------------------------------------------------------------------------------------ p03, p05 KEDA


KEDA = chart("keda")


def _values(fn: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        fn(props["values"])

    return change


def _rename_pdb(v: dict[str, Any]) -> None:
    v["podDisruptionBudget"]["metricsServer"] = v["podDisruptionBudget"].pop("metricServer")


def _no_spread(v: dict[str, Any]) -> None:
    v.pop("topologySpreadConstraints")


def _one_spread_empty(v: dict[str, Any]) -> None:
    v["topologySpreadConstraints"]["metricsServer"] = []


def _pdb_empty(v: dict[str, Any]) -> None:
    v["podDisruptionBudget"]["webhooks"] = {}


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize(
    ("fn", "says"),
    [
        (_rename_pdb, "podDisruptionBudget keys ['metricsServer'] are not the chart's"),
        (_no_spread, "topologySpreadConstraints.operator is empty"),
        (_one_spread_empty, "topologySpreadConstraints.metricsServer is empty"),
        (_pdb_empty, "podDisruptionBudget.webhooks sets neither"),
    ],
)
def test_p03_p05_keda_on_prod_without_its_pdbs_or_spread_fails(
    outputs: str, fn: Callable[[dict[str, Any]], None], says: str
) -> None:
    found = caught("gcp-prod+keda", outputs, "keda-ha-values", KEDA, _values(fn))
    assert any(says in m for m in found), found


def test_p03_the_keda_values_on_a_staging_stack_are_not_judged() -> None:
    passes("cover-gcp-standard", "fake", "keda-ha-values", KEDA, _values(_no_spread))


# ------------------------------------------------------------------------------------------------ p07 owner id


EXTERNAL_DNS = chart("external-dns")


def _owner(owner: str) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        props["values"]["txtOwnerId"] = owner

    return change


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize("stack", ["cover-gcp-standard", "cover-aws-node-groups"])
@pytest.mark.parametrize("owner", ["mlplatform", "mlplatform-mlplatform", "stack-b"])
def test_p07_a_constant_owner_id_fails(outputs: str, stack: str, owner: str) -> None:
    found = caught(stack, outputs, "external-dns-owner-id", EXTERNAL_DNS, _owner(owner))
    assert any("names none of the stack's published domains" in m for m in found), found


def test_p07_an_owner_naming_the_domain_passes() -> None:
    passes("cover-gcp-standard", "fake", "external-dns-owner-id", EXTERNAL_DNS, _owner("team-models.cover.example.com"))


# ------------------------------------------------------------------------------------------------ p10 ACME


def _server(url: str) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        props["spec"]["acme"]["server"] = url

    return change


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize(
    "url",
    [
        "https://acme-staging-v02.api.letsencrypt.org/directory",
        "https://acme-staging-v02.api.letsencrypt.org/directory/",
    ],
)
def test_p10_the_staging_directory_fails(outputs: str, url: str) -> None:
    found = caught("cover-gcp-standard", outputs, "acme-production-directory", typed(":ClusterIssuer"), _server(url))
    assert any("Let's Encrypt staging directory" in m for m in found), found


def test_p10_another_ca_passes() -> None:
    passes(
        "cover-gcp-standard",
        "fake",
        "acme-production-directory",
        typed(":ClusterIssuer"),
        _server("https://acme.zerossl.com/v2/DV90"),
    )


# ------------------------------------------------------------------------------------------------ s02 admin port


def model_policies(r: Resource) -> bool:
    """A model's NetworkPolicy (it selects pods by KServe's InferenceService label)."""
    return r.type.endswith(":NetworkPolicy") and "serving.kserve.io/inferenceservice" in str(
        r.props.get("spec", {}).get("podSelector")
    )


def _admin_rule(rule: dict[str, Any] | None) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        rules = props["spec"]["ingress"]
        i = next(i for i, r in enumerate(rules) if any(p.get("port") == 8022 for p in r.get("ports", [])))
        if rule is None:
            rules[i].pop("from")
        else:
            rules[i]["from"] = [rule]

    return change


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize(
    "peer",
    [None, {"podSelector": {}}, {"namespaceSelector": {}}, {"podSelector": {"matchLabels": {"app": "x"}}}],
    ids=["any", "all-pods", "all-namespaces", "other-pods"],
)
def test_s02_admin_port_beyond_the_models_pods_fails(outputs: str, peer: dict[str, Any] | None) -> None:
    found = caught("aws-dev", outputs, "queue-proxy-admin-port", model_policies, _admin_rule(peer))
    assert any("queue-proxy admin port 8022" in m for m in found), found


@pytest.mark.parametrize("outputs", OUTPUTS)
def test_s02_an_all_ports_rule_from_anywhere_fails(outputs: str) -> None:
    def change(props: dict[str, Any]) -> None:
        props["spec"]["ingress"].append({})

    resources, settings = plan("aws-dev", outputs)
    found = failed(mutated_resources(resources, model_policies, change), settings, "aws-dev")
    assert any("queue-proxy admin port 8022" in m for m in found["queue-proxy-admin-port"]), found


# ------------------------------------------------------------------------------------------------ s03 PSS version


def model_namespaces(r: Resource) -> bool:
    """A namespace whose labels pin a Pod Security enforce version (the models' namespaces)."""
    return r.type.endswith(":Namespace") and "pod-security.kubernetes.io/enforce-version" in str(
        r.props.get("metadata")
    )


def _version(v: str) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        props["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"] = v

    return change


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize("version", ["v1.22", "v1.34", ""])
def test_s03_a_pinned_enforce_version_fails(outputs: str, version: str) -> None:
    found = caught("aws-dev", outputs, "pod-security-version-latest", model_namespaces, _version(version))
    assert any("enforces Pod Security" in m for m in found), found


def test_s03_no_version_label_is_the_default_latest() -> None:
    def drop(props: dict[str, Any]) -> None:
        props["metadata"]["labels"].pop("pod-security.kubernetes.io/enforce-version")

    passes("aws-dev", "fake", "pod-security-version-latest", model_namespaces, drop)


# ------------------------------------------------------------------------------------------------ r01 warm


@pytest.mark.parametrize(("policy", "ok"), [(None, False), ("PreemptLowerPriority", False), ("Never", True)])
def test_r01_warm_priority_class_preemption_boundaries(policy: Any, ok: bool) -> None:
    resources, settings = cover_plan("cover-aws-node-groups")

    def change(props: dict[str, Any]) -> None:
        if policy is None:
            props.pop("preemptionPolicy", None)
        else:
            props["preemptionPolicy"] = policy

    warm = lambda r: r.type.endswith(":PriorityClass") and int(r.props.get("value", 0)) < 0  # noqa: E731
    got = entries(mutated_resources(resources, warm, change), settings)["warm-capacity-preemptible"]
    assert all(e["passed"] for e in got) is ok, got


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize("name", ["http-queueadm"])
def test_s02_the_admin_port_by_its_name_from_anywhere_fails(outputs: str, name: str) -> None:
    """The deferred s02 item: a NetworkPolicy may name the port (``http-queueadm``: knative/serving knative-v1.21.3
    pkg/apis/serving/v1/revision_helpers.go:39 ``QueueAdminPortName``) instead of giving 8022."""

    def change(props: dict[str, Any]) -> None:
        rules = props["spec"]["ingress"]
        i = next(i for i, r in enumerate(rules) if any(p.get("port") == 8022 for p in r.get("ports", [])))
        rules[i] = {"ports": [{"protocol": "TCP", "port": name}]}

    resources, settings = plan("aws-dev", outputs)
    found = failed(mutated_resources(resources, model_policies, change), settings, "aws-dev")
    assert any("queue-proxy admin port 8022" in m for m in found.get("queue-proxy-admin-port", [])), found


def test_s02_another_named_port_is_not_the_admin_port() -> None:
    from policy.rules.slipguards import _opens_admin

    assert not _opens_admin({"ports": [{"port": "http-usermetric"}]})
    assert _opens_admin({"ports": [{"port": "http-queueadm"}]})
