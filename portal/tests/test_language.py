"""The client's page speaks the client's language as the PDF does: the same dates, numbers and
money, formatted by one path (invoices.l10n)."""

from __future__ import annotations

import secrets
from datetime import date

import pytest
from django.test import Client

from documents.render import document_context as pdf_context
from documents.render import load_invoice_for_render
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
