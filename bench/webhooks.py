"""Benchmark: signed Stripe webhook deliveries accepted per second on this machine.

Each delivery goes through the real endpoint (Django's test client: every middleware, the
view, Stripe's signature check, the INSERT ... ON CONFLICT, `transaction.on_commit`, and
the Celery publish to the broker). Events are signed before the clock starts: signing is
Stripe's work, not ours. Processing is not measured: no worker consumes the queue.

Run it against the real services (a throwaway database is created and dropped):

    DATABASE_URL=postgresql://invoiceflow_app@127.0.0.1:5432/invoiceflow \\
    DATABASE_OWNER_URL=postgresql://invoiceflow_owner@127.0.0.1:5432/invoiceflow \\
    REDIS_URL=redis://127.0.0.1:6379/7 .venv/bin/python bench/webhooks.py

With no DATABASE_URL it uses SQLite in memory; with no broker the enqueue is left out (and
the output says so).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoiceflow.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

SECRET = "whsec_bench_0123456789abcdef"  # noqa: S105 (a throwaway signing secret)


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def _switch_user(connection: Any, user: str, password: str) -> None:
    from invoiceflow.testing.database import reconnect_as

    reconnect_as(connection, user, password)


def _deliveries(count: int) -> list[tuple[str, str]]:
    from billing.tests.fixtures import make_stripe_event
    from billing.tests.stripe_standin import sign_payload

    signed = []
    for _ in range(count):
        event = make_stripe_event("checkout.session.completed", "checkout.session")
        payload = json.dumps(event, indent=2)  # as Stripe sends it, ~4 KB
        signed.append((payload, sign_payload(payload, SECRET)))
    return signed


def _run(client: Any, deliveries: list[tuple[str, str]], expect_duplicate: bool) -> list[float]:
    latencies = []
    for payload, signature in deliveries:
        began = time.perf_counter()
        response = client.post(
            "/billing/stripe/webhook/",
            data=payload.encode(),
            content_type="application/json",
            headers={"Stripe-Signature": signature},
        )
        latencies.append(time.perf_counter() - began)
        if response.status_code != 200 or response.json()["duplicate"] is not expect_duplicate:
            raise SystemExit(f"unexpected answer {response.status_code}: {response.content[:200]!r}")
    return latencies


def _report(label: str, latencies: list[float]) -> float:
    rate = len(latencies) / sum(latencies)
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(
        f"  {label:<11} {rate:8.0f} deliveries/s   p50 {p50:.2f} ms   p99 {p99:.2f} ms   ({len(latencies)})"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from billing import services
    from billing.models import StripeEvent
    from core.task_queues import task_routes
    from invoiceflow.celery import app as celery_app

    setup_test_environment()
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.DEBUG = False
    broker = settings.CELERY_BROKER_URL
    queue = f"bench-webhooks-{uuid.uuid4().hex[:8]}"
    if broker:
        # A queue of its own, deleted afterwards: nothing here is ever processed.
        celery_app.conf.update(
            task_always_eager=False, task_default_queue=queue, task_routes=task_routes(f"{queue}.")
        )  # Stripe events go to f"{queue}.default"
    else:
        services._enqueue = lambda row_id: None  # no broker: enqueue is not part of the figure

    owner = settings.DATABASE_OWNER
    app_user = (connection.settings_dict["USER"], connection.settings_dict.get("PASSWORD", ""))
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        f"bench_invoiceflow_{os.getpid()}" if connection.vendor == "postgresql" else None
    )
    if owner:
        _switch_user(connection, owner["USER"], owner.get("PASSWORD", ""))
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        if owner:
            _switch_user(connection, *app_user)  # run as the app's role, as production does
        client = Client()
        warmup, unique = _deliveries(args.warmup), _deliveries(args.events)
        _run(client, warmup, expect_duplicate=False)

        database = (
            f"{connection.vendor} {connection.settings_dict['NAME']} as {connection.settings_dict['USER']}"
        )
        print("Signed Stripe webhook deliveries accepted per second (verify, store, enqueue), one client:")
        new_rate = _report("new events", _run(client, unique, expect_duplicate=False))
        _report("duplicates", _run(client, unique, expect_duplicate=True))
        stored = StripeEvent.objects.count()
        assert stored == args.events + args.warmup, stored
        print(f"  database: {database}")
        print(
            f"  broker:   {_redact(broker) + ' (queue ' + queue + ')' if broker else 'none: enqueue skipped'}"
        )
        print(f"  machine:  {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
        print(f"RESULT new_events_per_second={new_rate:.0f}")
    finally:
        if broker:
            with celery_app.connection_for_write() as conn:
                conn.default_channel.queue_delete(f"{queue}.default")
        if owner:
            _switch_user(connection, owner["USER"], owner.get("PASSWORD", ""))
        connection.creation.destroy_test_db(old_name, verbosity=0)

    env = [
        f"{name}={_redact(os.environ[name])}"
        for name in ("DATABASE_URL", "DATABASE_OWNER_URL", "REDIS_URL")
        if os.environ.get(name)
    ]
    print("Rerun:", " ".join([*env, ".venv/bin/python bench/webhooks.py", f"--events {args.events}"]))


if __name__ == "__main__":
    main()
