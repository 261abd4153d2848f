"""Read-only admin of the outbox: what each subscriber still has to handle, and what failed.

Behind row-level security like every tenant's rows: one workspace at a time (the "By tenant"
filter). A failed delivery is tried again with `events.services.delivery_retry`."""

from __future__ import annotations

from django.contrib import admin

from events.models import OutboxDelivery
from tenants.admin_scoping import TenantOwnedAdmin


@admin.register(OutboxDelivery)
class OutboxDeliveryAdmin(TenantOwnedAdmin):
    list_display = [
        "pk",
        "tenant",
        "subscriber",
        "event",
        "state",
        "attempts",
        "next_attempt_at",
        "handled_at",
    ]
    list_filter = ("state", "subscriber")
    list_select_related = ["tenant", "event"]
