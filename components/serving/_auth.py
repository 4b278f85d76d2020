"""Who may call a model: the Istio RequestAuthentication and AuthorizationPolicy specs for one model.

The policies select the model's own pods (label ``serving.kserve.io/inferenceservice``), which carry Istio sidecars
because their namespace has ``istio-injection: enabled`` (a policy on pods without a sidecar is silently ignored:
knative/serving#14310). RequestAuthentication alone only rejects *bad* tokens and lets token-less requests through
(research/security.md §3.1), so a public JWT model always gets an ALLOW policy that requires a request principal.
"""

from __future__ import annotations

from typing import Any

from components.serving._runtime import ISVC_LABEL
from components.serving.spec import ModelSpec

KNATIVE_NAMESPACE = "knative-serving"
PROBE_PATHS = ["/metrics", "/healthz", "/ready", "/wait-for-drain"]
"""Paths Knative's activator and autoscaler call on a revision (the autoscaler scrapes the queue-proxy's
``/metrics``): KServe's service-mesh guide, research/security.md §3.1."""


def selector(name: str) -> dict[str, Any]:
    """The workload selector for the model's pods."""
    return {"matchLabels": {ISVC_LABEL: name}}


def request_authentication(name: str, spec: ModelSpec) -> dict[str, Any] | None:
    """The RequestAuthentication spec of a public JWT model, or None."""
    jwt = spec.access.jwt
    if spec.access.mode != "public" or jwt is None:
        return None
    rule: dict[str, Any] = {"issuer": jwt.issuer, "jwksUri": jwt.jwks_uri}
    if jwt.audiences:
        rule["audiences"] = list(jwt.audiences)
    return {"selector": selector(name), "jwtRules": [rule]}


def _probe_rule() -> dict[str, Any]:
    return {
        "from": [{"source": {"namespaces": [KNATIVE_NAMESPACE]}}],
        "to": [{"operation": {"methods": ["GET"], "paths": list(PROBE_PATHS)}}],
    }


def authorization_policy(name: str, spec: ModelSpec) -> dict[str, Any]:
    """The ALLOW AuthorizationPolicy spec for the model.

    - public + jwt: requests with a valid token's principal (``requestPrincipals: ["*"]``);
    - public + allowAnonymous: everyone (an explicit allow-all, so a namespace default-deny does not hide it);
    - internal: the listed namespaces (and the model's own), plus Knative's activator when the model scales to
      zero, because the activator forwards requests while the model is at zero and Istio then sees the activator's
      identity, not the caller's (knative/net-istio#554).
    Knative's probes and its autoscaler's scrapes (from ``knative-serving``) are allowed in every case. Prometheus
    scrapes Envoy's port 15090, which Istio does not intercept, so it needs no rule.
    """
    access = spec.access
    rules: list[dict[str, Any]]
    if access.mode == "public" and access.allow_anonymous:
        rules = [{}]
    elif access.mode == "public":
        rules = [{"from": [{"source": {"requestPrincipals": ["*"]}}]}]
    else:
        callers = sorted({*access.allowed_namespaces, spec.namespace})
        if spec.scaling.min_replicas == 0:
            callers = sorted({*callers, KNATIVE_NAMESPACE})
        rules = [{"from": [{"source": {"namespaces": callers}}]}]
    if not (access.mode == "public" and access.allow_anonymous):
        rules.append(_probe_rule())
    return {"selector": selector(name), "action": "ALLOW", "rules": rules}
