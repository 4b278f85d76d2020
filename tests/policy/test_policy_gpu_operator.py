"""rev17c p08: components/platform/gpu.py ``operator_values`` with ``driver.enabled: True`` (or ``toolkit.enabled``)
planned with every policy passing, on clouds whose GPU node images carry the NVIDIA driver and container toolkit.
NVIDIA: "Set this value to false when using the Operator on systems with pre-installed drivers" (GPU Operator chart
options); the chart's defaults are true (../shared/upstream/chart-values/gpu-operator-v26.7.0.yaml). The mandatory
``gpu-operator-no-second-driver`` (policy/rules/gpu.py) reads the operator release's values against what each
cloud's share says the GPU pools' images carry: EKS accelerated AMIs and AKS GPU pools the driver and the toolkit,
GKE pools with GKE-installed drivers the driver only (policy/clouds/<cloud>.py).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from components.plan.engine import run_program
from components.plan.project import load_project, read_stack_file
from components.platform import gpu
from policy.rules import StackSettings, resources_from_plan
from policy.rules.base import Resource
from support import ROOT, mutated_resources, rule_entries

RULE = "gpu-operator-no-second-driver"


@cache
def operator_plan(stack: str) -> tuple[tuple[Resource, ...], StackSettings]:
    """A shipped stack planned with ``platform.gpuSupport: gpu-operator`` (the operator is off on every shipped
    stack: components/platform/gpu.py installs it only when chosen)."""
    project = load_project(ROOT)
    cfg = read_stack_file(project, stack)
    config = dict(cfg.config)
    platform = json.loads(config.get("mlplatform:platform", "{}"))
    config["mlplatform:platform"] = json.dumps({**platform, "gpuSupport": "gpu-operator"})
    result = run_program(
        project.root, stack, config, cfg.secret_keys, main=project.main, project=project.name, outputs="fake"
    )
    return tuple(resources_from_plan(result)), StackSettings.from_config(config)


def _operator(r: Resource) -> bool:
    return r.type == "kubernetes:helm.sh/v3:Release" and r.props.get("chart") == "gpu-operator"


def _failures(resources: list[Resource] | tuple[Resource, ...], settings: StackSettings) -> list[str]:
    return [str(e["message"]) for e in rule_entries(resources, settings) if e["policy"] == RULE and not e["passed"]]


def _set(component: str, value: Any) -> Any:
    def change(props: dict[str, Any]) -> None:
        if value is None:
            props["values"].pop(component, None)
        else:
            props["values"][component] = {"enabled": value}

    return change


CASES = [
    # stack, component, enabled (None: the key dropped, the chart's default true), caught, the pool it names
    ("aws-dev", "driver", True, True, "EC2NodeClass gpu-l4 (alias al2023@latest)"),
    ("aws-dev", "driver", None, True, "EC2NodeClass gpu-l4"),
    ("aws-dev", "toolkit", True, True, "EC2NodeClass gpu-l4"),
    ("aws-dev", "driver", False, False, ""),
    ("azure-staging", "driver", True, True, "AgentPool mlplatform-gpu-t4 (gpuProfile.driver Install)"),
    ("azure-staging", "toolkit", None, True, "AgentPool mlplatform-gpu-t4"),
    ("azure-staging", "toolkit", False, False, ""),
    ("gcp-prod", "driver", True, True, "NodePool mlplatform-gpu-l4 (gpuDriverVersion LATEST)"),
    ("gcp-prod", "driver", "true", True, "NodePool mlplatform-gpu-l4"),
    ("gcp-prod", "toolkit", True, False, ""),  # GKE installs the driver only: the toolkit is the operator's
]


@pytest.mark.parametrize(("stack", "component", "enabled", "caught", "pool"), CASES)
def test_operator_values_against_the_pools_images(
    stack: str, component: str, enabled: Any, caught: bool, pool: str
) -> None:
    resources, settings = operator_plan(stack)
    assert _failures(resources, settings) == []  # as rendered: driver and toolkit off
    failures = _failures(mutated_resources(resources, _operator, _set(component, enabled), exactly=1), settings)
    assert bool(failures) is caught, failures
    if caught:
        (message,) = failures
        assert f"installs the {component}" in message and pool in message, message


def test_the_pool_images_decide() -> None:
    # an AKS pool that skips the driver (gpuProfile.driver None) carries none: the operator may install it
    resources, settings = operator_plan("azure-staging")
    skipped = mutated_resources(
        resources,
        lambda r: r.type == "azure-native:containerservice:AgentPool",
        lambda p: p.update(gpuProfile={"driver": "None"}),
        exactly=1,
    )
    assert _failures(mutated_resources(skipped, _operator, _set("driver", True), exactly=1), settings) == []
    # a GKE pool whose driver installation is disabled, likewise
    resources, settings = operator_plan("gcp-prod")

    def disabled(props: dict[str, Any]) -> None:
        for acc in props["nodeConfig"].get("guestAccelerators") or []:
            acc["gpuDriverInstallationConfig"] = {"gpuDriverVersion": "INSTALLATION_DISABLED"}

    off = mutated_resources(resources, lambda r: r.type == "gcp:container/nodePool:NodePool", disabled)
    assert _failures(mutated_resources(off, _operator, _set("driver", True), exactly=1), settings) == []


def test_an_existing_cluster_is_not_judged() -> None:
    resources, settings = operator_plan("local")
    assert _failures(mutated_resources(resources, _operator, _set("driver", True), exactly=1), settings) == []


def test_a_slip_in_the_operator_values_fails_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    # rev17c p08: components/platform/gpu.py:189 driver.enabled True, planned for real
    original = gpu.operator_values

    def slipped(ctx: Any) -> dict[str, Any]:
        return {**original(ctx), "driver": {"enabled": True}}

    monkeypatch.setattr(gpu, "operator_values", slipped)
    operator_plan.cache_clear()
    try:
        resources, settings = operator_plan("aws-dev")
    finally:
        operator_plan.cache_clear()
    (message,) = _failures(resources, settings)
    assert "installs the driver (driver.enabled True)" in message, message
