"""``mlplatform check PLAN.json``: the policy pack over a plan saved with ``mlplatform plan --json``.

A platform team can gate a plan made elsewhere (a CI artefact) without running the program again. The saved plan
keeps, per stack, every registration with its wire-name inputs (providers included, for default tags), the cost
estimate (for the budget rules) and ``settings`` (what the rules read besides resources: environment, required
tags, GPU budget, API opt-in, anonymous models, monthly budget, overrides with reasons). The rules and the
resource shape are the same as in ``mlplatform plan`` and in the CrossGuard pack: :func:`policy.rules.run_rules`
over :class:`policy.rules.Resource`.

In the JSON, values known only after deploy are the text ``(known after deploy)`` and secrets ``[secret]``; both are
read back as the rules' unknown marker (a secret's value is not in the file, so a rule cannot judge it: it reports
it unchecked, never compares the text ``[secret]`` as if it were the value).

What ``check`` trusts and what it refuses: a file with no stacks, or a stack with no resources, is refused (exit 2,
one line): an empty plan would pass every rule vacuously. The ``overrides`` saved in a stack's settings are trusted
as written (a hand-edited plan can disable a rule with a reason); ``--no-overrides`` ignores them and applies every
rule at its default enforcement. Documents known only after deploy are judged, as the plan judged them, over the
placeholder rendering the plan saved (``judgedResources``, policy/judged.py): ``resources`` with only their unknown
values filled in from it (:func:`filled`), every known value as written; a plan without it leaves them
unchecked, and ``--strict`` fails (exit 1) a mandatory rule that left documents unchecked. A mandatory failure the
saved ``policies`` recorded that ``check`` does not reproduce fails the check (:func:`unreproduced`). Every key of
``settings`` is required (:data:`SETTINGS_KEYS`). A model the settings declare whose rendered objects are not all in
the plan's resources (an InferenceService, its AuthorizationPolicy, RequestAuthentication, NetworkPolicy... deleted
from the JSON) fails the check (:func:`missing_objects`): the rules iterate resources and would pass vacuously.
"""

from __future__ import annotations

import json
import math
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from components.errors import SpecError, show, show_key
from policy.judged import judge_unknown_documents
from policy.rules import UNKNOWN, Resource, StackSettings, rule_names, rules_called, run_rules
from policy.rules.base import as_list, unknown_within
from policy.rules.budget import with_budget

UNKNOWN_TEXT = "(known after deploy)"
"""How the plan JSON spells a value known only after deploy (components.plan.engine.UNKNOWN_TEXT)."""
SECRET_TEXT = "[secret]"
"""How the plan JSON spells a secret (components/plan/report.py): its value is not in the file."""

SETTINGS_KEYS = (
    "environment", "requiredTags", "maxGpus", "allowPublicApi", "anonymousModels", "budget", "overrides", "models",
    "pipelines", "modelSecrets", "zones", "jwtAudiences",
)  # fmt: skip
"""Every key of a saved stack's ``settings`` (components/plan/report.py writes them all): ``check`` refuses a plan
missing one rather than judge it by the key's default (a deleted ``environment`` would read as dev)."""


class PlanFileError(SpecError):
    """A file that is not a saved plan: one line naming the file and what is wrong."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self._line = f"{path}: {problem}"
        super().__init__("", "", "")

    @property
    def message(self) -> str:
        """The complete line."""
        return self._line


@dataclass(frozen=True)
class SavedStack:
    """One stack of a saved plan: its name, cloud, resources as rules see them, settings and cost estimate."""

    stack: str
    cloud: str
    resources: list[Resource]
    settings: StackSettings
    cost: Mapping[str, Any]
    judged: list[Resource] | None = None
    """The placeholder rendering the plan judged unknown documents over (``judgedResources``), if it saved one."""
    planned: list[dict[str, Any]] | None = None
    """The ``policies`` entries the plan saved (its verdict), compared by :func:`unreproduced`."""


_TYPE = re.compile(r"[A-Za-z0-9_.-]+:[A-Za-z0-9_./-]*:[A-Za-z0-9_.-]+")
"""A type token ``package:module:Type`` in ASCII, the form of every type in the plans of the four shipped stacks (the
Pulumi token grammar itself was not looked up for this check): the rules match types exactly, so a Cyrillic letter in
one would make every rule skip the resource."""

MAX_DEPTH = 64
"""How deep a saved plan's values may nest: the deepest value the program renders is a handful of levels (an
InferenceService's ``spec.predictor.model.resources.limits``); a deeper one was written by hand and would exhaust
Python's recursion in the rules: refused (exit 2)."""


class _TooDeep(Exception):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def _unwire(value: Any, path: str = "inputs", depth: int = 0) -> Any:
    """JSON values back into what rules see: the unknown and secret texts become :data:`UNKNOWN`."""
    if depth > MAX_DEPTH:
        raise _TooDeep(path)
    if isinstance(value, str) and value in (UNKNOWN_TEXT, SECRET_TEXT):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _unwire(v, f"{path}.{show_key(k)}", depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwire(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
    return value


def _resources(path: Path, name: str, docs: Any, key: str = "resources") -> list[Resource]:
    if not isinstance(docs, list):
        raise PlanFileError(path, f"stack {name}: {key} is not a list; this is not a plan from mlplatform plan")
    by_urn: dict[str, Mapping[str, Any]] = {}
    for i, r in enumerate(docs):
        if not isinstance(r, dict) or not isinstance(r.get("urn"), str) or not isinstance(r.get("type"), str):
            raise PlanFileError(path, f"stack {name}: {key}[{i}] has no urn and type; not a plan resource")
        if not isinstance(r.get("inputs", {}), dict):
            raise PlanFileError(path, f"stack {name}: {key}[{i}].inputs is not a map")
        if not _TYPE.fullmatch(r["type"]):
            raise PlanFileError(
                path,
                f"stack {name}: {key}[{i}].type: {show(r['type'])} is not allowed; give a Pulumi type token "
                "package:module:Type in ASCII letters, digits and ._/- (a lookalike letter would evade every rule)",
            )
        for ref in ("provider", "parent"):
            if r.get(ref) is not None and not isinstance(r[ref], str):
                raise PlanFileError(
                    path,
                    f"stack {name}: {key}[{i}].{ref}: {_shown(r[ref])} is not allowed; give the URN of a resource "
                    "of this plan, or null",
                )
        if r["urn"] in by_urn:
            first = next(j for j, d in enumerate(docs) if d is by_urn[r["urn"]])
            raise PlanFileError(
                path,
                f"stack {name}: {key}[{i}].urn: {show(r['urn'])} is not allowed; {key}[{first}] has the same URN "
                "(the engine registers each URN once): give each resource once",
            )
        by_urn[r["urn"]] = r
    if not any(not r["type"].startswith("pulumi:providers:") for r in docs):
        empty = "" if key == "resources" else f" in {key}"
        raise PlanFileError(path, f"stack {name} has no resources{empty}: an empty plan passes every rule; refusing it")
    for i, r in enumerate(docs):
        _tie_refs(path, name, key, i, r, by_urn)
    out = []
    for i, r in enumerate(docs):
        if r["type"].startswith("pulumi:providers:"):
            continue
        provider = by_urn.get(r.get("provider") or "")
        try:
            props = _unwire(r.get("inputs") or {}, f"{key}[{i}].inputs")
            provider_props = _unwire(provider.get("inputs") or {}, f"{key}[{i}].provider.inputs") if provider else {}
        except _TooDeep as e:
            raise PlanFileError(
                path,
                f"stack {name}: {e.path}: nested deeper than {MAX_DEPTH} levels; no plan of mlplatform plan is: "
                "refusing it",
            ) from None
        kind = r["type"].rsplit(":", 1)[-1]
        if r["type"].startswith("kubernetes:") and kind in SHAPES:
            wrong = _shape_error(f"{key}[{i}].inputs", props, SHAPES[kind])
            if wrong:
                raise PlanFileError(path, f"stack {name}: {wrong} (the shape the {kind} API takes)")
        out.append(
            Resource(
                type=r["type"],
                name=str(r.get("name", "")),
                urn=r["urn"],
                props=props,
                protect=r.get("protect") is True,
                parent=r.get("parent"),
                provider_props=provider_props,
                depends_on=tuple(str(d) for d in as_list(r.get("dependsOn"))),
            )
        )
    return out


def _tie_refs(path: Path, name: str, key: str, i: int, r: Mapping[str, Any], by_urn: Mapping[str, Any]) -> None:
    """Refuse a ``provider`` or ``parent`` that is not tied to the plan (red team #17b cause 4, B15-B17, B40): the
    rules read a resource's provider's inputs as its default tags/labels, so a provider reference naming another
    resource (a KMS alias with hand-written ``defaultTags``) or no resource would decide ``required-tags``.

    - ``provider``: the URN of a ``pulumi:providers:<package>`` resource of the same list, ``<package>`` the first
      segment of the resource's type (a provider serves one package: "The URN's type portion must be of the form
      pulumi:providers:<pkg>", ``MakeProviderType``, pulumi/pulumi pkg/resource/deploy/providers/reference.go; every
      provider reference in the four shipped stacks' plans names one of its resource's package);
    - ``parent``: the URN of a resource of the same list (the plan records every registration, its parents
      included)."""
    provider, parent = r.get("provider"), r.get("parent")
    if provider is not None:
        package = str(r["type"]).split(":", 1)[0]
        want = f"pulumi:providers:{package}"
        held = by_urn.get(provider)
        if held is None or held.get("type") != want:
            what = "no resource of this plan" if held is None else f"a {held.get('type')}"
            raise PlanFileError(
                path,
                f"stack {name}: {key}[{i}].provider: {show(provider)} is not allowed; it names {what}: give the URN "
                f"of a {want} resource of this plan, or null",
            )
    if parent is not None and parent not in by_urn:
        raise PlanFileError(
            path,
            f"stack {name}: {key}[{i}].parent: {show(parent)} is not allowed; it names no resource of this plan: give "
            "the URN of a resource of this plan, or null",
        )


# ------------------------------------------------------------------------------------------------ shapes

_SELECTOR: Any = {
    "matchLabels": {"*": str},
    "matchExpressions": [{"key": str, "operator": str, "values": [str]}],
}
_META: Any = {"name": str, "namespace": str, "labels": {"*": str}, "annotations": {"*": str}}
_NETPOL_RULE: Any = {
    "from": [{"podSelector": _SELECTOR, "namespaceSelector": _SELECTOR, "ipBlock": {"cidr": str, "except": [str]}}],
    "ports": [{"protocol": str, "port": (int, str), "endPort": int}],
}
_NETPOL_RULE["to"] = _NETPOL_RULE["from"]
_SELECTED: Any = {"selector": {"matchLabels": {"*": str}}}
_CONTAINER: Any = {"name": str, "env": [{"name": str}], "ports": [{"containerPort": (int, str)}]}
_PREDICTOR: Any = {
    "minReplicas": int,
    "model": {**_CONTAINER, "protocolVersion": str, "modelFormat": {"name": str}},
    "containers": [_CONTAINER],
}
SHAPES: Mapping[str, Any] = {
    "NetworkPolicy": {
        "metadata!": _META,
        "spec!": {"podSelector": _SELECTOR, "policyTypes": [str], "ingress": [_NETPOL_RULE], "egress": [_NETPOL_RULE]},
    },
    "AuthorizationPolicy": {
        "metadata!": _META,
        "spec!": {
            **_SELECTED,
            "action": str,
            "rules": [
                {
                    "from": [{"source": {"*": [str]}}],
                    "to": [{"operation": {"*": [str]}}],
                    "when": [{"key": str, "values": [str], "notValues": [str]}],
                }
            ],
        },
    },
    "RequestAuthentication": {
        "metadata!": _META,
        "spec!": {**_SELECTED, "jwtRules": [{"issuer": str, "audiences": [str]}]},
    },
    "InferenceService": {"metadata!": _META, "spec!": {"predictor!": _PREDICTOR}},
}
"""The shape of what the request-path model (components/serving/requestpath.py) reads of each kind, as the
Kubernetes and Istio APIs type it (networking.k8s.io/v1 NetworkPolicy, security.istio.io/v1 AuthorizationPolicy and
RequestAuthentication, serving.kserve.io/v1beta1 InferenceService): a map's listed keys (``"*"``: every value), a
list's items, a scalar's type. The plan engine writes these from typed objects, so a value of another shape was
written by hand: ``check`` refuses it (exit 2) instead of letting a rule crash on it."""

_SHAPE_NAMES = {str: "a string", int: "an integer", (int, str): "an integer or a string"}


def _shape_error(path: str, value: Any, shape: Any) -> str | None:
    """The first place ``value`` departs from ``shape``: ``"<path>: <value> is not allowed; give ..."``, else None.

    The unknown marker fits every shape (a rule skips what it cannot know); null fits a map's key (absent) unless
    the key ends in ``!`` (the object's ``metadata`` and ``spec``, which the request-path model indexes)."""
    if value is UNKNOWN:
        return None
    if isinstance(shape, dict):
        if not isinstance(value, Mapping):
            return f"{path}: {_shown(value)} is not allowed; give a map"
        for key, sub in shape.items():
            required = key.endswith("!")
            items = value.items() if key == "*" else [(key.rstrip("!"), value.get(key.rstrip("!")))]
            for k, v in items:
                if v is None and key != "*" and not required:
                    continue
                found = _shape_error(f"{path}.{show_key(k)}", v, sub)
                if found:
                    return found
        return None
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{path}: {_shown(value)} is not allowed; give a list"
        for i, v in enumerate(value):
            found = _shape_error(f"{path}[{i}]", v, shape[0])
            if found:
                return found
        return None
    kinds = shape if isinstance(shape, tuple) else (shape,)
    if isinstance(value, bool) or not isinstance(value, kinds):
        return f"{path}: {_shown(value)} is not allowed; give {_SHAPE_NAMES[shape]}"
    return None


def _shown(value: Any) -> str:
    """A value in an error line: scalars as :func:`components.errors.show`, a map or list as its JSON (shortened)."""
    if isinstance(value, Mapping | list):
        text = json.dumps(value, default=str)
        return text if len(text) <= 60 else text[:57] + "..."
    return show(value)


MAX_BYTES = 64 * 1024 * 1024
"""The largest plan file ``check`` reads: the plan of the four shipped stacks is 1.4 MB; a file past 64 MiB (or
``/dev/zero``) is refused before it is read, not read until memory runs out."""


class _Refused(ValueError):
    """A JSON constant or a repeated key that ``mlplatform plan --json`` never writes."""


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not allowed; JSON has no NaN or Infinity and mlplatform plan --json never writes one")


MAX_DIGITS = 30
"""The most digits an integer of a saved plan may have: the largest integer the program writes is a count or a byte
size (a 64-bit integer has at most 20 digits); a longer one was written by hand, and past 4300 digits Python refuses
to convert it (``ValueError``, the int max-str-digits limit): refused (exit 2)."""


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _Refused(
            f"an integer of {len(text.lstrip('-'))} digits is not allowed (number too long); a plan of mlplatform "
            f"plan --json has none longer than {MAX_DIGITS}"
        )
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(
            f"the number {text[:40]} is not allowed; it is beyond the largest float (read as {value}): mlplatform "
            "plan --json never writes one"
        )
    return value


def _not_utf8(doc: Any) -> str | None:
    """The key path of the first string (key or value) in ``doc`` that UTF-8 cannot encode (a lone surrogate such
    as ``\\ud800``, which JSON escapes can spell), else None. Iterative: ``doc`` may nest as deep as the parser
    allows. A plan without such a string (every plan ``mlplatform plan --json`` writes) is told by one C-speed
    encoding of the whole document; the walk that finds the path runs only when that fails."""
    try:
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, TypeError, RecursionError):
        pass  # a lone surrogate somewhere, or a document json cannot write back: walk it
    else:
        return None
    todo: list[tuple[str, Any]] = [("", doc)]
    while todo:
        path, value = todo.pop()
        if isinstance(value, dict):
            for k, v in value.items():
                here = f"{path}.{show_key(k)}" if path else show_key(k)
                if not _encodes(k):
                    return here
                todo.append((here, v))
        elif isinstance(value, list):
            todo.extend((f"{path}[{i}]", v) for i, v in enumerate(value))
        elif isinstance(value, str) and not _encodes(value):
            return path or "."
    return None


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(
                f"the key {show_key(key)} is given twice in one object (the last would silently win); a plan of "
                "mlplatform plan --json gives each key once"
            )
        out[key] = value
    return out


def _read(path: Path) -> str:
    """The text of the plan file: a regular file of at most :data:`MAX_BYTES` in UTF-8, else one line."""
    give = "give a plan written by mlplatform plan --json"
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise PlanFileError(path, f"is a directory; {give}")
        if not stat.S_ISREG(st.st_mode):
            # a FIFO with no writer would block forever, a device such as /dev/zero never ends
            raise PlanFileError(path, f"is not a regular file (a pipe, socket or device); {give}")
        if st.st_size > MAX_BYTES:
            raise PlanFileError(path, f"is {st.st_size} bytes, more than the {MAX_BYTES} check reads; {give}")
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise PlanFileError(path, f"is more than the {MAX_BYTES} bytes check reads; {give}")
        return data.decode("utf-8")
    except FileNotFoundError:
        raise PlanFileError(path, f"no such file; {give}") from None
    except IsADirectoryError:
        raise PlanFileError(path, f"is a directory; {give}") from None
    except (OSError, UnicodeDecodeError, MemoryError) as e:
        raise PlanFileError(path, f"cannot be read ({type(e).__name__}); {give}") from None


def _cost(path: Path, name: str, cost: Any) -> Mapping[str, Any]:
    """The saved cost estimate (components/plan/report.py writes a map, components/cost.py its totals), checked where
    the budget rule reads it: ``totals.ceiling.usd`` a finite number >= 0, ``lowerBound`` true or false."""
    if not isinstance(cost, dict):
        raise PlanFileError(
            path, f"stack {name}: cost: {_shown(cost)} is not allowed; give the map mlplatform plan --json writes"
        )
    totals = cost.get("totals")
    if totals is None:
        return cost
    ceiling = totals.get("ceiling") if isinstance(totals, dict) else None
    if not isinstance(ceiling, dict):
        raise PlanFileError(
            path, f"stack {name}: cost.totals.ceiling: {_shown(ceiling)} is not allowed; give a map with usd"
        )
    usd = ceiling.get("usd")
    if isinstance(usd, bool) or not isinstance(usd, int | float) or not 0 <= usd < float("inf"):
        raise PlanFileError(
            path, f"stack {name}: cost.totals.ceiling.usd: {_shown(usd)} is not allowed; give a number >= 0"
        )
    if not isinstance(ceiling.get("lowerBound", False), bool):
        raise PlanFileError(
            path,
            f"stack {name}: cost.totals.ceiling.lowerBound: {_shown(ceiling['lowerBound'])} is not allowed; give "
            "true or false",
        )
    return cost


def load_plan(path: Path) -> list[SavedStack]:
    """The stacks of the plan saved at ``path``; :class:`PlanFileError` (one line) for a file that is not one."""
    text = _read(path)
    try:
        doc = json.loads(
            text, parse_constant=_no_constant, parse_int=_int, parse_float=_float, object_pairs_hook=_no_duplicates
        )
    except (json.JSONDecodeError, RecursionError, MemoryError) as e:
        where = f" (line {e.lineno})" if isinstance(e, json.JSONDecodeError) else ""
        raise PlanFileError(path, f"not JSON{where}; give a plan written by mlplatform plan --json") from None
    except _Refused as e:
        raise PlanFileError(path, str(e)) from None
    except ValueError as e:  # any other conversion the parser gives up on: one line, never a traceback
        raise PlanFileError(
            path, f"a value cannot be read ({type(e).__name__}); give a plan written by mlplatform plan --json"
        ) from None
    bad = _not_utf8(doc)
    if bad is not None:
        raise PlanFileError(
            path,
            f"{bad}: a string with a lone surrogate (a \\ud800-\\udfff escape) is not allowed; it is not Unicode "
            "text and cannot be printed; mlplatform plan --json never writes one",
        )
    if not isinstance(doc, dict) or not isinstance(doc.get("stacks"), list):
        raise PlanFileError(path, "not a plan: expected a JSON object with stacks, as mlplatform plan --json writes")
    if not doc["stacks"]:
        raise PlanFileError(path, "the plan holds no stacks: nothing to check; refusing an empty plan")
    out = []
    seen: dict[str, int] = {}
    for i, s in enumerate(doc["stacks"]):
        if not isinstance(s, dict) or not isinstance(s.get("stack"), str):
            raise PlanFileError(path, f"stacks[{i}] has no stack name; not a plan from mlplatform plan --json")
        name = s["stack"]
        if name in seen:
            raise PlanFileError(
                path,
                f"stacks[{i}].stack: {show(name)} is not allowed; stacks[{seen[name]}] has the same name (check "
                "--stack would judge only one of them): give each stack once",
            )
        seen[name] = i
        if not name or not name.isprintable():
            raise PlanFileError(
                path,
                f"stacks[{i}].stack: {show(name)} is not allowed; give the stack's name as mlplatform plan --json "
                "writes it (no control or invisible characters)",
            )
        cloud = s.get("cloud", "unknown")
        if not isinstance(cloud, str) or not cloud or not cloud.isprintable():
            raise PlanFileError(
                path,
                f"stack {name}: cloud: {_shown(cloud)} is not allowed; give the stack's cloud as mlplatform plan "
                "--json writes it (one name; no control or invisible characters)",
            )
        if "settings" not in s or s["settings"] is None:
            raise PlanFileError(
                path,
                f"stack {name} has no settings (the stack's policy settings): plan it again with this version of "
                "mlplatform plan --json",
            )
        try:
            settings = StackSettings.from_json(s["settings"])
        except SpecError as e:
            raise PlanFileError(path, f"stack {name}: {e.message}") from None
        missing = [k for k in SETTINGS_KEYS if isinstance(s["settings"], dict) and k not in s["settings"]]
        if missing:
            raise PlanFileError(
                path,
                f"stack {name}: settings.{missing[0]} is missing (a saved plan holds every one of "
                f"{', '.join(SETTINGS_KEYS)}; a missing key would be judged by its default): plan it again",
            )
        judged = s.get("judgedResources")
        planned = s.get("policies")
        if planned is not None and not (
            isinstance(planned, list) and all(isinstance(e, dict) and isinstance(e.get("policy"), str) for e in planned)
        ):
            raise PlanFileError(path, f"stack {name}: policies is not a list of policy entries")
        resources = _resources(path, name, s.get("resources"))
        cost = _cost(path, name, s.get("cost"))
        # the saved verdict is what unreproduced() compares against: a plan without it (or without a rule's entry)
        # could hide a recorded failure, so every rule registered here must have its entry
        given = {e["policy"] for e in planned or []}
        lacking = [r for r in rule_names() if r not in given]
        if lacking:
            what = "policies is missing" if planned is None else f"policies has no entry for {lacking[0]}"
            raise PlanFileError(
                path,
                f"stack {name}: {what} (a saved plan holds the verdict of every rule, which check compares with its "
                "own): plan it again with this version of mlplatform plan --json",
            )
        judged_resources = _resources(path, name, judged, "judgedResources") if judged is not None else None
        _tied(path, name, s, resources, judged_resources)
        out.append(SavedStack(name, cloud, resources, settings, cost, judged_resources, planned))
    return out


def _urn_parts(urn: str) -> tuple[str, str, str] | None:
    """(stack, project, type) of a Pulumi URN ``urn:pulumi:<stack>::<project>::<parent types$>type::<name>``
    (pulumi/pulumi sdk/go/common/resource/urn.go ``NewURN``; the form of every URN in the shipped stacks' plans)."""
    if not urn.startswith("urn:pulumi:"):
        return None
    parts = urn[len("urn:pulumi:") :].split("::", 3)
    if len(parts) != 4:
        return None
    return parts[0], parts[1], parts[2].rsplit("$", 1)[-1]


def _tied(
    path: Path, name: str, doc: Mapping[str, Any], resources: list[Resource], judged: list[Resource] | None
) -> None:
    """Refuse (:class:`PlanFileError`) a stack whose resources are not its own or whose ``judgedResources`` are not
    the placeholder rendering of the same resources (red team #17 cause 6: J05, J08, J11):

    - every URN (resources and judgedResources) names this stack and one project, and its type is the resource's
      ``type`` (``_TYPE`` already refuses a lookalike letter in a type);
    - every resource with a value known only after deploy (the documents the rules judge over ``judgedResources``)
      is in ``judgedResources`` under the same URN and type: deleting a bad one from ``judgedResources`` only would
      leave its rule judging nothing;
    - every resource of ``judgedResources`` is one of ``resources`` with the same type: ``judgedResources`` copied
      from another stack or plan is refused.

    Not integrity: a consistent rewrite of both lists (J04) is not detected (docs/policies.md says so)."""
    docs = {str(r.get("urn")): i for i, r in enumerate(doc.get("resources") or [])}
    projects: dict[str, str] = {}
    for key, items in (("resources", resources), ("judgedResources", judged or [])):
        for r in items:
            parts = _urn_parts(r.urn)
            if parts is None or parts[0] != name or parts[2] != r.type:
                why = (
                    "is not a Pulumi URN"
                    if parts is None
                    else f"names stack {parts[0]}"
                    if parts[0] != name
                    else f"names type {parts[2]}, not the resource's type {r.type}"
                )
                raise PlanFileError(
                    path,
                    f"stack {name}: {key} urn {show(r.urn)} {why}: a plan's resources are its stack's own "
                    f"(urn:pulumi:{name}::<project>::<type>::<name>)",
                )
            projects.setdefault(parts[1], r.urn)
    if len(projects) > 1:
        a, b = list(projects)[:2]
        raise PlanFileError(
            path, f"stack {name}: resources of two projects ({a}, {b}): a plan's resources are one program's own"
        )
    if judged is None:
        return
    held = {r.urn: r.type for r in judged}
    mine = {r.urn: r.type for r in resources}
    for r in resources:
        if unknown_within(r.props) is not None and held.get(r.urn) != r.type:
            raise PlanFileError(
                path,
                f"stack {name}: resources[{docs.get(r.urn, '?')}] ({r.type} {show(r.name)}) has values known only "
                "after deploy but judgedResources has no rendering of it: the rules would judge nothing for it; plan "
                "it again (or drop judgedResources and run check --strict)",
            )
    by_urn = {r.urn: r for r in judged}
    for r in resources:
        j = by_urn.get(r.urn)
        if j is None:
            continue
        for what, known, placeholder in (
            ("inputs", r.props, j.props),
            ("provider.inputs", r.provider_props, j.provider_props),
        ):
            gap = _unfilled(known, placeholder, what)
            if gap is not None:
                raise PlanFileError(
                    path,
                    f"stack {name}: resources[{docs.get(r.urn, '?')}].{gap} is known only after deploy but "
                    "judgedResources has no value there (the placeholder rendering gives every such value one): the "
                    "rules could judge nothing for it; plan it again",
                )
    for r in judged:
        if mine.get(r.urn) != r.type:
            raise PlanFileError(
                path,
                f"stack {name}: judgedResources urn {show(r.urn)} ({r.type}) is not one of this plan's resources: "
                "judgedResources is the placeholder rendering of the same resources; plan it again",
            )


def _unfilled(known: Any, placeholder: Any, path: str) -> str | None:
    """The first path where ``known`` holds the unknown marker and ``placeholder`` has no value (red team #17b
    cause 6: a marker added to ``resources`` only, where the placeholder rendering has nothing to fill in, would keep
    the object unjudged; no plan of the four shipped stacks has one), else None."""
    if known is UNKNOWN:
        return path if placeholder is None else None
    if isinstance(known, Mapping):
        other = placeholder if isinstance(placeholder, Mapping) else {}
        for k, v in known.items():
            found = _unfilled(v, other.get(k), f"{path}.{show_key(k)}")
            if found:
                return found
    elif isinstance(known, list):
        items = placeholder if isinstance(placeholder, list) and len(placeholder) == len(known) else [None] * len(known)
        for i, (v, o) in enumerate(zip(known, items, strict=True)):
            found = _unfilled(v, o, f"{path}[{i}]")
            if found:
                return found
    return None


def select(path: Path, stacks: list[SavedStack], name: str | None) -> list[SavedStack]:
    """``stacks``, or only the one named ``name`` (:class:`PlanFileError` when the plan does not hold it)."""
    if name is None:
        return stacks
    chosen = [s for s in stacks if s.stack == name]
    if not chosen:
        held = ", ".join(s.stack for s in stacks) or "none"
        raise PlanFileError(path, f"no stack {name!r} in this plan; stacks here: {held}")
    return chosen


def check(stack: SavedStack, *, no_overrides: bool = False) -> list[dict[str, Any]]:
    """The policies entries for one saved stack: the same rules, facts and overrides as ``mlplatform plan``.

    ``no_overrides``: ignore the overrides saved in the plan (every rule at its default enforcement).
    """
    facts = with_budget(stack.settings.facts, stack.settings.budget, stack.cost)
    settings = replace(stack.settings, facts=facts)
    if no_overrides:
        settings = replace(settings, overrides={})
    entries = run_rules(stack.resources, settings)
    judged = stack.judged
    if judged is None:
        return entries
    # as mlplatform plan does: the mandatory rules left unchecked judged over the saved placeholder rendering, but
    # only where the plan did not know the value: every known value of ``resources`` stays as written
    merged = filled(stack.resources, judged)
    return judge_unknown_documents(entries, lambda names: run_rules(merged, settings, rules_called(names)))


def filled(resources: list[Resource], judged: list[Resource]) -> list[Resource]:
    """``resources`` with each unknown value taken from the same place of the same resource (by URN) in ``judged``.

    Red team #17b cause 6 (J03, J07, J09, K10): the judged pass ran over ``judgedResources`` whole, so a bad known
    value edited into ``resources`` beside one unknown marker was judged over the clean judged copy and passed. Now
    the judged pass sees ``resources`` as written, with only the paths that are unknown there filled in (a value
    known only after deploy is what the placeholder rendering supplies, policy/judged.py). A known value that the
    placeholder run renders differently (gcp-prod ``mlplatform-secrets-key-gke.member``, azure-staging
    ``roleDefinitionId``: values from invokes and config) is the plan's own and stays."""
    by_urn = {r.urn: r for r in judged}
    out = []
    for r in resources:
        j = by_urn.get(r.urn)
        if j is None or (unknown_within(r.props) is None and unknown_within(r.provider_props) is None):
            out.append(r)
            continue
        props = _fill(r.props, j.props)
        if not r.type.startswith("kubernetes:"):
            # a value read from a provider function is absent, not marked, in a plan (an invoke's answer is unknown
            # there, components/plan/engine.py Mocks.call): azure-staging's federated credential ``issuer`` and
            # role assignment ``principalId``, gcp-prod's ``nodeLocations``. Only such top-level arguments of a
            # cloud resource are taken from the placeholder rendering; a key missing deeper (a NetworkPolicy rule's
            # ``from``) stays missing
            props = {**{k: v for k, v in j.props.items() if k not in props}, **props}
        # the filled values bring their sources (issuer from the AKS cluster): dependencies of both renderings
        depends_on = (*r.depends_on, *(d for d in j.depends_on if d not in r.depends_on))
        out.append(
            replace(r, props=props, provider_props=_fill(r.provider_props, j.provider_props), depends_on=depends_on)
        )
    return out


def _fill(known: Any, placeholder: Any) -> Any:
    """``known`` with every unknown marker replaced by the value at the same path of ``placeholder`` (kept unknown
    where ``placeholder`` has no value there or the two differ in shape)."""
    if known is UNKNOWN:
        return UNKNOWN if placeholder is None else placeholder
    if isinstance(known, Mapping):
        other = placeholder if isinstance(placeholder, Mapping) else {}
        return {k: _fill(v, other.get(k)) for k, v in known.items()}
    if isinstance(known, list):
        items = placeholder if isinstance(placeholder, list) and len(placeholder) == len(known) else [None] * len(known)
        return [_fill(v, p) for v, p in zip(known, items, strict=True)]
    return known


def _key(entry: Mapping[str, Any]) -> tuple[str, str]:
    return str(entry.get("policy")), str(entry.get("urn") or "")


def unreproduced(stack: SavedStack) -> list[dict[str, Any]]:
    """The mandatory failures the saved plan recorded that ``check`` (with the saved overrides) does not reproduce.

    On an untampered plan this is empty: ``check`` runs the same rules over the same resources, judged over the same
    placeholder rendering. A recorded failure that ``check`` does not find means the resources were edited after
    the plan judged them (or ``judgedResources`` was dropped): the plan's own verdict stands.
    """
    failed = [e for e in stack.planned or [] if e.get("enforcement") == "mandatory" and e.get("passed") is False]
    if not failed:
        return []
    found = {_key(e) for e in check(stack) if e.get("enforcement") == "mandatory" and not e.get("passed")}
    return [e for e in failed if _key(e) not in found]


def _object_key(res: Resource) -> str | None:
    """``Kind/namespace/name`` of a Kubernetes object (``Kind/name`` when it has no namespace), else None."""
    if not res.type.startswith("kubernetes:"):
        return None
    kind = res.type.rsplit(":", 1)[-1]
    name = res.metadata.get("name")
    if not isinstance(name, str):
        return None
    return f"{kind}/{res.namespace}/{name}" if res.namespace else f"{kind}/{name}"


def missing_objects(stack: SavedStack) -> list[str]:
    """One line per object a declared model or pipeline renders (``settings.models``,
    :func:`policy.rules.model_objects`; ``settings.pipelines``, :func:`policy.rules.pipeline_objects`) that the saved
    plan's resources do not hold: without it the rules that iterate resources pass vacuously."""
    held = {k for k in (_object_key(r) for r in stack.resources) if k is not None}
    out = []
    declared = [("model", stack.settings.models), ("pipeline", stack.settings.pipelines)]
    for what, items in declared:
        for owner, objects in sorted(items.items()):
            for obj in objects:
                if obj not in held:
                    kind, _, where = obj.partition("/")
                    out.append(
                        f"{stack.stack}: {what} {owner} declares a {kind} ({where}) the saved plan does not hold: the "
                        "plan was truncated or edited; rules over the missing object would pass vacuously"
                    )
    return out


def strict(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``--strict``: ``entries`` with each mandatory rule that passed with documents it could not check failed."""
    return [
        {**e, "passed": False, "message": f"--strict: {e['unchecked']}"}
        if e.get("enforcement") == "mandatory" and e.get("passed") and e.get("unchecked")
        else e
        for e in entries
    ]
