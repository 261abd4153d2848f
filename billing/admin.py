from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from billing.models import StripeEvent
from billing.services import stripe_events_replay


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["stripe_id", "type", "account", "status", "handled", "attempts", "received_at"]
    list_filter = ["status", "type", "livemode", "handled"]
    search_fields = ["stripe_id", "type", "account"]
    date_hierarchy = "received_at"
    actions = ["replay"]
    readonly_fields = [
        "stripe_id",
        "type",
        "account",
        "livemode",
        "api_version",
        "stripe_created_at",
        "status",
        "handled",
        "attempts",
        "received_at",
        "processed_at",
        "last_error",
        "pretty_payload",
    ]
    exclude = ["payload"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # events only ever come from Stripe, signed

    def has_change_permission(self, request: HttpRequest, obj: StripeEvent | None = None) -> bool:
        return False

    @admin.display(description="Payload")
    def pretty_payload(self, obj: StripeEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, sort_keys=True))

    def has_replay_permission(self, request: HttpRequest) -> bool:
        # The change view is read-only for everyone; replaying is still a write.
        return request.user.has_perm("billing.change_stripeevent")

    @admin.action(description="Replay selected failed events", permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: QuerySet[StripeEvent]) -> None:
        selected = list(queryset.values_list("pk", flat=True))
        queued = stripe_events_replay(event_row_ids=selected)
        skipped = len(selected) - queued
        self.message_user(request, f"{queued} event(s) queued for processing again.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} already processed event(s) left alone.", messages.WARNING)
