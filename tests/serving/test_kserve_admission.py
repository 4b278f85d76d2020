"""What KServe v0.20.0's admission webhooks deny is refused in one line before anything is registered (rev14
defects 2, 3 and 4), and what they admit is rendered so that they admit it.

Sources (kserve/kserve at tag v0.20.0):
- pkg/validation/env_policy.go ``DefaultBlockedEnvVars`` (the whole list: ``PYTHONPATH``) and
  ``ValidateBlockedEnvVars`` ("setting %s in container %q is not allowed for security reasons"), called for every
  container of an InferenceService (pkg/apis/serving/v1beta1/inference_service_validation.go ``validateBlockedEnvVars``:
  predictor, transformer, explainer, init and worker containers, the ART container) and of a ServingRuntime
  (pkg/webhook/admission/servingruntime/servingruntime_webhook.go ``validateBlockedEnvVars``).
"""

from __future__ import annotations

from typing import Any

import pytest
from serving_support import model

from components.errors import SpecError
from support import plan_config

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
