"""Serializers of the quote endpoints (api/views/quotes.py)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.fields import DecimalStringField, MoneyOutField
from api.serializers import ClientRefSerializer, LineWriteSerializer, ReadOnlyModelSerializer, public_id_field
from invoices.models import DiscountType
from quotes.models import BillingKind, OnAccept, Quote

MAX_LINES = 500


class QuoteLineSerializer(serializers.Serializer):
    description = serializers.CharField()
    quantity = serializers.CharField()
    unit = serializers.CharField()
    unit_price = serializers.CharField()
    discount = serializers.CharField()
    tax_rates = serializers.ListField(child=serializers.CharField())


class QuoteSerializer(ReadOnlyModelSerializer):
    client = ClientRefSerializer(read_only=True)
    contact = serializers.SerializerMethodField()
    lines = QuoteLineSerializer(many=True, read_only=True)
    subtotal = MoneyOutField()
    discount_amount = MoneyOutField()
    tax_total = MoneyOutField()
    total = MoneyOutField()
    invoices = serializers.SerializerMethodField()

    class Meta:
        model = Quote
        fields = (
            "id",
            "number",
            "status",
            "client",
            "contact",
            "currency",
            "issue_date",
            "valid_until",
            "lines",
            "discount_type",
            "subtotal",
            "discount_amount",
            "tax_total",
            "total",
            "on_accept",
            "notes",
            "terms",
            "sent_at",
            "accepted_at",
            "accepted_by_name",
            "declined_at",
            "decline_reason",
            "invoices",
        )
        read_only_fields = fields

    def get_contact(self, quote: Quote) -> str | None:
        return quote.contact.public_id if quote.contact is not None else None

    def get_invoices(self, quote: Quote) -> list[dict[str, Any]]:
        return [
            {"id": b.invoice.public_id, "kind": b.kind, "number": b.invoice.number}
            for b in quote.billings.select_related("invoice")
        ]


class QuoteWriteSerializer(serializers.Serializer):
    client = public_id_field()
    contact = public_id_field(required=False, allow_null=True)
    # drf-stubs leave out the max_length that many=True passes on to the ListSerializer.
    lines = LineWriteSerializer(many=True, max_length=MAX_LINES)  # type: ignore[call-arg]
    currency = serializers.CharField(max_length=3, required=False)
    issue_date = serializers.DateField(required=False)
    valid_until = serializers.DateField(required=False)
    discount_type = serializers.ChoiceField(choices=DiscountType.choices, required=False)
    discount_value = DecimalStringField(required=False)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    terms = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    on_accept = serializers.ChoiceField(choices=OnAccept.choices, required=False)
    deposit_percent = DecimalStringField(required=False, allow_null=True)


class QuoteUpdateSerializer(QuoteWriteSerializer):
    client = public_id_field(required=False)
    # drf-stubs leave out the max_length that many=True passes on to the ListSerializer.
    lines = LineWriteSerializer(many=True, max_length=MAX_LINES, required=False)  # type: ignore[call-arg]


class QuoteSendSerializer(serializers.Serializer):
    contacts = serializers.ListField(child=public_id_field(), required=False, max_length=20)


class QuoteInvoiceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=BillingKind.choices)
    percent = DecimalStringField(required=False, allow_null=True)
    amount = DecimalStringField(required=False, allow_null=True)
