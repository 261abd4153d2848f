"""Billing's subscriptions to the outbox (events/): the client of an online payment gets a receipt.

The invoicing domain announces every payment it records (payment.received); a processor's
payment (Stripe) is receipted, a payment recorded by hand is not. The receipt task sends once
per payment (billing.receipts), however often this runs.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from events.registry import Event, subscribe
from invoices.events import PAYMENT_RECEIVED
from invoices.models import Payment, PaymentSource


def _paid_online(topic: str, payload: dict[str, Any]) -> bool:
    return payload["details"].get("source") == PaymentSource.STRIPE


@subscribe(PAYMENT_RECEIVED, name="billing.receipts", wants=_paid_online)
def send_receipt(event: Event) -> None:
    from billing.tasks import send_payment_receipt

    payment = Payment.objects.filter(public_id=event.payload["details"]["payment_id"]).first()
    if payment is None:
        return
    tenant_id, payment_id = event.tenant_id, payment.pk
    transaction.on_commit(
        lambda: send_payment_receipt.delay(tenant_id=tenant_id, payment_id=payment_id), robust=True
    )
