"""Liveness and readiness probes for load balancers, orchestrators and compose health checks.

`/healthz`: the process answers. It touches nothing else, so a database outage does not get
every web process restarted.

`/readyz`: this process can serve real traffic: the database answers and has every migration
applied, Redis answers (when configured), and the file storage is reachable. Each component
reports only "ok" or "fail": host names, versions and error text go to the log, never into the
response, which anyone who can reach the port may read.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import redis
from botocore.config import Config
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# Seconds a probe may wait on Redis; on the database it waits DATABASE_POOL_TIMEOUT for a pooled
# connection (without the pool, DATABASE_URL's `?connect_timeout=3`).
REDIS_TIMEOUT = 2.0
# Seconds a probe may wait on S3.
S3_TIMEOUT = 2.0
# Storages other than S3 and local disk: the probe looks this name up; it need not exist.
STORAGE_PROBE_NAME = "readyz-probe"
_s3_clients: dict[tuple, Any] = {}

# Once this process has seen every migration applied, later probes skip loading the
# migration graph: code cannot gain migrations without a restart.
_migrations_verified = False


def check_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_migrations() -> None:
    global _migrations_verified
    if _migrations_verified:
        return
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} migration(s) not applied")
    _migrations_verified = True


def check_redis() -> None:
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
    )
    try:
        client.ping()
    finally:
        client.close()


def _s3_probe_client(storage: Any) -> Any:
    """A client like the storage's, but quick to give up: a probe must not hang on retries."""
    key = (storage.endpoint_url, storage.region_name, storage.access_key, storage.bucket_name)
    client = _s3_clients.get(key)
    if client is None:
        session = boto3.session.Session(
            aws_access_key_id=storage.access_key,
            aws_secret_access_key=storage.secret_key,
            aws_session_token=storage.security_token,
        )
        client = session.client(
            "s3",
            region_name=storage.region_name,
            endpoint_url=storage.endpoint_url,
            use_ssl=storage.use_ssl,
            verify=storage.verify,
            config=storage.client_config.merge(
                Config(connect_timeout=S3_TIMEOUT, read_timeout=S3_TIMEOUT, retries={"max_attempts": 1})
            ),
        )
        _s3_clients[key] = client
    return client


def _writable_directory_or_creatable(path: Path) -> bool:
    """The media directory, or (before the first upload) the nearest existing parent."""
    while not path.exists():
        if path.parent == path:
            return False
        path = path.parent
    return path.is_dir() and os.access(path, os.W_OK | os.X_OK)


def check_storage() -> None:
    storage = default_storage
    bucket_name = getattr(storage, "bucket_name", None)
    if bucket_name:
        # S3: the bucket exists and our keys may use it (a missing bucket is a 404 here,
        # where a missing object would not be an error at all).
        _s3_probe_client(storage).head_bucket(Bucket=bucket_name)
        return
    location = getattr(storage, "location", None)
    if location is not None:
        if not _writable_directory_or_creatable(Path(location)):
            raise RuntimeError("media directory is not writable")
        return
    storage.exists(STORAGE_PROBE_NAME)


def readiness_checks() -> dict[str, Callable[[], None]]:
    checks: dict[str, Callable[[], None]] = {
        "database": check_database,
        "migrations": check_migrations,
    }
    if settings.REDIS_URL:
        checks["redis"] = check_redis
    checks["storage"] = check_storage
    return checks


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    for name, check in readiness_checks().items():
        if name == "migrations" and results.get("database") == "fail":
            results[name] = "fail"
            continue
        started = time.monotonic()
        try:
            check()
        except Exception:
            logger.warning("readiness check %s failed", name, exc_info=True)
            results[name] = "fail"
        else:
            results[name] = "ok"
        elapsed = time.monotonic() - started
        if elapsed > 1:
            logger.warning("readiness check %s took %.1fs", name, elapsed)
    ready = all(value == "ok" for value in results.values())
    return JsonResponse(
        {"status": "ok" if ready else "fail", "checks": results}, status=200 if ready else 503
    )
