"""Processing stored events: the handler registry, the task, replay from the admin."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing import handlers
from billing.models import StripeEvent
from billing.services import (
    ProcessOutcome,
    StripeEventFailedError,
    stripe_event_process,
    stripe_event_record,
    stripe_events_requeue_stale,
)
from billing.tasks import process_stripe_event
from billing.tests.fixtures import make_stripe_event
from tenants.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_celery_eager")]


def stored(event_type: str = "charge.refunded", **fields: Any) -> StripeEvent:
    event = make_stripe_event(event_type, "charge")
    return StripeEvent.objects.create(stripe_id=event["id"], type=event_type, payload=event, **fields)


@pytest.fixture
def counting_handler(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    state: dict[str, Any] = {"calls": 0, "fail": False, "sleep": 0.0}

    def handler(event: StripeEvent) -> None:
        state["calls"] += 1
        time.sleep(state["sleep"])
        if state["fail"]:
            raise ValueError("books do not balance")

    monkeypatch.setitem(handlers._registry, "charge.refunded", handler)
    return state


def test_handles_registers_and_refuses_a_second_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers, "_registry", {})

    @handlers.handles("a.one", "a.two")
    def first(event: StripeEvent) -> None: ...

    assert handlers.handler_for("a.one") is first
    assert handlers.registered_event_types() == ["a.one", "a.two"]
    handlers.handles("a.one")(first)  # the same function again (a module re-import) is fine
    with pytest.raises(ImproperlyConfigured, match="already has a handler"):

        @handlers.handles("a.two")
        def second(event: StripeEvent) -> None: ...


def test_processing_twice_runs_the_handler_once(counting_handler: dict[str, Any]) -> None:
    row = stored()
    assert stripe_event_process(event_row_id=row.pk) == ProcessOutcome.PROCESSED
    assert stripe_event_process(event_row_id=row.pk) == ProcessOutcome.ALREADY_PROCESSED
    assert process_stripe_event.delay(row.pk).get() == "already_processed"
    assert counting_handler["calls"] == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("processed", 1)


def test_failure_is_recorded_and_the_handlers_writes_undone(monkeypatch: pytest.MonkeyPatch) -> None:
    row = stored()

    def handler(event: StripeEvent) -> None:
        StripeEvent.objects.filter(pk=event.pk).update(type="written.by.handler")
        raise ValueError("books do not balance")

    monkeypatch.setitem(handlers._registry, "charge.refunded", handler)
    with pytest.raises(StripeEventFailedError):
        stripe_event_process(event_row_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.type) == ("failed", 1, "charge.refunded")
    assert "ValueError: books do not balance" in row.last_error


def test_missing_row_is_not_an_error() -> None:
    assert stripe_event_process(event_row_id=987654) == ProcessOutcome.BUSY


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_row_being_processed_is_skipped_not_waited_for(counting_handler: dict[str, Any]) -> None:
    row = stored()
    counting_handler["sleep"] = 0.5
    outcomes: list[ProcessOutcome] = []
    started = threading.Event()

    def worker() -> None:
        try:
            started.set()
            outcomes.append(stripe_event_process(event_row_id=row.pk))
        finally:
            connections.close_all()

    first = threading.Thread(target=worker)
    first.start()
    started.wait()
    time.sleep(0.2)  # the first worker holds the row lock inside its handler
    began = time.monotonic()
    assert stripe_event_process(event_row_id=row.pk) == ProcessOutcome.BUSY
    assert time.monotonic() - began < 0.3  # skipped, not blocked behind the lock
    first.join(timeout=10)
    assert outcomes == [ProcessOutcome.PROCESSED]
    assert counting_handler["calls"] == 1


def test_requeue_stale_received_events(
    counting_handler: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    old = stored(received_at=timezone.now() - timedelta(minutes=30))
    fresh = stored()
    with django_capture_on_commit_callbacks(execute=True):
        assert stripe_events_requeue_stale(older_than_seconds=600) == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == ("processed", "received")


def test_record_returns_none_for_a_duplicate(django_capture_on_commit_callbacks: Any) -> None:
    event = make_stripe_event("plan.created", "plan")
    with django_capture_on_commit_callbacks() as callbacks:
        first = stripe_event_record(event=event)
        second = stripe_event_record(event=event)
    assert isinstance(first, int)
    assert second is None
    assert len(callbacks) == 1


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_replay_requeues_failed_events(
    admin_client: Client, counting_handler: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    failed = stored(status=StripeEvent.Status.FAILED, attempts=9, last_error="Traceback ...")
    done = stored(status=StripeEvent.Status.PROCESSED, attempts=1)
    url = reverse("admin:billing_stripeevent_changelist")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url, {"action": "replay", "_selected_action": [failed.pk, done.pk]}, follow=True
        )

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert "1 event(s) queued for processing again." in messages
    assert "1 already processed event(s) left alone." in messages
    failed.refresh_from_db()
    done.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == ("processed", 10, "")
    assert (done.status, done.attempts) == ("processed", 1)
    assert counting_handler["calls"] == 1


def test_admin_pages_render_and_refuse_edits(admin_client: Client) -> None:
    row = stored(status=StripeEvent.Status.FAILED, last_error="ValueError: boom")
    changelist = admin_client.get(reverse("admin:billing_stripeevent_changelist"))
    assert row.stripe_id in changelist.content.decode()
    detail = admin_client.get(reverse("admin:billing_stripeevent_change", args=[row.pk]))
    assert detail.status_code == 200
    assert "ValueError: boom" in detail.content.decode()
    assert admin_client.get(reverse("admin:billing_stripeevent_add")).status_code == 403


def test_replay_needs_change_permission(django_capture_on_commit_callbacks: Any) -> None:
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_stripeevent"))
    client = Client()
    client.force_login(viewer)
    row = stored(status=StripeEvent.Status.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:billing_stripeevent_changelist"),
            {"action": "replay", "_selected_action": [row.pk]},
        )
    row.refresh_from_db()
    assert row.status == "failed"


def test_replay_inside_a_rolled_back_transaction_queues_nothing(
    counting_handler: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from billing.services import stripe_events_replay

    row = stored(status=StripeEvent.Status.FAILED)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                stripe_events_replay(event_row_ids=[row.pk])
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert callbacks == []
    assert counting_handler["calls"] == 0
