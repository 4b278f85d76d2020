"""Stack files are read with libyaml's parser when PyYAML has it (components/plan/project.py ``_CStackLoader``), and
the result is exactly the Python loader's: the same value for every file, and the same one-line refusal (the Python
loader words every refusal, with its line), libyaml absent or not."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.plan import project
from components.plan.project import ProjectError, parse_stack_text

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(
    [
        *(ROOT / "stacks").glob("Pulumi.*.yaml"),
        *(ROOT / "tests" / "golden_stacks").glob("Pulumi.*.yaml"),
        *(ROOT / "examples").glob("*/Pulumi.*.yaml"),
        *(ROOT / "tests" / "bad_inputs" / "cases").glob("*.yaml"),
    ]
)
SHIPPED = [f for f in FILES if "bad_inputs" not in f.parts]
needs_libyaml = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML is built without libyaml here")


def outcome(data: bytes, fast: bool, monkeypatch: pytest.MonkeyPatch) -> str:
    """What ``parse_stack_text`` gives, as text that tells 1, 1.0, True and "1" apart: the value or the refusal."""
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(project, "_FAST_LOADER", None)
        try:
            return f"value {parse_stack_text(data, 'stacks/Pulumi.x.yaml')!r}"
        except ProjectError as e:
            return f"refused {e}"


def test_the_corpus_is_every_stack_file() -> None:
    assert len(SHIPPED) >= 7 and len(FILES) - len(SHIPPED) >= 500


def test_every_stack_file_reads_the_same_with_and_without_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every shipped, cover and example stack and every bad-input case: the same value or the same line."""
    differ = [
        f.name
        for f in FILES
        if outcome(f.read_bytes(), True, monkeypatch) != outcome(f.read_bytes(), False, monkeypatch)
    ]
    assert differ == []


@needs_libyaml
def test_the_shipped_stacks_are_read_by_libyaml() -> None:
    """The fast path is taken (not only the fallback): libyaml composes each shipped stack to the Python value."""
    assert project._FAST_LOADER is not None
    for f in SHIPPED:
        text = f.read_text()
        assert not project._libyaml_may_differ(text), f.name
        fast = project._read_yaml(project._FAST_LOADER, text, f.name)
        assert repr(fast) == repr(project._read_yaml(project._StackLoader, text, f.name)), f.name


# Texts libyaml reads otherwise than PyYAML (found by comparing both loaders on mutated stack files); each goes to the
# Python loader, so the result is PyYAML's.
DIFFERING = {
    # (a tab after a colon or inside a plain key was here: GoTabsScanner now reads tabs as go-yaml and libyaml do,
    # red14m M3; a text with a tab still goes to the Python loader)
    "a : before a flow indicator": "config:\n  mlplatform:zones: [us-east-1a:, b]\n",
    "a ? inside a flow list": "config:\n  mlplatform:zones: [us-east-1a?]\n",
    "a ? inside a flow map": "config:\n  mlplatform:tags: {own?er: ml}\n",
    "the non-specific tag on an empty value": "config:\n  mlplatform:region: !\n  mlplatform:cloud: aws\n",
    "the non-specific tag in a flow list": "config:\n  mlplatform:zones: [!, a]\n",
}


def _read(loader: type[project._StackLoader], text: str) -> str:
    try:
        return f"value {project._read_yaml(loader, text, 'x')!r}"
    except (yaml.YAMLError, ProjectError) as e:  # ProjectError: a tagged scalar (red14j breaks 1, 2)
        return f"refused {getattr(e, 'problem', e)}"


@needs_libyaml
@pytest.mark.parametrize("text", DIFFERING.values(), ids=DIFFERING.keys())
def test_a_text_libyaml_reads_otherwise_is_read_as_pyyaml_reads_it(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert project._FAST_LOADER is not None
    assert _read(project._FAST_LOADER, text) != _read(project._StackLoader, text)  # libyaml alone would differ
    assert project._libyaml_may_differ(text)
    assert outcome(text.encode(), True, monkeypatch) == outcome(text.encode(), False, monkeypatch)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            "config:\n  a: [1\n  b: 2\n",
            "stacks/Pulumi.x.yaml: line 3: YAML syntax error: expected ',' or ']', but got ':'",
        ),
        ("config:\n  a: 1\n  a: 2\n", "stacks/Pulumi.x.yaml: line 3: YAML syntax error: a is given twice"),
        ("- a\n", "stacks/Pulumi.x.yaml: the file is not a YAML map; give `config:` with mlplatform: keys under it"),
    ],
)
def test_a_refusal_is_the_python_loaders_line(text: str, line: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """libyaml words syntax errors otherwise ("could not find expected ':'"): the line is PyYAML's, with its line."""
    assert outcome(text.encode(), True, monkeypatch) == f"refused {line}"
    assert outcome(text.encode(), False, monkeypatch) == f"refused {line}"


# red14k break 1: a tag right after a flow `:` (or `?`, or a closing quote) is a tag to go-yaml (v3.0.1 scannerc.go
# yaml_parser_fetch_next_token reads ':' and '?' as indicators in flow context and then '!' as a tag), so it must take
# the Python loader, which marks and refuses it; libyaml alone read `!!float 010` as 10, where go reads 8.
FLOW_TAGS = [
    'config:\n  a: {"maxReplicas":!!float 010}\n',
    'config:\n  a: {"k":!!bool yes}\n',
    "config:\n  a: {'k':!!int 1:30}\n",
    "config:\n  a: [{x: 1}, {[x]:!!null x}]\n",
    'config:\n  a: {"k":!<tag:yaml.org,2002:int> 9}\n',
    "config:\n  a: {? !!int 9 : 1}\n",
    "config:\n  a: {?!!int 9 : 1}\n",
    "\ufeff!!int 010\n",
]


@needs_libyaml
@pytest.mark.parametrize("text", FLOW_TAGS)
def test_a_tag_after_a_flow_indicator_is_refused_as_the_python_loader_refuses_it(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert project._libyaml_may_differ(text)
    fast, slow = outcome(text.encode(), True, monkeypatch), outcome(text.encode(), False, monkeypatch)
    assert fast == slow and fast.startswith("refused ")


def _flow_documents(count: int, seed: int) -> list[str]:
    """Flow maps and lists of keys, separators and values that go-yaml reads as tags, anchors, aliases, merges, and
    numbers (red14k's fp.py, which found 78 differences in 4,000 on main, all tags after a flow `:`)."""
    import random

    rng = random.Random(seed)
    atoms = ["!!float 010", "!!bool yes", "!!int 1:30", "!!null x", "! 010", "&a 1", "*a", '"x"', "'y'", "2024-1-5"]
    atoms += ["010", "<<", "~", "[1, 2]", "{k: v}", "!!str 2024-01-05", "!!binary aGk=", "!!set {a}", "? a", "-1"]
    atoms += ["0o17", ".inf", "1e3", "!!map {a: 1}", "!foo x", "!<tag:yaml.org,2002:int> 9", "!!str x"]
    keys = ['"k"', "'k'", "k", "[x]", "{x: 1}", '"<<"', "*a", "&b k", "? k"]
    shapes = ["a: &a {z: 1}\nb: {%s}\n", "b: [{%s}]\n", "b: {x: 1, %s}\n", "b: {%s, y: 2}\n", "b: [%s]\n"]
    return [
        rng.choice(shapes) % f"{rng.choice(keys)}{rng.choice([':', ': ', ' : ', ':  '])}{rng.choice(atoms)}"
        for _ in range(count)
    ]


@needs_libyaml
def test_generated_flow_documents_read_the_same_with_and_without_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    documents = _flow_documents(1500, seed=14)
    differ = [t for t in documents if outcome(t.encode(), True, monkeypatch) != outcome(t.encode(), False, monkeypatch)]
    assert differ == []
    assert sum(outcome(t.encode(), False, monkeypatch).startswith("value ") for t in documents) > 300
