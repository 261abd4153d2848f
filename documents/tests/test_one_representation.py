"""One representation of an invoice for every rendering (issue #15): the page's summary
(`invoices/summary.py`, `_document.html`) and the PDF (`documents/render.py`,
`pdf/document.html`) are two contexts and two templates, but the parties, labels included,
come from one place (`invoices.summary.party_for_document`), so both print them alike."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from documents.render import document_context as pdf_context
from documents.render import load_invoice_for_render, render_invoice_html
from invoices.summary import document_context as page_context
from invoices.tests.factories import ClientFactory, make_invoice
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


def _both(tenant: Tenant) -> tuple[dict, dict, str, str]:
    invoice = make_invoice(client=ClientFactory(name="Initech", tax_id="DE136695976", language="en"))
    invoice = load_invoice_for_render(invoice_pk=invoice.pk)
    with translation.override("en"):
        page = page_context(invoice=invoice, tenant=tenant)
        page_html = render_to_string("invoices/_document.html", page)
    return page, pdf_context(invoice), page_html, render_invoice_html(invoice)


def test_page_and_pdf_show_the_same_parties(in_tenant: Tenant) -> None:
    page, pdf, page_html, pdf_html = _both(in_tenant)
    for party in ("seller", "buyer"):
        for key in ("name", "tax_id", "address", "country_name", "email"):
            assert page[party].get(key) == pdf[party].get(key), (party, key)
    assert "DE136695976" in page_html
    assert "DE136695976" in pdf_html


def _label(html: str, tax_id: str) -> str:
    found = re.search(rf"<p>([^<]*?)\s*:?\s*{tax_id}</p>", html)
    assert found is not None, f"no paragraph with the tax id {tax_id}"
    return found[1].strip().rstrip(":")


def test_page_and_pdf_label_the_clients_tax_id_alike(in_tenant: Tenant) -> None:
    _, _, page_html, pdf_html = _both(in_tenant)

    assert _label(page_html, "DE136695976") == _label(pdf_html, "DE136695976") == "Tax ID"


def test_page_and_pdf_label_the_sellers_vat_number_alike(in_tenant: Tenant) -> None:
    page, pdf, page_html, pdf_html = _both(in_tenant)
    vat_id = page["seller"].get("tax_id")
    assert vat_id, "the factory workspace has a VAT number"

    assert _label(page_html, vat_id) == _label(pdf_html, vat_id) == "VAT number"
    assert str(page["seller"]["tax_id_label"]) == str(pdf["seller"]["tax_id_label"])
