"""Plan writes: subscribing through Checkout, the customer portal, syncing from Stripe, usage.

A workspace's plan follows the state of its Stripe subscription, never the order of events:
every webhook about a subscription (created, updated, deleted, its invoices paid or failed)
fetches the subscription from Stripe and writes what it says now (`plan_subscription_sync`).
Two deliveries of one event, or five events in any order, leave the same row.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import stripe_client
from core.errors import ApplicationError
from plans.catalog import Plan, plan_for_price, plan_get, plans_enabled
from plans.models import PlanSubscription, UsageReport
from tenants.doors import door_find
from tenants.models import Membership, Role, Tenant
from tenants.permissions import require_role
from tenants.scoping import tenant_scope

logger = logging.getLogger(__name__)

# Stripe's statuses folded into ours (see PlanSubscription.Status).
_STATUS = {
    "active": PlanSubscription.Status.ACTIVE,
    "trialing": PlanSubscription.Status.TRIALING,
    "past_due": PlanSubscription.Status.PAST_DUE,
    "unpaid": PlanSubscription.Status.PAST_DUE,
    "incomplete": PlanSubscription.Status.INCOMPLETE,
    "incomplete_expired": PlanSubscription.Status.CANCELED,
    "canceled": PlanSubscription.Status.CANCELED,
    "paused": PlanSubscription.Status.CANCELED,
}
METADATA_TENANT = "invoiceflow_tenant"


class PlansDisabledError(ApplicationError):
    def __init__(self) -> None:
        super().__init__(
            _("Plans are switched off on this installation: every workspace is unlimited."),
            code="plans_disabled",
        )


def _require_billing_manager(actor: Membership) -> Tenant:
    return require_role(actor, Role.ADMIN, message=_("Only owners and admins manage the plan."))


def _timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


# --- subscribing ---------------------------------------------------------------------------------


def _customer_ensure(*, subscription: PlanSubscription, actor: Membership) -> str:
    """The workspace's Stripe customer, created once (the row is locked by the caller)."""
    if subscription.stripe_customer_id:
        return subscription.stripe_customer_id
    tenant = subscription.tenant
    customer = stripe_client.customer_create(
        # One customer per workspace even if this transaction is retried after Stripe answered.
        idempotency_key=f"plan-customer-{tenant.public_id}",
        email=actor.user.email,
        name=tenant.name,
        metadata={METADATA_TENANT: tenant.public_id},
    )
    subscription.stripe_customer_id = customer["id"]
    subscription.save(update_fields=["stripe_customer_id", "updated_at"])
    return customer["id"]


def plan_checkout_start(*, actor: Membership, plan: str, success_url: str, cancel_url: str) -> dict[str, Any]:
    """A Stripe-hosted Checkout Session (mode=subscription) for a paid plan; returns it.

    A workspace with a live subscription changes plan in the customer portal instead, so one
    workspace never pays two subscriptions.
    """
    tenant = _require_billing_manager(actor)
    if not plans_enabled():
        raise PlansDisabledError()
    chosen: Plan = plan_get(plan)
    if chosen.is_free or not chosen.available:
        raise ApplicationError(_("That plan cannot be bought here."), field="plan", code="unknown_plan")
    subscription = PlanSubscription.for_tenant_locked(tenant=tenant)
    if subscription.is_live:
        raise ApplicationError(
            _("This workspace already has a subscription: change its plan in Manage subscription."),
            code="already_subscribed",
        )
    customer = _customer_ensure(subscription=subscription, actor=actor)
    line_items: list[dict[str, Any]] = [{"price": chosen.price_id, "quantity": 1}]
    if settings.STRIPE_PRICE_INVOICES_SENT:
        # Metered: no quantity, Stripe bills what the meter counted.
        line_items.append({"price": settings.STRIPE_PRICE_INVOICES_SENT})
    params = {
        "mode": "subscription",
        "customer": customer,
        "line_items": line_items,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": tenant.public_id,
        "metadata": {METADATA_TENANT: tenant.public_id, "plan": chosen.code.value},
        # Copied onto the subscription: its webhooks name the workspace without a lookup.
        "subscription_data": {"metadata": {METADATA_TENANT: tenant.public_id, "plan": chosen.code.value}},
    }
    # A double click (or a retried request) within ten minutes gets the same session back.
    window = int(timezone.now().timestamp()) // 600
    key_source = f"{tenant.public_id}:{chosen.code}:{customer}:{success_url}:{window}"
    key = "plan-checkout-" + hashlib.sha256(key_source.encode()).hexdigest()[:32]
    return stripe_client.checkout_session_create(params=params, idempotency_key=key)


def plan_checkout_complete(*, actor: Membership, session_id: str) -> PlanSubscription | None:
    """The customer came back from Checkout: sync at once rather than wait for the webhook."""
    tenant = _require_billing_manager(actor)
    if not plans_enabled():
        raise PlansDisabledError()
    row = PlanSubscription.objects.filter(tenant=tenant).first()
    if row is None or not row.stripe_customer_id:
        return None
    try:
        session = stripe_client.checkout_session_retrieve(session_id=session_id)
    except stripe_client.InvalidRequestError:
        return None
    # Someone else's session id in the URL: ignore it.
    if session.get("customer") != row.stripe_customer_id or session.get("mode") != "subscription":
        return None
    if not session.get("subscription"):
        return row
    return plan_subscription_sync(subscription_id=session["subscription"])


def plan_portal_start(*, actor: Membership, return_url: str) -> str:
    """The customer portal's URL for this workspace (cancel, change plan, update the card)."""
    tenant = _require_billing_manager(actor)
    if not plans_enabled():
        raise PlansDisabledError()
    row = PlanSubscription.objects.filter(tenant=tenant).first()
    if row is None or not row.stripe_customer_id:
        raise ApplicationError(_("Subscribe to a plan first."), code="no_customer")
    session = stripe_client.billing_portal_session_create(
        customer=row.stripe_customer_id, return_url=return_url
    )
    return session["url"]


# --- keeping the row current ---------------------------------------------------------------------


def _tenant_for(subscription: dict[str, Any]) -> Tenant | None:
    public_id = (subscription.get("metadata") or {}).get(METADATA_TENANT)
    if public_id:
        tenant = Tenant.objects.filter(public_id=public_id).first()
        if tenant is not None:
            return tenant
    # No metadata (a subscription made in Stripe's dashboard): its customer names the workspace,
    # through the lookup door, since no tenant scope exists yet.
    customer = subscription.get("customer")
    match = (
        door_find("lookup_door_plan_subscription_by_customer", customer)
        if isinstance(customer, str)
        else None
    )
    return match.tenant if match else None


def _plan_of(subscription: dict[str, Any]) -> tuple[Plan, str]:
    items = (subscription.get("items") or {}).get("data") or []
    for item in items:
        price_id = (item.get("price") or {}).get("id") or ""
        plan = plan_for_price(price_id)
        if plan is not None:
            return plan, price_id
    raise ValueError(
        f"Subscription {subscription.get('id')} has no price of a plan "
        f"(prices: {[(i.get('price') or {}).get('id') for i in items]}); check STRIPE_PRICE_* settings."
    )


def _period(subscription: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """Since 2025-03-31 the billing period lives on the subscription's items."""
    items = (subscription.get("items") or {}).get("data") or []
    starts = [i["current_period_start"] for i in items if i.get("current_period_start")]
    ends = [i["current_period_end"] for i in items if i.get("current_period_end")]
    start = subscription.get("current_period_start") or (min(starts) if starts else None)
    end = subscription.get("current_period_end") or (max(ends) if ends else None)
    return _timestamp(start), _timestamp(end)


def _should_apply(row: PlanSubscription, subscription: dict[str, Any], status: str) -> bool:
    """Which of a customer's subscriptions the row follows.

    The one it follows already; or another one that is live when the row's is not, or that is
    newer and live (a resubscription after a cancellation). A stale event about an old,
    canceled subscription therefore never downgrades a workspace that subscribed again.
    """
    if not row.stripe_subscription_id or row.stripe_subscription_id == subscription["id"]:
        return True
    if status not in PlanSubscription.LIVE_STATUSES:
        return False
    if not row.is_live:
        return True
    created = _timestamp(subscription.get("created"))
    return bool(created and row.stripe_subscription_created and created > row.stripe_subscription_created)


def plan_subscription_sync(*, subscription_id: str) -> PlanSubscription | None:
    """Write the Stripe subscription's current state onto its workspace's row.

    Safe to run twice and in any order: it reads the subscription from Stripe (not from the
    event), and writing the same state again changes nothing. Called by webhooks before any
    tenant is known: the row is written inside the scope of the workspace the subscription names.
    """
    subscription = stripe_client.subscription_retrieve(subscription_id=subscription_id)
    tenant = _tenant_for(subscription)
    if tenant is None:
        logger.warning("Subscription %s belongs to no workspace; ignored.", subscription_id)
        return None
    with tenant_scope(tenant):
        return _plan_subscription_apply(tenant=tenant, subscription=subscription)


def _plan_subscription_apply(*, tenant: Tenant, subscription: dict[str, Any]) -> PlanSubscription:
    row = PlanSubscription.for_tenant_locked(tenant=tenant)
    status = _STATUS.get(subscription.get("status") or "", PlanSubscription.Status.INCOMPLETE)
    if not _should_apply(row, subscription, status):
        return row
    plan, price_id = _plan_of(subscription)
    start, end = _period(subscription)
    row.plan = plan.code.value
    row.status = status
    row.stripe_customer_id = subscription.get("customer") or row.stripe_customer_id
    row.stripe_subscription_id = subscription["id"]
    row.stripe_price_id = price_id
    row.stripe_subscription_created = _timestamp(subscription.get("created"))
    row.current_period_start, row.current_period_end = start, end
    row.cancel_at_period_end = bool(subscription.get("cancel_at_period_end"))
    row.save()
    return row


def subscription_id_of_invoice(invoice: dict[str, Any]) -> str | None:
    """A Stripe invoice's subscription (under `parent` since 2025-03-31, top-level before)."""
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    subscription = details.get("subscription") or invoice.get("subscription")
    if isinstance(subscription, dict):
        subscription = subscription.get("id")
    return subscription or None


# --- usage ---------------------------------------------------------------------------------------


def usage_identifier(*, invoice_public_id: str) -> str:
    return f"invoice-sent-{invoice_public_id}"


def usage_report_invoice_sent(*, tenant_id: int, invoice_public_id: str) -> UsageReport:
    """Send one invoice's meter event to Stripe, once. Safe to run twice and concurrently."""
    identifier = usage_identifier(invoice_public_id=invoice_public_id)
    failure: stripe_client.StripeError | None = None
    with tenant_scope(Tenant.objects.get(pk=tenant_id)):
        UsageReport.objects.get_or_create(
            identifier=identifier,
            defaults={
                "tenant_id": tenant_id,
                "event_name": settings.STRIPE_METER_EVENT_NAME,
                "invoice_public_id": invoice_public_id,
            },
        )
        # The lock makes a second worker wait, then find the report done.
        report = UsageReport.objects.select_for_update().get(identifier=identifier)
        if report.status != UsageReport.Status.PENDING:
            return report
        row = PlanSubscription.objects.filter(tenant_id=tenant_id).first()
        if row is None or not row.stripe_customer_id:
            report.status = UsageReport.Status.SKIPPED
            report.save(update_fields=["status"])
            return report
        report.attempts += 1
        try:
            stripe_client.meter_event_create(
                event_name=report.event_name,
                customer=row.stripe_customer_id,
                value=report.value,
                identifier=identifier,
                timestamp=int(report.occurred_at.timestamp()),
            )
        except stripe_client.StripeError as error:
            # Recorded (committed), then raised for the task's retry.
            failure = error
            report.last_error = str(error)[:2000]
            report.save(update_fields=["attempts", "last_error"])
        else:
            report.status = UsageReport.Status.REPORTED
            report.stripe_customer_id = row.stripe_customer_id
            report.reported_at = timezone.now()
            report.last_error = ""
            report.save(
                update_fields=["status", "stripe_customer_id", "reported_at", "attempts", "last_error"]
            )
    if failure is not None:
        raise failure
    return report
