"""Red team #14j's breaks of the stack-file contract (/work/wt/red14j-report.md, breaks 1-4, 9, 10): the plan reads a
stack file as the Pulumi CLI does (go-yaml v3.0.1, pulumi/pulumi sdk/go/common/workspace/loaders.go
``LoadProjectStackBytes``), or refuses it with one line naming the file, the key path, the value (a credential
masked) and what is accepted. Never a traceback, never a secret. The values the CLI reads were checked against
go-yaml v3.0.1 (github.com/go-yaml/yaml@v3.0.1) built with Go 1.19; the tests do not need Go."""

from __future__ import annotations

import pytest

from components.errors import SpecError
from components.plan.project import go_timestamp, parse_stack_text

FILE = "stacks/Pulumi.t.yaml"


def refusal(text: str) -> str:
    with pytest.raises(SpecError) as info:
        parse_stack_text(text.encode(), FILE)
    return str(info.value)


def models(body: str) -> str:
    return f"config:\n  mlplatform:models:\n    m:\n{body}"


TAGGED = "is not allowed; the Pulumi CLI (go-yaml v3) reads a tagged value otherwise than YAML 1.1: remove the tag"


# ------------------------------------------------------------------ breaks 1, 2: tagged scalars


@pytest.mark.parametrize("value", ["s3cr3t-Passw0rd", "1.5", "yes", "0x", "1e3", ""])
def test_a_tagged_int_under_a_credential_key_is_refused_masked_not_a_traceback(value: str) -> None:
    # main: PyYAML's construct_yaml_int raised ValueError (IndexError for an empty one): exit 70, and the line
    # printed the secret. go-yaml v3.0.1 refuses it: "cannot decode !!str `s3cr3t-Passw0rd` as a !!int"
    line = refusal(models(f"      env:\n        DB_PASSWORD: !!int {value}\n"))
    assert line == (
        f"{FILE}: mlplatform:models.m.env.DB_PASSWORD: !!int [plain text] {TAGGED} !!int and write the value plain, "
        "or quoted for text"
    )


@pytest.mark.parametrize(
    ("written", "go_reads"),
    [
        ("!!float 010", "8 (resolve.go resolves 010 as an int, then the float tag: 8.0); main planned 10"),
        ("!!bool yes", "an error (v3 has no yes boolean); main planned false"),
        ("!!bool on", "an error; main planned false"),
        ("!!null x", "an error; main planned null"),
        ("!!int 1:30", "an error; main planned 90"),
        ("!!timestamp 2001-12-14", "a time.Time"),
        ("! 010", "8 (the non-specific tag resolves as plain); PyYAML the text"),
    ],
)
def test_a_tagged_scalar_is_refused_with_its_path_and_value(written: str, go_reads: str) -> None:
    tag, _, value = written.partition(" ")
    line = refusal(models(f"      scaling:\n        maxReplicas: {written}\n"))
    assert line == (
        f"{FILE}: mlplatform:models.m.scaling.maxReplicas: {tag} {value} {TAGGED} {tag} and write the value plain, "
        "or quoted for text"
    ), go_reads


def test_a_tagged_key_is_refused() -> None:
    # go-yaml v3: "cannot decode !!str `s3cr3t` as a !!int"; main took the key "s3cr3t"
    assert refusal("config:\n  mlplatform:tags:\n    !!int s3cr3t: x\n") == (
        f"{FILE}: mlplatform:tags: !!int s3cr3t {TAGGED} !!int and write the value plain, or quoted for text"
    )


def test_str_map_and_seq_tags_are_read_as_the_cli_reads_them() -> None:
    doc = parse_stack_text(b"config:\n  a: !!str 010\n  b: !!map {c: 1}\n  d: !!seq [1]\n", FILE)
    assert doc == {"config": {"a": "010", "b": {"c": 1}, "d": [1]}}


def test_a_tag_on_a_map_where_a_scalar_is_expected_is_one_line() -> None:
    line = refusal("a: !!int {b: 1}\n")
    assert line == f"{FILE}: line 1: YAML syntax error: expected a scalar node, but found mapping"


# ------------------------------------------------------------------ break 3: timestamps as go-yaml v3 reads them


@pytest.mark.parametrize(
    "text",
    [
        "2027-1-5",  # "2006-1-2": PyYAML's timestamp needs two-digit months and days
        "2027-01-05t1:2:3Z",  # lower-case t, one-digit h/m/s
        "2001-12-14 21:59:43.10",
        "2001-1-2  1:2:3",  # a layout space matches several (time/format.go skip)
        "2001-01-02T01:02:03,5+01:00",  # a comma before the fraction
        "2001-01-02T01:02:03+25:00",  # go1.19 reads the zone with atoi, no range check
        "2000-02-29",
    ],
)
def test_what_go_yaml_reads_as_a_timestamp(text: str) -> None:
    assert go_timestamp(text)


@pytest.mark.parametrize(
    "text",
    [
        "2001-02-30",  # day out of range
        "2001-12-14 21:59:43.10 -5",  # resolve.go: "time.Parse cannot handle" it
        "2001-12-14T21:59:43",  # T without a zone
        "2001-12-14 21:59:43Z",  # a space with a zone
        "2001-13-01",
        "2001-1-2 24:00:00",
        "1900-02-29",
        "201-01-01",
        "2001-001-1",
    ],
)
def test_what_go_yaml_reads_as_text(text: str) -> None:
    assert not go_timestamp(text)
    assert parse_stack_text(f"config:\n  a: {text}\n".encode(), FILE) == {"config": {"a": text}}


def test_a_short_date_value_is_refused() -> None:
    # main planned the label expires=2027-1-5; the CLI passes 2027-01-05T00:00:00Z
    assert refusal("config:\n  mlplatform:tags:\n    expires: 2027-1-5\n") == (
        f"{FILE}: mlplatform:tags.expires: 2027-1-5 is not allowed; the Pulumi CLI reads it as a timestamp and passes "
        "it on as RFC 3339 text (2001-12-14 as 2001-12-14T00:00:00Z), not the text written (go-yaml v3): quote it, "
        '"2027-1-5"'
    )


def test_a_short_date_key_is_refused() -> None:
    assert refusal("config:\n  mlplatform:tags:\n    2001-1-2: x\n") == (
        f"{FILE}: mlplatform:tags.2001-1-2: 2001-1-2 is not allowed; the Pulumi CLI reads this key as a timestamp, "
        'not the text written (go-yaml v3): quote it, "2001-1-2"'
    )


# ------------------------------------------------------------------ break 10: masked, quoted paths


def test_a_date_under_a_credential_key_is_masked() -> None:
    # main printed "env.DB_PASSWORD: 2024-01-05 ... quote it, "2024-01-05""
    line = refusal(models("      env:\n        DB_PASSWORD: 2024-01-05\n"))
    assert line == (
        f"{FILE}: mlplatform:models.m.env.DB_PASSWORD: [plain text] is not allowed; the Pulumi CLI reads it as a "
        "timestamp and passes it on as RFC 3339 text (2001-12-14 as 2001-12-14T00:00:00Z), not the text written "
        "(go-yaml v3): quote it, the value"
    )
    assert "2024" not in line


def test_a_refused_value_path_uses_the_documented_quoting() -> None:
    line = refusal('config:\n  mlplatform:models:\n    "\u0456ris":\n      env: {"a.b": 2024-01-05}\n')
    assert line.startswith(f'{FILE}: mlplatform:models."\\u0456ris".env."a.b": 2024-01-05 is not allowed;')


# ------------------------------------------------------------------ break 4: a byte-order mark past the start


def test_a_bom_starting_a_later_line_is_refused() -> None:
    # go-yaml v3.0.1 keeps it (key "\ufeff  mlplatform:models", no models); main dropped it and planned both models
    text = "config:\n  mlplatform:cloud: existing\n\ufeff  mlplatform:models: {}\n"
    assert refusal(text) == (
        f"{FILE}: line 3: a byte-order mark (U+FEFF) past the start of the file is not allowed; the Pulumi CLI's "
        "reader (go-yaml v3) keeps it as text where this plan cannot tell: delete it"
    )
    assert refusal('a: "x\n\ufeffy"\n').startswith(f"{FILE}: line 2: a byte-order mark")


def test_a_tab_after_a_colon_is_read_as_the_cli_reads_it() -> None:
    # go-yaml v3.0.1 reads a:\tb as {"a": "b"}; PyYAML refused it, and so did the plan until red14m M3
    # (components/plan/project.py GoTabsScanner; tests/plan/test_stack_roundtrip_r14m.py has the other tabs)
    assert parse_stack_text(b"a:\tb\n", FILE) == {"a": "b"}


def test_a_bom_starting_the_file_is_skipped() -> None:
    assert parse_stack_text("\ufeffa: 1\n".encode(), FILE) == {"a": 1}


# ------------------------------------------------------------------ break 9: merge keys and anchors


def test_two_merge_keys_in_one_map_are_refused() -> None:
    # go-yaml v3.0.1 decode.go mapping compares every key's text: 'mapping key "<<" already defined'
    assert refusal("a: &a {x: 1}\nb: {<<: *a, <<: *a}\n") == f"{FILE}: line 2: YAML syntax error: << is given twice"


@pytest.mark.parametrize("key", ['"<<"', "'<<'", "!!str <<"])
def test_a_quoted_merge_key_is_refused_as_the_cli_merges_it(key: str) -> None:
    # go-yaml v3.0.1 decode.go isMerge takes an untagged quoted "<<"; the CLI decodes, writes back and decodes again,
    # so any "<<" key ends up merged (go: {"b": {"x": 1, "y": 2}}); main kept a key "<<"
    assert refusal(f"a: &a {{x: 1}}\nb: {{{key}: *a, y: 2}}\n") == (
        f"{FILE}: b.<<: a quoted or tagged << key is not allowed; the Pulumi CLI merges it as <<: (go-yaml v3): "
        "write <<: *anchor to merge, or another key"
    )


def test_an_anchor_defined_again_names_the_new_value() -> None:
    # go-yaml v3.0.1 parser.go anchor: p.anchors[n.Anchor] = n (go: {"a":1,"b":2,"c":2}); main refused
    # "found duplicate anchor"
    assert parse_stack_text(b"a: &x 1\nb: &x 2\nc: *x\n", FILE) == {"a": 1, "b": 2, "c": 2}
    assert parse_stack_text(b"a: &x {p: 1}\nb: &x {q: 2}\nc: {<<: *x}\n", FILE)["c"] == {"q": 2}


# ------------------------------------------------------------------ break 5: a mountPath with ".." inside a name


@pytest.mark.parametrize("mount", ["/mnt/a..b", "/mnt/..x", "/mnt/x.."])
def test_a_mount_path_containing_two_dots_is_refused(mount: str) -> None:
    # KServe v0.20.0 pkg/apis/serving/v1beta1/inference_service_validation.go line 743: strings.Contains(MountPath,
    # "..") -> "storage path cannot contain '..'"; main checked whole segments only and planned /mnt/a..b
    from components.serving.kspec import StorageUriSpec

    with pytest.raises(SpecError) as info:
        StorageUriSpec.model_validate({"uri": "s3://acme-models/x", "mountPath": mount})
    assert str(info.value).endswith(
        f"mountPath: {mount} is not allowed; give an absolute path such as /mnt/models/extra (printable, no .. or //)"
    )
