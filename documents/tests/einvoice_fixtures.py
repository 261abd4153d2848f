"""Invoices made by the services, complete enough for EN 16931 + Peppol, and incomplete ones.

`complete_seller` lays a full seller (contact, Peppol id, bank account) over the snapshot that
finalization freezes from the workspace's company profile; `test_einvoice_mapping` also
proves the path through the real company profile and bank account.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from invoices.models import TaxCategory
from invoices.services import invoices as invoice_services
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice

SELLER_PROFILE: dict[str, Any] = {
    "legal_name": "Acme Design SARL",
    "address_line1": "12 Rue des Arts",
    "postal_code": "75003",
    "city": "Paris",
    "vat_id": "FR61954506077",
    "email": "billing@acme.example",
    "phone": "+33 1 23 45 67 89",
    "contact_name": "Alice Martin",
    "iban": "FR7630006000011234567890189",
    "bic": "AGRIFRPP",
    "peppol_scheme": "0009",  # SIRET
    "peppol_id": "95450607700019",
}


@pytest.fixture
def complete_seller(monkeypatch):
    """Finalization freezes the seller's full profile into the snapshot."""
    original = invoice_services.snapshot_seller

    def with_profile(tenant, currency=None):
        return {**original(tenant, currency), **SELLER_PROFILE}

    monkeypatch.setattr(invoice_services, "snapshot_seller", with_profile)
    return SELLER_PROFILE


def complete_client(**overrides: Any):
    fields = {
        "name": "Client Corp GmbH",
        "address_line1": "Hauptstraße 5",
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
        "tax_id": "DE123456789",
        "emails": ["ap@client.example"],
        "peppol_scheme": "9930",
        "peppol_id": "DE123456789",
    }
    fields.update(overrides)
    return ClientFactory(**fields)


def complete_invoice(*, actor=None, client=None, lines: int = 3, extra_lines=(), **kwargs: Any):
    """A finalized invoice with two VAT rates, a line discount and an invoice discount.

    `extra_lines(standard, reduced)` gives more lines (LineData) taxed at those two rates."""
    standard = TaxRateFactory(name="TVA 20", percentage=Decimal("20"), category=TaxCategory.STANDARD)
    reduced = TaxRateFactory(name="TVA 5,5", percentage=Decimal("5.5"), category=TaxCategory.STANDARD)
    entered = [
        line(f"Design work {n}", "2.5", "80.00", unit="hour", tax_rates=[standard if n % 2 else reduced])
        for n in range(1, lines + 1)
    ]
    entered.append(line("Books", "3", "12.35", discount="1.05", unit="pcs", tax_rates=[reduced]))
    if extra_lines:
        entered.extend(extra_lines(standard, reduced))
    kwargs.setdefault("buyer_reference", "PO-4711")
    kwargs.setdefault("discount_type", "amount")
    kwargs.setdefault("discount_value", "10.00")
    return make_invoice(
        actor=actor, client=client or complete_client(), lines=entered, finalize=True, **kwargs
    )


@pytest.fixture
def seller_frozen_before_profile(monkeypatch):
    """Finalize refuses a legally incomplete invoice now (invoices.legal); an invoice finalized
    before the company profile existed froze a seller with only a name and a country: the
    e-invoice rules must still say, in plain words, what it lacks."""
    monkeypatch.setattr(
        invoice_services,
        "snapshot_seller",
        lambda tenant, currency=None: {"name": tenant.name, "country": "FR"},
    )
