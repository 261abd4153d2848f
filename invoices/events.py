"""What the invoicing domain announces to the apps above it, through the outbox (events/).

`invoices.services.common.record_event`, the one place timeline rows are written, publishes
the verbs below in the same transaction: a rolled-back change announces nothing, and a
committed one reaches every subscriber even if a worker dies. The domain never names its
subscribers (outgoing webhooks, plan usage, payment receipts register themselves).

Payload of every topic here (JSON: ids and figures as they were at the change):

    {"invoice": {"object": "invoice", "id", "kind", "number", "status", "currency", "total",
                 "balance_due", "issue_date", "due_date", "client"},
     "timeline_event": <the timeline row's id: one row, one event>,
     "details": <what the timeline row says: payment id and source, reason, ...>}
"""

from __future__ import annotations

from typing import Any

from events.services import event_record
from invoices.models import EventVerb, Invoice, InvoiceEvent

INVOICE_CREATED = "invoice.created"
INVOICE_FINALIZED = "invoice.finalized"
INVOICE_SENT = "invoice.sent"
INVOICE_VIEWED = "invoice.viewed"
INVOICE_PAID = "invoice.paid"
INVOICE_VOIDED = "invoice.voided"
INVOICE_CREDITED = "invoice.credited"
# A payment landed on an invoice (by hand, or from a processor: details["source"]).
PAYMENT_RECEIVED = "payment.received"

TOPIC_OF_VERB: dict[str, str] = {
    EventVerb.CREATED: INVOICE_CREATED,
    EventVerb.FINALIZED: INVOICE_FINALIZED,
    EventVerb.SENT: INVOICE_SENT,
    EventVerb.VIEWED: INVOICE_VIEWED,
    EventVerb.PAID: INVOICE_PAID,
    EventVerb.VOIDED: INVOICE_VOIDED,
    EventVerb.CREDITED: INVOICE_CREDITED,
    EventVerb.PAYMENT_RECORDED: PAYMENT_RECEIVED,
}


def invoice_summary(invoice: Invoice) -> dict[str, Any]:
    return {
        "object": "invoice",
        "id": invoice.public_id,
        "kind": invoice.kind,
        "number": invoice.number,
        "status": invoice.status,
        "currency": invoice.currency,
        "total": str(invoice.total),
        "balance_due": str(invoice.balance_due),
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "client": invoice.client.public_id if invoice.client_id else None,
    }


def timeline_event_publish(event: InvoiceEvent) -> None:
    """Announce a timeline row whose verb others listen to, in the current transaction."""
    topic = TOPIC_OF_VERB.get(str(event.verb))
    if topic is None:
        return
    event_record(
        topic=topic,
        payload={
            "invoice": invoice_summary(event.invoice),
            "timeline_event": event.pk,
            "details": event.data,
        },
    )
