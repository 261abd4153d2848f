"""Shared setup of the page tests: a workspace with rates, a catalog item, clients and invoices."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from invoices.models import CatalogItem, Client, Invoice, TaxRate
from invoices.tests.factories import CatalogItemFactory, ClientFactory, TaxRateFactory, line, make_invoice
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope


@dataclass
class Books:
    tenant: Tenant
    vat: TaxRate
    reduced: TaxRate
    client: Client
    item: CatalogItem
    draft: Invoice
    open: Invoice

    def url(self, name: str, *args: str) -> str:
        return reverse(name, args=[self.tenant.slug, *args])


@pytest.fixture(name="books")
def books_fixture(tenant: Tenant, owner_membership: Membership) -> Books:
    """Import `books_fixture` into a test module to get the `books` fixture."""
    with tenant_scope(tenant):
        vat = TaxRateFactory(name="VAT", percentage=Decimal("20"))
        reduced = TaxRateFactory(name="VAT reduced", percentage=Decimal("5.5"))
        client = ClientFactory(name="Northwind Traders", currency="EUR", payment_terms_days=30)
        item = CatalogItemFactory(name="Brand workshop", unit="session", unit_price=Decimal("1200.00"))
        item.item_taxes.create(tax_rate=vat)
        draft = make_invoice(
            actor=owner_membership, client=client, lines=[line("Design", "2", "100.00", tax_rates=[vat])]
        )
        opened = make_invoice(
            actor=owner_membership,
            client=client,
            lines=[line("Consulting", "1", "500.00", tax_rates=[vat])],
            finalize=True,
        )
    return Books(tenant, vat, reduced, client, item, draft, opened)


def snapshot(tenant: Tenant) -> dict:
    """Every invoicing row of the tenant, to show that a refused request changed nothing."""
    from tenants.rls import tenant_owned_models

    with tenant_scope(tenant):
        return {
            model._meta.label: sorted(map(repr, model.objects.values()))
            for model in tenant_owned_models()
            if model._meta.app_label == "invoices"
        }


def html(response: object) -> str:
    return response.content.decode()


def logged_in(user: object) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client
