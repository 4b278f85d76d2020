"""``images-tagged`` over Helm values (issue #17, the lead's follow-up to rev17e's note that images inside Helm values
were not judged): a values override that floats a platform component on ``latest`` fails; the chart's own default
(an empty or absent tag: its appVersion, fixed by the pinned chart version) and a digest beside the tag pass.

The value shapes are the charts' own at our pinned versions (/work/shared/upstream/chart-values): dcgm-exporter
4.8.2 ``image.tag``, karpenter 1.14.1 ``controller.image.tag``/``digest``, kserve-resources v0.20.0
``kserve.controller.image``+``tag``, Istio 1.30.3 ``global.tag``, kube-prometheus-stack ``image.sha``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from policy.rules import Resource, run_rules
from policy.rules.images import _floating_values
from support import cover_plan, mutated_resources, rule_entries, rules_named

AWS = "cover-aws-node-groups"


def release(chart: str) -> Callable[[Resource], bool]:
    return lambda r: r.type.endswith(":Release") and str(r.props.get("chart", "")).rsplit("/", 1)[-1] == chart


def verdicts(change: Callable[[dict[str, Any]], None], chart: str) -> list[str]:
    resources, settings = cover_plan(AWS)
    base = [e for e in rule_entries(resources, settings) if e["policy"] == "images-tagged"]
    assert base and all(e["passed"] and not e.get("unchecked") for e in base), base
    mutated = mutated_resources(resources, release(chart), change, exactly=1)
    return [
        e["message"]
        for e in run_rules(mutated, settings, rules=rules_named("images-tagged"))
        if e["policy"] == "images-tagged" and not e["passed"]
    ]


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        node = props.setdefault("values", {})
        *parents, last = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value

    return change


def test_a_values_override_to_latest_fails_on_a_real_plan() -> None:
    (msg,) = verdicts(_set("image.tag", "latest"), "cert-manager")
    assert msg.startswith("Helm release ") and "values.image.tag: 'latest' is the mutable tag latest" in msg


def test_an_image_string_on_latest_fails_and_a_versioned_one_passes() -> None:
    (msg,) = verdicts(_set("kserve.controller.image", "kserve/kserve-controller:latest"), "kserve-resources")
    assert "values.kserve.controller.image: image 'kserve/kserve-controller:latest'" in msg
    assert verdicts(_set("kserve.controller.image", "kserve/kserve-controller:v0.20.0"), "kserve-resources") == []


@pytest.mark.parametrize(
    ("values", "found"),
    [
        ({"image": {"repository": "nvcr.io/nvidia/k8s/dcgm-exporter", "tag": "4.5.3-4.8.2-distroless"}}, []),
        ({"image": {"repository": "r", "tag": ""}}, []),  # the chart's appVersion
        ({"image": {"repository": "r"}}, []),
        ({"image": {"repository": "r", "tag": "latest"}}, ["values.image.tag"]),
        ({"image": {"repository": "r", "tag": " LATEST "}}, ["values.image.tag"]),
        ({"controller": {"image": {"tag": "latest", "digest": "sha256:0123"}}}, []),  # the digest is pulled
        ({"image": {"tag": "latest", "sha": "0123"}}, []),
        ({"image": {"tag": "latest", "digest": ""}}, ["values.image.tag"]),
        ({"global": {"hub": "docker.io/istio", "tag": "latest"}}, ["values.global.tag"]),
        ({"kserve": {"controller": {"image": "kserve/kserve-controller", "tag": ""}}}, []),
        (
            {"kserve": {"storage": {"defaultJobImage": "kserve/storage-initializer:latest"}}},
            ["values.kserve.storage.defaultJobImage"],
        ),
        ({"image": "localhost:5000/app"}, []),  # a port, no tag: the chart adds its own
        ({"image": "ghcr.io/a/b:latest@sha256:01"}, []),
        ({"sidecars": [{"image": "busybox:latest"}]}, ["values.sidecars[0].image"]),
        ({"tag": 7}, []),
    ],
)
def test_values_boundary(values: dict[str, Any], found: list[str]) -> None:
    assert [p.split(":", 1)[0] for p in _floating_values(values, "values")] == found
