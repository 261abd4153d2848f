"""Plans and the invoicing domain: the monthly allowance checked at finalization, and every
invoice sent counted as metered usage. The domain calls neither: the check is registered with
it (invoices.checks), the usage comes from its invoice.sent event in the outbox (events/)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from events.registry import Event, subscribe
from invoices.checks import finalize_check_register
from invoices.events import INVOICE_SENT
from plans.catalog import plan_check_can_finalize, plans_enabled


def register_finalize_check() -> None:
    finalize_check_register("plans.monthly_allowance", plan_check_can_finalize)


def _plans_on(topic: str, payload: dict[str, Any]) -> bool:
    return plans_enabled()


@subscribe(INVOICE_SENT, name="plans.usage", wants=_plans_on)
def count_sent_invoice(event: Event) -> None:
    """Queue the invoice's meter event after commit: once per invoice, however often it is sent
    again (the task's unique row sees to that)."""
    from plans.tasks import report_invoice_sent

    tenant_id, public_id = event.tenant_id, event.payload["invoice"]["id"]
    transaction.on_commit(
        lambda: report_invoice_sent.delay(tenant_id=tenant_id, invoice_public_id=public_id), robust=True
    )
