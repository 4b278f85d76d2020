"""Red team #14j's breaks 11 and 12 (/work/wt/red14j-report.md): image cache references checked against
distribution/reference's grammar, Istio's 15009 reserved, a FIFO refused by ``mlplatform import`` as ``check``
refuses it. (Breaks 1-6, 8-10: tests/plan/test_stack_contract_r14j.py, tests/plan/test_kimport_red14j.py,
tests/plan/test_cli.py; the OpenAI-prefix line: tests/serving/test_red14g.py.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from components.clusters.spec import ImageCache
from components.errors import SpecError
from components.plan.cli import main
from components.serving.kspec import PortSpec
from support import ROOT

SNAPSHOT = "snap-0123456789abcdef0"


@pytest.mark.parametrize(
    "image",
    [
        "ghcr.io/A/b:1",  # an uppercase repository: ErrNameContainsUppercase
        "ghcr.io/a/b:",  # an empty tag
        "ghcr.io//a/b:1",  # an empty path component
        "ghcr.io/a/b:t:x",  # two tags
        "ghcr.io/a-/b:1",  # a component ending in a separator
        "ghcr.io/a/b:-x",  # a tag starting with a dash
    ],
)
def test_an_image_cache_entry_outside_the_reference_grammar_is_refused(image: str) -> None:
    # distribution/reference v0.6.0 regexp.go ReferencePat; main accepted all of these
    with pytest.raises(SpecError) as info:
        ImageCache.model_validate({"source": SNAPSHOT, "images": ["kserve/sklearnserver:v0.20.0", image]})
    assert str(info.value) == (
        f"ImageCache.images.1: {image} is not allowed; give an image reference such as kserve/sklearnserver:v0.20.0 "
        "(distribution/reference: a lowercase repository, at most one :tag, an optional @digest)"
    )


@pytest.mark.parametrize(
    "image",
    [
        "nvcr.io/nvidia/tritonserver:23.05-py3",
        "kserve/sklearnserver:v0.20.0",
        "localhost:5000/a__b/c---d.e_f:T_1",
        "ghcr.io/acme/llm:1.0@sha256:" + "a" * 64,
        "ubuntu",
    ],
)
def test_an_image_cache_entry_in_the_reference_grammar_is_kept(image: str) -> None:
    assert ImageCache.model_validate({"source": SNAPSHOT, "images": [image]}).images == [image]


def test_istios_15009_is_a_reserved_port() -> None:
    # istio.io "Ports used by Istio": 15009, H2C, HBONE port for secure networks; main accepted it
    with pytest.raises(SpecError) as info:
        PortSpec.model_validate({"number": 15009})
    assert str(info.value) == (
        "PortSpec.number: 15009 is not allowed; the Istio sidecar (HBONE, secure networks) uses it in the model's pod; "
        "give another port, such as 8080"
    )


def test_import_of_a_fifo_is_refused_without_blocking(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # main opened it and waited forever for a writer; mlplatform check refuses pipes (policy/check.py _read)
    fifo = tmp_path / "isvc.yaml"
    os.mkfifo(fifo)
    assert main(["import", str(fifo), "--project", str(ROOT), "--stack", "aws-dev"]) == 2
    assert capsys.readouterr().err == (
        f"{fifo}: is not a regular file (a pipe, socket or device); give a manifest file (YAML)\n"
    )
