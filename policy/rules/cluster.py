"""Control-plane rules: who can reach the API, secrets encryption, audit logs, workload identity, protection.

What each rule requires is written here; how to read it from a cloud's cluster, node pool and key resources is that
cloud's share of the rule in its policy module (policy/rules/percloud.py, registered in components/clouds.py). A
cluster no cloud's share of a mandatory rule reads (a registered cloud without that share, or a provider the
registry does not know) fails the rule instead of passing unread.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from policy.rules import percloud
from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list

WORLD = ("0.0.0.0/0", "::/0")


def world(cidrs: Any) -> bool:
    """True when the CIDRs let the internet in: their union (Python ``ipaddress``, parsed as the address space
    they cover, so ``1.2.3.4/0`` is ``0.0.0.0/0`` and ``0.0.0.0/1`` + ``128.0.0.0/1`` are the whole IPv4 space: red
    team #17b N19/N21) covers more addresses than one /8 of IPv4 (or the same 1/256 share of IPv6): a /8 is the unit
    IANA allocated a whole Regional Internet Registry (afrinic.net/en/community/ig/icann-and-iana: "IANA allocated
    the remaining last five /8s of IPv4 address space to the Regional Internet Registries"), so a set of blocks
    larger than that is a share of the internet, not a deployer's network. A string that is not a CIDR (a lookalike
    digit, a trailing zero-width space) counts as open: what the cloud API makes of it was not checked."""
    import ipaddress

    nets: dict[int, list[Any]] = {4: [], 6: []}
    for c in as_list(cidrs):
        if c is UNKNOWN or not isinstance(c, str):
            continue
        try:
            net = ipaddress.ip_network(c, strict=False)
        except ValueError:
            return True
        nets[net.version].append(net)
    for version, bits in ((4, 32), (6, 128)):
        covered = sum(n.num_addresses for n in ipaddress.collapse_addresses(nets[version]))
        if covered > 1 << (bits - 8):
            return True
    return False


def _unjudged(rule: str) -> Any:
    """A ``check_resource`` that fails a cluster no cloud's share of ``rule`` reads, then runs the shares."""
    shares = percloud.check_resource(rule)

    def check(res: Resource, facts: Facts) -> Iterator[str]:
        if why := percloud.unjudged(rule, res):
            yield why
        yield from shares(res, facts)

    return check


def _api_exposure(res: Resource) -> str | None:
    """Why ``res`` (a cluster) has an API endpoint open to the whole internet, or None when it has not."""
    return next(percloud.read("api-endpoint-restricted", res), None)


def _api_restricted(res: Resource, facts: Facts) -> Iterator[str]:
    yield from _unjudged("api-endpoint-restricted")(res, facts)
    why = _api_exposure(res)
    if why and not facts.allow_public_api:
        yield (
            f"Kubernetes API endpoint open to the internet: {why}; keep it private or list CIDRs in "
            "cluster.apiAccess.publicCidrs (opening it to the world needs cluster.apiAccess.allowWorld: true)"
        )


def _api_world_opt_in(res: Resource, facts: Facts) -> Iterator[str]:
    why = _api_exposure(res)
    if why and facts.allow_public_api:
        yield f"Kubernetes API endpoint open to the internet by this stack's opt-in (allowWorld): {why}"


def _workload_identity(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    for r in resources:
        if why := percloud.unjudged("workload-identity", r):
            yield Finding(r.urn, why)
    yield from percloud.check_stack("workload-identity")(resources, facts)


# ------------------------------------------------------------------------------------------------ protection

PER_MODEL = "mlplatform:index:ModelService"
"""Identities inside a ModelService are per model and recreated with it: not protected."""


def stateful(type_: str) -> bool:
    """Whether a resource of ``type_`` cannot be recovered by another ``pulumi up``: a cluster (of any cloud, or one
    the registry does not know) and each cloud's KMS keys and cluster identities (:attr:`CloudPolicy.stateful`)."""
    return percloud.kind(type_) == "cluster" or percloud.canonical(type_) in percloud.stateful()


def _deletion_protected(res: Resource) -> bool:
    if res.protect:
        return True
    return res.props.get("deletionProtection") is True


def _prod_protect(res: Resource, facts: Facts) -> Iterator[str]:
    if facts.environment != "prod" or not stateful(res.type) or PER_MODEL in res.urn:
        return
    if not _deletion_protected(res):
        yield (
            f"{res.type.rsplit(':', 1)[-1]} {res.name} can be destroyed by accident on a prod stack: "
            "register it with protect=True (or deletionProtection: true)"
        )


# ------------------------------------------------------------------------------------------------ the rules
# "{clouds}" in a description is the clouds' shares joined by ", ", "{; clouds}" each share after "; "
# (percloud.finish); each share's types, checks and reads are in its cloud's policy module.

RULES = [
    *percloud.RULES,
    Rule(
        name="node-pools-span-zones",
        description=(
            "Where the package builds the cluster, its nodes span the stack's cluster.zones zones, which a node pool "
            "cannot change after it is created ({clouds; })."
        ),
        enforcement="mandatory",
        area="cluster",
        check_resource=percloud.check_resource("node-pools-span-zones"),
        unknown=percloud.unknown("node-pools-span-zones"),
        remediation=(
            "components/clusters/<cloud>.py: the system pool and the node network over the stack's zones (the "
            "setting each cloud's share names in the failure)"
        ),
    ),
    Rule(
        name="api-endpoint-restricted",
        description=(
            "The Kubernetes API endpoint is private or limited to listed CIDRs, unless the stack opts in{; clouds}."
        ),
        enforcement="mandatory",
        area="cluster",
        check_resource=_api_restricted,
        remediation="cluster.apiAccess.publicCidrs: [your CIDRs], or no public endpoint",
        unknown=percloud.unknown("api-endpoint-restricted"),
    ),
    Rule(
        name="api-endpoint-world-opt-in",
        description="A stack that opted in to a world-open API endpoint (allowWorld) is still flagged.",
        enforcement="advisory",
        area="cluster",
        check_resource=_api_world_opt_in,
    ),
    Rule(
        name="secrets-encryption",
        description="Kubernetes Secrets are envelope-encrypted with a customer-managed key ({clouds}).",
        enforcement="mandatory",
        area="cluster",
        check_resource=_unjudged("secrets-encryption"),
        unknown=percloud.unknown("secrets-encryption"),
    ),
    Rule(
        name="audit-logs",
        description="Control-plane audit logs are on ({clouds}).",
        enforcement="mandatory",
        area="cluster",
        check_resource=_unjudged("audit-logs"),
        check_stack=percloud.check_stack("audit-logs"),
        unknown=percloud.unknown("audit-logs"),
    ),
    Rule(
        name="workload-identity",
        description="Pods get cloud credentials through workload identity ({clouds}).",
        enforcement="mandatory",
        area="cluster",
        check_stack=_workload_identity,
        unknown=percloud.unknown("workload-identity"),
    ),
    Rule(
        name="cluster-network-policy",
        description=(
            "Every cluster the platform creates runs a network plugin that enforces NetworkPolicy, read from the "
            "cluster ({clouds})."
        ),
        enforcement="mandatory",
        area="cluster",
        check_resource=_unjudged("cluster-network-policy"),
        remediation="keep the plugin's NetworkPolicy enforcement on (the models' NetworkPolicies rely on it)",
        unknown=percloud.unknown("cluster-network-policy"),
    ),
    Rule(
        name="cluster-hardening",
        description=(
            "Cluster and node hardening the components set stays: {clouds; }; deletion protection not off on prod."
        ),
        enforcement="mandatory",
        area="cluster",
        check_resource=_unjudged("cluster-hardening"),
        check_stack=percloud.check_stack("cluster-hardening"),
        unknown=percloud.unknown("cluster-hardening"),
    ),
    Rule(
        name="kms-key-rotation",
        description="Customer-managed keys that encrypt Secrets rotate ({clouds}).",
        enforcement="mandatory",
        area="cluster",
        check_resource=percloud.check_resource("kms-key-rotation"),
        unknown=percloud.unknown("kms-key-rotation"),
    ),
    Rule(
        name="prod-protect-stateful",
        description="On prod stacks, clusters, KMS keys and cluster identities are protected against destroy.",
        enforcement="mandatory",
        area="cluster",
        check_resource=_prod_protect,
    ),
]
