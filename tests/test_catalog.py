"""Accelerator catalog: lookups, error texts, price provenance and validation of catalog.yaml."""

from __future__ import annotations

import copy
import dataclasses
import datetime
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from components import catalog, clouds
from components.catalog import CatalogError, machine_for


def managed() -> str:
    """The registry's managed clouds as the catalog's messages list them (read now: tests/test_clouds.py reruns
    these tests with a fourth cloud registered)."""
    return ", ".join(clouds.names(managed=True))


RAW: dict[str, Any] = yaml.safe_load(catalog.DATA_FILE.read_text(encoding="utf-8"))
ALL_OFFERED = [(c, a, n) for c in catalog.CLOUDS for a, counts in catalog.offered(c).items() for n in counts]


@pytest.mark.parametrize(
    ("cloud", "accelerator", "gpus", "instance_type", "vcpus", "memory_gib", "gpu_memory"),
    [
        ("aws", "nvidia-t4", 1, "g4dn.xlarge", 4, 16, "15360 MiB"),
        ("aws", "nvidia-l4", 1, "g6.xlarge", 4, 16, "23034 MiB"),
        ("aws", "nvidia-l4", 4, "g6.12xlarge", 48, 192, "23034 MiB"),
        ("aws", "nvidia-a10g", 1, "g5.xlarge", 4, 16, "23028 MiB"),
        ("aws", "nvidia-a10g", 8, "g5.48xlarge", 192, 768, "23028 MiB"),
        ("aws", "nvidia-l40s", 1, "g6e.xlarge", 4, 32, "46068 MiB"),
        ("aws", "nvidia-a100-40gb", 8, "p4d.24xlarge", 96, 1152, "40960 MiB"),
        ("aws", "nvidia-a100-80gb", 8, "p4de.24xlarge", 96, 1152, "81920 MiB"),
        ("aws", "nvidia-h100-80gb", 1, "p5.4xlarge", 16, 256, "81559 MiB"),
        ("aws", "nvidia-h100-80gb", 8, "p5.48xlarge", 192, 2048, "81559 MiB"),
        ("aws", "nvidia-h200", 8, "p5en.48xlarge", 192, 2048, "141 GB"),
        ("gcp", "nvidia-t4", 1, "n1-standard-4", 4, 15, "15360 MiB"),
        ("gcp", "nvidia-l4", 1, "g2-standard-4", 4, 16, "23034 MiB"),
        ("gcp", "nvidia-l4", 2, "g2-standard-24", 24, 96, "23034 MiB"),
        ("gcp", "nvidia-a100-40gb", 1, "a2-highgpu-1g", 12, 85, "40960 MiB"),
        ("gcp", "nvidia-a100-40gb", 16, "a2-megagpu-16g", 96, 1360, "40960 MiB"),
        ("gcp", "nvidia-a100-80gb", 8, "a2-ultragpu-8g", 96, 1360, "81920 MiB"),
        ("gcp", "nvidia-h100-80gb", 8, "a3-highgpu-8g", 208, 1872, "81559 MiB"),
        ("gcp", "nvidia-h200", 8, "a3-ultragpu-8g", 224, 2952, "141 GB"),
        ("azure", "nvidia-t4", 1, "Standard_NC4as_T4_v3", 4, 28, "15360 MiB"),
        ("azure", "nvidia-a100-40gb", 8, "Standard_ND96asr_v4", 96, 900, "40960 MiB"),
        ("azure", "nvidia-a100-80gb", 1, "Standard_NC24ads_A100_v4", 24, 220, "81920 MiB"),
        ("azure", "nvidia-a100-80gb", 8, "Standard_ND96amsr_A100_v4", 96, 1800, "81920 MiB"),
        ("azure", "nvidia-h100-80gb", 8, "Standard_ND96isr_H100_v5", 96, 1900, "81559 MiB"),
        ("azure", "nvidia-h200", 8, "Standard_ND96isr_H200_v5", 96, 1850, "141 GB"),
    ],
)
def test_lookup(
    cloud: str, accelerator: str, gpus: int, instance_type: str, vcpus: int, memory_gib: float, gpu_memory: str
) -> None:
    m = machine_for(cloud, accelerator, gpus)
    assert (m.cloud, m.accelerator, m.gpus, m.instance_type) == (cloud, accelerator, gpus, instance_type)
    assert (m.vcpus, m.memory_gib, m.gpu_memory_shown) == (vcpus, memory_gib, gpu_memory)
    assert m.price.region == catalog.PRICE_REGIONS[cloud]


@pytest.mark.parametrize(
    ("cloud", "accelerator", "gpus", "usd"),
    [
        ("aws", "nvidia-t4", 1, 0.526),
        ("aws", "nvidia-l4", 4, 4.6016),
        ("aws", "nvidia-h100-80gb", 8, 55.04),
        ("gcp", "nvidia-t4", 1, 0.54),
        ("gcp", "nvidia-l4", 1, 0.70683),
        ("gcp", "nvidia-a100-40gb", 1, 3.673388),
        ("azure", "nvidia-a100-80gb", 1, 3.673),
        ("azure", "nvidia-h100-80gb", 8, 98.32),
    ],
)
def test_prices(cloud: str, accelerator: str, gpus: int, usd: float) -> None:
    assert machine_for(cloud, accelerator, gpus).price.usd_per_hour == pytest.approx(usd)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("aws", "nvidia-x", 1),
            "unknown accelerator 'nvidia-x'; give one of nvidia-t4, nvidia-l4, nvidia-a10g, nvidia-l40s, "
            "nvidia-a100-40gb, nvidia-a100-80gb, nvidia-h100-80gb, nvidia-h200",
        ),
        (
            ("azure", "nvidia-l40s", 1),
            "nvidia-l40s is not offered on azure; azure offers nvidia-t4, nvidia-a100-40gb, nvidia-a100-80gb, "
            "nvidia-h100-80gb, nvidia-h200",
        ),
        (
            ("gcp", "nvidia-a10g", 1),
            "nvidia-a10g is not offered on gcp; gcp offers nvidia-t4, nvidia-l4, nvidia-a100-40gb, nvidia-a100-80gb, "
            "nvidia-h100-80gb, nvidia-h200",
        ),
        (("aws", "nvidia-l4", 3), "no aws machine has 3 x nvidia-l4; give gpusPerNode one of 1, 4, 8"),
        (("gcp", "nvidia-h200", 1), "no gcp machine has 1 x nvidia-h200; give gpusPerNode one of 8"),
        (("azure", "nvidia-t4", 0), "no azure machine has 0 x nvidia-t4; give gpusPerNode one of 1, 4"),
        (("oci", "nvidia-l4", 1), "unknown cloud 'oci'; give one of {managed}"),
    ],
)
def test_error_texts(args: tuple[str, str, int], message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        machine_for(*args)
    assert str(caught.value) == message.replace("{managed}", managed())
    assert isinstance(caught.value, ValueError)


def test_other_error_texts() -> None:
    with pytest.raises(CatalogError) as caught:
        catalog.control_plane("azure", "gold")
    assert str(caught.value) == "unknown control plane tier 'gold' for azure; give one of free, standard, premium"
    for call in (catalog.offered, catalog.machines, catalog.system_machine, catalog.load_balancer):
        with pytest.raises(CatalogError, match=rf"^unknown cloud 'gke'; give one of {managed()}$"):
            call("gke")


def _all_prices() -> list[catalog.Price]:
    return [m.price for m in catalog.machines()] + [catalog.system_machine(c).price for c in catalog.CLOUDS]


def test_every_known_price_has_date_and_source() -> None:
    for price in _all_prices():
        if price.known:
            assert price.usd_per_hour is not None and price.usd_per_hour > 0
            assert price.source and price.method
            assert datetime.date.fromisoformat(price.date or "") <= datetime.date.today()  # no price from the future


def test_unknown_prices_are_none_not_zero() -> None:
    unknown = [p for p in _all_prices() if not p.known]
    assert unknown, "the catalog has unsourced prices; they must show as unknown"
    for price in unknown:
        assert price.usd_per_hour is None and price.date is None and price.source is None
        assert "unknown" in price.method
    for cloud, accelerator, gpus in [
        ("gcp", "nvidia-h100-80gb", 8),
        ("gcp", "nvidia-h200", 8),
        ("azure", "nvidia-h200", 8),
    ]:
        assert machine_for(cloud, accelerator, gpus).price.usd_per_hour is None


def test_gcp_price_is_vm_plus_gpus() -> None:
    gpu_prices = RAW["gcp_gpu_prices"]
    for m in catalog.machines("gcp"):
        assert "billed separately" in m.price.method and m.instance_type in m.price.method
        raw = next(r for r in RAW["machines"] if r["cloud"] == "gcp" and r["type"] == m.instance_type)
        gpu = gpu_prices[m.accelerator]["usd"]
        if raw["vm_price"]["usd"] is None or gpu is None:
            assert m.price.usd_per_hour is None and m.price.method.endswith("total unknown")
        else:
            assert m.price.usd_per_hour == pytest.approx(raw["vm_price"]["usd"] + m.gpus * gpu)
            assert m.price.method.endswith(
                f"billed separately = ${m.price.usd_per_hour:.6f}".rstrip("0").rstrip(".") + "/h"
            )


@pytest.mark.parametrize(
    ("accelerator", "gb"),
    [
        # nvidia-smi's totals in MiB (rev16d defect 2: the catalog had 24 / 16 "GiB", 25.77 / 17.18 GB)
        ("nvidia-l4", 24.152899584),
        ("nvidia-t4", 16.10612736),
        ("nvidia-a10g", 24.146608128),
        ("nvidia-h100-80gb", 85.520809984),
        ("nvidia-h200", 141.0),  # NVIDIA's GB figure: no citable nvidia-smi total found
    ],
)
def test_gpu_memory_is_what_the_device_reports_in_gb(accelerator: str, gb: float) -> None:
    assert [round(m.gpu_memory_gb, 9) for m in catalog.machines() if m.accelerator == accelerator] == [gb] * len(
        [m for m in catalog.machines() if m.accelerator == accelerator]
    )


def test_the_whole_h200_figure_stands_below_its_measured_full_mig_device() -> None:
    # rev16f/fix16g "Left": the whole H200 is NVIDIA's 141 GB while the measured 7g.141gb MIG device is 139.75 GiB
    # (NVIDIA/mig-parted#120). No citable nvidia-smi total was found (fix16h), so 141 GB stands; the catalog says why:
    # a MIG device is part of its GPU, so 141 GB understates the device and the check can only err toward refusing.
    full = catalog.mig_memory("nvidia-h200", "7g.141gb")
    assert full is not None and full.gb == pytest.approx(139.75 * 2**30 / 1e9)  # 150.06 GB, measured
    h200 = [m for m in catalog.machines() if m.accelerator == "nvidia-h200"]
    assert h200 and all(m.gpu_memory_gb == 141.0 < full.gb for m in h200)
    assert {m.gpu_memory_source for m in h200} == {"mlcommons-h200"}
    raw = yaml.safe_load(catalog.DATA_FILE.read_text())
    why = " ".join(raw["sources"]["mlcommons-h200"]["citation"].split())
    assert "Why 141 GB stands" in why
    assert "7g.141gb, is 139.75 GiB = 150.06 GB (mig-parted-120)" in why
    assert "it may refuse a model that would fit, never accept one that does not" in why


def test_machine_fields() -> None:
    for m in catalog.machines():
        assert m.accelerator in catalog.ACCELERATORS and m.cloud in clouds.names(managed=True)
        assert m.gpus > 0 and m.vcpus > 0 and m.memory_gib > 0 and m.gpu_memory_gb > 0
        assert m.mig == (m.accelerator in {"nvidia-a100-40gb", "nvidia-a100-80gb", "nvidia-h100-80gb", "nvidia-h200"})
        assert bool(m.gpu_type) == clouds.get(m.cloud).gpu_billed_apart
        assert m.spot_discount is None or 0 < m.spot_discount < 1
    assert [m.gpu_type for m in catalog.machines("gcp") if m.gpus == 1] == [
        "nvidia-tesla-t4", "nvidia-l4", "nvidia-tesla-a100", "nvidia-a100-80gb", "nvidia-h100-80gb",
    ]  # fmt: skip
    assert not machine_for("gcp", "nvidia-h100-80gb", 1).on_demand
    assert machine_for("gcp", "nvidia-h100-80gb", 8).on_demand
    with pytest.raises(dataclasses.FrozenInstanceError):
        machine_for("aws", "nvidia-t4", 1).gpus = 2  # type: ignore[misc]


def test_ordering_and_constants() -> None:
    assert catalog.ACCELERATORS == (
        "nvidia-t4", "nvidia-l4", "nvidia-a10g", "nvidia-l40s", "nvidia-a100-40gb", "nvidia-a100-80gb",
        "nvidia-h100-80gb", "nvidia-h200",
    )  # fmt: skip
    order = clouds.names(managed=True)
    assert order[: len(catalog.CLOUDS)] == catalog.CLOUDS  # those registered when catalog was imported
    assert dict(catalog.PRICE_REGIONS) == {c.name: c.price_region for c in clouds.all_clouds() if c.price_region}
    assert {k: catalog.PRICE_REGIONS[k] for k in ("aws", "gcp", "azure")} == {
        "aws": "us-east-1",
        "gcp": "us-central1",
        "azure": "eastus",
    }
    keys = [(order.index(m.cloud), catalog.ACCELERATORS.index(m.accelerator), m.gpus) for m in catalog.machines()]
    assert keys == sorted(keys)
    assert catalog.machines() == tuple(m for c in order for m in catalog.machines(c))
    assert list(catalog.offered("aws")) == list(catalog.ACCELERATORS)
    assert "nvidia-a10g" not in catalog.offered("azure") and "nvidia-l40s" not in catalog.offered("gcp")


def test_system_machines_control_planes_load_balancers() -> None:
    # the shipped clouds' by name, not a list in registry order: a fourth cloud's is checked by the loop below
    assert {c: catalog.system_machine(c).instance_type for c in ("aws", "gcp", "azure")} == {
        "aws": "m7i.xlarge", "gcp": "e2-standard-4", "azure": "Standard_D4s_v5",
    }  # fmt: skip
    for cloud in clouds.names(managed=True):
        system = catalog.system_machine(cloud)
        assert system.vcpus > 0 and system.memory_gib > 0 and system.price.known
        assert catalog.control_plane(cloud).known
        lb = catalog.load_balancer(cloud)
        assert lb.known and lb.source and lb.date
    for cloud in ("aws", "gcp", "azure"):
        system = catalog.system_machine(cloud)
        assert system.vcpus == 4 and system.memory_gib == 16
        assert catalog.control_plane(cloud).usd_per_hour == pytest.approx(0.10)
    assert catalog.control_plane("aws", "extended").usd_per_hour == pytest.approx(0.60)
    free = catalog.control_plane("azure", "free")
    assert free.usd_per_hour == 0.0 and free.known and free.source
    premium = catalog.control_plane("azure", "premium")
    assert premium.usd_per_hour is None and not premium.known and premium.source is None
    assert "free tier" in catalog.control_plane("gcp").note


def test_data_file_round_trips() -> None:
    dumped = yaml.safe_dump(RAW, sort_keys=False)
    again = yaml.safe_load(dumped)
    assert again == RAW
    assert catalog.parse(again) == catalog.parse(RAW) == catalog.load()
    assert catalog.load().machines == catalog.machines()


def _first_aws(data: dict[str, Any]) -> int:
    """The index of the first aws machine (nvidia-t4 x 1) in ``data``'s ``machines``, wherever the other clouds' data
    stands (a fourth cloud's may come first)."""
    return next(i for i, m in enumerate(data["machines"]) if m["cloud"] == "aws")


def _broken(path: list[Any], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(RAW)
    a = _first_aws(data)
    path = [a if step is A else a + 1 if step is A1 else step for step in path]
    if value is A_COPY:
        value = copy.deepcopy(data["machines"][a])
    target = data
    for step in path[:-1]:
        target = target[step]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


_DELETE = object()
A, A1, A_COPY = object(), object(), object()
"""In a case's path: the index of the first aws machine (:func:`_first_aws`), the one after it; as a value: a copy
of the first aws machine. Fragments say ``machines[{a}]``. No case depends on where a cloud's data stands."""


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        (["machines", A, "accelerator"], "nvidia-a10", "machines[{a}].accelerator: must be one of nvidia-t4"),
        (["machines", A, "cloud"], "oci", "machines[{a}].cloud: must be one of {managed}"),
        (["machines", A, "vcpus"], 0, "machines[{a}].vcpus: must be a positive integer, got 0"),
        (["machines", A, "memory_gib"], -1, "machines[{a}].memory_gib: must be a positive number"),
        (["machines", A, "gpus"], True, "machines[{a}].gpus: must be a positive integer, got True"),
        (["machines", A, "price"], {"usd": 0.5}, "machines[{a}].price.source: must be a non-empty string"),
        (["machines", A, "price"], {"usd": None}, "machines[{a}].price.why: must be a non-empty string"),
        (["machines", A, "price"], {"usd": 0.5, "source": "blog"}, "unknown source 'blog'"),
        (["machines", A, "price"], {"usd": 0, "source": "aws-vantage"}, "must be a positive number, got 0"),
        (["machines", A, "price"], {"usd": None, "source": "aws-vantage", "why": "x"}, "must not name a source"),
        (["machines", A, "gpu_type"], "nvidia-tesla-t4", "machines[{a}]: unknown key gpu_type"),
        (["machines", A1], A_COPY, "two machines for 1 x nvidia-t4 on aws"),
        (["sources", "aws-vantage", "date"], "Aug 2026", "sources.aws-vantage.date: must be YYYY-MM-DD"),
        (["accelerators", "nvidia-h200"], _DELETE, "accelerators: missing nvidia-h200"),
        (["accelerators", "nvidia-l4", "gpu_memory", "unit"], "GiB", "accelerators.nvidia-l4.gpu_memory.unit: must be"),
        (["accelerators", "nvidia-l4", "gpu_memory", "source"], "blog", "unknown source 'blog'"),
        (["accelerators", "nvidia-l4", "gpu_memory_gib"], 24, "accelerators.nvidia-l4: unknown key gpu_memory_gib"),
        # rev16f D3: MIG devices' memory, nvidia-smi mig -lgip's GiB, only for a GPU with MIG
        (["accelerators", "nvidia-h200", "mig_memory", "1g.18gb", "unit"], "MiB", "mig_memory.1g.18gb.unit: must be"),
        (
            ["accelerators", "nvidia-l4", "mig_memory"],
            {"1g.5gb": {"value": 4.75, "unit": "GiB", "source": "mig-parted-120"}},
            "accelerators.nvidia-l4.mig_memory.1g.5gb: must be a MIG profile",
        ),
        (["gcp_gpu_prices", "nvidia-b200"], {"usd": None, "why": "x"}, "gcp_gpu_prices.nvidia-b200: must be one of"),
        (["control_planes", "gcp"], {"autopilot": {"name": "x", "usd": None, "why": "y"}}, "must have a standard"),
        (["load_balancers", "azure"], _DELETE, "load_balancers: missing azure"),
        (["spec_sources"], _DELETE, "top level: missing spec_sources"),
    ],
)
def test_validation(path: list[Any], value: Any, fragment: str) -> None:
    with pytest.raises(CatalogError) as caught:
        catalog.parse(_broken(path, value))
    message = str(caught.value)
    fragment = fragment.replace("{managed}", managed()).replace("{a}", str(_first_aws(RAW)))
    assert message.startswith("catalog data: ") and fragment in message and "\n" not in message


def test_spot_discount_validation() -> None:
    ok = _broken(["machines", A, "spot"], {"discount": 0.6, "source": "aws-vantage"})
    first = RAW["machines"][_first_aws(RAW)]["type"]
    assert next(m for m in catalog.parse(ok).machines if m.instance_type == first).spot_discount == pytest.approx(0.6)
    with pytest.raises(CatalogError, match="must be a fraction between 0 and 1"):
        catalog.parse(_broken(["machines", A, "spot"], {"discount": 1.5, "source": "aws-vantage"}))


@given(st.sampled_from(ALL_OFFERED))
def test_everything_offered_resolves(key: tuple[str, str, int]) -> None:
    cloud, accelerator, gpus = key
    m = machine_for(cloud, accelerator, gpus)
    assert (m.cloud, m.accelerator, m.gpus) == key
    assert m in catalog.machines(cloud)


@given(st.sampled_from(catalog.CLOUDS), st.sampled_from(catalog.ACCELERATORS), st.integers(-4, 40))
def test_lookup_is_total(cloud: str, accelerator: str, gpus: int) -> None:
    counts = catalog.offered(cloud).get(accelerator)
    if counts and gpus in counts:
        assert machine_for(cloud, accelerator, gpus).gpus == gpus
    else:
        with pytest.raises(CatalogError):
            machine_for(cloud, accelerator, gpus)


# ------------------------------------------------------------------------------------------------ regions


def test_every_machine_says_where_it_is_offered() -> None:
    for m in catalog.machines():
        assert m.offered_in, m.instance_type
        for region, zones in m.offered_in:
            assert catalog.REGION_NAMES[m.cloud][0].match(region), region
            if m.cloud == "gcp":
                assert zones and all(z.startswith(f"{region}-") for z in zones)
            else:
                assert zones == ()


def test_every_price_is_for_a_region_that_offers_the_machine() -> None:
    """The reference-region prices are only meaningful where the machine exists."""
    for m in catalog.machines():
        if m.price.known:
            assert m.offered_at(catalog.PRICE_REGIONS[m.cloud]), (m.instance_type, m.regions)
    h200 = machine_for("azure", "nvidia-h200", 8)
    assert not h200.price.known and h200.offered_at("eastus") is False and h200.offered_at("eastus2")


def test_a_machine_with_unknown_availability_is_never_refused() -> None:
    data = copy.deepcopy(RAW)
    data["availability"]["aws"]["unknown"] = {"p5.4xlarge": "no rows"}
    del data["availability"]["aws"]["types"]["p5.4xlarge"]
    p5 = next(m for m in catalog.parse(data).machines if m.instance_type == "p5.4xlarge")
    assert p5.offered_in is None and p5.regions == () and p5.offered_at("eu-west-1") is None
    assert p5.zones_in("us-east-1") == ()


def test_regions_covered() -> None:
    assert len(catalog.regions("azure")) == 57 and "swedencentral" in catalog.regions("azure")
    assert len(catalog.regions("aws")) == 30 and "us-gov-west-1" in catalog.regions("aws")
    assert len(catalog.regions("gcp")) == 31 and "us-south1" in catalog.regions("gcp")
    assert catalog.covers("aws", "eu-north-1") and not catalog.covers("azure", "usgovvirginia")


def test_zones() -> None:
    g2 = machine_for("gcp", "nvidia-l4", 1, "europe-west4")
    assert g2.zones_in("europe-west4") == ("europe-west4-a", "europe-west4-b", "europe-west4-c")
    assert g2.zones_in("us-east5") == ()  # not offered there
    assert machine_for("gcp", "nvidia-h200", 8).zones_in("us-central1") == ("us-central1-b",)
    assert machine_for("aws", "nvidia-l4", 1).zones_in("us-east-1") == ()  # aws zones are not in the data


def test_offered_in_a_region() -> None:
    assert catalog.offered("aws", "eu-north-1") == {
        "nvidia-t4": (1, 4, 8),
        "nvidia-l4": (1, 4, 8),
        "nvidia-a10g": (1, 4, 8),
        "nvidia-l40s": (1, 4, 8),
        "nvidia-a100-40gb": (8,), "nvidia-h100-80gb": (8,), "nvidia-h200": (8,),
    }  # fmt: skip
    assert catalog.offered("gcp", "us-east1")["nvidia-a100-40gb"] == (1, 2, 4, 8)
    assert catalog.offered("azure", "usgovvirginia") == catalog.offered("azure")  # not covered: the cloud's offer
    assert "nvidia-h200" not in catalog.offered("azure", "eastus")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("aws", "nvidia-l40s", 1, "eu-west-1"),
            "nvidia-l40s is not offered in aws region eu-west-1; eu-west-1 offers nvidia-t4, nvidia-a10g, "
            "nvidia-a100-40gb; nvidia-l40s is offered in ap-northeast-1, ap-northeast-2, ap-northeast-3, ap-south-1, "
            "ap-south-2, eu-central-1, eu-north-1, eu-south-2, me-central-1, us-east-1, us-east-2, us-west-2",
        ),
        (
            ("gcp", "nvidia-a100-80gb", 8, "europe-west1"),
            "nvidia-a100-80gb is not offered in gcp region europe-west1; europe-west1 offers nvidia-t4, nvidia-l4, "
            "nvidia-h100-80gb, nvidia-h200; nvidia-a100-80gb is offered in asia-southeast1, europe-west4, "
            "us-central1, us-east4, us-east5",
        ),
        (
            ("gcp", "nvidia-a100-40gb", 16, "us-east1"),
            "a2-megagpu-16g (16 x nvidia-a100-40gb) is not offered in gcp region us-east1; give gpusPerNode one of "
            "1, 2, 4, 8, or a region that has it: asia-southeast1, europe-west4, us-central1",
        ),
        (
            ("gcp", "nvidia-a100-40gb", 3, "us-east1"),
            "no gcp machine has 3 x nvidia-a100-40gb; give gpusPerNode one of 1, 2, 4, 8 (offered in us-east1)",
        ),
        (
            ("gcp", "nvidia-a10g", 1, "us-east1"),
            "nvidia-a10g is not offered on gcp; gcp offers nvidia-t4, nvidia-l4, "
            "nvidia-a100-40gb, nvidia-a100-80gb, nvidia-h100-80gb, nvidia-h200",
        ),
    ],
)
def test_region_error_texts(args: tuple[str, str, int, str], message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        machine_for(*args)
    assert str(caught.value) == message


def test_what_the_data_cannot_tell_is_not_refused() -> None:
    """A region the data does not cover (GovCloud, China, new regions) is not checked."""
    assert machine_for("azure", "nvidia-h100-80gb", 8, "usgovvirginia").instance_type == "Standard_ND96isr_H100_v5"
    assert machine_for("aws", "nvidia-h200", 8, "cn-north-1").instance_type == "p5en.48xlarge"


@pytest.mark.parametrize(
    ("cloud", "region", "message"),
    [
        ("aws", "us-east1", "not a region name on aws (like us-east-1); did you mean us-east-1?"),
        ("gcp", "us-central-1", "not a region name on gcp (like us-central1); did you mean us-central1?"),
        ("azure", "East US 2", "not a region name on azure (like eastus); did you mean eastus2?"),
        (
            "azure",
            "",
            "not a region name on azure (like eastus); the catalog lists 57 (docs/catalog.md)",
        ),
    ],
)
def test_region_name_errors(cloud: str, region: str, message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        catalog.check_region(cloud, region)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("cloud", "region"),
    [("aws", "cn-north-1"), ("aws", "mx-central-1"), ("gcp", "europe-west10"), ("azure", "usgovvirginia")],
)
def test_real_regions_outside_the_data_are_names(cloud: str, region: str) -> None:
    catalog.check_region(cloud, region)
    assert not catalog.covers(cloud, region)


_AVAIL = ["availability"]


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        ([*_AVAIL, "aws", "types", "g6.xlarge"], _DELETE, "availability.aws.types: no entry for g6.xlarge (machines["),
        ([*_AVAIL, "aws", "types", "g9.xlarge"], ["us-east-1"], "availability.aws.types.g9.xlarge: no machine of this"),
        ([*_AVAIL, "aws", "types", "g6.xlarge"], ["us-east-1", "us-east-1"], "g6.xlarge: lists a region twice"),
        ([*_AVAIL, "aws", "types", "g6.xlarge"], ["US East"], "g6.xlarge: 'US East' is not a region name"),
        ([*_AVAIL, "aws", "types", "g6.xlarge"], [], "g6.xlarge: must be a non-empty list of region names"),
        ([*_AVAIL, "gcp", "types", "g2-standard-4", "us-east1"], ["us-east4-a"], "zone 'us-east4-a' is not in region"),
        ([*_AVAIL, "gcp", "types", "g2-standard-4", "us-east1"], [], "us-east1: must be a non-empty list of zone"),
        ([*_AVAIL, "gcp", "unknown", "g2-standard-4"], "why", "gcp.unknown.g2-standard-4: is also under types"),
        ([*_AVAIL, "aws", "source"], "someone", "availability.aws.source: unknown source 'someone'"),
        ([*_AVAIL, "azure"], _DELETE, "availability: missing azure"),
    ],
)
def test_availability_validation(path: list[Any], value: Any, fragment: str) -> None:
    with pytest.raises(CatalogError) as caught:
        catalog.parse(_broken(path, value))
    message = str(caught.value)
    assert message.startswith("catalog data: ") and fragment in message and "\n" not in message


@given(st.sampled_from(ALL_OFFERED), st.sampled_from(sorted({r for c in catalog.CLOUDS for r in catalog.regions(c)})))
def test_region_lookup_agrees_with_the_data(key: tuple[str, str, int], region: str) -> None:
    cloud, accelerator, gpus = key
    m = machine_for(cloud, accelerator, gpus)
    if not catalog.covers(cloud, region) or m.offered_at(region) is not False:
        assert machine_for(cloud, accelerator, gpus, region) == m
    else:
        with pytest.raises(CatalogError, match=f"in {cloud} region {region}"):
            machine_for(cloud, accelerator, gpus, region)


# ------------------------------------------------------------------------------------------------ regional prices


def test_price_in_a_region() -> None:
    t4 = machine_for("azure", "nvidia-t4", 1)
    assert t4.price_in("westeurope").usd_per_hour == 0.658 and t4.price_in("westeurope").region == "westeurope"
    assert t4.price_in("eastus") == dataclasses.replace(t4.price_in("eastus"), usd_per_hour=0.526)
    assert t4.price_in("usgovvirginia") is t4.price and t4.price_in(None) is t4.price
    assert catalog.system_machine("azure").price_in("swedencentral").usd_per_hour == 0.204


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"Standard_NC4as_T4_v3": {"eastus": 0.6}}, "Standard_NC4as_T4_v3 in eastus: 0.6 differs from its price 0.526"),
        (
            {"Standard_ND96asr_v4": {"japaneast": 30.0}},
            "ND96asr_v4 in japaneast: priced in a region that does not offer",
        ),
        ({"Standard_NC99_v9": {"eastus": 1.0}}, "regional_prices: no machine of type Standard_NC99_v9 in the catalog"),
        ({"Standard_NC4as_T4_v3": {"East US": 1.0}}, "'East US' is not a region name"),
        ({"Standard_NC4as_T4_v3": {"westeurope": 0}}, "must be a positive number, got 0"),
    ],
)
def test_regional_price_validation(change: dict[str, Any], fragment: str) -> None:
    data = copy.deepcopy(RAW)
    block = next(b for b in data["regional_prices"] if b["cloud"] == "azure")
    for kind, prices in change.items():
        block["types"].setdefault(kind, {}).update(prices)
    with pytest.raises(CatalogError) as caught:
        catalog.parse(data)
    assert fragment in str(caught.value) and str(caught.value).startswith("catalog data: ")


def test_a_type_priced_by_two_blocks_is_refused() -> None:
    data = copy.deepcopy(RAW)
    data["regional_prices"].append({"cloud": "azure", "source": "skypilot-azure",
                                    "types": {"Standard_NC4as_T4_v3": {"westeurope": 0.658}}})  # fmt: skip
    with pytest.raises(CatalogError, match=r"Standard_NC4as_T4_v3\.westeurope: priced twice"):
        catalog.parse(data)
