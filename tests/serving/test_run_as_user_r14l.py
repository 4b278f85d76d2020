"""Red team #14l break 4 (/work/wt/red14l-report.md): the platform runs containers with ``runAsNonRoot: true``; an
image whose ``USER`` is a name (pytorch/torchserve: ``USER model-server``) then never starts ("container has
runAsNonRoot and image has non-numeric user ..., cannot verify user is non-root", kubernetes
pkg/kubelet/kuberuntime/security_context_others.go). A container (a model's, a transformer's, a stack runtime's)
may say ``runAsUser`` (1 to 2147483647, apimachinery ``IsValidUserID`` without root); ``mlplatform import`` keeps a
manifest's ``runAsUser`` and notes the rule for a container without one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from serving_support import model, plan

from components.errors import SpecError
from components.plan.cli import main as cli
from components.serving.spec import ModelSpec
from components.serving.stack_runtime import RuntimeSpec, rendered
from support import ROOT, write_manifest

TORCHSERVE = {"image": "pytorch/torchserve:0.9.0-cpu", "port": {"number": 8085}}
NON_ROOT_1000 = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
    "runAsNonRoot": True,
    "runAsUser": 1000,
}


def _isvc(spec: dict[str, Any]) -> dict[str, Any]:
    return next(o for o in plan(spec).revealed() if o["kind"] == "InferenceService")


def test_a_custom_container_runs_as_its_run_as_user() -> None:
    # main (01fc987): "container.runAsUser: ... extra inputs are not permitted", and no way to run a named-USER image
    isvc = _isvc(model(format=None, container={**TORCHSERVE, "runAsUser": 1000}))
    (container,) = isvc["spec"]["predictor"]["containers"]
    assert container["securityContext"] == NON_ROOT_1000


def test_a_transformer_container_runs_as_its_run_as_user() -> None:
    isvc = _isvc(model(transformer={"container": {"image": "kserve/image-transformer:v0.20.0", "runAsUser": 1000}}))
    (container,) = isvc["spec"]["transformer"]["containers"]
    assert container["securityContext"] == NON_ROOT_1000


def test_a_stack_runtime_runs_as_its_run_as_user() -> None:
    spec = RuntimeSpec.model_validate(
        {
            "formats": [{"name": "pytorch", "version": "1", "autoSelect": True}],
            "container": {**TORCHSERVE, "runAsUser": 1000},
        }
    )
    (container,) = rendered("pytorch-collocation", spec)["spec"]["containers"]
    assert container["securityContext"] == NON_ROOT_1000


def test_a_model_on_a_runtime_leaves_the_runtime_its_user() -> None:
    # KServe merges the model's container over the runtime's (strategic merge): kserve-torchserve's runAsUser 1000 stays
    isvc = _isvc(model(format="pytorch", runtime="kserve-torchserve"))
    assert "runAsUser" not in isvc["spec"]["predictor"]["model"]["securityContext"]


@pytest.mark.parametrize("user", [0, -1, 2**31, True, "1000"])
def test_a_run_as_user_outside_1_to_2147483647_is_refused(user: object) -> None:
    with pytest.raises(SpecError) as info:
        ModelSpec.model_validate(model(format=None, container={**TORCHSERVE, "runAsUser": user}))
    assert str(info.value).startswith("ModelSpec.container.runAsUser: ")


def _import(tmp_path: Path, capsys: pytest.CaptureFixture[str], doc: dict[str, Any]) -> tuple[str, str]:
    code = cli(["import", str(write_manifest(tmp_path, doc)), "--project", str(ROOT), "--stack", "local"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out, err


def _custom(security: dict[str, Any] | None) -> dict[str, Any]:
    box: dict[str, Any] = {"name": "kserve-container", "image": "pytorch/torchserve:0.9.0-cpu"}
    if security is not None:
        box["securityContext"] = security
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "ts", "namespace": "models"},
        "spec": {"predictor": {"containers": [box]}},
    }


def test_import_keeps_a_containers_run_as_user(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, err = _import(tmp_path, capsys, _custom({"runAsUser": 1000}))
    assert "  container:\n    image: pytorch/torchserve:0.9.0-cpu\n    runAsUser: 1000\n" in out
    assert "runAsNonRoot" not in err


def test_import_notes_a_container_without_a_user(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, err = _import(tmp_path, capsys, _custom(None))
    assert (
        "ts: spec.predictor.containers.0.image: the container runs with runAsNonRoot: true (the platform's restricted "
        "security context): if its image's USER is a name, not a number, the kubelet refuses to start it; give "
        "container.runAsUser (the user's number)"
    ) in err
