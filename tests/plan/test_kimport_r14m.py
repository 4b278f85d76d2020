"""Red team #14m's breaks of ``mlplatform import``'s YAML reading (/work/wt/red14m-report.md, Part A: I3, M1, M3).

- I3: an entry the stack then refuses was printed with exit 0 (an env value ``"\\nbar"``, an arg ``"\\tx\\ny"``):
  import now runs the stack loader's round-trip check (components/plan/project.py ``stack_round_trip_problem``) on
  what it prints.
- M1: ``\\'`` in double quotes is ``'`` for kubectl's go-yaml v2 (go-yaml/yaml v2.4.0 scannerc.go:2401); import
  refused it as "not YAML".
- M3: kubectl's go-yaml v2 reads a tab after a key's colon and inside a flow list; import refused both.

Expected values are go-yaml v2.4.0's (what kubectl reads, through sigs.k8s.io/yaml's fork of it), from red14m's
offline build /tmp/red14m/gy2/yc2 (``yc2 < FILE``: Unmarshal, printed as JSON), generated once; the tests do not
need Go."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.plan.cli import main as cli
from support import ROOT

HEAD = """apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name{colon}sklearn-iris
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      storageUri: gs://kfserving-examples/models/sklearn/1.0/model
"""


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, colon: str = ": ") -> tuple[int, str, str]:
    path = tmp_path / "isvc.yaml"
    path.write_text(HEAD.format(colon=colon) + extra)
    code = cli(["import", str(path), "--project", str(ROOT), "--stack", "aws-dev"])
    out, err = capsys.readouterr()
    return code, out, err


REFUSED = "isvc.yaml: InferenceService sklearn-iris: as an mlplatform model: mlplatform:models.sklearn-iris."


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        # red14m repro/import-env-leading-newline.yaml: the stack refuses it (the CLI's round trip drops the break)
        (
            '      env:\n      - name: FOO\n        value: "\\nbar"\n',
            "env.FOO: a value starting with a line break is not allowed; the Pulumi CLI drops that line break "
            "(go-yaml v3 writes the value back as a block scalar and reads it again without it): start it with "
            "another character",
        ),
        # red14m repro/import-arg-tab-newline.yaml: the CLI refuses it
        (
            '      args: ["\\tx\\ny"]\n',
            "args.0: a value starting with a tab and holding a line break is not allowed; the Pulumi CLI refuses it "
            "(go-yaml v3 writes it back as a block scalar indented by a tab: found a tab character where an "
            "indentation space is expected): start it with another character",
        ),
        # an arg in the list args: written less indented than its |4 indicator (go-yaml v3 round trip: "did not
        # find expected '-' indicator")
        (
            '      args: [" x\\ny"]\n',
            "args.0: a value starting with a space or a line break and holding another line is not allowed in a "
            "list or in a map inside a list; the Pulumi CLI misreads it (go-yaml v3 writes it back as a block scalar "
            "less indented than its indentation indicator says, then refuses the file or reads its lines as "
            "comments): start it with another character",
        ),
    ],
)
def test_an_entry_the_stack_would_refuse_is_refused_by_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, line: str
) -> None:
    code, out, err = run(tmp_path, capsys, extra)
    assert code == 2
    assert out == ""
    assert f"{tmp_path}/{REFUSED}{line}" in err.splitlines()


def test_a_multi_line_arg_the_round_trip_keeps_is_imported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(tmp_path, capsys, '      args: ["--a\\nb", "\\tx \\ny"]\n')
    assert code == 0, err
    assert yaml.safe_load(out)["sklearn-iris"]["args"] == ["--a\nb", "\tx \ny"]


def test_a_backslash_quote_is_a_quote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # red14m repro/import-backslash-quote.yaml; yc2: "args":["--x=it's"]
    code, out, err = run(tmp_path, capsys, '      args: ["--x=it\\\'s"]\n')
    assert code == 0, err
    assert yaml.safe_load(out)["sklearn-iris"]["args"] == ["--x=it's"]


@pytest.mark.parametrize(
    ("extra", "colon", "args"),
    [
        # red14m repro/import-tab-after-colon.yaml; yc2: "metadata":{"name":"sklearn-iris"}
        ("", ":\t", None),
        # red14m repro/import-tab-in-flow.yaml; yc2: "args":["--a=b\tc"]
        ("      args: [--a=b\tc]\n", ": ", ["--a=b\tc"]),
        # yc2: "args":["--a","b"] (a tab after the comma, in the flow context)
        ("      args: [--a,\tb]\n", ": ", ["--a", "b"]),
    ],
)
def test_a_tab_kubectl_reads_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, colon: str, args: list[str] | None
) -> None:
    code, out, err = run(tmp_path, capsys, extra, colon)
    assert code == 0, err
    assert yaml.safe_load(out)["sklearn-iris"].get("args") == args


def test_a_tab_indenting_a_block_scalar_is_refused_as_kubectl_refuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # yc2: "yaml: line 13: found a tab character where an indentation space is expected"; PyYAML read "\tx\n"
    code, out, err = run(tmp_path, capsys, "      args:\n      - |\n        \tx\n")
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"{tmp_path}/isvc.yaml: not YAML: while scanning a block scalar found a tab character where an indentation "
        'space is expected in "<unicode string>", line 13, column 9: x ^'
    ]
