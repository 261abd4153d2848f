"""One representation of an invoice for every rendering (issue #15): the page's summary
(`invoices/summary.py`, `_document.html`) and the PDF (`documents/render.py`,
`pdf/document.html`) are still two contexts and two templates. What they share (the parties,
through `invoices.summary.party_for_document`) agrees; the labels do not yet: this test keeps
the known disagreement visible and fails (strict xfail) once it is gone, so it is then made a
plain test."""

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
    invoice = make_invoice(client=ClientFactory(name="Initech", tax_id="FR40303265045", language="en"))
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
    assert "FR40303265045" in page_html
    assert "FR40303265045" in pdf_html


@pytest.mark.xfail(
    strict=True, raises=AssertionError, reason="two templates label the tax id apart: 'VAT' and 'Tax ID'"
)
def test_page_and_pdf_label_the_clients_tax_id_alike(in_tenant: Tenant) -> None:
    _, _, page_html, pdf_html = _both(in_tenant)

    def label(html: str) -> str:
        found = re.search(r"<p>([^<]*?)\s*:?\s*FR40303265045</p>", html)
        if found is None:  # not an AssertionError: only the labels' disagreement is expected
            raise LookupError("no paragraph with the client's tax id")
        return found[1].strip().rstrip(":")

    assert label(page_html) == label(pdf_html)
