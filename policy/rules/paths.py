"""The path shapes an ALLOW AuthorizationPolicy of the plan may admit: exact paths, ``{*}`` segments, a final ``/*``.

Istio matches ``Operation.paths`` exactly, by prefix (``abc*``), by suffix (``*abc``) or as a template (``{*}`` one
segment, ``{**}`` any number, at the end) (istio.io/latest/docs/reference/config/security/authorization-policy/
#Operation; Istio 1.30.3 pkg/config/security/security.go ``CheckValidPathTemplate``). A prefix without its ``/``
boundary (``/predict*``) also admits ``/predictadmin`` and every other sibling nobody reviewed; a
suffix or ``{**}`` admits whole trees. The platform renders only exact paths and ``{*}`` templates
(components/serving/_auth.py ``INFERENCE_API``), and a stack's ``access.extraPaths`` accepts only exact segments,
``{*}`` and a final ``/*`` (components/serving/spec.py ``extra_path_problem``). This rule checks the same shape on
the rendered policies, written out here, so that a slip in the rendering is seen whatever the input check says.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from policy.rules.base import UNKNOWN, Facts, Resource, Rule, as_list, as_map, reading

AUTHZ = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
_SEGMENT = re.compile(r"\A(\{\*\}|[A-Za-z0-9._~!$&'()+,;=:@%-]+)\Z")


def path_shape_problem(path: str) -> str | None:
    """Why ``path`` is not an exact path, a ``{*}`` template or a final-``/*`` prefix (None when it is)."""
    if path == "/":
        return None
    if not path.startswith("/"):
        return "is not an absolute path (a suffix match admits every path ending so)"
    body = path[1:-2] if path.endswith("/*") else path[1:]
    for segment in body.split("/"):
        if not _SEGMENT.match(segment):
            return "has a wildcard other than {*} segments or a final /* (a prefix without its / boundary, or {**})"
    return None


def _path_shapes(res: Resource, facts: Facts) -> Iterator[str]:
    if res.type != AUTHZ:
        return
    spec = as_map(res.props.get("spec"))
    if spec.get("action", "ALLOW") not in ("ALLOW", UNKNOWN):
        return
    for i, rule in enumerate(as_list(spec.get("rules"))):
        for j, to in enumerate(as_list(as_map(rule).get("to"))):
            paths = as_map(as_map(to).get("operation")).get("paths")
            for path in as_list(paths):
                if path is UNKNOWN:
                    continue
                problem = path_shape_problem(str(path))
                if problem:
                    yield (
                        f"AuthorizationPolicy {res.namespace}/{res.k8s_name} rules[{i}].to[{j}] admits path {path!r}, "
                        f"which {problem}"
                    )


RULES = [
    Rule(
        name="authz-path-shapes",
        description=(
            "Every path an ALLOW AuthorizationPolicy admits is exact, a {*} template or a final /* prefix (no prefix "
            "without its / boundary, suffix or {**})."
        ),
        enforcement="mandatory",
        area="models",
        applies_to=("security.istio.io AuthorizationPolicy",),
        check_resource=_path_shapes,
        remediation="Render paths as components/serving/_auth.py and spec.py extra_path_problem accept them.",
        unknown=reading({AUTHZ: ("spec.action", "spec.rules")}),
    ),
]
