"""Where a model lives: parse and check a ``storage_uri`` once, for ModelService and for the clusters' grants."""

from __future__ import annotations

import re
from dataclasses import dataclass

from components.errors import SpecError

SCHEMES = ("s3://", "gs://", "https://<account>.blob.core.windows.net/", "hf://", "pvc://", "oci://")
"""The storage URI forms a model may use, as shown in error messages."""

_BUCKET = re.compile(r"\A[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]\Z", re.ASCII)
_AZURE = re.compile(
    r"\Ahttps://(?P<account>[a-z0-9]{3,24})\.blob\.core\.windows\.net/(?P<container>[a-z0-9-]{3,63})(/(?P<path>.*))?\Z",
    re.ASCII,
)
_SIMPLE = re.compile(r"\A(?P<scheme>s3|gs|hf|pvc|oci)://(?P<bucket>[^/]+)(/(?P<path>.*))?\Z", re.ASCII)

_CLOUD_OF_SCHEME = {"s3": "aws", "gs": "gcp", "azure": "azure"}


@dataclass(frozen=True)
class StorageLocation:
    """A parsed storage URI.

    ``cloud`` is the cloud whose identity can grant access (``aws``, ``gcp``, ``azure``), or ``None`` for
    ``hf://``, ``pvc://`` and ``oci://``, which need no cloud identity. ``bucket`` is the bucket (S3, GCS), the
    container (Azure), the PVC name, the repository (Hugging Face) or the image registry host (OCI).
    """

    uri: str
    scheme: str
    bucket: str
    prefix: str
    account: str = ""

    @property
    def cloud(self) -> str | None:
        """The cloud that owns this storage, or None when no cloud identity applies."""
        return _CLOUD_OF_SCHEME.get(self.scheme)


def parse_storage_uri(uri: str, path: str = "storageUri") -> StorageLocation:
    """Parse ``uri`` or raise a :class:`SpecError` that lists the accepted forms."""
    accepted = "give a URI starting with " + ", ".join(SCHEMES)
    m = _AZURE.match(uri)
    if m:
        return StorageLocation(uri, "azure", m["container"], (m["path"] or "").strip("/"), m["account"])
    m = _SIMPLE.match(uri)
    if not m:
        raise SpecError(path, uri, accepted)
    scheme, bucket, prefix = m["scheme"], m["bucket"], (m["path"] or "").strip("/")
    if scheme in ("s3", "gs") and not _BUCKET.match(bucket):
        raise SpecError(path, uri, f"{bucket!r} is not a valid {scheme} bucket name (3-63 of a-z 0-9 . - _)")
    if scheme == "hf" and not prefix:
        raise SpecError(path, uri, "give hf://<organisation>/<model>")
    return StorageLocation(uri, scheme, bucket, prefix)
