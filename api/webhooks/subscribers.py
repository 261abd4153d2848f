"""Outgoing webhooks subscribe to the events the lower apps record in the outbox (events/).

The invoicing domain announces its timeline (invoices/events.py) and the documents pipeline a
ready document; each becomes one webhook event per subscribed endpoint. The webhook event's id
is derived from the source row (the timeline row, the document's version), so handling an
outbox event again, or the same row announced twice, reaches each endpoint once.
"""

from __future__ import annotations

from typing import Any

from api.webhooks.models import EventType, WebhookEndpoint
from api.webhooks.services import event_id_for, webhook_event_emit
from documents import events as document_events
from events.registry import Event, subscribe
from invoices import events as invoice_events
from quotes import topics as quote_events
from tenants.scoping import current_tenant

INVOICE_TOPICS = {
    invoice_events.INVOICE_CREATED: EventType.INVOICE_CREATED,
    invoice_events.INVOICE_FINALIZED: EventType.INVOICE_FINALIZED,
    invoice_events.INVOICE_SENT: EventType.INVOICE_SENT,
    invoice_events.INVOICE_VIEWED: EventType.INVOICE_VIEWED,
    invoice_events.INVOICE_PAID: EventType.INVOICE_PAID,
    invoice_events.INVOICE_VOIDED: EventType.INVOICE_VOIDED,
}

# A quote's timeline (quotes/topics.py): one webhook event per timeline row.
QUOTE_TOPICS = {
    quote_events.QUOTE_SENT: EventType.QUOTE_SENT,
    quote_events.QUOTE_VIEWED: EventType.QUOTE_VIEWED,
    quote_events.QUOTE_ACCEPTED: EventType.QUOTE_ACCEPTED,
    quote_events.QUOTE_DECLINED: EventType.QUOTE_DECLINED,
    quote_events.QUOTE_EXPIRED: EventType.QUOTE_EXPIRED,
    quote_events.QUOTE_CONVERTED: EventType.QUOTE_CONVERTED,
}
TOPICS = {**INVOICE_TOPICS, **QUOTE_TOPICS}


def _an_endpoint_listens(topic: str, payload: dict[str, Any]) -> bool:
    """Most workspaces have no endpoint: one query here spares the outbox rows and the task
    of every event they record (measured for PDFs in bench/pdf_render.py)."""
    wanted = TOPICS.get(topic, EventType.DOCUMENT_READY)
    return any(endpoint.subscribes_to(wanted) for endpoint in WebhookEndpoint.objects.filter(is_active=True))


@subscribe(*TOPICS, document_events.DOCUMENT_READY, name="webhooks.emit", wants=_an_endpoint_listens)
def emit_webhook_event(event: Event) -> None:
    tenant = current_tenant()
    if event.topic == document_events.DOCUMENT_READY:
        source = f"document_ready:{event.payload['document_version']}"
        webhook_event_emit(
            tenant=tenant,
            type=EventType.DOCUMENT_READY,
            data=event.payload["document"],
            event_id=event_id_for(tenant, source),
        )
        return
    if event.topic in QUOTE_TOPICS:
        webhook_event_emit(
            tenant=tenant,
            type=QUOTE_TOPICS[event.topic],
            data=event.payload["quote"],
            event_id=event_id_for(tenant, f"quote_event:{event.payload['timeline_event']}"),
        )
        return
    source = f"invoice_event:{event.payload['timeline_event']}"
    webhook_event_emit(
        tenant=tenant,
        type=INVOICE_TOPICS[event.topic],
        data=event.payload["invoice"],
        event_id=event_id_for(tenant, source),
    )
