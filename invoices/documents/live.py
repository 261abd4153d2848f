"""Document status pushed to the browsers of the tenant's members (Django Channels).

Every status change is sent to one group per tenant; `consumers.DocumentStatusConsumer` lets a
socket join only the group of a tenant its user is a member of. Messages carry public ids and
status codes only: labels come from the page, so each reader sees their own language.

Publishing never fails the caller: the page also polls `documents/status/` when its socket is
down, so a lost message costs a second or two, not a stuck spinner.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction
from django.urls import reverse

from invoices.documents.models import BulkJob, DocumentStatus, InvoiceDocument

logger = logging.getLogger(__name__)


def group_name(tenant_id: int) -> str:
    return f"documents.tenant-{tenant_id}"


def document_payload(
    document: InvoiceDocument, *, tenant_slug: str, invoice_public_id: str
) -> dict[str, Any]:
    ready = document.status == DocumentStatus.READY
    return {
        "kind": "document",
        "invoice": invoice_public_id,
        "document": document.public_id,
        "format": document.format,
        "content_version": document.content_version,
        "status": document.status,
        # When the status was set: the page ignores anything older than what it shows (an
        # HTTP answer can arrive after the socket already announced a later status).
        "updated": document.updated_at.timestamp(),
        "reason": document.failure_reason,
        "download_url": reverse("document_download", args=[tenant_slug, document.public_id]) if ready else "",
    }


def job_payload(job: BulkJob, *, tenant_slug: str) -> dict[str, Any]:
    return {
        "kind": "job",
        "job": job.public_id,
        "job_kind": job.kind,
        "status": job.status,
        "total": job.total,
        "done": job.done,
        "failed": job.failed,
        "reason": job.failure_reason,
        "download_url": reverse("bulk_job_download", args=[tenant_slug, job.public_id])
        if job.kind == "zip" and job.status == "ready"
        else "",
    }


_publisher: tuple[int, asyncio.AbstractEventLoop] | None = None
_publisher_lock = threading.Lock()


def _publisher_loop() -> asyncio.AbstractEventLoop:
    """One event loop per process, in a thread, for publishing to the Redis channel layer.

    `async_to_sync` would make a new loop, hence a new Redis connection, for every message
    (~5 ms each); this loop keeps its connection. Made lazily and per PID: a forked Celery
    child gets its own.
    """
    global _publisher
    with _publisher_lock:
        if _publisher is None or _publisher[0] != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="channel-layer-publisher", daemon=True).start()
            _publisher = (os.getpid(), loop)
        return _publisher[1]


def send(tenant_id: int, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "status.update", "payload": payload}
    try:
        if isinstance(layer, InMemoryChannelLayer):
            # In-memory queues belong to the consumers' loop: async_to_sync reaches it from a
            # request thread of the same process (the embedded default runs tasks in-process).
            async_to_sync(layer.group_send)(group_name(tenant_id), message)
        else:
            future = asyncio.run_coroutine_threadsafe(
                layer.group_send(group_name(tenant_id), message), _publisher_loop()
            )
            future.result(timeout=5)
    except Exception:  # a broken channel layer must not fail a render
        logger.warning("could not publish a document status to tenant %s", tenant_id, exc_info=True)


def publish_on_commit(tenant_id: int, payload: dict[str, Any]) -> None:
    """Send once the current transaction commits: never announce what may be rolled back."""
    transaction.on_commit(lambda: send(tenant_id, payload))
