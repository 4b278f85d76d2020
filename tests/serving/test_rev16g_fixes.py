"""rev16g's defects 1, 2, 3 and 5 (issue #16), each as the review's input with the exact line (defect 4:
tests/policy/test_timeouts_rule.py). Every test here fails on main f4eb44c (checked in a ``git archive`` copy).

1. KServe's Hugging Face server reads its args with ``parse_known_args`` (kserve v0.20.0 python/huggingfaceserver/
   huggingfaceserver/__main__.py:168, :213), which drops ``--gpu_memory_utilization`` (vLLM registers ``-``
   spellings; its ``FlexibleArgumentParser`` turns ``_`` into ``-`` only in ``parse_args``, vllm 0.24.0
   vllm/utils/argparse_utils.py:301-321) and one argument with a space (CPython Lib/argparse.py ``_parse_optional``).
2. "expected: warm" only where the warm pool's nodes admit the model's pod.
3. A whole GPU or MIG device holds the server's CUDA context too (gpumem ``CUDA_CONTEXT_GB``, 0.56 GB).
5. A KV cache larger than the GPU is refused at ``args``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import coldstart
from infra.config import load
from tests.serving.test_gpumem import FILE, MIG10, _error, _isvc, _rule_failures, _stack

# ------------------------------------------------------------------------------- 1: args the server drops

_DROPPED = (
    "KServe's Hugging Face server reads vLLM's options with parse_known_args (huggingfaceserver/__main__.py:213, "
    "v0.20.0), which does not turn _ into - (vllm 0.24.0 argparse_utils.py: only parse_args does), so it drops "
    "{given}; vLLM spells its options with '-' ({dashed}, if vLLM has that option)"
)


@pytest.mark.parametrize(
    ("args", "given", "dashed"),
    [
        # rev16g defect 1: accepted, and vLLM ran at its default 0.92 on a GPU shared two ways
        (["--gpu_memory_utilization=0.4"], "--gpu_memory_utilization", "--gpu-memory-utilization=0.4"),
        (["--gpu_memory_utilization", "0.4"], "--gpu_memory_utilization", "--gpu-memory-utilization"),
        (["--kv_cache_memory_bytes=1G"], "--kv_cache_memory_bytes", "--kv-cache-memory-bytes=1G"),
        (["--enable_prefix_caching"], "--enable_prefix_caching", "--enable-prefix-caching"),  # any vLLM option
    ],
)
def test_an_underscore_vllm_option_is_refused(args: list[str], given: str, dashed: str) -> None:
    line = f"{FILE}: mlplatform:models.m.args.0: {args[0]} is not allowed; " + _DROPPED.format(
        given=given, dashed=dashed
    )
    assert _error(_stack(3, 1, None, llm_args=args)) == line


@pytest.mark.parametrize(
    "args",
    [
        ["--model_revision=main"],  # KServe's own options (huggingfaceserver __main__.py:80-165), spelled with _
        ["--trust_remote_code"],
        ["--trust_remote"],  # an abbreviation of one (argparse allow_abbrev)
        ["--return_token_type_ids"],
        ["--max_threads=4"],  # kserve.model_server.parser's (model_server.py)
        ["--gpu-memory-utilization=0.4"],
    ],
)
def test_kserves_own_underscore_options_stay_accepted(args: list[str]) -> None:
    assert load(_stack(3, 1, None, llm_args=args), frozenset(), FILE).config.models["m"].args == args


def test_an_option_and_its_value_in_one_argument_is_refused() -> None:
    # rev16g "noticed": "--max-model-len 4096" was accepted, and argparse reads it as a value the server drops
    line = (
        f"{FILE}: mlplatform:models.m.args.0: --max-model-len 4096 is not allowed; one argument with a space is read "
        "as a value, not an option (Python's argparse: _parse_optional), and the server's parse_known_args drops it "
        "(kserve v0.20.0 huggingfaceserver/__main__.py:213, model_server.py:208); give --max-model-len=4096 or two "
        "arguments"
    )
    assert _error(_stack(3, 1, None, llm_args=["--max-model-len 4096"])) == line
    # the value of an option before it is not an option: argparse gives it to that option
    ok = ["--model_id", "--a b"]
    assert load(_stack(3, 1, None, llm_args=ok), frozenset(), FILE).config.models["m"].args == ok


def _qwen(args: list[str]) -> Any:
    def change(props: dict[str, Any]) -> None:
        model = props["spec"]["predictor"]["model"]
        model["args"] = [a for a in model["args"] if not a.startswith("--gpu-memory-utilization")] + args

    return change


@pytest.mark.parametrize(
    ("args", "failed"),
    [
        (
            ["--gpu_memory_utilization=0.4"],
            "--gpu_memory_utilization, which the server drops unread (vLLM reads --gpu-memory-utilization)",
        ),
        (["--gpu-memory-utilization 0.4"], "--gpu-memory-utilization in one argument with a space, which the server "
         "drops unread"),
    ],
)  # fmt: skip
def test_the_rule_fails_an_argument_the_server_drops(args: list[str], failed: str) -> None:
    """The second line: gcp-prod's qwen-chat (time-sliced x2) with its fraction only in a form the server drops
    (on main: read as 0.4, every rule passed)."""
    from support import mutated_resources, rules_plan

    resources, settings = rules_plan("gcp-prod")
    msgs = _rule_failures(mutated_resources(resources, _isvc("qwen-chat"), _qwen(args), exactly=1), settings)
    assert msgs == [f"models/qwen-chat: {failed}"], msgs


# ------------------------------------------------------------------------------- 3: the CUDA context on whole GPUs


def _util_line(value: str, kind: str, total: str, most: str, pool: str = "p") -> str:
    return (
        f"{FILE}: mlplatform:models.m.args: {value} is not allowed; pool {pool} gives vLLM {kind} of {total} GB, which "
        "holds vLLM's own CUDA context (0.56 GB) before vLLM asks for its fraction of the total at start "
        f"(vllm/v1/worker/utils.py request_memory); give --gpu-memory-utilization at most {most}"
    )


@pytest.mark.parametrize(
    ("args", "sharing", "accelerator", "line"),
    [
        # rev16g defect 3: 1 (and 0.99) on a whole L4 was accepted; (24.1529 - 0.56) / 24.1529 = 0.9768
        (["--gpu-memory-utilization=1"], None, "nvidia-l4",
         _util_line("--gpu-memory-utilization 1", "a whole GPU", "24.15", "0.97")),
        (["--gpu-memory-utilization=0.98"], None, "nvidia-l4",
         _util_line("--gpu-memory-utilization 0.98", "a whole GPU", "24.15", "0.97")),
        # a MIG 1g.10gb device (8.9 GB): (8.9 - 0.56) / 8.9 = 0.9370, so vLLM's default 0.92 fits and 0.94 does not
        (["--gpu-memory-utilization=0.94"], MIG10, "nvidia-a100-80gb",
         _util_line("--gpu-memory-utilization 0.94", "one MIG 1g.10gb device", "8.90", "0.93")),
    ],
)  # fmt: skip
def test_vllm_on_a_whole_gpu_leaves_its_cuda_context(
    args: list[str], sharing: dict[str, Any] | None, accelerator: str, line: str
) -> None:
    assert _error(_stack(1, 1, sharing, accelerator, llm_args=args)) == line


@pytest.mark.parametrize(
    ("args", "sharing", "accelerator"),
    [
        (["--gpu-memory-utilization=0.97"], None, "nvidia-l4"),
        ([], MIG10, "nvidia-a100-80gb"),
        (["--gpu-memory-utilization=0.93"], MIG10, "nvidia-a100-80gb"),
    ],
)
def test_the_advised_whole_gpu_fraction_plans(
    args: list[str], sharing: dict[str, Any] | None, accelerator: str
) -> None:
    assert load(_stack(1, 1, sharing, accelerator, llm_args=args), frozenset(), FILE).config.models["m"]


def _on_a100(args: list[str]) -> Any:
    def change(props: dict[str, Any]) -> None:
        predictor = props["spec"]["predictor"]
        predictor["nodeSelector"]["mlplatform.io/accelerator"] = "nvidia-a100-40gb"
        model = predictor["model"]
        model["args"] = [a for a in model["args"] if not a.startswith("--gpu-memory-utilization")] + args

    return change


@pytest.mark.parametrize(("fraction", "failed"), [("0.99", True), ("0.98", False)])
def test_the_rule_holds_vllm_on_a_whole_gpu_to_its_cuda_context(fraction: str, failed: bool) -> None:
    """gcp-prod's qwen-chat moved to its whole A100 40GB pool (40960 MiB = 42.95 GB): (42.95 - 0.56) / 42.95 =
    0.9869."""
    from support import mutated_resources, rules_plan

    resources, settings = rules_plan("gcp-prod")
    change = _on_a100([f"--gpu-memory-utilization={fraction}"])
    msgs = _rule_failures(mutated_resources(resources, _isvc("qwen-chat"), change, exactly=1), settings)
    expected = [
        f"models/qwen-chat: vLLM's --gpu-memory-utilization {fraction} of a whole nvidia-a100-40gb (42.95 GB): "
        "vLLM's own CUDA context (0.56 GB) is in use when it asks for that fraction at start (0.98 at most); the "
        "model never starts"
    ]
    assert msgs == (expected if failed else []), msgs


# ------------------------------------------------------------------------------- 5: a KV cache over the GPU


def test_a_kv_cache_larger_than_the_gpu_is_refused_at_args() -> None:
    # rev16g defect 5: "modelSizeGb: 3.1 is not allowed ... at most -8.06 GB ... or a smaller (quantised) model"
    line = (
        f"{FILE}: mlplatform:models.m.args: --kv-cache-memory-bytes=30G is not allowed; vLLM sets aside 32.21 GB of "
        "KV cache on each GPU, and on pool p it may use at most 23.59 GB of each (1 x 23034 MiB, less a CUDA context "
        "(0.56 GB)) for the weights and the KV cache together; give --kv-cache-memory-bytes at most 20.49g beside 3.1 "
        "GB of weights (vLLM's g is 10^9 bytes), or leave it out and let vLLM size the KV cache from "
        "--gpu-memory-utilization"
    )
    assert _error(_stack(3.1, 1, None, llm_args=["--kv-cache-memory-bytes=30G"])) == line
    assert load(_stack(3.1, 1, None, llm_args=["--kv-cache-memory-bytes=20.49g"]), frozenset(), FILE)


def test_a_kv_cache_over_a_shared_gpu_is_refused_at_args() -> None:
    # rev16g defect 5: "at most -1e+11 GB" on a time-sliced x2 L4
    ts2 = {"strategy": "time-slicing", "maxClientsPerGpu": 2}
    args = ["--gpu-memory-utilization=0.45", "--kv-cache-memory-bytes=99999999999999999999"]
    line = (
        f"{FILE}: mlplatform:models.m.args: --kv-cache-memory-bytes=99999999999999999999 is not allowed; vLLM sets "
        "aside 100000000000.00 GB of KV cache on each GPU, and on pool p it may use at most 10.86 GB of each (the "
        "smaller of vLLM's --gpu-memory-utilization 0.45 of the whole GPU and 1/2 of one 23034 MiB GPU "
        "(time-slicing) less a CUDA context (0.56 GB)) for the weights and the KV cache together; give "
        "--kv-cache-memory-bytes at most 7.76g beside 3.1 GB of weights (vLLM's g is 10^9 bytes), or leave it out and "
        "let vLLM size the KV cache from --gpu-memory-utilization"
    )
    assert _error(_stack(3.1, 1, ts2, llm_args=args)) == line


def test_the_rule_fails_a_kv_cache_larger_than_the_gpu() -> None:
    from support import mutated_resources, rules_plan

    resources, settings = rules_plan("gcp-prod")
    change = _on_a100(["--kv-cache-memory-bytes=50g"])
    msgs = _rule_failures(mutated_resources(resources, _isvc("qwen-chat"), change, exactly=1), settings)
    assert msgs == [
        "models/qwen-chat: vLLM's --kv-cache-memory-bytes 50000000000 on each nvidia-a100-40gb (42.95 GB less a CUDA "
        "context, 0.56 GB): the KV cache alone does not fit; the model never starts"
    ], msgs


# ------------------------------------------------------------------------------- 2: warm only where it lands

L4 = {"mlplatform.io/accelerator": "nvidia-l4"}


def _isvc_with(selector: dict[str, str], affinity: dict[str, Any] | None = None) -> dict[str, Any]:
    predictor: dict[str, Any] = {"nodeSelector": selector}
    if affinity is not None:
        predictor["affinity"] = affinity
    return {"spec": {"predictor": predictor}}


def _not_in(*pools: str) -> dict[str, Any]:
    """components/clusters/base.py ``GpuScheduling.multi_gpu_affinity``'s shape."""
    term = {"matchExpressions": [{"key": "mlplatform.io/pool", "operator": "NotIn", "values": list(pools)}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}


def test_a_model_pinned_to_another_instance_type_is_not_warm() -> None:
    # rev16g defect 2 (a): resnet50 pinned to g6.12xlarge was "expected: warmNode" on a warm g6.xlarge
    isvc = _isvc_with({**L4, "node.kubernetes.io/instance-type": "g6.12xlarge"})
    small = coldstart.WarmPool("l4", 1, "nvidia-l4", 1, instance_type="g6.xlarge")
    big = coldstart.WarmPool("big", 1, "nvidia-l4", 4, instance_type="g6.12xlarge")
    assert coldstart.warm_cover(isvc, 1, [small]) is None
    assert coldstart.warm_cover(isvc, 1, [small, big]) == coldstart.WarmCover("big", 1)
    # a key whose value on the pool's nodes is not known here: no warm start is promised
    assert coldstart.warm_cover(_isvc_with({**L4, "example.com/zone": "a"}), 1, [small]) is None


def test_a_multi_gpu_model_kept_off_the_warm_pool_by_its_affinity_is_not_warm() -> None:
    # rev16g defect 2 (b): a 2-GPU model with "mlplatform.io/pool NotIn [l4]" (l4 time-sliced, 4 GPUs a node)
    isvc = _isvc_with(L4, _not_in("l4"))
    l4 = coldstart.WarmPool("l4", 1, "nvidia-l4", 4, instance_type="g6.12xlarge")
    assert coldstart.warm_cover(isvc, 2, [l4]) is None
    assert coldstart.warm_cover(isvc, 2, [coldstart.WarmPool("big", 1, "nvidia-l4", 4)]) == coldstart.WarmCover(
        "big", 1
    )
    # one term of several is enough; matchFields are not judged here (not warm)
    either = _not_in("l4")
    terms = either["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    terms.append({"matchExpressions": [{"key": "mlplatform.io/pool", "operator": "In", "values": ["l4"]}]})
    assert coldstart.warm_cover(_isvc_with(L4, either), 2, [l4]) == coldstart.WarmCover("l4", 1)
    fields = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]}}}  # fmt: skip
    assert coldstart.warm_cover(_isvc_with(L4, fields), 1, [l4]) is None


def test_the_plan_does_not_give_a_pinned_model_the_warm_figure(tmp_path: Any) -> None:
    """rev16g w2 through the real program: aws-dev with warmCapacity {l4: 1} (g6.xlarge) and a pool big of
    g6.12xlarge, resnet50 pinned to g6.12xlarge: on main its coldStart said warmCapacity l4, warmNode 0.72."""
    import sys

    from components.plan.report import cold_start
    from support import ROOT

    sys.path.insert(0, str(ROOT / "tests" / "policy"))
    from test_timeouts_rule import plan_with

    def edit(config: dict[str, Any]) -> None:
        config["mlplatform:platform"]["warmCapacity"] = {"l4": 1}
        pools = config["mlplatform:cluster"]["gpuPools"]
        pools["big"] = {**pools["l4"], "gpusPerNode": 4, "minNodes": 0, "maxNodes": 1}
        config["mlplatform:models"]["resnet50"]["nodeSelector"] = {"node.kubernetes.io/instance-type": "g6.12xlarge"}

    plan = plan_with(tmp_path, "aws-dev", edit)
    resnet = next(e for e in cold_start(plan) if e.model == "resnet50")
    assert resnet.warm is None and resnet.expected_case == "fromZero", json.dumps(resnet.to_json())


def test_a_near_miss_of_kserves_own_option_names_it() -> None:
    # red14m M5 (fill-mask.md example d69): main advised --return-logits, which neither vLLM nor KServe reads; KServe
    # v0.20.0's option is --return_raw_logits (huggingfaceserver/__main__.py output_format_group)
    line = f"{FILE}: mlplatform:models.m.args.0: --return_logits is not allowed; " + (
        "KServe's Hugging Face server reads vLLM's options with parse_known_args (huggingfaceserver/__main__.py:213, "
        "v0.20.0), which does not turn _ into - (vllm 0.24.0 argparse_utils.py: only parse_args does), so it drops "
        "--return_logits; KServe's own option is --return_raw_logits"
    )
    assert _error(_stack(3, 1, None, llm_args=["--return_logits"])) == line
