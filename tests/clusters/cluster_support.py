"""Helpers for the cluster tests: build one cluster (and its storage grants) under mocks, walk the result."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pulumi

from components.clusters import ClusterSpec, StorageAccess, create_cluster
from components.plan.engine import UNKNOWN, PlanResult, Registration, Secret
from support import run, shipped_plan

ROOT = Path(__file__).resolve().parents[2]
TAGS = {"environment": "dev", "owner": "platform-team"}
REGIONS = {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus"}


class Parent(pulumi.ComponentResource):
    """Stands in for a ModelService: the parent of the grant's resources."""

    def __init__(self, name: str) -> None:
        super().__init__("test:index:Parent", name, None, None)
        self.register_outputs({})


@dataclass
class Built:
    """What a cluster test program produced."""

    result: PlanResult
    cluster: Any = None
    grants: dict[str, StorageAccess] = field(default_factory=dict)
    resolved: dict[str, Any] = field(default_factory=dict)
    grant_urns: dict[str, list[str]] = field(default_factory=dict)
    """URNs of each grant's ``StorageAccess.resources``, in order."""

    def one(self, type_: str, name: str | None = None) -> Registration:
        return self.result.one(type_, name)

    def inputs(self, type_: str, name: str | None = None) -> dict[str, Any]:
        return self.result.one(type_, name).plain_inputs()

    @property
    def component(self) -> Registration:
        return next(r for r in self.result.resources if r.type.startswith("mlplatform:index:"))


def spec(cloud: str, **cluster: Any) -> ClusterSpec:
    """A ClusterSpec in stack-file spelling; gcp gets a project unless given."""
    if cloud == "gcp":
        cluster.setdefault("gcp", {"project": "mlp-test"})
    return ClusterSpec.model_validate(cluster)


def build(
    cloud: str,
    cluster: Mapping[str, Any] | None = None,
    *,
    environment: str = "dev",
    grants: Sequence[tuple[str, str, str, str]] = (),
    outputs: str = "fake",
    tags: Mapping[str, str] | None = None,
    region: str | None = None,
) -> Built:
    """Create the cluster of ``cloud`` from ``cluster`` (stack-file keys) and call ``grant_storage_read`` per grant.

    ``grants``: (name, namespace, service account, storage URI); each grant's parent is a ``Parent`` component.
    Values of the grants' outputs are resolved into ``Built.resolved[name]``.
    """
    built = Built(result=None)  # type: ignore[arg-type]

    def program() -> None:
        c = create_cluster(
            "mlp",
            cloud=cloud,
            region=region or REGIONS.get(cloud),
            spec=spec(cloud, **dict(cluster or {})),
            environment=environment,
            tags=dict(tags or TAGS),
            cluster_name="mlp-test",
        )
        built.cluster = c
        for name, ns, sa, uri in grants:
            parent = Parent(f"{name}-parent")
            access = c.grant_storage_read(name, ns, sa, uri, parent)
            built.grants[name] = access
            built.grant_urns[name] = []
            for res in access.resources:
                res.urn.apply(built.grant_urns[name].append)
            for key, value in access.service_account_annotations.items():
                pulumi.Output.from_input(value).apply(
                    lambda v, k=key, n=name: built.resolved.setdefault(n, {}).update({k: v})
                )
        if hasattr(c, "kubeconfig") and c.kubeconfig is not None:
            c.kubeconfig.apply(lambda v: built.resolved.update({"kubeconfig": v}))

    built.result = run(program, outputs=outputs)  # type: ignore[arg-type]
    return built


def descendants(result: PlanResult, root: Registration) -> list[Registration]:
    """Every registration under ``root`` (children, grandchildren, ...)."""
    out: list[Registration] = []
    frontier = [root.urn]
    while frontier:
        urn = frontier.pop()
        for r in result.resources:
            if r.parent == urn:
                out.append(r)
                frontier.append(r.urn)
    return out


def assert_tree(built: Built) -> None:
    """Every resource sits under a component of the program; every kubernetes:* one uses the cluster's provider."""
    urns = {r.urn for r in built.result.resources}
    for r in built.result.resources:
        if r.type.startswith(("mlplatform:index:", "test:index:")):
            assert r.parent is None, r.urn
        else:
            assert r.parent in urns, f"{r.name} ({r.type}) has parent {r.parent}"
    provider = built.result.one("pulumi:providers:kubernetes")
    k8s = [r for r in built.result.resources if r.type.startswith("kubernetes:")]
    for r in k8s:
        assert r.provider_urn == provider.urn, f"{r.name} uses {r.provider_urn}"


def policy_json(value: Any) -> dict[str, Any]:
    """A JSON policy document input (text) as a dict."""
    assert isinstance(value, str), value
    return json.loads(value)  # type: ignore[no-any-return]


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def is_secret(value: Any) -> bool:
    return isinstance(value, Secret)


@cache
def stack_plan(stack: str) -> PlanResult:
    """The offline plan of a shipped stack (``stacks/Pulumi.<stack>.yaml``), computed once per test session."""
    return shipped_plan(stack).result
