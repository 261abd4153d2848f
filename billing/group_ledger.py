"""Settling and recording group checkouts (several invoices paid in one Checkout Session, made
by `billing.group_checkout`): a session's state from Stripe, one payment per invoice for its
share, each exactly once, and the charge's refunds and disputes split over them. Kept apart
from `billing.group_checkout` so `billing.ledger`, which hands grouped intents here, does not
import the Checkout code that imports the ledger.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from billing import stripe_client
from billing.models import CheckoutAttemptStatus, GroupCheckout, GroupCheckoutItem
from invoices.models import DisputeStatus, Payment, PaymentSource
from invoices.money import ZERO, from_minor_units
from invoices.services import dispute_upsert_external, payment_record_external, refund_upsert_external
from tenants.scoping import current_tenant

logger = logging.getLogger(__name__)


def group_checkout_settle(*, checkout: GroupCheckout, session: dict[str, Any] | None = None) -> str:
    """Bring a group checkout in line with its session at Stripe (recording its payments if it
    was paid); returns the session's status."""
    session = session or stripe_client.checkout_session_retrieve(
        session_id=checkout.session_id, account=checkout.stripe_account
    )
    status = session.get("status") or ""
    intent_id = session.get("payment_intent") or ""
    if isinstance(intent_id, dict):
        intent_id = intent_id.get("id", "")
    if intent_id:
        checkout.payment_intent_id = intent_id
    if status == "complete":
        checkout.status = CheckoutAttemptStatus.COMPLETE
    elif status == "expired":
        checkout.status = CheckoutAttemptStatus.EXPIRED
    checkout.checked_at = timezone.now()
    checkout.save(update_fields=["payment_intent_id", "status", "checked_at"])
    if intent_id and (status == "complete" or session.get("payment_status") == "paid"):
        intent = stripe_client.payment_intent_retrieve(
            payment_intent_id=intent_id, account=checkout.stripe_account
        )
        group_intent_record(intent=intent)
    return status


def group_checkout_retire(checkout: GroupCheckout) -> None:
    """Expire a group's open session at Stripe before another is made (recording it if it
    turns out to be paid): never two live sessions for one invoice."""
    try:
        session = stripe_client.checkout_session_expire(
            session_id=checkout.session_id, account=checkout.stripe_account
        )
    except stripe_client.InvalidRequestError:
        session = None  # paid or expired a moment ago: ask what it is now
    group_checkout_settle(checkout=checkout, session=session)


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
    if charge_id:
        _adjustments_sync(checkout=checkout, charge_id=charge_id)
    return payments


# Stripe's dispute statuses, folded as billing.ledger does (kept here: the ledger imports us).
_DISPUTE_STATUS = {
    "won": DisputeStatus.WON,
    "warning_closed": DisputeStatus.WON,
    "prevented": DisputeStatus.WON,
    "lost": DisputeStatus.LOST,
}


def _split(
    amount: Decimal, items: list[GroupCheckoutItem], room: dict[int, Decimal]
) -> list[tuple[GroupCheckoutItem, Decimal]]:
    """`amount` over the items, the last invoice first, each at most its room left."""
    shares, left = [], amount
    for item in reversed(items):
        share = min(left, room[item.pk])
        if share > ZERO:
            shares.append((item, share))
            room[item.pk] -= share
            left -= share
    if left > ZERO:
        logger.error("%s of a grouped charge could not be split over its invoices: record it by hand.", left)
    return shares


def _adjustments_sync(*, checkout: GroupCheckout, charge_id: str) -> None:
    """The refunds and disputes of a grouped charge, split over its invoices' payments.

    Each refund (oldest first, by Stripe's creation time and id, so every run splits alike)
    takes from the last invoice of the group first, up to what that invoice's share still has
    unrefunded, then the one before; one Refund row per (refund, invoice), external id
    `<refund>:<invoice>`. A dispute is split the same way over the whole shares (a dispute
    covers the charge, whatever was refunded). A refund's status changing later (pending to
    succeeded or failed) updates its rows; the split itself never moves.
    """
    items = [
        item
        for item in GroupCheckoutItem.objects.filter(checkout=checkout).select_related("invoice", "payment")
        if item.payment is not None
    ]
    currency = checkout.currency
    room = {item.pk: item.amount for item in items}
    refunds = sorted(
        stripe_client.refund_list(charge=charge_id, account=checkout.stripe_account),
        key=lambda refund: (refund.get("created") or 0, refund["id"]),
    )
    for refund in refunds:
        amount = from_minor_units(int(refund["amount"]), currency)
        for item, share in _split(amount, items, room):
            if item.payment is None:
                continue  # left out above: only items with their payment recorded
            refund_upsert_external(
                payment=item.payment,
                external_id=f"{refund['id']}:{item.invoice.public_id}",
                amount=share,
                currency=(refund.get("currency") or currency).upper(),
                status=refund.get("status") or "pending",
                reason=refund.get("reason") or "",
            )
    for dispute in stripe_client.dispute_list(charge=charge_id, account=checkout.stripe_account):
        amount = from_minor_units(int(dispute["amount"]), currency)
        whole = {item.pk: item.amount for item in items}
        for item, share in _split(amount, items, whole):
            if item.payment is None:
                continue  # left out above: only items with their payment recorded
            dispute_upsert_external(
                payment=item.payment,
                external_id=f"{dispute['id']}:{item.invoice.public_id}",
                amount=share,
                currency=(dispute.get("currency") or currency).upper(),
                status=_DISPUTE_STATUS.get(dispute.get("status") or "", DisputeStatus.OPEN),
                processor_status=dispute.get("status") or "",
                reason=dispute.get("reason") or "",
            )
