"""Payments, and the one function that derives an invoice's paid amount, balance and status."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from invoices.models import (
    COUNTED_REFUND_STATUSES,
    Dispute,
    DisputeStatus,
    EventVerb,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentSource,
    Refund,
)
from invoices.money import ZERO, format_money, parse_amount, quantize_money
from invoices.services.common import check_writer, record_event, resolve, tenant_today
from tenants.models import Membership

PAYABLE_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.UNCOLLECTIBLE)


@transaction.atomic
def invoice_recompute_status(*, invoice: Invoice | str, actor: Membership | None = None) -> Invoice:
    """Derive amount paid, amount credited, balance due and status from the rows behind them.

    amount_paid = Σ payments - Σ refunds - Σ lost disputes; amount_credited = Σ totals of its
    finalized, non-void credit notes; balance_due = amount due (the total less what was prepaid,
    cash-rounded) - paid - credited (never below zero).
    Status, for a finalized invoice that is not void: balance 0 → paid; else uncollectible
    stays uncollectible; else partially_paid if anything was paid, open otherwise. Drafts, void
    invoices and credit notes keep their status. Every path that adds or removes a payment, a
    refund, a lost dispute or a credit note ends here, so the stored amounts cannot drift.
    """
    invoice = resolve(Invoice, invoice, field="invoice", label=_("invoice"), lock=True)
    if invoice.kind != InvoiceKind.INVOICE or invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        return invoice
    currency = invoice.currency
    received = Payment.objects.filter(invoice=invoice).aggregate(total=Sum("amount"))["total"] or ZERO
    # Refunds (pending or done) and lost disputes give money back; an open dispute still counts
    # as paid until it is decided (see invoices.models.Dispute).
    refunded = (
        Refund.objects.filter(invoice=invoice, status__in=COUNTED_REFUND_STATUSES).aggregate(
            total=Sum("amount")
        )["total"]
        or ZERO
    )
    lost = (
        Dispute.objects.filter(invoice=invoice, status=DisputeStatus.LOST).aggregate(total=Sum("amount"))[
            "total"
        ]
        or ZERO
    )
    paid = max(received - refunded - lost, ZERO)
    credited = (
        Invoice.objects.filter(credit_note_for=invoice, kind=InvoiceKind.CREDIT_NOTE)
        .exclude(status__in=(InvoiceStatus.DRAFT, InvoiceStatus.VOID))
        .aggregate(total=Sum("total"))["total"]
        or ZERO
    )
    paid, credited = quantize_money(paid, currency), quantize_money(credited, currency)
    balance = max(
        quantize_money(invoice.amount_due - paid - credited, currency), quantize_money(ZERO, currency)
    )
    if balance == ZERO:
        status = InvoiceStatus.PAID
    elif invoice.status == InvoiceStatus.UNCOLLECTIBLE:
        status = InvoiceStatus.UNCOLLECTIBLE
    elif paid > ZERO:
        status = InvoiceStatus.PARTIALLY_PAID
    else:
        status = InvoiceStatus.OPEN
    changed = (invoice.amount_paid, invoice.amount_credited, invoice.balance_due, invoice.status) != (
        paid,
        credited,
        balance,
        status,
    )
    if not changed:
        return invoice
    became_paid = status == InvoiceStatus.PAID and invoice.status != InvoiceStatus.PAID
    invoice.amount_paid, invoice.amount_credited, invoice.balance_due = paid, credited, balance
    invoice.status = status
    invoice.paid_at = (invoice.paid_at or timezone.now()) if status == InvoiceStatus.PAID else None
    invoice.content_version += 1
    invoice.save()
    if became_paid:
        record_event(invoice, verb=EventVerb.PAID, actor=actor)
    return invoice


@transaction.atomic
def payment_record(
    *,
    actor: Membership,
    invoice: Invoice | str,
    amount: Decimal | int | str,
    paid_on: date | None = None,
    method: str = PaymentMethod.BANK_TRANSFER,
    reference: str = "",
    currency: str | None = None,
) -> Payment:
    """Record money received by hand (bank transfer, cash, cheque…).

    The amount must be positive, in the invoice's currency, and no more than the balance due;
    the date not in the future. The invoice's paid amount, balance and status are then
    derived again by `invoice_recompute_status`.
    """
    tenant = check_writer(actor)
    invoice = resolve(Invoice, invoice, field="invoice", label=_("invoice"), lock=True)
    if invoice.kind != InvoiceKind.INVOICE or invoice.status not in PAYABLE_STATUSES:
        raise ApplicationError(
            _("Payments can be recorded only for finalized, unpaid invoices (this one is %(status)s).")
            % {"status": invoice.get_status_display().lower()},
            code="invalid_status",
        )
    if currency is not None and currency.strip().upper() != invoice.currency:
        raise ApplicationError(
            _("This invoice is in %(currency)s: record the payment in %(currency)s.")
            % {"currency": invoice.currency},
            field="currency",
        )
    value = parse_amount(amount, currency=invoice.currency, field="amount")
    if value <= ZERO:
        raise ApplicationError(_("A payment must be more than zero."), field="amount")
    if value > invoice.balance_due:
        locale = invoice.client.language or "en"
        raise ApplicationError(
            _("%(amount)s is more than the balance due (%(due)s).")
            % {
                "amount": format_money(value, invoice.currency, locale),
                "due": format_money(invoice.balance_due, invoice.currency, locale),
            },
            field="amount",
            code="exceeds_balance",
        )
    if method not in PaymentMethod.values:
        raise ApplicationError(_("Choose how it was paid."), field="method")
    paid_on = paid_on or tenant_today(tenant)
    if paid_on > tenant_today(tenant):
        raise ApplicationError(_("A payment cannot be dated in the future."), field="paid_on")
    payment = Payment.objects.create(
        invoice=invoice,
        amount=value,
        currency=invoice.currency,
        paid_on=paid_on,
        method=method,
        reference=reference.strip()[:200],
        source=PaymentSource.MANUAL,
        recorded_by=actor.user,
    )
    record_event(
        invoice,
        verb=EventVerb.PAYMENT_RECORDED,
        actor=actor,
        payment_id=payment.public_id,
        amount=str(value),
        method=method,
    )
    invoice_recompute_status(invoice=invoice, actor=actor)
    return payment


@transaction.atomic
def payment_delete(*, actor: Membership, payment: Payment | str) -> Invoice:
    """Remove a payment recorded by mistake (manual ones only); the invoice is derived again."""
    check_writer(actor)
    payment = resolve(Payment, payment, field="payment", label=_("payment"))
    if payment.source != PaymentSource.MANUAL:
        raise ApplicationError(_("Only payments recorded by hand can be removed."), code="not_manual")
    # Lock the invoice first, as payment_record does, so the two never wait on each other.
    invoice = resolve(Invoice, payment.invoice, field="invoice", label=_("invoice"), lock=True)
    if invoice.status == InvoiceStatus.VOID:
        raise ApplicationError(_("The invoice is void."), code="invalid_status")
    record_event(
        invoice,
        verb=EventVerb.EDITED,
        actor=actor,
        payment_removed=payment.public_id,
        amount=str(quantize_money(payment.amount, payment.currency)),
    )
    payment.delete()
    return invoice_recompute_status(invoice=invoice, actor=actor)


@transaction.atomic
def payment_record_external(
    *,
    invoice: Invoice | str,
    amount: Decimal | int | str,
    currency: str,
    external_id: str,
    source: str = PaymentSource.STRIPE,
    method: str = PaymentMethod.CARD,
    paid_on: date | None = None,
    reference: str = "",
) -> Payment:
    """Record money a processor reports (a Stripe webhook), once per `external_id`.

    Safe to run twice and in any order: a second call with the same (source, external_id)
    returns the first payment and changes nothing. Unlike `payment_record` it does not refuse
    an amount above the balance (the money did arrive): the balance then stays at zero. The
    currency must still be the invoice's, and the invoice must be finalized.
    """
    if source == PaymentSource.MANUAL or source not in PaymentSource.values:
        raise ValueError("External payments come from a processor, not by hand.")
    if not external_id:
        raise ValueError("An external payment needs the processor's id.")
    invoice = resolve(Invoice, invoice, field="invoice", label=_("invoice"), lock=True)
    existing = Payment.objects.filter(source=source, external_id=external_id).first()
    if existing is not None:
        return existing
    if invoice.kind != InvoiceKind.INVOICE or invoice.status == InvoiceStatus.DRAFT:
        raise ApplicationError(_("Payments apply to finalized invoices only."), code="invalid_status")
    if currency.strip().upper() != invoice.currency:
        raise ApplicationError(
            _("This invoice is in %(currency)s, the payment in %(paid)s.")
            % {"currency": invoice.currency, "paid": currency.upper()},
            field="currency",
        )
    value = parse_amount(amount, currency=invoice.currency, field="amount")
    if value <= ZERO:
        raise ApplicationError(_("A payment must be more than zero."), field="amount")
    payment = Payment.objects.create(
        invoice=invoice,
        amount=value,
        currency=invoice.currency,
        paid_on=paid_on or tenant_today(),
        method=method,
        reference=reference.strip()[:200],
        source=source,
        external_id=external_id,
    )
    record_event(
        invoice,
        verb=EventVerb.PAYMENT_RECORDED,
        actor=None,
        payment_id=payment.public_id,
        amount=str(value),
        method=method,
        source=source,
    )
    invoice_recompute_status(invoice=invoice)
    return payment
