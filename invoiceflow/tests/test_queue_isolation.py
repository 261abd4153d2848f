"""Queues per workload, with real workers on the real broker: a bulk run of 1,000 PDFs does not
delay an email (core/task_queues.py).

Two Celery workers share one queue prefix, as the deployment's per-queue workers do: one
consumes `pdf` (two processes), one consumes `email` (one process). 1,000 real render tasks are
queued (two bulk "Generate PDFs" clicks of 500 invoices), then one invoice is emailed. The email
task must start within 2 s, while most of the PDFs still wait in their queue.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from core import task_queues
from delivery import services as sending
from delivery.models import OutgoingMessage
from documents import bulk as documents
from invoiceflow.testing.celery_worker import (
    CeleryWorker,
    app_sending_to,
    broker_url_for,
    database_environ,
    start_worker,
    stop_worker,
    storage_environ,
)
from invoiceflow.testing.processes import wait_until
from invoices.tests.factories import ClientFactory, line, make_invoice
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = [pytest.mark.redis, pytest.mark.timeout(600)]

PDFS = 1000
EMAIL_START_BUDGET_SECONDS = 2.0


@pytest.fixture
def queue_workers(transactional_db: None, settings: Any, tmp_path: Path) -> Iterator[dict[str, CeleryWorker]]:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DOCUMENT_RATE_LIMIT = 10_000
    broker_url = broker_url_for("redis")
    env = {**database_environ(), **storage_environ()}
    prefix = f"invoiceflow-test-isolation-{int(time.time() * 1000)}."
    workers: dict[str, CeleryWorker] = {}
    try:
        workers["pdf"] = start_worker(
            broker_url=broker_url, log_dir=tmp_path, extra_env=env, queues=(task_queues.PDF,), prefix=prefix
        )
        workers["email"] = start_worker(
            broker_url=broker_url,
            log_dir=tmp_path,
            extra_env=env,
            queues=(task_queues.EMAIL,),
            prefix=prefix,
            concurrency=1,
        )
        with app_sending_to(workers["pdf"]):
            yield workers
    finally:
        for worker in workers.values():
            stop_worker(worker)
        if workers:
            _delete_queues(workers["pdf"], prefix)


def _delete_queues(worker: CeleryWorker, prefix: str) -> None:
    with worker.control.connection_for_write() as conn:
        for queue in task_queues.QUEUES:
            conn.default_channel.queue_delete(task_queues.queue_name(queue, prefix))


def _waiting(worker: CeleryWorker, queue: str) -> int:
    with worker.control.connection_for_write() as conn:
        name = task_queues.queue_name(queue, worker.prefix)
        return conn.default_channel.queue_declare(queue=name, passive=True).message_count


def _invoices(owner: Membership, count: int) -> list[str]:
    client = ClientFactory(currency="EUR", emails=["client@example.test"])
    return [
        make_invoice(actor=owner, client=client, lines=[line(f"Work {i}")]).public_id for i in range(count)
    ]


def test_an_email_starts_within_two_seconds_behind_a_thousand_queued_pdfs(
    queue_workers: dict[str, CeleryWorker], tenant: Tenant, owner_membership: Membership
) -> None:
    with tenant_scope(tenant):
        public_ids = _invoices(owner_membership, PDFS + 1)
    emailed, rendered = public_ids[0], public_ids[1:]
    with tenant_scope(tenant):
        for start in range(0, PDFS, documents.MAX_BULK_INVOICES):
            documents.bulk_generate(
                actor=owner_membership, invoices=rendered[start : start + documents.MAX_BULK_INVOICES]
            )
    pdf_worker = queue_workers["pdf"]
    assert wait_until(lambda: _waiting(pdf_worker, task_queues.PDF) >= PDFS - 50, timeout=30), _waiting(
        pdf_worker, task_queues.PDF
    )

    queued_at = timezone.now()
    with transaction.atomic(), tenant_scope(tenant):  # commits: the email task is queued
        message = sending.invoice_send(actor=owner_membership, invoice=emailed, finalize=True)

    def sent_at() -> datetime | None:
        with tenant_scope(tenant):
            return OutgoingMessage.objects.filter(pk=message.pk).values_list("sent_at", flat=True).first()

    assert wait_until(lambda: sent_at() is not None, timeout=30, interval=0.02), queue_workers["email"].log()
    # Queued to sent: an upper bound of the time to the task's start (sending to the console
    # backend takes milliseconds).
    latency = (sent_at() - queued_at).total_seconds()
    still_waiting = _waiting(pdf_worker, task_queues.PDF)
    print(f"email sent {latency:.3f} s after it was queued, with {still_waiting} PDF tasks still waiting")  # noqa: T201 (the figure, with -s)
    assert latency < EMAIL_START_BUDGET_SECONDS
    # It went past the PDFs, which the PDF worker is still working through.
    assert still_waiting > PDFS // 2
    assert "invoices.render_document[" in pdf_worker.log(lines=None)
    assert "invoices.render_document[" not in queue_workers["email"].log(lines=None)
