"""Invoices sent are reported to Stripe's billing meter: once per invoice, after commit."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from billing import stripe_client
from billing.tests.stripe_standin import StripeStandIn
from invoices import services
from invoices.models import Invoice
from invoices.tests.factories import make_invoice
from plans import services as plan_services
from plans.models import PlanSubscription, UsageReport
from plans.services import plan_subscription_sync
from plans.tasks import report_invoice_sent
from plans.tests.fixtures import subscribe
from tenants.models import Membership
from tenants.scoping import tenant_scope
from tenants.tests.fixtures import rows_in_every_tenant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_celery_eager")]

METER_PATH = "/v1/billing/meter_events"


def send(owner: Membership, invoice: Invoice, capture: Any) -> None:
    with capture(execute=True), tenant_scope(owner.tenant):
        services.invoice_mark_sent(actor=owner, invoice=invoice, to=["client@example.com"])


def finalized(owner: Membership) -> Invoice:
    with tenant_scope(owner.tenant):
        return make_invoice(actor=owner, finalize=True)


def meter_requests(standin: StripeStandIn) -> list[dict[str, Any]]:
    return [r for r in standin.requests if r["path"] == METER_PATH]


@pytest.fixture
def subscribed(plans_standin: StripeStandIn, owner_membership: Membership) -> str:
    plan_subscription_sync(subscription_id=subscribe(plans_standin, owner_membership, "pro"))
    with tenant_scope(owner_membership.tenant):
        return PlanSubscription.objects.get(tenant=owner_membership.tenant).stripe_customer_id


def test_each_sent_invoice_is_one_meter_event_however_often_it_is_sent(
    plans_standin: StripeStandIn,
    owner_membership: Membership,
    subscribed: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first, second = finalized(owner_membership), finalized(owner_membership)
    send(owner_membership, first, django_capture_on_commit_callbacks)
    send(owner_membership, first, django_capture_on_commit_callbacks)  # sent again (a reminder)
    send(owner_membership, second, django_capture_on_commit_callbacks)
    # A redelivered task message runs the task once more.
    report_invoice_sent.delay(tenant_id=owner_membership.tenant_id, invoice_public_id=first.public_id)

    events = plans_standin.meter_events
    assert [(e["event_name"], e["identifier"], e["payload"]) for e in events] == [
        (
            "invoices_sent",
            f"invoice-sent-{first.public_id}",
            {"stripe_customer_id": subscribed, "value": "1"},
        ),
        (
            "invoices_sent",
            f"invoice-sent-{second.public_id}",
            {"stripe_customer_id": subscribed, "value": "1"},
        ),
    ]
    # Once per invoice on our side too: not left to Stripe's deduplication.
    assert len(meter_requests(plans_standin)) == 2
    assert meter_requests(plans_standin)[0]["idempotency_key"] == f"invoice-sent-{first.public_id}"
    with tenant_scope(owner_membership.tenant):
        reports = list(UsageReport.objects.order_by("id"))
    assert [(r.invoice_public_id, r.status, r.attempts) for r in reports] == [
        (first.public_id, "reported", 1),
        (second.public_id, "reported", 1),
    ]


def test_nothing_is_queued_when_the_sending_rolls_back(
    plans_standin: StripeStandIn,
    owner_membership: Membership,
    subscribed: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    invoice = finalized(owner_membership)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic(), tenant_scope(owner_membership.tenant):
                services.invoice_mark_sent(actor=owner_membership, invoice=invoice)
                raise RuntimeError("the email could not be sent")
        except RuntimeError:
            pass
    assert callbacks == []
    assert rows_in_every_tenant(UsageReport) == 0
    assert meter_requests(plans_standin) == []


def test_a_workspace_never_subscribed_has_nothing_to_meter(
    plans_standin: StripeStandIn, owner_membership: Membership, django_capture_on_commit_callbacks: Any
) -> None:
    send(owner_membership, finalized(owner_membership), django_capture_on_commit_callbacks)
    with tenant_scope(owner_membership.tenant):
        assert UsageReport.objects.get().status == "skipped"
    assert meter_requests(plans_standin) == []


def test_without_stripe_nothing_is_reported(
    owner_membership: Membership, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plans import tasks as plan_tasks

    queued: list[dict] = []
    monkeypatch.setattr(plan_tasks.report_invoice_sent, "delay", lambda **kwargs: queued.append(kwargs))
    # Other after-commit work (timeline webhooks) may run; no usage report may be queued.
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(owner_membership.tenant):
        services.invoice_mark_sent(
            actor=owner_membership, invoice=make_invoice(actor=owner_membership, finalize=True)
        )
    assert queued == []
    assert rows_in_every_tenant(UsageReport) == 0


def test_a_failed_report_is_kept_and_retried(
    plans_standin: StripeStandIn,
    owner_membership: Membership,
    subscribed: str,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    invoice = finalized(owner_membership)
    real = stripe_client.meter_event_create
    calls = {"n": 0}

    def flaky(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise stripe_client.APIConnectionError("Stripe is unreachable")
        return real(**kwargs)

    monkeypatch.setattr(stripe_client, "meter_event_create", flaky)
    with pytest.raises(stripe_client.APIConnectionError):
        plan_services.usage_report_invoice_sent(
            tenant_id=owner_membership.tenant_id, invoice_public_id=invoice.public_id
        )
    with tenant_scope(owner_membership.tenant):
        report = UsageReport.objects.get()
    assert (report.status, report.attempts, report.last_error) == ("pending", 1, "Stripe is unreachable")

    # The task retries (eagerly here, immediately) and the event goes out once.
    send(owner_membership, invoice, django_capture_on_commit_callbacks)
    with tenant_scope(owner_membership.tenant):
        report.refresh_from_db()
    assert (report.status, report.attempts, report.last_error) == ("reported", 2, "")
    assert len(plans_standin.meter_events) == 1
