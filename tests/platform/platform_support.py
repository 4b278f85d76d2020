"""Helpers for the Platform tests: a cluster double with a system pool and GPU pools, planning a Platform on it,
planning every stack file, and reading releases/custom resources out of a plan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.clusters.base import (
    CloudName,
    ClusterDns,
    DnsAccess,
    DnsZone,
    GpuPoolInfo,
    GpuScheduling,
    LogStore,
    LogStoreRequest,
    StorageAccess,
)
from components.plan.engine import PlanResult, Registration
from components.plan.report import helm_releases, kubernetes_objects
from components.platform import Platform, PlatformArgs, PlatformSettings
from support import ROOT, plan_config, run, shared_cache, shipped_plan

RELEASE = "kubernetes:helm.sh/v3:Release"
PLATFORM = "mlplatform:index:Platform"
SYSTEM_SELECTOR = {"mlplatform.io/pool": "system"}
L4_POOL = GpuPoolInfo("l4", "nvidia-l4", 1, "g6.xlarge", 0, 4, False)
LOCAL = {
    "cloud": "existing",
    "environment": "dev",
    "cluster": {"existing": {"context": "kind-test"}},
    "platform": {"domain": "models.example.com"},
    "tags": {"owner": "platform-team"},
}


class FakeCluster(pulumi.ComponentResource):
    """A cluster double: a provider, a system-pool selector, GPU pools and the device plugin/DCGM needs."""

    def __init__(
        self,
        pools: Mapping[str, GpuPoolInfo] | None = None,
        needs_device_plugin: bool = True,
        needs_dcgm_exporter: bool = True,
        selector: Mapping[str, str] | None = None,
        zones: int = 3,
        cni_bin_dir: str | None = None,
        control_plane_managed: bool = True,
        driver_root: str | None = None,
        critical_priority_needs_quota: bool = False,
        kube_proxy_scrapable: bool = True,
        cluster_dns: ClusterDns = "coredns",
        lb_annotation: str | None = None,
    ) -> None:
        super().__init__("test:index:FakeCluster", "fake", None, None)
        self._provider = k8s.Provider("fake-k8s", opts=pulumi.ResourceOptions(parent=self))
        self._gpu = GpuScheduling(
            pools=dict({"l4": L4_POOL} if pools is None else pools),
            needs_device_plugin=needs_device_plugin,
            needs_dcgm_exporter=needs_dcgm_exporter,
            driver_root=driver_root,
            critical_priority_needs_quota=critical_priority_needs_quota,
        )
        self._control_plane_managed = control_plane_managed
        self.dns_grants: list[tuple[str, str, DnsZone]] = []
        self.log_requests: list[tuple[str, str, LogStoreRequest]] = []
        self._selector = dict(SYSTEM_SELECTOR if selector is None else selector)
        self._zones = zones
        self._cni_bin_dir = cni_bin_dir
        self._kube_proxy_scrapable = kube_proxy_scrapable
        self._cluster_dns: ClusterDns = cluster_dns
        self._lb_annotation = lb_annotation

    @property
    def cloud(self) -> CloudName:
        """Pretends to be AWS."""
        return "aws"

    @property
    def provider(self) -> k8s.Provider:
        """The fake provider."""
        return self._provider

    @property
    def gpu(self) -> GpuScheduling:
        """GPU facts given to the double."""
        return self._gpu

    @property
    def system_node_selector(self) -> Mapping[str, str]:
        """The system-pool selector given to the double."""
        return self._selector

    @property
    def zones(self) -> int:
        """Zones given to the double."""
        return self._zones

    @property
    def cni_bin_dir(self) -> str | None:
        """The CNI binary folder given to the double (None: the default)."""
        return self._cni_bin_dir

    @property
    def control_plane_managed(self) -> bool:
        """Whether the double's control plane is the cloud's (default: yes, like EKS/GKE/AKS)."""
        return self._control_plane_managed

    @property
    def network_policy_enforced(self) -> bool | None:
        """The double enforces NetworkPolicy (like EKS/GKE/AKS)."""
        return True

    @property
    def kube_proxy_scrapable(self) -> bool:
        """Whether the double's kube-proxy can be scraped (default: yes)."""
        return self._kube_proxy_scrapable

    @property
    def cluster_dns(self) -> ClusterDns:
        """The double's cluster DNS (default CoreDNS)."""
        return self._cluster_dns

    def load_balancer_annotations(self, idle_timeout_seconds: int) -> Mapping[str, str]:
        """With ``lb_annotation``: that annotation set to the seconds asked (an idle-timeout annotation double)."""
        return {self._lb_annotation: str(idle_timeout_seconds)} if self._lb_annotation else {}

    @property
    def load_balancer_traffic_policy(self) -> str | None:
        """None: the double's load balancer keeps Kubernetes' default (Cluster)."""
        return None

    def grant_storage_read(
        self, name: str, namespace: str, service_account: str, storage_uri: str, parent: pulumi.Resource
    ) -> StorageAccess:
        """No identity."""
        return StorageAccess()

    def request_log_store(
        self, name: str, namespace: str, service_account: str, request: LogStoreRequest, parent: pulumi.Resource
    ) -> LogStore:
        """Records the request and answers like an S3 store with an IRSA role."""
        self.log_requests.append((namespace, service_account, request))
        return LogStore(
            service_account_annotations={"eks.amazonaws.com/role-arn": f"arn:aws:iam::123456789012:role/{name}"},
            sink={"type": "aws_s3", "bucket": request.bucket or "fake-logs", "region": "us-east-1"},
            location=f"s3://{request.bucket or 'fake-logs'}/{request.prefix}/",
            retention_days=request.retention_days,
        )

    def grant_dns_admin(
        self,
        name: str,
        namespace: str,
        service_account: str,
        zone: DnsZone,
        parent: pulumi.Resource,
        record_types: Sequence[str] = (),
        list_zones: bool = True,
    ) -> DnsAccess:
        """Records the grant and answers like an IRSA role (annotation, Route 53 solver, aws provider)."""
        self.dns_grants.append((namespace, service_account, zone))
        arn = f"arn:aws:iam::123456789012:role/{name}"
        return DnsAccess(
            service_account_annotations={"eks.amazonaws.com/role-arn": arn},
            acme_dns01={"route53": {"region": "us-east-1", "hostedZoneID": zone.id}},
            external_dns={"provider": {"name": "aws"}, "extraArgs": [f"--zone-id-filter={zone.id}"]},
        )


def plan_platform(
    settings: Mapping[str, Any] | None = None,
    *,
    environment: str = "dev",
    cluster: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
    slo_alerts: tuple[str, ...] = (),
    request_log_namespaces: tuple[str, ...] = (),
    warm_images: Mapping[str, list[str]] | None = None,
) -> PlanResult:
    """Plan one Platform named ``p`` on a :class:`FakeCluster` (kwargs in ``cluster``)."""
    parsed = PlatformSettings.model_validate(dict(settings or {}))

    def program() -> None:
        fake = FakeCluster(**dict(cluster or {}))
        Platform(
            "p",
            PlatformArgs(
                cluster=fake,
                settings=parsed,
                environment=environment,
                secrets=dict(secrets or {}),
                slo_alerts=slo_alerts,
                request_log_namespaces=request_log_namespaces,
                warm_images=dict(warm_images or {}),
            ),
        )

    return run(program)


def stack_names() -> list[str]:
    """Every stack file in stacks/ (the cloud stacks included as they land)."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))


@cache
def plan_stack_file(stack: str) -> PlanResult:
    """Plan ``stacks/Pulumi.<stack>.yaml`` with the real program, the way ``mlplatform plan`` does."""
    return shipped_plan(stack).result


@shared_cache
def plan_variant(name: str) -> PlanResult:
    """Plan one of :data:`VARIANTS` (configs that exercise what the stack files may not)."""
    return plan_config(VARIANTS[name])


VARIANTS: dict[str, dict[str, Any]] = {
    "local-dev": LOCAL,
    "local-prod-ha": {**LOCAL, "environment": "prod"},
    "standard": {**LOCAL, "platform": {"domain": "models.example.com", "deploymentMode": "Standard"}},
    "standard-keda-prod": {
        **LOCAL,
        "environment": "prod",
        "platform": {"domain": "models.example.com", "deploymentMode": "Standard", "keda": True},
    },
    "no-cni-no-monitoring": {
        **LOCAL,
        "platform": {"domain": "models.example.com", "istioCni": False, "monitoring": {"enabled": False}},
    },
    "gpu-operator-acme": {
        **LOCAL,
        "platform": {
            "domain": "models.example.com",
            "gpuSupport": "gpu-operator",
            "tls": {
                "issuer": "acme",
                "acmeEmail": "ops@mycorp.io",
                "acmeDns01": {"route53": {"region": "us-east-1"}},
            },
        },
    },
}


def platform_children(result: PlanResult) -> list[Registration]:
    """Every resource under the Platform component (direct children)."""
    platform = result.one(PLATFORM)
    return result.children(platform)


def releases(result: PlanResult) -> dict[str, dict[str, Any]]:
    """Helm releases by release name: chart, repository, version, namespace, values."""
    return {str(rel["release"]): rel for _reg, rel in helm_releases(result)}


def release_reg(result: PlanResult, release: str) -> Registration:
    """The registration of the Helm release named ``release``."""
    for reg, rel in helm_releases(result):
        if rel["release"] == release:
            return reg
    raise AssertionError(f"no release {release!r} in {sorted(releases(result))}")


def objects(result: PlanResult, kind: str | None = None) -> list[dict[str, Any]]:
    """Kubernetes objects the Platform declares (not the models'), optionally of one kind."""
    ours = {r.urn for r in platform_children(result)}
    return [obj for reg, obj in kubernetes_objects(result) if reg.urn in ours and (kind is None or obj["kind"] == kind)]


def obj_named(result: PlanResult, kind: str, name: str) -> dict[str, Any]:
    """The one Platform object of ``kind`` named ``name``."""
    found = [o for o in objects(result, kind) if o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind} {name}: found {len(found)}"
    return found[0]
