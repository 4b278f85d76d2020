"""Values known only after deploy where the program never writes one (red team of issue #17, causes 4 and 6).

Cause 4: the plan's unknown marker (or NaN) placed in a value a mandatory rule compares made the rule pass, even
``check --strict --no-overrides``: the rules returned early on unknown without saying so. Every mandatory rule now
names what it could not judge through its ``unknown`` hook (policy/rules/base.py ``reading``), so the passing entry
says so and ``--strict`` fails it. Cause 6: ``judgedResources`` (the placeholder rendering the unknown documents are
judged over) must be the rendering of this plan's own resources (policy/check.py ``_tied``).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.plan.cli import EXIT_INVALID, EXIT_OK, EXIT_POLICY, main
from policy.rules import ALL_RULES, UNKNOWN, Facts, Resource
from support import saved_plan

UNKNOWN_TEXT = "(known after deploy)"
NO_RESOURCES = {"prod-protect-stateful", "budget", "resource-types-known"}
"""Mandatory rules that read no resource property: ``protect`` is a resource option, never unknown in a plan; the
budget reads the cost estimate; ``resource-types-known`` reads the type token only."""


@pytest.fixture(scope="module")
def plans() -> dict[str, dict[str, Any]]:
    """aws-dev and gcp-prod saved with ``mlplatform plan --json`` (each with its judgedResources)."""
    return {stack: saved_plan(stack) for stack in ("aws-dev", "gcp-prod")}


def _at(stack: dict[str, Any], key: str, name: str) -> dict[str, Any]:
    return next(r for r in stack[key] if r["name"] == name)


def _check(tmp: Path, doc: Any, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    path = tmp / "p.json"
    path.write_text(json.dumps(doc))
    code = main(["check", str(path), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _failing(out: str) -> dict[str, str]:
    rows = [ln for ln in out.splitlines() if "│ FAIL" in ln]
    return {ln.split("│")[1].strip(): ln for ln in rows}


def _set(inputs: dict[str, Any], path: str, value: Any) -> None:
    *head, last = path.split(".")
    for k in head:
        inputs = inputs[k]
    assert last in inputs, path
    inputs[last] = value


# (stack, resource name, input path, rule, what the passing entry names): the red team's G06t, G07t, G10t, G11t,
# G12t and N02c, each a value the program writes as a literal
SLIPS = [
    ("aws-dev", "mlplatform-eks", "publicAccessCidrs", "api-endpoint-restricted", "Cluster mlplatform-eks"),
    ("aws-dev", "mlplatform-eks", "enabledClusterLogTypes", "audit-logs", "enabledClusterLogTypes"),
    ("aws-dev", "mlplatform-eks", "nodeAssociatePublicIpAddress", "cluster-hardening", "nodeAssociatePublicIp"),
    (
        "aws-dev",
        "mlplatform-istiod",
        "values.meshConfig.pathNormalization.normalization",
        "mesh-path-normalization",
        "(istiod) values.meshConfig.pathNormalization.normalization",
    ),
    ("aws-dev", "mlplatform-eks", "tags", "required-tags", "Cluster mlplatform-eks tags"),
    ("gcp-prod", "qwen-chat-pdb", "spec.maxUnavailable", "pdb-allows-eviction", "qwen-chat-pdb spec.maxUnavailable"),
]

ALSO = {"pdb-allows-eviction": {"pdb-allows-eviction", "model-pdb", "pdb-protects-pods"}}
"""model-pdb reads the same PodDisruptionBudget bound (a model's PDB keeps an eviction possible), and so does
pdb-protects-pods (it keeps a pod)."""


@pytest.mark.parametrize(("stack", "name", "path", "rule", "named"), SLIPS, ids=[s[3] for s in SLIPS])
def test_an_unknown_where_the_program_writes_a_literal_fails_strict(
    plans: dict[str, dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stack: str,
    name: str,
    path: str,
    rule: str,
    named: str,
) -> None:
    """The slip's value hidden behind the unknown marker in the resources and in the judged rendering: the rule says
    what it could not judge, and ``--strict --no-overrides`` fails exactly that rule (it passed before)."""
    monkeypatch.setenv("COLUMNS", "500")
    doc = copy.deepcopy(plans[stack])
    st = doc["stacks"][0]
    for key in ("resources", "judgedResources"):
        _set(_at(st, key, name)["inputs"], path, UNKNOWN_TEXT)
    code, out, _ = _check(tmp_path, doc, capsys, "--strict", "--no-overrides")
    failing = _failing(out)
    assert code == EXIT_POLICY and set(failing) == ALSO.get(rule, {rule}), out
    assert "--strict: not checked, known only after deploy" in failing[rule] and named in failing[rule], failing
    # without --strict the entry passes and says what it did not see
    code, out, _ = _check(tmp_path, doc, capsys, "--no-overrides")
    assert code == EXIT_OK, out
    row = next(ln for ln in out.splitlines() if f"│ {rule} " in ln or f"│ {rule}│" in ln)
    assert "not checked, known only after deploy" in row and named in row, row


@pytest.mark.parametrize(("stack", "name", "path", "rule", "named"), SLIPS[:3], ids=[s[3] for s in SLIPS[:3]])
def test_an_unknown_in_the_resources_only_is_judged_over_the_judged_rendering(
    plans: dict[str, dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stack: str,
    name: str,
    path: str,
    rule: str,
    named: str,
) -> None:
    """The boundary: the unknown in the plain resources only. The rule is judged, as the plan judged it, over the
    placeholder rendering, which holds the slip's bad value: it fails even without ``--strict``."""
    monkeypatch.setenv("COLUMNS", "500")
    doc = copy.deepcopy(plans[stack])
    st = doc["stacks"][0]
    bad = {
        "publicAccessCidrs": ["0.0.0.0/0"],
        "enabledClusterLogTypes": ["api"],
        "nodeAssociatePublicIpAddress": True,
    }[path]
    _set(_at(st, "resources", name)["inputs"], path, UNKNOWN_TEXT)
    _set(_at(st, "judgedResources", name)["inputs"], path, bad)
    code, out, _ = _check(tmp_path, doc, capsys, "--no-overrides")
    assert code == EXIT_POLICY and set(_failing(out)) == {rule}, out


def test_the_shipped_plans_leave_the_new_hooks_nothing_unchecked(plans: dict[str, dict[str, Any]]) -> None:
    """The hooks name only values the program renders from outputs: on the shipped plans the one such value a
    non-document rule reads is aws-dev's aws:eks/cluster:Cluster encryptionConfig (pulumi-eks builds it from the
    KMS key's ARN), which secrets-encryption then judges over the placeholder rendering."""
    documents = {
        "workload-identity-trust",
        "storage-read-least-privilege",
        "iam-least-privilege",
        "workload-identity-binding",
        # IAM documents and trust policies, as iam-least-privilege (policy/clouds/aws.py, rev17d section)
        "aws-dns-records-scoped",
        "aws-controller-grants-scoped",
    }
    seen = set()
    for stack, doc in plans.items():
        saved = load_plan_from(doc)
        for rule in ALL_RULES:
            note = rule.unchecked(saved.resources)
            if note and rule.name not in documents:
                seen.add((stack, rule.name, note.split(";")[0]))
    assert seen == {
        (
            "aws-dev",
            "secrets-encryption",
            "not checked, known only after deploy: Cluster mlplatform-eks-eksCluster encryptionConfig",
        ),
        # fix17l: the subnets nodes use are the VPC's outputs (rev17k 03); GKE's zones a provider function's answer
        (
            "aws-dev",
            "cluster-hardening",
            "not checked, known only after deploy: Cluster mlplatform-eks privateSubnetIds, NodeGroup "
            "mlplatform-system subnetIds, ManagedNodeGroup mlplatform-system subnetIds",
        ),
        (
            "gcp-prod",
            "node-pools-span-zones",
            "not checked, known only after deploy: Cluster mlplatform-gke nodeLocations",
        ),
    }


def load_plan_from(doc: dict[str, Any]) -> Any:
    """The first stack of ``doc`` as ``check`` loads it."""
    import tempfile

    from policy.check import load_plan

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.json"
        path.write_text(json.dumps(doc))
        return load_plan(path)[0]


def test_every_mandatory_rule_that_reads_resources_has_an_unknown_hook() -> None:
    """The sweep: a mandatory rule without a hook would pass silently over an unknown it skipped."""
    missing = [r.name for r in ALL_RULES if r.enforcement == "mandatory" and r.unknown is None]
    assert sorted(missing) == sorted(NO_RESOURCES)


# ------------------------------------------------------------------------------------------------ NaN


def _pdb(spec: dict[str, Any]) -> Resource:
    return Resource(
        "kubernetes:policy/v1:PodDisruptionBudget",
        "p",
        "urn:pulumi:s::p::kubernetes:policy/v1:PodDisruptionBudget::p",
        {"metadata": {"name": "p", "namespace": "m"}, "spec": spec},
    )


@pytest.mark.parametrize(
    ("spec", "fails", "unchecked"),
    [
        ({"maxUnavailable": 1}, False, False),
        ({"maxUnavailable": 0}, True, False),
        ({"maxUnavailable": math.nan}, True, True),
        ({"minAvailable": math.nan}, True, True),
        ({"maxUnavailable": UNKNOWN}, False, True),
        ({"minAvailable": "50%"}, False, False),
    ],
)
def test_a_pdb_bound_of_nan_is_never_a_passing_number(spec: dict[str, Any], fails: bool, unchecked: bool) -> None:
    """Red team N02a/N02c: NaN compares false with every number, so it read as "lets one go"; the unknown marker
    passed silently. NaN now fails; both are named as not judged."""
    rule = next(r for r in ALL_RULES if r.name == "pdb-allows-eviction")
    res = _pdb(spec)
    assert bool(rule.run([res], Facts())) is fails
    assert bool(rule.unchecked([res])) is unchecked


HELM_NAN = [
    # the istio gateway chart's podDisruptionBudget, read through policy/rules/kubernetes.py HELM_PDBS (rendered: the
    # stack autoscales with minReplicas 2, istio/istio 1.30.3 manifests/charts/gateway/templates/
    # poddisruptionbudget.yaml)
    (
        "mlplatform-istio-gateway",
        "podDisruptionBudget.minAvailable",
        "(gateway) renders a PodDisruptionBudget with",
        ": drains would hang",
    ),
    # cert-manager's enabled podDisruptionBudget, read through the generic values walk (CHART_PDB_DEFAULTS)
    (
        "mlplatform-cert-manager",
        "podDisruptionBudget.maxUnavailable",
        "(cert-manager) values podDisruptionBudget:",
        "; drains would hang",
    ),
]


@pytest.mark.parametrize(("name", "path", "named", "tail"), HELM_NAN, ids=[n[0] for n in HELM_NAN])
def test_a_nan_in_helm_pdb_values_fails(
    plans: dict[str, dict[str, Any]], name: str, path: str, named: str, tail: str
) -> None:
    """Red team N02a on the Helm-values path: a release's PDB bound of NaN compares false with every number, so it
    read as "lets one go". A plan file cannot carry NaN (``check`` refuses it, test_policy_check_contract.py ``NAN``):
    it reaches the rules in process, like :func:`_pdb`'s. The release is gcp-prod's own (its values render the PDB);
    no PodDisruptionBudget object is judged (those have their own NaN check): only the values reader can fail it."""
    rule = next(r for r in ALL_RULES if r.name == "pdb-allows-eviction")
    r = _at(plans["gcp-prod"]["stacks"][0], "resources", name)
    props = copy.deepcopy(r["inputs"])
    release = Resource(r["type"], r["name"], r["urn"], props)
    assert rule.run([release], Facts()) == []  # as shipped: one pod may go
    *head, key = path.split(".")
    as_set = props["values"]
    for k in head:
        as_set = as_set[k]
    as_set[key] = math.nan  # given beside the shipped bound (gateway) or where the values give none (cert-manager)
    why = f"{key} NaN (not a number Kubernetes takes)"
    release = Resource(r["type"], r["name"], r["urn"], props)  # a judged resource is never edited in place: a new one
    assert [f.message for f in rule.run([release], Facts())] == [f"Helm release {props['name']} {named} {why}{tail}"]


def test_unknown_paths_boundaries() -> None:
    """The readers: the exact path, a map or list on the way, ``[]`` items, a last ``*`` (everything under), NaN."""
    from policy.rules.base import unknown_keys, unknown_path

    doc = {"a": {"b": [{"c": 1}, {"c": UNKNOWN}], "d": {"e": "x"}}, "n": math.nan}
    assert unknown_path(doc, "a.b[].c") == "a.b[1].c"
    assert unknown_path(doc, "a.d.e") is None
    assert unknown_path(doc, "a.missing.e") is None
    assert unknown_path({"a": UNKNOWN}, "a.d.e") == "a"
    assert unknown_path(doc, "a.*") == "a.b[1].c"
    assert unknown_path(doc, "a.d.*") is None
    assert unknown_path(doc, "n") == "n"
    values = {"serviceAccount": {"annotations": {"role": UNKNOWN}}, "pdb": {"minAvailable": 1}}
    assert unknown_keys(values, ("pdb", "replicaCount")) is None  # an unknown elsewhere hides nothing read
    values["pdb"]["minAvailable"] = UNKNOWN
    assert unknown_keys(values, ("pdb",)) == "pdb.minAvailable"
    assert unknown_keys(UNKNOWN, ("pdb",), "values") == "values"


# ------------------------------------------------------------------------------------------------ judgedResources


def _refused(tmp: Path, doc: Any, capsys: pytest.CaptureFixture[str], *words: str) -> None:
    code, _, err = _check(tmp, doc, capsys, "--strict", "--no-overrides")
    lines = err.strip().splitlines()
    assert code == EXIT_INVALID and len(lines) == 1, (code, err)
    assert all(w in lines[0] for w in words), lines[0]


def test_a_resource_deleted_from_judged_resources_only_is_refused(
    plans: dict[str, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team J05: the IRSA role with a bad trust policy deleted from judgedResources only; its rule would judge
    nothing for it. A resource without unknowns may be left out (the boundary: nothing is judged over it)."""
    doc = copy.deepcopy(plans["aws-dev"])
    st = doc["stacks"][0]
    st["judgedResources"] = [r for r in st["judgedResources"] if r["name"] != "resnet50-storage-role"]
    _refused(tmp_path, doc, capsys, "resnet50-storage-role", "judgedResources has no rendering of it")
    doc = copy.deepcopy(plans["aws-dev"])
    st = doc["stacks"][0]
    known = next(r for r in st["resources"] if r["type"] == "kubernetes:core/v1:Namespace")
    st["judgedResources"] = [r for r in st["judgedResources"] if r["urn"] != known["urn"]]
    assert _check(tmp_path, doc, capsys, "--strict", "--no-overrides")[0] == EXIT_OK


def test_judged_resources_from_another_stack_are_refused(
    plans: dict[str, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team J11: judgedResources copied from another stack's plan."""
    doc = copy.deepcopy(plans["aws-dev"])
    doc["stacks"][0]["judgedResources"] = copy.deepcopy(plans["gcp-prod"]["stacks"][0]["judgedResources"])
    _refused(tmp_path, doc, capsys, "stack aws-dev: judgedResources urn", "names stack gcp-prod")


def test_a_judged_resource_that_is_not_a_resource_is_refused(
    plans: dict[str, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A judged rendering of a resource the plan does not hold (or of another type) is refused."""
    doc = copy.deepcopy(plans["aws-dev"])
    st = doc["stacks"][0]
    extra = copy.deepcopy(st["judgedResources"][-1])
    extra["urn"] = extra["urn"] + "-extra"
    st["judgedResources"].append(extra)
    _refused(tmp_path, doc, capsys, "is not one of this plan's resources")


Mutate = Callable[[dict[str, Any]], None]


def _foreign_stack(r: dict[str, Any]) -> None:
    r["urn"] = r["urn"].replace("urn:pulumi:aws-dev::", "urn:pulumi:aws-prod::", 1)


def _other_type(r: dict[str, Any]) -> None:
    r["urn"] = r["urn"].replace("aws:iam/role:Role::", "aws:iam/user:User::", 1)


def _not_a_urn(r: dict[str, Any]) -> None:
    r["urn"] = "resnet50-storage-role"


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (_foreign_stack, ("names stack aws-prod",)),
        (_other_type, ("names type aws:iam/user:User, not the resource's type aws:iam/role:Role",)),
        (_not_a_urn, ("is not a Pulumi URN",)),
    ],
)
def test_a_urn_must_be_the_stacks_own(
    plans: dict[str, dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    mutate: Mutate,
    words: tuple[str, ...],
) -> None:
    """Every URN names this stack and the resource's own type (pulumi/pulumi sdk/go/common/resource/urn.go)."""
    doc = copy.deepcopy(plans["aws-dev"])
    st = doc["stacks"][0]
    for key in ("resources", "judgedResources"):
        mutate(_at(st, key, "resnet50-storage-role"))
    _refused(tmp_path, doc, capsys, "stack aws-dev: resources urn", *words)


def test_a_lookalike_type_in_judged_resources_is_refused(
    plans: dict[str, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team J08: the bad role's type with a Cyrillic o (U+043E) in judgedResources only."""
    doc = copy.deepcopy(plans["aws-dev"])
    role = _at(doc["stacks"][0], "judgedResources", "resnet50-storage-role")
    role["type"] = role["type"].replace("Role", "R\u043ele")
    _refused(tmp_path, doc, capsys, "judgedResources[", "is not allowed")
