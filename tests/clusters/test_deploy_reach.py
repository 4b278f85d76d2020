"""Reachability of the Kubernetes API from the machine that runs ``pulumi up`` (issue #11, defect 3).

``pulumi up`` creates the cluster and then, in the same run, every Helm release and custom resource through the API
endpoint. The deploy machine is outside the network the stack creates, so a private-only endpoint (what every cloud
stack rendered before) times out every Kubernetes call. The promise: a managed-cloud stack says where it deploys
from (``cluster.apiAccess.deployFrom``), the config refuses in one line a stack whose rendered endpoint would not
answer that machine, and what each cloud renders is the endpoint the check reasons about.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cluster_support import build, stack_plan

from components.clusters import rendered_endpoint
from components.clusters.spec import (
    ApiEndpoint,
    ClusterSpec,
    api_access_problem,
    api_endpoint,
    unreachable,
)
from components.errors import SpecError
from infra.config import load

ROOT = Path(__file__).resolve().parents[2]
FILE = "stacks/Pulumi.t.yaml"
CLUSTER_TYPES = {
    "aws": "eks:index:Cluster",
    "gcp": "gcp:container/cluster:Cluster",
    "azure": "azure-native:containerservice:ManagedCluster",
}
STACKS = {"aws": "aws-dev", "gcp": "gcp-prod", "azure": "azure-staging"}
OFFICE = "203.0.113.0/24"


def error(cfg: dict[str, Any]) -> str:
    raw = {f"mlplatform:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in cfg.items()}
    with pytest.raises(SpecError) as e:
        load(raw, frozenset(), FILE)
    return str(e.value)


def base(cloud: str, api_access: dict[str, Any] | None) -> dict[str, Any]:
    region = {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus"}[cloud]
    cluster: dict[str, Any] = {"gcp": {"project": "mlp-project"}} if cloud == "gcp" else {}
    if api_access is not None:
        cluster["apiAccess"] = api_access
    return {"cloud": cloud, "region": region, "cluster": cluster}


# ------------------------------------------------------------------------------------------------ the pure function


def test_a_private_only_endpoint_is_unreachable_from_outside() -> None:
    assert unreachable(ApiEndpoint(public=False, allowed=(), private=True), [OFFICE]) == (
        "the API endpoint is private, and the deploy machine is outside the network this stack creates"
    )


def test_the_deploy_machine_must_be_inside_the_allow_list() -> None:
    endpoint = ApiEndpoint(public=True, allowed=(OFFICE, "198.51.100.7/32"), private=True)
    assert unreachable(endpoint, ["203.0.113.9/32", "198.51.100.7/32"]) is None
    assert unreachable(endpoint, [OFFICE]) is None
    assert unreachable(endpoint, ["203.0.112.0/23"]) == (
        "203.0.112.0/23 is not inside the endpoint's allowed CIDRs (203.0.113.0/24, 198.51.100.7/32)"
    )
    assert unreachable(endpoint, ["2001:db8::/64"]) is not None  # IPv6 is never inside an IPv4 range
    assert unreachable(endpoint, []) == "the stack does not say where pulumi up runs from"


def test_an_endpoint_open_to_everyone_answers_any_machine() -> None:
    assert unreachable(ApiEndpoint(public=True, allowed=(), private=False), ["192.0.2.0/24"]) is None


def test_the_endpoint_model_follows_api_access() -> None:
    private = ClusterSpec.model_validate({})
    public = ClusterSpec.model_validate({"apiAccess": {"publicCidrs": [OFFICE]}})
    for cloud in ("aws", "gcp", "azure"):
        assert api_endpoint(cloud, private) == ApiEndpoint(public=False, allowed=(), private=True)
    assert api_endpoint("gcp", public) == ApiEndpoint(public=True, allowed=(OFFICE,), private=True)
    assert api_endpoint("azure", public) == ApiEndpoint(public=True, allowed=(OFFICE,), private=False)


# ------------------------------------------------------------------------------------------------ the config refuses


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_a_stack_that_does_not_say_where_it_deploys_from_is_refused(cloud: str) -> None:
    assert error(base(cloud, None)) == (
        f"{FILE}: mlplatform:cluster.apiAccess.deployFrom: not set is not allowed; give the public egress CIDRs of the "
        "machine that runs pulumi up (e.g. [203.0.113.0/24]) and allow them in cluster.apiAccess.publicCidrs: the "
        "same up creates Kubernetes resources through the API (docs/deploying.md)"
    )


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_a_private_only_endpoint_is_refused(cloud: str) -> None:
    assert error(base(cloud, {"deployFrom": [OFFICE]})) == (
        f"{FILE}: mlplatform:cluster.apiAccess.publicCidrs: [] (a private-only API endpoint) is not allowed; the API "
        "endpoint is private, and the deploy machine is outside the network this stack creates; list deployFrom's "
        "CIDRs here (docs/deploying.md)"
    )


def test_a_deploy_machine_outside_the_allow_list_is_refused() -> None:
    cfg = base("gcp", {"publicCidrs": ["198.51.100.0/24"], "deployFrom": ["198.51.100.0/24", OFFICE]})
    assert error(cfg) == (
        f"{FILE}: mlplatform:cluster.apiAccess.deployFrom: {OFFICE} is not allowed; {OFFICE} is not inside the "
        "endpoint's allowed CIDRs (198.51.100.0/24); add it to cluster.apiAccess.publicCidrs (docs/deploying.md)"
    )


def test_an_existing_cluster_needs_no_deploy_location() -> None:
    assert api_access_problem("aws", ClusterSpec.model_validate({})) is not None
    load({"mlplatform:cloud": "existing"}, frozenset(), FILE)  # no error: the kubeconfig says how to reach it


def test_deploy_from_takes_cidrs_only() -> None:
    assert error(base("aws", {"publicCidrs": [OFFICE], "deployFrom": ["my-laptop"]})) == (
        f"{FILE}: mlplatform:cluster.apiAccess.deployFrom: [my-laptop] is not allowed; 'my-laptop' is not a CIDR; "
        "give CIDRs such as 203.0.113.0/24"
    )


@pytest.mark.parametrize("key", ["publicCidrs", "deployFrom"])
@pytest.mark.parametrize(
    ("cidr", "why"),
    [
        ("192.168.10.0/24", "is not a public (globally routable) range"),
        ("10.0.0.0/8", "is not a public (globally routable) range"),
        ("100.64.0.0/10", "is not a public (globally routable) range"),
        ("127.0.0.1/32", "is not a public (globally routable) range"),
        ("2001:4860::/32", "is IPv6; give IPv4 CIDRs"),
    ],
)
def test_a_range_the_endpoint_never_sees_a_client_come_from_is_refused(key: str, cidr: str, why: str) -> None:
    """Review 6: an API allow-list sees the connection's public source address, so private, shared, loopback
    ranges never match (Python ipaddress is_global, IANA special-purpose registry); AKS takes IPv4 ranges only
    (Azure/azure-cli-extensions#675)."""
    access = {"publicCidrs": [OFFICE], "deployFrom": [OFFICE]}
    access[key] = [cidr]
    message = error(base("azure", access))
    assert message.startswith(f"{FILE}: mlplatform:cluster.apiAccess.{key}: ")
    assert f"'{cidr}' {why}" in message


def test_public_ranges_and_documentation_placeholders_are_accepted() -> None:
    spec = ClusterSpec.model_validate(
        {"apiAccess": {"publicCidrs": ["8.8.8.0/24", OFFICE], "deployFrom": ["8.8.8.8/32"]}}
    )
    assert api_access_problem("gcp", spec) is None


@pytest.mark.parametrize(("cloud", "cap"), [("gcp", 50), ("azure", 200)])
def test_more_allow_list_entries_than_the_cloud_takes_are_refused(cloud: str, cap: int) -> None:
    """Review 6: GKE takes up to 50 authorized networks (cloud.google.com GKE enterprise-multitenancy best practices),
    AKS up to 200 authorized IP ranges (MicrosoftDocs/azure-docs articles/aks/api-server-authorized-ip-ranges.md)."""
    cidrs = [f"8.{i // 256}.{i % 256}.0/24" for i in range(cap + 1)]
    over = {"publicCidrs": cidrs, "deployFrom": [cidrs[0]]}
    assert error(base(cloud, over)) == (
        f"{FILE}: mlplatform:cluster.apiAccess.publicCidrs: {cap + 1} CIDRs is not allowed; give at most {cap} on "
        f"{cloud} (the cloud's limit on API allow-list entries; docs/deploying.md)"
    )
    at_cap = ClusterSpec.model_validate({"apiAccess": {"publicCidrs": cidrs[:cap], "deployFrom": [cidrs[0]]}})
    assert api_access_problem(cloud, at_cap) is None


# ---------------------------------------------------------------------------------------------- what the clouds render


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
@pytest.mark.parametrize("access", [{}, {"publicCidrs": [OFFICE, "198.51.100.7/32"]}])
def test_each_cloud_renders_the_endpoint_the_check_reasons_about(cloud: str, access: dict[str, Any]) -> None:
    """The check runs on ``api_endpoint(spec)``; each cloud's rendered cluster must declare exactly that endpoint
    (read back with the cloud's defaults), or the check would prove something about a different cluster."""
    built = build(cloud, {"apiAccess": access}, outputs="unknown")
    reg = built.one(CLUSTER_TYPES[cloud])
    spec = ClusterSpec.model_validate({"apiAccess": access})
    assert rendered_endpoint(reg.type, reg.plain_inputs()) == api_endpoint(cloud, spec)


def test_rendered_endpoint_reads_each_clouds_defaults() -> None:
    """What a cloud does with a field left out: EKS is public to the world, GKE and AKS public and unrestricted."""
    assert rendered_endpoint("eks:index:Cluster", {}) == ApiEndpoint(public=True, allowed=(), private=False)
    gke = {"privateClusterConfig": {"enablePrivateNodes": True}}
    assert rendered_endpoint("gcp:container/cluster:Cluster", gke) == ApiEndpoint(True, (), True)
    assert rendered_endpoint("azure-native:containerservice:ManagedCluster", {}) == ApiEndpoint(True, (), False)
    assert rendered_endpoint("aws:s3/bucket:Bucket", {}) is None


# ------------------------------------------------------------------------------------------------ the shipped stacks


def deploy_from(stack: str) -> list[str]:
    conf = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return list(conf["mlplatform:cluster"].get("apiAccess", {}).get("deployFrom", []))


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_the_shipped_stacks_are_deployable_from_where_they_say(cloud: str) -> None:
    """Over the rendered plan of aws-dev, gcp-prod and azure-staging: the API endpoint the cluster declares answers
    the deploy machine the stack names (the documentation range 203.0.113.0/24, to be changed by the user)."""
    stack = STACKS[cloud]
    reg = stack_plan(stack).one(CLUSTER_TYPES[cloud])
    endpoint = rendered_endpoint(reg.type, reg.plain_inputs())
    assert endpoint is not None
    assert deploy_from(stack) == [OFFICE]
    assert unreachable(endpoint, deploy_from(stack)) is None
    assert endpoint.allowed == (OFFICE,)  # open to that range only, never to the world


@pytest.mark.parametrize("cloud", ["gcp", "azure"])
def test_the_kubeconfig_names_the_public_endpoint_the_deploy_machine_reaches(cloud: str) -> None:
    """Review 7: with a public endpoint and deployFrom inside it, the Kubernetes provider's kubeconfig server is the
    public endpoint: GKE's cluster ``endpoint`` (the external address when ``enablePrivateEndpoint`` is false, "Whether
    the master's internal IP address is used as the cluster endpoint", GKE API PrivateClusterConfig), AKS's ``fqdn``
    (not ``privateFQDN``, nor whatever server the listed credentials carry)."""
    built = build(cloud, {"apiAccess": {"publicCidrs": [OFFICE], "deployFrom": [OFFICE]}})
    cluster = built.one(CLUSTER_TYPES[cloud])
    kubeconfig = built.one("pulumi:providers:kubernetes").plain_inputs()["kubeconfig"]
    server = json.loads(kubeconfig)["clusters"][0]["cluster"]["server"]
    if cloud == "gcp":
        assert cluster.plain_inputs()["privateClusterConfig"]["enablePrivateEndpoint"] is False
        assert server == "https://203.0.113.10"  # the mocked cluster's ``endpoint`` output (components/plan/fakes.py)
    else:
        assert server == "https://mlp-test.hcp.eastus.azmk8s.io:443"
        assert "privatelink" not in server
