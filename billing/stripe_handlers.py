"""Stripe event handlers for getting paid (Connect accounts, Checkout, payments, refunds,
disputes). Registered with `billing.handlers.handles`; run by `billing.services`.

Each handler takes nothing on trust from the event but two ids: the connected account it came
from (`event.account`, which names the tenant) and the id of the Stripe object. It then asks
Stripe for the object's current state and brings our rows in line with it
(`billing.ledger.payment_intent_sync`), so any number of deliveries, in any order, end in the
same books. Events of the platform's own account, or about objects that are not ours, are
processed as no-ops.
"""

from __future__ import annotations

import logging

from billing import connect
from billing.checkout import checkout_attempt_settle
from billing.group_ledger import group_checkout_settle
from billing.handlers import handles
from billing.ledger import payment_failure_record, payment_intent_sync
from billing.models import CheckoutAttempt, GroupCheckout, StripeAccount, StripeEvent
from billing.stripe_client import charge_retrieve, checkout_session_retrieve, dispute_retrieve
from tenants.scoping import tenant_scope

logger = logging.getLogger(__name__)


def _connected_account(event: StripeEvent) -> StripeAccount | None:
    """The tenant's account the event comes from; None for the platform's own or unknown ones."""
    account = connect.stripe_account_by_stripe_id(stripe_id=event.account) if event.account else None
    if event.account and account is None:
        logger.info("Stripe event %s from unknown account %s ignored.", event.stripe_id, event.account)
    return account


def _id(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


@handles("account.updated")
def account_updated(event: StripeEvent) -> None:
    stripe_id = event.account or event.data_object.get("id") or ""
    # Syncing an account that is not ours does nothing (and asks Stripe nothing).
    connect.stripe_account_sync(stripe_id=stripe_id)


@handles(
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)
def checkout_session_changed(event: StripeEvent) -> None:
    account = _connected_account(event)
    if account is None:
        return
    session_id = event.data_object["id"]
    with tenant_scope(account.tenant):
        attempt = CheckoutAttempt.objects.filter(session_id=session_id).first()
        if attempt is not None:
            checkout_attempt_settle(attempt=attempt)
            return
        group = GroupCheckout.objects.filter(session_id=session_id).first()
        if group is not None:
            group_checkout_settle(checkout=group)
            return
        # A session we have no attempt for (made before a restore, say): its payment intent
        # still names the invoice.
        session = checkout_session_retrieve(session_id=session_id, account=account.stripe_id)
        intent_id = _id(session.get("payment_intent"))
        if intent_id:
            payment_intent_sync(account_id=account.stripe_id, payment_intent_id=intent_id)


@handles("payment_intent.succeeded", "payment_intent.canceled", "payment_intent.processing")
def payment_intent_changed(event: StripeEvent) -> None:
    account = _connected_account(event)
    if account is None:
        return
    with tenant_scope(account.tenant):
        payment_intent_sync(account_id=account.stripe_id, payment_intent_id=event.data_object["id"])


@handles("payment_intent.payment_failed")
def payment_intent_failed(event: StripeEvent) -> None:
    """A declined card: a timeline entry, no money change. The intent itself is synced too, in
    case this late event arrives after a later attempt succeeded (that payment then lands)."""
    account = _connected_account(event)
    if account is None:
        return
    intent = event.data_object
    charge_id = _id((intent.get("last_payment_error") or {}).get("charge"))
    with tenant_scope(account.tenant):
        payment_failure_record(
            account_id=account.stripe_id, payment_intent_id=intent["id"], charge_id=charge_id
        )
        payment_intent_sync(account_id=account.stripe_id, payment_intent_id=intent["id"])


@handles("charge.refunded", "charge.refund.updated", "charge.succeeded")
def charge_changed(event: StripeEvent) -> None:
    account = _connected_account(event)
    if account is None:
        return
    obj = event.data_object
    # charge.refund.updated carries a refund; the others a charge.
    charge_id = _id(obj.get("charge")) if obj.get("object") == "refund" else obj["id"]
    with tenant_scope(account.tenant):
        charge = charge_retrieve(charge_id=charge_id, account=account.stripe_id)
        intent_id = _id(charge.get("payment_intent"))
        if intent_id:
            payment_intent_sync(account_id=account.stripe_id, payment_intent_id=intent_id)


@handles(
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
)
def dispute_changed(event: StripeEvent) -> None:
    account = _connected_account(event)
    if account is None:
        return
    with tenant_scope(account.tenant):
        dispute = dispute_retrieve(dispute_id=event.data_object["id"], account=account.stripe_id)
        intent_id = _id(dispute.get("payment_intent"))
        if not intent_id:
            charge = charge_retrieve(charge_id=_id(dispute.get("charge")), account=account.stripe_id)
            intent_id = _id(charge.get("payment_intent"))
        if intent_id:
            payment_intent_sync(account_id=account.stripe_id, payment_intent_id=intent_id)
