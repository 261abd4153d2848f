"""E-invoices on demand: validated, stored per content version, failures explained and cached."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from facturx import get_xml_from_pdf

from core.errors import ApplicationError
from documents import einvoices, storage
from documents.tests.einvoice_fixtures import complete_client, complete_invoice
from einvoicing.syntax import Format
from invoices import services
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice, writer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    from django.core.cache import cache

    cache.clear()


def test_generated_once_per_content_version(in_tenant, complete_seller, monkeypatch):
    invoice = complete_invoice()
    first = einvoices.einvoice_get(invoice=invoice, fmt=Format.UBL)
    assert first.startswith(b"<?xml")
    assert invoice.number.encode() in first
    assert storage.exists(einvoices.storage_key(invoice, Format.UBL))

    # The same version again is read from storage: no mapping, no validation.
    monkeypatch.setattr(einvoices, "_generate", lambda *a: pytest.fail("generated twice"))
    assert einvoices.einvoice_get(invoice=invoice, fmt="ubl") == first

    # A payment bumps the version: a new key (the old file stays).
    monkeypatch.undo()
    services.payment_record(actor=writer(), invoice=invoice, amount=Decimal("10.00"))
    invoice.refresh_from_db()
    assert not storage.exists(einvoices.storage_key(invoice, Format.UBL))


def test_every_offered_format_of_a_complete_invoice_is_ready(in_tenant, complete_seller):
    invoice = complete_invoice()
    statuses = einvoices.einvoice_status(invoice=invoice)
    assert [s.format for s in statuses] == [Format.UBL, Format.CII, Format.FACTURX]  # FR seller
    assert all(s.ready for s in statuses), [s.problems for s in statuses]


def test_facturx_pdf_carries_the_validated_cii(in_tenant, complete_seller):
    invoice = complete_invoice(lines=1)
    pdf = einvoices.einvoice_get(invoice=invoice, fmt=Format.FACTURX)
    assert pdf.startswith(b"%PDF")
    filename, xml = get_xml_from_pdf(io.BytesIO(pdf), check_xsd=False)
    assert filename == "factur-x.xml"
    assert invoice.number.encode() in xml


def test_xrechnung_is_offered_for_a_leitweg_id(in_tenant, complete_seller):
    invoice = complete_invoice(buyer_reference="04011000-1234512345-06")
    assert Format.XRECHNUNG_UBL in einvoices.offered_formats(invoice)
    other = complete_invoice()
    assert Format.XRECHNUNG_UBL not in einvoices.offered_formats(other)
    with pytest.raises(ApplicationError, match="not offered"):
        einvoices.einvoice_get(invoice=other, fmt=Format.XRECHNUNG_CII)


def test_facturx_follows_the_client_then_the_workspace(in_tenant, complete_seller):
    invoice = complete_invoice()
    assert einvoices.facturx_enabled(invoice)  # a French seller: on by default
    in_tenant.facturx = False
    in_tenant.save()
    invoice.tenant.facturx = False
    assert not einvoices.facturx_enabled(invoice)
    invoice.client.facturx = True
    assert einvoices.facturx_enabled(invoice)


def test_an_incomplete_invoice_is_refused_with_the_rules_in_plain_words(
    in_tenant, monkeypatch, seller_frozen_before_profile
):
    client = ClientFactory()
    invoice = make_invoice(
        client=client, lines=[line(tax_rates=[TaxRateFactory(percentage=Decimal("20"))])], finalize=True
    )
    with pytest.raises(einvoices.EInvoiceUnavailable) as raised:
        einvoices.einvoice_get(invoice=invoice, fmt=Format.UBL)
    explained = {p.rule_id: p for p in raised.value.problems}
    assert explained["BR-S-02"].explanation == "Standard-rated sales need your VAT number."
    assert explained["PEPPOL-EN16931-R003"].field == "invoice: PO / buyer reference"
    assert not storage.exists(einvoices.storage_key(invoice, Format.UBL))

    # The verdict is kept for this version: the page asks again without validating again.
    einvoices.einvoice_status(invoice=invoice)
    monkeypatch.setattr(einvoices, "_generate", lambda *a: pytest.fail("validated twice"))
    status = {s.format: s for s in einvoices.einvoice_status(invoice=invoice)}
    assert not status[Format.UBL].ready
    assert "BR-S-02" in {p.rule_id for p in status[Format.UBL].problems}


def test_a_draft_has_no_einvoice(in_tenant):
    draft = make_invoice(client=complete_client())
    assert einvoices.offered_formats(draft) == ()
    with pytest.raises(ApplicationError, match="Finalize"):
        einvoices.einvoice_get(invoice=draft, fmt=Format.UBL)
