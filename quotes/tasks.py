"""Celery tasks of quotes: each takes ids, calls one service, and is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="quotes.expire_due", acks_late=True)
def expire_due() -> dict[str, int]:
    """Celery beat: sent quotes past their validity date become expired, in every workspace."""
    from quotes.services import quotes_expire_all

    return quotes_expire_all(now=timezone.now())


@shared_task(bind=True, name="quotes.send_email", acks_late=True, max_retries=5)
def send_quote_email(self, *, tenant_id: int, quote_id: int, recipients: list[str]) -> str:
    """Email a sent quote with a fresh link; retried with backoff when the mail server fails."""
    from quotes.emails import quote_email_deliver
    from tenants.models import Tenant

    tenant = Tenant.objects.get(pk=tenant_id)
    try:
        return quote_email_deliver(tenant=tenant, quote_id=quote_id, recipients=recipients)
    except OSError as error:
        if self.request.is_eager:
            raise
        raise self.retry(exc=error, countdown=min(3600, 60 * 2**self.request.retries)) from error
