"""Words and states on the invoicing pages (issue #18): what a status badge says, and lines of
facts that never end in a dangling separator."""

from __future__ import annotations

import re

from django.test import Client as HttpClient

from invoices import services
from invoices.services import LineData
from invoices.tests.pages import Books, books_fixture, html  # noqa: F401
from tenants.models import Membership
from tenants.scoping import tenant_scope


def _credit_note(books: Books, owner_membership: Membership):
    with tenant_scope(books.tenant):
        return services.credit_note_create(
            actor=owner_membership,
            invoice=books.open,
            lines=[LineData(description="Goodwill", quantity="1", unit_price="50.00", tax_rates=[])],
            reason="Late delivery",
        )


def test_a_credit_note_reads_issued_not_open(
    owner_client: HttpClient, books: Books, owner_membership: Membership
) -> None:
    note = _credit_note(books, owner_membership)
    page = html(owner_client.get(books.url("invoice_detail", note.public_id)))
    badge = re.search(r'<span class="badge[^"]*" data-status="([^"]+)">([^<]+)</span>', page)
    assert badge is not None
    assert badge.groups() == ("issued", "Issued")
    # The invoice it credits lists it with the same word, and still reads Open itself.
    page = html(owner_client.get(books.url("invoice_detail", books.open.public_id)))
    assert 'data-status="issued">Issued</span>' in page
    assert 'data-status="open">Open</span>' in page
    listing = html(owner_client.get(books.url("invoice_list")))
    assert 'data-status="issued">Issued</span>' in listing


def test_activity_lines_carry_no_separator_of_their_own(owner_client: HttpClient, books: Books) -> None:
    """The "·" between a client's name and the time is drawn by CSS before the time (.meta),
    so a long name that wraps cannot leave it dangling at the end of a line."""
    page = html(owner_client.get(books.url("dashboard")))
    activity = page[page.index('data-testid="activity"') :]
    assert 'class="muted small meta"' in activity
    assert "·" not in activity[: activity.index("</ol>")]


def test_a_partly_paid_invoice_says_why_it_cannot_be_voided(
    owner_client: HttpClient, books: Books, owner_membership: Membership
) -> None:
    with tenant_scope(books.tenant):
        services.payment_record(actor=owner_membership, invoice=books.open, amount="100.00")
    page = html(owner_client.get(books.url("invoice_detail", books.open.public_id)))
    assert 'data-testid="void"' not in page
    note = re.search(r'data-testid="void-blocked">([^<]+)<', page)
    assert note is not None
    assert "has been paid on this invoice" in note.group(1)
    # An unpaid invoice offers Void and needs no note.
    with tenant_scope(books.tenant):
        fresh = services.invoice_finalize(actor=owner_membership, invoice=books.draft)
    page = html(owner_client.get(books.url("invoice_detail", fresh.public_id)))
    assert 'data-testid="void"' in page
    assert 'data-testid="void-blocked"' not in page


def test_in_french_the_invoice_page_says_why_void_is_not_offered(
    owner_client: HttpClient, books: Books, owner_membership: Membership
) -> None:
    with tenant_scope(books.tenant):
        services.payment_record(actor=owner_membership, invoice=books.open, amount="100.00")
    page = html(
        owner_client.get(books.url("invoice_detail", books.open.public_id), HTTP_ACCEPT_LANGUAGE="fr")
    )
    note = re.search(r'data-testid="void-blocked">([^<]+)<', page)
    assert note is not None
    assert "L'annulation n'est pas proposée" in note.group(1)
    for french in ("Enregistrer un paiement", "Émettre un avoir", "Paiements et avoirs", "Activité"):
        assert french in page, french
    for english in ("Record a payment", "Issue a credit note", "Payments and credits", "has been paid"):
        assert english not in page, english
