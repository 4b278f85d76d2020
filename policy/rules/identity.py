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

The checks of each cloud are its share of these rules in its policy module (policy/rules/percloud.py, registered in
components/clouds.py); this module holds what every cloud shares: the ServiceAccounts a stack declares (Helm charts'
included), which ServiceAccount each model runs as, and how a cloud's bindings are paired with the annotated
ServiceAccounts (:func:`ksa_bindings`, :func:`paired_bindings`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from policy.rules import percloud
from policy.rules.base import Facts, Finding, Resource, Rule, as_map, is_k8s

K8S_SA = "kubernetes:core/v1:ServiceAccount"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"

K8S_NAME = r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?"
"""A Kubernetes namespace or ServiceAccount name as a regex fragment (DNS names), for subjects that embed one."""
K8S_SUBJECT = re.compile(rf"system:serviceaccount:(?P<ns>{K8S_NAME}):(?P<sa>{K8S_NAME})", re.ASCII)
"""A Kubernetes ServiceAccount token's ``sub``: one namespace, one name (DNS names; no wildcard)."""

Subject = tuple[str, str]
"""A Kubernetes ServiceAccount: (namespace, name)."""


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


def ksa_bindings(
    resources: Sequence[Resource],
    key: str,
    noun: str,
    subjects: Callable[[Resource], list[Subject | None] | None],
) -> Iterator[Finding]:
    """The Kubernetes ServiceAccounts annotated with ``key`` (to act as a cloud identity) and the ServiceAccounts the
    cloud's bindings trust are the same (the IRSA check's counterpart on clouds whose binding names the
    ServiceAccount). ``subjects`` gives, for a binding (``noun``), the ServiceAccount each of its members or subjects
    names (None for one that is unknown or not one ServiceAccount), and None for another resource. A binding for a
    ServiceAccount the stack does not annotate trusts a name nobody meant; an annotated ServiceAccount no binding
    names gets no credentials (or someone else's)."""
    annotated = {
        (ns, name): declared
        for ns, name, marks, declared in annotated_service_accounts(resources)
        if marks.get(key) not in (None, "")
    }
    trusted: dict[Subject, Resource] = {}
    complete = True
    for r in resources:
        for match in subjects(r) or []:
            # an unknown member, or one that is not one ServiceAccount (workload-identity-trust fails it): which
            # ServiceAccounts it trusts cannot be told
            complete = complete and match is not None
            if match:
                trusted[match] = r
    if not annotated and not trusted:
        return
    for (t_ns, t_name), r in sorted(trusted.items()):
        if annotated and (t_ns, t_name) not in annotated:
            yield Finding(
                r.urn,
                f"{r.name} trusts ServiceAccount {t_ns}/{t_name}, which no ServiceAccount of this stack "
                f"annotated with {key} is: it trusts a name nobody meant",
            )
    for (a_ns, a_name), sa in sorted(annotated.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        if complete and (str(a_ns), a_name) not in trusted:
            yield Finding(sa.urn, f"ServiceAccount {a_ns}/{a_name} is annotated with {key} but no {noun} trusts it")


def paired_bindings(
    resources: Sequence[Resource],
    key: str,
    owner: Callable[[Resource], str | None],
    trust: Callable[[Resource], tuple[str | None, Subject | None] | None],
) -> Iterator[Finding]:
    """Where the identities' own values are visible (CrossGuard's stack policies see outputs), each Kubernetes
    ServiceAccount annotated with ``key`` is trusted by the binding of the very identity its annotation names, not
    only by some binding: two models whose bindings name each other's ServiceAccount pass the name checks but fail
    here. ``owner`` gives the value an identity's annotation carries (None for another resource); ``trust`` gives,
    for a binding, the identity it names itself (or None) and the ServiceAccount it trusts (or None), and None for
    another resource. A binding that does not name its identity belongs to the identity it depends on. In a plan
    those values are unknown and nothing is paired."""
    owners = {r.urn: value for r in resources if (value := owner(r)) is not None}
    trusts: dict[str, set[Subject]] = {}
    for r in resources:
        pair = trust(r)
        if pair is None:
            continue
        found, subject = pair
        if found is None:
            found = next((owners[d] for d in r.depends_on if d in owners), None)
        if found is not None and subject is not None:
            trusts.setdefault(found, set()).add(subject)
    for ns, name, marks, declared in annotated_service_accounts(resources):
        value = marks.get(key)
        if not isinstance(value, str) or value not in trusts:
            continue
        if (str(ns), name) not in trusts[value]:
            others = ", ".join(f"{a}/{b}" for a, b in sorted(trusts[value]))
            yield Finding(
                declared.urn,
                f"ServiceAccount {ns}/{name} acts as {value} ({key}), whose binding trusts {others}, not it",
            )


def _models_run_as_bound(resources: Sequence[Resource]) -> Iterator[Finding]:
    """The ServiceAccount each model runs as is the one its cloud identity is bound to.

    A pod naming a ServiceAccount that does not exist is refused ("It ensures the ServiceAccount referenced by the
    pod exists": kubernetes/kubernetes plugin/pkg/admission/serviceaccount/admission.go, ``NewServiceAccount``), and
    a ServiceAccount that carries a cloud identity in a model namespace but that no model runs as hands that identity
    to nobody we meant (the model runs without it). With each cloud's annotation and binding checks this ties the
    chain InferenceService -> ServiceAccount -> annotation -> binding. The annotation keys are the clouds'
    (:attr:`policy.rules.percloud.CloudPolicy.sa_annotations`)."""
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
    keys = percloud.sa_annotations()
    for (ns, name), sa in sorted(sas.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        annotations = as_map(sa.metadata.get("annotations"))
        key = next((k for k in keys if annotations.get(k) not in (None, "")), None)
        if ns in namespaces and key is not None and (ns, name) not in used:
            yield Finding(
                sa.urn,
                f"ServiceAccount {ns}/{name} carries a cloud identity ({key}) but no model in {ns} runs as it: the "
                "identity reaches no model, and the model it was made for runs without it",
            )


def _binding(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    """What only several resources together say (a StackValidationPolicy: CrossGuard runs it after the resources are
    registered): each cloud's share (its bindings against the annotated ServiceAccounts and the cluster), then the
    ServiceAccount each model runs as."""
    yield from percloud.check_stack("workload-identity-binding")(resources, facts)
    yield from _models_run_as_bound(resources)


RULES = [
    Rule(
        name="workload-identity-trust",
        description="Each cloud identity trusts exactly one Kubernetes ServiceAccount: {clouds}.",
        enforcement="mandatory",
        area="identity",
        check_resource=percloud.check_resource("workload-identity-trust"),
        check_stack=percloud.check_stack("workload-identity-trust"),
        unknown=percloud.unknown("workload-identity-trust"),
        remediation=(
            "scope the trust to system:serviceaccount:<namespace>:<name> of the ServiceAccount that uses the identity "
            "(a model's, or the one a cluster add-on runs as)"
        ),
    ),
    Rule(
        name="storage-read-least-privilege",
        description="Storage grants name one bucket (or container) and read only: {clouds}.",
        enforcement="mandatory",
        area="identity",
        check_resource=percloud.check_resource("storage-read-least-privilege"),
        unknown=percloud.unknown("storage-read-least-privilege"),
        remediation="grant read on the model's own bucket prefix (or container) only",
    ),
    Rule(
        name="workload-identity-binding",
        description=(
            "Each identity binding agrees with the rest of the stack: the ServiceAccount a model runs as is declared "
            "and is the one its cloud identity trusts (and no cloud identity sits on a ServiceAccount no model "
            "uses){; clouds}."
        ),
        enforcement="mandatory",
        area="identity",
        check_stack=_binding,
        unknown=percloud.unknown("workload-identity-binding"),
        remediation="annotate the model's ServiceAccount with the role that trusts it; use the cluster's pool",
    ),
]
