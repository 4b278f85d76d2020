"""Azure storage grants beyond read, federated credentials tied to the AKS cluster's own issuer, and each model's
ServiceAccount tied to the identity bound for it (issue #17, the review's gaps 1-3).

Boundary cases run through the pure rules and through the CrossGuard pack (the same verdicts; a stack policy's
resources carry their dependencies the way pulumi-policy hands them over), then the shipped stacks' plans, rendered
with the engine's fake outputs, mutated the way each check guards against.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy

from components.plan.engine import run_program
from components.plan.project import find_project, read_stack_file
from policy.pack import build_policies, pack_config
from policy.rules import ALL_RULES, UNKNOWN, Resource, StackSettings, resources_from_plan
from support import ROOT, rule_entries, rules_plan, shared_cache

STORAGE, BINDING = "storage-read-least-privilege", "workload-identity-binding"
RA = "azure-native:authorization:RoleAssignment"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"
AKS = "azure-native:containerservice:ManagedCluster"
SA = "kubernetes:core/v1:ServiceAccount"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
SUB = "/subscriptions/s"
ACCOUNT = f"{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct"
CONTAINER = f"{ACCOUNT}/blobServices/default/containers/models"
# role definition ids: MicrosoftDocs/azure-docs articles/role-based-access-control/built-in-roles/privileged.md and
# the storage page of the same folder; Reader: general.md
READER_BLOB, CONTRIB_BLOB = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
OWNER, CONTRIBUTOR = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "b24988ac-6180-42a0-ab88-20f7382dd24c"
UAA, READER = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "acdd72a7-3385-48ef-bd42-f606fba81ae7"
QUEUE_CONTRIB = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"
"""Storage Queue Data Contributor: a storage role the rule does not list by name (it is not Blob Data Reader)."""
ISSUER = "https://eastus.oic.prod-aks.azure.com/t/c/"


def _role(role: str, scope: Any) -> Resource:
    rid = role if role is UNKNOWN else f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}"
    return Resource(RA, "grant", "urn:grant", {"roleDefinitionId": rid, "scope": scope})


def _messages(rule: str, resources: list[Resource]) -> list[str]:
    found = next(r for r in ALL_RULES if r.name == rule).run(resources, StackSettings().facts)
    return [f.message for f in found]


def _opts() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def _crossguard(rule: str, resources: list[Resource]) -> list[str]:
    """The same resources through the pack: per-resource policies see each one's props, stack policies get
    PolicyResources whose ``dependencies`` name what each waits on (as pulumi-policy fills them)."""
    policy = next(p for p in build_policies() if p.name == rule)
    config = pack_config(StackSettings())[rule]
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    if isinstance(policy, ResourceValidationPolicy):
        for r in resources:
            args = ResourceValidationArgs(r.type, unknown_checking_proxy(r.props), r.urn, r.name, _opts(), None, config)
            policy.validate(args, report)
        return found
    by_urn = {
        r.urn: PolicyResource(r.type, unknown_checking_proxy(r.props), r.urn, r.name, _opts(), None, None, [], {})
        for r in resources
    }
    for r in resources:
        by_urn[r.urn].dependencies.extend(by_urn[d] for d in r.depends_on if d in by_urn)
    policy.validate(StackValidationArgs(list(by_urn.values()), config), report)
    return found


def _check(rule: str, resources: list[Resource], fragment: str | None) -> None:
    pure = _messages(rule, resources)
    assert _crossguard(rule, resources) == pure
    if fragment is None:
        assert pure == []
    else:
        assert any(fragment in m for m in pure), pure


# ------------------------------------------------------------------------------------------------ Azure storage roles


@pytest.mark.parametrize(
    ("role", "scope", "fragment"),
    [
        (READER_BLOB, CONTAINER, None),
        (READER_BLOB, ACCOUNT, "scope it to one blob container"),
        (CONTRIB_BLOB, CONTAINER, "Storage Blob Data Contributor"),
        # the boundary of "a role that reaches blobs": Owner on the cluster does not, on the resource group it does
        (OWNER, f"{SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks", None),
        (OWNER, f"{SUB}/resourceGroups/rg", "grants Owner"),
        (CONTRIBUTOR, SUB, "grants Contributor"),
        (CONTRIBUTOR, CONTAINER, "grants Contributor"),
        (UAA, ACCOUNT, "grants User Access Administrator"),
        (OWNER, "/providers/Microsoft.Management/managementGroups/mg", "grants Owner"),
        # a role the rule names nowhere, but on a storage scope: only Blob Data Reader is accepted there
        (QUEUE_CONTRIB, CONTAINER, f"grants role {QUEUE_CONTRIB} on storage"),
        (READER, ACCOUNT, f"grants role {READER} on storage"),
        # Reader on a resource group (the DNS grant's second role) reads no data
        (READER, f"{SUB}/resourceGroups/rg", None),
    ],
)
def test_azure_role_assignment_bounds(role: str, scope: str, fragment: str | None) -> None:
    _check(STORAGE, [_role(role, scope)], fragment)


def test_azure_role_unknown_is_said_not_passed() -> None:
    rule = next(r for r in ALL_RULES if r.name == STORAGE)
    assert "role of grant" in rule.unchecked([_role(UNKNOWN, CONTAINER)])  # type: ignore[arg-type]
    assert "scope of grant" in rule.unchecked([_role(OWNER, UNKNOWN)])


# ------------------------------------------------------------------------------------------------ issuer


def _aks(issuer: str | None = None) -> Resource:
    profile: dict[str, Any] = {"enabled": True, **({"issuerURL": issuer} if issuer else {})}
    return Resource(AKS, "aks", "urn:aks", {"oidcIssuerProfile": profile})


def _fic(issuer: Any, depends: tuple[str, ...] = ("urn:aks",)) -> Resource:
    props = {
        "issuer": issuer,
        "subject": "system:serviceaccount:models:m-sa",
        "audiences": ["api://AzureADTokenExchange"],
    }
    return Resource(FIC, "fic", "urn:fic", props, depends_on=depends)


@pytest.mark.parametrize(
    ("resources", "fragment"),
    [
        # a plan: the cluster's issuer is an output, so the credential must be taken from the cluster
        ([_aks(), _fic(ISSUER)], None),
        ([_aks(), _fic(ISSUER, depends=())], "not taken from the AKS cluster"),
        ([_aks(), _fic(ISSUER, depends=("urn:other",))], "not taken from the AKS cluster"),
        # CrossGuard's stack view: the cluster's issuer is known, so the credential's must equal it exactly
        ([_aks(ISSUER), _fic(ISSUER)], None),
        ([_aks(ISSUER), _fic(ISSUER.rstrip("/"))], "not the cluster's OIDC issuer"),
        ([_aks(ISSUER), _fic("https://kubernetes-oauth.azure.com/")], "not the cluster's OIDC issuer"),
        ([_fic(ISSUER, depends=())], "this stack has no AKS cluster"),
    ],
)
def test_federated_issuer_is_the_clusters(resources: list[Resource], fragment: str | None) -> None:
    _check(BINDING, resources, fragment)


def test_unknown_issuer_is_said_not_passed() -> None:
    rule = next(r for r in ALL_RULES if r.name == BINDING)
    assert _messages(BINDING, [_aks(), _fic(None)]) == []
    assert "issuer of fic" in rule.unchecked([_aks(), _fic(None)])
    assert "issuer of fic" in rule.unchecked([_aks(), _fic(UNKNOWN)])


# ---------------------------------------------------------------------------------------------- model ServiceAccount


def _sa(name: str, ns: str = "models", key: str | None = "azure.workload.identity/client-id") -> Resource:
    meta: dict[str, Any] = {"name": name, "namespace": ns, **({"annotations": {key: "x"}} if key else {})}
    return Resource(SA, name, f"urn:sa:{ns}:{name}", {"metadata": meta, "automountServiceAccountToken": False})


def _isvc(sa: str, name: str = "m", ns: str = "models") -> Resource:
    # the pod label Azure Workload Identity injects by (workload-identity-binding's Azure share, rev17m-18)
    predictor = {"serviceAccountName": sa, "labels": {"azure.workload.identity/use": "true"}}
    props = {"metadata": {"name": name, "namespace": ns}, "spec": {"predictor": predictor}}
    return Resource(ISVC, name, f"urn:isvc:{name}", props)


def _bound(sa: str) -> Resource:
    return replace(_fic(None), props={"subject": f"system:serviceaccount:models:{sa}"})


@pytest.mark.parametrize(
    ("resources", "fragment"),
    [
        ([_sa("m-sa"), _bound("m-sa"), _isvc("m-sa")], None),
        # the model runs as a ServiceAccount nobody declared (pods refused; the identity is on m-sa)
        ([_sa("m-sa"), _bound("m-sa"), _isvc("m")], "which this stack does not declare"),
        # the model runs as a declared ServiceAccount without the identity, the identity's is unused
        ([_sa("m-sa"), _sa("plain", key=None), _bound("m-sa"), _isvc("plain")], "no model in models runs as it"),
        # an identity outside the model namespaces (a controller's) is not a model's
        ([_sa("ctrl", ns="kube-system", key="eks.amazonaws.com/role-arn"), _sa("m-sa", key=None), _isvc("m-sa")], None),
        ([_sa("m-sa", key="eks.amazonaws.com/role-arn"), _isvc("other", name="o")], "no model in models runs as it"),
    ],
)
def test_model_runs_as_the_bound_service_account(resources: list[Resource], fragment: str | None) -> None:
    _check(BINDING, resources, fragment)


# ------------------------------------------------------------------------------------------------ shipped plans

PROJECT = find_project(ROOT)


shipped = rules_plan
"""A shipped stack's plan (fake outputs), planned once per test process (tests/support.py)."""


def _fails(resources: list[Resource] | tuple[Resource, ...], settings: StackSettings) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in rule_entries(resources, settings):  # judged once per test process for an unmutated plan
        # advisory rules shipped stacks report by design: Key Vault rotation, the local cluster's NetworkPolicy warning
        if not e["passed"] and e["policy"] not in ("keyvault-key-rotation", "network-policy-enforced"):
            out.setdefault(e["policy"], []).append(e["message"])
    return out


def _edit(stack: str, type_suffix: str, name: str, change: Any) -> tuple[list[Resource], StackSettings]:
    resources, settings = shipped(stack)
    assert _fails(resources, settings) == {}
    out, hit = [], 0
    for r in resources:
        if r.type.endswith(type_suffix) and r.name == name:
            props = copy.deepcopy(dict(r.props))
            r = change(r, props) or replace(r, props=props)
            hit += 1
        out.append(r)
    assert hit == 1, f"{stack}: no {type_suffix} {name}: the plan's shape moved"
    return out, settings


def test_shipped_plans_see_the_documents() -> None:
    """The new checks judge the fake-output plans: nothing unchecked, so the mutations below are seen."""
    for stack in ("azure-staging", "gcp-prod", "aws-dev"):
        resources, settings = shipped(stack)
        for e in rule_entries(resources, settings):
            if e["policy"] in (STORAGE, BINDING):
                assert e["passed"] and not e.get("unchecked"), (stack, e)


def test_azure_storage_grant_as_contributor_on_the_resource_group() -> None:
    def contributor(r: Resource, props: dict[str, Any]) -> None:
        props["roleDefinitionId"] = props["roleDefinitionId"].rsplit("/", 1)[0] + "/" + CONTRIBUTOR
        props["scope"] = props["scope"].split("/providers/Microsoft.Storage")[0]

    found = _fails(*_edit("azure-staging", ":RoleAssignment", "bert-onnx-storage-read", contributor))
    # iam-least-privilege refuses Contributor at resource-group scope for any identity, storage or not
    assert set(found) == {STORAGE, "iam-least-privilege"} and "grants Contributor" in found[STORAGE][0], found


def test_azure_federated_issuer_fixed_string() -> None:
    """The slip ``issuer="https://kubernetes-oauth.azure.com/"`` (the PowerShell example's issuer): a fixed string,
    so the credential no longer depends on the cluster."""

    def fixed(r: Resource, props: dict[str, Any]) -> Resource:
        props["issuer"] = "https://kubernetes-oauth.azure.com/"
        return replace(r, props=props, depends_on=tuple(d for d in r.depends_on if "ManagedCluster" not in d))

    found = _fails(*_edit("azure-staging", "FederatedIdentityCredential", "bert-onnx-federated", fixed))
    assert list(found) == [BINDING] and "not taken from the AKS cluster" in found[BINDING][0], found


@pytest.mark.parametrize(("stack", "model"), [("azure-staging", "bert-onnx"), ("gcp-prod", "resnet-triton"),
                                              ("aws-dev", "resnet50")])  # fmt: skip
def test_model_runs_as_another_service_account(stack: str, model: str) -> None:
    """The slip ``service_account=name`` in the predictor: the InferenceService names a ServiceAccount the stack
    does not declare, while the bound one (IRSA role, GKE member, Azure subject) is used by no model."""

    def rename(r: Resource, props: dict[str, Any]) -> None:
        props["spec"]["predictor"]["serviceAccountName"] = model

    found = _fails(*_edit(stack, "InferenceService", f"{model}-isvc", rename))
    assert list(found) == [BINDING], found
    joined = "\n".join(found[BINDING])
    assert "which this stack does not declare" in joined and "no model in models runs as it" in joined


# ------------------------------------------------------------------------------------------------ DNS grants


HELM = "kubernetes:helm.sh/v3:Release"


def _release(name: str, chart: str, sa: dict[str, Any], **values: Any) -> Resource:
    props = {"name": name, "chart": chart, "namespace": "cert-manager", "values": {"serviceAccount": sa, **values}}
    return Resource(HELM, name, f"urn:helm:{name}", props)


NOTE = {"annotations": {"azure.workload.identity/client-id": "x"}}


@pytest.mark.parametrize(
    ("release", "want"),
    [
        # the release name contains the chart name: the release name (cert-manager's fullname template)
        (_release("cert-manager", "cert-manager", NOTE), "cert-manager"),
        (_release("my-cert-manager", "cert-manager", NOTE), "my-cert-manager"),
        # it does not: <release>-<chart>
        (_release("certs", "cert-manager", NOTE), "certs-cert-manager"),
        (_release("dns", "oci://example.com/charts/external-dns", NOTE), "dns-external-dns"),
        (_release("certs", "cert-manager", NOTE, nameOverride="certs"), "certs"),
        (_release("certs", "cert-manager", NOTE, fullnameOverride="cm"), "cm"),
        (_release("certs", "cert-manager", {**NOTE, "name": "given"}), "given"),
        (_release("certs", "cert-manager", {**NOTE, "create": False}), "default"),
    ],
)
def test_helm_service_account_name(release: Resource, want: str) -> None:
    from policy.rules.identity import helm_service_account

    found = helm_service_account(release)
    assert found is not None and found[:2] == ("cert-manager", want)


def test_helm_release_without_annotations_declares_nothing() -> None:
    from policy.rules.identity import helm_service_account

    assert helm_service_account(_release("cert-manager", "cert-manager", {"labels": {"a": "b"}})) is None


def _dns_subject(sa: str) -> Resource:
    return replace(_bound(sa), props={"subject": f"system:serviceaccount:cert-manager:{sa}"})


@pytest.mark.parametrize(
    ("resources", "fragment"),
    [
        ([_release("cert-manager", "cert-manager", NOTE), _dns_subject("cert-manager")], None),
        # the credential trusts a name the chart does not create
        ([_release("certs", "cert-manager", NOTE), _dns_subject("cert-manager")], "which no ServiceAccount"),
        ([_release("cert-manager", "cert-manager", NOTE)], "no federated credential trusts it"),
    ],
)
def test_dns_credential_trusts_the_charts_service_account(resources: list[Resource], fragment: str | None) -> None:
    _check(BINDING, resources, fragment)


@shared_cache
def azure_with_dns() -> tuple[tuple[Resource, ...], StackSettings]:
    """azure-staging with an Azure DNS zone: cert-manager and external-dns get federated identities on it."""
    cfg = read_stack_file(PROJECT, "azure-staging")
    config = copy.deepcopy(cfg.config)
    platform = json.loads(config["mlplatform:platform"])
    platform["dns"] = {"zone": "staging.example.com", "resourceGroup": "dns-rg"}
    config["mlplatform:platform"] = json.dumps(platform)
    result = run_program(
        PROJECT.root, "azure-staging", config, cfg.secret_keys, main=PROJECT.main, project=PROJECT.name, outputs="fake"
    )
    return tuple(resources_from_plan(result)), StackSettings.from_config(config)


def test_dns_identities_pass_and_a_wrong_subject_fails() -> None:
    resources, settings = azure_with_dns()
    fics = [r for r in resources if r.type == FIC]
    assert {r.props["subject"] for r in fics} >= {
        "system:serviceaccount:cert-manager:cert-manager",
        "system:serviceaccount:external-dns:external-dns",
    }
    assert _fails(resources, settings) == {}
    for e in rule_entries(resources, settings):
        if e["policy"] == BINDING:
            assert not e.get("unchecked"), e

    def other(r: Resource) -> Resource:
        if r.type == FIC and r.props["subject"].endswith("cert-manager:cert-manager"):
            return replace(r, props={**r.props, "subject": "system:serviceaccount:cert-manager:cert-manager-webhook"})
        return r

    found = _fails([other(r) for r in resources], settings)
    assert list(found) == [BINDING], found
    assert any("cert-manager/cert-manager is annotated" in m for m in found[BINDING]), found


# ------------------------------------------------------------------------------------------------ JWT rules

REQ_AUTHN = "kubernetes:security.istio.io/v1:RequestAuthentication"
JWT = {"issuer": "https://auth.example.com/realms/models", "jwksUri": "https://auth.example.com/realms/models/certs"}


def _ra(**rule: Any) -> Resource:
    meta = {"name": "m-jwt", "namespace": "models"}
    return Resource(REQ_AUTHN, "jwt", "urn:jwt", {"metadata": meta, "spec": {"jwtRules": [{**JWT, **rule}]}})


@pytest.mark.parametrize(
    ("resource", "fragment"),
    [
        (_ra(), None),
        (_ra(forwardOriginalToken=False), None),
        (_ra(forwardOriginalToken=True), "forwards the caller's token"),
        (_ra(issuer=JWT["jwksUri"]), "issuer is its key set URL"),
        (_ra(issuer="http://auth.example.com/realms/models"), "give the token issuer's https URL"),
        (_ra(jwksUri="http://auth.example.com/certs"), "give the issuer's https key set URL"),
        (_ra(jwksUri=None, jwks='{"keys": []}'), None),
        (_ra(issuer=UNKNOWN), None),
    ],
)
def test_jwt_rule_bounds(resource: Resource, fragment: str | None) -> None:
    _check("model-jwt-rules", [resource], fragment)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda rule: rule.update(issuer=rule["jwksUri"]), "issuer is its key set URL"),
        (lambda rule: rule.update(forwardOriginalToken=True), "forwards the caller's token"),
    ],
)
def test_jwt_slip_in_a_shipped_plan(change: Any, fragment: str) -> None:
    def edit(r: Resource, props: dict[str, Any]) -> None:
        change(props["spec"]["jwtRules"][0])

    found = _fails(*_edit("gcp-prod", "RequestAuthentication", "resnet-triton-jwt", edit))
    assert list(found) == ["model-jwt-rules"] and fragment in found["model-jwt-rules"][0], found


# ------------------------------------------------------------------------------------------------ internal callers

AUTHZ = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
CALLERS = "internal-model-callers"


def _internal_model() -> Resource:
    # as components/serving/_runtime.py annotates an internal Knative model (the activator off its path)
    ann = {"mlplatform.io/access": "internal", "autoscaling.knative.dev/target-burst-capacity": "0"}
    meta = {"name": "m", "namespace": "models", "annotations": ann}
    return Resource(ISVC, "m", "urn:isvc:m", {"metadata": meta, "spec": {"predictor": {"minReplicas": 1}}})


def _authz(*rules: dict[str, Any], action: str = "ALLOW", selector: bool = True) -> Resource:
    spec: dict[str, Any] = {"action": action, "rules": list(rules)}
    if selector:
        spec["selector"] = {"matchLabels": {"serving.kserve.io/inferenceservice": "m"}}
    return Resource(AUTHZ, "authz", "urn:authz", {"metadata": {"name": "m-authz", "namespace": "models"}, "spec": spec})


TO = {"to": [{"operation": {"ports": ["8012"]}}]}


@pytest.mark.parametrize(
    ("resources", "fragment"),
    [
        ([_internal_model(), _authz({"from": [{"source": {"namespaces": ["models", "apps"]}}], **TO})], None),
        ([_internal_model(), _authz({"from": [{"source": {"principals": ["cluster.local/ns/a/sa/b"]}}]})], None),
        ([_internal_model()], "has no ALLOW AuthorizationPolicy"),
        # a DENY policy is not an ALLOW one: Istio still allows everything it does not deny
        ([_internal_model(), _authz({"from": [{"source": {"namespaces": ["x"]}}]}, action="DENY")], "no ALLOW"),
        ([_internal_model(), _authz(TO)], "a rule without from"),
        ([_internal_model(), _authz({"from": [{"source": {"namespaces": ["*"]}}], **TO})], "a wildcard caller"),
        ([_internal_model(), _authz({"from": [{"source": {"namespaces": ["team-*"]}}]})], "a wildcard caller"),
        ([_internal_model(), _authz({"from": [{"source": {"ipBlocks": ["10.0.0.0/8"]}}]})], "names no namespace"),
        # a namespace-wide allow-all beside the model's own policy opens it too
        (
            [
                _internal_model(),
                _authz({"from": [{"source": {"namespaces": ["models"]}}]}),
                replace(_authz(TO, selector=False), urn="urn:wide"),
            ],
            "a rule without from",
        ),
        ([_internal_model(), _authz({"from": [{"source": {"namespaces": UNKNOWN}}]})], None),
    ],
)
def test_internal_model_callers_bounds(resources: list[Resource], fragment: str | None) -> None:
    _check(CALLERS, resources, fragment)


def test_internal_model_open_to_the_mesh_local() -> None:
    """The slip ``rules = [{"to": _to(ports)}]`` for an internal model, over the shipped local plan."""

    def open_(r: Resource, props: dict[str, Any]) -> None:
        del props["spec"]["rules"][0]["from"]

    found = _fails(*_edit("local", "AuthorizationPolicy", "xgboost-iris-authz", open_))
    assert list(found) == [CALLERS] and "a rule without from" in found[CALLERS][0], found


# ------------------------------------------------------------------------------------------------ Standard mode


@shared_cache
def local_standard() -> tuple[tuple[Resource, ...], StackSettings]:
    """The shipped local stack in KServe's Standard mode (no shipped stack is): its internal model must carry
    ``networking.kserve.io/visibility``, the label the Standard-mode reconcilers read."""
    cfg = read_stack_file(PROJECT, "local")
    config = copy.deepcopy(cfg.config)
    platform = json.loads(config["mlplatform:platform"])
    platform["deploymentMode"] = "Standard"
    config["mlplatform:platform"] = json.dumps(platform)
    models = json.loads(config["mlplatform:models"])
    for model in models.values():  # scale to zero is Knative's
        scaling = model.setdefault("scaling", {})
        scaling["minReplicas"] = max(1, scaling.get("minReplicas", 1))
    config["mlplatform:models"] = json.dumps(models)
    result = run_program(
        PROJECT.root, "local", config, cfg.secret_keys, main=PROJECT.main, project=PROJECT.name, outputs="fake"
    )
    return tuple(resources_from_plan(result)), StackSettings.from_config(config)


def test_standard_mode_internal_model_labelled_for_knative() -> None:
    """The slip ``return KNATIVE_VISIBILITY_LABEL`` in the serving code, on a Standard-mode platform: KServe's
    Standard reconcilers read only ``networking.kserve.io/visibility``, so the model is published."""
    resources, settings = local_standard()
    assert _fails(resources, settings) == {}

    def knative_label(r: Resource) -> Resource:
        if not r.type.endswith("InferenceService") or r.name != "xgboost-iris-isvc":
            return r
        props = copy.deepcopy(dict(r.props))
        labels = props["metadata"]["labels"]
        labels["networking.knative.dev/visibility"] = labels.pop("networking.kserve.io/visibility")
        return replace(r, props=props)

    found = _fails([knative_label(r) for r in resources], settings)
    assert "internal-model-cluster-local" in found, found
    assert any("networking.kserve.io/visibility" in m for m in found["internal-model-cluster-local"]), found


# ------------------------------------------------------------------------------------------------ prod mesh replicas

MESH = "prod-mesh-replicas"


def _zone(labels: dict[str, str]) -> list[dict[str, Any]]:
    """The zone spread the platform gives its HA add-ons on prod (components/platform/common.py
    ``AddonContext.spread``), which prod-mesh-replicas requires where the platform promises it
    (tests/policy/test_policy_prod_spread.py), selecting the pods it is on (fix17m)."""
    return [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": labels},
        }
    ]


SPREAD = _zone({"app": "istiod"})
GATEWAY_SPREAD = _zone({"istio": "gateway"})  # the release is named gateway here: its pods carry istio=gateway
HA_GATEWAY = {
    "replicaCount": 2,
    "autoscaling": {"minReplicas": 2},
    "podDisruptionBudget": {"minAvailable": 1},
    "topologySpreadConstraints": GATEWAY_SPREAD,
}


def _mesh(chart: str, values: dict[str, Any]) -> Resource:
    return Resource(HELM, chart, f"urn:helm:{chart}", {"name": chart, "chart": chart, "values": values})


def _mesh_messages(resource: Resource, environment: str = "prod") -> list[str]:
    rule = next(r for r in ALL_RULES if r.name == MESH)
    return [f.message for f in rule.run([resource], replace(StackSettings().facts, environment=environment))]


@pytest.mark.parametrize(
    ("resource", "fragment"),
    [
        (_mesh("gateway", HA_GATEWAY), None),
        # the HPA floor is what counts while autoscaling (the chart's default)
        (_mesh("gateway", {**HA_GATEWAY, "autoscaling": {"minReplicas": 1}}), "may run 1 replica(s)"),
        (_mesh("gateway", {"replicaCount": 2, "podDisruptionBudget": {"minAvailable": 1}}), "may run 1 replica(s)"),
        (
            _mesh(
                "gateway",
                {
                    "replicaCount": 2,
                    "autoscaling": {"enabled": False},
                    "podDisruptionBudget": {"a": 1},
                    "topologySpreadConstraints": GATEWAY_SPREAD,
                },
            ),
            None,
        ),
        (_mesh("gateway", {"replicaCount": 1, "autoscaling": {"enabled": False}}), "may run 1 replica(s)"),
        (_mesh("gateway", {**HA_GATEWAY, "podDisruptionBudget": {}}), "renders no PodDisruptionBudget"),
        (_mesh("istiod", {"autoscaleMin": 2, "replicaCount": 2, "topologySpreadConstraints": SPREAD}), None),
        (_mesh("istiod", {"autoscaleMin": 1, "replicaCount": 2}), "may run 1 replica(s)"),
        (
            _mesh("istiod", {"autoscaleMin": 2, "global": {"defaultPodDisruptionBudget": {"enabled": False}}}),
            "renders no PodDisruptionBudget",
        ),
        (
            _mesh(
                "kube-prometheus-stack",
                {
                    "replicaCount": 1,
                    "prometheus": {
                        "prometheusSpec": {"topologySpreadConstraints": _zone({"app.kubernetes.io/name": "prometheus"})}
                    },
                },
            ),
            None,
        ),
    ],
)
def test_prod_mesh_replicas_bounds(resource: Resource, fragment: str | None) -> None:
    found = _mesh_messages(resource)
    if fragment is None:
        assert found == []
    else:
        assert any(fragment in m for m in found), found
    assert _mesh_messages(resource, environment="staging") == []


def test_prod_gateway_hpa_floor_one_gcp_prod() -> None:
    """The slip ``"autoscaling": {"minReplicas": 1}`` in the gateway values, over the shipped prod plan."""

    def floor(r: Resource, props: dict[str, Any]) -> None:
        props["values"]["autoscaling"]["minReplicas"] = 1

    found = _fails(*_edit("gcp-prod", "helm.sh/v3:Release", "mlplatform-istio-gateway", floor))
    assert list(found) == [MESH] and "may run 1 replica(s)" in found[MESH][0], found


# ------------------------------------------------------------------------------------------------ AKS sign-in

ENTRA = {"disableLocalAccounts": True, "enableRBAC": True, "aadProfile": {"managed": True, "enableAzureRBAC": True}}


@pytest.mark.parametrize(
    ("props", "fragment"),
    [
        (ENTRA, None),
        ({**ENTRA, "disableLocalAccounts": False}, "keeps local accounts"),
        ({k: v for k, v in ENTRA.items() if k != "disableLocalAccounts"}, "keeps local accounts"),
        ({**ENTRA, "enableRBAC": False}, "turns Kubernetes RBAC off"),
        ({**ENTRA, "aadProfile": {"managed": True}}, "Azure RBAC"),
        ({**ENTRA, "disableLocalAccounts": UNKNOWN, "aadProfile": UNKNOWN}, None),
    ],
)
def test_aks_entra_only_bounds(props: dict[str, Any], fragment: str | None) -> None:
    _check("aks-entra-only", [Resource(AKS, "aks", "urn:aks", props)], fragment)


def test_aks_local_accounts_back_azure_staging() -> None:
    def local(r: Resource, props: dict[str, Any]) -> None:
        props["disableLocalAccounts"] = False

    found = _fails(*_edit("azure-staging", "ManagedCluster", "mlplatform-aks", local))
    assert list(found) == ["aks-entra-only"], found


# ------------------------------------------------------------------------------------------------ mlplatform check


def test_check_over_a_saved_plan_ties_the_issuer(tmp_path: Any) -> None:
    """``mlplatform check`` reads the saved plan's ``dependsOn``: the placeholder plan of azure-staging passes, and
    the same plan with a fixed issuer (no dependency on the cluster) fails workload-identity-binding."""
    from components.plan.report import plan_json
    from policy.check import check, load_plan
    from support import shipped_plan

    doc = plan_json(PROJECT.name, [shipped_plan("azure-staging", placeholders=True)])
    saved = tmp_path / "plan.json"
    saved.write_text(json.dumps(doc))
    (stack,) = load_plan(saved)
    assert [e for e in check(stack) if not e["passed"] and e["enforcement"] == "mandatory"] == []

    for r in doc["stacks"][0]["resources"]:
        if r["type"] == FIC and r["name"] == "bert-onnx-federated":
            r["inputs"]["issuer"] = "https://kubernetes-oauth.azure.com/"
            r["dependsOn"] = [d for d in r["dependsOn"] if "ManagedCluster" not in d]
    saved.write_text(json.dumps(doc))
    (stack,) = load_plan(saved)
    failed = [e for e in check(stack) if not e["passed"] and e["enforcement"] == "mandatory"]
    assert [e["policy"] for e in failed] == [BINDING], failed
    assert "not taken from the AKS cluster" in failed[0]["message"]


# ------------------------------------------------------------------------------------------------ paired identities

GSA_T = "gcp:serviceaccount/account:Account"
WI_T = "gcp:serviceaccount/iAMMember:IAMMember"
UAI_T = "azure-native:managedidentity:UserAssignedIdentity"


def _annotated(name: str, key: str, value: str) -> Resource:
    meta = {"name": name, "namespace": "models", "annotations": {key: value}}
    return Resource(SA, name, f"urn:sa:{name}", {"metadata": meta, "automountServiceAccountToken": False})


def _gke(pairs: dict[str, str], by_id: bool = False) -> list[Resource]:
    """Two Google service accounts (outputs visible, as CrossGuard's stack view has them), the KSAs annotated with
    their e-mails, and for each GSA a member trusting the KSA ``pairs`` maps it to."""
    out: list[Resource] = []
    for g in ("a", "b"):
        email = f"{g}@p.iam.gserviceaccount.com"
        out.append(Resource(GSA_T, g, f"urn:gsa:{g}", {"accountId": g, "email": email}))
        out.append(_annotated(f"m-{g}", "iam.gke.io/gcp-service-account", email))
        member = {
            "role": "roles/iam.workloadIdentityUser",
            "member": f"serviceAccount:p.svc.id.goog[models/{pairs[g]}]",
            "serviceAccountId": f"projects/p/serviceAccounts/{email}" if by_id else "projects/p/serviceAccounts/x",
        }
        out.append(Resource(WI_T, f"wi-{g}", f"urn:wi:{g}", member, depends_on=() if by_id else (f"urn:gsa:{g}",)))
    return out


def _azure(pairs: dict[str, str]) -> list[Resource]:
    out: list[Resource] = [_aks(ISSUER)]
    for g in ("a", "b"):
        out.append(Resource(UAI_T, g, f"urn:uai:{g}", {"name": g, "clientId": f"client-{g}"}))
        out.append(_annotated(f"m-{g}", "azure.workload.identity/client-id", f"client-{g}"))
        props = {"issuer": ISSUER, "subject": f"system:serviceaccount:models:{pairs[g]}"}
        out.append(Resource(FIC, f"fic-{g}", f"urn:fic:{g}", props, depends_on=("urn:aks", f"urn:uai:{g}")))
    return out


@pytest.mark.parametrize(
    ("resources", "fragment"),
    [
        (_gke({"a": "m-a", "b": "m-b"}), None),
        (_gke({"a": "m-b", "b": "m-a"}), "acts as a@p.iam.gserviceaccount.com"),
        (_gke({"a": "m-a", "b": "m-b"}, by_id=True), None),
        (_gke({"a": "m-b", "b": "m-a"}, by_id=True), "whose binding trusts models/m-b, not it"),
        (_azure({"a": "m-a", "b": "m-b"}), None),
        (_azure({"a": "m-b", "b": "m-a"}), "acts as client-a"),
    ],
)
def test_each_service_account_is_trusted_by_its_own_identity(resources: list[Resource], fragment: str | None) -> None:
    """Swapped bindings (each model's identity trusting the other model's ServiceAccount) pass every name check; the
    pairing by the identity's own e-mail or client id (visible to CrossGuard) fails them."""
    _check(BINDING, resources, fragment)
