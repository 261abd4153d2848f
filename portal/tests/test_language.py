"""The client's page speaks the client's language as the PDF does: the same dates, numbers and
money, formatted by one path (invoices.l10n)."""

from __future__ import annotations

import secrets
from datetime import date

import pytest
from django.test import Client

from documents.render import load_invoice_for_render, pdf_context
from invoices.tests.factories import ClientFactory, line, make_invoice
from portal.services import invoice_link_issue
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def _anon() -> Client:
    return Client(
        REMOTE_ADDR=f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    )


def _shared(tenant: Tenant, owner: Membership, language: str) -> tuple[object, str]:
    with tenant_scope(tenant):
        client = ClientFactory(currency="EUR", language=language, emails=["client@example.com"])
        invoice = make_invoice(
            actor=owner,
            client=client,
            lines=[line(quantity="12.5", unit_price="10.00")],
            finalize=True,
            issue_date=date(2026, 12, 1),
            due_date=date(2026, 12, 31),
        )
        _, token = invoice_link_issue(actor=owner, invoice=invoice)
    return invoice, token


def test_french_page_writes_dates_and_quantities_as_the_pdf(
    tenant: Tenant, owner_membership: Membership
) -> None:
    invoice, token = _shared(tenant, owner_membership, "fr")
    body = _anon().get(f"/i/{token}").content.decode()
    with tenant_scope(tenant):
        pdf = pdf_context(load_invoice_for_render(invoice_pk=invoice.pk))
    assert pdf["due_date"] == "31 déc. 2026"
    assert pdf["lines"][0]["quantity"] == "12,5"
    assert ">31 déc. 2026<" in body
    assert ">1 déc. 2026<" in body
    assert "Déc" not in body
    assert ">12,5<" in body
    assert "12.5" not in body


def test_german_page_uses_german_conventions(tenant: Tenant, owner_membership: Membership) -> None:
    _, token = _shared(tenant, owner_membership, "de")
    body = _anon().get(f"/i/{token}").content.decode()
    assert ">31.12.2026<" in body
    assert ">12,5<" in body
    assert "125,00\xa0€" in body


def _visible_text(html: str) -> str:
    import re
    from html import unescape

    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _english_ui_chunks(language: str) -> set[str]:
    """The English words of every client message, less those its translation in `language`'s
    catalogs keeps ("Total" in "Total TTC", "Notes"): a message with no translation counts
    whole, so an untranslated string on the page is caught."""
    import re

    from babel.messages.pofile import read_po

    from invoiceflow.testing.messages import ROOT, client_messages

    translations: dict[str, str] = {}
    for path in ROOT.glob(f"*/locale/{language}/LC_MESSAGES/django.po"):
        with path.open("rb") as handle:
            for entry in read_po(handle):
                if isinstance(entry.id, str) and entry.id and not entry.context and entry.string:
                    translations.setdefault(entry.id, entry.string)
    chunks: set[str] = set()
    for app in ("portal", "invoices", "billing"):
        for text, context in client_messages(app):
            if not isinstance(text, str) or context:
                continue
            translated = translations.get(text, "")
            for chunk in re.split(r"%\(\w+\)[sd]|<[^>]+>|[.:;!?,()]", text):
                chunk = chunk.strip()
                if len(chunk) >= 4 and re.search(r"[A-Za-z]{3}", chunk) and chunk not in translated:
                    chunks.add(chunk)
    return chunks


@pytest.mark.parametrize("state", ["open", "void"])
def test_a_french_clients_page_has_no_english_ui_string(
    tenant: Tenant, owner_membership: Membership, state: str
) -> None:
    import re

    from invoices import services

    invoice, token = _shared(tenant, owner_membership, "fr")
    if state == "void":
        with tenant_scope(tenant):
            services.invoice_void(actor=owner_membership, invoice=invoice.public_id, reason="")
    page = _anon().get(f"/i/{token}").content.decode()
    text = _visible_text(page)
    chunks = _english_ui_chunks("fr")
    assert {"Download PDF", "Balance due", "Issue date"} <= chunks  # the check has teeth
    found = sorted(chunk for chunk in chunks if re.search(rf"(?<!\w){re.escape(chunk)}(?!\w)", text))
    assert not found, found
    assert "Facture" in text
    assert ("Ouverte" if state == "open" else "Annulée") in text


def test_a_refused_payment_is_explained_in_french(tenant: Tenant, owner_membership: Membership) -> None:
    _, token = _shared(tenant, owner_membership, "fr")
    response = _anon().post(f"/i/{token}/pay", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.content.decode()
    assert "n'a pas de clés Stripe configurées" in body.replace("&#x27;", "'")
    assert "no Stripe keys" not in body
