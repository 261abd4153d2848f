"""A draft's old invoice-wide discount (`discount_type`/`discount_value`) as allowance rows.

The builder edits document-level allowances and charges; a draft saved before still carries
the older discount, which the engine turns into one "Discount" allowance per rate group at
calculation time (`invoices/calculation/legacy.py`). The builder shows that discount as the
allowance rows it amounts to, and saves them as rows (with the old discount cleared), so no
draft loses its discount and the totals stay the same to the cent:

- one rate group and a percentage: one row with that percentage (of the lines' total, which
  is then the subtotal the old discount applied to);
- otherwise: one amount row per rate group, each with exactly the share the engine gave it.
"""

from __future__ import annotations

from collections.abc import Hashable

from invoices.models import DiscountType, Invoice, TaxRate
from invoices.prefetch import prefetch_lines
from invoices.services.allowances import AllowanceChargeData
from invoices.services.lines import LineData, calculate_totals, parse_lines

DISCOUNT_REASON_CODE = "95"  # UNTDID 5189: Discount


def draft_discount_as_allowances(invoice: Invoice) -> list[AllowanceChargeData]:
    """The allowances a draft's old discount amounts to (none when it has no discount)."""
    if not invoice.discount_value:
        return []
    parsed = parse_lines([LineData.from_line(line) for line in prefetch_lines(invoice)], invoice.currency)
    groups = {frozenset(rate.pk for rate in line.rates) for line in parsed}
    rates: dict[Hashable, TaxRate] = {rate.pk: rate for line in parsed for rate in line.rates}
    if invoice.discount_type == DiscountType.PERCENT and len(groups) == 1:
        (only,) = groups
        return [
            AllowanceChargeData(
                percentage=invoice.discount_value,
                reason_code=DISCOUNT_REASON_CODE,
                tax_rates=[rates[key] for key in sorted(only)],
            )
        ]
    totals = calculate_totals(parsed, invoice.currency, invoice.discount_type, invoice.discount_value)
    return [
        AllowanceChargeData(
            amount=result.amount,
            reason_code=DISCOUNT_REASON_CODE,
            tax_rates=[rates[rate.key] for rate in result.source.rates],
        )
        for result in totals.document_allowances_charges
    ]
