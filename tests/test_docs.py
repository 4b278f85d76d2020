"""Docs that are generated from code stay in step with it."""

from __future__ import annotations

from infra import docs


def test_configuration_reference_matches_the_models() -> None:
    committed = docs.DOC.read_text()
    assert committed == docs.render(committed), "docs/configuration.md is stale: run `python -m infra.docs`"


def test_every_key_has_a_type_and_default_column() -> None:
    rows = docs.rows()
    keys = [r[0] for r in rows]
    assert "mlplatform:cluster.gpuPools.<name>.maxNodes" in keys
    assert "mlplatform:models.<name>.storageUri" in keys
    assert len(keys) == len(set(keys))
    assert all(r[1] and r[2] for r in rows)
