"""``workload-identity-binding`` on GKE and AKS (issue #17 item 5): the ServiceAccounts annotated to act as a cloud
identity and the subjects the bindings trust are the same ServiceAccounts. Boundary cases and the gcp-prod and
azure-staging plans mutated so a binding names another ServiceAccount."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from components.plan.project import find_project
from policy.rules import Resource, run_rules
from support import ROOT, rules_named, rules_plan

PROJECT = find_project(ROOT)
RULE = "workload-identity-binding"
SA = "kubernetes:core/v1:ServiceAccount"
WI = "gcp:serviceaccount/iAMMember:IAMMember"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"


def _fails(resources: list[Resource]) -> list[str]:
    return [
        e["message"] for e in run_rules(resources, rules=rules_named(RULE)) if e["policy"] == RULE and not e["passed"]
    ]


def _sa(name: str, key: str) -> Resource:
    meta = {"name": name, "namespace": "models", "annotations": {key: "x"}}
    return Resource(SA, name, f"urn:{name}", {"metadata": meta})


def _wi(sa: str) -> Resource:
    member = f"serviceAccount:p.svc.id.goog[models/{sa}]"
    return Resource(WI, "wi", "urn:wi", {"role": "roles/iam.workloadIdentityUser", "member": member})


def _fic(sa: str) -> Resource:
    return Resource(FIC, "fic", "urn:fic", {"subject": f"system:serviceaccount:models:{sa}"})


GKE_KEY, AZ_KEY = "iam.gke.io/gcp-service-account", "azure.workload.identity/client-id"


@pytest.mark.parametrize(
    ("resources", "fragment"),
    [
        ([_sa("m-sa", GKE_KEY), _wi("m-sa")], None),
        ([_sa("m-sa", GKE_KEY), _wi("other")], "trusts ServiceAccount models/other"),
        ([_sa("m-sa", GKE_KEY)], "no Workload Identity binding trusts it"),
        ([_sa("m-sa", AZ_KEY), _fic("m-sa")], None),
        ([_sa("m-sa", AZ_KEY), _fic("other")], "trusts ServiceAccount models/other"),
        ([_sa("m-sa", AZ_KEY)], "no federated credential trusts it"),
        ([_wi("m-sa")], None),  # no annotated ServiceAccount in the stack: nothing to compare with
    ],
)
def test_bindings_match_the_annotated_service_accounts(resources: list[Resource], fragment: str | None) -> None:
    found = _fails(resources)
    assert (found == []) if fragment is None else any(fragment in f for f in found), found


def _plan(stack: str) -> list[Resource]:
    return list(rules_plan(stack)[0])  # planned once per test process (tests/support.py)


@pytest.mark.parametrize(("stack", "typ", "key"), [("gcp-prod", WI, "member"), ("azure-staging", FIC, "subject")])
def test_shipped_plan_binding_renamed(stack: str, typ: str, key: str) -> None:
    resources = _plan(stack)
    assert _fails(resources) == []
    out, hit = [], 0
    for r in resources:
        if r.type == typ and isinstance(r.props.get(key), str) and not hit:
            props: dict[str, Any] = copy.deepcopy(dict(r.props))
            value = props[key]
            # the slip: the binding names another ServiceAccount of the namespace (a typo, a copy-paste)
            props[key] = value[:-1] + "-typo]" if value.endswith("]") else value + "-typo"
            r = replace(r, props=props)
            hit += 1
        out.append(r)
    assert hit
    found = _fails(out)
    assert any("which no ServiceAccount of this stack" in f for f in found), found
