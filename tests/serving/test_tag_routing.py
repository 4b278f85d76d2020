"""``tagRouting`` (issue #14, fix14n): KServe's ``serving.kserve.io/enable-tag-routing`` (kserve/website
versioned_docs/version-0.20/model-serving/predictive-inference/rollout-strategies/canary-example.md, "Route traffic
using a tag"). KServe v0.20.0 reads it in Knative mode (reconcilers/knative/ksvc_reconciler.go: the newest revision's
traffic target gets ``Tag: "latest"``; the previous one's is ``prev`` during a canary anyway), and Knative serves each
tag on ``<tag>-<name>-predictor-<namespace>``, a DNS label of at most 63 characters."""

from __future__ import annotations

from typing import Any

import pytest
from serving_support import JWT, model, plan
from test_requestpath import INTERNAL, INTERNAL_CALLERS, _check_model

from components.errors import SpecError
from components.spec import SpecInvalid
from support import validate_custom_resource

ANNOTATION = "serving.kserve.io/enable-tag-routing"


def _isvc(mode: str = "Knative", **overrides: Any) -> tuple[dict[str, Any], tuple[dict[str, Any], ...]]:
    objs = tuple(plan(model(**overrides), deployment_mode=mode).revealed())
    return next(o for o in objs if o["kind"] == "InferenceService"), objs


def _error(mode: str = "Knative", name: str = "iris", **overrides: Any) -> str:
    with pytest.raises((SpecInvalid, SpecError)) as e:
        plan(model(**overrides), name=name, deployment_mode=mode)
    return str(e.value)


def test_tag_routing_is_kserves_annotation_on_the_inference_service() -> None:
    isvc, _ = _isvc(tagRouting=True, canaryTrafficPercent=10)
    assert isvc["metadata"]["annotations"][ANNOTATION] == "true"
    assert isvc["spec"]["predictor"]["canaryTrafficPercent"] == 10
    assert validate_custom_resource(isvc) == []
    # off by default: KServe tags nothing but a canary's previous revision
    plain, _ = _isvc(canaryTrafficPercent=10)
    assert ANNOTATION not in plain["metadata"]["annotations"]


@pytest.mark.parametrize("access", [INTERNAL, {"jwt": JWT}], ids=["internal", "jwt"])
def test_the_tagged_revision_keeps_the_models_access(access: dict[str, Any]) -> None:
    # a tagged host reaches the same pods, whose AuthorizationPolicy and NetworkPolicy are the model's
    isvc, objs = _isvc(tagRouting=True, canaryTrafficPercent=10, access=access, scaling={"minReplicas": 1})
    _, plain_objs = _isvc(canaryTrafficPercent=10, access=access, scaling={"minReplicas": 1})
    assert _guards(objs) == _guards(plain_objs) != {}
    assert _check_model(objs, isvc, INTERNAL_CALLERS if access is INTERNAL else []) == []


def _guards(objs: tuple[dict[str, Any], ...]) -> dict[tuple[str, str], Any]:
    kinds = ("AuthorizationPolicy", "NetworkPolicy", "RequestAuthentication", "PeerAuthentication")
    return {(o["kind"], o["metadata"]["name"]): o["spec"] for o in objs if o["kind"] in kinds}


def test_standard_mode_has_no_revisions_to_tag() -> None:
    assert _error("Standard", tagRouting=True, scaling={"minReplicas": 1, "metric": "cpu"}).endswith(
        "tagRouting: true is not allowed; tags name revisions (platform.deploymentMode: Knative); remove it in "
        "Standard mode"
    )


def test_the_latest_host_must_fit_a_dns_label() -> None:
    # 'latest-' + name + '-predictor-models': 7 + 44 + 17 = 68 characters
    name = "a" * 44
    assert _error(name=name, tagRouting=True).endswith(
        f"name: {name} is not allowed; with tagRouting the newest revision is served at "
        f"'latest-{name}-predictor-models', 68 characters; keep latest-<name>-predictor-<namespace> within 63 "
        "(Knative's host label limit)"
    )
    # without tags the same name is served
    plan(model(), name=name, deployment_mode="Knative")
