"""``mlplatform:platform.requestLogs``: where the request-log collector writes, and for how long records are kept."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from components.spec import Spec, field_error, value_error

DEFAULT_RETENTION_DAYS = 30
"""How long a bucket the platform creates keeps request logs, unless ``retentionDays`` says otherwise."""

_BUCKET = re.compile(r"\A[a-z0-9][a-z0-9-]{1,61}[a-z0-9]\Z", re.ASCII)
"""A name every cloud's object store accepts: S3 bucket names (3-63 lowercase letters, digits, '.', '-'; AWS S3 User
Guide, "Bucket naming rules"), GCS bucket names (cloud.google.com/storage/docs/buckets#naming) and Azure blob
container names (3-63 lowercase letters, digits and '-'; learn.microsoft.com/rest/api/storageservices/
naming-and-referencing-containers--blobs--and-metadata). Dots are left out (Azure refuses them, and S3 virtual-host
TLS breaks on them)."""
_SEGMENT = re.compile(r"\A[a-z0-9][a-z0-9._-]{0,62}\Z", re.ASCII)
MAX_OBJECT_KEY = 1024
"""The longest object key of the three object stores, in bytes: S3 ("The object key name is a sequence of Unicode
characters with UTF-8 encoding of up to 1,024 bytes long", AWS S3 User Guide, "Naming Amazon S3 objects"), GCS
("1-1,024 bytes when UTF-8 encoded", cloud.google.com/storage/docs/naming-objects) and Azure Blob (a blob name "cannot
be more than 1,024 characters long", learn.microsoft.com/rest/api/storageservices/
naming-and-referencing-containers--blobs--and-metadata)."""
KEY_TAIL = 1 + 63 + 1 + 63 + 1 + 63 + len("/date=YYYY-MM-DD/") + 64
"""What the collector appends to ``prefix`` in an object key at most (components/platform/requestlog.py
``key_prefix``): ``/<namespace>/<model>/<version>/date=<YYYY-MM-DD>/`` (each of the three a name of at most 63
characters: a Kubernetes namespace and an InferenceService name are DNS labels, a logger ``version`` at most 63), then
the object's file name, for which 64 bytes are kept: Vector's default ``filename_time_format`` ``%s``, a ``-`` and a
36-character UUID v4 (``filename_append_uuid`` default true) and the extension (vectordotdev/vector v0.56.0
website/cue/reference/components/sinks/generated/aws_s3.cue, gcp_cloud_storage.cue; azure_blob.cue ``blob_*``)."""
MAX_PREFIX = MAX_OBJECT_KEY - KEY_TAIL
"""The longest ``prefix``: every object key the collector writes then fits every store (red team #17d P1)."""
_QUANTITY = re.compile(r"\A[1-9][0-9]*(Mi|Gi|Ti)\Z", re.ASCII)


class RequestLogsSpec(Spec):
    """Request logging: a collector (Vector) receives KServe's logger events from every model with a ``logger`` and
    writes them to the stack's object storage (S3, GCS, Azure Blob), or to a volume on an existing cluster."""

    bucket: str | None = None
    (
        "An existing bucket of the stack's cloud to write into (aws, gcp; the collector gets write access under "
        "``prefix`` only); its retention is its owner's. Default: the platform creates a bucket (azure: a storage "
        "account and container) with a lifecycle rule that deletes the records after ``retentionDays``."
    )
    prefix: str = "request-logs"
    (
        "Folder of the log objects in the bucket (lowercase segments separated by '/'): objects are keyed "
        "``<prefix>/<namespace>/<model>/<version>/date=<YYYY-MM-DD>/``. The collector may write there only. At most "
        "751 characters (object keys are at most 1024 bytes)."
    )
    retention_days: int | None = Field(default=None, ge=1, le=3650)
    (
        "Days a record is kept in the bucket the platform creates. Default 30. Not with ``bucket``, nor on an existing "
        "cluster (nothing deletes the records on its volume)."
    )
    volume_size: str = "10Gi"
    (
        "Size of each collector replica's volume on an existing cluster (where the records are kept); not on a cloud "
        "cluster, whose records go to a bucket. Default: 10Gi."
    )

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, v: str | None) -> str | None:
        if v is not None and not _BUCKET.match(v):
            raise value_error("give a bucket name: 3-63 lowercase letters, digits and '-'")
        return v

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        if not v or not all(_SEGMENT.match(part) for part in v.split("/")):
            raise value_error("give folders of lowercase letters, digits, '.', '_' and '-' separated by '/'")
        if len(v) > MAX_PREFIX:
            raise value_error(
                f"give at most {MAX_PREFIX} characters: the collector appends up to {KEY_TAIL} (namespace, model, "
                f"version, date, file name), and object keys are at most {MAX_OBJECT_KEY} bytes in every object store",
                f"({len(v)} characters)",
            )
        return v

    @field_validator("volume_size")
    @classmethod
    def _size(cls, v: str) -> str:
        if not _QUANTITY.match(v):
            raise value_error("give a Kubernetes quantity such as 10Gi")
        return v

    @model_validator(mode="after")
    def _retention(self) -> RequestLogsSpec:
        if self.bucket is not None and self.retention_days is not None:
            raise field_error(
                "retentionDays",
                self.retention_days,
                "the platform sets retention only on a bucket it creates (a lifecycle rule replaces the bucket's "
                "own); remove bucket, or set the retention on your bucket and remove retentionDays",
            )
        return self

    def given(self) -> dict[str, object]:
        """The keys the stack (or caller) gave, camelCase, with their values: what the cluster's module judges
        (components/clusters ``request_log_key_problem``)."""
        return {type(self).model_fields[f].alias or f: getattr(self, f) for f in sorted(self.model_fields_set)}

    @property
    def retention(self) -> int:
        """Days the platform's bucket keeps a record."""
        return self.retention_days if self.retention_days is not None else DEFAULT_RETENTION_DAYS
