"""A Knative InferenceService field of a shape the platform never renders (a tampered plan) is a policy failure with
one message, never a traceback: rev14e defect 7 (``mlplatform check`` exited 70 with "AttributeError: 'bool' object has
no attribute 'get'" from components/serving/timeouts.py, reached from timeouts-cover-cold-start; red team #17d F1 had
guarded llm-model-size-given only). The cases are every field whose tampering raised on main 20d27da, found by setting
each field of aws-dev's two InferenceServices to true, [], "x", {"a": 1}, [{}], null and 1.5 and running every rule
(model-inference-api-only raised too, from components/serving/requestpath.py ``model_of``)."""

from __future__ import annotations

from typing import Any

import pytest

from policy.rules import Resource, StackSettings, resources_from_plan, run_rules
from support import ROOT, mutated_resources, shared_cache, shipped_plan


@shared_cache
def _aws_dev() -> tuple[tuple[Resource, ...], StackSettings]:
    from components.plan.project import load_project, read_stack_file

    settings = StackSettings.from_config(read_stack_file(load_project(ROOT), "aws-dev").config)
    return tuple(resources_from_plan(shipped_plan("aws-dev").result)), settings


def _failures(isvc: str, path: tuple[str, ...], value: Any) -> dict[str, list[str]]:
    resources, settings = _aws_dev()

    def change(props: dict[str, Any]) -> None:
        target = props
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    def pick(r: Resource) -> bool:
        return r.type.endswith(":InferenceService") and r.name == f"{isvc}-isvc"

    out: dict[str, list[str]] = {}
    for e in run_rules(mutated_resources(resources, pick, change, exactly=1), settings):
        if not e["passed"]:
            out.setdefault(e["policy"], []).append(e["message"])
    return out


RULE = "timeouts-cover-cold-start"
END = ": the timeout chain cannot be judged against the cold start"


@pytest.mark.parametrize(
    ("isvc", "path", "value", "message"),
    [
        ("resnet50", ("spec", "predictor", "model", "resources"), True, "spec.predictor.model.resources must be a map"),
        (
            "sklearn-iris",
            ("spec", "predictor", "model", "resources"),
            [],
            "spec.predictor.model.resources must be a map",
        ),
        (
            "resnet50",
            ("spec", "predictor", "model", "resources"),
            {"limits": []},
            "spec.predictor.model.resources.limits must be a map",
        ),
        (
            "resnet50",
            ("spec", "predictor", "model", "resources", "limits", "nvidia.com/gpu"),
            "x",
            "spec.predictor.model.resources.limits.nvidia.com/gpu must be a whole number, not 'x'",
        ),
        ("resnet50", ("spec", "predictor", "model"), True, "spec.predictor.model must be a map"),
        ("resnet50", ("spec", "predictor"), "x", "spec.predictor must be a map"),
        ("sklearn-iris", ("spec",), [], "spec must be a map"),
        (
            "resnet50",
            ("spec", "predictor", "minReplicas"),
            "x",
            "spec.predictor.minReplicas must be a whole number, not 'x'",
        ),
        ("resnet50", ("spec", "predictor", "timeout"), [], "spec.predictor.timeout must be a whole number, not []"),
        (
            "resnet50",
            ("metadata", "annotations", "mlplatform.io/cold-start-seconds"),
            {"a": 1},
            "metadata.annotations.mlplatform.io/cold-start-seconds must be a whole number, not {'a': 1}",
        ),
        (
            "sklearn-iris",
            ("metadata", "annotations", "serving.knative.dev/progress-deadline"),
            True,
            "metadata.annotations.serving.knative.dev/progress-deadline True is not a duration",
        ),
        (
            "sklearn-iris",
            ("metadata", "annotations", "pulumi.com/timeoutSeconds"),
            "x",
            "metadata.annotations.pulumi.com/timeoutSeconds must be a whole number, not 'x'",
        ),
    ],
)
def test_a_tampered_field_fails_the_timeout_rule_in_one_line(isvc: str, path: Any, value: Any, message: str) -> None:
    found = _failures(isvc, path, value)
    assert found[RULE] == [f"models/{isvc}: {message}{END}"]


@pytest.mark.parametrize(
    ("path", "value", "error"),
    [
        (("metadata", "labels"), True, "'bool' object has no attribute 'get'"),  # requestpath.model_of
        (
            ("spec", "predictor", "model", "modelFormat"),
            "x",
            "'str' object has no attribute 'get'",
        ),  # inference_requests
        (("spec", "predictor", "model"), [], "'list' object has no attribute 'get'"),
    ],
)
def test_a_tampered_field_read_by_the_request_path_is_a_finding(path: Any, value: Any, error: str) -> None:
    # raised AttributeError on main (policy/rules/network.py caught KeyError, TypeError and ValueError only)
    found = _failures("resnet50", path, value)
    assert found["model-inference-api-only"] == [
        f"model models/resnet50: its policies use what this rule does not evaluate ({error})"
    ]


def test_a_host_annotation_that_is_not_text_is_read_as_text() -> None:
    # a list host raised TypeError (unhashable) in timeouts._hosts on main; the host is only compared with routes'
    # (the request-path rules fail closed on it: their own findings, not this rule's)
    assert RULE not in _failures("resnet50", ("metadata", "annotations", "mlplatform.io/host"), [{}])
