"""One rendering of the value given in every error line (components.errors.show): a scalar as given and escaped, a map,
a list or a spec in flow form, cut past SHOW_WIDTH with a marker, never a credential; and the lines that printed
``...`` for a block value now show it (the input contract: the line names the value given)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.errors import SHOW_WIDTH, TEXT_WIDTH, TRUNCATED, SpecError, show
from components.serving.kcomponents import ArtExplainerSpec, ExplainerSpec, TransformerSpec
from components.serving.kspec import ContainerSpec, RolloutSpec
from components.serving.spec import ModelSpec, platform_problems
from components.serving.stack_runtime import RuntimeSpec, agent_port_problem
from components.spec import SpecInvalid

ACCESS = {"mode": "public", "allow_anonymous": True}
SKLEARN = {"format": "sklearn", "storage_uri": "hf://a/b", "access": ACCESS}


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        # scalars as given, as YAML would show them
        ("iris", "iris"),
        (8, "8"),
        (1.5, "1.5"),
        (True, "true"),
        (None, "null"),
        ("s3://a/b", "s3://a/b"),
        # control characters, NUL, newlines, edge spaces: escaped in quotes, so the line stays one line
        ("a\nb", '"a\\nb"'),
        ("a\x00b", '"a\\u0000b"'),
        ("tab\there", '"tab\\there"'),
        (" x", '" x"'),
        ("", '""'),
        # unicode: escaped, so a lookalike never reads as what it imitates (a Cyrillic a, a full-width 1)
        ("\u0430dmin", '"\\u0430dmin"'),
        ("\uff11", '"\\uff11"'),
        ("\ud800", '"\\ud800"'),  # a lone surrogate
        # maps and lists in flow form; strings inside quoted where YAML would read them otherwise
        ({"storageUri": "s3://a/b", "storageUris": ["s3://c"]}, "{storageUri: s3://a/b, storageUris: [s3://c]}"),
        ({"a": {"b": [1, {"c": None}]}}, "{a: {b: [1, {c: null}]}}"),
        ([1, "2", True, "true", "a, b", "k: v", "x]"], '[1, "2", true, "true", "a, b", "k: v", "x]"]'),
        ({}, "{}"),
        ([], "[]"),
        ({"k": "\n"}, '{k: "\\n"}'),
        ({"a.b": 1, 2: "x"}, "{a.b: 1, 2: x}"),
    ],
)
def test_a_value_is_shown_as_given_on_one_line(value: Any, shown: str) -> None:
    assert show(value) == shown


def test_a_whole_number_too_long_to_print_shows_its_count_of_digits() -> None:
    assert show(10**5000) == "a number of 5001 digits"
    assert show([10**5000]) == "[a number of 5001 digits]"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        # a credential-shaped string, anywhere: [plain text]; a URI keeps its scheme, host and path
        ("hf_" + "a" * 30, "[plain text]"),
        (["ok", "hf_" + "a" * 30], "[ok, [plain text]]"),
        ("s3://AKIAIOSFODNN7EXAMPLE:pw@bucket/m", "s3://[plain text]@bucket/m"),
        # any scalar under a key whose name says it is a credential, in a map the user wrote
        ({"HF_TOKEN": "abc", "LOG": "x"}, "{HF_TOKEN: [plain text], LOG: x}"),
        ({"password": 1234}, "{password: [plain text]}"),
        ({"apiKey": None}, "{apiKey: null}"),
    ],
)
def test_a_secret_is_never_shown(value: Any, shown: str) -> None:
    assert show(value) == shown


def test_a_credential_past_the_cut_is_not_shown_in_part() -> None:
    token = "ghp_" + "Z" * 36
    text = show("x" * 50 + " " + token)
    assert "ZZ" not in text and text == "[plain text]"


def test_long_text_is_cut_at_the_width_with_a_marker() -> None:
    assert show("x" * TEXT_WIDTH) == "x" * TEXT_WIDTH
    assert show("x" * (TEXT_WIDTH + 1)) == "x" * TEXT_WIDTH + TRUNCATED
    long_map = {f"key{i}": f"value{i}" for i in range(40)}
    text = show(long_map)
    assert text.startswith("{key0: value0, key1: value1, ") and text.endswith(TRUNCATED)
    assert len(text) == SHOW_WIDTH + len(TRUNCATED)
    assert show(["y" * TEXT_WIDTH]) == "[" + "y" * (SHOW_WIDTH - 1) + TRUNCATED


def test_the_cut_never_splits_an_escape() -> None:
    # TEXT_WIDTH - 2 characters after the quote, then escaped zero-width spaces (6 characters each): cut before one
    assert show("y" * (TEXT_WIDTH - 2) + "\u200b" * 10) == '"' + "y" * (TEXT_WIDTH - 2) + TRUNCATED
    many = show("\u200b" * 100)
    assert many.startswith('"\\u200b\\u200b') and many.endswith("\\u200b" + TRUNCATED)
    assert len(many) - len(TRUNCATED) == 1 + 6 * ((TEXT_WIDTH - 1) // 6)


def test_a_huge_value_is_rendered_only_as_far_as_shown() -> None:
    huge = ["x" * 10_000_000] * 1000 + [{"k": list(range(100_000))}]
    assert show(huge) == "[" + "x" * (SHOW_WIDTH - 1) + TRUNCATED
    assert show("z" * 10_000_000) == "z" * TEXT_WIDTH + TRUNCATED


def test_a_spec_shows_the_keys_given_in_stack_spelling() -> None:
    assert show(RolloutSpec(max_surge="25%")) == "{maxSurge: 25%}"
    assert show(RolloutSpec()) == "{}"


def test_text_that_reads_as_a_number_is_quoted_where_a_number_belongs() -> None:
    with pytest.raises(SpecInvalid) as e:
        ModelSpec(**SKLEARN, timeout="60")
    assert str(e.value) == 'ModelSpec.timeout: "60" is not allowed; give an integer'


def refused(make: Callable[[], Any]) -> str:
    with pytest.raises(SpecError) as e:
        make()
    return str(e.value)


# The lines that printed "..." (or "{...}", "[...]") for a block value, each now with the value given.
@pytest.mark.parametrize(
    ("make", "line"),
    [
        (lambda: ModelSpec(container={"image": "ghcr.io/acme/s:1"}, llm={"max_model_length": 4096}, access=ACCESS),
         "ModelSpec.llm: {maxModelLength: 4096} is not allowed; a custom container is its own model server; remove "
         "it"),
        (lambda: ModelSpec(**SKLEARN, storage_uris=[{"uri": "hf://a/c"}]),
         "ModelSpec.storageUris: {storageUri: hf://a/b, storageUris: [{uri: hf://a/c}]} is not allowed; give "
         "storageUri or storageUris, not both (KServe's rule)"),
        (lambda: ModelSpec(**SKLEARN, llm={"huggingface_token_key": "HF_TOKEN"}),
         "ModelSpec.llm: {huggingfaceTokenKey: HF_TOKEN} is not allowed; llm settings apply to format: huggingface "
         "only"),
        (lambda: ModelSpec(**SKLEARN, protocol="v2", batcher={"max_batch_size": 32}),
         "ModelSpec.batcher: {maxBatchSize: 32} is not allowed; the model serves v2; KServe's batcher batches v1 "
         ":predict requests only (pkg/batcher/handler.go); remove batcher"),
        (lambda: ModelSpec(**SKLEARN, env={"A": "1"}, secret_env={"A": {"secret": "s", "key": "k"}}),
         "ModelSpec.secretEnv.A: {secret: s, key: k} is not allowed; env already sets A; give it in one of them"),
        (lambda: TransformerSpec(container={"image": "kserve/t:1"}, collocated=True, scaling={"max_replicas": 2}),
         "TransformerSpec.scaling: {maxReplicas: 2} is not allowed; a collocated transformer shares the predictor's "
         "pods and their settings; remove it"),
        (lambda: TransformerSpec(container={"image": "kserve/t:1"}, collocated=True, node_selector={"pool": "a"}),
         "TransformerSpec.nodeSelector: {pool: a} is not allowed; a collocated transformer shares the predictor's "
         "pods and their settings; remove it"),
        (lambda: TransformerSpec(container={"image": "kserve/t:1"}, collocated=True, tolerations=[{"key": "k"}]),
         "TransformerSpec.tolerations: [{key: k}] is not allowed; a collocated transformer shares the predictor's "
         "pods and their settings; remove it"),
        (lambda: ExplainerSpec(art=ArtExplainerSpec(), container=ContainerSpec(image="ghcr.io/acme/e:1")),
         "ExplainerSpec.art: {} is not allowed; give art or container (exactly one, KServe's rule)"),
        (lambda: RuntimeSpec(container={"image": "ghcr.io/acme/s:1"}, formats=[{"name": "sklearn"}],
                             protocols=["v1", "v1"]),
         "RuntimeSpec.protocols: [v1, v1] is not allowed; give each protocol once"),
        (lambda: ContainerSpec(image="ghcr.io/acme/s:1", port=[{"number": 8080}, {"number": 9000}]),
         "ContainerSpec.port: [{number: 8080}, {number: 9000}] is not allowed; give one port (a map): Knative serves "
         "one port per model pod"),
        # a map where a scalar belongs (pydantic's own refusal): the map, where it printed "..." past 40 characters
        (lambda: ModelSpec(**{**SKLEARN, "format": {"name": "sklearn", "version": "1", "note": "longer than forty"}}),
         "ModelSpec.format: {name: sklearn, version: \"1\", note: longer than forty} is not allowed; give one of "),
    ],
)  # fmt: skip
def test_a_block_value_is_shown_not_dots(make: Callable[[], Any], line: str) -> None:
    assert refused(make).startswith(line)


def test_rollout_in_knative_mode_shows_the_rollout() -> None:
    spec = ModelSpec(**SKLEARN, rollout={"max_surge": "25%"})
    path, value, accepted = next(p for p in platform_problems(spec, "Knative") if p[0] == "rollout")
    assert str(SpecError(path, value, accepted)) == (
        "rollout: {maxSurge: 25%} is not allowed; rollout applies to platform.deploymentMode: Standard; in Knative "
        "mode use canaryTrafficPercent"
    )


def test_a_component_secret_env_given_twice_shows_the_reference() -> None:
    assert refused(
        lambda: TransformerSpec(
            container={"image": "kserve/t:1"}, env={"A": "1"}, secret_env={"A": {"secret": "s", "key": "k"}}
        )
    ) == ("TransformerSpec.secretEnv.A: {secret: s, key: k} is not allowed; env already sets A; give it in one of them")


def test_the_agent_port_line_shows_the_batcher() -> None:
    runtime = RuntimeSpec(
        container={"image": "ghcr.io/acme/s:1", "port": {"number": 9081}}, formats=[{"name": "sklearn"}]
    )
    spec = ModelSpec(**SKLEARN, runtime="mine", batcher={"max_batch_size": 8})
    problem = agent_port_problem(spec, {"mine": runtime})
    assert problem is not None
    assert show(problem[1]) == "{maxBatchSize: 8}"
