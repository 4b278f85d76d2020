"""GPU sharing labels, the EKS cluster-autoscaler, and the storage grants' resources, on each cloud, under mocks.

- Time-slicing/MPS on EKS and AKS is applied by the platform's NVIDIA device plugin: the cluster labels the pool's
  nodes ``nvidia.com/device-plugin.config=<config>`` (Karpenter NodePool template, managed node group labels and
  their cluster-autoscaler node-template tag, AKS AgentPool ``nodeLabels``); GKE shares GPUs itself (no label).
- EKS ``gpuProvisioner: node-groups`` installs cluster-autoscaler (IRSA role, Helm release on the system pool).
- ``grant_storage_read`` returns the cloud resources it created, so pods can wait for them.
"""

from __future__ import annotations

from typing import Any

import pytest
from cluster_support import build

from components.clusters.base import DEVICE_PLUGIN_CONFIG_LABEL, MPS_CAPABLE_LABEL, GpuPoolInfo
from components.versions import CLUSTER_CHARTS

MNG = "eks:index:ManagedNodeGroup"
NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool"
RELEASE = "kubernetes:helm.sh/v3:Release"
ASG_TAG = "aws:autoscaling/tag:Tag"
SHARED = {
    "l4": {"accelerator": "nvidia-l4", "maxNodes": 4, "sharing": {"strategy": "time-slicing", "maxClientsPerGpu": 4}},
    "t4": {"accelerator": "nvidia-t4", "maxNodes": 2, "sharing": {"strategy": "mps", "maxClientsPerGpu": 2}},
    "a10g": {"accelerator": "nvidia-a10g", "maxNodes": 2},
}  # fmt: skip
AZ_SHARED = {
    "t4": {"accelerator": "nvidia-t4", "maxNodes": 3, "sharing": {"strategy": "time-slicing", "maxClientsPerGpu": 3}},
    "a100": {"accelerator": "nvidia-a100-80gb", "maxNodes": 2},
}  # fmt: skip


# k8s-device-plugin v0.20.0 api/config/v1/config.go sets failRequestsGreaterThanOne for MPS; the config says so too
MPS_2 = {"failRequestsGreaterThanOne": True, "resources": [{"name": "nvidia.com/gpu", "replicas": 2}]}


def pool(sharing: str, clients: int) -> GpuPoolInfo:
    return GpuPoolInfo("p", "nvidia-l4", 1, "g6.xlarge", 0, 2, False, sharing=sharing, max_clients_per_gpu=clients)


def test_device_plugin_config_of_each_sharing_strategy() -> None:
    # Format from the NVIDIA k8s-device-plugin README, "Shared Access to GPUs" (time-slicing and MPS sections).
    assert pool("time-slicing", 4).device_plugin_config_name == "time-slicing-4"
    assert pool("time-slicing", 4).device_plugin_config() == {
        "version": "v1",
        "sharing": {
            "timeSlicing": {
                "failRequestsGreaterThanOne": True,
                "resources": [{"name": "nvidia.com/gpu", "replicas": 4}],
            }
        },
    }
    assert pool("mps", 2).device_plugin_config_name == "mps-2"
    assert pool("mps", 2).device_plugin_config() == {
        "version": "v1",
        "sharing": {"mps": MPS_2},
    }
    for strategy in ("none", "mig"):
        assert pool(strategy, 1).device_plugin_config_name is None
        assert pool(strategy, 1).device_plugin_config() is None


@pytest.fixture(scope="module")
def eks_karpenter() -> Any:
    return build("aws", {"gpuPools": SHARED})


@pytest.fixture(scope="module")
def eks_node_groups() -> Any:
    pools = {k: {**v, "minNodes": 0} for k, v in SHARED.items()}
    return build("aws", {"gpuPools": pools, "aws": {"gpuProvisioner": "node-groups"}})


def test_karpenter_node_pools_carry_the_device_plugin_config_label(eks_karpenter: Any) -> None:
    labels = {
        name: eks_karpenter.inputs(NODEPOOL, f"mlp-nodepool-{name}")["spec"]["template"]["metadata"]["labels"]
        for name in SHARED
    }
    assert labels == {
        "l4": {"mlplatform.io/accelerator": "nvidia-l4", "mlplatform.io/pool": "l4",
               DEVICE_PLUGIN_CONFIG_LABEL: "time-slicing-4"},
        "t4": {"mlplatform.io/accelerator": "nvidia-t4", "mlplatform.io/pool": "t4",
               DEVICE_PLUGIN_CONFIG_LABEL: "mps-2", MPS_CAPABLE_LABEL: "true"},
        "a10g": {"mlplatform.io/accelerator": "nvidia-a10g", "mlplatform.io/pool": "a10g"},
    }  # fmt: skip
    assert eks_karpenter.cluster.gpu.device_plugin_configs() == {
        "time-slicing-4": pool("time-slicing", 4).device_plugin_config(),
        "mps-2": pool("mps", 2).device_plugin_config(),
    }


def test_node_groups_carry_the_label_and_tell_the_autoscaler(eks_node_groups: Any) -> None:
    l4 = eks_node_groups.inputs(MNG, "mlp-gpu-l4")
    assert l4["labels"][DEVICE_PLUGIN_CONFIG_LABEL] == "time-slicing-4"
    assert DEVICE_PLUGIN_CONFIG_LABEL not in eks_node_groups.inputs(MNG, "mlp-gpu-a10g")["labels"]
    tags = {
        r.plain_inputs()["tag"]["key"]: r.plain_inputs()["tag"]["value"]
        for r in eks_node_groups.result.of_type(ASG_TAG)
        if r.name.startswith("mlp-gpu-t4-")
    }
    assert tags[f"k8s.io/cluster-autoscaler/node-template/label/{DEVICE_PLUGIN_CONFIG_LABEL}"] == "mps-2"
    # The chart runs its MPS control daemon only on nodes labelled nvidia.com/mps.capable=true (no GFD here).
    assert tags[f"k8s.io/cluster-autoscaler/node-template/label/{MPS_CAPABLE_LABEL}"] == "true"
    assert MPS_CAPABLE_LABEL not in l4["labels"]


def test_aks_agent_pools_carry_the_device_plugin_config_label() -> None:
    aks = build("azure", {"gpuPools": AZ_SHARED})
    pools = "azure-native:containerservice:AgentPool"
    assert aks.inputs(pools, "mlp-gpu-t4")["nodeLabels"] == {
        "mlplatform.io/accelerator": "nvidia-t4",
        "mlplatform.io/pool": "t4",
        DEVICE_PLUGIN_CONFIG_LABEL: "time-slicing-3",
    }
    assert aks.inputs(pools, "mlp-gpu-a100")["nodeLabels"] == {
        "mlplatform.io/accelerator": "nvidia-a100-80gb",
        "mlplatform.io/pool": "a100",
    }
    assert aks.cluster.gpu.needs_device_plugin is True
    assert set(aks.cluster.gpu.device_plugin_configs()) == {"time-slicing-3"}


def test_gke_shares_gpus_itself_without_a_device_plugin_config() -> None:
    gke = build("gcp", {"gpuPools": {"l4": SHARED["l4"]}})
    labels = gke.inputs("gcp:container/nodePool:NodePool", "mlp-gpu-l4")["nodeConfig"]["labels"]
    assert labels == {"mlplatform.io/accelerator": "nvidia-l4", "mlplatform.io/pool": "l4"}
    assert gke.cluster.gpu.device_plugin_configs() == {}
    assert gke.cluster.cni_bin_dir == "/home/kubernetes/bin"


# cluster-autoscaler chart values.yaml, read at tag cluster-autoscaler-chart-9.53.0 (commit
# a2db9eb71c285fe5779c622e9255b17b08e78147) of kubernetes/autoscaler, path
# cluster-autoscaler/charts/cluster-autoscaler/values.yaml: the keys we set and their defaults there.
AUTOSCALER_DEFAULTS: dict[str, Any] = {
    "cloudProvider": "aws",
    "awsRegion": "",
    "autoDiscovery": {
        "clusterName": None,
        "tags": ["k8s.io/cluster-autoscaler/enabled",
                 "k8s.io/cluster-autoscaler/{{ .Values.autoDiscovery.clusterName }}"],
    },
    "rbac": {"serviceAccount": {"annotations": {}, "create": True, "name": "", "automountServiceAccountToken": True}},
    "nodeSelector": {},
}  # fmt: skip


def _paths(values: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and key not in ("annotations", "nodeSelector"):
            out |= _paths(value, f"{path}.")
        else:
            out.add(path)
    return out


def test_node_groups_install_the_cluster_autoscaler(eks_node_groups: Any) -> None:
    reg = eks_node_groups.one(RELEASE, "mlp-cluster-autoscaler")
    inputs = reg.plain_inputs()
    ref = CLUSTER_CHARTS["cluster-autoscaler"]
    assert (ref.chart, ref.version, ref.repository) == (
        "cluster-autoscaler",
        "9.53.0",
        "https://kubernetes.github.io/autoscaler",
    )
    assert (inputs["name"], inputs["chart"], inputs["version"], inputs["namespace"]) == (
        "cluster-autoscaler",
        "cluster-autoscaler",
        "9.53.0",
        "kube-system",
    )
    assert inputs["repositoryOpts"] == {"repo": "https://kubernetes.github.io/autoscaler"}
    role_arn = inputs["values"]["rbac"]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert role_arn.startswith("arn:aws:iam::") and ":role/mlp-cluster-autoscaler" in role_arn
    assert inputs["values"] == {
        "cloudProvider": "aws",
        "awsRegion": "us-east-1",
        "autoDiscovery": {"clusterName": "mlp-test"},
        "rbac": {"serviceAccount": {"name": "cluster-autoscaler",
                                    "annotations": {"eks.amazonaws.com/role-arn": role_arn}}},
        "nodeSelector": {"mlplatform.io/pool": "system"},
    }  # fmt: skip
    assert _paths(inputs["values"]) <= _paths(AUTOSCALER_DEFAULTS)
    # The ServiceAccount is the one the IRSA role trusts; auto-discovery matches the two tags on every GPU group.
    trust = eks_node_groups.inputs("aws:iam/role:Role", "mlp-cluster-autoscaler")["assumeRolePolicy"]
    assert "system:serviceaccount:kube-system:cluster-autoscaler" in trust
    l4_tags = {
        r.plain_inputs()["tag"]["key"]
        for r in eks_node_groups.result.of_type(ASG_TAG)
        if r.name.startswith("mlp-gpu-l4-")
    }
    assert {"k8s.io/cluster-autoscaler/enabled", "k8s.io/cluster-autoscaler/mlp-test"} <= l4_tags
    # It runs on the cluster's provider, after the system nodes, its permissions and the group tags exist.
    provider = eks_node_groups.result.one("pulumi:providers:kubernetes")
    assert reg.provider_urn == provider.urn
    urn = {r.name: r.urn for r in eks_node_groups.result.resources if not r.modelled}
    assert {urn["mlp-system"], urn["mlp-cluster-autoscaler-policy"], urn["mlp-gpu-l4-asg-tag-0"]} <= set(reg.depends_on)


def test_karpenter_path_installs_no_cluster_autoscaler(eks_karpenter: Any) -> None:
    names = {r.name for r in eks_karpenter.result.of_type(RELEASE)}
    assert names == {"mlp-karpenter-crd", "mlp-karpenter"}


GRANTS = {
    "aws": ("s3://model-bucket/iris", ["aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"]),
    "gcp": (
        "gs://model-bucket/iris",
        [
            "gcp:serviceaccount/account:Account",
            "gcp:serviceaccount/iAMMember:IAMMember",
            "gcp:storage/bucketIAMMember:BucketIAMMember",
        ],
    ),
    "azure": (
        "https://acct.blob.core.windows.net/models/iris",
        [
            "azure-native:managedidentity:UserAssignedIdentity",
            "azure-native:managedidentity:FederatedIdentityCredential",
            "azure-native:authorization:RoleAssignment",
        ],
    ),
}


@pytest.mark.parametrize("cloud", sorted(GRANTS))
def test_storage_grant_returns_the_resources_it_created(cloud: str) -> None:
    uri, types = GRANTS[cloud]
    cluster = {"azure": {"storageResourceGroup": "models-rg"}} if cloud == "azure" else {}
    built = build(cloud, cluster, grants=[("iris", "models", "iris-sa", uri)])
    parent = built.result.one("test:index:Parent", "iris-parent")
    created = built.result.children(parent)
    assert sorted(r.type for r in created) == sorted(types)
    assert sorted(built.grant_urns["iris"]) == sorted(r.urn for r in created)


def test_no_grant_no_resources() -> None:
    built = build("aws", grants=[("hf", "models", "hf-sa", "hf://org/model")])
    assert tuple(built.grants["hf"].resources) == ()
