"""How the offline plan scales with the number of models, against the Pulumi SDK's own floor.

For each cloud and N models (a mix of CPU and GPU, public and internal, cloud and PVC storage) it measures, each in a
fresh subprocess so that numbers are clean:

- plan: the real program (``infra.program.main``) under the plan engine's mocks: program evaluation and recording,
  then, separately, the policies, the cost and deploy-time estimates, and the output (JSON document + terminal view);
- baseline: the same resources (types, names, parents, providers, dependencies and inputs read back from the plan's
  JSON) registered directly through the SDK (``pulumi.CustomResource`` / ``ComponentResource`` / ``ProviderResource``)
  under the same mocks and engine;
- peak RSS of each process, and the import time and cloud SDKs loaded when planning each cloud (``-X importtime``).

Both the plan and the baseline run a small warm-up first (imports and first-use caches), so the timed run measures
registration work only; imports are reported on their own.

Usage: ``python benchmarks/plan_scale.py`` (``make bench``); ``--sizes 10,100`` ``--clouds aws`` to narrow;
``--repeat 3`` to keep the best of 3; ``--profile aws:500`` to print a cProfile of one plan; ``--json PATH`` to keep
the raw numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CLOUDS = ("aws", "gcp", "azure")
SIZES = (10, 100, 500)
SDKS = ("pulumi_aws", "pulumi_eks", "pulumi_awsx", "pulumi_gcp", "pulumi_azure_native")
TARGET_RATIO = 1.3
TARGET_SECONDS_500 = 20.0
TARGET_RSS_MIB = 1024.0

# Per-cloud stack values (what a stack file would hold): region, cloud settings, a storage URI for model i.
STACK: dict[str, dict[str, Any]] = {
    "aws": {"region": "us-east-1", "cluster": {}, "storage": "s3://bench-models/m{i}"},
    "gcp": {
        "region": "us-central1",
        "cluster": {"gcp": {"project": "bench-project"}},
        "storage": "gs://bench-models/m{i}",
    },
    "azure": {
        "region": "eastus",
        "cluster": {"azure": {"storageResourceGroup": "bench-models-rg"}},
        "storage": "https://benchmodels.blob.core.windows.net/models/m{i}",
    },
}
NAMESPACES = ("team-a", "team-b", "team-c", "team-d", "team-e")


def stack_config(cloud: str, models: int) -> dict[str, Any]:
    """A stack config (keys without ``mlplatform:``) with ``models`` models: 1 in 4 on a T4 GPU, half public."""
    spec = STACK[cloud]
    out: dict[str, Any] = {
        "cloud": cloud,
        "environment": "dev",
        "region": spec["region"],
        "cluster": {
            **spec["cluster"],
            # Where pulumi up would run from (docs/deploying.md): a documentation range, as in the shipped stacks.
            "apiAccess": {"publicCidrs": ["203.0.113.0/24"], "deployFrom": ["203.0.113.0/24"]},
            "systemPool": {"minNodes": 2, "maxNodes": 4},
            "gpuPools": {"t4": {"accelerator": "nvidia-t4", "gpusPerNode": 1, "minNodes": 0, "maxNodes": 8}},
        },
        "platform": {"domain": "models.bench.example.com"},
        "tags": {"owner": "bench"},
        "policy": {"maxGpus": 1000},
    }
    entries: dict[str, Any] = {}
    for i in range(models):
        gpu = i % 4 == 3
        model: dict[str, Any] = {
            "namespace": NAMESPACES[i % len(NAMESPACES)],
            "format": "pytorch" if gpu else "sklearn",
            "storageUri": spec["storage"].format(i=i) if i % 2 == 0 else f"pvc://models-pvc/m{i}",
            "resources": {"cpu": "2", "memory": "8Gi", "gpus": 1, "accelerator": "nvidia-t4"}
            if gpu
            else {"cpu": "500m", "memory": "1Gi"},
            "scaling": {"minReplicas": 1, "maxReplicas": 3},
        }
        if (i // 2) % 2 == 0:
            model["access"] = {
                "mode": "public",
                "jwt": {"issuer": "https://auth.example.com", "jwksUri": "https://auth.example.com/jwks"},
            }
        else:
            model["access"] = {"mode": "internal", "allowedNamespaces": ["apps"]}
        entries[f"m{i:03d}"] = model
    out["models"] = entries
    return out


def _flat(cfg: dict[str, Any]) -> dict[str, str]:
    return {f"mlplatform:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in cfg.items()}


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


# ------------------------------------------------------------------------------------------------ child: plan


def _run_plan(cloud: str, models: int) -> Any:
    from components.plan.engine import run_function
    from infra.program import main

    return run_function(main, stack="bench", config=_flat(stack_config(cloud, models)), outputs="unknown")


class _Clock:
    """Wall and CPU time (``process_time``: every thread of the process) of one step."""

    def __enter__(self) -> _Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def child_plan(cloud: str, models: int, out: str) -> dict[str, Any]:
    """Plan ``models`` models on ``cloud`` as ``mlplatform plan`` does; write the plan JSON to ``out``; timings."""
    from dataclasses import replace

    from rich.console import Console

    from components.cost import estimate
    from components.deploytime import critical_path
    from components.plan.engine import fewer_gc_passes
    from components.plan.report import StackPlan, plan_json
    from components.plan.view import render
    from policy.rules import StackSettings, evaluate
    from policy.rules.budget import with_cost

    _run_plan(cloud, 1)  # warm-up: imports and first-use caches
    with _Clock() as program:
        result = _run_plan(cloud, models)
    # As components.plan.cli.plan_stack does it (with fewer_gc_passes), phase by phase.
    with _Clock() as costing, fewer_gc_passes():
        plan = StackPlan(stack="bench", cloud=cloud, result=result)
        plan.cost = estimate(result).to_json()
        plan.deploy_time = critical_path(result).to_json()
    flat = _flat(stack_config(cloud, models))
    with _Clock() as policies, fewer_gc_passes():
        settings = StackSettings.from_config(flat)
        plan.policies = evaluate(result, replace(settings, facts=with_cost(settings.facts, flat, plan.cost)))
    with _Clock() as output, fewer_gc_passes():
        doc = json.dumps(plan_json("mlplatform", [plan]), indent=1)
        render(plan, Console(file=io.StringIO(), width=160), show_tree=True)
    Path(out).write_text(doc)
    return {
        "resources": len(result.resources),
        "program_s": program.wall,
        "program_cpu_s": program.cpu,
        "policies_s": policies.wall,
        "policies_cpu_s": policies.cpu,
        "failed_policies": sorted({p["policy"] for p in plan.policies if not p["passed"]}),
        "cost_s": costing.wall,
        "cost_cpu_s": costing.cpu,
        "output_s": output.wall,
        "output_cpu_s": output.cpu,
        "rss_mib": _peak_rss_mib(),
        "sdks": sorted(m for m in SDKS if m in sys.modules),
        "deploy_minutes": plan.deploy_time["minutes"],
        "monthly_ceiling": plan.cost["totals"]["ceiling"]["usd"],
    }


# ------------------------------------------------------------------------------------------------ child: baseline


def _baseline_program(resources: list[dict[str, Any]]) -> Any:
    import pulumi

    def program() -> None:
        objs: dict[str, pulumi.Resource] = {}
        for r in resources:
            parent = objs.get(r["parent"]) if r["parent"] else None
            provider = objs.get(r["provider"]) if r["provider"] else None
            deps = [objs[d] for d in r["dependsOn"] if d in objs and d != r["parent"]]
            opts = pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=deps or None)
            typ, name, props = r["type"], r["name"], r["inputs"]
            obj: pulumi.Resource
            if typ.startswith("pulumi:providers:"):
                obj = pulumi.ProviderResource(typ.split(":")[2], name, props, opts)
            elif r["custom"]:
                obj = pulumi.CustomResource(typ, name, props, opts)
            else:
                obj = pulumi.ComponentResource(typ, name, props or None, opts)
                obj.register_outputs({})
            objs[r["urn"]] = obj

    return program


def child_baseline(plan_file: str) -> dict[str, Any]:
    """Register the plan's resources directly through the SDK, under the same mocks; return the timing."""
    from components.plan.engine import run_function

    doc = json.loads(Path(plan_file).read_text())
    resources = doc["stacks"][0]["resources"]
    custom_types = {r["urn"] for r in resources if r["type"].startswith("pulumi:providers:")}
    components = {r["parent"] for r in resources if r["parent"]}
    for r in resources:
        # the plan JSON has no custom flag: a resource is a component when it has children and is not a provider,
        # or when its type is one of our components (mlplatform:index:*) or a remote component without children
        r["custom"] = r["urn"] in custom_types or not (
            r["urn"] in components or r["type"].startswith(("mlplatform:index:", "eks:index:Cluster", "awsx:"))
        )
    run_function(_baseline_program(resources[:20]), stack="bench", outputs="unknown")  # warm-up
    with _Clock() as clock:
        result = run_function(_baseline_program(resources), stack="bench", outputs="unknown")
    return {
        "resources": len(result.resources),
        "program_s": clock.wall,
        "program_cpu_s": clock.cpu,
        "rss_mib": _peak_rss_mib(),
    }


# ------------------------------------------------------------------------------------------------ child: imports


def child_imports(cloud: str) -> dict[str, Any]:
    """Plan a 1-model stack on ``cloud`` (run under ``-X importtime``): which cloud SDKs were loaded."""
    t0 = time.perf_counter()
    _run_plan(cloud, 1)
    return {"first_plan_s": time.perf_counter() - t0, "sdks": sorted(m for m in SDKS if m in sys.modules)}


def _import_seconds(stderr: str) -> tuple[float, dict[str, float]]:
    """Total import time and the time per top-level package (sum of the modules' own times), from ``-X importtime``.

    Summing own times counts the lazily loaded submodules of the SDKs too (``pulumi_aws.iam`` is imported on first use,
    after ``pulumi_aws`` itself).
    """
    total, packages = 0.0, {}
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue  # the header line
        own = int(parts[0]) / 1e6
        top = parts[2].strip().split(".")[0]
        total += own
        packages[top] = packages.get(top, 0.0) + own
    return total, packages


# ------------------------------------------------------------------------------------------------ parent


def _child(args: list[str], *, importtime: bool = False) -> tuple[dict[str, Any], str]:
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), __file__, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "0"})
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def measure(cloud: str, size: int, repeat: int, keep: Path) -> dict[str, Any]:
    """Best-of-``repeat`` plan and baseline for one cloud and size."""
    plans, bases = [], []
    plan_file = keep / f"plan-{cloud}-{size}.json"
    for _ in range(repeat):
        plans.append(_child(["_plan", cloud, str(size), str(plan_file)])[0])
        bases.append(_child(["_baseline", str(plan_file)])[0])
    plan = min(plans, key=lambda p: p["program_cpu_s"])
    base = min(bases, key=lambda b: b["program_cpu_s"])
    return {"cloud": cloud, "models": size, "plan": plan, "baseline": base}


def imports(cloud: str, repeat: int = 3) -> dict[str, Any]:
    """Import time (best of ``repeat`` fresh processes) and the cloud SDKs loaded when planning ``cloud``."""
    runs = [_child(["_imports", cloud], importtime=True) for _ in range(repeat)]
    (info, _), (total, packages) = min(((r, _import_seconds(r[1])) for r in runs), key=lambda x: x[1][0])
    top = dict(sorted(packages.items(), key=lambda kv: -kv[1])[:6])
    sdks = {k: v for k, v in packages.items() if k in SDKS}
    return {"cloud": cloud, "import_s": total, "sdk_import_s": sdks, "top_packages": top, "sdks": info["sdks"]}


def _steps_cpu(p: dict[str, Any]) -> float:
    return float(p["program_cpu_s"] + p["policies_cpu_s"] + p["cost_cpu_s"] + p["output_cpu_s"])


def table(rows: list[dict[str, Any]], imps: list[dict[str, Any]]) -> str:
    """The Markdown tables of docs/performance.md (CPU seconds; wall seconds in brackets)."""
    out = [
        "| cloud | models | resources | plan: program | policies | cost + deploy time | output | plan ms/resource "
        "| baseline | baseline ms/resource | plan/baseline | peak RSS plan / baseline (MiB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        p, b = r["plan"], r["baseline"]
        n = p["resources"]
        out.append(
            f"| {r['cloud']} | {r['models']} | {n} | {p['program_cpu_s']:.2f} ({p['program_s']:.2f}) "
            f"| {p['policies_cpu_s']:.2f} | {p['cost_cpu_s']:.2f} | {p['output_cpu_s']:.2f} "
            f"| {1000 * p['program_cpu_s'] / n:.2f} | {b['program_cpu_s']:.2f} ({b['program_s']:.2f}) "
            f"| {1000 * b['program_cpu_s'] / b['resources']:.2f} | {p['program_cpu_s'] / b['program_cpu_s']:.2f} "
            f"| {p['rss_mib']:.0f} / {b['rss_mib']:.0f} |"
        )
    out += [
        "",
        "| cloud | growth 100 -> 500 models: resources x | plan CPU x | baseline CPU x |",
        "|---|---:|---:|---:|",
    ]
    for cloud in sorted({r["cloud"] for r in rows}, key=CLOUDS.index):
        by = {r["models"]: r for r in rows if r["cloud"] == cloud}
        if 100 in by and 500 in by:
            a, z = by[100], by[500]
            out.append(
                f"| {cloud} | {z['plan']['resources'] / a['plan']['resources']:.2f} "
                f"| {z['plan']['program_cpu_s'] / a['plan']['program_cpu_s']:.2f} "
                f"| {z['baseline']['program_cpu_s'] / a['baseline']['program_cpu_s']:.2f} |"
            )
    out += [
        "",
        "| cloud | import time, all modules (s) | cloud SDK modules (s) | largest packages (s) | cloud SDKs loaded |",
        "|---|---:|---|---|---|",
    ]
    for i in imps:
        sdks = ", ".join(f"{k} {v:.2f}" for k, v in sorted(i["sdk_import_s"].items())) or "-"
        top = ", ".join(f"{k} {v:.2f}" for k, v in i["top_packages"].items())
        out.append(f"| {i['cloud']} | {i['import_s']:.2f} | {sdks} | {top} | {', '.join(i['sdks']) or 'none'} |")
    return "\n".join(out)


def verdict(rows: list[dict[str, Any]], imps: list[dict[str, Any]]) -> list[str]:
    """Each target, met or missed by how much (CPU time: the machine is shared, wall time is noisy)."""
    lines = []
    for r in rows:
        p, b = r["plan"], r["baseline"]
        ratio = p["program_cpu_s"] / b["program_cpu_s"]
        if r["models"] in (100, 500):
            ok = "met" if ratio <= TARGET_RATIO else f"MISSED by {ratio / TARGET_RATIO - 1:.0%}"
            lines.append(f"{r['cloud']} N={r['models']}: plan/baseline {ratio:.2f} (target <= {TARGET_RATIO}): {ok}")
        if r["models"] == 500:
            total = _steps_cpu(p)
            ok = "met" if total < TARGET_SECONDS_500 else f"MISSED by {total / TARGET_SECONDS_500 - 1:.0%}"
            lines.append(
                f"{r['cloud']} N=500: whole plan {total:.1f} s CPU (target < {TARGET_SECONDS_500:.0f} s): {ok}"
            )
        ok = "met" if p["rss_mib"] < TARGET_RSS_MIB else "MISSED"
        lines.append(f"{r['cloud']} N={r['models']}: peak RSS {p['rss_mib']:.0f} MiB (target < 1024): {ok}")
    for i in imps:
        others = [s for s in i["sdks"] if not _belongs(s, i["cloud"])]
        ok = "met" if not others else "MISSED: " + ", ".join(others)
        lines.append(f"{i['cloud']}: no other cloud's SDK imported: {ok}")
    return lines


def _belongs(sdk: str, cloud: str) -> bool:
    return {
        "aws": ("pulumi_aws", "pulumi_eks", "pulumi_awsx"),
        "gcp": ("pulumi_gcp",),
        "azure": ("pulumi_azure_native",),
    }[cloud].__contains__(sdk)


def machine() -> str:
    """CPU model, cores and Python version of this machine."""
    model = platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}"


def profile(target: str) -> None:
    """cProfile one plan (``cloud:models``): top functions by own time and by cumulative time."""
    import cProfile
    import pstats

    cloud, size = target.split(":")
    _run_plan(cloud, 1)
    prof = cProfile.Profile()
    prof.enable()
    result = _run_plan(cloud, int(size))
    prof.disable()
    print(f"{cloud}, {size} models, {len(result.resources)} resources")
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or one of its child measurements)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_plan":
        print(json.dumps(child_plan(argv[1], int(argv[2]), argv[3])))
        return 0
    if argv and argv[0] == "_baseline":
        print(json.dumps(child_baseline(argv[1])))
        return 0
    if argv and argv[0] == "_imports":
        print(json.dumps(child_imports(argv[1])))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--clouds", default=",".join(CLOUDS))
    ap.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--profile", metavar="CLOUD:MODELS")
    args = ap.parse_args(argv)
    if args.profile:
        profile(args.profile)
        return 0
    clouds = [c for c in args.clouds.split(",") if c]
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(f"machine: {machine()}")
    rows, imps = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for cloud in clouds:
            imps.append(imports(cloud))
            for size in sizes:
                rows.append(measure(cloud, size, args.repeat, Path(tmp)))
                r = rows[-1]
                print(
                    f"  {cloud} N={size}: {r['plan']['resources']} resources, plan {r['plan']['program_cpu_s']:.2f} s "
                    f"CPU, baseline {r['baseline']['program_cpu_s']:.2f} s CPU",
                    flush=True,
                )
    print()
    print(table(rows, imps))
    print()
    for line in verdict(rows, imps):
        print(line)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "imports": imps}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
