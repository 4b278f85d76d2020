"""Each rule, passing and failing, built from arguments directly: through the CrossGuard policy objects (the way
``pulumi preview --policy-pack`` calls them, props behind pulumi_policy's unknown-checking proxy) and through the
pure rule (the way ``mlplatform plan`` calls it). Both must agree, finding for finding."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy.pack import build_policies, pack_config
from policy.rules import ALL_RULES, UNKNOWN, Facts, Override, Resource, StackSettings, run_rules

ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
AP = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
RA = "kubernetes:security.istio.io/v1:RequestAuthentication"
PA = "kubernetes:security.istio.io/v1:PeerAuthentication"
GPU_TAINT_K8S = {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}
GPU_TAINT_CLOUD = {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
GPU_LABELS = {"mlplatform.io/accelerator": "nvidia-l4", "mlplatform.io/pool": "l4"}
PROD = Facts(environment="prod")


@dataclass(frozen=True)
class R:
    """A resource in a case."""

    type: str
    props: dict[str, Any]
    name: str = "r"
    protect: bool = False
    provider: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """One rule over some resources, and the message fragments it must report (none = it passes)."""

    id: str
    rule: str
    resources: tuple[R, ...]
    expect: tuple[str, ...] = ()
    facts: Facts = field(default_factory=Facts)


def one(rule: str, type_: str, props: dict[str, Any], *expect: str, facts: Facts | None = None, **kw: Any) -> Case:
    return Case(
        f"{rule}:{type_.rsplit(':', 1)[-1]}:{'fail' if expect else 'pass'}",
        rule,
        (R(type_, props, **kw),),
        tuple(expect),
        facts or Facts(),
    )


def isvc(ns: str = "models", name: str = "m", *, gpu: bool = False, **spec: Any) -> R:
    model: dict[str, Any] = {
        "modelFormat": {"name": "sklearn"},
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False},
        "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
    }
    if gpu:
        model["resources"]["limits"]["nvidia.com/gpu"] = 1
        model["resources"]["requests"]["nvidia.com/gpu"] = 1
    predictor = {"model": model, **spec}
    meta = predictor.pop("metadata", {})
    return R(
        ISVC,
        {
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": {"name": name, "namespace": ns, **meta},
            "spec": {"predictor": predictor},
        },
        name=name,
    )


def k8s(type_: str, ns: str, name: str, spec: dict[str, Any], **meta: Any) -> R:
    return R(type_, {"metadata": {"name": name, "namespace": ns, **meta}, "spec": spec}, name=name)


def deployment(ns: str, pod: dict[str, Any], container_sc: dict[str, Any]) -> R:
    c = {"name": "app", "image": "x:1", "securityContext": container_sc}
    return R(
        "kubernetes:apps/v1:Deployment",
        {"metadata": {"name": "d", "namespace": ns}, "spec": {"template": {"spec": {**pod, "containers": [c]}}}},
    )


JWT_AP = k8s(
    AP,
    "models",
    "m-authz",
    {
        "selector": {"matchLabels": {"serving.kserve.io/inferenceservice": "m"}},
        "action": "ALLOW",
        "rules": [{"from": [{"source": {"requestPrincipals": ["https://issuer/*"]}}]}],
    },
)
OPEN_AP = k8s(AP, "models", "m-authz", {"action": "ALLOW", "rules": [{}]})
JWT_RA = k8s(RA, "models", "m-jwt", {"jwtRules": [{"issuer": "https://issuer", "jwksUri": "https://issuer/jwks"}]})
MESH_STRICT = k8s(PA, "istio-system", "default", {"mtls": {"mode": "STRICT"}})
KARPENTER = "kubernetes:karpenter.sh/v1:NodePool"


def karpenter(taints: list[Any], labels: dict[str, str], limits: dict[str, Any]) -> R:
    return R(
        KARPENTER,
        {
            "metadata": {"name": "l4"},
            "spec": {
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "taints": taints,
                        "requirements": [
                            {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["g6.xlarge"]}
                        ],
                    },
                },
                "limits": limits,
            },
        },
    )


def gke_pool(taints: list[Any], labels: dict[str, str], *, max_nodes: int = 2, mode: str = "GKE_METADATA") -> R:
    return R(
        "gcp:container/nodePool:NodePool",
        {
            "autoscaling": {"totalMinNodeCount": 0, "totalMaxNodeCount": max_nodes},
            "nodeConfig": {
                "machineType": "g2-standard-8",
                "guestAccelerators": [{"type": "nvidia-l4", "count": 1}],
                "taints": taints,
                "labels": labels,
                "workloadMetadataConfig": {"mode": mode},
            },
        },
    )


CASES = [
    # ---- api-endpoint-restricted / api-endpoint-world-opt-in
    one("api-endpoint-restricted", "eks:index:Cluster", {"endpointPublicAccess": False, "endpointPrivateAccess": True}),
    one(
        "api-endpoint-restricted",
        "eks:index:Cluster",
        {"endpointPublicAccess": True, "endpointPrivateAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]},
    ),
    one("api-endpoint-restricted", "eks:index:Cluster", {}, "publicAccessCidrs is not set"),
    one(
        "api-endpoint-restricted",
        "aws:eks/cluster:Cluster",
        {"vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}},
        "allows 0.0.0.0/0",
    ),
    one(
        "api-endpoint-restricted",
        "aws:eks/cluster:Cluster",
        {"vpcConfig": {"publicAccessCidrs": ["0.0.0.0/0"], "endpointPrivateAccess": True}},
        facts=Facts(allow_public_api=True),
    ),
    one(
        "api-endpoint-world-opt-in",
        "aws:eks/cluster:Cluster",
        {"vpcConfig": {"publicAccessCidrs": ["0.0.0.0/0"]}},
        "by this stack's opt-in",
        facts=Facts(allow_public_api=True),
    ),
    one("api-endpoint-world-opt-in", "aws:eks/cluster:Cluster", {"vpcConfig": {"publicAccessCidrs": ["0.0.0.0/0"]}}),
    one(
        "api-endpoint-restricted",
        "gcp:container/cluster:Cluster",
        {"privateClusterConfig": {"enablePrivateNodes": True, "enablePrivateEndpoint": True}},
    ),
    one(
        "api-endpoint-restricted",
        "gcp:container/cluster:Cluster",
        {"masterAuthorizedNetworksConfig": {"cidrBlocks": [{"cidrBlock": "203.0.113.0/24"}]}},
    ),
    one(
        "api-endpoint-restricted",
        "gcp:container/cluster:Cluster",
        {"privateClusterConfig": {}},
        "neither privateClusterConfig.enablePrivateEndpoint nor masterAuthorizedNetworksConfig",
    ),
    one(
        "api-endpoint-restricted",
        "gcp:container/cluster:Cluster",
        {"masterAuthorizedNetworksConfig": {"cidrBlocks": [{"cidrBlock": "0.0.0.0/0"}]}},
        "allows 0.0.0.0/0",
    ),
    one(
        "api-endpoint-restricted",
        "azure-native:containerservice:ManagedCluster",
        {"apiServerAccessProfile": {"enablePrivateCluster": True}},
    ),
    one(
        "api-endpoint-restricted",
        "azure-native:containerservice:ManagedCluster",
        {"apiServerAccessProfile": {"authorizedIPRanges": ["0.0.0.0/0"]}},
        "authorizedIPRanges allows 0.0.0.0/0",
    ),
    one(
        "api-endpoint-restricted",
        "azure-native:containerservice:ManagedCluster",
        {},
        "neither enablePrivateCluster nor authorizedIPRanges",
    ),
    # ---- secrets-encryption
    one("secrets-encryption", "eks:index:Cluster", {"encryptionConfigKeyArn": "arn:aws:kms:us-east-1:1:key/k"}),
    one("secrets-encryption", "eks:index:Cluster", {"encryptionConfigKeyArn": UNKNOWN}),
    one("secrets-encryption", "eks:index:Cluster", {}, "set encryptionConfigKeyArn"),
    one(
        "secrets-encryption",
        "aws:eks/cluster:Cluster",
        {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:k"}}},
    ),
    one(
        "secrets-encryption",
        "aws:eks/cluster:Cluster",
        {"encryptionConfig": {"resources": []}},
        "encryptionConfig needs resources [secrets]",
    ),
    one(
        "secrets-encryption",
        "gcp:container/cluster:Cluster",
        {"databaseEncryption": {"state": "ENCRYPTED", "keyName": "projects/p/locations/l/keyRings/r/cryptoKeys/k"}},
    ),
    one(
        "secrets-encryption",
        "gcp:container/cluster:Cluster",
        {"databaseEncryption": {"state": "DECRYPTED"}},
        "databaseEncryption {state: ENCRYPTED, keyName}",
    ),
    one(
        "secrets-encryption",
        "azure-native:containerservice:ManagedCluster",
        {"securityProfile": {"azureKeyVaultKms": {"enabled": True, "keyId": "https://v/keys/k/1"}}},
    ),
    one(
        "secrets-encryption",
        "azure-native:containerservice:ManagedCluster",
        {"securityProfile": {}},
        "securityProfile.azureKeyVaultKms.enabled",
    ),
    # ---- audit-logs
    one(
        "audit-logs",
        "eks:index:Cluster",
        {"enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"]},
    ),
    one("audit-logs", "eks:index:Cluster", {"enabledClusterLogTypes": ["api"]}, "audit, authenticator"),
    one(
        "audit-logs",
        "gcp:container/cluster:Cluster",
        {"loggingConfig": {"enableComponents": ["SYSTEM_COMPONENTS", "APISERVER"]}},
    ),
    one(
        "audit-logs",
        "gcp:container/cluster:Cluster",
        {"loggingConfig": {"enableComponents": ["SYSTEM_COMPONENTS"]}},
        "must include APISERVER",
    ),
    Case(
        "audit-logs:aks:pass",
        "audit-logs",
        (
            R("azure-native:containerservice:ManagedCluster", {}),
            R("azure-native:monitor:DiagnosticSetting", {"logs": [{"category": "kube-audit-admin", "enabled": True}]}),
        ),
    ),
    one("audit-logs", "azure-native:containerservice:ManagedCluster", {}, "kube-audit"),
    # ---- workload-identity
    one("workload-identity", "eks:index:Cluster", {"createOidcProvider": True}),
    one("workload-identity", "eks:index:Cluster", {"createOidcProvider": False}, "set createOidcProvider: true"),
    one(
        "workload-identity",
        "gcp:container/cluster:Cluster",
        {"workloadIdentityConfig": {"workloadPool": "p.svc.id.goog"}},
    ),
    one("workload-identity", "gcp:container/cluster:Cluster", {}, "workloadIdentityConfig.workloadPool"),
    one(
        "workload-identity",
        "gcp:container/nodePool:NodePool",
        {"nodeConfig": {"workloadMetadataConfig": {"mode": "GCE_METADATA"}}},
        "mode is GCE_METADATA",
    ),
    one(
        "workload-identity",
        "azure-native:containerservice:ManagedCluster",
        {"oidcIssuerProfile": {"enabled": True}, "securityProfile": {"workloadIdentity": {"enabled": True}}},
    ),
    one(
        "workload-identity",
        "azure-native:containerservice:ManagedCluster",
        {"oidcIssuerProfile": {"enabled": True}},
        "securityProfile.workloadIdentity.enabled",
    ),
    # ---- prod-protect-stateful
    one("prod-protect-stateful", "aws:kms/key:Key", {}, facts=PROD, protect=True),
    one("prod-protect-stateful", "aws:kms/key:Key", {}, "register it with protect=True", facts=PROD),
    one("prod-protect-stateful", "aws:kms/key:Key", {}),
    one("prod-protect-stateful", "gcp:container/cluster:Cluster", {"deletionProtection": True}, facts=PROD),
    one(
        "prod-protect-stateful", "azure-native:managedidentity:UserAssignedIdentity", {}, "can be destroyed", facts=PROD
    ),
    # ---- gpu-pool-taint-label
    Case(
        "gpu-pool-taint-label:karpenter:pass",
        "gpu-pool-taint-label",
        (karpenter([GPU_TAINT_K8S], GPU_LABELS, {"nvidia.com/gpu": 4}),),
    ),
    Case(
        "gpu-pool-taint-label:karpenter:fail",
        "gpu-pool-taint-label",
        (karpenter([], {"mlplatform.io/pool": "l4"}, {"nvidia.com/gpu": 4}),),
        ("has no taint nvidia.com/gpu=present:NoSchedule", "lacks node label(s) mlplatform.io/accelerator"),
    ),
    one(
        "gpu-pool-taint-label",
        "eks:index:ManagedNodeGroup",
        {
            "instanceTypes": ["g6.xlarge"],
            "taints": [GPU_TAINT_CLOUD],
            "labels": GPU_LABELS,
            "scalingConfig": {"minSize": 0, "maxSize": 2, "desiredSize": 0},
        },
    ),
    one(
        "gpu-pool-taint-label",
        "eks:index:ManagedNodeGroup",
        {"amiType": "AL2023_x86_64_NVIDIA", "taints": [], "labels": {}},
        "has no taint",
        "lacks node label(s)",
    ),
    one("gpu-pool-taint-label", "eks:index:ManagedNodeGroup", {"instanceTypes": ["m6i.large"]}),
    Case("gpu-pool-taint-label:gke:pass", "gpu-pool-taint-label", (gke_pool([GPU_TAINT_CLOUD], GPU_LABELS),)),
    # Review 5: a GKE GPU pool must declare the taint (GKE adds its own only when a non-GPU pool already runs).
    Case("gpu-pool-taint-label:gke:fail", "gpu-pool-taint-label", (gke_pool([], GPU_LABELS),), ("has no taint",)),
    Case(
        "gpu-pool-taint-label:gke:unlabelled",
        "gpu-pool-taint-label",
        (gke_pool([GPU_TAINT_CLOUD], {}),),
        ("lacks node label",),
    ),
    one(
        "gpu-pool-taint-label",
        "azure-native:containerservice:AgentPool",
        {
            "vmSize": "Standard_NC4as_T4_v3",
            "nodeTaints": ["nvidia.com/gpu=present:NoSchedule"],
            "nodeLabels": GPU_LABELS,
            "enableAutoScaling": True,
            "maxCount": 3,
        },
    ),
    one(
        "gpu-pool-taint-label",
        "azure-native:containerservice:AgentPool",
        {"vmSize": "Standard_NC4as_T4_v3", "nodeLabels": GPU_LABELS},
        "has no taint",
    ),
    one(
        "gpu-pool-taint-label",
        "azure-native:containerservice:ManagedCluster",
        {"agentPoolProfiles": [{"name": "gpu", "vmSize": "Standard_NC4as_T4_v3", "count": 1}]},
        "agent pool profile gpu has no taint",
    ),
    # ---- gpu-budget
    Case(
        "gpu-budget:pass",
        "gpu-budget",
        (
            gke_pool([GPU_TAINT_CLOUD], GPU_LABELS, max_nodes=8),
            karpenter([GPU_TAINT_K8S], GPU_LABELS, {"nvidia.com/gpu": 8}),
        ),
        facts=Facts(max_gpus=16),
    ),
    Case(
        "gpu-budget:fail",
        "gpu-budget",
        (
            gke_pool([GPU_TAINT_CLOUD], GPU_LABELS, max_nodes=8),
            karpenter([GPU_TAINT_K8S], GPU_LABELS, {"nvidia.com/gpu": 9}),
        ),
        ("can grow to 17 GPUs", "over this stack's budget of 16"),
        facts=Facts(max_gpus=16),
    ),
    Case(
        "gpu-budget:unbounded",
        "gpu-budget",
        (karpenter([GPU_TAINT_K8S], GPU_LABELS, {"cpu": 100}),),
        ("no spec.limits nvidia.com/gpu: the pool is unbounded",),
    ),
    one(
        "gpu-budget",
        "azure-native:containerservice:AgentPool",
        {"vmSize": "Standard_NC24ads_A100_v4", "enableAutoScaling": True, "maxCount": 3},
        "over this stack's budget",
        facts=Facts(max_gpus=2),
    ),
    # ---- required-tags
    one("required-tags", "aws:kms/key:Key", {"tags": {"environment": "dev", "owner": "ml"}}),
    one("required-tags", "aws:kms/key:Key", {"tags": {"environment": "dev"}}, "missing required tags owner"),
    one(
        "required-tags",
        "aws:kms/key:Key",
        {"tags": {"environment": "dev"}},
        provider={"defaultTags": '{"tags":{"owner":"ml"}}'},
    ),
    one("required-tags", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", {}),
    one(
        "required-tags",
        "gcp:container/cluster:Cluster",
        {"resourceLabels": {"environment": "dev"}},
        "missing required labels owner (under resourceLabels",
    ),
    one(
        "required-tags",
        "gcp:container/nodePool:NodePool",
        {"nodeConfig": {"resourceLabels": {"environment": "dev", "owner": "ml"}}},
    ),
    one("required-tags", "gcp:serviceaccount/account:Account", {}),
    one(
        "required-tags",
        "gcp:storage/bucket:Bucket",
        {"labels": {"cost-center": "1"}},
        "environment, owner",
        facts=Facts(required_tags=("environment", "owner")),
    ),
    one("required-tags", "azure-native:containerservice:AgentPool", {"tags": {}}, "missing required tags"),
    one("required-tags", "eks:index:Cluster", {"tags": {"environment": "dev", "owner": "ml"}}),
    # ---- helm-version-pinned
    one("helm-version-pinned", "kubernetes:helm.sh/v3:Release", {"chart": "cert-manager", "version": "v1.21.1"}),
    one("helm-version-pinned", "kubernetes:helm.sh/v3:Release", {"chart": "base", "version": "1.30.3"}),
    one("helm-version-pinned", "kubernetes:helm.sh/v3:Release", {"chart": "base"}, "has no version"),
    one(
        "helm-version-pinned",
        "kubernetes:helm.sh/v4:Chart",
        {"chart": "x", "version": "^1.2"},
        "is not an exact version",
    ),
    # ---- no-privileged-containers
    Case(
        "no-privileged:deployment:pass",
        "no-privileged-containers",
        (deployment("models", {"securityContext": {"runAsNonRoot": True}}, {"allowPrivilegeEscalation": False}),),
    ),
    Case(
        "no-privileged:deployment:fail",
        "no-privileged-containers",
        (
            deployment(
                "models",
                {"hostNetwork": True},
                {"privileged": True, "runAsUser": 0, "capabilities": {"add": ["NET_ADMIN"]}},
            ),
        ),
        ("hostNetwork is true", "is privileged", "adds capabilities NET_ADMIN", "runs as UID 0"),
    ),
    Case(
        "no-privileged:root-by-default:fail",
        "no-privileged-containers",
        (deployment("models", {}, {}),),
        ("may run as root",),
    ),
    Case(
        "no-privileged:listed-namespace:pass",
        "no-privileged-containers",
        (deployment("kube-system", {"hostNetwork": True}, {"privileged": True}),),
    ),
    Case(
        "no-privileged:isvc:fail",
        "no-privileged-containers",
        (replace(isvc(), props={**isvc().props, "spec": {"predictor": {"model": {"modelFormat": {"name": "x"}}}}}),),
        ("container model (spec.predictor.model) may run as root",),
    ),
    Case("no-privileged:isvc:pass", "no-privileged-containers", (isvc(),)),
    # ---- privileged-namespaces-listed
    one(
        "privileged-namespaces-listed",
        "kubernetes:core/v1:Namespace",
        {"metadata": {"name": "monitoring", "labels": {"pod-security.kubernetes.io/enforce": "privileged"}}},
    ),
    one(
        "privileged-namespaces-listed",
        "kubernetes:core/v1:Namespace",
        {"metadata": {"name": "models", "labels": {"pod-security.kubernetes.io/enforce": "privileged"}}},
        "namespace models enforces the privileged Pod Security level",
    ),
    # ---- no-load-balancer-services
    one(
        "no-load-balancer-services",
        "kubernetes:core/v1:Service",
        {"metadata": {"name": "istio-ingressgateway", "namespace": "istio-system"}, "spec": {"type": "LoadBalancer"}},
    ),
    one(
        "no-load-balancer-services",
        "kubernetes:core/v1:Service",
        {"metadata": {"name": "grafana", "namespace": "monitoring"}, "spec": {"type": "LoadBalancer"}},
        "Service monitoring/grafana is a LoadBalancer",
    ),
    one(
        "no-load-balancer-services",
        "kubernetes:helm.sh/v3:Release",
        {
            "name": "kube-prometheus-stack",
            "chart": "kube-prometheus-stack",
            "version": "88.5.3",
            "values": {"grafana": {"service": {"type": "LoadBalancer"}}},
        },
        "grafana.service.type: LoadBalancer",
    ),
    one(
        "no-load-balancer-services",
        "kubernetes:helm.sh/v3:Release",
        {
            "name": "istio-ingressgateway",
            "chart": "gateway",
            "version": "1.30.3",
            "values": {"service": {"type": "LoadBalancer"}},
        },
    ),
    # ---- isvc-gpu-scheduling
    Case(
        "isvc-gpu:pass",
        "isvc-gpu-scheduling",
        (
            isvc(
                gpu=True,
                tolerations=[{**GPU_TAINT_K8S, "operator": "Equal"}],
                nodeSelector={"mlplatform.io/accelerator": "nvidia-l4"},
            ),
        ),
    ),
    Case(
        "isvc-gpu:fail",
        "isvc-gpu-scheduling",
        (isvc(gpu=True),),
        ("does not tolerate nvidia.com/gpu=present:NoSchedule", "does not select an accelerator"),
    ),
    Case("isvc-gpu:cpu-model:pass", "isvc-gpu-scheduling", (isvc(),)),
    # ---- model-container-limits
    Case("limits:pass", "model-container-limits", (isvc(),)),
    Case(
        "limits:fail",
        "model-container-limits",
        (
            replace(
                isvc(),
                props={
                    **isvc().props,
                    "spec": {
                        "predictor": {
                            "model": {"resources": {"requests": {"cpu": "1"}, "limits": {"nvidia.com/gpu": 1}}}
                        }
                    },
                },
            ),
        ),
        ("has no resources limits.cpu, limits.memory, requests.memory",),
    ),
    # ---- model-endpoint-auth
    Case("auth:jwt:pass", "model-endpoint-auth", (isvc(), JWT_AP, JWT_RA)),
    Case(
        "auth:open-rule:fail",
        "model-endpoint-auth",
        (isvc(), OPEN_AP, JWT_RA),
        ("public model models/m has no AuthorizationPolicy requiring a request principal",),
    ),
    Case("auth:no-ra:fail", "model-endpoint-auth", (isvc(), JWT_AP), ("has no RequestAuthentication",)),
    Case(
        "auth:anonymous-annotation:pass",
        "model-endpoint-auth",
        (isvc(metadata={"annotations": {"mlplatform.io/allow-anonymous": "true"}}), OPEN_AP),
    ),
    Case(
        "auth:anonymous-config:pass",
        "model-endpoint-auth",
        (isvc(), OPEN_AP),
        facts=Facts(anonymous_models=frozenset({"models/m"})),
    ),
    Case(
        "auth:cluster-local:pass",
        "model-endpoint-auth",
        (isvc(metadata={"labels": {"networking.knative.dev/visibility": "cluster-local"}}),),
    ),
    Case(
        "auth:gateway-policy-for-its-host:pass",
        "model-endpoint-auth",
        (
            isvc(metadata={"annotations": {"mlplatform.io/host": "m-models.example.com"}}),
            k8s(
                AP,
                "istio-system",
                "gw",
                {
                    "selector": {"matchLabels": {"istio": "ingressgateway"}},
                    "rules": [
                        {
                            "from": [{"source": {"requestPrincipals": ["*"]}}],
                            "to": [{"operation": {"hosts": ["m-models.example.com"]}}],
                        }
                    ],
                },
            ),
            k8s(
                RA,
                "istio-system",
                "gw-jwt",
                {"selector": {"matchLabels": {"istio": "ingressgateway"}}, "jwtRules": [{"issuer": "https://issuer"}]},
            ),
        ),
    ),
    Case(
        "auth:gateway-policy-for-another-host:fail",
        "model-endpoint-auth",
        (
            isvc(metadata={"annotations": {"mlplatform.io/host": "m-models.example.com"}}),
            k8s(
                AP,
                "istio-system",
                "gw",
                {
                    "selector": {"matchLabels": {"istio": "ingressgateway"}},
                    "rules": [
                        {
                            "from": [{"source": {"requestPrincipals": ["*"]}}],
                            "to": [{"operation": {"hosts": ["other-models.example.com"]}}],
                        }
                    ],
                },
            ),
        ),
        ("public model models/m has no AuthorizationPolicy",),
    ),
    # Review: Istio allows a request that any ALLOW rule matches; a namespace-wide allow-all beside the model's JWT
    # policy opens it (components/serving/requestpath.py decides the token-less internet request).
    Case(
        "auth:jwt-plus-allow-all:fail",
        "model-endpoint-auth",
        (isvc(), JWT_AP, JWT_RA, k8s(AP, "models", "allow-all", {"action": "ALLOW", "rules": [{}]})),
        ("public model models/m answers a request from the internet without a token, through the public gateway",),
    ),
    Case(
        "auth:allow-all-in-another-namespace:pass",
        "model-endpoint-auth",
        (isvc(), JWT_AP, JWT_RA, k8s(AP, "other", "allow-all", {"action": "ALLOW", "rules": [{}]})),
    ),
    # The access annotation does not make a model internal: KServe publishes it unless the label its mode reads says
    # cluster-local (kserve v0.20.0 ingress_reconciler.go), so its endpoint is judged.
    Case(
        "auth:annotated-internal-but-published:fail",
        "model-endpoint-auth",
        (isvc(metadata={"annotations": {"mlplatform.io/access": "internal"}}), OPEN_AP),
        ("public model models/m has no AuthorizationPolicy requiring a request principal",),
    ),
    Case(
        "auth:internal-cluster-local:pass",
        "model-endpoint-auth",
        (
            isvc(
                metadata={
                    "annotations": {"mlplatform.io/access": "internal"},
                    "labels": {"networking.knative.dev/visibility": "cluster-local"},
                }
            ),
            OPEN_AP,
        ),
    ),
    Case(
        "auth:other-model-policy:fail",
        "model-endpoint-auth",
        (isvc(name="other"), JWT_AP, JWT_RA),
        ("public model models/other",),
    ),
    # ---- mesh-mtls-strict
    Case("mtls:mesh:pass", "mesh-mtls-strict", (isvc(), MESH_STRICT)),
    Case(
        "mtls:namespace-unset-inherits:pass",
        "mesh-mtls-strict",
        (isvc(), MESH_STRICT, k8s(PA, "models", "default", {"mtls": {"mode": "UNSET"}})),
    ),
    Case(
        "mtls:namespace-only:fail",
        "mesh-mtls-strict",
        (isvc(), k8s(PA, "models", "strict", {"mtls": {"mode": "STRICT"}})),
        ("no mesh-wide PeerAuthentication",),
    ),
    Case("mtls:none:fail", "mesh-mtls-strict", (isvc(),), ("no mesh-wide PeerAuthentication",)),
    Case(
        "mtls:mesh-permissive:fail",
        "mesh-mtls-strict",
        (isvc(), k8s(PA, "istio-system", "default", {"mtls": {"mode": "PERMISSIVE"}})),
        ("mesh-wide PeerAuthentication istio-system/default mode is PERMISSIVE",),
    ),
    Case(
        "mtls:mesh-unset:fail",
        "mesh-mtls-strict",
        (isvc(), k8s(PA, "istio-system", "default", {})),
        ("mode is UNSET (PERMISSIVE)",),
    ),
    Case(
        "mtls:mesh-empty-matchlabels-is-mesh-wide:fail",
        "mesh-mtls-strict",
        (isvc(), k8s(PA, "istio-system", "default", {"selector": {"matchLabels": {}}, "mtls": {"mode": "DISABLE"}})),
        ("mode is DISABLE",),
    ),
    Case(
        "mtls:namespace-permissive-not-models:fail",
        "mesh-mtls-strict",
        (isvc(), MESH_STRICT, k8s(PA, "knative-serving", "default", {"mtls": {"mode": "PERMISSIVE"}})),
        ("sets namespace knative-serving to PERMISSIVE",),
    ),
    Case(
        "mtls:workload-port-outside-models:pass",
        "mesh-mtls-strict",
        (
            isvc(),
            MESH_STRICT,
            k8s(
                PA,
                "knative-serving",
                "activator-metrics",
                {
                    "selector": {"matchLabels": {"app": "activator"}},
                    "mtls": {"mode": "STRICT"},
                    "portLevelMtls": {"9090": {"mode": "PERMISSIVE"}},
                },
            ),
        ),
    ),
    Case(
        "mtls:permissive:fail",
        "mesh-mtls-strict",
        (isvc(), MESH_STRICT, k8s(PA, "models", "loose", {"mtls": {"mode": "PERMISSIVE"}})),
        ("PeerAuthentication models/loose sets namespace models to PERMISSIVE",),
    ),
    Case(
        "mtls:workload-permissive-in-models:fail",
        "mesh-mtls-strict",
        (
            isvc(),
            MESH_STRICT,
            k8s(PA, "models", "m", {"selector": {"matchLabels": {"app": "m"}}, "mtls": {"mode": "PERMISSIVE"}}),
        ),
        ("PeerAuthentication models/m weakens mTLS below STRICT in model namespace",),
    ),
    Case(
        "mtls:two-namespace-wide:fail",
        "mesh-mtls-strict",
        (
            isvc(),
            MESH_STRICT,
            k8s(PA, "models", "a", {"mtls": {"mode": "STRICT"}}),
            k8s(PA, "models", "b", {"mtls": {"mode": "STRICT"}}),
        ),
        ("namespace models has 2 namespace-wide PeerAuthentications (a, b): Istio keeps only the oldest",),
    ),
    # ---- prod-model-replicas
    Case("replicas:prod:pass", "prod-model-replicas", (isvc(minReplicas=2),), facts=PROD),
    Case(
        "replicas:prod:fail",
        "prod-model-replicas",
        (isvc(minReplicas=0),),
        ("keeps minReplicas 0 on a prod stack",),
        facts=PROD,
    ),
    Case("replicas:prod-unset:fail", "prod-model-replicas", (isvc(),), ("unset (KServe's default is 1)",), facts=PROD),
    Case("replicas:dev:pass", "prod-model-replicas", (isvc(minReplicas=0),)),
    # ---- imdsv2-required
    one(
        "imdsv2-required",
        "aws:ec2/launchTemplate:LaunchTemplate",
        {"metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1}},
    ),
    one(
        "imdsv2-required",
        "aws:ec2/launchTemplate:LaunchTemplate",
        {"metadataOptions": {"httpTokens": "optional", "httpPutResponseHopLimit": 2}},
        "httpTokens is optional",
        "httpPutResponseHopLimit is 2",
    ),
    one(
        "imdsv2-required",
        "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
        {"spec": {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1}}},
    ),
    one(
        "imdsv2-required",
        "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
        {"spec": {"amiFamily": "AL2023"}},
        "spec.metadataOptions.httpTokens is unset",
    ),
    # ---- kms-key-rotation
    one("kms-key-rotation", "aws:kms/key:Key", {"enableKeyRotation": True}),
    one("kms-key-rotation", "aws:kms/key:Key", {}, "set enableKeyRotation: true"),
    one("kms-key-rotation", "gcp:kms/cryptoKey:CryptoKey", {"rotationPeriod": "7776000s"}),
    one("kms-key-rotation", "gcp:kms/cryptoKey:CryptoKey", {}, "no rotationPeriod"),
    one(
        "keyvault-key-rotation",
        "azure-native:keyvault:Key",
        {
            "properties": {
                "rotationPolicy": {
                    "lifetimeActions": [{"action": {"type": "rotate"}, "trigger": {"timeAfterCreate": "P90D"}}]
                }
            }
        },
    ),
    one("keyvault-key-rotation", "azure-native:keyvault:Key", {"properties": {"kty": "RSA"}}, "no rotationPolicy"),
    # ---- pdb-allows-eviction
    one(
        "pdb-allows-eviction",
        "kubernetes:policy/v1:PodDisruptionBudget",
        {"metadata": {"name": "p", "namespace": "models"}, "spec": {"maxUnavailable": 1}},
    ),
    one(
        "pdb-allows-eviction",
        "kubernetes:policy/v1:PodDisruptionBudget",
        {"metadata": {"name": "p", "namespace": "models"}, "spec": {"maxUnavailable": 0}},
        "PodDisruptionBudget models/p sets maxUnavailable 0",
    ),
    one(
        "pdb-allows-eviction",
        "kubernetes:policy/v1:PodDisruptionBudget",
        {"metadata": {"name": "p", "namespace": "models"}, "spec": {"minAvailable": "100%"}},
        "minAvailable 100%",
    ),
    # ---- model-namespace-pod-security
    Case(
        "ns-pss:pass",
        "model-namespace-pod-security",
        (
            isvc(),
            R(
                "kubernetes:core/v1:Namespace",
                {"metadata": {"name": "models", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}},
            ),
        ),
    ),
    Case(
        "ns-pss:fail",
        "model-namespace-pod-security",
        (
            isvc(),
            R(
                "kubernetes:core/v1:Namespace",
                {"metadata": {"name": "models", "labels": {"pod-security.kubernetes.io/warn": "restricted"}}},
            ),
        ),
        ("model namespace models enforces Pod Security level none",),
    ),
    Case(
        "ns-pss:other-namespace:pass",
        "model-namespace-pod-security",
        (isvc(), R("kubernetes:core/v1:Namespace", {"metadata": {"name": "apps"}})),
    ),
]

# ------------------------------------------------------------------------------------------------ issue 17: boundaries
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
PROVIDER_ARN = f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SA = "kubernetes:core/v1:ServiceAccount"
REL = "kubernetes:helm.sh/v3:Release"
PDB_T = "kubernetes:policy/v1:PodDisruptionBudget"


def trust(
    condition: dict[str, Any], federated: Any = PROVIDER_ARN, action: Any = "sts:AssumeRoleWithWebIdentity"
) -> str:
    st = {"Effect": "Allow", "Principal": {"Federated": federated}, "Action": action, "Condition": condition}
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


GOOD_COND = {
    "StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:models:m-sa", f"{ISSUER}:aud": "sts.amazonaws.com"}
}


def irsa(condition: dict[str, Any], *expect: str, **kw: Any) -> Case:
    return Case(
        f"trust:irsa:{'fail' if expect else 'pass'}:{expect[0][:30] if expect else json.dumps(condition)[:40]}",
        "workload-identity-trust",
        (R(ROLE, {"name": "m-read", "assumeRolePolicy": trust(condition, **kw)}),),
        expect,
    )


def s3(statement: dict[str, Any], *expect: str) -> Case:
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]})
    return Case(
        f"storage:s3:{'fail' if expect else 'pass'}:{json.dumps(statement)[:60]}",
        "storage-read-least-privilege",
        (R(ROLE_POLICY, {"policy": doc, "role": "m-read"}),),
        expect,
    )


GET = {"Action": "s3:GetObject", "Resource": "arn:aws:s3:::models/resnet50/v1/*"}
LIST = {
    "Action": "s3:ListBucket",
    "Resource": "arn:aws:s3:::models",
    "Condition": {"StringLike": {"s3:prefix": ["resnet50/v1", "resnet50/v1/*"]}},
}
AZ_SCOPE = (
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default"
    "/containers/models"
)
AZ_READER = "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
AZ_CONTRIB = "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"
GOOD_FIC = {
    "subject": "system:serviceaccount:models:m-sa",
    "issuer": "https://eastus.oic.prod-aks.azure.com/t/c/",
    "audiences": ["api://AzureADTokenExchange"],
}
WI = "gcp:serviceaccount/iAMMember:IAMMember"
WI_ROLE = "roles/iam.workloadIdentityUser"


def internal(labels: dict[str, str], mode: str | None = "Knative", name: str = "m") -> R:
    ann = {"mlplatform.io/access": "internal"}
    if mode is not None:
        ann["serving.kserve.io/deploymentMode"] = mode
    return isvc(name=name, metadata={"labels": labels, "annotations": ann})


KNATIVE_LOCAL = {"networking.knative.dev/visibility": "cluster-local"}
KSERVE_LOCAL = {"networking.kserve.io/visibility": "cluster-local"}


def kserve_release(mode: str) -> R:
    return R(
        REL,
        {
            "chart": "oci://ghcr.io/kserve/charts/kserve-resources",
            "version": "v0.20.0",
            "values": {"kserve": {"controller": {"deploymentMode": mode}}},
        },
    )


def sa(name: str = "m-sa", automount: Any = False) -> R:
    props: dict[str, Any] = {"metadata": {"name": name, "namespace": "models"}}
    if automount is not None:
        props["automountServiceAccountToken"] = automount
    return R(SA, props, name=name)


def helm(chart: str, values: dict[str, Any], *expect: str) -> Case:
    return Case(
        f"pdb:helm:{chart}:{'fail' if expect else 'pass'}:{json.dumps(values)[:60]}",
        "pdb-allows-eviction",
        (R(REL, {"chart": chart, "version": "1.30.3", "name": chart, "values": values}),),
        expect,
    )


def version(v: Any, *expect: str) -> Case:
    return Case(
        f"version:{'fail' if expect else 'pass'}:{v!r}",
        "helm-version-pinned",
        (R(REL, {"chart": "kserve-crd", "version": v}),),
        expect,
    )


def taint(effect: str, *expect: str) -> Case:
    t = {**GPU_TAINT_K8S, "effect": effect}
    return Case(
        f"gpu-taint:karpenter:{effect}",
        "gpu-pool-taint-label",
        (karpenter([t], GPU_LABELS, {"nvidia.com/gpu": 4}),),
        expect,
    )


CASES += [
    # ---- workload-identity-trust: IRSA
    irsa(GOOD_COND),
    irsa({"StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"}}, f"has no StringEquals {ISSUER}:sub"),
    irsa(
        {
            "StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"},
            "StringLike": {f"{ISSUER}:sub": "system:serviceaccount:models:*"},
        },
        f"StringLike {ISSUER}:sub: only StringEquals pins one ServiceAccount",
    ),
    irsa(
        {"StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:models:*", f"{ISSUER}:aud": "sts.amazonaws.com"}},
        "is not one ServiceAccount",
    ),
    irsa(
        {
            "StringEquals": {
                f"{ISSUER}:sub": ["system:serviceaccount:models:a", "system:serviceaccount:models:b"],
                f"{ISSUER}:aud": "sts.amazonaws.com",
            }
        },
        "trusts 2 ServiceAccounts",
    ),
    irsa({"StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:models:m-sa"}}, f"{ISSUER}:aud is missing"),
    irsa(
        {"StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:models:m-sa", f"{ISSUER}:aud": "sts.example.com"}},
        "give exactly sts.amazonaws.com",
    ),
    irsa(
        {
            "StringEquals": {
                "oidc.eks.us-east-1.amazonaws.com/id/OTHER:sub": "system:serviceaccount:models:m-sa",
                f"{ISSUER}:aud": "sts.amazonaws.com",
            }
        },
        f"has no StringEquals {ISSUER}:sub",
    ),
    irsa(GOOD_COND, "give exactly one OIDC provider ARN", federated="*"),
    irsa(GOOD_COND, "give exactly one OIDC provider ARN", federated=[PROVIDER_ARN, PROVIDER_ARN.replace("ABC", "DEF")]),
    irsa({}, "has no StringEquals", action="sts:*"),
    Case("trust:irsa:unknown:pass", "workload-identity-trust", (R(ROLE, {"assumeRolePolicy": UNKNOWN}),)),
    Case(
        "trust:irsa:ec2-role:pass",
        "workload-identity-trust",
        (
            R(
                ROLE,
                {
                    "assumeRolePolicy": json.dumps(
                        {
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": "sts:AssumeRole",
                                    "Principal": {"Service": "ec2.amazonaws.com"},
                                }
                            ]
                        }
                    )
                },
            ),
        ),
    ),
    Case(
        "trust:irsa:sa-uses-role-of-another:fail",
        "workload-identity-binding",
        (
            R(ROLE, {"name": "m-read", "assumeRolePolicy": trust(GOOD_COND)}),
            R(
                SA,
                {
                    "metadata": {
                        "name": "other-sa",
                        "namespace": "models",
                        "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/m-read"},
                    }
                },
            ),
        ),
        ("ServiceAccount models/other-sa uses role",),
    ),
    # ---- workload-identity-trust: GKE
    one("workload-identity-trust", WI, {"role": WI_ROLE, "member": "serviceAccount:p.svc.id.goog[models/m-sa]"}),
    one(
        "workload-identity-trust",
        WI,
        {"role": WI_ROLE, "member": "serviceAccount:p.svc.id.goog[models/*]"},
        "one Kubernetes ServiceAccount",
    ),
    one(
        "workload-identity-trust",
        WI,
        {"role": WI_ROLE, "member": "serviceAccount:p.svc.id.goog"},
        "one Kubernetes ServiceAccount",
    ),
    one(
        "workload-identity-trust",
        WI,
        {
            "role": WI_ROLE,
            "member": "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p.svc.id.goog/namespace/models",
        },
        "one Kubernetes ServiceAccount",
    ),
    one(
        "workload-identity-trust",
        WI,
        {"role": WI_ROLE, "member": "serviceAccount:p.svc.id.goog[models/m-sa]\n"},
        "one Kubernetes ServiceAccount",
    ),
    one("workload-identity-trust", WI, {"role": "roles/iam.serviceAccountUser", "member": "user:a@b.c"}),
    Case(
        "trust:gke:pool-of-another-project:fail",
        "workload-identity-binding",
        (
            R("gcp:container/cluster:Cluster", {"workloadIdentityConfig": {"workloadPool": "prod.svc.id.goog"}}),
            R(WI, {"role": WI_ROLE, "member": "serviceAccount:dev.svc.id.goog[models/m-sa]"}),
        ),
        ("names workload pool dev.svc.id.goog, not the cluster's (prod.svc.id.goog)",),
    ),
    Case(
        "trust:gke:pool-of-the-cluster:pass",
        "workload-identity-binding",
        (
            R("gcp:container/cluster:Cluster", {"workloadIdentityConfig": {"workloadPool": "prod.svc.id.goog"}}),
            R(WI, {"role": WI_ROLE, "member": "serviceAccount:prod.svc.id.goog[models/m-sa]"}),
        ),
        (),
    ),
    one(
        "workload-identity-trust",
        "gcp:serviceaccount/iAMBinding:IAMBinding",
        {
            "role": WI_ROLE,
            "members": ["serviceAccount:p.svc.id.goog[models/a]", "serviceAccount:p.svc.id.goog[models/b]"],
        },
        "binds roles/iam.workloadIdentityUser to 2 members",
    ),
    # ---- workload-identity-trust: Azure
    one("workload-identity-trust", FIC, GOOD_FIC),
    one(
        "workload-identity-trust",
        FIC,
        {**GOOD_FIC, "subject": "system:serviceaccount:models:*"},
        "is not one ServiceAccount",
    ),
    one(
        "workload-identity-trust",
        FIC,
        {**GOOD_FIC, "subject": "system:serviceaccount:models"},
        "is not one ServiceAccount",
    ),
    one(
        "workload-identity-trust", FIC, {**GOOD_FIC, "audiences": ["api://other"]}, "give [api://AzureADTokenExchange]"
    ),
    one(
        "workload-identity-trust",
        FIC,
        {**GOOD_FIC, "audiences": ["api://AzureADTokenExchange", "x"]},
        "give [api://AzureADTokenExchange]",
    ),
    one(
        "workload-identity-trust", FIC, {**GOOD_FIC, "issuer": "http://insecure/"}, "is not the cluster's https issuer"
    ),
    one("workload-identity-trust", FIC, {**GOOD_FIC, "issuer": UNKNOWN}),
    # ---- storage-read-least-privilege: S3
    s3(GET),
    s3(LIST),
    s3({**GET, "Resource": "arn:aws:s3:::*"}, "a bucket wildcard reaches every bucket"),
    s3({**GET, "Resource": "arn:aws:s3:::*/resnet50/v1/*"}, "a bucket wildcard reaches every bucket"),
    s3({**GET, "Resource": "arn:aws:s3:::models-*/resnet50/v1/*"}, "a bucket wildcard"),
    s3({**GET, "Resource": "arn:aws:s3:::models/*"}, "reads every object of bucket models"),
    s3({**GET, "Resource": "*"}, "name the bucket and prefix"),
    s3({**GET, "Action": "s3:*"}, "grants s3:*"),
    s3({**GET, "Action": ["s3:Get*"]}, "grants s3:Get*"),
    s3({**GET, "Action": "*"}, "grants *"),
    s3({"Action": "s3:ListBucket", "Resource": "arn:aws:s3:::models"}, "add a Condition on s3:prefix"),
    s3({**LIST, "Condition": {"StringLike": {"s3:prefix": ["*"]}}}, "add a Condition on s3:prefix"),
    s3({"Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"}, "NotResource"),
    s3({"Action": "ec2:DescribeInstances", "Resource": "*"}),
    one(
        "storage-read-least-privilege",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"policyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"},
        "grants every bucket of the account",
    ),
    one(
        "storage-read-least-privilege",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
    ),
    # ---- storage-read-least-privilege: GCS
    one(
        "storage-read-least-privilege",
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        {
            "bucket": "models",
            "role": "roles/storage.objectViewer",
            "member": "serviceAccount:m@p.iam.gserviceaccount.com",
        },
    ),
    one(
        "storage-read-least-privilege",
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        {
            "bucket": "models",
            "role": "roles/storage.objectAdmin",
            "member": "serviceAccount:m@p.iam.gserviceaccount.com",
        },
        "grants roles/storage.objectAdmin",
    ),
    one(
        "storage-read-least-privilege",
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        {"bucket": "models", "role": "roles/storage.objectViewer", "member": "allUsers"},
        "to allUsers",
    ),
    one(
        "storage-read-least-privilege",
        "gcp:projects/iAMMember:IAMMember",
        {"project": "p", "role": "roles/storage.objectViewer", "member": "serviceAccount:m@p.iam.gserviceaccount.com"},
        "on the whole project",
    ),
    one(
        "storage-read-least-privilege",
        "gcp:projects/iAMMember:IAMMember",
        {"project": "p", "role": "roles/logging.logWriter", "member": "serviceAccount:n@p.iam.gserviceaccount.com"},
    ),
    # ---- storage-read-least-privilege: Azure
    one(
        "storage-read-least-privilege",
        "azure-native:authorization:RoleAssignment",
        {"roleDefinitionId": AZ_READER, "scope": AZ_SCOPE},
    ),
    one(
        "storage-read-least-privilege",
        "azure-native:authorization:RoleAssignment",
        {"roleDefinitionId": AZ_READER, "scope": AZ_SCOPE.rsplit("/blobServices", 1)[0]},
        "scope it to one blob container",
    ),
    one(
        "storage-read-least-privilege",
        "azure-native:authorization:RoleAssignment",
        {"roleDefinitionId": AZ_READER, "scope": "/subscriptions/s/resourceGroups/rg"},
        "scope it to one blob container",
    ),
    one(
        "storage-read-least-privilege",
        "azure-native:authorization:RoleAssignment",
        {"roleDefinitionId": AZ_CONTRIB, "scope": AZ_SCOPE},
        "grants Storage Blob Data Contributor",
    ),
    one(
        "storage-read-least-privilege",
        "azure-native:authorization:RoleAssignment",
        {"roleDefinitionId": AZ_READER, "scope": UNKNOWN},
    ),
    one(
        "storage-read-least-privilege",
        "azure-native:authorization:RoleAssignment",
        {"roleDefinitionId": "/x/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7", "scope": "/subscriptions/s"},
    ),
    # ---- internal-model-cluster-local
    Case("internal:knative:pass", "internal-model-cluster-local", (internal(KNATIVE_LOCAL),)),
    Case(
        "internal:knative-reads-kserve-label:fail",
        "internal-model-cluster-local",
        (internal(KSERVE_LOCAL),),
        ("KServe in Knative mode reads the label networking.knative.dev/visibility",),
    ),
    Case(
        "internal:no-label:fail",
        "internal-model-cluster-local",
        (internal({}),),
        ("is published on the public gateway",),
    ),
    Case("internal:standard:pass", "internal-model-cluster-local", (internal(KSERVE_LOCAL, "Standard"),)),
    Case(
        "internal:standard-reads-kserve-label:fail",
        "internal-model-cluster-local",
        (internal(KNATIVE_LOCAL, "Standard"),),
        ("KServe in Standard mode reads the label networking.kserve.io/visibility",),
    ),
    Case(
        "internal:legacy-serverless:fail",
        "internal-model-cluster-local",
        (internal(KSERVE_LOCAL, "Serverless"),),
        ("Knative mode",),
    ),
    Case("internal:legacy-raw:pass", "internal-model-cluster-local", (internal(KSERVE_LOCAL, "RawDeployment"),)),
    Case(
        "internal:platform-standard:pass",
        "internal-model-cluster-local",
        (internal(KSERVE_LOCAL, None), kserve_release("Standard")),
    ),
    Case(
        "internal:platform-knative:fail",
        "internal-model-cluster-local",
        (internal(KSERVE_LOCAL, None), kserve_release("Knative")),
        ("Knative mode",),
    ),
    Case(
        "internal:platform-default-knative:fail",
        "internal-model-cluster-local",
        (internal(KSERVE_LOCAL, None),),
        ("Knative mode",),
    ),
    Case("internal:public-model:pass", "internal-model-cluster-local", (isvc(),)),
    # ---- model-service-account
    Case("sa:own-no-token:pass", "model-service-account", (isvc(serviceAccountName="m-sa"), sa())),
    Case(
        "sa:token-true:fail",
        "model-service-account",
        (isvc(serviceAccountName="m-sa"), sa(automount=True)),
        ("ServiceAccount models/m-sa of model models/m mounts its API token",),
    ),
    Case(
        "sa:token-unset:fail",
        "model-service-account",
        (isvc(serviceAccountName="m-sa"), sa(automount=None)),
        ("mounts its API token (automountServiceAccountToken None)",),
    ),
    Case(
        "sa:token-off-in-pod:pass",
        "model-service-account",
        (isvc(serviceAccountName="m-sa", automountServiceAccountToken=False), sa(automount=None)),
    ),
    Case(
        "sa:pod-turns-token-on:fail",
        "model-service-account",
        (isvc(serviceAccountName="m-sa", automountServiceAccountToken=True), sa()),
        ("mounts its ServiceAccount token",),
    ),
    Case("sa:default:fail", "model-service-account", (isvc(),), ("runs as the namespace's default ServiceAccount",)),
    Case(
        "sa:shared:fail",
        "model-service-account",
        (isvc(name="a", serviceAccountName="m-sa"), isvc(name="b", serviceAccountName="m-sa"), sa()),
        ("models models/a, models/b share ServiceAccount models/m-sa",),
    ),
    # ---- model-pdb
    Case(
        "model-pdb:selects:pass",
        "model-pdb",
        (
            isvc(minReplicas=2),
            k8s(
                PDB_T,
                "models",
                "m-pdb",
                {"selector": {"matchLabels": {"serving.kserve.io/inferenceservice": "m"}}, "maxUnavailable": 1},
            ),
        ),
    ),
    Case("model-pdb:one-replica-needs-none:pass", "model-pdb", (isvc(minReplicas=1),)),
    Case(
        "model-pdb:missing:fail", "model-pdb", (isvc(minReplicas=2),), ("keeps 2 replicas but no PodDisruptionBudget",)
    ),
    Case(
        "model-pdb:wrong-selector:fail",
        "model-pdb",
        (
            isvc(minReplicas=3),
            k8s(
                PDB_T,
                "models",
                "m-pdb",
                {"selector": {"matchLabels": {"serving.kserve.io/inferenceservice": "other"}}, "maxUnavailable": 1},
            ),
        ),
        ("keeps 3 replicas but no PodDisruptionBudget",),
    ),
    Case(
        "model-pdb:other-namespace:fail",
        "model-pdb",
        (
            isvc(minReplicas=2),
            k8s(
                PDB_T,
                "other",
                "m-pdb",
                {"selector": {"matchLabels": {"serving.kserve.io/inferenceservice": "m"}}, "maxUnavailable": 1},
            ),
        ),
        ("no PodDisruptionBudget",),
    ),
    Case(
        "model-pdb:component-label:pass",
        "model-pdb",
        (
            isvc(minReplicas=2),
            k8s(
                PDB_T,
                "models",
                "m-pdb",
                {
                    "selector": {"matchLabels": {"serving.kserve.io/inferenceservice": "m", "component": "predictor"}},
                    "maxUnavailable": 1,
                },
            ),
        ),
    ),
    # ---- pdb-allows-eviction from Helm values (Istio 1.30.3 charts)
    helm("gateway", {"autoscaling": {"minReplicas": 2}, "podDisruptionBudget": {"minAvailable": 1}}),
    helm(
        "gateway",
        {"autoscaling": {"minReplicas": 2}, "podDisruptionBudget": {"minAvailable": 2}},
        "minAvailable 2 with 2 replica(s)",
    ),
    helm(
        "gateway", {"autoscaling": {"minReplicas": 2}, "podDisruptionBudget": {"maxUnavailable": 0}}, "maxUnavailable 0"
    ),
    helm(
        "gateway",
        {"autoscaling": {"minReplicas": 2}, "podDisruptionBudget": {"minAvailable": "100%"}},
        "minAvailable 100%",
    ),
    helm("gateway", {"autoscaling": {"minReplicas": 1}, "podDisruptionBudget": {"minAvailable": 1}}),  # not rendered
    helm(
        "gateway",
        {"autoscaling": {"enabled": False}, "replicaCount": 3, "podDisruptionBudget": {"minAvailable": 3}},
        "minAvailable 3 with 3 replica(s)",
    ),
    helm("gateway", {"autoscaling": {"enabled": False}, "replicaCount": 3, "podDisruptionBudget": {"minAvailable": 2}}),
    helm("istiod", {"autoscaleMin": 2}),
    helm("istiod", {"autoscaleMin": 2, "pdb": {"minAvailable": 2}}, "minAvailable 2 with 2 replica(s)"),
    helm("istiod", {"autoscaleEnabled": False, "replicaCount": 2, "pdb": {"minAvailable": 2}}, "minAvailable 2"),
    helm(
        "istiod",
        {"autoscaleMin": 2, "pdb": {"minAvailable": 2}, "global": {"defaultPodDisruptionBudget": {"enabled": False}}},
    ),
    helm("istiod", {"autoscaleMin": 2, "pdb": {"minAvailable": 2, "maxUnavailable": 1}}),
    helm(
        "kube-prometheus-stack",
        {
            "prometheus": {
                "prometheusSpec": {"replicas": 2},
                "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
            }
        },
    ),
    helm(
        "kube-prometheus-stack",
        {
            "prometheus": {
                "prometheusSpec": {"replicas": 2},
                "podDisruptionBudget": {"enabled": True, "minAvailable": 2},
            }
        },
        "values prometheus.podDisruptionBudget: minAvailable 2 with 2 replica(s)",
    ),
    helm(
        "cert-manager",
        {"replicaCount": 2, "podDisruptionBudget": {"enabled": True, "maxUnavailable": "0%"}},
        "maxUnavailable 0",
    ),
    helm("cert-manager", {"replicaCount": 2, "podDisruptionBudget": {"enabled": False, "maxUnavailable": 0}}),
    # ---- helm-version-pinned: exact versions only
    version("0.20.0"),
    version("v0.20.0"),
    version("1.30.3-rc.1"),
    version("0.20", "is not an exact version"),
    version("v0.20", "is not an exact version"),
    version("1", "is not an exact version"),
    version("1.30.3\n", "is not an exact version"),
    version("^1.30.3", "is not an exact version"),
    version("1.30.x", "is not an exact version"),
    version("~1.30.3", "is not an exact version"),
    version("\uff11.30.3", "is not an exact version"),  # FULLWIDTH DIGIT ONE
    version(">=1.30.3 <2", "is not an exact version"),
    # ---- gpu-pool-taint-label: the effect must be NoSchedule
    taint("NoSchedule"),
    taint("PreferNoSchedule", "has no taint nvidia.com/gpu=present:NoSchedule"),
    taint("NoExecute", "has no taint nvidia.com/gpu=present:NoSchedule"),
    Case(
        "gpu-taint:gke:PREFER_NO_SCHEDULE",
        "gpu-pool-taint-label",
        (gke_pool([{**GPU_TAINT_CLOUD, "effect": "PREFER_NO_SCHEDULE"}], GPU_LABELS),),
        ("has no taint",),
    ),
    one(
        "gpu-pool-taint-label",
        "azure-native:containerservice:AgentPool",
        {
            "vmSize": "Standard_NC4as_T4_v3",
            "nodeTaints": ["nvidia.com/gpu=present:PreferNoSchedule"],
            "nodeLabels": GPU_LABELS,
            "maxCount": 1,
        },
        "has no taint",
    ),
    one(
        "gpu-pool-taint-label",
        "azure-native:containerservice:AgentPool",
        {
            "vmSize": "Standard_NC4as_T4_v3",
            "nodeTaints": ["nvidia.com/gpu=present:NoSchedule"],
            "nodeLabels": GPU_LABELS,
            "maxCount": 1,
        },
    ),
    # ---- required-tags: an empty list is a finding
    Case(
        "required-tags:empty:fail",
        "required-tags",
        (R("aws:kms/key:Key", {"tags": {}}),),
        ("policy.requiredTags is empty",),
        Facts(required_tags=()),
    ),
]


def _urn(i: int, r: R) -> str:
    return f"urn:pulumi:test::mlplatform::{r.type}::{r.name}{i}"


def _resources(case: Case) -> list[Resource]:
    return [
        Resource(r.type, f"{r.name}{i}", _urn(i, r), r.props, r.protect, None, r.provider)
        for i, r in enumerate(case.resources)
    ]


def _to_crossguard(value: Any) -> Any:
    """Rule-side values as the Pulumi engine hands them to a pack (unknowns as pulumi_policy's sentinels)."""
    if value is UNKNOWN:
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        return {k: _to_crossguard(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_crossguard(v) for v in value]
    return value


def _opts(protect: bool) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def crossguard_messages(case: Case) -> list[str]:
    policy = next(p for p in build_policies() if p.name == case.rule)
    config = pack_config(StackSettings(case.facts))[case.rule]
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    if isinstance(policy, ResourceValidationPolicy):
        for i, r in enumerate(case.resources):
            from pulumi_policy import PolicyProviderResource

            provider = PolicyProviderResource("pulumi:providers:x", r.provider, "urn:p", "p") if r.provider else None
            args = ResourceValidationArgs(
                r.type,
                unknown_checking_proxy(_to_crossguard(r.props)),
                _urn(i, r),
                f"{r.name}{i}",
                _opts(r.protect),
                provider,
                config,
            )
            policy.validate(args, report)
    else:
        resources = [
            PolicyResource(
                r.type,
                unknown_checking_proxy(_to_crossguard(r.props)),
                _urn(i, r),
                f"{r.name}{i}",
                _opts(r.protect),
                None,
                None,
                [],
                {},
            )
            for i, r in enumerate(case.resources)
        ]
        policy.validate(StackValidationArgs(resources, config), report)
    return found


def rule_messages(case: Case) -> list[str]:
    rule = next(r for r in ALL_RULES if r.name == case.rule)
    return [f.message for f in rule.run(_resources(case), case.facts)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    pure = rule_messages(case)
    assert crossguard_messages(case) == pure
    if not case.expect:
        assert pure == []
    else:
        joined = "\n".join(pure)
        for fragment in case.expect:
            assert fragment in joined


def test_every_rule_has_a_passing_and_a_failing_case() -> None:
    covered = {(c.rule, bool(c.expect)) for c in CASES}
    for rule in ALL_RULES:
        if rule.name not in {c.rule for c in CASES}:
            continue  # rules added by other modules (e.g. budget.py) carry their own tests
        assert (rule.name, True) in covered, f"{rule.name}: no failing case"
        assert (rule.name, False) in covered, f"{rule.name}: no passing case"


def test_core_rules_are_all_covered() -> None:
    core = {
        "api-endpoint-restricted",
        "secrets-encryption",
        "audit-logs",
        "workload-identity",
        "gpu-pool-taint-label",
        "gpu-budget",
        "required-tags",
        "helm-version-pinned",
        "isvc-gpu-scheduling",
        "model-endpoint-auth",
        "mesh-mtls-strict",
        "no-privileged-containers",
        "model-container-limits",
        "no-load-balancer-services",
        "prod-model-replicas",
        "prod-protect-stateful",
        "privileged-namespaces-listed",
        "api-endpoint-world-opt-in",
    }
    assert core <= {r.name for r in ALL_RULES}
    assert core <= {c.rule for c in CASES}


def test_run_rules_entries_overrides_and_disabled() -> None:
    fail = next(c for c in CASES if c.id == "replicas:prod:fail")
    resources = _resources(fail)
    rules = [r for r in ALL_RULES if r.name in ("prod-model-replicas", "model-container-limits")]
    plain = run_rules(resources, StackSettings(PROD), rules)
    assert plain == [
        {
            "policy": "model-container-limits",
            "enforcement": "mandatory",
            "urn": None,
            "passed": True,
            "message": "Every model container sets CPU and memory requests and limits (GPU requests = limits).",
        },
        {
            "policy": "prod-model-replicas",
            "enforcement": "mandatory",
            "urn": resources[0].urn,
            "passed": False,
            "message": "model models/m keeps minReplicas 0 on a prod stack; give scaling.minReplicas >= 2 (or override "
            "policy prod-model-replicas with a reason)",
        },
    ]
    reason = "batch job only"
    advisory = run_rules(resources, StackSettings(PROD, {"prod-model-replicas": Override("advisory", reason)}), rules)
    assert advisory[1] == {**plain[1], "enforcement": "advisory", "reason": reason}
    assert advisory[0] == plain[0]
    disabled = run_rules(resources, StackSettings(PROD, {"prod-model-replicas": Override("disabled", reason)}), rules)
    assert disabled[1] == {
        "policy": "prod-model-replicas",
        "enforcement": "disabled",
        "urn": None,
        "passed": True,
        "message": f"disabled on this stack: {reason}",
        "reason": reason,
    }


def test_stack_settings_from_flat_config() -> None:
    flat = {
        "mlplatform:cloud": "existing",
        "mlplatform:environment": "prod",
        "mlplatform:policy": '{"requiredTags": ["owner", "team"], "maxGpus": 8, "overrides": '
        '{"gpu-budget": {"enforcement": "advisory", "reason": "burst week for a launch"}}}',
        "mlplatform:cluster": '{"apiAccess": {"publicCidrs": ["0.0.0.0/0"], "allowWorld": true}}',
        "mlplatform:models": '{"iris": {"namespace": "demo", "format": "sklearn", "storageUri": "pvc://m/iris", '
        '"access": {"mode": "public", "allowAnonymous": true}}}',
    }
    s = StackSettings.from_config(flat)
    # an existing cluster without cluster.existing.networkPolicy: not known to enforce NetworkPolicy
    assert s.facts == Facts("prod", ("owner", "team"), 8, True, frozenset({"demo/iris"}), "unknown")
    assert s.overrides == {"gpu-budget": Override("advisory", "burst week for a launch")}
    assert StackSettings.from_config({}).facts == Facts()
    assert StackSettings.from_json(s.to_json()) == s


def test_pack_builds_one_policy_per_rule_with_levels_and_schema() -> None:
    policies = build_policies()
    assert [p.name for p in policies] == [r.name for r in ALL_RULES]
    for policy, rule in zip(policies, ALL_RULES, strict=True):
        assert policy.enforcement_level is not None and policy.enforcement_level.value == rule.enforcement
        assert policy.config_schema is not None
        assert set(policy.config_schema.properties) == {
            "environment",
            "requiredTags",
            "maxGpus",
            "allowPublicApi",
            "anonymousModels",
            "networkPolicy",
            "modelSecrets",
            "zones",
            "jwtAudiences",
        }


def test_patches_are_judged_on_what_they_set() -> None:
    rule = next(r for r in ALL_RULES if r.name == "no-privileged-containers")
    pod = {"template": {"spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": "1"}}}]}}}
    patch = Resource(
        "kubernetes:apps/v1:DeploymentPatch", "p", "urn:p", {"metadata": {"namespace": "kserve"}, "spec": pod}
    )
    assert rule.run([patch], Facts()) == []
    pod["template"]["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    patch = replace(patch)  # a judged resource is never edited in place (policy/rules/base.py _FINDINGS): a new one
    assert [f.message for f in rule.run([patch], Facts())] == [
        "container c (spec.template.spec.containers[0]) is privileged"
    ]


@pytest.mark.parametrize(
    ("type_", "path"),
    [
        ("aws:kms/key:Key", "tags"),
        ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", None),
        ("aws:kms/alias:Alias", None),
        ("eks:index:Cluster", "tags"),
        ("eks:index:ManagedNodeGroup", "tags"),
        ("awsx:ec2:Vpc", "tags"),
        ("gcp:storage/bucket:Bucket", "labels"),
        ("gcp:container/cluster:Cluster", "resourceLabels"),
        ("gcp:container/nodePool:NodePool", "nodeConfig.resourceLabels"),
        ("gcp:serviceaccount/account:Account", None),
        ("gcp:compute/subnetwork:Subnetwork", None),
        ("azure-native:containerservice:ManagedCluster", "tags"),
        ("azure-native:network:Subnet", None),
        ("kubernetes:core/v1:Namespace", None),
    ],
)
def test_where_tags_live(type_: str, path: str | None) -> None:
    from policy.rules.tags import tag_path

    assert tag_path(type_) == path


def test_endpoint_auth_says_which_policy_it_could_not_evaluate() -> None:
    """An ALLOW policy known only after deploy could open a JWT model: the request-path check cannot run, and the
    passing entry says so (it does not pass silently)."""
    rule = next(r for r in ALL_RULES if r.name == "model-endpoint-auth")
    later = k8s(AP, "models", "later", {"action": "ALLOW", "rules": UNKNOWN})
    (entry,) = run_rules(_resources(Case("", rule.name, (isvc(), JWT_AP, JWT_RA, later))), rules=[rule])
    assert entry["passed"] and "AuthorizationPolicy models/later" in entry["unchecked"], entry
    opened = k8s(AP, "models", "later", {"action": "ALLOW", "rules": [{"to": [{"operation": {"ports": ["8012"]}}]}]})
    (entry,) = run_rules(_resources(Case("", rule.name, (isvc(), JWT_AP, JWT_RA, opened))), rules=[rule])
    assert not entry["passed"] and "answers a request from the internet without a token" in entry["message"], entry
