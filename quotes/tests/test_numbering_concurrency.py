"""Gapless quote numbers under concurrency, on real PostgreSQL (as invoices/tests/
test_numbering_concurrency.py for invoices).

20 threads send 80 quotes and finalize 20 invoices of two workspaces at once; every seventh
sending fails after it has taken its number. Each workspace ends with quotes numbered exactly
1..N in the quote series, and invoices 1..M in theirs: no gap, no duplicate, no crossing.
"""

from __future__ import annotations

import queue
import threading

import pytest
from django.db import close_old_connections, connection

from invoices import services as invoicing
from invoices.models import Invoice
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, writer
from quotes import services
from quotes.models import Quote, QuoteEvent, QuoteStatus
from tenants.models import Tenant
from tenants.scoping import tenant_scope
from tenants.tests.factories import TenantFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20
QUOTES_PER_TENANT = 40
INVOICES_PER_TENANT = 10
FAIL_EVERY = 7


class InjectedFailure(Exception):
    pass


def _work(tenant: Tenant) -> list[tuple[str, Tenant, object, str]]:
    with tenant_scope(tenant):
        actor = writer()
        client = ClientFactory(emails=["ap@client.test"])
        vat = TaxRateFactory()
        items = [
            (
                "quote",
                tenant,
                actor,
                services.quote_create_draft(
                    actor=actor, client=client, lines=[line(tax_rates=[vat])]
                ).public_id,
            )
            for _ in range(QUOTES_PER_TENANT)
        ]
        items += [
            (
                "invoice",
                tenant,
                actor,
                invoicing.invoice_create_draft(actor=actor, client=client, lines=[line()]).public_id,
            )
            for _ in range(INVOICES_PER_TENANT)
        ]
    return items


def test_concurrent_sendings_leave_no_gap_and_no_duplicate(monkeypatch: pytest.MonkeyPatch) -> None:
    tenants = [TenantFactory(), TenantFactory()]
    work: queue.Queue = queue.Queue()
    for tenant in tenants:
        for item in _work(tenant):
            work.put(item)
    total = work.qsize()
    lock = threading.Lock()
    counts = {"all": 0, "failed": 0, "done": 0}
    errors: list[BaseException] = []
    real_take = services.number_take

    def take_then_maybe_fail(**kwargs: object) -> object:
        taken = real_take(**kwargs)  # the counter row is incremented and locked now
        with lock:
            counts["all"] += 1
            fail = counts["all"] % FAIL_EVERY == 0
            counts["failed"] += fail
        if fail:
            raise InjectedFailure(taken.number)
        return taken

    monkeypatch.setattr(services, "number_take", take_then_maybe_fail)
    start = threading.Barrier(THREADS)
    stop = threading.Event()

    def worker() -> None:
        try:
            start.wait()
            while not stop.is_set():
                try:
                    kind, tenant, actor, public_id = work.get(timeout=0.05)
                except queue.Empty:
                    continue
                try:
                    with tenant_scope(tenant):
                        if kind == "quote":
                            services.quote_send(actor=actor, quote=public_id)
                        else:
                            invoicing.invoice_finalize(actor=actor, invoice=public_id)
                except InjectedFailure:
                    work.put((kind, tenant, actor, public_id))
                    continue
                with lock:
                    counts["done"] += 1
                    if counts["done"] == total:
                        stop.set()
        except BaseException as error:
            errors.append(error)
            stop.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    stop.wait(timeout=180)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    close_old_connections()
    assert errors == [], errors[:3]
    assert counts["done"] == total
    assert counts["failed"] >= QUOTES_PER_TENANT * 2 // FAIL_EVERY - 1

    for tenant in tenants:
        with tenant_scope(tenant):
            quotes = list(Quote.objects.values_list("sequence", "number", "status"))
            assert sorted(s for s, _n, _st in quotes) == list(range(1, QUOTES_PER_TENANT + 1))
            assert len({n for _s, n, _st in quotes}) == QUOTES_PER_TENANT
            assert all(n.startswith("QUO-") for _s, n, _st in quotes)
            assert {st for _s, _n, st in quotes} == {QuoteStatus.SENT}
            assert QuoteEvent.objects.filter(verb="sent").count() == QUOTES_PER_TENANT
            invoices = sorted(Invoice.objects.values_list("sequence", flat=True))
            assert invoices == list(range(1, INVOICES_PER_TENANT + 1))
