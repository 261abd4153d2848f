"""Stripe webhook intake and processing.

Intake (`stripe_event_record`) stores a verified event under its unique Stripe id with one
`INSERT ... ON CONFLICT DO NOTHING`: of N concurrent deliveries of one event exactly one
inserts a row and queues its processing; the others see the conflict and do nothing more.

Processing (`stripe_event_process`) runs the registered handler with the row locked, and
records the outcome on the row.
"""

from __future__ import annotations

import enum
import functools
import logging
import traceback
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Field
from django.utils import timezone

from billing.handlers import handler_for
from billing.models import StripeEvent
from billing.webhook_envelope import stripe_event_validate

logger = logging.getLogger(__name__)

# Enough of a traceback to find the failing line; the rest is in the logs.
MAX_ERROR_LENGTH = 4000


class StripeEventFailedError(Exception):
    """A handler raised; the event row is marked failed and the task retries."""


class ProcessOutcome(enum.StrEnum):
    PROCESSED = "processed"
    IGNORED = "ignored"  # no handler for this type
    ALREADY_PROCESSED = "already_processed"
    BUSY = "busy"  # another worker holds the row (or it is gone)


def _insert_unless_present(event: StripeEvent) -> int | None:
    """INSERT the row unless its stripe_id exists; the new row's id, or None on a duplicate.

    `bulk_create(ignore_conflicts=True)` cannot say whether it inserted, and an
    "exists, then insert" check races; this is one atomic statement on PostgreSQL and SQLite.
    """
    meta = StripeEvent._meta
    connection = connections[router.db_for_write(StripeEvent)]
    quote = connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    columns = ", ".join(quote(_column(field)) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    values = [field.get_db_prep_save(field.pre_save(event, add=True), connection) for field in fields]
    # Identifiers come from the model's metadata, values are parameters.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders}) "  # noqa: S608
        f"ON CONFLICT ({quote(_column(meta.get_field('stripe_id')))}) DO NOTHING "
        f"RETURNING {quote(_column(meta.pk))}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    return row[0] if row else None


def _column(field: object) -> str:
    # Django types `column` as optional: only a concrete field has one, and these all are.
    assert isinstance(field, Field)
    assert field.column is not None
    return field.column


def _storable_text(text: str) -> str:
    """`text` without what a PostgreSQL text column refuses (NUL, lone surrogates), escaped.

    A handler's error message may quote the payload; failing to save it would lose the failure.
    """
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def _enqueue(event_row_id: int) -> None:
    from billing.tasks import process_stripe_event

    process_stripe_event.delay(event_row_id)


def stripe_event_record(*, event: Mapping[str, Any]) -> int | None:
    """Store a verified Stripe event; queue its processing after commit.

    Returns the new row's id, or None when the event was already stored (a duplicate delivery).
    Raises `InvalidStripeEventError` (nothing stored) for an envelope the row cannot hold.
    """
    stripe_event_validate(event)
    row = StripeEvent(
        stripe_id=event["id"],
        type=event["type"],
        account=event.get("account") or "",
        livemode=bool(event.get("livemode")),
        api_version=event.get("api_version") or "",
        stripe_created_at=datetime.fromtimestamp(event["created"], tz=UTC),
        payload=dict(event),
    )
    with transaction.atomic():
        row_id = _insert_unless_present(row)
        if row_id is not None:
            # robust: the row is committed whatever happens to the queue; a broker outage is
            # logged and `stripe_events_requeue_stale` picks the event up later.
            transaction.on_commit(lambda: _enqueue(row_id), robust=True)
    return row_id


def stripe_event_process(*, event_row_id: int) -> ProcessOutcome:
    """Run the event's handler once; safe to call again, and from several workers at once."""
    failure: BaseException | None = None
    with transaction.atomic():
        # skip_locked: a second worker given the same event (a retry racing a replay, a
        # redelivered message) must not wait to run it again; the lock holder decides.
        event = StripeEvent.objects.select_for_update(skip_locked=True).filter(pk=event_row_id).first()
        if event is None:
            return ProcessOutcome.BUSY
        if event.status == StripeEvent.Status.PROCESSED:
            return ProcessOutcome.ALREADY_PROCESSED
        handler = handler_for(event.type)
        event.attempts += 1
        try:
            # A savepoint: a failing handler's writes are undone, the failure is recorded.
            with transaction.atomic():
                if handler is not None:
                    handler(event)
        except Exception as exc:
            failure = exc
            event.status = StripeEvent.Status.FAILED
            event.last_error = _storable_text(traceback.format_exc()[-MAX_ERROR_LENGTH:])
            logger.warning("Stripe event %s (%s) failed: %s", event.stripe_id, event.type, exc)
        else:
            event.status = StripeEvent.Status.PROCESSED
            event.handled = handler is not None
            event.last_error = ""
            event.processed_at = timezone.now()
        event.save(update_fields=["status", "handled", "attempts", "last_error", "processed_at"])
    if failure is not None:
        raise StripeEventFailedError(f"{event.type} {event.stripe_id}: {failure}") from failure
    return ProcessOutcome.PROCESSED if handler is not None else ProcessOutcome.IGNORED


def stripe_events_replay(*, event_row_ids: Iterable[int]) -> int:
    """Queue failed (or never processed) events again; processed ones are left alone."""
    ids = list(
        StripeEvent.objects.filter(pk__in=list(event_row_ids))
        .exclude(status=StripeEvent.Status.PROCESSED)
        .values_list("pk", flat=True)
    )
    for row_id in ids:
        transaction.on_commit(functools.partial(_enqueue, row_id), robust=True)
    return len(ids)


def stripe_events_requeue_stale(*, older_than_seconds: int = 600) -> int:
    """Queue events still `received` long after they arrived (their queueing was lost)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = StripeEvent.objects.filter(status=StripeEvent.Status.RECEIVED, received_at__lt=cutoff)
    return stripe_events_replay(event_row_ids=ids.values_list("pk", flat=True))
