"""Our books from Stripe's state: payments, refunds and disputes of one payment intent.

Every webhook handler and the reconciliation end in `payment_intent_sync`, which asks Stripe for
the payment intent as it is *now*, then the refunds and disputes of its charge, and upserts one
row per Stripe object (unique by Stripe id). The outcome depends on Stripe's state, never on
which event arrived first or how often: run it twice, or for six events in any order, and the
rows and the invoice's status come out the same.

Runs inside the tenant's scope. The tenant comes from the connected account the object lives
on, never from the object's metadata: a tenant controls its own account's metadata, so the
invoice id in it is only looked up within that tenant.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from billing import stripe_client
from billing.group_ledger import group_intent_record
from billing.models import CheckoutAttempt, CheckoutAttemptStatus
from invoices.models import DisputeStatus, EventVerb, Invoice, InvoiceEvent, Payment, PaymentSource
from invoices.money import from_minor_units, is_currency
from invoices.services import dispute_upsert_external, payment_record_external, refund_upsert_external
from invoices.services.common import record_event
from tenants.scoping import current_tenant

logger = logging.getLogger(__name__)

# Stripe's dispute statuses, folded: an inquiry that closed without a chargeback (warning_closed)
# or a prevented dispute took no money, like a won one.
DISPUTE_STATUS = {
    "won": DisputeStatus.WON,
    "warning_closed": DisputeStatus.WON,
    "prevented": DisputeStatus.WON,
    "lost": DisputeStatus.LOST,
}


def _id(value: Any) -> str:
    """An object reference that may be an id or an expanded object."""
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


def _invoice_for(intent: dict[str, Any]) -> Invoice | None:
    public_id = (intent.get("metadata") or {}).get("invoice")
    if not public_id:
        return None
    # The scoped manager: an invoice id of another tenant finds nothing.
    return Invoice.objects.filter(public_id=public_id).first()


def _paid_on(timestamp: int | None) -> Any:
    tenant = current_tenant()
    moment = datetime.fromtimestamp(timestamp, tz=UTC) if timestamp else timezone.now()
    return moment.astimezone(ZoneInfo(tenant.time_zone or "UTC")).date()


def _amount(minor: int, currency: str) -> Any:
    return from_minor_units(int(minor), currency.upper())


@transaction.atomic
def payment_intent_sync(*, account_id: str, payment_intent_id: str) -> Payment | None:
    """Record what Stripe says about one payment intent on `account_id`; the payment or None."""
    intent = stripe_client.payment_intent_retrieve(payment_intent_id=payment_intent_id, account=account_id)
    if group_intent_record(intent=intent) is not None:
        return None  # several invoices paid at once (the client portal): recorded per invoice
    invoice = _invoice_for(intent)
    if invoice is None:
        logger.info("Payment intent %s on %s is not for one of our invoices.", payment_intent_id, account_id)
        return None
    currency = (intent.get("currency") or "").upper()
    if not is_currency(currency):
        raise ValueError(f"Payment intent {payment_intent_id} has an unknown currency {currency!r}")
    attempt_number = str((intent.get("metadata") or {}).get("checkout_attempt") or "")
    attempts = CheckoutAttempt.objects.filter(
        invoice=invoice, number=int(attempt_number) if attempt_number.isdigit() else -1
    )
    attempts.filter(payment_intent_id="").update(payment_intent_id=intent["id"])
    if intent.get("status") != "succeeded":
        return None
    charge_id = _id(intent.get("latest_charge"))
    # Lock the invoice before recording the payment: concurrent syncs of one intent queue up
    # here, and the second finds the first's payment. Only a new payment is announced
    # (payment.received), and its receipt sent (billing.subscribers).
    Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
    payment = payment_record_external(
        invoice=invoice,
        amount=_amount(intent["amount_received"], currency),
        currency=currency,
        external_id=intent["id"],
        source=PaymentSource.STRIPE,
        reference=charge_id,
        paid_on=_paid_on(intent.get("created")),
    )
    attempts.exclude(status=CheckoutAttemptStatus.COMPLETE).update(
        status=CheckoutAttemptStatus.COMPLETE, checked_at=timezone.now()
    )
    if charge_id:
        charge_adjustments_sync(account_id=account_id, payment=payment, charge_id=charge_id)
    return payment


def charge_adjustments_sync(*, account_id: str, payment: Payment, charge_id: str) -> None:
    """Upsert every refund and dispute Stripe has for the payment's charge."""
    for refund in stripe_client.refund_list(charge=charge_id, account=account_id):
        refund_upsert_external(
            payment=payment,
            external_id=refund["id"],
            amount=_amount(refund["amount"], refund["currency"]),
            currency=refund["currency"].upper(),
            status=refund.get("status") or "pending",
            reason=refund.get("reason") or "",
        )
    for dispute in stripe_client.dispute_list(charge=charge_id, account=account_id):
        dispute_upsert_external(
            payment=payment,
            external_id=dispute["id"],
            amount=_amount(dispute["amount"], dispute["currency"]),
            currency=dispute["currency"].upper(),
            status=DISPUTE_STATUS.get(dispute.get("status") or "", DisputeStatus.OPEN),
            processor_status=dispute.get("status") or "",
            reason=dispute.get("reason") or "",
        )


@transaction.atomic
def payment_failure_record(*, account_id: str, payment_intent_id: str, charge_id: str) -> bool:
    """A declined attempt: a timeline entry (once per failed charge), no money change."""
    if not charge_id:
        return False
    charge = stripe_client.charge_retrieve(charge_id=charge_id, account=account_id)
    if charge.get("status") != "failed" or _id(charge.get("payment_intent")) != payment_intent_id:
        return False
    intent = stripe_client.payment_intent_retrieve(payment_intent_id=payment_intent_id, account=account_id)
    invoice = _invoice_for(intent)
    if invoice is None:
        return False
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if InvoiceEvent.objects.filter(
        invoice=invoice, verb=EventVerb.PAYMENT_FAILED, data__charge=charge_id
    ).exists():
        return False
    record_event(
        invoice,
        verb=EventVerb.PAYMENT_FAILED,
        charge=charge_id,
        reason=(charge.get("failure_message") or "")[:200],
        amount=str(_amount(charge["amount"], charge["currency"])),
    )
    return True
