"""The storage identity seam: ModelService asks the cluster for read access and wires what it returns."""

from __future__ import annotations

import pytest
from serving_support import ISVC, SA, SERVICE, model, plan

PRIVATE = model(storageUri="s3://acme-models/fraud/v7", publicStorage=False)


def test_private_bucket_is_granted_to_the_model_service_account() -> None:
    p = plan(PRIVATE, name="fraud")
    assert p.cluster is not None
    (grant,) = p.cluster.grants
    assert (grant.name, grant.namespace, grant.service_account, grant.storage_uri) == (
        "fraud",
        "models",
        "fraud-sa",
        "s3://acme-models/fraud/v7",
    )
    assert grant.parent is p.services[0]


def test_the_grant_annotates_the_service_account_and_labels_the_pods() -> None:
    p = plan(PRIVATE, name="fraud")
    sa = p.inputs(SA)
    identity = p.one("kubernetes:core/v1:ConfigMap", "fraud-identity")
    assert identity.parent == p.one(SERVICE).urn
    assert sa["metadata"]["annotations"] == {"identity.test/role": "role-fraud-identity-id"}
    assert sa["metadata"]["labels"]["identity.test/use"] == "true"
    assert p.predictor()["labels"]["identity.test/pod"] == "true"
    assert p.predictor()["serviceAccountName"] == "fraud-sa"
    # the ServiceAccount's annotation comes from the identity resource, so it waits for it
    assert identity.urn in p.one(SA).property_dependencies.get("metadata", [])
    assert p.one(SERVICE).outputs["identity"] == "role-fraud-identity-id"


@pytest.mark.parametrize(
    "overrides",
    [
        {"publicStorage": True},
        {
            "storageUri": "hf://Qwen/Qwen2.5-0.5B-Instruct",
            "format": "huggingface",
            "resources": {"gpus": 1, "accelerator": "nvidia-l4"},
        },
        {"storageUri": "pvc://models-pvc/iris"},
        {"storageUri": "oci://registry.example.com/models/iris:1"},
    ],
)
def test_storage_that_needs_no_identity_asks_for_none(overrides: dict[str, object]) -> None:
    p = plan({**PRIVATE, **overrides})
    assert p.cluster is not None and p.cluster.grants == []
    assert "annotations" not in p.inputs(SA)["metadata"]
    assert "identity" not in p.one(SERVICE).outputs
    assert p.one(ISVC)
