"""Red team #14m's breaks of the stack-file contract (/work/wt/red14m-report.md, Part A: W5, M1, M2, M3): the plan reads
a stack file as the Pulumi CLI does, or refuses it in one line.

The CLI reads a stack file with go-yaml v3.0.1 (pulumi/pulumi sdk/go/common/workspace/loaders.go
``LoadProjectStackBytes``: decode, Marshal, decode). The expected values below are go-yaml's own answers, from
go-yaml/yaml v3.0.1 built offline with Go 1.19 (red14m's /tmp/red14m/gy/yc, ``yc rt < FILE``: Unmarshal, Marshal,
Unmarshal, printed as JSON), generated once with ``python3 /tmp/fixr14mb/gen.py`` (each text double-quoted in five
places: a map's value, a map's key, a list item, a map in a list, a map in a map in a list). None: go-yaml refuses
the written-back file. The tests do not need Go."""

from __future__ import annotations

import json

import pytest

from components.errors import SpecError
from components.plan.project import _cli_string, cli_round_trip_text, parse_stack_text

FILE = "stacks/Pulumi.t.yaml"

# (text, as a map's value, as a map's key, as a list item, as a value of a map in a list, as a value of a map in a
# map in a list): what go-yaml v3.0.1's decode -> Marshal -> decode gives, None where it refuses the file
ROWS = [
    ("\nx", "x", "x", None, None, "x"),
    ("\n\nx", "\nx", "\nx", None, None, "\nx"),
    ("\n", "", "", "", "", ""),
    ("\n\n", "\n", "\n", "\n", "\n", "\n"),
    ("\nx\n", "x\n", "x\n", None, None, "x\n"),
    ("\u2028x\ny", "x\ny", "x\ny", None, None, "x\ny"),
    ("\u2029x\n", "x\n", "x\n", None, None, "x\n"),
    ("\n\tx", "\tx", "\tx", None, None, "\tx"),
    ("\n x", " x", " x", None, None, " x"),
    ("\n#", "#", "#", "", "", "#"),
    ("\tx\ny", None, None, None, None, None),
    ("\t\n", None, None, None, None, None),
    ("\tx\n", None, None, None, None, None),
    ("x\n\ty", "x\n\ty", "x\n\ty", "x\n\ty", "x\n\ty", "x\n\ty"),
    ("a\nx\u2028y", "a\nx\u2028y", "a\nx\u2028y", "a\nx\u2028y", "a\nx\u2028y", "a\nx\u2028y"),
    ("\nx \ny", "\nx \ny", "\nx \ny", "\nx \ny", "\nx \ny", "\nx \ny"),
    ("\n\u0085x", "\n\u0085x", "\n\u0085x", "\n\u0085x", "\n\u0085x", "\n\u0085x"),
    ("\tx \ny", "\tx \ny", "\tx \ny", "\tx \ny", "\tx \ny", "\tx \ny"),
    ("\tx\n\u0001", "\tx\n\u0001", "\tx\n\u0001", "\tx\n\u0001", "\tx\n\u0001", "\tx\n\u0001"),
    ("\t: \n}.\n", "\t: \n}.\n", "\t: \n}.\n", "\t: \n}.\n", "\t: \n}.\n", "\t: \n}.\n"),
    (" x\ny", " x\ny", " x\ny", None, None, " x\ny"),
    ("\r\nx", "\r\nx", "\r\nx", "\r\nx", "\r\nx", "\r\nx"),
    ("\n\U0001f600", "\n\U0001f600", "\n\U0001f600", "\n\U0001f600", "\n\U0001f600", "\n\U0001f600"),
    ("x\n", "x\n", "x\n", "x\n", "x\n", "x\n"),
    ("x\n\n", "x\n\n", "x\n\n", "x\n\n", "x\n\n", "x\n\n"),
    ("\u00a0\nx", "\u00a0\nx", "\u00a0\nx", "\u00a0\nx", "\u00a0\nx", "\u00a0\nx"),
    ("\n\ufeff", "\n\ufeff", "\n\ufeff", "\n\ufeff", "\n\ufeff", "\n\ufeff"),
]


LINE_BREAK = (
    "a value starting with a line break is not allowed; the Pulumi CLI drops that line break (go-yaml v3 writes "
    "the value back as a block scalar and reads it again without it): start it with another character"
)
TAB = (
    "a {what} starting with a tab and holding a line break is not allowed; the Pulumi CLI refuses it (go-yaml v3 "
    "writes it back as a block scalar indented by a tab: found a tab character where an indentation space is "
    "expected): start it with another character"
)
MISREAD = (
    "a value starting with a space or a line break and holding another line is not allowed in a list or in a map "
    "inside a list; the Pulumi CLI misreads it (go-yaml v3 writes it back as a block scalar less indented than its "
    "indentation indicator says, then refuses the file or reads its lines as comments): start it with another "
    "character"
)


def dq(text: str) -> str:
    """``text`` as a YAML double-quoted scalar: a control character, a line break and a character past U+FFFF as
    ``\\u``/``\\U`` escapes (never a JSON surrogate pair, which go-yaml refuses)."""
    out = ""
    for c in text:
        if c in '"\\':
            out += "\\" + c
        elif ord(c) > 0xFFFF:
            out += f"\\U{ord(c):08x}"
        elif not c.isprintable() or c == "\ufeff":
            out += f"\\u{ord(c):04x}"
        else:
            out += c
    return f'"{out}"'


def read(text: str) -> object:
    return parse_stack_text(text.encode(), FILE)


def refusal(text: str) -> str:
    with pytest.raises(SpecError) as info:
        read(text)
    return str(info.value)


SHAPES = ("c:\n  k: {}\n", "c:\n  - {}\n", "c:\n  - a: {}\n", "c:\n  - a:\n      b: {}\n")
PICK = (
    lambda d: d["c"]["k"],
    lambda d: d["c"][0],
    lambda d: d["c"][0]["a"],
    lambda d: d["c"][0]["a"]["b"],
)


@pytest.mark.parametrize("row", ROWS, ids=[json.dumps(r[0]) for r in ROWS])
def test_a_text_value_is_read_where_the_cli_reads_it_unchanged_and_refused_elsewhere(row: tuple) -> None:
    # red14m M2: main refused every value starting with a line break, or a tab with a line break, though go-yaml
    # writes one with a space before a line break or a character it cannot print double-quoted and reads it back
    # unchanged ("\nx \ny", "\n\x85x", "\tx \ny", "\tx\n\x01", "\t: \n}.\n"); and it read a value starting with a
    # space or a line break in a list, which go-yaml refuses (" x\ny") or reads otherwise ("\n#" -> "")
    text, in_map, _key, in_list, in_list_map, deeper = row
    for shape, pick, cli in zip(SHAPES, PICK, (in_map, in_list, in_list_map, deeper), strict=True):
        yaml_text = shape.format(dq(text))
        if cli == text:
            assert pick(read(yaml_text)) == text, yaml_text
        else:
            line = refusal(yaml_text)
            assert line.startswith(f"{FILE}: c.") and line.endswith("start it with another character"), line


@pytest.mark.parametrize("row", ROWS, ids=[json.dumps(r[0]) for r in ROWS])
def test_a_key_is_read_as_the_cli_reads_it_back_or_refused_where_it_refuses_it(row: tuple) -> None:
    # red14m W5: main kept "\nowner" as a key; the CLI reads it back as "owner", and refuses "\towner\nx"
    text, _value, as_key = row[:3]
    yaml_text = f"c:\n  {dq(text)}: v\n"
    if as_key is None:
        assert refusal(yaml_text) == f"{FILE}: c.{json.dumps(text)}: {TAB.format(what='key')}"
    else:
        assert read(yaml_text) == {"c": {as_key: "v"}}


def test_the_round_trip_model_gives_go_yamls_answers() -> None:
    for text, in_map, as_key, in_list, in_list_map, deeper in ROWS:
        assert cli_round_trip_text(text) == in_map == as_key
        assert cli_round_trip_text(text, indent_ok=True) == deeper
        # in a list, a text go-yaml changes is refused here; None covers go-yaml refusing it and reading "\n#" as ""
        assert cli_round_trip_text(text, indent_ok=False) in (in_list, None)
        assert cli_round_trip_text(text, indent_ok=False) in (in_list_map, None)


def test_a_tag_key_starting_with_a_line_break_is_planned_as_the_cli_deploys_it() -> None:
    # red14m W5 repro (Pulumi.aws-dev-nl.yaml): the plan failed required-tags (owner missing) on 25 resources, while
    # pulumi up tags them owner (yc rt: {"mlplatform:tags": {"owner": "ml-platform"}})
    doc = read('config:\n  mlplatform:tags:\n    "\\nowner": ml-platform\n    team: a\n')
    assert doc == {"config": {"mlplatform:tags": {"owner": "ml-platform", "team": "a"}}}
    assert list(doc["config"]["mlplatform:tags"]) == ["owner", "team"]


def test_a_key_that_becomes_another_key_of_its_map_is_refused() -> None:
    # yc rt: 'mapping key "owner" already defined at line 3'
    assert refusal('config:\n  mlplatform:tags:\n    "\\nowner": a\n    owner: b\n') == (
        f'{FILE}: mlplatform:tags."\\nowner": the Pulumi CLI reads this key as "owner" (go-yaml v3 writes a key '
        "starting with a line break back as a block scalar and drops that line break), which the map already holds, "
        'and refuses the file (mapping key "owner" already defined): give each key once, without the line break'
    )


def test_a_key_starting_with_a_tab_and_holding_a_line_break_is_refused() -> None:
    # red14m W5 repro (Pulumi.aws-dev-tab.yaml): the plan passed; yc rt: "found a tab character where an indentation
    # space is expected"
    assert refusal('config:\n  mlplatform:tags:\n    "\\towner\\nx": y\n') == (
        f'{FILE}: mlplatform:tags."\\towner\\nx": {TAB.format(what="key")}'
    )


def test_a_key_starting_with_a_line_break_in_a_map_in_a_list_is_refused() -> None:
    # yc rt on c: [{"\nk": 1}]: "did not find expected key"
    assert refusal('c:\n  - "\\nk": 1\n') == f'{FILE}: c.0."\\nk": {MISREAD.replace("a value", "a key")}'


def test_an_aliased_map_whose_key_changes_is_read_changed_at_both_places() -> None:
    # yc rt: {"a": {"k": 1}, "b": {"k": 1}}; the key is renamed once per place, never twice ("\n\nk" -> "\nk")
    assert read('a: &x {"\\n\\nk": 1}\nb: *x\n') == {"a": {"\nk": 1}, "b": {"\nk": 1}}


def test_the_exact_refusals_of_a_changed_value() -> None:
    assert refusal('config:\n  mlplatform:tags:\n    team: "\\nx"\n') == f"{FILE}: mlplatform:tags.team: {LINE_BREAK}"
    assert refusal('config:\n  mlplatform:tags:\n    team: "\\tx\\ny"\n') == (
        f"{FILE}: mlplatform:tags.team: {TAB.format(what='value')}"
    )
    assert refusal('config:\n  a:\n    - " x\\ny"\n') == f"{FILE}: a.0: {MISREAD}"


# ------------------------------------------------------------------ M1: \' in double quotes


def test_a_backslash_quote_in_double_quotes_is_a_quote() -> None:
    # red14m M1 repro (Pulumi.quote.yaml): main refused 'found unknown escape character "\'"'; go-yaml v3.0.1
    # scannerc.go:2522 reads it as ' (yc rt: {"owner": "it's"})
    text = 'config:\n  mlplatform:tags:\n    owner: "it\\\'s"\n'
    assert read(text) == {"config": {"mlplatform:tags": {"owner": "it's"}}}


def test_an_escaped_slash_after_a_backslash_quote_is_still_refused() -> None:
    # go_refused_text scans with the loader's escapes: a \' before it no longer hides a \/ (go-yaml: unknown escape)
    line = refusal('a: "it\\\'s"\nb: "x\\/y"\n')
    assert line == (
        f'{FILE}: line 2: the escape \\/ in a "quoted" value is not allowed; the Pulumi CLI\'s reader (go-yaml v3) '
        "refuses it: write / alone"
    )


# ------------------------------------------------------------------ M3: tabs


@pytest.mark.parametrize(
    ("text", "cli"),
    [
        # yc rt on each (go-yaml v3.0.1 scannerc.go yaml_parser_scan_to_next_token: a tab is skipped in the flow
        # context and after a key's ":"; yaml_parser_scan_plain_scalar keeps blanks between words)
        ("a:\tb\n", {"a": "b"}),
        ("a: b\tc\n", {"a": "b\tc"}),
        ("a: [1,\t2]\n", {"a": [1, 2]}),
        ("a: b\t\n", {"a": "b"}),
        ("a:\t|\n  x\n", {"a": "x\n"}),
        ("a: b\t# c\n", {"a": "b"}),
        ("a: [x:,y]\n", {"a": ["x:", "y"]}),
        ("a: {x:}\n", {"a": {"x:": None}}),
    ],
)
def test_a_tab_is_read_where_go_yaml_reads_it(text: str, cli: object) -> None:
    # red14m M3: main refused "found character '\t' that cannot start any token"; PyYAML read [x:,y] as [{x: null}, y]
    assert read(text) == cli


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # yc: "found a tab character where an indentation space is expected" (yaml_parser_scan_block_scalar_breaks);
        # PyYAML read the tab as the value's first character
        ("a: |\n  \tx\n", "line 2: YAML syntax error: found a tab character where an indentation space is expected"),
        # yc: "found character that cannot start any token"
        ("a:\n\t- b\n", "line 2: YAML syntax error: found character '\\t' that cannot start any token"),
        # yc: "found a tab character that violates indentation" (yaml_parser_scan_plain_scalar)
        ("a:\n  b\n\tc\n", "line 3: YAML syntax error: found a tab character that violates indentation"),
    ],
)
def test_a_tab_is_refused_where_go_yaml_refuses_it(text: str, line: str) -> None:
    assert refusal(text) == f"{FILE}: {line}"


# ------------------------------------------------------------------ _go_json: a whole float's digits


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # yc rt (go-yaml v3.0.1, then encoding/json): {"a":123456789012345680000}; main gave 123456789012345683968
        ("a: 123456789012345678901\n", 123456789012345680000),
        # yc rt: {"a":9007199254740992}, {"a":100000000000000000000}, {"a":1e+21}
        ("a: 9007199254740993.0\n", 9007199254740992),
        ("a: 1e20\n", 100000000000000000000),
        ("a: 1e21\n", 1e21),
    ],
)
def test_a_whole_float_reaches_the_program_with_go_jsons_digits(text: str, value: object) -> None:
    doc = read(text)
    assert doc == {"a": value} and type(doc["a"]) is type(value)  # type: ignore[index]


def test_a_whole_float_in_a_config_value_is_written_as_go_writes_it() -> None:
    # the CLI passes a map value as encoding/json text (config/plaintext.go marshalText): yc rt -> 123456789012345680000
    assert _cli_string({"n": 1.2345678901234568e20}) == '{"n": 123456789012345680000}'
