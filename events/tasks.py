"""Celery tasks of the outbox: ids in (the tenant's included), late acknowledgement.

`events.dispatch` is queued after the commit that recorded an event; a worker killed while it
runs has the message redelivered (acks_late, reject_on_worker_lost). `events.sweep` (beat,
every minute) handles whatever is still pending after a grace period: a message lost with the
broker, a dispatch that never got queued, a retry whose time has come.
"""

from __future__ import annotations

from celery import shared_task

from events import services
from tenants.models import Tenant


@shared_task(name="events.dispatch", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def dispatch_event(*, tenant_id: int, event_id: int) -> int:
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return 0  # the workspace was deleted, its events with it
    return services.event_dispatch(tenant=tenant, event_id=event_id)


@shared_task(name="events.sweep", acks_late=True, ignore_result=True)
def sweep() -> int:
    return services.outbox_sweep()
