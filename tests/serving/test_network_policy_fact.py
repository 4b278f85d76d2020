"""The existing cluster says whether NetworkPolicy is enforced (``cluster.existing.networkPolicy``); the plan says
when a model's metrics stay open (issue 12, "metrics: Prometheus only")."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from stacks_support import STACKS, planned

from components.errors import SpecError
from components.platform.common import load_yaml_data
from support import ROOT, plan_config, upstream_dir

WARNING = (
    "model models/sklearn-iris: the cluster {state} NetworkPolicy, so any pod that reaches a model pod's IP can read "
    "its request metrics (ports {ports}); serving is unaffected. If the cluster's network plugin enforces "
    "NetworkPolicy, set cluster.existing.networkPolicy: enforced"
)


def _local(network_policy: str | None, mode: str | None = None) -> dict[str, Any]:
    raw = yaml.safe_load((ROOT / "stacks" / "Pulumi.local.yaml").read_text())["config"]
    cfg = copy.deepcopy({k.split(":", 1)[1]: v for k, v in raw.items()})
    if network_policy is not None:
        cfg["cluster"]["existing"]["networkPolicy"] = network_policy
    if mode is not None:
        cfg["platform"]["deploymentMode"] = mode
        for spec in cfg["models"].values():
            spec.setdefault("scaling", {})["minReplicas"] = max(1, spec.get("scaling", {}).get("minReplicas", 1))
    return cfg


@pytest.mark.parametrize(
    ("fact", "state"), [(None, "may not enforce"), ("unknown", "may not enforce"), ("not-enforced", "does not enforce")]
)
def test_the_plan_says_the_metrics_are_open_unless_the_cluster_enforces_network_policy(
    fact: str | None, state: str
) -> None:
    warnings = plan_config(_local(fact), stack="local").warnings
    assert WARNING.format(state=state, ports="15090, 15020, 9091") in warnings


def test_the_standard_mode_warning_names_only_ports_that_exist() -> None:
    # Regression (issue 12 review, item 7): the warning named the queue-proxy's 9091 in Standard mode too, where
    # there is no queue-proxy (the NetworkPolicy's metrics ports there: 15020, 15090).
    warnings = plan_config(_local(None, "Standard"), stack="local").warnings
    assert WARNING.format(state="may not enforce", ports="15090, 15020") in warnings
    assert not [w for w in warnings if "9091" in w]


def test_no_warning_where_the_cluster_enforces_network_policy() -> None:
    result = plan_config(_local("enforced"), stack="local")
    assert not [w for w in result.warnings if "NetworkPolicy" in w]
    kinds = [r.type for r in result.resources]
    assert (
        kinds.count("kubernetes:networking.k8s.io/v1:NetworkPolicy") == 3
    )  # one per model of the stack, the gateway's


@pytest.mark.parametrize("stack", [s for s in STACKS if s != "local"])
def test_managed_clusters_enforce_network_policy_so_the_plan_is_silent(stack: str) -> None:
    # EKS (VPC CNI network policy agent), GKE (Dataplane V2), AKS (Cilium): KubernetesCluster.network_policy_enforced
    assert not [w for w in planned(stack).warnings if "NetworkPolicy" in w]


def test_a_wrong_value_is_one_line() -> None:
    with pytest.raises(SpecError) as info:
        plan_config(_local("yes"), stack="local")
    assert "cluster.existing.networkPolicy" in str(info.value)
    assert "\n" not in str(info.value)


def _chart_defaults() -> dict[str, Any]:
    path = upstream_dir() / "chart-values" / "kube-prometheus-stack-88.5.3.yaml"
    data: dict[str, Any] = load_yaml_data(path)
    return data


@pytest.mark.parametrize("stack", STACKS)
def test_the_network_policy_names_the_prometheus_the_platform_installs(stack: str) -> None:
    # The Prometheus pods' labels follow from the release: kube-prometheus-stack 88.5.3 selects them with
    # app.kubernetes.io/name: prometheus and operator.prometheus.io/name: <fullname>-prometheus
    # (templates/prometheus/networkpolicy.yaml at tag kube-prometheus-stack-88.5.3); prometheus-operator puts both on
    # the pods (v0.93.0 pkg/prometheus/server/operator.go makeSelectorLabels, statefulset.go). The fullname is the
    # release name when it contains the chart name and no override is set (_helpers.tpl). A renamed release or an
    # override in the platform's values would change them: the policy must follow.
    result = planned(stack)
    release = next(
        r.plain_inputs()
        for r in result.resources
        if r.type == "kubernetes:helm.sh/v3:Release" and r.plain_inputs().get("chart") == "kube-prometheus-stack"
    )
    values = release.get("values") or {}
    defaults = _chart_defaults()
    for key in ("fullnameOverride", "nameOverride", "cleanPrometheusOperatorObjectNames", "namespaceOverride"):
        assert key not in values, key
    assert defaults["fullnameOverride"] == "" and defaults["nameOverride"] == ""
    assert defaults["cleanPrometheusOperatorObjectNames"] is False
    assert "kube-prometheus-stack" in release["name"]
    netpols = [r.plain_inputs() for r in result.resources if r.type.endswith(":NetworkPolicy")]
    assert netpols
    for netpol in netpols:
        peers = [p for rule in netpol["spec"]["ingress"] for p in rule.get("from", []) if "namespaceSelector" in p]
        assert peers == [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": release["namespace"]}},
                "podSelector": {
                    "matchLabels": {
                        "app.kubernetes.io/name": "prometheus",
                        "operator.prometheus.io/name": f"{release['name']}-prometheus",
                    }
                },
            }
        ]
