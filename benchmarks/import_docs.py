"""How many of KServe's documented InferenceServices ``mlplatform import`` brings over unchanged.

Reads every fenced code block of the Markdown pages under a checkout of kserve/website (``versioned_docs/version-0.20``
by default: the documentation of KServe v0.20.0; the checkout is not part of this repository), takes each
``serving.kserve.io/v1beta1`` InferenceService in them (YAML blocks, and ``<<EOF`` here-documents of shell blocks),
imports it into one stack (components/plan/kimport.py) with the ServingRuntimes and ServiceAccounts its page documents
(a page pairing a runtime or a ServiceAccount with an InferenceService is imported whole), plans the imported entries in
that stack under the mocks and checks that every field the manifest gives is kept in the rendered InferenceService or
named by a note (``kimport.round_trip_problems``) and that ``mlplatform plan`` of the stack with the entry passes every
mandatory policy (:func:`policy_failures`). Reports the count, and for the rest the field that refused them.

Usage: ``python benchmarks/import_docs.py PATH/TO/kserve-website [--docs versioned_docs/version-0.20]
[--stack aws-dev] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.plan import kimport  # noqa: E402
from components.plan.project import load_project  # noqa: E402

FENCE = re.compile(r"^([ \t]*)```[^\n]*\n(.*?)^\1```", re.S | re.M)
HEREDOC = re.compile(r"<<\s*-?\s*['\"]?(\w+)['\"]?[^\n]*\n(.*?)^\s*\1\s*$", re.S | re.M)


def blocks(page: str) -> list[str]:
    """The YAML texts of a Markdown page: fenced blocks, and the here-documents inside shell blocks."""
    out: list[str] = []
    for indent, body in FENCE.findall(page):
        body = "\n".join(line[len(indent) :] if line.startswith(indent) else line for line in body.splitlines())
        docs = [doc for _, doc in HEREDOC.findall(body)]
        out.extend(docs or [body])
    return out


def _is_isvc(doc: Any) -> bool:
    """An InferenceService example: the type and a spec (the style guide's two-line stubs are not examples)."""
    return (
        isinstance(doc, dict)
        and doc.get("apiVersion") == kimport.API_VERSION
        and doc.get("kind") == kimport.KIND
        and "spec" in doc
    )


def _is_runtime(doc: Any) -> bool:
    """A namespaced ServingRuntime example (``serving.kserve.io/v1alpha1``) with a spec."""
    return (
        isinstance(doc, dict)
        and str(doc.get("apiVersion", "")).startswith(kimport.SERVING_GROUP)
        and doc.get("kind") == kimport.SERVING_RUNTIME
        and "spec" in doc
    )


def _is_account(doc: Any) -> bool:
    """A ServiceAccount example (``v1``), which an InferenceService's ``serviceAccountName`` may name."""
    return isinstance(doc, dict) and doc.get("apiVersion") == "v1" and doc.get("kind") == "ServiceAccount"


def page_runtimes(docs_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """The ServingRuntimes and ServiceAccounts each page documents, by page path, in page order: imported with each
    InferenceService of that page, as a user would apply the page's runtime or ServiceAccount with its
    InferenceService (a later ServiceAccount of the same name replaces an earlier one, as ``kubectl apply`` in page
    order would: s3.md's IRSA account, then the one listing ``s3creds``)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for page in sorted(docs_dir.rglob("*.md*")):
        for text in blocks(page.read_text(encoding="utf-8")):
            if "ServingRuntime" not in text and "ServiceAccount" not in text:
                continue
            try:
                docs = list(yaml.safe_load_all(text))
            except yaml.YAMLError:
                continue
            found.setdefault(str(page.relative_to(docs_dir)), []).extend(
                d for d in docs if _is_runtime(d) or _is_account(d)
            )
    return {page: runtimes for page, runtimes in found.items() if runtimes}


def documented_isvcs(docs_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """(page path, InferenceService) for every InferenceService the pages document, in page order."""
    found: list[tuple[str, dict[str, Any]]] = []
    for page in sorted(docs_dir.rglob("*.md*")):
        for text in blocks(page.read_text(encoding="utf-8")):
            if "InferenceService" not in text:
                continue
            try:
                docs = list(yaml.safe_load_all(text))
            except yaml.YAMLError:
                continue
            for doc in docs:
                if _is_isvc(doc):
                    found.append((str(page.relative_to(docs_dir)), doc))
    return found


MODE = "serving.kserve.io/deploymentMode"


def _project(folder: Path, stack: str) -> Any:
    """A project of its own in ``folder``: this one's program, the stack, and its Standard-mode twin
    ``<stack>-standard`` (platform.deploymentMode: Standard, without the stack's own models and pipelines)."""
    (folder / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (folder / "infra").symlink_to(ROOT / "infra")
    (folder / "stacks").mkdir()
    text = (ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text()
    (folder / "stacks" / f"Pulumi.{stack}.yaml").write_text(text)
    doc = yaml.safe_load(text)
    config = doc["config"]
    config.pop("mlplatform:models", None)
    config.pop("mlplatform:pipelines", None)
    config["mlplatform:platform"]["deploymentMode"] = "Standard"
    (folder / "stacks" / f"Pulumi.{stack}-standard.yaml").write_text(yaml.safe_dump(doc))
    return load_project(folder)


def policy_failures(
    project: Any, stack: str, entries: dict[str, Any], runtimes: dict[str, Any] | None = None
) -> list[str]:
    """The mandatory policy failures of ``mlplatform plan`` of ``stack`` with ``entries`` added to its models (and
    ``runtimes``, entries of ``mlplatform:runtimes``, to its runtimes): what the user who pastes the imported entries
    would see (the shipped stacks pass every mandatory policy, so each is the entry's). The stack file of the
    benchmark's own project is rewritten for the plan and restored."""
    from components.plan.cli import plan_stack

    path = project.root / "stacks" / f"Pulumi.{stack}.yaml"
    text = path.read_text()
    doc = yaml.safe_load(text)
    doc["config"]["mlplatform:models"] = {**(doc["config"].get("mlplatform:models") or {}), **entries}
    if runtimes:
        doc["config"]["mlplatform:runtimes"] = {**(doc["config"].get("mlplatform:runtimes") or {}), **runtimes}
    try:
        path.write_text(yaml.safe_dump(doc))
        plan = plan_stack(project, stack)
    finally:
        path.write_text(text)
    return [f"{p['policy']}: {p['message']}" for p in plan.mandatory_failures]


def reason_of(line: str) -> str:
    """A refusal's field, with list indexes and names collapsed: ``spec.predictor.logger``."""
    text = line.split(": InferenceService ", 1)[1].split(": ", 1)[1]
    if text.startswith("as an mlplatform model: "):
        found = re.search(r"mlplatform:models\.[^.]+\.([\w.]+):", text)
        return "mlplatform check: " + (found.group(1) if found else text.split(":")[0])
    field = text.split(": ", 1)[0]
    return re.sub(r"\.\d+(\.|$)", r"[]\1", field)


def _renamed_host(host: str, old: str, new: str) -> str:
    """``host`` with the predictor Service of model ``old`` (``<old>-predictor``, its first DNS label) named for
    model ``new``; any other host unchanged."""
    first, dot, rest = host.partition(".")
    name, colon, port = first.partition(":")
    if name != f"{old}-predictor":
        return host
    return f"{new}-predictor{colon}{port}{dot}{rest}"


MODEL_NAME = "--model_name"


def rename(doc: dict[str, Any], new: str) -> None:
    """Name the InferenceService ``doc`` ``new``, and its transformer's and explainer's ``--predictor_host`` and
    ``--model_name`` with it: the host names the model's own predictor Service ``<name>-predictor`` (KServe v0.20.0
    pkg/constants/constants.go ``PredictorServiceName``), which the import holds to the model's name
    (components/plan/kimport.py ``_predictor_hosts``); a ``--model_name`` equal to the old name is the name the
    predictor serves the model under, which a KServe runtime takes from the InferenceService's name (``{{.Name}}``),
    and which the platform holds the components to (components/serving/server_args.py
    ``component_model_name_problems``; rev14g defect 8: d56-d59 were refused only for the benchmark's renaming). So
    the benchmark's renaming renames both too (``--flag=<value>`` or the item after ``--flag``, in args and
    command); other values are kept."""
    meta = doc.setdefault("metadata", {})
    old = str(meta.get("name", ""))
    meta["name"] = new
    spec = doc.get("spec")
    for component in ("transformer", "explainer"):
        part = spec.get(component) if isinstance(spec, dict) else None
        containers = part.get("containers") if isinstance(part, dict) else None
        for container in containers if isinstance(containers, list) else []:
            for key in ("args", "command"):
                items = container.get(key) if isinstance(container, dict) else None
                if not isinstance(items, list):
                    continue
                for i, item in enumerate(items):
                    if not isinstance(item, str):
                        continue
                    if item.startswith(f"{kimport.PREDICTOR_HOST}="):
                        items[i] = f"{kimport.PREDICTOR_HOST}=" + _renamed_host(item.split("=", 1)[1], old, new)
                    elif i > 0 and items[i - 1] == kimport.PREDICTOR_HOST:
                        items[i] = _renamed_host(item, old, new)
                    elif item == f"{MODEL_NAME}={old}":
                        items[i] = f"{MODEL_NAME}={new}"
                    elif i > 0 and items[i - 1] == MODEL_NAME and item == old:
                        items[i] = new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("website", type=Path, help="a checkout of kserve/website")
    parser.add_argument("--docs", default="versioned_docs/version-0.20", help="the docs folder in it")
    parser.add_argument("--stack", default="aws-dev", help="the stack to import into (default aws-dev)")
    parser.add_argument("--json", type=Path, help="write the per-InferenceService results here")
    args = parser.parse_args(argv)
    isvcs = documented_isvcs(args.website / args.docs)
    runtimes = page_runtimes(args.website / args.docs)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        project = _project(Path(tmp), args.stack)
        for i, (page, doc) in enumerate(isvcs):
            # each alone under a name of its own: the docs reuse names (sklearn-iris) across pages
            doc = json.loads(json.dumps(doc))
            doc.setdefault("metadata", {})
            name = f"d{i}-{doc['metadata'].get('name', '')!s}"[:40].rstrip("-")
            rename(doc, name)
            path = Path(tmp) / f"{i}.yaml"
            # with the page's ServingRuntimes and ServiceAccounts, which its InferenceServices may name
            path.write_text(yaml.safe_dump_all([*runtimes.get(page, []), doc]))
            # the stack of the mode the manifest asks for (serving.kserve.io/deploymentMode; Knative without it)
            asked = kimport._mode(str((doc["metadata"].get("annotations") or {}).get(MODE, "Knative")))
            stack = f"{args.stack}-standard" if asked == "Standard" else args.stack
            result = kimport.import_files([path], project, stack)
            row: dict[str, Any] = {"page": page, "name": name}
            refused = [line for line in result.refused if f": {kimport.KIND} " in line]
            if refused:
                row["refused"] = refused[0]
            else:
                imported = result.imported[0]
                ns = imported.entry.get("namespace", "models")
                try:
                    rendered = kimport.rendered_isvcs(project, stack, [imported], result.runtimes)[(ns, imported.name)]
                except Exception as e:  # a plan failure is a finding of this measurement
                    row["plan_failed"] = f"{type(e).__name__}: {e}"
                else:
                    row["notes"] = [text for _, text in imported.notes]
                    row["round_trip"] = kimport.round_trip_problems(doc, imported, rendered)
            if row.get("round_trip") == []:
                # planned means the policies pass too: a mandatory failure fails `mlplatform plan`
                try:
                    row["policy_failed"] = policy_failures(
                        project, stack, {imported.name: imported.entry}, {r.name: r.entry for r in result.runtimes}
                    )
                except Exception as e:  # a plan failure is a finding of this measurement
                    row["plan_failed"] = f"{type(e).__name__}: {e}"
            rows.append(row)
    kept = [r for r in rows if r.get("round_trip") == [] and r.get("policy_failed") == []]
    refused = Counter(reason_of(r["refused"]) for r in rows if "refused" in r)
    print(f"{len(isvcs)} InferenceServices documented in {args.docs}; stack {args.stack} (or {args.stack}-standard)")
    print(f"{len(kept)} import and plan with every field kept ({len(kept) * 100 // max(len(isvcs), 1)}%)")
    lost = [r for r in rows if r.get("round_trip")]
    failed = [r for r in rows if "plan_failed" in r]
    policy = [r for r in rows if r.get("policy_failed")]
    print(
        f"{sum(refused.values())} refused; {len(lost)} planned but lost a field; {len(failed)} failed to plan; "
        f"{len(policy)} failed a mandatory policy"
    )
    for reason, count in refused.most_common():
        print(f"  {count:3d}  {reason}")
    for r in lost:
        print(f"  lost: {r['page']} {r['name']}: {r['round_trip'][0]}")
    for r in failed:
        print(f"  plan failed: {r['page']} {r['name']}: {r['plan_failed']}")
    for r in policy:
        print(f"  policy failed: {r['page']} {r['name']}: {r['policy_failed'][0]}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
