"""A client's statement of account for a period, in one currency: the opening balance (what
was owed before the period), each document and payment of the period with the running
balance, and the closing balance.

Owed grows with finalized invoices (not void) and refunds of payments; it shrinks with
credit notes (not void), payments and lost disputes. So the closing balance of all time equals
the sum of the invoices' balances due (tested with random histories in
portal/tests/test_statement_properties.py) less the stand-alone credit notes (those against no
invoice, counted once here as a credit, and in `invoices.selectors.client_balances` as `credit`:
they change no invoice's balance).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from documents.render import html_to_pdf
from invoices.models import (
    COUNTED_REFUND_STATUSES,
    Client,
    Dispute,
    DisputeStatus,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    Refund,
)
from invoices.money import ZERO, quantize_money


@dataclass(frozen=True)
class Entry:
    on: date
    kind: str
    reference: str
    debit: Decimal  # adds to what is owed
    credit: Decimal  # takes off it
    balance: Decimal = ZERO


@dataclass(frozen=True)
class Statement:
    client: Client
    currency: str
    start: date
    end: date
    opening: Decimal
    entries: list[Entry]
    closing: Decimal


def _movements(client: Client, currency: str, until: date) -> list[Entry]:
    """Every movement of the client's account in `currency` dated up to `until`, in order."""
    documents = Invoice.objects.filter(client=client, currency=currency, issue_date__lte=until).exclude(
        status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID]
    )
    entries = [
        Entry(doc.issue_date, _("Invoice"), doc.number or "", doc.total, ZERO)
        if doc.kind == InvoiceKind.INVOICE
        else Entry(doc.issue_date, _("Credit note"), doc.number or "", ZERO, doc.total)
        for doc in documents
    ]
    payments = Payment.objects.filter(
        invoice__client=client, currency=currency, paid_on__lte=until
    ).select_related("invoice")
    entries += [
        Entry(p.paid_on, _("Payment"), f"{p.invoice.number} {p.reference}".strip(), ZERO, p.amount)
        for p in payments
    ]
    refunds = Refund.objects.filter(
        invoice__client=client,
        currency=currency,
        status__in=COUNTED_REFUND_STATUSES,
        created_at__date__lte=until,
    ).select_related("invoice")
    entries += [
        Entry(r.created_at.date(), _("Refund"), r.invoice.number or "", r.amount, ZERO) for r in refunds
    ]
    lost = Dispute.objects.filter(
        invoice__client=client, currency=currency, status=DisputeStatus.LOST, created_at__date__lte=until
    ).select_related("invoice")
    entries += [
        Entry(d.created_at.date(), _("Disputed payment"), d.invoice.number or "", d.amount, ZERO)
        for d in lost
    ]
    # Stored amounts carry four decimals; the statement speaks in the currency's minor unit.
    entries = [
        Entry(
            e.on, e.kind, e.reference, quantize_money(e.debit, currency), quantize_money(e.credit, currency)
        )
        for e in entries
    ]
    return sorted(entries, key=lambda entry: (entry.on, entry.credit > 0, entry.reference))


def statement_build(*, client: Client, currency: str, start: date, end: date) -> Statement:
    """In the client's workspace scope. `start` and `end` are inclusive."""
    opening = quantize_money(ZERO, currency)
    entries: list[Entry] = []
    balance = ZERO
    for entry in _movements(client, currency, end):
        if entry.on < start:
            opening += entry.debit - entry.credit
            balance = opening
            continue
        balance += entry.debit - entry.credit
        entries.append(Entry(entry.on, entry.kind, entry.reference, entry.debit, entry.credit, balance))
    closing = opening + sum((e.debit - e.credit for e in entries), ZERO)
    return Statement(client, currency, start, end, opening, entries, closing)


def statement_csv(statement: Statement) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Date"), _("Type"), _("Reference"), _("Debit"), _("Credit"), _("Balance")])
    writer.writerow([statement.start.isoformat(), _("Opening balance"), "", "", "", statement.opening])
    for entry in statement.entries:
        writer.writerow(
            [
                entry.on.isoformat(),
                entry.kind,
                entry.reference,
                entry.debit or "",
                entry.credit or "",
                entry.balance,
            ]
        )
    writer.writerow([statement.end.isoformat(), _("Closing balance"), "", "", "", statement.closing])
    return out.getvalue()


def statement_pdf(statement: Statement, *, seller: str) -> bytes:
    html = render_to_string("portal/pdf/statement.html", {"statement": statement, "seller": seller})
    return html_to_pdf(html)
