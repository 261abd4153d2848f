"""Reads for quotes, in the current workspace's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from invoices.models import Invoice
from invoices.related import LinkedInvoice
from quotes.models import BillingKind, Quote, QuoteInvoice, QuoteStatus


def quote_get(*, public_id: str) -> Quote | None:
    return Quote.objects.select_related("client", "contact").filter(public_id=public_id).first()


def quote_list(*, status: str = "", client_id: int | None = None) -> QuerySet[Quote]:
    quotes = Quote.objects.select_related("client")
    if status in QuoteStatus.values:
        quotes = quotes.filter(status=status)
    if client_id is not None:
        quotes = quotes.filter(client_id=client_id)
    return quotes.order_by("-issue_date", "-pk")


def quote_billings(*, quote: Quote) -> list[QuoteInvoice]:
    return list(
        QuoteInvoice.objects.filter(quote=quote).select_related("invoice").order_by("created_at", "pk")
    )


def invoice_quote_links(*, invoice: Invoice) -> tuple[QuoteInvoice | None, list[QuoteInvoice]]:
    """The quote an invoice was made from (its link) and the other invoices of that quote."""
    link = QuoteInvoice.objects.select_related("quote").filter(invoice=invoice).first()
    if link is None:
        return None, []
    others = [b for b in quote_billings(quote=link.quote) if b.invoice_id != invoice.pk]
    return link, others


EARLIER_KINDS = (BillingKind.DEPOSIT, BillingKind.PROGRESS)


def linked_invoices_of_quote(invoice: Invoice) -> list[LinkedInvoice]:
    """The other invoices of the quote `invoice` was made from (registered with
    `invoices.related`): a deposit or progress invoice made before this one precedes it."""
    link, others = invoice_quote_links(invoice=invoice)
    if link is None:
        return []
    order = (link.created_at, link.pk)
    return [
        LinkedInvoice(
            invoice=other.invoice,
            label=BillingKind(other.kind).label,
            precedes=other.kind in (BillingKind.DEPOSIT, BillingKind.PROGRESS)
            and (other.created_at, other.pk) < order,
        )
        for other in others
    ]
