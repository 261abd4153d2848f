"""The rules the services enforce are held by the database too (CHECK constraints), and the
immutability trigger guards every column of an invoice but the derived ones."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.utils import IntegrityError

from delivery.models import LateFeeKind, SendingSettings
from invoices.models import DiscountType, Invoice, InvoiceLine, TaxRate
from invoices.tests.factories import TaxRateFactory, make_invoice
from tenants.models import Tenant

pytestmark = pytest.mark.django_db

# Columns a finalized invoice may still change: its status and what follows from payments,
# credits and voiding, and bookkeeping. Every other column is frozen by the trigger.
DERIVED_COLUMNS = {
    "id",
    "status",
    "amount_paid",
    "amount_credited",
    "balance_due",
    "content_version",
    "created_by_id",
    "created_at",
    "updated_at",
    "paid_at",
    "voided_at",
    "marked_uncollectible_at",
}


def _refused(model: type, pk: int, **values: Any) -> str:
    """The name of the constraint the database cites when `values` are written past the services."""
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        model.objects.filter(pk=pk).update(**values)
    return str(refused.value)


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"due_date_days": -1}, "invoice_due_on_or_after_issue"),
        ({"discount_value": Decimal("-1")}, "invoice_discount_not_negative"),
        (
            {"discount_type": DiscountType.PERCENT, "discount_value": Decimal("100.01")},
            "invoice_percent_discount_at_most_100",
        ),
    ],
)
def test_an_invoice_the_services_would_refuse_is_refused_by_the_database(
    in_tenant: Tenant, values: dict[str, Any], constraint: str
) -> None:
    invoice = make_invoice()
    if "due_date_days" in values:
        values = {"due_date": invoice.issue_date + timedelta(days=values.pop("due_date_days"))}
    message = _refused(Invoice, invoice.pk, **values)
    if connection.vendor == "postgresql":  # SQLite names the constraint only for some
        assert constraint in message
    # What the services allow still passes.
    Invoice.objects.filter(pk=invoice.pk).update(
        due_date=invoice.issue_date, discount_type=DiscountType.PERCENT, discount_value=Decimal(100)
    )


def test_a_line_and_a_tax_rate_out_of_range_are_refused(in_tenant: Tenant) -> None:
    invoice = make_invoice()
    line = InvoiceLine.objects.filter(invoice=invoice).first()
    assert line is not None
    _refused(InvoiceLine, line.pk, unit_price=Decimal("-0.01"))
    _refused(InvoiceLine, line.pk, discount=Decimal("-0.01"))
    rate = TaxRateFactory()
    _refused(TaxRate, rate.pk, percentage=Decimal("100.0001"))
    _refused(TaxRate, rate.pk, percentage=Decimal("-1"))
    TaxRate.objects.filter(pk=rate.pk).update(percentage=Decimal(100))


def test_a_late_fee_out_of_range_is_refused(in_tenant: Tenant) -> None:
    row = SendingSettings.objects.create(tenant=in_tenant)
    _refused(SendingSettings, row.pk, late_fee_value=Decimal("-1"))
    _refused(SendingSettings, row.pk, late_fee_kind=LateFeeKind.PERCENT, late_fee_value=Decimal("100.5"))
    SendingSettings.objects.filter(pk=row.pk).update(late_fee_kind=LateFeeKind.FIXED, late_fee_value=500)


@pytest.mark.postgres
def test_the_immutability_trigger_guards_every_column_of_the_model_but_the_derived_ones(db: None) -> None:
    """A column added to Invoice must be frozen by invoices_invoice_guard (a new migration that
    replaces the function) or named here as derived: neither happens silently."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'invoices_invoice_guard'")
        (source,) = cursor.fetchone()
    # NEW.status is read by the back-to-draft check; every other NEW.<column> is in the frozen ROW().
    guarded = set(re.findall(r"\bNEW\.(\w+)", source)) - {"status"}
    columns = {field.column for field in Invoice._meta.concrete_fields}
    assert guarded <= columns, "the trigger names a column the model no longer has"
    assert columns - DERIVED_COLUMNS == guarded, "a column is neither frozen by the trigger nor derived"
