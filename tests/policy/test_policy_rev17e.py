"""The rules that close the fifth hostile mutation round of issue #17 (/work/wt/rev17e-report.md): each over a real
plan (a cover stack: tests/golden_stacks), mutated the way the round's source slip renders it, and expected to make
that rule, and only that rule, fail; plus the boundary of each rule on hand-made documents.

- s06, s08: ``llm-query-scoped``; s07: ``llm-scrape-merged-stats``; s12: ``images-tagged``; s13, s25:
  ``warm-capacity-preemptible``; s17: ``jwt-audiences-rendered``; s24: ``keda-ha-values``; s04, s21: the router
  PodDisruptionBudget and the internal pipeline cover-aws-node-groups now plans.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from policy_support import failures

from components.errors import SpecError
from policy.rules import Facts, Resource, StackSettings, run_rules
from policy.rules.images import tag_problem
from policy.rules.llm import quantity, query_problems, selectors
from support import cover_plan, mutated_resources, rule_entries

AWS = "cover-aws-node-groups"
GCP = "cover-gcp-standard"
MATCH = "node-selectors-match-pools"


def caught(
    stack: str,
    rule: str,
    pick: Callable[[Resource], bool],
    change: Callable[[dict[str, Any]], None],
    also: tuple[str, ...] = (),
) -> list[str]:
    """``rule`` passes on the cover stack's plan, sees every document, and is the only rule failing (with ``also``,
    rules that judge the same change from another side) once ``change`` is applied to the one resource ``pick``
    selects: its messages."""
    resources, settings = cover_plan(stack)
    base = [e for e in rule_entries(resources, settings) if e["policy"] == rule]
    assert base and all(e["passed"] and not e.get("unchecked") for e in base), base
    found = failures(mutated_resources(resources, pick, change, exactly=1), settings)
    assert sorted(found) == sorted({rule, *also}), found
    return found[rule]


def passes(stack: str, rule: str, pick: Callable[[Resource], bool], change: Callable[[dict[str, Any]], None]) -> None:
    resources, settings = cover_plan(stack)
    found = failures(mutated_resources(resources, pick, change, exactly=1), settings)
    assert rule not in found, found


def kind(k: str, name: str) -> Callable[[Resource], bool]:
    return lambda r: r.type.startswith("kubernetes:") and r.type.endswith(f":{k}") and r.k8s_name == name


def warm(r: Resource) -> bool:
    labels = ((r.props.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
    return r.type == "kubernetes:apps/v1:Deployment" and "mlplatform.io/warm-capacity-pool" in labels


def keda(r: Resource) -> bool:
    return r.type.endswith(":Release") and str(r.props.get("chart", "")).rsplit("/", 1)[-1] == "keda"


# ------------------------------------------------------------------------------------------------ images-tagged (s12)


@pytest.mark.parametrize(
    ("image", "ok"),
    [
        ("registry.k8s.io/pause:3.9", True),
        ("localhost:5000/team/app:1.4", True),
        ("ghcr.io/acme/app@sha256:0123abcd", True),
        ("ghcr.io/acme/app:latest@sha256:0123abcd", True),  # the digest is what is pulled
        ("registry.k8s.io/pause:latest", False),
        ("registry.k8s.io/pause", False),  # no tag: Kubernetes pulls latest
        ("localhost:5000/team/app", False),  # the port is not a tag
        ("registry.k8s.io/pause:", False),
        ("ghcr.io/acme/app@", False),
    ],
)
def test_image_reference_boundary(image: str, ok: bool) -> None:
    assert (tag_problem(image) is None) is ok


@pytest.mark.parametrize("image", ["registry.k8s.io/pause:latest", "registry.k8s.io/pause"])
def test_warm_placeholder_on_a_floating_image(image: str) -> None:
    """rev17e s12: warm.py PAUSE_IMAGE ``pause:latest`` (no rule failed on main)."""

    def change(props: dict[str, Any]) -> None:
        props["spec"]["template"]["spec"]["containers"][0]["image"] = image

    (msg,) = caught(AWS, "images-tagged", warm, change)
    assert "containers[0]" in msg and image in msg


def test_prepull_init_container_and_transformer_on_latest() -> None:
    def init(props: dict[str, Any]) -> None:
        props["spec"]["template"]["spec"]["containers"][1]["image"] = "pytorch/torchserve-kfs:latest"

    # the warm rule also fails: the placeholder no longer pre-pulls the image a GPU model of its pool pulls (fix17a)
    assert "containers[1]" in caught(AWS, "images-tagged", warm, init, also=("warm-capacity-preemptible",))[0]

    def transformer(props: dict[str, Any]) -> None:
        props["spec"]["transformer"]["containers"][0]["image"] = "kserve/image-transformer"

    assert (
        "spec.transformer.containers[0]"
        in caught(AWS, "images-tagged", kind("InferenceService", "resnet50"), transformer)[0]
    )


def test_a_model_without_an_image_is_kserves_to_fill() -> None:
    """KServe gives the predictor's ``model`` its runtime's image: absent is not judged; an explicit latest is."""
    pick = kind("InferenceService", "chat")
    passes(GCP, "images-tagged", pick, lambda p: p["spec"]["predictor"]["model"].pop("image", None))

    def explicit(props: dict[str, Any]) -> None:
        props["spec"]["predictor"]["model"]["image"] = "kserve/huggingfaceserver:latest"

    assert "spec.predictor.model" in caught(GCP, "images-tagged", pick, explicit)[0]


# ------------------------------------------------------------------------------------------------ warm (s13, s25)


@pytest.mark.parametrize(("grace", "shown"), [(30, "30"), (None, "unset (30 s)"), (1, "1")])
def test_placeholder_grace_period(grace: int | None, shown: str) -> None:
    """rev17e s13: terminationGracePeriodSeconds 30 (or unset: the PodSpec default 30) keeps the GPU after
    pre-emption."""

    def change(props: dict[str, Any]) -> None:
        spec = props["spec"]["template"]["spec"]
        if grace is None:
            del spec["terminationGracePeriodSeconds"]
        else:
            spec["terminationGracePeriodSeconds"] = grace

    (msg,) = caught(AWS, "warm-capacity-preemptible", warm, change)
    assert f"terminationGracePeriodSeconds is {shown}" in msg


@pytest.mark.parametrize(
    ("selector", "fragment", "also"),
    [
        ({"mlplatform.io/accelerator": "nvidia-l4"}, "mlplatform.io/pool=None", ()),  # rev17e s25
        ({"mlplatform.io/pool": "l4"}, "names no mlplatform.io/accelerator", ()),
        # a pool or accelerator no pool has: node-selectors-match-pools sees the pods never schedule too
        ({"mlplatform.io/accelerator": "nvidia-l4", "mlplatform.io/pool": "other"}, "pool='other'", (MATCH,)),
        ({"mlplatform.io/accelerator": "nvidia-a10g", "mlplatform.io/pool": "l4"}, "carry 'nvidia-l4'", (MATCH,)),
    ],
)
def test_placeholder_selects_its_own_pool(selector: dict[str, str], fragment: str, also: tuple[str, ...]) -> None:
    def change(props: dict[str, Any]) -> None:
        props["spec"]["template"]["spec"]["nodeSelector"] = selector

    msgs = caught(AWS, "warm-capacity-preemptible", warm, change, also)
    assert any(fragment in m for m in msgs), msgs


# ------------------------------------------------------------------------------------------------ keda (s24)


@pytest.mark.parametrize("component", ["operator", "metricServer", "webhooks"])
def test_keda_writable_root_filesystem(component: str) -> None:
    """rev17e s24 (a staging stack: the check is not prod-only)."""

    def change(props: dict[str, Any]) -> None:
        props["values"]["securityContext"][component]["readOnlyRootFilesystem"] = False

    (msg,) = caught(GCP, "keda-ha-values", keda, change)
    assert f"securityContext.{component}.readOnlyRootFilesystem is false" in msg


def test_keda_root_filesystem_left_to_the_chart_passes() -> None:
    def change(props: dict[str, Any]) -> None:
        for c in props["values"]["securityContext"].values():
            c.pop("readOnlyRootFilesystem")

    passes(GCP, "keda-ha-values", keda, change)


# ------------------------------------------------------------------------------------------------ llm-query-scoped


CHAT = 'sum(vllm:num_requests_waiting{namespace="models", inferenceservice="chat"})'


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        (CHAT, None),
        ('sum by (pod) (vllm:num_requests_waiting{inferenceservice="chat",namespace="models"})', None),
        ('sum(vllm:num_requests_waiting{inferenceservice="chat"})', 'without namespace="models"'),  # rev17e s06
        ('sum(vllm:num_requests_waiting{namespace=~".*", inferenceservice="chat"})', 'namespace=~".*"'),
        ('sum(vllm:num_requests_waiting{namespace="other", inferenceservice="chat"})', 'without namespace="models"'),
        ('sum(vllm:num_requests_waiting{namespace="models", inferenceservice!="x"})', 'inferenceservice!="x"'),
        ('sum(vllm:num_requests_waiting{namespace="models", inferenceservice="chat"}) + vllm:x', "selects vllm:x"),
        ('sum(vllm:num_requests_waiting{namespace="models", inferenceservice="chat"', "cannot tell"),
        ("sum(vllm:num_requests_waiting)", 'without namespace="models"'),
    ],
)
def test_query_boundary(query: str, fragment: str | None) -> None:
    problems = query_problems(query, "models", "chat")
    if fragment is None:
        assert problems == []
    else:
        assert any(fragment in p for p in problems), problems


def test_selectors_skip_functions_groupings_and_ranges() -> None:
    found = selectors('max without(pod) (rate(vllm:a{x="1"}[5m] offset 1m)) > bool 0.5 and {__name__="vllm:b"}')
    assert [s.metric for s in found] == ["vllm:a", "vllm:b"]


@pytest.mark.parametrize(("value", "number"), [("0.8", 0.8), ("800m", 0.8), ("80", 80.0), (1, 1.0), ("x", None)])
def test_quantity(value: Any, number: float | None) -> None:
    assert quantity(value) == number


def _query(name: str, query: str | None = None, value: str | None = None) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        ext = props["spec"]["predictor"]["autoScaling"]["metrics"][0]["external"]
        if query is not None:
            ext["metric"]["query"] = query
        if value is not None:
            ext["target"]["value"] = value

    return change


def test_query_of_every_namespace_is_caught() -> None:
    """rev17e s06: llm_scaling.query without ``namespace=`` (no rule failed on main)."""
    q = 'sum(vllm:num_requests_waiting{inferenceservice="chat"})'
    (msg,) = caught(GCP, "llm-query-scoped", kind("InferenceService", "chat"), _query("chat", q))
    assert 'without namespace="models"' in msg


@pytest.mark.parametrize(("value", "ok"), [("80", False), ("1.5", False), ("0.8", True), ("800m", True), ("1", True)])
def test_kv_cache_threshold_is_a_fraction(value: str, ok: bool) -> None:
    """rev17e s08: threshold 80 on vllm:kv_cache_usage_perc (a fraction) never scales out; chat-kv is planned."""
    pick = kind("InferenceService", "chat-kv")
    if ok:
        passes(GCP, "llm-query-scoped", pick, _query("chat-kv", value=value))
    else:
        (msg,) = caught(GCP, "llm-query-scoped", pick, _query("chat-kv", value=value))
        assert f"threshold {value!r} on vllm:kv_cache_usage_perc" in msg


# ------------------------------------------------------------------------------------------------ scrape (s07)


def _vllm_endpoint(props: dict[str, Any]) -> dict[str, Any]:
    eps = props["spec"]["podMetricsEndpoints"]
    ep = next(e for e in eps if e.get("metricRelabelings"))
    assert isinstance(ep, dict)
    return ep


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda p: _vllm_endpoint(p)["relabelings"][0].update(replacement="${1}:15090"), "not port 15020"),  # s07
        (lambda p: _vllm_endpoint(p).update(path="/metrics"), "not pilot-agent's merged /stats/prometheus"),
        (lambda p: _vllm_endpoint(p).pop("relabelings"), "no __address__ relabeling"),
        (lambda p: _vllm_endpoint(p)["metricRelabelings"][0].update(regex="envoy_.+"), "no PodMonitor"),
    ],
)
def test_scrape_of_vllm_gauges(change: Callable[[dict[str, Any]], None], fragment: str) -> None:
    msgs = caught(GCP, "llm-scrape-merged-stats", kind("PodMonitor", "chat-metrics"), change)
    assert any(fragment in m for m in msgs), msgs


@pytest.mark.parametrize(
    ("key", "value"), [("prometheus.io/port", "9090"), ("prometheus.io/path", "/stats"), ("prometheus.io/scrape", None)]
)
def test_predictor_scrape_annotations(key: str, value: str | None) -> None:
    def change(props: dict[str, Any]) -> None:
        annotations = props["spec"]["predictor"]["annotations"]
        if value is None:
            del annotations[key]
        else:
            annotations[key] = value

    (msg,) = caught(GCP, "llm-scrape-merged-stats", kind("InferenceService", "chat"), change)
    assert key in msg


# ------------------------------------------------------------------------------------------------ audiences (s17)


def _audiences(value: list[str] | None) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        rule = props["spec"]["jwtRules"][0]
        if value is None:
            del rule["audiences"]
        else:
            rule["audiences"] = value

    return change


@pytest.mark.parametrize(
    ("value", "fragment"),
    [(None, "audiences are none"), (["models", "other"], "['models', 'other']"), ([], "audiences are none")],
)
def test_rendered_audiences_differ_from_the_declared(value: list[str] | None, fragment: str) -> None:
    """rev17e s17: _auth.py ``if not jwt.audiences`` renders no audiences (no rule failed on main)."""
    (msg,) = caught(GCP, "jwt-audiences-rendered", kind("RequestAuthentication", "bert-jwt"), _audiences(value))
    assert fragment in msg and "declares ['models']" in msg


def test_declared_without_audiences_is_not_judged() -> None:
    resources, settings = cover_plan(GCP)
    facts = dataclasses.replace(
        settings.facts, jwt_audiences=tuple((k, i, ()) for k, i, _ in settings.facts.jwt_audiences)
    )
    mutated = mutated_resources(resources, kind("RequestAuthentication", "bert-jwt"), _audiences(None), exactly=1)
    found = failures(mutated, dataclasses.replace(settings, facts=facts))
    assert "jwt-audiences-rendered" not in found


def test_the_audiences_travel_with_the_saved_plan() -> None:
    _, settings = cover_plan(GCP)
    doc = settings.to_json()
    assert doc["jwtAudiences"]["InferenceService/models/bert"] == {
        "issuer": "https://auth.example.com/realms/models",
        "audiences": ["models"],
    }
    assert StackSettings.from_json(doc).facts.jwt_audiences == settings.facts.jwt_audiences


@pytest.mark.parametrize(
    ("doc", "where"),
    [
        ([], "settings.jwtAudiences"),
        ({"models/bert": {"issuer": "x", "audiences": []}}, "settings.jwtAudiences.models/bert"),
        ({"InferenceService/models/bert": {"issuer": "x"}}, "settings.jwtAudiences.InferenceService/models/bert"),
        (
            {"InferenceGraph/m/p": {"issuer": "x", "audiences": "a"}},
            "settings.jwtAudiences.InferenceGraph/m/p.audiences",
        ),
    ],
)
def test_saved_audiences_are_validated(doc: Any, where: str) -> None:
    with pytest.raises(SpecError) as e:
        StackSettings.from_json({"jwtAudiences": doc})
    assert where in str(e.value)


def test_a_pipelines_declared_audiences_are_judged_on_its_router() -> None:
    ra = Resource(
        "kubernetes:security.istio.io/v1:RequestAuthentication",
        "front-jwt",
        "urn:front-jwt",
        {
            "metadata": {"namespace": "models", "name": "front-jwt"},
            "spec": {
                "selector": {"matchLabels": {"serving.kserve.io/inferencegraph": "front"}},
                "jwtRules": [{"issuer": "https://i.example.com/", "jwksUri": "https://i.example.com/k"}],
            },
        },
    )
    facts = Facts(jwt_audiences=(("InferenceGraph/models/front", "https://i.example.com/", ("api",)),))
    entries = run_rules([ra], StackSettings(facts=facts))
    (e,) = [e for e in entries if e["policy"] == "jwt-audiences-rendered"]
    assert not e["passed"] and "audiences are none" in e["message"]
    fixed = copy.deepcopy(dict(ra.props))
    fixed["spec"]["jwtRules"][0]["audiences"] = ["api"]
    entries = run_rules([dataclasses.replace(ra, props=fixed)], StackSettings(facts=facts))
    assert all(e["passed"] for e in entries if e["policy"] == "jwt-audiences-rendered")


# ------------------------------------------------------------------------------------------------ coverage (s04, s21)


def test_router_pdb_that_blocks_every_drain() -> None:
    """rev17e s04: pipeline.py ``max_unavailable=0``; the cover stack's internal pipeline has two replicas."""
    (msg,) = caught(
        AWS,
        "pdb-allows-eviction",
        kind("PodDisruptionBudget", "classify-pdb"),
        lambda p: p["spec"].update(maxUnavailable=0),
    )
    assert "classify-pdb" in msg


def test_internal_pipeline_wider_than_its_member() -> None:
    """rev17e s21: the input check reversed lets a pipeline admit a namespace its internal member does not; the
    router's AuthorizationPolicy then names it, and the member is reached through the router."""

    def widen(props: dict[str, Any]) -> None:
        props["spec"]["rules"][0]["from"][0]["source"]["namespaces"].append("other")

    msgs = caught(AWS, "pipeline-member-access", kind("AuthorizationPolicy", "classify-authz"), widen)
    assert any("resnet50" in m and "other" in m for m in msgs), msgs


def test_scrape_rule_says_what_it_could_not_judge() -> None:
    """A PodMonitor endpoint known only after deploy: the rule's entry names it as unchecked (``check --strict``
    fails it) instead of passing silently; before its unknown hook the rule had none (lead, session 9)."""
    from policy.rules.base import UNKNOWN

    resources, _ = cover_plan(GCP)

    def change(props: dict[str, Any]) -> None:
        props["spec"]["podMetricsEndpoints"] = UNKNOWN

    mutated = mutated_resources(resources, kind("PodMonitor", "chat-metrics"), change, exactly=1)
    from policy.rules import ALL_RULES

    (rule,) = [r for r in ALL_RULES if r.name == "llm-scrape-merged-stats"]
    assert not rule.unchecked(list(resources))
    note = rule.unchecked(list(mutated))
    assert note and "chat-metrics" in note and "spec.podMetricsEndpoints" in note, note
