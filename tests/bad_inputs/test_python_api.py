"""The Python API refuses what the stack path refuses, in one line spelled as the stack file spells it (issue #13)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.clusters.spec import GpuPoolSpec, GpuSharing
from components.errors import SpecError
from components.platform.settings import PlatformSettings
from components.serving.spec import ModelSpec

ACCESS = {"mode": "public", "allow_anonymous": True}
MODEL_JSON = (
    '{"storageUri": "gs://my-bucket/x", "format": "sklearn", "access": {"mode": "public", "allowAnonymous": true}, '
    '"resources": {"cpu": "0.0001"}}'
)

MIG_7G_80GB = {"strategy": "mig", "migProfile": "7g.80gb"}
STRINGS = {"storageUri": "gs://my-bucket/x", "format": "sklearn", "scaling": {"maxReplicas": "x"}}


def refused(make: Callable[[], Any]) -> str:
    with pytest.raises(SpecError) as e:
        make()
    line = str(e.value)
    assert "\n" not in line
    return line


@pytest.mark.parametrize(
    ("make", "line"),
    [
        (lambda: GpuSharing(strategy="mig", mig_profile="1g.10gb\n"),
         'GpuSharing.migProfile: "1g.10gb\\n" is not allowed; give a MIG profile such as 1g.10gb or 1g.10gb+me'),
        (lambda: GpuSharing(strategy="mig", mig_profile="1g\uff0e10gb"),
         'GpuSharing.migProfile: "1g\\uff0e10gb" is not allowed; give a MIG profile such as 1g.10gb or 1g.10gb+me'),
        (lambda: GpuPoolSpec(accelerator="nvidia-a100-40gb", max_nodes=1, sharing=MIG_7G_80GB),
         "GpuPoolSpec.sharing.migProfile: 7g.80gb is not allowed; nvidia-a100-40gb has the MIG profiles 1g.5gb, "
         "1g.5gb+me, 1g.10gb, 2g.10gb, 3g.20gb, 4g.20gb, 7g.40gb (NVIDIA MIG user guide); give one of them"),
        (lambda: ModelSpec.model_validate_json(MODEL_JSON),
         "ModelSpec.resources.cpu: 0.0001 is not allowed; give whole millicores (1m = 0.001): Kubernetes refuses "
         "finer"),
        (lambda: ModelSpec.model_validate_strings(STRINGS),
         "ModelSpec.scaling.maxReplicas: x is not allowed; give an integer (+1 more)"),
        (lambda: ModelSpec(storage_uri="gs://my-bucket/x", storageUri="gs://c/y", format="sklearn", access=ACCESS),
         "ModelSpec.storageUri: given twice (as storage_uri and storageUri); give it once (+1 more)"),
        (lambda: PlatformSettings(warm_capacity={"l4": -1}),
         "PlatformSettings.warmCapacity.l4: -1 is not allowed; give the GPU nodes to keep warm, an integer from 0 to "
         "the pool's maxNodes"),
        (lambda: PlatformSettings(warm_capacity={"l4": True}),
         "PlatformSettings.warmCapacity.l4: true is not allowed; give an integer"),
        (lambda: PlatformSettings(warm_capacity={"l4": 1.0}),
         "PlatformSettings.warmCapacity.l4: 1.0 is not allowed; give a whole number"),
    ],
)  # fmt: skip
def test_python_api_lines(make: Callable[[], Any], line: str) -> None:
    assert refused(make) == line
