"""The policy pack's reads of the cloud registry are memoised per registry state (policy/rules/percloud.py ``_memo``
keyed on components/clouds.py ``version``): a registration, and the end of a ``clouds.registered`` block, must change
what ``known_types``, ``owner``, ``canonical``, ``kind``, ``policies``, ``dynamic`` and ``unknown_type`` answer."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator

import pytest

from components import clouds
from policy.rules import percloud

BUCKET = "memo:storage/bucket:Bucket"
CLUSTER = "memo:k8s/cluster:Cluster"
VERSIONED = "memo:k8s/v2:Cluster"
ROLE = "memo:k8s/clusterRole:ClusterRole"
DYNAMIC = "pulumi-python:dynamic:MemoResource"
MODULE = "memo_policy_module_of_tests"

MEMO = clouds.Cloud(
    name="memo",
    title="Memo",
    cluster="memo_cluster_module:MemoCluster",
    modules=(),
    tag_rule=clouds.TagRule(32, 64, 10, "fake tag rule of tests/test_clouds_memo.py"),
    cluster_types=(CLUSTER,),
    tag_packages={"memo": "memo_sdk"},
    policy=MODULE,
)


@pytest.fixture
def policy_module() -> Iterator[None]:
    """A policy module for the fake cloud: it knows a bucket, folds a versioned cluster token into the cluster type,
    says a ClusterRole is no cluster and knows one dynamic resource."""
    module = types.ModuleType(MODULE)
    module.POLICY = percloud.CloudPolicy(  # type: ignore[attr-defined]
        cloud="memo",
        known={BUCKET: "fake type of tests/test_clouds_memo.py"},
        canonical=lambda t: CLUSTER if t == VERSIONED else t,
        not_clusters=(ROLE,),
        dynamic_inputs={DYNAMIC: lambda: frozenset({"a"})},
    )
    sys.modules[MODULE] = module
    try:
        yield
    finally:
        del sys.modules[MODULE]


def _reads() -> tuple[object, ...]:
    return (
        BUCKET in percloud.known_types(),
        percloud.owner(BUCKET) is not None,
        percloud.canonical(VERSIONED),
        percloud.kind(ROLE),
        len(percloud.policies()),
        DYNAMIC in percloud.dynamic(),
        percloud.unknown_type(BUCKET) is None,
    )


def test_a_registration_change_invalidates_the_memoised_reads(policy_module: None) -> None:
    """Read before (memoised), inside a ``registered`` block and after it: each read follows the registry."""
    shipped = len(percloud.policies())
    outside = (False, False, VERSIONED, "cluster", shipped, False, False)
    assert _reads() == outside
    assert _reads() == outside  # the memoised answer is the same
    with clouds.registered(MEMO):
        assert _reads() == (True, True, CLUSTER, None, shipped + 1, True, True)
        assert percloud.owner(BUCKET) is MEMO
    assert _reads() == outside


def test_every_registry_change_bumps_the_version() -> None:
    """``register`` and both ends of ``registered`` give a new version."""
    start = clouds.version()
    with clouds.registered(MEMO):
        inside = clouds.version()
    assert len({start, inside, clouds.version()}) == 3


def test_the_memoised_maps_are_read_only() -> None:
    """The maps every caller shares cannot be edited by one of them."""
    with pytest.raises(TypeError):
        percloud.known_types()[BUCKET] = "edited"  # type: ignore[index]
    with pytest.raises(TypeError):
        percloud.dynamic()[DYNAMIC] = frozenset  # type: ignore[index]
