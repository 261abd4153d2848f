"""EN 16931's arithmetic rules (BR-CO-*, BR-<category>-08) applied to a model's figures.

The model carries totals computed elsewhere (the money engine); this says which rule an
inconsistent model breaks before any XML is written, in the standard's own rule ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from babel.numbers import get_currency_precision

if TYPE_CHECKING:
    from einvoicing.model import Invoice, TotalsIssue

ZERO = Decimal(0)
# The official rules accept a line amount within 0.02 of quantity x price (PEPPOL-EN16931-R120)
# and a VAT amount within one currency unit of base x rate (BR-CO-17), which leaves room for
# a money engine that rounds per line.
LINE_SLACK = Decimal("0.02")
VAT_SLACK = Decimal(1)


def _sum(values: Iterable[Decimal | None]) -> Decimal:
    return sum((v for v in values if v is not None), ZERO)


def _round(amount: Decimal, places: int) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def check_totals(invoice: Invoice) -> list[TotalsIssue]:
    from einvoicing.model import TotalsIssue

    issues: list[TotalsIssue] = []

    def expect(rule: str, actual: Decimal | None, expected: Decimal, what: str) -> None:
        if (actual or ZERO) != expected:
            issues.append(TotalsIssue(rule, f"{what} is {actual or ZERO}, the figures give {expected}."))

    totals = invoice.totals
    allowances = [ac for ac in invoice.allowances_charges if not ac.is_charge]
    charges = [ac for ac in invoice.allowances_charges if ac.is_charge]
    line_total = _sum(line.net_amount for line in invoice.lines)
    expect("BR-CO-10", totals.line_total, line_total, "The sum of line net amounts (BT-106)")
    expect("BR-CO-11", totals.allowance_total, _sum(a.amount for a in allowances), "Allowances (BT-107)")
    expect("BR-CO-12", totals.charge_total, _sum(c.amount for c in charges), "Charges (BT-108)")
    tax_exclusive = totals.line_total - (totals.allowance_total or ZERO) + (totals.charge_total or ZERO)
    expect("BR-CO-13", totals.tax_exclusive, tax_exclusive, "The total without VAT (BT-109)")
    vat_sum = _sum(b.tax_amount for b in invoice.vat_breakdown)
    expect("BR-CO-14", totals.tax_total, vat_sum, "The VAT total (BT-110)")
    expect(
        "BR-CO-15",
        totals.tax_inclusive,
        totals.tax_exclusive + totals.tax_total,
        "The total with VAT (BT-112)",
    )
    payable = totals.tax_inclusive - (totals.prepaid or ZERO) + (totals.rounding or ZERO)
    expect("BR-CO-16", totals.payable, payable, "The amount due (BT-115)")
    if not invoice.vat_breakdown:
        issues.append(TotalsIssue("BR-CO-18", "The invoice has no VAT breakdown (BG-23)."))

    for line in invoice.lines:
        base = line.base_quantity or Decimal(1)
        expected = line.quantity * line.net_price / base + _sum(
            ac.signed_amount for ac in line.allowances_charges
        )
        if abs(line.net_amount - expected) > LINE_SLACK:
            issues.append(
                TotalsIssue(
                    "PEPPOL-EN16931-R120",
                    f"Line {line.id}: its net amount (BT-131) is {line.net_amount}, "
                    f"quantity x price ± its allowances and charges give {expected}.",
                )
            )

    for ac in invoice.allowances_charges:
        if ac.base_amount is not None and ac.percentage is not None:
            expected = _round(ac.base_amount * ac.percentage / 100, 2)
            if ac.amount != expected:
                rule = "PEPPOL-EN16931-R041" if ac.is_charge else "PEPPOL-EN16931-R040"
                issues.append(
                    TotalsIssue(rule, f"{ac.reason or ac.reason_code}: {ac.amount} is not {expected}.")
                )

    # BR-S-08, BR-Z-08, BR-E-08, BR-AE-08, BR-IC-08, BR-G-08, BR-O-08: each breakdown's base is
    # the sum of its lines and document allowances/charges of that category and rate.
    bases: dict[tuple[str, Decimal | None], Decimal] = defaultdict(lambda: ZERO)
    for line in invoice.lines:
        bases[(line.vat_category, _norm(line.vat_rate))] += line.net_amount
    for ac in invoice.allowances_charges:
        bases[(ac.vat_category, _norm(ac.vat_rate))] += ac.signed_amount
    declared = {(b.category, _norm(b.rate)): b for b in invoice.vat_breakdown}
    for key, base in bases.items():
        category, rate = key
        rule = f"BR-{'IC' if category == 'K' else category}-08"
        breakdown = declared.get(key)
        if breakdown is None:
            issues.append(TotalsIssue(rule, f"No VAT breakdown for category {category} at {rate}%."))
        elif breakdown.taxable_amount != base:
            issues.append(
                TotalsIssue(
                    rule,
                    f"The taxable amount for category {category} at {rate}% is "
                    f"{breakdown.taxable_amount}, its lines, allowances and charges give {base}.",
                )
            )
    places = get_currency_precision(invoice.currency)
    for breakdown in invoice.vat_breakdown:
        expected = _round(breakdown.taxable_amount * (breakdown.rate or ZERO) / 100, places)
        if abs(breakdown.tax_amount - expected) >= VAT_SLACK:
            issues.append(
                TotalsIssue(
                    "BR-CO-17",
                    f"The VAT for category {breakdown.category} at {breakdown.rate}% is "
                    f"{breakdown.tax_amount}, its base x rate gives {expected}.",
                )
            )
    return issues


def _norm(rate: Decimal | None) -> Decimal | None:
    # 19, 19.0 and 19.00 are one rate.
    return None if rate is None else rate.normalize()
