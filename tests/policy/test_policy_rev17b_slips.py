"""Slips 2, 3, 7, 13 and 14 of the second hostile review of #17 (/work/wt/rev17b-report.md): each over a shipped
stack's real plan (plain and with placeholders) mutated like the slip, at its boundaries, and its level pinned."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from test_policy_mutated_plans import entries, failed, mutate, named, shipped

from components.clusters import gke
from policy.rules import ALL_RULES, Resource

OUTPUTS = ("unknown", "fake")
"""A plain plan (values known after deploy are unknown) and ``--placeholders`` (typed placeholders)."""


def _level(rule: str) -> str:
    return next(r.enforcement for r in ALL_RULES if r.name == rule)


def _caught(
    stack: str, outputs: str, rule: str, pick: Callable[[Resource], bool], change: Callable[[dict[str, Any]], None]
) -> list[str]:
    """The rule passes on the shipped plan and is the only mandatory rule failing once ``change`` is applied: its
    messages."""
    resources, settings = shipped(stack, outputs)
    assert all(e["passed"] for e in entries(resources, settings)[rule])
    found = failed(mutate(resources, pick, change), settings, stack)
    assert list(found) == [rule], found
    return found[rule]


# ------------------------------------------------------------------------------------------------ #2 istio-cni


def _cni_dir(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        if value is None:
            del props["values"]["cniBinDir"]
        else:
            props["values"]["cniBinDir"] = value

    return change


CNI = named(":Release", "mlplatform-istio-cni")


@pytest.mark.parametrize("outputs", OUTPUTS)
def test_istio_cni_without_gke_bin_dir_gcp_prod(outputs: str) -> None:
    """#2: ``cni_values`` returning ``{}``: the chart's default /opt/cni/bin, where GKE's kubelet does not look."""
    (msg,) = _caught("gcp-prod", outputs, "istio-cni-bin-dir", CNI, _cni_dir(None))
    assert "/opt/cni/bin" in msg and gke.CNI_BIN_DIR in msg


@pytest.mark.parametrize("value", ["/opt/cni/bin", "/home/kubernetes/bin/", "/home/kubernetes"])
def test_istio_cni_bin_dir_boundaries_gcp_prod(value: str) -> None:
    _caught("gcp-prod", "fake", "istio-cni-bin-dir", CNI, _cni_dir(value))


def test_istio_cni_default_dir_passes_where_the_cloud_names_none() -> None:
    """aws-dev's cluster says nothing (the chart default is right there): the rule does not judge it."""
    resources, settings = shipped("aws-dev")
    assert any(CNI(r) for r in resources)
    assert "cniBinDir" not in next(r for r in resources if CNI(r)).props["values"]
    assert all(e["passed"] for e in entries(resources, settings)["istio-cni-bin-dir"])


# ------------------------------------------------------------------------------------------------ #3 GKE node SA


def _node_sa(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        if value is None:
            del props["nodeConfig"]["serviceAccount"]
        else:
            props["nodeConfig"]["serviceAccount"] = value

    return change


GPU_POOL = named("nodePool:NodePool", "mlplatform-gpu-l4")


@pytest.mark.parametrize("outputs", OUTPUTS)
def test_gke_pool_without_service_account_gcp_prod(outputs: str) -> None:
    """#3: ``service_account=`` deleted: the nodes run as the Compute Engine default service account."""
    (msg,) = _caught("gcp-prod", outputs, "iam-least-privilege", GPU_POOL, _node_sa(None))
    assert "mlplatform-gpu-l4" in msg and "default service account" in msg


@pytest.mark.parametrize(
    "value",
    [
        "default",
        "123456789012-compute@developer.gserviceaccount.com",
        "other@mlplatform-prod.iam.gserviceaccount.com",
        "",
    ],
)
def test_gke_pool_service_account_boundaries_gcp_prod(value: str) -> None:
    _caught("gcp-prod", "fake", "iam-least-privilege", GPU_POOL, _node_sa(value))


def test_gke_pool_service_account_of_the_plan_passes() -> None:
    """The plan's own node service account (placeholders: its e-mail; plain: computed from it) passes."""
    for outputs in OUTPUTS:
        resources, settings = shipped("gcp-prod", outputs)
        sa = next(r for r in resources if GPU_POOL(r)).props["nodeConfig"]["serviceAccount"]
        if outputs == "fake":
            assert sa == "mlp-gcp-prod-nodes@mlplatform-prod.iam.gserviceaccount.com"
        assert all(e["passed"] for e in entries(resources, settings)["iam-least-privilege"])


def test_gke_pool_computed_service_account_from_elsewhere_fails() -> None:
    """A computed e-mail that no service account of the plan gives (the pool depends on none) fails."""
    resources, settings = shipped("gcp-prod", "unknown")
    cut = [
        replace(r, depends_on=tuple(u for u in r.depends_on if "account:Account" not in u)) if GPU_POOL(r) else r
        for r in resources
    ]
    found = failed(cut, settings, "gcp-prod")
    assert list(found) == ["iam-least-privilege"], found


# ------------------------------------------------------------------------------------------------ #7 EKS access entry


def _entry_type(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        if value is None:
            del props["type"]
        else:
            props["type"] = value

    return change


ENTRY = named("accessEntry:AccessEntry", "mlplatform-karpenter-nodes")


@pytest.mark.parametrize("outputs", OUTPUTS)
def test_karpenter_node_entry_standard_aws_dev(outputs: str) -> None:
    """#7: the Karpenter node role's access entry of type STANDARD: EKS grants the nodes nothing."""
    (msg,) = _caught("aws-dev", outputs, "cluster-hardening", ENTRY, _entry_type("STANDARD"))
    assert "STANDARD" in msg and "EC2_LINUX" in msg


@pytest.mark.parametrize("value", [None, "FARGATE_LINUX", "EC2"])
def test_karpenter_node_entry_boundaries_aws_dev(value: str | None) -> None:
    _caught("aws-dev", "fake", "cluster-hardening", ENTRY, _entry_type(value))


def test_karpenter_node_entry_windows_passes_and_other_principals_are_not_judged() -> None:
    resources, settings = shipped("aws-dev")
    windows = mutate(resources, ENTRY, _entry_type("EC2_WINDOWS"))
    assert all(e["passed"] for e in entries(windows, settings)["cluster-hardening"])

    def elsewhere(props: dict[str, Any]) -> None:
        props["type"] = "STANDARD"
        props["principalArn"] = "arn:aws:iam::123456789012:role/ci-deployer"

    other = mutate(resources, ENTRY, elsewhere)
    assert all(e["passed"] for e in entries(other, settings)["cluster-hardening"])


# ------------------------------------------------------------------------------------------------ levels


def test_the_new_shares_are_mandatory() -> None:
    """Pinned: the rules these slips fail are mandatory (a slip of the level would let them through)."""
    for rule in ("istio-cni-bin-dir", "iam-least-privilege", "cluster-hardening"):
        assert _level(rule) == "mandatory", rule
