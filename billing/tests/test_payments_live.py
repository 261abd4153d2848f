"""With the stand-in delivering real webhooks to a live server: reconciliation of lost webhooks,
and a client paying an invoice in Chromium."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from billing.checkout import invoice_checkout_start
from billing.models import CheckoutAttempt, StripeEvent
from billing.tasks import reconcile_open_checkouts
from billing.tests.payment_fixtures import connect_tenant, invoice_with_link, refreshed
from billing.tests.stripe_standin import StripeStandIn
from core.ratelimit import memory_limiter
from invoices.models import InvoiceStatus, Payment
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("billing_celery_eager")]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def _fresh_limiter() -> None:
    memory_limiter.clear()


def _age_attempts(tenant: Tenant, minutes: int = 5) -> None:
    with tenant_scope(tenant):
        for attempt in CheckoutAttempt.objects.all():
            CheckoutAttempt.objects.filter(pk=attempt.pk).update(
                created_at=attempt.created_at - timedelta(minutes=minutes)
            )


def test_reconciliation_records_a_payment_whose_webhooks_were_lost(
    stripe_standin_live: StripeStandIn, tenant: Tenant, owner_membership: Membership
) -> None:
    standin = stripe_standin_live
    connect_tenant(standin, tenant, owner_membership)
    paid, _ = invoice_with_link(tenant, owner_membership, email="lost@client.example")
    abandoned, _ = invoice_with_link(tenant, owner_membership)
    with tenant_scope(tenant):
        paid_url = invoice_checkout_start(invoice=paid, return_url="http://127.0.0.1/i/x")
        invoice_checkout_start(invoice=abandoned, return_url="http://127.0.0.1/i/y")
    standin.hold_webhooks()
    standin.pay_checkout_session(paid_url.rsplit("/", 1)[-1])
    assert [e["type"] for e in standin.drop_held_webhooks()][-1] == "checkout.session.completed"
    assert refreshed(tenant, paid).status == InvoiceStatus.OPEN  # Stripe has the money, we don't know

    # Too young: a client may still be typing a card number. Nothing is asked.
    reconcile_open_checkouts.delay()
    assert refreshed(tenant, paid).status == InvoiceStatus.OPEN
    _age_attempts(tenant)
    reconcile_open_checkouts.delay()
    assert refreshed(tenant, paid).status == InvoiceStatus.PAID
    assert refreshed(tenant, abandoned).status == InvoiceStatus.OPEN
    with tenant_scope(tenant):
        assert Payment.objects.filter(invoice=paid).count() == 1
        statuses = dict(CheckoutAttempt.objects.values_list("invoice_id", "status"))
    assert statuses == {paid.pk: "complete", abandoned.pk: "open"}
    assert [m.to for m in mail.outbox] == [["lost@client.example"]]

    # Stripe expires the abandoned session (its event lost too): the next run closes it.
    standin.advance_clock(86_400 + 60)
    standin.drop_held_webhooks()
    reconcile_open_checkouts.delay()
    with tenant_scope(tenant):
        assert set(CheckoutAttempt.objects.values_list("status", flat=True)) == {"complete", "expired"}
        assert Payment.objects.count() == 1
    # And when the lost events do arrive after all, nothing is doubled.
    standin.holding = False
    for event in [e for e in standin.events if e["type"] == "checkout.session.completed"]:
        standin.redeliver(event["id"])
    with tenant_scope(tenant):
        assert Payment.objects.count() == 1
    assert len(mail.outbox) == 1
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"processed"}


@pytest.mark.browser
def test_client_pays_in_chromium_and_both_pages_show_paid(
    stripe_standin_live: StripeStandIn,
    live_server: Any,
    tenant: Tenant,
    owner_membership: Membership,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    connect_tenant(stripe_standin_live, tenant, owner_membership)
    invoice, token = invoice_with_link(tenant, owner_membership, amount="250.00", email="client@pay.example")
    owner_session = Client()
    owner_session.force_login(owner_membership.user)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="en-GB")
            page = context.new_page()
            page.set_default_timeout(15_000)
            csp_errors: list[str] = []
            page.on(
                "console",
                lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
            )
            page.goto(f"{live_server.url}/i/{token}")
            expect(page.get_by_test_id("balance-due")).to_have_text("€250.00")
            page.get_by_role("button", name="Pay now").click()
            # Stripe's hosted page (the stand-in's), reached through the form's 303.
            page.wait_for_url(f"{stripe_standin_live.base_url}/c/pay/**")
            expect(page.get_by_test_id("amount")).to_have_text("250.00 EUR")
            page.get_by_label("Email").fill("client@pay.example")
            page.get_by_label("Card number").fill("4242 4242 4242 4242")
            page.get_by_role("button", name="Pay").click()
            page.wait_for_url(f"{live_server.url}/i/{token}?checkout=done**")
            expect(page.get_by_test_id("paid-notice")).to_be_visible()
            expect(page.get_by_test_id("balance-due")).to_have_text("€0.00")
            assert page.get_by_role("button", name="Pay now").count() == 0
            assert csp_errors == []

            # The tenant's own invoice page says paid too.
            staff = browser.new_context(locale="en-GB")
            staff.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": owner_session.cookies[settings.SESSION_COOKIE_NAME].value,
                        "url": live_server.url,
                    }
                ]
            )
            tenant_page = staff.new_page()
            tenant_page.goto(f"{live_server.url}/t/{tenant.slug}/invoices/{invoice.public_id}/")
            expect(tenant_page.locator("[data-status='paid']").first).to_be_visible()
        finally:
            browser.close()

    # It was the webhook that recorded it (the return settles only a still-open attempt).
    completed = StripeEvent.objects.get(type="checkout.session.completed")
    assert completed.status == "processed"
    assert refreshed(tenant, invoice).status == InvoiceStatus.PAID
    assert len(mail.outbox) == 1
