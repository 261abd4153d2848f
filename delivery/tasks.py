"""Celery tasks for email, reminders and recurring invoices. Each takes ids (the tenant's
included), calls one service, acknowledges late and is safe to run twice. Registered by
`invoices.apps` (imported at start-up by web and worker processes alike)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from delivery import services as sending
from tenants.models import Tenant

logger = logging.getLogger(__name__)


def backoff(retries: int) -> int:
    """EMAIL_RETRY_BACKOFF_SECONDS, then twice that, ... at most an hour."""
    return min(3600, settings.EMAIL_RETRY_BACKOFF_SECONDS * 2**retries)


@shared_task(bind=True, name="invoices.send_message", acks_late=True, reject_on_worker_lost=True)
def send_message(self, *, tenant_id: int, message_id: int) -> str:
    """Send one queued email (see sending.message_deliver); retried on transport errors, then
    marked failed so that the invoice page shows it."""
    tenant = Tenant.objects.get(pk=tenant_id)
    max_retries = settings.EMAIL_SEND_MAX_RETRIES
    retries = self.request.retries
    while True:
        try:
            return sending.message_deliver(tenant=tenant, message_id=message_id)
        except sending.TransientSendError as error:
            if retries >= max_retries:
                sending.message_mark_failed(
                    tenant=tenant,
                    message_id=message_id,
                    error=f"{error} (gave up after {retries + 1} attempts)",
                )
                return "failed"
            logger.warning("message %s: %s; retrying", message_id, error)
            if not self.request.is_eager:
                raise self.retry(exc=error, countdown=backoff(retries), max_retries=max_retries) from error
            # Run in-process (no broker, the embedded default): no queue to wait in, try again
            # now, and never let a mail server's refusal escape into the request that queued it.
            retries += 1


@shared_task(name="invoices.dispatch_recurring", acks_late=True)
def dispatch_recurring() -> dict[str, int]:
    """Celery beat: every tenant's recurring templates make the invoices of the periods due."""
    from delivery.recurring import recurring_dispatch_all

    return recurring_dispatch_all(now=timezone.now())


@shared_task(name="invoices.dispatch_reminders", acks_late=True)
def dispatch_reminders() -> dict[str, int]:
    """Celery beat: payment reminders (and late fees) due today, in every tenant."""
    from delivery.reminders import reminders_dispatch_all

    return reminders_dispatch_all(now=timezone.now())
