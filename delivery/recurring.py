"""Recurring invoices: a template (client, lines with their taxes, currency) and a schedule.

Schedules: weekly from the start date; monthly, quarterly or yearly on day N of the month
(29 to 31 fall on the last day of shorter months, and the next month goes back to day N).
The first period is the first such date on or after the start date; the last starts no later
than the end date, when there is one.

Celery beat runs `invoices.dispatch_recurring` (hourly). For each active template, every period
whose start has come (in the tenant's time zone) and that has no `RecurringRun` yet gets one:
the run row is inserted first, under a unique (template, period_start) constraint, in the same
transaction as the invoice it produces. A second scheduler, running at the same time or later,
fails that insert and makes nothing: exactly one invoice per period. Periods missed while the
scheduler was down are each caught up once, oldest first. A paused template skips the periods
that pass while it is paused (resuming starts at the next period).
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from delivery.models import (
    CreateMode,
    Frequency,
    RecurringRun,
    RecurringRunStatus,
    RecurringTemplate,
)
from delivery.reminders import acting_member, tenant_today
from invoices.l10n import document_language
from invoices.models import Client, Invoice
from invoices.money import check_currency
from invoices.services.common import check_writer, resolve
from tenants.models import Membership, Tenant
from tenants.scoping import current_tenant, tenant_scope

logger = logging.getLogger(__name__)

MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}


# --- the schedule -----------------------------------------------------------------------------


def add_months(start: date, months: int, day: int) -> date:
    """Day `day` of the month `months` after start's month, clamped to that month's end."""
    years, month_index = divmod(start.month - 1 + months, 12)
    year, month = start.year + years, month_index + 1
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def period_starts(
    *, frequency: str, start: date, day_of_month: int | None, end: date | None, until: date
) -> Iterator[date]:
    """Every period start from the first to `until` (and the end date), in order."""
    last = min(until, end) if end else until
    if frequency == Frequency.WEEKLY:
        current = start
        while current <= last:
            yield current
            current += timedelta(days=7)
        return
    step = MONTHS[Frequency(frequency)]
    day = day_of_month or start.day
    index = 0 if add_months(start, 0, day) >= start else 1
    while True:
        current = add_months(start, index * step, day)
        if current > last:
            return
        yield current
        index += 1


def next_period_after(template: RecurringTemplate, after: date) -> date | None:
    horizon = after + timedelta(days=400)
    for start in period_starts(
        frequency=template.frequency,
        start=template.start_date,
        day_of_month=template.day_of_month,
        end=template.end_date,
        until=horizon,
    ):
        if start > after:
            return start
    return None


# --- templates (the pages call these) ----------------------------------------------------------


def _clean_lines(lines: Sequence[Mapping[str, Any]], currency: str) -> list[dict[str, Any]]:
    """Validated like an invoice's lines (the same parser), stored as plain JSON."""
    from invoices.money import price_text
    from invoices.services.lines import parse_lines

    if not lines:
        raise ApplicationError(_("Add at least one line."), field="lines")
    parsed = parse_lines(list(lines), currency)
    return [
        {
            "description": item.data.description.strip(),
            "quantity": str(item.quantity),
            "unit_price": price_text(item.unit_price, currency),
            "unit": (item.data.unit or "").strip(),
            "tax_rates": [rate.public_id for rate in item.rates],
        }
        for item in parsed
    ]


def _apply(template: RecurringTemplate, fields: dict[str, Any]) -> None:
    client = resolve(Client, fields["client"], field="client", label=_("client"))
    if client.archived_at is not None:
        raise ApplicationError(_("%(name)s is archived.") % {"name": client.name}, field="client")
    currency = check_currency((fields.get("currency") or client.currency).upper())
    frequency = fields["frequency"]
    if frequency not in Frequency.values:
        raise ApplicationError(_("Choose how often."), field="frequency")
    day = fields.get("day_of_month")
    if frequency == Frequency.WEEKLY:
        day = None
    elif day is not None and not 1 <= int(day) <= 31:
        raise ApplicationError(_("Choose a day between 1 and 31."), field="day_of_month")
    start, end = fields["start_date"], fields.get("end_date")
    if end is not None and end < start:
        raise ApplicationError(_("The end date cannot be before the start date."), field="end_date")
    mode = fields.get("mode") or CreateMode.DRAFT
    if mode not in CreateMode.values:
        raise ApplicationError(_("Choose what happens each period."), field="mode")
    name = (fields.get("name") or "").strip()
    if not name:
        raise ApplicationError(_("Name this recurring invoice."), field="name")
    template.name = name[:120]
    template.client = client
    template.currency = currency
    template.lines = _clean_lines(fields["lines"], currency)
    template.notes = (fields.get("notes") or "").strip()
    template.terms = (fields.get("terms") or "").strip()
    template.frequency = frequency
    template.day_of_month = int(day) if day else None
    template.start_date = start
    template.end_date = end
    template.mode = mode


@transaction.atomic
def recurring_template_create(*, actor: Membership, **fields: Any) -> RecurringTemplate:
    """fields: name, client, currency, lines, frequency, day_of_month, start_date, end_date,
    mode, notes, terms."""
    check_writer(actor)
    template = RecurringTemplate(created_by=actor)
    _apply(template, fields)
    template.next_period_start = None
    template.save()
    return template


@transaction.atomic
def recurring_template_update(
    *, actor: Membership, template: RecurringTemplate | str, **fields: Any
) -> RecurringTemplate:
    """Change a template. Periods already made keep their invoices; a changed schedule starts
    from the first period after the last one made."""
    check_writer(actor)
    template = resolve(RecurringTemplate, template, field="template", label=_("recurring invoice"), lock=True)
    _apply(template, fields)
    last = template.runs.order_by("-period_start").values_list("period_start", flat=True).first()
    template.next_period_start = next_period_after(template, last) if last else None
    template.save()
    return template


@transaction.atomic
def recurring_template_pause(*, actor: Membership, template: RecurringTemplate | str) -> RecurringTemplate:
    check_writer(actor)
    template = resolve(RecurringTemplate, template, field="template", label=_("recurring invoice"), lock=True)
    if template.paused_at is None:
        template.paused_at = timezone.now()
        template.save(update_fields=["paused_at"])
    return template


@transaction.atomic
def recurring_template_resume(*, actor: Membership, template: RecurringTemplate | str) -> RecurringTemplate:
    """Resume from the next period: the ones that passed while paused are skipped."""
    check_writer(actor)
    template = resolve(RecurringTemplate, template, field="template", label=_("recurring invoice"), lock=True)
    if template.paused_at is not None:
        today = tenant_today(current_tenant(), timezone.now())
        template.paused_at = None
        template.next_period_start = next_period_after(template, today - timedelta(days=1))
        template.save(update_fields=["paused_at", "next_period_start"])
    return template


# --- the dispatcher -----------------------------------------------------------------------------


def _following_start(template: RecurringTemplate, after: date) -> date | None:
    """The next period start of the *unbounded* schedule: where a period ends."""
    for start in period_starts(
        frequency=template.frequency,
        start=template.start_date,
        day_of_month=template.day_of_month,
        end=None,
        until=after + timedelta(days=400),
    ):
        if start > after:
            return start
    return None


def _period_note(template: RecurringTemplate, period_start: date) -> str:
    following = _following_start(template, period_start)
    with translation.override(document_language(template.client.language)[0]):
        if following:
            return _("Period: %(start)s to %(end)s") % {
                "start": period_start.isoformat(),
                "end": (following - timedelta(days=1)).isoformat(),
            }
        return _("Period starting %(start)s") % {"start": period_start.isoformat()}


def _make_invoice(template: RecurringTemplate, period_start: date) -> Invoice:
    from delivery.services import invoice_send
    from invoices import services

    actor = acting_member(template.tenant, template.created_by)
    if actor is None:
        raise ApplicationError(_("The workspace has no owner to create the invoice for."))
    notes = "\n".join(part for part in [template.notes, _period_note(template, period_start)] if part)
    invoice = services.invoice_create_draft(
        actor=actor,
        client=template.client,
        currency=template.currency,
        lines=list(template.lines),
        notes=notes,
        terms=template.terms,
    )
    if template.mode == CreateMode.SEND:
        invoice_send(actor=actor, invoice=invoice, finalize=True)
        invoice.refresh_from_db()
    return invoice


def recurring_run_period(*, template: RecurringTemplate, period_start: date) -> RecurringRun | None:
    """Make the invoice of one period, once. None when that period was made already."""
    try:
        with transaction.atomic():
            run = RecurringRun.objects.create(
                template=template, period_start=period_start, status=RecurringRunStatus.CREATED
            )
            try:
                with transaction.atomic():
                    run.invoice = _make_invoice(template, period_start)
            except ApplicationError as error:
                # Kept as a failed run (shown on the template's page), not retried every hour.
                run.status = RecurringRunStatus.FAILED
                run.error = error.message[:300]
                logger.warning(
                    "recurring %s, period %s failed: %s", template.public_id, period_start, error.message
                )
            run.save(update_fields=["invoice", "status", "error"])
    except IntegrityError:
        return None
    return run


def recurring_dispatch(*, now: datetime) -> int:
    """In the current tenant's scope: every period due of every active template. Returns how
    many runs this call made."""
    tenant = current_tenant()
    today = tenant_today(tenant, now)
    made = 0
    templates = RecurringTemplate.objects.filter(paused_at__isnull=True).select_related(
        "client", "tenant", "created_by"
    )
    for template in templates.order_by("pk"):
        cursor = template.next_period_start
        latest: date | None = None
        for period_start in period_starts(
            frequency=template.frequency,
            start=template.start_date,
            day_of_month=template.day_of_month,
            end=template.end_date,
            until=today,
        ):
            if cursor is not None and period_start < cursor:
                continue
            latest = period_start
            if recurring_run_period(template=template, period_start=period_start) is not None:
                made += 1
        if latest is not None:
            # Only forward: a concurrent dispatcher may have moved it further already.
            cursor = next_period_after(template, latest) or latest + timedelta(days=1)
            RecurringTemplate.objects.filter(pk=template.pk).filter(
                Q(next_period_start__isnull=True) | Q(next_period_start__lt=cursor)
            ).update(next_period_start=cursor)
    return made


def recurring_dispatch_all(*, now: datetime) -> dict[str, int]:
    totals = {"tenants": 0, "invoices": 0}
    for tenant in Tenant.objects.order_by("pk"):
        try:
            with tenant_scope(tenant):
                totals["invoices"] += recurring_dispatch(now=now)
        except Exception:
            logger.exception("recurring invoices for tenant %s failed", tenant.pk)
            continue
        totals["tenants"] += 1
    return totals
