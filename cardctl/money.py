"""Exact money: Decimal sums, two decimals, shares that add up to 100.00."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole in percent with two decimals; None when whole is zero."""
    if not whole:
        return None
    return cents(part * 100 / whole)


def shares(amounts: Sequence[Decimal]) -> list[Decimal]:
    """Percent shares with two decimals that add up to exactly 100.00 (largest remainder)."""
    total = sum(amounts, ZERO)
    if not total:
        return [ZERO for _ in amounts]
    raw = [a * 10000 / total for a in amounts]  # in hundredths of a percent
    floors = [r.to_integral_value(rounding=ROUND_FLOOR) for r in raw]
    missing = int(10000 - sum(floors))
    by_remainder = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in by_remainder[:missing]:
        floors[i] += 1
    return [(f / 100).quantize(CENT) for f in floors]
