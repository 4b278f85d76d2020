"""The rev17g slips in the node-fit estimate and the server-args checks (g17-g24, /work/wt/rev17g-report.md) are
caught by a policy on a planned stack: each benchmark mutation (benchmarks/policy_mutations.py, the same text) is
applied to a fresh copy of its module, whose changed functions and constants replace the real ones for the test; the
mutation's stack config (an input the program refuses) is then planned. Unmutated, the program refuses it at load;
mutated, it plans, and the rule the mutation names (``pods-fit-nodes``, ``model-server-port-intact``) fails."""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from components.errors import SpecError
from support import ROOT

SLIPS = (
    "rev17g-g17-eks-vm-overhead",
    "rev17g-g18-aks-pods-system",
    "rev17g-g19-gke-tier",
    "rev17g-g20-fit-sidecar-memory",
    "rev17g-g21-fit-tolerates-any-effect",
    "rev17g-g22-mlserver-env-case",
    "rev17g-g23-agent-port-http-only",
    "rev17g-g24-same-exact",
)


def _mutations() -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("policy_mutations_g", ROOT / "benchmarks" / "policy_mutations.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return {m.id: m for m in module.MUTATIONS}


MUTATIONS = _mutations()


def _changed(old: Any, new: Any) -> bool:
    if isinstance(old, types.FunctionType) and isinstance(new, types.FunctionType):
        a, b = old.__code__, new.__code__
        return (a.co_code, a.co_consts, old.__defaults__) != (b.co_code, b.co_consts, new.__defaults__)
    if isinstance(old, str | int | float | tuple | dict) or type(old).__name__ == "Decimal":
        return bool(old != new)
    return False


def _apply(monkeypatch: pytest.MonkeyPatch, mutation: Any) -> list[str]:
    """Apply ``mutation`` to a copy of its module and patch the real module's changed functions and constants."""
    path = Path(mutation.path)
    name = ".".join(path.with_suffix("").parts)
    real = importlib.import_module(name)
    text = (ROOT / path).read_text(encoding="utf-8")
    assert text.count(mutation.old) == 1
    copy = types.ModuleType(name)
    copy.__file__ = str(ROOT / path)
    exec(compile(text.replace(mutation.old, mutation.new), str(ROOT / path), "exec"), copy.__dict__)
    patched = []
    for key, value in vars(copy).items():
        if key.startswith("__") or not hasattr(real, key):
            continue
        old = getattr(real, key)
        own = not isinstance(old, types.FunctionType) or old.__module__ == name
        if own and _changed(old, value):
            monkeypatch.setattr(real, key, value)
            patched.append(key)
    assert patched, f"{mutation.id}: the slip changed no function or constant of {name}"
    return patched


def _plan(mutation: Any) -> list[tuple[str, str]]:
    """Plan the mutation's stack with its config; each failing mandatory rule with its message."""
    from components.plan.engine import run_program
    from components.plan.project import load_project, read_stack_file
    from policy.rules import StackSettings, resources_from_plan, run_rules

    stack, extra = mutation.config.split(":", 1)
    project = load_project(ROOT)
    cfg = read_stack_file(project, stack)
    config = dict(cfg.config)
    config.update({k: json.dumps(v) for k, v in json.loads(extra).items()})
    result = run_program(
        project.root, stack, config, cfg.secret_keys, main=project.main, project=project.name, outputs="fake"
    )
    entries = run_rules(list(resources_from_plan(result)), StackSettings.from_config(config))
    return [(e["policy"], e["message"]) for e in entries if not e["passed"] and e["enforcement"] == "mandatory"]


REFUSED = {
    "rev17g-g17-eks-vm-overhead": "models.resnet50.resources.memory: 14000Mi is not allowed; give at most 13686Mi",
    "rev17g-g18-aks-pods-system": "models.bert-onnx.resources.memory: 25000Mi is not allowed; give at most 23166Mi",
    "rev17g-g19-gke-tier": "models.resnet-triton.resources.memory: 79000Mi is not allowed; give at most 78089Mi",
    "rev17g-g20-fit-sidecar-memory": "models.resnet50.resources.memory: 13750Mi is not allowed; give at most 13686Mi",
    "rev17g-g21-fit-tolerates-any-effect": "models.bert-onnx.transformer.resources.memory: 20000Mi is not allowed",
    "rev17g-g22-mlserver-env-case": "models.iris-ml.env: mlserver_http_port is not allowed",
    "rev17g-g23-agent-port-http-only": "models.iris-c.args.0: --grpc_port=9081 is not allowed",
    "rev17g-g24-same-exact": "models.iris-g.args.0: --grpc_p=9000 is not allowed",
}
"""What the program refuses each input with, unmutated (the bound the rule's own figures give too)."""


@pytest.mark.parametrize("slip", SLIPS)
def test_the_program_refuses_the_input_the_slip_lets_through(slip: str) -> None:
    mutation = MUTATIONS[slip]
    with pytest.raises(SpecError) as e:
        _plan(mutation)
    assert REFUSED[slip] in str(e.value), str(e.value)


@pytest.mark.parametrize("slip", SLIPS)
def test_the_rule_fails_what_the_slip_lets_through(slip: str, monkeypatch: pytest.MonkeyPatch) -> None:
    mutation = MUTATIONS[slip]
    _apply(monkeypatch, mutation)
    failed = _plan(mutation)
    assert any(rule == mutation.rule for rule, _ in failed), failed
