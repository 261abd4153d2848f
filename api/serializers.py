"""Shapes of the API's JSON. Serializers check types and shapes only; every rule about the data
(currencies, precision, tenancy of referenced ids, statuses) is the services' (invoices.services),
so the web pages and the API cannot disagree. Ids are public ids; integer keys never appear."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.utils import html

from api.allowance_serializers import (
    DERIVED_TOTALS,
    AllowanceChargeSerializer,
    DerivedTotalField,
    allowances_charges_out,
    allowances_charges_write,
)
from api.fields import (
    DecimalStringField,
    MoneyOutField,
    PlainDecimalOutField,
    PriceStringField,
)
from api.line_serializers import InvoiceLineSerializer
from invoices import limits
from invoices.models import (
    EINVOICE_FORMATS,
    CatalogItem,
    Client,
    DiscountType,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    InvoiceTaxTotal,
    Payment,
    PaymentMethod,
    TaxCategory,
    TaxRate,
)
from invoices.money import price_text
from invoices.services.allowances import document_rows


def public_id_field(**kwargs: Any) -> serializers.RegexField:
    return serializers.RegexField(r"^[A-Za-z0-9_\-]{1,40}$", max_length=40, **kwargs)


class ReadOnlyModelSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)

    def create(self, validated_data: dict[str, Any]) -> Any:  # pragma: no cover - services write
        raise NotImplementedError

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:  # pragma: no cover
        raise NotImplementedError


# --- clients ---------------------------------------------------------------------------------


class ClientSerializer(ReadOnlyModelSerializer):
    archived = serializers.BooleanField(source="is_archived", read_only=True)
    # Blank ("the PDF only") is a value too: not the model's choices' enum alone.
    einvoice_format = serializers.CharField(
        read_only=True, help_text="ubl, cii, xrechnung-ubl, xrechnung-cii, facturx, or blank (the PDF only)."
    )

    class Meta:
        model = Client
        fields = (
            "id",
            "name",
            "emails",
            "address_line1",
            "address_line2",
            "postal_code",
            "city",
            "region",
            "country",
            "tax_id",
            "currency",
            "language",
            "payment_terms_days",
            "notes",
            "peppol_scheme",
            "peppol_id",
            "einvoice_format",
            "facturx",
            "archived",
            "archived_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class ClientWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    emails = serializers.ListField(child=serializers.CharField(max_length=254), min_length=1, max_length=20)
    address_line1 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address_line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    tax_id = serializers.CharField(max_length=50, required=False, allow_blank=True)
    currency = serializers.CharField(max_length=3, required=False)
    language = serializers.CharField(max_length=16, required=False)
    payment_terms_days = serializers.IntegerField(min_value=0, max_value=365, required=False)
    notes = serializers.CharField(max_length=limits.CLIENT_NOTES_MAX, required=False, allow_blank=True)
    peppol_scheme = serializers.CharField(
        max_length=4, required=False, allow_blank=True, help_text="EAS code: 0088 GLN, 9930 German VAT, …"
    )
    peppol_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    einvoice_format = serializers.ChoiceField(
        choices=[code for code, _label in EINVOICE_FORMATS],
        required=False,
        allow_blank=True,
        help_text="The e-invoice attached to invoice emails; blank for the PDF only.",
    )
    facturx = serializers.BooleanField(
        required=False, allow_null=True, help_text="Factur-X PDF for this client; null follows the workspace."
    )


# --- tax rates -------------------------------------------------------------------------------


class TaxRateSerializer(ReadOnlyModelSerializer):
    percentage = PlainDecimalOutField()

    class Meta:
        model = TaxRate
        fields = (
            "id",
            "name",
            "percentage",
            "inclusive",
            "compound",
            "category",
            "exemption_reason",
            "exemption_code",
            "archived_at",
            "created_at",
        )
        read_only_fields = fields


class TaxRateWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    percentage = DecimalStringField(label_name="percentages")
    inclusive = serializers.BooleanField(required=False)
    compound = serializers.BooleanField(required=False)
    category = serializers.ChoiceField(choices=TaxCategory.choices, required=False)
    exemption_reason = serializers.CharField(max_length=300, required=False, allow_blank=True)
    exemption_code = serializers.CharField(max_length=30, required=False, allow_blank=True)


# --- catalog ---------------------------------------------------------------------------------


class CatalogItemSerializer(ReadOnlyModelSerializer):
    unit_price = MoneyOutField()
    tax_rates = serializers.SerializerMethodField()

    class Meta:
        model = CatalogItem
        fields = (
            "id",
            "name",
            "description",
            "unit",
            "unit_price",
            "currency",
            "tax_rates",
            "archived_at",
            "created_at",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tax_rates(self, item: CatalogItem) -> list[str]:
        return [link.tax_rate.public_id for link in item.item_taxes.all()]


class CatalogItemWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    unit_price = DecimalStringField()
    currency = serializers.CharField(max_length=3, required=False)
    description = serializers.CharField(
        max_length=limits.CATALOG_DESCRIPTION_MAX, required=False, allow_blank=True
    )
    unit = serializers.CharField(max_length=limits.UNIT_MAX, required=False, allow_blank=True)
    tax_rates = serializers.ListField(
        child=public_id_field(), required=False, max_length=limits.TAX_RATES_PER_LINE_MAX
    )


# --- invoices --------------------------------------------------------------------------------


class ClientRefSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id", read_only=True)
    name = serializers.CharField(read_only=True)


class InvoiceTaxTotalSerializer(serializers.ModelSerializer):
    tax_rate = serializers.SerializerMethodField()
    percentage = PlainDecimalOutField()
    taxable_base = MoneyOutField(currency_source="invoice.currency")
    tax_amount = MoneyOutField(currency_source="invoice.currency")

    class Meta:
        model = InvoiceTaxTotal
        fields = (
            "tax_rate",
            "name",
            "percentage",
            "inclusive",
            "compound",
            "category",
            "exemption_reason",
            "exemption_code",
            "taxable_base",
            "tax_amount",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_tax_rate(self, total: InvoiceTaxTotal) -> str | None:
        return total.tax_rate.public_id if total.tax_rate else None


class InvoiceSummarySerializer(ReadOnlyModelSerializer):
    """An invoice in a list: no lines (one query per page, whatever its size)."""

    client = ClientRefSerializer(read_only=True)
    overdue = serializers.SerializerMethodField()
    credit_note_for = serializers.SerializerMethodField()
    subtotal = MoneyOutField()
    discount_amount = MoneyOutField()
    tax_total = MoneyOutField()
    total = MoneyOutField()
    prepaid_amount = MoneyOutField()
    rounding_amount = MoneyOutField()
    amount_due = MoneyOutField()
    amount_paid = MoneyOutField()
    amount_credited = MoneyOutField()
    balance_due = MoneyOutField()

    class Meta:
        model = Invoice
        fields: tuple[str, ...] = (
            "id",
            "kind",
            "number",
            "status",
            "overdue",
            "client",
            "credit_note_for",
            "currency",
            "issue_date",
            "due_date",
            "subtotal",
            "discount_amount",
            "tax_total",
            "total",
            "prepaid_amount",
            "rounding_amount",
            "amount_due",
            "amount_paid",
            "amount_credited",
            "balance_due",
            "buyer_reference",
            "created_at",
            "updated_at",
            "finalized_at",
            "paid_at",
            "voided_at",
        )
        read_only_fields: tuple[str, ...] = fields

    def get_overdue(self, invoice: Invoice) -> bool:
        return invoice.is_overdue(self.context.get("today"))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_credit_note_for(self, invoice: Invoice) -> str | None:
        original = invoice.credit_note_for
        return original.public_id if original is not None else None


class InvoiceSerializer(InvoiceSummarySerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)
    tax_totals = InvoiceTaxTotalSerializer(many=True, read_only=True)
    discount_value = serializers.SerializerMethodField()
    cash_rounding = serializers.SerializerMethodField()
    allowances_charges = serializers.SerializerMethodField()
    allowance_total = DerivedTotalField("allowance_total")
    charge_total = DerivedTotalField("charge_total")
    tax_exclusive_amount = DerivedTotalField("tax_exclusive_amount")
    tax_inclusive_amount = DerivedTotalField("tax_inclusive_amount")

    class Meta(InvoiceSummarySerializer.Meta):
        fields = (
            *InvoiceSummarySerializer.Meta.fields,
            *DERIVED_TOTALS,
            "discount_type",
            "discount_value",
            "cash_rounding",
            "contract_reference",
            "project_reference",
            "order_reference",
            "period_start",
            "period_end",
            "notes",
            "terms",
            "allowances_charges",
            "lines",
            "tax_totals",
        )
        read_only_fields = fields

    @extend_schema_field(AllowanceChargeSerializer(many=True))
    def get_allowances_charges(self, invoice: Invoice) -> list[dict]:
        """The invoice's own (document-level) allowances and charges."""
        return allowances_charges_out(document_rows(invoice))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_cash_rounding(self, invoice: Invoice) -> str | None:
        return None if invoice.cash_rounding is None else price_text(invoice.cash_rounding, invoice.currency)

    def get_discount_value(self, invoice: Invoice) -> str:
        from api.fields import plain_decimal

        return plain_decimal(invoice.discount_value)


class LineWriteSerializer(serializers.Serializer):
    # A line as posted (no docstring: it would become the OpenAPI description). An invoice has
    # up to 5,000, each usually giving 4 of these 13 fields: DRF's walk skips an absent optional
    # field only after validating "nothing" for it (a SkipField raised), so those are left out
    # of the walk first. Same result, same errors: a required field, or one with a default, is
    # always walked (api/tests/test_line_serializer.py).
    _given: Mapping[str, Any] | None = None

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping) and not html.is_html_input(data):
            self._given = data
        try:
            return super().to_internal_value(data)
        finally:
            self._given = None

    @property
    def _writable_fields(self) -> list[serializers.Field]:
        given = self._given
        return [
            field
            for field in super()._writable_fields
            if given is None or field.field_name in given or field.required or field.default is not empty
        ]

    description = serializers.CharField(max_length=limits.LINE_DESCRIPTION_MAX)
    quantity = DecimalStringField(label_name="quantities")
    unit_price = PriceStringField()
    unit = serializers.CharField(max_length=limits.UNIT_MAX, required=False, allow_blank=True)
    unit_code = serializers.CharField(max_length=3, required=False, allow_blank=True)
    base_quantity = DecimalStringField(label_name="quantities", required=False)
    gross_price = PriceStringField(required=False, allow_null=True)
    period_start = serializers.DateField(required=False, allow_null=True)
    period_end = serializers.DateField(required=False, allow_null=True)
    discount = DecimalStringField(required=False)
    tax_rates = serializers.ListField(
        child=public_id_field(), required=False, max_length=limits.TAX_RATES_PER_LINE_MAX
    )
    catalog_item = public_id_field(required=False, allow_null=True)
    metadata = serializers.DictField(required=False)
    allowances_charges = allowances_charges_write()


def line_list(**kwargs: Any) -> serializers.BaseSerializer:
    """`LineWriteSerializer(many=True, max_length=MAX_LINES, **kwargs)`, which calls this; the
    stubs know no `max_length` on a serializer made with many=True."""
    return LineWriteSerializer.many_init(max_length=limits.MAX_LINES, **kwargs)


class InvoiceWriteSerializer(serializers.Serializer):
    client: serializers.Field = public_id_field()  # api.generate's takes a new client too
    lines = line_list()
    currency = serializers.CharField(max_length=3, required=False)
    issue_date = serializers.DateField(required=False)
    due_date = serializers.DateField(required=False)
    discount_type = serializers.ChoiceField(choices=DiscountType.choices, required=False)
    discount_value = DecimalStringField(
        required=False,
        help_text="The older invoice-wide discount, spread over the tax rates in proportion to their "
        "lines; `allowances_charges` states each allowance with its own tax rate and reason.",
    )
    notes = serializers.CharField(max_length=limits.NOTES_MAX, required=False, allow_blank=True)
    terms = serializers.CharField(max_length=limits.TERMS_MAX, required=False, allow_blank=True)
    buyer_reference = serializers.CharField(
        max_length=limits.BUYER_REFERENCE_MAX, required=False, allow_blank=True
    )
    contract_reference = serializers.CharField(
        max_length=limits.REFERENCE_MAX, required=False, allow_blank=True
    )
    project_reference = serializers.CharField(
        max_length=limits.REFERENCE_MAX, required=False, allow_blank=True
    )
    order_reference = serializers.CharField(max_length=limits.REFERENCE_MAX, required=False, allow_blank=True)
    period_start = serializers.DateField(required=False, allow_null=True)
    period_end = serializers.DateField(required=False, allow_null=True)
    prepaid_amount = DecimalStringField(required=False)
    cash_rounding = DecimalStringField(required=False, allow_null=True)
    allowances_charges = allowances_charges_write()


class InvoiceUpdateSerializer(InvoiceWriteSerializer):
    client = public_id_field(required=False)
    lines = line_list(required=False)


class InvoiceListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[*InvoiceStatus.values, "overdue"], required=False)
    overdue = serializers.BooleanField(required=False)
    client = public_id_field(required=False)
    kind = serializers.ChoiceField(choices=[*InvoiceKind.values, "all"], required=False, default="invoice")
    issue_date_from = serializers.DateField(required=False)
    issue_date_to = serializers.DateField(required=False)
    search = serializers.CharField(max_length=100, required=False, allow_blank=True)


class VoidSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=limits.VOID_REASON_MAX, required=False, allow_blank=True)


class CreditNoteWriteSerializer(serializers.Serializer):
    lines = line_list(required=False)
    reason = serializers.CharField(max_length=limits.CREDIT_REASON_MAX, required=False, allow_blank=True)
    issue_date = serializers.DateField(required=False)
    currency = serializers.CharField(max_length=3, required=False)


# --- payments --------------------------------------------------------------------------------


class PaymentSerializer(ReadOnlyModelSerializer):
    amount = MoneyOutField()
    invoice = serializers.CharField(source="invoice.public_id", read_only=True)

    class Meta:
        model = Payment
        fields = (
            "id",
            "invoice",
            "amount",
            "currency",
            "paid_on",
            "method",
            "reference",
            "source",
            "created_at",
        )
        read_only_fields = fields


class PaymentWriteSerializer(serializers.Serializer):
    amount = DecimalStringField()
    currency = serializers.CharField(max_length=3, required=False)
    paid_on = serializers.DateField(required=False)
    method = serializers.ChoiceField(choices=PaymentMethod.choices, required=False)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True)


# --- API keys --------------------------------------------------------------------------------
