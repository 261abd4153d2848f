"""The webhook's task, queued on commit, runs in a real Celery worker (another process)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from billing.models import StripeEvent
from billing.tests.fixtures import make_stripe_event, post_stripe_event
from invoiceflow.testing.celery_worker import CeleryWorker
from invoiceflow.testing.processes import wait_until


@pytest.mark.redis
@pytest.mark.usefixtures("stripe_webhook_secret")
def test_delivery_is_processed_by_a_worker(celery_worker: CeleryWorker) -> None:
    # No handler for this type in the worker either: stored, then processed as ignored.
    event = make_stripe_event("plan.created", "plan")
    response = post_stripe_event(Client(), event)
    assert response.status_code == 200

    assert wait_until(lambda: StripeEvent.objects.get().status == "processed", timeout=30)
    row = StripeEvent.objects.get()
    assert (row.stripe_id, row.handled, row.attempts) == (event["id"], False, 1)
    # It ran in the worker process, not eagerly in this one. Celery logs "succeeded" after the
    # task returns, a moment after the row says processed: wait for the line, do not race it.
    succeeded = re.compile(r"billing\.tasks\.process_stripe_event\[[0-9a-f-]+\] succeeded")
    assert wait_until(lambda: bool(succeeded.search(celery_worker.log())), timeout=10), celery_worker.log()
    assert post_stripe_event(Client(), event).json()["duplicate"] is True
