"""Tasks that exist only to prove the worker harness; the test worker loads them with `-I`.

Production workers never import this module (it is in no app's `tasks.py`).
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

import redis
from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from events.registry import Event, subscribe
from tenants.models import Invitation
from tenants.scoping import run_in_tenant_scope

OUTBOX_PROBE_TOPIC = "testing.outbox_probe"


@shared_task(name="invoiceflow.testing.invite_probe")
@run_in_tenant_scope
def invite_probe(*, email: str) -> str:
    """Writes a tenant-owned row inside the tenant's scope, as real tasks do (RLS applies)."""
    invitation = Invitation.objects.create(email=email, expires_at=timezone.now() + timedelta(days=1))
    return invitation.public_id


@shared_task(name="invoiceflow.testing.store_probe")
def store_probe(*, name: str, content: str) -> str:
    """Saves a file through the default storage, as the PDF task will."""
    return default_storage.save(name, ContentFile(content.encode()))


@shared_task(name="invoiceflow.testing.sleep_and_record")
def sleep_and_record(*, redis_key: str, token: str, seconds: float) -> None:
    """Logs its start (with the pool process's PID, for a test to kill), sleeps, logs its end."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.rpush(f"{redis_key}:started", f"{token}:{os.getpid()}")
    time.sleep(seconds)
    client.rpush(f"{redis_key}:done", token)


@shared_task(name="invoiceflow.testing.database_backend")
def database_backend() -> int:
    """The PostgreSQL backend serving this task's connection: the same PID twice means the
    connection was kept between tasks."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@subscribe(OUTBOX_PROBE_TOPIC, name="testing.outbox_probe")
def outbox_probe(event: Event) -> None:
    """An outbox subscriber for the worker tests (events/tests/): logs its start with the pool
    process's PID (for a test to kill), waits while the test holds `<key>:hold`, then writes an
    invitation in the handler's transaction: one row per *committed* handling."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    key = event.payload["redis_key"]
    client.rpush(f"{key}:started", str(os.getpid()))
    deadline = time.monotonic() + 60
    while client.exists(f"{key}:hold") and time.monotonic() < deadline:
        time.sleep(0.05)
    Invitation.objects.create(
        email=f"{event.payload['token']}@outbox.test", expires_at=timezone.now() + timedelta(days=1)
    )
    client.rpush(f"{key}:done", str(os.getpid()))
