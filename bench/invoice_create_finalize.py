"""Benchmark: create and finalize a long invoice through the REST API (issue #16).

Targets: 1,000 lines created and finalized in at most 1 s, 5,000 lines in at most 5 s.

1. A throwaway database (created and dropped here) gets one tenant, a client, two tax rates
   and an API key.
2. In process, through the test client (the whole Django stack: middleware, JWT/API key,
   serializers, services, the engine, PostgreSQL under row-level security), each size is
   created (`POST /api/v1/invoices/`, half the lines at each rate) and finalized
   (`POST /api/v1/invoices/<id>/finalize/`), `--repeat` times; the best and median wall
   times and the SQL queries of each request are printed.
3. The same-run baseline is a 10-line invoice: what the request costs before its lines do.

    DATABASE_URL=postgresql://invoiceflow_app@127.0.0.1:5432/invoiceflow \\
    DATABASE_OWNER_URL=postgresql://invoiceflow_owner@127.0.0.1:5432/invoiceflow \\
    .venv/bin/python bench/invoice_create_finalize.py
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoiceflow.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

TARGETS = {1_000: 1.0, 5_000: 5.0}  # seconds for create + finalize


def _switch_user(connection: Any, user: str, password: str) -> None:
    from invoiceflow.testing.database import reconnect_as

    reconnect_as(connection, user, password)


def _seed() -> dict[str, Any]:
    from api.services import api_key_create
    from invoices.models import Client, CompanyProfile, TaxRate
    from tenants.models import Membership, Role, Tenant, User
    from tenants.scoping import tenant_scope

    user = User.objects.create_user("bench@bench.example", secrets.token_urlsafe())
    tenant = Tenant.objects.create(name="Bench Studio", slug="bench", country="FR", default_currency="EUR")
    with tenant_scope(tenant):
        owner = Membership.objects.create(user=user, tenant=tenant, role=Role.OWNER)
        key = api_key_create(actor=owner, name="bench", role=Role.OWNER).secret
        # A seller and a client an invoice may legally name (finalize checks, issue #16).
        CompanyProfile.objects.create(
            tenant=tenant,
            legal_name="Bench Studio SARL",
            address_line1="12 Rue des Arts",
            postal_code="75003",
            city="Paris",
            country="FR",
            vat_id="FR40303265045",
        )
        client = Client.objects.create(
            tenant=tenant,
            name="Bench Client",
            emails=["a@b.example"],
            currency="EUR",
            address_line1="1 Place du Marché",
            postal_code="69002",
            city="Lyon",
            country="FR",
        )
        rates = [
            TaxRate.objects.create(tenant=tenant, name="VAT", percentage=Decimal(20)),
            TaxRate.objects.create(tenant=tenant, name="VAT reduced", percentage=Decimal("5.5")),
        ]
    return {"key": key, "client": client.public_id, "rates": [rate.public_id for rate in rates]}


def _body(seed: dict[str, Any], lines: int) -> dict[str, Any]:
    return {
        "client": seed["client"],
        "lines": [
            {
                "description": f"Line {index}: consulting, March",
                "quantity": str(1 + index % 7),
                "unit_price": f"{10 + index % 90}.{index % 100:02d}",
                "tax_rates": [seed["rates"][index % 2]],
            }
            for index in range(lines)
        ],
    }


def _measure(api: Any, seed: dict[str, Any], lines: int) -> tuple[float, float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    body = _body(seed, lines)
    with CaptureQueriesContext(connection) as create_queries:
        began = time.perf_counter()
        created = api.post("/api/v1/invoices/", body, format="json")
        create_seconds = time.perf_counter() - began
    if created.status_code != 201:
        raise SystemExit(f"create answered {created.status_code}: {created.content[:500]!r}")
    public_id = created.json()["id"]
    with CaptureQueriesContext(connection) as finalize_queries:
        began = time.perf_counter()
        finalized = api.post(f"/api/v1/invoices/{public_id}/finalize/", {}, format="json")
        finalize_seconds = time.perf_counter() - began
    if finalized.status_code != 200:
        raise SystemExit(f"finalize answered {finalized.status_code}: {finalized.content[:500]!r}")
    return create_seconds, finalize_seconds, len(create_queries), len(finalize_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,1000,5000", help="line counts, the first is the baseline")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, help="profile create + finalize of N lines")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("Needs DATABASE_URL (PostgreSQL).")
    sizes = [int(size) for size in args.sizes.split(",")]

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment
    from rest_framework.test import APIClient

    setup_test_environment()
    settings.API_RATE_LIMIT = 10**9
    settings.DEBUG = False
    owner = settings.DATABASE_OWNER
    app_user = (connection.settings_dict["USER"], connection.settings_dict.get("PASSWORD", ""))
    bench_db = f"bench_invoiceflow_create_{os.getpid()}"
    connection.settings_dict.setdefault("TEST", {})["NAME"] = bench_db
    if owner:
        _switch_user(connection, owner["USER"], owner.get("PASSWORD", ""))
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        if owner:
            _switch_user(connection, *app_user)
        seed = _seed()
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {seed['key']}")
        _measure(api, seed, 10)  # warm-up: imports, code lists, connection
        if args.profile:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.runcall(_measure, api, seed, args.profile)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
            return
        print(f"Create + finalize through the API, best and median of {args.repeat} ({bench_db}):")
        print(f"  {'lines':>6}  {'create':>8}  {'finalize':>8}  {'total':>8}  {'median':>8}  queries  target")
        baseline = None
        for size in sizes:
            runs = [_measure(api, seed, size) for _ in range(args.repeat)]
            totals = [create + finalize for create, finalize, _, _ in runs]
            best = min(range(len(runs)), key=lambda index: totals[index])
            create, finalize, create_q, finalize_q = runs[best]
            target = TARGETS.get(size)
            verdict = (
                "" if target is None else f"<= {target:.0f} s {'met' if totals[best] <= target else 'MISSED'}"
            )
            print(
                f"  {size:>6,}  {create:7.3f}s  {finalize:7.3f}s  {totals[best]:7.3f}s  "
                f"{statistics.median(totals):7.3f}s  {create_q:>3}+{finalize_q:<3}  {verdict}"
            )
            if baseline is None:
                baseline = totals[best]
            else:
                per_line = (totals[best] - baseline) / (size - sizes[0]) * 1000
                print(f"          {per_line:.3f} ms a line above the {sizes[0]}-line baseline")
        print(
            f"  machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
            f"Python {sys.version.split()[0]}"
        )
    finally:
        connection.close()
        if owner:
            _switch_user(connection, owner["USER"], owner.get("PASSWORD", ""))
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
