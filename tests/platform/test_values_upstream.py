"""Every Helm values key of every release of every stack exists in the chart's upstream defaults at that version.

Helm silently ignores a key the chart does not know; this walks every release that `mlplatform plan` records for
each stacks/Pulumi.*.yaml (and for configs that turn on what the stack files may not: prod HA, Standard mode, no
CNI, the GPU operator) and checks each key path against ../shared/upstream/chart-values/<chart>-<version>.yaml.
"""

from __future__ import annotations

from typing import Any

import pytest
from platform_support import VARIANTS, plan_platform, plan_stack_file, plan_variant, releases, stack_names

from components.plan.engine import PlanResult
from components.platform.values import RENDERED_WHOLE, chart_defaults, unknown_keys
from components.versions import CHARTS, CLUSTER_CHARTS
from support import upstream_dir

CHART_KEYS = {ref.chart: key for key, ref in (*CHARTS.items(), *CLUSTER_CHARTS.items())}
CRD_CHARTS = {ref.crd_chart for ref in (*CHARTS.values(), *CLUSTER_CHARTS.values()) if ref.crd_chart}
"""Charts that carry only another chart's CRDs (karpenter-crd): released without values."""

NOT_IN_SHARED_DATA: dict[str, frozenset[str]] = {
    "external-dns-1.21.1": frozenset(
        {
            "provider",
            "provider.name",
            "env",
            "extraArgs",
            "sources",
            "domainFilters",
            "txtOwnerId",
            "serviceAccount",
            "serviceAccount.annotations",
            "serviceAccount.labels",
            "podLabels",
            "nodeSelector",
            "extraVolumes",
            "extraVolumeMounts",
        }
    ),
    "vector-0.56.0": frozenset(
        {
            "role",
            "replicas",
            "customConfig",
            "serviceAccount",
            "serviceAccount.annotations",
            "commonLabels",
            "podLabels",
            "podSecurityContext",
            "securityContext",
            "resources",
            "nodeSelector",
            "podDisruptionBudget",
            "podDisruptionBudget.enabled",
            "podDisruptionBudget.minAvailable",
            "persistence",
            "persistence.enabled",
            "persistence.size",
        }
    ),
    "keda-2.20.2": frozenset(
        {
            "crds",
            "crds.install",
            "operator",
            "operator.replicaCount",
            "metricsServer",
            "metricsServer.replicaCount",
            "webhooks",
            "webhooks.replicaCount",
            "nodeSelector",
            "podDisruptionBudget",
            "podDisruptionBudget.operator",
            "podDisruptionBudget.operator.minAvailable",
            "podDisruptionBudget.metricServer",
            "podDisruptionBudget.metricServer.minAvailable",
            "podDisruptionBudget.webhooks",
            "podDisruptionBudget.webhooks.minAvailable",
            "topologySpreadConstraints",
            "topologySpreadConstraints.operator",
            "topologySpreadConstraints.metricsServer",
            "topologySpreadConstraints.webhooks",
            "podSecurityContext",
            "podSecurityContext.operator",
            "podSecurityContext.operator.runAsNonRoot",
            "podSecurityContext.operator.seccompProfile",
            "podSecurityContext.operator.seccompProfile.type",
            "podSecurityContext.metricServer",
            "podSecurityContext.metricServer.runAsNonRoot",
            "podSecurityContext.metricServer.seccompProfile",
            "podSecurityContext.metricServer.seccompProfile.type",
            "podSecurityContext.webhooks",
            "podSecurityContext.webhooks.runAsNonRoot",
            "podSecurityContext.webhooks.seccompProfile",
            "podSecurityContext.webhooks.seccompProfile.type",
            *(
                f"securityContext.{c}{leaf}"
                for c in ("operator", "metricServer", "webhooks")
                for leaf in (
                    "",
                    ".allowPrivilegeEscalation",
                    ".capabilities",
                    ".capabilities.drop",
                    ".readOnlyRootFilesystem",
                    ".runAsNonRoot",
                    ".seccompProfile",
                    ".seccompProfile.type",
                )
            ),
            "securityContext",
            "networkPolicy",
            "networkPolicy.enabled",
        }
    ),
}
"""Charts whose defaults ../shared/upstream/chart-values does not hold yet: the key paths the platform may set, each
read in the chart's values.yaml at that version (kubernetes-sigs/external-dns tag external-dns-helm-chart-1.21.1,
commit 9f26451346774099a8b3e3e5cc46a53bf2fd1461, charts/external-dns/values.yaml; vectordotdev/helm-charts tag
vector-0.56.0, commit 1e4a3ea09b1d3b7177fa9ca1145e31a336037e89, charts/vector/values.yaml: ``role``, ``replicas``,
``customConfig`` (the whole Vector config, free-form), ``serviceAccount.annotations``, ``commonLabels``, ``podLabels``,
``podSecurityContext``, ``securityContext``, ``resources``, ``nodeSelector``, ``podDisruptionBudget.enabled``/
``.minAvailable``, ``persistence.enabled``/``.size``; kedacore/charts tag v2.20.2,
commit cbb9bb8ce0809dc9048f72302f7c09765d66ed56, keda/values.yaml: each path below is a key there, or, below
``podSecurityContext.<c>``, ``securityContext.<c>`` (whose defaults list ``runAsNonRoot``, ``capabilities.drop``,
``allowPrivilegeEscalation``, ``readOnlyRootFilesystem``, ``seccompProfile.type``) and ``podDisruptionBudget.<c>``
(default ``{}``; the templates read ``.minAvailable``, keda/templates/manager/poddisruptionbudget.yaml), a field the
chart renders whole into the pod or PDB). Drop an entry once the shared data has the file."""


FREE_FORM = ("annotations", "labels", "podLabels", "commonLabels", "nodeSelector", "customConfig")
"""Values whose content is not the chart's keys: maps of labels, the program's own config (vector's
``customConfig``, rendered as Vector's configuration)."""
FREE_FORM_OF: dict[str, tuple[str, ...]] = {"vector-0.56.0": ("podSecurityContext", "securityContext", "resources")}
"""Per chart, values rendered whole as Kubernetes objects (vector's pod and container security contexts and
resources); keda's are checked key by key (:data:`NOT_IN_SHARED_DATA`)."""


def _hand_checked(
    values: dict[str, Any], known: frozenset[str], prefix: str = "", free: tuple[str, ...] = ()
) -> list[str]:
    problems: list[str] = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if path not in known:
            problems.append(path)
        elif isinstance(value, dict) and key not in FREE_FORM and path not in free:
            problems += _hand_checked(value, known, f"{path}.", free)
    return problems


def _check_all(result: PlanResult) -> list[str]:
    problems: list[str] = []
    folder = upstream_dir() / "chart-values"
    for name, rel in releases(result).items():
        if rel["chart"] in CRD_CHARTS:
            assert not rel["values"], f"release {name}: a CRD chart takes no values"
            continue
        key = CHART_KEYS.get(rel["chart"])
        assert key is not None, f"release {name}: chart {rel['chart']} is not one of components/versions.py"
        values: dict[str, Any] = rel["values"] or {}
        if key == "kserve-crd":
            assert values == {}, "kserve-crd has no values"
            continue
        path = folder / f"{key}-{rel['version']}.yaml"
        if not path.exists() and f"{key}-{rel['version']}" in NOT_IN_SHARED_DATA:
            known = NOT_IN_SHARED_DATA[f"{key}-{rel['version']}"]
            free = FREE_FORM_OF.get(f"{key}-{rel['version']}", ())
            problems += [f"{name} ({key}-{rel['version']}): {p}" for p in _hand_checked(values, known, free=free)]
            continue
        assert path.exists(), f"release {name}: no upstream defaults for {key} {rel['version']}: add {path.name}"
        defaults = chart_defaults(folder, key, rel["version"])
        whole = RENDERED_WHOLE.get(key, frozenset())
        problems += [f"{name} ({key}-{rel['version']}): {path}" for path in unknown_keys(values, defaults, whole=whole)]
    return problems


@pytest.mark.parametrize("stack", stack_names())
def test_every_stack_sets_only_known_keys(stack: str) -> None:
    result = plan_stack_file(stack)
    assert releases(result), f"{stack}: no Helm releases planned"
    assert _check_all(result) == []


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_sets_only_known_keys(variant: str) -> None:
    assert _check_all(plan_variant(variant)) == []


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_gpu_and_system_pool_values_are_known(environment: str) -> None:
    # The fake cluster has a system-pool label and a GPU pool: node selectors, affinities, device plugin, DCGM.
    assert _check_all(plan_platform(environment=environment)) == []
    assert _check_all(plan_platform({"gpuSupport": "gpu-operator"}, environment=environment)) == []


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_request_log_collector_values_are_known(environment: str) -> None:
    # The collector on a cloud store (the fake cluster answers like S3 with IRSA) and on a volume (the local stack).
    result = plan_platform({"requestLogs": {"retentionDays": 7}}, environment=environment)
    assert "vector" in releases(result)
    assert _check_all(result) == []
    from platform_support import LOCAL

    from support import plan_config

    local = plan_config({**LOCAL, "platform": {"domain": "models.example.com", "requestLogs": {}}})
    assert "vector" in releases(local)
    assert _check_all(local) == []


def test_an_override_without_upstream_defaults_is_reported() -> None:
    from platform_support import LOCAL

    from support import plan_config

    cfg = {**LOCAL, "platform": {"domain": "models.example.com", "versions": {"kube-prometheus-stack": "88.4.0"}}}
    with pytest.raises(AssertionError, match=r"no upstream defaults for kube-prometheus-stack 88\.4\.0"):
        _check_all(plan_config(cfg))


def test_the_walker_catches_a_typo_and_allows_free_maps() -> None:
    defaults = {"a": {"b": 1, "free": {}}, "lst": [1], "nothing": None}
    assert unknown_keys({"a": {"b": 2, "free": {"x": {"y": 1}}}, "lst": [2, 3], "nothing": {"k": 1}}, defaults) == []
    assert unknown_keys({"a": {"bb": 2}, "c": 1}, defaults) == ["a.bb", "c"]


def test_free_form_string_maps_take_any_key_but_nothing_else() -> None:
    defaults = {"nodeSelector": {"kubernetes.io/os": "linux"}}
    assert unknown_keys({"nodeSelector": {"mlplatform.io/pool": "system"}}, defaults) == []
    assert unknown_keys({"nodeSelector": {"x": {"nested": "map"}}}, defaults) == ["nodeSelector.x"]


def test_istio_defaults_are_read_under_their_wrapper() -> None:
    defaults = chart_defaults(upstream_dir() / "chart-values", "istiod", CHARTS["istiod"].version)
    assert "replicaCount" in defaults and "_internal_defaults_do_not_set" not in defaults


ZONE_AND_ALERTS: dict[str, Any] = {
    "domain": "models.example.com",
    "dns": {"zone": "example.com", "id": "Z123"},
    "tls": {"issuer": "acme", "acmeEmail": "ops@mycorp.io"},
    "monitoring": {
        "alerting": {
            "email": {"to": "ops@example.com", "from": "am@example.com", "smarthost": "smtp.example.com:587"},
            "slack": {"apiUrlKey": "slackUrl"},
        }
    },
}


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_zone_alerting_and_gke_gpu_values_are_known(environment: str) -> None:
    # cert-manager's identity, external-dns, the gateway's hostname annotation, Alertmanager's receiver, and the
    # DCGM exporter's driver mount: every key exists upstream (or in the hand-checked list above).
    result = plan_platform(
        ZONE_AND_ALERTS,
        environment=environment,
        cluster={"driver_root": "/home/kubernetes/bin/nvidia", "critical_priority_needs_quota": True},
        secrets={"slackUrl": "https://hooks.slack.com/x"},
    )
    assert "external-dns" in releases(result)
    assert _check_all(result) == []


def test_a_key_external_dns_does_not_know_is_caught() -> None:
    known = NOT_IN_SHARED_DATA["external-dns-1.21.1"]
    assert _hand_checked({"provider": {"name": "aws"}, "domainFilter": ["x"]}, known) == ["domainFilter"]
