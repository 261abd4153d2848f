"""The "New credit note" page on a client's page: a stand-alone credit note (issue #16)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client as HttpClient

from invoices.models import Invoice, InvoiceKind
from invoices.tests.pages import Books, books_fixture, html, snapshot  # noqa: F401
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def _post(books: Books, **extra: str) -> dict[str, str]:
    return {
        "currency": "EUR",
        "reason": "Late delivery",
        "line0_description": "Goodwill",
        "line0_quantity": "2",
        "line0_unit_price": "25.00",
        "line0_tax_rate": books.vat.public_id,
        "line2_description": "Returned cable",
        "line2_unit_price": "10.00",
        **extra,
    }


def test_it_issues_a_credit_note_from_the_client_page(owner_client: HttpClient, books: Books) -> None:
    client_url = books.url("client_detail", books.client.public_id)
    url = books.url("credit_note_create_standalone", books.client.public_id)
    assert url in html(owner_client.get(client_url))
    page = owner_client.get(url)
    assert page.status_code == 200
    assert 'value="EUR"' in html(page)
    assert "Line 4" in html(page)
    response = owner_client.post(url, _post(books))
    assert response.status_code == 302
    with tenant_scope(books.tenant):
        note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
        descriptions = [li.description for li in note.lines.order_by("position")]
    assert response.url == books.url("invoice_detail", note.public_id)
    assert (note.client_id, note.credit_note_for_id, note.notes) == (books.client.pk, None, "Late delivery")
    assert descriptions == ["Goodwill", "Returned cable"]
    assert note.total == Decimal("70.00")  # 50.00 + 20 % VAT, and 10.00 untaxed
    shown = html(owner_client.get(response.url, follow=True))
    assert note.number in shown
    # The client's page shows the credit it holds, apart from what its invoices owe.
    client_page = html(owner_client.get(client_url))
    assert "Credit held" in client_page
    assert "70.00" in client_page


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"line0_unit_price": "abc"}, 'id="id_line0_unit_price-error"'),
        (
            {
                "line0_unit_price": "",
                "line0_description": "",
                "line2_description": "",
                "line2_unit_price": "",
            },
            "Add at least one line",
        ),
        ({"currency": "ZZZ"}, 'id="id_currency-error"'),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_writes_nothing(
    owner_client: HttpClient, books: Books, extra: dict[str, str], message: str
) -> None:
    before = snapshot(books.tenant)
    url = books.url("credit_note_create_standalone", books.client.public_id)
    response = owner_client.post(url, _post(books, **extra))
    assert response.status_code == 200
    assert message in html(response)
    assert snapshot(books.tenant) == before


def test_viewers_and_outsiders_are_refused(
    viewer_client: HttpClient, outsider_client: HttpClient, books: Books
) -> None:
    before = snapshot(books.tenant)
    url = books.url("credit_note_create_standalone", books.client.public_id)
    assert viewer_client.get(url).status_code == 403
    assert viewer_client.post(url, _post(books)).status_code == 403
    assert outsider_client.post(url, _post(books)).status_code in (403, 404)
    assert snapshot(books.tenant) == before
