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
placeholder rendering the plan saved (``judgedResources``, policy/judged.py); a plan without it leaves them
unchecked, and ``--strict`` fails (exit 1) a mandatory rule that left documents unchecked. A mandatory failure the
saved ``policies`` recorded that ``check`` does not reproduce fails the check (:func:`unreproduced`). Every key of
``settings`` is required (:data:`SETTINGS_KEYS`). A model the settings declare whose rendered objects are not all in
the plan's resources (an InferenceService, its AuthorizationPolicy, RequestAuthentication, NetworkPolicy... deleted
from the JSON) fails the check (:func:`missing_objects`): the rules iterate resources and would pass vacuously.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from components.errors import SpecError
from policy.judged import judge_unknown_documents
from policy.rules import UNKNOWN, Resource, StackSettings, run_rules
from policy.rules.base import as_list
from policy.rules.budget import with_budget

UNKNOWN_TEXT = "(known after deploy)"
"""How the plan JSON spells a value known only after deploy (components.plan.engine.UNKNOWN_TEXT)."""
SECRET_TEXT = "[secret]"
"""How the plan JSON spells a secret (components/plan/report.py): its value is not in the file."""

SETTINGS_KEYS = (
    "environment", "requiredTags", "maxGpus", "allowPublicApi", "anonymousModels", "budget", "overrides", "models",
    "pipelines",
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
    cost: Mapping[str, Any] | None
    judged: list[Resource] | None = None
    """The placeholder rendering the plan judged unknown documents over (``judgedResources``), if it saved one."""
    planned: list[dict[str, Any]] | None = None
    """The ``policies`` entries the plan saved (its verdict), compared by :func:`unreproduced`."""


def _unwire(value: Any) -> Any:
    """JSON values back into what rules see: the unknown and secret texts become :data:`UNKNOWN`."""
    if value in (UNKNOWN_TEXT, SECRET_TEXT):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _unwire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwire(v) for v in value]
    return value


def _resources(path: Path, name: str, docs: Any) -> list[Resource]:
    if not isinstance(docs, list):
        raise PlanFileError(path, f"stack {name}: resources is not a list; this is not a plan from mlplatform plan")
    by_urn: dict[str, Mapping[str, Any]] = {}
    for i, r in enumerate(docs):
        if not isinstance(r, dict) or not isinstance(r.get("urn"), str) or not isinstance(r.get("type"), str):
            raise PlanFileError(path, f"stack {name}: resources[{i}] has no urn and type; not a plan resource")
        if not isinstance(r.get("inputs", {}), dict):
            raise PlanFileError(path, f"stack {name}: resources[{i}].inputs is not a map")
        by_urn[r["urn"]] = r
    if not any(not r["type"].startswith("pulumi:providers:") for r in docs):
        raise PlanFileError(path, f"stack {name} has no resources: an empty plan passes every rule; refusing it")
    out = []
    for r in docs:
        if r["type"].startswith("pulumi:providers:"):
            continue
        provider = by_urn.get(r.get("provider") or "")
        out.append(
            Resource(
                type=r["type"],
                name=str(r.get("name", "")),
                urn=r["urn"],
                props=_unwire(r.get("inputs") or {}),
                protect=r.get("protect") is True,
                parent=r.get("parent") if isinstance(r.get("parent"), str) else None,
                provider_props=_unwire(provider.get("inputs") or {}) if provider else {},
                depends_on=tuple(str(d) for d in as_list(r.get("dependsOn"))),
            )
        )
    return out


def load_plan(path: Path) -> list[SavedStack]:
    """The stacks of the plan saved at ``path``; :class:`PlanFileError` (one line) for a file that is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanFileError(path, "no such file; give a plan written by mlplatform plan --json") from None
    except IsADirectoryError:
        raise PlanFileError(path, "is a directory; give a plan written by mlplatform plan --json") from None
    except (OSError, UnicodeDecodeError) as e:
        raise PlanFileError(
            path, f"cannot be read ({type(e).__name__}); give a plan written by mlplatform plan --json"
        ) from None
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        where = f" (line {e.lineno})" if isinstance(e, json.JSONDecodeError) else ""
        raise PlanFileError(path, f"not JSON{where}; give a plan written by mlplatform plan --json") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("stacks"), list):
        raise PlanFileError(path, "not a plan: expected a JSON object with stacks, as mlplatform plan --json writes")
    if not doc["stacks"]:
        raise PlanFileError(path, "the plan holds no stacks: nothing to check; refusing an empty plan")
    out = []
    for i, s in enumerate(doc["stacks"]):
        if not isinstance(s, dict) or not isinstance(s.get("stack"), str):
            raise PlanFileError(path, f"stacks[{i}] has no stack name; not a plan from mlplatform plan --json")
        name = s["stack"]
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
        cost = s.get("cost")
        judged = s.get("judgedResources")
        planned = s.get("policies")
        if planned is not None and not (
            isinstance(planned, list) and all(isinstance(e, dict) and isinstance(e.get("policy"), str) for e in planned)
        ):
            raise PlanFileError(path, f"stack {name}: policies is not a list of policy entries")
        out.append(
            SavedStack(
                name,
                str(s.get("cloud", "unknown")),
                _resources(path, name, s.get("resources")),
                settings,
                cost if isinstance(cost, dict) else None,
                _resources(path, f"{name} (judgedResources)", judged) if judged is not None else None,
                planned,
            )
        )
    return out


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
    # as mlplatform plan does: the mandatory rules left unchecked judged over the saved placeholder rendering
    return judge_unknown_documents(entries, lambda: run_rules(judged, settings))


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
