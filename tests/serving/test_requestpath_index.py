"""The request-path model's index (components/serving/requestpath.py ``PolicyIndex``) is a pure speed-up.

Over a :class:`~components.serving.requestpath.PolicyIndex` the model remembers the policies that apply to each
workload and every verdict of :func:`admits`/:func:`decide`, so the rules' many walks of one model share them. The
promise: every outcome is the one the uncached computation gives. Checked on every shipped stack (as planned, and
the placeholder rendering its unchecked rules are judged over) and every cover stack: each rule that walks the
request path gives the same findings, and every walk the rules make (:func:`routes`, :func:`pipeline_routes`,
:func:`through_pipeline`) the same outcomes, hop by hop, as with the index switched off.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from components.serving import requestpath as rp
from policy.rules import ALL_RULES, Resource, StackSettings, network, pipeline, resources_from_plan
from policy.rules import models as model_rules
from support import ROOT, cover_plan, shipped_plan

SHIPPED = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
COVER = sorted(
    p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in (ROOT / "tests/golden_stacks").glob("Pulumi.*.yaml")
)
WALKS = ("routes", "pipeline_routes", "through_pipeline")
"""The walks the rules call."""
MODULES = {network.__name__, pipeline.__name__, model_rules.__name__}


def _walking_rules() -> list[Any]:
    """Every rule of the modules that call the request-path model."""
    out = []
    for rule in ALL_RULES:
        checks = [c for c in (rule.check_stack, rule.check_resource) if c is not None]
        if any(getattr(c, "__module__", "") in MODULES for c in checks):
            out.append(rule)
    return out


def _plans(name: str) -> list[tuple[str, Sequence[Resource], StackSettings]]:
    if name in COVER:
        resources, settings = cover_plan(name)
        return [(name, resources, settings)]
    from components.plan.project import load_project, read_stack_file

    plan = shipped_plan(name)
    settings = StackSettings.from_config(read_stack_file(load_project(ROOT), name).config)
    out: list[tuple[str, Sequence[Resource], StackSettings]] = [(name, resources_from_plan(plan.result), settings)]
    if plan.judged is not None:
        out.append((f"{name} (judged)", resources_from_plan(plan.judged), settings))
    return out


def _judge(
    monkeypatch: pytest.MonkeyPatch, rules: list[Any], resources: Sequence[Resource], settings: StackSettings
) -> tuple[dict[str, Any], list[tuple[str, tuple[Any, ...], dict[str, Any], Any]]]:
    """The rules' findings, and every walk they made: (walk, args, kwargs, outcome)."""
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any], Any]] = []

    def recorded(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def walk(*args: Any, **kw: Any) -> Any:
            out = original(*args, **kw)
            calls.append((name, args, kw, out))
            return out

        return walk

    for name in WALKS:
        monkeypatch.setattr(rp, name, recorded(name, getattr(rp, name)))
    found = {rule.name: rule.run(resources, settings.facts) for rule in rules}
    return found, calls


@pytest.mark.parametrize("stack", [*SHIPPED, *COVER])
def test_indexed_walks_equal_the_uncached_ones(stack: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = _walking_rules()
    assert {"model-endpoint-auth"} <= {r.name for r in rules} and len(rules) >= 6, [r.name for r in rules]
    walked = 0
    for label, resources, settings in _plans(stack):
        with monkeypatch.context() as m:
            fast, fast_calls = _judge(m, rules, resources, settings)
        with monkeypatch.context() as m:
            m.setattr(rp, "indexed", list)  # no index anywhere: every decision computed afresh
            m.setattr(rp, "with_changes", dataclasses.replace)  # and requests copied as dataclasses copies them
            slow, slow_calls = _judge(m, rules, resources, settings)
        assert fast == slow, label
        assert len(fast_calls) == len(slow_calls), label
        for (name, args, kw, out), (s_name, s_args, s_kw, s_out) in zip(fast_calls, slow_calls, strict=True):
            assert (name, args[1:], kw) == (s_name, s_args[1:], s_kw), label
            assert list(args[0]) == list(s_args[0]), label
            assert out == s_out, f"{label}: {name}{args[1:]} {kw}"
        # the fast run walked indexed objects (the rules build the index), the slow run plain lists
        assert all(isinstance(call[1][0], rp.PolicyIndex) for call in fast_calls if call[0] == "routes"), label
        assert not any(isinstance(call[1][0], rp.PolicyIndex) for call in slow_calls), label
        walked += len(fast_calls)
    # the comparison is not vacuous: every stack has models whose paths the rules walk
    assert walked > 0, stack


def test_the_index_remembers_verdicts_and_not_errors() -> None:
    """A verdict is taken once per index; an error is raised again (not remembered as a verdict)."""
    netpol = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "np", "namespace": "models"},
        "spec": {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]},
    }
    workload = rp.Workload("models", {"app": "m"}, "models/m")
    index = rp.PolicyIndex([netpol])
    assert rp.indexed(index) is index
    first = rp.admits(index, workload, rp.source("models"), 8080)
    assert first == rp.admits([netpol], workload, rp.source("models"), 8080) and first.allowed
    assert rp.admits(index, workload, rp.source("models"), 8080) is first
    assert not rp.admits(index, workload, rp.source("other"), 8080).allowed
    bad = {**netpol, "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}}
    index = rp.PolicyIndex([bad])
    for _ in range(2):
        with pytest.raises(rp.Unsupported):
            rp.admits(index, workload, rp.source("models"), 8080)


# ------------------------------------------------------------------------------------------------ memo keys (rev17f)

NEIGHBOURS = [
    {  # isolates model a only: from the apps namespace, port 8080 only
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "a-netpol", "namespace": "models"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "a"}},
            "ingress": [
                {
                    "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "apps"}}}],
                    "ports": [{"port": 8080, "protocol": "TCP"}],
                }
            ],
        },
    },
    {  # allows model b only: principals of the apps namespace, on the inference paths only
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "b-authz", "namespace": "models"},
        "spec": {
            "selector": {"matchLabels": {"app": "b"}},
            "action": "ALLOW",
            "rules": [
                {"from": [{"source": {"namespaces": ["apps"]}}], "to": [{"operation": {"paths": ["/v1/models/*"]}}]}
            ],
        },
    },
]
A = rp.Workload("models", {"app": "a"}, "m")
B = rp.Workload("models", {"app": "b"}, "m")  # a neighbour in the same namespace: no NetworkPolicy of its own
ELSEWHERE = rp.Workload("other", {"app": "a"}, "m")  # same labels and name, another namespace: nothing applies
SOURCES = [rp.source("apps"), rp.source("models"), rp.Source(None)]
PORTS = [8080, 9090]  # 8080 open to apps at a, 9090 closed at a; both open at b (not isolated)
REQUESTS = [rp.Request("m.models", 80, "/v1/models/m:predict"), rp.Request("m.models", 80, "/metrics", "GET")]
PEERS = [rp.pod("apps"), rp.pod("models"), rp.PLAINTEXT]


def test_every_memo_key_holds_every_argument() -> None:
    """Each decision over one index, asked in an order where a key short of one argument (the port, the workload's
    labels, its namespace, the request: rev17f s21, s22, s25, s24) would hand one question the answer of another,
    equals the uncached one; and the neighbours really differ, so the comparison can fail."""
    index = rp.PolicyIndex(NEIGHBOURS)
    for workload in (A, B, ELSEWHERE):
        for src in SOURCES:
            for port in PORTS:
                fast = rp.admits(index, workload, src, port)
                assert fast == rp.admits(list(NEIGHBOURS), workload, src, port), (workload, src, port)
        for peer in PEERS:
            for request in REQUESTS:
                fast = rp.decide(index, workload, peer, request)
                assert fast == rp.decide(list(NEIGHBOURS), workload, peer, request), (workload, peer, request)
    apps = rp.source("apps")
    assert rp.admits(index, A, apps, 8080).allowed and not rp.admits(index, A, apps, 9090).allowed
    assert rp.admits(index, B, apps, 9090).allowed and rp.admits(index, ELSEWHERE, rp.source("models"), 9090).allowed
    assert not rp.decide(index, B, rp.pod("models"), REQUESTS[0]).allowed
    assert rp.decide(index, A, rp.pod("models"), REQUESTS[0]).allowed
    assert rp.decide(index, B, rp.pod("apps"), REQUESTS[0]).allowed
    assert not rp.decide(index, B, rp.pod("apps"), REQUESTS[1]).allowed


def test_memoised_arguments_are_positional() -> None:
    """A keyword argument is refused by the memo (no default can stand in for a value the key lacks)."""
    with pytest.raises(TypeError, match="positional only"):
        rp._admits(rp.PolicyIndex(NEIGHBOURS), A, rp.source("apps"), port=8080, protocol="TCP")


def test_a_workload_keeps_an_immutable_copy_of_its_labels() -> None:
    """A workload hashes by its labels (so the memo keys take it whole): they are copied when it is made, cannot be
    edited afterwards, and two workloads are equal (and hash alike) exactly when namespace, every label and name are;
    a label value that does not hash (a malformed plan's) still makes a workload."""
    given = {"app": "a"}
    w = rp.Workload("models", given, "m")
    given["app"] = "b"
    assert dict(w.labels) == {"app": "a"} and w.labels == {"app": "a"}
    with pytest.raises(TypeError):
        w.labels["app"] = "b"  # type: ignore[index]
    with pytest.raises(AttributeError):
        w.labels._items = {}  # type: ignore[misc]
    assert w == rp.Workload("models", {"app": "a"}, "m") and hash(w) == hash(rp.Workload("models", {"app": "a"}, "m"))
    for other in (
        rp.Workload("models", {"app": "b"}, "m"),
        rp.Workload("models", {"app": "a", "x": "y"}, "m"),
        rp.Workload("other", {"app": "a"}, "m"),
        rp.Workload("models", {"app": "a"}, "n"),
    ):
        assert w != other
    odd = rp.Workload("models", {"app": ["a"]}, "m")  # type: ignore[dict-item]
    assert odd == rp.Workload("models", {"app": ["a"]}, "m")  # type: ignore[dict-item]
    assert odd != rp.Workload("models", {"app": ["b"]}, "m")  # type: ignore[dict-item]
    assert rp._frozen(w) is w  # keyed whole, no walk of its labels


def test_a_changed_request_equals_what_dataclasses_replace_gives() -> None:
    """``with_changes`` (the walks' fast copy) is ``dataclasses.replace`` without ``__init__``: the same fields, the
    headers normalised as ``__post_init__`` normalises them, the original untouched, an unknown field refused."""
    base = rp.Request(host="m.models.svc", port=80, path="/v1/models/m:predict", headers={"X-A": "1"})
    for changes in (
        {"port": 8012},
        {"host": "other", "port": 8080},
        {"headers": {"K-Revision": "r", "X-A": "2"}},
        {"headers": [("a", "1"), ("a", "2")], "path": "/"},
        {"token": rp.Token(issuer="https://issuer", audience="a"), "method": "GET"},
    ):
        fast, slow = rp.with_changes(base, **changes), dataclasses.replace(base, **changes)
        assert fast == slow and hash(fast) == hash(slow) and type(fast) is rp.Request, changes
        assert vars(fast) == vars(slow), changes
    assert base == rp.Request(host="m.models.svc", port=80, path="/v1/models/m:predict", headers={"X-A": "1"})
    with pytest.raises(TypeError, match="Request has no field prot"):
        rp.with_changes(base, prot=1)
