"""The Celery app. Settings come from Django's, under the CELERY_ prefix."""

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

# Connects the Celery signal handlers: request ids into tasks, Django's logging in the worker.
import invoiceflow.logging  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoiceflow.settings")

app = Celery("invoiceflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(sender: Any = None, **kwargs: Any) -> None:
    """Treat each task as Django treats a request: keep the connection up to CONN_MAX_AGE,
    drop it if it broke or its transaction state is off, and health-check it before reuse.

    Celery's own Django fixup closes every connection after every task unless
    CELERY_DB_REUSE_MAX is set (see settings): a new PostgreSQL backend per PDF, with its
    catalog caches cold, costs more than rendering a small invoice's HTML. In-process (eager)
    tasks run inside a request or a test transaction, whose connection is not ours to close.
    """
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
