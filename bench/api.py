"""Benchmark: the REST API served by gunicorn on PostgreSQL, measured with wrk on loopback.

1. A throwaway database (created and dropped here) gets one tenant holding 100,000 invoices,
   a client, ten tax rates and an API key.
2. SQL queries per request, counted through the test client with CaptureQueriesContext, for
   the invoice list at page sizes 10, 50 and 100 (it must not grow with the page size) and for
   creating an invoice with 10 lines.
3. gunicorn serves the app (DEBUG off, as production) on 127.0.0.1; wrk lists invoices
   (page_size=50) and creates invoices with 10 lines; requests/s, p50 and p95 are printed.

    DATABASE_URL=postgresql://invoiceflow_app@127.0.0.1:5432/invoiceflow \\
    DATABASE_OWNER_URL=postgresql://invoiceflow_owner@127.0.0.1:5432/invoiceflow \\
    .venv/bin/python bench/api.py

Needs PostgreSQL and wrk (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoiceflow.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

LUA_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH p50=%.2f p95=%.2f p99=%.2f\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def _switch_user(connection: Any, user: str, password: str) -> None:
    from invoiceflow.testing.database import reconnect_as

    reconnect_as(connection, user, password)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _seed(invoices: int) -> dict[str, Any]:
    from api.services import api_key_create
    from invoices.models import Client, Invoice, InvoiceStatus, TaxRate
    from tenants.models import Membership, Role, Tenant, User
    from tenants.scoping import tenant_scope

    user = User.objects.create_user("bench@bench.example", secrets.token_urlsafe())
    tenant = Tenant.objects.create(name="Bench Studio", slug="bench", country="FR", default_currency="EUR")
    with tenant_scope(tenant):  # memberships and API keys are behind row-level security too
        owner = Membership.objects.create(user=user, tenant=tenant, role=Role.OWNER)
        key = api_key_create(actor=owner, name="bench", role=Role.OWNER).secret
    with tenant_scope(tenant):
        client = Client.objects.create(
            tenant=tenant, name="Bench Client", emails=["a@b.example"], currency="EUR"
        )
        rates = [
            TaxRate.objects.create(tenant=tenant, name=f"VAT {n}", percentage=Decimal(n))
            for n in range(1, 11)
        ]
        start = date(2020, 1, 1)
        batch: list[Invoice] = []
        for n in range(invoices):
            issued = start + timedelta(days=n % 2000)
            batch.append(
                Invoice(
                    tenant=tenant,
                    client=client,
                    currency="EUR",
                    issue_date=issued,
                    due_date=issued + timedelta(days=30),
                    status=InvoiceStatus.DRAFT,
                    subtotal=Decimal("100.00"),
                    total=Decimal("120.00"),
                    tax_total=Decimal("20.00"),
                )
            )
            if len(batch) == 5000:
                Invoice.objects.bulk_create(batch)
                batch = []
        Invoice.objects.bulk_create(batch)
    return {"key": key, "client": client.public_id, "rates": [rate.public_id for rate in rates]}


def _explain() -> None:
    from invoices import selectors
    from tenants.models import Tenant
    from tenants.scoping import tenant_scope

    with tenant_scope(Tenant.objects.get(slug="bench")) as tenant:
        queryset = selectors.invoice_list(kind="invoice").filter(tenant=tenant).order_by("-issue_date", "-pk")
        print(queryset[:51].explain(analyze=True))


def _create_body(seed: dict[str, Any]) -> str:
    lines = [
        {
            "description": f"Line {n}",
            "quantity": "2",
            "unit_price": "45.50",
            "tax_rates": [seed["rates"][n]],
        }
        for n in range(10)
    ]
    return json.dumps({"client": seed["client"], "lines": lines})


def _queries(seed: dict[str, Any]) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"Authorization": f"Bearer {seed['key']}"})
    counts = {}
    for size in (10, 50, 100):
        client.get(f"/api/v1/invoices/?page_size={size}")  # warm
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/invoices/?page_size={size}")
        assert response.status_code == 200, response.content[:300]
        assert len(response.json()["results"]) == size
        counts[f"list page_size={size}"] = len(captured.captured_queries)
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
        if float(slowest["time"]) > 0.05:
            print(f"    slow query at page_size={size} ({slowest['time']} s): {slowest['sql']}")
    next_page = client.get("/api/v1/invoices/?page_size=100").json()["next"]
    with CaptureQueriesContext(connection) as captured:
        assert client.get(next_page).status_code == 200
    counts["list page 2 (cursor) page_size=100"] = len(captured.captured_queries)
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/api/v1/invoices/", _create_body(seed), content_type="application/json")
    assert response.status_code == 201, response.content[:300]
    counts["create with 10 lines"] = len(captured.captured_queries)
    return counts


def _wrk(url: str, key: str, *, seconds: int, connections: int, body: str | None) -> tuple[float, str]:
    script = LUA_REPORT
    if body is not None:
        script = (
            f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n'
            'wrk.headers["Content-Type"] = "application/json"\n' + script
        )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    command = [
        "wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", handle.name,
        "-H", f"Authorization: Bearer {key}", url,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(handle.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    percentiles = re.search(r"BENCH (.*)", output).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise SystemExit(f"wrk saw {errors.group(1)} failed responses:\n{output}")
    return rate, percentiles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--explain", action="store_true", help="print the list query's plan")
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL") or not shutil.which("wrk"):
        raise SystemExit("Needs DATABASE_URL (PostgreSQL) and wrk (apt-get install wrk).")

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.API_RATE_LIMIT = 10**9
    owner = settings.DATABASE_OWNER
    app_user = (connection.settings_dict["USER"], connection.settings_dict.get("PASSWORD", ""))
    bench_db = f"bench_invoiceflow_api_{os.getpid()}"
    connection.settings_dict.setdefault("TEST", {})["NAME"] = bench_db
    if owner:
        _switch_user(connection, owner["USER"], owner.get("PASSWORD", ""))
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    server = None
    try:
        if owner:
            _switch_user(connection, *app_user)
        began = time.perf_counter()
        seed = _seed(args.invoices)
        if owner:  # only the tables' owner may ANALYZE them
            _switch_user(connection, owner["USER"], owner.get("PASSWORD", ""))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does after a bulk load
        if owner:
            _switch_user(connection, *app_user)
        print(f"Seeded {args.invoices:,} invoices in {time.perf_counter() - began:.0f} s ({bench_db}).")
        if args.explain:
            _explain()
        print("SQL queries per request (test client, CaptureQueriesContext):")
        for label, count in _queries(seed).items():
            print(f"  {label:<38} {count}")
        connection.close()

        port = _free_port()
        parts = urlsplit(os.environ["DATABASE_URL"])
        env = {
            **os.environ,
            "DATABASE_URL": urlunsplit(parts._replace(path=f"/{bench_db}")),
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "127.0.0.1",
            "EMAIL_PROVIDER": "console",
            "SECURE_SSL_REDIRECT": "false",
            "API_RATE_LIMIT": str(10**9),
            "LOG_LEVEL": "WARNING",
        }
        env.pop("REDIS_URL", None)  # per-process limiter: the figure is the API's, not Redis's
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "invoiceflow.wsgi:application", "-w", str(args.workers),
             "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.2)
        print(
            f"gunicorn, {args.workers} sync workers; "
            f"wrk -t2 -c{args.connections} -d{args.seconds}s on loopback:"
        )
        for label, url, body in (
            ("GET /api/v1/invoices/?page_size=50", f"{base}/api/v1/invoices/?page_size=50", None),
            ("POST /api/v1/invoices/ (10 lines)", f"{base}/api/v1/invoices/", _create_body(seed)),
        ):
            _wrk(url, seed["key"], seconds=2, connections=args.connections, body=body)  # warm-up
            rate, percentiles = _wrk(
                url, seed["key"], seconds=args.seconds, connections=args.connections, body=body
            )
            print(f"  {label:<38} {rate:8.0f} req/s   {percentiles} (ms)")
        print(f"  machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        if owner:
            _switch_user(connection, owner["USER"], owner.get("PASSWORD", ""))
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
