"""An invoice's timeline: who did what, when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invoices.models.invoices import Invoice
from tenants.scoping import TenantOwnedModel

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
