"""``node-selectors-match-pools`` judges the nodeSelector of each InferenceService component (rev14e defect 1): a
selector no node pool's labels meet planned clean and the pods stayed Pending (Kubernetes' nodeSelector: a node is
eligible only when it "has each of the key-value pairs you specify",
kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodeselector; Karpenter "will not launch nodes with"
a label that is not well-known to it unless a NodePool sets it, and "pods will remain pending",
aws/karpenter-provider-aws website/content/en/docs/concepts/scheduling.md)."""

from __future__ import annotations

from typing import Any

import pytest

from policy.rules import Resource, StackSettings, resources_from_plan, run_rules
from policy.rules.nodepools import RULES
from support import ROOT, mutated_resources, shared_cache, shipped_plan

RULE = next(r for r in RULES if r.name == "node-selectors-match-pools")
POOLS = (
    # aws-dev's pools as the aws share reads them: the system node group (two resources) with its capacityType as
    # eks.amazonaws.com/capacityType, and the Karpenter NodePool with its template labels, its name as
    # karpenter.sh/nodepool, its nodeClassRef as karpenter.k8s.aws/ec2nodeclass and single-valued requirements
    # (policy/clouds/aws.py _pool_labels)
    "mlplatform-system: {'mlplatform.io/pool': 'system', 'eks.amazonaws.com/capacityType': 'ON_DEMAND'}; "
    "mlplatform-system: {'mlplatform.io/pool': 'system', 'eks.amazonaws.com/capacityType': 'ON_DEMAND'}; "
    "gpu-l4: {'mlplatform.io/accelerator': 'nvidia-l4', 'mlplatform.io/pool': 'l4', 'karpenter.sh/nodepool': 'gpu-l4', "
    "'karpenter.k8s.aws/ec2nodeclass': 'gpu-l4', 'node.kubernetes.io/instance-type': 'g6.xlarge', "
    "'karpenter.sh/capacity-type': 'spot', 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux'}"
)


@shared_cache
def _aws_dev() -> tuple[tuple[Resource, ...], StackSettings]:
    from components.plan.project import load_project, read_stack_file

    settings = StackSettings.from_config(read_stack_file(load_project(ROOT), "aws-dev").config)
    return tuple(resources_from_plan(shipped_plan("aws-dev").result)), settings


def _messages(change: Any) -> list[str]:
    resources, settings = _aws_dev()

    def pick(r: Resource) -> bool:
        return r.type.endswith(":InferenceService") and r.name == "sklearn-iris-isvc"

    changed = mutated_resources(resources, pick, change, exactly=1)
    return [e["message"] for e in run_rules(changed, settings, [RULE]) if not e["passed"]]


def test_the_shipped_stack_passes() -> None:
    assert _messages(lambda props: None) == []


@pytest.mark.parametrize("component", ["predictor", "transformer", "explainer"])
def test_a_component_selector_no_pool_meets_fails(component: str) -> None:
    def change(props: dict[str, Any]) -> None:
        props["spec"].setdefault(component, {})["nodeSelector"] = {"myLabelName": "myLabelValue"}

    assert _messages(change) == [
        f"sklearn-iris-isvc spec.{component}.nodeSelector (myLabelName=myLabelValue) matches no node pool's labels "
        f"({POOLS}): its pods stay Pending"
    ]


def test_a_cloud_accelerator_label_no_pool_carries_fails() -> None:
    # d38/d39 (isvc-node-scheduling.md): k8s.amazonaws.com/accelerator, which no aws-dev pool sets
    def change(props: dict[str, Any]) -> None:
        props["spec"]["predictor"]["nodeSelector"] = {"k8s.amazonaws.com/accelerator": "nvidia-tesla-t4"}

    assert len(_messages(change)) == 1


@pytest.mark.parametrize(
    "selector",
    [
        {"mlplatform.io/pool": "system"},
        {"kubernetes.io/arch": "amd64"},
        {"topology.kubernetes.io/zone": "us-east-1a"},  # set per node by the cloud: not judged
    ],
)
def test_a_selector_a_pool_or_every_node_meets_passes(selector: dict[str, str]) -> None:
    def change(props: dict[str, Any]) -> None:
        props["spec"]["predictor"]["nodeSelector"] = selector

    assert _messages(change) == []


# ---------------------------------------------------------------------------------------------- rev14f defect 4


def _stack_messages(stack: str, change: Any) -> list[str]:
    from support import rules_plan

    resources, settings = rules_plan(stack)

    def pick(r: Resource) -> bool:
        return r.type.endswith(":InferenceService") and r.name == "sklearn-iris-isvc"

    changed = mutated_resources(resources, pick, change, exactly=1)
    return [e["message"] for e in run_rules(changed, settings, [RULE]) if not e["passed"]]


def _select(component: str, selector: dict[str, str], tolerations: list[dict[str, str]] | None = None) -> Any:
    def change(props: dict[str, Any]) -> None:
        spec = props["spec"].setdefault(component, {})
        spec["nodeSelector"] = selector
        if tolerations is not None:
            spec["tolerations"] = tolerations

    return change


GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}


@pytest.mark.parametrize("component", ["predictor", "transformer", "explainer"])
@pytest.mark.parametrize(
    "selector",
    [
        # rev14f ns-a1..ns-a3: every aws-dev pool is amd64 (the NodePool's kubernetes.io/arch In [amd64], the system
        # node group's amiType AL2023_x86_64_STANDARD)
        {"kubernetes.io/arch": "arm64"},
        # rev14f ns-it: the l4 NodePool allows g6.xlarge only, the system group m7i.xlarge
        {"node.kubernetes.io/instance-type": "p5.48xlarge"},
        {"karpenter.k8s.aws/instance-family": "p5"},  # derived from the NodePool's instance type (types.go)
    ],
)
def test_a_selector_outside_every_pools_values_fails(component: str, selector: dict[str, str]) -> None:
    msgs = _messages(_select(component, selector))
    assert len(msgs) == 1 and "matches no node pool's labels" in msgs[0], msgs


def test_a_selector_met_only_by_a_tainted_pool_fails_without_its_toleration() -> None:
    # rev14f ns-taint: only the l4 NodePool is spot, and it carries nvidia.com/gpu=present:NoSchedule
    assert _messages(_select("transformer", {"karpenter.sh/capacity-type": "spot"})) == [
        "sklearn-iris-isvc spec.transformer.nodeSelector (karpenter.sh/capacity-type=spot) is met only by node pools "
        "whose taints its pods do not tolerate (gpu-l4: nvidia.com/gpu=present:NoSchedule): its pods stay Pending"
    ]
    assert _messages(_select("transformer", {"karpenter.sh/capacity-type": "spot"}, [GPU_TOLERATION])) == []
    everything = [{"operator": "Exists"}]  # an empty key with Exists tolerates every taint (core/v1 Toleration)
    assert _messages(_select("transformer", {"karpenter.sh/capacity-type": "spot"}, everything)) == []


@pytest.mark.parametrize(
    "selector",
    [
        # rev14f ns-fp: both are labels Karpenter sets on the nodes it launches (scheduling.md v1.14.1)
        {"karpenter.sh/nodepool": "gpu-l4", "karpenter.k8s.aws/instance-gpu-name": "l4"},
        {"node.kubernetes.io/instance-type": "g6.xlarge", "kubernetes.io/arch": "amd64"},
        {"node.kubernetes.io/instance-type": "m7i.xlarge"},  # the system node group's instance type
        {"karpenter.k8s.aws/instance-family": "g6", "karpenter.k8s.aws/instance-size": "xlarge"},
    ],
)
def test_a_well_known_label_the_pool_carries_passes(selector: dict[str, str]) -> None:
    assert _messages(_select("predictor", selector, [GPU_TOLERATION])) == []


def test_another_nodepools_name_fails() -> None:
    assert len(_messages(_select("predictor", {"karpenter.sh/nodepool": "gpu-h100"}, [GPU_TOLERATION]))) == 1


@pytest.mark.parametrize(
    ("stack", "selector", "passes"),
    [
        # GKE: every node carries cloud.google.com/gke-nodepool (docs.cloud.google.com/kubernetes-engine/docs/
        # concepts/node-pools) and its machine type as node.kubernetes.io/instance-type
        ("gcp-prod", {"node.kubernetes.io/instance-type": "e2-standard-4"}, True),
        ("gcp-prod", {"node.kubernetes.io/instance-type": "n2-standard-64"}, False),
        ("gcp-prod", {"cloud.google.com/gke-nodepool": "no-such-pool"}, False),
        # AKS: agentpool and kubernetes.azure.com/agentpool carry the pool's name (agentbaker GetKubeletNodeLabels)
        ("azure-staging", {"kubernetes.azure.com/agentpool": "no-such-pool"}, False),
        ("azure-staging", {"node.kubernetes.io/instance-type": "Standard_D4s_v5"}, True),
        ("azure-staging", {"node.kubernetes.io/instance-type": "Standard_E96s_v5"}, False),
    ],
)
def test_gke_and_aks_pools_are_judged_by_what_their_nodes_carry(
    stack: str, selector: dict[str, str], passes: bool
) -> None:
    msgs = _stack_messages(stack, _select("predictor", selector))
    assert (msgs == []) is passes, msgs


@pytest.mark.parametrize("stack", ["gcp-prod", "azure-staging"])
def test_gke_and_aks_system_pool_names_pass_and_gpu_pools_need_the_toleration(stack: str) -> None:
    from policy.rules.nodepools import pools
    from support import rules_plan

    known = pools(rules_plan(stack)[0])
    key = "cloud.google.com/gke-nodepool" if stack == "gcp-prod" else "kubernetes.azure.com/agentpool"
    system = next(p for p in known if p.labels.get("mlplatform.io/pool") == "system")
    gpu = next(p for p in known if "mlplatform.io/accelerator" in p.labels)
    assert _stack_messages(stack, _select("predictor", {key: system.labels[key]})) == []
    msgs = _stack_messages(stack, _select("transformer", {key: gpu.labels[key]}))
    assert len(msgs) == 1 and "whose taints its pods do not tolerate" in msgs[0], msgs
    assert _stack_messages(stack, _select("transformer", {key: gpu.labels[key]}, [GPU_TOLERATION])) == []


# ---------------------------------------------------------------------------------------------- rev14g defects 4-6


@pytest.mark.parametrize(
    ("stack", "component", "selector", "passes"),
    [
        # rev14g defect 4, g-arm and a-arm: every gcp-prod and azure-staging pool is amd64 (catalog.yaml
        # node_labels.series_arch: e2, g2, a2 are x86 series; Azure sizes without the "p" feature are not Arm), so
        # arm64 leaves the pods Pending
        ("gcp-prod", "predictor", {"kubernetes.io/arch": "arm64"}, False),
        ("gcp-prod", "transformer", {"kubernetes.io/arch": "arm64"}, False),
        ("gcp-prod", "predictor", {"kubernetes.io/arch": "amd64"}, True),
        ("azure-staging", "predictor", {"kubernetes.io/arch": "arm64"}, False),
        ("azure-staging", "explainer", {"kubernetes.io/arch": "arm64"}, False),
        ("azure-staging", "predictor", {"kubernetes.io/arch": "amd64"}, True),
    ],
)
def test_gke_and_aks_pools_are_judged_by_their_machines_arch(
    stack: str, component: str, selector: dict[str, str], passes: bool
) -> None:
    msgs = _stack_messages(stack, _select(component, selector, [GPU_TOLERATION]))
    assert (msgs == []) is passes, msgs


def test_an_arm_machine_series_is_arm64_and_an_unlisted_series_is_not_judged() -> None:
    from policy.clouds.azure import size_arch
    from policy.clouds.gcp import _pool_labels as gke_pool

    def gke(machine: str) -> Any:
        config = {"machineType": machine, "labels": {"mlplatform.io/pool": "system"}}
        found = gke_pool(Resource("gcp:container/nodePool:NodePool", "p", "urn:p", {"name": "p", "nodeConfig": config}))
        assert found is not None
        return found[0]

    # C4A is Google Axion and T2A Ampere Altra, both Arm (catalog.yaml gcp-cpu-platforms)
    assert gke("c4a-standard-4").allowed["kubernetes.io/arch"] == ("arm64",)
    assert gke("t2a-standard-4").allowed["kubernetes.io/arch"] == ("arm64",)
    assert gke("g2-standard-4").allowed["kubernetes.io/arch"] == ("amd64",)
    # a series the table does not list is neither arch: the key is left to the documented unjudged set
    unlisted = gke("z9-standard-4")
    assert "kubernetes.io/arch" not in unlisted.allowed and "kubernetes.io/arch" in unlisted.unjudged
    # "p = ARM Cpu" (MicrosoftDocs/azure-compute-docs vm-naming-conventions.md): Dpsv5 is Arm, NCasT4_v3 is not
    assert size_arch("Standard_D4ps_v5") == "arm64"
    assert size_arch("Standard_NC4as_T4_v3") == "amd64"
    assert size_arch("Standard_M8-2ms_v2") == "amd64"
    assert size_arch("not-a-size") is None


@pytest.mark.parametrize(
    ("selector", "passes"),
    [
        # rev14g defect 5, g-nodesel: GKE labels a GPU node cloud.google.com/gke-accelerator=<accelerator type>
        # (cluster-autoscaler 1.34.2 gce_cloud_provider.go GPULabel); gcp-prod's l4 pool is nvidia-l4, its a100 pool
        # nvidia-tesla-a100 (catalog.yaml gpu_type)
        ({"cloud.google.com/gke-accelerator": "nvidia-l4"}, True),
        ({"cloud.google.com/gke-accelerator": "nvidia-tesla-a100"}, True),
        ({"cloud.google.com/gke-accelerator": "nvidia-h100-80gb"}, False),  # no pool has it: a wrong value
        ({"cloud.google.com/gke-accelerator": "nvidia-l4", "mlplatform.io/pool": "a100"}, False),
    ],
)
def test_gke_accelerator_label_is_the_pools_accelerator_type(selector: dict[str, str], passes: bool) -> None:
    msgs = _stack_messages("gcp-prod", _select("predictor", selector, [GPU_TOLERATION]))
    assert (msgs == []) is passes, msgs


@pytest.mark.parametrize(
    ("selector", "passes"),
    [
        # rev14g defect 5, eks-sys: an EKS managed node group's nodes carry eks.amazonaws.com/capacityType (the
        # group's capacityType: aws-dev's system group is ON_DEMAND; cluster-autoscaler aws_wrapper.go:87-97)
        ({"eks.amazonaws.com/capacityType": "ON_DEMAND"}, True),
        ({"eks.amazonaws.com/capacityType": "SPOT"}, False),  # the system group is on-demand: a wrong value
        # the group's name is Pulumi's auto-name, known only after deploy: not judged
        ({"eks.amazonaws.com/nodegroup": "anything"}, True),
    ],
)
def test_eks_managed_node_group_labels(selector: dict[str, str], passes: bool) -> None:
    msgs = _messages(_select("transformer", selector))
    assert (msgs == []) is passes, msgs


@pytest.mark.parametrize(
    ("selector", "passes"),
    [
        # rev14g defect 6, gpuname: the l4 NodePool allows g6.xlarge only, whose nodes carry instance-gpu-name l4,
        # -manufacturer nvidia, -count 1, -memory 22888 (MiB) (karpenter-provider-aws v1.14.1
        # website/content/en/docs/reference/instance-types.md; types.go computeRequirements)
        ({"karpenter.k8s.aws/instance-gpu-name": "a100"}, False),
        ({"karpenter.k8s.aws/instance-gpu-name": "L4"}, False),  # Karpenter lower-cases it
        ({"karpenter.k8s.aws/instance-gpu-count": "8"}, False),
        ({"karpenter.k8s.aws/instance-gpu-memory": "24576"}, False),  # 24 GiB is not what EC2 reports for the L4
        ({"karpenter.k8s.aws/instance-gpu-manufacturer": "amd"}, False),
        ({"karpenter.k8s.aws/instance-category": "p"}, False),
        ({"karpenter.k8s.aws/instance-generation": "5"}, False),
        ({"karpenter.k8s.aws/ec2nodeclass": "other"}, False),
        ({"karpenter.k8s.aws/instance-gpu-nam": "l4"}, False),  # no such label under Karpenter's own domain
        ({"karpenter.k8s.aws/instance-gpu-name": "l4", "karpenter.k8s.aws/instance-gpu-count": "1"}, True),
        (
            {"karpenter.k8s.aws/instance-gpu-memory": "22888", "karpenter.k8s.aws/instance-gpu-manufacturer": "nvidia"},
            True,
        ),
        ({"karpenter.k8s.aws/instance-category": "g", "karpenter.k8s.aws/instance-generation": "6"}, True),
        ({"karpenter.k8s.aws/ec2nodeclass": "gpu-l4"}, True),
        ({"karpenter.k8s.aws/instance-cpu": "4"}, True),  # from what EC2 describes, not read here: not judged
    ],
)
def test_karpenter_instance_labels_are_judged(selector: dict[str, str], passes: bool) -> None:
    msgs = _messages(_select("predictor", selector, [GPU_TOLERATION]))
    assert (msgs == []) is passes, msgs
