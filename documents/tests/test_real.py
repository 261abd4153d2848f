"""Documents with real components: SeaweedFS (S3, signatures and expiry enforced), a prefork
Celery worker on Redis and on RabbitMQ, the Redis channel layer, threads racing the limiter."""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from channels.layers import get_channel_layer
from django.db import connections
from django.urls import reverse

from core.downloads import download_url
from core.ratelimit import memory_limiter
from documents import bulk, services
from documents.live import group_name
from documents.models import DocumentStatus, InvoiceDocument
from documents.tests.pdf_samples import sample_invoice
from invoiceflow.testing.processes import wait_until
from invoices.tests.factories import line, make_invoice
from tenants.scoping import tenant_scope
from tenants.tests.fixtures import client_for

BROKERS = pytest.mark.parametrize("celery_worker", ["redis", "rabbitmq"], indirect=True)


@pytest.fixture
def eager_tasks(monkeypatch):
    from invoiceflow.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback S3)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def statuses(tenant, pks: list[int]) -> dict[int, str]:
    with tenant_scope(tenant):
        return dict(InvoiceDocument.objects.filter(pk__in=pks).values_list("pk", "status"))


# --- S3 (SeaweedFS) ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_presigned_url_downloads_the_pdf_and_refuses_tampering_and_expiry(
    s3_storage, tenant, owner, owner_membership, django_capture_on_commit_callbacks, settings, eager_tasks
):
    settings.REDIS_URL = ""
    memory_limiter.clear()
    with tenant_scope(tenant):
        invoice = sample_invoice(lines=2, actor=owner_membership)
    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("document_generate", args=[tenant.slug, invoice.public_id]))
    with tenant_scope(tenant):
        document = InvoiceDocument.objects.get(invoice=invoice)
    assert document.status == DocumentStatus.READY
    assert s3_storage.keys() == [document.storage_key]

    link = client.get(reverse("document_download", args=[tenant.slug, document.public_id]))["Location"]
    assert link.startswith(s3_storage.endpoint_url)
    query = dict(parse_qsl(urlsplit(link).query))
    assert int(query["X-Amz-Expires"]) <= 300
    status, headers, body = fetch(link)
    assert status == 200
    assert body.startswith(b"%PDF-")
    assert headers["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'

    # Tampered: another object, or a changed disposition, under the same signature.
    parts = urlsplit(link)
    other_key = parts._replace(path=parts.path.replace(document.storage_key, "documents/other.pdf"))
    assert fetch(urlunsplit(other_key))[0] == 403
    forged = {**query, "response-content-disposition": 'attachment; filename="evil.html"'}
    assert fetch(urlunsplit(parts._replace(query=urlencode(forged))))[0] == 403
    # Expired: a link valid for one second, used three seconds later.
    short = download_url(
        storage_key=document.storage_key, filename="x.pdf", content_type="application/pdf", expires_in=1
    )
    time.sleep(3)
    assert fetch(short)[0] == 403


def test_storing_a_pdf_in_s3_is_one_request_in_the_calling_thread(s3_storage, monkeypatch):
    from documents import storage

    started = []
    real_start = threading.Thread.start

    def counting_start(thread):
        started.append(thread.name)
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", counting_start)
    storage.store_exact("documents/one.pdf", b"%PDF-1.7 " + b"x" * 40_000)
    # boto3's default would start a thread pool for every upload (AWS_S3_USE_THREADS).
    assert started == []
    assert s3_storage.keys() == ["documents/one.pdf"]
    assert storage.read("documents/one.pdf").startswith(b"%PDF-1.7 x")


# --- a real worker -----------------------------------------------------------------------------


class GroupListener:
    """Listens to a tenant's document group on the channel layer, in a thread with its own
    event loop (as a consumer in a web process would), until a status or a timeout."""

    def __init__(self, tenant_id: int, *, until: str, timeout: float = 90) -> None:
        self.messages: list[dict] = []
        self.joined = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._listen(tenant_id, until, timeout),))
        self._thread.start()
        assert self.joined.wait(10), "could not join the group"

    async def _listen(self, tenant_id: int, until: str, timeout: float) -> None:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(group_name(tenant_id), channel)
        self.joined.set()
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                try:
                    message = await asyncio.wait_for(layer.receive(channel), deadline - time.monotonic())
                except TimeoutError:
                    return
                self.messages.append(message["payload"])
                if message["payload"].get("status") == until:
                    return
        finally:
            await layer.group_discard(group_name(tenant_id), channel)

    def join(self) -> list[dict]:
        self._thread.join(120)
        return self.messages


@pytest.mark.redis
@BROKERS
def test_a_real_worker_renders_stores_and_announces_each_status(
    s3_storage, celery_worker, tenant, owner_membership
):
    memory_limiter.clear()
    with tenant_scope(tenant):
        invoice = sample_invoice(lines=3, actor=owner_membership)
    listener = GroupListener(tenant.pk, until="ready")
    with tenant_scope(tenant):  # commits: the task is queued to the worker
        document = services.document_request(actor=owner_membership, invoice=invoice.public_id)
    assert wait_until(lambda: statuses(tenant, [document.pk])[document.pk] == "ready", timeout=60), (
        celery_worker.log()
    )
    assert "invoices.render_document[" in celery_worker.log(lines=None)
    with tenant_scope(tenant):
        document.refresh_from_db()
    assert s3_storage.keys() == [document.storage_key]
    messages = [m for m in listener.join() if m["kind"] == "document" and m["invoice"] == invoice.public_id]
    # queued from this process; processing and ready from the worker, through Redis.
    assert [m["status"] for m in messages] == ["queued", "processing", "ready"]
    assert messages[-1]["download_url"] == reverse(
        "document_download", args=[tenant.slug, document.public_id]
    )


@pytest.mark.redis
@BROKERS
def test_fifty_renders_survive_a_sigkilled_worker_child(
    s3_storage, celery_worker, tenant, owner_membership, settings
):
    settings.DOCUMENT_RATE_LIMIT = 100
    with tenant_scope(tenant):
        invoices = [make_invoice(actor=owner_membership, lines=[line(f"Work {i}")]) for i in range(50)]
    with tenant_scope(tenant):
        job = bulk.bulk_generate(actor=owner_membership, invoices=[invoice.public_id for invoice in invoices])
    with tenant_scope(tenant):
        pks = list(InvoiceDocument.objects.values_list("pk", flat=True))
    assert len(pks) == 50

    # Both children busy (two documents processing): kill one in the middle of its render.
    def both_busy() -> bool:
        return list(statuses(tenant, pks).values()).count("processing") >= 2

    assert wait_until(both_busy, timeout=60, interval=0.02), celery_worker.log()
    victim = celery_worker.pool_pids()[0]
    celery_worker.kill_pool_process(victim)

    assert wait_until(lambda: set(statuses(tenant, pks).values()) == {"ready"}, timeout=180), (
        celery_worker.log()
    )
    log = celery_worker.log(lines=None)
    assert "WorkerLostError" in log or "SIGKILL" in log
    with tenant_scope(tenant):
        keys = list(InvoiceDocument.objects.values_list("storage_key", flat=True))
        job.refresh_from_db()
    # Exactly one object per invoice version: the re-run wrote the same derived key.
    assert sorted(keys) == s3_storage.keys()
    assert len(set(keys)) == 50
    assert (job.done, job.failed, job.status) == (50, 0, "ready")
    assert wait_until(lambda: len(celery_worker.pool_pids()) == 2, timeout=10)
    assert victim not in celery_worker.pool_pids()


# --- the limit under concurrency ------------------------------------------------------------


def _race(tenant, membership, invoices) -> list[str]:
    barrier = threading.Barrier(len(invoices))
    outcomes: list[str] = []
    lock = threading.Lock()

    def request(invoice) -> None:
        barrier.wait()
        try:
            with tenant_scope(tenant):
                services.document_request(actor=membership, invoice=invoice.public_id)
            outcome = "accepted"
        except services.RateLimited:
            outcome = "refused"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=request, args=(invoice,)) for invoice in invoices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.postgres
@pytest.mark.parametrize("limiter", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
def test_twenty_simultaneous_requests_give_exactly_five(
    limiter, transactional_db, tenant, owner_membership, member_membership, settings, monkeypatch
):
    # Renders are not the point here: keep them queued (no broker, nothing runs them).
    monkeypatch.setattr("documents.services.transaction.on_commit", lambda callback: None)
    if limiter == "memory":
        settings.REDIS_URL = ""
    memory_limiter.clear()
    settings.DOCUMENT_RATE_WINDOW_SECONDS = 3
    with tenant_scope(tenant):
        mine = [make_invoice(actor=owner_membership, lines=[line()]) for _ in range(21)]
        theirs = make_invoice(actor=owner_membership, lines=[line()])
    outcomes = _race(tenant, owner_membership, mine[:20])
    raced = time.monotonic()
    assert sorted(outcomes) == ["accepted"] * 5 + ["refused"] * 15
    with tenant_scope(tenant):
        assert InvoiceDocument.objects.count() == 5
        # Another user is unaffected.
        services.document_request(actor=member_membership, invoice=theirs.public_id)
    # After the window slides, accepted again.
    time.sleep(max(0.0, 3.3 - (time.monotonic() - raced)))
    with tenant_scope(tenant):
        services.document_request(actor=owner_membership, invoice=mine[20].public_id)
        assert InvoiceDocument.objects.count() == 7
