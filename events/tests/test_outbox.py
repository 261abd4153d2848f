"""The transactional outbox: an event commits with its change, reaches each subscriber once,
survives a lost message and a killed worker, and a failing subscriber is retried without
holding up the others."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis
import time_machine
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from events import registry, services
from events.models import DeliveryState, OutboxDelivery, OutboxEvent
from events.registry import Event
from invoiceflow.testing.celery_worker import CeleryWorker
from invoiceflow.testing.processes import wait_until
from invoiceflow.testing.tasks import OUTBOX_PROBE_TOPIC
from tenants.models import Invitation, Tenant
from tenants.scoping import tenant_scope

TOPIC = "testing.something_happened"


class Recorder:
    """Subscribers made for one test: each logs the events it handled; all unregistered after."""

    def __init__(self) -> None:
        self.handled: dict[str, list[Event]] = {}
        self.names: list[str] = []

    def add(
        self,
        name: str,
        *,
        topics: tuple[str, ...] = (TOPIC,),
        then: Callable[[Event], None] | None = None,
        wants: Callable[[str, dict[str, Any]], bool] | None = None,
    ) -> None:
        self.handled[name] = []

        def handle(event: Event) -> None:
            if then is not None:
                then(event)
            self.handled[name].append(event)

        registry.subscribe(*topics, name=name, wants=wants)(handle)
        self.names.append(name)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    made = Recorder()
    yield made
    for name in made.names:
        registry.unsubscribe(name)


def _record(tenant: Tenant, payload: dict[str, Any] | None = None) -> OutboxEvent | None:
    with tenant_scope(tenant):
        return services.event_record(topic=TOPIC, payload=payload or {"invoice": "inv_1"})


def _deliveries(tenant: Tenant) -> dict[str, OutboxDelivery]:
    with tenant_scope(tenant):
        return {row.subscriber: row for row in OutboxDelivery.objects.all()}


# --- recording ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_event_nobody_wants_is_not_written(tenant: Tenant, recorder: Recorder) -> None:
    recorder.add("test.only_when_asked", wants=lambda topic, payload: payload.get("wanted") is True)
    assert _record(tenant, {"wanted": False}) is None
    with tenant_scope(tenant):
        assert not OutboxEvent.objects.exists()
        assert not OutboxDelivery.objects.exists()
    assert _record(tenant, {"wanted": True}) is not None
    assert set(_deliveries(tenant)) == {"test.only_when_asked"}


@pytest.mark.django_db
def test_each_subscriber_gets_the_event_once_after_the_commit(
    tenant: Tenant, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    recorder.add("test.first")
    recorder.add("test.second")
    recorder.add("test.elsewhere", topics=("testing.another_topic",))
    with django_capture_on_commit_callbacks(execute=True):
        event = _record(tenant, {"invoice": "inv_42", "total": "10.00"})
        assert recorder.handled["test.first"] == []  # nothing before the commit
    assert event is not None
    for name in ("test.first", "test.second"):
        [seen] = recorder.handled[name]
        assert (seen.id, seen.topic, seen.tenant_id) == (event.pk, TOPIC, tenant.pk)
        assert seen.payload == {"invoice": "inv_42", "total": "10.00"}
    assert recorder.handled["test.elsewhere"] == []
    rows = _deliveries(tenant)
    assert set(rows) == {"test.first", "test.second"}
    assert {(row.state, row.attempts) for row in rows.values()} == {(DeliveryState.DONE, 1)}
    # The same message delivered twice (a broker redelivery) handles nothing again, nor does a
    # dispatcher that listed a row just before another one finished it.
    assert services.event_dispatch(tenant=tenant, event_id=event.pk) == 0
    assert not any(services.delivery_handle(tenant=tenant, delivery_id=row.pk) for row in rows.values())
    assert [len(recorder.handled[name]) for name in ("test.first", "test.second")] == [1, 1]


@pytest.mark.django_db
def test_a_rolled_back_change_records_no_event(
    tenant: Tenant, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    recorder.add("test.first")

    class Undone(Exception):
        pass

    def record_then_fail() -> None:
        with transaction.atomic():
            _record(tenant)
            raise Undone

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Undone):
        record_then_fail()
    with tenant_scope(tenant):
        assert not OutboxEvent.objects.exists()
    assert recorder.handled["test.first"] == []


# --- failures and retries ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failing_subscriber_does_not_block_the_others_and_is_retried(
    tenant: Tenant, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    failures = {"left": 1}

    def write_then_fail_once(event: Event) -> None:
        Invitation.objects.create(email="half@done.test", expires_at=timezone.now() + timedelta(days=1))
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("the far side is down")

    recorder.add("test.flaky", then=write_then_fail_once)
    recorder.add("test.steady")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            _record(tenant)
        rows = _deliveries(tenant)
        assert rows["test.steady"].state == DeliveryState.DONE
        flaky = rows["test.flaky"]
        assert (flaky.state, flaky.attempts) == (DeliveryState.PENDING, 1)
        assert flaky.last_error == "ConnectionError: the far side is down"
        assert flaky.next_attempt_at == start + services.retry_delay(1)
        with tenant_scope(tenant):
            # The failed handling's own write was undone with it.
            assert not Invitation.objects.filter(email="half@done.test").exists()
    # Not due yet: the sweep leaves it.
    with time_machine.travel(start + timedelta(seconds=20), tick=False):
        assert services.outbox_sweep() == 0
    with time_machine.travel(start + services.retry_delay(1) + services.SWEEP_GRACE, tick=False):
        assert services.outbox_sweep() == 1
    rows = _deliveries(tenant)
    assert (rows["test.flaky"].state, rows["test.flaky"].attempts) == (DeliveryState.DONE, 2)
    assert rows["test.flaky"].last_error == ""
    assert (len(recorder.handled["test.flaky"]), len(recorder.handled["test.steady"])) == (1, 1)
    with tenant_scope(tenant):
        assert Invitation.objects.filter(email="half@done.test").count() == 1


@pytest.mark.django_db
def test_after_the_last_attempt_a_delivery_stays_failed_until_retried(
    tenant: Tenant, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    broken = {"yes": True}

    def fail_while_broken(event: Event) -> None:
        if broken["yes"]:
            raise ValueError("bad payload")

    recorder.add("test.broken", then=fail_while_broken)
    event = _record(tenant)  # no commit callbacks: dispatched by hand below
    assert event is not None
    with tenant_scope(tenant):
        OutboxDelivery.objects.update(attempts=services.MAX_ATTEMPTS - 1)
    assert services.event_dispatch(tenant=tenant, event_id=event.pk) == 0
    failed = _deliveries(tenant)["test.broken"]
    assert (failed.state, failed.attempts) == (DeliveryState.FAILED, services.MAX_ATTEMPTS)
    # The sweep no longer touches it, however late.
    with time_machine.travel(timezone.now() + timedelta(days=3), tick=False):
        assert services.outbox_sweep() == 0
    broken["yes"] = False
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        services.delivery_retry(delivery=OutboxDelivery.objects.get(pk=failed.pk))
    assert _deliveries(tenant)["test.broken"].state == DeliveryState.DONE
    assert len(recorder.handled["test.broken"]) == 1


@pytest.mark.django_db
def test_the_sweep_deletes_old_handled_events_and_keeps_the_unfinished(
    tenant: Tenant, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    recorder.add("test.first")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            handled = _record(tenant, {"n": "handled"})
        unfinished = _record(tenant, {"n": "pending"})  # its dispatch never ran
        with tenant_scope(tenant):
            OutboxDelivery.objects.filter(event=unfinished).update(next_attempt_at=start + timedelta(days=30))
    with time_machine.travel(start + services.KEEP_HANDLED - timedelta(minutes=1), tick=False):
        services.outbox_sweep()
    with tenant_scope(tenant):
        assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {handled.pk, unfinished.pk}
    with time_machine.travel(start + services.KEEP_HANDLED + timedelta(minutes=1), tick=False):
        services.outbox_sweep()
    with tenant_scope(tenant):
        # The handled one is gone with its delivery; the pending one waits for its subscriber.
        assert list(OutboxEvent.objects.values_list("pk", flat=True)) == [unfinished.pk]
        assert list(OutboxDelivery.objects.values_list("event_id", flat=True)) == [unfinished.pk]


# --- lost messages, racing dispatchers, dead workers ------------------------------------------------


@pytest.mark.django_db
def test_an_event_whose_dispatch_never_ran_is_delivered_by_the_sweep(
    tenant: Tenant, recorder: Recorder
) -> None:
    recorder.add("test.first")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        # The change committed, then the process died before queueing the dispatch: the
        # on-commit callbacks of this test transaction never run.
        _record(tenant)
        assert services.outbox_sweep() == 0  # within the grace the on-commit dispatch has
    with time_machine.travel(start + services.SWEEP_GRACE, tick=False):
        assert services.outbox_sweep() == 1
        assert services.outbox_sweep() == 0
    assert len(recorder.handled["test.first"]) == 1
    assert _deliveries(tenant)["test.first"].state == DeliveryState.DONE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_racing_for_an_event_deliver_it_once(
    tenant: Tenant, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, release = threading.Event(), threading.Event()

    def hold(event: Event) -> None:
        entered.set()
        assert release.wait(30), "the test never released the first handler"

    recorder.add("test.slow", then=hold)
    monkeypatch.setattr(services, "_dispatch_on_commit", lambda tenant_id, event_id: None)
    event = _record(tenant)  # committed: no test transaction around it
    assert event is not None
    outcome: dict[str, int] = {}

    def first_dispatcher() -> None:
        try:
            outcome["first"] = services.event_dispatch(tenant=tenant, event_id=event.pk)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_dispatcher)
    thread.start()
    try:
        assert entered.wait(30), "the first dispatcher never reached the handler"
        # The first holds the row: the second (a duplicate message, the sweep) skips it at once.
        assert services.event_dispatch(tenant=tenant, event_id=event.pk) == 0
        with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
            assert services.outbox_sweep() == 0
    finally:
        release.set()
        thread.join(30)
    assert outcome == {"first": 1}
    assert len(recorder.handled["test.slow"]) == 1
    row = _deliveries(tenant)["test.slow"]
    assert (row.state, row.attempts) == (DeliveryState.DONE, 1)
    # Done now: nobody handles it again.
    assert services.event_dispatch(tenant=tenant, event_id=event.pk) == 0


@pytest.mark.postgres
@pytest.mark.redis
def test_an_event_survives_a_worker_killed_while_handling_it(
    celery_worker: CeleryWorker, tenant: Tenant
) -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    key, token = f"outbox-probe:{secrets.token_hex(4)}", secrets.token_hex(6)
    client.set(f"{key}:hold", "1", ex=120)
    try:
        with tenant_scope(tenant):  # commits, and queues events.dispatch to the real worker
            event = services.event_record(
                topic=OUTBOX_PROBE_TOPIC, payload={"redis_key": key, "token": token}
            )
        assert event is not None
        assert wait_until(lambda: client.llen(f"{key}:started") >= 1, timeout=60), celery_worker.log()
        victim = int(client.lindex(f"{key}:started", 0))
        celery_worker.kill_pool_process(victim)  # mid-handler, its claim's transaction open
    finally:
        client.delete(f"{key}:hold")

    def delivered() -> bool:
        return _deliveries(tenant)["testing.outbox_probe"].state == DeliveryState.DONE

    # The killed run's message is redelivered (acks_late, reject_on_worker_lost); were it lost,
    # the sweep, run here past its grace, delivers the still-pending row instead.
    if not wait_until(delivered, timeout=30):
        with time_machine.travel(timezone.now() + services.SWEEP_GRACE, tick=False):
            services.outbox_sweep()
    assert delivered(), celery_worker.log()
    row = _deliveries(tenant)["testing.outbox_probe"]
    # The killed attempt left nothing: its claim and its write were rolled back with it.
    assert row.attempts == 1
    with tenant_scope(tenant):
        assert Invitation.objects.filter(email=f"{token}@outbox.test").count() == 1
    assert client.llen(f"{key}:started") >= 2
    assert client.llen(f"{key}:done") == 1
    client.delete(f"{key}:started", f"{key}:done")
