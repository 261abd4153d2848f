"""Several invoices paid in one Checkout Session (the client portal's Pay button): one payment
per invoice for its share, exactly once however often the webhooks come; only invoices of one
client, in one currency, payable online; an invoice paid meanwhile keeps the money as a surplus."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from billing import stripe_client
from billing.group_checkout import group_checkout_start
from billing.models import GroupCheckout, GroupCheckoutItem, PaymentSettings, StripeAccount, StripeEvent
from billing.tests.payment_fixtures import connect_tenant, d, post_connect_event, refreshed
from billing.tests.stripe_standin import StripeStandIn
from core.errors import ApplicationError
from invoices import services as invoicing
from invoices.models import Client as InvoiceClient
from invoices.models import EventVerb, Invoice, InvoiceEvent, InvoiceStatus, Payment
from invoices.tests.factories import ClientFactory, line, make_invoice
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_celery_eager")]


@pytest.fixture
def connected(stripe_standin: StripeStandIn, tenant: Tenant, owner_membership: Membership) -> StripeAccount:
    return connect_tenant(stripe_standin, tenant, owner_membership)


def _client(tenant: Tenant, currency: str = "EUR") -> InvoiceClient:
    with tenant_scope(tenant):
        return ClientFactory(currency=currency, emails=["ap@client.example"])


def _invoice(
    tenant: Tenant, owner: Membership, client: InvoiceClient, amount: str, currency: str = "EUR"
) -> Invoice:
    with tenant_scope(tenant):
        return make_invoice(
            actor=owner, client=client, lines=[line(unit_price=amount)], finalize=True, currency=currency
        )


def _start(tenant: Tenant, client: InvoiceClient, *invoices: Invoice | str) -> str:
    ids = [i if isinstance(i, str) else i.public_id for i in invoices]
    with tenant_scope(tenant):
        return group_checkout_start(client=client, invoice_ids=ids, return_url="http://testserver/portal/")


def _deliver_all(client: Client, capture: Any, standin: StripeStandIn, account: str) -> list[dict[str, Any]]:
    events = [e for e in standin.events if e.get("account") == account]
    for event in events:
        with capture(execute=True):
            assert post_connect_event(client, event).status_code == 200
    return events


def _payments(tenant: Tenant) -> list[tuple[str, Decimal, str]]:
    with tenant_scope(tenant):
        found = Payment.objects.select_related("invoice")
        return sorted((p.invoice.number, p.amount, p.external_id or "") for p in found)


def test_one_session_pays_each_invoice_its_balance_exactly_once(
    client: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    buyer = _client(tenant)
    first = _invoice(tenant, owner_membership, buyer, "100.00")
    second = _invoice(tenant, owner_membership, buyer, "40.50")
    with tenant_scope(tenant):
        invoicing.payment_record(actor=owner_membership, invoice=second, amount="10.00")
    url = _start(tenant, buyer, first, second)
    # A second press of the same selection gets the same session, not a second live one.
    assert _start(tenant, buyer, second, first) == url
    [create] = [
        r for r in stripe_standin.requests if r["path"] == "/v1/checkout/sessions" and r["method"] == "POST"
    ]
    amounts = [item["price_data"]["unit_amount"] for item in create["params"]["line_items"]]
    assert amounts == ["10000", "3050"]  # each invoice's balance due, in minor units
    session_id = url.rsplit("/", 1)[-1]
    assert stripe_standin.pay_checkout_session(session_id) == ""

    events = _deliver_all(client, django_capture_on_commit_callbacks, stripe_standin, connected.stripe_id)
    # Stripe redelivers everything: nothing more is recorded.
    for event in events:
        stripe_standin.redeliver(event["id"])
    _deliver_all(client, django_capture_on_commit_callbacks, stripe_standin, connected.stripe_id)

    session = stripe_client.checkout_session_retrieve(session_id=session_id, account=connected.stripe_id)
    intent = session["payment_intent"]
    assert [(n, a) for n, a, _ in _payments(tenant)] == sorted(
        [(first.number, d("100.00")), (second.number, d("10.00")), (second.number, d("30.50"))]
    )
    stripe_ids = {e for _, _, e in _payments(tenant) if e}
    assert stripe_ids == {f"{intent}:{first.public_id}", f"{intent}:{second.public_id}"}
    assert refreshed(tenant, first).status == InvoiceStatus.PAID
    assert refreshed(tenant, second).status == InvoiceStatus.PAID
    with tenant_scope(tenant):
        group = GroupCheckout.objects.get()
        assert group.status == "complete"
        assert group.amount == d("130.50")
        assert all(item.payment_id for item in GroupCheckoutItem.objects.all())
        assert InvoiceEvent.objects.filter(verb=EventVerb.PAID).count() == 2
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert len(mail.outbox) == 2  # one receipt per invoice paid


def test_an_invoice_paid_meanwhile_keeps_its_share_as_a_surplus(
    client: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    buyer = _client(tenant)
    first = _invoice(tenant, owner_membership, buyer, "100.00")
    second = _invoice(tenant, owner_membership, buyer, "20.00")
    url = _start(tenant, buyer, first, second)
    # The client also paid the second by bank transfer, recorded while Stripe's page was open.
    with tenant_scope(tenant):
        invoicing.payment_record(actor=owner_membership, invoice=second, amount="20.00")
    assert stripe_standin.pay_checkout_session(url.rsplit("/", 1)[-1]) == ""
    _deliver_all(client, django_capture_on_commit_callbacks, stripe_standin, connected.stripe_id)
    fresh = refreshed(tenant, second)
    # Not dropped: the card money is recorded too, and the invoice shows it as paid twice over.
    assert fresh.status == InvoiceStatus.PAID
    assert fresh.amount_paid == d("40.00")
    assert fresh.balance_due == d("0.00")
    assert refreshed(tenant, first).status == InvoiceStatus.PAID
    assert sum(a for _, a, _ in _payments(tenant)) == d("140.00")


def test_only_one_clients_open_invoices_in_one_currency_where_payments_are_on(
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
) -> None:
    buyer, other = _client(tenant), _client(tenant)
    mine = _invoice(tenant, owner_membership, buyer, "10.00")
    dollars = _invoice(tenant, owner_membership, buyer, "12.00", currency="USD")
    theirs = _invoice(tenant, owner_membership, other, "30.00")
    paid = _invoice(tenant, owner_membership, buyer, "5.00")
    with tenant_scope(tenant):
        invoicing.payment_record(actor=owner_membership, invoice=paid, amount="5.00")
        draft = make_invoice(actor=owner_membership, client=buyer, lines=[line(unit_price="9.00")])

    cases = [
        ((mine, dollars), "different currencies"),
        ((mine, theirs), "could not be found"),
        ((mine, "inv_does_not_exist"), "could not be found"),
        ((mine, draft), "nothing left to pay"),
        ((mine, paid), "nothing left to pay"),
        ((), "at least one invoice"),
    ]
    for invoices, message in cases:
        with pytest.raises(ApplicationError) as refused:
            _start(tenant, buyer, *invoices)
        assert message in refused.value.message
    # Nothing was asked of Stripe, nothing stored.
    assert not [r for r in stripe_standin.requests if r["path"] == "/v1/checkout/sessions"]
    with tenant_scope(tenant):
        assert not GroupCheckout.objects.exists()
        PaymentSettings.objects.update_or_create(tenant=tenant, defaults={"online_payments": False})
    with pytest.raises(ApplicationError) as off:
        _start(tenant, buyer, mine)
    assert off.value.code == "payments_off"


def test_a_group_of_another_workspace_is_never_paid_here(
    client: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    other_tenant: Tenant,
    owner_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The intent's metadata names a client and a number; they are looked up only in the
    workspace whose connected account sent the event."""
    from billing.group_ledger import group_intent_record

    buyer = _client(tenant)
    invoice = _invoice(tenant, owner_membership, buyer, "10.00")
    url = _start(tenant, buyer, invoice)
    assert stripe_standin.pay_checkout_session(url.rsplit("/", 1)[-1]) == ""
    with tenant_scope(tenant):
        session_id = GroupCheckout.objects.get().session_id
    session = stripe_client.checkout_session_retrieve(session_id=session_id, account=connected.stripe_id)
    intent = stripe_client.payment_intent_retrieve(
        payment_intent_id=session["payment_intent"], account=connected.stripe_id
    )
    with tenant_scope(other_tenant):
        assert group_intent_record(intent=intent) is None
    assert _payments(tenant) == []
    with tenant_scope(tenant):
        assert [p.amount for p in group_intent_record(intent=intent) or []] == [d("10.00")]
        assert [p.amount for p in group_intent_record(intent=intent) or []] == [d("10.00")]
    assert len(_payments(tenant)) == 1


def test_refunds_and_a_dispute_of_the_grouped_charge_are_split_over_its_invoices(
    client: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from invoices.models import Dispute, Refund

    buyer = _client(tenant)
    first = _invoice(tenant, owner_membership, buyer, "100.00")
    second = _invoice(tenant, owner_membership, buyer, "30.00")
    url = _start(tenant, buyer, first, second)
    session_id = url.rsplit("/", 1)[-1]
    assert stripe_standin.pay_checkout_session(session_id) == ""
    _deliver_all(client, django_capture_on_commit_callbacks, stripe_standin, connected.stripe_id)
    session = stripe_client.checkout_session_retrieve(session_id=session_id, account=connected.stripe_id)
    intent = stripe_client.payment_intent_retrieve(
        payment_intent_id=session["payment_intent"], account=connected.stripe_id
    )
    charge = intent["latest_charge"]
    # 50.00 refunded: the last invoice's 30.00 first, then 20.00 of the first one.
    stripe_client.refund_create(idempotency_key="g1", charge=charge, amount=5000, account=connected.stripe_id)
    for _ in range(2):  # a redelivery changes nothing
        for event in [e for e in stripe_standin.events if e["type"] == "charge.refunded"]:
            with django_capture_on_commit_callbacks(execute=True):
                assert post_connect_event(client, event).status_code == 200
    with tenant_scope(tenant):
        refunds = sorted((r.invoice.number, r.amount) for r in Refund.objects.select_related("invoice"))
    assert refunds == sorted([(first.number, d("20.00")), (second.number, d("30.00"))])
    assert refreshed(tenant, second).status == InvoiceStatus.OPEN
    assert refreshed(tenant, second).balance_due == d("30.00")
    assert refreshed(tenant, first).balance_due == d("20.00")

    stripe_standin.dispute_create(charge, amount=8000)
    for event in [e for e in stripe_standin.events if e["type"] == "charge.dispute.created"]:
        with django_capture_on_commit_callbacks(execute=True):
            assert post_connect_event(client, event).status_code == 200
    with tenant_scope(tenant):
        disputes = sorted((x.invoice.number, x.amount) for x in Dispute.objects.select_related("invoice"))
    assert disputes == sorted([(second.number, d("30.00")), (first.number, d("50.00"))])


def test_reconciliation_records_a_group_payment_whose_webhooks_were_lost(
    stripe_standin: StripeStandIn, connected: StripeAccount, tenant: Tenant, owner_membership: Membership
) -> None:
    from datetime import timedelta

    from billing.reconcile import checkout_attempts_reconcile

    buyer = _client(tenant)
    first = _invoice(tenant, owner_membership, buyer, "10.00")
    second = _invoice(tenant, owner_membership, buyer, "20.00")
    url = _start(tenant, buyer, first, second)
    assert stripe_standin.pay_checkout_session(url.rsplit("/", 1)[-1]) == ""
    with tenant_scope(tenant):
        assert checkout_attempts_reconcile()["checked"] == 0  # too young: the client may be typing
        counts = checkout_attempts_reconcile(min_age=timedelta(0))
        again = checkout_attempts_reconcile(min_age=timedelta(0))
    assert counts["completed"] == 1
    assert again["checked"] == 0
    assert refreshed(tenant, first).status == InvoiceStatus.PAID
    assert refreshed(tenant, second).status == InvoiceStatus.PAID
    assert len(_payments(tenant)) == 2


def test_pay_now_on_one_invoice_expires_the_portal_session_that_included_it(
    stripe_standin: StripeStandIn, connected: StripeAccount, tenant: Tenant, owner_membership: Membership
) -> None:
    from billing.checkout import invoice_checkout_start

    buyer = _client(tenant)
    first = _invoice(tenant, owner_membership, buyer, "10.00")
    second = _invoice(tenant, owner_membership, buyer, "20.00")
    group_url = _start(tenant, buyer, first, second)
    with tenant_scope(tenant):
        single_url = invoice_checkout_start(invoice=first, return_url="http://testserver/i/x")
        group = GroupCheckout.objects.get()
    assert single_url != group_url
    assert group.status == "expired"  # never two live sessions paying the same balance
    # Expired at Stripe too: its hosted page can no longer take money.
    at_stripe = stripe_client.checkout_session_retrieve(
        session_id=group.session_id, account=connected.stripe_id
    )
    assert at_stripe["status"] == "expired"
    # And the portal's next selection makes a new session, expiring the single one first.
    assert _start(tenant, buyer, first, second) not in (group_url, single_url)
    with tenant_scope(tenant):
        from billing.models import CheckoutAttempt

        assert CheckoutAttempt.objects.get().status == "expired"
        assert GroupCheckout.objects.filter(status="open").count() == 1


def test_a_group_below_stripes_minimum_is_refused_on_the_selection(
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
) -> None:
    """Stripe refusing the session (the stand-in's minimum charge, 0.50 EUR) is the payer's
    error on the invoices they chose, in words, and leaves no group checkout behind."""
    buyer = _client(tenant)
    small = _invoice(tenant, owner_membership, buyer, "0.10")
    smaller = _invoice(tenant, owner_membership, buyer, "0.05")
    with pytest.raises(ApplicationError) as refused:
        _start(tenant, buyer, small, smaller)
    assert refused.value.code == "checkout_refused"
    assert refused.value.field == "invoices"
    assert "Card payment is not possible for this amount" in refused.value.message
    with tenant_scope(tenant):
        assert not GroupCheckout.objects.exists()
