"""Which MIG partitions (``sharing.migProfile``) each catalog accelerator has, and which a cloud's pools can ask for.

NVIDIA names a GPU instance ``<compute slices>g.<memory>gb`` and each GPU has its own set (the MIG user guide,
docs.nvidia.com/datacenter/tesla/mig-user-guide/supported-mig-profiles.html: the A100-40GB table, and "For
A100-SXM4-80GB, the profile names will change according to the memory proportion - for example, 1g.10gb,
1g.10gb+me, 1g.20gb, 2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb"). The lists below are the single-profile layouts of NVIDIA's
GPU operator v26.7.0 (NVIDIA/gpu-operator assets/state-mig-manager/0400_configmap.yaml, ``default-mig-parted-config``:
``all-1g.5gb`` ... ``all-7g.40gb`` for "A100-40GB", ``all-1g.10gb`` ... ``all-7g.80gb`` for "H100-80GB, H800-80GB,
A100-80GB", ``all-1g.18gb`` ... ``all-7g.141gb`` for "H200-141GB"), ``+me`` being the media-extension variant.

- GKE passes the profile through as ``gpu_partition_size``, "Valid values are described in the NVIDIA mig user guide"
  (hashicorp/terraform-provider-google google/services/container/node_config.go).
- AKS names a profile by its compute slices only (``gpuInstanceProfile``: MIG1g, MIG2g, MIG3g, MIG4g, MIG7g, AKS API
  ``GPUInstanceProfile``; components/clusters/aks.py), and its table maps each to one partition ("MIG 1g.5gb",
  "MIG 2g.10gb", "MIG 3g.20gb", "MIG 4g.20gb", "MIG 7g.40gb" on the A100 40GB, learn.microsoft.com/azure/aks/
  gpu-multi-instance; for the other GPUs no page maps them, and the smallest of each compute size is taken on the
  40GB table's pattern). A second profile with the same compute slices (1g.10gb on the A100 40GB, 1g.20gb on 80GB
  GPUs, 1g.35gb on the H200) or a ``+me`` one cannot be asked for there.
- EKS pools do not offer MIG here (components/clusters/_common.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from components import clouds

MIG_PROFILES: Mapping[str, tuple[str, ...]] = {
    "nvidia-a100-40gb": ("1g.5gb", "1g.5gb+me", "1g.10gb", "2g.10gb", "3g.20gb", "4g.20gb", "7g.40gb"),
    "nvidia-a100-80gb": ("1g.10gb", "1g.10gb+me", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb"),
    "nvidia-h100-80gb": ("1g.10gb", "1g.10gb+me", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb"),
    "nvidia-h200": ("1g.18gb", "1g.18gb+me", "1g.35gb", "2g.35gb", "3g.71gb", "4g.71gb", "7g.141gb"),
}
"""NVIDIA's MIG profiles per catalog accelerator (see the module docstring for the sources)."""


def compute_slice_profiles(accelerator: str) -> tuple[str, ...]:
    """The profiles a pool that asks by compute slices (AKS) can ask for: the first (smallest) of each compute
    size, no ``+me``."""
    seen: dict[str, str] = {}
    for profile in MIG_PROFILES.get(accelerator, ()):
        if "+" not in profile:
            seen.setdefault(profile.split(".", 1)[0], profile)
    return tuple(seen.values())


def mig_profile_problem(cloud: str, accelerator: str, profile: str) -> str | None:
    """Why ``profile`` cannot partition ``accelerator`` GPUs in a ``cloud`` pool, or None."""
    known = MIG_PROFILES.get(accelerator, ())
    if profile not in known:
        return f"{accelerator} has the MIG profiles {', '.join(known)} (NVIDIA MIG user guide); give one of them"
    if clouds.get(cloud).mig_by_compute_slices and profile not in (able := compute_slice_profiles(accelerator)):
        return (
            f"{clouds.get(cloud).title} pools ask for a MIG profile by its compute slices only (MIG1g ... MIG7g), "
            f"which on {accelerator} are {', '.join(able)}; give one of them"
        )
    return None
