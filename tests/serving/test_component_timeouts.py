"""A transformer's or explainer's ``timeout`` covers what its request waits for from zero (fixt14).

KServe v0.20.0 sets each component's Knative revision ``timeoutSeconds`` and ``responseStartTimeoutSeconds`` from its
own ``timeout`` (pkg/controller/v1beta1/inferenceservice/reconcilers/knative/ksvc_reconciler.go:
``TimeoutSeconds: componentExtension.TimeoutSeconds``), Knative's 300 s defaults when it gives none (knative/serving
1.21 config/core/configmaps/defaults.yaml), and the activator holds the whole request to it, the wait for a pod
included (cmd/activator/main.go). A request through a component waits for the component's pod when it is at zero,
then, in its call to ``--predictor_host`` (components/transformer.go, explainer.go), for the predictor's cold start
when the predictor is at zero. Every test here fails on main 49c0ccf but the one that holds what was already so
(a predictor behind a component is never at zero here). Since rev14i N5 a component at one replica no longer keeps
Knative's 300 s default: it gets the predictor's timeout, as in Standard mode.
"""

from __future__ import annotations

from typing import Any

import pytest
from serving_support import model, plan

from components.errors import SpecError
from components.serving import timeouts
from components.spec import SpecInvalid

ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
TRANSFORMER = {"container": {"image": "ghcr.io/acme/pre:1.0", "command": ["python", "-m", "pre"]}}


@pytest.mark.parametrize("key", ["transformer", "explainer"])
def test_a_component_at_zero_without_a_timeout_gets_its_start_plus_the_predictors(key: str) -> None:
    # 49c0ccf rendered no timeout: Knative's 300 s cut the first request while the component's pod started (600 s
    # budget); since rev14i N5 its own start is added to the predictor's timeout (a CPU model's: 600 + 300 s)
    p = plan(model(**{key: {**TRANSFORMER, "scaling": {"minReplicas": 0}}}))
    isvc = p.inputs(ISVC)
    assert isvc["spec"]["predictor"]["timeout"] == 900
    assert isvc["spec"][key]["timeout"] == 600 + 900
    assert timeouts.problems(isvc) == []


# rev14i N5: a Knative-mode transformer or explainer at minReplicas >= 1 got no ``timeout``, so KServe v0.20.0 left its
# revision's timeoutSeconds unset (reconcilers/knative/ksvc_reconciler.go L207-L212) and Knative's
# revision-timeout-seconds, 300 (knative/serving knative-v1.21.3 config/core/configmaps/defaults.yaml), cut a request
# through it, while the predictor allowed its whole timeout and a Standard-mode transformer gets the predictor's.
@pytest.mark.parametrize("key", ["transformer", "explainer"])
def test_a_component_at_one_gets_the_predictors_timeout_in_both_modes(key: str) -> None:
    component = {**TRANSFORMER, "scaling": {"minReplicas": 1}}
    knative = plan(model(**{key: component})).inputs(ISVC)["spec"]
    assert knative["predictor"]["timeout"] == 900
    assert knative[key]["timeout"] == 900
    standard = plan(model(**{key: component}), deployment_mode="Standard").inputs(ISVC)["spec"]
    assert standard[key]["timeout"] == knative[key]["timeout"] == standard["predictor"]["timeout"]


@pytest.mark.parametrize(
    ("predictor_timeout", "component_min", "rendered"),
    [
        (1200, 1, 1200),  # the model's own timeout, the predictor's, is the component's
        (300, 1, 300),
        (120, 1, 300),  # never below Knative's own 300 s: the old default, so no component is cut sooner than it was
        (1200, 0, 1800),  # 600 s of its own start + 1200 s, at most max-revision-timeout-seconds
        (1199, 0, 1799),
        (120, 0, 900),  # its own start + a request (the floor the chain holds it to)
    ],
)
def test_a_component_default_follows_the_predictors_given_timeout(
    predictor_timeout: int, component_min: int, rendered: int
) -> None:
    spec = model(timeout=predictor_timeout, transformer={**TRANSFORMER, "scaling": {"minReplicas": component_min}})
    isvc = plan(spec).inputs(ISVC)
    assert isvc["spec"]["transformer"]["timeout"] == rendered
    assert timeouts.problems(isvc) == []


def test_a_predictor_behind_a_component_is_never_at_zero_in_knative_mode() -> None:
    # Why the ModelSpec floor of a component stays its own start: the predictor's cold start cannot be on a
    # component's request path of a model we render (kcomponents.components_platform_problems).
    with pytest.raises((SpecInvalid, SpecError)) as e:
        plan(model(scaling={"minReplicas": 0}, transformer=TRANSFORMER))
    assert str(e.value).endswith(
        "scaling.minReplicas: 0 is not allowed; the transformer calls the predictor by its mesh identity, which "
        "Knative's activator would hide at zero; give >= 1"
    )


def _isvc(component: dict[str, Any], predictor_min: int, key: str = "transformer") -> dict[str, Any]:
    """A rendered Knative-mode InferenceService with a GPU predictor whose cold start from zero is 1000 s and whose own
    chain covers it (so only the component is judged)."""
    return {
        "metadata": {
            "name": "trz",
            "namespace": "models",
            "annotations": {
                "serving.knative.dev/progress-deadline": "1000s",
                "mlplatform.io/cold-start-seconds": "1000",
            },
        },
        "spec": {
            "predictor": {
                "minReplicas": predictor_min,
                "timeout": 1300,
                "model": {"resources": {"limits": {"nvidia.com/gpu": 1}}},
            },
            key: {"containers": [{"name": "kserve-container"}], **component},
        },
    }


@pytest.mark.parametrize("key", ["transformer", "explainer"])
def test_the_rule_holds_a_component_to_the_predictors_cold_start_at_zero(key: str) -> None:
    # main judged only the component's own start: a transformer at one replica with Knative's 300 s passed while its
    # request to a predictor at zero waits 1000 s for the GPU node, image and model
    assert timeouts.problems(_isvc({"minReplicas": 1}, 0, key)) == [
        f"models/trz: {key} timeout 300s < cold start 1000s (the predictor's 1000s) + request 300s",
        f"models/trz: {key} timeout 300s < cold start 1000s (the predictor's 1000s)",
    ]
    assert timeouts.problems(_isvc({"minReplicas": 1, "timeout": 1200}, 0, key)) == [
        f"models/trz: {key} timeout 1200s < cold start 1000s (the predictor's 1000s) + request 300s",
    ]
    assert timeouts.problems(_isvc({"minReplicas": 1, "timeout": 1300}, 0, key)) == []
    assert timeouts.problems(_isvc({"minReplicas": 1}, 1, key)) == []  # the predictor never at zero


def test_the_rule_adds_both_starts_when_both_can_be_at_zero() -> None:
    # Knative scales the predictor only when the transformer's request reaches it: the waits add up; at the
    # platform's max-revision-timeout-seconds (1800) the + request part is not asked for (as for the predictor)
    both = "cold start 1600s (its own 600s + the predictor's 1000s)"
    assert timeouts.problems(_isvc({"minReplicas": 0, "timeout": 1700}, 0)) == [
        f"models/trz: transformer timeout 1700s < {both} + request 300s"
    ]
    assert timeouts.problems(_isvc({"minReplicas": 0, "timeout": 1800}, 0)) == []


def test_the_rule_judges_a_component_at_zero_without_a_timeout() -> None:
    # main skipped a component without a timeout; Knative's 300 s default is shorter than its 600 s start
    assert timeouts.problems(_isvc({"minReplicas": 0}, 1)) == [
        "models/trz: transformer timeout 300s < cold start 600s (its own 600s) + request 300s",
        "models/trz: transformer timeout 300s < cold start 600s (its own 600s)",
    ]
