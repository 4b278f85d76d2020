"""red14m M4 and Low items: a whole float from Python as from a stack file, a quoted IntOrString, an oci:// tag."""

from __future__ import annotations

import pytest
from serving_support import model

from components.errors import SpecError
from components.serving.spec import ModelSpec
from components.storage import parse_storage_uri


def test_whole_floats_from_python_are_the_integers_a_stack_file_delivers() -> None:
    # main (9c2eedb): "give a whole number"; a stack file's minReplicas: 2.0 reaches the program as 2 (Go's
    # encoding/json floatEncoder), so the Python API reads it the same way
    spec = ModelSpec.model_validate(model(scaling={"minReplicas": 2.0, "maxReplicas": 4.0}))
    assert (spec.scaling.min_replicas, spec.scaling.max_replicas) == (2, 4)
    assert isinstance(spec.scaling.min_replicas, int)
    assert ModelSpec(**model(scaling={"minReplicas": 2.0})).scaling.min_replicas == 2
    with pytest.raises(SpecError) as e:
        ModelSpec.model_validate(model(scaling={"minReplicas": 2.5}))
    assert str(e.value) == "ModelSpec.scaling.minReplicas: 2.5 is not allowed; give a whole number"


def test_a_quoted_rollout_amount_says_it_is_text() -> None:
    # main: 'maxUnavailable: 0 is not allowed; give a whole number from 0 to 2147483647 or a percent', which
    # contradicted itself: the value was the text "0"
    with pytest.raises(SpecError) as e:
        ModelSpec.model_validate(model(rollout={"maxUnavailable": "0", "maxSurge": 1}))
    assert str(e.value) == (
        'ModelSpec.rollout.maxUnavailable: "0" is not allowed; give 0 unquoted: quoted, it is read as a percent, '
        "which needs '%' (Kubernetes' IntOrString)"
    )


@pytest.mark.parametrize("uri", ["oci://ghcr.io/a/b:", "oci://ghcr.io/a/b:-x", "oci://ghcr.io/a/b:.v1"])
def test_an_oci_uri_with_an_invalid_tag_is_refused(uri: str) -> None:
    # main: accepted; the modelcar image is no image reference and the kubelet reports InvalidImageName
    with pytest.raises(SpecError) as e:
        parse_storage_uri(uri)
    assert str(e.value) == (
        f"storageUri: {uri} is not allowed; give the tag after ':' as 1-128 letters, digits, '_', '.' and '-', not "
        "starting with '.' or '-' (distribution/reference: [\\w][\\w.-]{0,127}), or leave ':' out"
    )


@pytest.mark.parametrize(
    "uri", ["oci://ghcr.io/a/b:v1.2", "oci://localhost:5000/a/b", "oci://ghcr.io/a/b:v1@sha256:" + "0" * 64]
)
def test_valid_oci_tags_and_registry_ports_are_accepted(uri: str) -> None:
    assert parse_storage_uri(uri).scheme == "oci"
