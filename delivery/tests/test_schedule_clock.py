"""90 days of payment reminders, late fees and recurring invoices under a controlled clock
(time-machine), the scheduler running twice per tick, with a ten-day outage in the middle.
Every email goes through the loopback SMTP server; the test checks the exact set received and
the exact set of invoices made."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
import time_machine

from delivery import recurring
from delivery import services as sending
from delivery.models import (
    ClientReminderOverride,
    CreateMode,
    Frequency,
    LateFee,
    LateFeeKind,
    RecurringRun,
    ReminderSent,
    SendingSettings,
)
from delivery.tasks import dispatch_recurring, dispatch_reminders
from delivery.tests.smtp import Received, SMTPServer
from invoices import services
from invoices.models import Invoice, InvoiceStatus
from invoices.tests.factories import ClientFactory, line, make_invoice
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

START = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
OUTAGE = (date(2026, 2, 10), date(2026, 2, 20))  # the scheduler does not run on these days


def _kind(subject: str) -> str:
    if subject.startswith("Reminder:"):
        return "before"
    if subject.endswith("is due today"):
        return "due"
    if subject.startswith("Overdue:"):
        return "after"
    if subject.startswith("Invoice "):
        return "invoice"
    return subject


def _summary(received: Received) -> tuple[date, str, str, str]:
    sent_on = parsedate_to_datetime(str(received.message["Date"])).astimezone(UTC).date()
    number = next(word for word in received.subject.split() if word.startswith("INV-"))
    return sent_on, ",".join(received.rcpt_tos), number, _kind(received.subject)


def test_ninety_days_of_reminders_late_fees_and_recurring_invoices(
    tenant: Tenant,
    owner_membership: Membership,
    mail_env: SMTPServer,
    django_capture_on_commit_callbacks: Any,
) -> None:
    actor = owner_membership
    with time_machine.travel(START, tick=False) as clock:
        with tenant_scope(tenant):
            SendingSettings.objects.update_or_create(
                tenant=tenant,
                defaults={
                    "attach_pdf": False,
                    "reminders_enabled": True,
                    "remind_days_before": 3,
                    "remind_on_due": True,
                    "remind_after_days": [3, 7, 14, 30],
                    "late_fee_kind": LateFeeKind.FIXED,
                    "late_fee_value": Decimal("25.00"),
                    "late_fee_after_days": 30,
                    "late_fee_mode": CreateMode.DRAFT,
                },
            )
            alice = ClientFactory(name="Alpha", emails=["alice@alpha.example"])
            bob = ClientFactory(name="Beta", emails=["bob@beta.example"])
            carol = ClientFactory(name="Gamma", emails=["carol@gamma.example"], payment_terms_days=60)
            ClientReminderOverride.objects.create(
                client=bob,
                reminders_enabled=True,
                remind_days_before=None,
                remind_on_due=False,
                remind_after_days=[10],
            )
            ClientReminderOverride.objects.create(client=carol, reminders_enabled=False)

            def invoice(client: Any, due: date, *, email: bool = True) -> Invoice:
                made = make_invoice(
                    actor=actor,
                    client=client,
                    lines=[line("Work", "1", "500.00")],
                    due_date=due,
                    finalize=True,
                )
                if email:
                    with django_capture_on_commit_callbacks(execute=True):
                        sending.invoice_send(actor=actor, invoice=made)
                return made

            inv1 = invoice(alice, date(2026, 1, 31))
            inv2 = invoice(alice, date(2026, 1, 20))  # paid on Jan 22
            inv3 = invoice(bob, date(2026, 1, 15))  # Beta's own schedule: 10 days after only
            inv4 = invoice(alice, date(2026, 1, 10), email=False)  # delivered by hand: no reminders
            inv5 = invoice(alice, date(2026, 3, 20))  # voided on Mar 10
            lines = [{"description": "Retainer", "quantity": "1", "unit_price": "1000.00"}]
            monthly = recurring.recurring_template_create(
                actor=actor,
                name="Monthly retainer",
                client=carol.public_id,
                lines=lines,
                frequency=Frequency.MONTHLY,
                day_of_month=31,
                start_date=date(2026, 1, 1),
                mode=CreateMode.SEND,
            )
            weekly = recurring.recurring_template_create(
                actor=actor,
                name="Weekly support",
                client=alice.public_id,
                lines=lines,
                frequency=Frequency.WEEKLY,
                start_date=date(2026, 1, 5),
                mode=CreateMode.DRAFT,
            )
            recurring.recurring_template_create(
                actor=actor,
                name="Quarterly audit",
                client=bob.public_id,
                lines=lines,
                frequency=Frequency.QUARTERLY,
                day_of_month=15,
                start_date=date(2026, 1, 1),
                end_date=date(2026, 3, 31),
                mode=CreateMode.DRAFT,
            )
            paused = recurring.recurring_template_create(
                actor=actor,
                name="Paused",
                client=alice.public_id,
                lines=lines,
                frequency=Frequency.MONTHLY,
                day_of_month=1,
                start_date=date(2026, 1, 1),
                mode=CreateMode.SEND,
            )
            recurring.recurring_template_pause(actor=actor, template=paused)

        for day in range(91):
            now = START + timedelta(days=day)
            clock.move_to(now)
            today = now.date()
            if today == date(2026, 1, 22):
                with tenant_scope(tenant):
                    services.payment_record(actor=actor, invoice=inv2, amount=inv2.total, paid_on=today)
            if today == date(2026, 3, 10):
                with tenant_scope(tenant):
                    services.invoice_void(actor=actor, invoice=inv5)
            if OUTAGE[0] <= today <= OUTAGE[1]:
                continue
            for _run in range(2):  # twice per tick: a duplicate beat, a restarted scheduler
                with django_capture_on_commit_callbacks(execute=True):
                    dispatch_recurring.delay()
                with django_capture_on_commit_callbacks(execute=True):
                    dispatch_reminders.delay()

    with tenant_scope(tenant):
        runs = {
            (run.template.name, run.period_start, run.status, run.invoice.status)
            for run in RecurringRun.objects.select_related("template", "invoice")
        }
        retainers = {
            run.period_start: run.invoice.number
            for run in RecurringRun.objects.filter(template=monthly).select_related("invoice")
        }
        fees = {
            (
                fee.invoice.number,
                fee.fee_invoice.client.name,
                fee.fee_invoice.total,
                fee.fee_invoice.status,
                fee.created_at.date(),
            )
            for fee in LateFee.objects.select_related("invoice", "fee_invoice__client")
        }
        steps = sorted(
            (claim.invoice.number, claim.step) for claim in ReminderSent.objects.select_related("invoice")
        )
        drafts_of_weekly = Invoice.objects.filter(
            pk__in=RecurringRun.objects.filter(template=weekly).values("invoice")
        ).order_by("issue_date")
        weekly_issue_dates = [invoice.issue_date for invoice in drafts_of_weekly]

    open_, draft = InvoiceStatus.OPEN, InvoiceStatus.DRAFT
    weekly_periods = [date(2026, 1, 5) + timedelta(weeks=week) for week in range(13)]  # Jan 5 .. Mar 30
    assert runs == {
        ("Monthly retainer", date(2026, 1, 31), "created", open_),
        ("Monthly retainer", date(2026, 2, 28), "created", open_),  # day 31 clamped to February's end
        ("Monthly retainer", date(2026, 3, 31), "created", open_),
        ("Quarterly audit", date(2026, 1, 15), "created", draft),
        *{("Weekly support", period, "created", draft) for period in weekly_periods},
    }
    # The week of Feb 16 fell in the outage: made once, when the scheduler came back.
    assert weekly_issue_dates == [
        period if period != date(2026, 2, 16) else date(2026, 2, 21) for period in weekly_periods
    ]
    assert fees == {
        (
            inv3.number,
            "Beta",
            Decimal("25.00"),
            draft,
            date(2026, 2, 21),
        ),  # due Jan 15 + 30, after the outage
        (inv1.number, "Alpha", Decimal("25.00"), draft, date(2026, 3, 2)),
    }
    assert steps == sorted(
        [
            (inv1.number, "before-3"),
            (inv1.number, "due"),
            (inv1.number, "after-3"),
            (inv1.number, "after-7"),
            (inv1.number, "after-14"),
            (inv1.number, "after-30"),
            (inv2.number, "before-3"),
            (inv2.number, "due"),
            (inv3.number, "after-10"),
        ]
    )

    alice_to, bob_to, carol_to = "alice@alpha.example", "bob@beta.example", "carol@gamma.example"
    expected = [
        (date(2026, 1, 1), alice_to, inv1.number, "invoice"),
        (date(2026, 1, 1), alice_to, inv2.number, "invoice"),
        (date(2026, 1, 1), bob_to, inv3.number, "invoice"),
        (date(2026, 1, 1), alice_to, inv5.number, "invoice"),
        (date(2026, 1, 17), alice_to, inv2.number, "before"),
        (date(2026, 1, 20), alice_to, inv2.number, "due"),
        (date(2026, 1, 25), bob_to, inv3.number, "after"),
        (date(2026, 1, 28), alice_to, inv1.number, "before"),
        (date(2026, 1, 31), alice_to, inv1.number, "due"),
        (date(2026, 1, 31), carol_to, retainers[date(2026, 1, 31)], "invoice"),
        (date(2026, 2, 3), alice_to, inv1.number, "after"),
        (date(2026, 2, 7), alice_to, inv1.number, "after"),
        # after-14 was due on Feb 14, in the outage: sent once when the scheduler came back.
        (date(2026, 2, 21), alice_to, inv1.number, "after"),
        (date(2026, 2, 28), carol_to, retainers[date(2026, 2, 28)], "invoice"),
        (date(2026, 3, 2), alice_to, inv1.number, "after"),
        (date(2026, 3, 31), carol_to, retainers[date(2026, 3, 31)], "invoice"),
    ]
    assert sorted(_summary(received) for received in mail_env.messages) == sorted(expected)
    assert inv4.number not in {number for _d, _to, number, _k in map(_summary, mail_env.messages)}
