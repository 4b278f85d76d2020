"""rev14i N6: a transformer's route may allow more than 600 s (its timeout defaults to the predictor's, 900 s for a CPU
model, rev14h defect 1 and rev14i N5), but a KServe Python transformer stops its own call to the predictor at
``--predictor_request_timeout_seconds``, 600 without it (kserve v0.20.0 python/kserve/kserve/model_server.py:178-183,
predictor_config.py:26, model.py:292-297 ``RESTConfig(timeout=self.predictor_config.timeout)``). The plan now warns
in one line when the transformer looks like one (a ``kserve/`` image, or a kserve parser option in its args) and its
args do not give at least its timeout. Every warning case here fails on main (no such warning)."""

from __future__ import annotations

from typing import Any

import pytest
from serving_support import model, plan

KSERVE_IMAGE = {"image": "kserve/image-transformer:v0.20.0"}
OWN_IMAGE = {"image": "ghcr.io/acme/pre:1.0", "command": ["python", "-m", "pre"]}


def _warnings(transformer: dict[str, Any], **spec: Any) -> list[str]:
    p = plan(model(transformer=transformer, **spec))
    return [w for w in p.result.warnings if "predictor_request_timeout_seconds" in w]


def test_a_kserve_transformer_past_600_seconds_is_a_plan_warning() -> None:
    assert _warnings({"container": KSERVE_IMAGE}) == [
        "model models/iris: transformer timeout 900 s, but a KServe Python transformer (image "
        "kserve/image-transformer:v0.20.0) stops its call to the predictor at --predictor_request_timeout_seconds "
        "600 s (kserve v0.20.0 model_server.py); give transformer.args --predictor_request_timeout_seconds=900"
    ]


@pytest.mark.parametrize(("given", "warned"), [("900", False), ("1800", False), ("899", True)])
def test_the_flag_at_the_timeout_or_more_ends_the_warning(given: str, warned: bool) -> None:
    args = [f"--predictor_request_timeout_seconds={given}"]
    found = _warnings({"container": KSERVE_IMAGE, "args": args})
    assert found == (
        [
            "model models/iris: transformer timeout 900 s, but a KServe Python transformer (image "
            "kserve/image-transformer:v0.20.0) stops its call to the predictor at "
            "--predictor_request_timeout_seconds 899 s (kserve v0.20.0 model_server.py); give transformer.args "
            "--predictor_request_timeout_seconds=900"
        ]
        if warned
        else []
    )


@pytest.mark.parametrize(("timeout", "warned"), [(600, False), (601, True)])
def test_only_a_timeout_past_600_seconds_warns(timeout: int, warned: bool) -> None:
    assert len(_warnings({"container": KSERVE_IMAGE, "timeout": timeout})) == (1 if warned else 0)


def test_a_kserve_option_in_the_args_marks_a_kserve_transformer() -> None:
    assert _warnings({"container": OWN_IMAGE}) == []
    # KServe appends these to every transformer (transformer_custom.go): they say nothing of the server
    assert _warnings({"container": OWN_IMAGE, "args": ["--model_name=iris", "--http_port=8080"]}) == []
    assert _warnings({"container": OWN_IMAGE, "args": ["--predictor_protocol", "v2"]}) == [
        "model models/iris: transformer timeout 900 s, but a KServe Python transformer (arg --predictor_protocol) "
        "stops its call to the predictor at --predictor_request_timeout_seconds 600 s (kserve v0.20.0 "
        "model_server.py); give transformer.args --predictor_request_timeout_seconds=900"
    ]


def test_standard_mode_warns_too() -> None:
    p = plan(model(transformer={"container": KSERVE_IMAGE}), deployment_mode="Standard")
    assert [w for w in p.result.warnings if "predictor_request_timeout_seconds" in w] != []
