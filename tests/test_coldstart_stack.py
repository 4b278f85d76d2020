"""The cold start of a model served by a runtime the stack brings itself (``mlplatform:runtimes``).

KServe v0.20.0 serves a model with the runtime it names, else the one it auto-selects for its format and protocol,
the namespace's ServingRuntimes before the ClusterServingRuntimes (pkg/apis/serving/v1beta1/predictor_model.go
``GetSupportingRuntimes``; pkg/controller/v1beta1/inferenceservice/utils/utils.go ``GetServingRuntime``), as
components/serving/runtimes.py ``select`` models it. That runtime decides the image the pod pulls (a stack runtime's
``kserve-container`` image; no ``-gpu`` tag: ``UpdateImageTag`` appends it only for the server types named in the
runtime's ``serving.kserve.io/server-type`` annotation, which a stack runtime does not carry) and whether
mlplatform passes vLLM's ``--load-format=runai_streamer`` (components/serving/_runtime.py ``runtime_args``, only on
KServe's Hugging Face server). The estimate, the deadlines, warm capacity's pre-pulls and the plan's ``coldStart``
follow it.

Figures (components/coldstart.yaml): GKE from zero: autoscaler delay 0.5, node 5.5 (high 8.0), GPU ready 1.0 (high
3.0); image pull at 4.7 GB/min (slow end 2.0 GB/min); kserve/huggingfaceserver 12 GB; an image of unknown size (the
``default`` class) 15.5 GB; hf:// download 2.4 GB/min (slow 1.0); huggingface load 1.5 min up to 3.67 GB, above it
66.95 GB/min with the runai_streamer loader, 20 GB/min with the default loader; readiness 0.21 (high 0.25).
"""

from __future__ import annotations

from typing import Any

import pytest
from test_coldstart import _plan_copy, _timeout, planned

from components import coldstart, deploytime
from components.coldstart import ClusterFacts
from components.plan.report import StackPlan, cold_start
from components.serving import _runtime
from components.serving.spec import ModelSpec
from components.serving.stack_runtime import RuntimeSpec, rendered
from infra.program import warm_images

ACME_IMAGE = "ghcr.io/acme/vllm-server:0.9"
ACME_VLLM: dict[str, Any] = {
    "formats": [{"name": "huggingface", "autoSelect": True, "priority": 2}],
    "protocols": ["v1", "v2"],
    "container": {"image": ACME_IMAGE, "port": {"number": 8080}, "readinessProbe": {"path": "/v2/health/ready"}},
    "args": ["--model_name={{.Name}}", "--model_dir=/mnt/models"],
}
STACK = {"acme-vllm": RuntimeSpec.model_validate(ACME_VLLM)}
HF_GPU_IMAGE = "kserve/huggingfaceserver:v0.20.0-gpu"
GKE = ClusterFacts("gcp")
LLM: dict[str, Any] = {
    "format": "huggingface",
    "storageUri": "hf://Qwen/Qwen2.5-72B-Instruct",
    "modelSizeGb": 70,
    "resources": {"gpus": 1, "accelerator": "nvidia-l4"},
    "access": {"mode": "internal", "allowedNamespaces": ["apps"]},
}


def _spec(**extra: Any) -> ModelSpec:
    return ModelSpec.model_validate({**LLM, **extra})


def test_a_stack_runtime_that_auto_selects_huggingface_decides_the_image_loader_and_deadline() -> None:
    """The stack runtime in the model's namespace auto-selects huggingface at priority 2: KServe serves the model with
    it, so the pod pulls its image (unknown size: the default class, marked so), vLLM gets no runai_streamer loader
    from mlplatform, and the deadline follows."""
    spec = _spec()
    stack = coldstart.stack_runtimes(STACK, spec.namespace)
    facts = coldstart.facts_from_spec("q", spec, stack)
    assert coldstart.serving_runtime(facts)[0] == "acme-vllm"
    assert facts.load_format is None
    assert coldstart.pod_images(facts) == [ACME_IMAGE]
    est = coldstart.estimate(facts, GKE)
    pull, load = est.from_zero.steps[3], est.from_zero.steps[5]
    # 15.5 GB at 4.7 = 3.3 (slow: at 2.0, 7.75)
    assert (pull.step, pull.minutes, pull.slow) == (
        f"image pull (stack runtime acme-vllm: {ACME_IMAGE}, 15.5 GB at 4.7 GB/min)",
        3.3,
        7.75,
    )
    assert pull.source.startswith("size: judgement: stack runtime acme-vllm's own image (mlplatform:runtimes), size ")
    # the default loader (20 GB/min) capped by the pool's boot disk, unknown here so the spec's 200 GiB pd-balanced:
    # 200 x 0.28 MiB/s = 56 MiB/s = 3.52 GB/min; 1.5 + (70 - 3.67) / 3.52 = 20.34
    assert (load.step, load.minutes) == (
        "load (huggingface, 70 GB of weights with vLLM's auto loader capped at the node disk's 3.52 GB/min above "
        "3.67 GB)",
        20.34,
    )
    # slow ends: 0.5 + 8.0 + 3.0 + 7.75 + 70 GB / 1.0 GB/min + 21.14 (vLLM's start at 2.3, rev16f D9) + 0.25 = 110.64
    assert est.from_zero.high == 110.64
    assert _runtime.cold_start_seconds(spec, GKE, stack) == 6639
    annotations = _runtime.isvc_annotations(spec, "Knative", GKE, stack)
    assert annotations[_runtime.COLD_START_ANNOTATION] == "6639"
    assert annotations["pulumi.com/timeoutSeconds"] == str(6639 + 300)


def test_without_the_stack_runtime_the_llm_keeps_kserves_server_image_and_streamer() -> None:
    """The same model without stack runtimes (and a stack runtime of another namespace): KServe's Hugging Face server
    at its GPU tag, the runai_streamer loader, the shorter deadline."""
    spec = _spec()
    other = coldstart.stack_runtimes(
        {"acme-vllm": RuntimeSpec.model_validate({**ACME_VLLM, "namespace": "lab"})}, "models"
    )
    assert other == ()
    facts = coldstart.facts_from_spec("q", spec, other)
    assert facts.load_format == "runai_streamer"
    assert coldstart.pod_images(facts) == [HF_GPU_IMAGE]
    est = coldstart.estimate(facts, GKE)
    # 12 GB at 4.7 = 2.55 (slow 6.0); the streamer's 66.95 GB/min capped by the 200 GiB boot disk's 3.52 GB/min:
    # 1.5 + 66.33 / 3.52 = 20.34
    assert [(s.step, s.minutes) for s in est.from_zero.steps[3:6:2]] == [
        (f"image pull ({HF_GPU_IMAGE}, 12 GB at 4.7 GB/min)", 2.55),
        (
            "load (huggingface, 70 GB of weights with vLLM's runai_streamer loader capped at the node disk's "
            "3.52 GB/min above 3.67 GB)",
            20.34,
        ),
    ]
    # 0.5 + 8.0 + 3.0 + 6.0 + 70.0 + 21.14 + 0.25 = 108.89 min: shorter than with the stack runtime (the smaller
    # image), the loaders' difference hidden by the disk
    assert _runtime.cold_start_seconds(spec, GKE) == 6534


def test_a_model_naming_kserves_hugging_face_server_is_unchanged_by_the_stack_runtime() -> None:
    """Control: ``runtime: kserve-huggingfaceserver`` names the ClusterServingRuntime (a stack runtime may not take
    its name: stack_problems), so the stack runtime changes nothing."""
    spec = _spec(runtime="kserve-huggingfaceserver")
    stack = coldstart.stack_runtimes(STACK, spec.namespace)
    with_stack, without = coldstart.facts_from_spec("q", spec, stack), coldstart.facts_from_spec("q", spec)
    assert with_stack.load_format == without.load_format == "runai_streamer"
    assert coldstart.pod_images(with_stack) == coldstart.pod_images(without) == [HF_GPU_IMAGE]
    assert coldstart.estimate(with_stack, GKE).from_zero == coldstart.estimate(without, GKE).from_zero
    assert _runtime.cold_start_seconds(spec, GKE, stack) == _runtime.cold_start_seconds(spec, GKE) == 6534


def test_a_stack_runtime_named_explicitly_or_without_a_known_image() -> None:
    """A model naming the stack runtime gets its image; a runtime known only by selection (no image) is estimated with
    the default entry, as any runtime whose image we do not know; runtimeVersion replaces the tag (UpdateImageTag)."""
    spec = _spec(runtime="acme-vllm", runtimeVersion="1.0")
    stack = coldstart.stack_runtimes(STACK, spec.namespace)
    assert coldstart.pod_images(coldstart.facts_from_spec("q", spec, stack)) == ["ghcr.io/acme/vllm-server:1.0"]
    bare = tuple(coldstart.StackRuntime(s.runtime) for s in stack)
    facts = coldstart.facts_from_spec("q", _spec(), bare)
    assert coldstart.pod_images(facts) == []
    assert coldstart.estimate(facts, GKE).from_zero.steps[3].step == (
        "image pull (a runtime we do not install, 15.5 GB at 4.7 GB/min)"
    )


def test_the_rendered_servingruntime_decides_the_plans_facts() -> None:
    """From rendered objects: the ServingRuntime of the model's namespace is read as KServe reads it, and gives the
    same facts as the stack's spec; one of another namespace is not looked at."""
    spec = _spec()
    doc = rendered("acme-vllm", STACK["acme-vllm"])
    assert coldstart.runtimes_from_documents([doc], "models") == coldstart.stack_runtimes(STACK, "models")
    assert coldstart.runtimes_from_documents([doc], "lab") == ()
    isvc = {
        "metadata": {"name": "q", "namespace": "models"},
        "spec": {
            "predictor": {
                "nodeSelector": {},
                "model": {
                    "modelFormat": {"name": "huggingface"},
                    "storageUri": LLM["storageUri"],
                    "resources": {"limits": {"nvidia.com/gpu": "1"}},
                    "args": _runtime.runtime_args(
                        spec, tuple(s.runtime for s in coldstart.stack_runtimes(STACK, "models"))
                    ),
                },
            }
        },
    }
    assert coldstart.pod_images(coldstart.facts_from_isvc(isvc, [doc])) == [ACME_IMAGE]
    assert coldstart.pod_images(coldstart.facts_from_isvc(isvc)) == [HF_GPU_IMAGE]


def test_warm_capacity_pre_pulls_the_stack_runtimes_image() -> None:
    """``warm_images`` (infra/program.py): the accelerator's pre-pull is the image of the runtime KServe uses."""
    models = {"q": _spec(), "named": _spec(runtime="kserve-huggingfaceserver")}
    assert warm_images(models, STACK) == {"nvidia-l4": sorted([ACME_IMAGE, HF_GPU_IMAGE])}
    assert warm_images({"q": _spec()}) == {"nvidia-l4": [HF_GPU_IMAGE]}


def _gcp_prod_with_acme(named: bool) -> Any:
    def edit(cfg: dict[str, Any]) -> None:
        cfg["mlplatform:runtimes"] = {"acme-vllm": ACME_VLLM}
        # a warm l4 node; unshared, so its placeholder pre-pulls (components/platform/warm.py: only a pool that does
        # not share GPUs pre-pulls)
        cfg["mlplatform:platform"] = {**cfg["mlplatform:platform"], "warmCapacity": {"l4": 1}}
        del cfg["mlplatform:cluster"]["gpuPools"]["l4"]["sharing"]
        if named:
            cfg["mlplatform:models"]["qwen-chat"]["runtime"] = "kserve-huggingfaceserver"

    return edit


@pytest.fixture(scope="module")
def gcp_prod_acme(tmp_path_factory: pytest.TempPathFactory) -> dict[str, StackPlan]:
    """gcp-prod with the acme-vllm runtime in qwen-chat's namespace and one warm l4 node: qwen-chat auto-selected onto
    it, and the control naming kserve-huggingfaceserver."""
    return {
        k: _plan_copy(tmp_path_factory.mktemp(k), "gcp-prod", _gcp_prod_with_acme(k == "named"))
        for k in ("auto", "named")
    }


def _isvc(plan: StackPlan, name: str) -> dict[str, Any]:
    [r] = [r for r in plan.result.of_type("kubernetes:serving.kserve.io/v1beta1:InferenceService") if r.name == name]
    return r.plain_inputs()  # type: ignore[no-any-return]


def _warm_inits(plan: StackPlan) -> list[str]:
    [dep] = [
        r.wire_inputs()
        for r in plan.result.resources
        if r.type == "kubernetes:apps/v1:Deployment" and r.wire_inputs()["metadata"]["name"] == "warm-l4"
    ]
    return [c["image"] for c in dep["spec"]["template"]["spec"]["containers"] if c["name"].startswith("prepull-")]


def test_the_plan_of_a_stack_whose_runtime_serves_the_llm(gcp_prod_acme: dict[str, StackPlan]) -> None:
    """The whole plan: qwen-chat's rendered args, its deadline annotation and timeout, the warm node's pre-pull and
    the plan's coldStart all follow the stack runtime KServe auto-selects; naming KServe's server changes nothing."""
    shipped = planned("gcp-prod")
    auto, named = gcp_prod_acme["auto"], gcp_prod_acme["named"]
    args = _isvc(auto, "qwen-chat-isvc")["spec"]["predictor"]["model"].get("args", [])
    assert not any("runai_streamer" in a for a in args)
    est = {k: {e.model: e for e in cold_start(p)}["qwen-chat"] for k, p in gcp_prod_acme.items()}
    base = {e.model: e for e in cold_start(shipped)}["qwen-chat"]
    assert est["named"].from_zero == base.from_zero
    steps = [(s.step, s.minutes, s.slow) for s in est["auto"].from_zero.steps]
    assert steps[3] == (f"image pull (stack runtime acme-vllm: {ACME_IMAGE}, 15.5 GB at 4.7 GB/min)", 3.3, 7.75)
    assert steps[5][0] == "load (huggingface, 3.1 GB of weights with vLLM's auto loader at 20 GB/min above 3.67 GB)"
    assert [s.step for s in base.from_zero.steps][5].endswith("runai_streamer loader at 66.95 GB/min above 3.67 GB)")
    annotation = "mlplatform.io/cold-start-seconds"
    deadlines = {
        k: int(_isvc(p, "qwen-chat-isvc")["metadata"]["annotations"][annotation])
        for k, p in {"shipped": shipped, **gcp_prod_acme}.items()
    }
    # slow ends, shipped and named: 0.5 + 8.0 + 3.0 + 12 GB at 2.0 = 6.0 + 3.1 GB at 1.0 = 3.1 + 2.3 (vLLM's start at
    # its slow end, rev16f D9) + 0.25 = 23.15 min; auto: the image of the default class, 15.5 GB at 2.0 = 7.75, so 24.9
    assert (base.from_zero.high, est["named"].from_zero.high, est["auto"].from_zero.high) == (23.15, 23.15, 24.9)
    assert deadlines == {"shipped": 1389, "named": 1389, "auto": 1494}
    assert _timeout(named, "qwen-chat-isvc") == _timeout(shipped, "qwen-chat-isvc")
    assert _timeout(auto, "qwen-chat-isvc") == deadlines["auto"] + 300
    assert ACME_IMAGE in _warm_inits(auto) and HF_GPU_IMAGE not in _warm_inits(auto)
    assert HF_GPU_IMAGE in _warm_inits(named) and ACME_IMAGE not in _warm_inits(named)
    # the deploy's critical path counts the same model start (components/deploytime.py): from zero (l4 minNodes 0),
    # auto: 0.5 + 5.5 + 1.0 + 3.3 + 3.1 GB hf:// at 2.4 = 1.29 + 1.5 + 0.21 = 13.3; named: the streamed pull 0.33, 10.33
    starts = {}
    for k, p in gcp_prod_acme.items():
        own = deploytime._Schedule(p.result, deploytime.load()).own
        [isvc] = [r for r in p.result.resources if r.name == "qwen-chat-isvc"]
        entry = own[isvc.urn]
        assert entry is not None
        starts[k] = entry.source.split("; model start ")[1].split(":")[0]
    assert starts == {"auto": "fromZero 13.3 min (high 24.9)", "named": "fromZero 10.33 min (high 23.15)"}
    warm = {k: e.warm_node.steps[0].step for k, e in est.items()}
    assert warm == {
        "auto": f"image pre-pulled on the warm node ({ACME_IMAGE})",
        "named": f"image pre-pulled on the warm node ({HF_GPU_IMAGE})",
    }
