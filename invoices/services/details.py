"""What a draft's writes share: the EN 16931 header fields, the document-level allowances
and charges (given or stored), and the one path to the totals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from core.errors import ApplicationError
from invoices import limits
from invoices.calculation import Totals
from invoices.models import Invoice
from invoices.services.allowances import (
    AllowanceChargeData,
    ParsedAllowanceCharge,
    document_rows,
    parse_allowances_charges,
)
from invoices.services.lines import calculate_totals, parse_cash_rounding, parse_prepaid

REFERENCE_FIELDS = ("contract_reference", "project_reference", "order_reference")
DETAIL_FIELDS = (*REFERENCE_FIELDS, "period_start", "period_end", "prepaid_amount", "cash_rounding")


def apply_details(invoice: Invoice, details: Mapping[str, Any]) -> None:
    """The EN 16931 header fields given (None keeps a draft's value), checked."""
    unknown = set(details) - set(DETAIL_FIELDS)
    if unknown:
        raise TypeError(f"Unknown invoice fields: {', '.join(sorted(unknown))}")
    for name in REFERENCE_FIELDS:
        if details.get(name) is not None:
            setattr(invoice, name, details[name].strip()[: limits.REFERENCE_MAX])
    for name in ("period_start", "period_end"):
        if name in details:
            setattr(invoice, name, details[name])
    if invoice.period_start and invoice.period_end and invoice.period_end < invoice.period_start:
        raise ApplicationError(_("The period ends before it starts."), field="period_end")
    if details.get("prepaid_amount") is not None:
        invoice.prepaid_amount = parse_prepaid(details["prepaid_amount"], invoice.currency)
    if "cash_rounding" in details:
        invoice.cash_rounding = parse_cash_rounding(details["cash_rounding"], invoice.currency)


def totals_of(
    invoice: Invoice, parsed: list[Any], discount: Decimal, document: Sequence[ParsedAllowanceCharge]
) -> Totals:
    """The one path to an invoice's totals: its lines, its allowances and charges (today's
    discount among them, on drafts the builder edits), prepaid amount and rounding."""
    return calculate_totals(
        parsed,
        invoice.currency,
        invoice.discount_type,
        discount,
        prepaid_amount=invoice.prepaid_amount,
        cash_rounding=invoice.cash_rounding,
        allowances_charges=document,
    )


def document_items(
    invoice: Invoice, given: Sequence[AllowanceChargeData | Mapping[str, Any]] | None
) -> list[ParsedAllowanceCharge]:
    """The invoice's document-level allowances and charges: `given`, or (None) the stored ones."""
    if given is None:
        given = (
            []
            if invoice.pk is None
            else [AllowanceChargeData.from_row(row) for row in document_rows(invoice)]
        )
    return parse_allowances_charges(
        list(given), invoice.currency, prefix=("allowances_charges",), document=True
    )
