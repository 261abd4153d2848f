"""Reconciliation: ask Stripe about what we still believe is open.

Webhooks can be lost (an outage longer than Stripe's retries, a misconfigured endpoint). The
periodic task walks every tenant with a connected account and, in its scope, asks Stripe about
each open Checkout attempt (and each open group checkout, `billing.group_checkout`): a
completed one has its payment recorded (the same `payment_intent_sync` the webhooks run), an
expired one is closed. Attempts completed lately
whose payment never made it into our books are checked again too.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from billing.checkout import checkout_attempt_settle
from billing.group_ledger import group_checkout_settle
from billing.ledger import payment_intent_sync
from billing.models import CheckoutAttempt, CheckoutAttemptStatus, GroupCheckout
from invoices.models import Payment, PaymentSource
from tenants.doors import door_lookup

logger = logging.getLogger(__name__)

# A session younger than this is left alone: its client may be typing a card number.
MIN_AGE = timedelta(minutes=2)
RECHECK_COMPLETED = timedelta(days=3)


def tenants_to_reconcile() -> list[int]:
    """Platform-level: the tenants that have a connected Stripe account (through the lookup door
    that lists them: ids only, no account's details)."""
    return sorted({match.tenant.pk for match in door_lookup("lookup_door_stripe_accounts_all")})


def checkout_attempts_reconcile(*, min_age: timedelta = MIN_AGE) -> dict[str, int]:
    """In the current tenant's scope: settle open attempts with Stripe. Counts by outcome."""
    now = timezone.now()
    counts = {"checked": 0, "completed": 0, "expired": 0, "recorded": 0}
    open_attempts = CheckoutAttempt.objects.filter(
        status=CheckoutAttemptStatus.OPEN, created_at__lte=now - min_age
    )
    for attempt in open_attempts:
        counts["checked"] += 1
        try:
            status = checkout_attempt_settle(attempt=attempt)
        except Exception:
            # One bad session must not stop the rest; the next run tries it again.
            logger.exception("Reconciling checkout %s failed", attempt.session_id)
            continue
        if status == "complete":
            counts["completed"] += 1
        elif status == "expired":
            counts["expired"] += 1
    recorded = set(Payment.objects.filter(source=PaymentSource.STRIPE).values_list("external_id", flat=True))
    recent = CheckoutAttempt.objects.filter(
        Q(status=CheckoutAttemptStatus.COMPLETE) & ~Q(payment_intent_id=""),
        created_at__gte=now - RECHECK_COMPLETED,
    )
    for attempt in recent:
        if attempt.payment_intent_id in recorded:
            continue
        try:
            if payment_intent_sync(
                account_id=attempt.stripe_account, payment_intent_id=attempt.payment_intent_id
            ):
                counts["recorded"] += 1
        except Exception:
            logger.exception("Reconciling payment intent %s failed", attempt.payment_intent_id)
    _group_checkouts_reconcile(now - min_age, counts)
    return counts


def _group_checkouts_reconcile(before: datetime, counts: dict[str, int]) -> None:
    """The open sessions paying several invoices at once (the client portal), likewise."""
    for checkout in GroupCheckout.objects.filter(status=CheckoutAttemptStatus.OPEN, created_at__lte=before):
        counts["checked"] += 1
        try:
            status = group_checkout_settle(checkout=checkout)
        except Exception:
            logger.exception("Reconciling group checkout %s failed", checkout.session_id)
            continue
        if status == "complete":
            counts["completed"] += 1
        elif status == "expired":
            counts["expired"] += 1
