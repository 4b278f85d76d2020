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
from typing import Any

import pulumi

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


def show(value: Any) -> str:
    """A value as the user wrote it: strings bare (in JSON quotes when empty or with invisible characters, so the
    line stays one line and shows them), numbers and booleans as YAML would show them; a whole number too long to
    print (more than :data:`MAX_DIGITS` digits) as its count of digits."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int) and (digits := number_digits(value)) > MAX_DIGITS:
        return f"a number of {digits} digits"
    if isinstance(value, str):
        if not value or value != value.strip() or not value.isprintable() or not value.isascii():
            # empty, a trailing newline, a tab, a control character, or any non-ASCII character (a full-width or
            # Arabic-Indic digit, a Cyrillic letter, a zero-width space, a right-to-left override): escaped, in quotes,
            # so a lookalike never reads as what it imitates
            return json.dumps(value)
        return value
    return str(value)


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
        where = f"{self.prefix}{self.path}" if self.path else self.prefix.rstrip(".: ")
        return f"{where}: {show(self.value)} is not allowed; {self.accepted}"

    def with_prefix(self, prefix: str) -> SpecError:
        """The same error, with ``prefix`` put before the key path."""
        return SpecError(self.path, self.value, self.accepted, prefix=prefix + self.prefix)

    def __str__(self) -> str:
        return escape_line(self.message)
