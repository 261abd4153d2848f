"""The "New credit note" page (issue #16) in Chromium, at a phone's width and a desktop's: it
fits, passes axe-core, and issuing a stand-alone credit note from it leads to the note."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from invoiceflow.testing.pages import AXE_RUN_JS, LAYOUT_JS, WIDTHS, axe_source
from invoices.models import Invoice, InvoiceKind
from invoices.tests.factories import ClientFactory, TaxRateFactory
from invoices.tests.test_browser import (  # noqa: F401 - the fixtures
    _allow_orm_beside_playwright,
    _page_for,
    browser,
    screenshot_dir,
)
from tenants.models import Role
from tenants.scoping import tenant_scope
from tenants.tests.factories import MembershipFactory, TenantFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_issue_a_standalone_credit_note_at_both_widths(
    browser: object,  # noqa: F811
    live_server: object,
    screenshot_dir: Path,  # noqa: F811
) -> None:
    tenant = TenantFactory(name="Fresh Studio", slug="fresh", country="FR")
    owner = UserFactory(email="fanny@fresh.test")
    MembershipFactory(tenant=tenant, user=owner, role=Role.OWNER)
    with tenant_scope(tenant):
        TaxRateFactory(name="TVA 20", percentage=Decimal("20"))
        client = ClientFactory(name="Northwind Traders", currency="EUR")
    page = _page_for(browser, live_server, owner)
    page.context.add_init_script(script=axe_source())
    client_url = f"{live_server.url}/t/{tenant.slug}/clients/{client.public_id}/"
    form_url = f"{client_url}credit-notes/new/"
    for name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(form_url)
        problems = page.evaluate(LAYOUT_JS) + page.evaluate(AXE_RUN_JS)
        page.screenshot(path=str(screenshot_dir / f"credit-note-form-{name}.png"), full_page=True)
        assert problems == [], (name, problems)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(client_url)
    page.get_by_role("link", name="New credit note").click()
    page.locator("#id_line0_description").fill("Goodwill gesture")
    page.locator("#id_line0_quantity").fill("2")
    page.locator("#id_line0_unit_price").fill("25.00")
    page.locator("#id_line0_tax_rate").select_option(index=1)
    page.get_by_label("Reason").fill("Late delivery")
    page.get_by_role("button", name="Issue credit note").click()
    expect(page.locator("h1.title-with-badge")).to_contain_text("CN-")
    with tenant_scope(tenant):
        note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
    assert (note.total, note.credit_note_for_id) == (Decimal("60.00"), None)
    page.goto(client_url)
    expect(page.get_by_text("Credit held")).to_be_visible()
    for name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(client_url)
        problems = page.evaluate(LAYOUT_JS) + page.evaluate(AXE_RUN_JS)
        page.screenshot(path=str(screenshot_dir / f"client-credit-{name}.png"), full_page=True)
        assert problems == [], (name, problems)
    assert page.console_errors == []
