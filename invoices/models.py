"""Clients, catalog, tax rates, invoices and their numbering, payments and timeline.

Every model here is tenant-owned. Models hold data and validation only; every write and
every status change goes through `invoices.services`.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, validate_email
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invoices.money import (
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
    PERCENT_DECIMAL_PLACES,
    PERCENT_MAX_DIGITS,
    QUANTITY_DECIMAL_PLACES,
    QUANTITY_MAX_DIGITS,
)
from tenants.models import new_public_id, validate_country, validate_currency, validate_locale
from tenants.scoping import TenantOwnedModel


def MoneyField(verbose_name: str | None = None, **kwargs: object) -> models.DecimalField:
    """A money column. The currency lives on the same row (or on its invoice)."""
    kwargs.setdefault("default", Decimal(0))
    return models.DecimalField(
        verbose_name, max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs
    )


def _client_id() -> str:
    return new_public_id("cli")


def _tax_rate_id() -> str:
    return new_public_id("tax")


def _catalog_item_id() -> str:
    return new_public_id("item")


def _invoice_id() -> str:
    return new_public_id("in")


def _payment_id() -> str:
    return new_public_id("pay")


def _refund_id() -> str:
    return new_public_id("ref")


def _dispute_id() -> str:
    return new_public_id("dsp")


def validate_email_list(value: object) -> None:
    # Own error codes: JSONField replaces the message of any "invalid" error with its own.
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Enter at least one email address."), code="no_email")
    for email in value:
        try:
            if not isinstance(email, str):
                raise ValidationError("not a string")
            validate_email(email)
        except ValidationError:
            raise ValidationError(
                _("%(value)s is not a valid email address."), code="bad_email", params={"value": email}
            ) from None


# --- clients -------------------------------------------------------------------------------


class Client(TenantOwnedModel):
    """Someone the tenant bills."""

    public_id = models.CharField(max_length=32, unique=True, default=_client_id, editable=False)
    name = models.CharField(_("name"), max_length=200)
    # One or more addresses; the first is the main contact. Stored as a JSON list.
    emails = models.JSONField(_("contact emails"), default=list, validators=[validate_email_list])
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address (line 2)"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region / state"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, validators=[validate_country])
    tax_id = models.CharField(_("tax / VAT id"), max_length=50, blank=True)
    currency = models.CharField(_("default currency"), max_length=3, validators=[validate_currency])
    language = models.CharField(_("language"), max_length=16, default="en", validators=[validate_locale])
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    notes = models.TextField(_("notes"), blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["tenant", "name"], name="client_tenant_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def primary_email(self) -> str:
        return self.emails[0] if self.emails else ""

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


# --- tax rates -----------------------------------------------------------------------------


class TaxCategory(models.TextChoices):
    """EN 16931 VAT category codes (UNCL5305 subset, BT-118)."""

    STANDARD = "S", _("Standard rate")
    ZERO_RATED = "Z", _("Zero rated")
    EXEMPT = "E", _("Exempt from tax")
    REVERSE_CHARGE = "AE", _("Reverse charge")
    INTRA_COMMUNITY = "K", _("Intra-community supply (VAT exempt)")
    EXPORT = "G", _("Export outside the EU (free export item)")
    OUTSIDE_SCOPE = "O", _("Outside the scope of tax")
    CANARY_ISLANDS = "L", _("Canary Islands general indirect tax")
    CEUTA_MELILLA = "M", _("Tax for Ceuta and Melilla")


# Categories whose invoices must state why no tax is charged (EN 16931 BR-E-10, BR-AE-10,
# BR-IC-10, BR-G-10, BR-O-10), and which therefore carry a 0 % rate.
CATEGORIES_NEEDING_REASON = frozenset(
    {
        TaxCategory.EXEMPT,
        TaxCategory.REVERSE_CHARGE,
        TaxCategory.INTRA_COMMUNITY,
        TaxCategory.EXPORT,
        TaxCategory.OUTSIDE_SCOPE,
    }
)
ZERO_PERCENT_CATEGORIES = CATEGORIES_NEEDING_REASON | {TaxCategory.ZERO_RATED}


class TaxRate(TenantOwnedModel):
    public_id = models.CharField(max_length=32, unique=True, default=_tax_rate_id, editable=False)
    name = models.CharField(_("name"), max_length=100)
    percentage = models.DecimalField(
        _("percentage"),
        max_digits=PERCENT_MAX_DIGITS,
        decimal_places=PERCENT_DECIMAL_PLACES,
        validators=[MinValueValidator(Decimal(0))],
    )
    inclusive = models.BooleanField(
        _("included in prices"), default=False, help_text=_("Prices already contain this tax.")
    )
    compound = models.BooleanField(
        _("compound"), default=False, help_text=_("Applied on top of the other taxes of the line.")
    )
    category = models.CharField(
        _("tax category"), max_length=2, choices=TaxCategory.choices, default=TaxCategory.STANDARD
    )
    exemption_reason = models.CharField(_("exemption reason"), max_length=300, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.percentage.normalize():f} %)"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.percentage is not None and self.percentage > 100:
            errors["percentage"] = _("The percentage cannot exceed 100.")
        if self.category in ZERO_PERCENT_CATEGORIES and self.percentage and self.percentage != 0:
            errors["percentage"] = _("This tax category always has a 0 % rate.")
        if self.category in CATEGORIES_NEEDING_REASON and not self.exemption_reason.strip():
            errors["exemption_reason"] = _("This tax category needs an exemption reason on the invoice.")
        if self.inclusive and self.compound:
            errors["compound"] = _("A compound tax cannot be included in prices.")
        if errors:
            raise ValidationError(errors)


# --- catalog -------------------------------------------------------------------------------


class CatalogItem(TenantOwnedModel):
    """A product or service the tenant sells often; the builder copies it into a line."""

    public_id = models.CharField(max_length=32, unique=True, default=_catalog_item_id, editable=False)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    unit = models.CharField(_("unit"), max_length=30, blank=True, help_text=_("hour, day, piece…"))
    unit_price = MoneyField(_("unit price"))
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    tax_rates = models.ManyToManyField(
        TaxRate, through="CatalogItemTaxRate", blank=True, related_name="+", verbose_name=_("default taxes")
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class CatalogItemTaxRate(TenantOwnedModel):
    catalog_item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="item_taxes")
    tax_rate = models.ForeignKey(TaxRate, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["catalog_item", "tax_rate"], name="catalog_item_tax_unique")
        ]


# --- numbering -----------------------------------------------------------------------------


class SeriesKind(models.TextChoices):
    INVOICE = "invoice", _("Invoices")
    CREDIT_NOTE = "credit_note", _("Credit notes")


class NumberReset(models.TextChoices):
    YEARLY = "yearly", _("Every year")
    NEVER = "never", _("Never")


NUMBER_TOKEN = re.compile(r"\{(YYYY|YY|MM|SEQ(?::0?([1-9]))?)\}")
NUMBER_LITERAL = re.compile(r"^[A-Za-z0-9\-_/.# ]*$")
DEFAULT_PATTERNS = {SeriesKind.INVOICE: "INV-{YYYY}-{SEQ:05}", SeriesKind.CREDIT_NOTE: "CN-{YYYY}-{SEQ:05}"}


def validate_number_pattern(pattern: str) -> None:
    """Tokens: {YYYY}, {YY}, {MM}, and exactly one {SEQ} or {SEQ:0N} (zero-padded to N)."""
    tokens = NUMBER_TOKEN.findall(pattern)
    if sum(1 for token, _width in tokens if token.startswith("SEQ")) != 1:
        raise ValidationError(_("The pattern needs exactly one {SEQ} (or {SEQ:05} for zero-padding)."))
    literal = NUMBER_TOKEN.sub("", pattern)
    if "{" in literal or "}" in literal:
        raise ValidationError(_("Unknown placeholder: use {YYYY}, {YY}, {MM} and {SEQ} or {SEQ:05}."))
    if not NUMBER_LITERAL.match(literal):
        raise ValidationError(_("Use letters, digits, spaces and - _ / . # around the placeholders."))


def render_number(pattern: str, *, sequence: int, on: date) -> str:
    def replace(match: re.Match[str]) -> str:
        placeholder, width = match.group(1), match.group(2)
        if placeholder == "YYYY":
            return f"{on.year:04d}"
        if placeholder == "YY":
            return f"{on.year % 100:02d}"
        if placeholder == "MM":
            return f"{on.month:02d}"
        return str(sequence).zfill(int(width) if width else 0)

    return NUMBER_TOKEN.sub(replace, pattern)


class NumberSeries(TenantOwnedModel):
    """How one tenant numbers one kind of document. Counters live in `NumberCounter`."""

    kind = models.CharField(max_length=16, choices=SeriesKind.choices)
    pattern = models.CharField(_("pattern"), max_length=40, validators=[validate_number_pattern])
    reset = models.CharField(_("restart numbering"), max_length=8, choices=NumberReset.choices)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "kind"], name="number_series_unique")]
        verbose_name_plural = "number series"

    def __str__(self) -> str:
        return f"{self.kind}: {self.pattern}"

    def clean(self) -> None:
        if self.reset == NumberReset.YEARLY and not re.search(r"\{YY(YY)?\}", self.pattern or ""):
            raise ValidationError(
                {"pattern": _("A yearly restart needs the year ({YYYY} or {YY}) in the pattern.")}
            )

    def period_for(self, on: date) -> str:
        return f"{on.year:04d}" if self.reset == NumberReset.YEARLY else ""


class NumberCounter(TenantOwnedModel):
    """The next sequence number of one series in one period ("2026", or "" when never reset).

    Finalization locks this row with SELECT … FOR UPDATE inside its transaction: a second
    finalizer waits until the first commits (and then reads the incremented value) or rolls
    back (and then reuses the number it had taken). Hence no gap and no duplicate.
    """

    series = models.ForeignKey(NumberSeries, on_delete=models.CASCADE, related_name="counters")
    period = models.CharField(max_length=8, blank=True)
    next_value = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "series", "period"], name="number_counter_unique")
        ]


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
    notes = models.TextField(_("notes"), blank=True)
    terms = models.TextField(_("terms"), blank=True)
    buyer_reference = models.CharField(_("PO / buyer reference"), max_length=100, blank=True)

    # Stored totals, written only by services from `invoices.calculation`.
    subtotal = MoneyField(_("subtotal"))
    discount_amount = MoneyField(_("discount"))
    tax_total = MoneyField(_("tax"))
    total = MoneyField(_("total"))
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
    updated_at = models.DateTimeField(default=timezone.now)
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
                name="invoice_number_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(number__isnull=False),
                name="invoice_finalized_has_number",
            ),
            models.CheckConstraint(
                condition=models.Q(balance_due__gte=0), name="invoice_balance_not_negative"
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
    description = models.TextField(_("description"))
    quantity = models.DecimalField(
        _("quantity"), max_digits=QUANTITY_MAX_DIGITS, decimal_places=QUANTITY_DECIMAL_PLACES
    )
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    unit_price = MoneyField(_("unit price"))
    discount = MoneyField(_("line discount"))
    # quantity x unit price - discount, rounded to the currency's minor unit.
    net_amount = MoneyField(_("amount"))
    metadata = models.JSONField(default=dict, blank=True)
    tax_rates = models.ManyToManyField(TaxRate, through="InvoiceLineTax", related_name="+")

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position_unique")
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
    taxable_base = MoneyField()
    tax_amount = MoneyField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]


# --- payments ------------------------------------------------------------------------------


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CASH = "cash", _("Cash")
    CHEQUE = "cheque", _("Cheque")
    CARD = "card", _("Card")
    OTHER = "other", _("Other")


class PaymentSource(models.TextChoices):
    MANUAL = "manual", _("Recorded by hand")
    STRIPE = "stripe", _("Stripe")


class Payment(TenantOwnedModel):
    """Money received for an invoice. Invoice paid amounts are derived from these rows."""

    public_id = models.CharField(max_length=32, unique=True, default=_payment_id, editable=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    paid_on = models.DateField(_("date"))
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    source = models.CharField(max_length=16, choices=PaymentSource.choices, default=PaymentSource.MANUAL)
    # The processor's id (Stripe PaymentIntent/Charge), unique so a replayed webhook adds nothing.
    external_id = models.CharField(max_length=255, null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-paid_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="payment_external_id_unique",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.paid_on}"


class RefundStatus(models.TextChoices):
    """Stripe's refund states. Pending and succeeded refunds count: the money is on its way back."""

    PENDING = "pending", _("Pending")
    REQUIRES_ACTION = "requires_action", _("Requires action")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELED = "canceled", _("Canceled")


# Refunds in these states are subtracted from the invoice's paid amount.
COUNTED_REFUND_STATUSES = (RefundStatus.PENDING, RefundStatus.REQUIRES_ACTION, RefundStatus.SUCCEEDED)


class Refund(TenantOwnedModel):
    """Money given back on a payment (full or partial). A row of its own, never a negative payment:
    the invoice's paid amount is Σ payments - Σ counted refunds - Σ lost disputes."""

    public_id = models.CharField(max_length=32, unique=True, default=_refund_id, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="refunds")
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    status = models.CharField(max_length=16, choices=RefundStatus.choices)
    reason = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=16, choices=PaymentSource.choices, default=PaymentSource.STRIPE)
    # Stripe's refund id (re_...): upserts by it make a replayed webhook a no-op.
    external_id = models.CharField(max_length=255, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="refund_external_id_unique",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount} {self.currency} ({self.status})"


class DisputeStatus(models.TextChoices):
    """Stripe's dispute states folded into three: still open, won (money back), lost (gone)."""

    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Dispute(TenantOwnedModel):
    """A chargeback on a payment.

    While open, the disputed amount is held by Stripe but still counts as paid: the outcome is
    undecided, and reopening the balance would send payment reminders to a client in the middle
    of a bank dispute. The invoice shows the held amount. Lost: the amount is subtracted from the
    paid amount (the balance reopens). Won: nothing changes, the hold is lifted.
    """

    public_id = models.CharField(max_length=32, unique=True, default=_dispute_id, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="disputes")
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    status = models.CharField(max_length=8, choices=DisputeStatus.choices)
    # Stripe's own status (needs_response, under_review, won, lost, ...) and reason.
    processor_status = models.CharField(max_length=32, blank=True)
    reason = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=16, choices=PaymentSource.choices, default=PaymentSource.STRIPE)
    external_id = models.CharField(max_length=255, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="dispute_external_id_unique",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="dispute_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"dispute {self.amount} {self.currency} ({self.status})"


# --- timeline ------------------------------------------------------------------------------


class EventVerb(models.TextChoices):
    CREATED = "created", _("created")
    EDITED = "edited", _("edited")
    FINALIZED = "finalized", _("finalized")
    SENT = "sent", _("sent")
    VIEWED = "viewed", _("viewed")
    PAYMENT_RECORDED = "payment_recorded", _("recorded a payment")
    PAID = "paid", _("paid")
    VOIDED = "voided", _("voided")
    CREDITED = "credited", _("credited")
    DUPLICATED = "duplicated", _("duplicated")
    MARKED_UNCOLLECTIBLE = "marked_uncollectible", _("marked uncollectible")
    PAYMENT_FAILED = "payment_failed", _("a payment attempt failed")
    REFUNDED = "refunded", _("refunded a payment")
    DISPUTED = "disputed", _("a payment was disputed")
    DISPUTE_WON = "dispute_won", _("won a dispute")
    DISPUTE_LOST = "dispute_lost", _("lost a dispute")
    # Email delivery (delivery/services.py): "sent" is the SMTP/API acceptance, these follow it.
    EMAIL_DELIVERED = "email_delivered", _("email delivered")
    EMAIL_BOUNCED = "email_bounced", _("email bounced")
    EMAIL_COMPLAINED = "email_complained", _("email marked as spam")
    EMAIL_FAILED = "email_failed", _("email could not be sent")
    REMINDER_SENT = "reminder_sent", _("sent a payment reminder")
    LATE_FEE = "late_fee", _("charged a late fee")


class InvoiceEvent(TenantOwnedModel):
    """One entry of an invoice's timeline: who did what, when."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verb = models.CharField(max_length=24, choices=EventVerb.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="invoice_event_recent")]

    def __str__(self) -> str:
        return f"{self.verb} {self.invoice_id}"
