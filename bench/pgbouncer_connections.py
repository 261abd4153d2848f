"""Benchmark: PostgreSQL backends as worker processes grow, straight to PostgreSQL and through
PgBouncer in transaction mode (Debian's pgbouncer, invoiceflow/testing/pgbouncer.py).

A private PostgreSQL cluster (bench/db_connections.py: initdb on a free port, the roles of
docker/db-roles.sh, the migrations) gets one tenant with a client. Then, for each count of
processes (--processes, default 2 4 8 16 32), that many Python processes with the app's
settings each run tasks as a Celery pool process does: one pooled connection (the worker's
pool size of 1), a transaction in the tenant's scope (SET LOCAL and two reads under row-level
security), then --pause seconds of non-database work (a PDF render, an SMTP exchange). Every
0.1 s pg_stat_activity counts the app role's backends. Through PgBouncer the processes share
--pool-size server connections.

    .venv/bin/python bench/pgbouncer_connections.py [--seconds 8] [--pool-size 5]

Run as root it starts PostgreSQL and PgBouncer as the postgres user.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoiceflow.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from db_connections import _prepare_database, private_postgres  # noqa: E402

from invoiceflow.testing import pgbouncer  # noqa: E402


def child(seconds: float, pause: float) -> None:
    """One worker-like process: tasks until the time is up; prints how many it ran."""
    import django

    django.setup()
    from django.db import close_old_connections, transaction

    from invoices.models import Client
    from tenants.models import Tenant
    from tenants.scoping import tenant_scope

    tenant = Tenant.objects.get()
    deadline = time.monotonic() + seconds
    tasks = 0
    while time.monotonic() < deadline:
        with transaction.atomic(), tenant_scope(tenant):
            # A task's database part: a few reads under row-level security.
            list(Client.objects.order_by("pk")[:10])
            Client.objects.filter(name__startswith="Bench").count()
        close_old_connections()  # what invoiceflow.celery does after each task
        tasks += 1
        time.sleep(pause)
    print(tasks, flush=True)


def run_processes(
    count: int, env: dict[str, str], args: argparse.Namespace, admin_url: str
) -> tuple[int, float, int]:
    import psycopg

    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--child", str(args.seconds), str(args.pause)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    samples = []
    with psycopg.connect(admin_url, autocommit=True) as admin:
        while any(process.poll() is None for process in children):
            row = admin.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE usename = 'invoiceflow_app' AND datname = 'invoiceflow'"
            ).fetchone()
            samples.append(row[0])
            time.sleep(0.1)
    tasks = 0
    for process in children:
        out, _ = process.communicate(timeout=30)
        if process.returncode != 0:
            raise SystemExit(f"a worker process failed (exit {process.returncode})")
        tasks += int(out.strip().splitlines()[-1])
    return max(samples), statistics.mean(samples), tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[2, 4, 8, 16, 32])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--pause", type=float, default=0.05, help="seconds of non-database work per task")
    parser.add_argument("--pool-size", type=int, default=5, help="PgBouncer's server connections")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-pgbouncer-"))
    try:
        with private_postgres(workdir) as port:
            urls = _prepare_database(port, workdir)
            for name in list(os.environ):
                if name.startswith(("DATABASE_", "TEST_DATABASE")):
                    del os.environ[name]
            os.environ["DATABASE_URL"] = urls["DATABASE_URL"]
            import django

            django.setup()
            from django.db import connection

            from invoices.tests.factories import ClientFactory
            from tenants.scoping import tenant_scope
            from tenants.tests.factories import TenantFactory

            with tenant_scope(TenantFactory()):
                ClientFactory(name="Bench client")
            connection.close()
            connection.close_pool()

            bouncer = pgbouncer.start_pgbouncer(
                server_host="127.0.0.1",
                server_port=port,
                users={"invoiceflow_app": ""},
                pool_size=args.pool_size,
            )
            try:
                base = {
                    key: value
                    for key, value in os.environ.items()
                    if not key.startswith(("DATABASE_", "CELERY_", "REDIS_URL"))
                }
                base.update(DATABASE_POOL_MIN_SIZE="1", DATABASE_POOL_MAX_SIZE="1", PYTHONPATH=str(ROOT))
                routes = {
                    "PostgreSQL directly": {"DATABASE_URL": urls["DATABASE_URL"]},
                    f"PgBouncer (transaction, pool {args.pool_size})": {
                        "DATABASE_URL": f"postgresql://invoiceflow_app@127.0.0.1:{bouncer.port}/invoiceflow",
                        "DATABASE_DISABLE_SERVER_SIDE_CURSORS": "true",
                    },
                }
                print(
                    "Worker-like processes (one pooled connection each), each running tasks for "
                    f"{args.seconds:.0f} s: a tenant-scoped transaction, then "
                    f"{args.pause * 1000:.0f} ms of other work"
                )
                print(f"\n  {'route':<34} {'processes':>9} {'backends max':>12} {'mean':>6} {'tasks/s':>8}")
                for label, extra in routes.items():
                    for count in args.processes:
                        most, mean, tasks = run_processes(count, {**base, **extra}, args, urls["admin"])
                        print(
                            f"  {label:<34} {count:>9} {most:>12} {mean:>6.1f} {tasks / args.seconds:>8.0f}"
                        )
                        time.sleep(1)  # the processes' connections close
            finally:
                pgbouncer.stop_pgbouncer(bouncer)
            print(f"  machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"Rerun: .venv/bin/python bench/pgbouncer_connections.py --seconds {args.seconds:.0f} "
        f"--pause {args.pause} --pool-size {args.pool_size} --processes {' '.join(map(str, args.processes))}"
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(float(sys.argv[2]), float(sys.argv[3]))
    else:
        main()
