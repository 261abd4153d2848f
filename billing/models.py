from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone


class StripeEvent(models.Model):
    """One Stripe event, stored under Stripe's unique id before it is processed.

    Platform-level, not tenant-owned: an event arrives before anyone knows which tenant it
    concerns (its handler resolves that from the connected account or the object's metadata).
    The unique `stripe_id` is what makes a repeated delivery a no-op.

    There is no committed "processing" state: a worker claims a row by locking it
    (`select_for_update(skip_locked=True)`) for the length of its transaction, so a worker that
    dies leaves the row as it was (received or failed) for the retry, never stuck half-way.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=255, db_index=True)
    # The connected account a Connect event comes from; empty for the platform's own events.
    account = models.CharField(max_length=255, blank=True, db_index=True)
    livemode = models.BooleanField(default=False)
    api_version = models.CharField(max_length=64, blank=True)
    stripe_created_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    # False once processed when no handler is registered for the type (stored, then ignored).
    handled = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["status", "received_at"], name="billing_event_status_recv")]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id} ({self.status})"

    @property
    def data_object(self) -> dict[str, Any]:
        """The Stripe object the event is about (`event.data.object`)."""
        return self.payload["data"]["object"]
