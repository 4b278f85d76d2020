"""Typed model settings: one value of ``mlplatform:models`` (the key is the model name), or ``ModelService`` args."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components import catalog
from components.naming import is_dns_label
from components.spec import Spec, field_error, value_error
from components.storage import parse_storage_uri

FORMATS = ("sklearn", "xgboost", "lightgbm", "pytorch", "tensorflow", "onnx", "triton", "huggingface")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")
_DURATION = re.compile(r"^[0-9]+(s|m|h)$")


class ResourcesSpec(Spec):
    """Per-replica resources. ``cpu``: Default "1". ``memory``: Default "2Gi". ``gpus``: Default 0.
    ``accelerator``: catalog name; required when gpus > 0 and offered by a GPU pool of the stack."""

    cpu: str = "1"
    memory: str = "2Gi"
    gpus: int = Field(0, ge=0, le=16)
    accelerator: str | None = None

    @field_validator("cpu", "memory", mode="before")
    @classmethod
    def _quantity(cls, v: object) -> object:
        if isinstance(v, int | float) and not isinstance(v, bool):
            v = str(v)
        if not isinstance(v, str) or not _QUANTITY.match(v):
            raise value_error("give a Kubernetes quantity such as 500m, 2 or 4Gi")
        return v

    @model_validator(mode="after")
    def _accelerator(self) -> ResourcesSpec:
        if self.accelerator is not None and self.accelerator not in catalog.ACCELERATORS:
            raise field_error("accelerator", self.accelerator, "give one of " + ", ".join(catalog.ACCELERATORS))
        if self.gpus > 0 and self.accelerator is None:
            raise field_error("accelerator", None, "give the accelerator (e.g. nvidia-l4) when gpus > 0")
        if self.gpus == 0 and self.accelerator is not None:
            raise field_error("gpus", 0, f"give gpus >= 1 with accelerator {self.accelerator}, or drop accelerator")
        return self


class ScalingSpec(Spec):
    """Autoscaling. ``minReplicas``: Default 1 (0 = scale to zero, Knative mode only). ``maxReplicas``: Default 3.
    ``metric``: ``concurrency`` (default), ``rps`` or ``cpu``. ``target``: per replica, Default 10 (cpu: percent).
    ``scaleDownDelay``: Default 5m."""

    min_replicas: int = Field(1, ge=0, le=1000)
    max_replicas: int = Field(3, ge=1, le=1000)
    metric: Literal["concurrency", "rps", "cpu"] = "concurrency"
    target: int = Field(10, ge=1, le=100000)
    scale_down_delay: str = "5m"

    @field_validator("scale_down_delay")
    @classmethod
    def _delay(cls, v: str) -> str:
        if not _DURATION.match(v):
            raise value_error("give a duration such as 30s, 5m or 1h")
        return v

    @model_validator(mode="after")
    def _bounds(self) -> ScalingSpec:
        if self.max_replicas < self.min_replicas:
            raise field_error("maxReplicas", self.max_replicas, f"give an integer >= minReplicas ({self.min_replicas})")
        if self.metric == "cpu" and self.target > 100:
            raise field_error("target", self.target, "give a CPU utilisation percent from 1 to 100")
        return self


class JwtSpec(Spec):
    """Who may call a public model: tokens from ``issuer``, keys at ``jwksUri``, one of ``audiences``."""

    issuer: str
    jwks_uri: str
    audiences: list[str] = []

    @field_validator("issuer", "jwks_uri")
    @classmethod
    def _https(cls, v: str) -> str:
        if not v.startswith("https://"):
            raise value_error("give an https:// URL")
        return v


class AccessSpec(Spec):
    """Who can reach the model. ``mode``: ``public`` (default; through the gateway, JWT required unless
    ``allowAnonymous: true``) or ``internal`` (only from ``allowedNamespaces``)."""

    mode: Literal["public", "internal"] = "public"
    jwt: JwtSpec | None = None
    allow_anonymous: bool = False
    allowed_namespaces: list[str] = []

    @model_validator(mode="after")
    def _rules(self) -> AccessSpec:
        if self.mode == "public" and self.jwt is None and not self.allow_anonymous:
            raise field_error(
                "jwt", None, "a public model needs jwt (issuer, jwksUri) or, explicitly, allowAnonymous: true"
            )
        if self.mode == "public" and self.jwt is not None and self.allow_anonymous:
            raise field_error("allowAnonymous", True, "give either jwt or allowAnonymous: true, not both")
        if self.mode == "internal":
            if not self.allowed_namespaces:
                raise field_error("allowedNamespaces", [], "an internal model needs the namespaces that may call it")
            if self.jwt is not None or self.allow_anonymous:
                raise field_error("mode", "internal", "jwt and allowAnonymous apply to public models only")
        for ns in self.allowed_namespaces:
            if not is_dns_label(ns):
                raise field_error("allowedNamespaces", ns, "give Kubernetes namespace names (DNS-1123 labels)")
        return self


class SloSpec(Spec):
    """Service-level objectives that become alerts. ``latencyP95Ms``: p95 latency target in ms.
    ``errorRatePercent``: 5xx share target in percent. Default: neither (no SLO alerts)."""

    latency_p95_ms: int | None = Field(None, ge=1, le=600000)
    error_rate_percent: float | None = Field(None, gt=0, le=100)


class LlmSpec(Spec):
    """Options for ``format: huggingface`` (vLLM backend). ``maxModelLength``: context length cap.
    ``huggingfaceTokenKey``: name of a secret config key (``mlplatform:<key>``) holding a Hugging Face token."""

    max_model_length: int | None = Field(None, ge=128, le=1048576)
    huggingface_token_key: str | None = None


class ModelSpec(Spec):
    """One model to serve. See docs/components/model-service.md for every field with an example."""

    namespace: str = "models"
    format: (
        Literal["sklearn", "xgboost", "lightgbm", "pytorch", "tensorflow", "onnx", "triton", "huggingface"] | None
    ) = None
    runtime: str | None = None
    storage_uri: str
    public_storage: bool = False
    protocol: Literal["v1", "v2", "openai"] | None = None
    args: list[str] = []
    env: dict[str, str] = {}
    resources: ResourcesSpec = ResourcesSpec()
    scaling: ScalingSpec = ScalingSpec()
    canary_traffic_percent: int | None = Field(None, ge=0, le=100)
    access: AccessSpec
    slo: SloSpec = SloSpec()
    llm: LlmSpec | None = None

    @field_validator("namespace")
    @classmethod
    def _ns(cls, v: str) -> str:
        if not is_dns_label(v):
            raise value_error("give a Kubernetes namespace name: lowercase letters, digits and '-', at most 63")
        return v

    @field_validator("storage_uri")
    @classmethod
    def _uri(cls, v: str) -> str:
        from components.errors import SpecError

        try:
            parse_storage_uri(v)
        except SpecError as e:
            raise value_error(e.accepted) from None
        return v

    @model_validator(mode="after")
    def _what(self) -> ModelSpec:
        if (self.format is None) == (self.runtime is None):
            raise field_error(
                "format", self.format, "give exactly one of format (" + ", ".join(FORMATS) + ") or runtime"
            )
        if self.llm is not None and self.format != "huggingface":
            raise field_error("llm", "...", "llm settings apply to format: huggingface only")
        if self.protocol == "openai" and self.format != "huggingface":
            raise field_error("protocol", "openai", "the openai protocol is served by format: huggingface only")
        return self


def check_model_name(name: str, namespace: str) -> str | None:
    """Why ``name`` cannot be a model name in ``namespace``, or None when it can.

    KServe names the predictor's Service ``<name>-predictor`` and Knative hosts ``<name>-predictor-<namespace>``;
    both must stay within a 63-character DNS label.
    """
    if not is_dns_label(name):
        return "give a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit"
    host = f"{name}-predictor-{namespace}"
    if len(host) > 63:
        return f"'{host}' is {len(host)} characters; keep <name>-predictor-<namespace> within 63"
    return None
