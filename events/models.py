"""The transactional outbox: what happened, written in the same transaction as the change.

A lower app (the invoicing domain, documents) records an `OutboxEvent` beside the change it
announces, so the two commit or roll back together: no event for a change that never
happened, no change whose event is lost. The apps above subscribe (`events.registry`), and
each subscriber's handling of each event is one `OutboxDelivery` row, unique per (event,
subscriber): pending until that subscriber's handler has committed, retried if it fails, and
never handled twice (see `events.services`). The idea is Sentry's outboxes, kept small.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.scoping import TenantOwnedModel


class OutboxEvent(TenantOwnedModel):
    """One thing that happened in a workspace: a topic ("invoice.finalized") and its payload."""

    topic = models.CharField(max_length=64)
    # Ids and the figures subscribers need, as they were at the change (JSON, no model rows).
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        # The sweep deletes a workspace's handled events once they are old (events.services).
        indexes = [models.Index(fields=["tenant", "created_at"], name="outbox_event_created")]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("pending")
    DONE = "done", _("done")
    # Gave up after the last attempt; kept with its error for a person to look at.
    FAILED = "failed", _("failed")


class OutboxDelivery(TenantOwnedModel):
    """One subscriber's handling of one event."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    # The subscriber's registered name (events.registry): stable, since rows outlive deploys.
    subscriber = models.CharField(max_length=100)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            # Each subscriber gets each event once: the dispatcher's claim relies on this row.
            models.UniqueConstraint(
                fields=["event", "subscriber"], name="outbox_delivery_once_per_subscriber"
            )
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="outbox_delivery_due")]

    def __str__(self) -> str:
        return f"{self.subscriber} ← event {self.event_id} ({self.state})"
