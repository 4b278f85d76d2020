"""Azure placeholders for ``mlplatform plan`` (the cloud's placeholder module, :attr:`components.clouds.Cloud.plan`;
:mod:`components.plan.fakes` says what such a module defines). The subscription is all zeros."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

from components.plan.fakes import Fake, kubeconfig, uuid

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"

_NAME_KEYS = (
    "name",
    "resourceName",
    "resourceGroupName",
    "virtualNetworkName",
    "subnetName",
    "workspaceName",
    "vaultName",
    "keyName",
    "agentPoolName",
    "accountName",
    "containerName",
    "managementPolicyName",
)
"""Inputs that carry an azure-native resource's own name: the last present in this order wins, the resource group
only when none is (a storage account's own name is its ``accountName``; a blob container or management policy under
it also carries ``accountName``, so its own key comes after)."""


def placeholders(config: Mapping[str, str], project: str) -> dict[str, str]:
    """What the plan says about the Azure placeholders."""
    return {"azureSubscription": SUBSCRIPTION}


def _resource_id(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    own = [k for k in _NAME_KEYS if k != "resourceGroupName" and inputs.get(k)]
    physical = inputs[own[-1]] if own else inputs.get("resourceGroupName", name)
    return {"id": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/x/{name}", "name": physical}


def _managed_cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    out = _resource_id(name, inputs)
    out["oidcIssuerProfile"] = {"enabled": True, "issuerURL": f"https://eastus.oic.prod-aks.azure.com/{uuid(name)}/"}
    out["fqdn"] = f"{out['name']}.hcp.eastus.azmk8s.io"
    out["privateFQDN"] = f"{out['name']}.privatelink.eastus.azmk8s.io"
    identity = inputs.get("identity") or {}
    ids = identity.get("userAssignedIdentities") or []
    if isinstance(ids, list):  # the input is a list of ids; the output is a map by id
        out["identity"] = {
            "type": identity.get("type", "UserAssigned"),
            "userAssignedIdentities": {i: {"clientId": uuid(i + "c"), "principalId": uuid(i + "p")} for i in ids},
        }
    return out


def _kv_key(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    out = _resource_id(name, inputs)
    uri = f"https://{inputs.get('vaultName', 'vault')}.vault.azure.net/keys/{inputs.get('keyName', name)}"
    out.update({"keyUri": uri, "keyUriWithVersion": f"{uri}/0123456789abcdef0123456789abcdef"})
    return out


def _cluster_credentials(args: dict[str, Any]) -> dict[str, Any]:
    name = str(args.get("resourceName", "aks"))
    server = f"https://{name}.privatelink.eastus.azmk8s.io:443"
    config = kubeconfig(name, server).replace("fake-credential-plugin", "kubelogin")
    return {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(config.encode()).decode()}]}


def _uami(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    out = _resource_id(name, inputs)
    out.update({"clientId": uuid(name + "client"), "principalId": uuid(name + "principal"), "tenantId": uuid("tenant")})
    return out


FAKES: dict[str, Fake] = {
    "azure-native:keyvault:Key": _kv_key,
    "azure-native:containerservice:ManagedCluster": _managed_cluster,
    "azure-native:managedidentity:UserAssignedIdentity": _uami,
}
"""Placeholder computed outputs by type token; other ``azure-native:`` types get an id and a name
(:func:`fallback`)."""


def fallback(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any] | None:
    """Any other ``azure-native:`` type: a resource id and its name."""
    return _resource_id(name, inputs) if type_.startswith("azure-native:") else None


CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "azure-native:containerservice:listManagedClusterUserCredentials": _cluster_credentials,
    "azure-native:authorization:getClientConfig": lambda a: {
        "subscriptionId": SUBSCRIPTION,
        "tenantId": uuid("tenant"),
        "clientId": uuid("client"),
        "objectId": uuid("object"),
    },
}
"""Fake answers to the Azure provider functions (invokes) by token."""
