"""A French workspace types "5,5": quantities, prices, rates and payments take the decimal comma
(and grouping spaces); plain "5.5" still works everywhere, and the API stays strict."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client as HttpClient

from invoices.models import Invoice, TaxRate
from invoices.tests.pages import Books, books_fixture, html  # noqa: F401
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def french(books: Books) -> Books:
    books.tenant.locale = "fr"
    books.tenant.save(update_fields=["locale"])
    return books


def test_a_french_workspace_records_a_payment_of_5_comma_5(owner_client: HttpClient, french: Books) -> None:
    url = french.url("invoice_record_payment", french.open.public_id)
    response = owner_client.post(url, {"amount": "5,5", "method": "cash"})
    assert response.status_code == 302, html(response)
    with tenant_scope(french.tenant):
        assert Invoice.objects.get(pk=french.open.pk).payments.get().amount == Decimal("5.5")


def test_a_french_workspace_takes_a_rate_of_5_comma_5(owner_client: HttpClient, french: Books) -> None:
    data = {"name": "TVA réduite", "percentage": "5,5", "category": "S"}
    response = owner_client.post(french.url("tax_rate_create"), data)
    assert response.status_code == 302, html(response)
    with tenant_scope(french.tenant):
        assert TaxRate.objects.get(name="TVA réduite").percentage == Decimal("5.5")


def test_grouping_spaces_and_the_decimals_check(owner_client: HttpClient, french: Books) -> None:
    url = french.url("invoice_record_payment", french.open.public_id)
    too_precise = owner_client.post(url, {"amount": "1,001", "method": "cash"})
    assert "at most 2 decimals" in html(too_precise)
    grouped = owner_client.post(url, {"amount": "1 200,00", "method": "cash"})
    assert "more than the balance due" in html(grouped)  # read as 1200, not refused as text
    plain = owner_client.post(url, {"amount": "5.5", "method": "cash"})
    assert plain.status_code == 302


def test_an_english_workspace_refuses_the_comma_as_a_decimal_point(
    owner_client: HttpClient, books: Books
) -> None:
    url = books.url("invoice_record_payment", books.open.public_id)
    assert "is not a number" in html(owner_client.post(url, {"amount": "5,5", "method": "cash"}))
