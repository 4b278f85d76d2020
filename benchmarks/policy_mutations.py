"""Mutation run: do the plan's policies catch realistic one-line slips?

Each mutation is one small edit to the source (clusters, platform, serving) or to the rules themselves, the kind of
slip a careless change makes. For each, the project is copied to a temporary folder, the edit applied, and:

- source mutations: every shipped stack is planned under the mutated code (``outputs="fake"``: documents built from
  values known only after deploy are rendered in full; ``--plain`` also plans like ``mlplatform plan``) and the
  policies run; the slip is *caught* when some mandatory entry fails that does not fail on the unmutated code;
- rule mutations: the rule boundary tests (tests/policy/test_policy_rules.py) run on the mutated rules; the slip is
  caught when they fail.

The baseline applies ``BASELINE_FIXES`` first when their text is still there (fixes other branches are making), so
a shipped defect does not hide a slip in the same place.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/policy_mutations.py [--plain] [--only ID,...]`` (a few minutes;
not part of ``make test``). It prints one line per mutation and the count caught; ``--json FILE`` writes the rows.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPY = ("components", "infra", "policy", "stacks", "tests", "Pulumi.yaml", "pyproject.toml")


@dataclass(frozen=True)
class Mutation:
    """One slip: replace ``old`` by ``new`` (once) in ``path``. ``weakens``: security, isolation or availability."""

    id: str
    area: str
    path: str
    old: str
    new: str
    what: str
    weakens: bool = True


BASELINE_FIXES: tuple[tuple[str, str, str], ...] = ()
"""None now: issue #12 defect 1 (Knative mode reads networking.knative.dev/visibility) is merged, and its old text
``VISIBILITY_LABEL = "networking.kserve.io/visibility"`` is now a substring of the correct
``STANDARD_VISIBILITY_LABEL`` line, so applying it would break Standard mode in the baseline."""

SUB = 'f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",'
MUTATIONS = (
    Mutation("irsa-no-sub", "clusters", "components/clusters/_aws_iam.py", SUB, "", "IRSA trust without its sub"),
    Mutation("irsa-no-aud", "clusters", "components/clusters/_aws_iam.py", 'f"{host}:aud": STS_AUDIENCE,', "",
             "IRSA trust without its aud"),
    Mutation("irsa-namespace-wildcard", "clusters", "components/clusters/_aws_iam.py",
             '"system:serviceaccount:{namespace}:{service_account}"', '"system:serviceaccount:{namespace}:*"',
             "IRSA sub for every ServiceAccount of the namespace"),
    Mutation("s3-every-bucket", "clusters", "components/clusters/_aws_iam.py",
             '"Resource": f"{bucket_arn}/{prefix}*"', '"Resource": "arn:aws:s3:::*/*"',
             "S3 read granted on every bucket"),
    Mutation("s3-whole-bucket", "clusters", "components/clusters/_aws_iam.py",
             '"Resource": f"{bucket_arn}/{prefix}*"', '"Resource": f"{bucket_arn}/*"',
             "S3 read on the whole bucket, not the model's prefix"),
    Mutation("s3-list-unscoped", "clusters", "components/clusters/_aws_iam.py",
             'listing["Condition"] = {"StringLike": {"s3:prefix": [f"{prefix}*"]}}', "pass",
             "S3 ListBucket without the prefix condition"),
    Mutation("gke-wi-namespace", "clusters", "components/clusters/gke.py",
             'f"serviceAccount:{pool}[{namespace}/{service_account}]"', 'f"serviceAccount:{pool}[{namespace}/*]"',
             "GKE Workload Identity member for a whole namespace"),
    Mutation("gcs-object-admin", "clusters", "components/clusters/gke.py", 'role="roles/storage.objectViewer"',
             'role="roles/storage.objectAdmin"', "GCS grant widened to objectAdmin"),
    Mutation("azure-subject-wildcard", "clusters", "components/clusters/aks.py",
             'subject=f"system:serviceaccount:{namespace}:{service_account}"',
             'subject=f"system:serviceaccount:{namespace}:*"', "Azure federated subject for a whole namespace"),
    Mutation("azure-scope-account", "clusters", "components/clusters/aks.py",
             'f"{loc.account}/blobServices/default/containers/{loc.bucket}"', 'f"{loc.account}"',
             "Azure Blob Data Reader on the whole storage account"),
    Mutation("gpu-taint-prefer-karpenter", "clusters", "components/naming.py", 'GPU_TAINT_EFFECT = "NoSchedule"',
             'GPU_TAINT_EFFECT = "PreferNoSchedule"', "GPU taint effect PreferNoSchedule (Karpenter, AKS)"),
    Mutation("gpu-taint-prefer-gke", "clusters", "components/clusters/gke.py",
             'key=GPU_TAINT.key, value=GPU_TAINT.value, effect="NO_SCHEDULE"',
             'key=GPU_TAINT.key, value=GPU_TAINT.value, effect="PREFER_NO_SCHEDULE"',
             "GPU taint effect PREFER_NO_SCHEDULE (GKE)"),
    Mutation("mesh-permissive", "platform", "components/platform/istio.py",
             'spec={"mtls": {"mode": "STRICT"}},\n        depends_on=[base],',
             'spec={"mtls": {"mode": "PERMISSIVE"}},\n        depends_on=[base],', "mesh-wide mTLS PERMISSIVE"),
    Mutation("gateway-pdb-blocks", "platform", "components/platform/istio.py",
             '{"minAvailable": ctx.replicas - 1}', '{"minAvailable": ctx.replicas}',
             "gateway PDB (Helm values) minAvailable = replicas: blocks every drain"),
    Mutation("gateway-pdb-max0", "platform", "components/platform/istio.py",
             '{"minAvailable": ctx.replicas - 1}', '{"maxUnavailable": 0}', "gateway PDB maxUnavailable 0"),
    Mutation("istiod-pdb-blocks", "platform", "components/platform/istio.py", '"autoscaleMin": ctx.replicas,',
             '"autoscaleMin": ctx.replicas, "pdb": {"minAvailable": ctx.replicas},',
             "istiod PDB (Helm values) minAvailable = replicas"),
    Mutation("kserve-version-short", "platform", "components/versions.py",
             'ChartRef("kserve-resources", f"{_KSERVE_OCI}/kserve-resources", "v0.20.0")',
             'ChartRef("kserve-resources", f"{_KSERVE_OCI}/kserve-resources", "v0.20")',
             "chart version v0.20 (a range)"),
    Mutation("istio-version-short", "platform", "components/versions.py",
             'ChartRef("istio-gateway", "gateway", "1.30.3", _ISTIO_REPO)',
             'ChartRef("istio-gateway", "gateway", "1.30", _ISTIO_REPO)', "chart version 1.30 (a range)"),
    Mutation("release-version-short", "platform", "components/platform/common.py", "version=ref.version,",
             'version=ref.version.rsplit(".", 1)[0],', "every Helm release pinned to X.Y (a range to Helm)"),
    Mutation("internal-visibility-lost", "serving", "components/serving/_runtime.py",
             "out[visibility_label(deployment_mode)] = CLUSTER_LOCAL", "pass",
             "internal model loses its cluster-local label"),
    Mutation("internal-visibility-wrong-label", "serving", "components/serving/_runtime.py",
             'VISIBILITY_LABEL = "networking.knative.dev/visibility"',
             'VISIBILITY_LABEL = "networking.kserve.io/visibility"',
             "internal model labelled for Standard mode on a Knative platform"),
    Mutation("sa-mounts-token", "serving", "components/serving/model_service.py",
             "automount_service_account_token=False,", "automount_service_account_token=True,",
             "model ServiceAccount mounts its token"),
    Mutation("namespace-permissive", "serving", "components/serving/namespace.py",
             'spec={"mtls": {"mode": "STRICT"}},', 'spec={"mtls": {"mode": "PERMISSIVE"}},',
             "model namespace mTLS PERMISSIVE"),
    Mutation("model-default-sa", "serving", "components/serving/_runtime.py",
             '"serviceAccountName": given.service_account,', "", "model runs as the default ServiceAccount"),
    Mutation("model-pdb-selects-nothing", "serving", "components/serving/model_service.py",
             "match_labels={_runtime.ISVC_LABEL: name}", 'match_labels={"app": name}',
             "model PDB selector matches none of the model's pods"),
    Mutation("rule-version-accepts-0.20", "policy", "policy/rules/kubernetes.py",
             r'r"\Av?[0-9]+\.[0-9]+\.[0-9]+(-', r'r"\Av?[0-9]+\.[0-9]+(\.[0-9]+)?(-', "version rule accepts 0.20"),
    Mutation("rule-taint-accepts-prefer", "policy", "policy/rules/gpu.py", "if GPU_TAINT not in pool.taints:",
             "if not any(t[:2] == GPU_TAINT[:2] for t in pool.taints):", "taint rule accepts any effect"),
    Mutation("rule-mesh-accepts-permissive", "policy", "policy/rules/models.py",
             'if _mode(p) is not UNKNOWN and _mode(p) != "STRICT":',
             'if _mode(p) not in (UNKNOWN, "STRICT", "PERMISSIVE"):', "mTLS rule accepts a PERMISSIVE mesh"),
    Mutation("rule-irsa-accepts-stringlike", "policy", "policy/rules/identity.py", 'if op != "StringEquals"',
             'if op not in ("StringEquals", "StringLike")', "trust rule accepts StringLike on sub"),
    Mutation("rule-pdb-ignores-helm", "policy", "policy/rules/kubernetes.py", "        yield from _helm_pdbs(res)\n",
             "", "PDB rule ignores Helm values"),
)  # fmt: skip

PLAN_SCRIPT = r"""
import json, sys
from pathlib import Path
from components.plan.engine import run_program
from components.plan.project import find_project, read_stack_file
from policy.rules import StackSettings, evaluate
modes = sys.argv[1].split(",")
project = find_project(Path.cwd())
out = []
for mode in modes:
    for stack in project.stacks():
        cfg = read_stack_file(project, stack)
        try:
            result = run_program(project.root, stack, cfg.config, cfg.secret_keys, main=project.main,
                                 project=project.name, outputs=mode)
        except Exception as e:  # a slip the program itself refuses
            out.append([mode, stack, "(program)", f"{type(e).__name__}: {str(e)[:200]}"])
            continue
        for e in evaluate(result, StackSettings.from_config(cfg.config)):
            if not e["passed"] and e["enforcement"] == "mandatory":
                out.append([mode, stack, e["policy"], e["message"]])
print(json.dumps(out))
"""


def _copy(dst: Path) -> None:
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif src.exists():
            shutil.copy2(src, dst / name)


def _edit(root: Path, path: str, old: str, new: str) -> bool:
    f = root / path
    if not f.exists():
        return False
    text = f.read_text()
    if old not in text:
        return False
    f.write_text(text.replace(old, new, 1))
    return True


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}


def failures(root: Path, modes: str) -> set[tuple[str, ...]]:
    """The mandatory failures of every shipped stack planned from ``root`` (mode, stack, policy, message)."""
    proc = subprocess.run(
        [sys.executable, "-c", PLAN_SCRIPT, modes], cwd=root, env=_env(root), capture_output=True, text=True,
        timeout=1200,
    )  # fmt: skip
    if proc.returncode != 0:
        return {("error", "", "(program)", proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "?")}
    return {tuple(row) for row in json.loads(proc.stdout)}


def rule_tests_fail(root: Path) -> tuple[bool, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "tests/policy/test_policy_rules.py"],
        cwd=root, env=_env(root), capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("FAILED")]
    return proc.returncode != 0, (lines[0][:160] if lines else proc.stdout.strip().splitlines()[-1][:160])


def main(argv: list[str] | None = None) -> int:
    """Run the mutations; print one row each and the totals."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--plain", action="store_true", help="also plan like mlplatform plan (values unknown)")
    p.add_argument("--only", help="comma-separated mutation ids")
    p.add_argument("--json", type=Path, help="write the rows as JSON")
    args = p.parse_args(argv)
    modes = "fake,unknown" if args.plain else "fake"
    chosen = [m for m in MUTATIONS if not args.only or m.id in args.only.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="mlp-mutations-") as tmp:
        base = Path(tmp) / "base" / "project"
        base.mkdir(parents=True)
        _copy(base)
        applied = [path for path, old, new in BASELINE_FIXES if _edit(base, path, old, new)]
        print(f"baseline fixes applied: {applied or 'none'}", flush=True)
        baseline = failures(base, modes)
        print(f"baseline: {len(baseline)} mandatory failure(s)", *sorted(baseline), sep="\n  ", flush=True)
        for m in chosen:
            start = time.monotonic()
            work = Path(tmp) / m.id / "project"
            shutil.copytree(base, work)
            if not _edit(work, m.path, m.old, m.new):
                rows.append({**asdict(m), "result": "not applicable (source moved)", "caught": None, "by": ""})
                print(f"{m.id:34} n/a    (the line is not in {m.path})", flush=True)
                continue
            if m.area == "policy":
                caught, how = rule_tests_fail(work)
                by = {"tests": how}
            else:
                new = failures(work, modes) - baseline
                refused = {f for f in new if f[2] == "(program)"}
                caught = any(f[0] == "fake" for f in new - refused)
                plain = any(f[0] == "unknown" for f in new - refused)
                if refused and not caught:
                    caught = None  # the program itself refused the slip: the policies never saw it
                    by_program = sorted({f[3] for f in refused})[0][:160]
                how = "; ".join(sorted({f"{f[1]} {f[2]}" for f in new}))[:160]
                by = {"plan": how, "plainPlan": plain} if args.plain else {"plan": how}
            if caught is None:
                by = {"refusedByProgram": by_program}
                how = f"refused by the program before any policy ran: {by_program}"
            rows.append({**asdict(m), "caught": caught, **by, "seconds": round(time.monotonic() - start, 1)})
            word = "CAUGHT" if caught else "missed" if caught is False else "n/a   "
            print(f"{m.id:34} {word} {m.area:9} {how}", flush=True)
            shutil.rmtree(work.parent, ignore_errors=True)
    src = [r for r in rows if r["area"] != "policy" and r["caught"] is not None]
    refused = [r["id"] for r in rows if r.get("refusedByProgram")]
    rules = [r for r in rows if r["area"] == "policy" and r["caught"] is not None]
    plain = sum(bool(r.get("plainPlan")) for r in src)
    print(
        f"\nsource slips caught by the plan's policies: {sum(bool(r['caught']) for r in src)}/{len(src)}"
        + (f" (plain plan, values unknown: {plain}/{len(src)})" if args.plain else "")
        + f"; rule slips caught by the rule tests: {sum(bool(r['caught']) for r in rules)}/{len(rules)}"
        + (f"; refused by the program before the policies (not counted): {', '.join(refused)}" if refused else "")
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
