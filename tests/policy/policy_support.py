"""What the policy tests share: the rules that fail on a plan, by name, without the two rules every offline plan
fails for reasons outside the plan (an Azure key's rotation is read after deploy; NetworkPolicy enforcement is the
cluster's)."""

from __future__ import annotations

from collections.abc import Sequence

from policy.rules import Resource, StackSettings
from support import rule_entries

IGNORED = ("keyvault-key-rotation", "network-policy-enforced")


def failures(
    resources: Sequence[Resource], settings: StackSettings, ignored: Sequence[str] = IGNORED
) -> dict[str, list[str]]:
    """Each failing rule of the plan, not in ``ignored``, with its messages (a tuple plan judged once per process:
    tests/support.py ``rule_entries``)."""
    out: dict[str, list[str]] = {}
    for e in rule_entries(resources, settings):
        if not e["passed"] and e["policy"] not in ignored:
            out.setdefault(e["policy"], []).append(e["message"])
    return out
