"""Whether an invoice's stored lines, taxes and totals already say what the engine computed
(so that finalizing a 5,000-line draft does not rewrite it), and the rates they name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from invoices.calculation import Totals
from invoices.models import Invoice, InvoiceLine, InvoiceTaxTotal, TaxRate
from invoices.services.allowances import ParsedAllowanceCharge

if TYPE_CHECKING:
    from invoices.services.lines import _ParsedLine


def rates_of(parsed: Sequence[_ParsedLine], document: Sequence[ParsedAllowanceCharge]) -> dict[Any, TaxRate]:
    rates = {rate.pk: rate for line in parsed for rate in line.rates}
    rates.update({rate.pk: rate for item in document for rate in item.rates})
    return rates


def stored_totals_match(
    invoice: Invoice,
    stored: Sequence[InvoiceLine],
    parsed: Sequence[_ParsedLine],
    totals: Totals,
    document: Sequence[ParsedAllowanceCharge] = (),
) -> bool:
    """Whether the invoice's stored lines and totals are already what `totals` says, so that
    storing them again would write the same rows. An invoice with allowances or charges of
    its own is always written again (they are few; their amounts are compared nowhere else)."""
    if document or any(line.allowances_charges for line in parsed):
        return False
    if [line.net_amount for line in stored] != list(totals.line_amounts):
        return False
    own = (invoice.subtotal, invoice.discount_amount, invoice.tax_total, invoice.total)
    if own != (totals.subtotal, totals.discount, totals.tax_total, totals.total):
        return False
    if (invoice.prepaid_amount, invoice.rounding_amount, invoice.amount_due) != (
        totals.prepaid_amount,
        totals.rounding_amount,
        totals.amount_due,
    ):
        return False
    rates = rates_of(parsed, document)
    computed = [
        (
            tax.rate.key,
            rates[tax.rate.key].name,
            tax.rate.percentage,
            tax.rate.inclusive,
            tax.rate.compound,
            rates[tax.rate.key].category,
            rates[tax.rate.key].exemption_reason,
            rates[tax.rate.key].exemption_code,
            tax.taxable_base,
            tax.tax_amount,
        )
        for tax in totals.taxes
    ]
    kept = [
        (
            tax.tax_rate_id,
            tax.name,
            tax.percentage,
            tax.inclusive,
            tax.compound,
            tax.category,
            tax.exemption_reason,
            tax.exemption_code,
            tax.taxable_base,
            tax.tax_amount,
        )
        for tax in InvoiceTaxTotal.objects.filter(invoice=invoice).order_by("position", "pk")
    ]
    return computed == kept
