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


RULES = [
    Rule(
        name="jwt-audiences-rendered",
        description=(
            "Each public model and pipeline that declares access.jwt.audiences renders a RequestAuthentication on "
            "its pods whose JWT rules list exactly those audiences."
        ),
        enforcement="mandatory",
        area="ingress",
        applies_to=(REQUEST_AUTHENTICATION,),
        check_stack=_audiences,
        unknown=reading({REQUEST_AUTHENTICATION: ("spec.selector.matchLabels.*", "spec.jwtRules")}),
        remediation="components/serving/_auth.py jwt_authentication renders the declared audiences",
    ),
]
