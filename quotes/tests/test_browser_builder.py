"""The quote builder in a real browser (Playwright + Debian's Chromium), at 390 px and 1280 px:
typing a line updates the server's totals (htmx), a line is added and removed, the quote saves.
No console error (a CSP violation is one), and the page is no wider than the window."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from invoiceflow.testing.browser import browser_fixture, htmx_idle, signed_in_page  # noqa: F401 (fixture)
from invoiceflow.testing.pages import AXE_RUN_JS, LAYOUT_JS, axe_source
from invoices.tests.factories import ClientFactory, TaxRateFactory
from quotes.models import Quote
from tenants.models import Tenant, User
from tenants.scoping import tenant_scope

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page(browser: Any, live_server: Any, user: User, width: int) -> Any:
    return signed_in_page(browser, live_server, user, width, axe=axe_source())


@pytest.mark.parametrize("width", [390, 1280])
def test_typing_a_line_updates_the_quote_total(
    browser: Any, live_server: Any, tenant: Tenant, owner: User, owner_membership: Any, width: int
) -> None:
    with tenant_scope(tenant):
        client = ClientFactory(name="Boulangerie Martin", currency="EUR")
        TaxRateFactory(name="VAT", percentage=Decimal("20"))
    page = _page(browser, live_server, owner, width)
    page.goto(live_server.url + reverse("quote_new", args=[tenant.slug]))
    expect(page.get_by_test_id("totals-message")).to_have_text("Choose a client to see the totals.")
    page.get_by_label("Client", exact=True).select_option(client.public_id)
    htmx_idle(page)
    line = page.get_by_test_id("line").first
    line.get_by_test_id("line-description").fill("New oven")
    line.get_by_test_id("line-quantity").fill("2")
    line.get_by_test_id("line-price").fill("1500")
    expect(page.get_by_test_id("total")).to_have_text("€3,000.00")
    expect(line.get_by_test_id("line-amount")).to_have_text("€3,000.00")
    htmx_idle(page)
    line.get_by_test_id("line-taxes").locator("summary").click()
    line.get_by_label("VAT").check()
    expect(page.get_by_test_id("total")).to_have_text("€3,600.00")
    htmx_idle(page)
    # A bad price: the totals say which line, nothing breaks; fixed, the total comes back.
    line.get_by_test_id("line-price").fill("15,00.0")
    expect(page.get_by_test_id("totals-message")).to_contain_text("Line 1:")
    line.get_by_test_id("line-price").fill("1500")
    expect(page.get_by_test_id("total")).to_have_text("€3,600.00")
    # Leaving the field posts its change (the live totals) before the button's operation.
    line.get_by_test_id("line-price").blur()
    htmx_idle(page)
    # Another line, through the same add button as the invoice builder's; then removed.
    page.get_by_test_id("add-line").click()
    expect(page.get_by_test_id("line")).to_have_count(2)
    htmx_idle(page)
    second = page.get_by_test_id("line").nth(1)
    second.get_by_test_id("line-description").fill("Installation")
    second.get_by_test_id("line-price").fill("400")
    expect(page.get_by_test_id("total")).to_have_text("€4,000.00")
    second.get_by_test_id("line-price").blur()
    htmx_idle(page)
    second.get_by_test_id("line-remove").click()
    expect(page.get_by_test_id("line")).to_have_count(1)
    expect(page.get_by_test_id("total")).to_have_text("€3,600.00")
    htmx_idle(page)
    width_now = page.evaluate("document.documentElement.scrollWidth")
    assert width_now <= width, f"the quote builder is {width_now}px wide at {width}px"
    # The page walker's checks (invoiceflow/testing/pages.py), on the builder with its totals.
    assert page.evaluate(LAYOUT_JS) == []
    assert page.evaluate(AXE_RUN_JS) == []
    page.get_by_test_id("save-quote").click()
    page.wait_for_url("**/quotes/*/")
    with tenant_scope(tenant):
        quote = Quote.objects.get()
    assert quote.total == Decimal("3600.00")
    assert quote.lines[0]["description"] == "New oven"
    assert page.console_errors == []
    page.context.close()
