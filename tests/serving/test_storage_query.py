"""A storage URI with a query (rev14 defect 8): KServe's storage initializer downloads a plain ``https://`` URL as
given, query included, and reads the file's name and type from its path (or from the query when the path has none:
KServe v0.20.0 python/storage/kserve_storage/kserve_storage.py ``_download_from_uri``); KServe's own uri.md example
is ``.../model.joblib?raw=true``. A query that carries a credential is refused in one line, redacted: the query
authentication of a presigned URL (docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html:
``X-Amz-Credential``, ``X-Amz-Signature``, ``X-Amz-Security-Token``), of a signed URL
(cloud.google.com/storage/docs/access-control/signed-urls: ``X-Goog-Signature``), a SAS ``sig``, an OAuth
``access_token`` (RFC 6750 section 2.3) or an API key. For the ``s3://`` and ``gs://`` forms the initializer reads the
bucket and the path only (``urlparse(uri).path``), so a query there stays refused."""

from __future__ import annotations

import pytest
from serving_support import model, plan

from components.errors import SpecError
from components.storage import parse_storage_uri

RAW = "https://github.com/kserve/kserve/raw/master/docs/samples/v1beta1/sklearn/v1/model/model.joblib?raw=true"
SECRET_LINE = (
    "is not allowed; a credential in the URI's query (a signed URL's X-Amz-Signature or X-Goog-Signature, a SAS sig=, "
    "a token or key) would be stored in plain text in the manifests and the state; give the URL without it"
)


def test_kserves_documented_query_url_is_accepted_and_rendered_as_given() -> None:
    loc = parse_storage_uri(RAW)
    assert (loc.scheme, loc.bucket) == ("https", "github.com")
    assert loc.prefix == "kserve/kserve/raw/master/docs/samples/v1beta1/sklearn/v1/model/model.joblib"
    p = plan(model(storageUri=RAW))
    assert p.predictor()["model"]["storageUri"] == RAW


@pytest.mark.parametrize(
    "query",
    [
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130721&X-Amz-Signature=ab12",
        "X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=11ae9c61ca84",
        "sv=2022-11-02&sp=r&sig=abc%3D",
        "access_token=ya29.a0Af",
        "api_key=abc123",
    ],
)
def test_a_query_with_a_credential_is_refused_in_one_line_redacted(query: str) -> None:
    uri = f"https://models.example.com/iris/model.joblib?{query}"
    with pytest.raises(SpecError) as e:
        parse_storage_uri(uri)
    assert str(e.value) == f"storageUri: https://models.example.com/iris/model.joblib?[plain text] {SECRET_LINE}"


@pytest.mark.parametrize(
    "uri",
    ["s3://ml-models/iris?versionId=3", "gs://ml-models/iris?generation=2", "https://models.example.com/m.tgz#v2"],
)
def test_a_query_the_initializer_would_drop_stays_refused(uri: str) -> None:
    with pytest.raises(SpecError) as e:
        parse_storage_uri(uri)
    assert str(e.value) == f"storageUri: {uri} is not allowed; give a URI without a query (?...) or fragment (#...)"
