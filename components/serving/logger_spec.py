"""A model's request logging (``logger``): which payloads KServe's logger sends to the platform's collector.

KServe v0.20.0 (kserve/kserve at tag v0.20.0) takes ``spec.predictor.logger`` (pkg/apis/serving/v1beta1/
inference_service.go ``LoggerSpec``: ``mode`` all|request|response, ``url``, ``metadataHeaders``,
``metadataAnnotations``, ``storage``); its agent sidecar posts each logged request and response as a CloudEvent
(pkg/logger/worker.go ``sendHttpCloudEvent``) to ``url``. The platform fills ``url`` with its collector
(components/platform/requestlog.py), ``metadataAnnotations`` with the version annotation below and
``metadataHeaders`` with :data:`REQUEST_ID_HEADER`, so every record carries the model, its version and the request
id that joins the records of one call across components. Pure typed spec; :mod:`components.serving.spec` puts it on
``ModelSpec`` and :mod:`components.serving._runtime` renders it.
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal

from pydantic import field_validator

from components.spec import Spec, value_error

VERSION_ANNOTATION = "mlplatform.io/model-version"
"""The InferenceService annotation that names the served version. KServe copies an InferenceService's annotations to
its predictor's pods (pkg/controller/v1beta1/inferenceservice/components/predictor.go ``buildPredictorResources``:
``utils.Filter(isvc.Annotations, ...)``) and, for each key listed in ``logger.metadataAnnotations``, the pod
mutator passes ``key=value`` to the agent (pkg/webhook/admission/pod/agent_injector.go ``--metadata-annotations``),
which sends them as the CloudEvent extension ``annotations`` (pkg/logger/worker.go ``AnnotationAttr``)."""

REQUEST_ID_HEADER = "X-Request-Id"
"""The header whose value joins the records of one call across a model's components (``logger.metadataHeaders``).
KServe v0.20.0's record id is ``Ce-Id`` (pkg/logger/handler.go ``getOrCreateID``: the caller's ``Ce-Id`` header, else
a new UUID per agent, not passed on), so a transformer's record and its predictor's record of one call get different
ids. ``x-request-id`` is what a KServe transformer forwards to the predictor (python/kserve/kserve/model.py
``_FORWARDABLE_HEADERS``: x-request-id, x-b3-traceid, authorization), and the mesh's Envoy sets it on a request that
has none (envoyproxy.io docs, HTTP connection manager header ``x-request-id``, ``generate_request_id``). The agent
keeps a header whose name is in ``metadataHeaders`` exactly as Go's ``r.Header`` holds it (handler.go:
``slices.Contains(eh.metadataHeaders, name)`` over ``r.Header``), which is the canonical form
(``textproto.CanonicalMIMEHeaderKey``: ``X-Request-Id``; ``x-request-id`` would never match), and sends them as the
CloudEvent extension ``metadata``, JSON of name to values (pkg/logger/worker.go ``MetadataAttr``); the pod mutator
passes the list as ``--metadata-headers`` (components/component.go -> agent_injector.go)."""

_VERSION = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,62}\Z", re.ASCII)
"""A version that is one object-key segment: it becomes a folder of the log objects' keys."""


class ComponentLoggerSpec(Spec):
    """Log a transformer's or explainer's requests and responses to the platform's request-log store.

    KServe v0.20.0 gives every component its own ``logger`` (pkg/apis/serving/v1beta1/component.go
    ``ComponentExtensionSpec.Logger``; components/transformer.go and explainer.go call ``addLoggerAnnotations`` with
    the component's logger, so the pod webhook injects the agent into that component's pods). The records carry the
    model's version (the InferenceService's annotations reach every component's pods: transformer.go and
    explainer.go ``utils.Filter(isvc.Annotations, ...)``) and ``component`` says which one logged."""

    mode: Literal["all", "request", "response"] = "all"
    """What KServe logs: ``all`` (requests and responses), ``request`` or ``response`` (``logger.mode``)."""


class LoggerSpec(ComponentLoggerSpec):
    """Log this model's requests and responses to the platform's request-log store (``platform.requestLogs``)."""

    version: str | None = None
    (
        "The model version the records carry and the folder they land in (letters, digits, '.', '_', '-'; at most "
        "63). Default: ``v-`` and the first 12 hex digits of the SHA-256 of what is served (storage URIs, format, "
        "runtime and version, container image), so a new model gets a new folder."
    )

    @field_validator("version")
    @classmethod
    def _version(cls, v: str | None) -> str | None:
        if v is not None and not _VERSION.match(v):
            raise value_error("give a version of letters, digits, '.', '_' and '-' (at most 63), such as 2024-06-01")
        return v


def served_fingerprint(parts: list[str | None]) -> str:
    """``v-`` and 12 hex digits of the SHA-256 of what is served (``None`` parts are skipped)."""
    text = "\n".join(p for p in parts if p is not None)
    return "v-" + hashlib.sha256(text.encode()).hexdigest()[:12]
