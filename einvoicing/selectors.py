"""Reads of the e-invoicing app: the workspace's received invoices."""

from __future__ import annotations

from django.db.models import QuerySet

from einvoicing.model import Invoice
from einvoicing.models import ReceivedInvoice
from einvoicing.receive import read_model


def received_invoices_list() -> QuerySet[ReceivedInvoice]:
    """The current workspace's received invoices, newest first."""
    return ReceivedInvoice.objects.all()


def received_invoice_model(row: ReceivedInvoice) -> Invoice:
    """The invoice as our model (seller, buyer, lines, VAT, totals, payment), read again from
    the stored XML; its rule results are on the row."""
    return read_model(row.xml.encode("utf-8"))
