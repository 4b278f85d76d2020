"""What every add-on module shares: the install context, Helm releases, custom resources, scheduling and HA values.

Each add-on module (cert-manager, Istio, Knative, KServe, GPU, monitoring) is a set of functions that take an
:class:`AddonContext` and return the resources later steps wait on. The context carries the parent component, the
cluster (whose provider every Kubernetes resource uses), the settings and the HA decision, so a module cannot
forget the provider, the parent or the naming rule.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.clusters.base import KubernetesCluster
from components.naming import child_name, child_opts, standard_labels
from components.platform.settings import PlatformSettings
from components.versions import ChartRef, chart

ZONE_KEY = "topology.kubernetes.io/zone"
HOSTNAME_KEY = "kubernetes.io/hostname"
DATA_DIR = Path(__file__).resolve().parent
"""Where the dashboards/ and rules/ data files live."""

HA_REPLICAS = 2
"""Replicas of each controller, webhook and gateway when HA is on (one may be evicted at a time)."""
HA_ACTIVATORS = 3
"""Knative activators when HA is on (they buffer requests during scale from zero)."""


@dataclass(frozen=True)
class AddonContext:
    """Everything an add-on module needs: ``parent`` (the Platform), ``name`` (its logical name), the
    ``cluster``, the typed ``settings``, whether ``ha`` is on, and the ``environment``."""

    parent: pulumi.ComponentResource
    name: str
    cluster: KubernetesCluster
    settings: PlatformSettings
    ha: bool
    environment: str

    # ---------------------------------------------------------------------------------------------- resources

    def chart(self, key: str) -> ChartRef:
        """The pinned chart ``key`` with this stack's version override applied."""
        return chart(key, self.settings.versions)

    def release(
        self,
        role: str,
        key: str,
        *,
        release_name: str,
        namespace: str,
        values: Mapping[str, Any],
        depends_on: Sequence[pulumi.Resource] = (),
        timeout: int = 600,
    ) -> k8s.helm.v3.Release:
        """A Helm release of the pinned chart ``key`` (``helm.v3.Release``: hooks run, Helm waits for readiness).

        ``atomic`` rolls a failed install back so the next ``pulumi up`` starts clean; ``wait_for_jobs`` makes
        hook jobs (cert-manager's startupapicheck, kube-prometheus-stack's webhook patch) part of readiness.
        """
        ref = self.chart(key)
        return k8s.helm.v3.Release(
            child_name(self.name, role),
            k8s.helm.v3.ReleaseArgs(
                name=release_name,
                chart=ref.chart,
                version=ref.version,
                namespace=namespace,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=ref.repository) if ref.repository else None,
                values=dict(values),
                atomic=True,
                cleanup_on_fail=True,
                wait_for_jobs=True,
                timeout=timeout,
                max_history=10,
            ),
            opts=child_opts(self.parent, provider=self.cluster.provider, depends_on=list(depends_on)),
        )

    def custom_resource(
        self,
        role: str,
        api_version: str,
        kind: str,
        *,
        name: str,
        spec: Mapping[str, Any],
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> k8s.apiextensions.CustomResource:
        """A custom resource of a CRD that a release in ``depends_on`` installed."""
        metadata: dict[str, Any] = {"name": name, "labels": {**self.labels(role), **(labels or {})}}
        if namespace:
            metadata["namespace"] = namespace
        if annotations:
            metadata["annotations"] = dict(annotations)
        return k8s.apiextensions.CustomResource(
            child_name(self.name, role),
            api_version=api_version,
            kind=kind,
            metadata=metadata,
            spec=dict(spec),
            opts=child_opts(self.parent, provider=self.cluster.provider, depends_on=list(depends_on)),
        )

    def namespace(
        self,
        role: str,
        name: str,
        *,
        pod_security: str,
        labels: Mapping[str, str] | None = None,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> k8s.core.v1.Namespace:
        """A namespace that enforces (and audits and warns about) the Pod Security level ``pod_security``."""
        pss = {f"pod-security.kubernetes.io/{mode}": pod_security for mode in ("enforce", "audit", "warn")}
        return k8s.core.v1.Namespace(
            child_name(self.name, role),
            metadata={"name": name, "labels": {**self.labels(role), **pss, **(labels or {})}},
            opts=child_opts(self.parent, provider=self.cluster.provider, depends_on=list(depends_on)),
        )

    def labels(self, role: str) -> dict[str, str]:
        """The standard labels of an object this platform declares."""
        return standard_labels(role, self.name, name="mlplatform-platform")

    # ---------------------------------------------------------------------------------------------- scheduling

    @property
    def system_selector(self) -> dict[str, str]:
        """Node selector of the system pool (empty when the cluster has no such label)."""
        return dict(self.cluster.system_node_selector)

    def system_affinity(self) -> dict[str, Any]:
        """The system-pool node selector as a node affinity (for charts that take only ``affinity``); ``{}`` when
        the cluster has no system-pool label."""
        if not self.system_selector:
            return {}
        exprs = [{"key": k, "operator": "In", "values": [v]} for k, v in sorted(self.system_selector.items())]
        return {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": exprs}]}
            }
        }

    def gpu_affinity(self) -> dict[str, Any]:
        """Node affinity for GPU nodes only: the accelerator label must be present."""
        key = self.cluster.gpu.accelerator_label
        return {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{"key": key, "operator": "Exists"}]}]
                }
            }
        }

    def gpu_tolerations(self) -> list[dict[str, str]]:
        """Tolerations for the taints of GPU nodes."""
        return self.cluster.gpu.tolerations()

    @property
    def replicas(self) -> int:
        """Replicas of a controller, webhook or gateway: 2 with HA, else 1."""
        return HA_REPLICAS if self.ha else 1

    def spread(self, match_labels: Mapping[str, str]) -> list[dict[str, Any]]:
        """Zone (then node) spread for pods with ``match_labels`` when HA is on; ``[]`` otherwise.

        ``ScheduleAnyway``: a zone short of capacity degrades the spread instead of blocking a rollout.
        """
        if not self.ha:
            return []
        return [
            {
                "maxSkew": 1,
                "topologyKey": key,
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": dict(match_labels)},
            }
            for key in (ZONE_KEY, HOSTNAME_KEY)
        ]


def load_yaml_data(path: Path) -> Any:
    """The value of the YAML data file ``path`` (a chart's default values, the platform's alert rules), parsed once
    per process with libyaml when PyYAML has it (``CSafeLoader``) and copied for each caller, who may change it.
    For files the project ships or pins, never a user's stack file (those go through
    ``components.plan.project``'s loader, which words every refusal); tests/platform/test_yaml_data.py checks that
    libyaml reads every such file to the value PyYAML's own loader gives."""
    return copy.deepcopy(_parsed_yaml(str(path)))


@functools.cache
def _parsed_yaml(path: str) -> Any:
    return yaml.load(Path(path).read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_json(relative: str) -> str:
    """A data file (dashboard JSON) as compact text, checked to be JSON."""
    text = (DATA_DIR / relative).read_text()
    return json.dumps(json.loads(text), separators=(",", ":"), sort_keys=False)


def drop_empty(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` without keys whose value is an empty dict (so charts keep their own defaults there)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            inner = drop_empty(value)
            if inner:
                out[key] = inner
            continue
        out[key] = value
    return out
