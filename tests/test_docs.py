"""Docs that are generated from code stay in step with it."""

from __future__ import annotations

from infra import docs


def test_configuration_reference_matches_the_models() -> None:
    committed = docs.DOC.read_text()
    assert committed == docs.render(committed), "docs/configuration.md is stale: run `python -m infra.docs`"


def test_catalog_region_table_matches_the_data() -> None:
    committed = docs.CATALOG_DOC.read_text()
    assert committed == docs.render_catalog(committed), "docs/catalog.md is stale: run `python -m infra.docs`"
    assert "| nvidia-h200 | 8 | `a3-ultragpu-8g` | asia-south2 (c), europe-west1 (b), us-central1 (b)," in committed
    assert "| system pool | - | `e2-standard-4` | not known (never refused) |" in committed


def test_every_key_has_a_type_and_default_column() -> None:
    rows = docs.rows()
    keys = [r[0] for r in rows]
    assert "mlplatform:cluster.gpuPools.<name>.maxNodes" in keys
    assert "mlplatform:models.<name>.storageUri" in keys
    assert len(keys) == len(set(keys))
    assert all(r[1] and r[2] for r in rows)
