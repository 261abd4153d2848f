"""Webhooks for getting paid, end to end through the real endpoint with the stand-in's events:
exactly one payment per payment intent however often and in whatever order events arrive;
refunds and disputes as rows of their own; retries; Connect account state."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pytest
from django.core import mail
from django.db import connections
from django.test import Client

from billing import stripe_client
from billing.checkout import invoice_checkout_start
from billing.models import StripeAccount, StripeEvent
from billing.tests.payment_fixtures import connect_tenant, d, invoice_with_link, post_connect_event
from billing.tests.stripe_standin import StripeStandIn
from invoices.models import Dispute, EventVerb, Invoice, InvoiceEvent, InvoiceStatus, Payment, Refund
from invoices.money import quantize_money
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_celery_eager")]


@pytest.fixture
def connected(stripe_standin: StripeStandIn, tenant: Tenant, owner_membership: Membership) -> StripeAccount:
    return connect_tenant(stripe_standin, tenant, owner_membership)


def pay(
    standin: StripeStandIn, tenant: Tenant, owner: Membership, *, amount: str = "100.00"
) -> tuple[Invoice, dict]:
    """A client pays an invoice on the hosted page; returns the invoice and the session."""
    invoice, _ = invoice_with_link(tenant, owner, amount=amount, email="client@pay.example")
    with tenant_scope(tenant):
        url = invoice_checkout_start(invoice=invoice, return_url="http://testserver/i/x")
    session_id = url.rsplit("/", 1)[-1]
    assert standin.pay_checkout_session(session_id) == ""
    with tenant_scope(tenant):
        account = StripeAccount.objects.get(tenant=tenant).stripe_id
    return invoice, stripe_client.checkout_session_retrieve(session_id=session_id, account=account)


def events_of(standin: StripeStandIn, *types: str, about: str | None = None) -> list[dict[str, Any]]:
    found = [e for e in standin.events if e["type"] in types]
    if about:
        found = [e for e in found if about in str(e["data"]["object"])]
    return found


def deliver(client: Client, capture: Any, *events: dict[str, Any]) -> None:
    for event in events:
        with capture(execute=True):
            assert post_connect_event(client, event).status_code == 200


def _m(amount: Any) -> str:
    return str(quantize_money(amount, "EUR"))


def state(tenant: Tenant, invoice: Invoice) -> dict[str, Any]:
    """Everything an order of events could change, in comparable form."""
    with tenant_scope(tenant):
        fresh = Invoice.objects.get(pk=invoice.pk)
        return {
            "status": fresh.status,
            "paid": fresh.amount_paid,
            "balance": fresh.balance_due,
            "payments": sorted((_m(p.amount), p.external_id) for p in Payment.objects.filter(invoice=fresh)),
            "refunds": sorted((_m(r.amount), r.status) for r in Refund.objects.filter(invoice=fresh)),
            "disputes": sorted((_m(x.amount), x.status) for x in Dispute.objects.filter(invoice=fresh)),
            "timeline": sorted(
                e.verb for e in InvoiceEvent.objects.filter(invoice=fresh).exclude(verb=EventVerb.VIEWED)
            ),
        }


def test_the_payment_events_mark_the_invoice_paid_once(
    client: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    invoice, session = pay(stripe_standin, tenant, owner_membership)
    events = [e for e in stripe_standin.events if e.get("account") == connected.stripe_id]
    assert [e["type"] for e in events][-3:] == [
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    deliver(client, django_capture_on_commit_callbacks, *events)
    # Stripe redelivers them all: nothing changes.
    for event in events:
        stripe_standin.redeliver(event["id"])
    deliver(client, django_capture_on_commit_callbacks, *events)
    after = state(tenant, invoice)
    assert after["status"] == InvoiceStatus.PAID
    assert after["payments"] == [("100.00", session["payment_intent"])]
    assert after["timeline"].count(EventVerb.PAID) == 1
    assert after["timeline"].count(EventVerb.PAYMENT_RECORDED) == 1
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["client@pay.example"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_event_five_times_concurrently_pays_once(
    stripe_standin: StripeStandIn, tenant: Tenant, owner_membership: Membership
) -> None:
    connect_tenant(stripe_standin, tenant, owner_membership)
    invoice, _ = pay(stripe_standin, tenant, owner_membership)
    [completed] = events_of(stripe_standin, "checkout.session.completed")
    [succeeded] = events_of(stripe_standin, "payment_intent.succeeded")
    # Five copies of one event, and five of another about the same payment, all at once.
    deliveries = [completed] * 5 + [succeeded] * 5
    barrier = threading.Barrier(len(deliveries))
    statuses: list[int] = []

    def deliver_one(event: dict[str, Any]) -> None:
        try:
            barrier.wait(timeout=10)
            statuses.append(post_connect_event(Client(), event).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver_one, args=(e,)) for e in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [200] * 10
    assert StripeEvent.objects.count() == 2
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"processed"}
    after = state(tenant, invoice)
    assert len(after["payments"]) == 1
    assert after["status"] == InvoiceStatus.PAID
    assert after["timeline"].count(EventVerb.PAID) == 1  # one status change
    assert len(mail.outbox) == 1  # one receipt


def test_same_event_five_times_in_a_row_pays_once(
    client: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    invoice, _ = pay(stripe_standin, tenant, owner_membership)
    [completed] = events_of(stripe_standin, "checkout.session.completed")
    deliver(client, django_capture_on_commit_callbacks, *[completed] * 5)
    # The handler itself run again on the stored event: still one payment.
    from billing.stripe_handlers import checkout_session_changed

    checkout_session_changed(StripeEvent.objects.get())
    after = state(tenant, invoice)
    assert len(after["payments"]) == 1
    assert after["timeline"].count(EventVerb.PAID) == 1
    assert len(mail.outbox) == 1


def test_succeeded_refunded_and_disputed_in_all_six_orders_twice_end_the_same(
    client: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from billing.stripe_handlers import charge_changed, dispute_changed, payment_intent_changed

    handler = {
        "payment_intent.succeeded": payment_intent_changed,
        "charge.refunded": charge_changed,
        "charge.dispute.created": dispute_changed,
    }
    finals = []
    for order in itertools.permutations(handler):
        invoice, session = pay(stripe_standin, tenant, owner_membership)
        intent = stripe_client.payment_intent_retrieve(
            payment_intent_id=session["payment_intent"], account=connected.stripe_id
        )
        # Stripe's side: 30.00 refunded, then the rest disputed.
        stripe_client.refund_create(
            idempotency_key=f"r-{intent['id']}",
            charge=intent["latest_charge"],
            amount=3000,
            account=connected.stripe_id,
        )
        stripe_standin.dispute_create(intent["latest_charge"], amount=7000)
        by_type = {t: events_of(stripe_standin, t, about=intent["id"]) for t in handler}
        assert all(len(found) == 1 for found in by_type.values()), by_type
        for event_type in order:
            for _ in range(2):
                deliver(client, django_capture_on_commit_callbacks, by_type[event_type][0])
            # ... and the handler run once more on the stored row, as a retry would.
            handler[event_type](StripeEvent.objects.get(stripe_id=by_type[event_type][0]["id"]))
        final = state(tenant, invoice)
        final.pop("payments")  # a new payment intent per order
        finals.append(final)
    assert all(final == finals[0] for final in finals), finals
    assert finals[0]["status"] == InvoiceStatus.PARTIALLY_PAID
    assert (finals[0]["paid"], finals[0]["balance"]) == (d("70.00"), d("30.00"))
    assert finals[0]["refunds"] == [("30.00", "succeeded")]
    assert finals[0]["disputes"] == [("70.00", "open")]  # held, still counted as paid
    assert finals[0]["timeline"].count(EventVerb.REFUNDED) == 1
    assert finals[0]["timeline"].count(EventVerb.DISPUTED) == 1


def test_full_and_partial_refunds_reopen_the_balance(
    client: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    invoice, session = pay(stripe_standin, tenant, owner_membership)
    deliver(
        client, django_capture_on_commit_callbacks, *events_of(stripe_standin, "payment_intent.succeeded")
    )
    intent = stripe_client.payment_intent_retrieve(
        payment_intent_id=session["payment_intent"], account=connected.stripe_id
    )
    stripe_client.refund_create(
        idempotency_key="r1", charge=intent["latest_charge"], amount=2500, account=connected.stripe_id
    )
    deliver(client, django_capture_on_commit_callbacks, events_of(stripe_standin, "charge.refunded")[-1])
    after = state(tenant, invoice)
    assert (after["status"], after["paid"], after["balance"]) == ("partially_paid", d("75.00"), d("25.00"))
    stripe_client.refund_create(
        idempotency_key="r2", charge=intent["latest_charge"], account=connected.stripe_id
    )
    deliver(client, django_capture_on_commit_callbacks, events_of(stripe_standin, "charge.refunded")[-1])
    after = state(tenant, invoice)
    assert (after["status"], after["paid"], after["balance"]) == ("open", d("0.00"), d("100.00"))
    assert after["refunds"] == [("25.00", "succeeded"), ("75.00", "succeeded")]
    assert after["payments"] == [("100.00", session["payment_intent"])]  # the payment row stays


@pytest.mark.parametrize(
    ("outcome", "status", "balance"), [("won", "paid", "0.00"), ("lost", "open", "100.00")]
)
def test_a_dispute_holds_then_restores_or_reopens(
    client: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
    django_capture_on_commit_callbacks: Any,
    outcome: str,
    status: str,
    balance: str,
) -> None:
    invoice, session = pay(stripe_standin, tenant, owner_membership)
    intent = stripe_client.payment_intent_retrieve(
        payment_intent_id=session["payment_intent"], account=connected.stripe_id
    )
    dispute = stripe_standin.dispute_create(intent["latest_charge"])
    deliver(client, django_capture_on_commit_callbacks, *events_of(stripe_standin, "charge.dispute.created"))
    held = state(tenant, invoice)
    assert (held["status"], held["disputes"]) == ("paid", [("100.00", "open")])
    stripe_standin.dispute_close(dispute["id"], status=outcome)
    deliver(client, django_capture_on_commit_callbacks, *events_of(stripe_standin, "charge.dispute.closed"))
    after = state(tenant, invoice)
    assert (after["status"], after["balance"], after["disputes"]) == (
        status,
        d(balance),
        [("100.00", outcome)],
    )
    verb = EventVerb.DISPUTE_WON if outcome == "won" else EventVerb.DISPUTE_LOST
    assert after["timeline"].count(verb) == 1


def test_a_declined_card_is_on_the_timeline_and_changes_no_money(
    client: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    invoice, _ = invoice_with_link(tenant, owner_membership)
    with tenant_scope(tenant):
        url = invoice_checkout_start(invoice=invoice, return_url="http://testserver/i/x")
    session_id = url.rsplit("/", 1)[-1]
    assert (
        stripe_standin.pay_checkout_session(session_id, card="4000000000000002") == "Your card was declined."
    )
    failed = events_of(stripe_standin, "payment_intent.payment_failed")
    deliver(client, django_capture_on_commit_callbacks, *failed, *failed)
    after = state(tenant, invoice)
    assert (after["status"], after["payments"]) == ("open", [])
    assert after["timeline"].count(EventVerb.PAYMENT_FAILED) == 1
    # The client tries again with a good card; the late failure event changes nothing more.
    stripe_standin.pay_checkout_session(session_id)
    deliver(
        client, django_capture_on_commit_callbacks, *events_of(stripe_standin, "payment_intent.succeeded")
    )
    assert state(tenant, invoice)["status"] == "paid"


def test_a_handler_failing_once_succeeds_on_the_retry(
    client: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    invoice, _ = pay(stripe_standin, tenant, owner_membership)
    real = stripe_client.payment_intent_retrieve
    calls: list[str] = []

    def flaky(**kwargs: Any) -> Any:
        calls.append(kwargs["payment_intent_id"])
        if len(calls) == 1:
            raise stripe_client.APIConnectionError("Stripe is unreachable")
        return real(**kwargs)

    monkeypatch.setattr(stripe_client, "payment_intent_retrieve", flaky)
    deliver(
        client, django_capture_on_commit_callbacks, *events_of(stripe_standin, "payment_intent.succeeded")
    )
    row = StripeEvent.objects.get(type="payment_intent.succeeded")
    assert (row.status, row.attempts, row.last_error) == ("processed", 2, "")
    assert state(tenant, invoice)["status"] == "paid"


def test_account_updated_keeps_the_connection_state_current(
    client: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    django_capture_on_commit_callbacks: Any,
) -> None:
    stripe_standin.account_restrict(connected.stripe_id)
    deliver(client, django_capture_on_commit_callbacks, events_of(stripe_standin, "account.updated")[-1])
    with tenant_scope(connected.tenant):
        connected.refresh_from_db()
    assert (connected.state, connected.charges_enabled, connected.requirements_due) == (
        "restricted",
        False,
        ["external_account"],
    )
    # An older event delivered late does not turn the clock back: state comes from Stripe.
    deliver(client, django_capture_on_commit_callbacks, events_of(stripe_standin, "account.updated")[0])
    with tenant_scope(connected.tenant):
        connected.refresh_from_db()
    assert connected.state == "restricted"


def test_a_tenant_cannot_pay_another_tenants_invoice_through_metadata(
    client: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    other_tenant: Tenant,
    owner_membership: Membership,
    outsider_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The tenant comes from the account the event is on, never from metadata it controls."""
    victim, _ = invoice_with_link(tenant, owner_membership)
    attacker = connect_tenant(stripe_standin, other_tenant, outsider_membership)
    session = stripe_client.checkout_session_create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {"currency": "eur", "unit_amount": 10000, "product_data": {"name": "x"}},
                    "quantity": 1,
                }
            ],
            "metadata": {"invoice": victim.public_id},
            "payment_intent_data": {"metadata": {"invoice": victim.public_id}},
        },
        idempotency_key="attack",
        account=attacker.stripe_id,
    )
    stripe_standin.pay_checkout_session(session["id"])
    deliver(
        client,
        django_capture_on_commit_callbacks,
        *events_of(stripe_standin, "payment_intent.succeeded", "checkout.session.completed"),
    )
    assert state(tenant, victim)["status"] == "open"
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_events_of_unknown_accounts_and_the_platform_are_ignored(
    client: Client, stripe_webhook_secret: str, django_capture_on_commit_callbacks: Any
) -> None:
    from billing.tests.fixtures import make_stripe_event, post_stripe_event

    with django_capture_on_commit_callbacks(execute=True):
        post_connect_event(
            client, make_stripe_event("payment_intent.succeeded", "payment_intent", account="acct_unknown")
        )
        post_stripe_event(client, make_stripe_event("charge.refunded", "charge"))
    assert list(StripeEvent.objects.values_list("status", "handled")) == [("processed", True)] * 2
