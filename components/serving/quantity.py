"""Kubernetes resource quantities (``500m``, ``4Gi``, ``1e3``) read exactly as the API server reads them.

The grammar is Kubernetes' own (kubernetes/apimachinery pkg/api/resource/quantity.go, the ``Quantity`` comment)::

    <quantity>        ::= <signedNumber><suffix>
    <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
    <signedNumber>    ::= <number> | <sign><number>
    <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
    <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>

The exponent is digits only (``parseQuantityString`` reads a sign and then digits after the suffix letters), and a
lone ``E`` is the exa suffix. Values are exact (``Decimal``), never floats, as in Kubernetes ("the quantity will NEVER
be internally represented by a floating point number").
"""

from __future__ import annotations

import re
from decimal import Decimal

_QUANTITY = re.compile(
    r"\A(?P<number>[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+))"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?\Z",
    re.ASCII,
)
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_MAX_EXPONENT = 1000
"""Exponents beyond this are refused before Decimal arithmetic (``1e99999999`` would take the process's memory)."""


def is_quantity(text: str) -> bool:
    """Whether ``text`` is a Kubernetes quantity (whole, ASCII: no final newline, no non-ASCII digit)."""
    m = _QUANTITY.match(text)
    if m is None:
        return False
    suffix = m["suffix"] or ""
    exponent = suffix not in _BINARY and suffix not in _DECIMAL
    return not (exponent and abs(int(suffix[1:])) > _MAX_EXPONENT)


def quantity_value(text: str) -> Decimal:
    """The exact value of the quantity ``text`` (``"500m"`` is 0.5, ``"4Gi"`` is 4294967296, ``"1e3"`` is 1000).

    Raises ``ValueError`` when ``text`` is not a quantity (check with :func:`is_quantity` first).
    """
    if not is_quantity(text):
        raise ValueError(f"{text!r} is not a Kubernetes quantity")
    m = _QUANTITY.match(text)
    assert m is not None
    number = Decimal(m["number"])  # "1.", ".5", "+2" are Decimal literals too
    suffix = m["suffix"] or ""
    if suffix in _BINARY:
        return number * Decimal(2 ** _BINARY[suffix])
    if suffix in _DECIMAL:
        return number.scaleb(_DECIMAL[suffix])
    return number.scaleb(int(suffix[1:]))


def suffix_of(text: str) -> str:
    """The suffix of the quantity ``text`` (``"m"`` for ``"100m"``, ``""`` for ``"2"``)."""
    m = _QUANTITY.match(text)
    return (m["suffix"] or "") if m else ""
