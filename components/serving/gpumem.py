"""Whether a GPU model's weights fit in the GPU memory one replica gets (rev16b's side note: a 141 GB model planned on
one L4).

A model server loads its weights into the memory of the GPUs the pod is given before it answers; weights larger than
that memory never load (the pod restarts with an out-of-memory error and the revision never becomes Ready). The
memory one replica gets depends on the pool it lands on (components/serving/_runtime.py selects pools by accelerator):

- whole GPUs (``sharing.strategy: none``): ``gpus`` x the accelerator's memory (components/catalog.yaml
  ``accelerators``, as the clouds list it, GiB);
- ``mps``: an equal fraction of one GPU's memory per client: "the amount of memory allowed per client (i.e. per
  partition) is managed by the MPS control daemon and limited to an equal fraction of the total device memory"
  (NVIDIA/k8s-device-plugin v0.20.0 README.md, "Shared Access to GPUs", MPS); GKE's MPS sets the same "Pinned device
  memory limit" from the max shared clients (cloud.google.com/kubernetes-engine/docs/how-to/nvidia-mps-gpus);
- ``time-slicing``: the whole GPU's memory, shared without isolation: "each workload has access to the GPU memory"
  (the same README): the bound is one GPU's memory, and two replicas on one GPU may still not fit together;
- ``mig``: the MIG profile's memory, named in it (``<slices>g.<memory>gb``: the same README, "MIG_STRATEGY"; the
  profiles in components/clusters/mig.py).

The bound is the largest of the pools that offer the model's accelerator with enough GPUs per node, and only the
weights are counted (``modelSizeGb``; a model without it is not judged here: the cold-start estimate's defaults are not
the model's size). It is necessary, not sufficient: a server also needs memory for activations and, for an LLM, its
KV cache (vLLM reserves a fraction of the GPU, ``--gpu-memory-utilization``), so a model at the bound may still fail.
"""

from __future__ import annotations

import math
import re

from components import catalog
from components.clusters.spec import ClusterSpec, GpuPoolSpec
from components.serving.spec import ModelSpec, size_text

GIB_IN_GB = 2**30 / 1e9
"""GB (10^9 bytes, the unit of ``modelSizeGb``) per GiB (the catalog's GPU memory)."""
_MIG_MEMORY = re.compile(r"^[0-9]+g\.([0-9]+)gb")


def _per_replica_gb(cloud: str, region: str, pool: GpuPoolSpec, gpus: int) -> tuple[float, str] | None:
    """The GPU memory (GB) one replica asking ``gpus`` GPUs gets on ``pool``, and how it was derived; None when the
    pool's machine is not in the catalog (refused with its own line by the pool check)."""
    try:
        machine = catalog.machine_for(cloud, pool.accelerator, pool.gpus_per_node, region)
    except catalog.CatalogError:
        return None
    gib = machine.gpu_memory_gib
    sharing = pool.sharing
    if sharing.strategy == "mig" and sharing.mig_profile and (m := _MIG_MEMORY.match(sharing.mig_profile)):
        return gpus * float(m.group(1)), f"{gpus} x MIG {sharing.mig_profile}"
    if sharing.strategy == "mps":
        clients = sharing.max_clients_per_gpu
        return gib * GIB_IN_GB / clients, f"1/{clients} of one {gib:g} GiB GPU (MPS)"
    if sharing.strategy == "time-slicing":
        return gib * GIB_IN_GB, f"one {gib:g} GiB GPU shared by time-slicing"
    return gpus * gib * GIB_IN_GB, f"{gpus} x {gib:g} GiB"


def gpu_memory_problem(cloud: str, region: str, cluster: ClusterSpec, model: ModelSpec) -> tuple[str, str, str] | None:
    """Why ``model``'s weights (``modelSizeGb``) fit in the GPU memory of no pool that may run it (key path under the
    model, value, accepted), or None when they fit somewhere, the model has no GPU or no size, or no pool is known."""
    res = model.resources
    size = model.model_size_gb
    if size is None or not res.gpus or res.accelerator is None:
        return None
    best: tuple[float, str, str] | None = None
    for name, pool in cluster.gpu_pools.items():
        if pool.accelerator != res.accelerator or pool.gpus_per_node < res.gpus:
            continue
        got = _per_replica_gb(cloud, region, pool, res.gpus)
        if got is not None and (best is None or got[0] > best[0]):
            best = (got[0], got[1], name)
    if best is None or size <= best[0]:
        return None
    memory, how, pool_name = best
    shown = math.floor(memory * 100) / 100
    return (
        "modelSizeGb",
        size_text(size),
        f"the weights must fit in the GPU memory one replica gets: at most {shown:g} GB on pool {pool_name} "
        f"({how}); ask for more GPUs (resources.gpus, with a pool of that many per node), a larger accelerator, or a "
        "smaller (quantised) model",
    )
