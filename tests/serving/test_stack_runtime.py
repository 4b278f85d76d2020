"""A runtime the stack brings itself (``mlplatform:runtimes``): the ServingRuntime rendered, KServe's selection with
namespaced ServingRuntimes, the checks of a model against it, the policies over its containers, and the whole path
through ``mlplatform plan``.

KServe v0.20.0 facts (kserve/kserve at v0.20.0): pkg/apis/serving/v1beta1/predictor_model.go
``GetSupportingRuntimes`` (the namespace's ServingRuntimes, each list sorted on its own, before the
ClusterServingRuntimes), pkg/controller/v1beta1/inferenceservice/utils/utils.go ``GetServingRuntime`` (a named runtime
is looked up in the model's namespace first), pkg/apis/serving/v1alpha1/servingruntime_types.go (the API),
pkg/webhook/admission/servingruntime/servingruntime_webhook.go (the priority checks).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from serving_support import ISVC, FakeCluster, model

from components.errors import SpecError
from components.plan.cli import main as cli
from components.platform.handles import PlatformHandles
from components.serving import runtimes
from components.serving.model_runtime import ModelRuntime, ModelRuntimeArgs
from components.serving.model_service import ModelService, ModelServiceArgs
from components.serving.spec import ModelSpec
from components.serving.stack_runtime import RuntimeSpec, namespaced, rendered
from policy.rules import Resource, resources_from_plan, run_rules
from support import ROOT, plan_config, rules_named, run, validate_custom_resource

SR = "kubernetes:serving.kserve.io/v1alpha1:ServingRuntime"
BASE: dict[str, Any] = {"cloud": "existing", "platform": {"domain": "models.example.com"}}
ACME: dict[str, Any] = {
    "formats": [{"name": "sklearn", "version": "1", "autoSelect": True, "priority": 5}],
    "protocols": ["v1", "v2"],
    "container": {
        "image": "ghcr.io/acme/sklearn-server:1.4",
        "command": ["python", "-m", "acme_server"],
        "port": {"number": 8080},
        "readinessProbe": {"path": "/v2/health/ready"},
    },
    "args": ["--model_name={{.Name}}", "--model_dir=/mnt/models", "--http_port=8080"],
    "env": {"WORKERS": "2"},
    "resources": {"cpu": "500m", "memory": "1Gi"},
}
HARDENED = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
    "runAsNonRoot": True,
}


def test_the_serving_runtime_is_rendered_whole_and_passes_the_crd_schema() -> None:
    obj = rendered("acme-sklearn", RuntimeSpec.model_validate(ACME))
    assert obj == {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ServingRuntime",
        "metadata": {
            "name": "acme-sklearn",
            "namespace": "models",
            "labels": {
                "app.kubernetes.io/name": "acme-sklearn",
                "app.kubernetes.io/instance": "acme-sklearn",
                "app.kubernetes.io/component": "runtime",
                "app.kubernetes.io/part-of": "mlplatform",
                "app.kubernetes.io/managed-by": "mlplatform",
            },
        },
        "spec": {
            "supportedModelFormats": [{"name": "sklearn", "version": "1", "autoSelect": True, "priority": 5}],
            "protocolVersions": ["v1", "v2"],
            "multiModel": False,
            "containers": [
                {
                    "name": "kserve-container",
                    "image": "ghcr.io/acme/sklearn-server:1.4",
                    "command": ["python", "-m", "acme_server"],
                    "args": ["--model_name={{.Name}}", "--model_dir=/mnt/models", "--http_port=8080"],
                    "ports": [{"name": "http1", "containerPort": 8080, "protocol": "TCP"}],
                    "env": [{"name": "WORKERS", "value": "2"}],
                    "readinessProbe": {
                        "httpGet": {"path": "/v2/health/ready", "port": 8080},
                        "initialDelaySeconds": 0,
                        "periodSeconds": 10,
                        "timeoutSeconds": 1,
                        "failureThreshold": 3,
                    },
                    "resources": {
                        "requests": {"cpu": "500m", "memory": "1Gi"},
                        "limits": {"cpu": "500m", "memory": "1Gi"},
                    },
                    "securityContext": HARDENED,
                }
            ],
        },
    }
    assert validate_custom_resource(obj) == []


def _rt(name: str, *formats: runtimes.Format, protocols: tuple[str, ...] = ()) -> runtimes.Runtime:
    return runtimes.Runtime(name, formats, protocols)


AUTO = runtimes.Format("sklearn", "1", auto_select=True)


@pytest.mark.parametrize(
    ("namespaced_runtimes", "fmt", "protocol", "version", "chosen"),
    [
        # GetSupportingRuntimes: a namespaced runtime that auto-selects comes before every ClusterServingRuntime,
        # even without a priority while kserve-sklearnserver has one
        ((_rt("acme", AUTO),), "sklearn", "v1", None, "acme"),
        # no autoSelect: not a candidate (getServingRuntimeSupportedModelFormatLabelSet), the installed one serves
        ((_rt("acme", runtimes.Format("sklearn", "1")),), "sklearn", "v1", None, "kserve-sklearnserver"),
        # sortSupportedRuntimeByPriority within the namespaced list: the higher priority wins...
        (
            (
                _rt("acme-a", runtimes.Format("sklearn", "1", True, 1)),
                _rt("acme-b", runtimes.Format("sklearn", "1", True, 3)),
            ),
            "sklearn",
            "v1",
            None,
            "acme-b",
        ),
        # ... and a runtime with a priority comes before one without
        (
            (_rt("acme-a", AUTO), _rt("acme-b", runtimes.Format("sklearn", "1", True, 1))),
            "sklearn",
            "v1",
            None,
            "acme-b",
        ),
        # IsProtocolVersionSupported: a v2-only runtime is no candidate for a v1 model
        ((_rt("acme", AUTO, protocols=("v2",)),), "sklearn", "v1", None, "kserve-sklearnserver"),
        # RuntimeSupportsModel with a version: mt:sklearn:1 is not in a runtime listing sklearn 0 only
        ((_rt("acme", runtimes.Format("sklearn", "0", True)),), "sklearn", "v1", "1", "kserve-sklearnserver"),
        # a namespaced runtime of another format changes nothing
        ((_rt("acme", runtimes.Format("onnx", "1", True)),), "sklearn", "v1", None, "kserve-sklearnserver"),
    ],
)
def test_kserve_prefers_the_namespaces_runtimes_when_it_picks_one(
    namespaced_runtimes: tuple[runtimes.Runtime, ...], fmt: str, protocol: str, version: str | None, chosen: str
) -> None:
    assert runtimes.select(fmt, protocol, None, version, namespaced_runtimes) == (chosen, None)


def test_a_named_stack_runtime_is_checked_like_an_installed_one() -> None:
    onnx = (_rt("acme", runtimes.Format("onnx", "1")),)
    # reconcileModel (components/predictor.go): named, autoSelect does not matter; format, protocol and disabled do
    assert runtimes.select("onnx", "v2", "acme", None, onnx) == ("acme", None)
    assert runtimes.select("sklearn", "v1", "acme", None, onnx) == (None, "runtime acme serves onnx, not sklearn")
    v1 = (_rt("acme", runtimes.Format("onnx", "1"), protocols=("v1",)),)
    assert runtimes.select("onnx", "v2", "acme", None, v1) == (None, "runtime acme serves protocol v1, not v2")
    assert runtimes.select("onnx", "v2", "acme", "2", onnx) == (None, "runtime acme serves onnx version 1")
    # without the stack's runtimes the name is one the cluster's owner installs: not checked
    assert runtimes.select("sklearn", "v1", "acme") == ("acme", None)


def _platform() -> PlatformHandles:
    return PlatformHandles(cluster=FakeCluster(), domain="models.example.com")


def test_model_service_checks_its_runtime_against_the_stacks_runtimes() -> None:
    stack = {"acme-onnx": RuntimeSpec.model_validate({**ACME, "formats": [{"name": "onnx"}]})}
    spec = ModelSpec.model_validate(model(runtime="acme-onnx"))

    def program() -> None:
        ModelService("iris", ModelServiceArgs(platform=_platform(), spec=spec, runtimes=stack))

    with pytest.raises(SpecError) as e:
        run(program)
    assert str(e.value) == "runtime: acme-onnx is not allowed; runtime acme-onnx serves onnx, not sklearn"


def test_model_runtime_refuses_the_name_of_an_installed_runtime() -> None:
    def program() -> None:
        ModelRuntime(
            "kserve-sklearnserver",
            ModelRuntimeArgs(platform=_platform(), spec=RuntimeSpec.model_validate(ACME)),
        )

    with pytest.raises(SpecError) as e:
        run(program)
    assert str(e.value) == (
        "name: kserve-sklearnserver is not allowed; kserve-sklearnserver is a ClusterServingRuntime the platform "
        "installs; a ServingRuntime of that name would replace it for the models of namespace models (KServe looks a "
        "runtime up in the model's namespace first: GetServingRuntime); give another name"
    )


def _stack() -> dict[str, Any]:
    return {
        **BASE,
        "runtimes": {"acme-sklearn": ACME},
        "models": {
            "named": model(runtime="acme-sklearn"),
            "picked": model(),
            "elsewhere": model(namespace="team-a"),
        },
    }


def test_the_stack_plans_its_runtime_and_the_models_of_its_namespace_wait_for_it() -> None:
    result = plan_config(_stack())
    (sr,) = result.of_type(SR)
    assert sr.name == "acme-sklearn-runtime"
    component = result.one("mlplatform:index:ModelRuntime", "acme-sklearn")
    assert sr.parent == component.urn
    obj = sr.plain_inputs()
    assert obj == rendered("acme-sklearn", RuntimeSpec.model_validate(ACME))
    assert validate_custom_resource(obj) == []
    named = result.one(ISVC, "named-isvc").plain_inputs()
    assert named["spec"]["predictor"]["model"]["runtime"] == "acme-sklearn"
    picked = result.one(ISVC, "picked-isvc").plain_inputs()["spec"]["predictor"]["model"]
    assert "runtime" not in picked  # KServe picks: the namespace's acme-sklearn, before kserve-sklearnserver
    spec = ModelSpec.model_validate(_stack()["models"]["picked"])
    stack = {"acme-sklearn": RuntimeSpec.model_validate(ACME)}
    assert runtimes.select("sklearn", picked["protocolVersion"], None, None, namespaced(stack, spec.namespace)) == (
        "acme-sklearn",
        None,
    )
    assert runtimes.select("sklearn", picked["protocolVersion"], None, None, namespaced(stack, "team-a")) == (
        "kserve-sklearnserver",
        None,
    )
    for name in ("named", "picked"):
        assert sr.urn in result.one(ISVC, f"{name}-isvc").depends_on
    assert sr.urn not in result.one(ISVC, "elsewhere-isvc").depends_on


def test_a_runtime_of_a_namespace_no_model_uses_gets_its_namespace() -> None:
    result = plan_config({**BASE, "runtimes": {"acme-sklearn": {**ACME, "namespace": "lab"}}, "models": {}})
    (sr,) = result.of_type(SR)
    ns = result.one("mlplatform:index:ModelNamespace", "lab")
    assert set(c.urn for c in result.children(ns)) <= set(sr.depends_on)
    assert sr.plain_inputs()["metadata"]["namespace"] == "lab"


def _weakened(res: Resource, **context: Any) -> Resource:
    props = json.loads(json.dumps(res.props))
    props["spec"]["containers"][0]["securityContext"] = {**HARDENED, **context}
    return replace(res, props=props)


@pytest.mark.parametrize(
    ("context", "rule", "message"),
    [
        (
            {"allowPrivilegeEscalation": True},
            "no-privileged-containers",
            "container kserve-container (spec.containers[0]) allows privilege escalation",
        ),
        (
            {"runAsNonRoot": False},
            "pod-restricted-hardening",
            "container kserve-container (models/acme-sklearn spec.containers[0]): ",
        ),
    ],
)
def test_the_pod_rules_read_a_stack_runtimes_containers(context: dict[str, Any], rule: str, message: str) -> None:
    resources = resources_from_plan(plan_config(_stack()))
    assert [
        e["message"] for e in run_rules(resources, rules=rules_named(rule)) if e["policy"] == rule and not e["passed"]
    ] == []
    weak = [_weakened(r, **context) if r.type == SR else r for r in resources]
    failed = [e["message"] for e in run_rules(weak, rules=rules_named(rule)) if e["policy"] == rule and not e["passed"]]
    assert len(failed) == 1 and failed[0].startswith(message), failed


def test_mlplatform_plan_renders_a_stack_runtime_end_to_end(tmp_path: Path) -> None:
    """The user's path: a stack file with ``mlplatform:runtimes`` and a model naming it, through ``mlplatform
    plan --manifests``; the ISVC names the runtime, the ServingRuntime passes KServe's CRD schema."""
    project = tmp_path / "proj"
    project.mkdir()
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (project / "stacks").mkdir()
    shutil.copytree(ROOT / "infra", project / "infra", ignore=shutil.ignore_patterns("__pycache__"))
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.local.yaml").read_text())
    doc["config"]["mlplatform:runtimes"] = {"acme-sklearn": ACME}
    doc["config"]["mlplatform:models"]["sklearn-iris"]["runtime"] = "acme-sklearn"
    (project / "stacks" / "Pulumi.local.yaml").write_text(yaml.safe_dump(doc))
    out = tmp_path / "m"
    assert cli(["plan", "--project", str(project), "--stack", "local", "--manifests", str(out), "--no-tree"]) == 0
    runtime = yaml.safe_load((out / "local/models/servingruntime-acme-sklearn.yaml").read_text())
    assert runtime == rendered("acme-sklearn", RuntimeSpec.model_validate(ACME))
    assert validate_custom_resource(runtime) == []
    isvc = yaml.safe_load((out / "local/models/inferenceservice-sklearn-iris.yaml").read_text())
    assert isvc["spec"]["predictor"]["model"]["runtime"] == "acme-sklearn"
    assert validate_custom_resource(isvc) == []


def test_every_policy_passes_a_stack_with_its_own_runtime() -> None:
    """The ServingRuntime is a known resource type to the pack and meets every rule as rendered."""
    entries = run_rules(resources_from_plan(plan_config(_stack())))
    assert [(e["policy"], e["message"]) for e in entries if not e["passed"]] == []
