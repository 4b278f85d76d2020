"""The rule table for README.md and docs/policies.md, generated from the registry (never copied by hand)."""

from __future__ import annotations

from collections.abc import Iterable

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


def policies_page() -> str:
    """docs/policies.md: how the pack runs, the rule table, overrides and the privileged-namespace list."""
    namespaces = "\n".join(f"| `{ns}` | {_cell(why)} |" for ns, why in PRIVILEGED_NAMESPACES.items())
    return f"""# Policies

The guardrails are one set of rules (`policy/rules/`) run in two places:

- offline, by `mlplatform plan`, over every resource the stack registers (exit 1 when a mandatory rule fails; the
  JSON's `policies` list has one entry per finding, and one passing entry per rule that found nothing);
- by the Pulumi CLI, as a CrossGuard pack: `pulumi preview --policy-pack policy/ --policy-pack-config cfg.json`,
  where `python -m policy.rules config stacks/Pulumi.<stack>.yaml > cfg.json` writes the stack's facts
  (environment, required tags, GPU budget, API opt-in, anonymous models) and enforcement levels.

Regenerate this page with `python -m policy.rules docs > docs/policies.md`; the table below is also in the README.

{marked_table()}
## Changing a rule's enforcement on one stack

```yaml
config:
  mlplatform:policy:
    requiredTags: [environment, owner, cost-center]   # default: environment, owner
    maxGpus: 16                                      # GPU budget: sum of max nodes x GPUs per node; default 64
    overrides:
      prod-model-replicas:
        enforcement: advisory                        # mandatory | advisory | disabled
        reason: "batch model; a cold start is acceptable"   # at least 10 characters, shown in the plan
```

## Stack facts the rules read

Offline they come from the stack file; in the CrossGuard pack, from each policy's config (schema in
`policy/pack.py`: `environment`, `requiredTags`, `maxGpus`, `allowPublicApi`, `anonymousModels`).

| Fact | From |
|---|---|
| environment | `mlplatform:environment` (prod-only rules: `prod-model-replicas`, `prod-protect-stateful`) |
| required tags | `mlplatform:policy.requiredTags`; GCP label keys are lowercased as GCP requires |
| GPU budget | `mlplatform:policy.maxGpus` (Karpenter: `spec.limits`; others: max nodes x GPUs per node) |
| API opt-in | `mlplatform:cluster.apiAccess.allowWorld` |
| anonymous models | a model's `access.allowAnonymous: true`, or annotation `mlplatform.io/allow-anonymous: "true"` |

## Rendered manifests

`make test` also renders every stack (`mlplatform plan --all --manifests DIR`) and scans the output: checkov's
Kubernetes checks plus the repo's own checks for InferenceService (`policy/checkov_checks`: CKV_MLP_1 security
context, CKV_MLP_2 requests and limits), kubernetes-validate in strict mode for Kubernetes 1.33 and 1.34, and every
custom resource against the upstream CRD schema. A check may only be skipped by a `checkov.io/skip<n>:
<CHECK_ID>=<reason>` annotation on the object itself.

## Namespaces allowed to run privileged pods

| Namespace | Why |
|---|---|
{namespaces}
"""
