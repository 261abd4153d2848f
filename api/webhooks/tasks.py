"""Celery tasks of outgoing webhooks: ids in (the tenant's included), late acknowledgement.

`deliver_webhook` makes one attempt; on a failure with retries left it queues itself again
for the scheduled time. `deliver_due` (beat, every minute) queues whatever is due, so a retry
whose message was lost is still made; the lease taken by each attempt keeps the two from
POSTing the same delivery twice at once. In-process (eager) Celery does not re-queue itself:
the sweep, or a test, drives the retries.
"""

from __future__ import annotations

from celery import shared_task

from api.webhooks import services
from core.task_queues import LONGEST_COUNTDOWN_SECONDS
from tenants.models import Tenant
from tenants.scoping import tenant_scope


@shared_task(bind=True, name="webhooks.deliver", acks_late=True, reject_on_worker_lost=True)
def deliver_webhook(self, *, tenant_id: int, delivery_id: int) -> str:
    tenant = Tenant.objects.get(pk=tenant_id)
    outcome = services.delivery_attempt(tenant=tenant, delivery_id=delivery_id)
    if outcome == "retry" and not self.request.is_eager:
        delay = services.delivery_retry_delay(tenant=tenant, delivery_id=delivery_id)
        # A message with a countdown past the broker's visibility timeout would be delivered
        # twice (core.task_queues): later retries are queued by the per-minute sweep.
        if delay is not None and delay <= LONGEST_COUNTDOWN_SECONDS:
            deliver_webhook.apply_async(
                kwargs={"tenant_id": tenant_id, "delivery_id": delivery_id}, countdown=delay
            )
    return outcome


@shared_task(name="webhooks.deliver_due", acks_late=True)
def deliver_due() -> int:
    """Queue every due delivery of every tenant (one scope per tenant)."""
    queued = 0
    for tenant in Tenant.objects.order_by("pk").iterator():
        with tenant_scope(tenant):
            due = services.deliveries_due()
        for delivery_id in due:
            deliver_webhook.delay(tenant_id=tenant.pk, delivery_id=delivery_id)
            queued += 1
    return queued
