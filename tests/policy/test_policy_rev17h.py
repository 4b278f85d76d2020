"""issue #17, the eighth mutation round (rev17h): boundary tests for the rule slips no test caught.

- r04: warm-capacity-preemptible's one-per-node spread (rev17g g11) is a required podAntiAffinity term on
  kubernetes.io/hostname that selects the placeholder's OWN pods by its pool label. A term's matchLabels and
  matchExpressions are ANDed (meta/v1 LabelSelector: "matchLabels ... The requirements are ANDed"; "matchExpressions is
  a list of label selector requirements. The requirements are ANDed"), and a term with ``namespaces`` and no
  ``namespaceSelector`` selects pods of those namespaces only (core/v1 PodAffinityTerm: "The term is applied to the
  union of the namespaces listed in this field and the ones selected by namespaceSelector. null or empty namespaces
  list and null namespaceSelector means 'this pod's namespace'"). A term that selects another pool's placeholders, or
  none of its own, lets two of this pool's placeholders share a node: fewer nodes stay warm.
- r10: gpu-memory-fits judges a custom container's GPUs (``spec.predictor.containers``), not only
  ``spec.predictor.model``'s: azure-staging's bert-onnx on one nvidia-t4 (16 GiB, 17.18 GB) as a custom container.
- h27: an AKS GPU pool without ``osDiskSizeGB`` (or 0) gets "the default osDisk size according to the vmSize
  specified" (pulumi_azure_native containerservice ``os_disk_size_gb``; learn.microsoft.com
  ManagedClusterAgentPoolProfileProperties.OSDiskSizeGb), not the stack's ``diskSizeGib``; gpu-pool-disk-fits then
  reads no size and judges nothing, so cluster-hardening's AKS share fails the pool.
- h11: in Knative mode every pod-spec field an InferenceService gives needs its Knative feature flag (knative/serving
  v0.48.1 pkg/apis/serving/fieldmask.go ``PodSpecMask``; every flag Disabled by default, pkg/apis/config/
  features.go): aws-dev's resnet50 gives tolerations and a nodeSelector; isvc-gpu-scheduling judges the flags.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from test_policy_rev17g import failures as warm_failures

from policy.rules import run_rules
from support import cover_plan, mutated_resources, rules_named, rules_plan

POOL_LABEL = "mlplatform.io/warm-capacity-pool"
SPREAD = "no required podAntiAffinity on kubernetes.io/hostname"
AWS, GCP = "cover-aws-node-groups", "cover-gcp-standard"


def _term(p: dict[str, Any]) -> dict[str, Any]:
    term: dict[str, Any] = p["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ][0]
    return term


def _selector(p: dict[str, Any]) -> dict[str, Any]:
    selector: dict[str, Any] = _term(p)["labelSelector"]
    return selector


def _other_pool_by_expression(p: dict[str, Any]) -> None:
    """rev17h r04's input: the pool label moved out of matchLabels into an expression naming another pool."""
    _selector(p)["matchLabels"].pop(POOL_LABEL)
    _selector(p)["matchExpressions"] = [{"key": POOL_LABEL, "operator": "In", "values": ["other"]}]


def _not_in_own_pool(p: dict[str, Any]) -> None:
    _selector(p)["matchExpressions"] = [{"key": POOL_LABEL, "operator": "NotIn", "values": [_own(p)]}]


def _own(p: dict[str, Any]) -> str:
    pool: str = p["spec"]["template"]["metadata"]["labels"][POOL_LABEL]
    return pool


SPREAD_CASES: dict[str, tuple[Callable[[dict[str, Any]], None], bool]] = {
    "as-rendered": (lambda p: None, True),
    "other-pool-label": (lambda p: _selector(p)["matchLabels"].update({POOL_LABEL: "other"}), False),
    "other-pool-expression": (_other_pool_by_expression, False),
    "no-pool-label": (lambda p: _selector(p)["matchLabels"].pop(POOL_LABEL), False),
    "own-pool-and-not-in-own-pool": (_not_in_own_pool, False),
    "own-pool-and-label-absent": (
        lambda p: _selector(p).update(matchExpressions=[{"key": POOL_LABEL, "operator": "DoesNotExist"}]),
        False,
    ),
    "own-pool-and-in-own-pool": (
        lambda p: _selector(p).update(matchExpressions=[{"key": POOL_LABEL, "operator": "In", "values": [_own(p)]}]),
        True,
    ),
    "own-pool-and-exists": (
        lambda p: _selector(p).update(matchExpressions=[{"key": POOL_LABEL, "operator": "Exists"}]),
        True,
    ),
    "other-namespace-only": (lambda p: _term(p).update(namespaces=["elsewhere"]), False),
    "own-namespace-listed": (lambda p: _term(p).update(namespaces=[p["metadata"]["namespace"]]), True),
}


@pytest.mark.parametrize("case", list(SPREAD_CASES))
@pytest.mark.parametrize(("stack", "pool"), [(AWS, "l4"), (GCP, "a100")])
def test_the_one_per_node_term_selects_the_placeholders_own_pods(case: str, stack: str, pool: str) -> None:
    """rev17h r04: a term naming another pool's placeholders (by matchLabels or by an expression), or selecting none
    of its own (an ANDed expression its labels fail, another namespace), fails; one selecting its own pool passes."""
    change, ok = SPREAD_CASES[case]
    failed = warm_failures(stack, pool, change)
    if ok:
        assert failed == [], failed
    else:
        assert len(failed) == 1 and SPREAD in failed[0] and f"{POOL_LABEL}={pool}" in failed[0], failed


GPU_MEMORY = "gpu-memory-fits"


def _custom_container(size: str) -> Callable[[dict[str, Any]], None]:
    """bert-onnx's predictor as a custom container: the model's image, args and resources (one nvidia-t4) moved into
    ``spec.predictor.containers``, with ``size`` GB of weights (``mlplatform.io/model-size-gb``)."""

    def change(p: dict[str, Any]) -> None:
        predictor = p["spec"]["predictor"]
        model = predictor.pop("model")
        predictor["containers"] = [
            {"name": "kserve-container", "image": "example.com/bert-onnx:1.0", "resources": model["resources"]}
        ]
        p["metadata"]["annotations"]["mlplatform.io/model-size-gb"] = size

    return change


def _bert_onnx(r: Any) -> bool:
    return bool(r.type == "kubernetes:serving.kserve.io/v1beta1:InferenceService" and r.k8s_name == "bert-onnx")


def _gpu_memory_failures(change: Callable[[dict[str, Any]], None]) -> list[str]:
    resources, settings = rules_plan("azure-staging")
    mutated = mutated_resources(resources, _bert_onnx, change, exactly=1)
    return [
        e["message"]
        for e in run_rules(mutated, settings, rules=rules_named(GPU_MEMORY))
        if e["policy"] == GPU_MEMORY and not e["passed"]
    ]


@pytest.mark.parametrize(("size", "ok"), [("20", False), ("17.2", False), ("16", False), ("15.5", True)])
def test_a_custom_containers_gpus_are_judged(size: str, ok: bool) -> None:
    """rev17h r10: one nvidia-t4 holds 16 GiB (components/catalog.yaml; 17.18 GB, or the 15360 MiB = 16.11 GB
    nvidia-smi reports once the catalog gives it), less the server's CUDA context (0.56 GB, rev16g defect 3):
    15.5 GB of weights load, 16, 17.2 and 20 GB do not, whether the GPU is asked by ``model`` or by a custom
    container."""
    failed = _gpu_memory_failures(_custom_container(size))
    if ok:
        assert failed == [], failed
    else:
        assert len(failed) == 1, failed
        assert failed[0].startswith(f"models/bert-onnx: {size} GB of weights on 1 x nvidia-t4 ("), failed
        assert failed[0].endswith("): the model never loads into its GPUs' memory"), failed


HARDENING = "cluster-hardening"
AKS_POOL = "azure-native:containerservice:AgentPool"
AKS = "azure-native:containerservice:ManagedCluster"


def _hardening_failures(kind: str, change: Callable[[dict[str, Any]], None]) -> list[str]:
    resources, settings = rules_plan("azure-staging")
    mutated = mutated_resources(resources, lambda r: r.type == kind, change, exactly=1)
    return [
        e["message"]
        for e in run_rules(mutated, settings, rules=rules_named(HARDENING))
        if e["policy"] == HARDENING and not e["passed"]
    ]


def _gpu_line(pool: str, shown: str) -> str:
    return (
        f"AKS GPU pool {pool} gives no osDiskSizeGB ({shown}): its nodes get the VM size's default OS disk, not the "
        "stack's diskSizeGib the disk check counted; give osDiskSizeGB"
    )


@pytest.mark.parametrize(("disk", "shown"), [(None, None), (200, None), (1, None), (0, "0"), ("drop", "unset")])
def test_an_aks_gpu_pool_gives_its_os_disk_size(disk: Any, shown: str | None) -> None:
    """rev17h h27: azure-staging's t4 AgentPool (Standard_NC4as_T4_v3, 200 GiB) without osDiskSizeGB, or with 0,
    fails cluster-hardening; any size given passes (gpu-pool-disk-fits judges it)."""

    def change(p: dict[str, Any]) -> None:
        if disk == "drop":
            p.pop("osDiskSizeGB")
        elif disk is not None:
            p["osDiskSizeGB"] = disk

    failed = _hardening_failures(AKS_POOL, change)
    assert failed == ([] if shown is None else [_gpu_line("mlplatform-gpu-t4", shown)]), failed


@pytest.mark.parametrize(
    ("profile", "ok"),
    [
        ({}, True),  # the system pool: no GPU machine, no accelerator label
        ({"vmSize": "Standard_NC4as_T4_v3"}, False),  # a catalog GPU size
        ({"nodeLabels": {"mlplatform.io/accelerator": "nvidia-t4"}}, False),  # the accelerator label
        ({"vmSize": "Standard_NC4as_T4_v3", "osDiskSizeGB": 200}, True),
    ],
    ids=["system", "gpu-size", "gpu-label", "gpu-sized"],
)
def test_an_aks_cluster_gpu_profile_gives_its_os_disk_size(profile: dict[str, Any], ok: bool) -> None:
    """The same for a GPU pool among the ManagedCluster's agentPoolProfiles (its system profile without its disk)."""

    def change(p: dict[str, Any]) -> None:
        (system,) = p["agentPoolProfiles"]
        system.pop("osDiskSizeGB")
        system.update(profile)

    failed = _hardening_failures(AKS, change)
    assert failed == ([] if ok else [_gpu_line("system", "unset")]), failed


GPU_SCHEDULING = "isvc-gpu-scheduling"
KNATIVE_SERVING = "kubernetes:operator.knative.dev/v1beta1:KnativeServing"
TOLERATIONS_LINE = (
    "InferenceService models/resnet50: spec.predictor.tolerations needs Knative's kubernetes.podspec-tolerations "
    "feature (kubernetes.podspec-tolerations {given} in the KnativeServing's spec.config.features): Knative's webhook "
    "refuses the revision"
)


def _scheduling_failures(
    serving: Callable[[dict[str, Any]], None], isvc: Callable[[dict[str, Any]], None] | None = None
) -> list[str]:
    resources, settings = rules_plan("aws-dev")
    mutated = mutated_resources(resources, lambda r: r.type == KNATIVE_SERVING, serving, exactly=1)
    if isvc is not None:
        mutated = mutated_resources(mutated, _resnet50, isvc, exactly=1)
    return [
        e["message"]
        for e in run_rules(mutated, settings, rules=rules_named(GPU_SCHEDULING))
        if e["policy"] == GPU_SCHEDULING and not e["passed"]
    ]


def _resnet50(r: Any) -> bool:
    return bool(r.type == "kubernetes:serving.kserve.io/v1beta1:InferenceService" and r.k8s_name == "resnet50")


def _features(p: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = p["spec"]["config"]["features"]
    return found


@pytest.mark.parametrize(
    ("value", "given"),
    [
        ("enabled", None),
        ("Allowed", None),
        ("disabled", "disabled"),
        ("Disabled", "Disabled"),
        ("drop", "unset (Disabled)"),
    ],
)
def test_knative_lets_the_gpu_tolerations_through(value: str, given: str | None) -> None:
    """rev17h h11: the KnativeServing without kubernetes.podspec-tolerations (or Disabled) fails the GPU model that
    tolerates the GPU taint; enabled or allowed (any case) passes."""

    def change(p: dict[str, Any]) -> None:
        if value == "drop":
            _features(p).pop("kubernetes.podspec-tolerations")
        else:
            _features(p)["kubernetes.podspec-tolerations"] = value

    failed = _scheduling_failures(change)
    assert failed == ([] if given is None else [TOLERATIONS_LINE.format(given=given)]), failed


def test_every_gated_field_needs_its_flag() -> None:
    """The nodeSelector without its flag, and a field the platform does not render (priorityClassName) without its
    own, each fail on their own line; a pod securityContext passes under secure-pod-defaults alone."""

    def isvc(p: dict[str, Any]) -> None:
        p["spec"]["predictor"]["priorityClassName"] = "high"
        p["spec"]["predictor"]["securityContext"] = {"runAsNonRoot": True}

    failed = _scheduling_failures(lambda p: _features(p).pop("kubernetes.podspec-nodeselector"), isvc)
    assert failed == [
        "InferenceService models/resnet50: spec.predictor.nodeSelector needs Knative's kubernetes.podspec-nodeselector "
        "feature (kubernetes.podspec-nodeselector unset (Disabled) in the KnativeServing's spec.config.features): "
        "Knative's webhook refuses the revision",
        "InferenceService models/resnet50: spec.predictor.priorityClassName needs Knative's "
        "kubernetes.podspec-priorityclassname feature (kubernetes.podspec-priorityclassname unset (Disabled) in the "
        "KnativeServing's spec.config.features): Knative's webhook refuses the revision",
    ], failed


def test_a_standard_mode_model_needs_no_knative_flag() -> None:
    """A model KServe reconciles in Standard (raw Deployment) mode never reaches Knative's webhook."""

    def isvc(p: dict[str, Any]) -> None:
        p["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] = "RawDeployment"

    assert _scheduling_failures(lambda p: _features(p).pop("kubernetes.podspec-tolerations"), isvc) == []


RESTRICTED = "pod-restricted-hardening"


def _vector(r: Any) -> bool:
    return bool(r.type in HELM_RELEASES and str(r.props.get("chart", "")).rstrip("/").rsplit("/", 1)[-1] == "vector")


HELM_RELEASES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")


@pytest.mark.parametrize(
    ("context", "user", "gap"),
    [
        ("podSecurityContext", 0, "runAsUser is 0 on the pod (restricted forbids UID 0)"),
        ("securityContext", 0, "runAsUser is 0 on the container (restricted forbids UID 0)"),
        ("podSecurityContext", 1, None),
        ("securityContext", 65534, None),
    ],
)
def test_the_request_log_collector_never_runs_as_uid_0(context: str, user: int, gap: str | None) -> None:
    """rev17h h13: the collector's values with runAsUser 0 (beside runAsNonRoot true) fail the restricted level
    (pod-security-admission ``CheckRunAsUser``: "Containers must not set runAsUser: 0", the pod's and each
    container's field); any other UID passes."""
    resources, settings = cover_plan(AWS)

    def change(p: dict[str, Any]) -> None:
        p["values"][context]["runAsUser"] = user

    mutated = mutated_resources(resources, _vector, change, exactly=1)
    failed = [
        e["message"]
        for e in run_rules(mutated, settings, rules=rules_named(RESTRICTED))
        if e["policy"] == RESTRICTED and not e["passed"]
    ]
    release = next(r for r in resources if _vector(r)).props.get("name")
    assert failed == (
        []
        if gap is None
        else [
            f"Helm release {release} (vector) values podSecurityContext/securityContext (the request-log collector): "
            f"{gap}"
        ]
    ), failed


DISK = "gpu-pool-disk-fits"


@pytest.mark.parametrize(("size", "ok"), [("10G", False), ("10Gi", True), ("1T", True)])
def test_a_karpenter_volume_size_is_read_as_a_kubernetes_quantity(size: str, ok: bool) -> None:
    """rev17h h04: aws-dev's l4 node needs 8.5 GB below the kubelet's 85 % image GC threshold (resnet50's image and
    download). ``10G`` is 10^10 bytes = 9.31 GiB (85 %: 8.497 GB, too small), ``10Gi`` is 10.74 GB (enough); before,
    a size in ``G`` or ``T`` was not read at all and the pool not judged (karpenter.k8s.aws v1 EC2NodeClass
    ``volumeSize``: "VolumeSize in `Gi`, `G`, `Ti`, or `T`")."""
    resources, settings = rules_plan("aws-dev")

    def change(p: dict[str, Any]) -> None:
        for mapping in p["spec"]["blockDeviceMappings"]:
            mapping["ebs"]["volumeSize"] = size

    gpu_class = lambda r: r.type.endswith(":EC2NodeClass") and r.k8s_name == "gpu-l4"  # noqa: E731
    mutated = mutated_resources(resources, gpu_class, change, exactly=1)
    failed = [
        e["message"]
        for e in run_rules(mutated, settings, rules=rules_named(DISK))
        if e["policy"] == DISK and not e["passed"]
    ]
    if ok:
        assert failed == [], failed
    else:
        assert len(failed) == 1 and failed[0].startswith("GPU pool l4 (gpu-l4): disk 9.31 GiB: "), failed


SPAN = "node-pools-span-zones"
GKE = "gcp:container/cluster:Cluster"


@pytest.mark.parametrize(
    ("locations", "location", "zones"),
    [
        (["us-central1-a", "us-central1-b", "us-central1-c"], "us-central1", None),
        (["us-central1-a", "us-central1-b"], "us-central1", ["us-central1-a", "us-central1-b"]),
        (["us-central1-b", "us-central1-c"], "us-central1-a", None),  # zonal: its own zone counts
        (["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"], "us-central1", 4),
    ],
    ids=["as-rendered", "one-short", "zonal-plus-two", "one-over"],
)
def test_a_gke_cluster_places_its_nodes_in_the_stacks_zones(
    locations: list[str], location: str, zones: list[str] | int | None
) -> None:
    """rev17h h22: gcp-prod asks for 3 zones (cluster.zones); a cluster whose nodeLocations name 2 leaves the system
    pool in 2 (pulumi_gcp container ``node_locations``: "If this is specified for a zonal cluster, omit the cluster's
    zone", so a zonal cluster's own zone counts)."""
    resources, settings = rules_plan("gcp-prod")

    def change(p: dict[str, Any]) -> None:
        p.update(nodeLocations=locations, location=location)

    mutated = mutated_resources(resources, lambda r: r.type == GKE, change, exactly=1)
    failed = [
        e["message"]
        for e in run_rules(mutated, settings, rules=rules_named(SPAN))
        if e["policy"] == SPAN and not e["passed"]
    ]
    if zones is None:
        assert failed == [], failed
    else:
        shown = sorted(locations) if isinstance(zones, int) else zones
        assert failed == [
            f"GKE cluster mlplatform-gke places its nodes in {len(shown)} zone(s) {shown}, the stack asks for 3 "
            "(cluster.zones): its system pool and every pool without nodeLocations of its own follow"
        ], failed
