"""Celery: the broker, how tasks are acknowledged, and the periodic (beat) schedule."""

from __future__ import annotations

from core import task_queues

from .cache import REDIS_URL
from .env import env_int, env_str

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL) or None
# No broker configured: run tasks in-process so the embedded default needs no worker.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# --- task queues and time limits (core/task_queues.py; deployment: issue #20) ---------
# One queue per workload (pdf, email, webhooks, default), routed by task name. Tests give each
# run a queue prefix of its own, so parallel runs on one broker never swap tasks.
CELERY_QUEUE_PREFIX = env_str("CELERY_QUEUE_PREFIX")
CELERY_TASK_DEFAULT_QUEUE = task_queues.queue_name(task_queues.DEFAULT, CELERY_QUEUE_PREFIX)
CELERY_TASK_ROUTES = task_queues.task_routes(CELERY_QUEUE_PREFIX)
CELERY_TASK_ANNOTATIONS = task_queues.task_annotations()
CELERY_TASK_SOFT_TIME_LIMIT = task_queues.DEFAULT_TIME_LIMIT.soft
CELERY_TASK_TIME_LIMIT = task_queues.DEFAULT_TIME_LIMIT.hard
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": task_queues.VISIBILITY_TIMEOUT_SECONDS}
# --- end of task queues ------------------------------------------------------------------------
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Celery's Django fixup would close the database connection after every task; with a number
# here it does so only every that many tasks, and invoiceflow.celery recycles connections as
# Django's request cycle does instead (back to the pool, health-checked before reuse).
CELERY_DB_REUSE_MAX = 1000

# Periodic tasks (celery beat). Other apps add their entries here.
CELERY_BEAT_SCHEDULE = {
    # Outbox events whose on-commit dispatch did not handle them (a lost message, a dead
    # worker, a retry that is due): each subscriber still gets each event once (events/).
    "events-sweep": {"task": "events.sweep", "schedule": 60.0},
    # Outgoing webhook deliveries whose next attempt is due (a lost retry is picked up here).
    "webhooks-deliver-due": {"task": "webhooks.deliver_due", "schedule": 60.0},
    # Recurring invoices and payment reminders (delivery/recurring.py, delivery/reminders.py):
    # each period / reminder step is claimed by a unique row, so extra runs send nothing twice.
    "invoices-dispatch-recurring": {"task": "invoices.dispatch_recurring", "schedule": 3600.0},
    "invoices-dispatch-reminders": {"task": "invoices.dispatch_reminders", "schedule": 3600.0},
    # Sent quotes past their validity date expire (quotes/tasks.py); a second run finds none.
    "quotes-expire-due": {"task": "quotes.expire_due", "schedule": 3600.0},
    # The sign-in audit keeps 90 days (tenants/auth_guard.py).
    "tenants-purge-auth-events": {"task": "tenants.purge_auth_events", "schedule": 86400.0},
    # Stripe events whose queueing was lost (a broker outage at intake) are queued again.
    "billing-requeue-stale-stripe-events": {
        "task": "billing.tasks.requeue_stale_stripe_events",
        "schedule": 300.0,
    },
    # Ask Stripe about Checkout sessions still open for our invoices: a lost webhook cannot
    # leave a paid invoice unpaid in our books.
    "billing-reconcile-checkout": {
        "task": "billing.tasks.reconcile_open_checkouts",
        "schedule": 60.0 * env_int("STRIPE_RECONCILE_MINUTES", 15),
    },
}
