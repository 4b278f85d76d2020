"""Red team #14l's breaks of the stack-file contract (/work/wt/red14l-report.md): the plan reads a stack file as the
Pulumi CLI does (go-yaml v3.0.1, decoded, written back and decoded again by pulumi/pulumi
sdk/go/common/workspace/loaders.go ``LoadProjectStackBytes``), or refuses it with one line. The values the CLI reads
were checked against go-yaml v3.0.1 (red14j's build of gopkg.in/yaml.v3@v3.0.1: Unmarshal, Marshal, Unmarshal); the
tests do not need Go."""

from __future__ import annotations

import pytest

from components.errors import SpecError
from components.plan.project import parse_stack_text

FILE = "stacks/Pulumi.t.yaml"


def refusal(text: str) -> str:
    with pytest.raises(SpecError) as info:
        parse_stack_text(text.encode(), FILE)
    return str(info.value)


# ------------------------------------------------------------------ break 1: a merge list, the first map wins

MODELS = """\
config:
  mlplatform:models:
    sklearn-iris: &sk
      format: sklearn
      access: {mode: public, allowAnonymous: true}
      scaling: {minReplicas: 0, maxReplicas: 3}
    xgboost-iris: &xg
      format: xgboost
      protocol: v2
      access: {mode: internal}
      scaling: {minReplicas: 1, maxReplicas: 2}
    combo:
      <<: [*sk, *xg]
"""


def test_a_merge_list_takes_each_key_from_the_first_map_that_has_it() -> None:
    # main (01fc987) planned combo as the xgboost model, internal, maxReplicas 2: PyYAML's flatten_mapping let the last
    # map win for keys of two or more characters; go-yaml v3.0.1 (decode.go ``merge``, ``mapping``: mergedFields)
    # reads the sklearn model, public and anonymous, with the xgboost model's protocol
    combo = parse_stack_text(MODELS.encode(), FILE)["config"]["mlplatform:models"]["combo"]
    assert combo == {
        "format": "sklearn",
        "access": {"mode": "public", "allowAnonymous": True},
        "scaling": {"minReplicas": 0, "maxReplicas": 3},
        "protocol": "v2",
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # values as go-yaml v3.0.1 reads them (Unmarshal, Marshal, Unmarshal)
        (
            "a: &a {bb: 1, x: 1}\nc: &c {bb: 2, y: 2}\nd: {<<: [*a, *c]}\n",
            {"a": {"bb": 1, "x": 1}, "c": {"bb": 2, "y": 2}, "d": {"bb": 1, "x": 1, "y": 2}},
        ),
        # a merged map's own keys, then its own <<, then the next map of the list
        (
            "a: &a {k1: a}\nb: &b {<<: *a, k2: b}\nc: &c {k1: c, k3: c, k2: c}\nd: {<<: [*b, *c]}\n",
            {
                "a": {"k1": "a"},
                "b": {"k1": "a", "k2": "b"},
                "c": {"k1": "c", "k2": "c", "k3": "c"},
                "d": {"k1": "a", "k2": "b", "k3": "c"},
            },
        ),
        # own keys all text: the merged 1 and "1" are one key, the first map's
        (
            'a: &a {1: x}\nc: &c {"1": y}\nb: {<<: [*a, *c], "2": z}\n',
            {"a": {"1": "x"}, "c": {"1": "y"}, "b": {"1": "x", "2": "z"}},
        ),
        ("a: &a {name: one}\nb: {<<: [*a, *a], z: 1}\n", {"a": {"name": "one"}, "b": {"name": "one", "z": 1}}),
        # the anchored maps are not changed by a merge into another map (PyYAML's flatten_mapping rewrites them)
        ("a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: *b\n", {"a": {"x": 1}, "b": {"x": 1, "y": 2}, "c": {"x": 1, "y": 2}}),
    ],
)
def test_merges_are_read_as_go_yaml_reads_them(text: str, value: object) -> None:
    assert parse_stack_text(text.encode(), FILE) == value


def test_a_text_and_a_number_key_across_a_merge_list_are_refused() -> None:
    # main planned b: {"1": x, "2": z}; go-yaml v3.0.1: line 6: mapping key "1" already defined (the second decode)
    assert refusal('a: &a {1: x}\nc: &c {"1": y}\nb: {<<: [*a, *c], 2: z}\n') == (
        f"{FILE}: line 3: YAML syntax error: 1 is given twice: the Pulumi CLI writes the merged map back with a text "
        'and a number or true/false key that both read "1", and refuses it (go-yaml v3: mapping key "1" already '
        "defined): quote both keys or neither"
    )


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        # go-yaml: anchor 'a' value contains itself
        ("a: &a {x: 1, <<: *a}\n", 1, "a map merges (<<) itself; merge another map"),
        # go-yaml: map merge requires map or sequence of maps as the value
        (
            "a: &a [1]\nb: {<<: *a}\n",
            1,
            "a merge (<<) takes a map or a list of maps (go-yaml v3: map merge requires map or sequence of maps as "
            "the value)",
        ),
    ],
)
def test_merges_go_yaml_refuses_are_refused(text: str, line: int, problem: str) -> None:
    assert refusal(text) == f"{FILE}: line {line}: YAML syntax error: {problem}"


# ------------------------------------------------------------------ break 6: what go-yaml refuses is refused

GO = "the Pulumi CLI's reader (go-yaml v3)"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # go-yaml v3.0.1: found incompatible YAML document / found unknown directive name / found unknown escape
        # character / found invalid Unicode character escape code (each planned by main, 01fc987)
        (
            "%YAML 1.2\n---\na: 1\n",
            f"line 1: %YAML 1.2 is not allowed; {GO} reads %YAML 1.1 documents only: remove the directive",
        ),
        (
            "%FOO bar\n---\na: 1\n",
            f"line 1: the directive %FOO is not allowed; {GO} refuses unknown directives: remove it",
        ),
        (
            'a:\n  b: "gs:\\/\\/x"\n',
            f'line 2: the escape \\/ in a "quoted" value is not allowed; {GO} refuses it: write / alone',
        ),
        (
            'a: "hi \\ud83d\\ude00"\n',
            f"line 1: the escape \\ud83d (a UTF-16 surrogate) is not allowed; {GO} refuses it: write the character "
            "itself, or \\U and its 8-digit code point (\\U0001F600)",
        ),
        (
            'a: ["\\U0000D800"]\n',
            f"line 1: the escape \\U0000D800 (a UTF-16 surrogate) is not allowed; {GO} refuses it: write the "
            "character itself, or \\U and its 8-digit code point (\\U0001F600)",
        ),
    ],
)
def test_text_go_yaml_refuses_is_refused(text: str, line: str) -> None:
    assert refusal(text) == f"{FILE}: {line}"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("%YAML 1.1\n---\na: 1\n", {"a": 1}),
        ('a: "x\\\\/y"\n', {"a": "x\\/y"}),  # an escaped backslash, then /
        ("a: 'x\\/y'\n", {"a": "x\\/y"}),  # no escapes in single quotes or plain scalars
        ("a: x\\/y\n", {"a": "x\\/y"}),
        ('# "\\/"\na: 1\n', {"a": 1}),
        ('a: "\\U0001F600"\n', {"a": "\U0001f600"}),
    ],
)
def test_text_go_yaml_reads_is_read(text: str, value: object) -> None:
    assert parse_stack_text(text.encode(), FILE) == value


# ------------------------------------------------------------------ break 5: values the CLI's round trip changes


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        # go-yaml v3.0.1 round trip: "\nhello" -> "hello", "\n" -> ""; main planned both as written
        (
            'config:\n  m:models:\n    a:\n      env: {GREETING: "\\nhello"}\n',
            "m:models.a.env.GREETING: a value starting with a line break is not allowed; the Pulumi CLI drops that "
            "line break (go-yaml v3 writes the value back as a block scalar and reads it again without it): start it "
            "with another character",
        ),
        (
            'config:\n  m:args: ["x", "\\n"]\n',
            "m:args.1: a value starting with a line break is not allowed; the Pulumi CLI drops that line break "
            "(go-yaml v3 writes the value back as a block scalar and reads it again without it): start it with "
            "another character",
        ),
        # go-yaml v3.0.1: found a tab character where an indentation space is expected (the second decode)
        (
            'config:\n  m:banner: "\\tfirst\\nsecond"\n',
            "m:banner: a value starting with a tab and holding a line break is not allowed; the Pulumi CLI refuses it "
            "(go-yaml v3 writes it back as a block scalar indented by a tab: found a tab character where an "
            "indentation space is expected): start it with another character",
        ),
    ],
)
def test_a_value_the_round_trip_changes_is_refused(text: str, problem: str) -> None:
    assert refusal(text) == f"{FILE}: {problem}"


@pytest.mark.parametrize("value", ["a\\n", "hello\\n\\n", "x\\n\\ty", " \\nhello", "\\r\\nx", "\\tno break"])
def test_values_the_round_trip_keeps_are_read(value: str) -> None:
    text = f'config:\n  m:v: "{value}"\n'
    assert parse_stack_text(text.encode(), FILE)["config"]["m:v"] == value.encode().decode("unicode_escape")
