"""The request timeouts of a model at zero replicas cover its cold start (components/serving/timeouts.py).

A request that reaches a Knative-mode model at zero replicas waits on every hop for the pod: the activator holds it
for the revision's ``timeoutSeconds`` and ``responseStartTimeoutSeconds`` (knative/serving 1.21
cmd/activator/main.go), which KServe v0.20.0 sets from the predictor's ``timeout``
(pkg/controller/v1beta1/inferenceservice/reconcilers/knative/ksvc_reconciler.go); Knative's webhook refuses a
timeout above ``max-revision-timeout-seconds`` (pkg/apis/serving/v1/revision_validation.go
``validateTimeoutSeconds``), which the platform sets to 1800 s (components/platform/knative.py
``MAX_REVISION_TIMEOUT``), as it sets each cloud's load balancer idle timeout (components/platform/istio.py
``LONGEST_REQUEST_SECONDS``); the revision fails if its first pod is not ready within
``serving.knative.dev/progress-deadline``. The predictor's ``timeout`` is the cold-start estimate plus a request,
capped at that maximum (components/serving/_runtime.py ``request_timeout_seconds``), so a model whose cold start
(``mlplatform.io/cold-start-seconds``, the estimate at the slow end of every step) is longer than the cap cannot be
answered from zero: the rule fails the plan (and ``mlplatform check``) instead of letting the cap pass in silence.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, is_k8s, reading

ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
DEPLOYMENT_MODE = "serving.kserve.io/deploymentMode"
"""KServe's deployment-mode annotation (components/serving/_runtime.py ``DEPLOYMENT_MODE``): only Knative mode has
the activator's hold and the progress deadline."""


def _has_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    return False


def _object(res: Resource) -> dict[str, Any]:
    """A Kubernetes resource as its rendered object (``kind`` from the resource type, the rest from its inputs)."""
    return {**res.props, "kind": res.type.rsplit(":", 1)[-1]}


def _check(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    # Imported here, as policy/rules/models.py imports requestpath: the chain is the one
    # tests/serving/test_timeouts.py holds to the upstream sources.
    from components.serving import timeouts

    objects = [_object(r) for r in resources if r.type.startswith("kubernetes:") and not _has_unknown(r.props)]
    for res in resources:
        if not (res.type == ISVC or is_k8s(res, "InferenceService")):
            continue
        annotations = res.metadata.get("annotations")
        if not isinstance(annotations, Mapping) or annotations.get(DEPLOYMENT_MODE) != "Knative":
            continue
        isvc = _object(res)
        if _has_unknown(isvc.get("metadata")) or _has_unknown(isvc.get("spec")):
            continue  # known only after deploy: not judged
        for problem in timeouts.problems(isvc, objects):
            yield Finding(res.urn, problem)


RULES = [
    Rule(
        name="timeouts-cover-cold-start",
        description=(
            "Every hop that holds a request to a Knative-mode model at zero replicas (gateway route, the activator's "
            "timeoutSeconds and responseStartTimeoutSeconds, the progress deadline, pulumi up's wait) lasts at least "
            "the model's cold start at the slow end of every step, within max-revision-timeout-seconds (1800 s)."
        ),
        enforcement="mandatory",
        area="models",
        applies_to=(ISVC,),
        check_stack=_check,
        unknown=reading({"InferenceService": ("metadata.annotations.*", "spec.*"), "VirtualService": ("spec.*",)}),
        remediation=(
            "Shorten the model's cold start (docs/performance.md: a smaller model, an image cache, a faster loader, "
            "storage in the cluster's region) below 1800 s at the slow end; a longer timeout is refused by Knative's "
            "webhook and cut by the load balancer. Leave the predictor's timeout unset (the platform derives it)."
        ),
    ),
]
