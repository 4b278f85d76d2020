"""Slips of the third hostile review of #17 (/work/wt/rev17c-uncaught.md) in pods the platform hardens outside the
model pods and in the model's components: p03/p04 (the request-log collector), p05/p06 (KEDA), s03/s05/s08/s09 (a
model's transformer and explainer). Each over a real plan (a coverage stack, or a shipped stack with the add-on
turned on as the reviewer did), mutated like the slip, with its boundaries: the rule named is the only one failing."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from policy_support import failures

from components.plan.engine import run_program
from components.plan.project import load_project, read_stack_file
from policy.rules import Resource, StackSettings, resources_from_plan, run_rules
from support import ROOT, cover_plan, mutated_resources, rules_named, shared_cache

"""Advisory rules shipped stacks report by design (as tests/policy/test_policy_mutated_plans.py)."""


coverage = cover_plan
"""A cover stack's plan (tests/golden_stacks, tests/support.py): cover-aws-node-groups logs requests and has a
transformer and KServe's ART explainer (Knative); cover-gcp-standard installs KEDA (an LLM scaling on vLLM's queue)."""


@shared_cache
def with_platform(stack: str, extra: str, value: Any) -> tuple[tuple[Resource, ...], StackSettings]:
    """A shipped stack with one more ``platform`` setting (``keda: true`` on gcp-prod: KEDA with HA), its secrets
    kept secret."""
    project = load_project(ROOT)
    cfg = read_stack_file(project, stack)
    config = dict(cfg.config)
    platform = json.loads(config["mlplatform:platform"])
    config["mlplatform:platform"] = json.dumps({**platform, extra: value})
    result = run_program(
        project.root, stack, config, cfg.secret_keys, main=project.main, project=project.name, outputs="fake"
    )
    return tuple(resources_from_plan(result)), StackSettings.from_config(config)


def mutate(
    resources: tuple[Resource, ...], pick: Callable[[Resource], bool], change: Callable[[dict[str, Any]], None]
) -> list[Resource]:
    """The resources with one resource's props changed (tests/support.py)."""
    return mutated_resources(resources, pick, change, exactly=1)


def caught(
    base: tuple[tuple[Resource, ...], StackSettings],
    rule: str,
    pick: Callable[[Resource], bool],
    change: Callable[[dict[str, Any]], None],
) -> list[str]:
    """``rule`` passes on the plan and is the only rule failing once ``change`` is applied: its messages."""
    resources, settings = base
    assert not failures(resources, settings)
    found = failures(mutate(resources, pick, change), settings)
    assert list(found) == [rule], found
    return found[rule]


def release(chart: str) -> Callable[[Resource], bool]:
    return lambda r: r.type.endswith(":Release") and str(r.props.get("chart", "")).rsplit("/", 1)[-1] == chart


def namespace(name: str) -> Callable[[Resource], bool]:
    return lambda r: r.type == "kubernetes:core/v1:Namespace" and r.k8s_name == name


def isvc(name: str) -> Callable[[Resource], bool]:
    return lambda r: r.type.endswith(":InferenceService") and r.k8s_name == name


def at(*path: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def get(props: dict[str, Any]) -> dict[str, Any]:
        node: Any = props
        for p in path:
            node = node[int(p)] if isinstance(node, list) else node[p]
        assert isinstance(node, dict)
        return node

    return get


def setting(
    where: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: Any
) -> Callable[[dict[str, Any]], None]:
    """Set ``key`` to ``value`` in the map ``where`` finds (None deletes it)."""

    def change(props: dict[str, Any]) -> None:
        node = where(props)
        if value is None:
            del node[key]
        else:
            node[key] = value

    return change


RESTRICTED = "pod-restricted-hardening"
NAMESPACES = "privileged-namespaces-listed"

# ------------------------------------------------------------------------------------------------ p03 collector


def test_request_log_collector_may_run_as_root_cover_aws() -> None:
    """p03: requestlog.py ``"runAsNonRoot": False`` in the vector values' podSecurityContext."""
    (msg,) = caught(
        coverage("cover-aws-node-groups"), RESTRICTED, release("vector"),
        setting(at("values", "podSecurityContext"), "runAsNonRoot", False),
    )  # fmt: skip
    assert "vector" in msg and "runAsNonRoot is False" in msg


@pytest.mark.parametrize(
    ("path", "key", "value", "fragment"),
    [
        (("values", "securityContext"), "allowPrivilegeEscalation", True, "allowPrivilegeEscalation is True"),
        (("values", "securityContext"), "allowPrivilegeEscalation", None, "allowPrivilegeEscalation is None"),
        (("values", "securityContext", "capabilities"), "drop", ["NET_RAW"], "capabilities.drop does not include ALL"),
        (("values", "podSecurityContext", "seccompProfile"), "type", "Unconfined", "seccompProfile.type is"),
        (("values", "podSecurityContext"), "seccompProfile", None, "seccompProfile.type is None"),
        (("values",), "securityContext", None, "sets no values securityContext"),
    ],
)
def test_request_log_collector_boundaries(path: tuple[str, ...], key: str, value: Any, fragment: str) -> None:
    msgs = caught(coverage("cover-aws-node-groups"), RESTRICTED, release("vector"), setting(at(*path), key, value))
    assert any(fragment in m for m in msgs), msgs


def test_collector_non_root_on_the_container_alone_still_passes() -> None:
    """runAsNonRoot moved from the pod to the container is the same promise (restricted reads either)."""
    resources, settings = coverage("cover-aws-node-groups")

    def move(props: dict[str, Any]) -> None:
        del props["values"]["podSecurityContext"]["runAsNonRoot"]
        props["values"]["securityContext"]["runAsNonRoot"] = True

    assert RESTRICTED not in failures(mutate(resources, release("vector"), move), settings)


# ------------------------------------------------------------------------------------------------ p04 namespaces


@pytest.mark.parametrize("level", ["baseline", "privileged", None])
def test_request_logs_namespace_not_restricted_cover_aws(level: str | None) -> None:
    """p04: requestlog.py ``pod_security="baseline"`` (and the label dropped, or privileged)."""
    msgs = caught(
        coverage("cover-aws-node-groups"), NAMESPACES, namespace("request-logs"),
        setting(at("metadata", "labels"), "pod-security.kubernetes.io/enforce", level),
    )  # fmt: skip
    assert any("namespace request-logs enforces the Pod Security level" in m and "not restricted" in m for m in msgs)


def test_keda_namespace_not_restricted_cover_gcp() -> None:
    msgs = caught(
        coverage("cover-gcp-standard"), NAMESPACES, namespace("keda"),
        setting(at("metadata", "labels"), "pod-security.kubernetes.io/enforce", "baseline"),
    )  # fmt: skip
    assert any("namespace keda enforces the Pod Security level 'baseline'" in m for m in msgs)


def test_request_logs_namespace_audit_only_is_not_enforcing() -> None:
    """restricted on ``audit``/``warn`` with ``enforce`` baseline: still caught (only enforce rejects pods)."""
    resources, settings = coverage("cover-aws-node-groups")

    def audit_only(props: dict[str, Any]) -> None:
        labels = props["metadata"]["labels"]
        labels["pod-security.kubernetes.io/enforce"] = "baseline"
        labels["pod-security.kubernetes.io/audit"] = "restricted"

    assert NAMESPACES in failures(mutate(resources, namespace("request-logs"), audit_only), settings)


# ------------------------------------------------------------------------------------------------ p06 KEDA


@pytest.mark.parametrize("component", ["operator", "metricServer", "webhooks"])
def test_keda_escalation_cover_gcp(component: str) -> None:
    """p06: keda.py ``"allowPrivilegeEscalation": True`` (every component's container context)."""
    msgs = caught(
        coverage("cover-gcp-standard"), RESTRICTED, release("keda"),
        setting(at("values", "securityContext", component), "allowPrivilegeEscalation", True),
    )  # fmt: skip
    assert any(f"securityContext.{component}" in m and "allowPrivilegeEscalation is True" in m for m in msgs), msgs


@pytest.mark.parametrize(
    ("path", "key", "value", "fragment"),
    [
        (("values", "podSecurityContext", "operator"), "runAsNonRoot", False, None),
        (("values", "securityContext", "operator"), "runAsNonRoot", False, "runAsNonRoot is False"),
        (("values", "securityContext", "webhooks"), "runAsNonRoot", False, "runAsNonRoot is False"),
        (("values", "securityContext", "metricServer", "capabilities"), "drop", [], "drop does not include ALL"),
        (("values", "securityContext", "operator"), "seccompProfile", None, None),
        (("values", "securityContext"), "metricServer", None, "sets no values securityContext.metricServer"),
    ],
)
def test_keda_boundaries(path: tuple[str, ...], key: str, value: Any, fragment: str | None) -> None:
    resources, settings = coverage("cover-gcp-standard")
    found = failures(mutate(resources, release("keda"), setting(at(*path), key, value)), settings)
    if fragment is None:
        # the container's own setting still holds (restricted reads the container's, else the pod's): the pod's
        # runAsNonRoot false under the container's true, the container's seccomp gone under the pod's RuntimeDefault
        assert RESTRICTED not in found, found
        return
    assert list(found) == [RESTRICTED], found
    assert any(fragment in m for m in found[RESTRICTED]), found


# ------------------------------------------------------------------------------------------------ s08 ART explainer


def test_art_explainer_without_security_context_cover_aws() -> None:
    """s08: _kcomponents.py ``art["securityContext"] = ...`` deleted: the ART container runs with the image's."""
    resources, settings = coverage("cover-aws-node-groups")
    assert not failures(resources, settings)
    found = failures(
        mutate(resources, isvc("resnet50"), setting(at("spec", "explainer", "art"), "securityContext", None)), settings
    )
    # no-privileged-containers now reads the ART container too (it may run as root without the context)
    assert set(found) == {RESTRICTED, "no-privileged-containers"}, found
    assert any("spec.explainer.art" in m and "allowPrivilegeEscalation" in m for m in found[RESTRICTED]), found


@pytest.mark.parametrize(
    ("component", "key", "value"),
    [
        (("explainer", "art", "securityContext"), "allowPrivilegeEscalation", True),
        (("transformer", "containers", "0", "securityContext"), "runAsNonRoot", False),
        (("transformer", "containers", "0", "securityContext"), "allowPrivilegeEscalation", None),
    ],
)
def test_component_containers_lose_hardening_cover_aws(component: tuple[str, ...], key: str, value: Any) -> None:
    resources, settings = coverage("cover-aws-node-groups")
    found = failures(mutate(resources, isvc("resnet50"), setting(at("spec", *component), key, value)), settings)
    assert RESTRICTED in found, found
    assert set(found) <= {RESTRICTED, "no-privileged-containers"}, found
    assert any(f"spec.{component[0]}" in m for m in found[RESTRICTED]), found


# ------------------------------------------------------------------------------------------------ s03 component SA

SA_RULE = "model-service-account"


@pytest.mark.parametrize(
    ("stack", "model", "component"),
    [
        ("cover-aws-node-groups", "resnet50", "transformer"),
        ("cover-aws-node-groups", "resnet50", "explainer"),
        ("cover-gcp-standard", "bert", "transformer"),
    ],
)
def test_component_without_service_account(stack: str, model: str, component: str) -> None:
    """s03: _kcomponents.py ``"serviceAccountName": given.service_account`` deleted: the component runs as the
    namespace's default ServiceAccount, which the predictor refuses."""
    resources, _ = coverage(stack)
    sa = next(r for r in resources if isvc(model)(r)).props["spec"]["predictor"]["serviceAccountName"]
    (msg,) = caught(coverage(stack), SA_RULE, isvc(model), setting(at("spec", component), "serviceAccountName", None))
    assert f"spec.{component} runs as the namespace's default ServiceAccount, not the model's {sa!r}" in msg


@pytest.mark.parametrize(("value", "fragment"), [("default", "default ServiceAccount"), ("other-sa", "'other-sa'")])
def test_component_service_account_boundaries(value: str, fragment: str) -> None:
    (msg,) = caught(
        coverage("cover-aws-node-groups"), SA_RULE, isvc("resnet50"),
        setting(at("spec", "transformer"), "serviceAccountName", value),
    )  # fmt: skip
    assert fragment in msg


def test_component_service_account_unknown_is_named_not_passed() -> None:
    """A component's ServiceAccount known only after deploy is named as unchecked, not read as a pass or a fail."""
    from policy.rules import UNKNOWN

    resources, settings = coverage("cover-aws-node-groups")
    changed = mutate(resources, isvc("resnet50"), setting(at("spec", "transformer"), "serviceAccountName", UNKNOWN))
    assert SA_RULE not in failures(changed, settings)
    found = [e for e in run_rules(changed, settings, rules=rules_named(SA_RULE)) if e["policy"] == SA_RULE]
    assert any("spec.transformer.serviceAccountName" in str(e.get("unchecked")) for e in found), found


# ------------------------------------------------------------------------------------------------ s09 predictor rule


def authz(name: str) -> Callable[[Resource], bool]:
    return lambda r: r.type.endswith(":AuthorizationPolicy") and r.k8s_name == name


def component_rule(stack: str, policy: str) -> int:
    """The index of the predictor policy's rule admitting the model's components (its principal)."""
    resources, _ = coverage(stack)
    rules = next(r for r in resources if authz(policy)(r)).props["spec"]["rules"]
    (i,) = [
        i for i, r in enumerate(rules) if any("/sa/" in p and "/ns/models/" in p for s in r.get("from", []) for p in
        s["source"].get("principals", []))
    ]  # fmt: skip
    return i


def replace_source(stack: str, policy: str, source: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    i = component_rule(stack, policy)

    def change(props: dict[str, Any]) -> None:
        props["spec"]["rules"][i]["from"] = [{"source": source}]

    return change


@pytest.mark.parametrize(
    ("stack", "policy"), [("cover-aws-node-groups", "resnet50-authz"), ("cover-gcp-standard", "bert-authz")]
)
def test_predictor_admits_the_models_namespace(stack: str, policy: str) -> None:
    """s09: _kcomponents.py ``predictor_authorization`` ``{"namespaces": [spec.namespace]}`` for the principal."""
    msgs = caught(coverage(stack), SA_RULE, authz(policy), replace_source(stack, policy, {"namespaces": ["models"]}))
    assert any("has no rule admitting its" in m and "as exactly the model's principal" in m for m in msgs), msgs
    if stack == "cover-gcp-standard":
        # bert is public (JWT): its transformer admits token-bearing requests only, so any namespace is beyond it
        assert any("admits namespace(s) models to model models/bert's predictor" in m for m in msgs), msgs


@pytest.mark.parametrize(
    "source",
    [
        {"principals": ["cluster.local/ns/models/sa/other-sa"]},
        {"principals": ["cluster.local/ns/models/sa/resnet50-sa", "cluster.local/ns/apps/sa/default"]},
        {"principals": ["cluster.local/ns/models/sa/*"]},
        {"namespaces": ["apps", "models"]},
    ],
)
def test_predictor_component_rule_boundaries(source: dict[str, Any]) -> None:
    stack, policy = "cover-aws-node-groups", "resnet50-authz"
    resources, settings = coverage(stack)
    found = failures(mutate(resources, authz(policy), replace_source(stack, policy, source)), settings)
    # a wildcard principal is internal-model-callers' too
    assert SA_RULE in found and set(found) <= {SA_RULE, "internal-model-callers"}, found
    assert any("as exactly the model's principal cluster.local/ns/models/sa/resnet50-sa" in m for m in found[SA_RULE])


def test_predictor_namespace_beyond_the_callers_is_caught() -> None:
    """The principal rule kept, and another rule admitting a namespace the model's components do not admit."""
    stack, policy = "cover-aws-node-groups", "resnet50-authz"

    def extra(props: dict[str, Any]) -> None:
        rule = copy.deepcopy(props["spec"]["rules"][0])
        rule["from"] = [{"source": {"namespaces": ["batch"]}}]
        props["spec"]["rules"].append(rule)

    msgs = caught(coverage(stack), SA_RULE, authz(policy), extra)
    assert any("admits namespace(s) batch to model models/resnet50's predictor" in m for m in msgs), msgs


# ------------------------------------------------------------------------------------------------ s05 activator

TBC = "autoscaling.knative.dev/target-burst-capacity"


@pytest.mark.parametrize(("value", "shown"), [("-1", "'-1'"), ("200", "'200'")])
def test_component_model_puts_the_activator_back_cover_aws(value: str | None, shown: str) -> None:
    """s05: _kcomponents.py ``TARGET_BURST_CAPACITY: "-1"`` (Knative: "-1" keeps the activator always in the path)
    on resnet50's predictor, whose transformer and explainer call it as the model's principal."""
    msgs = caught(
        coverage("cover-aws-node-groups"), SA_RULE, isvc("resnet50"),
        setting(at("spec", "predictor", "annotations"), TBC, value),
    )  # fmt: skip
    assert any(
        f"predictor keeps Knative's activator in their path (spec.predictor.annotations {TBC} {shown})" in m
        for m in msgs
    )


def test_isvc_level_zero_still_reaches_the_predictor() -> None:
    """KServe's predictor takes the InferenceService's annotations unless its own overwrite them: "0" on the
    InferenceService with none on the predictor passes; "-1" on the predictor over "0" on the InferenceService fails."""
    resources, settings = coverage("cover-aws-node-groups")

    def moved(props: dict[str, Any]) -> None:
        del props["spec"]["predictor"]["annotations"][TBC]
        props["metadata"].setdefault("annotations", {})[TBC] = "0"

    assert SA_RULE not in failures(mutate(resources, isvc("resnet50"), moved), settings)

    def overwritten(props: dict[str, Any]) -> None:
        props["spec"]["predictor"]["annotations"][TBC] = "-1"
        props["metadata"].setdefault("annotations", {})[TBC] = "0"

    assert SA_RULE in failures(mutate(resources, isvc("resnet50"), overwritten), settings)

    def unset(props: dict[str, Any]) -> None:
        del props["spec"]["predictor"]["annotations"][TBC]
        del props["metadata"]["annotations"][TBC]

    found = failures(mutate(resources, isvc("resnet50"), unset), settings)
    # resnet50 is internal: internal-model-callers asks the same of the InferenceService's own annotation
    assert any("unset (default 200)" in m for m in found[SA_RULE]), found


def test_standard_mode_component_model_is_not_judged_on_the_activator() -> None:
    """cover-gcp-standard's bert (Standard mode: no Knative, no activator) has no such annotation and passes."""
    resources, settings = coverage("cover-gcp-standard")
    bert = next(r for r in resources if isvc("bert")(r))
    assert TBC not in bert.props["spec"]["predictor"].get("annotations", {})
    assert SA_RULE not in failures(resources, settings)


# ------------------------------------------------------------------------------------------------ p05 KEDA PDBs

PDB_RULE = "pdb-allows-eviction"


def keda_prod() -> tuple[tuple[Resource, ...], StackSettings]:
    """gcp-prod with ``platform.keda: true``: KEDA with HA (two replicas of each component, PDBs minAvailable 1)."""
    return with_platform("gcp-prod", "keda", True)


def test_keda_prod_values_are_as_judged() -> None:
    values = next(r for r in keda_prod()[0] if release("keda")(r)).props["values"]
    assert values["podDisruptionBudget"] == {k: {"minAvailable": 1} for k in ("operator", "metricServer", "webhooks")}
    assert [values[c]["replicaCount"] for c in ("operator", "metricsServer", "webhooks")] == [2, 2, 2]


def test_keda_pdbs_block_drains_gcp_prod() -> None:
    """p05: keda.py ``{"minAvailable": ctx.replicas}``: minAvailable 2 of 2 replicas, for every component."""

    def all_replicas(props: dict[str, Any]) -> None:
        for pdb in props["values"]["podDisruptionBudget"].values():
            pdb["minAvailable"] = 2

    msgs = caught(keda_prod(), PDB_RULE, release("keda"), all_replicas)
    assert len(msgs) == 3 and all("minAvailable 2 with 2 replica(s)" in m for m in msgs), msgs
    assert any("podDisruptionBudget.metricServer with metricsServer.replicaCount" in m for m in msgs)


@pytest.mark.parametrize(
    ("path", "key", "value", "fragment"),
    [
        (("values", "operator"), "replicaCount", 1, "minAvailable 1 with 1 replica(s)"),
        (("values", "webhooks"), "replicaCount", None, "minAvailable 1 with 1 replica(s)"),  # the chart's default 1
        (("values", "podDisruptionBudget", "webhooks"), "maxUnavailable", 0, None),  # falsy: the chart writes none
        (("values", "podDisruptionBudget", "metricServer"), "minAvailable", "100%", "minAvailable 100%"),
        (("values", "podDisruptionBudget"), "minAvailable", 2, None),  # top-level, each component's 1 written after
        (("values", "podDisruptionBudget"), "maxUnavailable", "0%", "maxUnavailable 0"),
    ],
)
def test_keda_pdb_boundaries(path: tuple[str, ...], key: str, value: Any, fragment: str | None) -> None:
    resources, settings = keda_prod()
    found = failures(mutate(resources, release("keda"), setting(at(*path), key, value)), settings)
    if fragment is None:
        assert PDB_RULE not in found, found
        return
    assert list(found) == [PDB_RULE], found
    assert any(fragment in m for m in found[PDB_RULE]), found


def test_keda_pdb_of_a_disabled_component_is_not_rendered() -> None:
    resources, settings = keda_prod()

    def off(props: dict[str, Any]) -> None:
        props["values"]["webhooks"]["enabled"] = False
        props["values"]["podDisruptionBudget"]["webhooks"]["minAvailable"] = 2

    assert PDB_RULE not in failures(mutate(resources, release("keda"), off), settings)
