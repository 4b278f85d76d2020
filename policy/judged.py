"""Judging, offline, the documents a plain plan cannot see: trust policies and storage grants built from outputs.

In a plain ``mlplatform plan`` (like ``pulumi preview``) a document built from a value known only after deploy (an
IRSA trust policy naming the OIDC provider's ARN, a policy naming a queue's ARN) is unknown, and a rule that reads it
can only say ``unchecked``. A one-line slip in such a document (a trust policy without its ``sub`` condition) would
then pass every offline gate. The design, and why it is honest:

- ``mlplatform plan`` runs the program a second time with typed placeholders (``outputs="fake"``,
  components/plan/fakes.py) when a mandatory rule reports unchecked documents, and lets those rules judge the
  placeholder rendering. The *structure* of each document (its statements, actions, condition keys, which
  ServiceAccount it names) is what our code builds and is the same in both renderings; only the values a deploy
  computes (account, issuer host, ids) are placeholders. The entries that come from the placeholder run say so
  (``judgedOver: "placeholders"``); the entries of rules that had nothing unknown are the plain plan's.
- ``mlplatform plan --json`` saves the placeholder rendering (``judgedResources``); ``mlplatform check`` has no
  program to run and judges the same rules over that saved rendering (:func:`judge_unknown_documents`), reaching
  the plan's verdict. Without it (an edited or older plan) those rules report ``unchecked``, ``--strict`` fails them
  (exit 1), and a mandatory failure the saved ``policies`` recorded that ``check`` does not reproduce fails the
  check (policy/check.py :func:`~policy.check.unreproduced`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

JUDGED_KEY = "judgedOver"
"""Key on a policies entry that was decided over the placeholder rendering (value ``"placeholders"``)."""


def unchecked_mandatory(entries: Sequence[dict[str, Any]]) -> list[str]:
    """Names of the mandatory rules that passed with documents they could not see (in order, once each)."""
    names: list[str] = []
    for e in entries:
        if e.get("enforcement") == "mandatory" and e.get("passed") and e.get("unchecked") and e["policy"] not in names:
            names.append(e["policy"])
    return names


def merge_judged(plain: Sequence[dict[str, Any]], fake: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``plain``'s entries, with those of the rules that were unchecked there replaced by ``fake``'s entries.

    ``fake``: the same rules run over the placeholder rendering of the same program. Each replacing entry carries
    ``judgedOver: "placeholders"``; a rule the placeholder run still cannot see keeps its ``unchecked`` note.
    """
    redo = set(unchecked_mandatory(plain))
    out: list[dict[str, Any]] = []
    done: set[str] = set()
    for e in plain:
        name = e["policy"]
        if name not in redo:
            out.append(e)
        elif name not in done:
            done.add(name)
            out.extend({**f, JUDGED_KEY: "placeholders"} for f in fake if f["policy"] == name)
    return out


def judge_unknown_documents(
    plain: Sequence[dict[str, Any]], rerun: Callable[[Sequence[str]], Sequence[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The plan's entries with unchecked mandatory rules judged over a placeholder rendering (``rerun``).

    ``rerun(names)`` is called only when some mandatory rule reported unchecked documents, with the names of those
    rules (:func:`unchecked_mandatory`): it judges the placeholder rendering (``outputs="fake"``) with those rules and
    returns their entries. Only those rules: :func:`merge_judged` keeps no other rule's entry of that run, and each
    rule judges the resources on its own (policy/rules ``run_rules``), so judging the others too would give the same
    plan at several times the cost (the network rules' request-path walks are most of a judgement).
    """
    names = unchecked_mandatory(plain)
    if not names:
        return list(plain)
    return merge_judged(plain, rerun(names))
