"""One invoice (its header and its lines) as CSV or XLSX.

The invoice lists reuse `documents/list_exports.py` (the API's); this adds the per-invoice sheet.
Text cells go through `documents.list_exports.neutralize`, so a client or line description that
starts with "=", "+", "-", "@", a tab or a carriage return is shown as text, never run as a
formula; amounts and quantities stay numbers.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from documents.list_exports import neutralize
from invoices import allowance_display
from invoices.models import Invoice
from invoices.money import quantize_money

LINE_HEADER = [
    "Position",
    "Description",
    "Quantity",
    "Unit",
    "Unit price",
    "Discount",
    "Taxes",
    "Amount",
    "Allowances and charges",
]


def _signed(item: dict[str, Any], currency: str) -> Decimal:
    """An allowance as a negative amount, a charge as a positive one."""
    amount = quantize_money(item["amount"], currency)
    return amount if item["charge"] else -amount


def _header_rows(invoice: Invoice) -> list[list[Any]]:
    client = invoice.client_snapshot.get("name") if invoice.client_snapshot else invoice.client.name
    money = lambda value: quantize_money(value, invoice.currency)  # noqa: E731
    return [
        ["Number", invoice.number or f"draft-{invoice.public_id}"],
        ["Kind", invoice.kind],
        ["Status", invoice.status],
        ["Client", client],
        ["Currency", invoice.currency],
        ["Issue date", invoice.issue_date],
        ["Due date", invoice.due_date],
        ["Buyer reference", invoice.buyer_reference],
        ["Subtotal", money(invoice.subtotal)],
        ["Discount", money(invoice.discount_amount)],
        # The invoice's own allowances (negative) and charges (positive), each by its reason.
        *(
            [
                f"{'Charge' if item['charge'] else 'Allowance'}: {item['label']}",
                _signed(item, invoice.currency),
            ]
            for item in allowance_display.document_items(invoice)
        ),
        ["Tax", money(invoice.tax_total)],
        ["Total", money(invoice.total)],
        ["Balance due", money(invoice.balance_due)],
    ]


def _line_rows(invoice: Invoice) -> list[list[Any]]:
    rows = []
    by_line = allowance_display.line_items(invoice)
    for line in invoice.lines.all():
        taxes = ", ".join(
            f"{link.tax_rate.name} {link.tax_rate.percentage.normalize():f}%"
            for link in line.line_taxes.all()
        )
        rows.append(
            [
                line.position,
                line.description,
                line.quantity.normalize(),
                line.unit,
                quantize_money(line.unit_price, invoice.currency),
                quantize_money(line.discount, invoice.currency),
                taxes,
                quantize_money(line.net_amount, invoice.currency),
                "; ".join(
                    f"{item['label']} {_signed(item, invoice.currency):+f}"
                    for item in by_line.get(line.pk, [])
                ),
            ]
        )
    return rows


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return neutralize(str(value))


def invoice_csv(invoice: Invoice) -> str:
    """The header as "field,value" rows, a blank row, then the lines with their own header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in _header_rows(invoice):
        writer.writerow([_text(value) for value in row])
    writer.writerow([])
    writer.writerow(LINE_HEADER)
    for row in _line_rows(invoice):
        writer.writerow([_text(value) for value in row])
    return buffer.getvalue()


def invoice_xlsx(invoice: Invoice) -> bytes:
    """Two sheets: "Invoice" (field, value) and "Lines"; numbers and dates typed."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)

    def cells(sheet: Any, row: list[Any]) -> list[Any]:
        out = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=neutralize(value) if isinstance(value, str) else value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif isinstance(value, Decimal):
                cell.number_format = "0.00##"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            out.append(cell)
        return out

    header = workbook.create_sheet("Invoice")
    for row in _header_rows(invoice):
        header.append(cells(header, row))
    lines = workbook.create_sheet("Lines")
    lines.append(LINE_HEADER)
    for row in _line_rows(invoice):
        lines.append(cells(lines, row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
