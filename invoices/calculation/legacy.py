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
    groups: Sequence[tuple[tuple[RateInput, ...], Decimal]],
    currency: str,
    *,
    amount: Decimal | None = None,
    percent: Decimal | None = None,
) -> list[AllowanceCharge]:
    """One "Discount" allowance per rate group carrying a share of today's discount.

    `groups` are (rates, sum of the group's line amounts) in the engine's canonical order
    (`engine.rate_groups` makes them from lines). Refuses a discount below zero or above the
    subtotal, as before.
    """
    subtotal = sum((group_amount for _, group_amount in groups), ZERO)
    total = legacy_discount_amount(subtotal, currency, amount=amount, percent=percent)
    if total < ZERO or total > subtotal:
        raise CalculationError("The discount cannot exceed the subtotal.", field="discount")
    shares = allocate(total, [max(group_amount, ZERO) for _, group_amount in groups], currency)
    return [discount(share, rates) for (rates, _), share in zip(groups, shares, strict=True) if share]
