"""The stack-file and Python API breaks red team #14e found (/work/wt/red14e-report.md, items 5-9): vLLM flags for
another runtime's server, template text in a stack runtime's probe paths, KServe's agent port on a component,
a collocated transformer's own placement, and argument strings longer than Linux passes."""

from __future__ import annotations

from typing import Any

import pytest
from serving_support import ISVC, JWT, L4X4_POOL, FakeCluster, model

from components.errors import SpecError
from components.platform.handles import PlatformHandles
from components.serving.model_service import ModelService, ModelServiceArgs
from components.serving.spec import ModelSpec
from components.serving.stack_runtime import RuntimeSpec
from support import run

GPU = {"cpu": "4", "memory": "16Gi", "gpus": 1, "accelerator": "nvidia-l4"}
LLM = model(
    format="huggingface",
    storageUri="hf://Qwen/Qwen2.5-1.5B-Instruct",
    publicStorage=False,
    resources=GPU,
    modelSizeGb=1,
    access={"jwt": JWT},
)
ACME_HF: dict[str, Any] = {
    "formats": [{"name": "huggingface", "autoSelect": True, "priority": 9}],
    "container": {"image": "ghcr.io/acme/tgi:1.0", "port": {"number": 8080}},
}
"""runB.py H01-H03: a stack runtime serving huggingface with a server of its own (not KServe's)."""


def _args(spec: dict[str, Any], runtimes: dict[str, Any]) -> list[str] | None:
    """The model server's rendered ``args`` of ``spec`` planned with the stack's ``runtimes``."""

    def program() -> None:
        platform = PlatformHandles(cluster=FakeCluster(pools={"l4x4": L4X4_POOL}), domain="models.example.com")
        stack = {k: RuntimeSpec.model_validate(v) for k, v in runtimes.items()}
        ModelService("chat", ModelServiceArgs(platform=platform, spec=ModelSpec.model_validate(spec), runtimes=stack))

    result = run(program)
    return result.one(ISVC).plain_inputs()["spec"]["predictor"]["model"].get("args")  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------------------ 5: vLLM flags


@pytest.mark.parametrize(
    ("spec", "runtimes"),
    [
        (model(**{**LLM, "runtime": "acme"}), {"acme": ACME_HF}),  # H02/H03: named
        (LLM, {"acme": ACME_HF}),  # H01: auto-selected (the namespace's runtimes come first, priority 9)
    ],
    ids=["named", "auto-selected"],
)
def test_another_runtimes_server_gets_no_vllm_flags(spec: dict[str, Any], runtimes: dict[str, Any]) -> None:
    # docs/components/model-service.md: --backend=vllm, --tensor-parallel-size and --load-format=runai_streamer are
    # KServe's Hugging Face server's; acme's server was passed them though the manifest did not ask for them
    assert _args({**spec, "args": ["--port=8080"]}, runtimes) == ["--port=8080"]


def test_kserves_hugging_face_server_still_gets_them_beside_a_runtime_of_another_namespace() -> None:
    assert _args(LLM, {"acme": {**ACME_HF, "namespace": "team-a"}}) == [
        "--backend=vllm",
        "--tensor-parallel-size=1",
        "--load-format=runai_streamer",
    ]
    # named explicitly, though the namespace's own runtime would be auto-selected
    assert _args({**LLM, "runtime": "kserve-huggingfaceserver"}, {"acme": ACME_HF}) == [
        "--backend=vllm",
        "--tensor-parallel-size=1",
        "--load-format=runai_streamer",
    ]


def test_a_model_naming_another_runtime_may_give_its_own_backend_flag() -> None:
    # mlplatform sets no --backend for that runtime's server, so the model's own is no override
    spec = ModelSpec.model_validate({**LLM, "runtime": "acme", "args": ["--backend=tgi"]})
    assert spec.args == ["--backend=tgi"]
    assert _args({**LLM, "runtime": "acme", "args": ["--backend=tgi"]}, {"acme": ACME_HF}) == ["--backend=tgi"]
    with pytest.raises(SpecError) as e:  # on KServe's Hugging Face server it would override mlplatform's
        ModelSpec.model_validate({**LLM, "args": ["--backend=tgi"]})
    assert str(e.value).startswith("ModelSpec.args.0: --backend=tgi is not allowed; ")


# ------------------------------------------------------------------------------------------------ 6: probe paths

SKLEARN_RT: dict[str, Any] = {
    "formats": [{"name": "sklearn", "autoSelect": True, "priority": 5}],
    "container": {"image": "ghcr.io/acme/sklearn-server:1.4", "port": {"number": 8080}},
}


@pytest.mark.parametrize(
    ("probe", "path", "why"),
    [
        ("readinessProbe", "/{{", "'{{' that opens no {{.Field}} placeholder"),
        ("livenessProbe", "/{{.Nope}}", "{{.Nope}}, which names no field of ObjectMeta"),
        ("startupProbe", "/x}}{{", "'{{' that opens no {{.Field}} placeholder"),
    ],
)
def test_template_text_in_a_runtime_probe_path_is_refused(probe: str, path: str, why: str) -> None:
    # kserve v0.20.0 pkg/controller/v1beta1/inferenceservice/utils/utils.go ReplacePlaceholders: json.Marshal of the
    # whole container (probes included), then text/template Parse and Execute
    spec = {**SKLEARN_RT, "container": {**SKLEARN_RT["container"], probe: {"path": path}}}
    with pytest.raises(SpecError) as e:
        RuntimeSpec.model_validate(spec)
    assert str(e.value) == (
        f"RuntimeSpec.container.{probe}.path: {path} is not allowed; KServe fills a runtime container's placeholders "
        f"from the InferenceService's metadata (ReplacePlaceholders, a Go template) and fails on {why}; give "
        "{{.Name}}, {{.Namespace}} or another ObjectMeta field, or no '{{'"
    )


def test_a_probe_path_with_a_placeholder_kserve_fills_is_accepted() -> None:
    spec = {**SKLEARN_RT, "container": {**SKLEARN_RT["container"], "readinessProbe": {"path": "/v1/models/{{.Name}}"}}}
    probe = RuntimeSpec.model_validate(spec).container.readiness_probe
    assert probe is not None and probe.path == "/v1/models/{{.Name}}"


# ------------------------------------------------------------------------------------------------ 7: agent port

AGENT_LINE = "KServe's agent (batcher, logger) serves on 9081; give another"


def test_a_logging_transformer_on_the_agent_port_is_refused() -> None:
    # runB2.py K01: KServe v0.20.0 injects its agent, on 9081, into the pods of a component with a logger
    # (pkg/webhook/admission/pod/agent_injector.go)
    transformer = {
        "container": {"image": "ghcr.io/acme/t:1.0", "port": {"number": 9081}},
        "args": ["--http_port=9081"],
        "logger": {"mode": "all"},
    }
    with pytest.raises(SpecError) as e:
        ModelSpec.model_validate(model(transformer=transformer))
    assert str(e.value) == f"ModelSpec.transformer.container.port.number: 9081 is not allowed; {AGENT_LINE}"
    del transformer["logger"]  # no agent in its pods: the port is free
    assert ModelSpec.model_validate(model(transformer=transformer)).transformer is not None


def test_a_collocated_transformer_on_the_agent_port_of_a_logging_model_is_refused() -> None:
    # runB2.py K03: the transformer-container is in the predictor's pod, where the model's logger puts the agent
    spec = model(
        container={"image": "ghcr.io/acme/srv:1.0", "port": {"number": 8085}},
        transformer={
            "collocated": True,
            "container": {"image": "ghcr.io/acme/t:1.0", "port": {"number": 9081}},
            "args": ["--http_port=9081", "--predictor_host=localhost:8085"],
        },
        logger={"mode": "all"},
    )
    spec.pop("format", None)
    with pytest.raises(SpecError) as e:
        ModelSpec.model_validate(spec)
    assert str(e.value) == f"ModelSpec.transformer.container.port.number: 9081 is not allowed; {AGENT_LINE}"


# ------------------------------------------------------------------------------------------------ 8: collocated


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("nodeSelector", {"pool": "other"}, "{pool: other}"),
        (
            "tolerations",
            [{"key": "dedicated", "value": "ml", "effect": "NoSchedule"}],
            "[{key: dedicated, value: ml, effect: NoSchedule}]",
        ),
    ],
)
def test_a_collocated_transformers_own_placement_is_refused(key: str, value: Any, shown: str) -> None:
    # runB.py N12, runB5.py N13/N14: accepted and rendered nowhere (the transformer-container runs in the
    # predictor's pod, placed by the model's nodeSelector and tolerations)
    spec = model(
        container={"image": "ghcr.io/acme/srv:1.0", "port": {"number": 8085}},
        transformer={
            "collocated": True,
            "container": {"image": "ghcr.io/acme/t:1.0"},
            "args": ["--predictor_host=localhost:8085"],
            key: value,
        },
    )
    spec.pop("format", None)
    with pytest.raises(SpecError) as e:
        ModelSpec.model_validate(spec)
    assert str(e.value) == (
        f"ModelSpec.transformer.{key}: {shown} is not allowed; a collocated transformer shares the predictor's pods "
        "and their settings; remove it"
    )


# ------------------------------------------------------------------------------------------------ 9: Linux's bound

LONG = "--x=" + "a" * 200000
TOO_LONG = "(200004 bytes) is not allowed; give at most 131071 bytes (Linux)"


def test_an_argument_longer_than_linux_passes_is_refused_on_a_model() -> None:
    # runB4.py L01: MAX_ARG_STRLEN (include/uapi/linux/binfmts.h, torvalds/linux) bounds every execve string
    with pytest.raises(SpecError) as e:
        ModelSpec.model_validate(model(args=["--workers=2", LONG]))
    assert str(e.value) == f"ModelSpec.args.1: {TOO_LONG}"
    custom = model(container={"image": "ghcr.io/acme/srv:1.0", "command": ["python", LONG]})
    custom.pop("format", None)
    with pytest.raises(SpecError) as e:
        ModelSpec.model_validate(custom)
    assert str(e.value) == f"ModelSpec.container.command.1: {TOO_LONG}"
    # the longest one Linux takes: MAX_ARG_STRLEN with its terminating NUL
    assert ModelSpec.model_validate(model(args=["a" * 131071])).args == ["a" * 131071]


def test_an_argument_longer_than_linux_passes_is_refused_on_a_component() -> None:
    # runB4.py L02
    transformer = {"container": {"image": "ghcr.io/acme/t:1.0"}, "args": [LONG]}
    with pytest.raises(SpecError) as e:
        ModelSpec.model_validate(model(transformer=transformer))
    assert str(e.value) == f"ModelSpec.transformer.args.0: {TOO_LONG}"
    explainer = {"container": {"image": "ghcr.io/acme/e:1.0", "command": [LONG]}}
    with pytest.raises(SpecError) as e:
        ModelSpec.model_validate(model(explainer=explainer))
    assert str(e.value) == f"ModelSpec.explainer.container.command.0: {TOO_LONG}"


def test_an_argument_longer_than_linux_passes_is_refused_on_a_stack_runtime() -> None:
    # runB3.py E20
    with pytest.raises(SpecError) as e:
        RuntimeSpec.model_validate({**SKLEARN_RT, "args": [LONG]})
    assert str(e.value) == f"RuntimeSpec.args.0: {TOO_LONG}"
