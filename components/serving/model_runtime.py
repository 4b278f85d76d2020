"""ModelRuntime: a serving runtime of the stack's own, a namespaced KServe ServingRuntime (what it renders and why:
:mod:`components.serving.stack_runtime`)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.errors import SpecError
from components.naming import child_name, child_opts, type_token
from components.outputs import ModelRuntimeOutputs
from components.platform.handles import PlatformHandles
from components.serving.namespace import create_namespace
from components.serving.stack_runtime import API_VERSION, KIND, ROLE, RuntimeSpec, rendered, stack_problems


@dataclass(frozen=True)
class ModelRuntimeArgs:
    """Arguments of :class:`ModelRuntime`: ``platform`` (cluster, ready) and ``spec`` (:class:`RuntimeSpec`).
    ``create_namespace``: create the namespace here (false when a model or the stack program creates it)."""

    platform: PlatformHandles
    spec: RuntimeSpec
    create_namespace: bool = False


class ModelRuntime(pulumi.ComponentResource):
    """A serving runtime of the stack's own: a KServe ServingRuntime named ``name`` (child ``<name>-runtime``).

    Models of its namespace name it with ``runtime: <name>`` (pass the spec in ``ModelServiceArgs.runtimes`` so the
    model is checked against it), or KServe picks it for their format (module docstring). Output: ``runtimeName``
    (:class:`components.outputs.ModelRuntimeOutputs`).
    """

    runtime_name: pulumi.Output[str]

    def __init__(self, name: str, args: ModelRuntimeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        for path, value, accepted in stack_problems({name: args.spec}):
            raise SpecError(path.removeprefix(name).lstrip(".") or "name", value, accepted)
        super().__init__(type_token("ModelRuntime"), name, None, opts)
        platform, spec = args.platform, args.spec
        deps: list[pulumi.Resource] = list(platform.ready)
        if args.create_namespace:
            deps.extend(create_namespace(name, spec.namespace, platform, self))
        obj = rendered(name, spec)
        k8s.apiextensions.CustomResource(
            child_name(name, ROLE),
            api_version=API_VERSION,
            kind=KIND,
            metadata=obj["metadata"],
            spec=obj["spec"],
            opts=child_opts(self, depends_on=deps, provider=platform.cluster.provider),
        )
        self.runtime_name = pulumi.Output.from_input(name)
        outputs: ModelRuntimeOutputs = {"runtimeName": self.runtime_name}
        self.register_outputs(dict(outputs))
