"""Sidecar injection for models: without an Istio sidecar a model pod has no mTLS and no authorization.

Istio's injector is a mutating webhook on pod creation. With the default revision (ours: no ``istio.io/rev``) its
``namespaceSelector`` is ``matchLabels: {istio-injection: enabled}`` and its ``objectSelector`` (when
``sidecarInjectorWebhook.objectSelector.autoInject``) skips pods labelled ``sidecar.istio.io/inject: "false"``
(istio/istio manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml; the version read in this
session is an older one than our pinned 1.30.3, the selectors are the documented ones: istio.io analyzer IST0102
"NamespaceNotInjected", istio.io/latest/docs/reference/config/analysis/ist0102/). A namespace without the label, or
a model that opts out, runs without a sidecar: PeerAuthentication and AuthorizationPolicy select pods that have no
proxy and are silently ignored (components/serving/_auth.py, knative/serving#14310), and nothing fails.

KServe copies an InferenceService's labels and annotations, and those of its components (``spec.predictor.labels``
and ``annotations``), onto the pods; the rule reads all four places.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_map, is_k8s

INJECTION_LABEL = "istio-injection"
INJECT_KEY = "sidecar.istio.io/inject"
ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
NAMESPACE = "kubernetes:core/v1:Namespace"


def _opt_outs(model: Resource) -> list[str]:
    """Where an InferenceService sets ``sidecar.istio.io/inject`` to anything but "true"."""
    out = []
    for path in ("metadata.labels", "metadata.annotations", "spec.predictor.labels", "spec.predictor.annotations"):
        value = as_map(model.get(path)).get(INJECT_KEY)
        if value is not None and value is not UNKNOWN and str(value).lower() != "true":
            out.append(f"{path}.{INJECT_KEY}={value!r}")
    return out


def _injection(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    models = [r for r in resources if r.type == ISVC or is_k8s(r, "InferenceService")]
    namespaces = {r.k8s_name: r for r in resources if r.type == NAMESPACE or is_k8s(r, "Namespace")}
    for ns in sorted({m.namespace for m in models if m.namespace}):
        decl = namespaces.get(ns)
        if decl is None:
            continue  # not declared by this stack: see ``unknown``
        label = as_map(decl.metadata.get("labels")).get(INJECTION_LABEL)
        if label is UNKNOWN:
            continue
        if label != "enabled":
            yield Finding(
                decl.urn,
                f"model namespace {ns} has {INJECTION_LABEL}={label!r}: its pods get no Istio sidecar, so mTLS and "
                f"the models' AuthorizationPolicies do not apply; label it {INJECTION_LABEL}: enabled",
            )
    for m in models:
        for where in _opt_outs(m):
            yield Finding(
                m.urn,
                f"model {m.namespace}/{m.k8s_name} sets {where}: its pods run without a sidecar (no mTLS, no "
                "authorization)",
            )


RULES = [
    Rule(
        name="model-sidecar-injection",
        description=(
            "Every model namespace the stack declares is labelled istio-injection: enabled, and no InferenceService "
            "opts out with sidecar.istio.io/inject (without a sidecar, mTLS and authorization do not apply)."
        ),
        enforcement="mandatory",
        area="models",
        applies_to=(NAMESPACE, ISVC),
        check_stack=_injection,
        remediation="label model namespaces istio-injection: enabled; remove sidecar.istio.io/inject from models",
    ),
]
