"""Read-only admin of plans: which workspace is on which plan, and the usage sent to Stripe.

Both are written only from Stripe's state (webhooks, the usage task); the admin shows them."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from billing.plan_models import PlanSubscription, UsageReport


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PlanSubscription)
class PlanSubscriptionAdmin(_ReadOnly):
    list_display = ["tenant", "plan", "status", "current_period_end", "cancel_at_period_end", "updated_at"]
    list_filter = ["plan", "status", "cancel_at_period_end"]
    search_fields = ["tenant__name", "tenant__slug", "stripe_customer_id", "stripe_subscription_id"]
    list_select_related = ["tenant"]


@admin.register(UsageReport)
class UsageReportAdmin(_ReadOnly):
    list_display = ["identifier", "tenant", "event_name", "status", "attempts", "occurred_at", "reported_at"]
    list_filter = ["status", "event_name"]
    search_fields = ["identifier", "invoice_public_id", "stripe_customer_id"]
    list_select_related = ["tenant"]
