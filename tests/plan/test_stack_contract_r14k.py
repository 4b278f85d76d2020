"""Red team #14k's breaks of the stack-file contract (/work/wt/red14k-report.md, breaks 6-10): the plan reads a
stack file as the Pulumi CLI does (go-yaml v3.0.1, decoded, written back and decoded again by pulumi/pulumi
sdk/go/common/workspace/loaders.go ``LoadProjectStackBytes``), or refuses it with one line. The values the CLI reads
were checked against go-yaml v3.0.1 built with Go 1.19; the tests do not need Go."""

from __future__ import annotations

import pytest

from components.errors import SpecError
from components.plan.project import parse_stack_text

FILE = "stacks/Pulumi.t.yaml"


def refusal(text: str) -> str:
    with pytest.raises(SpecError) as info:
        parse_stack_text(text.encode(), FILE)
    return str(info.value)


# ------------------------------------------------------------------ break 7: !!str is text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a: !!str 2024-01-05\n", {"a": "2024-01-05"}),
        ("a: [!!str 2024-1-5]\n", {"a": ["2024-1-5"]}),
        ("a: {b: !!str 2001-12-14t21:59:43.10Z}\n", {"a": {"b": "2001-12-14t21:59:43.10Z"}}),
        ("!!str 2024-01-05: 1\n", {"2024-01-05": 1}),
    ],
)
def test_a_str_tagged_date_is_text_as_go_yaml_reads_it(text: str, value: object) -> None:
    # main (eb1fb78): "the Pulumi CLI reads it as a timestamp ... quote it"; go-yaml v3.0.1 reads the text
    assert parse_stack_text(text.encode(), FILE) == value


def test_a_plain_date_is_still_refused() -> None:
    assert refusal("a: 2024-01-05\n").startswith(f"{FILE}: a: 2024-01-05 is not allowed; the Pulumi CLI reads it as")


# ------------------------------------------------------------------ break 8: merged keys the CLI's round trip collides


def _twice(line: int, key: str) -> str:
    return (
        f"{FILE}: line {line}: YAML syntax error: {key} is given twice: the Pulumi CLI writes the merged map back with "
        f'a text and a number or true/false key that both read "{key}", and refuses it (go-yaml v3: mapping key '
        f'"{key}" already defined): quote both keys or neither'
    )


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("a: &a {'1': 1}\nb: {<<: *a, 1: 2}\n", 2, "1"),  # main planned b: {"1": 2}
        ("a: &a {'1': 1}\nb: {1: 2, <<: *a}\n", 2, "1"),
        ("a: &a {x: 1}\nc: &c {'1': 1}\nb: {<<: [*a, *c], 1: 2}\n", 3, "1"),
        ("a: &a {'true': 1}\nb: {<<: *a, true: 2}\n", 2, "true"),
    ],
)
def test_a_merged_text_key_and_a_number_key_of_the_same_text_are_refused(text: str, line: int, key: str) -> None:
    # go-yaml v3.0.1: "mapping key "1" already defined at line 4" on the CLI's second decode
    assert refusal(text) == _twice(line, key)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # b's own keys are all text: go decodes it as a map[string]interface{}, where the merged 1 becomes "1"
        ("a: &a {1: 1}\nb: {<<: *a, '1': 2}\n", {"a": {"1": 1}, "b": {"1": 2}}),
        ("a: &a {true: 1}\nb: {<<: *a, 'true': 2}\n", {"a": {"true": 1}, "b": {"true": 2}}),
        ("a: &a {1: 1}\nb: {<<: *a, 1: 2}\n", {"a": {"1": 1}, "b": {"1": 2}}),
        ("a: &a {x: 1}\nb: {<<: *a, 'x': 2}\n", {"a": {"x": 1}, "b": {"x": 2}}),
    ],
)
def test_merged_keys_go_yaml_reads_as_one_key_are_read(text: str, value: object) -> None:
    assert parse_stack_text(text.encode(), FILE) == value


# ------------------------------------------------------------------ break 10: the refusal line's format

TAGGED = (
    "is not allowed; the Pulumi CLI (go-yaml v3) reads a tagged value otherwise than YAML 1.1: remove the tag !!int "
    "and write the value plain, or quoted for text"
)


def test_a_long_tagged_value_is_cut_as_every_line_cuts_it() -> None:
    # main: !!int and 5,000 characters made one 5,000-character line; components.errors.show cuts at TEXT_WIDTH
    line = refusal("x: !!int " + "9" * 5000 + "\n")
    assert line == f"{FILE}: x: !!int {'9' * 256}... (truncated) {TAGGED}"


def test_a_key_holding_a_double_quote_is_shown_quoted() -> None:
    # main: models.a"b.x
    assert refusal('models:\n  "a\\"b":\n    x: !!int 5\n') == f'{FILE}: models."a\\"b".x: !!int 5 {TAGGED}'


@pytest.mark.parametrize(("text", "where"), [("b: [<<, 1]\n", "b.0"), ("b: {x: <<}\n", "b.x")])
def test_a_plain_merge_value_is_refused_with_its_key_path(text: str, where: str) -> None:
    # main: "line 1: YAML syntax error: !!merge values are not allowed; ..." without the key path
    assert refusal(text) == f'{FILE}: {where}: << is not allowed as a plain value; write it quoted for the text, "<<"'


def test_a_quoted_merge_value_is_text() -> None:
    assert parse_stack_text(b'b: ["<<", 1]\n', FILE) == {"b": ["<<", 1]}
