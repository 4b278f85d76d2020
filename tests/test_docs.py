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


def test_architecture_describes_where_cluster_chart_versions_live() -> None:
    """docs/architecture.md says where the cluster layer's chart versions live and how they are checked (issue #15,
    "Done when"; review rev15c finding 5), and every name it gives for that exists in the code."""
    import re
    from pathlib import Path

    from components import clouds, versions
    from components import clusters as clusters_pkg
    from components.clusters import eks
    from components.clusters.spec import ClusterSpec

    text = (Path(__file__).resolve().parent.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = re.search(r"^## Cluster-chart versions\n(.*?)^## ", text, re.S | re.M)
    assert section, "docs/architecture.md has no 'Cluster-chart versions' section"
    body = section.group(1)
    names = {
        "CLUSTER_CHARTS": versions,
        "CHARTS": versions,
        "KARPENTER_KUBERNETES": versions,
        "AUTOSCALER_CHARTS": versions,
        "cluster_chart_problem": versions,
        "check_cluster_versions": clusters_pkg,
        "cluster_charts": eks,
    }
    for name, module in names.items():
        assert f"`{name}" in body or f".{name}`" in body or f"{name}(" in body, name
        assert hasattr(module, name), name
    assert "`Cloud.cluster_charts`" in body and "cluster_charts" in {
        f.name for f in clouds.Cloud.__dataclass_fields__.values()
    }
    assert "mlplatform:cluster.versions" in body and "versions" in ClusterSpec.model_fields
    assert "components/versions.py" in body and "platform.allowUnsupportedVersions" in body
