"""AksCluster under mocks: managed cluster settings, KMS, audit logs, GPU AgentPools, workload identity grants."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cluster_support import assert_tree, build

from components.clusters.aks import kubeconfig_from_credentials
from components.errors import SpecError

AKS = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
SUB = "00000000-0000-0000-0000-000000000000"
POOLS = {
    "t4": {"accelerator": "nvidia-t4", "maxNodes": 3, "spot": True},
    "a100": {"accelerator": "nvidia-a100-80gb", "minNodes": 1, "maxNodes": 2,
             "sharing": {"strategy": "mig", "migProfile": "3g.40gb"}},
}  # fmt: skip


@pytest.fixture(scope="module")
def aks() -> Any:
    return build(
        "azure",
        {"gpuPools": POOLS},
        grants=[("iris", "models", "iris-sa", "https://modelstore.blob.core.windows.net/models/sklearn/iris")],
    )


def test_managed_cluster_settings(aks: Any) -> None:
    reg = aks.one(AKS)
    c = reg.plain_inputs()
    assert c["resourceName"] == "mlp-test"
    assert c["resourceGroupName"] == "mlp-test-rg"
    assert c["kubernetesVersion"] == "1.34"
    assert c["sku"] == {"name": "Base", "tier": "Standard"}
    assert c["identity"]["type"] == "UserAssigned"
    assert c["identity"]["userAssignedIdentities"] == ["mlp-control-plane-id"]
    assert c["oidcIssuerProfile"] == {"enabled": True}
    assert c["securityProfile"]["workloadIdentity"] == {"enabled": True}
    kms = c["securityProfile"]["azureKeyVaultKms"]
    assert kms == {"enabled": True, "keyId": kms["keyId"], "keyVaultNetworkAccess": "Public"}
    assert kms["keyId"].startswith("https://mlp-test-kms-")
    assert kms["keyId"].endswith(".vault.azure.net/keys/aks-etcd/0123456789abcdef0123456789abcdef")
    assert c["enableRBAC"] is True
    assert c["disableLocalAccounts"] is True
    assert c["aadProfile"] == {"managed": True, "enableAzureRBAC": True}
    assert c["apiServerAccessProfile"] == {"enablePrivateCluster": True}
    assert c["networkProfile"] == {
        "networkPlugin": "azure",
        "networkPluginMode": "overlay",
        "networkDataplane": "cilium",
        "networkPolicy": "cilium",
        "podCidr": "10.244.0.0/16",
        "serviceCidr": "172.16.0.0/16",
        "dnsServiceIP": "172.16.0.10",
        "loadBalancerSku": "standard",
        "outboundType": "loadBalancer",
    }
    assert c["autoUpgradeProfile"] == {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "NodeImage"}
    assert c["addonProfiles"] == {"azurepolicy": {"enabled": True}}
    assert reg.ignore_changes == ["agentPoolProfiles"]
    assert reg.protect is False


def test_only_the_system_pool_is_inline(aks: Any) -> None:
    (system,) = aks.inputs(AKS)["agentPoolProfiles"]
    assert system["name"] == "system"
    assert system["mode"] == "System"
    assert system["vmSize"] == "Standard_D4s_v5"
    assert (system["count"], system["minCount"], system["maxCount"]) == (2, 2, 4)
    assert system["enableAutoScaling"] is True
    assert system["availabilityZones"] == ["1", "2", "3"]
    assert system["nodeLabels"] == {"mlplatform.io/pool": "system"}
    assert system["enableNodePublicIP"] is False
    assert system["vnetSubnetID"] == "mlp-nodes-id"


def test_kms_key_vault_and_role_assignments(aks: Any) -> None:
    vault = aks.one("azure-native:keyvault:Vault")
    props = vault.plain_inputs()["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["enablePurgeProtection"] is True
    assert props["enableSoftDelete"] is True
    roles = {r.name: r.plain_inputs() for r in aks.result.of_type("azure-native:authorization:RoleAssignment")}
    kms = roles["mlp-control-plane-kms"]
    assert kms["roleDefinitionId"] == (
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/12338af0-0e69-4776-bea7-57ae8d297424"
    )
    assert kms["scope"] == "mlp-vault-id"
    net = roles["mlp-control-plane-network"]
    assert net["scope"] == "mlp-nodes-id"
    deps = aks.one(AKS).depends_on
    assert aks.one("azure-native:authorization:RoleAssignment", "mlp-control-plane-kms").urn in deps


def test_audit_logs_go_to_log_analytics(aks: Any) -> None:
    diag = aks.inputs("azure-native:monitor:DiagnosticSetting")
    assert [log["category"] for log in diag["logs"]] == ["kube-audit-admin", "kube-apiserver", "guard"]
    assert all(log["enabled"] for log in diag["logs"])
    assert diag["resourceUri"] == "mlp-aks-id"
    assert diag["workspaceId"] == "mlp-logs-id"


def test_gpu_agent_pools(aks: Any) -> None:
    t4 = aks.one(POOL, "mlp-gpu-t4")
    inputs = t4.plain_inputs()
    assert inputs["agentPoolName"] == "t4"
    assert inputs["resourceName"] == "mlp-test"
    assert inputs["mode"] == "User"
    assert inputs["vmSize"] == "Standard_NC4as_T4_v3"
    assert (inputs["count"], inputs["minCount"], inputs["maxCount"]) == (0, 0, 3)
    assert inputs["enableAutoScaling"] is True
    assert inputs["nodeTaints"] == [
        "nvidia.com/gpu=present:NoSchedule",
        "kubernetes.azure.com/scalesetpriority=spot:NoSchedule",
    ]
    assert inputs["nodeLabels"] == {"mlplatform.io/accelerator": "nvidia-t4", "mlplatform.io/pool": "t4"}
    assert inputs["gpuProfile"] == {"driver": "Install"}
    assert inputs["scaleSetPriority"] == "Spot"
    assert inputs["scaleSetEvictionPolicy"] == "Delete"
    assert inputs["spotMaxPrice"] == -1
    assert "availabilityZones" not in inputs
    assert t4.ignore_changes == ["count"]
    a100 = aks.inputs(POOL, "mlp-gpu-a100")
    assert a100["gpuInstanceProfile"] == "MIG3g"
    assert a100["nodeTaints"] == ["nvidia.com/gpu=present:NoSchedule"]
    assert "scaleSetPriority" not in a100
    assert (a100["count"], a100["minCount"]) == (1, 1)


def test_spot_pools_add_the_spot_toleration(aks: Any) -> None:
    assert aks.cluster.gpu.tolerations() == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"},
        {"key": "kubernetes.azure.com/scalesetpriority", "operator": "Equal", "value": "spot", "effect": "NoSchedule"},
    ]
    on_demand = build("azure", {"gpuPools": {"t4": {"accelerator": "nvidia-t4", "maxNodes": 1}}}, outputs="unknown")
    assert len(on_demand.cluster.gpu.tolerations()) == 1


def test_workload_identity_grant(aks: Any) -> None:
    parent = aks.one("test:index:Parent", "iris-parent")
    identity = aks.one("azure-native:managedidentity:UserAssignedIdentity", "iris-identity")
    assert identity.parent == parent.urn
    fed = aks.one("azure-native:managedidentity:FederatedIdentityCredential", "iris-federated")
    assert fed.parent == parent.urn
    f = fed.plain_inputs()
    assert f["subject"] == "system:serviceaccount:models:iris-sa"
    assert f["audiences"] == ["api://AzureADTokenExchange"]
    assert f["issuer"] == aks.component.outputs["oidc_issuer"]
    assert f["issuer"].startswith("https://eastus.oic.prod-aks.azure.com/")
    assert f["resourceName"] == "mlp-test-iris"
    role = aks.one("azure-native:authorization:RoleAssignment", "iris-storage-read")
    assert role.parent == parent.urn
    r = role.plain_inputs()
    assert r["roleDefinitionId"] == (
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
    )
    assert r["scope"] == (
        f"/subscriptions/{SUB}/resourceGroups/mlp-test-rg/providers/Microsoft.Storage/storageAccounts/modelstore"
        "/blobServices/default/containers/models"
    )
    assert r["principalType"] == "ServicePrincipal"
    access = aks.grants["iris"]
    assert access.pod_labels == {"azure.workload.identity/use": "true"}
    client_id = aks.resolved["iris"]["azure.workload.identity/client-id"]
    assert len(client_id) == 36 and client_id.count("-") == 4


def test_storage_on_another_cloud_is_an_error() -> None:
    with pytest.raises(SpecError) as info:
        build("azure", {}, grants=[("m", "ns", "sa", "s3://bucket-x/m")])
    assert str(info.value) == (
        "storageUri: s3://bucket-x/m is not allowed; s3:// storage is on aws but this cluster is on azure; use azure "
        "storage, or set publicStorage: true for a public bucket"
    )


def test_kubeconfig_uses_kubelogin_without_tokens(aks: Any) -> None:
    kubeconfig = json.loads(aks.resolved["kubeconfig"])
    user = kubeconfig["users"][0]["user"]
    assert set(user) == {"exec"}
    assert user["exec"]["command"] == "kubelogin"
    assert user["exec"]["args"] == [
        "get-token", "--login", "azurecli", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"
    ]  # fmt: skip
    provider = aks.one("pulumi:providers:kubernetes")
    assert provider.plain_inputs()["clusterIdentifier"] == "aks/mlp-test-rg/mlp-test"


def test_kubeconfig_conversion_drops_the_credential_user() -> None:
    original = {
        "clusters": [{"name": "c", "cluster": {"server": "https://x:443", "certificate-authority-data": "Q0E="}}],
        "users": [{"name": "u", "user": {"token": "secret-token"}}],
    }
    out = kubeconfig_from_credentials("c", base64.b64encode(yaml.safe_dump(original).encode()).decode())
    assert "secret-token" not in out
    assert json.loads(out)["clusters"][0]["cluster"]["server"] == "https://x:443"


def test_public_api_only_for_authorized_ranges_and_prod_protection() -> None:
    built = build("azure", {"apiAccess": {"publicCidrs": ["203.0.113.0/24"]}}, environment="prod", outputs="unknown")
    reg = built.one(AKS)
    assert reg.plain_inputs()["apiServerAccessProfile"] == {
        "enablePrivateCluster": False,
        "authorizedIPRanges": ["203.0.113.0/24"],
    }
    assert reg.protect is True
    assert built.one("azure-native:keyvault:Key").protect is True
    assert built.one("azure-native:keyvault:Vault").protect is True


def test_existing_resource_group_is_used() -> None:
    built = build("azure", {"azure": {"resourceGroup": "shared-rg", "tier": "premium"}}, outputs="unknown")
    assert built.result.of_type("azure-native:resources:ResourceGroup") == []
    c = built.inputs(AKS)
    assert c["resourceGroupName"] == "shared-rg"
    assert c["sku"]["tier"] == "Premium"
    assert built.component.outputs["control_plane_tier"] == "premium"


def test_seam_outputs_tree_and_tags(aks: Any) -> None:
    out = aks.component.outputs
    assert out["cloud"] == "azure" and out["region"] == "eastus"
    assert out["control_plane_tier"] == "standard"
    assert out["endpoint"] == "https://mlp-test.privatelink.eastus.azmk8s.io:443"
    assert out["gpu_pools"]["t4"]["instance_type"] == "Standard_NC4as_T4_v3"
    assert aks.cluster.gpu.needs_device_plugin is True
    assert_tree(aks)
    for r in aks.result.resources:
        if r.type.startswith("azure-native:") and "tags" in r.plain_inputs():
            assert {"environment", "owner"} <= set(r.plain_inputs()["tags"]), r.name
    untagged = {r.type for r in aks.result.resources if r.type.startswith("azure-native:")
                and "tags" not in r.plain_inputs()}  # fmt: skip
    assert untagged == {
        "azure-native:network:Subnet",
        "azure-native:authorization:RoleAssignment",
        "azure-native:monitor:DiagnosticSetting",
        "azure-native:managedidentity:FederatedIdentityCredential",
    }


def test_azure_staging_stack_file() -> None:
    cfg = yaml.safe_load(Path(__file__).resolve().parents[2].joinpath("stacks/Pulumi.azure-staging.yaml").read_text())
    conf = cfg["config"]
    assert conf["mlplatform:region"] == "eastus" and conf["mlplatform:environment"] == "staging"
    (pool,) = conf["mlplatform:cluster"]["gpuPools"].values()
    assert pool["accelerator"] in ("nvidia-t4", "nvidia-a100-40gb", "nvidia-a100-80gb")
    assert (pool["minNodes"], pool["maxNodes"]) == (0, 3)
