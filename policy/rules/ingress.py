"""The public gateway's certificate and KServe's Standard-mode publishing.

- ``gateway-key-rotation``: a cert-manager Certificate whose Secret a gateway serves TLS with (an Istio Gateway's
  ``credentialName``, in a Gateway or in the KnativeServing's ``spec.ingress.istio`` gateways; a Gateway API
  listener's ``certificateRefs``) keeps ``spec.privateKey.rotationPolicy: Always``. cert-manager
  (cert-manager.io/docs/usage/certificate, ``privateKey.rotationPolicy``; its own event text, quoted in
  cilium/cilium commit c0d3b1fc2e16: "set .spec.privateKey.rotationPolicy to 'Always' (this will result in the
  private key being regenerated every time a cert is renewed)"; ``Never`` or unset on cert-manager before 1.18
  reuses the key): with ``Never`` the internet-facing key is reused at every renewal, so a key that leaked once stays
  good for every later certificate.
- ``standard-gateway-api``: in Standard mode (``kserve.controller.deploymentMode: Standard``) the kserve-resources
  release sets ``kserve.controller.gateway.ingressGateway.enableGatewayApi: true`` and ``kserveGateway`` to a Gateway
  API Gateway of the plan. The chart's default is ``false`` (kserve-resources v0.20.0 values.yaml,
  upstream/chart-values/kserve-resources-v0.20.0.yaml ``ingressGateway.enableGatewayApi``); without it KServe v0.20.0
  publishes each model as an Ingress of class ``istio`` (kube_ingress_reconciler.go) that Istio ignores without an
  IngressClass and that carries no TLS (components/platform/kserve.py ``ingress_gateway``): every public model is
  unreachable.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map, dig, reading

CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
GATEWAY_API = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
KSERVE_CHART = "kserve-resources"
INGRESS_GATEWAY = "kserve.controller.gateway.ingressGateway"


def _credentials(value: Any) -> Iterator[str]:
    """Every TLS Secret name under ``value``: ``credentialName`` strings and ``certificateRefs[].name``."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            if k == "credentialName" and isinstance(v, str):
                yield v
            elif k == "certificateRefs":
                yield from (str(as_map(ref).get("name")) for ref in as_list(v) if as_map(ref).get("name"))
            else:
                yield from _credentials(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _credentials(v)


def _served(resources: Sequence[Resource]) -> set[tuple[str | None, str]]:
    """(namespace, Secret name) of every Secret a gateway of the plan serves TLS with (an Istio gateway reads its
    ``credentialName`` in the gateway's namespace)."""
    out: set[tuple[str | None, str]] = set()
    for res in resources:
        if res.type.startswith("kubernetes:") and (res.type.endswith(":Gateway") or "KnativeServing" in res.type):
            spec = res.props.get("spec")
            ns = res.namespace
            if "KnativeServing" in res.type:
                # net-istio's gateways live in istio-system unless their selector says otherwise; the names alone
                # are compared there (one gateway certificate per plan)
                out.update((None, name) for name in _credentials(spec))
            else:
                out.update((ns, name) for name in _credentials(spec))
    return out


def _key_rotation(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    served = _served(resources)
    for res in resources:
        if res.type != CERTIFICATE:
            continue
        secret = res.get("spec.secretName")
        if (res.namespace, secret) not in served and (None, secret) not in served:
            continue
        policy = res.get("spec.privateKey.rotationPolicy")
        if policy is not UNKNOWN and policy != "Always":
            yield Finding(
                res.urn,
                f"Certificate {res.namespace}/{res.k8s_name} (Secret {secret}, served by a gateway) has "
                f"privateKey.rotationPolicy {policy!r}: its private key is reused at every renewal (give Always)",
            )


def _chart(res: Resource) -> str:
    return str(res.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1]


def _gateways(resources: Sequence[Resource]) -> set[str]:
    return {f"{r.namespace}/{r.k8s_name}" for r in resources if r.type == GATEWAY_API}


def _standard_gateway_api(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    gateways = _gateways(resources)
    for res in resources:
        if res.type != HELM_RELEASE or _chart(res) != KSERVE_CHART:
            continue
        values = res.props.get("values")
        mode = dig(values, "kserve.controller.deploymentMode")
        if mode != "Standard":
            continue
        ingress = as_map(dig(values, INGRESS_GATEWAY))
        enabled = ingress.get("enableGatewayApi")
        if enabled is not UNKNOWN and enabled is not True:
            yield Finding(
                res.urn,
                f"Helm release {res.k8s_name} (Standard mode) sets {INGRESS_GATEWAY}.enableGatewayApi {enabled!r}: "
                "KServe then publishes models as Ingresses Istio ignores (no TLS either): give true",
            )
        target = ingress.get("kserveGateway")
        if target is not UNKNOWN and target not in gateways:
            yield Finding(
                res.urn,
                f"Helm release {res.k8s_name} (Standard mode) sets {INGRESS_GATEWAY}.kserveGateway {target!r}, "
                f"not a Gateway API Gateway of the plan ({', '.join(sorted(gateways)) or 'none'})",
            )


EXTERNAL_DNS_CHART = "external-dns"
DEFAULT_OWNER_ID = "default"
"""external-dns's ``--txt-owner-id`` when the chart passes none (the flag's default named in the rev17c review;
kubernetes-sigs/external-dns pkg/apis/externaldns/types.go, not retrieved in the session that wrote the rule)."""


HOSTNAME_ANNOTATION = "external-dns.alpha.kubernetes.io/hostname"
"""The Service annotation external-dns publishes (kubernetes-sigs/external-dns docs/annotations/annotations.md;
components/platform/dns.py puts ``*.<domain>`` on the gateway Service)."""


def published_domains(resources: Sequence[Resource]) -> set[str]:
    """The names the plan's Services ask external-dns to publish, without a leading ``*.``: a Service's annotation,
    or a Helm release's ``values.service.annotations`` (the Istio gateway chart's Service, components/platform/
    istio.py ``gateway_values``)."""
    out: set[str] = set()
    for r in resources:
        if r.type == "kubernetes:core/v1:Service":
            annotations = as_map(as_map(r.props.get("metadata")).get("annotations"))
        elif r.type == HELM_RELEASE:
            annotations = as_map(as_map(as_map(r.props.get("values")).get("service")).get("annotations"))
        else:
            continue
        value = annotations.get(HOSTNAME_ANNOTATION)
        if isinstance(value, str):
            out |= {h.strip().removeprefix("*.") for h in value.split(",") if h.strip()}
    return out


def _txt_owners(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """:func:`_txt_owner` on each release, and the owner id is the stack's own: it names a domain the plan publishes
    (the platform's ``mlplatform-<name>-<domain>``). Two stacks on one zone publish different names, so an id that
    carries the name differs between them; a constant ("mlplatform") is shared by every stack on the zone, and each
    takes over and deletes the others' records (registry.md, below)."""
    domains = published_domains(resources)
    for r in resources:
        for message in _txt_owner(r, facts):
            yield Finding(r.urn, message)
        if r.type != HELM_RELEASE or _chart(r) != EXTERNAL_DNS_CHART or not domains:
            continue
        owner = as_map(r.props.get("values")).get("txtOwnerId")
        own = isinstance(owner, str) and owner.strip() and owner.strip() != DEFAULT_OWNER_ID
        if own and not any(d in str(owner) for d in domains):
            yield Finding(
                r.urn,
                f"external-dns release {r.name}: txtOwnerId {owner!r} names none of the stack's published "
                f"domains {sorted(domains)}: a constant id is shared by every stack on the zone, which then "
                "delete each other's records",
            )


def _txt_owner(res: Resource, facts: Facts) -> Iterator[str]:
    """external-dns's TXT registry marks the records it owns with ``txtOwnerId``; "Deployments in different clusters
    but sharing a DNS zone need to use different owner IDs" (kubernetes-sigs/external-dns docs/registry/registry.md):
    with the default two stacks on one zone take over and delete each other's records."""
    if res.type != HELM_RELEASE or _chart(res) != EXTERNAL_DNS_CHART:
        return
    owner = as_map(res.props.get("values")).get("txtOwnerId")
    if owner is UNKNOWN:
        return
    if not isinstance(owner, str) or not owner.strip() or owner.strip() == DEFAULT_OWNER_ID:
        shown = "unset" if owner in (None, "") else repr(owner)
        yield (
            f"external-dns release {res.name}: txtOwnerId is {shown}: every cluster on the zone would own (and "
            "delete) the others' records"
        )


RULES = [
    Rule(
        name="gateway-key-rotation",
        description=(
            "The cert-manager Certificate behind the public gateway's TLS regenerates its private key at every "
            "renewal (privateKey.rotationPolicy: Always)."
        ),
        enforcement="mandatory",
        area="mesh",
        applies_to=("cert-manager.io Certificate", "Gateway", "KnativeServing"),
        check_stack=_key_rotation,
        remediation="Keep privateKey.rotationPolicy: Always (components/platform/certmanager.py gateway_certificate).",
        unknown=reading({CERTIFICATE: ("spec.secretName", "spec.privateKey.*")}),
    ),
    Rule(
        name="standard-gateway-api",
        description=(
            "In Standard mode the kserve-resources release publishes models through Gateway API "
            "(ingressGateway.enableGatewayApi: true, kserveGateway a Gateway of the plan)."
        ),
        enforcement="mandatory",
        area="models",
        applies_to=("Helm Release kserve-resources", "gateway.networking.k8s.io Gateway"),
        check_stack=_standard_gateway_api,
        remediation="Keep components/platform/kserve.py ingress_gateway's Standard-mode values.",
        unknown=reading({HELM_RELEASE: ("values.kserve.controller.*",)}),
    ),
    Rule(
        name="external-dns-owner-id",
        description=(
            "The external-dns release sets its own TXT owner id (txtOwnerId set, not 'default', naming a domain "
            "the stack publishes, so no two stacks share it)."
        ),
        enforcement="mandatory",
        area="ingress",
        check_stack=_txt_owners,
        remediation="keep components/platform/dns.py values' txtOwnerId (one per stack)",
        unknown=lambda r: (
            reading({HELM_RELEASE: ("values.txtOwnerId",)})(r) if _chart(r) == EXTERNAL_DNS_CHART else None
        ),
    ),
]
