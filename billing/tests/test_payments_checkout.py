"""Pay now: Checkout sessions on the tenant's connected account, reused, replaced, never two
live ones; partial payments; payments off without keys; Connect onboarding and settings."""

from __future__ import annotations

import secrets
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from billing import stripe_client
from billing.models import CheckoutAttempt, PaymentSettings, StripeAccount
from billing.tests.payment_fixtures import connect_tenant, d, invoice_with_link, refreshed
from billing.tests.stripe_standin import StripeStandIn
from core.ratelimit import memory_limiter
from invoices import services
from invoices.models import InvoiceStatus, Payment
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_celery_eager")]


@pytest.fixture(autouse=True)
def _fresh_limiter() -> None:
    memory_limiter.clear()


@pytest.fixture
def anon() -> Client:
    return Client(REMOTE_ADDR=f"10.9.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}")


@pytest.fixture
def connected(stripe_standin: StripeStandIn, tenant: Tenant, owner_membership: Membership) -> StripeAccount:
    return connect_tenant(stripe_standin, tenant, owner_membership)


def _creates(standin: StripeStandIn) -> list[dict[str, Any]]:
    return [r for r in standin.requests if r["method"] == "POST" and r["path"] == "/v1/checkout/sessions"]


def _session_id(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[-1]


def _attempts(tenant: Tenant) -> list[CheckoutAttempt]:
    with tenant_scope(tenant):
        return list(CheckoutAttempt.objects.order_by("number"))


def test_pay_now_makes_a_session_on_the_connected_account(
    anon: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
) -> None:
    invoice, token = invoice_with_link(tenant, owner_membership, amount="123.45", language="fr")
    page = anon.get(f"/i/{token}")
    assert "Payer maintenant" in page.content.decode() or "Pay now" in page.content.decode()
    # The page's form leads to Stripe's hosted page: its origin is allowed in form-action.
    assert stripe_standin.base_url in page["Content-Security-Policy"].split("form-action")[1].split(";")[0]

    response = anon.post(f"/i/{token}/pay")
    assert response.status_code == 303
    assert response["Location"].startswith(f"{stripe_standin.base_url}/c/pay/cs_test_")
    assert response["Referrer-Policy"] == "no-referrer"
    [create] = _creates(stripe_standin)
    assert create["account"] == connected.stripe_id
    item = create["params"]["line_items"][0]
    assert item["price_data"]["unit_amount"] == "12345"  # integer minor units at the boundary
    assert item["price_data"]["currency"] == "eur"
    assert create["params"]["metadata"]["invoice"] == invoice.public_id
    assert create["params"]["payment_intent_data"]["metadata"]["invoice"] == invoice.public_id
    assert create["params"]["locale"] == "fr"
    assert create["idempotency_key"] == f"invoice-checkout:{invoice.public_id}:12345:12345:1"
    assert create["params"]["success_url"].startswith(f"http://testserver/i/{token}?checkout=done")


def test_a_second_press_reuses_the_open_session(
    anon: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
) -> None:
    _, token = invoice_with_link(tenant, owner_membership)
    first = anon.post(f"/i/{token}/pay")["Location"]
    second = anon.post(f"/i/{token}/pay")["Location"]
    assert first == second
    assert len(_creates(stripe_standin)) == 1
    assert [a.status for a in _attempts(tenant)] == ["open"]


def test_a_changed_balance_expires_the_old_session_first(
    anon: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
) -> None:
    invoice, token = invoice_with_link(tenant, owner_membership)
    first = anon.post(f"/i/{token}/pay")["Location"]
    with tenant_scope(tenant):
        services.payment_record(actor=owner_membership, invoice=invoice, amount="30.00")
    second = anon.post(f"/i/{token}/pay")["Location"]
    assert second != first
    old = stripe_client.checkout_session_retrieve(session_id=_session_id(first), account=connected.stripe_id)
    assert old["status"] == "expired"  # never two live sessions for one invoice
    creates = _creates(stripe_standin)
    assert creates[-1]["params"]["line_items"][0]["price_data"]["unit_amount"] == "7000"
    assert creates[-1]["idempotency_key"].endswith(":7000:7000:2")
    assert [a.status for a in _attempts(tenant)] == ["expired", "open"]


def test_an_expired_session_is_replaced(
    anon: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
) -> None:
    _, token = invoice_with_link(tenant, owner_membership)
    first = anon.post(f"/i/{token}/pay")["Location"]
    stripe_standin.advance_clock(86_400 + 60)
    second = anon.post(f"/i/{token}/pay")["Location"]
    assert second != first
    assert [a.status for a in _attempts(tenant)] == ["expired", "open"]


def test_an_old_session_paid_meanwhile_is_recorded_not_doubled(
    anon: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    invoice, token = invoice_with_link(tenant, owner_membership)
    first = anon.post(f"/i/{token}/pay")["Location"]
    assert stripe_standin.pay_checkout_session(_session_id(first)) == ""  # no webhook endpoint here
    with django_capture_on_commit_callbacks(execute=True):
        response = anon.post(f"/i/{token}/pay")
    assert response.status_code == 400
    assert "nothing left to pay" in response.content.decode()
    assert len(_creates(stripe_standin)) == 1
    assert refreshed(tenant, invoice).status == InvoiceStatus.PAID


def test_partial_payments_when_the_tenant_allows_them(
    anon: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
) -> None:
    _, token = invoice_with_link(tenant, owner_membership)
    # Not allowed: the amount is ignored, the balance is charged.
    anon.post(f"/i/{token}/pay", {"amount": "20.00"})
    assert _creates(stripe_standin)[-1]["params"]["line_items"][0]["price_data"]["unit_amount"] == "10000"
    with tenant_scope(tenant):
        PaymentSettings.objects.create(allow_partial_payments=True)
    assert 'name="amount" value="100.00"' in anon.get(f"/i/{token}").content.decode()
    assert anon.post(f"/i/{token}/pay", {"amount": "20.00"}).status_code == 303
    assert _creates(stripe_standin)[-1]["params"]["line_items"][0]["price_data"]["unit_amount"] == "2000"
    too_much = anon.post(f"/i/{token}/pay", {"amount": "100.01"})
    assert too_much.status_code == 400
    assert "at most the balance due" in too_much.content.decode()
    assert anon.post(f"/i/{token}/pay", {"amount": "1.005"}).status_code == 400
    too_small = anon.post(f"/i/{token}/pay", {"amount": "0.10"})  # under Stripe's minimum charge
    assert too_small.status_code == 400
    assert "not possible for this amount" in too_small.content.decode()


@pytest.mark.parametrize("blocker", ["not_connected", "pending", "restricted", "switched_off"])
def test_no_pay_now_unless_the_account_is_active_and_payments_on(
    anon: Client, stripe_standin: StripeStandIn, tenant: Tenant, owner_membership: Membership, blocker: str
) -> None:
    if blocker != "not_connected":
        account = connect_tenant(stripe_standin, tenant, owner_membership, finish=blocker != "pending")
        if blocker == "restricted":
            stripe_standin.account_restrict(account.stripe_id)
            from billing.connect import stripe_account_sync

            assert stripe_account_sync(stripe_id=account.stripe_id).state == "restricted"
    if blocker == "switched_off":
        with tenant_scope(tenant):
            PaymentSettings.objects.create(online_payments=False)
    _, token = invoice_with_link(tenant, owner_membership)
    assert "Pay now" not in anon.get(f"/i/{token}").content.decode()
    assert anon.post(f"/i/{token}/pay").status_code == 400
    assert _creates(stripe_standin) == []


def test_paid_invoice_has_no_pay_button(
    anon: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
) -> None:
    invoice, token = invoice_with_link(tenant, owner_membership)
    assert "Pay now" in anon.get(f"/i/{token}").content.decode()
    with tenant_scope(tenant):
        services.payment_record(actor=owner_membership, invoice=invoice, amount="100.00")
    assert "Pay now" not in anon.get(f"/i/{token}").content.decode()
    assert anon.post(f"/i/{token}/pay").status_code == 400


def test_returning_from_checkout_records_the_payment_and_sends_one_receipt(
    anon: Client,
    stripe_standin: StripeStandIn,
    connected: StripeAccount,
    tenant: Tenant,
    owner_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    invoice, token = invoice_with_link(tenant, owner_membership, email="pay@client.example")
    session_id = _session_id(anon.post(f"/i/{token}/pay")["Location"])
    stripe_standin.pay_checkout_session(session_id)
    session = stripe_client.checkout_session_retrieve(session_id=session_id, account=connected.stripe_id)
    # Where the hosted page sends the browser once paid.
    back = (
        session["success_url"].replace("http://testserver", "").replace("{CHECKOUT_SESSION_ID}", session_id)
    )
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            page = anon.get(back)
        assert 'data-testid="paid-notice"' in page.content.decode()
    assert refreshed(tenant, invoice).status == InvoiceStatus.PAID
    with tenant_scope(tenant):
        payment = Payment.objects.get()
    assert (payment.amount, payment.source, payment.external_id) == (
        d("100.00"),
        "stripe",
        session["payment_intent"],
    )
    assert [m.to for m in mail.outbox] == [["pay@client.example"]]
    assert invoice.number in mail.outbox[0].subject


def test_without_stripe_keys_everything_says_online_payment_is_off(
    anon: Client, owner_client: Client, tenant: Tenant, owner_membership: Membership
) -> None:
    _, token = invoice_with_link(tenant, owner_membership)
    page = anon.get(f"/i/{token}").content.decode()
    assert "Online payment is off" in page
    assert "Pay now" not in page
    settings_page = owner_client.get(f"/t/{tenant.slug}/settings/payments/").content.decode()
    assert "no Stripe keys configured" in settings_page
    assert "Connect with Stripe" not in settings_page
    # Everything else works: the settings save, and a manual payment pays the invoice.
    response = owner_client.post(
        f"/t/{tenant.slug}/settings/payments/", {"payment_instructions": "IBAN DE89 3704 0044 0532 0130 00"}
    )
    assert response.status_code == 302
    assert "IBAN DE89 3704 0044 0532 0130 00" in anon.get(f"/i/{token}").content.decode()


# --- the settings page and Connect onboarding ---------------------------------------------------


def test_connect_onboarding_through_the_settings_page(
    owner_client: Client, stripe_standin: StripeStandIn, tenant: Tenant
) -> None:
    page = owner_client.get(f"/t/{tenant.slug}/settings/payments/")
    assert "Connect with Stripe" in page.content.decode()
    assert stripe_standin.base_url in page["Content-Security-Policy"]
    response = owner_client.post(f"/t/{tenant.slug}/settings/payments/connect/")
    assert response.status_code == 303
    onboarding = response["Location"]
    assert onboarding.startswith(f"{stripe_standin.base_url}/setup/s/acct_")
    with tenant_scope(tenant):
        account = StripeAccount.objects.get(tenant=tenant)
    assert account.state == "pending"
    # A second click reuses the account (a new link only).
    owner_client.post(f"/t/{tenant.slug}/settings/payments/connect/")
    with tenant_scope(tenant):
        assert StripeAccount.objects.count() == 1
    accounts = [r for r in stripe_standin.requests if r["path"] == "/v1/accounts" and r["method"] == "POST"]
    assert len(accounts) == 1
    # The owner finishes onboarding on Stripe's page, which sends the browser back.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(urllib.request.Request(onboarding, data=b"action=submit", method="POST"))  # noqa: S310
    back = redirect.value.headers["Location"]
    assert back == f"http://testserver/t/{tenant.slug}/settings/payments/return/"
    response = owner_client.get(back.replace("http://testserver", ""))
    assert "your clients can pay by card" in response.content.decode()
    with tenant_scope(tenant):
        account.refresh_from_db()
    assert (account.state, account.charges_enabled) == ("active", True)
    assert 'data-state="active"' in response.content.decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_settings_are_for_owners_and_admins(
    owner_client: Client,
    member_client: Client,
    viewer_client: Client,
    outsider_client: Client,
    tenant: Tenant,
    admin_membership: Membership,
) -> None:
    from tenants.tests.fixtures import client_for

    url = f"/t/{tenant.slug}/settings/payments/"
    assert owner_client.get(url).status_code == 200
    assert client_for(admin_membership.user).get(url).status_code == 200
    assert member_client.get(url).status_code == 403
    assert viewer_client.get(url).status_code == 403
    assert member_client.post(url, {"allow_partial_payments": "on"}).status_code == 403
    assert member_client.post(url + "connect/").status_code == 403
    assert outsider_client.get(url).status_code == 404
    assert outsider_client.post(url + "connect/").status_code == 404
    assert outsider_client.get(url + "return/").status_code == 404
    with tenant_scope(tenant):
        assert not PaymentSettings.objects.exists()
        assert StripeAccount.objects.count() == 0


def test_saving_payment_options(owner_client: Client, tenant: Tenant) -> None:
    url = f"/t/{tenant.slug}/settings/payments/"
    response = owner_client.post(
        url, {"online_payments": "on", "allow_partial_payments": "on", "payment_instructions": " IBAN X "}
    )
    assert response.status_code == 302
    with tenant_scope(tenant):
        row = PaymentSettings.objects.get()
    assert (row.online_payments, row.allow_partial_payments, row.payment_instructions) == (
        True,
        True,
        "IBAN X",
    )
