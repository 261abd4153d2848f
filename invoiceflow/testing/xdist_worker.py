"""Each pytest-xdist worker gets a Redis database of its own.

The workers share one Redis server. Without this, one worker's test would read another's cache
entries (each worker's PostgreSQL test database numbers its rows from 1, so keys collide), count
its rate-limit hits, or have them emptied mid-test by the other's `_fresh_counters` (root
conftest). Each worker's PostgreSQL test database is pytest-django's (`test_<name>_gw0`, ...).

The root conftest calls `use_own_redis_database` when it is imported: Django has read its
settings by then (pytest-django sets Django up first), but nothing has opened the cache, the
channel layer or Celery's broker yet, so the settings that name Redis are rewritten here, and the
environment too, for the servers and workers a test starts.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REDIS_DATABASES = 16  # Redis's default `databases`


def worker_redis_url(url: str, worker: str) -> str:
    """`redis://host:6379/0` for worker `gw1` → `redis://host:6379/2`: the databases after the
    one the environment names, which a run without workers keeps for itself."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    index = int(worker.removeprefix("gw"))
    return urlunsplit(parts._replace(path=f"/{(base + 1 + index) % REDIS_DATABASES}"))


def use_own_redis_database(settings: Any) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    shared = settings.REDIS_URL
    if not worker or not shared:
        return
    from invoiceflow.celery import app

    if app.configured:
        raise RuntimeError("Celery read its broker before this worker's Redis database was set")
    own = worker_redis_url(shared, worker)
    os.environ["REDIS_URL"] = own
    settings.REDIS_URL = own
    settings.CACHES["default"]["LOCATION"] = own
    settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [own]
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        if getattr(settings, name) == shared:
            setattr(settings, name, own)
            if os.environ.get(name) == shared:
                os.environ[name] = own
