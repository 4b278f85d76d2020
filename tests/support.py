"""Helpers shared by the tests: run the real program on a config dict, find upstream data, validate objects."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from components.plan.engine import OutputsMode, PlanResult, run_function

if TYPE_CHECKING:
    from urns import Target

    from components.plan.report import StackPlan
    from policy.rules import Resource, Rule, StackSettings

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM_ENV = "MLPLATFORM_UPSTREAM"

_T = TypeVar("_T")

SHARED: Path | None = None
"""Under pytest-xdist, a folder every worker of this run shares (tests/conftest.py ``_shared_plans`` sets it, in the
run's base temp folder, new each run): :func:`shared` keeps there what one worker computed for the others."""


def shared(key: tuple[Any, ...], compute: Callable[[], _T]) -> _T:
    """``compute()``, computed once per test RUN instead of once per xdist worker: the first worker to ask for ``key``
    computes it (holding a lock on ``key``, so the other waits instead of computing it too) and leaves it pickled in
    :data:`SHARED`; the other workers read that copy (each gets its own objects). ``key`` names everything the value
    depends on besides the code, which cannot change within a run (the folder is new each run). Only for what is
    deterministic and plain data; without xdist (:data:`SHARED` unset) it is ``compute()``. Callers keep their own
    per-process ``@cache`` on top."""
    if SHARED is None:
        return compute()
    import fcntl
    import hashlib
    import pickle

    name = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
    path = SHARED / f"{name}.pickle"
    with open(SHARED / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return pickle.loads(path.read_bytes())  # type: ignore[no-any-return]
        value = compute()
        part = path.with_suffix(".part")
        part.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        part.rename(path)
        return value


def shared_cache(fn: Callable[..., _T]) -> Callable[..., _T]:
    """``functools.cache`` for a test file's own planner that :func:`shared` also shares between the xdist workers:
    with ``--dist load`` a file's tests run on both workers, and each would plan the file's variants again. Only for
    a deterministic function of its arguments, the code and the files of the checkout (none of which change within a
    run), never one a test calls under a monkeypatch; it returns plain data (a plan), which nobody edits. A plan given
    as ``(resources, settings)`` also gets its judgement shared (:func:`rule_entries`)."""
    import functools

    from policy.rules import StackSettings

    @cache
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> _T:
        key = ("shared_cache", fn.__module__, fn.__qualname__, args, tuple(sorted(kwargs.items())))
        value = shared(key, lambda: fn(*args, **kwargs))
        if (
            isinstance(value, tuple)
            and len(value) == 2
            and isinstance(value[0], tuple)
            and isinstance(value[1], StackSettings)
        ):
            _KEYS[id(value[0]), id(value[1])] = (value, key)
        return value

    return wrapper


def _stack_text(config_dir: str | None, stack: str) -> str:
    """The text of the stack file a planner reads (part of :func:`shared`'s key)."""
    return (ROOT / (config_dir or "stacks") / f"Pulumi.{stack}.yaml").read_text()


def flat_config(cfg: Mapping[str, Any], namespace: str = "mlplatform") -> dict[str, str]:
    """A config dict (keys without namespace) flattened the way the Pulumi CLI hands it to a program."""
    return {f"{namespace}:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in cfg.items()}


def plan_config(
    cfg: Mapping[str, Any],
    *,
    stack: str = "test",
    outputs: OutputsMode = "unknown",
    secrets: Mapping[str, str] | None = None,
) -> PlanResult:
    """Run the real program (``infra.program.main``) with ``cfg`` (+ ``secrets``, marked secret) under mocks."""
    from infra.program import main

    flat = flat_config(cfg)
    secret_keys = []
    for key, value in (secrets or {}).items():
        flat[f"mlplatform:{key}"] = value
        secret_keys.append(f"mlplatform:{key}")
    return run_function(main, stack=stack, config=flat, secret_keys=secret_keys, outputs=outputs)


def run(program: Callable[[], Any], outputs: OutputsMode = "fake") -> PlanResult:
    """Run a small program (a component test) under mocks with fake outputs."""
    return run_function(program, outputs=outputs)


def upstream_dir() -> Path:
    """The upstream reference data (CRD schemas, chart defaults); fails the test with a clear message if absent."""
    path = Path(os.environ.get(UPSTREAM_ENV, ROOT.parent / "shared" / "upstream"))
    if not (path / "crd-schemas").is_dir() or not (path / "chart-values").is_dir():
        pytest.fail(
            f"upstream reference data not found at {path} (expected crd-schemas/ and chart-values/); "
            f"set {UPSTREAM_ENV} to the folder that holds them",
            pytrace=False,
        )
    return path


@cache
def crd_schema(api_version: str, kind: str) -> dict[str, Any]:
    """The upstream JSON schema for ``kind`` at ``api_version`` (group/version)."""
    group, version = api_version.split("/")
    path = upstream_dir() / "crd-schemas" / group / f"{kind.lower()}_{version}.json"
    if not path.exists():
        pytest.fail(f"no upstream CRD schema for {api_version} {kind} at {path}", pytrace=False)
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def validate_custom_resource(obj: Mapping[str, Any]) -> list[str]:
    """Strict validation of a custom resource against its upstream CRD schema: the list of problems."""
    from jsonschema import Draft7Validator

    schema = crd_schema(str(obj["apiVersion"]), str(obj["kind"]))
    validator = Draft7Validator(schema)
    return [f"{'.'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in validator.iter_errors(dict(obj))]


@cache
def _saved_plan(stack: str | None, extra: tuple[str, ...]) -> tuple[int, str]:
    texts = tuple(sorted((p.name, p.read_text()) for p in (ROOT / "stacks").glob("Pulumi.*.yaml")))
    return shared(("saved_plan", stack, extra, texts), lambda: _plan_cli(stack, extra))


def _plan_cli(stack: str | None, extra: tuple[str, ...]) -> tuple[int, str]:
    import tempfile

    from components.plan.cli import main

    which = ["--all"] if stack is None else ["--stack", stack]
    with tempfile.TemporaryDirectory(prefix="mlplatform-saved-plan-") as tmp:
        out = Path(tmp) / "plan.json"
        code = main(["plan", "--project", str(ROOT), *which, "--no-tree", "--json", str(out), *extra])
        return code, out.read_text()


def saved_plan_text(stack: str | None, *extra: str) -> tuple[int, str]:
    """``mlplatform plan --project ROOT --stack STACK --no-tree --json FILE EXTRA...`` (``--all`` for ``None``): its
    exit code and the file it wrote. The shipped stacks' plans are deterministic (tests/plan/test_reproducible.py), so
    each is planned once per test process and shared read-only (a str); never for a test that patches the program."""
    return _saved_plan(stack, extra)


def saved_plan(stack: str | None, *extra: str) -> dict[str, Any]:
    """The saved plan of :func:`saved_plan_text`, parsed: a fresh copy the caller may edit."""
    return json.loads(saved_plan_text(stack, *extra)[1])  # type: ignore[no-any-return]


def saved_plan_file(directory: Path, stack: str | None, *extra: str) -> tuple[int, Path]:
    """The saved plan of :func:`saved_plan_text` written to ``directory/plan.json``: exit code and path."""
    code, text = saved_plan_text(stack, *extra)
    path = directory / "plan.json"
    path.write_text(text)
    return code, path


def shipped_plan(stack: str, placeholders: bool = False) -> StackPlan:
    """``plan_stack(load_project(ROOT), stack)`` of a shipped stack (``stacks/Pulumi.<stack>.yaml``): planned once per
    test process and shared by every test file that reads it (deterministic: tests/plan/test_reproducible.py). Read
    it, never edit it; never for a test that patches the program."""
    return stack_plan(None, stack, placeholders)


@cache
def stack_plan(config_dir: str | None, stack: str, placeholders: bool = False) -> StackPlan:
    """``plan_stack`` of ``stack`` in the project at ROOT with its stack files in ``config_dir`` (``None``: stacks/;
    ``"tests/golden_stacks"``: a cover stack), planned once per test run (:func:`shared`): read it, never edit it."""
    key = ("stack_plan", config_dir, stack, placeholders, _stack_text(config_dir, stack))
    return shared(key, lambda: _plan_stack(config_dir, stack, placeholders))


def _plan_stack(config_dir: str | None, stack: str, placeholders: bool) -> StackPlan:
    import dataclasses

    from components.plan.cli import plan_stack
    from components.plan.project import load_project

    project = load_project(ROOT)
    if config_dir is not None:
        project = dataclasses.replace(project, stack_config_dir=config_dir)
    return plan_stack(project, stack, placeholders=placeholders)


@cache
def _rule_plan(config_dir: str | None, stack: str, outputs: OutputsMode) -> tuple[tuple[Resource, ...], StackSettings]:
    key = ("rule_plan", config_dir, stack, outputs, _stack_text(config_dir, stack))
    plan = shared(key, lambda: _plan_for_rules(config_dir, stack, outputs))
    _KEYS[id(plan[0]), id(plan[1])] = (plan, key)
    return plan


def _plan_for_rules(
    config_dir: str | None, stack: str, outputs: OutputsMode
) -> tuple[tuple[Resource, ...], StackSettings]:
    import dataclasses

    from components.plan.engine import run_program
    from components.plan.project import load_project, read_stack_file
    from policy.rules import StackSettings, resources_from_plan

    project = load_project(ROOT)
    if config_dir is not None:
        project = dataclasses.replace(project, stack_config_dir=config_dir)
    cfg = read_stack_file(project, stack)
    result = run_program(
        project.root, stack, cfg.config, cfg.secret_keys, main=project.main, project=project.name, outputs=outputs
    )
    return tuple(resources_from_plan(result)), StackSettings.from_config(cfg.config)


def cover_plan(stack: str, outputs: OutputsMode = "fake") -> tuple[tuple[Resource, ...], StackSettings]:
    """A cover stack's plan (``tests/golden_stacks/Pulumi.<stack>.yaml``) as the policy rules see it: its resources
    and its settings, planned once per test process (read them; copy before a mutation)."""
    return _rule_plan("tests/golden_stacks", stack, outputs)


def rules_plan(stack: str, outputs: OutputsMode = "fake") -> tuple[tuple[Resource, ...], StackSettings]:
    """A shipped stack's plan (``stacks/Pulumi.<stack>.yaml``, fake outputs unless told) as the policy rules see it:
    its resources and its settings, planned once per test process and shared by every test file (deterministic:
    tests/plan/test_reproducible.py). Read them; copy before a mutation (:func:`mutated_resources`); never for a
    test that patches the program."""
    return _rule_plan(None, stack, outputs)


_KEYS: dict[tuple[int, int], tuple[tuple[tuple[Resource, ...], StackSettings], tuple[Any, ...]]] = {}
"""The plans :func:`rules_plan` and :func:`cover_plan` gave, by the ids of their parts: each plan (kept alive here) and
its :func:`shared` key, under which :func:`rule_entries` shares their judgement between the xdist workers."""

_JUDGED: dict[tuple[int, int], tuple[tuple[Resource, ...], StackSettings, list[dict[str, Any]]]] = {}
"""Every tuple plan :func:`rule_entries` judged, by the ids of its parts: the plan itself (kept alive here, so the ids
stay theirs) and its entries."""


def rule_entries(resources: Sequence[Resource], settings: StackSettings) -> list[dict[str, Any]]:
    """``run_rules(list(resources), settings)``: every rule's entries; every call gets its own copy. A plan given as a
    tuple (what :func:`rules_plan`, :func:`cover_plan` and the tests' own ``@cache`` planners return: nobody edits
    them; a mutation is a new list, :func:`mutated_resources`) is judged once per test process for those settings
    (the same objects); any other sequence is judged every call."""
    import copy

    from policy.rules import run_rules

    if not isinstance(resources, tuple):
        return run_rules(list(resources), settings)
    key = (id(resources), id(settings))
    held = _JUDGED.get(key)
    if held is None or held[0] is not resources or held[1] is not settings:
        planned = _KEYS.get(key)
        if planned is not None and planned[0][0] is resources and planned[0][1] is settings:
            entries = shared(("rule_entries", planned[1]), lambda: run_rules(list(resources), settings))
        else:
            entries = run_rules(list(resources), settings)
        held = (resources, settings, entries)
        _JUDGED[key] = held
    return copy.deepcopy(held[2])


def rules_named(*names: str) -> list[Rule]:
    """The rules called ``names`` (ALL_RULES order), for ``run_rules(..., rules=...)`` in a test that reads only their
    entries: each rule judges the resources on its own (policy/rules ``run_rules``), so their entries are the ones
    every rule's judgement gives, at a fraction of the cost. Fails on a name no rule has."""
    from policy.rules import ALL_RULES

    chosen = [r for r in ALL_RULES if r.name in names]
    assert {r.name for r in chosen} == set(names), f"no rule named {set(names) - {r.name for r in chosen}}"
    return chosen


def mutated_resources(
    resources: Sequence[Resource],
    pick: Callable[[Resource], bool],
    change: Callable[[dict[str, Any]], None],
    *,
    exactly: int | None = None,
) -> list[Resource]:
    """The plan's resources with ``change`` applied to a copy of the props of every one ``pick`` selects: at least one
    (or ``exactly`` that many), else the plan's shape moved and the test would prove nothing."""
    import copy
    from dataclasses import replace

    out, hit = [], 0
    for r in resources:
        if pick(r):
            props = copy.deepcopy(dict(r.props))
            change(props)
            r = replace(r, props=props)
            hit += 1
        out.append(r)
    assert hit if exactly is None else hit == exactly, f"the mutation changed {hit} resources: the plan's shape moved"
    return out


def check_cli(argv: Sequence[str]) -> tuple[int, list[list[dict[str, Any]]]]:
    """``mlplatform check ARGV`` in-process (components/plan/cli.py ``main``): its exit code, and the entries
    policy.check ``check`` gave the command for each stack it judged (before ``--strict``; a copy). A test that asserts
    both the exit code and the failures reads the verdicts the command itself reached instead of judging the plan a
    second time (the same code path: ``_check`` calls ``check`` then ``strict``)."""
    import copy

    import policy.check

    real = policy.check.check
    seen: list[list[dict[str, Any]]] = []

    def recording(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        entries = real(*args, **kwargs)
        seen.append(copy.deepcopy(entries))
        return entries

    from components.plan.cli import main

    policy.check.check = recording
    try:
        code = main(["check", *argv])
    finally:
        policy.check.check = real
    return code, seen


@cache
def _target_plan(root: str, config_dir: str, stack: str) -> PlanResult:
    text = (Path(root) / config_dir / f"Pulumi.{stack}.yaml").read_text()
    return shared(("target_plan", root, config_dir, stack, text), lambda: _plan_target(root, config_dir, stack))


def _plan_target(root: str, config_dir: str, stack: str) -> PlanResult:
    from urns import targets

    from components.plan.engine import run_program
    from components.plan.project import read_stack_file

    (t,) = [
        t for t in targets() if (str(t.project.root), t.project.stack_config_dir, t.stack) == (root, config_dir, stack)
    ]
    cfg = read_stack_file(t.project, t.stack)
    return run_program(
        t.project.root, t.stack, cfg.config, cfg.secret_keys, main=t.project.main, project=t.project.name
    )


def target_plans() -> list[tuple[Target, PlanResult]]:
    """Every shipped and cover stack and example (tests/urns.py ``targets``) planned as ``mlplatform plan`` does
    (unknown outputs), once per test process: read the results, never edit them."""
    from urns import targets

    return [(t, _target_plan(str(t.project.root), t.project.stack_config_dir, t.stack)) for t in targets()]


def write_manifest(tmp_path: Path, doc: Any) -> Path:
    """``doc`` as ``tmp_path/isvc.yaml`` (a manifest for ``mlplatform import``)."""
    import yaml

    path = tmp_path / "isvc.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def import_refusal_line(capsys: pytest.CaptureFixture[str], path: Path, stack: str = "aws-dev") -> str:
    """``mlplatform import PATH --stack STACK`` refuses with exit 2, nothing on stdout and exactly one line on stderr:
    that line."""
    from components.plan.cli import main

    code = main(["import", str(path), "--project", str(ROOT), "--stack", stack])
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert code == 2 and out == "" and len(lines) == 1, (code, out, lines)
    return lines[0]


def without_knative_only(config: dict[str, str]) -> dict[str, str]:
    """``config`` (a stack's flat config) with each model's ``scaling.scaleDownDelay`` removed when its platform is in
    Standard mode, where it is refused (red14h break 7): for tests that plan a Knative stack in Standard mode."""
    platform = json.loads(config.get("mlplatform:platform", "{}"))
    if platform.get("deploymentMode") != "Standard" or "mlplatform:models" not in config:
        return config
    models = json.loads(config["mlplatform:models"])
    for spec in models.values():
        if isinstance(spec, dict) and isinstance(spec.get("scaling"), dict):
            spec["scaling"].pop("scaleDownDelay", None)
    return {**config, "mlplatform:models": json.dumps(models)}
