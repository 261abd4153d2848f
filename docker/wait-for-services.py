#!/usr/bin/env python3
"""Wait until the database and Redis InvoiceFlow is configured for accept connections.

Reads the same variables as the settings: DATABASE_URL (PostgreSQL; SQLite needs no wait) and
REDIS_URL / CELERY_BROKER_URL (redis:// or rediss://). Retries each until it answers or the
timeout runs out, then exits 1 with one line per service that never came up. Passwords are
never printed.

    python docker/wait-for-services.py [--timeout SECONDS] [--interval SECONDS]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_TIMEOUT = 60.0


def say(message: str, *, error: bool = False) -> None:
    """A line of the container's log: JSON like the app's when LOG_FORMAT says so."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from invoiceflow.script_log import say as log_line

    log_line(message, logger="wait-for-services", error=error)


def describe(url: str) -> str:
    """scheme://host:port/path without user or password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def check_postgres(url: str, timeout: float) -> None:
    import psycopg

    # psycopg does not know the postgres:// spelling some providers hand out.
    url = "postgresql://" + url.split("://", 1)[1]
    with psycopg.connect(url, connect_timeout=max(1, int(timeout))) as connection:
        connection.execute("SELECT 1")


def check_redis(url: str, timeout: float) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


def services_from_env(env: os._Environ[str] | dict[str, str]) -> list[tuple[str, str, Callable]]:
    services: list[tuple[str, str, Callable]] = []
    database_url = env.get("DATABASE_URL", "").strip()
    if database_url.split("://", 1)[0] in {"postgres", "postgresql", "pgsql"}:
        services.append(("database", database_url, check_postgres))
    seen: set[str] = set()
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        url = env.get(name, "").strip()
        if url.split("://", 1)[0] in {"redis", "rediss"} and url not in seen:
            seen.add(url)
            services.append(("redis" if name == "REDIS_URL" else "broker", url, check_redis))
    return services


def wait_for(services: list[tuple[str, str, Callable]], timeout: float, interval: float) -> list[str]:
    """Returns one failure message per service still unreachable when the time is up."""
    deadline = time.monotonic() + timeout
    pending = list(services)
    errors: dict[str, str] = {}
    while pending:
        still_pending = []
        for label, url, check in pending:
            remaining = max(0.5, min(5.0, deadline - time.monotonic()))
            try:
                check(url, remaining)
            except Exception as error:
                # The error's class and first line are enough to tell "refused" from "auth".
                first_line = (str(error).strip().splitlines() or [""])[0][:200]
                errors[label] = f"{type(error).__name__}: {first_line}".rstrip(": ")
                still_pending.append((label, url, check))
            else:
                say(f"wait-for-services: {label} at {describe(url)} is up")
        pending = still_pending
        if pending and time.monotonic() + interval > deadline:
            break
        if pending:
            time.sleep(interval)
    return [
        f"{label} at {describe(url)} not reachable after {timeout:g}s ({errors[label]})"
        for label, url, _ in pending
    ]


def load_secrets_from_files() -> None:
    """NAME_FILE -> NAME, as the settings do (invoiceflow/secret_files.py): this script runs
    before Django is set up."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from invoiceflow.secret_files import SecretFileError, load_secret_files

    try:
        load_secret_files()
    except SecretFileError as error:
        sys.stderr.write(f"{error}\n")
        raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> int:
    load_secrets_from_files()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--timeout", type=float, default=float(os.environ.get("WAIT_TIMEOUT", DEFAULT_TIMEOUT))
    )
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args(argv)
    services = services_from_env(os.environ)
    if not services:
        say("wait-for-services: nothing to wait for (no PostgreSQL or Redis configured)")
        return 0
    failures = wait_for(services, args.timeout, args.interval)
    for failure in failures:
        say(f"wait-for-services: ERROR: {failure}", error=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
