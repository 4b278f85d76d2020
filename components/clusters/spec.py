"""Typed cluster settings (``mlplatform:cluster`` in a stack file), shared by every cluster implementation."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from components import catalog, clouds
from components.clouds import TagRule
from components.clusters import mig
from components.credentials import PLAIN_TEXT, redact_uri
from components.errors import escape_line
from components.spec import Spec, field_error, value_error
from components.versions import CLUSTER_CHARTS, KUBERNETES_VERSION, cluster_chart_version_problem

WORLD = "0.0.0.0/0"
_CLUSTER_NAME = re.compile(r"\A[a-z]([-a-z0-9]{0,38}[a-z0-9])?\Z", re.ASCII)
_MINOR = re.compile(r"\A[0-9]+\.[0-9]+\Z", re.ASCII)
_POOL_NAME = re.compile(r"\A[a-z][a-z0-9]{0,11}\Z", re.ASCII)
_MIG_PROFILE = re.compile(r"\A[0-9]{1,2}g\.[0-9]{1,4}gb(\+me)?\Z", re.ASCII)
"""NVIDIA's MIG profile names, ``<compute slices>g.<memory>gb`` with an optional ``+me`` (components/clusters/mig.py
cites the MIG user guide); anchored and ASCII, so ``"1g.10gb\\n"`` or a full-width digit is no profile."""
_IMAGE_REF = re.compile(r"\A[a-z0-9][A-Za-z0-9._:/@-]{0,254}\Z", re.ASCII)
"""An image reference's characters (lowercase registry and path, ``:tag`` or ``@sha256:digest``); the full grammar is
distribution/reference's, this only keeps out spaces and control characters."""


_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_REMOTE_NAME = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_REFERENCE = re.compile(
    rf"\A(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_REMOTE_NAME})(?::[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?\Z",
    re.ASCII,
)
r"""github.com/distribution/reference v0.6.0 regexp.go ``ReferencePat``: ``name [":" tag] ["@" digest]``, the name
``[domainAndPort "/"] remoteName``, path components ``[a-z0-9]+`` joined by ``.``, ``_``, ``__`` or dashes, the tag
``[\w][\w.-]{0,127}`` (red14j break 11: ``ghcr.io/A/b:1``, ``ghcr.io/a/b:``, ``ghcr.io//a/b:1``, ``ghcr.io/a/b:t:x``
were accepted)."""


def _reference(image: str) -> bool:
    """Whether ``image`` is a reference distribution/reference v0.6.0 ``Parse`` accepts: :data:`_REFERENCE`, and
    the repository path (the name after its domain, as ``anchoredNameRegexp`` splits it) at most 255 characters
    (``RepositoryNameTotalLengthMax``)."""
    m = _REFERENCE.match(image)
    return m is not None and len(m["path"]) <= 255


_DIGEST = re.compile(r"\A[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}\Z", re.ASCII)
"""github.com/distribution/reference reference.go, Grammar: ``digest := digest-algorithm ":" digest-hex`` (the hex at
least 32 hex characters)."""
_GO_DIGEST = re.compile(r"\A(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})\Z", re.ASCII)
"""What distribution/reference v0.6.0 ``Parse`` then accepts: it calls ``digest.Parse``, and
opencontainers/go-digest@v1.0.0 digest.go ``Validate`` takes only an available algorithm (algorithm.go: sha256,
sha384, sha512, "hex encoding (lower case only)") with ``anchoredEncodedRegexps`` ``^[a-f0-9]{64}$``, ``{96}``,
``{128}`` (red14k break 9: @md5:..., uppercase hex and 63 or 65 characters were accepted)."""


class GpuSharing(Spec):
    """How pods share one GPU of a pool: a ``strategy``, with ``maxClientsPerGpu`` or ``migProfile``."""

    strategy: Literal["none", "time-slicing", "mps", "mig"] = "none"
    (
        "``none`` (a pod gets whole GPUs), ``time-slicing``, ``mps`` or ``mig``. EKS pools accept none, time-slicing "
        "or mps; ``mig`` needs an accelerator with MIG (A100, H100, H200)."
    )
    max_clients_per_gpu: int = Field(2, ge=2, le=48)
    """Pods per GPU (2-48) for time-slicing and mps; ignored by the other strategies."""
    mig_profile: str | None = None
    """MIG partition such as ``1g.10gb``; required with strategy ``mig`` and refused with the others."""

    @model_validator(mode="after")
    def _mig_profile(self) -> GpuSharing:
        if self.mig_profile is not None and not _MIG_PROFILE.match(self.mig_profile):
            raise field_error("migProfile", self.mig_profile, "give a MIG profile such as 1g.10gb or 1g.10gb+me")
        if self.strategy == "mig" and not self.mig_profile:
            raise field_error("migProfile", None, "give a MIG profile such as 1g.10gb when strategy is mig")
        if self.strategy != "mig" and self.mig_profile:
            raise field_error("migProfile", self.mig_profile, "set it only with strategy: mig")
        return self


class ImageCache(Spec):
    """Serving images preloaded on a GPU pool's new nodes (``gpuPools.<pool>.imageCache``), where the cloud offers it.

    GKE: a secondary boot disk in ``CONTAINER_IMAGE_CACHE`` mode made from a Compute Engine disk image you build
    with the images (cloud.google.com/kubernetes-engine/docs/how-to/data-container-image-preloading). EKS with
    Karpenter: the pool runs Bottlerocket and its data volume is made from an EBS snapshot you build with the images
    (aws-samples/bottlerocket-images-cache). AKS refuses it (docs/performance.md says why). The plan cannot look
    inside a disk image or snapshot: ``images`` is your statement of what it holds, and the cold-start estimate
    counts a preloaded pull only for those images.
    """

    source: str
    (
        "What the cache is made from: on GKE a disk image's full id (``projects/<project>/global/images/<name>``), "
        "on EKS the id of an EBS snapshot of a Bottlerocket data volume (``snap-...``)."
    )
    images: list[str] = Field(min_length=1, max_length=50)
    (
        "The image references the cache holds (1-50), exactly as the serving runtimes name them, e.g. "
        "``nvcr.io/nvidia/tritonserver:23.05-py3``; an ``oci://`` model's image may be listed too, as the URI without "
        "``oci://`` (the image KServe's modelcar pulls). Only these count as preloaded in the cold-start estimate."
    )

    @field_validator("images")
    @classmethod
    def _images(cls, v: list[str]) -> list[str]:
        for i, image in enumerate(v):
            if "://" in image:
                # red14h: the list names images as the runtime pulls them; an oci:// model's image without oci://
                raise field_error(
                    str(i),
                    redact_uri(image),
                    "give the image reference without a scheme (an oci:// model's image as the URI without oci://)",
                )
            name, at, digest = image.rpartition("@")
            if at and (not _DIGEST.match(digest) or "@" in name):
                # github.com/distribution/reference reference.go, Grammar: ``reference := name [ ":" tag ]
                # [ "@" digest ]``; an @ elsewhere is userinfo (user:token@host), a credential the plan would store
                raise field_error(
                    str(i),
                    redact_uri(image),
                    "an image reference has @ only before its digest (@sha256:...); give registry/path:tag without a "
                    "user or token (pull credentials go in a Secret)",
                )
            if at and not _GO_DIGEST.match(digest):
                raise field_error(
                    str(i),
                    redact_uri(image),
                    "give the digest as sha256: and 64 lowercase hex characters (or sha384: 96, sha512: 128; "
                    "opencontainers/go-digest)",
                )
            if not _IMAGE_REF.match(image) or not _reference(image):
                raise field_error(
                    str(i),
                    redact_uri(image),
                    "give an image reference such as kserve/sklearnserver:v0.20.0 (distribution/reference: a "
                    "lowercase repository, at most one :tag, an optional @digest)",
                )
        return v


class GpuPoolSpec(Spec):
    """One GPU node pool (a value of ``cluster.gpuPools``; the key is the pool name)."""

    accelerator: str
    """Catalog accelerator of the nodes, e.g. ``nvidia-l4`` (docs/catalog.md); the stack's cloud must offer it."""
    gpus_per_node: int = Field(1, ge=1, le=16)
    """GPUs per node (1-16); the catalog must have a machine with that many of the accelerator on the stack's cloud."""
    min_nodes: int = Field(0, ge=0, le=1000)
    (
        "Fewest nodes the pool keeps (0-1000); 0 scales the pool to zero. Karpenter pools on EKS "
        "(``aws.gpuProvisioner: karpenter``) accept only 0."
    )
    max_nodes: int = Field(le=1000)
    """Most nodes the pool may grow to (1-1000, at least ``minNodes``)."""
    spot: bool = False
    """Run the pool on spot (preemptible) capacity instead of on-demand."""
    sharing: GpuSharing = Field(default_factory=lambda: GpuSharing.model_validate({}))
    """How pods share a GPU on this pool's nodes."""
    disk_size_gib: int = Field(200, ge=50, le=16384)
    """Boot disk of each node in GiB (50-16384); it holds container images and downloaded models."""
    image_cache: ImageCache | None = None
    (
        "Serving images preloaded on the pool's new nodes (GKE secondary boot disk; EKS with Karpenter: Bottlerocket "
        "nodes whose data volume is made from a snapshot); none by default."
    )

    @field_validator("accelerator")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in catalog.ACCELERATORS:
            raise value_error("give one of " + ", ".join(catalog.ACCELERATORS))
        return v

    @model_validator(mode="after")
    def _bounds(self) -> GpuPoolSpec:
        known = mig.MIG_PROFILES.get(self.accelerator, ())
        profile = self.sharing.mig_profile
        if self.sharing.strategy == "mig" and known and profile not in known:
            # the cloud-independent half of components.clusters.mig.mig_profile_problem, so a Python caller's pool
            # is refused where it is built, as the stack path refuses it (an accelerator without MIG is refused
            # per cloud, components/clusters/_common.py)
            raise field_error(
                "sharing.migProfile",
                profile,
                f"{self.accelerator} has the MIG profiles {', '.join(known)} (NVIDIA MIG user guide); give one of them",
            )
        if self.max_nodes < self.min_nodes:
            raise field_error("maxNodes", self.max_nodes, f"give an integer >= minNodes ({self.min_nodes})")
        if self.max_nodes < 1:
            raise field_error("maxNodes", self.max_nodes, "give an integer >= 1 (the most nodes the pool may grow to)")
        return self


class SystemPoolSpec(Spec):
    """The on-demand pool that runs the add-ons (every node carries ``mlplatform.io/pool: system``)."""

    instance_type: str | None = None
    """Machine type of the system nodes. Default: the cloud's system machine in the catalog."""
    min_nodes: int = Field(2, ge=1, le=100)
    """Fewest system nodes (1-100)."""
    max_nodes: int = Field(4, ge=1, le=100)
    """Most system nodes (1-100, at least ``minNodes``)."""

    @model_validator(mode="after")
    def _bounds(self) -> SystemPoolSpec:
        if self.max_nodes < self.min_nodes:
            raise field_error("maxNodes", self.max_nodes, f"give an integer >= minNodes ({self.min_nodes})")
        return self


class ApiAccess(Spec):
    """Who may reach the Kubernetes API endpoint, and from where ``pulumi up`` reaches it."""

    public_cidrs: list[str] = []
    (
        "Public IPv4 CIDRs allowed to reach a public API endpoint (at most 50 on gcp, 200 on azure); empty keeps the "
        "endpoint private only. Private and special-purpose ranges and IPv6 are refused; ``0.0.0.0/0`` is refused "
        "unless ``allowWorld: true``."
    )
    allow_world: bool = False
    """Accept ``0.0.0.0/0`` in ``publicCidrs`` (the policy pack still flags it)."""
    deploy_from: list[str] = []
    (
        "Public egress CIDRs of the machine that runs ``pulumi up``/``destroy`` (a laptop's VPN range, a CI runner's "
        "NAT address): public IPv4 ranges only. Required on aws, gcp and azure; each must lie inside ``publicCidrs``, "
        "because the Kubernetes "
        "resources of the same ``up`` are created through the API endpoint (docs/deploying.md)."
    )

    @field_validator("public_cidrs", "deploy_from")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        for cidr in v:
            try:
                net = ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise value_error(f"{cidr!r} is not a CIDR; give CIDRs such as 203.0.113.0/24") from None
            if problem := _public_cidr_problem(net):
                raise value_error(f"{cidr!r} {problem}")
        if problem := repeated_cidr_problem(v):
            raise value_error(problem)
        return v

    @model_validator(mode="after")
    def _world(self) -> ApiAccess:
        if WORLD in self.public_cidrs and not self.allow_world:
            raise field_error(
                "publicCidrs", WORLD, "opening the API to the world needs allowWorld: true; give your office/VPN CIDRs"
            )
        world = covers_world(self.public_cidrs)
        if world is not None and not self.allow_world:
            raise field_error(
                "publicCidrs",
                ", ".join(self.public_cidrs),
                f"together these cover {world}, the whole internet; opening the API to the world needs allowWorld: "
                "true; give your office/VPN CIDRs",
            )
        return self


DOCUMENTATION_NETS = tuple(ipaddress.IPv4Network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))
"""TEST-NET-1/2/3 (RFC 5737), reserved for examples: accepted as placeholders (the shipped stacks use
203.0.113.0/24), although no machine's egress address lies in them."""


def repeated_cidr_problem(cidrs: Sequence[str]) -> str | None:
    """Why a CIDR list names an address range twice: the same CIDR twice, or one inside another already listed. Each
    entry counts against the cloud's allow-list limit (:data:`MAX_PUBLIC_CIDRS`) and adds nothing; a repeat is most
    often a typo for another range."""
    nets = [ipaddress.ip_network(c, strict=False) for c in cidrs]
    for i, net in enumerate(nets):
        for j, other in enumerate(nets):
            if i == j or net.version != other.version:
                continue
            if net == other and j < i:
                return f"{cidrs[i]!r} is given twice; give each CIDR once"
            if net != other and net.subnet_of(other):  # type: ignore[arg-type]
                return f"{cidrs[i]!r} lies inside {cidrs[j]!r}, also given; give the larger one only"
    return None


PRIVATE_NETS = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
"""Ranges a cluster's own network may use: RFC 1918 private space and RFC 6598 shared space (100.64.0.0/10, which GKE
lists among valid internal ranges). A VPC or VNet in public space is allowed by the clouds ("You can create a VPC
with a publicly routable CIDR block that falls outside of the private IPv4 address ranges specified in RFC 1918",
docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html, which recommends RFC 1918), but traffic to those
addresses then stays inside the network: the cluster could no longer reach the real hosts there (a registry, a model
hub, an identity provider), and nothing in the stack says which hosts those are. Refused here."""


def private_range_problem(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str | None:
    """Why ``net`` cannot be (part of) the cluster's own network: not inside :data:`PRIVATE_NETS`."""
    if net.version == 4 and any(net.subnet_of(p) for p in PRIVATE_NETS):  # type: ignore[arg-type]
        return None
    return (
        "give a private range inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10: a public range in "
        "the cluster's network hides the real hosts at those addresses from the cluster"
    )


def _public_cidr_problem(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str | None:
    """Why ``net`` cannot be where an API endpoint sees a client come from: IPv6, or not globally routable.

    An API endpoint's allow-list sees the public source address of a connection, so a private (RFC 1918), shared
    (100.64.0.0/10), loopback or other special-purpose range (``ipaddress``'s ``is_global``, IANA's special-purpose
    registry) never matches; EKS refuses them outright ("These CIDR blocks can't include reserved addresses", AWS
    knowledge center, repost.aws/knowledge-center/eks-lock-api-access-IP-addresses). IPv4 only: AKS takes IPv4
    authorized ranges only (Azure/azure-cli-extensions#675, "should be list of IPv4 addresses or CIDRs"); EKS takes
    IPv6 ``publicAccessCidrs`` only on IPv6 clusters made after October 2024 ("You can't add IPv6 CIDR blocks to IPv4
    clusters", EKS API ``VpcConfigRequest.publicAccessCidrs``), and the clusters here are IPv4; no source was found
    that GKE authorized networks take IPv6."""
    if net.version != 4:
        return "is IPv6; give IPv4 CIDRs (the clusters' API allow-lists take IPv4)"
    if str(net) == WORLD or any(net.subnet_of(d) for d in DOCUMENTATION_NETS):  # type: ignore[arg-type]
        return None
    if not net.is_global:
        return "is not a public (globally routable) range; give the public egress CIDRs the API endpoint sees"
    return None


MAX_PUBLIC_CIDRS: Mapping[str, int] = clouds.View(lambda c: c.max_public_cidrs)
"""Most API allow-list entries each cloud takes (:attr:`components.clouds.Cloud.max_public_cidrs`, with sources)."""


def covers_world(cidrs: Sequence[str]) -> str | None:
    """``0.0.0.0/0`` or ``::/0`` when ``cidrs`` together cover all of IPv4 or IPv6 (``0.0.0.0/1`` and
    ``128.0.0.0/1`` do), else None."""
    nets = [ipaddress.ip_network(c, strict=False) for c in cidrs]
    for version, world in ((4, "0.0.0.0/0"), (6, "::/0")):
        merged = list(ipaddress.collapse_addresses(n for n in nets if n.version == version))  # type: ignore[type-var]
        if any(n.prefixlen == 0 for n in merged):
            return world
    return None


class ExistingSpec(Spec):
    """How to reach a cluster that exists (cloud ``existing``)."""

    kubeconfig: str | None = None
    (
        "Path to the kubeconfig file. Default: ``$KUBECONFIG``, else ``~/.kube/config``. A path only: inline "
        "kubeconfig content or a URL is refused (it holds credentials, which would sit in plain text in the stack "
        "file and the state)."
    )
    context: str | None = None
    """Kubeconfig context to use. Default: the file's current context."""
    zones: int = Field(1, ge=1, le=10)
    """How many zones the cluster's nodes span (1-10); reported in the cluster's outputs."""
    network_policy: Literal["enforced", "not-enforced", "unknown"] = "unknown"
    (
        "Whether the cluster's network plugin enforces Kubernetes NetworkPolicy: ``enforced``, ``not-enforced`` or "
        "``unknown`` (a NetworkPolicy has no effect without a network plugin that implements it: Kubernetes docs, "
        "Network Policies, Prerequisites). Each model's NetworkPolicy keeps its metrics ports to Prometheus; unless "
        "``enforced``, the plan warns that they are open."
    )

    @field_validator("kubeconfig")
    @classmethod
    def _kubeconfig_path(cls, v: str | None) -> str | None:
        # A kubeconfig holds the cluster's credentials (a bearer token, a client key): given inline, or as a URL with
        # user:password@, it would be kept in plain text in the stack file, the plan and the state; a path keeps them
        # in the file, read by the provider at deploy time. Never echoed (components/credentials.py PLAIN_TEXT).
        if v is None:
            return v
        inline = not v.isprintable() or "apiVersion" in v or ": " in v or v.lstrip().startswith("{")
        if inline or "://" in v:
            raise value_error(
                "give the path to a kubeconfig file: inline kubeconfig content or a URL would be stored in plain text "
                "in the stack file and the state (a kubeconfig holds credentials)",
                PLAIN_TEXT,
            )
        return v


class AwsSpec(Spec):
    """AWS-only settings (cloud ``aws``)."""

    vpc_cidr: str = "10.0.0.0/16"
    """IPv4 CIDR of the cluster's VPC, /20 or larger (private and public subnets in every zone)."""
    gpu_provisioner: Literal["karpenter", "node-groups"] = "karpenter"
    (
        "Who starts GPU nodes: ``karpenter`` (NodePools, from zero) or ``node-groups`` (managed node groups with "
        "cluster-autoscaler tags). See docs/gpu-provisioning.md."
    )
    ami_version: str = "latest"
    (
        "AL2023 AMI release Karpenter launches GPU nodes with (``al2023@<amiVersion>``): ``latest`` drifts to each new "
        "AMI; pin a release such as ``v20251120`` in production."
    )

    bottlerocket_version: str = "latest"
    (
        "Bottlerocket release Karpenter launches the GPU nodes of a pool with an ``imageCache`` with "
        "(``bottlerocket@<bottlerocketVersion>``, NVIDIA variant): ``latest`` drifts to each new release; pin one "
        "such as ``v1.44.0`` in production."
    )

    @field_validator("bottlerocket_version")
    @classmethod
    def _bottlerocket_version(cls, v: str) -> str:
        # the CRD's alias examples: "bottlerocket@v1.10.0" (EC2NodeClass v1 amiSelectorTerms.alias)
        if v != "latest" and not re.fullmatch(r"v[0-9]+\.[0-9]+\.[0-9]+", v, re.ASCII):
            raise value_error("give latest or a Bottlerocket release such as v1.44.0")
        return v

    @field_validator("ami_version")
    @classmethod
    def _ami_version(cls, v: str) -> str:
        if v != "latest" and not re.fullmatch(r"v[0-9]{8}", v, re.ASCII):
            raise value_error("give latest or an EKS AL2023 AMI release such as v20251120")
        return v

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        try:
            net = ipaddress.ip_network(v, strict=True)
        except ValueError:
            raise value_error("give a private IPv4 CIDR such as 10.0.0.0/16") from None
        if net.version != 4:
            raise value_error("give an IPv4 CIDR such as 10.0.0.0/16 (a VPC's primary block is IPv4)")
        if net.prefixlen < 16:
            # "The smallest VPC you can create uses a /28 netmask, and the largest uses a /16 netmask" (EC2 CreateVpc,
            # https://docs.aws.amazon.com/sdkfornet/latest/apidocs/items/TEC2CreateVpcRequestNET45.html).
            raise value_error("give a CIDR from /16 to /20: AWS VPCs are at most /16")
        if net.prefixlen > 20:
            raise value_error("give a CIDR of /20 or larger so private and public subnets fit in 3 zones")
        if problem := private_range_problem(net):
            raise value_error(problem)
        return v


class GcpSpec(Spec):
    """GCP-only settings (cloud ``gcp``; ``project`` is required there)."""

    project: str
    """Google Cloud project id the cluster and its network are created in."""
    network_cidr: str = "10.10.0.0/20"
    """Primary IPv4 range of the node subnet."""
    pods_cidr: str = "10.16.0.0/14"
    """Secondary IPv4 range of the subnet for pods."""
    services_cidr: str = "10.20.0.0/20"
    """Secondary IPv4 range of the subnet for Services."""
    master_cidr: str = "172.16.0.32/28"
    """Private /28 range of the GKE control plane."""
    release_channel: Literal["RAPID", "REGULAR", "STABLE"] = "REGULAR"
    """GKE release channel: ``RAPID``, ``REGULAR`` or ``STABLE``."""

    @field_validator("project")
    @classmethod
    def _project(cls, v: str) -> str:
        if not GCP_PROJECT_ID.match(v):
            raise value_error(
                "give a project id: 6-30 lowercase letters, digits and '-', starting with a letter, not ending with "
                "'-' (https://cloud.google.com/resource-manager/reference/rest/v1/projects)"
            )
        return v

    @field_validator("network_cidr", "pods_cidr", "services_cidr", "master_cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        try:
            net = ipaddress.ip_network(v, strict=True)
        except ValueError:
            raise value_error("give a private IPv4 CIDR such as 10.10.0.0/20") from None
        if problem := private_range_problem(net):
            raise value_error(problem)
        return v

    @field_validator("master_cidr")
    @classmethod
    def _master_28(cls, v: str) -> str:
        # "it must be a /28 subnet" (GKE masterIpv4CidrBlock; hashicorp/terraform-provider-google
        # google/services/container/resource_container_cluster.go validates it with IsCIDRNetwork(28, 28), and
        # pulumi-gcp, built from it, refuses any other size).
        if ipaddress.ip_network(v).prefixlen != 28:
            raise value_error("give a /28 range such as 172.16.0.32/28 (GKE's control-plane range is a /28)")
        return v

    @model_validator(mode="after")
    def _disjoint(self) -> GcpSpec:
        """The subnet's ranges and the control plane's never overlap: a subnet's secondary ranges "must be unique and
        non-overlapping with all primary and secondary IP ranges within a network" (Compute API,
        SubnetworkSecondaryRange.ipCidrRange, cloud.google.com/python/docs/reference/google-cloud-compute-v1beta/
        latest/google.cloud.compute_v1beta.types.SubnetworkSecondaryRange), and the control plane's range "must not
        overlap with any other ranges in use within the cluster's network" (masterIpv4ReservedRange,
        cloud.google.com/python/docs/reference/composer/1.7.0/google.cloud.orchestration.airflow.service_v1beta1.types.
        PrivateClusterConfig)."""
        ranges = {
            "networkCidr": self.network_cidr,
            "podsCidr": self.pods_cidr,
            "servicesCidr": self.services_cidr,
            "masterCidr": self.master_cidr,
        }
        keys = list(ranges)
        for i, key in enumerate(keys):
            for other in keys[:i]:
                if ipaddress.ip_network(ranges[key]).overlaps(ipaddress.ip_network(ranges[other])):
                    raise field_error(
                        key, ranges[key], f"it overlaps {other} ({ranges[other]}); give a range of its own"
                    )
        return self


AKS_SERVICE_CIDR = "172.16.0.0/16"
"""The Kubernetes Service CIDR of the AKS clusters (``networkProfile.serviceCidr``, components/clusters/aks.py): the
VNet range (:attr:`AzureSpec.vnet_cidr`) may not overlap it."""


class AzureSpec(Spec):
    """Azure-only settings (cloud ``azure``)."""

    resource_group: str | None = None
    """Resource group to create the cluster in (it must exist). Default: a new one named ``<cluster name>-rg``."""
    tier: Literal["free", "standard", "premium"] = "standard"
    """AKS pricing tier of the control plane: ``free``, ``standard`` or ``premium``."""
    vnet_cidr: str = "10.20.0.0/16"
    (
        "IPv4 CIDR of the cluster's VNet, /24 or larger; the node subnet is its first block 16 times smaller (a /20 of "
        "the default /16)."
    )
    storage_resource_group: str | None = None
    (
        "Resource group of the storage accounts models read from (model identities get blob read there). Required "
        "when a model reads Azure blob storage and ``resourceGroup`` is not set (the stack's own new resource group "
        "holds no storage account); else defaults to ``resourceGroup``."
    )

    admin_group_ids: list[str] = []
    (
        'Entra ID group object ids granted "Azure Kubernetes Service RBAC Cluster Admin" on the cluster, besides the '
        "identity that runs ``pulumi up`` (always granted)."
    )
    deployer_principal_type: Literal["User", "ServicePrincipal"] = "User"
    (
        "What the identity that runs ``pulumi up`` is: ``User`` (``az login`` as a person) or ``ServicePrincipal`` "
        "(a CI service principal or managed identity). Its cluster-admin role assignment names this type, and Azure "
        "refuses a type that is not the principal's (UnmatchedPrincipalType). Default: ``User``."
    )

    @field_validator("admin_group_ids")
    @classmethod
    def _guids(cls, v: list[str]) -> list[str]:
        for gid in v:
            if not re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", gid):
                raise value_error(f"{gid!r} is not an object id; give group object ids (GUIDs)")
        return v

    @field_validator("resource_group", "storage_resource_group")
    @classmethod
    def _rg_name(cls, v: str | None) -> str | None:
        if v is not None and not AZURE_RESOURCE_GROUP.match(v):
            raise value_error(
                "give 1-90 letters, digits, '_', '-', '.', '(' or ')', not ending with '.' (Azure's resource group "
                "rule, learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules)"
            )
        return v

    @field_validator("vnet_cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        try:
            net = ipaddress.ip_network(v, strict=True)
        except ValueError:
            raise value_error("give a private IPv4 CIDR such as 10.20.0.0/16") from None
        if net.prefixlen > 24:
            raise value_error("give a CIDR of /24 or larger so the node subnet fits")
        if problem := private_range_problem(net):
            raise value_error(problem)
        if net.overlaps(ipaddress.ip_network(AKS_SERVICE_CIDR)):
            # AKS: the service CIDR "must not overlap with any Subnet IP ranges" (AKS networking configuration,
            # https://learn.microsoft.com/javascript/api/@azure/arm-machinelearning/aksnetworkingconfiguration).
            raise value_error(f"give a range outside {AKS_SERVICE_CIDR}, the cluster's Kubernetes Service CIDR")
        return v


class ClusterSpec(Spec):
    """``mlplatform:cluster``: the Kubernetes cluster and its node pools."""

    name: str | None = None
    (
        "The cloud's cluster name: 1-40 lowercase letters, digits and '-', starting with a letter. Default: "
        "``mlp-<stack>``. Not used on cloud existing."
    )
    kubernetes_version: str = KUBERNETES_VERSION
    (
        "Kubernetes minor of the control plane; quote it in YAML (1.30 unquoted reads as 1.3). Checked against the "
        "add-ons' compatibility table."
    )
    zones: int = Field(default=3, ge=2, le=3)
    """How many zones the worker nodes span: 2 or 3."""
    api_access: ApiAccess = Field(default_factory=ApiAccess)
    """Who may reach the Kubernetes API endpoint."""
    system_pool: SystemPoolSpec = Field(default_factory=lambda: SystemPoolSpec.model_validate({}))
    """The on-demand node pool that runs the add-ons."""
    gpu_pools: dict[str, GpuPoolSpec] = {}
    (
        "GPU node pools by name (1-12 lowercase letters and digits, starting with a letter). Not allowed on cloud "
        "existing."
    )
    key_generation: int = Field(default=1, ge=1, le=99)
    (
        "Generation (1-99) in the names of the secrets-encryption keys: the GKE KMS key ring and key, the AKS Key "
        "Vault (1 keeps the names stacks had before this setting; 2 and later change them). GKE key rings and keys "
        "cannot be deleted and a purge-protected Key Vault's name stays reserved for 90 days, so raise it by one after "
        "``pulumi destroy`` before the next ``up`` (docs/deploying.md)."
    )
    deletion_protection: bool | None = None
    (
        "Protect the cluster and its key resources from deletion (Pulumi protect, plus EKS and GKE deletion "
        "protection). Default: true when environment is prod."
    )
    existing: ExistingSpec | None = None
    """How to reach the cluster on cloud existing; refused with another cloud."""
    aws: AwsSpec | None = None
    """AWS-only settings; refused with another cloud."""
    gcp: GcpSpec | None = None
    """GCP-only settings; required with cloud gcp (for ``project``), refused with another cloud."""
    azure: AzureSpec | None = None
    """Azure-only settings; refused with another cloud."""
    versions: dict[str, str] = Field(default_factory=dict)
    (
        "Version overrides of the charts the cluster installs (``karpenter``, ``cluster-autoscaler`` on aws; pinned "
        "in components/versions.py), as quoted strings; checked against the Kubernetes minor (docs/versions.md)."
    )

    @field_validator("versions")
    @classmethod
    def _chart_versions(cls, v: dict[str, str]) -> dict[str, str]:
        for key, version in v.items():
            if key not in CLUSTER_CHARTS:
                raise value_error(f"unknown cluster chart {key!r}; give versions for " + ", ".join(CLUSTER_CHARTS))
            if not isinstance(version, str) or not version:
                raise value_error(f"give {key}'s version as a quoted string")
        return v

    @model_validator(mode="after")
    def _chart_version_forms(self) -> ClusterSpec:
        # always, even with platform.allowUnsupportedVersions: the version is what Helm is asked for
        for key, version in self.versions.items():
            if why := cluster_chart_version_problem(key, version):
                raise field_error(f"versions.{key}", version, why)
        return self

    @field_validator("kubernetes_version", mode="before")
    @classmethod
    def _version(cls, v: object) -> object:
        if isinstance(v, float):
            raise value_error(f'quote it: give a string such as "{KUBERNETES_VERSION}" (YAML reads 1.30 as 1.3)')
        if isinstance(v, str) and not _MINOR.match(v):
            raise value_error(f'give a Kubernetes minor such as "{KUBERNETES_VERSION}"')
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None and not _CLUSTER_NAME.match(v):
            raise value_error(
                "give 1-40 lowercase letters, digits and '-', starting with a letter (GKE's rule, on every cloud)"
            )
        return v

    @field_validator("gpu_pools")
    @classmethod
    def _pool_names(cls, v: dict[str, GpuPoolSpec]) -> dict[str, GpuPoolSpec]:
        for key in v:
            if not _POOL_NAME.match(key):
                raise value_error(
                    f"pool name {key!r}: give 1-12 lowercase letters and digits, starting with a letter "
                    "(AKS's rule for node pools, applied on every cloud)"
                )
        return v


# ------------------------------------------------------------------------------------------------ naming rules
# Each cloud's rules for the tags/labels and names this package puts on resources, as data with their sources. They
# are checked when the stack is read (one line naming the key), so no `pulumi up` stops at the first resource.


TAG_RULES: Mapping[str, TagRule] = clouds.View(lambda c: c.tag_rule)
"""Each cloud's tag rule (:attr:`components.clouds.Cloud.tag_rule`, with its sources)."""
TAG_LIMITS: Mapping[str, tuple[int, int]] = clouds.View(lambda c: (c.tag_rule.key_max, c.tag_rule.value_max))
"""Longest tag key and value each cloud accepts."""

CLUSTER_TAG: Mapping[str, str] = clouds.View(lambda c: c.cluster_tag)
"""The tag naming the cluster on every cloud resource (:attr:`components.clouds.Cloud.cluster_tag`). Azure tag names
may not contain '/'; on GCP the key becomes the label ``mlplatform_io_cluster``."""
PROGRAM_TAGS = 1
"""How many tags the program adds to the stack's (the cluster tag), counted against each cloud's tag limit."""

_GCP_LABEL_BAD = re.compile(r"[^a-z0-9_-]")


def _gcp_label(text: str) -> str:
    """``text`` as components.clusters.gke.gcp_labels turns it into a label key or value."""
    return _GCP_LABEL_BAD.sub("_", text.lower())[:63]


def _shown(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:24]}... ({len(text)} characters)"


def _letter_number_or_separator(c: str) -> bool:
    """Whether ``c`` is in ``\\p{L}``, ``\\p{N}`` or ``\\p{Z}``, the classes of the AWS tagging APIs' pattern
    ``^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$`` (components/clouds.py cites it): a Unicode general category starting with L
    (letters), N (numbers) or Z (Zs space separators, Zl U+2028, Zp U+2029). Not ``str.isspace`` (red14m W4: it admits
    the control characters tab, line feed and U+001C-U+001F, category Cc, which the pattern refuses)."""
    return unicodedata.category(c)[0] in "LNZ"


def tag_problem(cloud: str, key: str, value: str) -> tuple[str, str, str] | None:
    """Why ``key: value`` cannot be a tag on ``cloud``: (key path under ``tags``, value shown, what is accepted)."""
    entry = clouds.get(cloud)
    rule = entry.tag_rule
    where = f" ({rule.source})"
    if not key or len(key) > rule.key_max:
        return "tags", _shown(key), f"give tag keys of 1 to {rule.key_max} characters on {cloud}"
    if len(value) > rule.value_max:
        return f"tags.{key}", _shown(value), f"give at most {rule.value_max} characters on {cloud}"
    if rule.reserved_prefix and key.lower().startswith(rule.reserved_prefix):
        return "tags", key, f"keys starting with {rule.reserved_prefix} are reserved by {entry.title}"
    if rule.reserved_prefix and value.lower().startswith(rule.reserved_prefix):
        return f"tags.{key}", value, f"values starting with {rule.reserved_prefix} are reserved by {entry.title}{where}"
    if bad := sorted({c for c in key if c in rule.key_forbidden}):
        return "tags", key, f"{cloud} tag names may not contain {' '.join(bad)}{where}"
    if rule.allowed_symbols is not None:
        for text, path in ((key, "tags"), (value, f"tags.{key}")):
            if bad := sorted({c for c in text if not (_letter_number_or_separator(c) or c in rule.allowed_symbols)}):
                what = f"{cloud} tags hold letters, digits, spaces and {rule.allowed_symbols} only"
                return path, text, f"{what}, not {' '.join(escape_line(c) for c in bad)}{where}"
    if rule.labels and not _gcp_label(key)[:1].isalpha():
        return "tags", key, f"{entry.title} label keys must start with a letter{where}"
    return None


def tags_problem(cloud: str, tags: Mapping[str, str]) -> tuple[str, str, str] | None:
    """The first tag of ``tags`` that ``cloud`` refuses (see :func:`tag_problem`), keys that become the same GCP
    label, or too many tags with the program's own; None when all pass."""
    for key, value in tags.items():
        if problem := tag_problem(cloud, key, value):
            return problem
    entry = clouds.get(cloud)
    rule = entry.tag_rule
    if len(tags) + PROGRAM_TAGS > rule.max_tags:
        return "tags", f"{len(tags)} tags", f"give at most {rule.max_tags - PROGRAM_TAGS} on {cloud} ({rule.source})"
    cluster_tag = entry.cluster_tag or ""
    if rule.case_insensitive:
        # "Tag names are case-insensitive for operations" (learn.microsoft.com/azure/azure-resource-manager/management/
        # tag-resources#tag-usage-and-recommendations): two names equal but for case are one tag, one value lost.
        names: dict[str, str] = {cluster_tag.casefold(): cluster_tag}
        for key in tags:
            other = names.setdefault(key.casefold(), key)
            if other != key:
                why = f"{entry.title} tag names are case-insensitive: it is the same tag as {other}; rename one"
                return "tags", key, f"{why} ({rule.source})"
    if rule.labels:
        seen: dict[str, str] = {_gcp_label(cluster_tag): cluster_tag}
        for key in tags:
            label = _gcp_label(key)
            if label in seen and seen[label] != key:
                why = f"it becomes the {entry.title} label {label}, as {seen[label]} does; rename one"
                return "tags", key, f"{why} ({rule.source})"
            seen[label] = key
    return None


GCP_PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
"""A Google Cloud project id: 6-30 lowercase letters, digits or hyphens, starting with a letter, no trailing hyphen
(https://cloud.google.com/resource-manager/reference/rest/v1/projects, field projectId)."""
AZURE_RESOURCE_GROUP = re.compile(r"^[-\w.()]{0,89}[-\w()]$")
"""An Azure resource group name: 1-90 letters, digits, '_', '-', '.', '(' or ')', not ending with '.'
(MicrosoftDocs/azure-docs articles/azure-resource-manager/management/resource-name-rules.md, Microsoft.Resources)."""


# ------------------------------------------------------------------------------------------------ API reachability


@dataclass(frozen=True)
class ApiEndpoint:
    """Where a cluster's Kubernetes API answers: a public endpoint open to ``allowed`` (empty: to everyone) when
    ``public``, and a private one inside the cluster's own network when ``private``."""

    public: bool
    allowed: tuple[str, ...]
    private: bool


def api_endpoint(cloud: str, spec: ClusterSpec) -> ApiEndpoint:
    """The endpoint each managed cloud renders from ``spec.apiAccess`` (EKS, GKE and AKS build theirs from this):
    public, limited to ``publicCidrs``, when ``publicCidrs`` is not empty; a private endpoint always on EKS and GKE,
    and on AKS only without a public one (an AKS private cluster has no public endpoint, a public one no private)."""
    cidrs = tuple(spec.api_access.public_cidrs)
    private = clouds.get(cloud).private_endpoint_with_public or not cidrs
    return ApiEndpoint(public=bool(cidrs), allowed=cidrs, private=private)


def unreachable(endpoint: ApiEndpoint, deploy_from: Sequence[str]) -> str | None:
    """Why a deploy machine whose egress addresses lie in ``deploy_from`` cannot reach ``endpoint``, or None.

    The machine is outside the cluster's network (this stack creates that network, so nothing of the user's is in
    it at the first ``up``): only a public endpoint whose allow-list holds every one of its CIDRs answers it.
    """
    if not deploy_from:
        return "the stack does not say where pulumi up runs from"
    if not endpoint.public:
        return "the API endpoint is private, and the deploy machine is outside the network this stack creates"
    for cidr in deploy_from:
        net = ipaddress.ip_network(cidr, strict=False)
        if endpoint.allowed and not any(_inside(net, a) for a in endpoint.allowed):
            return f"{cidr} is not inside the endpoint's allowed CIDRs ({', '.join(endpoint.allowed)})"
    return None


def _inside(net: ipaddress.IPv4Network | ipaddress.IPv6Network, cidr: str) -> bool:
    outer = ipaddress.ip_network(cidr, strict=False)
    return net.version == outer.version and net.subnet_of(outer)  # type: ignore[arg-type]


def api_access_problem(cloud: str, spec: ClusterSpec) -> tuple[str, Any, str] | None:
    """Why the deploy machine of a managed-cluster stack cannot reach its API: (key path, value, what to give)."""
    access = spec.api_access
    guide = "docs/deploying.md"
    if not access.deploy_from:
        return (
            "cluster.apiAccess.deployFrom",
            "not set",
            "give the public egress CIDRs of the machine that runs pulumi up (e.g. [203.0.113.0/24]) and allow them "
            f"in cluster.apiAccess.publicCidrs: the same up creates Kubernetes resources through the API ({guide})",
        )
    cap = MAX_PUBLIC_CIDRS.get(cloud)
    if cap is not None and len(access.public_cidrs) > cap:
        return (
            "cluster.apiAccess.publicCidrs",
            f"{len(access.public_cidrs)} CIDRs",
            f"give at most {cap} on {cloud} (the cloud's limit on API allow-list entries; docs/deploying.md)",
        )
    why = unreachable(api_endpoint(cloud, spec), access.deploy_from)
    if why is None:
        return None
    if not access.public_cidrs:
        return (
            "cluster.apiAccess.publicCidrs",
            "[] (a private-only API endpoint)",
            f"{why}; list deployFrom's CIDRs here ({guide})",
        )
    outside = next(c for c in access.deploy_from if unreachable(api_endpoint(cloud, spec), [c]))
    return "cluster.apiAccess.deployFrom", outside, f"{why}; add it to cluster.apiAccess.publicCidrs ({guide})"
