"""cert-manager (with its CRDs) and the ClusterIssuer that signs the gateway's certificate.

Self-signed (``platform.tls.issuer: self-signed``): a self-signed ClusterIssuer signs one CA certificate, and a CA
ClusterIssuer built on it signs the gateway certificate, so clients trust one CA. ACME: a Let's Encrypt
ClusterIssuer with the stack's DNS-01 solver (the gateway certificate is a wildcard, which only DNS-01 issues).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.platform.common import AddonContext, drop_empty

NAMESPACE = "cert-manager"
RELEASE = "cert-manager"
API = "cert-manager.io/v1"
SELF_SIGNED_ISSUER = "mlplatform-selfsigned"
CA_ISSUER = "mlplatform-ca"
ACME_ISSUER = "mlplatform-acme"
WAIT_READY = {"pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": "600"}


@dataclass(frozen=True)
class CertManager:
    """What the cert-manager step leaves: the release, and the ClusterIssuer (name and resource) for the gateway."""

    release: k8s.helm.v3.Release
    issuer_name: str
    issuer: k8s.apiextensions.CustomResource


def values(ctx: AddonContext) -> dict[str, Any]:
    """cert-manager chart values: CRDs installed (and kept on uninstall), system pool, HA replicas and PDBs."""
    sel = ctx.system_selector
    pdb = {"enabled": ctx.ha}  # the chart's PDB defaults to minAvailable 1: with 2 replicas one may be evicted
    out: dict[str, Any] = {
        "crds": {"enabled": True, "keep": True},
        "replicaCount": ctx.replicas,
        "podDisruptionBudget": pdb,
        "nodeSelector": sel,
        "topologySpreadConstraints": ctx.spread({"app.kubernetes.io/name": "cert-manager"}),
        "webhook": {
            "replicaCount": ctx.replicas,
            "podDisruptionBudget": pdb,
            "nodeSelector": sel,
            "topologySpreadConstraints": ctx.spread({"app.kubernetes.io/name": "webhook"}),
        },
        "cainjector": {"replicaCount": ctx.replicas, "podDisruptionBudget": pdb, "nodeSelector": sel},
        "startupapicheck": {"nodeSelector": sel},
    }
    return drop_empty(out)


def install(ctx: AddonContext, namespace: pulumi.Resource) -> CertManager:
    """The cert-manager release, then the ClusterIssuer(s); the issuer waits until cert-manager reports it Ready."""
    release = ctx.release(
        "cert-manager",
        "cert-manager",
        release_name=RELEASE,
        namespace=NAMESPACE,
        values=values(ctx),
        depends_on=[namespace],
    )
    tls = ctx.settings.tls
    if tls.issuer == "acme":
        issuer = ctx.custom_resource(
            "acme-issuer",
            API,
            "ClusterIssuer",
            name=ACME_ISSUER,
            annotations=WAIT_READY,
            spec={
                "acme": {
                    "email": tls.acme_email,
                    "server": tls.acme_server,
                    "privateKeySecretRef": {"name": f"{ACME_ISSUER}-account"},
                    "solvers": [{"dns01": dict(tls.acme_dns01 or {})}],
                }
            },
            depends_on=[release],
        )
        return CertManager(release, ACME_ISSUER, issuer)
    self_signed = ctx.custom_resource(
        "selfsigned-issuer",
        API,
        "ClusterIssuer",
        name=SELF_SIGNED_ISSUER,
        spec={"selfSigned": {}},
        annotations=WAIT_READY,
        depends_on=[release],
    )
    ca_cert = ctx.custom_resource(
        "ca-certificate",
        API,
        "Certificate",
        name=CA_ISSUER,
        namespace=NAMESPACE,
        annotations=WAIT_READY,
        spec={
            "isCA": True,
            "commonName": f"mlplatform {ctx.name} CA",
            "secretName": CA_ISSUER,
            "duration": "87600h",
            "privateKey": {"algorithm": "ECDSA", "size": 256},
            "issuerRef": {"name": SELF_SIGNED_ISSUER, "kind": "ClusterIssuer", "group": "cert-manager.io"},
        },
        depends_on=[self_signed],
    )
    ca_issuer = ctx.custom_resource(
        "ca-issuer",
        API,
        "ClusterIssuer",
        name=CA_ISSUER,
        annotations=WAIT_READY,
        spec={"ca": {"secretName": CA_ISSUER}},
        depends_on=[ca_cert],
    )
    return CertManager(release, CA_ISSUER, ca_issuer)


def gateway_certificate(
    ctx: AddonContext, cm: CertManager, namespace: pulumi.Resource, secret_name: str, gateway_namespace: str
) -> k8s.apiextensions.CustomResource:
    """The gateway's certificate: ``<domain>`` and ``*.<domain>`` (model hosts are ``<name>-<namespace>.<domain>``),
    stored in the gateway's namespace as ``secret_name`` (the Istio gateway reads it as ``credentialName``)."""
    domain = ctx.settings.domain
    return ctx.custom_resource(
        "gateway-certificate",
        API,
        "Certificate",
        name=secret_name,
        namespace=gateway_namespace,
        annotations=WAIT_READY,
        spec={
            "secretName": secret_name,
            "dnsNames": [domain, f"*.{domain}"],
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "issuerRef": {"name": cm.issuer_name, "kind": "ClusterIssuer", "group": "cert-manager.io"},
        },
        depends_on=[cm.issuer, namespace],
    )
