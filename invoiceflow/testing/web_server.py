"""The real web server for tests and benchmarks: `docker/entrypoint.sh web` (uvicorn with
WEB_CONCURRENCY worker processes), as production runs it, on loopback, against the given database.

It runs with DEBUG off and its own secret key, static files from the source folders (TESTING),
serves plain HTTP on 127.0.0.1 (no HTTPS redirect),
does not migrate on start, and tags its database connections with an `application_name` of its
own (`server.application_name`), so `pg_stat_activity` tells them apart from every other client of
the server: `database_connections(server)` counts them.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg

from invoiceflow.testing.processes import free_port, start_process, stop_process, tail, wait_until

BASE_DIR = Path(__file__).resolve().parent.parent.parent
ENTRYPOINT = BASE_DIR / "docker" / "entrypoint.sh"
# Set for the test process, wrong for the server: it gets its database and settings explicitly.
_NOT_INHERITED = (
    "DATABASE_URL",
    "DATABASE_OWNER_URL",
    "DATABASE_CONNECT_AS_OWNER",
    "DATABASE_APP_ROLE",
    "DATABASE_CONN_MAX_AGE",
    "DATABASE_POOL",
    "DATABASE_POOL_MIN_SIZE",
    "DATABASE_POOL_MAX_SIZE",
    "DATABASE_POOL_TIMEOUT",
    "TEST_DATABASE_NAME",
    "SQLITE_PATH",
    "MEDIA_ROOT",
    "CELERY_QUEUE_PREFIX",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "TESTING",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "WEB_CONCURRENCY",
)


@dataclass
class WebServer:
    process: subprocess.Popen[bytes]
    port: int
    workers: int
    application_name: str
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self, lines: int | None = 60) -> str:
        return tail(self.log_path, lines)


def with_application_name(database_url: str, name: str) -> str:
    parts = urlsplit(database_url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "application_name"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("application_name", name)])))


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback only)
            return response.status == 200
    except OSError:  # refused, reset, timed out (urllib.error.URLError is one too)
        return False


def start_web(
    *, database_url: str, log_dir: Path, workers: int = 2, extra_env: dict[str, str] | None = None
) -> WebServer:
    """Start the web role and wait until /healthz answers. `database_url` is the app role's."""
    application_name = f"invoiceflow-test-web-{secrets.token_hex(4)}"
    port = free_port()
    env = {name: value for name, value in os.environ.items() if name not in _NOT_INHERITED}
    env.update(
        PYTHON=sys.executable,
        PYTHONUNBUFFERED="1",
        DATABASE_URL=with_application_name(database_url, application_name),
        DEBUG="false",
        # Static files from the source folders: a checkout has no collectstatic manifest.
        TESTING="true",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1",
        EMAIL_PROVIDER="console",
        SECURE_SSL_REDIRECT="false",
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY=str(workers),
        MIGRATE_ON_START="false",
        CREATE_BUCKET="false",
        MEDIA_ROOT=str(log_dir / "media"),
        WAIT_TIMEOUT="20",
        LOG_LEVEL="WARNING",
    )
    env.update(extra_env or {})
    log_path = log_dir / f"web-{application_name}.log"
    process = start_process(["bash", str(ENTRYPOINT), "web"], env=env, log_path=log_path, cwd=BASE_DIR)
    server = WebServer(process, port, workers, application_name, log_path)
    up = wait_until(
        lambda: process.poll() is not None or _answers(f"{server.url}/healthz"), timeout=90, interval=0.2
    )
    if not up or process.poll() is not None:
        stop_web(server)
        raise RuntimeError(f"the web server did not answer /healthz; its log ends with:\n{server.log()}")
    return server


def stop_web(server: WebServer) -> None:
    stop_process(server.process, grace=15)


def database_connections(monitor: psycopg.Connection, server: WebServer) -> int:
    """How many connections the server's processes hold open right now, busy or idle."""
    row = monitor.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [server.application_name]
    ).fetchone()
    return int(row[0]) if row else 0
