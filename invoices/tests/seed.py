"""A realistic year of invoicing for one workspace, made through the services.

Used by the page tests, the browser tests (screenshots) and by hand:
`seed_year(actor=membership)` inside `tenant_scope(membership.tenant)`.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from invoices import services
from invoices.models import Invoice, TaxCategory
from invoices.services import LineData
from invoices.services.common import tenant_today
from invoices.tests.factories import CatalogItemFactory, ClientFactory, TaxRateFactory
from tenants.models import Membership

CLIENTS = [
    ("Northwind Traders", "Lyon", "FR", 30),
    ("Blue Harbor Studio", "Bordeaux", "FR", 15),
    ("Kestrel Analytics", "Berlin", "DE", 30),
    ("Maple & Oak Architects", "Nantes", "FR", 45),
    ("Lumen Health", "Lille", "FR", 30),
    ("Orbit Coffee Roasters", "Marseille", "FR", 14),
]
SERVICES = [
    ("Product design", "day", "650.00"),
    ("Frontend development", "hour", "85.00"),
    ("Brand workshop", "session", "1200.00"),
    ("Hosting & maintenance", "month", "149.00"),
    ("UX research interviews", "interview", "240.00"),
]


def seed_year(*, actor: Membership, invoices: int = 36, seed: int = 7) -> list[Invoice]:
    """Clients, tax rates, catalog items and `invoices` invoices over the last 12 months:
    mostly paid, some partly paid, some overdue, a few drafts, one void and one credit note."""
    rng = random.Random(seed)
    today = tenant_today()
    vat = TaxRateFactory(name="VAT", percentage=Decimal("20"))
    reduced = TaxRateFactory(name="VAT reduced", percentage=Decimal("5.5"))
    TaxRateFactory(
        name="Reverse charge",
        percentage=Decimal("0"),
        category=TaxCategory.REVERSE_CHARGE,
        exemption_reason="Reverse charge: VAT due by the customer (art. 196 Directive 2006/112/EC).",
    )
    for name, unit, price in SERVICES:
        item = CatalogItemFactory(name=name, unit=unit, unit_price=Decimal(price), description="")
        item.item_taxes.create(tax_rate=vat)
    clients = [
        ClientFactory(name=name, city=city, country=country, payment_terms_days=terms)
        for name, city, country, terms in CLIENTS
    ]
    made: list[Invoice] = []
    for index in range(invoices):
        # Spread from eleven months ago to today, the newest last.
        issued = today - timedelta(days=int(335 * (invoices - 1 - index) / max(invoices - 1, 1)))
        issued = min(issued + timedelta(days=rng.randint(0, 3)), today)
        lines = []
        for _ in range(rng.randint(1, 3)):
            name, unit, price = rng.choice(SERVICES)
            lines.append(
                LineData(
                    description=name,
                    quantity=str(rng.choice([1, 2, 3, 5, 8])),
                    unit=unit,
                    unit_price=price,
                    tax_rates=[rng.choice([vat, vat, vat, reduced])],
                )
            )
        invoice = services.invoice_create_draft(
            actor=actor, client=rng.choice(clients), lines=lines, issue_date=issued
        )
        age = (today - issued).days
        if index >= invoices - 3:
            made.append(invoice)  # the latest few stay drafts
            continue
        invoice = services.invoice_finalize(actor=actor, invoice=invoice)
        if age > 12 and rng.random() < 0.8:
            paid_on = min(issued + timedelta(days=rng.randint(5, 30)), today)
            services.payment_record(actor=actor, invoice=invoice, amount=invoice.balance_due, paid_on=paid_on)
        elif age > 7 and rng.random() < 0.4:
            half = (invoice.balance_due / 2).quantize(Decimal("0.01"))
            services.payment_record(
                actor=actor, invoice=invoice, amount=half, paid_on=min(issued + timedelta(days=7), today)
            )
        invoice.refresh_from_db()
        made.append(invoice)
    unpaid = [inv for inv in made if inv.status == "open"]
    if len(unpaid) >= 2:
        services.invoice_void(actor=actor, invoice=unpaid[0], reason="Sent to the wrong client")
        note_for = unpaid[1]
        services.credit_note_create(
            actor=actor,
            invoice=note_for,
            lines=[
                LineData(description="Goodwill discount", quantity="1", unit_price="50.00", tax_rates=[vat])
            ],
            reason="Delivery was late",
        )
    return made


def month_start(day: date) -> date:
    return day.replace(day=1)
