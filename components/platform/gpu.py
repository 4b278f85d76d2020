"""GPU support: the NVIDIA device plugin (or the GPU operator) and the DCGM exporter, only on GPU nodes.

- ``platform.gpuSupport: device-plugin`` (default): the device plugin is installed when the cluster says it needs
  one (``cluster.gpu.needs_device_plugin``: EKS's NVIDIA AMI and AKS pools carry the driver but do not advertise
  ``nvidia.com/gpu``) and has GPU pools. It is one small DaemonSet, where the GPU operator would add NFD, GFD and an
  operator: the drivers already come with the node images of all three clouds.
- ``gpu-operator``: the operator with the driver and container toolkit off (the node image has them), for teams
  that want MIG management, GFD labels and the operator's DCGM exporter.
- DCGM exporter: when the cluster has no managed one (``needs_dcgm_exporter``), monitoring is on, the stack did not
  choose the cloud's managed DCGM (``monitoring.managedDcgm``) and GPU pools exist.

Every GPU DaemonSet requires the accelerator label (node affinity) and tolerates the GPU taint, so it runs on GPU
nodes and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.clusters.base import OS_DEVICE_PLUGIN_LABEL
from components.naming import child_name, child_opts
from components.platform.common import AddonContext, drop_empty

PLUGIN_NAMESPACE = "nvidia-device-plugin"
OPERATOR_NAMESPACE = "gpu-operator"
DCGM_NAMESPACE = "monitoring"
"""The DCGM exporter runs beside Prometheus (it only exists when monitoring is on)."""
DCGM_LABELS = {"app.kubernetes.io/name": "dcgm-exporter"}


@dataclass(frozen=True)
class Gpu:
    """What the GPU step installed (each None when not needed)."""

    device_plugin: k8s.helm.v3.Release | None
    operator: k8s.helm.v3.Release | None
    dcgm_exporter: k8s.helm.v3.Release | None


def wants_device_plugin(ctx: AddonContext) -> bool:
    """Device plugin: chosen, needed by the cluster, and the cluster has GPU pools."""
    gpu = ctx.cluster.gpu
    return ctx.settings.gpu_support == "device-plugin" and gpu.needs_device_plugin and bool(gpu.pools)


def wants_operator(ctx: AddonContext) -> bool:
    """GPU operator: chosen explicitly (it finds GPU nodes itself through node feature discovery)."""
    return ctx.settings.gpu_support == "gpu-operator"


def wants_dcgm_exporter(ctx: AddonContext) -> bool:
    """Standalone DCGM exporter: device-plugin mode, GPU pools, monitoring on, no managed DCGM."""
    gpu = ctx.cluster.gpu
    mon = ctx.settings.monitoring
    return (
        ctx.settings.gpu_support == "device-plugin"
        and bool(gpu.pools)
        and gpu.needs_dcgm_exporter
        and mon.enabled
        and not mon.managed_dcgm
    )


DEFAULT_CONFIG = "default"
"""The device plugin configuration of nodes without a config label: whole GPUs, no sharing."""


def device_plugin_config(ctx: AddonContext) -> dict[str, Any]:
    """The chart's ``config`` when some pool shares GPUs (time-slicing or MPS), else empty.

    The chart builds one ConfigMap from ``config.map`` (name -> config file) and its config-manager sidecar serves,
    on each node, the config its ``nvidia.com/device-plugin.config`` label names; the cluster puts that label on
    the pool's nodes (:meth:`GpuScheduling.node_labels`). Unlabelled GPU nodes get ``default`` (no sharing).
    """
    configs = ctx.cluster.gpu.device_plugin_configs()
    if not configs:
        return {}
    files = {DEFAULT_CONFIG: yaml.safe_dump({"version": "v1"}, sort_keys=True)}
    files.update({name: yaml.safe_dump(config, sort_keys=True) for name, config in sorted(configs.items())})
    return {"map": files, "default": DEFAULT_CONFIG}


def device_plugin_values(ctx: AddonContext) -> dict[str, Any]:
    """Device plugin values: GPU nodes only (accelerator label required), GPU taint tolerated, and the per-pool
    sharing configs when a pool time-slices or uses MPS. Nodes whose OS runs its own device plugin
    (:data:`~components.clusters.base.OS_DEVICE_PLUGIN_LABEL`, EKS pools with an image cache on Bottlerocket) are
    left out, where the cluster has such pools."""
    affinity = ctx.gpu_affinity()
    if any(p.os_device_plugin for p in ctx.cluster.gpu.pools.values()):
        terms = affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        for term in terms:
            term["matchExpressions"].append({"key": OS_DEVICE_PLUGIN_LABEL, "operator": "DoesNotExist"})
    return drop_empty({"affinity": affinity, "tolerations": ctx.gpu_tolerations(), "config": device_plugin_config(ctx)})


DCGM_PRIORITY = "system-node-critical"
"""The DCGM exporter's priority class: the chart's (dcgm-exporter 4.8.2 values ``priorityClassName``; its DaemonSet
template falls back to it even when the value is empty: ``.Values.priorityClassName | default
"system-node-critical"``)."""
DRIVER_MOUNT = "/usr/local/nvidia"
"""Where the node's NVIDIA driver folder is mounted in the exporter, where the cluster names one
(:attr:`GpuScheduling.driver_root`): NVIDIA/dcgm-exporter#59 mounts GKE's ``/home/kubernetes/bin/nvidia`` there."""
DCGM_METRICS_MOUNT = {
    "name": "exporter-metrics-volume",
    "mountPath": "/etc/dcgm-exporter/default-counters.csv",
    "subPath": "default-counters.csv",
}
"""The chart's own ``extraVolumeMounts`` entry (dcgm-exporter 4.8.2 values): a list value replaces the default, so
it is repeated when the platform adds a mount."""


DCGM_PRIVILEGED = {"privileged": True, "allowPrivilegeEscalation": True}
"""The exporter's container securityContext where the cluster names a driver folder: a pod that does not request
``nvidia.com/gpu`` gets no ``/dev/nvidia*`` device on GKE, so the exporter sees no GPU unless privileged (the
working GKE values in NVIDIA/dcgm-exporter#59 and NVIDIA/gpu-monitoring-tools#96 set ``privileged: true``). Helm
merges this map into the chart's (dcgm-exporter 4.8.2 values ``securityContext``: ``allowPrivilegeEscalation:
false``, ``SYS_ADMIN``), and the API server rejects ``privileged`` with ``allowPrivilegeEscalation: false``
(kubernetes pkg/apis/core/validation ``ValidateSecurityContext``: "cannot set `allowPrivilegeEscalation` to false and
`privileged` to true"), so both are set. The chart renders ``securityContext`` whole (templates/daemonset.yaml
``toYaml .Values.securityContext``); the ``monitoring`` namespace is privileged and listed in the policy pack's
exceptions (policy/rules/kubernetes.py ``PRIVILEGED_NAMESPACES``)."""


def dcgm_values(ctx: AddonContext) -> dict[str, Any]:
    """DCGM exporter values: GPU nodes only; the platform declares its ServiceMonitor (the chart's is off).

    Where the cluster keeps the NVIDIA libraries in a host folder the container runtime does not inject
    (:attr:`GpuScheduling.driver_root`, GKE's COS nodes), that folder is mounted read-only at :data:`DRIVER_MOUNT`
    and its ``lib64`` put on ``LD_LIBRARY_PATH``: otherwise NVML is not found and no GPU metric is exported
    (NVIDIA/dcgm-exporter#484 "Cannot init NVML library; err: ERROR_LIBRARY_NOT_FOUND - GKE Cluster", #59), and
    the container is privileged (:data:`DCGM_PRIVILEGED`) so it sees the GPUs it does not request.
    """
    out: dict[str, Any] = {
        "affinity": ctx.gpu_affinity(),
        "tolerations": ctx.gpu_tolerations(),
        "serviceMonitor": {"enabled": False},
    }
    root = ctx.cluster.gpu.driver_root
    if root:
        out["extraHostVolumes"] = [{"name": "nvidia-driver", "hostPath": root}]
        out["extraVolumeMounts"] = [
            dict(DCGM_METRICS_MOUNT),
            {"name": "nvidia-driver", "mountPath": DRIVER_MOUNT, "readOnly": True},
        ]
        out["extraEnv"] = [{"name": "LD_LIBRARY_PATH", "value": f"{DRIVER_MOUNT}/lib64"}]
        out["securityContext"] = dict(DCGM_PRIVILEGED)
    return out


def critical_priority_quota(ctx: AddonContext, namespace: pulumi.Resource) -> k8s.core.v1.ResourceQuota | None:
    """Where the cluster admits ``system-node-critical`` pods outside kube-system only against a matching quota
    (:attr:`GpuScheduling.critical_priority_needs_quota`, GKE), a ResourceQuota in the exporter's namespace whose
    scope selects that PriorityClass (Kubernetes docs, concepts/policy/resource-quotas, "Limit Priority Class
    consumption by default": such pods are admitted "if and only if a matching quota object exists"). Its limit is
    a pod count no DaemonSet on a platform's GPU pools reaches."""
    if not ctx.cluster.gpu.critical_priority_needs_quota:
        return None
    return k8s.core.v1.ResourceQuota(
        child_name(ctx.name, "dcgm-priority-quota"),
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name="dcgm-exporter-critical-pods", namespace=DCGM_NAMESPACE, labels=ctx.labels("dcgm")
        ),
        spec=k8s.core.v1.ResourceQuotaSpecArgs(
            hard={"pods": "1000"},
            scope_selector=k8s.core.v1.ScopeSelectorArgs(
                match_expressions=[
                    k8s.core.v1.ScopedResourceSelectorRequirementArgs(
                        scope_name="PriorityClass", operator="In", values=[DCGM_PRIORITY]
                    )
                ]
            ),
        ),
        opts=child_opts(ctx.parent, provider=ctx.cluster.provider, depends_on=[namespace]),
    )


def operator_values(ctx: AddonContext) -> dict[str, Any]:
    """GPU operator values: driver and toolkit off (node images carry them), operator on the system pool, operand
    DaemonSets tolerate the GPU taint, DCGM exporter and its ServiceMonitor only with monitoring."""
    mon = ctx.settings.monitoring
    dcgm = mon.enabled and not mon.managed_dcgm and ctx.cluster.gpu.needs_dcgm_exporter
    return drop_empty(
        {
            "driver": {"enabled": False},
            "toolkit": {"enabled": False},
            "operator": {"nodeSelector": ctx.system_selector},
            "daemonsets": {"tolerations": ctx.gpu_tolerations()},
            "dcgmExporter": {"enabled": dcgm, "serviceMonitor": {"enabled": dcgm}},
        }
    )


def install(
    ctx: AddonContext, monitoring_namespace: pulumi.Resource | None, monitoring_release: pulumi.Resource | None
) -> Gpu:
    """The GPU add-ons, in parallel with the serving chain, each in its own namespace (privileged: they mount host
    paths); the DCGM exporter goes into the monitoring namespace. The GPU operator waits for ``monitoring_release``
    when monitoring is on (its DCGM ServiceMonitor needs the CRD)."""
    plugin = operator = dcgm = None
    if wants_device_plugin(ctx):
        ns = ctx.namespace("ns-nvidia-device-plugin", PLUGIN_NAMESPACE, pod_security="privileged")
        plugin = ctx.release(
            "nvidia-device-plugin",
            "nvidia-device-plugin",
            release_name="nvidia-device-plugin",
            namespace=PLUGIN_NAMESPACE,
            values=device_plugin_values(ctx),
            depends_on=[ns],
        )
    if wants_operator(ctx):
        ns = ctx.namespace("ns-gpu-operator", OPERATOR_NAMESPACE, pod_security="privileged")
        operator = ctx.release(
            "gpu-operator",
            "gpu-operator",
            release_name="gpu-operator",
            namespace=OPERATOR_NAMESPACE,
            values=operator_values(ctx),
            depends_on=[ns, *([monitoring_release] if monitoring_release is not None else [])],
            timeout=900,
        )
    if wants_dcgm_exporter(ctx) and monitoring_namespace is not None:
        quota = critical_priority_quota(ctx, monitoring_namespace)
        dcgm = ctx.release(
            "dcgm-exporter",
            "dcgm-exporter",
            release_name="dcgm-exporter",
            namespace=DCGM_NAMESPACE,
            values=dcgm_values(ctx),
            depends_on=[monitoring_namespace, *([quota] if quota is not None else [])],
        )
    return Gpu(plugin, operator, dcgm)
