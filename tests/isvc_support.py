"""KServe InferenceService manifests for the import tests (``mlplatform import``, components/plan/kimport.py), in one
place: the shapes the red-team and review tests of #14 write again and again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from components.plan import kimport
from components.plan.project import Project


def inference_service(name: str, predictor: dict[str, Any], **spec: Any) -> dict[str, Any]:
    """A ``serving.kserve.io/v1beta1`` InferenceService named ``name`` with ``predictor`` and more ``spec`` keys."""
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": name},
        "spec": {"predictor": predictor, **spec},
    }


def custom_isvc(**container: Any) -> dict[str, Any]:
    """A custom-container InferenceService ``models/m1`` serving on 8080 (HTTP), with ``container``'s fields added."""
    server = {"name": "kserve-container", "image": "ghcr.io/acme/srv:1.0", "ports": [{"containerPort": 8080}]}
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "m1", "namespace": "models"},
        "spec": {"predictor": {"containers": [{**server, **container}]}},
    }


def import_docs(tmp_path: Path, project: Project, *docs: Any, stack: str = "aws-dev") -> kimport.ImportResult:
    """``docs`` written as one multi-document file and imported for ``stack``."""
    path = tmp_path / "isvc.yaml"
    path.write_text(yaml.safe_dump_all(list(docs), sort_keys=False))
    return kimport.import_files([path], project, stack)
