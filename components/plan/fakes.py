"""Typed placeholders for what only a deploy knows: ``mlplatform plan --placeholders`` and ``outputs="fake"``.

A plan normally runs like ``pulumi preview``: outputs a provider computes are unknown and shown as
``(known after deploy)``. With placeholders (the CLI's ``--placeholders``, the engine's ``outputs="fake"``) every such
output gets a deterministic value of the right shape instead, derived from the resource's name, so that documents
built from outputs (IAM trust policies naming the OIDC provider, the Karpenter controller policy naming the queue and
the node role, kubeconfigs) are rendered in full and can be checked. Secrets come back as secrets.

Placeholders are recognisable: the AWS account is ``123456789012`` (the example account of AWS's documentation), the
Azure subscription is all zeros, the GCP project ``mlplatform-test``; hashes of the resource name stand in for ids.
AWS ARNs follow each resource type's ARN format from the AWS Service Authorization Reference, in the partition of the
stack's region (``tests/plan/test_placeholders.py`` checks both against parliament's copy of that reference and
botocore's partition table).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pulumi.runtime import rpc

ACCOUNT = "123456789012"
AWS_REGION = "us-east-1"
GCP_PROJECT = "mlplatform-test"
AZURE_SUB = "00000000-0000-0000-0000-000000000000"

PARTITIONS: tuple[tuple[str, str, str], ...] = (
    ("aws-us-gov", r"^us\-gov\-\w+\-\d+$", "amazonaws.com"),
    ("aws-iso-b", r"^us\-isob\-\w+\-\d+$", "sc2s.sgov.gov"),
    ("aws-iso-f", r"^us\-isof\-\w+\-\d+$", "csp.hci.ic.gov"),
    ("aws-iso", r"^us\-iso\-\w+\-\d+$", "c2s.ic.gov"),
    ("aws-iso-e", r"^eu\-isoe\-\w+\-\d+$", "cloud.adc-e.uk"),
    ("aws-cn", r"^cn\-\w+\-\d+$", "amazonaws.com.cn"),
    ("aws-eusc", r"^eusc\-(de)\-\w+\-\d+$", "amazonaws.eu"),
    ("aws", r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$", "amazonaws.com"),
)
"""AWS partitions: name, region pattern, DNS suffix (botocore 1.44.8 ``botocore/data/endpoints.json``, ``partitions``;
the more specific patterns first, as ``us-gov-west-1`` also matches the ``aws`` pattern)."""


@dataclass(frozen=True)
class AwsShape:
    """Where placeholder AWS values live: region, partition and DNS suffix (the account is always :data:`ACCOUNT`)."""

    region: str = AWS_REGION
    partition: str = "aws"
    dns_suffix: str = "amazonaws.com"

    @classmethod
    def for_region(cls, region: str | None) -> AwsShape:
        """The shape for ``region`` (its partition from :data:`PARTITIONS`); us-east-1 when none or unknown."""
        if not region:
            return cls()
        for partition, pattern, suffix in PARTITIONS:
            if re.match(pattern, region):
                return cls(region, partition, suffix)
        return cls(region)

    def arn(self, service: str, resource: str, *, regional: bool = True, account: bool = True) -> str:
        """``arn:<partition>:<service>:<region>:<account>:<resource>``."""
        region = self.region if regional else ""
        return f"arn:{self.partition}:{service}:{region}:{ACCOUNT if account else ''}:{resource}"


AWS = AwsShape()
"""The shape of the run in progress (set by :func:`use_region` when a plan starts)."""


def use_region(region: str | None) -> AwsShape:
    """Make placeholder AWS values for ``region`` (and its partition) until the next call; returns the shape."""
    global AWS
    AWS = AwsShape.for_region(region)
    return AWS


Fake = Callable[[str, dict[str, Any]], dict[str, Any]]


def secret(value: Any) -> dict[str, Any]:
    """A value the SDK deserializes as a Pulumi secret."""
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def _uuid(name: str) -> str:
    h = hashlib.sha1(name.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _hex(name: str, n: int) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:n]


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


def _physical(name: str, inputs: dict[str, Any], key: str = "name") -> str:
    """The resource's own name input, else Pulumi's auto-name shape (``<name>-<7 hex>``)."""
    given = inputs.get(key)
    return str(given) if isinstance(given, str) and given else f"{name}-{_hex(name, 7)}"


def _oidc_host(name: str) -> str:
    return f"oidc.eks.{AWS.region}.{AWS.dns_suffix}/id/{_hex(name, 32).upper()}"


def _eks_endpoint(name: str) -> str:
    return f"https://{hashlib.md5(name.encode()).hexdigest().upper()}.gr7.{AWS.region}.eks.{AWS.dns_suffix}"


CHILD = "__mlplatform_child__"
"""Marks, in a fake's outputs, a resource the remote component creates itself: the engine registers it as the
component's child (so ``pulumi:pulumi:getResource`` answers for it) and replaces the marker with a resource
reference, as the engine does for a component's resource outputs."""


def child(type_: str, name: str, state: dict[str, Any]) -> dict[str, Any]:
    """A child resource ``name`` of type ``type_`` with ``state``, to stand in a fake's outputs."""
    return {CHILD: {"type": type_, "name": name, "state": state}}


def _eks_cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    cluster_name = _physical(f"{name}-eksCluster", inputs)
    oidc = _oidc_host(name)
    server = _eks_endpoint(name)
    return {
        "kubeconfig": secret(json.loads(_kubeconfig(name, server))),
        "kubeconfigJson": secret(_kubeconfig(name, server)),
        "oidcProviderArn": AWS.arn("iam", f"oidc-provider/{oidc}", regional=False),
        # pulumi/pulumi-eks v4.3.0 nodejs/eks/cluster/cluster.ts: oidcProviderUrl is the issuer URL, oidcIssuer the
        # same without "https://"
        "oidcProviderUrl": f"https://{oidc}",
        "oidcIssuer": oidc,
        "clusterSecurityGroupId": f"sg-{_hex(name + 'cluster', 17)}",
        "nodeSecurityGroupId": f"sg-{_hex(name + 'node', 17)}",
        "core": {"endpoint": server},
        # pulumi-eks names its aws.eks.Cluster `${name}-eksCluster` and passes `name: args.name` (pulumi/pulumi-eks
        # nodejs/eks/cluster/cluster.ts, createCore); the output `eksCluster` is that resource.
        "eksCluster": child(
            "aws:eks/cluster:Cluster",
            f"{name}-eksCluster",
            {"name": cluster_name, "arn": AWS.arn("eks", f"cluster/{cluster_name}")},
        ),
    }


def _aws_cluster(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """``aws:eks/cluster:Cluster`` (a pulumi-eks child): ARN, endpoint, CA, OIDC issuer, cluster security group."""
    physical = _physical(name, inputs)
    component = name.removesuffix("-eksCluster")  # the same endpoint and issuer as the component's placeholders
    return {
        "arn": AWS.arn("eks", f"cluster/{physical}"),
        "name": physical,
        "endpoint": _eks_endpoint(component),
        "certificateAuthority": {"data": "LS0tLS1DQQ=="},
        "identities": [{"oidcs": [{"issuer": f"https://{_oidc_host(component)}"}]}],
        "vpcConfig": {**(inputs.get("vpcConfig") or {}), "clusterSecurityGroupId": f"sg-{_hex(name, 17)}"},
        "status": "ACTIVE",
    }


def _iam(kind: str, key: str = "name") -> Fake:
    def fake(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        physical = _physical(name, inputs, key)
        out = {"arn": AWS.arn("iam", f"{kind}/{physical}", regional=False), "name": physical}
        if kind == "role":
            out["uniqueId"] = "AROA" + _hex(name, 17).upper()
        return out

    return fake


def _oidc_provider(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    url = str(inputs.get("url") or f"https://{_oidc_host(name)}").removeprefix("https://")
    return {"arn": AWS.arn("iam", f"oidc-provider/{url}", regional=False)}


def _kms_key(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    key_id = _uuid(name)
    return {"arn": AWS.arn("kms", f"key/{key_id}"), "keyId": key_id}


def _kms_alias(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    alias = _physical(name, inputs)
    return {"arn": AWS.arn("kms", alias if alias.startswith("alias/") else f"alias/{alias}")}


def _event_rule(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    physical = _physical(name, inputs)
    return {"arn": AWS.arn("events", f"rule/{physical}"), "name": physical}


def _ec2(kind: str, prefix: str) -> Fake:
    def fake(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        ident = f"{prefix}-{_hex(name, 17)}"
        out: dict[str, Any] = {"arn": AWS.arn("ec2", f"{kind}/{ident}"), "ownerId": ACCOUNT}
        if kind == "launch-template":
            out["latestVersion"] = 1
            out["defaultVersion"] = 1
        return out

    return fake


def _node_group(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    cluster = inputs.get("clusterName") or "cluster"
    group = _physical(name, inputs, "nodeGroupName")
    return {
        "arn": AWS.arn("eks", f"nodegroup/{cluster}/{group}/{_uuid(name)}"),
        "nodeGroupName": group,
        "resources": [{"autoscalingGroups": [{"name": f"eks-{group}-{_uuid(name)}"}]}],
        "status": "ACTIVE",
    }


def _addon(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    cluster = inputs.get("clusterName") or "cluster"
    return {"arn": AWS.arn("eks", f"addon/{cluster}/{inputs.get('addonName', name)}/{_uuid(name)}")}


def _access_entry(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    cluster = inputs.get("clusterName") or "cluster"
    principal = str(inputs.get("principalArn") or f"role/{name}")
    kind, _, who = principal.rsplit(":", 1)[-1].partition("/")
    return {"accessEntryArn": AWS.arn("eks", f"access-entry/{cluster}/{kind}/{ACCOUNT}/{who}/{_uuid(name)}")}


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
    physical = _physical(name, inputs)
    return {
        "arn": AWS.arn("sqs", physical),
        "url": f"https://sqs.{AWS.region}.{AWS.dns_suffix}/{ACCOUNT}/{physical}",
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
    "aws:eks/cluster:Cluster": _aws_cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:eks/addon:Addon": _addon,
    "aws:eks/accessEntry:AccessEntry": _access_entry,
    "aws:iam/role:Role": _iam("role"),
    "aws:iam/policy:Policy": _iam("policy"),
    "aws:iam/instanceProfile:InstanceProfile": _iam("instance-profile"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:sqs/queue:Queue": _sqs,
    "aws:cloudwatch/eventRule:EventRule": _event_rule,
    "aws:ec2/securityGroup:SecurityGroup": _ec2("security-group", "sg"),
    "aws:ec2/launchTemplate:LaunchTemplate": _ec2("launch-template", "lt"),
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "awsx:ec2:Vpc": _vpc,
    "azure-native:keyvault:Key": _kv_key,
    "gcp:container/cluster:Cluster": _gke_cluster,
    "gcp:serviceaccount/account:Account": _gsa,
    "azure-native:containerservice:ManagedCluster": _aks,
    "azure-native:managedidentity:UserAssignedIdentity": _uami,
}
"""Placeholder computed outputs by type token. Types not listed get an ``id`` and, for AWS, an ``arn``."""

_AWS_IDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "aws:iam/role:Role": lambda out: out["name"],
    "aws:iam/instanceProfile:InstanceProfile": lambda out: out["name"],
    "aws:iam/policy:Policy": lambda out: out["arn"],
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": lambda out: out["arn"],
    "aws:sqs/queue:Queue": lambda out: out["url"],
    "aws:kms/key:Key": lambda out: out["keyId"],
    "aws:eks/cluster:Cluster": lambda out: out["name"],
    "aws:cloudwatch/eventRule:EventRule": lambda out: out["name"],
    "aws:ec2/securityGroup:SecurityGroup": lambda out: out["arn"].rsplit("/", 1)[-1],
    "aws:ec2/launchTemplate:LaunchTemplate": lambda out: out["arn"].rsplit("/", 1)[-1],
}
"""What the AWS provider uses as the id of these types (the name, the ARN, the URL or the key id)."""


def fake_outputs(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Computed outputs for a resource of ``type_`` named ``name``."""
    fake = FAKES.get(type_)
    if fake is not None:
        return fake(name, inputs)
    if type_.startswith("aws:"):
        service = type_.split(":")[1].split("/")[0]
        return {"arn": AWS.arn(service, f"{type_.rsplit(':', 1)[-1].lower()}/{_physical(name, inputs)}")}
    if type_.startswith("azure-native:"):
        return _azure_id(name, inputs)
    return {}


def fake_id(type_: str, name: str, outputs: dict[str, Any] | None = None) -> str:
    """A plausible physical id: for the AWS types in :data:`_AWS_IDS` the one the provider uses, else ``<name>-id``."""
    by = _AWS_IDS.get(type_)
    if by is not None and outputs:
        return str(by(outputs))
    return f"{name}-id"


CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": lambda a: {
        "names": [f"{AWS.region}a", f"{AWS.region}b", f"{AWS.region}c"],
        "zoneIds": ["use1-az1", "use1-az2", "use1-az4"],
    },
    "aws:index/getCallerIdentity:getCallerIdentity": lambda a: {
        "accountId": ACCOUNT,
        "arn": AWS.arn("iam", "user/plan", regional=False),
        "userId": "AIDAPLAN",
    },
    "aws:index/getPartition:getPartition": lambda a: {"partition": AWS.partition, "dnsSuffix": AWS.dns_suffix},
    "aws:index/getRegion:getRegion": lambda a: {"name": AWS.region, "region": AWS.region},
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
