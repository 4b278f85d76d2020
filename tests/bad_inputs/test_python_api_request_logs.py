"""Request logging from Python: the logger and ``platform.requestLogs`` refuse what the stack file refuses, in one
line spelled as the stack file spells it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.errors import SpecError
from components.platform.requestlog_spec import RequestLogsSpec
from components.platform.settings import PlatformSettings
from components.serving.logger_spec import LoggerSpec
from components.serving.spec import ModelSpec

ACCESS = {"mode": "public", "allow_anonymous": True}
IRIS = {"format": "sklearn", "storage_uri": "gs://kfserving-examples/models/sklearn/1.0/model", "public_storage": True}


def refused(make: Callable[[], Any]) -> str:
    with pytest.raises(SpecError) as e:
        make()
    line = str(e.value)
    assert "\n" not in line
    return line


@pytest.mark.parametrize(
    ("make", "line"),
    [
        (lambda: LoggerSpec(mode="everything"),
         "LoggerSpec.mode: everything is not allowed; give one of all, request, response"),
        (lambda: LoggerSpec(version="v1/beta"),
         "LoggerSpec.version: v1/beta is not allowed; give a version of letters, digits, '.', '_' and '-' (at most "
         "63), such as 2024-06-01"),
        (lambda: LoggerSpec(version="a" * 64),
         f"LoggerSpec.version: {'a' * 64} is not allowed; give a version of letters, digits, '.', '_' and '-' (at "
         "most 63), such as 2024-06-01"),
        (lambda: ModelSpec(**IRIS, access=ACCESS, logger={"mode": "requests"}),
         "ModelSpec.logger.mode: requests is not allowed; give one of all, request, response"),
        (lambda: RequestLogsSpec(bucket="team-logs", retention_days=7),
         "RequestLogsSpec.retentionDays: 7 is not allowed; the platform sets retention only on a bucket it creates "
         "(a lifecycle rule replaces the bucket's own); remove bucket, or set the retention on your bucket and remove "
         "retentionDays"),
        (lambda: RequestLogsSpec(prefix="/logs"),
         "RequestLogsSpec.prefix: /logs is not allowed; give folders of lowercase letters, digits, '.', '_' and '-' "
         "separated by '/'"),
        (lambda: RequestLogsSpec(volume_size="10GB"),
         "RequestLogsSpec.volumeSize: 10GB is not allowed; give a Kubernetes quantity such as 10Gi"),
        (lambda: RequestLogsSpec(prefix="/".join(["a" * 63] * 20)),  # red team #17d P1
         "RequestLogsSpec.prefix: (1279 characters) is not allowed; give at most 751 characters: the collector appends "
         "up to 273 (namespace, model, version, date, file name), and object keys are at most 1024 bytes in every "
         "object store"),
        (lambda: PlatformSettings(request_logs={"retention_days": 4000}),
         "PlatformSettings.requestLogs.retentionDays: 4000 is not allowed; give an integer <= 3650"),
    ],
)  # fmt: skip
def test_python_api_refuses_in_one_line(make: Callable[[], Any], line: str) -> None:
    assert refused(make) == line


def test_defaults() -> None:
    spec = RequestLogsSpec()
    assert (spec.bucket, spec.prefix, spec.retention, spec.volume_size) == (None, "request-logs", 30, "10Gi")
    assert LoggerSpec().mode == "all"
