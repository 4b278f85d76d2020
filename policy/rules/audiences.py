"""JWT audiences as declared (the fifth hostile review of issue #17, /work/wt/rev17e-report.md s17).

``jwt-audiences-rendered``: a public model or pipeline with ``access.jwt.audiences`` renders a RequestAuthentication
on its pods whose JWT rules list exactly those audiences. Istio's RequestAuthentication
``JWTRule.audiences``: "The list of JWT audiences that are allowed to access. A JWT containing any of these audiences
will be accepted. The service name will be accepted if audiences is empty" (istio.io/latest/docs/reference/config/
security/request_authentication/#JWTRule); without the list a token the same issuer minted for another service is
accepted, and an extra audience admits that audience's tokens. The field is optional (components/serving/spec.py
``JwtSpec.audiences``), so the rule cannot know the intended list from the resources alone: like
``model-declared-secrets`` it reads the declarations from the stack's settings (:attr:`Facts.jwt_audiences`, the
saved plan's ``settings.jwtAudiences``, written by :func:`policy.rules.declared_audiences`), so the in-plan pack and
``mlplatform check`` judge the same. A model or pipeline that declares no audiences is not judged.

The RequestAuthentication is found by what it selects: ``serving.kserve.io/inferenceservice: <name>`` for a model,
``serving.kserve.io/inferencegraph: <name>`` for a pipeline's router pods (KServe v0.20.0 labels them so,
components/serving/pipeline.py ``IG_LABEL`` cites pkg/constants/constants.go), in the object's namespace.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from policy.rules.base import UNKNOWN, Facts, Finding, Resource, Rule, as_list, as_map, reading

REQUEST_AUTHENTICATION = "kubernetes:security.istio.io/v1:RequestAuthentication"
POD_LABELS = {
    "InferenceService": "serving.kserve.io/inferenceservice",
    "InferenceGraph": "serving.kserve.io/inferencegraph",
}


def _audiences(resources: Sequence[Resource], facts: Facts) -> Iterator[Finding]:
    auths = [r for r in resources if r.type.endswith(":RequestAuthentication") and r.type.startswith("kubernetes:")]
    for key, issuer, declared in facts.jwt_audiences:
        if not declared:
            continue
        kind, ns, name = key.split("/", 2)
        label = POD_LABELS[kind]
        mine: list[Resource] = []
        unknown = False
        for ra in auths:
            labels = ra.get("spec.selector.matchLabels")
            if labels is UNKNOWN or ra.namespace is None:
                unknown = True
                continue
            if ra.namespace == ns and as_map(labels).get(label) == name:
                mine.append(ra)
        yield from _wide_rules(auths, key, ns, issuer, declared)
        if not mine:
            if not unknown:
                yield Finding(
                    None,
                    f"{key} declares JWT audiences {sorted(declared)} but no RequestAuthentication selects its pods",
                )
            continue
        for ra in mine:
            rules = ra.get("spec.jwtRules")
            if rules is UNKNOWN:
                continue
            # every rule of the object is judged, whatever its issuer: the platform renders one rule, the
            # declared issuer's, and a wrong issuer is model-jwt-rules' finding, not this rule's
            where = f"RequestAuthentication {ns}/{ra.k8s_name} ({key})"
            if not as_list(rules):
                yield Finding(ra.urn, f"{where}: no jwtRules (the declared issuer is {issuer})")
            for r in (as_map(x) for x in as_list(rules)):
                got = r.get("audiences")
                if got is UNKNOWN:
                    continue
                rendered = sorted(str(a) for a in as_list(got))
                if rendered != sorted(set(declared)):
                    shown = rendered or "none (any audience the issuer mints is accepted)"
                    yield Finding(
                        ra.urn,
                        f"{where}: jwtRules audiences are {shown}, the stack declares {sorted(set(declared))}",
                    )


MESH_ROOT = "istio-system"
"""Istio's root namespace (the default; the platform's istiod keeps it): "A policy in the root namespace ("istio-system"
by default) applies to workloads in all namespaces in a mesh" (istio.io docs/reference/config/security/
request_authentication, the ``req-authn-for-all`` example)."""


def _applies_to_every_workload(ra: Resource, ns: str) -> bool | None:
    """Whether ``ra`` applies to every workload of namespace ``ns`` (None: not known before deploy). A
    RequestAuthentication without a selector (or with an empty ``matchLabels``, which Istio accepts with the warning
    "workload selector specified without labels", istio/istio pkg/config/validation ``validateWorkloadSelector``)
    applies to every workload of its namespace, and one in the root namespace (:data:`MESH_ROOT`) to every workload of
    the mesh (istio.io docs/reference/config/security/request_authentication: ``selector`` is "Optional", the
    ``req-authn-for-all`` example has none and applies to every workload; rev17m report, 19); ``targetRef(s)``
    attach it to a gateway or service instead."""
    if ra.namespace not in (ns, MESH_ROOT):
        return False
    spec = ra.props.get("spec")
    if spec is UNKNOWN:
        return None
    spec = as_map(spec)
    if spec.get("targetRef") or spec.get("targetRefs"):
        return False
    labels = as_map(spec.get("selector")).get("matchLabels")
    if labels is UNKNOWN or spec.get("selector") is UNKNOWN:
        return None
    return not as_map(labels)


def _wide_rules(
    auths: Sequence[Resource], key: str, ns: str, issuer: str, declared: Sequence[str]
) -> Iterator[Finding]:
    """rev17m-19: a namespace-wide (or mesh-wide) RequestAuthentication also applies to the object's pods, and "When
    more than one policy matches a workload, Istio combines all rules as if they were specified as a single policy"
    (istio.io docs/concepts/security, Request authentication): its rule for the declared issuer with other audiences
    (none: any audience) lets in tokens the object's own rule refuses."""
    want = sorted(set(declared))
    for ra in auths:
        if not _applies_to_every_workload(ra, ns):
            continue
        scope = "the mesh" if ra.namespace == MESH_ROOT else f"namespace {ns}"
        for r in (as_map(x) for x in as_list(ra.get("spec.jwtRules"))):
            got = r.get("audiences")
            if r.get("issuer") != issuer or got is UNKNOWN:
                continue
            rendered = sorted(str(a) for a in as_list(got))
            if rendered != want:
                shown = rendered or "none (any audience the issuer mints)"
                yield Finding(
                    ra.urn,
                    f"RequestAuthentication {ra.namespace}/{ra.k8s_name} applies to every workload of {scope}, "
                    f"{key}'s pods included: its rule for issuer {issuer} accepts audiences {shown}, the stack "
                    f"declares {want}",
                )


RULES = [
    Rule(
        name="jwt-audiences-rendered",
        description=(
            "Each public model and pipeline that declares access.jwt.audiences renders a RequestAuthentication on "
            "its pods whose JWT rules list exactly those audiences, and no namespace-wide or mesh-wide "
            "RequestAuthentication accepts other audiences of its issuer."
        ),
        enforcement="mandatory",
        area="ingress",
        applies_to=(REQUEST_AUTHENTICATION,),
        check_stack=_audiences,
        unknown=reading({REQUEST_AUTHENTICATION: ("spec.selector.matchLabels.*", "spec.jwtRules")}),
        remediation="components/serving/_auth.py jwt_authentication renders the declared audiences",
    ),
]
