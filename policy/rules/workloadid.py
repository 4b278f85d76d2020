"""The Azure Workload Identity tie of a Helm release (the sixth hostile review of issue #17, /work/wt/rev17f-report.md
s16, s17).

``helm-workload-identity-pod-label``: a Helm release whose ``values.serviceAccount.annotations`` carry
``azure.workload.identity/client-id`` (cert-manager's and external-dns's releases on AKS with ``platform.dns``: the
identity that writes the zone's records) puts the pod label ``azure.workload.identity/use: "true"`` on its pods
through the chart's top-level ``values.podLabels``. Azure Workload Identity's mutating webhook injects the
federated token, ``AZURE_CLIENT_ID`` and the authority only into pods that carry that label: "For applications using
Workload Identity it is now required to add the label 'azure.workload.identity/use: "true"' pod label" and the
Pod labels table, ``azure.workload.identity/use``, "Represents the pod is to be used for workload identity",
required (MicrosoftDocs/azure-docs articles/aks/workload-identity-overview.md, "Pod labels"; the same Pod label
table in Azure/azure-workload-identity docs/book/src/topics/service-account-labels-and-annotations.md). Without it
the pod has no Azure credential: cert-manager's DNS-01 challenge and external-dns's record updates fail, and the
gateway's certificate is never issued or renewed (availability).

The charts' key: cert-manager v1.21.1 ``podLabels: {}`` ("Optional additional labels to add to the controller
Pods", /work/shared/upstream/chart-values/cert-manager-v1.21.1.yaml; cert-manager.io/docs/configuration/acme/dns01/
azuredns sets ``podLabels`` for Workload Identity); external-dns chart 1.21.1 ``podLabels: {}`` (kubernetes-sigs/
external-dns charts/external-dns/values.yaml, read at a stored version: the search tools do not hold the
external-dns-helm-chart-1.21.1 tag). The rule keeps its own literals (components/clusters/aks.py
``CLIENT_ID_ANNOTATION``, ``USE_LABEL`` restated, not imported).
"""

from __future__ import annotations

from collections.abc import Iterator

from policy.rules.base import UNKNOWN, Facts, Resource, Rule, as_map, who

HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
CLIENT_ID = "azure.workload.identity/client-id"
USE_LABEL = "azure.workload.identity/use"


def _uses_workload_identity(values: object) -> bool:
    annotations = as_map(as_map(as_map(values).get("serviceAccount")).get("annotations"))
    return CLIENT_ID in annotations


def _tie(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type not in HELM_TYPES:
        return
    values = res.props.get("values")
    if values is UNKNOWN or not _uses_workload_identity(values):
        return
    labels = as_map(values).get("podLabels")
    if labels is UNKNOWN:
        return
    got = as_map(labels).get(USE_LABEL)
    if got is UNKNOWN:
        return
    if got != "true":
        shown = "absent" if got is None else repr(got)
        yield (
            f"{who(res)}: values.serviceAccount.annotations carry {CLIENT_ID} but values.podLabels {USE_LABEL} is "
            f'{shown}, not "true": Azure Workload Identity\'s webhook injects the token only into labelled pods, so '
            "the release's pods have no Azure credential"
        )


def _unknown(res: Resource) -> str | None:
    """What the rule could not judge: a Helm release's values, service account annotations or pod labels known only
    after deploy (the label may be missing from a release whose identity is not yet known)."""
    if res.type not in HELM_TYPES:
        return None
    values = res.props.get("values")
    if values is UNKNOWN:
        return f"{who(res)} values"
    sa = as_map(values).get("serviceAccount")
    if sa is UNKNOWN or as_map(sa).get("annotations") is UNKNOWN:
        return f"{who(res)} values.serviceAccount.annotations"
    if not _uses_workload_identity(values):
        return None
    labels = as_map(values).get("podLabels")
    if labels is UNKNOWN or as_map(labels).get(USE_LABEL) is UNKNOWN:
        return f"{who(res)} values.podLabels"
    return None


RULES = [
    Rule(
        name="helm-workload-identity-pod-label",
        description=(
            "A Helm release whose serviceAccount annotations carry azure.workload.identity/client-id labels its pods "
            'azure.workload.identity/use: "true" (values.podLabels): Azure Workload Identity injects the token only '
            "into labelled pods (cert-manager's and external-dns's DNS identity on AKS)."
        ),
        enforcement="mandatory",
        area="identity",
        applies_to=HELM_TYPES,
        check_resource=_tie,
        remediation=(
            "Keep components/platform/certmanager.py values() and components/platform/dns.py values() setting "
            "podLabels from the cluster's DnsAccess.pod_labels."
        ),
        unknown=_unknown,
    )
]
