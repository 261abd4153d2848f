"""Allowances and charges in the services: a draft keeps them through edits, a whole-invoice
credit note and a duplicate carry the invoice's own, a rate's new percentage recomputes a
percentage-based one on drafts, the live preview counts them, and today's discount (the
builder's) still applies beside them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import ApplicationError
from invoices import services
from invoices.models import AllowanceCharge
from invoices.tests.factories import TaxRateFactory, line, make_invoice, writer
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


def _charged(rate, **kwargs):
    return make_invoice(
        lines=[line("Design", "10", "80.00", tax_rates=[rate])],
        allowances_charges=[
            {"charge": True, "percentage": "5", "reason": "Rush", "reason_code": "ABK", "tax_rates": [rate]},
            {"amount": "10.00", "reason_code": "95", "tax_rates": [rate]},
        ],
        **kwargs,
    )


def test_a_whole_invoice_credit_note_and_a_duplicate_carry_its_allowances(in_tenant: Tenant) -> None:
    rate = TaxRateFactory(percentage=Decimal("20"))
    invoice = _charged(rate, finalize=True)
    # 800 + 40 (5 %) - 10 = 830, + 20 % = 996.00.
    assert invoice.total == Decimal("996.00")
    actor = writer()
    note = services.credit_note_create(actor=actor, invoice=invoice)
    assert note.total == invoice.total
    assert sorted(AllowanceCharge.objects.filter(invoice=note).values_list("amount", flat=True)) == [
        Decimal("10.00"),
        Decimal("40.00"),
    ]
    copy = services.invoice_duplicate(actor=actor, invoice=_charged(rate, finalize=True))
    assert copy.total == Decimal("996.00")
    assert AllowanceCharge.objects.filter(invoice=copy, line__isnull=True).count() == 2


def test_a_draft_keeps_them_through_edits_and_follows_its_rates(in_tenant: Tenant) -> None:
    rate = TaxRateFactory(percentage=Decimal("20"))
    draft = _charged(rate)
    actor = writer()
    edited = services.invoice_update_draft(
        actor=actor, invoice=draft, lines=[line("Design", "20", "80.00", tax_rates=[rate])]
    )
    # 1600 + 80 - 10 = 1670, + 334 tax.
    assert edited.total == Decimal("2004.00")
    services.tax_rate_update(actor=actor, tax_rate=rate, percentage="10")
    draft.refresh_from_db()
    assert draft.total == Decimal("1837.00")
    # Today's discount, as the builder sends it, applies beside them.
    discounted = services.invoice_update_draft(
        actor=actor, invoice=draft, discount_type="amount", discount_value="70.00"
    )
    assert discounted.discount_amount == Decimal("80.00")
    assert discounted.total == Decimal("1760.00")


def test_the_preview_counts_them_and_refuses_what_the_draft_would(in_tenant: Tenant) -> None:
    rate = TaxRateFactory(percentage=Decimal("20"))
    lines = [line("Design", "1", "100.00", tax_rates=[rate])]
    totals = services.invoice_calculate(
        currency="EUR",
        lines=lines,
        allowances_charges=[{"charge": True, "amount": "5.00", "reason": "Freight", "tax_rates": [rate]}],
    )
    assert (totals.charge_total, totals.tax_total, totals.total) == (
        Decimal("5.00"),
        Decimal("21.00"),
        Decimal("126.00"),
    )
    with pytest.raises(ApplicationError) as refused:
        services.invoice_calculate(
            currency="EUR", lines=lines, allowances_charges=[{"amount": "5.00", "tax_rates": [rate]}]
        )
    assert refused.value.path == ("allowances_charges", 0, "reason")


def test_a_rate_only_a_charge_carries_recomputes_the_drafts_too(in_tenant: Tenant) -> None:
    goods = TaxRateFactory(percentage=Decimal("0"), category="Z", name="Zero")
    freight = TaxRateFactory(percentage=Decimal("20"), name="Freight VAT")
    draft = make_invoice(
        lines=[line("Books", "1", "100.00", tax_rates=[goods])],
        allowances_charges=[{"charge": True, "amount": "10.00", "reason": "Freight", "tax_rates": [freight]}],
    )
    assert draft.total == Decimal("112.00")
    services.tax_rate_update(actor=writer(), tax_rate=freight, percentage="10")
    draft.refresh_from_db()
    assert draft.total == Decimal("111.00")
