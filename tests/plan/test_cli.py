"""The `mlplatform plan` contract: JSON shape, manifest files, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from components.plan.cli import main
from support import ROOT

TINY_PROGRAM = """
import pulumi
import pulumi_kubernetes as k8s

cfg = pulumi.Config()
token = cfg.require_secret("token")
p = k8s.Provider("k8s", kubeconfig=pulumi.Output.secret("kc"))
ns = k8s.core.v1.Namespace("ns", metadata={"name": "demo"}, opts=pulumi.ResourceOptions(provider=p))
k8s.core.v1.Secret("tok", metadata={"name": "tok", "namespace": "demo"}, string_data={"token": token},
                   opts=pulumi.ResourceOptions(provider=p, depends_on=[ns]))
k8s.storage.v1.StorageClass("reader", metadata={"name": "reader"}, provisioner="example.com/none",
                            opts=pulumi.ResourceOptions(provider=p))
k8s.helm.v3.Release("certs", name="cert-manager", chart="cert-manager", version="v1.21.1", namespace="cert-manager",
                    repository_opts={"repo": "https://charts.jetstack.io"}, values={"crds": {"enabled": True}},
                    opts=pulumi.ResourceOptions(provider=p))
pulumi.export("namespace", ns.metadata.name)
"""


SRC = Path(__file__).resolve().parents[2]
"""The folder holding mlplatform's packages (components/, infra/, policy/)."""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: tiny\nruntime: python\nmain: prog/\nstackConfigDir: stacks\n")
    (tmp_path / "prog").mkdir()
    (tmp_path / "prog" / "__main__.py").write_text(TINY_PROGRAM)
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text("config:\n  tiny:token:\n    secure: AAABAHNlY3JldA==\n")
    return tmp_path


def test_json_document_shape(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    assert main(["plan", "--project", str(tiny), "--json", str(out), "--no-tree"]) == 0
    doc = json.loads(out.read_text())
    assert doc["project"] == "tiny"
    (stack,) = doc["stacks"]
    assert set(stack) >= {"stack", "cloud", "resources", "warnings", "policies", "cost"}
    assert stack["warnings"] == []
    assert stack["stack"] == "dev"
    first = stack["resources"][0]
    assert set(first) >= {"urn", "type", "name", "parent", "provider", "dependsOn", "inputs"}
    by_name = {r["name"]: r for r in stack["resources"]}
    # the SDK makes all of stringData secret; the plan keeps its keys and hides every value
    assert by_name["tok"]["inputs"]["stringData"] == {"token": "[secret]"}
    assert by_name["tok"]["dependsOn"] == [by_name["ns"]["urn"]]
    assert by_name["tok"]["provider"] == by_name["k8s"]["urn"]
    assert stack["outputs"] == {"namespace": "demo"}


def test_program_warnings_are_in_the_view_and_the_json(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main_py = tiny / "prog" / "__main__.py"
    main_py.write_text(TINY_PROGRAM + "pulumi.log.warn('GPU availability in [westeurope] is not checked')\n")
    out = tmp_path / "plan.json"
    assert main(["plan", "--project", str(tiny), "--json", str(out), "--no-tree"]) == 0
    assert "warning: GPU availability in [westeurope] is not checked" in capsys.readouterr().out
    (stack,) = json.loads(out.read_text())["stacks"]
    assert stack["warnings"] == ["GPU availability in [westeurope] is not checked"]


def test_manifests_one_file_per_object_and_release(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "m"
    assert main(["plan", "--project", str(tiny), "--stack", "dev", "--manifests", str(out), "--no-tree"]) == 0
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*.yaml"))
    assert files == [
        "dev/_cluster/namespace-demo.yaml",
        "dev/_cluster/storageclass-reader.yaml",
        "dev/_helm/cert-manager.yaml",
        "dev/demo/secret-tok.yaml",
    ]
    secret = yaml.safe_load((out / "dev/demo/secret-tok.yaml").read_text())
    assert secret["stringData"] == {"token": "[secret]"}
    assert secret["apiVersion"] == "v1" and secret["kind"] == "Secret"
    release = yaml.safe_load((out / "dev/_helm/cert-manager.yaml").read_text())
    assert release == {
        "release": "cert-manager",
        "chart": "cert-manager",
        "repository": "https://charts.jetstack.io",
        "version": "v1.21.1",
        "namespace": "cert-manager",
        "values": {"crds": {"enabled": True}},
    }


def test_unknown_stack_is_exit_2_with_one_line(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--project", str(tiny), "--stack", "prod"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "stacks/Pulumi.prod.yaml: no such stack file; stacks here: dev"


def test_yaml_syntax_error_is_exit_2(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tiny / "stacks" / "Pulumi.dev.yaml").write_text("config:\n  tiny:token: [1\n")
    assert main(["plan", "--project", str(tiny)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("stacks/Pulumi.dev.yaml: line 3: YAML syntax error:")
    assert "\n" not in err


def test_no_project_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["plan"]) == 2
    assert "no Pulumi.yaml here or in any folder above" in capsys.readouterr().err


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """This project's Pulumi.yaml, program and stacks, in a folder of their own."""
    dest = tmp_path / "proj"
    dest.mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", dest)
    shutil.copytree(ROOT / "stacks", dest / "stacks")
    shutil.copytree(ROOT / "infra", dest / "infra", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def test_local_stack_plans_with_json_and_manifests(project_copy: Path) -> None:
    """The issue's contract, as a user types it, in a subprocess: exit 0, a JSON document, manifest files."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "components.plan.cli",
            "plan",
            "--stack",
            "local",
            "--json",
            "../out.json",  # outputs inside the stack folder are refused: it holds the inputs
            "--manifests",
            "../m",
        ],
        cwd=project_copy / "stacks",  # found upward
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((project_copy / "out.json").read_text())
    assert [s["stack"] for s in doc["stacks"]] == ["local"]
    assert doc["stacks"][0]["cloud"] == "existing"
    types = {r["type"] for r in doc["stacks"][0]["resources"]}
    assert "mlplatform:index:ExistingCluster" in types


def test_broken_stack_file_is_exit_2_one_line_no_traceback(project_copy: Path) -> None:
    stack = project_copy / "stacks" / "Pulumi.local.yaml"
    stack.write_text(stack.read_text().replace("deploymentMode: Knative", "deploymentMode: Serverless"))
    proc = subprocess.run(
        [sys.executable, "-m", "components.plan.cli", "plan", "--stack", "local"],
        cwd=project_copy,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip() == textwrap.dedent(
        "stacks/Pulumi.local.yaml: mlplatform:platform.deploymentMode: Serverless is not allowed; "
        "give one of Knative, Standard"
    )


# ------------------------------------------------------------------------------------------------ mlplatform where


def test_where_lists_regions_cheapest_first(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["where", "nvidia-l4", "--gpus", "1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    priced = [r for r in rows if r["priceRegion"] == r["region"]]
    assert priced and [r["usdPerHour"] for r in priced] == sorted(r["usdPerHour"] for r in priced)
    assert {r["cloud"] for r in rows} == {"aws", "gcp"}  # no L4 machine on azure in the catalog
    g2 = next(r for r in rows if r["cloud"] == "gcp" and r["region"] == "europe-west4")
    assert g2 == {
        "cloud": "gcp", "region": "europe-west4", "instanceType": "g2-standard-4", "gpus": 1, "usdPerHour": 0.74233,
        "priceRegion": "europe-west4", "zones": ["europe-west4-a", "europe-west4-b", "europe-west4-c"], "note": "",
    }  # fmt: skip
    assert priced[0]["usdPerHour"] == min(r["usdPerHour"] for r in priced)


def test_where_says_when_a_price_is_not_the_regions_own(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["where", "nvidia-a100-40gb", "--cloud", "gcp", "--gpus", "1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    east = next(r for r in rows if r["region"] == "us-east1")
    assert east["usdPerHour"] == 3.673388 and east["priceRegion"] == "us-central1"
    assert east["note"] == "no us-east1 price in the catalog: the us-central1 price"
    assert rows[0]["region"] == "us-central1"  # the only one priced in its own region comes first


def test_where_table_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["where", "nvidia-h200", "--cloud", "azure"]) == 0
    out = capsys.readouterr().out
    assert "Standard_ND96isr_" in out and "H200_v5" in out  # folded, never cut
    assert "eastus2" in out and "swedencentral" in out and "84.8" in out
    assert main(["where", "nvidia-x"]) == 2
    assert capsys.readouterr().err.startswith("accelerator: nvidia-x is not allowed; give one of nvidia-t4, ")
    assert main(["where", "nvidia-l4", "--gpus", "3"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "--gpus: 3 is not allowed; give one of 1, 2, 4, 8 (GPUs per node of nvidia-l4)"
    )
    assert main(["where", "nvidia-a10g", "--cloud", "gcp"]) == 2
    assert "not offered on gcp" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--json", "{p}/stacks/Pulumi.dev.yaml"], "--json: {p}/stacks/Pulumi.dev.yaml: would write over the "
         "project's input {p}/stacks; give a path outside Pulumi.yaml and stacks/"),
        (["--json", "{p}/Pulumi.yaml"], "--json: {p}/Pulumi.yaml: would write over the project's input "
         "{p}/Pulumi.yaml; give a path outside Pulumi.yaml and stacks/"),
        (["--manifests", "{p}/stacks"], "--manifests: {p}/stacks: would write over the project's input {p}/stacks; "
         "give a path outside Pulumi.yaml and stacks/"),
        (["--manifests", "{p}/stacks/sub"], "--manifests: {p}/stacks/sub: would write over the project's input "
         "{p}/stacks; give a path outside Pulumi.yaml and stacks/"),
        # red14h break 6: --json into the program folder replaced its __main__.py (the next plan: exit 70)
        (["--json", "{p}/prog/__main__.py"], "--json: {p}/prog/__main__.py: would write over the program "
         "(Pulumi.yaml's main) {p}/prog; give a path outside it"),
        (["--json", "{p}/prog/x.json"], "--json: {p}/prog/x.json: would write over the program (Pulumi.yaml's main) "
         "{p}/prog; give a path outside it"),
        (["--manifests", "{p}/prog"], "--manifests: {p}/prog: would write over the program (Pulumi.yaml's main) "
         "{p}/prog; give a path outside it"),
        (["--json", "{src}/infra/x.json"], "--json: {src}/infra/x.json: would write over mlplatform's own source "
         "{src}/infra; give a path outside it"),
        (["--manifests", "{src}/components/plan"], "--manifests: {src}/components/plan: would write over "
         "mlplatform's own source {src}/components; give a path outside it"),
        (["--manifests", ""], '--manifests: "": is empty; give a path (an empty one would be the current folder)'),
        (["--json", ""], '--json: "": is empty; give a path (an empty one would be the current folder)'),
        (["--json", "-"], "--json: -: is not a path; give a file or folder path (the plan's tables go to stdout)"),
        (["--json", "{p}/out/x", "--manifests", "{p}/out/x"], "--json: {p}/out/x: is --manifests {p}/out/x or inside "
         "it; give the two apart"),
        (["--json", "{p}/out/plan.json", "--manifests", "{p}/out"], "--json: {p}/out/plan.json: is --manifests "
         "{p}/out or inside it; give the two apart"),
    ],
)  # fmt: skip
def test_outputs_that_would_destroy_inputs_are_refused_before_anything_is_written(
    tiny: Path, args: list[str], line: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every output path is checked before planning and before either is written: the stack file, Pulumi.yaml and
    the stack folder are the user's inputs; an empty path would be the current folder; ``-`` is refused (the tables
    go to stdout, so it could not be a JSON document there); --json inside --manifests would be half written."""
    monkeypatch.chdir(tiny)
    before = {p: p.read_bytes() for p in tiny.rglob("*") if p.is_file()}
    code = main(["plan", "--project", str(tiny), "--stack", "dev", *[a.format(p=tiny, src=SRC) for a in args]])
    err = capsys.readouterr().err
    assert (code, err) == (2, line.format(p=tiny, src=SRC) + "\n")
    assert {p: p.read_bytes() for p in tiny.rglob("*") if p.is_file()} == before
    assert not (tiny / "dev").exists() and not (tiny / "out").exists()


def test_manifests_beside_the_inputs_are_written(tiny: Path, tmp_path: Path) -> None:
    """A folder in the project root is no input: its <stack>/ folders hold no stack file."""
    assert main(["plan", "--project", str(tiny), "--stack", "dev", "--no-tree", "--manifests", str(tiny / "out")]) == 0
    assert (tiny / "out" / "dev").is_dir() and (tiny / "stacks" / "Pulumi.dev.yaml").is_file()


@pytest.mark.parametrize("gpus", ["\u0668", "\uff18", " 8", "8.0", "+8"])
def test_where_gpus_takes_ascii_digits_only(gpus: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Python's int() reads Arabic-Indic and full-width digits and edge spaces; the command line takes ASCII."""
    assert main(["where", "nvidia-l4", "--gpus", gpus]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlplatform where: argument --gpus: invalid number: ") and err.count("\n") == 1


@pytest.mark.parametrize("name", ["uv.lock", "pyproject.toml", "requirements.txt"])
def test_json_over_the_projects_environment_files_is_refused(
    tiny: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # red14j break 8: --json uv.lock replaced the lock the Pulumi CLI's `uv sync` reads with plan JSON (exit 0)
    (tiny / name).write_text("kept\n")
    code = main(["plan", "--project", str(tiny), "--stack", "dev", "--json", str(tiny / name)])
    assert (code, capsys.readouterr().err) == (
        2,
        f"--json: {tiny / name}: would write over the project's input {tiny / name}; give a path outside "
        "Pulumi.yaml and stacks/\n",
    )
    assert (tiny / name).read_text() == "kept\n"


def test_json_over_a_hard_link_of_an_input_is_refused(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # red14j break 8: --json hard.yaml (a hard link of Pulumi.yaml) destroyed Pulumi.yaml: resolved paths differ
    before = (tiny / "Pulumi.yaml").read_bytes()
    os.link(tiny / "Pulumi.yaml", tiny / "hard.yaml")
    code = main(["plan", "--project", str(tiny), "--stack", "dev", "--json", str(tiny / "hard.yaml")])
    assert (code, capsys.readouterr().err) == (
        2,
        f"--json: {tiny / 'hard.yaml'}: is the project's input {tiny / 'Pulumi.yaml'} under another name (a hard "
        "link); give another path\n",
    )
    assert (tiny / "Pulumi.yaml").read_bytes() == before


def test_manifests_over_a_hard_link_of_an_input_is_refused(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (tiny / "stacks" / "Pulumi.dev.yaml").read_bytes()
    (tiny / "out" / "dev").mkdir(parents=True)
    os.link(tiny / "stacks" / "Pulumi.dev.yaml", tiny / "out" / "dev" / "kept.yaml")
    code = main(["plan", "--project", str(tiny), "--stack", "dev", "--manifests", str(tiny / "out")])
    assert (code, capsys.readouterr().err) == (
        2,
        f"--manifests: {tiny / 'out' / 'dev' / 'kept.yaml'}: is the project's input "
        f"{tiny / 'stacks' / 'Pulumi.dev.yaml'} under another name (a hard link); give another path\n",
    )
    assert (tiny / "stacks" / "Pulumi.dev.yaml").read_bytes() == before


# red14k breaks 4, 5: an output through a symlink into the project's virtualenv, its interpreter or an input


def _venv(tiny: Path, fake: Path) -> Path:
    """tiny with Pulumi.yaml ``runtime.options.virtualenv: env`` whose bin/python links to ``fake``."""
    (tiny / "Pulumi.yaml").write_text(
        "name: tiny\nruntime:\n  name: python\n  options:\n    virtualenv: env\nmain: prog/\nstackConfigDir: stacks\n"
    )
    (tiny / "env" / "bin").mkdir(parents=True)
    (tiny / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    fake.write_text("interpreter\n")
    (tiny / "env" / "bin" / "python").symlink_to(fake)
    return tiny / "env"


@pytest.mark.parametrize(
    ("target", "line"),
    [
        # main: rc=0, and the interpreter the symlink leads to (the system python3 in a real venv) held plan JSON
        ("{p}/env/bin/python", "would write over the project's virtualenv {p}/env; give a path outside it"),
        ("{p}/env/pyvenv.cfg", "would write over the project's virtualenv {p}/env; give a path outside it"),
        ("{p}/link", "would write over the Python interpreter {fake}; give a path outside it"),
    ],
)
def test_json_into_the_virtualenv_or_onto_its_interpreter_is_refused(
    tiny: Path, tmp_path_factory: pytest.TempPathFactory, target: str, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = tmp_path_factory.mktemp("elsewhere") / "python3"
    venv = _venv(tiny, fake)
    (tiny / "link").symlink_to(fake)
    path = target.format(p=tiny)
    code = main(["plan", "--project", str(tiny), "--stack", "dev", "--json", path])
    assert (code, capsys.readouterr().err) == (2, f"--json: {path}: {line.format(p=tiny, fake=fake)}\n")
    assert fake.read_text() == "interpreter\n" and (venv / "pyvenv.cfg").read_text() == "home = /usr/bin\n"


def test_manifests_through_a_symlinked_folder_onto_a_stack_file_are_refused(
    tiny: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    # red14k k5: out/<stack>/_cluster -> X, X/namespace-models.yaml -> the stack file; Path.rglob does not descend
    # into the symlinked folder, the writer does: main wrote a Namespace over the stack file
    out, x = tmp_path_factory.mktemp("out"), tmp_path_factory.mktemp("x")
    (out / "dev").mkdir()
    (out / "dev" / "_cluster").symlink_to(x)
    (x / "namespace-demo.yaml").symlink_to(tiny / "stacks" / "Pulumi.dev.yaml")
    before = (tiny / "stacks" / "Pulumi.dev.yaml").read_bytes()
    code = main(["plan", "--project", str(tiny), "--stack", "dev", "--manifests", str(out)])
    assert (code, capsys.readouterr().err) == (
        2,
        f"--manifests: {out}: would write over the project's input {tiny / 'stacks'}; give a path outside "
        "Pulumi.yaml and stacks/\n",
    )
    assert (tiny / "stacks" / "Pulumi.dev.yaml").read_bytes() == before


def test_manifests_through_a_symlinked_folder_to_a_hard_link_are_refused(
    tiny: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    out, x = tmp_path_factory.mktemp("out"), tmp_path_factory.mktemp("x")
    (out / "dev").mkdir()
    (out / "dev" / "_cluster").symlink_to(x)
    os.link(tiny / "Pulumi.yaml", x / "namespace-demo.yaml")
    code = main(["plan", "--project", str(tiny), "--stack", "dev", "--manifests", str(out)])
    assert (code, capsys.readouterr().err) == (
        2,
        f"--manifests: {out / 'dev' / '_cluster' / 'namespace-demo.yaml'}: is the project's input "
        f"{tiny / 'Pulumi.yaml'} under another name (a hard link); give another path\n",
    )


# red14k break 6: Pulumi.yaml or a stack file that is a FIFO or a device (or a symlink to one) hung plan and import


@pytest.mark.parametrize("which", ["Pulumi.yaml", "stacks/Pulumi.dev.yaml"])
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_project_or_stack_file_that_is_a_pipe_or_device_is_one_line(
    tiny: Path, which: str, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tiny / which
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/null")  # /dev/zero never ends; /dev/null keeps main's run of this test short
    code = main(["plan", "--project", str(tiny), "--stack", "dev"])
    shown = path if which == "Pulumi.yaml" else which
    what = "give the project file (YAML)" if which == "Pulumi.yaml" else "give the stack file (YAML)"
    assert (code, capsys.readouterr().err) == (
        2,
        f"{shown}: is not a regular file (a pipe, socket or device); {what}\n",
    )


# red14l break 8: a stack named . or .. (valid Pulumi stack names) would write --manifests DIR/<stack> outside DIR


@pytest.mark.parametrize(("stack", "where"), [("..", "its parent"), (".", "DIR itself")])
def test_manifests_of_a_dot_stack_are_refused(
    tiny: Path, capsys: pytest.CaptureFixture[str], stack: str, where: str
) -> None:
    # main (01fc987): plan --stack .. --manifests pj3/out rc=0, the files written into pj3
    (tiny / "stacks" / f"Pulumi.{stack}.yaml").write_text("config: {}\n")
    out = tiny / "out"
    code = main(["plan", "--project", str(tiny), "--stack", stack, "--manifests", str(out), "--no-tree"])
    assert (code, capsys.readouterr().err) == (
        2,
        f"--manifests: {out}: the stack {stack} cannot name a folder inside it (DIR/{stack} is {where}); rename the "
        "stack, or leave --manifests out\n",
    )
    assert not out.exists() and sorted(p.name for p in tiny.iterdir()) == ["Pulumi.yaml", "prog", "stacks"]
