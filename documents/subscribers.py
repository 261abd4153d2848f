"""Documents' subscriptions to the outbox (events/): an invoice's PDF follows its content.

A payment, a credit note or a void changes what the invoice's PDF says (the balance due, the
void stamp): its content version moves on and the old file stops being the current one. When a
PDF had been made, a new one is rendered at once (documents.services.document_refresh), so the
member and the client find the file up to date instead of "Not generated".
"""

from __future__ import annotations

from events.registry import Event, subscribe
from invoices.events import INVOICE_CREDITED, INVOICE_VOIDED, PAYMENT_RECEIVED


@subscribe(PAYMENT_RECEIVED, INVOICE_CREDITED, INVOICE_VOIDED, name="documents.refresh")
def refresh_document(event: Event) -> None:
    from documents.services import document_refresh

    document_refresh(invoice=event.payload["invoice"]["id"])
