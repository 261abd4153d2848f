"""The invoice builder's allowances in a real browser (Playwright + Debian's Chromium), at
390 px and 1280 px: a 10 % allowance added to a draft lowers the server's total as it is
typed (htmx), the page keeps the page walker's layout and axe-core checks, and the draft
saves the allowance as a row."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from invoiceflow.testing.browser import browser_fixture, htmx_idle, signed_in_page  # noqa: F401 (fixture)
from invoiceflow.testing.pages import AXE_RUN_JS, LAYOUT_JS, axe_source
from invoices.models import AllowanceCharge, Invoice
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice
from tenants.models import Tenant, User
from tenants.scoping import tenant_scope

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page(browser: Any, live_server: Any, user: User, width: int) -> Any:
    return signed_in_page(browser, live_server, user, width, axe=axe_source())


def _draft(tenant: Tenant, owner_membership: Any) -> Invoice:
    with tenant_scope(tenant):
        vat = TaxRateFactory(name="VAT", percentage=Decimal("20"))
        client = ClientFactory(
            name="Northwind Traders",
            currency="EUR",
            # One long word in the chosen-client card: it must wrap, not widen a phone's page.
            emails=["accountspayable@northwindtradersinternational.example"],
        )
        return make_invoice(
            actor=owner_membership,
            client=client,
            lines=[line("Product design", "3", "650.00", tax_rates=[vat])],
        )


def _opened(
    browser: Any, live_server: Any, tenant: Tenant, owner: User, owner_membership: Any, width: int
) -> tuple[Any, Invoice]:
    """A draft of one line (3 x 650.00 at 20 % VAT), open in the builder."""
    draft = _draft(tenant, owner_membership)
    page = _page(browser, live_server, owner, width)
    page.goto(live_server.url + reverse("invoice_edit", args=[tenant.slug, draft.public_id]))
    expect(page.get_by_test_id("total")).to_have_text("€2,340.00")
    return page, draft


def _looks_right(page: Any, width: int, name: str) -> None:
    """Once htmx is idle: no sideways scrolling, the page walker's layout and axe-core checks
    pass; a screenshot `<name>-<width>.png` when SCREENSHOT_DIR is set."""
    htmx_idle(page)
    width_now = page.evaluate("document.documentElement.scrollWidth")
    assert width_now <= width, f"the invoice builder is {width_now}px wide at {width}px"
    assert page.evaluate(LAYOUT_JS) == []
    assert page.evaluate(AXE_RUN_JS) == []
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=f"{os.environ['SCREENSHOT_DIR']}/{name}-{width}.png", full_page=True)


def _saved_with_total(page: Any, width: int, name: str, total: str) -> None:
    """The page as typed looks right; saved, the draft opens again with the same total."""
    _looks_right(page, width, name)
    page.get_by_test_id("save-draft").click()
    page.wait_for_url("**/edit/")
    expect(page.get_by_test_id("total")).to_have_text(total)


@pytest.mark.parametrize("width", [390, 1280])
def test_a_ten_percent_allowance_lowers_the_total(
    browser: Any, live_server: Any, tenant: Tenant, owner: User, owner_membership: Any, width: int
) -> None:
    page, draft = _opened(browser, live_server, tenant, owner, owner_membership, width)
    page.get_by_test_id("add-allowance").click()
    expect(page.get_by_test_id("allowance-row")).to_have_count(1)
    htmx_idle(page)
    row = page.get_by_test_id("allowance-row").first
    row.get_by_test_id("allowance-reason").fill("Loyal client")
    row.get_by_test_id("allowance-percentage").fill("10")
    # 1950 - 10 % = 1755, + 20 % VAT = 2106.
    expect(page.get_by_test_id("allowance-charge")).to_have_text("\u2212€195.00")
    expect(page.get_by_test_id("total")).to_have_text("€2,106.00")
    expect(row.get_by_test_id("allowance-computed")).to_have_text("\u2212€195.00")
    row.get_by_test_id("allowance-percentage").blur()
    _saved_with_total(page, width, "builder-allowance", "€2,106.00")
    with tenant_scope(tenant):
        saved = Invoice.objects.get(pk=draft.pk)
        assert saved.total == Decimal("2106.00")
        allowance = AllowanceCharge.objects.get(invoice=saved)
        assert (allowance.percentage, allowance.amount, allowance.reason) == (
            Decimal("10.00"),
            Decimal("195.00"),
            "Loyal client",
        )
    assert page.console_errors == []
    page.context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_a_charge_on_a_line_raises_the_line_and_the_total(
    browser: Any, live_server: Any, tenant: Tenant, owner: User, owner_membership: Any, width: int
) -> None:
    page, draft = _opened(browser, live_server, tenant, owner, owner_membership, width)
    page.get_by_test_id("add-line-allowance").click()
    row = page.get_by_test_id("line-allowance-row")
    expect(row).to_have_count(1)
    htmx_idle(page)
    # The new row's amount has the focus: the keyboard goes on from the button.
    expect(row.get_by_test_id("allowance-amount")).to_be_focused()
    row.get_by_test_id("allowance-kind").select_option("charge")
    row.get_by_test_id("allowance-reason-code").fill("ABL")
    row.get_by_test_id("allowance-amount").fill("60")
    # 1950 + 60 = 2010, + 20 % VAT = 2412.
    expect(page.get_by_test_id("line-amount")).to_have_text("€2,010.00")
    expect(page.get_by_test_id("total")).to_have_text("€2,412.00")
    expect(row.get_by_test_id("allowance-computed")).to_have_text("+€60.00")
    row.get_by_test_id("allowance-amount").blur()
    _saved_with_total(page, width, "builder-line-charge", "€2,412.00")
    expect(page.get_by_test_id("line-allowance-row")).to_have_count(1)
    with tenant_scope(tenant):
        charge = AllowanceCharge.objects.get(invoice=draft)
        assert (charge.line.description, charge.charge, charge.amount, charge.reason_code) == (
            "Product design",
            True,
            Decimal("60.00"),
            "ABL",
        )
        assert Invoice.objects.get(pk=draft.pk).total == Decimal("2412.00")
    assert page.console_errors == []
    page.context.close()


def test_a_line_allowance_without_javascript(
    browser: Any, live_server: Any, tenant: Tenant, owner: User, owner_membership: Any
) -> None:
    draft = _draft(tenant, owner_membership)
    page = signed_in_page(browser, live_server, owner, 390, javascript=False)
    page.goto(live_server.url + reverse("invoice_edit", args=[tenant.slug, draft.public_id]))
    page.get_by_test_id("add-line-allowance").click()  # a plain post: the page comes back with a row
    row = page.get_by_test_id("line-allowance-row")
    expect(row).to_have_count(1)
    row.get_by_test_id("allowance-reason").fill("Loyal client")
    row.get_by_test_id("allowance-percentage").fill("150")
    page.get_by_test_id("save-draft").click()
    expect(page.get_by_text("The percentage cannot exceed 100.")).to_be_visible()
    if os.environ.get("SCREENSHOT_DIR"):
        shot = f"{os.environ['SCREENSHOT_DIR']}/builder-line-error-nojs-390.png"
        page.screenshot(path=shot, full_page=True)
    with tenant_scope(tenant):
        assert not AllowanceCharge.objects.filter(invoice=draft).exists()
    row.get_by_test_id("allowance-percentage").fill("10")
    page.get_by_test_id("save-draft").click()
    page.wait_for_url("**/edit/")
    # 1950 - 195 = 1755, + 20 % = 2106.
    expect(page.get_by_test_id("total")).to_have_text("€2,106.00")
    with tenant_scope(tenant):
        allowance = AllowanceCharge.objects.get(invoice=draft)
        assert (allowance.line.description, allowance.percentage, allowance.amount) == (
            "Product design",
            Decimal("10.00"),
            Decimal("195.00"),
        )
    page.context.close()
