"""Benchmark: invoice PDF rendering, alone and end to end (Celery workers, S3).

Every figure is printed beside the bare WeasyPrint render of the *same* HTML measured in the
same run — `HTML(string=html, base_url=...).write_pdf()`, which parses the stylesheet and loads
the fonts on every call, as code that does not reuse anything would — so the ratio holds on a
noisy machine.

1. Render time, one process, warm (medians): a 12-line invoice (one page) and a 300-line one.
   The process is prepared as a worker's is (`render.prepare_rendering_process`: renderer
   warmed, garbage collector tuned); the bare renders run in the same process, alike.
2. A cold process: import, warm-up and the first page.
3. End to end: N invoices (default 1,000) queued by bulk requests of 500 (the service the
   "Generate PDFs" button calls, each its own transaction) to one prefork worker with two
   processes (real Celery, Redis broker), each PDF stored in S3 (SeaweedFS on loopback):
   invoices per second from the first request to the last invoice marked ready. The tables
   are ANALYZEd first, as a database in service is. Beside it: two processes doing nothing
   but bare renders of the same HTML.
4. Click to ready: one invoice on the idle worker, from the "Generate PDF" POST (the real view)
   to the "ready" message on the tenant's channel group (what the page's socket receives).

Run it against the real services (a throwaway database is created and dropped):

    DATABASE_URL=postgresql://invoiceflow_app@127.0.0.1:5432/invoiceflow \\
    DATABASE_OWNER_URL=postgresql://invoiceflow_owner@127.0.0.1:5432/invoiceflow \\
    REDIS_URL=redis://127.0.0.1:6379/10 .venv/bin/python bench/pdf_render.py

Without REDIS_URL only parts 1 and 2 run. Options: --invoices, --repeat, --skip-e2e.

Each figure is also carried over to the machine the issue's targets were set on (its bare
one-page render: 135 ms), by this run's own bare one-page render, and judged against them.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoiceflow.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")


# --- the bare baseline -----------------------------------------------------------------------


def standalone_html(html: str) -> str:
    """The document with its stylesheet linked, for a render that reuses nothing."""
    link = '<link rel="stylesheet" href="css/invoice-pdf.css">'
    return html.replace("<style>", link + "<style>", 1)


def bare_render(html: str) -> bytes:
    import weasyprint

    return weasyprint.HTML(string=html, base_url=(ROOT / "static").as_uri() + "/").write_pdf()


def _bare_worker(args: tuple[str, int]) -> int:
    import gc

    import django

    django.setup()  # a spawned process: the render module needs the apps loaded
    from documents.render import RENDERING_GC_THRESHOLDS

    gc.set_threshold(*RENDERING_GC_THRESHOLDS)  # as in the worker, so only the render differs
    html, count = args
    for _ in range(count):
        bare_render(html)
    return count


def two_process_rate(worker: Any, html: str, count: int) -> float:
    """Invoices per second with two processes each rendering `count` times."""
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_bare_worker, [(html, 1), (html, 1)])  # import and warm the pool first
        started = time.perf_counter()
        pool.map(worker, [(html, count), (html, count)])
        return 2 * count / (time.perf_counter() - started)


# --- measuring -------------------------------------------------------------------------------


def medians(html: str, repeat: int) -> tuple[float, float]:
    """(tuned, bare) median seconds, alternating the two so load affects both alike."""
    from documents.render import html_to_pdf

    bare_html = standalone_html(html)
    html_to_pdf(html)
    bare_render(bare_html)
    tuned, bare = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        html_to_pdf(html)
        tuned.append(time.perf_counter() - began)
        began = time.perf_counter()
        bare_render(bare_html)
        bare.append(time.perf_counter() - began)
    return statistics.median(tuned), statistics.median(bare)


def cold_process(html_path: Path) -> tuple[float, float]:
    """(tuned, bare) wall seconds of a fresh process rendering one page."""
    setup = f"import os,sys,time;t=time.perf_counter();sys.path.insert(0,{str(ROOT)!r});"
    html = f"open({str(html_path)!r}).read()"
    tuned = (
        setup + "os.environ.setdefault('DJANGO_SETTINGS_MODULE','invoiceflow.settings');"
        "import django;django.setup();from documents.render import html_to_pdf;"
        f"html_to_pdf({html});print(time.perf_counter()-t)"
    )
    bare = (
        setup + "from bench.pdf_render import bare_render,standalone_html;"
        f"bare_render(standalone_html({html}));print(time.perf_counter()-t)"
    )
    times = []
    for code in (tuned, bare):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        )
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return times[0], times[1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.0f} ms"


# The targets were set on its own machine, where the bare render of a one-page invoice
# took 135 ms. This run's bare render of our one-page invoice, measured beside ours, says how
# fast this machine is at that moment; scaling by it carries a figure over to the issue's
# machine. (The 300-line bare render is not the yardstick: the template work that made our
# pages faster made the bare render of the same HTML faster too, so per-figure ratios hide it.)
REFERENCE_BARE_ONE_PAGE = 0.135
TARGET = {"one_page": 0.080, "lines300": 1.0, "e2e": 15.0}


def on_reference_machine(name: str, value: float, bare_one_page: float) -> str:
    """ "≈ 61 ms on the issue's machine (target ≤ 80 ms): met" for one figure."""
    speed = REFERENCE_BARE_ONE_PAGE / bare_one_page  # > 1: the machine is faster
    target = TARGET[name]
    if name == "e2e":
        scaled = value / speed
        met = scaled >= target
        text = f"≈ {scaled:.1f} invoices/s on the issue's machine (target ≥ {target:g})"
    else:
        scaled = value * speed
        met = scaled <= target
        text = f"≈ {scaled * 1000:.0f} ms on the issue's machine (target ≤ {target * 1000:.0f} ms)"
    return f"{text}: {'met' if met else 'NOT met'}"


# --- fixtures for the run ----------------------------------------------------------------------


def make_invoices(tenant: Any, membership: Any, *, count: int, lines: int) -> list[Any]:
    from decimal import Decimal

    from documents.tests.pdf_samples import _lines
    from invoices.tests.factories import ClientFactory, TaxRateFactory, make_invoice
    from tenants.scoping import tenant_scope

    with tenant_scope(tenant):
        vat = TaxRateFactory(name="VAT", percentage=Decimal("20"))
        reduced = TaxRateFactory(name="VAT reduced", percentage=Decimal("5.5"))
        client = ClientFactory(name="Northwind Traders SARL", tax_id="FR40303265045")
    made = []
    for _ in range(count):
        with tenant_scope(tenant):
            made.append(
                make_invoice(
                    actor=membership,
                    client=client,
                    lines=_lines(lines, vat, reduced),
                    finalize=True,
                    notes="Thank you for your business.",
                    buyer_reference="PO-7781",
                )
            )
    return made


def analyze_tables() -> None:
    """Give PostgreSQL statistics on the tables just filled, as a database in service has.

    Without them the planner takes each freshly filled table for nearly empty, and reads
    every row of the tenant for each query instead of using the invoice's indexes (autovacuum
    would analyze them within a minute or so, in the middle of the run). ANALYZE needs the
    tables' owner.
    """
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    owner = settings.DATABASE_OWNER or {}
    params.update(user=owner.get("USER") or params.get("user"), password=owner.get("PASSWORD") or None)
    with psycopg.connect(**params, autocommit=True) as raw:
        raw.execute("ANALYZE")


class GroupListener:
    """Waits on the tenant's channel group, as a page's socket does, for one invoice's status."""

    def __init__(self, tenant_id: int) -> None:
        from channels.layers import get_channel_layer

        from documents.live import group_name

        self.layer, self.group = get_channel_layer(), group_name(tenant_id)
        self.loop = asyncio.new_event_loop()
        self.channel = ""
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.channel = asyncio.run_coroutine_threadsafe(self._join(), self.loop).result(10)

    async def _join(self) -> str:
        channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, channel)
        return channel

    async def _wait(self, invoice: str, status: str) -> float:
        while True:
            message = await self.layer.receive(self.channel)
            payload = message["payload"]
            if payload.get("invoice") == invoice and payload.get("status") == status:
                return time.perf_counter()

    def wait(self, invoice: str, status: str, timeout: float = 60) -> float:
        return asyncio.run_coroutine_threadsafe(self._wait(invoice, status), self.loop).result(timeout)


def end_to_end(
    args: argparse.Namespace, tenant: Any, membership: Any, user: Any, one_page_html: str, bare_before: float
) -> None:
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    from documents import bulk
    from documents.models import DocumentStatus, InvoiceDocument
    from invoiceflow.testing.celery_worker import (
        app_sending_to,
        database_environ,
        start_worker,
        stop_worker,
        storage_environ,
    )
    from invoiceflow.testing.s3 import start_seaweedfs
    from tenants.scoping import tenant_scope

    workdir = Path(tempfile.mkdtemp(prefix="bench-pdf-"))
    server, weed = start_seaweedfs(workdir)
    bucket = server.create_bucket()
    s3 = override_settings(
        **server.django_settings(bucket),
        STORAGES={**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage"}},
        DOCUMENT_RATE_LIMIT=10_000,
    )
    s3.enable()
    worker = start_worker(
        broker_url=settings.REDIS_URL,
        log_dir=workdir,
        # Connections kept between tasks in each pool process's pool, as in production.
        extra_env={**database_environ(), **storage_environ(), "LOG_LEVEL": "WARNING"},
    )
    try:
        with app_sending_to(worker):
            print(f"\nPreparing {args.invoices} finalized 12-line invoices…", flush=True)
            invoices = make_invoices(tenant, membership, count=args.invoices, lines=12)
            ids = [invoice.public_id for invoice in invoices]
            if not args.no_analyze:
                analyze_tables()
            started = time.perf_counter()
            # A bulk job takes up to 500 invoices: two clicks, each its own request and
            # transaction, whose tasks reach the broker when it commits.
            clicks = []
            for chunk in range(0, len(ids), bulk.MAX_BULK_INVOICES):
                began = time.perf_counter()
                with tenant_scope(tenant):
                    bulk.bulk_generate(actor=membership, invoices=ids[chunk : chunk + bulk.MAX_BULK_INVOICES])
                clicks.append((len(ids[chunk : chunk + bulk.MAX_BULK_INVOICES]), time.perf_counter() - began))
            while True:
                with tenant_scope(tenant):
                    ready = InvoiceDocument.objects.filter(status=DocumentStatus.READY).count()
                    failed = InvoiceDocument.objects.filter(status=DocumentStatus.FAILED).count()
                if ready + failed >= len(ids):
                    break
                time.sleep(0.2)
            elapsed = time.perf_counter() - started
            stored = len(server.keys(bucket))
            bare_rate = two_process_rate(_bare_worker, standalone_html(one_page_html), 15)
            print(f"End to end, {len(ids)} invoices, 1 worker x 2 processes, Redis broker, S3 (SeaweedFS):")
            print(f"  queued to all ready     {len(ids) / elapsed:7.1f} invoices/s  ({elapsed:.1f} s)")
            print(f"  bare render, 2 procs    {bare_rate:7.1f} invoices/s  (rendering only, nothing stored)")
            print(
                "  bulk requests answered and queued in "
                + ", ".join(f"{seconds:.2f} s ({size} invoices)" for size, seconds in clicks)
            )
            print(f"  ready {ready}, failed {failed}, objects in the bucket {stored}")

            # Click to ready: the real view, an idle (warm) worker, the channel group as the page.
            fresh = make_invoices(tenant, membership, count=args.clicks, lines=12)
            listener = GroupListener(tenant.pk)
            client = Client()
            client.force_login(user)
            latencies = []
            for invoice in fresh:
                time.sleep(0.5)
                began = time.perf_counter()
                response = client.post(
                    f"/t/{tenant.slug}/documents/invoices/{invoice.public_id}/pdf/",
                    HTTP_ACCEPT="application/json",
                    HTTP_HOST="127.0.0.1",
                )
                assert response.status_code == 202, response.content
                latencies.append(listener.wait(invoice.public_id, "ready") - began)
            tuned_one, bare_one = medians(one_page_html, 5)
            print(f"Click to ready (POST → 'ready' on the socket's group), median of {len(latencies)}:")
            print(
                f"  {ms(statistics.median(latencies))}   (min {ms(min(latencies)).strip()}, "
                f"max {ms(max(latencies)).strip()})"
            )
            print(f"  render alone now: {ms(tuned_one).strip()}, bare: {ms(bare_one).strip()}")
            # The machine's speed drifts during a run: the yardstick is the mean of the bare
            # one-page render measured before the end-to-end run and after it.
            yardstick = (bare_before + bare_one) / 2
            print(f"End to end {on_reference_machine('e2e', len(ids) / elapsed, yardstick)}")
            print(
                f"  (yardstick: bare one page {ms(bare_before).strip()} before, {ms(bare_one).strip()} after)"
            )
            print(
                f"RESULT e2e_invoices_per_second={len(ids) / elapsed:.1f} bare_two_process={bare_rate:.1f} "
                f"click_to_ready_ms={statistics.median(latencies) * 1000:.0f}"
            )
    finally:
        stop_worker(worker)
        s3.disable()
        weed.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30, help="renders per median (one page)")
    parser.add_argument("--clicks", type=int, default=5)
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument(
        "--no-analyze", action="store_true", help="leave the just-filled tables without statistics"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    from documents.render import load_invoice_for_render, render_invoice_html
    from invoiceflow.testing.database import reconnect_as
    from invoices.tests.factories import writer
    from tenants.scoping import tenant_scope
    from tenants.tests.factories import MembershipFactory, TenantFactory, UserFactory

    setup_test_environment()
    settings.DEBUG = False
    owner = settings.DATABASE_OWNER
    app_user = (connection.settings_dict["USER"], connection.settings_dict.get("PASSWORD", ""))
    test_name = (
        f"bench_invoiceflow_{os.getpid()}"
        if connection.vendor == "postgresql"
        else str(Path(tempfile.gettempdir()) / f"bench_invoiceflow_{os.getpid()}.sqlite3")
    )
    connection.settings_dict.setdefault("TEST", {})["NAME"] = test_name

    def as_user(user: str, password: str) -> None:
        reconnect_as(connection, user, password)

    if owner:
        as_user(owner["USER"], owner.get("PASSWORD", ""))
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        if owner:
            as_user(*app_user)
        tenant = TenantFactory(name="Acme Design", slug="acme-bench")
        user = UserFactory(email="owner@bench.test")
        membership = MembershipFactory(tenant=tenant, user=user, role="owner")
        with tenant_scope(tenant):
            writer()  # the factories' other actors
        one = make_invoices(tenant, membership, count=1, lines=12)[0]
        many = make_invoices(tenant, membership, count=1, lines=300)[0]
        with tenant_scope(tenant):
            one_html = render_invoice_html(load_invoice_for_render(invoice_pk=one.pk))
            many_html = render_invoice_html(load_invoice_for_render(invoice_pk=many.pk))

        from documents.render import prepare_rendering_process

        prepare_rendering_process()
        load = os.getloadavg()
        print(f"Invoice PDF render, WeasyPrint, {os.cpu_count()} CPUs, load average {load[0]:.1f} at start")
        print(f"Python {platform.python_version()} at {sys.executable}")
        print("                              ours     bare WeasyPrint   ratio")
        tuned, bare = medians(one_html, args.repeat)
        print(
            f"  12 lines, 1 page, warm   {ms(tuned)}   {ms(bare)}      {tuned / bare:5.2f}"
            f"   (median of {args.repeat})"
        )
        print(f"{'':27}{on_reference_machine('one_page', tuned, bare)}")
        repeat_many = max(3, args.repeat // 6)
        tuned_many, bare_many = medians(many_html, repeat_many)
        print(
            f"  300 lines, warm          {ms(tuned_many)}   {ms(bare_many)}"
            f"      {tuned_many / bare_many:5.2f}"
            f"   (median of {repeat_many})"
        )
        print(f"{'':27}{on_reference_machine('lines300', tuned_many, bare)}")
        from pdf_facturx import facturx_report  # bench/, beside this script

        facturx_report(tenant, one, args.repeat)
        html_path = Path(tempfile.mkdtemp(prefix="bench-pdf-")) / "one.html"
        html_path.write_text(one_html)
        cold, cold_bare = cold_process(html_path)
        print(f"  cold process, 1st page   {ms(cold)}   {ms(cold_bare)}      {cold / cold_bare:5.2f}")
        print(
            f"RESULT one_page_ms={tuned * 1000:.0f} bare_one_page_ms={bare * 1000:.0f} "
            f"lines300_ms={tuned_many * 1000:.0f} bare_lines300_ms={bare_many * 1000:.0f}"
        )
        if settings.REDIS_URL and not args.skip_e2e:
            end_to_end(args, tenant, membership, user, one_html, bare)
        elif not args.skip_e2e:
            print("\nEnd to end skipped: set REDIS_URL (and DATABASE_URL for PostgreSQL) to run it.")
    finally:
        if owner:
            as_user(owner["USER"], owner.get("PASSWORD", ""))
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
