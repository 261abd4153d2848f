"""Received e-invoices in the app: upload, list, read back with the rule results; members of
another workspace see nothing of them."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from einvoicing.facturx_pdf import render_facturx_pdf, render_model_html
from einvoicing.generate import generate_xml
from einvoicing.models import ReceivedInvoice
from einvoicing.syntax import Format
from einvoicing.tests.matrix import small_invoice
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def _upload(client, name: str, content: bytes, slug: str = "acme"):
    return client.post(
        f"/t/{slug}/received/upload/", {"file": SimpleUploadedFile(name, content)}, follow=True
    )


def test_upload_a_ubl_invoice_and_read_it_back(owner_client, tenant):
    invoice = small_invoice(3)
    response = _upload(owner_client, "supplier.xml", generate_xml(invoice, Format.UBL))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="received-verdict"' in html
    assert "Valid" in html
    assert invoice.seller.name in html
    assert f'data-testid="received-amount-due">{invoice.totals.payable}<' in html
    assert 'data-testid="received-rules-ok"' in html
    listing = owner_client.get("/t/acme/received/").content.decode()
    assert invoice.number in listing


def test_upload_a_factur_x_pdf(owner_client, tenant):
    invoice = small_invoice(2)
    pdf = render_facturx_pdf(render_model_html(invoice), generate_xml(invoice, Format.FACTURX))
    html = _upload(owner_client, "facture.pdf", pdf).content.decode()
    assert "XML extracted from the PDF" in html
    assert invoice.number in html


def test_an_invoice_that_breaks_rules_is_kept_with_them_in_plain_words(owner_client, tenant):
    invoice = small_invoice(2)
    broken = replace(invoice, seller=replace(invoice.seller, vat_id="", tax_registration_id=""))
    html = _upload(owner_client, "broken.xml", generate_xml(broken, Format.CII)).content.decode()
    assert "Breaks the rules" in html
    assert 'data-testid="received-rules"' in html
    assert "fatal" in html


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.xml", b"this is not xml", "XML"),
        ("bomb.xml", b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', ""),
        ("empty.pdf", b"%PDF-1.4\n%%EOF", ""),
    ],
)
def test_hostile_files_are_refused_and_change_nothing(owner_client, tenant, name, content, message):
    response = _upload(owner_client, name, content)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error"' in html or "errorlist" in html or 'role="alert"' in html
    assert message in html
    with tenant_scope(tenant):
        assert ReceivedInvoice.objects.count() == 0


def test_viewers_cannot_upload(viewer_client, tenant):
    response = viewer_client.post("/t/acme/received/upload/", {"file": SimpleUploadedFile("a.xml", b"<a/>")})
    assert response.status_code == 403


def test_it_validates_ownership(owner_client, outsider_client, tenant, other_tenant):
    _upload(owner_client, "supplier.xml", generate_xml(small_invoice(1), Format.UBL))
    with tenant_scope(tenant):
        row = ReceivedInvoice.objects.get()
    # The outsider's own workspace lists nothing, and Acme's invoice is not found from there.
    assert row.number not in outsider_client.get("/t/globex/received/").content.decode()
    assert outsider_client.get(f"/t/globex/received/{row.public_id}/").status_code == 404
    assert outsider_client.get(f"/t/acme/received/{row.public_id}/").status_code == 404
    with tenant_scope(other_tenant):
        assert ReceivedInvoice.objects.filter(public_id=row.public_id).count() == 0


def test_the_pages_speak_french(owner_client, tenant):
    from django.utils import translation

    with translation.override("fr"):
        assert translation.gettext("Received invoices") == "Factures reçues"
        assert translation.gettext("E-invoices") == "Factures électroniques"
