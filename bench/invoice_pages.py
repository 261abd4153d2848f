"""Benchmark: the invoice list and the dashboard with 1,000 and then 100,000 invoices.

One workspace is filled with invoices (bulk inserts inside its tenant scope, so row-level
security checks every row), beside other workspaces holding their own. Each page is then
requested through Django's test client (every middleware, the tenant scope, the view, the
template) as the workspace's owner, and the script prints the median and 95th-percentile
latency and the number of SQL queries per page. The query count must be the same at 1,000
and at 100,000 invoices: no page may issue a query per row.

Run it against the real services (a throwaway database is created and dropped):

    DATABASE_URL=postgresql://invoiceflow_app@127.0.0.1:5432/invoiceflow \\
    DATABASE_OWNER_URL=postgresql://invoiceflow_owner@127.0.0.1:5432/invoiceflow \\
    REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/invoice_pages.py

With no DATABASE_URL it runs on SQLite (a temporary file), which is only a smoke test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoiceflow.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

CLIENTS_PER_TENANT = 200
BATCH = 5000


def _switch_user(connection: Any, user: str, password: str) -> None:
    from invoiceflow.testing.database import reconnect_as

    reconnect_as(connection, user, password)


def _status_for(index: int, age: int) -> str:
    """A plausible mix: recent invoices open, older ones mostly paid, a few late or void."""
    if age < 30:
        return "draft" if index % 10 == 0 else "open"
    return {0: "draft", 1: "void", 2: "open", 3: "partially_paid", 4: "uncollectible"}.get(index % 20, "paid")


def fill(tenant: Any, *, count: int, start: int, today: date) -> None:
    """`count` invoices (numbered from `start`), their payments and a timeline entry each."""
    from invoices.models import Client, Invoice, InvoiceEvent, Payment
    from tenants.scoping import tenant_scope

    with tenant_scope(tenant):
        clients = list(Client.objects.order_by("pk").values_list("pk", flat=True))
        if not clients:
            Client.objects.bulk_create(
                [
                    Client(
                        tenant=tenant,
                        name=f"Client {n:03d} {('Studio', 'Labs', 'GmbH', 'SARL', 'Ltd')[n % 5]}",
                        emails=[f"billing{n}@client{n}.example"],
                        currency="EUR",
                        country="FR",
                    )
                    for n in range(CLIENTS_PER_TENANT)
                ]
            )
            clients = list(Client.objects.order_by("pk").values_list("pk", flat=True))
        for offset in range(0, count, BATCH):
            invoices = []
            for index in range(start + offset, start + min(offset + BATCH, count)):
                age = index * 7 % 400
                issued = today - timedelta(days=age)
                status = _status_for(index, age)
                total = Decimal(100 + index * 37 % 5000) + Decimal(index % 100) / 100
                paid = {"paid": total, "partially_paid": (total / 2).quantize(Decimal("0.01"))}.get(
                    status, Decimal(0)
                )
                finalized = status != "draft"
                invoices.append(
                    Invoice(
                        tenant=tenant,
                        public_id=f"in_bench{tenant.pk}x{index}",
                        client_id=clients[index % len(clients)],
                        currency="EUR",
                        issue_date=issued,
                        due_date=issued + timedelta(days=30),
                        status=status,
                        number=f"INV-{issued.year}-{index:06d}" if finalized else None,
                        sequence=index if finalized else None,
                        subtotal=total,
                        total=total,
                        amount_paid=paid,
                        balance_due=Decimal(0) if status in ("void", "paid") else total - paid,
                        finalized_at=None,
                    )
                )
            created = Invoice.objects.bulk_create(invoices, batch_size=BATCH)
            Payment.objects.bulk_create(
                [
                    Payment(
                        tenant=tenant,
                        public_id=f"pay_bench{invoice.pk}",
                        invoice=invoice,
                        amount=invoice.amount_paid,
                        currency="EUR",
                        paid_on=min(invoice.issue_date + timedelta(days=12), today),
                        method="bank_transfer",
                    )
                    for invoice in created
                    if invoice.amount_paid > 0
                ],
                batch_size=BATCH,
            )
            InvoiceEvent.objects.bulk_create(
                [InvoiceEvent(tenant=tenant, invoice=invoice, verb="finalized") for invoice in created],
                batch_size=BATCH,
            )


def measure(client: Any, url: str, runs: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm caches and connections
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
    connection.queries_log.clear()  # a full log (it keeps 9,000) would count nothing
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    count = len(queries)  # now: the next request resets the log the capture reads from
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - began) * 1000)
    ordered = sorted(timings)
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    return statistics.median(ordered), p95, count


def explain(client: Any, pages: list[tuple[str, str]]) -> None:
    """EXPLAIN ANALYZE of every query slower than 20 ms, run in the request's tenant scope."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenants.models import Tenant
    from tenants.scoping import tenant_scope

    tenant = Tenant.objects.get(slug="bench")
    for label, url in pages:
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        for query in list(queries):
            if float(query["time"]) < 0.02 or not query["sql"].startswith("SELECT"):
                continue
            with tenant_scope(tenant), connection.cursor() as cursor:
                cursor.execute("EXPLAIN ANALYZE " + query["sql"])
                plan = "\n      ".join(row[0] for row in cursor.fetchall())
            print(f"--- {label}: {float(query['time']) * 1000:.0f} ms\n  {query['sql'][:400]}\n      {plan}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=1_000, help="invoices in the first round")
    parser.add_argument("--large", type=int, default=100_000, help="invoices in the second round")
    parser.add_argument("--neighbours", type=int, default=3, help="other workspaces beside it")
    parser.add_argument("--neighbour-invoices", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=40, help="timed requests per page")
    parser.add_argument("--explain", action="store_true", help="print each slow query's plan at the end")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import setup_test_environment

    from tenants.models import Membership, Role, Tenant, User
    from tenants.scoping import tenant_scope

    setup_test_environment()
    settings.DEBUG = False
    owner = settings.DATABASE_OWNER
    app_user = (connection.settings_dict["USER"], connection.settings_dict.get("PASSWORD", ""))
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        f"bench_invoiceflow_pages_{os.getpid()}"
        if connection.vendor == "postgresql"
        else str(ROOT / f"bench-pages-{os.getpid()}.sqlite3")
    )
    if owner:
        _switch_user(connection, owner["USER"], owner.get("PASSWORD", ""))
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        if owner:
            _switch_user(connection, *app_user)  # the app's role, under row-level security
        today = date.today()
        user = User.objects.create_user("bench@invoiceflow.test", "bench-password-123")
        tenant = Tenant.objects.create(
            name="Bench Studio", slug="bench", country="FR", default_currency="EUR"
        )
        with tenant_scope(tenant):  # memberships are behind row-level security too
            Membership.objects.create(user=user, tenant=tenant, role=Role.OWNER)
        began = time.perf_counter()
        for n in range(args.neighbours):
            neighbour = Tenant.objects.create(
                name=f"Neighbour {n}", slug=f"neighbour-{n}", country="DE", default_currency="EUR"
            )
            fill(neighbour, count=args.neighbour_invoices, start=0, today=today)
        fill(tenant, count=args.small, start=0, today=today)
        seeded = time.perf_counter() - began
        print(f"  … seeded {args.small:,} (+ neighbours) in {seeded:.0f} s", file=sys.stderr, flush=True)
        client = HttpClient()
        client.force_login(user)
        slug = tenant.slug
        since = (today - timedelta(days=60)).isoformat()
        pages = [
            ("list, first page", f"/t/{slug}/invoices/"),
            ("list, overdue by due date", f"/t/{slug}/invoices/?status=overdue&sort=due_date"),
            ("list, client + dates", f"/t/{slug}/invoices/?status=paid&date_from={since}&sort=-total"),
            ("list, search client name", f"/t/{slug}/invoices/?q=client+042"),
            ("list, search number", f"/t/{slug}/invoices/?q=000420"),
            ("list, page 20", f"/t/{slug}/invoices/?page=20"),
            ("dashboard", f"/t/{slug}/"),
        ]
        results: dict[str, dict[int, tuple[float, float, int]]] = {label: {} for label, _ in pages}
        rounds = [args.small, args.large]
        for size in rounds:
            if size > args.small:
                began = time.perf_counter()
                fill(tenant, count=size - args.small, start=args.small, today=today)
                seeded += time.perf_counter() - began
            if connection.vendor == "postgresql":
                # Fresh planner statistics and visibility map, as autovacuum would leave them
                # after such a load. Only the tables' owner may (the app role is skipped).
                if owner:
                    _switch_user(connection, owner["USER"], owner.get("PASSWORD", ""))
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE")
                if owner:
                    _switch_user(connection, *app_user)
            for label, url in pages:
                results[label][size] = measure(client, url, args.runs)
                print(
                    f"  … n={size:,} {label}: {results[label][size][0]:.1f} ms", file=sys.stderr, flush=True
                )

        if args.explain:
            explain(client, pages)
        total = args.large + args.neighbours * args.neighbour_invoices
        print(
            f"Invoice pages, one owner through the test client, {args.runs} timed requests each "
            f"(workspace at {args.small:,} then {args.large:,} invoices; "
            f"{args.neighbours} other workspaces with {args.neighbour_invoices:,} each; {total:,} in all):"
        )
        header = f"  {'page':<28}" + "".join(
            f"{'n=' + format(size, ','):>12} {'median':>9} {'p95':>9}" for size in rounds
        )
        print(header)
        constant = True
        for label, _url in pages:
            row = f"  {label:<28}"
            counts = set()
            for size in rounds:
                median, p95, queries = results[label][size]
                counts.add(queries)
                row += f"{queries:>9} q. {median:>7.1f}ms {p95:>7.1f}ms"
            constant &= len(counts) == 1
            print(row)
        database = (
            f"{connection.vendor} {connection.settings_dict['NAME']} as {connection.settings_dict['USER']}"
        )
        print(f"  database: {database}; seeding took {seeded:.0f} s")
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        python = sys.version.split()[0]
        print(f"  machine:  {os.cpu_count()} CPUs, load average {load} at the end, Python {python}")
        print(f"RESULT queries_constant={'yes' if constant else 'NO'}")
        if not constant:
            raise SystemExit("A page's query count grew with the data.")
    finally:
        if owner:
            _switch_user(connection, owner["USER"], owner.get("PASSWORD", ""))
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
