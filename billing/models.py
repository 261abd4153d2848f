from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import UpdatedAtField
from invoices.models import MoneyField
from tenants.models import new_public_id
from tenants.scoping import TenantOwnedModel


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


# --- getting paid: Connect accounts, payment settings, Checkout attempts ------------------------


class StripeAccountState(models.TextChoices):
    PENDING = "pending", _("Pending")  # created, onboarding not finished
    ACTIVE = "active", _("Active")  # can take card payments
    RESTRICTED = "restricted", _("Restricted")  # onboarded, but Stripe stopped its charges


class StripeAccount(models.Model):
    """A tenant's connected Stripe account (Standard), one per tenant.

    Behind row-level security, found before any tenant scope exists through lookup doors: a
    Connect webhook names only the account (`event.account`), so handlers map account → tenant
    with `lookup_door_stripe_account` (`billing.connect.stripe_account_by_stripe_id`). Tenant
    pages read it inside their scope with an explicit `tenant=` filter (`stripe_account_for`).
    """

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="stripe_account")
    stripe_id = models.CharField(max_length=255, unique=True)
    state = models.CharField(
        max_length=16, choices=StripeAccountState.choices, default=StripeAccountState.PENDING
    )
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    # requirements.currently_due and disabled_reason, to tell the tenant what Stripe waits for.
    requirements_due = models.JSONField(default=list, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    synced_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.stripe_id} ({self.state})"


class PaymentSettings(TenantOwnedModel):
    """How a tenant's clients may pay: online (Stripe), partially, and by bank transfer."""

    online_payments = models.BooleanField(
        _("accept card payments online"),
        default=True,
        help_text=_("Shows a Pay now button on open invoices once Stripe is connected."),
    )
    allow_partial_payments = models.BooleanField(
        _("allow partial payments"),
        default=False,
        help_text=_("Clients may pay part of the balance online."),
    )
    payment_instructions = models.TextField(
        _("payment instructions"),
        blank=True,
        help_text=_("Shown on the invoice page: bank details, cheque address…"),
    )
    updated_at = UpdatedAtField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="payment_settings_one_per_tenant")]
        verbose_name_plural = "payment settings"


def _checkout_attempt_id() -> str:
    return new_public_id("chk")


class CheckoutAttemptStatus(models.TextChoices):
    OPEN = "open", _("Open")
    COMPLETE = "complete", _("Complete")
    EXPIRED = "expired", _("Expired")


class CheckoutAttempt(TenantOwnedModel):
    """One Stripe Checkout Session created for an invoice ("Pay now").

    At most one open attempt per invoice (a partial constraint): a new one is made only after
    the old one is expired at Stripe, so two live sessions can never pay the same balance twice.
    Reconciliation (`billing.reconcile`) asks Stripe about the open ones.
    """

    public_id = models.CharField(max_length=32, unique=True, default=_checkout_attempt_id, editable=False)
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()  # 1, 2, ... per invoice: part of the idempotency key
    stripe_account = models.CharField(max_length=255)
    session_id = models.CharField(max_length=255, unique=True)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    amount = MoneyField(required=True)
    currency = models.CharField(max_length=3)
    # The balance due when the session was made: a session is reused only for the same balance.
    balance_due = MoneyField(required=True)
    status = models.CharField(
        max_length=16, choices=CheckoutAttemptStatus.choices, default=CheckoutAttemptStatus.OPEN
    )
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "number"], name="checkout_attempt_number_unique"),
            models.UniqueConstraint(
                fields=["invoice"], condition=models.Q(status="open"), name="checkout_attempt_one_open"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "status"], name="checkout_attempt_status")]

    def __str__(self) -> str:
        return f"checkout {self.session_id} ({self.status})"


class PaymentReceipt(TenantOwnedModel):
    """The receipt email sent for one payment: its unique row is what makes it go out once."""

    payment = models.OneToOneField("invoices.Payment", on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    sent_at = models.DateTimeField(default=timezone.now)


def _group_checkout_id() -> str:
    return new_public_id("gck")


class GroupCheckout(TenantOwnedModel):
    """One Stripe Checkout Session paying several open invoices of one client at once (the
    client portal's Pay button). Its items say, frozen when the session was made, how much of
    the session's money goes to which invoice; the webhook records one payment per item
    (`billing.group_checkout`)."""

    public_id = models.CharField(max_length=32, unique=True, default=_group_checkout_id, editable=False)
    client = models.ForeignKey("invoices.Client", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()  # 1, 2, ... per client: part of the idempotency key
    stripe_account = models.CharField(max_length=255)
    session_id = models.CharField(max_length=255, unique=True)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    amount = MoneyField(required=True)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=16, choices=CheckoutAttemptStatus.choices, default=CheckoutAttemptStatus.OPEN
    )
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["client", "number"], name="group_checkout_number_unique"),
        ]
        indexes = [models.Index(fields=["tenant", "status"], name="group_checkout_status")]

    def __str__(self) -> str:
        return f"group checkout {self.session_id} ({self.status})"


class GroupCheckoutItem(TenantOwnedModel):
    """One invoice of a group checkout and the amount paid towards it (its balance due when the
    session was made). `payment` is set once that money is recorded on the invoice."""

    checkout = models.ForeignKey(GroupCheckout, on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.PROTECT, related_name="+")
    amount = MoneyField(required=True)
    payment = models.ForeignKey(
        "invoices.Payment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["checkout", "invoice"], name="group_checkout_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.checkout_id}: {self.invoice_id} {self.amount}"
