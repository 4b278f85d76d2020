"""Plausible, typed values for what only a deploy knows, used when a plan runs with ``outputs="fake"``.

A plan normally runs like ``pulumi preview``: outputs a provider computes are unknown and shown as
``(known after deploy)``. Tests that need to look through those values (the trust policy that names the OIDC
provider, the kubeconfig handed to the Kubernetes provider) run with fake outputs instead: deterministic values of
the right shape, derived from the resource's name. Secrets come back as secrets.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

from pulumi.runtime import rpc

ACCOUNT = "123456789012"
AWS_REGION = "us-east-1"
GCP_PROJECT = "mlplatform-test"
AZURE_SUB = "00000000-0000-0000-0000-000000000000"

Fake = Callable[[str, dict[str, Any]], dict[str, Any]]


def secret(value: Any) -> dict[str, Any]:
    """A value the SDK deserializes as a Pulumi secret."""
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def _uuid(name: str) -> str:
    h = hashlib.sha1(name.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _kubeconfig(name: str, server: str) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority-data": "LS0tLS1DQQ=="}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "fake-credential-plugin",
                        }
                    },
                }
            ],
        }
    )


CHILD = "__mlplatform_child__"
"""Marks, in a fake's outputs, a resource the remote component creates itself: the engine registers it as the
component's child (so ``pulumi:pulumi:getResource`` answers for it) and replaces the marker with a resource
reference, as the engine does for a component's resource outputs."""


def child(type_: str, name: str, state: dict[str, Any]) -> dict[str, Any]:
    """A child resource ``name`` of type ``type_`` with ``state``, to stand in a fake's outputs."""
    return {CHILD: {"type": type_, "name": name, "state": state}}


def _eks_cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    cluster_name = inputs.get("name") or f"{name}-eksCluster-{hashlib.sha1(name.encode()).hexdigest()[:7]}"
    oidc = f"oidc.eks.{AWS_REGION}.amazonaws.com/id/{hashlib.sha1(name.encode()).hexdigest()[:32].upper()}"
    server = f"https://{hashlib.md5(name.encode()).hexdigest().upper()}.gr7.{AWS_REGION}.eks.amazonaws.com"
    return {
        "kubeconfig": secret(json.loads(_kubeconfig(name, server))),
        "kubeconfigJson": secret(_kubeconfig(name, server)),
        "oidcProviderArn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{oidc}",
        "oidcProviderUrl": oidc,
        "oidcIssuer": f"https://{oidc}",
        "clusterSecurityGroupId": "sg-0123456789abcdef0",
        "nodeSecurityGroupId": "sg-0fedcba9876543210",
        "core": {"endpoint": server},
        # pulumi-eks names its aws.eks.Cluster `${name}-eksCluster` and passes `name: args.name` (pulumi/pulumi-eks
        # nodejs/eks/cluster/cluster.ts, createCore); the output `eksCluster` is that resource.
        "eksCluster": child(
            "aws:eks/cluster:Cluster",
            f"{name}-eksCluster",
            {"name": cluster_name, "arn": f"arn:aws:eks:{AWS_REGION}:{ACCOUNT}:cluster/{cluster_name}"},
        ),
    }


def _aws_arn(service: str, kind: str) -> Fake:
    def fake(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        physical = inputs.get("name") or f"{name}-{hashlib.sha1(name.encode()).hexdigest()[:7]}"
        return {"arn": f"arn:aws:{service}::{ACCOUNT}:{kind}/{physical}", "name": physical}

    return fake


def _gke_cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "endpoint": "203.0.113.10",
        "masterAuth": {"clusterCaCertificate": base64.b64encode(b"fake-ca").decode()},
        "selfLink": f"https://container.googleapis.com/v1/projects/{GCP_PROJECT}/locations/x/clusters/{name}",
    }


def _gsa(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    account = inputs.get("accountId", name)
    project = inputs.get("project", GCP_PROJECT)
    return {"email": f"{account}@{project}.iam.gserviceaccount.com", "name": f"projects/{project}/serviceAccounts/x"}


_AZURE_NAME_KEYS = (
    "name",
    "resourceName",
    "resourceGroupName",
    "virtualNetworkName",
    "subnetName",
    "workspaceName",
    "vaultName",
    "keyName",
    "agentPoolName",
)
"""Inputs that carry an azure-native resource's own name (the first present wins; the resource group last)."""


def _azure_id(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    own = [k for k in _AZURE_NAME_KEYS if k != "resourceGroupName" and inputs.get(k)]
    physical = inputs[own[-1]] if own else inputs.get("resourceGroupName", name)
    return {"id": f"/subscriptions/{AZURE_SUB}/resourceGroups/rg/providers/x/{name}", "name": physical}


def _aks(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    out = _azure_id(name, inputs)
    out["oidcIssuerProfile"] = {"enabled": True, "issuerURL": f"https://eastus.oic.prod-aks.azure.com/{_uuid(name)}/"}
    out["fqdn"] = f"{out['name']}.hcp.eastus.azmk8s.io"
    out["privateFQDN"] = f"{out['name']}.privatelink.eastus.azmk8s.io"
    identity = inputs.get("identity") or {}
    ids = identity.get("userAssignedIdentities") or []
    if isinstance(ids, list):  # the input is a list of ids; the output is a map by id
        out["identity"] = {
            "type": identity.get("type", "UserAssigned"),
            "userAssignedIdentities": {i: {"clientId": _uuid(i + "c"), "principalId": _uuid(i + "p")} for i in ids},
        }
    return out


def _vpc(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    zones = int(inputs.get("numberOfAvailabilityZones") or 3)
    return {
        "vpcId": f"vpc-{hashlib.sha1(name.encode()).hexdigest()[:17]}",
        "privateSubnetIds": [f"subnet-private{i}{hashlib.sha1(name.encode()).hexdigest()[:9]}" for i in range(zones)],
        "publicSubnetIds": [f"subnet-public{i}{hashlib.sha1(name.encode()).hexdigest()[:10]}" for i in range(zones)],
        "isolatedSubnetIds": [],
    }


def _sqs(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    physical = inputs.get("name") or name
    return {
        "arn": f"arn:aws:sqs:{AWS_REGION}:{ACCOUNT}:{physical}",
        "url": f"https://sqs.{AWS_REGION}.amazonaws.com/{ACCOUNT}/{physical}",
        "name": physical,
    }


def _kv_key(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    out = _azure_id(name, inputs)
    uri = f"https://{inputs.get('vaultName', 'vault')}.vault.azure.net/keys/{inputs.get('keyName', name)}"
    out.update({"keyUri": uri, "keyUriWithVersion": f"{uri}/0123456789abcdef0123456789abcdef"})
    return out


def _aks_credentials(args: dict[str, Any]) -> dict[str, Any]:
    name = str(args.get("resourceName", "aks"))
    server = f"https://{name}.privatelink.eastus.azmk8s.io:443"
    config = _kubeconfig(name, server).replace("fake-credential-plugin", "kubelogin")
    return {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(config.encode()).decode()}]}


def _uami(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    out = _azure_id(name, inputs)
    out.update(
        {"clientId": _uuid(name + "client"), "principalId": _uuid(name + "principal"), "tenantId": _uuid("tenant")}
    )
    return out


FAKES: dict[str, Fake] = {
    "eks:index:Cluster": _eks_cluster,
    "aws:iam/role:Role": _aws_arn("iam", "role"),
    "aws:iam/policy:Policy": _aws_arn("iam", "policy"),
    "aws:sqs/queue:Queue": _sqs,
    "awsx:ec2:Vpc": _vpc,
    "azure-native:keyvault:Key": _kv_key,
    "aws:kms/key:Key": _aws_arn("kms", "key"),
    "gcp:container/cluster:Cluster": _gke_cluster,
    "gcp:serviceaccount/account:Account": _gsa,
    "azure-native:containerservice:ManagedCluster": _aks,
    "azure-native:managedidentity:UserAssignedIdentity": _uami,
}
"""Fake computed outputs by type token. Types not listed get an ``id`` and, for AWS, an ``arn``."""


def fake_outputs(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Computed outputs for a resource of ``type_`` named ``name``."""
    fake = FAKES.get(type_)
    if fake is not None:
        return fake(name, inputs)
    if type_.startswith("aws:"):
        service = type_.split(":")[1].split("/")[0]
        return {"arn": f"arn:aws:{service}:{AWS_REGION}:{ACCOUNT}:{name}"}
    if type_.startswith("azure-native:"):
        return _azure_id(name, inputs)
    return {}


def fake_id(type_: str, name: str) -> str:
    """A plausible physical id."""
    return f"{name}-id"


CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": lambda a: {
        "names": [f"{AWS_REGION}a", f"{AWS_REGION}b", f"{AWS_REGION}c"],
        "zoneIds": ["use1-az1", "use1-az2", "use1-az4"],
    },
    "aws:index/getCallerIdentity:getCallerIdentity": lambda a: {
        "accountId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:user/plan",
        "userId": "AIDAPLAN",
    },
    "aws:index/getPartition:getPartition": lambda a: {"partition": "aws", "dnsSuffix": "amazonaws.com"},
    "aws:index/getRegion:getRegion": lambda a: {"name": AWS_REGION, "region": AWS_REGION},
    "eks:index:Cluster/getKubeconfig": lambda a: {"result": secret(_kubeconfig("eks", "https://eks.example"))},
    "gcp:organizations/getClientConfig:getClientConfig": lambda a: {"project": GCP_PROJECT},
    "gcp:organizations/getProject:getProject": lambda a: {
        "projectId": a.get("projectId", GCP_PROJECT),
        "number": "123456789012",
    },
    "gcp:compute/getZones:getZones": lambda a: {
        "names": [f"{a.get('region', 'us-central1')}-{z}" for z in ("f", "c", "a", "b")],
    },
    "azure-native:containerservice:listManagedClusterUserCredentials": _aks_credentials,
    "azure-native:authorization:getClientConfig": lambda a: {
        "subscriptionId": AZURE_SUB,
        "tenantId": _uuid("tenant"),
        "clientId": _uuid("client"),
        "objectId": _uuid("object"),
    },
}
"""Fake answers to provider functions (invokes) by token."""
