"""GCP placeholders for ``mlplatform plan`` (the cloud's placeholder module, :attr:`components.clouds.Cloud.plan`;
:mod:`components.plan.fakes` says what such a module defines). The project is ``mlplatform-test``."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

from components.plan.fakes import Fake

PROJECT = "mlplatform-test"


def placeholders(config: Mapping[str, str], project: str) -> dict[str, str]:
    """What the plan says about the GCP placeholders."""
    return {"gcpProject": PROJECT}


def _gke_cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "endpoint": "203.0.113.10",
        "masterAuth": {"clusterCaCertificate": base64.b64encode(b"fake-ca").decode()},
        "selfLink": f"https://container.googleapis.com/v1/projects/{PROJECT}/locations/x/clusters/{name}",
    }


def _gsa(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    account = inputs.get("accountId", name)
    project = inputs.get("project", PROJECT)
    return {"email": f"{account}@{project}.iam.gserviceaccount.com", "name": f"projects/{project}/serviceAccounts/x"}


FAKES: dict[str, Fake] = {
    "gcp:container/cluster:Cluster": _gke_cluster,
    "gcp:serviceaccount/account:Account": _gsa,
}
"""Placeholder computed outputs by type token."""

CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "gcp:organizations/getClientConfig:getClientConfig": lambda a: {"project": PROJECT},
    "gcp:organizations/getProject:getProject": lambda a: {
        "projectId": a.get("projectId", PROJECT),
        "number": "123456789012",
    },
    "gcp:compute/getZones:getZones": lambda a: {
        "names": [f"{a.get('region', 'us-central1')}-{z}" for z in ("f", "c", "a", "b")],
    },
}
"""Fake answers to the GCP provider functions (invokes) by token."""
