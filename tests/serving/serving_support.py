"""Shared helpers for the ModelService tests: a fake cluster double, handles, and planning one model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.clusters.base import CloudName, GpuPoolInfo, GpuScheduling, LogStore, LogStoreRequest, StorageAccess
from components.plan.engine import PlanResult, Registration
from components.plan.report import kubernetes_objects
from components.platform.handles import PlatformHandles
from components.serving.model_service import ModelService, ModelServiceArgs
from components.serving.spec import ModelSpec
from support import run

ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
AUTHZ = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
REQ_AUTHN = "kubernetes:security.istio.io/v1:RequestAuthentication"
PEER_AUTHN = "kubernetes:security.istio.io/v1:PeerAuthentication"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
SA = "kubernetes:core/v1:ServiceAccount"
SECRET = "kubernetes:core/v1:Secret"
NAMESPACE = "kubernetes:core/v1:Namespace"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
POD_MONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor"
RULES = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
SERVICE = "mlplatform:index:ModelService"

L4_POOL = GpuPoolInfo("l4", "nvidia-l4", 1, "g6.xlarge", 0, 4, False)
L4X4_POOL = GpuPoolInfo("l4x4", "nvidia-l4", 4, "g6.12xlarge", 0, 2, True)


@dataclass
class Grant:
    """One call of ``grant_storage_read``."""

    name: str
    namespace: str
    service_account: str
    storage_uri: str
    parent: pulumi.Resource


class FakeCluster(pulumi.ComponentResource):
    """A KubernetesCluster double: its own provider, GPU pools, and a recorded storage grant."""

    def __init__(self, name: str = "fake", pools: Mapping[str, GpuPoolInfo] | None = None) -> None:
        super().__init__("test:index:FakeCluster", name, None, None)
        self._provider = k8s.Provider(f"{name}-k8s", opts=pulumi.ResourceOptions(parent=self))
        self._gpu = GpuScheduling(pools=dict(pools or {}))
        self.grants: list[Grant] = []
        self.register_outputs({})

    @property
    def cloud(self) -> CloudName:
        return "aws"

    @property
    def provider(self) -> k8s.Provider:
        return self._provider

    @property
    def gpu(self) -> GpuScheduling:
        return self._gpu

    @property
    def system_node_selector(self) -> Mapping[str, str]:
        return {}

    @property
    def zones(self) -> int:
        return 2

    @property
    def cni_bin_dir(self) -> str | None:
        return None

    @property
    def network_policy_enforced(self) -> bool | None:
        return True

    def request_log_store(
        self, name: str, namespace: str, service_account: str, request: LogStoreRequest, parent: pulumi.Resource
    ) -> LogStore:
        return LogStore(sink={"type": "file"}, volume_size=request.volume_size)

    def grant_storage_read(
        self, name: str, namespace: str, service_account: str, storage_uri: str, parent: pulumi.Resource
    ) -> StorageAccess:
        self.grants.append(Grant(name, namespace, service_account, storage_uri, parent))
        role = k8s.core.v1.ConfigMap(
            f"{name}-identity",
            data={"for": f"{namespace}/{service_account}"},
            opts=pulumi.ResourceOptions(parent=parent),
        )
        return StorageAccess(
            service_account_annotations={"identity.test/role": role.id.apply(lambda i: f"role-{i}")},
            service_account_labels={"identity.test/use": "true"},
            pod_labels={"identity.test/pod": "true"},
            identity=role.id.apply(lambda i: f"role-{i}"),
        )


@dataclass
class Planned:
    """A planned model: the recording and the fake cluster it ran on."""

    result: PlanResult
    cluster: FakeCluster | None = None
    services: list[ModelService] = field(default_factory=list)

    def one(self, type_: str, name: str | None = None) -> Registration:
        return self.result.one(type_, name)

    def inputs(self, type_: str, name: str | None = None) -> dict[str, Any]:
        return self.one(type_, name).plain_inputs()

    def predictor(self) -> dict[str, Any]:
        return self.inputs(ISVC)["spec"]["predictor"]  # type: ignore[no-any-return]

    def annotations(self) -> dict[str, str]:
        return self.inputs(ISVC)["metadata"]["annotations"]  # type: ignore[no-any-return]

    def types(self) -> list[str]:
        return [r.type for r in self.result.resources]

    def manifests(self) -> list[dict[str, Any]]:
        """Every Kubernetes object as ``mlplatform plan --manifests`` renders it (secrets as ``[secret]``)."""
        return [obj for _, obj in kubernetes_objects(self.result)]

    def revealed(self) -> list[dict[str, Any]]:
        """Every Kubernetes object with secret values revealed (the SDK marks a Secret's whole stringData secret)."""
        return [{**obj, **reg.plain_inputs()} for reg, obj in kubernetes_objects(self.result)]


SKLEARN: dict[str, Any] = {
    "format": "sklearn",
    "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
    "publicStorage": True,
    "access": {"allowAnonymous": True},
}
JWT = {"issuer": "https://auth.example.com/", "jwksUri": "https://auth.example.com/.well-known/jwks.json"}


def model(**overrides: Any) -> dict[str, Any]:
    """The sklearn sample with ``overrides`` (camelCase keys) merged over it."""
    return {**SKLEARN, **overrides}


def plan(
    spec: Mapping[str, Any],
    *,
    name: str = "iris",
    pools: Mapping[str, GpuPoolInfo] | None = None,
    hf_token: str | None = None,
    outputs: str = "fake",
    **handles: Any,
) -> Planned:
    """Plan one ModelService named ``name`` for ``spec`` on a FakeCluster; ``handles`` override PlatformHandles."""
    holder: dict[str, Any] = {}

    def program() -> None:
        cluster = FakeCluster(pools=pools)
        platform = PlatformHandles(cluster=cluster, domain=handles.pop("domain", "models.example.com"), **handles)
        token = pulumi.Output.secret(hf_token) if hf_token is not None else None
        svc = ModelService(
            name, ModelServiceArgs(platform=platform, spec=ModelSpec.model_validate(spec), hf_token=token)
        )
        holder["cluster"], holder["svc"] = cluster, svc

    result = run(program, outputs=outputs)  # type: ignore[arg-type]
    return Planned(result, holder.get("cluster"), [holder["svc"]] if "svc" in holder else [])
