"""A real PgBouncer (Debian's `pgbouncer`) in transaction mode for the tests and the benchmark.

`start_pgbouncer()` runs it on a free loopback port in front of the PostgreSQL server the
settings point at (any database name is passed through), with `pool_mode = transaction` as
production runs it (deploy/kubernetes/, docs/kubernetes.md). PgBouncer trusts its clients here
(`auth_type = trust`, loopback only) and logs in to PostgreSQL with the credentials of its
auth file. It refuses to run as root, so under root it runs as the `postgres` system user.

`through_pgbouncer(connection, bouncer)` points a Django connection (and its psycopg pool) at
it for the duration of a block, with server-side cursors off, as the settings do with
DATABASE_DISABLE_SERVER_SIDE_CURSORS=true.
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from invoiceflow.testing.processes import (
    free_port,
    port_accepts,
    start_process,
    stop_process,
    tail,
    wait_until,
)

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


@dataclass
class PgBouncer:
    process: Any
    port: int
    admin_user: str
    directory: Path

    def admin(self, command: str) -> list[dict[str, Any]]:
        """Run a command on PgBouncer's admin console (SHOW POOLS, SHOW STATS, ...)."""
        with psycopg.connect(
            host="127.0.0.1", port=self.port, dbname="pgbouncer", user=self.admin_user, autocommit=True
        ) as conn:
            cursor = conn.execute(command, prepare=False)
            names = [column.name for column in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def log(self, lines: int | None = 40) -> str:
        return tail(self.directory / "pgbouncer.log", lines)


def available() -> bool:
    return os.path.exists(PGBOUNCER)


def start_pgbouncer(
    *, server_host: str, server_port: int, users: dict[str, str], pool_size: int = 20, max_clients: int = 500
) -> PgBouncer:
    """`users`: role -> password PgBouncer logs in to PostgreSQL with (empty: trust/peer)."""
    run_as = "postgres" if os.geteuid() == 0 else None
    directory = Path(tempfile.mkdtemp(prefix="invoiceflow-pgbouncer-"))
    port = free_port()
    auth_file = directory / "users.txt"
    auth_file.write_text("".join(f'"{user}" "{password}"\n' for user, password in users.items()))
    config = directory / "pgbouncer.ini"
    config.write_text(
        "\n".join(
            [
                "[databases]",
                f"* = host={server_host} port={server_port}",
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                f"listen_port = {port}",
                "unix_socket_dir =",
                "auth_type = trust",
                f"auth_file = {auth_file}",
                "pool_mode = transaction",
                f"default_pool_size = {pool_size}",
                "min_pool_size = 0",
                f"max_client_conn = {max_clients}",
                f"admin_users = {next(iter(users))}",
                # Sent by drivers at connect; PgBouncer would refuse the connection otherwise.
                "ignore_startup_parameters = extra_float_digits,options",
                "server_idle_timeout = 30",
                "",
            ]
        )
    )
    if run_as:
        account = pwd.getpwnam(run_as)
        for path in (directory, auth_file, config):
            os.chown(path, account.pw_uid, account.pw_gid)
    process = start_process(
        [PGBOUNCER, str(config)], env=dict(os.environ), log_path=directory / "pgbouncer.log", user=run_as
    )
    bouncer = PgBouncer(process, port, next(iter(users)), directory)
    if not wait_until(lambda: process.poll() is not None or port_accepts("127.0.0.1", port), timeout=15):
        stop_pgbouncer(bouncer)
        raise RuntimeError(f"pgbouncer did not listen on {port}:\n{bouncer.log()}")
    if process.poll() is not None:
        log = bouncer.log()
        stop_pgbouncer(bouncer)
        raise RuntimeError(f"pgbouncer exited:\n{log}")
    return bouncer


def stop_pgbouncer(bouncer: PgBouncer) -> None:
    try:
        stop_process(bouncer.process, grace=5)
    finally:
        shutil.rmtree(bouncer.directory, ignore_errors=True)


def start_for_connection(connection: Any, **options: Any) -> PgBouncer:
    """A PgBouncer in front of the server `connection` (Django's) talks to, for its role."""
    settings = connection.settings_dict
    return start_pgbouncer(
        server_host=settings.get("HOST") or "127.0.0.1",
        server_port=int(settings.get("PORT") or 5432),
        users={settings["USER"]: settings.get("PASSWORD") or ""},
        **options,
    )


@contextmanager
def through_pgbouncer(connection: Any, bouncer: PgBouncer) -> Iterator[None]:
    """Point a Django connection at PgBouncer (and back afterwards)."""
    settings = connection.settings_dict
    saved = {name: settings.get(name) for name in ("HOST", "PORT", "DISABLE_SERVER_SIDE_CURSORS")}
    _reconnect(connection)
    settings.update(HOST="127.0.0.1", PORT=str(bouncer.port), DISABLE_SERVER_SIDE_CURSORS=True)
    try:
        yield
    finally:
        # The address goes back even if closing the pool fails: a connection left pointing at
        # a stopped PgBouncer would fail every later test of this process.
        try:
            _reconnect(connection)
        finally:
            settings.update(saved)


def _reconnect(connection: Any) -> None:
    # The psycopg pool keeps the address it was made with: it goes too (as reconnect_as does).
    connection.close()
    close_pool = getattr(connection, "close_pool", None)
    if close_pool is not None:
        close_pool()
