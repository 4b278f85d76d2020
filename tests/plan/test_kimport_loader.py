"""``mlplatform import`` reads manifests with libyaml (components/plan/kimport.py ``_fast_documents``) and every text
reads to the same values, or the same one-line refusal, as with PyYAML's Python loader alone (``_ManifestLoader``,
the reference): every manifest of tests/plan/test_kimport.py (after KServe v0.20.0's documented examples), the shipped
and cover stack files, a thousand mutations of them, and the refusal for too many values at lowered limits (its line,
column and snippet). The stack files' own libyaml reading is compared on every stack file in
tests/plan/test_stack_loader.py."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import test_kimport
import yaml

from components.errors import SpecError
from components.plan import kimport
from support import ROOT

pytestmark = pytest.mark.skipif(kimport._FAST_LOADER is None, reason="PyYAML is built without libyaml here")


def _typed(value: Any) -> Any:
    """``value`` with every scalar's type beside it (``1 == True`` and a long number kept as text are told apart)."""
    if isinstance(value, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    return (type(value).__name__, value)


def _corpus() -> list[str]:
    """Every manifest of tests/plan/test_kimport.py, dumped block and flow style, one a file and all in one stream,
    and the shipped and cover stack files."""
    texts = [
        p.read_text(encoding="utf-8")
        for d in ("stacks", "tests/golden_stacks")
        for p in sorted((ROOT / d).glob("*.yaml"))
    ]
    manifests = [v for k, v in sorted(vars(test_kimport).items()) if k.isupper() and isinstance(v, dict)]
    assert len(manifests) >= 20, "test_kimport's manifests moved"
    for m in manifests:
        texts.append(yaml.safe_dump(m, sort_keys=False))
        texts.append(yaml.safe_dump(m, default_flow_style=True))
    texts.append(yaml.safe_dump_all(manifests, sort_keys=False))
    texts.append("# ünïcode\nkind: InferenceService\nmetadata: {name: é-model, labels: {a: 'ø'}}\nspec: [1, 2]\n")
    return texts


CORPUS = _corpus()
INSERTS = (":", ": ", "- ", "*a", "&a ", "[", "]", "{", "}", '"', "'", "#", "\n", "  ", ",", "|", ">", "é", "9" * 30)


def _mutations(count: int) -> Iterator[str]:
    """``count`` texts of the corpus with one insert or one deletion each (a fixed seed)."""
    rng = random.Random(15)
    small = [t for t in CORPUS if 0 < len(t) < 20_000]
    for _ in range(count):
        text = rng.choice(small)
        at = rng.randrange(len(text))
        if rng.random() < 0.2:
            yield text[:at] + text[at + 1 :]
        else:
            yield text[:at] + rng.choice(INSERTS) + text[at:]


def _outcome(path: Path) -> tuple[str, Any]:
    try:
        return "read", _typed(kimport.read_documents(path))
    except SpecError as e:
        return "refused", str(e)


def _both(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[tuple[str, Any], tuple[str, Any]]:
    """``read_documents`` of ``text`` as shipped, and with the Python loader alone."""
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    fast = _outcome(path)
    with monkeypatch.context() as m:
        m.setattr(kimport, "_FAST_LOADER", None)
        slow = _outcome(path)
    return fast, slow


def test_every_yaml_file_and_manifest_reads_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    taken = 0
    for text in CORPUS:
        fast, slow = _both(tmp_path, text, monkeypatch)
        assert fast == slow, text[:200]
        taken += kimport._fast_documents(text) is not None
    assert len(CORPUS) > 60 and taken > len(CORPUS) * 0.8, (taken, len(CORPUS))  # libyaml read most of them


def test_mutated_manifests_read_or_are_refused_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes = {"read": 0, "refused": 0}
    for text in _mutations(1000):
        fast, slow = _both(tmp_path, text, monkeypatch)
        assert fast == slow, text
        outcomes[fast[0]] += 1
    assert min(outcomes.values()) > 100, outcomes  # both kinds of outcome were compared


@pytest.mark.parametrize("limit", [0, 1, 7, 40])
def test_too_many_values_is_refused_at_the_same_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """The one refusal libyaml's reading words itself (components/plan/kimport.py ``_fast_documents``): at the
    same value, with the Python reader's mark, as the Python loader."""
    monkeypatch.setattr(kimport, "MAX_NODES", limit)
    worded = 0
    for text in CORPUS:
        fast, slow = _both(tmp_path, text, monkeypatch)
        assert fast == slow, text[:200]
        if slow[0] == "refused" and f"more than {limit} values" in slow[1]:
            with pytest.raises(yaml.composer.ComposerError):  # libyaml's reading worded it
                kimport._fast_documents(text)
            worded += 1
    assert worded > 30, worded
