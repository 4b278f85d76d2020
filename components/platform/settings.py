"""Typed platform settings (``mlplatform:platform`` in a stack file)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from components.spec import Spec, field_error, value_error
from components.versions import CHARTS

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_DURATION = re.compile(r"^[0-9]+(s|m|h|d|w|y)$")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$")


class TlsSpec(Spec):
    """TLS for the ingress gateway. ``issuer``: ``self-signed`` (default) or ``acme`` (Let's Encrypt; needs
    ``acmeEmail`` and ``acmeDns01``). ``acmeServer``: Default Let's Encrypt production. ``acmeDns01``: the
    cert-manager DNS-01 solver (e.g. ``{route53: {region: us-east-1}}``, ``{cloudDNS: {project: p}}``,
    ``{azureDNS: {...}}``): the gateway's certificate is a wildcard for the domain, which ACME issues only through
    DNS-01."""

    issuer: Literal["self-signed", "acme"] = "self-signed"
    acme_email: str | None = None
    acme_server: str = "https://acme-v02.api.letsencrypt.org/directory"
    acme_dns01: dict[str, Any] | None = None
    """cert-manager ACME DNS-01 solver settings (the ``dns01`` map of a ClusterIssuer solver)."""

    @model_validator(mode="after")
    def _email(self) -> TlsSpec:
        if self.issuer == "acme" and not self.acme_email:
            raise field_error("acmeEmail", None, "give the e-mail address ACME registers with when issuer is acme")
        if self.issuer == "acme" and not self.acme_dns01:
            raise field_error(
                "acmeDns01",
                None,
                "give the cert-manager DNS-01 solver (e.g. {route53: {region: us-east-1}}): the gateway's wildcard "
                "certificate can only be issued through DNS-01",
            )
        if self.acme_email is not None and "@" not in self.acme_email:
            raise field_error("acmeEmail", self.acme_email, "give an e-mail address")
        return self


class MonitoringSpec(Spec):
    """Prometheus, Alertmanager, Grafana and GPU metrics. ``enabled``: Default true. ``retention``: Default 15d.
    ``storageSize``: Prometheus volume, Default 50Gi. ``managedDcgm``: use the cloud's DCGM exporter where it has
    one instead of installing ours. Default false."""

    enabled: bool = True
    retention: str = "15d"
    storage_size: str = "50Gi"
    managed_dcgm: bool = False

    @field_validator("retention")
    @classmethod
    def _retention(cls, v: str) -> str:
        if not _DURATION.match(v):
            raise value_error("give a Prometheus duration such as 15d or 720h")
        return v

    @field_validator("storage_size")
    @classmethod
    def _size(cls, v: str) -> str:
        if not _QUANTITY.match(v):
            raise value_error("give a Kubernetes quantity such as 50Gi")
        return v


class PlatformSettings(Spec):
    """``mlplatform:platform``: the add-ons that make a cluster a model-serving platform.

    ``deploymentMode``: ``Knative`` (default; scale to zero) or ``Standard`` (plain Deployments + HPA).
    ``ha``: replicas, PDBs and zone spread for the add-ons. Default: true when environment is prod.
    ``domain``: models are served at ``<model>.<namespace>.<domain>``. Default ``example.com``.
    ``gpuSupport``: ``device-plugin`` (default) or ``gpu-operator`` (driver off; toolkit and DCGM included).
    ``istioCni``: Istio CNI instead of privileged init containers. Default true.
    ``gatewayServiceType``: the ingress gateway's Service type. Default ``LoadBalancer``; give ``NodePort`` on a
    cluster without a load-balancer controller (kind, k3d), where Helm would otherwise wait for an address forever.
    ``versions``: chart version overrides by chart key (see components/versions.py).
    ``allowUnsupportedVersions``: accept versions outside the compatibility table. Default false.
    """

    deployment_mode: Literal["Knative", "Standard"] = "Knative"
    ha: bool | None = None
    domain: str = "example.com"
    tls: TlsSpec = TlsSpec()
    monitoring: MonitoringSpec = MonitoringSpec()
    gpu_support: Literal["device-plugin", "gpu-operator"] = "device-plugin"
    istio_cni: bool = True
    gateway_service_type: Literal["LoadBalancer", "NodePort", "ClusterIP"] = "LoadBalancer"
    """The ingress gateway's Service type (NodePort where no load-balancer controller runs)."""
    versions: dict[str, str] = Field(default_factory=dict)
    allow_unsupported_versions: bool = False

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str) -> str:
        if not _DOMAIN.match(v):
            raise value_error("give a DNS domain such as models.example.com (lowercase)")
        return v

    @field_validator("versions")
    @classmethod
    def _versions(cls, v: dict[str, str]) -> dict[str, str]:
        for key, version in v.items():
            if key not in CHARTS:
                raise value_error(f"unknown chart {key!r}; give versions for " + ", ".join(CHARTS))
            if not isinstance(version, str) or not version:
                raise value_error(f"give {key}'s version as a quoted string")
        return v
