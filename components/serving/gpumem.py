"""Whether a GPU model's weights fit in the GPU memory one replica gets (rev16b's side note: a 141 GB model planned on
one L4; rev16d's defects 1-4 and 8).

A model server loads its weights into the memory of the GPUs the pod is given before it answers; weights larger than
that memory never load (the pod restarts with an out-of-memory error and the revision never becomes Ready). The
memory one replica gets depends on the pool it lands on:

- whole GPUs (``sharing.strategy: none``): ``gpus`` x one GPU's memory as the device reports it
  (components/catalog.yaml ``accelerators``: nvidia-smi's MiB, in GB here, the unit of ``modelSizeGb``);
- ``mps``: an equal fraction of one GPU's memory per client: "the amount of memory allowed per client (i.e. per
  partition) is managed by the MPS control daemon and limited to an equal fraction of the total device memory"
  (NVIDIA/k8s-device-plugin v0.20.0 README.md, "Shared Access to GPUs", MPS); GKE's MPS sets the same "Pinned device
  memory limit" from the max shared clients (cloud.google.com/kubernetes-engine/docs/how-to/nvidia-mps-gpus);
- ``time-slicing``: the whole GPU's memory, shared without isolation: "each workload has access to the GPU memory"
  (the same README): the bound is one GPU's memory, and two replicas on one GPU may still not fit together;
- ``mig``: ONE profile's memory, named in it (``<slices>g.<memory>gb``: the same README, "MIG_STRATEGY"; the
  profiles in components/clusters/mig.py), whatever ``gpus`` says: "a single CUDA process can only enumerate a
  single MIG device" (NVIDIA MIG user guide, docs.nvidia.com/datacenter/tesla/mig-user-guide/mig-device-names.html,
  "CUDA Device Enumeration", as quoted by the rev16d review), so more MIG devices do not add memory to one server.

vLLM (KServe's Hugging Face server with ``--backend=vllm``, which components/serving/_runtime.py ``runtime_args``
puts ahead of the model's args on GPUs; the last ``--backend`` wins, as argparse reads it) takes only a fraction of
that memory: ``--gpu-memory-utilization``, "The fraction of GPU memory to be used for the model executor ... If
unspecified, will use the default value of 0.92. This is a per-instance limit" (vllm 0.24.0, the version KServe
v0.20.0's huggingfaceserver pins, python/kserve/pyproject.toml ``vllm==0.24.0``: vllm/config/cache.py
``CacheConfig.gpu_memory_utilization``, read in the vllm-0.24.0 wheel from PyPI; not 0.9, which later docs and
third parties quote for older versions). The worker requests ``total_memory x gpu_memory_utilization`` at start
(vllm/v1/worker/utils.py ``request_memory``) and the weights, activations and KV cache must fit in it, so the
weights are judged against that fraction of the memory above (the last value in the model's args, as vLLM reads
them; 0.92 when absent).

The memory a model may get is the smallest over every pool it may land on: its pods select only the accelerator
(components/serving/_runtime.py ``node_selector``), so any pool of that accelerator whose nodes grant the GPUs it asks
for (components/coldstart.py ``node_slots``) may run it. Only the weights are counted (``modelSizeGb``; a model
without it is not judged here: the cold-start estimate's defaults are not the model's size). It is necessary, not
sufficient: a server also needs memory for activations and, for an LLM, its KV cache, so a model at the bound may
still fail; and CUDA may report a little less than nvidia-smi's total (an A100-SXM4-40GB: 40339 MiB to deviceQuery,
40960 MiB to nvidia-smi; bottlerocket-os/bottlerocket#3873).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from components import catalog
from components.clusters.spec import ClusterSpec, GpuPoolSpec
from components.serving.spec import ModelSpec, size_text

VLLM_DEFAULT_UTILIZATION = 0.92
"""vLLM 0.24.0's ``gpu_memory_utilization`` default (vllm/config/cache.py ``CacheConfig``)."""
VLLM_UTILIZATION_FLAG = "--gpu-memory-utilization"
_MIG_MEMORY = re.compile(r"^[0-9]+g\.([0-9]+)gb")


def _option_value(args: Sequence[str], name: str, shortest: int) -> str | None:
    """The value of the last option ``name`` in ``args`` as argparse reads it: ``=`` or the next argument, ``-`` and
    ``_`` alike (vLLM's FlexibleArgumentParser), abbreviated down to ``shortest`` characters (argparse's
    ``allow_abbrev``; the caller picks a length no other option of the server shares); None when none is given."""
    found: str | None = None
    for i, arg in enumerate(args):
        given, eq, value = str(arg).partition("=")
        key = given.replace("_", "-")
        if not (len(key) >= shortest and name.startswith(key)):
            continue
        found = value if eq else (str(args[i + 1]) if i + 1 < len(args) else None)
    return found


def vllm_utilization(args: Sequence[str]) -> float | None:
    """The fraction of GPU memory vLLM takes for a server run with ``args`` (the platform's and the model's, in
    order): when the last ``--backend`` (written whole) is ``vllm``, the last ``--gpu-memory-utilization``
    (abbreviated down to ``--gp``: vLLM 0.24.0 has no other option starting so), else
    :data:`VLLM_DEFAULT_UTILIZATION`; None otherwise (another backend, or a server that is not KServe's Hugging Face
    server). A value that is not a fraction is left to vLLM's own refusal at start (the default is used here)."""
    if _option_value(args, "--backend", len("--backend")) != "vllm":
        return None
    given = _option_value(args, VLLM_UTILIZATION_FLAG, len("--gp"))
    try:
        value = float(given) if given is not None else VLLM_DEFAULT_UTILIZATION
    except ValueError:
        return VLLM_DEFAULT_UTILIZATION
    return value if 0 < value <= 1 else VLLM_DEFAULT_UTILIZATION


def _per_replica_gb(cloud: str, region: str, pool: GpuPoolSpec, gpus: int) -> tuple[float, str] | None:
    """The GPU memory (GB) one replica asking ``gpus`` GPUs gets on ``pool``, and how it was derived; None when the
    pool's machine is not in the catalog (refused with its own line by the pool check)."""
    try:
        machine = catalog.machine_for(cloud, pool.accelerator, pool.gpus_per_node, region)
    except catalog.CatalogError:
        return None
    gb, shown = machine.gpu_memory_gb, machine.gpu_memory_shown
    sharing = pool.sharing
    if sharing.strategy == "mig" and sharing.mig_profile and (m := _MIG_MEMORY.match(sharing.mig_profile)):
        return float(m.group(1)), f"one MIG {sharing.mig_profile} device"
    if sharing.strategy == "mps":
        clients = sharing.max_clients_per_gpu
        return gb / clients, f"1/{clients} of one {shown} GPU (MPS)"
    if sharing.strategy == "time-slicing":
        return gb, f"one {shown} GPU shared by time-slicing"
    return gpus * gb, f"{gpus} x {shown}"


def _candidates(cloud: str, cluster: ClusterSpec, accelerator: str, gpus: int) -> list[tuple[str, GpuPoolSpec]]:
    """The pools a pod asking ``gpus`` x ``accelerator`` may land on: every pool of that accelerator whose nodes grant
    that many GPU requests (components/coldstart.py ``node_slots``: GPUs, times the clients of time-slicing and MPS,
    times the MIG partitions), except a pool whose device plugin refuses a request of more than one share
    (components/clusters ``shares_one_gpu_per_request``: ``failRequestsGreaterThanOne``), where such a pod never
    lands (rev16e N3: a 2-GPU model was judged on a time-sliced pool beside a whole one)."""
    from components.clusters import shares_one_gpu_per_request
    from components.coldstart import node_slots

    out = []
    for name, pool in cluster.gpu_pools.items():
        if pool.accelerator != accelerator:
            continue
        s = pool.sharing
        if gpus > 1 and shares_one_gpu_per_request(cloud, s.strategy):
            continue
        if node_slots(pool.gpus_per_node, s.strategy, s.max_clients_per_gpu, s.mig_profile) >= gpus:
            out.append((name, pool))
    return out


def _advice(pool: GpuPoolSpec) -> str:
    if pool.sharing.strategy == "mig":
        return (
            "give the pool a larger MIG profile or whole GPUs (a server sees one MIG device: more resources.gpus "
            "add none of its memory), a larger accelerator, or a smaller (quantised) model"
        )
    return (
        "ask for more GPUs (resources.gpus, with a pool of that many per node), a larger accelerator, or a smaller "
        "(quantised) model"
    )


def gpu_memory_problem(
    cloud: str, region: str, cluster: ClusterSpec, model: ModelSpec, server_args: Sequence[str] = ()
) -> tuple[str, str, str] | None:
    """Why ``model``'s weights (``modelSizeGb``) may not fit in the GPU memory of a pool that may run it (key path
    under the model, value, accepted), or None when they fit on every such pool, the model has no GPU or no size, or
    no pool is known. ``server_args``: the model server's arguments, the platform's then the model's
    (components/serving/_runtime.py ``runtime_args``), which say whether vLLM runs it and with what fraction."""
    res = model.resources
    size = model.model_size_gb
    if size is None or not res.gpus or res.accelerator is None:
        return None
    utilization = vllm_utilization(server_args)
    worst: tuple[float, str, str, GpuPoolSpec] | None = None
    for name, pool in _candidates(cloud, cluster, res.accelerator, res.gpus):
        got = _per_replica_gb(cloud, region, pool, res.gpus)
        if got is None:
            continue
        memory, how = got
        if utilization is not None:
            memory, how = memory * utilization, f"{how} x vLLM's --gpu-memory-utilization {utilization:g}"
        if worst is None or memory < worst[0]:
            worst = (memory, how, name, pool)
    if worst is None or size <= worst[0]:
        return None
    memory, how, pool_name, pool = worst
    shown = math.floor(memory * 100) / 100
    return (
        "modelSizeGb",
        size_text(size),
        f"the weights must fit in the GPU memory one replica gets on every pool it may land on: at most {shown:g} GB "
        f"on pool {pool_name} ({how}); {_advice(pool)}",
    )
