"""The e-invoice panel in a real browser: the rule that fails, in plain words, for an incomplete
invoice; the downloads for a complete one (Playwright driving /usr/bin/chromium)."""

from __future__ import annotations

import io
from decimal import Decimal

import pikepdf
import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from documents import invoice_pdf
from documents.tests.einvoice_fixtures import complete_invoice
from invoices.tests import test_browser as harness
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice
from tenants.scoping import tenant_scope

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The invoice pages' harness: one Chromium per module, the ORM allowed beside Playwright's loop.
browser = harness.browser
_allow_orm_beside_playwright = harness._allow_orm_beside_playwright
_page_for = harness._page_for


@pytest.fixture(scope="module", autouse=True)
def _rules_compiled():
    """As a worker does when it starts (documents.tasks): compiling them in the middle of a
    request takes seconds on this shared machine, and the page's other requests time out."""
    from einvoicing.validation import warm_up

    warm_up()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


def test_an_incomplete_invoice_shows_the_failing_rule_and_offers_no_download(
    browser, live_server, tenant, owner, owner_membership, seller_frozen_before_profile
):
    with tenant_scope(tenant):
        rate = TaxRateFactory(percentage=Decimal("20"))
        invoice = make_invoice(
            actor=owner_membership, client=ClientFactory(), lines=[line(tax_rates=[rate])], finalize=True
        )
    page = _page_for(browser, live_server, owner)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/t/{tenant.slug}/invoices/{invoice.public_id}/")

    problems = page.get_by_test_id("einvoice-problems-ubl")
    expect(problems).to_contain_text("Standard-rated sales need your VAT number.", timeout=60_000)
    expect(problems).to_contain_text("Fill in: workspace: VAT number")
    expect(problems).to_contain_text("Peppol needs the client's PO / buyer reference")
    expect(page.get_by_test_id("einvoice-download-ubl")).to_have_count(0)
    # Readable on a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.console_errors == []


def test_a_complete_invoice_offers_its_einvoices(
    browser, live_server, tenant, owner, owner_membership, complete_seller
):
    with tenant_scope(tenant):
        invoice = complete_invoice(actor=owner_membership, lines=1)
    page = _page_for(browser, live_server, owner)
    page.goto(f"{live_server.url}/t/{tenant.slug}/invoices/{invoice.public_id}/")

    download_ubl = page.get_by_test_id("einvoice-download-ubl")
    expect(download_ubl).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("einvoice-download-facturx")).to_be_visible()
    expect(page.get_by_test_id("einvoice-problems-ubl")).to_have_count(0)
    with page.expect_download() as caught:
        download_ubl.click()
    download = caught.value
    assert download.suggested_filename == f"{invoice.number}.ubl.xml"
    with open(download.path(), "rb") as handle:
        assert b"urn:fdc:peppol.eu:2017:poacc:billing:3.0" in handle.read()
    assert page.console_errors == []


def test_a_plain_pdf_says_why_it_is_not_a_factur_x(
    browser, live_server, tenant, owner, owner_membership, seller_frozen_before_profile
):
    """A French seller's invoice whose CII breaks a rule: its PDF is made plain, never an invalid
    Factur-X, and the PDF box says which rule, in plain words, on a phone."""
    with tenant_scope(tenant):
        rate = TaxRateFactory(percentage=Decimal("20"))
        invoice = make_invoice(
            actor=owner_membership, client=ClientFactory(), lines=[line(tax_rates=[rate])], finalize=True
        )
        pdf = invoice_pdf.invoice_pdf_bytes(invoice)  # as the email or the "Generate PDF" task does
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert "factur-x.xml" not in document.attachments
    page = _page_for(browser, live_server, owner)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/t/{tenant.slug}/invoices/{invoice.public_id}/")

    notice = page.get_by_test_id("document-not-facturx")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("This PDF is a plain PDF, not a Factur-X")
    expect(notice).to_contain_text("Standard-rated sales need your VAT number.")
    expect(notice).to_contain_text("Fill in: workspace: VAT number")
    expect(page.get_by_test_id("document-download")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.console_errors == []
