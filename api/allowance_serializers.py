"""Allowances and charges in the API (EN 16931 BG-20/21 on the invoice, BG-27/28 on a line).

In: an amount, or a percentage with an optional base amount; a reason as text and/or a
UNTDID 5189 (allowance) / 7161 (charge) code; a document-level one names its tax rates (the
VAT category and rate it falls under), a line's takes its line's. The service checks all of
it and answers with the field's path (`allowances_charges.0.reason_code`,
`lines.2.allowances_charges.0.amount`). Out: the same, with the amount the engine computed.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import DecimalStringField, MoneyOutField, plain_decimal
from invoices import limits
from invoices.models import AllowanceCharge, Invoice
from invoices.models.allowances import REASON_MAX
from invoices.money import quantize_money
from invoices.services.allowances import document_rows

MAX_PER_LEVEL = 100


def public_id_list() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=32),
        required=False,
        max_length=limits.TAX_RATES_PER_LINE_MAX,
        help_text="Public ids of tax rates: on the invoice's own allowances and charges, the VAT "
        "category and rate they fall under (none: the untaxed lines); refused on a line's (they "
        "take the line's).",
    )


class AllowanceChargeWriteSerializer(serializers.Serializer):
    charge = serializers.BooleanField(
        required=False, default=False, help_text="true: a charge (surcharge); false: an allowance."
    )
    amount = DecimalStringField(required=False, allow_null=True, help_text="A fixed amount (BT-92/BT-99).")
    percentage = DecimalStringField(
        label_name="percentages",
        required=False,
        allow_null=True,
        help_text="Instead of an amount: a percentage (BT-94/BT-101) of `base_amount`.",
    )
    base_amount = DecimalStringField(
        required=False,
        allow_null=True,
        help_text="The base of the percentage (BT-93/BT-100); by default the line's amount, or the "
        "sum of the lines carrying the same tax rates.",
    )
    reason = serializers.CharField(max_length=REASON_MAX, required=False, allow_blank=True)
    reason_code = serializers.CharField(
        max_length=3,
        required=False,
        allow_blank=True,
        help_text="UNTDID 5189 for an allowance (95: discount), 7161 for a charge (FC: freight).",
    )
    tax_rates = public_id_list()


def allowances_charges_write() -> AllowanceChargeWriteSerializer:
    # drf-stubs leave out the max_length that many=True passes on to the ListSerializer.
    return AllowanceChargeWriteSerializer(many=True, max_length=MAX_PER_LEVEL, required=False)  # type: ignore[call-arg]


class AllowanceChargeSerializer(serializers.ModelSerializer):
    amount = MoneyOutField(currency_source="invoice.currency")
    percentage = serializers.SerializerMethodField()
    base_amount = serializers.SerializerMethodField()
    tax_rates = serializers.SerializerMethodField()

    class Meta:
        model = AllowanceCharge
        fields = ("charge", "amount", "percentage", "base_amount", "reason", "reason_code", "tax_rates")
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_percentage(self, row: AllowanceCharge) -> str | None:
        return None if row.percentage is None else plain_decimal(row.percentage)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_base_amount(self, row: AllowanceCharge) -> str | None:
        """The base the percentage applied to (as given, or the default one)."""
        if row.percentage is None:
            return None
        base = row.base_amount if row.base_amount is not None else row.computed_base
        return None if base is None else format(quantize_money(base, row.invoice.currency), "f")

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tax_rates(self, row: AllowanceCharge) -> list[str]:
        return [tax.tax_rate.public_id for tax in row.taxes.all()]


def allowances_charges_out(rows: list[AllowanceCharge]) -> list[dict]:
    # many=True makes a ListSerializer, whose data is a list; drf-stubs type the class's (a dict).
    return AllowanceChargeSerializer(rows, many=True).data  # type: ignore[return-value]


def _tax_inclusive(invoice: Invoice) -> Decimal:
    # BR-CO-16: amount due = tax-inclusive amount - prepaid amount + rounding amount.
    return invoice.amount_due + invoice.prepaid_amount - invoice.rounding_amount


DERIVED_TOTALS: dict[str, Callable[[Invoice], Decimal]] = {
    # BT-107, BT-108: the invoice's own allowances and charges (today's discount among them).
    "allowance_total": lambda invoice: invoice.discount_amount,
    "charge_total": lambda invoice: sum(
        (row.amount for row in document_rows(invoice) if row.charge), Decimal(0)
    ),
    "tax_exclusive_amount": lambda invoice: _tax_inclusive(invoice) - invoice.tax_total,  # BT-109
    "tax_inclusive_amount": _tax_inclusive,  # BT-112
}


@extend_schema_field(OpenApiTypes.STR)
class DerivedTotalField(serializers.Field):
    """An EN 16931 total derived from the stored ones (see `DERIVED_TOTALS`)."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        self.compute = DERIVED_TOTALS[name]
        kwargs.update(read_only=True, source="*")
        super().__init__(**kwargs)

    def to_representation(self, invoice: Invoice) -> str:
        return format(quantize_money(self.compute(invoice), invoice.currency), "f")
