"""Models declared in stack config: namespaces, tokens, error prefixes, and `mlplatform plan --manifests`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from serving_support import ISVC, NAMESPACE, SECRET, SERVICE, model

from components.errors import SpecError
from components.plan.cli import main as cli
from components.plan.engine import contains_secret
from components.plan.project import load_project
from support import ROOT, plan_config, shipped_plan, validate_custom_resource

MODEL_NAMESPACE = "mlplatform:index:ModelNamespace"
BASE: dict[str, Any] = {"cloud": "existing", "platform": {"domain": "models.example.com"}}
LLM = model(
    format="huggingface",
    storageUri="hf://meta-llama/Llama-3.2-1B-Instruct",
    modelSizeGb=2.5,
    publicStorage=False,
    resources={"gpus": 1, "accelerator": "nvidia-l4"},
    llm={"huggingfaceTokenKey": "hfToken", "maxModelLength": 4096},
)


def test_one_namespace_per_shared_namespace_and_models_wait_for_it() -> None:
    result = plan_config(
        {
            **BASE,
            "models": {
                "iris": model(),
                "iris-b": model(),
                "team": model(namespace="team-a", createNamespace=False),
            },
        }
    )
    (ns_component,) = result.of_type(MODEL_NAMESPACE)
    assert ns_component.name == "models"
    ns, mtls = result.children(ns_component)
    assert (ns.type, mtls.type) == (NAMESPACE, "kubernetes:security.istio.io/v1:PeerAuthentication")
    assert ns.plain_inputs()["metadata"]["name"] == "models"
    # depending on a component means waiting for its children: the SDK sends the Namespace's URN
    for name in ("iris", "iris-b"):
        svc = result.one(SERVICE, name)
        assert NAMESPACE not in {c.type for c in result.children(svc)}
        for child in result.children(svc):
            assert {ns.urn, mtls.urn} <= set(child.depends_on), child.name
    team = result.one(SERVICE, "team")
    assert all(ns.urn not in c.depends_on for c in result.children(team))
    assert result.one(ISVC, "team-isvc").plain_inputs()["metadata"]["namespace"] == "team-a"


def test_models_wait_for_the_platform() -> None:
    result = plan_config({**BASE, "models": {"iris": model()}})
    isvc = result.one(ISVC)
    waited = {reg.name for reg in result.resources if reg.urn in isvc.depends_on}
    # PlatformHandles.ready of the Platform: KServe's releases, KnativeServing, kube-prometheus-stack
    assert {
        "mlplatform-kserve-resources",
        "mlplatform-kserve-runtime-configs",
        "mlplatform-knative-serving",
        "mlplatform-monitoring",
    } <= waited, waited


def test_hugging_face_token_from_secret_config_becomes_a_kubernetes_secret() -> None:
    result = plan_config({**BASE, "models": {"chat": LLM}}, secrets={"hfToken": "hf_live_token"})
    secret = result.one(SECRET, "chat-hf-token")
    assert contains_secret(secret.inputs)
    assert secret.plain_inputs()["stringData"] == {"HF_TOKEN": "hf_live_token"}
    assert "hf_live_token" not in str(secret.wire_inputs())


def test_errors_raised_inside_a_model_name_the_stack_file_and_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import components.serving.model_service as ms

    def refuse(*_: Any) -> None:
        raise SpecError("resources.gpus", 3, "give at most 2")

    monkeypatch.setattr(ms, "check", refuse)
    with pytest.raises(SpecError) as info:
        plan_config({**BASE, "models": {"iris": model()}})
    assert str(info.value) == (
        "stacks/Pulumi.test.yaml: mlplatform:models.iris.resources.gpus: 3 is not allowed; give at most 2"
    )


def test_stack_outputs_list_every_model() -> None:
    result = plan_config(
        {**BASE, "models": {"iris": model(), "inner": model(access={"mode": "internal", "allowedNamespaces": ["a"]})}}
    )
    assert result.stack_outputs["models"] == {
        "iris": {
            "url": "https://iris-models.models.example.com",
            "internalUrl": "http://iris-predictor.models.svc.cluster.local",
        },
        "inner": {
            "url": "http://inner-predictor.models.svc.cluster.local",
            "internalUrl": "http://inner-predictor.models.svc.cluster.local",
        },
    }


# ------------------------------------------------------------------------------------------ plan --manifests

PROJECT = load_project(ROOT)


@pytest.mark.parametrize("stack", PROJECT.stacks())
def test_plan_manifests_writes_every_object_of_every_model_schema_valid(stack: str, tmp_path: Path) -> None:
    status = cli(["plan", "--project", str(ROOT), "--stack", stack, "--manifests", str(tmp_path), "--no-tree"])
    assert status in (0, 1)  # 1: a mandatory policy failed elsewhere in the stack; the manifests are still written
    result = shipped_plan(stack).result
    services = result.of_type(SERVICE)
    assert services, f"stack {stack} serves no model"
    for svc in services:
        for child in result.children(svc):
            if not child.type.startswith("kubernetes:") or not child.custom:
                continue
            meta = child.plain_inputs()["metadata"]
            kind = child.type.rsplit(":", 1)[1].lower()
            path = tmp_path / stack / meta["namespace"] / f"{kind}-{meta['name']}.yaml"
            assert path.exists(), f"{svc.name}: {path} not written"
            obj = yaml.safe_load(path.read_text())
            if "/" in obj["apiVersion"] and obj["apiVersion"] not in ("policy/v1", "networking.k8s.io/v1"):
                assert validate_custom_resource(obj) == [], str(path)
            else:
                if obj["kind"] == "Secret":
                    # never written in clear text; the keys stay so the object is still schema-valid
                    assert set(obj["stringData"].values()) == {"[secret]"}
                kubernetes_validate.validate(obj, "1.34", strict=True)
