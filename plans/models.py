"""A workspace's subscription to a plan, and the usage reported to Stripe's billing meter.

Both are the platform's billing relationship with the workspace, behind row-level security
like every table with a tenant. Webhook handlers find the workspace from the subscription's
metadata or, failing that, its Stripe customer through `lookup_door_plan_subscription_by_customer`
(tenants/doors.py), then write the row inside the workspace's scope. Pages read the row of
`request.tenant` inside its scope.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import UpdatedAtField
from plans.catalog import PlanCode


class PlanSubscription(models.Model):
    class Status(models.TextChoices):
        # Stripe's subscription statuses, folded into the five that matter here.
        NONE = "", _("No subscription")
        ACTIVE = "active", _("Active")
        TRIALING = "trialing", _("Trialing")
        PAST_DUE = "past_due", _("Past due")
        CANCELED = "canceled", _("Canceled")
        INCOMPLETE = "incomplete", _("Incomplete")

    # A paid plan applies while the subscription is in one of these; past_due keeps it during
    # Stripe's retries (the page asks for a new card), canceled and incomplete fall back to Free.
    LIVE_STATUSES = frozenset({Status.ACTIVE, Status.TRIALING, Status.PAST_DUE})

    tenant = models.OneToOneField(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="plan_subscription"
    )
    plan = models.CharField(
        max_length=16, choices=[(c.value, c.name.title()) for c in PlanCode], default=PlanCode.FREE
    )
    status = models.CharField(max_length=16, choices=Status.choices, blank=True, default=Status.NONE)
    stripe_customer_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_price_id = models.CharField(max_length=255, blank=True)
    # When Stripe created the subscription: of two subscriptions of one customer, the newer wins.
    stripe_subscription_created = models.DateTimeField(null=True, blank=True)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = UpdatedAtField()

    class Meta:
        # The table it had in billing/, before plans became their own app: no row moved.
        db_table = "billing_plansubscription"
        verbose_name = _("plan subscription")

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.plan} ({self.status or 'none'})"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES

    @property
    def effective_plan(self) -> PlanCode:
        """The plan whose limits apply now."""
        return PlanCode(self.plan) if self.is_live else PlanCode.FREE

    @classmethod
    def for_tenant_locked(cls, *, tenant: object) -> PlanSubscription:
        """The workspace's row, created as Free if missing, locked until the transaction ends."""
        cls.objects.get_or_create(tenant=tenant)
        return cls.objects.select_for_update().get(tenant=tenant)


class UsageReport(models.Model):
    """One usage fact sent to Stripe's billing meter: an invoice was sent, reported once.

    `identifier` is unique here and is also the meter event's identifier and the request's
    idempotency key, so a retried task, a resent invoice or two workers at once report it once.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        REPORTED = "reported", _("Reported")
        # The workspace has no Stripe customer (never subscribed): there is nothing to bill.
        SKIPPED = "skipped", _("Skipped")

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    identifier = models.CharField(max_length=100, unique=True)
    event_name = models.CharField(max_length=100)
    # The invoice's public id (not a foreign key: invoices are tenant-owned, this row is not).
    invoice_public_id = models.CharField(max_length=32)
    value = models.PositiveIntegerField(default=1)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    occurred_at = models.DateTimeField(default=timezone.now)
    reported_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        db_table = "billing_usagereport"
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.event_name} {self.identifier} ({self.status})"
