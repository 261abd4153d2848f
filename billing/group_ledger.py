"""Recording a grouped payment intent (several invoices paid in one Checkout Session, made by
`billing.group_checkout`): one payment per invoice for its share, each exactly once. Kept apart
from `billing.group_checkout` so `billing.ledger`, which hands grouped intents here, does not
import the Checkout code that imports the ledger.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from billing import stripe_client
from billing.models import CheckoutAttemptStatus, GroupCheckout, GroupCheckoutItem
from invoices.models import Payment, PaymentSource
from invoices.money import from_minor_units
from invoices.services import payment_record_external
from tenants.scoping import current_tenant

logger = logging.getLogger(__name__)


def group_for_intent(intent: dict[str, Any]) -> GroupCheckout | None:
    """The group checkout a payment intent's metadata names, in the current tenant only."""
    metadata = intent.get("metadata") or {}
    number = str(metadata.get("group_checkout") or "")
    if not number.isdigit() or not metadata.get("client"):
        return None
    return GroupCheckout.objects.filter(client__public_id=metadata["client"], number=int(number)).first()


def _paid_on(timestamp: int | None) -> date:
    moment = datetime.fromtimestamp(timestamp, tz=UTC) if timestamp else timezone.now()
    return moment.astimezone(ZoneInfo(current_tenant().time_zone or "UTC")).date()


def _id(value: Any) -> str:
    return str((value.get("id") if isinstance(value, dict) else value) or "")


@transaction.atomic
def group_intent_record(*, intent: dict[str, Any]) -> list[Payment] | None:
    """What Stripe says about a grouped payment intent (as it is now), in our books: None when
    the intent is not a group checkout's, else the payments recorded for it (one per invoice,
    each exactly once; none until it has succeeded). Called by `billing.ledger.payment_intent_sync`,
    which every webhook handler and the reconciliation end in."""
    found = group_for_intent(intent)
    if found is None:
        return None
    checkout = GroupCheckout.objects.select_for_update().get(pk=found.pk)
    if intent.get("status") != "succeeded":
        if not checkout.payment_intent_id:
            checkout.payment_intent_id = intent["id"]
            checkout.save(update_fields=["payment_intent_id"])
        return []
    charge_id = _id(intent.get("latest_charge"))
    paid_on = _paid_on(intent.get("created"))
    currency = (intent.get("currency") or "").upper()
    received = from_minor_units(int(intent.get("amount_received") or 0), currency or checkout.currency)
    if currency != checkout.currency or received != checkout.amount:
        # Checkout charges exactly its line items; anything else is not ours to split. The
        # event fails and is retried, visible in the admin, and no money is booked wrongly.
        raise ValueError(
            f"Payment intent {intent['id']} received {received} {currency}, "
            f"group checkout {checkout.public_id} expects {checkout.amount} {checkout.currency}"
        )
    payments: list[Payment] = []
    for item in (
        GroupCheckoutItem.objects.select_for_update().filter(checkout=checkout).select_related("invoice")
    ):
        if item.payment_id is None:
            item.payment = payment_record_external(
                invoice=item.invoice,
                amount=item.amount,
                currency=checkout.currency,
                external_id=f"{intent['id']}:{item.invoice.public_id}",
                source=PaymentSource.STRIPE,
                reference=charge_id,
                paid_on=paid_on,
            )
            item.save(update_fields=["payment"])
        if item.payment is not None:
            payments.append(item.payment)
    checkout.payment_intent_id = intent["id"]
    checkout.status = CheckoutAttemptStatus.COMPLETE
    checkout.checked_at = timezone.now()
    checkout.save(update_fields=["payment_intent_id", "status", "checked_at"])
    refunds = (
        stripe_client.refund_list(charge=charge_id, account=checkout.stripe_account)
        if charge_id
        else iter(())
    )
    if next(iter(refunds), None) is not None:
        logger.warning(
            "Charge %s pays several invoices (group checkout %s) and has refunds: record them by hand.",
            charge_id,
            checkout.public_id,
        )
    return payments
