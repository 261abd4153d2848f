"""What quotes announce through the outbox (events/), in the transaction of the change.

Payload: {"quote": <quote_summary>, "timeline_event": <QuoteEvent id>, "details": {...}}.
Outgoing webhooks subscribe (api/webhooks/subscribers.py).
"""

from __future__ import annotations

from typing import Any

from events.services import event_record
from quotes.models import Quote, QuoteEvent, QuoteEventVerb

QUOTE_CREATED = "quote.created"
QUOTE_SENT = "quote.sent"
QUOTE_VIEWED = "quote.viewed"
QUOTE_ACCEPTED = "quote.accepted"
QUOTE_DECLINED = "quote.declined"
QUOTE_EXPIRED = "quote.expired"
QUOTE_CONVERTED = "quote.converted"

TOPIC_OF_VERB: dict[str, str] = {
    QuoteEventVerb.CREATED: QUOTE_CREATED,
    QuoteEventVerb.SENT: QUOTE_SENT,
    QuoteEventVerb.VIEWED: QUOTE_VIEWED,
    QuoteEventVerb.ACCEPTED: QUOTE_ACCEPTED,
    QuoteEventVerb.DECLINED: QUOTE_DECLINED,
    QuoteEventVerb.EXPIRED: QUOTE_EXPIRED,
    QuoteEventVerb.CONVERTED: QUOTE_CONVERTED,
}
TOPICS = tuple(TOPIC_OF_VERB.values())


def quote_summary(quote: Quote) -> dict[str, Any]:
    return {
        "object": "quote",
        "id": quote.public_id,
        "number": quote.number,
        "status": quote.status,
        "currency": quote.currency,
        "total": str(quote.total),
        "issue_date": quote.issue_date.isoformat(),
        "valid_until": quote.valid_until.isoformat(),
        "client": quote.client.public_id,
    }


def quote_event_publish(event: QuoteEvent) -> None:
    topic = TOPIC_OF_VERB.get(str(event.verb))
    if topic is None:
        return
    event_record(
        topic=topic,
        payload={"quote": quote_summary(event.quote), "timeline_event": event.pk, "details": event.data},
    )
