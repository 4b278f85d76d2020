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
_POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")


class GpuSharing(Spec):
    """How pods share one GPU. ``strategy``: ``none`` (default), ``time-slicing``, ``mps`` or ``mig``.

    ``maxClientsPerGpu``: pods per GPU for time-slicing/MPS. Default: 2. ``migProfile``: MIG partition such as
    ``1g.10gb``, for ``mig`` (A100/H100/H200 only).
    """

    strategy: Literal["none", "time-slicing", "mps", "mig"] = "none"
    max_clients_per_gpu: int = Field(2, ge=2, le=48)
    mig_profile: str | None = None

    @model_validator(mode="after")
    def _mig_profile(self) -> GpuSharing:
        if self.strategy == "mig" and not self.mig_profile:
            raise field_error("migProfile", None, "give a MIG profile such as 1g.10gb when strategy is mig")
        if self.strategy != "mig" and self.mig_profile:
            raise field_error("migProfile", self.mig_profile, "set it only with strategy: mig")
        return self


class GpuPoolSpec(Spec):
    """One GPU node pool (a value of ``cluster.gpuPools``; the key is the pool name).

    ``accelerator``: catalog name, e.g. ``nvidia-l4``. ``gpusPerNode``: Default 1. ``minNodes``: Default 0 (scale
    from zero). ``maxNodes``: required. ``spot``: Default false. ``diskSizeGib``: Default 200 (images + models).
    """

    accelerator: str
    gpus_per_node: int = Field(1, ge=1, le=16)
    min_nodes: int = Field(0, ge=0, le=1000)
    max_nodes: int = Field(le=1000)
    spot: bool = False
    sharing: GpuSharing = Field(default_factory=lambda: GpuSharing.model_validate({}))
    disk_size_gib: int = Field(200, ge=50, le=16384)

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
    """The on-demand pool that runs the add-ons. ``instanceType``: Default: the cloud's default from the catalog.

    ``minNodes``: Default 2. ``maxNodes``: Default 4.
    """

    instance_type: str | None = None
    min_nodes: int = Field(2, ge=1, le=100)
    max_nodes: int = Field(4, ge=1, le=100)

    @model_validator(mode="after")
    def _bounds(self) -> SystemPoolSpec:
        if self.max_nodes < self.min_nodes:
            raise field_error("maxNodes", self.max_nodes, f"give an integer >= minNodes ({self.min_nodes})")
        return self


class ApiAccess(Spec):
    """Who may reach the Kubernetes API. ``publicCidrs``: Default [] (private endpoint only).

    ``0.0.0.0/0`` is refused unless ``allowWorld: true`` is set too (and the policy pack still flags it).
    """

    public_cidrs: list[str] = []
    allow_world: bool = False

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
    """How to reach a cluster that exists (cloud ``existing``). Default: ``$KUBECONFIG`` and its current context."""

    kubeconfig: str | None = None
    context: str | None = None
    zones: int = Field(1, ge=1, le=10)


class AwsSpec(Spec):
    """AWS-only settings. ``vpcCidr``: Default 10.0.0.0/16. ``gpuProvisioner``: ``karpenter`` (default) or
    ``node-groups`` (managed node groups + cluster-autoscaler tags). ``amiVersion``: the AL2023 AMI release Karpenter
    launches GPU nodes with (``al2023@<amiVersion>``); Default ``latest``, which drifts to each new AMI: pin a
    release such as ``v20251120`` in production."""

    vpc_cidr: str = "10.0.0.0/16"
    gpu_provisioner: Literal["karpenter", "node-groups"] = "karpenter"
    ami_version: str = "latest"

    @field_validator("ami_version")
    @classmethod
    def _ami_version(cls, v: str) -> str:
        if v != "latest" and not re.fullmatch(r"v\d{8}", v):
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
    """GCP-only settings. ``project``: the Google Cloud project id (required on gcp).

    ``networkCidr``: node subnet, Default 10.10.0.0/20. ``podsCidr``: pod secondary range, Default 10.16.0.0/14.
    ``servicesCidr``: service secondary range, Default 10.20.0.0/20. ``masterCidr``: the control plane's private
    /28, Default 172.16.0.32/28. ``releaseChannel``: ``RAPID``, ``REGULAR`` (default) or ``STABLE``.
    """

    project: str
    network_cidr: str = "10.10.0.0/20"
    pods_cidr: str = "10.16.0.0/14"
    services_cidr: str = "10.20.0.0/20"
    master_cidr: str = "172.16.0.32/28"
    release_channel: Literal["RAPID", "REGULAR", "STABLE"] = "REGULAR"

    @field_validator("network_cidr", "pods_cidr", "services_cidr", "master_cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        try:
            ipaddress.ip_network(v, strict=True)
        except ValueError:
            raise value_error("give a private IPv4 CIDR such as 10.10.0.0/20") from None
        return v


class AzureSpec(Spec):
    """Azure-only settings. ``resourceGroup``: Default: one is created. ``tier``: AKS tier, Default ``standard``.

    ``vnetCidr``: Default 10.20.0.0/16 (nodes get its first /20). ``storageResourceGroup``: resource group of the
    storage accounts models read from. Default: the cluster's resource group.
    """

    resource_group: str | None = None
    tier: Literal["free", "standard", "premium"] = "standard"
    vnet_cidr: str = "10.20.0.0/16"
    storage_resource_group: str | None = None

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
    """``mlplatform:cluster``: the Kubernetes cluster and its node pools.

    ``zones``: how many zones the worker nodes span (2 or 3). Default 3. ``deletionProtection``: Default: on when
    the environment is prod.
    """

    name: str | None = None
    kubernetes_version: str = KUBERNETES_VERSION
    zones: int = Field(default=3, ge=2, le=3)
    api_access: ApiAccess = Field(default_factory=ApiAccess)
    system_pool: SystemPoolSpec = Field(default_factory=lambda: SystemPoolSpec.model_validate({}))
    gpu_pools: dict[str, GpuPoolSpec] = {}
    deletion_protection: bool | None = None
    existing: ExistingSpec | None = None
    aws: AwsSpec | None = None
    gcp: GcpSpec | None = None
    azure: AzureSpec | None = None

    @field_validator("kubernetes_version", mode="before")
    @classmethod
    def _version(cls, v: object) -> object:
        if isinstance(v, float):
            raise value_error(f'quote it: give a string such as "{KUBERNETES_VERSION}" (YAML reads 1.30 as 1.3)')
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
