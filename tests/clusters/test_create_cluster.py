"""create_cluster: the one branch on the cloud, lazy cloud SDK imports, the shared outputs, and the stacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cluster_support import build

from components import clouds
from components.clusters import KubernetesCluster, create_cluster
from components.clusters.spec import ClusterSpec
from components.errors import SpecError
from components.plan.engine import UNKNOWN, Secret
from support import run

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "cloud", "region", "clusterName", "endpoint", "kubeconfig", "oidcIssuer", "controlPlaneTier",
    "systemInstanceType", "systemPool", "gpuPools",
}  # fmt: skip
POOL_KEYS = {
    "accelerator", "instanceType", "gpusPerNode", "minNodes", "maxNodes", "spot", "sharing", "maxClientsPerGpu",
    "zones", "cachedImages", "diskSizeGib",
}  # fmt: skip
POOLS = {
    "aws": {"l4": {"accelerator": "nvidia-l4", "maxNodes": 2}},
    "gcp": {"l4": {"accelerator": "nvidia-l4", "maxNodes": 2}},
    "azure": {"t4": {"accelerator": "nvidia-t4", "maxNodes": 2}},
}


@pytest.mark.parametrize(("cloud", "cls_name"), [("aws", "EksCluster"), ("gcp", "GkeCluster"), ("azure", "AksCluster")])
def test_each_cloud_builds_its_cluster_with_the_shared_outputs(cloud: str, cls_name: str) -> None:
    built = build(cloud, {"gpuPools": POOLS[cloud]})
    assert type(built.cluster).__name__ == cls_name
    assert isinstance(built.cluster, KubernetesCluster)
    assert built.component.type == f"mlplatform:index:{cls_name}"
    out = built.component.outputs
    assert set(out) >= KEYS
    assert out["cloud"] == cloud
    assert set(out["systemPool"]) == {"instanceType", "minNodes", "maxNodes"}
    (pool,) = out["gpuPools"].values()
    assert set(pool) == POOL_KEYS
    assert built.cluster.gpu.pools[next(iter(POOLS[cloud]))].instance_type == pool["instanceType"]
    assert type(out["kubeconfig"]).__name__ == "Secret"
    assert "kubeconfig" not in json.dumps(built.component.wire_inputs())


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_a_preview_never_invents_computed_outputs(cloud: str) -> None:
    built = build(cloud, {"gpuPools": POOLS[cloud]}, outputs="unknown")
    out = built.component.outputs
    assert isinstance(out["kubeconfig"], Secret) and out["kubeconfig"].value is UNKNOWN
    assert out["endpoint"] is UNKNOWN
    assert out["systemInstanceType"] == built.cluster.system_instance_type


def _create(cloud: str, region: str | None) -> None:
    def program() -> None:
        create_cluster(
            "c", cloud=cloud, region=region, spec=ClusterSpec(), environment="dev", tags={}, cluster_name="c"
        )

    run(program, outputs="unknown")


def test_unknown_cloud_is_an_error() -> None:
    with pytest.raises(SpecError) as info:
        _create("oracle", "x")
    assert str(info.value) == f"cloud: oracle is not allowed; give one of {', '.join(clouds.names())}"


def test_managed_cloud_needs_a_region() -> None:
    with pytest.raises(SpecError) as info:
        _create("gcp", None)
    assert str(info.value) == "region: null is not allowed; give the gcp region"


def test_gpu_count_without_a_machine_is_an_error() -> None:
    with pytest.raises(SpecError) as info:
        build("gcp", {"gpuPools": {"l4": {"accelerator": "nvidia-l4", "gpusPerNode": 3, "maxNodes": 1}}})
    assert str(info.value).startswith(
        "cluster.gpuPools.l4.gpusPerNode: 3 is not allowed; no gcp machine has 3 x nvidia-l4; give gpusPerNode one of"
    )


def test_accelerator_not_offered_is_an_error() -> None:
    with pytest.raises(SpecError) as info:
        build("azure", {"gpuPools": {"g": {"accelerator": "nvidia-a10g", "maxNodes": 1}}})
    assert str(info.value).startswith(
        "cluster.gpuPools.g.accelerator: nvidia-a10g is not allowed; nvidia-a10g is not offered on azure; azure offers"
    )


_PROBE = """
import json, sys
from components.plan.cli import main
code = main(["plan", "--stack", "aws-dev", "--no-tree"])
print(json.dumps({"code": code, "gcp": "pulumi_gcp" in sys.modules, "azure": "pulumi_azure_native" in sys.modules,
                  "eks": "pulumi_eks" in sys.modules}))
"""


def test_planning_aws_imports_neither_gcp_nor_azure_sdks() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found == {"code": 0, "gcp": False, "azure": False, "eks": True}


@pytest.mark.parametrize("stack", ["gcp-prod", "azure-staging"])
def test_cloud_stacks_plan_cleanly(stack: str, monkeypatch: Any) -> None:
    from components.plan.cli import main

    monkeypatch.chdir(ROOT)
    assert main(["plan", "--stack", stack, "--no-tree"]) == 0
