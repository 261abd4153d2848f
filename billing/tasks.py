from __future__ import annotations

import random

from celery import shared_task

from billing.services import (
    ProcessOutcome,
    StripeEventFailedError,
    stripe_event_process,
    stripe_events_requeue_stale,
)

MAX_RETRIES = 8


def _backoff(retries: int) -> int:
    """10 s, 20 s, 40 s ... capped at an hour, with jitter so retries of a burst spread out."""
    base = min(3600, 10 * 2**retries)
    return base + random.randint(0, base // 4)


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def process_stripe_event(self, event_row_id: int) -> str:
    """Process one stored Stripe event. Platform-level: the handler enters the tenant's scope."""
    try:
        outcome: ProcessOutcome = stripe_event_process(event_row_id=event_row_id)
    except StripeEventFailedError as exc:
        # After the last retry the event stays failed; the admin's replay action queues it again.
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc
    return outcome.value


@shared_task(acks_late=True)
def requeue_stale_stripe_events() -> int:
    """Periodic: events whose queueing was lost (broker down at intake) are queued again."""
    return stripe_events_requeue_stale()
