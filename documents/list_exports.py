"""Invoice lists as CSV and XLSX: one set of columns for the API, the web pages and documents.

Cells that a spreadsheet would run as a formula are neutralised as OWASP's "CSV Injection"
page advises: a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
leading single quote, so Excel/LibreOffice show it as text instead of evaluating
`=HYPERLINK(...)` from a client's name. Only text we did not produce is touched: amounts
and dates are written as numbers and dates (in XLSX) or as their plain text (in CSV), so a
negative amount stays a number. In XLSX, strings are also stored explicitly as strings
(openpyxl would otherwise store a leading `=` as a formula).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from invoices.models import Invoice
from invoices.money import quantize_money

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralize(value: str) -> str:
    """A text cell that cannot start a formula (OWASP CSV injection)."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


@dataclass(frozen=True)
class Column:
    header: str
    attribute: str
    money: bool = False


INVOICE_COLUMNS: tuple[Column, ...] = (
    Column("Number", "number"),
    Column("Kind", "kind"),
    Column("Status", "status"),
    Column("Client", "client.name"),
    Column("Client id", "client.public_id"),
    Column("Invoice id", "public_id"),
    Column("Currency", "currency"),
    Column("Issue date", "issue_date"),
    Column("Due date", "due_date"),
    Column("Subtotal", "subtotal", money=True),
    Column("Discount", "discount_amount", money=True),
    Column("Tax", "tax_total", money=True),
    Column("Total", "total", money=True),
    Column("Paid", "amount_paid", money=True),
    Column("Credited", "amount_credited", money=True),
    Column("Balance due", "balance_due", money=True),
    Column("Buyer reference", "buyer_reference"),
)


def _value(invoice: Invoice, column: Column) -> Any:
    value: Any = invoice
    for part in column.attribute.split("."):
        value = getattr(value, part)
    if column.money:
        return quantize_money(value, invoice.currency)
    return "" if value is None else value


def invoice_rows(invoices: Iterable[Invoice]) -> Iterator[list[Any]]:
    """Typed cells (str, Decimal, date) per invoice, in INVOICE_COLUMNS order."""
    for invoice in invoices:
        yield [_value(invoice, column) for column in INVOICE_COLUMNS]


def _iterate(invoices: QuerySet[Invoice] | Iterable[Invoice]) -> Iterable[Invoice]:
    if isinstance(invoices, QuerySet):
        return invoices.select_related("client").iterator(chunk_size=2000)
    return invoices


def _csv_cell(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date | datetime):
        return value.isoformat()
    return neutralize(str(value))


def invoices_csv(invoices: QuerySet[Invoice] | Iterable[Invoice]) -> str:
    """The whole CSV (UTF-8 text, a header row, RFC 4180 quoting)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.header for column in INVOICE_COLUMNS])
    for row in invoice_rows(_iterate(invoices)):
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue()


def invoices_xlsx(invoices: QuerySet[Invoice] | Iterable[Invoice], *, title: str = "Invoices") -> bytes:
    """An XLSX workbook with one sheet; amounts are numbers, dates are dates."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=neutralize(title)[:31] or "Invoices")
    sheet.append([column.header for column in INVOICE_COLUMNS])
    for row in invoice_rows(_iterate(invoices)):
        cells = []
        for value in row:
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=neutralize(value))
                # A string, explicitly: openpyxl infers a formula from a leading "=".
                cell.data_type = "s"
            else:
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, Decimal):
                    cell.number_format = "0.00##"
                elif isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
