"""In Chromium against the live server, the Stripe stand-in delivering real webhooks: a contact
signs into the portal with the emailed link, picks two of three open invoices, pays them on the
stand-in's hosted Checkout page, and once the webhook is in both show as paid (the third still
open); the portal's new pages (the Pay form, the PDF's pending page) fit 390 px and 1280 px and
pass axe-core; no CSP violation on the way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from billing.models import GroupCheckout, StripeEvent
from billing.tests.payment_fixtures import connect_tenant, refreshed
from billing.tests.stripe_standin import StripeStandIn
from conftest import CHROMIUM
from core.ratelimit import memory_limiter
from invoiceflow.testing.pages import AXE_RUN_JS, LAYOUT_JS, WIDTHS, axe_source
from invoices.models import ClientContact, InvoiceStatus
from invoices.tests.factories import ClientFactory, line, make_invoice
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("billing_celery_eager"),
]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture(autouse=True, scope="module")
def _allow_orm_beside_playwright() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    from django.core.cache import cache

    cache.clear()
    memory_limiter.clear()


@pytest.fixture
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _checked(page: Any, label: str) -> list[str]:
    """Layout (nothing overflows) and axe-core's serious/critical violations of this page."""
    return [f"{label}: {p}" for p in page.evaluate(LAYOUT_JS) + page.evaluate(AXE_RUN_JS)]


def test_a_contact_pays_two_open_invoices_at_once_in_chromium(
    chromium: Any,
    stripe_standin_live: StripeStandIn,
    live_server: Any,
    tenant: Tenant,
    owner_membership: Membership,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.SITE_URL = live_server.url  # the emailed sign-in link leads to this server
    connect_tenant(stripe_standin_live, tenant, owner_membership)
    with tenant_scope(tenant):
        client = ClientFactory(name="Boulangerie Martin", language="en", emails=["compta@martin.test"])
        ClientContact.objects.create(
            client=client, name="Paul Martin", email="paul@martin.test", is_primary=True
        )
        first, second, third = (
            make_invoice(actor=owner_membership, client=client, lines=[line(unit_price=a)], finalize=True)
            for a in ("120.00", "80.50", "40.00")
        )

    violations: list[str] = []
    problems: list[str] = []
    w, h = WIDTHS["phone"]
    context = chromium.new_context(viewport={"width": w, "height": h}, locale="en-GB", accept_downloads=True)
    context.add_init_script(script=axe_source())
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

    # The contact asks for a sign-in link and follows the emailed one.
    mail.outbox.clear()
    page.goto(f"{live_server.url}/portal/w/{tenant.slug}")
    page.get_by_label("Your email address").fill("paul@martin.test")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_test_id("link-sent")).to_be_visible()
    [email] = mail.outbox
    page.goto(re.search(r"https?://\S+/portal/sign-in/\S+", email.body).group(0))
    page.get_by_test_id("sign-in").click()

    form = page.get_by_test_id("pay-several-form")
    expect(form).to_be_visible()
    problems += _checked(page, "portal home with the Pay form, 390px")
    page.set_viewport_size({"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})
    problems += _checked(page, "portal home with the Pay form, 1280px")

    # A PDF asked for the first time: its pending page, then the file.
    page.get_by_test_id(f"pdf-{third.number}").click()
    expect(page.get_by_test_id("pdf-pending")).to_be_visible()
    problems += _checked(page, "PDF pending page, 1280px")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF").click()
    assert download.value.suggested_filename.endswith(f"{third.number}.pdf")
    page.goto(f"{live_server.url}/portal/")

    page.get_by_label(f"Pay invoice {first.number}").check()
    page.get_by_label(f"Pay invoice {second.number}").check()
    page.get_by_role("button", name="Pay the selected invoices").click()
    # Stripe's hosted page (the stand-in's), reached through the form's 303.
    page.wait_for_url(f"{stripe_standin_live.base_url}/c/pay/**")
    expect(page.get_by_test_id("amount")).to_have_text("200.50 EUR")
    page.get_by_label("Email").fill("paul@martin.test")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(f"{live_server.url}/portal/?checkout=done**")

    # The webhook recorded it (the return settles only a still-open session).
    completed = StripeEvent.objects.get(type="checkout.session.completed")
    assert completed.status == "processed"
    page.reload()
    paid = page.get_by_test_id("paid-invoices")
    expect(paid).to_contain_text(first.number)
    expect(paid).to_contain_text(second.number)
    expect(page.get_by_test_id("open-invoices")).to_contain_text(third.number)
    expect(page.get_by_test_id("open-invoices")).not_to_contain_text(first.number)
    expect(page.get_by_test_id("payments")).to_contain_text("€120.00")
    expect(page.get_by_test_id("payments")).to_contain_text("€80.50")
    page.set_viewport_size({"width": w, "height": h})
    problems += _checked(page, "portal home after paying, 390px")
    context.close()

    assert refreshed(tenant, first).status == InvoiceStatus.PAID
    assert refreshed(tenant, second).status == InvoiceStatus.PAID
    assert refreshed(tenant, third).status == InvoiceStatus.OPEN
    with tenant_scope(tenant):
        assert GroupCheckout.objects.get().status == "complete"
    assert problems == []
    assert violations == []
