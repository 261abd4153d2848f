"""POST /billing/stripe/webhook/: verify, store once under the event's id, process after commit."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from billing import handlers
from billing.models import StripeEvent
from billing.tests.fixtures import CONNECT_WEBHOOK_SECRET, make_stripe_event, post_stripe_event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_webhook_secret", "billing_celery_eager")]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[str]]:
    """Register a recording handler for an event type; returns the list of event ids it saw."""

    def register(event_type: str, fail_times: int = 0) -> list[str]:
        seen: list[str] = []
        lock = threading.Lock()

        def handler(event: StripeEvent) -> None:
            with lock:
                seen.append(event.stripe_id)
                if len(seen) <= fail_times:
                    raise RuntimeError(f"handler failure {len(seen)}")

        monkeypatch.setitem(handlers._registry, event_type, handler)
        return seen

    return register


def test_valid_delivery_is_stored_and_processed(
    client: Client, calls: Callable[..., list[str]], django_capture_on_commit_callbacks: Any
) -> None:
    seen = calls("checkout.session.completed")
    event = make_stripe_event("checkout.session.completed", "checkout.session")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_stripe_event(client, event)

    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    assert len(callbacks) == 1
    row = StripeEvent.objects.get()
    assert (row.stripe_id, row.type, row.account, row.livemode) == (event["id"], event["type"], "", False)
    assert row.payload == event
    assert row.data_object["object"] == "checkout.session"
    assert (row.status, row.handled, row.attempts, row.last_error) == ("processed", True, 1, "")
    assert row.processed_at is not None
    assert seen == [event["id"]]


def test_duplicate_delivery_is_a_200_and_nothing_more(
    client: Client, calls: Callable[..., list[str]], django_capture_on_commit_callbacks: Any
) -> None:
    seen = calls("charge.refunded")
    event = make_stripe_event("charge.refunded", "charge")
    with django_capture_on_commit_callbacks(execute=True):
        post_stripe_event(client, event)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_stripe_event(client, event)
    assert response.status_code == 200
    assert response.json()["duplicate"] is True
    assert callbacks == []  # nothing queued
    assert StripeEvent.objects.count() == 1
    assert seen == [event["id"]]


def test_connect_event_keeps_its_account(client: Client, django_capture_on_commit_callbacks: Any) -> None:
    event = make_stripe_event("account.updated", "account", account="acct_1Tenant")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_stripe_event(client, event, secret=CONNECT_WEBHOOK_SECRET)
    assert response.status_code == 200
    assert StripeEvent.objects.get().account == "acct_1Tenant"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_event_delivered_five_times_concurrently(calls: Callable[..., list[str]]) -> None:
    seen = calls("payment_intent.succeeded")
    event = make_stripe_event("payment_intent.succeeded", "payment_intent")
    barrier = threading.Barrier(5)
    statuses: list[int] = []

    def deliver() -> None:
        try:
            barrier.wait(timeout=10)
            statuses.append(post_stripe_event(Client(), event).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [200] * 5
    assert StripeEvent.objects.filter(stripe_id=event["id"]).count() == 1
    assert StripeEvent.objects.get().status == "processed"
    assert seen == [event["id"]]


@pytest.mark.parametrize(
    ("how", "post"),
    [
        ("wrong secret", lambda c, e: post_stripe_event(c, e, secret="whsec_not_ours")),
        (
            "tampered body",
            lambda c, e: post_stripe_event(c, e, tamper=lambda p: p.replace('"amount"', '"amount" ')),
        ),
        ("older than 5 min", lambda c, e: post_stripe_event(c, e, timestamp=int(time.time()) - 301)),
        ("no signature", lambda c, e: c.post("/billing/stripe/webhook/", json.dumps(e), "application/json")),
        (
            "garbage header",
            lambda c, e: c.post(
                "/billing/stripe/webhook/",
                json.dumps(e),
                "application/json",
                headers={"Stripe-Signature": "nonsense"},
            ),
        ),
    ],
)
def test_unverified_deliveries_are_refused(client: Client, how: str, post: Callable[..., Any]) -> None:
    event = make_stripe_event("payment_intent.succeeded", "payment_intent")
    response = post(client, event)
    assert response.status_code == 400, how
    assert StripeEvent.objects.count() == 0


def test_timestamp_within_tolerance_is_accepted(client: Client) -> None:
    event = make_stripe_event("payment_intent.succeeded", "payment_intent")
    assert post_stripe_event(client, event, timestamp=int(time.time()) - 280).status_code == 200


def test_signed_garbage_is_refused(client: Client) -> None:
    assert post_stripe_event(client, "not json").status_code == 400
    assert post_stripe_event(client, '{"object": "charge", "id": "ch_1"}').status_code == 400
    assert post_stripe_event(client, '["evt_1"]').status_code == 400
    assert StripeEvent.objects.count() == 0


def test_only_post(client: Client) -> None:
    assert client.get("/billing/stripe/webhook/").status_code == 405


def test_not_configured_is_503_so_stripe_retries(client: Client, settings: Any) -> None:
    settings.STRIPE_WEBHOOK_SECRET = settings.STRIPE_CONNECT_WEBHOOK_SECRET = ""
    event = make_stripe_event("payment_intent.succeeded", "payment_intent")
    assert post_stripe_event(client, event).status_code == 503
    assert StripeEvent.objects.count() == 0


def test_failing_handler_is_retried_then_succeeds(
    client: Client, calls: Callable[..., list[str]], django_capture_on_commit_callbacks: Any
) -> None:
    seen = calls("charge.dispute.created", fail_times=1)
    event = make_stripe_event("charge.dispute.created", "dispute")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_stripe_event(client, event)
    assert response.status_code == 200
    row = StripeEvent.objects.get()
    assert (row.status, row.attempts, row.last_error) == ("processed", 2, "")
    assert seen == [event["id"], event["id"]]


def test_handler_failing_every_time_ends_failed_with_its_error(
    client: Client, calls: Callable[..., list[str]], django_capture_on_commit_callbacks: Any
) -> None:
    from billing.tasks import MAX_RETRIES

    calls("charge.dispute.closed", fail_times=1000)
    event = make_stripe_event("charge.dispute.closed", "dispute")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_stripe_event(client, event)
    assert response.status_code == 200  # the event is ours now; processing is our problem
    row = StripeEvent.objects.get()
    assert (row.status, row.attempts) == ("failed", MAX_RETRIES + 1)
    assert "RuntimeError: handler failure" in row.last_error


def test_unknown_event_type_is_stored_and_ignored(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    event = make_stripe_event("plan.created", "plan")
    assert handlers.handler_for("plan.created") is None
    with django_capture_on_commit_callbacks(execute=True):
        assert post_stripe_event(client, event).status_code == 200
    row = StripeEvent.objects.get()
    assert (row.status, row.handled, row.last_error) == ("processed", False, "")
