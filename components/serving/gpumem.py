"""Whether a GPU model's weights fit in the GPU memory one replica gets (rev16b's side note: a 141 GB model planned on
one L4; rev16d's defects 1-4 and 8).

A model server loads its weights into the memory of the GPUs the pod is given before it answers; weights larger than
that memory never load (the pod restarts with an out-of-memory error and the revision never becomes Ready). The
memory one replica gets depends on the pool it lands on:

- whole GPUs (``sharing.strategy: none``): ``gpus`` x one GPU's memory as the device reports it
  (components/catalog.yaml ``accelerators``: nvidia-smi's MiB, in GB here, the unit of ``modelSizeGb``), less the
  server's own CUDA context on each (:data:`CUDA_CONTEXT_GB`; rev16g defect 3: the shares below subtracted it, whole
  GPUs and MIG devices did not, so 24.15 GB of Triton weights passed on a 24.15 GB L4);
- ``mps``: an equal fraction of one GPU's memory per client: "the amount of memory allowed per client (i.e. per
  partition) is managed by the MPS control daemon and limited to an equal fraction of the total device memory"
  (NVIDIA/k8s-device-plugin v0.20.0 README.md, "Shared Access to GPUs", MPS); GKE's MPS sets the same "Pinned device
  memory limit" from the max shared clients (cloud.google.com/kubernetes-engine/docs/how-to/nvidia-mps-gpus); the
  client's own CUDA context counts against that limit, so a server gets 1/clients less one context
  (:data:`CUDA_CONTEXT_GB`; rev16f D5);
- ``time-slicing``: the same 1/clients less a CUDA context (rev16f D4): "nothing special is done to isolate
  workloads that are granted replicas from the same underlying GPU, and each workload has access to the GPU memory
  and runs in the same fault-domain as of all the others" (the same README, "With CUDA Time-Slicing"; GKE's
  time-sharing is the same driver feature, and no GKE statement on its memory was found to quote), so the
  ``clients`` pods the scheduler may place on one GPU each hold their weights (and their own context) in the one
  GPU's memory: each may take only its share, whatever its server (earlier only vLLM was held to it, so two 13 GB
  Triton pods passed on one 24 GB L4);
- ``mig``: ONE device's memory, whatever ``gpus`` says: "a single CUDA process can only enumerate a single MIG
  device" (NVIDIA MIG user guide, docs.nvidia.com/datacenter/tesla/mig-user-guide/mig-device-names.html, "CUDA
  Device Enumeration", as quoted by the rev16d review), so more MIG devices do not add memory to one server. The GB
  in a profile's name (``<slices>g.<memory>gb``) is NOT a lower bound (rev16f D3: ``nvidia-smi mig -lgip`` on an H200
  shows 1g.18gb at 16.00 GiB = 17.18 GB, NVIDIA/mig-parted#120): the device's memory is the catalog's measured
  figure (components/catalog.yaml ``accelerators.<name>.mig_memory``, GiB with its source), else the name's GB x
  components/catalog.py ``MIG_NAME_FACTOR`` (0.89, below the worst measured ratio), at most the whole GPU's memory.

vLLM (KServe's Hugging Face server with ``--backend=vllm``, which components/serving/_runtime.py ``runtime_args``
puts ahead of the model's args on GPUs; the last ``--backend`` wins, as argparse reads it) takes only a fraction of
that memory: ``--gpu-memory-utilization``, "The fraction of GPU memory to be used for the model executor ... If
unspecified, will use the default value of 0.92. This is a per-instance limit" (vllm 0.24.0, the version KServe
v0.20.0's huggingfaceserver pins, python/kserve/pyproject.toml ``vllm==0.24.0``: vllm/config/cache.py
``CacheConfig.gpu_memory_utilization``, read in the vllm-0.24.0 wheel from PyPI; not 0.9, which later docs and
third parties quote for older versions). The worker requests ``total_memory x gpu_memory_utilization`` at start
(vllm/v1/worker/utils.py ``request_memory``) and the weights, activations and KV cache must fit in it, so the
weights are judged against that fraction of the memory above (the last value in the model's args, as vLLM reads
them; 0.92 when absent). ``total_memory`` and the free memory it is checked against are CUDA's
(vllm/utils/mem_utils.py ``MemorySnapshot``: ``current_platform.mem_get_info``; ``request_memory`` raises "Free
memory on device ... is less than desired GPU memory utilization" when free < total x fraction), so on a shared GPU
(rev16e N1, N2):

- ``mps``: CUDA reports the WHOLE device as the total and about the client's pinned limit (1/clients of it, the
  device plugin README above) as free: no NVIDIA page read here says so; a secondary MPS tutorial the rev16e review
  read shows a T4 limited to 2G reporting 2024 MB free of 14930 MB. So a fraction over 1/clients (less the
  client's own CUDA context, which the limit counts) never starts, and the memory vLLM takes is the fraction of the
  WHOLE GPU, not of the share;
- ``time-slicing``: each vLLM pod on the GPU takes its fraction of the whole device at start, beside the others'
  and each pod's CUDA context, so with ``clients`` pods a fraction over 1/clients less a context leaves the last pod
  less free memory than it asks for.

Both are refused on a pool of either kind the model may land on (key ``args``) when the fraction of the whole GPU
is over the pod's share, 1/clients less a CUDA context (rev16f D5: exactly 1/clients never starts; the advice is the
largest fraction within the share, rounded down to hundredths). ``--kv-cache-memory-bytes`` (vLLM 0.24.0
vllm/config/cache.py ``kv_cache_memory_bytes``: "Size of KV Cache per GPU in bytes ... (when not-None) ignores
gpu_memory_utilization"; vllm/v1/worker/gpu_worker.py ``determine_available_memory`` returns it when it is not 0)
sets the KV cache instead: the weights then get the memory the pod sees on each GPU (one whole GPU, the MIG device)
less those bytes; on a GPU shared by MPS or time-slicing, weights + KV cache are held to the smaller of the fraction
of the whole GPU and the pod's share (rev16f D2: each pod may hold only its share of the GPU; the flag skips vLLM's
own sizing by the fraction, gpu_worker.py ``determine_available_memory``). The start still asks for the fraction
(``init_device`` calls ``request_memory`` whatever the flag says), so the refusal above holds with it too.

On a whole GPU or MIG device vLLM's fraction of the total must leave its own CUDA context: vLLM 0.24.0 takes its
memory snapshot after creating the context (vllm/v1/worker/gpu_worker.py ``init_device``), so ``request_memory``
finds ``total - context`` free and a fraction above ``1 - context/total`` never starts (rev16g defect 3: 1 and 0.99
were accepted on an L4; the advice is that bound rounded down to hundredths, 0.97 on an L4). A
``--kv-cache-memory-bytes`` that alone is more than the memory vLLM may use on a pool is refused at ``args`` with the
most it may be beside the weights (rev16g defect 5: it was blamed on ``modelSizeGb`` with a negative bound). vLLM's
options are read as vLLM registers them, with ``-``: KServe's server drops ``--gpu_memory_utilization``
(components/serving/server_args.py ``dropped_arg_problems`` refuses it first; rev16g defect 1).

vLLM with more than one GPU (``--tensor-parallel-size``, components/serving/_runtime.py ``runtime_args``) is refused
on a MIG pool it may land on (key ``resources.gpus``; rev16f D7): each rank's process enumerates one MIG device, and
vllm/v1/worker/gpu_worker.py ``init_device`` asserts ``self.local_rank < torch.accelerator.device_count()``. Values
vLLM itself refuses are refused at ``args`` with the option as written (rev16f D8): a ``--gpu-memory-utilization``
outside (0, 1] (vllm/config/cache.py ``Field(default=0.92, gt=0, le=1)``) and a ``--kv-cache-memory-bytes`` its
``human_readable_int`` does not read (``4GiB``).

The memory a model may get is the smallest over every pool it may land on: its pods select the accelerator
(components/serving/_runtime.py ``node_selector``) and whatever its own ``nodeSelector`` adds, so any pool of that
accelerator whose nodes grant the GPUs it asks for (components/coldstart.py ``node_slots``) and whose labels do not
contradict that selector may run it (rev16e N4; the labels are the platform's own for the pool,
components/clusters/base.py ``GpuScheduling.node_labels``, and ``node.kubernetes.io/instance-type``, the pool's
catalog machine, which every cloud's pool builds its nodes of: a key the pool's nodes carry with a value not known
here counts as met, as ``node-selectors-match-pools`` counts it). Only the weights are counted (``modelSizeGb``; a model
without it is not judged here: the cold-start estimate's defaults are not the model's size). It is necessary, not
sufficient: a server also needs memory for activations and, for an LLM, its KV cache, so a model at the bound may
still fail; and CUDA may report a little less than nvidia-smi's total (an A100-SXM4-40GB: 40339 MiB to deviceQuery,
40960 MiB to nvidia-smi; bottlerocket-os/bottlerocket#3873).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from components import catalog
from components.clusters.spec import ClusterSpec, GpuPoolSpec
from components.serving.spec import ModelSpec, size_text

VLLM_DEFAULT_UTILIZATION = 0.92
"""vLLM 0.24.0's ``gpu_memory_utilization`` default (vllm/config/cache.py ``CacheConfig``)."""
VLLM_UTILIZATION_FLAG = "--gpu-memory-utilization"
VLLM_KV_CACHE_FLAG = "--kv-cache-memory-bytes"
_KV_CACHE_SHORTEST = len("--kv-cache-mem")
"""vLLM 0.24.0's options starting ``--kv-cache-m`` are ``--kv-cache-memory-bytes`` and ``--kv-cache-metrics``
(vllm/engine/arg_utils.py), so argparse takes the first abbreviated down to ``--kv-cache-mem``."""
CUDA_CONTEXT_GB = 0.56
"""The GPU memory one process's CUDA context takes before it allocates anything, in GB: 557 MB "per cuda context"
measured with PyTorch (pytorch/pytorch#42080, 2020), the largest of the figures found: "~300MB" since CUDA 11.7's
lazy module loading (pytorch/pytorch#107667, NVIDIA's ptrblck, 2023: "Before CUDA 11.7, *all* kernels were loaded
into the context ... which took >1000MB"), "around 300MB to 400MB" (pytorch/pytorch#20532). Judgement: the 557 MB,
as vLLM loads more kernels than a bare tensor does. A pod sharing a GPU by MPS or time-slicing holds its context
inside its share (rev16f D5: exactly 1/clients never starts)."""
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
_HUMAN_INT = re.compile(r"(\d+(?:\.\d+)?)([kKmMgGtT])")
_DECIMAL = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
_BINARY = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def _option(args: Sequence[str], name: str, shortest: int) -> tuple[str, str | None] | None:
    """The last option ``name`` in ``args`` as argparse reads it: ``=`` or the next argument, abbreviated down to
    ``shortest`` characters (argparse's ``allow_abbrev``; the caller picks a length no other option of the server
    shares): (as written, its value), the value None when the option ends the args; None when none is given. Spelled
    as vLLM registers it, with ``-``: KServe's Hugging Face server reads its args with ``parse_known_args``, which
    drops ``--gpu_memory_utilization`` (rev16g defect 1; refused at ``args`` by components/serving/server_args.py
    ``dropped_arg_problems``)."""
    found: tuple[str, str | None] | None = None
    for i, arg in enumerate(args):
        given, eq, value = str(arg).partition("=")
        key = given
        if not (len(key) >= shortest and name.startswith(key)):
            continue
        if eq:
            found = (str(arg), value)
        else:
            found = (f"{arg} {args[i + 1]}", str(args[i + 1])) if i + 1 < len(args) else (str(arg), None)
    return found


def _option_value(args: Sequence[str], name: str, shortest: int) -> str | None:
    found = _option(args, name, shortest)
    return found[1] if found else None


def _is_vllm(args: Sequence[str]) -> bool:
    return _option_value(args, "--backend", len("--backend")) == "vllm"


def _fraction(text: str) -> float | None:
    """``text`` as vLLM 0.24.0 takes ``--gpu-memory-utilization``: a float in (0, 1] (vllm/config/cache.py
    ``Field(default=0.92, gt=0, le=1)``), else None (vLLM refuses it)."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 < value <= 1 else None


def vllm_utilization(args: Sequence[str]) -> float | None:
    """The fraction of GPU memory vLLM takes for a server run with ``args`` (the platform's and the model's, in
    order): when the last ``--backend`` (written whole) is ``vllm``, the last ``--gpu-memory-utilization``
    (abbreviated down to ``--gp``: vLLM 0.24.0 has no other option starting so), else
    :data:`VLLM_DEFAULT_UTILIZATION`; None otherwise (another backend, or a server that is not KServe's Hugging Face
    server). A value vLLM refuses is refused by :func:`gpu_memory_problem` (the default is used here)."""
    if not _is_vllm(args):
        return None
    given = _option_value(args, VLLM_UTILIZATION_FLAG, len("--gp"))
    value = _fraction(given) if given is not None else None
    return value if value is not None else VLLM_DEFAULT_UTILIZATION


def human_readable_int(text: str) -> int | None:
    """``text`` as vLLM 0.24.0 reads ``--kv-cache-memory-bytes`` (vllm/utils/argparse_utils.py
    ``human_readable_int``, the type vllm/engine/arg_utils.py gives that option): a number with one suffix, ``k m g
    t`` decimal (10**3 ... 10**12, a fraction allowed: ``25.6k``) or ``K M G T`` binary (2**10 ... 2**40, whole numbers
    only), else a plain Python ``int`` (``4000000000``; ``4GiB`` and ``4e9`` are refused by vLLM). None where vLLM
    refuses it."""
    value = text.strip()
    if match := _HUMAN_INT.fullmatch(value):
        number, suffix = match.groups()
        if suffix in _DECIMAL:
            return int(float(number) * _DECIMAL[suffix])
        return int(number) * _BINARY[suffix] if number.isdigit() else None
    try:
        return int(value)
    except ValueError:
        return None


def vllm_kv_cache_bytes(args: Sequence[str]) -> int | None:
    """The KV cache vLLM sets aside on each GPU for a server run with ``args`` when its last
    ``--kv-cache-memory-bytes`` gives one (abbreviated down to ``--kv-cache-mem``), in bytes; None when vLLM does not
    run it, the flag is absent, or its value is 0 (vllm/v1/worker/gpu_worker.py: ``if kv_cache_memory_bytes := ...``
    falls back to the fraction), negative or not a number vLLM reads (refused by :func:`gpu_memory_problem`)."""
    if not _is_vllm(args):
        return None
    given = _option_value(args, VLLM_KV_CACHE_FLAG, _KV_CACHE_SHORTEST)
    value = human_readable_int(given) if given is not None else None
    return value if value is not None and value > 0 else None


def _refused_value(args: Sequence[str]) -> tuple[str, str, str] | None:
    """A vLLM option value vLLM 0.24.0 refuses at start, as written (rev16f D8): the pod would crash-loop."""
    if not _is_vllm(args):
        return None
    found = _option(args, VLLM_UTILIZATION_FLAG, len("--gp"))
    if found is not None and (found[1] is None or _fraction(found[1]) is None):
        return (
            "args",
            found[0],
            f"vLLM takes {VLLM_UTILIZATION_FLAG} as a fraction of the GPU's memory greater than 0 and at most 1 "
            "(vllm/config/cache.py: Field(gt=0, le=1)) and refuses to start otherwise; give one, e.g. 0.9",
        )
    found = _option(args, VLLM_KV_CACHE_FLAG, _KV_CACHE_SHORTEST)
    if found is not None and (found[1] is None or human_readable_int(found[1]) is None):
        return (
            "args",
            found[0],
            f"vLLM reads {VLLM_KV_CACHE_FLAG} as a whole number of bytes or a number with one suffix k, m, g, t "
            "(10^3 ... 10^12) or K, M, G, T (2^10 ... 2^40) (vllm/utils/argparse_utils.py human_readable_int) and "
            "refuses anything else at start; give e.g. 4G or 4000000000",
        )
    return None


@dataclass(frozen=True)
class _Pool:
    """What one replica asking ``gpus`` GPUs sees on a pool: ``seen`` GB on each of ``count`` devices (its share of a
    shared GPU), and ``total`` GB, what CUDA reports as each device's total (the whole GPU under MPS and
    time-slicing, else ``seen``); how it was derived."""

    seen: float
    count: int
    total: float
    how: str
    clients: int | None
    """The clients of one GPU under MPS or time-slicing (each pod holds its share of the whole GPU), else None."""
    mig: bool = False


def _pool_memory(cloud: str, region: str, pool: GpuPoolSpec, gpus: int) -> _Pool | None:
    """The GPU memory (GB) one replica asking ``gpus`` GPUs gets on ``pool``; None when the pool's machine is not in
    the catalog (refused with its own line by the pool check)."""
    try:
        machine = catalog.machine_for(cloud, pool.accelerator, pool.gpus_per_node, region)
    except catalog.CatalogError:
        return None
    gb, shown = machine.gpu_memory_gb, machine.gpu_memory_shown
    sharing = pool.sharing
    if sharing.strategy == "mig" and sharing.mig_profile:
        device = catalog.mig_memory(pool.accelerator, sharing.mig_profile)
        if device is None:
            return None
        return _Pool(
            min(device.gb, gb),
            1,
            min(device.gb, gb),
            f"one MIG {sharing.mig_profile} device: {device.shown}",
            None,
            True,
        )
    clients = sharing.max_clients_per_gpu
    if sharing.strategy in ("mps", "time-slicing"):
        kind = "MPS" if sharing.strategy == "mps" else "time-slicing"
        share = gb / clients - CUDA_CONTEXT_GB
        how = f"1/{clients} of one {shown} GPU ({kind}) less a CUDA context ({CUDA_CONTEXT_GB:g} GB)"
        return _Pool(share, 1, gb, how, clients)
    return _Pool(gb, gpus, gb, f"{gpus} x {shown}", None)


def _bound(pool: _Pool, utilization: float | None, kv_bytes: int | None) -> tuple[float, str]:
    """The GB the weights may take on ``pool`` for a server that is vLLM (``utilization``) or not (None), with a KV
    cache of ``kv_bytes`` per GPU when given. A whole GPU or MIG device holds the server's own CUDA context beside its
    weights (rev16g defect 3: :data:`CUDA_CONTEXT_GB`, as a share already does in ``seen``)."""
    context = f"less a CUDA context ({CUDA_CONTEXT_GB:g} GB)"
    if utilization is None:
        if pool.clients is not None:
            return pool.count * pool.seen, pool.how
        each = " on each" if pool.count > 1 else ""
        return pool.count * (pool.seen - CUDA_CONTEXT_GB), f"{pool.how}, {context}{each}"
    fraction = f"vLLM's --gpu-memory-utilization {utilization:g}"
    if kv_bytes is not None:
        kv = kv_bytes / 1e9
        less = f"less vLLM's --kv-cache-memory-bytes {kv_bytes} per GPU"
        if pool.clients is not None:  # rev16f D2: weights + KV within the fraction and the pod's share
            held = min(pool.total * utilization, pool.seen)
            return held - kv, f"the smaller of {fraction} of the whole GPU and {pool.how}, {less}"
        return pool.count * (pool.seen - CUDA_CONTEXT_GB - kv), f"{pool.how}, {context} and {less}"
    if pool.clients is not None:  # MPS, time-slicing: vLLM's fraction is of the whole device CUDA reports
        return pool.total * utilization, f"{fraction} of the whole GPU, within {pool.how}"
    return pool.count * pool.seen * utilization, f"{pool.how} x {fraction}"


def _kv_cache_problem(
    args: Sequence[str],
    utilization: float,
    kv_bytes: int,
    size: float | None,
    pools: Sequence[tuple[str, GpuPoolSpec, _Pool]],
) -> tuple[str, str, str] | None:
    """vLLM's ``--kv-cache-memory-bytes`` alone over the memory vLLM may use on a pool the model may land on (rev16g
    defect 5: it was blamed on ``modelSizeGb`` with a negative bound): refused at ``args`` with the most it may be."""
    worst: tuple[float, str, str] | None = None
    for name, _, memory in pools:
        room, how = _bound(memory, utilization, 0)  # the memory for weights and KV cache on each GPU
        room = room / memory.count
        if worst is None or room < worst[0]:
            worst = (room, re.split(",? (?:and )?less vLLM's --kv-cache", how)[0], name)
    if worst is None or kv_bytes / 1e9 < worst[0]:
        return None
    room, how, name = worst
    given = _option(args, VLLM_KV_CACHE_FLAG, _KV_CACHE_SHORTEST)
    count = next(m.count for n, _, m in pools if n == name)
    most = math.floor((room - (size or 0) / count) * 100) / 100
    weights = f" beside {size_text(size)} GB of weights" if size is not None else ""
    advice = (
        f"give {VLLM_KV_CACHE_FLAG} at most {most:g}g{weights} (vLLM's g is 10^9 bytes)"
        if most > 0
        else f"the weights alone fill it; {_advice(_pool_named(pools, name))}"
    )
    return (
        "args",
        given[0] if given is not None else f"{VLLM_KV_CACHE_FLAG}={kv_bytes}",
        f"vLLM sets aside {kv_bytes / 1e9:.2f} GB of KV cache on each GPU, and on pool {name} it may use at most "
        f"{math.floor(room * 100) / 100:g} GB of each ({how}) for the weights and the KV cache together; {advice}, "
        f"or leave it out and let vLLM size the KV cache from {VLLM_UTILIZATION_FLAG}",
    )


def _pool_named(pools: Sequence[tuple[str, GpuPoolSpec, _Pool]], name: str) -> GpuPoolSpec:
    return next(p for n, p, _ in pools if n == name)


def selector_admits(cloud: str, region: str, name: str, pool: GpuPoolSpec, selector: Mapping[str, str]) -> bool:
    """Whether a pod with ``selector`` (the model's own ``nodeSelector``) may land on ``pool``'s nodes: no key the
    pool's nodes carry has another value. The labels are the platform's for the pool (components/clusters/base.py
    ``GpuScheduling.node_labels``, with the device plugin where the cloud's pools need it) and
    ``node.kubernetes.io/instance-type``, the pool's catalog machine (components/clusters/_common.py
    ``resolve_pools``), "the instance type ... defined by the cloud provider" (kubernetes.io/docs/reference/
    labels-annotations-taints/); the cloud's own pool labels are not known here and count as met."""
    from components import clouds
    from components.clusters._common import gpu_node_labels, resolve_pools
    from components.errors import SpecError

    if not selector:
        return True
    try:
        info = resolve_pools(cloud, region, {name: pool})[name]
    except SpecError:
        return True  # refused with its own line by the pool check
    entry = clouds.find(cloud)
    labels = gpu_node_labels(info, device_plugin=entry is not None and entry.device_plugin_shares)
    labels[INSTANCE_TYPE_LABEL] = info.instance_type
    return all(labels.get(key, value) == value for key, value in selector.items())


def _candidates(cloud: str, region: str, cluster: ClusterSpec, model: ModelSpec) -> list[tuple[str, GpuPoolSpec]]:
    """The pools a pod of ``model`` (asking ``gpus`` x ``accelerator``) may land on: every pool of that accelerator
    whose nodes grant that many GPU requests (components/coldstart.py ``node_slots``: GPUs, times the clients of
    time-slicing and MPS, times the MIG partitions), except a pool whose device plugin refuses a request of more than
    one share (components/clusters ``shares_one_gpu_per_request``: ``failRequestsGreaterThanOne``), where such a pod
    never lands (rev16e N3: a 2-GPU model was judged on a time-sliced pool beside a whole one), and a pool whose
    labels contradict the model's own ``nodeSelector`` (:func:`selector_admits`; rev16e N4)."""
    from components.clusters import shares_one_gpu_per_request
    from components.coldstart import node_slots

    accelerator, gpus = model.resources.accelerator, model.resources.gpus
    out = []
    for name, pool in cluster.gpu_pools.items():
        if pool.accelerator != accelerator:
            continue
        s = pool.sharing
        if gpus > 1 and shares_one_gpu_per_request(cloud, s.strategy):
            continue
        if node_slots(pool.gpus_per_node, s.strategy, s.max_clients_per_gpu, s.mig_profile) < gpus:
            continue
        if selector_admits(cloud, region, name, pool, model.node_selector):
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


def share_fraction(whole_gb: float, clients: int) -> float:
    """The largest fraction of a whole GPU of ``whole_gb`` that fits one pod's share when ``clients`` pods share it
    by MPS or time-slicing: 1/clients less one CUDA context (:data:`CUDA_CONTEXT_GB`), rounded down to hundredths,
    the advice given (rev16f D5); with ``clients`` 1 (a whole GPU or MIG device), the whole less the context
    (rev16g defect 3: vLLM 0.24.0 takes its memory snapshot after its own CUDA context exists,
    vllm/v1/worker/gpu_worker.py ``init_device``, so ``request_memory`` finds less than the whole free)."""
    return math.floor((1 / clients - CUDA_CONTEXT_GB / whole_gb) * 100) / 100


def _utilization_problem(
    args: Sequence[str], utilization: float, pools: Sequence[tuple[str, GpuPoolSpec, _Pool]]
) -> tuple[str, str, str] | None:
    """vLLM's fraction of the whole GPU over the pod's share (1/clients less a CUDA context) on a pool whose GPU it
    shares by MPS or time-slicing (rev16e N1, N2; rev16f D5), or over a whole GPU or MIG device less vLLM's own CUDA
    context (rev16g defect 3): vLLM 0.24.0 measures the free memory after creating its context
    (vllm/v1/worker/gpu_worker.py ``init_device``) and ``request_memory`` (vllm/v1/worker/utils.py) raises when it is
    below the fraction of the total. The pool with the smallest share decides."""

    def room(memory: _Pool) -> float:
        return memory.seen if memory.clients is not None else memory.seen - CUDA_CONTEXT_GB

    over = [(n, p, m) for n, p, m in pools if utilization * m.total > room(m)]
    if not over:
        return None
    name, pool, memory = min(over, key=lambda t: room(t[2]) / t[2].total)
    clients = memory.clients or 1
    given = _option(args, VLLM_UTILIZATION_FLAG, len("--gp"))
    value = (
        f"{VLLM_UTILIZATION_FLAG} {utilization:g}"
        if given is not None
        else (f"no {VLLM_UTILIZATION_FLAG} (vLLM's default {VLLM_DEFAULT_UTILIZATION:g})")
    )
    most = share_fraction(memory.total, clients)
    if memory.clients is None:
        kind = f"one MIG {pool.sharing.mig_profile} device" if memory.mig else "a whole GPU"
        return (
            "args",
            value,
            f"pool {name} gives vLLM {kind} of {memory.total:.2f} GB, which holds vLLM's own CUDA context "
            f"({CUDA_CONTEXT_GB:g} GB) before vLLM asks for its fraction of the total at start (vllm/v1/worker/"
            f"utils.py request_memory); give {VLLM_UTILIZATION_FLAG} at most {most:g}",
        )
    if pool.sharing.strategy == "mps":
        why = (
            f"pool {name} shares each GPU by MPS among {clients} clients: CUDA reports the whole GPU to vLLM, which "
            f"asks for that fraction of it at start but may have only 1/{clients} of it less its own CUDA context"
        )
    else:
        why = (
            f"pool {name} shares each GPU by time-slicing among {clients} pods: each vLLM pod asks for that fraction "
            f"of the whole GPU at start, beside the others' and their CUDA contexts"
        )
    return (
        "args",
        value,
        f"{why}; give {VLLM_UTILIZATION_FLAG} at most {most:g} (1/{clients} of {memory.total:.2f} GB less a CUDA "
        f"context, {CUDA_CONTEXT_GB:g} GB)",
    )


def _tensor_parallel_problem(
    model: ModelSpec, pools: Sequence[tuple[str, GpuPoolSpec, _Pool]]
) -> tuple[str, str, str] | None:
    """vLLM over more than one GPU on a MIG pool it may land on (rev16f D7): each tensor-parallel rank's process
    enumerates one MIG device, so rank 1 finds none of its own."""
    gpus = model.resources.gpus
    mig = [(n, p) for n, p, m in pools if m.mig]
    if gpus <= 1 or not mig:
        return None
    name, pool = mig[0]
    return (
        "resources.gpus",
        str(gpus),
        f"vLLM runs --tensor-parallel-size={gpus}, one process per GPU, and pool {name} partitions its GPUs by MIG "
        f'({pool.sharing.mig_profile}): a CUDA process enumerates a single MIG device (NVIDIA MIG user guide, "CUDA '
        "Device Enumeration\"), so vLLM's worker of rank 1 fails its check local_rank < device_count "
        "(vllm/v1/worker/gpu_worker.py); ask for 1 GPU with a larger MIG profile, or pin the model to a pool of whole "
        "GPUs (nodeSelector)",
    )


def gpu_memory_problem(
    cloud: str, region: str, cluster: ClusterSpec, model: ModelSpec, server_args: Sequence[str] = ()
) -> tuple[str, str, str] | None:
    """Why ``model``'s weights (``modelSizeGb``) may not fit in the GPU memory of a pool that may run it, or vLLM's
    fraction may not start there (key path under the model, value, accepted), or None when they fit on every such
    pool, the model has no GPU or no size, or no pool is known. ``server_args``: the model server's arguments, the
    platform's then the model's (components/serving/_runtime.py ``runtime_args``), which say whether vLLM runs it
    and with what fraction and KV cache."""
    res = model.resources
    if not res.gpus or res.accelerator is None:
        return None
    if problem := _refused_value(server_args):
        return problem
    utilization = vllm_utilization(server_args)
    kv_bytes = vllm_kv_cache_bytes(server_args)
    pools = [
        (name, pool, memory)
        for name, pool in _candidates(cloud, region, cluster, model)
        if (memory := _pool_memory(cloud, region, pool, res.gpus)) is not None
    ]
    if utilization is not None and (problem := _tensor_parallel_problem(model, pools)):
        return problem
    if utilization is not None and (problem := _utilization_problem(server_args, utilization, pools)):
        return problem
    size = model.model_size_gb
    kv_problem = None
    if utilization is not None and kv_bytes is not None:
        kv_problem = _kv_cache_problem(server_args, utilization, kv_bytes, size, pools)
    if kv_problem is not None:
        return kv_problem
    if size is None:
        return None
    worst: tuple[float, str, str, GpuPoolSpec] | None = None
    for name, pool, memory in pools:
        gb, how = _bound(memory, utilization, kv_bytes)
        if worst is None or gb < worst[0]:
            worst = (gb, how, name, pool)
    if worst is None or size <= worst[0]:
        return None
    gb, how, pool_name, pool = worst
    shown = math.floor(gb * 100) / 100
    kv_advice = f"give a smaller {VLLM_KV_CACHE_FLAG}, or " if kv_bytes is not None else ""
    return (
        "modelSizeGb",
        size_text(size),
        f"the weights must fit in the GPU memory one replica gets on every pool it may land on: at most {shown:g} GB "
        f"on pool {pool_name} ({how}); {kv_advice}{_advice(pool)}",
    )
