"""The outputs contract: what each layer's component registers (``register_outputs``) and what the stack exports.

One naming for every output, camelCase, as the stack file's keys are (``gpuPools``, ``minNodes``) and as Pulumi
names a Python component's outputs itself: its component provider turns a component's snake_case output attributes
into camelCase schema properties (``rsa_bits`` -> ``rsaBits``; pulumi 3.272.0,
``pulumi/provider/experimental/analyzer.py`` ``analyze_type``, and ``component.py`` ``get_state``: "remapping Python
snake_case names to Pulumi schema camelCase names"); the SDK likewise translates typed inputs "to Pulumi camelCase
names" on the wire (``pulumi/runtime/rpc.py`` ``serialize_properties``), and Pulumi's maintainers hold that "Python
properties are snake_cased, but dict keys are not" (https://github.com/pulumi/pulumi-kubernetes/issues/730).
Python attributes of the components stay snake_case.

Each layer has one ``TypedDict`` here, with cloud-neutral keys only. The outputs a cluster of one cloud registers
besides :class:`ClusterOutputs` (the ARN of EKS's OIDC provider, GKE's workload pool) are that cloud's: a
``TypedDict`` in its cluster module, named by its registry entry (:attr:`components.clouds.Cloud.outputs`, read with
:func:`components.clusters.cloud_outputs`), which the module builds its extras as (so mypy checks them there) and the
outputs reference lists per cloud. The component builds its outputs as that type and registers them; the readers
of a plan (the cost and deploy-time estimates, the report and the view) read a component's recorded outputs through
the same type (:func:`cluster_outputs`), so renaming a key is a type error (mypy) in every place that writes or reads
it. ``infra/docs.py`` generates the outputs reference of docs/configuration.md from these classes: each key's
``Annotated`` text is its documentation. This module imports nothing (it is at the bottom, with
:mod:`components.records`).

Values that only a deploy knows (an endpoint, a kubeconfig) are ``Any`` here: a ``pulumi.Output`` in the program, a
plain value or the unknown marker in a plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypedDict, cast


class SystemPoolOutputs(TypedDict, total=False):
    """The cluster's system node pool (every key, or none for a cluster we did not build)."""

    instanceType: Annotated[str, "The system pool's machine type (the catalog's system machine for the cloud)."]
    minNodes: Annotated[int, "Fewest nodes (`cluster.systemPool.minNodes`)."]
    maxNodes: Annotated[int, "Most nodes (`cluster.systemPool.maxNodes`)."]


class GpuPoolOutputs(TypedDict):
    """One GPU node pool of the cluster (``gpuPools.<name>``)."""

    accelerator: Annotated[str, "The catalog's accelerator name (`nvidia-l4`)."]
    instanceType: Annotated[str, "The machine type the catalog maps the accelerator and GPUs per node to."]
    gpusPerNode: Annotated[int, "GPUs on one node."]
    minNodes: Annotated[int, "Fewest nodes (0: the pool scales from zero)."]
    maxNodes: Annotated[int, "Most nodes."]
    spot: Annotated[bool, "Spot/preemptible capacity."]
    sharing: Annotated[str, "How pods share one GPU: `none`, `time-slicing`, `mps` or `mig`."]
    maxClientsPerGpu: Annotated[int, "Pods that may share one GPU (1 without sharing)."]
    zones: Annotated[list[str], "The zones the pool's nodes may use (empty: the cloud chooses)."]
    cachedImages: Annotated[list[str], "Images preloaded on the pool's new nodes (`imageCache.images`; empty: none)."]
    diskSizeGib: Annotated[int, "Each node's disk in GiB (`diskSizeGib`), which holds images and downloads."]


class ClusterExtras(TypedDict, total=False):
    """Cloud-neutral outputs only some clusters register (the cluster's own documentation in docs/components/ says
    which). A key only one cloud has is not here: its cluster module declares it (the registry entry's
    ``outputs``), listed per cloud below."""

    gpuProvisioner: Annotated[str, "What adds GPU nodes: `karpenter` or `cluster-autoscaler`."]
    gpuStreamedRegistries: Annotated[
        list[str], "Registry host patterns whose images the GPU pools stream (every cluster we build; may be empty)."
    ]


class ClusterOutputs(ClusterExtras):
    """What every cluster component registers (``mlplatform:index:*Cluster``). A cluster also registers its cloud's
    own outputs (the class its registry entry's ``outputs`` names; one table per cloud below)."""

    cloud: Annotated[str, "The cloud registry's name of the cluster's cloud (`existing`: a cluster we did not build)."]
    region: Annotated[str | None, "The region (none for an existing cluster)."]
    clusterName: Annotated[str, "The cluster's name at the cloud (the kubeconfig context for an existing cluster)."]
    endpoint: Annotated[Any, "The Kubernetes API endpoint, known after deploy (none for an existing cluster)."]
    kubeconfig: Annotated[Any, "The kubeconfig, a secret."]
    oidcIssuer: Annotated[Any, "The cluster's OIDC issuer URL, with its `https://` scheme (none for an existing one)."]
    controlPlaneTier: Annotated[str | None, "The control plane's pricing tier (`standard`, `free`, `premium`)."]
    systemInstanceType: Annotated[str | None, "The system pool's machine type."]
    systemPool: Annotated[SystemPoolOutputs, "The system pool (empty for an existing cluster)."]
    gpuPools: Annotated[dict[str, GpuPoolOutputs], "The GPU pools by name (empty for an existing cluster)."]
    zones: Annotated[int, "How many zones the cluster's nodes span (`cluster.zones`)."]


class PlatformOutputs(TypedDict):
    """What the Platform component registers (``mlplatform:index:Platform``)."""

    domain: Annotated[str, "The domain models are served under (`platform.domain`)."]
    gateway: Annotated[str, "The Istio gateway models' routes attach to (`<namespace>/<name>`)."]
    deploymentMode: Annotated[str, "KServe's deployment mode: `Knative` or `Standard`."]
    monitoring: Annotated[bool, "Whether the monitoring stack is installed."]
    ha: Annotated[bool, "Whether the add-ons run with more than one replica."]
    gatewayAddress: Annotated[Any, "The ingress gateway's external address (IP or host name), known after deploy."]
    versions: Annotated[dict[str, str], "Chart key to chart version, for every chart installed."]
    warmCapacity: Annotated[dict[str, int], "GPU pool to the warm nodes held for it (pools with none are left out)."]


class ModelServiceOutputs(TypedDict):
    """What a ModelService registers (``mlplatform:index:ModelService``)."""

    url: Annotated[Any, "The public URL; for an internal model the in-cluster URL."]
    internalUrl: Annotated[Any, "The in-cluster URL, for callers with an Istio sidecar."]
    serviceAccount: Annotated[Any, "The model's ServiceAccount."]
    identity: Annotated[Any, "The cloud identity that reads the model's storage; none when none is needed."]


class PipelineOutputs(TypedDict):
    """What a Pipeline registers (``mlplatform:index:Pipeline``)."""

    url: Annotated[Any, "The public URL; for an internal pipeline the in-cluster URL."]
    internalUrl: Annotated[Any, "The in-cluster URL of the router, for callers with an Istio sidecar."]
    serviceAccount: Annotated[Any, "The router's ServiceAccount: the identity member models see its calls with."]


class ModelNamespaceOutputs(TypedDict):
    """What a ModelNamespace registers (``mlplatform:index:ModelNamespace``)."""

    namespace: Annotated[Any, "The namespace's name."]


class ModelRuntimeOutputs(TypedDict):
    """What a ModelRuntime registers (``mlplatform:index:ModelRuntime``)."""

    runtimeName: Annotated[Any, "The ServingRuntime's name, which models of its namespace give as `runtime`."]


class ModelUrls(TypedDict):
    """One model's entry in the stack output ``models``."""

    url: Annotated[Any, "The model's URL (as `ModelService.url`)."]
    internalUrl: Annotated[Any, "The model's in-cluster URL."]


class PipelineUrls(TypedDict):
    """One pipeline's entry in the stack output ``pipelines``."""

    url: Annotated[Any, "The pipeline's URL (as `Pipeline.url`)."]
    internalUrl: Annotated[Any, "The router's in-cluster URL."]


class StackOutputs(TypedDict):
    """What the stack exports (``pulumi stack output``), from infra/program.py."""

    gatewayAddress: Annotated[Any, "Point `<domain>` and `*.<domain>` here (docs/components/platform.md, DNS)."]
    cloud: Annotated[str, "`mlplatform:cloud`."]
    environment: Annotated[str, "`mlplatform:environment`."]
    gpuPools: Annotated[dict[str, str], "GPU pool name to its machine type."]
    models: Annotated[dict[str, ModelUrls], "Model name to its URLs."]
    pipelines: Annotated[dict[str, PipelineUrls], "Pipeline name to its URLs."]


LAYERS: tuple[tuple[str, type[Any]], ...] = (
    ("stack", StackOutputs),
    ("cluster", ClusterOutputs),
    ("platform", PlatformOutputs),
    ("model service", ModelServiceOutputs),
    ("model namespace", ModelNamespaceOutputs),
    ("pipeline", PipelineOutputs),
    ("model runtime", ModelRuntimeOutputs),
)
"""Each layer's outputs class, in the order the reference documents them (infra/docs.py)."""


def cluster_outputs(outputs: Mapping[str, Any]) -> ClusterOutputs:
    """A cluster component's recorded outputs, read through the contract: index them (``out["gpuPools"]``), so that
    mypy checks every key. A key the plan did not record reads as None: Pulumi records no None output (an existing
    cluster's ``region``), a plan may leave an unknown out, and only some clusters register the extras. A cloud's
    own outputs are not read here (its module's class, :attr:`components.clouds.Cloud.outputs`)."""
    keys = ClusterOutputs.__required_keys__ | ClusterOutputs.__optional_keys__
    return cast(ClusterOutputs, {key: None for key in sorted(keys)} | dict(outputs))


def is_cluster(outputs: Mapping[str, Any]) -> bool:
    """Whether a component's recorded outputs are a cluster's: it registers ``cloud`` (:class:`ClusterOutputs`), which
    no other layer's outputs have (the key is read through the contract, so renaming it is a mypy error here)."""
    return isinstance(cluster_outputs(outputs)["cloud"], str)
