from __future__ import annotations

import random

from celery import shared_task

from billing.receipts import payment_receipt_send
from billing.reconcile import checkout_attempts_reconcile, tenants_to_reconcile
from billing.services import (
    ProcessOutcome,
    StripeEventFailedError,
    stripe_event_process,
    stripe_events_requeue_stale,
)
from tenants.scoping import run_in_tenant_scope

MAX_RETRIES = 8


def backoff(retries: int) -> int:
    """10 s, 20 s, 40 s ... capped at an hour, with jitter so retries of a burst spread out."""
    base = min(3600, 10 * 2**retries)
    return base + random.randint(0, base // 4)


@shared_task(name="billing.tasks.process_stripe_event", bind=True, acks_late=True, max_retries=MAX_RETRIES)
def process_stripe_event(self, event_row_id: int) -> str:
    """Process one stored Stripe event. Platform-level: the handler enters the tenant's scope."""
    try:
        outcome: ProcessOutcome = stripe_event_process(event_row_id=event_row_id)
    except StripeEventFailedError as exc:
        # After the last retry the event stays failed; the admin's replay action queues it again.
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
    return outcome.value


@shared_task(name="billing.tasks.requeue_stale_stripe_events", acks_late=True)
def requeue_stale_stripe_events() -> int:
    """Periodic: events whose queueing was lost (broker down at intake) are queued again."""
    return stripe_events_requeue_stale()


# --- getting paid --------------------------------------------------------------------------------


@shared_task(name="billing.tasks.send_payment_receipt", bind=True, acks_late=True, max_retries=MAX_RETRIES)
@run_in_tenant_scope
def send_payment_receipt(self, payment_id: int) -> bool:
    """Email the client the receipt of one online payment (once; see billing.receipts)."""
    try:
        return payment_receipt_send(payment_id=payment_id)
    except OSError as exc:  # SMTP down: try again later, the receipt row was rolled back
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


@shared_task(name="billing.tasks.reconcile_open_checkouts", acks_late=True)
def reconcile_open_checkouts() -> int:
    """Periodic: one reconciliation task per tenant with a connected Stripe account."""
    tenant_ids = tenants_to_reconcile()
    for tenant_id in tenant_ids:
        reconcile_tenant_checkouts.delay(tenant_id=tenant_id)
    return len(tenant_ids)


@shared_task(name="billing.tasks.reconcile_tenant_checkouts", acks_late=True)
@run_in_tenant_scope
def reconcile_tenant_checkouts() -> dict[str, int]:
    return checkout_attempts_reconcile()
