"""KServe v0.20.0's runtime selection over the ClusterServingRuntimes we install: every model gets a runtime.

Upstream: pkg/apis/serving/v1beta1/predictor_model.go and components/predictor.go (reconcileModel) at kserve/kserve
v0.20.0; the runtimes are charts/kserve-runtime-configs/files/runtimes/resources.yaml at v0.20.0
(upstream/reference/kserve-v0.20.0-clusterservingruntimes.yaml).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from serving_support import ISVC, model, plan
from stacks_support import every_stack_isvc
from test_model_errors import BASE

from components.errors import SpecError
from components.serving import runtimes
from components.serving.spec import FORMATS, ModelSpec, runtimes_problem
from support import plan_config, upstream_dir


def upstream_runtimes() -> tuple[runtimes.Runtime, ...]:
    """The ClusterServingRuntimes of the upstream file, in the shape of :data:`runtimes.RUNTIMES`."""
    path = upstream_dir() / "reference" / "kserve-v0.20.0-clusterservingruntimes.yaml"
    out = []
    for doc in yaml.safe_load_all(path.read_text()):
        if not doc or doc.get("kind") != "ClusterServingRuntime":
            continue
        spec: dict[str, Any] = doc["spec"]
        formats = tuple(
            runtimes.Format(f["name"], f.get("version"), bool(f.get("autoSelect")), f.get("priority"))
            for f in spec.get("supportedModelFormats", [])
        )
        out.append(
            runtimes.Runtime(
                doc["metadata"]["name"],
                formats,
                tuple(spec.get("protocolVersions") or ()),
                bool(spec.get("multiModel")),
                spec.get("workerSpec") is not None,
                bool(spec.get("disabled")),
            )
        )
    return tuple(sorted(out, key=lambda r: r.name))


def test_the_table_is_the_upstream_file() -> None:
    assert tuple(sorted(runtimes.RUNTIMES, key=lambda r: r.name)) == upstream_runtimes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_gets_a_runtime_with_its_default_protocol(fmt: str) -> None:
    spec = ModelSpec.model_validate(model(format=fmt))
    protocol = None if spec.effective_protocol == "openai" else spec.effective_protocol
    name, why = runtimes.select(fmt, protocol)
    assert why is None and name is not None, (fmt, spec.effective_protocol, why)


def test_onnx_defaults_to_v2_and_is_served_by_triton() -> None:
    # Regression (issue 12.4): onnx defaulted to v1, and only kserve-tritonserver auto-selects onnx (v2, grpc-v2).
    p = plan(model(format="onnx"))
    assert p.predictor()["model"]["protocolVersion"] == "v2"
    assert runtimes.select("onnx", "v2") == ("kserve-tritonserver", None)


@pytest.mark.parametrize(
    ("fmt", "protocol", "expected"),
    [
        ("sklearn", "v1", "kserve-sklearnserver"),
        # mlserver lists sklearn/xgboost/lightgbm at priority 2, the dedicated servers at 1: higher wins
        ("sklearn", "v2", "kserve-mlserver"),
        ("xgboost", "v2", "kserve-mlserver"),
        ("lightgbm", "v1", "kserve-lgbserver"),
        ("tensorflow", "v1", "kserve-tensorflow-serving"),
        ("tensorflow", "v2", "kserve-tritonserver"),
        ("pytorch", "v2", "kserve-torchserve"),
        ("triton", "v2", "kserve-tritonserver"),
        ("huggingface", None, "kserve-huggingfaceserver"),
    ],
)
def test_selection_follows_kserve(fmt: str, protocol: str | None, expected: str) -> None:
    assert runtimes.select(fmt, protocol) == (expected, None)


def test_explicit_runtime_ignores_auto_select_but_not_the_protocol() -> None:
    # triton lists pytorch without autoSelect: reachable only by name, and only over v2
    assert runtimes.select("pytorch", "v2", "kserve-tritonserver") == ("kserve-tritonserver", None)
    assert runtimes.select("pytorch", "v1", "kserve-tritonserver")[1] == (
        "runtime kserve-tritonserver serves protocol v2, grpc-v2, not v1"
    )
    assert runtimes.select("onnx", None, "my-own-runtime") == ("my-own-runtime", None)


def test_model_no_runtime_serves_is_refused_in_one_line_by_modelservice() -> None:
    with pytest.raises(SpecError) as info:
        plan(model(format="onnx", protocol="v1"))
    assert str(info.value) == (
        "format: onnx is not allowed; no KServe v0.20.0 runtime serves format onnx over protocol v1; give protocol v2"
    )


def test_model_no_runtime_serves_is_refused_before_registration_in_the_stack() -> None:
    with pytest.raises(SpecError) as info:
        plan_config({**BASE, "models": {"iris": model(format="onnx", protocol="v1")}})
    assert str(info.value) == (
        "stacks/Pulumi.test.yaml: mlplatform:models.iris.format: onnx is not allowed; no KServe v0.20.0 runtime "
        "serves format onnx over protocol v1; give protocol v2"
    )


def test_every_shipped_model_gets_a_runtime() -> None:
    checked = 0
    for stack, isvc in every_stack_isvc():
        mdl = isvc["spec"]["predictor"]["model"]
        _, why = runtimes.select(mdl["modelFormat"]["name"], mdl.get("protocolVersion"), mdl.get("runtime"))
        assert why is None, (stack, isvc["metadata"]["name"], why)
        checked += 1
    assert checked >= 8


def test_runtimes_problem_is_none_for_the_sample() -> None:
    assert runtimes_problem(ModelSpec.model_validate(model())) is None
    assert plan(model()).one(ISVC)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("protocol", [None, "v1", "v2", "grpc-v1", "grpc-v2"])
def test_the_winner_never_rests_on_creation_time_or_name(fmt: str, protocol: str | None) -> None:
    # KServe orders equal-protocol runtimes by newer creationTimestamp, then name (sortClusterServingRuntimeList),
    # and both sorts are sort.Slice (unstable): only a unique top priority makes the winner certain.
    found = runtimes.candidates(fmt, protocol)
    if len(found) > 1:
        top = found[0].priority(fmt)
        assert [r.name for r in found if r.priority(fmt) == top] == [found[0].name]


def test_server_flags_are_the_upstream_runtime_args() -> None:
    """SERVER_FLAGS (what a model's args may not override) are the ``--flags`` of each runtime container's args."""
    path = upstream_dir() / "reference" / "kserve-v0.20.0-clusterservingruntimes.yaml"
    upstream: dict[str, tuple[str, ...]] = {}
    for doc in yaml.safe_load_all(path.read_text()):
        if not doc or doc.get("kind") != "ClusterServingRuntime":
            continue
        args = doc["spec"]["containers"][0].get("args") or []
        upstream[doc["metadata"]["name"]] = tuple(a.split("=", 1)[0] for a in args if a.startswith("--"))
    assert upstream == runtimes.SERVER_FLAGS
