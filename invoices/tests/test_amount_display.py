"""Amounts are shown in their currency's minor unit, never with the columns' four stored decimals."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from invoices.tests.pages import Books, books_fixture, html  # noqa: F401
from tenants.models import User
from tenants.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_payment_form_offers_the_balance_in_cents(owner_client: HttpClient, books: Books) -> None:
    page = html(owner_client.get(books.url("invoice_detail", books.open.public_id)))
    assert 'value="600.00"' in page
    assert "600.0000" not in page


def test_the_admin_shows_amounts_in_cents(books: Books) -> None:
    staff: User = UserFactory(email="staff@invoiceflow.test", is_staff=True, is_superuser=True)
    client = HttpClient()
    client.force_login(staff)
    scope = f"_changelist_filters=tenant__id__exact%3D{books.tenant.pk}"
    page = html(client.get(f"/admin/invoices/invoice/{books.open.pk}/change/?{scope}"))
    assert "€600.00" in page
    assert "€500.00" in page  # a line
    listing = html(client.get(f"/admin/invoices/invoice/?tenant__id__exact={books.tenant.pk}"))
    assert "€600.00" in listing
    for shown in (page, listing):
        assert ".0000" not in shown
    item = html(client.get(f"/admin/invoices/catalogitem/?tenant__id__exact={books.tenant.pk}"))
    assert "€1,200.00" in item
    assert "1200.0000" not in item
