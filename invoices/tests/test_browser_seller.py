"""A new workspace gets ready to invoice in a real browser (Playwright driving Debian's Chromium):
from the dashboard's checklist to the company details and a bank account, then the draft that
could not be finalized before is finalized and shows where to pay."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from invoices.models import BankAccount, CompanyProfile, Invoice, InvoiceStatus
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice
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


def _fits(page: object, width: int) -> bool:
    """Nothing on the page is wider than the viewport (no sideways scrolling)."""
    return page.evaluate("() => document.documentElement.scrollWidth") <= width


def test_from_the_checklist_to_a_finalized_invoice_that_says_where_to_pay(
    browser: object,  # noqa: F811
    live_server: object,
    screenshot_dir: Path,  # noqa: F811
) -> None:
    tenant = TenantFactory(name="Fresh Studio", slug="fresh", country="FR", company_profile=False)
    owner = UserFactory(email="fanny@fresh.test")
    membership = MembershipFactory(tenant=tenant, user=owner, role=Role.OWNER)
    with tenant_scope(tenant):
        vat = TaxRateFactory(name="TVA", percentage=Decimal("20"))
        client = ClientFactory(name="Northwind Traders", currency="EUR")
        draft = make_invoice(
            actor=membership, client=client, lines=[line("Design", "2", "500.00", tax_rates=[vat])]
        )
    base = f"{live_server.url}/t/{tenant.slug}"
    page = _page_for(browser, live_server, owner)

    # The review screen says what is missing, and finalizing waits.
    page.goto(f"{base}/invoices/{draft.public_id}/finalize/")
    gaps = page.get_by_test_id("legal-gaps")
    expect(gaps).to_contain_text("Your address")
    expect(gaps).to_contain_text("Your VAT number")
    expect(page.get_by_test_id("confirm-finalize")).to_be_disabled()
    page.screenshot(path=str(screenshot_dir / "review-legal-gaps.png"), full_page=True)

    # The dashboard's checklist leads to the company details.
    page.goto(f"{base}/")
    expect(page.get_by_test_id("onboarding-company")).to_have_attribute("data-done", "false")
    expect(page.get_by_test_id("onboarding-client")).to_have_attribute("data-done", "true")
    page.screenshot(path=str(screenshot_dir / "onboarding-checklist.png"), full_page=True)
    page.get_by_test_id("onboarding-company-link").click()
    expect(page.get_by_role("heading", name="Company", exact=True)).to_be_visible()
    expect(page.get_by_test_id("settings-nav")).to_contain_text("Getting paid")
    page.get_by_label("Legal name").fill("Studio Fanny Dupont SARL")
    page.get_by_label("Address", exact=True).fill("12 rue des Arts")
    page.get_by_label("Postal code").fill("75003")
    page.get_by_label("City").fill("Paris")
    page.get_by_label("VAT number").fill("FR40303265046")  # a typo in the check digits
    page.get_by_test_id("company-save").click()
    expect(page.locator("#id_vat_id-error")).to_contain_text("check digits")
    page.screenshot(path=str(screenshot_dir / "company-1280.png"), full_page=True)
    page.get_by_label("VAT number").fill("FR 40 303 265 045")
    page.get_by_label("Legal mentions").fill("SARL au capital de 10 000 € · RCS Paris 303 265 045")
    page.get_by_test_id("company-save").click()

    # Back on the dashboard: the next step, a bank account.
    expect(page.get_by_test_id("onboarding-company")).to_have_attribute("data-done", "true")
    page.get_by_test_id("onboarding-bank-link").click()
    page.get_by_label("Account holder").fill("Studio Fanny Dupont SARL")
    page.get_by_label("Country of the account").select_option("DE")
    page.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 00")
    page.get_by_label("BIC / SWIFT").fill("COBADEFFXXX")
    page.get_by_label("Payment means").select_option("58")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("onboarding-bank")).to_have_attribute("data-done", "true")

    # Now the draft can be finalized, and it says where to pay.
    page.goto(f"{base}/invoices/{draft.public_id}/finalize/")
    expect(page.get_by_test_id("legal-gaps")).to_have_count(0)
    expect(page.get_by_test_id("bank-details")).to_contain_text("DE89 3704 0044 0532 0130 00")
    page.get_by_test_id("confirm-finalize").click()
    expect(page.get_by_test_id("document-number")).to_have_text("INV-2026-00001")
    expect(page.get_by_test_id("payment-reference")).to_have_text("INV-2026-00001")
    expect(page.get_by_test_id("epc-qr")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "finalized-with-bank-details.png"), full_page=True)
    with tenant_scope(tenant):
        invoice = Invoice.objects.get(pk=draft.pk)
        assert invoice.status == InvoiceStatus.OPEN
        assert invoice.seller_snapshot["legal_name"] == "Studio Fanny Dupont SARL"
        assert invoice.seller_snapshot["vat_id"] == "FR40303265045"
        assert invoice.seller_snapshot["bank_account"]["iban"] == "DE89370400440532013000"
        assert CompanyProfile.objects.count() == 1
        assert BankAccount.objects.get().is_default

    # The settings pages at a phone's width: nothing runs off the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("settings/company/", "settings/bank-accounts/", "settings/payments/"):
        page.goto(f"{base}/{path}")
        assert _fits(page, 390), path
    page.screenshot(path=str(screenshot_dir / "bank-accounts-390.png"), full_page=True)
    assert page.console_errors == []
