"""An invoice's lines in the API's answers (`InvoiceSerializer.lines`).

An invoice has up to 5,000 lines (`invoices.limits.MAX_LINES`) and every create, update and
finalize answers with all of them, so a line is turned into JSON by one function rather than
by DRF's field-by-field walk (which, with a nested serializer built for each line's allowances
and charges, took more than twice as long). The fields declared below still describe the
output (the OpenAPI schema), and `api/tests/test_line_serializer.py` holds the fast path to
what DRF's own walk (`ModelSerializer.to_representation`) gives.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.allowance_serializers import AllowanceChargeSerializer
from api.fields import MoneyOutField, PlainDecimalOutField, PriceOutField, plain_decimal
from invoices.models import InvoiceLine
from invoices.money import price_text, quantize_money
from invoices.services.allowances import line_rows


class InvoiceLineSerializer(serializers.ModelSerializer):
    unit_price = PriceOutField(currency_source="invoice.currency")
    gross_price = PriceOutField(currency_source="invoice.currency")
    base_quantity = PlainDecimalOutField()
    discount = MoneyOutField(currency_source="invoice.currency")
    net_amount = MoneyOutField(currency_source="invoice.currency")
    quantity = PlainDecimalOutField()
    tax_rates = serializers.SerializerMethodField()
    catalog_item = serializers.SerializerMethodField()
    allowances_charges = serializers.SerializerMethodField()

    class Meta:
        model = InvoiceLine
        fields = (
            "description",
            "quantity",
            "unit",
            "unit_code",
            "unit_price",
            "base_quantity",
            "gross_price",
            "discount",
            "net_amount",
            "tax_rates",
            "catalog_item",
            "metadata",
            "period_start",
            "period_end",
            "allowances_charges",
        )
        read_only_fields = fields

    def to_representation(self, line: InvoiceLine) -> dict[str, Any]:
        currency = line.invoice.currency
        return {
            "description": line.description,
            "quantity": plain_decimal(line.quantity),
            "unit": line.unit,
            "unit_code": line.unit_code,
            "unit_price": None if line.unit_price is None else price_text(line.unit_price, currency),
            "base_quantity": None if line.base_quantity is None else plain_decimal(line.base_quantity),
            "gross_price": None if line.gross_price is None else price_text(line.gross_price, currency),
            "discount": format(quantize_money(line.discount, currency), "f"),
            "net_amount": format(quantize_money(line.net_amount, currency), "f"),
            "tax_rates": self.get_tax_rates(line),
            "catalog_item": self.get_catalog_item(line),
            "metadata": line.metadata,
            "period_start": None if line.period_start is None else line.period_start.isoformat(),
            "period_end": None if line.period_end is None else line.period_end.isoformat(),
            "allowances_charges": self.get_allowances_charges(line),
        }

    @extend_schema_field(AllowanceChargeSerializer(many=True))
    def get_allowances_charges(self, line: InvoiceLine) -> list[dict]:
        rows = line_rows(line)
        if not rows:
            return []  # most lines have none: no serializer built for them
        # One row serializer for all the lines (building one costs more than using it).
        child = self.__dict__.get("_row_serializer")
        if child is None:
            child = self.__dict__["_row_serializer"] = AllowanceChargeSerializer()
        return [child.to_representation(row) for row in rows]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tax_rates(self, line: InvoiceLine) -> list[str]:
        return [tax.tax_rate.public_id for tax in line.line_taxes.all()]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_catalog_item(self, line: InvoiceLine) -> str | None:
        return line.catalog_item.public_id if line.catalog_item else None
