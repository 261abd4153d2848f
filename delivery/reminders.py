"""Payment reminders and late fees, run by Celery beat (`invoices.dispatch_reminders`).

A schedule is a list of steps: "before-N" (N days before the due date), "due" (on it) and
"after-D" for each interval D after it. The tenant sets one (`SendingSettings`); a client may
have its own (`ClientReminderOverride`), which replaces the tenant's for that client.

Rules, checked on every run:
- only finalized, unpaid invoices (open or partially paid, balance > 0) that were emailed to
  the client through InvoiceFlow get reminders; paid, voided or written-off ones get none, and a
  reminder queued just before a payment is cancelled by the send task;
- only the latest step whose date has come is sent (a scheduler that was down for a week sends
  one reminder, not three), and only if its date is after the day the invoice was first sent;
- each (invoice, step) is claimed by inserting a `ReminderSent` row under a unique constraint
  before the email is queued, so a second run, or two at once, sends it once.

Late fee: finalized invoices are immutable, so the fee cannot be a line added to the original.
It is a follow-up invoice to the same client with one line "Late fee for INV-…", created once
per invoice (`LateFee` is one-to-one with it), as a draft or finalized and emailed, as the
tenant chose.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import translation
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from delivery.emails import email_language, message_defaults
from delivery.models import (
    ClientReminderOverride,
    CreateMode,
    LateFee,
    LateFeeKind,
    MessageKind,
    MessageStatus,
    OutgoingMessage,
    ReminderSent,
    SendingSettings,
)
from delivery.services import queue_message, sending_settings_get
from invoices.models import UNPAID_STATUSES, Client, EventVerb, Invoice, InvoiceKind
from invoices.money import quantize_money
from invoices.services.common import record_event
from tenants.models import Membership, Role, Tenant
from tenants.scoping import tenant_scope

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    enabled: bool
    days_before: int | None
    on_due: bool
    after_days: tuple[int, ...]

    def steps(self, due: date) -> list[tuple[date, str]]:
        """(date, step) in date order."""
        steps: list[tuple[date, str]] = []
        if self.days_before:
            steps.append((due - timedelta(days=self.days_before), f"before-{self.days_before}"))
        if self.on_due:
            steps.append((due, "due"))
        steps.extend((due + timedelta(days=days), f"after-{days}") for days in sorted(self.after_days))
        return steps


def schedule_for(settings: SendingSettings, override: ClientReminderOverride | None) -> Schedule:
    source = override or settings
    return Schedule(
        enabled=source.reminders_enabled,
        days_before=source.remind_days_before,
        on_due=source.remind_on_due,
        after_days=tuple(source.remind_after_days or ()),
    )


def step_due(schedule: Schedule, *, due: date, today: date, first_sent: date) -> str | None:
    """The step to send today, if any: the latest one whose date has come, after first_sent."""
    if not schedule.enabled:
        return None
    passed = [(when, step) for when, step in schedule.steps(due) if when <= today]
    if not passed:
        return None
    when, step = passed[-1]
    return step if when > first_sent else None


def tenant_today(tenant: Tenant, now: datetime) -> date:
    return now.astimezone(ZoneInfo(tenant.time_zone or "UTC")).date()


def _first_sent_dates(tenant: Tenant, invoice_ids: list[int]) -> dict[int, date]:
    """When each invoice was first emailed (accepted by the mail server), in the tenant's zone."""
    rows = (
        OutgoingMessage.objects.filter(
            invoice_id__in=invoice_ids,
            kind=MessageKind.INVOICE,
            sent_at__isnull=False,
        )
        .exclude(status=MessageStatus.FAILED)
        .values("invoice_id")
        .annotate(first=Min("sent_at"))
    )
    zone = ZoneInfo(tenant.time_zone or "UTC")
    return {row["invoice_id"]: row["first"].astimezone(zone).date() for row in rows}


def reminders_dispatch(*, now: datetime) -> dict[str, int]:
    """In the current tenant's scope: queue the reminders and make the late fees due today."""
    from tenants.scoping import current_tenant

    tenant = current_tenant()
    today = tenant_today(tenant, now)
    settings = sending_settings_get()
    overrides = {row.client_id: row for row in ClientReminderOverride.objects.all()}
    invoices = list(
        Invoice.objects.filter(
            kind=InvoiceKind.INVOICE,
            status__in=UNPAID_STATUSES,
            balance_due__gt=0,
            due_date__lte=today + timedelta(days=60),
        )
        .select_related("client", "tenant")
        .order_by("due_date", "pk")
    )
    first_sent = _first_sent_dates(tenant, [invoice.pk for invoice in invoices])
    counts = {"reminders": 0, "late_fees": 0}
    for invoice in invoices:
        sent_on = first_sent.get(invoice.pk)
        if sent_on is None:
            continue  # never emailed through InvoiceFlow: the tenant delivers it another way
        schedule = schedule_for(settings, overrides.get(invoice.client_id))
        step = step_due(schedule, due=invoice.due_date, today=today, first_sent=sent_on)
        if step is not None and reminder_queue(invoice=invoice, step=step) is not None:
            counts["reminders"] += 1
        if late_fee_due(settings, invoice, today) and late_fee_charge(invoice=invoice, settings=settings):
            counts["late_fees"] += 1
    return counts


def reminder_queue(*, invoice: Invoice, step: str) -> OutgoingMessage | None:
    """Claim (invoice, step) and queue its email; None when it was claimed before."""
    try:
        with transaction.atomic():
            claim = ReminderSent.objects.create(invoice=invoice, step=step)
    except IntegrityError:
        return None
    with transaction.atomic():
        subject, body = message_defaults(invoice=invoice, kind=MessageKind.REMINDER, step=step)
        message = OutgoingMessage.objects.create(
            kind=MessageKind.REMINDER,
            invoice=invoice,
            to=list(invoice.client.emails),
            subject=subject,
            body=body,
            language=email_language(invoice, invoice.tenant),
            # Reminders carry the link (with the PDF on the page), not another attachment.
            attach_pdf=False,
            include_link=True,
            context={"step": step},
        )
        claim.message = message
        claim.save(update_fields=["message"])
        queue_message(message)
    return message


# --- late fees --------------------------------------------------------------------------------


def late_fee_due(settings: SendingSettings, invoice: Invoice, today: date) -> bool:
    return (
        settings.late_fee_kind != LateFeeKind.NONE
        and settings.late_fee_value > 0
        and today >= invoice.due_date + timedelta(days=settings.late_fee_after_days)
    )


def late_fee_amount(settings: SendingSettings, invoice: Invoice) -> Decimal:
    if settings.late_fee_kind == LateFeeKind.PERCENT:
        return quantize_money(invoice.balance_due * settings.late_fee_value / Decimal(100), invoice.currency)
    return quantize_money(settings.late_fee_value, invoice.currency)


def acting_member(tenant: Tenant, preferred: Membership | None = None) -> Membership | None:
    """Who the services act for when the platform makes an invoice: the given member while
    they still may write, else the workspace's first owner."""
    from tenants import roles

    if preferred is not None and preferred.tenant_id == tenant.pk and roles.can_write(preferred):
        return preferred
    return Membership.objects.filter(tenant=tenant, role=Role.OWNER).order_by("pk").first()


def late_fee_charge(*, invoice: Invoice, settings: SendingSettings) -> LateFee | None:
    """Once per invoice: the follow-up invoice that charges the late fee."""
    from delivery.services import invoice_send
    from invoices import services

    amount = late_fee_amount(settings, invoice)
    if amount <= 0:
        return None
    try:
        with transaction.atomic():
            fee = LateFee.objects.create(invoice=invoice, amount=amount)
    except IntegrityError:
        return None
    actor = acting_member(invoice.tenant)
    if actor is None:
        fee.error = "no owner to act for"
        fee.save(update_fields=["error"])
        return fee
    with translation.override(email_language(invoice, invoice.tenant)):
        description = _("Late payment fee for invoice %(number)s (due %(due)s)") % {
            "number": invoice.number,
            "due": invoice.due_date.isoformat(),
        }
    try:
        with transaction.atomic():
            fee_invoice = services.invoice_create_draft(
                actor=actor,
                client=invoice.client,
                currency=invoice.currency,
                lines=[
                    {
                        "description": description,
                        "quantity": "1",
                        "unit_price": str(amount),
                        "metadata": {"late_fee_for": invoice.public_id},
                    }
                ],
                buyer_reference=invoice.number or "",
                notes=description,
            )
            if settings.late_fee_mode == CreateMode.SEND:
                invoice_send(actor=actor, invoice=fee_invoice, finalize=True)
    except ApplicationError as error:
        fee.error = error.message[:300]
        fee.save(update_fields=["error"])
        logger.warning("late fee for %s not created: %s", invoice.public_id, error.message)
        return fee
    fee.fee_invoice = fee_invoice
    fee.save(update_fields=["fee_invoice"])
    record_event(
        invoice,
        verb=EventVerb.LATE_FEE,
        reason=fee_invoice.number or _("draft for review"),
        fee_invoice=fee_invoice.public_id,
        amount=str(amount),
    )
    return fee


# --- every tenant -------------------------------------------------------------------------------


def reminders_dispatch_all(*, now: datetime) -> dict[str, int]:
    """Celery beat's entry point: each tenant in its own scope (and transaction)."""
    totals = {"tenants": 0, "reminders": 0, "late_fees": 0}
    for tenant in Tenant.objects.order_by("pk"):
        try:
            with tenant_scope(tenant):
                counts = reminders_dispatch(now=now)
        except Exception:
            # One tenant's bad data must not stop everyone else's reminders.
            logger.exception("reminders for tenant %s failed", tenant.pk)
            continue
        totals["tenants"] += 1
        totals["reminders"] += counts["reminders"]
        totals["late_fees"] += counts["late_fees"]
    return totals


def client_has_override(client: Client) -> bool:
    return ClientReminderOverride.objects.filter(client=client).exists()
