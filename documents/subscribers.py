"""Documents' subscriptions to the outbox (events/): an invoice's PDF follows its content.

A payment, a credit note or a void changes what the invoice's PDF says (the balance due, the
void stamp): its content version moves on and the old file stops being the current one. When a
PDF had been made, a new one is rendered at once (documents.services.document_refresh), so the
member and the client find the file up to date instead of "Not generated".
"""

from __future__ import annotations

from typing import Any

from events.registry import Event, subscribe
from invoices.events import INVOICE_CREDITED, INVOICE_VOIDED, PAYMENT_RECEIVED


def _had_a_file(topic: str, payload: dict[str, Any]) -> bool:
    # Asked when the event is recorded, in its transaction: most invoices never had a PDF made,
    # and their payments then cost no delivery row and no dispatch.
    from documents.models import DocumentStatus, InvoiceDocument

    return InvoiceDocument.objects.filter(
        invoice__public_id=payload["invoice"]["id"], status=DocumentStatus.READY
    ).exists()


@subscribe(PAYMENT_RECEIVED, INVOICE_CREDITED, INVOICE_VOIDED, name="documents.refresh", wants=_had_a_file)
def refresh_document(event: Event) -> None:
    from documents.services import document_refresh

    document_refresh(invoice=event.payload["invoice"]["id"])
