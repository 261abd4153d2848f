"""Recording events in the outbox, and delivering them to their subscribers once each.

Recording (`event_record`) happens inside the transaction of the change it announces: the event
row and one pending delivery row per interested subscriber commit with the change or not at
all. After the commit the `events.dispatch` task is queued for the event.

Delivering (`event_dispatch`, `outbox_sweep`) handles one delivery row at a time, in the
workspace's scope, inside one transaction that

1. claims the row: `SELECT … FOR UPDATE SKIP LOCKED` on a pending, due row, so a second
   dispatcher racing for the same row skips it instead of waiting and handling it again;
2. runs the subscriber's handler in a savepoint: a handler that raises undoes its own writes
   only, and the row records the error and when to try again (the other subscribers' rows
   are separate, so one failing subscriber never holds up the others);
3. marks the row done, which commits together with whatever the handler wrote.

A worker that dies anywhere in there leaves no half: PostgreSQL rolls the transaction back, the
row is pending again, and the task's redelivery or the periodic sweep handles it. Handlers are
therefore run at least once and their database effects committed exactly once; what they send
outside the database they queue on commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from events import registry
from events.models import DeliveryState, OutboxDelivery, OutboxEvent
from tenants.models import Tenant
from tenants.scoping import current_tenant, tenant_scope

logger = logging.getLogger(__name__)

# A delivery the on-commit dispatch has not handled this long after it was due is the sweep's.
SWEEP_GRACE = timedelta(seconds=30)
# Failed handlings are retried after 30 s, 1 min, 2 min, … at most an hour apart, for about a
# day; then the row stays failed, with its error, for a person to look at (the admin lists it).
MAX_ATTEMPTS = 30
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600
ERROR_KEPT = 2000
SWEEP_BATCH = 500
# Handled events are kept this long (for a person looking into what happened), then the sweep
# deletes them; an event with a delivery still pending or failed is kept until it is done.
KEEP_HANDLED = timedelta(days=7)
PURGE_BATCH = 1000


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)))


def event_record(*, topic: str, payload: dict[str, Any]) -> OutboxEvent | None:
    """Record that `topic` happened in the current workspace, in the caller's transaction.

    Returns the event, or None when no subscriber wants it (nothing is written then)."""
    subscribers = registry.subscribers_for(topic, payload)
    if not subscribers:
        return None
    tenant = current_tenant()
    now = timezone.now()
    event = OutboxEvent.objects.create(tenant=tenant, topic=topic, payload=payload, created_at=now)
    OutboxDelivery.objects.bulk_create(
        OutboxDelivery(tenant=tenant, event=event, subscriber=found.name, next_attempt_at=now)
        for found in subscribers
    )
    _dispatch_on_commit(tenant.pk, event.pk)
    return event


def _dispatch_on_commit(tenant_id: int, event_id: int) -> None:
    from events.tasks import dispatch_event

    # robust: a broker that is down must not fail the change that already committed; the sweep
    # delivers what this message would have.
    transaction.on_commit(
        lambda: dispatch_event.delay(tenant_id=tenant_id, event_id=event_id),
        robust=True,
    )


def event_dispatch(*, tenant: Tenant, event_id: int) -> int:
    """Deliver the event's due deliveries; returns how many were handled now."""
    with tenant_scope(tenant):
        due = list(
            OutboxDelivery.objects.filter(
                event_id=event_id, state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now()
            ).values_list("pk", flat=True)
        )
    return sum(delivery_handle(tenant=tenant, delivery_id=delivery_id) for delivery_id in due)


def deliveries_overdue(*, now: datetime | None = None) -> list[int]:
    """The current workspace's pending deliveries that the on-commit dispatch left behind."""
    now = now or timezone.now()
    return list(
        OutboxDelivery.objects.filter(
            state=DeliveryState.PENDING, next_attempt_at__lte=now - SWEEP_GRACE
        ).values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def events_purge(*, now: datetime | None = None) -> int:
    """Delete the current workspace's old events whose every delivery is done (in batches)."""
    now = now or timezone.now()
    old = (
        OutboxEvent.objects.filter(created_at__lt=now - KEEP_HANDLED)
        .exclude(deliveries__state__in=(DeliveryState.PENDING, DeliveryState.FAILED))
        .values_list("pk", flat=True)[:PURGE_BATCH]
    )
    deleted, _by_model = OutboxEvent.objects.filter(pk__in=list(old)).delete()
    return deleted


def outbox_sweep(*, now: datetime | None = None) -> int:
    """Every workspace's overdue deliveries (a lost message, a dead worker, a retry): handled;
    and its old handled events deleted. Returns how many deliveries were handled."""
    handled = 0
    for tenant in Tenant.objects.order_by("pk").iterator():
        with tenant_scope(tenant):
            overdue = deliveries_overdue(now=now)
            events_purge(now=now)
        handled += sum(delivery_handle(tenant=tenant, delivery_id=delivery_id) for delivery_id in overdue)
    return handled


def _event_of(row: OutboxEvent) -> registry.Event:
    return registry.Event(
        id=row.pk, topic=row.topic, payload=row.payload, tenant_id=row.tenant_id, created_at=row.created_at
    )


def delivery_handle(*, tenant: Tenant, delivery_id: int) -> bool:
    """Claim one pending, due delivery and run its subscriber; whether it was handled now."""
    with tenant_scope(tenant):
        now = timezone.now()
        delivery = (
            OutboxDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event")
            .filter(pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return False  # handled already, not due, or another dispatcher holds it right now
        delivery.attempts += 1
        found = registry.subscriber(delivery.subscriber)
        try:
            if found is None:
                raise LookupError(f"no events subscriber named {delivery.subscriber!r} is registered")
            with transaction.atomic():
                found.handle(_event_of(delivery.event))
        except Exception as error:
            logger.exception(
                "events subscriber %s failed on event %s (attempt %s)",
                delivery.subscriber,
                delivery.event_id,
                delivery.attempts,
            )
            delivery.last_error = f"{type(error).__name__}: {error}"[:ERROR_KEPT]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.state = DeliveryState.FAILED
            else:
                delivery.next_attempt_at = now + retry_delay(delivery.attempts)
            delivery.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
            return False
        delivery.state = DeliveryState.DONE
        delivery.handled_at = timezone.now()
        delivery.last_error = ""
        delivery.save(update_fields=["attempts", "state", "handled_at", "last_error"])
        return True


def delivery_retry(*, delivery: OutboxDelivery) -> OutboxDelivery:
    """Try a failed (or waiting) delivery again now: the admin's action."""
    if delivery.state == DeliveryState.DONE:
        return delivery
    delivery.state = DeliveryState.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["state", "next_attempt_at"])
    _dispatch_on_commit(delivery.tenant_id, delivery.event_id)
    return delivery
