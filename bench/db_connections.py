"""Benchmark: database connections held by two uvicorn processes under 16 API clients, with the
connection pool (today's settings) and with the old configuration (no pool, CONN_MAX_AGE=60).

1. A private PostgreSQL cluster (initdb in a temporary folder, on a free port, PostgreSQL's
   default max_connections of 100) gets the owner and app roles (docker/db-roles.sh) and the
   migrations (docker/entrypoint.sh migrate). Private, because the old configuration runs the
   server out of connections: on a shared server that would fail everyone else's sessions.
2. Two tenants, each with a client and an API key.
3. For each configuration, `docker/entrypoint.sh web` (uvicorn, WEB_CONCURRENCY processes,
   DEBUG off) serves 16 keep-alive clients that each send GET /api/v1/clients/ as soon as their
   last answer arrived, for --seconds. Every 0.1 s pg_stat_activity counts the server's
   connections (its own application_name). Each answer must list only its tenant's client.

    REDIS_URL=redis://127.0.0.1:6379/1 .venv/bin/python bench/db_connections.py

Needs the PostgreSQL server binaries (initdb, postgres: Debian's postgresql package); run as
root it starts them as the postgres user. Without REDIS_URL the web processes cache in memory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoiceflow.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from invoiceflow.testing.processes import (  # noqa: E402
    free_port,
    port_accepts,
    start_process,
    stop_process,
    tail,
    wait_until,
)

CONFIGURATIONS = {
    "pool (defaults)": {},
    "old: no pool, CONN_MAX_AGE=60": {"DATABASE_POOL": "false", "DATABASE_CONN_MAX_AGE": "60"},
}


def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise SystemExit("Needs the PostgreSQL server binaries (apt-get install postgresql).")
    return found[-1].parent


@contextmanager
def private_postgres(workdir: Path) -> Iterator[int]:
    """A throwaway PostgreSQL cluster (superuser postgres, no passwords); yields its port."""
    binaries = _postgres_bin()
    user = "postgres" if os.geteuid() == 0 else None
    data = workdir / "pgdata"
    data.mkdir()
    if user:
        shutil.chown(workdir, user, user)
        shutil.chown(data, user, user)
    subprocess.run(
        [str(binaries / "initdb"), "-D", str(data), "--auth=trust", "--username=postgres", "-E", "UTF8"],
        user=user,
        group=user,
        check=True,
        capture_output=True,
    )
    port = free_port()
    process = start_process(
        [str(binaries / "postgres"), "-D", str(data), "-p", str(port), "-c", "listen_addresses=127.0.0.1",
         "-c", f"unix_socket_directories={workdir}", "-c", "max_connections=100"],
        env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"},
        log_path=workdir / "postgres.log",
        user=user,
    )  # fmt: skip
    try:
        if not wait_until(lambda: port_accepts("127.0.0.1", port), timeout=30, interval=0.2):
            raise SystemExit(f"PostgreSQL did not start:\n{tail(workdir / 'postgres.log')}")
        time.sleep(0.5)  # accepting TCP before it accepts logins
        yield port
    finally:
        stop_process(process, grace=20, first=signal.SIGINT)  # PostgreSQL's fast shutdown


def _prepare_database(port: int, workdir: Path) -> dict[str, str]:
    urls = {
        "admin": f"postgresql://postgres@127.0.0.1:{port}/postgres",
        "DATABASE_URL": f"postgresql://invoiceflow_app@127.0.0.1:{port}/invoiceflow",
        "DATABASE_OWNER_URL": f"postgresql://invoiceflow_owner@127.0.0.1:{port}/invoiceflow",
    }
    env = {**os.environ, "PG_ADMIN_URL": urls["admin"]}
    subprocess.run(["bash", str(ROOT / "docker" / "db-roles.sh")], env=env, check=True, capture_output=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "TEST_DATABASE", "DJANGO_SETTINGS_MODULE"))
    }
    env.update(
        DATABASE_URL=urls["DATABASE_URL"],
        DATABASE_OWNER_URL=urls["DATABASE_OWNER_URL"],
        PYTHON=sys.executable,
        MEDIA_ROOT=str(workdir / "media"),
    )
    result = subprocess.run(
        ["bash", str(ROOT / "docker" / "entrypoint.sh"), "migrate"], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"migrate failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return urls


def _seed() -> list[tuple[str, str]]:
    from api.services import api_key_create
    from invoices.tests.factories import ClientFactory
    from tenants.models import Role
    from tenants.scoping import tenant_scope
    from tenants.tests.factories import MembershipFactory

    tenants = []
    for index in range(2):
        membership = MembershipFactory(role=Role.OWNER)
        with tenant_scope(membership.tenant):
            client = ClientFactory(name=f"Bench client of tenant {index}")
        key = api_key_create(actor=membership, name="bench", role=Role.OWNER).secret
        tenants.append((key, client.name))
    return tenants


def lists_only(expected: str) -> Callable[[bytes], str | None]:
    def check(body: bytes) -> str | None:
        names = [row["name"] for row in json.loads(body)["results"]]
        return None if names == [expected] else f"expected {expected!r}, got {names!r}"

    return check


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn processes (WEB_CONCURRENCY)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-db-connections-"))
    try:
        with private_postgres(workdir) as port:
            urls = _prepare_database(port, workdir)
            for name in list(os.environ):
                if name.startswith(("DATABASE_", "TEST_DATABASE")):
                    del os.environ[name]
            os.environ["DATABASE_URL"] = urls["DATABASE_URL"]

            import django

            django.setup()
            from django.conf import settings
            from django.db import connection

            from invoiceflow.testing.load import Client, run_load
            from invoiceflow.testing.web_server import start_web, stop_web

            tenants = _seed()
            connection.close()
            connection.close_pool()
            pool_max = settings.DATABASE_POOL_MAX_SIZE

            clients = [
                Client("/api/v1/clients/", {"Authorization": f"Bearer {key}"}, lists_only(name))
                for key, name in (tenants[index % 2] for index in range(args.clients))
            ]
            print(
                f"{args.clients} clients, GET /api/v1/clients/ (API key, two tenants), {args.seconds:.0f} s "
                f"per configuration; uvicorn with {args.workers} processes; private PostgreSQL, "
                "max_connections 100"
            )
            rows = []
            for label, extra in CONFIGURATIONS.items():
                server = start_web(
                    database_url=urls["DATABASE_URL"],
                    log_dir=workdir,
                    workers=args.workers,
                    extra_env={"API_RATE_LIMIT": str(10**9), **extra},
                )
                try:
                    result = run_load(server, clients, seconds=args.seconds, monitor_url=urls["admin"])
                finally:
                    stop_web(server)
                wrong = [error for error in result.errors if error.startswith("expected")]
                rows.append((label, result, len(result.errors) - len(wrong), len(wrong)))
                time.sleep(2)  # the stopped server's connections close

            bound = f"bound {args.workers} x {pool_max} = {args.workers * pool_max}"
            print(
                f"\n  {'configuration':<32} {'conn max':>8} {'conn mean':>9} {'req/s':>7} {'p50 ms':>7} "
                f"{'p95 ms':>7} {'5xx':>6} {'requests':>9} {'transport errors':>16} {'wrong tenant':>12}"
            )
            for label, result, transport, wrong in rows:
                print(
                    f"  {label:<32} {result.max_connections:>8} {result.mean_connections:>9.1f} "
                    f"{result.requests_per_second:>7.1f} {result.latency_percentile(50) * 1000:>7.0f} "
                    f"{result.latency_percentile(95) * 1000:>7.0f} {result.server_errors:>6} "
                    f"{result.requests:>9} {transport:>16} {wrong:>12}"
                )
            print(f"  pool: DATABASE_POOL_MAX_SIZE={pool_max} per process ({bound})")
            print(f"  machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    redis = f"REDIS_URL={os.environ['REDIS_URL']} " if os.environ.get("REDIS_URL") else ""
    print(
        f"Rerun: {redis}.venv/bin/python bench/db_connections.py --seconds {args.seconds:.0f} "
        f"--clients {args.clients} --workers {args.workers}"
    )


if __name__ == "__main__":
    main()
