"""``mlplatform check`` refuses a saved plan whose declared models lost their objects (issue #17, vacuous passes).

The rules iterate resources: a plan with a model's InferenceService, AuthorizationPolicy, RequestAuthentication,
NetworkPolicy or its namespace's PeerAuthentication deleted from the JSON passes every rule about that object. The
saved settings list, per declared model, what the program renders (``settings.models``, from the validated stack
config); ``check`` fails (exit 1, one line naming the model and the kind) when one is absent."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from components.plan.cli import EXIT_INVALID, EXIT_OK, EXIT_POLICY, main
from support import saved_plan_file


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    _, out = saved_plan_file(tmp_path_factory.mktemp("plan"), "gcp-prod")
    return out, json.loads(out.read_text())


def _without(doc: dict[str, Any], kind: str, namespace: str, name: str) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    for stack in out["stacks"]:
        for key in ("resources", "judgedResources"):
            before = stack.get(key) or []
            kept = [
                r
                for r in before
                if not (
                    r["type"].endswith(f":{kind}")
                    and (r.get("inputs") or {}).get("metadata", {}).get("namespace") == namespace
                    and (r.get("inputs") or {}).get("metadata", {}).get("name") == name
                )
            ]
            if key == "resources":
                assert len(kept) == len(before) - 1, f"{kind} {namespace}/{name} not in the plan"
            stack[key] = kept if key == "resources" or stack.get(key) is not None else None
    return out


def test_the_settings_declare_what_the_program_renders(saved: tuple[Path, dict[str, Any]]) -> None:
    """Every object the settings declare is in the shipped plan (model_objects follows the program)."""
    from policy.check import load_plan, missing_objects

    path, doc = saved
    (stack,) = doc["stacks"]
    assert stack["settings"]["models"]["models/qwen-chat"] == [
        "InferenceService/models/qwen-chat",
        "ServiceAccount/models/qwen-chat-sa",
        "AuthorizationPolicy/models/qwen-chat-authz",
        "NetworkPolicy/models/qwen-chat-netpol",
        "RequestAuthentication/models/qwen-chat-jwt",
        "PodDisruptionBudget/models/qwen-chat-pdb",
        "Namespace/models",
        "PeerAuthentication/models/default",
    ]
    assert [missing_objects(s) for s in load_plan(path)] == [[]]
    assert main(["check", str(path)]) == EXIT_OK


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("InferenceService", "qwen-chat"),
        ("AuthorizationPolicy", "qwen-chat-authz"),
        ("RequestAuthentication", "qwen-chat-jwt"),
        ("NetworkPolicy", "qwen-chat-netpol"),
        ("PodDisruptionBudget", "qwen-chat-pdb"),
    ],
)
def test_a_deleted_model_object_fails_check(
    saved: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, name: str
) -> None:
    _, doc = saved
    path = tmp_path / "p.json"
    path.write_text(json.dumps(_without(doc, kind, "models", name)))
    capsys.readouterr()
    assert main(["check", str(path)]) == EXIT_POLICY
    lines = [ln for ln in capsys.readouterr().err.splitlines() if "declares" in ln]
    assert lines == [
        f"gcp-prod: model models/qwen-chat declares a {kind} (models/{name}) the saved plan does not hold: the plan "
        "was truncated or edited; rules over the missing object would pass vacuously"
    ]


def test_a_deleted_namespace_peer_authentication_names_every_model_of_it(
    saved: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, doc = saved
    path = tmp_path / "p.json"
    path.write_text(json.dumps(_without(doc, "PeerAuthentication", "models", "default")))
    capsys.readouterr()
    assert main(["check", str(path)]) == EXIT_POLICY
    err = capsys.readouterr().err
    for model in ("qwen-chat", "resnet-triton", "sklearn-iris"):
        assert f"model models/{model} declares a PeerAuthentication (models/default)" in err


def test_a_plan_without_the_declared_models_is_refused(
    saved: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deleting ``settings.models`` too is not a way around: the key is required (exit 2, one line)."""
    _, doc = saved
    edited = copy.deepcopy(doc)
    del edited["stacks"][0]["settings"]["models"]
    path = tmp_path / "p.json"
    path.write_text(json.dumps(edited))
    capsys.readouterr()
    assert main(["check", str(path)]) == EXIT_INVALID
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "settings.models is missing" in err
