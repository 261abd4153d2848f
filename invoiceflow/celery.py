"""The Celery app. Settings come from Django's, under the CELERY_ prefix."""

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_process_init

# Connects the Celery signal handlers: request ids into tasks, Django's logging in the worker;
# the worker's liveness heartbeat; its console messages in the log format.
import invoiceflow.celery_console
import invoiceflow.logging
import invoiceflow.worker_health  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoiceflow.settings")

app = Celery("invoiceflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(sender: Any = None, **kwargs: Any) -> None:
    """Treat each task as Django treats a request: hand the connection back to the pool (or,
    with DATABASE_POOL=false, keep it up to CONN_MAX_AGE), drop it if it broke or its
    transaction state is off, and health-check it before reuse.

    Celery's own Django fixup closes every connection after every task unless
    CELERY_DB_REUSE_MAX is set (see settings): a new PostgreSQL backend per PDF, with its
    catalog caches cold, costs more than rendering a small invoice's HTML. In-process (eager)
    tasks run inside a request or a test transaction, whose connection is not ours to close.
    """
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@worker_process_init.connect
def _one_pooled_connection_per_process(**kwargs: Any) -> None:
    """A prefork pool process runs one task at a time on one thread, so its connection pool
    (settings: DATABASE_POOL) is sized one: a worker holds at most CELERY_WORKER_CONCURRENCY
    connections. With the web's size, psycopg's pool would open a second connection whenever a
    broken one was being replaced while a task waited, and keep it for DATABASE_POOL's idle time.
    """
    from django.db import connections
    from django.db.backends.postgresql.base import DatabaseWrapper

    for connection in connections.all():
        pool = connection.settings_dict.get("OPTIONS", {}).get("pool")
        # Only PostgreSQL's backend has a pool.
        if not isinstance(pool, dict) or not isinstance(connection, DatabaseWrapper):
            continue
        pool.update(min_size=min(pool.get("min_size", 1), 1), max_size=1)
        # A pool object built before the fork (never opened) would keep the old size.
        connection.close_pool()
