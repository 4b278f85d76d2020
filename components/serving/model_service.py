"""ModelService: one model in a bucket becomes a secured, autoscaled, monitored HTTPS endpoint, on any cluster.

Children (every one on the cluster's provider, after ``platform.ready``, named ``<name>-<role>``):

- ``namespace`` + ``mtls``: the model's namespace and its STRICT mTLS PeerAuthentication, unless
  ``createNamespace: false``;
- cloud identity resources from ``cluster.grant_storage_read`` (IRSA role, Google service account, Azure identity),
  unless the storage needs none (``publicStorage``, ``hf://``, ``pvc://``, ``oci://``);
- ``sa``: the model's ServiceAccount (no token automount), annotated for that identity;
- ``hf-token``: a Secret with the Hugging Face token, when one is given;
- ``isvc``: the InferenceService (waits for ``Ready``);
- ``jwt`` + ``authz``: Istio RequestAuthentication (public JWT models) and the ALLOW AuthorizationPolicy;
- ``transformer-authz``, ``explainer-authz`` (and in Standard mode ``<component>-netpol``): each KServe component
  behind the model's callers (:mod:`components.serving._kcomponents`);
- ``pdb``: a PodDisruptionBudget when ``minReplicas >= 2``;
- ``netpol``: a NetworkPolicy that lets only the platform's Prometheus read the pods' metrics ports and leaves the
  serving ports to Istio (:mod:`components.serving._netpol`); where the cluster may not enforce NetworkPolicy
  (:attr:`KubernetesCluster.network_policy_enforced` not True) the plan says the metrics stay open;
- ``metrics``, ``alerts``, ``dashboard``: PodMonitor, PrometheusRule (with SLOs) and Grafana dashboard ConfigMap,
  when the platform runs monitoring.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import coldstart
from components.clusters.base import ONE_SHARE_STRATEGIES, GpuPoolInfo, StorageAccess, one_share_why
from components.errors import SpecError
from components.naming import child_name, child_opts, standard_labels, type_token
from components.outputs import ModelServiceOutputs
from components.platform.handles import PlatformHandles
from components.serving import _auth, _kcomponents, _monitoring, _netpol, _runtime, llm_scaling, server_args
from components.serving.namespace import create_namespace
from components.serving.spec import ModelSpec, check_model_name, platform_problems, size_text
from components.serving.stack_runtime import (
    RuntimeSpec,
    agent_port_problem,
    collocated_runtime_problem,
    model_runtime_problem,
    namespaced,
)

ISVC_TOKEN = f"kubernetes:{_runtime.ISVC_API_VERSION}:InferenceService"
ISTIO_SECURITY = "security.istio.io/v1"
MONITORING = "monitoring.coreos.com/v1"
HOST_ANNOTATION = "mlplatform.io/host"
ACCESS_ANNOTATION = "mlplatform.io/access"
ANONYMOUS_ANNOTATION = "mlplatform.io/allow-anonymous"
"""Where the model answers, shown by ``mlplatform plan``."""


class KServeResource(pulumi.CustomResource):
    """A KServe custom resource with ``status`` as an output: ``pulumi_kubernetes.apiextensions.CustomResource``
    exposes no ``status`` in Python (pulumi-kubernetes#1836); a subclass names its ``API_VERSION`` and ``KIND`` and
    this registers the same type token, ``kubernetes:<apiVersion>:<kind>``."""

    API_VERSION = ""
    KIND = ""

    api_version: pulumi.Output[str]
    kind: pulumi.Output[str]
    metadata: pulumi.Output[Any]
    spec: pulumi.Output[Any]
    status: pulumi.Output[Any]

    def __init__(
        self,
        resource_name: str,
        *,
        metadata: pulumi.Input[Any],
        spec: pulumi.Input[Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {"apiVersion": self.API_VERSION, "kind": self.KIND, "metadata": metadata, "spec": spec, "status": None}
        super().__init__(f"kubernetes:{self.API_VERSION}:{self.KIND}", resource_name, props, opts)

    def translate_output_property(self, prop: str) -> str:
        """``apiVersion`` is ``api_version`` in Python."""
        return "api_version" if prop == "apiVersion" else prop


class InferenceService(KServeResource):
    """A KServe ``serving.kserve.io/v1beta1`` InferenceService."""

    API_VERSION = _runtime.ISVC_API_VERSION
    KIND = "InferenceService"


@dataclass(frozen=True)
class ModelServiceArgs:
    """Arguments of :class:`ModelService`.

    ``platform``: what the platform offers models (cluster, domain, deployment mode, monitoring, ready).
    ``spec``: the model (see :class:`components.serving.spec.ModelSpec`). ``hf_token``: a Hugging Face token for
    gated models and ``hf://`` storage, as a secret Output (e.g. ``pulumi.Output.secret(value)``). Default: none.
    ``runtimes``: the stack's own serving runtimes by name (:class:`components.serving.stack_runtime.RuntimeSpec`,
    each a :class:`~components.serving.stack_runtime.ModelRuntime`): the model's ``runtime``, format and protocol are
    checked against those of its namespace as KServe selects them. Default: none.
    """

    platform: PlatformHandles
    spec: ModelSpec
    hf_token: pulumi.Input[str] | None = None
    runtimes: Mapping[str, RuntimeSpec] = field(default_factory=dict)


def check(
    name: str,
    spec: ModelSpec,
    platform: PlatformHandles,
    has_hf_token: bool,
    stack_runtimes: Mapping[str, RuntimeSpec] | None = None,
) -> None:
    """Raise :class:`SpecError` for what this platform and cluster cannot serve (``stack_runtimes``: the stack's own
    serving runtimes by name)."""
    why = check_model_name(name, spec.namespace, spec)
    if why:
        raise SpecError("name", name, why)
    parts = {"transformer": spec.transformer, "explainer": spec.explainer}
    for path, value, accepted in server_args.component_model_name_problems(name, spec, parts):
        raise SpecError(path, value, accepted)
    stack_runtimes = stack_runtimes or {}
    reach = model_runtime_problem(spec.runtime, spec.namespace, stack_runtimes)
    reach = reach or agent_port_problem(spec, stack_runtimes)
    reach = reach or collocated_runtime_problem(spec, stack_runtimes)
    if reach is not None:
        raise SpecError(*reach)
    for path, value, accepted in platform_problems(
        spec, platform.deployment_mode, namespaced(stack_runtimes, spec.namespace)
    ):
        raise SpecError(path, value, accepted)
    for path, value, accepted in llm_scaling.platform_problems(spec, platform.monitoring, platform.keda):
        raise SpecError(path, value, accepted)
    res = spec.resources
    pools = platform.cluster.gpu.pools
    if res.gpus and res.accelerator and pools:
        offering = platform.cluster.gpu.pools_offering(res.accelerator)
        if not offering:
            have = ", ".join(f"{k} ({p.accelerator})" for k, p in pools.items())
            raise SpecError("resources.accelerator", res.accelerator, f"no GPU pool offers it; pools: {have}")

        # red14h break 11: on a MIG pool each MIG device is one nvidia.com/gpu (NVIDIA/k8s-device-plugin v0.20.0
        # README.md, MIG_STRATEGY "single"; its AddDefaultResourcesToConfig maps every MIG device to the resource
        # "gpu"), and a pod may ask for several: a node grants its GPUs x the profile's partitions
        # (coldstart.node_slots, as the disk check counts them). docs/configuration.md promises that more than one
        # GPU on a MIG pool is not refused; whether one process can use two MIG devices is not checked here.
        def grants(p: Any) -> int:
            if p.sharing == "mig" and p.mig_profile:
                return coldstart.node_slots(p.gpus_per_node, "mig", 1, p.mig_profile)
            return int(p.gpus_per_node)

        most = max(grants(p) for p in offering)
        if res.gpus > most:
            what = (
                "GPUs per node"
                if all(grants(p) == p.gpus_per_node for p in offering)
                else "GPUs (MIG devices) per node"
            )
            raise SpecError("resources.gpus", res.gpus, f"give at most {most} ({what} of the {res.accelerator} pools)")
        sliced = platform.cluster.gpu.one_share_pools(res.accelerator)
        if res.gpus > 1 and len(sliced) == len(offering):
            # The device plugin that applies time-slicing or MPS fails requests greater than one (the cloud's
            # one_share_strategies, on GKE too): the pod would fail at admission on the node
            # (UnexpectedAdmissionError), so say it here. With a whole pool beside them the predictor's node affinity
            # keeps the pod off these pools (GpuScheduling.multi_gpu_affinity).
            raise SpecError(
                "resources.gpus",
                res.gpus,
                one_share_why(res.accelerator, [p.name for p in sliced], platform.cluster.cloud),
            )
    if res.gpus and res.accelerator:
        for key, value in platform.cluster.gpu.node_selector(res.accelerator).items():
            if key in spec.node_selector and spec.node_selector[key] != value:
                raise SpecError(
                    f"nodeSelector.{key}",
                    spec.node_selector[key],
                    f"the GPU pool's selector sets {key}={value} for {res.accelerator}; remove it or give that value",
                )
    if problem := cold_start_cap_problem(spec, platform, stack_runtimes):
        raise SpecError(*problem)
    if spec.timeout is not None and spec.scaling.min_replicas == 0 and platform.deployment_mode == "Knative":
        facts = coldstart.cluster_facts(platform.cluster.cloud, platform.cluster.gpu)
        need = _runtime.cold_start_budget_seconds(spec, facts, coldstart.stack_runtimes(stack_runtimes, spec.namespace))
        if spec.timeout < need:
            # The activator applies the revision's timeout to the whole request, the wait for a pod included
            # (components.serving._runtime.request_timeout_seconds): the first request after zero would be cut.
            raise SpecError(
                "timeout",
                spec.timeout,
                f"a model that scales to zero needs at least its cold-start budget, {need} s (the first request waits "
                "for the pod); give more, or minReplicas >= 1",
            )
    for key, component in (("transformer", spec.transformer), ("explainer", spec.explainer)):
        # rev14e defect 8: the same floor for a component at zero. KServe v0.20.0 sets each component's Knative
        # revision timeout from its own ``timeout`` (reconcilers/knative/ksvc_reconciler.go, per component) and
        # its min-scale from its own minReplicas, so the first request waits for the component's pod under that
        # timeout too; a component is a CPU server, whose budget is the CPU progress deadline. Its request to the
        # predictor waits under the same timeout (_runtime.component_cold_start_seconds), but a predictor behind a
        # component is never at zero here (kcomponents.components_platform_problems refuses minReplicas 0 in Knative
        # mode: the activator would hide the component's identity), so the floor is the component's own start.
        if component is None or getattr(component, "collocated", False) or platform.deployment_mode != "Knative":
            continue
        timeout = component.timeout
        if timeout is not None and component.scaling.min_replicas == 0 and timeout < _runtime.CPU_READY_SECONDS:
            raise SpecError(
                f"{key}.timeout",
                timeout,
                f"a {key} that scales to zero needs at least its cold-start budget, {_runtime.CPU_READY_SECONDS} "
                f"s (the first request waits for its pod); give more, or {key}.scaling.minReplicas >= 1",
            )
    if spec.logs and platform.request_log_url is None:
        where = next(k for k, c in spec.loggers().items() if c is not None)
        raise SpecError(
            where,
            spec.loggers()[where],
            "the platform runs no request-log collector; give platform.requestLogs, or build the Platform with this "
            "model's namespace in request_log_namespaces",
        )
    if spec.llm is not None and spec.llm.huggingface_token_key and not has_hf_token:
        raise SpecError(
            "llm.huggingfaceTokenKey",
            spec.llm.huggingface_token_key,
            "pass the token's value as ModelServiceArgs.hf_token (a secret Output)",
        )


def cold_start_cap_problem(
    spec: ModelSpec, platform: PlatformHandles, stack_runtimes: Mapping[str, RuntimeSpec]
) -> tuple[str, object, str] | None:
    """A GPU model at zero replicas (Knative mode, ``minReplicas: 0``) whose cold start at the slow end of every step
    (components/serving/_runtime.py ``cold_start_budget_seconds``) is longer than Knative's
    ``max-revision-timeout-seconds`` (components/platform/knative.py ``MAX_REVISION_TIMEOUT``, 1800 s): the request
    timeout is capped there (``request_timeout_seconds``; Knative's webhook refuses more, pkg/apis/serving/v1/
    revision_validation.go ``validateTimeoutSeconds``), so the first request after zero is cut before the model
    answers (rev16g defect 4: three ``timeouts-cover-cold-start`` lines at plan, none naming the key). Refused at
    ``modelSizeGb`` with the largest size that fits, when the model gives one, else at ``scaling.minReplicas``."""
    from components.platform.knative import MAX_REVISION_TIMEOUT

    cap = int(MAX_REVISION_TIMEOUT)
    if not spec.resources.gpus or spec.scaling.min_replicas != 0 or platform.deployment_mode != "Knative":
        return None
    facts = coldstart.cluster_facts(platform.cluster.cloud, platform.cluster.gpu)
    stack = coldstart.stack_runtimes(stack_runtimes, spec.namespace)

    def need(size: float | None) -> int:
        return _runtime.cold_start_budget_seconds(spec.model_copy(update={"model_size_gb": size}), facts, stack)

    seconds = need(spec.model_size_gb)
    if seconds <= cap:
        return None
    warm = "or keep a replica up (scaling.minReplicas >= 1), which no request then waits for"
    if spec.model_size_gb is None:
        return (
            "scaling.minReplicas",
            0,
            f"the model's cold start from zero at the slow end of every step is {seconds} s, longer than the "
            f"{cap} s a request may wait (Knative's max-revision-timeout-seconds); give minReplicas >= 1",
        )
    low, high = 0, math.floor(spec.model_size_gb * 10)  # tenths of a GB
    while low < high:  # the largest size in tenths whose cold start is within the cap
        mid = (low + high + 1) // 2
        low, high = (mid, high) if need(mid / 10) <= cap else (low, mid - 1)
    size = f"at most {low / 10:g} GB of weights, " if low > 0 else ""
    return (
        "modelSizeGb",
        size_text(spec.model_size_gb),
        f"the model's cold start from zero at the slow end of every step is {seconds} s, "
        f"longer than the {cap} s a request may wait (Knative's max-revision-timeout-seconds); give "
        f"{size}{warm}",
    )


def needs_identity(spec: ModelSpec) -> bool:
    """True when reading ``spec.storage_uri`` needs a cloud identity (a private bucket on a cloud, no
    ``storageSecret``)."""
    return spec.identity_storage_uri is not None


def host(name: str, spec: ModelSpec, platform: PlatformHandles) -> str:
    """The host the model answers on: the platform's public host, or the in-cluster one for internal models."""
    if spec.access.mode == "internal":
        return cluster_url(name, spec, platform).removeprefix("http://")
    return platform.host(name, spec.namespace)


def access_annotations(spec: ModelSpec) -> dict[str, str]:
    """How the model may be called, for the policy pack: ``mlplatform.io/access`` and, when chosen explicitly,
    ``mlplatform.io/allow-anonymous``."""
    out: dict[str, str] = {ACCESS_ANNOTATION: spec.access.mode}
    if spec.access.mode == "public" and spec.access.allow_anonymous:
        out[ANONYMOUS_ANNOTATION] = "true"
    return out


def public_url(name: str, spec: ModelSpec, platform: PlatformHandles) -> str:
    """The model's URL through the gateway (public models)."""
    return f"https://{host(name, spec, platform)}"


def cluster_url(name: str, spec: ModelSpec, platform: PlatformHandles) -> str:
    """The model's in-cluster URL, for callers with an Istio sidecar: the predictor's host ``<name>-predictor``.

    Knative mode: net-istio's mesh VirtualService routes that host from the caller's sidecar straight to the
    revision (pods; the activator only at zero, which internal models never are), so the model sees the caller
    (MakeMeshVirtualService, pkg/reconciler/ingress/resources/virtual_service.go, net-istio knative-v1.21.3).
    That route does apply although ``<name>-predictor`` is Knative's ExternalName placeholder to
    knative-local-gateway (pkg/reconciler/route/resources/service.go ``MakeK8sService``, knative/serving 1.21.3) and
    Istio >= 1.21 treats ExternalName Services as aliases (releasenotes/notes/external-name-on.yaml): the alias is a
    registry service of its own (pilot/pkg/serviceregistry/kube/conversion.go: ``Resolution: Alias``, ports kept:
    80), so the mesh VirtualService's host matches it (route/route.go ``separateVSHostsAndServices``), its virtual
    host is built before the services without a VirtualService (``BuildSidecarVirtualHostWrapper``), and
    ``dedupeDomains`` (httproute.go) keeps that first claim on the domain, not the alias domain knative-local-gateway's
    virtual host adds (Istio 1.30.3). KServe's top-level host ``<name>`` is an ExternalName to knative-local-gateway
    (ingress_reconciler.go ``reconcileExternalService``, v0.20.0) whose VirtualService, mesh included, sends it to
    knative-local-gateway with the Host ``set`` to the predictor's (the predict route there): through it the model
    sees the gateway, and an internal model answers 403. Standard mode: the predictor Service.
    """
    separate = spec.transformer is not None and not spec.transformer.collocated
    entry = "transformer" if separate else "predictor"  # a transformer of its own is the entry (KServe)
    return f"http://{name}-{entry}.{spec.namespace}.svc.cluster.local"


def metrics_exposure_warning(
    name: str, spec: ModelSpec, enforced: bool | None, deployment_mode: str = "Knative"
) -> str | None:
    """What the plan says when the cluster may not enforce the model's NetworkPolicy (``enforced`` not True): then
    any pod that reaches a model pod's IP reads its request metrics on the ports the NetworkPolicy would close
    (:func:`components.serving._netpol.metrics_ports`: 15090, 15020, and the queue-proxy's 9091 in Knative mode
    only; Standard mode has no queue-proxy)."""
    if enforced is True:
        return None
    state = "does not enforce" if enforced is False else "may not enforce"
    ports = ", ".join(str(p) for p in sorted(_netpol.metrics_ports(deployment_mode), key=_WARNING_ORDER.index))
    return (
        f"model {spec.namespace}/{name}: the cluster {state} NetworkPolicy, so any pod that reaches a model pod's IP "
        f"can read its request metrics (ports {ports}); serving is unaffected. If the cluster's network "
        "plugin enforces NetworkPolicy, set cluster.existing.networkPolicy: enforced"
    )


def gpu_capacity_warning(name: str, spec: ModelSpec, pools: list[GpuPoolInfo], cloud: str) -> str | None:
    """What the plan says when the model's ``scaling.maxReplicas`` is more than the replicas the GPU pools offering
    its accelerator (``pools``) can ever hold. The pool's limit caps the nodes (Karpenter's NodePool ``limits``, the
    node group's maximum), so the replicas beyond it stay Pending while the autoscaler (Knative's KPA, KServe's HPA,
    KEDA) counts them (rev14h defect 7). A warning, not a refusal: several models may share a pool, and the stack may
    mean the pool to be the cap. None for a MIG pool (its slices per GPU depend on the profile).

    Counted in pods, not GPUs (rev14i N3): a pod's ``nvidia.com/gpu`` request is met by one node, so a node holds
    ``(gpusPerNode x clients) // gpus`` replicas (clients: ``maxClientsPerGpu`` on a time-slicing or MPS pool, 1 on
    whole GPUs). Kubernetes schedules an extended resource per node: a node with 4 of it that runs a pod asking 3
    cannot take a second pod asking 2 (kubernetes.io/docs/tasks/configure-pod-container/extended-resource/, "Attempt
    to create a second Pod"); 2 nodes x 8 GPUs hold 4 pods of 3 GPUs, not 5. A pool whose device plugin refuses a
    request for more than one share (components/clusters ``shares_one_gpu_per_request``: failRequestsGreaterThanOne)
    holds no replica of a model asking more than one GPU, as gpumem's ``_candidates`` counts it."""
    from components.clusters import shares_one_gpu_per_request

    gpus = spec.resources.gpus
    if not gpus or not pools or any(p.sharing == "mig" for p in pools):
        return None
    held: list[str] = []
    capacity = 0
    for p in pools:
        if gpus > 1 and shares_one_gpu_per_request(cloud, p.sharing):
            held.append(f"{p.name}: none ({p.sharing}: one share per pod)")
            continue
        clients = p.max_clients_per_gpu if p.sharing in ONE_SHARE_STRATEGIES else 1
        per_node = (p.gpus_per_node * clients) // gpus
        capacity += p.max_nodes * per_node
        shares = f"{p.gpus_per_node} GPUs" + (f" x {clients} clients" if clients > 1 else "")
        held.append(f"{p.name}: {p.max_nodes} nodes x {per_node} replicas ({shares} each)")
    if spec.scaling.max_replicas <= capacity:
        return None
    return (
        f"model {spec.namespace}/{name}: scaling.maxReplicas {spec.scaling.max_replicas} is more than the "
        f"{spec.resources.accelerator} pools can hold at resources.gpus {gpus} per replica ({'; '.join(held)} = "
        f"{capacity}); replicas beyond {capacity} would stay Pending. Raise the pools' maxNodes or lower maxReplicas"
    )


KSERVE_PREDICTOR_TIMEOUT_FLAG = "--predictor_request_timeout_seconds"
KSERVE_PREDICTOR_TIMEOUT_DEFAULT = 600
"""How long a KServe Python transformer waits for its call to the predictor: kserve v0.20.0
python/kserve/kserve/model_server.py:178-183 (``--predictor_request_timeout_seconds``, ``default=600``,
``type=int``) into ``PredictorConfig`` (predictor_config.py:26, its ``timeout`` property :93-96), which
``Model._http_client`` gives ``RESTConfig(timeout=...)`` (model.py:292-297), the ``httpx.AsyncClient`` timeout
(inference_client.py:398-401)."""
_KSERVE_APPENDED = ("--model_name", "--predictor_host", "--http_port", "-h", "--help")
"""Options KServe gives every transformer (transformer_custom.go ``GetContainer``), or any argparse has: they do not
say a transformer is a KServe Python server."""


def _kserve_python(image: str, args: list[str]) -> str | None:
    """Why a transformer looks like a KServe Python server, or None: an image of KServe's Docker Hub namespace
    (``kserve/...``, where KServe publishes its Python transformers and servers), or args naming an option of
    ``kserve.model_server.parser`` (server_args.KSERVE_OPTIONS) other than those KServe appends itself."""
    from components.serving import server_args

    if coldstart.registry_host(image) == "docker.io":
        path = image.split("/", 1)[1] if image.startswith(("docker.io/", "index.docker.io/")) else image
        if path.startswith("kserve/"):
            return f"image {image}"
    for opt in server_args.parse_options(args):
        if len(opt.matches) == 1 and opt.matches[0] not in _KSERVE_APPENDED:
            return f"arg {args[opt.index]}"
    return None


def transformer_timeout_warning(name: str, spec: ModelSpec, timeout: int | None) -> str | None:
    """What the plan says when a transformer's route allows longer than its call to the predictor may take (rev14i
    N6): ``timeout`` is its rendered one (its own, or the predictor's when collocated), and a KServe Python transformer
    (:func:`_kserve_python`) stops its request to the predictor at ``--predictor_request_timeout_seconds``
    (:data:`KSERVE_PREDICTOR_TIMEOUT_DEFAULT` without it), so a request the route and the predictor would still allow
    fails there. The transformer is the user's container (KServe's only transformer is custom: transformer_custom.go),
    so the platform does not add the flag; None when its args give at least ``timeout``."""
    t = spec.transformer
    if t is None or timeout is None or timeout <= KSERVE_PREDICTOR_TIMEOUT_DEFAULT:
        return None
    why = _kserve_python(t.container.image, t.args)
    if why is None:
        return None
    from components.serving import server_args

    hit = server_args.last_value(t.args, KSERVE_PREDICTOR_TIMEOUT_FLAG)
    given = server_args.argparse_int(hit[1]) if hit is not None else None
    if given is not None and given >= timeout:
        return None
    limit = given if given is not None else KSERVE_PREDICTOR_TIMEOUT_DEFAULT
    return (
        f"model {spec.namespace}/{name}: transformer timeout {timeout} s, but a KServe Python transformer ({why}) "
        f"stops its call to the predictor at {KSERVE_PREDICTOR_TIMEOUT_FLAG} {limit} s (kserve v0.20.0 "
        f"model_server.py); give transformer.args {KSERVE_PREDICTOR_TIMEOUT_FLAG}={timeout}"
    )


_WARNING_ORDER = [_netpol.ENVOY_STATS_PORT, _netpol.AGENT_STATUS_PORT, _netpol.QUEUE_USER_METRICS_PORT]


class ModelService(pulumi.ComponentResource):
    """Serve one model: InferenceService, identity, auth, disruption budget, metrics, alerts and dashboard.

    Outputs: ``url`` (public URL, or the in-cluster URL for internal models), ``internal_url``,
    ``service_account`` (the ServiceAccount's name), ``identity`` (the cloud identity, or None).
    """

    url: pulumi.Output[str]
    internal_url: pulumi.Output[str]
    service_account: pulumi.Output[str]
    identity: pulumi.Output[str | None]

    def __init__(self, name: str, args: ModelServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        spec, platform = args.spec, args.platform
        check(name, spec, platform, args.hf_token is not None, args.runtimes)
        super().__init__(type_token("ModelService"), name, None, opts)
        cluster = platform.cluster
        ns = spec.namespace
        labels = standard_labels("model", name, name=name)
        deps: list[pulumi.Resource] = list(platform.ready)
        if spec.create_namespace:
            deps.extend(create_namespace(name, ns, platform, self))

        def opts_(*extra: pulumi.Resource) -> pulumi.ResourceOptions:
            return child_opts(self, depends_on=[*deps, *extra], provider=cluster.provider)

        def meta(
            role: str,
            extra_labels: Mapping[str, str] | None = None,
            annotations: Mapping[str, pulumi.Input[str]] | None = None,
        ) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(
                name=child_name(name, role),
                namespace=ns,
                labels={**labels, **(extra_labels or {})},
                annotations=dict(annotations) if annotations else None,
            )

        sa_name = child_name(name, "sa")
        access = (
            cluster.grant_storage_read(name, ns, sa_name, spec.identity_storage_uri, self)
            if spec.identity_storage_uri is not None
            else StorageAccess()
        )
        # The InferenceService waits for the grant itself (role + policy, IAM members, federated credential + role
        # assignment), not only for the ServiceAccount: the first model download must not race the IAM grant.
        isvc_deps: list[pulumi.Resource] = list(access.resources)
        hf_secret_name: str | None = None
        if args.hf_token is not None:
            hf_secret_name = child_name(name, "hf-token")
            isvc_deps.append(
                k8s.core.v1.Secret(
                    hf_secret_name,
                    metadata=meta("hf-token"),
                    type="Opaque",
                    string_data={_runtime.HF_TOKEN_KEY: pulumi.Output.secret(args.hf_token)},
                    opts=opts_(),
                )
            )
        # KServe gives the storage initializer the credentials of the Secrets the ServiceAccount lists (an HF_TOKEN
        # key becomes its HF_TOKEN variable; a Secret with awsSecretAccessKey becomes the S3 variables, its
        # serving.kserve.io/s3-endpoint, -region, -usehttps, -verifyssl annotations the endpoint settings of an
        # S3-compatible store: pkg/credentials/service_account_credentials.go ``mountSecretCredential``,
        # pkg/credentials/s3/s3_secret.go, v0.20.0).
        anon_secret_name: str | None = None
        if (anonymous := spec.anonymous_read) is not None:
            # publicStorage on storage whose initializer signs its requests unless told not to (red14m W1; the
            # storage form's anonymous_read in components/clouds.py says how KServe v0.20.0 reads it)
            anon_secret_name = child_name(name, "storage-anon")
            isvc_deps.append(
                k8s.core.v1.Secret(
                    anon_secret_name,
                    metadata=meta("storage-anon", annotations=anonymous.annotations),
                    type="Opaque",
                    string_data=dict(anonymous.string_data),
                    opts=opts_(),
                )
            )
        sa_secrets = [n for n in (spec.storage_secret, hf_secret_name, anon_secret_name) if n is not None]
        sa = k8s.core.v1.ServiceAccount(
            sa_name,
            metadata=meta("sa", access.service_account_labels, access.service_account_annotations),
            automount_service_account_token=False,
            secrets=[k8s.core.v1.ObjectReferenceArgs(name=n) for n in sa_secrets] or None,
            opts=opts_(*isvc_deps),
        )
        isvc_deps.append(sa)

        inputs = _runtime.PredictorInputs(
            deployment_mode=platform.deployment_mode,
            service_account=sa_name,
            gpu=cluster.gpu,
            pod_labels={**labels, **access.pod_labels},
            cloud=cluster.cloud,
            hf_secret_name=hf_secret_name,
            enforce_restricted=platform.pod_security == "restricted",
            request_log_url=platform.request_log_url,
            isvc_name=name,
            namespaced=namespaced(args.runtimes, spec.namespace),
            stack=coldstart.stack_runtimes(args.runtimes, spec.namespace),
        )
        predictor = _runtime.predictor(spec, inputs)
        isvc_body = _kcomponents.isvc_spec(spec, inputs, predictor)
        self.inference_service = InferenceService(
            child_name(name, "isvc"),
            metadata={
                "name": name,
                "namespace": ns,
                "labels": _runtime.isvc_labels(spec, labels, platform.deployment_mode),
                "annotations": {
                    **_runtime.isvc_annotations(
                        spec,
                        platform.deployment_mode,
                        coldstart.cluster_facts(cluster.cloud, cluster.gpu),
                        inputs.stack,
                    ),
                    **access_annotations(spec),
                    **_runtime.logger_annotations(spec),
                    HOST_ANNOTATION: host(name, spec, platform),
                },
            },
            spec=isvc_body,
            opts=opts_(*isvc_deps),
        )
        routed = isvc_body.get("transformer", isvc_body["predictor"]).get("timeout")
        if why := transformer_timeout_warning(name, spec, routed):
            pulumi.log.warn(why, resource=self)

        jwt = _auth.request_authentication(name, spec)
        if jwt is not None:
            k8s.apiextensions.CustomResource(
                child_name(name, "jwt"),
                api_version=ISTIO_SECURITY,
                kind="RequestAuthentication",
                metadata=meta("jwt"),
                spec=jwt,
                opts=opts_(),
            )
        k8s.apiextensions.CustomResource(
            child_name(name, "authz"),
            api_version=ISTIO_SECURITY,
            kind="AuthorizationPolicy",
            metadata=meta("authz"),
            spec=_kcomponents.predictor_authorization(
                name, spec, platform.deployment_mode, _auth.authorization_policy(name, spec, platform.deployment_mode)
            ),
            opts=opts_(),
        )
        for component in _kcomponents.components(spec):
            # each component behind the model's callers (components/serving/_kcomponents.py)
            k8s.apiextensions.CustomResource(
                child_name(name, f"{component}-authz"),
                api_version=ISTIO_SECURITY,
                kind="AuthorizationPolicy",
                metadata=meta(f"{component}-authz"),
                spec=_kcomponents.component_authorization(name, spec, platform.deployment_mode, component),
                opts=opts_(),
            )
            if netpol := _kcomponents.component_network_policy(name, spec, platform.deployment_mode, component):
                k8s.networking.v1.NetworkPolicy(
                    child_name(name, f"{component}-netpol"),
                    metadata=meta(f"{component}-netpol"),
                    spec=_netpol.network_policy_args(netpol),
                    opts=opts_(),
                )
        k8s.networking.v1.NetworkPolicy(
            child_name(name, "netpol"),
            metadata=meta("netpol"),
            spec=_netpol.network_policy_args(
                _netpol.network_policy(
                    name,
                    platform.deployment_mode,
                    platform.monitoring_namespace if platform.monitoring else None,
                    spec,
                )
            ),
            opts=opts_(),
        )
        if why := metrics_exposure_warning(name, spec, cluster.network_policy_enforced, platform.deployment_mode):
            pulumi.log.warn(why, resource=self)
        accelerator = spec.resources.accelerator
        if accelerator and (
            why := gpu_capacity_warning(name, spec, cluster.gpu.pools_offering(accelerator), cluster.cloud)
        ):
            pulumi.log.warn(why, resource=self)
        if spec.scaling.min_replicas >= 2:
            k8s.policy.v1.PodDisruptionBudget(
                child_name(name, "pdb"),
                metadata=meta("pdb"),
                spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                    max_unavailable=1,
                    selector=k8s.meta.v1.LabelSelectorArgs(match_labels={_runtime.ISVC_LABEL: name}),
                ),
                opts=opts_(),
            )

        if platform.monitoring:
            k8s.apiextensions.CustomResource(
                child_name(name, "metrics"),
                api_version=MONITORING,
                kind="PodMonitor",
                metadata=meta("metrics"),
                spec=_monitoring.pod_monitor(name, spec),
                opts=opts_(),
            )
            rules = _monitoring.prometheus_rules(name, spec, platform.environment)
            if rules is not None:
                k8s.apiextensions.CustomResource(
                    child_name(name, "alerts"),
                    api_version=MONITORING,
                    kind="PrometheusRule",
                    metadata=meta("alerts"),
                    spec=rules,
                    opts=opts_(),
                )
            k8s.core.v1.ConfigMap(
                child_name(name, "dashboard"),
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"{ns}-{name}-dashboard",
                    namespace=platform.monitoring_namespace,
                    labels={**labels, platform.dashboards_label: "1"},
                ),
                data={f"{ns}-{name}.json": _monitoring.dashboard(name, ns)},
                opts=child_opts(self, depends_on=list(platform.ready), provider=cluster.provider),
            )

        internal = cluster_url(name, spec, platform)
        self.internal_url = pulumi.Output.from_input(internal)
        self.url = pulumi.Output.from_input(
            internal if spec.access.mode == "internal" else public_url(name, spec, platform)
        )
        self.service_account = sa.metadata.apply(lambda _: sa_name)
        self.identity = access.identity if access.identity is not None else pulumi.Output.from_input(None)
        outputs: ModelServiceOutputs = {
            "url": self.url,
            "internalUrl": self.internal_url,
            "serviceAccount": self.service_account,
            "identity": self.identity,
        }
        self.register_outputs(dict(outputs))
