"""Quotes (estimates): what a job will cost, before it is invoiced.

A quote is built like an invoice (the same lines, taxes and money engine, `invoices.services`)
and numbered from its own gapless series (`invoices` numbering, kind "quote"). Its lines are
stored as entered (a JSON list the invoice services parse again), and its totals as the engine
computed them. Statuses: draft → sent → accepted / declined / expired, and accepted →
converted once it is fully invoiced. Every status change goes through `quotes.services`.

The client opens it at `/q/<token>`: only the sha256 of the token is stored, and the public
request finds the quote's tenant through the lookup door `lookup_door_public_quote`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import UpdatedAtField
from invoices.models import DiscountType, MoneyField
from invoices.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, PERCENT_DECIMAL_PLACES, PERCENT_MAX_DIGITS
from tenants.models import new_public_id, validate_currency
from tenants.scoping import TenantOwnedModel


def _quote_id() -> str:
    return new_public_id("quo")


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    CONVERTED = "converted", _("Converted")


# A client may answer a quote in these statuses (an expired quote is answered no more).
OPEN_STATUSES = (QuoteStatus.SENT,)
# What may be invoiced from.
BILLABLE_STATUSES = (QuoteStatus.ACCEPTED,)


class OnAccept(models.TextChoices):
    NOTHING = "nothing", _("Nothing: I will invoice it myself")
    INVOICE = "invoice", _("A draft invoice for the whole quote")
    DEPOSIT = "deposit", _("A draft deposit invoice")


class Quote(TenantOwnedModel):
    public_id = models.CharField(max_length=32, unique=True, default=_quote_id, editable=False)
    client = models.ForeignKey("invoices.Client", on_delete=models.PROTECT, related_name="quotes")
    # Whom it is addressed to (and whose name the email greets); null: the client's primary.
    contact = models.ForeignKey(
        "invoices.ClientContact", null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    issue_date = models.DateField(_("date"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(max_length=16, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)

    # Null until sent; then "QUO-2026-00007", from the quote series.
    number = models.CharField(_("number"), max_length=64, null=True, blank=True)
    sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    number_period = models.CharField(max_length=8, blank=True, editable=False)

    # The lines as entered: [{"description", "quantity", "unit", "unit_price", "discount",
    # "tax_rates": [public ids]}], decimals as strings.
    lines = models.JSONField(default=list, blank=True)
    discount_type = models.CharField(max_length=8, choices=DiscountType.choices, default=DiscountType.AMOUNT)
    discount_value = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, default=Decimal(0)
    )
    notes = models.TextField(_("notes"), blank=True)
    terms = models.TextField(_("terms"), blank=True)
    # What the client's acceptance makes at once.
    on_accept = models.CharField(
        _("when the client accepts"), max_length=8, choices=OnAccept.choices, default=OnAccept.NOTHING
    )
    deposit_percent = models.DecimalField(
        _("deposit (%)"),
        max_digits=PERCENT_MAX_DIGITS,
        decimal_places=PERCENT_DECIMAL_PLACES,
        null=True,
        blank=True,
    )

    # Written only by services, from the money engine.
    subtotal = MoneyField(_("subtotal"))
    discount_amount = MoneyField(_("discount"))
    tax_total = MoneyField(_("tax"))
    total = MoneyField(_("total"))
    # [{"name", "percentage", "taxable_base", "tax_amount"}] as computed, for the document.
    tax_breakdown = models.JSONField(default=list, blank=True)

    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by_name = models.CharField(max_length=200, blank=True)
    accepted_ip = models.GenericIPAddressField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)
    content_version = models.PositiveIntegerField(default=1)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = UpdatedAtField()

    class Meta:
        ordering = ["-issue_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "number"],
                condition=models.Q(number__isnull=False),
                name="quote_number_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(number__isnull=False),
                name="quote_sent_has_number",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("issue_date")), name="quote_valid_after_issue"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "valid_until"], name="quote_tenant_status_valid"),
            models.Index(fields=["tenant", "client", "status"], name="quote_tenant_client"),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft quote {self.public_id}"

    @property
    def is_draft(self) -> bool:
        return self.status == QuoteStatus.DRAFT


class QuoteEventVerb(models.TextChoices):
    CREATED = "created", _("created")
    EDITED = "edited", _("edited")
    SENT = "sent", _("sent")
    VIEWED = "viewed", _("viewed")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    EXPIRED = "expired", _("expired")
    INVOICED = "invoiced", _("invoiced")
    CONVERTED = "converted", _("converted")


class QuoteEvent(TenantOwnedModel):
    """One entry of a quote's timeline. Acceptance keeps the typed name, the time and the IP."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verb = models.CharField(max_length=16, choices=QuoteEventVerb.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.verb} {self.quote_id}"


class BillingKind(models.TextChoices):
    FULL = "full", _("Invoice")
    DEPOSIT = "deposit", _("Deposit invoice")
    PROGRESS = "progress", _("Progress invoice")
    FINAL = "final", _("Final invoice")


class QuoteInvoice(TenantOwnedModel):
    """An invoice made from a quote: which kind, and the net amount it bills of the quote.

    The final invoice deducts every earlier one of the same quote (that is not void); each
    document shows the others (`quotes.selectors.quote_billing`).
    """

    quote = models.ForeignKey(Quote, on_delete=models.PROTECT, related_name="billings")
    invoice = models.OneToOneField("invoices.Invoice", on_delete=models.CASCADE, related_name="quote_billing")
    kind = models.CharField(max_length=16, choices=BillingKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # One final (or full) invoice per quote.
            models.UniqueConstraint(
                fields=["quote"],
                condition=models.Q(kind__in=["full", "final"]),
                name="quote_one_closing_invoice",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.quote_id}"
