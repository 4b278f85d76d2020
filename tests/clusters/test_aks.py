"""AksCluster under mocks: managed cluster settings, KMS, audit logs, GPU AgentPools, workload identity grants."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from cluster_support import assert_tree, build

import support
from components.clusters.aks import key_vault_name, kubeconfig_from_credentials
from components.errors import SpecError
from components.plan import fakes

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
        {"gpuPools": POOLS, "azure": {"storageResourceGroup": "models-rg"}},
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
    assert re.fullmatch(r"t4[0-9a-f]{4}", inputs["agentPoolName"])  # tests/clusters/test_pool_replacement.py
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
    assert f["issuer"] == aks.component.outputs["oidcIssuer"]
    assert f["issuer"].startswith("https://eastus.oic.prod-aks.azure.com/")
    assert f["resourceName"] == "mlp-test-iris"
    role = aks.one("azure-native:authorization:RoleAssignment", "iris-storage-read")
    assert role.parent == parent.urn
    r = role.plain_inputs()
    assert r["roleDefinitionId"] == (
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
    )
    assert r["scope"] == (
        f"/subscriptions/{SUB}/resourceGroups/models-rg/providers/Microsoft.Storage/storageAccounts/modelstore"
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
    assert built.component.outputs["controlPlaneTier"] == "premium"


def test_seam_outputs_tree_and_tags(aks: Any) -> None:
    out = aks.component.outputs
    assert out["cloud"] == "azure" and out["region"] == "eastus"
    assert out["controlPlaneTier"] == "standard"
    assert out["endpoint"] == "https://mlp-test.privatelink.eastus.azmk8s.io:443"
    assert out["gpuPools"]["t4"]["instanceType"] == "Standard_NC4as_T4_v3"
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


# ------------------------------------------------------------------------------------------------ issue #11

ROLE_AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
"""Azure Kubernetes Service RBAC Cluster Admin (DataActions Microsoft.ContainerService/managedClusters/*): with Azure
RBAC on and local accounts off, only data-plane roles let a principal call the API (Microsoft docs,
aks/manage-azure-rbac)."""
AZURE_TAG_NAME_FORBIDDEN = set("<>%&\\?/")
"""MicrosoftDocs/azure-docs articles/azure-resource-manager/management/tag-resources.md, Limitations; the same rule in
Azure/azure-resource-manager-rpc v1.0/resource-api-reference.md."""


def test_the_deploying_identity_may_call_the_kubernetes_api(aks: Any) -> None:
    """Defect 5: the identity running pulumi up gets RBAC Cluster Admin on the cluster, and the Kubernetes provider
    (so every Helm release and object) waits for that assignment."""
    admin = aks.one("azure-native:authorization:RoleAssignment", "mlp-deployer-admin")
    a = admin.plain_inputs()
    assert a["roleDefinitionId"] == (
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{ROLE_AKS_RBAC_CLUSTER_ADMIN}"
    )
    assert admin.property_dependencies["scope"] == [aks.one(AKS).urn]
    client = fakes.CALLS["azure-native:authorization:getClientConfig"]({})
    assert a["principalId"] == client["objectId"]
    provider = aks.one("pulumi:providers:kubernetes")
    assert admin.urn in provider.depends_on


def test_admin_groups_from_config_get_the_role_too() -> None:
    group = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    built = build("azure", {"azure": {"adminGroupIds": [group]}}, outputs="unknown")
    g = built.one("azure-native:authorization:RoleAssignment", "mlp-admin-group-0")
    assert g.plain_inputs()["principalId"] == group
    assert g.plain_inputs()["principalType"] == "Group"
    assert g.urn in built.one("pulumi:providers:kubernetes").depends_on


def test_every_tag_the_cluster_puts_on_azure_resources_is_an_azure_tag_name(aks: Any) -> None:
    """Defect 4: no tag name holds < > % & \\ ? / (Azure refuses the resource), names <= 512, values <= 256."""
    seen = 0
    for reg in aks.result.resources:
        if not reg.type.startswith("azure-native:"):
            continue
        for tags in _tag_maps(reg.plain_inputs()):
            seen += 1
            assert len(tags) <= 50, reg.name
            for key, value in tags.items():
                assert not set(key) & AZURE_TAG_NAME_FORBIDDEN, f"{reg.name}: tag {key}"
                assert 1 <= len(key) <= 512 and len(str(value)) <= 256, f"{reg.name}: tag {key}"
    assert seen > 5
    assert aks.inputs(AKS)["tags"]["mlplatform.io_cluster"] == "mlp-test"


def _tag_maps(value: Any) -> list[dict[str, Any]]:
    """Every ``tags`` map anywhere in a resource's inputs (the managed cluster's inline pool has its own)."""
    found: list[dict[str, Any]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "tags" and isinstance(v, dict):
                found.append(v)
            else:
                found.extend(_tag_maps(v))
    elif isinstance(value, list):
        for v in value:
            found.extend(_tag_maps(v))
    return found


def test_blob_storage_in_the_stacks_own_new_resource_group_is_refused() -> None:
    """Defect 8: the reader role's scope would be a storage account in the group this stack creates (it cannot
    exist); the component refuses as the config does, and uses resourceGroup when the cluster goes into an existing
    one."""
    uri = "https://modelstore.blob.core.windows.net/models/iris"
    with pytest.raises(SpecError) as info:
        build("azure", {}, grants=[("iris", "models", "iris-sa", uri)])
    assert str(info.value) == (
        f"cluster.azure.storageResourceGroup: not set is not allowed; {uri} is Azure blob storage; give the resource "
        "group of that storage account (this stack creates its own resource group, which holds no storage account)"
    )
    built = build("azure", {"azure": {"resourceGroup": "shared-rg"}}, grants=[("iris", "models", "iris-sa", uri)])
    scope = built.inputs("azure-native:authorization:RoleAssignment", "iris-storage-read")["scope"]
    assert "/resourceGroups/shared-rg/" in scope


def test_key_vault_name_changes_with_the_key_generation() -> None:
    """Defect 11: a purge-protected vault's name stays reserved for 90 days after deletion (soft delete), so a
    re-deploy after destroy needs a new name: keyGeneration changes it, within Key Vault's 3-24 characters. Review 9:
    generation 1 keeps the name the vault had before keyGeneration existed (hashed with the resource group only)."""
    vault = "azure-native:keyvault:Vault"
    # placeholders: the name hashes the subscription, a provider function's answer (unknown in a plain plan)
    names = {g: build("azure", {"keyGeneration": g}, outputs="fake").inputs(vault)["vaultName"] for g in (1, 2)}
    assert names[1] == "mlp-test-kms-799e9e"  # short_name("mlp-test-kms", 24, salt="mlp-test-rg"), as before
    assert names[2] != names[1]
    assert all(KEY_VAULT_NAME.match(n) for n in names.values())


KEY_VAULT_NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
"""Key Vault names: 3-24 alphanumerics and hyphens, start with a letter, end with a letter or digit, no consecutive
hyphens (MicrosoftDocs/azure-docs articles/azure-resource-manager/management/resource-name-rules.md,
Microsoft.KeyVault vaults)."""


@pytest.mark.parametrize(
    "cluster", ["a", "a--b", "mlp---x", "a-b-c-d-e-f-g-h-i-j-k-l-m", "x" * 40, "abcdefghijklmnop--q"]
)
@pytest.mark.parametrize("generation", [1, 2, 99])
def test_every_key_vault_name_follows_azures_rule(cluster: str, generation: int) -> None:
    """Review 8: cluster names may hold '--' (GKE's rule allows it) but a Key Vault name may not: collapsed."""
    name = key_vault_name(cluster, f"{cluster}-rg", generation, SUB)
    assert KEY_VAULT_NAME.match(name), name


def test_later_key_vault_generations_are_unique_per_subscription() -> None:
    """Review 8: vault names are global; from generation 2 the subscription is in the hash, so the same cluster and
    resource group names in two subscriptions get two names (generation 1 keeps its pre-keyGeneration name)."""
    other = "11111111-1111-1111-1111-111111111111"
    assert key_vault_name("mlp", "rg", 2, SUB) != key_vault_name("mlp", "rg", 2, other)
    assert key_vault_name("mlp", "rg", 1, SUB) == key_vault_name("mlp", "rg", 1, other)


def test_azure_staging_reads_its_model_from_the_storage_accounts_group() -> None:
    """Defect 8 on the shipped stack: bert-onnx's reader role is scoped to the storage account in
    storageResourceGroup, not into the resource group the stack creates for the cluster. Over placeholders: the
    scope starts with the subscription, a provider function's answer (unknown in the plain plan)."""
    plan = support.stack_plan(None, "azure-staging", placeholders=True).result
    created = {r.plain_inputs()["resourceGroupName"] for r in plan.of_type("azure-native:resources:ResourceGroup")}
    roles = plan.of_type("azure-native:authorization:RoleAssignment")
    (reader,) = [r for r in roles if r.name.endswith("storage-read")]
    scope = reader.plain_inputs()["scope"]
    assert "/resourceGroups/mlp-staging-models/providers/Microsoft.Storage/storageAccounts/mlpstagingmodels/" in scope
    assert not any(f"/resourceGroups/{rg}/" in scope for rg in created)


@pytest.mark.parametrize("given", [None, "User", "ServicePrincipal"])
def test_the_deployer_role_assignment_names_the_configured_principal_type(given: str | None) -> None:
    """Review 1: pulumi-azure-native 3.29 sends principalType "User" when none is given (authorization/
    role_assignment.py); a CI service principal or managed identity then gets UnmatchedPrincipalType
    (Azure/modern-web-app-pattern-dotnet#129). The type comes from cluster.azure.deployerPrincipalType (default User),
    passed explicitly."""
    azure = {} if given is None else {"deployerPrincipalType": given}
    built = build("azure", {"azure": azure}, outputs="unknown")
    admin = built.one("azure-native:authorization:RoleAssignment", "mlp-deployer-admin")
    assert admin.plain_inputs()["principalType"] == (given or "User")
    assert "principalType" in admin.inputs  # sent by us, not filled in by the SDK's default


def test_the_deployer_principal_type_accepts_user_or_service_principal_only() -> None:
    with pytest.raises(Exception, match=r"deployerPrincipalType|deployer_principal_type"):
        build("azure", {"azure": {"deployerPrincipalType": "MSI"}}, outputs="unknown")


def test_kubernetes_calls_wait_for_the_role_assignments_to_propagate(aks: Any) -> None:
    """Review 2: new role assignments take up to five minutes to reach the AKS authorization server
    (MicrosoftDocs/azure-docs articles/aks/manage-azure-rbac.md): the Kubernetes provider depends on a wait that
    follows every admin assignment and sleeps 300 s when created, and only then."""
    from components.clusters import aks as aks_module

    wait = aks.one("pulumi-python:dynamic:Resource", "mlp-rbac-propagation")
    provider = aks.one("pulumi:providers:kubernetes")
    assert wait.urn in provider.depends_on
    admin = aks.one("azure-native:authorization:RoleAssignment", "mlp-deployer-admin")
    assert admin.urn in wait.depends_on
    assert wait.plain_inputs()["seconds"] == 300
    slept: list[float] = []
    impl = aks_module._PropagationWaitProvider()
    orig = aks_module.time.sleep
    aks_module.time.sleep = slept.append  # type: ignore[assignment]
    try:
        impl.create({"assignments": ["a"], "seconds": 300})
    finally:
        aks_module.time.sleep = orig
    assert slept == [300]
    assert impl.diff("x", {"assignments": ["a"]}, {"assignments": ["a"]}).changes is False
    assert impl.diff("x", {"assignments": ["a"]}, {"assignments": ["b"]}).replaces == ["assignments"]


def test_the_propagation_wait_provider_survives_pulumis_serialization() -> None:
    """Review 2: a dynamic provider reaches `pulumi up` as the SDK's dill serialization (pulumi/dynamic/dynamic.py,
    serialize_provider), loaded by a separate Python process; the wait's provider round-trips and runs there."""
    import os
    import subprocess
    import sys

    from pulumi.dynamic.dynamic import serialize_provider

    from components.clusters.aks import _PropagationWaitProvider

    blob = serialize_provider(_PropagationWaitProvider())
    code = (
        "import base64, sys, dill\n"
        "p = dill.loads(base64.b64decode(sys.argv[1]))\n"
        "r = p.create({'assignments': ['a'], 'seconds': 0})\n"
        "print(r.id, p.diff('x', {'assignments': ['a']}, {'assignments': ['b']}).replaces)\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only the project directory, as for pulumi
    out = subprocess.run(
        [sys.executable, "-c", code, blob], cwd=root, env=env, capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == ["rbac-propagated", "['assignments']"]
