"""Who may call a model: the Istio RequestAuthentication and AuthorizationPolicy specs for one model.

The policies select the model's own pods (label ``serving.kserve.io/inferenceservice``), which carry Istio sidecars
because their namespace has ``istio-injection: enabled`` (a policy on pods without a sidecar is silently ignored:
knative/serving#14310). RequestAuthentication alone only rejects *bad* tokens and lets token-less requests through
(research/security.md §3.1), so a public JWT model always gets an ALLOW policy that requires a request principal.

Every rule names its ports: the queue-proxy's serving ports in Knative mode (8012 HTTP/1, 8013 HTTP/2:
``pkg/networking/constants.go``, knative/serving 1.21), KServe's model port 8080 in Standard mode
(``InferenceServiceDefaultHttpPort``, pkg/constants/constants.go, kserve v0.20.0; the runtimes we install declare no
other). Knative's own callers are named by principal, not namespace (their service accounts in
config/core/deployments/*.yaml, knative/serving 1.21; Istio's principal is ``<trust domain>/ns/<ns>/sa/<sa>``,
istio.io/latest/docs/reference/config/security/authorization-policy/#Source):

- the activator (``sa/activator``) forwards requests while a model is at zero (and while it buffers bursts), so the
  model's sidecar sees the activator, not the caller. It forwards the caller's ``Authorization`` header
  (pkg/activator/handler/handler.go: a header-pruning reverse proxy that removes only Knative's revision headers),
  so a public JWT model still checks the caller's token; the activator itself is admitted only for its readiness
  probes (``User-Agent: Knative-Activator-Probe``, pkg/activator/net/revision_backends.go), which the queue-proxy
  answers itself and never passes to the model (knative.dev/pkg network/handlers/drain.go: probes by user agent
  are answered "regardless of path"). An internal model admits the activator for requests, and its caller is
  decided at the activator instead (:func:`activator_policy`).
- the autoscaler (``sa/controller``) scrapes the queue-proxy's ``/metrics`` on 9090
  (pkg/autoscaler/metrics/stats_scraper.go).

Prometheus scrapes the sidecar's own port 15090, which Istio's iptables rules do not redirect, so no policy
applies there (:mod:`components.serving._monitoring`).
"""

from __future__ import annotations

from typing import Any

from components.platform import knative
from components.serving._runtime import ISVC_LABEL
from components.serving.spec import ModelSpec

KNATIVE_NAMESPACE = knative.NAMESPACE
TRUST_DOMAIN = "cluster.local"
"""Istio's default trust domain (``meshConfig.trustDomain``; the platform does not change it)."""
ACTIVATOR_SERVICE_ACCOUNT = "activator"
AUTOSCALER_SERVICE_ACCOUNT = "controller"
ACTIVATOR_LABELS = {"app": "activator"}
"""The activator pods' labels (config/core/deployments/activator.yaml)."""
QUEUE_PORTS = ["8012", "8013"]
STANDARD_PORTS = ["8080"]
AUTOSCALER_METRICS_PORT = "9090"
ACTIVATOR_PROBE_AGENT = "Knative-Activator-Probe"
"""``header.ActivatorUserAgent`` (knative.dev/networking pkg/http/header)."""
REVISION_HEADER = "Knative-Serving-Revision"
NAMESPACE_HEADER = "Knative-Serving-Namespace"
"""How the activator finds the revision (pkg/activator/activator.go); without them it reads the Host
``<revision>.<namespace>.svc.<cluster domain>`` (pkg/activator/handler/context_handler.go)."""


def principal(namespace: str, service_account: str) -> str:
    """Istio's principal of a workload running as ``namespace/service_account``."""
    return f"{TRUST_DOMAIN}/ns/{namespace}/sa/{service_account}"


ACTIVATOR = principal(KNATIVE_NAMESPACE, ACTIVATOR_SERVICE_ACCOUNT)
AUTOSCALER = principal(KNATIVE_NAMESPACE, AUTOSCALER_SERVICE_ACCOUNT)


def selector(name: str) -> dict[str, Any]:
    """The workload selector for the model's pods."""
    return {"matchLabels": {ISVC_LABEL: name}}


def serving_ports(deployment_mode: str) -> list[str]:
    """The pod ports model requests arrive on."""
    return list(QUEUE_PORTS) if deployment_mode == "Knative" else list(STANDARD_PORTS)


def callers(spec: ModelSpec) -> list[str]:
    """The namespaces that may call an internal model: the listed ones and its own."""
    return sorted({*spec.access.allowed_namespaces, spec.namespace})


def request_authentication(name: str, spec: ModelSpec) -> dict[str, Any] | None:
    """The RequestAuthentication spec of a public JWT model, or None."""
    jwt = spec.access.jwt
    if spec.access.mode != "public" or jwt is None:
        return None
    rule: dict[str, Any] = {"issuer": jwt.issuer, "jwksUri": jwt.jwks_uri}
    if jwt.audiences:
        rule["audiences"] = list(jwt.audiences)
    return {"selector": selector(name), "jwtRules": [rule]}


def _to(ports: list[str], **operation: Any) -> list[dict[str, Any]]:
    return [{"operation": {"ports": ports, **operation}}]


def authorization_policy(name: str, spec: ModelSpec, deployment_mode: str = "Knative") -> dict[str, Any]:
    """The ALLOW AuthorizationPolicy spec for the model's pods.

    - public + jwt: requests with a valid token's principal (``requestPrincipals: ["*"]``), on the serving ports;
    - public + allowAnonymous: everyone, on the serving ports (an explicit allow, so a namespace default-deny does
      not hide it);
    - internal: the listed namespaces and the model's own, on the serving ports; in Knative mode also the activator,
      whose callers :func:`activator_policy` checks.
    In Knative mode the activator's probes and the autoscaler's scrapes are admitted by principal (module docstring).
    """
    access = spec.access
    ports = serving_ports(deployment_mode)
    rules: list[dict[str, Any]]
    if access.mode == "public" and access.allow_anonymous:
        rules = [{"to": _to(ports)}]
    elif access.mode == "public":
        rules = [{"from": [{"source": {"requestPrincipals": ["*"]}}], "to": _to(ports)}]
    else:
        rules = [{"from": [{"source": {"namespaces": callers(spec)}}], "to": _to(ports)}]
    if deployment_mode == "Knative":
        if access.mode == "internal":
            rules.append({"from": [{"source": {"principals": [ACTIVATOR]}}], "to": _to(ports)})
        elif not access.allow_anonymous:
            rules.append(
                {
                    "from": [{"source": {"principals": [ACTIVATOR]}}],
                    "to": _to(ports, methods=["GET"]),
                    "when": [{"key": "request.headers[User-Agent]", "values": [ACTIVATOR_PROBE_AGENT]}],
                }
            )
        rules.append(
            {
                "from": [{"source": {"principals": [AUTOSCALER]}}],
                "to": _to([AUTOSCALER_METRICS_PORT], methods=["GET"], paths=["/metrics"]),
            }
        )
    return {"selector": selector(name), "action": "ALLOW", "rules": rules}


def activator_policy(name: str, spec: ModelSpec) -> dict[str, Any] | None:
    """The DENY AuthorizationPolicy on Knative's activator for an internal model (Knative mode), or None.

    The activator's sidecar sees the caller (a meshed pod calling the model's revision, which routes to the
    activator while the model is at zero), so the caller's namespace is decided there: requests the activator would
    send to this model's revisions are denied unless they come from :func:`callers`. The activator picks the
    revision from the ``Knative-Serving-Namespace``/``-Revision`` headers, or, when either is missing, from the Host
    (pkg/activator/handler/context_handler.go); the rules cover both. A DENY policy on the activator does not affect
    other models (Istio: DENY is evaluated before ALLOW and only for requests its rules match), with one edge: a
    request *without* the revision headers (never sent by Knative's routes, which set both:
    pkg/reconciler/route/resources/ingress.go) whose Host starts with ``<name>-predictor-`` is refused to other
    namespaces even when it names a model ``<name>-predictor-...`` elsewhere (Istio host matching has no
    prefix-and-suffix form).
    """
    if spec.access.mode != "internal":
        return None
    source = [{"source": {"notNamespaces": callers(spec)}}]
    revisions = f"{name}-predictor-*"
    return {
        "selector": {"matchLabels": dict(ACTIVATOR_LABELS)},
        "action": "DENY",
        "rules": [
            {
                "from": source,
                "when": [
                    {"key": f"request.headers[{NAMESPACE_HEADER}]", "values": [spec.namespace]},
                    {"key": f"request.headers[{REVISION_HEADER}]", "values": [revisions]},
                ],
            },
            {
                "from": source,
                "to": [{"operation": {"hosts": [revisions]}}],
                "when": [{"key": f"request.headers[{REVISION_HEADER}]", "notValues": ["*"]}],
            },
            {
                "from": source,
                "to": [{"operation": {"hosts": [revisions]}}],
                "when": [{"key": f"request.headers[{NAMESPACE_HEADER}]", "notValues": ["*"]}],
            },
        ],
    }
