"""Invoices a document is linked with, asked of the apps above that know them.

A credit note's credited invoice is the domain's own (`Invoice.credit_note_for`). The deposit,
progress and final invoices made from one quote are linked by the quotes app, which registers
a provider here (`quotes/apps.py`), so the domain and the documents app (the PDF, the
e-invoice's preceding-invoice reference, EN 16931 BG-3/BT-25) show them without importing quotes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from invoices.models import Invoice, InvoiceStatus


@dataclass(frozen=True)
class LinkedInvoice:
    invoice: Invoice
    # What the other document is, for people ("Deposit invoice", "Final invoice"): a lazily
    # translated text, rendered in the document's language.
    label: Any
    # Billed before this one in the same chain (a deposit before the final invoice): an
    # EN 16931 preceding invoice of this one.
    precedes: bool


Provider = Callable[[Invoice], list[LinkedInvoice]]

_providers: dict[str, Provider] = {}


def linked_invoices_register(name: str, provider: Provider) -> None:
    """`provider(invoice)` lists the invoices linked with `invoice` (registering again replaces)."""
    _providers[name] = provider


def linked_invoices(invoice: Invoice) -> list[LinkedInvoice]:
    """Every registered app's links of `invoice` (current tenant), drafts and void ones left out.

    Kept on the instance once asked (`documents.render.load_invoice_for_render` asks while
    loading, so templating the document runs no query)."""
    cached = getattr(invoice, "_linked_invoices", None)
    if cached is not None:
        return list(cached)
    found: list[LinkedInvoice] = []
    for provider in list(_providers.values()):
        found.extend(
            link
            for link in provider(invoice)
            if link.invoice.pk != invoice.pk
            and link.invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.VOID)
        )
    # An attribute of our own on the model instance, which the model does not declare.
    invoice._linked_invoices = tuple(found)  # type: ignore[attr-defined]
    return found


def preceding_invoices(invoice: Invoice) -> list[Invoice]:
    """The finalized invoices `invoice` follows (EN 16931 BG-3): a credit note's credited
    invoice; the deposit and progress invoices before a progress or final invoice."""
    preceding: list[Invoice] = []
    if invoice.is_credit_note and invoice.credit_note_for is not None:
        preceding.append(invoice.credit_note_for)
    for link in linked_invoices(invoice):
        if link.precedes and link.invoice.number and all(p.pk != link.invoice.pk for p in preceding):
            preceding.append(link.invoice)
    return preceding
