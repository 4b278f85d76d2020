"""Slips in the policy code itself that the fifth hostile review of #17 made (/work/wt/rev17e-report.md r02, r03, r05,
r07, r09, r10) and no test caught: each rule (or the request-path model under it) at the boundary the slip moves,
over a shipped stack's plan mutated the way a platform slip would render, plain (values known after deploy unknown)
and with ``--placeholders`` where the document is there in both."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from test_policy_mutated_plans import entries, failed, mutate, shipped
from test_policy_rev17d_aws import CA_POLICY, KARPENTER_POLICY, _caught, _condition, _statement

from components.serving import requestpath as rp
from components.serving import timeouts
from policy.rules import Resource, StackSettings

OUTPUTS = ("unknown", "fake")


def _messages(resources: list[Resource] | tuple[Resource, ...], settings: StackSettings, rule: str) -> list[str]:
    """The rule's failure messages (advisory rules included, unlike ``failed``)."""
    return [e["message"] for e in entries(resources, settings)[rule] if not e["passed"]]


# ------------------------------------------------------------------------------------------------ r02 from is ORed

# Istio AuthorizationPolicy (istio.io/latest/docs/reference/config/security/authorization-policy/#Rule, Istio 1.30;
# istio/api security/v1beta1/authorization.proto ``Rule``): "A match occurs when at least one source, one operation
# and all conditions matches the request."

TWO_FROMS = {
    "from": [
        {"source": {"namespaces": ["other"]}},
        {"source": {"principals": ["cluster.local/ns/apps/sa/client"]}},
    ],
    "to": [{"operation": {"ports": ["8012"]}}],
}
REQUEST = rp.Request(host="m.models.svc.cluster.local", port=8012)


@pytest.mark.parametrize(
    ("peer", "matches"),
    [
        (rp.pod("apps", "client"), True),  # the second source only
        (rp.pod("other", "x"), True),  # the first source only
        (rp.pod("apps", "default"), False),  # neither
        (rp.PLAINTEXT, False),
    ],
    ids=["second-source", "first-source", "neither", "plaintext"],
)
def test_r02_a_rule_matches_when_one_of_its_sources_does(peer: rp.Peer, matches: bool) -> None:
    assert rp.rule_matches(TWO_FROMS, peer, REQUEST, None) is matches


def test_r02_a_policy_allowing_by_either_of_two_sources_admits_each() -> None:
    policy = {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "p", "namespace": "models"},
        "spec": {"selector": {"matchLabels": {"app": "m"}}, "action": "ALLOW", "rules": [TWO_FROMS]},
    }
    workload = rp.Workload("models", {"app": "m"}, "m")
    assert rp.decide([policy], workload, rp.pod("apps", "client"), REQUEST).allowed
    assert not rp.decide([policy], workload, rp.pod("apps", "default"), REQUEST).allowed


@pytest.mark.parametrize("outputs", OUTPUTS)
def test_r02_a_second_source_admitting_the_gateway_opens_a_jwt_model_to_token_less_callers(outputs: str) -> None:
    """aws-dev's resnet50 is public with JWT: its ALLOW rule for the inference API requires a request principal. A
    second ``from`` source naming the gateway's namespace admits every request the gateway forwards, token or not
    (the gateway calls the model as its own mTLS identity, namespace istio-system): the request-path model must see
    it, so the rules built on it fail."""

    def change(props: dict[str, Any]) -> None:
        rule = props["spec"]["rules"][0]
        assert rule["from"] == [{"source": {"requestPrincipals": ["*"]}}], rule
        rule["from"].append({"source": {"namespaces": [rp.GATEWAY_NAMESPACE]}})

    resources, settings = shipped("aws-dev", outputs)
    assert not _messages(resources, settings, "model-endpoint-auth")
    mutated = mutate(
        resources, lambda r: r.type.endswith(":AuthorizationPolicy") and r.name == "resnet50-authz", change
    )
    found = failed(mutated, settings, "aws-dev")
    assert "model-endpoint-auth" in found, found
    assert any("resnet50" in m for m in found["model-endpoint-auth"]), found


# ------------------------------------------------------------------------------------------------ r03 progress deadline

ISVC_TYPE = ":InferenceService"
KNATIVE_SERVING = "kubernetes:operator.knative.dev/v1beta1:KnativeServing"
RULE = "timeouts-cover-cold-start"


def _without_annotation(name: str) -> Callable[[Resource], bool]:
    return lambda r: r.type.endswith(ISVC_TYPE) and r.props["metadata"]["name"] == name


def _drop_deadline(props: dict[str, Any]) -> None:
    del props["metadata"]["annotations"]["serving.knative.dev/progress-deadline"]


def _platform_deadline(value: str | None) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        deployment = props["spec"]["config"]["deployment"]
        if value is None:
            del deployment["progress-deadline"]
        else:
            deployment["progress-deadline"] = value

    return change


def _gcp_prod(model: str, platform: str | bool | None) -> list[str]:
    """gcp-prod's plan with ``model``'s progress-deadline annotation removed and the KnativeServing's
    ``config.deployment.progress-deadline`` set to ``platform`` (None: removed; False: as rendered): the rule's
    messages."""
    resources, settings = shipped("gcp-prod", "fake")
    assert not _messages(resources, settings, RULE)
    mutated = mutate(resources, _without_annotation(model), _drop_deadline, exactly=1)
    if platform is not False:
        assert platform is None or isinstance(platform, str)
        mutated = mutate(mutated, lambda r: r.type == KNATIVE_SERVING, _platform_deadline(platform), exactly=1)
    return _messages(mutated, settings, RULE)


def test_r03_the_rendered_cold_starts_are_as_the_boundaries_assume() -> None:
    resources, _ = shipped("gcp-prod", "fake")
    isvc = next(r for r in resources if _without_annotation("resnet-triton")(r))
    assert isvc.props["metadata"]["annotations"]["mlplatform.io/cold-start-seconds"] == "1206"
    serving = next(r for r in resources if r.type == KNATIVE_SERVING)
    assert serving.props["spec"]["config"]["deployment"]["progress-deadline"] == "1800s"


def test_r03_no_annotation_and_no_platform_value_is_knatives_600s_default() -> None:
    (msg,) = _gcp_prod("resnet-triton", None)
    assert "progress deadline 600s" in msg and "Knative's default" in msg and "cold start 1206s" in msg


@pytest.mark.parametrize("value", ["900s", "15m", "1200s"])
def test_r03_no_annotation_and_a_platform_value_below_the_cold_start_fails(value: str) -> None:
    (msg,) = _gcp_prod("resnet-triton", value)
    assert f"config.deployment.progress-deadline {value!r}" in msg and "cold start 1206s" in msg


@pytest.mark.parametrize("value", [False, "1206s", "30m", "1h"], ids=["as-rendered-1800s", "1206s", "30m", "1h"])
def test_r03_no_annotation_passes_with_the_platforms_value(value: str | bool) -> None:
    assert _gcp_prod("resnet-triton", value) == []


def test_r03_without_the_annotation_pulumis_wait_still_covers_the_cold_start() -> None:
    resources, settings = shipped("gcp-prod", "fake")

    def short_wait(props: dict[str, Any]) -> None:
        _drop_deadline(props)
        props["metadata"]["annotations"]["pulumi.com/timeoutSeconds"] = "1000"

    (msg,) = _messages(mutate(resources, _without_annotation("resnet-triton"), short_wait), settings, RULE)
    assert msg == "models/resnet-triton: pulumi timeoutSeconds 1000s < cold start 1206s"


@pytest.mark.parametrize("value", ["1800", "", "-30m", "0s", "soon"])
def test_r03_a_platform_value_knative_cannot_read_fails(value: str) -> None:
    # Knative reads it with time.ParseDuration and refuses a non-positive one (pkg/deployment/config.go, 1.21.3)
    (msg,) = _gcp_prod("resnet-triton", value)
    assert "unreadable" in msg


def test_r03_a_cpu_model_is_covered_by_knatives_default() -> None:
    # the CPU budget is Knative's own default (components/serving/_runtime.py CPU_READY_SECONDS 600)
    assert _gcp_prod("sklearn-iris", None) == []


def test_r03_the_annotation_wins_over_the_platform_value() -> None:
    resources, settings = shipped("gcp-prod", "fake")

    def short(props: dict[str, Any]) -> None:
        props["metadata"]["annotations"]["serving.knative.dev/progress-deadline"] = "900s"

    mutated = mutate(resources, _without_annotation("resnet-triton"), short, exactly=1)
    (msg,) = _messages(mutated, settings, RULE)
    assert msg == "models/resnet-triton: progress deadline 900s < cold start 1206s"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("1800s", 1800), ("30m", 1800), ("1h30m", 5400), ("1.5h", 5400), ("90s", 90), ("0s", None), ("1800", None)],
)
def test_r03_go_durations(value: str, seconds: int | None) -> None:
    assert timeouts.go_duration_seconds(value) == seconds


# ------------------------------------------------------------------------------------------------ r05 admin port


def _model_policy(name: str) -> Callable[[Resource], bool]:
    return lambda r: r.type.endswith(":NetworkPolicy") and r.name == f"{name}-netpol"


def _admin_from(peer: Callable[[str], dict[str, Any]]) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        own = props["spec"]["podSelector"]["matchLabels"]["serving.kserve.io/inferenceservice"]
        rule = next(r for r in props["spec"]["ingress"] if any(p.get("port") == 8022 for p in r.get("ports", [])))
        rule["from"] = [peer(own)]

    return change


def _other_namespace(own: str) -> dict[str, Any]:
    return {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "other"}},
        "podSelector": {"matchLabels": {"serving.kserve.io/inferenceservice": own}},
    }


def _every_namespace(own: str) -> dict[str, Any]:
    return {"namespaceSelector": {}, "podSelector": {"matchLabels": {"serving.kserve.io/inferenceservice": own}}}


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize("peer", [_other_namespace, _every_namespace], ids=["other-namespace", "every-namespace"])
def test_r05_the_models_pod_selector_in_another_namespace_fails(
    outputs: str, peer: Callable[[str], dict[str, Any]]
) -> None:
    """A peer with both selectors selects the pods its podSelector matches in the namespaces its namespaceSelector
    matches (kubernetes.io/docs/concepts/services-networking/network-policies/, "namespaceSelector and
    podSelector"): pods labelled like the model in another namespace reach /wait-for-drain on 8022."""
    resources, settings = shipped("aws-dev", outputs)
    assert not _messages(resources, settings, "queue-proxy-admin-port")
    found = failed(mutate(resources, _model_policy("resnet50"), _admin_from(peer)), settings, "aws-dev")
    assert any("queue-proxy admin port 8022" in m for m in found.get("queue-proxy-admin-port", [])), found


def test_r05_the_models_own_pods_pass() -> None:
    resources, settings = shipped("aws-dev", "fake")
    own = _admin_from(lambda own: {"podSelector": {"matchLabels": {"serving.kserve.io/inferenceservice": own}}})
    assert not _messages(mutate(resources, _model_policy("resnet50"), own), settings, "queue-proxy-admin-port")


# ------------------------------------------------------------------------------------------------ r07 owned only

# IAM: "If a single condition operator includes multiple values for a context key, those values are evaluated using
# a logical OR" (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html), so
# [owned, shared] lets the controller act on resources tagged shared: other clusters' (kubernetes.io/cluster/<name>
# shared is the value a resource several clusters use carries).


@pytest.mark.parametrize(
    "values", [["owned", "shared"], ["shared", "owned"], ["owned", "owned ", "shared"]], ids=["os", "so", "oos"]
)
def test_r07_karpenter_deletion_for_owned_or_shared_fails(values: list[str]) -> None:
    fn = _condition("StringEquals", "aws:ResourceTag/kubernetes.io/cluster/mlp-aws-dev", values)
    found = _caught(
        "aws-dev", "fake", "aws-controller-grants-scoped", KARPENTER_POLICY, _statement("ec2:TerminateInstances", fn)
    )
    # fix17l: the comparison with Karpenter's reference policy reports the statement too (test_policy_fix17l.py)
    (msg,) = [m for m in found if "Karpenter's reference policy puts on them" not in m]
    assert len(found) == 2
    assert "ec2:TerminateInstances" in msg and "owned" in msg


def test_r07_autoscaler_scaling_for_owned_or_shared_fails() -> None:
    fn = _condition("StringEquals", "aws:ResourceTag/k8s.io/cluster-autoscaler/mlp-cover-ng", ["owned", "shared"])
    (msg,) = _caught(
        "cover-aws-node-groups",
        "fake",
        "aws-controller-grants-scoped",
        CA_POLICY,
        _statement("autoscaling:SetDesiredCapacity", fn),
    )
    assert "autoscaling:SetDesiredCapacity" in msg


def test_r07_owned_as_a_one_value_list_passes() -> None:
    from policy.clouds import aws as aws_scoped

    doc = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "ec2:TerminateInstances",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/kubernetes.io/cluster/c": ["owned"]}},
            }
        ]
    }
    assert aws_scoped.controller_problems(doc, {"c"}) == []
    doc["Statement"][0]["Condition"]["StringEquals"]["aws:ResourceTag/kubernetes.io/cluster/c"] = ["owned", "shared"]
    assert aws_scoped.controller_problems(doc, {"c"})


# ------------------------------------------------------------------------------------------------ r09 GCS public

# cloud.google.com/iam/docs/principals-overview: allUsers is anyone on the internet; allAuthenticatedUsers is every
# Google account and service account, of any organisation: a grant to either makes the bucket's objects public.

GCS_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
GCS_BINDING = "gcp:storage/bucketIAMBinding:BucketIAMBinding"


def _model_bucket_grant(r: Resource) -> bool:
    return r.type == GCS_MEMBER and r.name == "resnet-triton-storage-read"


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize("member", ["allAuthenticatedUsers", "allUsers"])
def test_r09_a_bucket_member_for_every_google_account_fails(outputs: str, member: str) -> None:
    resources, settings = shipped("gcp-prod", outputs)
    assert not _messages(resources, settings, "storage-read-least-privilege")

    def change(props: dict[str, Any]) -> None:
        props["member"] = member

    found = failed(mutate(resources, _model_bucket_grant, change, exactly=1), settings, "gcp-prod")
    assert any(f"to {member}" in m for m in found.get("storage-read-least-privilege", [])), found


@pytest.mark.parametrize("member", ["allAuthenticatedUsers", "allUsers"])
def test_r09_a_bucket_binding_for_every_google_account_fails(member: str) -> None:
    resources, settings = shipped("gcp-prod", "fake")
    out = []
    for r in resources:
        if _model_bucket_grant(r):
            props = {k: v for k, v in r.props.items() if k != "member"}
            r = replace(r, type=GCS_BINDING, props={**props, "members": [r.props["member"], member]})
        out.append(r)
    found = _messages(out, settings, "storage-read-least-privilege")
    assert any(f"to {member}" in m for m in found), found


# ------------------------------------------------------------------------------------------------ r10 AKS policy


def _aks(r: Resource) -> bool:
    return r.type == "azure-native:containerservice:ManagedCluster"


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize("value", [None, "", "none", 0], ids=["unset", "empty", "none", "not-a-string"])
def test_r10_an_aks_cluster_without_a_network_policy_engine_fails(outputs: str, value: str | int | None) -> None:
    """policy/clouds/azure.py ``_network_policy``, AKS's share of the mandatory ``cluster-network-policy`` (the
    review named it network-policy-enforced, the advisory rule for existing clusters): ``networkProfile.networkPolicy``
    unset is ``none`` ("the default value when NetworkPolicy is not specified", pulumi_azure_native 3.29
    containerservice/_enums.py ``NetworkPolicy``): no policy engine, so the NetworkPolicies have no effect."""
    resources, settings = shipped("azure-staging", outputs)
    assert not _messages(resources, settings, "cluster-network-policy")

    def change(props: dict[str, Any]) -> None:
        if value is None:
            del props["networkProfile"]["networkPolicy"]
        else:
            props["networkProfile"]["networkPolicy"] = value

    found = failed(mutate(resources, _aks, change, exactly=1), settings, "azure-staging")
    assert list(found) == ["cluster-network-policy"], found
    (msg,) = found["cluster-network-policy"]
    assert "networkProfile.networkPolicy is" in msg


def test_r10_cilium_and_azure_pass() -> None:
    resources, settings = shipped("azure-staging", "fake")

    def azure(props: dict[str, Any]) -> None:
        props["networkProfile"]["networkPolicy"] = "azure"
        del props["networkProfile"]["networkDataplane"]

    assert not _messages(mutate(resources, _aks, azure, exactly=1), settings, "cluster-network-policy")


# ------------------------------------------------------------------------------------------------ c16 fail closed

# #17 leftover (rev17d c16): the webhook firewall rule of cluster-hardening (policy/clouds/gcp.py
# ``_webhook_firewalls``) skipped the plan when the GKE cluster gave no masterIpv4CidrBlock, so a firewall open to
# 0.0.0.0/0 passed with it. Without a control-plane range, every source is beyond it.

GKE_CLUSTER = "gcp:container/cluster:Cluster"


def _master(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        if value is None:
            del props["privateClusterConfig"]["masterIpv4CidrBlock"]
        else:
            props["privateClusterConfig"]["masterIpv4CidrBlock"] = value

    return change


@pytest.mark.parametrize("outputs", OUTPUTS)
@pytest.mark.parametrize("value", [None, "", "not-a-cidr"], ids=["absent", "empty", "not-a-cidr"])
def test_c16_a_webhook_firewall_without_a_control_plane_range_fails(outputs: str, value: str | None) -> None:
    resources, settings = shipped("gcp-prod", outputs)
    assert not _messages(resources, settings, "cluster-hardening")
    mutated = mutate(resources, lambda r: r.type == GKE_CLUSTER, _master(value), exactly=1)
    found = [m for m in _messages(mutated, settings, "cluster-hardening") if "webhook ports" in m]
    assert found and "none: no masterIpv4CidrBlock" in found[0], found


def test_c16_a_master_range_known_after_deploy_is_named_not_passed() -> None:
    from policy.rules.base import UNKNOWN

    resources, settings = shipped("gcp-prod", "unknown")
    mutated = mutate(resources, lambda r: r.type == GKE_CLUSTER, _master(UNKNOWN), exactly=1)
    got = entries(mutated, settings)["cluster-hardening"]
    assert any("masterIpv4CidrBlock" in str(e.get("unchecked", "")) for e in got), got
