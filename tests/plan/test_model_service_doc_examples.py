"""Every YAML example of docs/components/model-service.md plans in a stack, strict against the upstream CRD schemas.

The page has an example per feature (issue #14): model entries (``name: {format: ...}``) and stack-file excerpts
(``mlplatform:models``, ``mlplatform:runtimes``, ``mlplatform:platform``). Each block is put into the ``aws-dev``
stack in place of its models (its runtimes added, its ``platform`` keys merged over the stack's) and planned under
the mocks as ``mlplatform plan`` does; every model of the block must render an InferenceService (and every runtime a
ServingRuntime) valid against /work/shared/upstream/crd-schemas.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from components.plan.engine import run_program
from components.plan.project import load_project, read_stack_file
from components.plan.report import kubernetes_objects
from support import ROOT, validate_custom_resource

PAGE = ROOT / "docs" / "components" / "model-service.md"
SECRET_KEYS = {"mlplatform:hfToken"}
"""Stack keys whose example value is a placeholder for a secret: set as the stack's secret of that name."""


def _blocks() -> list[tuple[int, dict[str, Any]]]:
    text = PAGE.read_text()
    out = []
    for m in re.finditer(r"```yaml\n(.*?)```", text, re.S):
        doc = yaml.safe_load(m.group(1))
        if isinstance(doc, dict):
            out.append((text[: m.start()].count("\n") + 1, doc))
    return out


def _config(doc: dict[str, Any]) -> tuple[dict[str, Any], set[str], list[str], list[str]]:
    """The aws-dev config with the block in it; its secret keys; the block's model and runtime names."""
    project = load_project(ROOT)
    cfg = read_stack_file(project, "aws-dev")
    config = dict(cfg.config)
    secrets = set(cfg.secret_keys)
    if any(k.startswith("mlplatform:") for k in doc):
        models = doc.get("mlplatform:models", {})
        runtimes = doc.get("mlplatform:runtimes", {})
        platform = doc.get("mlplatform:platform")
        for key in SECRET_KEYS & set(doc):
            # the page shows the stack file's ``secure:`` ciphertext; the plan reads the decrypted text
            config[key] = "hf_token_for_the_docs_example"
            secrets.add(key)
    else:
        models, runtimes, platform = doc, {}, None
    config["mlplatform:models"] = json.dumps(models)
    if runtimes:
        config["mlplatform:runtimes"] = json.dumps(runtimes)
    if platform:
        merged = {**json.loads(config["mlplatform:platform"]), **platform}
        config["mlplatform:platform"] = json.dumps(merged)
    return config, secrets, list(models), list(runtimes)


BLOCKS = [
    (line, doc)
    for line, doc in _blocks()
    if "mlplatform:models" in doc
    or "mlplatform:runtimes" in doc
    or (all(isinstance(v, dict) for v in doc.values()) and not any(k.startswith("mlplatform:") for k in doc))
]


def test_the_page_has_examples() -> None:
    # a guard on the loader: the page's blocks are found (a changed fence would silently test nothing)
    assert len(BLOCKS) >= 12


@pytest.mark.parametrize(("line", "doc"), BLOCKS, ids=[f"line-{line}" for line, _ in BLOCKS])
def test_every_example_of_the_page_plans_strict(line: int, doc: dict[str, Any]) -> None:
    config, secrets, models, runtimes = _config(doc)
    project = load_project(ROOT)
    result = run_program(project.root, "aws-dev", config, secrets, main=project.main, project=project.name)
    rendered: dict[tuple[str, str], dict[str, Any]] = {}
    for reg, obj in kubernetes_objects(result):
        if obj.get("kind") in ("InferenceService", "ServingRuntime"):
            plain = {**obj, **reg.plain_inputs()}
            rendered[(str(plain["kind"]), str(plain["metadata"]["name"]))] = plain
    for name in models:
        assert ("InferenceService", name) in rendered, f"line {line}: model {name} rendered no InferenceService"
    for name in runtimes:
        assert ("ServingRuntime", name) in rendered, f"line {line}: runtime {name} rendered no ServingRuntime"
    for (kind, name), obj in rendered.items():
        if name in models or name in runtimes:
            assert validate_custom_resource(obj) == [], f"line {line}: {kind} {name}"
