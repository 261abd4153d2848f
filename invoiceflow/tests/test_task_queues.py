"""Routing by task name, time limits and the visibility timeout (core/task_queues.py)."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings

from core import task_queues
from invoiceflow.celery import app

TESTING_TASKS = "invoiceflow.testing."


def registered_task_names() -> set[str]:
    app.loader.import_default_modules()  # every app's tasks.py, as a worker imports them
    return {name for name in app.tasks if not name.startswith(TESTING_TASKS)}


def test_every_registered_task_has_a_route_by_name() -> None:
    # A task renamed (or moved without an explicit name=) shows up here, not in production's
    # default queue.
    missing = registered_task_names() - set(task_queues.TASK_QUEUE)
    assert not missing, f"tasks without a queue in core/task_queues.py: {sorted(missing)}"


def test_no_route_names_a_task_that_does_not_exist() -> None:
    stale = set(task_queues.TASK_QUEUE) - registered_task_names()
    assert not stale, f"routes for tasks nobody registers (renamed?): {sorted(stale)}"


def test_every_route_and_time_limit_names_a_known_queue_and_task() -> None:
    assert set(task_queues.TASK_QUEUE.values()) == set(task_queues.QUEUES)
    assert set(task_queues.TIME_LIMITS) <= set(task_queues.TASK_QUEUE)
    for limit in [task_queues.DEFAULT_TIME_LIMIT, *task_queues.TIME_LIMITS.values()]:
        assert 0 < limit.soft < limit.hard


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("invoices.render_document", "pdf"),
        ("invoices.build_bulk_zip", "pdf"),
        ("invoices.send_message", "email"),
        ("tenants.tasks.send_invitation_email", "email"),
        ("webhooks.deliver", "webhooks"),
        ("billing.tasks.process_stripe_event", "default"),
    ],
)
def test_the_app_routes_each_task_to_its_queue(task: str, queue: str) -> None:
    route = app.amqp.router.route({}, task)
    assert route["queue"].name == settings.CELERY_QUEUE_PREFIX + queue


def test_time_limits_reach_the_tasks() -> None:
    registered_task_names()
    render = app.tasks["invoices.render_document"]
    assert (render.soft_time_limit, render.time_limit) == (60, 90)
    assert app.conf.task_soft_time_limit == task_queues.DEFAULT_TIME_LIMIT.soft
    assert app.conf.task_time_limit == task_queues.DEFAULT_TIME_LIMIT.hard


def test_the_visibility_timeout_outlasts_every_countdown(monkeypatch: pytest.MonkeyPatch) -> None:
    from billing.tasks import MAX_RETRIES as BILLING_RETRIES
    from billing.tasks import backoff as billing_backoff
    from delivery.tasks import backoff as email_backoff
    from documents.tasks import MAX_RETRIES as DOCUMENT_RETRIES
    from documents.tasks import _backoff as document_backoff
    from tenants.tasks import send_invitation_email

    assert app.conf.broker_transport_options["visibility_timeout"] == task_queues.VISIBILITY_TIMEOUT_SECONDS
    monkeypatch.setattr(random, "randint", lambda low, high: high)  # the most jitter
    countdowns = [
        *(billing_backoff(retries) for retries in range(BILLING_RETRIES + 1)),
        *(document_backoff(retries) for retries in range(DOCUMENT_RETRIES + 1)),
        *(email_backoff(retries) for retries in range(settings.EMAIL_SEND_MAX_RETRIES + 10)),
        send_invitation_email.retry_backoff_max,
    ]
    assert max(countdowns) <= task_queues.LONGEST_COUNTDOWN_SECONDS
    assert task_queues.LONGEST_COUNTDOWN_SECONDS < task_queues.VISIBILITY_TIMEOUT_SECONDS


@pytest.mark.parametrize(
    ("delay", "requeued"), [(60.0, True), (4500.0, True), (4501.0, False), (43200.0, False)]
)
def test_a_webhook_retry_past_the_visibility_timeout_is_left_to_the_sweep(
    monkeypatch: pytest.MonkeyPatch, delay: float, requeued: bool
) -> None:
    from api.webhooks import services, tasks

    queued: list[dict[str, Any]] = []
    monkeypatch.setattr(tasks.Tenant.objects, "get", lambda pk: SimpleNamespace(pk=pk))
    monkeypatch.setattr(services, "delivery_attempt", lambda **kwargs: "retry")
    monkeypatch.setattr(services, "delivery_retry_delay", lambda **kwargs: delay)
    monkeypatch.setattr(tasks.deliver_webhook, "apply_async", lambda **kwargs: queued.append(kwargs))
    assert tasks.deliver_webhook(tenant_id=1, delivery_id=2) == "retry"
    assert bool(queued) is requeued
    if requeued:
        assert queued[0]["countdown"] == delay


def test_the_longest_hard_limit_of_each_queue() -> None:
    assert task_queues.longest_hard_limit("pdf") == 600
    assert task_queues.longest_hard_limit("email") == 60
    assert task_queues.longest_hard_limit("webhooks") == 150
    assert task_queues.longest_hard_limit("default") == 360
