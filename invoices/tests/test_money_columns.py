"""Every stored amount is declared by one function, `invoices.models.base.MoneyField`."""

from __future__ import annotations

from django.apps import apps
from django.db import models

from invoices.models.base import MONEY_MARK

# Decimal columns that are not an amount of money, or not only one.
NOT_MONEY = {
    "invoices.TaxRate.percentage": "a percentage",
    "invoices.InvoiceTaxTotal.percentage": "a percentage",
    "invoices.InvoiceLine.quantity": "a quantity",
    "invoices.Invoice.discount_value": "an amount or a percentage, as entered",
    "delivery.SendingSettings.late_fee_value": "an amount or a percentage, as entered",
    "einvoicing.ReceivedInvoice.amount_due": "another party's figure, up to 19 digits, kept as received",
    "invoices.Invoice.cash_rounding": "a rounding step (0.05, 1), not an amount owed",
    "invoices.InvoiceLine.unit_price": "a net price, up to 6 decimals whatever the currency (BT-146)",
    "invoices.InvoiceLine.gross_price": "a gross price, up to 6 decimals whatever the currency (BT-148)",
    "invoices.InvoiceLine.base_quantity": "a quantity (BT-149)",
    "quotes.Quote.discount_value": "an amount or a percentage, as entered",
    "quotes.Quote.deposit_percent": "a percentage",
    "invoices.AllowanceCharge.percentage": "a percentage (BT-94, BT-101, BT-138, BT-143)",
}


def test_every_amount_column_is_a_money_field() -> None:
    decimals = {
        f"{model._meta.label}.{field.name}": field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.DecimalField)
    }
    assert set(NOT_MONEY) <= set(decimals), "a listed column is gone: take it off NOT_MONEY"
    declared_by_hand = [
        name
        for name, field in decimals.items()
        if name not in NOT_MONEY and not getattr(field, MONEY_MARK, False)
    ]
    assert declared_by_hand == [], "declare amounts with MoneyField (invoices/models/base.py)"
    assert len(decimals) - len(NOT_MONEY) >= 19
