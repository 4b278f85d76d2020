"""Workload identity and storage grants: each model's cloud identity trusts exactly one Kubernetes ServiceAccount,
and reads only its own storage location.

What each cloud checks when a pod exchanges its ServiceAccount token, and so what must be exact:

- AWS IRSA: an IAM role whose trust policy allows ``sts:AssumeRoleWithWebIdentity`` to the cluster's OIDC
  provider (``Principal.Federated`` = ``arn:<partition>:iam::<account>:oidc-provider/<issuer>``) under
  ``StringEquals`` on ``<issuer>:sub`` = ``system:serviceaccount:<namespace>:<name>`` and ``<issuer>:aud`` =
  ``sts.amazonaws.com``. Without the ``sub`` condition every ServiceAccount of the cluster (any pod) may assume
  the role. Source: AWS EKS user guide, "Assign IAM roles to Kubernetes service accounts"
  (docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html, the trust policy it creates);
  condition keys on another issuer than the Federated principal's constrain nothing (IAM evaluates the keys of the
  token's own issuer). The page itself was not in this session's search corpus; the shape matches the trust that
  the deploy review found correct for Karpenter (shared/research/deploy-review.md).
- GKE Workload Identity: ``roles/iam.workloadIdentityUser`` on the Google service account for the member
  ``serviceAccount:<workload pool>[<namespace>/<name>]``, the pool being ``<project>.svc.id.goog`` (Google Cloud,
  "Authenticate to Google Cloud APIs from GKE workloads", cloud.google.com/kubernetes-engine/docs/how-to/
  workload-identity; the pool is the cluster's ``workloadIdentityConfig.workloadPool``).
- AKS workload identity: a federated identity credential on the user-assigned identity with ``subject``
  ``system:serviceaccount:<namespace>:<name>``, ``issuer`` the cluster's OIDC issuer URL and ``audiences``
  ``["api://AzureADTokenExchange"]`` (Microsoft Graph ``federatedIdentityCredential`` resource type,
  learn.microsoft.com/graph/api/resources/federatedidentitycredential: "audiences ... should be set to
  api://AzureADTokenExchange"; Azure/azure-workload-identity docs/book/src/topics/federated-identity-credential.md).

Storage grants (what a model's identity may read):

- S3 (IAM policy documents): no ``s3:*`` or ``*`` action, no ``*`` resource, no wildcard in a bucket name; object
  reads (``s3:GetObject*``) on ``arn:...:s3:::<bucket>/<prefix>...`` with a non-empty prefix; ``s3:ListBucket``
  limited by an ``s3:prefix`` condition; no AWS-managed S3 policy attached (``AmazonS3FullAccess``,
  ``AmazonS3ReadOnlyAccess`` grant every bucket of the account).
- GCS: bucket-level grants use a read-only role and no public member; no project-level ``roles/storage.*`` grant
  (it covers every bucket of the project). A bucket-level grant covers the whole bucket: prefix scoping would need
  an IAM condition and is not checked (stated gap, docs/policies.md).
- Azure: a storage data role assignment is ``Storage Blob Data Reader`` scoped to one blob container
  (``.../storageAccounts/<a>/blobServices/default/containers/<c>``), not to the account, resource group or
  subscription. Role ids: Azure built-in roles (learn.microsoft.com/azure/role-based-access-control/built-in-roles).

Values known only after deploy (a trust policy built from the OIDC provider's ARN, a member built from a service
account's e-mail) are unknown in a plain plan: the rule cannot judge them and says so in its passing entry
(``unchecked``); the CrossGuard pack sees them in full during ``pulumi up``, and tests render them with the plan
engine's fake outputs.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map, dig, is_k8s

IAM_ROLE = "aws:iam/role:Role"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
IAM_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
K8S_SA = "kubernetes:core/v1:ServiceAccount"
GSA_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
GSA_BINDING = "gcp:serviceaccount/iAMBinding:IAMBinding"
GKE = "gcp:container/cluster:Cluster"
GCS_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
GCS_BINDING = "gcp:storage/bucketIAMBinding:BucketIAMBinding"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
PROJECT_BINDING = "gcp:projects/iAMBinding:IAMBinding"
AZ_FIC = "azure-native:managedidentity:FederatedIdentityCredential"
AZ_ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
AKS = "azure-native:containerservice:ManagedCluster"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"

WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
STS_AUDIENCE = "sts.amazonaws.com"
AZURE_AUDIENCE = "api://AzureADTokenExchange"
WI_USER = "roles/iam.workloadIdentityUser"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"

_NAME = r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?"
K8S_SUBJECT = re.compile(rf"system:serviceaccount:(?P<ns>{_NAME}):(?P<sa>{_NAME})", re.ASCII)
"""A Kubernetes ServiceAccount token's ``sub``: one namespace, one name (DNS names; no wildcard)."""
GKE_MEMBER = re.compile(
    rf"serviceAccount:(?P<pool>[a-z][-a-z0-9.:]*\.svc\.id\.goog)\[(?P<ns>{_NAME})/(?P<sa>{_NAME})\]", re.ASCII
)
OIDC_PROVIDER_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/(?P<issuer>[^\s*?]+)", re.ASCII)

ROLE_BLOB_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
"""Storage Blob Data Reader (Azure built-in roles)."""
STORAGE_DATA_ROLES = {
    ROLE_BLOB_READER: "Storage Blob Data Reader",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "c12c1c16-33a1-487b-954d-41c89c60f349": "Reader and Data Access",
    "17d1049b-9a84-46fb-8f53-869881c3d3ab": "Storage Account Contributor",
}
"""Azure built-in roles that reach blob data (by role definition id): the three blob data roles, and the two that
may list the account keys (Microsoft.Storage/storageAccounts/listkeys/action)."""
WIDE_AZURE_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
}
"""Azure built-in roles that reach every storage account under their scope: Owner and Contributor allow the actions
``*`` (so ``Microsoft.Storage/storageAccounts/listKeys/action``, and an account key reads every blob); User Access
Administrator (``Microsoft.Authorization/*``) and Role Based Access Control Administrator
(``roleAssignments/write``) may assign themselves any data role. Ids and actions: MicrosoftDocs/azure-docs
articles/role-based-access-control/built-in-roles/privileged.md (the role JSON of each)."""
_STORAGE_PROVIDER = "/providers/microsoft.storage/"
_SUB_OR_RG = re.compile(r"/subscriptions/[^/]+(/resourceGroups/[^/]+)?/?", re.ASCII | re.IGNORECASE)


def _reaches_storage(scope: str) -> bool:
    """True when an assignment at ``scope`` covers storage accounts: the root, a management group, a subscription, a
    resource group, or a storage account (or anything inside one). Azure RBAC: "Scopes are structured in a
    parent-child relationship ... You can assign roles at any of these levels" and lower levels inherit
    (learn.microsoft.com/azure/role-based-access-control/scope-overview)."""
    low = scope.lower()
    return (
        low in ("", "/")
        or low.startswith("/providers/microsoft.management/managementgroups/")
        or _SUB_OR_RG.fullmatch(scope) is not None
        or _STORAGE_PROVIDER in low
    )


def _role_id(res: Resource) -> str:
    """The role definition GUID of a role assignment (the last segment of ``roleDefinitionId``), lower case."""
    return str(res.props.get("roleDefinitionId", "")).rsplit("/", 1)[-1].lower()


AZURE_CONTAINER_SCOPE = re.compile(
    r"/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Storage/storageAccounts/[a-z0-9]{3,24}"
    r"/blobServices/default/containers/[a-z0-9]([-a-z0-9]*[a-z0-9])?",
    re.ASCII | re.IGNORECASE,
)
GCS_READ_ROLES = ("roles/storage.objectViewer", "roles/storage.legacyObjectReader")
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
S3_MANAGED = ("AmazonS3FullAccess", "AmazonS3ReadOnlyAccess")
_S3_ARN = re.compile(r"arn:aws[a-z-]*:s3:::(?P<bucket>[^/]*)(?:/(?P<key>.*))?", re.ASCII | re.DOTALL)


def policy_document(value: Any) -> Mapping[str, Any] | None:
    """An IAM policy document given as JSON text or a map; None when it is unknown or not a document."""
    if value is UNKNOWN:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    return value if isinstance(value, Mapping) else None


def statements(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A policy document's statements (``Statement`` may be one map or a list)."""
    st = doc.get("Statement")
    return [s for s in (st if isinstance(st, list) else [st]) if isinstance(s, Mapping)]


def _strings(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value]) if v is not None]


def _unknown_doc(res: Resource) -> str | None:
    if res.type == IAM_ROLE and res.props.get("assumeRolePolicy") is UNKNOWN:
        return f"trust policy of role {res.name}"
    if res.type in (IAM_ROLE_POLICY, IAM_POLICY) and res.props.get("policy") is UNKNOWN:
        return f"policy {res.name}"
    if res.type in (GSA_MEMBER, GCS_MEMBER, PROJECT_MEMBER) and res.props.get("member") is UNKNOWN:
        return f"member of {res.name}"
    if res.type == GCS_BINDING and (
        res.props.get("members") is UNKNOWN or any(m is UNKNOWN for m in as_list(res.props.get("members")))
    ):
        return f"members of {res.name}"
    if res.type in (GCS_MEMBER, GCS_BINDING) and res.props.get("role") is UNKNOWN:
        return f"role of {res.name}"
    if res.type == AZ_FIC and res.props.get("subject") is UNKNOWN:
        return f"subject of {res.name}"
    if res.type == AZ_FIC and res.props.get("issuer") in (None, "", UNKNOWN):
        # the plan's mocks echo the cluster's inputs, so the issuer URL (an output) arrives empty
        return f"issuer of {res.name}"
    if res.type == AZ_ROLE_ASSIGNMENT:
        if res.props.get("roleDefinitionId") is UNKNOWN:
            return f"role of {res.name}"
        role_id = _role_id(res)
        if (role_id in STORAGE_DATA_ROLES or role_id in WIDE_AZURE_ROLES) and res.props.get("scope") is UNKNOWN:
            return f"scope of {res.name}"
    return None


# ------------------------------------------------------------------------------------------------ trust


def action_matches(pattern: str, action: str) -> bool:
    """True when the IAM ``Action`` entry ``pattern`` covers ``action``.

    "The prefix and the action name are case insensitive" and an entry may use the multi-character (``*``) and
    single-character (``?``) wildcards anywhere in the name (AWS IAM User Guide, "IAM JSON policy elements: Action",
    docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html): ``STS:assumerolewith*``
    covers ``sts:AssumeRoleWithWebIdentity``. ``fnmatchcase`` on lower-cased text gives exactly ``*`` and ``?``
    (``[`` cannot occur in an action name, so its character classes never apply).
    """
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def irsa_problems(doc: Mapping[str, Any]) -> list[str]:
    """Why an IAM trust policy lets more than one ServiceAccount (or a token for another audience) assume the role."""
    problems = []
    for i, st in enumerate(statements(doc)):
        if st.get("Effect", "Allow") != "Allow":
            continue
        if not any(action_matches(a, WEB_IDENTITY) for a in _strings(st.get("Action"))):
            continue
        where = f"Statement[{i}]"
        federated = _strings(as_map(st.get("Principal")).get("Federated"))
        issuers = [m["issuer"] for f in federated if (m := OIDC_PROVIDER_ARN.fullmatch(f))]
        if len(issuers) != 1 or len(federated) != 1:
            problems.append(f"{where} trusts Federated {federated or 'nothing'}: give exactly one OIDC provider ARN")
            continue
        issuer = issuers[0]
        cond = as_map(st.get("Condition"))
        equals = as_map(cond.get("StringEquals"))
        loose = [
            f"{op} {key}"
            for op, keys in cond.items()
            if op != "StringEquals"
            for key in as_map(keys)
            if str(key).endswith((":sub", ":aud"))
        ]
        if loose:
            problems.append(f"{where} matches {', '.join(loose)}: only StringEquals pins one ServiceAccount")
        sub = _strings(equals.get(f"{issuer}:sub"))
        if not sub:
            problems.append(
                f"{where} has no StringEquals {issuer}:sub: every ServiceAccount of the cluster may assume the role"
            )
        elif len(sub) > 1:
            problems.append(f"{where} trusts {len(sub)} ServiceAccounts ({', '.join(sub)}): give one")
        elif not K8S_SUBJECT.fullmatch(sub[0]):
            problems.append(f"{where} sub {sub[0]!r} is not one ServiceAccount (system:serviceaccount:<ns>:<name>)")
        aud = _strings(equals.get(f"{issuer}:aud"))
        if aud != [STS_AUDIENCE]:
            problems.append(f"{where} StringEquals {issuer}:aud is {aud or 'missing'}: give exactly {STS_AUDIENCE}")
    return problems


def irsa_subject(doc: Mapping[str, Any]) -> str | None:
    """The one ``sub`` a trust policy pins, when it pins exactly one."""
    for st in statements(doc):
        for key, value in as_map(as_map(st.get("Condition")).get("StringEquals")).items():
            if str(key).endswith(":sub") and len(_strings(value)) == 1:
                return _strings(value)[0]
    return None


def _gke_pools(resources: Sequence[Resource]) -> set[str]:
    pools = set()
    for r in resources:
        if r.type == GKE:
            pool = as_map(r.props.get("workloadIdentityConfig")).get("workloadPool")
            if isinstance(pool, str) and pool:
                pools.add(pool)
    return pools


def _trust(res: Resource, facts: Facts) -> Iterator[str]:
    """What one resource's trust says on its own (a CrossGuard ResourceValidationPolicy: judged as each resource is
    registered, before it is created)."""
    p = res.props
    if res.type == IAM_ROLE:
        doc = policy_document(p.get("assumeRolePolicy"))
        for problem in irsa_problems(doc) if doc is not None else []:
            yield f"IAM role {res.name} trust policy: {problem}"
    elif res.type in (GSA_MEMBER, GSA_BINDING) and p.get("role") == WI_USER:
        members = [p.get("member")] if res.type == GSA_MEMBER else as_list(p.get("members"))
        if res.type == GSA_BINDING and len(members) != 1:
            yield f"{res.name} binds {WI_USER} to {len(members)} members: give one ServiceAccount"
        for m in members:
            if m is not UNKNOWN and not GKE_MEMBER.fullmatch(str(m)):
                yield (
                    f"{res.name} grants {WI_USER} to {m!r}: give serviceAccount:<project>.svc.id.goog[<namespace>/"
                    "<name>] (one Kubernetes ServiceAccount)"
                )
    elif res.type in (PROJECT_MEMBER, PROJECT_BINDING) and p.get("role") == WI_USER:
        # the role belongs on one Google service account (cloud.google.com/kubernetes-engine/docs/how-to/
        # workload-identity); on the project it lets the member impersonate every service account of the project
        yield (
            f"{res.name} grants {WI_USER} on the whole project: every Google service account of the project may "
            "then be impersonated; grant it on the model's service account"
        )
    elif res.type == AZ_FIC:
        subject = p.get("subject")
        if subject is not UNKNOWN and not K8S_SUBJECT.fullmatch(str(subject)):
            yield (
                f"federated credential {res.name} subject {subject!r} is not one ServiceAccount "
                "(system:serviceaccount:<namespace>:<name>)"
            )
        issuer = p.get("issuer")
        if isinstance(issuer, str) and issuer and not re.fullmatch(r"https://[^\s/]+/\S*", issuer, re.ASCII):
            yield f"federated credential {res.name} issuer {issuer!r} is not the cluster's https issuer"
        audiences = p.get("audiences")
        if audiences is not UNKNOWN and _strings(audiences) != [AZURE_AUDIENCE]:
            yield f"federated credential {res.name} audiences {audiences!r}: give [{AZURE_AUDIENCE}]"


GKE_SA_ANNOTATION = "iam.gke.io/gcp-service-account"
"""The KSA annotation naming the Google service account it acts as (the GKE Workload Identity page cited above)."""
AZURE_SA_ANNOTATION = "azure.workload.identity/client-id"
"""The KSA annotation naming the user-assigned identity it acts as (Azure/azure-workload-identity; the same key
components/clusters/aks.py sets)."""


HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


def helm_service_account(release: Resource) -> tuple[str | None, str, Mapping[str, Any]] | None:
    """The controller ServiceAccount a Helm release's chart creates, with the annotations its values give it:
    ``(namespace, name, annotations)``, or None when the values annotate none or a name is unknown.

    cert-manager and external-dns (the charts our DNS grants annotate) name it alike: ``serviceAccount.name``, else,
    when ``serviceAccount.create``, the chart's fullname (``fullnameOverride``; else the release name when it
    contains the chart name, ``nameOverride`` if given; else ``<release>-<chart>``), else ``default``
    (cert-manager/cert-manager deploy/charts/cert-manager/templates/_helpers.tpl ``cert-manager.serviceAccountName``
    and ``cert-manager.fullname``; kubernetes-sigs/external-dns charts/external-dns/templates/_helpers.tpl, the same
    two templates)."""
    values = as_map(release.props.get("values"))
    sa = as_map(values.get("serviceAccount"))
    annotations = as_map(sa.get("annotations"))
    release_name, namespace, chart = (
        release.props.get("name"),
        release.props.get("namespace"),
        release.props.get("chart"),
    )
    if not annotations or not isinstance(release_name, str) or not isinstance(chart, str):
        return None
    ns = namespace if isinstance(namespace, str) else None
    if isinstance(sa.get("name"), str) and sa["name"]:
        return ns, sa["name"], annotations
    if sa.get("create", True) is False:
        return ns, "default", annotations
    if isinstance(values.get("fullnameOverride"), str) and values["fullnameOverride"]:
        return ns, values["fullnameOverride"][:63].rstrip("-"), annotations
    name = values.get("nameOverride") or chart.rstrip("/").rsplit("/", 1)[-1]
    full = release_name if str(name) in release_name else f"{release_name}-{name}"
    return ns, full[:63].rstrip("-"), annotations


def annotated_service_accounts(
    resources: Sequence[Resource],
) -> list[tuple[str | None, str, Mapping[str, Any], Resource]]:
    """Every ServiceAccount the stack declares with its annotations: ServiceAccount objects and those Helm charts
    create from their values (:func:`helm_service_account`), each with the resource that declares it."""
    out: list[tuple[str | None, str, Mapping[str, Any], Resource]] = []
    for r in resources:
        if r.type == K8S_SA:
            out.append((r.namespace, r.k8s_name, as_map(r.metadata.get("annotations")), r))
        elif r.type == HELM_RELEASE and (found := helm_service_account(r)) is not None:
            out.append((*found, r))
    return out


def _ksa_bindings(resources: Sequence[Resource]) -> Iterator[Finding]:
    """GKE and AKS, as the IRSA branch: the Kubernetes ServiceAccounts annotated to act as a cloud identity and the
    subjects the Workload Identity bindings (GKE members) and federated credentials (AKS subjects) trust are the same
    ServiceAccounts. A binding for a ServiceAccount the stack does not annotate trusts a name nobody meant; an
    annotated ServiceAccount no binding names gets no credentials (or someone else's)."""
    for key, kinds in ((GKE_SA_ANNOTATION, "member"), (AZURE_SA_ANNOTATION, "subject")):
        annotated = {
            (ns, name): declared
            for ns, name, marks, declared in annotated_service_accounts(resources)
            if marks.get(key) not in (None, "")
        }
        trusted: dict[tuple[str, str], Resource] = {}
        complete = True
        for r in resources:
            if kinds == "member" and r.type in (GSA_MEMBER, GSA_BINDING) and r.props.get("role") == WI_USER:
                members = [r.props.get("member")] if r.type == GSA_MEMBER else as_list(r.props.get("members"))
                for m in members:
                    match = GKE_MEMBER.fullmatch(str(m)) if m is not UNKNOWN else None
                    # an unknown member, or one that is not one ServiceAccount (workload-identity-trust fails it):
                    # which ServiceAccounts it trusts cannot be told
                    complete = complete and match is not None
                    if match:
                        trusted[(match["ns"], match["sa"])] = r
            elif kinds == "subject" and r.type == AZ_FIC:
                subject = r.props.get("subject")
                match = K8S_SUBJECT.fullmatch(str(subject)) if subject is not UNKNOWN else None
                complete = complete and match is not None
                if match:
                    trusted[(match["ns"], match["sa"])] = r
        if not annotated and not trusted:
            continue
        for (t_ns, t_name), r in sorted(trusted.items()):
            if annotated and (t_ns, t_name) not in annotated:
                yield Finding(
                    r.urn,
                    f"{r.name} trusts ServiceAccount {t_ns}/{t_name}, which no ServiceAccount of this stack "
                    f"annotated with {key} is: it trusts a name nobody meant",
                )
        for (a_ns, a_name), sa in sorted(annotated.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
            if complete and (str(a_ns), a_name) not in trusted:
                yield Finding(
                    sa.urn,
                    f"ServiceAccount {a_ns}/{a_name} is annotated with {key} but no "
                    f"{'Workload Identity binding' if kinds == 'member' else 'federated credential'} trusts it",
                )


def _fic_issuers(resources: Sequence[Resource]) -> Iterator[Finding]:
    """Each federated credential trusts the OIDC issuer of the AKS cluster of this stack, not any https URL.

    Microsoft's workload identity walk-through sets the credential's ``issuer`` to the cluster's own
    ``oidcIssuerProfile.issuerUrl`` (``az aks show ... --query oidcIssuerProfile.issuerUrl``; MicrosoftDocs/azure-docs
    articles/aks/workload-identity-deploy-cluster.md, "Establish federated identity credential"): Entra then
    accepts only tokens that cluster signed for the subject. When the cluster's issuer URL is visible (CrossGuard's
    stack policies see outputs) the credential's issuer must equal it; in a plan (inputs only) it must at least be
    taken from the cluster (the credential depends on the ManagedCluster), so a fixed string fails."""
    fics = [r for r in resources if r.type == AZ_FIC]
    if not fics:
        return
    clusters = [r for r in resources if r.type == AKS]
    urns = {c.urn for c in clusters}
    known = {u for c in clusters if isinstance(u := dig(c.props, "oidcIssuerProfile.issuerURL"), str) and u}
    for f in fics:
        issuer = f.props.get("issuer")
        if issuer in (None, "") or issuer is UNKNOWN:
            continue  # unchecked (the rule's unknown says so); judged over placeholders in the plan
        if not clusters:
            yield Finding(
                f.urn, f"federated credential {f.name} trusts issuer {issuer!r}: this stack has no AKS cluster"
            )
        elif known and issuer not in known:
            yield Finding(
                f.urn,
                f"federated credential {f.name} trusts issuer {issuer!r}, not the cluster's OIDC issuer "
                f"({', '.join(sorted(known))})",
            )
        elif not known and not urns & set(f.depends_on):
            yield Finding(
                f.urn,
                f"federated credential {f.name} trusts issuer {issuer!r}, which is not taken from the AKS cluster's "
                "oidcIssuerProfile.issuerURL: give the cluster's issuer output",
            )


def _models_run_as_bound(resources: Sequence[Resource]) -> Iterator[Finding]:
    """The ServiceAccount each model runs as is the one its cloud identity is bound to.

    A pod naming a ServiceAccount that does not exist is refused ("It ensures the ServiceAccount referenced by the
    pod exists": kubernetes/kubernetes plugin/pkg/admission/serviceaccount/admission.go, ``NewServiceAccount``), and
    a ServiceAccount that carries a cloud identity in a model namespace but that no model runs as hands that identity
    to nobody we meant (the model runs without it). With the annotation and binding checks above this ties the chain
    InferenceService -> ServiceAccount -> annotation -> binding (IRSA sub, GKE member, Azure subject)."""
    sas = {(r.namespace, r.k8s_name): r for r in resources if r.type == K8S_SA}
    used: set[tuple[str | None, str]] = set()
    models = [r for r in resources if r.type == ISVC or is_k8s(r, "InferenceService")]
    for model in models:
        name = model.get("spec.predictor.serviceAccountName")
        if not isinstance(name, str) or name in ("", "default"):
            continue  # model-service-account judges the default ServiceAccount
        used.add((model.namespace, name))
        if (model.namespace, name) not in sas:
            yield Finding(
                model.urn,
                f"model {model.namespace}/{model.k8s_name} runs as ServiceAccount {model.namespace}/{name}, which this "
                "stack does not declare: its pods are refused, and its cloud identity is bound to another",
            )
    namespaces = {m.namespace for m in models}
    keys = (IRSA_ANNOTATION, GKE_SA_ANNOTATION, AZURE_SA_ANNOTATION)
    for (ns, name), sa in sorted(sas.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        annotations = as_map(sa.metadata.get("annotations"))
        key = next((k for k in keys if annotations.get(k) not in (None, "")), None)
        if ns in namespaces and key is not None and (ns, name) not in used:
            yield Finding(
                sa.urn,
                f"ServiceAccount {ns}/{name} carries a cloud identity ({key}) but no model in {ns} runs as it: the "
                "identity reaches no model, and the model it was made for runs without it",
            )


GSA = "gcp:serviceaccount/account:Account"
AZ_IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
_GSA_NAME = re.compile(r"projects/[^/]+/serviceAccounts/(?P<email>[^/@]+@[^/]+)", re.ASCII)


def _paired_bindings(resources: Sequence[Resource]) -> Iterator[Finding]:
    """Where the identities' own values are visible (CrossGuard's stack policies see outputs: a Google service
    account's ``email``, a user-assigned identity's ``clientId``), each Kubernetes ServiceAccount is trusted by the
    binding of the very identity its annotation names, not only by some binding: two models whose bindings name
    each other's ServiceAccount pass the name checks above but fail here. A binding belongs to the identity it
    depends on (an IAMMember on ``gsa.name``, a federated credential under ``identity.name``), or, on GKE, to the
    e-mail in its ``serviceAccountId`` (``projects/{PROJECT_ID}/serviceAccounts/{EMAIL_ADDRESS}``: IAM API
    projects.serviceAccounts.get, docs.cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/get). In a
    plan those values are unknown and nothing is paired."""
    owners: dict[str, tuple[str, str]] = {}  # identity URN -> (annotation key, the value the annotation carries)
    for r in resources:
        if r.type == GSA and isinstance(r.props.get("email"), str) and r.props["email"]:
            owners[r.urn] = (GKE_SA_ANNOTATION, r.props["email"])
        elif r.type == AZ_IDENTITY and isinstance(r.props.get("clientId"), str) and r.props["clientId"]:
            owners[r.urn] = (AZURE_SA_ANNOTATION, r.props["clientId"])
    trusts: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for r in resources:
        found: tuple[str, str] | None = None
        subject: re.Match[str] | None = None
        if r.type in (GSA_MEMBER, GSA_BINDING) and r.props.get("role") == WI_USER:
            sa_id = r.props.get("serviceAccountId")
            m = _GSA_NAME.fullmatch(sa_id) if isinstance(sa_id, str) else None
            found = (GKE_SA_ANNOTATION, m["email"]) if m else None
            members = [r.props.get("member")] if r.type == GSA_MEMBER else as_list(r.props.get("members"))
            subject = next((g for x in members if isinstance(x, str) and (g := GKE_MEMBER.fullmatch(x))), None)
        elif r.type == AZ_FIC and isinstance(r.props.get("subject"), str):
            subject = K8S_SUBJECT.fullmatch(r.props["subject"])
        if found is None:
            found = next((owners[d] for d in r.depends_on if d in owners), None)
        if found is not None and subject is not None:
            trusts.setdefault(found, set()).add((subject["ns"], subject["sa"]))
    for ns, name, marks, declared in annotated_service_accounts(resources):
        for key in (GKE_SA_ANNOTATION, AZURE_SA_ANNOTATION):
            value = marks.get(key)
            if not isinstance(value, str) or (key, value) not in trusts:
                continue
            if (str(ns), name) not in trusts[(key, value)]:
                others = ", ".join(f"{a}/{b}" for a, b in sorted(trusts[(key, value)]))
                yield Finding(
                    declared.urn,
                    f"ServiceAccount {ns}/{name} acts as {value} ({key}), whose binding trusts {others}, not it",
                )


def _binding(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """What only several resources together say (a StackValidationPolicy: CrossGuard runs it after the resources are
    registered): the GKE member names the cluster's workload pool; the ServiceAccount annotated with a role is the
    one that role trusts."""
    roles: dict[str, tuple[Resource, Mapping[str, Any]]] = {}
    pools = _gke_pools(resources)
    for r in resources:
        p = r.props
        if r.type == IAM_ROLE:
            doc = policy_document(p.get("assumeRolePolicy"))
            if doc is not None and isinstance(p.get("name"), str):
                roles[p["name"]] = (r, doc)
        elif r.type in (GSA_MEMBER, GSA_BINDING) and p.get("role") == WI_USER and pools:
            members = [p.get("member")] if r.type == GSA_MEMBER else as_list(p.get("members"))
            for m in members:
                match = GKE_MEMBER.fullmatch(str(m)) if m is not UNKNOWN else None
                if match and match["pool"] not in pools:
                    yield Finding(
                        r.urn,
                        f"{r.name} names workload pool {match['pool']}, not the cluster's ({', '.join(sorted(pools))})",
                    )
    yield from _ksa_bindings(resources)
    yield from _fic_issuers(resources)
    yield from _paired_bindings(resources)
    yield from _models_run_as_bound(resources)
    for ns, name, marks, declared in annotated_service_accounts(resources):
        arn = marks.get(IRSA_ANNOTATION)
        if not isinstance(arn, str) or "role/" not in arn:
            continue
        found = roles.get(arn.rsplit("/", 1)[-1])
        if found is None:
            continue
        want = f"system:serviceaccount:{ns}:{name}"
        got = irsa_subject(found[1])
        if got is not None and got != want:
            yield Finding(declared.urn, f"ServiceAccount {ns}/{name} uses role {found[0].name}, which trusts {got}")


# ------------------------------------------------------------------------------------------------ storage


S3_READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket")
"""The only S3 actions a model's identity needs: read an object (or a version of it) and list its prefix."""


def _s3_actions(st: Mapping[str, Any]) -> list[str]:
    return [a for a in _strings(st.get("Action")) if action_matches(a, "s3:x") or a.lower().startswith("s3:")]


def _bounded(value: str) -> bool:
    """A key or ``s3:prefix`` value that stays under one folder: no wildcard (one exact key or prefix), or a
    non-empty text ending in ``/`` before the first wildcard (``resnet50/v1/*``, never ``resnet50/v1*``)."""
    cut = min((i for i in (value.find("*"), value.find("?")) if i >= 0), default=-1)
    if cut < 0:
        return value != ""
    head = value[:cut]
    return head.endswith("/") and head.strip("/") != ""


def s3_problems(doc: Mapping[str, Any]) -> list[str]:
    """Why an IAM policy document grants S3 access beyond reading one bucket prefix."""
    problems = []
    for i, st in enumerate(statements(doc)):
        if st.get("Effect", "Allow") != "Allow":
            continue
        where = f"Statement[{i}]"
        if "NotAction" in st:
            problems.append(f"{where} uses NotAction: it grants every action not listed, S3 included")
            continue
        actions = _s3_actions(st)
        if not actions:
            continue
        if "NotResource" in st:
            problems.append(f"{where} uses NotResource with S3: grants everything not listed")
            continue
        wider = [a for a in actions if a.lower() not in {r.lower() for r in S3_READ_ACTIONS}]
        if wider:
            problems.append(
                f"{where} grants {', '.join(wider)}: a model reads; allow only {', '.join(S3_READ_ACTIONS)}"
            )
        for res in _strings(st.get("Resource")):
            m = _S3_ARN.fullmatch(res)
            if res == "*" or m is None:
                problems.append(f"{where} grants S3 on {res!r}: name the bucket and prefix")
                continue
            if not m["bucket"] or any(c in m["bucket"] for c in "*?"):
                problems.append(f"{where} grants S3 on {res!r}: a bucket wildcard reaches every bucket")
                continue
            key = m["key"]
            reads = [a for a in actions if a.lower().startswith("s3:getobject")]
            if key is not None and reads and (key == "" or key[0] in "*?"):
                problems.append(f"{where} reads every object of bucket {m['bucket']} ({res}): scope it to the prefix")
            elif key is not None and reads and not _bounded(key):
                problems.append(
                    f"{where} reads {res}: the prefix has no / boundary before its wildcard, so it also reaches "
                    "sibling prefixes (resnet50/v1* matches resnet50/v10/); end it with /*"
                )
            if key is None and any(a.lower() == "s3:listbucket" for a in actions):
                cond = st.get("Condition")
                prefixes = [
                    v
                    for op, keys in as_map(cond).items()
                    for k, vals in as_map(keys).items()
                    if k == "s3:prefix"
                    for v in _strings(vals)
                ]
                if not prefixes or any(p in ("", "*") or p[0] in "*?" for p in prefixes):
                    problems.append(f"{where} lists all of bucket {m['bucket']}: add a Condition on s3:prefix")
                elif not all(_bounded(p) for p in prefixes):
                    problems.append(
                        f"{where} lists bucket {m['bucket']} under s3:prefix {prefixes}: end a wildcard prefix "
                        "with /* (a / boundary)"
                    )
    return problems


WIDE_MANAGED = ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", *S3_MANAGED)
"""AWS managed policies that reach every bucket of the account: AmazonS3ReadOnlyAccess allows ``s3:Get*``,
``s3:List*`` on ``*`` (AWS Managed Policy reference, docs.aws.amazon.com/aws-managed-policy/latest/reference/
AmazonS3ReadOnlyAccess.html); AmazonS3FullAccess, AdministratorAccess, PowerUserAccess and ReadOnlyAccess are
wider still (same reference, pages of those names; only the AmazonS3ReadOnlyAccess page was read in this session)."""


def _managed_problem(arn: Any) -> str | None:
    if isinstance(arn, str) and ":iam::aws:policy/" in arn and arn.rsplit("/", 1)[-1] in WIDE_MANAGED:
        return f"attaches {arn}: it grants every bucket of the account"
    return None


LOG_WRITER_SUFFIXES = ("-request-logs-write", "-request-logs-writer-role")
"""Names of the request-log collector's grant and Azure role (components/platform/requestlog.py): the one identity
that writes, judged by ``request-log-write-only`` (policy/rules/requestlog.py) instead of this read-only rule."""


def _storage(r: Resource, facts: Facts) -> Iterator[str]:
    """One grant on its own (a CrossGuard ResourceValidationPolicy)."""
    if r.name.endswith(LOG_WRITER_SUFFIXES):
        return
    p = r.props
    if r.type in (IAM_ROLE_POLICY, IAM_POLICY):
        doc = policy_document(p.get("policy"))
        for problem in s3_problems(doc) if doc is not None else []:
            yield (f"IAM policy {r.name}: {problem}")
    elif r.type == IAM_ROLE:
        for arn in as_list(p.get("managedPolicyArns")):
            if wide := _managed_problem(arn):
                yield (f"IAM role {r.name} {wide}")
        for inline in as_list(p.get("inlinePolicies")):
            doc = policy_document(as_map(inline).get("policy"))
            for problem in s3_problems(doc) if doc is not None else []:
                yield (f"IAM role {r.name} inline policy: {problem}")
    elif r.type == IAM_ATTACHMENT:
        if wide := _managed_problem(p.get("policyArn")):
            yield (f"{r.name} {wide}")
    elif r.type in (GCS_MEMBER, GCS_BINDING):
        role = p.get("role")
        members = [p.get("member")] if r.type == GCS_MEMBER else as_list(p.get("members"))
        bucket = p.get("bucket")
        if isinstance(bucket, str) and any(c in bucket for c in "*?"):
            yield (f"{r.name} grants on bucket {bucket!r}: name one bucket")
        if role is not UNKNOWN and role not in GCS_READ_ROLES:
            yield (f"{r.name} grants {role} on bucket {bucket}: a model reads; give {GCS_READ_ROLES[0]}")
        public = [m for m in members if m in PUBLIC_MEMBERS]
        if public:
            yield (f"{r.name} grants bucket {bucket} to {', '.join(map(str, public))}")
    elif r.type in (PROJECT_MEMBER, PROJECT_BINDING):
        role = p.get("role")
        if isinstance(role, str) and role.startswith("roles/storage."):
            yield (f"{r.name} grants {role} on the whole project: grant it on the bucket")
    elif r.type == AZ_ROLE_ASSIGNMENT:
        role_id, scope = _role_id(r), p.get("scope")
        if scope is UNKNOWN or p.get("roleDefinitionId") is UNKNOWN:
            return
        if role_id in WIDE_AZURE_ROLES:
            if not isinstance(scope, str) or _reaches_storage(scope):
                yield (
                    f"{r.name} grants {WIDE_AZURE_ROLES[role_id]} on {scope!r}: that reaches every storage account "
                    "under it (account keys, or any role it assigns itself); a model reads: give Storage Blob Data "
                    "Reader on its container"
                )
            return
        in_storage = isinstance(scope, str) and _STORAGE_PROVIDER in scope.lower()
        if role_id not in STORAGE_DATA_ROLES and not in_storage:
            return
        if role_id != ROLE_BLOB_READER:
            what = STORAGE_DATA_ROLES.get(role_id, f"role {role_id}")
            yield f"{r.name} grants {what} on storage: a model reads; give Storage Blob Data Reader"
        if not isinstance(scope, str) or not AZURE_CONTAINER_SCOPE.fullmatch(scope):
            yield (f"{r.name} is scoped to {scope!r}: scope it to one blob container")


RULES = [
    Rule(
        name="workload-identity-trust",
        description=(
            "Each cloud identity trusts exactly one Kubernetes ServiceAccount: IRSA StringEquals sub and aud on the "
            "provider's issuer, GKE member serviceAccount:<pool>[ns/sa], Azure subject, issuer and audience."
        ),
        enforcement="mandatory",
        area="identity",
        applies_to=(IAM_ROLE, GSA_MEMBER, GSA_BINDING, PROJECT_MEMBER, PROJECT_BINDING, AZ_FIC),
        check_resource=_trust,
        unknown=lambda r: _unknown_doc(r) if r.type in (IAM_ROLE, GSA_MEMBER, AZ_FIC) else None,
        remediation="scope the trust to system:serviceaccount:<namespace>:<name> of the model's ServiceAccount",
    ),
    Rule(
        name="storage-read-least-privilege",
        description=(
            "Storage grants name one bucket (or container) and read only: no s3:*, no bucket or account wildcard, "
            "S3 reads and lists scoped to the prefix, GCS read roles on the bucket, Azure Blob Data Reader on one "
            "container."
        ),
        enforcement="mandatory",
        area="identity",
        applies_to=(
            IAM_ROLE,
            IAM_ROLE_POLICY,
            IAM_POLICY,
            IAM_ATTACHMENT,
            GCS_MEMBER,
            GCS_BINDING,
            PROJECT_MEMBER,
            AZ_ROLE_ASSIGNMENT,
        ),
        check_resource=_storage,
        unknown=lambda r: (
            _unknown_doc(r)
            if r.type in (IAM_ROLE_POLICY, IAM_POLICY, AZ_ROLE_ASSIGNMENT, GCS_MEMBER, GCS_BINDING)
            else None
        ),
        remediation="grant read on the model's own bucket prefix (or container) only",
    ),
    Rule(
        name="workload-identity-binding",
        description=(
            "Each identity binding agrees with the rest of the stack: the ServiceAccount a model runs as is declared "
            "and is the one its IRSA role, GKE Workload Identity member or Azure federated credential trusts (and "
            "no cloud identity sits on a ServiceAccount no model uses); a GKE member names the cluster's workload "
            "pool; an Azure federated credential trusts the AKS cluster's own OIDC issuer."
        ),
        enforcement="mandatory",
        area="identity",
        applies_to=(IAM_ROLE, K8S_SA, HELM_RELEASE, GSA, GSA_MEMBER, GSA_BINDING, AZ_IDENTITY, AZ_FIC, GKE, AKS, ISVC),
        check_stack=_binding,
        unknown=lambda r: (
            f"issuer of {r.name}"
            if r.type == AZ_FIC and (r.props.get("issuer") in (None, "") or r.props.get("issuer") is UNKNOWN)
            else None
        ),
        remediation="annotate the model's ServiceAccount with the role that trusts it; use the cluster's pool",
    ),
]
