"""The Celery app. Settings come from Django's, under the CELERY_ prefix."""

import os

from celery import Celery

# Connects the Celery signal handlers: request ids into tasks, Django's logging in the worker.
import invoiceflow.logging  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoiceflow.settings")

app = Celery("invoiceflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
