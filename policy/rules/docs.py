"""The rule table for README.md and docs/policies.md, generated from the registry (never copied by hand)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from policy.rules import ALL_RULES, Rule
from policy.rules.kubernetes import PRIVILEGED_NAMESPACES

START = "<!-- policy-table:start -->"
END = "<!-- policy-table:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(rules: Iterable[Rule] | None = None) -> str:
    """The markdown table of rules: name, default enforcement, area and what it checks."""
    lines = [
        "| Policy | Enforcement | Area | What it checks |",
        "|---|---|---|---|",
    ]
    for rule in ALL_RULES if rules is None else rules:
        lines.append(f"| `{rule.name}` | {rule.enforcement} | {rule.area} | {_cell(rule.description)} |")
    return "\n".join(lines) + "\n"


def marked_table() -> str:
    """The table between the README markers (markers included)."""
    return f"{START}\n{markdown_table()}{END}\n"


def between_markers(text: str) -> str | None:
    """The text between the markers in ``text`` (markers included), or None when they are absent."""
    start = text.find(START)
    end = text.find(END)
    if start < 0 or end < start:
        return None
    return text[start : end + len(END)] + "\n"


HERE = Path(__file__).resolve().parent
PAGE = HERE / "policies_page.md"
"""The prose of docs/policies.md (``@TABLE@``, ``@SOURCES@`` and ``@NAMESPACES@`` are filled in): documentation
that names the clouds' services and their sources, kept as a document beside its generator."""
SOURCES_FILE = HERE / "policy_sources.json"
"""What each security rule relies on upstream, with the source (docs/policies.md): ``[[rule, text], ...]``."""


def sources() -> tuple[tuple[str, str], ...]:
    """The rules' upstream sources (:data:`SOURCES_FILE`), in the page's order."""
    return tuple((str(name), str(text)) for name, text in json.loads(SOURCES_FILE.read_text(encoding="utf-8")))


def policies_page() -> str:
    """docs/policies.md: how the pack runs, the rule table, overrides and the privileged-namespace list."""
    namespaces = "\n".join(f"| `{ns}` | {_cell(why)} |" for ns, why in PRIVILEGED_NAMESPACES.items())
    rows = "\n".join(f"| `{name}` | {_cell(text)} |" for name, text in sources())
    return (
        PAGE.read_text(encoding="utf-8")
        .replace("@TABLE@", marked_table())
        .replace("@SOURCES@", rows)
        .replace("@NAMESPACES@", namespaces)
    )
