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

from components.clusters.base import DnsAccess
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


RECORD_TYPES = ("TXT",)
"""The only records cert-manager writes: the DNS-01 challenge's TXT records (ACME, RFC 8555 section 8.4)."""
SERVICE_ACCOUNT = "cert-manager"
"""The controller's ServiceAccount: the chart names it after the release's full name (cert-manager v1.21.1
deploy/charts/cert-manager/templates/_helpers.tpl ``cert-manager.serviceAccountName``), here ``cert-manager``."""


def values(ctx: AddonContext, identity: DnsAccess | None = None) -> dict[str, Any]:
    """cert-manager chart values: CRDs installed (and kept on uninstall), system pool, HA replicas and PDBs, and,
    with a DNS zone (``identity``), the controller's cloud identity: ServiceAccount annotations and labels (IRSA
    role, GKE service account, Azure client id) and pod labels (Azure Workload Identity's
    ``azure.workload.identity/use``; cert-manager.io/docs/configuration/acme/dns01/azuredns/ sets ``podLabels``)."""
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
    if identity is not None:
        out["serviceAccount"] = {
            "annotations": dict(identity.service_account_annotations),
            "labels": dict(identity.service_account_labels),
        }
        out["podLabels"] = dict(identity.pod_labels)
    return drop_empty(out)


def acme_solver(ctx: AddonContext, identity: DnsAccess | None) -> dict[str, Any]:
    """The ClusterIssuer's ``dns01`` solver: the one the cluster derives for the zone (ambient credentials of the
    identity above), with the stack's ``tls.acmeDns01`` laid over it key by key; the stack's alone without a zone."""
    given = dict(ctx.settings.tls.acme_dns01 or {})
    derived = dict(identity.acme_dns01) if identity is not None else {}
    for provider, fields in given.items():
        base = derived.get(provider)
        if isinstance(base, dict) and isinstance(fields, dict):
            derived[provider] = {**base, **fields}
        else:
            derived[provider] = fields
    if given and identity is not None and not set(given) & set(identity.acme_dns01):
        derived = {k: v for k, v in derived.items() if k in given}
    return derived


def install(ctx: AddonContext, namespace: pulumi.Resource, identity: DnsAccess | None = None) -> CertManager:
    """The cert-manager release, then the ClusterIssuer(s); the issuer waits until cert-manager reports it Ready.
    ``identity``: cert-manager's grant on the stack's DNS zone (the release waits for its cloud resources)."""
    release = ctx.release(
        "cert-manager",
        "cert-manager",
        release_name=RELEASE,
        namespace=NAMESPACE,
        values=values(ctx, identity),
        depends_on=[namespace, *(identity.resources if identity is not None else ())],
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
                    "solvers": [{"dns01": acme_solver(ctx, identity)}],
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
