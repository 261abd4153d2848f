"""Which queue each Celery task goes to, and how long it may run.

One queue per kind of workload, each with its own workers (compose.yaml, deploy/kubernetes/), so
that a bulk run of a thousand PDFs never sits in front of a password-reset email:

    pdf       rendering documents and building bulk archives (CPU and memory heavy)
    email     every outgoing email (short, latency matters to people waiting for them)
    webhooks  outgoing webhook deliveries (network bound, retried on failure)
    default   Stripe events, periodic sweeps and everything else

Tasks are routed by their registered *name*, never by module path, so moving a module does not
move its task to another queue. `invoiceflow/tests/test_task_queues.py` fails when a registered
task has no route here (a renamed or new task), and when a countdown could outlive the broker's
visibility timeout.

The settings (`CELERY_TASK_ROUTES`, `CELERY_TASK_ANNOTATIONS`, the broker transport options) are
built from this module in `invoiceflow/settings.py`; the deployment files read the grace periods
from the figures below (tests compare them).
"""

from __future__ import annotations

from dataclasses import dataclass

PDF = "pdf"
EMAIL = "email"
WEBHOOKS = "webhooks"
DEFAULT = "default"
QUEUES = (PDF, EMAIL, WEBHOOKS, DEFAULT)

TASK_QUEUE: dict[str, str] = {
    "invoices.render_document": PDF,
    "invoices.build_bulk_zip": PDF,
    "invoices.send_message": EMAIL,
    "tenants.tasks.send_invitation_email": EMAIL,
    "billing.tasks.send_payment_receipt": EMAIL,
    "quotes.send_email": EMAIL,
    "webhooks.deliver": WEBHOOKS,
    "webhooks.deliver_due": WEBHOOKS,
    "billing.tasks.process_stripe_event": DEFAULT,
    "billing.tasks.requeue_stale_stripe_events": DEFAULT,
    "billing.tasks.reconcile_open_checkouts": DEFAULT,
    "billing.tasks.reconcile_tenant_checkouts": DEFAULT,
    "billing.plan_tasks.report_invoice_sent": DEFAULT,
    "invoices.dispatch_recurring": DEFAULT,
    "invoices.dispatch_reminders": DEFAULT,
    "tenants.purge_auth_events": DEFAULT,
    # Quotes past their validity date become expired (quotes/tasks.py).
    "quotes.expire_due": DEFAULT,
    # The outbox (events/): delivery on commit and the per-minute sweep for what was left behind.
    "events.dispatch": DEFAULT,
    "events.sweep": DEFAULT,
    # Celery's own canvas helpers run wherever they are sent.
    "celery.accumulate": DEFAULT,
    "celery.backend_cleanup": DEFAULT,
    "celery.chain": DEFAULT,
    "celery.chord": DEFAULT,
    "celery.chord_unlock": DEFAULT,
    "celery.chunks": DEFAULT,
    "celery.group": DEFAULT,
    "celery.map": DEFAULT,
    "celery.starmap": DEFAULT,
}


@dataclass(frozen=True)
class TimeLimit:
    """Seconds. At `soft` the task gets SoftTimeLimitExceeded (it can mark its row failed); at
    `hard` its pool process is killed and replaced."""

    soft: int
    hard: int


# The slowest legitimate run of each task, with room: a bulk archive renders up to 500 PDFs
# (documents.bulk.MAX_BULK_INVOICES) at ~0.3 s each measured here; an email or a
# webhook is bounded by its 10 s network timeout; the periodic sweeps walk every tenant.
DEFAULT_TIME_LIMIT = TimeLimit(soft=120, hard=150)
TIME_LIMITS: dict[str, TimeLimit] = {
    "invoices.render_document": TimeLimit(soft=60, hard=90),
    "invoices.build_bulk_zip": TimeLimit(soft=540, hard=600),
    "invoices.send_message": TimeLimit(soft=45, hard=60),
    "tenants.tasks.send_invitation_email": TimeLimit(soft=45, hard=60),
    "billing.tasks.send_payment_receipt": TimeLimit(soft=45, hard=60),
    "quotes.send_email": TimeLimit(soft=45, hard=60),
    "webhooks.deliver": TimeLimit(soft=45, hard=60),
    "webhooks.deliver_due": TimeLimit(soft=120, hard=150),
    "invoices.dispatch_recurring": TimeLimit(soft=300, hard=360),
    "invoices.dispatch_reminders": TimeLimit(soft=300, hard=360),
}

# The longest countdown any task is queued with (a retry's backoff): billing's 3,600 s plus a
# quarter of jitter (billing.tasks._backoff). Webhook retries further out than this are left to
# the per-minute sweep (api.webhooks.tasks), emails back off at most 3,600 s.
LONGEST_COUNTDOWN_SECONDS = 4500
# Redis hands an unacknowledged message to another worker after this long. A task queued with
# a countdown is held unacknowledged by a worker until it is due, so this must exceed the
# longest countdown (or the task runs twice); it is also how long a task whose worker was
# SIGKILLed waits before it is redelivered.
VISIBILITY_TIMEOUT_SECONDS = 7200


def queue_name(queue: str, prefix: str = "") -> str:
    return f"{prefix}{queue}"


def task_routes(prefix: str = "") -> dict[str, dict[str, str]]:
    """CELERY_TASK_ROUTES: task name -> its queue (prefixed: tests give each run its own)."""
    return {name: {"queue": queue_name(queue, prefix)} for name, queue in TASK_QUEUE.items()}


def task_annotations() -> dict[str, dict[str, int]]:
    """CELERY_TASK_ANNOTATIONS: each task's soft and hard time limits."""
    return {
        name: {"soft_time_limit": limit.soft, "time_limit": limit.hard} for name, limit in TIME_LIMITS.items()
    }


def longest_hard_limit(queue: str) -> int:
    """The longest hard time limit of the tasks routed to `queue`: a worker consuming it must be
    given longer than this to finish its tasks when asked to stop."""
    return max(
        TIME_LIMITS.get(name, DEFAULT_TIME_LIMIT).hard
        for name, routed in TASK_QUEUE.items()
        if routed == queue
    )
