"""Typed cluster settings (``mlplatform:cluster`` in a stack file), shared by every cluster implementation."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components import catalog
from components.spec import Spec, field_error, value_error
from components.versions import KUBERNETES_VERSION

WORLD = "0.0.0.0/0"
_CLUSTER_NAME = re.compile(r"\A[a-z]([-a-z0-9]{0,38}[a-z0-9])?\Z", re.ASCII)
_MINOR = re.compile(r"\A[0-9]+\.[0-9]+\Z", re.ASCII)
_POOL_NAME = re.compile(r"\A[a-z][a-z0-9]{0,11}\Z", re.ASCII)


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
        if self.strategy == "mig" and not self.mig_profile:
            raise field_error("migProfile", None, "give a MIG profile such as 1g.10gb when strategy is mig")
        if self.strategy != "mig" and self.mig_profile:
            raise field_error("migProfile", self.mig_profile, "set it only with strategy: mig")
        return self


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

    @field_validator("accelerator")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in catalog.ACCELERATORS:
            raise value_error("give one of " + ", ".join(catalog.ACCELERATORS))
        return v

    @model_validator(mode="after")
    def _bounds(self) -> GpuPoolSpec:
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
    """Who may reach the Kubernetes API endpoint."""

    public_cidrs: list[str] = []
    (
        "CIDRs allowed to reach a public API endpoint; empty keeps the endpoint private only. ``0.0.0.0/0`` is refused "
        "unless ``allowWorld: true``."
    )
    allow_world: bool = False
    """Accept ``0.0.0.0/0`` in ``publicCidrs`` (the policy pack still flags it)."""

    @field_validator("public_cidrs")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        for cidr in v:
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise value_error(f"{cidr!r} is not a CIDR; give CIDRs such as 203.0.113.0/24") from None
        return v

    @model_validator(mode="after")
    def _world(self) -> ApiAccess:
        if WORLD in self.public_cidrs and not self.allow_world:
            raise field_error(
                "publicCidrs", WORLD, "opening the API to the world needs allowWorld: true; give your office/VPN CIDRs"
            )
        return self


class ExistingSpec(Spec):
    """How to reach a cluster that exists (cloud ``existing``)."""

    kubeconfig: str | None = None
    """Path to the kubeconfig file. Default: ``$KUBECONFIG``, else ``~/.kube/config``."""
    context: str | None = None
    """Kubeconfig context to use. Default: the file's current context."""
    zones: int = Field(1, ge=1, le=10)
    """How many zones the cluster's nodes span (1-10); reported in the cluster's outputs."""


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
        if net.prefixlen > 20:
            raise value_error("give a CIDR of /20 or larger so private and public subnets fit in 3 zones")
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

    @field_validator("network_cidr", "pods_cidr", "services_cidr", "master_cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        try:
            ipaddress.ip_network(v, strict=True)
        except ValueError:
            raise value_error("give a private IPv4 CIDR such as 10.10.0.0/20") from None
        return v


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
        "Resource group of the storage accounts models read from (model identities get blob read there). Default: the "
        "cluster's resource group."
    )

    @field_validator("vnet_cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        try:
            net = ipaddress.ip_network(v, strict=True)
        except ValueError:
            raise value_error("give a private IPv4 CIDR such as 10.20.0.0/16") from None
        if net.prefixlen > 24:
            raise value_error("give a CIDR of /24 or larger so the node subnet fits")
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


TAG_LIMITS = {"aws": (128, 256), "gcp": (63, 63), "azure": (512, 256), "existing": (63, 63)}
"""Longest tag key and value each cloud accepts (GCP labels are the strictest; existing clusters get GCP's)."""


def tag_problem(cloud: str, key: str, value: str) -> tuple[str, str, str] | None:
    """Why ``key: value`` cannot be a tag on ``cloud``: (key path under ``tags``, value shown, what is accepted)."""
    key_max, value_max = TAG_LIMITS.get(cloud, (128, 256))

    def shown(text: str) -> str:
        return text if len(text) <= 24 else f"{text[:24]}... ({len(text)} characters)"

    if not key or len(key) > key_max:
        return "tags", shown(key), f"give tag keys of 1 to {key_max} characters on {cloud}"
    if len(value) > value_max:
        return f"tags.{key}", shown(value), f"give at most {value_max} characters on {cloud}"
    if cloud == "aws" and key.lower().startswith("aws:"):
        return "tags", key, "keys starting with aws: are reserved by AWS"
    return None
