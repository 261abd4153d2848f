"""The stand-in's Billing side, driven through the real `stripe` library (billing.stripe_client):
customers, prices, Checkout in mode=subscription, subscriptions, portal sessions, meter events."""

from __future__ import annotations

from typing import Any

import pytest

from billing import stripe_client
from billing.tests.stripe_standin import StripeStandIn
from billing.tests.test_standin import fetch


def subscription_session(settings: Any, **extra: Any) -> dict[str, Any]:
    customer = stripe_client.customer_create(idempotency_key="c1", email="a@example.com")
    params = {
        "mode": "subscription",
        "customer": customer["id"],
        "success_url": "http://127.0.0.1:9/ok?session={CHECKOUT_SESSION_ID}",
        "line_items": [
            {"price": settings.STRIPE_PRICE_PRO, "quantity": 1},
            {"price": settings.STRIPE_PRICE_INVOICES_SENT},
        ],
        "subscription_data": {"metadata": {"tenant": "ten_1"}},
        **extra,
    }
    return stripe_client.checkout_session_create(params=params, idempotency_key="s1")


def test_a_paid_subscription_checkout_starts_an_active_subscription(
    plans_standin: StripeStandIn, settings: Any
) -> None:
    session = subscription_session(settings)
    assert (session["mode"], session["amount_total"], session["currency"]) == ("subscription", 1200, "eur")
    status, _, page = fetch(session["url"])
    assert status == 200
    assert "12.00 EUR" in page

    assert plans_standin.pay_checkout_session(session["id"]) == ""

    session = stripe_client.checkout_session_retrieve(session_id=session["id"])
    assert (session["status"], session["payment_status"]) == ("complete", "paid")
    subscription = stripe_client.subscription_retrieve(subscription_id=session["subscription"])
    assert subscription["status"] == "active"
    assert subscription["customer"] == session["customer"]
    assert subscription["metadata"] == {"tenant": "ten_1"}
    items = subscription["items"]["data"]
    assert [i["price"]["id"] for i in items] == [
        settings.STRIPE_PRICE_PRO,
        settings.STRIPE_PRICE_INVOICES_SENT,
    ]
    assert items[0]["quantity"] == 1
    assert "quantity" not in items[1]  # metered
    assert items[0]["current_period_end"] > items[0]["current_period_start"]
    invoice = plans_standin.store.objects[subscription["latest_invoice"]]
    assert (invoice["status"], invoice["amount_paid"], invoice["billing_reason"]) == (
        "paid",
        1200,
        "subscription_create",
    )
    assert invoice["parent"]["subscription_details"]["subscription"] == subscription["id"]
    assert [e["type"] for e in plans_standin.events] == [
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
        "checkout.session.completed",
    ]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([{"price": "PRO"}], "Missing required param: line_items[0][quantity]."),
        ([{"price": "METERED", "quantity": 1}], "Quantity should not be specified"),
        ([{"price": "METERED"}], "at least one licensed"),
        ([{"price": "price_nope", "quantity": 1}], "No such price: 'price_nope'"),
    ],
)
def test_subscription_checkouts_are_validated_like_stripes(
    plans_standin: StripeStandIn, settings: Any, items: list[dict[str, Any]], message: str
) -> None:
    prices = {"PRO": settings.STRIPE_PRICE_PRO, "METERED": settings.STRIPE_PRICE_INVOICES_SENT}
    line_items = [{**i, "price": prices.get(i["price"], i["price"])} for i in items]
    with pytest.raises(
        stripe_client.InvalidRequestError, match=message.replace("[", r"\[").replace("]", r"\]")
    ):
        subscription_session(settings, line_items=line_items)


def test_a_declined_card_on_a_subscription_checkout(plans_standin: StripeStandIn, settings: Any) -> None:
    session = subscription_session(settings)
    assert (
        plans_standin.pay_checkout_session(session["id"], card="4000000000000002")
        == "Your card was declined."
    )
    assert stripe_client.checkout_session_retrieve(session_id=session["id"])["status"] == "open"
    assert plans_standin.events == []


def test_update_cancel_and_renew(plans_standin: StripeStandIn, settings: Any) -> None:
    session = subscription_session(settings)
    plans_standin.pay_checkout_session(session["id"])
    subscription_id = stripe_client.checkout_session_retrieve(session_id=session["id"])["subscription"]
    client = stripe_client.get_client()

    updated = client.v1.subscriptions.update(subscription_id, params={"cancel_at_period_end": True}).to_dict()
    assert updated["cancel_at_period_end"] is True
    assert updated["cancel_at"] == updated["items"]["data"][0]["current_period_end"]

    renewed = plans_standin.subscription_renew(subscription_id, paid=False)
    assert renewed["status"] == "past_due"
    assert plans_standin.events[-2]["type"] == "invoice.payment_failed"

    canceled = client.v1.subscriptions.cancel(subscription_id).to_dict()
    assert canceled["status"] == "canceled"
    assert plans_standin.events[-1]["type"] == "customer.subscription.deleted"
    with pytest.raises(stripe_client.InvalidRequestError, match="canceled subscription"):
        client.v1.subscriptions.cancel(subscription_id)


def test_portal_sessions_and_meter_events(plans_standin: StripeStandIn) -> None:
    customer = stripe_client.customer_create(idempotency_key="c1", email="a@example.com")
    portal = stripe_client.billing_portal_session_create(
        customer=customer["id"], return_url="http://127.0.0.1:9/b"
    )
    assert portal["object"] == "billing_portal.session"
    assert portal["url"].startswith(plans_standin.base_url + "/p/session/")
    with pytest.raises(stripe_client.InvalidRequestError, match="No such customer"):
        stripe_client.billing_portal_session_create(customer="cus_nope", return_url="http://127.0.0.1:9/b")

    event = stripe_client.meter_event_create(
        event_name="invoices_sent", customer=customer["id"], value=1, identifier="inv-1"
    )
    assert (event["object"], event["identifier"], event["payload"]["value"]) == (
        "billing.meter_event",
        "inv-1",
        "1",
    )
    # The same identifier again (another key): accepted, counted once.
    stripe_client.get_client().v1.billing.meter_events.create(
        params={
            "event_name": "invoices_sent",
            "identifier": "inv-1",
            "payload": {"stripe_customer_id": customer["id"], "value": "1"},
        }
    )
    assert [e["identifier"] for e in plans_standin.meter_events] == ["inv-1"]
    with pytest.raises(stripe_client.InvalidRequestError, match="past 35 calendar days"):
        stripe_client.meter_event_create(
            event_name="invoices_sent", customer=customer["id"], value=1, identifier="old", timestamp=1
        )
