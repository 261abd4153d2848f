"""Invoices and credit notes, their lines and their tax totals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import UpdatedAtField
from invoices import limits
from invoices.models.base import MoneyField, _invoice_id
from invoices.models.catalog import CatalogItem, Client, TaxCategory, TaxRate
from invoices.money import (
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
    MONEY_MAX_WHOLE_DIGITS,
    PERCENT_DECIMAL_PLACES,
    PERCENT_MAX_DIGITS,
    QUANTITY_DECIMAL_PLACES,
    QUANTITY_MAX_DIGITS,
    UNIT_PRICE_DECIMAL_PLACES,
)
from tenants.models import validate_currency
from tenants.scoping import TenantOwnedModel

# --- invoices ------------------------------------------------------------------------------


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")
    UNCOLLECTIBLE = "uncollectible", _("Uncollectible")


# Finalized, not settled: what "outstanding" and "overdue" are made of.
UNPAID_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)
# The constraint that keeps a number once per workspace and kind; the finalizing service tells a
# taken number by this name (core.db.violated_constraint).
NUMBER_UNIQUE = "invoice_number_unique"


class DiscountType(models.TextChoices):
    AMOUNT = "amount", _("Amount")
    PERCENT = "percent", _("Percentage")


class Invoice(TenantOwnedModel):
    """An invoice or a credit note. Immutable once finalized (see services and migration 0002)."""

    public_id = models.CharField(max_length=32, unique=True, default=_invoice_id, editable=False)
    kind = models.CharField(max_length=16, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    credit_note_for = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="invoices")
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)

    # Null until finalization; then "INV-2026-00042", unique per tenant and kind.
    number = models.CharField(_("number"), max_length=64, null=True, blank=True)
    sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    number_period = models.CharField(max_length=8, blank=True, editable=False)

    discount_type = models.CharField(max_length=8, choices=DiscountType.choices, default=DiscountType.AMOUNT)
    # What the user entered: an amount in the invoice currency, or a percentage.
    discount_value = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, default=Decimal(0)
    )
    notes = models.TextField(_("notes"), blank=True, max_length=limits.NOTES_MAX)
    terms = models.TextField(_("terms"), blank=True, max_length=limits.TERMS_MAX)
    buyer_reference = models.CharField(
        _("PO / buyer reference"), max_length=limits.BUYER_REFERENCE_MAX, blank=True
    )
    # EN 16931 references (BT-12, BT-11, BT-13) and the invoicing period (BG-14).
    contract_reference = models.CharField(
        _("contract reference"), max_length=limits.REFERENCE_MAX, blank=True
    )
    project_reference = models.CharField(_("project reference"), max_length=limits.REFERENCE_MAX, blank=True)
    order_reference = models.CharField(_("order reference"), max_length=limits.REFERENCE_MAX, blank=True)
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    # Paid before this invoice (BT-113), as entered; and the step the amount due is rounded to
    # in cash (CHF 0.05, 1 HUF), if the seller chose one.
    prepaid_amount = MoneyField(_("prepaid amount"))
    cash_rounding = models.DecimalField(
        _("cash rounding"),
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        null=True,
        blank=True,
    )

    # Stored totals, written only by services from `invoices.calculation`.
    subtotal = MoneyField(_("subtotal"))
    discount_amount = MoneyField(_("discount"))
    tax_total = MoneyField(_("tax"))
    total = MoneyField(_("total"))
    rounding_amount = MoneyField(_("rounding"))  # BT-114
    amount_due = MoneyField(_("amount due"))  # BT-115 = total - prepaid (+ cash rounding)
    # Derived from payments and credit notes by services.invoice_recompute_status.
    amount_paid = MoneyField(_("amount paid"))
    amount_credited = MoneyField(_("amount credited"))
    balance_due = MoneyField(_("balance due"))

    # Bumped by every change; rendered files (PDF) are keyed on it.
    content_version = models.PositiveIntegerField(default=1)
    seller_snapshot = models.JSONField(default=dict, blank=True)
    client_snapshot = models.JSONField(default=dict, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = UpdatedAtField()
    finalized_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    marked_uncollectible_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issue_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "number"],
                condition=models.Q(number__isnull=False),
                name=NUMBER_UNIQUE,
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(number__isnull=False),
                name="invoice_finalized_has_number",
            ),
            models.CheckConstraint(
                condition=models.Q(balance_due__gte=0), name="invoice_balance_not_negative"
            ),
            # The rules the services enforce (invoices/services), held by the database too.
            models.CheckConstraint(
                condition=models.Q(due_date__gte=models.F("issue_date")), name="invoice_due_on_or_after_issue"
            ),
            models.CheckConstraint(
                condition=models.Q(discount_value__gte=0), name="invoice_discount_not_negative"
            ),
            models.CheckConstraint(
                condition=~models.Q(discount_type=DiscountType.PERCENT) | models.Q(discount_value__lte=100),
                name="invoice_percent_discount_at_most_100",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "due_date"], name="invoice_tenant_status_due"),
            models.Index(fields=["tenant", "-issue_date", "-id"], name="invoice_tenant_issued"),
            models.Index(fields=["tenant", "client", "status"], name="invoice_tenant_client"),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft {self.public_id}"

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    def is_overdue(self, today: date | None = None) -> bool:
        """Derived, never stored: finalized, unpaid, and past its due date."""
        today = today or timezone.localdate()
        return (
            self.kind == InvoiceKind.INVOICE
            and self.status in UNPAID_STATUSES
            and self.balance_due > 0
            and self.due_date < today
        )

    @property
    def display_status(self) -> str:
        return "overdue" if self.is_overdue() else self.status


class InvoiceLine(TenantOwnedModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    catalog_item = models.ForeignKey(
        CatalogItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = models.TextField(_("description"), max_length=limits.LINE_DESCRIPTION_MAX)
    quantity = models.DecimalField(
        _("quantity"), max_digits=QUANTITY_MAX_DIGITS, decimal_places=QUANTITY_DECIMAL_PLACES
    )
    unit = models.CharField(_("unit"), max_length=limits.UNIT_MAX, blank=True)
    unit_code = models.CharField(_("unit code"), max_length=3, blank=True)  # BT-130, UN/ECE Rec 20/21
    # The net price (BT-146), finer than the currency if need be (0.00880 EUR per kWh), per
    # `base_quantity` units (BT-149); `gross_price` (BT-148) before the price discount.
    unit_price = models.DecimalField(
        _("unit price"),
        max_digits=MONEY_MAX_WHOLE_DIGITS + UNIT_PRICE_DECIMAL_PLACES,
        decimal_places=UNIT_PRICE_DECIMAL_PLACES,
        default=Decimal(0),
    )
    base_quantity = models.DecimalField(
        _("price base quantity"),
        max_digits=QUANTITY_MAX_DIGITS,
        decimal_places=QUANTITY_DECIMAL_PLACES,
        default=Decimal(1),
    )
    gross_price = models.DecimalField(
        _("gross price"),
        max_digits=MONEY_MAX_WHOLE_DIGITS + UNIT_PRICE_DECIMAL_PLACES,
        decimal_places=UNIT_PRICE_DECIMAL_PLACES,
        null=True,
        blank=True,
    )
    period_start = models.DateField(_("period start"), null=True, blank=True)  # BG-26
    period_end = models.DateField(_("period end"), null=True, blank=True)
    discount = MoneyField(_("line discount"))
    # quantity x unit price - discount, rounded to the currency's minor unit.
    net_amount = MoneyField(_("amount"))
    metadata = models.JSONField(default=dict, blank=True)
    tax_rates = models.ManyToManyField(TaxRate, through="InvoiceLineTax", related_name="+")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position_unique"),
            # A net unit price is never negative (EN 16931 BR-27), nor is a line's discount.
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="invoice_line_unit_price_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(discount__gte=0), name="invoice_line_discount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.description[:50]


class InvoiceLineTax(TenantOwnedModel):
    line = models.ForeignKey(InvoiceLine, on_delete=models.CASCADE, related_name="line_taxes")
    tax_rate = models.ForeignKey(TaxRate, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["line", "tax_rate"], name="invoice_line_tax_unique")]


class InvoiceTaxTotal(TenantOwnedModel):
    """Tax per rate (EN 16931 BG-23), with the rate as it was when computed."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="tax_totals")
    tax_rate = models.ForeignKey(TaxRate, null=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=100)
    percentage = models.DecimalField(max_digits=PERCENT_MAX_DIGITS, decimal_places=PERCENT_DECIMAL_PLACES)
    inclusive = models.BooleanField(default=False)
    compound = models.BooleanField(default=False)
    category = models.CharField(max_length=2, choices=TaxCategory.choices)
    exemption_reason = models.CharField(max_length=300, blank=True)
    exemption_code = models.CharField(max_length=30, blank=True)  # BT-121, CEF VATEX
    taxable_base = MoneyField()
    tax_amount = MoneyField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
