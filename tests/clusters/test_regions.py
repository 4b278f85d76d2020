"""Clusters check their region before registering anything, and place GPU pools where the region offers them."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from cluster_support import build, spec

from components import catalog
from components.clusters import check_cluster
from components.errors import SpecError

POOL = "gcp:container/nodePool:NodePool"


def test_gke_gpu_pools_span_every_zone_of_the_region_that_offers_the_machine() -> None:
    built = build(
        "gcp",
        {
            "gpuPools": {
                "l4": {"accelerator": "nvidia-l4", "maxNodes": 2},
                "a100": {"accelerator": "nvidia-a100-40gb", "maxNodes": 2},
            }
        },
        region="us-east1",
    )
    # us-east1 has L4 (g2) in three zones but the A100 (a2-highgpu) in us-east1-b only
    assert built.inputs(POOL, "mlp-gpu-l4")["nodeLocations"] == ["us-east1-b", "us-east1-c", "us-east1-d"]
    assert built.inputs(POOL, "mlp-gpu-a100")["nodeLocations"] == ["us-east1-b"]
    assert "nodeLocations" not in built.inputs(POOL, "mlp-system")  # the system pool follows the cluster's zones
    assert built.result.warnings == []


def test_gke_pool_zones_come_from_the_catalog() -> None:
    built = build("gcp", {"gpuPools": {"a100": {"accelerator": "nvidia-a100-40gb", "maxNodes": 2}}})
    expected = catalog.machine_for("gcp", "nvidia-a100-40gb", 1).zones_in("us-central1")
    assert built.inputs(POOL, "mlp-gpu-a100")["nodeLocations"] == list(expected)
    assert expected == ("us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f")


@pytest.mark.parametrize(
    ("cloud", "region", "pools", "message"),
    [
        (
            "aws",
            "eu-west-1",
            {"llm": {"accelerator": "nvidia-h200", "gpusPerNode": 8, "maxNodes": 1}},
            "cluster.gpuPools.llm.accelerator: nvidia-h200 is not allowed; nvidia-h200 is not offered in aws region "
            "eu-west-1; eu-west-1 offers nvidia-t4, nvidia-a10g, nvidia-a100-40gb; nvidia-h200 is offered in "
            "ap-northeast-1, ap-northeast-2, ap-south-1, ap-southeast-3, eu-north-1, eu-south-2, me-central-1, "
            "us-east-1, us-east-2, us-gov-west-1, us-west-1, us-west-2",
        ),
        (
            "gcp",
            "us-east1",
            {"big": {"accelerator": "nvidia-a100-40gb", "gpusPerNode": 16, "maxNodes": 1}},
            "cluster.gpuPools.big.gpusPerNode: 16 is not allowed; a2-megagpu-16g (16 x nvidia-a100-40gb) is not "
            "offered in gcp region us-east1; give gpusPerNode one of 1, 2, 4, 8, or a region that has it: "
            "asia-southeast1, europe-west4, us-central1",
        ),
        (
            "azure",
            "eastus",
            {"h200": {"accelerator": "nvidia-h200", "gpusPerNode": 8, "maxNodes": 1}},
            "cluster.gpuPools.h200.accelerator: nvidia-h200 is not allowed; nvidia-h200 is not offered in azure "
            "region eastus; eastus offers nvidia-t4, nvidia-a100-40gb, nvidia-a100-80gb, nvidia-h100-80gb; "
            "nvidia-h200 is offered in australiaeast, australiasoutheast, brazilsouth, centralus, eastus2, "
            "francecentral, germanywestcentral, indonesiacentral, italynorth, japaneast, japanwest, koreasouth, "
            "malaysiawest, mexicocentral, northcentralus, northeurope, norwayeast, polandcentral, southafricanorth, "
            "southeastasia, spaincentral, swedencentral, uaenorth, uksouth, ukwest, westus, westus2, westus3",
        ),
        (
            "aws",
            "us-east1",
            {},
            "region: us-east1 is not allowed; not a region name on aws (like us-east-1); did you mean us-east-1?",
        ),
        (
            "aws",
            "af-south-1",
            {},
            "cluster.systemPool.instanceType: m7i.xlarge (the default) is not allowed; m7i.xlarge is not offered in "
            "aws region af-south-1; give a type offered there (the default is offered in ap-northeast-1, "
            "ap-northeast-2, ap-south-1, ap-southeast-1, ap-southeast-2, ap-southeast-3, ca-central-1, eu-central-1, "
            "eu-north-1, eu-west-1, eu-west-2, eu-west-3, us-east-1, us-east-2, us-west-1, us-west-2)",
        ),
    ],
)
def test_the_cluster_refuses_what_its_region_does_not_offer(
    cloud: str, region: str, pools: dict[str, Any], message: str
) -> None:
    """The Python API path: create_cluster raises the same SpecError the stack config reports, before registering."""
    with pytest.raises(SpecError) as info:
        build(cloud, {"gpuPools": pools}, region=region)
    assert str(info.value) == message


def test_a_chosen_system_machine_is_the_users_call() -> None:
    reach = {"publicCidrs": ["203.0.113.0/24"], "deployFrom": ["203.0.113.0/24"]}
    pools = check_cluster("aws", "af-south-1", spec("aws", systemPool={"instanceType": "m5.xlarge"}, apiAccess=reach))
    assert pools == {}


def test_a_region_the_data_does_not_cover_is_a_warning_in_the_plan() -> None:
    built = build("azure", {"gpuPools": {"t4": {"accelerator": "nvidia-t4", "maxNodes": 1}}}, region="usgovvirginia")
    assert built.result.warnings == [
        "GPU availability in azure region usgovvirginia is not checked: the catalog has region data for 57 azure "
        "regions, not this one (docs/catalog.md)"
    ]


def test_a_machine_with_unknown_regions_is_a_warning_in_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """As when a machine is added before any source lists its regions (``availability.<cloud>.unknown``)."""
    key = ("aws", "nvidia-h100-80gb", 1)
    unknown = dataclasses.replace(catalog._INDEX[key], offered_in=None)
    machines = tuple(unknown if (m.cloud, m.accelerator, m.gpus) == key else m for m in catalog.machines())
    monkeypatch.setattr(catalog, "_CATALOG", dataclasses.replace(catalog._CATALOG, machines=machines))
    monkeypatch.setitem(catalog._INDEX, key, unknown)
    built = build("aws", {"gpuPools": {"h100": {"accelerator": "nvidia-h100-80gb", "maxNodes": 1}}}, region="eu-west-1")
    assert built.result.warnings == [
        "availability of p5.4xlarge in aws region eu-west-1 is not checked: the catalog does not know its regions"
    ]


def test_no_warning_without_gpu_pools_or_in_a_covered_region() -> None:
    assert build("azure", {}, region="usgovvirginia").result.warnings == []
    assert build("aws", {"gpuPools": {"l4": {"accelerator": "nvidia-l4", "maxNodes": 1}}}).result.warnings == []
