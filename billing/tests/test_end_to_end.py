"""The stand-in delivering real signed webhooks to the app's endpoint on a live server."""

from __future__ import annotations

from typing import Any

import pytest

from billing import stripe_client
from billing.models import StripeEvent
from billing.tests.stripe_standin import StripeStandIn
from billing.tests.test_standin import fetch, session_params

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("billing_celery_eager")]

PAYMENT_EVENTS = [
    "payment_intent.created",
    "charge.succeeded",
    "payment_intent.succeeded",
    "checkout.session.completed",
]


def test_payment_on_the_hosted_page_reaches_the_app(stripe_standin_live: StripeStandIn) -> None:
    standin = stripe_standin_live
    session = stripe_client.checkout_session_create(params=session_params(), idempotency_key="k")

    status, _, _ = fetch(
        session["url"], "POST", {"email": "client@example.com", "card_number": "4242424242424242"}
    )

    assert status == 303
    assert [(d.type, d.status) for d in standin.deliveries] == [(t, 200) for t in PAYMENT_EVENTS]
    rows = StripeEvent.objects.order_by("id")
    assert [r.type for r in rows] == PAYMENT_EVENTS
    assert {r.status for r in rows} == {"processed"}
    completed = rows.get(type="checkout.session.completed")
    assert completed.data_object["id"] == session["id"]
    assert completed.data_object["payment_status"] == "paid"

    # Stripe retries a delivery it thinks failed: the app answers 200 and stores nothing new.
    standin.redeliver(completed.stripe_id)
    assert standin.deliveries[-1].status == 200
    assert StripeEvent.objects.count() == len(PAYMENT_EVENTS)


def test_connect_events_arrive_with_their_account(stripe_standin_live: StripeStandIn) -> None:
    account = stripe_client.account_create(idempotency_key="t", email="owner@acme.test")
    stripe_standin_live.account_complete_onboarding(account["id"])
    row = StripeEvent.objects.get(type="account.updated")
    assert row.account == account["id"]
    assert row.data_object["charges_enabled"] is True


def test_a_lost_webhook_leaves_nothing_behind(stripe_standin_live: StripeStandIn) -> None:
    """What reconciliation exists for: Stripe knows the session is paid, the app never heard."""
    standin = stripe_standin_live
    session = stripe_client.checkout_session_create(params=session_params(), idempotency_key="k")
    standin.hold_webhooks()
    standin.pay_checkout_session(session["id"])
    standin.drop_held_webhooks()
    assert StripeEvent.objects.count() == 0
    assert stripe_client.checkout_session_retrieve(session_id=session["id"])["payment_status"] == "paid"


@pytest.mark.browser
def test_pay_in_chromium(stripe_standin_live: StripeStandIn, live_server: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    params = session_params(success_url=f"{live_server.url}/healthz?session={{CHECKOUT_SESSION_ID}}")
    session = stripe_client.checkout_session_create(params=params, idempotency_key="k")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.goto(session["url"])
            assert page.get_by_test_id("amount").inner_text() == "125.00 EUR"
            page.get_by_label("Email").fill("client@example.com")
            page.get_by_label("Card number").fill("4000 0000 0000 0002")
            page.get_by_role("button", name="Pay").click()
            assert page.get_by_role("alert").inner_text() == "Your card was declined."
            page.get_by_label("Card number").fill("4242 4242 4242 4242")
            page.get_by_role("button", name="Pay").click()
            page.wait_for_url(f"{live_server.url}/healthz?session={session['id']}")
        finally:
            browser.close()

    completed = StripeEvent.objects.get(type="checkout.session.completed")
    assert completed.status == "processed"
    assert completed.data_object["customer_details"]["email"] == "client@example.com"
    assert StripeEvent.objects.filter(type="payment_intent.payment_failed").count() == 1
