"""What KServe v0.20.0's admission webhooks deny is refused in one line before anything is registered (rev14
defects 2, 3 and 4), and what they admit is rendered so that they admit it.

Sources (kserve/kserve at tag v0.20.0):
- pkg/validation/env_policy.go ``DefaultBlockedEnvVars`` (the whole list: ``PYTHONPATH``) and
  ``ValidateBlockedEnvVars`` ("setting %s in container %q is not allowed for security reasons"), called for every
  container of an InferenceService (pkg/apis/serving/v1beta1/inference_service_validation.go ``validateBlockedEnvVars``:
  predictor, transformer, explainer, init and worker containers, the ART container) and of a ServingRuntime
  (pkg/webhook/admission/servingruntime/servingruntime_webhook.go ``validateBlockedEnvVars``).
- inference_service_validation.go: the loop over predictor, transformer and explainer calls
  ``validateAutoScalingCompExtension(isvc.Annotations, ...)`` for each: in Knative mode under
  ``autoscaling.knative.dev/class: hpa.autoscaling.knative.dev`` a component's metric (cpu when not given) must be
  in ``AutoscalerAllowedHPAMetricsList`` (cpu, memory), otherwise (concurrency when not given) in
  ``AutoscalerAllowedKPAMetricsList`` (concurrency, rps) (pkg/constants/constants.go); in Standard mode under
  ``serving.kserve.io/autoscalerClass: keda`` ``validateScalingKedaCompExtension`` refuses any ``scaleMetric``
  ("ScaleMetric is not supported for KEDA") and admits ``autoScaling.metrics`` of type Resource (cpu: Utilization,
  1-100), which reconcilers/keda/keda_reconciler.go ``getKedaMetrics`` turns into the component's KEDA trigger.
"""

from __future__ import annotations

from typing import Any

import pytest
from serving_support import L4_POOL, model, plan

from components.errors import SpecError
from components.spec import SpecInvalid
from support import plan_config, validate_custom_resource

BASE: dict[str, Any] = {"cloud": "existing", "platform": {"domain": "models.example.com"}}
BLOCKED = (
    "is not allowed; KServe's admission refuses PYTHONPATH in every container (env_policy.go DefaultBlockedEnvVars); "
    "remove it"
)
RUNTIME: dict[str, Any] = {
    "formats": [{"name": "sklearn", "version": "1", "autoSelect": True, "priority": 5}],
    "container": {"image": "ghcr.io/acme/sklearn-server:1.4", "port": {"number": 8080}},
}
SECRET = {"secret": "s", "key": "k"}


def _error(cfg: dict[str, Any]) -> str:
    with pytest.raises(SpecError) as info:
        plan_config(cfg)
    return str(info.value)


@pytest.mark.parametrize(
    ("models", "runtimes", "where"),
    [
        ({"m": model(env={"PYTHONPATH": "/x"})}, {}, "models.m.env"),
        ({"m": model(secretEnv={"PYTHONPATH": SECRET})}, {}, "models.m.secretEnv"),
        (
            {"m": model(format=None, container={"image": "ghcr.io/acme/server:1"}, env={"PYTHONPATH": "/x"})},
            {},
            "models.m.env",
        ),
        ({"m": model(transformer={"container": {"image": "a/b:1"}, "env": {"PYTHONPATH": "/x"}})}, {}, None),
        ({"m": model(explainer={"container": {"image": "a/b:1"}, "secretEnv": {"PYTHONPATH": SECRET}})}, {}, None),
        ({"m": model(explainer={"art": {}, "env": {"PYTHONPATH": "/x"}})}, {}, "models.m.explainer.env"),
        ({}, {"acme": {**RUNTIME, "env": {"PYTHONPATH": "/x"}}}, "runtimes.acme.env"),
    ],
)
def test_an_env_name_kserve_blocks_is_refused_in_one_line(
    models: dict[str, Any], runtimes: dict[str, Any], where: str | None
) -> None:
    # rev14 defect 2: PYTHONPATH planned (rendered into the InferenceService and the ServingRuntime) and KServe's
    # webhook denied it at deploy
    cfg = {**BASE, "models": models, "runtimes": runtimes}
    if where is None:
        spec = next(iter(models.values()))
        kind = "transformer" if "transformer" in spec else "explainer"
        key = next(k for k in ("env", "secretEnv") if k in spec[kind])
        where = f"models.m.{kind}.{key}"
    assert _error(cfg) == f"stacks/Pulumi.test.yaml: mlplatform:{where}: PYTHONPATH {BLOCKED}"


# ------------------------------------------------------------------- autoscaler class of the whole InferenceService

TRANSFORMER: dict[str, Any] = {"container": {"image": "kserve/image-transformer:v0.20.0"}}
EXPLAINER: dict[str, Any] = {"container": {"image": "ghcr.io/acme/explainer:1"}}
HPA_METRICS = ("cpu", "memory")
KPA_METRICS = ("concurrency", "rps")


def _admitted(isvc: dict[str, Any]) -> list[str]:
    """KServe v0.20.0's validateAutoScalingCompExtension over every component of a rendered InferenceService, as
    inference_service_validation.go reads it (the errors it would answer)."""
    annotations = isvc["metadata"].get("annotations", {})
    out = []
    for key in ("predictor", "transformer", "explainer"):
        component = isvc["spec"].get(key)
        if component is None:
            continue
        metric = component.get("scaleMetric")
        if annotations.get("serving.kserve.io/deploymentMode") == "Standard":
            if annotations.get("serving.kserve.io/autoscalerClass") == "keda":
                if metric is not None:
                    out.append(f"{key}: ScaleMetric is not supported for KEDA")
                for m in (component.get("autoScaling") or {}).get("metrics", []):
                    target = (m.get("resource") or {}).get("target", {})
                    if (
                        m["type"] == "Resource"
                        and m["resource"]["name"] == "cpu"
                        and target.get("type") != "Utilization"
                    ):
                        out.append(f"{key}: the cpu target value type should be Utilization")
            elif (metric or "cpu") not in HPA_METRICS:
                out.append(f"{key}: [{metric}] is not a supported metric")
        elif annotations.get("autoscaling.knative.dev/class") == "hpa.autoscaling.knative.dev":
            if (metric or "cpu") not in HPA_METRICS:
                out.append(f"{key}: [{metric}] is not a supported metric")
        elif (metric or "concurrency") not in KPA_METRICS:
            out.append(f"{key}: [{metric}] is not a supported metric")
    return out


def _isvc(p: Any) -> dict[str, Any]:
    return next(o for o in p.revealed() if o["kind"] == "InferenceService")


@pytest.mark.parametrize("part", ["transformer", "explainer"])
def test_a_component_defaults_to_the_predictors_hpa_kind(part: str) -> None:
    # rev14 defect 3: predictor metric cpu (Knative's HPA class on the InferenceService) with a transformer rendered
    # scaleMetric concurrency: KServe answered "[concurrency] is not a supported metric"
    body = TRANSFORMER if part == "transformer" else EXPLAINER
    isvc = _isvc(plan(model(scaling={"minReplicas": 1, "metric": "cpu"}, **{part: body})))
    assert isvc["metadata"]["annotations"]["autoscaling.knative.dev/class"] == "hpa.autoscaling.knative.dev"
    assert (isvc["spec"][part]["scaleMetric"], isvc["spec"][part]["scaleTarget"]) == ("cpu", 80)
    assert _admitted(isvc) == []
    assert validate_custom_resource(isvc) == []


def test_a_component_keeps_the_kpa_default_under_a_kpa_predictor() -> None:
    isvc = _isvc(plan(model(transformer=TRANSFORMER)))
    assert "autoscaling.knative.dev/class" not in isvc["metadata"]["annotations"]
    assert (isvc["spec"]["transformer"]["scaleMetric"], isvc["spec"]["transformer"]["scaleTarget"]) == (
        "concurrency",
        10,
    )
    assert _admitted(isvc) == []


@pytest.mark.parametrize(
    ("predictor", "component", "says"),
    [
        (
            "cpu",
            "concurrency",
            "transformer.scaling.metric: concurrency is not allowed; the predictor's metric cpu puts the whole "
            "InferenceService on Knative's HPA class, and KServe admits only cpu for every component under it; give "
            "cpu or leave it out",
        ),
        (
            "rps",
            "cpu",
            "transformer.scaling.metric: cpu is not allowed; the predictor's metric rps puts the whole "
            "InferenceService on Knative's KPA class, and KServe admits only concurrency or rps for every component "
            "under it; give concurrency or rps or leave it out",
        ),
        (
            "concurrency",
            "cpu",
            "transformer.scaling.metric: cpu is not allowed; the predictor's metric concurrency puts the whole "
            "InferenceService on Knative's KPA class, and KServe admits only concurrency or rps for every component "
            "under it; give concurrency or rps or leave it out",
        ),
    ],
)
def test_a_component_metric_of_the_other_kind_is_refused_in_one_line(predictor: str, component: str, says: str) -> None:
    # rev14 defect 3 (rv-kn3 cpum and rpsm): both planned with exit 0 and were denied by KServe's webhook
    spec = model(
        scaling={"minReplicas": 1, "metric": predictor},
        transformer={**TRANSFORMER, "scaling": {"metric": component}},
    )
    with pytest.raises((SpecInvalid, SpecError)) as e:
        plan(spec)
    assert str(e.value) == says


def test_a_component_at_zero_under_an_hpa_predictor_is_refused() -> None:
    spec = model(
        scaling={"minReplicas": 1, "metric": "cpu"}, transformer={**TRANSFORMER, "scaling": {"minReplicas": 0}}
    )
    with pytest.raises((SpecInvalid, SpecError)) as e:
        plan(spec)
    assert str(e.value) == (
        "transformer.scaling.minReplicas: 0 is not allowed; the predictor's metric cpu puts the whole InferenceService "
        "on Knative's HPA class, which cannot scale to zero; give >= 1"
    )


LLM: dict[str, Any] = {
    "format": "huggingface",
    "storageUri": "hf://Qwen/Qwen2.5-0.5B-Instruct",
    "resources": {"cpu": "4", "memory": "16Gi", "gpus": 1, "accelerator": "nvidia-l4"},
    "scaling": {"minReplicas": 1, "maxReplicas": 4, "metric": "llm-queue", "target": 3},
    "access": {"allowAnonymous": True},
}


@pytest.mark.parametrize("part", ["transformer", "explainer"])
def test_a_keda_models_component_scales_on_a_keda_resource_metric(part: str) -> None:
    # rev14 defect 4: an llm-queue model (serving.kserve.io/autoscalerClass: keda) with a transformer or explainer
    # rendered the component with scaleMetric cpu, which KServe refuses ("ScaleMetric is not supported for KEDA")
    body = {**(TRANSFORMER if part == "transformer" else EXPLAINER), "scaling": {"target": 70}}
    p = plan({**LLM, part: body}, name="qwen", pools={"l4": L4_POOL}, deployment_mode="Standard", keda=True)
    isvc = _isvc(p)
    assert isvc["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "keda"
    component = isvc["spec"][part]
    assert "scaleMetric" not in component and "scaleTarget" not in component
    assert component["autoScaling"] == {
        "metrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
            }
        ]
    }
    assert (component["minReplicas"], component["maxReplicas"]) == (1, 3)
    assert _admitted(isvc) == []
    assert validate_custom_resource(isvc) == []


def test_a_standard_hpa_models_component_keeps_its_scale_metric() -> None:
    isvc = _isvc(plan(model(transformer=TRANSFORMER), deployment_mode="Standard"))
    assert isvc["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "hpa"
    assert (isvc["spec"]["transformer"]["scaleMetric"], isvc["spec"]["transformer"]["scaleTarget"]) == ("cpu", 80)
    assert _admitted(isvc) == []
