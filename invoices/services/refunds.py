"""Refunds and disputes reported by a payment processor, upserted by the processor's ids.

Each function is safe to run twice and in any order: it writes the row as the processor says it
is *now* (amount, status), records a timeline event only when that state is new, and derives the
invoice again with `invoice_recompute_status`.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from invoices.models import (
    Dispute,
    DisputeStatus,
    EventVerb,
    Invoice,
    Payment,
    PaymentSource,
    Refund,
    RefundStatus,
)
from invoices.money import ZERO, parse_amount
from invoices.services.common import record_event, resolve
from invoices.services.payments import invoice_recompute_status


def _check_amount(payment: Payment, amount: Decimal | int | str, currency: str) -> Decimal:
    if currency.strip().upper() != payment.currency:
        raise ApplicationError(
            _("This payment is in %(currency)s, not %(other)s.")
            % {"currency": payment.currency, "other": currency.upper()},
            field="currency",
        )
    value = parse_amount(amount, currency=payment.currency, field="amount")
    if value <= ZERO:
        raise ApplicationError(_("The amount must be more than zero."), field="amount")
    return value


@transaction.atomic
def refund_upsert_external(
    *,
    payment: Payment,
    external_id: str,
    amount: Decimal | int | str,
    currency: str,
    status: str,
    reason: str = "",
    source: str = PaymentSource.STRIPE,
) -> Refund:
    """Create or update the refund `external_id` of `payment` as the processor reports it."""
    if status not in RefundStatus.values:
        raise ValueError(f"Unknown refund status {status!r}")
    if not external_id:
        raise ValueError("A processor refund needs the processor's id.")
    # Lock the invoice first, like every payment write, so concurrent upserts queue up here.
    invoice = resolve(Invoice, payment.invoice, field="invoice", label=_("invoice"), lock=True)
    value = _check_amount(payment, amount, currency)
    refund = Refund.objects.filter(source=source, external_id=external_id).first()
    if refund is None:
        refund = Refund.objects.create(
            payment=payment,
            invoice=invoice,
            amount=value,
            currency=payment.currency,
            status=status,
            reason=reason[:64],
            source=source,
            external_id=external_id,
        )
        record_event(
            invoice,
            verb=EventVerb.REFUNDED,
            refund_id=refund.public_id,
            amount=str(value),
            status=status,
            source=source,
        )
    elif (refund.amount, refund.status) != (value, status):
        refund.amount, refund.status = value, status
        refund.save(update_fields=["amount", "status", "updated_at"])
    invoice_recompute_status(invoice=invoice)
    return refund


DISPUTE_OUTCOME_EVENTS = {
    DisputeStatus.WON: EventVerb.DISPUTE_WON,
    DisputeStatus.LOST: EventVerb.DISPUTE_LOST,
}


@transaction.atomic
def dispute_upsert_external(
    *,
    payment: Payment,
    external_id: str,
    amount: Decimal | int | str,
    currency: str,
    status: str,
    processor_status: str = "",
    reason: str = "",
    source: str = PaymentSource.STRIPE,
) -> Dispute:
    """Create or update the dispute `external_id` of `payment`; its outcome is recorded once."""
    if status not in DisputeStatus.values:
        raise ValueError(f"Unknown dispute status {status!r}")
    if not external_id:
        raise ValueError("A processor dispute needs the processor's id.")
    invoice = resolve(Invoice, payment.invoice, field="invoice", label=_("invoice"), lock=True)
    value = _check_amount(payment, amount, currency)
    dispute = Dispute.objects.filter(source=source, external_id=external_id).first()
    previous = None
    if dispute is None:
        dispute = Dispute.objects.create(
            payment=payment,
            invoice=invoice,
            amount=value,
            currency=payment.currency,
            status=status,
            processor_status=processor_status[:32],
            reason=reason[:64],
            source=source,
            external_id=external_id,
            closed_at=None if status == DisputeStatus.OPEN else timezone.now(),
        )
        record_event(
            invoice,
            verb=EventVerb.DISPUTED,
            dispute_id=dispute.public_id,
            amount=str(value),
            reason=reason[:64],
            source=source,
        )
    else:
        previous = dispute.status
        if (dispute.amount, dispute.status, dispute.processor_status) != (value, status, processor_status):
            dispute.amount, dispute.status = value, status
            dispute.processor_status = processor_status[:32]
            if status != DisputeStatus.OPEN and dispute.closed_at is None:
                dispute.closed_at = timezone.now()
            dispute.save()
    if status in DISPUTE_OUTCOME_EVENTS and previous != status:
        record_event(
            invoice,
            verb=DISPUTE_OUTCOME_EVENTS[DisputeStatus(status)],
            dispute_id=dispute.public_id,
            amount=str(value),
        )
    invoice_recompute_status(invoice=invoice)
    return dispute
