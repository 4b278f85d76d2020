"""Google Cloud in the policy rules: how each generic rule reads GKE, Cloud KMS, IAM and Cloud Storage resources.
Registered as :attr:`components.clouds.Cloud.policy` of ``gcp``."""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from components import catalog
from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map, dig, is_set, reading
from policy.rules.cluster import world
from policy.rules.disk import PoolDisk, node_slots
from policy.rules.gpu import HELM_TYPES, Pool, Preinstalled, int_of, operator_installs_driver, taints_of_list
from policy.rules.identity import K8S_NAME, Subject, ksa_bindings, paired_bindings
from policy.rules.nodefit import MIB, kube_reserved_cpu
from policy.rules.nodepools import PoolLabels, with_gpus
from policy.rules.percloud import RENDERED, CloudPolicy, Part
from policy.rules.requestlog import (
    RETENTION_RULE,
    expiry_days_problem,
    is_log_store,
    is_log_writer,
    log_folder,
    none_expires,
    prefix_covers,
)
from policy.rules.timeouts import BackendTracking
from policy.rules.webhooks import WEBHOOKS, installed, port_set

GKE = "gcp:container/cluster:Cluster"
GKE_POOL = "gcp:container/nodePool:NodePool"
CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
GSA = "gcp:serviceaccount/account:Account"


# ------------------------------------------------------------------------------------------------ the cluster


def _api_exposure(res: Resource) -> str | None:
    """Why a GKE cluster has an API endpoint open to the whole internet, or None when it has not."""
    if res.type != GKE:
        return None
    p = res.props
    private = as_map(p.get("privateClusterConfig"))
    if private.get("enablePrivateEndpoint") is True:
        return None
    man = p.get("masterAuthorizedNetworksConfig")
    if not isinstance(man, dict) and man is not UNKNOWN:
        return "neither privateClusterConfig.enablePrivateEndpoint nor masterAuthorizedNetworksConfig is set"
    if isinstance(man, dict):
        blocks = [b.get("cidrBlock") for b in as_list(man.get("cidrBlocks")) if isinstance(b, dict)]
        if world(blocks):
            return "masterAuthorizedNetworksConfig allows 0.0.0.0/0"
        if man.get("gcpPublicCidrsAccessEnabled") is True:
            return "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled lets every Google Cloud IP in"
    return None


def _secrets_encryption(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type != GKE:
        return
    enc = res.props.get("databaseEncryption")
    if enc is UNKNOWN:
        return
    enc = as_map(enc)
    if enc.get("state") != "ENCRYPTED" or not is_set(enc.get("keyName")):
        yield "application-layer Secrets encryption is off: set databaseEncryption {state: ENCRYPTED, keyName}"


def _audit_logs(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type != GKE:
        return
    p = res.props
    if p.get("loggingService") == "none":
        yield "control-plane logging is off (loggingService: none)"
        return
    comps = as_map(p.get("loggingConfig")).get("enableComponents")
    if comps is not UNKNOWN and "APISERVER" not in as_list(comps):
        yield "API server logs are off: loggingConfig.enableComponents must include APISERVER"


def _workload_identity(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    for r in resources:
        p = r.props
        if r.type == GKE:
            wi = p.get("workloadIdentityConfig")
            if wi is not UNKNOWN and not is_set(as_map(wi).get("workloadPool")):
                yield Finding(r.urn, "Workload Identity is off: set workloadIdentityConfig.workloadPool")
        elif r.type == GKE_POOL:
            meta = p.get("nodeConfig")
            mode = as_map(as_map(meta).get("workloadMetadataConfig")).get("mode")
            if meta is not UNKNOWN and mode is not UNKNOWN and mode != "GKE_METADATA":
                yield Finding(
                    r.urn, f"node pool metadata mode is {mode or 'unset'}: set workloadMetadataConfig.mode GKE_METADATA"
                )


def _key_rotation(res: Resource, facts: Facts) -> Iterator[str]:
    """Cloud KMS keys that encrypt Secrets rotate: ``rotationPeriod`` set (pulumi_gcp kms/crypto_key.py
    ``rotation_period``: "Every time this period passes, generate a new CryptoKeyVersion and set it as the
    primary")."""
    if res.type == CRYPTO_KEY and not is_set(res.props.get("rotationPeriod")):
        yield "Cloud KMS key has no rotationPeriod"


def _network_policy(res: Resource, facts: Facts) -> Iterator[str]:
    """GKE: ``datapathProvider: ADVANCED_DATAPATH`` (Dataplane V2; "This is set to ``LEGACY_DATAPATH`` by default",
    pulumi_gcp 10.2 container/cluster.py ``datapath_provider``; with Dataplane V2 Kubernetes NetworkPolicy is always
    on, cloud.google.com/kubernetes-engine/docs/concepts/dataplane-v2), else ``networkPolicy.enabled`` ("Whether
    network policy is enabled on the cluster", ``ClusterNetworkPolicyArgs``) with the
    ``addonsConfig.networkPolicyConfig`` add-on not disabled."""
    if res.type != GKE:
        return
    p = res.props
    off = "the cluster's network plugin does not enforce NetworkPolicy, so the models' and the gateway's "
    off += "NetworkPolicies have no effect"
    datapath = p.get("datapathProvider")
    if datapath in ("ADVANCED_DATAPATH", UNKNOWN):
        return
    policy = p.get("networkPolicy")
    addon = as_map(as_map(p.get("addonsConfig")).get("networkPolicyConfig"))
    enabled = as_map(policy).get("enabled") in (True, UNKNOWN) and addon.get("disabled") is not True
    if policy is UNKNOWN or enabled:
        return
    yield f"{off}: datapathProvider is {datapath or 'unset (LEGACY_DATAPATH)'} and networkPolicy is not enabled"


def _hardening(res: Resource, facts: Facts) -> Iterator[str]:
    """GKE (pulumi_gcp 10.2 container/cluster.py and _inputs.py docstrings): ``enableLegacyAbac`` ("When enabled,
    identities in the system, including service accounts, nodes, and controllers, will have statically granted
    permissions beyond those provided by the RBAC configuration or IAM") not true;
    ``masterAuth.clientCertificateConfig.issueClientCertificate`` ("Whether client certificate authorization is
    enabled for this cluster") not true; ``privateClusterConfig.enablePrivateNodes`` ("Whether nodes have internal
    IP addresses only") true; ``enableShieldedNodes`` not false; each node pool's
    ``nodeConfig.shieldedInstanceConfig.enableSecureBoot`` ("Defines if the instance has Secure Boot enabled") true;
    on prod ``deletionProtection`` not false ("Deleting this cluster via ... ``pulumi up`` will only succeed if this
    field is ``false``"); each node pool's ``nodeConfig.imageType`` :data:`GKE_IMAGE_TYPE`."""
    p = res.props
    prod = facts.environment == "prod"
    if res.type == GKE:
        if p.get("enableLegacyAbac") is True:
            yield "GKE legacy ABAC is on (enableLegacyAbac): it grants permissions beyond RBAC and IAM"
        cert = as_map(as_map(p.get("masterAuth")).get("clientCertificateConfig")).get("issueClientCertificate")
        if cert is True:
            yield "GKE issues a client certificate (masterAuth.clientCertificateConfig.issueClientCertificate)"
        private = p.get("privateClusterConfig")
        nodes = as_map(private).get("enablePrivateNodes")
        if private is not UNKNOWN and nodes is not UNKNOWN and nodes is not True:
            yield "GKE nodes get public IPs: set privateClusterConfig.enablePrivateNodes true"
        if p.get("enableShieldedNodes") is False:
            yield "GKE Shielded Nodes are off (enableShieldedNodes false)"
        if prod and p.get("deletionProtection") is False:
            yield "GKE cluster deletionProtection is false on a prod stack"
    elif res.type == GKE_POOL:
        config = p.get("nodeConfig")
        shielded = as_map(config).get("shieldedInstanceConfig")
        boot = as_map(shielded).get("enableSecureBoot")
        if UNKNOWN not in (config, shielded, boot) and boot is not True:
            yield "GKE node pool without Secure Boot: set nodeConfig.shieldedInstanceConfig.enableSecureBoot true"
        integrity = as_map(shielded).get("enableIntegrityMonitoring")
        if integrity is False:
            # pulumi_gcp 10.2 container/_inputs.py ShieldedInstanceConfig: "Enables monitoring and attestation of
            # the boot integrity of the instance ... Defaults to `true`" (rev17l 10): only an explicit false fails
            yield (
                "GKE node pool without integrity monitoring: nodeConfig.shieldedInstanceConfig."
                "enableIntegrityMonitoring is false, so a changed boot chain is never reported"
            )
        image = UNKNOWN if config is UNKNOWN else as_map(config).get("imageType")
        if image is not UNKNOWN and str(image).lower() != GKE_IMAGE_TYPE.lower():
            yield (
                f"GKE node pool {res.name} runs nodeConfig.imageType {image or 'unset'}, not {GKE_IMAGE_TYPE} "
                "(Container-Optimized OS): a general-purpose OS on its nodes"
            )
        management = p.get("management")
        for key in POOL_MANAGEMENT:
            got = UNKNOWN if management is UNKNOWN else as_map(management).get(key)
            if got is not UNKNOWN and got is not None and got is not True:
                yield f"GKE node pool {res.name}: management.{key} is {got!r}, not true ({POOL_MANAGEMENT[key]})"


GKE_IMAGE_TYPE = "COS_CONTAINERD"
"""rev17m 07: the node image every GKE pool runs (components/clusters/gke.py sets it on every pool; compared
case-insensitively, GKE's pages spell it ``cos_containerd``). GKE's node-images page
(docs.cloud.google.com/kubernetes-engine/docs/concepts/node-images): ``cos_containerd`` "is the recommended node
operating system"; Container-Optimized OS images "are optimized to enhance node security ... provide better support,
security, and stability than other images" (Ubuntu and Windows Server are the others). The platform's istio-cni and
NVIDIA driver paths and the pods-fit-nodes kernel share assume COS too. pulumi_gcp 10.2 container/_inputs.py
NodePoolNodeConfigArgs ``image_type`` documents no default, so an unset image fails as well: the rule does not take
GKE's choice for granted. (``COS``, the Docker variant, is "deprecated as of GKE 1.24", same file.)"""


POOL_MANAGEMENT = {
    "autoRepair": "failed nodes are not repaired",
    "autoUpgrade": "nodes stay on old node versions",
}
"""GKE NodePool ``management`` (NodeManagement, cloud.google.com/kubernetes-engine/docs/reference/rest/v1/
NodeManagement): ``autoRepair`` "If enabled, the nodes in this node pool will be monitored and, if they fail health
checks too many times, an automatic repair action will be triggered"; ``autoUpgrade`` "If enabled, node auto-upgrade
helps keep the nodes in your node pool up to date with the latest release version of Kubernetes". The platform turns
both on for every pool (components/clusters/gke.py). Unset, both are on (pulumi_gcp 10.2 container/_inputs.py
NodePoolManagementArgs: "Enabled by default"), so only an explicit false fails. Node auto-repair "is enabled by
default for new node pools ... we recommend keeping the default configuration" (cloud.google.com/kubernetes-engine/
docs/how-to/node-auto-repair)."""

FIREWALL = "gcp:compute/firewall:Firewall"
WEBHOOK_PORTS = frozenset(w.port for w in WEBHOOKS)
"""The ports of the platform's admission webhooks (policy/rules/webhooks.py ``WEBHOOKS``, each cited there): a
firewall opening one to the nodes is the control plane's way in."""
GKE_AUTOMATIC_PORTS = frozenset({443, 10250})
"""What the firewall rule GKE creates for a private cluster opens from the control plane to the nodes: "the default
ports 443 (HTTPS) and 10250 (kubelet)" (cloud.google.com/service-mesh/v1.7/docs/private-cluster-open-port; "To add a
firewall rule ... from the control plane's CIDR block", cloud.google.com/kubernetes-engine/docs/how-to/
private-clusters#add_firewall_rules). Restated here, not read from components/clusters/gke.py."""


def _opened_webhook_ports(rule: Resource) -> set[int]:
    out: set[int] = set()
    for allow in as_list(rule.props.get("allows")):
        allow = as_map(allow)
        if allow.get("protocol") in ("tcp", "all", "6"):
            given = allow.get("ports")
            out |= (port_set(as_list(given)) if given not in (None, UNKNOWN, []) else set(range(1, 65536))) & set(
                WEBHOOK_PORTS
            )
    return out


def _webhook_firewalls(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """A GKE firewall rule that opens the platform's webhook ports to the nodes admits only the control plane:
    each of its ``sourceRanges`` lies within the plan's GKE ``privateClusterConfig.masterIpv4CidrBlock`` ("add a
    firewall rule ... from the control plane's CIDR block", cloud.google.com/kubernetes-engine/docs/how-to/
    private-clusters#add_firewall_rules). Wider, every source that reaches the node network calls the webhooks'
    ports directly. Fail closed (the #17 leftover of rev17d c16): a GKE cluster of the plan whose
    ``masterIpv4CidrBlock`` is absent or no CIDR gives no control-plane range, so every source of such a firewall
    is beyond it; one known only after deploy is named by the share's ``reads`` (``check --strict`` fails it)."""
    gkes = [r for r in resources if r.type == GKE]
    if not gkes:
        return
    masters = []
    for r in gkes:
        cidr = as_map(r.props.get("privateClusterConfig")).get("masterIpv4CidrBlock")
        if cidr is UNKNOWN or r.props.get("privateClusterConfig") is UNKNOWN:
            return  # the unknown hook names it; the placeholder rendering judges it
        try:
            masters.append(ipaddress.ip_network(str(cidr), strict=False))
        except ValueError:
            continue  # absent or not a CIDR: no range admits anything
    for r in resources:
        if r.type != FIREWALL or r.props.get("direction", "INGRESS") != "INGRESS" or r.props.get("disabled") is True:
            continue
        if r.props.get("allows") is UNKNOWN or r.props.get("sourceRanges") is UNKNOWN:
            continue
        opened = _opened_webhook_ports(r)
        if not opened:
            continue
        wide = []
        for source in as_list(r.props.get("sourceRanges")) or ["0.0.0.0/0"]:
            if source is UNKNOWN:
                continue
            try:
                net = ipaddress.ip_network(str(source), strict=False)
            except ValueError:
                wide.append(str(source))
                continue
            if not any(net.version == m.version and net.subnet_of(m) for m in masters):  # type: ignore[arg-type]
                wide.append(str(source))
        if wide:
            yield Finding(
                r.urn,
                f"firewall {r.name} opens webhook ports {sorted(opened)} to the nodes from {wide}, beyond the GKE "
                f"control plane's range ({', '.join(map(str, masters)) or 'none: no masterIpv4CidrBlock'})",
            )


def _webhooks_reached(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """rev17j j02: the control plane of a private GKE cluster reaches every admission webhook the plan installs
    (policy/rules/webhooks.py ``installed``: the webhooks of the charts of its Helm releases) on every node pool.
    GKE's own rule opens :data:`GKE_AUTOMATIC_PORTS`; any other port needs an enabled INGRESS firewall whose
    ``sourceRanges`` overlap the cluster's ``privateClusterConfig.masterIpv4CidrBlock`` and whose targets cover the
    pool (no ``targetTags``, the platform's pools carry none; ``targetServiceAccounts`` naming the pool's
    ``nodeConfig.serviceAccount``, or none), allowing tcp on the port. A closed port times out sidecar injection
    (istiod 15017), InferenceService admission (KServe 9443) and Knative's webhooks (8443): every model create fails.
    The ports are the policy's own table, not the firewall's list (components/clusters/gke.py ``WEBHOOK_PORTS``)
    nor the component's model (components/clusters/reachability.py), which a slip there would move too. Values known
    only after deploy are taken as covering (the share's ``reads`` name them for ``check --strict``)."""
    needed = installed(resources)
    if not needed:
        return
    for cluster in (r for r in resources if r.type == GKE):
        private = cluster.props.get("privateClusterConfig")
        cidr = as_map(private).get("masterIpv4CidrBlock")
        if private is UNKNOWN or cidr is UNKNOWN or not isinstance(cidr, str):
            continue  # no control-plane range: _webhook_firewalls fails closed on it
        try:
            master = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            continue
        open_from_master: list[tuple[Resource, set[int]]] = []
        for fw in resources:
            if fw.type != FIREWALL or fw.props.get("direction", "INGRESS") != "INGRESS":
                continue
            if fw.props.get("disabled") is True or fw.props.get("targetTags"):
                continue
            sources = fw.props.get("sourceRanges")
            if sources is UNKNOWN or fw.props.get("allows") is UNKNOWN:
                open_from_master.append((fw, set(range(1, 65536))))
                continue
            if not any(_holds(s, master) for s in as_list(sources)):
                continue
            opened: set[int] = set()
            for allow in as_list(fw.props.get("allows")):
                allow = as_map(allow)
                if allow.get("protocol") in ("tcp", "all", "6"):
                    given = allow.get("ports")
                    opened |= port_set(as_list(given)) if given not in (None, UNKNOWN, []) else set(range(1, 65536))
            open_from_master.append((fw, opened))
        for pool in (r for r in resources if r.type == GKE_POOL):
            account = dig(pool.props, "nodeConfig.serviceAccount")
            reach = set(GKE_AUTOMATIC_PORTS)
            for fw, opened in open_from_master:
                targets = fw.props.get("targetServiceAccounts")
                named = as_list(targets) if targets is not UNKNOWN else [UNKNOWN]
                if not named or account is UNKNOWN or account in named or UNKNOWN in named:
                    reach |= opened
            closed = [w for w in needed if w.port not in reach]
            if closed:
                shown = ", ".join(f"{w.name} {w.port}" for w in closed)
                yield Finding(
                    pool.urn,
                    f"GKE node pool {pool.name}: the control plane ({master}) cannot reach the webhooks {shown}: no "
                    "enabled INGRESS firewall from it opens those tcp ports to the pool's nodes (GKE's own rule opens "
                    "only 443 and 10250)",
                )


def _holds(source: Any, master: Any) -> bool:
    """Whether a firewall source range admits the control plane: it overlaps the control plane's range (a sub-range
    is taken as admitting it, as ``_webhook_firewalls`` accepts one)."""
    if source is UNKNOWN:
        return True
    try:
        net = ipaddress.ip_network(str(source), strict=False)
    except ValueError:
        return False
    return bool(net.version == master.version and net.overlaps(master))


CONTROL_PLANE_PORTS = WEBHOOK_PORTS | GKE_AUTOMATIC_PORTS
"""The tcp ports a firewall from the GKE control plane's range may open to the nodes: the platform's admission
webhooks' (:data:`WEBHOOK_PORTS`, every chart's, installed or not: components/clusters/gke.py opens them all on every
stack) and GKE's own 443 and 10250, which its automatic rule opens anyway (:data:`GKE_AUTOMATIC_PORTS`)."""


def _spans(ports: set[int]) -> str:
    """``ports`` as comma-separated ranges (``1-442, 444-6442``)."""
    out: list[str] = []
    ordered = sorted(ports)
    start = prev = ordered[0]
    for p in [*ordered[1:], None]:
        if p is not None and p == prev + 1:
            prev = p
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if p is not None:
            start = prev = p
    return ", ".join(out)


def _beyond_webhooks(fw: Resource) -> list[str]:
    """What ``fw``'s ``allows`` open beyond tcp :data:`CONTROL_PLANE_PORTS`. pulumi_gcp 10.2 compute/_inputs.py
    ``FirewallAllowArgs``: ``protocol`` is "one of the following well known protocol strings (tcp, udp, icmp, esp,
    ah, sctp, ipip, all), or the IP protocol number", ``ports`` "is only applicable for UDP or TCP protocol ... If not
    specified, this rule applies to connections through any port" (each entry "either an integer or a range"). So a
    protocol other than tcp (or 6, its number) is wider than the webhooks whatever its ports, and tcp without ports
    is every port; a range counts every port it spans (:func:`policy.rules.webhooks.port_set`)."""
    out: list[str] = []
    for allow in as_list(fw.props.get("allows")):
        allow = as_map(allow)
        protocol, ports = allow.get("protocol"), allow.get("ports")
        if protocol is UNKNOWN or ports is UNKNOWN:
            continue  # named by the share's reads
        given = [p for p in as_list(ports) if p is not UNKNOWN]
        if protocol not in ("tcp", "6"):
            where = f"ports {', '.join(map(str, given))}" if given else "every port"
            out.append(f"{'every protocol' if protocol == 'all' else f'protocol {protocol}'} ({where})")
            continue
        opened = port_set(given) if given else set(range(1, 65536))
        if beyond := opened - CONTROL_PLANE_PORTS:
            out.append(f"tcp {_spans(beyond)}")
    return out


def _control_plane_firewalls(resources: Sequence[Resource]) -> Iterator[Finding]:
    """rev17l 12: an enabled INGRESS firewall that admits a GKE control plane's range (a ``sourceRanges`` entry
    overlapping the cluster's ``privateClusterConfig.masterIpv4CidrBlock``) opens no more than tcp
    :data:`CONTROL_PLANE_PORTS`. GKE's own rule for a private cluster opens "the default ports 443 (HTTPS) and 10250
    (kubelet)" from the control plane (cloud.google.com/service-mesh/v1.7/docs/private-cluster-open-port); a webhook
    on another port needs a rule "from the control plane's CIDR block" for that port (cloud.google.com/service-mesh/
    docs/private-cluster-open-port: ``--source-ranges CONTROL_PLANE_RANGE --rules tcp:15017``;
    cloud.google.com/kubernetes-engine/docs/how-to/private-clusters#add_firewall_rules). A wider rule (every port,
    every protocol) hands whoever holds an address of that range every port of the nodes it targets, for no
    webhook's sake. Sources only by tag or service account (no ``sourceRanges``) are not
    the control plane's; none of the three at all is taken as every source. Values known only after deploy are not
    judged here (the share's ``reads`` name them)."""
    masters = []
    for cluster in (r for r in resources if r.type == GKE):
        private = cluster.props.get("privateClusterConfig")
        cidr = as_map(private).get("masterIpv4CidrBlock")
        if private is UNKNOWN or cidr is UNKNOWN or not isinstance(cidr, str):
            continue
        try:
            masters.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            continue
    for fw in resources:
        if fw.type != FIREWALL or fw.props.get("direction", "INGRESS") != "INGRESS" or fw.props.get("disabled") is True:
            continue
        sources = fw.props.get("sourceRanges")
        if sources is UNKNOWN or fw.props.get("allows") is UNKNOWN:
            continue
        ranges = as_list(sources)
        if not ranges and not (fw.props.get("sourceTags") or fw.props.get("sourceServiceAccounts")):
            ranges = ["0.0.0.0/0", "::/0"]
        admitted = [m for m in masters if any(_holds(s, m) for s in ranges if s is not UNKNOWN)]
        if not admitted or not (beyond := _beyond_webhooks(fw)):
            continue
        yield Finding(
            fw.urn,
            f"firewall {fw.name} admits the GKE control plane ({', '.join(map(str, admitted))}) on "
            f"{'; '.join(beyond)}: beyond the admission webhooks' ports and GKE's own 443 and 10250; open only tcp "
            f"{', '.join(map(str, sorted(CONTROL_PLANE_PORTS - GKE_AUTOMATIC_PORTS)))} (the webhooks GKE's rule "
            "does not reach)",
        )


def _hardening_stack(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """The stack-wide part of GKE's ``cluster-hardening``: webhook firewalls from the control plane only, open to
    every installed webhook, and a firewall from the control plane opening nothing beyond the webhooks' ports."""
    yield from _webhook_firewalls(resources, facts)
    yield from _webhooks_reached(resources, facts)
    yield from _control_plane_firewalls(resources)
    yield from _private_google_access(resources)


SUBNETWORK = "gcp:compute/subnetwork:Subnetwork"


def _private_google_access(resources: Sequence[Resource]) -> Iterator[Finding]:
    """Where the plan's GKE cluster has private nodes, every subnetwork the plan creates turns on Private Google Access
    (pulumi_gcp 10.2 compute/subnetwork.py ``private_ip_google_access``: "When enabled, VMs in this subnetwork without
    external IP addresses can access Google APIs and services by using Private Google Access"; the API's default is
    off): without it the nodes reach Artifact Registry and Cloud Storage (images, model weights) only through Cloud
    NAT, and a NAT outage stops every pull (rev17l 09)."""
    clusters = [r for r in resources if r.type == GKE]
    private = any(as_map(r.props.get("privateClusterConfig")).get("enablePrivateNodes") is True for r in clusters)
    if not private:
        return
    for res in resources:
        if res.type != SUBNETWORK:
            continue
        given = res.props.get("privateIpGoogleAccess")
        if given is not UNKNOWN and given is not True:
            yield Finding(
                res.urn,
                f"GKE's private nodes' subnetwork {res.name} has privateIpGoogleAccess {given!r}: the nodes reach "
                "Google APIs (Artifact Registry, Cloud Storage) only through Cloud NAT; set it true",
            )


# ------------------------------------------------------------------------------------------------ GPU pools


def _gke_zones(res: Resource) -> int:
    locations = as_list(res.props.get("nodeLocations"))
    return len(locations) if locations else 1


def _gpu_pools(res: Resource) -> list[Pool] | None:
    """The GPU pool of a GKE node pool with guest accelerators (None for another type)."""
    if res.type != GKE_POOL:
        return None
    p = res.props
    node = as_map(p.get("nodeConfig"))
    accels = [a for a in as_list(node.get("guestAccelerators")) if isinstance(a, Mapping)]
    if not accels:
        return []
    per_node = sum(int_of(a.get("count")) or 0 for a in accels)
    auto = as_map(p.get("autoscaling"))
    total = int_of(auto.get("totalMaxNodeCount"))
    per_zone = int_of(auto.get("maxNodeCount"))
    fixed = int_of(p.get("nodeCount"))
    if total is not None:
        max_nodes: int | None = total
    elif per_zone is not None:
        max_nodes = per_zone * _gke_zones(res)
    else:
        max_nodes = fixed * _gke_zones(res) if fixed is not None else None
    # The taint must be declared: GKE adds its own only when a non-GPU pool already runs
    # (terraform-google-kubernetes-engine#703), and a declared one is accepted (GoogleCloudPlatform/cluster-toolkit
    # gke-node-pool declares it; tests/clusters/test_gke.py::test_gpu_pools_declare_the_gpu_taint).
    # GKE shares a GPU itself with ``gpuSharingConfig`` (time-sharing, MPS) or ``gpuPartitionSize`` (MIG) on a guest
    # accelerator (pulumi_gcp container NodePool ``node_config.guest_accelerators``; components/clusters/gke.py)
    shared = any(as_map(a).get(k) for a in accels for k in ("gpuSharingConfig", "gpuPartitionSize"))
    return [
        Pool(
            res,
            f"node pool {res.name}",
            taints_of_list(node.get("taints")),
            as_map(node.get("labels")),
            per_node or None,
            max_nodes,
            shares_gpus=shared,
        )
    ]


_NOT_GPU_LIMITS = ("cpu", "memory")


def _unread_nodes(res: Resource) -> str | None:
    """Nodes of a GKE cluster that no ``gcp:container/nodePool:NodePool`` of the plan declares, so the GPU rules cannot
    read their taints, labels or bound; each refused until modelled (pulumi_gcp 10.2.0 container/cluster.py and
    _inputs.py docstrings):

    - ``enableAutopilot`` ("Enable Autopilot for this cluster"): GKE makes every node itself, GPU nodes included, with
      no node pool object (cloud.google.com/kubernetes-engine/docs/concepts/node-auto-provisioning: "With Autopilot
      clusters, you don't need to manually provision nodes or manage node pools");
    - ``clusterAutoscaling.enabled`` ("Whether node auto-provisioning is enabled"): NAP "automatically creates and
      deletes node pools" from pending Pods' "GPU requests", labels and tolerations (the same GKE page), up to
      ``resourceLimits`` whose ``maximum`` is the "Maximum amount of the resource in the cluster" for a
      ``resourceType`` (cpu, memory, or a GPU type such as ``nvidia-tesla-a100``). Those pools' taints and labels are
      whatever the Pods ask for, not something the plan states: refused whatever the limits (the message names the
      GPU limits, which would otherwise be the pools' bound);
    - ``nodePools`` ("List of node pools associated with this cluster"): inline pools this share does not read;
    - the default node pool kept (``removeDefaultNodePool`` not true: "If ``true``, deletes the default node pool
      upon cluster creation") with ``nodeConfig.guestAccelerators`` (``node_config``: "Parameters used in creating
      the default node pool")."""
    if res.type != GKE:
        return None
    p = res.props
    if p.get("enableAutopilot") is True:
        return (
            "enableAutopilot is true: GKE Autopilot makes GPU nodes with no node pool object, whose taints, labels "
            "and bound no rule reads (not modelled): use a Standard cluster with declared GPU node pools"
        )
    nap = as_map(p.get("clusterAutoscaling"))
    if nap.get("enabled") is True:
        gpus = [
            f"{limit.get('resourceType')} max {limit.get('maximum')}"
            for limit in (as_map(x) for x in as_list(nap.get("resourceLimits")))
            if limit.get("resourceType") not in _NOT_GPU_LIMITS
        ]
        limits = f" (GPU resource limits: {', '.join(gpus)})" if gpus else ""
        return (
            f"clusterAutoscaling.enabled is true: node auto-provisioning creates node pools{limits} whose taints, "
            "labels and size no object of the plan states (not modelled): turn it off and declare GPU node pools"
        )
    if as_list(p.get("nodePools")):
        return "nodePools declares inline node pools, which no rule reads: declare them as container.NodePool"
    default_accels = as_list(as_map(p.get("nodeConfig")).get("guestAccelerators"))
    if p.get("removeDefaultNodePool") not in (True, UNKNOWN) and default_accels:
        return (
            "the default node pool is kept (removeDefaultNodePool is not true) with nodeConfig.guestAccelerators, and "
            "no rule reads it: set removeDefaultNodePool: true and declare GPU node pools"
        )
    return None


# ------------------------------------------------------------------------------------------------ tags

_LABEL_BAD = re.compile(r"[^a-z0-9_-]")


def label_key(key: str) -> str:
    """A tag key as GCP accepts it as a label key (the same rule as components.clusters.gke.gcp_labels)."""
    return _LABEL_BAD.sub("_", key.lower())[:63]


# ------------------------------------------------------------------------------------------------ identity and storage

GSA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
GSA_BINDING = "gcp:serviceaccount/iAMBinding:IAMBinding"
GCS_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
GCS_BINDING = "gcp:storage/bucketIAMBinding:BucketIAMBinding"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
PROJECT_BINDING = "gcp:projects/iAMBinding:IAMBinding"
WI_USER = "roles/iam.workloadIdentityUser"


GKE_MEMBER = re.compile(
    rf"serviceAccount:(?P<pool>[a-z][-a-z0-9.:]*\.svc\.id\.goog)\[(?P<ns>{K8S_NAME})/(?P<sa>{K8S_NAME})\]", re.ASCII
)


GCS_READ_ROLES = ("roles/storage.objectViewer", "roles/storage.legacyObjectReader")


PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")


GKE_SA_ANNOTATION = "iam.gke.io/gcp-service-account"
"""The KSA annotation naming the Google service account it acts as (the GKE Workload Identity page cited above)."""


_GSA_NAME = re.compile(r"projects/[^/]+/serviceAccounts/(?P<email>[^/@]+@[^/]+)", re.ASCII)


def _gke_pools(resources: Sequence[Resource]) -> set[str]:
    pools = set()
    for r in resources:
        if r.type == GKE:
            pool = as_map(r.props.get("workloadIdentityConfig")).get("workloadPool")
            if isinstance(pool, str) and pool:
                pools.add(pool)
    return pools


def _unknown_doc(res: Resource) -> str | None:
    if res.type in (GSA_MEMBER, GCS_MEMBER, PROJECT_MEMBER) and res.props.get("member") is UNKNOWN:
        return f"member of {res.name}"
    if res.type == GCS_BINDING and (
        res.props.get("members") is UNKNOWN or any(m is UNKNOWN for m in as_list(res.props.get("members")))
    ):
        return f"members of {res.name}"
    if res.type in (GCS_MEMBER, GCS_BINDING) and res.props.get("role") is UNKNOWN:
        return f"role of {res.name}"
    return None


def _trust(res: Resource, facts: Facts) -> Iterator[str]:
    """A Workload Identity grant on its own: one ServiceAccount of the workload pool, never on the project."""
    p = res.props
    if res.type in (GSA_MEMBER, GSA_BINDING) and p.get("role") == WI_USER:
        members = [p.get("member")] if res.type == GSA_MEMBER else as_list(p.get("members"))
        if res.type == GSA_BINDING and len(members) != 1:
            yield f"{res.name} binds {WI_USER} to {len(members)} members: give one ServiceAccount"
        for m in members:
            if m is not UNKNOWN and not GKE_MEMBER.fullmatch(str(m)):
                yield (
                    f"{res.name} grants {WI_USER} to {m!r}: give serviceAccount:<project>.svc.id.goog[<namespace>/"
                    "<name>] (one Kubernetes ServiceAccount)"
                )
    elif res.type in (PROJECT_MEMBER, PROJECT_BINDING) and p.get("role") == WI_USER:
        # the role belongs on one Google service account (cloud.google.com/kubernetes-engine/docs/how-to/
        # workload-identity); on the project it lets the member impersonate every service account of the project
        yield (
            f"{res.name} grants {WI_USER} on the whole project: every Google service account of the project may "
            "then be impersonated; grant it on the model's service account"
        )


def _storage(r: Resource, facts: Facts) -> Iterator[str]:
    """One Cloud Storage grant on its own (a CrossGuard ResourceValidationPolicy); the request-log writer's grant is
    ``request-log-write-only``'s (:func:`_log_write`)."""
    if is_log_writer(r):
        return
    p = r.props
    if r.type in (GCS_MEMBER, GCS_BINDING):
        role = p.get("role")
        members = [p.get("member")] if r.type == GCS_MEMBER else as_list(p.get("members"))
        bucket = p.get("bucket")
        if isinstance(bucket, str) and any(c in bucket for c in "*?"):
            yield (f"{r.name} grants on bucket {bucket!r}: name one bucket")
        if role is not UNKNOWN and role not in GCS_READ_ROLES:
            yield (f"{r.name} grants {role} on bucket {bucket}: a model reads; give {GCS_READ_ROLES[0]}")
        public = [m for m in members if m in PUBLIC_MEMBERS]
        if public:
            yield (f"{r.name} grants bucket {bucket} to {', '.join(map(str, public))}")
    elif r.type in (PROJECT_MEMBER, PROJECT_BINDING):
        role = p.get("role")
        if isinstance(role, str) and role.startswith("roles/storage."):
            yield (f"{r.name} grants {role} on the whole project: grant it on the bucket")


def _members(r: Resource) -> list[Any] | None:
    """The members of a Workload Identity grant on a Google service account (None for another resource)."""
    if r.type in (GSA_MEMBER, GSA_BINDING) and r.props.get("role") == WI_USER:
        return [r.props.get("member")] if r.type == GSA_MEMBER else as_list(r.props.get("members"))
    return None


def _subjects(r: Resource) -> list[Subject | None] | None:
    members = _members(r)
    if members is None:
        return None
    matches = [GKE_MEMBER.fullmatch(str(m)) if m is not UNKNOWN else None for m in members]
    return [(m["ns"], m["sa"]) if m else None for m in matches]


def _owner(r: Resource) -> str | None:
    email = r.props.get("email")
    return email if r.type == GSA and isinstance(email, str) and email else None


def _pair(r: Resource) -> tuple[str | None, Subject | None] | None:
    """A grant belongs to the Google service account in its ``serviceAccountId``
    (``projects/{PROJECT_ID}/serviceAccounts/{EMAIL_ADDRESS}``: IAM API projects.serviceAccounts.get,
    docs.cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/get)."""
    members = _members(r)
    if members is None:
        return None
    sa_id = r.props.get("serviceAccountId")
    m = _GSA_NAME.fullmatch(sa_id) if isinstance(sa_id, str) else None
    subject = next((g for x in members if isinstance(x, str) and (g := GKE_MEMBER.fullmatch(x))), None)
    return (m["email"] if m else None, (subject["ns"], subject["sa"]) if subject else None)


def _binding(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """A GKE member names the cluster's workload pool, and the members and the annotated ServiceAccounts agree."""
    pools = _gke_pools(resources)
    for r in resources:
        members = _members(r)
        if members is None or not pools:
            continue
        for m in members:
            match = GKE_MEMBER.fullmatch(str(m)) if m is not UNKNOWN else None
            if match and match["pool"] not in pools:
                yield Finding(
                    r.urn,
                    f"{r.name} names workload pool {match['pool']}, not the cluster's ({', '.join(sorted(pools))})",
                )
    yield from ksa_bindings(resources, GKE_SA_ANNOTATION, "Workload Identity binding", _subjects)
    yield from paired_bindings(resources, GKE_SA_ANNOTATION, _owner, _pair)


# ------------------------------------------------------------------------------------------------ IAM beyond storage

GCP_MEMBER_TYPES = (
    "gcp:projects/iAMMember:IAMMember",
    "gcp:projects/iAMBinding:IAMBinding",
    "gcp:serviceaccount/iAMMember:IAMMember",
    "gcp:serviceaccount/iAMBinding:IAMBinding",
    "gcp:storage/bucketIAMMember:BucketIAMMember",
    "gcp:storage/bucketIAMBinding:BucketIAMBinding",
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
    "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember",
    "gcp:organizations/iAMMember:IAMMember",
    "gcp:folder/iAMMember:IAMMember",
)
"""Google IAM member/binding resources (pulumi-gcp 10.2 type tokens) on which a basic role is refused."""


BASIC_ROLES = ("roles/owner", "roles/editor", "roles/viewer")


PROJECT_ROLES = (
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/autoscaling.metricsWriter",
    "roles/artifactregistry.reader",
    "roles/serviceusage.serviceUsageConsumer",
    "roles/dns.reader",
    "roles/container.defaultNodeServiceAccount",
)
"""The project-wide roles the design grants: the GKE node service account's roles (components/clusters/gke.py
``NODE_ROLES``: monitoring.viewer, monitoring.metricWriter and logging.logWriter are the minimum CIS GKE 5.2.1 names
for a node service account; the rest with their sources there), Google's current single node role
``roles/container.defaultNodeServiceAccount`` ("Configure GKE node service accounts",
docs.cloud.google.com/kubernetes-engine/security/configure-node-service-accounts: node service accounts "must
have at minimum" it, on the project), and ``roles/dns.reader`` for external-dns to list the project's zones
(kubernetes-sigs/external-dns docs/tutorials/gke.md, narrowed in gke.py ``dns_access``)."""


RESOURCE_ROLES: dict[str, tuple[str, ...]] = {
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": ("roles/cloudkms.cryptoKeyEncrypterDecrypter",),
    "gcp:storage/bucketIAMMember:BucketIAMMember": ("roles/storage.objectViewer", "roles/storage.objectCreator"),
    "gcp:storage/bucketIAMBinding:BucketIAMBinding": ("roles/storage.objectViewer", "roles/storage.objectCreator"),
    "gcp:serviceaccount/iAMMember:IAMMember": ("roles/iam.workloadIdentityUser",),
    "gcp:serviceaccount/iAMBinding:IAMBinding": ("roles/iam.workloadIdentityUser",),
    "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember": ("roles/dns.admin",),
}
"""rev17k 07: per resource-level IAM type, the exact roles the platform grants on such a resource (components/clusters/
gke.py), each what its job needs:

- a KMS key: the GKE service agent's ``roles/cloudkms.cryptoKeyEncrypterDecrypter`` for application-layer Secrets
  encryption; Cloud KMS roles (cloud.google.com/iam/docs/roles-permissions/cloudkms): Encrypter/Decrypter "Provides
  ability to use Cloud KMS resources for encrypt and decrypt operations only", while ``roles/cloudkms.admin`` holds
  ``cloudkms.cryptoKeyVersions.destroy`` and ``cloudkms.cryptoKeys.setIamPolicy`` (destroying the key's versions
  bricks every Secret; setting its policy hands the key to anyone);
- a bucket: ``roles/storage.objectViewer`` (a model's reads) and ``roles/storage.objectCreator`` (request-log
  writes: creates objects, never overwrites or deletes them);
- a Google service account: ``roles/iam.workloadIdentityUser`` (Workload Identity's binding of a Kubernetes
  ServiceAccount);
- a Cloud DNS managed zone: ``roles/dns.admin`` on that zone only (external-dns and cert-manager's DNS-01 change
  records: kubernetes-sigs/external-dns docs/tutorials/gke.md, cert-manager docs/configuration/acme/dns01/
  google.md, narrowed from the project to the zone in gke.py ``dns_access``).

Another role on such a resource (an admin-class role above all) is refused: the list is of what the platform
needs, not of what is dangerous."""


def _iam(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type not in GCP_MEMBER_TYPES:
        return
    role = res.props.get("role")
    if role in BASIC_ROLES:
        yield f"{res.name} grants the basic role {role}: give a predefined role for what it does"
    elif isinstance(role, str) and (allowed := RESOURCE_ROLES.get(res.type)) and role not in allowed:
        kind = res.type.rsplit(":", 1)[-1]
        yield (
            f"{res.name} grants {role} on its resource ({kind}): the platform grants only {', '.join(allowed)} "
            "there; give the role the job needs"
        )
    elif (
        res.type in (PROJECT_MEMBER, PROJECT_BINDING)
        and isinstance(role, str)
        and role not in PROJECT_ROLES
        and not role.startswith("roles/storage.")  # storage-read-least-privilege reports those
    ):
        yield (
            f"{res.name} grants {role} on the whole project: the design grants only "
            f"{', '.join(PROJECT_ROLES)} project-wide; grant it on the resource"
        )


def _iam_unknown(res: Resource) -> str | None:
    if res.type in GCP_MEMBER_TYPES and res.props.get("role") is UNKNOWN:
        return f"role of {res.name}"
    return None


# ------------------------------------------------------------------------------------------------ node service account

GSA_DOMAIN = ".iam.gserviceaccount.com"
"""A user-managed service account's e-mail is ``SA_NAME@PROJECT_ID.iam.gserviceaccount.com`` (the shape the plan's
mocks give, components/plan/gcp.py ``_gsa``)."""


def _dependency_type(urn: str) -> str:
    """The type token a URN names (``urn:pulumi:stack::project::parent$type::name``)."""
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


def _node_configs(res: Resource) -> list[Any]:
    """The node configs of a node pool, and of a cluster that declares its own (its default pool)."""
    if res.type == GKE_POOL:
        return [res.props.get("nodeConfig")]
    if res.type == GKE and "nodeConfig" in res.props:
        return [res.props.get("nodeConfig")]
    return []


def _node_sa_problem(res: Resource, emails: set[str], locals_: set[str]) -> str | None:
    """Why the nodes of ``res`` do not run as a Google service account of the plan, or None."""
    for config in _node_configs(res):
        if config is UNKNOWN:
            continue
        sa = as_map(config).get("serviceAccount")
        if sa is UNKNOWN:
            # computed in a plain plan: tied when it is taken from a service account of the plan (a dependency)
            if any(_dependency_type(u) == GSA for u in res.depends_on) or not res.depends_on:
                continue
            return "nodeConfig.serviceAccount is computed from no Google service account of the plan"
        if not isinstance(sa, str) or not sa or sa == "default":
            return (
                f"nodeConfig.serviceAccount is {sa or 'unset'!r}: the nodes run as the Compute Engine default "
                "service account (project Editor)"
            )
        local, _, domain = sa.partition("@")
        if sa not in emails and not (local in locals_ and domain.endswith(GSA_DOMAIN)):
            return f"nodeConfig.serviceAccount {sa!r} is not a Google service account of the plan"
    return None


def _node_service_accounts(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """GKE nodes run as a dedicated, minimally privileged Google service account of the plan, never the Compute
    Engine default one: pulumi_gcp 10.2 container/_inputs.py ``NodeConfig.service_account``: "The service account
    to be used by the Node VMs. If not specified, the "default" service account is used"; CIS GKE 5.2.1 "Ensure GKE
    clusters are not running using the Compute Engine default service account" (tenable.com/audits/items/
    CIS_Google_Kubernetes_Engine_GKE_v1.7.0_L1.audit:c14f95fbd8eba75e8940dc99bc4b295c: "By default, Kubernetes
    Engine nodes use the Compute Engine default service account ... it has more permissions than are required");
    docs.cloud.google.com/kubernetes-engine/security/configure-node-service-accounts. The e-mail is tied to a
    ``gcp:serviceaccount/account:Account`` of the plan: equal to ``<accountId>@<project>.iam.gserviceaccount.com``
    when known (placeholders, CrossGuard), taken from such an account (a dependency) when computed (plain plan)."""
    accounts = [r for r in resources if r.type == GSA]
    emails = {
        f"{a.props['accountId']}@{a.props['project']}{GSA_DOMAIN}"
        for a in accounts
        if isinstance(a.props.get("accountId"), str) and isinstance(a.props.get("project"), str)
    }
    emails |= {e for a in accounts if isinstance(e := a.props.get("email"), str) and e}
    # an account whose project comes from the provider: its local part and the service-account domain
    locals_ = {a.props["accountId"] for a in accounts if isinstance(a.props.get("accountId"), str)}
    for r in resources:
        problem = _node_sa_problem(r, emails, locals_)
        if problem:
            yield Finding(r.urn, f"{r.name}: {problem}; give the platform's node service account (gke.py)")


def _iam_or_node_unknown(res: Resource) -> str | None:
    """``iam-least-privilege``'s unknowns: a grant's role, or a node config known only after deploy."""
    if any(c is UNKNOWN for c in _node_configs(res)):
        return f"nodeConfig of {res.name}"
    return _iam_unknown(res)


# ------------------------------------------------------------------------------------------------ request-log writer

_GCS_CONDITION = re.compile(
    r'resource\.name\.startsWith\("projects/_/buckets/(?P<bucket>[^/"]+)/objects/(?P<prefix>[^"*?]+/)"\)'
)
LOG_WRITER_ROLE = "roles/storage.objectCreator"
"""Create objects, no read, list, overwrite or delete (cloud.google.com/storage/docs/access-control/iam-roles)."""


def gcs_write_problems(res: Resource) -> list[str]:
    """Why a GCS bucket grant lets the log writer do more than create objects under its prefix: the role is
    :data:`LOG_WRITER_ROLE`, on one named bucket, for no public member, under a condition
    ``resource.name.startsWith("projects/_/buckets/<bucket>/objects/<prefix>/")`` with the same bucket."""
    p = res.props
    problems: list[str] = []
    role, bucket, member = p.get("role"), p.get("bucket"), p.get("member")
    if role is not UNKNOWN and role != LOG_WRITER_ROLE:
        problems.append(f"grants {role}: the log writer may only create objects ({LOG_WRITER_ROLE})")
    if member in PUBLIC_MEMBERS:
        problems.append(f"grants the bucket to {member}")
    if isinstance(bucket, str) and any(c in bucket for c in "*?"):
        problems.append(f"grants on bucket {bucket!r}: name one bucket")
    expression = as_map(p.get("condition")).get("expression")
    if expression is UNKNOWN:
        return problems
    m = _GCS_CONDITION.fullmatch(expression.strip()) if isinstance(expression, str) else None
    if m is None:
        problems.append(
            'has no condition resource.name.startsWith("projects/_/buckets/<bucket>/objects/<prefix>/"): it reaches '
            "every object of the bucket"
        )
    elif isinstance(bucket, str) and m["bucket"] != bucket:
        problems.append(f"conditions on bucket {m['bucket']} but grants on {bucket}")
    return problems


def _log_write(res: Resource, facts: Facts) -> Iterator[str]:
    """The request-log writer's bucket grant (``gcp:storage/bucketIAMMember:BucketIAMMember``)."""
    if res.type == GCS_MEMBER:
        for problem in gcs_write_problems(res):
            yield f"request-log writer {res.name} {problem}"


def _log_write_unknown(res: Resource) -> str | None:
    unknown = res.type == GCS_MEMBER and as_map(res.props.get("condition")).get("expression") is UNKNOWN
    return res.name if unknown else None


# ------------------------------------------------------------------------------------------------ object stores

GCS_BUCKET = "gcp:storage/bucket:Bucket"


def _bucket_private(res: Resource, facts: Facts) -> Iterator[str]:
    """A GCS bucket the plan creates: public access prevention ``enforced`` (cloud.google.com/storage/docs/
    using-public-access-prevention: the bucket setting that restricts public access to the bucket and its objects;
    the other value, ``inherited``, leaves it to the organization policy) and uniform bucket-level access
    (cloud.google.com/storage/docs/using-uniform-bucket-level-access: only bucket-level IAM grants access, object ACLs
    no longer apply)."""
    if res.type != GCS_BUCKET:
        return
    pap = res.props.get("publicAccessPrevention")
    if pap is not UNKNOWN and pap != "enforced":
        yield f"GCS bucket {res.name}: publicAccessPrevention is {pap!r}, not 'enforced'"
    ubla = res.props.get("uniformBucketLevelAccess")
    if ubla is not UNKNOWN and ubla is not True:
        yield f"GCS bucket {res.name}: uniformBucketLevelAccess is {ubla!r}, not true (object ACLs stay possible)"


GCS_NARROWING = (
    "createdBefore",
    "customTimeBefore",
    "daysSinceCustomTime",
    "daysSinceNoncurrentTime",
    "matchesStorageClasses",
    "matchesSuffixes",
    "noncurrentTimeBefore",
    "numNewerVersions",
    "sizeAboveBytes",
    "sizeBelowBytes",
)
"""Conditions of a GCS lifecycle rule besides ``age``, ``matchesPrefixes`` and ``withState`` (pulumi_gcp 10.2.0
storage/_inputs.py ``BucketLifecycleRuleConditionArgs``): "An object has to match all of the conditions specified in a
rule for the action in the rule to be taken" (cloud.google.com/storage/docs/lifecycle, "Lifecycle configurations"),
so each narrows the deletion to some records (a date, a custom time the collector never sets, versions of an
unversioned bucket, a storage class, a suffix, a size)."""


def _gcs_expiry_problem(rule: Any, facts: Facts) -> str | None:
    """Why one GCS lifecycle rule does not delete every record ``retentionDays`` after its creation, None when it
    does (or when what it needs is unknown). ``action.type`` ``Delete`` (the others, ``SetStorageClass`` and
    ``AbortIncompleteMultipartUpload``, delete nothing); ``condition.age``: "Minimum age of an object in days";
    ``matchesPrefixes`` covering ``<prefix>/`` (absent: every object); ``withState`` ``ARCHIVED`` matches no live
    object ("Unversioned buckets have only live objects"); no other condition (:data:`GCS_NARROWING`). pulumi_gcp
    10.2.0 storage/_inputs.py ``BucketLifecycleRuleActionArgs``, ``BucketLifecycleRuleConditionArgs``."""
    rule = as_map(rule)
    action, condition = rule.get("action"), rule.get("condition")
    if UNKNOWN in (action, condition):
        return None
    kind = as_map(action).get("type")
    if kind is UNKNOWN:
        return None
    if kind != "Delete":
        return f"action is {kind!r}, not 'Delete': it deletes no record"
    condition = as_map(condition)
    if why := expiry_days_problem(condition.get("age"), facts, "condition.age"):
        return why
    narrowing = [k for k in GCS_NARROWING if condition.get(k) not in (None, "", [], 0)]
    if narrowing:
        return f"condition narrows it by {', '.join(narrowing)}: records it does not match are never deleted"
    state = condition.get("withState")
    if state == "ARCHIVED":
        return "condition.withState is 'ARCHIVED': it matches no live record"
    prefixes = condition.get("matchesPrefixes")
    folder = log_folder(facts)
    if prefixes is UNKNOWN or folder is None or not as_list(prefixes) or UNKNOWN in as_list(prefixes):
        return None
    if not any(isinstance(p, str) and prefix_covers(p, folder) for p in as_list(prefixes)):
        return f"condition.matchesPrefixes {as_list(prefixes)!r} do not cover the records under {folder}"
    return None


def _log_retention(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """GCP's share of ``request-log-retention``: the request-log bucket the platform creates has a lifecycle rule
    deleting the records at ``retentionDays`` (:func:`_gcs_expiry_problem`); GCS lifecycle rules have no on/off flag,
    so a rule that is there applies."""
    for b in resources:
        if b.type != GCS_BUCKET or not is_log_store(b):
            continue
        rules = b.props.get("lifecycleRules")
        if rules is UNKNOWN:
            continue
        why = none_expires(
            rules, lambda rule: _gcs_expiry_problem(rule, facts), "lifecycleRules", "it has no lifecycle rule"
        )
        if why is None:
            continue
        yield Finding(
            b.urn,
            f"GCS bucket {b.name} holds the request logs but deletes no record after retentionDays: {why} (records "
            "are kept forever)",
        )


# ------------------------------------------------------------------------------------------------ istio-cni


GKE_CNI_BIN_DIR = "/home/kubernetes/bin"
"""Where GKE nodes keep CNI binaries (Istio "Platform-Specific Prerequisites", istio.io/latest/docs/ambient/install/
platform-prerequisites: "GKE uses nonstandard locations for CNI binaries which requires Helm overrides", the GKE
override ``cniBinDir: /home/kubernetes/bin``). Restated here, not imported from components/clusters/gke.py
``CNI_BIN_DIR``: a slip in that constant moved the rule with it (rev17c c01)."""


def _cni_bin_dir(res: Resource) -> str | None:
    """Where a GKE cluster's nodes keep CNI binaries (:data:`GKE_CNI_BIN_DIR`)."""
    return GKE_CNI_BIN_DIR if res.type == GKE else None


GKE_CRITICAL_NAMESPACE = "kube-system"
"""The one namespace where GKE admits ``system-node-critical`` pods by default (Istio "Platform-Specific
Prerequisites", GKE "Namespace restrictions", istio.io/latest/docs/ambient/install/platform-prerequisites: "By
default in GKE, only kube-system has a defined ResourceQuota for the node-critical class"; the istio-cni agent
requires that class). The page is not versioned at Istio 1.30 in our index; istio.io/v1.23 says the same."""


def _critical_namespace(res: Resource) -> str | None:
    """Where a GKE cluster admits the istio-cni agent's ``system-node-critical`` pods."""
    return GKE_CRITICAL_NAMESPACE if res.type == GKE else None


# ------------------------------------------------------------------------------------------------ GPU images

GKE_DRIVER_INSTALLED = ("DEFAULT", "LATEST")
"""``gpuDriverInstallationConfig.gpuDriverVersion`` values with which GKE installs the NVIDIA driver on the pool's
nodes (``INSTALLATION_DISABLED`` leaves it to the user; cloud.google.com/kubernetes-engine/docs/how-to/gpus,
``gpu-driver-version=default|latest|disabled``). With GKE's driver, "The Google driver installer manages the NVIDIA
GPU Driver. NVIDIA GPU Operator manages other software components" (docs.nvidia.com/datacenter/cloud-native/
gpu-operator/latest/google-gke.html): the driver only, the toolkit stays the operator's."""


def _preinstalled(res: Resource) -> Any:
    """A GKE node pool whose GPU driver GKE installs (:data:`GKE_DRIVER_INSTALLED`)."""
    if res.type != GKE_POOL:
        return None
    for acc in as_list(dig(res.props, "nodeConfig.guestAccelerators")):
        version = as_map(as_map(acc).get("gpuDriverInstallationConfig")).get("gpuDriverVersion")
        if version in GKE_DRIVER_INSTALLED:
            return Preinstalled(f"NodePool {res.name} (gpuDriverVersion {version})", frozenset({"driver"}))
    return None


def _gpu_driver_installed(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """rev17j j01, the GKE share of AKS's ``aks-gpu-driver-installed``: a GKE NodePool with GPUs whose
    ``gpuDriverInstallationConfig.gpuDriverVersion`` is not one with which GKE installs the driver
    (:data:`GKE_DRIVER_INSTALLED`) gets none from GKE: pulumi_gcp 10.2.0 container/_inputs.py ``gpu_driver_version``:
    "INSTALLATION_DISABLED: Disable GPU driver auto installation and needs manual installation";
    "GPU_DRIVER_VERSION_UNSPECIFIED: Default value is to install the "Default" GPU driver. Before GKE
    1.30.1-gke.1156000, the default value is to not install any GPU driver". Unset and UNSPECIFIED are not judged
    (they install GKE's default driver from that version on; the cluster's version was not read here): only
    ``INSTALLATION_DISABLED`` fails. Unless a gpu-operator release installs
    the driver (the platform's does not on GKE: components/platform/gpu.py ``driver.enabled: False``), the nodes
    advertise no ``nvidia.com/gpu`` and every GPU model stays Pending."""
    operator = operator_installs_driver(resources)
    for res in resources:
        if res.type != GKE_POOL:
            continue
        for acc in as_list(dig(res.props, "nodeConfig.guestAccelerators")):
            if acc is UNKNOWN or as_map(acc).get("gpuDriverInstallationConfig") is UNKNOWN:
                continue
            version = as_map(as_map(acc).get("gpuDriverInstallationConfig")).get("gpuDriverVersion")
            if version is UNKNOWN or version != "INSTALLATION_DISABLED" or operator:
                continue
            yield Finding(
                res.urn,
                f"GKE GPU NodePool {res.name} has gpuDriverVersion {version or 'unset'} and no gpu-operator release "
                "installs the driver: its nodes advertise no nvidia.com/gpu, GPU models stay Pending; use "
                f"{' or '.join(GKE_DRIVER_INSTALLED)}",
            )


# ------------------------------------------------------------------------------------------------ gateway idle timeout


GKE_NETLB = BackendTracking(
    load_balancer="GKE's passthrough Network Load Balancer", idle_seconds=60, traffic_policy="Local"
)
"""GKE's load balancer for a ``LoadBalancer`` Service: an external passthrough Network Load Balancer, which "doesn't
terminate user connections" (cloud.google.com/load-balancing/docs/network), so it has no idle timeout that closes a
connection and no annotation sets one; it keeps each connection's backend in a tracking table whose entries idle for
60 s are dropped ("For external passthrough Network Load Balancers the default is 60 seconds. This option is not
available publicly", Compute API ``BackendServiceConnectionTrackingPolicy.idleTimeoutSec``;
.../network/ext-netlb-traffic-distribution "Backend selection and connection tracking"), and the next packet is
hashed again over the backends; ``Local`` keeps nodes without a gateway pod out of them, "to minimize disruption
when the number of nodes in the cluster without serving Pods changes" (cloud.google.com/kubernetes-engine/docs/
concepts/service-load-balancer, "Effect of externalTrafficPolicy"; components/clusters/gke.py
``load_balancer_traffic_policy``)."""


def _gateway_idle(res: Resource) -> BackendTracking | None:
    """:data:`GKE_NETLB` for a GKE cluster: the timeout chain has no load balancer idle timeout on GKE, and the
    gateway Service must set ``externalTrafficPolicy: Local``."""
    return GKE_NETLB if res.type == GKE else None


# ------------------------------------------------------------------------------------------------ the policy

KNOWN: dict[str, str] = {
    "gcp:compute/firewall:Firewall": RENDERED,
    "gcp:compute/network:Network": RENDERED,
    "gcp:compute/router:Router": RENDERED,
    "gcp:compute/routerNat:RouterNat": RENDERED,
    "gcp:compute/subnetwork:Subnetwork": RENDERED,
    "gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember": RENDERED,
    "gcp:kms/cryptoKey:CryptoKey": RENDERED,
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": RENDERED,
    "gcp:kms/keyRing:KeyRing": RENDERED,
    "gcp:projects/iAMMember:IAMMember": RENDERED,
    "gcp:serviceaccount/account:Account": RENDERED,
    "gcp:serviceaccount/iAMMember:IAMMember": RENDERED,
    "gcp:storage/bucket:Bucket": RENDERED,
    "gcp:storage/bucketIAMMember:BucketIAMMember": RENDERED,
    "gcp:folder/iAMMember:IAMMember": ("read by the IAM rules: a grant above the project"),
    "gcp:organizations/iAMMember:IAMMember": ("read by the IAM rules: a grant above the project"),
    "gcp:projects/iAMBinding:IAMBinding": ("read by the IAM rules (PROJECT_BINDING)"),
    "gcp:serviceaccount/iAMBinding:IAMBinding": ("read by the workload-identity rules (GSA_BINDING)"),
    "gcp:storage/bucketIAMBinding:BucketIAMBinding": ("read by the storage grant rules beside BucketIAMMember"),
}
"""The types of this cloud the pack knows (:attr:`policy.rules.percloud.CloudPolicy.known`; its cluster and
pool types besides): an empty value for a type a shipped or cover stack renders, else why it is known. Each
is a class of pulumi_gcp 10.2.0, read from its ``_utilities.register(resource_modules=...)`` by
tests/policy/test_policy_known_types.py, unless the value says why not."""


def _pool_disk(res: Resource) -> list[PoolDisk] | None:
    """A GKE node pool's boot disk and labels (``gpu-pool-disk-fits``): ``nodeConfig.diskSizeGb`` ("Size of the disk
    attached to each node, specified in GB", pulumi_gcp container NodeConfig ``disk_size_gb``; judgement: read as
    GiB, Compute Engine's GB) and ``nodeConfig.labels``."""
    if res.type != GKE_POOL:
        return None
    config = res.props.get("nodeConfig")
    if config is UNKNOWN:
        return [PoolDisk(res.name, UNKNOWN, UNKNOWN)]
    config = as_map(config)
    accel = as_map(next(iter(as_list(config.get("guestAccelerators"))), {}))
    sharing = as_map(accel.get("gpuSharingConfig")).get("maxSharedClientsPerGpu")
    clients = sharing if isinstance(sharing, int) else 1
    slots = node_slots(accel.get("count"), None, clients, accel.get("gpuPartitionSize"))
    # GKE reads a CONTAINER_IMAGE_CACHE secondary boot disk's images from that disk (components/coldstart.yaml
    # imageCache.gcp.ownDisk; the mode as components/clusters/gke.py IMAGE_CACHE_MODE renders it)
    cache = any(as_map(b).get("mode") == "CONTAINER_IMAGE_CACHE" for b in as_list(config.get("secondaryBootDisks")))
    return [
        PoolDisk(
            res.name,
            config.get("labels") or {},
            config.get("diskSizeGb"),
            slots=slots,
            cache_disk=cache,
            clients=clients if clients > 1 else None,
            mig=bool(accel.get("gpuPartitionSize")),
        )
    ]


ARCH_LABEL = "kubernetes.io/arch"
GKE_ACCELERATOR_LABEL = "cloud.google.com/gke-accelerator"
"""The label GKE puts on a GPU node, valued with the GPU's accelerator type: kubernetes/autoscaler
cluster-autoscaler-1.34.2 cloudprovider/gce/gce_cloud_provider.go:36-37 ("GPULabel is the label added to nodes with
GPU resource", ``cloud.google.com/gke-accelerator``), whose value gce_price_model.go:121 looks up in the GPU prices
keyed by accelerator type (gce_price_info.go:570 ``nvidia-tesla-t4``)."""


def _pool_labels(res: Resource) -> list[PoolLabels] | None:
    """A GKE node pool's ``nodeConfig.labels``, spot capacity, machine type and taints (``node-selectors-match-pools``,
    ``system-pool-on-demand``): ``nodeConfig.spot`` "whether the underlying node VMs are spot" and
    ``nodeConfig.preemptible`` (pulumi_gcp container NodeConfig ``spot``/``preemptible``); "Each node in the pool has a
    Kubernetes node label, ``cloud.google.com/gke-nodepool``, which has the node pool's name"
    (docs.cloud.google.com/kubernetes-engine/docs/concepts/node-pools); ``nodeConfig.machineType`` is the value of
    ``node.kubernetes.io/instance-type`` ("the instance type ... defined by the cloud provider",
    kubernetes.io/docs/reference/labels-annotations-taints/) and gives ``kubernetes.io/arch`` by its machine series
    from the accelerator catalog's ``node_labels.series_arch`` table (rev14g defect 4; a series the table does not
    list leaves the arch unjudged); the first ``nodeConfig.guestAccelerators`` type is the value of
    :data:`GKE_ACCELERATOR_LABEL` (rev14g defect 5); ``nodeConfig.taints``."""
    if res.type != GKE_POOL:
        return None
    config = res.props.get("nodeConfig")
    if config is UNKNOWN:
        return [PoolLabels(res.name, UNKNOWN)]
    config = as_map(config)
    labels = dict(as_map(config.get("labels")))
    name = res.props.get("name")
    if isinstance(name, str) or name is UNKNOWN:
        labels.setdefault("cloud.google.com/gke-nodepool", name)
    spot = next((f"nodeConfig.{k} true" for k in ("spot", "preemptible") if config.get(k) is True), None)
    machine = config.get("machineType")
    allowed = {"node.kubernetes.io/instance-type": (machine,)} if isinstance(machine, str) else {}
    unjudged: tuple[str, ...] = ()
    if isinstance(machine, str) and (arch := catalog.series_arch("gcp", machine)) is not None:
        allowed[ARCH_LABEL] = (arch,)
    else:
        unjudged = (ARCH_LABEL,)  # a series the catalog's table does not list: not judged (docs/policies.md)
    accelerators = config.get("guestAccelerators")
    kinds = [as_map(a).get("type") for a in as_list(accelerators)]
    if accelerators is UNKNOWN or any(k is UNKNOWN for k in kinds):
        labels.setdefault(GKE_ACCELERATOR_LABEL, UNKNOWN)
    elif kinds and all(isinstance(k, str) for k in kinds):
        labels.setdefault(GKE_ACCELERATOR_LABEL, kinds[0])
    taints = config.get("taints")
    found = [
        PoolLabels(
            res.name, labels, spot, allowed, unjudged, taints=UNKNOWN if taints is UNKNOWN else taints_of_list(taints)
        )
    ]
    # the nvidia.com/gpu a node advertises: guestAccelerators count x maxSharedClientsPerGpu or MIG partitions
    return with_gpus(found, _pool_disk(res))


# ------------------------------------------------------------------------------------------- pods-fit-nodes

GKE_MEMORY_TIERS = ((0, 4, "0.25"), (4, 8, "0.20"), (8, 16, "0.10"), (16, 128, "0.06"), (128, None, "0.02"))
"""GKE's memory reservation, GiB ranges and shares: "25% of the first 4 GiB of memory, 20% of the next 4 GiB (up to
8 GiB), 10% of the next 8 GiB (up to 16 GiB), 6% of the next 112 GiB (up to 128 GiB), 2% of any memory above 128
GiB" (cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes#memory_and_cpu_reservations), rounded up to
whole MiB."""


def cos_kernel_mib(mib: int) -> int:
    """Memory a COS node's kernel keeps, as GKE's cluster autoscaler takes it off a node template (kubernetes/
    autoscaler cluster-autoscaler-1.34.2 cloudprovider/gce/gce_reserved.go ``CalculateKernelReserved``: physical/64
    + 16 MiB, + 64 MiB software IO TLB above 3 GiB, + 8 MiB at 8 GiB or less, + for COS min(0.00175 x physical,
    248 MiB)), rounded up to whole MiB; a pod above the template's allocatable triggers no scale-up."""
    physical = mib * MIB
    kept = Decimal(physical // 64 + 16 * MIB)
    if physical > 3 * 1024 * MIB:
        kept += 64 * MIB
    if physical <= 8 * 1024 * MIB:
        kept += 8 * MIB
    kept += min(Decimal("0.00175") * physical, Decimal(248 * MIB))
    return math.ceil(kept / MIB)


def _node_reserved(instance_type: str, vcpus: int, mib: int, max_pods: int | None) -> tuple[int, dict[str, int]]:
    """What a GKE node keeps from pods (``pods-fit-nodes``, policy/rules/nodefit.py): the CPU ranges, GKE's memory
    tiers and the COS kernel's share."""
    tiers = Decimal(0)
    for start, end, share in GKE_MEMORY_TIERS:
        low, high = start * 1024, mib if end is None else min(mib, end * 1024)
        if mib > low:
            tiers += (high - low) * Decimal(share)
    return kube_reserved_cpu(vcpus), {"GKE's tiers": math.ceil(tiers), "the COS kernel": cos_kernel_mib(mib)}


_ZONE = re.compile(r"\A[a-z]+-[a-z]+[0-9]+-[a-z]\Z")
"""A GCP zone name (``us-central1-a``): a cluster ``location`` of that form is zonal, of a region (``us-central1``)
regional."""


def _cluster_zones(res: Resource, facts: Facts) -> Iterator[str]:
    """A GKE cluster's ``nodeLocations`` span the stack's ``cluster.zones`` zones: they are "The list of zones in which
    the cluster's nodes are located ... If this is specified for a zonal cluster, omit the cluster's zone"
    (pulumi_gcp container/cluster.py ``node_locations``), so a zonal cluster counts its own zone beside them. The
    system pool inherits them (components/clusters/gke.py sets no nodeLocations of its own): a cluster one zone short
    (rev17h h22) leaves the system pool, and every pool without its own locations, in fewer zones than the stack asks.
    Unset (the cluster's default zones) is not judged."""
    if res.type != GKE or facts.zones is None:
        return
    given, location = res.props.get("nodeLocations"), res.props.get("location")
    if given is UNKNOWN or location is UNKNOWN or not isinstance(given, list) or not given:
        return
    zones = {str(z) for z in given}
    if isinstance(location, str) and _ZONE.match(location):
        zones.add(location)
    if len(zones) != facts.zones:
        yield (
            f"GKE cluster {res.name} places its nodes in {len(zones)} zone(s) {sorted(zones)}, the stack asks for "
            f"{facts.zones} (cluster.zones): its system pool and every pool without nodeLocations of its own follow"
        )


POLICY = CloudPolicy(
    node_reserved=_node_reserved,
    cloud="gcp",
    # Config Connector's ContainerCluster and ContainerNodePool (GoogleCloudPlatform/k8s-config-connector)
    node_controller_groups=(r"container\.cnrm\.cloud\.google\.com",),
    parts={
        "pods-fit-nodes": Part(summary="GKE: its memory tiers and the COS kernel's share"),
        "gpu-pool-disk-fits": Part(types=(GKE_POOL,), summary="GKE nodeConfig.diskSizeGb", read=_pool_disk),
        "multi-gpu-avoids-shared-pools": Part(
            types=(GKE_POOL,),
            summary="GKE nodeConfig.labels and guestAccelerators gpuSharingConfig.maxSharedClientsPerGpu (GKE's device "
            "plugin, container-engine-accelerators gpusharing.go ValidateRequest)",
            read=_pool_disk,
        ),
        "node-pools-span-zones": Part(
            types=(GKE,),
            summary="GKE: the cluster's nodeLocations",
            check=_cluster_zones,
            reads={GKE: ("nodeLocations", "location")},
        ),
        "node-selectors-match-pools": Part(
            types=(GKE_POOL,),
            summary=(
                "GKE nodeConfig.labels, pool name, machineType and its series' arch, accelerator type, taints, spot "
                "and preemptible"
            ),
            read=_pool_labels,
        ),
        "api-endpoint-restricted": Part(
            types=(GKE,),
            read=_api_exposure,
            reads={
                GKE: (
                    "privateClusterConfig.enablePrivateEndpoint",
                    "masterAuthorizedNetworksConfig.cidrBlocks[].cidrBlock",
                    "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled",
                )
            },
        ),
        "secrets-encryption": Part(
            types=(GKE,), check=_secrets_encryption, reads={GKE: ("databaseEncryption", "databaseEncryption.state")}
        ),
        "audit-logs": Part(
            types=(GKE,),
            summary="GKE API server",
            check=_audit_logs,
            reads={GKE: ("loggingService", "loggingConfig.enableComponents", "loggingConfig.enableComponents[]")},
        ),
        "workload-identity": Part(
            types=(GKE, GKE_POOL),
            summary="GKE_METADATA",
            stack=_workload_identity,
            reads={GKE: ("workloadIdentityConfig",), GKE_POOL: ("nodeConfig.workloadMetadataConfig.mode",)},
        ),
        "cluster-network-policy": Part(
            types=(GKE,),
            summary="GKE Dataplane V2 or networkPolicy",
            check=_network_policy,
            reads={
                GKE: (
                    "datapathProvider",
                    "networkPolicy",
                    "networkPolicy.enabled",
                    "addonsConfig.networkPolicyConfig.disabled",
                )
            },
        ),
        "cluster-hardening": Part(
            types=(GKE, GKE_POOL, FIREWALL, "gcp:compute/subnetwork:Subnetwork"),
            summary=(
                "GKE no legacy ABAC, no client certificate, private nodes on subnetworks with Private Google Access, "
                "Shielded Nodes, Secure Boot and integrity monitoring, COS_CONTAINERD node images, node "
                "auto-repair and auto-upgrade, webhook firewalls from the control plane's range only and opening "
                "every installed webhook's port (policy/rules/webhooks.py) to every node pool, a firewall from the "
                "control plane's range opening no port beyond the webhooks' and GKE's own 443 and 10250"
            ),
            check=_hardening,
            stack=_hardening_stack,
            reads={
                GKE: (
                    "enableLegacyAbac",
                    "masterAuth.clientCertificateConfig.issueClientCertificate",
                    "privateClusterConfig.enablePrivateNodes",
                    "privateClusterConfig.masterIpv4CidrBlock",
                    "enableShieldedNodes",
                    "deletionProtection",
                ),
                "gcp:compute/subnetwork:Subnetwork": ("privateIpGoogleAccess",),
                GKE_POOL: (
                    "nodeConfig.shieldedInstanceConfig.enableSecureBoot",
                    "nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring",
                    "nodeConfig.imageType",
                    "management.autoRepair",
                    "management.autoUpgrade",
                ),
                FIREWALL: (
                    "direction",
                    "disabled",
                    "allows",
                    "allows[].protocol",
                    "allows[].ports",
                    "sourceRanges",
                    "targetServiceAccounts",
                ),
            },
        ),
        "kms-key-rotation": Part(types=(CRYPTO_KEY,), summary="Cloud KMS period", check=_key_rotation),
        "gpu-pools": Part(
            types=(GKE, GKE_POOL),
            read=_gpu_pools,
            unread=_unread_nodes,
            reads={
                GKE: (
                    "enableAutopilot",
                    "clusterAutoscaling.enabled",
                    "clusterAutoscaling.resourceLimits.*",
                    "nodePools",
                    "removeDefaultNodePool",
                    "nodeConfig.guestAccelerators",
                ),
                GKE_POOL: (
                    "nodeConfig.guestAccelerators.*",
                    "nodeConfig.taints.*",
                    "nodeConfig.labels.*",
                    "autoscaling.*",
                    "nodeCount",
                    "nodeLocations",
                ),
            },
        ),
        "workload-identity-trust": Part(
            types=(GSA_MEMBER, GSA_BINDING, PROJECT_MEMBER, PROJECT_BINDING),
            summary="GKE member serviceAccount:<pool>[ns/sa]",
            check=_trust,
            unknown=lambda r: _unknown_doc(r) if r.type == GSA_MEMBER else None,
        ),
        "request-log-write-only": Part(
            types=(GCS_MEMBER,),
            summary="GCS objectCreator conditioned on the prefix",
            check=_log_write,
            unknown=_log_write_unknown,
        ),
        "storage-read-least-privilege": Part(
            types=(GCS_MEMBER, GCS_BINDING, PROJECT_MEMBER),
            summary="GCS read roles on the bucket",
            check=_storage,
            unknown=lambda r: _unknown_doc(r) if r.type in (GCS_MEMBER, GCS_BINDING) else None,
        ),
        "workload-identity-binding": Part(
            types=(GSA, GSA_MEMBER, GSA_BINDING, GKE),
            summary="a GKE Workload Identity member names the cluster's workload pool and an annotated ServiceAccount",
            stack=_binding,
        ),
        "iam-least-privilege": Part(
            types=(*GCP_MEMBER_TYPES, GKE_POOL),
            summary=(
                "no GCP basic role nor project-wide role beyond the design's, on a KMS key, bucket, service account "
                "or DNS zone only the role the platform grants there, GKE nodes running as a service account of the "
                "plan"
            ),
            check=_iam,
            stack=_node_service_accounts,
            unknown=_iam_or_node_unknown,
        ),
        "istio-cni-bin-dir": Part(types=(GKE,), summary=f"GKE {GKE_CNI_BIN_DIR}", read=_cni_bin_dir),
        "istio-cni-namespace": Part(types=(GKE,), summary=f"GKE {GKE_CRITICAL_NAMESPACE}", read=_critical_namespace),
        "gpu-operator-no-second-driver": Part(
            types=(GKE_POOL,),
            summary="GKE: pools whose driver GKE installs carry the driver",
            read=_preinstalled,
            reads={GKE_POOL: ("nodeConfig.guestAccelerators[].gpuDriverInstallationConfig.gpuDriverVersion",)},
        ),
        "timeouts-cover-cold-start": Part(
            types=(GKE,),
            summary="GKE: none, a passthrough Network Load Balancer; the gateway Service externalTrafficPolicy Local",
            read=_gateway_idle,
        ),
        RETENTION_RULE: Part(
            types=(GCS_BUCKET,),
            summary=(
                "GCS: a lifecycleRules entry with action Delete, condition.age retentionDays and matchesPrefixes "
                "covering <prefix>/ (no other condition, not withState ARCHIVED)"
            ),
            stack=_log_retention,
            reads={GCS_BUCKET: ("lifecycleRules", "lifecycleRules[].action.*", "lifecycleRules[].condition.*")},
        ),
        "object-store-private": Part(
            types=(GCS_BUCKET,),
            summary="GCS buckets publicAccessPrevention enforced and uniform bucket-level access",
            check=_bucket_private,
            reads={GCS_BUCKET: ("publicAccessPrevention", "uniformBucketLevelAccess")},
        ),
    },
    rules=(
        (
            "gpu-pool-taint-label",
            Rule(
                name="gke-gpu-driver-installed",
                description=(
                    "A GKE GPU node pool's gpuDriverVersion is not INSTALLATION_DISABLED (GKE installs the driver), "
                    "unless a gpu-operator release installs the driver (else its nodes advertise no GPU)."
                ),
                enforcement="mandatory",
                area="gpu",
                applies_to=(GKE_POOL, *HELM_TYPES),
                check_stack=_gpu_driver_installed,
                unknown=reading(
                    {GKE_POOL: ("nodeConfig.guestAccelerators[].gpuDriverInstallationConfig.gpuDriverVersion",)}
                ),
                remediation='gpu_driver_installation_config={"gpu_driver_version": "LATEST"}',
            ),
        ),
    ),
    stateful=(CRYPTO_KEY, GSA),
    sa_annotations=(GKE_SA_ANNOTATION,),
    tag_paths={GKE: "resourceLabels", GKE_POOL: "nodeConfig.resourceLabels"},
    label_key=label_key,
    known=KNOWN,
)
"""Google Cloud's share of the rules (:attr:`components.clouds.Cloud.policy`)."""
