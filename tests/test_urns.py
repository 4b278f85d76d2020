"""Resource names are the upgrade contract: the planned URNs of every shipped stack and example against
tests/golden_urns/, and proof that the check fails on a rename and passes once an alias covers it (tests/urns.py)."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pulumi
import pytest
import urns

from components.plan.engine import PlanResult, run_function, run_program
from components.plan.project import load_project, read_stack_file
from support import shared_cache

TARGETS = urns.targets()


@shared_cache  # planned once per run, not once per xdist worker (tests/support.py)
def _planned(name: str) -> PlanResult:
    return urns.plan(next(t for t in TARGETS if str(t) == name))


@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_no_shipped_urn_vanishes_without_an_alias(target: urns.Target) -> None:
    """A rename that would make Pulumi delete and recreate a deployed resource fails here."""
    assert target.golden.exists(), f"{target}: no golden list; run `{urns.UPDATE}`"
    comparison = urns.compare(urns.read_golden(target.golden), _planned(str(target)))
    assert comparison.safe, urns.explain(target, comparison)


@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_golden_list_is_current(target: urns.Target) -> None:
    """New resources (and aliased renames) are recorded, so that they are protected from the next change on."""
    comparison = urns.compare(urns.read_golden(target.golden), _planned(str(target)))
    assert comparison.current, urns.explain(target, comparison)


def test_every_golden_list_belongs_to_a_target() -> None:
    expected = {t.golden.name for t in TARGETS}
    assert {p.name for p in urns.GOLDEN.glob("*.txt")} == expected
    assert {"mlplatform.aws-dev.txt", "mlplatform.gcp-prod.txt", "model-on-existing-cluster.dev.txt"} <= expected


def test_golden_lists_are_sorted_and_deterministic() -> None:
    for target in TARGETS:
        lines = urns.read_golden(target.golden)
        assert lines == sorted(set(lines)), target
    # a second plan in the same process gives the same URNs (no random names)
    again = urns.plan(TARGETS[0])
    assert sorted(r.urn for r in again.resources) == urns.read_golden(TARGETS[0].golden)


# --- the check itself, on a tiny component -------------------------------------------------------------------------

PROJECT, STACK = "urntest", "test"


class Box(pulumi.ComponentResource):
    """A component with two ``<name>-<role>`` children, the shape every mlplatform component has."""

    def __init__(
        self,
        name: str,
        role: str = "config",
        child_aliases: list[pulumi.Alias] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("test:index:Box", name, None, opts)
        pulumi.CustomResource(
            "test:index:Thing",
            f"{name}-{role}",
            {},
            opts=pulumi.ResourceOptions(parent=self, aliases=child_aliases),
        )
        pulumi.CustomResource("test:index:Thing", f"{name}-other", {}, opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


def _plan_box(**kwargs: object) -> PlanResult:
    name = str(kwargs.pop("name", "box"))
    return run_function(lambda: Box(name, **kwargs), project=PROJECT, stack=STACK, keep_aliases=True)  # type: ignore[arg-type]


def _urn(qualified: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{qualified}::{name}"


BOX = _urn("test:index:Box", "box")
CONFIG = _urn("test:index:Box$test:index:Thing", "box-config")
OTHER = _urn("test:index:Box$test:index:Thing", "box-other")


@cache
def _golden() -> tuple[str, ...]:
    return tuple(sorted(r.urn for r in _plan_box().resources))


def test_the_golden_urns_of_the_box() -> None:
    assert set(_golden()) == {BOX, CONFIG, OTHER}


def test_a_renamed_child_fails_and_says_what_to_do() -> None:
    comparison = urns.compare(_golden(), _plan_box(role="settings"))
    assert not comparison.safe
    assert comparison.unaliased == [CONFIG]
    message = urns.explain("urntest/test", comparison)
    assert f"vanished without an alias (Pulumi would DELETE these resources and create new ones):\n  - {CONFIG}" in (
        message
    )
    assert f"appeared:\n  + {_urn('test:index:Box$test:index:Thing', 'box-settings')}" in message
    assert "aliases=[pulumi.Alias(name=<old name>)]" in message
    assert "python -m tests.urns --update --accept-removed" in message


def test_a_renamed_child_with_an_alias_passes() -> None:
    comparison = urns.compare(_golden(), _plan_box(role="settings", child_aliases=[pulumi.Alias(name="box-config")]))
    assert comparison.safe, urns.explain("urntest/test", comparison)
    assert comparison.aliased == {CONFIG: _urn("test:index:Box$test:index:Thing", "box-settings")}
    assert not comparison.current  # still to be recorded with --update
    assert "Intended and safe: record it with" in urns.explain("urntest/test", comparison)


def test_an_alias_to_another_name_does_not_cover_the_rename() -> None:
    comparison = urns.compare(_golden(), _plan_box(role="settings", child_aliases=[pulumi.Alias(name="box-cfg")]))
    assert comparison.unaliased == [CONFIG]


def test_a_renamed_parent_with_an_alias_carries_its_children() -> None:
    """The engine gives each child of an aliased parent an inherited alias (step_generator.go inheritedChildAlias)."""
    without = urns.compare(_golden(), _plan_box(name="crate"))
    assert set(without.unaliased) == {BOX, CONFIG, OTHER}
    renamed = _plan_box(name="crate", opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name="box")]))
    comparison = urns.compare(_golden(), renamed)
    assert comparison.safe, urns.explain("urntest/test", comparison)
    assert comparison.aliased[OTHER] == _urn("test:index:Box$test:index:Thing", "crate-other")


def test_a_child_moved_out_of_its_parent_needs_an_alias_naming_the_old_parent() -> None:
    def moved(aliases: list[pulumi.Alias] | None) -> PlanResult:
        def program() -> None:
            Box("box", role="unused")
            pulumi.CustomResource("test:index:Thing", "box-config", {}, opts=pulumi.ResourceOptions(aliases=aliases))

        return run_function(program, project=PROJECT, stack=STACK, keep_aliases=True)

    assert urns.compare(_golden(), moved(None)).unaliased == [CONFIG]
    comparison = urns.compare(_golden(), moved([pulumi.Alias(parent=BOX)]))
    assert comparison.safe, urns.explain("urntest/test", comparison)


def test_two_resources_claiming_one_old_urn_are_refused() -> None:
    def program() -> None:
        Box("box", role="settings", child_aliases=[pulumi.Alias(name="box-config")])
        pulumi.CustomResource("test:index:Thing", "stray", {}, opts=pulumi.ResourceOptions(aliases=[CONFIG]))

    comparison = urns.compare(_golden(), run_function(program, project=PROJECT, stack=STACK, keep_aliases=True))
    assert not comparison.safe
    assert any("both alias" in c for c in comparison.conflicts)


def test_a_plan_without_keep_aliases_records_none() -> None:
    """``mlplatform plan`` drops aliases for speed; the golden check must not rely on that plan."""
    plain = run_function(
        lambda: Box("box", role="settings", child_aliases=[pulumi.Alias(name="box-config")]),
        project=PROJECT,
        stack=STACK,
    )
    assert all(not r.aliases for r in plain.resources)
    assert not urns.compare(_golden(), plain).safe


# --- the same on a copy of the shipped example ----------------------------------------------------------------------

EXAMPLE = urns.EXAMPLES / "model-on-existing-cluster"


def _plan_copy(tmp_path: Path, old: str, new: str) -> PlanResult:
    copy = tmp_path / "example"
    shutil.copytree(EXAMPLE, copy)
    main = copy / "__main__.py"
    text = main.read_text()
    assert old in text
    main.write_text(text.replace(old, new))
    project = load_project(copy)
    cfg = read_stack_file(project, "dev")
    return run_program(
        copy, "dev", cfg.config, cfg.secret_keys, main=project.main, project=project.name, keep_aliases=True
    )


CLUSTER_LINE = 'cluster = ExistingCluster("cluster", ExistingClusterArgs(context=config.get("context")))'
GOLDEN_EXAMPLE = EXAMPLE.parent.parent / "tests" / "golden_urns" / "model-on-existing-cluster.dev.txt"


def test_renaming_the_examples_cluster_fails_against_the_shipped_list(tmp_path: Path) -> None:
    renamed = CLUSTER_LINE.replace('"cluster"', '"kind"')
    comparison = urns.compare(urns.read_golden(GOLDEN_EXAMPLE), _plan_copy(tmp_path, CLUSTER_LINE, renamed))
    assert comparison.unaliased == [
        "urn:pulumi:dev::model-on-existing-cluster::mlplatform:index:ExistingCluster$pulumi:providers:kubernetes::"
        "cluster-k8s",
        "urn:pulumi:dev::model-on-existing-cluster::mlplatform:index:ExistingCluster::cluster",
    ]


def test_renaming_the_examples_cluster_with_an_alias_passes(tmp_path: Path) -> None:
    renamed = CLUSTER_LINE.replace(
        '"cluster", ExistingClusterArgs(context=config.get("context")))',
        '"kind", ExistingClusterArgs(context=config.get("context")), '
        'opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name="cluster")]))',
    )
    comparison = urns.compare(urns.read_golden(GOLDEN_EXAMPLE), _plan_copy(tmp_path, CLUSTER_LINE, renamed))
    assert comparison.safe, urns.explain("model-on-existing-cluster/dev", comparison)
    assert len(comparison.aliased) == 2  # the component by its alias, its provider child by the inherited one


# --- the update command ---------------------------------------------------------------------------------------------


def test_update_refuses_to_drop_an_unaliased_urn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example = next(t for t in TARGETS if t.project.root == EXAMPLE.resolve())
    monkeypatch.setattr(urns, "GOLDEN", tmp_path)
    monkeypatch.setattr(urns, "targets", lambda: [example])
    gone = "urn:pulumi:dev::model-on-existing-cluster::mlplatform:index:ModelService::retired-model"
    lines = [*urns.read_golden(GOLDEN_EXAMPLE), gone]
    urns.write_golden(example.golden, lines)
    assert urns.update() == 1
    assert gone in urns.read_golden(example.golden)  # untouched
    assert urns.update(accept_removed=True) == 0
    assert urns.read_golden(example.golden) == urns.read_golden(GOLDEN_EXAMPLE)
    assert urns.main([]) == 0
