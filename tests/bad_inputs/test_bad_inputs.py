"""The bad-input corpus: every broken stack file in cases/ is refused with exactly one line naming the file and the key
path, exit status 2, no traceback, and nothing registered, through `mlplatform plan` (in process and as a subprocess)
and through the program itself (what `pulumi up` runs).

Each case file starts with a comment saying what is wrong and ``# expect: <the exact line>``. What the line lists from
the cloud registry is written as a placeholder, so that adding a cloud edits no case: ``{clouds}`` (the registered
clouds, ``aws, gcp, azure, existing``), ``{clouds_or}`` (``aws, gcp, azure or existing``) and ``{cluster_keys}``
(``mlplatform:cluster``'s keys, which include each cloud's settings block) and ``{storage_forms}`` (the storage URI
forms a model may use: each cloud's, ``s3://, gs://, https://<account>.blob.core.windows.net/``, then the generic ones).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components import clouds, storage
from components.clusters.spec import ClusterSpec
from components.errors import SpecError
from components.plan import engine
from components.plan.cli import EXIT_INVALID, main
from components.plan.project import load_project, read_stack_file

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))
EXPECT = "# expect: "


def placeholders() -> dict[str, str]:
    """The expected lines' placeholders, read from the registry now (tests/test_clouds.py reruns the cases that use
    them with a fourth cloud registered)."""
    names = clouds.names()
    keys = [field.alias or name for name, field in ClusterSpec.model_fields.items()]
    return {
        "{clouds}": ", ".join(names),
        "{clouds_or}": f"{', '.join(names[:-1])} or {names[-1]}",
        "{cluster_keys}": ", ".join(keys),
        "{storage_forms}": ", ".join(storage.schemes()),
    }


def expected(case: Path) -> str:
    for line in case.read_bytes().decode("utf-8", "replace").splitlines():  # a case may be deliberately not UTF-8
        if line.startswith(EXPECT):
            text = line[len(EXPECT) :]
            for placeholder, value in placeholders().items():
                text = text.replace(placeholder, value)
            return text
    raise AssertionError(f"{case.name}: no '{EXPECT}' line")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose program is this repository's infra/ and whose stacks/ folder is empty."""
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text(
        f"name: mlplatform\nruntime: python\nmain: {ROOT / 'infra'}/\nstackConfigDir: stacks\n"
    )
    return tmp_path


def install(project: Path, case: Path) -> str:
    shutil.copy(case, project / "stacks" / f"Pulumi.{case.stem}.yaml")
    return case.stem


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every resource registration the mock monitor receives during the test (type::name)."""
    seen: list[str] = []
    original = engine.RecordingMonitor.RegisterResource

    def spy(self: engine.RecordingMonitor, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            seen.append(f"{request.type}::{request.name}")
        return original(self, request)

    monkeypatch.setattr(engine.RecordingMonitor, "RegisterResource", spy)
    yield seen


def test_corpus_size_and_every_case_has_an_expected_line() -> None:
    assert len(CASES) >= 150
    lines = [expected(c) for c in CASES]
    for case, line in zip(CASES, lines, strict=True):
        assert line.startswith(f"stacks/Pulumi.{case.stem}.yaml: "), case.name
    assert len(set(lines)) == len(lines), "two cases give the same line: one of them tests nothing new"


CATEGORIES = {
    "wrong types": "type-",
    "out-of-range numbers": "range-",
    "unknown and misspelt keys": "key-",
    "missing required keys": "missing-",
    "unknown accelerator": "accelerator-unknown",
    "accelerator not offered on that cloud": "accelerator-not-on-cloud",
    "more GPUs than a node has": "model-gpus-over-node",
    "no machine with that many GPUs": "gpus-per-node-no-machine",
    "a model asking for an accelerator no pool has": "model-accelerator-no-pool",
    "scale to zero in Standard mode": "scale-to-zero-standard",
    "bad storage URI scheme": "storage-ftp",
    "a bucket on another cloud": "storage-other-cloud",
    "names too long or not DNS-safe": "name-",
    "invalid CIDRs": "cidr-",
    "versions outside the compatibility table": "version-",
    "a secret in plain text": "secret-plain-text",
    "an empty file": "empty-file",
    "YAML syntax errors": "yaml-syntax-",
    "YAML values that are no JSON type": "yaml-binary-value",
    "a list as a mapping key": "yaml-list-as-key",
    "bytes that are not UTF-8": "yaml-invalid-utf8",
    "nesting deeper than the parser follows": "yaml-deep-nesting",
    "a key given bare and namespaced": "yaml-bare-and-namespaced-region",
    "a Pulumi ESC environment": "yaml-esc-environment",
    "a merge key (read as Pulumi reads it)": "yaml-merge-key-override",
    "lookalikes: a final newline, non-ASCII digits": "lookalike-",
    "a misspelt namespace": "key-namespace-",
    "a provider region disagreeing with ours": "provider-",
    "secure: where no secret belongs": "secret-in-",
    "credentials in plain text": "secret-env-",
    "a model in a platform or system namespace": "collision-namespace-",
    "two models on one host": "collision-predictor-host",
    "two dashboards with one ConfigMap name": "collision-dashboard",
    "environment variable names Kubernetes refuses": "env-name-",
    "zero memory": "range-memory-zero",
    "pvc paths leaving the claim": "storage-pvc-dotdot",
    "S3 bucket names S3 refuses": "storage-s3-",
    "checks that ran after registration": "pool-karpenter-min-nodes",
    "a refused credential is never echoed": "secret-echo-",
    "token shapes in env values": "secret-env-github-pat",
    "credentials in args": "secret-args-",
    "credentials deep in the DNS-01 solver": "secret-acme-webhook-list",
    "DNS-01 providers cert-manager has": "acme-dns01-unknown-provider",
    "contact domains Let's Encrypt refuses": "acme-email-example-domain",
    "CIDRs that cover the world together": "cidr-two-halves-world",
    "overlapping cluster ranges": "cidr-gcp-",
    "KServe's InferenceService name rule": "name-model-starts-digit",
    "reserved namespace prefixes": "collision-namespace-kube-prefix",
    "Knative's scale-down-delay limit": "scaling-delay-2h",
    "storage names the clouds refuse": "storage-azure-container-",
    "budgets that are no ceiling or finer than a cent": "range-budget-",
    "a replica larger than every node that may run it": "range-cpu-over-node",
    "memory a container cannot start in": "range-memory-100-bytes",
    "memory in milli-bytes": "range-memory-millibytes",
    "NUL in env values and args": "env-value-nul",
    "args overriding what KServe's runtime sets": "args-override-",
    "percent-encoded storage paths": "storage-pvc-percent-dotdot",
    "a CIDR given twice or inside another": "cidr-public-",
    "a cluster network in public address space": "cidr-vpc-public",
    "GKE's /28 control-plane range": "cidr-gcp-master-not-28",
    "MIG profiles the GPU or the cloud does not have": "pool-mig-profile-",
    "a jwksUri istiod must not fetch": "jwt-jwks-",
    "GKE-managed namespaces": "collision-namespace-gke-managed",
    "cluster chart versions with a v, or non-ASCII digits": "lookalike-cluster-version-",
    "cluster chart versions for charts the stack does not install": "version-cluster-karpenter-on-node-groups",
    "reserved flags by another option string": "args-override-vllm-tp-short",
    "Triton's --model-repository": "args-override-triton-model-repository",
    "an alias bomb": "yaml-alias-bomb",
    "base 60, which go-yaml does not read": "yaml-sexagesimal-is-text",
    "lookalikes echoed inside the message": "lookalike-pool-name-fullwidth",
    "a kubeconfig with credentials inline": "secret-kubeconfig-",
    "quantities past 2^63-1": "range-cpu-1e1000-existing",
    "a multi-GPU model on MPS pools": "model-gpus-mps",
    "a multi-GPU model on GKE's shared pools": "model-gpus-time-sliced-gke",
}


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_corpus_covers(category: str) -> None:
    assert any(c.stem.startswith(CATEGORIES[category]) for c in CASES), category


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_plan_refuses_with_one_line(
    case: Path, project: Path, registered: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    stack = install(project, case)
    code = main(["plan", "--project", str(project), "--stack", stack, "--no-tree"])
    out, err = capsys.readouterr()
    assert code == EXIT_INVALID
    assert err == expected(case) + "\n"
    assert "Traceback" not in out + err
    assert registered == []


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_program_refuses_with_the_same_error(case: Path, project: Path, registered: list[str]) -> None:
    """What `pulumi up` runs: the stack file as the CLI hands it over, then the program; one SpecError."""
    stack = install(project, case)
    proj = load_project(project)
    try:
        cfg = read_stack_file(proj, stack)
    except SpecError as e:  # the file itself is unreadable: the Pulumi CLI refuses it before the program runs
        assert str(e) == expected(case)
        return
    with pytest.raises(SpecError) as info:
        engine.run_program(project, stack, cfg.config, cfg.secret_keys, main=proj.main)
    assert str(info.value) == expected(case)
    assert "\n" not in str(info.value)
    assert registered == []


@pytest.mark.parametrize(
    "name",
    [
        "missing-cloud",
        "yaml-syntax-indent",
        "storage-other-cloud",
        "version-outside-table",
        "yaml-deep-nesting",
        "yaml-invalid-utf8",
        "yaml-python-tag",
        "pool-karpenter-min-nodes",
        "pool-mig-profile-aks-unknown",
    ],
)
def test_plan_subprocess(name: str, project: Path) -> None:
    case = next(c for c in CASES if c.stem == name)
    install(project, case)
    exe = Path(sys.executable).with_name("mlplatform")
    proc = subprocess.run(
        [str(exe), "plan", "--project", str(project), "--stack", name],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == EXIT_INVALID
    assert proc.stderr == expected(case) + "\n"
    assert "Traceback" not in proc.stdout + proc.stderr


def test_the_registration_spy_sees_a_valid_stack(project: Path, registered: list[str]) -> None:
    """Control: the same spy records registrations when the stack is valid (so `registered == []` means something)."""
    shutil.copy(ROOT / "stacks" / "Pulumi.local.yaml", project / "stacks" / "Pulumi.ok.yaml")
    proj = load_project(project)
    cfg = read_stack_file(proj, "ok")
    engine.run_program(project, "ok", cfg.config, cfg.secret_keys, main=proj.main)
    assert any(r.startswith("kubernetes:serving.kserve.io/v1beta1:InferenceService::") for r in registered)
