"""Splitting an amount into whole minor units that add up to it exactly."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal

from invoices.money import ZERO, minor_unit, quantize_money


def allocate(total: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Split `total` in proportion to `weights` (all >= 0), in whole minor units summing to it.

    Largest-remainder method: everyone gets the rounded-down share, then the leftover minor
    units go one each to the largest remainders, the earlier weight winning a tie (callers
    pass weights in a canonical order, so the result never depends on line order).
    """
    unit = minor_unit(currency)
    weight_sum = sum(weights, ZERO)
    if total == ZERO or weight_sum == ZERO:
        return [ZERO.quantize(unit) for _ in weights]
    exact = [total * weight / weight_sum for weight in weights]
    shares = [share.quantize(unit, rounding=ROUND_DOWN) for share in exact]
    leftover = int((total - sum(shares, ZERO)) / unit)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[:leftover]:
        shares[i] += unit
    return shares


def distribute(total: Decimal, exact: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Round each of `exact` (any sign, summing to about `total`) to the minor unit so that
    the rounded values add up to `total` exactly: each is rounded half up, then the few
    minor units still missing (or in excess) go to the values rounding moved furthest,
    the earlier one winning a tie."""
    unit = minor_unit(currency)
    shares = [quantize_money(value, currency) for value in exact]
    missing = int((total - sum(shares, ZERO)) / unit)
    if missing:
        step = unit if missing > 0 else -unit
        # Values rounded down the most get the next unit up first (and the reverse).
        order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]) * step, i))
        for i in order[: abs(missing)]:
            shares[i] += step
    return shares
