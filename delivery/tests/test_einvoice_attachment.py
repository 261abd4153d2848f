"""The client's preferred e-invoice attached to the invoice email, only when it is valid."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from facturx import get_xml_from_pdf

from delivery import services as sending
from delivery.tests.smtp import SMTPServer
from documents.tests.einvoice_fixtures import (  # noqa: F401
    complete_client,
    complete_invoice,
    complete_seller,
    seller_frozen_before_profile,
)
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice, writer
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


def _send(invoice: Any, capture: Any) -> None:
    with capture(execute=True):
        sending.invoice_send(actor=writer(), invoice=invoice)


@pytest.mark.usefixtures("complete_seller")
def test_the_ubl_is_attached_beside_the_pdf(
    in_tenant: Tenant, mail_env: SMTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    invoice = complete_invoice(client=complete_client(einvoice_format="ubl"), lines=1)
    _send(invoice, django_capture_on_commit_callbacks)
    [received] = mail_env.wait_for(1)
    attachments = {name: (kind, content) for name, kind, content in received.attachments()}
    assert set(attachments) == {f"{invoice.number}.pdf", f"{invoice.number}.ubl.xml"}
    kind, xml = attachments[f"{invoice.number}.ubl.xml"]
    assert kind == "application/xml"
    assert b"urn:fdc:peppol.eu:2017:poacc:billing:3.0" in xml


@pytest.mark.usefixtures("complete_seller")
def test_factur_x_replaces_the_plain_pdf(
    in_tenant: Tenant, mail_env: SMTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    invoice = complete_invoice(client=complete_client(einvoice_format="facturx"), lines=1)
    _send(invoice, django_capture_on_commit_callbacks)
    [received] = mail_env.wait_for(1)
    [(name, kind, pdf)] = received.attachments()
    assert (name, kind) == (f"{invoice.number}.facturx.pdf", "application/pdf")
    assert get_xml_from_pdf(io.BytesIO(pdf), check_xsd=False)[0] == "factur-x.xml"


def test_an_einvoice_that_breaks_a_rule_is_never_sent(
    in_tenant: Tenant, mail_env: SMTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    rate = TaxRateFactory(percentage=Decimal("20"))
    client = ClientFactory(einvoice_format="ubl")
    invoice = make_invoice(client=client, lines=[line(tax_rates=[rate])], finalize=True)
    _send(invoice, django_capture_on_commit_callbacks)
    [received] = mail_env.wait_for(1)
    assert [name for name, _kind, _content in received.attachments()] == [f"{invoice.number}.pdf"]


@pytest.mark.usefixtures("complete_seller")
def test_the_attached_pdf_is_the_stored_factur_x(
    in_tenant: Tenant, mail_env: SMTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    """No e-invoice format chosen: the invoice's own PDF goes, and it is the Factur-X, the very
    file stored for the version (the invoice page and the client's page hand out that file)."""
    from documents import storage
    from documents.einvoice_mapping import to_einvoice
    from documents.models import DocumentStatus, InvoiceDocument
    from documents.render import load_invoice_for_render
    from einvoicing.generate import generate_xml
    from einvoicing.syntax import Format

    invoice = complete_invoice(lines=2)
    _send(invoice, django_capture_on_commit_callbacks)
    [received] = mail_env.wait_for(1)
    [(name, kind, pdf)] = received.attachments()
    assert (name, kind) == (f"{invoice.number}.pdf", "application/pdf")
    document = InvoiceDocument.objects.get(invoice=invoice, content_version=invoice.content_version)
    assert document.status == DocumentStatus.READY
    assert storage.read(document.storage_key) == pdf
    expected = generate_xml(to_einvoice(load_invoice_for_render(invoice_pk=invoice.pk)), Format.FACTURX)
    assert get_xml_from_pdf(io.BytesIO(pdf), check_xsd=False) == ("factur-x.xml", expected)


@pytest.mark.usefixtures("seller_frozen_before_profile")
def test_an_invoice_whose_xml_breaks_a_rule_is_sent_with_a_plain_pdf(
    in_tenant: Tenant, mail_env: SMTPServer, django_capture_on_commit_callbacks: Any
) -> None:
    import pikepdf

    rate = TaxRateFactory(percentage=Decimal("20"))
    invoice = make_invoice(client=ClientFactory(), lines=[line(tax_rates=[rate])], finalize=True)
    _send(invoice, django_capture_on_commit_callbacks)
    [received] = mail_env.wait_for(1)
    [(name, _kind, pdf)] = received.attachments()
    assert name == f"{invoice.number}.pdf"
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert "factur-x.xml" not in document.attachments
        assert document.open_metadata().pdfa_status == ""
