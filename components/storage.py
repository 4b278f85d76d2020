"""Where a model lives: parse and check a ``storage_uri`` once, for ModelService and for the clusters' grants."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass

from components import clouds
from components.credentials import QUERY_CREDENTIAL, local_host_problem, looks_like_credential, redact_uri
from components.errors import SpecError
from components.naming import is_dns_subdomain

GENERIC = ("https://", "hf://", "pvc://", "oci://")
"""The storage URI forms that are no cloud's (the clouds' own come from the registry, :attr:`Cloud.storage`)."""


def schemes() -> tuple[str, ...]:
    """The storage URI forms a model may use, as shown in error messages: each registered cloud's, then the rest."""
    return (*(form.shown for form in clouds.storage_forms()), *GENERIC)


_HTTPS = re.compile(r"\Ahttps://(?P<host>[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?)/(?P<path>.+)\Z", re.ASCII)
"""Any other https URL of a file: KServe's storage initializer downloads a URI matching ``_URI_RE``
(``https?://(.+)/(.+)``) with ``_download_from_uri`` and unpacks archives; one ending ``.git`` is cloned (``_GIT_RE``)
(python/storage/kserve_storage/kserve_storage.py ``Storage.download``, kserve v0.20.0)."""
_OTHER_SCHEMES = ("hf", "pvc", "oci")


def _simple() -> re.Pattern[str]:
    """``<scheme>://<bucket>[/<path>]`` for the registered clouds' schemes (those without a URL form) and
    :data:`_OTHER_SCHEMES`."""
    own = [f.scheme for f in clouds.storage_forms() if f.url is None]
    alternatives = "|".join(re.escape(s) for s in (*own, *_OTHER_SCHEMES))
    return re.compile(rf"\A(?P<scheme>{alternatives})://(?P<bucket>[^/]+)(/(?P<path>.*))?\Z", re.ASCII)


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


_OCI_REPOSITORY = re.compile(r"\A[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*\Z", re.A)
"""The repository ``<name>`` pattern of the OCI distribution spec (opencontainers/distribution-spec spec.md)."""
_HF_REPO_ID = re.compile(r"\A(?=\w)[\w.-]+(?<=\w)/(?=\w)[\w.-]{1,96}(?<=\w)\Z", re.A)
"""huggingface_hub's ``REPO_ID_REGEX`` (utils/_validators.py: ``(\\b[\\w\\-.]+\\b/)?\\b[\\w\\-.]{1,96}\\b``) for
``<org>/<name>``, in ASCII; the word boundaries make each part start and end with a letter, digit or '_'."""
_OCI_DIGEST = re.compile(r"\Asha256:[a-f0-9]{64}\Z", re.ASCII)
"""The digest an image reference may end with, as container.image takes it (components/serving/kspec.py ``_IMAGE``:
``@sha256:[a-f0-9]{64}``; opencontainers/go-digest: a sha256 digest is 64 lowercase hex digits)."""
_OCI_TAG = re.compile(r"\A[\w][\w.-]{0,127}\Z", re.ASCII)
r"""An image tag (distribution/reference regexp.go ``tag``: ``[\w][\w.-]{0,127}``)."""


def _oci_tag(prefix: str) -> str | None:
    """The tag of an ``oci://`` URI's repository path (after the last ``/``, before any ``@digest``), or None."""
    last = prefix.rsplit("@", 1)[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


_IPV4 = re.compile(r"\A[0-9]{1,3}(\.[0-9]{1,3}){3}\Z", re.ASCII)


def bucket_problem(rule: clouds.BucketRule, bucket: str) -> str | None:
    """Why ``bucket`` cannot be named so under ``rule`` (a cloud's bucket or container rule), or None."""
    bad = f"{bucket!r} is not a valid {rule.noun} name"
    if not rule.pattern.match(bucket):
        return f"{bad} ({rule.shape})"
    if rule.twice and rule.twice[0] in bucket:
        return f"{bad} ({rule.twice[1]})"
    if rule.not_an_ip and _IPV4.match(bucket):
        return f"{bad} (formatted as an IP address)"
    for prefix in rule.reserved_prefixes:
        if bucket.startswith(prefix):
            return f"{bad} (the prefix {prefix} is reserved by {rule.reserved_by})"
    for suffix in rule.reserved_suffixes:
        if bucket.endswith(suffix):
            return f"{bad} (the suffix {suffix} is reserved by {rule.reserved_by})"
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
        host = re.split(r"[:?#]", authority, maxsplit=1)[0]
        for form in clouds.storage_forms():
            of_form = not form.host_suffix or host.endswith(form.host_suffix)
            if form.query_credential and form.query_credential[0] in query and of_form:
                return form.query_credential[1]
        if "?" in uri and (QUERY_CREDENTIAL.search(query) or looks_like_credential(query)):
            return QUERY_SECRET
        if "#" in uri or not _plain_download(uri):
            return "give a URI without a query (?...) or fragment (#...)"
    return None


QUERY_SECRET = (
    "a credential in the URI's query (a signed URL's X-Amz-Signature or X-Goog-Signature, a SAS sig=, a token or "
    "key) would be stored in plain text in the manifests and the state; give the URL without it"
)
"""A storage URI's query that carries a credential: the query authentication of an S3 presigned URL
(``X-Amz-Credential``, ``X-Amz-Signature``, ``X-Amz-Security-Token``:
docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html), of a Cloud Storage signed URL
(``X-Goog-Credential``, ``X-Goog-Signature``: cloud.google.com/storage/docs/access-control/signed-urls), an Azure
SAS (``sig``: learn.microsoft.com/rest/api/storageservices/create-service-sas), an OAuth bearer token
(``access_token``: RFC 6750 section 2.3) or an API key; read by :data:`components.credentials.QUERY_CREDENTIAL` on
the names and values, and the value's token shapes (:func:`components.credentials.looks_like_credential`)."""


def _plain_download(uri: str) -> bool:
    """Whether ``uri`` is one the storage initializer downloads as a whole URL, query included: a plain ``https://``
    URL of no cloud's storage form. KServe v0.20.0 python/storage/kserve_storage/kserve_storage.py
    ``_download_from_uri`` fetches the URI as given (``requests.get(uri, ...)``) and reads the file name and type
    from its path (the query only when the path has no type: ``?raw=true``, kserve/website uri.md); for ``s3://`` and
    ``gs://`` it reads the bucket and the path only (``urlparse(uri).path``), so a query there would be dropped."""
    h = _HTTPS.match(uri.partition("?")[0])
    if h is None:
        return False
    host = h["host"].split(":")[0]
    return not any(f.host_suffix and host.endswith(f.host_suffix) for f in clouds.storage_forms())


def parse_storage_uri(uri: str, path: str = "storageUri") -> StorageLocation:
    """Parse ``uri`` or raise a :class:`SpecError` that lists the accepted forms."""
    accepted = "give a URI starting with " + ", ".join(schemes())
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
    forms = clouds.storage_forms()
    m: re.Match[str] | None = None
    url = next(((f, hit) for f in forms if f.url is not None and (hit := f.url.match(uri))), None)
    if url is not None:
        form, m = url
        loc = StorageLocation(uri, form.scheme, m["container"], (m["path"] or "").strip("/"), m["account"])
    elif (h := _HTTPS.match(uri.partition("?")[0])) and not any(
        f.host_suffix and h["host"].split(":")[0].endswith(f.host_suffix) for f in forms
    ):
        if what := local_host_problem(uri, "the storage initializer"):
            # The storage initializer runs in the model's pod: a metadata address hands it the node's credentials.
            raise SpecError(path, uri, f"the storage initializer would download from it: {what}; give the model's URL")
        return StorageLocation(uri, "https", h["host"], h["path"])
    else:
        m = _simple().match(uri)
        if not m:
            raise SpecError(path, uri, accepted)
        loc = StorageLocation(uri, m["scheme"], m["bucket"], (m["path"] or "").strip("/"))
    scheme, bucket, prefix = loc.scheme, loc.bucket, loc.prefix
    rule = next((f.bucket for f in forms if f.scheme == scheme), None)
    if rule is not None and (problem := bucket_problem(rule, bucket)):
        raise SpecError(path, uri, problem)
    if scheme == "oci" and not _OCI_REPOSITORY.match(prefix.rsplit("@", 1)[0].rsplit(":", 1)[0] if prefix else ""):
        raise SpecError(
            path,
            uri,
            "give oci://<registry>/<repository>[:tag]: the repository is lowercase letters, digits and . _ __ - "
            "separators, in / parts (OCI distribution spec, spec.md, the <name> pattern)",
        )
    if scheme == "oci" and "@" in prefix and not _OCI_DIGEST.match(prefix.rsplit("@", 1)[1]):
        # red14o W5: KServe runs the URI after oci:// as the modelcar container's image (pkg/utils/storage.go
        # v0.20.0), so a digest the image reference grammar refuses never pulls (InvalidImageName); the same digest
        # form container.image takes (components/serving/kspec.py _IMAGE)
        raise SpecError(
            path,
            uri,
            "give the digest after '@' as sha256:<64 lowercase hex digits> (an image reference's digest, as "
            "container.image takes it), or leave '@' out",
        )
    if scheme == "oci" and prefix and (tag := _oci_tag(prefix)) is not None and not _OCI_TAG.match(tag):
        # red14m: the modelcar image "ghcr.io/a/b:" is no image reference; the kubelet reports InvalidImageName
        raise SpecError(
            path,
            uri,
            "give the tag after ':' as 1-128 letters, digits, '_', '.' and '-', not starting with '.' or '-' "
            "(distribution/reference: [\\w][\\w.-]{0,127}), or leave ':' out",
        )
    if scheme == "hf" and "/" in (m["path"] or ""):
        # red14m W6: KServe v0.20.0's storage initializer splits what follows hf:// on "/" and raises "Invalid Hugging
        # Face URI format. Expected 'hf://owner/model[:revision]'" unless there are exactly two parts (a trailing
        # slash makes a third, empty one): python/storage/kserve_storage/kserve_storage.py ``_download_hf``.
        raise SpecError(
            path,
            uri,
            "give hf://<organisation>/<model>[:<revision>] with nothing after the model: KServe's storage initializer "
            "splits the rest on '/' and needs exactly two parts (kserve_storage.py _download_hf, v0.20.0)",
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


MAX_OCI_SOURCES = 10
"""KServe v0.20.0 ``MaxOCISourcesPerPod`` (pkg/utils/storage.go): the most ``oci://`` URIs one pod may mount."""


def oci_parent(path: str) -> str:
    """The directory KServe mounts a modelcar's volume at for ``path``: kserve/kserve v0.20.0 pkg/utils/utils.go
    ``GetParentDirectory`` (``filepath.Dir``, ``/`` for a top-level directory)."""
    parent = posixpath.dirname(posixpath.normpath(path)) or "/"
    return "/" if parent in (".", "/") else parent


def common_parent_problem(entries: Sequence[tuple[str, str]]) -> tuple[int, str, str] | None:
    """``(index, mountPath, why)`` of the first entry among ``entries`` (``(uri, mountPath)`` of a model's
    ``storageUris``, in order) that leaves the non-``pvc://`` mount paths with no common parent below ``/``, or None.

    KServe v0.20.0's webhook (pkg/apis/serving/v1beta1/inference_service_validation.go
    ``validateMultipleStorageURIsSpec``) collects the mount paths of every URI but ``pvc://`` and, with two or more,
    refuses the InferenceService when ``utils.FindCommonParentPath`` (pkg/utils/storage.go: the longest run of leading
    path components they all share) is ``/``: "storage paths must have a common parent directory" (rev14h defect 4).
    """
    paths = [(i, path) for i, (uri, path) in enumerate(entries) if not uri.startswith("pvc://")]
    if len(paths) <= 1:
        return None
    # the paths share a parent below / exactly when they share their first component (FindCommonParentPath splits
    # strings.Trim(path, "/") at "/")
    first = paths[0][1].strip("/").split("/")[0]
    for i, path in paths[1:]:
        if not first or path.strip("/").split("/")[0] != first:
            return (
                i,
                path,
                f"has no parent directory in common with {paths[0][1]} below /, which KServe refuses "
                "(validateMultipleStorageURIsSpec: storage paths must have a common parent directory); mount every "
                "storageUris entry but pvc:// under one directory, e.g. /mnt/models and /mnt/extra",
            )
    return None


def oci_mount_path_problem(entries: Sequence[tuple[str, str]]) -> tuple[int, str, str] | None:
    """``(index, mountPath, why)`` of the first ``oci://`` entry among ``entries`` (``(uri, mountPath)`` of a model's
    ``storageUris``, in order) whose mount path KServe refuses, or None.

    KServe v0.20.0 (pkg/webhook/admission/pod/storage_initializer_injector.go ``CommonStorageInitialization``) collects
    the mount paths of the ``oci://`` URIs and calls ``utils.ValidateOCIMountPaths`` with the resolved OCI mode, which
    is modelcar with the chart's settings (``enableModelcar: true``, no ``ociModelMode``: types/config.go
    ``ResolveOciModelMode``). In modelcar mode (pkg/utils/storage.go ~509-539) "each modelcar sidecar mounts an
    emptyDir at the *parent directory* of its modelPath", so two paths with one parent are refused ("share parent
    directory ..., which would cause volume mount shadowing; use mount paths with distinct parent directories") and
    the pod is never created; more than ``MaxOCISourcesPerPod`` (10) OCI URIs are refused too."""
    oci = [(i, path) for i, (uri, path) in enumerate(entries) if uri.startswith("oci://")]
    if len(oci) > MAX_OCI_SOURCES:
        i, path = oci[MAX_OCI_SOURCES]
        return i, path, f"KServe mounts at most {MAX_OCI_SOURCES} oci:// URIs per pod (MaxOCISourcesPerPod)"
    seen: dict[str, str] = {}
    for i, path in oci:
        parent = oci_parent(path)
        if parent in seen:
            return (
                i,
                path,
                f"shares the parent directory {parent} with {seen[parent]}: KServe mounts each oci:// model's volume "
                "at its mountPath's parent and refuses the pod (ValidateOCIMountPaths); give each oci:// entry a "
                "mountPath with its own parent directory, e.g. /mnt/a/model and /mnt/b/model",
            )
        seen[parent] = path
    return None
