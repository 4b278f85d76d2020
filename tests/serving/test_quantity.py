"""Kubernetes quantities as the API server reads them (kubernetes/apimachinery pkg/api/resource/quantity.go)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from components.serving.quantity import is_quantity, quantity_value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("2", Decimal(2)),
        ("4Gi", Decimal(4 * 2**30)),
        ("1.5Gi", Decimal(3 * 2**29)),
        ("1e3", Decimal(1000)),  # <decimalExponent>
        ("1E3", Decimal(1000)),
        ("1E", Decimal(10**18)),  # a lone E is the exa suffix, not an exponent
        ("1.", Decimal(1)),  # <digits>.
        (".5", Decimal("0.5")),  # .<digits>
        ("+2", Decimal(2)),  # <sign><number>
        ("-1", Decimal(-1)),
        ("100n", Decimal("1E-7")),
        ("2Ei", Decimal(2 * 2**60)),
    ],
)
def test_kubernetes_grammar_is_read(text: str, value: Decimal) -> None:
    assert is_quantity(text)
    assert quantity_value(text) == value


@pytest.mark.parametrize(
    "text",
    ["", "Mi", "1e3.5", "0x10", "1e", "1.5.5", "4GB", "4gi", "4Gi\n", " 4Gi", "\uff12", "1e99999", "1_000"],
)
def test_what_kubernetes_refuses_is_refused(text: str) -> None:
    """The exponent is digits only (parseQuantityString), suffixes are case-sensitive, no final newline or
    non-ASCII digit; an exponent too large to compute is refused rather than computed."""
    assert not is_quantity(text)
    with pytest.raises(ValueError):
        quantity_value(text)
