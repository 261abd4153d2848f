"""Gapless numbering under concurrency, on real PostgreSQL.

50 threads finalize 200 invoices of two tenants at once; every tenth finalization fails
after it has taken a number (the counter row is already incremented in its transaction).
Each tenant must end with exactly 1..N: no gap, no duplicate.
"""

from __future__ import annotations

import queue
import threading
from datetime import date

import pytest
from django.db import close_old_connections, connection

from invoices import services
from invoices.models import EventVerb, Invoice, InvoiceEvent, InvoiceStatus, NumberCounter
from invoices.services import invoices as invoice_services
from invoices.tests.factories import ClientFactory, line, writer
from tenants.models import Tenant
from tenants.scoping import tenant_scope
from tenants.tests.factories import TenantFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 50
INVOICES_PER_TENANT = 100
FAIL_EVERY = 10  # 10 % of finalization attempts fail after taking their number


class InjectedFailure(Exception):
    """Stands for anything that can break a finalization midway (a crash, a timeout...)."""


def _drafts(tenant: Tenant) -> tuple[object, list[str]]:
    with tenant_scope(tenant):
        actor = writer()
        client = ClientFactory()
        ids = [
            services.invoice_create_draft(
                actor=actor, client=client, issue_date=date(2026, 6, 1), lines=[line(unit_price="10.00")]
            ).public_id
            for _ in range(INVOICES_PER_TENANT)
        ]
    return actor, ids


def test_concurrent_finalizations_leave_no_gap_and_no_duplicate(monkeypatch: pytest.MonkeyPatch) -> None:
    tenants = [TenantFactory(), TenantFactory()]
    work: queue.Queue[tuple[Tenant, object, str]] = queue.Queue()
    for tenant in tenants:
        actor, ids = _drafts(tenant)
        for public_id in ids:
            work.put((tenant, actor, public_id))
    total = work.qsize()

    lock = threading.Lock()
    attempts = {"all": 0, "failed": 0, "done": 0}
    taken_then_failed: list[str] = []
    errors: list[BaseException] = []
    real_assign = invoice_services._assign_number

    def assign_then_maybe_fail(invoice: Invoice, kind: str) -> None:
        real_assign(invoice, kind)  # the counter row is incremented (and locked) now
        with lock:
            attempts["all"] += 1
            fail = attempts["all"] % FAIL_EVERY == 0
            if fail:
                attempts["failed"] += 1
                taken_then_failed.append(invoice.number)
        if fail:
            raise InjectedFailure(invoice.number)

    monkeypatch.setattr(invoice_services, "_assign_number", assign_then_maybe_fail)
    start = threading.Barrier(THREADS)
    stop = threading.Event()

    def worker() -> None:
        try:
            start.wait()
            while not stop.is_set():
                try:
                    tenant, actor, public_id = work.get(timeout=0.05)
                except queue.Empty:
                    continue
                try:
                    with tenant_scope(tenant):
                        services.invoice_finalize(actor=actor, invoice=public_id)
                except InjectedFailure:
                    work.put((tenant, actor, public_id))  # retried later, by any thread
                    continue
                with lock:
                    attempts["done"] += 1
                    if attempts["done"] == total:
                        stop.set()
        except BaseException as error:  # reported by the main thread
            errors.append(error)
            stop.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    stop.wait(timeout=120)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    close_old_connections()
    assert errors == [], errors[:3]
    assert attempts["done"] == total == 2 * INVOICES_PER_TENANT
    assert attempts["failed"] == attempts["all"] // FAIL_EVERY >= total // FAIL_EVERY - 1
    assert taken_then_failed, "no finalization failed after taking a number: the test proves nothing"

    for tenant in tenants:
        with tenant_scope(tenant):
            rows = list(Invoice.objects.values_list("sequence", "number", "status"))
            sequences = sorted(sequence for sequence, _number, _status in rows)
            numbers = [number for _sequence, number, _status in rows]
            assert sequences == list(range(1, INVOICES_PER_TENANT + 1))  # exactly 1..N: no gap
            assert len(set(numbers)) == len(numbers)  # no duplicate
            assert set(numbers) == {f"INV-2026-{n:05d}" for n in range(1, INVOICES_PER_TENANT + 1)}
            assert {status for _s, _n, status in rows} == {InvoiceStatus.OPEN}
            assert NumberCounter.objects.get().next_value == INVOICES_PER_TENANT + 1
            # Failed attempts left nothing behind, not even a timeline entry.
            assert InvoiceEvent.objects.filter(verb=EventVerb.FINALIZED).count() == INVOICES_PER_TENANT
