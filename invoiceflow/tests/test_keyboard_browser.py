"""Keyboard only, in a real browser (Playwright driving Debian's Chromium): sign in, make a new
invoice, finalize it and send it, with Tab, typing and Enter and no pointer at all. On the way,
the builder's live totals follow the client picked before any line is typed (issue #18)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from conftest import CHROMIUM
from invoices.models import Invoice, InvoiceStatus
from invoices.tests.factories import ClientFactory, TaxRateFactory
from tenants.models import Role
from tenants.scoping import tenant_scope
from tenants.tests.factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _tab_to(page: Any, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector`: the way a keyboard user gets
    there, so an element that Tab never reaches fails here."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def _settled(page: Any) -> None:
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def test_sign_in_make_finalize_and_send_an_invoice_with_the_keyboard_alone(
    chromium: Any, live_server: Any, settings: Any
) -> None:
    settings.SITE_URL = live_server.url
    tenant = TenantFactory(name="Studio Fanny Dupont", slug="studio")
    user = UserFactory(email="fanny@studio.test")
    MembershipFactory(tenant=tenant, user=user, role=Role.OWNER)
    with tenant_scope(tenant):
        ClientFactory(name="Northwind Traders", currency="EUR", emails=["ap@northwind.example"])
        TaxRateFactory(name="VAT", percentage=Decimal("20"))
    mail.outbox = []

    page = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB").new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")

    # Sign in.
    _tab_to(page, "input[name=login]")
    page.keyboard.type(user.email)
    _tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/t/studio/")

    # New invoice.
    _tab_to(page, "a[href$='/invoices/new/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/invoices/new/")

    # Pick the client by typing, Tab to the result, Enter. The totals leave "Choose a client"
    # at once, before any line is typed.
    _tab_to(page, "#client-search")
    page.keyboard.type("north")
    page.get_by_test_id("client-result").first.wait_for()
    _tab_to(page, "[data-testid=client-result]")
    page.keyboard.press("Enter")
    page.get_by_test_id("chosen-client").wait_for()
    _settled(page)
    expect(page.get_by_test_id("totals")).not_to_contain_text("Choose a client")

    # One line.
    _tab_to(page, "[data-testid=line-description]")
    page.keyboard.type("Showroom design")
    _tab_to(page, "[data-testid=line-quantity]")
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    _tab_to(page, "[data-testid=line-price]")
    page.keyboard.type("650")
    _settled(page)
    expect(page.get_by_test_id("total")).to_have_text("€1,300.00")

    # Review, then finalize.
    _tab_to(page, "[data-testid=review-finalize]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/finalize/")
    _tab_to(page, "[data-testid=confirm-finalize]")
    page.keyboard.press("Enter")
    page.get_by_test_id("invoice-number").wait_for()
    with tenant_scope(tenant):
        invoice = Invoice.objects.get()
    assert invoice.status == InvoiceStatus.OPEN
    assert invoice.number

    # Send.
    _tab_to(page, "[data-testid=send-invoice]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/send/")
    _tab_to(page, "[data-testid=send-submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/invoices/{invoice.public_id}/")
    assert [message.to for message in mail.outbox] == [["ap@northwind.example"]]
    assert invoice.number in mail.outbox[0].subject
