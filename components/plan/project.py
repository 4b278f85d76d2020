"""Find the Pulumi project and read its stack files the way the Pulumi CLI hands them to a program."""

from __future__ import annotations

import calendar
import decimal
import json
import math
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.credentials import PLAIN_TEXT
from components.errors import SpecError, escape_line, show, show_key
from components.spec import MAX_DEPTH, nesting_depth

SECRET_PLACEHOLDER = "[secret]"
"""What a ``secure:`` value becomes offline: the real value needs the stack's secrets provider."""


class ProjectError(SpecError):
    """The project or a stack file cannot be read; the message is one complete line."""

    def __init__(self, line: str) -> None:
        self._line = line
        super().__init__("", "", "")

    @property
    def message(self) -> str:
        """The complete line."""
        return self._line


GO_ESCAPE_REPLACEMENTS = {**yaml.scanner.Scanner.ESCAPE_REPLACEMENTS, "'": "'"}
"""PyYAML's escapes in a double-quoted scalar plus ``\'``, which go-yaml reads as ``'`` (go-yaml/yaml v3.0.1
scannerc.go ``yaml_parser_scan_flow_scalar`` ``case '\''``, line 2522; v2.4.0, kubectl's, line 2401; red14m M1).
``\\/`` stays in (YAML 1.2's) for :func:`go_refused_text` to refuse it with its own line."""


_BLANK_END = "\0 \t\r\n\x85\u2028\u2029"


class GoTabsScanner(yaml.scanner.Scanner):
    r"""PyYAML's Python scanner reading tabs where go-yaml's scanner does (red14m M3; go-yaml/yaml v3.0.1, the Pulumi
    CLI's, and v2.4.0, kubectl's, have the same rules in scannerc.go):

    - ``yaml_parser_scan_to_next_token`` skips a tab between tokens "in the flow context" and where a simple key is
      not allowed (after a key's ``:``): ``a:\tb``, ``[1,\t2]`` (PyYAML skips spaces only);
    - ``yaml_parser_scan_plain_scalar`` keeps blanks, tabs too, between the words of a plain value (``a: b\tc`` is
      ``b\tc``) and refuses a tab in the indentation of its next line ("found a tab character that violates
      indentation");
    - ``yaml_parser_scan_block_scalar_breaks`` refuses a tab where a block scalar's indentation is read ("found a
      tab character where an indentation space is expected"; PyYAML reads it as text)."""

    def scan_to_next_token(self) -> None:
        """As PyYAML's, skipping a tab where go-yaml does."""
        if self.index == 0 and self.peek() == "\ufeff":  # type: ignore[attr-defined]
            self.forward()  # type: ignore[attr-defined]
        while True:
            while self.peek() == " " or (  # type: ignore[attr-defined]
                self.peek() == "\t" and (self.flow_level or not self.allow_simple_key)  # type: ignore[attr-defined]
            ):
                self.forward()  # type: ignore[attr-defined]
            if self.peek() == "#":  # type: ignore[attr-defined]
                while self.peek() not in "\0\r\n\x85\u2028\u2029":  # type: ignore[attr-defined]
                    self.forward()  # type: ignore[attr-defined]
            if not self.scan_line_break():  # type: ignore[no-untyped-call]
                return
            if not self.flow_level:
                self.allow_simple_key = True

    def scan_plain_spaces(self, indent: int, start_mark: Any) -> list[str] | None:
        """As PyYAML's, with a tab a blank as a space is (go-yaml ``yaml_parser_scan_plain_scalar``)."""
        chunks: list[str] = []
        length = 0
        while self.peek(length) in " \t":  # type: ignore[attr-defined]
            length += 1
        whitespaces = self.prefix(length)  # type: ignore[attr-defined]
        self.forward(length)  # type: ignore[attr-defined]
        if self.peek() not in "\r\n\x85\u2028\u2029":  # type: ignore[attr-defined]
            return [whitespaces] if whitespaces else chunks
        line_break = self.scan_line_break()  # type: ignore[no-untyped-call]
        self.allow_simple_key = True
        if self._document_marker():
            return None
        breaks: list[str] = []
        while self.peek() in " \t\r\n\x85\u2028\u2029":  # type: ignore[attr-defined]
            if self.peek() == "\t" and self.column < indent:  # type: ignore[attr-defined]
                raise yaml.scanner.ScannerError(
                    "while scanning a plain scalar",
                    start_mark,
                    "found a tab character that violates indentation",
                    self.get_mark(),  # type: ignore[attr-defined]
                )
            if self.peek() in " \t":  # type: ignore[attr-defined]
                self.forward()  # type: ignore[attr-defined]
            else:
                breaks.append(self.scan_line_break())  # type: ignore[no-untyped-call]
                if self._document_marker():
                    return None
        if line_break != "\n":
            chunks.append(line_break)
        elif not breaks:
            chunks.append(" ")
        chunks.extend(breaks)
        return chunks

    def scan_plain(self) -> Any:
        """As PyYAML's, but a ``:`` ends a plain value only before a blank or a line break, in a flow collection too
        (go-yaml ``yaml_parser_scan_plain_scalar``: ``[x:,y]`` holds the text ``x:``; PyYAML reads a key ``x``, and
        libyaml refuses it)."""
        chunks: list[str] = []
        start_mark = self.get_mark()  # type: ignore[attr-defined]
        end_mark = start_mark
        indent = self.indent + 1
        spaces: list[str] | None = []
        while True:
            length = 0
            if self.peek() == "#":  # type: ignore[attr-defined]
                break
            while True:
                ch = self.peek(length)  # type: ignore[attr-defined]
                if (
                    ch in _BLANK_END
                    or (ch == ":" and self.peek(length + 1) in _BLANK_END)  # type: ignore[attr-defined]
                    or (self.flow_level and ch in ",?[]{}")
                ):
                    break
                length += 1
            if length == 0:
                break
            self.allow_simple_key = False
            chunks.extend(spaces or ())
            chunks.append(self.prefix(length))  # type: ignore[attr-defined]
            self.forward(length)  # type: ignore[attr-defined]
            end_mark = self.get_mark()  # type: ignore[attr-defined]
            spaces = self.scan_plain_spaces(indent, start_mark)
            if not spaces or self.peek() == "#" or (not self.flow_level and self.column < indent):  # type: ignore[attr-defined]
                break
        return yaml.tokens.ScalarToken("".join(chunks), True, start_mark, end_mark)  # type: ignore[no-untyped-call]

    def _document_marker(self) -> bool:
        """Whether a ``---`` or ``...`` line starts here."""
        return self.prefix(3) in ("---", "...") and self.peek(3) in _BLANK_END  # type: ignore[attr-defined]

    def scan_block_scalar_indentation(self) -> Any:
        """As PyYAML's, refusing a tab where the indentation is found (go-yaml ``yaml_parser_scan_block_scalar_breaks``
        with no indentation yet)."""
        found = super().scan_block_scalar_indentation()  # type: ignore[no-untyped-call]
        self._no_tab_indent()
        return found

    def scan_block_scalar_breaks(self, indent: int) -> Any:
        """As PyYAML's, refusing a tab inside a line's indentation (go-yaml: ``parser.mark.column < *indent``)."""
        found = super().scan_block_scalar_breaks(indent)  # type: ignore[no-untyped-call]
        if self.column < indent:  # type: ignore[attr-defined]
            self._no_tab_indent()
        return found

    def _no_tab_indent(self) -> None:
        if self.peek() == "\t":  # type: ignore[attr-defined]
            raise yaml.scanner.ScannerError(
                "while scanning a block scalar",
                None,
                "found a tab character where an indentation space is expected",
                self.get_mark(),  # type: ignore[attr-defined]
            )


class _StackLoader(GoTabsScanner, yaml.SafeLoader):
    """A safe loader for stack files that reads what the Pulumi CLI reads, or refuses it with a marked error.

    - A key given twice in one map is refused: PyYAML keeps the last silently, the Pulumi CLI refuses the file (and a
      model declared twice is a mistake worth one clear line).
    - Keys are the text written; a plain key the Pulumi CLI would read as other text (``010:`` as 8, ``~:`` as
      ``<nil>``) is refused (:func:`renamed_key`); a list or map as a key is refused (a config key is text).
    - Merge keys (``<<: *anchor``) merge as in go-yaml v3.0.1, which the Pulumi CLI reads stack files with
      (pulumi/pulumi sdk/go/common/encoding/marshal.go imports gopkg.in/yaml.v3 since v3.50.0): the map's own keys
      win wherever ``<<`` is written (decode.go ``mapping`` merges after them, ``merge`` skips them).
    - Only the true/false spellings are booleans (go-yaml v3: ``yes``, ``y``, ``on`` are text); a plain
      timestamp-looking value is refused (:func:`renamed_key`: go-yaml v3 decodes it into a time.Time, passed on as
      RFC 3339 text); a quoted one is the text.
    - Values that are no JSON type (``!!binary``, ``!!set``, ``!!omap``, ``!!pairs``, any other tag) are refused:
      config reaches a program as JSON text.
    """

    ESCAPE_REPLACEMENTS = GO_ESCAPE_REPLACEMENTS  # type: ignore[misc]  # PyYAML types it Final; go-yaml reads \'

    def compose_node(self, parent: Any, index: Any) -> Any:
        """An anchor defined again names the new node from there on, as in go-yaml v3.0.1 (parser.go ``anchor``:
        ``p.anchors[n.Anchor] = n``; red14j break 9: PyYAML refuses "found duplicate anchor")."""
        if not self.check_event(yaml.AliasEvent):  # type: ignore[no-untyped-call]
            anchor = self.peek_event().anchor  # type: ignore[no-untyped-call]
            if anchor is not None:
                self.anchors.pop(anchor, None)
        return super().compose_node(parent, index)  # type: ignore[no-untyped-call]

    def compose_scalar_node(self, anchor: Any) -> yaml.ScalarNode:
        """The scalar, marked with the tag written on it (``!!int``, ``!``), if any: :func:`renamed_key` refuses a
        tag other than ``!!str`` on a scalar (red14j breaks 1, 2)."""
        tag = self.peek_event().tag  # type: ignore[no-untyped-call]
        node: yaml.ScalarNode = super().compose_scalar_node(anchor)  # type: ignore[no-untyped-call]
        if tag is not None:  # !!str too: ``!!str 2024-01-05`` is text, not a timestamp (red14k break 7)
            node.written_tag = tag  # type: ignore[attr-defined]
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(None, None, "expected a map", node.start_mark)
        seen: set[str] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                # go-yaml v3.0.1 decode.go ``mapping`` compares every key's text, ``<<`` too: "mapping key "<<"
                # already defined" (red14j break 9)
                if "<<" in seen:
                    raise yaml.constructor.ConstructorError(None, None, "<< is given twice", key_node.start_mark)
                seen.add("<<")
                continue
            key = self._key(key_node)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"{key} is given twice", key_node.start_mark)
            seen.add(key)
        own_text = all(k.tag == "tag:yaml.org,2002:merge" or self._is_text(k) for k, _ in node.value)
        pairs = self._merged_pairs(node, own_text)
        # A merged key overrides (or is overridden by) another only when go-yaml reads both as the same value (v3.0.1
        # decode.go ``merge`` assigns into the map by Go value): in a map whose own keys are not all text
        # (``isStringMap``: a map[interface{}]interface{}, not a map[string]interface{}, where every key becomes
        # text), a text "1" and the number 1 are two keys, which the CLI writes back as "1" and 1 and, decoding again
        # (loaders.go LoadProjectStackBytes), refuses: decode.go ``mapping`` compares the keys' text, "mapping key
        # "1" already defined" (red14k break 8; red14l break 1: across the maps of a merge list too)
        is_text: dict[str, bool] = {}
        for key_node, _ in [] if own_text else pairs:
            text = self._key(key_node)
            kind = self._is_text(key_node)
            if is_text.setdefault(text, kind) != kind:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"{text} is given twice: the Pulumi CLI writes the merged map back with a text and a number or "
                    f'true/false key that both read "{text}", and refuses it (go-yaml v3: mapping key "{text}" '
                    "already defined): quote both keys or neither",
                    node.start_mark,  # the map that merges: where the two keys meet
                )
        mapping: dict[str, Any] = {}
        for key_node, value_node in pairs:
            mapping[self._key(key_node)] = self.construct_object(value_node, deep=deep)  # type: ignore[no-untyped-call]
        return mapping

    def _merged_pairs(self, node: yaml.MappingNode, own_text: bool) -> list[tuple[yaml.Node, yaml.Node]]:
        """The keys and values of ``node`` with its merge keys resolved as go-yaml v3.0.1 resolves them, not as
        PyYAML's ``flatten_mapping`` (red14l break 1: it let the last map of ``<<: [*a, *b]`` win for keys of two
        or more characters, and hid a text/number key pair; it also rewrites the anchored nodes in place).

        go-yaml/yaml@v3.0.1 decode.go ``mapping`` sets the map's own keys, then calls ``merge`` on the ``<<`` value;
        ``merge`` records every key already set (``mergedFields``, by Go value) and decodes each merged map in turn
        (a sequence in its order) into the same map, where ``mapping`` skips a key already recorded and records the
        others: the map's own keys win, then the first merged map, then its own ``<<`` (depth first), then the next.
        A key is one Go value: in a map whose own keys are all text (``isStringMap``) every key is its text;
        otherwise a text and a number or boolean reading the same text are two keys (refused by the caller)."""
        merge_tag = "tag:yaml.org,2002:merge"

        def identity(key: yaml.Node) -> Any:
            return self._key(key) if own_text else (self._is_text(key), self._key(key))

        pairs: list[tuple[yaml.Node, yaml.Node]] = [(k, v) for k, v in node.value if k.tag != merge_tag]
        recorded = {identity(k) for k, _ in pairs}

        def merge(value: yaml.Node) -> None:
            items = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for item in items:
                if not isinstance(item, yaml.MappingNode):  # decode.go failWantMap
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        "a merge (<<) takes a map or a list of maps (go-yaml v3: map merge requires map or sequence "
                        "of maps as the value)",
                        item.start_mark,
                    )
                if id(item) in active:  # go-yaml: "anchor 'a' value contains itself"
                    raise yaml.constructor.ConstructorError(
                        None, None, "a map merges (<<) itself; merge another map", item.start_mark
                    )
                if id(item) in done:
                    continue  # its keys are all recorded already: merging it again adds none (go-yaml decodes it
                    # again, to the same effect)
                done.add(id(item))
                active.add(id(item))
                nested = None
                for key, val in item.value:
                    if key.tag == merge_tag:
                        nested = val
                        continue
                    if (ident := identity(key)) not in recorded:
                        recorded.add(ident)
                        pairs.append((key, val))
                if nested is not None:
                    merge(nested)
                active.discard(id(item))

        active: set[int] = {id(node)}
        done: set[int] = set()
        for key, value in node.value:
            if key.tag == merge_tag:
                merge(value)
        return pairs

    @staticmethod
    def _is_text(node: yaml.Node) -> bool:
        """Whether go-yaml v3 reads the key ``node`` as text: quoted, ``!!str`` or plain text."""
        if not isinstance(node, yaml.ScalarNode):
            return False
        return bool(node.style) or getattr(node, "written_tag", None) == _STR_TAG or plain_reads_as_text(node.value)

    @staticmethod
    def _key(node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag not in _PLAIN_KEY_TAGS:
            raise yaml.constructor.ConstructorError(
                None, None, "a list, map or tagged value as a key is not allowed; give a plain key", node.start_mark
            )
        return str(node.value)

    def construct_as_text(self, node: yaml.Node) -> str:
        """A timestamp-looking scalar: the text written."""
        return str(self.construct_scalar(node))  # type: ignore[arg-type]

    def refuse(self, node: yaml.Node) -> Any:
        """A value of a type config cannot carry."""
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise yaml.constructor.ConstructorError(
            None, None, f"{tag} values are not allowed; give a string, number, true/false, list or map", node.start_mark
        )


_PLAIN_KEY_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")} | {
    "tag:mlplatform,2026:go-yaml-number"
}
# Booleans as go-yaml v3.0.1 resolves them (the Pulumi CLI reads stack files with gopkg.in/yaml.v3: pulumi/pulumi
# sdk/go/common/encoding/marshal.go since v3.50.0): only true, True, TRUE, false, False, FALSE (v3 resolve.go
# resolveMapList). y, n, yes, no, on, off are text for the CLI (go-yaml v2 and YAML 1.1 read them as booleans), so
# ``spot: yes`` reaches the program as the text "yes", which a true/false field refuses: read as the CLI reads it.
_V3_BOOL = re.compile(r"\A(?:true|True|TRUE|false|False|FALSE)\Z")


def _construct_bool(loader: _StackLoader, node: yaml.ScalarNode) -> bool:
    return str(loader.construct_scalar(node)).lower() == "true"


_StackLoader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)  # type: ignore[arg-type]
# Numbers as go-yaml resolves them (gopkg.in/yaml.v2 v2.4.0 resolve.go ``resolve``; v3.0.1, the Pulumi CLI's, has the
# same number rules), not as YAML 1.1 (PyYAML):
# a plain scalar starting with a digit or a sign (hints 'D', 'S') has its ``_`` removed and is tried with
# ``strconv.ParseInt(plain, 0, 64)``, then ``strconv.ParseUint(plain, 0, 64)``, then, when it matches
# ``yamlStyleFloat`` (``^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$``), ``strconv.ParseFloat``; one starting
# with ``.`` is tried with ``ParseFloat`` as written; ``.inf``, ``-.Inf``, ``.nan`` ... come from its resolveMap.
# Anything else is the string written. So, as for the Pulumi CLI: ``1:30`` is the string "1:30" (resolve.go: "Base 60
# floats are a bad idea ... purposefully unsupported"; PyYAML reads 90), ``0o3`` is 3 and ``0b11`` is 3 (base 0 takes
# the 0b, 0o, 0x prefixes since Go 1.13: pkg.go.dev/strconv#ParseInt "If the base argument is 0, the true base is
# implied by the string's prefix following the sign (if present): 2 for "0b", 8 for "0" or "0o", 16 for "0x", and 10
# otherwise"), ``08`` is the float 8 (not octal, but a yamlStyleFloat), ``1.5e3`` is 1500.0 (PyYAML needs a signed
# exponent), and an integer past uint64 is a float; a float out of range (``1e400``) stays text (ParseFloat fails).
_GO_NUMBER_TAG = "tag:mlplatform,2026:go-yaml-number"
_GO_FLOAT = re.compile(r"\A[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z", re.ASCII)
_GO_DOT_FLOAT = re.compile(r"\A\.[0-9]+([eE][-+]?[0-9]+)?\Z", re.ASCII)
_GO_SPECIAL_FLOATS = {
    **{f"{sign}{word}": float(f"{sign or '+'}inf") for sign in ("", "+", "-") for word in (".inf", ".Inf", ".INF")},
    **{word: math.nan for word in (".nan", ".NaN", ".NAN")},
}
_GO_DIGITS = {2: re.compile(r"\A[01]+\Z"), 8: re.compile(r"\A[0-7]*\Z"), 10: re.compile(r"\A[0-9]+\Z", re.ASCII)}
_GO_DIGITS[16] = re.compile(r"\A[0-9a-fA-F]+\Z")


def go_parse_int(text: str, *, signed: bool) -> int | None:
    """Go's ``strconv.ParseInt(text, 0, 64)`` (``signed``) or ``strconv.ParseUint(text, 0, 64)``: the value, or None
    where Go returns an error (a syntax error, or out of int64/uint64 range). Go 1.13+ base prefixes; no underscores
    (go-yaml removed them before)."""
    negative = False
    if signed and text[:1] in ("+", "-"):
        negative, text = text[0] == "-", text[1:]
    if not text:
        return None
    base = 10
    if text[0] == "0":
        prefix = {"b": 2, "o": 8, "x": 16}.get(text[1:2].lower()) if len(text) >= 3 else None
        base, text = (prefix, text[2:]) if prefix else (8, text[1:])
    if not _GO_DIGITS[base].match(text):
        return None
    if len(text.lstrip("0")) > 64:
        return None  # past 64 bits in any base (ParseInt's range error), and never converted: Python refuses an
        # int of more than 4300 decimal digits (ValueError, red team #17c B1)
    value = -int(text or "0", base) if negative else int(text or "0", base)
    low, high = (-(2**63), 2**63 - 1) if signed else (0, 2**64 - 1)
    return value if low <= value <= high else None


def go_yaml_number(text: str) -> int | float | str:
    """What go-yaml v2 resolves the plain scalar ``text`` (starting with a digit, a sign or ``.``) to, as the program
    then gets it (see :func:`_construct_go_number`): an int, a float, or the text itself."""
    if text in _GO_SPECIAL_FLOATS:
        return _GO_SPECIAL_FLOATS[text]
    if text.startswith("."):
        return float(text) if _GO_DOT_FLOAT.match(text) and math.isfinite(float(text)) else text
    plain = text.replace("_", "")
    for signed in (True, False):
        if (number := go_parse_int(plain, signed=signed)) is not None:
            return number
    if _GO_FLOAT.match(plain) and math.isfinite(value := float(plain)):
        return value
    return text


_YAML11_NUMBERS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_YAML11_BOOL = "tag:yaml.org,2002:bool"
_StackLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (*_YAML11_NUMBERS, _YAML11_BOOL)]
    for first, resolvers in _StackLoader.yaml_implicit_resolvers.items()
}
_StackLoader.add_implicit_resolver(_YAML11_BOOL, _V3_BOOL, list("tTfF"))
_StackLoader.add_implicit_resolver(_GO_NUMBER_TAG, re.compile(r"\A[-+.0-9].*\Z", re.S), list("-+.0123456789"))


def go_json_whole(value: float) -> int:
    """The integer Go's encoding/json writes for the whole float64 ``value`` below 1e21: ``floatEncoder`` formats it
    with ``strconv.AppendFloat(b, f, 'f', -1, 64)``, the shortest digits that read back as ``value``, then zeros
    (golang/go src/encoding/json/encode.go), which is Python's ``repr`` digits (shortest round trip), not the float's
    exact binary value: 123456789012345678901 (a float64 past uint64 for go-yaml) reaches the program as
    123456789012345680000, not 123456789012345683968 (red14m low finding; go-yaml v3.0.1 ``yc rt`` prints the
    former)."""
    return int(decimal.Decimal(repr(value)))


def _construct_go_number(loader: _StackLoader, node: yaml.ScalarNode) -> float | int | str:
    """The value the program gets: Go's encoding/json writes a float64 below 1e21 without an exponent or a fraction
    when it is whole (``floatEncoder``: 'f' format unless abs < 1e-6 or >= 1e21), so ``1e3`` reaches it as 1000."""
    value = go_yaml_number(str(loader.construct_scalar(node)))
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e21:
        return go_json_whole(value)
    return value


_StackLoader.add_constructor(_GO_NUMBER_TAG, _construct_go_number)  # type: ignore[arg-type]
_StackLoader.add_constructor("tag:yaml.org,2002:timestamp", _StackLoader.construct_as_text)
for _tag in ("binary", "set", "omap", "pairs"):
    _StackLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _StackLoader.refuse)
_StackLoader.add_constructor(None, _StackLoader.refuse)  # any other tag: !foo, !!python/...


if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _CStackLoader(CParser, _StackLoader):  # type: ignore[misc]
        """:class:`_StackLoader` with libyaml's scanner, parser and composer (C; PyYAML's ``CSafeLoader`` layout):
        the constructor and resolver are :class:`_StackLoader`'s (Python), so every value is built as there. It reads
        a stack file about 15 times faster. :func:`parse_stack_text` words every refusal with the Python loader, and
        gives it the texts libyaml reads differently (:func:`_libyaml_may_differ`)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    _FAST_LOADER: type[_StackLoader] | None = _CStackLoader
else:  # PyYAML built without libyaml: the Python loader alone
    _FAST_LOADER = None


def _libyaml_may_differ(text: str) -> bool:
    r"""Texts libyaml 0.2.5 may read where PyYAML (the Python loader, whose values and messages are the reference)
    reads them otherwise. Found by comparing both loaders on mutated stack files (tests/plan/test_stack_loader.py):

    - a tab: :class:`GoTabsScanner` reads tabs as go-yaml does, libyaml reads a block scalar's first line indented
      by a tab, which go-yaml refuses (red14m M3);
    - a ``:`` before a flow indicator (``[x:,y]``): go-yaml's plain scalar holds it (:meth:`GoTabsScanner.scan_plain`),
      libyaml refuses it;
    - a ``?`` in a flow collection: it ends a plain scalar in PyYAML (scanner.py ``scan_plain``: ``self.flow_level and
      ch in ',?[]{}'``), not in libyaml (``[x?]``: PyYAML "expected ',' or ']', but got '?'", libyaml the text "x?");
    - a tag (``!``, ``!!str``, ``!foo``): the non-specific tag ``!`` on an empty value is null in PyYAML and "" in
      libyaml, and ``[!, 1]`` is refused by one and read by the other; and only the Python composer marks a written
      tag (``written_tag``), which the tag refusal reads, so every tag goes to the Python loader.

    A ``!`` starts a tag wherever go-yaml's scanner starts a token (go-yaml/yaml@v3.0.1 scannerc.go
    ``yaml_parser_fetch_next_token``, ``'!'`` -> ``yaml_parser_fetch_tag``), which :data:`_TAG_START` over-covers:
    at the start of a line or after a blank or a BOM; after a flow indicator ``[ ] { } ,``; after ``?`` and ``:``,
    which in flow context are the key and value indicators with nothing after them (``parser.flow_level > 0 ||
    is_blankz(...)``), so ``{"k":!!float 010}`` is a tag (red14k break 1); and after a quoted scalar's closing quote.
    A plain scalar holds ``!`` as text, and ends only at ``: ``/``#``/a blank or, in flow, ``, ? [ ] { }``
    (``yaml_parser_scan_plain``), each of which is in the set.
    """
    return (
        "\t" in text
        or (("[" in text or "{" in text) and ("?" in text or _COLON_FLOW.search(text) is not None))
        or _TAG_START.search(text) is not None
    )


_COLON_FLOW = re.compile(r":[,\[\]{}]")


_TAG_START = re.compile(r"(?:^|[\s\ufeff\[\]{},?:\"'])!", re.M)


def _read_yaml(loader_class: type[_StackLoader], text: str, rel: str) -> Any:
    """The document of ``text`` read with ``loader_class``, or the error the loader raised."""
    loader = loader_class(text)  # a SafeLoader subclass: safe
    try:
        root = loader.get_single_node()
        if root is not None and excessive_aliasing(root):
            raise ProjectError(
                f"{rel}: the document contains excessive aliasing (its aliases expand to most of what it holds, "
                "which the Pulumi CLI's YAML reader refuses); write the values out or use fewer aliases"
            )
        if root is not None and (problem := renamed_key(root)) is not None:
            raise ProjectError(f"{rel}: {problem}")
        return loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]


_V3_BOOLS = {"true", "True", "TRUE", "false", "False", "FALSE"}
_V3_NULLS = {"", "~", "null", "Null", "NULL"}
_STR_TAG = "tag:yaml.org,2002:str"


def go_yaml_v3_key(node: yaml.ScalarNode) -> str | None:
    """What the Pulumi CLI makes of a map key other than its text, or None when it keeps the text.

    The CLI reads a stack file with gopkg.in/yaml.v3 (pulumi/pulumi sdk/go/common/encoding/marshal.go imports it
    since commit 5666684, v3.50.0; v3.0.1 in sdk/go.mod at v3.259.0 and at 1b59498, the newest commit read):
    ``LoadProjectStackBytes`` (sdk/go/common/workspace/loaders.go) decodes the file into ``any``, writes it back and
    decodes it into the stack's config, whose values turn a map's keys into text with ``fmt.Sprintf("%v", key)``
    (sdk/go/common/resource/config/value.go ``interfaceMapToStringMap``). go-yaml v3.0.1 resolves a plain key as any
    plain scalar (decode.go ``mapping`` unmarshals each key with ``d.unmarshal``; resolve.go ``resolve``): only
    ``true``/``True``/``TRUE`` and the ``false`` forms are booleans (``y``, ``yes``, ``on`` ... stay text, YAML 1.2),
    ``~``, ``null`` and an empty key are null (``%v`` writes ``<nil>``), a timestamp is a time.Time, and numbers are
    read as :func:`go_yaml_number` reads them (``010`` is 8, ``1.30`` is 1.3, ``0x10`` 16). A quoted or ``!!str`` key
    stays text (``indicatedString``). A key whose ``%v`` text is the text written (``true``, ``false``, ``10``, ``-3``)
    is kept; any float is refused (Go's ``%v`` of a float is not worked out here)."""
    if node.tag == _STR_TAG or node.style:  # quoted or a block scalar (libyaml gives a plain one "", PyYAML None)
        return None
    text = str(node.value)
    if text in _V3_BOOLS:
        return None if text in ("true", "false") else f"the boolean {text.lower()}"  # %v writes true, false
    if text in _V3_NULLS:
        return "null"
    if go_timestamp(text):
        return "a timestamp"
    if text[:1] and text[0] in "-+.0123456789":
        value = go_yaml_number(text)
        if isinstance(value, int):
            return None if str(value) == text else f"the number {value}"  # %v writes an int in decimal
        if isinstance(value, float):
            if math.isnan(value):
                return "the number NaN"
            if math.isinf(value):
                return f"the number {'+' if value > 0 else '-'}Inf"
            return f"the number {go_json_whole(value) if value.is_integer() and abs(value) < 1e21 else value}"
    return None


def renamed_key(root: yaml.Node) -> str | None:
    """The first place (in the file's order) where the Pulumi CLI would not read the text written, as ``path: value
    is not allowed; ...``, or None: a map key it reads as other text (:func:`go_yaml_v3_key`; red14h break 3: ``010:``
    would name a model ``8`` and ``~:`` one ``<nil>``), a quoted or tagged ``<<`` key (merged by the CLI), a plain
    value go-yaml v3 reads as a timestamp (:func:`go_timestamp`), or a scalar with a tag other than ``!!str``
    (:func:`_tagged`). The path is written as other refusals write it (:func:`_where`: without ``config``, keys in
    JSON quotes where they would hide characters) and a value under a credential key is masked (red14j break 10).
    Each node is walked once (an alias repeats its anchor)."""
    seen: set[int] = set()
    todo: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    while todo:
        node, path = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children: list[tuple[yaml.Node, tuple[str, ...]]] = []
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.tag == "tag:yaml.org,2002:merge" and getattr(key, "written_tag", None) is None:
                    children.append((value, path))
                    continue
                text = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
                if isinstance(key, yaml.ScalarNode) and (problem := _tagged(key, path)) is not None:
                    return problem
                if isinstance(key, yaml.ScalarNode) and text == "<<":
                    # go-yaml v3.0.1 decode.go isMerge takes an untagged quoted "<<", and the CLI decodes the file,
                    # writes it back and decodes it again (loaders.go LoadProjectStackBytes): any "<<" key merges
                    return (
                        f"{_where(path, text)}: a quoted or tagged << key is not allowed; the Pulumi CLI merges it "
                        "as <<: (go-yaml v3): write <<: *anchor to merge, or another key"
                    )
                if isinstance(key, yaml.ScalarNode) and (what := go_yaml_v3_key(key)) is not None:
                    return (
                        f"{_where(path, text)}: {_shown(text)} is not allowed; the Pulumi CLI reads this key as "
                        f'{what}, not the text written (go-yaml v3): quote it, "{_shown(text)}"'
                    )
                children.append((value, (*path, text)))
        elif isinstance(node, yaml.SequenceNode):
            children = [(item, (*path, str(i))) for i, item in enumerate(node.value)]
        elif isinstance(node, yaml.ScalarNode):
            if (problem := _tagged(node, path)) is not None:
                return problem
            if node.tag == "tag:yaml.org,2002:merge":  # a plain << where a value goes: PyYAML's merge key, refused by
                # its constructor with a line and no key path (red14k break 10); go-yaml v3 reads the text "<<"
                return f'{_where(path)}: << is not allowed as a plain value; write it quoted for the text, "<<"'
            if not node.style and getattr(node, "written_tag", None) is None and go_timestamp(str(node.value)):
                # a plain scalar without a tag: ``!!str 2024-01-05`` is text to go-yaml too (red14k break 7)
                # go-yaml v3.0.1 decodes a plain timestamp into any as a time.Time (v2's "for backward compatibility
                # reasons we set it as a string" is gone from decode.go ``scalar``), which the CLI passes on as RFC
                # 3339 text (2001-12-14 becomes 2001-12-14T00:00:00Z)
                value = _shown(str(node.value), path)
                quoted = f'"{value}"' if value != PLAIN_TEXT else "the value"
                return (
                    f"{_where(path)}: {value} is not allowed; the Pulumi CLI reads it as a timestamp and passes it "
                    "on as RFC 3339 text (2001-12-14 as 2001-12-14T00:00:00Z), not the text written (go-yaml v3): "
                    f"quote it, {quoted}"
                )
        todo.extend(reversed(children))
    return None


def _where(path: tuple[str, ...], key: str | None = None) -> str:
    """The key path of ``path`` (plus ``key``) as refusals write it: without ``config``, the first key (namespaced,
    ``mlplatform:models``) as written, the others through :func:`~components.errors.show_key` (``models."a.b"``),
    every character outside printable ASCII escaped."""
    parts = [*(path[1:] if path[:1] == ("config",) else path), *(() if key is None else (key,))]
    if not parts:
        return "(the document)"
    # a key holding " is quoted too: models.a"b.x would read as a quoted key (red14k break 10)
    return escape_line(".".join([parts[0], *(json.dumps(p) if '"' in p else show_key(p) for p in parts[1:])]))


def _shown(text: str, path: tuple[str, ...] = ()) -> str:
    """``text`` as a refusal shows it: :data:`~components.credentials.PLAIN_TEXT` under a credential key
    (``env.DB_PASSWORD``) or when it looks like a credential, else escaped."""
    from components.credentials import PLAIN_TEXT as hidden
    from components.credentials import credential_path, shows_credential

    if credential_path([p.split(":", 1)[-1] for p in path], text) or shows_credential(text):
        return hidden
    return show(text)  # cut at TEXT_WIDTH as every other line's value (red14k break 10), quoted where it would hide


def _tagged(node: yaml.ScalarNode, path: tuple[str, ...]) -> str | None:
    """The refusal of a scalar written with a tag other than ``!!str`` (``!!int``, ``!!float``, ``!!bool``,
    ``!!null``, ``!!timestamp``, ``!``), or None. go-yaml v3.0.1 resolves a tagged scalar its own way (resolve.go
    ``resolve``: ``!!float 010`` is 8.0, ``!!bool yes`` and ``!!int s3cr3t`` are errors, "cannot decode !!str `...` as
    a !!int"; ``! 010`` is 8), PyYAML another (YAML 1.1: 10.0, false; a ValueError), so the tag is refused rather
    than read either way (red14j breaks 1, 2). ``!!str`` (or quotes) is text in both. Other tags (``!!binary``,
    ``!Ref``) are refused by the constructor, with their line."""
    tag = getattr(node, "written_tag", None)
    if tag is None or tag == _STR_TAG or not (tag == "!" or tag.startswith("tag:yaml.org,2002:")):
        return None
    if tag.removeprefix("tag:yaml.org,2002:") in ("binary", "set", "omap", "pairs", "seq", "map"):
        return None
    written = tag.replace("tag:yaml.org,2002:", "!!")
    value = _shown(str(node.value), path)
    return (
        f"{_where(path)}: {written} {value} is not allowed; the Pulumi CLI (go-yaml v3) reads a tagged value "
        f"otherwise than YAML 1.1: remove the tag {written} and write the value plain, or quoted for text"
    )


_GO_TIME = re.compile(
    r"\A(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})"
    r"(?:(?:(?P<t>[Tt])| +)(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{1,2}):(?P<second>[0-9]{1,2})(?:[.,][0-9]+)?"
    r"(?P<zone>Z|[-+](?:[0-9]{2}|[-+][0-9]):(?:[0-9]{2}|[-+][0-9]))?)?\Z",
    re.ASCII,
)


def go_timestamp(text: str) -> bool:
    """Whether go-yaml v3.0.1 reads the plain scalar ``text`` as a timestamp (resolve.go ``parseTimestamp``: four
    digits and ``-``, then Go's ``time.Parse`` with ``allowedTimestampFormats``: "2006-1-2T15:4:5.999999999Z07:00",
    the same with a lower-case ``t``, "2006-1-2 15:4:5.999999999" with no zone, and "2006-1-2"). As golang/go
    src/time/format.go (go1.19) ``Parse`` reads those layouts: month, day, hour, minute and second are one or two
    digits (``getnum``) in range (month 1-12, hour < 24, minute and second < 60, the day within the month:
    "day out of range"), a layout space matches one or more spaces (``skip``), a fraction starts with ``.`` or
    ``,``, the zone is ``Z`` or ``+hh:mm``, and nothing may follow ("extra text"). So ``2027-1-5``,
    ``2027-01-05t1:2:3Z`` and ``2001-12-14 21:59:43.10`` are timestamps (PyYAML misses the first two), ``2001-02-30``,
    ``2001-12-14T21:59:43`` (no zone) and ``2001-12-14 21:59:43.10 -5`` are text (red14j break 3). Where Go versions
    may differ, the text counts as a timestamp, so it is refused rather than read otherwise than the CLI's Go: a
    zone's hours and minutes are read with ``atoi`` in go1.19 (no range check, a sign allowed: ``+25:00``, ``+-1:00``
    are zones), and a fraction of more than 9 digits (go1.19 reads 9 and stops at "extra text")."""
    m = _GO_TIME.match(text)
    if m is None or (m["t"] is not None) != (m["zone"] is not None):
        return False
    year, month, day = int(m["year"]), int(m["month"]), int(m["day"])
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year or 2000, month)[1]:
        return False
    return m["hour"] is None or (int(m["hour"]) < 24 and int(m["minute"]) < 60 and int(m["second"]) < 60)


_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


def plain_reads_as_text(text: str) -> bool:
    """Whether ``text`` written as a plain scalar is read back as that text by this plan's stack loader (go-yaml
    v3's resolution: :class:`_StackLoader`'s resolvers, :func:`go_yaml_number`, :func:`go_timestamp`), so that YAML
    written for a stack file (``mlplatform import``) can leave it unquoted: ``0o17``, ``1e3``, ``08``, ``2024-1-5``,
    ``true``, ``~`` and ``<<`` are not (red14k break 3: PyYAML's dumper quoted only what YAML 1.1 resolves)."""
    tag = _StackLoader.resolve(_StackLoader, yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call, arg-type]
    if tag == _GO_NUMBER_TAG:
        return go_yaml_number(text) == text and not go_timestamp(text)
    return tag in (_STR_TAG, _TIMESTAMP_TAG) and not go_timestamp(text)  # a YAML 1.1 timestamp is read as text


@dataclass(frozen=True)
class Project:
    """A Pulumi project: its directory, name, program and stack config folder."""

    root: Path
    name: str
    main: str
    stack_config_dir: str
    virtualenv: str | None = None
    """Pulumi.yaml ``runtime.options.virtualenv``: the folder the Pulumi CLI's Python host runs the program in."""

    def stack_path(self, stack: str) -> Path:
        """The stack file of ``stack``."""
        return self.root / self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        """Every stack with a file in the stack config folder, sorted."""
        folder = self.root / self.stack_config_dir
        return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in folder.glob("Pulumi.*.yaml"))


@dataclass
class StackConfigFile:
    """One stack file, flattened to what the CLI passes a program: ``namespace:key`` -> string."""

    stack: str
    path: str
    config: dict[str, str]
    secret_keys: list[str]
    secret_values: dict[str, str] = field(default_factory=dict)
    environments: list[str] = field(default_factory=list)


def find_project(start: Path) -> Project:
    """The project whose ``Pulumi.yaml`` is in ``start`` or the nearest folder above it."""
    here = start.resolve()
    for folder in (here, *here.parents):
        candidate = folder / "Pulumi.yaml"
        if candidate.exists():
            return load_project(folder)
    raise ProjectError(f"{start}: no Pulumi.yaml here or in any folder above; run inside a project or give --project")


def load_project(root: Path) -> Project:
    """Read ``root/Pulumi.yaml``; its ``main`` must exist (the Pulumi CLI runs the program there)."""
    path = root / "Pulumi.yaml"
    _refuse_special_file(path, str(path), "give the project file (YAML)")
    try:
        doc = yaml.safe_load(path.read_bytes().decode("utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as e:
        raise ProjectError(f"{path}: cannot be read: {_one_line(e) or type(e).__name__}") from None
    if not isinstance(doc, dict) or "name" not in doc:
        raise ProjectError(f"{path}: name: missing; give the project name")
    for key in ("name", "main", "stackConfigDir"):
        if key in doc and not isinstance(doc[key], str):
            raise ProjectError(f"{path}: {key}: {_cli_string(doc[key])} is not allowed; give a string")
    main = str(doc.get("main", "."))
    runtime = doc.get("runtime")
    options = runtime.get("options") if isinstance(runtime, dict) else None
    venv = options.get("virtualenv") if isinstance(options, dict) else None
    if not (root / main).exists():
        raise ProjectError(f"{path}: main: {main} does not exist; give the folder or file of the Pulumi program")
    return Project(
        root=root.resolve(),
        name=str(doc["name"]),
        main=main,
        stack_config_dir=str(doc.get("stackConfigDir", ".")),
        virtualenv=venv if isinstance(venv, str) and venv else None,
    )


def _refuse_special_file(path: Path, rel: str, what: str) -> None:
    """Refuse ``path`` when it is (or a symlink leads to) a FIFO, socket or device, before opening it: a FIFO with
    no writer blocks open() forever and /dev/zero never ends (red14k break 6; ``mlplatform import`` refuses its
    inputs the same way, kimport.py ``read_documents``)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # missing or unreadable: the caller's own line
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise ProjectError(f"{rel}: is not a regular file (a pipe, socket or device); {what}")


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())


def _cli_string(value: Any) -> str:
    """How the Pulumi CLI passes a config value: strings as-is, everything else as JSON written by Go's encoding/json
    (pulumi/pulumi sdk/go/common/resource/config/plaintext.go ``marshalText``: ``json.Marshal(c.GoValue())``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value == 0 and math.copysign(1, value) < 0:
        return "-0"  # Go writes negative zero as -0
    return json.dumps(_go_json(value))


def _go_json(value: Any) -> Any:
    """``value`` with each float as Go's encoding/json writes it: a whole float64 below 1e21 has no fraction
    (golang/go src/encoding/json/encode.go ``floatEncoder``: 'f' format, shortest precision, unless abs < 1e-6 or
    >= 1e21), so ``maxGpus: 8.0`` in a stack file reaches the
    program as ``8``, an integer, under ``pulumi up``; the offline plan hands it over the same way."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e21:
        return go_json_whole(value)
    if isinstance(value, dict):
        return {k: _go_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_json(v) for v in value]
    return value


def _secure_paths(value: Any, path: str = "") -> list[str]:
    """Where ``value`` holds ``secure:`` values (dotted paths below the key; "" for the value itself)."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return [path]
        return [p for k, v in value.items() for p in _secure_paths(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _secure_paths(v, f"{path}[{i}]")]
    return []


def _strip_secure(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER
        return {k: _strip_secure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_secure(v) for v in value]
    return value


def parse_stack_text(data: bytes, rel: str) -> dict[str, Any]:
    """The stack file's YAML document as a map, or a :class:`ProjectError` naming the file (and the line)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ProjectError(
            f"{rel}: line {line}: byte 0x{data[e.start]:02x} is not UTF-8; save the file as UTF-8 text"
        ) from None
    # A byte-order mark past the first character: go-yaml v3.0.1 keeps it as text ("\ufeff  models:" is a key
    # of its own) except where its buffer happens to start with one: scannerc.go yaml_parser_scan_to_next_token
    # ("Allow the BOM mark to start a line") tests yamlprivateh.go ``is_bom(b, i)``, which reads b[0..2], the start
    # of the read buffer, not position i. Which it does depends on how the file falls in go-yaml's buffer, so the
    # file is refused (red14j break 4: main dropped it and planned models the CLI does not see).
    if (bom := text.find("\ufeff", 1)) > 0:
        line = text[:bom].count("\n") + 1
        raise ProjectError(
            f"{rel}: line {line}: a byte-order mark (U+FEFF) past the start of the file is not allowed; the Pulumi "
            "CLI's reader (go-yaml v3) keeps it as text where this plan cannot tell: delete it"
        )
    if (problem := go_refused_text(text)) is not None:
        raise ProjectError(f"{rel}: {problem}")
    if _FAST_LOADER is not None and not _libyaml_may_differ(text):
        try:
            fast = _read_yaml(_FAST_LOADER, text, rel)
        except Exception:  # refused: the Python loader below words the refusal, with its line
            pass
        else:
            return _checked(fast, rel)
    try:
        doc = _read_yaml(_StackLoader, text, rel)
    except yaml.reader.ReaderError as e:  # a control character: the reader has a position, not a mark
        line = text[: e.position].count("\n") + 1
        raise ProjectError(
            f"{rel}: line {line}: YAML syntax error: character #x{e.character:04x} is not allowed in YAML"
        ) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(e, "problem", None) or _one_line(e)
        raise ProjectError(f"{rel}: {where}YAML syntax error: {problem}") from None
    except RecursionError:  # deeper than the parser follows: refused like any file deeper than MAX_DEPTH
        raise ProjectError(_too_deep(rel)) from None
    except ProjectError:
        raise
    except (ValueError, TypeError, IndexError, OverflowError) as e:  # a constructor's own error: never a traceback,
        # and never its text, which may quote a secret (red14j break 1)
        raise ProjectError(f"{rel}: a value cannot be read ({type(e).__name__}); write it plain or quoted") from None
    return _checked(doc, rel)


_DIRECTIVE_LINE = re.compile(r"^%", re.M)
_ESCAPE = re.compile(r"\\(?:(/)|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|.)", re.S)


def go_refused_text(text: str) -> str | None:
    r"""``line N: ...`` where go-yaml v3.0.1, the Pulumi CLI's reader, refuses what PyYAML reads (red14l break 6), or
    None: a ``%YAML`` directive other than 1.1 (parserc.go ``yaml_parser_process_directives``: "found incompatible
    YAML document"), a directive other than ``%YAML`` and ``%TAG`` (scannerc.go ``yaml_parser_scan_directive``:
    "found unknown directive name"; PyYAML skips it), and in a double-quoted scalar the escape ``\/`` (not among
    go-yaml's escapes, scannerc.go ``yaml_parser_scan_flow_scalar``; YAML 1.2's, which PyYAML reads) or a ``\u``/
    ``\U`` escape of a surrogate, U+D800 to U+DFFF ("found invalid Unicode character escape code"; PyYAML makes a
    lone surrogate of it). Found with PyYAML's scanner (tokens only, nothing constructed); a text it cannot scan is
    left to the loader's refusal."""
    if _DIRECTIVE_LINE.search(text) is None and not ("\\" in text and '"' in text):
        return None
    try:
        for token in yaml.scan(text, Loader=_StackLoader):
            line = token.start_mark.line + 1
            if isinstance(token, yaml.DirectiveToken):
                if token.name == "YAML" and token.value != (1, 1):
                    major, minor = token.value
                    return (
                        f"line {line}: %YAML {major}.{minor} is not allowed; the Pulumi CLI's reader (go-yaml v3) "
                        "reads %YAML 1.1 documents only: remove the directive"
                    )
                if token.name not in ("YAML", "TAG"):
                    return (
                        f"line {line}: the directive %{escape_line(str(token.name))} is not allowed; the Pulumi "
                        "CLI's reader (go-yaml v3) refuses unknown directives: remove it"
                    )
            elif isinstance(token, yaml.ScalarToken) and token.style == '"':
                raw = text[token.start_mark.index : token.end_mark.index]
                for m in _ESCAPE.finditer(raw):
                    if m[1]:
                        return (
                            f'line {line}: the escape \\/ in a "quoted" value is not allowed; the Pulumi CLI\'s '
                            "reader (go-yaml v3) refuses it: write / alone"
                        )
                    code = int(m[2] or m[3] or "0", 16)
                    if 0xD800 <= code <= 0xDFFF:
                        return (
                            f"line {line}: the escape {escape_line(m[0])} (a UTF-16 surrogate) is not allowed; the "
                            "Pulumi CLI's reader (go-yaml v3) refuses it: write the character itself, or \\U and "
                            "its 8-digit code point (\\U0001F600)"
                        )
    except (yaml.YAMLError, ValueError, OverflowError):  # PyYAML's chr() of a code past U+10FFFF: the loader
        return None  # refuses it in one line ("a value cannot be read"), as go-yaml refuses it
    return None


def _checked(doc: Any, rel: str) -> dict[str, Any]:
    """The read document as the stack file's map, or the :class:`ProjectError` refusing it."""
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ProjectError(f"{rel}: the file is not a YAML map; give `config:` with mlplatform: keys under it")
    if nesting_depth(doc) > MAX_DEPTH:
        raise ProjectError(_too_deep(rel))
    doc, problem = _rewritten_value(doc)
    if problem is not None:
        raise ProjectError(f"{rel}: {problem}")
    return doc  # type: ignore[no-any-return]


_GO_BREAKS = "\n\u2028\u2029"
"""The line breaks a literal block scalar go-yaml v3 writes can start with (CR and NEL are not printable for its
emitter, so a text holding one is written double-quoted): yamlprivateh.go ``is_break``."""
_GO_SPACE_BREAK = re.compile(" [\r\n\x85\u2028\u2029]")


def _go_printable(c: str) -> bool:
    """go-yaml v3.0.1 yamlprivateh.go ``is_printable`` on the UTF-8 of ``c``: LF, printable ASCII, U+00A0-U+D7FF and
    U+E000-U+FFFD but U+FEFF (a character past U+FFFF, 4 UTF-8 bytes, is not printable there)."""
    o = ord(c)
    return o == 0x0A or 0x20 <= o <= 0x7E or 0xA0 <= o <= 0xD7FF or (0xE000 <= o <= 0xFFFD and o != 0xFEFF)


def go_literal_block(text: str) -> bool:
    """Whether go-yaml v3.0.1's Marshal writes the text value or key ``text`` as a literal block scalar (``|``): it
    holds a ``\n`` (encode.go ``stringv``: ``strings.Contains(s, "\n")`` asks for the literal style) and the emitter
    allows a block for it (emitterc.go ``yaml_emitter_analyze_scalar``: not ``block_allowed`` when it ends with a
    space, has a space before a line break, or holds a character other than a tab that is not printable; then
    ``yaml_emitter_select_scalar_style`` writes it double-quoted, which reads back unchanged)."""
    return (
        "\n" in text
        and not text.endswith(" ")
        and _GO_SPACE_BREAK.search(text) is None
        and all(c == "\t" or _go_printable(c) for c in text)
    )


def cli_round_trip_text(text: str, *, indent_ok: bool = True) -> str | None:
    r"""The text the Pulumi CLI reads back for the text value or key ``text`` (loaders.go ``LoadProjectStackBytes``:
    go-yaml v3.0.1 decode, Marshal, decode), or None where that second decode refuses the file. Only a literal block
    (:func:`go_literal_block`) can change:

    - one starting with a tab is refused: the block has no indentation indicator (emitterc.go
      ``yaml_emitter_write_block_scalar_hints`` writes one only before a space or a line break), so the reader takes
      the first line's tab as indentation (scannerc.go ``yaml_parser_scan_block_scalar_breaks``: "found a tab
      character where an indentation space is expected");
    - one starting with a line break loses it: ``yaml_emitter_write_literal_scalar`` writes that break as the end of
      the ``|4-`` header line (``"\nhello"`` is read back ``"hello"``, ``"\u2028x\ny"`` ``"x\ny"``);
    - one starting with a space or a line break has the indentation indicator 4 (``best_indent``), which the reader
      adds to the indentation of the map or list holding it (``yaml_parser_scan_block_scalar``: ``indent =
      parser.indent + increment``), while the emitter writes its lines at its own indentation
      (``yaml_emitter_increase_indent``: 2 past a list's ``-``, or rounded up to the next multiple of 4): where they
      differ (``indent_ok`` False, :func:`_go_indent_ok`) and a line has text, the reader meets it less indented and
      refuses the file ("did not find expected '-' indicator", "did not find expected key"), or reads a line starting
      with ``#`` as a comment: None (misread) either way.

    Checked against go-yaml v3.0.1 built from source (Unmarshal, Marshal, Unmarshal) on 2,400 random texts as keys and
    values and 3,600 random maps and lists nested up to 4 deep, with no difference (fixr14mb); go-yaml's answers for
    27 texts in 5 places are tests/plan/test_stack_roundtrip_r14m.py's table."""
    if not go_literal_block(text):
        return text
    if text[0] == "\t":
        return None
    read = text[1:] if text[0] in _GO_BREAKS else text
    if not indent_ok and text[0] in _GO_BREAKS + " " and read.strip(_GO_BREAKS):
        return None
    return read


def _go_indent_ok(in_list: bool, indent: int) -> bool:
    """Whether a block scalar with an indentation indicator, held by a list (``in_list``) or a map written at column
    ``indent``, is written where go-yaml's reader looks for it (see :func:`cli_round_trip_text`): in a map whose
    column is a multiple of 4 only."""
    return not in_list and indent % 4 == 0


def _go_child_indent(in_list: bool, indent: int) -> int:
    """The column go-yaml v3.0.1's emitter writes a map or list at inside a list (``in_list``) or a map written at
    column ``indent`` (emitterc.go ``yaml_emitter_increase_indent``: 2 past the ``-`` of a list item, else the next
    multiple of ``best_indent`` 4)."""
    if indent < 0:
        return 0  # the root: increase_indent from -1 (not flow) is 0
    return indent + 2 if in_list else 4 * ((indent + 4) // 4)


class _RoundTripRefused(Exception):
    """The Pulumi CLI's round trip changes or refuses a text: ``line`` is the refusal (``path: ...``)."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


def _rewritten_value(doc: Any, *, keys_may_change: bool = True) -> tuple[Any, str | None]:
    r"""``doc`` as the Pulumi CLI reads it after writing the file back and reading it again (pulumi/pulumi
    sdk/go/common/workspace/loaders.go ``LoadProjectStackBytes``: decode, Marshal, decode), and ``path: ...`` for the
    first text it changes or refuses, or None (red14l break 5; red14m M2 narrowed it to exactly
    :func:`cli_round_trip_text`). A value that changes or is refused is refused; a map key is read as the CLI reads
    it (``"\nowner"`` is the tag ``owner``, red14m W5), and refused where the CLI refuses it, or where two keys of one
    map become the same key (go-yaml v3 decode.go ``mapping``: "mapping key ... already defined"); without
    ``keys_may_change`` (``mlplatform import``'s entries, printed for a stack file) a key that changes is refused too.
    Maps are copied where a key changes: an aliased map may sit at two places."""
    try:
        return _round_trip(doc, (), False, -1, keys_may_change), None
    except _RoundTripRefused as e:
        return doc, e.line


def _round_trip(value: Any, path: tuple[str, ...], in_list: bool, parent: int, keys_may_change: bool) -> Any:
    """:func:`_rewritten_value` on ``value``, held by a list (``in_list``) or a map written at column ``parent`` (-1:
    the document's root, written at column 0)."""
    if isinstance(value, dict):
        indent = _go_child_indent(in_list, parent)
        keys = _renamed_keys(value, path, _go_indent_ok(False, indent), keys_may_change)
        items = [
            (new, _round_trip(v, (*path, str(k)), False, indent, keys_may_change))
            for (k, v), new in zip(value.items(), keys, strict=True)
        ]
        if keys == list(value) and all(a is b for (_, a), b in zip(items, value.values(), strict=True)):
            return value
        return dict(items)
    if isinstance(value, list):
        indent = _go_child_indent(in_list, parent)
        items_list = [_round_trip(v, (*path, str(i)), True, indent, keys_may_change) for i, v in enumerate(value)]
        return value if all(a is b for a, b in zip(items_list, value, strict=True)) else items_list
    indent_ok = _go_indent_ok(in_list, parent)
    if isinstance(value, str) and (read := cli_round_trip_text(value, indent_ok=indent_ok)) != value:
        raise _RoundTripRefused(f"{_where(path)}: {_round_trip_problem(value, read)}")
    return value


def _round_trip_problem(text: str, read: str | None, what: str = "value") -> str:
    """Why the text ``text`` (a ``what``), which the Pulumi CLI reads back as ``read`` (None: refuses), is refused."""
    if read is not None:
        return (
            f"a {what} starting with a line break is not allowed; the Pulumi CLI drops that line break (go-yaml v3 "
            f"writes the {what} back as a block scalar and reads it again without it): start it with another "
            "character"
        )
    if text[0] == "\t":
        return (
            f"a {what} starting with a tab and holding a line break is not allowed; the Pulumi CLI refuses it "
            "(go-yaml v3 writes it back as a block scalar indented by a tab: found a tab character where an "
            "indentation space is expected): start it with another character"
        )
    return (
        f"a {what} starting with a space or a line break and holding another line is not allowed in a list or in "
        "a map inside a list; the Pulumi CLI misreads it (go-yaml v3 writes it back as a block scalar less indented "
        "than its indentation indicator says, then refuses the file or reads its lines as comments): start it with "
        "another character"
    )


def _renamed_keys(mapping: dict[str, Any], path: tuple[str, ...], indent_ok: bool, may_change: bool) -> list[str]:
    """The keys of ``mapping`` in order as the Pulumi CLI reads them back (:func:`cli_round_trip_text`); raises
    :class:`_RoundTripRefused` where it refuses one (or, without ``may_change``, changes one)."""
    keys: list[str] = []
    for key in mapping:
        read = cli_round_trip_text(key, indent_ok=indent_ok)
        if read is None or (read != key and not may_change):
            raise _RoundTripRefused(f"{_where(path, key)}: {_round_trip_problem(key, read, 'key')}")
        keys.append(read)
    for key, read in zip(mapping, keys, strict=True):
        if read != key and keys.count(read) > 1:
            raise _RoundTripRefused(
                f"{_where(path, key)}: the Pulumi CLI reads this key as {json.dumps(read)} (go-yaml v3 writes a key "
                "starting with a line break back as a block scalar and drops that line break), which the map "
                f"already holds, and refuses the file (mapping key {json.dumps(read)} already defined): give each "
                "key once, without the line break"
            )
    return keys


_ALIAS_RATIO_LOW, _ALIAS_RATIO_HIGH = 400_000, 4_000_000


def _allowed_alias_ratio(decode_count: int) -> float:
    """go-yaml v2.4.0 decode.go ``allowedAliasRatio`` (the same in v3.0.1, the Pulumi CLI's): 99% of the decode
    operations may come from alias expansion up to 400,000 of them, 10% from 4,000,000, scaled linearly between."""
    if decode_count <= _ALIAS_RATIO_LOW:
        return 0.99
    if decode_count >= _ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decode_count - _ALIAS_RATIO_LOW) / (_ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW)


def excessive_aliasing(root: yaml.Node) -> bool:
    """Whether go-yaml v2 would stop decoding this document with "document contains excessive aliasing" (v2.4.0
    decode.go ``unmarshal``: each node decoded counts, and a node decoded inside an alias's expansion counts as
    aliased; it fails once more than 100 are aliased, more than 1000 decoded, and the aliased share exceeds
    :func:`_allowed_alias_ratio`). The walk follows go-yaml's order (depth first, a merge key's value decoded without
    its key) and stops at the limit, so a "billion laughs" document is refused after a few thousand steps instead of
    being expanded. PyYAML's node graph has no alias nodes (an alias is the anchored node itself): a node met at a
    place other than the one it was first met at (its anchor) is an alias there."""
    decoded, aliased = 1, 0  # the document node
    first_place: dict[int, tuple[int, int]] = {}
    open_nodes: set[int] = set()
    todo: list[tuple[yaml.Node | None, int, int, int, bool]] = [(root, -1, 0, 0, False)]
    while todo:
        node, parent, index, depth, is_key = todo.pop()
        if node is None:  # leaving the node whose id is ``parent``
            open_nodes.discard(parent)
            continue
        place = (parent, index)
        if id(node) in open_nodes:
            continue  # an anchor that contains itself: refused by the reader itself
        if first_place.setdefault(id(node), place) != place:
            decoded += 1  # the alias node
            aliased += depth > 0
            depth += 1
        if not is_key or node.tag != "tag:yaml.org,2002:merge":
            decoded += 1
            aliased += depth > 0
        if aliased > 100 and decoded > 1000 and aliased / decoded > _allowed_alias_ratio(decoded):
            return True
        if isinstance(node, yaml.MappingNode):
            children = [c for pair in node.value for c in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            continue
        open_nodes.add(id(node))
        todo.append((None, id(node), 0, depth, False))
        mapping = isinstance(node, yaml.MappingNode)
        todo.extend((c, id(node), i, depth, mapping and i % 2 == 0) for i, c in reversed(list(enumerate(children))))
    return False


def _too_deep(rel: str) -> str:
    return f"{rel}: maps and lists nested more than {MAX_DEPTH} deep are not allowed; give a flatter file"


def read_stack_file(project: Project, stack: str, secret_values: dict[str, str] | None = None) -> StackConfigFile:
    """Read and flatten one stack file; ``secret_values`` stand in for ``secure:`` values (by full key)."""
    if not stack or stack != stack.strip() or "/" in stack:
        known = ", ".join(project.stacks()) or "none"
        raise ProjectError(f"--stack: {json.dumps(stack)} is not a stack name; stacks here: {known}")
    path = project.stack_path(stack)
    rel = str(path.relative_to(project.root))
    _refuse_special_file(path, rel, "give the stack file (YAML)")
    if not path.is_file():
        known = ", ".join(project.stacks()) or "none"
        raise ProjectError(f"{rel}: no such stack file; stacks here: {known}")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ProjectError(f"{rel}: cannot be read: {e.strerror or _one_line(e)}") from None
    doc = parse_stack_text(data, rel)
    unknown = sorted(set(doc) - {"config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt"})
    if unknown:
        raise ProjectError(f"{rel}: {unknown[0]}: unknown top-level key; accepted: config, environment")
    envs = doc.get("environment") or []
    if envs:
        # The Pulumi CLI opens imported Pulumi ESC environments through Pulumi Cloud and merges their values into the
        # config (https://www.pulumi.com/docs/esc/integrations/infrastructure/pulumi-iac/); offline we cannot, so a
        # plan without them would be of another stack.
        names = ", ".join(map(str, envs)) if isinstance(envs, list) else _cli_string(envs)
        raise ProjectError(
            f"{rel}: environment: {names}: Pulumi ESC environments are not read offline; put the values they give "
            "under config: to plan this stack, or run pulumi preview"
        )
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise ProjectError(f"{rel}: config: {_cli_string(config)} is not allowed; give a map of namespace:key values")
    flat: dict[str, str] = {}
    written: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        given = key = str(key)
        if ":" not in key:
            key = f"{project.name}:{key}"  # the Pulumi CLI puts a bare key in the project's namespace
        if key in flat:
            raise ProjectError(
                f"{rel}: config: {key} is given twice (as {written[key]} and {given}); give it once, as {key}"
            )
        written[key] = given
        stripped = _strip_secure(value)
        if isinstance(value, dict) and set(value) == {"secure"}:
            cipher = value["secure"]
            if not isinstance(cipher, str) or not cipher.strip():
                # `pulumi config set --secret` writes the ciphertext as text; an empty or numeric `secure:` is no
                # secret at all (hand-edited), and would reach the program as an empty or made-up token.
                raise ProjectError(
                    f"{rel}: {key}: secure: {show(cipher)} is not allowed; give the ciphertext that "
                    f"pulumi config set --secret {key.partition(':')[2] or key} <value> writes"
                )
        if _secure_paths(value):
            secret_keys.append(key)
            if secret_values and key in secret_values:
                stripped = secret_values[key]
        flat[key] = _cli_string(stripped)
    return StackConfigFile(stack, rel, flat, secret_keys, dict(secret_values or {}), [])


def stack_round_trip_problem(doc: Any) -> str | None:
    """``path: ...`` where the Pulumi CLI's round trip (:func:`_rewritten_value`) would change or refuse a text of
    ``doc``, a stack file's content (``{"config": {...}}``) as printed for the user to paste, keys included; or None.
    ``mlplatform import`` checks its entries with it (red14m I3), so it never prints one the stack then refuses."""
    return _rewritten_value(doc, keys_may_change=False)[1]
