"""Read-only admin of plans: which workspace is on which plan, and the usage sent to Stripe.

Both are written only from Stripe's state (webhooks, the usage task); the admin shows them, one
workspace at a time (chosen in the "By tenant" filter): they are behind row-level security."""

from __future__ import annotations

from django.contrib import admin

from plans.models import PlanSubscription, UsageReport
from tenants.admin_scoping import TenantOwnedAdmin


@admin.register(PlanSubscription)
class PlanSubscriptionAdmin(TenantOwnedAdmin):
    list_display = ["tenant", "plan", "status", "current_period_end", "cancel_at_period_end", "updated_at"]
    list_filter = ("plan", "status", "cancel_at_period_end")
    search_fields = ["stripe_customer_id", "stripe_subscription_id"]
    list_select_related = ["tenant"]


@admin.register(UsageReport)
class UsageReportAdmin(TenantOwnedAdmin):
    list_display = ["identifier", "tenant", "event_name", "status", "attempts", "occurred_at", "reported_at"]
    list_filter = ("status", "event_name")
    search_fields = ["identifier", "invoice_public_id", "stripe_customer_id"]
    list_select_related = ["tenant"]
