"""The invoice's own PDF is its Factur-X: for finalized invoices of sellers in the EU (the
client's setting, else the workspace's, overriding that default), downloaded through the real
views, checked with pikepdf and the factur-x package; plain for drafts, US sellers, Factur-X
turned off, and invoices whose XML breaks a rule (the page then says which)."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pikepdf
import pytest
from django.core.cache import cache
from django.urls import reverse
from facturx import get_xml_from_pdf

from documents import einvoices, invoice_pdf, storage
from documents.einvoice_mapping import to_einvoice
from documents.models import DocumentStatus, InvoiceDocument
from documents.render import load_invoice_for_render
from documents.tests.einvoice_fixtures import complete_client, complete_invoice
from einvoicing.facturx_pdf import FX_NS
from einvoicing.generate import generate_xml
from einvoicing.syntax import Format
from invoices import services as invoice_services
from invoices.services import invoices as invoice_module
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice
from tenants.scoping import tenant_scope
from tenants.tests.fixtures import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    from core.ratelimit import memory_limiter
    from invoiceflow.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REDIS_URL = ""
    memory_limiter.clear()
    cache.clear()


def downloaded_pdf(tenant: Any, owner: Any, invoice: Any, capture: Any) -> bytes:
    """Generate the PDF with the page's button and fetch it through the download view."""
    browser = client_for(owner)
    with capture(execute=True):
        browser.post(reverse("document_generate", args=[tenant.slug, invoice.public_id]))
    with tenant_scope(tenant):
        document = InvoiceDocument.objects.get(invoice=invoice, content_version=invoice.content_version)
    assert document.status == DocumentStatus.READY, document.failure_reason
    redirect = browser.get(reverse("document_download", args=[tenant.slug, document.public_id]))
    assert redirect.status_code == 302
    served = browser.get(redirect["Location"])
    assert served.status_code == 200
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    return b"".join(served.streaming_content)


def generated_cii(tenant: Any, invoice: Any) -> bytes:
    with tenant_scope(tenant):
        return generate_xml(to_einvoice(load_invoice_for_render(invoice_pk=invoice.pk)), Format.FACTURX)


def assert_facturx(pdf: bytes, xml: bytes) -> None:
    filename, extracted = get_xml_from_pdf(io.BytesIO(pdf), check_xsd=True)
    assert (filename, extracted) == ("factur-x.xml", xml)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        metadata = document.open_metadata()
        assert metadata.pdfa_status == "3B"  # pdfaid:part 3, pdfaid:conformance B
        assert metadata["pdfaid:part"] == "3"
        assert metadata["pdfaid:conformance"] == "B"
        assert metadata[f"{{{FX_NS}}}DocumentType"] == "INVOICE"
        assert metadata[f"{{{FX_NS}}}ConformanceLevel"] == "EN 16931"
        assert metadata[f"{{{FX_NS}}}DocumentFileName"] == "factur-x.xml"
        (intent,) = document.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1"
        assert "/DestOutputProfile" in intent
        spec = document.attachments["factur-x.xml"]
        assert spec.obj.AFRelationship == "/Data"


def assert_plain(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert document.open_metadata().pdfa_status == ""
        assert "factur-x.xml" not in document.attachments
        assert "/OutputIntents" not in document.Root


@pytest.mark.usefixtures("complete_seller")
def test_a_finalized_eu_invoice_downloads_as_factur_x(
    tenant, owner, django_capture_on_commit_callbacks, monkeypatch
):
    with tenant_scope(tenant):
        invoice = complete_invoice(lines=12)
    pdf = downloaded_pdf(tenant, owner, invoice, django_capture_on_commit_callbacks)
    assert_facturx(pdf, generated_cii(tenant, invoice))

    # One render per content version: the "Download Factur-X" button hands out the same file.
    monkeypatch.setattr(invoice_pdf, "html_to_facturx_pdf", lambda *a, **k: pytest.fail("rendered twice"))
    monkeypatch.setattr(einvoices, "_facturx_pdf", lambda *a, **k: pytest.fail("rendered twice"))
    with tenant_scope(tenant):
        assert einvoices.einvoice_get(invoice=invoice, fmt=Format.FACTURX) == pdf


@pytest.mark.usefixtures("complete_seller")
def test_a_credit_note_is_factur_x_too(tenant, owner, owner_membership, django_capture_on_commit_callbacks):
    with tenant_scope(tenant):
        invoice = complete_invoice(lines=2)
        credit = invoice_services.credit_note_create(actor=owner_membership, invoice=invoice)
    assert credit.is_credit_note
    assert not credit.is_draft
    pdf = downloaded_pdf(tenant, owner, credit, django_capture_on_commit_callbacks)
    xml = generated_cii(tenant, credit)
    assert b"<ram:TypeCode>381</ram:TypeCode>" in xml  # a credit note
    assert_facturx(pdf, xml)


@pytest.mark.usefixtures("complete_seller")
def test_the_factur_x_made_first_by_its_own_button_is_the_pdf(
    tenant, owner, django_capture_on_commit_callbacks, monkeypatch
):
    with tenant_scope(tenant):
        invoice = complete_invoice(lines=1)
        made = einvoices.einvoice_get(invoice=invoice, fmt=Format.FACTURX)
    monkeypatch.setattr(invoice_pdf, "html_to_facturx_pdf", lambda *a, **k: pytest.fail("rendered twice"))
    monkeypatch.setattr(invoice_pdf, "html_to_pdf", lambda *a, **k: pytest.fail("rendered twice"))
    assert downloaded_pdf(tenant, owner, invoice, django_capture_on_commit_callbacks) == made


def test_a_us_seller_gets_a_plain_pdf(tenant, owner, complete_seller, django_capture_on_commit_callbacks):
    original = invoice_module.snapshot_seller

    def american(tenant, currency=None):
        return {**original(tenant, currency), "country": "US"}

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(invoice_module, "snapshot_seller", american)
        with tenant_scope(tenant):
            invoice = complete_invoice(lines=2)
    with tenant_scope(tenant):
        assert not invoice_pdf.facturx_wanted(invoice)
    assert_plain(downloaded_pdf(tenant, owner, invoice, django_capture_on_commit_callbacks))


@pytest.mark.usefixtures("complete_seller")
def test_the_client_setting_off_gives_a_plain_pdf(tenant, owner, django_capture_on_commit_callbacks):
    with tenant_scope(tenant):
        invoice = complete_invoice(lines=2, client=complete_client(facturx=False))
    assert_plain(downloaded_pdf(tenant, owner, invoice, django_capture_on_commit_callbacks))


@pytest.mark.usefixtures("complete_seller")
def test_the_client_setting_on_wins_over_the_workspace_off(tenant, owner, django_capture_on_commit_callbacks):
    tenant.facturx = False
    tenant.save(update_fields=["facturx"])
    with tenant_scope(tenant):
        plain = complete_invoice(lines=1)
        invoice = complete_invoice(lines=1, client=complete_client(facturx=True))
    assert_plain(downloaded_pdf(tenant, owner, plain, django_capture_on_commit_callbacks))
    pdf = downloaded_pdf(tenant, owner, invoice, django_capture_on_commit_callbacks)
    assert_facturx(pdf, generated_cii(tenant, invoice))


@pytest.mark.usefixtures("complete_seller")
def test_a_draft_is_a_plain_pdf(tenant, owner, django_capture_on_commit_callbacks):
    with tenant_scope(tenant):
        rate = TaxRateFactory(percentage=Decimal("20"))
        draft = make_invoice(client=complete_client(), lines=[line(tax_rates=[rate])])
    assert draft.is_draft
    browser = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(reverse("document_generate", args=[tenant.slug, draft.public_id]))
    with tenant_scope(tenant):
        document = InvoiceDocument.objects.get(invoice=draft)
    assert document.status == DocumentStatus.READY
    assert_plain(storage.read(document.storage_key))


def test_a_rule_failure_gives_a_plain_pdf_and_the_page_says_why(
    tenant, owner, seller_frozen_before_profile, django_capture_on_commit_callbacks
):
    with tenant_scope(tenant):
        rate = TaxRateFactory(percentage=Decimal("20"))
        invoice = make_invoice(client=ClientFactory(), lines=[line(tax_rates=[rate])], finalize=True)
        assert invoice_pdf.facturx_wanted(invoice)  # a French seller: Factur-X is on
    assert_plain(downloaded_pdf(tenant, owner, invoice, django_capture_on_commit_callbacks))
    page = client_for(owner).get(reverse("invoice_detail", args=[tenant.slug, invoice.public_id]))
    html = page.content.decode()
    assert 'data-testid="document-not-facturx"' in html
    assert "This PDF is a plain PDF, not a Factur-X" in html
    assert "Standard-rated sales need your VAT number." in html
    assert "Fill in: workspace: VAT number" in html
    # Asking again reuses the plain PDF of this version: the known verdict is not checked again.
    with tenant_scope(tenant):
        document = InvoiceDocument.objects.get(invoice=invoice)
        assert invoice_pdf.pdf_is_current_kind(invoice, document)


@pytest.mark.usefixtures("complete_seller")
def test_a_factur_x_page_says_nothing_about_plain_pdfs(tenant, owner, django_capture_on_commit_callbacks):
    with tenant_scope(tenant):
        invoice = complete_invoice(lines=1)
    downloaded_pdf(tenant, owner, invoice, django_capture_on_commit_callbacks)
    page = client_for(owner).get(reverse("invoice_detail", args=[tenant.slug, invoice.public_id]))
    assert 'data-testid="document-not-facturx"' not in page.content.decode()


@pytest.mark.usefixtures("complete_seller")
def test_switching_factur_x_off_after_the_pdf_was_made_renders_a_plain_one(
    tenant, owner, django_capture_on_commit_callbacks
):
    with tenant_scope(tenant):
        client = complete_client()
        invoice = complete_invoice(lines=1, client=client)
    assert_facturx(
        downloaded_pdf(tenant, owner, invoice, django_capture_on_commit_callbacks),
        generated_cii(tenant, invoice),
    )
    with tenant_scope(tenant):
        client.facturx = False
        client.save(update_fields=["facturx"])
    assert_plain(downloaded_pdf(tenant, owner, invoice, django_capture_on_commit_callbacks))


@pytest.mark.usefixtures("complete_seller")
def test_after_the_setting_changes_the_old_kind_is_not_offered_as_the_pdf(
    tenant, owner, django_capture_on_commit_callbacks
):
    """The Factur-X made before the client's setting went off is not the invoice's PDF any more:
    the invoice page and its status poll say "not generated" (with the button to make it again),
    instead of handing out a Factur-X the setting no longer asks for."""
    with tenant_scope(tenant):
        client = complete_client()
        invoice = complete_invoice(lines=1, client=client)
    downloaded_pdf(tenant, owner, invoice, django_capture_on_commit_callbacks)
    browser = client_for(owner)
    status_url = reverse("document_status", args=[tenant.slug]) + f"?invoice={invoice.public_id}"
    assert browser.get(status_url).json()["documents"][0]["status"] == "ready"
    with tenant_scope(tenant):
        client.facturx = False
        client.save(update_fields=["facturx"])
    assert browser.get(status_url).json()["documents"][0]["status"] == "none"
    page = browser.get(reverse("invoice_detail", args=[tenant.slug, invoice.public_id])).content.decode()
    assert reverse("document_generate", args=[tenant.slug, invoice.public_id]) in page
    # Generating again gives the plain PDF the setting now asks for.
    assert_plain(downloaded_pdf(tenant, owner, invoice, django_capture_on_commit_callbacks))
