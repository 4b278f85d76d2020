"""``model-sidecar-injection`` (issue #17 item 7): a model namespace without ``istio-injection: enabled``, or a model
opting out with ``sidecar.istio.io/inject``, runs without a sidecar: no mTLS, no authorization. Boundary cases and
the gcp-prod plan mutated that way. Also pins mesh-mtls-strict with models and no PeerAuthentication (item 9)."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from components.plan.project import find_project, read_stack_file
from policy.rules import ALL_RULES, Resource, StackSettings, run_rules
from support import ROOT, rules_named, rules_plan

PROJECT = find_project(ROOT)
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
NS = "kubernetes:core/v1:Namespace"
RULE = "model-sidecar-injection"


def _fails(resources: list[Resource], rule: str = RULE) -> list[str]:
    return [
        e["message"] for e in run_rules(resources, rules=rules_named(rule)) if e["policy"] == rule and not e["passed"]
    ]


def _model(**meta: Any) -> Resource:
    props = {"metadata": {"name": "m", "namespace": "models", **meta}, "spec": {"predictor": {}}}
    return Resource(ISVC, "m", "urn:m", props)


def _ns(labels: dict[str, str]) -> Resource:
    return Resource(NS, "models", "urn:ns", {"metadata": {"name": "models", "labels": labels}})


def test_the_rule_is_mandatory() -> None:
    assert next(r for r in ALL_RULES if r.name == RULE).enforcement == "mandatory"


@pytest.mark.parametrize(
    ("labels", "fails"),
    [
        ({"istio-injection": "enabled"}, False),
        ({"istio-injection": "disabled"}, True),
        ({"istio-injection": "Enabled"}, True),  # a label selector matches the exact value
        ({}, True),
    ],
)
def test_model_namespace_needs_the_injection_label(labels: dict[str, str], fails: bool) -> None:
    assert bool(_fails([_ns(labels), _model()])) is fails


def test_a_namespace_without_models_is_not_judged() -> None:
    assert _fails([_ns({})]) == []


@pytest.mark.parametrize(
    ("meta", "spec", "fails"),
    [
        ({"labels": {"sidecar.istio.io/inject": "false"}}, {}, True),
        ({"annotations": {"sidecar.istio.io/inject": "false"}}, {}, True),
        ({}, {"labels": {"sidecar.istio.io/inject": "false"}}, True),
        ({}, {"annotations": {"sidecar.istio.io/inject": "False"}}, True),
        ({"labels": {"sidecar.istio.io/inject": "true"}}, {}, False),
    ],
)
def test_a_model_may_not_opt_out(meta: dict[str, Any], spec: dict[str, Any], fails: bool) -> None:
    model = _model(**meta)
    model = replace(model, props={**model.props, "spec": {"predictor": spec}})
    assert bool(_fails([_ns({"istio-injection": "enabled"}), model])) is fails


def test_mesh_mtls_fails_with_models_and_no_peer_authentication() -> None:
    found = _fails([_model()], "mesh-mtls-strict")
    assert any("no mesh-wide PeerAuthentication" in f for f in found), found


def _gcp_prod() -> tuple[Resource, ...]:
    return rules_plan("gcp-prod")[0]  # planned once per test process (tests/support.py)


def _mutated(pick: str, change: Any) -> list[Resource]:
    out, hit = [], 0
    for r in _gcp_prod():
        if r.type == pick:
            props = copy.deepcopy(dict(r.props))
            if change(props):
                hit += 1
            r = replace(r, props=props)
        out.append(r)
    assert hit, "the mutation found nothing to change: the plan's shape moved"
    return out


def test_shipped_gcp_prod_passes() -> None:
    cfg = read_stack_file(PROJECT, "gcp-prod")
    settings = StackSettings.from_config(cfg.config)
    entries = [e for e in run_rules(list(_gcp_prod()), settings, rules=rules_named(RULE)) if e["policy"] == RULE]
    assert entries and all(e["passed"] for e in entries), entries


def test_gcp_prod_model_namespace_loses_its_injection_label() -> None:
    def drop(props: dict[str, Any]) -> bool:
        labels = props["metadata"].get("labels", {})
        return labels.pop("istio-injection", None) is not None and "pod-security.kubernetes.io/enforce" in labels

    found = _fails(_mutated(NS, drop))
    assert any("its pods get no Istio sidecar" in f for f in found), found


def test_gcp_prod_model_opts_out_of_injection() -> None:
    def opt_out(props: dict[str, Any]) -> bool:
        props["metadata"].setdefault("annotations", {})["sidecar.istio.io/inject"] = "false"
        return True

    found = _fails(_mutated(ISVC, opt_out))
    assert any("sets metadata.annotations.sidecar.istio.io/inject" in f for f in found), found


SR = "kubernetes:serving.kserve.io/v1alpha1:ServingRuntime"
CSR = "kubernetes:serving.kserve.io/v1alpha1:ClusterServingRuntime"


@pytest.mark.parametrize(
    ("type_", "key", "value", "line"),
    [
        (SR, "annotations", "false",
         "ServingRuntime models/acme sets spec.annotations.sidecar.istio.io/inject='false': KServe puts it on the pods "
         "of the models it serves, which then run without a sidecar (no mTLS, no authorization)"),
        (SR, "labels", "false",
         "ServingRuntime models/acme sets spec.labels.sidecar.istio.io/inject='false': KServe puts it on the pods of "
         "the models it serves, which then run without a sidecar (no mTLS, no authorization)"),
        (CSR, "labels", "no",
         "ClusterServingRuntime acme sets spec.labels.sidecar.istio.io/inject='no': KServe puts it on the pods of the "
         "models it serves, which then run without a sidecar (no mTLS, no authorization)"),
        (SR, "annotations", "true", None),
    ],
)  # fmt: skip
def test_a_serving_runtime_opting_its_models_out_fails(type_: str, key: str, value: str, line: str | None) -> None:
    """Red team #17d A1: KServe v0.20.0 copies a runtime's ``spec.labels``/``spec.annotations`` onto the predictor
    pod (predictor.go ``buildObjectMeta``), so the opt-out reaches every model it serves."""
    meta = {"name": "acme"} if type_ == CSR else {"name": "acme", "namespace": "models"}
    runtime = Resource(
        type_, "acme-runtime", "urn:acme", {"metadata": meta, "spec": {key: {"sidecar.istio.io/inject": value}}}
    )
    found = _fails([_ns({"istio-injection": "enabled"}), _model(), runtime])
    assert found == ([] if line is None else [line])
