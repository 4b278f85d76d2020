"""The rules over mocked stacks: small programs that declare real SDK resources (so the wire names are the SDKs'),
run under the plan engine's mocks, then :func:`policy.rules.evaluate` over the recording."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_azure_native as azure
import pulumi_eks as eks
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s
import pytest

from policy.rules import Facts, StackSettings, evaluate
from policy.rules.kubernetes import ZONE_KEY
from support import run

TAGS = {"environment": "prod", "owner": "ml"}
LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
GPU_LABELS = {"mlplatform.io/accelerator": "nvidia-l4", "mlplatform.io/pool": "l4"}


def failing(program: Callable[[], None], facts: Facts | None = None) -> dict[str, list[str]]:
    result = run(program, outputs="unknown")
    out: dict[str, list[str]] = {}
    for entry in evaluate(result, StackSettings(facts or Facts(environment="prod"))):
        if not entry["passed"]:
            out.setdefault(entry["policy"], []).append(entry["message"])
    return out


def aws_stack(good: bool, *, private_endpoint: bool = False) -> Callable[[], None]:
    """A stack that passes every AWS rule (``good``) or fails each; ``private_endpoint`` keeps the bad stack's EKS
    private endpoint on, so only its world-open public endpoint is at stake."""

    def program() -> None:
        protect = pulumi.ResourceOptions(protect=good)
        key = aws.kms.Key("key", enable_key_rotation=good, tags=TAGS if good else {"environment": "prod"}, opts=protect)
        aws.ec2.LaunchTemplate(
            "nodes",
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required" if good else "optional",
                "http_put_response_hop_limit": 1 if good else 2,
            },
            tags=TAGS,
        )
        cluster_args: dict[str, Any] = (
            {
                "endpoint_public_access": False,
                "endpoint_private_access": True,
                "encryption_config_key_arn": key.arn,
                "enabled_cluster_log_types": LOGS,
                "create_oidc_provider": True,
                "deletion_protection": True,
                "node_associate_public_ip_address": False,
                "vpc_cni_options": {"enable_network_policy": True},
                "authentication_mode": eks.AuthenticationMode.API,
                "tags": TAGS,
            }
            if good
            else {"tags": TAGS, **({"endpoint_private_access": True} if private_endpoint else {})}
        )
        # pulumi-eks refuses a managed node group without a role, and (CONFIG_MAP) one whose role is not mapped
        nodes = aws.iam.Role("nodes", assume_role_policy="{}", tags=TAGS)
        # hardened: pulumi-eks's children are protected with it and tagged by the provider's default tags (its OIDC
        # provider takes no tags of its own: pulumi/pulumi-eks v4.3.0 nodejs/eks/cluster/cluster.ts)
        tagging = aws.Provider("aws", region="us-east-1", default_tags={"tags": TAGS})
        cluster_opts = pulumi.ResourceOptions(protect=True, providers={"aws": tagging}) if good else None
        # with authenticationMode API (hardened) nodes join through access entries: pulumi-eks refuses instanceRoles
        roles = {} if good else {"instance_roles": [nodes]}
        cluster = eks.Cluster("cluster", skip_default_node_group=True, **roles, **cluster_args, opts=cluster_opts)
        eks.ManagedNodeGroup(
            "gpu",
            cluster=cluster,
            node_role=nodes,
            instance_types=["g6.xlarge"],
            scaling_config={"min_size": 0, "desired_size": 0, "max_size": 4},
            labels=GPU_LABELS if good else {},
            taints=[{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}] if good else [],
            tags=TAGS,
        )

    return program


def test_aws_stack_passes_when_hardened() -> None:
    assert failing(aws_stack(True), Facts(environment="prod", max_gpus=4)) == {}


def test_aws_stack_fails_each_rule_when_not() -> None:
    found = failing(aws_stack(False), Facts(environment="prod", max_gpus=3))
    assert sorted(found) == [
        "api-endpoint-restricted",
        "audit-logs",
        "cluster-hardening",
        "cluster-network-policy",
        "gpu-budget",
        "gpu-pool-taint-label",
        "imdsv2-required",
        "kms-key-rotation",
        "prod-protect-stateful",
        "required-tags",
        "secrets-encryption",
        "workload-identity",
    ]
    assert found["imdsv2-required"] == [
        "metadataOptions.httpTokens is optional: require IMDSv2 (httpTokens: required)",
        "metadataOptions.httpPutResponseHopLimit is 2: give 1 so pods cannot reach the node's credentials",
    ]
    assert found["required-tags"] == ["missing required tags owner (under tags; set them in mlplatform:tags)"]
    assert found["gpu-budget"] == [
        "GPU pools can grow to 4 GPUs (node group gpu 4), over this stack's budget of 3 (policy.maxGpus)"
    ]
    assert sorted(found["prod-protect-stateful"])[0].startswith("Cluster cluster can be destroyed by accident")


def test_aws_world_open_api_with_the_stack_opt_in_is_a_warning() -> None:
    result = run(aws_stack(False, private_endpoint=True), outputs="unknown")
    entries = evaluate(result, StackSettings(Facts(environment="dev", max_gpus=64, allow_public_api=True)))
    failed = {(e["policy"], e["enforcement"]) for e in entries if not e["passed"]}
    assert ("api-endpoint-world-opt-in", "advisory") in failed
    assert not any(p == "api-endpoint-restricted" for p, _ in failed)


def gcp_stack(good: bool) -> Callable[[], None]:
    def program() -> None:
        labels = {"environment": "prod", "owner": "ml"}
        cluster = gcp.container.Cluster(
            "gke",
            location="us-central1",
            remove_default_node_pool=True,
            initial_node_count=1,
            deletion_protection=good,
            resource_labels=labels,
            private_cluster_config={"enable_private_nodes": True, "enable_private_endpoint": good},
            master_authorized_networks_config={"cidr_blocks": [{"cidr_block": "203.0.113.0/24"}]} if good else None,
            database_encryption={"state": "ENCRYPTED", "key_name": "projects/p/locations/l/keyRings/r/cryptoKeys/k"}
            if good
            else None,
            workload_identity_config={"workload_pool": "p.svc.id.goog"} if good else None,
            logging_config={"enable_components": ["SYSTEM_COMPONENTS", "APISERVER"]} if good else None,
            datapath_provider="ADVANCED_DATAPATH" if good else None,
        )
        # hardened: the nodes run as a service account of the stack, not the Compute Engine default one
        protect = pulumi.ResourceOptions(protect=True)
        nodes = gcp.serviceaccount.Account("nodes", account_id="gke-nodes", project="p", opts=protect) if good else None
        gcp.container.NodePool(
            "l4",
            cluster=cluster.name,
            autoscaling={"total_min_node_count": 0, "total_max_node_count": 8},
            node_config={
                "machine_type": "g2-standard-8",
                "guest_accelerators": [{"type": "nvidia-l4", "count": 1}],
                "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}],
                "labels": GPU_LABELS,
                "resource_labels": labels,
                "workload_metadata_config": {"mode": "GKE_METADATA" if good else "GCE_METADATA"},
                "shielded_instance_config": {"enable_secure_boot": good},
                # cluster-hardening requires COS_CONTAINERD given on every pool (rev17m 07; unset fails too)
                **({"image_type": "COS_CONTAINERD"} if good else {}),
                **({"service_account": nodes.email} if nodes is not None else {}),
            },
        )

    return program


def test_gcp_stack() -> None:
    assert failing(gcp_stack(True), Facts(environment="prod", max_gpus=8)) == {}
    assert sorted(failing(gcp_stack(False), Facts(environment="prod", max_gpus=8))) == [
        "api-endpoint-restricted",
        "audit-logs",
        "cluster-hardening",
        "cluster-network-policy",
        "iam-least-privilege",
        "prod-protect-stateful",
        "secrets-encryption",
        "workload-identity",
    ]


def azure_stack(good: bool) -> Callable[[], None]:
    def program() -> None:
        aks = azure.containerservice.ManagedCluster(
            "aks",
            resource_group_name="rg",
            dns_prefix="aks",
            tags=TAGS,
            api_server_access_profile={"authorized_ip_ranges": ["203.0.113.0/24" if good else "0.0.0.0/0"]},
            oidc_issuer_profile={"enabled": True},
            disable_local_accounts=good,
            aad_profile={"managed": True, "enable_azure_rbac": good},
            security_profile={
                "workload_identity": {"enabled": good},
                "azure_key_vault_kms": {"enabled": good, "key_id": "https://v.vault.azure.net/keys/k/1"},
                # off unless given (pulumi_azure_native 3.29 ManagedClusterSecurityProfileImageCleanerArgs; rev17l 16)
                "image_cleaner": {"enabled": good, "interval_hours": 168},
            },
            network_profile={"network_policy": "cilium" if good else "none", "network_dataplane": "cilium"},
            auto_upgrade_profile={"upgrade_channel": "patch" if good else "none"},
            addon_profiles={"azurepolicy": {"enabled": good}},
            # unset is Free, refused on prod (fix17l, rev17k-17)
            sku={"name": "Base", "tier": "Standard" if good else "Free"},
            opts=pulumi.ResourceOptions(protect=good),
        )
        azure.containerservice.AgentPool(
            "gpu",
            resource_group_name="rg",
            resource_name_=aks.name,
            vm_size="Standard_NC4as_T4_v3",
            enable_auto_scaling=True,
            min_count=0,
            max_count=3,
            node_taints=["nvidia.com/gpu=present:NoSchedule"] if good else [],
            node_labels=GPU_LABELS,
            os_disk_size_gb=200 if good else None,  # unset: the VM size's default disk (cluster-hardening, rev17h h27)
            enable_node_public_ip=not good,
            tags=TAGS,
        )
        if good:
            azure.monitor.DiagnosticSetting(
                "audit",
                resource_uri=aks.id,
                logs=[{"category": "kube-audit-admin", "enabled": True}],
            )

    return program


def test_azure_stack() -> None:
    assert failing(azure_stack(True)) == {}
    assert sorted(failing(azure_stack(False))) == [
        "aks-entra-only",
        "api-endpoint-restricted",
        "audit-logs",
        "cluster-hardening",
        "cluster-network-policy",
        "gpu-pool-taint-label",
        "prod-protect-stateful",
        "secrets-encryption",
        "workload-identity",
    ]


def k8s_stack(good: bool) -> Callable[[], None]:
    def program() -> None:
        model = {
            "modelFormat": {"name": "sklearn"},
            "storageUri": "gs://b/m",
            "securityContext": {
                "runAsNonRoot": True,
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "resources": {
                "requests": {"cpu": "1", "memory": "2Gi", "nvidia.com/gpu": 1},
                "limits": {"cpu": "1", "memory": "2Gi", "nvidia.com/gpu": 1},
            },
        }
        if not good:
            del model["resources"]["limits"]["memory"]
        predictor: dict[str, Any] = {"model": model, "minReplicas": 2 if good else 1}
        if good:
            predictor["serviceAccountName"] = "m-sa"
            k8s.core.v1.ServiceAccount(
                "sa", metadata={"name": "m-sa", "namespace": "models"}, automount_service_account_token=False
            )
            predictor["tolerations"] = [
                {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
            ]
            predictor["nodeSelector"] = {"mlplatform.io/accelerator": "nvidia-l4"}
        k8s.apiextensions.CustomResource(
            "isvc",
            api_version="serving.kserve.io/v1beta1",
            kind="InferenceService",
            metadata={"name": "m", "namespace": "models"},
            spec={"predictor": predictor},
        )
        k8s.apiextensions.CustomResource(
            "authz",
            api_version="security.istio.io/v1",
            kind="AuthorizationPolicy",
            metadata={"name": "m", "namespace": "models"},
            spec={
                "selector": {"matchLabels": {"serving.kserve.io/inferenceservice": "m"}},
                # the inference API only (model-inference-api-only)
                "rules": [
                    {
                        "from": [{"source": {"requestPrincipals": ["*"]}}],
                        "to": [{"operation": {"methods": ["POST"], "paths": ["/v1/models/{*}"]}}],
                    },
                    # Knative's autoscaler scrapes the queue-proxy (model-inference-api-only, rev17i i24)
                    {
                        "from": [{"source": {"principals": ["cluster.local/ns/knative-serving/sa/controller"]}}],
                        "to": [{"operation": {"ports": ["9090"], "methods": ["GET"], "paths": ["/metrics"]}}],
                    },
                    # Knative's activator probes the pods (model-inference-api-only, fix17k)
                    {
                        "from": [{"source": {"principals": ["cluster.local/ns/knative-serving/sa/activator"]}}],
                        "to": [{"operation": {"ports": ["8012", "8013"], "methods": ["GET"]}}],
                        "when": [{"key": "request.headers[User-Agent]", "values": ["Knative-Activator-Probe"]}],
                    },
                    # the gateway's ingress readiness probe reaches the queue-proxy (model-inference-api-only, fix17n)
                    {
                        "from": [{"source": {"principals": ["cluster.local/ns/istio-system/sa/istio-ingressgateway"]}}],
                        "to": [{"operation": {"ports": ["8012", "8013"], "methods": ["GET"]}}],
                        "when": [{"key": "request.headers[K-Network-Probe]", "values": ["probe"]}],
                    },
                ]
                if good
                else [{}],
            },
        )
        k8s.apiextensions.CustomResource(
            "jwt",
            api_version="security.istio.io/v1",
            kind="RequestAuthentication",
            metadata={"name": "m", "namespace": "models"},
            spec={"jwtRules": [{"issuer": "https://issuer", "jwksUri": "https://issuer/jwks"}]},
        )
        if good:
            # serving ports open, metrics ports closed to all but the platform's Prometheus
            # (model-metrics-prometheus-only)
            k8s.networking.v1.NetworkPolicy(
                "netpol",
                metadata={"name": "m", "namespace": "models"},
                spec={
                    "podSelector": {"matchLabels": {"serving.kserve.io/inferenceservice": "m"}},
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {"ports": [{"protocol": "TCP", "port": 8012}, {"protocol": "TCP", "port": 8013}]},
                        {
                            "from": [
                                {
                                    "namespaceSelector": {
                                        "matchLabels": {"kubernetes.io/metadata.name": "knative-serving"}
                                    },
                                    "podSelector": {"matchLabels": {"app": "autoscaler"}},
                                }
                            ],
                            "ports": [{"protocol": "TCP", "port": 9090}],
                        },
                    ],
                },
            )
            k8s.apiextensions.CustomResource(
                "mesh",
                api_version="security.istio.io/v1",
                kind="PeerAuthentication",
                metadata={"name": "default", "namespace": "istio-system"},
                spec={"mtls": {"mode": "STRICT"}},
            )
        k8s.helm.v3.Release(
            "kps",
            chart="kube-prometheus-stack",
            version="88.5.3" if good else "",
            values={
                "grafana": {"service": {"type": "ClusterIP" if good else "LoadBalancer"}},
                # the zone spread the platform gives Prometheus on prod (prod-mesh-replicas)
                "prometheus": {
                    "prometheusSpec": {
                        "topologySpreadConstraints": [
                            {
                                "topologyKey": ZONE_KEY,
                                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
                            }
                        ]
                    }
                },
            },
        )
        k8s.policy.v1.PodDisruptionBudget(
            "pdb",
            metadata={"name": "m", "namespace": "models"},
            spec={
                "maxUnavailable": 1 if good else 0,
                "selector": {"matchLabels": {"serving.kserve.io/inferenceservice": "m"}},
            },
        )
        k8s.core.v1.Namespace(
            "ns",
            metadata={
                "name": "models",
                "labels": {
                    "pod-security.kubernetes.io/enforce": "restricted" if good else "privileged",
                    "istio-injection": "enabled" if good else "disabled",
                },
            },
        )
        k8s.apps.v1.Deployment(
            "web",
            metadata={"name": "web", "namespace": "models"},
            spec={
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        # the namespace enforces restricted: the good pod meets it (pod-restricted-hardening)
                        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
                        if good
                        else {},
                        "containers": [
                            {
                                "name": "web",
                                "image": "web:1",
                                "securityContext": {
                                    "privileged": False,
                                    "allowPrivilegeEscalation": False,
                                    "capabilities": {"drop": ["ALL"]},
                                }
                                if good
                                else {"privileged": True},
                            }
                        ],
                    },
                },
            },
        )

    return program


def test_kubernetes_stack() -> None:
    assert failing(k8s_stack(True)) == {}
    found = failing(k8s_stack(False))
    assert sorted(found) == [
        "helm-version-pinned",
        "isvc-gpu-scheduling",
        "mesh-mtls-strict",
        "model-container-limits",
        "model-endpoint-auth",
        "model-inference-api-only",
        "model-metrics-prometheus-only",
        "model-namespace-pod-security",
        "model-service-account",
        "model-sidecar-injection",
        "no-load-balancer-services",
        "no-privileged-containers",
        "pdb-allows-eviction",
        "pod-restricted-hardening",
        "privileged-namespaces-listed",
        "prod-model-replicas",
    ]
    assert found["no-privileged-containers"] == [
        "container web (spec.template.spec.containers[0]) is privileged",
        "container web (spec.template.spec.containers[0]) may run as root (set runAsNonRoot: true or a non-zero "
        "runAsUser)",
    ]


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_prod_only_rules_do_not_apply_elsewhere(stack: str) -> None:
    found = failing(k8s_stack(True), Facts(environment=stack))
    assert found == {}
    assert "prod-protect-stateful" not in failing(aws_stack(True), Facts(environment=stack, max_gpus=4))
