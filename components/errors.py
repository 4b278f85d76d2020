"""The one exception type for a user's mistake in component arguments.

A :class:`SpecError` carries the key path (in the stack file's spelling), the value given and what is accepted, so
``infra`` can prefix the stack file and ``mlplatform:`` and print one line, and a Python user of the components
sees the same sentence.
"""

from __future__ import annotations

import json
import math
import re
import sys
import unicodedata
from collections.abc import Iterator
from typing import Any

import pulumi
from pydantic import BaseModel

MAX_DIGITS = sys.int_info.default_max_str_digits
"""The most digits a whole number given to mlplatform may have (4300): Python's default limit on converting an int to
or from decimal text (docs.python.org/3/library/stdtypes.html#int-max-str-digits: "ValueError ... Exceeds the
limit (4300 digits) for integer string conversion"). A longer number is refused with one line saying so, never
converted: no field accepts a number of that size anyway."""

_DIGIT_TEXT = re.compile(r"\A[-+]?[0-9][0-9_]*\Z", re.ASCII)


def number_digits(value: Any) -> int:
    """How many decimal digits the whole number ``value`` has (an int, or text of digits as a stack file's reader
    leaves a number too long for a float64), without converting it to text; 0 for anything else."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        magnitude = abs(value)
        if magnitude < 10:
            return 1
        # log10 from the bit length, corrected by one comparison: exact, and linear in the number's size
        digits = int((magnitude.bit_length() - 1) * math.log10(2)) + 1
        return digits + 1 if magnitude >= 10**digits else digits
    if isinstance(value, str) and _DIGIT_TEXT.match(value):
        return len(value.lstrip("+-").replace("_", ""))
    return 0


def too_many_digits(value: Any) -> str | None:
    """The refusal of a whole number of more than :data:`MAX_DIGITS` digits (``a number of 5000 digits is not
    allowed ...``, the part after the key path), else None."""
    digits = number_digits(value)
    if digits <= MAX_DIGITS:
        return None
    return f"a number of {digits} digits is not allowed (number too long); give at most {MAX_DIGITS} digits"


SHOW_WIDTH = 120
"""The most characters of a map, list or spec an error line shows (in flow form); past it the value is cut and marked
:data:`TRUNCATED`."""

TEXT_WIDTH = 256
"""The most characters of a single value an error line shows (a Kubernetes DNS subdomain is 253, a Pulumi URN often
longer than :data:`SHOW_WIDTH`); past it the value is cut and marked :data:`TRUNCATED`."""

TRUNCATED = "... (truncated)"
"""What follows a value cut at :data:`SHOW_WIDTH` or :data:`TEXT_WIDTH` characters, so the line says it was cut."""

LOOKS_TYPED = re.compile(r"\A([-+]?[0-9][0-9._]*([eE][-+]?[0-9]+)?|true|false|yes|no|on|off|null|~)\Z", re.I | re.A)
"""Text YAML would read as a number, a boolean or null: shown in quotes where it would read as one."""

_PLAIN_IN_FLOW = re.compile(r"\A[A-Za-z0-9_/.@%+=~()<>;$^-][A-Za-z0-9 _/.:@%+=~()<>;$^'!?&*|-]*\Z", re.A)
"""A string shown bare inside a flow map or list: printable ASCII without the flow indicators (``,[]{}``), quotes,
``#`` or a leading YAML indicator; ``: `` and a trailing ``:`` are checked apart."""


def show(value: Any, *, quoted: bool = False) -> str:
    """A value as the user wrote it, on one line and at most :data:`TEXT_WIDTH` characters (a map, list or spec at
    most :data:`SHOW_WIDTH`; then cut and marked :data:`TRUNCATED`): the one rendering of a given value in every error
    line.

    - A string bare, or in JSON quotes (escaped) when it is empty, has edge spaces, a control character (a newline,
      a tab, NUL), or any non-ASCII character (a full-width or Arabic-Indic digit, a Cyrillic letter, a zero-width
      space, a right-to-left override), so the line stays one line and a lookalike never reads as what it imitates;
      always in quotes with ``quoted``.
    - Numbers and booleans as YAML would show them; a whole number too long to print (more than :data:`MAX_DIGITS`
      digits) as its count of digits.
    - A map, a list, or a spec (only the keys given, in the stack file's spelling) in YAML flow form:
      ``{storageUri: s3://a/b, storageUris: [{uri: s3://c}]}``; strings inside are quoted where YAML would misread
      them (``"4"``, ``"a, b"``).
    - Never a credential: a string of a known token shape (:func:`components.credentials.looks_like_credential`)
      shows as ``[plain text]`` (a URI keeps its scheme, host and path: :func:`components.credentials.redact_uri`),
      and so does any scalar under a map key whose name says it is one (``HF_TOKEN``, ``password``). A spec's own
      fields are shown (none holds a secret value; ``secretEnv`` entries are references, a Secret's name and key).
    """
    width = SHOW_WIDTH if isinstance(value, dict | list | tuple | BaseModel) else TEXT_WIDTH
    out: list[str] = []
    size = 0
    for piece in _pieces(value, top=True, quoted=quoted):
        out.append(piece)
        size += len(piece)
        if size > width:
            return _cut("".join(out), width) + TRUNCATED
    return "".join(out)


def _cut(text: str, width: int) -> str:
    """``text`` cut at ``width`` characters, never inside a JSON escape (``\\u200b``, ``\\n``) nor between the two
    escapes of a surrogate pair (``\\ud83d\\ude00``, one character: red team #14g break 5)."""
    i = 0
    while i < width:
        if text[i] == "\\" and i + 1 < len(text):
            step = 6 if text[i + 1] == "u" else 2
            if step == 6 and _HIGH_SURROGATE.match(text, i) and _LOW_SURROGATE.match(text, i + 6):
                step = 12
            if i + step > width:
                break
            i += step
        else:
            i += 1
    return text[:i]


_HIGH_SURROGATE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}")
_LOW_SURROGATE = re.compile(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def _pieces(value: Any, *, top: bool, quoted: bool = False, secret: bool = False) -> Iterator[str]:
    """The text of ``value`` in pieces (a generator, so a huge value is rendered only as far as it is shown); with
    ``secret`` every scalar in it shows as ``[plain text]`` (keys of a map stay)."""
    from components.credentials import secret_name

    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        given = [(f.alias or n, getattr(value, n)) for n, f in fields.items() if n in value.model_fields_set]
        yield from _entries(given, "{", "}", spec=True, secret=secret)
    elif isinstance(value, dict):
        yield from _entries(list(value.items()), "{", "}", spec=False, secret=secret)
    elif isinstance(value, list | tuple):
        yield "["
        after_flag = False
        for i, item in enumerate(value):
            if i:
                yield ", "
            # "--token", "<value>": the value of a flag named as a credential is one (red team #14g break 3e)
            yield from _pieces(item, top=False, secret=secret or after_flag)
            flag = _FLAG.match(item) if isinstance(item, str) else None
            after_flag = flag is not None and secret_name(flag.group(1))
        yield "]"
    else:
        yield _scalar(value, top=top, quoted=quoted, secret=secret)


_FLAG = re.compile(r"\A-{1,2}([A-Za-z][A-Za-z0-9_.-]*)\Z", re.ASCII)


def _entries(items: list[tuple[Any, Any]], start: str, end: str, *, spec: bool, secret: bool = False) -> Iterator[str]:
    from components.credentials import secret_name

    # the Kubernetes list form of env, {name: MY_TOKEN, value: ...}: its other values are the variable's
    named = not spec and any(k == "name" and isinstance(v, str) and secret_name(v) for k, v in items)
    yield start
    for i, (key, item) in enumerate(items):
        if i:
            yield ", "
        yield _scalar(key, top=False) + ": "
        masked = secret or (
            not spec
            and isinstance(key, str)
            and (secret_name(key) or key in ("secretEnv", "secret_env") or (named and key != "name"))
        )
        yield from _pieces(item, top=False, secret=masked)
    yield end


def _scalar(value: Any, *, top: bool, quoted: bool = False, secret: bool = False) -> str:
    if value is None:
        return "null"
    if secret:
        return _plain_text()  # a number or a boolean too (red team #14g break 3a)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and (digits := number_digits(value)) > MAX_DIGITS:
        return f"a number of {digits} digits"
    if isinstance(value, int | float):
        return str(value)
    text = _unsecret(value if isinstance(value, str) else str(value))
    if text == _plain_text():
        return text  # the marker, bare as everywhere
    shown = text[: TEXT_WIDTH + 1]  # show() cuts it there anyway: the rest is never rendered
    if quoted or not text or text != text.strip() or not text.isprintable() or not text.isascii():
        # empty, a trailing newline, a tab, a control character, or any non-ASCII character: escaped, in quotes
        return json.dumps(shown)
    if not top and (not _PLAIN_IN_FLOW.match(text) or ": " in text or text.endswith(":") or LOOKS_TYPED.match(text)):
        return json.dumps(shown)  # in a flow map or list: quoted where YAML would read it otherwise
    return shown


def _plain_text() -> str:
    from components.credentials import PLAIN_TEXT

    return PLAIN_TEXT


def _unsecret(text: str) -> str:
    """``text``, or ``[plain text]`` for a credential (a URI with only its credential parts replaced); decided on the
    whole text, before any cut (:func:`components.credentials.shows_credential`)."""
    from components.credentials import redact_uri, shows_credential

    if not shows_credential(text):
        return text
    if "://" in text and not shows_credential(redacted := redact_uri(text)):
        return redacted
    return _plain_text()


HANGUL_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")
"""Letters (Unicode category Lo) that render as nothing: the Hangul choseong/jungseong fillers, the Hangul filler and
the halfwidth Hangul filler (Unicode 15 UnicodeData.txt: U+115F, U+1160, U+3164, U+FFA0)."""


def _ranges(*spans: tuple[int, int]) -> frozenset[str]:
    return frozenset(chr(c) for lo, hi in spans for c in range(lo, hi + 1))


WHITE_SPACE = _ranges(
    (0x0009, 0x000D), (0x0020, 0x0020), (0x0085, 0x0085), (0x00A0, 0x00A0), (0x1680, 0x1680), (0x2000, 0x200A),
    (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
)  # fmt: skip
"""The Unicode ``White_Space`` property (unicode.org Public/UCD/latest/ucd/PropList.txt, ``White_Space`` lines; the
file could not be downloaded here: the lines were read as quoted verbatim in public sources, the same 11 ranges from
Unicode 6.3 to 13). Python's unicodedata has no accessor for it."""

DEFAULT_IGNORABLE = _ranges(
    (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180D), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F),
    (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)  # fmt: skip
"""Code points of the Unicode ``Default_Ignorable_Code_Point`` property (unicode.org Public/UCD/latest/ucd/
DerivedCoreProperties.txt): the ranges as quoted from an older release of that file (not downloadable here; later
releases add more, all of them of categories Cf, Mn or Cn, which :func:`visible_length` drops by category anyway).
Python's unicodedata has no accessor for it."""

BLANK_SYMBOLS = frozenset("\u2800")
"""Code points in neither property that still render as nothing: U+2800 BRAILLE PATTERN BLANK (category So;
UnicodeData.txt, its name via ``unicodedata.name``), red team #17b C07."""

NOT_VISIBLE = WHITE_SPACE | DEFAULT_IGNORABLE | HANGUL_FILLERS | BLANK_SYMBOLS
"""Every code point :func:`visible_length` never counts, whatever its category."""


def visible_length(text: str) -> int:
    """How many characters of ``text`` show on a page: letters, digits, punctuation and symbols (Unicode categories
    L, N, P, S), except the code points of :data:`NOT_VISIBLE` (Unicode ``White_Space`` and
    ``Default_Ignorable_Code_Point``, the Hangul fillers, U+2800 BRAILLE PATTERN BLANK). Spaces and other separators
    (Z*), control and format characters (Cc, Cf: NUL, U+200B zero-width space, U+2060 word joiner, U+FEFF),
    unassigned and private-use code points (C*) and lone combining marks (M*) do not count: a reason of ten
    zero-width spaces (or twelve blank Braille cells) says nothing. The one count of an override's reason, shared by
    the stack file's validation (infra/config.py) and the rules (policy.rules.Override)."""
    return sum(1 for c in text if unicodedata.category(c)[0] in "LNPS" and c not in NOT_VISIBLE)


def escape_line(text: str) -> str:
    """``text`` with every character outside printable ASCII written as its JSON escape (``\\u200b``, ``\\n``): the
    escaping :func:`show` gives values, applied to whatever else a line echoes (a key in a path, a pool name or a
    character quoted inside the message), so no fragment of the user's input prints raw. Idempotent: an escaped
    value is ASCII already."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(c if " " <= c <= "~" else json.dumps(c)[1:-1] for c in text)


def show_key(key: object) -> str:
    """A map key in a key path: as written, or in JSON quotes when it would hide characters (a newline, a tab, edge
    spaces) or break the line."""
    text = str(key)
    if not text or text != text.strip() or not text.isprintable() or not text.isascii() or "." in text:
        return json.dumps(text)
    return text


class SpecError(pulumi.RunError, ValueError):
    """Bad input to a component or in a stack file: one line, no traceback.

    Subclasses ``pulumi.RunError`` so that ``pulumi up`` prints the message without a Python traceback.
    """

    def __init__(self, path: str, value: Any, accepted: str, *, prefix: str = "") -> None:
        self.path = path
        self.value = value
        self.accepted = accepted
        self.prefix = prefix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The one-line message."""
        from components.credentials import PLAIN_TEXT, credential_path
        from components.spec import spec_field_names

        where = f"{self.prefix}{self.path}" if self.path else self.prefix.rstrip(".: ")
        hidden = credential_path(self.path.split("."), self.value, spec_field_names())
        value = PLAIN_TEXT if hidden else self.value
        return f"{where}: {show(value)} is not allowed; {self.accepted}"

    def with_prefix(self, prefix: str) -> SpecError:
        """The same error, with ``prefix`` put before the key path."""
        return SpecError(self.path, self.value, self.accepted, prefix=prefix + self.prefix)

    def __str__(self) -> str:
        return escape_line(self.message)
