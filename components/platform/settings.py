"""Typed platform settings (``mlplatform:platform`` in a stack file)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from components.spec import Spec, field_error, value_error
from components.versions import CHARTS

_DOMAIN = re.compile(r"\A(?=.{1,253}\Z)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z", re.ASCII)
_EMAIL = re.compile(r"\A[!-?A-~]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,63}\Z", re.ASCII)
_DURATION = re.compile(r"\A[0-9]+(s|m|h|d|w|y)\Z", re.ASCII)
_QUANTITY = re.compile(r"\A[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?\Z", re.ASCII)


class TlsSpec(Spec):
    """TLS for the ingress gateway: who signs its wildcard certificate for the domain."""

    issuer: Literal["self-signed", "acme"] = "self-signed"
    (
        "``self-signed`` (a CA made by cert-manager signs the certificate) or ``acme`` (Let's Encrypt; needs "
        "``acmeEmail`` and ``acmeDns01``)."
    )
    acme_email: str | None = None
    """E-mail address the ACME account registers with; required when issuer is ``acme``."""
    acme_server: str = "https://acme-v02.api.letsencrypt.org/directory"
    """ACME directory URL. Default: Let's Encrypt production."""
    acme_dns01: dict[str, Any] | None = None
    (
        "cert-manager DNS-01 solver (the ``dns01`` map of a ClusterIssuer solver), e.g. "
        "``{route53: {region: us-east-1}}``; required when issuer is ``acme``, since ACME issues the wildcard "
        "certificate only through DNS-01."
    )

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
        if self.acme_email is not None and not _EMAIL.match(self.acme_email):
            raise field_error("acmeEmail", self.acme_email, "give an e-mail address")
        return self


class MonitoringSpec(Spec):
    """Prometheus, Alertmanager, Grafana and GPU metrics (kube-prometheus-stack)."""

    enabled: bool = True
    (
        "Install kube-prometheus-stack, the DCGM exporter where needed, and each model's PodMonitor, SLO alerts and "
        "dashboard."
    )
    retention: str = "15d"
    """How long Prometheus keeps metrics: a Prometheus duration such as ``15d`` or ``720h``."""
    storage_size: str = "50Gi"
    """Size of Prometheus's persistent volume: a Kubernetes quantity such as ``50Gi``."""
    managed_dcgm: bool = False
    """The cloud runs a DCGM exporter (GKE managed DCGM, AKS managed GPU pools): do not install ours."""

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
    """``mlplatform:platform``: the add-ons that make a cluster a model-serving platform."""

    deployment_mode: Literal["Knative", "Standard"] = "Knative"
    (
        "KServe's deployment mode: ``Knative`` (scale to zero, revisions, canaries) or ``Standard`` (Deployments and "
        "HPA)."
    )
    ha: bool | None = None
    (
        "Run the add-ons highly available: extra replicas, PodDisruptionBudgets and zone spread. Default: true when "
        "environment is prod."
    )
    domain: str = "example.com"
    """Lowercase DNS domain of the public models, served at ``https://<model>-<namespace>.<domain>``."""
    tls: TlsSpec = TlsSpec()
    """TLS for the ingress gateway."""
    monitoring: MonitoringSpec = MonitoringSpec()
    """Metrics, alerts and dashboards."""
    gpu_support: Literal["device-plugin", "gpu-operator"] = "device-plugin"
    (
        "``device-plugin`` (NVIDIA device plugin, where the cluster needs it) or ``gpu-operator`` (NVIDIA GPU operator "
        "with driver and toolkit off)."
    )
    istio_cni: bool = True
    (
        "Use Istio CNI instead of privileged init containers, so model namespaces can enforce the ``restricted`` Pod "
        "Security level."
    )
    gateway_service_type: Literal["LoadBalancer", "NodePort", "ClusterIP"] = "LoadBalancer"
    (
        "The ingress gateway's Service type; give ``NodePort`` where no load-balancer controller runs (kind, k3d), or "
        "Helm waits for an address forever."
    )
    versions: dict[str, str] = Field(default_factory=dict)
    (
        "Chart version overrides by chart key of components/versions.py, as quoted strings; charts released together "
        "(Istio's, KServe's) need one version."
    )
    allow_unsupported_versions: bool = False
    """Accept chart and Kubernetes versions outside the compatibility table (docs/versions.md)."""

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
