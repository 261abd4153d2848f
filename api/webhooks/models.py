"""A tenant's webhook endpoints and the deliveries of its events to them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import UpdatedAtField
from tenants.models import new_public_id
from tenants.scoping import TenantOwnedModel


class EventType(models.TextChoices):
    INVOICE_CREATED = "invoice.created", _("Invoice created")
    INVOICE_FINALIZED = "invoice.finalized", _("Invoice finalized")
    INVOICE_SENT = "invoice.sent", _("Invoice sent")
    INVOICE_VIEWED = "invoice.viewed", _("Invoice viewed")
    INVOICE_PAID = "invoice.paid", _("Invoice paid")
    INVOICE_VOIDED = "invoice.voided", _("Invoice voided")
    DOCUMENT_READY = "document.ready", _("Document ready")
    QUOTE_SENT = "quote.sent", _("Quote sent")
    QUOTE_VIEWED = "quote.viewed", _("Quote viewed")
    QUOTE_ACCEPTED = "quote.accepted", _("Quote accepted")
    QUOTE_DECLINED = "quote.declined", _("Quote declined")
    QUOTE_EXPIRED = "quote.expired", _("Quote expired")
    QUOTE_CONVERTED = "quote.converted", _("Quote converted")


def _endpoint_public_id() -> str:
    return new_public_id("whe")


def _delivery_public_id() -> str:
    return new_public_id("whd")


class WebhookEndpoint(TenantOwnedModel):
    """Where a tenant wants its events POSTed.

    The secret signs every delivery. It is shown once, when the endpoint is created; it is
    kept in clear here because signing needs it (as Stripe's endpoint secrets are).
    """

    public_id = models.CharField(max_length=32, unique=True, default=_endpoint_public_id, editable=False)
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="Subscribed event types (EventType values).")
    secret = models.CharField(max_length=80)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.url

    def subscribes_to(self, event_type: str) -> bool:
        return event_type in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class WebhookDelivery(TenantOwnedModel):
    """One event for one endpoint: its payload, attempts and the last answer.

    Unique on (endpoint, event id): emitting an event twice inserts nothing the second time,
    so each event reaches each endpoint once (a replay re-sends the same event id).
    """

    public_id = models.CharField(max_length=32, unique=True, default=_delivery_public_id, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Retries stop here (a day after the event, or after a replay); then the delivery fails.
    retry_until = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response_body = models.TextField(blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = UpdatedAtField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhook_delivery_once_per_endpoint"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="webhook_delivery_recent"),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} → {self.endpoint_id}"
