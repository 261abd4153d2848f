"""What the invoice documents (the pages' `_document.html` and the PDF) print of allowances,
charges and exemptions, shared so both say the same.

- The invoice's own allowances and charges, one row per reason and percentage: today's
  discount, split per rate group in the data (one allowance per VAT rate), prints once.
- A line's allowances and charges, beside the line.
- Each exemption: its text (BT-120) and VATEX code (BT-121) side by side.

Labels are the reason as entered, or the code's published name when only a code was given.
Amounts stay Decimals: each rendering formats them its own way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from invoices import codelists, vat
from invoices.models import AllowanceCharge, Invoice
from invoices.services.allowances import rows_of as rows_of


def label(row: AllowanceCharge) -> str:
    if row.reason:
        return row.reason
    codes = codelists.charge_reasons() if row.charge else codelists.allowance_reasons()
    return codes.name(row.reason_code) if row.reason_code in codes else row.reason_code


def _item(row: AllowanceCharge, amount: Decimal) -> dict[str, Any]:
    return {"charge": row.charge, "label": label(row), "percentage": row.percentage, "amount": amount}


def document_items(invoice: Invoice) -> list[dict[str, Any]]:
    """The invoice's own allowances and charges to print, merged by (kind, label, percentage)."""
    merged: dict[tuple[bool, str, Decimal | None], tuple[AllowanceCharge, Decimal]] = {}
    for row in rows_of(invoice):
        if row.line_id is None:
            key = (row.charge, label(row), row.percentage)
            first, total = merged.get(key, (row, Decimal(0)))
            merged[key] = (first, total + row.amount)
    return [_item(row, total) for row, total in merged.values()]


def line_items(invoice: Invoice) -> dict[int, list[dict[str, Any]]]:
    """Each line's allowances and charges (by line pk), read with the invoice's in two queries."""
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows_of(invoice):
        if row.line_id is not None:
            found[row.line_id].append(_item(row, row.amount))
    return found


def exemption_texts(tax_totals: Iterable[Any]) -> list[str]:
    """ "Reverse charge (VATEX-EU-AE)": the text and the code of each exemption, once each."""
    texts = set()
    for tax in tax_totals:
        text, code = tax.exemption_reason, getattr(tax, "exemption_code", "")
        if code and not text and code in vat.vatex():
            text = vat.exemption_reason_text(code)
        if text or code:
            texts.add(f"{text} ({code})" if text and code else text or code)
    return sorted(texts)
