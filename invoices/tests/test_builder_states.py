"""The builder's states (issue #18): errors that follow the fields as they are fixed, every
mistake of the client form at once, and no Finalize button on a draft that cannot be finalized."""

from __future__ import annotations

import re

from django.test import Client as HttpClient

from invoices.tests.factories import make_invoice
from invoices.tests.pages import Books, books_fixture, html  # noqa: F401
from invoices.tests.test_views_builder import HTMX, form, three_lines
from tenants.models import Membership
from tenants.scoping import tenant_scope


def _price_errors(page: str, *, oob: bool) -> str:
    box = re.search(
        r'<span class="line__errors" id="id_lines-1-unit_price-error"[^>]*>(.*?)</span>', page, re.S
    )
    assert box is not None, page
    assert ('hx-swap-oob="true"' in box.group(0)) is oob
    return box.group(1)


def test_a_fixed_fields_error_goes_with_the_next_live_totals(owner_client: HttpClient, books: Books) -> None:
    lines = three_lines(books)
    lines[1]["unit_price"] = "abc"
    saved = html(owner_client.post(books.url("invoice_new"), form(books, *lines, op="save")))
    assert "is not a number" in _price_errors(saved, oob=False)
    # Fixed and not saved yet: the live totals replace the field's errors (before, the error
    # stayed beside the fixed field until the form was saved again).
    lines[1]["unit_price"] = "12.00"
    page = html(owner_client.post(books.url("invoice_builder_totals"), form(books, *lines), **HTMX))
    assert _price_errors(page, oob=True).strip() == ""


def test_picking_a_client_refreshes_the_totals_after_the_picker_is_in_the_page(
    owner_client: HttpClient, books: Books
) -> None:
    response = owner_client.get(
        books.url("invoice_builder_client_pick"), {"client": books.client.public_id}, **HTMX
    )
    # On arrival (HX-Trigger) the totals request went out before the client field was swapped
    # in, and the totals stayed on "Choose a client…".
    assert "HX-Trigger" not in response
    assert response["HX-Trigger-After-Settle"] == "clientChanged"


def test_the_client_form_reports_every_mistake_at_once(owner_client: HttpClient, books: Books) -> None:
    data = {
        "name": "",
        "emails": "ap@ok.example, not-an-email",
        "currency": "EUR",
        "language": "en",
        "payment_terms_days": "30",
    }
    page = html(owner_client.post(books.url("client_create"), data))
    errors = re.findall(r'class="error"[^>]*>([^<]+)<', page)
    assert any("required" in error for error in errors), errors
    assert any("not-an-email is not a valid email address." in error for error in errors), errors


def test_a_draft_without_lines_has_no_finalize_button_to_press(
    owner_client: HttpClient, books: Books, owner_membership: Membership
) -> None:
    with tenant_scope(books.tenant):
        empty = make_invoice(actor=owner_membership, client=books.client, lines=[])
    page = html(owner_client.get(books.url("invoice_finalize", empty.public_id)))
    assert 'data-testid="no-lines"' in page
    button = re.search(r'<button[^>]*data-testid="confirm-finalize"[^>]*>', page).group(0)
    assert " disabled" in button
    # A draft with lines keeps its button.
    page = html(owner_client.get(books.url("invoice_finalize", books.draft.public_id)))
    button = re.search(r'<button[^>]*data-testid="confirm-finalize"[^>]*>', page).group(0)
    assert " disabled" not in button
