"""Invoices to render in the PDF tests and the benchmark (bench/pdf_render.py).

Call inside `tenant_scope(tenant)`; each goes through the services, so totals, numbers and
snapshots are what production stores.
"""

from __future__ import annotations

from decimal import Decimal

from invoices import services
from invoices.models import Invoice, TaxCategory
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice, writer
from tenants.models import Membership

SERVICES = [
    ("Product design sprint — discovery, wireframes and a clickable prototype", "day", "650.00"),
    ("Frontend development (React, accessibility review)", "hour", "85.00"),
    ("Brand workshop with the leadership team", "session", "1200.00"),
    ("Hosting & maintenance, including security updates", "month", "149.00"),
    ("UX research interviews", "interview", "240.00"),
    ("Copywriting: product pages, FAQ and onboarding emails", "page", "120.00"),
]


def _lines(count: int, vat: object, reduced: object) -> list:
    made = []
    for index in range(count):
        name, unit, price = SERVICES[index % len(SERVICES)]
        made.append(
            line(
                f"{name} ({index + 1})" if count > len(SERVICES) else name,
                quantity=str([1, 2, 3, 5, 8, "1.5"][index % 6]),
                unit=unit,
                unit_price=price,
                tax_rates=[vat if index % 4 else reduced],
            )
        )
    return made


def sample_invoice(
    *,
    lines: int = 12,
    finalize: bool = True,
    client_name: str = "Northwind Traders SARL",
    language: str = "en",
    actor: Membership | None = None,
    currency: str = "EUR",
) -> Invoice:
    """A finalized (or draft) invoice with `lines` lines at two VAT rates and notes."""
    actor = actor or writer()
    vat = TaxRateFactory(name="VAT", percentage=Decimal("20"))
    reduced = TaxRateFactory(name="VAT reduced", percentage=Decimal("5.5"))
    client = ClientFactory(
        name=client_name,
        language=language,
        currency=currency,
        address_line1="12 Quai des Chartrons",
        postal_code="33000",
        city="Bordeaux",
        tax_id="FR40303265045",
    )
    return make_invoice(
        actor=actor,
        client=client,
        lines=_lines(lines, vat, reduced),
        finalize=finalize,
        currency=currency,
        notes="Thank you for your business. Questions about this invoice: billing@acme.example.",
        terms="Late payments bear interest at three times the legal rate and a €40 recovery fee.",
        buyer_reference="PO-7781",
    )


def sample_credit_note(*, actor: Membership | None = None) -> Invoice:
    actor = actor or writer()
    invoice = sample_invoice(lines=4, actor=actor)
    return services.credit_note_create(
        actor=actor,
        invoice=invoice,
        lines=[line("Refund: one design day not delivered", quantity="1", unit_price="650.00")],
        reason="Day cancelled",
    )


def sample_exempt_invoice(*, actor: Membership | None = None) -> Invoice:
    actor = actor or writer()
    reverse = TaxRateFactory(
        name="Reverse charge",
        percentage=Decimal("0"),
        category=TaxCategory.REVERSE_CHARGE,
        exemption_reason="Reverse charge: VAT due by the customer (art. 196 Directive 2006/112/EC).",
    )
    # Reverse charge names the buyer's VAT number (VAT directive art. 226(4)): finalize asks for it.
    client = ClientFactory(
        name="Kestrel Analytics GmbH", city="Berlin", country="DE", language="de", tax_id="DE136695976"
    )
    return make_invoice(
        actor=actor,
        client=client,
        lines=[line("Beratung", "3", "900.00", tax_rates=[reverse])],
        finalize=True,
    )
