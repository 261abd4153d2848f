"""Sample data for the demo workspace `./dev start` creates (`manage.py seed_demo`).

Everything is written through the invoicing services, as a member clicking through the app
would: the stored totals, numbers, balances and timelines are what production stores. Nothing
leaves the machine: no invoice is sent by email, payments are recorded by hand (no Stripe), and
a new workspace has no webhook endpoints to announce its timeline to.

The apps above the domain add their own sample documents through a registered filler
(`demo_sample_data_register`; the quotes app adds its quotes, `quotes/demo.py`), so this
module never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from django.db import transaction

from invoices import services
from invoices.models import CatalogItem, Client, Invoice, TaxCategory, TaxRate
from invoices.money import quantize_money
from invoices.services import LineData
from invoices.services.common import check_writer, tenant_today
from tenants.models import Membership, Tenant


@dataclass(frozen=True)
class DemoClient:
    key: str
    name: str
    emails: tuple[str, ...]
    address_line1: str
    postal_code: str
    city: str
    country: str
    currency: str
    language: str
    payment_terms_days: int
    region: str = ""


@dataclass(frozen=True)
class DemoItem:
    key: str
    name: str
    unit: str
    prices: dict[str, str]  # per currency; the USD price is the catalog's
    taxed: bool = False  # NYC sales tax for US clients; services are not taxable there


class Outcome(StrEnum):
    """What happens to a sample invoice after it is drafted."""

    DRAFT = "draft"  # never finalized
    OPEN = "open"  # finalized, unpaid: overdue once its due date has passed
    PAID = "paid"
    PARTIAL = "partial"  # half paid
    CREDITED_THEN_PAID = "credited_then_paid"  # a credit note, then the rest paid


@dataclass(frozen=True)
class DemoInvoice:
    client: str
    days_ago: int  # issued this many days before today
    lines: tuple[tuple[str, str], ...]  # (item key, quantity)
    outcome: Outcome
    settled_after: int = 0  # days from issue to the payment
    notes: str = ""


CLIENTS = (
    DemoClient(
        key="hudson",
        name="Hudson & Pine Coffee Co.",
        emails=("accounts@hudsonpine.example.com",),
        address_line1="214 Water Street",
        postal_code="11201",
        city="Brooklyn",
        region="NY",
        country="US",
        currency="USD",
        language="en",
        payment_terms_days=30,
    ),
    DemoClient(
        key="lumiere",
        name="Atelier Lumière",
        emails=("facturation@atelier-lumiere.example.org", "claire.martin@atelier-lumiere.example.org"),
        address_line1="18 rue des Petites Écuries",
        postal_code="75010",
        city="Paris",
        country="FR",
        currency="EUR",
        language="fr",
        payment_terms_days=30,
    ),
    DemoClient(
        key="kranich",
        name="Kranich Logistik GmbH",
        emails=("buchhaltung@kranich-logistik.example.com",),
        address_line1="Am Sandtorkai 50",
        postal_code="20457",
        city="Hamburg",
        country="DE",
        currency="EUR",
        language="de",
        payment_terms_days=14,
    ),
    DemoClient(
        key="marea",
        name="Estudio Marea S.L.",
        emails=("administracion@estudiomarea.example.org",),
        address_line1="Carrer de Colón 22",
        postal_code="46004",
        city="València",
        country="ES",
        currency="EUR",
        language="es",
        payment_terms_days=30,
    ),
    DemoClient(
        key="thistle",
        name="Thistle & Finch Ltd",
        emails=("finance@thistleandfinch.example.com",),
        address_line1="12 Hatton Garden",
        postal_code="EC1N 8AN",
        city="London",
        country="GB",
        currency="GBP",
        language="en",
        payment_terms_days=14,
    ),
)

ITEMS = (
    DemoItem(
        "discovery", "Discovery workshop", "session", {"USD": "1500.00", "EUR": "1400.00", "GBP": "1200.00"}
    ),
    DemoItem("design", "UI/UX design", "hour", {"USD": "125.00", "EUR": "115.00", "GBP": "98.00"}),
    DemoItem("development", "Web development", "hour", {"USD": "140.00", "EUR": "130.00", "GBP": "110.00"}),
    DemoItem(
        "brand", "Brand identity package", "package", {"USD": "4800.00", "EUR": "4400.00", "GBP": "3800.00"}
    ),
    DemoItem(
        "hosting", "Managed hosting", "month", {"USD": "89.00", "EUR": "82.00", "GBP": "70.00"}, taxed=True
    ),
    DemoItem(
        "support",
        "Maintenance & support retainer",
        "month",
        {"USD": "650.00", "EUR": "600.00", "GBP": "520.00"},
    ),
)

# Finalized oldest first (see demo_sample_data_create), so numbers follow issue dates.
INVOICES = (
    DemoInvoice("hudson", 118, (("brand", "1"), ("discovery", "1")), Outcome.PAID, 21),
    DemoInvoice("lumiere", 104, (("discovery", "1"), ("design", "32")), Outcome.PAID, 26),
    DemoInvoice("kranich", 91, (("development", "60"),), Outcome.PAID, 12),
    DemoInvoice("hudson", 77, (("hosting", "3"), ("support", "1")), Outcome.PAID, 18),
    DemoInvoice("marea", 70, (("design", "24"), ("hosting", "1")), Outcome.OPEN),
    DemoInvoice("thistle", 62, (("development", "40"),), Outcome.OPEN),
    DemoInvoice("kranich", 49, (("development", "35"), ("support", "1")), Outcome.CREDITED_THEN_PAID, 20),
    DemoInvoice("lumiere", 35, (("support", "1"), ("hosting", "1")), Outcome.PAID, 14),
    DemoInvoice("hudson", 27, (("development", "48"), ("hosting", "1")), Outcome.PARTIAL, 8),
    DemoInvoice("marea", 16, (("support", "1"),), Outcome.OPEN),
    DemoInvoice(
        "hudson",
        6,
        (("design", "20"), ("development", "30")),
        Outcome.DRAFT,
        notes="Website phase 2: online shop.",
    ),
    DemoInvoice("thistle", 2, (("brand", "1"),), Outcome.DRAFT),
)

# The credit note on the CREDITED_THEN_PAID invoice: two hours billed twice.
CREDIT_AFTER_DAYS = 10
CREDIT_HOURS = "2"


@dataclass(frozen=True)
class DemoSampleData:
    clients: int
    tax_rates: int
    catalog_items: int
    drafts: int
    finalized: int
    credit_notes: int
    payments: int
    # What the registered fillers added, one phrase each ("2 quotes (1 sent, 1 accepted)").
    extras: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoWorkspace:
    """The demo's clients, catalog and rates, for the apps that add documents of their own."""

    actor: Membership
    today: date
    clients: dict[str, Client]
    client_specs: dict[str, DemoClient]
    items: dict[str, tuple[DemoItem, CatalogItem]]
    rates: dict[str, TaxRate]

    def line(self, client: str, item: str, quantity: str) -> LineData:
        """A line of the catalog item `item`, priced and taxed for the client `client`."""
        spec, catalog_item = self.items[item]
        client_spec = self.client_specs[client]
        return LineData(
            description=spec.name,
            quantity=quantity,
            unit=spec.unit,
            unit_price=spec.prices[client_spec.currency],
            tax_rates=[_rate_for(spec, client_spec, self.rates)],
            catalog_item=catalog_item,
        )


DemoFiller = Callable[[DemoWorkspace], str]

_fillers: dict[str, DemoFiller] = {}


def demo_sample_data_register(name: str, filler: DemoFiller) -> None:
    """`filler(workspace)` adds an app's sample documents after the invoices, in the same
    transaction, and says what it added (registering again replaces)."""
    _fillers[name] = filler


def workspace_has_invoicing_data() -> bool:
    """Anything a member may have entered: sample data is never mixed into real work."""
    return (
        Client.objects.exists()
        or Invoice.objects.exists()
        or TaxRate.objects.exists()
        or CatalogItem.objects.exists()
    )


def _tax_rates(actor: Membership) -> dict[str, TaxRate]:
    return {
        "sales_tax": services.tax_rate_create(actor=actor, name="NYC sales tax", percentage="8.875"),
        "not_taxable": services.tax_rate_create(
            actor=actor,
            name="Not taxable (services)",
            percentage="0",
            category=TaxCategory.EXEMPT,
            exemption_reason="Professional services are not subject to New York sales tax.",
        ),
        "export": services.tax_rate_create(
            actor=actor,
            name="Export of services",
            percentage="0",
            category=TaxCategory.OUTSIDE_SCOPE,
            exemption_reason="Services supplied to a customer outside the United States: no US sales tax.",
        ),
    }


def _rate_for(item: DemoItem, client: DemoClient, rates: dict[str, TaxRate]) -> TaxRate:
    if client.country != "US":
        return rates["export"]
    return rates["sales_tax"] if item.taxed else rates["not_taxable"]


def _issue(
    actor: Membership,
    spec: DemoInvoice,
    *,
    today: date,
    client: Client,
    client_spec: DemoClient,
    items: dict[str, tuple[DemoItem, CatalogItem]],
    rates: dict[str, TaxRate],
) -> int:
    """Create, finalize and settle one sample invoice; returns the payments it recorded."""
    lines = []
    for key, quantity in spec.lines:
        item, catalog_item = items[key]
        lines.append(
            LineData(
                description=item.name,
                quantity=quantity,
                unit=item.unit,
                unit_price=item.prices[client_spec.currency],
                tax_rates=[_rate_for(item, client_spec, rates)],
                catalog_item=catalog_item,
            )
        )
    issued = today - timedelta(days=spec.days_ago)
    invoice = services.invoice_create_draft(
        actor=actor, client=client, lines=lines, issue_date=issued, notes=spec.notes
    )
    if spec.outcome == Outcome.DRAFT:
        return 0
    invoice = services.invoice_finalize(actor=actor, invoice=invoice)
    paid_on = issued + timedelta(days=spec.settled_after)
    if spec.outcome == Outcome.PAID:
        services.payment_record(actor=actor, invoice=invoice, amount=invoice.balance_due, paid_on=paid_on)
        return 1
    if spec.outcome == Outcome.PARTIAL:
        deposit = quantize_money(invoice.balance_due / 2, invoice.currency)
        services.payment_record(actor=actor, invoice=invoice, amount=deposit, paid_on=paid_on)
        return 1
    if spec.outcome == Outcome.CREDITED_THEN_PAID:
        item, catalog_item = items["development"]
        services.credit_note_create(
            actor=actor,
            invoice=invoice,
            lines=[
                LineData(
                    description=f"{item.name}: hours billed twice",
                    quantity=CREDIT_HOURS,
                    unit=item.unit,
                    unit_price=item.prices[client_spec.currency],
                    tax_rates=[_rate_for(item, client_spec, rates)],
                    catalog_item=catalog_item,
                )
            ],
            reason="Two hours of development were billed twice.",
            issue_date=issued + timedelta(days=CREDIT_AFTER_DAYS),
        )
        invoice.refresh_from_db()  # the credit note lowered its balance
        services.payment_record(actor=actor, invoice=invoice, amount=invoice.balance_due, paid_on=paid_on)
        return 1
    return 0  # Outcome.OPEN


def _seller_details(actor: Membership, tenant: Tenant) -> None:
    """The demo studio's address and bank account (a US one: the demo workspace is in New York),
    so its invoices state what the law asks and say where to pay. Kept if already entered."""
    if not services.company_profile_get(tenant).has_address:
        services.company_profile_update(
            actor=actor,
            legal_name=tenant.name,
            address_line1="350 Fifth Avenue",
            postal_code="10118",
            city="New York",
            region="NY",
            country=tenant.country,
            email="billing@studio.example",
        )
    if tenant.country == "US" and services.default_bank_account("USD") is None:
        services.bank_account_create(
            actor=actor,
            label="Operating account",
            holder_name=tenant.name,
            bank_name="Example Bank",
            country="US",
            currency="USD",
            account_number="123456789",
            routing_code="011000015",
        )


@transaction.atomic
def demo_sample_data_create(*, actor: Membership) -> DemoSampleData | None:
    """Fill the current (demo) workspace with clients, a catalog and four months of invoices.

    Only into a workspace with no invoicing data yet (then it returns None and changes
    nothing), so running it again never duplicates anything. Dates are relative to today in
    the workspace's time zone: some invoices are overdue, and the dashboard's chart shows
    several months.
    """
    tenant = check_writer(actor)
    # Two `seed_demo` runs at once would both find the workspace empty; the second waits here
    # and then sees the first one's rows.
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
    if workspace_has_invoicing_data():
        return None
    today = tenant_today(tenant)
    _seller_details(actor, tenant)
    rates = _tax_rates(actor)
    items = {
        item.key: (
            item,
            services.catalog_item_create(
                actor=actor,
                name=item.name,
                unit=item.unit,
                unit_price=item.prices["USD"],
                currency="USD",
                tax_rates=[rates["sales_tax"] if item.taxed else rates["not_taxable"]],
            ),
        )
        for item in ITEMS
    }
    client_specs = {spec.key: spec for spec in CLIENTS}
    clients = {
        spec.key: services.client_create(
            actor=actor,
            name=spec.name,
            emails=list(spec.emails),
            address_line1=spec.address_line1,
            postal_code=spec.postal_code,
            city=spec.city,
            region=spec.region,
            country=spec.country,
            currency=spec.currency,
            language=spec.language,
            payment_terms_days=spec.payment_terms_days,
        )
        for spec in CLIENTS
    }
    payments = 0
    for spec in sorted(INVOICES, key=lambda invoice: -invoice.days_ago):
        payments += _issue(
            actor,
            spec,
            today=today,
            client=clients[spec.client],
            client_spec=client_specs[spec.client],
            items=items,
            rates=rates,
        )
    workspace = DemoWorkspace(
        actor=actor, today=today, clients=clients, client_specs=client_specs, items=items, rates=rates
    )
    extras = tuple(filler(workspace) for filler in list(_fillers.values()))
    drafts = sum(1 for spec in INVOICES if spec.outcome == Outcome.DRAFT)
    return DemoSampleData(
        clients=len(clients),
        tax_rates=len(rates),
        catalog_items=len(items),
        drafts=drafts,
        finalized=len(INVOICES) - drafts,
        credit_notes=sum(1 for spec in INVOICES if spec.outcome == Outcome.CREDITED_THEN_PAID),
        payments=payments,
        extras=extras,
    )
