"""Payments, refunds and disputes of an invoice."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import UpdatedAtField
from invoices.models.base import MoneyField, _dispute_id, _payment_id, _refund_id
from invoices.models.invoices import Invoice
from tenants.models import validate_currency
from tenants.scoping import TenantOwnedModel

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
    updated_at = UpdatedAtField()

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
    updated_at = UpdatedAtField()
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
