"""The KServe InferenceService fields a model may set beyond format and storage (issue #14): custom containers, secret
environment variables, placement, pod labels and annotations, Standard-mode rollout, storage credentials.

Pure typed specs and rules; :mod:`components.serving.spec` puts them on ``ModelSpec`` and
:mod:`components.serving._runtime` renders them. Sources are KServe v0.20.0 (kserve/kserve at tag v0.20.0) unless
named otherwise.
"""

from __future__ import annotations

import posixpath
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components import clouds
from components.naming import is_dns_subdomain
from components.spec import Spec, field_error, value_error

_LABEL_NAME = re.compile(r"\A([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z", re.ASCII)
"""Kubernetes' qualified-name part (apimachinery pkg/util/validation/validation.go, ``qualifiedNameFmt``; at most
63 characters)."""


def qualified_key_problem(key: str) -> str | None:
    """Why ``key`` is not a Kubernetes label or annotation key (``[prefix/]name``: apimachinery
    ``IsQualifiedName``: a DNS-1123 subdomain prefix, a name of at most 63 alphanumerics, '-', '_' and '.'), or None."""
    prefix, _, name = key.rpartition("/")
    if "/" in prefix or (prefix and not is_dns_subdomain(prefix)):
        return "give a key [prefix/]name whose prefix is a DNS subdomain (Kubernetes' qualified name rule)"
    if not name or len(name) > 63 or not _LABEL_NAME.match(name):
        return (
            "give a key whose name part is at most 63 letters, digits, '-', '_' and '.', starting and ending with a "
            "letter or digit (Kubernetes' qualified name rule)"
        )
    return None


def label_value_problem(value: str) -> str | None:
    """Why ``value`` is not a Kubernetes label value (empty, or a qualified-name part: ``IsValidLabelValue``)."""
    if value and (len(value) > 63 or not _LABEL_NAME.match(value)):
        return (
            "give a label value of at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or "
            "digit (Kubernetes' label value rule)"
        )
    return None


PLATFORM_KEY_PREFIXES: dict[str, str] = {
    "serving.kserve.io/": (
        "KServe's own settings (deploymentMode, autoscalerClass, storage-initializer, ...), which the platform sets "
        "or which would change how the model is served"
    ),
    "internal.serving.kserve.io/": "KServe's internal annotations (the storage initializer's source URI)",
    "networking.kserve.io/": "the visibility label (public or internal), which access.mode sets",
    "networking.knative.dev/": "the visibility label (public or internal), which access.mode sets",
    "autoscaling.knative.dev/": "the autoscaling annotations, which scaling sets",
    "serving.knative.dev/": "Knative's revision settings (progress deadline), which the platform sets",
    "features.knative.dev/": "Knative's per-revision features, which the platform does not enable",
    "sidecar.istio.io/": "the Istio sidecar, which enforces the model's access rules",
    "traffic.sidecar.istio.io/": "the Istio sidecar's traffic capture, which enforces the model's access rules",
    "container.apparmor.security.beta.kubernetes.io/": (
        "the containers' AppArmor profile, which the model namespace's Pod Security level bounds (kubernetes.io/docs/"
        "concepts/security/pod-security-standards, Baseline: AppArmor)"
    ),
    "proxy.istio.io/": "the Istio sidecar, which enforces the model's access rules",
    "security.istio.io/": "Istio's mTLS settings, which the platform sets",
    "istio.io/": "Istio's own labels",
    "prometheus.io/": "metrics scraping, which the platform's PodMonitor configures",
    "prometheus.kserve.io/": "metrics scraping, which the platform's PodMonitor configures",
    "app.kubernetes.io/": "the standard labels, which the platform sets",
    "mlplatform.io/": "the platform's own labels and annotations",
    "pulumi.com/": "Pulumi's await settings, which the platform sets",
}
"""Label and annotation key prefixes a model may not set on its pods, and why: KServe copies a predictor's
``labels`` and ``annotations`` onto the pod template with the highest priority ("predictor component > isvc >
ServingRuntimePodSpec", pkg/controller/v1beta1/inferenceservice/components/predictor.go ``buildObjectMeta``), so one
of these would override what the platform sets or switch off what enforces the model's access (an Istio
``sidecar.istio.io/inject: "false"`` pod has no sidecar, and its AuthorizationPolicy is then ignored)."""
PLATFORM_KEYS: dict[str, str] = {
    "serving.kserve.io/inferenceservice": "the label KServe sets on the model's pods and the platform selects them by",
    "component": "the label KServe sets on the model's pods (constants.KServiceComponentLabel)",
    "app": "the label KServe selects Standard-mode pods by (constants.GetRawServiceLabel)",
}


def platform_key_prefixes() -> dict[str, str]:
    """:data:`PLATFORM_KEY_PREFIXES` and each registered cloud's workload identity prefix
    (:attr:`components.clouds.Cloud.identity_annotation`): the cloud identity of the model's storage."""
    identity = sorted(c.identity_annotation for c in clouds.all_clouds() if c.identity_annotation)
    why = "the cloud identity of the model's storage, which the platform sets"
    return {**PLATFORM_KEY_PREFIXES, **dict.fromkeys(identity, why)}


def platform_key_problem(key: str) -> str | None:
    """Why a model may not set pod label or annotation ``key`` (the platform sets what it governs), or None."""
    if key in PLATFORM_KEYS:
        return f"it is {PLATFORM_KEYS[key]}; remove it"
    for prefix, what in platform_key_prefixes().items():
        if key.startswith(prefix) or ("/" in key and key.split("/", 1)[0].endswith("." + prefix.rstrip("/"))):
            return f"{prefix}* keys are {what}; remove it"
    return None


# ------------------------------------------------------------------------------------------------ secret references


class SecretKeySpec(Spec):
    """A key of a Kubernetes Secret in the model's namespace, referenced by name (the value is never in the stack)."""

    secret: str
    """Name of the Secret (a DNS-1123 subdomain) in the model's namespace; you create it (kubectl, External Secrets)."""
    key: str
    """The key in the Secret's data."""

    @field_validator("secret")
    @classmethod
    def _secret(cls, v: str) -> str:
        if not is_dns_subdomain(v):
            raise value_error("give a Secret name (a DNS-1123 subdomain: lowercase letters, digits, '-' and '.')")
        return v

    @field_validator("key")
    @classmethod
    def _key(cls, v: str) -> str:
        # Secret data keys: "consist of alphanumeric characters, '-', '_' or '.'", and not ".", ".." or "..<x>"
        # (apimachinery pkg/util/validation/validation.go IsConfigMapKey, hasChDirPrefix).
        if not re.fullmatch(r"[-._a-zA-Z0-9]{1,253}", v, re.ASCII) or v == "." or v.startswith(".."):
            raise value_error(
                "give a Secret key of letters, digits, '-', '_' and '.' (at most 253), not . and not starting with .."
            )
        return v


# ------------------------------------------------------------------------------------------------ custom containers


class PortSpec(Spec):
    """The one port a custom container serves on."""

    number: int = Field(default=8080, ge=1, le=65535)
    """The container port (1-65535); not one the queue-proxy or the Istio sidecar uses (see model-service.md)."""
    protocol: Literal["http", "grpc"] = "http"
    (
        "``http`` (HTTP/1.1) or ``grpc`` (HTTP/2 cleartext): named ``http1`` or ``h2c``, the names Knative and KServe "
        "read the protocol from."
    )

    @field_validator("number")
    @classmethod
    def _free(cls, v: int) -> int:
        if v in RESERVED_PORTS:
            raise value_error(f"{RESERVED_PORTS[v]} uses it in the model's pod; give another port, such as 8080")
        return v

    @property
    def name(self) -> str:
        """The port's name: ``h2c`` for gRPC, ``http1`` for HTTP/1.1 (Knative's accepted port names,
        knative/serving pkg/apis/serving/k8s_validation.go ``validateContainerPorts``; KServe's Standard-mode
        Service treats a port whose name contains ``h2c`` or ``grpc`` as gRPC, service_reconciler.go
        ``isGrpcPort``)."""
        return "h2c" if self.protocol == "grpc" else "http1"


RESERVED_PORTS: dict[int, str] = {
    8008: "Knative's queue-proxy (profiling)",
    8012: "Knative's queue-proxy (HTTP/1)",
    8013: "Knative's queue-proxy (h2c)",
    8022: "Knative's queue-proxy (admin)",
    8112: "Knative's queue-proxy (TLS)",
    9090: "Knative's queue-proxy (autoscaler metrics)",
    9091: "Knative's queue-proxy (request metrics)",
    15000: "the Istio sidecar (admin)",
    15001: "the Istio sidecar (outbound)",
    15004: "the Istio sidecar (debug)",
    15006: "the Istio sidecar (inbound)",
    15008: "the Istio sidecar (HBONE)",
    15009: "the Istio sidecar (HBONE, secure networks)",
    15020: "Istio's pilot-agent (status)",
    15021: "the Istio sidecar (health)",
    15053: "the Istio sidecar (DNS)",
    15090: "the Istio sidecar (metrics)",
}
"""Ports of the containers Knative and Istio add to every model pod: Knative's reserved ports, refused for the user
container by Knative's webhook (knative/serving knative-v1.21.3 pkg/apis/serving/k8s_validation.go ``reservedPorts``:
BackendHTTPPort 8012, BackendHTTP2Port 8013, QueueAdminPort 8022, AutoscalingQueueMetricsPort 9090,
UserQueueMetricsPort 9091, ProfilingDefaultPort 8008), the queue-proxy's TLS port 8112 (pkg/networking/constants.go
``BackendHTTPSPort``) and Istio's (istio.io/latest/docs/ops/deployment/application-requirements/
#ports-used-by-istio; 15009, H2C, "HBONE port for secure networks", is in that table as istio.io/v1.13/zh/docs/ops/
deployment/requirements has it: red14j break 12, the pinned version's page was not read). In Standard mode there is
no queue-proxy, but the same rule keeps a model movable."""


class ProbeSpec(Spec):
    """A custom container's probe: HTTP GET on ``path``, or the gRPC health check, on the container's port."""

    path: str | None = None
    """HTTP path to GET (an absolute path); leave out for a gRPC container (then the gRPC health check is used)."""
    initial_delay_seconds: int = Field(default=0, ge=0, le=3600)
    """Seconds before the first probe."""
    period_seconds: int = Field(default=10, ge=1, le=3600)
    """Seconds between probes."""
    timeout_seconds: int = Field(default=1, ge=1, le=3600)
    """Seconds a probe may take."""
    failure_threshold: int = Field(default=3, ge=1, le=1000)
    """Failed probes in a row before the container counts as failed."""

    @field_validator("path")
    @classmethod
    def _path(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"/[!-~]*", v, re.ASCII):
            raise value_error("give an absolute HTTP path such as /healthz (printable, no spaces)")
        return v


_IMAGE = re.compile(
    r"\A(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?\Z",
    re.ASCII,
)
"""An image reference: [registry[:port]/]repository[:tag][@sha256:digest] (distribution/reference reference.go
grammar: the OCI repository name components, a tag of at most 128 word characters, '.' and '-')."""


MAX_USER_ID = 2**31 - 1
"""The largest user id Kubernetes accepts for ``runAsUser`` (kubernetes/apimachinery v0.34.9
pkg/util/validation/validation.go ``IsValidUserID``: 0 to ``math.MaxInt32``); 0 (root) is refused here, as
``runAsNonRoot: true`` refuses it."""


class ContainerSpec(Spec):
    """A custom model server (KServe's custom predictor): the pod's ``kserve-container``."""

    image: str
    """The image, ``[registry/]repository[:tag][@sha256:digest]``."""
    command: list[str] = []
    """The entrypoint; default: the image's."""
    port: PortSpec = PortSpec()
    """The port it serves on: one (Knative serves one port per container)."""
    readiness_probe: ProbeSpec | None = None
    """When the container is ready for requests. Default: Knative's TCP check of the port (Knative mode)."""
    liveness_probe: ProbeSpec | None = None
    """When the container is restarted. Default: none."""
    startup_probe: ProbeSpec | None = None
    """How long the container may take to start (slow model loads). Default: none."""
    run_as_user: int | None = Field(default=None, ge=1, le=MAX_USER_ID)
    (
        "The numeric user the container runs as (``securityContext.runAsUser``), 1 to 2147483647. The platform "
        "runs it with ``runAsNonRoot: true``: an image whose ``USER`` is a name (``USER model-server``) needs its "
        "number here, or the kubelet refuses to start it (it cannot verify that a named user is not root). Default: "
        "the image's user."
    )

    @field_validator("port", mode="before")
    @classmethod
    def _one_port(cls, v: object) -> object:
        if isinstance(v, list):
            # "Only a single port is allowed across all containers" (knative/serving knative-v1.21.3
            # pkg/apis/serving/k8s_validation.go); KServe's Standard-mode Service targets the first port only.
            raise value_error("give one port (a map): Knative serves one port per model pod")
        return v

    @field_validator("image")
    @classmethod
    def _image(cls, v: str) -> str:
        if len(v) > 255 or not _IMAGE.match(v):
            raise value_error(
                "give an image reference such as ghcr.io/acme/server:1.2 ([registry/]repository[:tag][@sha256:digest], "
                "the repository in lowercase)"
            )
        return v

    @model_validator(mode="after")
    def _probes_speak_the_port(self) -> ContainerSpec:
        if self.port.protocol == "grpc":
            for key, probe in (
                ("readinessProbe", self.readiness_probe),
                ("livenessProbe", self.liveness_probe),
                ("startupProbe", self.startup_probe),
            ):
                if probe is not None and probe.path is not None:
                    raise field_error(
                        f"{key}.path",
                        probe.path,
                        "the port speaks gRPC, so an HTTP GET probe fails on it; leave path out (the gRPC health "
                        "check is used)",
                    )
        return self

    @field_validator("command")
    @classmethod
    def _command(cls, v: list[str]) -> list[str]:
        for part in v:
            if "\0" in part:
                raise value_error("give a command without NUL characters", part)
        if v and not v[0].strip():
            raise value_error("give the executable first (an empty name runs nothing: the container fails to start)")
        return v


# ------------------------------------------------------------------------------------------------ placement


MAX_TOLERATION_SECONDS = 2**53
"""The largest ``tolerationSeconds`` a stack carries unchanged (red team #14f break 6). Kubernetes takes any int64
(core/v1 ``Toleration.TolerationSeconds *int64``; pkg/apis/core/validation/validation.go ``ValidateTolerations`` only
requires ``effect: NoExecute`` with it), but Pulumi passes resource inputs as protobuf ``Struct`` values, whose numbers
are doubles (google/protobuf/struct.proto ``double number_value``; pulumi/pulumi#24608): every whole number up to 2^53
is exact, 2^53 + 1 is not. The lower of the two bounds is this one."""


class TolerationSpec(Spec):
    """A toleration added to the GPU ones the platform sets (core/v1 Toleration)."""

    key: str | None = None
    """The taint key; leave out with ``operator: Exists`` to tolerate every taint."""
    operator: Literal["Exists", "Equal"] = "Equal"
    """``Equal`` (the taint's value must be ``value``) or ``Exists``."""
    value: str | None = None
    """The taint value (``operator: Equal`` only)."""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    """The taint effect to tolerate; default: every effect."""
    toleration_seconds: int | None = Field(default=None, ge=0)
    """How long the pod stays on a node tainted NoExecute (``effect: NoExecute`` only), at most 2^53 seconds."""

    @model_validator(mode="after")
    def _rules(self) -> TolerationSpec:
        # core/v1 validation (kubernetes pkg/apis/core/validation/validation.go ``validateTolerations``).
        if self.key is not None and (why := qualified_key_problem(self.key)):
            raise field_error("key", self.key, why)
        if self.key is None and self.operator != "Exists":
            raise field_error("operator", self.operator, "give operator: Exists when key is left out")
        if self.operator == "Exists" and self.value:
            raise field_error("value", self.value, "leave value out with operator: Exists")
        if self.value is not None and (why := label_value_problem(self.value)):
            raise field_error("value", self.value, why)
        if self.toleration_seconds is not None and self.toleration_seconds > MAX_TOLERATION_SECONDS:
            raise field_error(
                "tolerationSeconds",
                self.toleration_seconds,
                f"give at most {MAX_TOLERATION_SECONDS} (2^53): Pulumi carries numbers as doubles, which change a "
                "larger whole number",
            )
        if self.toleration_seconds is not None and self.effect != "NoExecute":
            raise field_error("tolerationSeconds", self.toleration_seconds, "applies to effect: NoExecute only")
        return self

    def rendered(self) -> dict[str, object]:
        """The core/v1 Toleration."""
        out: dict[str, object] = {"operator": self.operator}
        for field, value in (
            ("key", self.key),
            ("value", self.value),
            ("effect", self.effect),
            ("tolerationSeconds", self.toleration_seconds),
        ):
            if value is not None:
                out[field] = value
        return out


class RolloutSpec(Spec):
    """How new pods replace old ones in Standard mode (the predictor's ``deploymentStrategy``, a RollingUpdate)."""

    max_surge: int | str = 1
    """Pods above the replica count during a rollout: a number or a percent such as ``25%``."""
    max_unavailable: int | str = 0
    """Pods that may be unavailable during a rollout: a number or a percent such as ``25%``."""

    @field_validator("max_surge", "max_unavailable", mode="before")
    @classmethod
    def _amount(cls, v: object) -> object:
        # Checked before the int | str union so that a wrong type is one line about this field (not one per branch
        # of the union). An IntOrString holds an int32 (apimachinery util/intstr).
        if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 2**31 - 1:
            return v
        if isinstance(v, str) and re.fullmatch(r"(100|[1-9]?[0-9])%", v, re.ASCII):
            return v
        if isinstance(v, str) and re.fullmatch(r"[0-9]+", v, re.ASCII):
            # red14m M4: "0" is text, which an IntOrString reads as a percent; Kubernetes refuses it without '%'
            # (apimachinery pkg/api/validation ValidatePositiveIntOrPercent, IsValidPercent)
            raise value_error(
                f"give {v} unquoted: quoted, it is read as a percent, which needs '%' (Kubernetes' IntOrString)",
                f'"{v}"',
            )
        raise value_error("give a whole number from 0 to 2147483647 or a percent from 0% to 100%")

    @model_validator(mode="after")
    def _progress(self) -> RolloutSpec:
        if self.max_surge in (0, "0%") and self.max_unavailable in (0, "0%"):
            # Kubernetes refuses both zero (pkg/apis/apps/validation ``ValidateRollingUpdateDeployment``: "may not be
            # 0 when `maxSurge` is 0").
            raise field_error("maxUnavailable", self.max_unavailable, "give >= 1 when maxSurge is 0 (Kubernetes' rule)")
        return self


# ------------------------------------------------------------------------------------------------ storage


class StorageUriSpec(Spec):
    """One of several models a pod downloads (KServe v0.20.0 ``storageUris``)."""

    uri: str
    """Where the model is: the same forms as ``storageUri``."""
    mount_path: str = "/mnt/models"
    """Where it lands in the container: an absolute path (KServe's CRD: ``^/.*``, at most 255 characters)."""

    @field_validator("mount_path")
    @classmethod
    def _mount(cls, v: str) -> str:
        # ".." anywhere, not only as a segment: KServe v0.20.0 pkg/apis/serving/v1beta1/inference_service_validation.go
        # validateStorageURISpec line 743, strings.Contains(MountPath, "..") -> "storage path cannot contain '..'"
        # (red14j break 5: /mnt/a..b was planned and imported, the webhook refuses it)
        if not re.fullmatch(r"/[!-~]{0,254}", v, re.ASCII) or ".." in v or "//" in v:
            raise value_error("give an absolute path such as /mnt/models/extra (printable, no .. or //)")
        normal = posixpath.normpath(v)
        if normal in _SYSTEM_MOUNTS or normal.startswith(_SYSTEM_MOUNT_PREFIXES):
            raise value_error(
                "give a folder of your own such as /mnt/models/extra: this one would cover the container's own files "
                "or its ServiceAccount token"
            )
        return v


_SYSTEM_MOUNTS = frozenset(
    {"/", "/bin", "/dev", "/etc", "/lib", "/lib64", "/proc", "/sbin", "/sys", "/usr", "/var", "/tmp"}
)
"""Folders a model's files must not be mounted over: the container image's own (the server would not start) and
the kernel's."""
_SYSTEM_MOUNT_PREFIXES = ("/var/run/secrets", "/run/secrets", "/proc/", "/sys/", "/dev/", "/etc/")
"""Under these a mount would cover the ServiceAccount token or Istio's certificates, or system files."""


def secret_name_problem(name: str) -> str | None:
    """Why ``name`` is not a Secret name (a DNS-1123 subdomain), or None."""
    return None if is_dns_subdomain(name) else "give a Secret name (a DNS-1123 subdomain)"
