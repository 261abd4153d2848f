"""The EN 16931 fields an invoice now stores, through the services (one path to the totals):
prepaid amount and cash rounding, returns, price base quantity and gross price, unit codes,
references and periods."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal as D

import pytest

from core.errors import ApplicationError
from invoices import services
from invoices.models import Invoice, InvoiceStatus
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, writer
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


def test_prepaid_amount_and_swiss_cash_rounding_make_the_amount_due(in_tenant: Tenant) -> None:
    actor = writer()
    client = ClientFactory(currency="CHF")
    invoice = services.invoice_create_draft(
        actor=actor,
        client=client,
        lines=[line(unit_price="10.02")],
        prepaid_amount="5.00",
        cash_rounding="0.05",
    )
    # BT-112 10.02 - BT-113 5.00 = 5.02, rounded in cash to 5.00: BT-114 = -0.02.
    assert (invoice.total, invoice.prepaid_amount, invoice.rounding_amount, invoice.amount_due) == (
        D("10.02"),
        D("5.00"),
        D("-0.02"),
        D("5.00"),
    )
    invoice = services.invoice_finalize(actor=actor, invoice=invoice)
    assert invoice.balance_due == D("5.00")
    services.payment_record(actor=actor, invoice=invoice, amount="5.00")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance_due) == (InvoiceStatus.PAID, D(0))


def test_whole_forint_rounding_and_a_prepaid_amount_above_the_total_is_refused(in_tenant: Tenant) -> None:
    client = ClientFactory(currency="HUF")
    invoice = services.invoice_create_draft(
        actor=writer(), client=client, lines=[line(quantity="3", unit_price="33.335")], cash_rounding="1"
    )
    assert (invoice.total, invoice.amount_due, invoice.rounding_amount) == (D("100.01"), D(100), D("-0.01"))
    with pytest.raises(ApplicationError) as error:
        services.invoice_update_draft(actor=writer(), invoice=invoice, prepaid_amount="200.00")
    assert error.value.field == "prepaid_amount"


def test_a_return_is_a_negative_line_and_the_total_stays_positive(in_tenant: Tenant) -> None:
    vat = TaxRateFactory(percentage=D(20))
    invoice = services.invoice_create_draft(
        actor=writer(),
        client=ClientFactory(),
        lines=[
            line("Chairs", "4", "100.00", tax_rates=[vat]),
            line("Chair returned", "-1", "100.00", tax_rates=[vat]),
        ],
    )
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (D("300.00"), D("60.00"), D("360.00"))
    assert [line.net_amount for line in invoice.lines.all()] == [D("400.00"), D("-100.00")]
    with pytest.raises(ApplicationError) as error:
        services.invoice_create_draft(
            actor=writer(),
            client=ClientFactory(),
            lines=[line("Back", "-2", "10.00"), line("Sold", "1", "10.00")],
        )
    assert "credit note" in error.value.message


def test_price_base_quantity_gross_price_and_six_decimal_prices(in_tenant: Tenant) -> None:
    energy = dataclasses.replace(
        line("Electricity", "2500", "2.208000"), unit_code="KWH", base_quantity="100", gross_price="2.4"
    )
    invoice = services.invoice_create_draft(actor=writer(), client=ClientFactory(), lines=[energy])
    stored = invoice.lines.get()
    assert (stored.unit_code, stored.base_quantity, stored.gross_price, stored.unit_price) == (
        "KWH",
        D(100),
        D("2.4"),
        D("2.208"),
    )
    assert invoice.total == D("55.20")  # 2500 x 2.208 / 100
    for bad, field in (
        ({"gross_price": "2.0"}, ("lines", 0, "gross_price")),
        ({"base_quantity": "0"}, ("lines", 0, "base_quantity")),
        ({"unit_code": "Q9Q"}, ("lines", 0, "unit_code")),
        ({"period_start": date(2026, 3, 31), "period_end": date(2026, 3, 1)}, ("lines", 0, "period_end")),
    ):
        with pytest.raises(ApplicationError) as error:
            services.invoice_create_draft(
                actor=writer(), client=ClientFactory(), lines=[dataclasses.replace(energy, **bad)]
            )
        assert error.value.path == field


def test_references_and_period_are_kept_and_survive_an_edit(in_tenant: Tenant) -> None:
    invoice = services.invoice_create_draft(
        actor=writer(),
        client=ClientFactory(),
        lines=[line()],
        contract_reference="CT-2026-7",
        project_reference="PRJ-42",
        order_reference="SO-981",
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
    )
    invoice = services.invoice_update_draft(actor=writer(), invoice=invoice, notes="Thanks")
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert (invoice.contract_reference, invoice.project_reference, invoice.order_reference) == (
        "CT-2026-7",
        "PRJ-42",
        "SO-981",
    )
    assert (invoice.period_start, invoice.period_end) == (date(2026, 3, 1), date(2026, 3, 31))
    with pytest.raises(ApplicationError) as error:
        services.invoice_update_draft(actor=writer(), invoice=invoice, period_end=date(2026, 2, 1))
    assert error.value.field == "period_end"
