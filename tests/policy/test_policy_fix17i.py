"""issue #17, the tenth mutation round (rev17j, /work/wt/rev17j-report.md): the cluster-side slips no policy caught.

- j01: a GKE GPU pool with ``gpuDriverVersion`` ``INSTALLATION_DISABLED`` and no gpu-operator driver:
  ``gke-gpu-driver-installed`` (GKE's share of AKS's ``aks-gpu-driver-installed``).
- j02: GKE's webhook firewall opening the wrong ports: ``cluster-hardening`` (GKE share) holds every node pool to the
  ports of the webhooks the plan installs, from the policy's own table (policy/rules/webhooks.py).
- j05: an EKS VPC without DNS hostnames or resolution: ``cluster-hardening`` (AWS share).
- j07: Karpenter's launches from launch templates without the cluster-owned tag: ``aws-controller-grants-scoped``.
- j08: Karpenter's SSM reads beyond ``parameter/aws/service/*``: ``iam-least-privilege`` (AWS share).
- j09: a GPU NodePool whose capacity type is not its pool's declared one: ``karpenter-spot-interruptions``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from components.errors import SpecError
from policy.rules import Resource, StackSettings, run_rules
from support import mutated_resources, rules_named, rules_plan

GKE_POOL = "gcp:container/nodePool:NodePool"
FIREWALL = "gcp:compute/firewall:Firewall"
RELEASE = "kubernetes:helm.sh/v3:Release"
NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool"


def _failures(
    stack: str,
    rule: str,
    pick: Callable[[Resource], bool],
    change: Callable[[dict[str, Any]], None],
    outputs: Any = "fake",
    settings: Callable[[StackSettings], StackSettings] = lambda s: s,
) -> list[str]:
    resources, shipped = rules_plan(stack, outputs=outputs)
    mutated = mutated_resources(resources, pick, change, exactly=1)
    return [e["message"] for e in run_rules(mutated, settings(shipped), rules=rules_named(rule)) if not e["passed"]]


# ---------------------------------------------------------------------------------------------- j01: GKE GPU driver

DRIVER = "gke-gpu-driver-installed"


def _l4(r: Resource) -> bool:
    return r.type == GKE_POOL and r.name == "mlplatform-gpu-l4"


def _driver(version: Any) -> Callable[[dict[str, Any]], None]:
    def change(p: dict[str, Any]) -> None:
        for acc in p["nodeConfig"]["guestAccelerators"]:
            if version is None:
                acc.pop("gpuDriverInstallationConfig")
            else:
                acc["gpuDriverInstallationConfig"]["gpuDriverVersion"] = version

    return change


def _driver_line(version: str) -> str:
    return (
        f"GKE GPU NodePool mlplatform-gpu-l4 has gpuDriverVersion {version} and no gpu-operator release installs the "
        "driver: its nodes advertise no nvidia.com/gpu, GPU models stay Pending; use DEFAULT or LATEST"
    )


@pytest.mark.parametrize(
    ("version", "line"),
    [
        ("LATEST", None),  # gcp-prod as rendered (components/clusters/gke.py GPU_DRIVER_VERSION)
        ("DEFAULT", None),
        ("INSTALLATION_DISABLED", _driver_line("INSTALLATION_DISABLED")),  # rev17j j01
        ("GPU_DRIVER_VERSION_UNSPECIFIED", None),  # GKE's default driver from 1.30.1-gke.1156000
        (None, None),
    ],
    ids=["latest", "default", "disabled", "unspecified", "no-config"],
)
@pytest.mark.parametrize("outputs", ["fake", "unknown"])
def test_a_gke_gpu_pool_gets_gkes_driver(version: Any, line: str | None, outputs: str) -> None:
    assert _failures("gcp-prod", DRIVER, _l4, _driver(version), outputs) == ([] if line is None else [line])


def _with_operator(driver_enabled: Any) -> list[str]:
    """gcp-prod with its l4 pool's driver disabled and a gpu-operator release beside the device plugin."""
    resources, settings = rules_plan("gcp-prod")
    mutated = mutated_resources(resources, _l4, _driver("INSTALLATION_DISABLED"), exactly=1)
    plugin = next(r for r in mutated if r.type == RELEASE and r.props.get("chart") == "istiod")
    values: dict[str, Any] = {} if driver_enabled is None else {"driver": {"enabled": driver_enabled}}
    mutated.append(
        replace(
            plugin,
            name="mlplatform-gpu-operator",
            urn=plugin.urn.replace("istiod", "gpu-operator"),
            props={"chart": "gpu-operator", "name": "gpu-operator", "values": values},
        )
    )
    return [e["message"] for e in run_rules(mutated, settings, rules=rules_named(DRIVER)) if not e["passed"]]


@pytest.mark.parametrize(
    ("enabled", "ok"), [(True, True), (None, True), (False, False)], ids=["enabled", "chart-default", "disabled"]
)
def test_a_pool_without_gkes_driver_passes_when_the_gpu_operator_installs_one(enabled: Any, ok: bool) -> None:
    assert _with_operator(enabled) == ([] if ok else [_driver_line("INSTALLATION_DISABLED")])


# ---------------------------------------------------------------------------------------------- j02: webhook reach

HARDENING = "cluster-hardening"
CLOSED = (
    "GKE node pool {pool}: the control plane (172.16.0.32/28) cannot reach the webhooks {hooks}: no enabled INGRESS "
    "firewall from it opens those tcp ports to the pool's nodes (GKE's own rule opens only 443 and 10250)"
)
POOLS = ("mlplatform-system", "mlplatform-gpu-l4", "mlplatform-gpu-a100")
ISTIO_KSERVE_KNATIVE = (
    "istiod 15017, kserve 9443, knative-serving 8443, net-istio 8443, knative-operator 8443"
)  # fmt: skip


def _webhooks(r: Resource) -> bool:
    return r.type == FIREWALL and r.name == "mlplatform-webhooks"


def _closed(hooks: str) -> list[str]:
    return [CLOSED.format(pool=p, hooks=hooks) for p in POOLS]


def _beyond(what: str) -> str:
    """The control-plane firewall opening more than the webhooks' ports (tests/policy/test_policy_fix17r.py)."""
    return (
        f"firewall mlplatform-webhooks admits the GKE control plane (172.16.0.32/28) on {what}: beyond the admission "
        "webhooks' ports and GKE's own 443 and 10250; open only tcp 6443, 8443, 9443, 15017 (the webhooks GKE's rule "
        "does not reach)"
    )


@pytest.mark.parametrize(
    ("change", "lines"),
    [
        (lambda p: None, []),  # gcp-prod as rendered: 6443, 8443, 9443, 15017
        # rev17j j02: WEBHOOK_PORTS inverted, the rule opens only what GKE's rule already opens
        (lambda p: p["allows"][0].update(ports=["443", "10250"]), _closed(ISTIO_KSERVE_KNATIVE)),
        (lambda p: p["allows"][0].update(ports=["15017"]), _closed(
            "kserve 9443, knative-serving 8443, net-istio 8443, knative-operator 8443")),
        # a range holding them all, every tcp port: reached, but wider than the webhooks (fix17r, rev17l 12)
        (lambda p: p["allows"][0].update(ports=["8000-16000"]), [_beyond(
            "tcp 8000-8442, 8444-9442, 9444-10249, 10251-15016, 15018-16000")]),
        (lambda p: p["allows"][0].pop("ports"), [_beyond(
            "tcp 1-442, 444-6442, 6444-8442, 8444-9442, 9444-10249, 10251-15016, 15018-65535")]),
        (lambda p: p["allows"][0].update(protocol="udp"), [*_closed(ISTIO_KSERVE_KNATIVE), _beyond(
            "protocol udp (ports 6443, 8443, 9443, 15017)")]),
        (lambda p: p.update(disabled=True), _closed(ISTIO_KSERVE_KNATIVE)),
        (lambda p: p.update(direction="EGRESS"), _closed(ISTIO_KSERVE_KNATIVE)),
        (lambda p: p.update(targetServiceAccounts=["other@mlplatform-prod.iam.gserviceaccount.com"]),
         _closed(ISTIO_KSERVE_KNATIVE)),
        (lambda p: p.update(targetTags=["gke-node"]), _closed(ISTIO_KSERVE_KNATIVE)),  # our pools carry no tags
    ],
    ids=["rendered", "automatic-ports-only", "istiod-only", "range", "all-ports", "udp", "disabled", "egress",
         "other-account", "tags"],
)  # fmt: skip
def test_every_gke_pool_reaches_every_installed_webhook(
    change: Callable[[dict[str, Any]], None], lines: list[str]
) -> None:
    assert sorted(_failures("gcp-prod", HARDENING, _webhooks, change)) == sorted(lines)


def test_the_plain_plan_judges_the_webhook_ports_too() -> None:
    """In the plain plan the firewall's targets are known only after deploy: taken as covering, the ports are judged."""
    assert _failures("gcp-prod", HARDENING, _webhooks, lambda p: None, "unknown") == []
    wrong = _failures("gcp-prod", HARDENING, _webhooks, lambda p: p["allows"][0].update(ports=["443", "10250"]),
                      "unknown")  # fmt: skip
    assert sorted(wrong) == sorted(_closed(ISTIO_KSERVE_KNATIVE))


def test_only_the_webhooks_of_installed_charts_are_required() -> None:
    """KEDA's ports (9443 webhooks, 6443 metrics API) count only with a keda release; without kserve-resources 9443
    is KEDA's alone."""
    resources, settings = rules_plan("gcp-prod")
    no_kserve = [
        r for r in resources if not (r.type == RELEASE and str(r.props.get("chart")).endswith("/kserve-resources"))
    ]
    narrowed = mutated_resources(
        no_kserve, _webhooks, lambda p: p["allows"][0].update(ports=["8443", "15017"]), exactly=1
    )
    assert [e["message"] for e in run_rules(narrowed, settings, rules=rules_named(HARDENING)) if not e["passed"]] == []
    istiod = next(r for r in narrowed if r.type == RELEASE and r.props.get("chart") == "istiod")
    keda = replace(istiod, name="mlplatform-keda", urn=istiod.urn.replace("istiod", "keda"),
                   props={"chart": "keda", "name": "keda", "values": {}})  # fmt: skip
    failed = [e["message"] for e in run_rules([*narrowed, keda], settings, rules=rules_named(HARDENING))
              if not e["passed"]]  # fmt: skip
    assert sorted(failed) == sorted(_closed("keda-admission-webhooks 9443, keda-metrics-apiserver 6443"))


def test_the_policys_webhook_table_restates_the_components() -> None:
    """policy/rules/webhooks.py restates components/clusters/reachability.py's webhooks (names and ports), each cited
    at its chart's pin; this test is where the two meet, so a change to either one is seen."""
    from components.clusters import reachability
    from policy.rules import webhooks

    assert {(w.name, w.port) for w in webhooks.WEBHOOKS} == {(w.name, w.port) for w in reachability.WEBHOOKS}


# ---------------------------------------------------------------------------------------------- j05: EKS VPC DNS

VPC = "awsx:ec2:Vpc"


def _vpc(r: Resource) -> bool:
    return r.type == VPC


def _dns_line(key: str, shown: str) -> str:
    return (
        f"VPC mlplatform-vpc {key} is {shown}: EKS nodes can't register without DNS hostnames and DNS resolution "
        "in the VPC; set it true"
    )


@pytest.mark.parametrize(
    ("change", "lines"),
    [
        (lambda p: None, []),  # aws-dev as rendered: both true
        (lambda p: p.update(enableDnsHostnames=False), [_dns_line("enableDnsHostnames", "False")]),  # rev17j j05
        (lambda p: p.pop("enableDnsHostnames"), [_dns_line("enableDnsHostnames", "unset (false)")]),
        (lambda p: p.update(enableDnsSupport=False), [_dns_line("enableDnsSupport", "False")]),
        (lambda p: p.pop("enableDnsSupport"), []),  # unset is true (pulumi_aws, pulumi_awsx)
    ],
    ids=["rendered", "no-hostnames", "hostnames-unset", "no-support", "support-unset"],
)
@pytest.mark.parametrize("outputs", ["fake", "unknown"])
def test_the_eks_vpc_has_dns_hostnames_and_resolution(
    change: Callable[[dict[str, Any]], None], lines: list[str], outputs: str
) -> None:
    assert _failures("aws-dev", HARDENING, _vpc, change, outputs) == lines


# ---------------------------------------------------------------------------------------------- j07, j08: Karpenter IAM

SCOPED = "aws-controller-grants-scoped"
LEAST = "iam-least-privilege"


def _controller_policy(r: Resource) -> bool:
    return r.name == "mlplatform-karpenter-controller-policy"


def _statements(edit: Callable[[list[dict[str, Any]]], None]) -> Callable[[dict[str, Any]], None]:
    def change(p: dict[str, Any]) -> None:
        doc = json.loads(p["policy"])
        edit(doc["Statement"])
        p["policy"] = json.dumps(doc)

    return change


def _sid(sts: list[dict[str, Any]], sid: str) -> dict[str, Any]:
    return next(st for st in sts if st.get("Sid") == sid)


LT = "AllowScopedEC2LaunchTemplateAccessActions"
REFERENCE = "Karpenter's reference policy puts on them"
LT_LINE = (
    "mlplatform-karpenter-controller-policy: Statement[1] allows ec2:RunInstances, ec2:CreateFleet on launch templates "
    "without StringEquals aws:ResourceTag/kubernetes.io/cluster/<mlp-aws-dev>: owned: another cluster's launch "
    "templates (their user data joins their cluster) may be launched"
)


@pytest.mark.parametrize(
    ("edit", "ok"),
    [
        (lambda sts: None, True),  # aws-dev as rendered (Karpenter's v1.14 reference policy)
        (lambda sts: _sid(sts, LT)["Condition"].pop("StringEquals"), False),  # rev17j j07
        (lambda sts: _sid(sts, LT).pop("Condition"), False),
        (lambda sts: _sid(sts, LT)["Condition"].update(
            StringEquals={"aws:ResourceTag/kubernetes.io/cluster/mlp-other": "owned"}), False),
        (lambda sts: _sid(sts, LT)["Condition"].update(
            StringEquals={"aws:ResourceTag/kubernetes.io/cluster/mlp-aws-dev": "shared"}), False),
        (lambda sts: _sid(sts, LT)["Condition"].update(
            StringEquals={"aws:RequestTag/kubernetes.io/cluster/mlp-aws-dev": "owned"}), True),
        (lambda sts: _sid(sts, LT).update(Resource="arn:aws:ec2:us-east-1:*:subnet/*"), True),  # no template
    ],
    ids=["rendered", "no-owned", "no-condition", "other-cluster", "shared", "request-tag", "not-templates"],
)  # fmt: skip
def test_launches_from_launch_templates_stay_on_this_cluster(
    edit: Callable[[list[dict[str, Any]]], None], ok: bool
) -> None:
    failed = _failures("aws-dev", SCOPED, _controller_policy, _statements(edit))
    # fix17l: the comparison with Karpenter's reference policy (test_policy_fix17l.py) reports every edited statement
    # that lost a reference condition, the request-tag one included; here the launch-template check's own line
    assert [f for f in failed if REFERENCE not in f] == ([] if ok else [LT_LINE])


def test_a_wildcard_resource_reaches_launch_templates() -> None:
    def edit(sts: list[dict[str, Any]]) -> None:
        st = _sid(sts, LT)
        st["Resource"] = "*"
        st.pop("Condition")

    assert [f for f in _failures("aws-dev", SCOPED, _controller_policy, _statements(edit)) if REFERENCE not in f] == [
        LT_LINE
    ]


SSM = "AllowSSMReadActions"


def _ssm_line(resource: str, actions: str = "ssm:GetParameter") -> str:
    return (
        f"IAM policy mlplatform-karpenter-controller-policy: Statement[{{i}}] allows {actions} on {resource}: "
        "parameters beyond AWS's public parameter/aws/service/* (the AMI ids) are the account's own configuration and "
        "secrets"
    )


@pytest.mark.parametrize(
    ("resource", "action", "line"),
    [
        ("arn:aws:ssm:us-east-1::parameter/aws/service/*", "ssm:GetParameter", None),  # as rendered
        ("arn:aws:ssm:us-east-1::parameter/aws/service/eks/optimized-ami/*", "ssm:GetParameter", None),
        ("arn:aws:ssm:us-east-1::parameter/*", "ssm:GetParameter",
         _ssm_line("arn:aws:ssm:us-east-1::parameter/*")),  # rev17j j08
        ("*", "ssm:GetParameter", _ssm_line("*")),
        ("arn:aws:ssm:us-east-1::parameter/aws/*", "ssm:GetParameter",
         _ssm_line("arn:aws:ssm:us-east-1::parameter/aws/*")),
        ("arn:aws:ssm:us-east-1::parameter/*", "ssm:GetParam*",
         _ssm_line("arn:aws:ssm:us-east-1::parameter/*",
                   "ssm:GetParameter, ssm:GetParameters, ssm:GetParametersByPath")),
        ("arn:aws:ssm:us-east-1::parameter/*", "ssm:DescribeParameters", None),  # no value read
    ],
    ids=["rendered", "narrower", "any-parameter", "star", "aws-prefix", "action-wildcard", "describe"],
)  # fmt: skip
def test_ssm_reads_stay_on_aws_public_parameters(resource: str, action: str, line: str | None) -> None:
    """With the engine's fake outputs: in the plain plan the controller's policy document is known only after deploy
    (its ARNs name the account)."""
    outputs = "fake"

    def edit(sts: list[dict[str, Any]]) -> None:
        st = _sid(sts, SSM)
        st.update(Resource=resource, Action=action)

    resources, _ = rules_plan("aws-dev", outputs=outputs)
    doc = json.loads(next(r for r in resources if _controller_policy(r)).props["policy"])
    index = next(i for i, st in enumerate(doc["Statement"]) if st.get("Sid") == SSM)
    failed = _failures("aws-dev", LEAST, _controller_policy, _statements(edit), outputs)
    assert failed == ([] if line is None else [line.format(i=index)])


# ---------------------------------------------------------------------------------------------- j09: capacity type

SPOT = "karpenter-spot-interruptions"


def _capacity(values: list[str] | None) -> Callable[[dict[str, Any]], None]:
    def change(p: dict[str, Any]) -> None:
        reqs = p["spec"]["template"]["spec"]["requirements"]
        req = next(r for r in reqs if r["key"] == "karpenter.sh/capacity-type")
        if values is None:
            reqs.remove(req)
        else:
            req["values"] = values

    return change


def _declared(capacity: str | None) -> Callable[[StackSettings], StackSettings]:
    def settings(s: StackSettings) -> StackSettings:
        return replace(s, facts=replace(s.facts, gpu_capacity=None if capacity is None else (("l4", capacity),)))

    return settings


def _capacity_line(shown: str, declared: str) -> str:
    return (
        f"NodePool gpu-l4 asks karpenter.sh/capacity-type {shown} but its pool l4 declares {declared} "
        f"(gpuPools.l4.spot {declared == 'spot'}): render In [{declared}]"
    )


def _nodepool(r: Resource) -> bool:
    return r.type == NODEPOOL


@pytest.mark.parametrize(
    ("declared", "values", "line"),
    [
        ("spot", ["spot"], None),  # aws-dev as rendered (its l4 pool is spot)
        ("spot", ["on-demand"], _capacity_line("In ['on-demand']", "spot")),
        ("on-demand", ["on-demand"], None),
        ("on-demand", ["spot"], _capacity_line("In ['spot']", "on-demand")),  # rev17j j09
        ("on-demand", ["spot", "on-demand"], _capacity_line("In ['spot', 'on-demand']", "on-demand")),
        ("on-demand", None, _capacity_line("unset (any capacity type)", "on-demand")),
        (None, ["on-demand"], None),  # a plan saved before settings.gpuCapacity: not judged
    ],
    ids=["spot", "spot-rendered-on-demand", "on-demand", "on-demand-rendered-spot", "both", "unset", "not-known"],
)
def test_a_nodepool_asks_the_capacity_its_pool_declares(
    declared: str | None, values: list[str] | None, line: str | None
) -> None:
    failed = _failures("aws-dev", SPOT, _nodepool, _capacity(values), settings=_declared(declared))
    assert failed == ([] if line is None else [line])


def test_the_shipped_settings_declare_each_pools_capacity() -> None:
    """aws-dev's l4 pool sets spot: true; the settings carry it to the plan's JSON and back."""
    _, settings = rules_plan("aws-dev")
    assert settings.facts.gpu_capacity == (("l4", "spot"),)
    doc = settings.to_json()
    assert doc["gpuCapacity"] == [["l4", "spot"]]
    assert StackSettings.from_json(doc).facts.gpu_capacity == (("l4", "spot"),)
    assert StackSettings.from_json({k: v for k, v in doc.items() if k != "gpuCapacity"}).facts.gpu_capacity is None
    with pytest.raises(SpecError, match=r"settings\.gpuCapacity"):
        StackSettings.from_json({**doc, "gpuCapacity": [["l4", "preemptible"]]})
