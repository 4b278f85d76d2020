"""red14m W1 and W6: anonymous S3 reads that KServe's storage initializer can make, and hf:// URIs it can parse."""

from __future__ import annotations

import pytest
from serving_support import ISVC, SA, SECRET, model, plan

from components.errors import SpecError
from components.serving.spec import ModelSpec
from components.storage import parse_storage_uri


def test_public_s3_storage_lists_a_secret_that_turns_on_anonymous_s3_reads() -> None:
    # main (9c2eedb): no Secret, the ServiceAccount lists none; KServe v0.20.0's storage initializer then signs its S3
    # requests (kserve_storage.py get_S3_config reads awsAnonymousCredential) and fails with NoCredentialsError.
    p = plan(model(storageUri="s3://public-models/iris", publicStorage=True))
    secret = p.one(SECRET, "iris-storage-anon")
    assert secret.plain_inputs()["metadata"]["annotations"] == {"serving.kserve.io/s3-useanoncredential": "true"}
    # mountSecretCredential reads a Secret as S3 credentials only when it has the awsSecretAccessKey key
    assert secret.plain_inputs()["stringData"] == {"awsAccessKeyID": "", "awsSecretAccessKey": ""}
    assert p.inputs(SA)["secrets"] == [{"name": "iris-storage-anon"}]
    assert secret.urn in p.one(ISVC).depends_on
    assert secret.urn in p.one(SA).depends_on


def test_public_s3_storage_uris_get_the_anonymous_secret_too() -> None:
    p = plan(
        model(
            format="huggingface",
            storageUri=None,
            storageUris=[{"uri": "s3://bucket/base-model", "mountPath": "/mnt/models/base"}],
            publicStorage=True,
        )
    )
    assert p.inputs(SA)["secrets"] == [{"name": "iris-storage-anon"}]


def test_public_gcs_storage_needs_no_secret() -> None:
    # gs:// falls back to an anonymous client by itself (kserve_storage.py _download_gcs, v0.20.0)
    p = plan(model())
    assert SECRET not in p.types()
    assert "secrets" not in p.inputs(SA) or p.inputs(SA)["secrets"] is None


@pytest.mark.parametrize("uri", ["hf://google-bert/bert-base-uncased/", "hf://org/model/extra", "hf://org/model/"])
def test_hf_uris_with_more_than_two_parts_are_refused(uri: str) -> None:
    # main (9c2eedb): accepted; KServe v0.20.0's storage initializer splits what follows hf:// on "/" and raises
    # "Invalid Hugging Face URI format" unless there are exactly two parts (kserve_storage.py _download_hf)
    with pytest.raises(SpecError) as e:
        parse_storage_uri(uri)
    assert str(e.value) == (
        f"storageUri: {uri} is not allowed; give hf://<organisation>/<model>[:<revision>] with nothing after the "
        "model: KServe's storage initializer splits the rest on '/' and needs exactly two parts (kserve_storage.py "
        "_download_hf, v0.20.0)"
    )


def test_hf_uri_with_a_revision_is_accepted() -> None:
    assert parse_storage_uri("hf://org/model:main").bucket == "org"
    assert ModelSpec.model_validate(model(format="huggingface", storageUri="hf://org/model")).storage_uri
