"""One representation of an invoice for every rendering (issue #15): the invoice's pages
(`templates/invoices/_document.html`, on the invoice, finalize and client pages) and its PDF
(`templates/invoices/pdf/document.html`) are filled from one builder,
`invoices.summary.document_context`; the PDF only adds its print settings. So both print the
same parties, lines, totals, taxes, labels, notes and references."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client as HttpClient
from django.utils import translation

from documents.render import load_invoice_for_render, pdf_context, render_invoice_html
from invoices.models import Invoice
from invoices.summary import document_context as page_context
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

# What the PDF adds to the one representation: how the page is printed, not what it says.
PRINT_SETTINGS = {"page_size", "page_counter", "page_footer", "brand_color", "logo"}


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


# --- the page the member sees and the PDF, built from the same context ---------------------


def _plain(value: Any) -> Any:
    """A context value with lazy labels resolved, model rows by their key, for comparison."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Invoice):
        return ("invoice", value.pk)
    if hasattr(value, "_proxy____cast"):  # a lazy translation
        return str(value)
    return value


@pytest.fixture
def rich_invoice(tenant: Tenant, owner_membership: Membership) -> Invoice:
    """A finalized invoice with a bit of everything the document prints: two tax rates, a line
    discount, an invoice discount in percent, a unit, notes, terms and the client's reference,
    for an English-speaking client (the member's pages are in English too)."""
    with tenant_scope(tenant):
        vat = TaxRateFactory(name="VAT", percentage="20")
        reduced = TaxRateFactory(name="Reduced", percentage="5.5")
        client = ClientFactory(name="Initech", tax_id="DE136695976", language="en")
        return make_invoice(
            actor=owner_membership,
            client=client,
            lines=[
                line("Design", "12.5", "80.00", unit="hour", tax_rates=[vat]),
                line("Books", "3", "19.99", discount="5.00", tax_rates=[reduced]),
            ],
            discount_type="percent",
            discount_value="10",
            notes="Thank you.",
            terms="Net 30.",
            buyer_reference="PO-4711",
            finalize=True,
        )


def _page_and_pdf(
    tenant: Tenant, owner_client: HttpClient, invoice: Invoice
) -> tuple[dict[str, Any], dict[str, Any], str, str]:
    response = owner_client.get(f"/t/{tenant.slug}/invoices/{invoice.public_id}/")
    assert response.status_code == 200
    # The context the invoice's document was rendered with, on the member's page.
    names = [template.name for template in response.templates]
    page = response.context[names.index("invoices/_document.html")].flatten()
    with tenant_scope(tenant):
        loaded = load_invoice_for_render(invoice_pk=invoice.pk)
        pdf = pdf_context(loaded)
        pdf_html = render_invoice_html(loaded)
    return page, pdf, response.content.decode(), pdf_html


def test_the_invoice_page_and_the_pdf_are_built_from_the_same_context(
    tenant: Tenant, owner_client: HttpClient, rich_invoice: Invoice
) -> None:
    page, pdf, _, _ = _page_and_pdf(tenant, owner_client, rich_invoice)
    representation = set(pdf) - PRINT_SETTINGS
    assert representation <= set(page), f"the page lacks {representation - set(page)}"
    with tenant_scope(tenant), translation.override("en"):
        built = page_context(invoice=load_invoice_for_render(invoice_pk=rich_invoice.pk), tenant=tenant)
    assert representation == set(built)
    # Every value of the representation is the same on both, labels included.
    for key in sorted(representation):
        assert _plain(page[key]) == _plain(pdf[key]), key


def test_totals_lines_taxes_and_labels_are_the_same_values_on_page_and_pdf(
    tenant: Tenant, owner_client: HttpClient, rich_invoice: Invoice
) -> None:
    page, pdf, page_html, pdf_html = _page_and_pdf(tenant, owner_client, rich_invoice)

    for key in ("subtotal", "discount", "discount_percent", "tax_total", "total", "balance_due"):
        assert page[key] == pdf[key] != "", key
    assert pdf["discount_percent"] == "10 %"
    assert [row["amount"] for row in page["lines"]] == [row["amount"] for row in pdf["lines"]]
    assert pdf["lines"][0]["quantity"] == "12.5"
    assert pdf["lines"][0]["tax_names"] == "VAT"
    assert pdf["lines"][1]["discount"] == "€5.00"
    assert [(tax["name"], tax["rate"], tax["base"], tax["amount"]) for tax in pdf["taxes"]] == [
        (tax["name"], tax["rate"], tax["base"], tax["amount"]) for tax in page["taxes"]
    ]
    assert {tax["rate"] for tax in pdf["taxes"]} == {"20 %", "5.5 %"}
    assert str(page["title"]) == str(pdf["title"]) == "Invoice"
    for party in ("seller", "buyer"):
        assert str(page[party]["tax_id_label"]) == str(pdf[party]["tax_id_label"])
    assert (page["notes"], page["terms"], page["buyer_reference"]) == ("Thank you.", "Net 30.", "PO-4711")
    assert page["payment"] == pdf["payment"]

    # And both templates print those very strings.
    for text in (pdf["total"], pdf["subtotal"], pdf["discount"], pdf["balance_due"], "PO-4711", "Thank you."):
        assert text in page_html, text
        assert text in pdf_html, text
    for row in pdf["lines"]:
        assert row["amount"] in page_html
        assert row["amount"] in pdf_html
    for tax in pdf["taxes"]:
        assert f"{tax['name']} {tax['rate']}" in page_html
        assert f"{tax['name']} {tax['rate']}" in pdf_html


def test_a_credit_note_is_titled_alike_on_page_and_pdf(tenant: Tenant, owner_membership: Membership) -> None:
    from invoices import services

    with tenant_scope(tenant):
        invoice = make_invoice(actor=owner_membership, finalize=True)
        credit = services.credit_note_create(actor=owner_membership, invoice=invoice)
        credit = load_invoice_for_render(invoice_pk=credit.pk)
        with translation.override("en"):
            page = page_context(invoice=credit, tenant=tenant)
            page_html = render_to_string("invoices/_document.html", page)
        pdf_html = render_invoice_html(credit)
    assert str(page["title"]) == "Credit note"
    assert "<h1>Credit note</h1>" in page_html
    assert "Credit note</h1>" in pdf_html
    assert page["credited_invoice"].pk == invoice.pk
