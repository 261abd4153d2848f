"""Quote events reach webhook endpoints through the outbox, signed, one per timeline row."""

from __future__ import annotations

import json

import pytest

from api.webhooks import services as webhooks
from api.webhooks.tests.conftest import receiver as receiver  # a real HTTP receiver on loopback
from invoices.tests.factories import ClientFactory
from quotes import services
from quotes.tests.factories import make_quote
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def test_quote_sent_and_accepted_are_webhook_events(
    tenant,
    owner_membership,
    receiver,
    django_capture_on_commit_callbacks,
    settings,
) -> None:
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    with tenant_scope(tenant):
        webhooks.webhook_endpoint_create(
            actor=owner_membership, url=receiver.url, events=["quote.sent", "quote.accepted"]
        )
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        quote = make_quote(actor=owner_membership, client=ClientFactory(), send=True)
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        services.quote_accept(quote_pk=quote.pk, name="Paul Martin", ip="203.0.113.5")
    events = [json.loads(request.body) for request in receiver.requests]
    assert [event["type"] for event in events] == ["quote.sent", "quote.accepted"]
    assert {event["data"]["id"] for event in events} == {quote.public_id}
    assert events[1]["data"]["status"] == "accepted"
    assert events[0]["data"]["number"] == quote.number
