"""Factories for invoicing models. Create them inside `tenant_scope(tenant)` (the `in_tenant`
fixture): tenant-owned rows are written into the current tenant.

Simple rows (Client, TaxRate, CatalogItem, Payment rows without derivation) come from model
factories. Invoices with correct stored totals come from `make_invoice`, which goes through
the services, so their totals, numbers and timelines are what production would store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import factory

from invoices import services
from invoices.models import CatalogItem, Client, Invoice, TaxCategory, TaxRate
from invoices.services import LineData
from tenants.models import Membership, Role
from tenants.scoping import current_tenant
from tenants.tests.factories import MembershipFactory


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    tenant = factory.LazyFunction(current_tenant)
    name = factory.Sequence(lambda n: f"Client {n} Ltd")
    emails = factory.Sequence(lambda n: [f"billing{n}@client.example"])
    address_line1 = "1 Rue de la Paix"
    postal_code = "75002"
    city = "Paris"
    country = "FR"
    currency = "EUR"
    language = "en"
    payment_terms_days = 30


class TaxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxRate

    tenant = factory.LazyFunction(current_tenant)
    name = factory.Sequence(lambda n: f"VAT {n}")
    percentage = Decimal("20.0000")
    inclusive = False
    compound = False
    category = TaxCategory.STANDARD
    exemption_reason = ""


class CatalogItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogItem

    tenant = factory.LazyFunction(current_tenant)
    name = factory.Sequence(lambda n: f"Service {n}")
    description = "Design work"
    unit = "hour"
    unit_price = Decimal("80.00")
    currency = "EUR"


def writer(role: str = Role.OWNER) -> Membership:
    """A member of the current tenant who may write (the actor services need)."""
    return MembershipFactory(tenant=current_tenant(), role=role)


def line(
    description: str = "Consulting",
    quantity: str = "1",
    unit_price: str = "100.00",
    *,
    discount: str = "0",
    tax_rates: Sequence[TaxRate | str] = (),
    unit: str = "",
    metadata: dict[str, Any] | None = None,
) -> LineData:
    return LineData(
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        discount=discount,
        tax_rates=list(tax_rates),
        unit=unit,
        metadata=metadata or {},
    )


def make_invoice(
    *,
    actor: Membership | None = None,
    client: Client | None = None,
    lines: Sequence[LineData] | None = None,
    finalize: bool = False,
    currency: str | None = None,
    issue_date: date | None = None,
    due_date: date | None = None,
    **kwargs: Any,
) -> Invoice:
    """An invoice made by the services: a draft, or finalized with `finalize=True`."""
    actor = actor or writer()
    client = client or ClientFactory(currency=currency or "EUR")
    invoice = services.invoice_create_draft(
        actor=actor,
        client=client,
        lines=list(lines) if lines is not None else [line()],
        currency=currency,
        issue_date=issue_date,
        due_date=due_date,
        **kwargs,
    )
    if finalize:
        invoice = services.invoice_finalize(actor=actor, invoice=invoice)
    return invoice
