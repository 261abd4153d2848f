"""Platform staff read invoices, clients, rates and catalog items in the admin, one workspace
at a time, and can change nothing."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from invoices.tests.pages import Books, books_fixture, html, snapshot  # noqa: F401
from tenants.models import User
from tenants.tests.factories import UserFactory


@pytest.fixture
def staff_client(db: None) -> HttpClient:
    staff: User = UserFactory(email="staff@invoiceflow.test", is_staff=True, is_superuser=True)
    client = HttpClient()
    client.force_login(staff)
    return client


@pytest.mark.parametrize("model", ["invoice", "client", "taxrate", "catalogitem"])
def test_changelists_show_the_chosen_workspace_only(
    staff_client: HttpClient, books: Books, other_tenant: object, model: str
) -> None:
    empty = staff_client.get(f"/admin/invoices/{model}/")
    assert empty.status_code == 200
    assert "Northwind" not in html(empty)
    assert "VAT reduced" not in html(empty)
    scoped = html(staff_client.get(f"/admin/invoices/{model}/?tenant__id__exact={books.tenant.pk}"))
    expected = {
        "invoice": "INV-2026-00001",
        "client": "Northwind Traders",
        "taxrate": "VAT reduced",
        "catalogitem": "Brand workshop",
    }
    assert expected[model] in scoped
    elsewhere = html(staff_client.get(f"/admin/invoices/{model}/?tenant__id__exact={other_tenant.pk}"))
    assert expected[model] not in elsewhere


def test_an_invoice_page_shows_lines_taxes_payments_and_timeline(
    staff_client: HttpClient, books: Books
) -> None:
    url = f"/admin/invoices/invoice/{books.open.pk}/change/?_changelist_filters=tenant__id__exact%3D{books.tenant.pk}"  # noqa: E501
    page = html(staff_client.get(url))
    assert "INV-2026-00001" in page
    assert "Consulting" in page  # its line
    assert "500.0000" in page or "500.00" in page
    assert "timeline" in page.lower()
    assert "finalized" in page
    assert 'name="_save"' not in page  # read-only


def test_staff_cannot_change_anything(staff_client: HttpClient, books: Books) -> None:
    before = snapshot(books.tenant)
    url = f"/admin/invoices/invoice/{books.open.pk}/change/?_changelist_filters=tenant__id__exact%3D{books.tenant.pk}"  # noqa: E501
    response = staff_client.post(url, {"status": "paid"})
    assert response.status_code == 403
    assert staff_client.get("/admin/invoices/invoice/add/").status_code == 403
    assert snapshot(books.tenant) == before


def test_non_staff_cannot_open_the_admin(owner_client: HttpClient, books: Books) -> None:
    response = owner_client.get("/admin/invoices/invoice/")
    assert response.status_code in {302, 403}


def test_an_invoice_page_shows_its_allowances_and_charges_read_only(
    staff_client: HttpClient, books: Books
) -> None:
    from invoices.tests.factories import TaxRateFactory, line, make_invoice
    from tenants.scoping import tenant_scope

    with tenant_scope(books.tenant):
        rate = TaxRateFactory(name="VAT 20 admin")
        design = line("Design", "10", "80.00", tax_rates=[rate])
        design.allowances_charges = [{"percentage": "10", "reason": "Loyal client"}]
        invoice = make_invoice(
            lines=[design],
            finalize=True,
            allowances_charges=[
                {"charge": True, "amount": "15.00", "reason": "Freight", "tax_rates": [rate]}
            ],
        )
    url = f"/admin/invoices/invoice/{invoice.pk}/change/?_changelist_filters=tenant__id__exact%3D{books.tenant.pk}"  # noqa: E501
    page = html(staff_client.get(url))
    assert "Loyal client" in page
    assert "Freight" in page
    assert "VAT 20 admin" in page  # the charge's tax rate
    assert "80.00" in page
    assert "15.00" in page
    assert 'name="_save"' not in page
    assert "allowances_charges-0-reason" not in page  # no form field: read-only
