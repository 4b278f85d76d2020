"""DNS: the stack's zone (``platform.dns``), cert-manager's identity on it, and external-dns for the wildcard record.

With a zone, the cluster grants (:meth:`KubernetesCluster.grant_dns_admin`) two ServiceAccounts rights on that zone
only: cert-manager's (ACME DNS-01 TXT records) and external-dns's. external-dns (chart pinned in
components/versions.py) watches Services (``sources: [service]``) and publishes, for the ingress gateway's Service,
the names in its ``external-dns.alpha.kubernetes.io/hostname`` annotation (``*.<domain>``: models are served at
``<name>-<namespace>.<domain>``, and the Standard mode's HTTPS listener admits ``*.<domain>`` only, so the apex is not
published) on the Service's load-balancer address, with TXT ownership records (``txtOwnerId``) so it never touches
records it did not create (kubernetes-sigs/external-dns docs/annotations/annotations.md and docs/registry/txt.md,
chart 1.21.1). The ownership record of ``*.<domain>`` would be named with a literal ``*`` inside a label
(``a-*.<domain>``, registry/mapper/mapper.go ``ToTXTName``), which most providers reject (docs/registry/txt.md
"Wildcard Replacement"), so ``--txt-wildcard-replacement`` is set on every cloud (:data:`TXT_WILDCARD_REPLACEMENT`).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.clusters.base import DnsAccess, DnsZone
from components.naming import child_name, child_opts
from components.platform.common import AddonContext, drop_empty

NAMESPACE = "external-dns"
RELEASE = "external-dns"
SERVICE_ACCOUNT = "external-dns"
"""The chart's ServiceAccount: named after the release's full name (external-dns chart 1.21.1 _helpers.tpl
``external-dns.serviceAccountName``), here ``external-dns``."""
HOSTNAME_ANNOTATION = "external-dns.alpha.kubernetes.io/hostname"
"""Names external-dns publishes for a Service, comma-separated (external-dns docs/annotations/annotations.md)."""
TXT_WILDCARD_REPLACEMENT = "wildcard"
"""What replaces ``*`` in the TXT ownership record's name (external-dns docs/registry/txt.md "Wildcard Replacement":
"Without using this, registry TXT records for wildcard domains will have invalid domain syntax and be rejected by
most providers"). Must not be a real first label in the zone; never change it once records exist (external-dns
would no longer recognise its own records)."""
CONFIG_SECRET = "external-dns-provider-config"
CONFIG_DIR = "/etc/kubernetes"
"""Where external-dns's Azure provider reads ``azure.json`` by default (docs/tutorials/azure.md)."""


def zone(ctx: AddonContext) -> DnsZone | None:
    """The stack's DNS zone as the cluster seam takes it, or None."""
    spec = ctx.settings.dns
    if spec is None:
        return None
    return DnsZone(name=spec.zone, id=spec.id, settings=spec.cloud_settings())


def wants_external_dns(ctx: AddonContext) -> bool:
    """external-dns runs when the stack names a zone and did not turn it off."""
    return ctx.settings.dns is not None and ctx.settings.dns.external_dns


def gateway_hostnames(ctx: AddonContext) -> str:
    """The annotation value on the gateway's Service: the wildcard ``*.<domain>`` that every model host is under.
    Not the apex: nothing serves ``<domain>`` itself (the Standard mode's HTTPS listener is ``*.<domain>`` only)."""
    return f"*.{ctx.settings.domain}"


def values(ctx: AddonContext, access: DnsAccess) -> dict[str, Any]:
    """external-dns chart values: the provider and its settings from the cluster, the identity on the zone, only
    this zone (``domainFilters``), only Services, TXT ownership with the wildcard replacement (the cloud's
    ``extraArgs`` kept), system pool."""
    spec = ctx.settings.dns
    assert spec is not None
    cloud_args = [str(a) for a in access.external_dns.get("extraArgs", [])]
    out: dict[str, Any] = {
        **{k: v for k, v in access.external_dns.items()},
        "extraArgs": [*cloud_args, f"--txt-wildcard-replacement={TXT_WILDCARD_REPLACEMENT}"],
        "sources": ["service"],
        "domainFilters": [spec.zone],
        "txtOwnerId": f"mlplatform-{ctx.name}-{ctx.settings.domain}",
        "serviceAccount": {
            "annotations": dict(access.service_account_annotations),
            "labels": dict(access.service_account_labels),
        },
        "podLabels": dict(access.pod_labels),
        "nodeSelector": ctx.system_selector,
    }
    if access.external_dns_files:
        out["extraVolumes"] = [{"name": "provider-config", "secret": {"secretName": CONFIG_SECRET}}]
        out["extraVolumeMounts"] = [{"name": "provider-config", "mountPath": CONFIG_DIR, "readOnly": True}]
    return drop_empty(out)


def install(ctx: AddonContext) -> k8s.helm.v3.Release | None:
    """The namespace, external-dns's identity on the zone and the release, or None. The release does not wait for
    the gateway: external-dns watches Services and publishes the annotated gateway Service whenever it appears
    (``sources: [service]``, module docstring), so nothing in its install needs the gateway first."""
    if not wants_external_dns(ctx):
        return None
    target = zone(ctx)
    assert target is not None
    access = ctx.cluster.grant_dns_admin(
        child_name(ctx.name, "external-dns"), NAMESPACE, SERVICE_ACCOUNT, target, ctx.parent
    )
    ns = ctx.namespace("ns-external-dns", NAMESPACE, pod_security="restricted")
    before: list[pulumi.Resource] = [ns, *access.resources]
    if access.external_dns_files:
        before.append(
            k8s.core.v1.Secret(
                child_name(ctx.name, "external-dns-config"),
                metadata={"name": CONFIG_SECRET, "namespace": NAMESPACE, "labels": ctx.labels("external-dns")},
                string_data={k: pulumi.Output.secret(v) for k, v in access.external_dns_files.items()},
                opts=child_opts(ctx.parent, provider=ctx.cluster.provider, depends_on=[ns]),
            )
        )
    return ctx.release(
        "external-dns",
        "external-dns",
        release_name=RELEASE,
        namespace=NAMESPACE,
        values=values(ctx, access),
        depends_on=before,
    )
