"""The Stripe stand-in, driven through the real `stripe` library (via billing.stripe_client).

These pin the wire format the project relies on: if the stand-in drifted from Stripe's, the
library would fail to parse it or raise the wrong error here.
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from billing import stripe_client
from billing.tests.fixtures import CONNECT_WEBHOOK_SECRET, PLATFORM_WEBHOOK_SECRET, WebhookRecorder
from billing.tests.stripe_standin import StripeStandIn


def session_params(amount: int = 12500, **extra: Any) -> dict[str, Any]:
    return {
        "mode": "payment",
        "success_url": "http://127.0.0.1:9/paid?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://127.0.0.1:9/invoice",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": amount,
                    "product_data": {"name": "INV-0001"},
                },
            }
        ],
        "metadata": {"invoice": "inv_abc"},
        "payment_intent_data": {"metadata": {"invoice": "inv_abc"}, "description": "Invoice INV-0001"},
        **extra,
    }


def fetch(url: str, method: str = "GET", form: dict[str, str] | None = None) -> tuple[int, dict, str]:
    """One request, redirects not followed (they point at the app, not running here)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    body = urlencode(form) if form is not None else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
    connection.request(method, parts.path, body=body, headers=headers)
    response = connection.getresponse()
    result = response.status, dict(response.getheaders()), response.read().decode()
    connection.close()
    return result


@pytest.fixture
def standin(stripe_standin: StripeStandIn, webhook_recorder: WebhookRecorder) -> StripeStandIn:
    stripe_standin.add_webhook_endpoint(webhook_recorder.url, secret=PLATFORM_WEBHOOK_SECRET)
    stripe_standin.add_webhook_endpoint(webhook_recorder.url, secret=CONNECT_WEBHOOK_SECRET, connect=True)
    return stripe_standin


def test_checkout_session_create_retrieve_list(standin: StripeStandIn) -> None:
    session = stripe_client.checkout_session_create(params=session_params(), idempotency_key="inv_abc-1")

    assert session["object"] == "checkout.session"
    assert session["id"].startswith("cs_test_")
    assert session["livemode"] is False
    assert (session["status"], session["payment_status"]) == ("open", "unpaid")
    assert (session["amount_total"], session["currency"]) == (12500, "eur")
    assert session["metadata"] == {"invoice": "inv_abc"}
    assert session["payment_intent"] is None  # created when the customer pays, as on Stripe
    assert session["url"] == f"{standin.base_url}/c/pay/{session['id']}"

    fetched = stripe_client.checkout_session_retrieve(session_id=session["id"], expand=["line_items"])
    assert fetched["line_items"]["data"][0]["description"] == "INV-0001"
    assert fetched["line_items"]["data"][0]["amount_total"] == 12500

    # Every request carried the pinned API version and the secret key was accepted.
    assert {r["stripe_version"] for r in standin.requests} == {stripe_client.STRIPE_API_VERSION}


def test_list_paginates_newest_first(standin: StripeStandIn) -> None:
    ids = [
        stripe_client.checkout_session_create(params=session_params(1000 + i), idempotency_key=f"k{i}")["id"]
        for i in range(5)
    ]
    listed = list(stripe_client.checkout_session_list(filters={"limit": 2}))
    assert [s["id"] for s in listed] == ids[::-1]
    # Three pages of two: the library followed `has_more` with `starting_after`.
    pages = [r for r in standin.requests if r["method"] == "GET"]
    assert [r["params"].get("starting_after") for r in pages] == [None, ids[3], ids[1]]


def test_expire_session(standin: StripeStandIn, webhook_recorder: WebhookRecorder) -> None:
    session = stripe_client.checkout_session_create(params=session_params(), idempotency_key="k")

    expired = stripe_client.checkout_session_expire(session_id=session["id"])
    assert expired["status"] == "expired"
    assert [e["data"]["object"]["id"] for e in webhook_recorder.events("checkout.session.expired")] == [
        session["id"]
    ]
    with pytest.raises(stripe_client.InvalidRequestError) as error:
        stripe_client.checkout_session_expire(session_id=session["id"])
    assert error.value.http_status == 400
    assert list(stripe_client.checkout_session_list(filters={"status": "open"})) == []


def test_sessions_expire_on_their_own(standin: StripeStandIn, webhook_recorder: WebhookRecorder) -> None:
    session = stripe_client.checkout_session_create(params=session_params(), idempotency_key="k")
    standin.advance_clock(86400)
    assert stripe_client.checkout_session_retrieve(session_id=session["id"])["status"] == "expired"
    assert len(webhook_recorder.events("checkout.session.expired")) == 1


def test_idempotency_key(standin: StripeStandIn) -> None:
    first = stripe_client.checkout_session_create(params=session_params(), idempotency_key="same")
    again = stripe_client.checkout_session_create(params=session_params(), idempotency_key="same")
    assert again == first
    assert len([o for o in standin.store.objects.values() if o["object"] == "checkout.session"]) == 1

    with pytest.raises(stripe_client.IdempotencyError) as error:
        stripe_client.checkout_session_create(params=session_params(999), idempotency_key="same")
    assert error.value.http_status == 400
    assert "same parameters" in error.value.user_message

    other = stripe_client.checkout_session_create(params=session_params(), idempotency_key="other")
    assert other["id"] != first["id"]


def test_errors_in_stripes_format(standin: StripeStandIn, settings: Any) -> None:
    with pytest.raises(stripe_client.InvalidRequestError) as missing:
        stripe_client.checkout_session_create(params={"mode": "payment"}, idempotency_key="a")
    assert (missing.value.code, missing.value.param) == ("parameter_missing", "line_items")

    with pytest.raises(stripe_client.InvalidRequestError) as unknown:
        stripe_client.checkout_session_create(
            params={**session_params(), "colour": "red"}, idempotency_key="b"
        )
    assert unknown.value.user_message == "Received unknown parameter: colour"

    with pytest.raises(stripe_client.InvalidRequestError) as too_small:
        stripe_client.checkout_session_create(params=session_params(amount=10), idempotency_key="c")
    assert too_small.value.param == "line_items"

    with pytest.raises(stripe_client.InvalidRequestError) as not_found:
        stripe_client.checkout_session_retrieve(session_id="cs_test_nope")
    assert (not_found.value.http_status, not_found.value.code) == (404, "resource_missing")
    assert not_found.value.json_body["error"]["type"] == "invalid_request_error"

    settings.STRIPE_SECRET_KEY = "sk_test_wrong"
    with pytest.raises(stripe_client.AuthenticationError):
        stripe_client.checkout_session_retrieve(session_id="cs_test_nope")


def test_hosted_page_pay_completes_and_signs_webhooks(
    standin: StripeStandIn, webhook_recorder: WebhookRecorder
) -> None:
    session = stripe_client.checkout_session_create(params=session_params(), idempotency_key="k")

    status, _, page = fetch(session["url"])
    assert status == 200
    assert "125.00 EUR" in page
    assert ">Pay</button>" in page

    status, headers, _ = fetch(
        session["url"], "POST", {"email": "client@example.com", "card_number": "4242 " * 4}
    )
    assert status == 303
    assert headers["Location"] == f"http://127.0.0.1:9/paid?session={session['id']}"

    paid = stripe_client.checkout_session_retrieve(
        session_id=session["id"], expand=["payment_intent.latest_charge"]
    )
    assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
    assert paid["customer_details"]["email"] == "client@example.com"
    intent = paid["payment_intent"]
    assert (intent["status"], intent["amount_received"]) == ("succeeded", 12500)
    assert intent["metadata"] == {"invoice": "inv_abc"}
    assert intent["latest_charge"]["paid"] is True
    assert intent["latest_charge"]["payment_intent"] == intent["id"]

    types = [e["type"] for e in webhook_recorder.events()]
    assert types == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    # Every delivery verifies with the stripe library's own check, with the platform secret.
    for delivery in webhook_recorder.received:
        event = stripe_client.webhook_event_construct(
            payload=delivery["body"].encode(), signature_header=delivery["headers"]["Stripe-Signature"]
        )
        assert event["api_version"] == stripe_client.STRIPE_API_VERSION
        assert "account" not in event
    completed = webhook_recorder.events("checkout.session.completed")[0]
    assert completed["data"]["object"]["payment_intent"] == intent["id"]


def test_declined_card_then_paid(standin: StripeStandIn, webhook_recorder: WebhookRecorder) -> None:
    session = stripe_client.checkout_session_create(params=session_params(), idempotency_key="k")

    status, _, page = fetch(
        session["url"], "POST", {"email": "c@example.com", "card_number": "4000000000000002"}
    )
    assert status == 402
    assert "Your card was declined." in page
    session = stripe_client.checkout_session_retrieve(session_id=session["id"], expand=["payment_intent"])
    assert session["status"] == "open"
    assert session["payment_intent"]["status"] == "requires_payment_method"
    assert session["payment_intent"]["last_payment_error"]["decline_code"] == "generic_decline"
    assert len(webhook_recorder.events("payment_intent.payment_failed")) == 1

    assert standin.pay_checkout_session(session["id"]) == ""
    intent = stripe_client.payment_intent_retrieve(payment_intent_id=session["payment_intent"]["id"])
    assert intent["status"] == "succeeded"  # the same intent, paid on the second try
    assert len(webhook_recorder.events("payment_intent.created")) == 1


def test_refunds_partial_then_full(standin: StripeStandIn, webhook_recorder: WebhookRecorder) -> None:
    session = stripe_client.checkout_session_create(params=session_params(), idempotency_key="k")
    standin.pay_checkout_session(session["id"])
    intent_id = stripe_client.checkout_session_retrieve(session_id=session["id"])["payment_intent"]

    partial = stripe_client.refund_create(idempotency_key="r1", payment_intent=intent_id, amount=2500)
    assert (partial["object"], partial["amount"], partial["status"]) == ("refund", 2500, "succeeded")
    charge = stripe_client.charge_retrieve(charge_id=partial["charge"])
    assert (charge["amount_refunded"], charge["refunded"]) == (2500, False)

    with pytest.raises(stripe_client.InvalidRequestError) as too_much:
        stripe_client.refund_create(idempotency_key="r2", charge=charge["id"], amount=20000)
    assert too_much.value.code == "amount_too_large"

    rest = stripe_client.refund_create(idempotency_key="r3", charge=charge["id"])
    assert rest["amount"] == 10000
    assert stripe_client.charge_retrieve(charge_id=charge["id"])["refunded"] is True
    with pytest.raises(stripe_client.InvalidRequestError) as again:
        stripe_client.refund_create(idempotency_key="r4", charge=charge["id"])
    assert again.value.code == "charge_already_refunded"

    refunded = webhook_recorder.events("charge.refunded")
    assert [e["data"]["object"]["amount_refunded"] for e in refunded] == [2500, 12500]
    assert refunded[0]["data"]["previous_attributes"] == {"amount_refunded": 0, "refunded": False}


def test_disputes(standin: StripeStandIn, webhook_recorder: WebhookRecorder) -> None:
    session = stripe_client.checkout_session_create(params=session_params(), idempotency_key="k")
    standin.pay_checkout_session(session["id"])
    intent = stripe_client.payment_intent_retrieve(
        payment_intent_id=stripe_client.checkout_session_retrieve(session_id=session["id"])["payment_intent"]
    )

    created = standin.dispute_create(intent["latest_charge"])
    dispute = stripe_client.dispute_retrieve(dispute_id=created["id"])
    assert (dispute["object"], dispute["status"], dispute["amount"]) == ("dispute", "needs_response", 12500)
    assert dispute["payment_intent"] == intent["id"]
    assert stripe_client.charge_retrieve(charge_id=intent["latest_charge"])["disputed"] is True
    with pytest.raises(stripe_client.InvalidRequestError) as blocked:
        stripe_client.refund_create(idempotency_key="r", charge=intent["latest_charge"])
    assert blocked.value.code == "charge_disputed"

    standin.dispute_close(created["id"], status="won")
    assert stripe_client.dispute_retrieve(dispute_id=created["id"])["status"] == "won"
    closed = webhook_recorder.events("charge.dispute.closed")
    assert [e["data"]["object"]["status"] for e in closed] == ["won"]
    assert len(webhook_recorder.events("charge.dispute.created")) == 1


def test_connect_account_onboarding(standin: StripeStandIn, webhook_recorder: WebhookRecorder) -> None:
    account = stripe_client.account_create(idempotency_key="t1", email="owner@acme.test", country="FR")
    assert account["id"].startswith("acct_")
    assert (account["charges_enabled"], account["details_submitted"]) == (False, False)
    assert account["default_currency"] == "eur"

    link = stripe_client.account_link_create(
        account_id=account["id"],
        refresh_url="http://127.0.0.1:9/refresh",
        return_url="http://127.0.0.1:9/back",
    )
    assert link["object"] == "account_link"
    assert link["expires_at"] > link["created"]
    status, _, page = fetch(link["url"])
    assert (status, "Agree and submit" in page) == (200, True)
    status, headers, _ = fetch(link["url"], "POST", {"action": "submit"})
    assert (status, headers["Location"]) == (303, "http://127.0.0.1:9/back")
    # A link works once; afterwards Stripe sends the user to refresh_url for a new one.
    assert fetch(link["url"])[1]["Location"] == "http://127.0.0.1:9/refresh"

    assert stripe_client.account_retrieve(account_id=account["id"])["charges_enabled"] is True
    (updated,) = webhook_recorder.events("account.updated")
    assert updated["account"] == account["id"]
    assert updated["data"]["previous_attributes"]["charges_enabled"] is False
    delivery = webhook_recorder.received[-1]
    # Connect events are signed with the Connect endpoint's secret.
    assert (
        stripe_client.webhook_event_construct(
            payload=delivery["body"].encode(), signature_header=delivery["headers"]["Stripe-Signature"]
        )["account"]
        == account["id"]
    )

    standin.account_restrict(account["id"])
    assert stripe_client.account_retrieve(account_id=account["id"])["charges_enabled"] is False


def test_objects_live_on_the_connected_account(
    standin: StripeStandIn, webhook_recorder: WebhookRecorder
) -> None:
    account = stripe_client.account_create(idempotency_key="t1", email="owner@acme.test")
    session = stripe_client.checkout_session_create(
        params=session_params(), idempotency_key="k", account=account["id"]
    )
    with pytest.raises(stripe_client.InvalidRequestError):
        stripe_client.checkout_session_retrieve(session_id=session["id"])  # not the platform's
    assert stripe_client.checkout_session_retrieve(session_id=session["id"], account=account["id"])
    with pytest.raises(stripe_client.StripeError) as unknown:
        stripe_client.checkout_session_retrieve(session_id=session["id"], account="acct_unknown")
    assert unknown.value.http_status == 403

    standin.pay_checkout_session(session["id"])
    completed = webhook_recorder.events("checkout.session.completed")
    assert [e["account"] for e in completed] == [account["id"]]


def test_held_webhooks_arrive_when_released(
    standin: StripeStandIn, webhook_recorder: WebhookRecorder
) -> None:
    standin.hold_webhooks()
    session = stripe_client.checkout_session_create(params=session_params(), idempotency_key="k")
    standin.pay_checkout_session(session["id"])
    assert webhook_recorder.received == []
    standin.release_webhooks()
    assert len(webhook_recorder.events("checkout.session.completed")) == 1


def test_webhook_endpoints_must_be_loopback(stripe_standin: StripeStandIn) -> None:
    with pytest.raises(ValueError, match="loopback"):
        stripe_standin.add_webhook_endpoint("https://example.com/hook", secret="whsec_x")


def test_form_decoding_bracket_syntax() -> None:
    from billing.tests.stripe_standin.wire import decode_form

    body = "a[b][0][c]=1&a[b][1][c]=2&expand[]=x&expand[]=y&metadata[k]=&mode=payment"
    assert decode_form(body) == {
        "a": {"b": [{"c": "1"}, {"c": "2"}]},
        "expand": ["x", "y"],
        "metadata": {"k": ""},
        "mode": "payment",
    }
    assert json.loads(json.dumps(decode_form(""))) == {}
