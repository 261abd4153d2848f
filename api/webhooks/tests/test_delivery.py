"""Outgoing webhooks delivered to a real HTTP receiver on 127.0.0.1: signed, retried on the
schedule until the receiver answers 2xx, and sent once per event and endpoint."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from api.webhooks import services
from api.webhooks.models import DeliveryStatus, WebhookDelivery
from api.webhooks.signing import HEADER, WebhookSignatureError, signature_header, verify_signature
from api.webhooks.tasks import deliver_due
from documents.events import document_ready_publish
from events.models import OutboxEvent
from invoices import services as invoicing
from invoices.events import timeline_event_publish
from invoices.tests.factories import line, make_invoice
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

ALL = ["invoice.created", "invoice.finalized", "invoice.voided", "invoice.paid"]


def _endpoint(tenant, actor, url, events=ALL):
    with tenant_scope(tenant):
        return services.webhook_endpoint_create(actor=actor, url=url, events=events)


def test_an_invoice_event_reaches_the_receiver_signed(
    tenant, owner_membership, receiver, django_capture_on_commit_callbacks
):
    made = _endpoint(tenant, owner_membership, receiver.url)
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        invoice = make_invoice(actor=owner_membership, lines=[line("Design", "2", "50.00")])
    assert [r.path for r in receiver.requests] == ["/hooks"]
    request = receiver.requests[0]
    assert verify_signature(request.body, request.headers[HEADER], made.secret) is True
    with pytest.raises(WebhookSignatureError):
        verify_signature(request.body, request.headers[HEADER], "whsec_wrong")
    with pytest.raises(WebhookSignatureError):
        verify_signature(request.body.replace(b"invoice", b"invoicX"), request.headers[HEADER], made.secret)
    event = json.loads(request.body)
    assert event["type"] == "invoice.created"
    assert event["data"]["id"] == invoice.public_id
    assert event["tenant"] == tenant.public_id
    assert request.headers["InvoiceFlow-Event-Id"] == event["id"]
    with tenant_scope(tenant):
        delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1
    assert delivery.last_response_status == 200
    assert delivery.last_response_body == '{"ok": true}'


def test_unsubscribed_events_and_rolled_back_changes_send_nothing(
    tenant, owner_membership, receiver, django_capture_on_commit_callbacks
):
    _endpoint(tenant, owner_membership, receiver.url, events=["invoice.voided"])
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        invoice = make_invoice(actor=owner_membership, lines=[line()], finalize=True)
    assert receiver.requests == []
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        invoicing.invoice_void(actor=owner_membership, invoice=invoice, reason="mistake")
    assert [json.loads(r.body)["type"] for r in receiver.requests] == ["invoice.voided"]

    class Boom(Exception):
        pass

    with tenant_scope(tenant):
        other = make_invoice(actor=owner_membership, lines=[line()], finalize=True)

    def void_then_fail() -> None:
        with tenant_scope(tenant):
            invoicing.invoice_void(actor=owner_membership, invoice=other, reason="undone")
            raise Boom  # the void rolls back: nothing is announced

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Boom):
        void_then_fail()
    assert len(receiver.requests) == 1
    with tenant_scope(tenant):
        other.refresh_from_db()
    assert other.status != "void"


def test_signature_tolerance_refuses_an_old_timestamp():
    header = signature_header('{"a":1}', "whsec_x", timestamp=1_000_000)
    assert verify_signature('{"a":1}', header, "whsec_x", now=1_000_100) is True
    with pytest.raises(WebhookSignatureError, match="tolerance"):
        verify_signature('{"a":1}', header, "whsec_x", now=1_000_000 + 301)
    with pytest.raises(WebhookSignatureError):
        verify_signature('{"a":1}', "t=abc,v1=00", "whsec_x")
    with pytest.raises(WebhookSignatureError):
        verify_signature('{"a":1}', None, "whsec_x")


def test_a_receiver_failing_twice_gets_the_event_on_the_third_try(
    tenant, owner_membership, receiver, django_capture_on_commit_callbacks
):
    made = _endpoint(tenant, owner_membership, receiver.url)
    receiver.statuses = [500, 500]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
            make_invoice(actor=owner_membership, lines=[line()])
        with tenant_scope(tenant):
            delivery = WebhookDelivery.objects.get()
        assert delivery.status == DeliveryStatus.PENDING
        assert delivery.attempts == 1
        assert delivery.last_response_status == 500
        assert len(delivery.last_response_body) == services.BODY_KEPT
        assert delivery.next_attempt_at == start + timedelta(minutes=1)
        assert deliver_due() == 0  # not due yet: nothing sent
    assert len(receiver.requests) == 1
    with time_machine.travel(start + timedelta(minutes=1, seconds=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert deliver_due() == 1
        with tenant_scope(tenant):
            delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 2)
        assert delivery.next_attempt_at == start + timedelta(minutes=1, seconds=1) + timedelta(minutes=5)
    with time_machine.travel(start + timedelta(minutes=7), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert deliver_due() == 1
        with tenant_scope(tenant):
            delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_status) == (
        DeliveryStatus.SUCCEEDED,
        3,
        200,
    )
    bodies = [r.body for r in receiver.requests]
    assert len(bodies) == 3
    assert len(set(bodies)) == 1  # the same event each time
    for request in receiver.requests:
        verify_signature(request.body, request.headers[HEADER], made.secret, tolerance=0)


def test_retries_stop_after_a_day_then_the_delivery_fails(tenant, owner_membership, receiver):
    _endpoint(tenant, owner_membership, receiver.url)
    receiver.statuses = [503] * 50
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        deliveries = services.webhook_event_emit(tenant=tenant, type="invoice.paid", data={"x": 1})
        delivery = deliveries[0]
        outcomes = []
        while True:
            outcome = services.delivery_attempt(tenant=tenant, delivery_id=delivery.pk)
            outcomes.append(outcome)
            with tenant_scope(tenant):
                delivery.refresh_from_db()
            if outcome != "retry":
                break
            clock.move_to(delivery.next_attempt_at)
    assert outcomes[-1] == "failed"
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_attempt_at == start + timedelta(hours=24)
    # At once, then after 1m, 5m, 30m, 2h, 6h, 12h, and a last try when the day is over.
    assert delivery.attempts == len(receiver.requests) == 8


def test_exactly_once_per_event_and_endpoint_even_if_emitted_twice(
    tenant, owner_membership, receiver, django_capture_on_commit_callbacks
):
    _endpoint(tenant, owner_membership, receiver.url)
    _endpoint(tenant, owner_membership, receiver.url + "/second")
    with django_capture_on_commit_callbacks(execute=True):
        first = services.webhook_event_emit(
            tenant=tenant, type="invoice.paid", data={"n": 1}, event_id="evt_1"
        )
        again = services.webhook_event_emit(
            tenant=tenant, type="invoice.paid", data={"n": 1}, event_id="evt_1"
        )
    # A duplicate task message (or the sweep) finds the delivery done and sends nothing.
    for delivery in first:
        assert services.delivery_attempt(tenant=tenant, delivery_id=delivery.pk) == "skipped"
    assert len(first) == 2
    assert again == []
    assert sorted(r.path for r in receiver.requests) == ["/hooks", "/hooks/second"]
    with tenant_scope(tenant):
        assert WebhookDelivery.objects.count() == 2


def test_one_timeline_row_announced_twice_is_one_event(
    tenant, owner_membership, receiver, django_capture_on_commit_callbacks
):
    _endpoint(tenant, owner_membership, receiver.url)
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        invoice = make_invoice(actor=owner_membership, lines=[line()])
        event = invoice.events.get(verb="created")
        timeline_event_publish(event)  # a second announcement
        event.verb = "edited"
        timeline_event_publish(event)  # not a webhook event
    assert len(receiver.requests) == 1
    assert json.loads(receiver.requests[0].body)["type"] == "invoice.created"


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://hooks.example.com/in", True),
        ("http://hooks.example.com/in", False),
        ("ftp://hooks.example.com/in", False),
        ("https://10.0.0.5/in", False),
        ("https://169.254.169.254/latest", False),
        ("https://user:pw@hooks.example.com/", False),
        ("http://127.0.0.1:8000/in", "loopback"),
        ("http://localhost/in", "loopback"),
    ],
)
def test_endpoint_urls_are_https_except_loopback_when_allowed(settings, url, allowed):
    from core.errors import ApplicationError

    settings.DEBUG = False
    for loopback in (False, True):
        settings.WEBHOOKS_ALLOW_LOOPBACK = loopback
        ok = allowed is True or (allowed == "loopback" and loopback)
        if ok:
            assert services.webhook_url_validate(url) == url
        else:
            with pytest.raises(ApplicationError):
                services.webhook_url_validate(url)


def test_paid_and_document_ready_are_announced(
    tenant, owner_membership, receiver, django_capture_on_commit_callbacks
):
    from documents.services import document_request

    _endpoint(tenant, owner_membership, receiver.url, events=["invoice.paid", "document.ready"])
    with tenant_scope(tenant):
        invoice = make_invoice(actor=owner_membership, lines=[line("Audit", "1", "80.00")], finalize=True)
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        invoicing.payment_record(actor=owner_membership, invoice=invoice, amount=str(invoice.total))
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        document = document_request(actor=owner_membership, invoice=invoice)
    events = [json.loads(r.body) for r in receiver.requests]
    assert [event["type"] for event in events] == ["invoice.paid", "document.ready"]
    assert events[0]["data"]["status"] == "paid"
    assert events[0]["data"]["balance_due"] == "0.00"
    assert events[1]["data"]["id"] == document.public_id
    assert events[1]["data"]["invoice"] == invoice.public_id
    assert events[1]["data"]["size"] > 0


def test_a_ready_document_costs_nothing_after_commit_when_no_endpoint_listens(
    tenant, owner_membership, receiver, django_capture_on_commit_callbacks
):
    from documents.models import InvoiceDocument

    with tenant_scope(tenant):
        invoice = make_invoice(actor=owner_membership, lines=[line("Audit", "1", "80.00")], finalize=True)
        document = InvoiceDocument(invoice=invoice, format="pdf", content_version=1, size=10)
        with django_capture_on_commit_callbacks() as without_endpoint:
            document_ready_publish(document=document, invoice_public_id="in_x")
        assert not OutboxEvent.objects.filter(topic="document.ready").exists()
    assert without_endpoint == []
    _endpoint(tenant, owner_membership, receiver.url, events=["document.ready"])
    with tenant_scope(tenant), django_capture_on_commit_callbacks() as with_endpoint:
        document_ready_publish(document=document, invoice_public_id="in_x")
    assert len(with_endpoint) == 1


def test_a_worker_requeues_a_failed_attempt_for_its_scheduled_time(tenant, owner_membership, receiver):
    from unittest import mock

    from api.webhooks.tasks import deliver_webhook

    _endpoint(tenant, owner_membership, receiver.url)
    receiver.statuses = [500]
    (delivery,) = services.webhook_event_emit(tenant=tenant, type="invoice.paid", data={})
    with mock.patch.object(deliver_webhook, "apply_async") as queued:
        # Called directly, as a worker runs it (not eager): it queues its own retry.
        assert deliver_webhook(tenant_id=tenant.pk, delivery_id=delivery.pk) == "retry"
    (call,) = queued.call_args_list
    assert call.kwargs["kwargs"] == {"tenant_id": tenant.pk, "delivery_id": delivery.pk}
    assert 55 <= call.kwargs["countdown"] <= 60


def test_the_sweep_queues_only_due_deliveries_of_every_tenant(
    tenant, owner_membership, other_tenant, outsider_membership, receiver, django_capture_on_commit_callbacks
):
    _endpoint(tenant, owner_membership, receiver.url)
    _endpoint(other_tenant, outsider_membership, receiver.url + "/globex")
    (due,) = services.webhook_event_emit(tenant=tenant, type="invoice.paid", data={})
    (other_due,) = services.webhook_event_emit(tenant=other_tenant, type="invoice.paid", data={})
    (later,) = services.webhook_event_emit(tenant=tenant, type="invoice.paid", data={})
    with tenant_scope(tenant):
        WebhookDelivery.objects.filter(pk=later.pk).update(
            next_attempt_at=timezone.now() + timedelta(hours=1)
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver_due() == 2
    assert sorted(r.path for r in receiver.requests) == ["/hooks", "/hooks/globex"]
    with tenant_scope(tenant):
        later.refresh_from_db()
        due.refresh_from_db()
    with tenant_scope(other_tenant):
        other_due.refresh_from_db()
    assert (due.status, other_due.status) == (DeliveryStatus.SUCCEEDED, DeliveryStatus.SUCCEEDED)
    assert later.attempts == 0


def test_a_host_resolving_to_a_private_address_is_refused_at_delivery(
    tenant, owner_membership, receiver, settings
):
    _endpoint(tenant, owner_membership, receiver.url)  # registered while loopback was allowed
    (delivery,) = services.webhook_event_emit(tenant=tenant, type="invoice.paid", data={})
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    settings.DEBUG = False
    assert services.delivery_attempt(tenant=tenant, delivery_id=delivery.pk) == "retry"
    with tenant_scope(tenant):
        delivery.refresh_from_db()
    assert "private address" in delivery.last_error
    assert delivery.last_response_status is None
    assert receiver.requests == []


def test_a_switched_off_endpoints_deliveries_wait(tenant, owner_membership, receiver):
    endpoint = _endpoint(tenant, owner_membership, receiver.url).endpoint
    (delivery,) = services.webhook_event_emit(tenant=tenant, type="invoice.paid", data={})
    with tenant_scope(tenant):
        services.webhook_endpoint_update(actor=owner_membership, endpoint=endpoint, is_active=False)
        assert services.deliveries_due() == []
    assert services.delivery_attempt(tenant=tenant, delivery_id=delivery.pk) == "skipped"
    with tenant_scope(tenant):
        services.webhook_endpoint_update(actor=owner_membership, endpoint=endpoint, is_active=True)
        assert services.deliveries_due() == [delivery.pk]
    assert services.delivery_attempt(tenant=tenant, delivery_id=delivery.pk) == "succeeded"
    assert len(receiver.requests) == 1
