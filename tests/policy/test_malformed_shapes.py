"""A planned resource of a malformed shape (a map where a list belongs, a list where text belongs) is a policy
failure with a message, never a traceback (red team #17d F1, F2: ``mlplatform check`` exited 70)."""

from __future__ import annotations

from typing import Any

import pytest

from policy.rules import run_rules
from support import cover_plan, mutated_resources


def _chat(r: Any) -> bool:
    return r.type.endswith(":InferenceService") and r.name == "chat-isvc"


def _failures(change: Any) -> dict[str, list[str]]:
    resources, settings = cover_plan("cover-gcp-standard")
    out: dict[str, list[str]] = {}
    for e in run_rules(mutated_resources(resources, _chat, change, exactly=1), settings):
        if not e["passed"]:
            out.setdefault(e["policy"], []).append(e["message"])
    return out


def _model(props: dict[str, Any]) -> dict[str, Any]:
    model: dict[str, Any] = props["spec"]["predictor"]["model"]
    return model


def test_resources_not_a_map_fails_llm_model_size_given() -> None:
    found = _failures(lambda p: _model(p).update(resources=True))
    assert found["llm-model-size-given"] == [
        "models/chat: spec.predictor.model.resources (and its limits) must be a map: its GPUs, which decide whether "
        "the model's size is needed, cannot be read"
    ]


@pytest.mark.parametrize("bad", [[], [{}], {"a": 1}])
def test_an_arg_that_is_not_text_fails_the_request_path_rule(bad: Any) -> None:
    def change(props: dict[str, Any]) -> None:
        _model(props)["args"] = ["--max-model-len=4096", bad]

    found = _failures(change)
    assert any(
        m.endswith("its policies use what this rule does not evaluate (spec.predictor.model.args is not a list of "
                   "strings)")
        for m in found["model-inference-api-only"]
    ), found  # fmt: skip
