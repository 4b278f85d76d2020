"""The outputs contract (components/outputs.py, docs/configuration.md, Outputs): every shipped stack's components
register exactly the keys of their layer's class, every key is camelCase, and the stack exports StackOutputs.

Checked on the real program over every shipped stack and one more plan (``aws-dev`` with a runtime of its own,
``mlplatform:runtimes``, and a pipeline, which no shipped stack declares), so a component that registers a key the
contract does not name (or a snake_case one, as the cluster, model and runtime outputs did before) fails here, and a
reader that indexes a key the contract does not name fails mypy. Every component type the code registers
(``type_token``) must have its layer here and be planned by one of these plans, so a component cannot be left out
again (rev15e: the ModelRuntime registered ``runtime_name`` unchecked because no shipped stack has a runtime).
"""

from __future__ import annotations

import json
import re
import typing
from typing import Any

import pytest

from components import clouds, outputs
from components.clusters import cloud_outputs
from components.plan.engine import PlanResult, run_program
from components.plan.project import load_project, read_stack_file
from support import ROOT, shared_cache

STACKS = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
WITH_RUNTIME = "aws-dev+runtime+pipeline"
"""A plan beside the shipped stacks: ``aws-dev`` with the stack runtime and the pipeline below (no shipped stack
declares either)."""
RUNTIMES = {
    "acme-sklearn": {
        "formats": [{"name": "sklearn", "version": "1", "autoSelect": True, "priority": 5}],
        "container": {"image": "ghcr.io/acme/sklearn-server:1.4"},
    }
}
PIPELINES = {
    "chain": {
        "access": {"mode": "internal", "allowedNamespaces": ["apps"]},
        "nodes": {"root": {"routerType": "Sequence", "steps": [{"serviceName": "sklearn-iris"}]}},
    }
}
PLANS = [*STACKS, WITH_RUNTIME]
CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")
# Keys a component may register as None (so Pulumi records nothing): the existing cluster's unknowns, a model's
# identity when its storage needs none (docs/configuration.md, Outputs).
NONE_ABLE = {"region", "endpoint", "oidcIssuer", "controlPlaneTier", "systemInstanceType", "identity"}

# Component type token suffix -> its outputs class
LAYER_OF: dict[str, Any] = {
    "Cluster": outputs.ClusterOutputs,
    "Platform": outputs.PlatformOutputs,
    "ModelService": outputs.ModelServiceOutputs,
    "ModelNamespace": outputs.ModelNamespaceOutputs,
    "Pipeline": outputs.PipelineOutputs,
    "ModelRuntime": outputs.ModelRuntimeOutputs,
}


@shared_cache
def planned(stack: str) -> PlanResult:
    project = load_project(ROOT)
    base = stack.split("+")[0]
    cfg = read_stack_file(project, base)
    config = dict(cfg.config)
    if stack == WITH_RUNTIME:
        config["mlplatform:runtimes"] = json.dumps(RUNTIMES)
        config["mlplatform:pipelines"] = json.dumps(PIPELINES)
    return run_program(project.root, base, config, cfg.secret_keys, main=project.main, project=project.name)


def _layer(type_: str) -> Any:
    name = type_.rsplit(":", 1)[-1]
    return next((cls for suffix, cls in LAYER_OF.items() if name.endswith(suffix)), None)


def _keys(cls: Any) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(cls.__required_keys__), frozenset(cls.__required_keys__ | cls.__optional_keys__)


@pytest.mark.parametrize("stack", PLANS)
def test_every_component_registers_its_layers_keys(stack: str) -> None:
    result = planned(stack)
    seen: set[str] = set()
    for reg in result.resources:
        if reg.custom or not reg.type.startswith("mlplatform:"):
            continue
        cls = _layer(reg.type)
        assert cls is not None, f"{reg.type} registers outputs no class of components/outputs.py describes"
        seen.add(cls.__name__)
        required, allowed = _keys(cls)
        if cls is outputs.ClusterOutputs:  # and its cloud's own outputs (components.clouds.Cloud.outputs)
            own = cloud_outputs(reg.outputs["cloud"])
            assert own is not None, f"{reg.outputs['cloud']} declares no outputs of its own"
            required, allowed = required | _keys(own)[0], allowed | _keys(own)[1]
        registered = set(reg.outputs)
        # Pulumi records no None output: a required key registered as None is absent (an existing cluster's region)
        nones = {k for k in required if k not in registered}
        assert registered <= allowed, f"{reg.type} {reg.name}: keys outside {cls.__name__}: {registered - allowed}"
        assert nones <= NONE_ABLE, f"{reg.type} {reg.name}: missing {sorted(nones)}"
        if cls is outputs.ClusterOutputs:
            for pool in reg.outputs["gpuPools"].values():
                assert set(pool) == set(outputs.GpuPoolOutputs.__required_keys__)
    assert {"ClusterOutputs", "PlatformOutputs", "ModelServiceOutputs"} <= seen
    if stack == WITH_RUNTIME:
        assert {"ModelRuntimeOutputs", "PipelineOutputs"} <= seen


def test_the_runtime_plan_registers_the_runtime_outputs() -> None:
    found = [r for r in planned(WITH_RUNTIME).resources if r.type == "mlplatform:index:ModelRuntime"]
    assert [(r.name, dict(r.outputs)) for r in found] == [("acme-sklearn", {"runtimeName": "acme-sklearn"})]


def test_every_component_type_has_a_layer_and_a_plan_here() -> None:
    """Each component type the code registers (``type_token("<Class>")`` under components/) has its outputs class in
    LAYER_OF and is registered by one of this module's plans, so its outputs are checked above."""
    tokens = {
        m.group(1)
        for path in (ROOT / "components").rglob("*.py")
        for m in re.finditer(r'type_token\("(\w+)"\)', path.read_text())
    }
    assert "ModelRuntime" in tokens
    assert {t for t in tokens if _layer(f"mlplatform:index:{t}") is None} == set()
    planned_types = {r.type.rsplit(":", 1)[-1] for stack in PLANS for r in planned(stack).resources if not r.custom}
    assert tokens - planned_types == set()


@pytest.mark.parametrize("stack", STACKS)
def test_the_stack_exports_stack_outputs(stack: str) -> None:
    exported = planned(stack).stack_outputs
    assert set(exported) == set(outputs.StackOutputs.__required_keys__)
    for urls in exported["models"].values():
        assert set(urls) == set(outputs.ModelUrls.__required_keys__)


def _clouds_outputs() -> list[Any]:
    return [cls for c in clouds.all_clouds() if (cls := cloud_outputs(c.name)) is not None]


def test_every_output_key_is_camel_case() -> None:
    classes = [cls for _, cls in outputs.LAYERS] + [outputs.GpuPoolOutputs, outputs.SystemPoolOutputs]
    classes += [outputs.ModelUrls, *_clouds_outputs()]
    bad = [(cls.__name__, k) for cls in classes for k in _keys(cls)[1] if not CAMEL.match(k)]
    assert not bad, f"not camelCase: {bad}"


def test_the_clouds_own_outputs_extend_the_generic_contract() -> None:
    """Each cloud's own cluster outputs (its module's class, ``Cloud.outputs``) add keys to ClusterOutputs, never
    redefine one (``_finish`` refuses that too), and each key has its documentation; the generic contract holds no key
    only one cloud registers (issue #15: its per-cloud keys moved into the clouds' modules)."""
    generic = _keys(outputs.ClusterOutputs)[1]
    own = {c.name: _keys(cls)[1] for c in clouds.all_clouds() if (cls := cloud_outputs(c.name)) is not None}
    assert set(own) == set(clouds.names())
    for cloud, keys in own.items():
        assert not keys & generic, cloud
    for cls in _clouds_outputs():
        hints = typing.get_type_hints(cls, include_extras=True)
        assert all(typing.get_origin(h) is typing.Annotated and typing.get_args(h)[1] for h in hints.values()), cls
    assert not generic & {"oidcProviderArn", "vpcId", "project", "workloadPool", "resourceGroup", "kubeconfigPath"}


def test_a_reader_sees_an_unrecorded_key_as_none() -> None:
    # An existing cluster registers region None, which Pulumi does not record: readers index it and get None.
    out = outputs.cluster_outputs({"cloud": "existing", "gpuPools": {}})
    assert out["region"] is None and out["gpuProvisioner"] is None and out["gpuPools"] == {}


@pytest.mark.parametrize("stack", STACKS)
def test_the_cost_and_deploy_readers_find_exactly_the_cluster_component(stack: str) -> None:
    """cost.py and deploytime.py find the cluster through :func:`outputs.is_cluster` (the typed ``cloud`` key), which
    picks the one cluster component of each plan and nothing else (not the stack, which exports ``cloud`` too)."""
    from components.cost import cluster_components

    found = cluster_components(planned(stack))
    assert [r.type for r in found] == [
        r.type
        for r in planned(stack).resources
        if not r.custom and r.type.startswith("mlplatform:index:") and r.type.endswith("Cluster")
    ]
    assert len(found) == 1 and found[0].type.startswith("mlplatform:index:")
