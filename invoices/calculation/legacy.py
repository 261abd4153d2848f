"""Today's invoice discount as EN 16931 document-level allowances.

Until now an invoice had one discount (an amount, or a percentage of the subtotal rounded
once) spread over every rate group in proportion to its amount, in whole minor units by the
largest-remainder method. EN 16931 ties each document-level allowance to one VAT category
and rate, so that discount becomes one allowance per rate group, with exactly the share the
old engine gave it: the same bases, the same taxes, the same totals, for stored invoices
(the migration calls this) and for callers still passing a discount.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from invoices.calculation.allocation import allocate
from invoices.calculation.inputs import AllowanceCharge, CalculationError, RateInput, discount
from invoices.money import HUNDRED, ZERO, quantize_money, reject_float


def legacy_discount_amount(
    subtotal: Decimal, currency: str, *, amount: Decimal | None = None, percent: Decimal | None = None
) -> Decimal:
    """The invoice-level discount: a fixed amount, or a percentage of the subtotal rounded once."""
    if amount is not None and percent is not None:
        raise ValueError("Give a discount amount or a percentage, not both.")
    reject_float(amount)
    reject_float(percent)
    if percent is not None:
        return quantize_money(subtotal * percent / HUNDRED, currency)
    return quantize_money(amount if amount is not None else ZERO, currency)


def legacy_discount_allowances(
    lines: Sequence[tuple[tuple[RateInput, ...], Decimal]],
    currency: str,
    *,
    amount: Decimal | None = None,
    percent: Decimal | None = None,
) -> list[AllowanceCharge]:
    """One "Discount" allowance per rate group carrying a share of today's discount.

    `lines` are (rates, line amount) pairs. Refuses a discount below zero or above the
    subtotal, as before.
    """
    from invoices.calculation.engine import group_key, sort_key

    subtotal = sum((line_amount for _, line_amount in lines), ZERO)
    total = legacy_discount_amount(subtotal, currency, amount=amount, percent=percent)
    if total < ZERO or total > subtotal:
        raise CalculationError("The discount cannot exceed the subtotal.", field="discount")
    groups: dict[tuple[str, ...], tuple[tuple[RateInput, ...], Decimal]] = {}
    for rates, line_amount in lines:
        key = group_key(rates)
        ordered = tuple(sorted(rates, key=lambda rate: sort_key(rate.key)))
        groups[key] = (ordered, groups.get(key, (ordered, ZERO))[1] + line_amount)
    ordered_groups = sorted(groups.items())
    shares = allocate(total, [max(group_amount, ZERO) for _, (_, group_amount) in ordered_groups], currency)
    return [
        discount(share, rates) for (_, (rates, _)), share in zip(ordered_groups, shares, strict=True) if share
    ]
