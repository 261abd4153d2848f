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

from documents.models import BulkJob, DocumentStatus, InvoiceDocument

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


# Messages waiting for the publisher beyond this are dropped (the page's polling catches up):
# a channel layer that hangs must not grow a worker's memory without end.
MAX_PENDING_MESSAGES = 1000
SEND_TIMEOUT_SECONDS = 5


class _Publisher:
    """One event loop per process, in a thread, sending messages to the Redis channel layer in
    the order they were published, without making the publisher wait.

    `async_to_sync` would make a new loop, hence a new Redis connection, for every message
    (~5 ms each); this loop keeps its connection. A render does not wait for Redis either: the
    page orders messages by their `updated` time and polls when its socket is down, so a
    message is worth a round trip on the socket, not on the worker.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(MAX_PENDING_MESSAGES)
        threading.Thread(target=self._run, name="channel-layer-publisher", daemon=True).start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._send_forever())

    async def _send_forever(self) -> None:
        while True:
            group, message = await self.queue.get()
            try:
                layer = get_channel_layer()
                await asyncio.wait_for(layer.group_send(group, message), SEND_TIMEOUT_SECONDS)
            except Exception:  # a broken channel layer must not stop the next message
                logger.warning("could not publish a document status to %s", group, exc_info=True)
            finally:
                self.queue.task_done()

    def _enqueue(self, item: tuple[str, dict[str, Any]]) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            logger.warning(
                "document status publisher is %d messages behind; dropped one", MAX_PENDING_MESSAGES
            )

    def publish(self, group: str, message: dict[str, Any]) -> None:
        self.loop.call_soon_threadsafe(self._enqueue, (group, message))

    def flush(self, timeout: float = SEND_TIMEOUT_SECONDS) -> None:
        """Wait until every message published so far is sent (tests, shutdown)."""
        asyncio.run_coroutine_threadsafe(self.queue.join(), self.loop).result(timeout)


_publisher: _Publisher | None = None
_publisher_lock = threading.Lock()


def publisher() -> _Publisher:
    """This process's publisher, made lazily and per PID: a forked Celery child gets its own."""
    global _publisher
    with _publisher_lock:
        if _publisher is None or _publisher.pid != os.getpid():
            _publisher = _Publisher()
        return _publisher


def flush_pending(timeout: float = 2) -> None:
    """Send what this process published and has not sent yet (a worker process stopping)."""
    if _publisher is None or _publisher.pid != os.getpid():
        return
    try:
        _publisher.flush(timeout)
    except TimeoutError:
        logger.warning("stopped with %d document statuses unsent", _publisher.queue.qsize())


def send(tenant_id: int, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "status.update", "payload": payload}
    if isinstance(layer, InMemoryChannelLayer):
        # In-memory queues belong to the consumers' loop: async_to_sync reaches it from a
        # request thread of the same process (the embedded default runs tasks in-process).
        try:
            async_to_sync(layer.group_send)(group_name(tenant_id), message)
        except Exception:  # a broken channel layer must not fail a render
            logger.warning("could not publish a document status to tenant %s", tenant_id, exc_info=True)
    else:
        publisher().publish(group_name(tenant_id), message)


def publish_on_commit(tenant_id: int, payload: dict[str, Any]) -> None:
    """Send once the current transaction commits: never announce what may be rolled back."""
    transaction.on_commit(lambda: send(tenant_id, payload))
