"""Secrets stay secret: planted secret values (a Hugging Face token, kubeconfigs) never appear in the plan JSON, the
rendered manifests, the terminal view or the stack outputs, while they do reach the resources that need them, as
Pulumi secrets."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from components.plan.cli import plan_stack
from components.plan.engine import Registration, Secret, _wire, contains_secret, run_program
from components.plan.project import find_project, read_stack_file
from components.plan.report import StackPlan, plan_json, write_manifests
from components.plan.view import render
from support import ROOT

PLANTED = "hf_PLANTEDsecretVALUE0123456789abcdef"
SECRET_KEYS = {"mlplatform:hfToken": PLANTED}


def _secure_keys(stack: str) -> list[str]:
    return read_stack_file(find_project(ROOT), stack).secret_keys


def _stacks_with_secrets() -> list[str]:
    project = find_project(ROOT)
    return [s for s in project.stacks() if _secure_keys(s)]


def _leaks(plan: StackPlan, needles: list[str], tmp: Path) -> Iterator[str]:
    text = json.dumps(plan_json("mlplatform", [plan]))
    for n in needles:
        if n in text:
            yield f"plan JSON contains {n[:24]}..."
    for path in write_manifests(tmp, plan):
        body = path.read_text()
        for n in needles:
            if n in body:
                yield f"{path.relative_to(tmp)} contains {n[:24]}..."
    screen = io.StringIO()
    render(plan, Console(file=screen, width=200, color_system=None))
    for n in needles:
        if n in screen.getvalue():
            yield f"the terminal view shows {n[:24]}..."
    outputs = json.dumps(_wire(plan.result.stack_outputs))
    for n in needles:
        if n in outputs:
            yield f"a stack output contains {n[:24]}..."


def _holding(regs: list[Registration], needle: str) -> list[Registration]:
    return [r for r in regs if needle in json.dumps(r.plain_inputs(), default=str)]


def _secret_paths(value: Any, needle: str, path: str = "") -> Iterator[tuple[str, bool]]:
    """Every place ``needle`` sits in ``value``, and whether a Secret marker encloses it."""
    if isinstance(value, Secret):
        for p, _ in _secret_paths(value.value, needle, path):
            yield p, True
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _secret_paths(v, needle, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _secret_paths(v, needle, f"{path}[{i}]")
    elif isinstance(value, str) and needle in value:
        yield path, False


def test_some_stack_declares_a_secret() -> None:
    assert _stacks_with_secrets(), "no stack file has a secure: value to plant"


@pytest.mark.parametrize("stack", _stacks_with_secrets())
def test_planted_secret_reaches_its_resource_only_as_a_secret(stack: str, tmp_path: Path) -> None:
    project = find_project(ROOT)
    values = {k: f"{PLANTED}-{k}" for k in _secure_keys(stack)}
    plan = plan_stack(project, stack, secret_values=values)
    for key, value in values.items():
        holders = _holding(plan.result.resources, value)
        assert holders, f"{key}: the planted value reached no resource (the test would prove nothing)"
        for reg in holders:
            places = list(_secret_paths(reg.inputs, value))
            assert places and all(secret for _, secret in places), f"{reg.type} {reg.name}: {places}"
    assert list(_leaks(plan, list(values.values()), tmp_path)) == []


def _kubeconfigs(regs: list[Registration]) -> list[str]:
    """The kubeconfigs handed to Kubernetes providers (fake outputs: the values a deploy would have)."""
    found = []
    for reg in regs:
        if reg.type == "pulumi:providers:kubernetes" and "kubeconfig" in reg.inputs:
            value = reg.plain_inputs().get("kubeconfig")
            if isinstance(value, str) and value:
                found.append(value)
    return found


@pytest.mark.parametrize("stack", ["aws-dev", "gcp-prod", "azure-staging"])
def test_kubeconfigs_are_secrets_and_never_shown(stack: str, tmp_path: Path) -> None:
    project = find_project(ROOT)
    if not project.stack_path(stack).exists():
        pytest.skip(f"stack {stack} not in this project")
    cfg = read_stack_file(project, stack, {k: f"{PLANTED}-{k}" for k in _secure_keys(stack)})
    result = run_program(project.root, stack, cfg.config, cfg.secret_keys, main=project.main, outputs="fake")
    providers = [r for r in result.resources if r.type == "pulumi:providers:kubernetes"]
    assert providers
    for p in providers:
        assert "kubeconfig" in p.inputs and contains_secret(p.inputs["kubeconfig"]), f"{p.name}: kubeconfig not secret"
    kubeconfigs = _kubeconfigs(result.resources)
    assert kubeconfigs, "fake outputs gave no kubeconfig to look for"
    for reg in result.resources:
        for key, value in reg.outputs.items():
            if "kubeconfig" in key.lower() and value not in (None, ""):
                assert contains_secret(value), f"{reg.type} {reg.name} output {key} is not a secret"
    plan = StackPlan(stack=stack, cloud=str(cfg.config.get("mlplatform:cloud")), result=result)
    needles = [line.strip() for k in kubeconfigs for line in k.splitlines() if len(line.strip()) > 30]
    needles += kubeconfigs
    assert list(_leaks(plan, needles, tmp_path)) == []
