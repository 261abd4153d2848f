"""Celery tasks of plans: usage reported to Stripe's billing meter."""

from __future__ import annotations

from celery import shared_task

from billing import stripe_client
from billing.tasks import backoff
from plans.services import usage_report_invoice_sent

MAX_RETRIES = 8


# Named as it was when it lived in billing/plan_tasks.py: queued messages and routes name it so.
@shared_task(
    bind=True, name="billing.plan_tasks.report_invoice_sent", acks_late=True, max_retries=MAX_RETRIES
)
def report_invoice_sent(self, *, tenant_id: int, invoice_public_id: str) -> str:
    """Report one sent invoice to the meter (the service enters the workspace's scope)."""
    try:
        report = usage_report_invoice_sent(tenant_id=tenant_id, invoice_public_id=invoice_public_id)
    except stripe_client.StripeError as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
    return report.status
