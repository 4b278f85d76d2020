"""Where a model lives: parse and check a ``storage_uri`` once, for ModelService and for the clusters' grants."""

from __future__ import annotations

import re
from dataclasses import dataclass

from components import clouds
from components.credentials import local_host_problem, redact_uri
from components.errors import SpecError
from components.naming import is_dns_subdomain

SCHEMES = ("s3://", "gs://", "https://<account>.blob.core.windows.net/", "https://", "hf://", "pvc://", "oci://")
"""The storage URI forms a model may use, as shown in error messages."""

_BUCKET = re.compile(r"\A[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]\Z", re.ASCII)
_AZURE = re.compile(
    r"\Ahttps://(?P<account>[a-z0-9]{3,24})\.blob\.core\.windows\.net/(?P<container>[a-z0-9-]{3,63})(/(?P<path>.*))?\Z",
    re.ASCII,
)
_HTTPS = re.compile(r"\Ahttps://(?P<host>[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?)/(?P<path>.+)\Z", re.ASCII)
"""Any other https URL of a file: KServe's storage initializer downloads a URI matching ``_URI_RE``
(``https?://(.+)/(.+)``) with ``_download_from_uri`` and unpacks archives; one ending ``.git`` is cloned (``_GIT_RE``)
(python/storage/kserve_storage/kserve_storage.py ``Storage.download``, kserve v0.20.0)."""
_SIMPLE = re.compile(r"\A(?P<scheme>s3|gs|hf|pvc|oci)://(?P<bucket>[^/]+)(/(?P<path>.*))?\Z", re.ASCII)


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
        owner = clouds.of_scheme(self.scheme)  # the registry's storage_schemes
        return owner.name if owner is not None else None


# S3 general purpose bucket naming rules (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html):
# 3-63 of a-z 0-9 . -, starting and ending with a letter or digit, no two adjacent periods, not an IP address, and
# reserved prefixes and suffixes.
_S3_BUCKET = re.compile(r"\A[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z", re.ASCII)
_S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_OCI_REPOSITORY = re.compile(r"\A[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*\Z", re.A)
"""The repository ``<name>`` pattern of the OCI distribution spec (opencontainers/distribution-spec spec.md)."""
_HF_REPO_ID = re.compile(r"\A(?=\w)[\w.-]+(?<=\w)/(?=\w)[\w.-]{1,96}(?<=\w)\Z", re.A)
"""huggingface_hub's ``REPO_ID_REGEX`` (utils/_validators.py: ``(\\b[\\w\\-.]+\\b/)?\\b[\\w\\-.]{1,96}\\b``) for
``<org>/<name>``, in ASCII; the word boundaries make each part start and end with a letter, digit or '_'."""
_IPV4 = re.compile(r"\A[0-9]{1,3}(\.[0-9]{1,3}){3}\Z", re.ASCII)


def s3_bucket_problem(bucket: str) -> str | None:
    """Why ``bucket`` cannot be an S3 general purpose bucket name, or None."""
    if not _S3_BUCKET.match(bucket):
        return f"{bucket!r} is not a valid s3 bucket name (3-63 of a-z 0-9 . -, starting and ending with a-z or 0-9)"
    if ".." in bucket:
        return f"{bucket!r} is not a valid s3 bucket name (two adjacent periods)"
    if _IPV4.match(bucket):
        return f"{bucket!r} is not a valid s3 bucket name (formatted as an IP address)"
    for prefix in _S3_RESERVED_PREFIXES:
        if bucket.startswith(prefix):
            return f"{bucket!r} is not a valid s3 bucket name (the prefix {prefix} is reserved by S3)"
    for suffix in _S3_RESERVED_SUFFIXES:
        if bucket.endswith(suffix):
            return f"{bucket!r} is not a valid s3 bucket name (the suffix {suffix} is reserved by S3)"
    return None


def _plain_text_problem(uri: str) -> str | None:
    """Why ``uri`` cannot be a storage URI whatever its scheme: characters, credentials, a query or a fragment.

    The URI is written into the InferenceService, the IAM grants and the state in plain text: a SAS token (``sig=``)
    or ``user:password@`` in it is a credential in plain text, and a query or fragment would also end up in a grant.
    """
    if any(not (" " < c <= "~") for c in uri):
        return "give a URI of printable ASCII characters, without spaces"
    rest = uri.partition("://")[2]
    authority = rest.split("/", 1)[0]
    if "@" in authority:
        return (
            "credentials in the URI (user:password@) would be stored in plain text in the manifests and the state; "
            "remove them: private storage is read with the model's cloud identity"
        )
    if "?" in uri or "#" in uri:
        query = uri.partition("?")[2]
        if "sig=" in query:
            return (
                "a SAS token (sig=) in the URI would be stored in plain text in the manifests and the state; remove "
                "the query: the model reads the container with its own Azure identity"
            )
        return "give a URI without a query (?...) or fragment (#...)"
    return None


def parse_storage_uri(uri: str, path: str = "storageUri") -> StorageLocation:
    """Parse ``uri`` or raise a :class:`SpecError` that lists the accepted forms."""
    accepted = "give a URI starting with " + ", ".join(SCHEMES)
    if not isinstance(uri, str):
        raise SpecError(path, uri, accepted)
    try:
        return _parse(uri, path, accepted)
    except SpecError as e:
        # A refused URI may hold a credential (user:password@, a SAS token in the query): never echo it.
        raise SpecError(e.path, redact_uri(uri), e.accepted) from None


def _parse(uri: str, path: str, accepted: str) -> StorageLocation:
    why = _plain_text_problem(uri)
    if why:
        raise SpecError(path, uri, why)
    m = _AZURE.match(uri)
    if m:
        loc = StorageLocation(uri, "azure", m["container"], (m["path"] or "").strip("/"), m["account"])
    elif (h := _HTTPS.match(uri)) and not h["host"].split(":")[0].endswith(".blob.core.windows.net"):
        if what := local_host_problem(uri, "the storage initializer"):
            # The storage initializer runs in the model's pod: a metadata address hands it the node's credentials.
            raise SpecError(path, uri, f"the storage initializer would download from it: {what}; give the model's URL")
        return StorageLocation(uri, "https", h["host"], h["path"])
    else:
        m = _SIMPLE.match(uri)
        if not m:
            raise SpecError(path, uri, accepted)
        loc = StorageLocation(uri, m["scheme"], m["bucket"], (m["path"] or "").strip("/"))
    scheme, bucket, prefix = loc.scheme, loc.bucket, loc.prefix
    if scheme == "s3" and (problem := s3_bucket_problem(bucket)):
        raise SpecError(path, uri, problem)
    if scheme == "gs" and not _BUCKET.match(bucket):
        raise SpecError(path, uri, f"{bucket!r} is not a valid gs bucket name (3-63 of a-z 0-9 . - _)")
    if scheme == "gs" and _IPV4.match(bucket):
        # "Bucket names cannot be represented as an IP address in dotted-decimal notation"
        # (https://cloud.google.com/storage/docs/buckets#naming). The "goog" prefix rule is not checked: Google's own
        # gsutil skips it too, "since Google can create such buckets and they may be read from" (gsutil
        # storage_url.py).
        raise SpecError(path, uri, f"{bucket!r} is not a valid gs bucket name (formatted as an IP address)")
    if scheme == "azure" and ("--" in bucket or bucket.startswith("-") or bucket.endswith("-")):
        # "Every hyphen (-) character must be immediately preceded and followed by a letter or number; consecutive
        # hyphens aren't permitted in container names"; names "must start or end with a letter or number"
        # (https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata).
        raise SpecError(
            path,
            uri,
            f"{bucket!r} is not a valid Azure container name (3-63 of a-z 0-9 -, starting and ending with a letter or "
            "digit, no two hyphens in a row)",
        )
    if scheme == "oci" and not _OCI_REPOSITORY.match(prefix.rsplit("@", 1)[0].rsplit(":", 1)[0] if prefix else ""):
        raise SpecError(
            path,
            uri,
            "give oci://<registry>/<repository>[:tag]: the repository is lowercase letters, digits and . _ __ - "
            "separators, in / parts (OCI distribution spec, spec.md, the <name> pattern)",
        )
    if scheme == "hf" and prefix and not _HF_REPO_ID.match(f"{bucket}/{prefix.split('/')[0].split(':')[0]}"):
        raise SpecError(
            path,
            uri,
            "give hf://<organisation>/<model>: letters, digits, '-', '_' and '.', starting and ending with a letter "
            "or digit, the model name at most 96 characters (huggingface_hub utils/_validators.py, REPO_ID_REGEX)",
        )
    if scheme == "pvc" and not is_dns_subdomain(bucket):
        raise SpecError(path, uri, f"{bucket!r} is not a PersistentVolumeClaim name (a DNS-1123 subdomain)")
    if "%" in (m["path"] or ""):
        # KServe reads the path as written: an S3 prefix as given (kserve_storage.py ``_download_s3``, ``Prefix=``),
        # a pvc:// path as the volume's subPath (pkg/utils/storage.go ``ParsePvcURI``), so %2e%2e names an object
        # called "%2e%2e", not "..", and the grant and the download would name something else than meant.
        raise SpecError(path, uri, "give the path as the objects are named, without percent-encoding (%)")
    segments = (m["path"] or "").split("/") if m["path"] else []
    if any(seg in (".", "..") for seg in segments) or "//" in (m["path"] or "").rstrip("/"):
        raise SpecError(
            path, uri, "give a path without '.', '..' or empty segments (it must stay inside " + bucket + ")"
        )
    if scheme == "hf" and not prefix:
        raise SpecError(path, uri, "give hf://<organisation>/<model>")
    return loc
